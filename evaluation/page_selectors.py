"""Reads the evaluation pages need on top of `evaluation.selectors` (who sees which form stays there).

Each list costs a fixed number of queries whatever its length. The one rule restated here is the
team of a manager (`team_forms`): computing `selectors.actor_roles` per form costs about a dozen
queries each, so the team is taken from the org chart in bulk instead; the test
`tests/evaluation/test_views_queries.py` checks it against `actor_roles` for every persona.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from evaluation import selectors
from evaluation.models import Attachment, Complaint, Evaluation, EvaluationHistory, Notification, Period
from evaluation.workflow import Actor, Status
from kpi import quota as kpi_quota
from kpi import scoring
from kpi.models import FrameworkVersion
from orgchart import access
from orgchart.models import Assignment, OrgUnit, PositionKind, UnitUserObjectPermission, valid_on_q

PERIOD_KEY = re.compile(r"^(\d{4})-(\d{2})$")
DECIDED = (Status.DECIDED, Status.PUBLISHED, Status.LOCKED)

# --- Periods --------------------------------------------------------------------------------------


def latest_open_period() -> Period | None:
    return Period.objects.filter(state=Period.State.OPEN).order_by("-year", "-month").first()


def period_from_key_or_404(key: str | None) -> Period:
    match = PERIOD_KEY.match(key or "")
    period = Period.objects.filter(year=int(match.group(1)), month=int(match.group(2))).first() if match else None
    if period is None:
        raise Http404(_("Month not found."))
    return period


def frameworks_by_id(forms: list[Evaluation]) -> dict[int, FrameworkVersion]:
    """One query for the framework versions of many forms, so each spec is parsed once, not per form."""
    ids = {f.framework_id for f in forms}
    versions = {v.pk: v for v in FrameworkVersion.objects.filter(pk__in=ids)} if ids else {}
    for form in forms:
        form.framework = versions[form.framework_id]
    return versions


# --- The signed-in user's month -------------------------------------------------------------------


def own_form(*, user, period: Period) -> Evaluation | None:
    scope = access.user_scope(user)
    if scope.person_id is None:
        return None
    return selectors.current_forms(period=period).filter(person_id=scope.person_id).select_related("period").first()


def own_past_forms(*, user, exclude_period: Period | None, limit: int = 24) -> list[Evaluation]:
    scope = access.user_scope(user)
    if scope.person_id is None:
        return []
    qs = selectors.current_forms().filter(person_id=scope.person_id).select_related("period")
    if exclude_period is not None:
        qs = qs.exclude(period=exclude_period)
    return list(qs.order_by("-period__year", "-period__month")[:limit])


def decision_units_for(*, user, period: Period, limit: int = 50) -> list[OrgUnit]:
    """Decision units of the month the user may open a unit grid for (their own subtree)."""
    scope = access.user_scope(user)
    if not scope.is_superuser and not scope.view_paths:
        return []
    forms = selectors.current_forms(period=period)
    if not scope.is_superuser:
        condition = Q(pk__in=[])
        for path in scope.view_paths:
            condition |= Q(decision_unit__path__startswith=path)
        forms = forms.filter(condition)
    ids = forms.values("decision_unit_id")
    return list(OrgUnit.objects.filter(pk__in=ids).order_by("path")[:limit])


def may_open_team(user) -> bool:
    scope = access.user_scope(user)
    return bool(scope.headed_unit_ids or scope.grant_paths(access.DELEGATED_REVIEWER))


# --- A manager's team -------------------------------------------------------------------------------


def team_forms(*, user, period: Period) -> list[Evaluation]:
    """The current forms of `period` whose review the user owns (`actor_roles` holds MANAGER).

    `actor_roles` costs about a dozen queries a form, so the usual cases are read from the org chart
    of the month in bulk, mirroring `access.evaluation_chain`: the head (or acting head) of a division
    reviews everyone of it but its heads; the head of an agency reviews the staff of the agency's own
    unit (its deputies and division heads are decided directly, without review); a delegated reviewer
    reviews the subtree of the grant. Only forms of units that have no head at all in the user's
    subtrees (their manager falls back to a head above) are checked with `actor_roles`, once per unit
    and kind of position.
    Never the user's own form.
    """
    scope = access.user_scope(user)
    if scope.user_id is None:
        return []
    on = selectors.reference_date(period)
    headed: dict[int, str] = {}
    if scope.person_id is not None:
        headed.update(
            Assignment.objects.filter(
                valid_on_q(on), person_id=scope.person_id, position__kind=PositionKind.HEAD
            ).values_list("unit_id", "unit__path")
        )
    headed.update(
        UnitUserObjectPermission.objects.filter(
            valid_on_q(on), user_id=scope.user_id, permission__codename=access.ACTING_HEAD
        ).values_list("content_object_id", "content_object__path")
    )
    delegated = () if scope.is_superuser else access.user_scope(user, on).grant_paths(access.DELEGATED_REVIEWER)
    if not headed and not delegated:
        return []
    reviewed = ~Q(position__kind=PositionKind.HEAD) & (
        Q(unit__kind__in=_non_agency_kinds()) | Q(position__kind=PositionKind.STAFF)
    )  # forms with a review step (heads and an agency's deputies are decided directly)
    condition = Q(unit_id__in=list(headed)) & reviewed
    for path in delegated:
        condition |= Q(unit__path__startswith=path) & reviewed
    forms = selectors.current_forms(period=period).exclude(person_id=scope.person_id or 0)
    found = list(
        forms.filter(condition).select_related("person", "period").order_by("unit_code", "person__full_name", "pk")
    )
    if headed:
        found += _headless_unit_forms(user, forms, headed_paths=list(headed.values()), on=on, skip=found)
        found.sort(key=lambda f: (f.unit_code, f.person.full_name, f.pk))
    return found


def _headless_unit_forms(user, forms, *, headed_paths: list[str], on: date, skip: list) -> list[Evaluation]:
    """Forms of units without any head inside the user's subtrees, checked one by one."""
    subtree = Q(pk__in=[])
    for path in headed_paths:
        subtree |= Q(unit__path__startswith=path)
    with_head = Assignment.objects.filter(valid_on_q(on), position__kind=PositionKind.HEAD).filter(subtree)
    acting = UnitUserObjectPermission.objects.filter(valid_on_q(on), permission__codename=access.ACTING_HEAD)
    candidates = (
        forms.filter(subtree)
        .exclude(unit_id__in=with_head.values("unit_id"))
        .exclude(unit_id__in=acting.values("content_object_id"))
        .exclude(pk__in=[f.pk for f in skip])
        .select_related("person", "period", "position")
    )
    # Everyone of one headless unit in one kind of position has the same manager (a head above):
    # one `actor_roles` per (unit, position kind) stands for the group.
    verdicts: dict[tuple[int, str], bool] = {}
    found = []
    for form in candidates:
        key = (form.unit_id, form.position.kind)
        if key not in verdicts:
            verdicts[key] = Actor.MANAGER in selectors.actor_roles(user=user, evaluation=form)
        if verdicts[key]:
            found.append(form)
    return found


