"""HR's page for the monthly periods: open a month, move its deadlines, close and re-open it."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from evaluation import page_selectors, services
from evaluation.models import Period
from orgchart import access


class DeadlinesForm(forms.Form):
    self_due = forms.DateField(label=gettext_lazy("Self-assessment due"))
    review_due = forms.DateField(label=gettext_lazy("Review due"))
    decide_due = forms.DateField(label=gettext_lazy("Decision due"))
    reason = forms.CharField(label=gettext_lazy("Reason"), required=False, max_length=400)


class StateForm(forms.Form):
    state = forms.ChoiceField(choices=Period.State.choices)
    reason = forms.CharField(required=False, max_length=400)


class OpenForm(forms.Form):
    year = forms.IntegerField(min_value=2018, max_value=2100)
    month = forms.IntegerField(min_value=1, max_value=12)


def _require(user) -> None:
    if not access.can_manage_periods(user):
        raise Http404(_("Page not found."))


@login_required
def periods(request):
    _require(request.user)
    rows = page_selectors.periods_with_history()
    return render(request, "evaluation/periods.html", {"rows": rows, "open_form": OpenForm()})


@login_required
@require_POST
def period_open(request):
    _require(request.user)
    form = OpenForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Enter a month from 1 to 12 and a year."))
        return redirect("evaluation:periods")
    period, created = services.period_open(
        year=form.cleaned_data["year"], month=form.cleaned_data["month"], actor=request.user
    )
    messages.success(request, _("Month %(period)s is open: %(n)d new forms.") % {"period": period, "n": created})
    return redirect("evaluation:periods")


def _period_change(request, pk: int, form_class, change, done):
    """One HR action on a month: the form, the service, a message, back to the list."""
    _require(request.user)
    period = get_object_or_404(Period, pk=pk)
    form = form_class(request.POST)
    if not form.is_valid():
        messages.error(request, _("Nothing was saved: enter the dates as dd/mm/yyyy and a reason."))
        return redirect("evaluation:periods")
    try:
        period = change(period=period, **form.cleaned_data, actor=request.user)
    except services.WorkflowError as exc:
        messages.error(request, exc.message)
        return redirect("evaluation:periods")
    messages.success(request, done(period))
    return redirect("evaluation:periods")


@login_required
@require_POST
def period_deadlines(request, pk: int):
    return _period_change(
        request,
        pk,
        DeadlinesForm,
        services.period_set_deadlines,
        lambda period: _("The deadlines of %(period)s were saved.") % {"period": period},
    )


@login_required
@require_POST
def period_state(request, pk: int):
    return _period_change(
        request,
        pk,
        StateForm,
        services.period_set_state,
        lambda period: (
            _("Month %(period)s is now %(state)s.") % {"period": period, "state": period.get_state_display()}
        ),
    )
