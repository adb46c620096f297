"""The Journey helper: every page visited is audited, known problems are tolerated and nothing else."""
from types import SimpleNamespace

import pytest

from tests.browser.conftest import DESKTOP, PHONE, Journey

pytestmark = pytest.mark.browser

GOOD_PAGE = "data:text/html,<title>t</title><h1>Fine</h1><p>Text</p>"
UNLABELLED_PAGE = "data:text/html,<title>t</title><h1>Form</h1><input name=q>"


@pytest.fixture
def open_journey(chromium, tmp_path):
    opened = []

    def make(viewport=DESKTOP):
        # Pages here are data: URLs; the portal's URL only serves as the base for relative links.
        portal = SimpleNamespace(url="http://127.0.0.1:9")
        opened.append(Journey(chromium, portal, tmp_path, "tester", viewport))
        return opened[-1]

    yield make
    for journey in opened:
        journey.context.close()


def test_a_checked_page_is_screenshotted_and_the_journey_finishes(open_journey, tmp_path):
    journey = open_journey()
    journey.page.goto(GOOD_PAGE)

    journey.check("good")
    journey.finish()

    assert (tmp_path / "tester-01-good.png").read_bytes().startswith(b"\x89PNG")


def test_a_page_visited_without_a_check_fails_the_journey(open_journey):
    journey = open_journey()
    journey.page.goto(GOOD_PAGE)
    journey.check("first")
    journey.page.goto(GOOD_PAGE.replace("Fine", "Second"))

    with pytest.raises(AssertionError, match="page visited without an accessibility check"):
        journey.finish()


def test_a_problem_fails_the_check_unless_it_is_a_known_one(open_journey):
    journey = open_journey()
    journey.page.goto(UNLABELLED_PAGE)

    with pytest.raises(AssertionError, match="form field without a label"):
        journey.check("unlabelled")
    journey.check("unlabelled-known", known_problems=("form field without a label",))


def test_a_known_problem_that_is_gone_is_reported_as_a_warning(open_journey):
    journey = open_journey()
    journey.page.goto(GOOD_PAGE)

    with pytest.warns(UserWarning, match="is fixed"):
        journey.check("fixed", known_problems=("form field without a label",))


def test_on_a_phone_a_page_wider_than_the_screen_fails_the_check(open_journey):
    journey = open_journey(PHONE)
    journey.page.goto("data:text/html,<title>t</title><h1>Wide</h1><div style='width:800px'>x</div>")

    with pytest.raises(AssertionError, match="scrolls sideways on a phone"):
        journey.check("wide")


def test_a_javascript_error_fails_the_journey(open_journey):
    journey = open_journey()
    journey.page.goto("data:text/html,<title>t</title><h1>Broken</h1><script>undefinedFunction()</script>")
    journey.check("broken")

    with pytest.raises(AssertionError, match="JavaScript error"):
        journey.finish()
