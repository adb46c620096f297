"""The certificate PDF: WeasyPrint renders plain certificate data, loading only local static files.

``render_credential_pdf`` gets values, not models or requests; the issuance code fills
``CertificateData`` from the course, enrolment and credential. The PDF is sealed afterwards
(``pades.sign_pades``), so anything it must carry is passed in as an attachment here.
"""

from __future__ import annotations

import base64
import functools
import io
import mimetypes
import os
import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from decimal import Decimal
from pathlib import Path
from typing import NoReturn
from urllib.parse import urlsplit
from urllib.request import url2pathname
from xml.etree import ElementTree

import pydyf
from django.conf import settings
from django.template.loader import render_to_string
from django.utils import translation
from PIL import Image
from weasyprint import CSS, HTML, Attachment
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import FatalURLFetchingError, URLFetcher, URLFetcherResponse

from .pades import CREDENTIAL_ATTACHMENT_NAME
from .qr import MAX_URL_LENGTH, verification_qr_svg_data_uri

TEMPLATE_NAME = "credentials/pdf/credential.html"
STYLESHEET_TEMPLATE_NAME = "credentials/pdf/credential.css"
CREDENTIAL_MEDIA_TYPE = "application/ld+json"
LOGO_MEDIA_TYPES = frozenset({"image/png", "image/jpeg", "image/svg+xml", "image/webp", "image/gif"})
MAX_LOGO_BYTES = 2 * 1024 * 1024
_HEX_COLOUR = re.compile(r"^#[0-9A-Fa-f]{6}$")
_COUNTRY_CODE = re.compile(r"^[A-Z]{2}$")
_SVG_TAG = "{http://www.w3.org/2000/svg}svg"


class PdfRenderingError(Exception):
    """The certificate PDF could not be rendered."""


class ResourceRefused(PdfRenderingError):
    """The template asked for a resource outside static/ (or a network URL); nothing was fetched."""

    def __init__(self, url: str) -> None:
        super().__init__(f"Only files under static/ and data: URIs may be loaded, not {url[:200]!r}.")
        self.url = url


