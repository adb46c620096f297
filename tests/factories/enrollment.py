"""factory_boy factories for enrolment rows: learners, units, assessments (states come from services)."""
from decimal import Decimal

import factory

from enrollment.models import Assessment, Unit
from mcportal.core import clock

from .core import UserFactory


class LearnerFactory(UserFactory):
    """A user whose e-mail address is verified (enrolment requires it)."""

    email_verified_at = factory.LazyFunction(clock.now)


class UnitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Unit

    position = factory.Sequence(lambda n: n + 1)
    title = factory.Sequence(lambda n: f"Unit {n + 1}")


class AssessmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Assessment

    position = factory.Sequence(lambda n: n + 1)
    title = factory.Sequence(lambda n: f"Assessment {n + 1}")
    kind = "exam"
    weight = Decimal("100")
    pass_mark = Decimal("50")
    is_required = True
