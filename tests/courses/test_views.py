"""Public course pages: catalogue search, filters, sorting, paging; course page; 404s; queries."""
import datetime as dt
import json
import re
from decimal import Decimal
from html.parser import HTMLParser

import pytest
from django.urls import reverse

from courses.services import course_archive, course_publish
from mcportal.core import clock
from tests.factories.core import InstitutionFactory
from tests.factories.courses import CourseFactory, CourseRunFactory

CATALOGUE = reverse("courses:catalogue")


# ----------------------------------------------------------------------------- helpers


def _publish(actor, **attributes):
    return course_publish(course=CourseFactory(**attributes), actor=actor)


def _run(course, *, starts_in_days, **attributes):
    return CourseRunFactory(
        course=course, starts_on=clock.today() + dt.timedelta(days=starts_in_days), **attributes
    )


def _slugs(response):
    return [course.slug for course in response.context["courses"]]


class _PageParser(HTMLParser):
    """Collect what the accessibility and content checks need from a rendered page."""

    _BLOCKS = {"p", "li", "ul", "ol", "div", "br"}

    def __init__(self):
        super().__init__()
        self.h1_count = 0
        self.landmarks = set()
        self.images_without_alt = []
        self.controls = []  # (id, inside a <label>)
        self.label_targets = set()
        self._label_depth = 0
        self.scripts = []  # (type, text)
        self._script_type = None
        self._dl_class = None
        self._dl_target = None
        self.definitions = []  # (dt text, dd text) of the dl with the wanted class
        self._collect = None
        self._text = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "h1":
            self.h1_count += 1
        if tag in {"header", "nav", "main", "footer", "aside"}:
            self.landmarks.add(tag)
        if tag == "img" and "alt" not in attrs:
            self.images_without_alt.append(attrs.get("src"))
        if tag == "label":
            self._label_depth += 1
            if attrs.get("for"):
                self.label_targets.add(attrs["for"])
        if tag in {"input", "select", "textarea"} and attrs.get("type") not in {
            "hidden", "submit", "button"
        }:
            self.controls.append((attrs.get("id"), self._label_depth > 0))
        if tag == "script":
            self._script_type = attrs.get("type", "")
            self._text = []
        if tag == "dl" and self._dl_target and self._dl_target in (attrs.get("class") or ""):
            self._dl_class = self._dl_target
        if self._dl_class and tag in {"dt", "dd"}:
            self._collect = tag
            self._text = []
        elif self._collect and tag in self._BLOCKS:
            self._text.append(" ")

    def handle_endtag(self, tag):
        if tag == "label":
            self._label_depth -= 1
        if tag == "script":
            self.scripts.append((self._script_type, "".join(self._text)))
            self._script_type = None
        if self._dl_class and tag == "dl":
            self._dl_class = None
        if self._collect == tag:
            text = " ".join("".join(self._text).split())
            if tag == "dt":
                self.definitions.append([text, None])
            else:
                self.definitions[-1][1] = text
            self._collect = None

    def handle_data(self, data):
        if self._script_type is not None or self._collect:
            self._text.append(data)


def _parse(response, *, definition_list=None):
    parser = _PageParser()
    parser._dl_target = definition_list
    parser.feed(response.content.decode())
    return parser


def _assert_accessible(response):
    page = _parse(response)
    assert page.h1_count == 1
    assert {"header", "nav", "main", "footer"} <= page.landmarks
    assert page.images_without_alt == []
    unlabelled = [
        control_id
        for control_id, wrapped in page.controls
        if not wrapped and control_id not in page.label_targets
    ]
    assert unlabelled == []


