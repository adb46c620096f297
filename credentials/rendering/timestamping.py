"""RFC 3161 timestamps for PAdES B-T: the in-process TSA (default) or a remote TSA from settings."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Sequence

from asn1crypto import algos, cms, core, tsp
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from django.conf import settings
from pyhanko.sign.general import as_signing_certificate_v2, simple_cms_attribute
from pyhanko.sign.timestamps import HTTPTimeStamper, TimeStamper

from mcportal.core import clock

from .caches import ParsedKeyCache
from .pki import SigningPrivateKey, certificate_fingerprint

# A policy OID under the UUID arc 2.25 (ITU-T X.667) so the portal needs no registered OID arc;
# it names "timestamps made by an mcportal instance's own TSA key".
LOCAL_TSA_POLICY_OID = "2.25.141006512365359946934003946393683371436"
TSA_TIMEOUT_SECONDS = 10
_HASHES = {"sha256": hashes.SHA256, "sha384": hashes.SHA384, "sha512": hashes.SHA512}
_timestampers: ParsedKeyCache[TimeStamper] = ParsedKeyCache()


class TimestampingUnavailable(RuntimeError):
    """No TSA is configured: MCPORTAL_TSA_URL is empty and no local TSA key was given."""


class LocalTimeStamper(TimeStamper):
    """An RFC 3161 TSA inside the process: signs TSTInfo with a key parsed once, no network.

    Accepts SHA-256/384/512 imprints; answers others with a ``rejection`` status, as a TSA would.
    """

    def __init__(
        self,
        *,
        private_key: SigningPrivateKey,
        certificate: x509.Certificate,
        chain: Sequence[x509.Certificate] = (),
    ) -> None:
        if not isinstance(private_key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey):
            raise TypeError("The local TSA signs with an RSA or ECDSA key.")
        super().__init__(include_nonce=True)
        self._private_key = private_key
        tsa_certificate = _to_asn1(certificate)
        # The parts that never change are encoded once: re-encoding certificates through
        # asn1crypto on every token costs more than the rest of the token together.
        self._tsa_name_der = asn1_x509.GeneralName(
            name="directory_name", value=tsa_certificate.subject
        ).dump()
        # Self-signed roots stay out: a verifier brings its own trust anchor, and an embedded
        # root is bytes that no signature covers.
        intermediates = [_to_asn1(cert) for cert in chain if cert.subject != cert.issuer]
        self._certificates_der = cms.CertificateSet([tsa_certificate, *intermediates]).dump()
        self._signer_identifier_der = cms.SignerIdentifier(
            {
                "issuer_and_serial_number": cms.IssuerAndSerialNumber(
                    {"issuer": tsa_certificate.issuer, "serial_number": tsa_certificate.serial_number}
                )
            }
        ).dump()
        self._signing_certificate_der = simple_cms_attribute(
            "signing_certificate_v2", as_signing_certificate_v2(tsa_certificate)
        ).dump()

    def request_tsa_response(self, req: tsp.TimeStampReq) -> tsp.TimeStampResp:
        """Answer one timestamp request with a signed token (or a rejection for unknown hashes)."""
        imprint: tsp.MessageImprint = req["message_imprint"]
        md_algorithm = imprint["hash_algorithm"]["algorithm"].native
        if md_algorithm not in _HASHES:
            return tsp.TimeStampResp(
                {
                    "status": tsp.PKIStatusInfo(
                        {"status": tsp.PKIStatus("rejection"), "fail_info": tsp.PKIFailureInfo({"bad_alg"})}
                    )
                }
            )
        tst_info = self._tst_info(imprint, req["nonce"])
        token = self._token(tst_info.dump(), md_algorithm)
        granted = tsp.PKIStatusInfo({"status": "granted"})
        return tsp.TimeStampResp({"status": granted, "time_stamp_token": token})

    async def async_request_tsa_response(self, req: tsp.TimeStampReq) -> tsp.TimeStampResp:
        return self.request_tsa_response(req)

    def _tst_info(self, imprint: tsp.MessageImprint, nonce: core.Integer) -> tsp.TSTInfo:
        fields = {
            "version": "v1",
            "policy": LOCAL_TSA_POLICY_OID,
            "message_imprint": imprint,
            "serial_number": secrets.randbits(127),
            "gen_time": core.GeneralizedTime(clock.now().replace(microsecond=0)),
            "accuracy": {"seconds": 1},
            "tsa": asn1_x509.GeneralName.load(self._tsa_name_der),
        }
        if nonce.native is not None:
            fields["nonce"] = nonce
        return tsp.TSTInfo(fields)

    def _token(self, tst_info_der: bytes, md_algorithm: str) -> cms.ContentInfo:
        digest = hashes.Hash(_HASHES[md_algorithm]())
        digest.update(tst_info_der)
        signed_attributes = cms.CMSAttributes(
            [
                simple_cms_attribute("content_type", "tst_info"),
                simple_cms_attribute("message_digest", digest.finalize()),
                cms.CMSAttribute.load(self._signing_certificate_der),
            ]
        )
        signature, signature_algorithm = self._sign(signed_attributes.dump(), md_algorithm)
        digest_algorithm = algos.DigestAlgorithm({"algorithm": md_algorithm})
        signer_info = cms.SignerInfo(
            {
                "version": "v1",
                "sid": cms.SignerIdentifier.load(self._signer_identifier_der),
                "digest_algorithm": digest_algorithm,
                "signature_algorithm": algos.SignedDigestAlgorithm({"algorithm": signature_algorithm}),
                "signed_attrs": signed_attributes,
                "signature": signature,
            }
        )
        signed_data = cms.SignedData(
            {
                # v3: the encapsulated content is not id-data (RFC 5652, 5.1).
                "version": "v3",
                "digest_algorithms": cms.DigestAlgorithms([digest_algorithm]),
                "encap_content_info": cms.EncapsulatedContentInfo(
                    {"content_type": "tst_info", "content": cms.ParsableOctetString(tst_info_der)}
                ),
                "certificates": cms.CertificateSet.load(self._certificates_der),
                "signer_infos": cms.SignerInfos([signer_info]),
            }
        )
        return cms.ContentInfo({"content_type": "signed_data", "content": signed_data})

    def _sign(self, data: bytes, md_algorithm: str) -> tuple[bytes, str]:
        hash_algorithm = _HASHES[md_algorithm]()
        if isinstance(self._private_key, rsa.RSAPrivateKey):
            return self._private_key.sign(data, padding.PKCS1v15(), hash_algorithm), "rsassa_pkcs1v15"
        return self._private_key.sign(data, ec.ECDSA(hash_algorithm)), f"{md_algorithm}_ecdsa"


def timestamper_get(
    *,
    local_certificate: x509.Certificate | None = None,
    local_chain: Sequence[x509.Certificate] = (),
    load_local_private_key: Callable[[], SigningPrivateKey] | None = None,
) -> TimeStamper:
    """Return the process-wide timestamper: the TSA at MCPORTAL_TSA_URL if set, else the local TSA.

    The local key loader runs once per certificate per process (parsing an RSA key costs ~200 ms).
    Raises TimestampingUnavailable when no URL is set and no local TSA is given.
    """
    url = settings.MCPORTAL_TSA_URL
    if url:
        return _timestampers.get_or_build(
            ("url", url), lambda: HTTPTimeStamper(url, timeout=TSA_TIMEOUT_SECONDS)
        )
    if local_certificate is None or load_local_private_key is None:
        raise TimestampingUnavailable(
            "No timestamping authority: set MCPORTAL_TSA_URL or provide the portal's local TSA key."
        )
    key = ("local", certificate_fingerprint(local_certificate), *map(certificate_fingerprint, local_chain))
    return _timestampers.get_or_build(
        key,
        lambda: LocalTimeStamper(
            private_key=load_local_private_key(), certificate=local_certificate, chain=local_chain
        ),
    )


def timestamper_is_remote(timestamper: TimeStamper) -> bool:
    """True when using the timestamper makes a network call."""
    return not isinstance(timestamper, LocalTimeStamper)


def timestamper_cache_clear() -> None:
    """Forget every cached timestamper (after a TSA key rotation, or between tests)."""
    _timestampers.clear()


def _to_asn1(certificate: x509.Certificate) -> asn1_x509.Certificate:
    return asn1_x509.Certificate.load(certificate.public_bytes(serialization.Encoding.DER))
