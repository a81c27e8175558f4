"""PostgreSQL as a second engine (``HUBDESK_DB=postgresql://…``, core/platform/pg.py): DuckDB's SQL spelling
translated, the write path's Chinese refusals for the database's constraints, a refusal naming the server when it
cannot be reached, and writes from two processes at once serialised (nothing lost, the audit chain holds).

Runs in the default (DuckDB) run as well: each test here makes its own PostgreSQL database (tests/pg_cluster.py);
skipped when PostgreSQL is not installed (failing under CI=true)."""
from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

import pytest

from core.platform import audit, pg, records
from core.platform.actor import SYSTEM
from core.platform.db import close_all, get_db
from core.platform.errors import DatabaseUnavailable, WriteFailed
from tests.conftest import pg_cluster_or_skip

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def pg_db(isolated, monkeypatch):
    """A fresh PostgreSQL database with the 21 demo communities, configured as HUBDESK_DB; the open PgDatabase."""
    cluster = pg_cluster_or_skip()
    name, url = cluster.fresh("communities", isolated)
    monkeypatch.setenv("HUBDESK_DB", url)
    monkeypatch.setenv("HUBDESK_DATA_DIR", str(isolated))
    close_all()
    yield get_db()
    close_all()
    cluster.drop(name)


# ---- the spelling -------------------------------------------------------------------------------------------
@pytest.mark.parametrize("duck, postgres", [
    ("SELECT * FROM t WHERE a = ? AND b = '?'", "SELECT * FROM t WHERE a = %s AND b = '?'"),
    ("SELECT ? LIKE 'a%'", "SELECT %s LIKE 'a%%'"),
    ("SELECT 'it''s ?', ?", "SELECT 'it''s ?', %s"),
    ("SELECT CAST(x AS DOUBLE) FROM t -- why?\nWHERE y = ?", "SELECT CAST(x AS DOUBLE PRECISION) FROM t -- why?\nWHERE y = %s"),
    ("SELECT CAST(d + INTERVAL 5 YEAR AS DATE)", "SELECT CAST(d + INTERVAL '5 YEAR' AS DATE)"),
    ("SELECT list_has_any(tags, [?, ?]), tags[1] FROM t", "SELECT list_has_any(tags, ARRAY[%s, %s]), tags[1] FROM t"),
    ("SELECT x::DOUBLE PRECISION", "SELECT x::DOUBLE PRECISION"),
    # an alias inside an ORDER BY expression: its select item's expression (an alias standing alone stays, PostgreSQL
    # takes it); not inside a window's or an aggregate's ORDER BY, nor an alias that is a table's column too
    ("SELECT a + 1 AS k, sum(b) AS n FROM t GROUP BY a ORDER BY CASE k WHEN 2 THEN 0 END, n * 2 DESC, k",
     "SELECT a + 1 AS k, sum(b) AS n FROM t GROUP BY a ORDER BY CASE (a + 1) WHEN 2 THEN 0 END, (sum(b)) * 2 DESC, k"),
    ("SELECT * FROM (SELECT a AS k FROM t ORDER BY -k) AS q WHERE q.x IN (SELECT k FROM u ORDER BY k)",
     "SELECT * FROM (SELECT a AS k FROM t ORDER BY -(a)) AS q WHERE q.x IN (SELECT k FROM u ORDER BY k)"),
    ("SELECT row_number() OVER (ORDER BY y + 1) AS y, string_agg(z, ',' ORDER BY y) AS s FROM t",
     "SELECT row_number() OVER (ORDER BY y + 1) AS y, string_agg(z, ',' ORDER BY y) AS s FROM t"),
    ("SELECT coalesce(n, 0) AS n, p.m AS m FROM t p ORDER BY n + 1, m - 1",
     "SELECT coalesce(n, 0) AS n, p.m AS m FROM t p ORDER BY n + 1, m - 1"),
])
def test_duckdb_spelling_becomes_postgresql(duck, postgres):
    assert pg.translate(duck) == postgres


