"""Monthly scoring under a framework version: points → subtotals → total → grade → overrides.

DOMAIN.md section 3. Pure functions over `kpi.spec` values; every number comes from the spec.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from kpi.spec import (
    LEADER,
    SCORE_QUANTUM,
    SHARE_QUANTUM,
    CriterionSpec,
    FrameworkSpec,
    FrozenMap,
    GroupSpec,
    OverrideRule,
    vi_number,
)

TASK_SHARES = ("quantity", "quality", "timeliness")
PRODUCT_COUNTS = ("failed_reviews", "delays", "excused_failed_reviews", "excused_delays")
LEADER_INPUTS = ("organising", "any_subordinate_unit_KHT")
_COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    "le": operator.le,
    "lt": operator.lt,
    "ge": operator.ge,
    "gt": operator.gt,
}
_OPERATOR_VI = {"le": "≤", "lt": "<", "ge": "≥", "gt": ">"}


class ScoringError(ValueError):
    """Invalid scoring input; `field` names the criterion code or input key at fault."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class ScoreResult:
    total: Decimal
    grade: str
    grade_before_overrides: str
    groups: FrozenMap[str, Decimal]
    criteria: FrozenMap[str, Decimal]
    overrides: tuple[tuple[str, str], ...] = ()
    task_shares: FrozenMap[str, Decimal] | None = None
    deductions: Decimal = Decimal(0)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready: numbers as floats (exact for 2-decimal points), rule ids with their reasons."""
        return {
            "total": float(self.total),
            "grade": self.grade,
            "grade_before_overrides": self.grade_before_overrides,
            "groups": {code: float(value) for code, value in self.groups.items()},
            "criteria": {code: float(value) for code, value in self.criteria.items()},
            "deductions": float(self.deductions),
            "overrides": [{"id": rule_id, "reason": reason} for rule_id, reason in self.overrides],
            "task_shares": None
            if self.task_shares is None
            else {key: float(value) for key, value in self.task_shares.items()},
        }


def quantize_score(value: Decimal) -> Decimal:
    return value.quantize(SCORE_QUANTUM, rounding=ROUND_HALF_UP)


# Plain ASCII digits with an optional sign and decimal point: not "1e1", "1_0", "١٠" or "１０",
# which Decimal() would read.
_PLAIN_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)", re.ASCII)


def to_decimal(value: Any) -> Decimal | None:
    """A finite Decimal from an int, Decimal, float or plain numeric string; None when it is not one.
    Negative zero reads as 0."""
    if isinstance(value, bool) or not isinstance(value, int | float | str | Decimal):
        return None
    if isinstance(value, str) and not _PLAIN_NUMBER.fullmatch(value.strip()):
        return None
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        return None
    if not number.is_finite():
        return None
    return number.copy_abs() if number.is_zero() else number


def criteria_for(spec: FrameworkSpec, variant: str) -> tuple[CriterionSpec, ...]:
    """The criteria scored by hand for a variant, in form order (computed groups have none)."""
    if variant not in spec.variants:
        raise ScoringError(
            "variant", f"Biến thể “{variant}” không có trong khung {spec.code} ({', '.join(spec.variants)})."
        )
    return tuple(c for group in spec.groups for c in group.criteria_for(variant))


def grade_for_total(spec: FrameworkSpec, total: Decimal | int | str) -> str:
    """The band with the highest minimum not above the total (rounded to 2 decimals first)."""
    number = to_decimal(total)
    if number is None:
        raise ValueError(f"Tổng điểm không phải là số: {total!r}.")
    rounded = quantize_score(number)
    eligible = [band for band in spec.grades if band.min <= rounded]
    if not eligible:
        raise ValueError(f"Tổng điểm {rounded} thấp hơn mọi mức xếp loại của khung {spec.code}.")
    return max(eligible, key=lambda band: band.min).code


def _point_error(criterion: CriterionSpec, value: Any) -> ScoringError | None:
    code = criterion.code
    number = to_decimal(value)
    if number is None:
        return ScoringError(code, f"Điểm tiêu chí {code} không phải là số: {value!r}.")
    if number < 0:
        return ScoringError(code, f"Điểm tiêu chí {code} không được âm ({vi_number(number)}).")
    if number > criterion.max_points:
        return ScoringError(
            code, f"Điểm tiêu chí {code} ({vi_number(number)}) vượt quá điểm tối đa {vi_number(criterion.max_points)}."
        )
    if number % criterion.step != 0:
        return ScoringError(
            code, f"Điểm tiêu chí {code} ({vi_number(number)}) phải là bội số của {vi_number(criterion.step)}."
        )
    return None


def points_errors(spec: FrameworkSpec, *, variant: str, points: Mapping[str, Any]) -> list[ScoringError]:
    """Every problem with a points dict, in a stable order (unknown codes first, then by criterion)."""
    try:
        expected = {c.code: c for c in criteria_for(spec, variant)}
    except ScoringError as error:
        return [error]
    if not isinstance(points, Mapping):
        return [ScoringError("points", f"Điểm phải là một bảng mã tiêu chí → điểm, nhận được {points!r}.")]
    deductions = {d.code: d for d in spec.deductions}
    computed = {g.code for g in spec.groups if g.is_computed}
    other_variants = {c.code for v in spec.variants for c in criteria_for(spec, v)}
    errors: list[ScoringError] = []
    for code in points:
        if code in computed:
            errors.append(
                ScoringError(code, f"Không nhập điểm cho nhóm {code}: điểm nhóm này được tính từ kết quả sản phẩm.")
            )
        elif code in other_variants and code not in expected:
            errors.append(ScoringError(code, f"Tiêu chí {code} không thuộc biến thể {variant}."))
        elif code not in expected and code not in deductions:
            errors.append(ScoringError(code, f"Tiêu chí {code} không có trong khung {spec.code}."))
    for code, criterion in {**expected, **deductions}.items():
        if code not in points:
            if code in expected:
                errors.append(ScoringError(code, f"Thiếu điểm tiêu chí {code} (nhập 0 nếu không có)."))
        elif (error := _point_error(criterion, points[code])) is not None:
            errors.append(error)
    return errors


def _share(value: Any, field: str) -> Decimal:
    number = to_decimal(value)
    if number is None or not 0 <= number <= 1:
        raise ScoringError(field, f"{field} phải là một số từ 0 đến 1, nhận được {value!r}.")
    return number


def _shares_from_results(task_results: Mapping[str, Any]) -> dict[str, Decimal]:
    if not isinstance(task_results, Mapping):
        raise ScoringError("task_results", "task_results phải là một bảng quantity/quality/timeliness.")
    for key in task_results:
        if key not in TASK_SHARES:
            raise ScoringError(str(key), f"task_results: khóa không hợp lệ “{key}” ({', '.join(TASK_SHARES)}).")
    missing = [key for key in TASK_SHARES if key not in task_results]
    if missing:
        raise ScoringError(missing[0], f"task_results: thiếu {missing[0]}.")
    return {key: _share(task_results[key], key) for key in TASK_SHARES}


def _count(product: Mapping[str, Any], key: str, where: str) -> int:
    value = product.get(key, 0)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ScoringError(f"{where}.{key}", f"{where}.{key} phải là số nguyên không âm, nhận được {value!r}.")
    return value


def _shares_from_products(spec: FrameworkSpec, products: Mapping[str, Any]) -> dict[str, Decimal]:
    formula = spec.task_formula
    if formula is None:
        raise ScoringError("products", f"Khung {spec.code} không có công thức tính từ sản phẩm.")
    if not isinstance(products, Mapping):
        raise ScoringError("products", "products phải là một bảng assigned_units/done.")
    assigned = to_decimal(products.get("assigned_units"))
    if assigned is None or assigned <= 0:
        raise ScoringError("assigned_units", "assigned_units phải là số sản phẩm quy đổi được giao, lớn hơn 0.")
    done = products.get("done", [])
    if not isinstance(done, Sequence) or isinstance(done, str):
        raise ScoringError("done", "done phải là danh sách sản phẩm đã hoàn thành.")
    done_units = quality = timeliness = Decimal(0)
    for i, product in enumerate(done):
        where = f"done[{i}]"
        if not isinstance(product, Mapping):
            raise ScoringError(where, f"{where} phải là một bảng units/failed_reviews/delays.")
        unknown = set(product) - {"units", *PRODUCT_COUNTS}
        if unknown:
            raise ScoringError(where, f"{where}: khóa không hợp lệ {sorted(unknown)}.")
        units = to_decimal(product.get("units"))
        if units is None or units <= 0:
            raise ScoringError(f"{where}.units", f"{where}.units phải là hệ số quy đổi lớn hơn 0.")
        counts = {key: _count(product, key, where) for key in PRODUCT_COUNTS}
        for excused, counted in (("excused_failed_reviews", "failed_reviews"), ("excused_delays", "delays")):
            if counts[excused] > counts[counted]:
                raise ScoringError(f"{where}.{excused}", f"{where}.{excused} không được lớn hơn {counted}.")
        failed = counts["failed_reviews"] - counts["excused_failed_reviews"]
        delays = counts["delays"] - counts["excused_delays"]
        done_units += units
        quality += units * max(Decimal(0), 1 - formula.quality_penalty * failed)
        timeliness += units * max(Decimal(0), 1 - formula.timeliness_penalty * delays)
    if not done_units:
        return dict.fromkeys(TASK_SHARES, Decimal(0))
    return {
        "quantity": min(done_units / assigned, formula.quantity_cap),
        "quality": quality / done_units,
        "timeliness": timeliness / done_units,
    }


def _leader_flag(leader_inputs: Mapping[str, Any], flags: Mapping[str, Any]) -> bool:
    key = "any_subordinate_unit_KHT"
    value = leader_inputs[key] if key in leader_inputs else flags.get(key)
    if not isinstance(value, bool):
        raise ScoringError(key, f"{key} phải là True/False (có đơn vị cấp dưới không hoàn thành nhiệm vụ hay không).")
    return value


def _computed_group(
    spec: FrameworkSpec,
    group: GroupSpec,
    *,
    variant: str,
    task_results: Mapping[str, Any] | None,
    products: Mapping[str, Any] | None,
    leader_inputs: Mapping[str, Any] | None,
    flags: Mapping[str, Any],
) -> tuple[Decimal, dict[str, Decimal]]:
    if (task_results is None) == (products is None):
        raise ScoringError("task_results", f"Nhóm {group.code}: cần đúng một trong task_results hoặc products.")
    shares = _shares_from_results(task_results) if products is None else _shares_from_products(spec, products)
    own = sum(shares.values(), Decimal(0)) / len(shares)
    leader = spec.leader_formula
    if variant != LEADER or leader is None:
        if leader_inputs is not None:
            raise ScoringError("leader_inputs", "leader_inputs chỉ dùng cho biến thể lãnh đạo có công thức riêng.")
        return group.max_points * own, shares
    if not isinstance(leader_inputs, Mapping):
        raise ScoringError(
            "leader_inputs", "Biến thể lãnh đạo cần leader_inputs (organising, any_subordinate_unit_KHT)."
        )
    for key in leader_inputs:
        if key not in LEADER_INPUTS:
            raise ScoringError(str(key), f"leader_inputs: khóa không hợp lệ “{key}” ({', '.join(LEADER_INPUTS)}).")
    if "organising" not in leader_inputs:
        raise ScoringError("organising", "leader_inputs: thiếu organising (0–1).")
    organising = _share(leader_inputs["organising"], "organising")
    any_kht = _leader_flag(leader_inputs, flags)
    unit = leader.unit_results_any_kht if any_kht else leader.unit_results_all_at_least_ht
    combined = leader.own_products * own + leader.unit_results * unit + leader.organising * organising
    return group.max_points * combined, {**shares, "own_products": own, "unit_results": unit, "organising": organising}


def split_leader_inputs(
    spec: FrameworkSpec, *, variant: str, task_results: Mapping[str, Any] | None
) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    """A form's stored task results → (the shares, the leader inputs).

    A form keeps one mapping per stage: the three shares and, for a leader scored with the
    framework's leader formula, `organising` (0–1) and `any_subordinate_unit_KHT` (True/False, False
    when not given: the unit-results component counts every subordinate unit at least HT until the
    decider says otherwise).
    """
    if not task_results:
        return None, (_default_leader_inputs() if needs_leader_inputs(spec, variant) else None)
    shares = {k: v for k, v in task_results.items() if k not in LEADER_INPUTS}
    if not needs_leader_inputs(spec, variant):
        extra = [k for k in task_results if k in LEADER_INPUTS]
        if extra:
            raise ScoringError(extra[0], f"{extra[0]} chỉ dùng cho biến thể lãnh đạo có công thức riêng.")
        return shares or None, None
    leader = {**_default_leader_inputs(), **{k: v for k, v in task_results.items() if k in LEADER_INPUTS}}
    return shares or None, leader


def _default_leader_inputs() -> dict[str, Any]:
    return {"any_subordinate_unit_KHT": False}


def needs_leader_inputs(spec: FrameworkSpec, variant: str) -> bool:
    """True for a leader scored with a computed task group and the framework's leader formula."""
    return variant == LEADER and spec.leader_formula is not None and any(g.is_computed for g in spec.groups)


