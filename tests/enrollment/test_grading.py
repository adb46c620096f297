"""Tests of enrollment.grading and enrollment.completion: pure rules, no database."""
from decimal import Decimal

import pytest

from enrollment.completion import AssessmentRule, completion_evaluate, weighted_score
from enrollment.grading import grade_bands, grade_for, percentage_format

D = Decimal


@pytest.mark.parametrize(
    ("scheme", "score", "passed", "threshold", "grade"),
    [
        ("pass_fail", "50.00", True, "50", "Pass"),
        ("pass_fail", "99.00", False, "50", "Fail"),
        ("percentage", "87.50", True, "50", "87.5 %"),
        ("percentage", "100.00", True, "50", "100 %"),
        ("percentage", "12.345", False, "50", "12.35 %"),
        ("", "64.00", True, "50", "64 %"),  # no scheme stated: a percentage
        ("ects_grades", "90.00", True, "50", "A"),
        ("ects_grades", "89.99", True, "50", "B"),
        ("ects_grades", "80.00", True, "50", "B"),
        ("ects_grades", "70.00", True, "50", "C"),
        ("ects_grades", "60.00", True, "50", "D"),
        ("ects_grades", "50.00", True, "50", "E"),
        ("ects_grades", "95.00", False, "50", "F"),  # a failed required assessment fails whatever the score
        ("ects_grades", "92.00", True, "60", "A"),
        ("ects_grades", "91.99", True, "60", "B"),
        ("ects_grades", "60.00", True, "60", "E"),
        ("numeric_1_5", "87.50", True, "50", "1"),
        ("numeric_1_5", "87.49", True, "50", "2"),
        ("numeric_1_5", "75.00", True, "50", "2"),
        ("numeric_1_5", "62.50", True, "50", "3"),
        ("numeric_1_5", "50.00", True, "50", "4"),
        ("numeric_1_5", "49.00", False, "50", "5"),
    ],
)
def test_grade_for(scheme, score, passed, threshold, grade):
    assert grade_for(scheme=scheme, score=D(score), passed=passed, threshold=D(threshold)) == grade


def test_band_floors_are_recordable_scores_so_the_shown_table_is_the_applied_one():
    bands = grade_bands(scheme="ects_grades", threshold=D("33.33"))

    assert bands == [("A", D("86.67")), ("B", D("73.34")), ("C", D("60.00")), ("D", D("46.67")),
                     ("E", D("33.33"))]
    for grade, floor in bands:
        assert grade_for(scheme="ects_grades", score=floor, passed=True, threshold=D("33.33")) == grade
        below = floor - D("0.01")
        if grade != "E":
            assert grade_for(scheme="ects_grades", score=below, passed=True, threshold=D("33.33")) != grade


def test_grade_bands_of_each_scheme():
    assert grade_bands(scheme="pass_fail", threshold=D("60")) == [("Pass", D("60.00"))]
    assert grade_bands(scheme="percentage", threshold=D("60")) == []
    numeric = grade_bands(scheme="numeric_1_5", threshold=D("50"))
    assert numeric == [("1", D("87.50")), ("2", D("75.00")), ("3", D("62.50")), ("4", D("50.00"))]


def test_an_unknown_scheme_is_a_programming_error():
    with pytest.raises(ValueError, match="Unknown grading scheme"):
        grade_for(scheme="stars", score=D("50"), passed=True, threshold=D("50"))


def test_percentage_format():
    formatted = [percentage_format(D(v)) for v in ("0", "7.10", "49.995", "100")]
    assert formatted == ["0 %", "7.1 %", "50 %", "100 %"]


EXAM = AssessmentRule(1, "Exam", D("60"), D("50"), True)
PROJECT = AssessmentRule(2, "Project", D("30"), D("40"), True)
QUIZ = AssessmentRule(3, "Quiz", D("10"), D("50"), False)
RULES = [EXAM, PROJECT, QUIZ]


