"""The monthly cycle's pages (DOMAIN.md section 4): my month, the form, the team and unit grids, the
published results and the notifications.

Thin: every form is fetched through `selectors.get_evaluation_or_404` (404 for outsiders), every write
is one service call (save-and-submit is two, in one transaction) and a service's refusal is shown as a
message with nothing written. Reads beyond `evaluation.selectors` are in `evaluation.page_selectors`.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import transaction
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_POST

from evaluation import page_selectors, selectors, services, workflow
from evaluation.forms import (
    COMMENT,
    FLAG,
    FLAGS_SHOWN,
    POINTS,
    SHARE,
    SHARE_LABELS,
    SUBORDINATE_KHT,
    PublishForm,
    ReasonForm,
    ResolveForm,
    StageForm,
    UploadForm,
    VersionForm,
    has_leader_inputs,
    has_task_shares,
    override_rules,
    share_keys,
    tasks_as_text,
)
from evaluation.models import Complaint, Evaluation, Notification, Period
from evaluation.workflow import Action, Status
from kpi import scoring
from orgchart import access
from orgchart.models import OrgUnit

STATUS_LABELS = {
    Status.DRAFT: gettext_lazy("Draft"),
    Status.SUBMITTED: gettext_lazy("Submitted"),
    Status.REVIEWED: gettext_lazy("Reviewed"),
    Status.RETURNED: gettext_lazy("Returned for revision"),
    Status.DECIDED: gettext_lazy("Decided"),
    Status.PUBLISHED: gettext_lazy("Published"),
    Status.LOCKED: gettext_lazy("Final"),
    Status.NOT_EVALUATED: gettext_lazy("Not evaluated"),
}
HISTORY_LABELS = {
    "save": gettext_lazy("Saved the self-assessment"),
    "submit": gettext_lazy("Submitted"),
    "review": gettext_lazy("Reviewed and proposed"),
    "return": gettext_lazy("Returned for revision"),
    "decide": gettext_lazy("Decided"),
    "not_evaluated": gettext_lazy("Marked not evaluated"),
    "publish": gettext_lazy("Published"),
    "lock": gettext_lazy("Locked"),
    "acknowledge": gettext_lazy("Acknowledged"),
    "complain": gettext_lazy("Filed a complaint"),
    "revise": gettext_lazy("Revised after a complaint"),
    "uphold": gettext_lazy("Upheld the result after a complaint"),
    "attach": gettext_lazy("Added evidence"),
}
DONE = {
    Action.SAVE: gettext_lazy("Draft saved."),
    Action.SUBMIT: gettext_lazy("Submitted for review."),
    Action.REVIEW: gettext_lazy("Review saved and proposed to the head."),
    Action.RETURN: gettext_lazy("The form was returned for revision."),
    Action.DECIDE: gettext_lazy("Decision saved."),
    Action.NOT_EVALUATED: gettext_lazy("Marked as not evaluated this month."),
    Action.ACKNOWLEDGE: gettext_lazy("You acknowledged the result."),
    Action.COMPLAIN: gettext_lazy("Your complaint was filed."),
}
STAGE_ACTIONS = frozenset({Action.SAVE, Action.SUBMIT, Action.REVIEW, Action.DECIDE})
REASON_ACTIONS = frozenset({Action.RETURN, Action.NOT_EVALUATED, Action.COMPLAIN})
PAGE_ACTIONS = STAGE_ACTIONS | REASON_ACTIONS | {Action.ACKNOWLEDGE}
DECIDABLE = workflow.TRANSITIONS[Action.DECIDE].sources


def status_label(status: str) -> str:
    return str(STATUS_LABELS.get(status, status))


def _is_htmx(request) -> bool:
    return request.headers.get("HX-Request") == "true"


# --- My month --------------------------------------------------------------------------------------


@login_required
def my_month(request):
    period = page_selectors.latest_open_period()
    form = page_selectors.own_form(user=request.user, period=period) if period else None
    past = page_selectors.own_past_forms(user=request.user, exclude_period=period)
    for f in [form, *past]:
        if f is not None:
            f.status_label = status_label(f.status)
    return render(
        request,
        "evaluation/my_month.html",
        {
            "period": period,
            "form": form,
            "past": past,
            "may_open_team": page_selectors.may_open_team(request.user),
            "may_manage_periods": access.can_manage_periods(request.user),
            "units": page_selectors.decision_units_for(user=request.user, period=period) if period else [],
        },
    )


# --- The form ---------------------------------------------------------------------------------------


def _stage(actions: list[Action]) -> str | None:
    """Whose points the page edits: the person's, the reviewer's or the decider's."""
    if Action.SAVE in actions:
        return "self"
    if Action.DECIDE in actions:
        return "final"
    if Action.REVIEW in actions:
        return "review"
    return None


