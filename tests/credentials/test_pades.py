"""PAdES B-T sealing with the local or a remote TSA, and validation of untrusted PDFs into verdicts."""

import dataclasses
import io
import os
import socket
import threading
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from asn1crypto import tsp
from django.db import transaction
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.fields import SigSeedSubFilter
from pyhanko.sign.signers import PdfSignatureMetadata, PdfSigner
from pyhanko.sign.timestamps import HTTPTimeStamper

from credentials.rendering import timestamping
from credentials.rendering.pades import (
    SIGNATURE_FIELD_NAME,
    PadesError,
    PadesVerdict,
    PreparedSigner,
    RemoteTimestampInTransaction,
    TimestampingFailed,
    embedded_file_read,
    pades_signer_cache_clear,
    pades_signer_get,
    sign_pades,
    validate_pades,
)
from credentials.rendering.pdf import credential_attachment, render_credential_pdf
from credentials.rendering.pki import (
    KeyAlgorithm,
    document_signing_certificate_issue,
    portal_ca_create,
    timestamping_certificate_issue,
)
from credentials.rendering.timestamping import (
    LocalTimeStamper,
    TimestampingUnavailable,
    timestamper_cache_clear,
    timestamper_get,
)
from tests.credentials.certificate_samples import (
    certificate_data,
    network_blocked,
    sample_pki,
    signed_credential_json,
)

REASON = "Micro-credential issued by Universidad de Salamanca"


@pytest.fixture(scope="module")
def pki():
    return sample_pki()


@pytest.fixture(scope="module")
def unsigned_pdf() -> bytes:
    return render_credential_pdf(
        certificate=certificate_data(), attachments=[credential_attachment(signed_credential_json())]
    )


@pytest.fixture(scope="module")
def signer(pki) -> PreparedSigner:
    return PreparedSigner(
        private_key=pki.seal.private_key, certificate=pki.seal.certificate, chain=pki.seal.chain
    )


@pytest.fixture(scope="module")
def local_tsa(pki) -> LocalTimeStamper:
    return LocalTimeStamper(
        private_key=pki.tsa.private_key, certificate=pki.tsa.certificate, chain=pki.tsa.chain
    )


@pytest.fixture(scope="module")
def sealed_pdf(unsigned_pdf, signer, local_tsa) -> bytes:
    return sign_pades(
        pdf=unsigned_pdf, signer=signer, timestamper=local_tsa, reason=REASON, location="Salamanca"
    )


@pytest.fixture(autouse=True)
def _fresh_process_caches():
    pades_signer_cache_clear()
    timestamper_cache_clear()
    yield
    pades_signer_cache_clear()
    timestamper_cache_clear()


def _validate(pdf: bytes, roots) -> object:
    with network_blocked() as attempts:
        report = validate_pades(pdf_bytes=pdf, trust_roots=roots)
    assert attempts == []
    return report


def _flip(pdf: bytes, offset: int) -> bytes:
    return pdf[:offset] + bytes([pdf[offset] ^ 0x01]) + pdf[offset + 1 :]


def test_sealed_pdf_validates_as_pades_b_t_covering_the_whole_document(sealed_pdf, pki):
    report = _validate(sealed_pdf, [pki.ca.certificate])

    assert report.verdict is PadesVerdict.VALID
    assert report.is_valid
    assert (report.intact, report.signature_valid, report.trusted) == (True, True, True)
    assert report.covers_whole_document is True
    assert report.signature_count == 1
    assert (report.timestamp_present, report.timestamp_valid) == (True, True)
    assert abs(report.timestamp_time - datetime.now(UTC)) < timedelta(minutes=5)
    assert "Universidad de Salamanca" in report.signer_subject
    assert "Country: ES" in report.signer_subject
    assert "mcportal Test Timestamping Authority" in report.timestamp_authority


def test_embedded_credential_round_trips_byte_for_byte(sealed_pdf, pki):
    report = _validate(sealed_pdf, [pki.ca.certificate])

    assert report.embedded_credential == signed_credential_json()
    assert embedded_file_read(sealed_pdf) == signed_credential_json()


def test_seal_is_a_cades_detached_signature_with_reason_and_location(sealed_pdf):
    (signature,) = PdfFileReader(io.BytesIO(sealed_pdf)).embedded_signatures
    dictionary = signature.sig_object

    assert signature.field_name == SIGNATURE_FIELD_NAME
    assert dictionary["/SubFilter"] == "/ETSI.CAdES.detached"
    assert dictionary["/Reason"] == REASON
    assert dictionary["/Location"] == "Salamanca"


