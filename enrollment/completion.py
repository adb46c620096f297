"""The completion rules, as pure functions: who passes a run, with which score and grade, and why not.

A learner passes when
1. the weights of the run's assessments add up to exactly 100 (else nobody can pass yet),
2. every required assessment has a result at or above its pass mark, and
3. the weighted score — the sum of score × weight / 100 over all assessments, a missing result
   counting as 0 — rounded to two decimals, reaches the run's pass threshold.
The rounded score is the one compared, stored and shown, so what a learner reads explains the
outcome. Services apply these rules; pages call them to explain a status.

In a run sold per unit (pay-per-module), the learner buys units one by one, but the credential
still certifies the whole course: completion needs every required assessment of the run and the
score is always over the whole run's weights. `assessed` (the assessments of the units the learner
holds, of units that come with every purchase and of no unit) only changes why a missing result is
missing: a required assessment in a unit not bought yet says so, instead of "no result yet".
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal

from django.utils.translation import gettext

from .grading import HUNDRED, grade_for, percentage_format, score_quantize


@dataclass(frozen=True)
class AssessmentRule:
    """What completion needs to know about one assessment."""

    assessment_id: int
    title: str
    weight: Decimal
    pass_mark: Decimal
    is_required: bool

    @classmethod
    def of(cls, assessment) -> AssessmentRule:
        return cls(
            assessment_id=assessment.pk,
            title=assessment.title,
            weight=assessment.weight,
            pass_mark=assessment.pass_mark,
            is_required=assessment.is_required,
        )

    def is_passed_by(self, score: Decimal | None) -> bool:
        return score is not None and score >= self.pass_mark


@dataclass(frozen=True)
class CompletionOutcome:
    """The verdict for one learner, with every unmet rule as a sentence a person can read."""

    passes: bool
    final_score: Decimal
    final_grade: str
    weights_complete: bool
    unmet: tuple[str, ...]


def weights_total(rules: Iterable[AssessmentRule]) -> Decimal:
    """Sum of the weights of the run's assessments."""
    return sum((rule.weight for rule in rules), Decimal("0"))


def weighted_score(*, rules: Iterable[AssessmentRule], scores: Mapping[int, Decimal]) -> Decimal:
    """Σ score × weight / 100 over the assessments, a missing score counting as 0, rounded to 0.01."""
    total = sum(
        (scores[rule.assessment_id] * rule.weight for rule in rules if rule.assessment_id in scores),
        Decimal("0"),
    )
    return score_quantize(total / HUNDRED)


def completion_evaluate(
    *,
    rules: list[AssessmentRule],
    scores: Mapping[int, Decimal],
    threshold: Decimal,
    grading_scheme: str,
    assessed: frozenset[int] | None = None,
) -> CompletionOutcome:
    """Apply the completion rules to one learner's scores (assessment id → score).

    `assessed` names the assessments the learner can take today (pay-per-module); None means all.
    """
    unmet: list[str] = []
    total_weight = weights_total(rules)
    weights_complete = total_weight == HUNDRED
    if not weights_complete:
        unmet.append(
            gettext("The weights of the assessments add up to %(total)s, not 100.")
            % {"total": percentage_format(total_weight).removesuffix(" %")}
        )
    for rule in rules:
        if not rule.is_required or rule.is_passed_by(scores.get(rule.assessment_id)):
            continue
        score = scores.get(rule.assessment_id)
        if score is None and assessed is not None and rule.assessment_id not in assessed:
            unmet.append(
                gettext("“%(title)s” is required and belongs to a unit you have not bought yet.")
                % {"title": rule.title}
            )
        elif score is None:
            unmet.append(gettext("“%(title)s” is required and has no result yet.") % {"title": rule.title})
        else:
            unmet.append(
                gettext("“%(title)s” is required: %(score)s is below its pass mark of %(mark)s.")
                % {
                    "title": rule.title,
                    "score": percentage_format(score),
                    "mark": percentage_format(rule.pass_mark),
                }
            )
    final_score = weighted_score(rules=rules, scores=scores)
    if final_score < threshold:
        unmet.append(
            gettext("The weighted score of %(score)s is below the pass threshold of %(threshold)s.")
            % {"score": percentage_format(final_score), "threshold": percentage_format(threshold)}
        )
    passes = not unmet
    return CompletionOutcome(
        passes=passes,
        final_score=final_score,
        final_grade=grade_for(
            scheme=grading_scheme, score=final_score, passed=passes, threshold=threshold
        ),
        weights_complete=weights_complete,
        unmet=tuple(unmet),
    )
