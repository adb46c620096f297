"""The certificate PDF: every EU element printed, Unicode names, attachments, and local-only resources."""

import dataclasses
import io
import os
from decimal import Decimal
from pathlib import Path

import pypdf
import pytest
from django.conf import settings
from PIL import Image

from credentials.rendering.pdf import (
    CREDENTIAL_MEDIA_TYPE,
    CertificateDataInvalid,
    InstitutionLogo,
    PdfAttachment,
    PdfRenderingError,
    ResourceRefused,
    StaticOnlyURLFetcher,
    credential_attachment,
    render_credential_pdf,
    static_root,
)
from tests.credentials.certificate_samples import (
    LEARNER_NAMES,
    TYPICAL_OUTCOMES,
    certificate_data,
    minimal_certificate_data,
    network_blocked,
    signed_credential_json,
)

A4_POINTS = (595.28, 841.89)
MANDATORY_LABELS = (
    "Learning outcomes",
    "ECTS credits",
    "Notional workload",
    "Level",
    "Awarding bod",
    "Date of issuing",
    "Type of assessment",
    "Form of participation",
    "Type of quality assurance",
    "Valid until",
    "Verification code",
)
OPTIONAL_LABELS = (
    "Prerequisites",
    "Supervision and identity verification",
    "Grade",
    "Integration / stackability",
    "Further information",
    "Learning period",
)


def _read(pdf: bytes) -> pypdf.PdfReader:
    return pypdf.PdfReader(io.BytesIO(pdf))


def _words(text: str) -> str:
    """Case-folded (labels are printed in capitals) with line breaks and spacing collapsed."""
    return " ".join(text.split()).casefold()


def _text(pdf: bytes) -> str:
    return _words(" ".join(page.extract_text() for page in _read(pdf).pages))


@pytest.fixture(scope="module")
def full_pdf() -> bytes:
    return render_credential_pdf(
        certificate=certificate_data(), attachments=[credential_attachment(signed_credential_json())]
    )


def test_typical_certificate_is_one_a4_page(full_pdf):
    reader = _read(full_pdf)

    assert len(reader.pages) == 1
    box = reader.pages[0].mediabox
    assert (round(float(box.width), 2), round(float(box.height), 2)) == A4_POINTS


@pytest.mark.parametrize("label", MANDATORY_LABELS + OPTIONAL_LABELS)
def test_every_element_label_is_printed(full_pdf, label):
    assert label.casefold() in _text(full_pdf)


def test_the_values_of_every_element_are_printed(full_pdf):
    text = _text(full_pdf)
    data = certificate_data()

    expected = [
        data.learner_name,
        data.title,
        "universidad de salamanca",
        "uniwersytet jagielloński (poland, pl)",
        "université de liège (belgium, be)",
        "castilla y león, spain, es",
        "awarded by universidad de salamanca, uniwersytet jagielloński, université de liège on 30 june 2026",
        "6 ects credits",
        "150 h",
        "eqf 7",
        "qf-ehea second cycle (master)",
        "project work",
        "blended",
        "programme accreditation by an external qa agency",
        "30 june 2031",
        "supervised online or on site, with identity verification",
        "a bachelor's degree in any field; basic python.",
        "ects grading scale (a–f)",
        "stackable towards a larger credential",
        "taught in english by the una europa alliance.",
        "2 february 2026 – 12 june 2026",
        "course rdm-701",
        "verification code 7qk4-m2xd-93hf",
        "https://portal.test/verify/7qk4-m2xd-93hf",
        *TYPICAL_OUTCOMES,
    ]
    missing = [value for value in expected if _words(value) not in text]
    assert missing == []


def test_optional_elements_are_left_out_when_not_stated():
    pdf = render_credential_pdf(certificate=minimal_certificate_data(), attachments=[])
    text = _text(pdf)

    assert [label for label in MANDATORY_LABELS if label.casefold() not in text] == []
    assert [label for label in OPTIONAL_LABELS if label.casefold() in text] == []
    assert "no expiry date" in text
    assert len(_read(pdf).pages) == 1


