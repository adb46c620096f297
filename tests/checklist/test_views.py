"""Staff pages: who sees and changes what (denials change nothing), uploads, history, exports."""

import datetime as dt
import io

import pytest
from django.core.files.storage import default_storage
from django.urls import reverse
from pypdf import PdfReader

from checklist.models import ActivityAssessment, ActivityChange, Evidence
from checklist.services import MAX_EVIDENCE_BYTES, assessment_update
from mcportal.core import clock
from mcportal.core.models import AuditEvent
from tests.factories.core import MembershipFactory

pytestmark = pytest.mark.django_db

STAFF_ROLES = ["instructor", "registrar", "finance", "leadership", "auditor"]


def _dashboard(institution):
    return reverse("checklist:dashboard", kwargs={"institution": institution.slug})


def _activity(institution, key="define-goals"):
    return reverse("checklist:activity", kwargs={"institution": institution.slug, "key": key})


def _evidence_add(institution, key="define-goals"):
    return reverse("checklist:evidence_add", kwargs={"institution": institution.slug, "key": key})


def _state():
    return (
        list(
            ActivityAssessment.objects.order_by("pk").values_list(
                "activity_key", "status", "responsible_id", "remarks"
            )
        ),
        ActivityChange.objects.count(),
        Evidence.objects.count(),
        AuditEvent.objects.filter(action__startswith="checklist.").count(),
    )


@pytest.mark.parametrize("role", STAFF_ROLES)
def test_every_staff_role_reads_the_dashboard_and_activity(role, request, institution, client_for):
    client = client_for(request.getfixturevalue(role))

    dashboard = client.get(_dashboard(institution))
    activity = client.get(_activity(institution))

    assert dashboard.status_code == activity.status_code == 200
    assert "Readiness of Masaryk University" in dashboard.content.decode()
    assert "Are there identifiable gaps in existing educational offerings" in activity.content.decode()


def test_anonymous_is_sent_to_login_and_learners_are_refused(institution, learner, client_for):
    anonymous = client_for(None).get(_dashboard(institution))
    refused = client_for(learner).get(_dashboard(institution))
    api = client_for(learner).get(f"/api/v1/checklist/institutions/{institution.slug}/")

    assert anonymous.status_code == 302 and "/accounts/login/" in anonymous["Location"]
    assert refused.status_code == 403
    assert api.status_code == 403


def test_staff_of_another_institution_get_404(institution, other_registrar, client_for):
    assert client_for(other_registrar).get(_dashboard(institution)).status_code == 404
    assert client_for(other_registrar).get(_activity(institution)).status_code == 404


def test_leadership_updates_an_activity_through_the_form(institution, leadership, instructor, client_for):
    response = client_for(leadership).post(
        _activity(institution),
        {
            "status": "in_progress",
            "responsible": instructor.pk,
            "deadline": "2027-01-31",
            "remarks": "Draft ready.",
        },
    )

    assert response.status_code == 302
    assessment = ActivityAssessment.objects.get(institution=institution, activity_key="define-goals")
    assert (assessment.status, assessment.responsible, assessment.deadline) == (
        "in_progress",
        instructor,
        dt.date(2027, 1, 31),
    )
    page = client_for(leadership).get(_activity(institution)).content.decode()
    assert "Not started → In progress" in page  # the history is shown


@pytest.mark.parametrize("role", ["instructor", "registrar", "finance", "auditor"])
def test_other_staff_cannot_post_an_update_and_nothing_changes(role, request, institution, client_for):
    before = _state()

    response = client_for(request.getfixturevalue(role)).post(
        _activity(institution), {"status": "done", "remarks": "Sneaky."}
    )

    assert response.status_code == 403
    assert _state() == before


