"""What the reviewer and the decider enter besides points, and what happens after a complaint.

- ND 335 leaders: the task group also takes `organising` and "a subordinate unit was KHT";
- the override inputs (attendance share, discipline) set at review or decision, through the page
  and the API, and the grade they cap;
- "not evaluated" for maternity leave, the flag the annual classification reads;
- the complaint handler upholds or revises on the form's page and through the API;
- who acted for whom when an acting head decides.
"""

from __future__ import annotations

from datetime import date

import pytest
import time_machine
from django.urls import reverse

from evaluation import services
from evaluation.models import Complaint, Evaluation, EvaluationHistory
from evaluation.workflow import Status
from kpi import scoring
from orgchart import services as org_services
from tests.evaluation.conftest import form_of, staff_points
from tests.evaluation.test_after_publication import _publish_stc
from tests.evaluation.test_api import Api
from tests.factories import LONG_AGO

ND335_POINTS = {"CC1": 10, "CC2": 9, "CC3": 8}
SHARES = {"quantity": 1, "quality": 0.75, "timeliness": 1}


@pytest.fixture
def api(client, org):
    return Api(client, org)


@pytest.fixture
def january_2026(org):
    period, _created = services.period_open(year=2026, month=1)
    return period


def _expected_leader_total(form, *, organising, any_kht) -> str:
    result = scoring.score(
        form.framework.spec,
        variant="LEADER",
        points=ND335_POINTS,
        task_results=SHARES,
        leader_inputs={"organising": organising, "any_subordinate_unit_KHT": any_kht},
    )
    return str(result.total)


# --- ND 335 leaders ---------------------------------------------------------------------------------


def test_nd335_leader_submits_and_is_decided_with_the_leader_inputs(org, january_2026):
    form = form_of(org, "truongphong", january_2026)
    assert (form.framework.code, form.variant) == ("VN-ND335-2025", "LEADER")
    form = services.evaluation_save_self(
        evaluation=form,
        expected_version=form.version,
        points=ND335_POINTS,
        task_results={**SHARES, "organising": 0.8},
        actor=org.user("truongphong"),
    )
    # Not given: no subordinate unit was KHT, so the unit-results component counts in full.
    assert str(form.self_total) == _expected_leader_total(form, organising=0.8, any_kht=False)
    form = services.evaluation_submit(evaluation=form, expected_version=form.version, actor=org.user("truongphong"))
    form = services.evaluation_decide(
        evaluation=form,
        expected_version=form.version,
        points=ND335_POINTS,
        task_results={**SHARES, "organising": 0.6, "any_subordinate_unit_KHT": True},
        actor=org.user("giamdoc"),
    )
    assert form.status == Status.DECIDED
    assert str(form.final_total) == _expected_leader_total(form, organising=0.6, any_kht=True)
    assert form.final_total < form.self_total


def test_nd335_leader_without_organising_cannot_submit(org, january_2026):
    form = form_of(org, "truongphong", january_2026)
    form = services.evaluation_save_self(
        evaluation=form,
        expected_version=form.version,
        points=ND335_POINTS,
        task_results=SHARES,
        actor=org.user("truongphong"),
    )
    with pytest.raises(services.InvalidInput) as caught:
        services.evaluation_submit(evaluation=form, expected_version=form.version, actor=org.user("truongphong"))
    assert caught.value.field == "organising"


def test_leader_inputs_are_refused_on_a_staff_form(org, january_2026):
    form = form_of(org, "nhanvien", january_2026)
    with pytest.raises(services.InvalidInput) as caught:
        services.evaluation_decide(
            evaluation=form,
            expected_version=form.version,
            points=ND335_POINTS,
            task_results={**SHARES, "organising": 1},
            actor=org.user("giamdoc"),
        )
    assert caught.value.field == "organising"


