"""Quarterly ratings of heads (DOMAIN.md section 5) and the annual classification (section 6).

Services (writes: keyword-only, `actor`, atomic, compare-and-swap on `version`) and the selectors the
pages need. The rules themselves are pure and live in `kpi.annual` (`quarter_score`) and
`kpi.rollup` (`annual_levels`); this module gathers their inputs from the database and stores the
results. See docs/RATINGS.md.

Statuses (`RatingStatus`): a quarter is PROVISIONAL while an input is missing, COMPUTED when all are
there, CONFIRMED by the decider, and LOCKED once the complaint window after the confirmation has
passed. An annual row is COMPUTED, CONFIRMED when the decider has decided its level ("decided"),
PUBLISHED with the decision unit, and LOCKED after the complaint window. The compute services only
ever write PROVISIONAL and COMPUTED rows.
"""

from __future__ import annotations

import calendar
from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Count, F, Max, Q, Sum
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from evaluation import selectors
from evaluation.models import (
    AnnualClassification,
    AnnualComplaint,
    AnnualPublication,
    QuarterlyRating,
    RatingStatus,
    SectorAssessment,
    UnitQuarterResult,
)
from evaluation.services import (
    Conflict,
    InvalidInput,
    NotAllowed,
    QuotaExceeded,
    StaleForm,
    _DecisionUnits,
    add_working_days,
    notify_person,
)
from evaluation.workflow import Status
from kpi import quota as kpi_quota
from kpi import rollup
from kpi import selectors as kpi_selectors
from kpi.annual import quarter_score
from kpi.models import FrameworkVersion
from kpi.scoring import to_decimal
from orgchart import access
from orgchart import selectors as orgchart_selectors
from orgchart.models import Assignment, OrgUnit, Person, SectorLink, valid_on_q

OPEN = (RatingStatus.PROVISIONAL, RatingStatus.COMPUTED)  # what the compute services may rewrite
FROZEN = (RatingStatus.CONFIRMED, RatingStatus.PUBLISHED, RatingStatus.LOCKED)
MONTH_DONE = (Status.PUBLISHED, Status.LOCKED)  # monthly forms that count for the year

# --- Dates ------------------------------------------------------------------------------------------


YEARS = (2000, 2100)  # the years the rating pages and services accept


def check_year(year: int) -> None:
    if not YEARS[0] <= int(year) <= YEARS[1]:
        raise InvalidInput(_("There is no classification for the year %(y)s.") % {"y": year}, field="year")


def check_quarter(year: int, quarter: int) -> None:
    if not (YEARS[0] <= int(year) <= YEARS[1] and 1 <= int(quarter) <= 4):
        raise InvalidInput(_("There is no quarter %(q)s of %(y)s.") % {"q": quarter, "y": year}, field="quarter")


def quarter_months(quarter: int) -> tuple[int, int, int]:
    first = 3 * (quarter - 1) + 1
    return first, first + 1, first + 2


def quarter_last_day(year: int, quarter: int) -> date:
    """The org chart a quarter is rated under: who held the post on its last day."""
    month = 3 * quarter
    return date(year, month, calendar.monthrange(year, month)[1])


def annual_reference_date(year: int, today: date | None = None) -> date:
    """The classification date: 31 December, or today while the year is still running."""
    today = today or timezone.localdate()
    return min(date(year, 12, 31), today)


def annual_is_provisional(year: int, today: date | None = None) -> bool:
    """The year is not over (today before 31 December): its results are provisional."""
    return (today or timezone.localdate()) < date(year, 12, 31)


def _complaint_deadline(start: date) -> date:
    return add_working_days(start, settings.EVALUATION_CYCLE["complaint_working_days"])


def _score_input(value: Any, field: str) -> Decimal:
    number = to_decimal(value)
    if number is None or not Decimal(0) <= number <= Decimal(100):
        raise InvalidInput(_("Enter a score from 0 to 100."), field=field)
    return number.quantize(Decimal("0.01"))


def _decision_unit_id(units: _DecisionUnits, path: str, kind: str) -> int:
    """The agency whose head decides, by the same rule as the monthly forms."""
    return units.for_assignment(SimpleNamespace(unit=SimpleNamespace(path=path), position=SimpleNamespace(kind=kind)))


# === Quarterly ratings ===============================================================================


def _quarter_assignments(last: date, *, person_ids=None, unit=None):
    qs = Assignment.objects.filter(valid_on_q(last), is_primary=True, position__quarterly_rated=True)
    if person_ids is not None:
        qs = qs.filter(person_id__in=list(person_ids))
    if unit is not None:
        qs = qs.filter(unit=unit)
    return qs.select_related("person", "unit", "position")


