"""Input and output of POST /api/v1/credentials/verify (the VC-API VerifyCredential shape)."""
from __future__ import annotations

from rest_framework import serializers


class VerifyCredentialInputSerializer(serializers.Serializer):
    verifiableCredential = serializers.JSONField(  # noqa: N815 (the VC-API's field name)
        help_text="The credential to verify: a JSON-LD object with a Data Integrity proof."
    )
    options = serializers.DictField(
        required=False, help_text="Accepted for VC-API compatibility; no option changes the checks."
    )


class VerificationProblemSerializer(serializers.Serializer):
    type = serializers.CharField(help_text="A code, e.g. signature_invalid, unknown_context, revoked.")
    title = serializers.CharField()
    detail = serializers.CharField(required=False)
    check = serializers.CharField(required=False, help_text="The check that failed.")


class VerifyCredentialOutputSerializer(serializers.Serializer):
    verified = serializers.BooleanField(help_text="True only when the verdict is valid.")
    verdict = serializers.ChoiceField(
        choices=["valid", "revoked", "suspended", "expired", "not_yet_valid", "unknown_issuer", "invalid"]
    )
    checks = serializers.ListField(child=serializers.CharField(), help_text="The checks that passed.")
    warnings = VerificationProblemSerializer(many=True)
    errors = VerificationProblemSerializer(many=True)
