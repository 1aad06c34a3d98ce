"""Pages for quarterly ratings and the annual classification (thin: access → service/selector → render).

Everyone without a role on a page gets 404, as elsewhere (STYLE.md, "Access in one place").
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from evaluation import ratings
from evaluation.models import AnnualClassification, AnnualComplaint, QuarterlyRating, RatingStatus
from evaluation.services import WorkflowError
from orgchart import access
from orgchart.models import OrgUnit


def _year_or_404(year: int) -> None:
    try:
        ratings.check_year(year)
    except WorkflowError:
        raise Http404(_("Year not found.")) from None


def _quarter_or_404(year: int, quarter: int) -> None:
    try:
        ratings.check_quarter(year, quarter)
    except WorkflowError:
        raise Http404(_("Quarter not found.")) from None


def _missing_labels(missing: list[str]) -> list[str]:
    labels = {
        "unit_result": _("unit result"),
        "sector_assessment": _("sector assessment"),
        "monthly_scores": _("monthly scores"),
    }
    out = []
    for code in missing or []:
        if code.startswith("month_"):
            out.append(_("month %(month)s (not locked yet)") % {"month": code.removeprefix("month_")})
        else:
            out.append(labels.get(code, code))
    return out


@login_required
def index(request):
    """The rating pages the user may open (the header's "Ratings" link)."""
    menu = ratings.ratings_menu(user=request.user)
    if not (menu["person_id"] or menu["hr"] or menu["annual_units"]):
        raise Http404
    return render(request, "ratings/index.html", {"menu": menu})


# --- Quarters ---------------------------------------------------------------------------------------


@login_required
def quarter_units(request, year: int, quarter: int):
    """HR: the unit result of every unit with a quarterly-rated head, and the quarter's ratings."""
    _quarter_or_404(year, quarter)
    if not ratings.can_enter_unit_results(request.user):
        raise Http404
    units = ratings.quarter_units_for_hr(user=request.user, year=year, quarter=quarter)
    if request.method == "POST":
        saved = 0
        by_id = {u["id"]: u for u in units}
        for unit in OrgUnit.objects.filter(pk__in=list(by_id)):
            raw = request.POST.get(f"score-{unit.pk}", "").strip().replace(",", ".")
            current = by_id[unit.pk]["result"]
            if not raw or (current is not None and str(current.score) == raw):
                continue
            try:
                ratings.unit_quarter_result_set(unit=unit, year=year, quarter=quarter, score=raw, actor=request.user)
                saved += 1
            except WorkflowError as exc:
                messages.error(request, f"{unit.name}: {exc.message}")
        if saved:
            messages.success(request, _("%(n)d unit results saved.") % {"n": saved})
        return redirect("ratings:quarter_units", year=year, quarter=quarter)
    rows = ratings.quarter_ratings_for_hr(user=request.user, year=year, quarter=quarter)
    for rating in rows:
        rating.missing_labels = _missing_labels(rating.missing)
    return render(
        request,
        "ratings/quarter_units.html",
        {"year": year, "quarter": quarter, "units": units, "ratings": rows},
    )


@login_required
@require_POST
def quarter_recompute(request, year: int, quarter: int):
    _quarter_or_404(year, quarter)
    if not ratings.can_enter_unit_results(request.user):
        raise Http404
    counts = ratings.quarter_compute(year=year, quarter=quarter)
    messages.success(
        request,
        _("Quarter recomputed: %(created)d new, %(updated)d updated, %(frozen)d already confirmed.") % counts,
    )
    return redirect("ratings:quarter_units", year=year, quarter=quarter)


@login_required
def quarter_sector(request, year: int, quarter: int):
    """A department head: the sector assessment of the heads of the offices linked to the department."""
    _quarter_or_404(year, quarter)
    rows = ratings.quarter_sector_people(user=request.user, year=year, quarter=quarter)
    if not rows:
        raise Http404
    if request.method == "POST":
        saved = 0
        for row in rows:
            person = row["person"]
            raw = request.POST.get(f"score-{person.pk}", "").strip().replace(",", ".")
            comment = request.POST.get(f"comment-{person.pk}", "")
            current = row["assessment"]
            if not raw or (current is not None and str(current.score) == raw and current.comment == comment.strip()):
                continue
            try:
                ratings.sector_assessment_set(
                    person=person, year=year, quarter=quarter, score=raw, comment=comment, actor=request.user
                )
                saved += 1
            except WorkflowError as exc:
                messages.error(request, f"{person.full_name}: {exc.message}")
        if saved:
            messages.success(request, _("%(n)d sector assessments saved.") % {"n": saved})
        return redirect("ratings:quarter_sector", year=year, quarter=quarter)
    return render(request, "ratings/quarter_sector.html", {"year": year, "quarter": quarter, "rows": rows})


@login_required
def person_quarters(request, person_id: int):
    person = ratings.get_person_quarters_or_404(request.user, person_id)
    rows = ratings.person_quarters(user=request.user, person=person)
    for row in rows:
        row["missing_labels"] = _missing_labels(row["rating"].missing)
    return render(request, "ratings/person_quarters.html", {"person": person, "rows": rows})


@login_required
@require_POST
def quarter_confirm(request, pk: int):
    rating = get_object_or_404(QuarterlyRating.objects.select_related("person"), pk=pk)
    if not ratings.can_view_quarters(request.user, rating.person):
        raise Http404
    try:
        ratings.quarterly_rating_confirm(
            rating=rating, expected_version=int(request.POST.get("version") or 0), actor=request.user
        )
        messages.success(request, _("Quarterly rating confirmed."))
    except WorkflowError as exc:
        messages.error(request, exc.message)
    return redirect("ratings:person_quarters", person_id=rating.person_id)


# --- Annual -------------------------------------------------------------------------------------------


def _annual_unit_or_404(user, year: int, code: str) -> OrgUnit:
    _year_or_404(year)
    unit = OrgUnit.objects.filter(code=code).first()
    if unit is None or not ratings.can_view_annual_unit(user, unit):
        raise Http404(_("Unit not found."))
    return unit


@login_required
def annual_unit(request, year: int, code: str):
    """The decision unit's year: computed levels with reasons, proposals, decisions, quota, publish,
    the publication record and the complaints."""
    unit = _annual_unit_or_404(request.user, year, code)
    is_decider = ratings.is_unit_decider(request.user, unit)
    if request.method == "POST":
        if not is_decider:
            raise Http404
        classification = get_object_or_404(
            AnnualClassification.objects.select_related("person", "framework"),
            pk=request.POST.get("classification") or 0,
            year=year,
            decision_unit=unit,
        )
        try:
            ratings.annual_decide(
                classification=classification,
                level=request.POST.get("level", ""),
                note=request.POST.get("note", ""),
                expected_version=int(request.POST.get("version") or 0),
                actor=request.user,
            )
            messages.success(request, _("Decided: %(name)s.") % {"name": classification.person.full_name})
        except WorkflowError as exc:
            messages.error(request, f"{classification.person.full_name}: {exc.message}")
        return redirect("ratings:annual_unit", year=year, code=code)
    rows = ratings.annual_unit_rows(unit=unit, year=year)
    me = access.person_for_user(request.user)
    for row in rows:
        row.editable = is_decider and row.status in (RatingStatus.COMPUTED, RatingStatus.CONFIRMED)
        row.can_resolve = row.open_complaint is not None and me is not None and row.open_complaint.handler_id == me.pk
    grades: dict[str, str] = {}
    for row in rows:
        for band in row.framework.spec.grades:
            grades.setdefault(band.code, band.label_vi)
    publication = ratings.annual_publication(unit=unit, year=year)
    return render(
        request,
        "ratings/annual_unit.html",
        {
            "unit": unit,
            "year": year,
            "rows": rows,
            "quota": ratings.quota_rows(rows) if rows else [],
            # Highest first, as each framework lists its bands (HTXS, HTT, HT, KHT; A … D).
            "grades": [
                (code, label) for code, label in grades.items() if any(code in r.counts_per_grade for r in rows)
            ],
            "is_decider": is_decider,
            "can_publish": is_decider and any(r.status == RatingStatus.CONFIRMED for r in rows),
            "can_recompute": ratings.can_recompute_annual(request.user, unit),
            "provisional": ratings.annual_is_provisional(year),
            "publication": publication,
            "publication_quota": ratings.publication_quota_rows(publication) if publication else [],
        },
    )


@login_required
@require_POST
def annual_unit_publish(request, year: int, code: str):
    unit = _annual_unit_or_404(request.user, year, code)
    if not ratings.is_unit_decider(request.user, unit):
        raise Http404
    try:
        n = ratings.annual_publish(
            unit=unit, year=year, exception_reason=request.POST.get("exception_reason", ""), actor=request.user
        )
        messages.success(request, _("%(n)d annual results published.") % {"n": n})
    except WorkflowError as exc:
        messages.error(request, exc.message)
    return redirect("ratings:annual_unit", year=year, code=code)


@login_required
@require_POST
def annual_recompute(request, year: int, code: str):
    """Recompute the unit's subtree (the people placed in it on the classification date); before
    31 December the results are provisional."""
    unit = _annual_unit_or_404(request.user, year, code)
    if not ratings.can_recompute_annual(request.user, unit):
        raise Http404
    result = ratings.annual_compute(year=year, unit=unit)
    message = _("Year recomputed for %(unit)s: %(created)d new, %(updated)d updated, %(frozen)d already decided.") % {
        "unit": unit.name,
        "created": result.created,
        "updated": result.updated,
        "frozen": result.frozen,
    }
    if result.provisional:
        message += " " + _("The year is not over: these results are provisional.")
    messages.success(request, message)
    return redirect("ratings:annual_unit", year=year, code=code)


@login_required
@require_POST
def annual_complaint_resolve(request, pk: int):
    """The level above the decider upholds or revises a complained-about annual result."""
    complaint = get_object_or_404(AnnualComplaint.objects.select_related("classification__decision_unit"), pk=pk)
    classification = complaint.classification
    me = access.person_for_user(request.user)
    if me is None or me.pk != complaint.handler_id:
        raise Http404
    try:
        ratings.annual_complaint_resolve(
            complaint=complaint,
            outcome=request.POST.get("outcome", ""),
            resolution=request.POST.get("resolution", ""),
            level=request.POST.get("level", ""),
            actor=request.user,
        )
        messages.success(request, _("The complaint was handled."))
    except WorkflowError as exc:
        messages.error(request, exc.message)
    return redirect("ratings:annual_unit", year=classification.year, code=classification.decision_unit.code)


@login_required
def annual_me(request, year: int):
    """The signed-in person's own year: their proposal, and a complaint once it is published."""
    _year_or_404(year)
    if access.person_for_user(request.user) is None:
        raise Http404
    classification = ratings.own_annual(user=request.user, year=year)
    if request.method == "POST":
        if classification is None:
            raise Http404
        try:
            if request.POST.get("action") == "complain":
                ratings.annual_complaint_file(
                    classification=classification,
                    expected_version=int(request.POST.get("version") or 0),
                    reason=request.POST.get("reason", ""),
                    actor=request.user,
                )
                messages.success(request, _("Your complaint was sent to the level above the decider."))
            else:
                ratings.annual_propose(
                    classification=classification, level=request.POST.get("level", ""), actor=request.user
                )
                messages.success(request, _("Your proposal was saved."))
        except WorkflowError as exc:
            messages.error(request, exc.message)
        return redirect("ratings:annual_me", year=year)
    levels = []
    if classification is not None:
        labels = dict(classification.level_choices)
        levels = [(code, labels.get(code, code)) for code in classification.framework.spec.annual.levels]
    return render(
        request,
        "ratings/annual_me.html",
        {
            "year": year,
            "c": classification,
            "levels": levels,
            "can_propose": classification is not None and classification.status in ratings.OPEN,
            "can_complain": ratings.can_complain(classification),
            "complaints": ratings.own_annual_complaints(classification) if classification else [],
            "provisional": ratings.annual_is_provisional(year),
        },
    )
