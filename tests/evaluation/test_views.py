"""The monthly cycle's pages: what employees, managers and heads do through the browser's forms."""

from __future__ import annotations

from datetime import date

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from evaluation import services
from evaluation.models import Attachment, Evaluation, EvaluationHistory, Notification, UnitPublication
from evaluation.workflow import Status
from tests.evaluation.conftest import form_of, staff_points


@pytest.fixture(autouse=True)
def pages(settings, tmp_path):
    """Private files in a temporary folder."""
    settings.MEDIA_ROOT = tmp_path


def form_url(form) -> str:
    return reverse("evaluation:form", kwargs={"pk": form.pk})


def unit_url(name: str, unit, period, **extra) -> str:
    return reverse(f"evaluation:{name}", kwargs={"code": unit.code, "period_key": period.key, **extra})


def points_post(points: dict, *, version: int, action: str, **extra) -> dict:
    data = {f"points-{code}": str(value) for code, value in points.items()}
    return {**data, "version": str(version), "action": action, **extra}


def submitted(org, period, key="nhanvien", nv=60):
    form = form_of(org, key, period)
    user = org.user(key)
    form = services.evaluation_save_self(
        evaluation=form, expected_version=form.version, points=staff_points(nv), actor=user
    )
    return services.evaluation_submit(evaluation=form, expected_version=form.version, actor=user)


# --- Employee --------------------------------------------------------------------------------------


def test_my_month_shows_the_open_form_and_its_deadlines(org, period_2025, login):
    body = login(org.user("nhanvien")).get(reverse("evaluation:my_month")).content.decode()
    form = form_of(org, "nhanvien", period_2025)
    assert form_url(form) in body
    assert "03/12/2025" in body and "05/12/2025" in body and "07/12/2025" in body
    assert reverse("evaluation:team") not in body  # not a manager
    manager_page = login(org.user("truongphong")).get(reverse("evaluation:my_month")).content.decode()
    assert reverse("evaluation:team") in manager_page


def test_employee_saves_a_draft_with_a_decimal_comma_then_submits(org, period_2025, login):
    client = login(org.user("nhanvien"))
    form = form_of(org, "nhanvien", period_2025)
    page = client.get(form_url(form))
    assert page.status_code == 200
    body = page.content.decode()
    assert 'name="points-NV1"' in body and "Khối lượng công việc hoàn thành" in body
    assert 'value="save"' in body and 'value="submit"' in body and 'value="decide"' not in body

    draft = {"KL1": "5", "KL2": "4,5", "NV1": "28"}
    response = client.post(
        form_url(form),
        points_post(
            draft, version=1, action="save", note="Báo cáo tháng", tasks="Tổng hợp số liệu\nDự thảo báo cáo | xong"
        ),
    )
    assert response.status_code == 302
    form.refresh_from_db()
    assert form.status == Status.DRAFT and form.version == 2
    assert form.self_points == {"KL1": "5", "KL2": "4.5", "NV1": "28"}
    assert form.tasks == [{"title": "Tổng hợp số liệu", "result": ""}, {"title": "Dự thảo báo cáo", "result": "xong"}]
    assert form.note == "Báo cáo tháng"

    response = client.post(form_url(form), points_post(staff_points(60), version=2, action="submit"))
    assert response.status_code == 302
    form.refresh_from_db()
    assert form.status == Status.SUBMITTED and str(form.self_total) == "80.00" and form.self_grade == "B"
    assert list(form.history.values_list("action", flat=True)) == ["save", "save", "submit"]


def test_a_bad_point_is_named_in_vietnamese_and_nothing_is_written(org, period_2025, login):
    client = login(org.user("nhanvien"))
    form = form_of(org, "nhanvien", period_2025)
    response = client.post(form_url(form), points_post({**staff_points(60), "NV1": 31}, version=1, action="submit"))
    assert response.status_code == 400
    body = response.content.decode()
    assert "Điểm tiêu chí NV1 (31) vượt quá điểm tối đa 30" in body
    assert 'aria-invalid="true"' in body and 'value="31"' in body  # what was typed stays on the page
    form.refresh_from_db()
    assert form.version == 1 and form.self_points == {} and not form.history.exists()


