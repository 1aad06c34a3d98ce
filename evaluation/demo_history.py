"""A year of monthly results for the demo org chart (`manage.py seed_demo_history`, after `seed_demo`).

Opens the current month (drafts, `services.period_open`) and fills each of the previous months as
if the cycle of DOMAIN.md section 4 had run: self-assessment, review, decision, publication and,
once the complaint window has passed, the lock.

- The forms are created by `services.period_open`, so they carry its snapshot (unit, position,
  decision unit, framework version, variant). Everything else is generated here, deterministically:
  one random stream per person (a lasting level of performance, leave, discipline) and one per
  person and month (`SEED`).
- Points follow each framework's own criteria (maxima, steps, variants; ND 335 forms get task-result
  shares, and leaders the unit and organising inputs). Totals, grades and overrides are
  `kpi.scoring.score`'s. Most people land in the second band (75–89), some in the top band, a few
  in the third, rarely the last; about 2% of forms are "not evaluated" (maternity leave, long
  illness…), and the month around a leave may be capped by the attendance rule.
- The quota of each decision unit and framework (`kpi.quota.check_quota_scopes`, every scope) is
  respected the way a head would: the surplus top grades with the lowest totals get their final
  points lowered into the next band, with a comment in the decision's history row.
- Reviewer and decider are those of `orgchart.access.evaluation_chain` on the month's reference
  date (computed for every form from two queries, see `_Chains`); a review the chain skips
  (no manager, or the manager decides) is skipped here too.
- Each step writes the history row the service would write, at the time it happened (within the
  month's deadlines; the previous month is squeezed before now when its natural dates are still
  ahead). A form is locked when its complaint deadline has passed (as `services.period_lock_due`
  does), else published. One `UnitPublication` per decision unit and month, with the quota as
  checked at publication.

Writes are bulk, one transaction per month, with `executemany` (`_write`): `bulk_update` builds a
CASE per field and row (quadratic on SQLite, ~30 fields here), and `bulk_create` overrides
`auto_now_add` fields, so history rows could not carry their past times. Locked forms cannot be
updated (evaluation/triggers.py): every field is set in the single UPDATE that locks the form.

Idempotent: a month whose forms are not all untouched drafts is skipped, so a second run writes
nothing (and `period_open` of the current month creates only forms still missing).
"""

from __future__ import annotations

import functools
import random
import time as clock
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import ROUND_FLOOR, Decimal
from typing import Any

from django.db import connections, router, transaction
from django.db.models import Model
from django.test.utils import override_settings
from django.utils import timezone

from evaluation import selectors, services
from evaluation.models import Evaluation, EvaluationHistory, Period, UnitPublication
from evaluation.workflow import Action, Status
from kpi import quota as kpi_quota
from kpi import scoring
from kpi.models import FrameworkVersion
from kpi.spec import LEADER, FrameworkSpec
from orgchart import access
from orgchart.models import (
    AGENCY_KINDS,
    Assignment,
    OrgUnit,
    Person,
    PositionKind,
    UnitUserObjectPermission,
    valid_on_q,
)

SEED = 20251120
BATCH = 2000

# Groups whose points people mostly do not get (bonus points, điểm thưởng): a missing point is taken
# from them first, so a "good" month has little bonus and the top band needs some.
BONUS_GROUPS = frozenset({"TH"})
# Share weights when task results fall short: quantity is usually met, quality and timeliness slip.
SHARE_WEIGHTS = {"quantity": 0.5, "quality": 1.0, "timeliness": 1.2}
SHARE_STEP = Decimal("0.01")

# A person's lasting level: (share of people, mean total, spread between people).
TIERS = ((0.17, 91.5, 2.5), (0.73, 83.0, 3.5), (0.085, 68.0, 5.0), (0.015, 55.0, 8.0))
MONTH_SPREAD = 2.5
# Leave that makes whole months "not evaluated": (reason, weight, shortest and longest months, flags).
# `maternity` is the flag the annual classification reads (evaluation/ratings.py, kpi/annual.py).
LEAVES = (
    ("Nghỉ thai sản", 0.35, 6, 6, {"maternity": True}),
    ("Nghỉ ốm dài ngày", 0.30, 1, 3, {}),
    ("Nghỉ không hưởng lương", 0.15, 1, 2, {}),
    ("Đi học tập trung dài hạn", 0.20, 3, 6, {}),
)
LEAVE_PER_YEAR = 0.055  # chance that a person starts a leave in a given year (≈2% of forms)
DISCIPLINE_PER_YEAR = 0.004
NO_SELF_ASSESSMENT = 0.03
SELF_OPTIMISM = 0.35  # share of self-assessments a little above what the manager finds
ACKNOWLEDGED = 0.85  # people with an account who acknowledge their published result

NOTES = (
    "Hoàn thành đầy đủ, đúng tiến độ các nhiệm vụ được giao trong tháng.",
    "Hoàn thành các nhiệm vụ được giao; một số việc còn chậm do chờ ý kiến phối hợp của đơn vị khác.",
    "Chủ động tham mưu, đề xuất giải pháp; hoàn thành trước hạn một số nhiệm vụ trọng tâm.",
    "Hoàn thành nhiệm vụ thường xuyên; tham gia lớp bồi dưỡng nghiệp vụ trong tháng.",
    "Thực hiện tốt nhiệm vụ chuyên môn, chấp hành nghiêm kỷ luật, kỷ cương hành chính.",
)
REVIEW_COMMENT = "Điều chỉnh điểm tự chấm cho sát với kết quả thực hiện nhiệm vụ trong tháng."
NO_SELF_COMMENT = "Không tự đánh giá đúng hạn; người quản lý trực tiếp chấm điểm."
DECIDE_COMMENT = "Điều chỉnh theo kết quả thực hiện nhiệm vụ được giao."
QUOTA_COMMENT = "Điều chỉnh điểm để bảo đảm tỷ lệ xếp loại {grade} không vượt quá quy định của {unit}."


