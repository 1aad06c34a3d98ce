"""Factories that keep org-chart chains consistent: everything goes through the services."""

from __future__ import annotations

import itertools
from datetime import date

from django.contrib.auth import get_user_model

from orgchart import services
from orgchart.models import OrgUnit, Person, Position

_seq = itertools.count(1)
LONG_AGO = date(2018, 1, 1)


def make_unit(
    code: str,
    *,
    parent: OrgUnit | None = None,
    kind: str = "DIVISION",
    name: str | None = None,
    valid_from: date = LONG_AGO,
    valid_to: date | None = None,
) -> OrgUnit:
    return services.unit_create(
        code=code,
        name=name or f"Đơn vị {code}",
        kind=kind,
        parent=parent,
        valid_from=valid_from,
        valid_to=valid_to,
        actor=None,
    )


POSITIONS = {
    "HEAD": ("TRUONG", "Trưởng đơn vị", "HEAD", True, False),
    "DEPUTY": ("PHO", "Phó đơn vị", "DEPUTY", True, False),
    "STAFF": ("CV", "Chuyên viên", "STAFF", False, False),
}


def position(kind: str = "STAFF", *, code: str | None = None, quarterly_rated: bool = False) -> Position:
    default_code, title, pkind, leader, _q = POSITIONS[kind]
    return services.position_upsert(
        code=code or default_code,
        title=title,
        kind=pkind,
        is_leader=leader,
        quarterly_rated=quarterly_rated,
        actor=None,
    )


def make_person(
    name: str | None = None, *, username: str | None = None, group: str = "CONG_CHUC", task_group: str = ""
) -> Person:
    n = next(_seq)
    user = None
    if username:
        user = get_user_model().objects.create_user(username=username, password="pw-" + username)
    return services.person_upsert(
        employee_code=f"NV{n:06d}",
        full_name=name or f"Nguyễn Văn {n}",
        subject_group=group,
        similar_task_group=task_group,
        user=user,
        actor=None,
    )


def assign(
    person: Person,
    unit: OrgUnit,
    kind: str = "STAFF",
    *,
    valid_from: date = LONG_AGO,
    valid_to: date | None = None,
    primary: bool = True,
):
    return services.assignment_create(
        person=person,
        unit=unit,
        position=position(kind),
        valid_from=valid_from,
        valid_to=valid_to,
        is_primary=primary,
        actor=None,
    )
