"""`manage.py seed_demo`: the demo org chart, its reform history and the demo accounts."""

from __future__ import annotations

import unicodedata
from collections import Counter
from datetime import date
from io import StringIO

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command

from orgchart import access
from orgchart.demo import DEMO_ACCOUNTS, build_demo
from orgchart.models import (
    Assignment,
    AuditEvent,
    OrgUnit,
    Person,
    SectorLink,
    UnitSuccession,
    UnitUserObjectPermission,
    valid_on_q,
)

ON = date(2026, 10, 15)
LAST_DAY = date(2025, 6, 30)
REFORM = date(2025, 7, 1)


def seed(*args: str) -> str:
    out = StringIO()
    call_command("seed_demo", "--size", "small", *args, stdout=out)
    return out.getvalue()


def person_of(username: str) -> Person:
    return Person.objects.get(user__username=username)


def counts() -> dict[str, int]:
    return {
        "units": OrgUnit.objects.count(),
        "successions": UnitSuccession.objects.count(),
        "people": Person.objects.count(),
        "assignments": Assignment.objects.count(),
        "sector_links": SectorLink.objects.count(),
        "grants": UnitUserObjectPermission.objects.count(),
        "users": get_user_model().objects.count(),
    }


@pytest.fixture
def seeded(db) -> str:
    return seed()


@pytest.mark.django_db
def test_every_demo_account_logs_in_at_its_unit_and_position(seeded):
    for account in DEMO_ACCOUNTS:
        user = get_user_model().objects.get(username=account.username)
        assert user.is_active and user.check_password(settings.DEMO_PASSWORD), account.username
        if not account.unit_code:
            continue
        primary = access.primary_assignment(person_of(account.username), ON)
        assert (primary.unit.code, primary.position.code) == (account.unit_code, account.position_code)
        assert primary.valid_to is None
        assert account.username in seeded  # the logins table
    admin = get_user_model().objects.get(username="admin")
    assert admin.is_superuser and admin.is_staff
    # Nobody else can log in: people have no account, or one without a usable password.
    others = get_user_model().objects.exclude(username__in=[a.username for a in DEMO_ACCOUNTS])
    assert not any(u.has_usable_password() for u in others)


@pytest.mark.django_db
def test_demo_people_have_the_expected_groups_and_history(seeded):
    assert person_of("demo.nhanvien").subject_group == "CONG_CHUC"
    assert person_of("demo.ngoai").subject_group == "CONG_CHUC"
    assert person_of("demo.giaovien").subject_group == "VIEN_CHUC"
    assert person_of("demo.chutich").subject_group == "CAN_BO"
    for username in ("demo.hr", "demo.giamdoc", "demo.truongphong", "demo.nhanvien", "demo.hieutruong",
                     "demo.giaovien", "demo.ngoai"):  # fmt: skip
        assert access.primary_assignment(person_of(username), date(2024, 1, 1)) is not None, username
    chairman = person_of("demo.chutich")
    before = access.primary_assignment(chairman, date(2024, 1, 1))
    after = access.primary_assignment(chairman, REFORM)
    assert before.unit.kind == "COMMUNE" and before.valid_to == LAST_DAY and before.position.code == "CT-UBND-XA"
    assert after.unit.code == "P-BADINH" and after.position.quarterly_rated
    # Everyone's name is stored NFC.
    names = Person.objects.values_list("full_name", flat=True)
    assert all(unicodedata.normalize("NFC", n) == n for n in names)


@pytest.mark.django_db
def test_every_current_unit_has_a_head_and_every_person_a_primary_assignment(seeded):
    current = Assignment.objects.valid_on(ON)
    headed = set(current.filter(position__kind="HEAD").values_list("unit__code", flat=True))
    units = set(OrgUnit.objects.filter(valid_on_q(ON)).values_list("code", flat=True))
    assert units - headed == set()
    heads = Counter(current.filter(position__kind="HEAD", is_primary=True).values_list("unit__code", flat=True))
    assert max(heads.values()) == 1
    # Everybody but the few who retired at the reform still works somewhere.
    working = current.filter(is_primary=True).values("person").distinct().count()
    assert Person.objects.count() - 10 <= working < Person.objects.count()


@pytest.mark.django_db
def test_seeding_twice_changes_nothing(seeded):
    first = counts()
    seed()
    assert counts() == first


@pytest.mark.django_db
def test_if_empty_skips_a_populated_database(seeded):
    before, events = counts(), AuditEvent.objects.count()
    out = seed("--if-empty")
    assert "did nothing" in out
    assert counts() == before and AuditEvent.objects.count() == events


