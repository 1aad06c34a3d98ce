"""The all-or-nothing bulk load of the org chart, shared by the file import and the demo seeder.

`load_orgchart(data, actor=...)` takes rows (each a dict of column -> value with its sheet and 1-based
row number), checks every row against the others and against the database, and then either raises
`ImportFailed` with every error found (nothing is written) or writes everything in one transaction
with bulk operations, one `AuditEvent` per change and one summary event.

Sheets and columns (the single source for docs/IMPORT.md and the template file):

- units: code, name, short_name, kind, parent_code, valid_from, valid_to, predecessor_codes
  (semicolon-separated), succession_kind (MERGE/SPLIT/RENAME/TRANSFER)
- positions: code, title, kind (HEAD/DEPUTY/STAFF), is_leader, quarterly_rated
- people: employee_code, full_name, subject_group, similar_task_group, email, username
- assignments: employee_code, unit_code, position_code, valid_from, valid_to, is_primary, note
- sector_links: department_code, office_code, valid_from, valid_to

Values may be `date`/`bool` objects (xlsx, the seeder) or strings: dates `dd/mm/yyyy` or `yyyy-mm-dd`,
booleans `1/0`, `true/false`, `x`, `có/không`. A column that is absent leaves that field of existing
rows unchanged (new rows get the default); a column that is present but empty sets the field empty.
The import never deletes anything and never moves a unit to another parent.
"""

from __future__ import annotations

import contextlib
import logging
import re
import secrets
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, connections, router, transaction
from django.utils import timezone

from orgchart.models import (
    Assignment,
    AuditEvent,
    OrgUnit,
    Person,
    Position,
    PositionKind,
    SectorLink,
    SubjectGroup,
    SuccessionKind,
    UnitKind,
    UnitSuccession,
    search_key,
)
from orgchart.services import fmt_date, nfc

logger = logging.getLogger(__name__)

BATCH = 1000  # rows per INSERT/UPDATE statement
IN_CHUNK = 900  # values per `__in` lookup (below SQLite's historical limit of 999 variables)
MANY_KEYS = 20_000  # beyond this many keys, read the whole table once instead of `__in` lookups

SHEETS = ("units", "positions", "people", "assignments", "sector_links")
REPORT_KEYS = ("units", "successions", "positions", "people", "users", "assignments", "sector_links")
REPORT_LABELS = {
    "units": "Đơn vị",
    "successions": "Quan hệ kế thừa đơn vị",
    "positions": "Chức vụ",
    "people": "Người",
    "users": "Tài khoản đăng nhập",
    "assignments": "Phân công",
    "sector_links": "Liên kết ngành dọc",
}
SUCCESSION_LABELS = {
    SuccessionKind.MERGE: "hợp nhất",
    SuccessionKind.SPLIT: "chia tách",
    SuccessionKind.RENAME: "đổi tên, thành lập lại",
    SuccessionKind.TRANSFER: "chuyển giao chức năng",
}


# --- The interface ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Row:
    sheet: str
    number: int  # 1-based row number in the source (the header is row 1)
    values: dict[str, object]


@dataclass
class OrgChartData:
    units: list[Row] = field(default_factory=list)
    positions: list[Row] = field(default_factory=list)
    people: list[Row] = field(default_factory=list)
    assignments: list[Row] = field(default_factory=list)
    sector_links: list[Row] = field(default_factory=list)

    def total_rows(self) -> int:
        return sum(len(getattr(self, sheet)) for sheet in SHEETS)


@dataclass(frozen=True)
class RowError:
    sheet: str  # sheet name, or the file name for an error about the whole file
    row: int  # 1-based row number; 1 for a header problem, 0 for the whole file
    column: str
    message: str  # in Vietnamese

    def __str__(self) -> str:
        if self.row == 0 and not self.column:
            return f"{self.sheet}: {self.message}"
        return f"{self.sheet}:{self.row}:{self.column}: {self.message}"


class ImportFailed(Exception):
    def __init__(self, errors: list[RowError]):
        self.errors = sort_errors(errors)
        super().__init__(f"{len(self.errors)} lỗi; không có dữ liệu nào được ghi.")


@dataclass
class LoadReport:
    created: dict[str, int]
    updated: dict[str, int]
    unchanged: dict[str, int]
    dry_run: bool = False

    @property
    def changed(self) -> int:
        return sum(self.created.values()) + sum(self.updated.values())

    def lines(self) -> list[tuple[str, str, int, int, int]]:
        """(key, Vietnamese label, created, updated, unchanged) for every entity."""
        return [
            (k, REPORT_LABELS[k], self.created.get(k, 0), self.updated.get(k, 0), self.unchanged.get(k, 0))
            for k in REPORT_KEYS
        ]


def sort_errors(errors: list[RowError]) -> list[RowError]:
    """By sheet, row, then column in the order of the sheet's columns."""
    order = {s: i for i, s in enumerate(SHEETS)}

    def key(e: RowError):
        columns = [c.name for c in COLUMNS.get(e.sheet, ())]
        position = columns.index(e.column) if e.column in columns else len(columns)
        return (order.get(e.sheet, -1), e.sheet, e.row, position, e.column)

    return sorted(errors, key=key)


# --- Columns ------------------------------------------------------------------------------------

CODE, TEXT, DATE, BOOL, CHOICE, CODES, EMAIL, USERNAME = (
    "code",
    "text",
    "date",
    "bool",
    "choice",
    "codes",
    "email",
    "username",
)


@dataclass(frozen=True)
class Column:
    name: str
    kind: str
    required: bool = False  # the column must be present (the header)
    value_required: bool = False  # every row needs a value
    max_length: int | None = None
    choices: tuple[str, ...] = ()
    aliases: tuple[tuple[str, str], ...] = ()  # other accepted spellings -> stored value
    default: object = None
    help: str = ""  # Vietnamese, for the template and docs
    example: str = ""


def _max(model, name: str) -> int:
    return model._meta.get_field(name).max_length


_CODE_HELP = "chữ cái không dấu, chữ số và . _ -"
SUBJECT_GROUP_ALIASES = (
    ("cán bộ", SubjectGroup.CAN_BO),
    ("công chức", SubjectGroup.CONG_CHUC),
    ("viên chức", SubjectGroup.VIEN_CHUC),
    ("lao động hợp đồng", SubjectGroup.LAO_DONG_HOP_DONG),
    ("hợp đồng", SubjectGroup.LAO_DONG_HOP_DONG),
)

