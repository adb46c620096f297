"""The EU Council Recommendation as a rule: which elements a course lacks before it may be published.

One pure function, course_publication_report, is used by the publish service (so the admin,
the staff pages and the API list the same problems) and later by certification.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .choices import QF_EHEA_CYCLE_EQF_LEVEL, QFEHEACycle
from .models import Course

# 1 ECTS credit is 25–30 hours of work. Within 20 % of that band we only warn; beyond it the
# stated workload and credits contradict each other and the course may not be published.
ECTS_HOURS_MIN = Decimal(25)
ECTS_HOURS_MAX = Decimal(30)
ECTS_HOURS_TOLERATED_MIN = Decimal(20)
ECTS_HOURS_TOLERATED_MAX = Decimal(36)


@dataclass(frozen=True)
class Element:
    """An element of Annex I of the Recommendation, and where a course keeps it."""

    key: str
    label: str
    mandatory: bool
    fields: tuple[str, ...]


ELEMENTS: tuple[Element, ...] = (
    Element("title", gettext_lazy("Title of the microcredential"), True, ("title",)),
    Element("awarding_body", gettext_lazy("Awarding body"), True, ("institution", "partner_institutions")),
    Element("issuer_country", gettext_lazy("Country of the awarding body"), True, ("institution",)),
    Element("learning_outcomes", gettext_lazy("Learning outcomes"), True, ("outcomes",)),
    Element("notional_workload", gettext_lazy("Notional workload (hours and ECTS)"), True,
            ("workload_hours", "ects_credits")),
    Element("level", gettext_lazy("Level (EQF, QF-EHEA cycle)"), True, ("eqf_level", "qf_ehea_cycle")),
    Element("assessment_type", gettext_lazy("Type of assessment"), True, ("assessment_type",)),
    Element("participation_form", gettext_lazy("Form of participation"), True, ("participation_form",)),
    Element("quality_assurance", gettext_lazy("Type of quality assurance"), True,
            ("quality_assurance_type",)),
    Element("prerequisites", gettext_lazy("Prerequisites"), False, ("prerequisites",)),
    Element("supervision_verification", gettext_lazy("Supervision and identity verification"), False,
            ("supervision_verification",)),
    Element("grading_scheme", gettext_lazy("Grading scheme"), False, ("grading_scheme",)),
    Element("stackability", gettext_lazy("Integration / stackability"), False, ("stackability",)),
    Element("further_information", gettext_lazy("Further information"), False,
            ("further_information", "further_information_url")),
)
# Learner identification and the date of issuing are elements of the credential, not of the
# course: the issuance service supplies them.


@dataclass(frozen=True)
class ElementProblem:
    element: str
    field: str
    message: str

    def as_dict(self) -> dict:
        return {"element": self.element, "field": self.field, "message": self.message}


@dataclass
class PublicationReport:
    """What stops a course from being published (problems) and what merely looks odd (warnings)."""

    problems: list[ElementProblem] = field(default_factory=list)
    warnings: list[ElementProblem] = field(default_factory=list)
    present: dict[str, bool] = field(default_factory=dict)

    @property
    def is_publishable(self) -> bool:
        return not self.problems

    def problem(self, element: str, field_name: str, message: str) -> None:
        self.problems.append(ElementProblem(element, field_name, message))

    def warn(self, element: str, field_name: str, message: str) -> None:
        self.warnings.append(ElementProblem(element, field_name, message))


def course_publication_report(course: Course) -> PublicationReport:
    """Check every mandatory element of the Recommendation and the consistency between them."""
    report = PublicationReport()
    outcomes = (
        [outcome.statement.strip() for outcome in course.outcomes.all()] if course.pk else []
    )
    institution = course.institution if course.institution_id else None

    if not course.title.strip():
        report.problem("title", "title", _("Give the course a title."))
    if institution is None:
        report.problem("awarding_body", "institution", _("Choose the awarding institution."))
    elif not institution.country:
        report.problem(
            "issuer_country",
            "institution",
            _("The awarding institution %(name)s has no country.") % {"name": institution},
        )
    if course.pk:
        for partner in course.partner_institutions.all():
            if not partner.country:
                report.problem(
                    "issuer_country",
                    "partner_institutions",
                    _("The joint awarding institution %(name)s has no country.")
                    % {"name": partner},
                )
    if not outcomes or not any(outcomes):
        report.problem(
            "learning_outcomes", "outcomes", _("State at least one learning outcome.")
        )
    elif not all(outcomes):
        report.problem(
            "learning_outcomes", "outcomes", _("A learning outcome is empty; remove it or fill it.")
        )
    _check_workload(course, report)
    _check_level(course, report)
    if not course.assessment_type:
        report.problem("assessment_type", "assessment_type", _("Choose the type of assessment."))
    if not course.participation_form:
        report.problem(
            "participation_form",
            "participation_form",
            _("Choose the form of participation: online, on site or blended."),
        )
    if not course.quality_assurance_type:
        report.problem(
            "quality_assurance",
            "quality_assurance_type",
            _("Choose the type of quality assurance behind the course."),
        )
    if not course.grading_scheme:
        report.warn("grading_scheme", "grading_scheme", _("No grading scheme is stated."))

    report.present = _elements_present(course, outcomes)
    return report


def _check_workload(course: Course, report: PublicationReport) -> None:
    hours, ects = course.workload_hours, course.ects_credits
    if not hours:
        report.problem(
            "notional_workload", "workload_hours", _("State the notional workload in hours.")
        )
    if ects is None or ects <= 0:
        report.problem("notional_workload", "ects_credits", _("State the ECTS credits."))
    if not hours or ects is None or ects <= 0:
        return
    per_credit = Decimal(hours) / ects
    expected_low = (ects * ECTS_HOURS_MIN).quantize(Decimal(1))
    expected_high = (ects * ECTS_HOURS_MAX).quantize(Decimal(1))
    detail = _(
        "%(ects)s ECTS stands for %(low)s–%(high)s hours of work, but %(hours)s hours are stated "
        "(%(per)s hours per credit)."
    ) % {
        "ects": ects.normalize(),
        "low": expected_low,
        "high": expected_high,
        "hours": hours,
        "per": per_credit.quantize(Decimal("0.1")),
    }
    if not ECTS_HOURS_TOLERATED_MIN <= per_credit <= ECTS_HOURS_TOLERATED_MAX:
        report.problem("notional_workload", "ects_credits", detail)
    elif not ECTS_HOURS_MIN <= per_credit <= ECTS_HOURS_MAX:
        report.warn("notional_workload", "ects_credits", detail)


def _check_level(course: Course, report: PublicationReport) -> None:
    if course.eqf_level is None:
        report.problem("level", "eqf_level", _("Choose the EQF level (1–8)."))
        return
    if not 1 <= course.eqf_level <= 8:
        report.problem("level", "eqf_level", _("The EQF level must be between 1 and 8."))
        return
    if course.qf_ehea_cycle:
        expected = QF_EHEA_CYCLE_EQF_LEVEL[QFEHEACycle(course.qf_ehea_cycle)]
        if course.eqf_level != expected:
            report.problem(
                "level",
                "qf_ehea_cycle",
                _("The %(cycle)s corresponds to EQF level %(expected)s, not %(level)s.")
                % {
                    "cycle": course.get_qf_ehea_cycle_display().lower(),
                    "expected": expected,
                    "level": course.eqf_level,
                },
            )


def _elements_present(course: Course, outcomes: list[str]) -> dict[str, bool]:
    values = {
        "title": bool(course.title.strip()),
        "awarding_body": course.institution_id is not None,
        "issuer_country": bool(course.institution_id and course.institution.country),
        "learning_outcomes": bool(outcomes),
        "notional_workload": bool(course.workload_hours and course.ects_credits),
        "level": course.eqf_level is not None,
        "assessment_type": bool(course.assessment_type),
        "participation_form": bool(course.participation_form),
        "quality_assurance": bool(course.quality_assurance_type),
        "prerequisites": bool(course.prerequisites.strip()),
        "supervision_verification": bool(course.supervision_verification),
        "grading_scheme": bool(course.grading_scheme),
        "stackability": bool(course.stackability),
        "further_information": bool(
            course.further_information.strip() or course.further_information_url
        ),
    }
    return values