@pytest.mark.django_db
def test_old_communes_close_on_30_6_2025_and_merge_into_the_new_ones(seeded):
    old = OrgUnit.objects.filter(kind="COMMUNE", valid_to=LAST_DAY)
    new = OrgUnit.objects.filter(kind="COMMUNE", valid_from=REFORM, valid_to__isnull=True)
    assert old.count() == 6 and new.count() == 3
    assert not OrgUnit.objects.filter(kind="DISTRICT").valid_on(REFORM).exists()
    city = OrgUnit.objects.get(code="HN")
    assert all(c.depth == 2 and c.path.startswith(city.path) for c in new)
    merges = UnitSuccession.objects.filter(kind="MERGE", effective_on=REFORM)
    assert {s.predecessor.code for s in merges.filter(predecessor__kind="COMMUNE")} == {c.code for c in old}
    assert {s.successor.code for s in merges} == {c.code for c in new}
    assert merges.filter(predecessor__kind="DISTRICT").count() == 3
    # Sector links follow the reform: STC supervises Phòng Tài chính – Kế hoạch, then Phòng Kinh tế.
    links = SectorLink.objects.filter(department__code="STC")
    assert {link.office.code for link in links.valid_on(LAST_DAY)} == {"Q-BADINH-TCKH", "H-DONGANH-TCKH"}
    assert {link.office.code for link in links.valid_on(REFORM)} == {f"{c.code}-KT" for c in new}
    # Pre-reform staff moved: each new commune has a chairman and people with a history.
    for commune in new:
        assert access.heads_of(commune, ON)
    moved = Assignment.objects.filter(valid_from=REFORM, person__assignments__valid_to=LAST_DAY)
    assert moved.values("person").distinct().count() > 50


@pytest.mark.django_db
def test_mid_2026_transfer_between_departments(seeded):
    new = Assignment.objects.get(unit__code="STC-NS", valid_from=date(2026, 7, 1))
    old = access.primary_assignment(new.person, date(2026, 6, 30))
    assert old.unit.code.startswith("SNV-") and old.valid_to == date(2026, 6, 30)


@pytest.mark.django_db
def test_demo_hr_is_hr_officer_of_the_city(seeded):
    user = get_user_model().objects.get(username="demo.hr")
    grant = UnitUserObjectPermission.objects.get(user=user, permission__codename="hr_officer")
    assert grant.content_object.code == "HN" and grant.valid_from == date(2018, 1, 1) and grant.reason
    assert access.can_import(user, ON)
    assert access.units_visible_to(user, ON).count() == OrgUnit.objects.count()


@pytest.mark.django_db
def test_evaluation_chains_and_visibility_follow_the_org_chart(seeded):
    chain = access.evaluation_chain(person_of("demo.nhanvien"), ON)
    assert chain.manager == person_of("demo.truongphong")
    assert chain.decider == person_of("demo.giamdoc")
    city_chairman = Person.objects.get(assignments__position__code="CT-UBND-TP")
    assert access.evaluation_chain(person_of("demo.giamdoc"), ON).decider == city_chairman
    assert access.evaluation_chain(person_of("demo.chutich"), ON).decider == city_chairman
    assert access.evaluation_chain(person_of("demo.giaovien"), ON).decider == person_of("demo.hieutruong")

    outsider = get_user_model().objects.get(username="demo.ngoai")
    visible = set(access.units_visible_to(outsider, ON).values_list("code", flat=True))
    assert visible == {"SYT-NVY"}
    assert not access.people_visible_to(outsider, ON).filter(pk=person_of("demo.nhanvien").pk).exists()

    director = get_user_model().objects.get(username="demo.giamdoc")
    assert access.units_visible_to(director, ON).filter(code="STC-TH").exists()
    assert not access.units_visible_to(director, ON).filter(code="THCS-DEMO").exists()


def test_generation_is_deterministic_and_hanoi_has_the_published_scale():
    assert build_demo("small").assignments == build_demo("small").assignments
    data = build_demo("hanoi")
    units = Counter((u[3], u[5] == REFORM) for u in data.units)
    assert units[("DISTRICT", False)] == 30
    assert units[("COMMUNE", False)] == 526
    assert units[("COMMUNE", True)] == 126
    assert sum(1 for u in data.units if u[3] == "COMMUNE" and u[5] == REFORM and u[1].startswith("Phường")) == 51
    assert units[("DEPARTMENT", False)] == 15
    assert 140_000 <= len(data.people) <= 160_000
    contract = sum(1 for p in data.people if p[2] == "LAO_DONG_HOP_DONG") / len(data.people)
    assert 0.10 <= contract <= 0.16
