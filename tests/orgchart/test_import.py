"""The all-or-nothing org-chart import: files, validation, bulk writes, idempotency, audit."""

from __future__ import annotations

import io
import re
import unicodedata
import zipfile
from datetime import date
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import override_settings

from orgchart import access, selectors
from orgchart.bulk import ImportFailed, OrgChartData, Row, load_orgchart
from orgchart.importer import read_files, read_paths
from orgchart.models import (
    Assignment,
    AuditEvent,
    OrgUnit,
    Person,
    Position,
    SectorLink,
    UnitSuccession,
)
from tests.orgchart.import_files import (
    GOOD,
    GOOD_COUNTS,
    GOOD_CSV,
    csv_bytes,
    sheets,
    write_xlsx,
    xlsx_bytes,
    zip_bytes,
)

pytestmark = pytest.mark.django_db

MODELS = (OrgUnit, UnitSuccession, Position, Person, Assignment, SectorLink, AuditEvent, get_user_model())


def counts() -> dict[str, int]:
    return {m.__name__: m.objects.count() for m in MODELS}


def load_xlsx(tmp_path: Path, data=None, **kwargs):
    path = write_xlsx(tmp_path / "orgchart.xlsx", data or GOOD)
    return load_orgchart(read_paths([path]), actor=None, source=path.name, **kwargs)


def errors_of(tmp_path: Path, data) -> list[str]:
    with pytest.raises(ImportFailed) as failed:
        load_xlsx(tmp_path, data)
    return [str(e) for e in failed.value.errors]


def read(name: str, content: bytes):
    return read_files([(name, io.BytesIO(content))])


def assert_tree_sound():
    assert OrgUnit.objects.find_problems() == ([], [], [], [], [])


def parent_code(code: str) -> str:
    return OrgUnit.objects.get_parent(OrgUnit.objects.get(code=code)).code


# --- Good files ---------------------------------------------------------------------------------


def test_good_xlsx_loads_everything(tmp_path):
    report = load_xlsx(tmp_path)

    assert report.created == GOOD_COUNTS
    assert sum(report.updated.values()) == 0
    assert_tree_sound()
    assert parent_code("P-HK-KT") == "P-HK" and parent_code("P-HK") == "HANOI"
    assert OrgUnit.objects.get(code="HANOI").numchild == 3
    assert OrgUnit.objects.get(code="Q-HK").valid_to == date(2025, 6, 30)
    assert {(s.predecessor.code, s.successor.code, s.kind, s.effective_on) for s in UnitSuccession.objects.all()} == {
        ("Q-HK", "P-HK", "TRANSFER", date(2025, 7, 1)),
        ("Q-HK-TCKH", "P-HK-KT", "TRANSFER", date(2025, 7, 1)),
    }
    head = Position.objects.get(code="CT-XA")
    assert head.is_leader and head.quarterly_rated and head.kind == "HEAD"
    assert not Position.objects.get(code="CHUYEN-VIEN").is_leader
    assert Person.objects.get(employee_code="HN-0002").subject_group == "CONG_CHUC"  # "công chức" accepted

    an = Person.objects.get(employee_code="HN-0001")
    assert an.search_name == "nguyen van an"  # the bulk path folds the name for search too
    assert an.user.username == "an.nv" and not an.user.has_usable_password()
    assert an.user.email == "an.nv@example.vn"
    concurrent = Assignment.objects.get(person=an, unit__code="P-HK-KT")
    assert not concurrent.is_primary and concurrent.note == "Kiêm nhiệm"
    assert access.primary_assignment(an, date(2025, 8, 1)).unit.code == "SO-TC-TH"
    chairman = Person.objects.get(employee_code="HN-0003")
    assert access.primary_assignment(chairman, date(2025, 8, 1)).unit.code == "P-HK"
    assert SectorLink.objects.get(office__code="P-HK-KT").department.code == "SO-TC"


