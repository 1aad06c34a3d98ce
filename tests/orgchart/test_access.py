"""The access rules as a matrix: every persona × every object kind × every action."""

from __future__ import annotations

from datetime import date

import pytest

from orgchart import access
from orgchart.models import OrgUnit
from tests.factories import assign, make_person

PERSONAS = [
    "chutich",
    "giamdoc",
    "phogiamdoc",
    "truongphong",
    "nhanvien",
    "truongphong_kh",
    "ngoai",
    "hr",
    "auditor",
    "outsider_nobody",
]

# unit code -> personas who may open it (view)
UNIT_VIEW = {
    "HN": {"chutich", "hr"},
    "STC": {"chutich", "giamdoc", "phogiamdoc", "hr", "auditor"},
    "STC-TH": {"chutich", "giamdoc", "phogiamdoc", "truongphong", "nhanvien", "hr", "auditor"},
    "STC-KH": {"chutich", "giamdoc", "phogiamdoc", "truongphong_kh", "hr", "auditor"},
    "SYT": {"chutich", "ngoai", "hr"},
}
# person key -> personas who may open the person page
PERSON_VIEW = {
    "nhanvien": {"chutich", "giamdoc", "phogiamdoc", "truongphong", "nhanvien", "hr", "auditor"},
    "truongphong": {"chutich", "giamdoc", "phogiamdoc", "truongphong", "nhanvien", "hr", "auditor"},
    "giamdoc": {"chutich", "giamdoc", "phogiamdoc", "hr", "auditor"},
    "ngoai": {"chutich", "ngoai", "hr"},
}
# person key -> who reviews (direct manager) and who decides
REVIEW = {
    "nhanvien": {"truongphong"},
    "truongphong": set(),  # division heads go straight to the head of the agency
    "phogiamdoc": set(),
    "giamdoc": set(),
    "ngoai": {"giamdoc_syt"},  # manager is also the decider (review step skipped)
}
DECIDE = {
    "nhanvien": {"giamdoc"},
    "truongphong": {"giamdoc"},
    "phogiamdoc": {"giamdoc"},
    "giamdoc": {"chutich"},
    "ngoai": {"giamdoc_syt"},
}
GRANTS = {"HN": {"hr"}, "STC": {"hr"}, "SYT": {"hr"}}


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("code", sorted(UNIT_VIEW))
def test_unit_view_matrix(org, client, persona, code):
    user = org.user(persona)
    unit = OrgUnit.objects.get(code=code)
    expected = persona in UNIT_VIEW[code]
    assert access.can_view_unit(user, unit) is expected
    assert (unit in access.units_visible_to(user)) is expected
    client.force_login(user)
    assert client.get(f"/org/units/{code}/").status_code == (200 if expected else 404)
    assert client.get(f"/api/v1/units/{code}").status_code == (200 if expected else 404)


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("key", sorted(PERSON_VIEW))
def test_person_view_matrix(org, client, persona, key):
    user, person = org.user(persona), org.people[key]
    expected = persona in PERSON_VIEW[key]
    assert access.can_view_person(user, person) is expected
    client.force_login(user)
    assert client.get(f"/org/people/{person.pk}/").status_code == (200 if expected else 404)
    assert client.get(f"/api/v1/people/{person.pk}").status_code == (200 if expected else 404)


@pytest.mark.parametrize("persona", PERSONAS + ["giamdoc_syt"])
@pytest.mark.parametrize("key", sorted(REVIEW))
def test_review_and_decide_matrix(org, persona, key):
    user = org.people[persona].user if persona in org.people else org.user(persona)
    person, on = org.people[key], date.today()
    assert access.can_review(user, person, on) is (persona in REVIEW[key])
    assert access.can_decide(user, person, on) is (persona in DECIDE[key])


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("code", sorted(GRANTS))
def test_grant_management_matrix(org, client, persona, code):
    user, unit = org.user(persona), OrgUnit.objects.get(code=code)
    expected = persona in GRANTS[code]
    assert access.can_manage_grants(user, unit) is expected
    client.force_login(user)
    status = client.get(f"/org/units/{code}/grants/").status_code
    assert status == (200 if expected else 404)


@pytest.mark.parametrize("persona", PERSONAS)
def test_import_is_for_city_hr_only(org, persona):
    assert access.can_import(org.user(persona)) is (persona == "hr")


def test_nobody_reviews_or_decides_own_form(org):
    for key, person in org.people.items():
        assert not access.can_review(person.user, person, date.today()), key
        assert not access.can_decide(person.user, person, date.today()), key


