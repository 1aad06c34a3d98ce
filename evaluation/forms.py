"""The evaluation pages' forms: points (a decimal comma is accepted), task shares, the task list.

Points are passed to the services as typed (after turning "7,5" into "7.5"), so the scoring engine
names the criterion in its own message; only the shares are checked here, because a draft would
otherwise keep a share the engine cannot use.
"""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from evaluation.models import Evaluation
from kpi import scoring

POINTS = "points-"
COMMENT = "comment-"
SHARE = "share-"
SHARE_LABELS = {
    "quantity": _("Quantity"),
    "quality": _("Quality"),
    "timeliness": _("Timeliness"),
}
MAX_TASKS = 100


def normalise_number(text: str) -> str:
    """ "7,5" → "7.5" (Vietnamese decimal comma); spaces dropped."""
    return "".join(text.split()).replace(",", ".")


def has_task_shares(evaluation: Evaluation) -> bool:
    return any(group.is_computed for group in evaluation.framework.spec.groups)


class VersionForm(forms.Form):
    version = forms.IntegerField(min_value=1, widget=forms.HiddenInput)


class ReasonForm(VersionForm):
    # The services refuse an empty reason with their own message.
    reason = forms.CharField(required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))


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
        for code in self.codes:
            self.fields[POINTS + code] = forms.CharField(required=False, max_length=20)
            self.fields[COMMENT + code] = forms.CharField(required=False, max_length=1000)
        if self.shares:
            for key in scoring.TASK_SHARES:
                self.fields[SHARE + key] = forms.CharField(required=False, max_length=20)

    def clean(self):
        data = super().clean()
        if self.shares:
            for key in scoring.TASK_SHARES:
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

    def task_results(self) -> dict[str, float] | None:
        if not self.shares:
            return None
        values = {}
        for key in scoring.TASK_SHARES:
            number = scoring.to_decimal(normalise_number(self.data.get(SHARE + key, "") or ""))
            if number is not None:
                values[key] = float(number)
        return values or None

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
