"""Who may see, review and decide what — the one place that answers it (and that calls guardian).

Roles are derived from the org chart as of a date:
- the head or a deputy of a unit manages its subtree (sees everyone in it);
- a person's direct manager is the head of their division, else the head of their agency;
- the decider is the head of the person's agency; an agency head is decided by the head of the
  next agency above. Nobody reviews or decides their own form.
Explicit grants (django-guardian rows on `OrgUnit`, with a date interval and a reason) add HR
officers, auditors, delegated reviewers and acting heads.

Views fetch every object through `get_unit_or_404` / `get_person_or_404`, so outsiders get 404.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from django.contrib.auth.models import Permission
from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from guardian.shortcuts import assign_perm, remove_perm

from orgchart.models import (
    Assignment,
    OrgUnit,
    Person,
    PositionKind,
    UnitKind,
    UnitUserObjectPermission,
    valid_on_q,
)

# Grant roles, as guardian permission codenames on OrgUnit.
HR_OFFICER = "hr_officer"
AUDITOR = "auditor"
DELEGATED_REVIEWER = "delegated_reviewer"
ACTING_HEAD = "acting_head"
GRANT_ROLES = {
    HR_OFFICER: _("HR officer"),
    AUDITOR: _("Auditor"),
    DELEGATED_REVIEWER: _("Delegated reviewer"),
    ACTING_HEAD: _("Acting head"),
}

# Derived roles, as shown by /api/v1/me and the home page.
ROLE_EMPLOYEE = "employee"
ROLE_MANAGER = "manager"
ROLE_HEAD = "head"
ROLE_ADMIN = "admin"

STEPLEN = OrgUnit.steplen


def today() -> date:
    return timezone.localdate()


def ancestor_paths(path: str) -> list[str]:
    """Paths of the unit and all its ancestors, root first (materialised-path arithmetic)."""
    return [path[:i] for i in range(STEPLEN, len(path) + 1, STEPLEN)]


def _subtree_q(paths, prefix: str = "") -> Q:
    q = Q(pk__in=[])
    for p in paths:
        q |= Q(**{f"{prefix}path__startswith": p})
    return q


# --- The org chart as of a date -------------------------------------------------------------


def person_for_user(user) -> Person | None:
    if not getattr(user, "is_authenticated", False):
        return None
    try:
        return user.person
    except Person.DoesNotExist:
        return None


def primary_assignment(person: Person, on: date) -> Assignment | None:
    return (
        Assignment.objects.filter(valid_on_q(on), person=person, is_primary=True)
        .select_related("unit", "position")
        .first()
    )


def agency_of(unit: OrgUnit) -> OrgUnit:
    """The nearest unit at or above `unit` whose head is a head of agency (thủ trưởng)."""
    if unit.is_agency:
        return unit
    chain = list(OrgUnit.objects.filter(path__in=ancestor_paths(unit.path)).order_by("-depth"))
    return next((u for u in chain if u.is_agency), chain[-1])


def heads_of(unit: OrgUnit, on: date) -> list[Person]:
    """Heads of `unit` on `on`: holders of a head position there, then acting heads by grant."""
    holders = Person.objects.filter(
        valid_on_q(on, "assignments__"),
        assignments__unit=unit,
        assignments__position__kind=PositionKind.HEAD,
    ).distinct()
    acting = Person.objects.filter(
        user__in=_grantees(unit=unit, role=ACTING_HEAD, on=on),
    )
    return list(holders) + [p for p in acting if p not in holders]


def _grantees(*, unit: OrgUnit, role: str, on: date):
    return UnitUserObjectPermission.objects.filter(
        valid_on_q(on), content_object=unit, permission__codename=role
    ).values("user")


@dataclass(frozen=True)
class EvaluationChain:
    """Who reviews and who decides a person's form for a date (DOMAIN.md section 2)."""

    person: Person
    unit: OrgUnit
    agency: OrgUnit
    position_kind: str
    manager: Person | None
    decider: Person | None
    decision_unit: OrgUnit | None  # the agency whose head decides (an acting head of it may too)

    @property
    def review_skipped(self) -> bool:
        """No separate review when there is no manager or the manager is also the decider."""
        return self.manager is None or (self.decider is not None and self.manager.pk == self.decider.pk)


