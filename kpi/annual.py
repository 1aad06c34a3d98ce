"""Annual classification and the quarterly rating of heads, from approved monthly results.

DOMAIN.md sections 5 and 6. Pure functions; the weights, months and levels come from the spec.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, NamedTuple

from kpi.scoring import grade_for_total, quantize_score, to_decimal
from kpi.spec import FrameworkSpec, FrozenMap, vi_number

QUARTER_INPUTS = ("monthly_average", "unit_result", "sector_assessment")


class AnnualError(ValueError):
    """Invalid input for an annual or quarterly computation; `field` names the input."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


class MonthResult(NamedTuple):
    """One month: score None means "not evaluated" (never a 0); grade None with a score is derived."""

    month: int
    score: Decimal | None
    grade: str | None = None


@dataclass(frozen=True)
class AnnualResult:
    level: str  # an annual level code, or the rule's NOT_CLASSIFIED code
    average: Decimal | None
    months_evaluated: int
    counts_per_grade: FrozenMap[str, int]
    reasons: tuple[tuple[str, str], ...]  # (stable id, Vietnamese text)
    grade: str | None = None  # the band of the average

    def as_dict(self) -> dict[str, Any]:
        return {
            "level": self.level,
            "average": None if self.average is None else float(self.average),
            "months_evaluated": self.months_evaluated,
            "counts_per_grade": dict(self.counts_per_grade),
            "reasons": [{"id": rid, "text": text} for rid, text in self.reasons],
            "grade": self.grade,
        }


@dataclass(frozen=True)
class QuarterResult:
    total: Decimal | None
    grade: str | None
    provisional: bool
    missing: tuple[str, ...]
    monthly_average: Decimal | None
    weights: FrozenMap[str, Decimal]  # the weights actually applied


def _months_value(value: Any, field: str) -> Decimal:
    number = to_decimal(value)
    if number is None or number < 0:
        raise AnnualError(field, f"{field} phải là số tháng không âm, nhận được {value!r}.")
    return number


def _score_value(spec: FrameworkSpec, value: Any, field: str) -> Decimal:
    number = to_decimal(value)
    if number is None or not 0 <= number <= spec.scale_max:
        raise AnnualError(field, f"{field} phải là điểm từ 0 đến {spec.scale_max}, nhận được {value!r}.")
    return number


def _evaluated(spec: FrameworkSpec, months: Iterable[MonthResult | tuple[Any, ...]]) -> list[tuple[Decimal, str]]:
    """(score, grade) of the evaluated months, after checking months are 1..12, unique and consistent."""
    seen: set[int] = set()
    evaluated: list[tuple[Decimal, str]] = []
    codes = {band.code for band in spec.grades}
    for item in months:
        month, raw_score, grade = MonthResult(*item)
        field = f"month_{month}"
        if isinstance(month, bool) or not isinstance(month, int) or not 1 <= month <= 12 or month in seen:
            raise AnnualError(field, f"Tháng {month!r} không hợp lệ hoặc bị trùng.")
        seen.add(month)
        if raw_score is None:
            if grade is not None:
                raise AnnualError(field, f"Tháng {month} không được đánh giá nhưng lại có xếp loại {grade}.")
            continue
        value = _score_value(spec, raw_score, field)
        if grade is not None and grade not in codes:
            raise AnnualError(field, f"Tháng {month}: mức xếp loại {grade} không có trong khung {spec.code}.")
        evaluated.append((value, grade or grade_for_total(spec, value)))
    return evaluated


