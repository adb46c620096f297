"""Vouchers: finance creates and edits discount codes of their institution."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from mcportal.core.audit import audit_record
from mcportal.core.exceptions import FieldProblem, ValidationFailed
from mcportal.core.models import Institution

from ..choices import VoucherKind
from ..models import Voucher
from ..selectors import voucher_qs_for_update
from .authority import authority_require_finance
from .editing import editable_fields_assign

VOUCHER_EDITABLE_FIELDS = frozenset(
    {
        "code",
        "kind",
        "value",
        "currency",
        "max_uses",
        "valid_from",
        "valid_until",
        "purchasables",
        "is_active",
    }
)


def _check(voucher: Voucher) -> None:
    problems = []
    if voucher.kind == VoucherKind.PERCENT and not (0 < voucher.value <= 100):
        problems.append(FieldProblem(_("A percentage is more than 0 and at most 100."), field="value"))
    if voucher.kind == VoucherKind.AMOUNT and voucher.value <= 0:
        problems.append(FieldProblem(_("The amount must be more than 0."), field="value"))
    if voucher.valid_from and voucher.valid_until and voucher.valid_until <= voucher.valid_from:
        problems.append(FieldProblem(_("The voucher must end after it starts."), field="valid_until"))
    if voucher.max_uses is not None and voucher.max_uses < voucher.times_used:
        problems.append(
            FieldProblem(
                _("It was already used %(count)d times.") % {"count": voucher.times_used}, field="max_uses"
            )
        )
    if problems:
        raise ValidationFailed(_("The voucher cannot be saved as entered."), problems=problems)


def _save(voucher: Voucher) -> None:
    try:
        with transaction.atomic():
            voucher.save()
    except IntegrityError as error:
        raise ValidationFailed(
            _("This code is already in use."),
            problems=[
                FieldProblem(
                    _("Another voucher of this institution has this code."), field="code", code="duplicate"
                )
            ],
        ) from error


@transaction.atomic
def voucher_create(*, institution: Institution, attributes: Mapping[str, Any], actor) -> Voucher:
    """Create a voucher (finance of the institution); audited as voucher.created."""
    authority_require_finance(actor, institution)
    voucher = Voucher(institution=institution)
    editable_fields_assign(instance=voucher, values=attributes, editable=VOUCHER_EDITABLE_FIELDS)
    voucher.code = voucher.code.strip().upper()
    _check(voucher)
    _save(voucher)
    audit_record(
        actor=actor,
        action="voucher.created",
        target=voucher,
        institution=institution,
        data={"code": voucher.code, "kind": voucher.kind, "value": str(voucher.value)},
    )
    return voucher


@transaction.atomic
def voucher_update(*, voucher: Voucher, changes: Mapping[str, Any], actor) -> Voucher:
    """Change a voucher under its row lock (finance); audited as voucher.updated with the changed fields."""
    voucher = voucher_qs_for_update().select_related("institution").get(pk=voucher.pk)
    authority_require_finance(actor, voucher.institution)
    changed = editable_fields_assign(instance=voucher, values=changes, editable=VOUCHER_EDITABLE_FIELDS)
    voucher.code = voucher.code.strip().upper()
    _check(voucher)
    _save(voucher)
    audit_record(
        actor=actor,
        action="voucher.updated",
        target=voucher,
        institution=voucher.institution,
        data={"changed": changed},
    )
    return voucher
