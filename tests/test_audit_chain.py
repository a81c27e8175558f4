"""An audit trail that cannot be trimmed quietly (issue 13): the hash chain is keyed (HMAC-SHA256 with a
key kept in the secrets file, never in the database) and its head is anchored outside the database (the
``.audit-head`` file beside it, and every backup). With the server stopped, someone who edits the
database file can neither cut off the newest rows nor change a row and recompute the following hashes
(with plain SHA-256, or with a key of their own) without ``check-audit`` saying so and naming the rows;
a restore of an older backup is reported as a restore; an unkeyed chain from an older HubDesk is keyed
once, audited; and the head file costs one line per transaction, not per row.
"""
from __future__ import annotations

import hashlib
import hmac
import secrets
import shutil
import stat
import threading
import tomllib

import duckdb
import pytest

from core import manage
from core.platform import audit, backup, config, db as core_db, records, secrets_file
from core.platform.actor import SYSTEM


def _write(db, transactions: int = 5, per: int = 3) -> int:
    """``transactions`` audited writes of ``per`` rows each; returns the newest audit id."""
    for t in range(transactions):
        with records.unit(SYSTEM, db) as u:
            u.changes.extend(audit.Change("organisations", f"{t}-{j}", "create", after={"名称": f"组织{t}-{j}"})
                             for j in range(per))
    return int(db.scalar("SELECT max(id) FROM audit_log"))


@pytest.fixture
def chain(db):
    """A database with a chain of audited writes; returns (path, newest id)."""
    return db.path, _write(db)


def _stop() -> None:
    core_db.close_all()  # the server is stopped: the file can be edited directly


def _reopen():
    return core_db.get_db(config.load().db_path)


COLS = ", ".join(audit._COLUMNS)


def _rows(con, since: int = 1) -> list[dict]:
    cur = con.execute(f"SELECT {COLS} FROM audit_log WHERE id >= ? ORDER BY id", [since])
    return [dict(zip(audit._COLUMNS, r)) for r in cur.fetchall()]


def _rewrite(path, first: int, digest, change: dict | None = None, until: int | None = None) -> None:
    """With the server stopped: change row ``first`` and recompute every following hash and link (up to
    ``until``) with ``digest`` (what someone who can edit the file, but lacks the audit key, can do)."""
    con = duckdb.connect(str(path))
    try:
        prev = con.execute("SELECT hash FROM audit_log WHERE id = ?", [first - 1]).fetchone()
        prev = prev[0] if prev else audit.GENESIS
        for row in _rows(con, first):
            if until is not None and row["id"] > until:
                break
            if row["id"] == first and change:
                row.update(change)
            row["prev_hash"] = prev
            row["hash"] = digest(row)
            con.execute("UPDATE audit_log SET actor = ?, after_json = ?, prev_hash = ?, hash = ? WHERE id = ?",
                        [row["actor"], row["after_json"], row["prev_hash"], row["hash"], row["id"]])
            prev = row["hash"]
    finally:
        con.close()


def _sha256(row: dict) -> str:
    return audit._legacy_digest(row)


def _wrong_key(row: dict, key=secrets.token_bytes(48)) -> str:
    return hmac.new(key, audit._content(row), hashlib.sha256).hexdigest()


# ---- cutting off the newest rows -----------------------------------------------------------------------

def test_deleting_the_newest_rows_with_the_server_stopped_is_found_and_the_rows_named(chain, capsys):
    path, last = chain
    _stop()
    con = duckdb.connect(str(path))
    con.execute("DELETE FROM audit_log WHERE id > ?", [last - 3])  # the newest three rows
    con.close()
    report = audit.verify(_reopen())
    assert not report.ok and report.first_bad_id == last - 2
    assert "审计日志末尾的记录被删除" in report.reason and f"链头文件记录到第 {last} 条" in report.reason
    assert report.bad_range == (last - 2, last)
    _stop()
    assert manage.main(["check-audit"]) == 1
    out = capsys.readouterr().out
    assert out.startswith(f"审计日志异常:{last - 3} 条,第 {last - 2} 条:审计日志末尾的记录被删除")
    assert f"第 {last - 2}–{last} 条" in out


def test_the_tail_is_still_caught_when_the_head_file_is_gone_but_a_backup_has_it(chain, isolated, capsys):
    path, last = chain
    backup.backup(_reopen(), isolated / "backups")
    _stop()
    con = duckdb.connect(str(path))
    con.execute("DELETE FROM audit_log WHERE id > ?", [last - 2])
    con.close()
    audit.head_path(path).unlink()
    assert manage.main(["check-audit"]) == 1
    out = capsys.readouterr().out
    assert f"第 {last - 1}–{last} 条" in out and "备份 hub-" in out and "没有找到链头文件" in out


