"""Grade quotas: 30% (40% by exception) of the rated for 3814, 20% of the HTT count for ND 335."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest

from kpi.quota import QuotaError, can_add, check_quota, check_quota_by_group, check_quota_scopes, over_quota


def grades(**counts: int) -> list[str]:
    return [code for code, n in counts.items() for _ in range(n)]


# --- HN-3814-2018: share of the people rated ---------------------------------------------------


@pytest.mark.parametrize(
    ("rated", "a_count", "ok"),
    [(1, 1, True), (2, 1, True), (2, 2, False), (3, 1, True), (4, 1, True), (4, 2, False), (1, 0, True)],
)
def test_tiny_units_may_have_one_a(hn, rated, a_count, ok):
    result = check_quota(hn.quota, grades(A=a_count, B=rated - a_count))
    assert (result.allowed, result.count, result.base, result.ok) == (1, a_count, rated, ok)


def test_small_group_allowance_stops_at_five(hn):
    result = check_quota(hn.quota, grades(A=2, B=3))
    assert (result.allowed, result.ok) == (1, False)  # floor(0.3 × 5) = 1


@pytest.mark.parametrize(("rated", "allowed"), [(5, 1), (6, 1), (7, 2), (9, 2), (10, 3), (20, 6), (100, 30)])
def test_allowed_is_the_floor_of_30_percent(hn, rated, allowed):
    assert check_quota(hn.quota, grades(B=rated)).allowed == allowed


def test_exactly_at_the_limit(hn):
    result = check_quota(hn.quota, grades(A=3, B=5, C=2))
    assert (result.allowed, result.count, result.ok, result.over) == (3, 3, True, 0)
    assert result.ratio_used == Decimal("0.30")
    assert not result.justification_required


def test_one_over_the_limit(hn):
    result = check_quota(hn.quota, grades(A=4, B=4, C=2))
    assert (result.allowed, result.count, result.ok, result.over) == (3, 4, False, 1)
    assert over_quota(hn.quota, grades(A=4, B=4, C=2)) == 1


def test_forty_percent_exception(hn):
    unit = grades(A=4, B=6)
    assert not check_quota(hn.quota, unit).ok
    result = check_quota(hn.quota, unit, exception=True)
    assert (result.allowed, result.ok, result.ratio_used) == (4, True, Decimal("0.40"))
    assert result.justification_required
    assert not check_quota(hn.quota, grades(A=5, B=5), exception=True).ok


def test_not_rated_people_are_not_counted(hn):
    result = check_quota(hn.quota, [*grades(A=3, B=7), None, None])
    assert (result.base, result.rated, result.allowed) == (10, 10, 3)


def test_empty_unit(hn):
    result = check_quota(hn.quota, [])
    assert (result.allowed, result.count, result.ok) == (1, 0, True)  # the small-group allowance


@pytest.mark.parametrize(("rounding", "allowed"), [("floor", 1), ("round", 2), ("ceil", 2)])
def test_rounding_comes_from_the_rule(hn, rounding, allowed):
    rule = replace(hn.quota, rounding=rounding, small_group_below=0)
    assert check_quota(rule, grades(B=5)).allowed == allowed  # 0.3 × 5 = 1.5


def test_round_is_half_up_not_bankers(hn):
    rule = replace(hn.quota, ratio=Decimal("0.25"), rounding="round", small_group_below=0)
    assert check_quota(rule, grades(B=10)).allowed == 3  # 2.5 → 3


def test_can_add_one_more(hn):
    assert can_add(hn.quota, grades(A=2, B=7), grade="A")  # 3 of 10
    assert not can_add(hn.quota, grades(A=3, B=6), grade="A")  # 4 of 10
    assert can_add(hn.quota, grades(A=3, B=6), grade="A", exception=True)


# --- VN-ND335-2025: share of the number rated HTT ----------------------------------------------


@pytest.mark.parametrize(
    ("counts", "base", "allowed", "ok"),
    [
        ({"HTXS": 1, "HTT": 5, "HT": 4}, 5, 1, True),
        ({"HTXS": 2, "HTT": 5, "HT": 3}, 5, 1, False),
        ({"HTXS": 2, "HTT": 10}, 10, 2, True),
        ({"HTXS": 3, "HTT": 10}, 10, 2, False),
        ({"HTXS": 1, "HTT": 4, "HT": 5}, 4, 0, False),  # 20% of 4 is 0.8, floored
        ({"HTXS": 1, "HT": 9}, 0, 0, False),
        ({"HTXS": 1, "HT": 3}, 0, 1, True),  # 4 people rated: small-group allowance
    ],
)
def test_nd335_base_is_the_htt_count(nd, counts, base, allowed, ok):
    result = check_quota(nd.quota, grades(**counts))
    assert (result.base, result.allowed, result.ok) == (base, allowed, ok)
    assert result.count == counts["HTXS"]


def test_nd335_has_no_exception(nd):
    with pytest.raises(QuotaError, match="HTXS"):
        check_quota(nd.quota, grades(HTT=5), exception=True)


def test_annual_quota_rule(hn):
    rule = hn.annual.quota
    assert check_quota(rule, grades(HTXS=1, HTT=5, HT=2)).ok
    assert not check_quota(rule, grades(HTXS=1, HTT=4, HT=2)).ok


# --- similar-task groups -----------------------------------------------------------------------


def test_quota_per_similar_task_group(nd):
    rows = [("kế toán", g) for g in grades(HTXS=1, HTT=5)] + [("văn thư", g) for g in grades(HTXS=2, HTT=5, HT=1)]
    results = check_quota_by_group(nd.quota, rows)
    assert set(results) == {"kế toán", "văn thư"}
    assert (results["kế toán"].allowed, results["kế toán"].ok) == (1, True)
    assert (results["văn thư"].allowed, results["văn thư"].count, results["văn thư"].ok) == (1, 2, False)


def test_group_scope_can_fail_while_the_unit_passes(nd):
    rows = [("A", g) for g in grades(HTXS=2, HTT=5)] + [("B", g) for g in grades(HTT=10)]
    report = check_quota_scopes(nd.quota, rows)
    assert report.unit.ok  # 2 ≤ floor(0.2 × 15) = 3
    assert not report.groups["A"].ok and report.groups["B"].ok
    assert not report.ok


def test_unit_only_rule_has_no_group_results(hn):
    report = check_quota_scopes(hn.quota, [("x", "A"), ("y", "B"), (None, "B")])
    assert report.groups == {}
    assert report.unit.rated == 3 and report.ok


def test_people_without_a_group_count_for_the_unit_only(nd):
    rows = [(None, "HTXS"), ("A", "HTT"), ("A", "HTT")]
    report = check_quota_scopes(nd.quota, rows)
    assert set(report.groups) == {"A"}
    assert report.unit.count == 1
