"""Publication, acknowledgement, complaints (a revision keeps both versions) and the lock."""

from __future__ import annotations

from datetime import date

import pytest
import time_machine

from evaluation import selectors, services
from evaluation.models import Complaint, Evaluation
from evaluation.workflow import Status
from tests.evaluation.conftest import form_of, staff_points


def _decide_and_publish(org, period, unit, decider: str, *, skip: tuple[str, ...] = ()):
    """Decide (as `decider`) every form `unit` decides, but those of `skip`, and publish the month."""
    forms = Evaluation.objects.filter(period=period, decision_unit=unit).exclude(
        person__in=[org.people[key] for key in skip]
    )
    for form in forms:
        points = staff_points(60)
        if form.variant == "LEADER":
            points = {**{c: v for c, v in points.items() if not c.startswith("NV")}, "LD1": 30, "LD2": 20, "LD3": 10}
        services.evaluation_decide(
            evaluation=form, expected_version=form.version, points=points, actor=org.user(decider)
        )
    return services.unit_period_publish(unit=unit, period=period, actor=org.user(decider))


def _publish_stc(org, period):
    return _decide_and_publish(org, period, org.stc, "giamdoc")


@pytest.fixture
def published(org, period_2025):
    with time_machine.travel(date(2025, 12, 8), tick=False):  # Monday after the decisions (7/12)
        publication = _publish_stc(org, period_2025)
    return publication


def test_publication_sets_the_complaint_window_in_working_days(org, published):
    # 8/12/2025 is a Monday: five working days later is Monday 15/12.
    assert published.complaint_deadline == date(2025, 12, 15)
    assert form_of(org, "nhanvien", published.period).complaint_deadline == date(2025, 12, 15)


def test_colleagues_see_the_published_results_of_their_unit(org, published):
    colleague = org.user("nhanvien2")
    visible = selectors.evaluations_visible_to(colleague, period=published.period)
    assert form_of(org, "nhanvien", published.period) in visible


def test_acknowledge_once(org, published):
    form = form_of(org, "nhanvien", published.period)
    form = services.evaluation_acknowledge(evaluation=form, expected_version=form.version, actor=org.user("nhanvien"))
    assert form.acknowledged_at is not None
    assert form.history.filter(action="acknowledge").count() == 1


def test_complaint_goes_to_the_level_above_the_decider_and_a_revision_keeps_both(org, published):
    form = form_of(org, "nhanvien", published.period)
    with time_machine.travel(date(2025, 12, 10), tick=False):
        complaint = services.complaint_file(
            evaluation=form,
            expected_version=form.version,
            reason="Khối lượng công việc chưa được tính đủ",
            actor=org.user("nhanvien"),
        )
    assert complaint.handler == org.people["chutich"]  # decider is giamdoc; above him the city chairman
    with pytest.raises(services.NotAllowed):
        services.complaint_resolve(
            complaint=complaint, outcome="revised", resolution="x", points=staff_points(70), actor=org.user("giamdoc")
        )
    complaint = services.complaint_resolve(
        complaint=complaint,
        outcome="revised",
        resolution="Chấp nhận kiến nghị",
        points=staff_points(68),
        actor=org.user("chutich"),
    )
    revision = complaint.revision
    assert revision.revision == 2 and revision.supersedes_id == form.pk and revision.status == Status.LOCKED
    assert str(revision.final_total) == "88.00"
    form.refresh_from_db()
    assert form.final_total is not None and str(form.final_total) == "80.00"  # the old result stays as it was
    current = selectors.current_forms(period=published.period).get(person=org.people["nhanvien"])
    assert current.pk == revision.pk
    assert Evaluation.objects.filter(period=published.period, person=org.people["nhanvien"]).count() == 2


def test_complaint_after_the_window_is_refused(org, published):
    form = form_of(org, "nhanvien", published.period)
    with time_machine.travel(date(2025, 12, 16), tick=False), pytest.raises(services.Conflict):
        services.complaint_file(
            evaluation=form, expected_version=form.version, reason="Muộn", actor=org.user("nhanvien")
        )