def evaluation_chain(person: Person, on: date, *, memo: ChainMemo | None = None) -> EvaluationChain | None:
    """Who reviews and decides `person`'s form on `on`. Pass one `ChainMemo` for many people of the
    same date: the units' agencies and heads are then read once, not once a person."""
    memo = memo or ChainMemo(on)
    assignment = primary_assignment(person, on)
    if assignment is None:
        return None
    unit, kind = assignment.unit, assignment.position.kind
    agency = memo.agency_of(unit)
    if kind == PositionKind.HEAD and unit.pk == agency.pk:
        # The head of an agency is decided by the level above.
        decision_unit, decider = memo.first_head_above(agency, exclude=person)
        manager = None
    else:
        agency_heads = [h for h in memo.heads_of(agency) if h.pk != person.pk]
        if agency_heads:
            decision_unit, decider = agency, agency_heads[0]
        else:
            decision_unit, decider = memo.first_head_above(agency, exclude=person)
        if kind == PositionKind.HEAD or unit.pk == agency.pk:
            # Division heads and agency deputies/staff: the head of the agency decides directly.
            manager = None if kind != PositionKind.STAFF else decider
        else:
            division_heads = [h for h in memo.heads_of(unit) if h.pk != person.pk]
            manager = division_heads[0] if division_heads else decider
    return EvaluationChain(
        person=person,
        unit=unit,
        agency=agency,
        position_kind=kind,
        manager=manager,
        decider=decider,
        decision_unit=decision_unit,
    )


class ChainMemo:
    """`agency_of`, `heads_of` and the agencies above a unit, remembered for one date.

    For a batch (reminders, publishing a unit): the org chart must not change while it is used.
    """

    def __init__(self, on: date):
        self.on = on
        self._agency: dict[int, OrgUnit] = {}
        self._heads: dict[int, list[Person]] = {}
        self._above: dict[int, list[OrgUnit]] = {}

    def agency_of(self, unit: OrgUnit) -> OrgUnit:
        if unit.pk not in self._agency:
            self._agency[unit.pk] = agency_of(unit)
        return self._agency[unit.pk]

    def heads_of(self, unit: OrgUnit) -> list[Person]:
        if unit.pk not in self._heads:
            self._heads[unit.pk] = heads_of(unit, self.on)
        return self._heads[unit.pk]

    def first_head_above(self, unit: OrgUnit, *, exclude: Person) -> tuple[OrgUnit | None, Person | None]:
        """The nearest agency strictly above `unit` with a head other than `exclude`, and that head."""
        if unit.pk not in self._above:
            chain = OrgUnit.objects.filter(path__in=ancestor_paths(unit.path)[:-1]).order_by("-depth")
            self._above[unit.pk] = [candidate for candidate in chain if candidate.is_agency]
        for candidate in self._above[unit.pk]:
            heads = [h for h in self.heads_of(candidate) if h.pk != exclude.pk]
            if heads:
                return candidate, heads[0]
        return None, None


# --- A user's scope -------------------------------------------------------------------------


@dataclass(frozen=True)
class Scope:
    """What one user may see on one date, computed once per request."""

    user_id: int | None
    on: date
    is_superuser: bool = False
    person_id: int | None = None
    managed_paths: tuple[str, ...] = ()  # subtrees of units the person heads or deputises
    headed_unit_ids: frozenset[int] = frozenset()
    own_unit_ids: frozenset[int] = frozenset()  # units of the person's own current assignments
    grants: dict[str, tuple[str, ...]] = field(default_factory=dict)  # role -> subtree paths

    def grant_paths(self, *roles: str) -> tuple[str, ...]:
        return tuple(p for r in roles for p in self.grants.get(r, ()))

    @property
    def view_paths(self) -> tuple[str, ...]:
        return self.managed_paths + self.grant_paths(*GRANT_ROLES)

    @property
    def roles(self) -> list[str]:
        roles = []
        if self.is_superuser:
            roles.append(ROLE_ADMIN)
        if self.person_id and self.own_unit_ids:
            roles.append(ROLE_EMPLOYEE)
        if self.managed_paths:
            roles.append(ROLE_MANAGER)
        if self.headed_unit_ids:
            roles.append(ROLE_HEAD)
        roles.extend(r for r in GRANT_ROLES if self.grants.get(r))
        return roles

    def covers(self, path: str, paths: tuple[str, ...]) -> bool:
        return self.is_superuser or any(path.startswith(p) for p in paths)


