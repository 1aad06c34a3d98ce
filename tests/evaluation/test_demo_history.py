"""`manage.py seed_demo_history`: months of demo results on top of the demo org chart."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date, datetime
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import call_command
from django.utils import timezone

from evaluation import demo_history
from evaluation.models import Evaluation, EvaluationHistory, Period, UnitPublication
from evaluation.services import last_working_day
from evaluation.workflow import Status
from kpi import quota, scoring
from orgchart import access
from orgchart.models import Assignment, valid_on_q

HANOI = ZoneInfo("Asia/Ho_Chi_Minh")
# 10/11/2026: October's results were published this week and their complaint window is open.
IN_WINDOW = datetime(2026, 11, 10, 10, 0, tzinfo=HANOI)
PAST, PREVIOUS, CURRENT = ((2026, 8), (2026, 9)), (2026, 10), (2026, 11)


def seed_history(*args: str) -> str:
    out = StringIO()
    call_command("seed_demo_history", "--months", "3", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def history(db):
    with time_machine.travel(IN_WINDOW, tick=False):
        call_command("seed_demo", size="small", verbosity=0)
        seed_history()
        yield


def forms_of(year: int, month: int):
    return Evaluation.objects.filter(period__year=year, period__month=month).select_related("framework", "person")


def _score(form: Evaluation, stage: str):
    points = {"self": form.self_points, "review": form.review_points, "final": form.final_points}[stage]
    shares = {"self": form.self_task_results, "review": form.review_task_results, "final": form.final_task_results}
    return scoring.score(
        form.framework.spec,
        variant=form.variant,
        points=points,
        task_results=shares[stage] or None,
        flags=form.flags or None,
        leader_inputs=demo_history.leader_inputs(form.flags),
    )


def test_every_person_has_a_form_per_month_and_the_statuses_follow_the_calendar(history):
    today = IN_WINDOW.date()
    for year, month in (*PAST, PREVIOUS, CURRENT):
        on = last_working_day(year, month)
        people = set(Assignment.objects.filter(valid_on_q(on), is_primary=True).values_list("person_id", flat=True))
        forms = list(forms_of(year, month))
        assert sorted(f.person_id for f in forms) == sorted(people), (year, month)
    for year, month in PAST:
        for form in forms_of(year, month):
            assert form.status == Status.LOCKED
            assert form.published_at < form.locked_at < IN_WINDOW
            assert form.complaint_deadline < today
    previous = list(forms_of(*PREVIOUS))
    assert {f.status for f in previous} == {Status.PUBLISHED}
    assert all(f.locked_at is None and f.complaint_deadline >= today and f.published_at < IN_WINDOW for f in previous)
    assert {f.status for f in forms_of(*CURRENT)} == {Status.DRAFT}
    assert not EvaluationHistory.objects.filter(evaluation__period__month=CURRENT[1]).exists()
    # Realistic results: mostly the second band, some top grades, a few "not evaluated".
    decided = Counter(f.grade for f in previous if f.grade)
    assert decided["B"] + decided["HTT"] > 0.6 * sum(decided.values())
    assert decided["A"] + decided["HTXS"] > 0
    not_evaluated = Evaluation.objects.filter(not_evaluated_reason__gt="")
    assert not_evaluated.exists()
    for form in not_evaluated:
        assert form.final_total is None and form.grade == "" and form.decided_at is not None
        assert form.status in (Status.PUBLISHED, Status.LOCKED)
        # The annual classification counts maternity months from this flag.
        assert form.flags.get("maternity", False) == (form.not_evaluated_reason == "Nghỉ thai sản")


def test_each_step_has_its_history_row_in_order(history):
    rows = defaultdict(list)
    for row in EvaluationHistory.objects.order_by("at", "id"):
        rows[row.evaluation_id].append(row)
    forms = Evaluation.objects.exclude(status=Status.DRAFT)
    for form in forms:
        steps = rows[form.pk]
        actions = [r.action for r in steps]
        assert form.version == 1 + len(steps)
        assert steps[0].from_status == Status.DRAFT and steps[-1].to_status == form.status
        assert all(a.to_status == b.from_status for a, b in zip(steps, steps[1:])), actions
        assert all(r.at <= IN_WINDOW for r in steps)
        assert "publish" in actions and ("lock" in actions) == (form.status == Status.LOCKED)
        if form.not_evaluated_reason:
            assert actions[0] == "not_evaluated"
        else:
            assert "decide" in actions and form.decided_at is not None
            assert ("submit" in actions) == (not form.no_self_assessment)
            assert ("review" in actions) == (form.reviewed_by_id is not None)
    assert len(rows) == forms.count()


def test_totals_and_grades_are_the_scoring_engines(history):
    forms = Evaluation.objects.exclude(status=Status.DRAFT).filter(not_evaluated_reason="").select_related("framework")
    assert {f.framework.code for f in forms} == {"HN-3814-2018", "VN-ND335-2025"}
    for form in forms:
        result = _score(form, "final")
        assert (form.final_total, form.grade) == (result.total, result.grade), form.pk
        assert form.overrides == [list(o) for o in result.overrides]
        if form.self_points:
            assert (form.self_total, form.self_grade) == (_score(form, "self").total, _score(form, "self").grade)
        if form.review_points:
            assert form.review_total == _score(form, "review").total


def test_no_decision_unit_exceeds_its_quota(history):
    groups = defaultdict(list)
    for form in Evaluation.objects.exclude(status=Status.DRAFT).select_related("framework"):
        groups[form.period_id, form.decision_unit_id, form.framework].append(form)
    lowered = 0
    for (period_id, unit_id, framework), forms in groups.items():
        report = quota.check_quota_scopes(
            framework.spec.quota, [(f.similar_task_group, f.grade or None) for f in forms]
        )
        assert report.ok, (period_id, unit_id, framework.code)
        publication = UnitPublication.objects.get(period_id=period_id, unit_id=unit_id)
        assert publication.quota[framework.code]["ok"] is True
        assert publication.published_by_id in {f.decided_by_id for f in forms}
        lowered += sum(1 for f in forms if "tỷ lệ xếp loại" in "".join(f.history.values_list("comment", flat=True)))
    assert lowered > 0  # some heads had to lower a top grade


def test_reviewer_and_decider_follow_the_evaluation_chain(history):
    for year, month in (PAST[0], PREVIOUS):
        on = last_working_day(year, month)
        for form in forms_of(year, month):
            chain = access.evaluation_chain(form.person, on)
            assert form.decided_by == chain.decider, form.person
            if form.reviewed_by_id is not None:
                assert form.reviewed_by == chain.manager and not chain.review_skipped
            elif not form.no_self_assessment and not form.not_evaluated_reason:
                assert chain.review_skipped, form.person


def test_running_twice_creates_nothing(history):
    def counts():
        return (
            Period.objects.count(),
            Evaluation.objects.count(),
            EvaluationHistory.objects.count(),
            UnitPublication.objects.count(),
        )

    before = counts()
    with time_machine.travel(IN_WINDOW, tick=False):
        again = seed_history()
        assert seed_history("--if-empty").strip() == "Forms exist already: seed_demo_history --if-empty did nothing."
    assert counts() == before
    assert again.count("already has results, skipped") == 3
    assert "0 new draft forms" in again


@pytest.mark.django_db
def test_the_previous_month_is_locked_once_its_complaint_window_has_passed():
    with time_machine.travel(datetime(2026, 11, 25, 9, 0, tzinfo=HANOI), tick=False):
        call_command("seed_demo", size="small", verbosity=0)
        call_command("seed_demo_history", "--months", "1", verbosity=0)
        previous = forms_of(*PREVIOUS)
        assert {f.status for f in previous} == {Status.LOCKED}
        assert all(f.locked_at <= timezone.now() for f in previous)
        assert forms_of(*CURRENT).exists()


def test_previous_months_are_counted_back_from_today():
    assert demo_history.previous_months(date(2026, 2, 15), 3) == [(2025, 11), (2025, 12), (2026, 1)]
    assert demo_history.previous_months(date(2026, 2, 15), 0) == []
