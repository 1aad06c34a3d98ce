"""API v1 endpoints of the monthly cycle (DOMAIN.md section 4): the same selectors and services as
the pages.

Errors: 400 for bad input (`{"detail", "field"}`, also for what ninja's own validation refuses),
404 for a form or unit the caller may not see, 403 for a step the caller may see but not take, 409
for a stale version, a wrong status or an exceeded quota (`details` carries the quota summary).
Every write takes an optional `version` (default: the form's version as loaded) as the optimistic lock.
"""

from __future__ import annotations

import json
import re
from datetime import date, datetime
from functools import wraps
from typing import Any

from django.db.models import Q
from django.http import Http404, JsonResponse
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema
from pydantic import StrictBool, StrictFloat

from evaluation import page_selectors, selectors, services, workflow
from evaluation.models import Evaluation, Period, result_withheld
from evaluation.workflow import Status
from kpi import scoring
from orgchart import access

router = Router(tags=["evaluation"])

PERIOD_KEY = re.compile(r"^(\d{4})-(\d{2})$")
LIST_LIMIT_DEFAULT, LIST_LIMIT_MAX = 100, 1000

# --- Schemas ------------------------------------------------------------------------------------

Points = dict[str, StrictFloat]  # StrictFloat accepts JSON integers, refuses strings and booleans
Shares = dict[str, StrictFloat | StrictBool]  # shares 0–1; an ND 335 leader adds organising and a True/False
Flags = dict[str, StrictFloat | StrictBool | None]  # override inputs: attendance share, discipline…; None clears


class ErrorOut(Schema):
    detail: str
    field: str | None = None
    details: Any = None


class PersonRef(Schema):
    id: int
    full_name: str


class UnitRef(Schema):
    code: str
    name: str


class EvaluationItem(Schema):
    id: int
    person: PersonRef
    unit: str
    period: str
    framework: str
    status: str
    self_total: float | None
    review_total: float | None
    final_total: float | None
    grade: str
    result_withheld: bool = Field(
        False, description="The caller's own decided form: the result is shown once the unit's month is published."
    )


class EvaluationList(Schema):
    count: int
    items: list[EvaluationItem]


class CriterionOut(Schema):
    code: str
    name: str
    max_points: float
    self_points: float | None
    review_points: float | None
    final_points: float | None


class TaskResultsOut(Schema):
    self: dict[str, Any]
    review: dict[str, Any]
    final: dict[str, Any]


class OverrideOut(Schema):
    id: str
    reason: str


class HistoryOut(Schema):
    """`from` and `to` are Python keywords: the operations that return it serialise by alias."""

    at: datetime
    actor: str | None
    action: str
    from_status: str = Field(alias="from")
    to_status: str = Field(alias="to")
    comment: str


class EvaluationOut(Schema):
    id: int
    person: PersonRef
    period: str
    framework: str
    variant: str
    status: str
    version: int
    unit: UnitRef
    position: str
    criteria: list[CriterionOut]
    task_results: TaskResultsOut
    self_total: float | None
    review_total: float | None
    final_total: float | None
    grade: str
    result_withheld: bool = Field(
        False, description="The caller's own decided form: the result is shown once the unit's month is published."
    )
    overrides: list[OverrideOut]
    no_self_assessment: bool
    not_evaluated_reason: str
    note: str
    history: list[HistoryOut]
    revision: int
    supersedes: int | None
    actions: list[str]


class VersionIn(Schema):
    version: int | None = None


class SelfAssessmentIn(VersionIn):
    points: Points
    task_results: Shares | None = None
    note: str = ""


class ReviewIn(VersionIn):
    points: Points
    task_results: Shares | None = None
    comment: str = ""
    flags: Flags | None = None


class DecideIn(VersionIn):
    points: Points | None = None
    task_results: Shares | None = None
    comment: str = ""
    flags: Flags | None = None


class ReasonIn(VersionIn):
    reason: str = ""


class NotEvaluatedIn(ReasonIn):
    maternity: bool = False


class ResolveIn(Schema):
    outcome: str = Field(..., description="upheld | revised")
    resolution: str = ""
    points: Points | None = None
    task_results: Shares | None = None
    flags: Flags | None = None


class ComplaintOut(Schema):
    id: int
    evaluation: int
    outcome: str
    resolution: str
    revision: int | None


class PublishIn(Schema):
    exception_reason: str = ""


class PublicationOut(Schema):
    unit: str
    period: str
    count: int
    quota: dict[str, Any]
    complaint_deadline: date


class ListFilters(Schema):
    period: str | None = None
    unit: str | None = None
    status: str | None = None
    limit: int = Field(LIST_LIMIT_DEFAULT, ge=1, le=LIST_LIMIT_MAX)
    offset: int = Field(0, ge=0)


