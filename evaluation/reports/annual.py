"""What the reports show: one selector module shared by the PDFs, the Excel files and the HTML page.

Reads the rows the rating services wrote (`AnnualClassification`, `QuarterlyRating`, the current
revision of each `Evaluation`); computes nothing but counts, totals and percentages for display.
Every query reads plain values (`values()`), so a 1,000-person list costs a fixed handful of
queries and no model instances.

Scope of a unit's list: the rows whose classification unit is the unit or whose decision unit is the
unit (an agency's list holds everyone its head decides, and its own head). With `subtree`, every
row whose classification unit lies under the unit (HR's list of a whole subtree).
"""

from __future__ import annotations

import math
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import Q
from django.utils import timezone

from evaluation.models import AnnualClassification, Period, QuarterlyRating
from evaluation.selectors import current_forms
from kpi.models import FrameworkVersion
from orgchart.access import agency_of, ancestor_paths
from orgchart.models import OrgUnit

UNDECIDED_LABEL = "Chưa xếp loại"  # a row with neither a decided nor a computed level
DEFAULT_PLACE = "Hà Nội"
CHUNK = 500  # ids per IN (...) query (SQLite's parameter limit)

Progress = Callable[[int, int], None]  # (done, total)


def _nfc(text: str | None) -> str:
    return unicodedata.normalize("NFC", text or "")


# --- Vietnamese number and date formats ------------------------------------------------------


def vn_number(value: Decimal | float | int | None, places: int = 2) -> str:
    """87.5 → "87,50"; 1234.5 → "1.234,50"; None → "" (decimal comma, dot for thousands)."""
    if value is None:
        return ""
    quantum = Decimal(1).scaleb(-places)
    number = Decimal(str(value)).quantize(quantum, rounding=ROUND_HALF_UP)
    text = f"{number:,.{places}f}"
    return text.replace(",", "\x00").replace(".", ",").replace("\x00", ".")


def vn_date(value: date | datetime | None) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = timezone.localdate(value) if timezone.is_aware(value) else value.date()
    return value.strftime("%d/%m/%Y")


def place_and_date(on: date, place: str = DEFAULT_PLACE) -> str:
    return f"{place}, ngày {on.day:02d} tháng {on.month:02d} năm {on.year}"