def test_submitting_an_incomplete_form_saves_nothing(org, period_2025, login):
    client = login(org.user("nhanvien"))
    form = form_of(org, "nhanvien", period_2025)
    response = client.post(form_url(form), points_post({"KL1": 5}, version=1, action="submit"))
    assert response.status_code == 400
    assert "Thiếu điểm tiêu chí" in response.content.decode()
    form.refresh_from_db()
    assert form.version == 1 and form.status == Status.DRAFT and not form.history.exists()


def test_a_stale_form_is_refused_and_shows_the_current_values(org, period_2025, login):
    client = login(org.user("nhanvien"))
    form = form_of(org, "nhanvien", period_2025)
    services.evaluation_save_self(
        evaluation=form, expected_version=1, points={"NV1": 20}, actor=org.user("nhanvien")
    )  # another tab
    response = client.post(form_url(form), points_post({"NV1": 25}, version=1, action="save"))
    assert response.status_code == 409
    body = response.content.decode()
    assert "Người khác vừa thay đổi phiếu này" in body
    assert 'name="points-NV1" id="id_points-NV1" value="20"' in body
    assert 'name="version" value="2"' in body
    assert form.history.count() == 1


def test_the_running_total_is_a_fragment_for_htmx_and_a_page_without_it(org, period_2025, login):
    client = login(org.user("nhanvien"))
    form = form_of(org, "nhanvien", period_2025)
    url = reverse("evaluation:preview", kwargs={"pk": form.pk})
    data = points_post(staff_points(70, bonus=5), version=1, action="preview")
    fragment = client.post(url, data, HTTP_HX_REQUEST="true")
    assert fragment.status_code == 200
    text = fragment.content.decode()
    assert text.lstrip().startswith('<div id="running-total"') and "<html" not in text
    assert "95,00" in text and 'data-testid="grade">A<' in text
    partial = client.post(
        url, points_post({"KL1": 5, "KL2": "4,5"}, version=1, action="preview"), HTTP_HX_REQUEST="true"
    )
    assert "9,50" in partial.content.decode() and 'data-testid="grade"' not in partial.content.decode()
    page = client.post(url, data)
    assert "<html" in page.content.decode() and "95,00" in page.content.decode()
    form.refresh_from_db()
    assert form.version == 1  # nothing stored


def test_nd335_task_results_are_three_shares_with_a_decimal_comma(org, login):
    period, _ = services.period_open(year=2026, month=1)
    client = login(org.user("nhanvien"))
    form = form_of(org, "nhanvien", period)
    assert form.framework.code == "VN-ND335-2025"
    body = client.get(form_url(form)).content.decode()
    assert 'name="share-quantity"' in body and 'name="points-KQ' not in body
    data = points_post({"CC1": 10, "CC2": 9, "CC3": 9}, version=1, action="save")
    bad = client.post(form_url(form), {**data, "share-quantity": "80", "share-quality": "1", "share-timeliness": "1"})
    assert bad.status_code == 400
    form.refresh_from_db()
    assert form.version == 1
    data.update({"share-quantity": "1", "share-quality": "0,8", "share-timeliness": "0,9"})
    assert client.post(form_url(form), data).status_code == 302
    form.refresh_from_db()
    assert form.self_task_results == {"quantity": 1.0, "quality": 0.8, "timeliness": 0.9}
    # 28 + 70 × (1 + 0,8 + 0,9) / 3 = 28 + 63 = 91
    assert str(form.self_total) == "91.00" and form.self_grade == "HTXS"


# --- Manager -----------------------------------------------------------------------------------------


def test_team_grid_lists_the_people_whose_review_is_mine(org, period_2025, login):
    submitted(org, period_2025)
    response = login(org.user("truongphong")).get(reverse("evaluation:team") + "?period=2025-11")
    body = response.content.decode()
    assert response.status_code == 200
    assert "Nguyễn Thị Nhân Viên" in body and "Vũ Văn Hai" in body
    assert "Hoàng Trưởng Phòng" not in body and "Bùi Văn Kế" not in body
    assert "80,00" in body  # self total


