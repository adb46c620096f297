"""Output serializers of the checklist API (read-only)."""

from rest_framework import serializers


class ProgressOutputSerializer(serializers.Serializer):
    total = serializers.IntegerField()
    applicable = serializers.IntegerField()
    done = serializers.IntegerField()
    in_progress = serializers.IntegerField()
    not_started = serializers.IntegerField()
    not_applicable = serializers.IntegerField()
    readiness_percent = serializers.IntegerField()


class EvidenceFactOutputSerializer(serializers.Serializer):
    label = serializers.CharField()
    value = serializers.JSONField()


class LiveEvidenceOutputSerializer(serializers.Serializer):
    has_source = serializers.BooleanField()
    supports_done = serializers.BooleanField(allow_null=True)
    note = serializers.CharField()
    facts = EvidenceFactOutputSerializer(many=True)


class PersonOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class ActivityOutputSerializer(serializers.Serializer):
    key = serializers.CharField()
    area = serializers.IntegerField()
    title = serializers.CharField()
    task_description = serializers.CharField()
    status = serializers.CharField()
    responsible = PersonOutputSerializer(allow_null=True)
    deadline = serializers.DateField(allow_null=True)
    remarks = serializers.CharField()
    evidence_items = serializers.IntegerField()
    live_evidence = LiveEvidenceOutputSerializer(allow_null=True)
    mismatch = serializers.BooleanField()


class AreaOutputSerializer(serializers.Serializer):
    number = serializers.IntegerField()
    key = serializers.CharField()
    title = serializers.CharField()
    progress = ProgressOutputSerializer()


class DeadlineOutputSerializer(serializers.Serializer):
    key = serializers.CharField()
    title = serializers.CharField()
    deadline = serializers.DateField()
    responsible = PersonOutputSerializer(allow_null=True)


class ChangeOutputSerializer(serializers.Serializer):
    activity = serializers.CharField()
    field = serializers.CharField()
    old_value = serializers.CharField()
    new_value = serializers.CharField()
    actor = PersonOutputSerializer(allow_null=True)
    changed_at = serializers.DateTimeField()
    checklist_version = serializers.IntegerField()


class ReadinessOutputSerializer(serializers.Serializer):
    institution = serializers.CharField()
    checklist_version = serializers.IntegerField()
    today = serializers.DateField()
    overall = ProgressOutputSerializer()
    areas = AreaOutputSerializer(many=True)
    overdue = DeadlineOutputSerializer(many=True)
    upcoming = DeadlineOutputSerializer(many=True)
    mismatches = serializers.ListField(child=serializers.CharField())
    recent_changes = ChangeOutputSerializer(many=True)


class EvidenceItemOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField()
    title = serializers.CharField()
    url = serializers.CharField()
    original_name = serializers.CharField()
    size = serializers.IntegerField()
    added_at = serializers.DateTimeField()


class ActivityDetailOutputSerializer(ActivityOutputSerializer):
    area_title = serializers.CharField()
    guiding_questions = serializers.CharField()
    evidence = EvidenceItemOutputSerializer(many=True)
    history = ChangeOutputSerializer(many=True)


class AllianceInstitutionOutputSerializer(serializers.Serializer):
    institution = serializers.CharField()
    slug = serializers.CharField()
    overall = ProgressOutputSerializer()
    areas = ProgressOutputSerializer(many=True)


class AllianceComparisonOutputSerializer(serializers.Serializer):
    alliance = serializers.CharField()
    areas = serializers.ListField(child=serializers.CharField())
    institutions = AllianceInstitutionOutputSerializer(many=True)
