"""Applying a finance form's values to a voucher or bundle: only the editable fields, changes noted."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def editable_fields_assign(
    *, instance: object, values: Mapping[str, Any], editable: frozenset[str]
) -> dict[str, str]:
    """Set each editable field given in ``values`` on ``instance`` (others are ignored, not refused).

    Returns the fields whose value changed, as text, for the audit record of an update.
    """
    changed = {}
    for name in editable & values.keys():
        if getattr(instance, name) != values[name]:
            changed[name] = str(values[name])
            setattr(instance, name, values[name])
    return changed