def test_lists_never_show_rows_the_viewer_cannot_open(org, client):
    for persona in PERSONAS:
        user = org.user(persona)
        client.force_login(user)
        for person in access.people_visible_to(user):
            assert client.get(f"/org/people/{person.pk}/").status_code == 200
        for unit in access.units_visible_to(user):
            assert client.get(f"/org/units/{unit.code}/").status_code == 200


def test_chain_for_staff_manager_and_head(org):
    on = date.today()
    chain = access.evaluation_chain(org.people["nhanvien"], on)
    assert chain.manager == org.people["truongphong"]
    assert chain.decider == org.people["giamdoc"]
    assert not chain.review_skipped
    head_chain = access.evaluation_chain(org.people["giamdoc"], on)
    assert head_chain.manager is None and head_chain.decider == org.people["chutich"]
    ngoai = access.evaluation_chain(org.people["ngoai"], on)
    assert ngoai.review_skipped and ngoai.decider == org.people["giamdoc_syt"]


def test_vacant_division_head_falls_back_to_agency_head(org):
    vacant = OrgUnit.objects.get(code="STC-KH")
    person = make_person("Lý Văn Trống")
    assign(person, vacant)
    org.people["truongphong_kh"].assignments.update(valid_to=date(2019, 1, 1))
    chain = access.evaluation_chain(person, date.today())
    assert chain.manager == org.people["giamdoc"] == chain.decider
    assert chain.review_skipped


def test_acting_head_grant_takes_the_heads_role_for_its_dates(org):
    from orgchart import services

    acting = org.people["phogiamdoc"]
    services.grant_create(
        user=acting.user,
        unit=org.stc,
        role=access.ACTING_HEAD,
        valid_from=date(2020, 1, 1),
        valid_to=date(2020, 12, 31),
        reason="Quyết định giao quyền",
        actor=None,
    )
    org.people["giamdoc"].assignments.update(valid_to=date(2019, 12, 31))
    assert access.evaluation_chain(org.people["truongphong"], date(2020, 6, 1)).decider == acting
    # Outside the grant's interval it does not apply.
    assert access.evaluation_chain(org.people["truongphong"], date(2021, 6, 1)).decider == org.people["chutich"]


def test_expired_grant_gives_nothing(org):
    from orgchart import services

    user = org.people["ngoai"].user
    services.grant_create(
        user=user,
        unit=org.stc,
        role=access.AUDITOR,
        valid_from=date(2019, 1, 1),
        valid_to=date(2019, 12, 31),
        reason="Đợt kiểm tra 2019",
        actor=None,
    )
    assert not access.can_view_unit(user, org.stc)
    assert access.can_view_unit(user, org.stc, date(2019, 6, 1))


def test_a_delegated_reviewer_stands_in_for_the_manager_only(org):
    """nhanvien2 reviews for the head of STC-TH: her colleague's form, never her boss's or her own."""
    from orgchart import services

    delegate = org.people["nhanvien2"]
    services.grant_create(
        user=delegate.user,
        unit=org.stc,
        role=access.DELEGATED_REVIEWER,
        valid_from=date(2025, 1, 1),
        valid_to=date(2025, 12, 31),
        reason="Giúp trưởng phòng rà soát phiếu",
        actor=None,
    )
    on = date(2025, 11, 28)
    assert access.can_review(delegate.user, org.people["nhanvien"], on)
    assert access.can_review(delegate.user, org.people["nhanvien_kh"], on)
    assert access.acting_for(delegate.user, org.people["nhanvien"], on, step="review") == org.people["truongphong"]
    for key in ("truongphong", "truongphong_kh", "phogiamdoc", "giamdoc"):  # decided directly: no review step
        assert not access.can_review(delegate.user, org.people[key], on), key
    assert not access.can_review(delegate.user, delegate, on)
    assert not access.can_decide(delegate.user, org.people["nhanvien"], on)
    # The grant is dated: a month outside it is not covered, whatever today is.
    assert not access.can_review(delegate.user, org.people["nhanvien"], date(2026, 1, 30))


def test_the_delegates_team_grid_lists_only_forms_with_a_review_step(org):
    from evaluation import page_selectors
    from evaluation import services as evaluation_services
    from orgchart import services

    delegate = org.people["nhanvien2"]
    services.grant_create(
        user=delegate.user,
        unit=org.stc,
        role=access.DELEGATED_REVIEWER,
        valid_from=date(2025, 1, 1),
        reason="Giúp rà soát phiếu",
        actor=None,
    )
    period, _created = evaluation_services.period_open(year=2025, month=11)
    names = {f.person.full_name for f in page_selectors.team_forms(user=delegate.user, period=period)}
    assert names == {"Nguyễn Thị Nhân Viên", "Bùi Văn Kế"}