def test_the_dated_tree_works_on_imported_units(tmp_path):
    load_xlsx(tmp_path)
    city = OrgUnit.objects.get(code="HANOI")
    assert {u.code for u in selectors.unit_children(unit=city, as_of=date(2025, 6, 30))} == {"SO-TC", "Q-HK"}
    assert {u.code for u in selectors.unit_children(unit=city, as_of=date(2025, 7, 1))} == {"SO-TC", "P-HK"}


def test_every_change_is_audited_on_its_unit_and_person(tmp_path):
    load_xlsx(tmp_path)
    unit = OrgUnit.objects.get(code="SO-TC-TH")
    person = Person.objects.get(employee_code="HN-0001")
    assert {e.action for e in selectors.unit_history(unit=unit)} == {"import.unit.create", "import.assignment.create"}
    assert {e.action for e in selectors.person_history(person=person)} == {
        "import.person.create",
        "import.assignment.create",
    }
    assert AuditEvent.objects.filter(action="import.position.create").count() == 4
    assert AuditEvent.objects.filter(action="import.sector_link.create", unit__code="P-HK-KT").count() == 1
    summary = AuditEvent.objects.get(action="import.run")
    assert summary.object_id == "orgchart.xlsx" and "Đơn vị: +7" in summary.summary
    assert summary.changes["created"][1]["people"] == 3


def test_names_are_stored_nfc(tmp_path):
    decomposed = unicodedata.normalize("NFD", "Nguyễn  Văn   An ")
    data = sheets()
    data["people"][1][1] = decomposed
    load_xlsx(tmp_path, data)
    assert Person.objects.get(employee_code="HN-0001").full_name == "Nguyễn Văn An"


def test_good_csv_files_load_through_the_command(capsys):
    paths = sorted(str(p) for p in GOOD_CSV.glob("*.csv"))
    call_command("import_orgchart", *paths)
    out = capsys.readouterr().out
    assert "Nhập xong" in out
    assert OrgUnit.objects.count() == 7 and Assignment.objects.count() == 5
    assert_tree_sound()


def test_a_zip_of_csv_files_loads():
    files = {f"orgchart/{p.name}": p.read_bytes() for p in GOOD_CSV.glob("*.csv")}
    report = load_orgchart(read("orgchart.zip", zip_bytes(files)), actor=None)
    assert report.created == GOOD_COUNTS


def test_csv_with_semicolons_and_without_bom():
    content = csv_bytes(GOOD["positions"], bom=False).decode().replace(",", ";").encode()
    data = read("positions.csv", content)
    assert [r.values["code"] for r in data.positions] == ["GD-SO", "TRUONG-PHONG", "CHUYEN-VIEN", "CT-XA"]


def test_the_template_file_imports_cleanly():
    template = Path(settings.BASE_DIR) / "fixtures" / "orgchart_import_template.xlsx"
    report = load_orgchart(read_paths([template]), actor=None)
    assert report.created["units"] == 7 and report.created["assignments"] == 4
    assert_tree_sound()


def test_make_import_template_writes_the_same_template(tmp_path):
    output = tmp_path / "template.xlsx"
    call_command("make_import_template", output=str(output), stdout=io.StringIO())
    report = load_orgchart(read_paths([output]), actor=None, dry_run=True)
    assert report.created["people"] == 3 and report.dry_run


# --- Idempotency and updates ---------------------------------------------------------------------


def test_importing_the_same_file_twice_changes_nothing(tmp_path):
    load_xlsx(tmp_path)
    before = counts()
    report = load_xlsx(tmp_path)
    assert sum(report.created.values()) == sum(report.updated.values()) == 0
    assert report.unchanged == GOOD_COUNTS
    assert counts() == before  # no new audit rows either


def test_a_second_file_updates_what_changed(tmp_path):
    load_xlsx(tmp_path)
    data = sheets()
    data["units"][1][1] = "Thành phố Hà Nội (mới)"
    data["assignments"][1][4] = "31/12/2024"  # HN-0001 leaves SO-TC-TH
    report = load_xlsx(tmp_path, data)
    assert report.updated["units"] == 1 and report.updated["assignments"] == 1
    assert report.unchanged["units"] == 6
    event = AuditEvent.objects.get(action="import.unit.update")
    assert event.unit.code == "HANOI" and event.changes["name"] == ["Thành phố Hà Nội", "Thành phố Hà Nội (mới)"]
    change = AuditEvent.objects.get(action="import.assignment.update")
    assert change.person.employee_code == "HN-0001" and change.changes["valid_to"] == [None, "2024-12-31"]


