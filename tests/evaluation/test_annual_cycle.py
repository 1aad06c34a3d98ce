"""The annual result after the decision: publication record, complaints, lock, recompute scope."""

from __future__ import annotations

from datetime import date

import pytest
import time_machine
from django.urls import reverse

from evaluation import ratings, services
from evaluation.models import AnnualClassification, AnnualComplaint, AnnualPublication, RatingStatus
from tests.evaluation.test_annual import STC_PEOPLE, _decide_all, _stc_year, give_year, row

MONDAY = date(2025, 12, 8)  # published on a Monday: complaints until Monday 15/12 (5 working days)


def _publish(org, *, top=(), reason=""):
    _stc_year(org, top=top)
    _decide_all(org)
    with time_machine.travel(MONDAY, tick=False):
        return ratings.annual_publish(unit=org.stc, year=2025, exception_reason=reason, actor=org.user("giamdoc"))


def _complain(org, key="nhanvien", reason="Tôi đã hoàn thành vượt mức nhiều nhiệm vụ"):
    c = row(org, key)
    with time_machine.travel(date(2025, 12, 10), tick=False):
        return ratings.annual_complaint_file(
            classification=c, expected_version=c.version, reason=reason, actor=org.user(key)
        )


# --- Publication record ---------------------------------------------------------------------------


def test_publish_stores_who_when_the_quota_and_the_deadline(org):
    assert _publish(org, top=("nhanvien",), reason="Theo kết luận của tập thể lãnh đạo") == 6
    publication = AnnualPublication.objects.get(unit=org.stc, year=2025)
    assert publication.published_by == org.people["giamdoc"]
    assert publication.complaint_deadline == date(2025, 12, 15) == row(org, "nhanvien").complaint_deadline
    assert publication.rows == 6 and publication.exception_reason == "Theo kết luận của tập thể lãnh đạo"
    # 1 HTXS for 5 HTT: floor(0.2 × 5) = 1 allowed, as checked at that moment.
    assert publication.quota["HN-3814-2018"]["unit"] == {"allowed": 1, "count": 1, "base": 5, "ok": True}
    assert publication.quota["HN-3814-2018"]["exception"] is False


def test_a_refused_publication_stores_nothing(org):
    _stc_year(org, top=("nhanvien", "nhanvien2"))
    _decide_all(org)
    with pytest.raises(services.QuotaExceeded):
        ratings.annual_publish(unit=org.stc, year=2025, actor=org.user("giamdoc"))
    assert not AnnualPublication.objects.exists()


def test_the_unit_page_shows_the_publication(org, login):
    _publish(org, top=("nhanvien",), reason="Lý do ngoại lệ")
    body = login(org.user("hr")).get(reverse("ratings:annual_unit", args=[2025, "STC"])).content.decode()
    assert 'data-testid="annual-publication"' in body
    assert "15/12/2025" in body and "Lê Giám Đốc" in body and "Lý do ngoại lệ" in body and "1 / 1" in body


def test_a_person_who_moved_in_after_publication_is_published_later(org):
    from tests.factories import assign, make_person

    _publish(org, top=("nhanvien",), reason="Lý do ngoại lệ")
    newcomer = make_person("Lý Văn Mới", username="moi")
    assign(newcomer, org.stc_th)
    for month in range(1, 13):
        services.period_open(year=2025, month=month)  # the months were open already: adds the newcomer's form
    give_year(newcomer, [80] * 12)
    ratings.annual_compute(year=2025)
    late = AnnualClassification.objects.get(person=newcomer, year=2025)
    with pytest.raises(services.Conflict) as exc:  # undecided: named, nothing published
        ratings.annual_publish(unit=org.stc, year=2025, actor=org.user("giamdoc"))
    assert "Lý Văn Mới" in exc.value.message and "Nguyễn Thị Nhân Viên" not in exc.value.message
    ratings.annual_decide(
        classification=late, level=late.computed_level, expected_version=late.version, actor=org.user("giamdoc")
    )
    with time_machine.travel(date(2025, 12, 9), tick=False):
        assert ratings.annual_publish(unit=org.stc, year=2025, actor=org.user("giamdoc")) == 1
    late.refresh_from_db()
    assert late.status == RatingStatus.PUBLISHED and row(org, "nhanvien").status == RatingStatus.PUBLISHED
    assert AnnualPublication.objects.get(unit=org.stc, year=2025).rows == 7


def test_the_head_at_the_top_is_not_part_of_the_citys_annual_publication(org):
    for key in ("chutich", "giamdoc", "giamdoc_syt"):
        give_year(org.people[key], [80] * 12)
    ratings.annual_compute(year=2025)
    for key in ("giamdoc", "giamdoc_syt"):
        c = row(org, key)
        ratings.annual_decide(
            classification=c, level=c.computed_level, expected_version=c.version, actor=org.user("chutich")
        )
    with time_machine.travel(MONDAY, tick=False):
        assert ratings.annual_publish(unit=org.city, year=2025, actor=org.user("chutich")) == 2
    assert row(org, "chutich").status == RatingStatus.COMPUTED


