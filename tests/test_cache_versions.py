"""Several app servers on one PostgreSQL database: a write on one server makes the other's cached figures stale at
that server's next page run (core/platform/cache.py ``sync``: one SELECT of ``table_versions``, migration 026,
whose rows the writing transaction bumps). Two ``PgDatabase`` objects on one database stand for two servers (each
has its own pool, counters and cache entries, as two processes have); one test writes from a second process.

The DuckDB file keeps its one-process behaviour: ``sync`` does nothing there and ``table_versions`` stays empty.
Skipped when PostgreSQL is not installed (failing under CI=true)."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from core.orgs.communities import COMMUNITY
from core.platform import cache, pg, records
from core.platform.actor import SYSTEM
from core.platform.db import close_all, get_db
from tests.conftest import ENGINE, pg_cluster_or_skip

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def two_servers(isolated, monkeypatch):
    """Server A (the configured database, as ``get_db`` opens it) and server B (a second PgDatabase on the same
    PostgreSQL database); returns (a, b, url)."""
    cluster = pg_cluster_or_skip()
    name, url = cluster.fresh("communities", isolated)
    monkeypatch.setenv("HUBDESK_DB", url)
    monkeypatch.setenv("HUBDESK_DATA_DIR", str(isolated))
    close_all()
    a = get_db()
    b = pg.PgDatabase(url, data_dir=isolated / "b")
    cache.clear()
    try:
        yield a, b, url
    finally:
        b.close()
        close_all()
        cache.clear()
        cluster.drop(name)


def _count(db) -> int:
    """A cached figure of server ``db``: the number of communities."""
    return cache.cached("test:communities", (), ("communities",),
                        lambda: int(db.scalar("SELECT count(*) FROM communities")), db)


def _add_community(db, name: str) -> None:
    records.create_many(COMMUNITY, [{"name": name, "sort_order": 99}], SYSTEM, db=db)


def test_a_write_on_one_server_makes_the_others_cached_figure_stale_at_its_next_run(two_servers):
    a, b, _ = two_servers
    version = "SELECT version FROM table_versions WHERE table_name = 'communities'"
    first = a.scalar(version)  # the template's 21 communities were written through the write path too
    cache.sync(a)  # the start's look (core.app.bootstrap)
    before = _count(a)
    assert before == 21 and _count(a) == 21 and cache.loads("test:communities") == 1  # cached

    _add_community(b, "跨服务器测试社区")
    assert _count(a) == 21  # without a look at the shared versions, A's process cannot know
    moved = cache.sync(a)
    assert "communities" in moved
    assert _count(a) == 22 and cache.loads("test:communities") == 2
    # nothing written since: the next run's look moves nothing and the figure stays cached
    assert cache.sync(a) == set()
    assert _count(a) == 22 and cache.loads("test:communities") == 2

    # the other way round; A's own write is not counted again by A's next look
    assert _count(b) == 22
    _add_community(a, "另一台服务器的社区")
    assert _count(a) == 23  # the writing server sees it at once, as on DuckDB
    assert "communities" not in cache.sync(a)
    assert "communities" in cache.sync(b) and _count(b) == 23
    assert b.scalar(version) == first + 2  # one bump per committed write, whichever server wrote


def test_a_failed_write_moves_no_version(two_servers):
    a, b, _ = two_servers
    cache.sync(a)
    assert _count(a) == 21
    versions = "SELECT table_name, version FROM table_versions ORDER BY table_name"
    before = b.fetch_all(versions)
    with pytest.raises(RuntimeError):
        with b.transaction() as tx:
            tx.execute("INSERT INTO communities (name, sort_order) VALUES (?, ?)", ["不会保存的社区", 99])
            tx.touch("communities")
            raise RuntimeError("refused after the write")
    assert b.fetch_all(versions) == before
    assert cache.sync(a) == set() and _count(a) == 21 and cache.loads("test:communities") == 1


WRITER = """
import sys
from core.orgs.communities import COMMUNITY
from core.platform import records
from core.platform.actor import SYSTEM
from core.platform.db import close_all, get_db
records.create_many(COMMUNITY, [{"name": sys.argv[1], "sort_order": 99}], SYSTEM, db=get_db())
close_all()
"""


def test_a_write_in_another_process_is_seen_at_the_next_run(two_servers, isolated):
    a, _, url = two_servers
    cache.sync(a)
    assert _count(a) == 21
    env = dict(os.environ, HUBDESK_DATA_DIR=str(isolated / "other"), PYTHONPATH=str(ROOT))
    done = subprocess.run([sys.executable, "-c", WRITER, "另一进程写入的社区"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "communities" in cache.sync(a)
    assert _count(a) == 22
    assert "另一进程写入的社区" in {r["name"] for r in a.fetch_all("SELECT name FROM communities")}


@pytest.mark.skipif(ENGINE == "postgres", reason="about the DuckDB file")
def test_duckdb_stays_one_process_and_asks_nothing(db):
    """On the DuckDB file: no poll, no version rows; a write invalidates this process's cache as before."""
    assert not hasattr(db, "poll_versions")
    assert cache.sync(db) == set()
    assert _count(db) == 21
    _add_community(db, "本进程的社区")
    assert _count(db) == 22 and cache.loads("test:communities") == 2
    assert db.scalar("SELECT count(*) FROM table_versions") == 0
