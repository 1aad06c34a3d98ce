"""The HR import page: only HR officers of a whole tree; errors by row in Vietnamese; all or nothing."""

from __future__ import annotations

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings

from orgchart.models import AuditEvent, OrgUnit, Person
from tests.orgchart.import_files import GOOD, csv_bytes, sheets, xlsx_bytes

URL = "/org/import/"
TEMPLATE_URL = "/org/import/template.xlsx"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def upload(name: str, content: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=XLSX if name.endswith(".xlsx") else "text/csv")


def test_page_and_template_are_404_for_anyone_but_a_tree_hr_officer(org, client):
    for persona in ("nhanvien", "giamdoc", "chutich", "auditor", "outsider_nobody"):
        client.force_login(org.user(persona))
        assert client.get(URL).status_code == 404, persona
        assert client.get(TEMPLATE_URL).status_code == 404, persona
        response = client.post(URL, {"files": upload("orgchart.xlsx", xlsx_bytes(GOOD))})
        assert response.status_code == 404, persona
    assert not OrgUnit.objects.filter(code="HANOI").exists()


def test_anonymous_users_are_sent_to_login(db, client):
    response = client.get(URL)
    assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_hr_officer_sees_the_form_and_the_menu_link(org, client):
    client.force_login(org.user("hr"))
    body = client.get(URL).content.decode()
    assert 'type="file"' in body and 'name="dry_run"' in body
    assert TEMPLATE_URL in body
    assert f'href="{URL}"' in body  # the header menu


def test_template_download(org, client):
    client.force_login(org.user("hr"))
    response = client.get(TEMPLATE_URL)
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    assert b"".join(response.streaming_content).startswith(b"PK")


def test_good_upload_shows_the_summary(org, client):
    client.force_login(org.user("hr"))
    response = client.post(URL, {"files": upload("orgchart.xlsx", xlsx_bytes(GOOD))})
    assert response.status_code == 200
    body = response.content.decode()
    assert 'data-testid="import-report"' in body and "Đơn vị" in body
    assert OrgUnit.objects.filter(code="HANOI").exists()
    assert AuditEvent.objects.get(action="import.run").actor == org.user("hr")


def test_several_csv_files_at_once(org, client):
    client.force_login(org.user("hr"))
    files = [upload(f"{name}.csv", csv_bytes(rows)) for name, rows in GOOD.items()]
    response = client.post(URL, {"files": files})
    assert 'data-testid="import-report"' in response.content.decode()
    assert Person.objects.filter(employee_code__startswith="HN-").count() == 3


def test_bad_rows_are_listed_with_row_numbers_in_vietnamese_and_nothing_is_saved(org, client):
    data = sheets()
    data["units"][3][4] = "KHONG-CO"
    data["assignments"][2][3] = "32/01/2018"
    client.force_login(org.user("hr"))
    units_before, audit_before = OrgUnit.objects.count(), AuditEvent.objects.count()
    response = client.post(URL, {"files": upload("orgchart.xlsx", xlsx_bytes(data))})
    body = response.content.decode()
    assert 'data-testid="import-errors"' in body
    assert "<td>units</td><td>4</td><td>parent_code</td>" in body
    assert "Không tìm thấy đơn vị cấp trên “KHONG-CO” (trong tệp hoặc trong hệ thống)." in body
    assert "<td>assignments</td><td>3</td><td>valid_from</td>" in body
    assert "“32/01/2018” không phải ngày có thật." in body
    assert OrgUnit.objects.count() == units_before and AuditEvent.objects.count() == audit_before


def test_dry_run_checks_and_saves_nothing(org, client):
    client.force_login(org.user("hr"))
    response = client.post(URL, {"files": upload("orgchart.xlsx", xlsx_bytes(GOOD)), "dry_run": "on"})
    assert 'data-testid="import-report"' in response.content.decode()
    assert not OrgUnit.objects.filter(code="HANOI").exists()


def test_an_empty_file_is_refused_with_a_clear_message(org, client):
    client.force_login(org.user("hr"))
    body = client.post(URL, {"files": upload("people.csv", b"")}).content.decode()
    assert "Tệp rỗng (0 byte)." in body


def test_a_non_utf8_csv_is_refused_with_a_clear_message(org, client):
    client.force_login(org.user("hr"))
    content = "code,title,kind\nCV,Chuyên viên,STAFF\n".encode("cp1258")
    body = client.post(URL, {"files": upload("positions.csv", content)}).content.decode()
    assert "không phải mã UTF-8" in body


@override_settings(ORGCHART_IMPORT_MAX_BYTES=2000)
def test_a_file_over_the_limit_is_refused(org, client):
    client.force_login(org.user("hr"))
    body = client.post(URL, {"files": upload("orgchart.xlsx", xlsx_bytes(GOOD))}).content.decode()
    assert "Tệp quá lớn" in body


def test_no_file_is_a_form_error(org, client):
    client.force_login(org.user("hr"))
    response = client.post(URL, {})
    assert response.status_code == 200
    assert 'class="errorlist' in response.content.decode()