def user_scope(user, on: date | None = None) -> Scope:
    on = on or today()
    cache = getattr(user, "_danhgia_scopes", None)
    if cache is None:
        cache = {}
        if getattr(user, "is_authenticated", False):
            user._danhgia_scopes = cache
    if on in cache:
        return cache[on]
    scope = _compute_scope(user, on)
    cache[on] = scope
    return scope


def _compute_scope(user, on: date) -> Scope:
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return Scope(user_id=None, on=on)
    person = person_for_user(user)
    managed, headed, own = [], set(), set()
    if person is not None:
        rows = Assignment.objects.filter(valid_on_q(on), person=person).values_list(
            "unit_id", "unit__path", "position__kind"
        )
        for unit_id, path, kind in rows:
            own.add(unit_id)
            if kind in (PositionKind.HEAD, PositionKind.DEPUTY):
                managed.append(path)
            if kind == PositionKind.HEAD:
                headed.add(unit_id)
    grants: dict[str, list[str]] = {}
    grant_rows = UnitUserObjectPermission.objects.filter(
        valid_on_q(on), user=user, permission__codename__in=list(GRANT_ROLES)
    ).values_list("permission__codename", "content_object__path", "content_object_id")
    for codename, path, unit_id in grant_rows:
        grants.setdefault(codename, []).append(path)
        if codename == ACTING_HEAD:
            managed.append(path)
            headed.add(unit_id)
    return Scope(
        user_id=user.pk,
        on=on,
        is_superuser=user.is_superuser,
        person_id=person.pk if person else None,
        managed_paths=tuple(sorted(set(managed))),
        headed_unit_ids=frozenset(headed),
        own_unit_ids=frozenset(own),
        grants={k: tuple(sorted(set(v))) for k, v in grants.items()},
    )


# --- Filtering lists: a list never shows a row its viewer may not open --------------------------


def units_visible_to(user, on: date | None = None) -> QuerySet[OrgUnit]:
    scope = user_scope(user, on)
    if scope.is_superuser:
        return OrgUnit.objects.all()
    return OrgUnit.objects.filter(_subtree_q(scope.view_paths) | Q(pk__in=scope.own_unit_ids))


def people_visible_to(user, on: date | None = None) -> QuerySet[Person]:
    """People the user may open: everyone ever assigned inside a subtree the user manages or holds
    a grant on (history stays readable), the members of the user's own units, and the user."""
    scope = user_scope(user, on)
    if scope.is_superuser:
        return Person.objects.all()
    in_scope = _subtree_q(scope.view_paths, "unit__") | Q(unit_id__in=scope.own_unit_ids)
    assigned = Assignment.objects.filter(in_scope).values("person_id")
    return Person.objects.filter(Q(pk__in=assigned) | Q(pk=scope.person_id or 0))


def can_view_unit(user, unit: OrgUnit, on: date | None = None) -> bool:
    scope = user_scope(user, on)
    return scope.covers(unit.path, scope.view_paths) or unit.pk in scope.own_unit_ids


def can_view_person(user, person: Person, on: date | None = None) -> bool:
    return people_visible_to(user, on).filter(pk=person.pk).exists()


def can_view_audit(user, unit: OrgUnit, on: date | None = None) -> bool:
    """Change history of a unit (and the people in it): its managers, HR officers and auditors."""
    scope = user_scope(user, on)
    return scope.covers(unit.path, scope.managed_paths + scope.grant_paths(HR_OFFICER, AUDITOR))


def can_manage_grants(user, unit: OrgUnit, on: date | None = None) -> bool:
    scope = user_scope(user, on)
    return scope.covers(unit.path, scope.grant_paths(HR_OFFICER))


def can_import(user, on: date | None = None) -> bool:
    """An org-chart import may touch any unit: only HR officers of a whole tree (a root unit)."""
    scope = user_scope(user, on)
    return scope.is_superuser or any(len(p) == STEPLEN for p in scope.grant_paths(HR_OFFICER))


