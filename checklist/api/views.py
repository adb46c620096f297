"""Read endpoints for the readiness dashboard: readiness, activities, one activity, alliances.

Institutions outside the user's checklist scope are 404 (their existence is not disclosed);
users without a staff role are 403. Errors are problem JSON (mcportal.api.exceptions).
"""

from django.http import Http404
from django.urls import reverse
from drf_spectacular.utils import extend_schema
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from mcportal.api.permissions import IsStaffMember

from .. import selectors
from ..selectors import ActivityRow, Readiness
from .serializers import (
    ActivityDetailOutputSerializer,
    ActivityOutputSerializer,
    AllianceComparisonOutputSerializer,
    ReadinessOutputSerializer,
)


def _person(user) -> dict | None:
    return {"id": user.pk, "name": user.get_full_name()} if user is not None else None


def _activity(row: ActivityRow) -> dict:
    return {
        "key": row.key,
        "area": row.area.position,
        "title": row.activity.title,
        "task_description": row.activity.task_description,
        "status": row.status,
        "responsible": _person(row.responsible),
        "deadline": row.deadline,
        "remarks": row.remarks,
        "evidence_items": row.evidence_items,
        "live_evidence": row.evidence.as_dict() if row.evidence else None,
        "mismatch": row.mismatch,
    }


def _deadline(row: ActivityRow) -> dict:
    return {
        "key": row.key,
        "title": row.activity.title,
        "deadline": row.deadline,
        "responsible": _person(row.responsible),
    }


def _change(change) -> dict:
    return {
        "activity": change.assessment.activity_key,
        "field": change.field,
        "old_value": change.old_value,
        "new_value": change.new_value,
        "actor": _person(change.actor),
        "changed_at": change.changed_at,
        "checklist_version": change.template_version,
    }


def _institution(request, slug: str):
    institution = selectors.institution_get_for_checklist(user=request.user, slug=slug)
    if institution is None:
        raise Http404
    return institution


def _readiness_payload(readiness: Readiness) -> dict:
    return {
        "institution": readiness.institution.slug,
        "checklist_version": readiness.template.version,
        "today": readiness.today,
        "overall": readiness.overall.as_dict(),
        "areas": [
            {
                "number": item.area.position,
                "key": item.area.key,
                "title": item.area.title,
                "progress": item.progress.as_dict(),
            }
            for item in readiness.areas
        ],
        "overdue": [_deadline(row) for row in readiness.overdue],
        "upcoming": [_deadline(row) for row in readiness.upcoming],
        "mismatches": [row.key for row in readiness.mismatches],
        "recent_changes": [_change(change) for change in readiness.recent_changes],
    }


@extend_schema(tags=["checklist"], responses=ReadinessOutputSerializer)
class ReadinessApi(APIView):
    """Overall and per-area readiness, deadlines, mismatches and recent changes of an institution."""

    permission_classes = [IsStaffMember]

    def get(self, request, institution: str):
        readiness = selectors.readiness_get(institution=_institution(request, institution))
        return Response(ReadinessOutputSerializer(_readiness_payload(readiness)).data)


@extend_schema(tags=["checklist"], responses=ActivityOutputSerializer(many=True))
class ActivityListApi(APIView):
    """Every activity of the current checklist with the institution's answer and live evidence.

    ``?responsible=<user id>`` keeps the activities of one responsible person.
    """

    permission_classes = [IsStaffMember]

    def get(self, request, institution: str):
        institution = _institution(request, institution)
        responsible = None
        responsible_id = request.query_params.get("responsible", "")
        if responsible_id:
            if not responsible_id.isdigit():
                raise ValidationError({"responsible": ["Give the id of a person."]})
            responsible = (
                selectors.responsible_candidates(institution=institution)
                .filter(pk=int(responsible_id))
                .first()
            )
            if responsible is None:
                raise ValidationError({"responsible": ["No member of this institution has this id."]})
        readiness = selectors.readiness_get(institution=institution, responsible=responsible)
        return Response(
            ActivityOutputSerializer([_activity(row) for row in readiness.visible_rows], many=True).data
        )


@extend_schema(tags=["checklist"], responses=ActivityDetailOutputSerializer)
class ActivityDetailApi(APIView):
    """One activity: its guiding questions, the institution's answer, evidence and history."""

    permission_classes = [IsStaffMember]

    def get(self, request, institution: str, key: str):
        institution = _institution(request, institution)
        detail = selectors.activity_detail_get(user=request.user, institution=institution, key=key)
        if detail is None:
            raise Http404
        payload = _activity(detail.row)
        payload.update(
            {
                "area_title": detail.area.title,
                "guiding_questions": detail.guiding_questions,
                "evidence": [
                    {
                        "id": item.pk,
                        "kind": item.kind,
                        "title": item.title,
                        "url": item.url
                        or request.build_absolute_uri(
                            reverse(
                                "checklist:evidence_download",
                                kwargs={"institution": institution.slug, "key": key, "pk": item.pk},
                            )
                        ),
                        "original_name": item.original_name,
                        "size": item.size,
                        "added_at": item.created_at,
                    }
                    for item in detail.evidence_items
                ],
                "history": [_change(change) for change in detail.history],
            }
        )
        return Response(ActivityDetailOutputSerializer(payload).data)


@extend_schema(tags=["checklist"], responses=AllianceComparisonOutputSerializer)
class AllianceComparisonApi(APIView):
    """Readiness per area of every institution of the alliance (leadership and auditors of members)."""

    permission_classes = [IsStaffMember]

    def get(self, request, alliance: str):
        found = selectors.alliance_get_for_user(user=request.user, slug=alliance)
        if found is None:
            raise Http404
        comparison = selectors.alliance_comparison_get(alliance=found)
        payload = {
            "alliance": found.name,
            "areas": [area.title for area in comparison.areas],
            "institutions": [
                {
                    "institution": str(institution),
                    "slug": institution.slug,
                    "overall": overall.as_dict(),
                    "areas": [progress.as_dict() for progress in per_area],
                }
                for institution, overall, per_area in comparison.rows
            ],
        }
        return Response(AllianceComparisonOutputSerializer(payload).data)