def test_responsible_person_sees_only_status_and_remarks_fields(
    institution, leadership, instructor, client_for
):
    assessment_update(
        institution=institution, activity_key="define-goals", actor=leadership, responsible=instructor
    )
    client = client_for(instructor)

    page = client.get(_activity(institution)).content.decode()
    response = client.post(_activity(institution), {"status": "done", "remarks": "Goals adopted."})

    assert 'name="status"' in page and 'name="remarks"' in page
    assert 'name="responsible"' not in page and 'name="deadline"' not in page
    assert response.status_code == 302
    assessment = ActivityAssessment.objects.get(institution=institution, activity_key="define-goals")
    assert (assessment.status, assessment.remarks, assessment.responsible) == (
        "done",
        "Goals adopted.",
        instructor,
    )


def test_responsible_person_cannot_sneak_a_deadline_change_through_the_form(
    institution, leadership, instructor, client_for
):
    assessment_update(
        institution=institution,
        activity_key="define-goals",
        actor=leadership,
        responsible=instructor,
        deadline=dt.date(2027, 1, 1),
    )

    client_for(instructor).post(_activity(institution), {"status": "in_progress", "deadline": "2031-01-01"})

    # The form has no deadline field for them: the posted value is ignored, the status is saved.
    assessment = ActivityAssessment.objects.get(institution=institution, activity_key="define-goals")
    assert (assessment.status, assessment.deadline) == ("in_progress", dt.date(2027, 1, 1))


def test_unknown_activity_is_404(institution, leadership, client_for):
    assert client_for(leadership).get(_activity(institution, "no-such-thing")).status_code == 404


def test_dashboard_shows_overall_progress_overdue_upcoming_and_filters_by_person(
    institution, leadership, instructor, registrar, client_for
):
    today = clock.today()
    assessment_update(institution=institution, activity_key="define-goals", actor=leadership, status="done")
    assessment_update(
        institution=institution,
        activity_key="needs-analysis",
        actor=leadership,
        status="in_progress",
        responsible=instructor,
        deadline=today - dt.timedelta(days=3),
    )
    assessment_update(
        institution=institution,
        activity_key="gdpr",
        actor=leadership,
        responsible=registrar,
        deadline=today + dt.timedelta(days=10),
    )
    assessment_update(
        institution=institution, activity_key="eu-integration", actor=leadership, status="not_applicable"
    )
    client = client_for(leadership)

    page = client.get(_dashboard(institution)).content.decode()
    filtered = client.get(_dashboard(institution), {"responsible": instructor.pk}).content.decode()

    assert "1 / 28" in page  # one done of 28 applicable (29 minus the not-applicable one)
    assert "4 %" in page  # round(100 / 28)
    assert "1 of 5 done (20 %)" in page  # area 1
    overdue = page.split('id="overdue-heading"')[1].split("</section>")[0]
    upcoming = page.split('id="upcoming-heading"')[1].split("</section>")[0]
    assert "Needs Analysis" in overdue and "GDPR" not in overdue
    assert "GDPR" in upcoming and "Needs Analysis" not in upcoming
    area_one = filtered.split('id="area-creating-a-framework"')[1].split("</section>")[0]
    assert ">Needs Analysis</a>" in area_one and ">Define Goals</a>" not in area_one


def _pdf_bytes() -> bytes:
    return b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _upload(name, content, content_type="application/octet-stream"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, content, content_type=content_type)


def test_leadership_uploads_a_pdf_that_only_staff_can_download(
    institution, leadership, learner, other_registrar, auditor, client_for
):
    response = client_for(leadership).post(
        _evidence_add(institution),
        {
            "kind": "file",
            "title": "Strategy 2027",
            "file": _upload("strategy.pdf", _pdf_bytes(), "application/pdf"),
        },
    )

    assert response.status_code == 302
    evidence = Evidence.objects.get()
    assert (evidence.kind, evidence.original_name, evidence.media_type, evidence.size) == (
        "file",
        "strategy.pdf",
        "application/pdf",
        len(_pdf_bytes()),
    )
    assert default_storage.exists(evidence.file.name)
    assert not evidence.file.name.endswith("strategy.pdf")  # stored under a random name
    url = reverse(
        "checklist:evidence_download",
        kwargs={"institution": institution.slug, "key": "define-goals", "pk": evidence.pk},
    )
    download = client_for(auditor).get(url)
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == _pdf_bytes()
    assert 'filename="strategy.pdf"' in download["Content-Disposition"]
    assert client_for(learner).get(url).status_code == 403
    assert client_for(other_registrar).get(url).status_code == 404
    assert client_for(None).get(url).status_code == 302
    change = ActivityChange.objects.get(field="evidence")
    assert change.new_value == "Strategy 2027 (strategy.pdf)"


