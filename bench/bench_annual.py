"""Benchmark the annual classification: N people × 12 locked months, then `annual_compute` twice.

    .venv/bin/python bench/bench_annual.py --people 20000
    .venv/bin/python bench/bench_annual.py --people 150000 --database-url postgres://u:p@localhost/bench

Builds a fresh database (a new SQLite file in a temporary directory unless --database-url is given,
with the production SQLite options): one city, agencies with divisions, one head per agency, staff,
one primary assignment each (5% transferred to another agency on 1 July), and twelve locked monthly
forms per person under HN-3814-2018 written with bulk_create (about 2% "not evaluated", some
maternity and discipline flags). Prints the seconds of the aggregate query, of the first compute
(everything created), of a rerun (nothing changes) and the peak RSS.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import sys
import tempfile
import time
from datetime import date
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
YEAR = 2025
LONG_AGO = date(2018, 1, 1)
TRANSFER = date(YEAR, 7, 1)


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def build(people: int, per_agency: int, seed: int = 2025) -> None:
    from evaluation.models import Evaluation, Period
    from kpi.models import FrameworkVersion
    from kpi.scoring import grade_for_total
    from orgchart.models import Assignment, OrgUnit, Person, Position

    rng = random.Random(seed)
    framework = FrameworkVersion.objects.get(code="HN-3814-2018")
    spec = framework.spec
    head_pos = Position.objects.create(code="TRUONG", title="Giám đốc", kind="HEAD", is_leader=True)
    staff_pos = Position.objects.create(code="CV", title="Chuyên viên", kind="STAFF")
    # The tree written directly with materialised paths (treebeard's add_child costs queries per unit).
    n_agencies = max(1, people // per_agency)
    path = OrgUnit._get_path
    units = [
        OrgUnit(
            path=path(None, 1, 1),
            depth=1,
            numchild=n_agencies,
            code="HN",
            name="Thành phố Hà Nội",
            kind="CITY",
            valid_from=LONG_AGO,
        )
    ]
    for i in range(n_agencies):
        agency_path = path(units[0].path, 2, i + 1)
        units.append(
            OrgUnit(
                path=agency_path,
                depth=2,
                numchild=4,
                code=f"A{i:04d}",
                name=f"Cơ quan {i}",
                kind="DEPARTMENT",
                valid_from=LONG_AGO,
            )
        )
        units += [
            OrgUnit(
                path=path(agency_path, 3, d + 1),
                depth=3,
                numchild=0,
                code=f"A{i:04d}-{d}",
                name=f"Phòng {d}",
                kind="DIVISION",
                valid_from=LONG_AGO,
            )
            for d in range(4)
        ]
    OrgUnit.objects.bulk_create(units, batch_size=2000)
    by_code = {u.code: u for u in OrgUnit.objects.all()}
    city = by_code["HN"]
    agencies = [by_code[f"A{i:04d}"] for i in range(n_agencies)]
    divisions = [[by_code[f"A{i:04d}-{d}"] for d in range(4)] for i in range(n_agencies)]
    persons = Person.objects.bulk_create(
        [
            Person(
                employee_code=f"B{n:07d}",
                full_name=f"Người {n}",
                subject_group="CONG_CHUC",
                similar_task_group=rng.choice(["", "", "Kế toán", "Pháp chế"]),
            )
            for n in range(people)
        ],
        batch_size=5000,
    )
    if persons[0].pk is None:  # backends that do not return ids
        persons = list(Person.objects.order_by("pk"))
    assignments = []
    placement: dict[int, tuple] = {}  # person id -> [(from month, unit, position)]
    for n, person in enumerate(persons):
        a = n % len(agencies)
        if n < len(agencies):
            unit, pos = agencies[a], head_pos
        else:
            unit, pos = rng.choice(divisions[a]), staff_pos
        if pos is staff_pos and rng.random() < 0.05:
            other = rng.choice(divisions[(a + 1) % len(agencies)])
            assignments.append(
                Assignment(person=person, unit=unit, position=pos, valid_from=LONG_AGO, valid_to=date(YEAR, 6, 30))
            )
            assignments.append(Assignment(person=person, unit=other, position=pos, valid_from=TRANSFER))
            placement[person.pk] = ((1, unit, pos), (7, other, pos))
        else:
            assignments.append(Assignment(person=person, unit=unit, position=pos, valid_from=LONG_AGO))
            placement[person.pk] = ((1, unit, pos),)
    Assignment.objects.bulk_create(assignments, batch_size=5000)
    agency_of = {u.pk: agencies[i] for i, divs in enumerate(divisions) for u in divs}
    agency_of.update({a.pk: city for a in agencies})
    for month in range(1, 13):
        period = Period.objects.create(
            year=YEAR,
            month=month,
            opens_on=date(YEAR, month, 20),
            self_due=date(YEAR, month, 20),
            review_due=date(YEAR, month, 20),
            decide_due=date(YEAR, month, 20),
            complaint_days=5,
            state="closed",
        )
        rows = []
        for person in persons:
            steps = placement[person.pk]
            _m, unit, pos = next(s for s in reversed(steps) if s[0] <= month)
            flags = {}
            if rng.random() < 0.02:
                total, grade, reason = None, "", "Nghỉ thai sản"
                flags["maternity"] = rng.random() < 0.5
            else:
                total = Decimal(rng.randrange(5000, 10001)).scaleb(-2)
                grade, reason = grade_for_total(spec, total), ""
                if rng.random() < 0.002:
                    flags["disciplined_in_period"] = True
            rows.append(
                Evaluation(
                    period=period,
                    person=person,
                    unit=unit,
                    unit_code=unit.code,
                    unit_name=unit.name,
                    position=pos,
                    position_title=pos.title,
                    subject_group="CONG_CHUC",
                    similar_task_group=person.similar_task_group,
                    decision_unit=agency_of[unit.pk],
                    framework=framework,
                    variant="LEADER" if pos is head_pos else "STAFF",
                    status="locked",
                    final_total=total,
                    grade=grade,
                    flags=flags,
                    not_evaluated_reason=reason,
                )
            )
        Evaluation.objects.bulk_create(rows, batch_size=5000)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--people", type=int, default=20_000)
    parser.add_argument("--per-agency", type=int, default=100)
    parser.add_argument("--database-url", help="PostgreSQL URL of an empty database (default: a new SQLite file)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    parser.add_argument("--profile", action="store_true", help="print a cProfile of the first compute")
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="danhgia-bench-annual-"))
    database_url = args.database_url or f"sqlite:///{workdir / 'bench.sqlite3'}"
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("SECRET_KEY", "bench-only")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    sys.path.insert(0, str(ROOT))

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from evaluation import ratings
    from evaluation.models import AnnualClassification, Evaluation

    call_command("migrate", verbosity=0)
    print(f"database: {connection.vendor} ({database_url})")
    t0 = time.monotonic()
    build(args.people, args.per_agency)
    print(f"built {Evaluation.objects.count():,} locked forms in {time.monotonic() - t0:.1f} s")
    print(f"peak RSS after building: {rss_mb():.0f} MB")

    codes = ["A", "B", "C", "D"]
    t1 = time.monotonic()
    rows = ratings.annual_aggregates(year=YEAR, grade_codes=codes)
    t2 = time.monotonic()
    print(f"aggregate query alone: {t2 - t1:6.2f} s  ({len(rows):,} rows)")
    del rows
    t3 = time.monotonic()
    if args.profile:
        import cProfile
        import pstats

        profiler = cProfile.Profile()
        first = profiler.runcall(ratings.annual_compute, year=YEAR, on=date(YEAR, 12, 31))
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(25)
    else:
        first = ratings.annual_compute(year=YEAR, on=date(YEAR, 12, 31))
    t4 = time.monotonic()
    print(f"annual_compute (first): {t4 - t3:6.2f} s  {first}  peak RSS {rss_mb():.0f} MB")
    again = ratings.annual_compute(year=YEAR, on=date(YEAR, 12, 31))
    t5 = time.monotonic()
    print(f"annual_compute (rerun): {t5 - t4:6.2f} s  {again}  peak RSS {rss_mb():.0f} MB")
    levels = dict(AnnualClassification.objects.values_list("computed_level").annotate(n=django.db.models.Count("pk")))
    print("levels:", levels)
    if args.keep:
        print(f"kept {workdir}")
    else:
        for child in workdir.iterdir():
            child.unlink()
        workdir.rmdir()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