@pytest.fixture
def catalogue(registrar, institution, other_institution):
    """Four published courses that differ in every filterable attribute, plus hidden ones.

    Default order (next start, then title): alpha (10 days), charlie (20), bravo (90), delta (none).
    """
    alpha = _publish(
        registrar, institution=institution, slug="alpha", title="Alpha Genomics",
        eqf_level=6, qf_ehea_cycle="first", ects_credits=Decimal("5"), workload_hours=125,
        participation_form="online", field_of_study="051", languages=["en"],
    )
    _run(alpha, starts_in_days=10, price_amount=Decimal("0"))
    bravo = _publish(
        registrar, institution=other_institution, slug="bravo", title="Bravo Cloud Computing",
        eqf_level=7, qf_ehea_cycle="second", ects_credits=Decimal("10"), workload_hours=275,
        participation_form="onsite", field_of_study="061", languages=["de", "en"],
    )
    _run(bravo, starts_in_days=90, price_amount=Decimal("490"))
    charlie = _publish(
        registrar, institution=institution, slug="charlie", title="Charlie Field Ecology",
        eqf_level=5, qf_ehea_cycle="short", ects_credits=Decimal("2.5"), workload_hours=70,
        participation_form="blended", field_of_study="051", languages=["fr"],
    )
    charlie.partner_institutions.add(other_institution)
    _run(charlie, starts_in_days=20, price_amount=Decimal("120"))
    _publish(
        registrar, institution=institution, slug="delta", title="Delta Research Data",
        eqf_level=8, qf_ehea_cycle="third", ects_credits=Decimal("15"), workload_hours=400,
        participation_form="online", field_of_study="0588", languages=["en"],
    )
    CourseFactory(institution=institution, slug="echo-draft", title="Echo Draft Genomics")
    archived = _publish(registrar, institution=institution, slug="foxtrot", title="Foxtrot Old")
    course_archive(course=archived, actor=registrar)
    return ["alpha", "charlie", "bravo", "delta"]


# ----------------------------------------------------------------------------- catalogue


def test_catalogue_lists_only_published_courses_next_start_first(client, catalogue):
    response = client.get(CATALOGUE)

    assert response.status_code == 200
    assert _slugs(response) == ["alpha", "charlie", "bravo", "delta"]
    assert "4 courses" in response.content.decode()
    _assert_accessible(response)


@pytest.mark.parametrize(
    ("query", "expected", "_case"),
    [
        ("genomics", ["alpha", "delta"], "title match first, then description match"),
        ("kubernetes", ["bravo"], "learning outcome match"),
        ("GENOMICS", ["alpha", "delta"], "case-insensitive"),
        ("ecology field", ["charlie"], "every word must match"),
        ("LS999", [], "unknown course code"),
        ("nothing-like-this", [], "no match"),
    ],
)
def test_catalogue_search(client, registrar, institution, query, expected, _case):
    _publish(registrar, institution=institution, slug="alpha", title="Alpha Genomics")
    _publish(
        registrar, institution=institution, slug="bravo", title="Bravo Cloud",
        outcomes=["Deploy a Kubernetes cluster."],
    )
    _publish(
        registrar, institution=institution, slug="charlie", title="Charlie Field Ecology",
        description="Sampling in the field.",
    )
    _publish(
        registrar, institution=institution, slug="delta", title="Delta Data",
        description="Managing genomics data sets.",
    )

    response = client.get(CATALOGUE, {"q": query})

    assert response.status_code == 200
    assert _slugs(response) == expected


