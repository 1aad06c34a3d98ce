"""HR's actions on a month: open early, move the deadlines, close and re-open; each recorded."""

from __future__ import annotations

from datetime import date

import pytest
from django.urls import reverse

from evaluation import services
from evaluation.models import Period
from orgchart.models import AuditEvent
from tests.evaluation.conftest import form_of, staff_points


def events(period, action):
    return AuditEvent.objects.filter(object_type="Period", object_id=str(period.pk), action=action)


def test_hr_moves_the_deadlines_with_a_reason(org, period_2025):
    period = services.period_set_deadlines(
        period=period_2025,
        self_due=date(2025, 12, 5),
        review_due=date(2025, 12, 8),
        decide_due=date(2025, 12, 10),
        reason="Nghỉ lễ",
        actor=org.user("hr"),
    )
    assert (period.self_due, period.review_due, period.decide_due) == (
        date(2025, 12, 5),
        date(2025, 12, 8),
        date(2025, 12, 10),
    )
    event = events(period, "period.deadlines").get()
    assert event.actor == org.user("hr") and "Nghỉ lễ" in event.summary
    assert event.changes["self_due"] == ["2025-12-03", "2025-12-05"]


@pytest.mark.parametrize(
    ("dates", "reason", "persona", "error"),
    [
        ((date(2025, 12, 9), date(2025, 12, 8), date(2025, 12, 10)), "x", "hr", services.InvalidInput),
        ((date(2025, 11, 1), date(2025, 12, 8), date(2025, 12, 10)), "x", "hr", services.InvalidInput),
        ((date(2025, 12, 5), date(2025, 12, 8), date(2025, 12, 10)), " ", "hr", services.InvalidInput),
        ((date(2025, 12, 5), date(2025, 12, 8), date(2025, 12, 10)), "x", "giamdoc", services.NotAllowed),
    ],
)
def test_bad_deadlines_change_nothing(org, period_2025, dates, reason, persona, error):
    with pytest.raises(error):
        services.period_set_deadlines(
            period=period_2025,
            self_due=dates[0],
            review_due=dates[1],
            decide_due=dates[2],
            reason=reason,
            actor=org.user(persona),
        )
    period_2025.refresh_from_db()
    assert period_2025.self_due == date(2025, 12, 3)
    assert not events(period_2025, "period.deadlines").exists()


def test_a_closed_month_takes_no_entries_until_reopened(org, period_2025):
    services.period_set_state(period=period_2025, state="closed", reason="Hết hạn", actor=org.user("hr"))
    form = form_of(org, "nhanvien", period_2025)
    with pytest.raises(services.Conflict):
        services.evaluation_save_self(
            evaluation=form, expected_version=form.version, points=staff_points(60), actor=org.user("nhanvien")
        )
    with pytest.raises(services.Conflict):
        services.period_set_state(period=period_2025, state="closed", reason="lần hai", actor=org.user("hr"))
    services.period_set_state(period=period_2025, state="open", reason="Gia hạn", actor=org.user("hr"))
    form = form_of(org, "nhanvien", period_2025)
    form = services.evaluation_save_self(
        evaluation=form, expected_version=form.version, points=staff_points(60), actor=org.user("nhanvien")
    )
    assert str(form.self_total) == "80.00"
    assert [e.action for e in AuditEvent.objects.filter(object_type="Period").order_by("at", "pk")] == [
        "period.close",
        "period.reopen",
    ]


def test_the_periods_page_is_for_hr_only_and_works(org, login):
    url = reverse("evaluation:periods")
    assert login(org.user("giamdoc")).get(url).status_code == 404
    client = login(org.user("hr"))
    response = client.post(reverse("evaluation:period_open"), {"year": "2025", "month": "10"})
    assert response.status_code == 302
    period = Period.objects.get(year=2025, month=10)
    assert events(period, "period.open").get().actor == org.user("hr")
    response = client.post(
        reverse("evaluation:period_deadlines", kwargs={"pk": period.pk}),
        {"self_due": "05/11/2025", "review_due": "07/11/2025", "decide_due": "10/11/2025", "reason": "Lùi hạn"},
    )
    assert response.status_code == 302
    period.refresh_from_db()
    assert period.self_due == date(2025, 11, 5)  # 05/11 is the 5th of November
    response = client.post(
        reverse("evaluation:period_state", kwargs={"pk": period.pk}), {"state": "closed", "reason": "Kết thúc"}
    )
    period.refresh_from_db()
    assert period.state == Period.State.CLOSED
    page = client.get(url).content.decode()
    assert "Lùi hạn" in page and "Kết thúc" in page


def test_a_version_cannot_take_effect_in_a_month_that_already_has_forms(org):
    import time_machine
    from django.core.exceptions import ValidationError

    from kpi import services as kpi_services
    from kpi.models import FrameworkVersion

    with time_machine.travel(date(2026, 12, 2), tick=False):
        services.period_open(year=2026, month=12)  # December opened early (e.g. by HR)
        draft = kpi_services.framework_version_copy(
            source=FrameworkVersion.objects.get(code="VN-ND335-2025"), code="VN-ND335-2027", actor=org.user("hr")
        )
        with pytest.raises(ValidationError) as caught:
            kpi_services.framework_version_publish(
                version=draft, effective_from=date(2026, 12, 1), actor=org.user("hr")
            )
        assert "12/2026" in caught.value.message_dict["effective_from"][0]
        draft.refresh_from_db()
        assert draft.status == "draft"
        published = kpi_services.framework_version_publish(
            version=draft, effective_from=date(2027, 1, 1), actor=org.user("hr")
        )
        assert published.status == "published"
