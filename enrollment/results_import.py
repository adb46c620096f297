"""Results from a CSV file: reading it, and validating every row before anything is saved (no database).

The file has a header row with the columns email, assessment (its title or its position) and
score, and optionally reason (why a result is corrected); other columns are ignored, so a roster
export with scores filled in can be imported. UTF-8 with or without a byte-order mark, fields
separated by ";" or "," (or a tab), scores with a decimal point or a decimal comma and an optional
"%". The service in enrollment.services.results loads what the rows refer to and calls
results_rows_validate; any problem means nothing is imported.
"""
from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from mcportal.core.exceptions import FieldProblem, ValidationFailed

from .choices import EnrollmentStatus
from .completion import AssessmentRule, completion_evaluate
from .grading import percentage_format

MAX_IMPORT_BYTES = 5 * 1024 * 1024
MAX_IMPORT_ROWS = 20_000
DELIMITERS = (";", ",", "\t")
REQUIRED_COLUMNS = ("email", "assessment", "score")
COLUMN_ALIASES = {
    "email": "email", "e-mail": "email", "mail": "email", "email address": "email",
    "assessment": "assessment",
    "score": "score", "result": "score", "score (%)": "score",
    "reason": "reason",
}
# Statuses in which results may be recorded (completed learners: corrections that keep the pass).
RECORDABLE_STATUSES = frozenset({EnrollmentStatus.ACTIVE, EnrollmentStatus.COMPLETED})
SCORE_MIN, SCORE_MAX = Decimal("0"), Decimal("100")
SCORE_QUANTUM = Decimal("0.01")


@dataclass(frozen=True)
class CsvRow:
    """One data row as written in the file, with its line number."""

    line: int
    email: str
    assessment: str
    score: str
    reason: str = ""


@dataclass(frozen=True)
class RowProblem:
    """What is wrong with one row (line None: with the file as a whole)."""

    line: int | None
    column: str | None
    message: str
    code: str = "invalid"

    def as_dict(self) -> dict:
        return {"line": self.line, "column": self.column, "message": self.message, "code": self.code}


@dataclass
class ImportReport:
    """The outcome of an import: counts when it succeeded, each bad row when it did not."""

    rows: int = 0
    created: int = 0
    corrected: int = 0
    unchanged: int = 0
    completed: int = 0
    regraded: int = 0
    dry_run: bool = False
    problems: list[RowProblem] = field(default_factory=list)

    @property
    def is_accepted(self) -> bool:
        return not self.problems


class ResultsImportRejected(ValidationFailed):
    """Raised when any row is bad: nothing was imported; report.problems lists each row and why."""

    title = "The file was not imported"

    def __init__(self, report: ImportReport) -> None:
        super().__init__(
            ngettext(
                "%(count)d problem was found; nothing was imported.",
                "%(count)d problems were found; nothing was imported.",
                len(report.problems),
            ) % {"count": len(report.problems)},
            problems=[
                FieldProblem(
                    _("Line %(line)d: %(message)s") % {"line": p.line, "message": p.message}
                    if p.line is not None else p.message,
                    field=p.column,
                    code=p.code,
                )
                for p in report.problems
            ],
        )
        self.report = report


# ----------------------------------------------------------------------------- scores


def score_problem(score: Decimal) -> str | None:
    """Why a score cannot be recorded (not finite, outside 0–100, more than two decimals), or None."""
    if not isinstance(score, Decimal) or not score.is_finite():
        return _("The score must be a number.")
    if not SCORE_MIN <= score <= SCORE_MAX:
        return _("The score must be between 0 and 100.")
    if score != score.quantize(SCORE_QUANTUM):
        return _("The score may have at most two decimals.")
    return None


def score_parse(text: str) -> tuple[Decimal | None, str | None]:
    """Read '85', '85.5', '85,5' or '85,5 %' → (Decimal, None); anything else → (None, why)."""
    cleaned = text.strip().removesuffix("%").strip().replace(" ", "").replace("\u00a0", "")
    if not cleaned:
        return None, _("The score is missing.")
    if cleaned.count(",") == 1 and "." not in cleaned:
        cleaned = cleaned.replace(",", ".")
    try:
        score = Decimal(cleaned)
    except InvalidOperation:
        return None, _("“%(text)s” is not a number.") % {"text": text.strip()}
    problem = score_problem(score)
    return (None, problem) if problem else (score.quantize(SCORE_QUANTUM), None)


# ----------------------------------------------------------------------------- reading the file


def _decode(csv_file: bytes | str) -> tuple[str | None, RowProblem | None]:
    if isinstance(csv_file, str):
        return csv_file.removeprefix("\ufeff"), None
    if len(csv_file) > MAX_IMPORT_BYTES:
        return None, RowProblem(None, None, _("The file is larger than 5 MB; split it."), "too_large")
    try:
        return csv_file.decode("utf-8-sig"), None
    except UnicodeDecodeError as error:
        line = csv_file[: error.start].count(b"\n") + 1
        return None, RowProblem(
            line, None,
            _("The file is not UTF-8 text. Save it as “CSV UTF-8” and try again."),
            "encoding",
        )


