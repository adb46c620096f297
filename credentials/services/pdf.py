"""The signed PDF of a credential: render, embed the signed JSON-LD, seal (PAdES B-T), store.

Runs in a task after the credential committed: the RFC 3161 timestamp may be a network call,
so rendering and sealing happen outside any transaction, and only the outcome is saved in a
short one (claim-then-act).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from pyhanko.sign.timestamps import TimeStamper

from credentials.choices import CredentialStatus, PdfStatus
from credentials.models import Credential, DocumentSigningIdentityKind
from credentials.rendering.pades import (
    PadesError,
    PreparedSigner,
    TimestampingFailed,
    pades_signer_get,
    sign_pades,
)
from credentials.rendering.pdf import (
    CertificateData,
    InstitutionLogo,
    Organisation,
    PdfRenderingError,
    credential_attachment,
    render_credential_pdf,
)
from credentials.rendering.pki import (
    document_signing_certificate_issue,
    portal_ca_create,
    timestamping_certificate_issue,
)
from credentials.rendering.timestamping import timestamper_get
from credentials.services.x509 import (
    DocumentSigningIdentityMissing,
    document_signing_identity_load,
    document_signing_identity_store,
)
from mcportal.core import clock
from mcportal.core.audit import audit_record
from mcportal.core.exceptions import Conflict
from mcportal.core.models import Institution

PORTAL_NAME_FOR_PKI = "mcportal"


def _load_or_none(institution: Institution | None, kind: str):
    try:
        return document_signing_identity_load(institution=institution, kind=kind)
    except DocumentSigningIdentityMissing:
        return None


@transaction.atomic
def pki_identities_ensure(*, institution: Institution, actor=None) -> None:
    """Create, once, the portal CA, the portal's timestamping key and the institution's PDF signer.

    An institution that imported its own certificate (e.g. a qualified seal) keeps it. Locks the
    institution row so two workers do not both create a signer.
    """
    Institution.objects.select_for_update().get(pk=institution.pk)
    ca = _load_or_none(None, DocumentSigningIdentityKind.PORTAL_CA)
    if ca is None:
        created = portal_ca_create(
            common_name=f"{PORTAL_NAME_FOR_PKI} certificate authority",
            organisation_name=PORTAL_NAME_FOR_PKI,
            country_code=institution.country.code,
        )
        document_signing_identity_store(
            institution=None,
            kind=DocumentSigningIdentityKind.PORTAL_CA,
            certificate=created.certificate,
            private_key=created.private_key,
            actor=actor,
        )
        ca = _load_or_none(None, DocumentSigningIdentityKind.PORTAL_CA)
    ca_pair = _key_and_certificate(ca)
    if _load_or_none(None, DocumentSigningIdentityKind.TIMESTAMP_AUTHORITY) is None:
        tsa = timestamping_certificate_issue(
            ca=ca_pair,
            common_name=f"{PORTAL_NAME_FOR_PKI} timestamping authority",
            organisation_name=PORTAL_NAME_FOR_PKI,
            country_code=institution.country.code,
        )
        document_signing_identity_store(
            institution=None,
            kind=DocumentSigningIdentityKind.TIMESTAMP_AUTHORITY,
            certificate=tsa.certificate,
            private_key=tsa.private_key,
            chain=(ca.certificate,),
            actor=actor,
        )
    if _load_or_none(institution, DocumentSigningIdentityKind.DOCUMENT_SIGNER) is None:
        signer = document_signing_certificate_issue(
            ca=ca_pair,
            organisation_name=institution.legal_name,
            country_code=institution.country.code,
            organisation_identifier=institution.vat_id,
        )
        document_signing_identity_store(
            institution=institution,
            kind=DocumentSigningIdentityKind.DOCUMENT_SIGNER,
            certificate=signer.certificate,
            private_key=signer.private_key,
            chain=(ca.certificate,),
            actor=actor,
        )


def _key_and_certificate(loaded):
    from credentials.rendering.pki import KeyAndCertificate

    return KeyAndCertificate(private_key=loaded.private_key(), certificate=loaded.certificate)


def _organisation(value: dict) -> Organisation:
    return Organisation(
        name=value["name"],
        country_code=value["country_code"],
        country_name=value["country_name"],
        region=value.get("region", ""),
    )


def _label(value: dict | None) -> str:
    return value["label"] if value else ""


def _details(value: dict | None) -> str:
    return value["details"] if value else ""


def _logo(institution: Institution) -> InstitutionLogo | None:
    if not institution.logo:
        return None
    try:
        with institution.logo.open("rb") as handle:
            content = handle.read()
    except OSError:
        return None
    media_type = {
        "png": "image/png",
        "jpg": "image/jpeg",
        "jpeg": "image/jpeg",
        "svg": "image/svg+xml",
        "webp": "image/webp",
        "gif": "image/gif",
    }.get(institution.logo.name.rsplit(".", 1)[-1].lower())
    return InstitutionLogo(content=content, media_type=media_type) if media_type else None


def certificate_data_for(credential: Credential) -> CertificateData:
    """What the PDF prints: the facts captured when the credential was signed."""
    facts = credential.facts
    return CertificateData(
        learner_name=facts["learner_name"],
        title=facts["title"],
        issuer=_organisation(facts["issuer"]),
        partners=tuple(_organisation(p) for p in facts["partners"]),
        date_of_issuing=credential.issued_at.date(),
        valid_until=credential.valid_until.date() if credential.valid_until else None,
        learning_outcomes=tuple(facts["learning_outcomes"]),
        workload_hours=facts["workload_hours"],
        ects_credits=Decimal(facts["ects_credits"]),
        eqf_level=facts["eqf_level"],
        qf_ehea_cycle=_label(facts["qf_ehea_cycle"]),
        assessment_type=_label(facts["assessment"]),
        assessment_details=_details(facts["assessment"]),
        participation_form=_label(facts["participation_form"]),
        quality_assurance_type=_label(facts["quality_assurance"]),
        quality_assurance_details=_details(facts["quality_assurance"]),
        prerequisites=facts["prerequisites"],
        supervision_verification=_label(facts["supervision"]),
        grade=facts["grade"],
        grading_scheme=_label(facts["grading_scheme"]),
        stackability=_label(facts["stackability"]),
        stackability_details=_details(facts["stackability"]),
        further_information=facts["further_information"],
        further_information_url=facts["further_information_url"],
        course_code=facts["course_code"],
        learning_period_start=dt.date.fromisoformat(facts["activity_start"])
        if facts["activity_start"]
        else None,
        learning_period_end=dt.date.fromisoformat(facts["activity_end"]) if facts["activity_end"] else None,
        verification_code=credential.verification_code,
        verification_url=f"{settings.MCPORTAL_PUBLIC_URL}{credential.get_absolute_url()}",
        credential_id=credential.urn,
        brand_colour=credential.institution.brand_colour,
        logo=_logo(credential.institution),
    )


@dataclass(frozen=True)
class _SealingTools:
    signer: PreparedSigner
    timestamper: TimeStamper


def _sealing_tools(institution: Institution) -> _SealingTools:
    """The institution's PDF signer and the timestamper (keys parsed once per process, see pades)."""
    pki_identities_ensure(institution=institution)
    signer_identity = document_signing_identity_load(
        institution=institution, kind=DocumentSigningIdentityKind.DOCUMENT_SIGNER
    )
    tsa_identity = document_signing_identity_load(
        institution=None, kind=DocumentSigningIdentityKind.TIMESTAMP_AUTHORITY
    )
    return _SealingTools(
        signer=pades_signer_get(
            certificate=signer_identity.certificate,
            chain=signer_identity.chain,
            load_private_key=signer_identity.private_key,
        ),
        timestamper=timestamper_get(
            local_certificate=tsa_identity.certificate,
            local_chain=tsa_identity.chain,
            load_local_private_key=tsa_identity.private_key,
        ),
    )