def test_nd335_leader_form_on_the_page(org, january_2026, login):
    form = form_of(org, "truongphong", january_2026)
    client = login(org.user("truongphong"))
    url = reverse("evaluation:form", kwargs={"pk": form.pk})
    page = client.get(url).content.decode()
    assert 'name="share-organising"' in page and 'name="share-any_subordinate_unit_KHT"' in page
    post = {f"points-{c}": str(v) for c, v in ND335_POINTS.items()}
    post |= {"share-quantity": "1", "share-quality": "0,75", "share-timeliness": "1", "share-organising": "0,8"}
    response = client.post(url, {**post, "version": form.version, "action": "submit"})
    assert response.status_code == 302
    form.refresh_from_db()
    assert form.status == Status.SUBMITTED
    assert form.self_task_results == {**SHARES, "organising": 0.8, "any_subordinate_unit_KHT": False}
    # The decider ticks "a subordinate unit was KHT".
    client = login(org.user("giamdoc"))
    post |= {"share-organising": "0,6", "share-any_subordinate_unit_KHT": "1"}
    response = client.post(url, {**post, "version": form.version, "action": "decide"})
    assert response.status_code == 302
    form.refresh_from_db()
    assert form.status == Status.DECIDED
    assert str(form.final_total) == _expected_leader_total(form, organising=0.6, any_kht=True)


def test_nd335_leader_through_the_api(org, january_2026, api):
    form = form_of(org, "truongphong", january_2026)
    url = f"/evaluations/{form.pk}"
    body = {"points": ND335_POINTS, "task_results": {**SHARES, "organising": 0.8}}
    assert api("truongphong", "PUT", f"{url}/self-assessment", body).status_code == 200
    assert api("truongphong", "POST", f"{url}/submit").status_code == 200
    decided = api(
        "giamdoc",
        "POST",
        f"{url}/decide",
        {"points": ND335_POINTS, "task_results": {**SHARES, "organising": 0.6, "any_subordinate_unit_KHT": True}},
    ).json()
    assert decided["status"] == "decided"
    assert f"{decided['final_total']:.2f}" == _expected_leader_total(form, organising=0.6, any_kht=True)


# --- Override inputs --------------------------------------------------------------------------------


def test_attendance_share_set_at_review_caps_the_grade(org, period_2025):
    form = form_of(org, "nhanvien", period_2025)
    form = services.evaluation_review(
        evaluation=form,
        expected_version=form.version,
        points=staff_points(70, bonus=5),
        comment="Nghỉ ốm 12 ngày",
        flags={"worked_share": "0.4"},
        actor=org.user("truongphong"),
    )
    assert str(form.review_total) == "95.00" and form.review_grade == "C"  # at most C when worked ≤ 50%
    assert form.flags == {"worked_share": "0.4"}
    entry = form.history.get(action="review")
    assert entry.changes["flags"] == [{}, {"worked_share": "0.4"}]
    # The decider keeps the flag unless told otherwise, and may clear it.
    decided = services.evaluation_decide(
        evaluation=form, expected_version=form.version, flags={"worked_share": ""}, actor=org.user("giamdoc")
    )
    assert decided.grade == "A" and decided.flags == {}


@pytest.mark.parametrize(
    ("flags", "field"),
    [
        ({"worked_share": "1,5"}, "worked_share"),
        ({"worked_share": 2}, "worked_share"),
        ({"disciplined_in_period": "yes"}, "disciplined_in_period"),
        ({"maternity": True}, "maternity"),  # not an input of an override rule
    ],
)
def test_bad_override_inputs_name_the_flag_and_change_nothing(org, period_2025, flags, field):
    form = form_of(org, "nhanvien", period_2025)
    with pytest.raises(services.InvalidInput) as caught:
        services.evaluation_decide(
            evaluation=form,
            expected_version=form.version,
            points=staff_points(70),
            flags=flags,
            actor=org.user("giamdoc"),
        )
    assert caught.value.field == field
    form.refresh_from_db()
    assert (form.status, form.flags, form.version) == (Status.DRAFT, {}, 1)


def test_discipline_ticked_on_the_decision_page_forces_the_lowest_grade(org, period_2025, login):
    form = form_of(org, "nhanvien", period_2025)
    client = login(org.user("giamdoc"))
    url = reverse("evaluation:form", kwargs={"pk": form.pk})
    page = client.get(url).content.decode()
    assert 'name="flag-worked_share"' in page and 'name="flag-disciplined_in_period"' in page
    post = {f"points-{c}": str(v) for c, v in staff_points(70).items()}
    post |= {"flags-shown": "1", "flag-disciplined_in_period": "1", "flag-worked_share": ""}
    response = client.post(url, {**post, "version": form.version, "action": "decide"})
    assert response.status_code == 302
    form.refresh_from_db()
    assert (str(form.final_total), form.grade, form.flags) == ("90.00", "D", {"disciplined_in_period": True})
    assert [rule for rule, _reason in form.overrides] == ["disciplined_in_period"]


