"""Staff pages of credential issuance: a run's candidates and credentials, preview, issue, batches.

Each view finds the run (or batch) among the user's institutions (else 404), checks
Capability.CREDENTIAL_ISSUE there (else 403), calls one service or selector and renders.
Refusals of the services come back as messages; nothing is saved when they refuse.
"""

from __future__ import annotations

import json
import uuid

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views import View

from courses.models import CourseRun
from courses.validation import course_publication_report
from credentials.choices import BatchItemStatus
from credentials.facts import credential_facts_build
from credentials.jsonld.documents import credential_document_build
from credentials.jsonld.loader import mcportal_context_url
from credentials.models import Credential, IssuanceBatch
from credentials.services.batches import (
    issuance_batch_create,
    issuance_batch_retry_failed,
    issuance_candidates,
)
from credentials.services.issuance import credential_issue
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

from .staff_forms import BatchCreateForm, idempotency_key_new

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
