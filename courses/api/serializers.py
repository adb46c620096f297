"""API representations of courses, runs and institutions (output only; writes go through services)."""
from rest_framework import serializers

from mcportal.core.models import Institution

from ..models import Course, CourseRun


class InstitutionOutputSerializer(serializers.ModelSerializer):
    country = serializers.CharField(source="country.code")
    country_name = serializers.CharField(source="country.name")

    class Meta:
        model = Institution
        fields = [
            "slug", "legal_name", "short_name", "country", "country_name", "region", "city",
            "website", "erasmus_code", "vat_id", "ror_id", "brand_colour",
        ]


class CourseRunOutputSerializer(serializers.ModelSerializer):
    seats_left = serializers.IntegerField(allow_null=True, read_only=True)
    is_full = serializers.BooleanField(read_only=True)
    price = serializers.DecimalField(source="price_amount", max_digits=10, decimal_places=2)

    class Meta:
        model = CourseRun
        fields = [
            "id", "label", "starts_on", "ends_on", "enrolment_opens_at", "enrolment_closes_at",
            "capacity", "seats_left", "is_full", "price", "currency", "location",
        ]


class CourseListOutputSerializer(serializers.ModelSerializer):
    """A catalogue card: only what the list annotates or prefetches (fixed query count)."""

    institution = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    partner_institutions = serializers.SlugRelatedField(slug_field="slug", many=True, read_only=True)
    languages = serializers.SlugRelatedField(slug_field="language", many=True, read_only=True)
    next_run_starts_on = serializers.DateField(allow_null=True, read_only=True)
    lowest_price = serializers.DecimalField(
        max_digits=10, decimal_places=2, allow_null=True, read_only=True
    )
    url = serializers.SerializerMethodField()

    class Meta:
        model = Course
        fields = [
            "slug", "code", "title", "summary", "institution", "partner_institutions",
            "eqf_level", "qf_ehea_cycle", "workload_hours", "ects_credits", "participation_form",
            "field_of_study", "languages", "next_run_starts_on", "lowest_price", "published_at",
            "url",
        ]

    def get_url(self, course: Course) -> str:
        request = self.context.get("request")
        path = course.get_absolute_url()
        return request.build_absolute_uri(path) if request else path


class LearningOutcomeSerializer(serializers.Serializer):
    position = serializers.IntegerField()
    statement = serializers.CharField()


class CourseDetailOutputSerializer(serializers.ModelSerializer):
    """Every element of the EU Recommendation, the catalogue information and upcoming runs."""

    institution = InstitutionOutputSerializer(read_only=True)
    partner_institutions = InstitutionOutputSerializer(many=True, read_only=True)
    learning_outcomes = LearningOutcomeSerializer(source="outcomes", many=True, read_only=True)
    languages = serializers.SlugRelatedField(slug_field="language", many=True, read_only=True)
    runs = CourseRunOutputSerializer(source="upcoming_runs", many=True, read_only=True)

    class Meta:
        model = Course
        fields = [
            "slug", "code", "title", "summary", "description", "institution",
            "partner_institutions", "learning_outcomes", "workload_hours", "ects_credits",
            "eqf_level", "qf_ehea_cycle", "assessment_type", "assessment_details",
            "participation_form", "quality_assurance_type", "quality_assurance_details",
            "prerequisites", "supervision_verification", "grading_scheme", "stackability",
            "stackability_details", "further_information", "further_information_url",
            "field_of_study", "target_groups", "languages", "validity_months", "status",
            "published_at", "runs",
        ]


class PublicationProblemSerializer(serializers.Serializer):
    element = serializers.CharField()
    field = serializers.CharField()
    message = serializers.CharField()


class PublicationReportOutputSerializer(serializers.Serializer):
    is_publishable = serializers.BooleanField()
    problems = PublicationProblemSerializer(many=True)
    warnings = PublicationProblemSerializer(many=True)
    present = serializers.DictField(child=serializers.BooleanField())