def _pdf_make(credential: Credential, tools: _SealingTools) -> Credential:
    institution = credential.institution
    pdf = render_credential_pdf(
        certificate=certificate_data_for(credential),
        attachments=[credential_attachment(credential.signed_document.encode("utf-8"))],
    )
    sealed = sign_pades(
        pdf=pdf,
        signer=tools.signer,
        timestamper=tools.timestamper,
        reason=f"Microcredential issued by {institution.legal_name}",
        location=institution.city,
    )
    return _pdf_store(credential_id=credential.pk, sealed=sealed)


def credential_pdf_render(*, credential_id: int) -> Credential:
    """Render and seal the credential's PDF unless it is ready; safe to run twice."""
    credential = Credential.objects.select_related("institution").get(pk=credential_id)
    if credential.pdf_status == PdfStatus.READY:
        return credential
    return _pdf_make(credential, _sealing_tools(credential.institution))


def credential_pdfs_render(*, credential_ids: list[int]) -> list[int]:
    """Render and seal the PDFs of many credentials (one batch chunk); safe to run twice.

    The signer and timestamper are looked up once per institution rather than per PDF. A PDF
    that cannot be rendered or sealed is marked failed and the others go on; the ids whose
    timestamp request failed (worth retrying later) are returned.
    """
    tools: dict[int, _SealingTools] = {}
    timestamp_failed = []
    credentials = (
        Credential.objects.select_related("institution")
        .filter(pk__in=credential_ids)
        .exclude(pdf_status=PdfStatus.READY)
        .order_by("pk")
    )
    for credential in credentials:
        try:
            if credential.institution_id not in tools:
                tools[credential.institution_id] = _sealing_tools(credential.institution)
            _pdf_make(credential, tools[credential.institution_id])
        except TimestampingFailed:
            timestamp_failed.append(credential.pk)
        except (PdfRenderingError, PadesError) as exc:
            credential_pdf_mark_failed(credential_id=credential.pk, error=str(exc))
    return timestamp_failed