def test_bad_attendance_share_on_the_page_is_explained(org, period_2025, login):
    form = form_of(org, "nhanvien", period_2025)
    client = login(org.user("giamdoc"))
    url = reverse("evaluation:form", kwargs={"pk": form.pk})
    post = {f"points-{c}": str(v) for c, v in staff_points(70).items()}
    post |= {"flags-shown": "1", "flag-worked_share": "abc"}
    response = client.post(url, {**post, "version": form.version, "action": "decide"})
    assert response.status_code == 400
    assert "worked_share" in response.content.decode()
    form.refresh_from_db()
    assert form.status == Status.DRAFT


def test_override_inputs_through_the_api(org, period_2025, api):
    form = form_of(org, "nhanvien", period_2025)
    url = f"/evaluations/{form.pk}/decide"
    body = api("giamdoc", "POST", url, {"points": staff_points(70), "flags": {"worked_share": 0.5}}).json()
    assert (body["final_total"], body["grade"]) == (90.0, "C")
    assert [o["id"] for o in body["overrides"]] == ["worked_share_le_0_5"]
    response = api("giamdoc", "POST", url, {"points": staff_points(70), "flags": {"unknown_flag": True}})
    assert response.status_code == 400 and response.json()["field"] == "unknown_flag"


def test_not_evaluated_for_maternity_leave_sets_the_flag(org, period_2025, api):
    form = form_of(org, "nhanvien2", period_2025)
    body = api(
        "giamdoc", "POST", f"/evaluations/{form.pk}/not-evaluated", {"reason": "Nghỉ thai sản", "maternity": True}
    ).json()
    assert body["status"] == "not_evaluated"
    form.refresh_from_db()
    assert form.flags == {"maternity": True} and form.final_total is None


# --- Complaint outcomes on the page and through the API ------------------------------------------------


@pytest.fixture
def complained(org, period_2025):
    with time_machine.travel(date(2025, 12, 8), tick=False):
        _publish_stc(org, period_2025)
    form = form_of(org, "nhanvien", period_2025)
    with time_machine.travel(date(2025, 12, 10), tick=False):
        complaint = services.complaint_file(
            evaluation=form, expected_version=form.version, reason="Chưa tính đủ việc", actor=org.user("nhanvien")
        )
    return complaint


def test_the_handler_upholds_on_the_page_and_the_history_says_so(org, complained, login):
    form = complained.evaluation
    url = reverse("evaluation:form", kwargs={"pk": form.pk})
    assert 'data-testid="complaint-handling"' not in login(org.user("giamdoc")).get(url).content.decode()
    client = login(org.user("chutich"))
    assert 'data-testid="complaint-handling"' in client.get(url).content.decode()
    resolve = reverse("evaluation:complaint_resolve", kwargs={"pk": form.pk, "complaint_id": complained.pk})
    response = client.post(resolve, {"outcome": "upheld", "resolution": ""})
    assert response.status_code == 400  # an outcome needs its reasons
    response = client.post(resolve, {"outcome": "upheld", "resolution": "Đúng quy định"})
    assert response.status_code == 302
    complained.refresh_from_db()
    assert complained.outcome == Complaint.Outcome.UPHELD
    entry = EvaluationHistory.objects.get(evaluation=form, action="uphold")
    assert (entry.actor, entry.comment, entry.from_status, entry.to_status) == (
        org.user("chutich"),
        "Đúng quy định",
        Status.PUBLISHED,
        Status.PUBLISHED,
    )
    assert "Đúng quy định" in client.get(url).content.decode()


def test_the_handler_revises_on_the_page(org, complained, login):
    form = complained.evaluation
    client = login(org.user("chutich"))
    resolve = reverse("evaluation:complaint_resolve", kwargs={"pk": form.pk, "complaint_id": complained.pk})
    post = {f"points-{c}": str(v) for c, v in staff_points(68).items()}
    post |= {"version": form.version, "outcome": "revised", "resolution": "Chấp nhận kiến nghị"}
    response = client.post(resolve, post)
    complained.refresh_from_db()
    revision = complained.revision
    assert response.status_code == 302 and response["Location"] == reverse(
        "evaluation:form", kwargs={"pk": revision.pk}
    )
    assert (revision.status, str(revision.final_total), revision.supersedes_id) == (Status.LOCKED, "88.00", form.pk)
    form.refresh_from_db()
    assert str(form.final_total) == "80.00"


