"""Database triggers that make locked forms and history rows immutable, even to raw SQL.

Installed by migration 0002 on SQLite and PostgreSQL. The services never update a locked form; a
complaint outcome creates a new revision instead.
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


def _statements(vendor: str, install: bool) -> list[str]:
    if vendor == "sqlite":
        return SQLITE_INSTALL if install else SQLITE_UNINSTALL
    if vendor == "postgresql":
        return POSTGRES_INSTALL if install else POSTGRES_UNINSTALL
    raise NotImplementedError(f"no immutability triggers for {vendor}")


def install(connection) -> None:
    with connection.cursor() as cursor:
        for sql in _statements(connection.vendor, True):
            cursor.execute(sql)


def uninstall(connection) -> None:
    """Only for tests that must flush the tables (SQLite's flush is a DELETE)."""
    with connection.cursor() as cursor:
        for sql in _statements(connection.vendor, False):
            cursor.execute(sql)
