"""The dashboard and the activity API cost a fixed number of queries, whatever the data size."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from checklist.services import assessment_update

pytestmark = pytest.mark.django_db

# Evidence providers read each of the other apps once; nothing is queried per course or per row.
MAX_QUERIES = 40


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as context:
        assert client.get(url).status_code == 200
    return len(context.captured_queries)


def test_query_count_does_not_grow_with_courses_enrolments_or_answers(
    institution, leadership, instructor, completed_run, client_for
):
    client = client_for(leadership)
    dashboard = f"/staff/checklist/{institution.slug}/"
    api = f"/api/v1/checklist/institutions/{institution.slug}/activities/"
    completed_run(1)
    assessment_update(institution=institution, activity_key="gdpr", actor=leadership, status="done")
    small = (_queries(client, dashboard), _queries(client, api))

    for _ in range(3):
        completed_run(3)
    for key in ("define-goals", "pricing", "audits", "marketing"):
        assessment_update(
            institution=institution, activity_key=key, actor=leadership, status="done", responsible=instructor
        )
    large = (_queries(client, dashboard), _queries(client, api))

    assert small == large
    assert max(large) <= MAX_QUERIES