def test_sealing_appends_an_incremental_update_and_keeps_the_original_bytes(sealed_pdf, unsigned_pdf):
    assert sealed_pdf.startswith(unsigned_pdf)
    assert PdfFileReader(io.BytesIO(sealed_pdf)).xrefs.total_revisions == 2


def test_sealing_reuses_the_size_estimate_and_the_signatures_stay_valid(unsigned_pdf, signer, local_tsa, pki):
    first = sign_pades(pdf=unsigned_pdf, signer=signer, timestamper=local_tsa, reason=REASON)
    second = sign_pades(pdf=unsigned_pdf, signer=signer, timestamper=local_tsa, reason=REASON)

    assert _container_size(first) == _container_size(second) == signer.reserved_bytes(local_tsa) // 2
    assert _validate(second, [pki.ca.certificate]).verdict is PadesVerdict.VALID


def _change_hex_digit(pdf: bytes, offset: int) -> bytes:
    """Replace one hex digit by another, so the /Contents string stays well-formed hex."""
    replacement = b"1" if pdf[offset : offset + 1] != b"1" else b"2"
    return pdf[:offset] + replacement + pdf[offset + 1 :]


def _container(pdf: bytes) -> tuple[int, bytes]:
    """Offset of the /Contents hex string in the file, and the bytes it holds."""
    start = pdf.rindex(b"/Contents <") + len(b"/Contents <")
    return start, bytes.fromhex(pdf[start : pdf.index(b">", start)].decode())


def _container_size(pdf: bytes) -> int:
    return len(_container(pdf)[1])


def _hex_offset_of(pdf: bytes, value: bytes) -> int:
    """Offset in the file of the hex digits encoding ``value`` inside the signature container."""
    start, container = _container(pdf)
    return start + 2 * container.index(value)


def _signature_value_offset(pdf: bytes) -> int:
    (signature,) = PdfFileReader(io.BytesIO(pdf)).embedded_signatures
    return _hex_offset_of(pdf, signature.signer_info["signature"].native) + 16


def _timestamp_signature_offset(pdf: bytes) -> int:
    (signature,) = PdfFileReader(io.BytesIO(pdf)).embedded_signatures
    token = signature.signer_info["unsigned_attrs"][0]["values"][0]
    return _hex_offset_of(pdf, token["content"]["signer_infos"][0]["signature"].native) + 16


def _stream_data_offset(pdf: bytes, marker: bytes) -> int:
    return pdf.index(b"stream\n", pdf.index(marker)) + len(b"stream\n") + 5


def _page_content_offset(pdf: bytes) -> int:
    page = PdfFileReader(io.BytesIO(pdf)).root["/Pages"]["/Kids"][0]
    number = page.raw_get("/Contents").idnum
    return _stream_data_offset(pdf, b"\n%d 0 obj" % number)


@pytest.mark.parametrize(
    ("_case", "locate", "verdict"),
    [
        ("ICC profile stream", lambda pdf: _stream_data_offset(pdf, b"/N 3"), PadesVerdict.MODIFIED),
        (
            "embedded credential",
            lambda pdf: _stream_data_offset(pdf, b"/EmbeddedFile"),
            PadesVerdict.MODIFIED,
        ),
        ("page content", _page_content_offset, PadesVerdict.MODIFIED),
        ("signature value", _signature_value_offset, PadesVerdict.SIGNATURE_INVALID),
        ("timestamp token signature", _timestamp_signature_offset, PadesVerdict.TIMESTAMP_INVALID),
        ("container padding", lambda pdf: pdf.index(b"00000000>") + 4, PadesVerdict.MODIFIED),
        ("container structure", lambda pdf: _container(pdf)[0] + 3, PadesVerdict.DAMAGED),
    ],
)
def test_changing_one_byte_breaks_the_seal(sealed_pdf, pki, _case, locate, verdict):
    offset = locate(sealed_pdf)
    start, container = _container(sealed_pdf)
    in_container = start <= offset < start + 2 * len(container)
    tampered = _change_hex_digit(sealed_pdf, offset) if in_container else _flip(sealed_pdf, offset)

    report = _validate(tampered, [pki.ca.certificate])

    assert report.verdict is verdict
    assert report.is_valid is False


