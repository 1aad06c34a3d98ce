"""Import files for the org-chart import tests: a small valid org chart and builders for xlsx/csv.

`good_csv/` holds the same data as `GOOD` as UTF-8 CSV files (with a BOM, as Excel writes them);
regenerate with `write_csvs(GOOD_CSV, GOOD)`.
"""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import date
from pathlib import Path

from openpyxl import Workbook

HERE = Path(__file__).parent
GOOD_CSV = HERE / "good_csv"

GOOD: dict[str, list[list]] = {
    "units": [
        [
            "code",
            "name",
            "short_name",
            "kind",
            "parent_code",
            "valid_from",
            "valid_to",
            "predecessor_codes",
            "succession_kind",
        ],
        ["HANOI", "Thành phố Hà Nội", "Hà Nội", "CITY", None, date(2008, 8, 1), None, None, None],
        ["SO-TC", "Sở Tài chính", "STC", "DEPARTMENT", "HANOI", date(2008, 8, 1), None, None, None],
        ["SO-TC-TH", "Phòng Tổng hợp", None, "DIVISION", "SO-TC", "01/01/2018", None, None, None],
        ["Q-HK", "Quận Hoàn Kiếm", None, "DISTRICT", "HANOI", "2008-08-01", "30/06/2025", None, None],
        [
            "Q-HK-TCKH",
            "Phòng Tài chính – Kế hoạch quận Hoàn Kiếm",
            None,
            "OFFICE",
            "Q-HK",
            "01/08/2008",
            "30/06/2025",
            None,
            None,
        ],
        ["P-HK", "Phường Hoàn Kiếm", None, "COMMUNE", "HANOI", "01/07/2025", None, "Q-HK", "TRANSFER"],
        [
            "P-HK-KT",
            "Phòng Kinh tế phường Hoàn Kiếm",
            None,
            "OFFICE",
            "P-HK",
            "01/07/2025",
            None,
            "Q-HK-TCKH",
            "transfer",
        ],
    ],
    "positions": [
        ["code", "title", "kind", "is_leader", "quarterly_rated"],
        ["GD-SO", "Giám đốc Sở", "HEAD", "x", None],
        ["TRUONG-PHONG", "Trưởng phòng", "HEAD", True, False],
        ["CHUYEN-VIEN", "Chuyên viên", "STAFF", "không", "0"],
        ["CT-XA", "Chủ tịch UBND phường", "HEAD", "có", "có"],
    ],
    "people": [
        ["employee_code", "full_name", "subject_group", "similar_task_group", "email", "username"],
        ["HN-0001", "Nguyễn Văn An", "CONG_CHUC", "Chuyên viên tài chính", "an.nv@example.vn", "an.nv"],
        ["HN-0002", "Trần Thị Bình", "công chức", None, None, None],
        ["HN-0003", "Lê Văn Cường", "CAN_BO", None, "cuong@example.vn", "cuong.lv"],
    ],
    "assignments": [
        ["employee_code", "unit_code", "position_code", "valid_from", "valid_to", "is_primary", "note"],
        ["HN-0001", "SO-TC-TH", "CHUYEN-VIEN", date(2018, 1, 1), None, 1, None],
        ["HN-0002", "SO-TC", "GD-SO", "01/01/2018", None, "1", None],
        ["HN-0003", "Q-HK-TCKH", "TRUONG-PHONG", "01/01/2020", "30/06/2025", "có", None],
        ["HN-0003", "P-HK", "CT-XA", "01/07/2025", None, None, None],
        ["HN-0001", "P-HK-KT", "CHUYEN-VIEN", "01/07/2025", None, 0, "Kiêm nhiệm"],
    ],
    "sector_links": [
        ["department_code", "office_code", "valid_from", "valid_to"],
        ["SO-TC", "Q-HK-TCKH", "01/08/2008", "30/06/2025"],
        ["SO-TC", "P-HK-KT", "01/07/2025", None],
    ],
}

GOOD_COUNTS = {
    "units": 7,
    "successions": 2,
    "positions": 4,
    "people": 3,
    "users": 2,
    "assignments": 5,
    "sector_links": 2,
}


def sheets(**changes) -> dict[str, list[list]]:
    """A deep copy of GOOD with whole sheets replaced: sheets(units=[...])."""
    data = {name: [list(row) for row in rows] for name, rows in GOOD.items()}
    data.update(changes)
    return data


def xlsx_bytes(data: dict[str, list[list]]) -> bytes:
    workbook = Workbook()
    workbook.remove(workbook.active)
    for name, rows in data.items():
        ws = workbook.create_sheet(name)
        for row in rows:
            ws.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def write_xlsx(path: Path, data: dict[str, list[list]]) -> Path:
    path.write_bytes(xlsx_bytes(data))
    return path


def _csv_value(value) -> str:
    if value is None:
        return ""
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    return str(value)


def csv_bytes(rows: list[list], *, bom: bool = True) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    for row in rows:
        writer.writerow([_csv_value(v) for v in row])
    return ("\ufeff" if bom else "").encode() + buffer.getvalue().encode()


def write_csvs(directory: Path, data: dict[str, list[list]]) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, rows in data.items():
        path = directory / f"{name}.csv"
        path.write_bytes(csv_bytes(rows))
        paths.append(path)
    return paths


def zip_bytes(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return buffer.getvalue()
