"""Backups on PostgreSQL (``HUBDESK_DB=postgresql://…``): ``python3 -m core.manage backup`` is a ``pg_dump`` read back
whole before it counts; ``restore`` brings back every table exactly as it was at the backup's moment (row counts and
content checksums), keeps the replaced contents, and the audit chain verifies and reports the restore as a restore;
a cut-off file, a DuckDB file, a database still in use and a missing ``pg_dump`` are refused in Chinese and change
nothing.

Runs in the default (DuckDB) run: each test makes its own PostgreSQL database (tests/pg_cluster.py); skipped when
PostgreSQL is not installed (failing under CI=true)."""
from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from core import domain, manage
from core.orgs import organisations
from core.orgs.organisations import ORGANISATION
from core.platform import audit, backup, export, migrate, pg, records
from core.platform.db import close_all, get_db
from tests.conftest import pg_cluster_or_skip
from tests.test_rounds import ADMIN, STAFF, make_org


@pytest.fixture
def pg_hub(isolated, monkeypatch):
    """A fresh PostgreSQL database with the 21 demo communities as HUBDESK_DB, every choice list installed;
    (the open PgDatabase, its URL)."""
    cluster = pg_cluster_or_skip()
    name, url = cluster.fresh("communities", isolated)
    monkeypatch.setenv("HUBDESK_DB", url)
    monkeypatch.setenv("HUBDESK_DATA_DIR", str(isolated))
    close_all()
    db = get_db()
    domain.install_providers()
    yield db, url
    close_all()
    cluster.drop(name)


def _without_audit(sums: dict) -> dict:
    """The data: not the audit log (a restore adds its row) nor the shared store's versions (every write bumps them,
    migration 026)."""
    return {t: v for t, v in sums.items() if t not in ("audit_log", "table_versions")}


def _change_data(db) -> None:
    """New rows, a changed row and a deleted row, through the one write path."""
    new_id = make_org(901)
    organisations.update(new_id, {"contact_person": "备份后修改"}, STAFF)
    oldest = db.scalar("SELECT min(id) FROM organisations")
    assert organisations.update(oldest, {"contact_person": "恢复前的改动"}, ADMIN)
    with records.unit(ADMIN, db) as u:
        u.delete(ORGANISATION, new_id, note="测试删除")
    make_org(902)


def test_backup_then_writes_then_restore_brings_back_the_backups_moment(pg_hub, isolated, capsys):
    db, url = pg_hub
    for k in (1, 2, 3):
        make_org(k)
    before = export.engine_sums(db)
    assert before["organisations"].rows == 3 and before["audit_log"].rows >= 3

    assert manage.main(["backup"]) == 0
    path = Path(capsys.readouterr().out.strip().splitlines()[-1])
    assert path.parent == isolated / "backups" and path.suffix == ".pgdump" and backup.is_pg_dump(path)
    assert [b.path for b in backup.backups(isolated / "backups", db.path.stem)] == [path]
    held = backup.read_dump(path)
    assert {t: s.rows for t, s in held.sums.items()} == {t: s.rows for t, s in before.items()}  # every table, whole
    last = db.fetch_one("SELECT id, hash FROM audit_log ORDER BY id DESC LIMIT 1")
    assert held.last_audit == (last["id"], last["hash"])  # the anchor check-audit compares the live log with
    assert audit.read_head(audit.head_path(db.path))[0][-1].kind == "B"  # the backup noted beside the chain

    _change_data(db)
    changed = export.engine_sums(db)
    assert changed["organisations"] != before["organisations"]
    assert changed["audit_log"].rows > before["audit_log"].rows

    close_all()  # every HubDesk server stopped
    assert manage.main(["restore", str(path)]) == 0
    out = capsys.readouterr().out
    assert f"已恢复 {path}" in out and "原内容保留为" in out and "审计日志完整" in out and "恢复" in out

    restored = get_db()
    after = export.engine_sums(restored)
    assert _without_audit(after) == _without_audit(before)  # every table: the same rows, the same content
    assert after["audit_log"].rows == before["audit_log"].rows + 1  # the backup's audit log, and the restore itself
    row = restored.fetch_one("SELECT * FROM audit_log ORDER BY id DESC LIMIT 1")
    assert (row["actor"], row["table_name"], row["row_key"], row["action"]) == ("system", "database", path.name, "restore")
    assert f"从备份 {path.name} 恢复" in row["note"] and ".replaced-" in row["note"]
    report = audit.verify(restored, backup.audit_anchors(isolated / "backups", restored.path.stem))
    assert report.ok and any("从备份" in n and "恢复" in n for n in report.notes)

    kept = list((isolated / "backups").glob("*.replaced-*.pgdump"))
    assert len(kept) == 1  # the replaced contents, with the later changes
    assert {t: s.rows for t, s in backup.check_file(kept[0]).items()} == {t: s.rows for t, s in changed.items()}

    make_org(903)  # the sequences came back too: the restored database takes new rows
    assert restored.scalar("SELECT count(*) FROM organisations") == before["organisations"].rows + 1


