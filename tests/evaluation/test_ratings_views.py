"""Pages of quarterly ratings and the annual classification: who sees what, forms post to the services."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from evaluation import ratings
from evaluation.models import AnnualClassification, QuarterlyRating, RatingStatus, SectorAssessment, UnitQuarterResult
from tests.evaluation.test_annual import give_year
from tests.evaluation.test_quarterly import rated_heads, settle

D = Decimal


@pytest.fixture
def heads(org):
    heads = rated_heads(org)
    for month, score in zip((1, 2, 3), (80, 90, 85)):
        settle(heads.office_head, 2025, month, score)
    ratings.quarter_compute(year=2025, quarter=1)
    return heads


def test_hr_enters_unit_results_and_outsiders_get_404(org, heads, login):
    url = reverse("ratings:quarter_units", args=[2025, 1])
    for persona in ("outsider_nobody", "giamdoc", "tp_qhk", "nhanvien"):
        assert login(org.user(persona)).get(url).status_code == 404
    client = login(org.user("hr"))
    page = client.get(url)
    assert page.status_code == 200
    body = page.content.decode()
    assert "QHK-TCKH" in body and "XA-A" in body and "Phan Trưởng Phòng Quận" in body
    response = client.post(url, {f"score-{heads.office.pk}": "72,5", f"score-{heads.commune.pk}": ""})
    assert response.status_code == 302
    assert UnitQuarterResult.objects.get(unit=heads.office).score == D("72.50")
    assert not UnitQuarterResult.objects.filter(unit=heads.commune).exists()
    assert QuarterlyRating.objects.get(person=heads.office_head).unit_result == D("72.50")
    # The saved score is shown the Vietnamese way in a text box (a number box would read 72,5 as 725).
    body = client.get(url).content.decode()
    assert f'inputmode="decimal" size="6" class="num" name="score-{heads.office.pk}" value="72,50"' in body
    body = client.post(url, {f"score-{heads.office.pk}": "150"}, follow=True).content.decode()
    assert "Nhập điểm từ 0 đến 100." in body and UnitQuarterResult.objects.get(unit=heads.office).score == D("72.50")
    assert client.post(reverse("ratings:quarter_recompute", args=[2025, 1])).status_code == 302
    assert login(org.user("giamdoc")).post(reverse("ratings:quarter_recompute", args=[2025, 1])).status_code == 404
    assert login(org.user("hr")).get(reverse("ratings:quarter_units", args=[2025, 5])).status_code == 404


def test_the_linked_department_head_enters_sector_assessments(org, heads, login):
    url = reverse("ratings:quarter_sector", args=[2025, 1])
    for persona in ("outsider_nobody", "hr", "giamdoc_syt", "phogiamdoc", "tp_qhk"):
        assert login(org.user(persona)).get(url).status_code == 404
    client = login(org.user("giamdoc"))
    body = client.get(url).content.decode()
    assert "Phan Trưởng Phòng Quận" in body and "Mai Chủ Tịch Xã" not in body  # the commune has no link
    client.post(url, {f"score-{heads.office_head.pk}": "91", f"comment-{heads.office_head.pk}": "Tốt"})
    assessment = SectorAssessment.objects.get(person=heads.office_head)
    assert (assessment.score, assessment.comment) == (D("91.00"), "Tốt")


def test_person_quarters_page_and_confirm_by_the_decider(org, heads, login):
    ratings.unit_quarter_result_set(unit=heads.office, year=2025, quarter=1, score=70, actor=org.user("hr"))
    ratings.sector_assessment_set(person=heads.office_head, year=2025, quarter=1, score=90, actor=org.user("giamdoc"))
    url = reverse("ratings:person_quarters", args=[heads.office_head.pk])
    for persona in ("outsider_nobody", "nhanvien", "giamdoc_syt", "ct_xa"):
        assert login(org.user(persona)).get(url).status_code == 404
    own = login(org.user("tp_qhk")).get(url).content.decode()
    assert "83,00" in own and "85,00" in own and "60%" in own and 'name="version"' not in own  # no confirm for oneself
    rating = QuarterlyRating.objects.get(person=heads.office_head)
    confirm = reverse("ratings:quarter_confirm", args=[rating.pk])
    assert login(org.user("nhanvien")).post(confirm, {"version": rating.version}).status_code == 404
    client = login(org.user("ct_qhk"))
    assert 'name="version"' in client.get(url).content.decode()
    assert client.post(confirm, {"version": rating.version}).status_code == 302
    assert QuarterlyRating.objects.get(pk=rating.pk).status == RatingStatus.CONFIRMED


def test_commune_head_without_link_shows_moved_weight(org, heads, login):
    page = login(org.user("ct_xa")).get(reverse("ratings:person_quarters", args=[heads.commune_head.pk]))
    body = page.content.decode()
    assert page.status_code == 200 and "80%" in body


@pytest.fixture
def stc_year(org):
    for key in ("phogiamdoc", "truongphong", "nhanvien", "nhanvien2", "truongphong_kh", "nhanvien_kh"):
        give_year(org.people[key], [80] * 12)
    ratings.annual_compute(year=2025)


def test_annual_unit_page_decide_and_publish(org, stc_year, login, django_assert_max_num_queries):
    url = reverse("ratings:annual_unit", args=[2025, "STC"])
    for persona in ("outsider_nobody", "nhanvien", "giamdoc_syt"):
        assert login(org.user(persona)).get(url).status_code == 404
    assert login(org.user("hr")).get(url).status_code == 200  # HR sees, does not decide
    assert 'name="level"' not in login(org.user("hr")).get(url).content.decode()
    client = login(org.user("giamdoc"))
    with django_assert_max_num_queries(20):
        body = client.get(url).content.decode()
    assert "Nguyễn Thị Nhân Viên" in body and 'name="level"' in body
    for c in AnnualClassification.objects.filter(year=2025, decision_unit=org.stc):
        client.post(url, {"classification": c.pk, "version": c.version, "level": "HTT", "note": ""})
    assert set(AnnualClassification.objects.filter(decision_unit=org.stc).values_list("status", flat=True)) == {
        RatingStatus.CONFIRMED
    }
    client.post(reverse("ratings:annual_publish", args=[2025, "STC"]))
    assert set(AnnualClassification.objects.filter(decision_unit=org.stc).values_list("status", flat=True)) == {
        RatingStatus.PUBLISHED
    }
    assert login(org.user("truongphong")).post(reverse("ratings:annual_publish", args=[2025, "STC"])).status_code == 404


def test_recompute_button_is_per_unit(org, stc_year, login):
    url = reverse("ratings:annual_recompute", args=[2025, "STC"])
    for persona in ("truongphong", "giamdoc_syt", "nhanvien", "auditor"):
        assert login(org.user(persona)).post(url).status_code == 404
    response = login(org.user("hr")).post(url)
    assert response.status_code == 302 and response["Location"] == "/ratings/annual/2025/units/STC/"
    assert login(org.user("giamdoc")).post(url).status_code == 302  # the head of the unit


def test_own_annual_page_and_proposal(org, stc_year, login):
    url = reverse("ratings:annual_me", args=[2025])
    assert login(org.user("outsider_nobody")).get(url).status_code == 404
    client = login(org.user("nhanvien"))
    body = client.get(url).content.decode()
    assert "HTT" in body and 'name="level"' in body
    client.post(url, {"level": "HTXS"})
    assert AnnualClassification.objects.get(person=org.people["nhanvien"]).proposed_level == "HTXS"
    assert login(org.user("chutich")).get(url).status_code == 200  # no row: "not computed yet"
