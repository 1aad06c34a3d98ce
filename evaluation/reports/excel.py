"""Excel versions of the report lists (openpyxl, write-only): real numbers and dates, not text.

Each sheet has one header row (frozen with the number and name columns), ints for counts, floats
with the `0.00` format for scores and percentages, and dates with `dd/mm/yyyy`. Write-only mode
streams rows, so a whole city's list stays small in memory.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font

from evaluation.reports.annual import AnnualList, MonthlySheet, QuarterlySheet

INT, SCORE, TEXT, DATE = "int", "score", "text", "date"
FORMATS = {INT: "0", SCORE: "0.00", DATE: "dd/mm/yyyy", TEXT: "@"}
WIDTHS = {INT: 8, SCORE: 10, DATE: 12, TEXT: 24}
HEADER_FONT = Font(bold=True)
HEADER_ALIGN = Alignment(wrap_text=True, vertical="center", horizontal="center")


@dataclass(frozen=True)
class Column:
    header: str
    kind: str = TEXT
    width: float | None = None


@dataclass
class Sheet:
    title: str
    columns: list[Column]
    rows: Iterable[Iterable[Any]]
    freeze: str | None = "C2"


def _value(value: Any, kind: str) -> Any:
    if value is None or value == "":
        return None
    if kind == SCORE:
        return float(value)
    if kind == INT:
        return int(value)
    if kind == DATE:
        return value if isinstance(value, date) else None
    return str(value)


def write_workbook(path: Path | str, sheets: list[Sheet]) -> None:
    wb = Workbook(write_only=True)
    for spec in sheets:
        ws = wb.create_sheet(spec.title[:31])
        for i, column in enumerate(spec.columns):
            letter = _column_letter(i + 1)
            ws.column_dimensions[letter].width = column.width or WIDTHS[column.kind]
        if spec.freeze:
            ws.freeze_panes = spec.freeze
        header = []
        for column in spec.columns:
            cell = WriteOnlyCell(ws, column.header)
            cell.font = HEADER_FONT
            cell.alignment = HEADER_ALIGN
            header.append(cell)
        ws.append(header)
        for row in spec.rows:
            cells = []
            for column, value in zip(spec.columns, row, strict=True):
                cell = WriteOnlyCell(ws, _value(value, column.kind))
                if column.kind != TEXT:
                    cell.number_format = FORMATS[column.kind]
                cells.append(cell)
            ws.append(cells)
    wb.save(str(path))


def _column_letter(n: int) -> str:
    letters = ""
    while n:
        n, rem = divmod(n - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def annual_list_sheets(report: AnnualList) -> list[Sheet]:
    levels = report.levels
    columns = [
        Column("STT", INT, 6),
        Column("Họ và tên", TEXT, 28),
        Column("Mã cán bộ", TEXT, 12),
        Column("Chức vụ", TEXT, 22),
        Column("Đơn vị", TEXT, 28),
        *[Column(f"Số tháng {label}", INT, 14) for _code, label in levels.legend],
        Column("Số tháng được đánh giá", INT, 10),
        Column("Điểm trung bình", SCORE, 10),
        Column("Mức tính toán", TEXT, 26),
        Column("Mức tự xếp loại", TEXT, 26),
        Column("Mức xếp loại của cấp có thẩm quyền", TEXT, 26),
        Column("Ngày quyết định", DATE, 12),
        Column("Ghi chú", TEXT, 30),
    ]
    rows = (
        (
            r.number,
            r.full_name,
            r.employee_code,
            r.position_title,
            r.unit_name,
            *r.months_per_level,
            r.months_evaluated,
            r.average,
            r.computed_level_label,
            r.proposed_level_label,
            r.decided_level_label,
            r.decided_on,
            r.note,
        )
        for r in report.rows
    )
    totals = Sheet(
        "Tổng hợp",
        [Column("Mức xếp loại", TEXT, 32), Column("Số người", INT), Column("Tỷ lệ (%)", SCORE)],
        [(t.label, t.count, t.percent) for t in report.totals]
        + [("Tổng", report.total_count, Decimal(100) if report.total_count else Decimal(0))],
        freeze="A2",
    )
    return [
        Sheet(f"Xếp loại {report.year}", columns, rows),
        totals,
        _meta_sheet(report, [("Năm", report.year, INT)]),
    ]


def monthly_sheet_sheets(report: MonthlySheet) -> list[Sheet]:
    columns = [
        Column("STT", INT, 6),
        Column("Họ và tên", TEXT, 28),
        Column("Mã cán bộ", TEXT, 12),
        Column("Chức vụ", TEXT, 22),
        Column("Đơn vị", TEXT, 28),
        Column("Điểm tự chấm", SCORE),
        Column("Điểm người quản lý", SCORE),
        Column("Điểm cấp có thẩm quyền", SCORE),
        Column("Xếp loại", TEXT, 10),
        Column("Trạng thái", TEXT, 12),
        Column("Ngày quyết định", DATE),
    ]
    rows = (
        (
            r.number,
            r.full_name,
            r.employee_code,
            r.position_title,
            r.unit_name,
            r.self_total,
            r.review_total,
            r.final_total,
            r.grade,
            r.status,
            r.decided_on,
        )
        for r in report.rows
    )
    return [
        Sheet(f"Tháng {report.month:02d}-{report.year}", columns, rows),
        _meta_sheet(report, [("Năm", report.year, INT), ("Tháng", report.month, INT)]),
    ]


def quarterly_sheet_sheets(report: QuarterlySheet) -> list[Sheet]:
    columns = [
        Column("STT", INT, 6),
        Column("Họ và tên", TEXT, 28),
        Column("Mã cán bộ", TEXT, 12),
        Column("Chức vụ", TEXT, 22),
        Column("Đơn vị", TEXT, 28),
        *[Column(f"Điểm tháng {m}", SCORE) for m in report.month_numbers],
        Column("Điểm TB tháng", SCORE),
        Column("Kết quả đơn vị", SCORE),
        Column("Đánh giá ngành", SCORE),
        Column("Tổng điểm", SCORE),
        Column("Xếp loại", TEXT, 10),
        Column("Trạng thái", TEXT, 12),
        Column("Còn thiếu", TEXT, 24),
    ]
    rows = (
        (
            r.number,
            r.full_name,
            r.employee_code,
            r.position_title,
            r.unit_name,
            *r.monthly_scores,
            r.monthly_average,
            r.unit_result,
            r.sector_assessment,
            r.total,
            r.grade,
            r.status,
            ", ".join(r.missing),
        )
        for r in report.rows
    )
    return [
        Sheet(f"Quý {report.quarter}-{report.year}", columns, rows),
        _meta_sheet(report, [("Năm", report.year, INT), ("Quý", report.quarter, INT)]),
    ]


def _meta_sheet(report, extra: list[tuple[str, Any, str]]) -> Sheet:
    """A one-row sheet describing the report; each value in its own typed column."""
    items = [
        ("Cơ quan", report.header.agency_name, TEXT),
        ("Đơn vị", report.unit.name, TEXT),
        ("Mã đơn vị", report.unit.code, TEXT),
        ("Gồm đơn vị trực thuộc", "Có" if report.subtree else "Không", TEXT),
        *extra,
        ("Ngày lập", report.header.on, DATE),
    ]
    return Sheet(
        "Thông tin",
        [Column(label, kind, 16 if kind != TEXT else 28) for label, _v, kind in items],
        [[value for _l, value, _k in items]],
        freeze=None,
    )


SHEETS = {
    "annual_list": annual_list_sheets,
    "monthly_sheet": monthly_sheet_sheets,
    "quarterly_sheet": quarterly_sheet_sheets,
}


def write_report_xlsx(kind: str, report, path: Path | str) -> None:
    write_workbook(path, SHEETS[kind](report))
