"""Tests of courses.validation: which EU elements a course lacks, and what is inconsistent."""
from decimal import Decimal

import pytest

from courses.validation import course_publication_report
from tests.factories.core import InstitutionFactory
from tests.factories.courses import CourseFactory

pytestmark = pytest.mark.django_db


def _problems(course):
    return [(p.element, p.field) for p in course_publication_report(course).problems]


def _warnings(course):
    return [(w.element, w.field) for w in course_publication_report(course).warnings]


def test_complete_course_has_no_problem_and_no_warning():
    course = CourseFactory()

    report = course_publication_report(course)

    assert report.problems == []
    assert report.warnings == []
    assert report.is_publishable
    assert all(
        report.present[key]
        for key in [
            "title", "awarding_body", "issuer_country", "learning_outcomes", "notional_workload",
            "level", "assessment_type", "participation_form", "quality_assurance", "grading_scheme",
        ]
    )


@pytest.mark.parametrize(
    ("_case", "attributes", "expected"),
    [
        ("title", {"title": "  "}, [("title", "title")]),
        ("workload_hours", {"workload_hours": None}, [("notional_workload", "workload_hours")]),
        ("ects_credits", {"ects_credits": None}, [("notional_workload", "ects_credits")]),
        ("eqf_level", {"eqf_level": None, "qf_ehea_cycle": ""}, [("level", "eqf_level")]),
        ("assessment_type", {"assessment_type": ""}, [("assessment_type", "assessment_type")]),
        (
            "participation_form", {"participation_form": ""},
            [("participation_form", "participation_form")],
        ),
        (
            "quality_assurance_type", {"quality_assurance_type": ""},
            [("quality_assurance", "quality_assurance_type")],
        ),
    ],
)
def test_each_missing_mandatory_field_is_reported_alone(_case, attributes, expected):
    course = CourseFactory(**attributes)

    assert _problems(course) == expected
    assert not course_publication_report(course).is_publishable


def test_missing_outcomes_are_reported():
    course = CourseFactory(outcomes=[])

    assert _problems(course) == [("learning_outcomes", "outcomes")]
    assert course_publication_report(course).present["learning_outcomes"] is False


def test_blank_outcome_among_others_is_reported():
    course = CourseFactory(outcomes=["Explain the method.", "   "])

    report = course_publication_report(course)

    assert [(p.element, p.field) for p in report.problems] == [("learning_outcomes", "outcomes")]
    assert "empty" in report.problems[0].message


def test_institution_without_country_is_reported():
    course = CourseFactory(institution=InstitutionFactory(country=""))

    assert _problems(course) == [("issuer_country", "institution")]


def test_joint_institution_without_country_is_reported():
    course = CourseFactory()
    course.partner_institutions.add(InstitutionFactory(country="SK"), InstitutionFactory(country=""))

    assert _problems(course) == [("issuer_country", "partner_institutions")]


@pytest.mark.parametrize(
    ("_case", "ects", "hours", "problems", "warnings"),
    [
        ("25_hours_per_credit", "5", 125, [], []),
        ("30_hours_per_credit", "5", 150, [], []),
        ("32_hours_per_credit_warns", "5", 160, [], [("notional_workload", "ects_credits")]),
        ("20_hours_per_credit_warns", "5", 100, [], [("notional_workload", "ects_credits")]),
        ("36_hours_per_credit_warns", "5", 180, [], [("notional_workload", "ects_credits")]),
        ("8_hours_per_credit_blocks", "5", 40, [("notional_workload", "ects_credits")], []),
        ("19.8_hours_per_credit_blocks", "5", 99, [("notional_workload", "ects_credits")], []),
        ("36.2_hours_per_credit_blocks", "5", 181, [("notional_workload", "ects_credits")], []),
    ],
)
def test_ects_and_hours_consistency(_case, ects, hours, problems, warnings):
    course = CourseFactory(ects_credits=Decimal(ects), workload_hours=hours)

    assert _problems(course) == problems
    assert _warnings(course) == warnings


def test_inconsistent_workload_message_states_the_expected_range():
    course = CourseFactory(ects_credits=Decimal(5), workload_hours=40)

    (problem,) = course_publication_report(course).problems

    assert "125–150 hours" in problem.message
    assert "40 hours" in problem.message


@pytest.mark.parametrize(
    ("_case", "eqf", "cycle", "expected"),
    [
        ("short_cycle_is_eqf_5", 5, "short", []),
        ("first_cycle_is_eqf_6", 6, "first", []),
        ("second_cycle_is_eqf_7", 7, "second", []),
        ("third_cycle_is_eqf_8", 8, "third", []),
        ("no_cycle_any_level", 4, "", []),
        ("second_cycle_with_eqf_6", 6, "second", [("level", "qf_ehea_cycle")]),
        ("first_cycle_with_eqf_7", 7, "first", [("level", "qf_ehea_cycle")]),
    ],
)
def test_qf_ehea_cycle_must_match_eqf_level(_case, eqf, cycle, expected):
    course = CourseFactory(eqf_level=eqf, qf_ehea_cycle=cycle)

    assert _problems(course) == expected


def test_eqf_level_9_is_reported():
    # The database refuses level 9 (check constraint), so the check runs on an unsaved value.
    course = CourseFactory(qf_ehea_cycle="")
    course.eqf_level = 9

    assert _problems(course) == [("level", "eqf_level")]


def test_missing_grading_scheme_only_warns():
    course = CourseFactory(grading_scheme="")

    report = course_publication_report(course)

    assert report.problems == []
    assert [(w.element, w.field) for w in report.warnings] == [("grading_scheme", "grading_scheme")]


def test_several_missing_elements_are_all_reported_at_once():
    course = CourseFactory(
        outcomes=[], assessment_type="", participation_form="", quality_assurance_type=""
    )

    assert _problems(course) == [
        ("learning_outcomes", "outcomes"),
        ("assessment_type", "assessment_type"),
        ("participation_form", "participation_form"),
        ("quality_assurance", "quality_assurance_type"),
    ]


def test_optional_elements_are_marked_present_when_stated():
    course = CourseFactory(
        prerequisites="Basic statistics.", supervision_verification="supervised_with_id",
        stackability="stackable", further_information_url="https://example.org/more",
    )

    present = course_publication_report(course).present

    assert present["prerequisites"] is True
    assert present["supervision_verification"] is True
    assert present["stackability"] is True
    assert present["further_information"] is True