# --- Reports ---------------------------------------------------------------------------------------


@dataclass
class MonthReport:
    year: int
    month: int
    filled: bool = False  # False: skipped, the month already had results (or the run was a no-op)
    forms: int = 0
    grades: Counter = field(default_factory=Counter)
    statuses: Counter = field(default_factory=Counter)
    not_evaluated: int = 0
    lowered_for_quota: int = 0
    without_decider: int = 0
    history_rows: int = 0
    publications: int = 0
    seconds: float = 0.0
    phases: Counter = field(default_factory=Counter)  # wall-clock seconds of each phase

    def __str__(self) -> str:
        return f"{self.month:02d}/{self.year}"


@dataclass
class HistoryReport:
    skipped: bool = False  # --if-empty found forms
    months: list[MonthReport] = field(default_factory=list)
    current: tuple[int, int] | None = None
    current_created: int = 0
    seconds: float = 0.0


# --- Entry point -------------------------------------------------------------------------------------


def previous_months(today: date, months: int) -> list[tuple[int, int]]:
    """The `months` months before `today`'s, oldest first."""
    result = []
    year, month = today.year, today.month
    for _ in range(months):
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
        result.append((year, month))
    return result[::-1]


def seed_demo_history(
    *,
    months: int = 12,
    if_empty: bool = False,
    progress: Callable[[MonthReport], None] | None = None,
) -> HistoryReport:
    """Fill the `months` previous months with results and open the current month."""
    if months < 0:
        raise ValueError("months must not be negative")
    started = clock.perf_counter()
    report = HistoryReport()
    if if_empty and Evaluation.objects.exists():
        report.skipped = True
        return report
    now = timezone.now()
    today = timezone.localdate(now)
    people = _People()
    frames = _Frames()
    # With DEBUG on, Django would keep the SQL and parameters of every statement (seed_demo does the same).
    with override_settings(DEBUG=False):
        for year, month in previous_months(today, months):
            month_report = _fill_month(year, month, today=today, now=now, people=people, frames=frames)
            report.months.append(month_report)
            if progress is not None:
                progress(month_report)
        _period, report.current_created = services.period_open(year=today.year, month=today.month)
    report.current = (today.year, today.month)
    report.seconds = clock.perf_counter() - started
    return report


# --- One month ---------------------------------------------------------------------------------------


FORM_FIELDS = (
    "pk",
    "person_id",
    "unit_id",
    "position__kind",
    "decision_unit_id",
    "framework_id",
    "variant",
    "similar_task_group",
)


def _fill_month(year: int, month: int, *, today: date, now: datetime, people: _People, frames: _Frames) -> MonthReport:
    started = clock.perf_counter()
    report = MonthReport(year, month)
    existing = Period.objects.filter(year=year, month=month).first()
    if existing is not None and existing.evaluations.exclude(status=Status.DRAFT, version=1).exists():
        return report  # already filled, or in use through the real workflow
    with transaction.atomic():
        period, _created = services.period_open(year=year, month=month)
        report.phases["period_open"] = clock.perf_counter() - started
        opened_at = _aware(period.opens_on, time(0, 5))
        # A past month of the demo is over: closed for entries (publication and complaints go on).
        Period.objects.filter(pk=period.pk).update(state=Period.State.CLOSED)
        if existing is None:
            Period.objects.filter(pk=period.pk).update(opened_at=opened_at)
        rows = (
            Evaluation.objects.filter(period=period, status=Status.DRAFT, version=1)
            .order_by("pk")
            .values_list(*FORM_FIELDS)
        )
        on = services.last_working_day(year, month)
        chains = _Chains(on)
        forms: list[_Form] = []
        for pk, person_id, unit_id, kind, decision_unit_id, framework_id, variant, group in rows.iterator(BATCH):
            form = _Form(pk, person_id, decision_unit_id, frames.get(framework_id), variant, group)
            form.manager_id, form.decider_id = chains.chain(person_id, unit_id, kind)
            form.user_id = people.user_of(person_id)
            _generate(form, people.traits(person_id), year, month)
            forms.append(form)
        report.phases["generate"] = clock.perf_counter() - started - report.phases["period_open"]
        by_unit: dict[int, list[_Form]] = defaultdict(list)
        for form in forms:
            by_unit[form.decision_unit_id].append(form)
        units = dict(OrgUnit.objects.values_list("pk", "name"))
        writer = _MonthWriter(period, today=today, now=now, opened_at=opened_at, people=people, report=report)
        for unit_id, unit_forms in by_unit.items():
            quota_summary = {}
            for framework_id in sorted({f.frame.pk for f in unit_forms}):
                same = [f for f in unit_forms if f.frame.pk == framework_id]
                summary = _respect_quota(same, unit_name=units[unit_id], report=report)
                if summary is not None:
                    quota_summary[same[0].frame.code] = summary
            writer.unit(unit_id, unit_forms, quota_summary)
        writer.flush()
        frames.forget_scores()
    report.filled = bool(forms)
    report.forms = len(forms)
    report.seconds = clock.perf_counter() - started
    report.phases["quota_and_timeline"] = report.seconds - sum(report.phases.values())
    return report


