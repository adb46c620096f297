"""System checks of payments: enabled providers exist and have what they need to take money."""

from django.conf import settings
from django.core.checks import Error, register

from .choices import ProviderName


@register()
def check_payment_providers(app_configs, **kwargs):
    problems = []
    enabled = list(settings.MCPORTAL_PAYMENT_PROVIDERS)
    unknown = [name for name in enabled if name not in ProviderName.values]
    if unknown:
        problems.append(
            Error(
                f"Unknown payment providers in MCPORTAL_PAYMENT_PROVIDERS: {', '.join(unknown)}.",
                hint=f"Choose among {', '.join(ProviderName.values)}.",
                id="payments.E001",
            )
        )
    if not enabled:
        problems.append(
            Error(
                "MCPORTAL_PAYMENT_PROVIDERS is empty, so nobody can pay for a priced course.",
                hint="Enable at least bank_transfer.",
                id="payments.E002",
            )
        )
    if ProviderName.STRIPE in enabled and not (
        settings.MCPORTAL_STRIPE_SECRET_KEY and settings.MCPORTAL_STRIPE_WEBHOOK_SECRET
    ):
        problems.append(
            Error(
                "Stripe is enabled but its secret key or webhook secret is empty.",
                hint=(
                    "Set MCPORTAL_STRIPE_SECRET_KEY and MCPORTAL_STRIPE_WEBHOOK_SECRET "
                    "(the webhook endpoint is /payments/webhooks/stripe/)."
                ),
                id="payments.E003",
            )
        )
    return problems


@register(deploy=True)
def check_sandbox_off_in_production(app_configs, **kwargs):
    if ProviderName.SANDBOX in settings.MCPORTAL_PAYMENT_PROVIDERS:
        return [
            Error(
                "The sandbox payment provider is enabled: anyone could 'pay' without money.",
                hint="Set MCPORTAL_PAYMENT_PROVIDERS to stripe and/or bank_transfer in production.",
                id="payments.E004",
            )
        ]
    return []