# ---- rewriting rows and recomputing the hashes ---------------------------------------------------------

@pytest.mark.parametrize("digest", [_sha256, _wrong_key], ids=["sha256", "another-key"])
def test_a_changed_row_with_every_following_hash_recomputed_is_found_and_the_rows_named(chain, digest, capsys):
    path, last = chain
    k = last - 6
    _stop()
    _rewrite(path, k, digest, {"actor": "mallory"})
    report = audit.verify(_reopen())
    assert not report.ok and report.first_bad_id == k
    assert report.bad_range == (k, last)
    assert report.problems[0].first_id == k and report.problems[0].last_id == last
    assert "签名不符" in report.problems[0].reason
    _stop()
    assert manage.main(["check-audit"]) == 1
    out = capsys.readouterr().out
    assert f"第 {k} 条" in out and f"涉及第 {k}–{last} 条" in out and f"第 {k}–{last} 条:签名不符" in out


def test_the_whole_chain_rewritten_as_unkeyed_rows_is_found_against_the_head_file(chain):
    path, last = chain
    _stop()
    _rewrite(path, 1, _sha256, {"actor": "mallory"})  # looks like a chain from before the key existed
    report = audit.verify(_reopen())
    assert not report.ok and report.bad_range == (1, last)
    assert "没有密钥签名" in report.problems[0].reason and "被整体改写过" in report.problems[0].reason


def test_a_changed_row_alone_is_named_alone(chain):
    path, last = chain
    _stop()
    con = duckdb.connect(str(path))
    con.execute("UPDATE audit_log SET after_json = '{}' WHERE id = ?", [last - 4])
    con.close()
    report = audit.verify(_reopen())
    assert not report.ok and report.first_bad_id == last - 4 and report.bad_range == (last - 4, last - 4)
    assert report.reason == "记录内容与其哈希不符(该条可能被修改)"


def test_rows_inserted_in_the_middle_with_a_recomputed_chain_are_found(chain):
    path, last = chain
    _stop()
    con = duckdb.connect(str(path))
    con.execute("UPDATE audit_log SET id = id + 100000 WHERE id > ? ", [last - 5])  # make room for a forged row
    con.execute("UPDATE audit_log SET id = id - 99999 WHERE id > 100000")
    row = _rows(con, last - 5)[0]
    con.execute(f"INSERT INTO audit_log ({COLS}) VALUES ({', '.join('?' for _ in audit._COLUMNS)})",
                [dict(row, id=last - 4, actor="mallory")[c] for c in audit._COLUMNS])
    con.close()
    _rewrite(path, last - 4, _sha256)
    report = audit.verify(_reopen())
    assert not report.ok and report.first_bad_id == last - 4 and report.bad_range[0] == last - 4


# ---- the key ---------------------------------------------------------------------------------------------

def _secrets() -> dict:
    return tomllib.loads(config.load().secrets_path.read_text(encoding="utf-8"))


def test_the_key_is_in_the_secrets_file_and_nowhere_in_the_database(chain):
    path, _ = chain
    data = _secrets()
    key = data["audit"]["key"]
    assert len(key.encode()) >= 32 and key != data["auth"]["cookie_key"]
    assert stat.S_IMODE(config.load().secrets_path.stat().st_mode) == 0o600
    db = _reopen()
    with db.read() as cur:
        cur.execute("FORCE CHECKPOINT")
    _stop()
    for p in path.parent.iterdir():
        if p.is_file() and p != config.load().secrets_path:
            content = p.read_bytes()
            assert key.encode() not in content, p.name
            assert key.encode().hex().encode() not in content, p.name
    con = duckdb.connect(str(path), read_only=True)
    one = _rows(con, 1)[0]
    con.close()
    assert one["hash"] == hmac.new(key.encode(), audit._content(one), hashlib.sha256).hexdigest()
    assert one["hash"] != audit._legacy_digest(one)


def test_a_secrets_file_without_an_audit_key_gets_one_on_start(isolated):
    path = config.load().secrets_path
    cookie = "c" * 48
    path.write_text(f'# 旧版本生成\n[auth]\ncookie_key = "{cookie}"\n', encoding="utf-8")
    threads = [threading.Thread(target=secrets_file.cookie_key, args=(path,)) for _ in range(4)]
    for t in threads:  # several sessions starting at once add one key, not several
        t.start()
    for t in threads:
        t.join()
    data = _secrets()
    assert data["auth"]["cookie_key"] == cookie  # the sign-in cookie key is kept
    assert len(data["audit"]["key"]) >= 43 and path.read_text(encoding="utf-8").count("[audit]") == 1
    assert secrets_file.audit_keys(path) == [data["audit"]["key"].encode()]
    assert secrets_file.cookie_key(path) == cookie and _secrets() == data  # later starts change nothing


