"""The evaluation pages' forms: points (a decimal comma is accepted), task shares, the task list.

Points are passed to the services as typed (after turning "7,5" into "7.5"), so the scoring engine
names the criterion in its own message; only the shares are checked here, because a draft would
otherwise keep a share the engine cannot use.
"""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from evaluation import services
from evaluation.models import Complaint, Evaluation
from kpi import scoring

POINTS = "points-"
COMMENT = "comment-"
SHARE = "share-"
FLAG = "flag-"
FLAGS_SHOWN = "flags-shown"  # the page showed the override inputs (an unticked box then means False)
SUBORDINATE_KHT = "any_subordinate_unit_KHT"
SHARE_LABELS = services.SHARE_LABELS
MAX_TASKS = 100


def normalise_number(text: str) -> str:
    """ "7,5" → "7.5" (Vietnamese decimal comma); spaces dropped."""
    return "".join(text.split()).replace(",", ".")


def has_task_shares(evaluation: Evaluation) -> bool:
    return any(group.is_computed for group in evaluation.framework.spec.groups)


def has_leader_inputs(evaluation: Evaluation) -> bool:
    """An ND 335 leader: the task group also takes `organising` and the subordinate units' result."""
    return scoring.needs_leader_inputs(evaluation.framework.spec, evaluation.variant)


def share_keys(evaluation: Evaluation) -> tuple[str, ...]:
    """The 0–1 inputs of the computed task group on this form."""
    if not has_task_shares(evaluation):
        return ()
    return (*scoring.TASK_SHARES, "organising") if has_leader_inputs(evaluation) else scoring.TASK_SHARES


def override_rules(evaluation: Evaluation) -> list:
    """One override rule per input flag of the form's framework (attendance share, discipline, …)."""
    rules: dict = {}
    for rule in evaluation.framework.spec.overrides:
        rules.setdefault(rule.flag, rule)
    return list(rules.values())


class VersionForm(forms.Form):
    version = forms.IntegerField(min_value=1, widget=forms.HiddenInput)


class ReasonForm(VersionForm):
    # The services refuse an empty reason with their own message.
    reason = forms.CharField(required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))
    maternity = forms.BooleanField(required=False)  # "not evaluated" only: maternity leave


class ResolveForm(forms.Form):
    """The outcome of a complaint; a revision also takes the points of the stage form."""

    outcome = forms.ChoiceField(choices=Complaint.Outcome.choices[1:])
    resolution = forms.CharField(required=False, max_length=4000)


class PublishForm(forms.Form):
    exception_reason = forms.CharField(required=False, max_length=4000, widget=forms.Textarea(attrs={"rows": 3}))


class UploadForm(forms.Form):
    file = forms.FileField(label=_("File"))


class StageForm(VersionForm):
    """Points of the current stage (self-assessment, review or decision) and what goes with them."""

    note = forms.CharField(required=False, max_length=5000)
    tasks = forms.CharField(required=False, max_length=20000)
    comment = forms.CharField(required=False, max_length=2000)

    def __init__(self, data=None, *, evaluation: Evaluation, **kwargs) -> None:
        super().__init__(data, **kwargs)
        spec = evaluation.framework.spec
        self.codes = [c.code for c in scoring.criteria_for(spec, evaluation.variant)]
        self.codes += [d.code for d in spec.deductions]
        self.shares = has_task_shares(evaluation)
        self.share_keys = share_keys(evaluation)
        self.leader = has_leader_inputs(evaluation)
        self.rules = override_rules(evaluation)
        for code in self.codes:
            self.fields[POINTS + code] = forms.CharField(required=False, max_length=20)
            self.fields[COMMENT + code] = forms.CharField(required=False, max_length=1000)
        for key in self.share_keys:
            self.fields[SHARE + key] = forms.CharField(required=False, max_length=20)
        for rule in self.rules:
            self.fields[FLAG + rule.flag] = forms.CharField(required=False, max_length=20)

    def clean(self):
        data = super().clean()
        if self.shares:
            for key in self.share_keys:
                text = normalise_number(data.get(SHARE + key) or "")
                if not text:
                    continue
                number = scoring.to_decimal(text)
                if number is None or not Decimal(0) <= number <= Decimal(1):
                    self.add_error(
                        SHARE + key,
                        _("%(share)s: enter a share from 0 to 1, e.g. 0,8.") % {"share": SHARE_LABELS[key]},
                    )
        if len(self.task_list_from(data.get("tasks") or "")) > MAX_TASKS:
            self.add_error("tasks", _("At most %(n)d tasks.") % {"n": MAX_TASKS})
        return data

    # --- What the services take -------------------------------------------------------------------

    def points(self) -> dict[str, str]:
        """The points typed in, blank ones left out (a draft may be incomplete)."""
        values = {}
        for code in self.codes:
            text = normalise_number(self.data.get(POINTS + code, "") or "")
            if text:
                values[code] = text
        return values

    def task_results(self) -> dict[str, float | bool] | None:
        if not self.shares:
            return None
        values: dict[str, float | bool] = {}
        for key in self.share_keys:
            number = scoring.to_decimal(normalise_number(self.data.get(SHARE + key, "") or ""))
            if number is not None:
                values[key] = float(number)
        if self.leader and values:
            values[SUBORDINATE_KHT] = bool(self.data.get(SHARE + SUBORDINATE_KHT))
        return values or None

    def flags(self) -> dict | None:
        """The override inputs typed in (None when the page did not show them): a ticked box is
        True, a share is "0.4", an empty share clears it."""
        if not self.rules or not self.data.get(FLAGS_SHOWN):
            return None
        values: dict = {}
        for rule in self.rules:
            raw = self.data.get(FLAG + rule.flag, "") or ""
            values[rule.flag] = bool(raw) if rule.operator == "is_true" else normalise_number(raw)
        return values

    def comments(self) -> dict[str, str]:
        return {code: text for code in self.codes if (text := (self.data.get(COMMENT + code) or "").strip())}

    def general_comment(self) -> str:
        return (self.cleaned_data.get("comment") or "").strip()

    def task_list(self) -> list[dict]:
        return self.task_list_from(self.cleaned_data.get("tasks") or "")

    @staticmethod
    def task_list_from(text: str) -> list[dict]:
        """One task a line; "title | result" keeps a result beside the title."""
        tasks = []
        for line in text.splitlines():
            title, _sep, result = line.partition("|")
            if title.strip():
                tasks.append({"title": title.strip()[:300], "result": result.strip()[:300]})
        return tasks


def tasks_as_text(tasks: list) -> str:
    lines = []
    for task in tasks or []:
        if isinstance(task, dict):
            title, result = task.get("title", ""), task.get("result", "")
            lines.append(f"{title} | {result}" if result else str(title))
        else:
            lines.append(str(task))
    return "\n".join(lines)
