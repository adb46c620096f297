"""Strict checks on a PDF seal's CMS container: the bytes that no signature covers must be canonical.

A PDF signature covers the whole file except its own /Contents, and inside that CMS container a
few fields are covered by no signature either (hex case, padding, the informational digest
algorithm list, version numbers, the certificate bag). Validators accept changes to them; the
portal promises that no byte of a sealed certificate can change, so these checks refuse them.
"""

from __future__ import annotations

from collections.abc import Iterable

from asn1crypto import cms, core
from asn1crypto import parser as asn1_parser
from asn1crypto import x509 as asn1_x509

_TIMESTAMP_ATTRIBUTE = "signature_time_stamp_token"
_MAX_DER_DEPTH = 48
_UNIVERSAL, _CONSTRUCTED = 0, 1
_BOOLEAN, _INTEGER, _NULL = 1, 2, 5


def container_is_canonical(*, pdf_bytes: bytes, byte_range: Iterable[int], container: bytes) -> bool:
    """True if /Contents is one-case hex of canonical DER CMS followed only by zero padding."""
    _zero, first_length, second_start, _second_length = (int(value) for value in byte_range)
    written = pdf_bytes[first_length:second_start]
    digits = written[1:-1]
    if written[:1] != b"<" or written[-1:] != b">" or digits not in (digits.upper(), digits.lower()):
        return False
    try:
        if bytes.fromhex(digits.decode("ascii")) != container:
            return False
        _class, _method, _tag, header, content, trailer = asn1_parser.parse(container)
    except ValueError:
        return False
    used = len(header) + len(content) + len(trailer)
    if container[used:].strip(b"\0"):
        return False
    return _cms_is_canonical(container[:used])


def bagged_certificates_all_verified(
    *, container: bytes, validation_paths: Iterable[Iterable[asn1_x509.Certificate]]
) -> bool:
    """True if every certificate carried in the seal or its timestamp was part of a checked path.

    A certificate nobody verifies (typically an embedded root, whose self-signature is never
    checked against the trust anchor) could otherwise be altered freely.
    """
    verified = {certificate.dump() for path in validation_paths for certificate in path}
    signed_data = cms.ContentInfo.load(container)["content"]
    return all(certificate.chosen.dump() in verified for certificate in _bagged(signed_data))


def _cms_is_canonical(der: bytes) -> bool:
    if not _is_strict_der(der, depth=0):
        return False
    try:
        signed_data = cms.ContentInfo.load(der, strict=True)["content"]
        return all(_signed_data_consistent(data) for data in (signed_data, *_timestamp_tokens(signed_data)))
    except (ValueError, TypeError, KeyError):
        return False


def _is_strict_der(data: bytes, *, depth: int) -> bool:
    """True if ``data`` is a sequence of DER TLVs: definite minimal lengths, canonical primitives.

    Catches re-encodings that BER readers accept (long-form lengths, a NULL with content, a
    non-minimal INTEGER), each of which would leave the decoded CMS unchanged.
    """
    if depth > _MAX_DER_DEPTH:
        return False
    position = 0
    while position < len(data):
        try:
            class_, method, tag, header, content, trailer = asn1_parser.parse(data[position:])
        except ValueError:
            return False
        if trailer or not _minimal_length(header, len(content)):
            return False
        if method == _CONSTRUCTED:
            if not _is_strict_der(content, depth=depth + 1):
                return False
        elif class_ == _UNIVERSAL and not _canonical_primitive(tag, content):
            return False
        position += len(header) + len(content)
    return True


def _minimal_length(header: bytes, length: int) -> bool:
    tag_bytes = 1
    if header[0] & 0x1F == 0x1F:
        while header[tag_bytes] & 0x80:
            tag_bytes += 1
        tag_bytes += 1
    encoded = header[tag_bytes:]
    if length < 0x80:
        return encoded == bytes([length])
    size = (length.bit_length() + 7) // 8
    return encoded == bytes([0x80 | size]) + length.to_bytes(size, "big")


def _canonical_primitive(tag: int, content: bytes) -> bool:
    if tag == _NULL:
        return content == b""
    if tag == _BOOLEAN:
        return content in (b"\x00", b"\xff")
    if tag == _INTEGER:
        return bool(content) and not (
            len(content) > 1
            and ((content[0] == 0 and content[1] < 0x80) or (content[0] == 0xFF and content[1] >= 0x80))
        )
    return True


def _signed_data_consistent(signed_data: cms.SignedData) -> bool:
    """The unsigned fields say exactly what RFC 5652 §5.1/§5.3 derive from the signed ones."""
    signer_infos = list(signed_data["signer_infos"])
    used_digests = {signer_info["digest_algorithm"].dump() for signer_info in signer_infos}
    listed_digests = [algorithm.dump() for algorithm in signed_data["digest_algorithms"]]
    if sorted(used_digests) != sorted(listed_digests):
        return False
    for signer_info in signer_infos:
        expected = "v1" if signer_info["sid"].name == "issuer_and_serial_number" else "v3"
        if signer_info["version"].native != expected:
            return False
    return signed_data["version"].native == _expected_signed_data_version(signed_data, signer_infos)


def _expected_signed_data_version(signed_data: cms.SignedData, signer_infos: list[cms.SignerInfo]) -> str:
    kinds = {certificate.name for certificate in _present(signed_data["certificates"])}
    if "other" in kinds:
        return "v5"
    if "v2_attr_cert" in kinds:
        return "v4"
    if (
        "v1_attr_cert" in kinds
        or any(signer_info["version"].native == "v3" for signer_info in signer_infos)
        or signed_data["encap_content_info"]["content_type"].native != "data"
    ):
        return "v3"
    return "v1"


def _timestamp_tokens(signed_data: cms.SignedData) -> list[cms.SignedData]:
    tokens = []
    for signer_info in signed_data["signer_infos"]:
        for attribute in _present(signer_info["unsigned_attrs"]):
            if attribute["type"].native == _TIMESTAMP_ATTRIBUTE:
                tokens.extend(value["content"] for value in attribute["values"])
    return tokens


def _bagged(signed_data: cms.SignedData) -> list[cms.CertificateChoices]:
    bagged = []
    for data in (signed_data, *_timestamp_tokens(signed_data)):
        bagged.extend(_present(data["certificates"]))
    return bagged


def _present(optional: core.Asn1Value) -> list:
    """The items of an optional SET OF, or none when it is absent (asn1crypto's Void)."""
    return [] if isinstance(optional, core.Void) else list(optional)
