"""List pages cost the same number of queries for 5 rows or 500, and the team grid's bulk rule agrees
with `selectors.actor_roles`, form by form."""

from __future__ import annotations

from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from evaluation import page_selectors, selectors, services
from evaluation.models import Evaluation
from evaluation.workflow import Actor
from tests.evaluation.conftest import staff_points
from tests.factories import assign, make_person, make_unit

NOVEMBER = date(2025, 11, 1)
JOINED = 495  # November has 500 people in STC-TH's team, October 5


@pytest.fixture
def two_months(org):
    """October 2025 with 5 people in STC-TH's team, November with 500 (495 joined on 1/11)."""
    for i in range(3):
        assign(make_person(f"Trần Văn Mười {i}"), org.stc_th, "STAFF")
    for i in range(JOINED):
        assign(make_person(f"Lý Thị Mới {i}"), org.stc_th, "STAFF", valid_from=NOVEMBER)
    october, _ = services.period_open(year=2025, month=10)
    november, _ = services.period_open(year=2025, month=11)
    for period in (october, november):
        forms = Evaluation.objects.filter(period=period, decision_unit=org.stc)
        joined = forms.filter(person__full_name__startswith="Lý Thị Mới")
        for form in forms.exclude(pk__in=joined.values("pk")):
            points = staff_points(60)
            if form.variant == "LEADER":
                points = {
                    **{c: v for c, v in points.items() if not c.startswith("NV")},
                    "LD1": 30,
                    "LD2": 20,
                    "LD3": 10,
                }
            decided = services.evaluation_decide(
                evaluation=form, expected_version=form.version, points=points, actor=org.user("giamdoc")
            )
        # The newcomers get the same decision in one statement (the decision service is tested elsewhere;
        # here only the pages' query counts matter).
        copied = ("final_points", "final_total", "grade", "decided_at", "decided_by", "status")
        joined.update(**{name: getattr(decided, name) for name in copied}, version=2)
    services.unit_period_publish(unit=org.stc, period=october, actor=org.user("giamdoc"))
    services.unit_period_publish(unit=org.stc, period=november, actor=org.user("giamdoc"))
    return october, november


def _queries(client, url) -> tuple[int, str]:
    client.get(url)  # warm: session, caches of the first request
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(ctx.captured_queries), response.content.decode()


def test_team_grid_costs_the_same_for_5_or_500_people(org, two_months, login):
    october, november = two_months
    client = login(org.user("truongphong"))
    small, small_body = _queries(client, reverse("evaluation:team") + "?period=" + october.key)
    large, large_body = _queries(client, reverse("evaluation:team") + "?period=" + november.key)
    assert small_body.count('data-testid="team-row"') == 5
    assert large_body.count('data-testid="team-row"') == 5 + JOINED
    assert small == large
    assert large <= 14  # incl. the viewer's grants as of the month (2 queries)


def test_unit_grid_costs_the_same_for_5_or_500_people(org, two_months, login):
    october, november = two_months
    client = login(org.user("giamdoc"))
    small, small_body = _queries(client, reverse("evaluation:unit", args=["STC", october.key]))
    large, large_body = _queries(client, reverse("evaluation:unit", args=["STC", november.key]))
    assert large_body.count("<tr data-status") - small_body.count("<tr data-status") == JOINED
    assert small == large
    assert large <= 30


def test_published_results_cost_the_same_for_5_or_500_people(org, two_months, login):
    october, november = two_months
    client = login(org.user("nhanvien"))
    small, small_body = _queries(client, reverse("evaluation:unit_results", args=["STC", october.key]))
    large, large_body = _queries(client, reverse("evaluation:unit_results", args=["STC", november.key]))
    assert "Lý Thị Mới 7" in large_body and "Lý Thị Mới 7" not in small_body
    assert small == large


def test_my_month_and_notifications_cost_the_same_for_few_or_many(org, two_months, login):
    user = org.user("nhanvien")
    client = login(user)
    for i in range(5):
        services.notify(user=user, key=f"few-{i}", message=f"Tin {i}", email=False)
    few, few_body = _queries(client, reverse("evaluation:notifications"))
    home_few, _ = _queries(client, reverse("evaluation:my_month"))
    for i in range(25):
        services.notify(user=user, key=f"many-{i}", message=f"Tin {i}", email=False)
    many, body = _queries(client, reverse("evaluation:notifications"))
    home_many, _ = _queries(client, reverse("evaluation:my_month"))
    # (The months of the fixture were published, which tells the person too.)
    assert body.count('class="unread"') - few_body.count('class="unread"') == 25
    assert few == many and home_few == home_many


@pytest.mark.parametrize(
    "persona",
    ["chutich", "giamdoc", "phogiamdoc", "truongphong", "truongphong_kh", "giamdoc_syt", "hr", "nhanvien"],
)
def test_team_rule_agrees_with_actor_roles(org, persona):
    # A division with a deputy, and a head of agency with staff of the agency's own unit (SYT: ngoai).
    deputy = make_person("Phó Phòng Tổng hợp")
    assign(deputy, org.stc_th, "DEPUTY")
    team_unit = make_unit("STC-TT", parent=org.stc, name="Phòng Thanh tra")
    assign(make_person("Lê Thanh Tra"), team_unit, "STAFF")  # a division without a head
    period, _ = services.period_open(year=2025, month=11)
    user = org.user(persona)
    expected = {
        f.pk
        for f in selectors.current_forms(period=period).select_related("period", "person")
        if Actor.MANAGER in selectors.actor_roles(user=user, evaluation=f)
    }
    got = {f.pk for f in page_selectors.team_forms(user=user, period=period)}
    assert got == expected
