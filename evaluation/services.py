"""Every write of the monthly cycle (DOMAIN.md section 4).

Each step: find the actor's role towards the form (`evaluation.selectors.actor_roles`), check the
transition table (`evaluation.workflow`), validate with the scoring engine, then apply it as a
compare-and-swap on (status, version) and write the history row in the same transaction. Zero rows
updated means someone else acted first: `StaleForm`.
"""

from __future__ import annotations

import calendar
import os
import uuid
from datetime import date, timedelta
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from evaluation import selectors
from evaluation.models import (
    Attachment,
    Complaint,
    Evaluation,
    EvaluationHistory,
    Notification,
    Period,
    UnitPublication,
)
from evaluation.workflow import TRANSITIONS, Action, Actor, Status, allowed
from evaluation.workflow import target as target_status
from kpi import quota as kpi_quota
from kpi import scoring
from kpi import selectors as kpi_selectors
from kpi import services as kpi_services
from orgchart import access
from orgchart import services as org_services
from orgchart.models import Assignment, OrgUnit, valid_on_q

UPHOLD = "uphold"  # history action of a complaint outcome that keeps the result (no status change)
# What people read for the inputs of the computed task group.
SHARE_LABELS = {
    "quantity": gettext_lazy("Quantity"),
    "quality": gettext_lazy("Quality"),
    "timeliness": gettext_lazy("Timeliness"),
    "organising": gettext_lazy("Leading, directing and organising the unit's work"),
    "any_subordinate_unit_KHT": gettext_lazy("A subordinate unit was rated “Not completed”"),
}

# --- Errors (the API maps them to 400 / 403 / 409) -------------------------------------------


class WorkflowError(Exception):
    status_code = 400

    def __init__(self, message: str, *, field: str | None = None, details: Any = None) -> None:
        super().__init__(message)
        self.message, self.field, self.details = message, field, details


class InvalidInput(WorkflowError):
    status_code = 400


class NotAllowed(WorkflowError):
    status_code = 403


class Conflict(WorkflowError):
    status_code = 409


class StaleForm(Conflict):
    pass


class QuotaExceeded(Conflict):
    pass


# --- Dates ------------------------------------------------------------------------------------


def last_working_day(year: int, month: int) -> date:
    day = date(year, month, calendar.monthrange(year, month)[1])
    while day.weekday() >= 5:
        day -= timedelta(days=1)
    return day


def add_working_days(start: date, days: int) -> date:
    day = start
    while days > 0:
        day += timedelta(days=1)
        if day.weekday() < 5:
            days -= 1
    return day


def _next_month(year: int, month: int) -> tuple[int, int]:
    return (year + 1, 1) if month == 12 else (year, month + 1)


# --- Periods ----------------------------------------------------------------------------------


@transaction.atomic
def period_open(*, year: int, month: int, actor=None) -> tuple[Period, int]:
    """Open month `year-month` and create one form per person with a primary assignment.

    Idempotent: a second call creates nothing twice (only forms still missing). The form belongs
    to the unit of the primary assignment on the last working day of the month.
    """
    cycle = settings.EVALUATION_CYCLE
    ny, nm = _next_month(year, month)
    period, _created = Period.objects.get_or_create(
        year=year,
        month=month,
        defaults={
            "opens_on": date(year, month, min(cycle["open_day"], calendar.monthrange(year, month)[1])),
            "self_due": date(ny, nm, cycle["self_due_day"]),
            "review_due": date(ny, nm, cycle["review_due_day"]),
            "decide_due": date(ny, nm, cycle["decide_due_day"]),
            "complaint_days": cycle["complaint_working_days"],
        },
    )
    on = last_working_day(year, month)
    month_start = date(year, month, 1)
    existing = set(period.evaluations.values_list("person_id", flat=True))
    assignments = (
        Assignment.objects.filter(valid_on_q(on), is_primary=True)
        .exclude(person_id__in=existing)
        .select_related("person", "unit", "position")
    )
    decision_units = _DecisionUnits(on)
    frameworks: dict[str, Any] = {}
    rows = []
    for a in assignments.iterator(chunk_size=2000):
        group = a.person.subject_group
        if group not in frameworks:
            frameworks[group] = kpi_selectors.framework_version_for(subject_group=group, month=month_start)
        rows.append(
            Evaluation(
                period=period,
                person=a.person,
                unit=a.unit,
                unit_code=a.unit.code,
                unit_name=a.unit.name,
                position=a.position,
                position_title=a.position.title,
                subject_group=group,
                similar_task_group=a.person.similar_task_group,
                decision_unit_id=decision_units.for_assignment(a),
                framework=frameworks[group],
                variant=kpi_selectors.variant_for(position=a.position),
            )
        )
    Evaluation.objects.bulk_create(rows, batch_size=2000)
    for version in frameworks.values():
        if not version.is_used:
            kpi_services.framework_version_mark_used(version=version)
    if getattr(actor, "pk", None) and (_created or rows):
        org_services.audit_record(
            actor=actor, action="period.open", obj=period, summary=f"{period}: {len(rows)} forms", changes={}
        )
    return period, len(rows)


PERIOD_DEADLINES = ("self_due", "review_due", "decide_due")


def _require_period_admin(actor) -> None:
    if not access.can_manage_periods(actor):
        raise NotAllowed(_("Only the city's HR officers manage the months."))


