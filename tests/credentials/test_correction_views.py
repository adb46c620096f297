"""Name changes through the pages: the learner asks, the registrar approves or rejects."""

import pytest

from credentials.choices import NameChangeStatus
from credentials.models import Credential, NameChangeRequest
from credentials.services.issuance import credential_issue
from enrollment.models import Enrollment

pytestmark = pytest.mark.django_db


@pytest.fixture
def credential(completed_run, registrar):
    run = completed_run(1)
    return credential_issue(enrollment=Enrollment.objects.get(run=run), actor=registrar).credential


@pytest.fixture
def holder(credential):
    return credential.enrollment.learner


def _ask_url(credential) -> str:
    return f"/learning/credentials/{credential.public_id}/name-change/"


def test_the_learner_asks_for_a_new_name(credential, holder, client_for):
    client = client_for(holder)
    assert _ask_url(credential) in client.get("/learning/credentials/").content.decode()
    form_page = client.get(_ask_url(credential)).content.decode()
    assert form_page.count("<h1") == 1 and 'for="id_requested_name"' in form_page

    response = client.post(_ask_url(credential), {"requested_name": "Ada Byron", "explanation": "Marriage."})

    assert response.status_code == 302
    request = NameChangeRequest.objects.get()
    assert (request.requested_name, request.requested_by, request.status) == ("Ada Byron", holder, "pending")
    assert "waiting for a decision" in client.get(_ask_url(credential)).content.decode()


def test_an_unchanged_name_is_a_field_error(credential, holder, client_for):
    response = client_for(holder).post(
        _ask_url(credential), {"requested_name": credential.learner_name, "explanation": "Same."}
    )

    assert response.status_code == 422
    assert "requested_name" in response.context["form"].errors
    assert NameChangeRequest.objects.count() == 0


def test_another_learner_cannot_reach_the_form(credential, learner, client_for):
    assert client_for(learner).get(_ask_url(credential)).status_code == 404


def test_the_registrar_approves_and_the_credential_is_reissued(credential, holder, registrar, client_for):
    client_for(holder).post(_ask_url(credential), {"requested_name": "Ada Byron", "explanation": "Marriage."})
    request = NameChangeRequest.objects.get()
    client = client_for(registrar)
    assert "Ada Byron" in client.get("/staff/credentials/name-changes/").content.decode()

    response = client.post(
        f"/staff/credentials/name-changes/{request.pk}/", {"decision": "approve", "note": ""}
    )

    assert response.status_code == 302
    new = Credential.objects.get(replaces=credential)
    assert new.learner_name == "Ada Byron"
    assert NameChangeRequest.objects.get().status == NameChangeStatus.APPROVED
    assert "Ada Byron" not in client.get("/staff/credentials/name-changes/").content.decode()


def test_rejecting_needs_a_reason(credential, holder, registrar, client_for):
    client_for(holder).post(_ask_url(credential), {"requested_name": "Ada Byron", "explanation": "Marriage."})
    request = NameChangeRequest.objects.get()
    url = f"/staff/credentials/name-changes/{request.pk}/"

    refused = client_for(registrar).post(url, {"decision": "reject", "note": ""})
    done = client_for(registrar).post(url, {"decision": "reject", "note": "No document."})

    assert refused.status_code == 400
    assert done.status_code == 302
    assert NameChangeRequest.objects.get().status == NameChangeStatus.REJECTED
    assert Credential.objects.count() == 1


def test_a_registrar_of_another_institution_sees_nothing(credential, holder, other_registrar, client_for):
    client_for(holder).post(_ask_url(credential), {"requested_name": "Ada Byron", "explanation": "Marriage."})
    request = NameChangeRequest.objects.get()
    client = client_for(other_registrar)

    assert "Ada Byron" not in client.get("/staff/credentials/name-changes/").content.decode()
    assert (
        client.post(f"/staff/credentials/name-changes/{request.pk}/", {"decision": "approve"}).status_code
        == 404
    )
    assert NameChangeRequest.objects.get().status == NameChangeStatus.PENDING