# --- People and frameworks -----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Traits:
    mean: float  # the person's usual total
    leaves: tuple[tuple[int, int, int], ...]  # (first month, last month, LEAVES index); months as year*12+month-1
    part_time: tuple[tuple[int, float], ...]  # (month, share of working days worked) around a leave
    disciplined: tuple[int, ...]  # months of a disciplinary measure


class _People:
    """Who has an account (they act under it) and each person's lasting traits."""

    def __init__(self) -> None:
        self.users = dict(Person.objects.filter(user__isnull=False).values_list("pk", "user_id"))
        self.cache: dict[int, _Traits] = {}

    def user_of(self, person_id: int | None) -> int | None:
        return self.users.get(person_id) if person_id is not None else None

    def traits(self, person_id: int) -> _Traits:
        traits = self.cache.get(person_id)
        if traits is None:
            traits = self.cache[person_id] = self._traits(person_id)
        return traits

    def _traits(self, person_id: int) -> _Traits:
        rng = random.Random(f"{SEED}:person:{person_id}")
        _share, mean, spread = rng.choices(TIERS, weights=[tier[0] for tier in TIERS])[0]
        level = rng.gauss(mean, spread)
        if person_id in self.users:  # the demo accounts: a clean record, so the demo shows their scores
            return _Traits(max(level, 80.0), (), (), ())
        leaves, partial, disciplined = [], [], []
        for year in range(2015, 2035):  # a fixed range: a month's data never depends on the run's length
            if rng.random() < LEAVE_PER_YEAR:
                kind = rng.choices(range(len(LEAVES)), weights=[leave[1] for leave in LEAVES])[0]
                first = year * 12 + rng.randrange(12)
                last = first + rng.randint(*LEAVES[kind][2:4]) - 1
                leaves.append((first, last, kind))
                if rng.random() < 0.5:
                    partial.append((first - 1, round(rng.uniform(0.25, 0.5), 2)))
                if rng.random() < 0.5:
                    partial.append((last + 1, round(rng.uniform(0.4, 0.9), 2)))
            if rng.random() < DISCIPLINE_PER_YEAR:
                disciplined.append(year * 12 + rng.randrange(12))
        return _Traits(level, tuple(leaves), tuple(partial), tuple(disciplined))


class _Frame:
    """One framework version as the generator needs it, with a cache of scores."""

    def __init__(self, version: FrameworkVersion) -> None:
        spec: FrameworkSpec = version.spec
        self.pk, self.code, self.spec = version.pk, version.code, spec
        self.criteria = {v: scoring.criteria_for(spec, v) for v in spec.variants}
        self.bonus = {
            c.code for g in spec.groups if g.code in BONUS_GROUPS for v in spec.variants for c in g.criteria_for(v)
        }
        self.computed = next((g for g in spec.groups if g.is_computed), None)
        bands = sorted(spec.grades, key=lambda b: b.min, reverse=True)
        self.top, self.top_min = bands[0].code, bands[0].min
        self.flags = {rule.flag for rule in spec.overrides}
        self.scores: dict[tuple, scoring.ScoreResult] = {}

    def score(self, form: _Form, points: dict[str, Decimal], shares: dict[str, Decimal] | None):
        """`kpi.scoring.score` of one stage of a form (cached: many forms share the same points)."""
        key = (form.variant, tuple(points.items()), tuple(shares.items()) if shares else None, form.flags_key)
        result = self.scores.get(key)
        if result is None:
            result = self.scores[key] = scoring.score(
                self.spec,
                variant=form.variant,
                points=points,
                task_results=shares,
                flags=form.flags or None,
                leader_inputs=leader_inputs(form.flags) if self.needs_leader_inputs(form.variant) else None,
            )
        return result

    def needs_leader_inputs(self, variant: str) -> bool:
        return self.computed is not None and self.spec.leader_formula is not None and variant == LEADER


class _Frames:
    def __init__(self) -> None:
        self.frames: dict[int, _Frame] = {}

    def get(self, pk: int) -> _Frame:
        if pk not in self.frames:
            self.frames[pk] = _Frame(FrameworkVersion.objects.get(pk=pk))
        return self.frames[pk]

    def forget_scores(self) -> None:
        for frame in self.frames.values():
            frame.scores.clear()


LEADER_INPUTS_FLAG = "leader_inputs"


def leader_inputs(flags: dict) -> dict | None:
    """The leader inputs of an ND 335 leader's form, kept in `flags["leader_inputs"]`.

    The form has no field for them (and the services do not pass any, so they cannot score such a
    form yet): the demo keeps them under this key, which no override rule reads.
    """
    return flags.get(LEADER_INPUTS_FLAG)


# --- The org chart of the month, for every form at once ----------------------------------------------