def classify_year(
    spec: FrameworkSpec,
    *,
    months: Iterable[MonthResult | tuple[Any, ...]],
    worked_months: Decimal | int,
    maternity_months: Decimal | int = 0,
    off_work_months: Decimal | int = 0,
    disciplined: bool = False,
) -> AnnualResult:
    """The annual level: mean of the evaluated months → band → level, then the annual overrides.

    Order: disciplined → the disciplined level (whatever else holds); fewer worked months than the
    minimum (maternity months count as worked) → not classified; no evaluated month → not
    classified; off work within the capped range → at most the cap level.
    """
    rule = spec.annual
    if not isinstance(disciplined, bool):
        raise AnnualError("disciplined", f"disciplined phải là True/False, nhận được {disciplined!r}.")
    worked = _months_value(worked_months, "worked_months")
    maternity = _months_value(maternity_months, "maternity_months")
    off_work = _months_value(off_work_months, "off_work_months")
    evaluated = _evaluated(spec, months)
    counts = dict.fromkeys((band.code for band in spec.grades), 0)
    for _, grade in evaluated:
        counts[grade] += 1
    average = grade = level = None
    reasons: list[tuple[str, str]] = []
    if evaluated:
        average = quantize_score(sum((value for value, _ in evaluated), Decimal(0)) / len(evaluated))
        grade = grade_for_total(spec, average)
        level = rule.level_map[grade]
        reasons.append(
            (
                "average",
                f"Điểm trung bình {vi_number(average)} của {len(evaluated)} tháng được đánh giá: "
                f"mức {grade} → {level}.",
            )
        )

    def result(final: str) -> AnnualResult:
        return AnnualResult(final, average, len(evaluated), FrozenMap(counts), tuple(reasons), grade)

    if disciplined:
        reasons.append(("disciplined", f"Bị kỷ luật trong năm: xếp loại {rule.disciplined_level}."))
        return result(rule.disciplined_level)
    minimum = rule.min_months_for_classification
    if worked < minimum:
        if worked + maternity < minimum:
            reasons.append(
                ("worked_under_min_months", f"Công tác {worked} tháng, dưới {minimum} tháng: không xếp loại.")
            )
            return result(rule.not_classified)
        reasons.append(
            ("maternity_exception", f"Công tác {worked} tháng, dưới {minimum} tháng do nghỉ thai sản: vẫn xếp loại.")
        )
    if level is None:
        reasons.append(("no_evaluated_months", "Không có tháng nào được đánh giá: không xếp loại."))
        return result(rule.not_classified)
    if rule.off_work_cap_from <= off_work < rule.off_work_cap_below:
        cap = rule.off_work_cap_level
        capped = cap if rule.levels.index(level) < rule.levels.index(cap) else level  # levels are best first
        change = f"hạ từ {level} xuống {capped}" if capped != level else f"giữ {level}"
        reasons.append(
            (
                "off_work_cap",
                f"Nghỉ việc {off_work} tháng (từ {rule.off_work_cap_from} đến dưới {rule.off_work_cap_below} tháng): "
                f"tối đa {cap} ({change}).",
            )
        )
        level = capped
    return result(level)


def quarter_score(
    spec: FrameworkSpec,
    *,
    monthly_scores: Sequence[Decimal | None],
    unit_result: Decimal | None,
    sector_assessment: Decimal | None,
    has_sector_link: bool = True,
) -> QuarterResult:
    """Quarter score = weighted monthly average, unit result and sector assessment (DOMAIN section 5).

    Without a sector link the sector weight moves to the monthly average. A missing input (a month
    not yet approved is None) makes the result provisional: the present inputs are reweighted so the
    preview stays on the same scale, and `missing` lists what is still awaited.
    """
    weights = {name: getattr(spec.quarterly, name) for name in QUARTER_INPUTS}
    if not has_sector_link:
        if sector_assessment is not None:
            raise AnnualError("sector_assessment", "Không có ngành dọc nên không có điểm đánh giá của sở ngành.")
        weights["monthly_average"] += weights["sector_assessment"]
        weights["sector_assessment"] = Decimal(0)
    missing: list[str] = []
    present_months = []
    for i, value in enumerate(monthly_scores, start=1):
        if value is None:
            missing.append(f"monthly_score_{i}")
        else:
            present_months.append(_score_value(spec, value, f"monthly_score_{i}"))
    if not monthly_scores:
        missing.append("monthly_scores")
    average = sum(present_months, Decimal(0)) / len(present_months) if present_months else None
    inputs = {
        "monthly_average": average,
        "unit_result": None if unit_result is None else _score_value(spec, unit_result, "unit_result"),
        "sector_assessment": None
        if sector_assessment is None
        else _score_value(spec, sector_assessment, "sector_assessment"),
    }
    missing += [name for name in ("unit_result", "sector_assessment") if inputs[name] is None and weights[name]]
    used = {name: weight for name, weight in weights.items() if weight and inputs[name] is not None}
    weight_sum = sum(used.values(), Decimal(0))
    total = grade = None
    if weight_sum:
        total = quantize_score(sum((weight * inputs[name] for name, weight in used.items()), Decimal(0)) / weight_sum)
        grade = grade_for_total(spec, total)
    return QuarterResult(
        total=total,
        grade=grade,
        provisional=bool(missing),
        missing=tuple(missing),
        monthly_average=None if average is None else quantize_score(average),
        weights=FrozenMap({name: used[name] / weight_sum if name in used else Decimal(0) for name in weights}),
    )
