"""Every write to the org chart: atomic, validated, audited in the same transaction."""

from __future__ import annotations

import secrets
import unicodedata
from datetime import date, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from orgchart import access
from orgchart.models import (
    ApiToken,
    Assignment,
    AuditEvent,
    OrgUnit,
    Person,
    Position,
    SectorLink,
    UnitSuccession,
    UnitUserObjectPermission,
)


def nfc(text: str) -> str:
    """Vietnamese text is stored in Unicode NFC, trimmed and with single spaces."""
    return " ".join(unicodedata.normalize("NFC", text or "").split())


def fmt_date(d: date | None) -> str:
    return d.strftime("%d/%m/%Y") if d else "…"


def _jsonable(value):
    if isinstance(value, date):
        return value.isoformat()
    if hasattr(value, "pk"):
        return str(value.pk)
    return value


def audit_record(
    *,
    actor,
    action: str,
    obj,
    summary: str,
    unit: OrgUnit | None = None,
    person: Person | None = None,
    changes: dict | None = None,
) -> AuditEvent:
    return AuditEvent.objects.create(
        actor=actor if getattr(actor, "pk", None) else None,
        action=action,
        object_type=type(obj).__name__,
        object_id=str(obj.pk),
        unit=unit,
        person=person,
        summary=summary[:500],
        changes={k: [_jsonable(a), _jsonable(b)] for k, (a, b) in (changes or {}).items()},
    )


def _apply_changes(obj, fields: dict) -> dict:
    """Set the given fields; return {field: (old, new)} of what actually changed."""
    changed = {}
    for name, value in fields.items():
        old = getattr(obj, name)
        if old != value:
            changed[name] = (old, value)
            setattr(obj, name, value)
    return changed


def _check_interval(valid_from: date, valid_to: date | None) -> None:
    if valid_to is not None and valid_to < valid_from:
        raise ValidationError(
            _("The end date %(end)s is before the start date %(start)s.")
            % {"end": fmt_date(valid_to), "start": fmt_date(valid_from)}
        )


# --- Units ------------------------------------------------------------------------------------


@transaction.atomic
def unit_create(
    *,
    code: str,
    name: str,
    kind: str,
    parent: OrgUnit | None,
    valid_from: date,
    valid_to: date | None = None,
    short_name: str = "",
    actor,
) -> OrgUnit:
    code = code.strip()
    _check_interval(valid_from, valid_to)
    if OrgUnit.objects.filter(code=code).exists():
        raise ValidationError(_("A unit with code %(code)s already exists.") % {"code": code})
    if parent is not None and not parent.is_valid_on(valid_from):
        raise ValidationError(
            _("Unit %(code)s starts outside the validity of its parent %(parent)s.")
            % {"code": code, "parent": parent.code}
        )
    fields = dict(
        code=code, name=nfc(name), short_name=nfc(short_name), kind=kind, valid_from=valid_from, valid_to=valid_to
    )
    if parent is not None:
        unit = OrgUnit.objects.add_child(parent, create_kwargs=fields)
    else:
        unit = OrgUnit.objects.add_root(create_kwargs=fields)
    audit_record(
        actor=actor,
        action="unit.create",
        obj=unit,
        unit=unit,
        summary=_("Created unit %(unit)s") % {"unit": unit},
        changes={k: (None, v) for k, v in fields.items()},
    )
    return unit


@transaction.atomic
def unit_update(*, unit: OrgUnit, actor, **fields) -> OrgUnit:
    """Change names or validity in place. Restructuring is `unit_close` + successors, never a move."""
    allowed = {"name", "short_name", "kind", "valid_from", "valid_to"}
    if unknown := set(fields) - allowed:
        raise ValueError(f"unit_update cannot change {sorted(unknown)}")
    for text in ("name", "short_name"):
        if text in fields:
            fields[text] = nfc(fields[text])
    changed = _apply_changes(unit, fields)
    if not changed:
        return unit
    _check_interval(unit.valid_from, unit.valid_to)
    unit.save(update_fields=list(changed))
    audit_record(
        actor=actor,
        action="unit.update",
        obj=unit,
        unit=unit,
        summary=_("Changed unit %(unit)s: %(fields)s") % {"unit": unit.code, "fields": ", ".join(changed)},
        changes=changed,
    )
    return unit


