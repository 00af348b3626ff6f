from django.apps import AppConfig


class JobsConfig(AppConfig):
    name = "rapport.jobs"
    label = "jobs"
    verbose_name = "Background jobs"

    def ready(self) -> None:
        from rapport.jobs import tasks  # noqa: F401  (registers the housekeeping schedule)