@transaction.atomic
def quarter_compute(*, year: int, quarter: int, person_ids=None) -> dict[str, int]:
    """(Re)compute the quarter of every head in a `quarterly_rated` position on the quarter's last day.

    Monthly scores are the final totals of the current revision of the three monthly forms, counted
    only once LOCKED (a published month may still change through a complaint). A locked month marked
    "not evaluated" is left out of the average; a month not locked yet is missing. Idempotent: a row
    is written only when a value changed; CONFIRMED, PUBLISHED and LOCKED rows are never touched.
    """
    check_quarter(year, quarter)
    last = quarter_last_day(year, quarter)
    months = quarter_months(quarter)
    assignments = list(_quarter_assignments(last, person_ids=person_ids))
    counts = {"created": 0, "updated": 0, "unchanged": 0, "frozen": 0, "removed": 0}
    pids = [a.person_id for a in assignments]
    if person_ids is None:
        # Heads who are no longer in a rated post on the last day lose their open (never confirmed) row.
        stale = QuarterlyRating.objects.filter(year=year, quarter=quarter, status__in=OPEN).exclude(person_id__in=pids)
        counts["removed"] = stale.delete()[0]
    if not assignments:
        return counts
    unit_ids = {a.unit_id for a in assignments}
    scores: dict[int, dict[int, Decimal | None]] = defaultdict(dict)
    for person_id, month, total in (
        selectors.current_forms()
        .filter(period__year=year, period__month__in=months, person_id__in=pids, status=Status.LOCKED)
        .values_list("person_id", "period__month", "final_total")
    ):
        scores[person_id][month] = total
    unit_results = dict(
        UnitQuarterResult.objects.filter(year=year, quarter=quarter, unit_id__in=unit_ids).values_list(
            "unit_id", "score"
        )
    )
    linked = set(
        SectorLink.objects.filter(valid_on_q(last), office_id__in=unit_ids).values_list("office_id", flat=True)
    )
    sectors = dict(
        SectorAssessment.objects.filter(year=year, quarter=quarter, person_id__in=pids).values_list(
            "person_id", "score"
        )
    )
    existing = {r.person_id: r for r in QuarterlyRating.objects.filter(year=year, quarter=quarter, person_id__in=pids)}
    decision_units = _DecisionUnits(last)
    frameworks: dict[str, FrameworkVersion] = {}
    new_rows = []
    for a in assignments:
        group = a.person.subject_group
        if group not in frameworks:
            frameworks[group] = kpi_selectors.framework_version_for(
                subject_group=group, month=date(year, months[-1], 1)
            )
        framework = frameworks[group]
        stored, present, missing_months = [], [], []
        for month in months:
            if month not in scores[a.person_id]:
                stored.append(None)
                missing_months.append(f"month_{month}")
            elif scores[a.person_id][month] is None:
                stored.append(None)  # not evaluated that month: left out of the average
            else:
                value = scores[a.person_id][month]
                stored.append(str(value))
                present.append(value)
        has_link = a.unit_id in linked
        result = quarter_score(
            framework.spec,
            monthly_scores=present + [None] * len(missing_months),
            unit_result=unit_results.get(a.unit_id),
            sector_assessment=sectors.get(a.person_id) if has_link else None,
            has_sector_link=has_link,
        )
        missing = missing_months + [m for m in result.missing if not m.startswith("monthly_score_")]
        values = {
            "unit_id": a.unit_id,
            "unit_name": a.unit.name,
            "position_title": a.position.title,
            "decision_unit_id": decision_units.for_assignment(a),
            "framework_id": framework.pk,
            "monthly_scores": stored,
            "monthly_average": result.monthly_average,
            "unit_result": unit_results.get(a.unit_id),
            "sector_assessment": sectors.get(a.person_id) if has_link else None,
            "has_sector_link": has_link,
            "total": result.total,
            "grade": result.grade or "",
            "missing": missing,
            "status": RatingStatus.PROVISIONAL if missing else RatingStatus.COMPUTED,
        }
        row = existing.get(a.person_id)
        if row is None:
            new_rows.append(QuarterlyRating(person_id=a.person_id, year=year, quarter=quarter, **values))
            counts["created"] += 1
        elif row.status in FROZEN:
            counts["frozen"] += 1
        elif all(getattr(row, name) == value for name, value in values.items()):
            counts["unchanged"] += 1
        else:
            updated = QuarterlyRating.objects.filter(pk=row.pk, version=row.version, status__in=OPEN).update(
                **values, version=row.version + 1, computed_at=timezone.now()
            )
            counts["updated" if updated else "frozen"] += 1
    QuarterlyRating.objects.bulk_create(new_rows)
    return counts


def _recompute_quarter_for(*, year: int, quarter: int, unit: OrgUnit | None = None, person: Person | None = None):
    last = quarter_last_day(year, quarter)
    if person is not None:
        person_ids = [person.pk]
    else:
        person_ids = list(_quarter_assignments(last, unit=unit).values_list("person_id", flat=True))
    if person_ids:
        quarter_compute(year=year, quarter=quarter, person_ids=person_ids)


def can_enter_unit_results(user, unit: OrgUnit | None = None) -> bool:
    """HR officers (of a subtree containing the unit)."""
    scope = access.user_scope(user)
    paths = scope.grant_paths(access.HR_OFFICER)
    if unit is None:
        return scope.is_superuser or bool(paths)
    return scope.covers(unit.path, paths)


@transaction.atomic
def unit_quarter_result_set(
    *, unit: OrgUnit, year: int, quarter: int, score, actor, note: str = ""
) -> UnitQuarterResult:
    """The unit's own result for the quarter (0–100), entered by HR; recomputes its heads' quarters."""
    check_quarter(year, quarter)
    if not can_enter_unit_results(actor, unit):
        raise NotAllowed(_("Only HR officers of a subtree containing this unit enter its quarterly result."))
    value = _score_input(score, "score")
    if QuarterlyRating.objects.filter(unit=unit, year=year, quarter=quarter, status__in=FROZEN).exists():
        raise Conflict(
            _("The quarterly rating of this unit's head is already confirmed; its inputs can no longer change.")
        )
    result, _created = UnitQuarterResult.objects.update_or_create(
        unit=unit, year=year, quarter=quarter, defaults={"score": value, "note": note.strip(), "entered_by": actor}
    )
    _recompute_quarter_for(year=year, quarter=quarter, unit=unit)
    return result


def sector_link_for(person: Person, on: date) -> tuple[Assignment | None, SectorLink | None]:
    """The person's rated assignment on `on` and the sector link of its unit (if any)."""
    assignment = access.primary_assignment(person, on)
    if assignment is None or not assignment.position.quarterly_rated:
        return assignment, None
    link = SectorLink.objects.filter(valid_on_q(on), office=assignment.unit).select_related("department").first()
    return assignment, link