@pytest.mark.parametrize(
    ("params", "expected", "_case"),
    [
        ({"eqf": "7"}, ["bravo"], "one EQF level"),
        ({"eqf": ["6", "8"]}, ["alpha", "delta"], "two EQF levels"),
        ({"ects_min": "5", "ects_max": "10"}, ["alpha", "bravo"], "ECTS range, inclusive"),
        ({"ects_min": "10"}, ["bravo", "delta"], "ECTS lower bound only"),
        ({"ects_max": "2.5"}, ["charlie"], "ECTS upper bound only"),
        ({"lang": "de"}, ["bravo"], "a second language counts"),
        ({"lang": ["en", "fr"]}, ["alpha", "charlie", "bravo", "delta"], "any of the languages"),
        ({"form": "online"}, ["alpha", "delta"], "online"),
        ({"form": ["blended", "onsite"]}, ["charlie", "bravo"], "two forms"),
        ({"field": "051"}, ["alpha", "charlie"], "field of study"),
        ({"price": "free"}, ["alpha"], "free"),
        ({"price": "paid"}, ["charlie", "bravo"], "paid; no run means neither"),
        ({"institution": "ut"}, ["charlie", "bravo"], "lead or joint awarding institution"),
        ({"institution": "muni"}, ["alpha", "charlie", "delta"], "other institution"),
        ({"soon": "on"}, ["alpha", "charlie"], "starting within 60 days"),
        (
            {"eqf": "5", "form": "blended", "institution": "ut", "price": "paid"},
            ["charlie"],
            "filters combine",
        ),
        ({"eqf": "1"}, [], "nothing at that level"),
    ],
)
def test_catalogue_filters(client, catalogue, params, expected, _case):
    response = client.get(CATALOGUE, params)

    assert response.status_code == 200
    assert response.context["form"].errors == {}
    assert _slugs(response) == expected


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("relevance", ["alpha", "charlie", "bravo", "delta"]),
        ("starting", ["alpha", "charlie", "bravo", "delta"]),
        ("title", ["alpha", "bravo", "charlie", "delta"]),
        ("ects", ["charlie", "alpha", "bravo", "delta"]),
        ("-ects", ["delta", "bravo", "alpha", "charlie"]),
        ("eqf", ["charlie", "alpha", "bravo", "delta"]),
        ("newest", ["delta", "charlie", "bravo", "alpha"]),
    ],
)
def test_catalogue_sorting(client, catalogue, sort, expected):
    response = client.get(CATALOGUE, {"sort": sort})

    assert response.status_code == 200
    assert _slugs(response) == expected


@pytest.mark.parametrize(
    ("page", "expected", "_case"),
    [
        ("1", ["course-a", "course-b"], "first page"),
        ("2", ["course-c", "course-d"], "middle page"),
        ("3", ["course-e"], "last page"),
        ("99", ["course-e"], "beyond the end gives the last page"),
        ("-1", ["course-e"], "below 1 gives the last page"),
        ("abc", ["course-a", "course-b"], "not a number gives the first page"),
        ("", ["course-a", "course-b"], "empty gives the first page"),
    ],
)
def test_catalogue_pagination(client, settings, registrar, institution, page, expected, _case):
    settings.MCPORTAL_CATALOGUE_PAGE_SIZE = 2
    for letter in "edcba":
        _publish(
            registrar, institution=institution, slug=f"course-{letter}", title=f"Course {letter}"
        )

    response = client.get(CATALOGUE, {"sort": "title", "page": page})

    assert response.status_code == 200
    assert _slugs(response) == expected
    assert "5 courses" in response.content.decode()


def test_catalogue_pagination_links_keep_the_filters(client, settings, registrar, institution):
    settings.MCPORTAL_CATALOGUE_PAGE_SIZE = 2
    for letter in "abcde":
        _publish(
            registrar, institution=institution, slug=f"course-{letter}", title=f"Course {letter}"
        )

    response = client.get(CATALOGUE, {"sort": "title", "lang": "en", "page": "2"})

    content = response.content.decode()
    assert 'href="?sort=title&amp;lang=en&amp;page=1" rel="prev"' in content
    assert 'href="?sort=title&amp;lang=en&amp;page=3" rel="next"' in content
    assert "Page 2 of 3" in content


