"""Grade quotas (at most a share of a unit may get the top grade), checked over plain grade lists.

DOMAIN.md sections 3 and 6. The rule, its ratio, rounding and small-group allowance come from a
`kpi.spec.QuotaRule`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable, Iterable
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_UP, Decimal

from kpi.spec import BASE_RATED, SCOPE_SIMILAR_TASK_GROUP, SCOPE_UNIT, QuotaRule

_ROUNDING = {"floor": ROUND_FLOOR, "round": ROUND_HALF_UP, "ceil": ROUND_CEILING}


class QuotaError(ValueError):
    """The quota cannot be applied as asked (e.g. an exception the rule does not have)."""


@dataclass(frozen=True)
class QuotaResult:
    allowed: int  # how many may get the grade
    count: int  # how many got it
    base: int  # what the ratio applies to (people rated, or people with the base grade)
    ok: bool
    ratio_used: Decimal
    rated: int = 0  # people rated in the scope
    justification_required: bool = False  # the exception ratio was used and needs a written reason

    @property
    def over(self) -> int:
        return max(0, self.count - self.allowed)


@dataclass(frozen=True)
class QuotaReport:
    """The quota in every scope the rule names: the whole unit and each similar-task group."""

    unit: QuotaResult | None
    groups: dict[Hashable, QuotaResult]

    @property
    def ok(self) -> bool:
        return (self.unit is None or self.unit.ok) and all(result.ok for result in self.groups.values())


def _ratio(rule: QuotaRule, exception: bool) -> Decimal:
    if not exception:
        return rule.ratio
    if rule.exception_ratio is None:
        raise QuotaError(f"Tỷ lệ khống chế mức {rule.grade} không có trường hợp ngoại lệ.")
    return rule.exception_ratio


def check_quota(rule: QuotaRule, grades: Iterable[str | None], *, exception: bool = False) -> QuotaResult:
    """Check the quota over the grades of the people rated in one scope (None = not rated, skipped)."""
    rated = [grade for grade in grades if grade is not None]
    ratio = _ratio(rule, exception)
    base = len(rated) if rule.base == BASE_RATED else rated.count(rule.base_grade)
    allowed = int((ratio * base).quantize(Decimal(1), rounding=_ROUNDING[rule.rounding]))
    if len(rated) < rule.small_group_below:
        allowed = max(allowed, rule.small_group_allowed)
    count = rated.count(rule.grade)
    return QuotaResult(
        allowed=allowed,
        count=count,
        base=base,
        ok=count <= allowed,
        ratio_used=ratio,
        rated=len(rated),
        justification_required=exception and rule.exception_requires_justification,
    )


def check_quota_by_group(
    rule: QuotaRule, rows: Iterable[tuple[Hashable, str | None]], *, exception: bool = False
) -> dict[Hashable, QuotaResult]:
    """The quota within each similar-task group; rows are (group label, grade), a None label is skipped."""
    grouped: dict[Hashable, list[str | None]] = defaultdict(list)
    for label, grade in rows:
        if label is not None:
            grouped[label].append(grade)
    return {label: check_quota(rule, grades, exception=exception) for label, grades in grouped.items()}


def check_quota_scopes(
    rule: QuotaRule, rows: Iterable[tuple[Hashable, str | None]], *, exception: bool = False
) -> QuotaReport:
    """The quota in every scope of the rule, over the (group label, grade) rows of one unit."""
    rows = list(rows)
    unit = check_quota(rule, (grade for _, grade in rows), exception=exception) if SCOPE_UNIT in rule.scope else None
    groups = check_quota_by_group(rule, rows, exception=exception) if SCOPE_SIMILAR_TASK_GROUP in rule.scope else {}
    return QuotaReport(unit=unit, groups=groups)


def over_quota(rule: QuotaRule, grades: Iterable[str | None], *, exception: bool = False) -> int:
    """How many people are above the allowance (0 when the quota holds)."""
    return check_quota(rule, grades, exception=exception).over


def can_add(rule: QuotaRule, grades: Iterable[str | None], *, grade: str, exception: bool = False) -> bool:
    """Whether one more person rated `grade` keeps the quota (the decider's question before deciding)."""
    return check_quota(rule, [*grades, grade], exception=exception).ok
