"""The report request form: which report, which unit, which period, which format.

The unit is typed as a code (with suggestions): an HR officer of the city may report on thousands
of units, too many for a select. A code the user may not report on is refused like an unknown one.
"""

from __future__ import annotations

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from evaluation.reports import access, build
from orgchart.models import OrgUnit

KIND_LABELS = {
    build.ANNUAL_LIST: _("Annual classification list"),
    build.ANNUAL_FORMS: _("Individual annual forms"),
    build.MONTHLY_SHEET: _("Monthly result sheet"),
    build.QUARTERLY_SHEET: _("Quarterly rating sheet"),
}
FORMAT_LABELS = {build.PDF: _("PDF"), build.XLSX: _("Excel (xlsx)")}
SUGGESTED_UNITS = 500  # codes offered in the unit field's suggestions


class ReportRequestForm(forms.Form):
    kind = forms.ChoiceField(label=_("Report"), choices=list(KIND_LABELS.items()), initial=build.ANNUAL_LIST)
    unit = forms.CharField(label=_("Unit code"), max_length=50)
    subtree = forms.BooleanField(label=_("The whole subtree (every unit under it)"), required=False)
    year = forms.IntegerField(label=_("Year"), min_value=2000, max_value=2100)
    month = forms.TypedChoiceField(
        label=_("Month"),
        choices=[("", "—"), *((m, m) for m in range(1, 13))],
        coerce=int,
        empty_value=None,
        required=False,
    )
    quarter = forms.TypedChoiceField(
        label=_("Quarter"),
        choices=[("", "—"), *((q, q) for q in range(1, 5))],
        coerce=int,
        empty_value=None,
        required=False,
    )
    format = forms.ChoiceField(label=_("Format"), choices=list(FORMAT_LABELS.items()), initial=build.PDF)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        today = timezone.localdate()
        self.fields["year"].initial = today.year
        self.fields["month"].initial = today.month
        self.fields["quarter"].initial = (today.month - 1) // 3 + 1

    def clean_unit(self) -> OrgUnit:
        code = self.cleaned_data["unit"].strip()
        unit = OrgUnit.objects.filter(code=code).first()
        if unit is None or not access.can_report(self.user, unit):
            raise forms.ValidationError(_("There is no unit with this code that you may report on."))
        return unit

    def clean(self):
        data = super().clean()
        kind, fmt, unit = data.get("kind"), data.get("format"), data.get("unit")
        if kind and fmt and fmt not in build.FORMATS[kind]:
            self.add_error("format", _("This report is only available as PDF."))
        if kind == build.MONTHLY_SHEET and not data.get("month"):
            self.add_error("month", _("Choose the month."))
        if kind == build.QUARTERLY_SHEET and not data.get("quarter"):
            self.add_error("quarter", _("Choose the quarter."))
        if unit is not None and data.get("subtree") and not access.can_report(self.user, unit, subtree=True):
            self.add_error("subtree", _("Only HR officers of the unit may report on its whole subtree."))
        return data

    def spec(self) -> build.ReportSpec:
        data = self.cleaned_data
        kind = data["kind"]
        return build.ReportSpec(
            kind=kind,
            unit=data["unit"],
            year=data["year"],
            fmt=data["format"],
            subtree=bool(data.get("subtree")),
            month=data.get("month") if kind == build.MONTHLY_SHEET else None,
            quarter=data.get("quarter") if kind == build.QUARTERLY_SHEET else None,
        )

    def suggested_units(self) -> list[tuple[str, str]]:
        """(code, name) of the first units (in tree order) the user may report on."""
        return list(access.reportable_units(self.user).order_by("path").values_list("code", "name")[:SUGGESTED_UNITS])
