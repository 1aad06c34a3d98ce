from __future__ import annotations

from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from orgchart.models import AuditEvent, UnitUserObjectPermission


def test_login_required(db, client):
    response = client.get("/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_login_page_is_vietnamese_by_default(db, client):
    body = client.get("/login/").content.decode()
    assert "Đăng nhập" in body


def test_language_switch_to_english(db, client):
    client.post("/i18n/setlang/", {"language": "en", "next": "/login/"})
    assert "Log in" in client.get("/login/").content.decode()


def test_home_shows_position_and_chain(org, client):
    client.force_login(org.user("nhanvien"))
    body = client.get("/").content.decode()
    assert "Phòng Tổng hợp" in body and "Hoàng Trưởng Phòng" in body and "Lê Giám Đốc" in body


def test_division_page_lists_its_people_heads_first(org, client):
    client.force_login(org.user("truongphong"))
    body = client.get("/org/units/STC-TH/").content.decode()
    assert body.index("Hoàng Trưởng Phòng") < body.index("Nguyễn Thị Nhân Viên")


def test_as_of_picker_reads_day_first_dates(org, client):
    client.force_login(org.user("hr"))
    response = client.get("/org/units/STC-TH/", {"as_of": "05/03/2017"})
    assert response.context["as_of"] == date(2017, 3, 5)
    assert 'value="05/03/2017"' in response.content.decode()
    assert response.context["members"] == []  # nobody assigned before 2018
    response = client.get("/org/units/STC-TH/", {"as_of": "05/03/2019"})
    assert "Nguyễn Thị Nhân Viên" in [a.person.full_name for a in response.context["members"]]


def test_bad_as_of_date_says_so(org, client):
    client.force_login(org.user("hr"))
    response = client.get("/org/units/STC-TH/", {"as_of": "31/02/2025"})
    assert response.status_code == 200
    assert "Nhập một ngày hợp lệ" in response.content.decode()


def test_tree_shows_only_visible_roots(org, client):
    client.force_login(org.user("truongphong"))
    body = client.get("/org/").content.decode()
    assert "STC-TH" in body and "SYT" not in body and "Thành phố Hà Nội" not in body


def test_tree_children_partial(org, client):
    client.force_login(org.user("giamdoc"))
    body = client.get("/org/units/STC/children/").content.decode()
    assert "STC-TH" in body and "STC-KH" in body
    client.force_login(org.user("nhanvien"))
    assert client.get("/org/units/STC/children/").status_code == 404


def test_history_visible_to_managers_not_to_staff(org, client):
    client.force_login(org.user("giamdoc"))
    assert "Lịch sử thay đổi" in client.get("/org/units/STC-TH/").content.decode()
    client.force_login(org.user("nhanvien"))
    assert "Lịch sử thay đổi" not in client.get("/org/units/STC-TH/").content.decode()


def test_hr_grants_and_revokes_in_the_ui(org, client):
    client.force_login(org.user("hr"))
    response = client.post(
        "/org/units/STC/grants/",
        {"username": "ngoai", "role": "auditor", "valid_from": "01/01/2026", "valid_to": "", "reason": "Thanh tra"},
    )
    assert response.status_code == 302
    grant = UnitUserObjectPermission.objects.get(user=org.user("ngoai"), permission__codename="auditor")
    assert grant.valid_from == date(2026, 1, 1) and grant.granted_by == org.user("hr")
    assert AuditEvent.objects.filter(action="grant.create", unit=org.stc, actor=org.user("hr")).exists()
    client.post(f"/org/units/STC/grants/{grant.pk}/revoke/")
    assert not UnitUserObjectPermission.objects.filter(pk=grant.pk).exists()
    assert AuditEvent.objects.filter(action="grant.revoke", unit=org.stc).exists()


def test_grant_form_errors_are_clear(org, client):
    client.force_login(org.user("hr"))
    body = client.post(
        "/org/units/STC/grants/",
        {"username": "ghost", "role": "auditor", "valid_from": "01/02/2026", "valid_to": "01/01/2026", "reason": ""},
    ).content.decode()
    assert "ghost" in body and UnitUserObjectPermission.objects.filter(user__username="ghost").count() == 0


def test_people_search_only_finds_visible_people(org, client):
    client.force_login(org.user("truongphong"))
    body = client.get("/org/people/", {"q": "Văn"}).content.decode()
    assert "Vũ Văn Hai" in body and "Hồ Văn Ngoài" not in body


@pytest.mark.parametrize(
    "query", ["đỗ giám đốc", "do giam doc", "ĐỖ GIÁM", "Do Giam Doc Y Te", "y te do", "  giam   doc  y  "]
)
def test_people_search_ignores_tone_marks_case_and_word_order(org, client, query):
    client.force_login(org.user("hr"))
    body = client.get("/org/people/", {"q": query}).content.decode()
    assert "Đỗ Giám Đốc Y Tế" in body and "Ngô Thị Nhân Sự" not in body


def test_people_search_by_employee_code_and_after_a_rename(org, client):
    from orgchart import services

    client.force_login(org.user("hr"))
    person = org.people["giamdoc_syt"]
    assert "Đỗ Giám Đốc Y Tế" in client.get("/org/people/", {"q": person.employee_code}).content.decode()
    services.person_upsert(
        employee_code=person.employee_code, full_name="Trịnh Đức Thắng", subject_group=person.subject_group, actor=None
    )
    assert "Trịnh Đức Thắng" in client.get("/org/people/", {"q": "trinh duc"}).content.decode()
    assert "Trịnh Đức Thắng" not in client.get("/org/people/", {"q": "do giam"}).content.decode()


def test_people_search_says_when_it_shows_only_the_first_rows(org, client):
    from tests.factories import assign, make_person

    for _ in range(51):
        assign(make_person("Nguyễn Văn Trùng"), org.stc_th)
    client.force_login(org.user("hr"))
    body = client.get("/org/people/", {"q": "trung"}).content.decode()
    assert body.count("Nguyễn Văn Trùng") == 50 and 'data-testid="more"' in body
    body = client.get("/org/people/", {"q": "giam doc y te"}).content.decode()
    assert 'data-testid="more"' not in body


def test_search_key_folds_vietnamese():
    from orgchart.models import search_key

    assert search_key("Đỗ Ngọc Ánh") == search_key("do ngoc anh") == search_key(" ĐỖ  NGỌC ÁNH ") == "do ngoc anh"
    assert search_key("Nguyễn Thị Hường") == "nguyen thi huong"


def _queries(client, url):
    client.get(url)  # warm caches (content types, session)
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx)


def test_unit_page_query_count_does_not_grow_with_members(org, client):
    from tests.factories import assign, make_person

    client.force_login(org.user("giamdoc"))
    before = _queries(client, "/org/units/STC-TH/")
    for _ in range(30):
        assign(make_person(), org.stc_th)
    assert _queries(client, "/org/units/STC-TH/") == before
