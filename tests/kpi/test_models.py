"""Framework versions in the database: the reference data migration, the model, and the services."""

from __future__ import annotations

import copy
from datetime import date
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from kpi import services
from kpi.models import FrameworkVersion
from kpi.spec import spec_from_dict, spec_to_dict
from orgchart.models import AuditEvent
from tests.kpi.conftest import CODES, load_yaml

pytestmark = pytest.mark.django_db

NOW = "2026-11-22 10:00 +07:00"


def hn() -> FrameworkVersion:
    return FrameworkVersion.objects.get(code="HN-3814-2018")


def audit_rows(version: FrameworkVersion):
    return AuditEvent.objects.filter(object_type="FrameworkVersion", object_id=str(version.pk)).order_by("id")


# --- Reference data ----------------------------------------------------------------------------------


def test_migration_ships_both_versions_published():
    versions = {v.code: v for v in FrameworkVersion.objects.all()}
    assert set(versions) == set(CODES)
    assert all(v.status == FrameworkVersion.Status.PUBLISHED and v.published_at for v in versions.values())
    assert all(v.first_used_at is None and v.based_on is None for v in versions.values())
    assert versions["HN-3814-2018"].effective_from == date(2018, 7, 1)
    assert versions["HN-3814-2018"].applies_to == ["CAN_BO", "CONG_CHUC", "VIEN_CHUC", "LAO_DONG_HOP_DONG"]
    assert versions["VN-ND335-2025"].effective_from == date(2026, 1, 1)
    assert versions["VN-ND335-2025"].applies_to == ["CONG_CHUC"]
    assert versions["VN-ND335-2025"].name_vi.startswith("Đánh giá, xếp loại chất lượng công chức")


@pytest.mark.parametrize("code", CODES)
def test_definition_round_trips_through_the_spec(code):
    version = FrameworkVersion.objects.get(code=code)
    from_yaml = spec_from_dict(load_yaml(code))
    assert version.spec == from_yaml
    assert version.definition == spec_to_dict(from_yaml)
    assert spec_to_dict(spec_from_dict(version.definition)) == version.definition


def test_definition_holds_every_part_of_the_yaml():
    hn_def = hn().definition
    nd_def = FrameworkVersion.objects.get(code="VN-ND335-2025").definition
    nv = next(g for g in hn_def["groups"] if g["code"] == "NV")
    assert [c["code"] for c in nv["variants"]["LEADER"]] == ["LD1", "LD2", "LD3"]
    assert nv["variants"]["STAFF"][0]["step"] == "0.5"
    assert [b["code"] for b in hn_def["grades"]] == ["A", "B", "C", "D"]
    assert hn_def["quota"]["ratio"] == "0.3" and hn_def["quota"]["exception"]["ratio"] == "0.4"
    assert hn_def["quota"]["small_group"] == {"below": 5, "allowed": 1}
    assert [o["id"] for o in hn_def["overrides"]] == ["worked_share_le_0_5", "disciplined_in_period"]
    assert hn_def["deductions"] == [] and hn_def["quarterly"]["monthly_average"] == "0.6"
    assert nd_def["task_formula"]["quality_penalty"] == "0.25"
    assert nd_def["leader_formula"]["own_products"] == "0.5"
    assert nd_def["annual"]["deadline"] == "12-15"
    assert nd_def["quota"]["base"] == "count_of_grade:HTT"


# --- Model ---------------------------------------------------------------------------------------------


def test_spec_is_cached_until_the_definition_is_replaced():
    version = hn()
    first = version.spec
    assert version.spec is first
    version.definition = {**version.definition, "name_vi": "Tên khác"}
    assert version.spec is not first and version.spec.name_vi == "Tên khác"


def test_code_is_unique():
    source = hn()
    with pytest.raises(IntegrityError), transaction.atomic():
        FrameworkVersion.objects.create(
            code=source.code, name_vi="x", effective_from=date(2027, 1, 1), definition=source.definition
        )


