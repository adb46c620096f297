"""Public verification pages: /v/<code> (from the QR code), its JSON twin and the JSON download."""
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from credentials.selectors import credential_get_by_verification_code

from .services import verification_run_for_credential


def _credential_or_404(code: str):
    credential = credential_get_by_verification_code(code=code)
    if credential is None:
        raise Http404("No credential has this verification code.")
    return credential


@require_safe
def credential_page(request: HttpRequest, code: str) -> HttpResponse:
    """The verdict, every check in plain words, and every element the credential certifies."""
    credential = _credential_or_404(code)
    report = verification_run_for_credential(credential=credential)
    return render(
        request,
        "verification/credential.html",
        {"credential": credential, "report": report, "facts": credential.facts},
    )


@require_safe
def credential_report_json(request: HttpRequest, code: str) -> JsonResponse:
    """The machine-readable twin of the verification page."""
    credential = _credential_or_404(code)
    report = verification_run_for_credential(credential=credential)
    return JsonResponse({"credential": credential.urn, **report.as_dict()})


@require_safe
def credential_download(request: HttpRequest, code: str) -> HttpResponse:
    """The signed JSON-LD exactly as issued."""
    credential = _credential_or_404(code)
    response = HttpResponse(credential.signed_document, content_type="application/ld+json; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="credential-{credential.verification_code}.json"'
    return response