def _stage_values(evaluation: Evaluation, stage: str | None) -> tuple[dict, dict]:
    if stage == "self":
        return evaluation.self_points, evaluation.self_task_results
    if stage == "review":
        return (
            evaluation.review_points or evaluation.self_points,
            evaluation.review_task_results or evaluation.self_task_results,
        )
    if stage == "final":
        return (
            evaluation.final_points or evaluation.review_points or evaluation.self_points,
            evaluation.final_task_results or evaluation.review_task_results or evaluation.self_task_results,
        )
    return {}, {}


def shown(value):
    """A stored number ("8.5", 0.9) as a Decimal, so the page prints it the Vietnamese way (8,5);
    anything else (typed text, True/False, a mapping) as it is."""
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if isinstance(value, dict | list) or value in (None, ""):
        return value
    number = scoring.to_decimal(value)
    return value if number is None or isinstance(value, str) and "," in value else number


def _same_number(a, b) -> bool:
    return scoring.to_decimal(a) == scoring.to_decimal(b) if a not in (None, "") and b not in (None, "") else a == b


def _criteria_groups(
    evaluation: Evaluation, stage: str | None, data, errors: dict, *, withheld: bool = False
) -> list[dict]:
    """The framework's groups with their criteria for the form's variant, each with the three stages'
    points and, for the current stage, the input's value and error (no final points while withheld)."""
    spec = evaluation.framework.spec
    points, shares = _stage_values(evaluation, stage)
    final_points = {} if withheld else evaluation.final_points
    final_shares = {} if withheld else evaluation.final_task_results

    def value(name, stored):
        if data is not None:
            return data.get(name, "")
        return "" if stored is None else stored

    def criterion_row(criterion):
        code = criterion.code
        current = value(POINTS + code, points.get(code))
        return {
            "criterion": criterion,
            "input": POINTS + code,
            "value": shown(current),
            "self": shown(evaluation.self_points.get(code)),
            "review": shown(evaluation.review_points.get(code)),
            "final": shown(final_points.get(code)),
            "error": errors.get(code) or errors.get(POINTS + code),
            "comment_input": COMMENT + code,
            "comment": data.get(COMMENT + code, "") if data is not None else "",
            "changed": stage == "review" and not _same_number(current, evaluation.self_points.get(code)),
        }

    groups = []
    for group in spec.groups:
        if group.is_computed:
            rows = [
                {
                    "key": key,
                    "label": SHARE_LABELS[key],
                    "input": SHARE + key,
                    "value": shown(value(SHARE + key, shares.get(key))),
                    "self": shown(evaluation.self_task_results.get(key)),
                    "review": shown(evaluation.review_task_results.get(key)),
                    "final": shown(final_shares.get(key)),
                    "error": errors.get(key) or errors.get(SHARE + key),
                }
                for key in share_keys(evaluation)
            ]
            leader = None
            if has_leader_inputs(evaluation):
                stored = {
                    "self": evaluation.self_task_results.get(SUBORDINATE_KHT),
                    "review": evaluation.review_task_results.get(SUBORDINATE_KHT),
                    "final": final_shares.get(SUBORDINATE_KHT),
                }
                source = data if data is not None else shares
                checked = bool(source.get(SHARE + SUBORDINATE_KHT if data is not None else SUBORDINATE_KHT))
                leader = {"input": SHARE + SUBORDINATE_KHT, "checked": checked, **stored}
            groups.append({"group": group, "computed": True, "shares": rows, "leader": leader})
            continue
        rows = [criterion_row(c) for c in group.criteria_for(evaluation.variant)]
        if rows:
            groups.append({"group": group, "computed": False, "criteria": rows})
    if spec.deductions:
        groups.append(
            {
                "group": None,
                "computed": False,
                "deductions": True,
                "criteria": [criterion_row(d) for d in spec.deductions],
            }
        )
    return groups


