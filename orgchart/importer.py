"""Read an org-chart import file into `bulk.OrgChartData`; errors are `bulk.RowError`s too.

Accepted: one `.xlsx` workbook (a sheet per entity: units, positions, people, assignments,
sector_links; a missing sheet is empty), `.csv` files (one entity per file, named by its stem, e.g.
`people.csv`; UTF-8 with or without BOM), or a `.zip` of such CSV files. A file is refused before
it is parsed when it is empty, too large (`ORGCHART_IMPORT_MAX_BYTES`) or of another type; reading
stops as soon as the rows exceed `ORGCHART_IMPORT_MAX_ROWS` (counted while reading: the dimensions a
workbook declares can be wrong). The header is row 1; data rows keep their row numbers.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterable, Iterator
from datetime import date, datetime, time
from decimal import Decimal
from pathlib import Path, PurePosixPath
from typing import BinaryIO

from django.conf import settings

from orgchart.bulk import SHEETS, ImportFailed, OrgChartData, Row, RowError
from orgchart.services import nfc

EXTENSIONS = (".xlsx", ".csv", ".zip")
# Sheets a workbook may carry besides the data (instructions); any other unknown sheet is an error,
# so that a misspelt sheet name is not silently skipped.
IGNORED_SHEETS = frozenset({"huong_dan", "hướng dẫn", "huong dan", "readme", "instructions"})
# An xlsx or zip expands; refuse archives that would expand beyond this many times the size limit.
MAX_EXPANSION = 20
_PLAIN = (str, int, float, bool, date, datetime, time, Decimal)


def _mb(size: int) -> str:
    return f"{size / 1024 / 1024:.1f} MB".replace(".", ",")


class _Reader:
    def __init__(self):
        self.max_rows: int = settings.ORGCHART_IMPORT_MAX_ROWS
        self.max_bytes: int = settings.ORGCHART_IMPORT_MAX_BYTES
        self.rows_read = 0
        self.data = OrgChartData()
        self.sources: dict[str, str] = {}  # sheet -> the file it came from
        self.errors: list[RowError] = []

    def fail(self, where: str, message: str, row: int = 0, column: str = "") -> None:
        self.errors.append(RowError(where, row, column, message))

    # --- rows -----------------------------------------------------------------------------------

    def count_row(self, sheet: str, number: int) -> None:
        self.rows_read += 1
        if self.rows_read > self.max_rows:
            limit = f"{self.max_rows:,}".replace(",", ".")
            self.fail(sheet, f"Quá {limit} dòng trong một lần nhập (tính cả dòng trống); hãy chia nhỏ tệp.", number)
            raise ImportFailed(self.errors)

    def take_sheet(self, sheet: str, source: str, rows: Iterator[tuple]) -> None:
        """`rows`: the header, then data rows (tuples of cell values)."""
        if sheet in self.sources:
            self.fail(source, f"Dữ liệu “{sheet}” đã có trong {self.sources[sheet]}; mỗi loại chỉ được một lần.")
            return
        self.sources[sheet] = source
        header = next(rows, None)
        if header is None:
            return  # an empty sheet
        columns: list[tuple[int, str]] = []
        seen: set[str] = set()
        for index, cell in enumerate(header):
            name = nfc(str(cell)).lower() if cell is not None else ""
            if not name:
                continue
            if name in seen:
                self.fail(sheet, f"Cột “{name}” lặp lại.", 1, name)
            seen.add(name)
            columns.append((index, name))
        if not columns:  # no header: an error unless the whole sheet is empty
            for number, values in enumerate(rows, start=2):
                self.count_row(sheet, number)
                if any(not _blank(v) for v in values or ()):
                    self.fail(sheet, "Dòng 1 phải là dòng tiêu đề (tên các cột).", 1)
                    return
            return
        named = {i for i, _ in columns}
        target = getattr(self.data, sheet)
        for number, values in enumerate(rows, start=2):
            self.count_row(sheet, number)
            if not values:
                continue
            for index, value in enumerate(values):
                if index not in named and not _blank(value):
                    self.fail(sheet, "Ô có dữ liệu nhưng cột không có tiêu đề.", number, _column_letter(index))
                    break
            row = {}
            blank = True
            for index, name in columns:
                value = values[index] if index < len(values) else None
                if value is not None and not isinstance(value, _PLAIN):
                    value = _formula_text(value)
                if isinstance(value, str) and not value.strip():
                    value = None
                if value is not None:
                    blank = False
                row[name] = value
            if not blank:
                target.append(Row(sheet, number, row))

    # --- files ----------------------------------------------------------------------------------

    def read(self, name: str, stream: BinaryIO) -> None:
        suffix = PurePosixPath(name).suffix.lower()
        if suffix == ".xlsx":
            self.read_xlsx(name, stream)
        elif suffix == ".csv":
            self.read_csv(name, stream.read())
        elif suffix == ".zip":
            self.read_zip(name, stream)

    def read_csv(self, name: str, content: bytes) -> None:
        stem = PurePosixPath(name).stem.lower()
        if stem not in SHEETS:
            self.fail(name, f"Tên tệp CSV phải là tên loại dữ liệu: {', '.join(s + '.csv' for s in SHEETS)}.")
            return
        try:
            text = content.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            line = content.count(b"\n", 0, exc.start) + 1
            self.fail(
                name,
                f"Tệp {name} không phải mã UTF-8 (lỗi ở dòng {line}). Hãy lưu lại từ Excel bằng "
                "“CSV UTF-8 (Comma delimited)” hoặc xuất với bảng mã UTF-8.",
            )
            return
        first_line = text.split("\n", 1)[0]
        delimiter = max(",;\t", key=first_line.count)
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
        try:
            self.take_sheet(stem, name, iter(reader))
        except csv.Error as exc:
            self.fail(name, f"Tệp {name} không đọc được dạng CSV (dòng {reader.line_num}): {exc}.")

    def read_xlsx(self, name: str, stream: BinaryIO) -> None:
        import openpyxl
        from openpyxl.utils.exceptions import InvalidFileException

        if not self.check_archive(name, stream):
            return
        try:
            workbook = openpyxl.load_workbook(stream, read_only=True, data_only=False)
        except (InvalidFileException, zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
            self.fail(name, f"Không đọc được tệp Excel {name} ({type(exc).__name__}); hãy lưu lại dưới dạng .xlsx.")
            return
        try:
            for sheet in workbook.worksheets:
                title = nfc(sheet.title).lower()
                if title in SHEETS:
                    sheet.reset_dimensions()  # the declared size may be wrong: read what is there
                    self.take_sheet(title, name, sheet.iter_rows(values_only=True))
                elif not (title in IGNORED_SHEETS or title.startswith("_")):
                    self.fail(
                        name,
                        f"Trang tính “{sheet.title}” không được hỗ trợ; tên trang phải là: {', '.join(SHEETS)} "
                        "(trang hướng dẫn đặt tên “huong_dan” hoặc bắt đầu bằng “_”).",
                    )
        finally:
            workbook.close()

    def read_zip(self, name: str, stream: BinaryIO) -> None:
        if not self.check_archive(name, stream):
            return
        with zipfile.ZipFile(stream) as archive:
            members = [
                m
                for m in archive.infolist()
                if not m.is_dir()
                and not m.filename.startswith("__MACOSX/")
                and not PurePosixPath(m.filename).name.startswith(".")
            ]
            if sum(m.file_size for m in members) > self.max_bytes:
                self.fail(name, f"Tệp {name} khi giải nén vượt quá {_mb(self.max_bytes)}.")
                return
            if not members:
                self.fail(name, f"Tệp {name} không chứa tệp CSV nào.")
            for member in members:
                inner = PurePosixPath(member.filename).name
                if PurePosixPath(inner).suffix.lower() != ".csv":
                    self.fail(name, f"Tệp nén chỉ được chứa các tệp .csv; “{member.filename}” không phải.")
                    continue
                self.read_csv(inner, archive.read(member))

    def check_archive(self, name: str, stream: BinaryIO) -> bool:
        try:
            with zipfile.ZipFile(stream) as archive:
                expanded = sum(m.file_size for m in archive.infolist())
        except (zipfile.BadZipFile, OSError):
            self.fail(name, f"Tệp {name} bị hỏng hoặc không đúng định dạng.")
            return False
        finally:
            stream.seek(0)
        if expanded > self.max_bytes * MAX_EXPANSION:
            self.fail(name, f"Tệp {name} khi giải nén quá lớn ({_mb(expanded)}).")
            return False
        return True


def _blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _formula_text(value) -> str:
    """openpyxl gives array and data-table formulas as objects: pass them on as formula text."""
    text = str(getattr(value, "text", "") or "")
    return text if text.startswith("=") else f"={text or type(value).__name__}"


def _column_letter(index: int) -> str:
    from openpyxl.utils import get_column_letter

    return f"cột {get_column_letter(index + 1)}"


def _size(stream: BinaryIO) -> int:
    size = getattr(stream, "size", None)
    if size is None:
        position = stream.tell()
        size = stream.seek(0, io.SEEK_END)
        stream.seek(position)
    return size


def read_files(files: Iterable[tuple[str, BinaryIO]]) -> OrgChartData:
    """Parse (file name, binary stream) pairs into one OrgChartData, or raise ImportFailed."""
    files = list(files)
    reader = _Reader()
    if not files:
        raise ImportFailed([RowError("", 0, "", "Chưa chọn tệp nào.")])
    for name, stream in files:
        suffix = PurePosixPath(name).suffix.lower()
        size = _size(stream)
        if suffix not in EXTENSIONS:
            hint = " Tệp .xls (Excel 97–2003) cần lưu lại thành .xlsx." if suffix == ".xls" else ""
            reader.fail(
                name, f"Định dạng “{suffix or name}” không được hỗ trợ; hãy dùng .xlsx, .csv hoặc .zip chứa .csv.{hint}"
            )
        elif size == 0:
            reader.fail(name, "Tệp rỗng (0 byte).")
        elif size > reader.max_bytes:
            reader.fail(name, f"Tệp quá lớn ({_mb(size)}); giới hạn là {_mb(reader.max_bytes)}.")
    if reader.errors:
        raise ImportFailed(reader.errors)
    for name, stream in files:
        reader.read(name, stream)
    if not reader.errors and not reader.data.total_rows():
        reader.fail(", ".join(name for name, _ in files), "Không có dòng dữ liệu nào để nhập.")
    if reader.errors:
        raise ImportFailed(reader.errors)
    return reader.data


def read_paths(paths: Iterable[str | Path]) -> OrgChartData:
    """Parse files on disk (the management command)."""
    streams = []
    try:
        for path in paths:
            path = Path(path)
            if not path.is_file():
                raise ImportFailed([RowError(str(path), 0, "", "Không tìm thấy tệp.")])
            streams.append((path.name, path.open("rb")))
        return read_files(streams)
    finally:
        for _name, stream in streams:
            stream.close()
