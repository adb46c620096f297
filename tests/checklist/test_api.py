"""API read endpoints of the dashboard: data, scoping, problem JSON errors."""

import datetime as dt

import pytest

from checklist.services import assessment_update, evidence_link_add
from mcportal.core import clock
from tests.factories.core import MembershipFactory

pytestmark = pytest.mark.django_db


def _url(institution, suffix=""):
    return f"/api/v1/checklist/institutions/{institution.slug}/{suffix}"


def test_readiness_endpoint_returns_overall_areas_deadlines_and_changes(
    institution, leadership, instructor, client_for
):
    assessment_update(institution=institution, activity_key="define-goals", actor=leadership, status="done")
    assessment_update(
        institution=institution,
        activity_key="gdpr",
        actor=leadership,
        responsible=instructor,
        deadline=clock.today() - dt.timedelta(days=1),
    )

    body = client_for(leadership).get(_url(institution)).json()

    assert body["institution"] == "muni" and body["checklist_version"] == 1
    assert body["overall"] == {
        "total": 29,
        "applicable": 29,
        "done": 1,
        "in_progress": 0,
        "not_started": 28,
        "not_applicable": 0,
        "readiness_percent": 3,
    }
    assert [area["number"] for area in body["areas"]] == list(range(1, 9))
    assert body["areas"][0]["progress"]["done"] == 1
    assert [item["key"] for item in body["overdue"]] == ["gdpr"]
    assert body["overdue"][0]["responsible"] == {"id": instructor.pk, "name": instructor.get_full_name()}
    assert {change["field"] for change in body["recent_changes"]} == {"status", "responsible", "deadline"}


def test_activity_list_filters_by_responsible_and_carries_live_evidence(
    institution, leadership, instructor, client_for
):
    assessment_update(
        institution=institution,
        activity_key="course-catalogue",
        actor=leadership,
        responsible=instructor,
        status="done",
    )
    client = client_for(leadership)

    everything = client.get(_url(institution, "activities/")).json()
    mine = client.get(_url(institution, "activities/"), {"responsible": instructor.pk}).json()

    assert [item["key"] for item in everything][:3] == ["define-goals", "needs-analysis", "value-proposition"]
    assert len(everything) == 29
    assert [(item["key"], item["status"], item["mismatch"]) for item in mine] == [
        ("course-catalogue", "done", True)
    ]
    assert mine[0]["live_evidence"]["facts"][0] == {
        "label": "Published courses in the online catalogue",
        "value": 0,
    }


def test_activity_list_rejects_a_bad_responsible_filter_as_problem_json(institution, leadership, client_for):
    response = client_for(leadership).get(_url(institution, "activities/"), {"responsible": "abc"})

    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["errors"][0]["field"] == "responsible"


def test_activity_detail_has_questions_evidence_and_history(institution, leadership, client_for):
    assessment_update(
        institution=institution, activity_key="verification-system", actor=leadership, status="in_progress"
    )
    evidence_link_add(
        institution=institution,
        activity_key="verification-system",
        actor=leadership,
        title="Verify page",
        url="https://portal.example/verify/",
    )

    body = client_for(leadership).get(_url(institution, "activities/verification-system/")).json()

    assert body["area_title"] == "Technical Implementation"
    # The document leaves this row's question cell empty; the area's questions apply.
    assert body["guiding_questions"].startswith("Does the platform support course offering")
    assert [item["title"] for item in body["evidence"]] == ["Verify page"]
    assert [change["field"] for change in body["history"]] == ["evidence", "status"]
    assert body["live_evidence"]["facts"] == [{"label": "Verifications in the last 30 days", "value": 0}]


@pytest.mark.parametrize("role", ["instructor", "registrar", "finance", "leadership", "auditor"])
def test_every_staff_role_of_the_institution_reads_the_api(role, request, institution, client_for):
    assert client_for(request.getfixturevalue(role)).get(_url(institution)).status_code == 200


def test_api_denials(institution, learner, other_registrar, leadership, client_for):
    anonymous = client_for(None).get(_url(institution))
    learner_response = client_for(learner).get(_url(institution))
    outsider = client_for(other_registrar).get(_url(institution))
    unknown = client_for(leadership).get(_url(institution, "activities/nope/"))

    assert [r.status_code for r in (anonymous, learner_response, outsider, unknown)] == [403, 403, 404, 404]
    assert all(
        r["Content-Type"] == "application/problem+json"
        for r in (anonymous, learner_response, outsider, unknown)
    )


def test_alliance_comparison_for_leadership_and_auditors_of_members(
    alliance, institution, other_institution, leadership, auditor, registrar, client_for
):
    other_leader = MembershipFactory(institution=other_institution, role="leadership").user
    assessment_update(institution=other_institution, activity_key="gdpr", actor=other_leader, status="done")
    assessment_update(institution=institution, activity_key="define-goals", actor=leadership, status="done")

    body = client_for(auditor).get("/api/v1/checklist/alliances/a4l/").json()
    denied = client_for(registrar).get("/api/v1/checklist/alliances/a4l/")

    assert body["alliance"] == "Alliance4Life"
    assert len(body["areas"]) == 8
    rows = {row["slug"]: row for row in body["institutions"]}
    assert rows["muni"]["areas"][0]["done"] == 1 and rows["muni"]["areas"][4]["done"] == 0
    assert rows["ut"]["areas"][4]["done"] == 1 and rows["ut"]["overall"]["readiness_percent"] == 3
    assert denied.status_code == 404


def test_the_schema_builds_with_the_checklist_endpoints(client_for, leadership):
    response = client_for(leadership).get("/api/schema/")

    assert response.status_code == 200
    assert b"/api/v1/checklist/institutions/{institution}/activities/" in response.content


def test_file_evidence_is_listed_with_its_protected_download_url(institution, leadership, client_for):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from checklist.services import evidence_file_add

    evidence = evidence_file_add(
        institution=institution,
        activity_key="gdpr",
        actor=leadership,
        title="Records of processing",
        upload=SimpleUploadedFile("ropa.csv", b"purpose,basis\nenrolment,contract\n"),
    )

    body = client_for(leadership).get(_url(institution, "activities/gdpr/")).json()

    assert body["evidence"] == [
        {
            "id": evidence.pk,
            "kind": "file",
            "title": "Records of processing",
            "url": f"http://testserver/staff/checklist/muni/activities/gdpr/evidence/{evidence.pk}/",
            "original_name": "ropa.csv",
            "size": 33,
            "added_at": body["evidence"][0]["added_at"],
        }
    ]
