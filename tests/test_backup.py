"""Backups and restore: a backup taken while the app writes is complete and consistent; restoring it
brings back every table exactly (row counts and content checksums); a corrupt, foreign, newer or missing
file is refused and the database file is left byte for byte as it was; retention keeps N; the automatic
backups start once per process, and their daily timer is driven here by an injected clock."""
from __future__ import annotations

import hashlib
import os
import shutil
import threading
import time
from datetime import datetime, timedelta
from pathlib import Path

import duckdb
import pytest

from core import app, manage
from core.orgs import hubs, organisations
from core.platform import audit, backup, config, db as core_db, export, migrate
from core.platform.errors import PermissionDenied
from tests.test_rounds import ADMIN, STAFF, hub, make_org  # noqa: F401  (hub: fixture)


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _listing(folder: Path) -> dict[str, str]:
    return {p.name: _digest(p) for p in sorted(folder.rglob("*")) if p.is_file()}


def _file_sums(path: Path) -> dict[str, export.TableSum]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return export.checksums(con)
    finally:
        con.close()


def _without_audit(sums: dict) -> dict:
    return {t: v for t, v in sums.items() if t != "audit_log"}


def _restore_row(path: Path) -> dict:
    """The audit row a restore adds to the restored database (core.platform.backup._audit_restore)."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        cur = con.execute("SELECT * FROM audit_log ORDER BY id DESC LIMIT 1")
        return dict(zip([d[0] for d in cur.description], cur.fetchone()))
    finally:
        con.close()


def _change_data(db) -> None:
    """New rows, changed rows and deleted rows, through the one write path."""
    from core.orgs.organisations import ORGANISATION
    from core.platform import records

    new_id = make_org(901)
    organisations.update(new_id, {"contact_person": "备份后修改"}, STAFF)
    oldest = db.scalar("SELECT min(id) FROM organisations")
    assert organisations.update(oldest, {"contact_person": "恢复前的改动"}, ADMIN)
    with records.unit(ADMIN, db) as u:
        u.delete(ORGANISATION, new_id, note="测试删除")
    make_org(902)


# ---- back up, change, restore --------------------------------------------------------------------

def test_restore_brings_back_every_table_exactly(demo_db, isolated):
    db = demo_db
    before = export.database_sums(db)
    assert len(before) >= 45 and sum(s.rows for s in before.values()) > 40_000
    path = backup.backup(db, isolated / "backups")
    assert path.parent == isolated / "backups" and path.name.startswith("hub-")
    assert _file_sums(path) == before  # the backup itself holds exactly what was committed

    _change_data(db)
    changed = export.database_sums(db)
    assert changed["organisations"] != before["organisations"]
    assert changed["audit_log"].rows > before["audit_log"].rows

    core_db.close_all()  # the server is stopped
    target = isolated / "hub.duckdb"
    kept = backup.restore(path, target)
    assert kept is not None and kept.exists() and kept.name.startswith("hub.replaced-")
    assert _file_sums(kept) == changed  # the replaced file is kept, with the later changes

    restored = core_db.get_db(target)
    after = export.database_sums(restored)
    assert _without_audit(after) == _without_audit(before)  # every table: same rows, same content
    assert after["audit_log"].rows == before["audit_log"].rows + 1  # the backup's audit log, and the restore itself
    row = restored.fetch_one("SELECT * FROM audit_log ORDER BY id DESC LIMIT 1")
    assert (row["actor"], row["table_name"], row["row_key"], row["action"]) == ("system", "database", path.name, "restore")
    assert f"从备份 {path.name} 恢复" in row["note"] and "被替换的数据库保留为 hub.replaced-" in row["note"]
    report = audit.verify(restored)
    assert report.ok and any("从备份" in n and "恢复" in n for n in report.notes)
    make_org(903)  # and the restored database takes new writes
    assert restored.scalar("SELECT count(*) FROM organisations") == before["organisations"].rows + 1


def test_a_backup_taken_during_writes_is_consistent(hub, isolated):
    """Writers keep committing (organisation + audit row in one transaction) while backups are taken:
    every backup opens, its audit chain holds, and each organisation has exactly its create audit row."""
    db = hub
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
        paths = []
        for _ in range(4):
            time.sleep(0.15)
            paths.append(backup.backup(db, isolated / "backups", keep=10))
    finally:
        stop.set()
        for t in threads:
            t.join()
    assert not errors
    counts = []
    for p in paths:
        copy = isolated / f"check-{p.name}"
        shutil.copyfile(p, copy)
        other = core_db.Database(copy)
        try:
            assert audit.verify(other).ok
            orgs = other.scalar("SELECT count(*) FROM organisations")
            created = other.scalar(
                "SELECT count(*) FROM audit_log WHERE table_name = 'organisations' AND action = 'create'")
            assert orgs == created
            counts.append(orgs)
        finally:
            other.close()
    assert counts == sorted(counts) and counts[-1] > 0
    assert db.scalar("SELECT count(*) FROM organisations") >= counts[-1]


# ---- refused restores touch nothing -----------------------------------------------------------------

def _bad_file(kind: str, folder: Path, good: Path) -> Path:
    p = folder / f"bad-{kind}.duckdb"
    if kind == "missing":
        return p
    if kind == "empty":
        p.write_bytes(b"")
    elif kind == "random":
        p.write_bytes(os.urandom(200_000))
    elif kind == "text":
        p.write_text("这不是数据库\n", encoding="utf-8")
    elif kind == "truncated":
        data = good.read_bytes()
        p.write_bytes(data[: len(data) // 2])
    elif kind == "damaged-header":
        data = bytearray(good.read_bytes())
        data[4096:12288] = bytes(8192)
        p.write_bytes(bytes(data))
    elif kind == "foreign":
        con = duckdb.connect(str(p))
        con.execute("CREATE TABLE invoices (id INTEGER, amount DECIMAL(14,2))")
        con.execute("INSERT INTO invoices VALUES (1, 9.5)")
        con.close()
    elif kind == "newer":
        shutil.copyfile(good, p)
        con = duckdb.connect(str(p))
        con.execute("INSERT INTO schema_version VALUES (999, 'from_the_future', now())")
        con.close()
    return p


REFUSALS = {
    "missing": "找不到备份文件",
    "empty": "不是可读取的 DuckDB 数据库文件",
    "random": "不是可读取的 DuckDB 数据库文件",
    "text": "不是可读取的 DuckDB 数据库文件",
    "truncated": "已损坏",  # found when opening, or when reading every row
    "damaged-header": "已损坏",
    "foreign": "不是 HubDesk 数据库(缺少表",
    "newer": "来自更新版本的 HubDesk",
}


@pytest.fixture
def stopped_with_backup(hub, isolated):
    """A database with data and a good backup of it; the server stopped (the file closed)."""
    make_org(1)
    good = backup.backup(hub, isolated / "backups")
    make_org(2)
    core_db.close_all()
    return isolated / "hub.duckdb", good


@pytest.mark.parametrize("kind", list(REFUSALS))
def test_a_bad_backup_is_refused_and_nothing_is_touched(stopped_with_backup, isolated, kind, capsys):
    target, good = stopped_with_backup
    (isolated / "incoming").mkdir()
    bad = _bad_file(kind, isolated / "incoming", good)
    before = _listing(isolated)
    with pytest.raises(backup.RestoreRefused) as exc:
        backup.restore(bad, target)
    assert REFUSALS[kind] in str(exc.value)
    assert _listing(isolated) == before  # the database file, byte for byte, and no file added or removed

    assert manage.main(["restore", str(bad)]) == 2  # the command says the same, in Chinese, and changes nothing
    assert REFUSALS[kind] in capsys.readouterr().err
    assert _listing(isolated) == before


def test_restore_is_refused_while_the_database_is_open(hub, isolated):
    make_org(1)
    good = backup.backup(hub, isolated / "backups")
    target = isolated / "hub.duckdb"
    before = _listing(isolated)
    with pytest.raises(backup.RestoreRefused, match="正在被使用,请先停止 HubDesk 服务"):
        backup.restore(good, target)  # this process holds it (as a running server would)
    assert _listing(isolated) == before
    assert hub.scalar("SELECT count(*) FROM organisations") == 1  # and it keeps working


def test_restore_command_replaces_the_file_and_keeps_the_old_one(stopped_with_backup, isolated, capsys):
    target, good = stopped_with_backup
    assert manage.main(["check-backup", str(good)]) == 0
    assert "完整可用" in capsys.readouterr().out
    assert manage.main(["restore", str(good)]) == 0
    out = capsys.readouterr().out
    assert "已恢复" in out and "原文件保留为" in out
    assert "审计日志完整" in out and f"从备份 {good.name} 恢复" in out  # what check-audit will say, at once
    assert _without_audit(_file_sums(target)) == _without_audit(_file_sums(good))
    assert _file_sums(target)["audit_log"].rows == _file_sums(good)["audit_log"].rows + 1
    assert _restore_row(target)["action"] == "restore"
    assert len(list(isolated.glob("hub.replaced-*.duckdb"))) == 1


# ---- retention, listing, the manual backup ------------------------------------------------------

def test_retention_keeps_the_newest_n(hub, isolated):
    dest = isolated / "backups"
    start = datetime(2026, 11, 1, 3, 0)
    made = [backup.backup(hub, dest, keep=3, now=start + timedelta(days=d)) for d in range(6)]
    kept = backup.backups(dest)
    assert [b.path for b in kept] == list(reversed(made[-3:]))  # newest first, the 3 newest
    assert not any(p.exists() for p in made[:3])
    assert all(b.kind == "regular" and b.size > 0 for b in kept)
    # a leftover of a crashed backup is cleaned up; a pre-upgrade copy is never pruned
    (dest / "hub-20261101-000000-000000.duckdb.part").write_bytes(b"half")
    before = dest / "hub-20261020-030000-000000-before-v008.duckdb"
    shutil.copyfile(made[-1], before)
    backup.backup(hub, dest, keep=3, now=start + timedelta(days=7))
    assert not list(dest.glob("*.part"))
    assert before.exists()
    names = [b.kind for b in backup.backups(dest)]
    assert names.count("regular") == 3 and names.count("before-migration") == 1
    assert oct(dest.stat().st_mode & 0o777) == "0o700"
    assert all(oct(b.path.stat().st_mode & 0o777) == "0o600" for b in backup.backups(dest) if b.kind == "regular")


def test_a_backup_that_cannot_be_written_fails_cleanly(hub, isolated):
    blocker = isolated / "not-a-folder"
    blocker.write_text("x")
    with pytest.raises(backup.BackupFailed, match="备份失败"):
        backup.backup(hub, blocker / "backups")
    make_org(1)  # the database is unharmed and the write lock was released
    assert hub.scalar("SELECT count(*) FROM organisations") == 1


def test_manual_backup_is_for_admins_and_audited(hub, isolated):
    s = config.load()
    with pytest.raises(PermissionDenied):
        backup.backup_now(hub, STAFF, s)
    assert backup.backups(s.backup_dir) == []
    path = backup.backup_now(hub, ADMIN, s)
    assert path.parent == s.backup_dir == isolated / "backups"
    row = hub.fetch_one("SELECT * FROM audit_log ORDER BY id DESC LIMIT 1")
    assert (row["actor"], row["table_name"], row["row_key"], row["action"]) == (ADMIN.username, "database", path.name, "backup")
    assert audit.verify(hub).ok


def test_backup_command_does_not_migrate_the_file(hub, isolated, capsys):
    make_org(1)
    core_db.close_all()
    assert manage.main(["backup", "--keep", "2"]) == 0
    path = Path(capsys.readouterr().out.strip())
    assert path.parent == isolated / "backups" and path.exists()
    assert _file_sums(path) == _file_sums(isolated / "hub.duckdb")
    assert manage.main(["backups"]) == 0
    assert path.name in capsys.readouterr().out


# ---- automatic backups --------------------------------------------------------------------------

@pytest.fixture
def auto_env(monkeypatch):
    monkeypatch.setattr(backup, "START_DELAY_SECONDS", 0.0)  # the server waits 30 s; the tests need not

    def set_(on_start: str, every: str, keep: str = "14") -> None:
        monkeypatch.setenv("HUBDESK_BACKUP_ON_START", on_start)
        monkeypatch.setenv("HUBDESK_BACKUP_EVERY_HOURS", every)
        monkeypatch.setenv("HUBDESK_BACKUP_KEEP", keep)
    return set_


def _wait(predicate, seconds: float = 20.0) -> bool:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(0.02)
    return predicate()


def test_start_backup_happens_once_per_process(isolated, auto_env):
    auto_env("1", "0")
    db = app.bootstrap()
    auto = backup.current_auto()
    assert auto is not None
    assert _wait(lambda: not auto.alive)  # on-start only: the thread ends after its one backup
    app.bootstrap()
    app.bootstrap()
    assert backup.start_auto(db, config.load()) is auto  # never a second one
    found = backup.backups(isolated / "backups")
    assert len(found) == 1 and auto.taken == [found[0].path]
    assert _file_sums(found[0].path)["users"].rows == 1  # taken after the first start made the admin
    assert [t for t in threading.enumerate() if t.name == "hubdesk-backup"] == []


def test_no_backup_thread_when_switched_off(isolated, auto_env):
    auto_env("0", "0")
    app.bootstrap()
    assert backup.current_auto() is None
    assert not (isolated / "backups").exists()


def test_the_daily_timer_driven_by_a_clock(hub, isolated):
    day = 24 * 3600.0
    clock = [1000.0]
    auto = backup.AutoBackup(hub, isolated / "backups", keep=2, every_seconds=day, on_start=True,
                             start_delay=30, clock=lambda: clock[0])
    assert auto.tick(1000.0) is None and auto.tick(1029.0) is None  # the start backup waits 30 s
    t0 = 1030.0
    assert auto.tick(t0) is not None  # at start
    assert auto.tick(t0 + 3600) is None  # an hour later: not due
    assert auto.tick(t0 + day - 1) is None
    make_org(1)
    second = auto.tick(t0 + day)  # a day later
    assert second is not None and _file_sums(second)["organisations"].rows == 1
    assert auto.tick(t0 + day + 5) is None
    clock[0] = t0 + 3 * day + 7  # the machine was busy: one backup, not three
    assert auto.tick() is not None and auto.tick() is None
    assert auto.next_due == clock[0] + day
    assert len(auto.taken) == 3
    assert [b.path for b in backup.backups(isolated / "backups")] == list(reversed(auto.taken[-2:]))  # keep=2


def test_a_failed_automatic_backup_is_retried_later(hub, isolated):
    blocker = isolated / "blocked"
    blocker.write_text("x")
    auto = backup.AutoBackup(hub, blocker / "backups", keep=3, every_seconds=86400, on_start=True,
                             clock=lambda: 0.0, retry_seconds=600)
    assert auto.tick(0.0) is None
    assert "备份失败" in auto.last_error and auto.next_due == 600
    blocker.unlink()
    blocker.mkdir()
    assert auto.tick(600.0) is not None and auto.last_error is None
    assert auto.next_due == 600 + 86400


def test_the_thread_backs_up_on_its_timer_and_stops(hub, isolated):
    auto = backup.AutoBackup(hub, isolated / "backups", keep=10, every_seconds=0.2, on_start=False).start()
    try:
        assert _wait(lambda: len(auto.taken) >= 2)
    finally:
        auto.stop()
    assert not auto.alive
    assert len(backup.backups(isolated / "backups")) == len(auto.taken) >= 2


def test_backups_end_when_the_database_is_closed(hub, isolated):
    auto = backup.AutoBackup(hub, isolated / "backups", keep=10, every_seconds=60, on_start=True,
                             clock=lambda: 0.0)
    assert auto.tick(0.0) is not None
    core_db.close_all()
    assert auto.tick(60.0) is None
    assert auto.closed and auto.next_due is None and auto.last_error is None
    assert len(backup.backups(isolated / "backups")) == 1


# ---- before an upgrade's migrations ----------------------------------------------------------------

@pytest.fixture
def newer_release(tmp_path, monkeypatch):
    """The migrations of a next release: today's and one more."""
    folder = tmp_path / "migrations"
    folder.mkdir()
    for p in migrate.MIGRATIONS_DIR.glob("*.sql"):
        shutil.copy(p, folder / p.name)
    (folder / "999_next_release.sql").write_text("CREATE TABLE next_release_probe (id INTEGER);\n")
    return folder