COLUMNS: dict[str, tuple[Column, ...]] = {
    "units": (
        Column("code", CODE, True, True, _max(OrgUnit, "code"), help=f"Mã đơn vị, duy nhất ({_CODE_HELP})."),
        Column("name", TEXT, True, True, _max(OrgUnit, "name"), help="Tên đầy đủ của đơn vị."),
        Column("short_name", TEXT, max_length=_max(OrgUnit, "short_name"), default="", help="Tên viết tắt."),
        Column("kind", CHOICE, True, True, choices=tuple(UnitKind.values), help="Loại đơn vị."),
        Column(
            "parent_code",
            CODE,
            True,
            max_length=_max(OrgUnit, "code"),
            help="Mã đơn vị cấp trên (trong tệp hoặc đã có); để trống nếu là đơn vị gốc. "
            "Không đổi được đơn vị cấp trên của đơn vị đã có.",
        ),
        Column("valid_from", DATE, True, True, help="Ngày bắt đầu hiệu lực."),
        Column("valid_to", DATE, help="Ngày hết hiệu lực (ngày cuối cùng); để trống nếu còn hiệu lực."),
        Column(
            "predecessor_codes",
            CODES,
            max_length=_max(OrgUnit, "code"),
            help="Mã các đơn vị tiền thân, cách nhau bằng dấu chấm phẩy (;).",
        ),
        Column(
            "succession_kind",
            CHOICE,
            choices=tuple(SuccessionKind.values),
            default="",
            help="Hình thức kế thừa, bắt buộc khi có đơn vị tiền thân: MERGE (hợp nhất), SPLIT (chia tách), "
            "RENAME (đổi tên, thành lập lại), TRANSFER (chuyển giao chức năng).",
        ),
    ),
    "positions": (
        Column("code", CODE, True, True, _max(Position, "code"), help=f"Mã chức vụ, duy nhất ({_CODE_HELP})."),
        Column("title", TEXT, True, True, _max(Position, "title"), help="Tên chức vụ."),
        Column(
            "kind",
            CHOICE,
            True,
            True,
            choices=tuple(PositionKind.values),
            help="HEAD (người đứng đầu), DEPUTY (cấp phó), STAFF (không giữ chức vụ quản lý).",
        ),
        Column("is_leader", BOOL, default=False, help="Lãnh đạo, quản lý (1/0, có/không). Mặc định: không."),
        Column(
            "quarterly_rated",
            BOOL,
            default=False,
            help="Được xếp loại hằng quý (trưởng phòng chuyên môn, chủ tịch UBND xã). Mặc định: không.",
        ),
    ),
    "people": (
        Column(
            "employee_code",
            CODE,
            True,
            True,
            _max(Person, "employee_code"),
            help=f"Mã cán bộ, công chức, duy nhất ({_CODE_HELP}).",
        ),
        Column("full_name", TEXT, True, True, _max(Person, "full_name"), help="Họ và tên."),
        Column(
            "subject_group",
            CHOICE,
            True,
            True,
            choices=tuple(SubjectGroup.values),
            aliases=SUBJECT_GROUP_ALIASES,
            help="Đối tượng: CAN_BO, CONG_CHUC, VIEN_CHUC, LAO_DONG_HOP_DONG "
            "(hoặc: cán bộ, công chức, viên chức, lao động hợp đồng).",
        ),
        Column(
            "similar_task_group",
            TEXT,
            max_length=_max(Person, "similar_task_group"),
            default="",
            help="Nhóm công chức có nhiệm vụ tương đồng (dùng cho tỷ lệ xếp loại).",
        ),
        Column("email", EMAIL, max_length=_max(Person, "email"), default="", help="Thư điện tử."),
        Column(
            "username",
            USERNAME,
            max_length=get_user_model()._meta.get_field(get_user_model().USERNAME_FIELD).max_length,
            help="Tên đăng nhập: tạo mới (chưa có mật khẩu) nếu chưa có, gắn nếu đã có. "
            "Để trống: giữ nguyên tài khoản đang gắn.",
        ),
    ),
    "assignments": (
        Column("employee_code", CODE, True, True, _max(Person, "employee_code"), help="Mã người (trang people)."),
        Column("unit_code", CODE, True, True, _max(OrgUnit, "code"), help="Mã đơn vị công tác."),
        Column("position_code", CODE, True, True, _max(Position, "code"), help="Mã chức vụ."),
        Column(
            "valid_from",
            DATE,
            True,
            True,
            help="Ngày bắt đầu. Người, đơn vị, chức vụ và ngày bắt đầu xác định một phân công.",
        ),
        Column("valid_to", DATE, help="Ngày kết thúc; để trống nếu đang công tác."),
        Column(
            "is_primary",
            BOOL,
            default=True,
            help="Phân công chính (dùng để đánh giá). 0/không: kiêm nhiệm. Mặc định: có.",
        ),
        Column("note", TEXT, max_length=_max(Assignment, "note"), default="", help="Ghi chú."),
    ),
    "sector_links": (
        Column("department_code", CODE, True, True, _max(OrgUnit, "code"), help="Mã sở (đơn vị quản lý ngành)."),
        Column(
            "office_code",
            CODE,
            True,
            True,
            _max(OrgUnit, "code"),
            help="Mã phòng chuyên môn cấp huyện, cấp xã chịu sự hướng dẫn của sở.",
        ),
        Column("valid_from", DATE, True, True, help="Ngày bắt đầu."),
        Column("valid_to", DATE, help="Ngày kết thúc; để trống nếu còn hiệu lực."),
    ),
}

KEY_COLUMNS = {
    "units": ("code",),
    "positions": ("code",),
    "people": ("employee_code",),
    "assignments": ("employee_code", "unit_code", "position_code", "valid_from"),
    "sector_links": ("department_code", "office_code", "valid_from"),
}


# --- Values -------------------------------------------------------------------------------------


class _Bad(ValueError):
    """A cell value that cannot be used; the message is Vietnamese."""


_CODE_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._\-]*")
_USERNAME_RE = re.compile(UnicodeUsernameValidator.regex)
_DMY_RE = re.compile(r"(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})")
_ISO_RE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T]00:00(?::00)?)?")
_TRUE = frozenset({"1", "true", "x", "có", "co", "yes", "y", "đúng"})
_FALSE = frozenset({"0", "false", "không", "khong", "no", "n", "sai"})


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        text = nfc(value)
        if text == value:
            text = value  # keep the reader's (often shared) string object: 200,000 rows add up
    elif isinstance(value, bool):
        text = "1" if value else "0"
    elif isinstance(value, float) and value.is_integer():
        text = str(int(value))
    elif isinstance(value, datetime):
        text = fmt_date(value.date())
    elif isinstance(value, date):
        text = fmt_date(value)
    else:
        text = nfc(str(value))
    if text.startswith("="):
        shown = text if len(text) <= 40 else text[:40] + "…"
        raise _Bad(f"Ô chứa công thức ({shown}); hãy dán giá trị (Paste Special → Values) thay cho công thức.")
    return text


def _date(value) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        raise _Bad(f"“{_text(value)}” không phải ngày; hãy nhập dd/mm/yyyy (ô Excel định dạng ngày hoặc văn bản).")
    text = _text(value)
    if not text:
        return None
    if m := _DMY_RE.fullmatch(text):
        d, mo, y = (int(g) for g in m.groups())
    elif m := _ISO_RE.fullmatch(text):
        y, mo, d = (int(g) for g in m.groups())
    else:
        raise _Bad(f"“{text}” không phải ngày hợp lệ; hãy nhập dd/mm/yyyy (ví dụ 01/07/2025) hoặc yyyy-mm-dd.")
    try:
        result = date(y, mo, d)
    except ValueError:
        raise _Bad(f"“{text}” không phải ngày có thật.") from None
    if not 1900 <= y <= 2200:
        raise _Bad(f"Năm {y} của ngày “{text}” không hợp lý.")
    return result


def _bool(value, default: bool) -> bool:
    if value is None:
        return default
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float) and value in (0, 1):
        return bool(value)
    text = _text(value).casefold()
    if not text:
        return default
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise _Bad(f"“{_text(value)}” không phải giá trị có/không; hãy dùng 1/0, true/false, x, có/không.")


