from django.apps import AppConfig


class InboxConfig(AppConfig):
    name = "rapport.inbox"
    label = "inbox"
    verbose_name = "Inbox"

    def ready(self) -> None:
        from rapport.inbox import tasks  # noqa: F401  (registers the SLA scheduler job)
