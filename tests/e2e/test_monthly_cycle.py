"""A month run in a real browser by the demo accounts: a teacher on a phone and her head; a civil
servant under ND 335, the head of his division and the director."""

from __future__ import annotations

from django.utils import timezone

from evaluation import services
from evaluation.models import Evaluation
from evaluation.workflow import Status

PHONE_WIDTH = 390


def _open_period():
    today = timezone.localdate()
    period, created = services.period_open(year=today.year, month=today.month)
    assert created > 0
    return period


def _form(period, username: str) -> Evaluation:
    return Evaluation.objects.select_related("framework").get(period=period, person__user__username=username)


def _status(page, status: str) -> None:
    page.wait_for_selector(f"[data-testid=form-status][data-status={status}]")


def _fits(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE_WIDTH


def test_teacher_self_assesses_on_a_phone_and_the_head_decides(demo, page_for):
    period = _open_period()
    form = _form(period, "demo.giaovien")
    assert form.framework.code == "HN-3814-2018"

    phone = page_for("demo.giaovien", demo, phone=True)
    phone.goto("/evaluations/")
    _fits(phone)
    phone.click("[data-testid=open-my-form]")
    phone.wait_for_selector("input[name=points-KL1]")
    _fits(phone)
    points = {"KL1": "5", "KL2": "5", "KL3": "5", "KL4": "4,5", "NV1": "28", "NV2": "22", "NV3": "13", "TH1": "2"}
    for code, value in points.items():
        phone.fill(f"input[name=points-{code}]", value)
    phone.fill("input[name=points-TH2]", "0")
    # The running total follows the typing (htmx posts the points to the preview view).
    phone.wait_for_function(
        "document.querySelector('[data-testid=total]').textContent.trim() === '84,50'", timeout=10_000
    )
    assert phone.inner_text("[data-testid=grade]") == "B"
    _fits(phone)
    phone.fill("#id_tasks", "Dạy 18 tiết/tuần\nChủ nhiệm lớp 8A | hoàn thành")
    phone.click("[data-testid=save]")
    phone.wait_for_selector(".messages .msg-success")
    phone.click("[data-testid=submit]")
    _status(phone, "submitted")
    _fits(phone)
    form.refresh_from_db()
    assert form.status == Status.SUBMITTED and str(form.self_total) == "84.50" and len(form.tasks) == 2

    head = page_for("demo.hieutruong", demo)
    head.goto("/evaluations/")
    head.click("[data-testid=team-link]")
    head.click(f"text={form.person.full_name}")
    head.wait_for_selector("[data-testid=decide]")
    assert head.input_value("input[name=points-NV1]") == "28"  # the decision starts from the self-assessment
    assert head.locator("[data-testid=review]").count() == 0  # the head is also the manager: no review step
    head.click("[data-testid=decide]")
    _status(head, "decided")
    form.refresh_from_db()
    assert form.status == Status.DECIDED and form.grade == "B" and str(form.final_total) == "84.50"
    assert list(form.history.values_list("action", flat=True)) == ["save", "submit", "decide"]


def test_civil_servant_submits_the_manager_reviews_the_director_decides(demo, page_for):
    period = _open_period()
    form = _form(period, "demo.nhanvien")
    assert form.framework.code == "VN-ND335-2025"

    staff = page_for("demo.nhanvien", demo)
    staff.goto(f"/evaluations/{form.pk}/")
    for code, value in {"CC1": "9", "CC2": "9", "CC3": "8,5"}.items():
        staff.fill(f"input[name=points-{code}]", value)
    for key, value in {"quantity": "1", "quality": "0,9", "timeliness": "0,8"}.items():
        staff.fill(f"input[name=share-{key}]", value)
    # 26,5 + 70 × (1 + 0,9 + 0,8) / 3 = 26,5 + 63 = 89,5
    staff.wait_for_function(
        "document.querySelector('[data-testid=total]').textContent.trim() === '89,50'", timeout=10_000
    )
    assert staff.inner_text("[data-testid=grade]") == "HTT"
    staff.click("[data-testid=submit]")
    _status(staff, "submitted")

    manager = page_for("demo.truongphong", demo)
    manager.goto("/evaluations/")
    manager.click("[data-testid=team-link]")
    manager.click(f"[data-testid=team-row]:has-text('{form.person.full_name}')")
    manager.wait_for_selector("[data-testid=review]")
    manager.fill("input[name=points-CC3]", "8")
    manager.click("[data-testid=review]")  # a change without a comment is refused
    manager.wait_for_selector(".messages .msg-error")
    form.refresh_from_db()
    assert form.status == Status.SUBMITTED
    manager.fill("input[name=points-CC3]", "8")
    manager.fill("input[name=comment-CC3]", "Chưa đủ minh chứng đổi mới")
    manager.click("[data-testid=review]")
    _status(manager, "reviewed")
    form.refresh_from_db()
    assert str(form.review_total) == "89.00" and form.review_grade == "HTT"

    director = page_for("demo.giamdoc", demo)
    director.goto("/evaluations/")
    director.click("[data-testid=unit-link][data-unit=STC]")
    director.wait_for_selector("[data-testid=unit-grid]")
    assert director.locator("[data-testid=quota]").count() >= 1
    director.check(f"#pick-{form.pk}")
    director.click("[data-testid=bulk-decide]")
    director.wait_for_selector(".messages .msg-success")
    form.refresh_from_db()
    assert form.status == Status.DECIDED and form.grade == "HTT" and str(form.final_total) == "89.00"
    assert list(form.history.values_list("action", flat=True)) == ["save", "submit", "review", "decide"]
    director.goto(f"/evaluations/{form.pk}/")
    history = director.inner_text("[data-testid=history]")
    assert "Chưa đủ minh chứng đổi mới" in history