def _record_period(*, period: Period, actor, action: str, reason: str, changes: dict) -> None:
    if not reason.strip():
        raise InvalidInput(_("Say why (it is kept in the month's history)."), field="reason")
    org_services.audit_record(
        actor=actor, action=action, obj=period, summary=f"{period}: {reason.strip()}", changes=changes
    )


@transaction.atomic
def period_set_deadlines(
    *, period: Period, self_due: date, review_due: date, decide_due: date, reason: str, actor
) -> Period:
    """HR extends (or moves) the month's deadlines: ordered, not before the month opens; recorded."""
    _require_period_admin(actor)
    if not (period.opens_on <= self_due <= review_due <= decide_due):
        raise InvalidInput(
            _(
                "The deadlines must be in order: self-assessment, then review, then decision, "
                "none before the month opens (%(date)s)."
            )
            % {"date": period.opens_on.strftime("%d/%m/%Y")},
            field="self_due",
        )
    new = {"self_due": self_due, "review_due": review_due, "decide_due": decide_due}
    changes = {f: (getattr(period, f), v) for f, v in new.items() if getattr(period, f) != v}
    if not changes:
        return period
    _record_period(period=period, actor=actor, action="period.deadlines", reason=reason, changes=changes)
    Period.objects.filter(pk=period.pk).update(**new)
    period.refresh_from_db()
    return period


@transaction.atomic
def period_set_state(*, period: Period, state: str, reason: str, actor) -> Period:
    """HR closes a month (no more entries; publication and complaints go on) or re-opens it."""
    _require_period_admin(actor)
    if state not in Period.State.values:
        raise InvalidInput(_("Unknown state %(state)s.") % {"state": state}, field="state")
    if period.state == state:
        raise Conflict(
            _("Month %(period)s is already %(state)s.") % {"period": period, "state": period.get_state_display()}
        )
    action = "period.close" if state == Period.State.CLOSED else "period.reopen"
    _record_period(period=period, actor=actor, action=action, reason=reason, changes={"state": (period.state, state)})
    Period.objects.filter(pk=period.pk).update(state=state)
    period.refresh_from_db()
    return period


class _DecisionUnits:
    """The agency whose head decides, for many assignments at once, from one query of the units."""

    def __init__(self, on: date) -> None:
        self.by_path = {u.path: u for u in OrgUnit.objects.only("id", "path", "kind")}

    def agency_path(self, path: str) -> str:
        for p in reversed(access.ancestor_paths(path)):
            if self.by_path[p].is_agency:
                return p
        return access.ancestor_paths(path)[0]

    def for_assignment(self, assignment: Assignment) -> int:
        agency = self.agency_path(assignment.unit.path)
        if assignment.position.kind == "HEAD" and agency == assignment.unit.path and len(agency) > access.STEPLEN:
            agency = self.agency_path(agency[: -access.STEPLEN])
        return self.by_path[agency].pk


# --- Scoring a stage ----------------------------------------------------------------------------


def _decimal_points(points: dict) -> dict[str, str]:
    return {code: str(scoring.to_decimal(value)) for code, value in points.items()}


def _score(
    evaluation: Evaluation, *, points: dict, task_results: dict | None, partial: bool, flags: dict | None = None
):
    """Validate (and score when complete). Drafts may be incomplete; other steps may not."""
    spec = evaluation.framework.spec
    errors = scoring.points_errors(spec, variant=evaluation.variant, points=points)
    if partial:
        errors = [e for e in errors if e.field in points]
    if errors:
        raise InvalidInput(str(errors[0]), field=errors[0].field, details=[(e.field, str(e)) for e in errors])
    try:
        shares, leader_inputs = scoring.split_leader_inputs(spec, variant=evaluation.variant, task_results=task_results)
        result = scoring.score(
            spec,
            variant=evaluation.variant,
            points=points,
            task_results=shares,
            flags=(evaluation.flags if flags is None else flags) or None,
            leader_inputs=leader_inputs,
        )
    except scoring.ScoringError as exc:
        if partial:
            return None
        raise InvalidInput(str(exc), field=exc.field) from exc
    return result


# --- The compare-and-swap -------------------------------------------------------------------------


def _apply(
    evaluation: Evaluation,
    *,
    action: Action,
    expected_version: int,
    fields: dict,
    actor,
    acting_for=None,
    comment: str = "",
    changes: dict | None = None,
    new_status: Status | None = None,
) -> Evaluation:
    old_status = Status(evaluation.status)
    new_status = new_status or target_status(action)
    updated = Evaluation.objects.filter(pk=evaluation.pk, status=old_status, version=expected_version).update(
        status=new_status, version=expected_version + 1, **fields
    )
    if updated == 0:
        raise StaleForm(_("Someone else changed this form in the meantime. Reload it and try again."))
    EvaluationHistory.objects.create(
        evaluation=evaluation,
        actor=actor if getattr(actor, "pk", None) else None,
        acting_for=acting_for,
        action=action,
        from_status=old_status,
        to_status=new_status,
        comment=comment,
        changes=changes or {},
    )
    evaluation.refresh_from_db()
    return evaluation


# Steps that stop when HR closes the month (publication, acknowledgement, complaints and the lock go on).
CLOSED_PERIOD_STOPS = frozenset(
    {Action.SAVE, Action.SUBMIT, Action.REVIEW, Action.RETURN, Action.DECIDE, Action.NOT_EVALUATED}
)


