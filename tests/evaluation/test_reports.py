"""Printed and exported reports: the PDF text (read back with pdftotext) and the Excel numbers.

The rows are created directly (the rating services are not under test here).
"""

from __future__ import annotations

import io
import re
import shutil
import subprocess
import unicodedata
import zipfile
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import call_command
from django.utils import timezone
from openpyxl import load_workbook

from evaluation import services
from evaluation.models import AnnualClassification, Evaluation, QuarterlyRating
from evaluation.reports import annual, build, pdf
from kpi.models import FrameworkVersion

YEAR = 2025
HEADER_LINES = ("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc")


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def pdf_text(data: bytes, tmp_path: Path) -> str:
    path = tmp_path / "read.pdf"
    path.write_bytes(data)
    # pdftotext comes with Debian's poppler-utils, which `make test` installs: missing it is a failure.
    exe = shutil.which("pdftotext")
    assert exe, "pdftotext is missing: run `make system-deps` (Debian package poppler-utils)"
    out = subprocess.run(  # noqa: S603
        [exe, "-layout", "-enc", "UTF-8", str(path), "-"], capture_output=True, check=True
    ).stdout.decode("utf-8")
    return nfc(out)


def make_annual(org, key, *, unit=None, average="87.50", counts=None, computed="HTT", **extra):
    person = org.people[key]
    unit = unit or org.stc_th
    return AnnualClassification.objects.create(
        person=person,
        year=YEAR,
        unit=unit,
        unit_name=unit.name,
        position_title=extra.pop("position_title", "Chuyên viên"),
        decision_unit=extra.pop("decision_unit", org.stc),
        framework=FrameworkVersion.objects.get(code="HN-3814-2018"),
        months_evaluated=extra.pop("months_evaluated", 12),
        counts_per_grade=counts if counts is not None else {"A": 3, "B": 8, "C": 1},
        average=None if average is None else Decimal(average),
        computed_level=computed,
        **extra,
    )


@pytest.fixture
def annual_rows(org):
    return [
        make_annual(
            org,
            "nhanvien",
            average="91.25",
            counts={"A": 10, "B": 2},
            computed="HTXS",
            proposed_level="HTXS",
            decided_level="HTT",
            decided_at=timezone.make_aware(datetime(2025, 12, 10, 9, 0)),
            note="Hạn chế số lượng HTXS",
            reasons=[["average", "Điểm trung bình 91,25 của 12 tháng"]],
        ),
        make_annual(org, "nhanvien2", average="78.40", counts={"B": 11, "C": 1}, proposed_level="HTT"),
        make_annual(
            org,
            "truongphong",
            average="64.10",
            counts={"C": 5},
            computed="NOT_CLASSIFIED",
            months_evaluated=5,
            position_title="Trưởng phòng",
        ),
        make_annual(org, "nhanvien_kh", unit=org.stc_kh, average="55.00", counts={"C": 12}, computed="HT"),
    ]


# --- Formats ------------------------------------------------------------------------------------


def test_vietnamese_number_and_date_formats():
    assert annual.vn_number(Decimal("87.5")) == "87,50"
    assert annual.vn_number(1234.567) == "1.234,57"
    assert annual.vn_number(None) == ""
    assert annual.place_and_date(date(2025, 12, 15)) == "Hà Nội, ngày 15 tháng 12 năm 2025"
    assert annual.percent(1, 3) == Decimal("33.33")


# --- The annual list ----------------------------------------------------------------------------


def test_annual_list_selects_the_unit_and_totals_per_level(org, annual_rows, django_assert_max_num_queries):
    with django_assert_max_num_queries(6):
        report = annual.annual_list(unit=org.stc_th, year=YEAR)
    assert [r.full_name for r in report.rows] == [
        "Hoàng Trưởng Phòng",
        "Nguyễn Thị Nhân Viên",
        "Vũ Văn Hai",
    ]
    first = report.rows[1]
    assert first.months_per_level == (10, 2, 0, 0)  # A→HTXS, B→HTT through the framework's map
    assert first.final_level == "HTT"  # the decided level wins over the computed one
    totals = {t.code: (t.count, t.percent) for t in report.totals}
    assert totals["HTT"] == (2, Decimal("66.67"))
    assert totals["NOT_CLASSIFIED"] == (1, Decimal("33.33"))
    assert report.header.agency_name == "Sở Tài chính"
    assert report.header.parent_name == "Thành phố Hà Nội"

    agency = annual.annual_list(unit=org.stc, year=YEAR)  # everyone its head decides
    assert len(agency.rows) == 4
    subtree = annual.annual_list(unit=org.city, year=YEAR, subtree=True)
    assert len(subtree.rows) == 4