ERRORS = {400: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut}
WRITE_RESPONSES = {200: EvaluationOut, **ERRORS}

# --- Errors: one mapping for every endpoint of this router ------------------------------------------


def _error(status: int, detail: str, *, field: str | None = None, details: Any = None) -> JsonResponse:
    body = {"detail": str(detail), "field": field, "details": details}
    return JsonResponse(body, status=status, json_dumps_params={"ensure_ascii": False})


def _domain_errors(view):
    """Services' errors and 404s as JSON with the status the issue asks for."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except services.WorkflowError as exc:
            return _error(exc.status_code, exc.message, field=exc.field, details=exc.details)
        except Http404 as exc:
            return _error(404, str(exc) or _("Not found."))

    return wrapper


def _validation_as_400(run):
    """Ninja's own refusals (422 `{"detail": [...]}`, 400 for a body that is not JSON) become 400
    `{"detail", "field"}` naming the first field at fault."""

    @wraps(run)
    def wrapper(request, *args, **kwargs):
        response = run(request, *args, **kwargs)
        if getattr(response, "status_code", None) not in (400, 422):
            return response
        try:
            body = json.loads(response.content)
        except ValueError:
            return response
        if not isinstance(body, dict) or "field" in body:
            return response  # already ours
        errors = body.get("detail")
        if not isinstance(errors, list) or not errors or not isinstance(errors[0], dict):
            return _error(400, str(errors or _("The request is not valid.")), field="body")
        first = errors[0]
        loc = [str(part) for part in first.get("loc", [])]
        # ("body", "payload", "points", "NV1") → "points.NV1"; ("query", "limit") → "limit"
        path = loc[2:] if loc[:1] == ["body"] else loc[1:]
        field = (".".join(path) or loc[0]) if loc else None
        message = first.get("msg", "")
        detail = _("%(field)s: %(message)s") % {"field": field, "message": message} if field else message
        return _error(400, detail, field=field, details=errors)

    return wrapper


router.add_decorator(_domain_errors, mode="operation")
router.add_decorator(_validation_as_400, mode="view")

# --- Helpers ------------------------------------------------------------------------------------------


def _number(value) -> float | None:
    if value is None or value == "":
        return None
    number = scoring.to_decimal(value)
    return float(number) if number is not None else None


def _period_from_key(key: str, *, field: str = "period") -> tuple[int, int]:
    match = PERIOD_KEY.match(key or "")
    if not match or not 1 <= int(match.group(2)) <= 12:
        raise services.InvalidInput(
            _("%(field)s must be a month written YYYY-MM, e.g. 2025-11.") % {"field": field}, field=field
        )
    return int(match.group(1)), int(match.group(2))


def _evaluation_detail(request, evaluation: Evaluation) -> dict:
    spec = evaluation.framework.spec
    withheld = evaluation.result_withheld_from(access.user_scope(request.user).person_id)
    final_points = {} if withheld else evaluation.final_points
    criteria = []
    for criterion in scoring.criteria_for(spec, evaluation.variant):
        criteria.append(
            {
                "code": criterion.code,
                "name": criterion.name_vi,
                "max_points": float(criterion.max_points),
                "self_points": _number(evaluation.self_points.get(criterion.code)),
                "review_points": _number(evaluation.review_points.get(criterion.code)),
                "final_points": _number(final_points.get(criterion.code)),
            }
        )
    history = [
        {
            "at": h.at,
            "actor": h.actor.get_username() if h.actor_id else None,
            "action": h.action,
            "from": h.from_status,
            "to": h.to_status,
            "comment": h.comment,
        }
        for h in evaluation.history.select_related("actor").order_by("at", "pk")
        if not (withheld and h.to_status == Status.DECIDED)
    ]
    roles = selectors.actor_roles(user=request.user, evaluation=evaluation)
    return {
        "id": evaluation.pk,
        "person": {"id": evaluation.person_id, "full_name": evaluation.person.full_name},
        "period": evaluation.period.key,
        "framework": evaluation.framework.code,
        "variant": evaluation.variant,
        "status": evaluation.status,
        "version": evaluation.version,
        "unit": {"code": evaluation.unit_code, "name": evaluation.unit_name},
        "position": evaluation.position_title,
        "criteria": criteria,
        "task_results": {
            "self": evaluation.self_task_results or {},
            "review": evaluation.review_task_results or {},
            "final": {} if withheld else evaluation.final_task_results or {},
        },
        "self_total": _number(evaluation.self_total),
        "review_total": _number(evaluation.review_total),
        "final_total": None if withheld else _number(evaluation.final_total),
        "grade": "" if withheld else evaluation.grade,
        "result_withheld": withheld,
        "overrides": [] if withheld else [{"id": str(r), "reason": str(why)} for r, why in evaluation.overrides],
        "no_self_assessment": evaluation.no_self_assessment,
        "not_evaluated_reason": evaluation.not_evaluated_reason,
        "note": evaluation.note,
        "history": history,
        "revision": evaluation.revision,
        "supersedes": evaluation.supersedes_id,
        "actions": [str(a) for a in workflow.available_actions(Status(evaluation.status), roles)],
    }


def _load(request, evaluation_id: int) -> Evaluation:
    return selectors.get_evaluation_or_404(request.user, evaluation_id)


def _fresh(request, evaluation: Evaluation) -> dict:
    return _evaluation_detail(request, _load(request, evaluation.pk))


def _version(payload: VersionIn | None, evaluation: Evaluation) -> int:
    return payload.version if payload is not None and payload.version is not None else evaluation.version


# --- Reads ---------------------------------------------------------------------------------------------


@router.get("/evaluations", response={200: EvaluationList, **ERRORS})
def evaluation_list(request, filters: Query[ListFilters]):
    """The current forms the caller may open; `count` is the total, `items` one page of it."""
    period = None
    qs = selectors.evaluations_visible_to(request.user)
    if filters.period is not None:
        year, month = _period_from_key(filters.period)
        period = Period.objects.filter(year=year, month=month).first()
        if period is None:
            return {"count": 0, "items": []}
        qs = qs.filter(period=period)
    if filters.unit:
        unit = access.get_unit_or_404(request.user, filters.unit)
        qs = qs.filter(Q(unit__path__startswith=unit.path) | Q(decision_unit__path__startswith=unit.path))
    if filters.status:
        if filters.status not in set(Status):
            raise services.InvalidInput(
                _("Unknown status %(status)s (one of %(choices)s).")
                % {"status": filters.status, "choices": ", ".join(Status)},
                field="status",
            )
        qs = qs.filter(status=filters.status)
    rows = qs.order_by("-period__year", "-period__month", "unit_code", "person__full_name", "pk").values(
        "pk",
        "person_id",
        "person__full_name",
        "unit_code",
        "period__year",
        "period__month",
        "framework__code",
        "status",
        "self_total",
        "review_total",
        "final_total",
        "grade",
    )
    page = rows[filters.offset : filters.offset + filters.limit]
    me = access.user_scope(request.user).person_id
    return {
        "count": qs.count(),
        "items": [
            {
                "id": r["pk"],
                "person": {"id": r["person_id"], "full_name": r["person__full_name"]},
                "unit": r["unit_code"],
                "period": f"{r['period__year']}-{r['period__month']:02d}",
                "framework": r["framework__code"],
                "status": r["status"],
                "self_total": _number(r["self_total"]),
                "review_total": _number(r["review_total"]),
                **(
                    {"final_total": None, "grade": "", "result_withheld": True}  # until published
                    if result_withheld(status=r["status"], subject_id=r["person_id"], viewer_id=me)
                    else {"final_total": _number(r["final_total"]), "grade": r["grade"]}
                ),
            }
            for r in page
        ],
    }


@router.get("/evaluations/{evaluation_id}", response={200: EvaluationOut, **ERRORS}, by_alias=True)
def evaluation_detail(request, evaluation_id: int):
    return _evaluation_detail(request, _load(request, evaluation_id))


# --- Writes: one service call each ----------------------------------------------------------------------


@router.put("/evaluations/{evaluation_id}/self-assessment", response=WRITE_RESPONSES, by_alias=True)
def evaluation_self_assessment(request, evaluation_id: int, payload: SelfAssessmentIn):
    evaluation = _load(request, evaluation_id)
    evaluation = services.evaluation_save_self(
        evaluation=evaluation,
        expected_version=_version(payload, evaluation),
        points=payload.points,
        task_results=payload.task_results,
        note=payload.note,
        actor=request.user,
    )
    return _fresh(request, evaluation)


@router.post("/evaluations/{evaluation_id}/submit", response=WRITE_RESPONSES, by_alias=True)
def evaluation_submit(request, evaluation_id: int, payload: VersionIn | None = None):
    evaluation = _load(request, evaluation_id)
    evaluation = services.evaluation_submit(
        evaluation=evaluation, expected_version=_version(payload, evaluation), actor=request.user
    )
    return _fresh(request, evaluation)


@router.put("/evaluations/{evaluation_id}/review", response=WRITE_RESPONSES, by_alias=True)
def evaluation_review(request, evaluation_id: int, payload: ReviewIn):
    evaluation = _load(request, evaluation_id)
    evaluation = services.evaluation_review(
        evaluation=evaluation,
        expected_version=_version(payload, evaluation),
        points=payload.points,
        task_results=payload.task_results,
        comment=payload.comment,
        flags=payload.flags,
        actor=request.user,
    )
    return _fresh(request, evaluation)


@router.post("/evaluations/{evaluation_id}/return", response=WRITE_RESPONSES, by_alias=True)
def evaluation_return(request, evaluation_id: int, payload: ReasonIn):
    evaluation = _load(request, evaluation_id)
    evaluation = services.evaluation_return(
        evaluation=evaluation,
        expected_version=_version(payload, evaluation),
        reason=payload.reason,
        actor=request.user,
    )
    return _fresh(request, evaluation)


@router.post("/evaluations/{evaluation_id}/decide", response=WRITE_RESPONSES, by_alias=True)
def evaluation_decide(request, evaluation_id: int, payload: DecideIn | None = None):
    evaluation = _load(request, evaluation_id)
    payload = payload or DecideIn()
    evaluation = services.evaluation_decide(
        evaluation=evaluation,
        expected_version=_version(payload, evaluation),
        points=payload.points,
        task_results=payload.task_results,
        comment=payload.comment,
        flags=payload.flags,
        actor=request.user,
    )
    return _fresh(request, evaluation)


@router.post("/evaluations/{evaluation_id}/not-evaluated", response=WRITE_RESPONSES, by_alias=True)
def evaluation_not_evaluated(request, evaluation_id: int, payload: NotEvaluatedIn):
    evaluation = _load(request, evaluation_id)
    evaluation = services.evaluation_mark_not_evaluated(
        evaluation=evaluation,
        expected_version=_version(payload, evaluation),
        reason=payload.reason,
        maternity=payload.maternity,
        actor=request.user,
    )
    return _fresh(request, evaluation)


@router.post("/evaluations/{evaluation_id}/acknowledge", response=WRITE_RESPONSES, by_alias=True)
def evaluation_acknowledge(request, evaluation_id: int, payload: VersionIn | None = None):
    evaluation = _load(request, evaluation_id)
    evaluation = services.evaluation_acknowledge(
        evaluation=evaluation, expected_version=_version(payload, evaluation), actor=request.user
    )
    return _fresh(request, evaluation)


@router.post("/evaluations/{evaluation_id}/complaints", response=WRITE_RESPONSES, by_alias=True)
def evaluation_complaint(request, evaluation_id: int, payload: ReasonIn):
    evaluation = _load(request, evaluation_id)
    services.complaint_file(
        evaluation=evaluation,
        expected_version=_version(payload, evaluation),
        reason=payload.reason,
        actor=request.user,
    )
    return _fresh(request, evaluation)


@router.post("/evaluations/{evaluation_id}/complaints/{complaint_id}/resolve", response={200: ComplaintOut, **ERRORS})
def complaint_resolve(request, evaluation_id: int, complaint_id: int, payload: ResolveIn):
    """The level above the decider upholds (`upheld`) or revises (`revised`, with the points) the result."""
    evaluation = _load(request, evaluation_id)
    complaint = page_selectors.complaint_or_404(evaluation=evaluation, complaint_id=complaint_id)
    complaint = services.complaint_resolve(
        complaint=complaint,
        outcome=payload.outcome,
        resolution=payload.resolution,
        points=payload.points,
        task_results=payload.task_results,
        flags=payload.flags,
        actor=request.user,
    )
    return {
        "id": complaint.pk,
        "evaluation": complaint.evaluation_id,
        "outcome": complaint.outcome,
        "resolution": complaint.resolution,
        "revision": complaint.revision_id,
    }


@router.post("/units/{code}/periods/{period_key}/publish", response={200: PublicationOut, **ERRORS})
def unit_period_publish(request, code: str, period_key: str, payload: PublishIn | None = None):
    """Publish a decision unit's month (refused while forms are pending or over the quota)."""
    unit = access.get_unit_or_404(request.user, code)
    year, month = _period_from_key(period_key)
    period = Period.objects.filter(year=year, month=month).first()
    if period is None:
        raise Http404(_("Period not found."))
    publication = services.unit_period_publish(
        unit=unit,
        period=period,
        exception_reason=(payload.exception_reason if payload else ""),
        actor=request.user,
    )
    count = selectors.current_forms(period=period).filter(decision_unit=unit, status=Status.PUBLISHED).count()
    return {
        "unit": unit.code,
        "period": period.key,
        "count": count,
        "quota": publication.quota,
        "complaint_deadline": publication.complaint_deadline,
    }
