"""Write the org-chart import template: the five data sheets with headers and examples, plus a
sheet of instructions generated from the column definitions in `orgchart.bulk`.

    python manage.py make_import_template [--output fixtures/orgchart_import_template.xlsx]
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand

from orgchart.bulk import COLUMNS, SHEETS

DEFAULT_OUTPUT = Path(settings.BASE_DIR) / "fixtures" / "orgchart_import_template.xlsx"
FIXED_TIME = datetime(2025, 7, 1)  # fixed document properties, not the time of generation

# Example rows in the order of `COLUMNS[sheet]`; codes start with VD- ("ví dụ") so that they never
# collide with real data.
EXAMPLES: dict[str, list[tuple]] = {
    "units": [
        ("VD-HN", "Thành phố Ví Dụ", "TP Ví Dụ", "CITY", None, date(2008, 8, 1), None, None, None),
        ("VD-STC", "Sở Tài chính", "STC", "DEPARTMENT", "VD-HN", date(2008, 8, 1), None, None, None),
        ("VD-STC-VP", "Văn phòng Sở Tài chính", "VP", "DIVISION", "VD-STC", date(2008, 8, 1), None, None, None),
        ("VD-Q1", "Quận Ví Dụ", None, "DISTRICT", "VD-HN", date(2008, 8, 1), date(2025, 6, 30), None, None),
        (
            "VD-Q1-TCKH",
            "Phòng Tài chính – Kế hoạch quận Ví Dụ",
            "TC-KH",
            "OFFICE",
            "VD-Q1",
            date(2008, 8, 1),
            date(2025, 6, 30),
            None,
            None,
        ),
        ("VD-X1", "Phường Ví Dụ", None, "COMMUNE", "VD-HN", date(2025, 7, 1), None, "VD-Q1", "TRANSFER"),
        (
            "VD-X1-KT",
            "Phòng Kinh tế phường Ví Dụ",
            "KT",
            "OFFICE",
            "VD-X1",
            date(2025, 7, 1),
            None,
            "VD-Q1-TCKH",
            "TRANSFER",
        ),
    ],
    "positions": [
        ("VD-GD", "Giám đốc Sở", "HEAD", 1, 0),
        ("VD-CTX", "Chủ tịch UBND phường", "HEAD", 1, 1),
        ("VD-CV", "Chuyên viên", "STAFF", 0, 0),
    ],
    "people": [
        ("VD-0001", "Nguyễn Văn An", "CONG_CHUC", "Chuyên viên tài chính", "an.nv@example.vn", "vd.nguyenvanan"),
        ("VD-0002", "Trần Thị Bình", "CAN_BO", None, None, None),
        ("VD-0003", "Lê Văn Cường", "CONG_CHUC", "Lãnh đạo sở", "cuong.lv@example.vn", None),
    ],
    "assignments": [
        ("VD-0001", "VD-STC-VP", "VD-CV", date(2020, 3, 1), None, 1, None),
        ("VD-0001", "VD-X1-KT", "VD-CV", date(2025, 7, 1), date(2025, 12, 31), 0, "Kiêm nhiệm, hỗ trợ phường"),
        ("VD-0002", "VD-X1", "VD-CTX", date(2025, 7, 1), None, 1, None),
        ("VD-0003", "VD-STC", "VD-GD", date(2021, 1, 1), None, 1, None),
    ],
    "sector_links": [
        ("VD-STC", "VD-Q1-TCKH", date(2008, 8, 1), date(2025, 6, 30)),
        ("VD-STC", "VD-X1-KT", date(2025, 7, 1), None),
    ],
}

INSTRUCTIONS = [
    "Mẫu nhập sơ đồ tổ chức DanhGia",
    "",
    "Mỗi trang tính là một loại dữ liệu: units (đơn vị), positions (chức vụ), people (người), "
    "assignments (phân công), sector_links (liên kết ngành dọc). Dòng 1 là tên cột, giữ nguyên; "
    "dữ liệu bắt đầu từ dòng 2. Có thể bỏ trang không dùng. Các dòng VD-... là ví dụ: hãy xoá trước khi nhập.",
    "Ngày: dd/mm/yyyy (ví dụ 01/07/2025) hoặc ô định dạng ngày. Có/không: 1/0, x, có/không, true/false.",
    "Không dùng công thức: dán giá trị (Paste Special → Values). Mã chỉ gồm chữ không dấu, số và . _ -",
    "Nhập tất cả hoặc không gì cả: nếu có lỗi, hệ thống liệt kê mọi lỗi (trang, dòng, cột) và không ghi gì.",
    "Nhập lại cùng tệp không thay đổi gì. Cột vắng mặt: giữ nguyên dữ liệu đã có; ô trống: xoá giá trị.",
    "Không thể chuyển đơn vị đã có sang đơn vị cấp trên khác: hãy đóng đơn vị (valid_to) và tạo đơn vị kế thừa.",
    "",
]


class Command(BaseCommand):
    help = "Write the org-chart import template (xlsx) with example rows and instructions."

    def add_arguments(self, parser):
        parser.add_argument("--output", default=str(DEFAULT_OUTPUT), help="where to write the xlsx file")

    def handle(self, *args, output, **options):
        from openpyxl import Workbook
        from openpyxl.styles import Alignment, Font, PatternFill
        from openpyxl.utils import get_column_letter

        workbook = Workbook()
        guide = workbook.active
        guide.title = "huong_dan"
        for line in INSTRUCTIONS:
            guide.append([line])
        guide["A1"].font = Font(bold=True, size=14)
        guide.append(["Trang", "Cột", "Bắt buộc", "Ý nghĩa"])
        header_row = guide.max_row
        for sheet in SHEETS:
            for column in COLUMNS[sheet]:
                choices = f" Giá trị: {', '.join(column.choices)}." if column.choices and sheet != "people" else ""
                guide.append([sheet, column.name, "có" if column.value_required else "", column.help + choices])
        for cell in guide[header_row]:
            cell.font = Font(bold=True)
        for letter, width in zip("ABCD", (14, 20, 10, 110)):
            guide.column_dimensions[letter].width = width
        for row in guide.iter_rows(min_row=header_row + 1):
            row[3].alignment = Alignment(wrap_text=True, vertical="top")

        header_fill = PatternFill("solid", fgColor="F2DCDB")
        for sheet in SHEETS:
            ws = workbook.create_sheet(sheet)
            columns = COLUMNS[sheet]
            ws.append([c.name for c in columns])
            for cell, column in zip(ws[1], columns):
                cell.font = Font(bold=column.required)
                cell.fill = header_fill
            for example in EXAMPLES[sheet]:
                ws.append(list(example))
            for index, column in enumerate(columns, start=1):
                letter = get_column_letter(index)
                ws.column_dimensions[letter].width = 14 if column.kind in ("date", "bool") else 24
                if column.kind == "date":
                    for (cell,) in ws.iter_rows(min_row=2, min_col=index, max_col=index):
                        cell.number_format = "DD/MM/YYYY"
                elif column.kind != "bool":
                    for (cell,) in ws.iter_rows(min_row=2, max_row=1000, min_col=index, max_col=index):
                        cell.number_format = "@"  # text: keeps leading zeros of codes
            ws.freeze_panes = "A2"

        workbook.properties.creator = "DanhGia"
        workbook.properties.created = FIXED_TIME
        workbook.properties.modified = FIXED_TIME
        output = Path(output)
        output.parent.mkdir(parents=True, exist_ok=True)
        workbook.save(output)
        self.stdout.write(f"Wrote {output}")