def _require(evaluation: Evaluation, action: Action, user, expected_version: int) -> set[Actor]:
    if action in CLOSED_PERIOD_STOPS and evaluation.period.state == Period.State.CLOSED:
        raise Conflict(
            _("Month %(period)s was closed by HR: nothing more can be entered.") % {"period": evaluation.period}
        )
    roles = selectors.actor_roles(user=user, evaluation=evaluation)
    if roles and evaluation.version != expected_version:
        raise StaleForm(_("Someone else changed this form in the meantime. Reload it and try again."))
    if roles and Evaluation.objects.filter(supersedes=evaluation).exists():
        raise Conflict(_("A complaint outcome replaced this result: open the current revision."))
    if not allowed(action, Status(evaluation.status), roles):
        if not TRANSITIONS[action].actors & roles:
            raise NotAllowed(_("You may not take this step on this form."))
        raise Conflict(
            _("This step is not possible while the form is %(status)s.") % {"status": evaluation.get_status_display()}
        )
    return roles


def _points_changes(old: dict, new: dict) -> dict:
    """{code: [old, new]} for every criterion given, changed or cleared (new None)."""
    changed = {code: [old.get(code), value] for code, value in new.items() if old.get(code) != value}
    return changed | {code: [value, None] for code, value in old.items() if code not in new}


def _refuse_before_self_deadline(evaluation: Evaluation) -> None:
    """A form the person has not submitted is reviewed or decided without them only once their
    self-assessment deadline has passed (DOMAIN.md section 4); until then it is theirs to fill."""
    if evaluation.status not in (Status.DRAFT, Status.RETURNED):
        return
    due = evaluation.period.self_due
    if timezone.localdate() <= due:
        raise Conflict(
            _(
                "%(person)s can still self-assess until %(date)s: return to this form after that date, "
                "or mark them not evaluated if they are absent for the month."
            )
            % {"person": evaluation.person.full_name, "date": due.strftime("%d/%m/%Y")},
        )


def _share_changes(old: dict | None, new: dict | None) -> dict:
    """Changed task shares (and leader inputs), compared as numbers: {key: [old, new]}."""
    old, new = old or {}, new or {}

    def same(a, b) -> bool:
        if isinstance(a, bool) or isinstance(b, bool):
            return a == b
        return scoring.to_decimal(a) == scoring.to_decimal(b)

    return {key: [old.get(key), value] for key, value in new.items() if not same(old.get(key), value)}


def _acting_for(evaluation: Evaluation, actor, step: str):
    return access.acting_for(actor, evaluation.person, selectors.reference_date(evaluation.period), step=step)


def _merged_flags(evaluation: Evaluation, flags: dict | None) -> dict | None:
    """The form's override inputs with `flags` applied (None: unchanged).

    Only the flags the framework's override rules read are accepted: a True/False flag for an
    "is true" rule, a number from 0 to 1 for a threshold rule (attendance share); None or "" clears.
    """
    if flags is None:
        return None
    rules = {rule.flag: rule for rule in evaluation.framework.spec.overrides}
    merged = dict(evaluation.flags or {})
    for key, value in flags.items():
        rule = rules.get(key)
        label = (rule.label_vi or key) if rule is not None else key
        if rule is None:
            raise InvalidInput(
                _("%(flag)s is not an input of framework %(framework)s.")
                % {"flag": key, "framework": evaluation.framework.code},
                field=key,
            )
        if value is None or value == "":
            merged.pop(key, None)
        elif rule.operator == "is_true":
            if not isinstance(value, bool):
                raise InvalidInput(_("%(flag)s must be true or false.") % {"flag": label}, field=key)
            if value:
                merged[key] = True
            else:
                merged.pop(key, None)
        else:
            number = scoring.to_decimal(value)
            if number is None or not 0 <= number <= 1:
                raise InvalidInput(_("%(flag)s must be a share from 0 to 1, e.g. 0,4.") % {"flag": label}, field=key)
            merged[key] = str(number)
    return merged


def evaluation_flags_preview(*, evaluation: Evaluation, flags: dict | None) -> dict | None:
    """The override inputs the form would have with `flags` applied, for a preview (None: the
    form's own, also when a typed value is invalid; saving then names the problem)."""
    try:
        return _merged_flags(evaluation, flags)
    except InvalidInput:
        return None


def _flag_changes(evaluation: Evaluation, new_flags: dict | None) -> dict:
    old = evaluation.flags or {}
    if new_flags is None or new_flags == old:
        return {}
    return {"flags": [old, new_flags]}


# --- Employee ---------------------------------------------------------------------------------


@transaction.atomic
def evaluation_save_self(
    *,
    evaluation: Evaluation,
    expected_version: int,
    points: dict,
    task_results: dict | None = None,
    note: str = "",
    tasks: list | None = None,
    actor,
) -> Evaluation:
    _require(evaluation, Action.SAVE, actor, expected_version)
    result = _score(evaluation, points=points, task_results=task_results, partial=True)
    new_points = _decimal_points(points)
    changes = {
        **_points_changes(evaluation.self_points, new_points),
        **_share_changes(evaluation.self_task_results, task_results or {}),
    }
    fields = {
        "self_points": new_points,
        "self_task_results": task_results or {},
        "self_total": result.total if result else None,
        "self_grade": result.grade if result else "",
        "note": note,
        "tasks": tasks if tasks is not None else evaluation.tasks,
    }
    if not changes and note == evaluation.note and fields["tasks"] == evaluation.tasks:
        return evaluation  # nothing to save: no version, no history row
    return _apply(
        evaluation,
        action=Action.SAVE,
        expected_version=expected_version,
        new_status=Status(evaluation.status),
        fields=fields,
        actor=actor,
        changes=changes,
    )


