"""Annual classification (DOMAIN.md section 6): overrides, transfers, quota at publication, idempotence."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
import time_machine

from evaluation import ratings, services
from evaluation.models import AnnualClassification, RatingStatus
from evaluation.workflow import Status
from orgchart import services as org_services
from orgchart.models import Person
from tests.evaluation.test_quarterly import settle
from tests.factories import position

D = Decimal
STC_PEOPLE = ("phogiamdoc", "truongphong", "nhanvien", "nhanvien2", "truongphong_kh", "nhanvien_kh")


def give_year(person, scores, *, status=Status.LOCKED, flags=None, reason="Nghỉ không lương"):
    """Months 1.. with the given scores; None = not evaluated that month, "-" = month left undecided."""
    for month, score in enumerate(scores, start=1):
        if score == "-":
            continue
        settle(person, 2025, month, score, status=status, flags=(flags or {}).get(month), reason=reason)


def row(org, key) -> AnnualClassification:
    return AnnualClassification.objects.get(person=org.people[key], year=2025)


def reason_ids(classification) -> list[str]:
    return [rid for rid, _ in classification.reasons]


def test_average_counts_and_level(org):
    give_year(org.people["nhanvien"], [80] * 6 + [95] * 6)
    result = ratings.annual_compute(year=2025)
    assert (result.created, result.people) == (1, 1)
    nv = row(org, "nhanvien")
    assert (nv.months_evaluated, nv.average, nv.computed_level) == (12, D("87.50"), "HTT")
    assert nv.counts_per_grade == {"A": 6, "B": 6, "C": 0, "D": 0}
    assert (nv.unit, nv.decision_unit, nv.framework.code) == (org.stc_th, org.stc, "HN-3814-2018")
    assert nv.status == RatingStatus.COMPUTED and reason_ids(nv) == ["average"]


def test_overrides_fewer_than_six_months_maternity_off_work_and_discipline(org):
    give_year(org.people["nhanvien2"], [95] * 5 + [None] * 7)
    maternity = {m: {"maternity": True} for m in range(5, 13)}
    give_year(org.people["nhanvien_kh"], [92] * 4 + [None] * 8, flags=maternity, reason="Nghỉ thai sản")
    give_year(org.people["phogiamdoc"], [95] * 8 + [None] * 4)
    give_year(org.people["truongphong"], [95] * 12, flags={5: {"disciplined_in_period": True}})
    ratings.annual_compute(year=2025)

    short = row(org, "nhanvien2")
    assert short.computed_level == "NOT_CLASSIFIED" and reason_ids(short) == ["average", "worked_under_min_months"]
    mother = row(org, "nhanvien_kh")
    assert mother.computed_level == "HTXS" and reason_ids(mother) == ["average", "maternity_exception"]
    off = row(org, "phogiamdoc")  # off work 4 months: at most HT
    assert off.computed_level == "HT" and reason_ids(off) == ["average", "off_work_cap"]
    disciplined = row(org, "truongphong")
    assert disciplined.computed_level == "KHT" and reason_ids(disciplined) == ["average", "disciplined"]


def test_a_transfer_keeps_all_months_and_classifies_by_the_unit_on_the_classification_date(org):
    nv = org.people["nhanvien"]
    org_services.person_transfer(person=nv, unit=org.syt, position=position("STAFF"), on=date(2025, 7, 1), actor=None)
    give_year(nv, [80] * 6 + [90] * 6)
    assert set(nv.evaluations.values_list("unit__code", flat=True)) == {"STC-TH", "SYT"}
    ratings.annual_compute(year=2025)
    moved = row(org, "nhanvien")
    assert (moved.unit, moved.decision_unit, moved.months_evaluated, moved.average) == (
        org.syt,
        org.syt,
        12,
        D("85.00"),
    )
    # Classified on 30 June instead, the same months count for the old unit.
    AnnualClassification.objects.all().delete()
    ratings.annual_compute(year=2025, on=date(2025, 6, 30))
    assert (row(org, "nhanvien").unit, row(org, "nhanvien").months_evaluated) == (org.stc_th, 12)


def test_only_published_or_locked_months_count(org):
    nv = org.people["nhanvien"]
    give_year(nv, [80] * 10)
    settle(nv, 2025, 11, 95, status=Status.DECIDED)  # decided, not published yet
    ratings.annual_compute(year=2025)
    assert row(org, "nhanvien").months_evaluated == 10
    assert not AnnualClassification.objects.filter(person=org.people["nhanvien2"]).exists()  # only drafts


def _decide_all(org, keys=STC_PEOPLE):
    for key in keys:
        c = row(org, key)
        ratings.annual_decide(
            classification=c, level=c.computed_level, expected_version=c.version, actor=org.user("giamdoc")
        )


def _stc_year(org, top: tuple[str, ...]):
    for key in STC_PEOPLE:
        give_year(org.people[key], [95 if key in top else 80] * 12)
    ratings.annual_compute(year=2025)


def test_publish_is_refused_while_a_result_is_undecided(org):
    _stc_year(org, top=("nhanvien",))
    _decide_all(org, STC_PEOPLE[:-1])
    with pytest.raises(services.Conflict) as exc:
        ratings.annual_publish(unit=org.stc, year=2025, actor=org.user("giamdoc"))
    assert "Bùi Văn Kế" in exc.value.message


def test_quota_at_publication_htxs_at_most_20_percent_of_htt(org):
    _stc_year(org, top=("nhanvien", "nhanvien2"))  # 2 HTXS, 4 HTT: floor(0.2 × 4) = 0 allowed
    _decide_all(org)
    with pytest.raises(services.QuotaExceeded) as exc:
        ratings.annual_publish(unit=org.stc, year=2025, actor=org.user("giamdoc"))
    assert "Nguyễn Thị Nhân Viên" in exc.value.message
    assert exc.value.details["unit"] == {"allowed": 0, "count": 2, "base": 4, "ok": False}
    assert row(org, "nhanvien").status == RatingStatus.CONFIRMED  # nothing published


def test_quota_per_similar_task_group(org):
    Person.objects.filter(pk__in=[org.people["nhanvien"].pk, org.people["nhanvien2"].pk]).update(
        similar_task_group="Kế toán"
    )
    _stc_year(org, top=("nhanvien",))  # unit: 1 HTXS for 5 HTT is fine; the group: 1 HTXS for 1 HTT is not
    _decide_all(org)
    with pytest.raises(services.QuotaExceeded) as exc:
        ratings.annual_publish(unit=org.stc, year=2025, actor=org.user("giamdoc"))
    assert exc.value.details["unit"]["ok"] and not exc.value.details["groups"]["Kế toán"]["ok"]
    # Lowered with a note, the year publishes.
    c = row(org, "nhanvien")
    ratings.annual_decide(
        classification=c, level="HTT", note="Theo tỷ lệ nhóm", expected_version=c.version, actor=org.user("giamdoc")
    )
    with time_machine.travel(date(2025, 12, 8), tick=False):  # a Monday
        assert ratings.annual_publish(unit=org.stc, year=2025, actor=org.user("giamdoc")) == 6
    published = row(org, "nhanvien")
    assert published.status == RatingStatus.PUBLISHED and published.complaint_deadline == date(2025, 12, 15)
    with pytest.raises(services.Conflict):
        ratings.annual_publish(unit=org.stc, year=2025, actor=org.user("giamdoc"))
    assert ratings.annual_lock_due(today=date(2025, 12, 15)) == 0
    assert ratings.annual_lock_due(today=date(2025, 12, 16)) == 6
    assert row(org, "nhanvien").status == RatingStatus.LOCKED


def test_publish_within_the_quota(org):
    _stc_year(org, top=("nhanvien",))  # 1 HTXS, 5 HTT: floor(0.2 × 5) = 1
    _decide_all(org)
    with pytest.raises(services.NotAllowed):
        ratings.annual_publish(unit=org.stc, year=2025, actor=org.user("truongphong"))
    assert ratings.annual_publish(unit=org.stc, year=2025, actor=org.user("giamdoc")) == 6


def test_decide_rules(org):
    _stc_year(org, top=())
    c = row(org, "nhanvien")
    for persona in ("nhanvien", "truongphong", "hr", "giamdoc_syt"):
        with pytest.raises(services.NotAllowed):
            ratings.annual_decide(classification=c, level="HTT", expected_version=c.version, actor=org.user(persona))
    with pytest.raises(services.InvalidInput) as exc:
        ratings.annual_decide(classification=c, level="HTXS", expected_version=c.version, actor=org.user("giamdoc"))
    assert exc.value.field == "note"
    with pytest.raises(services.InvalidInput):
        ratings.annual_decide(classification=c, level="A", expected_version=c.version, actor=org.user("giamdoc"))
    with pytest.raises(services.StaleForm):
        ratings.annual_decide(classification=c, level="HTT", expected_version=c.version + 1, actor=org.user("giamdoc"))
    c = ratings.annual_decide(classification=c, level="HTT", expected_version=c.version, actor=org.user("giamdoc"))
    assert (c.status, c.decided_level, c.decided_by) == (RatingStatus.CONFIRMED, "HTT", org.people["giamdoc"])


def test_the_person_proposes_their_own_level_before_the_decision(org):
    _stc_year(org, top=())
    c = row(org, "nhanvien")
    with pytest.raises(services.NotAllowed):
        ratings.annual_propose(classification=c, level="HTXS", actor=org.user("nhanvien2"))
    with pytest.raises(services.InvalidInput):
        ratings.annual_propose(classification=c, level="NOT_CLASSIFIED", actor=org.user("nhanvien"))
    c = ratings.annual_propose(classification=c, level="HTXS", actor=org.user("nhanvien"))
    assert c.proposed_level == "HTXS"
    ratings.annual_compute(year=2025)
    assert row(org, "nhanvien").proposed_level == "HTXS"  # a recompute keeps the proposal
    c = row(org, "nhanvien")
    ratings.annual_decide(classification=c, level="HTT", expected_version=c.version, actor=org.user("giamdoc"))
    with pytest.raises(services.Conflict):
        ratings.annual_propose(classification=row(org, "nhanvien"), level="HT", actor=org.user("nhanvien"))


def test_recompute_is_idempotent_and_never_touches_decided_or_published_rows(org):
    for key in ("nhanvien", "nhanvien2", "nhanvien_kh"):
        give_year(org.people[key], [80] * 11, status=Status.PUBLISHED)
    first = ratings.annual_compute(year=2025)
    assert first.created == 3
    versions = dict(AnnualClassification.objects.values_list("pk", "version"))
    again = ratings.annual_compute(year=2025)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 3)
    assert dict(AnnualClassification.objects.values_list("pk", "version")) == versions

    decided = row(org, "nhanvien")
    ratings.annual_decide(
        classification=decided, level="HTT", expected_version=decided.version, actor=org.user("giamdoc")
    )
    AnnualClassification.objects.filter(pk=row(org, "nhanvien_kh").pk).update(status=RatingStatus.PUBLISHED)
    for key in ("nhanvien", "nhanvien2", "nhanvien_kh"):
        settle(org.people[key], 2025, 12, 100)
    result = ratings.annual_compute(year=2025)
    assert (result.updated, result.frozen) == (1, 2)
    assert row(org, "nhanvien").months_evaluated == 11 and row(org, "nhanvien").decided_level == "HTT"
    assert row(org, "nhanvien_kh").months_evaluated == 11
    assert row(org, "nhanvien2").months_evaluated == 12 and row(org, "nhanvien2").average == D("81.67")