def test_a_renamed_person_is_found_by_the_new_name(tmp_path):
    load_xlsx(tmp_path)
    data = sheets()
    row = next(r for r in data["people"] if r[0] == "HN-0001")
    row[1] = "Đặng Thị Ánh"
    report = load_xlsx(tmp_path, data)
    assert report.updated["people"] == 1
    assert Person.objects.get(employee_code="HN-0001").search_name == "dang thi anh"


def test_an_absent_optional_column_leaves_fields_unchanged(tmp_path):
    load_xlsx(tmp_path)
    people = [row[:3] for row in GOOD["people"]]  # no similar_task_group, email, username columns
    report = load_orgchart(OrgChartData(people=_rows("people", people)), actor=None)
    assert report.unchanged["people"] == 3
    assert Person.objects.get(employee_code="HN-0001").email == "an.nv@example.vn"


def _rows(sheet: str, table: list[list]) -> list[Row]:
    header, *body = table
    return [Row(sheet, n, dict(zip(header, values))) for n, values in enumerate(body, start=2)]


def test_new_units_go_after_existing_children_and_reference_existing_rows(org):
    units = [
        GOOD["units"][0],
        ["STC-NEW", "Phòng Mới", None, "DIVISION", "STC", "01/01/2024", None, None, None],
        ["STC-NEW-T1", "Tổ Một", None, "TEAM", "STC-NEW", "01/01/2024", None, None, None],
    ]
    assignments = [
        GOOD["assignments"][0],
        [org.people["nhanvien2"].employee_code, "STC-NEW", "CV", "01/01/2024", None, 0, None],
    ]
    data = OrgChartData(units=_rows("units", units), assignments=_rows("assignments", assignments))
    report = load_orgchart(data, actor=org.user("hr"))

    assert report.created["units"] == 2 and report.created["assignments"] == 1
    assert_tree_sound()
    stc = OrgUnit.objects.get(code="STC")
    assert stc.numchild == 3
    assert [u.code for u in OrgUnit.objects.get_children(stc)] == ["STC-TH", "STC-KH", "STC-NEW"]
    assert parent_code("STC-NEW-T1") == "STC-NEW"
    assert AuditEvent.objects.filter(action="import.run", actor=org.user("hr")).exists()


def test_seeder_rows_with_python_values(org):
    """The demo seeder passes dates and booleans as Python objects."""
    data = OrgChartData(
        positions=[Row("positions", 1, {"code": "PCT", "title": "Phó Chủ tịch", "kind": "DEPUTY", "is_leader": True})],
        units=[
            Row(
                "units",
                1,
                {
                    "code": "X-1",
                    "name": "Xã Một",
                    "kind": "COMMUNE",
                    "parent_code": "HN",
                    "valid_from": date(2025, 7, 1),
                },
            )
        ],
    )
    report = load_orgchart(data, actor=None)
    assert report.created["positions"] == report.created["units"] == 1
    assert Position.objects.get(code="PCT").is_leader


# --- Refusals: the whole file ---------------------------------------------------------------------


def test_zero_byte_file_is_refused():
    with pytest.raises(ImportFailed) as failed:
        read("units.csv", b"")
    assert str(failed.value.errors[0]) == "units.csv: Tệp rỗng (0 byte)."


def test_unknown_extension_is_refused():
    with pytest.raises(ImportFailed) as failed:
        read("orgchart.xls", b"\xd0\xcf\x11\xe0")
    assert ".xlsx" in failed.value.errors[0].message


def test_non_utf8_csv_names_the_file_and_suggests_utf8():
    content = "code,title,kind\nCV,Chuyên viên,STAFF\n".encode("cp1258")
    with pytest.raises(ImportFailed) as failed:
        read("positions.csv", content)
    (error,) = failed.value.errors
    assert error.sheet == "positions.csv" and "UTF-8" in error.message and "dòng 2" in error.message


