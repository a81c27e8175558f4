"""Numbered SQL migrations: applied once each, in order, each in one transaction; data survives."""
from __future__ import annotations

import re
import shutil

import duckdb
import pytest

from core.orgs import organisations
from core.platform import migrate
from core.platform.actor import Actor
from core.platform.db import close_all, get_db
from tests.test_schema_organisation import org_values

STAFF = Actor("wangmin", ("staff",))
FILES = sorted(migrate.MIGRATIONS_DIR.glob("*.sql"))


def versions(db) -> list[tuple[int, str]]:
    return [(r["version"], r["name"]) for r in db.fetch_all("SELECT version, name FROM schema_version ORDER BY version")]


def expected_versions() -> list[tuple[int, str]]:
    return [(int(p.name[:3]), p.stem[4:]) for p in FILES]


def tables(db) -> set[str]:
    return {r["table_name"] for r in db.fetch_all("SELECT table_name FROM information_schema.tables")}


def test_there_is_at_least_the_foundation_migration():
    assert FILES[0].name == "001_foundation.sql"
    assert [m.version for m in migrate.available()] == [v for v, _ in expected_versions()]


def test_empty_database_gets_every_migration_once(isolated):
    db = get_db()
    assert versions(db) == expected_versions()
    assert {"users", "login_attempts", "communities", "organisations", "audit_log", "schema_version"} <= tables(db)
    assert migrate.applied(db) == {v for v, _ in expected_versions()}


def test_applying_again_applies_nothing(isolated):
    db = get_db()
    assert migrate.apply(db) == []
    assert migrate.apply(db) == []
    assert db.scalar("SELECT count(*) FROM schema_version") == len(FILES)


def test_apply_reports_what_it_applied(isolated):
    con_path = isolated / "raw.duckdb"
    from core.platform.db import Database

    raw = Database(con_path)  # opened without migrating
    try:
        assert migrate.apply(raw) == [v for v, _ in expected_versions()]
        assert migrate.apply(raw) == []
    finally:
        raw.close()


def test_existing_data_survives_reopening(db):
    org_id = organisations.create(org_values(), STAFF)
    before = organisations.get(org_id)
    audit_rows = db.scalar("SELECT count(*) FROM audit_log")
    close_all()
    reopened = get_db()
    assert reopened is not db
    assert versions(reopened) == expected_versions()
    assert organisations.get(org_id, reopened) == before
    assert reopened.scalar("SELECT count(*) FROM organisations") == 1
    assert reopened.scalar("SELECT count(*) FROM audit_log") == audit_rows
    assert reopened.scalar("SELECT count(*) FROM communities") == 21


DESTRUCTIVE = re.compile(r"\bDROP\s+(TABLE|COLUMN)\b|\bALTER\s+TABLE\b[^;]*\bDROP\b|\bTRUNCATE\b", re.IGNORECASE)


# a table rebuilt under its own name (a constraint neither engine changes in place): every row copied into the new
# table, then the old one dropped and the new one renamed, in the migration's one transaction
REBUILD = re.compile(r"INSERT\s+INTO\s+(\w+)\s*\([^;]*?\)\s*SELECT\b[^;]*?\bFROM\s+(\w+)\s*;\s*DROP\s+TABLE\s+\2\s*;"
                     r"\s*ALTER\s+TABLE\s+\1\s+RENAME\s+TO\s+\2\s*;", re.IGNORECASE)


@pytest.mark.parametrize("path", FILES, ids=[p.name for p in FILES])
def test_no_migration_drops_data(path):
    sql = re.sub(r"--[^\n]*", "", path.read_text(encoding="utf-8"))
    assert DESTRUCTIVE.findall(REBUILD.sub("", sql)) == []


def test_a_rebuild_is_allowed_only_when_it_copies_every_row_of_the_table_it_drops():
    rebuild = ("INSERT INTO t_new (id, year) SELECT id, year FROM t;\nDROP TABLE t;\n"
               "ALTER TABLE t_new RENAME TO t;")
    assert DESTRUCTIVE.findall(REBUILD.sub("", rebuild)) == []
    assert DESTRUCTIVE.findall(REBUILD.sub("", rebuild.replace("FROM t;", "FROM other;")))  # another table's rows
    assert DESTRUCTIVE.findall(REBUILD.sub("", rebuild.replace("DROP TABLE t;", "DROP TABLE t; DROP TABLE u;")))


