"""The monthly cycle through the services: open, self-assess, review, decide, publish."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
import time_machine

from evaluation import services
from evaluation.models import Evaluation, EvaluationHistory, Period
from evaluation.workflow import Status
from tests.evaluation.conftest import LEADER_FULL, form_of, staff_points


def test_opening_creates_one_snapshotted_form_per_primary_assignment(org, period_2025):
    forms = Evaluation.objects.filter(period=period_2025)
    assert forms.count() == len(org.people)
    nv = form_of(org, "nhanvien", period_2025)
    assert (nv.unit_code, nv.unit_name, nv.position_title) == ("STC-TH", "Phòng Tổng hợp", "Chuyên viên")
    assert nv.decision_unit == org.stc and nv.variant == "STAFF" and nv.framework.code == "HN-3814-2018"
    head = form_of(org, "giamdoc", period_2025)
    assert head.variant == "LEADER" and head.decision_unit == org.city
    assert (period_2025.self_due, period_2025.review_due, period_2025.decide_due) == (
        date(2025, 12, 3),
        date(2025, 12, 5),
        date(2025, 12, 7),
    )


def test_opening_twice_creates_nothing_twice(org, period_2025):
    period, created = services.period_open(year=2025, month=11)
    assert period == period_2025 and created == 0
    assert Period.objects.count() == 1 and Evaluation.objects.count() == len(org.people)


def test_civil_servants_use_nd335_from_2026(org):
    period, _ = services.period_open(year=2026, month=1)
    assert form_of(org, "nhanvien", period).framework.code == "VN-ND335-2025"


def test_snapshot_survives_a_later_rename(org, period_2025):
    from orgchart import services as org_services

    org_services.unit_update(unit=org.stc_th, name="Phòng Tổng hợp - Pháp chế", actor=None)
    assert form_of(org, "nhanvien", period_2025).unit_name == "Phòng Tổng hợp"


def test_full_chain_staff_manager_head(org, period_2025):
    form = form_of(org, "nhanvien", period_2025)
    form = services.evaluation_save_self(
        evaluation=form,
        expected_version=form.version,
        points=staff_points(60),
        note="Hoàn thành",
        actor=org.user("nhanvien"),
    )
    assert form.self_total == Decimal("80.00") and form.self_grade == "B"
    form = services.evaluation_submit(evaluation=form, expected_version=form.version, actor=org.user("nhanvien"))
    assert form.status == Status.SUBMITTED
    form = services.evaluation_review(
        evaluation=form,
        expected_version=form.version,
        points=staff_points(65),
        comment="Khối lượng vượt",
        actor=org.user("truongphong"),
    )
    assert form.status == Status.REVIEWED and form.review_total == Decimal("85.00")
    form = services.evaluation_decide(evaluation=form, expected_version=form.version, actor=org.user("giamdoc"))
    assert form.status == Status.DECIDED and form.grade == "B" and form.final_total == Decimal("85.00")
    actions = list(form.history.values_list("action", "from_status", "to_status"))
    assert actions == [
        ("save", "draft", "draft"),
        ("submit", "draft", "submitted"),
        ("review", "submitted", "reviewed"),
        ("decide", "reviewed", "decided"),
    ]
    review = form.history.get(action="review")
    assert review.changes["NV3"]["comment"] == "Khối lượng vượt"


def test_wrong_people_cannot_take_steps(org, period_2025):
    form = form_of(org, "nhanvien", period_2025)
    with pytest.raises(services.NotAllowed):
        services.evaluation_save_self(evaluation=form, expected_version=1, points={}, actor=org.user("nhanvien2"))
    with pytest.raises(services.NotAllowed):
        services.evaluation_decide(evaluation=form, expected_version=1, points=staff_points(), actor=org.user("hr"))
    own = form_of(org, "truongphong", period_2025)
    with pytest.raises(services.NotAllowed):
        services.evaluation_decide(
            evaluation=own, expected_version=1, points=LEADER_FULL, actor=org.user("truongphong")
        )


def test_review_changes_need_a_comment(org, period_2025):
    form = form_of(org, "nhanvien", period_2025)
    form = services.evaluation_save_self(
        evaluation=form, expected_version=1, points=staff_points(60), actor=org.user("nhanvien")
    )
    form = services.evaluation_submit(evaluation=form, expected_version=form.version, actor=org.user("nhanvien"))
    with pytest.raises(services.InvalidInput) as exc:
        services.evaluation_review(
            evaluation=form, expected_version=form.version, points=staff_points(50), actor=org.user("truongphong")
        )
    assert exc.value.field == "comment"


def test_bad_points_name_the_criterion(org, period_2025):
    form = form_of(org, "nhanvien", period_2025)
    with pytest.raises(services.InvalidInput) as exc:
        services.evaluation_save_self(
            evaluation=form, expected_version=1, points={"NV1": 31}, actor=org.user("nhanvien")
        )
    assert exc.value.field == "NV1"
    assert form_of(org, "nhanvien", period_2025).version == 1  # nothing written


def test_stale_version_is_refused_and_writes_no_history(org, period_2025):
    form = form_of(org, "nhanvien", period_2025)
    services.evaluation_save_self(
        evaluation=form, expected_version=1, points=staff_points(60), actor=org.user("nhanvien")
    )
    stale = form_of(org, "nhanvien", period_2025)
    stale.version = 1
    with pytest.raises(services.StaleForm):
        services.evaluation_submit(evaluation=stale, expected_version=1, actor=org.user("nhanvien"))
    assert EvaluationHistory.objects.filter(evaluation=form).count() == 1


def test_decide_without_self_assessment_is_recorded(org, period_2025):
    form = form_of(org, "nhanvien2", period_2025)
    form = services.evaluation_decide(
        evaluation=form,
        expected_version=1,
        points=staff_points(55),
        comment="Không tự đánh giá",
        actor=org.user("giamdoc"),
    )
    assert form.status == Status.DECIDED and form.no_self_assessment


def test_not_evaluated_is_not_a_zero(org, period_2025):
    form = form_of(org, "nhanvien2", period_2025)
    with pytest.raises(services.InvalidInput):
        services.evaluation_mark_not_evaluated(
            evaluation=form, expected_version=1, reason=" ", actor=org.user("giamdoc")
        )
    form = services.evaluation_mark_not_evaluated(
        evaluation=form, expected_version=1, reason="Nghỉ thai sản", actor=org.user("giamdoc")
    )
    assert form.status == Status.NOT_EVALUATED and form.final_total is None and form.grade == ""


def test_return_needs_a_reason_and_reopens_the_form(org, period_2025):
    form = form_of(org, "nhanvien", period_2025)
    form = services.evaluation_save_self(
        evaluation=form, expected_version=1, points=staff_points(60), actor=org.user("nhanvien")
    )
    form = services.evaluation_submit(evaluation=form, expected_version=form.version, actor=org.user("nhanvien"))
    with pytest.raises(services.InvalidInput):
        services.evaluation_return(
            evaluation=form, expected_version=form.version, reason="", actor=org.user("truongphong")
        )
    form = services.evaluation_return(
        evaluation=form, expected_version=form.version, reason="Bổ sung minh chứng", actor=org.user("truongphong")
    )
    assert form.status == Status.RETURNED
    form = services.evaluation_save_self(
        evaluation=form, expected_version=form.version, points=staff_points(62), actor=org.user("nhanvien")
    )
    assert form.status == Status.RETURNED


def _decide_all_stc(org, period, grades: dict[str, int]):
    """Decide every STC form (decision unit STC) with the given duty points (default 60 → B)."""
    for form in Evaluation.objects.filter(period=period, decision_unit=org.stc):
        key = next(k for k, p in org.people.items() if p.pk == form.person_id)
        points = staff_points(grades.get(key, 60), bonus=10 if key in grades else 0)
        if form.variant == "LEADER":
            points = {
                **{c: v for c, v in points.items() if not c.startswith("NV")},
                "LD1": 30,
                "LD2": 20,
                "LD3": min(20, grades.get(key, 60) - 50),
            }
        services.evaluation_decide(
            evaluation=form, expected_version=form.version, points=points, actor=org.user("giamdoc")
        )


def test_decide_refuses_an_A_that_is_certain_to_exceed_the_quota(org, period_2025):
    # STC decides 6 forms (phogiamdoc, truongphong, nhanvien, nhanvien2, truongphong_kh, nhanvien_kh):
    # 30% of 6 = 1 (floor), the exception (40%) allows 2.
    _decide_all_stc(org, period_2025, {"nhanvien": 70, "nhanvien2": 70})
    third = form_of(org, "nhanvien_kh", period_2025)
    with pytest.raises(services.QuotaExceeded):
        services.evaluation_decide(
            evaluation=third, expected_version=third.version, points=staff_points(70, 10), actor=org.user("giamdoc")
        )


def test_publish_refused_while_pending_then_needs_justification_over_30_percent(org, period_2025):
    form = form_of(org, "nhanvien", period_2025)
    services.evaluation_decide(
        evaluation=form, expected_version=1, points=staff_points(70, 10), actor=org.user("giamdoc")
    )
    with pytest.raises(services.Conflict) as exc:
        services.unit_period_publish(unit=org.stc, period=period_2025, actor=org.user("giamdoc"))
    assert "Vũ Văn Hai" in exc.value.message
    _decide_all_stc(org, period_2025, {"nhanvien": 70, "nhanvien2": 70})
    with pytest.raises(services.QuotaExceeded) as exc:
        services.unit_period_publish(unit=org.stc, period=period_2025, actor=org.user("giamdoc"))
    assert exc.value.field == "exception_reason"
    publication = services.unit_period_publish(
        unit=org.stc,
        period=period_2025,
        actor=org.user("giamdoc"),
        exception_reason="Đơn vị hoàn thành xuất sắc nhiệm vụ đột xuất",
    )
    assert publication.quota["HN-3814-2018"]["unit"] == {"allowed": 2, "count": 2, "base": 6, "ok": True}
    statuses = set(
        Evaluation.objects.filter(period=period_2025, decision_unit=org.stc).values_list("status", flat=True)
    )
    assert statuses == {Status.PUBLISHED}


def test_only_the_decider_publishes(org, period_2025):
    _decide_all_stc(org, period_2025, {})
    with pytest.raises(services.NotAllowed):
        services.unit_period_publish(unit=org.stc, period=period_2025, actor=org.user("truongphong"))


def test_a_returned_form_reviewed_without_resubmission_still_had_a_self_assessment(org, period_2025):
    form = form_of(org, "nhanvien", period_2025)
    form = services.evaluation_save_self(
        evaluation=form, expected_version=1, points=staff_points(60), actor=org.user("nhanvien")
    )
    form = services.evaluation_submit(evaluation=form, expected_version=form.version, actor=org.user("nhanvien"))
    form = services.evaluation_return(
        evaluation=form, expected_version=form.version, reason="Bổ sung", actor=org.user("truongphong")
    )
    with time_machine.travel(date(2025, 12, 4), tick=False):  # after the self-assessment deadline
        form = services.evaluation_review(
            evaluation=form,
            expected_version=form.version,
            points=staff_points(60),
            comment="",
            actor=org.user("truongphong"),
        )
    assert form.status == Status.REVIEWED and form.no_self_assessment is False
