"""Dashboard reads: completion of a month per unit against its deadlines, and the distribution of
grades per unit and month against the framework's quota.

Both start from `selectors.evaluations_visible_to`, so a figure never counts a form its viewer may
not open, and aggregate in SQL: the forms of a subtree are grouped by the path prefix of the child
unit they fall under (`Substr(unit__path, 1, len(child path))`, materialised paths have a fixed step),
so a page costs the same few queries for 5 forms or 50,000. The folding of the grouped rows into
tables is plain Python over the (bucket, …, count) rows.

The list behind every figure is `form_list`, with the same filters.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from urllib.parse import urlencode

from django.db.models import Case, CharField, Count, Q, QuerySet, Value, When
from django.db.models.functions import Substr
from django.http import Http404
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from evaluation import selectors
from evaluation.models import Evaluation, Period
from evaluation.workflow import Status
from kpi.models import FrameworkVersion
from kpi.spec import BASE_RATED, QuotaRule
from orgchart import access
from orgchart import selectors as org_selectors
from orgchart.models import OrgUnit, SubjectGroup, UnitKind, valid_on_q

PERIOD_KEY = re.compile(r"^(\d{4})-(\d{2})$")
STEPLEN = access.STEPLEN

# Statuses in workflow order (the columns of the completion table).
STATUS_ORDER = (
    Status.DRAFT,
    Status.RETURNED,
    Status.SUBMITTED,
    Status.REVIEWED,
    Status.DECIDED,
    Status.NOT_EVALUATED,
    Status.PUBLISHED,
    Status.LOCKED,
)
STATUS_LABELS = {
    Status.DRAFT: _("Draft"),
    Status.SUBMITTED: _("Submitted"),
    Status.REVIEWED: _("Reviewed"),
    Status.RETURNED: _("Returned for revision"),
    Status.DECIDED: _("Decided"),
    Status.PUBLISHED: _("Published"),
    Status.LOCKED: _("Final"),
    Status.NOT_EVALUATED: _("Not evaluated"),
}
# Decided or beyond: nothing is owed any more for the month's deadlines.
DONE = frozenset({Status.DECIDED, Status.NOT_EVALUATED, Status.PUBLISHED, Status.LOCKED})
# Forms whose grade is the head's decision (the distribution counts only these).
GRADED = (Status.DECIDED, Status.PUBLISHED, Status.LOCKED)
# The step a form still owes, by status, and the period field holding its deadline (the same steps
# as `services.REMINDER_STEPS`): a form is late once today is past that deadline.
OWED_STEP = {
    Status.DRAFT: "self_due",
    Status.RETURNED: "self_due",
    Status.SUBMITTED: "review_due",
    Status.REVIEWED: "decide_due",
}
STEP_LABELS = {
    "self_due": _("self-assessment"),
    "review_due": _("review"),
    "decide_due": _("decision"),
}
LATE_LIMIT = 200  # the late list shows this many; the count says how many there are


# --- Filters ----------------------------------------------------------------------------------


def period_from_key(key: str | None) -> Period | None:
    match = PERIOD_KEY.match(key or "")
    if not match:
        return None
    return Period.objects.filter(year=int(match.group(1)), month=int(match.group(2))).first()


def periods() -> list[Period]:
    """Every month, latest first (a dozen a year: the filter's choices)."""
    return list(Period.objects.order_by("-year", "-month"))


def default_period(choices: list[Period]) -> Period | None:
    """The latest open month, else the latest month."""
    return next((p for p in choices if p.state == Period.State.OPEN), choices[0] if choices else None)


def clean_group(value: str | None) -> str:
    return value if value in SubjectGroup.values else ""


def clean_year(value: str | None, fallback: int) -> int:
    return int(value) if value and value.isdigit() and 2000 <= int(value) <= 2100 else fallback


def list_url(**params) -> str:
    """The list behind a figure: `/dashboards/list/?…` with the non-empty filters."""
    query = urlencode({k: v for k, v in params.items() if v not in (None, "", False)})
    return reverse("dashboards:list") + (f"?{query}" if query else "")


@dataclass(frozen=True)
class Place:
    """Where a dashboard looks: one unit (and, if the viewer sees its subtree, its children), or
    the viewer's top visible units when no unit is chosen."""

    unit: OrgUnit | None
    roots: tuple[OrgUnit, ...]
    sees_subtree: bool
    ancestors: tuple[OrgUnit, ...] = ()

    @property
    def code(self) -> str:
        return self.unit.code if self.unit else ""


def place_for(*, user, code: str | None, on: date) -> Place:
    """The unit asked for (404 to outsiders), or the viewer's top visible units; a single top unit
    is opened at once."""
    scope = access.user_scope(user)
    if code:
        unit = access.get_unit_or_404(user, code)
    else:
        roots = org_selectors.visible_roots(user=user, as_of=on)
        if len(roots) != 1:
            return Place(unit=None, roots=tuple(roots), sees_subtree=True)
        unit = roots[0]
    ancestors = tuple(
        u
        for u in OrgUnit.objects.filter(path__in=access.ancestor_paths(unit.path)[:-1]).order_by("depth")
        if access.can_view_unit(user, u)
    )
    return Place(unit=unit, roots=(), sees_subtree=scope.covers(unit.path, scope.view_paths), ancestors=ancestors)


def _forms_in(qs: QuerySet[Evaluation], place: Place, group: str) -> QuerySet[Evaluation]:
    if place.unit is not None:
        qs = qs.filter(unit__path__startswith=place.unit.path)
    else:
        condition = Q(pk__in=[])
        for root in place.roots:
            condition |= Q(unit__path__startswith=root.path)
        qs = qs.filter(condition)
    return qs.filter(subject_group=group) if group else qs


def _bucket(place: Place):
    """The path of the row a form is counted in: its child unit's path (or the unit's own path for
    forms of the unit itself), or the top unit it falls under."""
    if place.unit is not None:
        if not place.sees_subtree:
            return Value(place.unit.path, output_field=CharField())
        return Substr("unit__path", 1, len(place.unit.path) + STEPLEN)
    whens = [When(unit__path__startswith=root.path, then=Value(root.path)) for root in place.roots]
    return Case(*whens, default=Value(""), output_field=CharField()) if whens else Value("", CharField())


@dataclass
class RowUnit:
    """A row of a dashboard table: a child unit (its subtree) or the forms of the unit itself."""

    path: str
    code: str
    name: str
    kind: str
    exact: bool = False  # only the forms of the unit itself, not of its subtree
    drillable: bool = False

    @property
    def kind_label(self) -> str:
        return str(UnitKind(self.kind).label) if self.kind in UnitKind.values else self.kind


def _row_units(place: Place, buckets: set[str], on: date) -> list[RowUnit]:
    """The rows: the children valid on `on` or holding counted forms, the unit itself if it holds
    forms, in path order (one query)."""
    if place.unit is None:
        return [RowUnit(u.path, u.code, u.name, u.kind, drillable=True) for u in place.roots]
    rows = []
    if place.unit.path in buckets or not place.sees_subtree:
        rows.append(RowUnit(place.unit.path, place.unit.code, place.unit.name, place.unit.kind, exact=True))
    if place.sees_subtree:
        children = OrgUnit.objects.filter(
            Q(valid_on_q(on)) | Q(path__in=buckets),
            path__startswith=place.unit.path,
            depth=place.unit.depth + 1,
        ).order_by("kind", "name")
        rows += [RowUnit(u.path, u.code, u.name, u.kind, drillable=True) for u in children]
    return rows


# --- Completion -----------------------------------------------------------------------------------


def late_statuses(period: Period, today: date) -> frozenset[str]:
    """Statuses whose owed step is past its deadline on `today`."""
    return frozenset(status for status, due in OWED_STEP.items() if today > getattr(period, due))


@dataclass
class CompletionRow:
    unit: RowUnit
    counts: dict[str, int]
    late: int

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def done(self) -> int:
        return sum(n for s, n in self.counts.items() if s in DONE)

    @property
    def done_share(self) -> float | None:
        return self.done / self.total if self.total else None

    @property
    def cells(self) -> list[tuple[str, int]]:
        return [(s, self.counts.get(s, 0)) for s in STATUS_ORDER]


@dataclass
class Completion:
    period: Period
    place: Place
    group: str
    today: date
    rows: list[CompletionRow]
    total: CompletionRow
    late_statuses: frozenset[str]
    late_forms: list[Evaluation] = field(default_factory=list)

    @property
    def deadlines(self) -> list[tuple[str, date, bool]]:
        return [
            (str(STEP_LABELS[f]), getattr(self.period, f), self.today > getattr(self.period, f)) for f in STEP_LABELS
        ]


def completion(*, user, period: Period, place: Place, group: str = "", today: date) -> Completion:
    """Forms per status for each row unit, how many are late, and the late forms (two queries
    after the place: the grouped counts and the late list; plus one for the child units)."""
    forms = _forms_in(selectors.evaluations_visible_to(user, period=period), place, group)
    grouped = forms.annotate(bucket=_bucket(place)).values("bucket", "status").annotate(n=Count("pk")).order_by()
    counts: dict[str, dict[str, int]] = defaultdict(dict)
    for row in grouped:
        counts[row["bucket"]][row["status"]] = row["n"]
    late = late_statuses(period, today)
    rows = []
    for unit in _row_units(place, set(counts), selectors.reference_date(period)):
        c = counts.get(unit.path, {})
        rows.append(CompletionRow(unit=unit, counts=c, late=sum(n for s, n in c.items() if s in late)))
    all_counts: dict[str, int] = defaultdict(int)
    for c in counts.values():
        for status, n in c.items():
            all_counts[status] += n
    total_unit = RowUnit(place.unit.path if place.unit else "", place.code, place.unit.name if place.unit else "", "")
    total = CompletionRow(unit=total_unit, counts=dict(all_counts), late=sum(all_counts[s] for s in late))
    late_forms = []
    if total.late:
        late_forms = list(
            forms.filter(status__in=late)
            .select_related("person")
            .order_by("unit__path", "person__full_name", "pk")[:LATE_LIMIT]
        )
        for form in late_forms:
            form.owed_step = str(STEP_LABELS[OWED_STEP[form.status]])
            form.owed_due = getattr(period, OWED_STEP[form.status])
            form.days_late = (today - form.owed_due).days
            form.status_label = str(STATUS_LABELS.get(form.status, form.status))
    return Completion(
        period=period,
        place=place,
        group=group,
        today=today,
        rows=rows,
        total=total,
        late_statuses=late,
        late_forms=late_forms,
    )


# --- Distribution ---------------------------------------------------------------------------------


def quota_base(rule: QuotaRule | None, counts: dict[str, int]) -> int:
    """What the quota ratio applies to: everyone rated, or the count of the base grade."""
    if rule is None or rule.base == BASE_RATED:
        return sum(counts.values())
    return counts.get(rule.base_grade or "", 0)


def top_share(rule: QuotaRule | None, counts: dict[str, int]) -> Decimal | None:
    """The share of the quota grade over the quota's base (None when there is no rule or no base)."""
    if rule is None:
        return None
    base = quota_base(rule, counts)
    return Decimal(counts.get(rule.grade, 0)) / base if base else None


@dataclass
class GradeRow:
    key: str  # month number as text, or the unit path
    label: str
    counts: dict[str, int]
    rule: QuotaRule | None
    unit: RowUnit | None = None
    month: int | None = None

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def share(self) -> Decimal | None:
        return top_share(self.rule, self.counts)

    @property
    def share_pct(self) -> str:
        share = self.share
        return "" if share is None else f"{share * 100:.0f}%"

    @property
    def over(self) -> bool:
        share = self.share
        return share is not None and self.rule is not None and share > self.rule.ratio

    def cells(self, grades: list[str]) -> list[tuple[str, int]]:
        return [(g, self.counts.get(g, 0)) for g in grades]


@dataclass
class FrameworkDistribution:
    framework: FrameworkVersion
    grades: list[str]
    rule: QuotaRule | None
    months: list[GradeRow]  # the whole place, one row per month with graded forms
    units: list[GradeRow]  # one row per row unit, over the year (or the chosen month)
    total: GradeRow

    @property
    def ratio_pct(self) -> str:
        return f"{self.rule.ratio * 100:.0f}%" if self.rule else ""

    @property
    def by_kind(self) -> list[tuple[str, list[GradeRow]]]:
        """Units of the same kind side by side (only kinds with at least two units holding grades)."""
        groups: dict[str, list[GradeRow]] = defaultdict(list)
        for row in self.units:
            if row.total and row.unit and not row.unit.exact:
                groups[row.unit.kind_label].append(row)
        return [(kind, rows) for kind, rows in groups.items() if len(rows) > 1]


@dataclass
class Distribution:
    year: int
    month: int | None
    place: Place
    group: str
    frameworks: list[FrameworkDistribution]


def distribution(*, user, year: int, place: Place, group: str = "", month: int | None = None) -> Distribution:
    """Graded forms of the year per framework: per month for the whole place and per row unit
    (one grouped query, one for the frameworks, one for the child units)."""
    forms = _forms_in(selectors.evaluations_visible_to(user), place, group).filter(period__year=year, status__in=GRADED)
    forms = forms.exclude(_withheld_from(user))  # the viewer's own decided, unpublished grade
    grouped = (
        forms.exclude(grade="")
        .annotate(bucket=_bucket(place))
        .values("bucket", "period__month", "framework_id", "grade")
        .annotate(n=Count("pk"))
        .order_by()
    )
    by_month: dict[int, dict[int, dict[str, int]]] = defaultdict(lambda: defaultdict(lambda: defaultdict(int)))
    by_unit: dict[int, dict[str, dict[str, int]]] = defaultdict(lambda: defaultdict(lambda: defaultdict(int)))
    buckets: set[str] = set()
    for row in grouped:
        fw, grade, n = row["framework_id"], row["grade"], row["n"]
        by_month[fw][row["period__month"]][grade] += n
        buckets.add(row["bucket"])
        if month is None or row["period__month"] == month:
            by_unit[fw][row["bucket"]][grade] += n
    versions = FrameworkVersion.objects.filter(pk__in=list(by_month)).order_by("-effective_from", "code")
    on = min(date(year, 12, 31), access.today()) if year <= access.today().year else date(year, 1, 1)
    row_units = _row_units(place, buckets, on) if by_month else []
    sections = []
    for version in versions:
        spec = version.spec
        rule = spec.quota
        seen = {g for c in by_month[version.pk].values() for g in c}
        grades = [band.code for band in spec.grades]
        grades += sorted(seen - set(grades))
        months = [
            GradeRow(key=str(m), label=f"{m:02d}/{year}", counts=dict(c), rule=rule, month=m)
            for m, c in sorted(by_month[version.pk].items())
        ]
        units = [
            GradeRow(key=u.path, label=u.name, counts=dict(by_unit[version.pk].get(u.path, {})), rule=rule, unit=u)
            for u in row_units
        ]
        total_counts: dict[str, int] = defaultdict(int)
        for row in months:
            if month is None or row.month == month:
                for g, n in row.counts.items():
                    total_counts[g] += n
        total = GradeRow(key="", label="", counts=dict(total_counts), rule=rule)
        sections.append(
            FrameworkDistribution(framework=version, grades=grades, rule=rule, months=months, units=units, total=total)
        )
    return Distribution(year=year, month=month, place=place, group=group, frameworks=sections)


# --- The list behind a figure -------------------------------------------------------------------


@dataclass(frozen=True)
class ListFilters:
    period: Period | None = None
    year: int | None = None
    month: int | None = None
    statuses: tuple[str, ...] = ()
    grade: str = ""
    group: str = ""
    framework_id: int | None = None
    exact: bool = False  # the unit's own forms only


def list_filters_from(params, *, today: date) -> ListFilters:
    """Read the list's query string; an unknown month is a 404, unknown values are ignored."""
    period = None
    if params.get("period"):
        period = period_from_key(params["period"])
        if period is None:
            raise Http404(_("Month not found."))
    statuses: list[str] = []
    for value in params.getlist("status"):
        if value == "late" and period is not None:
            statuses += sorted(late_statuses(period, today))
        elif value == "done":
            statuses += sorted(DONE)
        elif value == "graded":
            statuses += list(GRADED)
        elif value in Status.__members__.values():
            statuses.append(value)
    month = params.get("month", "")
    framework = params.get("framework", "")
    return ListFilters(
        period=period,
        year=clean_year(params.get("year"), 0) or None,
        month=int(month) if month.isdigit() and 1 <= int(month) <= 12 else None,
        statuses=tuple(dict.fromkeys(statuses)) or (("-",) if "late" in params.getlist("status") else ()),
        grade=params.get("grade", "")[:10],
        group=clean_group(params.get("group")),
        framework_id=int(framework) if framework.isdigit() else None,
        exact=params.get("exact") == "1",
    )


def _withheld_from(user) -> Q:
    """The viewer's own forms whose result is withheld until published (`Evaluation.result_withheld_from`)."""
    me = access.user_scope(user).person_id
    return Q(person_id=me, status=Status.DECIDED) if me is not None else Q(pk__in=[])


def form_list(*, user, place: Place, filters: ListFilters) -> QuerySet[Evaluation]:
    """The forms behind a figure, in unit and name order (only forms the viewer may open)."""
    qs = selectors.evaluations_visible_to(user, period=filters.period)
    if filters.exact and place.unit is not None:
        qs = qs.filter(unit=place.unit)
        qs = qs.filter(subject_group=filters.group) if filters.group else qs
    else:
        qs = _forms_in(qs, place, filters.group)
    if filters.year:
        qs = qs.filter(period__year=filters.year)
    if filters.month:
        qs = qs.filter(period__month=filters.month)
    if filters.statuses:
        qs = qs.filter(status__in=filters.statuses)
    if filters.grade:
        qs = qs.filter(grade=filters.grade).exclude(_withheld_from(user))
    if filters.framework_id:
        qs = qs.filter(framework_id=filters.framework_id)
    return qs.select_related("person", "period").order_by(
        "period__year", "period__month", "unit__path", "person__full_name", "pk"
    )