@transaction.atomic
def evaluation_submit(*, evaluation: Evaluation, expected_version: int, actor) -> Evaluation:
    _require(evaluation, Action.SUBMIT, actor, expected_version)
    _score(evaluation, points=evaluation.self_points, task_results=evaluation.self_task_results, partial=False)
    evaluation = _apply(
        evaluation,
        action=Action.SUBMIT,
        expected_version=expected_version,
        fields={"submitted_at": timezone.now()},
        actor=actor,
    )
    chain = access.evaluation_chain(evaluation.person, selectors.reference_date(evaluation.period))
    next_person = chain and (chain.decider if chain.review_skipped else chain.manager)
    notify_person(
        next_person,
        key=f"submitted-{evaluation.pk}-{evaluation.version}",
        message=_("%(person)s submitted the self-assessment for %(period)s.")
        % {"person": evaluation.person.full_name, "period": evaluation.period},
        url=f"/evaluations/{evaluation.pk}/",
    )
    return evaluation


# --- Manager ----------------------------------------------------------------------------------


@transaction.atomic
def evaluation_review(
    *,
    evaluation: Evaluation,
    expected_version: int,
    points: dict,
    task_results: dict | None = None,
    comment: str = "",
    comments: dict | None = None,
    flags: dict | None = None,
    actor,
) -> Evaluation:
    """The manager's proposal; every change from the self-assessment needs a comment. `flags` sets
    the override inputs (attendance share, discipline, …) the framework reads."""
    _require(evaluation, Action.REVIEW, actor, expected_version)
    _refuse_before_self_deadline(evaluation)
    new_flags = _merged_flags(evaluation, flags)
    result = _score(evaluation, points=points, task_results=task_results, partial=False, flags=new_flags)
    new_points = _decimal_points(points)
    changes = {
        **_points_changes(evaluation.self_points, new_points),
        **_share_changes(evaluation.self_task_results, task_results),
    }
    comments = comments or {}
    # A changed value needs a reason; one the person left blank (no self-assessment) does not.
    changed = sorted(code for code, (old, _new) in changes.items() if old is not None)
    if changed and not (comment.strip() or all(comments.get(c, "").strip() for c in changed)):
        raise InvalidInput(
            _("Explain each change of points (%(codes)s) in a comment.")
            % {"codes": ", ".join(str(SHARE_LABELS.get(c, c)) for c in changed)},
            field="comment",
        )
    for code, (old, new) in changes.items():
        changes[code] = {"old": old, "new": new, "comment": comments.get(code, "") or comment}
    # Returned after a submission is not "no self-assessment": the person did submit once.
    no_self = evaluation.status in (Status.DRAFT, Status.RETURNED) and not evaluation.submitted_at
    evaluation = _apply(
        evaluation,
        action=Action.REVIEW,
        expected_version=expected_version,
        fields={
            "review_points": new_points,
            "review_task_results": task_results or {},
            "review_total": result.total,
            "review_grade": result.grade,
            "reviewed_at": timezone.now(),
            "reviewed_by": access.person_for_user(actor),
            "no_self_assessment": no_self,
            **({"flags": new_flags} if new_flags is not None else {}),
        },
        actor=actor,
        acting_for=_acting_for(evaluation, actor, "review"),
        comment=comment,
        changes={**changes, **_flag_changes(evaluation, new_flags)},
    )
    chain = access.evaluation_chain(evaluation.person, selectors.reference_date(evaluation.period))
    notify_person(
        chain.decider if chain else None,
        key=f"reviewed-{evaluation.pk}-{evaluation.version}",
        message=_("%(person)s's form for %(period)s was reviewed and proposed for your decision.")
        % {"person": evaluation.person.full_name, "period": evaluation.period},
        url=f"/evaluations/{evaluation.pk}/",
    )
    return evaluation


@transaction.atomic
def evaluation_return(*, evaluation: Evaluation, expected_version: int, reason: str, actor) -> Evaluation:
    roles = _require(evaluation, Action.RETURN, actor, expected_version)
    if not reason.strip():
        raise InvalidInput(_("Say why the form is returned."), field="reason")
    step = "decide" if Actor.DECIDER in roles else "review"
    evaluation = _apply(
        evaluation,
        action=Action.RETURN,
        expected_version=expected_version,
        fields={},
        actor=actor,
        acting_for=_acting_for(evaluation, actor, step),
        comment=reason,
    )
    notify_person(
        evaluation.person,
        key=f"returned-{evaluation.pk}-{evaluation.version}",
        message=_("Your form for %(period)s was returned for revision: %(reason)s")
        % {"period": evaluation.period, "reason": reason.strip()},
        url=f"/evaluations/{evaluation.pk}/",
    )
    return evaluation


# --- Head -------------------------------------------------------------------------------------


def _decision_quota(evaluation: Evaluation, grade: str, *, exception: bool = False):
    """The unit's quota if this form got `grade` now.

    Forms still undecided count as rated and, where the base is a grade (ND 335: HTT), as that
    grade: deciding refuses only what is already certain to exceed; publishing checks it exactly.
    """
    rule = evaluation.framework.spec.quota
    if rule is None:
        return None
    undecided = rule.base_grade or selectors.UNDECIDED
    rows = []
    for pk, status, form_grade, group in selectors.unit_form_grades(
        period=evaluation.period, decision_unit_id=evaluation.decision_unit_id, framework_id=evaluation.framework_id
    ):
        if pk == evaluation.pk:
            form_grade = grade
        elif status == Status.NOT_EVALUATED:
            continue
        elif status not in (Status.DECIDED, Status.PUBLISHED, Status.LOCKED):
            form_grade = undecided
        rows.append((group, form_grade))
    return kpi_quota.check_quota_scopes(rule, rows, exception=exception)