class CertificateDataInvalid(PdfRenderingError, ValueError):
    """Certificate data lacks a mandatory element or holds an impossible value (so no PDF)."""

    def __init__(self, problems: Sequence[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = tuple(problems)


@dataclass(frozen=True, kw_only=True)
class Organisation:
    """An awarding body as printed: name and country (ISO 3166-1 alpha-2 plus its display name)."""

    name: str
    country_code: str
    country_name: str
    region: str = ""


@dataclass(frozen=True)
class InstitutionLogo:
    """Logo bytes with their media type, read by the caller from whatever storage holds them."""

    content: bytes = field(repr=False)
    media_type: str

    def __post_init__(self) -> None:
        if self.media_type not in LOGO_MEDIA_TYPES:
            raise CertificateDataInvalid(
                [f"A logo must be PNG, JPEG, SVG, WebP or GIF, not {self.media_type}."]
            )
        if not self.content or len(self.content) > MAX_LOGO_BYTES:
            raise CertificateDataInvalid(["A logo must be a non-empty file of at most 2 MiB."])
        if not _logo_readable(self.content, self.media_type):
            # WeasyPrint would log a broken image and leave a gap; refuse it before rendering.
            raise CertificateDataInvalid([f"The logo is not a readable {self.media_type} image."])

    @classmethod
    def from_static(cls, relative_path: str) -> InstitutionLogo:
        """Read a logo from the project's static/ directory; paths leaving it are refused."""
        root = static_root()
        path = (root / relative_path).resolve()
        if not path.is_relative_to(root) or not path.is_file():
            raise ResourceRefused(relative_path)
        media_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        return cls(content=path.read_bytes(), media_type=media_type)

    def data_uri(self) -> str:
        """Return the logo as a ``data:`` URI, the only way media files reach the renderer."""
        return f"data:{self.media_type};base64,{base64.b64encode(self.content).decode()}"


@dataclass(frozen=True, kw_only=True)
class CertificateData:
    """Everything printed on a certificate, as plain values; labels arrive already translated.

    Holds every mandatory element of Annex I of the EU Recommendation (2022/C 243/02) and the
    optional ones (empty string = not stated). Construction fails with CertificateDataInvalid when
    a mandatory element is missing, so an incomplete certificate cannot be rendered.
    """

    learner_name: str
    title: str
    issuer: Organisation
    partners: tuple[Organisation, ...] = ()
    date_of_issuing: date
    valid_until: date | None = None
    learning_outcomes: tuple[str, ...]
    workload_hours: int
    ects_credits: Decimal
    eqf_level: int
    qf_ehea_cycle: str = ""
    assessment_type: str
    assessment_details: str = ""
    participation_form: str
    quality_assurance_type: str
    quality_assurance_details: str = ""
    prerequisites: str = ""
    supervision_verification: str = ""
    grade: str = ""
    grading_scheme: str = ""
    stackability: str = ""
    stackability_details: str = ""
    further_information: str = ""
    further_information_url: str = ""
    course_code: str = ""
    learning_period_start: date | None = None
    learning_period_end: date | None = None
    verification_code: str
    verification_url: str
    credential_id: str
    brand_colour: str = "#1F4E79"
    logo: InstitutionLogo | None = None
    language: str = "en"

    def __post_init__(self) -> None:
        object.__setattr__(self, "learning_outcomes", tuple(self.learning_outcomes))
        object.__setattr__(self, "partners", tuple(self.partners))
        problems = _certificate_problems(self)
        if problems:
            raise CertificateDataInvalid(problems)

    @property
    def awarding_bodies(self) -> tuple[Organisation, ...]:
        """The issuing institution first, then the joint awarding institutions."""
        return (self.issuer, *self.partners)


@dataclass(frozen=True)
class PdfAttachment:
    """A file to embed in the PDF (as an associated file, before it is sealed)."""

    file_name: str
    content: bytes = field(repr=False)
    media_type: str
    description: str = ""
    # ISO 32000-2 §7.11.3: "Alternative" marks a machine-readable twin of the visible content.
    relationship: str = "Alternative"


def credential_attachment(signed_credential: bytes) -> PdfAttachment:
    """Wrap the signed JSON-LD credential as ``credential.json`` (application/ld+json)."""
    return PdfAttachment(
        file_name=CREDENTIAL_ATTACHMENT_NAME,
        content=signed_credential,
        media_type=CREDENTIAL_MEDIA_TYPE,
        description="Signed Open Badges 3.0 / W3C Verifiable Credential (JSON-LD)",
    )


def static_root() -> Path:
    """The project's static/ directory: the only directory the renderer may read."""
    return (Path(settings.BASE_DIR) / "static").resolve()


class StaticOnlyURLFetcher(URLFetcher):
    """A WeasyPrint URL fetcher that serves files under static/ and data: URIs, and refuses the rest.

    Refusals are fatal (``fail_on_errors``), so a certificate is never rendered with a missing part
    and never triggers a network request or reads a file elsewhere on the machine.
    """

    def __init__(self, root: Path | None = None) -> None:
        super().__init__(allowed_protocols=("file", "data"), fail_on_errors=True)
        self._root = (root or static_root()).resolve()
        # WeasyPrint swallows errors raised while drawing SVG images (even fatal ones), so
        # refusals are also recorded here and checked once the PDF is written.
        self.refused: list[str] = []

    def fetch(self, url: str, headers: dict | None = None) -> URLFetcherResponse:
        scheme = url.partition(":")[0].lower()
        if scheme == "data":
            # urllib's DataHandler decodes the URI in memory; no other handler is reached.
            return super().fetch(url, headers)
        if scheme != "file":
            self._refuse(url)
        parts = urlsplit(url)
        if parts.netloc not in ("", "localhost"):
            self._refuse(url)
        path = Path(url2pathname(parts.path)).resolve()
        if not path.is_relative_to(self._root) or not path.is_file():
            self._refuse(url)
        media_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        return URLFetcherResponse(url, body=path.read_bytes(), headers={"Content-Type": media_type})

    def _refuse(self, url: str) -> NoReturn:
        self.refused.append(url)
        raise ResourceRefused(url)


def render_credential_pdf(
    *, certificate: CertificateData, attachments: Sequence[PdfAttachment] = ()
) -> bytes:
    """Render the A4 certificate PDF with the attachments embedded; no network, static/ files only.

    Raises ResourceRefused if the template reaches for anything else, PdfRenderingError otherwise.
    """
    fetcher = StaticOnlyURLFetcher()
    html = render_credential_html(certificate=certificate)
    base_url = static_root().as_uri() + "/"
    pdf_attachments = [_weasyprint_attachment(item, certificate, fetcher) for item in attachments]
    try:
        document = HTML(string=html, base_url=base_url, url_fetcher=fetcher)
        pdf = document.write_pdf(
            stylesheets=[_stylesheet()],
            font_config=_font_configuration(),
            attachments=pdf_attachments,
            # PDF/A-3b: archival, and it lets the credential be an associated file (/AF).
            pdf_variant="pdf/a-3b",
            finisher=_deduplicate_associated_files,
        )
    except FatalURLFetchingError as error:
        cause = error.__cause__
        if isinstance(cause, ResourceRefused):
            raise ResourceRefused(cause.url) from error
        raise PdfRenderingError(str(error)) from error
    if fetcher.refused:
        raise ResourceRefused(fetcher.refused[0])
    return pdf


def _deduplicate_associated_files(document: object, pdf: pydyf.PDF) -> None:
    # WeasyPrint lists each attachment twice in the catalog's /AF (once from the name tree,
    # once from scanning for file specifications); one reference per file is what ISO 32000-2 means.
    if "AF" in pdf.catalog:
        pdf.catalog["AF"] = pydyf.Array(dict.fromkeys(pdf.catalog["AF"]))


def render_credential_html(*, certificate: CertificateData) -> str:
    """Return the certificate's HTML in its language (the PDF's source; also usable as a preview)."""
    with translation.override(certificate.language):
        return render_to_string(TEMPLATE_NAME, _template_context(certificate))


_fonts = threading.local()


def _font_configuration() -> FontConfiguration:
    """The fontconfig/Pango font configuration of this thread, kept across certificates.

    WeasyPrint otherwise makes a new one per document: fontconfig is loaded again and Pango's
    font map starts cold, about a fifth of a certificate's rendering time. The certificate uses
    installed fonts only (no @font-face), so the configuration holds no per-document state.
    Per thread, because a Pango font map is not safe to share between threads; per process id,
    so a forked worker never uses its parent's.
    """
    cached = getattr(_fonts, "configuration", None)
    if cached is None or cached[0] != os.getpid():
        cached = (os.getpid(), FontConfiguration())
        _fonts.configuration = cached
    return cached[1]


@functools.cache
def _stylesheet() -> CSS:
    # Parsed once per process rather than once per certificate: the stylesheet is static (the
    # brand colour is a CSS variable set on each page's <html>).
    css = render_to_string(STYLESHEET_TEMPLATE_NAME)
    return CSS(string=css, base_url=static_root().as_uri() + "/", url_fetcher=StaticOnlyURLFetcher())


def _weasyprint_attachment(
    attachment: PdfAttachment, certificate: CertificateData, fetcher: StaticOnlyURLFetcher
) -> Attachment:
    # A data: URI carries the exact bytes and the media type (a file name would yield
    # application/json); the fetcher decodes it in memory.
    encoded = base64.b64encode(attachment.content).decode()
    issued_at = datetime.combine(certificate.date_of_issuing, time.min, tzinfo=UTC)
    return Attachment(
        url=f"data:{attachment.media_type};base64,{encoded}",
        url_fetcher=fetcher,
        name=attachment.file_name,
        description=attachment.description or None,
        created=issued_at,
        modified=issued_at,
        relationship=attachment.relationship,
    )


def _template_context(certificate: CertificateData) -> dict:
    return {
        "certificate": certificate,
        "awarding_bodies": certificate.awarding_bodies,
        "awarding_body_names": ", ".join(body.name for body in certificate.awarding_bodies),
        "ects": _decimal_text(certificate.ects_credits),
        "logo_uri": certificate.logo.data_uri() if certificate.logo else None,
        "qr_uri": verification_qr_svg_data_uri(certificate.verification_url),
        "brand_colour": certificate.brand_colour,
    }


def _is_verification_url(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in {"https", "http"} and bool(parts.netloc) and len(url) <= MAX_URL_LENGTH


def _logo_readable(content: bytes, media_type: str) -> bool:
    if media_type == "image/svg+xml":
        # A logo needs no DTD; refusing one rules out entity-expansion attacks on this parse and
        # on WeasyPrint's own parse of the same bytes.
        if b"<!DOCTYPE" in content.upper() or b"<!ENTITY" in content.upper():
            return False
        try:
            return ElementTree.fromstring(content).tag in ("svg", _SVG_TAG)  # noqa: S314 (no DTD, see above)
        except ElementTree.ParseError:
            return False
    try:
        with Image.open(io.BytesIO(content)) as image:
            image.verify()
            return Image.MIME.get(image.format or "") == media_type
    except (OSError, SyntaxError, ValueError):
        return False


def _decimal_text(value: Decimal) -> str:
    normalised = value.normalize()
    return f"{normalised:f}" if normalised == normalised.to_integral() else str(normalised)


def _certificate_problems(certificate: CertificateData) -> list[str]:
    problems = []
    required_text = {
        "learner_name": certificate.learner_name,
        "title": certificate.title,
        "assessment_type": certificate.assessment_type,
        "participation_form": certificate.participation_form,
        "quality_assurance_type": certificate.quality_assurance_type,
        "verification_code": certificate.verification_code,
        "verification_url": certificate.verification_url,
        "credential_id": certificate.credential_id,
    }
    problems.extend(f"{name} is required" for name, value in required_text.items() if not str(value).strip())
    for body in certificate.awarding_bodies:
        if not body.name.strip():
            problems.append("every awarding body needs a name")
        if not _COUNTRY_CODE.match(body.country_code) or not body.country_name.strip():
            problems.append(f"awarding body {body.name!r} needs a country (ISO 3166-1 alpha-2 and name)")
    if not certificate.learning_outcomes or not all(o.strip() for o in certificate.learning_outcomes):
        problems.append("at least one learning outcome is required, and none may be empty")
    if not isinstance(certificate.workload_hours, int) or certificate.workload_hours <= 0:
        problems.append("workload_hours must be a positive whole number")
    if not isinstance(certificate.ects_credits, Decimal) or not certificate.ects_credits > 0:
        problems.append("ects_credits must be a positive Decimal")
    if not isinstance(certificate.eqf_level, int) or not 1 <= certificate.eqf_level <= 8:
        problems.append("eqf_level must be between 1 and 8")
    if not _is_verification_url(certificate.verification_url):
        problems.append("verification_url must be an absolute http(s) URL of at most 512 characters")
    if not _HEX_COLOUR.match(certificate.brand_colour):
        problems.append("brand_colour must be #RRGGBB")
    if certificate.valid_until is not None and certificate.valid_until < certificate.date_of_issuing:
        problems.append("valid_until is before the date of issuing")
    return problems