@pytest.mark.parametrize(
    ("params", "errors", "expected", "_case"),
    [
        (
            {"ects_min": "abc", "eqf": ["99", "7"], "lang": "xx"},
            {
                "ects_min": ["Enter a number."],
                "eqf": ["Select a valid choice. 99 is not one of the available choices."],
                "lang": ["Select a valid choice. xx is not one of the available choices."],
            },
            ["alpha", "charlie", "bravo", "delta"],
            "nothing valid: all courses",
        ),
        (
            {"ects_min": "10", "ects_max": "5"},
            {"ects_max": ["The upper ECTS bound is below the lower one."]},
            ["bravo", "delta"],
            "the valid lower bound still applies",
        ),
        (
            {"sort": "bogus", "form": "online"},
            {"sort": ["Select a valid choice. bogus is not one of the available choices."]},
            ["alpha", "delta"],
            "unknown sort: default order, filter applies",
        ),
        (
            {"q": "x" * 201},
            {"q": ["Ensure this value has at most 200 characters (it has 201)."]},
            ["alpha", "charlie", "bravo", "delta"],
            "search too long",
        ),
        (
            {"ects_max": "61", "institution": "nowhere"},
            {
                "ects_max": ["Ensure this value is less than or equal to 60."],
                "institution": [
                    "Select a valid choice. nowhere is not one of the available choices."
                ],
            },
            ["alpha", "charlie", "bravo", "delta"],
            "out of range and unknown institution",
        ),
    ],
)
def test_catalogue_bad_filter_input_shows_field_errors(
    client, catalogue, params, errors, expected, _case
):
    response = client.get(CATALOGUE, params)

    assert response.status_code == 200
    assert response.context["form"].errors == errors
    assert _slugs(response) == expected
    content = response.content.decode()
    shown = re.findall(r'<p class="field__error[^"]*"[^>]*>(.*?)</p>', content)
    assert sorted(shown) == sorted(
        message.replace("'", "&#x27;") for messages in errors.values() for message in messages
    )
    assert "Some of your filters could not be used" in content
    _assert_accessible(response)


def test_catalogue_chips_name_each_active_filter_and_link_without_it(client, catalogue):
    response = client.get(
        CATALOGUE,
        {"q": "data", "eqf": ["6", "8"], "price": "free", "institution": "ut", "sort": "title"},
    )

    chips = [(chip.label, chip.query) for chip in response.context["chips"]]
    assert chips == [
        ("Search: “data”", "eqf=6&eqf=8&price=free&institution=ut&sort=title"),
        ("EQF level 6", "q=data&eqf=8&price=free&institution=ut&sort=title"),
        ("EQF level 8", "q=data&eqf=6&price=free&institution=ut&sort=title"),
        ("Free", "q=data&eqf=6&eqf=8&institution=ut&sort=title"),
        ("UT", "q=data&eqf=6&eqf=8&price=free&sort=title"),
    ]
    content = response.content.decode()
    without_eqf_6 = "q=data&amp;eqf=8&amp;price=free&amp;institution=ut&amp;sort=title"
    assert f'href="{CATALOGUE}?{without_eqf_6}"' in content
    assert f'href="{CATALOGUE}?sort=title">Clear all filters</a>' in content


def test_catalogue_chips_skip_invalid_values_and_drop_the_page(client, catalogue):
    response = client.get(
        CATALOGUE, {"ects_min": "2.5", "ects_max": "abc", "soon": "on", "page": "2"}
    )

    chips = [(chip.label, chip.query) for chip in response.context["chips"]]
    assert chips == [
        ("From 2.5 ECTS", "ects_max=abc&soon=on"),
        ("Starting soon", "ects_min=2.5&ects_max=abc"),
    ]


def test_catalogue_empty_state_for_filters_offers_a_way_out(client, catalogue):
    response = client.get(CATALOGUE, {"eqf": "1", "q": "genomics"})

    content = response.content.decode()
    assert _slugs(response) == []
    assert "0 courses" in content
    assert "No course matches all of your filters" in content
    assert "Check the spelling, or try fewer or more general words." in content
    assert f'<a class="button" href="{CATALOGUE}">Show all courses</a>' in content


def test_catalogue_empty_state_without_courses(client, db):
    response = client.get(CATALOGUE)

    content = response.content.decode()
    assert response.status_code == 200
    assert "No courses are published yet" in content
    assert "No course matches" not in content