def test_an_upgrade_backs_up_before_migrating(isolated, auto_env, newer_release, monkeypatch):
    auto_env("0", "0")
    app.bootstrap()  # today's release made the database
    users_before = core_db.get_db().scalar("SELECT count(*) FROM users")
    app.reset_for_tests()
    core_db.close_all()
    auto_env("1", "0")
    monkeypatch.setattr(migrate, "MIGRATIONS_DIR", newer_release)
    db = app.bootstrap()  # the next release starts
    assert db.scalar("SELECT count(*) FROM next_release_probe") == 0  # migrated
    before = [b for b in backup.backups(isolated / "backups") if b.kind == "before-migration"]
    assert len(before) == 1 and before[0].name.endswith("-before-v999.duckdb")
    sums = _file_sums(before[0].path)
    assert "next_release_probe" not in sums and sums["users"].rows == users_before
    backup.stop_auto()


def test_an_upgrade_without_a_possible_backup_does_not_migrate(isolated, auto_env, newer_release, monkeypatch):
    auto_env("0", "0")
    app.bootstrap()
    app.reset_for_tests()
    core_db.close_all()
    blocker = isolated / "blocked"
    blocker.write_text("x")
    auto_env("1", "0")
    monkeypatch.setenv("HUBDESK_BACKUP_DIR", str(blocker / "backups"))
    monkeypatch.setattr(migrate, "MIGRATIONS_DIR", newer_release)
    with pytest.raises(backup.BackupFailed, match="没有应用新的数据库迁移"):
        app.bootstrap()
    assert "next_release_probe" not in _file_sums(isolated / "hub.duckdb")
    assert not list(isolated.glob("*.part"))