@transaction.atomic
def sector_assessment_set(
    *, person: Person, year: int, quarter: int, score, comment: str = "", actor
) -> SectorAssessment:
    """The sector assessment (0–100) of a rated head, by the head of the department linked by the
    sector link on the quarter's last day; recomputes that head's quarter."""
    check_quarter(year, quarter)
    last = quarter_last_day(year, quarter)
    assignment, link = sector_link_for(person, last)
    if assignment is None or not assignment.position.quarterly_rated:
        raise InvalidInput(_("This person is not rated quarterly for this quarter."), field="person")
    if link is None:
        raise InvalidInput(_("This person's unit has no sector link: there is no sector assessment."), field="person")
    me = access.person_for_user(actor)
    if me is None or me.pk == person.pk or me.pk not in {h.pk for h in access.heads_of(link.department, last)}:
        raise NotAllowed(_("Only the head of the department linked by the sector link gives this assessment."))
    value = _score_input(score, "score")
    if QuarterlyRating.objects.filter(person=person, year=year, quarter=quarter, status__in=FROZEN).exists():
        raise Conflict(_("This quarterly rating is already confirmed; its inputs can no longer change."))
    assessment, _created = SectorAssessment.objects.update_or_create(
        person=person,
        year=year,
        quarter=quarter,
        defaults={"score": value, "comment": comment.strip(), "department": link.department, "assessed_by": me},
    )
    _recompute_quarter_for(year=year, quarter=quarter, person=person)
    return assessment


@transaction.atomic
def quarterly_rating_confirm(*, rating: QuarterlyRating, expected_version: int, actor) -> QuarterlyRating:
    """The decider of the rated head confirms a complete rating (refused while provisional)."""
    last = quarter_last_day(rating.year, rating.quarter)
    if not access.can_decide(actor, rating.person, last):
        raise NotAllowed(_("Only the person who decides this head's results confirms the quarterly rating."))
    if rating.version != expected_version:
        raise StaleForm(_("Someone else changed this rating in the meantime. Reload it and try again."))
    if rating.status == RatingStatus.PROVISIONAL:
        raise Conflict(_("This rating is still provisional: an input is missing."), details=rating.missing)
    if rating.status != RatingStatus.COMPUTED:
        raise Conflict(_("This rating is already confirmed."))
    updated = QuarterlyRating.objects.filter(
        pk=rating.pk, status=RatingStatus.COMPUTED, version=expected_version
    ).update(
        status=RatingStatus.CONFIRMED,
        version=expected_version + 1,
        confirmed_by=access.person_for_user(actor),
        confirmed_at=timezone.now(),
    )
    if not updated:
        raise StaleForm(_("Someone else changed this rating in the meantime. Reload it and try again."))
    rating.refresh_from_db()
    notify_person(
        rating.person,
        key=f"quarter-{rating.pk}-confirmed",
        message=_("Your rating for quarter %(q)d/%(y)d was confirmed: %(total)s (%(grade)s).")
        % {"q": rating.quarter, "y": rating.year, "total": rating.total, "grade": rating.grade},
        url=f"/ratings/people/{rating.person_id}/quarters/",
    )
    return rating


def quarterly_rating_lock_due(*, today: date | None = None) -> int:
    """Lock every confirmed rating whose complaint window (working days after the confirmation, as
    for a month) has passed. Idempotent."""
    today = today or timezone.localdate()
    locked = 0
    rows = QuarterlyRating.objects.filter(status=RatingStatus.CONFIRMED).values_list("pk", "version", "confirmed_at")
    for pk, version, confirmed_at in rows:
        if confirmed_at is None or _complaint_deadline(timezone.localdate(confirmed_at)) >= today:
            continue
        locked += QuarterlyRating.objects.filter(pk=pk, status=RatingStatus.CONFIRMED, version=version).update(
            status=RatingStatus.LOCKED, version=version + 1, locked_at=timezone.now()
        )
    return locked


# --- Quarterly: reads ------------------------------------------------------------------------------


def quarter_units_for_hr(*, user, year: int, quarter: int) -> list[dict]:
    """Units with a quarterly-rated head on the quarter's last day, inside the HR officer's subtrees."""
    last = quarter_last_day(year, quarter)
    scope = access.user_scope(user)
    paths = scope.grant_paths(access.HR_OFFICER)
    units: dict[int, dict] = {}
    for unit_id, code, name, path, head in (
        _quarter_assignments(last)
        .order_by("unit__path")
        .values_list("unit_id", "unit__code", "unit__name", "unit__path", "person__full_name")
    ):
        if not scope.covers(path, paths):
            continue
        units.setdefault(unit_id, {"id": unit_id, "code": code, "name": name, "heads": [], "result": None})
        units[unit_id]["heads"].append(head)
    for result in UnitQuarterResult.objects.filter(year=year, quarter=quarter, unit_id__in=list(units)):
        units[result.unit_id]["result"] = result
    return list(units.values())


def quarter_ratings_for_hr(*, user, year: int, quarter: int) -> list[QuarterlyRating]:
    scope = access.user_scope(user)
    paths = scope.grant_paths(access.HR_OFFICER)
    rows = QuarterlyRating.objects.filter(year=year, quarter=quarter).select_related("person", "unit")
    return [r for r in rows.order_by("unit__path", "person__full_name") if scope.covers(r.unit.path, paths)]


def quarter_sector_people(*, user, year: int, quarter: int) -> list[dict]:
    """The rated heads of the offices linked to the departments the user heads on the quarter's last day."""
    last = quarter_last_day(year, quarter)
    scope = access.user_scope(user, last)
    if scope.person_id is None or not scope.headed_unit_ids:
        return []
    links = SectorLink.objects.filter(valid_on_q(last), department_id__in=scope.headed_unit_ids).select_related(
        "department", "office"
    )
    by_office = {link.office_id: link for link in links}
    if not by_office:
        return []
    assignments = list(
        _quarter_assignments(last).filter(unit_id__in=list(by_office)).exclude(person_id=scope.person_id)
    )
    pids = [a.person_id for a in assignments]
    assessments = {
        s.person_id: s for s in SectorAssessment.objects.filter(year=year, quarter=quarter, person_id__in=pids)
    }
    ratings = {r.person_id: r for r in QuarterlyRating.objects.filter(year=year, quarter=quarter, person_id__in=pids)}
    return [
        {
            "person": a.person,
            "office": a.unit,
            "department": by_office[a.unit_id].department,
            "assessment": assessments.get(a.person_id),
            "rating": ratings.get(a.person_id),
        }
        for a in sorted(assignments, key=lambda a: (a.unit.path, a.person.full_name))
    ]