def test_published_needs_a_publication_date_and_drafts_are_never_used():
    source = hn()
    with pytest.raises(IntegrityError), transaction.atomic():
        FrameworkVersion.objects.create(
            code="X-1", name_vi="x", effective_from=date(2027, 1, 1), definition=source.definition, status="published"
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        FrameworkVersion.objects.create(
            code="X-2",
            name_vi="x",
            effective_from=date(2027, 1, 1),
            definition=source.definition,
            first_used_at=timezone.now(),
        )


# --- Services: copy ---------------------------------------------------------------------------------


def test_copy_creates_a_draft_with_the_same_definition(org):
    hr = org.user("hr")
    draft = services.framework_version_copy(source=hn(), code=" hn-3814-2027 ", actor=hr)
    assert draft.code == "HN-3814-2027" and draft.status == "draft" and draft.based_on == hn()
    assert draft.created_by == hr and draft.published_at is None and draft.first_used_at is None
    assert draft.definition == {**hn().definition, "code": "HN-3814-2027"}
    assert draft.spec.groups == hn().spec.groups
    (row,) = audit_rows(draft)
    assert row.action == "framework.copy" and row.actor == hr and row.unit is None and row.person is None
    assert "HN-3814-2027" in row.summary and "HN-3814-2018" in row.summary


@pytest.mark.parametrize("code", ["HN-3814-2018", "VN-ND335-2025", "bad code", "-X", ""])
def test_copy_refuses_taken_or_malformed_codes(org, code):
    with pytest.raises(ValidationError) as caught:
        services.framework_version_copy(source=hn(), code=code, actor=org.user("hr"))
    assert "code" in caught.value.message_dict
    assert FrameworkVersion.objects.count() == 2


# --- Services: update -------------------------------------------------------------------------------


@pytest.fixture
def draft(org):
    return services.framework_version_copy(source=hn(), code="HN-3814-2027", actor=org.user("hr"))


def _criterion(definition, group, variant, code):
    g = next(g for g in definition["groups"] if g["code"] == group)
    return next(c for c in g["variants"][variant] if c["code"] == code)


def test_update_saves_a_valid_definition_and_audits_the_changed_parts(org, draft):
    definition = copy.deepcopy(draft.definition)
    _criterion(definition, "NV", "STAFF", "NV1")["max_points"] = "35"
    _criterion(definition, "NV", "STAFF", "NV2")["max_points"] = "20"
    definition["quota"]["ratio"] = "0.25"
    updated = services.framework_version_update(version=draft, definition=definition, actor=org.user("hr"))
    assert updated.revision == 1
    assert updated.spec.quota.ratio == Decimal("0.25")
    assert [c.max_points for c in updated.spec.groups[1].criteria_for("STAFF")] == [35, 20, 15]
    row = audit_rows(draft).last()
    assert row.action == "framework.update"
    assert row.changes == {
        "groups[NV].variants.STAFF[NV1].max_points": ["30", "35"],
        "groups[NV].variants.STAFF[NV2].max_points": ["25", "20"],
        "quota.ratio": ["0.3", "0.25"],
    }
    assert "groups" in row.summary and "quota" in row.summary


def test_update_without_changes_writes_nothing(org, draft):
    services.framework_version_update(version=draft, definition=copy.deepcopy(draft.definition), actor=org.user("hr"))
    draft.refresh_from_db()
    assert draft.revision == 0 and audit_rows(draft).count() == 1


def test_update_keeps_code_and_effective_date(org, draft):
    definition = {**copy.deepcopy(draft.definition), "code": "OTHER", "effective_from": "2030-01-01", "name_vi": "Mới"}
    updated = services.framework_version_update(version=draft, definition=definition, actor=org.user("hr"))
    assert updated.definition["code"] == "HN-3814-2027"
    assert updated.definition["effective_from"] == "2018-07-01"
    assert updated.name_vi == "Mới"


def test_update_refuses_an_invalid_definition_with_every_message(org, draft):
    definition = copy.deepcopy(draft.definition)
    _criterion(definition, "NV", "STAFF", "NV1")["max_points"] = "40"
    definition["quota"]["ratio"] = "1.5"
    definition["grades"][3]["min"] = "10"
    with pytest.raises(ValidationError) as caught:
        services.framework_version_update(version=draft, definition=definition, actor=org.user("hr"))
    messages = caught.value.messages
    assert any("Nhóm NV (biến thể STAFF)" in m and "80" in m for m in messages)
    assert any("tỷ lệ 1.5 phải nằm trong khoảng 0–1" in m for m in messages)
    assert any("bắt đầu từ 0 điểm" in m for m in messages)
    draft.refresh_from_db()
    assert draft.revision == 0 and draft.definition["quota"]["ratio"] == "0.3"
    assert audit_rows(draft).count() == 1


def test_update_refuses_an_unreadable_definition(org, draft):
    definition = copy.deepcopy(draft.definition)
    definition["grades"][0]["min"] = "chín mươi"
    with pytest.raises(ValidationError) as caught:
        services.framework_version_update(version=draft, definition=definition, actor=org.user("hr"))
    assert "cần một số" in caught.value.messages[0]


def test_update_refuses_unknown_subject_groups_and_periods(org, draft):
    definition = {**copy.deepcopy(draft.definition), "applies_to": ["CONG_CHUC", "ROBOT"], "period": "weekly"}
    with pytest.raises(ValidationError) as caught:
        services.framework_version_update(version=draft, definition=definition, actor=org.user("hr"))
    assert len(caught.value.messages) == 2 and "ROBOT" in caught.value.messages[1]


def test_used_versions_can_never_be_edited(org):
    version = services.framework_version_mark_used(version=hn())
    definition = copy.deepcopy(version.definition)
    definition["name_vi"] = "Sửa"
    with pytest.raises(ValidationError, match="HN-3814-2018"):
        services.framework_version_update(version=version, definition=definition, actor=org.user("hr"))
    assert hn().name_vi != "Sửa"


def test_use_between_loading_and_saving_is_noticed(org):
    version = hn()  # loaded by the edit page …
    services.framework_version_mark_used(version=hn())  # … then a form is scored elsewhere
    definition = {**copy.deepcopy(version.definition), "name_vi": "Sửa"}
    with pytest.raises(ValidationError, match="Hãy sao chép thành phiên bản mới"):
        services.framework_version_update(version=version, definition=definition, actor=org.user("hr"))
    assert hn().name_vi != "Sửa"


def test_concurrent_edits_conflict(org, draft):
    stale = FrameworkVersion.objects.get(pk=draft.pk)
    services.framework_version_update(
        version=draft, definition={**copy.deepcopy(draft.definition), "name_vi": "Một"}, actor=org.user("hr")
    )
    with pytest.raises(ValidationError, match="Người khác vừa sửa phiên bản"):
        services.framework_version_update(
            version=stale, definition={**copy.deepcopy(stale.definition), "name_vi": "Hai"}, actor=org.user("hr")
        )
    assert FrameworkVersion.objects.get(pk=draft.pk).name_vi == "Một"


# --- Services: publish and first use ---------------------------------------------------------------------


@time_machine.travel(NOW, tick=False)
def test_publish_a_draft(org, draft):
    hr = org.user("hr")
    published = services.framework_version_publish(version=draft, effective_from=date(2027, 1, 1), actor=hr)
    assert published.status == "published" and published.published_by == hr and published.published_at
    assert published.effective_from == date(2027, 1, 1)
    assert published.definition["effective_from"] == "2027-01-01"
    row = audit_rows(draft).last()
    assert row.action == "framework.publish" and row.changes["effective_from"] == [None, "2027-01-01"]


@time_machine.travel(NOW, tick=False)
def test_only_drafts_are_published(org):
    with pytest.raises(ValidationError, match="Chỉ ban hành được bản nháp"):
        services.framework_version_publish(version=hn(), effective_from=date(2027, 1, 1), actor=org.user("hr"))


@time_machine.travel(NOW, tick=False)
@pytest.mark.parametrize("day", [date(2027, 1, 15), date(2026, 10, 1)])
def test_publish_needs_the_first_day_of_this_or_a_later_month(org, draft, day):
    with pytest.raises(ValidationError) as caught:
        services.framework_version_publish(version=draft, effective_from=day, actor=org.user("hr"))
    assert "effective_from" in caught.value.message_dict
    assert FrameworkVersion.objects.get(pk=draft.pk).status == "draft"


@time_machine.travel(NOW, tick=False)
def test_publish_validates_the_definition(org, draft):
    broken = copy.deepcopy(draft.definition)
    broken["quarterly"]["unit_result"] = "0.5"
    FrameworkVersion.objects.filter(pk=draft.pk).update(definition=broken)  # e.g. loaded from an old fixture
    draft.refresh_from_db()
    with pytest.raises(ValidationError, match="quý"):
        services.framework_version_publish(version=draft, effective_from=date(2026, 11, 1), actor=org.user("hr"))


def test_mark_used_is_idempotent_and_audited_once():
    version = services.framework_version_mark_used(version=hn())
    first = version.first_used_at
    assert first is not None and not version.is_editable
    again = services.framework_version_mark_used(version=hn())
    assert again.first_used_at == first
    rows = list(audit_rows(version))
    assert [r.action for r in rows] == ["framework.first_use"] and rows[0].actor is None


def test_a_draft_cannot_be_used(org, draft):
    with pytest.raises(ValidationError):
        services.framework_version_mark_used(version=draft)
    assert FrameworkVersion.objects.get(pk=draft.pk).first_used_at is None