def _code(text: str) -> str:
    if text and not _CODE_RE.fullmatch(text):
        raise _Bad(f"Mã “{text}” chỉ được gồm {_CODE_HELP} (không có dấu cách, dấu tiếng Việt hay dấu /).")
    return text


def _convert(column: Column, value):
    """Return the stored value for a cell, or raise _Bad."""
    kind = column.kind
    if kind == DATE:
        return _date(value)
    if kind == BOOL:
        return _bool(value, column.default)
    text = _text(value)
    if kind == CODES:
        codes = []
        for part in text.split(";"):
            code = _code(part.strip())
            if code and code not in codes:
                if len(code) > column.max_length:
                    raise _Bad(f"Mã “{code}” quá dài ({len(code)} ký tự, tối đa {column.max_length}).")
                codes.append(code)
        return codes
    if column.max_length and len(text) > column.max_length:
        raise _Bad(f"Quá dài ({len(text)} ký tự, tối đa {column.max_length}).")
    if not text:
        return text
    if kind == CODE:
        return _code(text)
    if kind == CHOICE:
        upper = text.upper().replace(" ", "_")
        if upper in column.choices:
            return upper
        folded = text.casefold()
        for alias, stored in column.aliases:
            if alias == folded:
                return str(stored)
        raise _Bad(f"“{text}” không hợp lệ; chọn một trong: {', '.join(column.choices)}.")
    if kind == EMAIL:
        try:
            validate_email(text)
        except ValidationError:
            raise _Bad(f"“{text}” không phải địa chỉ thư điện tử hợp lệ.") from None
        return text
    if kind == USERNAME and not _USERNAME_RE.match(text):
        raise _Bad(f"Tên đăng nhập “{text}” chỉ được gồm chữ, số và các ký tự @ . + - _.")
    return text


def _is_blank(values: dict) -> bool:
    return all(v is None or (isinstance(v, str) and not v.strip()) for v in values.values())


def _span(start: date | None, end: date | None) -> str:
    return f"{fmt_date(start)}–{fmt_date(end)}"


def _within(inner_from: date, inner_to: date | None, outer_from: date, outer_to: date | None) -> bool:
    if inner_from < outer_from:
        return False
    if outer_to is None:
        return True
    return inner_to is not None and inner_to <= outer_to


def _overlaps(a_from: date, a_to: date | None, b_from: date, b_to: date | None) -> bool:
    return (a_to is None or b_from <= a_to) and (b_to is None or a_from <= b_to)


def _rows_where_in(queryset, field: str, keys, *fields: str):
    """`values_list(field, *fields)` of the rows whose `field` is one of `keys`.

    A few keys: chunked `__in` lookups. Many keys (a city-sized file): one pass over the table,
    filtered here; hundreds of large `IN` lists cost far more, on PostgreSQL especially.
    """
    keys = set(keys)
    if len(keys) > MANY_KEYS:
        for row in queryset.values_list(field, *fields).iterator(chunk_size=5000):
            if row[0] in keys:
                yield row
        return
    for chunk in _chunks(keys):
        yield from queryset.filter(**{f"{field}__in": chunk}).values_list(field, *fields)


