"""API v1 of the monthly cycle: the whole chain (session and bearer token), every error class,
list filters and visibility, the OpenAPI schema."""

from __future__ import annotations

import pytest
from django.test import Client

from evaluation import services
from evaluation.models import Evaluation
from orgchart import services as org_services
from tests.evaluation.conftest import form_of, staff_points

BASE = "/api/v1"
PERIOD = "2025-11"
STAFF_CODES = ["KL1", "KL2", "KL3", "KL4", "NV1", "NV2", "NV3", "TH1", "TH2"]


class Api:
    """Calls the API as a persona, over Django's session cookie or an `Authorization: Bearer` key."""

    def __init__(self, client: Client, org, mode: str = "session") -> None:
        self.client, self.org, self.mode = client, org, mode
        self.keys: dict[str, str] = {}

    def __call__(self, persona: str, method: str, path: str, body=None, **query):
        extra = {}
        if self.mode == "session":
            self.client.force_login(self.org.user(persona))
        else:
            self.client.logout()
            if persona not in self.keys:
                _token, self.keys[persona] = org_services.api_token_issue(user=self.org.user(persona))
            extra["HTTP_AUTHORIZATION"] = f"Bearer {self.keys[persona]}"
        call = getattr(self.client, method.lower())
        if method == "GET":
            return call(BASE + path, query, **extra)
        # No body at all (as curl -X POST sends it) unless one is given.
        data = b"" if body is None else body
        return call(BASE + path, data, content_type="application/json", **extra)


@pytest.fixture
def api(client, org):
    return Api(client, org)


def leader_points(ld3: int = 10) -> dict:
    points = {c: v for c, v in staff_points(60).items() if not c.startswith("NV")}
    return {**points, "LD1": 30, "LD2": 20, "LD3": ld3}


def points_for(form: Evaluation, total_nv: int = 60, bonus: int = 0) -> dict:
    return leader_points() if form.variant == "LEADER" else staff_points(total_nv, bonus)


def stc_forms(period):
    """The forms STC's director decides (decision unit STC): six in the personas' city."""
    return Evaluation.objects.filter(period=period, decision_unit__code="STC").order_by("pk")


def decide_rest_of_stc(org, period, *, a_for: tuple[str, ...] = ()) -> None:
    """Decide, through the services, every STC form still undecided (an A for `a_for`)."""
    for form in stc_forms(period).exclude(status="decided"):
        key = next(k for k, p in org.people.items() if p.pk == form.person_id)
        points = staff_points(70, 10) if key in a_for else points_for(form)
        services.evaluation_decide(
            evaluation=form, expected_version=form.version, points=points, actor=org.user("giamdoc")
        )