def test_catalogue_card_shows_the_course_at_a_glance(client, catalogue):
    response = client.get(CATALOGUE, {"sort": "title"})

    content = " ".join(response.content.decode().split())
    cards = re.findall(r'<article class="course-card">(.*?)</article>', content)
    assert len(cards) == 4
    alpha, bravo, charlie, delta = cards
    today = clock.today()
    assert 'href="/courses/alpha/">Alpha Genomics</a>' in alpha
    assert "Masaryk University" in alpha
    assert "Hands-on analysis of sequencing data." in alpha
    assert "<dd>EQF 6</dd>" in alpha
    assert "<dd>5 ECTS</dd>" in alpha
    assert "<dd>Online</dd>" in alpha
    assert "<dd>English</dd>" in alpha
    start = today + dt.timedelta(days=10)
    assert f'<time datetime="{start:%Y-%m-%d}">{start.day} {start:%b %Y}</time>' in alpha
    assert "course-card__price--free\"> Free </p>" in alpha
    assert "<dd>German, English</dd>" in bravo  # in the order of their codes (de, en)
    assert "from €490" in bravo
    assert "<dd>2.5 ECTS</dd>" in charlie
    assert (
        'Masaryk University<span class="course-card__partner">University of Tartu</span>'
        in charlie
    )
    assert "from €120" in charlie
    assert "No upcoming run" in delta
    assert "€" not in delta


@pytest.mark.parametrize("number_of_courses", [3, 30])
def test_catalogue_costs_a_fixed_number_of_queries(
    client, settings, registrar, institution, other_institution, django_assert_num_queries,
    number_of_courses,
):
    settings.MCPORTAL_CATALOGUE_PAGE_SIZE = 50
    for number in range(number_of_courses):
        course = _publish(
            registrar, institution=institution, slug=f"course-{number}", languages=["en", "de"]
        )
        course.partner_institutions.add(other_institution)
        _run(course, starts_in_days=10 + number, price_amount=Decimal(number))

    # Institution choices, count, page, languages, partner institutions.
    with django_assert_num_queries(5):
        response = client.get(CATALOGUE, {"eqf": "7", "sort": "title"})

    assert len(response.context["courses"]) == number_of_courses


# ----------------------------------------------------------------------------- course page


@pytest.fixture
def full_course(registrar, institution, other_institution):
    institution.contact_email = "microcredentials@muni.example"
    institution.save()
    course = CourseFactory(
        institution=institution,
        slug="applied-bioinformatics",
        title="Applied Bioinformatics",
        summary="Hands-on analysis of sequencing data.",
        description="Learn to **analyse** RNA-seq data.\n\n<script>alert(1)</script>",
        assessment_details="A written report on your own data set.",
        quality_assurance_details="Reviewed yearly by the faculty board.",
        prerequisites="Basic Python.",
        supervision_verification="supervised_with_id",
        grading_scheme="ects_grades",
        stackability="stackable",
        stackability_details="Counts towards the MSc in Bioinformatics.",
        further_information="Materials are open.",
        further_information_url="https://example.edu/more",
        target_groups="Biologists and clinicians.",
        validity_months=36,
        outcomes=["Design a differential expression analysis.", "Interpret the results."],
        languages=["en", "cs"],
    )
    course.partner_institutions.add(other_institution)
    return course_publish(course=course, actor=registrar)


