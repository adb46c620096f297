"""Staff pages of credentials: a run's candidates and credentials, preview, issue, batches; one
credential's page with revoke / suspend / reinstate / reissue and rendering a failed PDF again;
learners' name-change requests.

Each view finds the run (or batch) among the user's institutions (else 404), checks
Capability.CREDENTIAL_ISSUE there (else 403), calls one service or selector and renders.
Refusals of the services come back as messages; nothing is saved when they refuse.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from courses.models import CourseRun
from courses.validation import course_publication_report
from credentials.choices import BatchItemStatus, CredentialStatus
from credentials.facts import credential_facts_build
from credentials.jsonld.documents import credential_document_build
from credentials.jsonld.loader import mcportal_context_url
from credentials.models import Credential, IssuanceBatch, NameChangeRequest
from credentials.selectors import (
    credential_audit_trail,
    credential_get_for_staff,
    name_change_request_get_for_staff,
    name_change_requests_for_credential,
    name_change_requests_pending,
)
from credentials.services.batches import (
    issuance_batch_create,
    issuance_batch_retry_failed,
    issuance_candidates,
)
from credentials.services.correction import name_change_request_approve, name_change_request_reject
from credentials.services.issuance import credential_issue, credential_reissue
from credentials.services.pdf import credential_pdf_render_again
from credentials.services.revocation import credential_reinstate, credential_revoke, credential_suspend
from enrollment.models import Enrollment
from enrollment.selectors import run_get_for_staff
from mcportal.core import clock
from mcportal.core.exceptions import ApplicationError
from mcportal.core.roles import (
    Capability,
    StaffAreaRequiredMixin,
    institutions_for_capability,
    user_has_capability,
)

from .staff_forms import (
    BatchCreateForm,
    CredentialReinstateForm,
    CredentialReissueForm,
    CredentialRevokeForm,
    CredentialSuspendForm,
    NameChangeDecisionForm,
    idempotency_key_new,
)

RECENT_BATCHES = 5


def run_url(run_id: int) -> str:
    return reverse("credentials_staff:run", kwargs={"run_id": run_id})


def batch_url(batch_id: int) -> str:
    return reverse("credentials_staff:batch", kwargs={"batch_id": batch_id})


def _credentials_of_run(run: CourseRun) -> QuerySet[Credential]:
    return (
        Credential.objects.filter(enrollment__run=run)
        .select_related("enrollment__learner")
        .order_by("-issued_at", "-pk")
    )


def _batch_get_for_staff(*, user, batch_id: int) -> IssuanceBatch | None:
    """The batch, if the user has any staff view of its institution (the capability is checked after)."""
    return (
        IssuanceBatch.objects.select_related("institution", "run__course__institution")
        .filter(
            pk=batch_id,
            institution__in=institutions_for_capability(user, Capability.COURSE_VIEW_DRAFTS),
        )
        .first()
    )


def _refusal_message(request: HttpRequest, error: ApplicationError) -> None:
    messages.error(request, error.message)
    for problem in error.problems:
        if problem.message != error.message:
            messages.error(request, problem.message)


class IssueAccessMixin(StaffAreaRequiredMixin):
    """Find the run or batch among the user's institutions (else 404); require CREDENTIAL_ISSUE (else 403)."""

    def get_run(self) -> CourseRun:
        run = run_get_for_staff(
            user=self.request.user, run_id=self.kwargs["run_id"], capability=Capability.COURSE_VIEW_DRAFTS
        )
        if run is None:
            raise Http404
        if not user_has_capability(self.request.user, Capability.CREDENTIAL_ISSUE, run.course.institution):
            raise PermissionDenied
        return run

    def get_candidate(self, run: CourseRun) -> Enrollment:
        """A completed enrolment of the run that holds no live credential (else 404)."""
        enrollment = (
            issuance_candidates(run=run)
            .select_related("run__course__institution")
            .filter(pk=self.kwargs["enrollment_id"])
            .first()
        )
        if enrollment is None:
            raise Http404
        return enrollment

    def get_batch(self) -> IssuanceBatch:
        batch = _batch_get_for_staff(user=self.request.user, batch_id=self.kwargs["batch_id"])
        if batch is None:
            raise Http404
        if not user_has_capability(self.request.user, Capability.CREDENTIAL_ISSUE, batch.institution):
            raise PermissionDenied
        return batch


class RunCredentialsView(IssueAccessMixin, View):
    """Who is waiting for a credential in the run, what was issued, and the recent batches."""

    def get(self, request: HttpRequest, run_id: int) -> HttpResponse:
        run = self.get_run()
        form = BatchCreateForm(initial={"idempotency_key": idempotency_key_new()})
        context = {
            "run": run,
            "course": run.course,
            "candidates": list(issuance_candidates(run=run)),
            "credentials": list(_credentials_of_run(run)),
            "batches": list(IssuanceBatch.objects.filter(run=run)[:RECENT_BATCHES]),
            "batch_form": form,
        }
        return render(request, "credentials/staff/run.html", context)