def test_settings_for_backups(monkeypatch, isolated):
    s = config.load()
    assert (s.backup_on_start, s.backup_every_hours) == (False, 0)  # tests/conftest turns them off
    for k in ("HUBDESK_BACKUP_ON_START", "HUBDESK_BACKUP_EVERY_HOURS", "HUBDESK_BACKUP_KEEP", "HUBDESK_BACKUP_DIR"):
        monkeypatch.delenv(k, raising=False)
    s = config.load()
    assert (s.backup_on_start, s.backup_every_hours, s.backup_keep) == (True, 24.0, 14)
    assert s.backup_dir == isolated / "backups"
    monkeypatch.setenv("HUBDESK_BACKUP_KEEP", "0")
    monkeypatch.setenv("HUBDESK_BACKUP_DIR", str(isolated / "elsewhere"))
    s = config.load()
    assert s.backup_keep == 1 and s.backup_dir == isolated / "elsewhere"


# ---- the admin panel ------------------------------------------------------------------------------

def test_admin_panel_backs_up_lists_and_offers_the_export(demo_db, isolated):
    from tests.apptest_helpers import open_page, plain_texts, signed_in

    street = open_page(signed_in("admin", ["admin"]).run(), "audit-log")  # 下沙's admin: the export holds every hub
    assert "备份与恢复" not in [s.value for s in street.subheader] and not street.exception
    with pytest.raises(PermissionDenied, match="最上级枢纽"):
        export.download(demo_db, hubs.actor_for("admin", ("admin",), demo_db), "parquet")
    with pytest.raises(PermissionDenied, match="最上级枢纽"):
        backup.backup_now(demo_db, hubs.actor_for("admin", ("admin",), demo_db), config.load())
    at = open_page(signed_in("hz_admin", ["admin"]).run(), "audit-log")  # 杭州市's: the install's operator
    assert not at.exception
    assert "备份与恢复" in [s.value for s in at.subheader]
    assert "还没有备份" in plain_texts(at)
    at.button(key="backup:now").click().run()
    assert not at.exception
    found = backup.backups(isolated / "backups")
    assert len(found) == 1
    assert f"已备份并校验:{found[0].name}" in plain_texts(at)
    assert list(at.dataframe[-1].value["备份文件"]) == [found[0].name]
    at.radio(key="backup:fmt").set_value("parquet").run()
    at.button(key="backup:export").click().run()
    assert not at.exception
    name, data = at.session_state["backup:file"]
    assert name.endswith(".zip") and data[:2] == b"PK"
    assert demo_db.scalar("SELECT count(*) FROM audit_log WHERE action = 'export' AND actor = 'hz_admin'") == 1
    assert demo_db.scalar("SELECT count(*) FROM audit_log WHERE action IN ('export', 'backup')") == 2
    assert "python3 -m core.manage restore" in plain_texts(at)


