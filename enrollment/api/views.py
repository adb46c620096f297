"""Enrolment API: the learner's own enrolments and results, and staff reads and operations per run.

Reads delegate to enrollment.selectors; each write is one APIView calling one service. Staff
objects outside the user's institutions are 404; a missing role in the owning institution is 403.
"""
from collections.abc import Callable

from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers, status
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from mcportal.api.exceptions import problem_response
from mcportal.api.permissions import IsStaffMember
from mcportal.core.roles import Capability, user_has_capability

from .. import selectors, services
from ..models import Enrollment
from ..results_import import ResultsImportRejected
from .serializers import (
    EnrollmentOutputSerializer,
    ImportReportOutputSerializer,
    LearnerEnrollmentOutputSerializer,
    ReasonInputSerializer,
    RequiredReasonInputSerializer,
    ResultOutputSerializer,
    ResultRecordInputSerializer,
    ResultsImportInputSerializer,
    ResultWithHistoryOutputSerializer,
    RosterEnrollmentOutputSerializer,
    RosterQueryInputSerializer,
    RunCloseSummaryOutputSerializer,
    RunStructureOutputSerializer,
)

REGISTRAR_ONLY = "registrar"


def _run_for_staff(request, run_id: int, capability: Capability):
    """The run if the user is staff of its institution (else 404) and holds the capability (else 403)."""
    run = selectors.run_get_for_staff(
        user=request.user, run_id=run_id, capability=Capability.COURSE_VIEW_DRAFTS
    )
    if run is None:
        raise Http404
    if not user_has_capability(request.user, capability, run.course.institution):
        raise PermissionDenied(f"This needs the '{capability.label}' permission.")
    return run


def _enrollment_for_staff(request, enrollment_id: int, capability: Capability | str):
    """The enrolment if the user is staff of its run's institution (else 404) and may act (else 403)."""
    enrollment = selectors.enrollment_get_for_staff(
        user=request.user, enrollment_id=enrollment_id, capability=Capability.COURSE_VIEW_DRAFTS
    )
    if enrollment is None:
        raise Http404
    institution = enrollment.run.course.institution
    if capability == REGISTRAR_ONLY:
        if not selectors.user_may_manage_enrolments(user=request.user, institution=institution):
            raise PermissionDenied("Only a registrar of the institution may do this.")
    elif not user_has_capability(request.user, capability, institution):
        raise PermissionDenied(f"This needs the '{capability.label}' permission.")
    return enrollment


def _own_enrollment(request, enrollment_id: int):
    enrollment = selectors.enrollment_get_for_learner(learner=request.user, enrollment_id=enrollment_id)
    if enrollment is None:
        raise Http404
    return enrollment


def _reasoned_transition(
    request,
    *,
    enrollment: Enrollment,
    input_serializer: type[serializers.Serializer],
    service: Callable[..., Enrollment],
) -> Response:
    """Validate the reason, apply one enrolment transition service and return the enrolment.

    Shared by the learner's and the staff's withdraw/cancel/confirm APIs, which differ only in who
    may act (checked before), whether the reason is required (the serializer) and the service.
    """
    payload = input_serializer(data=request.data)
    payload.is_valid(raise_exception=True)
    enrollment = service(enrollment=enrollment, actor=request.user, reason=payload.validated_data["reason"])
    return Response(EnrollmentOutputSerializer(enrollment).data)


# ----------------------------------------------------------------------------- learner


@extend_schema(tags=["learner"], responses=LearnerEnrollmentOutputSerializer(many=True))
class MyEnrollmentListApi(APIView):
    """My enrolments, newest first: progress, next due date, results, status and unmet rules."""

    permission_classes = [IsAuthenticated]

    def get(self, request):
        rows = selectors.enrollment_list_for_learner(learner=request.user)
        return Response(LearnerEnrollmentOutputSerializer(rows, many=True).data)


