"""Framework pages: reading for everyone signed in; copy → edit → preview → publish for city HR only."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
import time_machine

from kpi import services
from kpi.forms import DefinitionForm
from kpi.models import FrameworkVersion
from orgchart.models import AuditEvent

pytestmark = pytest.mark.django_db

HN, ND = "HN-3814-2018", "VN-ND335-2025"
NOW = "2026-11-22 10:00 +07:00"


def body(response) -> str:
    return response.content.decode()


def form_data(version: FrameworkVersion, **changes) -> dict:
    """What the edit page posts back when nothing is touched, plus `changes`."""
    form = DefinitionForm(version=version)
    data: dict = {}
    for name in form.fields:
        value = form[name].value()
        data[name] = value if isinstance(value, list) else ("" if value is None else str(value))
    data.update(changes)
    return data


@pytest.fixture
def draft(org):
    return services.framework_version_copy(
        source=FrameworkVersion.objects.get(code=HN), code="HN-3814-2027", actor=org.user("hr")
    )


# --- Reading --------------------------------------------------------------------------------------------


def test_signed_out_users_go_to_the_login_page(db, client):
    assert client.get("/frameworks/")["Location"].startswith("/login/")
    assert client.get(f"/frameworks/{HN}/")["Location"].startswith("/login/")


def test_list_for_any_signed_in_user(org, client, django_assert_max_num_queries):
    client.force_login(org.user("nhanvien"))
    with django_assert_max_num_queries(12):
        response = client.get("/frameworks/")
    page = body(response)
    assert response.status_code == 200
    assert HN in page and ND in page and "Đánh giá, xếp loại chất lượng công chức" in page
    assert "01/07/2018" in page and "01/01/2026" in page
    assert "Công chức" in page and "Lao động hợp đồng" in page and "CONG_CHUC" not in page  # words, not codes
    assert 'href="/frameworks/"' in page  # the header link


def test_drafts_are_listed_and_shown_to_hr_only(org, client, draft):
    client.force_login(org.user("nhanvien"))
    assert draft.code not in body(client.get("/frameworks/"))
    assert client.get(f"/frameworks/{draft.code}/").status_code == 404
    client.force_login(org.user("hr"))
    assert draft.code in body(client.get("/frameworks/"))
    assert client.get(f"/frameworks/{draft.code}/").status_code == 200


def test_the_3814_page_reads_as_the_regulation(org, client):
    client.force_login(org.user("nhanvien"))
    page = body(client.get(f"/frameworks/{HN}/"))
    assert "Quyết định số 3814-QĐ/TU ngày 16/5/2018" in page
    assert "Ý thức tổ chức kỷ luật, phẩm chất đạo đức" in page
    assert "Năng lực lãnh đạo, chỉ đạo, điều hành" in page  # the leaders' variant
    assert "Hoàn thành xuất sắc nhiệm vụ" in page and "Không hoàn thành nhiệm vụ" in page
    assert "Tỷ lệ ngày làm việc thực tế trong tháng ≤ 0,5" in page  # override in plain words, vi numbers
    assert "30%" in page and "40%" in page  # quota and its exception
    assert "window.print()" in page
    assert "/copy/" not in page and "/edit/" not in page  # no HR actions for staff


def test_the_nd335_page_shows_the_task_formula(org, client):
    client.force_login(org.user("nhanvien"))
    page = body(client.get(f"/frameworks/{ND}/"))
    assert 'data-testid="task-formula"' in page and "25%" in page and "20%" in page
    assert "Bị kỷ luật từ khiển trách trở lên trong năm" in page
    assert "15/12" in page  # the annual deadline


def test_unknown_code_is_404(org, client):
    client.force_login(org.user("hr"))
    assert client.get("/frameworks/NOPE-1/").status_code == 404


# --- HR only ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["nhanvien", "truongphong", "giamdoc", "auditor", "outsider_nobody"])
def test_hr_pages_are_404_for_everyone_else(org, client, draft, persona):
    client.force_login(org.user(persona))
    for url in (f"/frameworks/{HN}/copy/", f"/frameworks/{draft.code}/edit/"):
        assert client.get(url).status_code == 404
        assert client.post(url, {"code": "X-1"}).status_code == 404
    assert client.post(f"/frameworks/{draft.code}/preview/", {"variant": "STAFF"}).status_code == 404
    assert client.post(f"/frameworks/{draft.code}/publish/", {"effective_from": "01/01/2027"}).status_code == 404
    assert FrameworkVersion.objects.get(pk=draft.pk).status == "draft"
    assert FrameworkVersion.objects.count() == 3


def test_superuser_may_manage(org, client, django_user_model):
    client.force_login(django_user_model.objects.create_superuser("root", password="pw-root"))
    assert client.get(f"/frameworks/{HN}/copy/").status_code == 200


@time_machine.travel(NOW, tick=False)
def test_hr_full_flow_copy_edit_preview_publish(org, client):
    client.force_login(org.user("hr"))

    # The version page offers a copy; the copy page suggests next year's code.
    assert f"/frameworks/{HN}/copy/" in body(client.get(f"/frameworks/{HN}/"))
    assert 'value="HN-3814-2027"' in body(client.get(f"/frameworks/{HN}/copy/"))
    response = client.post(f"/frameworks/{HN}/copy/", {"code": "hn-3814-2027"})
    assert response.status_code == 302 and response["Location"] == "/frameworks/HN-3814-2027/edit/"
    draft = FrameworkVersion.objects.get(code="HN-3814-2027")

    # The edit page says what is being edited.
    page = body(client.get("/frameworks/HN-3814-2027/edit/"))
    assert 'data-testid="editing-banner"' in page and "HN-3814-2027" in page and HN in page
    assert "Khối lượng công việc hoàn thành so với kế hoạch được giao" in page

    # An inconsistent change is refused with the validator's Vietnamese messages.
    bad = form_data(draft, **{"c1_STAFF_0_max": "40", "q_ratio": "150", "b3_min": "10"})
    page = body(client.post("/frameworks/HN-3814-2027/edit/", bad))
    assert "Nhóm NV (biến thể STAFF): tổng điểm tối đa các tiêu chí là 80" in page
    assert "phải nằm trong khoảng 0–1" in page and "bắt đầu từ 0 điểm" in page
    assert FrameworkVersion.objects.get(pk=draft.pk).revision == 0

    # A consistent one is saved (Vietnamese decimal comma accepted) and recorded.
    good = form_data(
        draft,
        **{
            "c1_STAFF_0_max": "35",
            "c1_STAFF_1_max": "20",
            "q_ratio": "27,5",
            "o0_threshold": "0,6",
            "c1_STAFF_0_name": "Khối lượng công việc (sửa)",
        },
    )
    response = client.post("/frameworks/HN-3814-2027/edit/", good)
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.revision == 1
    assert draft.spec.quota.ratio == Decimal("0.275") and draft.spec.overrides[0].threshold == Decimal("0.6")
    assert [c.max_points for c in draft.spec.groups[1].criteria_for("STAFF")] == [35, 20, 15]
    assert draft.spec.groups[1].criteria_for("STAFF")[0].name_vi == "Khối lượng công việc (sửa)"
    assert draft.spec.groups[0].criteria_for("LEADER") == draft.spec.groups[0].criteria_for("STAFF")
    update = AuditEvent.objects.filter(action="framework.update", object_id=str(draft.pk)).get()
    assert update.changes["quota.ratio"] == ["0.3", "0.275"]
    assert "overrides[worked_share_le_0_5].threshold" in update.changes

    # Preview a sample case with the same engine (plain POST renders a page).
    points = {
        "p_KL1": "5",
        "p_KL2": "5",
        "p_KL3": "5",
        "p_KL4": "5",
        "p_NV1": "35",
        "p_NV2": "20",
        "p_NV3": "15",
        "p_TH1": "5",
        "p_TH2": "0",
    }
    page = body(
        client.post("/frameworks/HN-3814-2027/preview/", {"variant": "STAFF", **points, "f_worked_share": "0,55"})
    )
    assert 'data-testid="preview-total"><strong>95' in page
    assert "worked_share_le_0_5" in page and "hạ từ A xuống C" in page  # the new 0.6 threshold applies

    # htmx gets the partial only, and point errors are shown on the criterion.
    response = client.post(
        "/frameworks/HN-3814-2027/preview/", {"variant": "STAFF", **points, "p_NV1": "36"}, HTTP_HX_REQUEST="true"
    )
    page = body(response)
    assert "<html" not in page and "NV1 (36) vượt quá điểm tối đa 35" in page

    # Publish with a day-first date.
    response = client.post("/frameworks/HN-3814-2027/publish/", {"effective_from": "01/01/2027", "revision": "1"})
    assert response.status_code == 302 and response["Location"] == "/frameworks/HN-3814-2027/"
    draft.refresh_from_db()
    assert draft.status == "published" and draft.effective_from == date(2027, 1, 1)
    assert draft.published_by == org.user("hr")

    # The version page lists the history.
    page = body(client.get("/frameworks/HN-3814-2027/"))
    assert page.count("<tr><td>") >= 3 and 'data-testid="framework-history"' in page
    assert "HN-3814-2027" in page and "01/01/2027" in page


@time_machine.travel(NOW, tick=False)
def test_publish_errors_show_on_the_edit_page(org, client, draft):
    client.force_login(org.user("hr"))
    page = body(client.post(f"/frameworks/{draft.code}/publish/", {"effective_from": "15/01/2027"}))
    assert 'data-testid="publish"' in page and "01/01/2027" in page
    page = body(client.post(f"/frameworks/{draft.code}/publish/", {"effective_from": "31/02/2027"}))
    assert "Nhập một ngày hợp lệ" in page
    assert FrameworkVersion.objects.get(pk=draft.pk).status == "draft"


def test_a_published_unused_version_can_be_edited_but_not_republished(org, client):
    client.force_login(org.user("hr"))
    page = body(client.get(f"/frameworks/{HN}/edit/"))
    assert 'data-testid="editing-banner"' in page and 'data-testid="publish"' not in page


def test_a_used_version_is_refused_in_the_view(org, client):
    services.framework_version_mark_used(version=FrameworkVersion.objects.get(code=HN))
    client.force_login(org.user("hr"))
    response = client.get(f"/frameworks/{HN}/edit/")
    assert response.status_code == 302 and response["Location"] == f"/frameworks/{HN}/"
    version = FrameworkVersion.objects.get(code=HN)
    response = client.post(f"/frameworks/{HN}/edit/", form_data(version, name_vi="Sửa"))
    assert response.status_code == 302 and FrameworkVersion.objects.get(code=HN).name_vi != "Sửa"
    page = body(client.get(f"/frameworks/{HN}/"))
    assert f"/frameworks/{HN}/edit/" not in page and f"/frameworks/{HN}/copy/" in page


def test_copy_refuses_a_taken_code(org, client):
    client.force_login(org.user("hr"))
    page = body(client.post(f"/frameworks/{HN}/copy/", {"code": ND}))
    assert ND in page and FrameworkVersion.objects.count() == 2


def test_preview_for_nd335_leaders(org, client):
    client.force_login(org.user("hr"))
    data = {
        "variant": "LEADER",
        "p_CC1": "10",
        "p_CC2": "10",
        "p_CC3": "10",
        "quantity": "100",
        "quality": "100",
        "timeliness": "100",
        "organising": "100",
    }
    page = body(client.post(f"/frameworks/{ND}/preview/", data))
    assert 'data-testid="preview-total"><strong>100' in page and "HTXS" in page
    page = body(client.post(f"/frameworks/{ND}/preview/", {**data, "organising": ""}))
    assert "organising" in page and 'data-testid="preview-result"' not in page


def test_saving_the_page_untouched_changes_nothing(org, client, draft):
    client.force_login(org.user("hr"))
    assert client.post(f"/frameworks/{draft.code}/edit/", form_data(draft)).status_code == 302
    draft.refresh_from_db()
    assert draft.revision == 0
    assert not AuditEvent.objects.filter(action="framework.update").exists()


def test_a_stale_page_is_refused(org, client, draft):
    client.force_login(org.user("hr"))
    stale = form_data(draft, name_vi="Bản của người thứ hai")
    client.post(f"/frameworks/{draft.code}/edit/", form_data(draft, name_vi="Bản của người thứ nhất"))
    page = body(client.post(f"/frameworks/{draft.code}/edit/", stale))
    assert "Người khác vừa sửa phiên bản" in page
    assert FrameworkVersion.objects.get(pk=draft.pk).name_vi == "Bản của người thứ nhất"


# --- Adding and removing rows ----------------------------------------------------------------------------


FULL = {
    "p_KL1": "5",
    "p_KL2": "5",
    "p_KL3": "5",
    "p_KL4": "5",
    "p_NV2": "25",
    "p_NV3": "15",
    "p_TH1": "5",
    "p_TH2": "5",
}


def test_hr_replaces_a_staff_criterion_and_adds_one_for_everyone(org, client, draft):
    client.force_login(org.user("hr"))
    data = form_data(
        draft,
        **{
            "c1_STAFF_2_remove": "on",
            "n1_STAFF_code": "NV4",
            "n1_STAFF_name": "Tiến độ và sáng tạo",
            "n1_STAFF_max": "15",
            "c0_ALL_0_max": "4",
            "n0_ALL_code": "KL5",
            "n0_ALL_name": "Tham gia sinh hoạt đoàn thể",
            "n0_ALL_max": "1",
            "n0_ALL_step": "0,5",
        },
    )
    assert client.post(f"/frameworks/{draft.code}/edit/", data).status_code == 302
    draft.refresh_from_db()
    spec = draft.spec
    assert [c.code for c in spec.groups[1].criteria_for("STAFF")] == ["NV1", "NV2", "NV4"]
    assert [c.code for c in spec.groups[1].criteria_for("LEADER")] == ["LD1", "LD2", "LD3"]
    for variant in ("STAFF", "LEADER"):
        kl = spec.groups[0].criteria_for(variant)
        assert [(c.code, c.max_points, c.step) for c in kl][-1] == ("KL5", 1, Decimal("0.5"))
        assert kl[0].max_points == 4
    changes = AuditEvent.objects.get(action="framework.update", object_id=str(draft.pk)).changes
    assert changes["groups[NV].variants.STAFF[NV4].max_points"] == [None, "15"]
    assert changes["groups[NV].variants.STAFF[NV3].max_points"] == ["15", None]
    # The new criterion is scored by the same engine.
    page = body(
        client.post(
            f"/frameworks/{draft.code}/preview/",
            {"variant": "STAFF", "p_NV1": "30", **FULL, "p_KL1": "4", "p_KL5": "1", "p_NV4": "16"},
        )
    )
    assert "NV4 (16) vượt quá điểm tối đa 15" in page


def test_a_half_filled_new_row_or_a_bad_code_is_refused_and_nothing_saved(org, client, draft):
    client.force_login(org.user("hr"))
    page = body(client.post(f"/frameworks/{draft.code}/edit/", form_data(draft, n1_STAFF_name="Chưa có mã")))
    assert "Điền vào đây để thêm dòng" in page
    page = body(
        client.post(
            f"/frameworks/{draft.code}/edit/",
            form_data(draft, n1_STAFF_code="nv 4", n1_STAFF_name="Tên", n1_STAFF_max="1"),
        )
    )
    assert "Mã bắt đầu bằng một chữ in hoa" in page
    # Adding a criterion without making room for it breaks the group's sum: the validator says so.
    page = body(
        client.post(
            f"/frameworks/{draft.code}/edit/",
            form_data(draft, n1_STAFF_code="NV4", n1_STAFF_name="Thêm", n1_STAFF_max="5"),
        )
    )
    assert "Nhóm NV (biến thể STAFF): tổng điểm tối đa các tiêu chí là 75" in page
    draft.refresh_from_db()
    assert draft.revision == 0 and len(draft.spec.groups[1].criteria_for("STAFF")) == 3


def test_hr_adds_a_grade_band_that_counts_in_the_year_and_removes_it_again(org, client, draft):
    client.force_login(org.user("hr"))
    data = form_data(draft, nb_code="AA", nb_min="95", nb_label="Xuất sắc tiêu biểu", nb_annual="HTXS", b3_annual="HT")
    # A band above the one the quota caps would escape the quota: refused until the quota moves to it.
    page = body(client.post(f"/frameworks/{draft.code}/edit/", data))
    assert "mức cao nhất là AA" in page and FrameworkVersion.objects.get(pk=draft.pk).revision == 0
    data["q_grade"] = "AA"
    assert client.post(f"/frameworks/{draft.code}/edit/", data).status_code == 302
    draft.refresh_from_db()
    assert [band.code for band in draft.spec.grades] == ["AA", "A", "B", "C", "D"]
    assert dict(draft.spec.annual.level_map) == {"AA": "HTXS", "A": "HTXS", "B": "HTT", "C": "HT", "D": "HT"}
    page = body(client.post(f"/frameworks/{draft.code}/preview/", {"variant": "STAFF", "p_NV1": "30", **FULL}))
    assert "AA" in page
    assert draft.spec.quota.grade == "AA"
    removed = form_data(draft, b0_remove="on", q_grade="A")
    assert client.post(f"/frameworks/{draft.code}/edit/", removed).status_code == 302
    draft.refresh_from_db()
    assert [band.code for band in draft.spec.grades] == ["A", "B", "C", "D"] and "AA" not in draft.spec.annual.level_map


def test_removing_a_band_an_override_needs_is_refused(org, client, draft):
    client.force_login(org.user("hr"))
    page = body(client.post(f"/frameworks/{draft.code}/edit/", form_data(draft, b3_remove="on")))
    assert "mức xếp loại đích D không có trong khung" in page
    assert FrameworkVersion.objects.get(pk=draft.pk).revision == 0


def test_hr_adds_a_deduction_and_sets_the_quota_base_and_scope(org, client, draft):
    client.force_login(org.user("hr"))
    data = form_data(
        draft,
        nd_code="TRU1",
        nd_name="Vi phạm thời giờ làm việc",
        nd_max="5",
        q_scope=["unit", "similar_task_group"],
        q_base="count_of_grade:B",
        a_quota_ratio="25",
    )
    assert client.post(f"/frameworks/{draft.code}/edit/", data).status_code == 302
    draft.refresh_from_db()
    spec = draft.spec
    assert [(d.code, d.max_points) for d in spec.deductions] == [("TRU1", 5)]
    assert spec.quota.scope == ("unit", "similar_task_group") and spec.quota.base == "count_of_grade:B"
    assert spec.annual.quota.ratio == Decimal("0.25")
    assert client.post(f"/frameworks/{draft.code}/edit/", form_data(draft, d0_remove="on")).status_code == 302
    draft.refresh_from_db()
    assert draft.spec.deductions == ()