@pytest.mark.parametrize("name", LEARNER_NAMES)
def test_learner_names_in_any_script_are_drawn_and_extractable(name):
    pdf = render_credential_pdf(certificate=certificate_data(learner_name=name), attachments=[])

    assert name.casefold() in _text(pdf)


def test_fonts_are_installed_families_embedded_as_subsets():
    pdf = render_credential_pdf(certificate=certificate_data(learner_name=LEARNER_NAMES[2]), attachments=[])
    fonts = set()
    for page in _read(pdf).pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            descriptor = font["/DescendantFonts"][0].get_object()["/FontDescriptor"]
            assert "/FontFile2" in descriptor
            fonts.add(str(font["/BaseFont"]).split("+", 1)[1].split("-")[0])

    assert fonts == {"DejaVu", "WenQuanYi"}


def test_long_outcome_lists_flow_onto_a_second_page_that_repeats_the_verification():
    outcomes = tuple(f"{index:02d}. {outcome}" for index, outcome in enumerate(TYPICAL_OUTCOMES * 5))
    pdf = render_credential_pdf(certificate=certificate_data(learning_outcomes=outcomes), attachments=[])
    reader = _read(pdf)
    first, second = (_words(page.extract_text()) for page in reader.pages)

    assert len(reader.pages) == 2
    assert _words(outcomes[0]) in first
    assert "type of quality assurance" in second
    assert "verification code 7qk4-m2xd-93hf" in first
    assert "verification code 7qk4-m2xd-93hf" in second
    assert f"{certificate_data().learner_name} · {certificate_data().title}".casefold() in second
    assert "2 / 2" in second


def test_signed_credential_is_embedded_byte_for_byte_as_an_associated_file(full_pdf):
    reader = _read(full_pdf)
    catalog = reader.trailer["/Root"]
    (file_spec,) = [spec.get_object() for spec in catalog["/AF"]]  # listed once, not twice
    stream = file_spec["/EF"]["/F"].get_object()

    assert reader.attachments == {"credential.json": [signed_credential_json()]}
    assert stream.get_data() == signed_credential_json()
    assert file_spec["/AFRelationship"] == "/Alternative"
    assert stream["/Subtype"] == f"/{CREDENTIAL_MEDIA_TYPE}"
    assert file_spec["/UF"] == "credential.json"


def test_pdf_declares_pdf_a_3b_with_an_output_intent(full_pdf):
    catalog = _read(full_pdf).trailer["/Root"]
    metadata = catalog["/Metadata"].get_object().get_data()

    assert b'pdfaid:part="3"' in metadata
    assert b'pdfaid:conformance="B"' in metadata
    assert catalog["/OutputIntents"][0].get_object()["/S"] == "/GTS_PDFA1"


def test_pdf_metadata_names_the_credential_and_issuer(full_pdf):
    info = _read(full_pdf).metadata

    assert info.title == "Research Data Management and FAIR Data — Zuzana Müller-Łukasiewicz"
    assert info.author == "Universidad de Salamanca"


def test_several_attachments_keep_their_names_and_bytes():
    evidence = PdfAttachment(
        file_name="transcript.txt", content="Ἀ 李 مريم\n".encode(), media_type="text/plain"
    )

    pdf = render_credential_pdf(
        certificate=certificate_data(), attachments=[credential_attachment(b"{}"), evidence]
    )

    assert _read(pdf).attachments == {"credential.json": [b"{}"], "transcript.txt": ["Ἀ 李 مريم\n".encode()]}