def test_annual_list_pdf_keeps_every_glyph(org, annual_rows, tmp_path):
    report = annual.annual_list(unit=org.stc, year=YEAR, on=date(2025, 12, 15))
    data = pdf.render_pdf("reports/annual_list.html", {"report": report, "rows": report.rows, "columns": 11})
    assert data.startswith(b"%PDF")
    text = pdf_text(data, tmp_path)
    for line in HEADER_LINES:
        assert nfc(line) in text
    assert nfc("SỞ TÀI CHÍNH") in text
    assert nfc("THÀNH PHỐ HÀ NỘI") in text
    assert nfc("DANH SÁCH XẾP LOẠI CHẤT LƯỢNG") in text
    assert nfc("Hà Nội, ngày 15 tháng 12 năm 2025") in text
    assert nfc("NGƯỜI LẬP BIỂU") in text and nfc("THỦ TRƯỞNG CƠ QUAN") in text
    for row in annual_rows:
        assert nfc(row.person.full_name) in text
    for figure in ("91,25", "78,40", "64,10", "55,00", "50,00", "25,00"):  # averages and percentages
        assert figure in text
    assert nfc("Hạn chế số lượng HTXS") in text
    assert nfc("Hoàn thành xuất sắc nhiệm vụ") in text


def test_pdf_uses_the_serif_faces_and_refuses_the_network():
    faces = pdf.font_files()
    assert any(family == "Liberation Serif" for family, _w, _s in faces)
    fetcher = pdf.LocalURLFetcher()
    with pytest.raises(pdf.RefusedURL):
        fetcher.fetch("https://example.com/logo.png")
    with pytest.raises(pdf.RefusedURL):
        fetcher.fetch("file:///etc/passwd")
    with pytest.raises(pdf.RefusedURL):
        fetcher.fetch(pdf.BASE_URL + "media/../../../etc/passwd")
    served = fetcher.fetch(pdf.BASE_URL + "static/css/app.css")
    assert b"DanhGia" in served.read()


def test_pdf_with_a_remote_image_renders_without_fetching_it(monkeypatch):
    def no_network(*args, **kwargs):
        raise AssertionError("network used")

    monkeypatch.setattr("urllib.request.OpenerDirector.open", no_network)
    from django.template import engines

    template = engines["django"].from_string('<p>Ảnh</p><img src="https://example.com/x.png">')
    html = template.render({})
    from weasyprint import HTML

    data = HTML(string=html, base_url=pdf.BASE_URL, url_fetcher=pdf.LocalURLFetcher()).write_pdf()
    assert data.startswith(b"%PDF")


# --- Individual forms, monthly and quarterly sheets -----------------------------------------------


@pytest.fixture
def month_forms(org):
    period, _ = services.period_open(year=YEAR, month=11)
    Evaluation.objects.filter(period=period, person=org.people["nhanvien"]).update(
        self_total=Decimal("92.00"), review_total=Decimal("90.50"), final_total=Decimal("90.50"), grade="A"
    )
    Evaluation.objects.filter(period=period, person=org.people["nhanvien2"]).update(
        final_total=Decimal("75.00"), grade="B"
    )
    return period