def can_view_quarters(user, person: Person) -> bool:
    """The head themselves, whoever manages or holds a grant on a unit they were rated in, the decider."""
    scope = access.user_scope(user)
    if scope.is_superuser or scope.person_id == person.pk:
        return True
    paths = list(
        QuarterlyRating.objects.filter(person=person).values_list("unit__path", "decision_unit__path").distinct()
    )
    current = access.primary_assignment(person, access.today())
    if current is not None:
        paths.append((current.unit.path, current.unit.path))
    return any(scope.covers(p, scope.view_paths) or scope.covers(d, scope.managed_paths) for p, d in paths)


def get_person_quarters_or_404(user, person_id: int) -> Person:
    person = Person.objects.filter(pk=person_id).first()
    if person is None or not can_view_quarters(user, person):
        raise Http404(_("Person not found."))
    return person


def applied_weights(rating: QuarterlyRating) -> dict[str, Decimal]:
    """The weights of the framework for this rating (the sector weight moves to the months without a link)."""
    weights = rating.framework.spec.quarterly
    result = {
        "monthly_average": weights.monthly_average,
        "unit_result": weights.unit_result,
        "sector_assessment": weights.sector_assessment,
    }
    if not rating.has_sector_link:
        result["monthly_average"] += result["sector_assessment"]
        result["sector_assessment"] = Decimal(0)
    return result


def person_quarters(*, user, person: Person) -> list[dict]:
    """A head's quarters, newest first, with the months, inputs, weights and whether the user confirms."""
    rows = list(QuarterlyRating.objects.filter(person=person).select_related("framework", "unit", "confirmed_by"))
    out = []
    for rating in rows:
        months = quarter_months(rating.quarter)
        month_rows = []
        for month, score in zip(months, rating.monthly_scores or [None, None, None]):
            key = f"month_{month}"
            value = None if score is None else Decimal(score)
            month_rows.append({"month": month, "score": value, "missing": key in (rating.missing or [])})
        can_confirm = rating.status == RatingStatus.COMPUTED and access.can_decide(
            user, person, quarter_last_day(rating.year, rating.quarter)
        )
        out.append(
            {"rating": rating, "months": month_rows, "weights": applied_weights(rating), "can_confirm": can_confirm}
        )
    return out


# === Annual classification ============================================================================


def annual_aggregates(*, year: int, grade_codes, person_ids=None) -> list[dict]:
    """THE query: one row per (person, framework) over the year's current monthly forms that are
    published or locked — months, evaluated months, sum of scores, months per grade, not-evaluated
    months, maternity months (`flags.maternity`) and disciplinary flags. `person_ids` (a subquery
    or a list) limits it to those people."""
    evaluated = Q(final_total__isnull=False)
    absent = Q(final_total__isnull=True)
    disciplined = Q(flags__disciplined_in_period=True) | Q(flags__disciplined_reprimand_or_higher_in_year=True)
    forms = selectors.current_forms().filter(period__year=year, status__in=MONTH_DONE)
    if person_ids is not None:
        forms = forms.filter(person_id__in=person_ids)
    return list(
        forms.values("person_id", "framework_id")
        .annotate(
            months=Count("pk"),
            last_month=Max("period__month"),
            months_evaluated=Count("pk", filter=evaluated),
            score_sum=Sum("final_total", filter=evaluated),
            not_evaluated=Count("pk", filter=absent),
            maternity=Count("pk", filter=absent & Q(flags__maternity=True)),
            disciplined_months=Count("pk", filter=disciplined),
            **{rollup.count_column(code): Count("pk", filter=evaluated & Q(grade=code)) for code in grade_codes},
        )
        .order_by()
    )


def _translate_grade(source, target, code: str) -> str | None:
    """A month graded under another framework: its grade → annual level → the target's grade."""
    level = source.annual.level_map.get(code)
    inverse = {lvl: grade for grade, lvl in target.annual.level_map.items()}
    return inverse.get(level)


COMPUTED_FIELDS = (
    "unit_id",
    "unit_name",
    "position_title",
    "decision_unit_id",
    "similar_task_group",
    "framework_id",
    "months_evaluated",
    "counts_per_grade",
    "average",
    "computed_level",
    "reasons",
    "status",
)


@dataclass
class AnnualComputeResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    frozen: int = 0
    no_assignment: int = 0
    people: int = 0
    provisional: bool = False  # classified before 31 December: the year is not over


