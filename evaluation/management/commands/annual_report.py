"""Batch export of the annual classification list: `annual_report --unit CODE --year YYYY ...`.

An administrator's command: it checks no access (whoever runs it can read the database anyway).
A PDF longer than REPORTS_MAX_PAGES (200) is split into parts and written as a zip: the output
then gets a `.zip` suffix unless it already has one.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from evaluation.reports import build
from orgchart.models import OrgUnit


class Command(BaseCommand):
    help = "Write the annual classification list of a unit (or its subtree) as PDF or Excel."

    def add_arguments(self, parser):
        parser.add_argument("--unit", required=True, help="Unit code, e.g. STC")
        parser.add_argument("--year", required=True, type=int)
        parser.add_argument("--format", required=True, choices=[build.PDF, build.XLSX])
        parser.add_argument("--output", required=True, help="File to write")
        parser.add_argument("--subtree", action="store_true", help="Everyone under the unit (HR's list)")
        parser.add_argument(
            "--kind",
            default=build.ANNUAL_LIST,
            choices=[build.ANNUAL_LIST, build.ANNUAL_FORMS],
            help="annual_list (default) or annual_forms (the individual forms, PDF only)",
        )

    def handle(self, *args, unit, year, format, output, subtree, kind, **options):
        org_unit = OrgUnit.objects.filter(code=unit).first()
        if org_unit is None:
            raise CommandError(f"Unknown unit {unit!r}.")
        try:
            spec = build.ReportSpec(kind=kind, unit=org_unit, year=year, fmt=format, subtree=subtree)
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        started = time.perf_counter()
        target = Path(output)
        with tempfile.TemporaryDirectory(prefix="annual-report-") as tmp:
            path = build.build(spec, Path(tmp))
            if path.suffix == ".zip" and target.suffix != ".zip":
                target = target.with_name(target.name + ".zip")
            target.parent.mkdir(parents=True, exist_ok=True)
            partial = target.with_name(f".{target.name}.part")
            shutil.copyfile(path, partial)
            partial.replace(target)  # never a half-written output file
        self.stdout.write(f"{target} ({target.stat().st_size} bytes, {time.perf_counter() - started:.1f} s)")
