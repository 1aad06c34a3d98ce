"""Locked forms and history rows cannot be changed, not even with raw SQL (database triggers)."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, connection, transaction

from evaluation.models import Evaluation, EvaluationHistory
from tests.evaluation.conftest import form_of


def _lock(form: Evaluation) -> None:
    Evaluation.objects.filter(pk=form.pk).update(status="locked")


def _raw(sql: str, params) -> None:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)


def test_raw_update_and_delete_of_a_locked_form_are_rejected(org, period_2025):
    form = form_of(org, "nhanvien", period_2025)
    _lock(form)
    with pytest.raises(DatabaseError):
        _raw("UPDATE evaluation_evaluation SET grade = 'A' WHERE id = %s", [form.pk])
    with pytest.raises(DatabaseError):
        _raw("DELETE FROM evaluation_evaluation WHERE id = %s", [form.pk])
    with pytest.raises(DatabaseError), transaction.atomic():
        Evaluation.objects.filter(pk=form.pk).update(status="published")
    form.refresh_from_db()
    assert form.status == "locked" and form.grade == ""


def test_unlocked_forms_can_still_be_updated(org, period_2025):
    form = form_of(org, "nhanvien", period_2025)
    _raw("UPDATE evaluation_evaluation SET note = 'x' WHERE id = %s", [form.pk])
    form.refresh_from_db()
    assert form.note == "x"


def test_history_rows_are_append_only(org, period_2025):
    form = form_of(org, "nhanvien", period_2025)
    row = EvaluationHistory.objects.create(evaluation=form, action="save", from_status="draft", to_status="draft")
    with pytest.raises(DatabaseError):
        _raw("UPDATE evaluation_evaluationhistory SET comment = 'rewritten' WHERE id = %s", [row.pk])
    with pytest.raises(DatabaseError):
        _raw("DELETE FROM evaluation_evaluationhistory WHERE id = %s", [row.pk])
    assert EvaluationHistory.objects.get(pk=row.pk).comment == ""