def test_only_the_handler_resolves_and_outsiders_get_404(org, complained, login):
    form = complained.evaluation
    resolve = reverse("evaluation:complaint_resolve", kwargs={"pk": form.pk, "complaint_id": complained.pk})
    response = login(org.user("giamdoc")).post(resolve, {"outcome": "upheld", "resolution": "Tự giữ"})
    assert response.status_code == 403
    response = login(org.user("ngoai")).post(resolve, {"outcome": "upheld", "resolution": "x"})
    assert response.status_code == 404
    complained.refresh_from_db()
    assert complained.outcome == Complaint.Outcome.OPEN


def test_complaint_resolved_through_the_api(org, complained, api):
    form = complained.evaluation
    url = f"/evaluations/{form.pk}/complaints/{complained.pk}/resolve"
    response = api("giamdoc", "POST", url, {"outcome": "upheld", "resolution": "x"})
    assert response.status_code == 403
    response = api("chutich", "POST", url, {"outcome": "revised", "resolution": "Sửa", "points": staff_points(68)})
    body = response.json()
    assert response.status_code == 200 and body["outcome"] == "revised"
    revision = Evaluation.objects.get(pk=body["revision"])
    assert str(revision.final_total) == "88.00"
    response = api("chutich", "POST", url, {"outcome": "upheld", "resolution": "lần hai"})
    assert response.status_code == 409  # handled already


# --- Acting for whom ----------------------------------------------------------------------------------


def test_an_acting_head_decides_and_the_history_names_the_head(org, period_2025):
    org_services.grant_create(
        user=org.user("phogiamdoc"),
        unit=org.stc,
        role="acting_head",
        valid_from=LONG_AGO,
        reason="Quyết định giao quyền Giám đốc",
        actor=None,
    )
    form = form_of(org, "nhanvien", period_2025)
    form = services.evaluation_decide(
        evaluation=form, expected_version=form.version, points=staff_points(70), actor=org.user("phogiamdoc")
    )
    entry = form.history.get(action="decide")
    assert (entry.actor, entry.acting_for) == (org.user("phogiamdoc"), org.people["giamdoc"])
    # The head deciding himself stands in for nobody.
    other = form_of(org, "nhanvien2", period_2025)
    other = services.evaluation_decide(
        evaluation=other, expected_version=other.version, points=staff_points(70), actor=org.user("giamdoc")
    )
    assert other.history.get(action="decide").acting_for is None


# --- What changed, and why ----------------------------------------------------------------------------


def test_a_reviewer_who_changes_a_share_must_say_why_and_the_history_shows_it(org, january_2026):
    form = form_of(org, "nhanvien", january_2026)
    form = services.evaluation_save_self(
        evaluation=form,
        expected_version=form.version,
        points=ND335_POINTS,
        task_results={"quantity": 1, "quality": 1, "timeliness": 0.95},
        actor=org.user("nhanvien"),
    )
    form = services.evaluation_submit(evaluation=form, expected_version=form.version, actor=org.user("nhanvien"))
    lower = {"quantity": 1, "quality": 1, "timeliness": 0.9}
    with pytest.raises(services.InvalidInput) as caught:
        services.evaluation_review(
            evaluation=form,
            expected_version=form.version,
            points=ND335_POINTS,
            task_results=lower,
            actor=org.user("truongphong"),
        )
    assert "Tiến độ" in caught.value.message and "timeliness" not in caught.value.message  # named as people read it
    form = services.evaluation_review(
        evaluation=form,
        expected_version=form.version,
        points=ND335_POINTS,
        task_results=lower,
        comment="Hai văn bản trễ hạn",
        actor=org.user("truongphong"),
    )
    change = form.history.get(action="review").changes["timeliness"]
    assert (change["old"], change["new"], change["comment"]) == (0.95, 0.9, "Hai văn bản trễ hạn")


def test_deciding_again_without_points_keeps_the_decision_and_records_no_change(org, period_2025):
    form = form_of(org, "nhanvien", period_2025)
    form = services.evaluation_save_self(
        evaluation=form, expected_version=form.version, points=staff_points(70), actor=org.user("nhanvien")
    )
    form = services.evaluation_decide(
        evaluation=form, expected_version=form.version, points=staff_points(60), actor=org.user("giamdoc")
    )
    again = services.evaluation_decide(evaluation=form, expected_version=form.version, actor=org.user("giamdoc"))
    assert str(again.final_total) == "80.00"
    assert [h.changes for h in again.history.filter(action="decide").order_by("pk")][1] == {}