def test_the_panel_is_not_reachable_for_staff(demo_db):
    from tests.apptest_helpers import open_page, signed_in

    at = open_page(signed_in("staff", ["staff"]).run(), "audit-log")
    assert "备份与恢复" not in [s.value for s in at.subheader]
    with pytest.raises(PermissionDenied):
        export.download(demo_db, STAFF, "parquet")
    assert demo_db.scalar("SELECT count(*) FROM audit_log WHERE action = 'export'") == 0


def test_the_drill_checks_that_every_upload_is_there(hub, isolated, capsys):
    from core.platform import documents

    org = make_org(1)
    pdf = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
    first = documents.attach("organisations", org, "章程.pdf", pdf, STAFF)
    second = documents.attach("organisations", org, "照片.png", png, STAFF)
    folder = documents.uploads_dir()
    assert backup.check_uploads(hub, folder) == []
    assert manage.main(["check-uploads"]) == 0
    assert "文件齐全" in capsys.readouterr().out

    stored = {r["id"]: r["stored_name"] for r in hub.fetch_all("SELECT id, stored_name FROM documents")}
    (folder / stored[first]).unlink()  # a restore onto a machine without data/uploads
    (folder / stored[second]).write_bytes(png + b"x")
    bad = {r["id"]: r["problem"] for r in backup.check_uploads(hub, folder)}
    assert bad == {first: "文件缺失", second: "内容与记录的哈希不符"}
    assert manage.main(["check-uploads"]) == 1
    assert "2 个有问题" in capsys.readouterr().out


