"""Reads of the monthly cycle that have rules in them (who sees which form, in which role)."""

from __future__ import annotations

from datetime import date

from django.db.models import Exists, OuterRef, Q, QuerySet

from evaluation.models import Evaluation, Period
from evaluation.workflow import Actor, Status
from orgchart import access

UNDECIDED = "?"  # a placeholder grade: rated, but not (yet) the quota grade


def reference_date(period: Period) -> date:
    """The org chart a month is evaluated under: its last day (who led the work that month)."""
    from evaluation.services import last_working_day

    return last_working_day(period.year, period.month)


def current_forms(*, period: Period | None = None) -> QuerySet[Evaluation]:
    """The latest revision of every form (a complaint revision supersedes the earlier one)."""
    newer = Evaluation.objects.filter(supersedes=OuterRef("pk"))
    qs = Evaluation.objects.filter(~Exists(newer))
    return qs.filter(period=period) if period is not None else qs


def evaluations_visible_to(user, *, period: Period | None = None) -> QuerySet[Evaluation]:
    """Forms the user may open: their own, those in a subtree they manage or hold a grant on,
    and the published results of their own units."""
    scope = access.user_scope(user)
    qs = current_forms(period=period)
    if scope.is_superuser:
        return qs
    condition = Q(person_id=scope.person_id or 0)
    for path in scope.view_paths:
        condition |= Q(unit__path__startswith=path) | Q(decision_unit__path__startswith=path)
    condition |= Q(unit_id__in=scope.own_unit_ids, status__in=[Status.PUBLISHED, Status.LOCKED])
    return qs.filter(condition)


def get_evaluation_or_404(user, pk: int) -> Evaluation:
    from django.http import Http404
    from django.utils.translation import gettext as _

    evaluation = (
        evaluations_visible_to(user)
        .filter(pk=pk)
        .select_related("period", "person", "framework", "unit", "decision_unit")
        .first()
    )
    if evaluation is None:
        # A superseded revision stays readable by whoever may read the current one.
        evaluation = Evaluation.objects.filter(pk=pk).select_related("period", "person", "framework").first()
        if (
            evaluation is None
            or not evaluations_visible_to(user).filter(period=evaluation.period, person=evaluation.person).exists()
        ):
            raise Http404(_("Form not found."))
    return evaluation


def actor_roles(*, user, evaluation: Evaluation) -> set[Actor]:
    """The roles `user` holds towards this form, from the org chart of the form's month."""
    scope = access.user_scope(user)
    roles: set[Actor] = set()
    if scope.person_id is not None and scope.person_id == evaluation.person_id:
        return {Actor.EMPLOYEE}  # nobody reviews or decides their own form
    on = reference_date(evaluation.period)
    if access.can_review(user, evaluation.person, on):
        roles.add(Actor.MANAGER)
    if access.can_decide(user, evaluation.person, on):
        roles.add(Actor.DECIDER)
    return roles


def unit_form_grades(*, period: Period, decision_unit_id: int, framework_id: int) -> list[tuple]:
    """(pk, status, grade, similar-task group) of the current forms of a decision unit."""
    return list(
        current_forms(period=period)
        .filter(decision_unit_id=decision_unit_id, framework_id=framework_id)
        .values_list("pk", "status", "grade", "similar_task_group")
    )


def quota_summary(report) -> dict:
    def result(r):
        return {"allowed": r.allowed, "count": r.count, "base": r.base, "ok": r.ok}

    return {
        "unit": result(report.unit) if report.unit else None,
        "groups": {str(k): result(v) for k, v in report.groups.items()},
        "ok": report.ok,
    }


def over_quota_names(forms: list[Evaluation], rule) -> str:
    return ", ".join(sorted(f.person.full_name for f in forms if f.grade == rule.grade))


def latest_opened_month(subject_groups: list[str]) -> date | None:
    """The first day of the latest month that has forms for any of these subject groups."""
    latest = (
        Evaluation.objects.filter(subject_group__in=subject_groups)
        .order_by("-period__year", "-period__month")
        .values_list("period__year", "period__month")
        .first()
    )
    return date(latest[0], latest[1], 1) if latest else None
