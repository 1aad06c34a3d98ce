"""A framework version as frozen, database-free values: parse, serialise and validate it.

DOMAIN.md sections 3, 5 and 6. `spec_from_dict` reads the shared YAML sketches (after
`yaml.safe_load`) and the structured form written by `spec_to_dict`. Every number the YAML does not
state comes from `DEFAULTS`; nothing else in `kpi` holds a threshold, ratio or point value.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar

# Every default of a framework version: the only place for such literals in `kpi`.
DEFAULTS: dict[str, Any] = {
    "period": "monthly",
    "step": "0.5",
    "variants": ["STAFF", "LEADER"],
    "score_quantum": "0.01",  # totals and subtotals: 2 decimals, ROUND_HALF_UP
    "share_quantum": "0.0001",  # task shares as reported (the computation keeps full precision)
    "quota": {"rounding": "floor", "scope": ["unit"], "small_group": {"below": 0, "allowed": 0}},
    "quarterly": {"monthly_average": "0.6", "unit_result": "0.2", "sector_assessment": "0.2"},
    "annual": {
        "method": "mean_of_evaluated_months",
        "deadline": None,
        "levels": ["HTXS", "HTT", "HT", "KHT"],  # best first; bands map onto them in order
        "min_months_for_classification": "6",
        "off_work_cap": {"from_months": "3", "below_months": "6", "level": "HT"},
        "disciplined_level": "KHT",
        "not_classified": "NOT_CLASSIFIED",
        "not_classified_label_vi": "Không xếp loại",
        "quota": {
            "grade": "HTXS",
            "base": "count_of_grade:HTT",
            "ratio": "0.20",
            "scope": ["unit", "similar_task_group"],
            "rounding": "floor",
        },
    },
    "task_formula": {
        "quantity_cap": "1",
        "quality_penalty": "0.25",
        "timeliness_penalty": "0.25",
        "weight": "conversion_units",
        "combine": "mean",
    },
    "leader_formula": {
        "own_products": "0.5",
        "unit_results": "0.25",
        "organising": "0.25",
        "unit_results_all_at_least_ht": "1.0",
        "unit_results_any_kht": "0.5",
    },
    "flag_labels_vi": {
        "worked_share": "Tỷ lệ ngày làm việc thực tế trong tháng",
        "disciplined_in_period": "Bị kỷ luật trong kỳ đánh giá",
        "disciplined_reprimand_or_higher_in_year": "Bị kỷ luật từ khiển trách trở lên trong năm",
        "concluded_ideological_or_ethical_degradation": (
            "Bị kết luận suy thoái về tư tưởng chính trị, đạo đức, lối sống"
        ),
        "leader_unit_corruption_or_waste_handled": (
            "Để xảy ra tham nhũng, lãng phí bị xử lý tại cơ quan, đơn vị do mình quản lý"
        ),
    },
}

STAFF, LEADER = DEFAULTS["variants"]
SCOPE_UNIT = "unit"
SCOPE_SIMILAR_TASK_GROUP = "similar_task_group"
SCOPES = (SCOPE_UNIT, SCOPE_SIMILAR_TASK_GROUP)
BASE_RATED = "rated_in_unit"
BASE_COUNT_PREFIX = "count_of_grade:"
OPERATORS = ("is_true", "le", "lt", "ge", "gt")
EFFECTS = ("max_grade", "grade")
ROUNDINGS = ("floor", "round", "ceil")
COMPUTED_FROM_PRODUCTS = "products"
ANNUAL_METHODS = ("mean_of_evaluated_months",)
COMBINES = ("mean",)
WEIGHTS = ("conversion_units",)
SCORE_QUANTUM = Decimal(DEFAULTS["score_quantum"])
SHARE_QUANTUM = Decimal(DEFAULTS["share_quantum"])

K = TypeVar("K")
V = TypeVar("V")


class FrozenMap(Mapping[K, V]):
    """A read-only, hashable mapping that keeps insertion order (so specs stay frozen and hashable)."""

    def __init__(self, data: Mapping[K, V] | Iterable[tuple[K, V]] = ()) -> None:
        self._data: dict[K, V] = dict(data)

    def __getitem__(self, key: K) -> V:
        return self._data[key]

    def __iter__(self) -> Iterator[K]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __hash__(self) -> int:
        return hash(frozenset(self._data.items()))

    def __repr__(self) -> str:
        return f"FrozenMap({self._data!r})"


class SpecError(ValueError):
    """The framework data cannot be read (a missing key, a wrong type, an unknown formula)."""


@dataclass(frozen=True)
class CriterionSpec:
    code: str
    name_vi: str
    max_points: Decimal
    step: Decimal = Decimal(DEFAULTS["step"])


@dataclass(frozen=True)
class GroupSpec:
    code: str
    name_vi: str
    max_points: Decimal
    criteria: FrozenMap[str, tuple[CriterionSpec, ...]] = field(default_factory=FrozenMap)
    computed_from: str | None = None

    @property
    def is_computed(self) -> bool:
        return self.computed_from is not None

    def criteria_for(self, variant: str) -> tuple[CriterionSpec, ...]:
        return self.criteria.get(variant, ())


@dataclass(frozen=True)
class GradeBand:
    code: str
    min: Decimal
    label_vi: str


@dataclass(frozen=True)
class OverrideRule:
    id: str
    flag: str
    operator: str
    threshold: Decimal | None
    effect: str
    target: str
    label_vi: str = ""


@dataclass(frozen=True)
class QuotaRule:
    grade: str
    base: str
    ratio: Decimal
    exception_ratio: Decimal | None = None
    exception_requires_justification: bool = False
    rounding: str = DEFAULTS["quota"]["rounding"]
    small_group_below: int = DEFAULTS["quota"]["small_group"]["below"]
    small_group_allowed: int = DEFAULTS["quota"]["small_group"]["allowed"]
    scope: tuple[str, ...] = tuple(DEFAULTS["quota"]["scope"])

    @property
    def base_grade(self) -> str | None:
        """The grade counted as the base (`count_of_grade:HTT` → `HTT`), None for `rated_in_unit`."""
        return self.base.removeprefix(BASE_COUNT_PREFIX) if self.base.startswith(BASE_COUNT_PREFIX) else None


@dataclass(frozen=True)
class AnnualRule:
    method: str
    deadline: tuple[int, int] | None  # (month, day)
    levels: tuple[str, ...]  # best first
    level_map: FrozenMap[str, str]  # monthly grade code → annual level code
    quota: QuotaRule
    min_months_for_classification: Decimal = Decimal(DEFAULTS["annual"]["min_months_for_classification"])
    off_work_cap_from: Decimal = Decimal(DEFAULTS["annual"]["off_work_cap"]["from_months"])
    off_work_cap_below: Decimal = Decimal(DEFAULTS["annual"]["off_work_cap"]["below_months"])
    off_work_cap_level: str = DEFAULTS["annual"]["off_work_cap"]["level"]
    disciplined_level: str = DEFAULTS["annual"]["disciplined_level"]
    not_classified: str = DEFAULTS["annual"]["not_classified"]
    not_classified_label_vi: str = DEFAULTS["annual"]["not_classified_label_vi"]


@dataclass(frozen=True)
class TaskFormula:
    """Task results from converted products (ND 335): three shares in 0..1, combined into the group."""

    quantity_cap: Decimal
    quality_penalty: Decimal  # share of quality lost per failed review
    timeliness_penalty: Decimal  # share of timeliness lost per delay
    weight: str = DEFAULTS["task_formula"]["weight"]
    combine: str = DEFAULTS["task_formula"]["combine"]


@dataclass(frozen=True)
class LeaderFormula:
    own_products: Decimal
    unit_results: Decimal
    organising: Decimal
    unit_results_all_at_least_ht: Decimal
    unit_results_any_kht: Decimal


@dataclass(frozen=True)
class QuarterlyWeights:
    monthly_average: Decimal
    unit_result: Decimal
    sector_assessment: Decimal


@dataclass(frozen=True)
class FrameworkSpec:
    code: str
    name_vi: str
    legal_ref: str
    effective_from: date
    applies_to: tuple[str, ...]
    period: str
    scale_max: Decimal
    groups: tuple[GroupSpec, ...]
    grades: tuple[GradeBand, ...]
    annual: AnnualRule
    quarterly: QuarterlyWeights
    deductions: tuple[CriterionSpec, ...] = ()
    overrides: tuple[OverrideRule, ...] = ()
    quota: QuotaRule | None = None
    task_formula: TaskFormula | None = None
    leader_formula: LeaderFormula | None = None

    @property
    def variants(self) -> tuple[str, ...]:
        """Variants in order of first appearance across the groups (STAFF, LEADER for both versions)."""
        seen: dict[str, None] = {}
        for group in self.groups:
            seen.update(dict.fromkeys(group.criteria))
        return tuple(seen)

    def band(self, code: str) -> GradeBand:
        for band in self.grades:
            if band.code == code:
                return band
        raise KeyError(code)

    def annual_level_labels(self) -> dict[str, str]:
        """{annual level code: the Vietnamese label people read}, best first, then "not classified".

        A level is labelled by the best grade band mapped onto it (A→HTXS: "Hoàn thành xuất sắc
        nhiệm vụ"); a level no band maps onto keeps its code."""
        labels: dict[str, str] = {}
        for band in sorted(self.grades, key=lambda b: b.min, reverse=True):
            level = self.annual.level_map.get(band.code)
            if level and level not in labels and band.label_vi:
                labels[level] = band.label_vi
        out = {level: labels.get(level, level) for level in self.annual.levels}
        out[self.annual.not_classified] = self.annual.not_classified_label_vi
        return out

    def lower_grade(self, first: str, second: str) -> str:
        """The lower of two grade codes (by band minimum)."""
        return first if self.band(first).min <= self.band(second).min else second


# --- parsing -----------------------------------------------------------------------------------

_NUMBER = r"(\d+(?:\.\d+)?)"
_WHEN_COMPARE = re.compile(r"^(?P<flag>[a-z][a-z0-9_]*?)_(?P<op>le|lt|ge|gt)_(?P<num>\d+(?:_\d+)?)$")
_QUANTITY = re.compile(rf"^min\(\s*done_units\s*/\s*assigned_units\s*,\s*{_NUMBER}\s*\)$")
_PENALTY = r"^weighted mean over done products of max\(\s*0\s*,\s*1\s*-\s*{num}\s*\*\s*{count}\s*\)$"
_QUALITY = re.compile(_PENALTY.format(num=_NUMBER, count="failed_reviews"))
_TIMELINESS = re.compile(_PENALTY.format(num=_NUMBER, count="delays"))
_COMBINE_MEAN = re.compile(rf"^{_NUMBER}\s*\*\s*\(\s*quantity\s*\+\s*quality\s*\+\s*timeliness\s*\)\s*/\s*3$")
_TERM = re.compile(rf"^{_NUMBER}\s*\*\s*([a-z_]+)$")
_YAML_UNIT_RESULTS = {
    "all_subordinate_units_at_least_HT": "unit_results_all_at_least_ht",
    "any_subordinate_unit_KHT": "unit_results_any_kht",
}


def vi_number(value: Decimal | int | str) -> str:
    """A number as the Vietnamese messages write it: decimal comma (0,5; 91,25)."""
    return str(value).replace(".", ",")


def _dec(value: Any, where: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | float | str | Decimal):
        raise SpecError(f"{where}: cần một số, nhận được {value!r}.")
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        raise SpecError(f"{where}: cần một số, nhận được {value!r}.") from None
    if not number.is_finite():
        raise SpecError(f"{where}: cần một số hữu hạn, nhận được {value!r}.")
    return number


def _opt_dec(value: Any, where: str) -> Decimal | None:
    return None if value is None else _dec(value, where)


def _int(value: Any, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise SpecError(f"{where}: cần một số nguyên, nhận được {value!r}.")
    return value


def _req(data: Mapping[str, Any], key: str, where: str) -> Any:
    if not isinstance(data, Mapping):
        raise SpecError(f"{where}: cần một bảng khóa–giá trị, nhận được {data!r}.")
    if key not in data:
        raise SpecError(f"{where}: thiếu khóa “{key}”.")
    return data[key]


def _list(value: Any, where: str) -> list[Any]:
    if not isinstance(value, list | tuple):
        raise SpecError(f"{where}: cần một danh sách, nhận được {value!r}.")
    return list(value)


def _date(value: Any, where: str) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise SpecError(f"{where}: ngày không hợp lệ {value!r} (cần YYYY-MM-DD).") from None


def _match(pattern: re.Pattern[str], text: Any, where: str) -> re.Match[str]:
    found = pattern.match(" ".join(str(text).split()))
    if not found:
        raise SpecError(f"{where}: công thức không được hỗ trợ: {text!r}.")
    return found


def _criterion(data: Mapping[str, Any], where: str) -> CriterionSpec:
    return CriterionSpec(
        code=str(_req(data, "code", where)),
        name_vi=str(data.get("name_vi", "")),
        max_points=_dec(_req(data, "max_points", where), f"{where}.max_points"),
        step=_dec(data.get("step", DEFAULTS["step"]), f"{where}.step"),
    )


def _criteria(items: Any, where: str) -> tuple[CriterionSpec, ...]:
    return tuple(_criterion(item, f"{where}[{i}]") for i, item in enumerate(_list(items, where)))


def _group(data: Mapping[str, Any], where: str) -> GroupSpec:
    code = str(_req(data, "code", where))
    computed_from = data.get("computed_from")
    if "variants" in data:
        variants = _req(data, "variants", where)
        if not isinstance(variants, Mapping):
            raise SpecError(f"{where}.variants: cần một bảng biến thể → tiêu chí.")
        criteria = {str(v): _criteria(items, f"{where}.variants.{v}") for v, items in variants.items()}
    elif "criteria" in data:
        shared = _criteria(data["criteria"], f"{where}.criteria")
        criteria = dict.fromkeys(DEFAULTS["variants"], shared)
    elif computed_from is not None:
        criteria = {}
    else:
        raise SpecError(f"{where}: nhóm {code} cần “criteria”, “variants” hoặc “computed_from”.")
    return GroupSpec(
        code=code,
        name_vi=str(data.get("name_vi", "")),
        max_points=_dec(_req(data, "max_points", where), f"{where}.max_points"),
        criteria=FrozenMap(criteria),
        computed_from=None if computed_from is None else str(computed_from),
    )


def _band(data: Mapping[str, Any], where: str) -> GradeBand:
    return GradeBand(
        code=str(_req(data, "code", where)),
        min=_dec(_req(data, "min", where), f"{where}.min"),
        label_vi=str(data.get("label_vi", "")),
    )


def _override(data: Mapping[str, Any], where: str) -> OverrideRule:
    labels = DEFAULTS["flag_labels_vi"]
    if "id" in data:  # structured (round-trip) form
        flag = str(_req(data, "flag", where))
        return OverrideRule(
            id=str(data["id"]),
            flag=flag,
            operator=str(_req(data, "operator", where)),
            threshold=_opt_dec(data.get("threshold"), f"{where}.threshold"),
            effect=str(_req(data, "effect", where)),
            target=str(_req(data, "target", where)),
            label_vi=str(data.get("label_vi", labels.get(flag, ""))),
        )
    when = str(_req(data, "when", where))
    effects = [effect for effect in EFFECTS if effect in data]
    if len(effects) != 1:
        raise SpecError(f"{where}: cần đúng một trong {', '.join(EFFECTS)}.")
    compare = _WHEN_COMPARE.match(when)
    if compare:
        flag, operator, threshold = compare["flag"], compare["op"], _dec(compare["num"].replace("_", "."), where)
    else:
        flag, operator, threshold = when, "is_true", None
    return OverrideRule(
        id=when,
        flag=flag,
        operator=operator,
        threshold=threshold,
        effect=effects[0],
        target=str(data[effects[0]]),
        label_vi=str(data.get("label_vi", labels.get(flag, ""))),
    )


def _quota(data: Mapping[str, Any], where: str) -> QuotaRule:
    base = str(_req(data, "base", where))
    if base != BASE_RATED:
        grade = re.sub(r"^count_of_grade[_:]", "", base)
        if grade == base or not grade:
            raise SpecError(f"{where}.base: không hiểu cơ sở tính tỷ lệ {base!r}.")
        base = BASE_COUNT_PREFIX + grade
    exception = data.get("exception")
    small_group = {**DEFAULTS["quota"]["small_group"], **(data.get("small_group") or {})}
    return QuotaRule(
        grade=str(_req(data, "grade", where)),
        base=base,
        ratio=_dec(_req(data, "ratio", where), f"{where}.ratio"),
        exception_ratio=None if exception is None else _dec(_req(exception, "ratio", f"{where}.exception"), where),
        exception_requires_justification=bool(exception and exception.get("requires_justification", False)),
        rounding=str(data.get("rounding", DEFAULTS["quota"]["rounding"])),
        small_group_below=_int(small_group["below"], f"{where}.small_group.below"),
        small_group_allowed=_int(small_group["allowed"], f"{where}.small_group.allowed"),
        scope=tuple(str(s) for s in _list(data.get("scope", DEFAULTS["quota"]["scope"]), f"{where}.scope")),
    )


def _deadline(value: Any, where: str) -> tuple[int, int] | None:
    if value is None:
        return None
    found = re.fullmatch(r"(\d{1,2})-(\d{1,2})", str(value))
    if not found:
        raise SpecError(f"{where}: hạn không hợp lệ {value!r} (cần MM-DD).")
    month, day = int(found[1]), int(found[2])
    try:
        date(2000, month, day)  # a leap year, so 02-29 is accepted
    except ValueError:
        raise SpecError(f"{where}: hạn không hợp lệ {value!r} (cần MM-DD).") from None
    return month, day


def _annual(data: Mapping[str, Any], grades: tuple[GradeBand, ...], where: str) -> AnnualRule:
    defaults = DEFAULTS["annual"]
    levels = tuple(str(level) for level in _list(data.get("levels", defaults["levels"]), f"{where}.levels"))
    if "level_map" in data:
        level_map = {str(grade): str(level) for grade, level in _req(data, "level_map", where).items()}
    else:
        if data.get("bands", "grades") != "grades":
            raise SpecError(f"{where}.bands: chỉ hỗ trợ “grades”.")
        ordered = sorted(grades, key=lambda band: band.min, reverse=True)
        if len(ordered) != len(levels):
            raise SpecError(f"{where}: không ghép được {len(ordered)} mức xếp loại với {len(levels)} mức năm.")
        level_map = {band.code: level for band, level in zip(ordered, levels, strict=True)}
    cap = {**defaults["off_work_cap"], **(data.get("off_work_cap") or {})}
    return AnnualRule(
        method=str(data.get("method", defaults["method"])),
        deadline=_deadline(data.get("deadline", defaults["deadline"]), f"{where}.deadline"),
        levels=levels,
        level_map=FrozenMap(level_map),
        quota=_quota(data.get("quota", defaults["quota"]), f"{where}.quota"),
        min_months_for_classification=_dec(
            data.get("min_months_for_classification", defaults["min_months_for_classification"]),
            f"{where}.min_months_for_classification",
        ),
        off_work_cap_from=_dec(cap["from_months"], f"{where}.off_work_cap.from_months"),
        off_work_cap_below=_dec(cap["below_months"], f"{where}.off_work_cap.below_months"),
        off_work_cap_level=str(cap["level"]),
        disciplined_level=str(data.get("disciplined_level", defaults["disciplined_level"])),
        not_classified=str(data.get("not_classified", defaults["not_classified"])),
        not_classified_label_vi=str(data.get("not_classified_label_vi", defaults["not_classified_label_vi"])),
    )


def _task_formula_structured(data: Mapping[str, Any], where: str) -> TaskFormula:
    merged = {**DEFAULTS["task_formula"], **data}
    return TaskFormula(
        quantity_cap=_dec(merged["quantity_cap"], f"{where}.quantity_cap"),
        quality_penalty=_dec(merged["quality_penalty"], f"{where}.quality_penalty"),
        timeliness_penalty=_dec(merged["timeliness_penalty"], f"{where}.timeliness_penalty"),
        weight=str(merged["weight"]),
        combine=str(merged["combine"]),
    )


def _task_formula_yaml(data: Mapping[str, Any], group_max: Decimal, where: str) -> TaskFormula:
    """The `products:` block of the shared YAML: formula strings of the shapes the decree describes."""
    parsed: dict[str, Any] = {}
    if "quantity" in data:
        parsed["quantity_cap"] = _match(_QUANTITY, data["quantity"], f"{where}.quantity")[1]
    if "quality" in data:
        parsed["quality_penalty"] = _match(_QUALITY, data["quality"], f"{where}.quality")[1]
    if "timeliness" in data:
        parsed["timeliness_penalty"] = _match(_TIMELINESS, data["timeliness"], f"{where}.timeliness")[1]
    if "weight" in data:
        parsed["weight"] = data["weight"]
    if "combine" in data:
        factor = _dec(_match(_COMBINE_MEAN, data["combine"], f"{where}.combine")[1], f"{where}.combine")
        if factor != group_max:
            raise SpecError(f"{where}.combine: hệ số {factor} phải bằng điểm tối đa của nhóm {group_max}.")
        parsed["combine"] = "mean"
    return _task_formula_structured(parsed, where)


def _leader_formula_structured(data: Mapping[str, Any], where: str) -> LeaderFormula:
    merged = {**DEFAULTS["leader_formula"], **data}
    return LeaderFormula(**{key: _dec(merged[key], f"{where}.{key}") for key in DEFAULTS["leader_formula"]})


def _leader_formula_yaml(data: Mapping[str, Any], where: str) -> LeaderFormula:
    parsed: dict[str, Any] = {}
    if "combine" in data:
        for term in str(data["combine"]).split("+"):
            weight, name = _match(_TERM, term, f"{where}.combine").groups()
            if name not in ("own_products", "unit_results", "organising"):
                raise SpecError(f"{where}.combine: thành phần không được hỗ trợ {name!r}.")
            parsed[name] = weight
    for yaml_key, key in _YAML_UNIT_RESULTS.items():
        if yaml_key in (data.get("unit_results") or {}):
            parsed[key] = data["unit_results"][yaml_key]
    return _leader_formula_structured(parsed, where)


def _formulas(data: Mapping[str, Any]) -> tuple[TaskFormula | None, LeaderFormula | None]:
    task: TaskFormula | None = None
    leader: LeaderFormula | None = None
    for i, group in enumerate(data["groups"]):
        if group.get("computed_from") == COMPUTED_FROM_PRODUCTS:
            where = f"groups[{i}]"
            group_max = _dec(group["max_points"], f"{where}.max_points")
            task = _task_formula_yaml(group.get("products") or {}, group_max, f"{where}.products")
            if group.get("leader") is not None:
                leader = _leader_formula_yaml(group["leader"], f"{where}.leader")
    if "task_formula" in data:
        task = None if data["task_formula"] is None else _task_formula_structured(data["task_formula"], "task_formula")
    if "leader_formula" in data:
        raw = data["leader_formula"]
        leader = None if raw is None else _leader_formula_structured(raw, "leader_formula")
    return task, leader


def spec_from_dict(data: Mapping[str, Any]) -> FrameworkSpec:
    """Build a spec from the shared-YAML form or from the structured form of `spec_to_dict`."""
    groups = tuple(_group(g, f"groups[{i}]") for i, g in enumerate(_list(_req(data, "groups", "framework"), "groups")))
    grades = tuple(_band(b, f"grades[{i}]") for i, b in enumerate(_list(_req(data, "grades", "framework"), "grades")))
    task_formula, leader_formula = _formulas(data)
    quarterly = {**DEFAULTS["quarterly"], **(data.get("quarterly") or {})}
    return FrameworkSpec(
        code=str(_req(data, "code", "framework")),
        name_vi=str(data.get("name_vi", "")),
        legal_ref=str(data.get("legal_ref", "")),
        effective_from=_date(_req(data, "effective_from", "framework"), "effective_from"),
        applies_to=tuple(str(s) for s in _list(data.get("applies_to", []), "applies_to")),
        period=str(data.get("period", DEFAULTS["period"])),
        scale_max=_dec(_req(data, "scale_max", "framework"), "scale_max"),
        groups=groups,
        grades=grades,
        annual=_annual(data.get("annual") or {}, grades, "annual"),
        quarterly=QuarterlyWeights(**{k: _dec(quarterly[k], f"quarterly.{k}") for k in DEFAULTS["quarterly"]}),
        deductions=_criteria(data.get("deductions") or [], "deductions"),
        overrides=tuple(_override(o, f"overrides[{i}]") for i, o in enumerate(data.get("overrides") or [])),
        quota=None if data.get("quota") is None else _quota(data["quota"], "quota"),
        task_formula=task_formula,
        leader_formula=leader_formula,
    )


# --- serialising -------------------------------------------------------------------------------


def _criterion_dict(criterion: CriterionSpec) -> dict[str, Any]:
    return {
        "code": criterion.code,
        "name_vi": criterion.name_vi,
        "max_points": str(criterion.max_points),
        "step": str(criterion.step),
    }


def _quota_dict(rule: QuotaRule) -> dict[str, Any]:
    exception = None
    if rule.exception_ratio is not None:
        exception = {
            "ratio": str(rule.exception_ratio),
            "requires_justification": rule.exception_requires_justification,
        }
    return {
        "grade": rule.grade,
        "base": rule.base,
        "ratio": str(rule.ratio),
        "exception": exception,
        "rounding": rule.rounding,
        "small_group": {"below": rule.small_group_below, "allowed": rule.small_group_allowed},
        "scope": list(rule.scope),
    }


def _as_strings(obj: Any) -> dict[str, str]:
    """A flat dataclass of Decimals and codes as a dict of strings."""
    return {name: str(getattr(obj, name)) for name in obj.__dataclass_fields__}


def spec_to_dict(spec: FrameworkSpec) -> dict[str, Any]:
    """A JSON-serialisable structured form (Decimals as strings) that `spec_from_dict` reads back."""
    annual = spec.annual
    return {
        "code": spec.code,
        "name_vi": spec.name_vi,
        "legal_ref": spec.legal_ref,
        "effective_from": spec.effective_from.isoformat(),
        "applies_to": list(spec.applies_to),
        "period": spec.period,
        "scale_max": str(spec.scale_max),
        "groups": [
            {
                "code": group.code,
                "name_vi": group.name_vi,
                "max_points": str(group.max_points),
                "variants": {v: [_criterion_dict(c) for c in items] for v, items in group.criteria.items()},
                "computed_from": group.computed_from,
            }
            for group in spec.groups
        ],
        "deductions": [_criterion_dict(c) for c in spec.deductions],
        "grades": [{"code": b.code, "min": str(b.min), "label_vi": b.label_vi} for b in spec.grades],
        "overrides": [
            {
                "id": rule.id,
                "flag": rule.flag,
                "operator": rule.operator,
                "threshold": None if rule.threshold is None else str(rule.threshold),
                "effect": rule.effect,
                "target": rule.target,
                "label_vi": rule.label_vi,
            }
            for rule in spec.overrides
        ],
        "quota": None if spec.quota is None else _quota_dict(spec.quota),
        "annual": {
            "method": annual.method,
            "deadline": None if annual.deadline is None else "{:02d}-{:02d}".format(*annual.deadline),
            "levels": list(annual.levels),
            "level_map": dict(annual.level_map),
            "quota": _quota_dict(annual.quota),
            "min_months_for_classification": str(annual.min_months_for_classification),
            "off_work_cap": {
                "from_months": str(annual.off_work_cap_from),
                "below_months": str(annual.off_work_cap_below),
                "level": annual.off_work_cap_level,
            },
            "disciplined_level": annual.disciplined_level,
            "not_classified": annual.not_classified,
            # Only when it differs from the default, so existing stored specs stay byte-identical.
            **(
                {"not_classified_label_vi": annual.not_classified_label_vi}
                if annual.not_classified_label_vi != DEFAULTS["annual"]["not_classified_label_vi"]
                else {}
            ),
        },
        "quarterly": _as_strings(spec.quarterly),
        "task_formula": None if spec.task_formula is None else _as_strings(spec.task_formula),
        "leader_formula": None if spec.leader_formula is None else _as_strings(spec.leader_formula),
    }


# --- validating --------------------------------------------------------------------------------


def _share_ok(value: Decimal) -> bool:
    return Decimal(0) <= value <= Decimal(1)


def _validate_criteria(spec: FrameworkSpec) -> list[str]:
    errors: list[str] = []
    variants = spec.variants
    owner: dict[str, tuple[str, CriterionSpec]] = {}  # criterion code → (group code, definition)
    for group in spec.groups:
        if group.is_computed:
            if group.computed_from != COMPUTED_FROM_PRODUCTS:
                errors.append(f"Nhóm {group.code}: không hỗ trợ cách tính “{group.computed_from}”.")
            elif spec.task_formula is None:
                errors.append(f"Nhóm {group.code}: tính từ sản phẩm nhưng khung không có công thức sản phẩm.")
            if group.criteria:
                errors.append(f"Nhóm {group.code}: nhóm tính tự động không được có tiêu chí chấm điểm.")
            continue
        for variant in variants:
            if variant not in group.criteria:
                errors.append(f"Nhóm {group.code}: thiếu tiêu chí cho biến thể {variant}.")
        for variant, items in group.criteria.items():
            total = sum((c.max_points for c in items), Decimal(0))
            if total != group.max_points:
                errors.append(
                    f"Nhóm {group.code} (biến thể {variant}): tổng điểm tối đa các tiêu chí là {total}, "
                    f"khác điểm tối đa của nhóm {group.max_points}."
                )
            seen_here: set[str] = set()
            for criterion in items:
                if criterion.code in seen_here:
                    errors.append(f"Mã tiêu chí {criterion.code} bị trùng trong nhóm {group.code} ({variant}).")
                seen_here.add(criterion.code)
                previous = owner.setdefault(criterion.code, (group.code, criterion))
                if previous != (group.code, criterion):
                    errors.append(f"Mã tiêu chí {criterion.code} bị trùng (nhóm {previous[0]} và {group.code}).")
    for deduction in spec.deductions:
        if deduction.code in owner:
            errors.append(f"Mã điểm trừ {deduction.code} trùng với mã tiêu chí.")
        owner[deduction.code] = ("", deduction)
    for _, criterion in owner.values():
        if criterion.step <= 0:
            errors.append(f"Tiêu chí {criterion.code}: bước điểm {criterion.step} phải lớn hơn 0.")
        elif criterion.max_points <= 0 or criterion.max_points % criterion.step != 0:
            errors.append(
                f"Tiêu chí {criterion.code}: điểm tối đa {criterion.max_points} phải dương "
                f"và là bội số của bước điểm {criterion.step}."
            )
    return errors


def _validate_groups(spec: FrameworkSpec) -> list[str]:
    errors: list[str] = []
    codes = [group.code for group in spec.groups]
    errors += [f"Mã nhóm tiêu chí {code} bị trùng." for code in sorted({c for c in codes if codes.count(c) > 1})]
    total = sum((group.max_points for group in spec.groups), Decimal(0))
    if total != spec.scale_max:
        errors.append(f"Tổng điểm tối đa các nhóm là {total}, khác thang điểm {spec.scale_max}.")
    return errors


def _validate_grades(spec: FrameworkSpec) -> list[str]:
    if not spec.grades:
        return ["Khung chưa có mức xếp loại nào."]
    errors: list[str] = []
    codes = [band.code for band in spec.grades]
    errors += [f"Mã mức xếp loại {code} bị trùng." for code in sorted({c for c in codes if codes.count(c) > 1})]
    mins = [band.min for band in spec.grades]
    if any(higher <= lower for higher, lower in zip(mins, mins[1:], strict=False)):
        errors.append("Các mức xếp loại phải xếp theo điểm tối thiểu giảm dần, không trùng nhau.")
    if min(mins) != 0:
        errors.append(f"Mức xếp loại thấp nhất phải bắt đầu từ 0 điểm (hiện là {min(mins)}).")
    if max(mins) > spec.scale_max:
        errors.append(f"Điểm tối thiểu cao nhất {max(mins)} vượt thang điểm {spec.scale_max}.")
    return errors


def _validate_quota(rule: QuotaRule, codes: Iterable[str], label: str) -> list[str]:
    codes = set(codes)
    errors: list[str] = []
    if rule.grade not in codes:
        errors.append(f"{label}: mức {rule.grade} không có trong khung.")
    if rule.base != BASE_RATED and rule.base_grade not in codes:
        errors.append(f"{label}: cơ sở tính “{rule.base}” dùng mức không có trong khung.")
    if not _share_ok(rule.ratio):
        errors.append(f"{label}: tỷ lệ {rule.ratio} phải nằm trong khoảng 0–1.")
    if rule.exception_ratio is not None and not rule.ratio <= rule.exception_ratio <= 1:
        errors.append(f"{label}: tỷ lệ ngoại lệ {rule.exception_ratio} phải từ {rule.ratio} đến 1.")
    if rule.rounding not in ROUNDINGS:
        errors.append(f"{label}: cách làm tròn “{rule.rounding}” không hợp lệ ({', '.join(ROUNDINGS)}).")
    if rule.small_group_below < 0 or rule.small_group_allowed < 0:
        errors.append(f"{label}: ngưỡng nhóm nhỏ không được âm.")
    if not rule.scope or any(scope not in SCOPES for scope in rule.scope):
        errors.append(f"{label}: phạm vi {list(rule.scope)} không hợp lệ ({', '.join(SCOPES)}).")
    return errors


def _validate_overrides(spec: FrameworkSpec) -> list[str]:
    errors: list[str] = []
    codes = {band.code for band in spec.grades}
    for rule in spec.overrides:
        if rule.target not in codes:
            errors.append(f"Quy tắc {rule.id}: mức xếp loại đích {rule.target} không có trong khung.")
        if rule.effect not in EFFECTS:
            errors.append(f"Quy tắc {rule.id}: tác động “{rule.effect}” không hợp lệ ({', '.join(EFFECTS)}).")
        if rule.operator not in OPERATORS:
            errors.append(f"Quy tắc {rule.id}: phép so sánh “{rule.operator}” không hợp lệ.")
        elif (rule.operator == "is_true") != (rule.threshold is None):
            errors.append(f"Quy tắc {rule.id}: ngưỡng chỉ dùng (và bắt buộc) với phép so sánh số.")
    return errors


def _validate_formulas(spec: FrameworkSpec) -> list[str]:
    errors: list[str] = []
    task = spec.task_formula
    if task is not None:
        if not all(_share_ok(v) for v in (task.quantity_cap, task.quality_penalty, task.timeliness_penalty)):
            errors.append("Công thức sản phẩm: mức trần và mức trừ phải nằm trong khoảng 0–1.")
        if task.weight not in WEIGHTS or task.combine not in COMBINES:
            errors.append(f"Công thức sản phẩm: không hỗ trợ trọng số “{task.weight}” hoặc cách gộp “{task.combine}”.")
    leader = spec.leader_formula
    if leader is not None:
        if leader.own_products + leader.unit_results + leader.organising != 1:
            errors.append("Công thức lãnh đạo: tổng các trọng số phải bằng 1.")
        values = (leader.unit_results_all_at_least_ht, leader.unit_results_any_kht)
        if not all(_share_ok(v) for v in (leader.own_products, leader.unit_results, leader.organising, *values)):
            errors.append("Công thức lãnh đạo: trọng số và giá trị phải nằm trong khoảng 0–1.")
    weights = spec.quarterly
    parts = (weights.monthly_average, weights.unit_result, weights.sector_assessment)
    if any(part < 0 for part in parts) or sum(parts) != 1:
        errors.append("Trọng số xếp loại quý phải không âm và có tổng bằng 1.")
    return errors


def _validate_annual(spec: FrameworkSpec) -> list[str]:
    rule = spec.annual
    errors: list[str] = []
    if rule.method not in ANNUAL_METHODS:
        errors.append(f"Xếp loại năm: phương pháp “{rule.method}” không được hỗ trợ.")
    levels = set(rule.levels)
    if set(rule.level_map) != {band.code for band in spec.grades}:
        errors.append("Xếp loại năm: bảng quy đổi phải có đúng các mức xếp loại của khung.")
    if not set(rule.level_map.values()) <= levels:
        errors.append("Xếp loại năm: bảng quy đổi dùng mức năm không có trong danh sách mức.")
    for code in (rule.off_work_cap_level, rule.disciplined_level):
        if code not in levels:
            errors.append(f"Xếp loại năm: mức {code} không có trong danh sách mức năm.")
    if rule.not_classified in levels:
        errors.append(f"Xếp loại năm: mã “{rule.not_classified}” trùng với một mức năm.")
    if not 0 <= rule.off_work_cap_from <= rule.off_work_cap_below or rule.min_months_for_classification < 0:
        errors.append("Xếp loại năm: số tháng nghỉ việc hoặc số tháng tối thiểu không hợp lệ.")
    return errors + _validate_quota(rule.quota, rule.levels, "Tỷ lệ xếp loại năm")


def validate_spec(spec: FrameworkSpec) -> list[str]:
    """Every inconsistency of a framework version, as Vietnamese messages (empty when valid)."""
    errors = _validate_groups(spec) + _validate_criteria(spec) + _validate_grades(spec)
    if spec.quota is not None:
        errors += _validate_quota(spec.quota, (band.code for band in spec.grades), "Tỷ lệ khống chế")
        top = max(spec.grades, key=lambda band: band.min, default=None)
        if top is not None and spec.quota.grade in {band.code for band in spec.grades} and spec.quota.grade != top.code:
            errors.append(
                f"Tỷ lệ khống chế: áp dụng cho mức {spec.quota.grade}, nhưng mức cao nhất là {top.code}; "
                f"mức {top.code} sẽ không bị khống chế. Hãy chọn mức cao nhất."
            )
    return errors + _validate_overrides(spec) + _validate_formulas(spec) + _validate_annual(spec)