class CredentialPreviewView(IssueAccessMixin, View):
    """The document that would be issued to this enrolment, unsigned; nothing is saved."""

    def get(self, request: HttpRequest, run_id: int, enrollment_id: int) -> HttpResponse:
        run = self.get_run()
        enrollment = self.get_candidate(run)
        # The identifiers, the status entries and the proof are made when it is issued for real.
        facts = credential_facts_build(
            enrollment=enrollment,
            public_id=str(uuid.uuid4()),
            issued_at=clock.now().replace(microsecond=0),
            status_entries=[],
        )
        document = credential_document_build(
            facts, own_context_url=mcportal_context_url(settings.MCPORTAL_PUBLIC_URL)
        )
        context = {
            "run": run,
            "course": run.course,
            "enrollment": enrollment,
            "facts": facts,
            "document_json": json.dumps(document, ensure_ascii=False, indent=2),
            "problems": course_publication_report(run.course).problems,
        }
        return render(request, "credentials/staff/preview.html", context)


class CredentialIssueView(IssueAccessMixin, View):
    """POST: sign and store the credential of one completed enrolment."""

    http_method_names = ["post"]

    def post(self, request: HttpRequest, run_id: int, enrollment_id: int) -> HttpResponse:
        run = self.get_run()
        enrollment = self.get_candidate(run)
        try:
            outcome = credential_issue(enrollment=enrollment, actor=request.user)
        except ApplicationError as error:
            _refusal_message(request, error)
            return HttpResponseRedirect(run_url(run.pk))
        credential = outcome.credential
        if outcome.created:
            messages.success(
                request,
                _("Credential issued to %(name)s; its verification code is %(code)s.")
                % {"name": credential.learner_name, "code": credential.verification_code},
            )
        else:
            messages.info(
                request,
                _("%(name)s already holds this credential (code %(code)s); nothing was issued.")
                % {"name": credential.learner_name, "code": credential.verification_code},
            )
        return HttpResponseRedirect(run_url(run.pk))


class BatchCreateView(IssueAccessMixin, View):
    """POST "Issue all": one batch for every candidate of the run; the same key returns the same batch."""

    http_method_names = ["post"]

    def post(self, request: HttpRequest, run_id: int) -> HttpResponse:
        run = self.get_run()
        form = BatchCreateForm(request.POST)
        if not form.is_valid():
            for error in form.errors.get("idempotency_key", []):
                messages.error(request, error)
            return HttpResponseRedirect(run_url(run.pk))
        try:
            batch = issuance_batch_create(
                run=run, actor=request.user, idempotency_key=form.cleaned_data["idempotency_key"]
            )
        except ApplicationError as error:
            _refusal_message(request, error)
            return HttpResponseRedirect(run_url(run.pk))
        return HttpResponseRedirect(batch_url(batch.pk))


class BatchDetailView(IssueAccessMixin, View):
    """A batch's progress (live with JavaScript, refreshable without), its failures and a retry."""

    def get(self, request: HttpRequest, batch_id: int) -> HttpResponse:
        batch = self.get_batch()
        failed = batch.items.filter(status=BatchItemStatus.FAILED).select_related("enrollment__learner")
        context = {
            "batch": batch,
            "run": batch.run,
            "course": batch.run.course,
            "failed_items": list(failed),
        }
        return render(request, "credentials/staff/batch.html", context)


def batch_progress_payload(batch: IssuanceBatch) -> dict:
    """What the batch page's script shows: counts, percentage and status (code and label)."""
    return {
        "status": batch.status,
        "status_label": str(batch.get_status_display()),
        "total": batch.total,
        "issued": batch.issued_count,
        "skipped": batch.skipped_count,
        "failed": batch.failed_count,
        "processed": batch.processed,
        "percent": batch.progress_percent,
        "finished": batch.finished_at is not None,
    }


class BatchProgressView(IssueAccessMixin, View):
    """GET progress.json: the batch's counters, polled every second by static/js/batch_progress.js."""

    def get(self, request: HttpRequest, batch_id: int) -> HttpResponse:
        response = JsonResponse(batch_progress_payload(self.get_batch()))
        response["Cache-Control"] = "no-store"
        return response


class BatchRetryView(IssueAccessMixin, View):
    """POST: put the batch's failed items back in the queue."""

    http_method_names = ["post"]

    def post(self, request: HttpRequest, batch_id: int) -> HttpResponse:
        batch = self.get_batch()
        try:
            issuance_batch_retry_failed(batch=batch, actor=request.user)
        except ApplicationError as error:
            _refusal_message(request, error)
        else:
            messages.success(request, _("The failed items are queued again."))
        return HttpResponseRedirect(batch_url(batch.pk))


