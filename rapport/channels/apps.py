from typing import Any

from django.apps import AppConfig
from django.conf import settings
from django.core import checks


class ChannelsConfig(AppConfig):
    name = "rapport.channels"
    label = "channels"
    verbose_name = "Channels"

    def ready(self) -> None:
        from rapport.channels import tasks  # noqa: F401  (registers the sync and delivery jobs)

        checks.register(check_encryption_key, checks.Tags.security, deploy=True)


def check_encryption_key(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """Warn at start when channel credentials could not be stored or read."""
    if getattr(settings, "RAPPORT_ENCRYPTION_KEY", ""):
        return []
    return [
        checks.Warning(
            "RAPPORT_ENCRYPTION_KEY is not set: channels with credentials (social accounts, "
            "email) cannot be added or synced until it is.",
            hint="Set it to a Fernet key; see .env.example.",
            id="channels.W001",
        )
    ]
