"""System checks of credentials: pinned contexts intact, KEK configured, a did:web-able public URL."""
import json
import shutil

import pytest
from django.core.checks import Error, Warning
from django.core.checks.registry import registry

from credentials import checks
from credentials.jsonld import loader

TEST_KEK = "dGVzdC1rZWstMDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3"


@pytest.fixture
def contexts_copy(tmp_path, monkeypatch):
    """A copy of the pinned contexts that the loader reads instead of the real ones."""
    directory = tmp_path / "contexts"
    shutil.copytree(loader.CONTEXTS_DIR, directory)
    monkeypatch.setattr(loader, "CONTEXTS_DIR", directory)
    return directory


def test_checks_are_registered():
    registered = set(registry.get_checks(include_deployment_checks=True))

    assert {
        checks.check_pinned_contexts,
        checks.check_key_encryption_key,
        checks.check_key_encryption_key_strength,
        checks.check_public_url_for_did_web,
    } <= registered


def test_pinned_contexts_check_passes_on_the_repository_files():
    assert checks.check_pinned_contexts(None) == []


def test_a_changed_context_file_is_an_error(contexts_copy):
    # given one pinned file changed by a single byte
    target = contexts_copy / "credentials-v2.jsonld"
    target.write_bytes(target.read_bytes().replace(b"VerifiableCredential", b"VerifiableCredentiaI", 1))

    # when the checks run
    problems = checks.check_pinned_contexts(None)

    # then boot stops with the file named
    assert [(type(p), p.id) for p in problems] == [(Error, "credentials.E001")]
    assert "credentials-v2.jsonld has SHA-256" in problems[0].msg


def test_a_missing_context_file_is_an_error(contexts_copy):
    (contexts_copy / "did-v1.jsonld").unlink()

    problems = checks.check_pinned_contexts(None)

    assert [p.id for p in problems] == ["credentials.E001"]
    assert "did-v1.jsonld" in problems[0].msg


def test_a_broken_manifest_is_an_error(contexts_copy):
    manifest = json.loads((contexts_copy / "manifest.json").read_text())
    del manifest["own"]
    (contexts_copy / "manifest.json").write_text(json.dumps(manifest))

    assert [p.id for p in checks.check_pinned_contexts(None)] == ["credentials.E001"]


def test_a_configured_kek_passes(settings):
    settings.MCPORTAL_KEY_ENCRYPTION_KEY = TEST_KEK

    assert checks.check_key_encryption_key(None) == []
    assert checks.check_key_encryption_key_strength(None) == []


def test_no_kek_outside_production_warns_about_the_development_file(settings, tmp_path):
    settings.MCPORTAL_KEY_ENCRYPTION_KEY = ""
    settings.VAR_DIR = tmp_path

    problems = checks.check_key_encryption_key(None)

    assert [(type(p), p.id) for p in problems] == [(Warning, "credentials.W001")]
    assert problems[0].msg == (
        "MCPORTAL_KEY_ENCRYPTION_KEY is not set: private keys are encrypted with a development key "
        f"in {tmp_path / 'secrets' / 'dev-kek'} (created on first use)."
    )
    # the check itself creates nothing
    assert list(tmp_path.iterdir()) == []


def test_no_kek_in_production_is_an_error(settings):
    settings.MCPORTAL_KEY_ENCRYPTION_KEY = ""
    settings.SETTINGS_MODULE = "mcportal.settings.production"

    problems = checks.check_key_encryption_key(None)

    assert [(type(p), p.id) for p in problems] == [(Error, "credentials.E002")]
    assert problems[0].msg == "MCPORTAL_KEY_ENCRYPTION_KEY is not set."


def test_a_short_kek_warns_on_deploy(settings):
    settings.MCPORTAL_KEY_ENCRYPTION_KEY = "short-secret"

    problems = checks.check_key_encryption_key_strength(None)

    assert [(type(p), p.id, p.msg) for p in problems] == [
        (Warning, "credentials.W002", "MCPORTAL_KEY_ENCRYPTION_KEY has only 12 characters.")
    ]


@pytest.mark.parametrize(
    ("public_url", "expected", "_case"),
    [
        ("https://portal.example.edu", [], "origin"),
        ("http://127.0.0.1:8000", [], "embedded default"),
        ("https://example.edu/portal", ["credentials.W003"], "with a path"),
        ("portal.example.edu", ["credentials.E003"], "no scheme, so no host"),
    ],
)
def test_public_url_must_name_a_did_web_host(public_url, expected, _case, settings):
    settings.MCPORTAL_PUBLIC_URL = public_url

    assert [p.id for p in checks.check_public_url_for_did_web(None)] == expected
