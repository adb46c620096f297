"""The learner's credential pages: the list, and downloads of the signed JSON and the signed PDF.

A learner only ever reaches their own credentials; another learner's public id is a 404.
"""

from __future__ import annotations

from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views import View

from credentials.choices import PdfStatus
from credentials.models import Credential
from credentials.selectors import credential_get_for_learner, credential_list_for_learner


def _download_name(credential: Credential, extension: str) -> str:
    return f"credential-{credential.verification_code}.{extension}"


class OwnCredentialMixin(LoginRequiredMixin):
    """Fetch the logged-in learner's credential by its public id (else 404)."""

    def get_credential(self) -> Credential:
        credential = credential_get_for_learner(learner=self.request.user, public_id=self.kwargs["public_id"])
        if credential is None:
            raise Http404(_("You hold no credential with this identifier."))
        return credential


class CredentialListView(LoginRequiredMixin, View):
    """My credentials: title, institution, issue date, status and links to verify and download."""

    def get(self, request: HttpRequest) -> HttpResponse:
        credentials = list(credential_list_for_learner(learner=request.user).order_by("-issued_at", "-pk"))
        return render(request, "credentials/learner/list.html", {"credentials": credentials})


class CredentialJsonDownloadView(OwnCredentialMixin, View):
    """The signed JSON-LD exactly as it was signed (any re-serialisation would break the proof)."""

    def get(self, request: HttpRequest, public_id) -> HttpResponse:
        credential = self.get_credential()
        body = credential.signed_document.encode("utf-8")
        response = HttpResponse(body, content_type="application/ld+json")
        response["Content-Disposition"] = f'attachment; filename="{_download_name(credential, "json")}"'
        return response


class CredentialPdfDownloadView(OwnCredentialMixin, View):
    """The signed PDF, once it is ready (it is rendered after issue)."""

    def get(self, request: HttpRequest, public_id) -> HttpResponse:
        credential = self.get_credential()
        if credential.pdf_status != PdfStatus.READY or not credential.pdf:
            raise Http404(_("The PDF of this credential is being prepared; try again in a minute."))
        return FileResponse(
            credential.pdf.open("rb"),
            as_attachment=True,
            filename=_download_name(credential, "pdf"),
            content_type="application/pdf",
        )
