"""Turn every API error into application/problem+json (RFC 9457) with field-level errors."""
from __future__ import annotations

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import exceptions as drf_exceptions
from rest_framework.response import Response
from rest_framework.views import exception_handler

from mcportal.core.exceptions import ApplicationError

PROBLEM_CONTENT_TYPE = "application/problem+json"


def _flatten(detail, prefix: str | None = None) -> list[dict]:
    """Turn DRF's nested error detail into a flat list of {field, message, code}."""
    if isinstance(detail, dict):
        errors = []
        for key, value in detail.items():
            name = None if key in ("non_field_errors", "__all__") else key
            field = f"{prefix}.{name}" if prefix and name else (name or prefix)
            errors.extend(_flatten(value, field))
        return errors
    if isinstance(detail, list):
        errors = []
        for index, item in enumerate(detail):
            if isinstance(item, dict):
                errors.extend(_flatten(item, f"{prefix}[{index}]" if prefix else str(index)))
            else:
                errors.extend(_flatten(item, prefix))
        return errors
    return [{"field": prefix, "message": str(detail), "code": getattr(detail, "code", "invalid")}]


def problem_response(*, status: int, title: str, detail: str = "", errors=None, headers=None):
    body = {"type": "about:blank", "title": title, "status": status}
    if detail:
        body["detail"] = detail
    if errors:
        body["errors"] = errors
    response = Response(body, status=status, headers=headers)
    response.content_type = PROBLEM_CONTENT_TYPE
    return response


def problem_exception_handler(exc, context):
    """DRF EXCEPTION_HANDLER: domain, validation, permission and 404 errors as problem JSON."""
    if isinstance(exc, ApplicationError):
        return problem_response(
            status=exc.status_code,
            title=exc.title,
            detail=exc.message,
            errors=[problem.as_dict() for problem in exc.problems] or None,
        )
    if isinstance(exc, DjangoValidationError):
        exc = drf_exceptions.ValidationError(
            exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        )
    elif isinstance(exc, Http404):
        exc = drf_exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = drf_exceptions.PermissionDenied()

    response = exception_handler(exc, context)
    if response is None:
        return None  # an unexpected error: Django's 500 handler answers (also as problem JSON)
    if isinstance(exc, drf_exceptions.ValidationError):
        return problem_response(
            status=response.status_code,
            title="The request contains invalid data",
            detail="See errors for each field.",
            errors=_flatten(exc.detail),
            headers=response.headers,
        )
    detail = exc.detail if isinstance(exc, drf_exceptions.APIException) else ""
    title = {
        401: "Authentication required",
        403: "You do not have permission to do this",
        404: "Not found",
        405: "Method not allowed",
        406: "Not acceptable",
        415: "Unsupported media type",
        429: "Too many requests",
    }.get(response.status_code, "The request could not be completed")
    return problem_response(
        status=response.status_code, title=title, detail=str(detail), headers=response.headers
    )
