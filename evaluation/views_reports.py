"""Report pages (mounted under /reports/): request a report, follow its job, download the result.

Thin views: `evaluation.reports.access` decides who sees what (404 to everyone else), the form
checks the request, `evaluation.reports.jobs` records, runs and retries the job.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from evaluation.models import ReportJob
from evaluation.reports import access, build, jobs, selectors
from evaluation.reports.forms import FORMAT_LABELS, KIND_LABELS, ReportRequestForm

INITIAL_FROM_QUERY = ("kind", "unit", "subtree", "year", "month", "quarter", "format")


def _describe(job: ReportJob) -> ReportJob:
    """Labels for the templates: what the job builds, of which unit and period."""
    params = job.params
    job.kind_label = KIND_LABELS.get(job.kind, job.kind)
    job.format_label = FORMAT_LABELS.get(params.get("format", build.PDF), params.get("format", ""))
    year = params.get("year", "")
    if job.kind == build.MONTHLY_SHEET:
        job.period_label = _("month %(month)s/%(year)s") % {"month": params.get("month"), "year": year}
    elif job.kind == build.QUARTERLY_SHEET:
        job.period_label = _("quarter %(quarter)s/%(year)s") % {"quarter": params.get("quarter"), "year": year}
    else:
        job.period_label = _("year %(year)s") % {"year": year}
    job.subtree = bool(params.get("subtree"))
    job.polling = job.state in (ReportJob.State.QUEUED, ReportJob.State.RUNNING)
    job.retryable = jobs.report_job_retryable(job)
    return job


@login_required
def index(request):
    """The request form and the user's recent jobs."""
    access.require_reports(request.user)
    if request.method == "POST":
        form = ReportRequestForm(request.POST, user=request.user)
        if form.is_valid():
            job = jobs.report_job_request(spec=form.spec(), actor=request.user)
            return redirect("reports:job", pk=job.pk)
    else:
        initial = {k: request.GET[k] for k in INITIAL_FROM_QUERY if request.GET.get(k)}
        form = ReportRequestForm(initial=initial, user=request.user)
    recent = [_describe(job) for job in selectors.report_jobs_recent(user=request.user)]
    return render(
        request,
        "reports/pages/index.html",
        {"form": form, "jobs": recent, "units": form.suggested_units(), "formats": build.FORMATS},
    )


@login_required
def job_detail(request, pk: int):
    job = _describe(access.get_job_or_404(request.user, pk))
    return render(request, "reports/pages/job.html", {"job": job})


@login_required
def job_progress(request, pk: int):
    """The progress fragment, polled by htmx while the job is queued or running."""
    job = _describe(access.get_job_or_404(request.user, pk))
    return render(request, "reports/pages/_job_progress.html", {"job": job})


@login_required
@require_POST
def job_retry(request, pk: int):
    job = access.get_job_or_404(request.user, pk)
    if jobs.report_job_retry(job=job, actor=request.user):
        messages.success(request, _("The report was queued again."))
    else:
        messages.info(request, _("The report is running or done already: nothing to retry."))
    return redirect("reports:job", pk=job.pk)


@login_required
def job_download(request, pk: int):
    job = access.get_job_or_404(request.user, pk)
    if job.state != ReportJob.State.DONE or not job.result:
        raise Http404(_("This report is not ready."))
    try:
        handle = job.result.open("rb")
    except FileNotFoundError:
        raise Http404(_("This report is not ready.")) from None
    return FileResponse(handle, as_attachment=True, filename=job.result_name or job.result.name.rsplit("/", 1)[-1])