def _rows_per_insert(model) -> int:
    """Rows per INSERT: the SQL stays under 4 kB, the length up to which psycopg 3 caches how it parses
    a statement (longer ones are re-parsed on every execution, which costs more than the insert)."""
    return max(1, min(BATCH, 3800 // (4 * len(model._meta.concrete_fields) + 4)))


def _chunks(items, size: int = IN_CHUNK):
    items = list(items)
    for i in range(0, len(items), size):
        yield items[i : i + size]


# --- Parsing rows ---------------------------------------------------------------------------------


@dataclass(slots=True)
class _Parsed:
    row: int
    values: dict[str, object]  # only the columns present in the row


class _Errors:
    def __init__(self):
        self.items: list[RowError] = []

    def add(self, sheet: str, row: int, column: str, message: str) -> None:
        self.items.append(RowError(sheet, row, column, message))

    def __bool__(self) -> bool:
        return bool(self.items)


@dataclass
class _Sheet:
    name: str
    broken: bool = False  # a column problem: rows not checked, references to it not reported
    records: dict = field(default_factory=dict)  # key -> _Parsed, good rows only
    known: set = field(default_factory=set)  # keys of every row, good or bad
    rows: dict = field(default_factory=dict)  # key -> row number of its first occurrence


def _parse_sheet(name: str, rows: list[Row], errors: _Errors) -> _Sheet:
    sheet = _Sheet(name)
    columns = {c.name: c for c in COLUMNS[name]}
    key_columns = KEY_COLUMNS[name]
    present: set[str] = set()
    missing: set[str] = set()
    rows = [r for r in rows if not _is_blank(r.values)]
    for row in rows:
        present.update(row.values)
        missing.update(c for c, col in columns.items() if col.required and c not in row.values)
    for column in sorted(present - set(columns)):
        errors.add(name, 1, column, f"Cột “{column}” không được hỗ trợ; các cột hợp lệ: {', '.join(columns)}.")
    for column in [c for c in columns if c in missing]:
        errors.add(name, 1, column, f"Thiếu cột bắt buộc “{column}”.")
    if present - set(columns) or missing:
        sheet.broken = True
        for row in rows:  # still learn the keys, so that other sheets do not report them as unknown
            with contextlib.suppress(_Bad, KeyError):
                sheet.known.add(tuple(_convert(columns[c], row.values.get(c)) for c in key_columns))
        return sheet

    for row in rows:
        values, ok = {}, True
        for column_name, raw in row.values.items():
            column = columns[column_name]
            try:
                value = _convert(column, raw)
            except _Bad as exc:
                errors.add(name, row.number, column_name, str(exc))
                ok = False
                continue
            if column.value_required and value in ("", None):
                errors.add(name, row.number, column_name, "Thiếu giá trị bắt buộc.")
                ok = False
            values[column_name] = value
        start, end = values.get("valid_from"), values.get("valid_to")
        if start and end and end < start:
            errors.add(
                name, row.number, "valid_to", f"Ngày kết thúc {fmt_date(end)} trước ngày bắt đầu {fmt_date(start)}."
            )
            ok = False
        if any(values.get(c) in ("", None) for c in key_columns):
            continue
        key = tuple(values[c] for c in key_columns)
        if key in sheet.rows:
            what = (
                f"Mã “{key[0]}” bị trùng với dòng {sheet.rows[key]}."
                if len(key) == 1
                else f"Trùng với dòng {sheet.rows[key]} (cùng {', '.join(key_columns)})."
            )
            errors.add(name, row.number, key_columns[0], what)
            continue
        sheet.rows[key] = row.number
        sheet.known.add(key)
        if ok:
            sheet.records[key] = _Parsed(row.number, values)
    return sheet


# --- The plan ---------------------------------------------------------------------------------------

UNIT_FIELDS = ("name", "short_name", "kind", "valid_from", "valid_to")
POSITION_FIELDS = ("title", "kind", "is_leader", "quarterly_rated")
PERSON_FIELDS = ("full_name", "subject_group", "similar_task_group", "email")
ASSIGNMENT_FIELDS = ("valid_to", "is_primary", "note")


@dataclass(slots=True)
class _Unit:
    code: str
    id: int | None
    path: str
    parent_code: str
    name: str
    short_name: str
    kind: str
    valid_from: date
    valid_to: date | None
    numchild: int = 0
    row: int | None = None  # row in the file, None if only in the database
    changes: dict | None = None  # field -> (old, new) for an existing unit in the file


@dataclass
class _Plan:
    """Everything to write, computed before the first write; `report` counts it."""

    units: dict[str, _Unit] = field(default_factory=dict)  # every unit: database and file
    new_units: list[_Unit] = field(default_factory=list)  # parents before children
    changed_units: list[_Unit] = field(default_factory=list)
    numchild: dict[str, int] = field(default_factory=dict)  # existing unit code -> new numchild
    successions_new: list[tuple[str, str, str, date]] = field(default_factory=list)
    successions_changed: list[tuple[int, tuple, dict]] = field(default_factory=list)
    positions: dict[str, int] = field(default_factory=dict)  # code -> id
    position_titles: dict[str, str] = field(default_factory=dict)
    positions_new: list[dict] = field(default_factory=list)
    positions_changed: list[tuple[int, str, dict]] = field(default_factory=list)
    people: dict[str, int] = field(default_factory=dict)  # employee code -> id
    people_names: dict[str, str] = field(default_factory=dict)
    people_new: list[dict] = field(default_factory=list)
    people_changed: list[tuple[int, str, dict]] = field(default_factory=list)
    users: dict[str, int] = field(default_factory=dict)  # username -> id
    users_new: list[tuple[str, str]] = field(default_factory=list)  # (username, email)
    assignments_new: list[tuple[tuple, dict]] = field(default_factory=list)
    assignments_changed: list[tuple[int, tuple, dict]] = field(default_factory=list)
    links_new: list[tuple[tuple, dict]] = field(default_factory=list)
    links_changed: list[tuple[int, tuple, dict]] = field(default_factory=list)
    report: LoadReport = field(
        default_factory=lambda: LoadReport(
            created=dict.fromkeys(REPORT_KEYS, 0),
            updated=dict.fromkeys(REPORT_KEYS, 0),
            unchanged=dict.fromkeys(REPORT_KEYS, 0),
        )
    )

    def count(self, key: str, outcome: str) -> None:
        getattr(self.report, outcome)[key] += 1


def _diff(old: dict, new: dict) -> dict:
    return {k: (old.get(k), v) for k, v in new.items() if old.get(k) != v}


def _defaults(sheet: str, names) -> dict:
    return {c.name: c.default for c in COLUMNS[sheet] if c.name in names}


def _known(sheet: _Sheet, code: str) -> bool:
    """A key of a row in the file, good or bad, or any key if the sheet has column errors."""
    return sheet.broken or (code,) in sheet.known


# --- Validation against the file and the database ----------------------------------------------------


def _plan_units(sheet: _Sheet, plan: _Plan, errors: _Errors) -> None:
    steplen = OrgUnit.steplen
    by_path: dict[str, str] = {}
    rows = OrgUnit.objects.order_by().values_list(
        "id", "code", "path", "numchild", "name", "short_name", "kind", "valid_from", "valid_to"
    )
    for pk, code, path, numchild, name, short_name, kind, start, end in rows.iterator(chunk_size=2000):
        plan.units[code] = _Unit(code, pk, path, "", name, short_name, kind, start, end, numchild)
        by_path[path] = code
    children: dict[str, list[str]] = defaultdict(list)  # existing parent code -> existing children
    last_step: dict[str, int] = defaultdict(int)  # parent path ("" for roots) -> highest step used
    for code, unit in plan.units.items():
        parent_path = unit.path[:-steplen]
        unit.parent_code = by_path.get(parent_path, "")
        if unit.parent_code:
            children[unit.parent_code].append(code)
        last_step[parent_path] = max(last_step[parent_path], OrgUnit._str2int(unit.path[-steplen:]))

    # Merge the file onto the database.
    before = len(errors.items)
    file_units: list[_Unit] = []
    for (code,), rec in sheet.records.items():
        v = rec.values
        unit = plan.units.get(code)
        if unit is None:
            unit = _Unit(
                code,
                None,
                "",
                v["parent_code"],
                v["name"],
                v.get("short_name", ""),
                v["kind"],
                v["valid_from"],
                v.get("valid_to"),
            )
            plan.units[code] = unit
        else:
            unit.changes = _diff({f: getattr(unit, f) for f in UNIT_FIELDS}, {f: v[f] for f in UNIT_FIELDS if f in v})
            for name, (_old, new) in unit.changes.items():
                setattr(unit, name, new)
            if v["parent_code"] != unit.parent_code:
                old_parent = f"là “{unit.parent_code}”" if unit.parent_code else "(là đơn vị gốc)"
                errors.add(
                    "units",
                    rec.row,
                    "parent_code",
                    f"Đơn vị “{code}” đã có đơn vị cấp trên {old_parent}; không được chuyển đơn vị. "
                    "Muốn tổ chức lại: ghi ngày hết hiệu lực (valid_to) cho đơn vị cũ và tạo đơn vị mới "
                    "có predecessor_codes.",
                )
        unit.row = rec.row
        file_units.append(unit)

    # References to parents; cycles among the new units.
    new_by_code = {u.code: u for u in file_units if u.id is None}
    for unit in new_by_code.values():
        parent = unit.parent_code
        if parent and parent not in plan.units and not _known(sheet, parent):
            errors.add(
                "units",
                unit.row,
                "parent_code",
                f"Không tìm thấy đơn vị cấp trên “{parent}” (trong tệp hoặc trong hệ thống).",
            )
    state: dict[str, int] = {}  # 1 = on the current walk, 2 = done
    for start in new_by_code:
        walk = []
        code = start
        while code in new_by_code and code not in state:
            state[code] = 1
            walk.append(code)
            code = new_by_code[code].parent_code
        if code in new_by_code and state.get(code) == 1:
            cycle = walk[walk.index(code) :]
            text = " → ".join([*cycle, code])
            for member in cycle:
                errors.add("units", new_by_code[member].row, "parent_code", f"Vòng lặp đơn vị cấp trên: {text}.")
        for code in walk:
            state[code] = 2

    # Validity against the parent and, for units whose dates change, against existing children.
    for unit in file_units:
        parent = plan.units.get(unit.parent_code)
        if parent is not None and not _within(unit.valid_from, unit.valid_to, parent.valid_from, parent.valid_to):
            errors.add(
                "units",
                unit.row,
                "valid_from" if unit.valid_from < parent.valid_from else "valid_to",
                f"Đơn vị có hiệu lực {_span(unit.valid_from, unit.valid_to)}, nằm ngoài thời gian hiệu lực "
                f"của đơn vị cấp trên “{parent.code}” ({_span(parent.valid_from, parent.valid_to)}).",
            )
        if unit.changes and {"valid_from", "valid_to"} & set(unit.changes):
            for child in (plan.units[c] for c in children.get(unit.code, ())):
                if child.row is None and not _within(child.valid_from, child.valid_to, unit.valid_from, unit.valid_to):
                    errors.add(
                        "units",
                        unit.row,
                        "valid_to" if "valid_to" in unit.changes else "valid_from",
                        f"Đơn vị con “{child.code}” (đã có, hiệu lực {_span(child.valid_from, child.valid_to)}) "
                        f"sẽ nằm ngoài thời gian hiệu lực mới {_span(unit.valid_from, unit.valid_to)}; "
                        "hãy đưa cả đơn vị con vào tệp với ngày phù hợp.",
                    )
    if len(errors.items) > before:
        return

    # Paths for new units: parents first, each appended after the existing children of its parent.
    max_path = OrgUnit._meta.get_field("path").max_length
    new_children: dict[str, int] = defaultdict(int)
    pending = list(new_by_code.values())
    while pending:
        waiting = []
        for unit in pending:
            parent = plan.units.get(unit.parent_code) if unit.parent_code else None
            if parent is not None and not parent.path:  # a new parent not placed yet
                waiting.append(unit)
                continue
            parent_path = parent.path if parent is not None else ""
            step = last_step[parent_path] + 1
            key = OrgUnit._int2str(step)
            if len(key) > steplen or len(parent_path) + steplen > max_path:
                problem = "có quá nhiều đơn vị con" if len(key) > steplen else "đã ở cấp sâu nhất"
                errors.add("units", unit.row, "parent_code", f"Đơn vị cấp trên “{unit.parent_code}” {problem}.")
                return
            last_step[parent_path] = step
            unit.path = parent_path + OrgUnit.alphabet[0] * (steplen - len(key)) + key
            if parent is not None:
                new_children[parent.code] += 1
            plan.new_units.append(unit)
        if len(waiting) == len(pending):
            raise AssertionError("cycle among new units")  # excluded by the check above
        pending = waiting
    for code, count in new_children.items():
        unit = plan.units[code]
        if unit.id is None:
            unit.numchild = count
        else:  # as treebeard keeps it; also repairs a drifted count on the parents we touch
            plan.numchild[code] = len(children.get(code, ())) + count

    for unit in file_units:
        if unit.id is None:
            plan.count("units", "created")
        elif unit.changes:
            plan.changed_units.append(unit)
            plan.count("units", "updated")
        else:
            plan.count("units", "unchanged")


def _plan_successions(sheet: _Sheet, plan: _Plan, errors: _Errors) -> None:
    wanted: list[tuple[str, str, str, date]] = []  # predecessor, successor, kind, effective on
    for (code,), rec in sheet.records.items():
        predecessors = rec.values.get("predecessor_codes") or []
        kind = rec.values.get("succession_kind") or ""
        if not predecessors:
            continue
        if not kind:
            errors.add(
                "units",
                rec.row,
                "succession_kind",
                "Cần ghi hình thức kế thừa (MERGE, SPLIT, RENAME, TRANSFER) khi có đơn vị tiền thân.",
            )
            continue
        successor = plan.units[code]
        for pred in predecessors:
            if pred == code:
                errors.add("units", rec.row, "predecessor_codes", "Đơn vị không thể kế thừa chính nó.")
            elif pred not in plan.units:
                if not _known(sheet, pred):
                    errors.add("units", rec.row, "predecessor_codes", f"Không tìm thấy đơn vị tiền thân “{pred}”.")
            elif plan.units[pred].valid_from > successor.valid_from:
                errors.add(
                    "units",
                    rec.row,
                    "predecessor_codes",
                    f"Đơn vị tiền thân “{pred}” bắt đầu ngày {fmt_date(plan.units[pred].valid_from)}, "
                    f"sau ngày bắt đầu của đơn vị kế thừa ({fmt_date(successor.valid_from)}).",
                )
            else:
                wanted.append((pred, code, kind, successor.valid_from))
    if not wanted or errors:
        return
    codes = {u.id: c for c, u in plan.units.items() if u.id is not None}
    existing = {
        (codes[p], codes[s]): (pk, {"kind": kind, "effective_on": effective})
        for pk, p, s, kind, effective in UnitSuccession.objects.values_list(
            "id", "predecessor_id", "successor_id", "kind", "effective_on"
        ).iterator(chunk_size=2000)
    }
    for pred, succ, kind, effective in wanted:
        found = existing.get((pred, succ))
        if found is None:
            plan.successions_new.append((pred, succ, kind, effective))
            plan.count("successions", "created")
        elif changes := _diff(found[1], {"kind": kind, "effective_on": effective}):
            plan.successions_changed.append((found[0], (pred, succ), changes))
            plan.count("successions", "updated")
        else:
            plan.count("successions", "unchanged")


def _plan_positions(sheet: _Sheet, plan: _Plan) -> None:
    existing = {}
    for pk, code, *values in Position.objects.values_list("id", "code", *POSITION_FIELDS):
        existing[code] = (pk, dict(zip(POSITION_FIELDS, values)))
        plan.positions[code] = pk
        plan.position_titles[code] = values[0]
    defaults = _defaults("positions", POSITION_FIELDS)
    for (code,), rec in sheet.records.items():
        new = {f: rec.values[f] for f in POSITION_FIELDS if f in rec.values}
        plan.position_titles[code] = new["title"]
        if code not in existing:
            plan.positions_new.append({"code": code, **defaults, **new})
            plan.count("positions", "created")
        elif changes := _diff(existing[code][1], new):
            plan.positions_changed.append((existing[code][0], code, changes))
            plan.count("positions", "updated")
        else:
            plan.count("positions", "unchanged")


def _load_people(codes, plan: _Plan) -> dict[str, tuple[int, dict]]:
    """Existing people among `codes`: employee code -> (id, fields with `username`)."""
    found = {}
    names = (*PERSON_FIELDS, "username")
    for code, pk, *values in _rows_where_in(
        Person.objects.order_by(), "employee_code", codes, "id", *PERSON_FIELDS, "user__username"
    ):
        found[code] = (pk, dict(zip(names, values)))
        plan.people[code] = pk
        plan.people_names[code] = values[0]
    return found


def _plan_people(sheet: _Sheet, plan: _Plan, errors: _Errors, existing: dict) -> None:
    User = get_user_model()
    username_field = User.USERNAME_FIELD
    usernames = {rec.values["username"] for rec in sheet.records.values() if rec.values.get("username")}
    plan.users.update(_rows_where_in(User.objects.order_by(), username_field, usernames, "id"))
    # user id -> employee code of the person it is linked to
    linked = dict(_rows_where_in(Person.objects.order_by(), "user_id", plan.users.values(), "employee_code"))
    seen: dict[str, int] = {}
    defaults = _defaults("people", PERSON_FIELDS)
    for (code,), rec in sheet.records.items():
        v = rec.values
        new = {f: v[f] for f in PERSON_FIELDS if f in v}
        plan.people_names[code] = v["full_name"]
        username = v.get("username") or ""
        if username:
            if username in seen:
                errors.add(
                    "people", rec.row, "username", f"Tên đăng nhập “{username}” đã dùng ở dòng {seen[username]}."
                )
                continue
            seen[username] = rec.row
            user_id = plan.users.get(username)
            if user_id is not None and linked.get(user_id, code) != code:
                errors.add(
                    "people",
                    rec.row,
                    "username",
                    f"Tên đăng nhập “{username}” đã gắn với người khác (mã {linked[user_id]}).",
                )
                continue
            if user_id is None:
                plan.users_new.append((username, v.get("email", "")))
                plan.count("users", "created")
            else:
                plan.count("users", "unchanged")
        if code not in existing:
            plan.people_new.append({"employee_code": code, **defaults, **new, "username": username})
            plan.count("people", "created")
            continue
        pk, old = existing[code]
        changes = _diff(old, new)
        if username and username != old["username"]:
            changes["user"] = (old["username"], username)
        if changes:
            plan.people_changed.append((pk, code, changes))
            plan.count("people", "updated")
        else:
            plan.count("people", "unchanged")


def _plan_assignments(sheet: _Sheet, plan: _Plan, errors: _Errors, sheets: dict[str, _Sheet]) -> None:
    good: list[tuple[tuple, _Parsed]] = []
    for key, rec in sheet.records.items():
        person_code, unit_code, position_code, _start = key
        ok = True
        if person_code not in plan.people and (person_code,) not in sheets["people"].records:
            if not _known(sheets["people"], person_code):
                errors.add(
                    "assignments",
                    rec.row,
                    "employee_code",
                    f"Không tìm thấy người có mã “{person_code}” (trong trang people hoặc trong hệ thống).",
                )
            ok = False
        if unit_code not in plan.units:
            if not _known(sheets["units"], unit_code):
                errors.add("assignments", rec.row, "unit_code", f"Không tìm thấy đơn vị “{unit_code}”.")
            ok = False
        if position_code not in plan.position_titles:
            if not _known(sheets["positions"], position_code):
                errors.add("assignments", rec.row, "position_code", f"Không tìm thấy chức vụ “{position_code}”.")
            ok = False
        if ok:
            good.append((key, rec))

    # Existing assignments of the people in the file.
    unit_codes = {u.id: c for c, u in plan.units.items() if u.id is not None}
    position_codes = {pk: c for c, pk in plan.positions.items()}
    person_codes = {pk: c for c, pk in plan.people.items()}
    existing: dict[tuple, tuple[int, dict]] = {}
    db_primaries: dict[str, list[tuple]] = defaultdict(list)  # person -> [(from, to, unit, key, None)]
    person_ids = {plan.people[key[0]] for key, _rec in good if key[0] in plan.people}
    rows = _rows_where_in(
        Assignment.objects.order_by(),
        "person_id",
        person_ids,
        "id",
        "unit_id",
        "position_id",
        "valid_from",
        *ASSIGNMENT_FIELDS,
    )
    for person_id, pk, unit_id, position_id, start, end, primary, note in rows:
        key = (person_codes[person_id], unit_codes[unit_id], position_codes[position_id], start)
        existing[key] = (pk, {"valid_to": end, "is_primary": primary, "note": note})
        if primary:
            db_primaries[key[0]].append((start, end, key[1], key, None))

    # Final values: the database overlaid with the file.
    in_file: dict[str, list[tuple]] = defaultdict(list)
    defaults = _defaults("assignments", ASSIGNMENT_FIELDS)
    for key, rec in good:
        person_code, unit_code, _position, start = key
        old = existing[key][1] if key in existing else defaults
        final = {**old, **{f: rec.values[f] for f in ASSIGNMENT_FIELDS if f in rec.values}}
        end = final["valid_to"]
        if end is not None and end < start:
            errors.add("assignments", rec.row, "valid_from", f"Ngày bắt đầu sau ngày kết thúc đã có ({fmt_date(end)}).")
            continue
        unit = plan.units[unit_code]
        if not _within(start, end, unit.valid_from, unit.valid_to):
            outside_start = start < unit.valid_from or (unit.valid_to is not None and start > unit.valid_to)
            errors.add(
                "assignments",
                rec.row,
                "valid_from" if outside_start else "valid_to",
                f"Đơn vị “{unit_code}” chỉ có hiệu lực {_span(unit.valid_from, unit.valid_to)}; "
                f"phân công {_span(start, end)} nằm ngoài khoảng này.",
            )
        if final["is_primary"]:
            in_file[person_code].append((start, end, unit_code, key, rec.row))
        if key not in existing:
            plan.assignments_new.append((key, final))
            plan.count("assignments", "created")
        elif changes := _diff(old, final):
            plan.assignments_changed.append((existing[key][0], key, changes))
            plan.count("assignments", "updated")
        else:
            plan.count("assignments", "unchanged")

    # One primary assignment at a time, within the file and against the database.
    for person_code, items in in_file.items():
        file_keys = {item[3] for item in items}
        intervals = items + [p for p in db_primaries.get(person_code, ()) if p[3] not in file_keys]
        intervals.sort(key=lambda i: (i[0], i[4] is not None))
        reach = None  # the interval seen so far that ends last
        for item in intervals:
            if reach is not None and _overlaps(reach[0], reach[1], item[0], item[1]):
                target, other = (item, reach) if item[4] is not None else (reach, item)
                if target[4] is not None:
                    where = f"dòng {other[4]}" if other[4] is not None else "đã có trong hệ thống"
                    errors.add(
                        "assignments",
                        target[4],
                        "valid_from",
                        f"Người “{person_code}” đã có phân công chính tại “{other[2]}” "
                        f"{_span(other[0], other[1])} ({where}) trùng thời gian; hãy kết thúc phân công đó "
                        "trước hoặc ghi is_primary = 0 (kiêm nhiệm).",
                    )
            if reach is None or (reach[1] is not None and (item[1] is None or item[1] > reach[1])):
                reach = item


def _plan_sector_links(sheet: _Sheet, plan: _Plan, errors: _Errors, units_sheet: _Sheet) -> None:
    good = []
    for key, rec in sheet.records.items():
        dept, office, _start = key
        ok = True
        for column, code in (("department_code", dept), ("office_code", office)):
            if code not in plan.units:
                if not _known(units_sheet, code):
                    errors.add("sector_links", rec.row, column, f"Không tìm thấy đơn vị “{code}”.")
                ok = False
        if ok and dept == office:
            errors.add("sector_links", rec.row, "office_code", "Sở và phòng chuyên môn phải là hai đơn vị khác nhau.")
            ok = False
        if ok:
            good.append((key, rec))
    if not good:
        return
    codes = {u.id: c for c, u in plan.units.items() if u.id is not None}
    existing = {
        (codes[d], codes[o], start): (pk, {"valid_to": end})
        for pk, d, o, start, end in SectorLink.objects.values_list(
            "id", "department_id", "office_id", "valid_from", "valid_to"
        ).iterator(chunk_size=2000)
    }
    for key, rec in good:
        dept, office, start = key
        old = existing[key][1] if key in existing else {"valid_to": None}
        final = {**old, **({"valid_to": rec.values["valid_to"]} if "valid_to" in rec.values else {})}
        end = final["valid_to"]
        ok = True
        for column, code in (("department_code", dept), ("office_code", office)):
            unit = plan.units[code]
            if not _within(start, end, unit.valid_from, unit.valid_to):
                errors.add(
                    "sector_links",
                    rec.row,
                    column,
                    f"Đơn vị “{code}” chỉ có hiệu lực {_span(unit.valid_from, unit.valid_to)}; "
                    f"liên kết {_span(start, end)} nằm ngoài khoảng này.",
                )
                ok = False
        if not ok:
            continue
        if key not in existing:
            plan.links_new.append((key, final))
            plan.count("sector_links", "created")
        elif changes := _diff(old, final):
            plan.links_changed.append((existing[key][0], key, changes))
            plan.count("sector_links", "updated")
        else:
            plan.count("sector_links", "unchanged")


class _Clock:
    """Logs (DEBUG) how long each phase of an import takes."""

    def __init__(self):
        self.last = time.monotonic()

    def lap(self, phase: str) -> None:
        now = time.monotonic()
        logger.debug("org-chart import: %s %.1f s", phase, now - self.last)
        self.last = now


def _validate(data: OrgChartData) -> _Plan:
    clock = _Clock()
    errors = _Errors()
    sheets = {name: _parse_sheet(name, getattr(data, name), errors) for name in SHEETS}
    clock.lap("parse rows")
    plan = _Plan()
    _plan_units(sheets["units"], plan, errors)
    _plan_successions(sheets["units"], plan, errors)
    _plan_positions(sheets["positions"], plan)
    clock.lap("check units and positions")
    codes = {k[0] for k in sheets["people"].records} | {k[0] for k in sheets["assignments"].records}
    people = _load_people(codes, plan)
    _plan_people(sheets["people"], plan, errors, people)
    clock.lap("check people")
    _plan_assignments(sheets["assignments"], plan, errors, sheets)
    _plan_sector_links(sheets["sector_links"], plan, errors, sheets["units"])
    clock.lap("check assignments and sector links")
    if errors:
        raise ImportFailed(errors.items)
    return plan


# --- Writing ------------------------------------------------------------------------------------------


def _jsonable(value):
    return value.isoformat() if isinstance(value, date) else value


class _Audit:
    """Buffers audit rows and writes them in batches, bypassing model instances.

    An import of a city writes hundreds of thousands of audit rows; building model instances for
    `bulk_create` costs more than the inserts themselves. Rows go in as tuples, each value prepared
    by its model field as `bulk_create` would (`at` is the same for the whole import): with COPY on
    PostgreSQL (psycopg 3; several times faster than INSERT), with `executemany` elsewhere.
    """

    COLUMNS = ("at", "actor", "action", "object_type", "object_id", "unit", "person", "summary", "changes")

    def __init__(self, actor):
        self.actor_id = actor.pk if getattr(actor, "pk", None) else None
        self.buffer: list[tuple] = []
        self.connection = connections[router.db_for_write(AuditEvent)]
        fields = [AuditEvent._meta.get_field(name) for name in self.COLUMNS]
        quote = self.connection.ops.quote_name
        # Identifiers come from the model's metadata, quoted; the values are parameters.
        target = f"{quote(AuditEvent._meta.db_table)} ({', '.join(quote(f.column) for f in fields)})"
        self.copy_sql = f"COPY {target} FROM STDIN" if self.connection.vendor == "postgresql" else ""
        self.insert_sql = f"INSERT INTO {target} VALUES ({', '.join(['%s'] * len(fields))})"  # noqa: S608
        self.at = fields[0].get_db_prep_save(timezone.now(), self.connection)
        self.changes_field = fields[-1]

    def add(self, action, obj_type, obj_id, summary, *, unit_id=None, person_id=None, changes=None) -> None:
        changes = {k: [_jsonable(a), _jsonable(b)] for k, (a, b) in (changes or {}).items()}
        self.buffer.append(
            (
                self.at,
                self.actor_id,
                action,
                obj_type,
                str(obj_id)[:64],
                unit_id,
                person_id,
                summary[:500],
                self.changes_field.get_db_prep_save(changes, self.connection),
            )
        )
        if len(self.buffer) >= BATCH:
            self.flush()

    def flush(self) -> None:
        if not self.buffer:
            return
        with self.connection.cursor() as cursor:
            raw = cursor.cursor
            if self.copy_sql and hasattr(raw, "copy"):
                with raw.copy(self.copy_sql) as copy:
                    for row in self.buffer:
                        copy.write_row(row)
            else:
                cursor.executemany(self.insert_sql, self.buffer)
        self.buffer = []


def _bulk_update(model, items, attrs) -> None:
    """`items`: (pk, changes); updates grouped by the set of changed fields."""
    groups: dict[frozenset, list] = defaultdict(list)
    for pk, changes in items:
        obj = model(pk=pk)
        for name, (_old, new) in changes.items():
            setattr(obj, attrs.get(name, name), new)
        groups[frozenset(attrs.get(n, n) for n in changes)].append(obj)
    for names, objs in groups.items():
        model.objects.bulk_update(objs, sorted(names), batch_size=BATCH // 2)


def _write(plan: _Plan, actor, source: str) -> None:
    clock = _Clock()
    audit = _Audit(actor)
    units = plan.units

    # Accounts, created without a usable password (the person sets one through password reset).
    User = get_user_model()
    for batch in _chunks(plan.users_new, BATCH):
        objs = [
            User(
                **{User.USERNAME_FIELD: name},
                email=email,
                password=UNUSABLE_PASSWORD_PREFIX + secrets.token_urlsafe(30),
            )
            for name, email in batch
        ]
        User.objects.bulk_create(objs, batch_size=_rows_per_insert(User))
        plan.users.update((getattr(o, User.USERNAME_FIELD), o.pk) for o in objs)

    clock.lap("write accounts")

    # Units: paths computed in the plan, parents first.
    steplen = OrgUnit.steplen
    for batch in _chunks(plan.new_units, BATCH):
        objs = [
            OrgUnit(
                code=u.code,
                name=u.name,
                short_name=u.short_name,
                kind=u.kind,
                valid_from=u.valid_from,
                valid_to=u.valid_to,
                path=u.path,
                depth=len(u.path) // steplen,
                numchild=u.numchild,
            )
            for u in batch
        ]
        OrgUnit.objects.bulk_create(objs, batch_size=_rows_per_insert(OrgUnit))
        for u, obj in zip(batch, objs):
            u.id = obj.pk
            audit.add(
                "import.unit.create",
                "OrgUnit",
                obj.pk,
                f"Nhập dữ liệu: tạo đơn vị {u.name} ({u.code})",
                unit_id=obj.pk,
                changes={
                    "parent": (None, u.parent_code or None),
                    **{f: (None, getattr(u, f)) for f in UNIT_FIELDS},
                },
            )
    _bulk_update(OrgUnit, [(u.id, u.changes) for u in plan.changed_units], {})
    for u in plan.changed_units:
        audit.add(
            "import.unit.update",
            "OrgUnit",
            u.id,
            f"Nhập dữ liệu: sửa đơn vị {u.code}: {', '.join(u.changes)}",
            unit_id=u.id,
            changes=u.changes,
        )
    _bulk_update(OrgUnit, [(units[c].id, {"numchild": (None, n)}) for c, n in plan.numchild.items()], {})

    for batch in _chunks(plan.successions_new, BATCH):
        objs = [
            UnitSuccession(predecessor_id=units[p].id, successor_id=units[s].id, kind=k, effective_on=e)
            for p, s, k, e in batch
        ]
        UnitSuccession.objects.bulk_create(objs, batch_size=_rows_per_insert(UnitSuccession))
        for (p, s, k, e), obj in zip(batch, objs):
            summary = f"Nhập dữ liệu: {s} kế thừa {p} ({SUCCESSION_LABELS[k]}) từ {fmt_date(e)}"
            for code in (p, s):
                audit.add("import.succession.create", "UnitSuccession", obj.pk, summary, unit_id=units[code].id)
    _bulk_update(UnitSuccession, [(pk, ch) for pk, _key, ch in plan.successions_changed], {})
    for pk, (p, s), changes in plan.successions_changed:
        for code in (p, s):
            audit.add(
                "import.succession.update",
                "UnitSuccession",
                pk,
                f"Nhập dữ liệu: sửa quan hệ kế thừa {p} → {s}",
                unit_id=units[code].id,
                changes=changes,
            )

    clock.lap("write units")

    # Positions.
    for batch in _chunks(plan.positions_new, BATCH):
        objs = [Position(**values) for values in batch]
        Position.objects.bulk_create(objs, batch_size=_rows_per_insert(Position))
        for obj in objs:
            plan.positions[obj.code] = obj.pk
            audit.add(
                "import.position.create",
                "Position",
                obj.pk,
                f"Nhập dữ liệu: tạo chức vụ {obj.title} ({obj.code})",
                changes={f: (None, getattr(obj, f)) for f in POSITION_FIELDS},
            )
    _bulk_update(Position, [(pk, ch) for pk, _code, ch in plan.positions_changed], {})
    for pk, code, changes in plan.positions_changed:
        audit.add(
            "import.position.update",
            "Position",
            pk,
            f"Nhập dữ liệu: sửa chức vụ {code}: {', '.join(changes)}",
            changes=changes,
        )

    clock.lap("write positions")

    # People, linked to their accounts.
    for batch in _chunks(plan.people_new, BATCH):
        objs = [
            Person(
                employee_code=v["employee_code"],
                user_id=plan.users[v["username"]] if v["username"] else None,
                search_name=search_key(v["full_name"]),
                **{f: v[f] for f in PERSON_FIELDS},
            )
            for v in batch
        ]
        Person.objects.bulk_create(objs, batch_size=_rows_per_insert(Person))
        for v, obj in zip(batch, objs):
            plan.people[obj.employee_code] = obj.pk
            changes = {f: (None, v[f]) for f in PERSON_FIELDS}
            if v["username"]:
                changes["user"] = (None, v["username"])
            audit.add(
                "import.person.create",
                "Person",
                obj.pk,
                f"Nhập dữ liệu: tạo hồ sơ {obj.full_name} ({obj.employee_code})",
                person_id=obj.pk,
                changes=changes,
            )
    changed = []
    for pk, _code, changes in plan.people_changed:
        if "user" in changes:
            changes = {**changes, "user": (changes["user"][0], plan.users[changes["user"][1]])}
        if "full_name" in changes:
            changes = {**changes, "search_name": (None, search_key(changes["full_name"][1]))}
        changed.append((pk, changes))
    _bulk_update(Person, changed, {"user": "user_id"})
    for pk, code, changes in plan.people_changed:
        audit.add(
            "import.person.update",
            "Person",
            pk,
            f"Nhập dữ liệu: sửa hồ sơ {plan.people_names[code]} ({code}): {', '.join(changes)}",
            person_id=pk,
            changes=changes,
        )

    clock.lap("write people")

    # Assignments.
    for batch in _chunks(plan.assignments_new, BATCH):
        objs = [
            Assignment(
                person_id=plan.people[p],
                unit_id=units[u].id,
                position_id=plan.positions[pos],
                valid_from=start,
                **v,
            )
            for (p, u, pos, start), v in batch
        ]
        Assignment.objects.bulk_create(objs, batch_size=_rows_per_insert(Assignment))
        for ((p, u, pos, start), v), obj in zip(batch, objs):
            audit.add(
                "import.assignment.create",
                "Assignment",
                obj.pk,
                f"Nhập dữ liệu: {plan.people_names[p]} ({p}) làm {plan.position_titles[pos]} tại {u} "
                f"{_span(start, v['valid_to'])}{'' if v['is_primary'] else ' (kiêm nhiệm)'}",
                unit_id=obj.unit_id,
                person_id=obj.person_id,
                changes={"valid_from": (None, start), **{f: (None, v[f]) for f in ASSIGNMENT_FIELDS}},
            )
    _bulk_update(Assignment, [(pk, ch) for pk, _key, ch in plan.assignments_changed], {})
    for pk, (p, u, _pos, start), changes in plan.assignments_changed:
        audit.add(
            "import.assignment.update",
            "Assignment",
            pk,
            f"Nhập dữ liệu: sửa phân công của {plan.people_names[p]} ({p}) tại {u} từ {fmt_date(start)}: "
            f"{', '.join(changes)}",
            unit_id=units[u].id,
            person_id=plan.people[p],
            changes=changes,
        )

    clock.lap("write assignments")

    # Sector links: one audit row on each of the two units.
    for batch in _chunks(plan.links_new, BATCH):
        objs = [
            SectorLink(department_id=units[d].id, office_id=units[o].id, valid_from=start, valid_to=v["valid_to"])
            for (d, o, start), v in batch
        ]
        SectorLink.objects.bulk_create(objs, batch_size=_rows_per_insert(SectorLink))
        for ((d, o, start), v), obj in zip(batch, objs):
            summary = f"Nhập dữ liệu: {d} hướng dẫn chuyên môn {o} {_span(start, v['valid_to'])}"
            for code in (d, o):
                audit.add(
                    "import.sector_link.create",
                    "SectorLink",
                    obj.pk,
                    summary,
                    unit_id=units[code].id,
                    changes={"valid_from": (None, start), "valid_to": (None, v["valid_to"])},
                )
    _bulk_update(SectorLink, [(pk, ch) for pk, _key, ch in plan.links_changed], {})
    for pk, (d, o, start), changes in plan.links_changed:
        for code in (d, o):
            audit.add(
                "import.sector_link.update",
                "SectorLink",
                pk,
                f"Nhập dữ liệu: sửa liên kết ngành dọc {d} → {o} từ {fmt_date(start)}",
                unit_id=units[code].id,
                changes=changes,
            )

    clock.lap("write sector links")
    report = plan.report
    parts = [
        f"{label}: +{report.created[k]} ~{report.updated[k]}"
        for k, label in REPORT_LABELS.items()
        if report.created[k] or report.updated[k]
    ]
    audit.add(
        "import.run",
        "OrgChartImport",
        source or "-",
        f"Nhập sơ đồ tổ chức{f' từ {source}' if source else ''} (+ tạo mới, ~ cập nhật): {'; '.join(parts)}",
        changes={"created": (None, report.created), "updated": (None, report.updated)},
    )
    audit.flush()
    clock.lap("write the summary")


# --- Entry point ----------------------------------------------------------------------------------------


def load_orgchart(data: OrgChartData, *, actor, dry_run: bool = False, source: str = "") -> LoadReport:
    """Validate every row, then write all of it in one transaction, or nothing (`ImportFailed`).

    `dry_run` validates and counts without writing. `source` (a file name) goes into the summary
    audit event. Loading the same data twice changes nothing and writes no audit row the second time.
    """
    if dry_run:
        report = _validate(data).report
        report.dry_run = True
        return report
    try:
        with transaction.atomic():
            plan = _validate(data)
            if plan.report.changed:
                _write(plan, actor, source)
    except IntegrityError as exc:  # someone changed the same rows while we were importing
        raise ImportFailed(
            [RowError("", 0, "", f"Dữ liệu vừa bị thay đổi đồng thời ({exc}); không có gì được ghi, hãy nhập lại.")]
        ) from exc
    return plan.report