class _Chains:
    """`access.evaluation_chain` for many people: the same rules over all units and heads of a date.

    Heads are the holders of a HEAD position (primary or concurrent) ordered as `access.heads_of`
    orders them (by name), then acting heads by grant. tests/evaluation/test_demo_history.py checks
    every generated form against `access.evaluation_chain`.
    """

    def __init__(self, on: date) -> None:
        self.units = {pk: (path, kind) for pk, path, kind in OrgUnit.objects.values_list("pk", "path", "kind")}
        self.by_path = {path: pk for pk, (path, _kind) in self.units.items()}
        self.heads: dict[int, list[int]] = defaultdict(list)
        holders = (
            Assignment.objects.filter(valid_on_q(on), position__kind=PositionKind.HEAD)
            .order_by("person__full_name", "person__employee_code", "person_id")
            .values_list("unit_id", "person_id")
        )
        acting = (
            UnitUserObjectPermission.objects.filter(
                valid_on_q(on), permission__codename=access.ACTING_HEAD, user__person__isnull=False
            )
            .order_by("user__person__full_name", "user__person__employee_code")
            .values_list("content_object_id", "user__person__id")
        )
        for unit_id, person_id in [*holders, *acting]:
            if person_id not in self.heads[unit_id]:
                self.heads[unit_id].append(person_id)
        self.agencies: dict[int, int] = {}

    def _is_agency(self, unit_id: int) -> bool:
        return self.units[unit_id][1] in AGENCY_KINDS

    def agency(self, unit_id: int) -> int:
        if unit_id not in self.agencies:
            paths = access.ancestor_paths(self.units[unit_id][0])
            ids = [self.by_path[p] for p in paths]
            self.agencies[unit_id] = next((pk for pk in reversed(ids) if self._is_agency(pk)), ids[0])
        return self.agencies[unit_id]

    def heads_of(self, unit_id: int, exclude: int) -> list[int]:
        return [h for h in self.heads.get(unit_id, ()) if h != exclude]

    def first_head_above(self, unit_id: int, exclude: int) -> int | None:
        for path in reversed(access.ancestor_paths(self.units[unit_id][0])[:-1]):
            candidate = self.by_path[path]
            if self._is_agency(candidate) and (heads := self.heads_of(candidate, exclude)):
                return heads[0]
        return None

    def chain(self, person_id: int, unit_id: int, kind: str) -> tuple[int | None, int | None]:
        """(manager, decider) as `access.evaluation_chain` finds them."""
        agency = self.agency(unit_id)
        if kind == PositionKind.HEAD and unit_id == agency:
            return None, self.first_head_above(agency, person_id)
        agency_heads = self.heads_of(agency, person_id)
        decider = agency_heads[0] if agency_heads else self.first_head_above(agency, person_id)
        if kind == PositionKind.HEAD or unit_id == agency:
            return (None if kind != PositionKind.STAFF else decider), decider
        division_heads = self.heads_of(unit_id, person_id)
        return (division_heads[0] if division_heads else decider), decider


# --- Generating one form ------------------------------------------------------------------------------


class _Form:
    __slots__ = (
        "pk",
        "person_id",
        "decision_unit_id",
        "frame",
        "variant",
        "group",
        "manager_id",
        "decider_id",
        "user_id",
        "rng",
        "absent",
        "flags",
        "flags_key",
        "note",
        "self_points",
        "self_shares",
        "review_points",
        "review_shares",
        "final_points",
        "final_shares",
        "self_result",
        "review_result",
        "result",
        "quota_comment",
    )

    def __init__(self, pk, person_id, decision_unit_id, frame, variant, group) -> None:
        self.pk, self.person_id, self.decision_unit_id = pk, person_id, decision_unit_id
        self.frame, self.variant, self.group = frame, variant, group
        self.absent = ""  # the reason when not evaluated
        self.flags: dict[str, Any] = {}
        self.flags_key: tuple = ()
        self.note = ""
        self.self_points = self.review_points = self.final_points = None
        self.self_shares = self.review_shares = self.final_shares = None
        self.self_result = self.review_result = self.result = None
        self.quota_comment = ""

    @property
    def review_skipped(self) -> bool:
        return self.manager_id is None or self.manager_id == self.decider_id

    @property
    def grade(self) -> str:
        return self.result.grade if self.result is not None else ""


def _generate(form: _Form, traits: _Traits, year: int, month: int) -> None:
    """The form's month as the person, the manager and the head saw it (before the quota)."""
    rng = form.rng = random.Random(f"{SEED}:form:{form.person_id}:{year}-{month:02d}")
    frame, index = form.frame, year * 12 + month - 1
    for first, last, kind in traits.leaves:
        if first <= index <= last:
            form.absent, form.flags = LEAVES[kind][0], dict(LEAVES[kind][4])
            return
    worked = next((share for m, share in traits.part_time if m == index), None)
    flags: dict[str, Any] = {}
    if worked is not None and "worked_share" in frame.flags:
        flags["worked_share"] = worked
    if "disciplined_in_period" in frame.flags and index in traits.disciplined:
        flags["disciplined_in_period"] = True
    if "disciplined_reprimand_or_higher_in_year" in frame.flags and any(
        d // 12 == year and d <= index for d in traits.disciplined
    ):
        flags["disciplined_reprimand_or_higher_in_year"] = True
    target = traits.mean + rng.gauss(0, MONTH_SPREAD)
    if worked is not None:
        target -= (1 - worked) * rng.uniform(8, 20)
    target = Decimal(round(min(100.0, max(30.0, target)) * 2) / 2)
    if frame.needs_leader_inputs(form.variant):
        organising = min(1.0, max(0.5, float(target) / 100 + rng.gauss(0, 0.04)))
        flags[LEADER_INPUTS_FLAG] = {
            "organising": str(_quantize(Decimal(organising), SHARE_STEP)),
            "any_subordinate_unit_KHT": rng.random() < 0.03,
        }
    form.flags = flags
    form.flags_key = _freeze(flags)
    truth_points, truth_shares = _points_for(form, target, rng)
    if rng.random() < NO_SELF_ASSESSMENT and not form.user_id:
        form.self_points, form.self_shares = {}, None
    elif rng.random() < SELF_OPTIMISM:
        form.self_points, form.self_shares = _optimistic(form, truth_points, truth_shares, rng)
    else:
        form.self_points, form.self_shares = truth_points, truth_shares
    if form.self_points:
        form.self_result = frame.score(form, form.self_points, form.self_shares)
        form.note = rng.choice(NOTES) if rng.random() < 0.6 else ""
    if not form.review_skipped:
        form.review_points, form.review_shares = truth_points, truth_shares
        form.review_result = frame.score(form, truth_points, truth_shares)
    form.final_points, form.final_shares = truth_points, truth_shares
    form.result = frame.score(form, truth_points, truth_shares)


