"""Staff pages of the readiness checklist: dashboard, activity detail with its answer form and
evidence, evidence downloads, CSV and PDF exports, and the alliance comparison.

Each view resolves the institution among those whose checklist the user may read (else 404),
checks what the user may change (else 403), calls one service or selector and renders.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.views import View

from mcportal.core import clock
from mcportal.core.exceptions import ValidationFailed
from mcportal.core.forms import form_add_problems
from mcportal.core.models import Institution
from mcportal.core.roles import StaffAreaRequiredMixin

from . import selectors, services
from .exports import readiness_csv, readiness_pdf
from .forms import AssessmentForm, EvidenceFileForm, EvidenceLinkForm, ResponsibleFilterForm
from .services import ChecklistPermissionDenied

# Both evidence forms sit on the activity page and both have a "title": distinct ids keep every
# label pointing at its own field (the posted names stay the same).
LINK_FORM_IDS = "id_link_%s"
FILE_FORM_IDS = "id_file_%s"


def _activity_url(institution: Institution, key: str, anchor: str = "") -> str:
    url = reverse("checklist:activity", kwargs={"institution": institution.slug, "key": key})
    return f"{url}#{anchor}" if anchor else url


class ChecklistAccessMixin(StaffAreaRequiredMixin):
    """Find the institution among those whose checklist the user reads (else 404)."""

    def get_institution(self) -> Institution:
        institution = selectors.institution_get_for_checklist(
            user=self.request.user, slug=self.kwargs["institution"]
        )
        if institution is None:
            raise Http404
        return institution


class ChecklistIndexView(StaffAreaRequiredMixin, View):
    """Open the user's institution's dashboard directly, or let them choose among several."""

    template_name = "checklist/index.html"

    def get(self, request):
        institutions = list(selectors.institutions_for_checklist(user=request.user))
        alliances = list(selectors.alliances_for_user(user=request.user))
        if len(institutions) == 1 and not alliances:
            return HttpResponseRedirect(
                reverse("checklist:dashboard", kwargs={"institution": institutions[0].slug})
            )
        return render(request, self.template_name, {"institutions": institutions, "alliances": alliances})


def _responsible_filter(request, institution: Institution) -> tuple[ResponsibleFilterForm, object]:
    form = ResponsibleFilterForm(
        request.GET or None, people=selectors.responsible_candidates(institution=institution)
    )
    responsible = form.cleaned_data.get("responsible") if form.is_valid() else None
    return form, responsible


class DashboardView(ChecklistAccessMixin, View):
    template_name = "checklist/dashboard.html"

    def get(self, request, institution):
        institution = self.get_institution()
        filter_form, responsible = _responsible_filter(request, institution)
        readiness = selectors.readiness_get(institution=institution, responsible=responsible)
        return render(
            request,
            self.template_name,
            {
                "institution": institution,
                "readiness": readiness,
                "filter_form": filter_form,
                "alliances": selectors.alliances_for_user(user=request.user).filter(institutions=institution),
            },
        )


class ActivityView(ChecklistAccessMixin, View):
    """The activity with its guiding questions beside the answer form, evidence and history."""

    template_name = "checklist/activity.html"

    def _detail(self, institution):
        detail = selectors.activity_detail_get(
            user=self.request.user, institution=institution, key=self.kwargs["key"]
        )
        if detail is None:
            raise Http404
        return detail

    def _form(self, detail, data=None):
        assessment = detail.assessment
        initial = {
            "status": assessment.status if assessment else "not_started",
            "responsible": assessment.responsible_id if assessment else None,
            "deadline": assessment.deadline if assessment else None,
            "remarks": assessment.remarks if assessment else "",
        }
        return AssessmentForm(
            data,
            initial=initial,
            editable_fields=detail.permissions.fields,
            people=selectors.responsible_candidates(institution=detail.institution),
        )

    def _render(self, request, detail, form, link_form=None, file_form=None, status=200):
        return render(
            request,
            self.template_name,
            {
                "institution": detail.institution,
                "detail": detail,
                "form": form,
                "link_form": link_form or EvidenceLinkForm(auto_id=LINK_FORM_IDS),
                "file_form": file_form or EvidenceFileForm(auto_id=FILE_FORM_IDS),
            },
            status=status,
        )

    def get(self, request, institution, key):
        detail = self._detail(self.get_institution())
        return self._render(request, detail, self._form(detail))

    def post(self, request, institution, key):
        institution = self.get_institution()
        detail = self._detail(institution)
        if not detail.permissions.fields:
            raise PermissionDenied(_("You may not change this activity."))
        form = self._form(detail, request.POST)
        if form.is_valid():
            try:
                services.assessment_update(
                    institution=institution, activity_key=key, actor=request.user, **form.service_arguments()
                )
            except ChecklistPermissionDenied as error:
                raise PermissionDenied(error.message) from error
            except ValidationFailed as error:
                form_add_problems(form, error.problems)
            else:
                messages.success(request, _("The activity is updated."))
                return HttpResponseRedirect(_activity_url(institution, key))
        return self._render(request, detail, form, status=400)


class EvidenceAddView(ActivityView):
    """Add a link (kind=link) or a file (kind=file) as evidence."""

    def get(self, request, institution, key):
        return HttpResponseRedirect(_activity_url(self.get_institution(), key, "evidence"))

    def post(self, request, institution, key):
        institution = self.get_institution()
        detail = self._detail(institution)
        if not detail.permissions.can_manage_evidence:
            raise PermissionDenied(_("You may not add evidence to this activity."))
        link_form = file_form = None
        if request.POST.get("kind") == "file":
            form = file_form = EvidenceFileForm(request.POST, request.FILES, auto_id=FILE_FORM_IDS)
        else:
            form = link_form = EvidenceLinkForm(request.POST, auto_id=LINK_FORM_IDS)
        try:
            if form.is_valid():
                messages.success(request, self._evidence_add(institution, key, form))
                return HttpResponseRedirect(_activity_url(institution, key, "evidence"))
        except ChecklistPermissionDenied as error:
            raise PermissionDenied(error.message) from error
        except ValidationFailed as error:
            form_add_problems(form, error.problems or [])
            if not error.problems:
                form.add_error(None, error.message)
        return self._render(
            request, detail, self._form(detail), link_form=link_form, file_form=file_form, status=400
        )

    def _evidence_add(
        self, institution: Institution, key: str, form: EvidenceFileForm | EvidenceLinkForm
    ) -> str:
        """Record the valid form's file or link with its service; return the confirmation to show."""
        common = {
            "institution": institution,
            "activity_key": key,
            "actor": self.request.user,
            "title": form.cleaned_data["title"],
        }
        if isinstance(form, EvidenceFileForm):
            services.evidence_file_add(**common, upload=form.cleaned_data["file"])
            return _("The file is added as evidence.")
        services.evidence_link_add(**common, url=form.cleaned_data["url"])
        return _("The link is added as evidence.")


