"""Which framework version scores a month, and which variant a position uses."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.utils import timezone

from kpi.models import FrameworkVersion
from kpi.selectors import NoFrameworkVersion, framework_version_for, variant_for
from orgchart.models import Position

pytestmark = pytest.mark.django_db

HN, ND = "HN-3814-2018", "VN-ND335-2025"


@pytest.mark.parametrize(
    ("group", "month", "code"),
    [
        ("CONG_CHUC", date(2025, 12, 1), HN),
        ("CONG_CHUC", date(2025, 12, 31), HN),
        ("CONG_CHUC", date(2026, 1, 1), ND),
        ("CONG_CHUC", date(2026, 1, 31), ND),
        ("CONG_CHUC", date(2031, 6, 1), ND),
        ("CONG_CHUC", date(2018, 7, 1), HN),
        ("CAN_BO", date(2026, 1, 1), HN),
        ("VIEN_CHUC", date(2026, 3, 15), HN),
        ("LAO_DONG_HOP_DONG", date(2030, 1, 1), HN),
        ("VIEN_CHUC", date(2019, 1, 1), HN),
    ],
)
def test_shipped_versions(group, month, code):
    assert framework_version_for(subject_group=group, month=month).code == code


def test_the_switch_from_december_2025_to_january_2026():
    december = framework_version_for(subject_group="CONG_CHUC", month=date(2025, 12, 1))
    january = framework_version_for(subject_group="CONG_CHUC", month=date(2026, 1, 1))
    assert (december.code, january.code) == (HN, ND)
    assert [g.code for g in december.spec.groups] == ["KL", "NV", "TH"]
    assert [g.code for g in january.spec.groups] == ["CC", "KQ"]
    assert framework_version_for(subject_group="VIEN_CHUC", month=date(2026, 1, 1)).code == HN


@pytest.mark.parametrize(("group", "month"), [("CONG_CHUC", date(2018, 6, 1)), ("ROBOT", date(2026, 1, 1))])
def test_no_version_applies(group, month):
    with pytest.raises(NoFrameworkVersion) as caught:
        framework_version_for(subject_group=group, month=month)
    assert caught.value.subject_group == group
    assert group in str(caught.value) and f"{month:%m/%Y}" in str(caught.value)


def _version(code: str, *, effective_from: date, applies_to: list[str], status: str = "published", published_at=None):
    source = FrameworkVersion.objects.get(code=HN)
    return FrameworkVersion.objects.create(
        code=code,
        name_vi=code,
        effective_from=effective_from,
        applies_to=applies_to,
        status=status,
        definition={**source.definition, "code": code},
        published_at=published_at or (timezone.now() if status != "draft" else None),
    )


def test_drafts_and_retired_versions_are_never_selected():
    _version("DRAFT-2027", effective_from=date(2027, 1, 1), applies_to=["VIEN_CHUC"], status="draft")
    _version("OLD-2027", effective_from=date(2027, 1, 1), applies_to=["VIEN_CHUC"], status="retired")
    assert framework_version_for(subject_group="VIEN_CHUC", month=date(2027, 2, 1)).code == HN


def test_a_later_version_takes_over_only_for_its_groups_and_from_its_month():
    _version("HN-3814-2027", effective_from=date(2027, 1, 1), applies_to=["VIEN_CHUC", "CAN_BO"])
    assert framework_version_for(subject_group="VIEN_CHUC", month=date(2026, 12, 1)).code == HN
    assert framework_version_for(subject_group="VIEN_CHUC", month=date(2027, 1, 1)).code == "HN-3814-2027"
    assert framework_version_for(subject_group="CAN_BO", month=date(2027, 5, 1)).code == "HN-3814-2027"
    assert framework_version_for(subject_group="CONG_CHUC", month=date(2027, 5, 1)).code == ND


def test_a_mid_month_start_applies_from_the_next_month():
    _version("MID-2027", effective_from=date(2027, 1, 15), applies_to=["VIEN_CHUC"])
    assert framework_version_for(subject_group="VIEN_CHUC", month=date(2027, 1, 20)).code == HN
    assert framework_version_for(subject_group="VIEN_CHUC", month=date(2027, 2, 1)).code == "MID-2027"


def test_same_start_goes_to_the_one_published_last():
    now = timezone.now()
    _version("FIRST-2027", effective_from=date(2027, 1, 1), applies_to=["VIEN_CHUC"], published_at=now)
    _version("LATER-2027", effective_from=date(2027, 1, 1), applies_to=["VIEN_CHUC"], published_at=now + timedelta(1))
    _version("EARLY-2027", effective_from=date(2027, 1, 1), applies_to=["VIEN_CHUC"], published_at=now - timedelta(1))
    assert framework_version_for(subject_group="VIEN_CHUC", month=date(2027, 1, 1)).code == "LATER-2027"


@pytest.mark.parametrize(
    ("kind", "is_leader", "variant"),
    [
        ("HEAD", True, "LEADER"),
        ("DEPUTY", True, "LEADER"),
        ("DEPUTY", False, "LEADER"),
        ("STAFF", False, "STAFF"),
        ("STAFF", True, "LEADER"),
    ],
)
def test_variant_for_position(kind, is_leader, variant):
    assert variant_for(position=Position(code="P", title="Chức vụ", kind=kind, is_leader=is_leader)) == variant


def test_variant_for_the_personas_positions(org):
    assert variant_for(position=org.people["giamdoc"].assignments.get().position) == "LEADER"
    assert variant_for(position=org.people["phogiamdoc"].assignments.get().position) == "LEADER"
    assert variant_for(position=org.people["nhanvien"].assignments.get().position) == "STAFF"
