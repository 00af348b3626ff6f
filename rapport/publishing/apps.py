from django.apps import AppConfig


class PublishingConfig(AppConfig):
    name = "rapport.publishing"
    label = "publishing"
    verbose_name = "Publishing: platform research, assets, calendar, posts, campaigns"

    def ready(self) -> None:
        from rapport.inbox import services as inbox
        from rapport.publishing import services, tasks  # noqa: F401  (registers the jobs)

        # Public replies from the inbox pass the same compliance checks as posts.
        if services.check_reply not in inbox.outbound_checks:
            inbox.outbound_checks.append(services.check_reply)
