"""QR codes for the public verification URL, as SVG (for PDFs and pages) or PNG (for e-mail)."""

from __future__ import annotations

import base64
import io
from urllib.parse import urlsplit

import segno

# Error correction M survives a scratched or creased print (15 % of modules) while keeping
# a typical verification URL in a version 3–4 symbol.
ERROR_CORRECTION = "m"
# ISO/IEC 18004 asks for a quiet zone of four modules around the symbol.
QUIET_ZONE_MODULES = 4
MAX_URL_LENGTH = 512


class QrCodeError(ValueError):
    """The value cannot be encoded as a verification QR code."""


def verification_qr_svg(url: str, *, colour: str = "#000000") -> str:
    """Return an SVG document (viewBox only, so CSS sets its size) encoding ``url``."""
    buffer = io.BytesIO()
    _symbol(url).save(
        buffer,
        kind="svg",
        dark=colour,
        border=QUIET_ZONE_MODULES,
        xmldecl=False,
        omitsize=True,
        nl=False,
    )
    return buffer.getvalue().decode()


def verification_qr_svg_data_uri(url: str, *, colour: str = "#000000") -> str:
    """Return the QR code as a ``data:image/svg+xml;base64,…`` URI for an ``<img>`` element."""
    encoded = base64.b64encode(verification_qr_svg(url, colour=colour).encode()).decode()
    return f"data:image/svg+xml;base64,{encoded}"


def verification_qr_png(url: str, *, scale: int = 8) -> bytes:
    """Return the QR code as PNG bytes, ``scale`` pixels per module."""
    buffer = io.BytesIO()
    _symbol(url).save(buffer, kind="png", scale=scale, border=QUIET_ZONE_MODULES)
    return buffer.getvalue()


def _symbol(url: str) -> segno.QRCode:
    parts = urlsplit(url)
    if parts.scheme not in {"https", "http"} or not parts.netloc:
        raise QrCodeError(f"A verification QR code must hold an absolute http(s) URL, not {url!r}.")
    if len(url) > MAX_URL_LENGTH:
        raise QrCodeError(f"The verification URL is longer than {MAX_URL_LENGTH} characters.")
    # micro=False: Micro QR codes are not read by most phone cameras.
    return segno.make(url, error=ERROR_CORRECTION, micro=False, boost_error=False)
