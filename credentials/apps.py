"""App config of credentials."""
from django.apps import AppConfig


class CredentialsConfig(AppConfig):
    name = "credentials"
    verbose_name = "Credentials"

    def ready(self) -> None:
        from . import checks  # noqa: F401  (registers system checks)
