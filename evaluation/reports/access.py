"""Who may request, follow and download reports (built on `orgchart.access`, the one access module).

- An HR officer (grant on a unit) may report on every unit of the granted subtree, with or without
  `subtree`.
- A head (or an acting head by grant) may report on the unit they head, not on its subtree.
- A superuser may report on anything.
Everybody else gets 404, on the page and on every job and download.
"""

from __future__ import annotations

from django.http import Http404
from django.utils.translation import gettext_lazy as _

from evaluation.models import ReportJob
from orgchart import access
from orgchart.models import OrgUnit


def can_use_reports(user) -> bool:
    scope = access.user_scope(user)
    return scope.is_superuser or bool(scope.grant_paths(access.HR_OFFICER)) or bool(scope.headed_unit_ids)


def can_report(user, unit: OrgUnit, *, subtree: bool = False) -> bool:
    scope = access.user_scope(user)
    if scope.covers(unit.path, scope.grant_paths(access.HR_OFFICER)):
        return True
    return not subtree and unit.pk in scope.headed_unit_ids


def reportable_units(user):
    """Units the user may report on (for the form's suggestions)."""
    scope = access.user_scope(user)
    if scope.is_superuser:
        return OrgUnit.objects.all()
    from django.db.models import Q

    q = Q(pk__in=scope.headed_unit_ids)
    for path in scope.grant_paths(access.HR_OFFICER):
        q |= Q(path__startswith=path)
    return OrgUnit.objects.filter(q)


def require_reports(user) -> None:
    if not can_use_reports(user):
        raise Http404(_("Page not found."))


def get_report_unit_or_404(user, code: str, *, subtree: bool = False) -> OrgUnit:
    unit = OrgUnit.objects.filter(code=code).first()
    if unit is None or not can_report(user, unit, subtree=subtree):
        raise Http404(_("Unit not found."))
    return unit


def get_job_or_404(user, pk: int) -> ReportJob:
    """A job is visible to whoever may (still) report on its unit and scope (`job.unit` is set)."""
    job = ReportJob.objects.filter(pk=pk).first()
    if job is None:
        raise Http404(_("Report not found."))
    unit = OrgUnit.objects.filter(code=job.params.get("unit", "")).first()
    if unit is None or not can_report(user, unit, subtree=bool(job.params.get("subtree"))):
        raise Http404(_("Report not found."))
    job.unit = unit  # for the pages, which show its name
    return job