def test_a_short_audit_key_is_refused(isolated):
    path = config.load().secrets_path
    path.write_text(f'[auth]\ncookie_key = "{"c" * 48}"\n[audit]\nkey = "short"\n', encoding="utf-8")
    with pytest.raises(secrets_file.InsecureSecret, match="审计密钥太短"):
        secrets_file.audit_keys(path)


def test_an_old_key_kept_as_previous_still_verifies_older_rows(chain):
    path, last = chain
    secrets_path = config.load().secrets_path
    old = _secrets()["audit"]["key"]
    new = secrets.token_urlsafe(48)
    text = secrets_path.read_text(encoding="utf-8").replace(f'key = "{old}"', f'key = "{new}"\nprevious_keys = ["{old}"]')
    secrets_path.write_text(text, encoding="utf-8")
    db = _reopen()
    _write(db, 1)
    assert audit.verify(db).ok
    newest = db.fetch_one(f"SELECT {COLS} FROM audit_log ORDER BY id DESC LIMIT 1")
    assert newest["hash"] == audit._keyed_digest(newest, new.encode())


def test_a_regenerated_secrets_file_is_explained(chain):
    path, last = chain
    config.load().secrets_path.unlink()
    secrets_file.ensure(config.load().secrets_path)  # what a start without the secrets file does
    report = audit.verify(_reopen())
    assert not report.ok and report.bad_range == (1, last)
    assert any("另一个审计密钥签名" in n and "放回原来的密钥文件" in n for n in report.notes)


def test_checking_never_makes_a_key(chain):
    config.load().secrets_path.unlink()
    report = audit.verify(_reopen())
    assert not report.ok and any("找不到审计密钥" in n for n in report.notes)
    assert not config.load().secrets_path.exists()


# ---- restore -------------------------------------------------------------------------------------------

def test_restoring_an_older_backup_is_reported_as_a_restore(chain, isolated, capsys):
    path, _ = chain
    db = _reopen()
    older = backup.backup(db, isolated / "backups")
    at_older = int(db.scalar("SELECT max(id) FROM audit_log"))
    _write(db, 2)
    backup.backup(db, isolated / "backups")  # a later backup, of what the restore throws away
    newest = _write(db, 2)
    _stop()
    assert manage.main(["restore", str(older)]) == 0
    out = capsys.readouterr().out
    assert "已恢复" in out and "审计日志完整" in out
    assert f"从备份 {older.name} 恢复,审计日志回到第 {at_older} 条" in out
    assert f"第 {at_older + 1}–{newest} 条不在当前数据库中" in out and "hub.replaced-" in out
    assert "取自恢复之前" in out  # the later backup is not taken for tampering
    assert manage.main(["check-audit"]) == 0

    db = _reopen()
    row = db.fetch_one("SELECT * FROM audit_log ORDER BY id DESC LIMIT 1")
    assert (row["id"], row["action"], row["actor"], row["row_key"]) == (at_older + 1, "restore", "system", older.name)
    _write(db, 2)  # the restored database goes on; so does its chain
    report = audit.verify(db, backup.audit_anchors(isolated / "backups", "hub"))
    assert report.ok and any("恢复" in n for n in report.notes)
    assert not any("末尾的记录被删除" in n for n in report.notes)


def test_a_restore_by_copying_the_file_is_not_passed_off_as_whole(chain, isolated):
    path, last = chain
    older = backup.backup(_reopen(), isolated / "backups")
    newest = _write(_reopen(), 2)
    _stop()
    shutil.copyfile(older, path)  # not through `restore`: nothing records it
    report = audit.verify(_reopen())
    assert not report.ok and report.bad_range == (last + 1, newest)
    assert "python3 -m core.manage restore" in report.reason


def test_a_backup_records_its_last_row(chain, isolated):
    path, last = chain
    taken = backup.backup(_reopen(), isolated / "backups")
    lines, bad = audit.read_head(audit.head_path(path))
    assert not bad and lines[-1].kind == "B" and (lines[-1].id, lines[-1].extra) == (last, (taken.name,))
    anchor = backup.audit_anchors(isolated / "backups", "hub")[0]
    assert (anchor.id, anchor.hash) == (last, lines[-1].hash) and anchor.taken_at is not None


# ---- upgrading an unkeyed chain ----------------------------------------------------------------------------