def _non_agency_kinds() -> list[str]:
    from orgchart.models import AGENCY_KINDS, UnitKind

    return [k for k in UnitKind.values if k not in AGENCY_KINDS]


# --- A decision unit's month --------------------------------------------------------------------------


def may_see_unit_grid(*, user, unit: OrgUnit) -> bool:
    """The decider, and the managers, HR officers and auditors of the unit's subtree (read-only)."""
    scope = access.user_scope(user)
    return scope.covers(unit.path, scope.view_paths)


def unit_grid_forms(*, unit: OrgUnit, period: Period) -> list[Evaluation]:
    forms = list(
        selectors.current_forms(period=period)
        .filter(decision_unit=unit)
        .select_related("person", "period", "position")
        .order_by("unit_code", "person__full_name", "pk")
    )
    frameworks_by_id(forms)
    return [f for f in forms if not f.decided_outside_the_system]


def user_decides(*, user, forms: list[Evaluation], period: Period) -> bool:
    """Whether the user decides the forms of a decision unit (one of them stands for all: the
    decider is the head of the decision unit, or an acting head of it). The services check each."""
    scope = access.user_scope(user)
    other = next((f for f in forms if f.person_id != scope.person_id), None)
    if other is None:
        return False
    return access.can_decide(user, other.person, selectors.reference_date(period))


@dataclass
class QuotaScope:
    label: str
    allowed: int
    allowed_with_exception: int | None
    count: int
    base: int
    ok: bool


@dataclass
class QuotaUse:
    framework: str
    grade: str
    grade_label: str
    ratio: Decimal
    exception_ratio: Decimal | None
    decided: int
    total: int
    scopes: list[QuotaScope] = dataclasses.field(default_factory=list)
    over: list[str] = dataclasses.field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(s.ok for s in self.scopes)


