"""factory_boy factories for course rows. A published course comes from course_publish()."""
import datetime as dt
from decimal import Decimal

import factory

from courses.models import Course, CourseLanguage, CourseRun, LearningOutcome
from mcportal.core import clock

from .core import InstitutionFactory


class CourseFactory(factory.django.DjangoModelFactory):
    """A draft course with every mandatory EU element filled in (publishable as it is)."""

    class Meta:
        model = Course
        skip_postgeneration_save = True

    institution = factory.SubFactory(InstitutionFactory)
    slug = factory.Sequence(lambda n: f"course-{n}")
    code = factory.Sequence(lambda n: f"LS{n:03d}")
    title = factory.Sequence(lambda n: f"Applied Bioinformatics {n}")
    summary = "Hands-on analysis of sequencing data."
    description = "Learn to **analyse** RNA-seq data."
    eqf_level = 7
    qf_ehea_cycle = "second"
    workload_hours = 125
    ects_credits = Decimal("5.0")
    assessment_type = "project"
    participation_form = "online"
    quality_assurance_type = "internal"
    grading_scheme = "ects_grades"
    field_of_study = "051"

    @factory.post_generation
    def outcomes(obj, create, extracted, **kwargs):
        if not create:
            return
        statements = extracted if extracted is not None else [
            "Design a differential expression analysis.",
            "Interpret results in a biological context.",
        ]
        for position, statement in enumerate(statements, start=1):
            LearningOutcome.objects.create(course=obj, position=position, statement=statement)

    @factory.post_generation
    def languages(obj, create, extracted, **kwargs):
        if create:
            for code in extracted if extracted is not None else ["en"]:
                CourseLanguage.objects.create(course=obj, language=code)


class CourseRunFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CourseRun

    course = factory.SubFactory(CourseFactory)
    label = factory.Sequence(lambda n: f"Run {n}")
    starts_on = factory.LazyFunction(lambda: clock.today() + dt.timedelta(days=30))
    ends_on = factory.LazyAttribute(lambda run: run.starts_on + dt.timedelta(days=60))
    enrolment_opens_at = factory.LazyFunction(lambda: clock.now() - dt.timedelta(days=1))
    enrolment_closes_at = factory.LazyAttribute(
        lambda run: dt.datetime.combine(run.starts_on, dt.time(0, 0), tzinfo=dt.UTC)
    )
    capacity = 30
    price_amount = Decimal("0.00")
    currency = "EUR"