# --- Complaints -----------------------------------------------------------------------------------


def test_the_person_complains_within_the_window_to_the_level_above_the_decider(org):
    _publish(org)
    c = row(org, "nhanvien")
    with time_machine.travel(date(2025, 12, 10), tick=False):
        with pytest.raises(services.NotAllowed):
            ratings.annual_complaint_file(
                classification=c, expected_version=c.version, reason="x", actor=org.user("nhanvien2")
            )
        with pytest.raises(services.InvalidInput):
            ratings.annual_complaint_file(
                classification=c, expected_version=c.version, reason="  ", actor=org.user("nhanvien")
            )
    complaint = _complain(org)
    assert complaint.handler == org.people["chutich"]  # giamdoc decided: the city's head handles it
    assert (complaint.old_level, complaint.outcome) == ("HTT", AnnualComplaint.Outcome.OPEN)
    assert complaint.filed_by == org.people["nhanvien"]
    assert org.user("chutich").notifications.filter(key=f"annual-complaint-{complaint.pk}").exists()
    with pytest.raises(services.Conflict):
        _complain(org)  # one open complaint at a time
    late = row(org, "nhanvien2")
    with time_machine.travel(date(2025, 12, 16), tick=False), pytest.raises(services.Conflict) as exc:
        ratings.annual_complaint_file(
            classification=late, expected_version=late.version, reason="Muộn", actor=org.user("nhanvien2")
        )
    assert "15/12/2025" in exc.value.message


def test_a_decided_but_unpublished_result_cannot_be_complained_about(org):
    _stc_year(org, top=())
    _decide_all(org)
    c = row(org, "nhanvien")
    with pytest.raises(services.Conflict):
        ratings.annual_complaint_file(
            classification=c, expected_version=c.version, reason="x", actor=org.user("nhanvien")
        )


def test_an_open_complaint_keeps_the_result_from_locking(org):
    _publish(org)
    complaint = _complain(org)
    assert ratings.annual_lock_due(today=date(2025, 12, 16)) == 5
    assert row(org, "nhanvien").status == RatingStatus.PUBLISHED
    ratings.annual_complaint_resolve(
        complaint=complaint, outcome="upheld", resolution="Giữ nguyên kết quả", actor=org.user("chutich")
    )
    assert ratings.annual_lock_due(today=date(2025, 12, 16)) == 1
    assert row(org, "nhanvien").status == RatingStatus.LOCKED


def test_only_the_handler_resolves_and_a_revision_keeps_old_and_new_level(org):
    _publish(org)  # six HTT: floor(0.2 × 6) = 1 HTXS allowed
    complaint = _complain(org)
    for persona in ("giamdoc", "nhanvien", "hr"):
        with pytest.raises(services.NotAllowed):
            ratings.annual_complaint_resolve(
                complaint=complaint, outcome="revised", level="HTXS", resolution="x", actor=org.user(persona)
            )
    with pytest.raises(services.InvalidInput):
        ratings.annual_complaint_resolve(
            complaint=complaint, outcome="revised", level="HTXS", resolution="", actor=org.user("chutich")
        )
    with pytest.raises(services.InvalidInput):
        ratings.annual_complaint_resolve(
            complaint=complaint, outcome="revised", level="A", resolution="x", actor=org.user("chutich")
        )
    done = ratings.annual_complaint_resolve(
        complaint=complaint,
        outcome="revised",
        level="HTXS",
        resolution="Có sáng kiến được công nhận",
        actor=org.user("chutich"),
    )
    assert (done.outcome, done.old_level, done.new_level) == ("revised", "HTT", "HTXS")
    revised = row(org, "nhanvien")
    assert (revised.decided_level, revised.status) == ("HTXS", RatingStatus.PUBLISHED)
    assert org.user("nhanvien").notifications.filter(key=f"annual-complaint-{complaint.pk}-resolved").exists()
    with pytest.raises(services.Conflict):
        ratings.annual_complaint_resolve(complaint=done, outcome="upheld", resolution="x", actor=org.user("chutich"))
    # A second HTXS would break the quota: the revision is refused and the complaint stays open.
    second = _complain(org, "nhanvien2")
    with pytest.raises(services.QuotaExceeded):
        ratings.annual_complaint_resolve(
            complaint=second, outcome="revised", level="HTXS", resolution="x", actor=org.user("chutich")
        )
    assert row(org, "nhanvien2").decided_level == "HTT"
    assert AnnualComplaint.objects.get(pk=second.pk).outcome == AnnualComplaint.Outcome.OPEN