def test_upheld_complaint_changes_nothing(org, published):
    form = form_of(org, "nhanvien2", published.period)
    with time_machine.travel(date(2025, 12, 9), tick=False):
        complaint = services.complaint_file(
            evaluation=form, expected_version=form.version, reason="Xem xét lại", actor=org.user("nhanvien2")
        )
    complaint = services.complaint_resolve(
        complaint=complaint, outcome="upheld", resolution="Giữ nguyên", actor=org.user("chutich")
    )
    assert complaint.outcome == Complaint.Outcome.UPHELD and complaint.revision is None
    assert selectors.current_forms(period=published.period).get(person=org.people["nhanvien2"]).pk == form.pk


def test_lock_after_the_window_except_open_complaints(org, published):
    form = form_of(org, "nhanvien", published.period)
    with time_machine.travel(date(2025, 12, 9), tick=False):
        services.complaint_file(
            evaluation=form, expected_version=form.version, reason="Kiến nghị", actor=org.user("nhanvien")
        )
    assert services.period_lock_due(today=date(2025, 12, 15)) == 0  # window still open that day
    locked = services.period_lock_due(today=date(2025, 12, 16))
    assert locked == Evaluation.objects.filter(decision_unit=org.stc).count() - 1
    form.refresh_from_db()
    assert form.status == Status.PUBLISHED  # its complaint is open
    assert services.period_lock_due(today=date(2025, 12, 17)) == 0  # idempotent
    other = form_of(org, "nhanvien2", published.period)
    with pytest.raises(services.WorkflowError):
        services.evaluation_decide(
            evaluation=other, expected_version=other.version, points=staff_points(70), actor=org.user("giamdoc")
        )


def test_a_superseded_revision_takes_no_more_steps(org, published):
    form = form_of(org, "nhanvien", published.period)
    with time_machine.travel(date(2025, 12, 10), tick=False):
        complaint = services.complaint_file(
            evaluation=form, expected_version=form.version, reason="Kiến nghị", actor=org.user("nhanvien")
        )
    services.complaint_resolve(
        complaint=complaint, outcome="revised", resolution="Sửa", points=staff_points(68), actor=org.user("chutich")
    )
    form.refresh_from_db()
    with pytest.raises(services.Conflict):
        services.evaluation_acknowledge(evaluation=form, expected_version=form.version, actor=org.user("nhanvien"))


def _publish_city(org, period):
    """The city chairman decides the heads of departments; his own form has nobody above him."""
    return _decide_and_publish(org, period, org.city, "chutich", skip=("chutich",))


def test_at_the_top_of_the_tree_the_decider_handles_the_complaint_and_the_form_can_lock(org, period_2025):
    with time_machine.travel(date(2025, 12, 8), tick=False):
        _publish_city(org, period_2025)
    # The chairman's own form has nobody above him in the system: it is not part of the publication.
    assert form_of(org, "chutich", period_2025).status == Status.DRAFT
    form = form_of(org, "giamdoc", period_2025)
    assert form.decided_by == org.people["chutich"] and form.status == Status.PUBLISHED
    with time_machine.travel(date(2025, 12, 9), tick=False):
        complaint = services.complaint_file(
            evaluation=form, expected_version=form.version, reason="Xem xét lại", actor=org.user("giamdoc")
        )
    assert complaint.handler == org.people["chutich"]
    services.complaint_resolve(
        complaint=complaint, outcome="upheld", resolution="Giữ nguyên", actor=org.user("chutich")
    )
    services.period_lock_due(today=date(2025, 12, 16))
    form.refresh_from_db()
    assert form.status == Status.LOCKED


def test_a_complaint_is_handled_once_even_from_two_tabs(org, published):
    form = form_of(org, "nhanvien", published.period)
    with time_machine.travel(date(2025, 12, 10), tick=False):
        complaint = services.complaint_file(
            evaluation=form, expected_version=form.version, reason="Kiến nghị", actor=org.user("nhanvien")
        )
    stale = Complaint.objects.get(pk=complaint.pk)  # the second tab loaded it while it was open
    services.complaint_resolve(complaint=complaint, outcome="upheld", resolution="Giữ", actor=org.user("chutich"))
    with pytest.raises(services.Conflict):
        services.complaint_resolve(
            complaint=stale, outcome="revised", resolution="Sửa", points=staff_points(68), actor=org.user("chutich")
        )
    assert Evaluation.objects.filter(period=published.period, person=org.people["nhanvien"]).count() == 1
    assert form.history.filter(action="uphold").count() == 1
