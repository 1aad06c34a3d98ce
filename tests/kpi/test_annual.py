"""Annual classification (DOMAIN section 6) and the quarterly rating of heads (section 5)."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest

from kpi.annual import AnnualError, MonthResult, classify_year, quarter_score
from kpi.spec import QuarterlyWeights

D = Decimal


def year(*scores, grade=None):
    """Months 1.. with the given scores (None = not evaluated)."""
    return [MonthResult(month, None if s is None else D(str(s)), grade) for month, s in enumerate(scores, start=1)]


def ids(result):
    return [rid for rid, _ in result.reasons]


# --- annual level ------------------------------------------------------------------------------


@pytest.mark.parametrize(("score", "level"), [(95, "HTXS"), (90, "HTXS"), (80, "HTT"), (60, "HT"), (49, "KHT")])
def test_3814_grades_map_to_annual_levels(hn, score, level):
    result = classify_year(hn, months=year(*[score] * 12), worked_months=12)
    assert result.level == level
    assert result.average == D(score)
    assert result.months_evaluated == 12
    assert ids(result) == ["average"]


@pytest.mark.parametrize(("score", "level"), [(92, "HTXS"), (75, "HTT"), (55, "HT"), (10, "KHT")])
def test_nd335_grades_are_already_levels(nd, score, level):
    result = classify_year(nd, months=year(*[score] * 12), worked_months=12)
    assert result.level == result.grade == level


def test_not_evaluated_months_are_skipped_not_zero(hn):
    result = classify_year(hn, months=year(*[90] * 11, None), worked_months=11)
    assert (result.average, result.months_evaluated, result.level) == (D("90.00"), 11, "HTXS")


@pytest.mark.parametrize(
    ("scores", "average", "level"), [((90, 90, "89.99"), "90.00", "HTXS"), ((90, "89.99", "89.99"), "89.99", "HTT")]
)
def test_average_is_rounded_half_up_before_banding(hn, scores, average, level):
    result = classify_year(hn, months=year(*scores), worked_months=12)
    assert (result.average, result.level) == (D(average), level)


def test_counts_per_grade_use_the_given_grades(hn):
    months = [MonthResult(1, D(95), "C"), MonthResult(2, D(80), "B"), MonthResult(3, D(85)), MonthResult(4, None)]
    result = classify_year(hn, months=months, worked_months=12)
    assert dict(result.counts_per_grade) == {"A": 0, "B": 2, "C": 1, "D": 0}  # month 3 derived from its score
    assert result.months_evaluated == 3


def test_plain_tuples_are_accepted(hn):
    result = classify_year(hn, months=[(1, D(80), "B"), (2, D(90), "A")], worked_months=12)
    assert result.average == D("85.00")


@pytest.mark.parametrize("worked", [12, 3])
def test_disciplined_is_kht(hn, worked):
    result = classify_year(hn, months=year(*[98] * 12), worked_months=worked, disciplined=True)
    assert result.level == "KHT"
    assert ids(result) == ["average", "disciplined"]
    assert result.average == D(98)  # still shown


@pytest.mark.parametrize(
    ("worked", "level"), [(5, "NOT_CLASSIFIED"), (D("5.5"), "NOT_CLASSIFIED"), (6, "HTT"), (12, "HTT")]
)
def test_fewer_than_six_worked_months_is_not_classified(hn, worked, level):
    result = classify_year(hn, months=year(*[80] * 5), worked_months=worked)
    assert result.level == level
    if level == "NOT_CLASSIFIED":
        assert "worked_under_min_months" in ids(result)
        assert result.average == D(80)


def test_maternity_leave_is_the_exception(hn):
    result = classify_year(hn, months=year(*[80] * 4), worked_months=4, maternity_months=6)
    assert result.level == "HTT"
    assert "maternity_exception" in ids(result)
    short = classify_year(hn, months=year(*[80] * 4), worked_months=4, maternity_months=1)
    assert short.level == "NOT_CLASSIFIED"


def test_no_evaluated_month_is_not_classified(nd):
    result = classify_year(nd, months=year(None, None), worked_months=0, maternity_months=12)
    assert result.level == "NOT_CLASSIFIED"
    assert result.average is None
    assert ids(result) == ["maternity_exception", "no_evaluated_months"]


@pytest.mark.parametrize(
    ("off_work", "level"),
    [(0, "HTXS"), (2, "HTXS"), (3, "HT"), (D("5.9"), "HT"), (6, "HTXS")],
)
def test_off_work_three_to_under_six_months_caps_at_ht(hn, off_work, level):
    result = classify_year(hn, months=year(*[95] * 9), worked_months=9, off_work_months=off_work)
    assert result.level == level
    assert ("off_work_cap" in ids(result)) == (level == "HT")


def test_off_work_cap_never_raises(nd):
    result = classify_year(nd, months=year(*[30] * 9), worked_months=9, off_work_months=3)
    assert result.level == "KHT"
    assert "giữ KHT" in dict(result.reasons)["off_work_cap"]


def test_reasons_are_vietnamese(hn):
    result = classify_year(hn, months=year(*[95] * 9), worked_months=9, off_work_months=4)
    texts = dict(result.reasons)
    assert "Điểm trung bình 95,00" in texts["average"]
    assert "hạ từ HTXS xuống HT" in texts["off_work_cap"]


def test_as_dict(hn):
    data = classify_year(hn, months=year(80, 90), worked_months=12).as_dict()
    assert data["level"] == "HTT" and data["average"] == 85.0
    assert data["counts_per_grade"] == {"A": 1, "B": 1, "C": 0, "D": 0}
    assert data["reasons"][0]["id"] == "average"


@pytest.mark.parametrize(
    ("months", "kwargs", "field"),
    [
        ([MonthResult(13, D(80))], {}, "month_13"),
        ([MonthResult(0, D(80))], {}, "month_0"),
        ([MonthResult(1, D(80)), MonthResult(1, D(70))], {}, "month_1"),
        ([MonthResult(2, None, "A")], {}, "month_2"),
        ([MonthResult(3, D(101))], {}, "month_3"),
        ([MonthResult(4, D(80), "Z")], {}, "month_4"),
        ([], {"worked_months": -1}, "worked_months"),
        ([], {"off_work_months": "abc"}, "off_work_months"),
        ([], {"disciplined": "no"}, "disciplined"),
    ],
)
def test_annual_input_errors(hn, months, kwargs, field):
    with pytest.raises(AnnualError) as caught:
        classify_year(hn, months=months, **{"worked_months": 12, **kwargs})
    assert caught.value.field == field


# --- quarter -----------------------------------------------------------------------------------


def test_quarter_score_weights(hn):
    result = quarter_score(hn, monthly_scores=[D(80), D(90), D(100)], unit_result=D(70), sector_assessment=D(80))
    assert result.total == D("84.00")  # 0.6 × 90 + 0.2 × 70 + 0.2 × 80
    assert (result.grade, result.provisional, result.missing) == ("B", False, ())
    assert result.monthly_average == D("90.00")
    assert dict(result.weights) == {"monthly_average": D("0.6"), "unit_result": D("0.2"), "sector_assessment": D("0.2")}


def test_quarter_without_sector_link_moves_the_weight(hn):
    result = quarter_score(
        hn, monthly_scores=[D(80), D(90), D(100)], unit_result=D(70), sector_assessment=None, has_sector_link=False
    )
    assert result.total == D("86.00")  # 0.8 × 90 + 0.2 × 70
    assert not result.provisional
    assert result.weights["monthly_average"] == D("0.8") and result.weights["sector_assessment"] == 0


def test_quarter_sector_score_without_link_is_refused(hn):
    with pytest.raises(AnnualError) as caught:
        quarter_score(hn, monthly_scores=[D(80)], unit_result=D(70), sector_assessment=D(90), has_sector_link=False)
    assert caught.value.field == "sector_assessment"


def test_quarter_missing_inputs_are_provisional(nd):
    result = quarter_score(nd, monthly_scores=[D(80), D(90), None], unit_result=D(70), sector_assessment=None)
    assert result.provisional
    assert result.missing == ("monthly_score_3", "sector_assessment")
    assert result.total == D("81.25")  # (0.6 × 85 + 0.2 × 70) / 0.8
    assert result.grade == "HTT"


def test_quarter_with_nothing_yet(hn):
    result = quarter_score(hn, monthly_scores=[], unit_result=None, sector_assessment=None)
    assert (result.total, result.grade, result.provisional) == (None, None, True)
    assert result.missing == ("monthly_scores", "unit_result", "sector_assessment")


def test_quarter_weights_come_from_the_spec(hn):
    spec = replace(hn, quarterly=QuarterlyWeights(D("0.5"), D("0.5"), D(0)))
    result = quarter_score(spec, monthly_scores=[D(60)], unit_result=D(100), sector_assessment=None)
    assert (result.total, result.provisional) == (D("80.00"), False)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"monthly_scores": [D(80), D(120)]}, "monthly_score_2"),
        ({"unit_result": D(-1)}, "unit_result"),
        ({"sector_assessment": "x"}, "sector_assessment"),
    ],
)
def test_quarter_input_errors(hn, kwargs, field):
    inputs = {"monthly_scores": [D(80)], "unit_result": D(70), "sector_assessment": D(80), **kwargs}
    with pytest.raises(AnnualError) as caught:
        quarter_score(hn, **inputs)
    assert caught.value.field == field