def test_csv_named_after_no_sheet_is_refused():
    with pytest.raises(ImportFailed) as failed:
        read("nhan_su.csv", csv_bytes(GOOD["people"]))
    assert "people.csv" in failed.value.errors[0].message


@override_settings(ORGCHART_IMPORT_MAX_BYTES=1000)
def test_file_over_the_size_limit_is_refused_before_parsing():
    with pytest.raises(ImportFailed) as failed:
        read("orgchart.xlsx", b"x" * 1001)  # not even a workbook: never opened
    assert "quá lớn" in failed.value.errors[0].message


@override_settings(ORGCHART_IMPORT_MAX_ROWS=5)
def test_row_limit_stops_reading():
    with pytest.raises(ImportFailed) as failed:
        read("orgchart.xlsx", xlsx_bytes(GOOD))
    (error,) = failed.value.errors
    assert error.sheet == "units" and error.row == 7 and "5 dòng" in error.message


@override_settings(ORGCHART_IMPORT_MAX_ROWS=5)
def test_row_limit_ignores_declared_dimensions():
    content = xlsx_bytes({"people": [GOOD["people"][0]] + [[f"HN-{i:04d}", "Tên", "CAN_BO"] for i in range(10)]})
    content = _rewrite_dimension(content, "A1:A1")  # the workbook claims to hold one cell
    with pytest.raises(ImportFailed) as failed:
        read("orgchart.xlsx", content)
    assert "5 dòng" in failed.value.errors[0].message


def test_declared_dimensions_that_lie_do_not_hide_rows():
    content = _rewrite_dimension(xlsx_bytes({"positions": GOOD["positions"]}), "A1:B2")
    assert len(read("orgchart.xlsx", content).positions) == 4


def _rewrite_dimension(content: bytes, ref: str) -> bytes:
    source, target = zipfile.ZipFile(io.BytesIO(content)), io.BytesIO()
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as out:
        for item in source.infolist():
            data = source.read(item)
            if item.filename.startswith("xl/worksheets/sheet"):
                data = re.sub(rb'<dimension ref="[^"]*"', b'<dimension ref="' + ref.encode() + b'"', data)
            out.writestr(item, data)
    return target.getvalue()


def test_unknown_sheet_is_an_error_but_instructions_are_ignored():
    data = {"huong_dan": [["Hướng dẫn"]], "Nguoi": [["x"]], "positions": GOOD["positions"]}
    with pytest.raises(ImportFailed) as failed:
        read("orgchart.xlsx", xlsx_bytes(data))
    assert [e.message for e in failed.value.errors][0].startswith("Trang tính “Nguoi” không được hỗ trợ")


def test_a_corrupt_workbook_is_refused():
    with pytest.raises(ImportFailed) as failed:
        read("orgchart.xlsx", b"PK\x03\x04 this is not a workbook")
    assert "hỏng" in failed.value.errors[0].message


# --- Refusals: rows --------------------------------------------------------------------------------


def test_wrong_columns_are_whole_sheet_errors(tmp_path):
    units = [row[:3] + row[4:] for row in GOOD["units"]]  # no "kind"
    units[0][0] = "code"
    positions = [[*row, "x"] for row in GOOD["positions"]]
    positions[0][-1] = "ghi_chu"
    errors = errors_of(tmp_path, sheets(units=units, positions=positions))
    assert errors == [
        "units:1:kind: Thiếu cột bắt buộc “kind”.",
        "positions:1:ghi_chu: Cột “ghi_chu” không được hỗ trợ; các cột hợp lệ: code, title, kind, is_leader, "
        "quarterly_rated.",
    ]


def test_duplicate_codes_are_reported_on_the_second_row(tmp_path):
    data = sheets()
    data["positions"].append(["GD-SO", "Giám đốc", "HEAD", 1, 0])
    data["assignments"].append(list(GOOD["assignments"][1]))
    errors = errors_of(tmp_path, data)
    assert "positions:6:code: Mã “GD-SO” bị trùng với dòng 2." in errors
    assert any(e.startswith("assignments:7:employee_code: Trùng với dòng 2") for e in errors)


