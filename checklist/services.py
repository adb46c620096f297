"""Writes of checklist: updating an institution's assessment of an activity (with history and
audit), evidence links and files, and publishing new versions of the checklist template."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from pathlib import PurePath

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import UploadedFile
from django.core.validators import URLValidator
from django.db import transaction
from django.utils.translation import gettext as _

from mcportal.core import clock
from mcportal.core.audit import audit_record
from mcportal.core.exceptions import ApplicationError, Conflict, FieldProblem, ProblemList, ValidationFailed
from mcportal.core.models import Institution, User

from .choices import TRACKED_FIELDS, ActivityStatus, EvidenceKind
from .models import (
    ActivityAssessment,
    ActivityChange,
    ChecklistActivity,
    ChecklistArea,
    ChecklistTemplate,
    Evidence,
)
from .selectors import (
    assessment_permissions_for_user,
    member_is_responsible_candidate,
    template_activity_get,
    template_get_current,
)

MAX_EVIDENCE_BYTES = 10 * 1024 * 1024
# Extension → (media type, how the file must start). Office formats are ZIP containers.
EVIDENCE_TYPES: dict[str, tuple[str, tuple[bytes, ...]]] = {
    ".pdf": ("application/pdf", (b"%PDF-",)),
    ".png": ("image/png", (b"\x89PNG\r\n\x1a\n",)),
    ".jpg": ("image/jpeg", (b"\xff\xd8\xff",)),
    ".jpeg": ("image/jpeg", (b"\xff\xd8\xff",)),
    ".docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", (b"PK\x03\x04",)),
    ".xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", (b"PK\x03\x04",)),
    ".odt": ("application/vnd.oasis.opendocument.text", (b"PK\x03\x04",)),
    ".csv": ("text/csv", ()),
}


class ChecklistPermissionDenied(ApplicationError):
    status_code = 403
    title = "You do not have permission to do this"


@dataclass(frozen=True)
class _Locked:
    assessment: ActivityAssessment
    activity: ChecklistActivity
    template: ChecklistTemplate


def _activity_or_refuse(key: str) -> tuple[ChecklistTemplate, ChecklistActivity]:
    template = template_get_current()
    activity = template_activity_get(template=template, key=key)
    if activity is None:
        raise ValidationFailed(
            _("The checklist has no activity “%(key)s”.") % {"key": key},
            problems=[FieldProblem(_("Unknown activity."), field="activity")],
        )
    return template, activity


def _assessment_locked(*, institution: Institution, key: str) -> _Locked:
    """Lock (creating if needed) the institution's assessment of the activity.

    get_or_create is backed by the (institution, activity_key) unique constraint, so two first
    edits at once end with one row; the row lock then serialises the read-modify-write.
    """
    template, activity = _activity_or_refuse(key)
    ActivityAssessment.objects.get_or_create(institution=institution, activity_key=key)
    assessment = ActivityAssessment.objects.select_for_update(no_key=True).get(
        institution=institution, activity_key=key
    )
    return _Locked(assessment=assessment, activity=activity, template=template)


def _display(field_name: str, value) -> str:
    if value is None or value == "":
        return ""
    if field_name == "status":
        return str(ActivityStatus(value).label)
    if field_name == "responsible":
        return str(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def _record_change(*, locked: _Locked, field_name: str, old: str, new: str, actor, at: dt.datetime):
    ActivityChange.objects.create(
        assessment=locked.assessment,
        template_version=locked.template.version,
        field=field_name,
        old_value=old,
        new_value=new,
        actor=actor,
        changed_at=at,
    )


_UNSET = object()


@transaction.atomic
def assessment_update(
    *,
    institution: Institution,
    activity_key: str,
    actor: User,
    status: str | object = _UNSET,
    responsible: User | None | object = _UNSET,
    deadline: dt.date | None | object = _UNSET,
    remarks: str | object = _UNSET,
) -> ActivityAssessment:
    """Change the institution's answer for one activity: only the given fields, only those the
    actor may change. Records one history row per changed field and one audit event; a request
    that changes nothing writes nothing. Raises ChecklistPermissionDenied or ValidationFailed."""
    locked = _assessment_locked(institution=institution, key=activity_key)
    assessment = locked.assessment
    requested = {
        name: value
        for name, value in (
            ("status", status),
            ("responsible", responsible),
            ("deadline", deadline),
            ("remarks", remarks),
        )
        if value is not _UNSET
    }
    problems = ProblemList()
    if "status" in requested and requested["status"] not in ActivityStatus.values:
        problems.add(_("Choose one of the statuses."), field="status")
    if "remarks" in requested:
        requested["remarks"] = (requested["remarks"] or "").strip()
    new_responsible = requested.get("responsible")
    if new_responsible is not None and not member_is_responsible_candidate(
        institution=institution, user=new_responsible
    ):
        problems.add(
            _("The responsible person must be a member of %(name)s.") % {"name": institution},
            field="responsible",
        )
    if problems:
        raise ValidationFailed(_("The activity could not be updated."), problems=problems.items)

    changed = {
        name: value
        for name, value in requested.items()
        if _current(assessment, name) != _comparable(name, value)
    }
    permissions = assessment_permissions_for_user(user=actor, institution=institution, assessment=assessment)
    refused = sorted(set(changed) - permissions.fields)
    if refused:
        raise ChecklistPermissionDenied(
            _("You may not change %(fields)s of this activity.") % {"fields": ", ".join(refused)},
            problems=[
                FieldProblem(_("Not yours to change."), field=name, code="permission") for name in refused
            ],
        )
    if not changed:
        return assessment

    now = clock.now()
    audit_changes = {}
    for name in TRACKED_FIELDS:
        if name not in changed:
            continue
        old_display = _display(name, getattr(assessment, name))
        setattr(assessment, name, changed[name])
        new_display = _display(name, changed[name])
        _record_change(locked=locked, field_name=name, old=old_display, new=new_display, actor=actor, at=now)
        audit_changes[name] = {"old": old_display, "new": new_display}
    assessment.updated_by = actor
    assessment.save(update_fields=[*changed, "updated_by", "updated_at"])
    audit_record(
        actor=actor,
        action="checklist.activity_updated",
        target=assessment,
        institution=institution,
        data={"activity": activity_key, "changes": audit_changes},
    )
    return assessment


def _current(assessment: ActivityAssessment, name: str):
    if name == "responsible":
        return assessment.responsible_id
    return getattr(assessment, name)


def _comparable(name: str, value):
    if name == "responsible":
        return value.pk if value is not None else None
    return value


def _refuse_unless_evidence_allowed(
    *, actor, institution: Institution, assessment: ActivityAssessment
) -> None:
    permissions = assessment_permissions_for_user(user=actor, institution=institution, assessment=assessment)
    if not permissions.can_manage_evidence:
        raise ChecklistPermissionDenied(_("You may not add or remove evidence of this activity."))


def _title_or_problem(title: str, problems: ProblemList) -> str:
    title = (title or "").strip()
    if not title:
        problems.add(_("Give the evidence a title."), field="title")
    return title[:200]


@transaction.atomic
def evidence_link_add(
    *, institution: Institution, activity_key: str, actor: User, title: str, url: str
) -> Evidence:
    """Attach a link (http or https) as evidence; recorded in the history and audited."""
    problems = ProblemList()
    title = _title_or_problem(title, problems)
    url = (url or "").strip()
    try:
        URLValidator(schemes=["http", "https"])(url)
    except DjangoValidationError:
        problems.add(_("Enter a full web address starting with https:// or http://."), field="url")
    if problems:
        raise ValidationFailed(_("The link could not be added."), problems=problems.items)
    locked = _assessment_locked(institution=institution, key=activity_key)
    _refuse_unless_evidence_allowed(actor=actor, institution=institution, assessment=locked.assessment)
    evidence = Evidence.objects.create(
        assessment=locked.assessment, kind=EvidenceKind.LINK, title=title, url=url, added_by=actor
    )
    _evidence_recorded(locked=locked, evidence=evidence, actor=actor, added=True)
    return evidence


def evidence_upload_check(upload: UploadedFile) -> tuple[str, str]:
    """Return (extension, media type) of an acceptable upload, or raise ValidationFailed.

    The type is decided by the extension and confirmed by the file's first bytes, so a renamed
    executable is refused; the browser's declared content type is not trusted.
    """
    name = PurePath(upload.name or "").name
    extension = PurePath(name).suffix.lower()
    if extension not in EVIDENCE_TYPES:
        raise ValidationFailed(
            _("Upload a PDF, PNG, JPEG, DOCX, XLSX, ODT or CSV file."),
            problems=[FieldProblem(_("This type of file is not accepted."), field="file", code="file_type")],
        )
    if upload.size is None or upload.size > MAX_EVIDENCE_BYTES:
        raise ValidationFailed(
            _("The file is larger than %(size)s MB.") % {"size": MAX_EVIDENCE_BYTES // (1024 * 1024)},
            problems=[FieldProblem(_("The file is too large."), field="file", code="file_size")],
        )
    if upload.size == 0:
        raise ValidationFailed(
            _("The file is empty."),
            problems=[FieldProblem(_("The file is empty."), field="file", code="file_empty")],
        )
    media_type, signatures = EVIDENCE_TYPES[extension]
    upload.seek(0)
    head = upload.read(2048)
    upload.seek(0)
    if signatures and not head.startswith(signatures):
        raise ValidationFailed(
            _("The file's content is not a %(extension)s file.") % {"extension": extension[1:].upper()},
            problems=[
                FieldProblem(_("The content does not match the extension."), field="file", code="file_type")
            ],
        )
    if extension == ".csv" and b"\x00" in head:
        raise ValidationFailed(
            _("The file's content is not a CSV file."),
            problems=[
                FieldProblem(_("The content does not match the extension."), field="file", code="file_type")
            ],
        )
    return extension, media_type


def evidence_file_add(
    *, institution: Institution, activity_key: str, actor: User, title: str, upload: UploadedFile
) -> Evidence:
    """Store an uploaded file (type- and size-checked) as evidence under a random name in the
    default storage, then record it (history and audit) in one transaction. If recording fails,
    the stored file is deleted again, so no orphan file and no half-saved evidence remain."""
    problems = ProblemList()
    title = _title_or_problem(title, problems)
    if problems:
        raise ValidationFailed(_("The file could not be added."), problems=problems.items)
    extension, media_type = evidence_upload_check(upload)
    _activity_or_refuse(activity_key)
    existing = ActivityAssessment.objects.filter(institution=institution, activity_key=activity_key).first()
    # Checked before writing the file too (and again under the lock), so a refused upload
    # never touches the storage.
    _refuse_unless_evidence_allowed(actor=actor, institution=institution, assessment=existing)
    stored_name = default_storage.save(
        f"checklist/evidence/{institution.pk}/{clock.now():%Y/%m}/{uuid.uuid4().hex}{extension}", upload
    )
    try:
        return _evidence_file_record(
            institution=institution,
            activity_key=activity_key,
            actor=actor,
            title=title,
            stored_name=stored_name,
            original_name=PurePath(upload.name).name[:255],
            media_type=media_type,
            size=upload.size,
        )
    except BaseException:
        default_storage.delete(stored_name)
        raise


@transaction.atomic
def _evidence_file_record(
    *, institution, activity_key, actor, title, stored_name, original_name, media_type, size
) -> Evidence:
    locked = _assessment_locked(institution=institution, key=activity_key)
    _refuse_unless_evidence_allowed(actor=actor, institution=institution, assessment=locked.assessment)
    evidence = Evidence.objects.create(
        assessment=locked.assessment,
        kind=EvidenceKind.FILE,
        title=title,
        file=stored_name,
        original_name=original_name,
        media_type=media_type,
        size=size,
        added_by=actor,
    )
    _evidence_recorded(locked=locked, evidence=evidence, actor=actor, added=True)
    return evidence


def _evidence_recorded(*, locked: _Locked, evidence: Evidence, actor, added: bool) -> None:
    label = f"{evidence.title} ({evidence.original_name or evidence.url})"
    _record_change(
        locked=locked,
        field_name="evidence",
        old="" if added else label,
        new=label if added else "",
        actor=actor,
        at=clock.now(),
    )
    audit_record(
        actor=actor,
        action="checklist.evidence_added" if added else "checklist.evidence_removed",
        target=locked.assessment,
        institution=locked.assessment.institution,
        data={"activity": locked.assessment.activity_key, "evidence": label, "kind": evidence.kind},
    )


@transaction.atomic
def evidence_remove(*, evidence: Evidence, actor: User) -> None:
    """Remove an evidence item (recorded in the history and audited); its file is deleted from
    the storage after the transaction commits."""
    assessment = evidence.assessment
    locked = _assessment_locked(institution=assessment.institution, key=assessment.activity_key)
    _refuse_unless_evidence_allowed(
        actor=actor, institution=assessment.institution, assessment=locked.assessment
    )
    stored_name = evidence.file.name if evidence.kind == EvidenceKind.FILE else ""
    _evidence_recorded(locked=locked, evidence=evidence, actor=actor, added=False)
    evidence.delete()
    if stored_name:
        transaction.on_commit(lambda: default_storage.delete(stored_name))


@transaction.atomic
def checklist_template_draft_create(*, source: ChecklistTemplate, actor: User) -> ChecklistTemplate:
    """Copy a version (areas and activities, keys kept) into a new unpublished draft to edit."""
    last = ChecklistTemplate.objects.select_for_update().order_by("-version").first()
    draft = ChecklistTemplate.objects.create(
        version=(last.version if last else 0) + 1,
        title=source.title,
        source=source.source,
        change_note="",
    )
    for area in source.areas.order_by("position"):
        copy = ChecklistArea.objects.create(
            template=draft,
            position=area.position,
            key=area.key,
            title=area.title,
            description=area.description,
        )
        for activity in area.activities.order_by("position"):
            ChecklistActivity.objects.create(
                area=copy,
                position=activity.position,
                key=activity.key,
                title=activity.title,
                task_description=activity.task_description,
                guiding_questions=activity.guiding_questions,
            )
    audit_record(
        actor=actor,
        action="checklist.template_draft_created",
        target=draft,
        data={"from_version": source.version, "version": draft.version},
    )
    return draft


@transaction.atomic
def checklist_template_publish(*, template: ChecklistTemplate, actor: User) -> ChecklistTemplate:
    """Make a draft the current checklist. Assessments are keyed by activity key, so they carry
    over to activities that kept their key; history rows keep the version they were made under."""
    template = ChecklistTemplate.objects.select_for_update().get(pk=template.pk)
    if not template.is_draft:
        raise Conflict(_("Version %(version)s is already published.") % {"version": template.version})
    if not template.activities.exists():
        raise ValidationFailed(_("A checklist version needs at least one activity."))
    previous = ChecklistTemplate.objects.select_for_update().filter(is_current=True).first()
    if previous is not None:
        previous.is_current = False
        previous.save(update_fields=["is_current", "updated_at"])
    template.published_at = clock.now()
    template.is_current = True
    template.save(update_fields=["published_at", "is_current", "updated_at"])
    audit_record(
        actor=actor,
        action="checklist.template_published",
        target=template,
        data={"version": template.version, "previous_version": previous.version if previous else None},
    )
    return template