@transaction.atomic
def evaluation_decide(
    *,
    evaluation: Evaluation,
    expected_version: int,
    points: dict | None = None,
    task_results: dict | None = None,
    comment: str = "",
    flags: dict | None = None,
    actor,
) -> Evaluation:
    """The final points and grade. Over the quota is refused (the justified exception is given
    at publication). `flags` sets the override inputs, as in the review."""
    _require(evaluation, Action.DECIDE, actor, expected_version)
    _refuse_before_self_deadline(evaluation)
    decided = evaluation.status == Status.DECIDED
    if points is None:
        # Without points: the decider's own earlier decision, else the proposal, else the self-assessment.
        if decided:
            points, task_results = evaluation.final_points, evaluation.final_task_results
        else:
            points = evaluation.review_points or evaluation.self_points
            task_results = evaluation.review_task_results or evaluation.self_task_results
    new_flags = _merged_flags(evaluation, flags)
    result = _score(evaluation, points=points, task_results=task_results, partial=False, flags=new_flags)
    report = _decision_quota(evaluation, result.grade, exception=_has_exception_headroom(evaluation))
    if report is not None and not report.ok:
        raise QuotaExceeded(
            _("Grade %(grade)s would exceed the unit's quota for this month.") % {"grade": result.grade},
            details=selectors.quota_summary(report),
        )
    new_points = _decimal_points(points)
    if decided:
        previous, previous_shares = evaluation.final_points, evaluation.final_task_results
    else:
        previous = evaluation.review_points or evaluation.self_points
        previous_shares = evaluation.review_task_results or evaluation.self_task_results
    no_self = evaluation.status in (Status.DRAFT, Status.RETURNED) and not evaluation.submitted_at
    return _apply(
        evaluation,
        action=Action.DECIDE,
        expected_version=expected_version,
        fields={
            "final_points": new_points,
            "final_task_results": task_results or {},
            "final_total": result.total,
            "grade": result.grade,
            "overrides": [list(o) for o in result.overrides],
            "decided_at": timezone.now(),
            "decided_by": access.person_for_user(actor),
            "no_self_assessment": evaluation.no_self_assessment or no_self,
            **({"flags": new_flags} if new_flags is not None else {}),
        },
        actor=actor,
        acting_for=_acting_for(evaluation, actor, "decide"),
        comment=comment,
        changes={
            **_points_changes(previous, new_points),
            **_share_changes(previous_shares, task_results),
            **_flag_changes(evaluation, new_flags),
        },
    )


def _has_exception_headroom(evaluation: Evaluation) -> bool:
    """Deciding may use the exception ratio when the framework has one; publishing then needs
    the written justification."""
    rule = evaluation.framework.spec.quota
    return bool(rule and rule.exception_ratio is not None)


@transaction.atomic
def evaluation_mark_not_evaluated(
    *, evaluation: Evaluation, expected_version: int, reason: str, maternity: bool = False, actor
) -> Evaluation:
    """Not evaluated this month (never a score of 0). `maternity` marks maternity leave, which the
    annual classification does not count against the months worked (DOMAIN.md section 6)."""
    _require(evaluation, Action.NOT_EVALUATED, actor, expected_version)
    if not reason.strip():
        raise InvalidInput(_("Say why this person is not evaluated this month."), field="reason")
    flags = dict(evaluation.flags or {})
    if maternity:
        flags["maternity"] = True
    else:
        flags.pop("maternity", None)
    return _apply(
        evaluation,
        action=Action.NOT_EVALUATED,
        expected_version=expected_version,
        fields={
            "not_evaluated_reason": reason.strip(),
            "final_total": None,
            "grade": "",
            "decided_at": timezone.now(),
            "decided_by": access.person_for_user(actor),
            "flags": flags,
        },
        actor=actor,
        acting_for=_acting_for(evaluation, actor, "decide"),
        comment=reason,
        changes=_flag_changes(evaluation, flags),
    )


