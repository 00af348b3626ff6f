from django.apps import AppConfig


class TeamConfig(AppConfig):
    name = "rapport.team"
    label = "team"
    verbose_name = "Team: skills, availability, training and quality"
