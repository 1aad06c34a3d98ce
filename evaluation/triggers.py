"""Database triggers that make locked forms, locked ratings and history rows immutable, even to raw SQL.

Installed on SQLite and PostgreSQL by migration 0002 (forms, history) and 0007 (quarterly ratings and
annual results, whose tables come later). The services never update a locked row; a complaint outcome
creates a new revision instead.
"""

from __future__ import annotations

LOCKED = "locked"
FORMS = "evaluation_evaluation"
APPEND_ONLY = ("evaluation_evaluationhistory",)

SQLITE_INSTALL = [
    f"""CREATE TRIGGER IF NOT EXISTS {FORMS}_locked_no_update BEFORE UPDATE ON {FORMS}
        FOR EACH ROW WHEN OLD.status = '{LOCKED}'
        BEGIN SELECT RAISE(ABORT, 'danhgia: a locked evaluation cannot be changed'); END""",
    f"""CREATE TRIGGER IF NOT EXISTS {FORMS}_locked_no_delete BEFORE DELETE ON {FORMS}
        FOR EACH ROW WHEN OLD.status = '{LOCKED}'
        BEGIN SELECT RAISE(ABORT, 'danhgia: a locked evaluation cannot be deleted'); END""",
] + [
    stmt
    for table in APPEND_ONLY
    for stmt in (
        f"""CREATE TRIGGER IF NOT EXISTS {table}_no_update BEFORE UPDATE ON {table}
            BEGIN SELECT RAISE(ABORT, 'danhgia: history rows are append-only'); END""",
        f"""CREATE TRIGGER IF NOT EXISTS {table}_no_delete BEFORE DELETE ON {table}
            BEGIN SELECT RAISE(ABORT, 'danhgia: history rows are append-only'); END""",
    )
]
SQLITE_UNINSTALL = [
    f"DROP TRIGGER IF EXISTS {FORMS}_locked_no_update",
    f"DROP TRIGGER IF EXISTS {FORMS}_locked_no_delete",
] + [f"DROP TRIGGER IF EXISTS {t}_{op}" for t in APPEND_ONLY for op in ("no_update", "no_delete")]

POSTGRES_INSTALL = [
    f"""CREATE OR REPLACE FUNCTION danhgia_refuse_locked() RETURNS trigger AS $$
        BEGIN
          IF OLD.status = '{LOCKED}' THEN
            RAISE EXCEPTION 'danhgia: a locked evaluation cannot be changed (id %)', OLD.id;
          END IF;
          IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
          RETURN NEW;
        END $$ LANGUAGE plpgsql""",
    """CREATE OR REPLACE FUNCTION danhgia_refuse_change() RETURNS trigger AS $$
        BEGIN
          RAISE EXCEPTION 'danhgia: % rows are append-only', TG_TABLE_NAME;
        END $$ LANGUAGE plpgsql""",
    f"DROP TRIGGER IF EXISTS {FORMS}_locked ON {FORMS}",
    f"""CREATE TRIGGER {FORMS}_locked BEFORE UPDATE OR DELETE ON {FORMS}
        FOR EACH ROW EXECUTE FUNCTION danhgia_refuse_locked()""",
] + [
    stmt
    for table in APPEND_ONLY
    for stmt in (
        f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}",
        f"""CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table}
            FOR EACH ROW EXECUTE FUNCTION danhgia_refuse_change()""",
    )
]
POSTGRES_UNINSTALL = [f"DROP TRIGGER IF EXISTS {FORMS}_locked ON {FORMS}"] + [
    f"DROP TRIGGER IF EXISTS {t}_append_only ON {t}" for t in APPEND_ONLY
]


# Locked quarterly ratings and annual results (same status code).
RATINGS = ("evaluation_quarterlyrating", "evaluation_annualclassification")
SQLITE_RATINGS_INSTALL = [
    stmt
    for table in RATINGS
    for stmt in (
        f"""CREATE TRIGGER IF NOT EXISTS {table}_locked_no_update BEFORE UPDATE ON {table}
            FOR EACH ROW WHEN OLD.status = '{LOCKED}'
            BEGIN SELECT RAISE(ABORT, 'danhgia: a locked rating cannot be changed'); END""",
        f"""CREATE TRIGGER IF NOT EXISTS {table}_locked_no_delete BEFORE DELETE ON {table}
            FOR EACH ROW WHEN OLD.status = '{LOCKED}'
            BEGIN SELECT RAISE(ABORT, 'danhgia: a locked rating cannot be deleted'); END""",
    )
]
SQLITE_RATINGS_UNINSTALL = [
    f"DROP TRIGGER IF EXISTS {t}_{op}" for t in RATINGS for op in ("locked_no_update", "locked_no_delete")
]
POSTGRES_RATINGS_INSTALL = [
    f"""CREATE OR REPLACE FUNCTION danhgia_refuse_locked_rating() RETURNS trigger AS $$
        BEGIN
          IF OLD.status = '{LOCKED}' THEN
            RAISE EXCEPTION 'danhgia: a locked rating cannot be changed (% id %)', TG_TABLE_NAME, OLD.id;
          END IF;
          IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
          RETURN NEW;
        END $$ LANGUAGE plpgsql""",
] + [
    stmt
    for table in RATINGS
    for stmt in (
        f"DROP TRIGGER IF EXISTS {table}_locked ON {table}",
        f"""CREATE TRIGGER {table}_locked BEFORE UPDATE OR DELETE ON {table}
            FOR EACH ROW EXECUTE FUNCTION danhgia_refuse_locked_rating()""",
    )
]
POSTGRES_RATINGS_UNINSTALL = [f"DROP TRIGGER IF EXISTS {t}_locked ON {t}" for t in RATINGS]

_STATEMENTS = {
    ("forms", "sqlite"): (SQLITE_INSTALL, SQLITE_UNINSTALL),
    ("forms", "postgresql"): (POSTGRES_INSTALL, POSTGRES_UNINSTALL),
    ("ratings", "sqlite"): (SQLITE_RATINGS_INSTALL, SQLITE_RATINGS_UNINSTALL),
    ("ratings", "postgresql"): (POSTGRES_RATINGS_INSTALL, POSTGRES_RATINGS_UNINSTALL),
}


def _statements(vendor: str, install: bool, parts: tuple[str, ...]) -> list[str]:
    statements = []
    for part in parts:
        if (part, vendor) not in _STATEMENTS:
            raise NotImplementedError(f"no immutability triggers for {vendor}")
        statements += _STATEMENTS[part, vendor][0 if install else 1]
    return statements


def install(connection, parts: tuple[str, ...] = ("forms", "ratings")) -> None:
    """`parts`: "forms" (forms and history, migration 0002), "ratings" (migration 0007)."""
    with connection.cursor() as cursor:
        for sql in _statements(connection.vendor, True, parts):
            cursor.execute(sql)


def uninstall(connection, parts: tuple[str, ...] = ("forms", "ratings")) -> None:
    """For the migrations' reverse, and for tests that must flush the tables (SQLite's flush is a DELETE)."""
    with connection.cursor() as cursor:
        for sql in _statements(connection.vendor, False, parts):
            cursor.execute(sql)
