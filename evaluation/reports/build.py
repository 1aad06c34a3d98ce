"""Build one report into a working directory: the shared path of the CLI, the jobs and the views.

A PDF stays under `REPORTS_MAX_PAGES` pages (200 by default): a bigger report is laid out in
chunks, each chunk re-split until it fits, written as numbered parts and zipped.
"""

from __future__ import annotations

import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from django.conf import settings

from evaluation.reports import annual, excel, pdf
from orgchart.models import OrgUnit

PDF, XLSX, ZIP = "pdf", "xlsx", "zip"
ANNUAL_LIST, ANNUAL_FORMS, MONTHLY_SHEET, QUARTERLY_SHEET = (
    "annual_list",
    "annual_forms",
    "monthly_sheet",
    "quarterly_sheet",
)
FORMATS = {ANNUAL_LIST: (PDF, XLSX), ANNUAL_FORMS: (PDF,), MONTHLY_SHEET: (PDF, XLSX), QUARTERLY_SHEET: (PDF, XLSX)}
TEMPLATES = {
    ANNUAL_LIST: "reports/annual_list.html",
    ANNUAL_FORMS: "reports/annual_forms.html",
    MONTHLY_SHEET: "reports/monthly_sheet.html",
    QUARTERLY_SHEET: "reports/quarterly_sheet.html",
}
ROWS_PER_PAGE_GUESS = 20  # list rows per landscape page; only sizes the first chunk
Progress = Callable[[int], None]  # percent 0..100


def max_pages() -> int:
    return int(getattr(settings, "REPORTS_MAX_PAGES", 200))


@dataclass(frozen=True)
class ReportSpec:
    kind: str
    unit: OrgUnit
    year: int
    fmt: str = PDF
    subtree: bool = False
    month: int | None = None
    quarter: int | None = None
    on: date | None = None  # the printed date (default: today)

    def __post_init__(self):
        if self.kind not in FORMATS:
            raise ValueError(f"unknown report kind {self.kind!r}")
        if self.fmt not in FORMATS[self.kind]:
            raise ValueError(f"{self.kind} cannot be written as {self.fmt}")
        if self.kind == MONTHLY_SHEET and not (self.month and 1 <= self.month <= 12):
            raise ValueError("a monthly sheet needs a month (1-12)")
        if self.kind == QUARTERLY_SHEET and not (self.quarter and 1 <= self.quarter <= 4):
            raise ValueError("a quarterly sheet needs a quarter (1-4)")

    @property
    def base_name(self) -> str:
        name = f"{self.kind.replace('_', '-')}-{self.unit.code}-{self.year}"
        if self.kind == MONTHLY_SHEET:
            name += f"-{self.month:02d}"
        if self.kind == QUARTERLY_SHEET:
            name += f"-q{self.quarter}"
        return name + ("-subtree" if self.subtree else "")

    @classmethod
    def from_params(cls, params: dict[str, Any], *, kind: str) -> ReportSpec:
        return cls(
            kind=kind,
            unit=OrgUnit.objects.get(code=params["unit"]),
            year=int(params["year"]),
            fmt=params.get("format", PDF),
            subtree=bool(params.get("subtree")),
            month=int(params["month"]) if params.get("month") else None,
            quarter=int(params["quarter"]) if params.get("quarter") else None,
        )

    def as_params(self) -> dict[str, Any]:
        params = {"unit": self.unit.code, "year": self.year, "format": self.fmt, "subtree": self.subtree}
        if self.month:
            params["month"] = self.month
        if self.quarter:
            params["quarter"] = self.quarter
        return params


def select(spec: ReportSpec, progress: annual.Progress | None = None):
    """The report's data, from the one selector module."""
    common = {"unit": spec.unit, "year": spec.year, "subtree": spec.subtree, "on": spec.on, "progress": progress}
    if spec.kind == ANNUAL_LIST:
        return annual.annual_list(**common)
    if spec.kind == ANNUAL_FORMS:
        return annual.annual_forms(**common)
    if spec.kind == MONTHLY_SHEET:
        return annual.monthly_sheet(month=spec.month, **common)
    return annual.quarterly_sheet(quarter=spec.quarter, **common)


def _items_and_context(spec: ReportSpec, report) -> tuple[Sequence, Callable[[Sequence], dict], int]:
    if spec.kind == ANNUAL_FORMS:
        return report.forms, (lambda chunk: {"report": report, "forms": chunk}), max_pages()
    columns = report.columns if spec.kind == ANNUAL_LIST else 12
    first = max_pages() * ROWS_PER_PAGE_GUESS
    return report.rows, (lambda chunk: {"report": report, "rows": chunk, "columns": columns}), first


def write_pdf_parts(
    template: str,
    items: Sequence,
    context_for: Callable[[Sequence], dict],
    out_dir: Path,
    stem: str,
    *,
    first_chunk: int,
    limit: int | None = None,
    progress: Progress | None = None,
) -> list[Path]:
    """Lay out `items` in chunks of at most `limit` pages, written as `stem-partNN.pdf` in order.

    A chunk that lays out longer than the limit is cut where the page count says it should be (at
    least in two) and laid out again; a single item longer than the limit is written on its own.
    """
    limit = limit or max_pages()
    pending: list[Sequence] = [items[i : i + first_chunk] for i in range(0, len(items), first_chunk)] or [items]
    written: list[Path] = []
    done = 0
    while pending:
        chunk = pending.pop(0)
        doc = pdf.document(template, context_for(chunk))
        pages = len(doc.pages)
        if pages > limit and len(chunk) > 1:
            cut = max(1, min(len(chunk) - 1, len(chunk) * limit // pages))
            pending[:0] = [chunk[:cut], chunk[cut:]]
            continue
        path = out_dir / f"{stem}-part{len(written) + 1:02d}.pdf"
        doc.write_pdf(target=str(path))
        written.append(path)
        done += len(chunk)
        if progress is not None and items:
            progress(done * 100 // len(items))
    return written


def build(spec: ReportSpec, workdir: Path, *, progress: Progress | None = None) -> Path:
    """Write the report into `workdir`; returns the file (a .pdf, .xlsx, or .zip of PDF parts)."""
    workdir.mkdir(parents=True, exist_ok=True)

    def report(percent: int) -> None:
        if progress is not None:
            progress(percent)

    def rows_progress(done: int, total: int) -> None:
        if progress is not None and total and (done == total or done % 100 == 0):
            progress(done * 30 // total)

    data = select(spec, rows_progress)
    report(30)
    if spec.fmt == XLSX:
        path = workdir / f"{spec.base_name}.xlsx"
        excel.write_report_xlsx(spec.kind, data, path)
        report(100)
        return path
    items, context_for, first = _items_and_context(spec, data)
    parts_dir = workdir / "parts"
    parts_dir.mkdir(exist_ok=True)
    parts = write_pdf_parts(
        TEMPLATES[spec.kind],
        items,
        context_for,
        parts_dir,
        spec.base_name,
        first_chunk=first,
        progress=lambda p: report(30 + p * 65 // 100),
    )
    if len(parts) == 1:
        path = workdir / f"{spec.base_name}.pdf"
        parts[0].replace(path)
    else:
        path = workdir / f"{spec.base_name}.zip"
        with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
            for part in parts:
                zf.write(part, arcname=part.name)
    report(100)
    return path