def test_individual_annual_form_pdf(org, annual_rows, month_forms, tmp_path):
    QuarterlyRating.objects.create(
        person=org.people["nhanvien"],
        year=YEAR,
        quarter=4,
        unit=org.stc_th,
        unit_name=org.stc_th.name,
        position_title="Chuyên viên",
        decision_unit=org.stc,
        framework=FrameworkVersion.objects.get(code="HN-3814-2018"),
        monthly_scores=["88.00", "90.50", None],
        monthly_average=Decimal("89.25"),
        unit_result=Decimal("80.00"),
        sector_assessment=Decimal("85.00"),
        total=Decimal("86.55"),
        grade="B",
    )
    report = annual.annual_forms(unit=org.stc_th, year=YEAR, person_ids=[org.people["nhanvien"].pk])
    (form,) = report.forms
    assert form.months[10].score == Decimal("90.50") and form.months[10].grade == "A"
    assert form.months[0].score is None
    data = pdf.render_pdf("reports/annual_forms.html", {"report": report, "forms": report.forms})
    text = pdf_text(data, tmp_path)
    assert nfc("Nguyễn Thị Nhân Viên") in text
    assert nfc("PHIẾU ĐÁNH GIÁ, XẾP LOẠI CHẤT LƯỢNG NĂM 2025") in text
    for figure in ("90,50", "91,25", "89,25", "86,55"):
        assert figure in text
    assert nfc("Điểm trung bình 91,25 của 12 tháng") in text
    assert nfc("Hoàn thành tốt nhiệm vụ") in text  # the decided level, in words


def test_monthly_and_quarterly_sheets(org, month_forms, tmp_path):
    report = annual.monthly_sheet(unit=org.stc, year=YEAR, month=11)
    by_name = {r.full_name: r for r in report.rows}
    assert by_name["Nguyễn Thị Nhân Viên"].final_total == Decimal("90.50")
    text = pdf_text(pdf.render_pdf("reports/monthly_sheet.html", {"report": report, "rows": report.rows}), tmp_path)
    assert nfc("THÁNG 11 NĂM 2025") in text
    assert "90,50" in text and "75,00" in text
    assert nfc("Vũ Văn Hai") in text

    quarterly = annual.quarterly_sheet(unit=org.stc, year=YEAR, quarter=4)
    assert quarterly.rows == []
    text = pdf_text(pdf.render_pdf("reports/quarterly_sheet.html", {"report": quarterly, "rows": []}), tmp_path)
    assert nfc("BẢNG ĐÁNH GIÁ, XẾP LOẠI THEO QUÝ 4 NĂM 2025") in text


# --- Excel --------------------------------------------------------------------------------------


def test_excel_list_re_read_gives_the_same_numbers_and_dates(org, annual_rows, tmp_path):
    spec = build.ReportSpec(kind="annual_list", unit=org.stc, year=YEAR, fmt="xlsx", on=date(2025, 12, 15))
    path = build.build(spec, tmp_path / "work")
    assert path.suffix == ".xlsx"
    wb = load_workbook(path, read_only=True)
    ws = wb.worksheets[0]
    rows = list(ws.iter_rows(values_only=True))
    header = rows[0]
    assert header[:3] == ("STT", "Họ và tên", "Mã cán bộ")
    col = {name: i for i, name in enumerate(header)}
    by_name = {r[col["Họ và tên"]]: r for r in rows[1:]}
    for row in AnnualClassification.objects.filter(year=YEAR).select_related("person"):
        got = by_name[row.person.full_name]
        assert got[col["Điểm trung bình"]] == float(row.average)
        assert isinstance(got[col["Số tháng được đánh giá"]], int)
        assert got[col["Số tháng được đánh giá"]] == row.months_evaluated
    nhanvien = by_name["Nguyễn Thị Nhân Viên"]
    assert nhanvien[col["Số tháng Hoàn thành xuất sắc nhiệm vụ"]] == 10
    # Levels are written as the labels people read, never as codes.
    assert nhanvien[col["Mức tự xếp loại"]] == "Hoàn thành xuất sắc nhiệm vụ"
    assert nhanvien[col["Mức xếp loại của cấp có thẩm quyền"]] == "Hoàn thành tốt nhiệm vụ"
    assert by_name["Hoàng Trưởng Phòng"][col["Mức tính toán"]] == "Không xếp loại"
    assert not any("NOT_CLASSIFIED" in str(cell) for r in rows for cell in r if cell is not None)
    assert nhanvien[col["Ngày quyết định"]] == datetime(2025, 12, 10)  # a real date cell
    totals = list(wb["Tổng hợp"].iter_rows(values_only=True))
    assert ("Hoàn thành nhiệm vụ", 1, 25.0) in totals and ("Không xếp loại", 1, 25.0) in totals
    wb.close()

    wb = load_workbook(path)  # styles are only read in normal mode
    ws = wb.worksheets[0]
    assert ws.freeze_panes == "C2"
    assert ws.cell(row=2, column=col["Điểm trung bình"] + 1).number_format == "0.00"
    assert wb["Thông tin"].cell(row=2, column=6).value == datetime(2025, 12, 15)