def test_manager_review_needs_a_comment_for_each_change(org, period_2025, login):
    form = submitted(org, period_2025)
    client = login(org.user("truongphong"))
    body = client.get(form_url(form)).content.decode()
    assert 'value="review"' in body and 'value="return"' in body and 'value="submit"' not in body
    changed = staff_points(65)  # NV3 5 → 10
    response = client.post(form_url(form), points_post(changed, version=form.version, action="review"))
    assert response.status_code == 400
    assert "NV3" in response.content.decode()
    form.refresh_from_db()
    assert form.status == Status.SUBMITTED and form.review_points == {}
    response = client.post(
        form_url(form),
        points_post(changed, version=form.version, action="review", **{"comment-NV3": "Vượt tiến độ"}),
    )
    assert response.status_code == 302
    form.refresh_from_db()
    assert form.status == Status.REVIEWED and str(form.review_total) == "85.00"
    assert form.history.get(action="review").changes["NV3"] == {"old": "5", "new": "10", "comment": "Vượt tiến độ"}
    body = client.get(form_url(form)).content.decode()
    assert "Vượt tiến độ" in body  # the history shows the change and its comment


def test_manager_returns_with_a_reason(org, period_2025, login):
    form = submitted(org, period_2025)
    client = login(org.user("truongphong"))
    empty = client.post(form_url(form), {"version": form.version, "action": "return", "reason": " "})
    assert empty.status_code == 400
    response = client.post(
        form_url(form), {"version": form.version, "action": "return", "reason": "Bổ sung minh chứng"}
    )
    assert response.status_code == 302
    form.refresh_from_db()
    assert form.status == Status.RETURNED


# --- Head -----------------------------------------------------------------------------------------------


def _ready_stc(org, period):
    """Everyone of STC self-assessed (leaders with leader points) and submitted, except nhanvien2."""
    for form in Evaluation.objects.filter(period=period, decision_unit=org.stc).select_related("person"):
        key = next(k for k, p in org.people.items() if p.pk == form.person_id)
        if key == "nhanvien2":
            continue
        points = staff_points(60)
        if form.variant == "LEADER":
            points = {**{c: v for c, v in points.items() if not c.startswith("NV")}, "LD1": 30, "LD2": 20, "LD3": 10}
        user = org.user(key)
        form = services.evaluation_save_self(evaluation=form, expected_version=form.version, points=points, actor=user)
        services.evaluation_submit(evaluation=form, expected_version=form.version, actor=user)


def _bulk(forms, action="decide", **extra) -> dict:
    data = {"action": action, "form": [str(f.pk) for f in forms], **extra}
    for f in forms:
        data[f"version-{f.pk}"] = str(f.version)
    return data


def test_head_decides_many_at_once(org, period_2025, login):
    _ready_stc(org, period_2025)
    client = login(org.user("giamdoc"))
    grid = client.get(unit_url("unit", org.stc, period_2025))
    assert grid.status_code == 200
    body = grid.content.decode()
    assert 'data-testid="quota"' in body and "HN-3814-2018" in body
    ready = list(Evaluation.objects.filter(period=period_2025, decision_unit=org.stc, status=Status.SUBMITTED))
    assert len(ready) == 5
    response = client.post(unit_url("unit_decide", org.stc, period_2025), _bulk(ready))
    assert response.status_code == 302
    statuses = dict(Evaluation.objects.filter(pk__in=[f.pk for f in ready]).values_list("pk", "status"))
    assert set(statuses.values()) == {Status.DECIDED}
    assert EvaluationHistory.objects.filter(action="decide").count() == 5


def test_one_bad_row_rolls_back_the_whole_click(org, period_2025, login):
    _ready_stc(org, period_2025)
    client = login(org.user("giamdoc"))
    good = form_of(org, "nhanvien", period_2025)
    no_points = form_of(org, "nhanvien2", period_2025)  # never self-assessed: nothing to decide with
    response = client.post(unit_url("unit_decide", org.stc, period_2025), _bulk([good, no_points]))
    assert response.status_code == 400
    body = response.content.decode()
    assert 'data-testid="row-error"' in body and "Thiếu điểm tiêu chí" in body
    good.refresh_from_db()
    assert good.status == Status.SUBMITTED and not good.history.filter(action="decide").exists()
    # and the form link lets the head decide for the person who did not self-assess
    assert form_url(no_points) in body


def test_head_decides_for_someone_who_did_not_self_assess(org, period_2025, login):
    client = login(org.user("giamdoc"))
    form = form_of(org, "nhanvien2", period_2025)
    body = client.get(form_url(form)).content.decode()
    assert 'value="decide"' in body and 'value="not_evaluated"' in body
    response = client.post(
        form_url(form), points_post(staff_points(55), version=1, action="decide", comment="Không tự đánh giá")
    )
    assert response.status_code == 302
    form.refresh_from_db()
    assert form.status == Status.DECIDED and form.no_self_assessment and str(form.final_total) == "75.00"


