"""Moving from the DuckDB file to PostgreSQL (``python3 -m core.manage move-to-postgres --to postgresql://…``): the demo
database arrives whole (every table's row count and content checksum equal on both sides), its audit chain
verifies, a demo account's password hash still signs in and new rows get new ids; a table that arrives different is
named and nothing is stored; a database that is not empty is refused; a Parquet export moves the same way.

Runs in the default (DuckDB) run: the source is a DuckDB file, the target a database of this process's test
cluster (tests/pg_cluster.py); skipped when PostgreSQL is not installed (failing under CI=true)."""
from __future__ import annotations

import pytest

from core import manage
from core.platform import export, passwords, users
from core.platform.db import close_all, get_db
from tests import demo_cache
from tests.conftest import pg_cluster_or_skip
from tests.test_rounds import make_org

# not compared between the engines: the audit log (the move adds its row) and the shared store's versions (the move's
# transaction bumps every table's, on PostgreSQL only: migration 026)
NOT_COMPARED = {"audit_log", "table_versions"}


def _data(sums: dict) -> dict:
    return {t: s for t, s in sums.items() if t not in NOT_COMPARED}


@pytest.fixture
def empty_pg(isolated, monkeypatch):
    """An empty database on the test cluster, as ``createdb`` makes one (no schema yet); its URL."""
    cluster = pg_cluster_or_skip()
    monkeypatch.setenv("HUBDESK_DATA_DIR", str(isolated))  # the PostgreSQL database's audit head file goes here
    name = cluster.create()
    yield cluster.url(name)
    close_all()
    cluster.drop(name)


def test_the_demo_database_moves_whole_and_signs_in(demo_template, isolated, empty_pg, capsys):
    demo_cache.copy_to(isolated / "hub.duckdb")  # HUBDESK_DB, with its audit key and head file
    assert manage.main(["move-to-postgres", "--to", empty_pg]) == 0
    out = capsys.readouterr().out
    assert "已迁移到PostgreSQL 数据库" in out and "行数和内容校验值两边一致" in out and "审计日志完整" in out

    source, target = get_db(isolated / "hub.duckdb"), get_db(empty_pg)
    here, there = export.engine_sums(source), export.engine_sums(target)
    assert len(here) >= 45 and sum(s.rows for s in here.values()) > 40_000
    assert set(there) == set(here)
    assert _data(there) == _data(here)  # every table: the same rows, the same content
    assert there["audit_log"].rows == here["audit_log"].rows + 1  # the move's own row
    row = target.fetch_one("SELECT * FROM audit_log ORDER BY id DESC LIMIT 1")
    assert (row["action"], row["table_name"]) == ("import", "database") and "hub.duckdb" in row["note"]
    # the chain verified (check-audit's report, printed above: "审计日志完整"), its end the file's last row
    assert target.fetch_one("SELECT hash FROM audit_log WHERE id = ?", [row["id"] - 1])["hash"] == \
        source.scalar("SELECT hash FROM audit_log ORDER BY id DESC LIMIT 1")

    hashed = users.credentials(db=target, username="admin")["usernames"]["admin"]["password"]
    assert passwords.check("Demo-admin-2026", hashed) and not passwords.check("Demo-admin-2025", hashed)
    assert users.active_roles("admin", db=target) == ("admin",)
    drawn = target.fetch_all("SELECT table_name, column_name, column_default FROM information_schema.columns"
                             " WHERE table_schema = 'public' AND column_default LIKE 'nextval(%'")
    assert len(drawn) >= 20
    for d in drawn:  # every sequence moved past the copied rows: new rows get new ids
        top = target.scalar(f'SELECT max("{d["column_name"]}") FROM "{d["table_name"]}"')
        if top is not None:
            assert target.scalar(f"SELECT {d['column_default']}") > top, d

    with pytest.raises(export.MoveRefused, match=r"不是空的.表 \w+ 已有 \d+ 行"):
        export.move_database(source, target)  # a second move into the same database


def test_a_table_that_arrives_different_is_named_and_nothing_is_stored(db, empty_pg, monkeypatch):
    from core import domain

    domain.install_providers()
    for k in (1, 2, 3):
        make_org(k)
    target = get_db(empty_pg)
    copy = export._copy_table

    def lossy(src, conn, table, cols, batch):
        sent = copy(src, conn, table, cols, batch)
        if table == "organisations":  # one row lost on the way
            conn.execute('DELETE FROM organisations WHERE id = (SELECT max(id) FROM organisations)')
        return sent

    monkeypatch.setattr(export, "_copy_table", lossy)
    with pytest.raises(export.MoveRefused, match="表 organisations 迁移后与源数据不符.行数 3/2.*未写入任何数据"):
        export.move_database(db, target)
    assert target.scalar("SELECT count(*) FROM organisations") == 0
    assert target.scalar("SELECT count(*) FROM audit_log") == 0


@pytest.mark.parametrize("command", ["move-to-postgres", "import-parquet"])
def test_a_parquet_export_moves_the_same_way(db, isolated, empty_pg, capsys, monkeypatch, command):
    from core import domain

    domain.install_providers()
    make_org(1)
    export.export_parquet(db, isolated / "e.zip")
    close_all()
    if command == "move-to-postgres":
        assert manage.main(["move-to-postgres", "--to", empty_pg, "--from", str(isolated / "e.zip")]) == 0
    else:  # import-parquet into HUBDESK_DB=postgresql://…: the same checked move
        monkeypatch.setenv("HUBDESK_DB", empty_pg)
        assert manage.main(["import-parquet", str(isolated / "e.zip")]) == 0
        monkeypatch.setenv("HUBDESK_DB", str(isolated / "hub.duckdb"))
    assert "审计日志完整" in capsys.readouterr().out
    source, target = get_db(isolated / "hub.duckdb"), get_db(empty_pg)
    here, there = export.engine_sums(source), export.engine_sums(target)
    assert _data(there) == _data(here)
    assert target.scalar("SELECT count(*) FROM organisations") == 1