def _flag_rows(evaluation: Evaluation, stage: str | None, data, errors: dict) -> list[dict]:
    """The override inputs (attendance share, discipline, …) the reviewer and the decider set."""
    if stage not in ("review", "final"):
        return []
    rows = []
    for rule in override_rules(evaluation):
        stored = (evaluation.flags or {}).get(rule.flag)
        boolean = rule.operator == "is_true"
        value = data.get(FLAG + rule.flag, "") if data is not None else ("" if stored is None else stored)
        rows.append(
            {
                "input": FLAG + rule.flag,
                "label": rule.label_vi or rule.flag,
                "boolean": boolean,
                "checked": bool(value) if boolean else False,
                "value": "" if boolean else value,
                "error": errors.get(rule.flag) or errors.get(FLAG + rule.flag),
            }
        )
    return rows


def _history_rows(history, flag_labels: dict[str, str] | None = None) -> list[dict]:
    rows = []
    flag_labels = flag_labels or {}
    for h in history:
        changes = []
        for code, change in (h.changes or {}).items():
            if code in ("supersedes", "complaint"):
                continue
            if code == "flags" and isinstance(change, list | tuple) and len(change) == 2:
                old, new = change[0] or {}, change[1] or {}
                for flag in sorted(set(old) | set(new)):
                    if old.get(flag) != new.get(flag):
                        label = flag_labels.get(flag, flag)
                        changes.append((label, shown(old.get(flag)), shown(new.get(flag)), ""))
                continue
            name = str(SHARE_LABELS.get(code, code))  # a share by its label, a criterion by its code
            if isinstance(change, dict):
                changes.append((name, shown(change.get("old")), shown(change.get("new")), change.get("comment", "")))
            elif isinstance(change, list | tuple) and len(change) == 2:
                changes.append((name, shown(change[0]), shown(change[1]), ""))
        person = getattr(h.actor, "person", None) if h.actor_id else None
        rows.append(
            {
                "entry": h,
                "who": person.full_name if person else (h.actor.get_username() if h.actor_id else _("System")),
                "label": HISTORY_LABELS.get(h.action, h.action),
                "from": status_label(h.from_status),
                "to": status_label(h.to_status),
                "changes": changes,
            }
        )
    return rows


