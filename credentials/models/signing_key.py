"""Issuer signing keys: Ed25519, public key in the clear, private key encrypted with the KEK."""
from __future__ import annotations

import hashlib

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from credentials.signing.multikey import multikey_to_public_key
from mcportal.core.models import BaseModel, Institution


class KeyStatus(models.TextChoices):
    """Lifecycle of stored key material: active signs; retired stays published for verification."""

    ACTIVE = "active", _("Active")
    RETIRED = "retired", _("Retired")


KEY_TRANSITIONS = {
    KeyStatus.ACTIVE: {KeyStatus.RETIRED},
    KeyStatus.RETIRED: set(),
}


class SigningKey(BaseModel):
    """One Ed25519 key of an institution (or, with no institution, of the portal itself).

    The active key signs new credentials; retired keys stay in the DID document so that what
    they signed keeps verifying. Only credentials.services.keys creates keys or changes status.
    """

    institution = models.ForeignKey(
        Institution,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="signing_keys",
        verbose_name=_("institution"),
        help_text=_("Empty for the portal's own key (published at /.well-known/did.json)."),
    )
    public_key_multibase = models.CharField(
        _("public key (Multikey)"), max_length=64, unique=True, editable=False
    )
    # serialize=False keeps even the ciphertext out of dumpdata fixtures.
    private_key_encrypted = models.BinaryField(editable=False, serialize=False)
    status = models.CharField(
        _("status"), max_length=16, choices=KeyStatus.choices, default=KeyStatus.ACTIVE, editable=False
    )
    retired_at = models.DateTimeField(_("retired at"), null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("signing key")
        verbose_name_plural = _("signing keys")
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=KeyStatus.values), name="credentials_signingkey_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(status=KeyStatus.ACTIVE, retired_at__isnull=True)
                | Q(status=KeyStatus.RETIRED, retired_at__isnull=False),
                name="credentials_signingkey_retired_at_matches_status",
            ),
            models.UniqueConstraint(
                fields=["institution"],
                condition=Q(status=KeyStatus.ACTIVE),
                name="credentials_signingkey_one_active_per_institution",
            ),
            # NULLs are distinct in a unique index, so the portal's single active key needs its
            # own constraint: at most one row may match the condition.
            models.UniqueConstraint(
                fields=["status"],
                condition=Q(institution__isnull=True, status=KeyStatus.ACTIVE),
                name="credentials_signingkey_one_active_portal_key",
            ),
        ]

    def __str__(self) -> str:
        owner = self.institution.short_name if self.institution_id else "portal"
        return f"{owner} key {self.public_key_multibase[:16]}… ({self.status})"

    @property
    def is_active(self) -> bool:
        return self.status == KeyStatus.ACTIVE

    def public_key(self) -> Ed25519PublicKey:
        """Return the public key parsed from its Multikey."""
        return multikey_to_public_key(self.public_key_multibase)

    @property
    def fingerprint(self) -> str:
        """SHA-256 of the raw public key, hex in colon-separated pairs (as tools print them)."""
        raw = self.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        digest = hashlib.sha256(raw).hexdigest()
        return ":".join(digest[index : index + 2] for index in range(0, len(digest), 2))

    def encryption_associated_data(self) -> bytes:
        """The bytes that bind the encrypted private key to this public key."""
        return b"mcportal signing key:" + self.public_key_multibase.encode("ascii")