def test_a_cycle_in_the_tree_is_reported_on_each_member(tmp_path):
    data = sheets()
    data["units"] += [
        ["C-A", "Đơn vị A", None, "DIVISION", "C-B", "01/01/2020", None, None, None],
        ["C-B", "Đơn vị B", None, "DIVISION", "C-A", "01/01/2020", None, None, None],
        ["C-C", "Đơn vị C", None, "DIVISION", "C-C", "01/01/2020", None, None, None],
    ]
    errors = errors_of(tmp_path, data)
    assert errors == [
        "units:9:parent_code: Vòng lặp đơn vị cấp trên: C-A → C-B → C-A.",
        "units:10:parent_code: Vòng lặp đơn vị cấp trên: C-A → C-B → C-A.",
        "units:11:parent_code: Vòng lặp đơn vị cấp trên: C-C → C-C.",
    ]


def test_dates_bad_and_out_of_order(tmp_path):
    data = sheets()
    data["units"][2][5] = "2007-01-01"  # SO-TC starts before its parent HANOI
    data["units"][3][5] = "31/02/2018"  # SO-TC-TH: no such day
    data["units"][4][6] = "01/01/2000"  # Q-HK ends before it starts
    data["sector_links"][1][2] = "1/8/08"
    errors = errors_of(tmp_path, data)
    assert "units:4:valid_from: “31/02/2018” không phải ngày có thật." in errors
    assert "units:5:valid_to: Ngày kết thúc 01/01/2000 trước ngày bắt đầu 01/08/2008." in errors
    assert any(e.startswith("units:3:valid_from: Đơn vị có hiệu lực 01/01/2007–…, nằm ngoài") for e in errors)
    assert any(e.startswith("sector_links:2:valid_from: “1/8/08” không phải ngày hợp lệ") for e in errors)


def test_a_child_outliving_its_parent_is_refused(tmp_path):
    data = sheets()
    data["units"][5][6] = None  # Q-HK-TCKH open-ended under a district that closes on 30/06/2025
    errors = errors_of(tmp_path, data)
    assert errors[0].startswith("units:6:valid_to: Đơn vị có hiệu lực 01/08/2008–…, nằm ngoài thời gian hiệu lực")


def test_closing_a_unit_with_open_children_in_the_database_is_refused(org, tmp_path):
    units = [
        GOOD["units"][0],
        ["STC", "Sở Tài chính", None, "DEPARTMENT", "HN", "01/01/2018", "30/06/2025", None, None],
    ]
    with pytest.raises(ImportFailed) as failed:
        load_orgchart(OrgChartData(units=_rows("units", units)), actor=None)
    messages = [e.message for e in failed.value.errors]
    assert any("Đơn vị con “STC-TH” (đã có" in m for m in messages)


def test_moving_an_existing_unit_is_refused(org):
    units = [
        ["code", "name", "kind", "parent_code", "valid_from"],
        ["STC-TH", "Phòng Tổng hợp", "DIVISION", "SYT", "01/01/2018"],
    ]
    with pytest.raises(ImportFailed) as failed:
        load_orgchart(OrgChartData(units=_rows("units", units)), actor=None)
    (error,) = failed.value.errors
    assert error.column == "parent_code" and "không được chuyển đơn vị" in error.message


def test_formula_cells_are_refused(tmp_path):
    data = sheets()
    data["people"][2][1] = '=CONCATENATE("Trần ","Bình")'
    errors = errors_of(tmp_path, data)
    assert errors == [
        'people:3:full_name: Ô chứa công thức (=CONCATENATE("Trần ","Bình")); hãy dán giá trị '
        "(Paste Special → Values) thay cho công thức."
    ]