def _delimiter(header_line: str) -> str:
    counts = {delimiter: header_line.count(delimiter) for delimiter in DELIMITERS}
    best = max(DELIMITERS, key=lambda delimiter: counts[delimiter])
    return best if counts[best] else ","


def results_csv_parse(csv_file: bytes | str) -> tuple[list[CsvRow], list[RowProblem]]:
    """Read the file into rows; problems with the file itself (encoding, header, size) come back instead.

    Blank lines are skipped; line numbers are those a spreadsheet shows (the header is line 1).
    """
    text, problem = _decode(csv_file)
    if problem:
        return [], [problem]
    if not text.strip():
        return [], [RowProblem(None, None, _("The file is empty."), "empty")]
    reader = csv.reader(io.StringIO(text, newline=None), delimiter=_delimiter(text.splitlines()[0]))
    rows: list[CsvRow] = []
    try:
        header = [COLUMN_ALIASES.get(name.strip().lower(), name.strip().lower()) for name in next(reader)]
        missing = [column for column in REQUIRED_COLUMNS if column not in header]
        if missing:
            return [], [RowProblem(
                1, None,
                _("The header must name the columns email, assessment and score; missing: %(columns)s.")
                % {"columns": ", ".join(missing)},
                "header",
            )]
        index = {column: header.index(column) for column in (*REQUIRED_COLUMNS, "reason") if column in header}
        for values in reader:
            if not any(value.strip() for value in values):
                continue
            if len(rows) == MAX_IMPORT_ROWS:
                return [], [RowProblem(None, None, _("The file has more than %(max)d rows; split it.")
                                       % {"max": MAX_IMPORT_ROWS}, "too_many_rows")]
            cell = {
                column: values[position].strip() if position < len(values) else ""
                for column, position in index.items()
            }
            rows.append(CsvRow(line=reader.line_num, email=cell["email"], assessment=cell["assessment"],
                               score=cell["score"], reason=cell.get("reason", "")))
    except csv.Error as error:
        return [], [RowProblem(reader.line_num, None, _("The file cannot be read as CSV: %(error)s")
                               % {"error": error}, "csv")]
    if not rows:
        return [], [RowProblem(None, None, _("The file has a header but no rows."), "empty")]
    return rows, []


# ----------------------------------------------------------------------------- validating rows


@dataclass(frozen=True)
class AssessmentRef:
    """An assessment of the run as rows may name it."""

    pk: int
    position: int
    title: str


@dataclass(frozen=True)
class EnrollmentRef:
    """A learner's enrolment in the run, as far as validation needs it."""

    pk: int
    status: str
    status_label: str


@dataclass(frozen=True)
class ImportContext:
    """Everything in the database the rows refer to, loaded by the service in a few queries."""

    assessments: list[AssessmentRef]
    learner_ids_by_email: Mapping[str, int]
    enrollments_by_learner: Mapping[int, EnrollmentRef]
    # enrollment id → {assessment id → score recorded now}
    existing_scores: Mapping[int, Mapping[int, Decimal]]
    rules: list[AssessmentRule]
    threshold: Decimal
    grading_scheme: str
    # enrollment id → assessments it is assessed on, in a run sold per unit; None when sold whole.
    assessment_scopes: Mapping[int, frozenset[int]] | None = None


@dataclass(frozen=True)
class PlannedResult:
    """A valid row, resolved: the result to record."""

    line: int
    enrollment_id: int
    assessment_id: int
    score: Decimal
    reason: str
    previous_score: Decimal | None

    @property
    def changes_anything(self) -> bool:
        return self.previous_score != self.score


def _assessment_lookup(assessments: list[AssessmentRef]):
    by_position = {assessment.position: assessment for assessment in assessments}
    by_title: dict[str, list[AssessmentRef]] = {}
    for assessment in assessments:
        by_title.setdefault(" ".join(assessment.title.lower().split()), []).append(assessment)

    def find(text: str) -> tuple[AssessmentRef | None, RowProblem | None]:
        if not text:
            return None, RowProblem(0, "assessment", _("The assessment is missing."), "required")
        matches = by_title.get(" ".join(text.lower().split()), [])
        if len(matches) == 1:
            return matches[0], None
        if len(matches) > 1:
            return None, RowProblem(0, "assessment", _(
                "Several assessments are called “%(title)s”; give the position instead."
            ) % {"title": text}, "ambiguous")
        if text.isdigit() and int(text) in by_position:
            return by_position[int(text)], None
        return None, RowProblem(0, "assessment", _(
            "This run has no assessment called “%(text)s” or at position %(text)s."
        ) % {"text": text}, "unknown_assessment")

    return find


