"""`manage.py seed_demo --size small|hanoi [--if-empty] [--password ...]`: load the demo org chart."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from orgchart import demo


def _peak_memory_mb() -> float | None:
    try:
        import resource
    except ImportError:  # not on Unix
        return None
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kilobytes on Linux


class Command(BaseCommand):
    help = "Load the demo org chart of Hanoi through the bulk loader and set up the demo accounts."

    def add_arguments(self, parser):
        parser.add_argument("--size", choices=demo.SIZES, default="small", help="small (tests, default) or hanoi")
        parser.add_argument("--if-empty", action="store_true", help="do nothing when any unit exists")
        parser.add_argument("--password", default=None, help="password of the demo accounts (DEMO_PASSWORD)")

    def handle(self, *args, size: str, if_empty: bool, password: str | None, **options):
        from orgchart.bulk import ImportFailed

        password = password if password is not None else demo.default_password()
        try:
            result = demo.seed_demo(size=size, password=password, if_empty=if_empty)
        except ImportFailed as exc:
            errors = list(getattr(exc, "errors", None) or [exc])
            lines = [f"  {e}" for e in errors[:20]]
            if len(errors) > 20:
                lines.append(f"  … and {len(errors) - 20} more")
            raise CommandError("The demo data was refused by the loader:\n" + "\n".join(lines)) from exc
        if result.skipped:
            self.stdout.write("The org chart is not empty: seed_demo --if-empty did nothing.")
            return

        out = self.stdout.write
        out(self.style.SUCCESS(f"Demo org chart '{size}' loaded."))
        out("Generated rows: " + ", ".join(f"{k} {v:,}" for k, v in result.generated.items()))
        out("In the database: " + ", ".join(f"{k} {v:,}" for k, v in result.counts.items()))
        if result.report is not None:
            changes = ", ".join(f"{key} +{c:,} ~{u:,} ={n:,}" for key, _label, c, u, n in result.report.lines())
            out(f"Loader (+created ~updated =unchanged): {changes}")
        peak = _peak_memory_mb()
        timing = ", ".join(f"{k} {v:.1f} s" for k, v in result.seconds.items())
        out(f"Elapsed: {timing}" + (f"; peak memory {peak:,.0f} MB" if peak else ""))
        out("")
        width = max(len(a.username) for a in demo.DEMO_ACCOUNTS)
        out(f"{'Username':<{width}}  {'Password':<{max(len(password), 8)}}  Role")
        for account in demo.DEMO_ACCOUNTS:
            out(f"{account.username:<{width}}  {password:<{max(len(password), 8)}}  {account.role}")
