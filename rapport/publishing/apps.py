from django.apps import AppConfig


class PublishingConfig(AppConfig):
    name = "rapport.publishing"
    label = "publishing"
    verbose_name = "Publishing: platform research, assets, calendar, posts, campaigns"
