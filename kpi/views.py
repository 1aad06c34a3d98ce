"""Framework version pages: the list and the readable version for everyone signed in; copy, edit,
preview and publish for city-wide HR officers (everyone else gets 404 on those URLs)."""

from __future__ import annotations

import re
from datetime import date

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kpi import scoring, selectors, services
from kpi.forms import CopyForm, DefinitionForm, PreviewForm, PublishForm
from kpi.models import FrameworkVersion
from orgchart import access


def _require_manager(request) -> None:
    if not access.can_manage_frameworks(request.user):
        raise Http404


def _version_or_404(code: str, *, manager: bool) -> FrameworkVersion:
    version = selectors.framework_version_get(code=code, include_drafts=manager)
    if version is None:
        raise Http404(_("Framework version not found."))
    return version


def _next_month(today: date) -> date:
    return date(today.year + today.month // 12, today.month % 12 + 1, 1)


def _suggested_code(source: FrameworkVersion) -> str:
    year = str(access.today().year + 1)
    return re.sub(r"\d{4}$", year, source.code) if re.search(r"\d{4}$", source.code) else f"{source.code}-{year}"


@login_required
def framework_list(request):
    manager = access.can_manage_frameworks(request.user)
    versions = selectors.framework_version_list(include_drafts=manager)
    return render(request, "kpi/list.html", {"versions": versions, "can_manage": manager})


@login_required
def framework_detail(request, code: str):
    manager = access.can_manage_frameworks(request.user)
    version = _version_or_404(code, manager=manager)
    return render(
        request,
        "kpi/detail.html",
        {
            "version": version,
            "d": selectors.framework_version_display(version=version),
            "history": selectors.framework_version_history(version=version),
            "can_manage": manager,
            "preview_form": PreviewForm(spec=version.spec) if manager else None,
        },
    )


@login_required
def framework_copy(request, code: str):
    _require_manager(request)
    source = _version_or_404(code, manager=True)
    form = CopyForm(request.POST or None, initial={"code": _suggested_code(source)})
    if request.method == "POST" and form.is_valid():
        try:
            version = services.framework_version_copy(source=source, code=form.cleaned_data["code"], actor=request.user)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(
                request,
                _("Draft %(code)s created from %(source)s.") % {"code": version.code, "source": source.code},
            )
            return redirect("kpi:edit", code=version.code)
    return render(request, "kpi/copy.html", {"source": source, "form": form})


def _edit_page(request, version: FrameworkVersion, *, form=None, publish_form=None):
    return render(
        request,
        "kpi/edit.html",
        {
            "version": version,
            "form": form or DefinitionForm(version=version),
            "preview_form": PreviewForm(spec=version.spec),
            "publish_form": publish_form
            or PublishForm(initial={"effective_from": _next_month(access.today()), "revision": version.revision}),
            "history": selectors.framework_version_history(version=version),
        },
    )


def _refuse_frozen(request, version: FrameworkVersion):
    if version.is_used:
        messages.error(
            request,
            _("Version %(code)s has already been used to score forms and can no longer be changed. Make a copy.")
            % {"code": version.code},
        )
    else:
        messages.error(request, _("Version %(code)s is retired and can no longer be changed.") % {"code": version.code})
    return redirect("kpi:detail", code=version.code)


@login_required
def framework_edit(request, code: str):
    _require_manager(request)
    version = _version_or_404(code, manager=True)
    if not version.is_editable:
        return _refuse_frozen(request, version)
    if request.method != "POST":
        return _edit_page(request, version)
    form = DefinitionForm(request.POST, version=version)
    if form.is_valid():
        try:
            services.framework_version_update(
                version=version,
                definition=form.definition(),
                actor=request.user,
                revision=form.cleaned_data["revision"],
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Version %(code)s saved.") % {"code": version.code})
            return redirect("kpi:edit", code=version.code)
    return _edit_page(request, version, form=form)


@login_required
@require_POST
def framework_preview(request, code: str):
    """Score a sample case under the saved version: an htmx partial, or a page without JavaScript."""
    _require_manager(request)
    version = _version_or_404(code, manager=True)
    form = PreviewForm(request.POST, spec=version.spec)
    result = None
    if form.is_valid():
        try:
            result = scoring.score(version.spec, **form.case())
        except scoring.ScoringError as error:
            form.add_scoring_error(error)
    template = "kpi/_preview.html" if request.headers.get("HX-Request") else "kpi/preview.html"
    band = None if result is None else version.spec.band(result.grade)
    return render(request, template, {"version": version, "preview_form": form, "result": result, "result_band": band})


@login_required
@require_POST
def framework_publish(request, code: str):
    _require_manager(request)
    version = _version_or_404(code, manager=True)
    if not version.is_editable:
        return _refuse_frozen(request, version)
    form = PublishForm(request.POST)
    if form.is_valid():
        try:
            services.framework_version_publish(
                version=version,
                effective_from=form.cleaned_data["effective_from"],
                actor=request.user,
                revision=form.cleaned_data["revision"],
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(
                request,
                _("Version %(code)s published, in force from %(date)s.")
                % {"code": version.code, "date": form.cleaned_data["effective_from"].strftime("%d/%m/%Y")},
            )
            return redirect("kpi:detail", code=version.code)
    return _edit_page(request, version, publish_form=form)
