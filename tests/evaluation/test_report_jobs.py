"""Background report jobs (django-q2, `sync` in the test settings): request → run → download, failure
and retry, and a worker killed mid-way that leaves nothing half-written and completes when retried.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from evaluation.models import ReportJob
from evaluation.reports import build, jobs
from tests.evaluation import test_reports
from tests.evaluation.test_reports import YEAR, nfc, pdf_text

annual_rows = test_reports.annual_rows  # the fixture, shared

REAL_BUILD = build.build


@pytest.fixture(autouse=True)
def private_media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def results(media: Path) -> list[Path]:
    """Every file where downloads are served from (the work directories excluded)."""
    root = media / "reports"
    return sorted(p for p in root.rglob("*") if p.is_file() and ".work" not in p.relative_to(root).parts)


def request_job(org, captured, *, kind=build.ANNUAL_LIST, unit=None, persona="hr", **extra) -> ReportJob:
    spec = build.ReportSpec(kind=kind, unit=unit or org.stc, year=YEAR, **extra)
    with captured(execute=True):
        job = jobs.report_job_request(spec=spec, actor=org.user(persona))
    job.refresh_from_db()
    return job


def test_a_requested_report_is_built_and_downloads_as_the_pdf_with_the_names(
    org, annual_rows, login, django_capture_on_commit_callbacks, private_media, tmp_path
):
    job = request_job(org, django_capture_on_commit_callbacks)
    assert job.state == ReportJob.State.DONE
    assert (job.progress, job.attempts, job.error) == (100, 1, "")
    assert job.result_name == "annual-list-STC-2025.pdf"
    assert job.params == {"unit": "STC", "year": YEAR, "format": "pdf", "subtree": False}
    assert not jobs.work_dir(job.pk).exists()
    assert len(results(private_media)) == 1

    response = login(org.user("giamdoc")).get(reverse("reports:job_download", args=[job.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert 'filename="annual-list-STC-2025.pdf"' in response["Content-Disposition"]
    data = b"".join(response.streaming_content)
    assert data.startswith(b"%PDF")
    text = pdf_text(data, tmp_path)
    for row in annual_rows:
        assert nfc(row.person.full_name) in text


def test_a_subtree_excel_report_for_hr(org, annual_rows, login, django_capture_on_commit_callbacks):
    job = request_job(org, django_capture_on_commit_callbacks, unit=org.city, subtree=True, fmt=build.XLSX)
    assert job.state == ReportJob.State.DONE
    assert job.result_name == "annual-list-HN-2025-subtree.xlsx"
    response = login(org.user("hr")).get(reverse("reports:job_download", args=[job.pk]))
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert b"".join(response.streaming_content).startswith(b"PK")  # a zip container, as xlsx is
    # The head of the city may report on the city itself, not on its subtree: not their job.
    assert login(org.user("chutich")).get(reverse("reports:job", args=[job.pk])).status_code == 404


def test_a_failed_job_says_why_and_a_retry_succeeds(
    org, annual_rows, login, django_capture_on_commit_callbacks, monkeypatch, private_media
):
    def broken(*args, **kwargs):
        raise RuntimeError("Máy chủ in hết bộ nhớ")

    monkeypatch.setattr(jobs, "build", broken)
    job = request_job(org, django_capture_on_commit_callbacks)
    assert job.state == ReportJob.State.FAILED
    assert job.error == "RuntimeError: Máy chủ in hết bộ nhớ"
    assert not job.result and results(private_media) == []

    client = login(org.user("hr"))
    page = client.get(reverse("reports:job", args=[job.pk])).content.decode()
    assert "Máy chủ in hết bộ nhớ" in page
    assert 'data-testid="retry"' in page
    assert client.get(reverse("reports:job_download", args=[job.pk])).status_code == 404

    monkeypatch.setattr(jobs, "build", REAL_BUILD)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("reports:job_retry", args=[job.pk]))
    assert response.status_code == 302
    job.refresh_from_db()
    assert (job.state, job.error, job.attempts) == (ReportJob.State.DONE, "", 2)
    assert len(results(private_media)) == 1
    page = client.get(reverse("reports:job", args=[job.pk])).content.decode()
    assert 'data-testid="download"' in page and 'data-testid="retry"' not in page
    # A second retry of a job that is done does nothing.
    assert jobs.report_job_retry(job=job, actor=org.user("hr")) is False


class WorkerKilled(BaseException):
    """What a worker's death looks like from inside: not an `Exception`, so nothing records it."""


