"""The helpers the journeys rely on: reading the outbox and reading a QR code out of a PDF."""
import asyncio
import io
from pathlib import Path

import pytest
import segno
from django.core.mail import EmailMultiAlternatives
from django.core.mail.backends.filebased import EmailBackend
from PIL import Image

from mcportal.core.models import User
from tests.browser.conftest import Outbox
from tests.browser.documents import qr_codes_in_pdf


def _pdf_with_qr(path: Path, text: str) -> None:
    buffer = io.BytesIO()
    segno.make(text, error="m", micro=False).save(buffer, kind="png", scale=2, border=4)
    page = Image.new("RGB", (595, 842), "white")  # A4 at 72 dpi: a small printed symbol
    page.paste(Image.open(buffer), (400, 650))
    page.save(path, "PDF", resolution=72)


def test_qr_codes_are_read_from_the_rendered_pdf_page(tmp_path):
    url = "http://127.0.0.1:8000/v/QHXAS64WQM"
    _pdf_with_qr(tmp_path / "credential.pdf", url)

    assert qr_codes_in_pdf(tmp_path / "credential.pdf") == [url]


def test_a_pdf_without_a_qr_code_has_none(tmp_path):
    Image.new("RGB", (200, 200), "white").save(tmp_path / "blank.pdf", "PDF")

    assert qr_codes_in_pdf(tmp_path / "blank.pdf") == []


def test_the_outbox_reads_every_message_the_file_backend_wrote(tmp_path):
    backend = EmailBackend(file_path=str(tmp_path))
    messages = []
    for number, to in enumerate(["ana@example.org", "ben@example.org"]):
        message = EmailMultiAlternatives(
            subject=f"Confirm your address {number}", body=f"Open http://x/verify/{number}/ ✓", to=[to]
        )
        message.attach_alternative("<p>html</p>", "text/html")
        messages.append(message)
    backend.send_messages(messages)

    outbox = Outbox(tmp_path)
    found = outbox.wait_for(to="ben@example.org", subject_contains="confirm", timeout=1)

    assert len(outbox.messages()) == 2
    assert found["Subject"] == "Confirm your address 1"
    assert "http://x/verify/1/ ✓" in Outbox.text(found)


@pytest.mark.django_db
def test_after_the_browser_modules_the_orm_runs_outside_any_event_loop():
    # Collected after the journey modules: their browser (and its event loop) is closed by now,
    # so tests in other folders keep Django's guard against ORM calls from async code.
    with pytest.raises(RuntimeError):
        asyncio.get_running_loop()
    assert User.objects.count() == 0