@transaction.atomic
def annual_compute(*, year: int, on: date | None = None, unit: OrgUnit | None = None) -> AnnualComputeResult:
    """Classify everyone with a published or locked month in `year` (with `unit`: only the people
    whose primary assignment on the classification date is in the unit's subtree).

    The unit is the person's primary assignment on the classification date `on` (default: 31 Dec,
    or today while the year runs), with ALL their months of the year wherever they were made. The
    framework is the one of their latest month. Upserts in bulk; CONFIRMED (decided), PUBLISHED and
    LOCKED rows are never touched; a rerun with the same data writes nothing.
    """
    check_year(year)
    on = on or annual_reference_date(year)
    placements = Assignment.objects.filter(valid_on_q(on), is_primary=True)
    scope_ids = None
    if unit is not None:
        placements = placements.filter(unit__path__startswith=unit.path)
        scope_ids = placements.values("person_id")
    versions = {v.pk: v for v in FrameworkVersion.objects.exclude(status=FrameworkVersion.Status.DRAFT)}
    specs = {pk: v.spec for pk, v in versions.items()}
    grade_codes = sorted({band.code for spec in specs.values() for band in spec.grades})
    per_person: dict[int, list[dict]] = defaultdict(list)
    for row in annual_aggregates(year=year, grade_codes=grade_codes, person_ids=scope_ids):
        per_person[row["person_id"]].append(row)
    result = AnnualComputeResult(people=len(per_person), provisional=on < date(year, 12, 31))

    # Who is where on the classification date (one query over the primary assignments).
    placed: dict[int, tuple] = {}
    for values in placements.values_list(
        "person_id", "unit_id", "unit__name", "unit__path", "position__title", "position__kind",
        "person__similar_task_group",
    ):  # fmt: skip
        if values[0] in per_person:
            placed[values[0]] = values[1:]
    decision_units = _DecisionUnits(on)

    frames: dict[int, list[dict]] = defaultdict(list)
    for person_id, parts in per_person.items():
        if person_id not in placed:
            result.no_assignment += 1
            continue
        target_id = max(parts, key=lambda p: p["last_month"])["framework_id"]
        target = specs[target_id]
        row = {
            "person_id": person_id,
            "months_evaluated": 0,
            "score_sum": Decimal(0),
            "maternity_months": 0,
            "off_work_months": 0,
            "disciplined": False,
            **{rollup.count_column(band.code): 0 for band in target.grades},
        }
        for part in parts:
            row["months_evaluated"] += part["months_evaluated"]
            row["score_sum"] += part["score_sum"] or Decimal(0)
            row["maternity_months"] += part["maternity"]
            # Maternity leave is not "off work" for the cap (ND 90/2020 art. 2); other absences are.
            row["off_work_months"] += part["not_evaluated"] - part["maternity"]
            row["disciplined"] = row["disciplined"] or part["disciplined_months"] > 0
            source = specs[part["framework_id"]]
            for code in (band.code for band in source.grades):
                n = part.get(rollup.count_column(code), 0)
                grade = code if part["framework_id"] == target_id else _translate_grade(source, target, code)
                if n and grade is not None:
                    row[rollup.count_column(grade)] += n
        row["worked_months"] = row["months_evaluated"]
        frames[target_id].append(row)

    computed: dict[int, dict] = {}
    for framework_id, rows in frames.items():
        levels = rollup.annual_levels(specs[framework_id], rollup.frame_from_rows(specs[framework_id], rows))
        for rec in levels.itertuples(index=False):
            person_id = int(rec.person_id)
            unit_id, unit_name, path, title, kind, task_group = placed[person_id]
            computed[person_id] = {
                "unit_id": unit_id,
                "unit_name": unit_name,
                "position_title": title,
                "decision_unit_id": _decision_unit_id(decision_units, path, kind),
                "similar_task_group": task_group,
                "framework_id": framework_id,
                "months_evaluated": int(rec.months_evaluated),
                "counts_per_grade": rec.counts_per_grade,
                "average": rec.average,
                "computed_level": rec.level,
                "reasons": [list(r) for r in rec.reasons],
                "status": RatingStatus.COMPUTED,
            }

    existing = AnnualClassification.objects.filter(year=year)
    if scope_ids is not None:
        existing = existing.filter(person_id__in=scope_ids)
    if connection_is_postgres():
        existing = existing.select_for_update()
    to_update = []
    for row in existing:
        values = computed.pop(row.person_id, None)
        if values is None:
            continue
        if row.status in FROZEN:
            result.frozen += 1
        elif all(getattr(row, name) == value for name, value in values.items()):
            result.unchanged += 1
        else:
            for name, value in values.items():
                setattr(row, name, value)
            row.version += 1
            row.computed_at = timezone.now()
            to_update.append(row)
    AnnualClassification.objects.bulk_update(to_update, [*COMPUTED_FIELDS, "version", "computed_at"], batch_size=500)
    result.updated = len(to_update)
    AnnualClassification.objects.bulk_create(
        [AnnualClassification(person_id=pid, year=year, **values) for pid, values in computed.items()],
        batch_size=2000,
    )
    result.created = len(computed)
    return result


def connection_is_postgres() -> bool:
    from django.db import connection

    return connection.vendor == "postgresql"


def _levels_of(classification: AnnualClassification) -> list[str]:
    rule = classification.framework.spec.annual
    return [*rule.levels, rule.not_classified]


@transaction.atomic
def annual_propose(*, classification: AnnualClassification, level: str, actor) -> AnnualClassification:
    """The person's own proposal (the first column of the official form), before the decision."""
    scope = access.user_scope(actor)
    if scope.person_id != classification.person_id:
        raise NotAllowed(_("Only the person proposes their own level."))
    if level not in classification.framework.spec.annual.levels:
        raise InvalidInput(_("Choose one of the levels."), field="level")
    if classification.status not in OPEN:
        raise Conflict(_("The level is already decided; the proposal can no longer change."))
    updated = AnnualClassification.objects.filter(pk=classification.pk, status__in=OPEN).update(
        proposed_level=level, version=F("version") + 1
    )
    if not updated:
        raise Conflict(_("The level is already decided; the proposal can no longer change."))
    classification.refresh_from_db()
    return classification


@transaction.atomic
def annual_decide(
    *, classification: AnnualClassification, level: str, expected_version: int, note: str = "", actor
) -> AnnualClassification:
    """The decider's level (may be changed again until the unit is published). A level other than the
    computed one needs a note."""
    on = annual_reference_date(classification.year)
    if not access.can_decide(actor, classification.person, on):
        raise NotAllowed(_("Only the person who decides this person's results decides the annual level."))
    if level not in _levels_of(classification):
        raise InvalidInput(_("Choose one of the levels."), field="level")
    if level != classification.computed_level and not note.strip():
        raise InvalidInput(_("Explain in a note why the level differs from the computed one."), field="note")
    if classification.status not in (RatingStatus.COMPUTED, RatingStatus.CONFIRMED):
        raise Conflict(_("This annual result is already published."))
    updated = AnnualClassification.objects.filter(
        pk=classification.pk, version=expected_version, status__in=(RatingStatus.COMPUTED, RatingStatus.CONFIRMED)
    ).update(
        decided_level=level,
        note=note.strip()[:500],
        status=RatingStatus.CONFIRMED,
        version=expected_version + 1,
        decided_by=access.person_for_user(actor),
        decided_at=timezone.now(),
    )
    if not updated:
        raise StaleForm(_("Someone else changed this result in the meantime. Reload it and try again."))
    classification.refresh_from_db()
    return classification


