"""Dry-run quota check under a published framework version (for HR and support).

    python manage.py kpi_quota --framework HN-3814-2018 --grades A,A,B,B,C [--exception]

Prints {"allowed": n, "count": m, "ok": bool, ...} for the framework's quota grade over the grades
of the people rated in one scope.
"""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand, CommandError

from kpi.management.commands.kpi_score import published_spec
from kpi.quota import QuotaError, check_quota


class Command(BaseCommand):
    help = "Check a framework's grade quota over a comma-separated list of grades and print JSON."

    def add_arguments(self, parser):
        parser.add_argument("--framework", required=True, help="Code of a published framework version.")
        parser.add_argument("--grades", required=True, help="Grades of the people rated, e.g. A,B,B,C.")
        parser.add_argument(
            "--exception", action="store_true", help="Use the exceptional ratio (needs a written justification)."
        )

    def handle(self, *args, **options):
        spec = published_spec(options["framework"])
        if spec.quota is None:
            raise CommandError(f"Khung {spec.code} không có tỷ lệ khống chế.")
        grades = [grade.strip() for grade in options["grades"].split(",")] if options["grades"].strip() else []
        codes = [band.code for band in spec.grades]
        for position, grade in enumerate(grades, start=1):
            if grade not in codes:
                raise CommandError(
                    f"Mức xếp loại thứ {position} “{grade}” không có trong khung {spec.code} ({', '.join(codes)})."
                )
        try:
            result = check_quota(spec.quota, grades, exception=options["exception"])
        except QuotaError as error:
            raise CommandError(str(error)) from error
        output = {
            "framework": spec.code,
            "grade": spec.quota.grade,
            "allowed": result.allowed,
            "count": result.count,
            "ok": result.ok,
            "over": result.over,
            "base": result.base,
            "rated": result.rated,
            "ratio": float(result.ratio_used),
            "exception": options["exception"],
            "justification_required": result.justification_required,
        }
        self.stdout.write(json.dumps(output, ensure_ascii=False, indent=2))
