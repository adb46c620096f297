"""The learner's credential pages: the list, downloads of the signed JSON and PDF, and name changes.

A learner only ever reaches their own credentials; another learner's public id is a 404.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views import View

from credentials.choices import NameChangeStatus, PdfStatus
from credentials.models import Credential
from credentials.selectors import (
    credential_get_for_learner,
    credential_list_for_learner,
    name_change_requests_for_credential,
)
from credentials.services.correction import name_change_request_create
from mcportal.core.exceptions import ApplicationError


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


class NameChangeForm(forms.Form):
    requested_name = forms.CharField(
        label=_("Your name as it should appear"),
        max_length=200,
        help_text=_("Exactly as on your identity document."),
    )
    explanation = forms.CharField(
        label=_("Why it changes"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_(
            "For example: marriage, a legal change of name, or a spelling mistake. Staff will read this."
        ),
    )


class NameChangeRequestView(OwnCredentialMixin, View):
    """Ask the issuer to correct the name on a credential; staff approve (reissue) or reject it."""

    def _render(self, request, credential, form, status=200) -> HttpResponse:
        requests = name_change_requests_for_credential(credential=credential)
        pending = requests.filter(status=NameChangeStatus.PENDING).first()
        context = {"credential": credential, "form": form, "pending": pending}
        return render(request, "credentials/learner/name_change.html", context, status=status)

    def get(self, request: HttpRequest, public_id) -> HttpResponse:
        credential = self.get_credential()
        return self._render(
            request, credential, NameChangeForm(initial={"requested_name": credential.learner_name})
        )

    def post(self, request: HttpRequest, public_id) -> HttpResponse:
        credential = self.get_credential()
        form = NameChangeForm(request.POST)
        if not form.is_valid():
            return self._render(request, credential, form, status=400)
        try:
            name_change_request_create(
                credential=credential,
                learner=request.user,
                requested_name=form.cleaned_data["requested_name"],
                explanation=form.cleaned_data["explanation"],
            )
        except ApplicationError as error:
            for problem in error.problems:
                form.add_error(problem.field if problem.field in form.fields else None, problem.message)
            if not error.problems:
                form.add_error(None, error.message)
            return self._render(request, credential, form, status=error.status_code)
        messages.success(request, _("Your request was sent. You will get an e-mail when it is decided."))
        return HttpResponseRedirect(reverse("credentials_learner:list"))