def annual_quota(rows: list[AnnualClassification], *, exception: bool = False) -> dict[int, tuple]:
    """{framework id: (rule, report)} over the decided (else computed) levels; "not classified" is not rated."""
    out = {}
    by_framework: dict[int, list[AnnualClassification]] = defaultdict(list)
    for row in rows:
        by_framework[row.framework_id].append(row)
    for framework_id, group in by_framework.items():
        annual = group[0].framework.spec.annual
        rule = annual.quota
        grades = []
        for row in group:
            level = row.decided_level or row.computed_level
            grades.append((row.similar_task_group or None, None if level == annual.not_classified else level))
        use_exception = exception and rule.exception_ratio is not None
        out[framework_id] = (rule, kpi_quota.check_quota_scopes(rule, grades, exception=use_exception))
    return out


@transaction.atomic
def _decided_in_the_system(person: Person, memo: access.ChainMemo) -> bool:
    chain = access.evaluation_chain(person, memo.on, memo=memo)
    return chain is not None and chain.decision_unit is not None


def annual_publish(*, unit: OrgUnit, year: int, exception_reason: str = "", actor) -> int:
    """Publish a decision unit's year: refused while a row is undecided or the quota
    (HTXS ≤ 20% of HTT, per unit and per similar-task group) is exceeded. Starts the complaint window.

    Writes the `AnnualPublication` (who, when, the quota as checked, the exception's reason, the
    complaint deadline) in the same transaction; a later publication of rows added since (a person
    who moved in) updates it. Returns the number of results published."""
    check_year(year)
    rows = list(
        AnnualClassification.objects.filter(year=year, decision_unit=unit).select_related("person", "framework")
    )
    memo = access.ChainMemo(annual_reference_date(year))
    # The head at the top of the tree has nobody above them in the system: not part of the publication.
    rows = [row for row in rows if _decided_in_the_system(row.person, memo)]
    if not rows:
        raise InvalidInput(_("There is nothing to publish for this unit and year."))
    if any(not access.can_decide(actor, row.person, memo.on, memo=memo) for row in rows):
        raise NotAllowed(_("Only the head who decides this unit's results may publish them."))
    done = (RatingStatus.PUBLISHED, RatingStatus.LOCKED)
    if all(row.status in done for row in rows):
        raise Conflict(_("This unit's year is already published."))
    # Rows published before stay as they are; the ones added since (people who moved in) must be decided.
    pending = [row for row in rows if row.status != RatingStatus.CONFIRMED and row.status not in done]
    if pending:
        raise Conflict(
            _("%(n)d annual results are not decided yet: %(names)s")
            % {"n": len(pending), "names": ", ".join(sorted(r.person.full_name for r in pending)[:20])},
            details=[r.pk for r in pending],
        )
    summary: dict[str, dict] = {}
    for framework_id, (rule, report) in annual_quota(rows).items():
        code = next(r.framework.code for r in rows if r.framework_id == framework_id)
        summary[code] = {**selectors.quota_summary(report), "exception": False}
        if report.ok:
            continue
        exception_report = (
            annual_quota(rows, exception=True)[framework_id][1] if rule.exception_ratio is not None else None
        )
        if exception_report is None or not exception_report.ok:
            over = [
                r.person.full_name for r in rows if r.framework_id == framework_id and r.decided_level == rule.grade
            ]
            raise QuotaExceeded(
                _("The quota of %(grade)s is exceeded: %(who)s")
                % {"grade": rule.grade, "who": ", ".join(sorted(over))},
                details=selectors.quota_summary(report),
            )
        if rule.exception_requires_justification and not exception_reason.strip():
            raise QuotaExceeded(
                _("More than the usual share got %(grade)s: the exception needs a written justification.")
                % {"grade": rule.grade},
                field="exception_reason",
                details=selectors.quota_summary(report),
            )
        summary[code] = {**selectors.quota_summary(exception_report), "exception": True}
    now = timezone.now()
    deadline = _complaint_deadline(timezone.localdate())
    decided = [row for row in rows if row.status == RatingStatus.CONFIRMED]
    for row in decided:
        updated = AnnualClassification.objects.filter(
            pk=row.pk, status=RatingStatus.CONFIRMED, version=row.version
        ).update(status=RatingStatus.PUBLISHED, version=row.version + 1, published_at=now, complaint_deadline=deadline)
        if not updated:
            raise StaleForm(_("Someone else changed this unit's results in the meantime. Reload and try again."))
    AnnualPublication.objects.update_or_create(
        unit=unit,
        year=year,
        defaults={
            "published_at": now,
            "published_by": access.person_for_user(actor),
            "rows": len(rows),
            "quota": summary,
            "exception_reason": exception_reason.strip(),
            "complaint_deadline": deadline,
        },
    )
    return len(decided)


def annual_lock_due(*, today: date | None = None) -> int:
    """Lock every published annual result whose complaint window has passed, except those with an
    open complaint (they lock at the next run after it is handled). Idempotent."""
    today = today or timezone.localdate()
    open_complaints = AnnualComplaint.objects.filter(outcome=AnnualComplaint.Outcome.OPEN).values("classification_id")
    return (
        AnnualClassification.objects.filter(status=RatingStatus.PUBLISHED, complaint_deadline__lt=today)
        .exclude(pk__in=open_complaints)
        .update(status=RatingStatus.LOCKED, version=F("version") + 1, locked_at=timezone.now())
    )


# --- Annual: complaints -----------------------------------------------------------------------------


def annual_complaint_handler(classification: AnnualClassification) -> Person | None:
    """The level above the decider (the decider's own decider, `access.evaluation_chain`); at the top
    of the tree, where there is none, the decider reconsiders the decision."""
    if classification.decided_by is None:
        return None
    chain = access.evaluation_chain(classification.decided_by, annual_reference_date(classification.year))
    return (chain.decider if chain else None) or classification.decided_by