def _triggered(rule: OverrideRule, value: Any) -> bool:
    if value is None:
        return False
    if rule.operator == "is_true":
        if not isinstance(value, bool):
            raise ScoringError(rule.flag, f"Cờ {rule.flag} phải là True/False, nhận được {value!r}.")
        return value
    number = to_decimal(value)
    if number is None:
        raise ScoringError(rule.flag, f"Cờ {rule.flag} phải là một số, nhận được {value!r}.")
    return _COMPARE[rule.operator](number, rule.threshold)


def _reason(rule: OverrideRule, before: str, after: str) -> str:
    condition = rule.label_vi or rule.flag
    if rule.threshold is not None:
        condition = f"{condition} {_OPERATOR_VI[rule.operator]} {vi_number(rule.threshold)}"
    effect = f"xếp loại tối đa {rule.target}" if rule.effect == "max_grade" else f"xếp loại {rule.target}"
    change = f"hạ từ {before} xuống {after}" if before != after else f"giữ {after}"
    return f"{condition}: {effect} ({change})."


def apply_overrides(
    spec: FrameworkSpec, *, grade: str, flags: Mapping[str, Any]
) -> tuple[str, tuple[tuple[str, str], ...]]:
    """Apply the rules whose condition holds, in order; each can only lower the grade.

    Every triggered rule is recorded, also when the grade was already at or below its target.
    Flags no rule reads are ignored; a missing flag means the condition does not hold.
    """
    applied: list[tuple[str, str]] = []
    for rule in spec.overrides:
        if _triggered(rule, flags.get(rule.flag)):
            lowered = spec.lower_grade(grade, rule.target)
            applied.append((rule.id, _reason(rule, grade, lowered)))
            grade = lowered
    return grade, tuple(applied)