def test_migration_030_keeps_every_annual_report_as_the_default_hubs(isolated, migrations_copy):
    from core.platform.db import Database

    later = migrations_copy / "030_annual_report_hubs.sql"
    held = later.read_text(encoding="utf-8")
    for p in migrations_copy.glob("*.sql"):
        if int(p.name[:3]) >= 30:
            p.unlink()
    raw = Database(isolated / "at29.duckdb")
    try:
        migrate.apply(raw)
        with raw.transaction() as tx:
            tx.execute("INSERT INTO annual_reports (year, reflection, created_by) VALUES (2025, '初稿', 'wangmin')")
        before = raw.fetch_one("SELECT * FROM annual_reports")
        later.write_text(held, encoding="utf-8")
        assert migrate.apply(raw) == [30]
        after = raw.fetch_one("SELECT * FROM annual_reports")
        assert after == {**before, "hub_id": 1}
        with raw.transaction() as tx:  # another hub writes the same year; the same hub may not
            tx.execute("INSERT INTO annual_reports (hub_id, year) VALUES (2, 2025)")
        with pytest.raises(duckdb.ConstraintException):
            with raw.transaction() as tx:
                tx.execute("INSERT INTO annual_reports (hub_id, year) VALUES (1, 2025)")
        assert raw.scalar("SELECT max(id) FROM annual_reports") == before["id"] + 1  # the sequence goes on
    finally:
        raw.close()


def test_the_destructive_pattern_itself_catches_drops():
    assert DESTRUCTIVE.search("drop  table organisations;")
    assert DESTRUCTIVE.search("ALTER TABLE users DROP COLUMN email;")
    assert DESTRUCTIVE.search("alter table users drop email;")
    assert not DESTRUCTIVE.search("CREATE TABLE IF NOT EXISTS dropped_items (id INTEGER);")


@pytest.fixture
def migrations_copy(tmp_path, monkeypatch):
    target = tmp_path / "migrations"
    shutil.copytree(migrate.MIGRATIONS_DIR, target)
    monkeypatch.setattr(migrate, "MIGRATIONS_DIR", target)
    return target


def test_a_failing_migration_rolls_back_entirely(db, migrations_copy):
    org_id = organisations.create(org_values(), STAFF)
    before_versions = versions(db)
    (migrations_copy / "900_half_done.sql").write_text(
        "CREATE TABLE half_done (id INTEGER);\n"
        "ALTER TABLE organisations ADD COLUMN website VARCHAR;\n"
        "INSERT INTO half_done VALUES (1);\n"
        "INSERT INTO no_such_table VALUES (1);\n",
        encoding="utf-8",
    )
    with pytest.raises(duckdb.CatalogException):
        migrate.apply(db)
    assert versions(db) == before_versions
    assert "half_done" not in tables(db)
    cols = {r["column_name"] for r in db.fetch_all(
        "SELECT column_name FROM information_schema.columns WHERE table_name = 'organisations'")}
    assert "website" not in cols
    assert organisations.get(org_id, db)["name"] == org_values()["name"]
    # the database still takes writes after the failed migration
    assert organisations.update(org_id, {"notes": "迁移失败后仍可写入"}, STAFF) is True

    # once the file is fixed it applies, exactly once
    (migrations_copy / "900_half_done.sql").write_text(
        "CREATE TABLE half_done (id INTEGER);\nALTER TABLE organisations ADD COLUMN website VARCHAR;\n", encoding="utf-8")
    assert migrate.apply(db) == [900]
    assert versions(db) == before_versions + [(900, "half_done")]
    assert migrate.apply(db) == []
    assert organisations.get(org_id, db)["website"] is None


def test_pending_migrations_apply_in_number_order(db, migrations_copy):
    (migrations_copy / "902_second.sql").write_text("INSERT INTO step_log VALUES (2);\n", encoding="utf-8")
    (migrations_copy / "901_first.sql").write_text("CREATE TABLE step_log (n INTEGER);\n", encoding="utf-8")
    assert migrate.apply(db) == [901, 902]
    assert db.scalar("SELECT list(n) FROM step_log") == [2]


def test_badly_named_migration_file_is_refused(migrations_copy):
    (migrations_copy / "7_add_things.sql").write_text("SELECT 1;", encoding="utf-8")
    with pytest.raises(RuntimeError, match="migration file name must look like 001_name.sql: 7_add_things.sql"):
        migrate.available()


def test_duplicate_migration_numbers_are_refused(migrations_copy):
    (migrations_copy / "001_again.sql").write_text("SELECT 1;", encoding="utf-8")
    with pytest.raises(RuntimeError, match="duplicate migration numbers"):
        migrate.available()