def _freeze(value: Any) -> Any:
    if isinstance(value, dict):
        return tuple(sorted((k, _freeze(v)) for k, v in value.items()))
    return value


def _quantize(value: Decimal, step: Decimal) -> Decimal:
    return (value / step).to_integral_value(rounding=ROUND_FLOOR) * step


def _points_for(form: _Form, target: Decimal, rng: random.Random):
    """Points per criterion (and task shares) adding up to about `target`."""
    frame = form.frame
    criteria = frame.criteria[form.variant]
    full = {c.code: c.max_points for c in criteria}
    manual_max = sum(full.values(), Decimal(0))
    computed_max = frame.computed.max_points if frame.computed is not None else Decimal(0)
    deficit = max(Decimal(0), manual_max + computed_max - target)
    if frame.computed is None:
        points = _take_points(frame, form.variant, full, deficit, rng)
        return points, None
    manual_cut = min(
        manual_max,
        _quantize(deficit * manual_max / (manual_max + computed_max) * Decimal(rng.uniform(0.6, 1.4)), Decimal("0.5")),
    )
    points = _take_points(frame, form.variant, full, manual_cut, rng)
    return points, _shares_for(form, (computed_max - min(computed_max, deficit - manual_cut)) / computed_max, rng)


def _take_points(frame: _Frame, variant: str, points: dict[str, Decimal], amount: Decimal, rng: random.Random):
    """Take `amount` points off, from the bonus group first (most people get little bonus)."""
    steps = {c.code: c.step for c in frame.criteria[variant]}
    bonus = {code for code in points if code in frame.bonus}
    if bonus and amount > 0:
        wanted = _quantize(amount * Decimal(rng.uniform(0.8, 1.0)), Decimal("0.5"))
        points, taken = _take(points, wanted, steps, {c: float(points[c]) for c in bonus}, rng)
        amount -= taken
    weights = {code: float(points[code]) * rng.uniform(0.5, 1.5) for code in points if code not in bonus}
    points, taken = _take(points, amount, steps, weights, rng)
    if taken < amount and bonus:
        points, _taken = _take(points, amount - taken, steps, dict.fromkeys(bonus, 1.0), rng)
    return points


def _take(values: dict[str, Decimal], amount: Decimal, steps: dict, weights: dict[str, float], rng: random.Random):
    """Lower `values` by about `amount` in their steps, spread by `weights`; returns (values, taken)."""
    values = dict(values)
    codes = [c for c in weights if weights[c] > 0 and values[c] > 0]
    total_weight = sum(weights[c] for c in codes)
    left = amount
    if amount <= 0 or not codes:
        return values, Decimal(0)
    for code in codes:
        cut = min(values[code], _quantize(amount * Decimal(weights[code] / total_weight), steps[code]))
        values[code] -= cut
        left -= cut
    while left > 0:
        room = [c for c in codes if values[c] >= steps[c] and steps[c] <= left]
        if not room:
            break
        code = rng.choice(room)
        values[code] -= steps[code]
        left -= steps[code]
    return values, amount - left


def _shares_for(form: _Form, kq: Decimal, rng: random.Random) -> dict[str, Decimal]:
    """Quantity, quality and timeliness shares giving the computed group about `kq` of its maximum."""
    own = kq
    inputs = leader_inputs(form.flags) if form.frame.needs_leader_inputs(form.variant) else None
    if inputs is not None:
        formula = form.frame.spec.leader_formula
        unit = (
            formula.unit_results_any_kht if inputs["any_subordinate_unit_KHT"] else formula.unit_results_all_at_least_ht
        )
        own = (
            kq - formula.unit_results * unit - formula.organising * Decimal(inputs["organising"])
        ) / formula.own_products
    own = min(Decimal(1), max(Decimal(0), own))
    shares = dict.fromkeys(SHARE_WEIGHTS, Decimal(1))
    weights = {k: w * rng.uniform(0.6, 1.4) for k, w in SHARE_WEIGHTS.items()}
    shares, _taken = _take(shares, (1 - own) * len(shares), dict.fromkeys(shares, SHARE_STEP), weights, rng)
    return shares


def _optimistic(form: _Form, points: dict[str, Decimal], shares: dict[str, Decimal] | None, rng: random.Random):
    """A self-assessment a little above the manager's view: one or two criteria, or the shares."""
    points = dict(points)
    maxima = {c.code: (c.max_points, c.step) for c in form.frame.criteria[form.variant]}
    for code in rng.sample(sorted(points), k=min(len(points), rng.choice((1, 1, 2)))):
        top, step = maxima[code]
        points[code] = min(top, points[code] + step * rng.randint(1, 4))
    if shares is not None and rng.random() < 0.5:
        shares = {k: min(Decimal(1), v + SHARE_STEP * rng.randint(1, 5)) for k, v in shares.items()}
    return points, shares


