"""HR opens the completion dashboard in a real browser and drills into Sở Tài chính."""

from __future__ import annotations

from django.utils import timezone

from evaluation import services
from evaluation.models import Evaluation
from orgchart.models import OrgUnit


def test_hr_drills_into_so_tai_chinh_and_opens_the_list_behind_a_figure(demo, page_for):
    today = timezone.localdate()
    period, created = services.period_open(year=today.year, month=today.month)
    assert created > 0
    stc = OrgUnit.objects.get(code="STC")
    in_stc = Evaluation.objects.filter(period=period, unit__path__startswith=stc.path)
    in_division = in_stc.filter(unit__code="STC-TH").count()

    page = page_for("demo.hr", demo)
    page.goto(f"/dashboards/completion/?period={period.key}")
    page.wait_for_selector("[data-testid=completion-table]")
    assert stc.name in page.inner_text("tr[data-unit=STC]")
    assert page.inner_text("tr[data-unit=STC] [data-status=total]") == str(in_stc.count())

    page.click("tr[data-unit=STC] a[data-testid=drill]")
    page.wait_for_selector("tr[data-unit=STC-TH]")
    assert stc.name in page.inner_text("[data-testid=crumbs]")
    assert page.inner_text("tfoot [data-status=total]") == str(in_stc.count())
    assert page.locator("[data-testid=completion-chart] svg").count() == 1

    page.click("tr[data-unit=STC-TH] [data-status=total] a")
    page.wait_for_selector("[data-testid=form-list]")
    assert page.locator("[data-testid=form-list] tbody tr").count() == in_division

    page.goto(f"/dashboards/distribution/?year={today.year}&unit=STC")
    page.wait_for_selector("[data-testid=filters]")
    assert page.locator("[data-testid=no-grades]").count() == 1  # nothing decided yet


def test_an_outsider_cannot_open_the_dashboard_of_so_tai_chinh(demo, page_for):
    page = page_for("demo.ngoai", demo)
    assert page.goto("/dashboards/completion/?unit=STC").status == 404
