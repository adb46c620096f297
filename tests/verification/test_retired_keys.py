"""A retired signing key vouches only for proofs made before it retired; rotation breaks nothing old."""

import copy
import datetime as dt
import json

import pytest
from django.core.cache import cache

from credentials.jsonld.loader import portal_document_loader
from credentials.services.keys import load_active_signing_key, signing_key_retire, signing_key_rotate
from credentials.signing.proofs import format_timestamp, proof_create
from verification.services import (
    KEY_RETIREMENT_GRACE,
    verification_run_for_credential,
    verification_run_for_document,
)

pytestmark = pytest.mark.django_db


def _resigned(document: dict, key, *, created: dt.datetime) -> dict:
    """The same credential with a new proof by the (loaded) key, as anyone holding it could make it."""
    unsigned = copy.deepcopy(document)
    unsigned.pop("proof")
    return proof_create(
        document=unsigned,
        private_key=key.private_key,
        verification_method=key.verification_method,
        created=format_timestamp(created),
        document_loader=portal_document_loader(),
    )


def _check(report, name: str):
    return next(check for check in report.checks if check.name == name)


@pytest.fixture
def retired_key(credential):
    """(loaded old key, retired SigningKey row): the institution's key after a rotation."""
    loaded = load_active_signing_key(institution=credential.institution)
    signing_key_rotate(institution=credential.institution, actor=None)
    loaded.signing_key.refresh_from_db()
    return loaded, loaded.signing_key


def test_a_credential_signed_before_the_rotation_still_verifies(credential, retired_key):
    # given a credential signed by a key that has since been retired
    cache.clear()

    # when it is verified by its page and as an uploaded document
    stored = verification_run_for_credential(credential=credential)
    uploaded = verification_run_for_document(document=json.loads(credential.signed_document))

    # then both are valid and the key check says the key retired after the proof was made
    assert (stored.verdict, uploaded.verdict) == ("valid", "valid")
    key_check = _check(uploaded, "issuer_key")
    assert key_check.passed and key_check.code == ""
    assert "after this proof was made" in key_check.detail


def test_a_proof_made_after_the_key_retired_fails_the_issuer_key_check(signed_document, retired_key):
    # given a proof made with the retired key an hour after its retirement
    loaded, key = retired_key
    forged = _resigned(signed_document, loaded, created=key.retired_at + dt.timedelta(hours=1))

    # when it is verified
    report = verification_run_for_document(document=forged)

    # then the signature itself is intact, but the key no longer vouches for it
    assert _check(report, "signature").passed
    key_check = _check(report, "issuer_key")
    assert (key_check.passed, key_check.code) == (False, "issuer_key_retired")
    assert "a retired key signs nothing new" in key_check.detail
    assert report.verdict == "invalid"


def test_a_key_retired_without_a_successor_refuses_later_proofs_too(signed_document, credential):
    loaded = load_active_signing_key(institution=credential.institution)
    key = signing_key_retire(signing_key=loaded.signing_key, actor=None)
    forged = _resigned(signed_document, loaded, created=key.retired_at + dt.timedelta(days=2))

    report = verification_run_for_document(document=forged)

    assert _check(report, "issuer_key").code == "issuer_key_retired"
    assert report.verdict == "invalid"


def test_a_proof_made_moments_after_the_retirement_is_still_accepted(signed_document, retired_key):
    """A signer that loaded the key just before the rotation committed stamps a slightly later time."""
    loaded, key = retired_key
    just_after = key.retired_at + KEY_RETIREMENT_GRACE - dt.timedelta(seconds=1)
    in_flight = _resigned(signed_document, loaded, created=just_after)

    report = verification_run_for_document(document=in_flight)

    assert _check(report, "issuer_key").passed
    assert report.verdict == "valid"


def test_an_undated_proof_of_a_retired_key_fails(signed_document, retired_key):
    loaded, _key = retired_key
    undated = _resigned(signed_document, loaded, created=dt.datetime(2020, 1, 1, tzinfo=dt.UTC))
    # A proof without "created" cannot be re-signed by proof_create, so the field is dropped
    # from the signed proof options instead: the signature then fails as well, but the key check
    # must name the missing date rather than pass.
    del undated["proof"]["created"]

    report = verification_run_for_document(document=undated)

    key_check = _check(report, "issuer_key")
    assert (key_check.passed, key_check.code) == (False, "issuer_key_retired")
    assert "does not say when it was made" in key_check.detail


def test_a_future_dated_proof_of_a_live_key_is_not_cached_so_a_later_retirement_counts(
    signed_document, credential
):
    # given a proof of the active key dated a week ahead, verified (valid) while the key is live
    loaded = load_active_signing_key(institution=credential.institution)
    ahead = _resigned(signed_document, loaded, created=dt.datetime.now(dt.UTC) + dt.timedelta(days=7))
    assert verification_run_for_document(document=ahead).verdict == "valid"

    # when the key is retired before that date
    signing_key_rotate(institution=credential.institution, actor=None)

    # then the same bytes no longer verify: the earlier answer was not cached
    report = verification_run_for_document(document=ahead)
    assert _check(report, "issuer_key").code == "issuer_key_retired"
    assert report.verdict == "invalid"