def test_the_app_backs_up_when_it_starts(isolated, auto_env):
    from tests.apptest_helpers import app as home

    auto_env("1", "24")
    at = home().run()  # the first page load runs the start-up (core.app.bootstrap)
    assert not at.exception
    auto = backup.current_auto()
    assert auto is not None and auto.alive  # the daily timer keeps running
    assert _wait(lambda: len(auto.taken) == 1)
    at.run()
    home().run()  # more sessions, more reruns: still the one thread, no new backup
    assert backup.current_auto() is auto and len(auto.taken) == 1
    assert [t.name for t in threading.enumerate()].count("hubdesk-backup") == 1
    assert len(backup.backups(isolated / "backups")) == 1


def test_deleting_the_newest_audit_rows_is_caught_against_the_backups(hub, isolated):
    """The hash chain cannot see its own tail cut off; the last audit row of each backup is an anchor."""
    make_org(1)
    folder = isolated / "backups"
    backup.backup(hub, folder, keep=5)
    anchors = backup.audit_anchors(folder, hub.path.stem)
    last = int(hub.scalar("SELECT max(id) FROM audit_log"))
    assert anchors and anchors[0][0] == last
    make_org(2)
    assert audit.verify(hub, anchors).ok
    with hub.transaction() as tx:  # someone with file access removes the newest rows
        tx.execute("DELETE FROM audit_log WHERE id >= ?", [last])
    report = audit.verify(hub, anchors)
    assert not report.ok and report.first_bad_id == last and "末尾的记录被删除" in report.reason
    audit.head_path(hub.path).unlink()  # the head file beside the database gone too: the backup still tells
    report = audit.verify(hub, anchors)
    assert not report.ok and report.first_bad_id == last and "末尾的记录被删除" in report.reason
    assert "备份" in report.reason and any("没有找到链头文件" in n for n in report.notes)
    assert audit.verify(hub).ok  # with neither, the chain alone cannot see its tail gone (tests/test_audit_chain.py)