@transaction.atomic
def unit_close(*, unit: OrgUnit, valid_to: date, actor, successors: list[OrgUnit] = (), kind: str = "") -> OrgUnit:
    """Close a unit on `valid_to`; optional successors (valid from the next day) keep the lineage."""
    unit_update(unit=unit, valid_to=valid_to, actor=actor)
    for successor in successors:
        unit_succession_add(
            predecessor=unit,
            successor=successor,
            kind=kind or "RENAME",
            effective_on=valid_to + timedelta(days=1),
            actor=actor,
        )
    return unit


@transaction.atomic
def unit_succession_add(
    *, predecessor: OrgUnit, successor: OrgUnit, kind: str, effective_on: date, actor, note: str = ""
) -> UnitSuccession:
    if predecessor.pk == successor.pk:
        raise ValidationError(_("A unit cannot succeed itself."))
    link, created = UnitSuccession.objects.get_or_create(
        predecessor=predecessor,
        successor=successor,
        defaults={"kind": kind, "effective_on": effective_on, "note": nfc(note)},
    )
    if created:
        summary = _("%(old)s is succeeded by %(new)s (%(kind)s) from %(date)s") % {
            "old": predecessor.code,
            "new": successor.code,
            "kind": link.get_kind_display(),
            "date": fmt_date(effective_on),
        }
        for unit in (predecessor, successor):
            audit_record(actor=actor, action="unit.succession", obj=link, unit=unit, summary=summary)
    return link


# --- Positions and people ---------------------------------------------------------------------------


@transaction.atomic
def position_upsert(*, code: str, title: str, kind: str, is_leader: bool, quarterly_rated: bool, actor) -> Position:
    fields = dict(title=nfc(title), kind=kind, is_leader=is_leader, quarterly_rated=quarterly_rated)
    position = Position.objects.filter(code=code).first()
    if position is None:
        position = Position.objects.create(code=code, **fields)
        audit_record(
            actor=actor,
            action="position.create",
            obj=position,
            summary=_("Created position %(title)s") % {"title": position.title},
            changes={k: (None, v) for k, v in fields.items()},
        )
        return position
    changed = _apply_changes(position, fields)
    if changed:
        position.save(update_fields=list(changed))
        audit_record(
            actor=actor,
            action="position.update",
            obj=position,
            summary=_("Changed position %(title)s") % {"title": position.title},
            changes=changed,
        )
    return position


@transaction.atomic
def person_upsert(
    *,
    employee_code: str,
    full_name: str,
    subject_group: str,
    similar_task_group: str = "",
    email: str = "",
    user=None,
    actor,
) -> Person:
    fields = dict(
        full_name=nfc(full_name),
        subject_group=subject_group,
        similar_task_group=nfc(similar_task_group),
        email=email.strip(),
    )
    if user is not None:
        fields["user"] = user
    person = Person.objects.filter(employee_code=employee_code).first()
    if person is None:
        person = Person.objects.create(employee_code=employee_code.strip(), **fields)
        audit_record(
            actor=actor,
            action="person.create",
            obj=person,
            person=person,
            summary=_("Created person %(person)s") % {"person": person},
        )
        return person
    changed = _apply_changes(person, fields)
    if changed:
        person.save(update_fields=list(changed))
        audit_record(
            actor=actor,
            action="person.update",
            obj=person,
            person=person,
            summary=_("Changed %(person)s: %(fields)s") % {"person": person, "fields": ", ".join(changed)},
            changes=changed,
        )
    return person


