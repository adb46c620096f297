"""App config of mcportal.accounts."""
from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "mcportal.accounts"
    label = "accounts"
    verbose_name = "Accounts"