@pytest.mark.parametrize(
    ("_case", "name", "content", "message"),
    [
        ("executable", "tool.exe", b"MZ\x90\x00", "This type of file is not accepted."),
        (
            "renamed_executable",
            "minutes.pdf",
            b"MZ\x90\x00" * 10,
            "The content does not match the extension.",
        ),
        ("png_that_is_a_pdf", "chart.png", b"%PDF-1.7 ...", "The content does not match the extension."),
        ("empty", "empty.csv", b"", "The submitted file is empty."),
        ("binary_csv", "data.csv", b"a,b\x00\x00", "The content does not match the extension."),
    ],
)
def test_uploads_of_the_wrong_type_are_refused_and_nothing_is_stored(
    _case, name, content, message, institution, leadership, client_for
):
    before = _state()

    response = client_for(leadership).post(
        _evidence_add(institution), {"kind": "file", "title": "Bad", "file": _upload(name, content)}
    )

    assert response.status_code == 400
    assert message in response.content.decode()
    assert _state() == before
    assert not default_storage.exists("checklist/evidence")


def test_uploads_over_10_mb_are_refused(institution, leadership, client_for):
    before = _state()
    content = b"%PDF-1.7\n" + b"0" * MAX_EVIDENCE_BYTES

    response = client_for(leadership).post(
        _evidence_add(institution), {"kind": "file", "title": "Huge", "file": _upload("huge.pdf", content)}
    )

    assert response.status_code == 400
    assert "The file is too large." in response.content.decode()
    assert _state() == before


@pytest.mark.parametrize("name", ["a.png", "b.jpeg", "c.docx", "d.xlsx", "e.odt", "f.csv"])
def test_each_accepted_type_is_stored(name, institution, leadership, client_for):
    heads = {".png": b"\x89PNG\r\n\x1a\n", ".jpeg": b"\xff\xd8\xff\xe0", ".csv": b"activity,status\n"}
    content = heads.get(name[name.index(".") :], b"PK\x03\x04") + b"rest of file"

    response = client_for(leadership).post(
        _evidence_add(institution), {"kind": "file", "title": name, "file": _upload(name, content)}
    )

    assert response.status_code == 302
    assert Evidence.objects.get().original_name == name


def test_link_evidence_and_removal_are_recorded_in_history(institution, leadership, client_for):
    client = client_for(leadership)
    client.post(
        _evidence_add(institution),
        {"kind": "link", "title": "Senate minutes", "url": "https://intranet.example.edu/m/42"},
    )
    evidence = Evidence.objects.get()

    remove_url = reverse(
        "checklist:evidence_remove",
        kwargs={"institution": institution.slug, "key": "define-goals", "pk": evidence.pk},
    )
    client.post(remove_url)

    assert not Evidence.objects.exists()
    assert list(ActivityChange.objects.order_by("pk").values_list("field", "old_value", "new_value")) == [
        ("evidence", "", "Senate minutes (https://intranet.example.edu/m/42)"),
        ("evidence", "Senate minutes (https://intranet.example.edu/m/42)", ""),
    ]
    assert list(
        AuditEvent.objects.filter(action__startswith="checklist.evidence").values_list("action", flat=True)
    ) == ["checklist.evidence_removed", "checklist.evidence_added"]


@pytest.mark.parametrize("role", ["instructor", "registrar", "finance", "auditor"])
def test_staff_who_are_not_responsible_cannot_add_or_remove_evidence(
    role, request, institution, leadership, client_for
):
    client_for(leadership).post(
        _evidence_add(institution), {"kind": "link", "title": "Plan", "url": "https://example.edu/p"}
    )
    evidence = Evidence.objects.get()
    before = _state()
    client = client_for(request.getfixturevalue(role))

    added = client.post(
        _evidence_add(institution), {"kind": "link", "title": "Mine", "url": "https://example.edu/x"}
    )
    removed = client.post(
        reverse(
            "checklist:evidence_remove",
            kwargs={"institution": institution.slug, "key": "define-goals", "pk": evidence.pk},
        )
    )

    assert added.status_code == removed.status_code == 403
    assert _state() == before