def test_unknown_kinds_values_and_references(tmp_path):
    data = sheets()
    data["units"][2][3] = "SO"  # unknown kind
    data["people"][1][2] = "BIEN_CHE"  # unknown subject group
    data["people"][2][4] = "not-an-email"
    data["positions"][1][3] = "maybe"
    data["assignments"].append(["HN-9999", "NOWHERE", "NO-POS", "01/01/2020", None, 0, None])
    data["sector_links"].append(["P-HK-KT", "P-HK-KT", "01/08/2025", None])
    data["units"].append(["U-X", "Đơn vị X", None, "DIVISION", "MISSING", "01/01/2020", None, "GONE", "MERGE"])
    errors = errors_of(tmp_path, data)
    expected_starts = [
        "units:3:kind: “SO” không hợp lệ; chọn một trong: CITY, PARTY, DEPARTMENT,",
        "units:9:parent_code: Không tìm thấy đơn vị cấp trên “MISSING”",
        "units:9:predecessor_codes: Không tìm thấy đơn vị tiền thân “GONE”.",
        "positions:2:is_leader: “maybe” không phải giá trị có/không",
        "people:2:subject_group: “BIEN_CHE” không hợp lệ",
        "people:3:email: “not-an-email” không phải địa chỉ thư điện tử hợp lệ.",
        "assignments:7:employee_code: Không tìm thấy người có mã “HN-9999”",
        "assignments:7:unit_code: Không tìm thấy đơn vị “NOWHERE”.",
        "assignments:7:position_code: Không tìm thấy chức vụ “NO-POS”.",
        "sector_links:4:office_code: Sở và phòng chuyên môn phải là hai đơn vị khác nhau.",
    ]
    for start in expected_starts:
        assert any(e.startswith(start) for e in errors), start


def test_missing_values_and_over_long_values(tmp_path):
    data = sheets()
    data["units"][1][1] = None
    data["people"][1][1] = "A" * 256
    data["units"][2][0] = "SỞ TC"
    errors = errors_of(tmp_path, data)
    assert "units:2:name: Thiếu giá trị bắt buộc." in errors
    assert "people:2:full_name: Quá dài (256 ký tự, tối đa 255)." in errors
    assert any(e.startswith("units:3:code: Mã “SỞ TC” chỉ được gồm") for e in errors)


def test_overlapping_primary_assignments_in_the_file(tmp_path):
    data = sheets()
    data["assignments"].append(["HN-0001", "SO-TC", "CHUYEN-VIEN", "01/06/2024", None, 1, None])
    errors = errors_of(tmp_path, data)
    assert errors == [
        "assignments:7:valid_from: Người “HN-0001” đã có phân công chính tại “SO-TC-TH” 01/01/2018–… (dòng 2) "
        "trùng thời gian; hãy kết thúc phân công đó trước hoặc ghi is_primary = 0 (kiêm nhiệm)."
    ]


def test_overlapping_primary_assignment_in_the_database(org):
    nhanvien = org.people["nhanvien"]
    assignments = [
        GOOD["assignments"][0],
        [nhanvien.employee_code, "STC-KH", "CV", "01/03/2024", None, 1, None],
        [nhanvien.employee_code, "STC-KH", "TRUONG", "01/04/2024", None, 0, "kiêm nhiệm: allowed"],
    ]
    with pytest.raises(ImportFailed) as failed:
        load_orgchart(OrgChartData(assignments=_rows("assignments", assignments)), actor=None)
    (error,) = failed.value.errors
    assert error.row == 2 and "“STC-TH” 01/01/2018–… (đã có trong hệ thống)" in error.message


def test_ending_the_old_primary_in_the_same_file_allows_the_new_one(org):
    nhanvien = org.people["nhanvien"]
    assignments = [
        GOOD["assignments"][0],
        [nhanvien.employee_code, "STC-TH", "CV", "01/01/2018", "29/02/2024", 1, None],
        [nhanvien.employee_code, "STC-KH", "CV", "01/03/2024", None, 1, None],
    ]
    report = load_orgchart(OrgChartData(assignments=_rows("assignments", assignments)), actor=None)
    assert report.updated["assignments"] == 1 and report.created["assignments"] == 1
    assert access.primary_assignment(nhanvien, date(2024, 3, 1)).unit.code == "STC-KH"