@extend_schema(tags=["learner"], responses=LearnerEnrollmentOutputSerializer)
class MyEnrollmentDetailApi(APIView):
    """One of my enrolments (404 for anybody else's)."""

    permission_classes = [IsAuthenticated]

    def get(self, request, enrollment_id: int):
        row = selectors.enrollment_summary_get_for_learner(learner=request.user, enrollment_id=enrollment_id)
        if row is None:
            raise Http404
        return Response(LearnerEnrollmentOutputSerializer(row).data)


@extend_schema(tags=["learner"], request=None, responses={201: EnrollmentOutputSerializer})
class RunEnrolApi(APIView):
    """Enrol myself in the run: active, awaiting payment or on the waiting list (409 says why not)."""

    permission_classes = [IsAuthenticated]

    def post(self, request, run_id: int):
        run = selectors.run_get_for_enrolment(run_id=run_id)
        if run is None:
            raise Http404
        enrollment = services.enrollment_enrol(learner=request.user, run=run, actor=request.user)
        return Response(EnrollmentOutputSerializer(enrollment).data, status=status.HTTP_201_CREATED)


@extend_schema(tags=["learner"], request=ReasonInputSerializer, responses=EnrollmentOutputSerializer)
class MyEnrollmentWithdrawApi(APIView):
    """Withdraw from an active enrolment of mine; my seat goes to the waiting list."""

    permission_classes = [IsAuthenticated]

    def post(self, request, enrollment_id: int):
        enrollment = _own_enrollment(request, enrollment_id)
        return _reasoned_transition(
            request,
            enrollment=enrollment,
            input_serializer=ReasonInputSerializer,
            service=services.enrollment_withdraw,
        )


@extend_schema(tags=["learner"], request=ReasonInputSerializer, responses=EnrollmentOutputSerializer)
class MyEnrollmentCancelApi(APIView):
    """Cancel an enrolment of mine that awaits payment or a seat."""

    permission_classes = [IsAuthenticated]

    def post(self, request, enrollment_id: int):
        enrollment = _own_enrollment(request, enrollment_id)
        return _reasoned_transition(
            request,
            enrollment=enrollment,
            input_serializer=ReasonInputSerializer,
            service=services.enrollment_cancel,
        )


# ----------------------------------------------------------------------------- staff: runs