def score(
    spec: FrameworkSpec,
    *,
    variant: str,
    points: Mapping[str, Any],
    task_results: Mapping[str, Any] | None = None,
    products: Mapping[str, Any] | None = None,
    flags: Mapping[str, Any] | None = None,
    leader_inputs: Mapping[str, Any] | None = None,
) -> ScoreResult:
    """Score one monthly form; raises ScoringError for the first invalid input."""
    errors = points_errors(spec, variant=variant, points=points)
    if errors:
        raise errors[0]
    flags = {} if flags is None else flags
    if not isinstance(flags, Mapping):
        raise ScoringError("flags", "flags phải là một bảng tên cờ → giá trị.")
    if not any(group.is_computed for group in spec.groups):
        for key, value in (("task_results", task_results), ("products", products), ("leader_inputs", leader_inputs)):
            if value is not None:
                raise ScoringError(key, f"Khung {spec.code} không có nhóm tính từ sản phẩm: không dùng {key}.")
    scored = (*criteria_for(spec, variant), *(d for d in spec.deductions if d.code in points))
    values = {c.code: Decimal(str(points[c.code]).strip()) for c in scored}  # validated above
    groups: dict[str, Decimal] = {}
    shares: dict[str, Decimal] | None = None
    for group in spec.groups:
        if group.is_computed:
            raw, shares = _computed_group(
                spec,
                group,
                variant=variant,
                task_results=task_results,
                products=products,
                leader_inputs=leader_inputs,
                flags=flags,
            )
            groups[group.code] = quantize_score(raw)
        else:
            groups[group.code] = sum((values[c.code] for c in group.criteria_for(variant)), Decimal(0))
    deductions = sum((values[d.code] for d in spec.deductions if d.code in values), Decimal(0))
    total = quantize_score(max(sum(groups.values(), Decimal(0)) - deductions, Decimal(0)))
    before = grade_for_total(spec, total)
    grade, applied = apply_overrides(spec, grade=before, flags=flags)
    return ScoreResult(
        total=total,
        grade=grade,
        grade_before_overrides=before,
        groups=FrozenMap(groups),
        criteria=FrozenMap(values),
        overrides=applied,
        task_shares=None
        if shares is None
        else FrozenMap({k: v.quantize(SHARE_QUANTUM, rounding=ROUND_HALF_UP) for k, v in shares.items()}),
        deductions=deductions,
    )
