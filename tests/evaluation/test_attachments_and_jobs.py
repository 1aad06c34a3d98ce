from __future__ import annotations

from datetime import date

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django_q.models import Schedule

from evaluation import services, tasks
from evaluation.models import Attachment, Evaluation, Period
from tests.evaluation.conftest import form_of


@pytest.fixture(autouse=True)
def private_media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def test_evidence_is_stored_privately_under_a_random_name(org, period_2025):
    form = form_of(org, "nhanvien", period_2025)
    upload = SimpleUploadedFile("Báo cáo tháng 11.pdf", b"%PDF-1.4 test", content_type="application/pdf")
    attachment = services.attachment_add(evaluation=form, upload=upload, actor=org.user("nhanvien"))
    assert attachment.original_name == "Báo cáo tháng 11.pdf"
    assert attachment.file.name.startswith("evidence/") and attachment.file.name.endswith(".pdf")
    assert "Báo cáo" not in attachment.file.name


def test_evidence_type_and_size_limits(org, period_2025, settings):
    form = form_of(org, "nhanvien", period_2025)
    with pytest.raises(services.InvalidInput):
        services.attachment_add(
            evaluation=form,
            actor=org.user("nhanvien"),
            upload=SimpleUploadedFile("x.exe", b"MZ", content_type="application/x-msdownload"),
        )
    settings.EVIDENCE_MAX_BYTES = 10
    with pytest.raises(services.InvalidInput):
        services.attachment_add(
            evaluation=form,
            actor=org.user("nhanvien"),
            upload=SimpleUploadedFile("big.txt", b"x" * 11, content_type="text/plain"),
        )
    assert not Attachment.objects.exists()


@pytest.mark.parametrize(
    ("name", "content", "declared"),
    [
        ("virus.pdf", b"MZ\x90\x00 an executable", "application/pdf"),
        ("anh.png", b"\xff\xd8\xff a jpeg", "image/png"),
        ("bang.xlsx", b"not a zip package", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        ("ghi-chu.txt", b"\x00\x01\x02 binary", "text/plain"),
        ("ghi-chu.txt", "Ghi chú".encode("utf-16"), "text/plain"),
    ],
)
def test_the_declared_type_must_match_the_content(org, period_2025, name, content, declared):
    form = form_of(org, "nhanvien", period_2025)
    with pytest.raises(services.InvalidInput) as caught:
        services.attachment_add(
            evaluation=form,
            actor=org.user("nhanvien"),
            upload=SimpleUploadedFile(name, content, content_type=declared),
        )
    assert caught.value.field == "file"
    assert not Attachment.objects.exists()


def test_real_files_of_each_type_are_accepted(org, period_2025):
    form = form_of(org, "nhanvien", period_2025)
    for name, content, declared in [
        ("a.pdf", b"%PDF-1.7\n...", "application/pdf"),
        ("a.png", b"\x89PNG\r\n\x1a\n....", "image/png"),
        ("a.jpg", b"\xff\xd8\xff\xe0....", "image/jpeg"),
        ("a.docx", b"PK\x03\x04....", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
        ("a.txt", "Báo cáo tháng".encode(), "text/plain"),
    ]:
        upload = SimpleUploadedFile(name, content, content_type=declared)
        services.attachment_add(evaluation=form, upload=upload, actor=org.user("nhanvien"))
    assert Attachment.objects.filter(evaluation=form).count() == 5


def test_outsiders_cannot_attach(org, period_2025):
    form = form_of(org, "nhanvien", period_2025)
    with pytest.raises(services.NotAllowed):
        services.attachment_add(
            evaluation=form,
            actor=org.user("ngoai"),
            upload=SimpleUploadedFile("a.txt", b"a", content_type="text/plain"),
        )


def test_open_due_period_job_waits_for_the_opening_day_and_is_idempotent(org):
    with time_machine.travel(date(2025, 10, 19), tick=False):
        assert tasks.open_due_period() == "not yet"
    with time_machine.travel(date(2025, 10, 20), tick=False):
        tasks.open_due_period()
        tasks.open_due_period()
    assert Period.objects.get().key == "2025-10"
    assert Evaluation.objects.count() == len(org.people)


def test_open_due_period_job_leaves_a_month_hr_closed_alone(org):
    from tests.factories import assign, make_person

    with time_machine.travel(date(2025, 10, 20), tick=False):
        tasks.open_due_period()
        services.period_set_state(
            period=Period.objects.get(), state=Period.State.CLOSED, reason="Chốt sổ", actor=org.user("hr")
        )
        assign(make_person("Người Mới Đến"), org.stc_th)
        assert tasks.open_due_period() == "closed by HR"
    assert Evaluation.objects.count() == len(org.people)  # nobody added to the closed month


def test_schedules_are_upserted_by_name(db):
    call_command("setup_schedules", verbosity=0)
    call_command("setup_schedules", verbosity=0)
    names = set(Schedule.objects.values_list("name", flat=True))
    assert names == set(tasks.SCHEDULES)


def test_the_rating_lock_jobs_are_scheduled_and_run(db):
    call_command("setup_schedules", verbosity=0)
    funcs = dict(Schedule.objects.values_list("name", "func"))
    for name in ("lock_due_quarterly_ratings", "lock_due_annual_results"):
        assert funcs[f"evaluation.{name}"] == f"evaluation.tasks.{name}"
    assert tasks.lock_due_quarterly_ratings() == "0 quarterly ratings locked"
    assert tasks.lock_due_annual_results() == "0 annual results locked"
