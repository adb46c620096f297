"""The accessibility audit itself (a11y.py), on small pages whose problems are known."""
import base64
import io

import pytest
from PIL import Image

from tests.browser.a11y import audit, overflowing_elements

pytestmark = pytest.mark.browser

GOOD = """
<main>
  <h1>One heading</h1>
  <p style="color:#1a2230">Dark text on white.</p>
  <p style="color:#595959">Grey #595959 on white is 7:1.</p>
  <div style="background:#13294b"><p style="color:#ffffff">White on navy.</p></div>
  <div style="background:linear-gradient(#ffffff, #e8eef6)">
    <p style="color:#1a2230">Over a light gradient.</p>
  </div>
  <p style="color:#767676;font-size:24px">Large text needs 3:1 only.</p>
  <label for="name">Name</label><input id="name">
  <label><input type="checkbox" name="agree"> I agree</label>
  <input type="search" aria-label="Search">
  <span id="pick-label">Pick one</span><select aria-labelledby="pick-label"><option>A</option></select>
  <input type="hidden" name="token"><button type="submit">Send</button>
  <img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=" alt="">
  <span style="position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);color:#eee">
    hidden helper
  </span>
</main>
"""


@pytest.fixture
def page(chromium):
    context = chromium.new_context(viewport={"width": 800, "height": 600})
    yield context.new_page()
    context.close()


def test_a_page_that_keeps_every_rule_passes(page):
    page.set_content(GOOD)

    result = audit(page)

    assert result.problems == []
    assert result.texts_measured >= 8
    assert result.unmeasured == []


@pytest.mark.parametrize("headings, expected", [("", "0 h1"), ("<h1>A</h1><h1>B</h1>", "2 h1")])
def test_a_page_needs_exactly_one_h1(page, headings, expected):
    page.set_content(f"<main>{headings}<p>Text</p></main>")

    assert any(expected in problem for problem in audit(page).problems)


@pytest.mark.parametrize("field", [
    '<input name="email">',
    '<input name="email" placeholder="E-mail" title="E-mail">',
    '<label for="other">E-mail</label><input name="email">',
    '<select name="email"><option>x</option></select>',
    '<textarea name="email"></textarea>',
    '<input name="email" aria-labelledby="missing">',
    '<label for="email"> </label><input id="email" name="email">',
])
def test_a_form_field_without_a_label_is_reported(page, field):
    page.set_content(f"<h1>Form</h1>{field}")

    assert [problem for problem in audit(page).problems if "without a label" in problem]


def test_images_need_an_alt_attribute_and_role_img_a_name(page):
    page.set_content('<h1>Pictures</h1><img src="a.png"><div role="img"></div><img src="b.png" alt="">')

    problems = audit(page).problems

    assert any("image without alt: a.png" in problem for problem in problems)
    assert not any("b.png" in problem for problem in problems)
    assert any("role=img without a name" in problem for problem in problems)


@pytest.mark.parametrize("html", [
    '<p style="color:#999999">Light grey on white is 2.8:1.</p>',
    '<div style="background:#13294b"><p style="color:#3a5078">Dim blue on navy.</p></div>',
    '<p style="color:rgba(0,0,0,0.3)">Faint black is light grey.</p>',
    '<div style="background:linear-gradient(#ffffff, #222222)"><p style="color:#111">Dark end.</p></div>',
    '<p style="color:#a6a6a6;font-size:24px">Large text below 3:1.</p>',
])
def test_low_contrast_text_is_reported(page, html):
    page.set_content(f"<h1>Contrast</h1>{html}")

    assert [problem for problem in audit(page).problems if problem.startswith("contrast")]


def _picture(colour: str) -> str:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 40), colour).save(buffer, "PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


@pytest.mark.parametrize("text_colour, passes", [("#ffffff", True), ("#404040", False)])
def test_text_over_a_picture_is_measured_against_its_pixels(page, text_colour, passes):
    page.set_content(
        f'<h1 style="color:#fff;background:#13294b">Banner</h1>'
        f'<div style="background-image:url({_picture("#202020")});padding:1rem">'
        f'<p style="color:{text_colour}">On a dark photo</p></div>'
    )

    problems = audit(page).problems

    assert (problems == []) is passes, problems
    if not passes:
        assert "drawn by a gradient or picture" in problems[0]


def test_a_thin_stripe_of_a_gradient_beside_the_text_does_not_count(page):
    # The portal's fact panels: a 4 px gold stripe at the left edge of a pale header.
    page.set_content(
        "<h1>Facts</h1>"
        '<div style="padding:1rem 2rem;'
        'background:linear-gradient(90deg,#b8860b 0 4px,transparent 4px),#fbf3dd">'
        '<p style="color:#4b5768">What every microcredential states.</p></div>'
    )

    assert audit(page).problems == []


def test_content_wider_than_a_phone_is_found(chromium):
    context = chromium.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    page.set_content(
        "<h1>Wide</h1><p>did:web:127.0.0.1%3A40405:institutions:muni:an-identifier-without-any-break</p>"
        '<div style="overflow-x:auto"><table style="width:900px"><tr><td>scrolls in its box</td></tr>'
        "</table></div>"
    )
    try:
        wide = overflowing_elements(page)
        page.set_content('<h1>Narrow</h1><p style="overflow-wrap:anywhere">did:web:127.0.0.1%3A4:x-y</p>')
        assert overflowing_elements(page) == []
    finally:
        context.close()

    assert len(wide) == 1 and "did:web" in wide[0]


def test_a_hidden_label_that_escapes_its_scrolling_table_is_found(chromium):
    # The visually-hidden pattern is position:absolute: inside a scroller that is not positioned,
    # its containing block is the page, so it widens the page on a phone.
    context = chromium.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    hidden = (
        '<span style="position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0)">'
        "Preview Learner</span>"
    )
    table = f'<table style="width:600px"><tr><td style="width:590px">x</td><td>Go{hidden}</td></tr></table>'
    try:
        page.set_content(f'<h1>T</h1><div style="overflow-x:auto">{table}</div>')
        escaping = overflowing_elements(page)
        page.set_content(f'<h1>T</h1><div style="overflow-x:auto;position:relative">{table}</div>')
        contained = overflowing_elements(page)
    finally:
        context.close()

    assert escaping and "span" in escaping[0]
    assert contained == []
