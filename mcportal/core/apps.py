"""App config of mcportal.core."""
from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "mcportal.core"
    label = "core"
    verbose_name = "People, institutions and audit"

    def ready(self) -> None:
        from . import checks  # noqa: F401  (registers system checks)
