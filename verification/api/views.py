"""POST /api/v1/credentials/verify: verify a credential for another system (no account needed)."""
from __future__ import annotations

from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.throttling import BaseThrottle
from rest_framework.views import APIView

from verification.models import VerificationMethod
from verification.ratelimit import rate_limit_hit
from verification.services import (
    upload_max_bytes,
    verification_event_record,
    verification_run_for_document,
    verification_too_large,
)

from .serializers import VerifyCredentialInputSerializer, VerifyCredentialOutputSerializer


class VerificationApiThrottle(BaseThrottle):
    """The verification rate limit of the "api" scope, per client IP (shared with the pages' counter)."""

    def allow_request(self, request, view) -> bool:
        self._outcome = rate_limit_hit(request=request, scope="api")
        return not self._outcome.exceeded

    def wait(self) -> float | None:
        return float(self._outcome.retry_after)


class CredentialVerifyApi(APIView):
    """Verify a Verifiable Credential: proof, issuer key, status list and validity period."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes = [VerificationApiThrottle]

    @extend_schema(
        operation_id="credentials_verify",
        tags=["verification"],
        request=VerifyCredentialInputSerializer,
        responses={
            200: VerifyCredentialOutputSerializer,
            400: OpenApiResponse(description="Malformed JSON or no verifiableCredential (problem JSON)."),
            413: OpenApiResponse(description="Larger than the upload limit (problem JSON)."),
            429: OpenApiResponse(description="Too many requests from this client (problem JSON)."),
        },
        examples=[
            OpenApiExample(
                "Revoked",
                response_only=True,
                value={
                    "verified": False,
                    "verdict": "revoked",
                    "checks": ["format", "contexts", "signature", "issuer_key", "validity_period"],
                    "warnings": [],
                    "errors": [
                        {
                            "type": "revoked",
                            "title": "Revocation and suspension",
                            "detail": "The issuer's status list says: revoked.",
                            "check": "status",
                        }
                    ],
                },
            )
        ],
        description=(
            "VC-API shaped. A credential that fails verification is still a 200 answer: `verified` is "
            "false, `verdict` says why in a word and `errors` in detail. Nothing is fetched from the "
            "network: only pinned JSON-LD contexts, did:key and this portal's did:web issuers are "
            "supported; other issuers give the verdict `unknown_issuer`."
        ),
    )
    def post(self, request):
        length = int(request.META.get("CONTENT_LENGTH") or 0)
        if length > upload_max_bytes():
            report = verification_too_large()
            verification_event_record(report=report, method=VerificationMethod.API)
            return Response(
                {
                    "type": "about:blank",
                    "title": "The credential is too large",
                    "status": 413,
                    "detail": report.checks[0].detail,
                },
                status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
                content_type="application/problem+json",
            )
        serializer = VerifyCredentialInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        report = verification_run_for_document(document=serializer.validated_data["verifiableCredential"])
        verification_event_record(report=report, method=VerificationMethod.API)
        return Response(VerifyCredentialOutputSerializer(report.as_vc_api()).data)
