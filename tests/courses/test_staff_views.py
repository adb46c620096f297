"""Tests of the staff course pages: who may see and do what, and what each page does."""
import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from courses.choices import CourseStatus
from courses.models import Course, CourseRun
from courses.services import (
    COURSE_EDITABLE_FIELDS,
    course_archive,
    course_publish,
    course_run_cancel,
)
from mcportal.core.models import AuditEvent
from tests.factories.core import InstitutionFactory, MembershipFactory
from tests.factories.courses import CourseFactory, CourseRunFactory

pytestmark = pytest.mark.django_db

ROLES = [
    "anonymous", "learner", "other_instructor", "other_registrar", "finance", "instructor",
    "registrar",
]


@pytest.fixture
def other_instructor(other_institution):
    return MembershipFactory(institution=other_institution, role="instructor").user


@pytest.fixture
def users(learner, other_instructor, other_registrar, finance, instructor, registrar):
    return {
        "anonymous": None,
        "learner": learner,
        "other_instructor": other_instructor,
        "other_registrar": other_registrar,
        "finance": finance,
        "instructor": instructor,
        "registrar": registrar,
    }


@pytest.fixture
def course(institution):
    return CourseFactory(institution=institution, title="Applied Bioinformatics", slug="bioinf")


@pytest.fixture
def run(course):
    return CourseRunFactory(course=course, label="Autumn", capacity=20, seats_taken=3)


def _messages(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def _outcome_data(rows, *, initial=0, prefix="outcomes"):
    """Formset POST data; rows are (statement, order, delete) tuples."""
    data = {
        f"{prefix}-TOTAL_FORMS": str(len(rows)),
        f"{prefix}-INITIAL_FORMS": str(initial),
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "50",
    }
    for index, (statement, order, delete) in enumerate(rows):
        data[f"{prefix}-{index}-statement"] = statement
        data[f"{prefix}-{index}-ORDER"] = "" if order is None else str(order)
        if delete:
            data[f"{prefix}-{index}-DELETE"] = "on"
    return data


def _course_edit_data(course, **overrides):
    """The edit form as the browser would submit it unchanged, with some fields overridden."""
    data = {}
    for name in COURSE_EDITABLE_FIELDS:
        value = getattr(course, name)
        data[name] = "" if value is None else str(value)
    data["languages"] = [language.language for language in course.languages.all()]
    data["partner_institutions"] = [str(p.pk) for p in course.partner_institutions.all()]
    statements = [outcome.statement for outcome in course.outcomes.all()]
    data.update(
        _outcome_data(
            [(s, position, False) for position, s in enumerate(statements, start=1)],
            initial=len(statements),
        )
    )
    data.update(overrides)
    return data


NEW_COURSE_DATA = {
    "title": "Proteomics for beginners",
    "code": "BIO101",
    "slug": "",
    "summary": "Mass spectrometry from sample to result.",
    "eqf_level": "6",
    "qf_ehea_cycle": "first",
    "workload_hours": "75",
    "ects_credits": "3",
    "assessment_type": "written_exam",
    "participation_form": "onsite",
    "quality_assurance_type": "internal",
    "languages": ["en", "cs"],
}


def _run_data(**overrides):
    data = {
        "label": "Spring 2027",
        "starts_on": "2027-03-01",
        "ends_on": "2027-05-31",
        "enrolment_opens_at": "2027-01-10T09:00",
        "enrolment_closes_at": "2027-02-28T23:59",
        "capacity": "24",
        "price_amount": "450.00",
        "currency": "EUR",
        "location": "Brno",
    }
    data.update(overrides)
    return data


def _url(name, course=None, run=None):
    if run is not None:
        return reverse(f"courses_staff:{name}", kwargs={"slug": course.slug, "pk": run.pk})
    if course is not None:
        return reverse(f"courses_staff:{name}", kwargs={"slug": course.slug})
    return reverse(f"courses_staff:{name}")


def _assert_login_redirect(response, url):
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))
    assert "next=" in response["Location"]


# ----------------------------------------------------------------------------- who may see what

VIEW_ONLY = {
    "anonymous": 302, "learner": 403, "other_instructor": 404, "other_registrar": 404,
    "finance": 200, "instructor": 200, "registrar": 200,
}
EDIT = {**VIEW_ONLY, "finance": 403}
PUBLISH = {**EDIT, "instructor": 403}


