"""The evaluation list of API v1 costs the same number of queries for 5 rows or 500."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext

from evaluation import services
from orgchart import services as org_services
from tests.factories import assign, make_person, make_unit


def _queries(client, path: str, **query) -> tuple[int, dict]:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path, query, **getattr(client, "auth_headers", {}))
    assert response.status_code == 200, response.content
    return len(captured), response.json()


def _grow(unit, n: int) -> None:
    for _ in range(n):
        assign(make_person(), unit, "STAFF")
    services.period_open(year=2025, month=11)  # creates only the missing forms


@pytest.fixture
def sxd(org, period_2025):
    """A department with its director and four staff: five forms of 11/2025."""
    unit = make_unit("SXD", parent=org.city, kind="DEPARTMENT", name="Sở Xây dựng")
    head = make_person("Lý Giám Đốc Xây Dựng", username="giamdoc_sxd")
    assign(head, unit, "HEAD")
    _grow(unit, 4)
    return unit


@pytest.mark.parametrize("persona", ["hr", "giamdoc_sxd"])
def test_the_list_costs_the_same_for_5_or_500_rows(org, sxd, client, persona):
    client.force_login(get_user_model().objects.get(username=persona))
    small, body = _queries(client, "/api/v1/evaluations", period="2025-11", unit="SXD", limit=500)
    assert body["count"] == len(body["items"]) == 5
    _grow(sxd, 495)
    large, body = _queries(client, "/api/v1/evaluations", period="2025-11", unit="SXD", limit=500)
    assert body["count"] == len(body["items"]) == 500
    assert large == small, (small, large)


def test_the_list_costs_the_same_over_a_bearer_token_and_without_filters(org, sxd, client):
    _token, key = org_services.api_token_issue(user=org.user("hr"))
    client.auth_headers = {"HTTP_AUTHORIZATION": f"Bearer {key}"}
    small, body = _queries(client, "/api/v1/evaluations")
    _grow(sxd, 50)
    large, bigger = _queries(client, "/api/v1/evaluations")
    assert bigger["count"] == body["count"] + 50 and len(bigger["items"]) == bigger["count"]
    assert large == small, (small, large)
