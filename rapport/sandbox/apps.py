from typing import Any

from django.apps import AppConfig
from django.conf import settings
from django.core import checks


class SandboxConfig(AppConfig):
    name = "rapport.sandbox"
    label = "sandbox"
    verbose_name = "Sandbox network"

    def ready(self) -> None:
        from rapport.sandbox import tasks  # noqa: F401  (registers the scenario clock)

        checks.register(check_sandbox_switched_off, checks.Tags.security, deploy=True)


def check_sandbox_switched_off(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """Warn a production start that the sandbox, with its public demo token, is on."""
    if not getattr(settings, "RAPPORT_SANDBOX_ENABLED", False):
        return []
    if getattr(settings, "DEBUG", False) or getattr(settings, "DEMO", False):
        return []
    return [
        checks.Warning(
            "RAPPORT_SANDBOX_ENABLED is on outside demo and debug: anyone who can reach "
            "/sandbox/ can use the simulated network, and the demo brand's token is public.",
            hint="Set RAPPORT_SANDBOX_ENABLED=0 unless this is a training server.",
            id="sandbox.W001",
        )
    ]