def _render_form(
    request,
    evaluation: Evaluation,
    *,
    form=None,
    preview=None,
    error: services.WorkflowError | None = None,
    panel: str = "",
    upload_error: str = "",
    status: int = 200,
):
    user = request.user
    revisions = page_selectors.form_revisions(evaluation)
    superseded = any(r.supersedes_id == evaluation.pk for r in revisions)
    roles = selectors.actor_roles(user=user, evaluation=evaluation)
    actions = [] if superseded else workflow.available_actions(Status(evaluation.status), roles)
    if Action.DECIDE in actions and Action.REVIEW in actions:
        actions.remove(Action.REVIEW)  # the manager is also the decider: no separate review step
    full = page_selectors.sees_everything(user=user, evaluation=evaluation, roles=roles)
    withheld = evaluation.result_withheld_from(access.user_scope(user).person_id)
    stage = _stage(actions)
    data = form.data if form is not None and isinstance(form, StageForm) else None
    errors: dict[str, str] = {}
    if form is not None:
        errors.update({name: " ".join(str(e) for e in errs) for name, errs in form.errors.items()})
    if error is not None:
        details = error.details if isinstance(error.details, list) else []
        for item in details:
            if isinstance(item, list | tuple) and len(item) == 2:
                errors.setdefault(str(item[0]), str(item[1]))
        if error.field:
            errors.setdefault(error.field, error.message)
    groups = _criteria_groups(evaluation, stage, data, errors, withheld=withheld)
    if preview is None and stage is not None:
        probe = form if isinstance(form, StageForm) else None
        if probe is None:
            points, shares = _stage_values(evaluation, stage)
            preview = page_selectors.score_preview(
                evaluation, points=dict(points), task_results=dict(shares) if has_task_shares(evaluation) else None
            )
        else:
            preview = page_selectors.score_preview(
                evaluation,
                points=probe.points(),
                task_results=probe.task_results(),
                flags=services.evaluation_flags_preview(evaluation=evaluation, flags=probe.flags()),
            )
    revision_ids = [r.pk for r in revisions]
    today = timezone.localdate()
    complaint_open = bool(evaluation.complaint_deadline and today <= evaluation.complaint_deadline)
    if Action.COMPLAIN in actions and not complaint_open:
        actions.remove(Action.COMPLAIN)
    if Action.ACKNOWLEDGE in actions and evaluation.acknowledged_at:
        actions.remove(Action.ACKNOWLEDGE)
    reason_form = form if isinstance(form, ReasonForm) else None
    handling = page_selectors.complaint_to_handle(user=user, revision_ids=revision_ids) if not superseded else None
    resolve_data = data if panel == "resolve" else None
    context = {
        "handling": handling,
        "resolve_groups": _criteria_groups(evaluation, "final", resolve_data, errors) if handling else [],
        "resolve_flag_rows": _flag_rows(evaluation, "final", resolve_data, errors) if handling else [],
        "resolution": (resolve_data.get("resolution", "") if resolve_data is not None else ""),
        "evaluation": evaluation,
        "period": evaluation.period,
        "spec": evaluation.framework.spec,
        "status_label": status_label(evaluation.status),
        "roles": sorted(str(r) for r in roles),
        "actions": [str(a) for a in actions],
        "stage": stage,
        "groups": groups,
        "flag_rows": _flag_rows(evaluation, stage, data, errors),
        "flags_shown": FLAGS_SHOWN,
        "shares": has_task_shares(evaluation),
        "preview": preview,
        "full": full,
        "errors": errors,
        "panel": panel,
        "note": (data.get("note", "") if data is not None else evaluation.note),
        "tasks_text": (data.get("tasks", "") if data is not None else tasks_as_text(evaluation.tasks)),
        "comment": (data.get("comment", "") if data is not None else ""),
        "reason": (reason_form.data.get("reason", "") if reason_form is not None else ""),
        "grades": _grade_labels(evaluation),
        "revisions": revisions,
        "superseded": superseded,
        "withheld": withheld,
        "history": _history_rows(
            [h for h in page_selectors.form_history(revision_ids) if not (withheld and h.to_status == Status.DECIDED)],
            {rule.flag: rule.label_vi or rule.flag for rule in evaluation.framework.spec.overrides}
            | {"maternity": _("Maternity leave")},
        )
        if full
        else [],
        "attachments": list(page_selectors.form_attachments(revision_ids)) if full else [],
        "complaints": list(page_selectors.form_complaints(revision_ids)) if full else [],
        "can_upload": bool(
            not superseded
            and roles & {workflow.Actor.EMPLOYEE, workflow.Actor.MANAGER}
            and evaluation.status in (Status.DRAFT, Status.RETURNED, Status.SUBMITTED)
        ),
        "upload_form": UploadForm(),
        "upload_error": upload_error,
        "accept": ",".join(_accepted_types()),
        "max_mb": _max_mb(),
        "complaint_open": complaint_open,
        "no_self": stage == "final" and not evaluation.self_points and not evaluation.review_points,
    }
    return render(request, "evaluation/form.html", context, status=status)


def _grade_labels(evaluation: Evaluation) -> dict[str, str]:
    return {band.code: band.label_vi for band in evaluation.framework.spec.grades}


def _accepted_types() -> list[str]:
    from django.conf import settings

    return [*settings.EVIDENCE_CONTENT_TYPES, *settings.EVIDENCE_CONTENT_TYPES.values()]


def _max_mb() -> int:
    from django.conf import settings

    return settings.EVIDENCE_MAX_BYTES // (1024 * 1024)


def _nothing_to_save(evaluation: Evaluation, form: StageForm) -> bool:
    """Submitting what is already saved needs no save (and no history row for it)."""

    def numbers(values: dict | None) -> dict:
        return {k: scoring.to_decimal(v) for k, v in (values or {}).items()}

    return (
        numbers(form.points()) == numbers(evaluation.self_points)
        and numbers(form.task_results()) == numbers(evaluation.self_task_results)
        and form.cleaned_data.get("note", "") == evaluation.note
        and form.task_list() == list(evaluation.tasks or [])
    )