def quota_use(forms: list[Evaluation]) -> list[QuotaUse]:
    """Live quota use per framework, counted the way deciding checks it: forms not decided yet count
    as rated (and, where the base is a grade, as that grade); `not_evaluated` forms do not count."""
    uses = []
    by_framework: dict[int, list[Evaluation]] = {}
    for form in forms:
        by_framework.setdefault(form.framework_id, []).append(form)
    for group in by_framework.values():
        spec = group[0].framework.spec
        rule = spec.quota
        if rule is None:
            continue
        undecided = rule.base_grade or selectors.UNDECIDED
        rows = []
        for f in group:
            if f.status == Status.NOT_EVALUATED or (f.status in DECIDED and not f.grade):
                continue
            rows.append((f.similar_task_group or None, f.grade if f.status in DECIDED else undecided))
        report = kpi_quota.check_quota_scopes(rule, rows)
        relaxed = kpi_quota.check_quota_scopes(rule, rows, exception=True) if rule.exception_ratio else None
        scopes = []
        if report.unit is not None:
            scopes.append(_scope(_("Whole unit"), report.unit, relaxed.unit if relaxed else None))
        for label, result in sorted(report.groups.items(), key=lambda item: str(item[0])):
            scopes.append(_scope(str(label), result, relaxed.groups.get(label) if relaxed else None))
        uses.append(
            QuotaUse(
                framework=spec.code,
                grade=rule.grade,
                grade_label=_band_label(spec, rule.grade),
                ratio=rule.ratio,
                exception_ratio=rule.exception_ratio,
                decided=sum(1 for f in group if f.status in DECIDED or f.status == Status.NOT_EVALUATED),
                total=len(group),
                scopes=scopes,
                over=sorted(f.person.full_name for f in group if f.status in DECIDED and f.grade == rule.grade)
                if not report.ok
                else [],
            )
        )
    return sorted(uses, key=lambda u: u.framework)


def _scope(label: str, result, relaxed) -> QuotaScope:
    return QuotaScope(
        label=label,
        allowed=result.allowed,
        allowed_with_exception=relaxed.allowed if relaxed is not None else None,
        count=result.count,
        base=result.base,
        ok=result.ok,
    )


def _band_label(spec, code: str) -> str:
    try:
        return spec.band(code).label_vi
    except KeyError:
        return ""


def publication_of(*, unit: OrgUnit, period: Period):
    from evaluation.models import UnitPublication

    return UnitPublication.objects.filter(unit=unit, period=period).select_related("published_by").first()


def published_results(*, user, unit: OrgUnit, period: Period) -> list[Evaluation]:
    """The published results of a decision unit's month the user may see (their own unit's people
    and whatever their subtree covers), current revisions only."""
    return list(
        selectors.evaluations_visible_to(user, period=period)
        .filter(decision_unit=unit, status__in=[Status.PUBLISHED, Status.LOCKED])
        .select_related("person", "unit")
        .order_by("unit_code", "person__full_name", "pk")
    )


# --- One form ---------------------------------------------------------------------------------------


def sees_everything(*, user, evaluation: Evaluation, roles) -> bool:
    """The person, their reviewer and decider, and whoever manages or holds a grant on the subtree see
    the evidence, notes and history; colleagues who see a published result see the result only."""
    if roles:
        return True
    scope = access.user_scope(user)
    if scope.person_id is not None and scope.person_id == evaluation.person_id:
        return True
    unit_path = evaluation.unit.path
    decision_path = evaluation.decision_unit.path
    return scope.covers(unit_path, scope.view_paths) or scope.covers(decision_path, scope.view_paths)


def form_revisions(evaluation: Evaluation) -> list[Evaluation]:
    return list(
        Evaluation.objects.filter(period_id=evaluation.period_id, person_id=evaluation.person_id)
        .only("pk", "revision", "status", "final_total", "grade", "supersedes_id", "created_at")
        .order_by("revision")
    )


def form_history(revision_ids: list[int]) -> QuerySet[EvaluationHistory]:
    return (
        EvaluationHistory.objects.filter(evaluation_id__in=revision_ids)
        .select_related("actor__person", "acting_for")
        .order_by("at", "pk")
    )


def form_attachments(revision_ids: list[int]) -> QuerySet[Attachment]:
    return Attachment.objects.filter(evaluation_id__in=revision_ids).select_related("uploaded_by__person")


def form_complaints(revision_ids: list[int]) -> QuerySet[Complaint]:
    return Complaint.objects.filter(evaluation_id__in=revision_ids).select_related("handler", "revision")


def complaint_to_handle(*, user, revision_ids: list[int]) -> Complaint | None:
    """The open complaint about this form that `user` (the level above the decider) handles."""
    scope = access.user_scope(user)
    if scope.person_id is None:
        return None
    return (
        Complaint.objects.filter(
            evaluation_id__in=revision_ids, outcome=Complaint.Outcome.OPEN, handler_id=scope.person_id
        )
        .select_related("evaluation")
        .first()
    )


