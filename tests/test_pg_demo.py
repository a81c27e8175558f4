"""The demo data on PostgreSQL: a server started with ``HUBDESK_DB=postgresql://…`` and ``HUBDESK_DEMO=1`` on an empty
database builds the same demo as on the DuckDB file (core/demo/*, ``core.app.bootstrap``): every table holds as many
rows on both engines, and a few sums over them agree.

The DuckDB side is the demo database of this code version (tests/demo_cache.py) when it was built today (the demo's
dates follow the day it is built), else a DuckDB demo built now. The PostgreSQL side is the demo the PostgreSQL test
run copies (tests/demo_cache.pg_demo: built as a first start builds it, dumped with pg_dump, restored), so the dump's
round trip is checked too. Skipped when PostgreSQL is not installed (failing under CI=true). :func:`build_demo` serves
the two-server browser test."""
from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

import duckdb
import psycopg

from tests import demo_cache
from tests.conftest import pg_cluster_or_skip

ROOT = Path(__file__).resolve().parent.parent
BUILD = "from core import app; from core.platform import db; app.bootstrap(); db.close_all()"
# rows that differ by design: the shared store's versions (written on PostgreSQL only, migration 026)
NOT_COMPARED = {"table_versions"}
SUMS = {  # a few figures the screens show, summed over the whole demo: the same data, not only as many rows
    "granted": "SELECT sum(granted_amount) FROM applications",
    "person_times": "SELECT sum(person_times) FROM activities",
    "expenses": "SELECT sum(amount) FROM expenses",
    "scores": "SELECT sum(score) FROM review_scores",
}


def _env(db: str, data_dir: Path, secrets: Path) -> dict:
    return dict(os.environ, **demo_cache.FAST_ENV, HUBDESK_DB=db, HUBDESK_DATA_DIR=str(data_dir),
                HUBDESK_SECRETS=str(secrets), HUBDESK_DEMO="1", PYTHONPATH=str(ROOT))


def start_demo_build(cluster, data_dir: Path, secrets: Path) -> tuple[str, str, subprocess.Popen]:
    """Starts building the demo, as a first server start does, in a new PostgreSQL database of ``cluster`` (a copy
    of the migrated template); returns (name, URL, the building process)."""
    data_dir.mkdir(parents=True, exist_ok=True)
    name = cluster.create(template=cluster.templates()["migrated"])
    url = cluster.url(name)
    proc = subprocess.Popen([sys.executable, "-c", BUILD], cwd=ROOT, env=_env(url, data_dir, secrets),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    return name, url, proc


def finish(proc: subprocess.Popen, what: str) -> None:
    _, err = proc.communicate(timeout=600)
    assert proc.returncode == 0, f"building {what} failed:\n{err[-3000:]}"


def build_demo(cluster, data_dir: Path, secrets: Path) -> tuple[str, str]:
    """The demo in a new PostgreSQL database of ``cluster``; returns (name, URL)."""
    name, url, proc = start_demo_build(cluster, data_dir, secrets)
    finish(proc, "the demo on PostgreSQL")
    return name, url


def _figures(con, tables: list[str]) -> dict[str, int | float]:
    out: dict[str, int | float] = {t: int(con.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0]) for t in tables}
    for key, sql in SUMS.items():
        value = con.execute(sql).fetchone()[0]
        out[key] = round(float(value or 0), 2)
    return out


def test_the_demo_on_postgresql_is_the_demo_on_duckdb(isolated):
    cluster = pg_cluster_or_skip()
    # the demo as a first start on PostgreSQL builds it, kept as a pg_dump (tests/demo_cache.pg_demo) and restored: what
    # the PostgreSQL run's demo_db copies (in CI that run, later, restores the dump made here instead of building again)
    name, url = cluster.fresh("demo", isolated)
    try:
        template = demo_cache.template()
        if dt.date.fromtimestamp(template.stat().st_mtime) != dt.date.today():  # yesterday's dates: build today's
            duck_file = isolated / "duck" / "hub.duckdb"
            duck_file.parent.mkdir()
            duck = subprocess.run([sys.executable, "-c", BUILD], cwd=ROOT, capture_output=True, text=True, timeout=600,
                                  env=_env(str(duck_file), duck_file.parent, duck_file.parent / "secrets.toml"))
            assert duck.returncode == 0, duck.stderr[-3000:]
        else:
            duck_file = demo_cache.copy_to(isolated / "duck" / "hub.duckdb")

        con = duckdb.connect(str(duck_file), read_only=True)
        try:
            duck_tables = sorted(r[0] for r in con.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main'"
                " AND table_type = 'BASE TABLE'").fetchall())
            on_duckdb = _figures(con, [t for t in duck_tables if t not in NOT_COMPARED])
        finally:
            con.close()
        with psycopg.connect(url, autocommit=True) as pg_con:
            pg_tables = sorted(r[0] for r in pg_con.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'"
                " AND table_type = 'BASE TABLE'").fetchall())
            on_postgres = _figures(pg_con, [t for t in pg_tables if t not in NOT_COMPARED])
            written = dict(pg_con.execute("SELECT table_name, version FROM table_versions").fetchall())
    finally:
        cluster.drop(name)

    assert pg_tables == duck_tables
    differ = {k: (on_duckdb[k], on_postgres.get(k)) for k in on_duckdb if on_duckdb[k] != on_postgres.get(k)}
    assert differ == {}, f"(DuckDB, PostgreSQL) per table or sum: {differ}"
    # 下沙's 55 organisations and 4 for each of the network's other 4 streets; the ledger's 5,500+ activities
    assert on_postgres["organisations"] == 55 + 4 * 4 and on_postgres["activities"] > 5000, on_postgres
    # every table the demo wrote has its version on PostgreSQL (what another server's caches look at)
    assert {"organisations", "activities", "users", "audit_log"} <= set(written)
