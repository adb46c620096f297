"""Reading what the learner downloaded: the QR code printed in the credential PDF."""
from __future__ import annotations

from pathlib import Path

import pypdfium2
import zxingcpp

# 150 dpi: a QR symbol of version 3–4 printed at about 3 cm gets several pixels per module.
RENDER_SCALE = 150 / 72


def qr_codes_in_pdf(path: Path) -> list[str]:
    """Render every page of the PDF and return the text of each QR code found, in order.

    This reads the printed symbol the way a phone camera does (pixels, not the PDF's text or
    links), so it proves the QR code in the document resolves to a working verification URL.
    """
    found: list[str] = []
    document = pypdfium2.PdfDocument(str(path))
    try:
        for page in document:
            image = page.render(scale=RENDER_SCALE).to_pil()
            found.extend(
                symbol.text for symbol in zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)
            )
    finally:
        document.close()
    return found
