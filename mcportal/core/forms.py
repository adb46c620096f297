"""Showing a service's refusal on a Django form: the one place pages turn FieldProblems into errors."""
from __future__ import annotations

from collections.abc import Iterable, Mapping

from django import forms

from mcportal.core.exceptions import ApplicationError, FieldProblem


def form_add_problems(
    form: forms.Form, problems: Iterable[FieldProblem], field_names: Mapping[str, str] | None = None
) -> None:
    """Put each problem on its form field (renamed by field_names), or on the form when it has none."""
    field_names = field_names or {}
    for problem in problems:
        name = field_names.get(problem.field or "", problem.field)
        form.add_error(name if name in form.fields else None, problem.message)


def form_add_service_error(form: forms.Form, error: ApplicationError) -> None:
    """Field problems on their fields; when none of them has a field here, the error's message on top."""
    placed = False
    for problem in error.problems:
        if problem.field and problem.field in form.fields:
            form.add_error(problem.field, problem.message)
            placed = True
    if not placed:
        form.add_error(None, error.message)