def can_manage_periods(user, on: date | None = None) -> bool:
    """The monthly periods are city-wide: the same people who may import the org chart."""
    return can_import(user, on)


def can_manage_frameworks(user, on: date | None = None) -> bool:
    """Criteria frameworks apply city-wide: the same people who may import the org chart."""
    return can_import(user, on)


def can_review(user, person: Person, on: date) -> bool:
    """Direct manager, or a delegated reviewer on the person's unit (grant valid on `on`), standing
    in for that manager; never for oneself. A form with no review step (heads, an agency's deputies:
    decided directly) has no manager to stand in for, so a delegation never covers it."""
    scope = user_scope(user, on)
    if scope.person_id == person.pk:
        return False
    chain = evaluation_chain(person, on)
    if chain is None or chain.manager is None:
        return False
    if chain.manager.pk == scope.person_id:
        return True
    return scope.covers(chain.unit.path, scope.grant_paths(DELEGATED_REVIEWER)) and not scope.is_superuser


def can_decide(user, person: Person, on: date, *, memo: ChainMemo | None = None) -> bool:
    """The decider of the person's form, or an acting head of the deciding agency on `on`;
    never for oneself."""
    scope = user_scope(user)
    if scope.person_id is None or scope.person_id == person.pk:
        return False
    chain = evaluation_chain(person, on, memo=memo)
    if chain is None or chain.decision_unit is None:
        return False
    if chain.decider is not None and chain.decider.pk == scope.person_id:
        return True
    return _grantees(unit=chain.decision_unit, role=ACTING_HEAD, on=on).filter(user=user).exists()


def acting_for(user, person: Person, on: date, *, step: str) -> Person | None:
    """Whom `user` stands in for when taking `step` ("review" or "decide") on `person`'s form on
    `on`: the direct manager or the decider of the chain when `user` acts by a delegation or as
    acting head; None when `user` holds the role themselves."""
    chain = evaluation_chain(person, on)
    if chain is None:
        return None
    holder = chain.manager if step == "review" else chain.decider
    if holder is None or holder.pk == user_scope(user).person_id:
        return None
    return holder


# --- Fetching one object: 404 for outsiders -----------------------------------------------------


def get_unit_or_404(user, code: str, on: date | None = None) -> OrgUnit:
    unit = OrgUnit.objects.filter(code=code).first()
    if unit is None or not can_view_unit(user, unit, on):
        raise Http404(_("Unit not found."))
    return unit


def get_person_or_404(user, pk: int, on: date | None = None) -> Person:
    person = people_visible_to(user, on).filter(pk=pk).select_related("user").first()
    if person is None:
        raise Http404(_("Person not found."))
    return person


# --- Guardian calls (only here) --------------------------------------------------------------------


def grant_permission(*, user, unit: OrgUnit, role: str) -> UnitUserObjectPermission:
    if role not in GRANT_ROLES:
        raise ValueError(f"unknown grant role {role!r}")
    assign_perm(role, user, unit)
    _forget_scopes(user)
    return UnitUserObjectPermission.objects.get(user=user, content_object=unit, permission__codename=role)


def revoke_permission(*, user, unit: OrgUnit, role: str) -> None:
    remove_perm(role, user, unit)
    _forget_scopes(user)


def grant_permission_object(role: str) -> Permission:
    return Permission.objects.get(content_type__app_label="orgchart", codename=role)


def _forget_scopes(user) -> None:
    if hasattr(user, "_danhgia_scopes"):
        del user._danhgia_scopes


__all__ = [
    "ACTING_HEAD",
    "AUDITOR",
    "DELEGATED_REVIEWER",
    "HR_OFFICER",
    "GRANT_ROLES",
    "EvaluationChain",
    "Scope",
    "UnitKind",
    "can_decide",
    "can_import",
    "can_manage_grants",
    "can_review",
    "can_view_audit",
    "can_view_person",
    "can_view_unit",
    "evaluation_chain",
    "get_person_or_404",
    "get_unit_or_404",
    "people_visible_to",
    "units_visible_to",
    "user_scope",
]
