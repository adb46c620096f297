"""Final score → final grade in the course's grading scheme (pure functions, no database).

The grades are stored as these canonical strings on the enrolment and later printed on the
credential, so they are not translated here; pages translate their labels when they show them.

Banded schemes split the passing range [pass threshold, 100] into equal bands, so that a
threshold of 50 gives the familiar tables (ECTS: A ≥ 90, B ≥ 80, C ≥ 70, D ≥ 60, E ≥ 50;
1–5: 1 ≥ 87.5, 2 ≥ 75, 3 ≥ 62.5, 4 ≥ 50) and a stricter threshold narrows every band.
A learner who did not pass gets the failing grade whatever the score (a required assessment
can fail a learner with a high weighted score).
"""
from __future__ import annotations

from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal

from courses.choices import GradingScheme

SCORE_QUANTUM = Decimal("0.01")
HUNDRED = Decimal("100")

PASS_GRADE = "Pass"
FAIL_GRADE = "Fail"
# Best first; the last one is the failing grade.
ECTS_GRADES = ("A", "B", "C", "D", "E", "F")
NUMERIC_GRADES = ("1", "2", "3", "4", "5")

# A course that states no grading scheme is graded as a percentage: it says the most.
DEFAULT_SCHEME = GradingScheme.PERCENTAGE


def score_quantize(score: Decimal) -> Decimal:
    """Round a score to two decimals, half up (the precision stored and shown everywhere)."""
    return score.quantize(SCORE_QUANTUM, rounding=ROUND_HALF_UP)


def percentage_format(score: Decimal) -> str:
    """'87.5 %', '100 %', '0 %': the score without trailing zeros."""
    text = f"{score_quantize(score):.2f}".rstrip("0").rstrip(".")
    return f"{text} %"


def _band_floors(threshold: Decimal, passing_grades: int) -> list[Decimal]:
    """Lowest score of each passing band, best first; rounded up to a score that can be recorded."""
    width = (HUNDRED - threshold) / passing_grades
    return [
        (threshold + width * steps_above).quantize(SCORE_QUANTUM, rounding=ROUND_CEILING)
        for steps_above in range(passing_grades - 1, -1, -1)
    ]


def _banded(score: Decimal, threshold: Decimal, grades: tuple[str, ...]) -> str:
    """The passing grade whose band holds the score; grades[-1] is the failing grade."""
    passing = grades[:-1]
    for floor, grade in zip(_band_floors(threshold, len(passing)), passing, strict=True):
        if score >= floor:
            return grade
    # Only reached when a caller says "passed" for a score below the threshold.
    return passing[-1]


def grade_for(*, scheme: str, score: Decimal, passed: bool, threshold: Decimal) -> str:
    """The final grade for a final score in the scheme; a learner who did not pass gets its fail grade."""
    scheme = scheme or DEFAULT_SCHEME
    score = score_quantize(score)
    if scheme == GradingScheme.PERCENTAGE:
        return percentage_format(score)
    if scheme == GradingScheme.PASS_FAIL:
        return PASS_GRADE if passed else FAIL_GRADE
    if scheme == GradingScheme.ECTS_GRADES:
        return _banded(score, threshold, ECTS_GRADES) if passed else ECTS_GRADES[-1]
    if scheme == GradingScheme.NUMERIC_1_5:
        return _banded(score, threshold, NUMERIC_GRADES) if passed else NUMERIC_GRADES[-1]
    raise ValueError(f"Unknown grading scheme {scheme!r}.")


def grade_bands(*, scheme: str, threshold: Decimal) -> list[tuple[str, Decimal]]:
    """(grade, lowest score) of each passing grade, best first, to explain the scheme on pages."""
    scheme = scheme or DEFAULT_SCHEME
    if scheme == GradingScheme.PASS_FAIL:
        return [(PASS_GRADE, score_quantize(threshold))]
    grades = {GradingScheme.ECTS_GRADES: ECTS_GRADES, GradingScheme.NUMERIC_1_5: NUMERIC_GRADES}.get(scheme)
    if grades is None:
        return []
    passing = grades[:-1]
    return list(zip(passing, _band_floors(threshold, len(passing)), strict=True))
