"""`kpi.rollup.annual_levels` agrees with `kpi.annual.classify_year` on random years (hypothesis)."""

from __future__ import annotations

from decimal import Decimal

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kpi.annual import AnnualError, MonthResult, classify_year
from kpi.rollup import annual_levels, count_column, frame_from_rows
from kpi.scoring import grade_for_total

SETTINGS = settings(max_examples=200, deadline=None, database=None)
# Scores in hundredths so that .xx5 averages (the half-up edge) come up often.
SCORE = st.one_of(
    st.integers(min_value=0, max_value=10_000).map(lambda n: Decimal(n).scaleb(-2)),
    st.sampled_from([Decimal(s) for s in ("49.99", "50", "69.99", "70", "89.99", "90", "89.995", "100")]).map(
        lambda d: d.quantize(Decimal("0.01"))
    ),
)


@st.composite
def person_year(draw):
    """Twelve months, each not evaluated (None) or a score with maybe a given grade, plus the
    override inputs."""
    months = []
    for month in range(1, 13):
        if draw(st.booleans()) and draw(st.booleans()):
            months.append(MonthResult(month, None))
        else:
            months.append(MonthResult(month, draw(SCORE), None))
    return {
        "months": months,
        "worked_months": draw(st.integers(min_value=0, max_value=12)),
        "maternity_months": draw(st.integers(min_value=0, max_value=12)),
        "off_work_months": draw(st.integers(min_value=0, max_value=12)),
        "disciplined": draw(st.booleans()),
        "given_grades": draw(st.booleans()),
    }


def brute_force_row(spec, person_id: int, year: dict) -> dict:
    """Aggregate one person's months by hand, as the SQL query does."""
    row = {
        "person_id": person_id,
        "months_evaluated": 0,
        "score_sum": Decimal(0),
        "worked_months": year["worked_months"],
        "maternity_months": year["maternity_months"],
        "off_work_months": year["off_work_months"],
        "disciplined": year["disciplined"],
    }
    for band in spec.grades:
        row[count_column(band.code)] = 0
    for month in year["months"]:
        if month.score is None:
            continue
        row["months_evaluated"] += 1
        row["score_sum"] += month.score
        row[count_column(month.grade or grade_for_total(spec, month.score))] += 1
    return row


def with_given_grades(spec, year: dict) -> list[MonthResult]:
    """Months whose grade is stated (as stored forms have it), sometimes not the band of the score."""
    codes = [band.code for band in spec.grades]
    return [
        m if m.score is None else MonthResult(m.month, m.score, codes[(m.month + int(m.score)) % len(codes)])
        for m in year["months"]
    ]


@pytest.mark.parametrize("code", ["HN-3814-2018", "VN-ND335-2025"])
@SETTINGS
@given(years=st.lists(person_year(), min_size=1, max_size=8))
def test_annual_levels_agree_with_classify_year(specs, code, years):
    spec = specs[code]
    rows, expected = [], []
    for person_id, year in enumerate(years, start=1):
        months = with_given_grades(spec, year) if year["given_grades"] else year["months"]
        year = {**year, "months": months}
        rows.append(brute_force_row(spec, person_id, year))
        expected.append(
            classify_year(
                spec,
                months=months,
                worked_months=year["worked_months"],
                maternity_months=year["maternity_months"],
                off_work_months=year["off_work_months"],
                disciplined=year["disciplined"],
            )
        )
    result = annual_levels(spec, frame_from_rows(spec, rows))
    assert len(result) == len(expected)
    for (_, got), want in zip(result.iterrows(), expected, strict=True):
        assert got["level"] == want.level
        assert got["average"] == want.average
        assert got["grade"] == want.grade
        assert got["months_evaluated"] == want.months_evaluated
        assert got["counts_per_grade"] == dict(want.counts_per_grade)
        assert [tuple(r) for r in got["reasons"]] == list(want.reasons)


def test_half_up_rounding_of_the_average(hn):
    rows = [{"person_id": 1, "months_evaluated": 2, "score_sum": Decimal("179.99"), "worked_months": 12}]
    result = annual_levels(hn, frame_from_rows(hn, rows))
    assert result.loc[0, "average"] == Decimal("90.00") and result.loc[0, "level"] == "HTXS"


def test_missing_columns_are_named(hn):
    with pytest.raises(AnnualError) as exc:
        annual_levels(hn, pd.DataFrame({"person_id": [1]}))
    assert exc.value.field == "months_evaluated"


def test_empty_frame(hn):
    assert annual_levels(hn, frame_from_rows(hn, [])).empty