def test_excel_monthly_and_quarterly(org, month_forms, tmp_path):
    path = build.build(
        build.ReportSpec(kind="monthly_sheet", unit=org.stc_th, year=YEAR, month=11, fmt="xlsx"), tmp_path
    )
    rows = list(load_workbook(path, read_only=True).worksheets[0].iter_rows(values_only=True))
    finals = {r[1]: r[7] for r in rows[1:]}
    assert finals["Nguyễn Thị Nhân Viên"] == 90.5
    assert finals["Hoàng Trưởng Phòng"] is None  # no score is an empty cell, never 0


# --- Command line -------------------------------------------------------------------------------


def test_cli_writes_pdf_and_xlsx(org, annual_rows, tmp_path):
    out_pdf = tmp_path / "stc.pdf"
    out_xlsx = tmp_path / "stc.xlsx"
    call_command("annual_report", unit="STC", year=YEAR, format="pdf", output=str(out_pdf), stdout=io.StringIO())
    call_command(
        "annual_report", unit="HN", year=YEAR, format="xlsx", output=str(out_xlsx), subtree=True, stdout=io.StringIO()
    )
    assert nfc("Nguyễn Thị Nhân Viên") in pdf_text(out_pdf.read_bytes(), tmp_path)
    rows = list(load_workbook(out_xlsx, read_only=True).worksheets[0].iter_rows(values_only=True))
    assert len(rows) == 1 + len(annual_rows)


def test_cli_refuses_an_unknown_unit(db, tmp_path):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("annual_report", unit="NOPE", year=YEAR, format="pdf", output=str(tmp_path / "x.pdf"))


# --- Splitting ----------------------------------------------------------------------------------


def test_a_250_page_batch_is_split_under_200_pages(tmp_path):
    """The splitter on a real 250-page batch (one cheap page per item): 200 + 50 pages, in order."""
    from django.template import engines

    template = engines["django"].from_string(
        "<style>@page { size: A4 } div { page-break-after: always }</style>"
        "{% for i in items %}<div>Trang số {{ i }}</div>{% endfor %}"
    )
    items = list(range(1, 251))
    parts = build.write_pdf_parts(
        template, items, lambda chunk: {"items": chunk}, tmp_path, "batch", first_chunk=len(items)
    )
    assert [p.name for p in parts] == ["batch-part01.pdf", "batch-part02.pdf"]
    pages = [pdf_pages(p) for p in parts]
    assert pages == [200, 50]
    assert "Trang số 201" in pdf_text(parts[1].read_bytes(), tmp_path)


def pdf_pages(path: Path) -> int:
    out = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout  # noqa: S603, S607
    return int(next(line for line in out.splitlines() if line.startswith("Pages:")).split()[1])


def test_individual_forms_beyond_the_limit_are_zipped(org, annual_rows, settings, tmp_path):
    """End to end with a lower limit: 4 one-page forms and at most 3 pages per PDF → a zip of 2."""
    settings.REPORTS_MAX_PAGES = 3
    path = build.build(build.ReportSpec(kind="annual_forms", unit=org.stc, year=YEAR), tmp_path)
    assert path.suffix == ".zip"
    with zipfile.ZipFile(path) as zf:
        names = sorted(zf.namelist())
        assert names == ["annual-forms-STC-2025-part01.pdf", "annual-forms-STC-2025-part02.pdf"]
        for name in names:
            (tmp_path / name).write_bytes(zf.read(name))
    assert [pdf_pages(tmp_path / n) for n in names] == [3, 1]
    text = pdf_text((tmp_path / names[1]).read_bytes(), tmp_path)
    assert nfc("Bùi Văn Kế") in text  # the fourth form in list order (units by tree path, then names)