@extend_schema(tags=["staff"], parameters=[RosterQueryInputSerializer])
class RunRosterApi(generics.ListAPIView):
    """The run's enrolments with progress, weighted score and results (any staff of its institution)."""

    permission_classes = [IsStaffMember]
    serializer_class = RosterEnrollmentOutputSerializer

    def get_queryset(self):
        run = _run_for_staff(self.request, self.kwargs["run_id"], Capability.COURSE_VIEW_DRAFTS)
        query = RosterQueryInputSerializer(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        return selectors.run_roster(
            run=run,
            status=query.validated_data.get("status") or None,
            search=query.validated_data["search"],
            ordering=query.validated_data["ordering"],
        )


@extend_schema(tags=["staff"], responses=RunStructureOutputSerializer)
class RunStructureApi(APIView):
    """The run's units and assessments, and whether the weights add up to 100."""

    permission_classes = [IsStaffMember]

    def get(self, request, run_id: int):
        run = _run_for_staff(request, run_id, Capability.COURSE_VIEW_DRAFTS)
        return Response(RunStructureOutputSerializer(selectors.run_structure_get(run=run)).data)


@extend_schema(tags=["staff"], request={"multipart/form-data": ResultsImportInputSerializer},
               responses=ImportReportOutputSerializer)
class RunResultsImportApi(APIView):
    """Import results from a CSV file: all rows or none; 422 lists each bad row with its line."""

    permission_classes = [IsStaffMember]
    parser_classes = [MultiPartParser, FormParser]

    def post(self, request, run_id: int):
        run = _run_for_staff(request, run_id, Capability.RESULTS_RECORD)
        payload = ResultsImportInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        try:
            report = services.results_import(
                run=run, csv_file=data["file"].read(), actor=request.user, reason=data["reason"],
                dry_run=data["dry_run"],
            )
        except ResultsImportRejected as rejected:
            return problem_response(
                status=rejected.status_code,
                title=rejected.title,
                detail=rejected.message,
                errors=[
                    {"line": p.line, "field": p.column, "message": p.message, "code": p.code}
                    for p in rejected.report.problems
                ],
            )
        return Response(ImportReportOutputSerializer(report).data)


@extend_schema(tags=["staff"], request=None, responses=RunCloseSummaryOutputSerializer)
class RunCloseApi(APIView):
    """Close the run: results become final; active learners who do not pass fail."""

    permission_classes = [IsStaffMember]

    def post(self, request, run_id: int):
        run = _run_for_staff(request, run_id, Capability.RESULTS_RECORD)
        summary = services.run_close(run=run, actor=request.user)
        return Response(RunCloseSummaryOutputSerializer(summary).data)


# ----------------------------------------------------------------------------- staff: enrolments


@extend_schema(tags=["staff"], responses=ResultWithHistoryOutputSerializer(many=True))
class EnrollmentResultListApi(APIView):
    """The enrolment's results, each with every value it has had (who, when, why)."""

    permission_classes = [IsStaffMember]

    def get(self, request, enrollment_id: int):
        enrollment = _enrollment_for_staff(request, enrollment_id, Capability.COURSE_VIEW_DRAFTS)
        results = selectors.enrollment_results_with_history(enrollment=enrollment)
        return Response(ResultWithHistoryOutputSerializer(results, many=True).data)


@extend_schema(tags=["staff"], request=ResultRecordInputSerializer, responses=ResultOutputSerializer)
class EnrollmentResultRecordApi(APIView):
    """Record a result, or correct one (a correction needs a reason); completion follows."""

    permission_classes = [IsStaffMember]

    def post(self, request, enrollment_id: int):
        enrollment = _enrollment_for_staff(request, enrollment_id, Capability.RESULTS_RECORD)
        payload = ResultRecordInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        assessment = selectors.run_assessment_list(run=enrollment.run).filter(pk=data["assessment"]).first()
        if assessment is None:
            raise ValidationError({"assessment": ["The learner's run has no assessment with this id."]})
        result = services.result_record(
            enrollment=enrollment, assessment=assessment, score=data["score"], actor=request.user,
            reason=data["reason"],
        )
        return Response(ResultOutputSerializer(result).data)


@extend_schema(tags=["staff"], request=RequiredReasonInputSerializer, responses=EnrollmentOutputSerializer)
class EnrollmentWithdrawApi(APIView):
    """Withdraw an active learner (registrars); the seat goes to the waiting list."""

    permission_classes = [IsStaffMember]

    def post(self, request, enrollment_id: int):
        enrollment = _enrollment_for_staff(request, enrollment_id, REGISTRAR_ONLY)
        return _reasoned_transition(
            request,
            enrollment=enrollment,
            input_serializer=RequiredReasonInputSerializer,
            service=services.enrollment_withdraw,
        )


@extend_schema(tags=["staff"], request=RequiredReasonInputSerializer, responses=EnrollmentOutputSerializer)
class EnrollmentCancelApi(APIView):
    """Cancel an enrolment awaiting payment or a seat (registrars)."""

    permission_classes = [IsStaffMember]

    def post(self, request, enrollment_id: int):
        enrollment = _enrollment_for_staff(request, enrollment_id, REGISTRAR_ONLY)
        return _reasoned_transition(
            request,
            enrollment=enrollment,
            input_serializer=RequiredReasonInputSerializer,
            service=services.enrollment_cancel,
        )


@extend_schema(tags=["staff"], request=RequiredReasonInputSerializer, responses=EnrollmentOutputSerializer)
class EnrollmentPaymentConfirmApi(APIView):
    """Confirm by hand that a pending enrolment was paid (finance); it becomes active."""

    permission_classes = [IsStaffMember]

    def post(self, request, enrollment_id: int):
        enrollment = _enrollment_for_staff(request, enrollment_id, Capability.PAYMENTS_MANAGE)
        return _reasoned_transition(
            request,
            enrollment=enrollment,
            input_serializer=RequiredReasonInputSerializer,
            service=services.enrollment_confirm_payment_manually,
        )
