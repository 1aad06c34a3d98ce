"""Reads of the org chart that have rules in them; each costs a fixed number of queries."""

from __future__ import annotations

from datetime import date

from django.db.models import Case, IntegerField, Q, QuerySet, Value, When

from orgchart import access
from orgchart.models import (
    Assignment,
    AuditEvent,
    OrgUnit,
    Person,
    PositionKind,
    SectorLink,
    UnitSuccession,
    search_key,
    valid_on_q,
)

POSITION_ORDER = Case(
    When(position__kind=PositionKind.HEAD, then=Value(0)),
    When(position__kind=PositionKind.DEPUTY, then=Value(1)),
    default=Value(2),
    output_field=IntegerField(),
)


def visible_roots(*, user, as_of: date) -> list[OrgUnit]:
    """The topmost units the user may see that exist on `as_of` (a forest, ordered by path)."""
    visible = access.units_visible_to(user).filter(valid_on_q(as_of)).order_by("path")
    roots: list[OrgUnit] = []
    # Materialised paths sort parents before children: keep those not under a kept root.
    for unit in visible.only("id", "path", "depth", "code", "name", "kind", "numchild", "valid_from", "valid_to"):
        if not any(unit.path.startswith(r.path) for r in roots):
            roots.append(unit)
    return roots


def unit_children(*, unit: OrgUnit, as_of: date) -> QuerySet[OrgUnit]:
    return OrgUnit.objects.get_children(unit).filter(valid_on_q(as_of)).order_by("kind", "name")


def unit_ancestors(*, unit: OrgUnit) -> QuerySet[OrgUnit]:
    return OrgUnit.objects.filter(path__in=access.ancestor_paths(unit.path)[:-1]).order_by("depth")


def unit_members(*, unit: OrgUnit, as_of: date) -> QuerySet[Assignment]:
    """Assignments in the unit on `as_of`, heads first, then deputies, then staff by name."""
    return (
        Assignment.objects.filter(valid_on_q(as_of), unit=unit)
        .select_related("person", "position")
        .annotate(position_rank=POSITION_ORDER)
        .order_by("position_rank", "person__full_name", "person__employee_code")
    )


def unit_lineage(*, unit: OrgUnit) -> dict[str, list[UnitSuccession]]:
    return {
        "predecessors": list(UnitSuccession.objects.filter(successor=unit).select_related("predecessor")),
        "successors": list(UnitSuccession.objects.filter(predecessor=unit).select_related("successor")),
    }


def unit_sector_links(*, unit: OrgUnit, as_of: date) -> QuerySet[SectorLink]:
    return (
        SectorLink.objects.filter(valid_on_q(as_of))
        .filter(Q(department=unit) | Q(office=unit))
        .select_related("department", "office")
    )


def unit_history(*, unit: OrgUnit, limit: int = 100) -> QuerySet[AuditEvent]:
    return AuditEvent.objects.filter(unit=unit).select_related("actor")[:limit]


def person_assignments(*, person: Person) -> QuerySet[Assignment]:
    return person.assignments.select_related("unit", "position").order_by("-valid_from", "-is_primary")


def person_history(*, person: Person, limit: int = 100) -> QuerySet[AuditEvent]:
    return AuditEvent.objects.filter(person=person).select_related("actor")[:limit]


def unit_grants(*, unit: OrgUnit):
    return unit.user_grants.select_related("user", "permission", "on_behalf_of", "granted_by").order_by(
        "permission__codename", "user__username"
    )


def people_search(*, user, query: str, limit: int = 50) -> QuerySet[Person]:
    """People the user may see whose name holds every word typed (with or without tone marks, in any
    order: "an nguyen" finds "Nguyễn Văn An"), or whose employee code is the query."""
    qs = access.people_visible_to(user)
    query = query.strip()
    if query:
        words = Q()
        for word in search_key(query).split():
            words &= Q(search_name__contains=word)
        qs = qs.filter(words | Q(employee_code__iexact=query))
    return qs.order_by("full_name")[:limit]