def test_an_unkeyed_chain_is_keyed_once_audited_and_its_old_rows_stay_protected(chain):
    path, last = chain
    _stop()
    _rewrite(path, 1, _sha256)  # as an older HubDesk wrote it: plain SHA-256, no head file
    audit.head_path(path).unlink()
    db = _reopen()
    report = audit.verify(db)
    assert report.ok and any(f"第 1–{last} 条是启用密钥签名之前的记录" in n for n in report.notes)

    _write(db, 1, 2)  # the first write after the upgrade
    marker = db.fetch_one("SELECT * FROM audit_log WHERE id = ?", [last + 1])
    assert (marker["action"], marker["actor"], marker["table_name"]) == (audit.KEY_ACTION, "system", "audit_log")
    assert f"第 1–{last} 条" in marker["note"] and "HMAC-SHA256" in marker["note"]
    assert db.scalar("SELECT count(*) FROM audit_log WHERE action = ?", [audit.KEY_ACTION]) == 1
    _write(db, 1)
    assert db.scalar("SELECT count(*) FROM audit_log WHERE action = ?", [audit.KEY_ACTION]) == 1  # once
    report = audit.verify(db)
    assert report.ok and any("由其后第一条签名记录连带保护" in n for n in report.notes)

    _stop()
    _rewrite(path, 2, _sha256, {"actor": "mallory"}, until=last)  # an old row changed, the old rows re-hashed
    report = audit.verify(_reopen())  # the keyed row covering them cannot be re-signed without the key
    assert not report.ok and report.first_bad_id == last + 1
    assert report.reason == "与前一条记录的链接不一致(前一条可能被修改或删除)"


def test_an_unkeyed_row_after_the_key_was_introduced_is_bad(chain):
    path, last = chain
    _stop()
    _rewrite(path, last, _sha256)  # only the newest row, recomputed without the key
    report = audit.verify(_reopen())
    assert not report.ok and report.bad_range == (last, last)


# ---- the head file -----------------------------------------------------------------------------------------

def test_one_head_line_per_transaction_and_a_bulk_write_is_not_slowed(db, monkeypatch):
    head = audit.head_path(db.path)
    calls: list = []
    real = audit.append_head

    def counted(*args, **kw):
        calls.append(args)
        return real(*args, **kw)

    monkeypatch.setattr(audit, "append_head", counted)
    before = len(audit.read_head(head)[0])
    with records.unit(SYSTEM, db) as u:
        u.changes.extend(audit.Change("organisations", i, "create", after={"名称": f"组织{i}"}) for i in range(5000))
    # the head file is written once for the transaction (one line, not 5,000 appends of a line each)
    assert len(audit.read_head(head)[0]) == before + 1 and len(calls) == 1
    assert audit.read_head(head)[0][-1].id == db.scalar("SELECT max(id) FROM audit_log")
    assert audit.verify(db).ok


def test_nothing_reaches_the_head_file_when_a_transaction_rolls_back(chain):
    path, last = chain
    before = audit.head_path(path).read_bytes()
    with pytest.raises(RuntimeError):
        with records.unit(SYSTEM, _reopen()) as u:
            u.changes.append(audit.Change("organisations", 1, "create"))
            raise RuntimeError("失败")
    assert audit.head_path(path).read_bytes() == before


def test_the_head_file_stays_small_and_still_catches_a_cut(db, monkeypatch):
    monkeypatch.setattr(audit, "HEAD_MAX_BYTES", 4096)
    monkeypatch.setattr(audit, "HEAD_KEEP", 10)
    last = _write(db, 120, 1)
    head = audit.head_path(db.path)
    assert head.stat().st_size <= 4096 + 200
    lines, bad = audit.read_head(head)
    assert not bad and lines[-1].id == last and len(lines) <= 40
    assert audit.verify(db).ok
    with db.transaction() as tx:  # behind the app's back
        tx.execute("DELETE FROM audit_log WHERE id = ?", [last])
    report = audit.verify(db)
    assert not report.ok and report.bad_range == (last, last)


def test_a_torn_last_line_and_a_head_behind_the_database_are_harmless(chain):
    path, last = chain
    head = audit.head_path(path)
    text = head.read_text(encoding="utf-8").splitlines(keepends=True)
    head.write_text("".join(text[:-1]) + "H\t99\tabc", encoding="utf-8")  # a crash: the line half-written
    db = _reopen()
    assert audit.verify(db).ok  # one transaction behind, and the piece ignored
    newest = _write(db, 1)
    lines, bad = audit.read_head(head)
    assert not bad and lines[-1].id == newest and audit.verify(db) == audit.ChainReport(True, newest)


def test_an_empty_database_and_a_fresh_chain_have_nothing_to_report(isolated):
    db = _reopen()
    assert audit.verify(db) == audit.ChainReport(True, 0)
    assert audit.verify(db).lines() == ["审计日志完整:0 条"]


def test_check_audit_says_whole_in_chinese(chain, capsys):
    _, last = chain
    _stop()
    assert manage.main(["check-audit"]) == 0
    assert capsys.readouterr().out.strip() == f"审计日志完整:{last} 条"
