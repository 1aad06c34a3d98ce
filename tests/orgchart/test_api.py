from __future__ import annotations

import pytest
from django.core.management import call_command

from orgchart import services
from orgchart.models import ApiToken


def test_me_over_session(org, client):
    client.force_login(org.user("nhanvien"))
    body = client.get("/api/v1/me").json()
    assert body == {
        "username": "nhanvien",
        "full_name": "Nguyễn Thị Nhân Viên",
        "person_id": org.people["nhanvien"].pk,
        "primary_unit_code": "STC-TH",
        "roles": ["employee"],
    }


def test_roles_of_head_and_hr(org, client):
    client.force_login(org.user("giamdoc"))
    assert client.get("/api/v1/me").json()["roles"] == ["employee", "manager", "head"]
    client.force_login(org.user("hr"))
    assert client.get("/api/v1/me").json()["roles"] == ["employee", "hr_officer"]


def test_anonymous_gets_401(db, client):
    assert client.get("/api/v1/me").status_code == 401


def test_bearer_token_issue_use_and_revoke(org, client, capsys):
    call_command("issue_api_token", "truongphong")
    key = capsys.readouterr().out.strip()
    assert len(key) == 64 and not key.startswith("-")
    auth = {"HTTP_AUTHORIZATION": f"Bearer {key}"}
    assert client.get("/api/v1/me", **auth).json()["username"] == "truongphong"
    unit = client.get("/api/v1/units/STC-TH", **auth).json()
    assert "Nguyễn Thị Nhân Viên" in [m["full_name"] for m in unit["members"]]
    assert ApiToken.objects.get().last_used_at is not None
    call_command("issue_api_token", "truongphong", "--revoke", key[:8])
    assert client.get("/api/v1/me", **auth).status_code == 401


def test_issued_keys_never_read_as_an_option(db, django_user_model):
    user = django_user_model.objects.create_user("tokens")
    keys = [services.api_token_issue(user=user)[1] for _ in range(200)]
    assert all(set(key) <= set("0123456789abcdef") for key in keys)
    assert len(set(keys)) == 200


def test_wrong_token_is_refused(org, client):
    assert client.get("/api/v1/me", HTTP_AUTHORIZATION="Bearer nope").status_code == 401


def test_unknown_user_token_command_fails(db):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("issue_api_token", "ghost")


def test_unit_as_of_date(org, client):
    client.force_login(org.user("hr"))
    body = client.get("/api/v1/units/STC?as_of=2017-06-01").json()
    assert body["members"] == [] and body["valid_from"] == "2018-01-01"
    body = client.get("/api/v1/units/STC").json()
    assert body["parent"]["code"] == "HN"
    assert {c["code"] for c in body["children"]} == {"STC-TH", "STC-KH"}


def test_person_endpoint(org, client):
    client.force_login(org.user("truongphong"))
    body = client.get(f"/api/v1/people/{org.people['nhanvien'].pk}").json()
    assert body["employee_code"] == org.people["nhanvien"].employee_code
    assert body["assignments"][0]["unit"]["code"] == "STC-TH"


def test_openapi_schema_is_served(db, client):
    schema = client.get("/api/v1/openapi.json").json()
    assert {"/api/v1/me", "/api/v1/units/{code}", "/api/v1/people/{person_id}"} <= set(schema["paths"])


def test_person_detail_shows_only_the_posts_the_caller_may_see(org, client):
    from tests.factories import assign

    person = org.people["nhanvien"]
    assign(person, org.syt, "STAFF", primary=False)  # a concurrent post in another department
    client.force_login(org.user("giamdoc"))
    units = [a["unit"]["code"] for a in client.get(f"/api/v1/people/{person.pk}").json()["assignments"]]
    assert units == ["STC-TH"]
    client.force_login(org.user("hr"))
    units = [a["unit"]["code"] for a in client.get(f"/api/v1/people/{person.pk}").json()["assignments"]]
    assert sorted(units) == ["STC-TH", "SYT"]


def test_api_docs_load_swagger_from_our_static_files(org, client):
    client.force_login(org.user("hr"))
    page = client.get("/api/v1/docs").content.decode()
    assert "swagger-ui-bundle.js" in page and "/static/ninja/" in page
    assert "cdn.jsdelivr" not in page and "unpkg" not in page