def _run(action: Action, evaluation: Evaluation, form, user) -> None:
    """One step through the services (save-and-submit: both, in the caller's transaction)."""
    data = form.cleaned_data
    version = data["version"]
    if action == Action.SUBMIT and _nothing_to_save(evaluation, form):
        services.evaluation_submit(evaluation=evaluation, expected_version=version, actor=user)
    elif action in (Action.SAVE, Action.SUBMIT):
        evaluation = services.evaluation_save_self(
            evaluation=evaluation,
            expected_version=version,
            points=form.points(),
            task_results=form.task_results(),
            note=data.get("note", ""),
            tasks=form.task_list(),
            actor=user,
        )
        if action == Action.SUBMIT:
            services.evaluation_submit(evaluation=evaluation, expected_version=evaluation.version, actor=user)
    elif action == Action.REVIEW:
        services.evaluation_review(
            evaluation=evaluation,
            expected_version=version,
            points=form.points(),
            task_results=form.task_results(),
            comment=form.general_comment(),
            comments=form.comments(),
            flags=form.flags(),
            actor=user,
        )
    elif action == Action.DECIDE:
        services.evaluation_decide(
            evaluation=evaluation,
            expected_version=version,
            points=form.points(),
            task_results=form.task_results(),
            comment=form.general_comment(),
            flags=form.flags(),
            actor=user,
        )
    elif action == Action.RETURN:
        services.evaluation_return(evaluation=evaluation, expected_version=version, reason=data["reason"], actor=user)
    elif action == Action.NOT_EVALUATED:
        services.evaluation_mark_not_evaluated(
            evaluation=evaluation,
            expected_version=version,
            reason=data["reason"],
            maternity=data.get("maternity", False),
            actor=user,
        )
    elif action == Action.ACKNOWLEDGE:
        services.evaluation_acknowledge(evaluation=evaluation, expected_version=version, actor=user)
    elif action == Action.COMPLAIN:
        services.complaint_file(evaluation=evaluation, expected_version=version, reason=data["reason"], actor=user)


@login_required
def form_detail(request, pk: int):
    evaluation = selectors.get_evaluation_or_404(request.user, pk)
    if request.method != "POST":
        return _render_form(request, evaluation)
    try:
        action = Action(request.POST.get("action", ""))
    except ValueError:
        action = None
    if action not in PAGE_ACTIONS:
        messages.error(request, _("This step is not taken on this page."))
        return _render_form(request, evaluation, status=400)
    if action in STAGE_ACTIONS:
        form = StageForm(request.POST, evaluation=evaluation)
    elif action in REASON_ACTIONS:
        form = ReasonForm(request.POST)
    else:
        form = VersionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Nothing was saved: check the highlighted fields."))
        return _render_form(request, evaluation, form=form, panel=action, status=400)
    try:
        with transaction.atomic():
            _run(action, evaluation, form, request.user)
    except services.StaleForm as exc:
        # Show the form as it is now; what was typed is dropped on purpose.
        messages.error(request, exc.message)
        return _render_form(request, selectors.get_evaluation_or_404(request.user, pk), status=409)
    except services.WorkflowError as exc:
        messages.error(request, exc.message)
        fresh = selectors.get_evaluation_or_404(request.user, pk)
        return _render_form(request, fresh, form=form, error=exc, panel=action, status=exc.status_code)
    done = DONE[action]
    if action == Action.SUBMIT and page_selectors.review_skipped(evaluation):
        done = _("Submitted to the head for decision.")
    messages.success(request, str(done))
    return redirect("evaluation:form", pk=evaluation.pk)


