"""Dashboards: completion per unit against the deadlines, grade distribution, and the list behind
every figure. Thin views over `evaluation.dashboards`; the charts are SVG from `evaluation.charts`.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from evaluation import charts, dashboards, selectors
from orgchart import access
from orgchart.models import SubjectGroup

LIST_PAGE_SIZE = 100
# Completion columns always shown; the others (returned, not evaluated, final) only when some form is.
ALWAYS_SHOWN = frozenset({"draft", "submitted", "reviewed", "decided", "published"})

STATUS_COLORS = {
    "draft": "#c9ced6",
    "returned": "#e0a100",
    "submitted": "#8fb8e0",
    "reviewed": "#4f8fcc",
    "decided": "#2a9d8f",
    "not_evaluated": "#7a5c99",
    "published": "#1b6e3a",
    "locked": "#0f3f21",
}


def _svg(markup: str | None):
    """Chart markup for a template: `evaluation.charts` escapes every text it puts in."""
    return mark_safe(markup) if markup else None  # noqa: S308


def dashboards_url(name: str, **params) -> str:
    query = urlencode({k: v for k, v in params.items() if v not in (None, "")})
    return reverse(f"dashboards:{name}") + (f"?{query}" if query else "")


def _period_or_default(request, choices):
    key = request.GET.get("period")
    if key:
        period = next((p for p in choices if p.key == key), None)
        if period is None:
            raise Http404(_("Month not found."))
        return period
    return dashboards.default_period(choices)


def _common(request, place, group: str) -> dict:
    return {
        "place": place,
        "group": group,
        "groups": SubjectGroup.choices,
    }


@login_required
def completion(request):
    choices = dashboards.periods()
    period = _period_or_default(request, choices)
    group = dashboards.clean_group(request.GET.get("group"))
    today = timezone.localdate()
    on = selectors.reference_date(period) if period else today
    place = dashboards.place_for(user=request.user, code=request.GET.get("unit"), on=on)
    if period is None:
        return render(request, "dashboards/completion.html", {"periods": choices, "group": group, "data": None})
    data = dashboards.completion(user=request.user, period=period, place=place, group=group, today=today)
    key = period.key

    def link(row, **params):
        return dashboards.list_url(
            period=key, unit=row.unit.code, exact="1" if row.unit.exact else "", group=group, **params
        )

    shown = [s for s in dashboards.STATUS_ORDER if s in ALWAYS_SHOWN or data.total.counts.get(s)]
    for row in [*data.rows, data.total]:
        row.links = [(s, row.counts.get(s, 0), link(row, status=s)) for s in shown]
        row.all_url = link(row)
        row.late_url = link(row, status="late")
        row.done_url = link(row, status="done")
        if row.unit.drillable:
            row.drill_url = dashboards_url("completion", period=key, unit=row.unit.code, group=group)
    present = [s for s in dashboards.STATUS_ORDER if data.total.counts.get(s)]
    chart = None
    if data.rows and present:
        chart = charts.stacked_bar_chart(
            [r.unit.code for r in data.rows],
            [
                charts.Series(
                    str(dashboards.STATUS_LABELS[s]),
                    [r.counts.get(s, 0) for r in data.rows],
                    color=STATUS_COLORS[s],
                    links=[link(r, status=s) for r in data.rows],
                )
                for s in present
            ],
            title=_("Forms per status, %(period)s") % {"period": period},
            width=max(480, 70 * len(data.rows) + 60),
        )
    context = _common(request, place, group) | {
        "status_labels": [(s, dashboards.STATUS_LABELS[s]) for s in shown],
        "periods": choices,
        "period": period,
        "data": data,
        "chart": _svg(chart),
        "crumb_urls": [
            (u, dashboards_url("completion", period=key, unit=u.code, group=group)) for u in place.ancestors
        ],
        "top_url": dashboards_url("completion", period=key, group=group),
    }
    return render(request, "dashboards/completion.html", context)


@login_required
def distribution(request):
    choices = dashboards.periods()
    fallback = dashboards.default_period(choices)
    year = dashboards.clean_year(request.GET.get("year"), fallback.year if fallback else timezone.localdate().year)
    month_param = request.GET.get("month", "")
    month = int(month_param) if month_param.isdigit() and 1 <= int(month_param) <= 12 else None
    group = dashboards.clean_group(request.GET.get("group"))
    place = dashboards.place_for(user=request.user, code=request.GET.get("unit"), on=timezone.localdate())
    data = dashboards.distribution(user=request.user, year=year, place=place, group=group, month=month)
    for section in data.frameworks:
        _decorate_section(section, data, group)
    context = _common(request, place, group) | {
        "data": data,
        "year": year,
        "month": month,
        "years": sorted({p.year for p in choices} | {year}, reverse=True),
        "months": range(1, 13),
        "crumb_urls": [
            (u, dashboards_url("distribution", year=year, month=month, unit=u.code, group=group))
            for u in place.ancestors
        ],
        "top_url": dashboards_url("distribution", year=year, month=month, group=group),
    }
    return render(request, "dashboards/distribution.html", context)


def _decorate_section(section, data, group: str) -> None:
    """Links for every figure and the section's charts (presentation only)."""
    fw, year, rule = section.framework.pk, data.year, section.rule
    top = rule.grade if rule else ""
    unit_code = data.place.code

    def month_link(m, grade=""):
        return dashboards.list_url(
            period=f"{year}-{m:02d}", unit=unit_code, group=group, framework=fw, status="graded", grade=grade
        )

    def unit_link(row, grade=""):
        return dashboards.list_url(
            year=year,
            month=data.month,
            unit=row.unit.code,
            exact="1" if row.unit.exact else "",
            group=group,
            framework=fw,
            status="graded",
            grade=grade,
        )

    for row in section.months:
        row.links = [(g, n, month_link(row.month, g)) for g, n in row.cells(section.grades)]
        row.all_url = month_link(row.month)
        row.top_url = month_link(row.month, top)
    for row in section.units:
        row.links = [(g, n, unit_link(row, g)) for g, n in row.cells(section.grades)]
        row.all_url = unit_link(row)
        row.top_url = unit_link(row, top)
        if row.unit.drillable:
            row.drill_url = dashboards_url("distribution", year=year, month=data.month, unit=row.unit.code, group=group)
    section.total.links = [
        (
            g,
            n,
            dashboards.list_url(
                year=year, month=data.month, unit=unit_code, group=group, framework=fw, status="graded", grade=g
            ),
        )
        for g, n in section.total.cells(section.grades)
    ]
    reference = (
        (float(rule.ratio), _("quota %(ratio)s") % {"ratio": charts.percent_format(float(rule.ratio))})
        if rule
        else None
    )
    labels = [f"{r.month:02d}" for r in section.months]
    grade_series = [
        charts.Series(
            g, [r.counts.get(g, 0) for r in section.months], links=[month_link(r.month, g) for r in section.months]
        )
        for g in section.grades
    ]
    section.month_chart = _svg(
        charts.stacked_bar_chart(labels, grade_series, title=_("Grades per month, %(year)s") % {"year": year})
    )
    section.trend_chart = None
    if rule:
        shares = [float(r.share) if r.share is not None else None for r in section.months]
        section.trend_chart = _svg(
            charts.line_chart(
                labels,
                [
                    charts.Series(
                        _("share of %(grade)s") % {"grade": top}, shares, links=[r.top_url for r in section.months]
                    )
                ],
                title=_("Share of %(grade)s per month against the quota") % {"grade": top},
                percent=True,
                reference=reference,
            )
        )
    graded_units = [r for r in section.units if r.total]
    section.unit_chart = None
    if graded_units:
        section.unit_chart = _svg(
            charts.stacked_bar_chart(
                [r.unit.code for r in graded_units],
                [
                    charts.Series(
                        g, [r.counts.get(g, 0) for r in graded_units], links=[unit_link(r, g) for r in graded_units]
                    )
                    for g in section.grades
                ],
                title=_("Grades per unit"),
                width=max(480, 70 * len(graded_units) + 60),
            )
        )
    section.kind_charts = []
    if rule:
        for kind, rows in section.by_kind:
            svg = charts.bar_chart(
                [r.unit.code for r in rows],
                [float(r.share) if r.share is not None else None for r in rows],
                title=_("Share of %(grade)s: %(kind)s") % {"grade": top, "kind": kind},
                links=[r.top_url for r in rows],
                reference=reference,
                fmt=charts.percent_format,
                width=max(420, 60 * len(rows) + 60),
            )
            section.kind_charts.append((kind, rows, _svg(svg)))


@login_required
def form_list(request):
    today = timezone.localdate()
    filters = dashboards.list_filters_from(request.GET, today=today)
    on = selectors.reference_date(filters.period) if filters.period else today
    place = dashboards.place_for(user=request.user, code=request.GET.get("unit"), on=on)
    forms = dashboards.form_list(user=request.user, place=place, filters=filters)
    page = Paginator(forms, LIST_PAGE_SIZE).get_page(request.GET.get("page"))
    me = access.user_scope(request.user).person_id
    for form in page.object_list:
        form.status_label = dashboards.STATUS_LABELS.get(form.status, form.status)
        form.withheld = form.result_withheld_from(me)
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "dashboards/list.html",
        {
            "place": place,
            "filters": filters,
            "page": page,
            "query": query.urlencode(),
            "status_names": [dashboards.STATUS_LABELS.get(s, s) for s in filters.statuses if s != "-"],
            "group_label": dict(SubjectGroup.choices).get(filters.group, ""),
        },
    )