def test_complaint_pages(org, login):
    _publish(org)
    me = reverse("ratings:annual_me", args=[2025])
    client = login(org.user("nhanvien"))
    with time_machine.travel(date(2025, 12, 10), tick=False):
        body = client.get(me).content.decode()
        assert 'name="reason"' in body
        c = row(org, "nhanvien")
        client.post(me, {"action": "complain", "version": c.version, "reason": "Xin xem xét lại"})
    complaint = AnnualComplaint.objects.get()
    unit_url = reverse("ratings:annual_unit", args=[2025, "STC"])
    assert f'data-testid="complaint-{complaint.pk}"' not in login(org.user("giamdoc")).get(unit_url).content.decode()
    handler = login(org.user("chutich"))
    assert f'data-testid="complaint-{complaint.pk}"' in handler.get(unit_url).content.decode()
    resolve = reverse("ratings:annual_complaint_resolve", args=[complaint.pk])
    assert login(org.user("giamdoc")).post(resolve, {"outcome": "upheld", "resolution": "x"}).status_code == 404
    handler = login(org.user("chutich"))
    response = handler.post(resolve, {"outcome": "revised", "level": "HT", "resolution": "Điều chỉnh"})
    assert response.status_code == 302 and response["Location"] == unit_url
    assert row(org, "nhanvien").decided_level == "HT"
    body = login(org.user("nhanvien")).get(me).content.decode()
    assert "Hoàn thành tốt nhiệm vụ" in body and "Hoàn thành nhiệm vụ" in body and "Điều chỉnh" in body


# --- Recompute scope --------------------------------------------------------------------------------


@pytest.fixture
def two_agencies(org):
    for key in (*STC_PEOPLE, "ngoai"):
        give_year(org.people[key], [80] * 12)


def test_recompute_from_a_unit_page_covers_only_its_subtree(org, two_agencies, login):
    with time_machine.travel(date(2026, 1, 5), tick=False):
        response = login(org.user("hr")).post(reverse("ratings:annual_recompute", args=[2025, "STC"]), follow=True)
        body = response.content.decode()
    assert set(AnnualClassification.objects.values_list("person__user__username", flat=True)) == set(STC_PEOPLE)
    assert 'data-testid="annual-provisional"' not in body
    # The head of a division may not recompute the agency; the head of the agency may.
    assert (
        login(org.user("truongphong")).post(reverse("ratings:annual_recompute", args=[2025, "STC"])).status_code == 404
    )
    result = ratings.annual_compute(year=2025, unit=org.stc_th, on=date(2025, 12, 31))
    assert (result.created, result.unchanged, result.people) == (0, 3, 3)


def test_recompute_of_a_running_year_is_labelled_provisional(org, two_agencies, login):
    with time_machine.travel(date(2025, 12, 20), tick=False):
        client = login(org.user("giamdoc"))
        body = client.post(reverse("ratings:annual_recompute", args=[2025, "STC"]), follow=True).content.decode()
        assert 'data-testid="annual-provisional"' in body
        assert "tạm tính" in body.lower() or "provisional" in body.lower()
    assert AnnualClassification.objects.filter(person=org.people["ngoai"]).count() == 0
    assert ratings.annual_compute(year=2025, unit=org.stc, on=date(2025, 12, 20)).provisional
    assert not ratings.annual_compute(year=2025, unit=org.stc, on=date(2025, 12, 31)).provisional


# --- What people read ---------------------------------------------------------------------------------


def test_pages_show_level_labels_and_plain_years(org, login):
    give_year(org.people["nhanvien2"], [95] * 5 + [None] * 7)  # not classified
    give_year(org.people["nhanvien"], [80] * 12)
    ratings.annual_compute(year=2025)
    unit_body = login(org.user("giamdoc")).get(reverse("ratings:annual_unit", args=[2025, "STC"])).content.decode()
    me_body = login(org.user("nhanvien2")).get(reverse("ratings:annual_me", args=[2025])).content.decode()
    for body in (unit_body, me_body):
        assert "Không xếp loại" in body and ">NOT_CLASSIFIED<" not in body and "<strong>NOT_CLASSIFIED" not in body
        assert "2025" in body and "2.025" not in body
    assert '<option value="HTT"' in unit_body and "Hoàn thành tốt nhiệm vụ</option>" in unit_body
    assert (
        "Hoàn thành tốt nhiệm vụ</strong>"
        in login(org.user("nhanvien")).get(reverse("ratings:annual_me", args=[2025])).content.decode()
    )


def test_quarter_pages_print_years_without_grouping(org, login):
    body = login(org.user("hr")).get(reverse("ratings:quarter_units", args=[2026, 3])).content.decode()
    assert "3/2026" in body and "2.026" not in body


@pytest.mark.parametrize("path", ["annual/99999/me/", "annual/99999/units/STC/", "annual/1999/units/STC/"])
def test_years_out_of_range_are_404(org, login, path):
    assert login(org.user("giamdoc")).get(f"/ratings/{path}").status_code == 404
    assert login(org.user("hr")).post("/ratings/annual/99999/units/STC/recompute/").status_code == 404


def test_grade_columns_run_from_the_highest(org, login):
    from tests.evaluation.test_quarterly import settle

    for key, score in zip(("nhanvien", "nhanvien2", "nhanvien_kh", "phogiamdoc"), (95, 80, 60, 40)):
        for month in range(1, 7):
            settle(org.people[key], 2026, month, score)
    ratings.annual_compute(year=2026)
    page = login(org.user("hr")).get(reverse("ratings:annual_unit", args=[2026, "STC"]))
    assert [code for code, _label in page.context["grades"]] == ["HTXS", "HTT", "HT", "KHT"]