@pytest.mark.parametrize(
    ("page", "expected"),
    [
        ("detail", VIEW_ONLY),
        ("edit", EDIT),
        ("run_create", EDIT),
        ("run_edit", EDIT),
        ("run_cancel", EDIT),
        ("withdraw", PUBLISH),
        ("archive", PUBLISH),
    ],
)
@pytest.mark.parametrize("role", ROLES)
def test_course_pages_answer_each_role(client_for, users, course, run, page, expected, role):
    url = _url(page, course, run if page.startswith("run_") and page != "run_create" else None)

    response = client_for(users[role]).get(url)

    assert response.status_code == expected[role]
    if role == "anonymous":
        _assert_login_redirect(response, url)


@pytest.mark.parametrize(
    ("role", "expected", "sees_course", "sees_new_button"),
    [
        ("anonymous", 302, False, False),
        ("learner", 403, False, False),
        ("other_instructor", 200, False, True),
        ("other_registrar", 200, False, True),
        ("finance", 200, True, False),
        ("instructor", 200, True, True),
        ("registrar", 200, True, True),
    ],
)
def test_course_list_shows_only_my_institutions(
    client_for, users, course, role, expected, sees_course, sees_new_button
):
    response = client_for(users[role]).get(_url("list"))

    assert response.status_code == expected
    if expected == 200:
        body = response.content.decode()
        assert ("Applied Bioinformatics" in body) is sees_course
        assert (_url("create") in body) is sees_new_button


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("anonymous", 302), ("learner", 403), ("finance", 403), ("other_instructor", 200),
        ("instructor", 200), ("registrar", 200),
    ],
)
def test_create_page_needs_the_edit_role_somewhere(client_for, users, role, expected):
    response = client_for(users[role]).get(_url("create"))

    assert response.status_code == expected


# ----------------------------------------------------------------------------- who may do what


def _snapshot(course, run):
    course.refresh_from_db()
    run.refresh_from_db()
    return (
        course.status, course.title, course.published_at,
        list(course.outcomes.values_list("statement", flat=True)),
        run.label, run.capacity, run.is_cancelled,
        CourseRun.objects.count(), AuditEvent.objects.count(),
    )


def _prepare(action, course, run, registrar):
    if action == "withdraw":
        course_publish(course=course, actor=registrar)


def _post_data(action, course, run):
    return {
        "edit": lambda: _course_edit_data(course, title="Renamed course"),
        "publish": dict,
        "withdraw": lambda: {"reason": "Outcomes need review."},
        "archive": lambda: {"reason": "Replaced."},
        "run_create": lambda: _run_data(),
        "run_edit": lambda: _run_data(label="Autumn", capacity="30"),
        "run_cancel": lambda: {"reason": "Too few enrolments."},
    }[action]()


def _effect_happened(action, course, run):
    course.refresh_from_db()
    run.refresh_from_db()
    return {
        "edit": lambda: course.title == "Renamed course",
        "publish": lambda: course.status == CourseStatus.PUBLISHED,
        "withdraw": lambda: course.status == CourseStatus.DRAFT,
        "archive": lambda: course.status == CourseStatus.ARCHIVED,
        "run_create": lambda: CourseRun.objects.filter(label="Spring 2027").exists(),
        "run_edit": lambda: run.capacity == 30,
        "run_cancel": lambda: run.is_cancelled,
    }[action]()


ACTION_EXPECTATIONS = {
    "edit": EDIT,
    "publish": PUBLISH,
    "withdraw": PUBLISH,
    "archive": PUBLISH,
    "run_create": EDIT,
    "run_edit": EDIT,
    "run_cancel": EDIT,
}


@pytest.mark.parametrize("action", list(ACTION_EXPECTATIONS))
@pytest.mark.parametrize("role", ROLES)
def test_each_post_is_allowed_only_to_the_right_role(
    client_for, users, registrar, course, run, action, role
):
    _prepare(action, course, run, registrar)
    before = _snapshot(course, run)
    url = _url(action, course, run if action in {"run_edit", "run_cancel"} else None)

    response = client_for(users[role]).post(url, _post_data(action, course, run))

    expected = ACTION_EXPECTATIONS[action][role]
    if expected == 200:
        assert response.status_code == 302
        assert response["Location"].startswith(_url("detail", course))
        assert _effect_happened(action, course, run)
        assert AuditEvent.objects.count() == before[-1] + 1
        assert AuditEvent.objects.latest("pk").actor == users[role]
    else:
        assert response.status_code == expected
        if role == "anonymous":
            _assert_login_redirect(response, url)
        assert _snapshot(course, run) == before