def complaint_or_404(*, evaluation: Evaluation, complaint_id: int) -> Complaint:
    """A complaint about any revision of this form (the form was fetched through the access helper)."""
    revision_ids = [r.pk for r in form_revisions(evaluation)]
    complaint = Complaint.objects.filter(pk=complaint_id, evaluation_id__in=revision_ids).first()
    if complaint is None:
        raise Http404(_("Complaint not found."))
    return complaint


def attachment_or_404(*, evaluation: Evaluation, attachment_id: int) -> Attachment:
    """An attachment of any revision of the form's person and month."""
    attachment = (
        Attachment.objects.filter(
            pk=attachment_id,
            evaluation__period_id=evaluation.period_id,
            evaluation__person_id=evaluation.person_id,
        )
        .only("pk", "file", "original_name", "content_type")
        .first()
    )
    if attachment is None:
        raise Http404(_("File not found."))
    return attachment


# --- The running total -----------------------------------------------------------------------------


@dataclass
class Preview:
    total: Decimal | None
    grade: str = ""
    grade_label: str = ""
    grade_by_points: str = ""
    complete: bool = False
    error: str = ""
    error_field: str = ""
    groups: list[tuple[str, Decimal]] = dataclasses.field(default_factory=list)
    overrides: list[str] = dataclasses.field(default_factory=list)


def score_preview(
    evaluation: Evaluation, *, points: dict, task_results: dict | None, flags: dict | None = None
) -> Preview:
    """What the points would give, with the same engine as the services (nothing is stored);
    `flags`: the override inputs as typed (default: the form's)."""
    spec = evaluation.framework.spec
    errors = scoring.points_errors(spec, variant=evaluation.variant, points=points)
    invalid = [e for e in errors if e.field in points]
    entered = [scoring.to_decimal(v) for code, v in points.items() if code not in {e.field for e in invalid}]
    partial = scoring.quantize_score(sum((v for v in entered if v is not None), Decimal(0)))
    if invalid:
        return Preview(total=partial, error=str(invalid[0]), error_field=invalid[0].field)
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
    except scoring.ScoringError:
        return Preview(total=partial)
    return Preview(
        total=result.total,
        grade=result.grade,
        grade_label=_band_label(spec, result.grade),
        grade_by_points=result.grade_before_overrides,
        complete=True,
        groups=list(result.groups.items()),
        overrides=[reason for _rule, reason in result.overrides],
    )


# --- Notifications ---------------------------------------------------------------------------------


def notifications_for(user) -> QuerySet[Notification]:
    return Notification.objects.filter(user=user).order_by("-created_at", "-pk")


def unread_count(user) -> int:
    return Notification.objects.filter(user=user, read_at__isnull=True).count()


def today() -> date:
    return timezone.localdate()


# --- Periods (HR) ---------------------------------------------------------------------------------


def periods_with_history(limit: int = 24) -> list[dict]:
    """The latest months with their form counts and what HR did to them (two queries in all)."""
    from django.db.models import Count

    from orgchart.models import AuditEvent

    periods = list(Period.objects.annotate(forms=Count("evaluations")).order_by("-year", "-month")[:limit])
    events: dict[str, list] = {}
    for event in AuditEvent.objects.filter(
        object_type="Period", object_id__in=[str(p.pk) for p in periods]
    ).select_related("actor"):
        event.display_changes = [
            (PERIOD_FIELD_LABELS.get(name, name), _period_value(old), _period_value(new))
            for name, (old, new) in (event.changes or {}).items()
        ]
        events.setdefault(event.object_id, []).append(event)
    return [{"period": p, "events": events.get(str(p.pk), [])} for p in periods]


PERIOD_FIELD_LABELS = {
    "self_due": _lazy("Self-assessment due"),
    "review_due": _lazy("Review due"),
    "decide_due": _lazy("Decision due"),
    "state": _lazy("state"),
}


def _period_value(value) -> str:
    """An audited value of a period as people read it: 03/12/2025, "Đang mở"."""
    if value in Period.State.values:
        return str(Period.State(value).label)
    try:
        return date.fromisoformat(str(value)).strftime("%d/%m/%Y")
    except ValueError:
        return str(value)


def review_skipped(evaluation: Evaluation) -> bool:
    """No separate review for this form: it goes straight to the decider (DOMAIN.md section 2)."""
    chain = access.evaluation_chain(evaluation.person, selectors.reference_date(evaluation.period))
    return chain is not None and chain.review_skipped