# --- Assignments ------------------------------------------------------------------------------


def overlapping_primary(
    person: Person, valid_from: date, valid_to: date | None, *, exclude_pk: int | None = None
) -> Assignment | None:
    """The person's primary assignment that overlaps `[valid_from, valid_to]`, if any."""
    qs = Assignment.objects.filter(person=person, is_primary=True).exclude(pk=exclude_pk)
    qs = qs.filter(valid_to__isnull=True) | qs.filter(valid_to__gte=valid_from)
    if valid_to is not None:
        qs = qs.filter(valid_from__lte=valid_to)
    return qs.select_related("unit").first()


def primary_overlap_message(person: Person, other: Assignment) -> str:
    return _(
        "%(person)s already has a primary assignment at %(unit)s from %(start)s to %(end)s; "
        "end it first or make this one a concurrent post."
    ) % {
        "person": person.full_name,
        "unit": other.unit.code,
        "start": fmt_date(other.valid_from),
        "end": fmt_date(other.valid_to),
    }


@transaction.atomic
def assignment_create(
    *,
    person: Person,
    unit: OrgUnit,
    position: Position,
    valid_from: date,
    valid_to: date | None = None,
    is_primary: bool = True,
    note: str = "",
    actor,
) -> Assignment:
    _check_interval(valid_from, valid_to)
    # Serialise concurrent changes to the same person's assignments (PostgreSQL; SQLite's
    # IMMEDIATE transactions already serialise writers).
    Person.objects.select_for_update().filter(pk=person.pk).first()
    if not unit.is_valid_on(valid_from):
        raise ValidationError(
            _("Unit %(unit)s does not exist on %(date)s.") % {"unit": unit.code, "date": fmt_date(valid_from)}
        )
    if is_primary and (other := overlapping_primary(person, valid_from, valid_to)):
        raise ValidationError(primary_overlap_message(person, other))
    assignment = Assignment.objects.create(
        person=person,
        unit=unit,
        position=position,
        valid_from=valid_from,
        valid_to=valid_to,
        is_primary=is_primary,
        note=nfc(note),
    )
    audit_record(
        actor=actor,
        action="assignment.create",
        obj=assignment,
        unit=unit,
        person=person,
        summary=_("%(person)s assigned to %(unit)s as %(position)s from %(start)s to %(end)s%(primary)s")
        % {
            "person": person.full_name,
            "unit": unit.code,
            "position": position.title,
            "start": fmt_date(valid_from),
            "end": fmt_date(valid_to),
            "primary": "" if is_primary else _(" (concurrent post)"),
        },
    )
    return assignment


@transaction.atomic
def assignment_end(*, assignment: Assignment, valid_to: date, actor) -> Assignment:
    _check_interval(assignment.valid_from, valid_to)
    changed = _apply_changes(assignment, {"valid_to": valid_to})
    if changed:
        assignment.save(update_fields=["valid_to"])
        audit_record(
            actor=actor,
            action="assignment.end",
            obj=assignment,
            unit=assignment.unit,
            person=assignment.person,
            summary=_("Assignment of %(person)s at %(unit)s ends on %(date)s")
            % {"person": assignment.person.full_name, "unit": assignment.unit.code, "date": fmt_date(valid_to)},
            changes=changed,
        )
    return assignment


@transaction.atomic
def person_transfer(
    *, person: Person, unit: OrgUnit, position: Position, on: date, actor, note: str = ""
) -> Assignment:
    """End the current primary assignment the day before `on` and start a new one on `on`."""
    current = access.primary_assignment(person, on)
    if current is not None:
        if current.valid_from >= on:
            raise ValidationError(
                _("%(person)s's current assignment starts on %(date)s; a transfer must come after it.")
                % {"person": person.full_name, "date": fmt_date(current.valid_from)}
            )
        assignment_end(assignment=current, valid_to=on - timedelta(days=1), actor=actor)
    return assignment_create(person=person, unit=unit, position=position, valid_from=on, note=note, actor=actor)


