"""X.509 material for signing PDFs: the portal CA, document signers and the timestamping key."""
from __future__ import annotations

from cryptography import x509
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from mcportal.core.models import BaseModel, Institution

from .signing_key import KeyStatus


class DocumentSigningIdentityKind(models.TextChoices):
    """What a certificate and its key are used for."""

    PORTAL_CA = "portal_ca", _("Portal certificate authority")
    DOCUMENT_SIGNER = "document_signer", _("Document signer (PAdES)")
    TIMESTAMP_AUTHORITY = "timestamp_authority", _("Timestamp authority (RFC 3161)")


# Kinds that belong to the portal as a whole and never to one institution.
PORTAL_ONLY_KINDS = (DocumentSigningIdentityKind.PORTAL_CA, DocumentSigningIdentityKind.TIMESTAMP_AUTHORITY)


class DocumentSigningIdentity(BaseModel):
    """A certificate (with its chain) and its private key, encrypted with the KEK.

    At most one identity of each kind is active per institution (and per kind for the portal);
    only credentials.services.x509 creates identities or changes their status.
    """

    institution = models.ForeignKey(
        Institution,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="document_signing_identities",
        verbose_name=_("institution"),
        help_text=_("Empty for identities of the portal itself."),
    )
    kind = models.CharField(_("kind"), max_length=32, choices=DocumentSigningIdentityKind.choices)
    status = models.CharField(
        _("status"), max_length=16, choices=KeyStatus.choices, default=KeyStatus.ACTIVE, editable=False
    )
    certificate_pem = models.TextField(_("certificate (PEM)"), editable=False)
    chain_pem = models.TextField(
        _("chain (PEM)"), blank=True, editable=False,
        help_text=_("Intermediate and root certificates, signer's issuer first."),
    )
    # serialize=False keeps even the ciphertext out of dumpdata fixtures.
    private_key_encrypted = models.BinaryField(editable=False, serialize=False)
    subject = models.CharField(_("subject"), max_length=1024, editable=False)
    issuer = models.CharField(_("issuer"), max_length=1024, editable=False)
    serial_number = models.CharField(_("serial number"), max_length=64, editable=False)
    fingerprint_sha256 = models.CharField(
        _("SHA-256 fingerprint"), max_length=64, unique=True, editable=False
    )
    valid_from = models.DateTimeField(_("valid from"), editable=False)
    valid_until = models.DateTimeField(_("valid until"), editable=False)
    retired_at = models.DateTimeField(_("retired at"), null=True, blank=True, editable=False)

    class Meta:
        ordering = ["kind", "-created_at", "-pk"]
        verbose_name = _("document signing identity")
        verbose_name_plural = _("document signing identities")
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=KeyStatus.values),
                name="credentials_docsigning_status_valid",
            ),
            models.CheckConstraint(
                condition=Q(kind__in=DocumentSigningIdentityKind.values),
                name="credentials_docsigning_kind_valid",
            ),
            models.CheckConstraint(
                condition=Q(institution__isnull=True) | ~Q(kind__in=PORTAL_ONLY_KINDS),
                name="credentials_docsigning_portal_only_kinds",
            ),
            models.CheckConstraint(
                condition=Q(valid_until__gt=F("valid_from")),
                name="credentials_docsigning_validity_ordered",
            ),
            models.CheckConstraint(
                condition=Q(status=KeyStatus.ACTIVE, retired_at__isnull=True)
                | Q(status=KeyStatus.RETIRED, retired_at__isnull=False),
                name="credentials_docsigning_retired_at_matches_status",
            ),
            models.UniqueConstraint(
                fields=["institution", "kind"],
                condition=Q(status=KeyStatus.ACTIVE),
                name="credentials_docsigning_one_active_per_kind",
            ),
            # NULLs are distinct in a unique index: the portal's identities need their own.
            models.UniqueConstraint(
                fields=["kind"],
                condition=Q(institution__isnull=True, status=KeyStatus.ACTIVE),
                name="credentials_docsigning_one_active_portal_kind",
            ),
        ]

    def __str__(self) -> str:
        owner = self.institution.short_name if self.institution_id else "portal"
        return f"{owner} {self.kind}: {self.subject} ({self.fingerprint_sha256[:16]}…)"

    @property
    def is_active(self) -> bool:
        return self.status == KeyStatus.ACTIVE

    def certificate(self) -> x509.Certificate:
        """Return the parsed certificate."""
        return x509.load_pem_x509_certificate(self.certificate_pem.encode("ascii"))

    def chain(self) -> list[x509.Certificate]:
        """Return the parsed chain certificates (possibly none), in stored order."""
        if not self.chain_pem.strip():
            return []
        return x509.load_pem_x509_certificates(self.chain_pem.encode("ascii"))

    def encryption_associated_data(self) -> bytes:
        """The bytes that bind the encrypted private key to this certificate."""
        return b"mcportal document signing identity:" + self.fingerprint_sha256.encode("ascii")