def credential_pdfs_requeue_stale(*, stale_after_seconds: int, limit: int = 10_000) -> int:
    """Queue again the PDFs still pending after a while (their task died with its worker).

    Rendering is idempotent (a ready PDF is never redone), so a PDF whose task is merely slow
    costs at most one wasted render. Returns how many PDFs were queued.
    """
    from credentials.tasks import credential_pdfs_render_task

    threshold = clock.now() - dt.timedelta(seconds=stale_after_seconds)
    stale = list(
        Credential.objects.filter(pdf_status=PdfStatus.PENDING, updated_at__lte=threshold)
        .order_by("pk")
        .values_list("pk", flat=True)[:limit]
    )
    size = max(1, settings.MCPORTAL_PDF_CHUNK_SIZE)
    for start in range(0, len(stale), size):
        credential_pdfs_render_task.delay(stale[start : start + size])
    return len(stale)


@transaction.atomic
def _pdf_store(*, credential_id: int, sealed: bytes) -> Credential:
    credential = Credential.objects.select_for_update().get(pk=credential_id)
    if credential.pdf_status == PdfStatus.READY:  # another run of the task got here first
        return credential
    credential.pdf.save(f"{credential.verification_code}.pdf", ContentFile(sealed), save=False)
    credential.pdf_sha256 = hashlib.sha256(sealed).hexdigest()
    credential.pdf_status = PdfStatus.READY
    credential.pdf_error = ""
    credential.save(update_fields=["pdf", "pdf_sha256", "pdf_status", "pdf_error", "updated_at"])
    return credential


@transaction.atomic
def credential_pdf_render_again(*, credential: Credential, actor) -> Credential:
    """Queue a failed PDF for rendering again (status back to pending), audited; the task runs after commit.

    Only a failed PDF is redone: a ready one is final and a pending one is already queued.
    Raises Conflict otherwise, and for a revoked credential, whose PDF nobody should need.
    """
    from credentials.tasks import credential_pdf_render_task

    credential = Credential.objects.select_for_update(no_key=True, of=("self",)).select_related(
        "institution"
    ).get(pk=credential.pk)
    if credential.status == CredentialStatus.REVOKED:
        raise Conflict("This credential is revoked; its PDF is not rendered again.")
    if credential.pdf_status != PdfStatus.FAILED:
        raise Conflict(
            "Only a failed PDF is rendered again; this one is "
            f"{str(PdfStatus(credential.pdf_status).label).lower()}."
        )
    previous_error = credential.pdf_error
    credential.pdf_status = PdfStatus.PENDING
    credential.pdf_error = ""
    credential.save(update_fields=["pdf_status", "pdf_error", "updated_at"])
    audit_record(
        actor=actor,
        action="credential.pdf_render_requested",
        target=credential,
        institution=credential.institution,
        # The first line says what failed without copying a whole traceback-like message.
        data={"previous_error": previous_error.splitlines()[0][:200] if previous_error else ""},
    )
    credential_pdf_render_task.delay_on_commit(credential.pk)
    return credential


@transaction.atomic
def credential_pdf_mark_failed(*, credential_id: int, error: str) -> None:
    """Record why the PDF could not be made; the JSON credential stays valid and downloadable."""
    Credential.objects.filter(pk=credential_id).exclude(pdf_status=PdfStatus.READY).update(
        pdf_status=PdfStatus.FAILED, pdf_error=error[:2000]
    )
