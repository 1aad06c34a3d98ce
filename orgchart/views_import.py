"""The HR page that imports the org chart from a file (all or nothing), and its template file."""

from __future__ import annotations

from pathlib import Path

from django import forms
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

from orgchart import access, importer
from orgchart.bulk import ImportFailed, load_orgchart

TEMPLATE_FILE = Path(settings.BASE_DIR) / "fixtures" / "orgchart_import_template.xlsx"
MAX_ERRORS_SHOWN = 1000  # the command line prints all of them


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    widget = MultipleFileInput

    def clean(self, data, initial=None):
        single = super().clean
        items = list(data) if isinstance(data, list | tuple) else [data] if data else []
        if not items:
            return [single(None, initial)]  # raises "required"
        return [single(item, initial) for item in items]


class ImportForm(forms.Form):
    # Empty files pass the form: the importer refuses them with its own message.
    files = MultipleFileField(
        label=_("File(s)"),
        allow_empty_file=True,
        widget=MultipleFileInput(attrs={"accept": ".xlsx,.csv,.zip"}),
    )
    dry_run = forms.BooleanField(label=_("Check only (dry run): validate and count, save nothing"), required=False)


def _require_importer(request) -> None:
    if not access.can_import(request.user):
        raise Http404


@login_required
def import_page(request):
    _require_importer(request)
    form = ImportForm(request.POST, request.FILES) if request.method == "POST" else ImportForm()
    context = {
        "form": form,
        "max_mb": settings.ORGCHART_IMPORT_MAX_BYTES // (1024 * 1024),
        "max_rows": settings.ORGCHART_IMPORT_MAX_ROWS,
    }
    if request.method == "POST" and form.is_valid():
        uploads = form.cleaned_data["files"]
        try:
            data = importer.read_files([(upload.name, upload) for upload in uploads])
            context["report"] = load_orgchart(
                data,
                actor=request.user,
                dry_run=form.cleaned_data["dry_run"],
                source=", ".join(upload.name for upload in uploads)[:200],
            )
        except ImportFailed as exc:
            context["errors"] = exc.errors[:MAX_ERRORS_SHOWN]
            context["error_count"] = len(exc.errors)
            context["errors_truncated"] = len(exc.errors) > MAX_ERRORS_SHOWN
        context["file_names"] = [upload.name for upload in uploads]
    return render(request, "orgchart/import.html", context)


@login_required
def import_template(request):
    _require_importer(request)
    if not TEMPLATE_FILE.is_file():
        raise Http404
    return FileResponse(TEMPLATE_FILE.open("rb"), as_attachment=True, filename="mau_nhap_so_do_to_chuc.xlsx")
