"""New checklist versions: drafts copy the current one, publishing keeps assessments and history."""

import pytest

from checklist.models import ActivityChange, ChecklistActivity, ChecklistTemplate
from checklist.selectors import activity_detail_get, readiness_get
from checklist.services import assessment_update, checklist_template_draft_create, checklist_template_publish
from mcportal.core.exceptions import Conflict
from mcportal.core.models import AuditEvent
from tests.factories.core import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_user(db):
    return UserFactory(is_superuser=True, is_staff=True)


def test_publishing_an_edited_draft_keeps_assessments_and_their_history(institution, leadership, admin_user):
    assessment_update(institution=institution, activity_key="gdpr", actor=leadership, status="done")
    current = ChecklistTemplate.objects.get(is_current=True)

    draft = checklist_template_draft_create(source=current, actor=admin_user)
    gdpr = ChecklistActivity.objects.get(template=draft, key="gdpr")
    gdpr.title = "GDPR and data protection"
    gdpr.save()
    ChecklistActivity.objects.get(template=draft, key="pilot-testing").delete()
    ChecklistActivity.objects.create(
        area=gdpr.area,
        position=4,
        key="accessibility",
        title="Accessibility",
        task_description="Make course pages and credentials accessible",
    )
    assert ChecklistTemplate.objects.get(is_current=True) == current  # a draft changes nothing yet
    checklist_template_publish(template=draft, actor=admin_user)

    readiness = readiness_get(institution=institution)
    keys = [row.key for row in readiness.rows]
    assert readiness.template.version == 2
    assert "pilot-testing" not in keys and "accessibility" in keys and len(keys) == 29
    gdpr_row = next(row for row in readiness.rows if row.key == "gdpr")
    assert (gdpr_row.activity.title, gdpr_row.status) == ("GDPR and data protection", "done")
    assert list(ActivityChange.objects.values_list("template_version", flat=True)) == [1]
    # The old version is unchanged.
    assert ChecklistActivity.objects.get(template=current, key="gdpr").title == "GDPR"
    assert ChecklistActivity.objects.filter(template=current).count() == 29
    assert (
        activity_detail_get(user=leadership, institution=institution, key="gdpr").history[0].template_version
        == 1
    )
    assert set(
        AuditEvent.objects.filter(action__startswith="checklist.template").values_list("action", flat=True)
    ) == {"checklist.template_draft_created", "checklist.template_published"}


def test_a_published_version_cannot_be_published_again(admin_user):
    current = ChecklistTemplate.objects.get(is_current=True)

    with pytest.raises(Conflict):
        checklist_template_publish(template=current, actor=admin_user)

    assert ChecklistTemplate.objects.get(is_current=True) == current


def test_admin_shows_published_versions_read_only_and_offers_the_draft_action(admin_user, client_for):
    current = ChecklistTemplate.objects.get(is_current=True)
    client = client_for(admin_user)

    change_page = client.get(f"/admin/checklist/checklisttemplate/{current.pk}/change/")
    response = client.post(
        "/admin/checklist/checklisttemplate/", {"action": "create_draft", "_selected_action": [current.pk]}
    )

    assert change_page.status_code == 200 and 'name="title"' not in change_page.content.decode()
    assert response.status_code == 302
    draft = ChecklistTemplate.objects.get(version=2)
    assert draft.is_draft and draft.activities.count() == 29
    draft_page = client.get(f"/admin/checklist/checklisttemplate/{draft.pk}/change/").content.decode()
    assert 'name="title"' in draft_page

    client.post("/admin/checklist/checklisttemplate/", {"action": "publish", "_selected_action": [draft.pk]})
    assert ChecklistTemplate.objects.get(is_current=True) == draft
