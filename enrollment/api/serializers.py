"""API shapes of enrolments, results and imports: output serializers, and input ones that only parse."""
from decimal import Decimal

from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from rest_framework import serializers

from courses.models import CourseRun

from ..choices import EnrollmentStatus
from ..models import Assessment, AssessmentResult, AssessmentResultRevision, Enrollment, Unit
from ..selectors import ROSTER_DEFAULT_ORDERING, ROSTER_ORDERINGS


class EnrollmentStatusField(serializers.ChoiceField):
    """An enrolment status; the schema names its values EnrollmentStatusEnum."""

    def __init__(self, **kwargs):
        super().__init__(choices=EnrollmentStatus.choices, **kwargs)


class EnrollmentStatusFieldSchema(OpenApiSerializerFieldExtension):
    """One named schema component for the enrolment statuses.

    Left to drf-spectacular, fields named "status" with the course statuses and with these would
    share an auto-named enum, and its collision warning fails `manage.py check --deploy`.
    """

    target_class = EnrollmentStatusField

    def get_name(self) -> str:
        return "EnrollmentStatusEnum"

    def map_serializer_field(self, auto_schema, direction) -> dict:
        return {
            "type": "string",
            "enum": EnrollmentStatus.values,
            "description": "\n".join(f"* `{value}` - {label}" for value, label in EnrollmentStatus.choices),
        }


SCORE_FIELD = {"max_digits": 5, "decimal_places": 2, "min_value": Decimal("0"), "max_value": Decimal("100")}


# ----------------------------------------------------------------------------- output


class RunBriefOutputSerializer(serializers.ModelSerializer):
    course_slug = serializers.CharField(source="course.slug")
    course_title = serializers.CharField(source="course.title")
    institution = serializers.CharField(source="course.institution.short_name")
    grading_scheme = serializers.CharField(source="course.grading_scheme")

    class Meta:
        model = CourseRun
        fields = [
            "id", "label", "course_slug", "course_title", "institution", "starts_on", "ends_on",
            "pass_threshold", "grading_scheme", "closed_at",
        ]


class AssessmentOutputSerializer(serializers.ModelSerializer):
    class Meta:
        model = Assessment
        fields = [
            "id", "position", "title", "kind", "weight", "pass_mark", "is_required", "is_supervised",
            "identity_verified", "due_on",
        ]


class UnitOutputSerializer(serializers.ModelSerializer):
    class Meta:
        model = Unit
        fields = ["id", "position", "title", "due_on"]


class RunStructureOutputSerializer(serializers.Serializer):
    units = UnitOutputSerializer(many=True)
    assessments = AssessmentOutputSerializer(many=True)
    weights_total = serializers.DecimalField(max_digits=6, decimal_places=2)
    weights_complete = serializers.BooleanField()


class ResultOutputSerializer(serializers.ModelSerializer):
    assessment = serializers.IntegerField(source="assessment_id")

    class Meta:
        model = AssessmentResult
        fields = ["assessment", "score", "passed", "recorded_at"]


class ResultLineOutputSerializer(serializers.Serializer):
    """An assessment of the run and the learner's result in it (null until recorded)."""

    assessment = AssessmentOutputSerializer()
    result = ResultOutputSerializer(allow_null=True)


class LearnerEnrollmentOutputSerializer(serializers.Serializer):
    """One enrolment as its learner sees it (the dashboard)."""

    id = serializers.IntegerField(source="enrollment.pk")
    status = EnrollmentStatusField(source="enrollment.status")
    status_label = serializers.CharField(source="enrollment.get_status_display")
    run = RunBriefOutputSerializer(source="enrollment.run")
    enrolled_at = serializers.DateTimeField(source="enrollment.created_at")
    waitlisted_at = serializers.DateTimeField(source="enrollment.waitlisted_at")
    activated_at = serializers.DateTimeField(source="enrollment.activated_at")
    completed_at = serializers.DateTimeField(source="enrollment.completed_at")
    ended_at = serializers.DateTimeField(source="enrollment.ended_at")
    final_score = serializers.DecimalField(source="enrollment.final_score", max_digits=5, decimal_places=2)
    final_grade = serializers.CharField(source="enrollment.final_grade")
    units_total = serializers.IntegerField()
    units_done = serializers.IntegerField()
    progress_percent = serializers.IntegerField(allow_null=True)
    next_due_on = serializers.DateField(allow_null=True)
    next_due_title = serializers.CharField()
    results = ResultLineOutputSerializer(many=True)
    unmet_rules = serializers.SerializerMethodField()

    def get_unmet_rules(self, row) -> list[str]:
        return list(row.outcome.unmet) if row.outcome else []


class LearnerOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    email = serializers.EmailField()
    full_name = serializers.CharField()


class EnrollmentOutputSerializer(serializers.ModelSerializer):
    """An enrolment after a change (staff or learner)."""

    learner = LearnerOutputSerializer()
    run = serializers.IntegerField(source="run_id")
    status = EnrollmentStatusField()
    status_label = serializers.CharField(source="get_status_display")

    class Meta:
        model = Enrollment
        fields = [
            "id", "learner", "run", "status", "status_label", "created_at", "waitlisted_at",
            "activated_at", "completed_at", "ended_at", "final_score", "final_grade",
        ]


class RosterEnrollmentOutputSerializer(EnrollmentOutputSerializer):
    """A roster row: the annotations of run_roster and the prefetched results."""

    units_done = serializers.IntegerField()
    progress_percent = serializers.IntegerField(allow_null=True)
    weighted_score = serializers.DecimalField(max_digits=7, decimal_places=2)
    results = ResultOutputSerializer(many=True)

    class Meta(EnrollmentOutputSerializer.Meta):
        fields = [*EnrollmentOutputSerializer.Meta.fields, "units_done", "progress_percent", "weighted_score",
                  "results"]


class RevisionOutputSerializer(serializers.ModelSerializer):
    recorded_by = serializers.CharField(source="recorded_by.email", default=None)

    class Meta:
        model = AssessmentResultRevision
        fields = ["score", "passed", "recorded_at", "recorded_by", "reason"]


class ResultWithHistoryOutputSerializer(serializers.ModelSerializer):
    assessment = serializers.IntegerField(source="assessment_id")
    assessment_title = serializers.CharField(source="assessment.title")
    recorded_by = serializers.CharField(source="recorded_by.email", default=None)
    revisions = RevisionOutputSerializer(many=True)

    class Meta:
        model = AssessmentResult
        fields = ["id", "assessment", "assessment_title", "score", "passed", "recorded_at", "recorded_by",
                  "revisions"]


class ImportReportOutputSerializer(serializers.Serializer):
    rows = serializers.IntegerField()
    created = serializers.IntegerField()
    corrected = serializers.IntegerField()
    unchanged = serializers.IntegerField()
    completed = serializers.IntegerField()
    regraded = serializers.IntegerField()
    dry_run = serializers.BooleanField()


class RunCloseSummaryOutputSerializer(serializers.Serializer):
    run = serializers.IntegerField(source="run.pk")
    closed_at = serializers.DateTimeField(source="run.closed_at")
    completed = serializers.IntegerField()
    failed = serializers.IntegerField()
    cancelled = serializers.IntegerField()
    already_final = serializers.IntegerField()


# ----------------------------------------------------------------------------- input


class ReasonInputSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=2000, allow_blank=True, required=False, default="")


class RequiredReasonInputSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=2000)


class ResultRecordInputSerializer(serializers.Serializer):
    assessment = serializers.IntegerField(min_value=1)
    score = serializers.DecimalField(**SCORE_FIELD)
    reason = serializers.CharField(max_length=2000, allow_blank=True, required=False, default="")


class ResultsImportInputSerializer(serializers.Serializer):
    file = serializers.FileField()
    reason = serializers.CharField(max_length=2000, allow_blank=True, required=False, default="")
    dry_run = serializers.BooleanField(required=False, default=False)


class RosterQueryInputSerializer(serializers.Serializer):
    status = EnrollmentStatusField(required=False, allow_blank=True)
    search = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    ordering = serializers.ChoiceField(
        choices=list(ROSTER_ORDERINGS), required=False, default=ROSTER_DEFAULT_ORDERING
    )