# --- The whole chain ---------------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["session", "bearer"])
def test_the_month_end_to_end(org, period_2025, client, mode):
    api = Api(client, org, mode)
    form = form_of(org, "nhanvien", period_2025)
    url = f"/evaluations/{form.pk}"

    body = api("nhanvien", "GET", url).json()
    assert [c["code"] for c in body["criteria"]] == STAFF_CODES
    assert body["criteria"][4] | {"name": ""} == {
        "code": "NV1",
        "name": "",
        "max_points": 30.0,
        "self_points": None,
        "review_points": None,
        "final_points": None,
    }
    assert (body["status"], body["version"], body["actions"]) == ("draft", 1, ["save", "submit"])
    assert body["unit"] == {"code": "STC-TH", "name": "Phòng Tổng hợp"} and body["framework"] == "HN-3814-2018"

    response = api("nhanvien", "PUT", f"{url}/self-assessment", {"points": staff_points(60), "note": "Hoàn thành"})
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["self_total"], body["version"], body["note"]) == (80.0, 2, "Hoàn thành")
    assert body["criteria"][6]["self_points"] == 5.0  # NV3

    body = api("nhanvien", "POST", f"{url}/submit").json()
    assert (body["status"], body["actions"]) == ("submitted", [])

    body = api("truongphong", "GET", url).json()
    assert body["actions"] == ["review", "return"]
    response = api(
        "truongphong", "PUT", f"{url}/review", {"points": staff_points(65), "comment": "Khối lượng vượt", "version": 3}
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["status"], body["review_total"]) == ("reviewed", 85.0)

    response = api("giamdoc", "POST", f"{url}/decide")
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["status"], body["final_total"], body["grade"]) == ("decided", 85.0, "B")
    assert body["criteria"][6]["final_points"] == 10.0

    for other in stc_forms(period_2025).exclude(pk=form.pk):
        response = api("giamdoc", "POST", f"/evaluations/{other.pk}/decide", {"points": points_for(other)})
        assert response.status_code == 200, response.content

    response = api("giamdoc", "POST", f"/units/STC/periods/{PERIOD}/publish")
    assert response.status_code == 200, response.content
    summary = response.json()
    assert (summary["unit"], summary["period"], summary["count"]) == ("STC", PERIOD, 6)
    assert summary["quota"]["HN-3814-2018"]["ok"] is True and summary["complaint_deadline"]

    body = api("nhanvien", "POST", f"{url}/acknowledge").json()
    assert body["status"] == "published" and body["actions"] == ["acknowledge", "complain"]
    response = api("nhanvien", "POST", f"{url}/complaints", {"reason": "Khối lượng chưa được tính đủ"})
    assert response.status_code == 200, response.content
    history = response.json()["history"]
    assert [(h["action"], h["from"], h["to"], h["actor"]) for h in history] == [
        ("save", "draft", "draft", "nhanvien"),
        ("submit", "draft", "submitted", "nhanvien"),
        ("review", "submitted", "reviewed", "truongphong"),
        ("decide", "reviewed", "decided", "giamdoc"),
        ("publish", "decided", "published", "giamdoc"),
        ("acknowledge", "published", "published", "nhanvien"),
        ("complain", "published", "published", "nhanvien"),
    ]
    assert history[2]["comment"] == "Khối lượng vượt"
    assert form.complaints.get().reason == "Khối lượng chưa được tính đủ"

    # A colleague now sees the published result, and can take no step on it.
    body = api("nhanvien2", "GET", url).json()
    assert (body["grade"], body["actions"]) == ("B", [])


def test_a_decided_result_is_withheld_from_the_person_until_published(org, period_2025, api, client):
    form = form_of(org, "nhanvien", period_2025)
    url = f"/evaluations/{form.pk}"
    api("nhanvien", "PUT", f"{url}/self-assessment", {"points": staff_points(60)})
    api("nhanvien", "POST", f"{url}/submit")
    api("giamdoc", "POST", f"{url}/decide", {"points": staff_points(65), "comment": "Vượt kế hoạch"})

    body = api("nhanvien", "GET", url).json()
    assert (body["status"], body["final_total"], body["grade"], body["result_withheld"]) == ("decided", None, "", True)
    assert {c["final_points"] for c in body["criteria"]} == {None} and body["task_results"]["final"] == {}
    assert body["self_total"] == 80.0 and "decide" not in [h["action"] for h in body["history"]]
    item = api("nhanvien", "GET", "/evaluations", period=PERIOD).json()["items"][0]
    assert (item["final_total"], item["grade"], item["result_withheld"]) == (None, "", True)
    decider = api("giamdoc", "GET", url).json()
    assert (decider["final_total"], decider["grade"], decider["result_withheld"]) == (85.0, "B", False)

    client.force_login(org.user("nhanvien"))
    page = client.get(f"/evaluations/{form.pk}/").content.decode()
    assert 'data-testid="result-withheld"' in page and 'data-testid="final-total"' not in page
    assert "Vượt kế hoạch" not in page  # the decision's comment is in its history row, withheld too
    assert 'data-testid="result-withheld"' in client.get("/evaluations/").content.decode()
    listed = client.get("/dashboards/list/", {"period": PERIOD}).content.decode()
    assert 'data-testid="result-withheld"' in listed and "85,00" not in listed
    assert (
        "Nguyễn Thị Nhân Viên" not in client.get("/dashboards/list/", {"period": PERIOD, "grade": "B"}).content.decode()
    )
    from evaluation import dashboards

    place = dashboards.place_for(user=org.user("nhanvien"), code=None, on=period_2025.self_due)
    mine = dashboards.distribution(user=org.user("nhanvien"), year=2025, place=place)
    assert sum(f.total.total for f in mine.frameworks) == 0  # her own B is not counted yet
    theirs = dashboards.distribution(user=org.user("giamdoc"), year=2025, place=place)
    assert sum(f.total.counts.get("B", 0) for f in theirs.frameworks) == 1

    decide_rest_of_stc(org, period_2025)
    assert api("giamdoc", "POST", f"/units/STC/periods/{PERIOD}/publish").status_code == 200
    body = api("nhanvien", "GET", url).json()
    assert (body["final_total"], body["grade"], body["result_withheld"]) == (85.0, "B", False)
    assert "decide" in [h["action"] for h in body["history"]]
    page = client.get(f"/evaluations/{form.pk}/").content.decode()
    assert 'data-testid="final-total"' in page and "Vượt kế hoạch" in page