@pytest.mark.parametrize("fraction", [0.05, 0.2, 0.35, 0.5, 0.65, 0.8, 0.95])
def test_changing_a_byte_anywhere_never_validates_and_never_raises(sealed_pdf, pki, fraction):
    tampered = _flip(sealed_pdf, int(len(sealed_pdf) * fraction))

    report = _validate(tampered, [pki.ca.certificate])

    assert report.verdict in {
        PadesVerdict.MODIFIED,
        PadesVerdict.DAMAGED,
        PadesVerdict.SIGNATURE_INVALID,
        PadesVerdict.UNSIGNED,
    }


def test_no_hex_digit_of_the_signature_container_can_change_unnoticed(sealed_pdf, pki):
    start, container = _container(sealed_pdf)
    used = len(container.rstrip(b"\0")) * 2
    changed = []
    for offset in range(start, start + used, 41):
        report = _validate(_change_hex_digit(sealed_pdf, offset), [pki.ca.certificate])
        changed.append(report.is_valid)

    assert len(changed) > 100
    assert not any(changed)


def test_hex_digit_written_in_the_other_case_is_a_change(sealed_pdf, pki):
    start, _container_bytes = _container(sealed_pdf)
    offset = next(index for index in range(start, start + 200) if sealed_pdf[index : index + 1] in b"ABCDEF")
    tampered = sealed_pdf[:offset] + sealed_pdf[offset : offset + 1].lower() + sealed_pdf[offset + 1 :]

    report = _validate(tampered, [pki.ca.certificate])

    assert report.verdict is PadesVerdict.MODIFIED


def test_bytes_appended_after_the_end_of_file_are_a_change(sealed_pdf, pki):
    report = _validate(sealed_pdf + b"\n% appended\n", [pki.ca.certificate])

    assert report.verdict is PadesVerdict.MODIFIED
    assert report.covers_whole_document is False


def test_an_embedded_root_certificate_no_signature_covers_cannot_be_altered(unsigned_pdf, pki, local_tsa):
    signer = PreparedSigner(
        private_key=pki.seal.private_key, certificate=pki.seal.certificate, chain=pki.seal.chain
    )
    signer.embed_roots = True
    pdf = sign_pades(pdf=unsigned_pdf, signer=signer, timestamper=local_tsa, reason=REASON)
    root_signature = pki.ca.certificate.signature
    tampered = _change_hex_digit(pdf, _hex_offset_of(pdf, root_signature) + 20)

    assert _validate(pdf, [pki.ca.certificate]).verdict is PadesVerdict.VALID
    assert _validate(tampered, [pki.ca.certificate]).verdict is PadesVerdict.MODIFIED


def test_credential_swapped_in_a_later_revision_is_detected_and_the_sealed_one_reported(sealed_pdf, pki):
    writer = IncrementalPdfFileWriter(io.BytesIO(sealed_pdf))
    file_spec = writer.root["/Names"]["/EmbeddedFiles"]["/Names"][1]
    forged = generic.StreamObject(
        {"/Type": generic.NameObject("/EmbeddedFile")}, stream_data=b'{"name": "Forged Name"}'
    )
    file_spec.get_object()["/EF"]["/F"] = writer.add_object(forged)
    writer.update_container(file_spec.get_object())
    output = io.BytesIO()
    writer.write(output)

    report = _validate(output.getvalue(), [pki.ca.certificate])

    assert embedded_file_read(output.getvalue()) == b'{"name": "Forged Name"}'
    assert report.verdict is PadesVerdict.MODIFIED
    assert report.covers_whole_document is False
    assert report.embedded_credential == signed_credential_json()


def test_seal_from_another_ca_is_untrusted(sealed_pdf):
    stranger = portal_ca_create(common_name="Other CA", organisation_name="Elsewhere", country_code="DE")

    report = _validate(sealed_pdf, [stranger.certificate])

    assert report.verdict is PadesVerdict.UNTRUSTED
    assert (report.intact, report.signature_valid, report.trusted) == (True, True, False)


def test_without_trust_roots_nothing_is_trusted(sealed_pdf):
    assert _validate(sealed_pdf, []).verdict is PadesVerdict.UNTRUSTED


def test_timestamp_from_an_untrusted_tsa_is_reported(unsigned_pdf, signer, pki):
    other = portal_ca_create(common_name="Rogue CA", organisation_name="Rogue", country_code="DE")
    rogue_tsa = timestamping_certificate_issue(
        ca=other, common_name="Rogue TSA", organisation_name="Rogue", country_code="DE"
    )
    timestamper = LocalTimeStamper(
        private_key=rogue_tsa.private_key, certificate=rogue_tsa.certificate, chain=rogue_tsa.chain
    )
    pdf = sign_pades(pdf=unsigned_pdf, signer=signer, timestamper=timestamper, reason=REASON)

    report = _validate(pdf, [pki.ca.certificate])

    assert report.verdict is PadesVerdict.TIMESTAMP_INVALID
    assert (report.trusted, report.timestamp_present, report.timestamp_valid) == (True, True, False)


