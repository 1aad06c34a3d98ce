"""Quarterly ratings of heads (DOMAIN.md section 5): inputs, weights, who enters what, confirm, lock.

The helpers here (`rated_heads`, `settle`) are also used by the annual and page tests.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import pytest
import time_machine

from evaluation import ratings, services
from evaluation.models import Evaluation, Notification, Period, QuarterlyRating, RatingStatus, UnitQuarterResult
from evaluation.workflow import Status
from kpi.scoring import grade_for_total
from orgchart import services as org_services
from orgchart.models import Person
from tests.factories import LONG_AGO, make_person, make_unit, position

D = Decimal


@dataclass
class Heads:
    district: object
    office: object
    commune: object
    office_head: Person  # Trưởng phòng chuyên môn cấp huyện, sector-linked to Sở Tài chính
    district_head: Person  # decides the office head
    commune_head: Person  # Chủ tịch UBND xã, no sector link, decided by the city's chairman


def rated_heads(org) -> Heads:
    """A district with a specialised office (sector link STC → office) and a commune, each with a
    head in a `quarterly_rated` position."""
    district = make_unit("QHK", parent=org.city, kind="DISTRICT", name="Quận Hoàn Kiếm")
    office = make_unit("QHK-TCKH", parent=district, kind="OFFICE", name="Phòng Tài chính - Kế hoạch")
    commune = make_unit("XA-A", parent=org.city, kind="COMMUNE", name="Xã An Khánh")
    office_pos = position("HEAD", code="TP-CM", quarterly_rated=True)
    chair_pos = position("HEAD", code="CT-XA", quarterly_rated=True)

    def head(key, unit, pos, name):
        person = make_person(name, username=key)
        org_services.assignment_create(person=person, unit=unit, position=pos, valid_from=LONG_AGO, actor=None)
        org.people[key] = person
        return person

    office_head = head("tp_qhk", office, office_pos, "Phan Trưởng Phòng Quận")
    district_head = head("ct_qhk", district, position("HEAD"), "Lý Chủ Tịch Quận")
    commune_head = head("ct_xa", commune, chair_pos, "Mai Chủ Tịch Xã")
    org_services.sector_link_create(department=org.stc, office=office, valid_from=LONG_AGO, actor=None)
    return Heads(district, office, commune, office_head, district_head, commune_head)


def settle(person: Person, year: int, month: int, score, *, status=Status.LOCKED, flags=None, reason="") -> Evaluation:
    """Open the month if needed and give `person`'s form its final result (score None: not evaluated)."""
    period = Period.objects.filter(year=year, month=month).first() or services.period_open(year=year, month=month)[0]
    form = Evaluation.objects.get(period=period, person=person)
    total = None if score is None else D(str(score))
    Evaluation.objects.filter(pk=form.pk).update(
        status=status,
        final_total=total,
        grade="" if total is None else grade_for_total(form.framework.spec, total),
        flags=flags or {},
        not_evaluated_reason=reason if total is None else "",
    )
    return Evaluation.objects.get(pk=form.pk)


@pytest.fixture
def heads(org) -> Heads:
    return rated_heads(org)


def rating_of(person, year=2025, quarter=1) -> QuarterlyRating:
    return QuarterlyRating.objects.get(person=person, year=year, quarter=quarter)


def complete_q1(org, heads, months=(80, 90, 85)):
    for month, score in zip((1, 2, 3), months):
        settle(heads.office_head, 2025, month, score)
        settle(heads.commune_head, 2025, month, 85)
    ratings.unit_quarter_result_set(unit=heads.office, year=2025, quarter=1, score=70, actor=org.user("hr"))
    ratings.unit_quarter_result_set(unit=heads.commune, year=2025, quarter=1, score="70", actor=org.user("hr"))
    ratings.sector_assessment_set(
        person=heads.office_head, year=2025, quarter=1, score=90, comment="Tốt", actor=org.user("giamdoc")
    )