@pytest.mark.parametrize("role", ["anonymous", "learner", "finance", "other_instructor"])
def test_create_is_refused_for_an_institution_where_i_cannot_edit(
    client_for, users, institution, role
):
    data = {**NEW_COURSE_DATA, "institution": str(institution.pk), **_outcome_data([])}

    response = client_for(users[role]).post(_url("create"), data)

    assert Course.objects.count() == 0
    assert AuditEvent.objects.count() == 0
    if role == "other_instructor":
        # The institution is not among the choices offered to this user.
        assert response.status_code == 200
        assert response.context["editor"].form.errors["institution"]
    else:
        assert response.status_code == {"anonymous": 302, "learner": 403, "finance": 403}[role]


def test_get_on_publish_is_not_allowed(client_for, registrar, course):
    response = client_for(registrar).get(_url("publish", course))

    assert response.status_code == 405
    course.refresh_from_db()
    assert course.status == CourseStatus.DRAFT


def test_run_of_another_course_is_not_found(client_for, instructor, course, institution):
    foreign_run = CourseRunFactory(course=CourseFactory(institution=institution))

    response = client_for(instructor).get(_url("run_edit", course, foreign_run))

    assert response.status_code == 404


# ----------------------------------------------------------------------------- list


def test_list_filters_by_status_and_search(client_for, registrar, institution, course):
    published = CourseFactory(institution=institution, title="Structural Biology", code="SB1")
    course_publish(course=published, actor=registrar)
    CourseFactory(institution=institution, title="Ecology field course")

    client = client_for(registrar)
    by_status = client.get(_url("list"), {"status": "published"})
    by_search = client.get(_url("list"), {"q": "bioinf"})
    by_code = client.get(_url("list"), {"q": "sb1"})

    assert [c.title for c in by_status.context["courses"]] == ["Structural Biology"]
    assert [c.title for c in by_search.context["courses"]] == ["Applied Bioinformatics"]
    assert [c.title for c in by_code.context["courses"]] == ["Structural Biology"]


def test_list_paginates_and_shows_the_next_run(client_for, registrar, institution):
    for number in range(26):
        CourseFactory(institution=institution, title=f"Course {number:02d}")
    first = Course.objects.get(title="Course 00")
    CourseRunFactory(course=first, starts_on=dt.date(2031, 4, 2), ends_on=dt.date(2031, 6, 1))

    client = client_for(registrar)
    page_one = client.get(_url("list"))
    page_two = client.get(_url("list"), {"page": 2})

    assert len(page_one.context["courses"]) == 25
    assert [c.title for c in page_two.context["courses"]] == ["Course 25"]
    assert "2 Apr 2031" in page_one.content.decode()
    assert "Page 1 of 2" in page_one.content.decode()


def test_list_costs_a_fixed_number_of_queries(
    client_for, registrar, institution, django_assert_num_queries
):
    for number in range(5):
        CourseRunFactory(course=CourseFactory(institution=institution, title=f"Course {number}"))
    client = client_for(registrar)
    client.get(_url("list"))

    # session, user, staff-area check, create check, count, page, and the header's staff check
    with django_assert_num_queries(7):
        client.get(_url("list"))
    for number in range(5, 10):
        CourseRunFactory(course=CourseFactory(institution=institution, title=f"Course {number}"))
    with django_assert_num_queries(7):
        client.get(_url("list"))


# ----------------------------------------------------------------------------- create and edit


def test_create_saves_a_draft_with_ordered_outcomes(client_for, instructor, institution):
    other = InstitutionFactory(country="EE")
    data = {
        **NEW_COURSE_DATA,
        "institution": str(institution.pk),
        "partner_institutions": [str(other.pk)],
        **_outcome_data([
            ("Explain ionisation.", 2, False),
            ("Prepare a sample.", 1, False),
            ("A statement I dropped.", 3, True),
            ("", None, False),
        ]),
    }

    response = client_for(instructor).post(_url("create"), data)

    course = Course.objects.get()
    assert response.status_code == 302
    assert response["Location"] == _url("detail", course)
    assert course.status == CourseStatus.DRAFT
    assert course.slug == "proteomics-for-beginners"
    assert list(course.outcomes.values_list("statement", flat=True)) == [
        "Prepare a sample.", "Explain ionisation.",
    ]
    assert sorted(course.languages.values_list("language", flat=True)) == ["cs", "en"]
    assert list(course.partner_institutions.all()) == [other]
    assert list(AuditEvent.objects.values_list("action", flat=True)) == ["course.created"]