def _lower_below_top(form: _Form) -> None:
    """The head lowers the final points so that the form scores in the next band (quota surplus)."""
    frame, rng = form.frame, form.rng
    points, shares = dict(form.final_points), dict(form.final_shares) if form.final_shares else None
    goal = frame.top_min - Decimal(rng.choice(("0.5", "1", "1.5", "2", "2.5", "3")))
    amount = max(Decimal("0.5"), form.result.total - goal)
    for _attempt in range(400):
        if shares is None:
            points = _take_points(frame, form.variant, points, _quantize(amount, Decimal("0.5")) or Decimal("0.5"), rng)
        else:
            share_cut = max(SHARE_STEP, amount / frame.computed.max_points * len(shares))
            if frame.needs_leader_inputs(form.variant):
                share_cut /= frame.spec.leader_formula.own_products
            steps = dict.fromkeys(shares, SHARE_STEP)
            shares, taken = _take(shares, _quantize(share_cut, SHARE_STEP), steps, SHARE_WEIGHTS, rng)
            if not taken:
                points = _take_points(frame, form.variant, points, Decimal("0.5"), rng)
        result = frame.score(form, points, shares)
        if result.grade != frame.top:
            form.final_points, form.final_shares, form.result = points, shares, result
            return
        amount = Decimal("0.5")
    raise RuntimeError(f"could not lower form {form.pk} below {frame.top}")


def _respect_quota(forms: list[_Form], *, unit_name: str, report: MonthReport) -> dict | None:
    """Lower the surplus top grades of one decision unit and framework, lowest totals first, until
    every scope of the rule holds; returns the quota as `unit_period_publish` records it."""
    frame = forms[0].frame
    rule = frame.spec.quota
    if rule is None:
        return None
    for _round in range(len(forms) + 1):
        check = kpi_quota.check_quota_scopes(rule, [(f.group, f.grade or None) for f in forms])
        if check.ok:
            return selectors.quota_summary(check)
        if check.unit is not None and not check.unit.ok:
            scope = forms
        else:
            label = next(label for label, result in check.groups.items() if not result.ok)
            scope = [f for f in forms if f.group == label]
        surplus = min((f for f in scope if f.grade == rule.grade), key=lambda f: (f.result.total, f.pk))
        _lower_below_top(surplus)
        surplus.quota_comment = QUOTA_COMMENT.format(grade=rule.grade, unit=unit_name)
        report.lowered_for_quota += 1
    raise RuntimeError(f"quota of {frame.code} not reachable in {unit_name}")


# --- Dates ---------------------------------------------------------------------------------------------


def _aware(day: date, at: time) -> datetime:
    return timezone.make_aware(datetime.combine(day, at))


def _working_day_between(first: date, last: date, rng: random.Random) -> date:
    return rng.choice(_working_days(first, last))


@functools.lru_cache(maxsize=4096)
def _working_days(first: date, last: date) -> tuple[date, ...]:
    days = tuple(first + timedelta(n) for n in range((last - first).days + 1))
    return tuple(d for d in days if d.weekday() < 5) or days


def _working_day_on_or_after(day: date) -> date:
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day


def _office_time(day: date, rng: random.Random) -> datetime:
    """A time between 7:30 and 17:30 on `day`."""
    return _office_opens(day) + timedelta(minutes=rng.randrange(600))


@functools.lru_cache(maxsize=4096)
def _office_opens(day: date) -> datetime:
    return _aware(day, time(7, 30))


# --- Writing -------------------------------------------------------------------------------------------

EVALUATION_FIELDS = (
    "status",
    "version",
    "self_points",
    "self_task_results",
    "self_total",
    "self_grade",
    "review_points",
    "review_task_results",
    "review_total",
    "review_grade",
    "final_points",
    "final_task_results",
    "final_total",
    "grade",
    "overrides",
    "flags",
    "note",
    "no_self_assessment",
    "not_evaluated_reason",
    "submitted_at",
    "reviewed_at",
    "reviewed_by",
    "decided_at",
    "decided_by",
    "published_at",
    "complaint_deadline",
    "acknowledged_at",
    "locked_at",
    "created_at",
)
HISTORY_FIELDS = ("evaluation", "at", "actor", "action", "from_status", "to_status", "comment", "changes")
PUBLICATION_FIELDS = (
    "period",
    "unit",
    "published_at",
    "published_by",
    "exception_reason",
    "quota",
    "complaint_deadline",
)


def _text(points: dict[str, Decimal] | None) -> dict[str, str]:
    """Points and shares as the forms store them: decimal strings, without trailing zeros ("8", "28.5")."""
    return {code: format(value.normalize(), "f") for code, value in (points or {}).items()}


def _changes(old: dict[str, str], new: dict[str, str]) -> dict:
    """As the services record a change of points: {criterion: [old, new]}."""
    return {code: [old.get(code), value] for code, value in new.items() if old.get(code) != value}


