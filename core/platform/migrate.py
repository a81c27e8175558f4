"""Numbered SQL migrations (``core/migrations/NNN_name.sql``), applied once each, in order, at start.

Each migration runs in its own transaction together with its row in ``schema_version``; a failing
migration leaves the database as it was. Migrations only add: they never drop a table or a column
that holds data (``tests/test_migrate.py`` checks the files for DROP statements).

**PostgreSQL** (``HUBDESK_DB=postgresql://…``, :mod:`core.platform.pg`) runs the same files, translated
(:func:`sql_for`): DuckDB's type names PostgreSQL spells otherwise (``DOUBLE`` -> ``DOUBLE PRECISION``, ``BLOB``
-> ``BYTEA``, ``TINYINT`` -> ``SMALLINT``, ``HUGEINT`` -> ``NUMERIC(38, 0)``, ``UBIGINT`` -> ``NUMERIC(20, 0)``);
a migration that must differ has its PostgreSQL text in ``core/migrations/postgres/NNN_name.sql`` (same
name), used instead. Before the migrations, ``core/migrations/postgres/compat.sql`` (re)creates the DuckDB
functions core SQL uses (``date_diff``, ``list_contains``, ``median`` …). The whole step holds the database's
write lock, which on PostgreSQL is also an advisory lock: two servers starting at once migrate once.
``tests/test_pg_schema.py`` checks that both engines end with the same tables, columns and versions.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from core.platform import pg

MIGRATIONS_DIR = Path(__file__).resolve().parents[1] / "migrations"
_NAME = re.compile(r"^(\d{3})_([a-z0-9_]+)\.sql$")


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    path: Path

    @property
    def sql(self) -> str:
        return self.path.read_text(encoding="utf-8")

    def sql_for(self, dialect: str) -> str:
        """The text to run on ``dialect`` (``duckdb`` | ``postgres``)."""
        if dialect != "postgres":
            return self.sql
        own = postgres_dir() / self.path.name
        return own.read_text(encoding="utf-8") if own.is_file() else to_postgres(self.sql)


def postgres_dir() -> Path:
    return MIGRATIONS_DIR / "postgres"


_PG_TYPES = [(re.compile(r"\bTINYINT\b", re.I), "SMALLINT"), (re.compile(r"\bHUGEINT\b", re.I), "NUMERIC(38, 0)"),
             (re.compile(r"\bUBIGINT\b", re.I), "NUMERIC(20, 0)")]


def to_postgres(sql: str) -> str:
    """A migration's DuckDB DDL in PostgreSQL's spelling (the type names above; the rest as
    :func:`core.platform.pg.translate` does it for every statement)."""
    for pattern, repl in _PG_TYPES:
        sql = pattern.sub(repl, sql)
    return pg.translate(sql, None)


def dialect(db) -> str:
    return getattr(db, "dialect", "duckdb")


def available() -> list[Migration]:
    found = []
    for p in sorted(MIGRATIONS_DIR.glob("*.sql")):
        m = _NAME.match(p.name)
        if not m:
            raise RuntimeError(f"migration file name must look like 001_name.sql: {p.name}")
        found.append(Migration(int(m.group(1)), m.group(2), p))
    versions = [m.version for m in found]
    if len(set(versions)) != len(versions):
        raise RuntimeError(f"duplicate migration numbers in {MIGRATIONS_DIR}")
    return found


def applied(db) -> set[int]:
    with db.read() as cur:
        cur.execute(
            "CREATE TABLE IF NOT EXISTS schema_version ("
            " version INTEGER PRIMARY KEY, name VARCHAR NOT NULL, applied_at TIMESTAMP NOT NULL)"
        )
        return {r[0] for r in cur.execute("SELECT version FROM schema_version").fetchall()}


def apply(db) -> list[int]:
    """Apply every pending migration; returns the versions applied now (idempotent)."""
    if dialect(db) == "postgres":
        with db.write_lock:  # every process's: one of two servers starting at once migrates
            with db.transaction() as tx:
                tx.execute((postgres_dir() / "compat.sql").read_text(encoding="utf-8"))
            return _apply(db, "postgres")
    return _apply(db, "duckdb")


def _apply(db, kind: str) -> list[int]:
    done = applied(db)
    newly = []
    for mig in available():
        if mig.version in done:
            continue
        with db.transaction() as tx:
            tx.execute(mig.sql_for(kind))
            tx.execute(
                "INSERT INTO schema_version (version, name, applied_at) VALUES (?, ?, ?)",
                [mig.version, mig.name, datetime.now()],
            )
        newly.append(mig.version)
    return newly
