"""Benchmark the org-chart import: generate a city-sized xlsx and import it into a fresh database.

    .venv/bin/python bench/bench_import.py --people 200000
    .venv/bin/python bench/bench_import.py --people 200000 --database-url postgres://u:p@localhost/bench

The workbook (about 3,000 units: departments with divisions, 30 districts closed on 30/06/2025
with their offices, 126 communes from 01/07/2025 with offices and schools; one primary assignment
per person plus a pre-reform history for a tenth of them; an account name for everyone; sector links)
is written with openpyxl's write-only mode into a temporary directory. Without --database-url the
import runs against a new SQLite file there (with the production SQLite options); a PostgreSQL
database must be empty (it is migrated first). Prints seconds per phase and the peak RSS.
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
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REFORM = date(2025, 7, 1)
LAST_DAY = date(2025, 6, 30)
START = date(2008, 8, 1)

SURNAMES = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Võ", "Phan", "Đặng", "Bùi", "Đỗ", "Hồ", "Ngô", "Dương"]
MIDDLE = ["Văn", "Thị", "Hữu", "Đức", "Minh", "Thu", "Thanh", "Quang", "Ngọc", "Hoài", "Xuân", "Kim"]
GIVEN = [
    "An",
    "Bình",
    "Cường",
    "Dũng",
    "Giang",
    "Hà",
    "Hải",
    "Hạnh",
    "Hương",
    "Khánh",
    "Lan",
    "Linh",
    "Long",
    "Mai",
    "Nam",
    "Nga",
    "Phong",
    "Phương",
    "Quân",
    "Sơn",
    "Tâm",
    "Thảo",
    "Trang",
    "Tuấn",
    "Việt",
    "Yến",
]
GROUPS = ["CONG_CHUC"] * 5 + ["VIEN_CHUC"] * 8 + ["CAN_BO"] * 2 + ["LAO_DONG_HOP_DONG"] * 2
OFFICE_NAMES = [
    "Văn phòng HĐND và UBND",
    "Phòng Kinh tế",
    "Phòng Văn hoá - Xã hội",
    "Phòng Nội vụ",
    "Phòng Tài chính - Kế hoạch",
    "Phòng Tư pháp",
    "Phòng Tài nguyên và Môi trường",
    "Phòng Y tế",
    "Phòng Giáo dục và Đào tạo",
    "Phòng Quản lý đô thị",
    "Phòng Lao động",
    "Thanh tra",
]
HEADERS = {
    "units": [
        "code",
        "name",
        "short_name",
        "kind",
        "parent_code",
        "valid_from",
        "valid_to",
        "predecessor_codes",
        "succession_kind",
    ],
    "positions": ["code", "title", "kind", "is_leader", "quarterly_rated"],
    "people": ["employee_code", "full_name", "subject_group", "similar_task_group", "email", "username"],
    "assignments": ["employee_code", "unit_code", "position_code", "valid_from", "valid_to", "is_primary", "note"],
    "sector_links": ["department_code", "office_code", "valid_from", "valid_to"],
}
POSITIONS = [
    ("GD-SO", "Giám đốc Sở", "HEAD", 1, 0),
    ("PGD-SO", "Phó Giám đốc Sở", "DEPUTY", 1, 0),
    ("TRUONG-PHONG", "Trưởng phòng", "HEAD", 1, 0),
    ("TP-CM-HUYEN", "Trưởng phòng chuyên môn cấp huyện", "HEAD", 1, 1),
    ("PHO-PHONG", "Phó Trưởng phòng", "DEPUTY", 1, 0),
    ("CT-XA", "Chủ tịch UBND xã", "HEAD", 1, 1),
    ("PCT-XA", "Phó Chủ tịch UBND xã", "DEPUTY", 1, 0),
    ("HIEU-TRUONG", "Hiệu trưởng", "HEAD", 1, 0),
    ("GIAO-VIEN", "Giáo viên", "STAFF", 0, 0),
    ("CHUYEN-VIEN", "Chuyên viên", "STAFF", 0, 0),
]


def build_units(target: int) -> tuple[list[list], dict[str, list[str]], list[list]]:
    """Units, the current units by kind (to place people), and sector links."""
    units: list[list] = [["HN", "Thành phố Hà Nội", "Hà Nội", "CITY", None, START, None, None, None]]
    current: dict[str, list[str]] = {"division": [], "office": [], "commune": [], "school": [], "old_office": []}
    links: list[list] = []
    departments = []
    for d in range(1, 16):
        code = f"SO-{d:02d}"
        departments.append(code)
        units.append([code, f"Sở số {d}", f"S{d}", "DEPARTMENT", "HN", START, None, None, None])
        for k in range(1, 9):
            units.append([f"{code}-P{k}", f"Phòng {k} Sở số {d}", None, "DIVISION", code, START, None, None, None])
            current["division"].append(f"{code}-P{k}")
    for q in range(1, 31):
        code = f"Q-{q:02d}"
        units.append([code, f"Quận/huyện số {q}", None, "DISTRICT", "HN", START, LAST_DAY, None, None])
        for k, name in enumerate(OFFICE_NAMES, start=1):
            office = f"{code}-PB{k:02d}"
            units.append([office, f"{name} quận/huyện số {q}", None, "OFFICE", code, START, LAST_DAY, None, None])
            current["old_office"].append(office)
            links.append([departments[k % len(departments)], office, START, LAST_DAY])
    for x in range(1, 127):
        code = f"X-{x:03d}"
        district = f"Q-{(x - 1) % 30 + 1:02d}"
        units.append([code, f"Xã/phường số {x}", None, "COMMUNE", "HN", REFORM, None, district, "MERGE"])
        current["commune"].append(code)
        for k, name in enumerate(OFFICE_NAMES[:6], start=1):
            office = f"{code}-PB{k}"
            units.append(
                [
                    office,
                    f"{name} xã/phường số {x}",
                    None,
                    "OFFICE",
                    code,
                    REFORM,
                    None,
                    f"{district}-PB{k:02d}",
                    "TRANSFER",
                ]
            )
            current["office"].append(office)
            links.append([departments[k % len(departments)], office, REFORM, None])
    school = 0
    while len(units) < target:
        school += 1
        commune = current["commune"][school % len(current["commune"])]
        code = f"{commune}-TH{school:04d}"
        units.append([code, f"Trường số {school} {commune}", None, "SERVICE_UNIT", commune, REFORM, None, None, None])
        current["school"].append(code)
    return units, current, links


def generate(path: Path, people: int, unit_target: int, seed: int = 2025) -> dict[str, int]:
    from openpyxl import Workbook

    rng = random.Random(seed)
    units, current, links = build_units(unit_target)
    workbook = Workbook(write_only=True)
    sizes = {}

    def sheet(name: str, rows) -> None:
        ws = workbook.create_sheet(name)
        ws.append(HEADERS[name])
        count = 0
        for row in rows:
            ws.append(row)
            count += 1
        sizes[name] = count

    sheet("units", units)
    sheet("positions", [list(p) for p in POSITIONS])
    sheet(
        "people",
        (
            [
                f"NV{i:07d}",
                f"{rng.choice(SURNAMES)} {rng.choice(MIDDLE)} {rng.choice(GIVEN)}",
                rng.choice(GROUPS),
                None,
                f"nv{i:07d}@hanoi.gov.vn" if i % 3 else None,
                f"nv{i:07d}",
            ]
            for i in range(1, people + 1)
        ),
    )

    def assignments():
        pools = [
            ("division", "CHUYEN-VIEN"),
            ("office", "CHUYEN-VIEN"),
            ("school", "GIAO-VIEN"),
            ("commune", "CHUYEN-VIEN"),
        ]
        weights = [10, 30, 50, 10]
        for i in range(1, people + 1):
            pool, position = rng.choices(pools, weights)[0]
            unit = rng.choice(current[pool])
            start = REFORM if pool != "division" else date(2015 + i % 10, 1 + i % 12, 1)
            if pool != "division" and i % 10 == 0:  # before the reform: an office of a district
                old = rng.choice(current["old_office"])
                yield [f"NV{i:07d}", old, "CHUYEN-VIEN", date(2012 + i % 10, 1 + i % 12, 1), LAST_DAY, 1, None]
            yield [f"NV{i:07d}", unit, position, start, None, 1, None]

    sheet("assignments", assignments())
    sheet("sector_links", links)
    workbook.save(path)
    return sizes


def cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--people", type=int, default=200_000)
    parser.add_argument("--units", type=int, default=3_000)
    parser.add_argument("--database-url", help="PostgreSQL URL of an empty database (default: a new SQLite file)")
    parser.add_argument("--reimport", action="store_true", help="also time a second import of the same file")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="danhgia-bench-"))
    database_url = args.database_url or f"sqlite:///{workdir / 'bench.sqlite3'}"
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("SECRET_KEY", "bench-only")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    needed = args.people * 2 + args.units + 5_000
    if needed > int(os.environ.get("ORGCHART_IMPORT_MAX_ROWS", "500000")):
        os.environ["ORGCHART_IMPORT_MAX_ROWS"] = str(needed)
    os.environ.setdefault("ORGCHART_IMPORT_MAX_BYTES", str(512 * 1024 * 1024))
    sys.path.insert(0, str(ROOT))

    import logging

    import django

    django.setup()
    phases = logging.getLogger("orgchart.bulk")
    phases.setLevel(logging.DEBUG)
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(logging.Formatter("  %(message)s"))
    phases.addHandler(handler)
    phases.propagate = False
    from django.core.management import call_command
    from django.db import connection

    from orgchart.bulk import load_orgchart
    from orgchart.importer import read_paths
    from orgchart.models import Assignment, AuditEvent, OrgUnit, Person

    started = time.monotonic()
    path = workdir / "orgchart.xlsx"
    sizes = generate(path, args.people, args.units)
    print(f"generated {path} ({path.stat().st_size / 1e6:.1f} MB) in {time.monotonic() - started:.1f} s: {sizes}")

    call_command("migrate", verbosity=0)
    if OrgUnit.objects.exists():
        print("the database is not empty: give an empty database", file=sys.stderr)
        return 2
    print(f"database: {connection.vendor} ({database_url})")
    print(f"peak RSS before import: {rss_mb():.0f} MB")

    t0, c0 = time.monotonic(), cpu_s()
    data = read_paths([path])
    t1, c1 = time.monotonic(), cpu_s()
    report = load_orgchart(data, actor=None, source=path.name)
    t2, c2 = time.monotonic(), cpu_s()
    print(f"read xlsx:      {t1 - t0:6.1f} s elapsed, {c1 - c0:6.1f} s CPU  ({data.total_rows():,} rows)")
    print(f"validate+write: {t2 - t1:6.1f} s elapsed, {c2 - c1:6.1f} s CPU (this process; not the database server)")
    print(f"total import:   {t2 - t0:6.1f} s elapsed, {c2 - c0:6.1f} s CPU, peak RSS {rss_mb():.0f} MB")
    print("created:", report.created)
    print(
        f"rows now: {OrgUnit.objects.count():,} units, {Person.objects.count():,} people, "
        f"{Assignment.objects.count():,} assignments, {AuditEvent.objects.count():,} audit events"
    )
    problems = OrgUnit.objects.find_problems()
    print("tree problems:", "none" if not any(problems) else problems)

    if args.reimport:
        del data
        t3, c3 = time.monotonic(), cpu_s()
        again = load_orgchart(read_paths([path]), actor=None, source=path.name)
        t4, c4 = time.monotonic(), cpu_s()
        print(
            f"re-import:      {t4 - t3:6.1f} s elapsed, {c4 - c3:6.1f} s CPU, changed={again.changed}, "
            f"peak RSS {rss_mb():.0f} MB"
        )

    if args.keep:
        print(f"kept {workdir}")
    else:
        for child in workdir.iterdir():
            child.unlink()
        workdir.rmdir()
    return 0


if __name__ == "__main__":
    sys.exit(main())
