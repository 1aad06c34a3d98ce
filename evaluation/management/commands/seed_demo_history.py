"""`manage.py seed_demo_history [--months 12] [--if-empty]`: a year of demo results after `seed_demo`.

A separate command (not a step of `seed_demo`) because `orgchart` never imports `evaluation`.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from evaluation import demo_history


class Command(BaseCommand):
    help = (
        "Open the current month (drafts) and fill the previous months with decided, published and locked "
        "demo forms for the demo org chart (run seed_demo first)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--months", type=int, default=12, help="how many past months to fill (default 12)")
        parser.add_argument("--if-empty", action="store_true", help="do nothing when any form exists")

    def handle(self, *args, months: int, if_empty: bool, verbosity: int = 1, **options):
        if months < 0:
            raise CommandError("--months must not be negative.")
        self.verbosity = verbosity
        show = verbosity >= 1
        report = demo_history.seed_demo_history(
            months=months, if_empty=if_empty, progress=self._month if show else None
        )
        if report.skipped:
            if show:
                self.stdout.write("Forms exist already: seed_demo_history --if-empty did nothing.")
            return
        if show:
            year, month = report.current
            self.stdout.write(f"{month:02d}/{year} open: {report.current_created:,} new draft forms.")
            filled = [m for m in report.months if m.filled]
            total = sum(m.forms for m in filled)
            self.stdout.write(
                self.style.SUCCESS(
                    f"{len(filled)} months filled, {total:,} forms, "
                    f"{sum(m.history_rows for m in filled):,} history rows in {report.seconds:.1f} s."
                )
            )

    def _month(self, month: demo_history.MonthReport) -> None:
        if not month.filled:
            self.stdout.write(f"{month}: already has results, skipped.")
            return
        grades = ", ".join(f"{grade} {n:,}" for (_code, grade), n in sorted(month.grades.items()))
        statuses = ", ".join(f"{status} {n:,}" for status, n in sorted(month.statuses.items()))
        self.stdout.write(
            f"{month}: {month.forms:,} forms ({statuses}); {grades}; not evaluated {month.not_evaluated:,}; "
            f"{month.lowered_for_quota:,} lowered for the quota; {month.publications:,} publications; "
            f"{month.seconds:.1f} s"
        )
        if self.verbosity >= 2:
            self.stdout.write("  " + ", ".join(f"{name} {seconds:.1f} s" for name, seconds in month.phases.items()))
