"""API v1 endpoints of the org chart: who am I, a unit, a person (same selectors as the pages)."""

from __future__ import annotations

from datetime import date

from ninja import Router, Schema

from orgchart import access, selectors

router = Router(tags=["orgchart"])


class MeOut(Schema):
    username: str
    full_name: str | None
    person_id: int | None
    primary_unit_code: str | None
    roles: list[str]


class UnitRef(Schema):
    code: str
    name: str


class MemberOut(Schema):
    person_id: int
    full_name: str
    position: str
    position_kind: str
    is_primary: bool


class UnitOut(Schema):
    code: str
    name: str
    short_name: str
    kind: str
    valid_from: date
    valid_to: date | None
    parent: UnitRef | None
    children: list[UnitRef]
    members: list[MemberOut]
    predecessors: list[str]
    successors: list[str]


class AssignmentOut(Schema):
    unit: UnitRef
    position: str
    position_kind: str
    valid_from: date
    valid_to: date | None
    is_primary: bool


class PersonOut(Schema):
    id: int
    employee_code: str
    full_name: str
    subject_group: str
    similar_task_group: str
    assignments: list[AssignmentOut]


def _ref(unit) -> dict:
    return {"code": unit.code, "name": unit.name}


@router.get("/me", response=MeOut)
def me(request):
    scope = access.user_scope(request.user)
    person = access.person_for_user(request.user)
    assignment = access.primary_assignment(person, scope.on) if person else None
    return {
        "username": request.user.get_username(),
        "full_name": person.full_name if person else None,
        "person_id": person.pk if person else None,
        "primary_unit_code": assignment.unit.code if assignment else None,
        "roles": scope.roles,
    }


@router.get("/units/{code}", response=UnitOut)
def unit_detail(request, code: str, as_of: date | None = None):
    unit = access.get_unit_or_404(request.user, code)
    as_of = as_of or access.today()
    scope = access.user_scope(request.user)
    parent = next(iter(selectors.unit_ancestors(unit=unit).reverse()), None)
    children = selectors.unit_children(unit=unit, as_of=as_of) if scope.covers(unit.path, scope.view_paths) else []
    lineage = selectors.unit_lineage(unit=unit)
    return {
        "code": unit.code,
        "name": unit.name,
        "short_name": unit.short_name,
        "kind": unit.kind,
        "valid_from": unit.valid_from,
        "valid_to": unit.valid_to,
        "parent": _ref(parent) if parent and access.can_view_unit(request.user, parent) else None,
        "children": [_ref(c) for c in children],
        "members": [
            {
                "person_id": a.person_id,
                "full_name": a.person.full_name,
                "position": a.position.title,
                "position_kind": a.position.kind,
                "is_primary": a.is_primary,
            }
            for a in selectors.unit_members(unit=unit, as_of=as_of)
        ],
        "predecessors": [s.predecessor.code for s in lineage["predecessors"]],
        "successors": [s.successor.code for s in lineage["successors"]],
    }


@router.get("/people/{person_id}", response=PersonOut)
def person_detail(request, person_id: int):
    person = access.get_person_or_404(request.user, person_id)
    return {
        "id": person.pk,
        "employee_code": person.employee_code,
        "full_name": person.full_name,
        "subject_group": person.subject_group,
        "similar_task_group": person.similar_task_group,
        "assignments": [
            {
                "unit": _ref(a.unit),
                "position": a.position.title,
                "position_kind": a.position.kind,
                "valid_from": a.valid_from,
                "valid_to": a.valid_to,
                "is_primary": a.is_primary,
            }
            for a in selectors.person_assignments(person=person)
            if access.can_view_unit(request.user, a.unit)  # a post elsewhere is not the caller's to see
        ],
    }
