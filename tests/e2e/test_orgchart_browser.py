"""A manager sees their division in a real browser; an outsider sees nothing of it."""

from __future__ import annotations


def test_manager_opens_division_and_sees_staff_outsider_gets_nothing(demo, page_for):
    page = page_for("demo.truongphong", demo)
    page.click("a[href^='/org/units/STC-TH/']")
    page.wait_for_selector("[data-testid=members]")
    assert page.inner_text("[data-testid=unit-name]").startswith("Phòng Tổng hợp")
    members = page.inner_text("[data-testid=members]")
    from orgchart.models import Person

    nhanvien = Person.objects.get(user__username="demo.nhanvien")
    assert nhanvien.full_name in members
    page.click(f"text={nhanvien.full_name}")
    page.wait_for_selector("[data-testid=person-name]")
    assert nhanvien.full_name in page.inner_text("[data-testid=person-name]")

    outsider = page_for("demo.ngoai", demo)
    response = outsider.goto("/org/units/STC-TH/")
    assert response.status == 404
    assert outsider.goto(f"/org/people/{nhanvien.pk}/").status == 404
    outsider.goto("/org/")
    assert "STC" not in outsider.inner_text("main")
    assert "THCS-DEMO" not in outsider.inner_text("main")


def test_phone_sized_home_page_fits(demo, page_for):
    page = page_for("demo.nhanvien", demo, phone=True)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390
    assert "STC-TH" in page.inner_text("main")