def test_return_and_not_evaluated(org, period_2025, api):
    form = form_of(org, "nhanvien", period_2025)
    api("nhanvien", "PUT", f"/evaluations/{form.pk}/self-assessment", {"points": staff_points(60)})
    api("nhanvien", "POST", f"/evaluations/{form.pk}/submit")
    body = api("truongphong", "POST", f"/evaluations/{form.pk}/return", {"reason": "Bổ sung minh chứng"}).json()
    assert body["status"] == "returned" and body["history"][-1]["comment"] == "Bổ sung minh chứng"

    other = form_of(org, "nhanvien2", period_2025)
    body = api("giamdoc", "POST", f"/evaluations/{other.pk}/not-evaluated", {"reason": "Nghỉ thai sản"}).json()
    assert (body["status"], body["not_evaluated_reason"], body["final_total"]) == (
        "not_evaluated",
        "Nghỉ thai sản",
        None,
    )


def test_decide_without_self_assessment_is_recorded(org, period_2025, api):
    form = form_of(org, "nhanvien2", period_2025)
    body = api(
        "giamdoc",
        "POST",
        f"/evaluations/{form.pk}/decide",
        {"points": staff_points(55), "comment": "Không tự đánh giá"},
    ).json()
    assert body["status"] == "decided" and body["no_self_assessment"] is True


def test_nd335_task_results_are_entered_as_three_shares(org, period_2025, api):
    period, _created = services.period_open(year=2026, month=1)
    form = form_of(org, "nhanvien", period)
    url = f"/evaluations/{form.pk}"
    shares = {"quantity": 1, "quality": 0.75, "timeliness": 1}
    points = {"CC1": 10, "CC2": 10, "CC3": 10}
    body = api("nhanvien", "PUT", f"{url}/self-assessment", {"points": points, "task_results": shares}).json()
    assert (body["framework"], [c["code"] for c in body["criteria"]]) == ("VN-ND335-2025", ["CC1", "CC2", "CC3"])
    assert body["task_results"] == {"self": shares, "review": {}, "final": {}}
    assert body["self_total"] == 94.17  # 30 + 70 × (1 + 0.75 + 1) / 3
    # A draft may hold an invalid share; submitting it names the share at fault.
    bad = {**shares, "quality": 1.5}
    body = api("nhanvien", "PUT", f"{url}/self-assessment", {"points": points, "task_results": bad}).json()
    assert body["self_total"] is None
    response = api("nhanvien", "POST", f"{url}/submit")
    assert response.status_code == 400 and response.json()["field"] == "quality"


