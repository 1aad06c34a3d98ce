"""Reports built in the background (django-q2): request, run, retry.

`run_report_job(job_id)` takes an id and is idempotent:
- a job already done is left alone; any other state is claimed by bumping `attempts` (the claim a
  later write must still match, so a stale attempt never overwrites a newer one);
- the report is built in a private working directory (`MEDIA_ROOT/reports/.work/job-<id>/`, wiped
  at the start of every attempt, so a rerun starts clean) and moved into place with one rename;
- `result` is set only in the final update, together with `state=done`: a job killed mid-way leaves
  no result and no half-written file where downloads look;
- an error sets `state=failed` with the reason; `report_job_retry` enqueues it again.
"""

from __future__ import annotations

import logging
import os
import shutil
from pathlib import Path

from django.conf import settings
from django.core.files import File
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from evaluation.models import ReportJob
from evaluation.reports.build import ReportSpec, build

logger = logging.getLogger(__name__)
TASK = "evaluation.reports.jobs.run_report_job"


def work_dir(job_id: int) -> Path:
    return Path(settings.MEDIA_ROOT) / "reports" / ".work" / f"job-{job_id}"


def enqueue(job_id: int) -> None:
    from django_q.tasks import async_task

    async_task(TASK, job_id, task_name=f"report-job-{job_id}")


def report_job_request(*, spec: ReportSpec, actor) -> ReportJob:
    """Record the request and enqueue it once the transaction commits."""
    with transaction.atomic():
        job = ReportJob.objects.create(kind=spec.kind, params=spec.as_params(), requested_by=actor)
        transaction.on_commit(lambda: enqueue(job.pk))
    return job


def _retryable(pk: int):
    stale = timezone.now() - timezone.timedelta(seconds=int(settings.Q_CLUSTER.get("retry", 720)))
    return ReportJob.objects.filter(pk=pk, state=ReportJob.State.FAILED) | ReportJob.objects.filter(
        pk=pk, state__in=[ReportJob.State.QUEUED, ReportJob.State.RUNNING], requested_at__lt=stale
    )


def report_job_retryable(job: ReportJob) -> bool:
    """Whether `report_job_retry` would take the job now (for showing the Retry button)."""
    if job.state == ReportJob.State.FAILED:
        return True
    if job.state == ReportJob.State.DONE:
        return False
    stale = timezone.now() - timezone.timedelta(seconds=int(settings.Q_CLUSTER.get("retry", 720)))
    return job.requested_at < stale


def report_job_retry(*, job: ReportJob, actor) -> bool:
    """Enqueue a failed job again (or one stuck in `queued`/`running` longer than a worker may run).
    False if it is neither (someone retried it first, or it is still running)."""
    retryable = _retryable(job.pk)
    with transaction.atomic():
        updated = ReportJob.objects.filter(pk__in=retryable.values("pk")).update(
            state=ReportJob.State.QUEUED, progress=0, error="", finished_at=None
        )
        if updated:
            logger.info("report job %s retried by %s", job.pk, getattr(actor, "pk", None))
            transaction.on_commit(lambda: enqueue(job.pk))
    return bool(updated)


class _Progress:
    """Writes the percentage when it changes (one small UPDATE, guarded by the attempt)."""

    def __init__(self, job_id: int, attempt: int):
        self.job_id, self.attempt, self.last = job_id, attempt, -1

    def __call__(self, percent: int) -> None:
        percent = max(0, min(99, int(percent)))  # 100 only with the result
        if percent != self.last:
            self.last = percent
            ReportJob.objects.filter(pk=self.job_id, attempts=self.attempt).update(progress=percent)


def run_report_job(job_id: int) -> str:
    claimed = (
        ReportJob.objects.filter(pk=job_id)
        .exclude(state=ReportJob.State.DONE)
        .update(state=ReportJob.State.RUNNING, attempts=F("attempts") + 1, progress=0, error="", finished_at=None)
    )
    if not claimed:
        return "done already" if ReportJob.objects.filter(pk=job_id).exists() else "no such job"
    job = ReportJob.objects.get(pk=job_id)
    attempt = job.attempts
    workdir = work_dir(job_id)
    shutil.rmtree(workdir, ignore_errors=True)  # whatever a killed attempt left behind
    stored_name = None
    try:
        spec = ReportSpec.from_params(job.params, kind=job.kind)
        built = build(spec, workdir / "build", progress=_Progress(job_id, attempt))
        stored_name = _store(job, built)
        finished = ReportJob.objects.filter(pk=job_id, attempts=attempt).update(
            state=ReportJob.State.DONE,
            result=stored_name,
            result_name=built.name,
            progress=100,
            finished_at=timezone.now(),
        )
        if not finished:  # a newer attempt owns the job now
            job.result.storage.delete(stored_name)
            return "superseded"
        return f"done: {stored_name}"
    except Exception as exc:
        logger.exception("report job %s failed", job_id)
        if stored_name:
            job.result.storage.delete(stored_name)
        ReportJob.objects.filter(pk=job_id, attempts=attempt).update(
            state=ReportJob.State.FAILED,
            error=f"{type(exc).__name__}: {exc}"[:2000],
            finished_at=timezone.now(),
        )
        return f"failed: {exc}"
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def _store(job: ReportJob, built: Path) -> str:
    """Move the finished file into the storage under its final name, in one step."""
    field_file = job.result
    storage = field_file.storage
    name = storage.get_available_name(field_file.field.generate_filename(job, built.name))
    try:
        target = Path(storage.path(name))
    except NotImplementedError:  # a remote storage: an upload is all-or-nothing there
        with built.open("rb") as fh:
            return storage.save(name, File(fh))
    target.parent.mkdir(parents=True, exist_ok=True)
    os.replace(built, target)  # same file system (the work dir is under MEDIA_ROOT): atomic
    return name