# --- one credential: status, audit trail, revoke / suspend / reinstate / reissue, its PDF ------


def credential_url(public_id) -> str:
    return reverse("credentials_staff:credential", kwargs={"public_id": public_id})


class CredentialAccessMixin(StaffAreaRequiredMixin):
    """Find the credential among the user's institutions (else 404); require ``capability`` (else 403)."""

    capability = Capability.CREDENTIAL_REVOKE

    def get_credential(self) -> Credential:
        credential = credential_get_for_staff(
            public_id=self.kwargs["public_id"],
            institutions=institutions_for_capability(self.request.user, Capability.COURSE_VIEW_DRAFTS),
        )
        if credential is None:
            raise Http404
        if not user_has_capability(self.request.user, self.capability, credential.institution):
            raise PermissionDenied
        return credential


class CredentialDetailView(CredentialAccessMixin, View):
    """A credential's status, versions, name-change requests and audit trail, with the actions it allows."""

    def get(self, request: HttpRequest, public_id) -> HttpResponse:
        credential = self.get_credential()
        context = {
            "credential": credential,
            "run": credential.enrollment.run,
            "course": credential.enrollment.run.course,
            "audit_trail": list(credential_audit_trail(credential=credential)),
            "name_change_requests": list(name_change_requests_for_credential(credential=credential)),
            "actions": [
                action for action in CREDENTIAL_ACTIONS.values() if credential.status in action.allowed_from
            ],
            "may_render_pdf": user_has_capability(
                request.user, Capability.CREDENTIAL_ISSUE, credential.institution
            ),
        }
        return render(request, "credentials/staff/credential_detail.html", context)


@dataclass(frozen=True)
class CredentialAction:
    """One staff action on a credential: its form, page text, and the service it calls.

    The service is called with the credential, the acting user and the form's ``service_fields``
    as keyword arguments, so every action goes through the same path in CredentialActionView.
    """

    slug: str
    title: str
    explanation: str
    submit_label: str
    form_class: type
    allowed_from: frozenset
    service: Callable[..., Credential]
    service_fields: tuple[str, ...]
    success: str

    def perform(self, *, credential: Credential, data: dict, actor) -> Credential:
        return self.service(
            credential=credential, actor=actor, **{field: data[field] for field in self.service_fields}
        )


_IN_FORCE = frozenset({CredentialStatus.ISSUED, CredentialStatus.SUSPENDED})

CREDENTIAL_ACTIONS = {
    action.slug: action
    for action in [
        CredentialAction(
            slug="suspend",
            title=gettext_lazy("Suspend the credential"),
            explanation=gettext_lazy(
                "While suspended, the verification page, the status list and the API tell everyone that "
                "the credential is not in force. You can lift the suspension later."
            ),
            submit_label=gettext_lazy("Suspend"),
            form_class=CredentialSuspendForm,
            allowed_from=frozenset({CredentialStatus.ISSUED}),
            service=credential_suspend,
            service_fields=("reason", "note"),
            success=gettext_lazy("The credential is suspended and its holder was told."),
        ),
        CredentialAction(
            slug="reinstate",
            title=gettext_lazy("Lift the suspension"),
            explanation=gettext_lazy("The credential becomes valid again everywhere; its holder is told."),
            submit_label=gettext_lazy("Reinstate"),
            form_class=CredentialReinstateForm,
            allowed_from=frozenset({CredentialStatus.SUSPENDED}),
            service=credential_reinstate,
            service_fields=("note",),
            success=gettext_lazy("The credential is valid again and its holder was told."),
        ),
        CredentialAction(
            slug="reissue",
            title=gettext_lazy("Correct the credential (reissue)"),
            explanation=gettext_lazy(
                "A signed credential is never edited. A new version is signed from today's enrolment and "
                "course records, with the same name; this version is revoked as superseded and its page "
                "points to the new one."
            ),
            submit_label=gettext_lazy("Reissue"),
            form_class=CredentialReissueForm,
            allowed_from=_IN_FORCE,
            service=credential_reissue,
            service_fields=("note",),
            success=gettext_lazy("A corrected version was issued; the old one now points to it."),
        ),
        CredentialAction(
            slug="revoke",
            title=gettext_lazy("Revoke the credential"),
            explanation=gettext_lazy(
                "Revocation is permanent: the verification page, the status list and the API will say "
                "it is revoked, when and why. Its holder is told by e-mail."
            ),
            submit_label=gettext_lazy("Revoke for good"),
            form_class=CredentialRevokeForm,
            allowed_from=_IN_FORCE,
            service=credential_revoke,
            service_fields=("reason", "note"),
            success=gettext_lazy("The credential is revoked and its holder was told."),
        ),
    ]
}