@login_required
@require_POST
def complaint_resolve(request, pk: int, complaint_id: int):
    """The level above the decider upholds the result or revises it (a new, locked revision)."""
    evaluation = selectors.get_evaluation_or_404(request.user, pk)
    complaint = page_selectors.complaint_or_404(evaluation=evaluation, complaint_id=complaint_id)
    outcome_form = ResolveForm(request.POST)
    stage_form = StageForm(request.POST, evaluation=evaluation)
    revised = outcome_form.is_valid() and outcome_form.cleaned_data["outcome"] == Complaint.Outcome.REVISED
    if not outcome_form.is_valid() or (revised and not stage_form.is_valid()):
        messages.error(request, _("Nothing was saved: check the highlighted fields."))
        return _render_form(request, evaluation, form=stage_form, panel="resolve", status=400)
    try:
        complaint = services.complaint_resolve(
            complaint=complaint,
            outcome=outcome_form.cleaned_data["outcome"],
            resolution=outcome_form.cleaned_data["resolution"],
            points=stage_form.points() if revised else None,
            task_results=stage_form.task_results() if revised else None,
            flags=stage_form.flags() if revised else None,
            actor=request.user,
        )
    except services.WorkflowError as exc:
        messages.error(request, exc.message)
        return _render_form(request, evaluation, form=stage_form, error=exc, panel="resolve", status=exc.status_code)
    outcome = complaint.get_outcome_display()
    messages.success(request, _("The complaint was handled: %(outcome)s.") % {"outcome": outcome})
    return redirect("evaluation:form", pk=(complaint.revision_id or evaluation.pk))


@login_required
@require_POST
def form_preview(request, pk: int):
    """The running total and grade of the points posted (nothing is stored): a fragment for htmx,
    the whole page without JavaScript."""
    evaluation = selectors.get_evaluation_or_404(request.user, pk)
    form = StageForm(request.POST, evaluation=evaluation)
    form.is_valid()  # only to run the share checks; points are checked by the engine
    shares_ok = not any(name.startswith(SHARE) for name in form.errors)
    preview = page_selectors.score_preview(
        evaluation,
        points=form.points(),
        task_results=form.task_results() if shares_ok else None,
        flags=services.evaluation_flags_preview(evaluation=evaluation, flags=form.flags()),
    )
    if _is_htmx(request):
        return render(request, "evaluation/_total.html", {"preview": preview, "evaluation": evaluation})
    return _render_form(request, evaluation, form=form, preview=preview)


# --- Evidence ------------------------------------------------------------------------------------------


@login_required
@require_POST
def attachment_upload(request, pk: int):
    evaluation = selectors.get_evaluation_or_404(request.user, pk)
    form = UploadForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, _("Choose a file to add."))
        return _render_form(request, evaluation, upload_error=_("Choose a file to add."), status=400)
    try:
        services.attachment_add(evaluation=evaluation, upload=form.cleaned_data["file"], actor=request.user)
    except services.WorkflowError as exc:
        messages.error(request, exc.message)
        return _render_form(request, evaluation, upload_error=exc.message, status=exc.status_code)
    messages.success(request, _("The file was added."))
    return redirect(reverse("evaluation:form", kwargs={"pk": evaluation.pk}) + "#evidence")


@login_required
def attachment_download(request, pk: int, attachment_id: int):
    """The private file, only to people who may see the whole form (never to colleagues who only see
    the published result)."""
    evaluation = selectors.get_evaluation_or_404(request.user, pk)
    if not page_selectors.sees_everything(user=request.user, evaluation=evaluation, roles=None):
        raise Http404(_("File not found."))
    attachment = page_selectors.attachment_or_404(evaluation=evaluation, attachment_id=attachment_id)
    try:
        handle = attachment.file.open("rb")
    except (FileNotFoundError, ValueError) as exc:
        raise Http404(_("File not found.")) from exc
    response = FileResponse(
        handle, as_attachment=True, filename=attachment.original_name, content_type=attachment.content_type
    )
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


# --- The manager's team --------------------------------------------------------------------------------


@login_required
def team_grid(request):
    key = request.GET.get("period")
    period = page_selectors.period_from_key_or_404(key) if key else page_selectors.latest_open_period()
    forms = page_selectors.team_forms(user=request.user, period=period) if period else []
    for f in forms:
        f.status_label = status_label(f.status)
    counts: dict[str, int] = {}
    for f in forms:
        counts[f.status_label] = counts.get(f.status_label, 0) + 1
    return render(
        request,
        "evaluation/team.html",
        {"period": period, "forms": forms, "counts": sorted(counts.items()), "periods": _recent_periods()},
    )