# --- Sector links -------------------------------------------------------------------------------


@transaction.atomic
def sector_link_create(
    *, department: OrgUnit, office: OrgUnit, valid_from: date, valid_to: date | None = None, actor
) -> SectorLink:
    _check_interval(valid_from, valid_to)
    link, created = SectorLink.objects.get_or_create(
        department=department, office=office, valid_from=valid_from, defaults={"valid_to": valid_to}
    )
    if created:
        summary = _("%(dept)s supervises %(office)s from %(start)s") % {
            "dept": department.code,
            "office": office.code,
            "start": fmt_date(valid_from),
        }
        for unit in (department, office):
            audit_record(actor=actor, action="sector_link.create", obj=link, unit=unit, summary=summary)
    return link


# --- Grants ---------------------------------------------------------------------------------------


@transaction.atomic
def grant_create(
    *,
    user,
    unit: OrgUnit,
    role: str,
    valid_from: date,
    valid_to: date | None = None,
    reason: str,
    on_behalf_of: Person | None = None,
    actor,
) -> UnitUserObjectPermission:
    _check_interval(valid_from, valid_to)
    if not nfc(reason):
        raise ValidationError(_("A grant needs a reason."))
    if role not in access.GRANT_ROLES:
        raise ValidationError(_("Unknown role %(role)s.") % {"role": role})
    grant = access.grant_permission(user=user, unit=unit, role=role)
    changed = _apply_changes(
        grant,
        {
            "valid_from": valid_from,
            "valid_to": valid_to,
            "reason": nfc(reason),
            "on_behalf_of": on_behalf_of,
            "granted_by": actor if getattr(actor, "pk", None) else None,
        },
    )
    grant.save()
    audit_record(
        actor=actor,
        action="grant.create",
        obj=grant,
        unit=unit,
        person=access.person_for_user(user),
        summary=_("%(user)s is %(role)s of %(unit)s from %(start)s to %(end)s: %(reason)s")
        % {
            "user": user.get_username(),
            "role": access.GRANT_ROLES[role],
            "unit": unit.code,
            "start": fmt_date(valid_from),
            "end": fmt_date(valid_to),
            "reason": nfc(reason),
        },
        changes=changed,
    )
    return grant


@transaction.atomic
def grant_revoke(*, grant: UnitUserObjectPermission, actor) -> None:
    user, unit, role = grant.user, grant.content_object, grant.permission.codename
    audit_record(
        actor=actor,
        action="grant.revoke",
        obj=grant,
        unit=unit,
        person=access.person_for_user(user),
        summary=_("Revoked %(role)s of %(unit)s from %(user)s")
        % {"role": access.GRANT_ROLES.get(role, role), "unit": unit.code, "user": user.get_username()},
    )
    access.revoke_permission(user=user, unit=unit, role=role)


# --- API tokens ---------------------------------------------------------------------------------


@transaction.atomic
def api_token_issue(*, user) -> tuple[ApiToken, str]:
    """Create a token; the clear key is returned once and never stored.

    Hex, not url-safe base64: a key (or its prefix) that starts with "-" would read as an option
    to `issue_api_token --revoke`.
    """
    key = secrets.token_hex(32)
    token = ApiToken.objects.create(user=user, key_hash=ApiToken.hash_key(key), prefix=key[:8])
    return token, key


def api_token_revoke(*, token: ApiToken) -> ApiToken:
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
    return token


def api_token_user(key: str):
    """The active user behind a bearer key, or None (revoked, unknown, inactive)."""
    token = (
        ApiToken.objects.filter(key_hash=ApiToken.hash_key(key), revoked_at__isnull=True).select_related("user").first()
    )
    if token is None or not token.user.is_active:
        return None
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=timezone.now())
    return token.user
