"""The organisation as it was: a transfer, a merge, the 1/7/2025 reform."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.exceptions import ValidationError

from orgchart import access, selectors, services
from orgchart.models import AuditEvent, OrgUnit
from tests.factories import assign, make_person, make_unit, position

REFORM = date(2025, 7, 1)
LAST_DAY = date(2025, 6, 30)


@pytest.fixture
def reform(db):
    city = make_unit("HN", kind="CITY")
    district = make_unit("Q-HK", parent=city, kind="DISTRICT", name="Quận Hoàn Kiếm", valid_to=LAST_DAY)
    old_a = make_unit("P-HANGBAC", parent=district, kind="COMMUNE", name="Phường Hàng Bạc", valid_to=LAST_DAY)
    old_b = make_unit("P-HANGBUOM", parent=district, kind="COMMUNE", name="Phường Hàng Buồm", valid_to=LAST_DAY)
    new = make_unit("P-HOANKIEM", parent=city, kind="COMMUNE", name="Phường Hoàn Kiếm", valid_from=REFORM)
    for old in (old_a, old_b):
        services.unit_succession_add(predecessor=old, successor=new, kind="MERGE", effective_on=REFORM, actor=None)
    chairman = make_person("Phan Văn Chủ Tịch")
    services.assignment_create(
        person=chairman,
        unit=old_a,
        position=position("HEAD"),
        valid_from=date(2021, 1, 1),
        valid_to=LAST_DAY,
        actor=None,
    )
    services.person_transfer(person=chairman, unit=new, position=position("HEAD"), on=REFORM, actor=None)
    return {"city": city, "district": district, "old_a": old_a, "old_b": old_b, "new": new, "chairman": chairman}


def test_tree_before_and_after_the_reform(reform):
    city = reform["city"]
    before = {u.code for u in selectors.unit_children(unit=city, as_of=LAST_DAY)}
    after = {u.code for u in selectors.unit_children(unit=city, as_of=REFORM)}
    assert before == {"Q-HK"}
    assert after == {"P-HOANKIEM"}
    assert {u.code for u in selectors.unit_children(unit=reform["district"], as_of=date(2024, 5, 1))} == {
        "P-HANGBAC",
        "P-HANGBUOM",
    }


def test_merge_keeps_lineage_both_ways(reform):
    lineage = selectors.unit_lineage(unit=reform["new"])
    assert {s.predecessor.code for s in lineage["predecessors"]} == {"P-HANGBAC", "P-HANGBUOM"}
    assert [s.successor.code for s in selectors.unit_lineage(unit=reform["old_a"])["successors"]] == ["P-HOANKIEM"]


def test_transfer_keeps_history_and_the_primary_assignment_per_date(reform):
    chairman = reform["chairman"]
    assert access.primary_assignment(chairman, date(2024, 3, 1)).unit.code == "P-HANGBAC"
    assert access.primary_assignment(chairman, REFORM).unit.code == "P-HOANKIEM"
    assert [a.unit.code for a in selectors.person_assignments(person=chairman)] == ["P-HOANKIEM", "P-HANGBAC"]


def test_the_old_head_decides_nothing_after_the_reform(reform):
    staff = make_person("Lê Thị Cán Bộ")
    assign(staff, reform["old_b"], valid_from=date(2022, 1, 1), valid_to=LAST_DAY)
    services.person_transfer(person=staff, unit=reform["new"], position=position("STAFF"), on=REFORM, actor=None)
    assert access.evaluation_chain(staff, date(2026, 1, 15)).decider == reform["chairman"]
    # Before the reform, Hàng Buồm had no head and its district none either: nobody decides.
    assert access.evaluation_chain(staff, date(2024, 1, 15)).unit.code == "P-HANGBUOM"


def test_overlapping_primary_assignment_is_refused_with_a_clear_message(reform):
    person = make_person("Trịnh Văn Trùng")
    assign(person, reform["new"], valid_from=date(2025, 8, 1))
    with pytest.raises(ValidationError) as exc:
        assign(person, reform["new"], kind="DEPUTY", valid_from=date(2025, 9, 1))
    assert "Trịnh Văn Trùng" in str(exc.value) and "P-HOANKIEM" in str(exc.value)
    # A concurrent post (kiêm nhiệm) is allowed.
    assign(person, reform["city"], kind="DEPUTY", valid_from=date(2025, 9, 1), primary=False)


def test_assignment_in_a_unit_that_did_not_exist_is_refused(reform):
    with pytest.raises(ValidationError):
        assign(make_person(), reform["new"], valid_from=date(2024, 1, 1))


def test_end_before_start_is_refused(db):
    with pytest.raises(ValidationError):
        make_unit("X", kind="CITY", valid_from=date(2025, 1, 1), valid_to=date(2024, 1, 1))


def test_every_change_is_audited_on_unit_and_person(reform):
    chairman = reform["chairman"]
    unit_actions = set(AuditEvent.objects.filter(unit=reform["new"]).values_list("action", flat=True))
    assert {"unit.create", "unit.succession", "assignment.create"} <= unit_actions
    assert (
        list(AuditEvent.objects.filter(person=chairman).values_list("action", flat=True)).count("assignment.create")
        == 2
    )
    mover = make_person("Tạ Văn Chuyển")
    assign(mover, reform["city"], valid_from=date(2020, 1, 1))
    services.person_transfer(
        person=mover, unit=reform["new"], position=position("STAFF"), on=date(2026, 3, 1), actor=None
    )
    events = AuditEvent.objects.filter(person=mover)
    assert list(events.values_list("action", flat=True))[:2] == ["assignment.create", "assignment.end"]
    assert "01/03/2026" in events[0].summary and "28/02/2026" in events[1].summary


def test_names_are_stored_nfc(db):
    decomposed = "Nguye\u0302\u0303n Va\u0306n A"  # "Nguyễn Văn A" typed with combining marks
    person = make_person(decomposed)
    assert person.full_name == "Nguyễn Văn A"
    unit = make_unit("NFC", kind="CITY", name="So\u031b\u0309 Ta\u0300i chi\u0301nh")
    assert OrgUnit.objects.get(pk=unit.pk).name == "Sở Tài chính"
