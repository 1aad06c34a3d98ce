"""Every write to framework versions: keyword-only, atomic, validated, audited in the same transaction.

A version that has scored a form (`first_used_at` set) is frozen forever: changes go into a copy.
Edits and publication are compare-and-swap updates (`revision`, `first_used_at IS NULL`), so a
concurrent edit or first use is noticed even on SQLite, where `select_for_update` does nothing.
"""

from __future__ import annotations

import copy
from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from kpi.models import FrameworkVersion, code_validator
from kpi.spec import FrameworkSpec, SpecError, spec_from_dict, spec_to_dict, validate_spec
from orgchart import access
from orgchart.models import SubjectGroup
from orgchart.services import audit_record, nfc

Status = FrameworkVersion.Status
_NAME_MAX = FrameworkVersion._meta.get_field("name_vi").max_length
_LEGAL_MAX = FrameworkVersion._meta.get_field("legal_ref").max_length


def _user(actor):
    return actor if getattr(actor, "pk", None) else None


def normalise_code(code: str) -> str:
    return nfc(code).upper()


# --- Definitions: parse, validate, compare ------------------------------------------------------


def _meta_errors(spec: FrameworkSpec) -> list[str]:
    errors: list[str] = []
    if spec.period not in FrameworkVersion.Period.values:
        errors.append(_("Unknown period “%(period)s”.") % {"period": spec.period})
    if not spec.applies_to:
        errors.append(_("The version must apply to at least one subject group."))
    unknown = [group for group in spec.applies_to if group not in SubjectGroup.values]
    if unknown:
        errors.append(_("Unknown subject groups: %(groups)s.") % {"groups": ", ".join(unknown)})
    if not spec.name_vi.strip():
        errors.append(_("The version needs a name."))
    if len(spec.name_vi) > _NAME_MAX or len(spec.legal_ref) > _LEGAL_MAX:
        errors.append(_("The name or the legal basis is too long."))
    return errors


def definition_spec(definition: dict[str, Any]) -> FrameworkSpec:
    """Parse and validate a definition; ValidationError with every message when it is not usable."""
    try:
        spec = spec_from_dict(definition)
    except (SpecError, TypeError, AttributeError) as error:
        raise ValidationError([str(error)]) from error
    errors = validate_spec(spec) + _meta_errors(spec)
    if errors:
        raise ValidationError(errors)
    return spec


def _flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    """Leaves of a definition by readable path: `groups[NV].variants.STAFF[NV1].max_points`."""
    if isinstance(value, dict):
        if not value:
            return {prefix: {}}
        out: dict[str, Any] = {}
        for key, item in value.items():
            out.update(_flatten(item, f"{prefix}.{key}" if prefix else str(key)))
        return out
    keyed = (
        isinstance(value, list)
        and bool(value)
        and all(isinstance(i, dict) and ("code" in i or "id" in i) for i in value)
    )
    if keyed:
        out = {}
        for i, item in enumerate(value):
            name = item.get("id", item.get("code"))
            label = f"{prefix}[{name}]" if name is not None else f"{prefix}[{i}]"
            out.update(_flatten({k: v for k, v in item.items() if k not in ("id", "code")}, label))
            out[f"{label}.#"] = i  # position, so a reordering shows too
        return out
    return {prefix: value}


def definition_changes(old: dict[str, Any], new: dict[str, Any]) -> dict[str, tuple[Any, Any]]:
    """{path: (old, new)} for every leaf that differs (None where a side lacks it)."""
    before, after = _flatten(old), _flatten(new)
    return {
        path: (before.get(path), after.get(path))
        for path in [*before, *(p for p in after if p not in before)]
        if before.get(path) != after.get(path)
    }


def _parts(changes: dict[str, Any]) -> str:
    heads: dict[str, None] = {}
    for path in changes:
        heads[path.split(".")[0]] = None
    return ", ".join(heads)


# --- Months already opened (told by the app that opens them; kpi never imports it) --------------------

_opened_month_providers: list = []


def register_opened_months(provider) -> None:
    """`provider(subject_groups)` returns the first day of the latest month that already has forms
    for any of those subject groups, or None. The evaluation app registers one at start-up."""
    if provider not in _opened_month_providers:
        _opened_month_providers.append(provider)


def _latest_opened_month(subject_groups) -> date | None:
    months = [m for provider in _opened_month_providers if (m := provider(list(subject_groups))) is not None]
    return max(months, default=None)


# --- Services --------------------------------------------------------------------------------------


def _refuse_if_frozen(version: FrameworkVersion) -> None:
    if version.is_used:
        raise ValidationError(
            _(
                "Version %(code)s has already been used to score forms and can no longer be changed. "
                "Make a copy and edit the copy."
            )
            % {"code": version.code}
        )
    if version.status == Status.RETIRED:
        raise ValidationError(_("Version %(code)s is retired and can no longer be changed.") % {"code": version.code})


def _conflict(version: FrameworkVersion) -> ValidationError:
    version.refresh_from_db()
    try:
        _refuse_if_frozen(version)
    except ValidationError as error:
        return error
    return ValidationError(
        _("Someone else changed version %(code)s in the meantime. Reload the page and try again.")
        % {"code": version.code}
    )


