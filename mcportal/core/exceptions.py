"""Domain errors raised by services; the HTTP layers map them to problem JSON, form errors or pages."""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class FieldProblem:
    """One thing wrong with the input, tied to a field where there is one."""

    message: str
    field: str | None = None
    code: str = "invalid"

    def as_dict(self) -> dict:
        return {"field": self.field, "message": self.message, "code": self.code}


class ApplicationError(Exception):
    """A request that the domain refuses, with a message a person can act on."""

    status_code = 400
    title = "The request could not be completed"

    def __init__(self, message: str, *, problems: list[FieldProblem] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.problems = list(problems or [])


class ValidationFailed(ApplicationError):
    status_code = 422
    title = "Some information is missing or inconsistent"


class InvalidTransition(ApplicationError):
    status_code = 409
    title = "This change of state is not allowed"

    def __init__(self, current: str, target: str, *, entity: str = "object") -> None:
        super().__init__(f"A {entity} cannot go from '{current}' to '{target}'.")
        self.current = current
        self.target = target


class Conflict(ApplicationError):
    status_code = 409
    title = "The request conflicts with the current state"


@dataclass
class ProblemList:
    """Accumulates problems so that a caller learns everything wrong at once."""

    items: list[FieldProblem] = field(default_factory=list)

    def add(self, message: str, *, field: str | None = None, code: str = "invalid") -> None:
        self.items.append(FieldProblem(message=message, field=field, code=code))

    def __bool__(self) -> bool:
        return bool(self.items)
