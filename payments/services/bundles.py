"""Bundles: finance sets a flat fee for several purchasables sold together within a period."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from mcportal.core import clock
from mcportal.core.audit import audit_record
from mcportal.core.exceptions import Conflict, FieldProblem, ValidationFailed
from mcportal.core.models import Institution

from ..models import Bundle
from .authority import authority_require_finance
from .editing import editable_fields_assign

BUNDLE_EDITABLE_FIELDS = frozenset(
    {
        "name",
        "description",
        "price_amount",
        "currency",
        "purchasables",
        "valid_from",
        "valid_until",
        "is_active",
    }
)


def bundle_require_on_sale(*, bundle: Bundle) -> None:
    """Raise Conflict unless the bundle can be bought now (active and inside its sale period)."""
    now = clock.now()
    if not bundle.is_active or (bundle.valid_from and now < bundle.valid_from):
        raise Conflict(_("This bundle is not on sale."))
    if bundle.valid_until and now >= bundle.valid_until:
        raise Conflict(_("This bundle is no longer on sale."))


def _check(bundle: Bundle) -> None:
    problems = []
    if bundle.price_amount is None or bundle.price_amount < 0:
        problems.append(FieldProblem(_("Enter a price of 0 or more."), field="price_amount"))
    if len(bundle.purchasables) < 2:
        problems.append(FieldProblem(_("A bundle includes at least two courses."), field="purchasables"))
    if bundle.valid_from and bundle.valid_until and bundle.valid_until <= bundle.valid_from:
        problems.append(FieldProblem(_("The sale period must end after it starts."), field="valid_until"))
    if problems:
        raise ValidationFailed(_("The bundle cannot be saved as entered."), problems=problems)


@transaction.atomic
def bundle_create(*, institution: Institution, attributes: Mapping[str, Any], actor) -> Bundle:
    """Create a bundle (finance of the institution); audited as bundle.created."""
    authority_require_finance(actor, institution)
    bundle = Bundle(institution=institution)
    editable_fields_assign(instance=bundle, values=attributes, editable=BUNDLE_EDITABLE_FIELDS)
    _check(bundle)
    bundle.save()
    audit_record(
        actor=actor,
        action="bundle.created",
        target=bundle,
        institution=institution,
        data={"price": str(bundle.price_amount), "purchasables": bundle.purchasables},
    )
    return bundle


@transaction.atomic
def bundle_update(*, bundle: Bundle, changes: Mapping[str, Any], actor) -> Bundle:
    """Change a bundle (finance); orders already placed keep their price. Audited as bundle.updated."""
    bundle = Bundle.objects.select_for_update(no_key=True).select_related("institution").get(pk=bundle.pk)
    authority_require_finance(actor, bundle.institution)
    changed = editable_fields_assign(instance=bundle, values=changes, editable=BUNDLE_EDITABLE_FIELDS)
    _check(bundle)
    bundle.save()
    audit_record(
        actor=actor,
        action="bundle.updated",
        target=bundle,
        institution=bundle.institution,
        data={"changed": changed},
    )
    return bundle
