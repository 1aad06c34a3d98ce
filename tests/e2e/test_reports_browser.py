"""HR generates the annual report of Sở Tài chính in a real browser and downloads the PDF."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from django.utils import timezone

from evaluation import services
from evaluation.models import AnnualClassification, ReportJob
from kpi.models import FrameworkVersion
from orgchart.models import Assignment, OrgUnit
from tests.evaluation.test_reports import nfc, pdf_text


def _classify_stc(year: int) -> list[str]:
    """Annual rows for the people of STC (the rating services are tested elsewhere)."""
    stc = OrgUnit.objects.get(code="STC")
    framework = FrameworkVersion.objects.get(code="HN-3814-2018")
    names = []
    assignments = Assignment.objects.filter(is_primary=True, valid_to__isnull=True, unit__path__startswith=stc.path)
    for a in assignments.select_related("person", "unit", "position").order_by("person__full_name")[:6]:
        AnnualClassification.objects.create(
            person=a.person,
            year=year,
            unit=a.unit,
            unit_name=a.unit.name,
            position_title=a.position.title,
            decision_unit=stc,
            framework=framework,
            months_evaluated=12,
            counts_per_grade={"B": 12},
            average=Decimal("82.50"),
            computed_level="HTT",
        )
        names.append(a.person.full_name)
    assert names
    return names


def test_hr_drills_into_so_tai_chinh_and_downloads_its_annual_report(demo, page_for, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    today = timezone.localdate()
    services.period_open(year=today.year, month=today.month)
    names = _classify_stc(today.year)

    page = page_for("demo.hr", demo)
    page.click("[data-testid=nav-dashboards]")
    page.wait_for_selector("[data-testid=completion-table]")
    page.click("tr[data-unit=STC] a[data-testid=drill]")
    page.wait_for_selector("tr[data-unit=STC-TH]")
    assert "Sở Tài chính" in page.inner_text("[data-testid=crumbs]")

    page.click("[data-testid=nav-reports]")
    page.wait_for_selector("[data-testid=report-request]")
    page.select_option("#id_kind", "annual_list")
    page.fill("[data-testid=report-unit]", "STC")
    page.fill("#id_year", str(today.year))
    page.select_option("#id_format", "pdf")
    page.click("[data-testid=report-submit]")

    page.wait_for_selector("[data-testid=job-progress][data-state=done]", timeout=60_000)
    job = ReportJob.objects.get()
    assert job.params["unit"] == "STC" and job.requested_by.username == "demo.hr"
    with page.expect_download() as info:
        page.click("[data-testid=job-progress] [data-testid=download]")
    download = info.value
    assert download.suggested_filename == f"annual-list-STC-{today.year}.pdf"
    data = Path(download.path()).read_bytes()
    assert data.startswith(b"%PDF")

    text = pdf_text(data, tmp_path)  # every glyph of the names is there
    for name in names:
        assert nfc(name) in text

    page.click("[data-testid=back-to-reports]")  # the list keeps it
    page.wait_for_selector(f"[data-testid=report-jobs] tr[data-job='{job.pk}'][data-state=done]")


def test_an_outsider_has_no_reports_link_and_gets_404(demo, page_for):
    page = page_for("demo.ngoai", demo)
    assert page.locator("[data-testid=nav-reports]").count() == 0
    assert page.goto("/reports/").status == 404