@transaction.atomic
def unit_period_publish(*, unit: OrgUnit, period: Period, exception_reason: str = "", actor) -> UnitPublication:
    """Publish a decision unit's month: refused while forms are pending or the quota is exceeded."""
    forms = list(
        selectors.current_forms(period=period)
        .filter(decision_unit=unit)
        .select_related("framework", "person", "position")
    )
    memo = access.ChainMemo(selectors.reference_date(period))
    forms = [f for f in forms if not f.decided_outside_the_system]
    if not forms:
        raise InvalidInput(_("There is nothing to publish for this unit and month."))
    decider = access.person_for_user(actor)
    if any(not access.can_decide(actor, f.person, memo.on, memo=memo) for f in forms):
        raise NotAllowed(_("Only the head who decides this unit's forms may publish them."))
    if UnitPublication.objects.filter(period=period, unit=unit).exists():
        raise Conflict(_("This unit's month is already published."))
    pending = [f for f in forms if f.status not in (Status.DECIDED, Status.NOT_EVALUATED)]
    if pending:
        raise Conflict(
            _("%(n)d forms are not decided yet: %(names)s")
            % {"n": len(pending), "names": _names(sorted(f.person.full_name for f in pending))},
            details=[f.pk for f in pending],
        )
    summary = {}
    for framework_id in {f.framework_id for f in forms}:
        group = [f for f in forms if f.framework_id == framework_id]
        rule = group[0].framework.spec.quota
        if rule is None:
            continue
        rows = [(f.similar_task_group, f.grade or None) for f in group]
        report = kpi_quota.check_quota_scopes(rule, rows)
        if not report.ok:
            with_exception = kpi_quota.check_quota_scopes(rule, rows, exception=True) if rule.exception_ratio else None
            if with_exception is None or not with_exception.ok:
                raise QuotaExceeded(
                    _("The quota of %(grade)s is exceeded: %(who)s")
                    % {"grade": rule.grade, "who": selectors.over_quota_names(group, rule)},
                    details=selectors.quota_summary(report),
                )
            if rule.exception_requires_justification and not exception_reason.strip():
                raise QuotaExceeded(
                    _("More than the usual share got %(grade)s: the exception needs a written justification.")
                    % {"grade": rule.grade},
                    field="exception_reason",
                    details=selectors.quota_summary(report),
                )
            report = with_exception
        summary[group[0].framework.code] = selectors.quota_summary(report)
    today = timezone.localdate()
    deadline = add_working_days(today, period.complaint_days)
    publication = UnitPublication.objects.create(
        period=period,
        unit=unit,
        published_by=decider,
        exception_reason=exception_reason.strip(),
        quota=summary,
        complaint_deadline=deadline,
    )
    now = timezone.now()
    for form in forms:
        _apply(
            form,
            action=Action.PUBLISH,
            expected_version=form.version,
            fields={"published_at": now, "complaint_deadline": deadline},
            actor=actor,
            comment=exception_reason,
        )
        notify_person(
            form.person,
            key=f"published-{form.pk}",
            message=_("Your result for %(period)s is published. Acknowledge it, or file a complaint by %(date)s.")
            % {"period": period, "date": deadline.strftime("%d/%m/%Y")},
            url=f"/evaluations/{form.pk}/",
        )
    return publication


def _names(names: list[str], shown: int = 20) -> str:
    """The first names and how many more: "A, B, … và 8 người khác"."""
    text = ", ".join(names[:shown])
    if len(names) > shown:
        text += " " + _("and %(n)d more") % {"n": len(names) - shown}
    return text


# --- After publication: acknowledgement, complaints, lock ------------------------------------------


@transaction.atomic
def evaluation_acknowledge(*, evaluation: Evaluation, expected_version: int, actor) -> Evaluation:
    _require(evaluation, Action.ACKNOWLEDGE, actor, expected_version)
    if evaluation.acknowledged_at:
        return evaluation
    return _apply(
        evaluation,
        action=Action.ACKNOWLEDGE,
        expected_version=expected_version,
        fields={"acknowledged_at": timezone.now()},
        actor=actor,
    )


def complaint_handler(evaluation: Evaluation):
    """The level above the decider; at the top of the tree, where there is none, the decider
    reconsiders the decision (as a first complaint is handled under the Law on Complaints)."""
    if evaluation.decided_by is None:
        return None
    chain = access.evaluation_chain(evaluation.decided_by, selectors.reference_date(evaluation.period))
    return (chain.decider if chain else None) or evaluation.decided_by


@transaction.atomic
def complaint_file(*, evaluation: Evaluation, expected_version: int, reason: str, actor) -> Complaint:
    """A complaint within the window goes to the level above the decider."""
    _require(evaluation, Action.COMPLAIN, actor, expected_version)
    if not reason.strip():
        raise InvalidInput(_("Say what the complaint is about."), field="reason")
    if evaluation.complaint_deadline and timezone.localdate() > evaluation.complaint_deadline:
        raise Conflict(
            _("The complaint window closed on %(date)s.") % {"date": evaluation.complaint_deadline.strftime("%d/%m/%Y")}
        )
    if evaluation.complaints.filter(outcome=Complaint.Outcome.OPEN).exists():
        raise Conflict(_("A complaint about this result is already open."))
    handler = complaint_handler(evaluation)
    if handler is None:
        raise Conflict(_("Nobody can handle a complaint about this result: it has no recorded decider."))
    complaint = Complaint.objects.create(
        evaluation=evaluation, filed_by=evaluation.person, reason=reason.strip(), handler=handler
    )
    _apply(
        evaluation,
        action=Action.COMPLAIN,
        expected_version=expected_version,
        fields={},
        actor=actor,
        comment=reason.strip(),
    )
    notify_person(
        handler,
        key=f"complaint-{complaint.pk}",
        message=_("%(person)s filed a complaint about the result of %(period)s.")
        % {"person": evaluation.person.full_name, "period": evaluation.period},
        url=f"/evaluations/{evaluation.pk}/",
    )
    return complaint