def test_mark_not_evaluated_from_the_grid_needs_a_reason(org, period_2025, login):
    client = login(org.user("giamdoc"))
    form = form_of(org, "nhanvien2", period_2025)
    url = unit_url("unit_decide", org.stc, period_2025)
    assert client.post(url, _bulk([form], action="not_evaluated", reason="")).status_code == 400
    form.refresh_from_db()
    assert form.status == Status.DRAFT
    assert (
        client.post(url, _bulk([form], action="not_evaluated", reason="Nghỉ không lương cả tháng")).status_code == 302
    )
    form.refresh_from_db()
    assert form.status == Status.NOT_EVALUATED and form.final_total is None


def _decide_stc(org, period, a_for=()):
    for form in Evaluation.objects.filter(period=period, decision_unit=org.stc):
        key = next(k for k, p in org.people.items() if p.pk == form.person_id)
        points = staff_points(70, bonus=10) if key in a_for else staff_points(60)
        if form.variant == "LEADER":
            points = {**{c: v for c, v in points.items() if not c.startswith("NV")}, "LD1": 30, "LD2": 20, "LD3": 10}
        services.evaluation_decide(
            evaluation=form, expected_version=form.version, points=points, actor=org.user("giamdoc")
        )


def test_publish_is_refused_while_pending_and_over_quota_then_succeeds_with_a_justification(org, period_2025, login):
    client = login(org.user("giamdoc"))
    url = unit_url("unit_publish", org.stc, period_2025)
    first = form_of(org, "nhanvien", period_2025)
    services.evaluation_decide(
        evaluation=first, expected_version=1, points=staff_points(70, 10), actor=org.user("giamdoc")
    )
    pending = client.post(url, {"exception_reason": ""})
    assert pending.status_code == 409
    body = pending.content.decode()
    assert "Vũ Văn Hai" in body and 'data-testid="publish-error"' in body
    assert 'class="highlight"' in body
    _decide_stc(org, period_2025, a_for={"nhanvien", "nhanvien2"})  # 2 A of 6: over 30%, within the 40% exception
    over = client.post(url, {"exception_reason": ""})
    assert over.status_code == 409
    assert not UnitPublication.objects.exists()
    assert Evaluation.objects.filter(decision_unit=org.stc, status=Status.PUBLISHED).count() == 0
    done = client.post(url, {"exception_reason": "Hoàn thành xuất sắc nhiệm vụ đột xuất"})
    assert done.status_code == 302
    publication = UnitPublication.objects.get()
    assert publication.exception_reason == "Hoàn thành xuất sắc nhiệm vụ đột xuất"
    assert set(Evaluation.objects.filter(decision_unit=org.stc).values_list("status", flat=True)) == {Status.PUBLISHED}


def test_publish_over_quota_names_who_is_over(org, period_2025, login):
    _decide_stc(org, period_2025, a_for={"nhanvien", "nhanvien2"})  # 2 A of 6: the exception allows 2
    for key in ("phogiamdoc", "truongphong_kh"):  # 4 rated left: at most 1 A, even with the exception
        form = form_of(org, key, period_2025)
        services.evaluation_mark_not_evaluated(
            evaluation=form, expected_version=form.version, reason="Nghỉ dài ngày", actor=org.user("giamdoc")
        )
    client = login(org.user("giamdoc"))
    grid = client.get(unit_url("unit", org.stc, period_2025)).content.decode()
    assert 'class="card quota over"' in grid
    response = client.post(unit_url("unit_publish", org.stc, period_2025), {"exception_reason": "Lý do"})
    assert response.status_code == 409
    body = response.content.decode()
    assert "Nguyễn Thị Nhân Viên" in body and "Vũ Văn Hai" in body
    assert not UnitPublication.objects.exists()


def test_unit_grid_is_read_only_for_hr_and_404_for_a_division_head(org, period_2025, login):
    hr = login(org.user("hr")).get(unit_url("unit", org.stc, period_2025))
    assert hr.status_code == 200
    assert 'data-testid="bulk-decide"' not in hr.content.decode()
    assert login(org.user("truongphong")).get(unit_url("unit", org.stc, period_2025)).status_code == 404
    _decide_stc(org, period_2025)
    refused = login(org.user("hr")).post(unit_url("unit_publish", org.stc, period_2025), {})
    assert refused.status_code == 403 and not UnitPublication.objects.exists()


