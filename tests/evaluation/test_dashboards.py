"""Dashboards: completion per unit against deadlines, grade distribution, the lists behind figures."""

from __future__ import annotations

from collections import Counter
from datetime import date
from decimal import Decimal
from urllib.parse import parse_qs, urlparse

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from evaluation import dashboards, services
from evaluation.dashboards import STEP_LABELS
from evaluation.models import Evaluation
from evaluation.workflow import Status
from tests.evaluation.conftest import form_of, staff_points
from tests.factories import assign, make_person, make_unit

# November 2025: self-assessment due 3/12, review 5/12, decision 7/12.
ON_DEC_6 = date(2025, 12, 6)


@pytest.fixture
def frozen():
    with time_machine.travel(ON_DEC_6, tick=False):
        yield


def _submit(org, key, period):
    form = form_of(org, key, period)
    form = services.evaluation_save_self(
        evaluation=form, expected_version=form.version, points=staff_points(60), actor=org.user(key)
    )
    return services.evaluation_submit(evaluation=form, expected_version=form.version, actor=org.user(key))


def _decide(org, key, period, *, total_nv=60, bonus=0, decider="giamdoc"):
    form = form_of(org, key, period)
    points = staff_points(total_nv, bonus)
    if form.variant == "LEADER":
        points = {
            **{c: v for c, v in points.items() if not c.startswith("NV")},
            "LD1": 30,
            "LD2": 20,
            "LD3": min(20, total_nv - 50),
        }
    return services.evaluation_decide(
        evaluation=form, expected_version=form.version, points=points, actor=org.user(decider)
    )


@pytest.fixture
def month(org, period_2025):
    """A month under way: two submitted, one reviewed, two decided, the rest drafts."""
    _submit(org, "nhanvien", period_2025)
    _submit(org, "nhanvien_kh", period_2025)
    reviewed = _submit(org, "nhanvien2", period_2025)
    services.evaluation_review(
        evaluation=reviewed, expected_version=reviewed.version, points=staff_points(60), actor=org.user("truongphong")
    )
    _decide(org, "phogiamdoc", period_2025)
    _decide(org, "ngoai", period_2025, decider="giamdoc_syt")
    return period_2025


def _brute_force(unit_path: str, *, exact: bool = False) -> Counter:
    forms = Evaluation.objects.select_related("unit")
    return Counter(
        f.status for f in forms if (f.unit.path == unit_path if exact else f.unit.path.startswith(unit_path))
    )


def _rows(response) -> dict[str, dashboards.CompletionRow]:
    return {("=" if r.unit.exact else "") + r.unit.code: r for r in response.context["data"].rows}


def test_hr_sees_counts_per_child_unit_matching_a_brute_force_count(org, month, login, frozen):
    response = login(org.user("hr")).get("/dashboards/completion/?period=2025-11&unit=HN")
    assert response.status_code == 200
    rows = _rows(response)
    assert set(rows) == {"=HN", "STC", "SYT", "SNV"}
    for key, row in rows.items():
        unit = row.unit
        expected = _brute_force(unit.path, exact=unit.exact)
        assert {s: n for s, n in row.counts.items() if n} == dict(expected), key
    assert rows["STC"].counts == {"draft": 3, "submitted": 2, "reviewed": 1, "decided": 1}
    assert rows["STC"].done == 1 and rows["SYT"].done == 1
    assert response.context["data"].total.total == Evaluation.objects.count() == len(org.people)


def test_rows_drill_down_the_tree(org, month, login, frozen):
    client = login(org.user("hr"))
    page = client.get("/dashboards/completion/?period=2025-11&unit=HN")
    html = page.content.decode()
    drill = _rows(page)["STC"].drill_url
    assert f'href="{drill.replace("&", "&amp;")}"' in html
    assert parse_qs(urlparse(drill).query) == {"period": ["2025-11"], "unit": ["STC"]}
    rows = _rows(client.get(drill))
    assert set(rows) == {"=STC", "STC-KH", "STC-TH"}
    assert rows["STC-TH"].counts == {"draft": 1, "submitted": 1, "reviewed": 1}
    assert rows["=STC"].counts == {"draft": 1, "decided": 1}
    # Divisions have no children: no further drill-down link, but their counts still link to lists.
    leaf = _rows(client.get(rows["STC-TH"].drill_url))
    assert set(leaf) == {"=STC-TH"} and leaf["=STC-TH"].total == 3


def test_a_single_visible_root_is_opened_by_default(org, month, login, frozen):
    response = login(org.user("hr")).get("/dashboards/completion/?period=2025-11")
    assert response.context["place"].unit == org.city
    response = login(org.user("giamdoc")).get("/dashboards/completion/?period=2025-11")
    assert response.context["place"].unit == org.stc
    assert set(_rows(response)) == {"=STC", "STC-KH", "STC-TH"}


