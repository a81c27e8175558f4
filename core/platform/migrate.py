"""Numbered SQL migrations (``core/migrations/NNN_name.sql``), applied once each, in order, at start.

Each migration runs in its own transaction together with its row in ``schema_version``; a failing
migration leaves the database as it was. Migrations only add: they never drop a table or a column
that holds data (``tests/test_migrate.py`` checks the files for DROP statements).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

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
    done = applied(db)
    newly = []
    for mig in available():
        if mig.version in done:
            continue
        with db.transaction() as tx:
            tx.execute(mig.sql)
            tx.execute(
                "INSERT INTO schema_version (version, name, applied_at) VALUES (?, ?, ?)",
                [mig.version, mig.name, datetime.now()],
            )
        newly.append(mig.version)
    return newly