def percent(count: int, total: int) -> Decimal:
    if not total:
        return Decimal("0.00")
    return (Decimal(count) * 100 / Decimal(total)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def local_date(value: datetime | None) -> date | None:
    if value is None:
        return None
    return timezone.localdate(value) if timezone.is_aware(value) else value.date()


class DecimalTexts:
    """`row.<field>_text` is the field in Vietnamese number format (for templates)."""

    def __getattr__(self, name: str) -> str:
        if name.endswith("_text"):
            return vn_number(object.__getattribute__(self, name.removesuffix("_text")))
        raise AttributeError(name)


# --- The document header ---------------------------------------------------------------------


@dataclass(frozen=True)
class Header:
    """Left block of the national header: the body above the agency, then the agency."""

    parent_name: str
    agency_name: str
    on: date
    place: str = DEFAULT_PLACE

    @property
    def place_date(self) -> str:
        return place_and_date(self.on, self.place)


def header_for(unit: OrgUnit, on: date | None = None, place: str = DEFAULT_PLACE) -> Header:
    agency = agency_of(unit)
    parent = None
    paths = ancestor_paths(agency.path)[:-1]
    if paths:
        parent = OrgUnit.objects.filter(path=paths[-1]).only("name").first()
    return Header(
        parent_name=_nfc(parent.name) if parent else "",
        agency_name=_nfc(agency.name),
        on=on or timezone.localdate(),
        place=place,
    )


# --- Levels ------------------------------------------------------------------------------------


class Levels:
    """Level codes (best first) and their labels, and each framework's monthly grade → level map,
    all from the framework versions' specs (`FrameworkSpec.annual_level_labels`). Codes stay for
    the machine (ordering, the totals); people read the labels.

    Without any row, the levels are those of the versions in force (so an empty list still has its
    columns)."""

    def __init__(self, framework_ids: Iterable[int]):
        self.codes: list[str] = []
        self.labels: dict[str, str] = {}
        self.not_classified: set[str] = set()
        self.grade_to_level: dict[int, dict[str, str]] = {}
        self.grade_labels: dict[int, dict[str, str]] = {}
        ids = set(framework_ids)
        versions = (
            FrameworkVersion.objects.filter(pk__in=ids)
            if ids
            else FrameworkVersion.objects.exclude(status=FrameworkVersion.Status.DRAFT)
        )
        for fw in versions.order_by("pk"):
            spec = fw.spec
            self.grade_to_level[fw.pk] = dict(spec.annual.level_map)
            self.grade_labels[fw.pk] = {band.code: _nfc(band.label_vi) for band in spec.grades}
            for level in spec.annual.levels:
                if level not in self.codes:
                    self.codes.append(level)
            for code, label in spec.annual_level_labels().items():
                self.labels.setdefault(code, _nfc(label))
            self.not_classified.add(spec.annual.not_classified)

    def label(self, code: str) -> str:
        return self.labels.get(code, code) if code else ""

    def is_not_classified(self, code: str) -> bool:
        return code in self.not_classified

    def level_of_grade(self, framework_id: int, grade: str) -> str:
        return self.grade_to_level.get(framework_id, {}).get(grade, grade)

    def months_per_level(self, framework_id: int, counts: dict[str, Any]) -> tuple[int, ...]:
        per_level: Counter[str] = Counter()
        for grade, count in (counts or {}).items():
            per_level[self.level_of_grade(framework_id, grade)] += int(count or 0)
        return tuple(per_level.get(code, 0) for code in self.codes)

    @property
    def legend(self) -> list[tuple[str, str]]:
        return [(code, self.label(code)) for code in self.codes]


@dataclass(frozen=True)
class LevelTotal:
    code: str
    label: str
    count: int
    percent: Decimal

    @property
    def percent_text(self) -> str:
        return vn_number(self.percent)


PDF_FONT = "Liberation Serif, DejaVu Serif, serif"


def totals_chart(totals: list[LevelTotal], *, title: str) -> str:
    """The totals per level as an SVG bar chart for the printed report (WeasyPrint runs no JavaScript;
    the same `evaluation.charts` the dashboards use), each bar under the label people read."""
    from evaluation import charts

    shown = [t for t in totals if t.code or t.count]
    top = max([t.count for t in shown] + [0])
    y_max = max(2, 2 * math.ceil(top / 2))  # ticks at 0, half and the top: whole people
    return charts.bar_chart(
        [t.label for t in shown],
        [t.count for t in shown],
        title=title,
        width=640,
        height=190,
        y_max=y_max,
        font_family=PDF_FONT,
    )


def level_totals(levels: Levels, final_levels: Iterable[str]) -> tuple[list[LevelTotal], int]:
    counts = Counter(final_levels)
    total = sum(counts.values())
    codes = list(levels.codes)
    extra = sorted(code for code in counts if code not in codes)  # "not classified", undecided ""
    rows = [
        LevelTotal(
            code or "",
            levels.label(code) if code else UNDECIDED_LABEL,
            counts.get(code, 0),
            percent(counts.get(code, 0), total),
        )
        for code in codes + extra
    ]
    return rows, total


# --- Annual classification list --------------------------------------------------------------


@dataclass(frozen=True)
class AnnualListRow:
    number: int
    person_id: int
    full_name: str
    employee_code: str
    position_title: str
    unit_code: str
    unit_name: str
    months_evaluated: int
    months_per_level: tuple[int, ...]
    average: Decimal | None
    computed_level: str
    proposed_level: str
    decided_level: str
    note: str
    status: str
    decided_on: date | None
    reasons: tuple[str, ...] = ()
    computed_level_label: str = ""
    proposed_level_label: str = ""
    decided_level_label: str = ""
    not_classified: bool = False  # the computed level is the framework's "not classified"

    @property
    def final_level(self) -> str:
        """The decided level, else the computed one (before the decision)."""
        return self.decided_level or self.computed_level

    @property
    def average_text(self) -> str:
        return vn_number(self.average)


@dataclass
class AnnualList:
    unit: OrgUnit
    year: int
    subtree: bool
    header: Header
    levels: Levels
    rows: list[AnnualListRow]
    totals: list[LevelTotal] = field(default_factory=list)
    total_count: int = 0

    @property
    def title(self) -> str:
        return f"DANH SÁCH XẾP LOẠI CHẤT LƯỢNG CÁN BỘ, CÔNG CHỨC, VIÊN CHỨC NĂM {self.year}"

    @property
    def chart_title(self) -> str:
        return f"Số người theo mức xếp loại năm {self.year}"

    @property
    def chart_svg(self) -> str:
        return totals_chart(self.totals, title=self.chart_title)

    @property
    def columns(self) -> int:
        """Columns of the printed table: no., name, position, [unit], months per level, average,
        proposed, decided, note."""
        return 7 + len(self.levels.codes) + (1 if self.subtree else 0)


def _scope_q(unit: OrgUnit, subtree: bool, prefix: str = "") -> Q:
    if subtree:
        return Q(**{f"{prefix}unit__path__startswith": unit.path})
    return Q(**{f"{prefix}unit": unit}) | Q(**{f"{prefix}decision_unit": unit})


ANNUAL_FIELDS = (
    "person_id",
    "person__full_name",
    "person__employee_code",
    "position_title",
    "unit__code",
    "unit__name",
    "unit__path",
    "framework_id",
    "months_evaluated",
    "counts_per_grade",
    "average",
    "computed_level",
    "proposed_level",
    "decided_level",
    "note",
    "status",
    "decided_at",
    "reasons",
)


def _reason_texts(reasons) -> tuple[str, ...]:
    """`[[id, text], …]` (or `[{"id", "text"}, …]`) → the texts."""
    texts = []
    for reason in reasons or []:
        if isinstance(reason, dict):
            text = reason.get("text", "")
        elif isinstance(reason, list | tuple):
            text = reason[-1] if reason else ""
        else:
            text = reason
        texts.append(_nfc(str(text)))
    return tuple(texts)


def annual_rows_qs(*, unit: OrgUnit, year: int, subtree: bool):
    return (
        AnnualClassification.objects.filter(_scope_q(unit, subtree), year=year)
        .order_by("unit__path", "person__full_name", "person_id")
        .values(*ANNUAL_FIELDS)
    )


def annual_list(
    *,
    unit: OrgUnit,
    year: int,
    subtree: bool = False,
    on: date | None = None,
    progress: Progress | None = None,
) -> AnnualList:
    """The annual classification list of `unit` (or of its whole subtree) for `year`."""
    raw = list(annual_rows_qs(unit=unit, year=year, subtree=subtree))
    levels = Levels(r["framework_id"] for r in raw)
    rows = []
    total = len(raw)
    for i, r in enumerate(raw, start=1):
        rows.append(
            AnnualListRow(
                number=i,
                person_id=r["person_id"],
                full_name=_nfc(r["person__full_name"]),
                employee_code=r["person__employee_code"],
                position_title=_nfc(r["position_title"]),
                unit_code=r["unit__code"],
                unit_name=_nfc(r["unit__name"]),
                months_evaluated=r["months_evaluated"],
                months_per_level=levels.months_per_level(r["framework_id"], r["counts_per_grade"]),
                average=r["average"],
                computed_level=r["computed_level"],
                proposed_level=r["proposed_level"],
                decided_level=r["decided_level"],
                note=_nfc(r["note"]),
                status=r["status"],
                decided_on=local_date(r["decided_at"]),
                reasons=_reason_texts(r["reasons"]),
                computed_level_label=levels.label(r["computed_level"]),
                proposed_level_label=levels.label(r["proposed_level"]),
                decided_level_label=levels.label(r["decided_level"]),
                not_classified=levels.is_not_classified(r["computed_level"]),
            )
        )
        if progress is not None:
            progress(i, total)
    totals, count = level_totals(levels, (row.final_level for row in rows))
    return AnnualList(
        unit=unit,
        year=year,
        subtree=subtree,
        header=header_for(unit, on),
        levels=levels,
        rows=rows,
        totals=totals,
        total_count=count,
    )


# --- Individual annual forms -----------------------------------------------------------------


@dataclass(frozen=True)
class MonthLine:
    month: int
    score: Decimal | None
    grade: str
    grade_label: str
    status: str
    note: str

    @property
    def score_text(self) -> str:
        return vn_number(self.score)


@dataclass(frozen=True)
class QuarterLine(DecimalTexts):
    quarter: int
    monthly_average: Decimal | None
    unit_result: Decimal | None
    sector_assessment: Decimal | None
    total: Decimal | None
    grade: str
    status: str
    grade_label: str = ""


@dataclass(frozen=True)
class AnnualForm:
    row: AnnualListRow
    year: int
    months: list[MonthLine]
    quarters: list[QuarterLine]
    reasons: list[str]
    levels: Levels
    computed_level_label: str
    proposed_level_label: str
    decided_level_label: str

    @property
    def months_total(self) -> Decimal | None:
        scores = [m.score for m in self.months if m.score is not None]
        return sum(scores, Decimal(0)) if scores else None

    @property
    def months_total_text(self) -> str:
        return vn_number(self.months_total)

    @property
    def level_counts(self) -> list[tuple[str, int]]:
        """(level label, months) in the framework's order."""
        return [(self.levels.label(code), n) for code, n in zip(self.levels.codes, self.row.months_per_level)]


@dataclass
class AnnualForms:
    unit: OrgUnit
    year: int
    subtree: bool
    header: Header
    forms: list[AnnualForm]


def _chunks(seq: list, size: int = CHUNK) -> Iterator[list]:
    for i in range(0, len(seq), size):
        yield seq[i : i + size]


def _grade_label(levels: Levels, framework_id: int, grade: str) -> str:
    """The label of a monthly grade code (a quarter may be rated under a version no annual row uses)."""
    if framework_id not in levels.grade_labels:
        fw = FrameworkVersion.objects.filter(pk=framework_id).first()
        levels.grade_labels[framework_id] = (
            {band.code: _nfc(band.label_vi) for band in fw.spec.grades} if fw is not None else {}
        )
    return levels.grade_labels[framework_id].get(grade, grade) if grade else ""


def annual_forms(
    *,
    unit: OrgUnit,
    year: int,
    subtree: bool = False,
    person_ids: Iterable[int] | None = None,
    on: date | None = None,
    progress: Progress | None = None,
) -> AnnualForms:
    """The individual annual form of everyone on the unit's list (or of `person_ids` on it)."""
    base = annual_list(unit=unit, year=year, subtree=subtree, on=on)
    rows = base.rows
    if person_ids is not None:
        wanted = set(person_ids)
        rows = [r for r in rows if r.person_id in wanted]
    months: dict[int, dict[int, dict]] = {}
    quarters: dict[int, list[QuarterLine]] = {}
    for ids in _chunks([r.person_id for r in rows]):
        for e in (
            current_forms()
            .filter(period__year=year, person_id__in=ids)
            .values(
                "person_id", "period__month", "final_total", "grade", "status", "not_evaluated_reason", "framework_id"
            )
        ):
            months.setdefault(e["person_id"], {})[e["period__month"]] = e
        for q in (
            QuarterlyRating.objects.filter(year=year, person_id__in=ids)
            .order_by("quarter")
            .values(
                "person_id",
                "quarter",
                "monthly_average",
                "unit_result",
                "sector_assessment",
                "total",
                "grade",
                "status",
                "framework_id",
            )
        ):
            quarters.setdefault(q["person_id"], []).append(
                QuarterLine(
                    quarter=q["quarter"],
                    monthly_average=q["monthly_average"],
                    unit_result=q["unit_result"],
                    sector_assessment=q["sector_assessment"],
                    total=q["total"],
                    grade=q["grade"],
                    status=q["status"],
                    grade_label=_grade_label(base.levels, q["framework_id"], q["grade"]),
                )
            )
    levels = base.levels
    forms = []
    total = len(rows)
    for i, row in enumerate(rows, start=1):
        lines = []
        for month in range(1, 13):
            e = months.get(row.person_id, {}).get(month)
            if e is None:
                lines.append(MonthLine(month, None, "", "", "", ""))
                continue
            labels = levels.grade_labels.get(e["framework_id"], {})
            lines.append(
                MonthLine(
                    month=month,
                    score=e["final_total"],
                    grade=e["grade"],
                    grade_label=_nfc(labels.get(e["grade"], "")),
                    status=e["status"],
                    note=_nfc(e["not_evaluated_reason"]),
                )
            )
        forms.append(
            AnnualForm(
                row=row,
                year=year,
                months=lines,
                quarters=quarters.get(row.person_id, []),
                reasons=list(row.reasons),
                levels=levels,
                computed_level_label=row.computed_level_label,
                proposed_level_label=row.proposed_level_label,
                decided_level_label=row.decided_level_label,
            )
        )
        if progress is not None:
            progress(i, total)
    return AnnualForms(unit=unit, year=year, subtree=subtree, header=base.header, forms=forms)


# --- Monthly result sheet of a unit ------------------------------------------------------------


@dataclass(frozen=True)
class MonthlyRow(DecimalTexts):
    number: int
    full_name: str
    employee_code: str
    position_title: str
    unit_name: str
    self_total: Decimal | None
    review_total: Decimal | None
    final_total: Decimal | None
    grade: str
    status: str
    decided_on: date | None


@dataclass
class MonthlySheet:
    unit: OrgUnit
    year: int
    month: int
    subtree: bool
    header: Header
    rows: list[MonthlyRow]
    totals: list[LevelTotal]
    total_count: int

    @property
    def title(self) -> str:
        return f"BẢNG TỔNG HỢP KẾT QUẢ ĐÁNH GIÁ, XẾP LOẠI THÁNG {self.month:02d} NĂM {self.year}"

    @property
    def chart_title(self) -> str:
        return f"Số người theo loại, tháng {self.month:02d}/{self.year}"

    @property
    def chart_svg(self) -> str:
        return totals_chart(self.totals, title=self.chart_title)


def monthly_sheet(
    *,
    unit: OrgUnit,
    year: int,
    month: int,
    subtree: bool = False,
    on: date | None = None,
    progress: Progress | None = None,
) -> MonthlySheet:
    period = Period.objects.filter(year=year, month=month).first()
    raw = (
        list(
            current_forms(period=period)
            .filter(_scope_q(unit, subtree))
            .order_by("unit__path", "person__full_name", "person_id")
            .values(
                "person__full_name",
                "person__employee_code",
                "position_title",
                "unit_name",
                "self_total",
                "review_total",
                "final_total",
                "grade",
                "status",
                "decided_at",
                "framework_id",
            )
        )
        if period
        else []
    )
    grade_order: list[str] = []
    labels: dict[str, str] = {}
    for fw in FrameworkVersion.objects.filter(pk__in={r["framework_id"] for r in raw}).order_by("pk"):
        for band in fw.spec.grades:
            if band.code not in grade_order:
                grade_order.append(band.code)
                labels[band.code] = _nfc(band.label_vi)
    rows = []
    for i, r in enumerate(raw, start=1):
        rows.append(
            MonthlyRow(
                number=i,
                full_name=_nfc(r["person__full_name"]),
                employee_code=r["person__employee_code"],
                position_title=_nfc(r["position_title"]),
                unit_name=_nfc(r["unit_name"]),
                self_total=r["self_total"],
                review_total=r["review_total"],
                final_total=r["final_total"],
                grade=r["grade"],
                status=r["status"],
                decided_on=local_date(r["decided_at"]),
            )
        )
        if progress is not None:
            progress(i, len(raw))
    counts = Counter(r.grade for r in rows if r.grade)
    graded = sum(counts.values())
    codes = grade_order + sorted(c for c in counts if c not in grade_order)
    totals = [LevelTotal(c, labels.get(c, c), counts.get(c, 0), percent(counts.get(c, 0), graded)) for c in codes]
    return MonthlySheet(unit, year, month, subtree, header_for(unit, on), rows, totals, graded)


# --- Quarterly rating sheet ------------------------------------------------------------------


@dataclass(frozen=True)
class QuarterlyRow(DecimalTexts):
    number: int
    full_name: str
    employee_code: str
    position_title: str
    unit_name: str
    monthly_scores: tuple[Decimal | None, Decimal | None, Decimal | None]
    monthly_average: Decimal | None
    unit_result: Decimal | None
    sector_assessment: Decimal | None
    total: Decimal | None
    grade: str
    status: str
    missing: tuple[str, ...]

    @property
    def monthly_texts(self) -> list[str]:
        return [vn_number(s) for s in self.monthly_scores]


@dataclass
class QuarterlySheet:
    unit: OrgUnit
    year: int
    quarter: int
    subtree: bool
    header: Header
    rows: list[QuarterlyRow]

    @property
    def title(self) -> str:
        return f"BẢNG ĐÁNH GIÁ, XẾP LOẠI THEO QUÝ {self.quarter} NĂM {self.year}"

    @property
    def month_numbers(self) -> list[int]:
        return [3 * (self.quarter - 1) + i for i in (1, 2, 3)]


def _decimal(value) -> Decimal | None:
    if value is None or value == "":
        return None
    return Decimal(str(value))


def quarterly_sheet(
    *,
    unit: OrgUnit,
    year: int,
    quarter: int,
    subtree: bool = False,
    on: date | None = None,
    progress: Progress | None = None,
) -> QuarterlySheet:
    raw = list(
        QuarterlyRating.objects.filter(_scope_q(unit, subtree), year=year, quarter=quarter)
        .order_by("unit__path", "person__full_name", "person_id")
        .values(
            "person__full_name",
            "person__employee_code",
            "position_title",
            "unit_name",
            "monthly_scores",
            "monthly_average",
            "unit_result",
            "sector_assessment",
            "total",
            "grade",
            "status",
            "missing",
        )
    )
    rows = []
    for i, r in enumerate(raw, start=1):
        scores = [_decimal(s) for s in (r["monthly_scores"] or [])][:3]
        scores += [None] * (3 - len(scores))
        rows.append(
            QuarterlyRow(
                number=i,
                full_name=_nfc(r["person__full_name"]),
                employee_code=r["person__employee_code"],
                position_title=_nfc(r["position_title"]),
                unit_name=_nfc(r["unit_name"]),
                monthly_scores=tuple(scores),
                monthly_average=r["monthly_average"],
                unit_result=r["unit_result"],
                sector_assessment=r["sector_assessment"],
                total=r["total"],
                grade=r["grade"],
                status=r["status"],
                missing=tuple(str(m) for m in (r["missing"] or [])),
            )
        )
        if progress is not None:
            progress(i, len(raw))
    return QuarterlySheet(unit, year, quarter, subtree, header_for(unit, on), rows)
