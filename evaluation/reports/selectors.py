"""Reads for the report pages: the user's recent jobs, with their units, in two queries."""

from __future__ import annotations

from evaluation.models import ReportJob
from evaluation.reports import access
from orgchart.models import OrgUnit

RECENT_JOBS = 20


def report_jobs_recent(*, user, limit: int = RECENT_JOBS) -> list[ReportJob]:
    """The user's latest jobs that they may still open (`access.get_job_or_404`'s rule), each with
    `unit` (the `OrgUnit` of its parameters) attached."""
    jobs = list(ReportJob.objects.filter(requested_by=user).order_by("-requested_at", "-pk")[:limit])
    units = OrgUnit.objects.in_bulk([j.params.get("unit", "") for j in jobs], field_name="code")
    visible = []
    for job in jobs:
        job.unit = units.get(job.params.get("unit", ""))
        if job.unit is not None and access.can_report(user, job.unit, subtree=bool(job.params.get("subtree"))):
            visible.append(job)
    return visible