class EvidenceDownloadView(ChecklistAccessMixin, View):
    """Serve an evidence file to staff of the institution only (never from a public media URL)."""

    def get(self, request, institution, key, pk):
        institution = self.get_institution()
        evidence = selectors.evidence_get_for_user(
            user=request.user, institution=institution, key=key, evidence_id=pk
        )
        if evidence is None or not evidence.file:
            raise Http404
        response = FileResponse(
            evidence.file.open("rb"),
            as_attachment=True,
            filename=evidence.original_name or evidence.file.name.rsplit("/", 1)[-1],
            content_type=evidence.media_type or "application/octet-stream",
        )
        response["X-Content-Type-Options"] = "nosniff"
        response["Cache-Control"] = "private, no-store"
        return response


class EvidenceRemoveView(ChecklistAccessMixin, View):
    def post(self, request, institution, key, pk):
        institution = self.get_institution()
        evidence = selectors.evidence_get_for_user(
            user=request.user, institution=institution, key=key, evidence_id=pk
        )
        if evidence is None:
            raise Http404
        try:
            services.evidence_remove(evidence=evidence, actor=request.user)
        except ChecklistPermissionDenied as error:
            raise PermissionDenied(error.message) from error
        messages.success(request, _("The evidence is removed."))
        return HttpResponseRedirect(_activity_url(institution, key, "evidence"))


def _export_name(institution: Institution, extension: str) -> str:
    return f"readiness-{slugify(institution.short_name)}-{clock.today():%Y-%m-%d}.{extension}"


def _export_response(
    institution: Institution, *, content: bytes | str, content_type: str, extension: str
) -> HttpResponse:
    """The export as a download named after the institution and today's date."""
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{_export_name(institution, extension)}"'
    return response


class ExportCsvView(ChecklistAccessMixin, View):
    def get(self, request, institution):
        institution = self.get_institution()
        readiness = selectors.readiness_get(institution=institution)
        return _export_response(
            institution,
            content=readiness_csv(readiness=readiness),
            content_type="text/csv; charset=utf-8",
            extension="csv",
        )


class ExportPdfView(ChecklistAccessMixin, View):
    def get(self, request, institution):
        institution = self.get_institution()
        readiness = selectors.readiness_get(institution=institution)
        return _export_response(
            institution,
            content=readiness_pdf(readiness=readiness),
            content_type="application/pdf",
            extension="pdf",
        )


class AllianceView(StaffAreaRequiredMixin, View):
    template_name = "checklist/alliance.html"

    def get(self, request, alliance):
        found = selectors.alliance_get_for_user(user=request.user, slug=alliance)
        if found is None:
            raise Http404
        comparison = selectors.alliance_comparison_get(alliance=found)
        return render(request, self.template_name, {"comparison": comparison})