def test_create_with_a_taken_address_shows_the_error_and_keeps_the_input(
    client_for, instructor, institution, course
):
    data = {
        **NEW_COURSE_DATA,
        "slug": course.slug,
        "institution": str(institution.pk),
        **_outcome_data([("Prepare a sample.", 1, False)]),
    }

    response = client_for(instructor).post(_url("create"), data)

    assert response.status_code == 200
    form = response.context["editor"].form
    assert list(form.errors) == ["slug"]
    body = response.content.decode()
    assert 'value="Proteomics for beginners"' in body
    assert "Prepare a sample." in body
    assert Course.objects.count() == 1
    assert AuditEvent.objects.count() == 0


def test_create_refuses_the_reserved_address_new(client_for, instructor, institution):
    data = {**NEW_COURSE_DATA, "slug": "new", "institution": str(institution.pk), **_outcome_data([])}

    response = client_for(instructor).post(_url("create"), data)

    assert response.status_code == 200
    assert response.context["editor"].form.errors["slug"] == [
        "'new' is reserved; choose another web address."
    ]
    assert Course.objects.count() == 0


def test_create_refuses_eqf_level_9(client_for, instructor, institution):
    data = {
        **NEW_COURSE_DATA, "eqf_level": "9", "qf_ehea_cycle": "",
        "institution": str(institution.pk), **_outcome_data([]),
    }

    response = client_for(instructor).post(_url("create"), data)

    assert response.status_code == 200
    assert list(response.context["editor"].form.errors) == ["eqf_level"]
    assert Course.objects.count() == 0


def test_create_may_save_an_incomplete_draft(client_for, instructor, institution):
    data = {"title": "Just a title", "institution": str(institution.pk), **_outcome_data([])}

    response = client_for(instructor).post(_url("create"), data)

    assert response.status_code == 302
    assert Course.objects.get().title == "Just a title"


def test_edit_page_shows_the_current_values(client_for, instructor, course):
    response = client_for(instructor).get(_url("edit", course))

    body = response.content.decode()
    assert 'value="Applied Bioinformatics"' in body
    assert "Design a differential expression analysis." in body
    assert 'name="outcomes-INITIAL_FORMS" value="2"' in body


def test_edit_audits_only_the_changed_fields(client_for, instructor, course):
    data = _course_edit_data(course, title="Applied Bioinformatics II", eqf_level="7")

    response = client_for(instructor).post(_url("edit", course), data)

    assert response.status_code == 302
    event = AuditEvent.objects.get()
    assert (event.action, event.data) == ("course.updated", {"fields": ["title"]})


def test_edit_reorders_and_removes_outcomes(client_for, instructor, course):
    data = _course_edit_data(course)
    data.update(_outcome_data(
        [
            ("Design a differential expression analysis.", 2, False),
            ("Interpret results in a biological context.", 1, True),
            ("Report the analysis reproducibly.", 1, False),
        ],
        initial=2,
    ))

    client_for(instructor).post(_url("edit", course), data)

    assert list(course.outcomes.values_list("statement", flat=True)) == [
        "Report the analysis reproducibly.", "Design a differential expression analysis.",
    ]
    assert AuditEvent.objects.get().data == {"fields": ["outcomes"]}


def test_edit_without_changes_saves_nothing(client_for, instructor, course):
    response = client_for(instructor).post(
        _url("edit", course), _course_edit_data(course), follow=True
    )

    assert _messages(response) == ["Nothing was changed."]
    assert AuditEvent.objects.count() == 0


def test_edit_of_a_published_course_dropping_all_outcomes_is_refused(
    client_for, registrar, course
):
    course_publish(course=course, actor=registrar)
    audit_before = AuditEvent.objects.count()
    data = _course_edit_data(course, summary="A new summary typed by the user.")
    data.update(_outcome_data(
        [
            ("Design a differential expression analysis.", 1, True),
            ("Interpret results in a biological context.", 2, True),
        ],
        initial=2,
    ))

    response = client_for(registrar).post(_url("edit", course), data)

    assert response.status_code == 200
    editor = response.context["editor"]
    assert editor.outcome_errors == ["State at least one learning outcome."]
    body = response.content.decode()
    assert "State at least one learning outcome." in body
    assert "A new summary typed by the user." in body
    course.refresh_from_db()
    assert course.status == CourseStatus.PUBLISHED
    assert course.summary == "Hands-on analysis of sequencing data."
    assert course.outcomes.count() == 2
    assert AuditEvent.objects.count() == audit_before


