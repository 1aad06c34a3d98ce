"""Two heads deciding, two tabs submitting: exactly one wins, one history row."""

from __future__ import annotations

import threading

import pytest
from django.db import close_old_connections, connection

from evaluation import services
from evaluation.models import Evaluation, EvaluationHistory
from orgchart import services as org_services
from tests.evaluation.conftest import form_of, staff_points


def _race(n: int, work):
    barrier = threading.Barrier(n)
    outcomes = []

    def run(i):
        try:
            barrier.wait()
            work(i)
            outcomes.append("ok")
        except services.StaleForm:
            outcomes.append("stale")
        except Exception as exc:
            outcomes.append(repr(exc))
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sorted(outcomes)


@pytest.mark.django_db(transaction=True)
def test_two_tabs_submitting_the_same_form(org, period_2025):
    form = form_of(org, "nhanvien", period_2025)
    form = services.evaluation_save_self(
        evaluation=form, expected_version=1, points=staff_points(60), actor=org.user("nhanvien")
    )
    version = form.version

    def submit(_i):
        services.evaluation_submit(
            evaluation=Evaluation.objects.get(pk=form.pk), expected_version=version, actor=org.user("nhanvien")
        )

    assert _race(2, submit) == ["ok", "stale"]
    assert EvaluationHistory.objects.filter(evaluation=form, action="submit").count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_heads_deciding_the_same_form(org, period_2025):
    # An acting head (by grant) and the head decide the same form at the same moment.
    from datetime import date

    org_services.grant_create(
        user=org.user("phogiamdoc"),
        unit=org.stc,
        role="acting_head",
        valid_from=date(2025, 1, 1),
        reason="Giao quyền",
        actor=None,
    )
    form = form_of(org, "nhanvien", period_2025)
    deciders = [org.user("giamdoc"), org.user("phogiamdoc")]

    def decide(i):
        services.evaluation_decide(
            evaluation=Evaluation.objects.get(pk=form.pk),
            expected_version=form.version,
            points=staff_points(60 + i),
            actor=deciders[i],
        )

    assert _race(2, decide) == ["ok", "stale"]
    assert EvaluationHistory.objects.filter(evaluation=form, action="decide").count() == 1