def test_a_self_assessment_save_records_share_changes_and_a_save_of_nothing_records_nothing(org, api):
    period, _created = services.period_open(year=2026, month=1)
    form = form_of(org, "nhanvien", period)
    url = f"/evaluations/{form.pk}/self-assessment"
    payload = {"points": {"CC1": 10, "CC2": 10}, "task_results": {"quantity": 1, "quality": 0.5}}
    api("nhanvien", "PUT", url, payload)
    changed = {**payload, "points": {"CC1": 10}, "task_results": {"quantity": 1, "quality": 0.75}}
    body = api("nhanvien", "PUT", url, changed).json()
    version = body["version"]
    history = list(form.history.order_by("pk"))
    assert len(history) == 2 and history[1].changes == {"quality": [0.5, 0.75], "CC2": ["10.0", None]}
    body = api("nhanvien", "PUT", url, {**changed, "version": version}).json()  # the same again
    assert body["version"] == version and form.history.count() == 2


# --- 400: bad input names the field ----------------------------------------------------------------


def test_points_above_the_maximum_name_the_criterion(org, period_2025, api):
    form = form_of(org, "nhanvien", period_2025)
    response = api("nhanvien", "PUT", f"/evaluations/{form.pk}/self-assessment", {"points": {"NV1": 31}})
    assert response.status_code == 400
    body = response.json()
    assert body["field"] == "NV1" and "NV1" in body["detail"]
    assert form_of(org, "nhanvien", period_2025).version == 1


def test_a_review_that_changes_points_needs_a_comment(org, period_2025, api):
    form = form_of(org, "nhanvien", period_2025)
    api("nhanvien", "PUT", f"/evaluations/{form.pk}/self-assessment", {"points": staff_points(60)})
    api("nhanvien", "POST", f"/evaluations/{form.pk}/submit")
    response = api("truongphong", "PUT", f"/evaluations/{form.pk}/review", {"points": staff_points(50)})
    assert response.status_code == 400 and response.json()["field"] == "comment"


@pytest.mark.parametrize(
    ("method", "suffix", "body", "field"),
    [
        ("PUT", "self-assessment", {"points": {"NV1": "ba mươi"}}, "points.NV1"),
        ("PUT", "self-assessment", {"points": {"NV1": True}}, "points.NV1"),
        ("PUT", "self-assessment", {"note": "thiếu điểm"}, "points"),
        ("PUT", "self-assessment", {"points": {}, "version": "mới"}, "version"),
        ("PUT", "self-assessment", "{not json", "body"),
        ("POST", "return", {"reason": 5}, "reason"),
    ],
)
def test_malformed_requests_are_400_naming_the_field(org, period_2025, api, method, suffix, body, field):
    form = form_of(org, "nhanvien", period_2025)
    response = api("nhanvien", method, f"/evaluations/{form.pk}/{suffix}", body)
    assert response.status_code == 400, response.content
    assert response.json()["field"] == field


def test_a_return_needs_a_reason(org, period_2025, api):
    form = form_of(org, "nhanvien", period_2025)
    api("nhanvien", "PUT", f"/evaluations/{form.pk}/self-assessment", {"points": staff_points(60)})
    api("nhanvien", "POST", f"/evaluations/{form.pk}/submit")
    response = api("truongphong", "POST", f"/evaluations/{form.pk}/return", {"reason": "  "})
    assert response.status_code == 400 and response.json()["field"] == "reason"


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"period": "2025-13"}, "period"),
        ({"period": "11/2025"}, "period"),
        ({"status": "approved"}, "status"),
        ({"limit": 0}, "limit"),
        ({"limit": 1001}, "limit"),
        ({"offset": -1}, "offset"),
    ],
)
def test_bad_list_filters_are_400(org, period_2025, api, query, field):
    response = api("hr", "GET", "/evaluations", **query)
    assert response.status_code == 400 and response.json()["field"] == field


def test_bad_period_in_the_publish_path_is_400(org, period_2025, api):
    response = api("giamdoc", "POST", "/units/STC/periods/2025-1/publish")
    assert response.status_code == 400 and response.json()["field"] == "period"


# --- 404: what the caller may not see ---------------------------------------------------------------

