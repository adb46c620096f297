"""E-mails to learners about their enrolment: rendered inside the transaction, sent after it commits."""
from __future__ import annotations

from django.conf import settings
from django.urls import reverse

from mcportal.core.emails import email_schedule

from ..models import Enrollment


def learner_email(*, enrollment: Enrollment, message: str, reason: str = "", **extra) -> None:
    """Schedule templates/emails/<message>/ to the learner in their language, sent once the change commits."""
    learner = enrollment.learner
    run = enrollment.run
    course = run.course
    public_url = settings.MCPORTAL_PUBLIC_URL
    email_schedule(
        to=learner.email,
        message=message,
        language=learner.preferred_language or settings.LANGUAGE_CODE,
        context={
            "learner_name": learner.get_full_name(),
            "course_title": course.title,
            "institution_name": str(course.institution),
            "run_label": run.label,
            "starts_on": run.starts_on,
            "ends_on": run.ends_on,
            "price": str(run.price),
            "is_free": run.is_free,
            "reason": reason,
            "course_url": f"{public_url}{course.get_absolute_url()}",
            "dashboard_url": f"{public_url}{reverse('enrollment:dashboard')}",
            **extra,
        },
    )