def test_csv_export_has_one_row_per_activity_and_neutralises_formulas(institution, leadership, client_for):
    assessment_update(
        institution=institution, activity_key="gdpr", actor=leadership, status="done", remarks="=HYPERLINK(1)"
    )

    response = client_for(leadership).get(
        reverse("checklist:export_csv", kwargs={"institution": institution.slug})
    )

    import csv

    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert response["Content-Type"].startswith("text/csv")
    assert rows[0][:5] == ["area", "activity_key", "activity", "task_description", "status"]
    assert len(rows) == 1 + 29
    gdpr = next(row for row in rows if row[1] == "gdpr")
    assert (gdpr[0], gdpr[4], gdpr[8]) == ("5. Legal & Data Security", "Done", "'=HYPERLINK(1)")


def test_pdf_export_renders_with_the_institution_name(institution, leadership, instructor, client_for):
    assessment_update(
        institution=institution,
        activity_key="define-goals",
        actor=leadership,
        status="in_progress",
        responsible=instructor,
    )

    response = client_for(leadership).get(
        reverse("checklist:export_pdf", kwargs={"institution": institution.slug})
    )

    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    assert "Masaryk University" in text
    assert "Define Goals" in text and "Communication & Promotion" in text


def test_a_member_of_two_institutions_chooses_on_the_index(
    institution, other_institution, leadership, client_for
):
    MembershipFactory(user=leadership, institution=other_institution, role="auditor")

    page = client_for(leadership).get(reverse("checklist:index")).content.decode()

    assert _dashboard(institution) in page and _dashboard(other_institution) in page


def test_a_member_of_one_institution_goes_straight_to_its_dashboard(institution, registrar, client_for):
    response = client_for(registrar).get(reverse("checklist:index"))

    assert response.status_code == 302 and response["Location"] == _dashboard(institution)


def test_invalid_answers_are_shown_on_the_form_and_nothing_is_saved(institution, leadership, client_for):
    before = _state()

    response = client_for(leadership).post(
        _activity(institution), {"status": "finished", "deadline": "31/31/2027"}
    )

    assert response.status_code == 400
    page = response.content.decode()
    assert "Select a valid choice." in page and "Enter a valid date." in page
    assert _state() == before


@pytest.mark.parametrize("url", ["javascript:alert(1)", "ftp://files.example.edu/plan.pdf", "not a link"])
def test_links_other_than_http_are_refused(url, institution, leadership, client_for):
    before = _state()

    response = client_for(leadership).post(
        _evidence_add(institution), {"kind": "link", "title": "Plan", "url": url}
    )

    assert response.status_code == 400
    assert _state() == before


def test_removing_a_file_deletes_it_from_the_storage_after_commit(
    institution, leadership, client_for, django_capture_on_commit_callbacks
):
    client = client_for(leadership)
    client.post(
        _evidence_add(institution),
        {"kind": "file", "title": "Minutes", "file": _upload("minutes.pdf", _pdf_bytes())},
    )
    evidence = Evidence.objects.get()
    stored = evidence.file.name
    remove_url = reverse(
        "checklist:evidence_remove",
        kwargs={"institution": institution.slug, "key": "define-goals", "pk": evidence.pk},
    )

    with django_capture_on_commit_callbacks(execute=True):
        client.post(remove_url)

    assert not Evidence.objects.exists()
    assert not default_storage.exists(stored)


def test_a_responsible_person_gets_a_link_to_only_their_activities(
    institution, leadership, instructor, client_for
):
    assessment_update(institution=institution, activity_key="gdpr", actor=leadership, responsible=instructor)

    page = client_for(instructor).get(_dashboard(institution)).content.decode()

    assert f"?responsible={instructor.pk}" in page