@transaction.atomic
def complaint_resolve(
    *,
    complaint: Complaint,
    outcome: str,
    resolution: str,
    points: dict | None = None,
    task_results: dict | None = None,
    flags: dict | None = None,
    actor,
) -> Complaint:
    """Uphold the result, or revise it: a new revision (final at once); the old one stays as it was.
    A revision may also correct the override inputs (`flags`, as at a decision)."""
    person = access.person_for_user(actor)
    if complaint.handler_id is None or person is None or person.pk != complaint.handler_id:
        raise NotAllowed(_("Only the level above the decider handles this complaint."))
    # Read again under a row lock: of two handlers' tabs resolving at once, the second sees it handled.
    complaint = Complaint.objects.select_for_update().select_related("evaluation").get(pk=complaint.pk)
    if complaint.outcome != Complaint.Outcome.OPEN:
        raise Conflict(_("This complaint was already handled."))
    if not resolution.strip():
        raise InvalidInput(_("Write the outcome of the complaint."), field="resolution")
    original = complaint.evaluation
    now = timezone.now()
    if outcome == Complaint.Outcome.UPHELD:
        Complaint.objects.filter(pk=complaint.pk).update(
            outcome=outcome, resolution=resolution.strip(), resolved_at=now
        )
        # The result stays as it is; the history says who upheld it and why.
        EvaluationHistory.objects.create(
            evaluation=original,
            actor=actor,
            action=UPHOLD,
            from_status=original.status,
            to_status=original.status,
            comment=resolution.strip(),
            changes={"complaint": complaint.pk},
        )
    elif outcome == Complaint.Outcome.REVISED:
        if points is None:
            raise InvalidInput(_("A revised result needs the points."), field="points")
        new_flags = _merged_flags(original, flags)
        result = _score(original, points=points, task_results=task_results, partial=False, flags=new_flags)
        revision = _copy_revision(original)
        if new_flags is not None:
            revision.flags = new_flags
        revision.final_points = _decimal_points(points)
        revision.final_task_results = task_results or {}
        revision.final_total = result.total
        revision.grade = result.grade
        revision.overrides = [list(o) for o in result.overrides]
        revision.decided_by, revision.decided_at, revision.locked_at = person, now, now
        revision.status = Status.LOCKED
        revision.save()
        EvaluationHistory.objects.create(
            evaluation=revision,
            actor=actor,
            action=Action.REVISE,
            from_status=original.status,
            to_status=Status.LOCKED,
            comment=resolution.strip(),
            changes={
                "supersedes": original.pk,
                **_points_changes(original.final_points, revision.final_points),
                **_flag_changes(original, new_flags),
            },
        )
        Complaint.objects.filter(pk=complaint.pk).update(
            outcome=outcome, resolution=resolution.strip(), resolved_at=now, revision=revision
        )
    else:
        raise InvalidInput(_("Unknown outcome %(outcome)s.") % {"outcome": outcome}, field="outcome")
    complaint.refresh_from_db()
    notify_person(
        original.person,
        key=f"complaint-{complaint.pk}-resolved",
        message=_("Your complaint about %(period)s was handled: %(outcome)s")
        % {"period": original.period, "outcome": complaint.get_outcome_display()},
        url=f"/evaluations/{(complaint.revision or original).pk}/",
    )
    return complaint


def _copy_revision(original: Evaluation) -> Evaluation:
    snapshot = [
        "period", "person", "unit", "unit_code", "unit_name", "position", "position_title", "subject_group",
        "similar_task_group", "decision_unit", "framework", "variant", "self_points", "self_task_results",
        "self_total", "self_grade", "review_points", "review_task_results", "review_total", "review_grade",
        "flags", "note", "tasks", "no_self_assessment", "submitted_at", "reviewed_at", "reviewed_by",
        "published_at", "complaint_deadline", "acknowledged_at",
    ]  # fmt: skip
    latest = selectors.current_forms(period=original.period).get(person=original.person)
    return Evaluation(
        **{name: getattr(original, name) for name in snapshot},
        revision=latest.revision + 1,
        supersedes=latest,
    )


def period_lock_due(*, today: date | None = None) -> int:
    """Lock every published form whose complaint window has passed and has no open complaint.

    Idempotent; a stale or concurrent run only ever finds fewer forms to lock.
    """
    today = today or timezone.localdate()
    open_complaints = Complaint.objects.filter(outcome=Complaint.Outcome.OPEN).values("evaluation_id")
    due = Evaluation.objects.filter(status=Status.PUBLISHED, complaint_deadline__lt=today).exclude(
        pk__in=open_complaints
    )
    locked = 0
    for pk, version in due.values_list("pk", "version").iterator(chunk_size=2000):
        with transaction.atomic():
            if Evaluation.objects.filter(pk=pk, status=Status.PUBLISHED, version=version).update(
                status=Status.LOCKED, version=version + 1, locked_at=timezone.now()
            ):
                EvaluationHistory.objects.create(
                    evaluation_id=pk, action=Action.LOCK, from_status=Status.PUBLISHED, to_status=Status.LOCKED
                )
                locked += 1
    return locked


# --- Evidence ------------------------------------------------------------------------------------


