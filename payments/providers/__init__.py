"""Payment providers behind one interface; provider_get picks one by name."""

from __future__ import annotations

from ..choices import ProviderName
from .base import PaymentProvider


def provider_get(name: str) -> PaymentProvider:
    """Return the adapter of the named provider (imports lazily: only the chosen one is loaded)."""
    if name == ProviderName.SANDBOX:
        from .sandbox import SandboxProvider

        return SandboxProvider()
    if name == ProviderName.STRIPE:
        from .stripe import StripeProvider

        return StripeProvider()
    if name == ProviderName.BANK_TRANSFER:
        from .bank_transfer import BankTransferProvider

        return BankTransferProvider()
    raise KeyError(name)


__all__ = ["PaymentProvider", "provider_get"]