def test_late_list_names_who_owes_which_step(org, month, login, frozen):
    response = login(org.user("hr")).get("/dashboards/completion/?period=2025-11&unit=STC")
    data = response.context["data"]
    # On 6/12 self-assessment and review are overdue, the decision (7/12) is not yet.
    assert data.late_statuses == {Status.DRAFT, Status.RETURNED, Status.SUBMITTED}
    late = {f.person.full_name: (f.owed_step, f.days_late) for f in data.late_forms}
    # The page is in Vietnamese by default: the steps are named in Vietnamese.
    with translation.override("vi"):
        step_self, step_review = str(STEP_LABELS["self_due"]), str(STEP_LABELS["review_due"])
    assert late == {
        "Lê Giám Đốc": (step_self, 3),
        "Hoàng Trưởng Phòng": (step_self, 3),
        "Đặng Trưởng Phòng KH": (step_self, 3),
        "Nguyễn Thị Nhân Viên": (step_review, 1),
        "Bùi Văn Kế": (step_review, 1),
    }
    assert step_self != "self-assessment"  # translated, not the msgid
    assert data.total.late == 5 and _rows(response)["STC-TH"].late == 2
    html = response.content.decode()
    for form in data.late_forms:
        assert f'href="/evaluations/{form.pk}/"' in html
    # After the decision deadline the reviewed form is late too.
    with time_machine.travel(date(2025, 12, 8), tick=False):
        response = login(org.user("hr")).get("/dashboards/completion/?period=2025-11&unit=STC")
    assert response.context["data"].total.late == 6


def test_each_count_links_to_the_list_behind_it(org, month, login, frozen):
    client = login(org.user("hr"))
    rows = _rows(client.get("/dashboards/completion/?period=2025-11&unit=STC"))
    for key, row in rows.items():
        for status, n, url in row.links:
            listed = client.get(url).context["page"].paginator.count
            assert listed == n, (key, status)
        assert client.get(row.late_url).context["page"].paginator.count == row.late
    listed = client.get(rows["STC-TH"].late_url).context["page"].object_list
    assert {f.person.full_name for f in listed} == {"Hoàng Trưởng Phòng", "Nguyễn Thị Nhân Viên"}


def test_outsiders_get_404_and_a_head_sees_only_their_subtree(org, month, login, frozen):
    assert login(org.user("outsider_nobody")).get("/dashboards/completion/?unit=STC").status_code == 404
    assert login(org.user("ngoai")).get("/dashboards/completion/?unit=STC").status_code == 404
    assert login(org.user("ngoai")).get("/dashboards/distribution/?unit=STC").status_code == 404
    assert login(org.user("ngoai")).get("/dashboards/list/?unit=STC").status_code == 404
    head = login(org.user("giamdoc"))
    assert head.get("/dashboards/completion/?unit=HN").status_code == 404
    assert head.get("/dashboards/completion/?unit=SYT").status_code == 404
    listed = head.get("/dashboards/list/?period=2025-11").context["page"].object_list
    assert {f.unit_code for f in listed} <= {"STC", "STC-TH", "STC-KH"}
    assert len(listed) == 7
    # Nobody with no units sees no figures at all.
    nobody = login(org.user("outsider_nobody")).get("/dashboards/completion/?period=2025-11")
    assert nobody.status_code == 200 and nobody.context["data"].total.total == 0


def test_staff_see_only_their_own_form_in_their_unit(org, month, login, frozen):
    response = login(org.user("nhanvien")).get("/dashboards/completion/?period=2025-11")
    rows = _rows(response)
    assert set(rows) == {"=STC-TH"}
    assert rows["=STC-TH"].counts == {"submitted": 1}


def test_completion_costs_a_fixed_number_of_queries(org, login, frozen):
    unit = make_unit("STC-DT", parent=org.stc, name="Phòng Đầu tư")
    people = [make_person(f"Cán bộ {i}") for i in range(50)]
    client = login(org.user("hr"))

    def cost(url):
        client.get(url)  # warm up (session, content types)
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(url)
        assert response.status_code == 200
        if "distribution" in url:
            assert response.context["data"].frameworks[0].total.total > 0
        return len(ctx.captured_queries)

    for person in people[:5]:
        assign(person, unit)
    services.period_open(year=2025, month=11)
    _decide_form(org, people[0])
    small = Evaluation.objects.count()
    costs_small = [cost(u) for u in URLS]
    for person in people[5:]:
        assign(person, unit)
    services.period_open(year=2025, month=11)
    for person in people[5:10]:
        _decide_form(org, person)
    assert Evaluation.objects.filter(unit=unit).count() == 50 and Evaluation.objects.count() - small == 45
    costs_large = [cost(u) for u in URLS]
    assert costs_small == costs_large, (costs_small, costs_large)
    print("queries per page:", dict(zip(URLS, costs_large, strict=True)))
    assert max(costs_large) <= 12


