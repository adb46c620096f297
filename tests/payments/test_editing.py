"""payments.services.editing: finance form values reach only the editable fields; changes are noted."""

from decimal import Decimal
from types import SimpleNamespace

from payments.services.editing import editable_fields_assign


def test_only_editable_fields_are_set_and_only_real_changes_are_reported():
    bundle = SimpleNamespace(name="Data", price_amount=Decimal("100.00"), institution="kept")

    changed = editable_fields_assign(
        instance=bundle,
        values={"name": "Data", "price_amount": Decimal("90.00"), "institution": "other"},
        editable=frozenset({"name", "price_amount"}),
    )

    assert changed == {"price_amount": "90.00"}
    assert bundle.price_amount == Decimal("90.00")
    assert bundle.institution == "kept"