@pytest.mark.parametrize(
    ("_case", "overrides", "problem"),
    [
        ("no learner", {"learner_name": "  "}, "learner_name is required"),
        ("no outcomes", {"learning_outcomes": ()}, "at least one learning outcome"),
        ("blank outcome", {"learning_outcomes": ("Reads papers", " ")}, "at least one learning outcome"),
        ("zero hours", {"workload_hours": 0}, "workload_hours must be a positive"),
        ("float ECTS", {"ects_credits": 6.0}, "ects_credits must be a positive Decimal"),
        ("zero ECTS", {"ects_credits": Decimal("0")}, "ects_credits must be a positive Decimal"),
        ("EQF 9", {"eqf_level": 9}, "eqf_level must be between 1 and 8"),
        ("no assessment", {"assessment_type": ""}, "assessment_type is required"),
        ("no participation", {"participation_form": ""}, "participation_form is required"),
        ("no QA", {"quality_assurance_type": ""}, "quality_assurance_type is required"),
        ("no verification code", {"verification_code": ""}, "verification_code is required"),
        ("relative verification URL", {"verification_url": "/verify/X"}, "verification_url must be"),
        ("bad colour", {"brand_colour": "red"}, "brand_colour must be #RRGGBB"),
        (
            "expires before issue",
            {"valid_until": certificate_data().date_of_issuing.replace(year=2025)},
            "before",
        ),
    ],
)
def test_certificate_data_refuses_a_missing_or_impossible_element(_case, overrides, problem):
    with pytest.raises(CertificateDataInvalid, match=problem) as refused:
        certificate_data(**overrides)

    # A rendering error, so the PDF task records it instead of crashing.
    assert isinstance(refused.value, PdfRenderingError)


def test_awarding_bodies_need_a_country():
    issuer = dataclasses.replace(certificate_data().issuer, country_code="Spain")

    with pytest.raises(CertificateDataInvalid, match="needs a country"):
        certificate_data(issuer=issuer)


@pytest.mark.parametrize(
    ("_case", "relative_path"),
    [
        ("parent directory", "../pyproject.toml"),
        ("absolute path", "/etc/hostname"),
        ("missing file", "img/credentials/no-such-logo.png"),
    ],
)
def test_logo_from_static_refuses_paths_outside_static(_case, relative_path):
    with pytest.raises(ResourceRefused):
        InstitutionLogo.from_static(relative_path)


def _png(width: int = 120, height: int = 60) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), "#7a1b2d").save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("_case", "content", "media_type", "problem"),
    [
        ("not an image type", b"<html>", "text/html", "PNG, JPEG, SVG"),
        ("empty", b"", "image/png", "non-empty file"),
        ("corrupt PNG", b"\x89PNG\r\n\x1a\n" + b"\0" * 40, "image/png", "not a readable image/png"),
        ("PNG declared as JPEG", _png(), "image/jpeg", "not a readable image/jpeg"),
        ("SVG with a DTD", b'<!DOCTYPE svg [<!ENTITY a "aaaa">]><svg>&a;</svg>', "image/svg+xml", "readable"),
        ("HTML declared as SVG", b"<html><body/></html>", "image/svg+xml", "readable"),
    ],
)
def test_logo_must_be_a_readable_image_of_its_declared_type(_case, content, media_type, problem):
    with pytest.raises(CertificateDataInvalid, match=problem):
        InstitutionLogo(content=content, media_type=media_type)


def test_raster_logo_is_drawn_on_the_certificate():
    pdf = render_credential_pdf(
        certificate=certificate_data(logo=InstitutionLogo(content=_png(), media_type="image/png")),
        attachments=[],
    )
    images = [
        xobject.get_object()
        for xobject in _read(pdf).pages[0]["/Resources"]["/XObject"].values()
        if xobject.get_object()["/Subtype"] == "/Image"
    ]

    assert [(image["/Width"], image["/Height"]) for image in images] == [(120, 60)]