def test_course_page_shows_every_element_of_the_recommendation(client, full_course):
    response = client.get(full_course.get_absolute_url())

    assert response.status_code == 200
    facts = _parse(response, definition_list="facts__list").definitions
    assert facts == [
        ["Title of the microcredential", "Applied Bioinformatics"],
        ["Awarding body", "Masaryk University, Czechia University of Tartu, Estonia"],
        [
            "Learning outcomes",
            "After the course you will be able to: "
            "Design a differential expression analysis. Interpret the results.",
        ],
        ["Notional workload (hours and ECTS)", "125 hours of study, 5 ECTS credits"],
        ["Level (EQF, QF-EHEA cycle)", "EQF level 7 QF-EHEA: Second cycle (master)"],
        ["Type of assessment", "Project work A written report on your own data set."],
        ["Form of participation", "Online"],
        [
            "Type of quality assurance",
            "Internal quality assurance of the institution Reviewed yearly by the faculty board.",
        ],
        ["Prerequisites", "Basic Python."],
        [
            "Supervision and identity verification",
            "Supervised online or on site, with identity verification",
        ],
        ["Grading scheme", "ECTS grading scale (A–F)"],
        [
            "Integration / stackability",
            "Stackable towards a larger credential Counts towards the MSc in Bioinformatics.",
        ],
        ["Further information", "Materials are open. https://example.edu/more"],
    ]
    content = response.content.decode()
    assert '<ol class="outcomes"><li>Design a differential expression analysis.</li>' in content
    details = _parse(response, definition_list="details-list").definitions
    assert details == [
        ["Languages", "Czech, English"],
        ["Field of study", "051 Biological and related sciences"],
        ["Who it is for", "Biologists and clinicians."],
        ["Credential validity", "36 months after issue"],
        ["Course code", full_course.code],
    ]
    _assert_accessible(response)


def test_course_page_leaves_out_optional_elements_that_are_absent(client, registrar, institution):
    course = _publish(registrar, institution=institution, slug="plain", grading_scheme="")

    response = client.get(course.get_absolute_url())

    labels = [label for label, _ in _parse(response, definition_list="facts__list").definitions]
    assert labels == [
        "Title of the microcredential",
        "Awarding body",
        "Learning outcomes",
        "Notional workload (hours and ECTS)",
        "Level (EQF, QF-EHEA cycle)",
        "Type of assessment",
        "Form of participation",
        "Type of quality assurance",
    ]
    details = dict(_parse(response, definition_list="details-list").definitions)
    assert details["Credential validity"] == "Does not expire"


def test_course_page_renders_the_description_as_sanitised_markdown(client, full_course):
    response = client.get(full_course.get_absolute_url())

    content = response.content.decode()
    assert "<p>Learn to <strong>analyse</strong> RNA-seq data.</p>" in content
    assert "<script>alert(1)</script>" not in content


def test_course_page_lists_upcoming_runs_with_price_seats_and_enrolment(
    client, full_course
):
    now = clock.now()
    today = clock.today()
    CourseRunFactory(
        course=full_course, label="Autumn", starts_on=today + dt.timedelta(days=30),
        capacity=None, price_amount=Decimal("0"),
    )
    CourseRunFactory(
        course=full_course, label="Winter", starts_on=today + dt.timedelta(days=60),
        capacity=20, seats_taken=20, price_amount=Decimal("1490"),
    )
    CourseRunFactory(
        course=full_course, label="Spring", starts_on=today + dt.timedelta(days=90),
        capacity=20, seats_taken=17, price_amount=Decimal("250"), location="Brno",
        enrolment_opens_at=now + dt.timedelta(days=10),
    )
    CourseRunFactory(
        course=full_course, label="Cancelled", starts_on=today + dt.timedelta(days=40),
        is_cancelled=True,
    )
    CourseRunFactory(
        course=full_course, label="Past", starts_on=today - dt.timedelta(days=90),
        ends_on=today - dt.timedelta(days=1), enrolment_opens_at=now - dt.timedelta(days=120),
        enrolment_closes_at=now - dt.timedelta(days=91),
    )

    response = client.get(full_course.get_absolute_url())

    content = " ".join(response.content.decode().split())
    runs = re.findall(r'<article class="run-card" [^>]*>(.*?)</article>', content)
    assert [re.search(r"<h3[^>]*>(.*?)</h3>", run).group(1) for run in runs] == [
        "Autumn", "Winter", "Spring",
    ]
    autumn, winter, spring = runs
    assert "Enrolment open" in autumn
    assert "<dt>Price</dt><dd>Free</dd>" in autumn
    assert "<dt>Places</dt><dd>No limit</dd>" in autumn
    assert "<dt>Price</dt><dd>€1,490.00</dd>" in winter
    assert "<dt>Places</dt><dd>Full – waiting list</dd>" in winter
    assert "Not open yet" in spring
    assert "<dt>Places</dt><dd>3 places left</dd>" in spring
    assert "<dt>Location</dt><dd>Brno</dd>" in spring
    # An anonymous visitor is sent to log in (and back here) from the runs open for enrolment.
    login = '<a class="button button--primary button--block" href="/accounts/login/?next=/courses/'
    assert login in autumn
    assert login in winter
    assert "Enrolment opens on" in spring
    assert "/learning/enrol/" not in content
    assert 'href="mailto:microcredentials@muni.example"' in content


