"""The API and the pages are two doors to the same services: what one does, the other shows."""

from __future__ import annotations

from decimal import Decimal

from django.urls import reverse

from evaluation.models import Evaluation
from tests.evaluation.conftest import form_of, staff_points
from tests.evaluation.test_api import Api


def test_a_self_assessment_on_the_page_reads_the_same_in_the_api(org, period_2025, client):
    form = form_of(org, "nhanvien", period_2025)
    client.force_login(org.user("nhanvien"))
    post = {f"points-{code}": str(value).replace(".", ",") for code, value in staff_points(62, bonus=3).items()}
    response = client.post(
        reverse("evaluation:form", kwargs={"pk": form.pk}), {**post, "version": form.version, "action": "submit"}
    )
    assert response.status_code == 302
    body = Api(client, org)("nhanvien", "GET", f"/evaluations/{form.pk}").json()
    form.refresh_from_db()
    assert body["status"] == form.status == "submitted"
    assert Decimal(str(body["self_total"])) == form.self_total == Decimal("85.00")
    assert {c["code"]: c["self_points"] for c in body["criteria"]} == {
        code: float(value) for code, value in staff_points(62, bonus=3).items()
    }


def test_a_decision_through_the_api_shows_on_the_pages(org, period_2025, client):
    form = form_of(org, "nhanvien", period_2025)
    api = Api(client, org)
    decided = api("giamdoc", "POST", f"/evaluations/{form.pk}/decide", {"points": staff_points(70, bonus=10)}).json()
    assert (decided["final_total"], decided["grade"]) == (100.0, "A")
    page = client.get(reverse("evaluation:form", kwargs={"pk": form.pk}))
    assert page.context["evaluation"].final_total == Decimal("100.00")
    assert "100,00" in page.content.decode()
    grid = client.get(reverse("evaluation:unit", kwargs={"code": "STC", "period_key": period_2025.key}))
    row = next(r["form"] for r in grid.context["rows"] if r["form"].pk == form.pk)
    assert (row.final_total, row.grade) == (Decimal("100.00"), "A")
    listed = api("giamdoc", "GET", "/evaluations", period="2025-11", unit="STC").json()
    item = next(i for i in listed["items"] if i["id"] == form.pk)
    assert (item["grade"], item["status"]) == ("A", Evaluation.objects.get(pk=form.pk).status)
