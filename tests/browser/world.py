"""The rows a journey starts from, made with factories and the real services (as the other tests do)."""
from __future__ import annotations

from decimal import Decimal

from courses.services import course_publish
from mcportal.core import clock
from tests.factories.courses import CourseFactory, CourseRunFactory
from tests.factories.enrollment import AssessmentFactory


def verified(user):
    """Staff accounts in the journeys have confirmed their e-mail (no banner on their pages)."""
    user.email_verified_at = clock.now()
    user.save(update_fields=["email_verified_at"])
    return user


# The QF-EHEA cycle that matches each EQF level (publishing checks that they agree).
QF_EHEA_CYCLE = {6: "first", 7: "second"}


def published_course(*, institution, registrar, title: str, slug: str, eqf_level: int, **attributes):
    course = CourseFactory(
        institution=institution, title=title, slug=slug, eqf_level=eqf_level,
        qf_ehea_cycle=QF_EHEA_CYCLE[eqf_level], **attributes,
    )
    course_publish(course=course, actor=registrar)
    return course


def open_run(*, course, label: str, price: Decimal = Decimal("0.00"), capacity: int | None = 20):
    """A run open for enrolment with one exam worth 100 % (pass mark 50 %)."""
    run = CourseRunFactory(course=course, label=label, price_amount=price, capacity=capacity)
    AssessmentFactory(run=run, title="Final project", weight=Decimal("100"), pass_mark=Decimal("50"))
    return run


def catalogue(*, institution, registrar):
    """Three published courses: two match the search "marine", one of them at EQF level 6."""
    target = published_course(
        institution=institution, registrar=registrar, title="Marine Ecology Field Methods",
        slug="marine-ecology-field-methods", eqf_level=6,
        summary="Survey coastal habitats and analyse marine biodiversity data.",
    )
    published_course(
        institution=institution, registrar=registrar, title="Marine Robotics for Ocean Science",
        slug="marine-robotics", eqf_level=7, summary="Autonomous vehicles for marine research.",
    )
    published_course(
        institution=institution, registrar=registrar, title="Applied Bioinformatics",
        slug="applied-bioinformatics", eqf_level=6,
    )
    return target
