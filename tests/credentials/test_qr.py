"""QR codes of the verification URL: the SVG draws exactly the symbol, PNG sizes, refused values."""

import base64
import re
import struct
import xml.etree.ElementTree as ET

import pytest
import segno

from credentials.rendering.qr import (
    QUIET_ZONE_MODULES,
    QrCodeError,
    verification_qr_png,
    verification_qr_svg,
    verification_qr_svg_data_uri,
)

URL = "https://portal.test/verify/7QK4-M2XD-93HF"
SVG = "{http://www.w3.org/2000/svg}"


def _expected_matrix(url: str) -> list[list[bool]]:
    symbol = segno.make(url, error="m", micro=False, boost_error=False)
    return [[bool(module) for module in row] for row in symbol.matrix]


def _matrix_from_svg(svg: str) -> list[list[bool]]:
    """Rebuild the dark modules from segno's path: horizontal strokes through each row's middle."""
    root = ET.fromstring(svg)
    size = int(root.get("viewBox").split()[2])
    grid = [[False] * size for _ in range(size)]
    x = y = 0.0
    for command, first, second in re.findall(
        r"([Mmh])(-?[\d.]+)(?: (-?[\d.]+))?", root.find(f"{SVG}path").get("d")
    ):
        if command == "M":
            x, y = float(first), float(second)
        elif command == "m":
            x, y = x + float(first), y + float(second)
        else:
            for column in range(int(x), int(x + float(first))):
                grid[int(y)][column] = True
            x += float(first)
    inner = slice(QUIET_ZONE_MODULES, size - QUIET_ZONE_MODULES)
    return [row[inner] for row in grid[inner]]


def test_svg_draws_exactly_the_modules_of_the_url_symbol():
    svg = verification_qr_svg(URL)

    assert _matrix_from_svg(svg) == _expected_matrix(URL)


def test_svg_has_a_four_module_quiet_zone_and_no_fixed_size():
    svg = verification_qr_svg(URL)
    root = ET.fromstring(svg)
    symbol_size = len(_expected_matrix(URL))

    assert root.get("viewBox") == f"0 0 {symbol_size + 8} {symbol_size + 8}"
    assert root.get("width") is None and root.get("height") is None
    assert not svg.startswith("<?xml")


def test_symbol_uses_error_correction_m_in_a_small_version():
    symbol = segno.make(URL, error="m", micro=False, boost_error=False)

    assert (symbol.error, symbol.version, symbol.mode) == ("M", 3, "byte")


def test_svg_colour_is_applied_to_the_modules():
    root = ET.fromstring(verification_qr_svg(URL, colour="#7a1b2d"))

    assert root.find(f"{SVG}path").get("stroke") == "#7a1b2d"


def test_data_uri_carries_the_svg():
    uri = verification_qr_svg_data_uri(URL)

    prefix = "data:image/svg+xml;base64,"
    assert uri.startswith(prefix)
    assert base64.b64decode(uri[len(prefix) :]).decode() == verification_qr_svg(URL)


def test_png_is_scaled_with_the_quiet_zone():
    png = verification_qr_png(URL, scale=5)

    width, height = struct.unpack(">II", png[16:24])
    expected = (len(_expected_matrix(URL)) + 2 * QUIET_ZONE_MODULES) * 5
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    assert (width, height) == (expected, expected)


def test_plain_http_is_accepted_for_a_development_portal():
    assert _matrix_from_svg(verification_qr_svg("http://127.0.0.1:8000/verify/X")) == _expected_matrix(
        "http://127.0.0.1:8000/verify/X"
    )


@pytest.mark.parametrize(
    ("_case", "value", "message"),
    [
        ("relative path", "/verify/7QK4", "absolute http"),
        ("javascript", "javascript:alert(1)", "absolute http"),
        ("no host", "https:///verify", "absolute http"),
        ("too long", "https://portal.test/" + "a" * 600, "longer than 512"),
    ],
)
def test_values_that_are_not_verification_urls_are_refused(_case, value, message):
    with pytest.raises(QrCodeError, match=message):
        verification_qr_svg(value)