def test_a_killed_job_leaves_nothing_half_written_and_completes_when_retried(
    org, annual_rows, login, django_capture_on_commit_callbacks, monkeypatch, private_media, tmp_path
):
    def dies_half_way(spec, workdir, *, progress=None):
        workdir.mkdir(parents=True, exist_ok=True)
        (workdir / f"{spec.base_name}.pdf").write_bytes(b"%PDF-1.7\n% half a report")
        progress(40)
        raise WorkerKilled

    monkeypatch.setattr(jobs, "build", dies_half_way)
    spec = build.ReportSpec(kind=build.ANNUAL_LIST, unit=org.stc, year=YEAR)
    with pytest.raises(WorkerKilled), django_capture_on_commit_callbacks(execute=True):
        job = jobs.report_job_request(spec=spec, actor=org.user("hr"))
    job = ReportJob.objects.get()
    assert (job.state, job.progress, job.attempts) == (ReportJob.State.RUNNING, 40, 1)
    assert not job.result and not job.result_name
    # A SIGKILL runs no `finally`: the half-written file stays in the work directory.
    leftover = jobs.work_dir(job.pk) / "build" / "annual-list-STC-2025.pdf"
    leftover.parent.mkdir(parents=True, exist_ok=True)
    leftover.write_bytes(b"%PDF-1.7\n% half a report")

    client = login(org.user("hr"))
    assert results(private_media) == []  # nothing where downloads look
    assert client.get(reverse("reports:job_download", args=[job.pk])).status_code == 404
    fragment = client.get(reverse("reports:job_progress", args=[job.pk])).content.decode()
    assert 'data-state="running"' in fragment and 'hx-trigger="every 2s"' in fragment
    assert 'data-testid="retry"' not in fragment  # it may still be running
    assert jobs.report_job_retry(job=job, actor=org.user("hr")) is False

    monkeypatch.setattr(jobs, "build", REAL_BUILD)
    later = timezone.now() + timedelta(seconds=jobs.settings.Q_CLUSTER["retry"] + 60)
    with time_machine.travel(later, tick=False):
        fragment = client.get(reverse("reports:job_progress", args=[job.pk])).content.decode()
        assert 'data-testid="retry"' in fragment  # stuck longer than a worker may run
        with django_capture_on_commit_callbacks(execute=True):
            client.post(reverse("reports:job_retry", args=[job.pk]))
    job.refresh_from_db()
    assert (job.state, job.progress, job.attempts) == (ReportJob.State.DONE, 100, 2)
    assert not jobs.work_dir(job.pk).exists()
    (stored,) = results(private_media)
    assert stored.read_bytes().startswith(b"%PDF") and b"half a report" not in stored.read_bytes()
    assert nfc("Nguyễn Thị Nhân Viên") in pdf_text(stored.read_bytes(), tmp_path)

    # The killed worker's task delivered again by django-q (its `retry`) finds the job done.
    assert jobs.run_report_job(job.pk) == "done already"
    assert results(private_media) == [stored]


def test_the_redelivered_task_of_a_killed_worker_completes_the_job(
    org, annual_rows, django_capture_on_commit_callbacks, monkeypatch, private_media
):
    """django-q runs a killed worker's task again: the job is claimed anew and completes."""
    monkeypatch.setattr(jobs, "enqueue", lambda job_id: None)  # the worker that took it died
    job = request_job(org, django_capture_on_commit_callbacks)
    ReportJob.objects.filter(pk=job.pk).update(state=ReportJob.State.RUNNING, attempts=1, progress=65)
    stale = jobs.work_dir(job.pk) / "build" / "parts" / "annual-list-STC-2025-part01.pdf"
    stale.parent.mkdir(parents=True)
    stale.write_bytes(b"garbage")

    assert jobs.run_report_job(job.pk).startswith("done: ")
    job.refresh_from_db()
    assert (job.state, job.attempts) == (ReportJob.State.DONE, 2)
    assert len(results(private_media)) == 1 and not jobs.work_dir(job.pk).exists()


def test_an_attempt_overtaken_by_a_retry_keeps_no_second_result(
    org, annual_rows, django_capture_on_commit_callbacks, monkeypatch, private_media
):
    """A slow attempt that finishes after a newer one has completed the job throws its file away."""
    monkeypatch.setattr(jobs, "enqueue", lambda job_id: None)
    job = request_job(org, django_capture_on_commit_callbacks)

    def slow(spec, workdir, *, progress=None):
        monkeypatch.setattr(jobs, "build", REAL_BUILD)
        assert jobs.run_report_job(job.pk).startswith("done: ")  # the newer attempt, meanwhile
        workdir.mkdir(parents=True, exist_ok=True)
        path = workdir / f"{spec.base_name}.pdf"
        path.write_bytes(b"%PDF-1.7\n% the old attempt")
        return path

    monkeypatch.setattr(jobs, "build", slow)
    assert jobs.run_report_job(job.pk) == "superseded"
    job.refresh_from_db()
    assert (job.state, job.attempts) == (ReportJob.State.DONE, 2)
    (stored,) = results(private_media)
    assert stored.name == Path(job.result.name).name
    assert b"the old attempt" not in stored.read_bytes()