def test_edit_of_a_published_course_maps_problems_onto_fields(client_for, registrar, course):
    course_publish(course=course, actor=registrar)

    response = client_for(registrar).post(
        _url("edit", course), _course_edit_data(course, workload_hours="40")
    )

    assert response.status_code == 200
    errors = response.context["editor"].form.errors
    assert list(errors) == ["ects_credits"]
    assert "125–150 hours" in errors["ects_credits"][0]
    course.refresh_from_db()
    assert course.workload_hours == 125


# ----------------------------------------------------------------------------- detail


def test_detail_shows_the_checklist_with_what_is_missing(client_for, instructor, institution):
    course = CourseFactory(
        institution=institution, outcomes=[], assessment_type="", workload_hours=160,
    )

    response = client_for(instructor).get(_url("detail", course))

    detail = response.context["detail"]
    rows = {row.key: row for row in detail.mandatory_rows}
    assert [key for key, row in rows.items() if not row.is_ok] == [
        "learning_outcomes", "assessment_type",
    ]
    assert rows["learning_outcomes"].problems == ["State at least one learning outcome."]
    assert rows["notional_workload"].is_ok
    assert len(rows["notional_workload"].warnings) == 1
    body = response.content.decode()
    assert "2 problems stop publication." in body
    assert "Choose the type of assessment." in body
    assert "160 hours are stated" in body


def test_detail_shows_runs_seats_and_the_audit_trail(client_for, registrar, course, run):
    course_publish(course=course, actor=registrar)
    course_run_cancel(run=CourseRunFactory(course=course, label="Winter"), actor=registrar,
                      reason="Room unavailable.")

    response = client_for(registrar).get(_url("detail", course))

    body = response.content.decode()
    assert "3 / 20 (17 left)" in body
    entries = response.context["detail"].audit_trail
    assert [entry.label for entry in entries] == ["Run cancelled", "Published"]
    assert "Room unavailable." in body


def test_detail_offers_publishing_only_to_registrars(client_for, instructor, registrar, course):
    as_instructor = client_for(instructor).get(_url("detail", course)).content.decode()
    as_registrar = client_for(registrar).get(_url("detail", course)).content.decode()

    assert _url("publish", course) not in as_instructor
    assert "Only a registrar of the institution can publish" in as_instructor
    assert _url("publish", course) in as_registrar
    assert _url("archive", course) in as_registrar
    assert _url("withdraw", course) not in as_registrar


# ----------------------------------------------------------------------------- transitions


def test_failed_publish_lists_each_problem_and_changes_nothing(client_for, registrar, institution):
    course = CourseFactory(institution=institution, outcomes=[], quality_assurance_type="")

    response = client_for(registrar).post(_url("publish", course), follow=True)

    assert _messages(response) == [
        f"“{course.title}” was not published. Missing or inconsistent: Learning outcomes; "
        "Type of quality assurance. The EU elements check below says what to fix."
    ]
    body = response.content.decode()
    assert "State at least one learning outcome." in body
    assert "Choose the type of quality assurance behind the course." in body
    course.refresh_from_db()
    assert course.status == CourseStatus.DRAFT
    assert course.published_at is None
    assert AuditEvent.objects.count() == 0


def test_successful_publish_says_so(client_for, registrar, course):
    response = client_for(registrar).post(_url("publish", course), follow=True)

    assert _messages(response) == [
        "“Applied Bioinformatics” is published and appears in the catalogue."
    ]
    course.refresh_from_db()
    assert course.status == CourseStatus.PUBLISHED


def test_publish_of_an_archived_course_is_refused(client_for, registrar, course):
    course_archive(course=course, actor=registrar, reason="Paused.")

    response = client_for(registrar).post(_url("publish", course), follow=True)

    assert _messages(response) == ["Only a draft can be published; this course is archived."]
    course.refresh_from_db()
    assert course.status == CourseStatus.ARCHIVED
    assert AuditEvent.objects.count() == 1


@pytest.mark.parametrize("action", ["withdraw", "archive"])
def test_withdraw_and_archive_need_a_reason(client_for, registrar, course, action):
    course_publish(course=course, actor=registrar)

    response = client_for(registrar).post(_url(action, course), {"reason": "  "})

    assert response.status_code == 200
    assert list(response.context["form"].errors) == ["reason"]
    course.refresh_from_db()
    assert course.status == CourseStatus.PUBLISHED
    assert AuditEvent.objects.count() == 1


