"""Public verification pages, no account needed: /v/<code> (from the QR code), its JSON twin,
the JSON download, and /verify/ (upload or paste a credential). All are rate-limited per client."""
from __future__ import annotations

import functools

from django.core.exceptions import ObjectDoesNotExist
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_http_methods, require_safe

from credentials.selectors import credential_get_by_verification_code

from .forms import VerifyFileForm
from .models import VerificationMethod
from .ratelimit import rate_limit_hit
from .services import (
    upload_max_bytes,
    verification_event_record,
    verification_run_for_credential,
    verification_run_for_upload,
    verification_too_large,
)


def rate_limited(scope: str):
    """Answer 429 (a friendly page, or problem JSON for JSON URLs) when the client is over its limit."""

    def decorate(view):
        @functools.wraps(view)
        def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            outcome = rate_limit_hit(request=request, scope=scope)
            if not outcome.exceeded:
                return view(request, *args, **kwargs)
            if request.path.endswith(".json"):
                response = JsonResponse(
                    {
                        "type": "about:blank",
                        "title": "Too many requests",
                        "status": 429,
                        "detail": f"Try again in {outcome.retry_after} seconds.",
                    },
                    status=429,
                    content_type="application/problem+json",
                )
            else:
                context = {"retry_after": outcome.retry_after}
                response = render(request, "verification/rate_limited.html", context, status=429)
            response["Retry-After"] = str(outcome.retry_after)
            return response

        return wrapped

    return decorate


def _credential_or_404(code: str):
    credential = credential_get_by_verification_code(code=code)
    if credential is None:
        raise Http404("No credential has this verification code.")
    return credential


def _lineage(credential) -> dict:
    """The versions around this one: the one it replaces and the one that replaces it."""
    try:
        replaced_by = credential.replaced_by
    except ObjectDoesNotExist:
        replaced_by = None
    return {"replaces": credential.replaces, "replaced_by": replaced_by}


@require_safe
@rate_limited("page")
def credential_page(request: HttpRequest, code: str) -> HttpResponse:
    """The verdict, every check in plain words, and every element the credential certifies."""
    credential = _credential_or_404(code)
    report = verification_run_for_credential(credential=credential)
    verification_event_record(report=report, method=VerificationMethod.PAGE)
    return render(
        request,
        "verification/credential.html",
        {"credential": credential, "report": report, "facts": credential.facts, **_lineage(credential)},
    )


@require_safe
@rate_limited("page")
def credential_report_json(request: HttpRequest, code: str) -> JsonResponse:
    """The machine-readable twin of the verification page."""
    credential = _credential_or_404(code)
    report = verification_run_for_credential(credential=credential)
    verification_event_record(report=report, method=VerificationMethod.PAGE)
    lineage = _lineage(credential)
    body = {
        "credential": credential.urn,
        "verification_code": credential.verification_code,
        **report.as_dict(),
        "status": credential.status,
        "status_changed_at": (
            credential.status_changed_at.isoformat() if credential.status_changed_at else None
        ),
        "revocation_reason": credential.revocation_reason or None,
        "valid_from": credential.valid_from.isoformat(),
        "valid_until": credential.valid_until.isoformat() if credential.valid_until else None,
        "current": lineage["replaced_by"] is None,
        "replaces": lineage["replaces"].verification_code if lineage["replaces"] else None,
        "replaced_by": lineage["replaced_by"].verification_code if lineage["replaced_by"] else None,
        "issuer": credential.facts.get("issuer", {}).get("name"),
        "facts": credential.facts,
    }
    return JsonResponse(body, json_dumps_params={"ensure_ascii": False})


@require_safe
@rate_limited("page")
def credential_download(request: HttpRequest, code: str) -> HttpResponse:
    """The signed JSON-LD exactly as issued."""
    credential = _credential_or_404(code)
    response = HttpResponse(credential.signed_document, content_type="application/ld+json; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="credential-{credential.verification_code}.json"'
    return response


@require_http_methods(["GET", "HEAD", "POST"])
@rate_limited("file")
def verify_file(request: HttpRequest) -> HttpResponse:
    """Upload a JSON-LD credential or a sealed PDF (or paste the JSON) and get a verdict."""
    max_bytes = upload_max_bytes()
    if request.method != "POST":
        return render(request, "verification/verify.html", {"form": VerifyFileForm(max_bytes=max_bytes)})
    form = VerifyFileForm(request.POST, request.FILES, max_bytes=max_bytes)
    if not form.is_valid():
        return render(request, "verification/verify.html", {"form": form}, status=400)
    if form.too_large:
        report = verification_too_large()
        status = 413
    else:
        report = verification_run_for_upload(data=form.read())
        status = 200
    verification_event_record(report=report, method=VerificationMethod.FILE)
    context = {"form": VerifyFileForm(max_bytes=max_bytes), "report": report}
    if report.credential is not None:
        context.update(_lineage(report.credential))
    return render(request, "verification/verify.html", context, status=status)