def test_bulk_decide_leaves_the_heads_own_decisions_alone(org, period_2025, login):
    decided = form_of(org, "nhanvien", period_2025)
    services.evaluation_save_self(
        evaluation=decided, expected_version=decided.version, points=staff_points(70), actor=org.user("nhanvien")
    )
    decided.refresh_from_db()
    decided = services.evaluation_decide(
        evaluation=decided, expected_version=decided.version, points=staff_points(60), actor=org.user("giamdoc")
    )
    other = form_of(org, "nhanvien2", period_2025)
    services.evaluation_save_self(
        evaluation=other, expected_version=other.version, points=staff_points(65), actor=org.user("nhanvien2")
    )
    other.refresh_from_db()
    url = reverse("evaluation:unit_decide", kwargs={"code": "STC", "period_key": period_2025.key})
    response = login(org.user("giamdoc")).post(
        url,
        {
            "action": "decide",
            "form": [decided.pk, other.pk],
            f"version-{decided.pk}": decided.version,
            f"version-{other.pk}": other.version,
        },
    )
    assert response.status_code == 302
    decided.refresh_from_db()
    other.refresh_from_db()
    assert (str(decided.final_total), decided.history.filter(action="decide").count()) == ("80.00", 1)
    assert (other.status, str(other.final_total)) == (Status.DECIDED, "85.00")


def test_stored_points_are_shown_with_a_decimal_comma(org, period_2025, login):
    form = form_of(org, "nhanvien", period_2025)
    points = {**staff_points(70), "KL1": 4.5}
    services.evaluation_save_self(
        evaluation=form, expected_version=form.version, points=points, actor=org.user("nhanvien")
    )
    page = login(org.user("nhanvien")).get(reverse("evaluation:form", kwargs={"pk": form.pk})).content.decode()
    assert 'value="4,5"' in page and 'value="4.5"' not in page


# --- Notifications of the cycle -------------------------------------------------------------------------


def test_submit_tells_the_reviewer_return_tells_the_person_publish_tells_everyone(org, period_2025):
    from evaluation.models import Notification

    form = form_of(org, "nhanvien", period_2025)
    form = services.evaluation_save_self(
        evaluation=form, expected_version=form.version, points=staff_points(70), actor=org.user("nhanvien")
    )
    form = services.evaluation_submit(evaluation=form, expected_version=form.version, actor=org.user("nhanvien"))
    assert Notification.objects.filter(user=org.user("truongphong"), key__startswith="submitted-").count() == 1
    services.evaluation_return(
        evaluation=form, expected_version=form.version, reason="Thiếu minh chứng", actor=org.user("truongphong")
    )
    returned = Notification.objects.get(user=org.user("nhanvien"), key__startswith="returned-")
    assert "Thiếu minh chứng" in returned.message
    with time_machine.travel(date(2025, 12, 8), tick=False):
        _publish_stc(org, period_2025)
    published = Notification.objects.filter(key__startswith="published-")
    people = {e.person for e in Evaluation.objects.filter(period=period_2025, decision_unit=org.stc)}
    assert {n.user for n in published} == {p.user for p in people if p.user_id}
    assert published.count() == len(people)


def test_the_history_names_the_changed_override_inputs(org, period_2025, login):
    form = form_of(org, "nhanvien", period_2025)
    services.evaluation_decide(
        evaluation=form,
        expected_version=form.version,
        points=staff_points(70),
        flags={"worked_share": "0.4"},
        actor=org.user("giamdoc"),
    )
    page = login(org.user("giamdoc")).get(reverse("evaluation:form", kwargs={"pk": form.pk}))
    rows = page.context["history"]
    decided = next(r for r in rows if r["entry"].action == "decide")
    label = form.framework.spec.overrides[0].label_vi
    assert any(change[0] == label and str(change[2]) == "0.4" for change in decided["changes"])


def test_a_ticked_box_reads_yes_in_the_history_and_the_months_page_shows_what_changed(org, period_2025, login):
    form = form_of(org, "nhanvien", period_2025)
    services.evaluation_decide(
        evaluation=form,
        expected_version=form.version,
        points=staff_points(70),
        flags={"disciplined_in_period": True},
        actor=org.user("giamdoc"),
    )
    page = login(org.user("giamdoc")).get(reverse("evaluation:form", kwargs={"pk": form.pk}))
    decided = next(r for r in page.context["history"] if r["entry"].action == "decide")
    assert any(str(change[2]) == "Có" for change in decided["changes"])
    services.period_set_deadlines(
        period=period_2025,
        self_due=date(2025, 12, 5),
        review_due=date(2025, 12, 8),
        decide_due=date(2025, 12, 10),
        reason="Nghỉ lễ",
        actor=org.user("hr"),
    )
    page = login(org.user("hr")).get(reverse("evaluation:periods")).content.decode()
    assert "03/12/2025 → 05/12/2025" in page