def _decide_form(org, person):
    form = Evaluation.objects.get(person=person)
    services.evaluation_decide(
        evaluation=form, expected_version=form.version, points=staff_points(60), actor=org.user("giamdoc")
    )


URLS = [
    "/dashboards/completion/?period=2025-11",
    "/dashboards/completion/?period=2025-11&unit=STC",
    "/dashboards/distribution/?year=2025&unit=STC",
    "/dashboards/list/?period=2025-11&unit=STC&status=late",
]


# --- Distribution ---------------------------------------------------------------------------------


@pytest.fixture
def decided(org, period_2025):
    """Every STC form decided: nhanvien and nhanvien2 rated A (2 of 6 = 33% > 30%), the rest B."""
    for key in ("phogiamdoc", "truongphong", "truongphong_kh", "nhanvien_kh"):
        _decide(org, key, period_2025)
    _decide(org, "nhanvien", period_2025, total_nv=70, bonus=10)
    _decide(org, "nhanvien2", period_2025, total_nv=70, bonus=10)
    return period_2025


def test_distribution_counts_grades_and_the_share_of_the_top_grade(org, decided, login):
    response = login(org.user("hr")).get("/dashboards/distribution/?year=2025&unit=STC")
    assert response.status_code == 200
    (section,) = response.context["data"].frameworks
    assert section.framework.code == "HN-3814-2018"
    assert section.grades == ["A", "B", "C", "D"] and section.rule.grade == "A"
    (november,) = section.months
    graded = [f for f in Evaluation.objects.select_related("unit") if f.unit.path.startswith(org.stc.path) and f.grade]
    assert november.counts == dict(Counter(f.grade for f in graded)) == {"A": 2, "B": 4}
    assert november.share == Decimal(2) / 6 and november.over
    assert november.share_pct == "33%"
    units = {("=" if r.unit.exact else "") + r.unit.code: r for r in section.units}
    assert units["STC-TH"].counts == {"A": 2, "B": 1} and units["STC-KH"].counts == {"B": 2}
    assert units["=STC"].counts == {"B": 1}  # the deputy; the director is decided by the city
    ((kind, rows),) = section.by_kind
    assert [r.unit.code for r in rows] == ["STC-KH", "STC-TH"]
    html = response.content.decode()
    assert 'data-testid="trend-chart"' in html and 'class="reference"' in html
    for _grade, n, url in units["STC-TH"].links:
        assert login(org.user("hr")).get(url).context["page"].paginator.count == n


def test_distribution_share_on_a_rated_base_and_on_a_grade_base():
    from kpi.spec import QuotaRule

    rated = QuotaRule(grade="A", base="rated_in_unit", ratio=Decimal("0.3"))
    assert dashboards.top_share(rated, {"A": 1, "B": 3}) == Decimal("0.25")
    htt = QuotaRule(grade="HTXS", base="count_of_grade:HTT", ratio=Decimal("0.2"))
    assert dashboards.top_share(htt, {"HTXS": 1, "HTT": 4, "HT": 5}) == Decimal("0.25")
    assert dashboards.top_share(htt, {"HT": 5}) is None
    assert dashboards.top_share(None, {"A": 1}) is None


def test_distribution_filters_by_subject_group_and_month(org, decided, login):
    client = login(org.user("hr"))
    none = client.get("/dashboards/distribution/?year=2025&unit=STC&group=VIEN_CHUC")
    assert none.context["data"].frameworks == [] and 'data-testid="no-grades"' in none.content.decode()
    other_month = client.get("/dashboards/distribution/?year=2025&month=10&unit=STC")
    (section,) = other_month.context["data"].frameworks
    assert all(r.total == 0 for r in section.units) and len(section.months) == 1
    assert client.get("/dashboards/distribution/?year=2024&unit=STC").context["data"].frameworks == []


def test_a_head_sees_the_distribution_of_their_subtree_only(org, decided, login):
    _decide(org, "ngoai", decided, decider="giamdoc_syt")
    head = login(org.user("giamdoc_syt")).get("/dashboards/distribution/?year=2025")
    (section,) = head.context["data"].frameworks
    assert section.total.counts == {"B": 1}
    hr = login(org.user("hr")).get("/dashboards/distribution/?year=2025")
    (section,) = hr.context["data"].frameworks
    assert section.total.total == 7


def test_unknown_month_is_404(org, login):
    assert login(org.user("hr")).get("/dashboards/completion/?period=2031-01").status_code == 404
    assert login(org.user("hr")).get("/dashboards/list/?period=nope").status_code == 404


def test_no_month_opened_yet(org, login):
    response = login(org.user("hr")).get("/dashboards/completion/")
    assert response.status_code == 200 and response.context["data"] is None
    assert login(org.user("ngoai")).get("/dashboards/completion/?unit=STC").status_code == 404