WRITES = [
    ("PUT", "self-assessment", {"points": {"NV1": 30}}),
    ("POST", "submit", None),
    ("PUT", "review", {"points": {"NV1": 30}, "comment": "x"}),
    ("POST", "return", {"reason": "x"}),
    ("POST", "decide", None),
    ("POST", "not-evaluated", {"reason": "x"}),
    ("POST", "acknowledge", None),
    ("POST", "complaints", {"reason": "x"}),
]


def test_an_outsider_gets_404_on_the_form(org, period_2025, api):
    form = form_of(org, "nhanvien", period_2025)
    assert api("ngoai", "GET", f"/evaluations/{form.pk}").status_code == 404
    for method, suffix, body in WRITES:
        response = api("ngoai", method, f"/evaluations/{form.pk}/{suffix}", body)
        assert response.status_code == 404, (suffix, response.content)
        assert response.json()["detail"]
    assert form_of(org, "nhanvien", period_2025).version == 1


def test_a_colleague_cannot_see_a_draft(org, period_2025, api):
    form = form_of(org, "nhanvien", period_2025)
    assert api("nhanvien2", "GET", f"/evaluations/{form.pk}").status_code == 404
    response = api("nhanvien2", "PUT", f"/evaluations/{form.pk}/self-assessment", {"points": {"NV1": 30}})
    assert response.status_code == 404


def test_unknown_form_unit_or_period_is_404(org, period_2025, api):
    assert api("hr", "GET", "/evaluations/999999").status_code == 404
    assert api("giamdoc", "POST", "/units/NOPE/periods/2025-11/publish").status_code == 404
    assert api("giamdoc", "POST", "/units/STC/periods/2024-01/publish").status_code == 404
    # An outsider may not see STC: not even its publication endpoint.
    assert api("ngoai", "POST", f"/units/STC/periods/{PERIOD}/publish").status_code == 404


# --- 403: a step the caller may see but not take ------------------------------------------------------


def test_steps_others_may_see_but_not_take_are_403(org, period_2025, api):
    form = form_of(org, "nhanvien", period_2025)
    response = api("truongphong", "POST", f"/evaluations/{form.pk}/decide", {"points": staff_points(60)})
    assert response.status_code == 403 and response.json()["detail"]
    # HR sees every form of the city but takes no step on any.
    assert api("hr", "GET", f"/evaluations/{form.pk}").json()["actions"] == []
    response = api("hr", "PUT", f"/evaluations/{form.pk}/self-assessment", {"points": staff_points(60)})
    assert response.status_code == 403
    # The deputy director sees STC but only its director publishes.
    decide_rest_of_stc(org, period_2025)
    assert api("phogiamdoc", "POST", f"/units/STC/periods/{PERIOD}/publish").status_code == 403
    assert form_of(org, "nhanvien", period_2025).status == "decided"


# --- 409: stale version, wrong status, quota ---------------------------------------------------------


def test_a_stale_version_is_409(org, period_2025, api):
    form = form_of(org, "nhanvien", period_2025)
    url = f"/evaluations/{form.pk}"
    assert (
        api("nhanvien", "PUT", f"{url}/self-assessment", {"points": staff_points(60), "version": 1}).json()["version"]
        == 2
    )
    response = api("nhanvien", "PUT", f"{url}/self-assessment", {"points": staff_points(62), "version": 1})
    assert response.status_code == 409 and response.json()["detail"]
    assert api("nhanvien", "POST", f"{url}/submit", {"version": 1}).status_code == 409
    assert form_of(org, "nhanvien", period_2025).history.count() == 1


def test_submitting_twice_is_409(org, period_2025, api):
    form = form_of(org, "nhanvien", period_2025)
    api("nhanvien", "PUT", f"/evaluations/{form.pk}/self-assessment", {"points": staff_points(60)})
    assert api("nhanvien", "POST", f"/evaluations/{form.pk}/submit").status_code == 200
    response = api("nhanvien", "POST", f"/evaluations/{form.pk}/submit")
    assert response.status_code == 409 and "submitted" in response.json()["detail"]