class _MonthWriter:
    """The month's timeline per decision unit, and the rows it leads to, written in batches."""

    def __init__(self, period: Period, *, today: date, now: datetime, opened_at: datetime, people, report):
        self.period, self.today, self.opened_at, self.people, self.report = period, today, opened_at, people, report
        self.cap = now - timedelta(minutes=10)  # nothing has happened in the future
        self.forms: list[tuple] = []
        self.history: list[tuple] = []
        self.publications: list[tuple] = []

    def unit(self, unit_id: int, forms: list[_Form], quota_summary: dict) -> None:
        """Plan each form's steps, publish the unit after the last decision, lock after the window."""
        period, rng = self.period, random.Random(f"{SEED}:unit:{unit_id}:{period_label(self.period)}")
        plans = [self._plan(form) for form in forms]
        publish_day = services.add_working_days(_working_day_on_or_after(period.decide_due), rng.choice((0, 0, 1, 2)))
        natural = _office_time(publish_day, rng)
        last_step = max(plan.steps[-1][0] for plan in plans)
        published = max(
            natural.replace(hour=rng.choice((14, 15, 16))), last_step + timedelta(minutes=rng.randint(10, 90))
        )
        squeeze = self._squeeze(published)
        published = squeeze(published)
        deadline = services.add_working_days(timezone.localtime(published).date(), period.complaint_days)
        locked_at = None
        if deadline < self.today:  # what services.period_lock_due does on its first run after the window
            locked_at = min(_aware(deadline + timedelta(days=1), time(0, rng.randrange(5, 55))), self.cap)
        deciders = Counter(f.decider_id for f in forms if f.decider_id is not None)
        if deciders:
            publisher = deciders.most_common(1)[0][0]
            self.publications.append((period.pk, unit_id, published, publisher, "", quota_summary, deadline))
            self.report.publications += 1
        for plan in plans:
            self._finish(plan, published=published, deadline=deadline, locked_at=locked_at, squeeze=squeeze)
        if len(self.forms) >= BATCH:
            self.flush()

    def _squeeze(self, published: datetime) -> Callable[[datetime], datetime]:
        """Natural times or, when the publication would still be ahead, the same steps fitted before now."""
        if published <= self.cap:
            return lambda t: t
        start, span = self.opened_at, published - self.opened_at
        room = max(self.cap - start, timedelta(minutes=30))
        return lambda t: start + (t - start) * (room / span)

    def _plan(self, form: _Form) -> _Plan:
        """Self-assessment, review and decision (or "not evaluated"), at natural times."""
        period, rng, users = self.period, form.rng, self.people
        plan = _Plan(form)
        employee, manager, decider = (users.user_of(p) for p in (form.person_id, form.manager_id, form.decider_id))
        decide_day = _working_day_between(period.review_due, period.decide_due, rng)
        if form.absent:
            plan.step(decide_day, decider, Action.NOT_EVALUATED, Status.NOT_EVALUATED, form.absent)
            plan.fields.update(not_evaluated_reason=form.absent)
            plan.times["decided_at"] = plan.steps[-1][0]
            self.report.not_evaluated += 1
            return plan
        previous: dict[str, str] = {}
        if form.self_points:
            previous = _text(form.self_points)
            save_day = _working_day_between(period.opens_on, period.self_due - timedelta(days=1), rng)
            plan.step(save_day, employee, Action.SAVE, Status.DRAFT, changes=_changes({}, previous))
            plan.step(_working_day_between(save_day, period.self_due, rng), employee, Action.SUBMIT, Status.SUBMITTED)
            plan.times["submitted_at"] = plan.steps[-1][0]
            plan.fields.update(
                self_points=previous,
                self_task_results=_text(form.self_shares),
                self_total=form.self_result.total,
                self_grade=form.self_result.grade,
                note=form.note,
            )
        else:
            plan.fields["no_self_assessment"] = True
        if form.review_points is not None:
            review_points = _text(form.review_points)
            comment = REVIEW_COMMENT if previous else NO_SELF_COMMENT
            changes = {
                code: {"old": old, "new": new, "comment": comment}
                for code, (old, new) in _changes(previous, review_points).items()
            }
            review_day = _working_day_between(period.self_due, period.review_due, rng)
            plan.step(review_day, manager, Action.REVIEW, Status.REVIEWED, comment if changes else "", changes)
            plan.times["reviewed_at"] = plan.steps[-1][0]
            plan.fields.update(
                review_points=review_points,
                review_task_results=_text(form.review_shares),
                review_total=form.review_result.total,
                review_grade=form.review_result.grade,
                reviewed_by=form.manager_id,
            )
            previous = review_points
        final_points = _text(form.final_points)
        changes = _changes(previous, final_points)
        comment = form.quota_comment or (DECIDE_COMMENT if changes and previous else "")
        plan.step(decide_day, decider, Action.DECIDE, Status.DECIDED, comment, changes)
        plan.times["decided_at"] = plan.steps[-1][0]
        plan.fields.update(
            final_points=final_points,
            final_task_results=_text(form.final_shares),
            final_total=form.result.total,
            grade=form.result.grade,
            overrides=[list(o) for o in form.result.overrides],
        )
        self.report.grades[(form.frame.code, form.result.grade)] += 1
        return plan

    def _finish(self, plan: _Plan, *, published, deadline, locked_at, squeeze) -> None:
        """Publication, acknowledgement and lock; then the form's row and its history rows."""
        form, rng, report = plan.form, plan.form.rng, self.report
        history = [(form.pk, squeeze(at), *rest) for at, *rest in plan.steps]
        status = plan.status
        decider = self.people.user_of(form.decider_id)
        history.append((form.pk, published, decider, Action.PUBLISH, status, Status.PUBLISHED, "", {}))
        status = Status.PUBLISHED
        fields = plan.fields
        fields.update({name: squeeze(at) for name, at in plan.times.items()})
        fields.update(published_at=published, complaint_deadline=deadline)
        employee = self.people.user_of(form.person_id)
        last_day = min(deadline, timezone.localtime(self.cap).date())
        if employee is not None and rng.random() < ACKNOWLEDGED and last_day >= timezone.localtime(published).date():
            day = _working_day_between(timezone.localtime(published).date(), last_day, rng)
            acknowledged = min(
                max(_office_time(day, rng), published + timedelta(minutes=rng.randint(5, 120))), self.cap
            )
            history.append((form.pk, acknowledged, employee, Action.ACKNOWLEDGE, status, status, "", {}))
            fields["acknowledged_at"] = acknowledged
        if locked_at is not None:
            locked_at = max(locked_at, history[-1][1] + timedelta(minutes=1))
            history.append((form.pk, locked_at, None, Action.LOCK, status, Status.LOCKED, "", {}))
            status = Status.LOCKED
            fields["locked_at"] = locked_at
        if form.decider_id is None:
            report.without_decider += 1
        fields.update(status=status, version=1 + len(history), created_at=self.opened_at)
        report.statuses[status] += 1
        report.history_rows += len(history)
        self.forms.append((*(fields[name] for name in EVALUATION_FIELDS), form.pk))
        self.history.extend(history)

    def flush(self) -> None:
        started = clock.perf_counter()
        updated = _write(
            Evaluation, EVALUATION_FIELDS, self.forms, where=("id", "status", "version"), where_values=(Status.DRAFT, 1)
        )
        if updated != len(self.forms):
            raise RuntimeError(f"{period_label(self.period)}: {len(self.forms) - updated} forms changed meanwhile")
        _write(EvaluationHistory, HISTORY_FIELDS, self.history)
        _write(UnitPublication, PUBLICATION_FIELDS, self.publications)
        self.forms, self.history, self.publications = [], [], []
        self.report.phases["write"] += clock.perf_counter() - started