# --- Levels as people read them; the proposed and decided columns -----------------------------------


def test_level_labels_come_from_the_framework_spec(org, annual_rows):
    spec = FrameworkVersion.objects.get(code="HN-3814-2018").spec
    labels = spec.annual_level_labels()
    assert labels == {
        "HTXS": "Hoàn thành xuất sắc nhiệm vụ",
        "HTT": "Hoàn thành tốt nhiệm vụ",
        "HT": "Hoàn thành nhiệm vụ",
        "KHT": "Không hoàn thành nhiệm vụ",
        "NOT_CLASSIFIED": "Không xếp loại",
    }
    report = annual.annual_list(unit=org.stc, year=YEAR)
    assert report.levels.labels == labels
    assert [r.not_classified for r in report.rows] == [True, False, False, False]


def test_list_pdf_prints_the_proposed_and_decided_levels_from_the_services(org, tmp_path):
    from evaluation import ratings
    from tests.evaluation.test_annual import STC_PEOPLE, give_year

    for key in STC_PEOPLE:
        give_year(org.people[key], [95 if key == "nhanvien" else 80] * 12)
    ratings.annual_compute(year=YEAR)
    mine = AnnualClassification.objects.get(person=org.people["nhanvien2"])
    ratings.annual_propose(classification=mine, level="HTXS", actor=org.user("nhanvien2"))
    for c in AnnualClassification.objects.all():
        ratings.annual_decide(
            classification=c, level=c.computed_level, expected_version=c.version, actor=org.user("giamdoc")
        )
    ratings.annual_publish(unit=org.stc, year=YEAR, actor=org.user("giamdoc"))
    for subtree, unit in ((False, org.stc), (True, org.city)):
        path = build.build(build.ReportSpec(kind="annual_list", unit=unit, year=YEAR, subtree=subtree), tmp_path / "w")
        text = pdf_text(path.read_bytes(), tmp_path)
        # Vũ Văn Hai proposed HTXS and was decided HTT; a wrapped cell spans the lines around the row.
        lines = text.splitlines()
        at = next(i for i, line in enumerate(lines) if "Vũ Văn Hai" in line)
        hai = " ".join(" ".join(lines[at - 1 : at + 2]).split())
        assert "Hoàn thành xuất" in hai and "sắc nhiệm vụ" in hai and "Hoàn thành tốt" in hai
        assert "NOT_CLASSIFIED" not in text and "HTXS" not in text
        assert ("Phòng Tổng hợp" in hai) is subtree  # the unit column of a subtree's list
        path.unlink()


def test_years_print_without_grouping_in_reports(org, annual_rows):
    from django.template.loader import render_to_string
    from django.utils import translation

    with translation.override("vi"):
        report = annual.annual_forms(unit=org.stc, year=YEAR)
        html = render_to_string("reports/annual_forms.html", {"report": report, "forms": report.forms})
        listing = annual.annual_list(unit=org.stc, year=YEAR)
        html += render_to_string("reports/annual_list.html", {"report": listing, "rows": listing.rows})
    assert "2.025" not in html and f"NĂM {YEAR}" in html


def test_the_printed_list_carries_the_totals_chart_as_svg(org, annual_rows, tmp_path):
    report = annual.annual_list(unit=org.stc, year=YEAR, on=date(2025, 12, 15))
    svg = report.chart_svg
    assert svg.startswith("<svg") and svg.count('class="bar"') == len([t for t in report.totals if t.code or t.count])
    counts = sorted(int(v) for v in re.findall(r"data-value=\"(\d+)\"", svg))
    assert counts == sorted(t.count for t in report.totals if t.code or t.count)
    data = pdf.render_pdf("reports/annual_list.html", {"report": report, "rows": report.rows, "columns": 11})
    text = pdf_text(data, tmp_path)
    assert nfc(f"Số người theo mức xếp loại năm {YEAR}") in text  # the chart's title, drawn by WeasyPrint
