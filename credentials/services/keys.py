"""Issuer signing keys: generate, rotate, retire, and load the active key for signing.

Each write is atomic and audited. A new key signs from the moment it is active; retired keys stay
in the DID document, so credentials they signed keep verifying. Private keys only ever leave this
module inside a LoadedSigningKey, whose repr hides them.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.db import IntegrityError, transaction
from django.db.models import QuerySet

from credentials.did import verification_method_id
from credentials.did_resolution import issuer_did_for
from credentials.models import KEY_TRANSITIONS, KeyStatus, SigningKey
from credentials.signing.keys import ed25519_private_key_decrypt, private_key_encrypt
from credentials.signing.multikey import public_key_to_multikey
from mcportal.core import clock
from mcportal.core.audit import audit_record
from mcportal.core.exceptions import Conflict, InvalidTransition
from mcportal.core.models import Institution


class SigningKeyMissing(Conflict):
    """The institution (or the portal) has no active signing key, so nothing can be signed."""

    def __init__(self, institution: Institution | None) -> None:
        owner = institution.short_name if institution is not None else "The portal"
        super().__init__(
            f"{owner} has no active signing key. Generate one in the admin (Signing keys) or "
            "with “manage.py signing_key_rotate”."
        )
        self.institution = institution


@dataclass(frozen=True)
class LoadedSigningKey:
    """The active key, decrypted, with the verification method id that proofs must name."""

    signing_key: SigningKey
    verification_method: str
    private_key: Ed25519PrivateKey = field(repr=False)


def signing_key_qs_for_update() -> QuerySet[SigningKey]:
    """Signing keys locked for a read-modify-write, in pk order."""
    return SigningKey.objects.select_for_update(no_key=True).order_by("pk")


def _owned_by(queryset: QuerySet[SigningKey], institution: Institution | None) -> QuerySet[SigningKey]:
    if institution is None:
        return queryset.filter(institution__isnull=True)
    return queryset.filter(institution=institution)


def _lock_owner(institution: Institution | None) -> None:
    # Parent before child: two rotations of one institution queue here instead of racing
    # to the unique constraint. The portal has no row; its constraint is the guard.
    if institution is not None:
        list(Institution.objects.select_for_update(no_key=True).filter(pk=institution.pk))


def _active_locked(institution: Institution | None) -> SigningKey | None:
    return _owned_by(signing_key_qs_for_update(), institution).filter(status=KeyStatus.ACTIVE).first()


def _create(institution: Institution | None) -> SigningKey:
    private_key = Ed25519PrivateKey.generate()
    key = SigningKey(
        institution=institution, public_key_multibase=public_key_to_multikey(private_key.public_key())
    )
    key.private_key_encrypted = private_key_encrypt(
        private_key, associated_data=key.encryption_associated_data()
    )
    try:
        with transaction.atomic():
            key.save()
    except IntegrityError:
        raise Conflict(
            "Another signing key was activated at the same moment; reload and try again."
        ) from None
    return key


def _retire(key: SigningKey) -> None:
    if KeyStatus.RETIRED not in KEY_TRANSITIONS[KeyStatus(key.status)]:
        raise InvalidTransition(key.status, KeyStatus.RETIRED, entity="signing key")
    key.status = KeyStatus.RETIRED
    key.retired_at = clock.now()
    key.save(update_fields=["status", "retired_at", "updated_at"])


@transaction.atomic
def signing_key_generate(*, institution: Institution | None, actor) -> SigningKey:
    """Create the first active key of an institution (None: the portal) and audit it.

    Raises Conflict if an active key exists already (rotate it instead).
    """
    _lock_owner(institution)
    if _active_locked(institution) is not None:
        raise Conflict(
            "There is an active signing key already; rotate it to replace it with a new one."
        )
    key = _create(institution)
    audit_record(
        actor=actor,
        action="signing_key.generated",
        target=key,
        institution=institution,
        data={"public_key_multibase": key.public_key_multibase},
    )
    return key


@transaction.atomic
def signing_key_rotate(*, institution: Institution | None, actor) -> SigningKey:
    """Activate a new key and retire the previous active one (if any), in one transaction.

    The retired key stays published in the DID document; audited as ``signing_key.rotated``.
    """
    _lock_owner(institution)
    previous = _active_locked(institution)
    if previous is not None:
        _retire(previous)
    key = _create(institution)
    audit_record(
        actor=actor,
        action="signing_key.rotated",
        target=key,
        institution=institution,
        data={
            "public_key_multibase": key.public_key_multibase,
            "retired_public_key_multibase": previous.public_key_multibase if previous else None,
        },
    )
    return key


@transaction.atomic
def signing_key_retire(*, signing_key: SigningKey, actor) -> SigningKey:
    """Retire an active key without a successor: nothing is signed until a new key is generated.

    The key stays in the DID document. Raises InvalidTransition if it is retired already.
    """
    _lock_owner(signing_key.institution)
    key = signing_key_qs_for_update().get(pk=signing_key.pk)
    _retire(key)
    audit_record(
        actor=actor,
        action="signing_key.retired",
        target=key,
        institution=key.institution,
        data={"public_key_multibase": key.public_key_multibase},
    )
    return key


@transaction.atomic
def signing_key_ensure_active(*, institution: Institution | None, actor) -> SigningKey:
    """Return the active key, generating (and auditing) one if there is none; safe to repeat."""
    _lock_owner(institution)
    existing = _active_locked(institution)
    if existing is not None:
        return existing
    try:
        return signing_key_generate(institution=institution, actor=actor)
    except Conflict:
        # Only the portal (no row to lock) can get here: a concurrent call won the race.
        key = _owned_by(SigningKey.objects.all(), institution).filter(status=KeyStatus.ACTIVE).first()
        if key is None:
            raise
        return key


def load_active_signing_key(*, institution: Institution | None) -> LoadedSigningKey:
    """Return the active key of an institution (None: the portal), decrypted for signing.

    Raises SigningKeyMissing when there is none, and a credentials.signing.keys
    KeyEncryptionError when the configured KEK cannot decrypt it.
    """
    # A constraint allows one active key per owner, so no ordering (and no join) is needed:
    # this runs once per issued credential.
    found = list(_owned_by(SigningKey.objects.order_by(), institution).filter(status=KeyStatus.ACTIVE)[:1])
    if not found:
        raise SigningKeyMissing(institution)
    key = found[0]
    key.institution = institution
    private_key = ed25519_private_key_decrypt(
        key.private_key_encrypted, associated_data=key.encryption_associated_data()
    )
    return LoadedSigningKey(
        signing_key=key,
        verification_method=verification_method_id(issuer_did_for(institution), key.public_key_multibase),
        private_key=private_key,
    )