def test_a_second_open_complaint_is_409(org, period_2025, api):
    decide_rest_of_stc(org, period_2025)
    services.unit_period_publish(unit=org.stc, period=period_2025, actor=org.user("giamdoc"))
    form = form_of(org, "nhanvien", period_2025)
    assert api("nhanvien", "POST", f"/evaluations/{form.pk}/complaints", {"reason": "Chưa đúng"}).status_code == 200
    assert api("nhanvien", "POST", f"/evaluations/{form.pk}/complaints", {"reason": "Lần nữa"}).status_code == 409
    assert api("nhanvien", "POST", f"/evaluations/{form.pk}/complaints", {"reason": ""}).status_code == 400


def test_publish_while_forms_are_pending_is_409_and_names_them(org, period_2025, api):
    response = api("giamdoc", "POST", f"/units/STC/periods/{PERIOD}/publish")
    assert response.status_code == 409
    body = response.json()
    assert "Vũ Văn Hai" in body["detail"] and len(body["details"]) == 6


def test_a_decision_certain_to_exceed_the_quota_is_409_with_the_summary(org, period_2025, api):
    decide_rest_of_stc(org, period_2025, a_for=("nhanvien", "nhanvien2"))
    form = form_of(org, "nhanvien_kh", period_2025)
    response = api("giamdoc", "POST", f"/evaluations/{form.pk}/decide", {"points": staff_points(70, 10)})
    assert response.status_code == 409
    assert response.json()["details"]["unit"] == {"allowed": 2, "count": 3, "base": 6, "ok": False}


def test_quota_at_publication_needs_the_written_exception(org, period_2025, api):
    decide_rest_of_stc(org, period_2025, a_for=("nhanvien", "nhanvien2"))
    response = api("giamdoc", "POST", f"/units/STC/periods/{PERIOD}/publish", {})
    assert response.status_code == 409
    body = response.json()
    assert body["field"] == "exception_reason"
    assert body["details"]["unit"] == {"allowed": 1, "count": 2, "base": 6, "ok": False}
    reason = "Đơn vị hoàn thành xuất sắc nhiệm vụ đột xuất"
    response = api("giamdoc", "POST", f"/units/STC/periods/{PERIOD}/publish", {"exception_reason": reason})
    assert response.status_code == 200
    assert response.json()["quota"]["HN-3814-2018"]["unit"] == {"allowed": 2, "count": 2, "base": 6, "ok": True}
    assert api("giamdoc", "POST", f"/units/STC/periods/{PERIOD}/publish").status_code == 409  # already published


# --- Lists: filters and visibility ------------------------------------------------------------------------


def _people(body) -> set[str]:
    return {item["person"]["full_name"] for item in body["items"]}


def test_list_items_carry_the_agreed_fields(org, period_2025, api):
    form = form_of(org, "nhanvien", period_2025)
    api("nhanvien", "PUT", f"/evaluations/{form.pk}/self-assessment", {"points": staff_points(60)})
    body = api("nhanvien", "GET", "/evaluations", period=PERIOD).json()
    assert body == {
        "count": 1,
        "items": [
            {
                "id": form.pk,
                "person": {"id": org.people["nhanvien"].pk, "full_name": "Nguyễn Thị Nhân Viên"},
                "unit": "STC-TH",
                "period": PERIOD,
                "framework": "HN-3814-2018",
                "status": "draft",
                "self_total": 80.0,
                "review_total": None,
                "final_total": None,
                "grade": "",
                "result_withheld": False,
            }
        ],
    }


