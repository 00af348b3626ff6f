from django.apps import AppConfig


class SandboxConfig(AppConfig):
    name = "rapport.sandbox"
    label = "sandbox"
    verbose_name = "Sandbox network"

    def ready(self) -> None:
        from rapport.sandbox import tasks  # noqa: F401  (registers the scenario clock)