def _recent_periods(limit: int = 13) -> list[Period]:
    return list(Period.objects.order_by("-year", "-month")[:limit])


# --- The decision unit's month ------------------------------------------------------------------------------


def _unit_month_or_404(request, code: str, period_key: str) -> tuple[OrgUnit, Period]:
    unit = access.get_unit_or_404(request.user, code)
    if not page_selectors.may_see_unit_grid(user=request.user, unit=unit):
        raise Http404(_("Unit not found."))
    return unit, page_selectors.period_from_key_or_404(period_key)


def _render_unit_grid(
    request,
    unit: OrgUnit,
    period: Period,
    *,
    row_errors: dict[int, str] | None = None,
    highlight: set[int] | None = None,
    selected: set[int] | None = None,
    bulk_reason: str = "",
    publish_error: services.WorkflowError | None = None,
    exception_reason: str = "",
    status: int = 200,
):
    forms = page_selectors.unit_grid_forms(unit=unit, period=period)
    decides = page_selectors.user_decides(user=request.user, forms=forms, period=period)
    me = access.user_scope(request.user).person_id
    row_errors, highlight, selected = row_errors or {}, highlight or set(), selected or set()
    rows, counts = [], {}
    for f in forms:
        label = status_label(f.status)
        counts[label] = counts.get(label, 0) + 1
        proposal_total = f.review_total if f.review_total is not None else f.self_total
        proposal_grade = f.review_grade or f.self_grade
        rows.append(
            {
                "form": f,
                "status_label": label,
                "can_decide": decides and f.person_id != me and f.status in DECIDABLE,
                "proposal_total": proposal_total,
                "proposal_grade": proposal_grade,
                "needs_points": not (f.review_points or f.self_points) and f.status in DECIDABLE,
                "error": row_errors.get(f.pk, ""),
                "highlight": f.pk in highlight or f.pk in row_errors,
                "selected": f.pk in selected,
            }
        )
    publication = page_selectors.publication_of(unit=unit, period=period)
    pending = sum(1 for f in forms if f.status not in workflow.READY_TO_PUBLISH)
    context = {
        "unit": unit,
        "period": period,
        "rows": rows,
        "counts": sorted(counts.items()),
        "decides": decides,
        "quota": page_selectors.quota_use(forms),
        "publication": publication,
        "pending": pending,
        "can_publish": decides and publication is None and bool(forms),
        "publish_error": publish_error,
        "exception_reason": exception_reason,
        "bulk_reason": bulk_reason,
        "any_decidable": any(r["can_decide"] for r in rows),
    }
    return render(request, "evaluation/unit.html", context, status=status)


@login_required
def unit_grid(request, code: str, period_key: str):
    unit, period = _unit_month_or_404(request, code, period_key)
    return _render_unit_grid(request, unit, period)


def _selected_ids(request) -> list[int]:
    ids = []
    for value in request.POST.getlist("form"):
        try:
            ids.append(int(value))
        except ValueError:
            continue
    return ids


