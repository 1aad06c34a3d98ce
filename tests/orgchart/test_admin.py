"""The Django admin for master data records every change and keeps the org chart's rules."""

from __future__ import annotations

from datetime import date

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from orgchart.models import Assignment, AuditEvent, OrgUnit
from tests.factories import position


@pytest.fixture
def admin_client(client, db):
    user = get_user_model().objects.create_superuser(username="root", password="pw-root")
    client.force_login(user)
    return client


def test_a_person_changed_in_the_admin_is_recorded(org, admin_client):
    person = org.people["nhanvien"]
    url = reverse("admin:orgchart_person_change", args=[person.pk])
    data = {
        "employee_code": person.employee_code,
        "full_name": "Nguyễn Thị Nhân Viên Mới",
        "subject_group": person.subject_group,
        "similar_task_group": "Tổng hợp",
        "user": person.user_id,
    }
    response = admin_client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    event = AuditEvent.objects.get(action="admin.person.change", object_id=str(person.pk))
    assert event.person == person and event.actor.username == "root"
    assert event.changes["full_name"] == ["Nguyễn Thị Nhân Viên", "Nguyễn Thị Nhân Viên Mới"]


def test_an_overlapping_primary_assignment_is_refused_in_the_admin(org, admin_client):
    person = org.people["nhanvien"]
    before = Assignment.objects.count()
    response = admin_client.post(
        reverse("admin:orgchart_assignment_add"),
        {
            "person": person.pk,
            "unit": org.stc_kh.pk,
            "position": position("STAFF").pk,
            "valid_from": "01/03/2025",
            "is_primary": "on",
        },
    )
    assert response.status_code == 200
    assert "STC-TH" in response.content.decode()  # the message names the overlapping assignment
    assert Assignment.objects.count() == before
    assert not AuditEvent.objects.filter(action="admin.assignment.add").exists()


def test_a_concurrent_post_added_in_the_admin_is_recorded(org, admin_client):
    person = org.people["nhanvien"]
    response = admin_client.post(
        reverse("admin:orgchart_assignment_add"),
        {"person": person.pk, "unit": org.stc_kh.pk, "position": position("STAFF").pk, "valid_from": "01/03/2025"},
    )
    assert response.status_code == 302
    added = Assignment.objects.get(person=person, unit=org.stc_kh)
    assert (added.is_primary, added.valid_from) == (False, date(2025, 3, 1))
    event = AuditEvent.objects.get(action="admin.assignment.add")
    assert (event.unit, event.person) == (org.stc_kh, person)


def test_units_are_not_moved_in_the_admin(org, admin_client):
    response = admin_client.post(
        reverse("admin:orgchart_orgunit_change", args=[org.stc_th.pk]),
        {
            "code": "STC-TH",
            "name": org.stc_th.name,
            "short_name": org.stc_th.short_name,
            "kind": org.stc_th.kind,
            "valid_from": org.stc_th.valid_from.strftime("%d/%m/%Y"),
            "treebeard_position": "sorted-child" if OrgUnit.node_order_by else "first-child",
            "treebeard_ref_node": org.syt.pk,
        },
    )
    org.stc_th.refresh_from_db()
    assert response.status_code == 200
    assert "successor" in response.content.decode() or "kế thừa" in response.content.decode()
    assert OrgUnit.objects.get_parent(org.stc_th) == org.stc