@transaction.atomic
def annual_complaint_file(
    *, classification: AnnualClassification, expected_version: int, reason: str, actor
) -> AnnualComplaint:
    """The person complains about their published annual result within the window; the complaint
    goes to the level above the decider, and the result does not lock while it is open."""
    if access.user_scope(actor).person_id != classification.person_id:
        raise NotAllowed(_("Only the person concerned complains about their annual result."))
    if classification.version != expected_version:
        raise StaleForm(_("Someone else changed this result in the meantime. Reload it and try again."))
    if classification.status != RatingStatus.PUBLISHED:
        raise Conflict(_("Only a published annual result that is not locked can be complained about."))
    if not reason.strip():
        raise InvalidInput(_("Say what the complaint is about."), field="reason")
    if classification.complaint_deadline and timezone.localdate() > classification.complaint_deadline:
        raise Conflict(
            _("The complaint window closed on %(date)s.")
            % {"date": classification.complaint_deadline.strftime("%d/%m/%Y")}
        )
    if classification.complaints.filter(outcome=AnnualComplaint.Outcome.OPEN).exists():
        raise Conflict(_("A complaint about this result is already open."))
    handler = annual_complaint_handler(classification)
    if handler is None:
        raise Conflict(
            _("Nobody above the decider can handle this complaint in the system: send it to your agency in writing.")
        )
    # Compare-and-swap: a result locked or changed meanwhile refuses the complaint.
    updated = AnnualClassification.objects.filter(
        pk=classification.pk, status=RatingStatus.PUBLISHED, version=expected_version
    ).update(version=expected_version + 1)
    if not updated:
        raise StaleForm(_("Someone else changed this result in the meantime. Reload it and try again."))
    complaint = AnnualComplaint.objects.create(
        classification=classification,
        filed_by=classification.person,
        reason=reason.strip(),
        handler=handler,
        old_level=classification.decided_level,
    )
    notify_person(
        handler,
        key=f"annual-complaint-{complaint.pk}",
        message=_("%(person)s filed a complaint about their annual classification %(year)s.")
        % {"person": classification.person.full_name, "year": classification.year},
        url=f"/ratings/annual/{classification.year}/units/{classification.decision_unit.code}/",
    )
    classification.refresh_from_db()
    return complaint


def _quota_after_revision(classification: AnnualClassification, level: str) -> None:
    """A revision must keep the decision unit within the quota (with the exception only if the
    publication used it)."""
    rows = list(
        AnnualClassification.objects.filter(year=classification.year, decision_unit_id=classification.decision_unit_id)
        .exclude(pk=classification.pk)
        .select_related("framework")
    )
    classification.decided_level = level
    rows.append(classification)
    publication = AnnualPublication.objects.filter(
        unit_id=classification.decision_unit_id, year=classification.year
    ).first()
    exception = bool(publication and publication.exception_reason)
    for rule, report in annual_quota(rows, exception=exception).values():
        if not report.ok:
            raise QuotaExceeded(
                _("With this level the quota of %(grade)s would be exceeded.") % {"grade": rule.grade},
                field="level",
                details=selectors.quota_summary(report),
            )


@transaction.atomic
def annual_complaint_resolve(
    *, complaint: AnnualComplaint, outcome: str, resolution: str, level: str = "", actor
) -> AnnualComplaint:
    """The handler upholds the result or revises its level. A revision changes the decided level of
    the (still published) result; the complaint keeps the old and the new level."""
    person = access.person_for_user(actor)
    if person is None or person.pk != complaint.handler_id:
        raise NotAllowed(_("Only the level above the decider handles this complaint."))
    # Read again under a row lock: of two handlers' tabs resolving at once, the second sees it handled.
    complaint = AnnualComplaint.objects.select_for_update().get(pk=complaint.pk)
    if complaint.outcome != AnnualComplaint.Outcome.OPEN:
        raise Conflict(_("This complaint was already handled."))
    if not resolution.strip():
        raise InvalidInput(_("Write the outcome of the complaint."), field="resolution")
    classification = AnnualClassification.objects.select_related("framework", "person").get(
        pk=complaint.classification_id
    )
    now = timezone.now()
    fields: dict[str, Any] = {"outcome": outcome, "resolution": resolution.strip(), "resolved_at": now}
    if outcome == AnnualComplaint.Outcome.REVISED:
        if level not in _levels_of(classification):
            raise InvalidInput(_("Choose one of the levels."), field="level")
        if level == classification.decided_level:
            raise InvalidInput(_("The revised level is the same as the decided one: uphold the result instead."))
        version = classification.version
        _quota_after_revision(classification, level)
        updated = AnnualClassification.objects.filter(
            pk=classification.pk, status=RatingStatus.PUBLISHED, version=version
        ).update(decided_level=level, version=version + 1)
        if not updated:
            raise StaleForm(_("Someone else changed this result in the meantime. Reload it and try again."))
        fields["new_level"] = level
    elif outcome != AnnualComplaint.Outcome.UPHELD:
        raise InvalidInput(_("Uphold the result or revise it."), field="outcome")
    handled = AnnualComplaint.objects.filter(pk=complaint.pk, outcome=AnnualComplaint.Outcome.OPEN).update(**fields)
    if not handled:
        raise Conflict(_("This complaint was already handled."))
    complaint.refresh_from_db()
    notify_person(
        classification.person,
        key=f"annual-complaint-{complaint.pk}-resolved",
        message=_("Your complaint about your annual classification %(year)s was handled.")
        % {"year": classification.year},
        url=f"/ratings/annual/{classification.year}/me/",
    )
    return complaint


# --- Annual: reads ----------------------------------------------------------------------------------


def can_view_annual_unit(user, unit: OrgUnit) -> bool:
    """Managers of a subtree containing the decision unit, HR officers and auditors on it."""
    scope = access.user_scope(user)
    return scope.covers(unit.path, scope.view_paths)


def is_unit_decider(user, unit: OrgUnit) -> bool:
    """A cheap check for showing the decide/publish controls: the user heads the decision unit
    (or acts for its head). The services check `access.can_decide` per row."""
    scope = access.user_scope(user)
    return unit.pk in scope.headed_unit_ids


def can_recompute_annual(user, unit: OrgUnit) -> bool:
    """HR officers of a subtree containing the unit, and the head of the unit (or acting head)."""
    scope = access.user_scope(user)
    return can_enter_unit_results(user, unit) or unit.pk in scope.headed_unit_ids


def level_labels(framework: FrameworkVersion) -> dict[str, str]:
    """{annual level code: Vietnamese label} of the framework version (`NOT_CLASSIFIED` included)."""
    return framework.spec.annual_level_labels()


