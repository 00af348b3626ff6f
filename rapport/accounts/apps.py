from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "rapport.accounts"
    label = "accounts"
    verbose_name = "Accounts"

    def ready(self) -> None:
        from rapport.accounts import signals  # noqa: F401