def test_missing_inputs_make_the_rating_provisional_and_are_listed(org, heads):
    settle(heads.office_head, 2025, 1, 80)
    settle(heads.office_head, 2025, 2, 90)
    settle(heads.office_head, 2025, 3, 85, status=Status.PUBLISHED)  # not locked yet: still missing
    counts = ratings.quarter_compute(year=2025, quarter=1)
    assert counts["created"] == 2
    office = rating_of(heads.office_head)
    assert office.status == RatingStatus.PROVISIONAL
    assert office.missing == ["month_3", "unit_result", "sector_assessment"]
    assert office.monthly_scores == ["80.00", "90.00", None]
    assert office.monthly_average == D("85.00") and office.total == D("85.00")  # the preview on the same scale
    commune = rating_of(heads.commune_head)
    assert commune.status == RatingStatus.PROVISIONAL and not commune.has_sector_link
    assert commune.missing == ["month_1", "month_2", "month_3", "unit_result"]
    assert commune.total is None and commune.grade == ""


def test_only_quarterly_rated_positions_get_a_rating(org, heads):
    ratings.quarter_compute(year=2025, quarter=1)
    assert set(QuarterlyRating.objects.values_list("person_id", flat=True)) == {
        heads.office_head.pk,
        heads.commune_head.pk,
    }
    rating = rating_of(heads.office_head)
    assert rating.decision_unit == heads.district and rating.unit == heads.office
    assert rating.framework.code == "HN-3814-2018"


def test_complete_inputs_use_the_framework_weights(org, heads):
    complete_q1(org, heads)
    office = rating_of(heads.office_head)
    # 0.6 × 85 + 0.2 × 70 + 0.2 × 90 = 83
    assert (office.status, office.total, office.grade, office.missing) == (RatingStatus.COMPUTED, D("83.00"), "B", [])
    assert office.sector_assessment == D("90.00") and office.unit_result == D("70.00")
    assert ratings.applied_weights(office) == {
        "monthly_average": D("0.6"),
        "unit_result": D("0.2"),
        "sector_assessment": D("0.2"),
    }
    commune = rating_of(heads.commune_head)
    # No sector link: 0.8 × 85 + 0.2 × 70 = 82
    assert (commune.status, commune.total, commune.grade) == (RatingStatus.COMPUTED, D("82.00"), "B")
    assert ratings.applied_weights(commune) == {
        "monthly_average": D("0.8"),
        "unit_result": D("0.2"),
        "sector_assessment": D("0"),
    }


def test_a_not_evaluated_month_is_left_out_of_the_average(org, heads):
    settle(heads.office_head, 2025, 1, 80)
    settle(heads.office_head, 2025, 2, 90)
    settle(heads.office_head, 2025, 3, None, reason="Nghỉ ốm dài ngày")
    ratings.unit_quarter_result_set(unit=heads.office, year=2025, quarter=1, score=70, actor=org.user("hr"))
    ratings.sector_assessment_set(person=heads.office_head, year=2025, quarter=1, score=90, actor=org.user("giamdoc"))
    office = rating_of(heads.office_head)
    assert office.status == RatingStatus.COMPUTED and office.monthly_average == D("85.00")
    assert office.monthly_scores == ["80.00", "90.00", None] and office.missing == []


def test_only_hr_officers_enter_unit_results(org, heads):
    for persona in ("giamdoc", "auditor", "ct_qhk", "tp_qhk"):
        with pytest.raises(services.NotAllowed):
            ratings.unit_quarter_result_set(unit=heads.office, year=2025, quarter=1, score=70, actor=org.user(persona))
    with pytest.raises(services.InvalidInput):
        ratings.unit_quarter_result_set(unit=heads.office, year=2025, quarter=1, score=101, actor=org.user("hr"))
    with pytest.raises(services.InvalidInput):
        ratings.unit_quarter_result_set(unit=heads.office, year=2025, quarter=5, score=70, actor=org.user("hr"))
    assert not UnitQuarterResult.objects.exists()
    ratings.unit_quarter_result_set(unit=heads.office, year=2025, quarter=1, score=70, actor=org.user("hr"))
    assert rating_of(heads.office_head).unit_result == D("70.00")  # the write recomputed the rating