def _evaluate(scores, threshold="50", rules=RULES):
    return completion_evaluate(rules=rules, scores={k: D(v) for k, v in scores.items()},
                               threshold=D(threshold), grading_scheme="ects_grades")


def test_weighted_score_counts_missing_results_as_zero_and_rounds_half_up():
    assert weighted_score(rules=RULES, scores={1: D("80"), 2: D("70")}) == D("69.00")
    assert weighted_score(rules=RULES, scores={3: D("0.05")}) == D("0.01")  # 0.005 → 0.01


def test_a_learner_passes_when_required_assessments_pass_and_the_weighted_score_reaches_the_threshold():
    outcome = _evaluate({1: "80", 2: "70"})  # quiz missing: optional

    assert (outcome.passes, outcome.final_score, outcome.final_grade, outcome.unmet) == (
        True, D("69.00"), "D", ()
    )


def test_each_unmet_rule_is_explained():
    outcome = _evaluate({1: "45", 3: "100"})

    assert outcome.passes is False
    assert outcome.final_score == D("37.00")
    assert outcome.final_grade == "F"
    assert outcome.unmet == (
        "“Exam” is required: 45 % is below its pass mark of 50 %.",
        "“Project” is required and has no result yet.",
        "The weighted score of 37 % is below the pass threshold of 50 %.",
    )


def test_the_rounded_score_is_the_one_compared_with_the_threshold():
    rules = [
        AssessmentRule(1, "A", D("33.33"), D("0"), True),
        AssessmentRule(2, "B", D("66.67"), D("0"), True),
    ]

    # 33.33 × 50 + 66.67 × 49.99 = 49.9933… → 49.99: below 50
    assert _evaluate({1: "50", 2: "49.99"}, rules=rules).passes is False
    # 33.33 × 50.02 + 66.67 × 49.99 = 4999.9999… → 50.00: passes
    assert _evaluate({1: "50.02", 2: "49.99"}, rules=rules).final_score == D("50.00")
    assert _evaluate({1: "50.02", 2: "49.99"}, rules=rules).passes is True


def test_nobody_passes_while_the_weights_do_not_add_up_to_100():
    outcome = _evaluate({1: "100", 2: "100"}, rules=[EXAM, PROJECT])

    assert outcome.passes is False
    assert outcome.weights_complete is False
    assert outcome.unmet == ("The weights of the assessments add up to 90, not 100.",)


def _evaluate_scoped(scores, assessed, threshold="50"):
    return completion_evaluate(rules=RULES, scores={k: D(v) for k, v in scores.items()},
                               threshold=D(threshold), grading_scheme="ects_grades",
                               assessed=frozenset(assessed))


def test_a_learner_who_bought_some_units_is_still_judged_on_the_whole_course():
    # Bought the project's unit and the quiz's: the credential certifies the whole course, so the
    # required exam (in a unit not bought yet) still stands between the learner and completion.
    outcome = _evaluate_scoped({2: "70", 3: "30"}, assessed={2, 3})

    # (70 × 30 + 30 × 10) / 100 = 24: the score is over the whole run's weights.
    assert outcome.final_score == D("24.00")
    assert outcome.passes is False
    assert "“Exam” is required and belongs to a unit you have not bought yet." in outcome.unmet


def test_a_required_assessment_in_scope_still_has_to_be_passed():
    outcome = _evaluate_scoped({2: "35", 3: "100"}, assessed={2, 3})

    assert outcome.passes is False
    assert any("“Project” is required" in reason for reason in outcome.unmet)


def test_a_learner_who_bought_every_unit_and_passed_completes():
    outcome = _evaluate_scoped({1: "80", 2: "70"}, assessed={1, 2, 3})

    assert outcome.passes is True
    assert outcome.final_score == D("69.00")


def test_no_scope_means_the_whole_run_as_before():
    assert _evaluate_scoped({1: "80", 2: "70"}, assessed={1, 2, 3}).final_score == _evaluate(
        {1: "80", 2: "70"}
    ).final_score