def test_course_page_without_runs_says_so(client, full_course):
    response = client.get(full_course.get_absolute_url())

    assert "No run of this course is scheduled at the moment." in response.content.decode()


def test_course_page_structured_data_is_valid_json_ld(client, full_course):
    CourseRunFactory(course=full_course, label="Autumn", price_amount=Decimal("99"))

    response = client.get(full_course.get_absolute_url())

    scripts = [text for kind, text in _parse(response).scripts if kind == "application/ld+json"]
    assert len(scripts) == 1
    data = json.loads(scripts[0])
    assert data["@type"] == "Course"
    assert data["name"] == "Applied Bioinformatics"
    assert data["url"] == "https://portal.test/courses/applied-bioinformatics/"
    assert [provider["name"] for provider in data["provider"]] == [
        "Masaryk University", "University of Tartu",
    ]
    assert [instance["offers"]["price"] for instance in data["hasCourseInstance"]] == ["99.00"]


def test_course_page_structured_data_cannot_break_out_of_its_script(
    client, registrar, institution
):
    title = "Evil </script><script>alert('x')</script> & <!-- course"
    course = _publish(registrar, institution=institution, slug="evil", title=title)

    response = client.get(course.get_absolute_url())

    content = response.content.decode()
    assert "<script>alert('x')</script>" not in content
    scripts = [text for kind, text in _parse(response).scripts if kind == "application/ld+json"]
    assert len(scripts) == 1
    assert "<" not in scripts[0]
    assert json.loads(scripts[0])["name"] == title


@pytest.mark.parametrize(("partners", "runs"), [(0, 1), (3, 6)])
def test_course_page_costs_a_fixed_number_of_queries(
    client, registrar, institution, django_assert_num_queries, partners, runs
):
    course = _publish(
        registrar, institution=institution, slug="fixed", languages=["en", "de", "fr"]
    )
    course.partner_institutions.add(*InstitutionFactory.create_batch(partners))
    for number in range(runs):
        _run(course, starts_in_days=10 + number, price_amount=Decimal(number))

    # Course, outcomes, languages, partner institutions, upcoming runs.
    with django_assert_num_queries(5):
        response = client.get(course.get_absolute_url())

    assert response.status_code == 200
    assert len(response.context["run_rows"]) == runs


@pytest.mark.parametrize("state", ["draft", "archived", "unknown"])
def test_course_page_is_a_friendly_404_unless_published(
    client, registrar, institution, state
):
    if state == "draft":
        CourseFactory(institution=institution, slug="hidden")
    elif state == "archived":
        course = _publish(registrar, institution=institution, slug="hidden")
        course_archive(course=course, actor=registrar)

    response = client.get(reverse("courses:detail", kwargs={"slug": "hidden"}))

    assert response.status_code == 404
    assert response["Content-Type"] == "text/html; charset=utf-8"
    assert "We could not find that page" in response.content.decode()


def test_unknown_url_gives_the_friendly_html_404_page(client, db):
    response = client.get("/no-such-page/")

    assert response.status_code == 404
    assert response["Content-Type"] == "text/html; charset=utf-8"
    assert "We could not find that page" in response.content.decode()
    _assert_accessible(response)


def test_root_redirects_to_the_catalogue(client, db):
    response = client.get("/")

    assert response.status_code == 302
    assert response["Location"] == CATALOGUE