@transaction.atomic
def attachment_add(*, evaluation: Evaluation, upload, actor) -> Attachment:
    roles = selectors.actor_roles(user=actor, evaluation=evaluation)
    if Actor.EMPLOYEE not in roles and Actor.MANAGER not in roles:
        raise NotAllowed(_("Only the person and their manager add evidence."))
    if evaluation.status not in (Status.DRAFT, Status.RETURNED, Status.SUBMITTED):
        raise Conflict(_("Evidence can only be added before the review."))
    allowed_types = settings.EVIDENCE_CONTENT_TYPES
    if upload.size > settings.EVIDENCE_MAX_BYTES:
        raise InvalidInput(
            _("The file is larger than %(mb)d MB.") % {"mb": settings.EVIDENCE_MAX_BYTES // (1024 * 1024)},
            field="file",
        )
    content_type = (upload.content_type or "").split(";")[0].strip()
    if content_type not in allowed_types:
        raise InvalidInput(
            _("Files of this type are not accepted. Use PDF, JPEG, PNG, Word, Excel or text."), field="file"
        )
    if not _content_matches(upload, content_type):
        raise InvalidInput(
            _("The file's content does not match its type (%(type)s): it may be damaged or renamed.")
            % {"type": content_type},
            field="file",
        )
    name = os.path.basename(upload.name or "evidence")[:200]
    attachment = Attachment(
        evaluation=evaluation, original_name=name, content_type=content_type, size=upload.size, uploaded_by=actor
    )
    # Stored under a random name with the extension of its declared type; the original name is kept.
    attachment.file.save(f"{uuid.uuid4().hex}{allowed_types[content_type]}", upload, save=False)
    attachment.save()
    EvaluationHistory.objects.create(
        evaluation=evaluation,
        actor=actor,
        action="attach",
        from_status=evaluation.status,
        to_status=evaluation.status,
        comment=name,
    )
    return attachment


# The first bytes each accepted type starts with (Word and Excel files are ZIP packages).
_SIGNATURES = {
    "application/pdf": (b"%PDF-",),
    "image/jpeg": (b"\xff\xd8\xff",),
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": (b"PK\x03\x04",),
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": (b"PK\x03\x04",),
}


def _content_matches(upload, content_type: str) -> bool:
    """The browser's declared type is only a claim: check the file's first bytes (text must be UTF-8)."""
    upload.seek(0)
    head = upload.read(8192)
    upload.seek(0)
    if content_type == "text/plain":
        try:
            head.decode("utf-8")
        except UnicodeDecodeError as exc:
            return exc.start >= len(head) - 3  # a character cut at the end of the sample
        return b"\x00" not in head
    signatures = _SIGNATURES.get(content_type)
    return signatures is None or head.startswith(signatures)


# --- Notifications and reminders -------------------------------------------------------------------


def notify_person(person, *, key: str, message: str, url: str = "") -> Notification | None:
    """`notify` the account of `person`, when there is a person and they have an account."""
    if person is None or not person.user_id:
        return None
    return notify(user=person.user, key=key, message=message, url=url)


def notify(*, user, key: str, message: str, url: str = "", email: bool = True) -> Notification | None:
    """One in-app message per (user, key); the e-mail (if any) is sent after the commit."""
    notification, created = Notification.objects.get_or_create(
        user=user, key=key, defaults={"message": message[:500], "url": url}
    )
    if not created:
        return None
    if email and user.email:
        transaction.on_commit(lambda: _send_email(notification.pk))
    return notification


def _send_email(notification_id: int) -> None:
    notification = Notification.objects.select_related("user").get(pk=notification_id)
    if notification.emailed:
        return
    send_mail(
        subject="[DanhGia] " + notification.message[:80],
        message=notification.message + ("\n\n" + notification.url if notification.url else ""),
        from_email=None,
        recipient_list=[notification.user.email],
        fail_silently=True,
    )
    Notification.objects.filter(pk=notification_id).update(emailed=True)


REMINDER_STEPS = (
    # (deadline field, statuses that still owe this step, who owes it)
    ("self_due", (Status.DRAFT, Status.RETURNED), "employee"),
    ("review_due", (Status.SUBMITTED,), "manager"),
    ("decide_due", (Status.DRAFT, Status.RETURNED, Status.SUBMITTED, Status.REVIEWED), "decider"),
)


def reminders_send(*, today: date | None = None) -> int:
    """Remind before each deadline and escalate overdue forms to the manager's manager.

    One message per person per deadline (Notification.key), so running it again sends nothing."""
    today = today or timezone.localdate()
    sent = 0
    for period in Period.objects.filter(state=Period.State.OPEN):
        on = selectors.reference_date(period)
        memo = access.ChainMemo(on)
        for field, statuses, owner in REMINDER_STEPS:
            due = getattr(period, field)
            days_left = (due - today).days
            if days_left > settings.EVALUATION_REMINDER_DAYS_BEFORE:
                continue  # not yet: reminders start a few days before, escalation after the deadline
            forms = (
                selectors.current_forms(period=period)
                .filter(status__in=statuses)
                .select_related("person__user")
                .order_by("pk")
            )
            recipients: dict[int, tuple] = {}
            for form in forms.iterator(chunk_size=1000):
                chain = None if owner == "employee" else access.evaluation_chain(form.person, on, memo=memo)
                person = form.person if owner == "employee" else getattr(chain, owner, None)
                if days_left < 0:
                    # Overdue: tell the manager's manager (the owner's own decider).
                    upper = access.evaluation_chain(person, on, memo=memo) if person else None
                    person = upper.decider if upper else None
                if person is not None and person.user_id:
                    recipients.setdefault(person.pk, (person, []))[1].append(form)
            for person, owed in recipients.values():
                overdue = days_left < 0
                key = f"{period.key}-{field}-{'overdue' if overdue else 'reminder'}"
                if overdue:
                    message = _("%(n)d forms of %(period)s are overdue (%(step)s was due on %(date)s).")
                else:
                    message = _("%(n)d forms of %(period)s need your action by %(date)s (%(step)s).")
                text = message % {
                    "n": len(owed),
                    "period": period,
                    "step": Period._meta.get_field(field).verbose_name,
                    "date": due.strftime("%d/%m/%Y"),
                }
                if notify(user=person.user, key=key, message=text, url="/evaluations/"):
                    sent += 1
    return sent