@login_required
@require_POST
def unit_decide(request, code: str, period_key: str):
    """Decide (or mark not evaluated) every selected form with its current points: all or nothing."""
    unit, period = _unit_month_or_404(request, code, period_key)
    action = request.POST.get("action")
    reason = request.POST.get("reason", "")
    ids = set(_selected_ids(request))
    if action not in (Action.DECIDE, Action.NOT_EVALUATED) or not ids:
        messages.error(request, _("Select at least one form, then a step."))
        return _render_unit_grid(request, unit, period, selected=ids, bulk_reason=reason, status=400)
    forms = [f for f in page_selectors.unit_grid_forms(unit=unit, period=period) if f.pk in ids]
    if action == Action.DECIDE:
        # A form the head has already decided keeps that decision (deciding it again changes nothing).
        done = {f.pk for f in forms if f.status == Status.DECIDED}
        forms, ids = [f for f in forms if f.pk not in done], ids - done
        if not ids:
            messages.info(request, _("The selected forms are decided already."))
            return redirect("evaluation:unit", code=unit.code, period_key=period.key)
    errors: dict[int, str] = {}
    codes = []
    if len(forms) != len(ids):
        messages.error(request, _("Some selected forms are not in this unit's month any more."))
        codes.append(400)
    with transaction.atomic():
        for f in forms:
            try:
                version = int(request.POST.get(f"version-{f.pk}", ""))
            except ValueError:
                version = 0
            try:
                if action == Action.DECIDE:
                    services.evaluation_decide(evaluation=f, expected_version=version, actor=request.user)
                else:
                    services.evaluation_mark_not_evaluated(
                        evaluation=f, expected_version=version, reason=reason, actor=request.user
                    )
            except services.WorkflowError as exc:
                errors[f.pk] = exc.message
                codes.append(exc.status_code)
        if codes:
            transaction.set_rollback(True)
    if codes:
        messages.error(
            request,
            ngettext(
                "Nothing was saved: %(n)d selected form could not be processed.",
                "Nothing was saved: %(n)d selected forms could not be processed.",
                len(errors),
            )
            % {"n": len(errors)},
        )
        return _render_unit_grid(
            request, unit, period, row_errors=errors, selected=ids, bulk_reason=reason, status=max(codes)
        )
    if action == Action.DECIDE:
        text = ngettext("%(n)d form decided.", "%(n)d forms decided.", len(forms))
    else:
        text = ngettext("%(n)d form marked not evaluated.", "%(n)d forms marked not evaluated.", len(forms))
    messages.success(request, text % {"n": len(forms)})
    return redirect("evaluation:unit", code=unit.code, period_key=period.key)


@login_required
@require_POST
def unit_publish(request, code: str, period_key: str):
    unit, period = _unit_month_or_404(request, code, period_key)
    form = PublishForm(request.POST)
    reason = form.cleaned_data["exception_reason"] if form.is_valid() else ""
    try:
        services.unit_period_publish(unit=unit, period=period, exception_reason=reason, actor=request.user)
    except services.WorkflowError as exc:
        messages.error(request, exc.message)
        pending = set(exc.details) if isinstance(exc.details, list) else set()
        return _render_unit_grid(
            request,
            unit,
            period,
            highlight=pending,
            publish_error=exc,
            exception_reason=reason,
            status=exc.status_code,
        )
    messages.success(request, _("The month was published to the unit."))
    return redirect("evaluation:unit", code=unit.code, period_key=period.key)


@login_required
def unit_results(request, code: str, period_key: str):
    """The published results of a decision unit's month: after publication only, for the people of the
    unit (and the managers and HR of its subtree)."""
    unit = OrgUnit.objects.filter(code=code).first()
    if unit is None:
        raise Http404(_("Unit not found."))
    period = page_selectors.period_from_key_or_404(period_key)
    publication = page_selectors.publication_of(unit=unit, period=period)
    if publication is None:
        raise Http404(_("These results are not published."))
    forms = page_selectors.published_results(user=request.user, unit=unit, period=period)
    if not forms:
        raise Http404(_("These results are not published."))
    scope = access.user_scope(request.user)
    frameworks = page_selectors.frameworks_by_id(forms)
    labels = {(fid, band.code): band.label_vi for fid, v in frameworks.items() for band in v.spec.grades}
    rows = [
        {
            "form": f,
            "grade_label": labels.get((f.framework_id, f.grade), ""),
            "not_evaluated": not f.grade and f.final_total is None,
            "can_open": f.person_id == scope.person_id or scope.covers(f.unit.path, scope.view_paths),
            "revised": f.revision > 1,
        }
        for f in forms
    ]
    return render(
        request,
        "evaluation/results.html",
        {"unit": unit, "period": period, "publication": publication, "rows": rows},
    )


# --- Notifications -----------------------------------------------------------------------------------------


@login_required
def notifications(request):
    if request.method == "POST":
        pk = request.POST.get("id")
        unread = Notification.objects.filter(user=request.user, read_at__isnull=True)
        if pk:
            unread = unread.filter(pk=pk if pk.isdigit() else 0)
        unread.update(read_at=timezone.now())
        return redirect("evaluation:notifications")
    page = Paginator(page_selectors.notifications_for(request.user), 50).get_page(request.GET.get("page"))
    for notification in page:
        safe = url_has_allowed_host_and_scheme(notification.url, allowed_hosts={request.get_host()})
        notification.safe_url = notification.url if safe else ""
    return render(request, "evaluation/notifications.html", {"page": page})
