"""Reminders before each deadline, escalation after it: one message per person per deadline."""

from __future__ import annotations

from datetime import date

import time_machine
from django.core import mail

from evaluation import services
from evaluation.models import Notification


def _with_emails(org):
    for person in org.people.values():
        person.user.email = f"{person.user.username}@example.vn"
        person.user.save(update_fields=["email"])


def test_reminder_before_self_assessment_deadline_sent_once(org, period_2025, django_capture_on_commit_callbacks):
    _with_emails(org)
    with time_machine.travel(date(2025, 12, 2), tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            sent = services.reminders_send()
        with django_capture_on_commit_callbacks(execute=True):
            again = services.reminders_send()
    assert sent == len(org.people) and again == 0
    assert Notification.objects.filter(user=org.user("nhanvien")).count() == 1
    assert len(mail.outbox) == len(org.people)
    assert "03/12/2025" in Notification.objects.get(user=org.user("nhanvien")).message


def test_no_reminder_too_early(org, period_2025):
    assert services.reminders_send(today=date(2025, 11, 25)) == 0


def test_overdue_escalates_to_the_managers_manager(org, period_2025):
    # Nobody self-assessed: on 4/12 the self-assessment is overdue. nhanvien's decider is giamdoc,
    # so giamdoc is told; giamdoc's own decider (the city chairman) is told about giamdoc's form.
    services.reminders_send(today=date(2025, 12, 4))
    keys = set(Notification.objects.filter(user=org.user("giamdoc")).values_list("key", flat=True))
    assert "2025-11-self_due-overdue" in keys
    assert Notification.objects.filter(user=org.user("chutich"), key="2025-11-self_due-overdue").exists()
    assert not Notification.objects.filter(user=org.user("nhanvien"), key__endswith="overdue").exists()


def test_decided_forms_get_no_reminder(org, period_2025):
    from tests.evaluation.conftest import form_of, staff_points

    form = form_of(org, "nhanvien", period_2025)
    services.evaluation_decide(evaluation=form, expected_version=1, points=staff_points(60), actor=org.user("giamdoc"))
    services.reminders_send(today=date(2025, 12, 6))  # decision due 7/12
    assert not Notification.objects.filter(user=org.user("nhanvien")).exists()
