"""The annual rule over pre-aggregated rows: one row per person, vectorised with pandas.

DOMAIN.md section 6. `annual_levels` applies exactly the rules of `kpi.annual.classify_year`, in the
same order and with the same reasons, to a DataFrame that SQL has already aggregated, so the year of
150,000 people costs one query and a few array operations instead of 1.8 million `MonthResult`s.
Pure: no database, no Django.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

import numpy as np
import pandas as pd

from kpi.annual import AnnualError
from kpi.scoring import to_decimal
from kpi.spec import FrameworkSpec, vi_number

BASE_COLUMNS = (
    "person_id",
    "months_evaluated",
    "score_sum",
    "worked_months",
    "maternity_months",
    "off_work_months",
    "disciplined",
)
RESULT_COLUMNS = ("person_id", "months_evaluated", "counts_per_grade", "average", "grade", "level", "reasons")


def count_column(grade: str) -> str:
    return f"count_{grade}"


def required_columns(spec: FrameworkSpec) -> tuple[str, ...]:
    return BASE_COLUMNS + tuple(count_column(band.code) for band in spec.grades)


def _hundredths(values: pd.Series) -> np.ndarray:
    """Exact integer hundredths of 2-decimal sums (Decimal, int, float or str)."""
    out = np.zeros(len(values), dtype=np.int64)
    for i, value in enumerate(values):
        number = to_decimal(value)
        out[i] = 0 if number is None else int((number * 100).to_integral_value())
    return out


def _months(values: pd.Series, field: str) -> list[Decimal]:
    out = []
    for value in values:
        number = to_decimal(value)
        if number is None or number < 0:
            raise AnnualError(field, f"{field} phải là số tháng không âm, nhận được {value!r}.")
        out.append(number)
    return out


def annual_levels(spec: FrameworkSpec, df: pd.DataFrame) -> pd.DataFrame:
    """The annual level of every row of `df` under `spec` (see `required_columns`).

    Returns a DataFrame with the index of `df` and the columns of `RESULT_COLUMNS`: `average` is a
    Decimal rounded half-up to 2 decimals (None without an evaluated month), `grade` the band of the
    average, `level` the final level and `reasons` a list of (id, Vietnamese text), as
    `classify_year` gives them.
    """
    missing = [c for c in required_columns(spec) if c not in df.columns]
    if missing:
        raise AnnualError(missing[0], f"Thiếu cột {', '.join(missing)}.")
    rule = spec.annual
    n = len(df)
    evaluated = df["months_evaluated"].to_numpy(dtype=np.int64)
    total = _hundredths(df["score_sum"])
    has_months = evaluated > 0
    # Half-up rounding of total / n in integer hundredths: floor((2·total + n) / 2n), exact.
    safe = np.where(has_months, evaluated, 1)
    average_h = np.where(has_months, (2 * total + safe) // (2 * safe), 0)

    bands = sorted(spec.grades, key=lambda band: band.min, reverse=True)
    band_floor = [int((band.min * 100).to_integral_value(rounding="ROUND_CEILING")) for band in bands]
    conditions = [average_h >= floor for floor in band_floor]
    grade = np.select(conditions, [band.code for band in bands], default="")
    if (has_months & (grade == "")).any():
        raise AnnualError("score_sum", f"Điểm trung bình thấp hơn mọi mức xếp loại của khung {spec.code}.")
    base_level = np.array([rule.level_map.get(g, "") if g else "" for g in grade], dtype=object)

    worked = _months(df["worked_months"], "worked_months")
    maternity = _months(df["maternity_months"], "maternity_months")
    off_work = _months(df["off_work_months"], "off_work_months")
    disciplined = df["disciplined"].to_numpy(dtype=bool)
    minimum = rule.min_months_for_classification
    counts = {band.code: df[count_column(band.code)].to_numpy(dtype=np.int64) for band in spec.grades}
    order = {level: i for i, level in enumerate(rule.levels)}

    averages: list[Decimal | None] = []
    levels: list[str] = []
    reasons_out: list[list[tuple[str, str]]] = []
    for i in range(n):
        reasons: list[tuple[str, str]] = []
        average = Decimal(int(average_h[i])).scaleb(-2) if has_months[i] else None
        level = base_level[i] or None
        if average is not None:
            reasons.append(
                (
                    "average",
                    f"Điểm trung bình {vi_number(average)} của {int(evaluated[i])} tháng được đánh giá: "
                    f"mức {grade[i]} → {level}.",
                )
            )
        averages.append(average)
        reasons_out.append(reasons)
        if disciplined[i]:
            reasons.append(("disciplined", f"Bị kỷ luật trong năm: xếp loại {rule.disciplined_level}."))
            levels.append(rule.disciplined_level)
            continue
        if worked[i] < minimum:
            if worked[i] + maternity[i] < minimum:
                reasons.append(
                    (
                        "worked_under_min_months",
                        f"Công tác {worked[i]} tháng, dưới {minimum} tháng: không xếp loại.",
                    )
                )
                levels.append(rule.not_classified)
                continue
            reasons.append(
                (
                    "maternity_exception",
                    f"Công tác {worked[i]} tháng, dưới {minimum} tháng do nghỉ thai sản: vẫn xếp loại.",
                )
            )
        if level is None:
            reasons.append(("no_evaluated_months", "Không có tháng nào được đánh giá: không xếp loại."))
            levels.append(rule.not_classified)
            continue
        if rule.off_work_cap_from <= off_work[i] < rule.off_work_cap_below:
            cap = rule.off_work_cap_level
            capped = cap if order[level] < order[cap] else level  # levels are best first
            change = f"hạ từ {level} xuống {capped}" if capped != level else f"giữ {level}"
            reasons.append(
                (
                    "off_work_cap",
                    f"Nghỉ việc {off_work[i]} tháng (từ {rule.off_work_cap_from} đến dưới "
                    f"{rule.off_work_cap_below} tháng): tối đa {cap} ({change}).",
                )
            )
            level = capped
        levels.append(level)

    return pd.DataFrame(
        {
            "person_id": df["person_id"].to_numpy(),
            "months_evaluated": evaluated,
            "counts_per_grade": [{code: int(counts[code][i]) for code in counts} for i in range(n)],
            "average": averages,
            "grade": [g or None for g in grade],
            "level": levels,
            "reasons": reasons_out,
        },
        index=df.index,
        columns=list(RESULT_COLUMNS),
    )


def empty_frame(spec: FrameworkSpec) -> pd.DataFrame:
    return pd.DataFrame({column: [] for column in required_columns(spec)})


def frame_from_rows(spec: FrameworkSpec, rows: Sequence[dict]) -> pd.DataFrame:
    """A DataFrame with the required columns from dicts (missing counts are 0)."""
    columns = required_columns(spec)
    if not rows:
        return empty_frame(spec)
    return pd.DataFrame([{c: row.get(c, 0) for c in columns} for row in rows], columns=list(columns))
