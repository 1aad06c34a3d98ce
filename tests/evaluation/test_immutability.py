"""Locked forms and history rows cannot be changed, not even with raw SQL (database triggers)."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, connection, transaction

from evaluation.models import Evaluation, EvaluationHistory
from tests.evaluation.conftest import form_of
from tests.evaluation.test_quarterly import rated_heads


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


@pytest.fixture
def heads(org):
    return rated_heads(org)


def test_locked_annual_results_and_quarterly_ratings_are_immutable_too(org, heads):
    from evaluation import ratings
    from evaluation.models import AnnualClassification, QuarterlyRating
    from tests.evaluation.test_annual import give_year, row
    from tests.evaluation.test_quarterly import complete_q1, rating_of

    give_year(org.people["nhanvien"], [80] * 12)
    ratings.annual_compute(year=2025)
    annual = row(org, "nhanvien")
    AnnualClassification.objects.filter(pk=annual.pk).update(status="locked")
    complete_q1(org, heads)
    quarter = rating_of(heads.office_head)
    QuarterlyRating.objects.filter(pk=quarter.pk).update(status="locked")
    for table, pk in (("evaluation_annualclassification", annual.pk), ("evaluation_quarterlyrating", quarter.pk)):
        with pytest.raises(DatabaseError):
            _raw(f"UPDATE {table} SET status = 'published' WHERE id = %s", [pk])  # noqa: S608 (fixed names)
        with pytest.raises(DatabaseError):
            _raw(f"DELETE FROM {table} WHERE id = %s", [pk])  # noqa: S608
    assert row(org, "nhanvien").status == "locked" and rating_of(heads.office_head).status == "locked"
    # A rating not locked yet can still change (the services recompute it).
    open_rating = rating_of(heads.commune_head)
    _raw("UPDATE evaluation_quarterlyrating SET version = version + 1 WHERE id = %s", [open_rating.pk])
    assert rating_of(heads.commune_head).version == open_rating.version + 1