def test_signature_without_timestamp_is_not_b_t(unsigned_pdf, signer, pki):
    metadata = PdfSignatureMetadata(
        field_name="bare", md_algorithm="sha256", subfilter=SigSeedSubFilter.PADES
    )
    pdf = (
        PdfSigner(metadata, signer=signer)
        .sign_pdf(IncrementalPdfFileWriter(io.BytesIO(unsigned_pdf)))
        .getvalue()
    )

    report = _validate(pdf, [pki.ca.certificate])

    assert report.verdict is PadesVerdict.TIMESTAMP_MISSING
    assert (report.trusted, report.timestamp_present) == (True, False)


def test_expired_seal_still_validates_at_the_time_its_timestamp_proves(unsigned_pdf, monkeypatch):
    long_ago = datetime.now(UTC) - timedelta(days=400)
    ca = portal_ca_create(common_name="CA", organisation_name="mcportal", country_code="BE", now=long_ago)
    seal = document_signing_certificate_issue(
        ca=ca,
        organisation_name="Universidad de Salamanca",
        country_code="ES",
        valid_for=timedelta(days=30),
        now=long_ago,
    )
    tsa = timestamping_certificate_issue(
        ca=ca, common_name="TSA", organisation_name="mcportal", country_code="BE", now=long_ago
    )
    monkeypatch.setattr(timestamping.clock, "now", lambda: long_ago + timedelta(days=10))
    pdf = sign_pades(
        pdf=unsigned_pdf,
        signer=PreparedSigner(private_key=seal.private_key, certificate=seal.certificate, chain=seal.chain),
        timestamper=LocalTimeStamper(
            private_key=tsa.private_key, certificate=tsa.certificate, chain=tsa.chain
        ),
        reason=REASON,
    )
    monkeypatch.undo()

    report = _validate(pdf, [ca.certificate])

    assert seal.certificate.not_valid_after_utc < datetime.now(UTC)
    assert report.verdict is PadesVerdict.VALID
    assert report.timestamp_time == (long_ago + timedelta(days=10)).replace(microsecond=0)


def test_rsa_keys_seal_and_validate(unsigned_pdf):
    rsa_pki = sample_pki(KeyAlgorithm.RSA_3072)
    pdf = sign_pades(
        pdf=unsigned_pdf,
        signer=PreparedSigner(
            private_key=rsa_pki.seal.private_key,
            certificate=rsa_pki.seal.certificate,
            chain=rsa_pki.seal.chain,
        ),
        timestamper=LocalTimeStamper(
            private_key=rsa_pki.tsa.private_key, certificate=rsa_pki.tsa.certificate, chain=rsa_pki.tsa.chain
        ),
        reason=REASON,
    )

    assert _validate(pdf, [rsa_pki.ca.certificate]).verdict is PadesVerdict.VALID


def test_unsigned_pdf_is_reported_as_unsigned_with_its_attachment(unsigned_pdf, pki):
    report = _validate(unsigned_pdf, [pki.ca.certificate])

    assert report.verdict is PadesVerdict.UNSIGNED
    assert report.signature_count == 0
    assert report.embedded_credential == signed_credential_json()


@pytest.mark.parametrize(
    ("_case", "document", "verdict"),
    [
        ("random bytes", os.urandom(4096), PadesVerdict.NOT_A_PDF),
        ("empty", b"", PadesVerdict.NOT_A_PDF),
        ("JSON", signed_credential_json(), PadesVerdict.NOT_A_PDF),
        ("header only", b"%PDF-1.7\n" + os.urandom(2048), PadesVerdict.DAMAGED),
        ("not bytes", "%PDF-1.7", PadesVerdict.NOT_A_PDF),
    ],
)
def test_non_pdfs_and_garbage_get_a_verdict_not_an_exception(pki, _case, document, verdict):
    report = _validate(document, [pki.ca.certificate])

    assert report.verdict is verdict
    assert report.embedded_credential is None
    assert report.detail


def test_truncated_sealed_pdf_gets_a_verdict(sealed_pdf, pki):
    report = _validate(sealed_pdf[: len(sealed_pdf) - 200], [pki.ca.certificate])

    assert report.verdict in {PadesVerdict.DAMAGED, PadesVerdict.UNSIGNED}


