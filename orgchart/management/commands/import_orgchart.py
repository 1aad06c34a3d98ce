"""Import the org chart from an .xlsx workbook, .csv files (one per entity) or a .zip of them.

    python manage.py import_orgchart orgchart.xlsx [--dry-run] [--actor USERNAME]
    python manage.py import_orgchart units.csv people.csv assignments.csv

All or nothing: on any error every error is printed as `sheet:row:column: message`, nothing is
written, and the command exits with status 1. See docs/IMPORT.md.
"""

from __future__ import annotations

import time

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from orgchart.bulk import ImportFailed, load_orgchart
from orgchart.importer import read_paths


class Command(BaseCommand):
    help = "Import units, positions, people, assignments and sector links (all or nothing)."

    def add_arguments(self, parser):
        parser.add_argument("files", nargs="+", metavar="FILE", help=".xlsx, .csv (named after the sheet) or .zip")
        parser.add_argument("--dry-run", action="store_true", help="check only: validate and count, write nothing")
        parser.add_argument("--actor", metavar="USERNAME", help="the user recorded in the audit log")

    def handle(self, *args, files, dry_run=False, actor=None, **options):
        user = None
        if actor:
            user = get_user_model().objects.filter(**{get_user_model().USERNAME_FIELD: actor}).first()
            if user is None:
                raise CommandError(f"No user named {actor!r}.")
        started = time.monotonic()
        try:
            data = read_paths(files)
            report = load_orgchart(data, actor=user, dry_run=dry_run, source=", ".join(files)[:200])
        except ImportFailed as exc:
            for error in exc.errors:
                self.stderr.write(str(error))
            raise CommandError(f"{len(exc.errors)} lỗi; không có dữ liệu nào được ghi.", returncode=1) from None
        elapsed = time.monotonic() - started
        title = "Kiểm tra xong (không ghi gì)" if dry_run else "Nhập xong"
        self.stdout.write(f"{title} trong {elapsed:.1f} giây.")
        self.stdout.write(f"{'':28}{'tạo mới':>10}{'cập nhật':>10}{'giữ nguyên':>12}")
        for _key, label, created, updated, unchanged in report.lines():
            self.stdout.write(f"{label:28}{created:>10}{updated:>10}{unchanged:>12}")