def test_unit_filter_covers_the_subtree_and_the_decision_unit(org, period_2025, api):
    body = api("hr", "GET", "/evaluations", period=PERIOD, unit="STC").json()
    assert body["count"] == 7  # the director (decided by the city) and the six forms STC decides
    body = api("hr", "GET", "/evaluations", period=PERIOD, unit="STC-TH").json()
    assert _people(body) == {"Hoàng Trưởng Phòng", "Nguyễn Thị Nhân Viên", "Vũ Văn Hai"}
    body = api("hr", "GET", "/evaluations", period=PERIOD, unit="HN").json()
    assert body["count"] == len(org.people)
    # The city chairman decides the director: the director's form is in the city's decision unit.
    body = api("chutich", "GET", "/evaluations", period=PERIOD, unit="HN").json()
    assert "Lê Giám Đốc" in _people(body)


def test_outsiders_see_nothing_of_stc(org, period_2025, api):
    body = api("ngoai", "GET", "/evaluations", period=PERIOD).json()
    assert _people(body) == {"Hồ Văn Ngoài"}
    assert api("ngoai", "GET", "/evaluations", period=PERIOD, unit="STC").status_code == 404
    body = api("outsider_nobody", "GET", "/evaluations").json()
    assert body == {"count": 0, "items": []}


def test_managers_see_their_subtree(org, period_2025, api):
    body = api("truongphong", "GET", "/evaluations", period=PERIOD).json()
    assert _people(body) == {"Hoàng Trưởng Phòng", "Nguyễn Thị Nhân Viên", "Vũ Văn Hai"}


def test_status_filter_pagination_and_unknown_period(org, period_2025, api):
    form = form_of(org, "nhanvien", period_2025)
    api("nhanvien", "PUT", f"/evaluations/{form.pk}/self-assessment", {"points": staff_points(60)})
    api("nhanvien", "POST", f"/evaluations/{form.pk}/submit")
    body = api("hr", "GET", "/evaluations", period=PERIOD, status="submitted").json()
    assert [i["id"] for i in body["items"]] == [form.pk]

    everything = api("hr", "GET", "/evaluations", period=PERIOD).json()
    first = api("hr", "GET", "/evaluations", period=PERIOD, limit=5).json()
    second = api("hr", "GET", "/evaluations", period=PERIOD, limit=5, offset=5).json()
    assert first["count"] == second["count"] == everything["count"] == len(org.people)
    assert len(first["items"]) == len(second["items"]) == 5
    assert [i["id"] for i in first["items"] + second["items"]] == [i["id"] for i in everything["items"][:10]]

    assert api("hr", "GET", "/evaluations", period="2024-01").json() == {"count": 0, "items": []}


# --- Authentication, CSRF and the schema --------------------------------------------------------------


def test_anonymous_gets_401(org, period_2025, client):
    form = form_of(org, "nhanvien", period_2025)
    assert client.get(f"{BASE}/evaluations").status_code == 401
    assert client.post(f"{BASE}/evaluations/{form.pk}/submit").status_code == 401


def test_session_writes_need_the_csrf_token(org, period_2025):
    client = Client(enforce_csrf_checks=True)
    client.force_login(org.user("nhanvien"))
    form = form_of(org, "nhanvien", period_2025)
    url = f"{BASE}/evaluations/{form.pk}/self-assessment"
    response = client.put(url, {"points": staff_points(60)}, content_type="application/json")
    assert response.status_code == 403
    assert form_of(org, "nhanvien", period_2025).version == 1


def test_openapi_lists_the_evaluation_paths(db, client):
    paths = set(client.get(f"{BASE}/openapi.json").json()["paths"])
    assert {
        "/api/v1/evaluations",
        "/api/v1/evaluations/{evaluation_id}",
        "/api/v1/evaluations/{evaluation_id}/self-assessment",
        "/api/v1/evaluations/{evaluation_id}/submit",
        "/api/v1/evaluations/{evaluation_id}/review",
        "/api/v1/evaluations/{evaluation_id}/return",
        "/api/v1/evaluations/{evaluation_id}/decide",
        "/api/v1/evaluations/{evaluation_id}/not-evaluated",
        "/api/v1/evaluations/{evaluation_id}/acknowledge",
        "/api/v1/evaluations/{evaluation_id}/complaints",
        "/api/v1/units/{code}/periods/{period_key}/publish",
    } <= paths
