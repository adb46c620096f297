"""App config of enrollment."""
from django.apps import AppConfig


class EnrollmentConfig(AppConfig):
    name = "enrollment"
    verbose_name = "Enrolment"

    def ready(self) -> None:
        # Connects the receivers of payments' signals (payment_succeeded → activation).
        from . import receivers  # noqa: F401