def test_a_username_linked_to_another_person_is_refused(org, tmp_path):
    data = sheets()
    data["people"][1][5] = "nhanvien"  # the persona's account
    data["people"][2][5] = "an.nv"
    data["people"][3][5] = "an.nv"
    errors = errors_of(tmp_path, data)
    assert errors[0].startswith("people:2:username: Tên đăng nhập “nhanvien” đã gắn với người khác (mã NV")
    assert errors[1] == "people:4:username: Tên đăng nhập “an.nv” đã dùng ở dòng 3."


def test_an_existing_unlinked_account_is_linked(org, tmp_path):
    data = sheets()
    data["people"][1][5] = "nobody"
    load_xlsx(tmp_path, data)
    assert Person.objects.get(employee_code="HN-0001").user.username == "nobody"


# --- All or nothing ------------------------------------------------------------------------------------


def test_an_error_in_the_last_sheet_leaves_the_database_exactly_as_before(org, tmp_path):
    data = sheets()
    data["sector_links"][2][0] = "UNKNOWN-DEPT"
    before = counts()
    errors = errors_of(tmp_path, data)
    assert errors == ["sector_links:3:department_code: Không tìm thấy đơn vị “UNKNOWN-DEPT”."]
    assert counts() == before


def test_dry_run_writes_nothing(tmp_path):
    before = counts()
    report = load_xlsx(tmp_path, dry_run=True)
    assert report.dry_run and report.created == GOOD_COUNTS
    assert counts() == before


def test_errors_from_every_sheet_are_collected_at_once(tmp_path):
    data = sheets()
    data["units"][1][3] = "TOWN"
    data["positions"][1][2] = "BOSS"
    data["people"][1][2] = "X"
    data["assignments"][1][3] = "yesterday"
    data["sector_links"][1][3] = "01/01/2000"
    errors = errors_of(tmp_path, data)
    assert [e.split(":")[0] for e in errors] == ["units", "positions", "people", "assignments", "sector_links"]


# --- The command -----------------------------------------------------------------------------------


def test_command_prints_every_error_and_exits_non_zero(tmp_path, capsys):
    data = sheets()
    data["units"][2][4] = "NOPE"
    path = write_xlsx(tmp_path / "bad.xlsx", data)
    with pytest.raises(CommandError) as failed:
        call_command("import_orgchart", str(path))
    assert failed.value.returncode == 1
    err = capsys.readouterr().err
    assert "units:3:parent_code: Không tìm thấy đơn vị cấp trên “NOPE”" in err
    assert OrgUnit.objects.count() == 0


def test_command_dry_run_and_actor(org, tmp_path, capsys):
    path = write_xlsx(tmp_path / "orgchart.xlsx", GOOD)
    call_command("import_orgchart", str(path), "--dry-run", "--actor", "hr")
    assert "Kiểm tra xong" in capsys.readouterr().out
    assert not OrgUnit.objects.filter(code="HANOI").exists()
    call_command("import_orgchart", str(path), "--actor", "hr")
    assert AuditEvent.objects.get(action="import.run").actor.username == "hr"
    with pytest.raises(CommandError):
        call_command("import_orgchart", str(path), "--actor", "no-such-user")


def test_large_files_read_whole_tables_instead_of_in_lookups(org, tmp_path, monkeypatch):
    """Past `MANY_KEYS` keys the loader scans tables once; the result must be the same."""
    monkeypatch.setattr("orgchart.bulk.MANY_KEYS", 0)
    load_xlsx(tmp_path)
    assert load_xlsx(tmp_path).unchanged == GOOD_COUNTS
    data = sheets()
    data["people"][1][5] = "nhanvien"
    data["assignments"].append(["HN-0001", "SO-TC", "CHUYEN-VIEN", "01/06/2024", None, 1, None])
    errors = errors_of(tmp_path, data)
    assert errors[0].startswith("people:2:username: Tên đăng nhập “nhanvien” đã gắn với người khác")
    assert errors[1].startswith("assignments:7:valid_from: Người “HN-0001” đã có phân công chính tại “SO-TC-TH”")