def test_sealing_a_non_pdf_raises_a_pades_error(signer, local_tsa):
    with pytest.raises(PadesError, match="not a readable PDF"):
        sign_pades(pdf=b"not a pdf", signer=signer, timestamper=local_tsa, reason=REASON)


def test_signer_refuses_a_key_that_does_not_match_its_certificate(pki):
    with pytest.raises(PadesError, match="does not belong"):
        PreparedSigner(private_key=pki.tsa.private_key, certificate=pki.seal.certificate)


def test_signer_key_is_loaded_once_per_certificate_per_process(pki):
    loads = []

    def load_seal_key():
        loads.append("seal")
        return pki.seal.private_key

    first = pades_signer_get(
        certificate=pki.seal.certificate, chain=pki.seal.chain, load_private_key=load_seal_key
    )
    second = pades_signer_get(
        certificate=pki.seal.certificate, chain=pki.seal.chain, load_private_key=load_seal_key
    )
    other = pades_signer_get(certificate=pki.tsa.certificate, load_private_key=lambda: pki.tsa.private_key)

    assert first is second
    assert other is not first
    assert loads == ["seal"]


def test_local_timestamper_is_the_default_and_loaded_once(settings, pki):
    settings.MCPORTAL_TSA_URL = ""
    loads = []

    def load_tsa_key():
        loads.append("tsa")
        return pki.tsa.private_key

    first = timestamper_get(local_certificate=pki.tsa.certificate, load_local_private_key=load_tsa_key)
    second = timestamper_get(local_certificate=pki.tsa.certificate, load_local_private_key=load_tsa_key)

    assert isinstance(first, LocalTimeStamper)
    assert first is second
    assert loads == ["tsa"]


def test_without_a_tsa_url_or_local_key_timestamping_is_unavailable(settings):
    settings.MCPORTAL_TSA_URL = ""

    with pytest.raises(TimestampingUnavailable):
        timestamper_get()


def test_local_tsa_rejects_hash_algorithms_it_does_not_accept(local_tsa):
    _nonce, request = local_tsa.request_cms(b"\0" * 20, "sha1")

    response = local_tsa.request_tsa_response(request)

    assert response["status"]["status"].native == "rejection"
    assert response["status"]["fail_info"].native == {"bad_alg"}


class _TsaServer:
    """A real RFC 3161 HTTP endpoint on 127.0.0.1 answering with the test TSA key."""

    def __init__(self, timestamper: LocalTimeStamper) -> None:
        self.requests = 0
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (http.server's naming)
                outer.requests += 1
                body = self.rfile.read(int(self.headers["Content-Length"]))
                reply = timestamper.request_tsa_response(tsp.TimeStampReq.load(body)).dump()
                self.send_response(200)
                self.send_header("Content-Type", "application/timestamp-reply")
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

            def log_message(self, *args):
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/tsr"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


def test_configured_tsa_url_is_used_over_http(settings, unsigned_pdf, signer, local_tsa, pki):
    with _TsaServer(local_tsa) as server:
        settings.MCPORTAL_TSA_URL = server.url
        timestamper = timestamper_get()
        pdf = sign_pades(pdf=unsigned_pdf, signer=signer, timestamper=timestamper, reason=REASON)

    assert isinstance(timestamper, HTTPTimeStamper)
    assert server.requests == 2  # one size-estimation token (cached afterwards), one real timestamp
    assert _validate(pdf, [pki.ca.certificate]).verdict is PadesVerdict.VALID


@pytest.mark.django_db
def test_remote_tsa_is_never_called_inside_a_database_transaction(settings, unsigned_pdf, signer, local_tsa):
    with _TsaServer(local_tsa) as server:
        settings.MCPORTAL_TSA_URL = server.url
        with transaction.atomic(), pytest.raises(RemoteTimestampInTransaction):
            sign_pades(pdf=unsigned_pdf, signer=signer, timestamper=timestamper_get(), reason=REASON)

    assert server.requests == 0


def test_unreachable_tsa_raises_a_retryable_error(settings, unsigned_pdf, signer):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings.MCPORTAL_TSA_URL = f"http://127.0.0.1:{port}/tsr"

    with pytest.raises(TimestampingFailed):
        sign_pades(pdf=unsigned_pdf, signer=signer, timestamper=timestamper_get(), reason=REASON)


def test_report_repr_does_not_dump_the_credential(sealed_pdf, pki):
    report = _validate(sealed_pdf, [pki.ca.certificate])

    assert "embedded_credential" not in repr(report)
    assert dataclasses.asdict(report)["embedded_credential"] == signed_credential_json()