# --- After publication ----------------------------------------------------------------------------------


def test_published_results_are_visible_to_a_colleague_only_after_publication(org, period_2025, login):
    results = unit_url("unit_results", org.stc, period_2025)
    colleague = login(org.user("nhanvien2"))
    assert colleague.get(results).status_code == 404
    _decide_stc(org, period_2025)
    assert colleague.get(results).status_code == 404  # decided is not published
    with time_machine.travel(date(2025, 12, 8), tick=False):
        services.unit_period_publish(unit=org.stc, period=period_2025, actor=org.user("giamdoc"))
    response = colleague.get(results)
    assert response.status_code == 200
    body = response.content.decode()
    assert "Nguyễn Thị Nhân Viên" in body and "80,00" in body
    # the colleague sees the result, not the evidence or the history
    page = colleague.get(form_url(form_of(org, "nhanvien", period_2025))).content.decode()
    assert 'data-testid="history"' not in page and 'name="points-' not in page
    assert login(org.user("ngoai")).get(results).status_code == 404


def test_employee_acknowledges_and_complains_within_the_window(org, period_2025, login):
    _decide_stc(org, period_2025)
    with time_machine.travel(date(2025, 12, 8), tick=False):
        services.unit_period_publish(unit=org.stc, period=period_2025, actor=org.user("giamdoc"))
    form = form_of(org, "nhanvien", period_2025)
    client = login(org.user("nhanvien"))
    with time_machine.travel(date(2025, 12, 10), tick=False):
        body = client.get(form_url(form)).content.decode()
        assert 'value="acknowledge"' in body and 'value="complain"' in body
        assert client.post(form_url(form), {"version": form.version, "action": "acknowledge"}).status_code == 302
        form.refresh_from_db()
        response = client.post(
            form_url(form), {"version": form.version, "action": "complain", "reason": "Chưa tính nhiệm vụ đột xuất"}
        )
        assert response.status_code == 302
    form.refresh_from_db()
    assert form.acknowledged_at and form.complaints.get().handler == org.people["chutich"]
    with time_machine.travel(date(2025, 12, 16), tick=False):
        assert 'value="complain"' not in client.get(form_url(form)).content.decode()


def test_a_revision_supersedes_and_the_old_one_stays_visible_and_linked(org, period_2025, login):
    _decide_stc(org, period_2025)
    with time_machine.travel(date(2025, 12, 8), tick=False):
        services.unit_period_publish(unit=org.stc, period=period_2025, actor=org.user("giamdoc"))
    form = form_of(org, "nhanvien", period_2025)
    with time_machine.travel(date(2025, 12, 9), tick=False):
        complaint = services.complaint_file(
            evaluation=form, expected_version=form.version, reason="Xem lại", actor=org.user("nhanvien")
        )
    complaint = services.complaint_resolve(
        complaint=complaint,
        outcome="revised",
        resolution="Chấp nhận",
        points=staff_points(68),
        actor=org.user("chutich"),
    )
    client = login(org.user("nhanvien"))
    old = client.get(form_url(form)).content.decode()
    assert 'data-testid="superseded"' in old and form_url(complaint.revision) in old
    assert 'value="complain"' not in old and 'value="acknowledge"' not in old
    new = client.get(form_url(complaint.revision)).content.decode()
    assert 'data-testid="revisions"' in new and form_url(form) in new and "88,00" in new


# --- Evidence ----------------------------------------------------------------------------------------------