class _Plan:
    """One form's steps before publication: history rows at natural times, and the form's fields."""

    def __init__(self, form: _Form) -> None:
        self.form = form
        self.status = Status.DRAFT
        self.steps: list[tuple] = []  # (at, actor user id, action, from, to, comment, changes)
        self.times: dict[str, datetime] = {}
        self.fields: dict[str, Any] = {
            **dict.fromkeys(EVALUATION_FIELDS),
            "self_points": {},
            "self_task_results": {},
            "self_grade": "",
            "review_points": {},
            "review_task_results": {},
            "review_grade": "",
            "final_points": {},
            "final_task_results": {},
            "grade": "",
            "overrides": [],
            "flags": form.flags,
            "note": "",
            "no_self_assessment": False,
            "not_evaluated_reason": "",
            "decided_by": form.decider_id,
        }

    def step(self, day: date, actor, action: Action, to: Status, comment: str = "", changes=None) -> None:
        """The next step, on `day` in office hours and after the previous one."""
        rng = self.form.rng
        at = _office_time(day, rng)
        if self.steps:
            at = max(at, self.steps[-1][0] + timedelta(minutes=rng.randint(3, 90)))
        self.steps.append((at, actor, action, self.status, to, comment, changes or {}))
        self.status = to


def period_label(period: Period) -> str:
    return f"{period.month:02d}/{period.year}"


def _write(
    model: type[Model],
    names: Sequence[str],
    rows: Iterable[tuple],
    *,
    where: Sequence[str] = (),
    where_values: Sequence[Any] = (),
) -> int:
    """INSERT (or, with `where`, UPDATE … WHERE pk and the given columns) many rows with executemany.

    Values are prepared by the model fields (`get_db_prep_save`: JSON, decimals, datetimes), so the
    rows are what `save()` would store, on SQLite and PostgreSQL alike. Returns the rows written.
    """
    rows = list(rows)
    if not rows:
        return 0
    meta = model._meta
    connection = connections[router.db_for_write(model)]
    fields = [meta.get_field(name) for name in names]
    preps = [_prep(f, connection) for f in fields]
    quote = connection.ops.quote_name
    columns = [quote(f.column) for f in fields]
    # Identifiers come from the model's metadata, quoted; the values are parameters.
    table = quote(meta.db_table)
    if where:
        conditions = " AND ".join(f"{quote(c)} = %s" for c in where)
        sql = f"UPDATE {table} SET {', '.join(f'{c} = %s' for c in columns)} WHERE {conditions}"  # noqa: S608
    else:
        sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join(['%s'] * len(columns))})"  # noqa: S608
    written = 0
    with connection.cursor() as cursor:
        for start in range(0, len(rows), BATCH):
            params = []
            for row in rows[start : start + BATCH]:
                values = [prep(value) if prep is not None else value for prep, value in zip(preps, row)]
                if where:
                    values.append(row[len(fields)])
                    values.extend(where_values)
                params.append(values)
            cursor.executemany(sql, params)
            written += cursor.rowcount if where else len(params)
    return written


_PLAIN = ("CharField", "TextField", "BooleanField", "PositiveSmallIntegerField", "PositiveIntegerField")


def _prep(model_field, connection) -> Callable[[Any], Any] | None:
    """None when the value goes to the database as it is; else the field's own preparation."""
    if model_field.get_internal_type() in _PLAIN or model_field.is_relation:
        return None

    def prep(value, _field=model_field):
        return None if value is None else _field.get_db_prep_save(value, connection)

    return prep