def _at(problem: RowProblem, line: int) -> RowProblem:
    return RowProblem(line, problem.column, problem.message, problem.code)


def _validate_row(row: CsvRow, context: ImportContext, find_assessment) -> tuple[
    EnrollmentRef | None, AssessmentRef | None, Decimal | None, list[RowProblem]
]:
    problems: list[RowProblem] = []
    enrollment = None
    email = row.email.lower()
    if not email:
        problems.append(RowProblem(row.line, "email", _("The e-mail is missing."), "required"))
    elif email not in context.learner_ids_by_email:
        problems.append(RowProblem(row.line, "email", _("No account has the e-mail %(email)s.")
                                   % {"email": row.email}, "unknown_email"))
    else:
        enrollment = context.enrollments_by_learner.get(context.learner_ids_by_email[email])
        if enrollment is None:
            problems.append(RowProblem(row.line, "email", _("%(email)s is not enrolled in this run.")
                                       % {"email": row.email}, "not_enrolled"))
        elif enrollment.status not in RECORDABLE_STATUSES:
            problems.append(RowProblem(row.line, "email", _(
                "%(email)s's enrolment is “%(status)s”; results are recorded for active learners only."
            ) % {"email": row.email, "status": enrollment.status_label}, "not_active"))
            enrollment = None
    assessment, problem = find_assessment(row.assessment)
    if problem:
        problems.append(_at(problem, row.line))
    score, score_error = score_parse(row.score)
    if score_error:
        problems.append(RowProblem(row.line, "score", score_error, "invalid_score"))
    return enrollment, assessment, score, problems


def results_rows_validate(
    rows: list[CsvRow], context: ImportContext, *, reason: str = ""
) -> tuple[list[PlannedResult], list[RowProblem]]:
    """Check every row against the run; return the results to record, or every problem with its line.

    Besides each row on its own: a learner and assessment may appear once; a correction (a new
    score where one is recorded) needs a reason (the row's or the import's); and a completed
    learner must still pass with the new scores.
    """
    find_assessment = _assessment_lookup(context.assessments)
    planned: list[PlannedResult] = []
    problems: list[RowProblem] = []
    first_line: dict[tuple[int, int], int] = {}
    for row in rows:
        enrollment, assessment, score, row_problems = _validate_row(row, context, find_assessment)
        if enrollment and assessment:
            key = (enrollment.pk, assessment.pk)
            if key in first_line:
                row_problems.append(RowProblem(row.line, None, _(
                    "Line %(first)d already gives this learner a result in “%(title)s”."
                ) % {"first": first_line[key], "title": assessment.title}, "duplicate"))
            else:
                first_line[key] = row.line
            previous = context.existing_scores.get(enrollment.pk, {}).get(assessment.pk)
            row_reason = row.reason or reason
            if score is not None and previous is not None and previous != score and not row_reason.strip():
                row_problems.append(RowProblem(row.line, "reason", _(
                    "This learner already has %(previous)s in “%(title)s”; a correction needs a reason."
                ) % {"previous": percentage_format(previous), "title": assessment.title}, "reason_required"))
        if row_problems:
            problems.extend(row_problems)
            continue
        planned.append(PlannedResult(
            line=row.line, enrollment_id=enrollment.pk, assessment_id=assessment.pk, score=score,
            reason=(row.reason or reason).strip(), previous_score=previous,
        ))
    if not problems:
        problems.extend(_completions_kept(planned, context))
    return planned, problems


def _completions_kept(planned: list[PlannedResult], context: ImportContext) -> list[RowProblem]:
    """A problem on each row that would take a completed learner's pass away."""
    completed = {
        ref.pk for ref in context.enrollments_by_learner.values() if ref.status == EnrollmentStatus.COMPLETED
    }
    lines: dict[int, list[PlannedResult]] = {}
    for result in planned:
        if result.enrollment_id in completed and result.changes_anything:
            lines.setdefault(result.enrollment_id, []).append(result)
    problems = []
    for enrollment_id, results in lines.items():
        scores = dict(context.existing_scores.get(enrollment_id, {}))
        scores.update({result.assessment_id: result.score for result in results})
        outcome = completion_evaluate(
            rules=context.rules, scores=scores, threshold=context.threshold,
            grading_scheme=context.grading_scheme,
            assessed=None if context.assessment_scopes is None
            else context.assessment_scopes.get(enrollment_id, frozenset()),
        )
        if not outcome.passes:
            problems.extend(
                RowProblem(result.line, "score", _(
                    "This learner has completed the course; with this score they would no longer pass, "
                    "and a completion is never undone by a change of results."
                ), "would_undo_completion")
                for result in results
            )
    return problems