def test_attachments_limits_and_private_download(org, period_2025, login, settings):
    form = form_of(org, "nhanvien", period_2025)
    client = login(org.user("nhanvien"))
    upload_url = reverse("evaluation:attachment_upload", kwargs={"pk": form.pk})
    bad = client.post(upload_url, {"file": SimpleUploadedFile("x.exe", b"MZ", content_type="application/x-msdownload")})
    assert bad.status_code == 400
    settings.EVIDENCE_MAX_BYTES = 10
    big = client.post(upload_url, {"file": SimpleUploadedFile("big.txt", b"x" * 11, content_type="text/plain")})
    assert big.status_code == 400
    assert not Attachment.objects.exists()
    settings.EVIDENCE_MAX_BYTES = 1024
    ok = client.post(upload_url, {"file": SimpleUploadedFile("Báo cáo.txt", b"noi dung", content_type="text/plain")})
    assert ok.status_code == 302
    attachment = Attachment.objects.get()
    download = reverse("evaluation:attachment", kwargs={"pk": form.pk, "attachment_id": attachment.pk})
    assert "Báo cáo.txt" in client.get(form_url(form)).content.decode()
    own = client.get(download)
    assert own.status_code == 200 and b"".join(own.streaming_content) == b"noi dung"
    assert own["Content-Disposition"].startswith("attachment;")
    assert login(org.user("truongphong")).get(download).status_code == 200
    assert login(org.user("ngoai")).get(download).status_code == 404
    assert login(org.user("nhanvien2")).get(download).status_code == 404
    other = form_of(org, "nhanvien2", period_2025)  # the attachment through someone else's form
    wrong = reverse("evaluation:attachment", kwargs={"pk": other.pk, "attachment_id": attachment.pk})
    assert login(org.user("truongphong")).get(wrong).status_code == 404


# --- Outsiders -----------------------------------------------------------------------------------------------


def test_an_outsider_gets_404_on_every_page_of_a_form_and_unit(org, period_2025, login):
    form = form_of(org, "nhanvien", period_2025)
    attachment = services.attachment_add(
        evaluation=form,
        upload=SimpleUploadedFile("a.txt", b"a", content_type="text/plain"),
        actor=org.user("nhanvien"),
    )
    _decide_stc(org, period_2025)
    services.unit_period_publish(unit=org.stc, period=period_2025, actor=org.user("giamdoc"))
    for persona in ("ngoai", "outsider_nobody"):
        client = login(org.user(persona))
        gets = [
            form_url(form),
            reverse("evaluation:attachment", kwargs={"pk": form.pk, "attachment_id": attachment.pk}),
            unit_url("unit", org.stc, period_2025),
            unit_url("unit_results", org.stc, period_2025),
        ]
        for url in gets:
            assert client.get(url).status_code == 404, (persona, url)
        posts = [
            form_url(form),
            reverse("evaluation:preview", kwargs={"pk": form.pk}),
            reverse("evaluation:attachment_upload", kwargs={"pk": form.pk}),
            unit_url("unit_decide", org.stc, period_2025),
            unit_url("unit_publish", org.stc, period_2025),
        ]
        for url in posts:
            assert client.post(url, {"action": "decide", "version": "1"}).status_code == 404, (persona, url)
        team = client.get(reverse("evaluation:team") + "?period=2025-11").content.decode()
        assert "Nguyễn Thị Nhân Viên" not in team


def test_pages_need_a_login(org, period_2025, client):
    response = client.get(reverse("evaluation:my_month"))
    assert response.status_code == 302 and "/login/" in response["Location"]


# --- Notifications -------------------------------------------------------------------------------------------


def test_notifications_page_and_counter(org, period_2025, login):
    user = org.user("nhanvien")
    services.notify(user=user, key="a", message="Phiếu tháng 11 cần tự đánh giá", url="/evaluations/", email=False)
    services.notify(user=user, key="b", message="Nhắc lần hai", url="javascript:alert(1)", email=False)
    client = login(user)
    home = client.get(reverse("evaluation:my_month")).content.decode()
    assert 'data-testid="unread-count"' in home and ">2</span>" in home
    page = client.get(reverse("evaluation:notifications")).content.decode()
    assert "Phiếu tháng 11 cần tự đánh giá" in page and 'href="/evaluations/"' in page
    assert "javascript:" not in page
    first = Notification.objects.get(key="a")
    client.post(reverse("evaluation:notifications"), {"id": str(first.pk)})
    assert Notification.objects.filter(user=user, read_at__isnull=True).count() == 1
    client.post(reverse("evaluation:notifications"))
    assert not Notification.objects.filter(user=user, read_at__isnull=True).exists()
    assert 'data-testid="unread-count"' not in client.get(reverse("evaluation:my_month")).content.decode()
    # someone else's notification is never touched
    other = services.notify(user=org.user("nhanvien2"), key="c", message="x", email=False)
    client.post(reverse("evaluation:notifications"), {"id": str(other.pk)})
    other.refresh_from_db()
    assert other.read_at is None