def grade_labels(framework: FrameworkVersion) -> dict[str, str]:
    """{monthly grade code: Vietnamese label} of the framework version."""
    return {band.code: band.label_vi for band in framework.spec.grades}


def label_annual_row(row: AnnualClassification, labels: dict[str, str] | None = None) -> AnnualClassification:
    """Attach the labels a person reads: `computed_label`, `proposed_label`, `decided_label`,
    `level_choices` [(code, label)] and `grade_counts` [(grade label, months)]."""
    labels = labels if labels is not None else level_labels(row.framework)
    row.computed_label = labels.get(row.computed_level, row.computed_level)
    row.proposed_label = labels.get(row.proposed_level, row.proposed_level)
    row.decided_label = labels.get(row.decided_level, row.decided_level)
    row.level_choices = list(labels.items())
    grades = grade_labels(row.framework)
    row.grade_counts = [(grades.get(code, code), n) for code, n in (row.counts_per_grade or {}).items()]
    return row


def annual_unit_rows(*, unit: OrgUnit, year: int) -> list[AnnualClassification]:
    rows = list(
        AnnualClassification.objects.filter(year=year, decision_unit=unit)
        .select_related("person", "framework")
        .prefetch_related("complaints")
        .order_by("unit_name", "person__full_name")
    )
    labels: dict[int, dict[str, str]] = {}
    for row in rows:
        if row.framework_id not in labels:
            labels[row.framework_id] = level_labels(row.framework)
        label_annual_row(row, labels[row.framework_id])
        complaints = list(row.complaints.all())
        row.open_complaint = next((c for c in complaints if c.outcome == AnnualComplaint.Outcome.OPEN), None)
        row.complaint_history = [
            _label_complaint(c, labels[row.framework_id])
            for c in complaints
            if c.outcome != AnnualComplaint.Outcome.OPEN
        ]
    return rows


def _label_complaint(complaint: AnnualComplaint, labels: dict[str, str]) -> AnnualComplaint:
    complaint.old_label = labels.get(complaint.old_level, complaint.old_level)
    complaint.new_label = labels.get(complaint.new_level, complaint.new_level)
    return complaint


def annual_publication(*, unit: OrgUnit, year: int) -> AnnualPublication | None:
    return AnnualPublication.objects.filter(unit=unit, year=year).select_related("published_by").first()


def publication_quota_rows(publication: AnnualPublication) -> list[dict]:
    """The quota snapshot of a publication as the page lists it."""
    out = []
    for code, summary in sorted((publication.quota or {}).items()):
        scopes = []
        if summary.get("unit"):
            scopes.append({"label": "", **summary["unit"]})
        scopes += [{"label": label, **result} for label, result in sorted((summary.get("groups") or {}).items())]
        out.append(
            {"framework": code, "scopes": scopes, "ok": summary.get("ok"), "exception": summary.get("exception")}
        )
    return out


def own_annual_complaints(classification: AnnualClassification) -> list[AnnualComplaint]:
    labels = level_labels(classification.framework)
    return [_label_complaint(c, labels) for c in classification.complaints.select_related("handler")]


def can_complain(classification: AnnualClassification | None, today: date | None = None) -> bool:
    """Whether the page offers the complaint form (the service checks again)."""
    if classification is None or classification.status != RatingStatus.PUBLISHED:
        return False
    today = today or timezone.localdate()
    if classification.complaint_deadline and today > classification.complaint_deadline:
        return False
    return not classification.complaints.filter(outcome=AnnualComplaint.Outcome.OPEN).exists()


def quota_rows(rows: list[AnnualClassification]) -> list[dict]:
    """The quota as the page shows it: per framework, the unit scope and each similar-task group."""
    out = []
    for framework_id, (rule, report) in annual_quota(rows).items():
        code = next(r.framework.code for r in rows if r.framework_id == framework_id)
        scopes = []
        if report.unit is not None:
            scopes.append({"label": "", "result": report.unit})
        scopes += [{"label": str(label), "result": res} for label, res in sorted(report.groups.items(), key=str)]
        labels = level_labels(next(r.framework for r in rows if r.framework_id == framework_id))
        text = kpi_selectors.quota_text(rule)
        text["grade_label"] = labels.get(rule.grade, rule.grade)
        if rule.base_grade:
            text["base"] = _("of the number of people rated %(grade)s") % {
                "grade": labels.get(rule.base_grade, rule.base_grade)
            }
        out.append({"framework": code, "text": text, "scopes": scopes, "ok": report.ok})
    return out


def own_annual(*, user, year: int) -> AnnualClassification | None:
    scope = access.user_scope(user)
    if scope.person_id is None:
        return None
    row = (
        AnnualClassification.objects.filter(year=year, person_id=scope.person_id)
        .select_related("framework", "decision_unit")
        .first()
    )
    return label_annual_row(row) if row is not None else None


def ratings_menu(*, user, today: date | None = None) -> dict[str, Any]:
    """The rating pages the user may open (the `/ratings/` index): this year and the current and
    previous quarter. The same rules as the pages themselves, cheaply (at most three queries)."""
    today = today or timezone.localdate()
    year, quarter = today.year, (today.month - 1) // 3 + 1
    quarters = [(year, quarter), (year - 1, 4) if quarter == 1 else (year, quarter - 1)]
    scope = access.user_scope(user)
    headed = sorted(scope.headed_unit_ids)
    decision_units = list(OrgUnit.objects.filter(pk__in=headed).order_by("path").only("id", "code", "name", "path"))
    if scope.view_paths or scope.is_superuser:
        seen = {u.pk for u in decision_units}
        for unit in orgchart_selectors.visible_roots(user=user, as_of=today):
            if unit.pk not in seen:
                decision_units.append(unit)
    return {
        "year": year,
        "quarters": quarters,
        "person_id": scope.person_id,
        "own_quarters": bool(scope.person_id) and QuarterlyRating.objects.filter(person_id=scope.person_id).exists(),
        "hr": can_enter_unit_results(user),
        "sector": bool(headed) and SectorLink.objects.filter(valid_on_q(today), department_id__in=headed).exists(),
        "annual_units": decision_units,
    }