def test_the_running_total_follows_the_ticked_circumstances(org, period_2025, login):
    form = form_of(org, "nhanvien", period_2025)
    client = login(org.user("giamdoc"))
    post = {f"points-{c}": str(v) for c, v in staff_points(70).items()}
    url = reverse("evaluation:preview", kwargs={"pk": form.pk})
    plain = client.post(url, {**post, "version": form.version}, HTTP_HX_REQUEST="true")
    ticked = client.post(
        url,
        {**post, "version": form.version, "flags-shown": "1", "flag-disciplined_in_period": "1"},
        HTTP_HX_REQUEST="true",
    )
    assert plain.context["preview"].grade == "A" and ticked.context["preview"].grade == "D"
    form.refresh_from_db()
    assert form.flags == {}  # a preview stores nothing


def test_a_revision_after_a_complaint_may_correct_the_circumstances(org, complained, api, login):
    form = complained.evaluation
    page = login(org.user("chutich")).get(reverse("evaluation:form", kwargs={"pk": form.pk})).content.decode()
    assert 'name="flag-worked_share"' in page.split('data-testid="complaint-handling"')[1]
    url = f"/evaluations/{form.pk}/complaints/{complained.pk}/resolve"
    body = {
        "outcome": "revised",
        "resolution": "Nghỉ ốm cả tháng",
        "points": staff_points(70),
        "flags": {"worked_share": 0.3},
    }
    revision = Evaluation.objects.get(pk=api("chutich", "POST", url, body).json()["revision"])
    assert (str(revision.final_total), revision.grade, revision.flags) == ("90.00", "C", {"worked_share": "0.3"})
    assert revision.history.get(action="revise").changes["flags"] == [{}, {"worked_share": "0.3"}]


def test_a_form_not_submitted_waits_for_the_self_assessment_deadline(org, period_2025):
    # November 2025: self-assessment due 3/12/2025.
    draft = form_of(org, "nhanvien", period_2025)
    with time_machine.travel(date(2025, 12, 3), tick=False):
        for step in (
            lambda f: services.evaluation_decide(
                evaluation=f, expected_version=f.version, points=staff_points(60), actor=org.user("giamdoc")
            ),
            lambda f: services.evaluation_review(
                evaluation=f, expected_version=f.version, points=staff_points(60), actor=org.user("truongphong")
            ),
        ):
            with pytest.raises(services.Conflict) as caught:
                step(draft)
            assert "03/12/2025" in caught.value.message
        # "Not evaluated" (absent the whole month) needs no wait.
        absent = form_of(org, "nhanvien2", period_2025)
        absent = services.evaluation_mark_not_evaluated(
            evaluation=absent, expected_version=absent.version, reason="Nghỉ không lương", actor=org.user("giamdoc")
        )
        assert absent.status == Status.NOT_EVALUATED
    draft.refresh_from_db()
    assert draft.status == Status.DRAFT
    with time_machine.travel(date(2025, 12, 4), tick=False):
        decided = services.evaluation_decide(
            evaluation=draft, expected_version=draft.version, points=staff_points(60), actor=org.user("giamdoc")
        )
    assert decided.status == Status.DECIDED and decided.no_self_assessment


def test_a_leader_without_a_separate_review_is_told_the_form_went_to_the_head(org, period_2025, login):
    form = form_of(org, "truongphong", period_2025)  # a division head: decided by the director directly
    post = {f"points-{c}": str(v) for c, v in {**staff_points(60), "LD1": 30, "LD2": 20, "LD3": 10}.items()}
    post = {k: v for k, v in post.items() if not k.startswith("points-NV")}
    client = login(org.user("truongphong"))
    response = client.post(
        reverse("evaluation:form", kwargs={"pk": form.pk}),
        {**post, "version": form.version, "action": "submit"},
        follow=True,
    )
    texts = [str(m) for m in response.context["messages"]]
    assert texts and "quyết định" in texts[0] and "nhận xét" not in texts[0]