@transaction.atomic
def framework_version_copy(*, source: FrameworkVersion, code: str, actor) -> FrameworkVersion:
    """A new draft with the source's definition under a new code chosen by HR."""
    code = normalise_code(code)
    try:
        code_validator(code)
    except ValidationError as error:
        raise ValidationError({"code": error.messages}) from error
    taken = ValidationError({"code": _("A framework version with code %(code)s already exists.") % {"code": code}})
    if FrameworkVersion.objects.filter(code=code).exists():
        raise taken
    definition = copy.deepcopy(source.definition)
    definition["code"] = code
    try:
        with transaction.atomic():
            version = FrameworkVersion.objects.create(
                code=code,
                name_vi=source.name_vi,
                legal_ref=source.legal_ref,
                effective_from=source.effective_from,
                applies_to=list(source.applies_to),
                period=source.period,
                status=Status.DRAFT,
                definition=definition,
                based_on=source,
                created_by=_user(actor),
            )
    except IntegrityError as error:  # the same code created concurrently
        raise taken from error
    audit_record(
        actor=actor,
        action="framework.copy",
        obj=version,
        summary=_("Created draft %(code)s from %(source)s.") % {"code": code, "source": source.code},
        changes={"based_on": (None, source.code)},
    )
    return version


@transaction.atomic
def framework_version_update(
    *, version: FrameworkVersion, definition: dict[str, Any], actor, revision: int | None = None
) -> FrameworkVersion:
    """Replace the definition of an unused version (its code and effective date stay)."""
    _refuse_if_frozen(version)
    definition = {**definition, "code": version.code, "effective_from": version.effective_from.isoformat()}
    spec = definition_spec(definition)
    new_definition = spec_to_dict(spec)
    changes = definition_changes(version.definition, new_definition)
    if not changes:
        return version
    expected = version.revision if revision is None else revision
    updated = (
        FrameworkVersion.objects.filter(pk=version.pk, revision=expected, first_used_at__isnull=True)
        .exclude(status=Status.RETIRED)
        .update(
            definition=new_definition,
            name_vi=spec.name_vi,
            legal_ref=spec.legal_ref,
            applies_to=list(spec.applies_to),
            period=spec.period,
            revision=F("revision") + 1,
        )
    )
    if not updated:
        raise _conflict(version)
    version.refresh_from_db()
    audit_record(
        actor=actor,
        action="framework.update",
        obj=version,
        summary=_("Changed version %(code)s: %(parts)s.") % {"code": version.code, "parts": _parts(changes)},
        changes=changes,
    )
    return version


@transaction.atomic
def framework_version_publish(
    *, version: FrameworkVersion, effective_from: date, actor, revision: int | None = None
) -> FrameworkVersion:
    """Publish a draft from the first day of a month (not before the current month)."""
    if version.status != Status.DRAFT:
        raise ValidationError(
            _("Only a draft can be published; %(code)s is %(status)s.")
            % {"code": version.code, "status": version.get_status_display()}
        )
    _refuse_if_frozen(version)
    if effective_from.day != 1:
        raise ValidationError(
            {"effective_from": _("A version takes effect on the first day of a month (e.g. 01/01/2027).")}
        )
    this_month = access.today().replace(day=1)
    if effective_from < this_month:
        raise ValidationError(
            {
                "effective_from": _(
                    "A version cannot take effect before the current month (%(month)s): forms of past months "
                    "were made under the version then in force."
                )
                % {"month": this_month.strftime("%m/%Y")}
            }
        )
    opened = _latest_opened_month(version.applies_to)
    if opened is not None and effective_from <= opened:
        raise ValidationError(
            {
                "effective_from": _(
                    "Month %(month)s already has forms under the version then in force: a new version can "
                    "take effect from the next month at the earliest."
                )
                % {"month": opened.strftime("%m/%Y")}
            }
        )
    spec = definition_spec({**version.definition, "effective_from": effective_from.isoformat()})
    expected = version.revision if revision is None else revision
    now = timezone.now()
    updated = FrameworkVersion.objects.filter(
        pk=version.pk, revision=expected, status=Status.DRAFT, first_used_at__isnull=True
    ).update(
        status=Status.PUBLISHED,
        effective_from=effective_from,
        definition=spec_to_dict(spec),
        published_at=now,
        published_by=_user(actor),
        revision=F("revision") + 1,
    )
    if not updated:
        raise _conflict(version)
    version.refresh_from_db()
    audit_record(
        actor=actor,
        action="framework.publish",
        obj=version,
        summary=_("Published version %(code)s, in force from %(date)s.")
        % {"code": version.code, "date": effective_from.strftime("%d/%m/%Y")},
        changes={"status": (Status.DRAFT.value, Status.PUBLISHED.value), "effective_from": (None, effective_from)},
    )
    return version


@transaction.atomic
def framework_version_mark_used(*, version: FrameworkVersion) -> FrameworkVersion:
    """Record the first scoring under a published version; from then on it can never be edited.

    Called by the evaluation app each time it scores a form; idempotent and cheap after the first call.
    """
    if version.first_used_at is not None:
        return version
    updated = (
        FrameworkVersion.objects.filter(pk=version.pk, first_used_at__isnull=True)
        .exclude(status=Status.DRAFT)
        .update(first_used_at=timezone.now())
    )
    version.refresh_from_db(fields=["first_used_at", "status", "revision"])
    if updated:
        audit_record(
            actor=None,
            action="framework.first_use",
            obj=version,
            summary=_("Version %(code)s scored its first form; it can no longer be changed.") % {"code": version.code},
        )
    elif version.first_used_at is None:
        raise ValidationError(_("Draft %(code)s cannot be used to score forms.") % {"code": version.code})
    return version
