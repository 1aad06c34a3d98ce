"""Reads with rules in them: which version applies, which variant, and how a version reads to people."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.db.models import QuerySet
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kpi.models import FrameworkVersion
from kpi.spec import BASE_RATED, LEADER, STAFF, FrameworkSpec, QuotaRule
from orgchart.models import AuditEvent, Position, PositionKind, SubjectGroup

VARIANT_LABELS = {STAFF: gettext_lazy("Staff"), LEADER: gettext_lazy("Leader (head or deputy)")}


class NoFrameworkVersion(LookupError):
    """No published framework version applies to a subject group in a month."""

    def __init__(self, subject_group: str, month: date) -> None:
        self.subject_group = subject_group
        self.month = month
        super().__init__(
            f"Không có khung tiêu chí nào đã ban hành áp dụng cho nhóm {subject_group} trong tháng {month:%m/%Y}."
        )


# --- Selection -------------------------------------------------------------------------------------


def framework_version_for(*, subject_group: str, month: date) -> FrameworkVersion:
    """The published version in force for `subject_group` on the first day of `month`.

    Latest `effective_from` on or before that day among the published versions whose `applies_to`
    includes the group; equal dates go to the one published last.
    """
    day = month.replace(day=1)
    candidates = FrameworkVersion.objects.filter(
        status=FrameworkVersion.Status.PUBLISHED, effective_from__lte=day
    ).order_by("-effective_from", "-published_at", "-pk")
    # JSON `contains` is not available on SQLite; versions are few, so filter here.
    for version in candidates:
        if subject_group in (version.applies_to or []):
            return version
    raise NoFrameworkVersion(subject_group, day)


def variant_for(*, position: Position) -> str:
    """LEADER for heads, deputies and positions flagged as leaders; STAFF otherwise."""
    if position.kind in (PositionKind.HEAD, PositionKind.DEPUTY) or position.is_leader:
        return LEADER
    return STAFF


# --- Lists and pages -------------------------------------------------------------------------------


def framework_version_list(*, include_drafts: bool) -> QuerySet[FrameworkVersion]:
    versions = FrameworkVersion.objects.select_related("based_on").defer("definition", "based_on__definition")
    if not include_drafts:
        versions = versions.exclude(status=FrameworkVersion.Status.DRAFT)
    return versions.order_by("-effective_from", "-published_at", "code")


def framework_version_get(*, code: str, include_drafts: bool) -> FrameworkVersion | None:
    """One version by code; drafts only when asked for (HR), else None like a missing code."""
    version = (
        FrameworkVersion.objects.select_related("based_on", "created_by", "published_by").filter(code=code).first()
    )
    if version is None or (version.status == FrameworkVersion.Status.DRAFT and not include_drafts):
        return None
    return version


def framework_version_published(*, code: str) -> FrameworkVersion | None:
    return FrameworkVersion.objects.filter(code=code, status=FrameworkVersion.Status.PUBLISHED).first()


def framework_version_history(*, version: FrameworkVersion, limit: int = 200) -> QuerySet[AuditEvent]:
    return AuditEvent.objects.filter(object_type=type(version).__name__, object_id=str(version.pk)).select_related(
        "actor"
    )[:limit]


# --- How a version reads -----------------------------------------------------------------------------


def _num(value: Decimal) -> str:
    """A number as people write it (no trailing zeros), in the active locale's format."""
    value = Decimal(value)
    value = value.quantize(Decimal(1)) if value == value.to_integral_value() else value.normalize()
    return number_format(value)


def percent(value: Decimal) -> str:
    return f"{_num(Decimal(value) * 100)}%"


OPERATOR_SIGNS = {"le": "≤", "lt": "<", "ge": "≥", "gt": ">"}


def override_text(rule, spec: FrameworkSpec) -> str:
    condition = rule.label_vi or rule.flag
    if rule.threshold is not None:
        condition = f"{condition} {OPERATOR_SIGNS.get(rule.operator, rule.operator)} {_num(rule.threshold)}"
    if rule.effect == "max_grade":
        effect = _("rated at most %(grade)s") % {"grade": rule.target}
    else:
        effect = _("rated %(grade)s whatever the score") % {"grade": rule.target}
    return f"{condition}: {effect}"