def test_named_parameters_and_statements_without_parameters():
    assert pg.translate("SELECT $org, $today, '$x'", "dict") == "SELECT %(org)s, %(today)s, '$x'"
    assert pg.translate("SELECT 'a%' WHERE x = ?", None) == "SELECT 'a%' WHERE x = ?"


def test_engine_is_chosen_by_the_url():
    assert pg.is_url("postgresql://u@h/db") and pg.is_url(" postgres://h/db")
    assert not pg.is_url("data/hub.duckdb") and not pg.is_url(None)


# ---- unreachable ---------------------------------------------------------------------------------------------
def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_unreachable_server_is_refused_in_chinese_without_the_password(isolated, monkeypatch):
    pytest.importorskip("psycopg")
    port = _free_port()
    monkeypatch.setenv("HUBDESK_DB", f"postgresql://hub:S3cret-pw@127.0.0.1:{port}/hubdesk")
    monkeypatch.setenv("HUBDESK_PG_CONNECT_TIMEOUT", "3")
    with pytest.raises(DatabaseUnavailable) as err:
        get_db()
    text = str(err.value)
    assert f"127.0.0.1:{port}" in text and "hubdesk" in text and "用户 hub" in text
    assert "PostgreSQL" in text and "连接不上服务器" in text
    assert "S3cret-pw" not in text


def test_a_database_that_does_not_exist_is_named(isolated, monkeypatch):
    cluster = pg_cluster_or_skip()
    monkeypatch.setenv("HUBDESK_DB", cluster.url("no_such_db"))
    with pytest.raises(DatabaseUnavailable) as err:
        get_db()
    assert "数据库 no_such_db 不存在" in str(err.value) and f"127.0.0.1:{cluster.port}" in str(err.value)


# ---- the write path ------------------------------------------------------------------------------------------
def test_an_order_by_naming_aliases_sorts_as_on_duckdb(pg_db):
    import duckdb

    sql = ("SELECT name, CASE WHEN name LIKE '%社区' THEN '社区' ELSE '其他' END AS kind, length(name) AS size,"
           " sort_order AS place FROM communities ORDER BY CASE kind WHEN '其他' THEN 0 ELSE 1 END, size * 100 - place"
           " DESC, name")
    rows = [tuple(r.values()) for r in pg_db.fetch_all(sql)]
    duck = duckdb.connect()
    values = ", ".join("(?, ?)" for _ in rows)
    duck.execute(f"CREATE TABLE communities AS SELECT * FROM (VALUES {values}) v(name, sort_order)",
                 [x for r in rows for x in (r[0], r[3])])
    assert len(rows) == 21 and rows == duck.execute(sql).fetchall()


def test_reads_and_types_as_duckdb_gives_them(pg_db):
    assert pg_db.scalar("SELECT count(*) FROM communities") == 21
    row = pg_db.fetch_one("SELECT 7 / 2 AS half, sum(sort_order) AS total, median(sort_order) AS mid,"
                          " list_contains(['a', 'b'], ?) AS has, date_diff('day', DATE '2026-01-01', ?) AS days"
                          " FROM communities", ["b", __import__("datetime").date(2026, 3, 1)])
    assert row == {"half": 3.5, "total": sum(range(21)), "mid": 10.0, "has": True, "days": 59}
    assert isinstance(row["total"], int)
    df = pg_db.fetch_df("SELECT name, sort_order FROM communities ORDER BY sort_order")
    assert len(df) == 21 and str(df["sort_order"].dtype) == "int32"


