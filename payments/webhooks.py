"""Provider webhooks: verify the signature, claim the event id once, apply it, answer fast.

A bad signature is answered 400 and logged; a replay is answered 200 and changes nothing.
"""

from __future__ import annotations

import logging

from django.http import HttpRequest, JsonResponse
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.csrf import csrf_exempt

from mcportal.core.exceptions import ApplicationError

from .choices import ProviderName
from .providers import provider_get
from .providers.base import WebhookRejected
from .services import provider_event_apply

logger = logging.getLogger(__name__)


@method_decorator(csrf_exempt, name="dispatch")
class ProviderWebhookView(View):
    """POST from a payment provider; authenticity comes from its signature, not from a session."""

    http_method_names = ["post"]
    provider_name = ProviderName.STRIPE

    def post(self, request: HttpRequest) -> JsonResponse:
        provider = provider_get(self.provider_name)
        try:
            outcome = provider.parse_webhook(body=request.body, headers=request.headers)
        except WebhookRejected as error:
            logger.warning(
                "Rejected %s webhook from %s: %s",
                self.provider_name,
                request.META.get("REMOTE_ADDR", "?"),
                error,
            )
            return JsonResponse({"error": "invalid signature or payload"}, status=400)
        try:
            applied = provider_event_apply(outcome=outcome)
        except ApplicationError as error:
            # The event is authentic but our state refuses it (e.g. a success after a cancellation);
            # retrying would not help, so answer 200 and leave it to finance via the log.
            logger.error("%s event %s could not be applied: %s", self.provider_name, outcome.event_id, error)
            return JsonResponse({"received": True, "applied": False})
        return JsonResponse({"received": True, "applied": applied})