def test_a_bad_backup_or_a_database_in_use_is_refused_and_nothing_changes(pg_hub, isolated, monkeypatch):
    db, url = pg_hub
    monkeypatch.setattr(backup, "IN_USE_GRACE", 0.0)  # refuse at once (no waiting for the sessions to end)
    make_org(1)
    path = backup.backup(db, isolated / "backups")
    make_org(2)
    sums = export.engine_sums(db)

    with pytest.raises(backup.RestoreRefused, match=r"正在被其他 \d+ 个连接使用.*请先停止所有 HubDesk 服务"):
        backup.restore(path, url, isolated / "backups")  # this process's connections are still open
    close_all()

    cut = isolated / "cut.pgdump"
    cut.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    with pytest.raises(backup.RestoreRefused, match="不是完整可读的 PostgreSQL 备份"):
        backup.restore(cut, url, isolated / "backups")
    duck = isolated / "hub.duckdb"
    duckdb.connect(str(duck)).close()
    with pytest.raises(backup.RestoreRefused, match="不是 PostgreSQL 的备份.*move-to-postgres"):
        backup.restore(duck, url, isolated / "backups")
    with pytest.raises(backup.RestoreRefused, match="找不到备份文件"):
        backup.restore(isolated / "missing.pgdump", url, isolated / "backups")

    assert export.engine_sums(get_db()) == sums  # untouched
    assert not list((isolated / "backups").glob("*.replaced-*"))


def test_without_pg_dump_a_backup_is_refused_in_chinese(pg_hub, isolated, monkeypatch):
    db, _ = pg_hub
    monkeypatch.setenv("HUBDESK_PG_BIN", str(isolated))  # no PostgreSQL programs in there
    with pytest.raises(backup.BackupFailed, match="找不到 PostgreSQL 的 pg_dump.*HUBDESK_PG_BIN"):
        backup.backup(db, isolated / "backups")
    assert backup.backups(isolated / "backups", db.path.stem) == []


def test_the_full_export_says_to_back_up_instead_on_postgresql(pg_hub, isolated):
    db, _ = pg_hub
    for fmt in export.DOWNLOAD_FORMATS:  # 备份与恢复's 完整导出: refused in Chinese, not an empty file
        with pytest.raises(export.ExportRefused, match="只支持 DuckDB.*PostgreSQL 数据库请用“立即备份”"):
            export.download(db, ADMIN, fmt)
    assert not (isolated / "e.zip").exists()
    with pytest.raises(export.ExportRefused, match="pg_dump"):
        export.export_parquet(db, isolated / "e.zip")


def test_an_upgrade_dumps_the_database_before_migrating_it(pg_hub, isolated):
    db, url = pg_hub
    make_org(1)
    newest = max(m.version for m in migrate.available())
    close_all()
    import psycopg

    with psycopg.connect(url, autocommit=True) as con:  # as if this version brought a migration not applied yet
        con.execute("DELETE FROM schema_version WHERE version = %s", [newest])
    path = backup.before_migrations(pg.local_name(url), isolated / "backups")
    assert path is not None and path.name.endswith(f"-before-v{newest:03d}.pgdump")
    assert [(b.path, b.kind) for b in backup.backups(isolated / "backups", path.name.split("-")[0])] == \
        [(path, "before-migration")]
    assert backup.check_file(path)["organisations"].rows == 1
    get_db()  # migrates; nothing pending afterwards, so no second copy
    assert backup.before_migrations(pg.local_name(url), isolated / "backups") is None


def test_backups_taken_while_writing_hold_one_moment(pg_hub, isolated):
    """Two writers keep committing (an organisation and its audit row per transaction) while backups are taken: each
    dump is one moment — its audit log runs 1..n without a gap, and the anchor noted in the head file (read in the
    dump's snapshot) is the dump's last row."""
    import threading

    db, _ = pg_hub
    stop, errors = threading.Event(), []

    def writer(start: int) -> None:
        n = start
        while not stop.is_set():
            try:
                make_org(n)
            except Exception as exc:  # pragma: no cover - reported below
                errors.append(exc)
                return
            n += 1

    threads = [threading.Thread(target=writer, args=(k * 10_000 + 1,)) for k in (1, 2)]
    for t in threads:
        t.start()
    try:
        while db.scalar("SELECT count(*) FROM organisations") < 3:
            stop.wait(0.05)
        taken = [backup.backup(db, isolated / "backups", keep=10) for _ in range(3)]
    finally:
        stop.set()
        for t in threads:
            t.join()
    assert not errors
    anchors = {ln.extra[0]: (ln.id, ln.hash) for ln in audit.read_head(audit.head_path(db.path))[0] if ln.kind == "B"}
    for path in taken:
        held = backup.read_dump(path)
        assert held.last_audit is not None and held.last_audit[0] == held.sums["audit_log"].rows  # ids 1..n, no gap
        assert anchors[path.name] == held.last_audit
        assert held.sums["organisations"].rows >= 3


def test_a_restore_that_fails_midway_leaves_the_database_as_it_was(pg_hub, isolated, monkeypatch):
    """Everything is dropped and restored in one transaction: when its last check fails (here: a table's count made
    to differ), PostgreSQL rolls all of it back and the replaced-contents copy is removed again."""
    db, url = pg_hub
    make_org(1)
    path = backup.backup(db, isolated / "backups")
    make_org(2)
    sums = export.engine_sums(db)
    close_all()
    counts = backup._counts_check
    monkeypatch.setattr(backup, "_counts_check",
                        lambda s: counts({**s, "organisations": export.TableSum(s["organisations"].rows + 5, "")}))
    with pytest.raises(backup.RestoreRefused, match="恢复失败.*未做任何更改.*恢复后表 organisations 有 1 行,备份中是 6 行"):
        backup.restore(path, url, isolated / "backups")
    assert export.engine_sums(get_db()) == sums
    assert not list((isolated / "backups").glob("*.replaced-*"))