def test_archive_records_the_reason(client_for, registrar, course):
    client_for(registrar).post(_url("archive", course), {"reason": "Replaced by BIO2."})

    course.refresh_from_db()
    assert course.status == CourseStatus.ARCHIVED
    assert AuditEvent.objects.get().reason == "Replaced by BIO2."


def test_withdraw_of_a_draft_is_refused_with_a_message(client_for, registrar, course):
    response = client_for(registrar).post(
        _url("withdraw", course), {"reason": "Why not."}, follow=True
    )

    assert _messages(response) == ["Only a published or archived course can be withdrawn to draft."]
    assert AuditEvent.objects.count() == 0


# ----------------------------------------------------------------------------- runs


def test_run_enrolment_window_is_read_as_utc_whatever_the_time_zone(
    client_for, instructor, course, settings
):
    settings.TIME_ZONE = "Europe/Prague"

    response = client_for(instructor).post(_url("run_create", course), _run_data())

    assert response.status_code == 302
    run = CourseRun.objects.get(label="Spring 2027")
    assert run.enrolment_opens_at == dt.datetime(2027, 1, 10, 9, 0, tzinfo=dt.UTC)
    assert run.enrolment_closes_at == dt.datetime(2027, 2, 28, 23, 59, tzinfo=dt.UTC)
    assert run.price_amount == Decimal("450.00")


def test_run_edit_shows_the_window_in_utc(client_for, instructor, course, settings):
    settings.TIME_ZONE = "Europe/Prague"
    run = CourseRunFactory(
        course=course,
        enrolment_opens_at=dt.datetime(2027, 1, 10, 9, 0, tzinfo=dt.UTC),
        enrolment_closes_at=dt.datetime(2027, 2, 28, 23, 59, tzinfo=dt.UTC),
    )

    body = client_for(instructor).get(_url("run_edit", course, run)).content.decode()

    assert 'value="2027-01-10T09:00"' in body
    assert "Enrolment opens (UTC)" in body


@pytest.mark.parametrize(
    ("_case", "overrides", "field"),
    [
        ("ends_before_start", {"ends_on": "2027-02-01"}, "ends_on"),
        ("closes_before_opening", {"enrolment_closes_at": "2027-01-01T00:00"}, "enrolment_closes_at"),
        ("negative_price", {"price_amount": "-5"}, "price_amount"),
        ("missing_label", {"label": ""}, "label"),
    ],
)
def test_run_create_shows_field_errors_and_saves_nothing(
    client_for, instructor, course, _case, overrides, field
):
    response = client_for(instructor).post(_url("run_create", course), _run_data(**overrides))

    assert response.status_code == 200
    assert list(response.context["form"].errors) == [field]
    assert CourseRun.objects.count() == 0
    assert AuditEvent.objects.count() == 0


def test_run_edit_maps_the_capacity_refusal_onto_the_field(client_for, instructor, course, run):
    data = _run_data(
        label=run.label,
        starts_on=run.starts_on.isoformat(),
        ends_on=run.ends_on.isoformat(),
        enrolment_opens_at=run.enrolment_opens_at.strftime("%Y-%m-%dT%H:%M"),
        enrolment_closes_at=run.enrolment_closes_at.strftime("%Y-%m-%dT%H:%M"),
        capacity="2",
        price_amount="0.00",
        location="",
    )

    response = client_for(instructor).post(_url("run_edit", course, run), data)

    assert response.status_code == 200
    assert response.context["form"].errors["capacity"] == [
        "3 seats are taken; the capacity cannot be lower."
    ]
    run.refresh_from_db()
    assert run.capacity == 20
    assert AuditEvent.objects.count() == 0


def test_run_cancel_needs_a_reason(client_for, instructor, course, run):
    response = client_for(instructor).post(_url("run_cancel", course, run), {"reason": ""})

    assert response.status_code == 200
    assert list(response.context["form"].errors) == ["reason"]
    run.refresh_from_db()
    assert not run.is_cancelled
    assert AuditEvent.objects.count() == 0


def test_run_cancel_twice_is_refused_with_a_message(client_for, instructor, course, run):
    course_run_cancel(run=run, actor=instructor, reason="First time.")

    response = client_for(instructor).post(
        _url("run_cancel", course, run), {"reason": "Again."}, follow=True
    )

    assert _messages(response) == ["The run “Autumn” was already cancelled."]
    assert AuditEvent.objects.count() == 1
