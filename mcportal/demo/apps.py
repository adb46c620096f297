"""App config of mcportal.demo."""
from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "mcportal.demo"
    label = "demo"
    verbose_name = "Demo data"
