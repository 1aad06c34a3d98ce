"""Personas: a small city with two departments, each persona a real user in a real chain."""

from __future__ import annotations

import importlib
from dataclasses import dataclass

import pytest
from django.contrib.auth import get_user_model

from orgchart import services
from orgchart.models import OrgUnit, Person
from tests.factories import LONG_AGO, assign, make_person, make_unit


@dataclass
class Org:
    city: OrgUnit
    stc: OrgUnit
    stc_th: OrgUnit
    stc_kh: OrgUnit
    syt: OrgUnit
    snv: OrgUnit
    people: dict[str, Person]

    def user(self, persona: str):
        if persona == "outsider_nobody":
            return get_user_model().objects.get(username="nobody")
        return self.people[persona].user


@pytest.fixture
def org(db) -> Org:
    city = make_unit("HN", kind="CITY", name="Thành phố Hà Nội")
    stc = make_unit("STC", parent=city, kind="DEPARTMENT", name="Sở Tài chính")
    stc_th = make_unit("STC-TH", parent=stc, name="Phòng Tổng hợp")
    stc_kh = make_unit("STC-KH", parent=stc, name="Phòng Kế hoạch")
    syt = make_unit("SYT", parent=city, kind="DEPARTMENT", name="Sở Y tế")
    snv = make_unit("SNV", parent=city, kind="DEPARTMENT", name="Sở Nội vụ")
    people = {}

    def person(key, unit, kind="STAFF", name=None):
        p = make_person(name, username=key)
        assign(p, unit, kind)
        people[key] = p
        return p

    person("chutich", city, "HEAD", "Trần Chủ Tịch")
    person("giamdoc", stc, "HEAD", "Lê Giám Đốc")
    person("phogiamdoc", stc, "DEPUTY", "Phạm Phó Giám Đốc")
    person("truongphong", stc_th, "HEAD", "Hoàng Trưởng Phòng")
    person("nhanvien", stc_th, "STAFF", "Nguyễn Thị Nhân Viên")
    person("nhanvien2", stc_th, "STAFF", "Vũ Văn Hai")
    person("truongphong_kh", stc_kh, "HEAD", "Đặng Trưởng Phòng KH")
    person("nhanvien_kh", stc_kh, "STAFF", "Bùi Văn Kế")
    person("giamdoc_syt", syt, "HEAD", "Đỗ Giám Đốc Y Tế")
    person("ngoai", syt, "STAFF", "Hồ Văn Ngoài")
    person("hr", snv, "STAFF", "Ngô Thị Nhân Sự")
    person("auditor", snv, "STAFF", "Dương Kiểm Toán")
    services.grant_create(
        user=people["hr"].user,
        unit=city,
        role="hr_officer",
        valid_from=LONG_AGO,
        reason="Cán bộ tổ chức Thành phố",
        actor=None,
    )
    services.grant_create(
        user=people["auditor"].user,
        unit=stc,
        role="auditor",
        valid_from=LONG_AGO,
        reason="Kiểm tra công vụ",
        actor=None,
    )
    get_user_model().objects.create_user(username="nobody", password="pw-nobody")
    return Org(city=city, stc=stc, stc_th=stc_th, stc_kh=stc_kh, syt=syt, snv=snv, people=people)


@pytest.fixture
def login(client):
    def _login(user):
        client.force_login(user)
        return client

    return _login


@pytest.fixture(autouse=True)
def _database_invariants(request):
    """What migrations put in the database, kept in place for every database test.

    A transactional test ends with a flush: it empties the reference frameworks (loaded again here)
    and, on SQLite, runs as DELETE, which the immutability triggers of evaluation/triggers.py would
    refuse, so they are dropped just before it and put back at the start of the next test.
    """
    marker = request.node.get_closest_marker("django_db")
    names = request.fixturenames
    transactional = bool(
        {"transactional_db", "live_server"} & set(names) or (marker and marker.kwargs.get("transaction"))
    )
    if not (transactional or "db" in names or marker):
        yield
        return
    from django.apps import apps
    from django.db import connection

    from evaluation import triggers

    request.getfixturevalue("transactional_db" if transactional else "db")
    triggers.install(connection)
    reference = importlib.import_module("kpi.migrations.0002_reference_frameworks")
    reference.load_reference_frameworks(apps, None)
    yield
    if transactional:
        triggers.uninstall(connection)
