from django.apps import AppConfig


class SurveysConfig(AppConfig):
    name = "rapport.surveys"
    label = "surveys"
    verbose_name = "Surveys: CSAT, NPS and CES"