def quota_text(rule: QuotaRule) -> dict[str, Any]:
    if rule.base == BASE_RATED:
        base = _("of the people rated")
    else:
        base = _("of the number of people rated %(grade)s") % {"grade": rule.base_grade}
    scopes = {"unit": _("the agency or unit"), "similar_task_group": _("each group with similar tasks")}
    roundings = {"floor": _("rounded down"), "round": _("rounded to nearest"), "ceil": _("rounded up")}
    return {
        "grade": rule.grade,
        "ratio": percent(rule.ratio),
        "base": base,
        "exception_ratio": None if rule.exception_ratio is None else percent(rule.exception_ratio),
        "exception_requires_justification": rule.exception_requires_justification,
        "rounding": roundings.get(rule.rounding, rule.rounding),
        "small_group_below": rule.small_group_below,
        "small_group_allowed": rule.small_group_allowed,
        "scopes": [scopes.get(s, s) for s in rule.scope],
    }


@dataclass(frozen=True)
class CriteriaBlock:
    """One group's criteria as shown: once when every variant shares them, else per variant."""

    variant: str | None  # None: the same for every variant
    criteria: tuple

    @property
    def label(self) -> str:
        return "" if self.variant is None else str(VARIANT_LABELS.get(self.variant, self.variant))


def group_blocks(group, variants: tuple[str, ...]) -> list[CriteriaBlock]:
    lists = [group.criteria_for(v) for v in variants]
    if not group.criteria:
        return []
    if all(items == lists[0] for items in lists):
        return [CriteriaBlock(None, lists[0])]
    return [CriteriaBlock(v, group.criteria_for(v)) for v in variants if v in group.criteria]


def framework_version_display(*, version: FrameworkVersion) -> dict[str, Any]:
    """Everything the version page shows, in plain words and the active locale's numbers."""
    spec = version.spec
    groups = [{"group": g, "blocks": group_blocks(g, spec.variants)} for g in spec.groups]
    bands = sorted(spec.grades, key=lambda b: b.min, reverse=True)
    band_rows = []
    for i, band in enumerate(bands):
        upper = None if i == 0 else bands[i - 1].min
        band_rows.append({"band": band, "min": _num(band.min), "upper": None if upper is None else _num(upper)})
    annual = spec.annual
    task = spec.task_formula
    leader = spec.leader_formula
    computed = next((g for g in spec.groups if g.is_computed), None)
    labels = dict(SubjectGroup.choices)
    return {
        "spec": spec,
        "applies_to": [(code, labels.get(code, code)) for code in spec.applies_to],
        "groups": groups,
        "bands": band_rows,
        "scale_max": _num(spec.scale_max),
        "overrides": [{"rule": r, "text": override_text(r, spec)} for r in spec.overrides],
        "quota": None if spec.quota is None else quota_text(spec.quota),
        "annual": {
            "rule": annual,
            "deadline": None if annual.deadline is None else f"{annual.deadline[1]:02d}/{annual.deadline[0]:02d}",
            "level_map": list(annual.level_map.items()),
            "min_months": _num(annual.min_months_for_classification),
            "off_from": _num(annual.off_work_cap_from),
            "off_below": _num(annual.off_work_cap_below),
            "quota": quota_text(annual.quota),
        },
        "quarterly": {
            "monthly_average": percent(spec.quarterly.monthly_average),
            "unit_result": percent(spec.quarterly.unit_result),
            "sector_assessment": percent(spec.quarterly.sector_assessment),
        },
        "task": None
        if task is None
        else {
            "group": computed,
            "group_max": _num(computed.max_points) if computed else "",
            "quantity_cap": percent(task.quantity_cap),
            "quality_penalty": percent(task.quality_penalty),
            "timeliness_penalty": percent(task.timeliness_penalty),
        },
        "leader": None
        if leader is None
        else {
            "own_products": percent(leader.own_products),
            "unit_results": percent(leader.unit_results),
            "organising": percent(leader.organising),
            "all_at_least_ht": percent(leader.unit_results_all_at_least_ht),
            "any_kht": percent(leader.unit_results_any_kht),
        },
    }