def test_only_the_head_of_the_linked_department_gives_the_sector_assessment(org, heads):
    for persona in ("giamdoc_syt", "hr", "phogiamdoc", "ct_qhk", "tp_qhk"):
        with pytest.raises(services.NotAllowed):
            ratings.sector_assessment_set(
                person=heads.office_head, year=2025, quarter=1, score=90, actor=org.user(persona)
            )
    with pytest.raises(services.InvalidInput):  # no sector link for the commune
        ratings.sector_assessment_set(
            person=heads.commune_head, year=2025, quarter=1, score=90, actor=org.user("giamdoc")
        )
    with pytest.raises(services.InvalidInput):  # not a rated head
        ratings.sector_assessment_set(
            person=org.people["nhanvien"], year=2025, quarter=1, score=90, actor=org.user("giamdoc")
        )
    assessment = ratings.sector_assessment_set(
        person=heads.office_head, year=2025, quarter=1, score="88.5", comment="Khá", actor=org.user("giamdoc")
    )
    assert assessment.department == org.stc and assessment.assessed_by == org.people["giamdoc"]
    assert rating_of(heads.office_head).sector_assessment == D("88.50")


def test_confirm_by_the_decider_only_and_never_while_provisional(org, heads):
    ratings.quarter_compute(year=2025, quarter=1)
    provisional = rating_of(heads.office_head)
    with pytest.raises(services.Conflict):
        ratings.quarterly_rating_confirm(
            rating=provisional, expected_version=provisional.version, actor=org.user("ct_qhk")
        )
    complete_q1(org, heads)
    rating = rating_of(heads.office_head)
    for persona in ("tp_qhk", "giamdoc", "hr", "chutich"):
        with pytest.raises(services.NotAllowed):
            ratings.quarterly_rating_confirm(rating=rating, expected_version=rating.version, actor=org.user(persona))
    with pytest.raises(services.StaleForm):
        ratings.quarterly_rating_confirm(rating=rating, expected_version=rating.version - 1, actor=org.user("ct_qhk"))
    rating = ratings.quarterly_rating_confirm(rating=rating, expected_version=rating.version, actor=org.user("ct_qhk"))
    assert rating.status == RatingStatus.CONFIRMED and rating.confirmed_by == heads.district_head
    assert Notification.objects.filter(user=heads.office_head.user, key=f"quarter-{rating.pk}-confirmed").exists()
    commune = rating_of(heads.commune_head)
    ratings.quarterly_rating_confirm(rating=commune, expected_version=commune.version, actor=org.user("chutich"))


def test_recompute_is_idempotent_and_never_touches_a_confirmed_rating(org, heads):
    complete_q1(org, heads)
    before = {r.pk: (r.version, r.total) for r in QuarterlyRating.objects.all()}
    counts = ratings.quarter_compute(year=2025, quarter=1)
    assert counts == {"created": 0, "updated": 0, "unchanged": 2, "frozen": 0, "removed": 0}
    assert {r.pk: (r.version, r.total) for r in QuarterlyRating.objects.all()} == before
    rating = rating_of(heads.office_head)
    rating = ratings.quarterly_rating_confirm(rating=rating, expected_version=rating.version, actor=org.user("ct_qhk"))
    with pytest.raises(services.Conflict):
        ratings.unit_quarter_result_set(unit=heads.office, year=2025, quarter=1, score=10, actor=org.user("hr"))
    UnitQuarterResult.objects.filter(unit=heads.office).update(score=10)  # behind the services' back
    UnitQuarterResult.objects.filter(unit=heads.commune).update(score=10)
    counts = ratings.quarter_compute(year=2025, quarter=1)
    assert counts["frozen"] == 1 and counts["updated"] == 1
    again = rating_of(heads.office_head)
    assert (again.version, again.total, again.unit_result) == (rating.version, D("83.00"), D("70.00"))
    assert rating_of(heads.commune_head).unit_result == D("10.00")


def test_a_confirmed_rating_locks_after_the_complaint_window(org, heads):
    complete_q1(org, heads)
    rating = rating_of(heads.office_head)
    with time_machine.travel(date(2025, 4, 7), tick=False):  # a Monday
        ratings.quarterly_rating_confirm(rating=rating, expected_version=rating.version, actor=org.user("ct_qhk"))
    assert ratings.quarterly_rating_lock_due(today=date(2025, 4, 14)) == 0  # window ends Monday 14/4
    assert ratings.quarterly_rating_lock_due(today=date(2025, 4, 15)) == 1
    assert rating_of(heads.office_head).status == RatingStatus.LOCKED
    assert ratings.quarterly_rating_lock_due(today=date(2025, 4, 16)) == 0