@pytest.mark.parametrize(
    ("_case", "url"),
    [
        ("http", "http://example.com/x.png"),
        ("https", "https://example.com/x.png"),
        ("ftp", "ftp://example.com/x.png"),
        ("system file", "file:///etc/hostname"),
        ("traversal", (static_root() / "img" / ".." / ".." / "pyproject.toml").as_uri()),
        ("remote file host", "file://example.com/static/img/logo.svg"),
        ("missing static file", (static_root() / "img" / "nothing.png").as_uri()),
    ],
)
def test_url_fetcher_refuses_everything_but_static_files_and_data_uris(_case, url):
    with network_blocked() as attempts, pytest.raises(ResourceRefused):
        StaticOnlyURLFetcher().fetch(url)

    assert attempts == []


def test_url_fetcher_refuses_a_symlink_that_leaves_static(tmp_path):
    root = tmp_path / "static"
    root.mkdir()
    (tmp_path / "secret.txt").write_text("secret")
    os.symlink(tmp_path / "secret.txt", root / "link.txt")

    with pytest.raises(ResourceRefused):
        StaticOnlyURLFetcher(root).fetch((root / "link.txt").as_uri())


def test_url_fetcher_serves_static_files_and_data_uris():
    fetcher = StaticOnlyURLFetcher()

    static = fetcher.fetch((static_root() / "img" / "logo.svg").as_uri())
    inline = fetcher.fetch("data:application/ld+json;base64,eyJhIjoxfQ==")

    assert static.read() == (Path(settings.BASE_DIR) / "static" / "img" / "logo.svg").read_bytes()
    assert static.content_type == "image/svg+xml"
    assert (inline.read(), inline.content_type) == (b'{"a":1}', "application/ld+json")


def test_template_reaching_for_the_network_fails_without_any_connection(settings, tmp_path):
    template = tmp_path / "credentials" / "pdf" / "credential.html"
    template.parent.mkdir(parents=True)
    template.write_text('<html><body><p>x</p><img src="http://example.com/x.png"></body></html>')
    settings.TEMPLATES = [{**settings.TEMPLATES[0], "DIRS": [tmp_path, *settings.TEMPLATES[0]["DIRS"]]}]

    with network_blocked() as attempts, pytest.raises(ResourceRefused) as refused:
        render_credential_pdf(certificate=certificate_data(), attachments=[])

    assert refused.value.url == "http://example.com/x.png"
    assert attempts == []


def test_svg_logo_referencing_a_remote_image_fails_without_any_connection():
    logo = InstitutionLogo(
        content=(
            b'<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" '
            b'viewBox="0 0 10 10"><image xlink:href="https://tracker.example/pixel.png" width="10" '
            b'height="10"/></svg>'
        ),
        media_type="image/svg+xml",
    )

    with network_blocked() as attempts, pytest.raises(ResourceRefused) as refused:
        render_credential_pdf(certificate=certificate_data(logo=logo), attachments=[])

    assert refused.value.url == "https://tracker.example/pixel.png"
    assert attempts == []


def test_one_font_configuration_serves_every_certificate_of_a_thread():
    import threading

    from credentials.rendering import pdf as rendering

    first = rendering._font_configuration()
    in_thread = {}

    def render_elsewhere() -> None:
        in_thread["configuration"] = rendering._font_configuration()
        in_thread["pdf"] = render_credential_pdf(
            certificate=certificate_data(learner_name=LEARNER_NAMES[2]), attachments=[]
        )

    worker = threading.Thread(target=render_elsewhere)
    worker.start()
    worker.join()

    assert rendering._font_configuration() is first
    assert in_thread["configuration"] is not first
    # Kept across documents, the configuration still gives each its own embedded font subsets.
    again = render_credential_pdf(certificate=certificate_data(learner_name=LEARNER_NAMES[2]), attachments=[])
    assert _words(_text(in_thread["pdf"])) == _words(_text(again))
    assert LEARNER_NAMES[2] in _text(again) or _words(LEARNER_NAMES[2]) in _words(_text(again))
