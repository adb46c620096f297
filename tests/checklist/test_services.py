"""Updating an activity: only permitted fields, one history row per change, audited, nothing on refusal."""

import datetime as dt

import pytest

from checklist.models import ActivityAssessment, ActivityChange
from checklist.services import ChecklistPermissionDenied, assessment_update
from mcportal.core.exceptions import ValidationFailed
from mcportal.core.models import AuditEvent
from tests.factories.core import UserFactory

pytestmark = pytest.mark.django_db


def _snapshot():
    return (
        list(
            ActivityAssessment.objects.values_list(
                "activity_key", "status", "responsible_id", "deadline", "remarks"
            )
        ),
        ActivityChange.objects.count(),
        AuditEvent.objects.filter(action__startswith="checklist.").count(),
    )


def test_leadership_update_records_each_changed_field_with_old_and_new_value(
    institution, leadership, instructor
):
    assessment = assessment_update(
        institution=institution,
        activity_key="define-goals",
        actor=leadership,
        status="in_progress",
        responsible=instructor,
        deadline=dt.date(2027, 3, 31),
        remarks="  Draft strategy with the vice-rector.  ",
    )

    assessment.refresh_from_db()
    assert (assessment.status, assessment.responsible, assessment.deadline, assessment.remarks) == (
        "in_progress",
        instructor,
        dt.date(2027, 3, 31),
        "Draft strategy with the vice-rector.",
    )
    changes = {
        c.field: (c.old_value, c.new_value, c.actor, c.template_version) for c in assessment.changes.all()
    }
    assert changes == {
        "status": ("Not started", "In progress", leadership, 1),
        "responsible": ("", str(instructor), leadership, 1),
        "deadline": ("", "2027-03-31", leadership, 1),
        "remarks": ("", "Draft strategy with the vice-rector.", leadership, 1),
    }
    event = AuditEvent.objects.get(action="checklist.activity_updated")
    assert (event.actor, event.institution, event.data["activity"]) == (
        leadership,
        institution,
        "define-goals",
    )
    assert event.data["changes"]["status"] == {"old": "Not started", "new": "In progress"}


def test_an_update_that_changes_nothing_writes_nothing(institution, leadership):
    assessment_update(institution=institution, activity_key="gdpr", actor=leadership, status="done")
    before = _snapshot()

    assessment_update(institution=institution, activity_key="gdpr", actor=leadership, status="done")

    assert _snapshot() == before


def test_responsible_person_updates_status_and_remarks_of_their_own_activity(
    institution, leadership, instructor
):
    assessment_update(
        institution=institution, activity_key="pricing", actor=leadership, responsible=instructor
    )

    assessment_update(
        institution=institution,
        activity_key="pricing",
        actor=instructor,
        status="done",
        remarks="Approved by board.",
    )

    assessment = ActivityAssessment.objects.get(institution=institution, activity_key="pricing")
    assert (assessment.status, assessment.remarks, assessment.updated_by) == (
        "done",
        "Approved by board.",
        instructor,
    )


@pytest.mark.parametrize(
    ("_case", "changes"),
    [
        ("responsible_reassigns_themselves_away", {"responsible": None}),
        ("responsible_moves_the_deadline", {"deadline": dt.date(2030, 1, 1)}),
    ],
)
def test_responsible_person_cannot_reassign_or_move_deadline(
    _case, changes, institution, leadership, instructor
):
    assessment_update(
        institution=institution, activity_key="pricing", actor=leadership, responsible=instructor
    )
    before = _snapshot()

    with pytest.raises(ChecklistPermissionDenied):
        assessment_update(institution=institution, activity_key="pricing", actor=instructor, **changes)

    assert _snapshot() == before


@pytest.mark.parametrize("role", ["instructor", "registrar", "finance", "auditor"])
def test_staff_who_are_not_responsible_cannot_update(role, request, institution):
    user = request.getfixturevalue(role)
    before = _snapshot()

    with pytest.raises(ChecklistPermissionDenied):
        assessment_update(institution=institution, activity_key="define-goals", actor=user, status="done")

    assert _snapshot() == before
    assert not ActivityAssessment.objects.filter(status="done").exists()


def test_leadership_of_another_institution_cannot_update(institution, other_institution):
    from tests.factories.core import MembershipFactory

    outsider = MembershipFactory(institution=other_institution, role="leadership").user
    before = _snapshot()

    with pytest.raises(ChecklistPermissionDenied):
        assessment_update(institution=institution, activity_key="define-goals", actor=outsider, status="done")

    assert _snapshot() == before


def test_responsible_must_be_a_member_and_status_valid(institution, leadership):
    stranger = UserFactory()
    before = _snapshot()

    with pytest.raises(ValidationFailed) as raised:
        assessment_update(
            institution=institution,
            activity_key="gdpr",
            actor=leadership,
            responsible=stranger,
            status="finished",
        )

    assert {problem.field for problem in raised.value.problems} == {"responsible", "status"}
    assert _snapshot() == before


def test_unknown_activity_is_refused(institution, leadership):
    with pytest.raises(ValidationFailed):
        assessment_update(
            institution=institution, activity_key="no-such-activity", actor=leadership, status="done"
        )
    assert not ActivityAssessment.objects.exists()