def test_a_duplicate_is_the_same_chinese_refusal_and_nothing_is_stored(pg_db):
    first = pg_db.fetch_one("SELECT name FROM communities ORDER BY sort_order LIMIT 1")["name"]
    audit_rows = pg_db.scalar("SELECT count(*) FROM audit_log")
    with pytest.raises(records.ConstraintRefused) as err:
        with records.unit(SYSTEM, pg_db) as u:
            u.tx.execute("INSERT INTO communities (name, sort_order) VALUES (?, 99)", ["新社区"])
            u.tx.execute("INSERT INTO communities (name, sort_order) VALUES (?, 98)", [first])
    assert str(err.value) == "保存失败:与已有记录重复,本次修改未保存;请刷新页面后核对。"
    assert isinstance(err.value, WriteFailed)
    assert pg_db.scalar("SELECT count(*) FROM communities WHERE name = '新社区'") == 0
    assert pg_db.scalar("SELECT count(*) FROM audit_log") == audit_rows


def test_a_missing_required_value_is_the_same_chinese_refusal(pg_db):
    with pytest.raises(records.ConstraintRefused) as err:
        with records.unit(SYSTEM, pg_db) as u:
            u.tx.execute("INSERT INTO organisations (kind) VALUES (?)", ["社会团体"])
    assert str(err.value) == "保存失败:记录缺少必需的信息,本次修改未保存。"
    assert pg_db.scalar("SELECT count(*) FROM organisations") == 0


def test_the_write_lock_is_held_across_processes(pg_db):
    import psycopg

    def free_elsewhere() -> bool:
        with psycopg.connect(pg_db.url, autocommit=True) as con:
            got = con.execute("SELECT pg_try_advisory_lock(%s)", [pg.LOCK_KEY]).fetchone()[0]
            if got:
                con.execute("SELECT pg_advisory_unlock(%s)", [pg.LOCK_KEY])
            return got

    assert free_elsewhere()
    with pg_db.write_lock:
        with pg_db.write_lock:  # re-entrant in this thread
            assert not free_elsewhere()
        assert not free_elsewhere()
    assert free_elsewhere()
    with pg_db.transaction() as tx:
        tx.execute("SELECT 1")
        assert not free_elsewhere()
    assert free_elsewhere()


WRITER = """
import sys
from core.orgs import communities
from core.platform import records
from core.platform.actor import SYSTEM
from core.platform.db import get_db, close_all
db = get_db()
tag, n = sys.argv[1], int(sys.argv[2])
for i in range(n):
    records.create(communities.COMMUNITY, {"name": f"{tag}-社区{i:03d}", "sort_order": 100 + i}, SYSTEM, db=db)
    with db.write_lock:  # check, then write: the other process must not slip in between
        last = db.scalar("SELECT coalesce(max(sort_order), 0) FROM communities WHERE name LIKE '计数-%'")
        records.create(communities.COMMUNITY, {"name": f"计数-{last + 1:04d}", "sort_order": last + 1}, SYSTEM, db=db)
close_all()
"""


def test_two_processes_writing_at_once_lose_nothing_and_the_chain_verifies(pg_db, isolated):
    import os

    before = pg_db.scalar("SELECT count(*) FROM audit_log")
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    n = 25
    procs = [subprocess.Popen([sys.executable, "-c", WRITER, tag, str(n)], cwd=ROOT, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for tag in ("甲", "乙")]
    outs = [p.communicate(timeout=300) for p in procs]
    for p, (out, err) in zip(procs, outs):
        assert p.returncode == 0, err[-3000:]
    for tag in ("甲", "乙"):
        rows = pg_db.fetch_all("SELECT name FROM communities WHERE name LIKE ? ORDER BY name", [tag + "-%"])
        assert [r["name"] for r in rows] == [f"{tag}-社区{i:03d}" for i in range(n)]
    counted = pg_db.fetch_all("SELECT sort_order FROM communities WHERE name LIKE '计数-%' ORDER BY sort_order")
    assert [r["sort_order"] for r in counted] == list(range(1, 2 * n + 1))  # no two checks saw the same last value
    assert pg_db.scalar("SELECT count(*) FROM audit_log") == before + 2 * 2 * n
    ids = [r["id"] for r in pg_db.fetch_all("SELECT id FROM audit_log ORDER BY id")]
    assert ids == list(range(1, len(ids) + 1))
    report = audit.verify(pg_db)
    assert report.ok, report.lines()
    assert report.rows == len(ids)