class CredentialActionView(CredentialAccessMixin, View):
    """GET: the confirmation form with a mandatory reason; POST: call the action's service."""

    def _action(self) -> CredentialAction:
        action = CREDENTIAL_ACTIONS.get(self.kwargs["action"])
        if action is None:
            raise Http404
        return action

    def _render(self, request, credential, action, form, status=200) -> HttpResponse:
        context = {
            "credential": credential,
            "course": credential.enrollment.run.course,
            "action": action,
            "form": form,
        }
        return render(request, "credentials/staff/credential_action.html", context, status=status)

    def get(self, request: HttpRequest, public_id, action: str) -> HttpResponse:
        credential, chosen = self.get_credential(), self._action()
        return self._render(request, credential, chosen, chosen.form_class())

    def post(self, request: HttpRequest, public_id, action: str) -> HttpResponse:
        credential, chosen = self.get_credential(), self._action()
        form = chosen.form_class(request.POST)
        if not form.is_valid():
            return self._render(request, credential, chosen, form, status=400)
        try:
            result = chosen.perform(credential=credential, data=form.cleaned_data, actor=request.user)
        except ApplicationError as error:
            for problem in error.problems:
                if problem.field in form.fields:
                    form.add_error(problem.field, problem.message)
            form.add_error(None, error.message)
            return self._render(request, credential, chosen, form, status=error.status_code)
        messages.success(request, chosen.success)
        return HttpResponseRedirect(credential_url(result.public_id))


class CredentialPdfRenderView(CredentialAccessMixin, View):
    """POST "Render the PDF again": queue a failed PDF for rendering (the service refuses any other)."""

    http_method_names = ["post"]
    capability = Capability.CREDENTIAL_ISSUE

    def post(self, request: HttpRequest, public_id) -> HttpResponse:
        credential = self.get_credential()
        try:
            credential_pdf_render_again(credential=credential, actor=request.user)
        except ApplicationError as error:
            _refusal_message(request, error)
        else:
            messages.success(request, _("The PDF is queued for rendering; this page shows when it is ready."))
        return HttpResponseRedirect(credential_url(credential.public_id))


# --- name changes asked by learners ------------------------------------------------------------


class NameChangeListView(StaffAreaRequiredMixin, View):
    """Name changes waiting for a decision in the institutions where the user may correct credentials."""

    def get(self, request: HttpRequest) -> HttpResponse:
        institutions = institutions_for_capability(request.user, Capability.CREDENTIAL_REVOKE)
        pending = list(name_change_requests_pending(institutions=institutions))
        return render(request, "credentials/staff/name_changes.html", {"requests": pending})


class NameChangeDecideView(StaffAreaRequiredMixin, View):
    """Approve (reissue with the new name) or reject (with a reason) one name-change request."""

    def _request(self) -> NameChangeRequest:
        request = name_change_request_get_for_staff(
            request_id=self.kwargs["request_id"],
            institutions=institutions_for_capability(self.request.user, Capability.COURSE_VIEW_DRAFTS),
        )
        if request is None:
            raise Http404
        if not user_has_capability(
            self.request.user, Capability.CREDENTIAL_REVOKE, request.credential.institution
        ):
            raise PermissionDenied
        return request

    def _render(self, request, name_change, form, status=200) -> HttpResponse:
        context = {"name_change": name_change, "credential": name_change.credential, "form": form}
        return render(request, "credentials/staff/name_change_decide.html", context, status=status)

    def get(self, request: HttpRequest, request_id: int) -> HttpResponse:
        return self._render(request, self._request(), NameChangeDecisionForm())

    def post(self, request: HttpRequest, request_id: int) -> HttpResponse:
        name_change = self._request()
        form = NameChangeDecisionForm(request.POST)
        if not form.is_valid():
            return self._render(request, name_change, form, status=400)
        try:
            if form.cleaned_data["decision"] == NameChangeDecisionForm.APPROVE:
                decided = name_change_request_approve(
                    request=name_change, actor=request.user, note=form.cleaned_data["note"]
                )
                messages.success(
                    request,
                    _("Approved: the credential was reissued as %(code)s.")
                    % {"code": decided.new_credential.verification_code},
                )
            else:
                name_change_request_reject(
                    request=name_change, actor=request.user, reason=form.cleaned_data["note"]
                )
                messages.success(request, _("Rejected; the learner was told why."))
        except ApplicationError as error:
            form.add_error(None, error.message)
            return self._render(request, name_change, form, status=error.status_code)
        return HttpResponseRedirect(reverse("credentials_staff:name_changes"))
