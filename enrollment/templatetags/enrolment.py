"""Template tags of enrolment: the visitor's own live enrolment next to each run of a public course page.

The course page belongs to courses, which may not import enrollment (it is the lower layer); the
page loads this library instead, so the per-learner part costs one query for a logged-in visitor
and none for an anonymous one.
"""

from __future__ import annotations

from django import template

from mcportal.core.roles import Capability, user_has_capability

from ..selectors import enrollment_live_by_run_for_learner

register = template.Library()


@register.simple_tag(takes_context=True)
def runs_with_my_enrolment(context, run_rows) -> list[tuple]:
    """Pair each run row of the course page with the visitor's live enrolment in that run (or None)."""
    rows = list(run_rows)
    mine = enrollment_live_by_run_for_learner(
        learner=context.get("user"), run_ids=[row.run.pk for row in rows]
    )
    return [(row, mine.get(row.run.pk)) for row in rows]


@register.simple_tag(takes_context=True)
def may_manage_payments(context, institution) -> bool:
    """Whether the page's user confirms payments in the institution (to offer the run's payments page)."""
    return user_has_capability(context.get("user"), Capability.PAYMENTS_MANAGE, institution)
