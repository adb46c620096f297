"""System checks of payments configuration."""

import pytest

from payments.checks import check_payment_providers, check_sandbox_off_in_production


@pytest.mark.parametrize(
    ("_case", "providers", "secret", "ids"),
    [
        ("embedded default", ["sandbox", "bank_transfer"], "", []),
        ("unknown provider", ["paypal"], "", ["payments.E001"]),
        ("none", [], "", ["payments.E002"]),
        ("stripe without keys", ["stripe"], "", ["payments.E003"]),
        ("stripe with keys", ["stripe"], "sk_test_x", []),
    ],
)
def test_payment_provider_checks(settings, _case, providers, secret, ids):
    settings.MCPORTAL_PAYMENT_PROVIDERS = providers
    settings.MCPORTAL_STRIPE_SECRET_KEY = secret
    settings.MCPORTAL_STRIPE_WEBHOOK_SECRET = secret

    assert [problem.id for problem in check_payment_providers(None)] == ids


def test_the_sandbox_is_an_error_in_a_deployment_check(settings):
    settings.MCPORTAL_PAYMENT_PROVIDERS = ["sandbox", "bank_transfer"]
    assert [problem.id for problem in check_sandbox_off_in_production(None)] == ["payments.E004"]

    settings.MCPORTAL_PAYMENT_PROVIDERS = ["stripe", "bank_transfer"]
    assert check_sandbox_off_in_production(None) == []
