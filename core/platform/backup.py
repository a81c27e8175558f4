"""Backups of the DuckDB file: consistent, verified, kept with a retention count; a checked restore.

* :func:`backup` takes the write lock (no transaction can commit meanwhile), runs ``CHECKPOINT`` so the
  file holds every committed change, copies it to ``<dir>/<stem>-YYYYmmdd-HHMMSS-ffffff.duckdb.part``,
  releases the lock, verifies the copy (opens it read-only and reads every table) and only then gives it
  its final name; then the newest ``keep`` backups are kept and older ones deleted.
* :class:`AutoBackup` is the one background thread per process that backs up at start and every
  ``HUBDESK_BACKUP_EVERY_HOURS``; :func:`start_auto` starts it (from ``core.app.bootstrap``) at most once.
* :func:`before_migrations` copies the file aside before a new version of HubDesk migrates it
  (``<stem>-…-before-vNNN.duckdb``; never deleted automatically).
* :func:`restore` (server stopped) refuses a missing, corrupt, foreign or newer-version file and then
  touches nothing; otherwise the current file is kept beside it as ``<stem>.replaced-….duckdb``.

The audit log (``core.platform.audit``): each backup's last audit row (id and hash) is an anchor that the live log
must still hold (:func:`audit_anchors`), and taking it adds a ``B`` line to the head file beside the
database. A restore adds an ``R`` line there (the backup's last row, the replaced database's last row,
where the replaced file was kept) and then one audit row to the restored database ("restored from
backup …"), so :func:`core.platform.audit.verify` reports the restore as a restore, not as deleted rows.
"""
from __future__ import annotations

import getpass
import hashlib
import logging
import os
import re
import shutil
import threading
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Callable

import duckdb

from core.platform import audit, export, migrate, records
from core.platform.actor import SYSTEM
from core.platform.db import Database
from core.platform.errors import DatabaseUnavailable, HubError, PermissionDenied

log = logging.getLogger("hubdesk")

KEEP = 14
START_DELAY_SECONDS = 30.0  # the start backup waits this long: a short-lived process (a script that
                            # bootstraps and closes) is gone by then, and never races its own close()
REQUIRED_TABLES = {"schema_version", "audit_log", "users", "organisations"}
_STAMP = "%Y%m%d-%H%M%S-%f"
_REGULAR = r"-(\d{8}-\d{6}-\d{6})\.duckdb"
_BEFORE = r"-(\d{8}-\d{6}-\d{6})-before-v(\d+)\.duckdb"


class RestoreRefused(HubError):
    pass


class BackupFailed(HubError):
    pass


@dataclass(frozen=True)
class BackupFile:
    path: Path
    taken_at: datetime
    size: int
    kind: str  # "regular" | "before-migration"

    @property
    def name(self) -> str:
        return self.path.name


# ---- taking backups ---------------------------------------------------------------------------------
def _private_dir(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    try:
        path.chmod(0o700)  # backups hold everything, password hashes included
    except OSError:
        pass
    return path


def _wal(path: Path) -> Path:
    return path.with_name(path.name + ".wal")


def _copy(source: Path, part: Path) -> None:
    """Copy a closed database file (and its WAL, folded in, so the copy is one self-contained file)."""
    shutil.copyfile(source, part)
    if _wal(source).exists() and _wal(source).stat().st_size:
        shutil.copyfile(_wal(source), _wal(part))
        con = duckdb.connect(str(part))  # replays the WAL; the checkpoint on close writes it into the file
        con.execute("CHECKPOINT")
        con.close()


def _discard(part: Path) -> None:
    for p in (part, _wal(part)):
        try:
            p.unlink(missing_ok=True)
        except OSError:  # e.g. its folder could not be made: there is nothing to remove
            pass


def _finish(part: Path, final: Path) -> Path:
    """Verify a copied file and give it its final name (a file that fails the check is removed)."""
    try:
        check_file(part, label=final.name)
        part.chmod(0o600)
        os.replace(part, final)
    except BaseException:
        _discard(part)
        raise
    return final


_backup_lock = threading.Lock()  # one backup at a time in this process (the panel and the thread)


def backup(db, dest_dir: Path | str | None = None, keep: int = KEEP, *, now: datetime | None = None) -> Path:
    """A verified copy of ``db``'s file in ``dest_dir`` (default: ``backups/`` beside it); keeps the newest ``keep``."""
    dest = Path(dest_dir) if dest_dir else db.path.parent / "backups"
    try:
        _private_dir(dest)
    except OSError as exc:
        raise BackupFailed(f"备份失败:无法创建备份目录 {dest}:{exc}") from exc
    final = dest / f"{db.path.stem}-{(now or datetime.now()).strftime(_STAMP)}.duckdb"
    part = final.with_name(final.name + ".part")
    with _backup_lock:
        for stale in dest.glob(f"{db.path.stem}-*.duckdb.part*"):  # left by a crash during an earlier backup
            stale.unlink(missing_ok=True)
        try:
            with db.write_lock:  # no commit can happen between the checkpoint and the end of the copy
                with db.read() as cur:
                    # FORCE: waits for reads still running (a plain CHECKPOINT fails while any query
                    # runs: "Cannot CHECKPOINT: there are other write transactions active"; load test)
                    cur.execute("FORCE CHECKPOINT")
                    last = audit.last_row(cur)
                _copy(db.path, part)
        except DatabaseUnavailable:
            _discard(part)
            raise
        except (OSError, duckdb.Error) as exc:
            _discard(part)
            raise BackupFailed(f"备份失败(磁盘空间不足或备份目录不可写?):{exc}") from exc
        try:
            _finish(part, final)
        except RestoreRefused as exc:
            raise BackupFailed(f"备份文件校验未通过,已删除:{exc}") from exc
        with db.write_lock:  # in order with the head lines of the writes
            audit.note_backup(db.path, last, final.name)
    prune(dest, db.path.stem, keep)
    return final


def backups(dest_dir: Path | str, stem: str = "hub") -> list[BackupFile]:
    """The finished backups of ``stem`` in ``dest_dir``, newest first."""
    dest = Path(dest_dir)
    if not dest.is_dir():
        return []
    found = []
    regular, before = re.compile(re.escape(stem) + _REGULAR + "$"), re.compile(re.escape(stem) + _BEFORE + "$")
    for p in dest.iterdir():
        m = regular.match(p.name) or before.match(p.name)
        if m and p.is_file():
            found.append(BackupFile(p, datetime.strptime(m.group(1), _STAMP), p.stat().st_size,
                                    "regular" if m.re is regular else "before-migration"))
    return sorted(found, key=lambda b: b.taken_at, reverse=True)


def prune(dest_dir: Path | str, stem: str, keep: int) -> list[Path]:
    """Delete all but the newest ``keep`` (at least 1) regular backups; returns what was deleted."""
    old = [b.path for b in backups(dest_dir, stem) if b.kind == "regular"][max(1, keep):]
    for p in old:
        p.unlink(missing_ok=True)
    return old


def before_migrations(db_path: Path | str, dest_dir: Path | str, *, now: datetime | None = None) -> Path | None:
    """Before this version of HubDesk migrates an existing file, copy it aside (verified).

    Returns None when there is nothing to do (no file yet, nothing pending) or the file cannot be opened
    here (``core.platform.db`` then reports why)."""
    db_path = Path(db_path)
    if not db_path.is_file():
        return None
    try:
        con = duckdb.connect(str(db_path))
    except duckdb.Error:
        return None
    try:
        has_versions = con.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_name = 'schema_version'").fetchone()[0]
        done = {r[0] for r in con.execute("SELECT version FROM schema_version").fetchall()} if has_versions else set()
        pending = [m.version for m in migrate.available() if m.version not in done]
        if not pending or not done:  # nothing to migrate, or a brand-new file
            return None
        con.execute("CHECKPOINT")
    finally:
        con.close()
    dest = Path(dest_dir)
    final = dest / f"{db_path.stem}-{(now or datetime.now()).strftime(_STAMP)}-before-v{max(pending):03d}.duckdb"
    part = final.with_name(final.name + ".part")
    try:
        _private_dir(dest)
        _copy(db_path, part)
        _finish(part, final)
    except (OSError, duckdb.Error, RestoreRefused) as exc:
        _discard(part)
        raise BackupFailed(
            f"升级前备份 {db_path} 失败,因此没有应用新的数据库迁移:{exc}。请检查备份目录 {dest} 的空间和权限"
            "(或设置 HUBDESK_BACKUP_ON_START=0 跳过此备份)后重新启动。") from exc
    log.warning("HubDesk: %s backed up to %s before applying migrations %s", db_path, final, pending)
    return final


def backup_now(db, actor, settings) -> Path:
    """The admin panel's 立即备份: a backup like the automatic ones, audited."""
    if not actor.has("admin"):
        raise PermissionDenied("只有管理员可以备份数据库")
    path = backup(db, settings.backup_dir, settings.backup_keep)
    with records.unit(actor, db) as u:
        u.changes.append(audit.Change("database", path.name, "backup", note="手动备份"))
    return path


# ---- checking and restoring -----------------------------------------------------------------------
def check_file(path: Path | str, *, label: str | None = None) -> dict[str, export.TableSum]:
    """Refuse (RestoreRefused) a file that is not a complete, readable HubDesk database of a version this
    program knows; returns every table's row count and checksum (reading every row finds damaged blocks)."""
    path = Path(path)
    label = label or str(path)
    if not path.is_file():
        raise RestoreRefused(f"找不到备份文件 {label}")
    try:
        con = duckdb.connect(str(path), read_only=True)
    except duckdb.Error as exc:
        raise RestoreRefused(f"{label} 不是可读取的 DuckDB 数据库文件(可能已损坏或不完整):{exc}") from exc
    try:
        names = set(export.tables(con))
        missing = REQUIRED_TABLES - names
        if missing:
            raise RestoreRefused(f"{label} 不是 HubDesk 数据库(缺少表:{'、'.join(sorted(missing))})")
        versions = export.schema_versions(con)
        newest = max(m.version for m in migrate.available())
        if versions and max(versions) > newest:
            raise RestoreRefused(f"{label} 来自更新版本的 HubDesk(数据库版本 {max(versions)},本程序最高 {newest}),"
                                 "请先升级程序再恢复")
        return export.checksums(con)
    except duckdb.Error as exc:
        raise RestoreRefused(f"{label} 已损坏,读取数据时出错:{exc}") from exc
    finally:
        con.close()


def _in_use(target: Path) -> str | None:
    """Why ``target`` cannot be replaced now (held by a process, this one included), or None."""
    try:
        duckdb.connect(str(target), read_only=True).close()
    except duckdb.Error as exc:
        text = str(exc)
        if "lock" in text.lower() or "different configuration" in text:
            return text
        return None  # a damaged file is exactly what a restore replaces
    return None


def _last_audit_row(path: Path) -> tuple[int, str] | None:
    """(id, hash) of the last audit row of the database file ``path``, or None (no rows, unreadable)."""
    try:
        con = duckdb.connect(str(path), read_only=True)
    except duckdb.Error:
        return None
    try:
        return audit.last_row(con)
    except duckdb.Error:
        return None
    finally:
        con.close()


def _audit_restore(target: Path, source: Path, replaced: tuple[int, str] | None, kept: Path | None) -> bool:
    """One audit row in the restored database saying so (through the one write path). False when the
    restored file cannot take it (a backup from a HubDesk too old for this audit row): the head file's
    ``R`` line still records the restore."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = "?"
    note = (f"用 python3 -m core.manage restore 从备份 {source.name} 恢复(操作系统用户 {user})"
            + (f";恢复前的审计日志到第 {replaced[0]} 条" if replaced else "")
            + (f",被替换的数据库保留为 {kept.name}" if kept else ""))
    db = Database(target)
    try:
        with records.unit(SYSTEM, db) as u:
            u.changes.append(audit.Change("database", source.name, "restore", note=note))
    except (duckdb.Error, HubError) as exc:
        log.warning("HubDesk: the restore could not be recorded in the audit log of %s: %s", target, exc)
        return False
    finally:
        db.close()
    return True


def restore(source: Path | str, target: Path | str) -> Path | None:
    """Replace ``target`` with the backup ``source`` (server stopped). Returns where the old file was kept.

    Every check runs before anything is changed: a refused restore leaves ``target`` as it was. After the
    file is replaced, the restore is recorded in the head file beside it and in the restored audit log
    (see the module doc), so checking the audit log afterwards reports it as a restore."""
    source, target = Path(source), Path(target)
    if source.exists() and target.exists() and source.resolve() == target.resolve():
        raise RestoreRefused("备份文件就是当前数据库文件,无需恢复")
    check_file(source)
    if target.exists() and (why := _in_use(target)):
        raise RestoreRefused(f"{target} 正在被使用,请先停止 HubDesk 服务再恢复:{why}")
    target.parent.mkdir(parents=True, exist_ok=True)
    part = target.with_name(f".{target.name}.restoring")
    try:
        _copy(source, part)
        check_file(part, label=str(source))
    except OSError as exc:
        _discard(part)
        raise RestoreRefused(f"无法复制 {source} 到 {target.parent}(磁盘空间不足或目录只读?),未做任何更改:{exc}") from exc
    except BaseException:
        _discard(part)
        raise
    kept = None
    replaced = _last_audit_row(target) if target.exists() else None
    if target.exists():
        kept = target.with_name(f"{target.stem}.replaced-{datetime.now():%Y%m%d-%H%M%S}{target.suffix}")
        target.rename(kept)
        if _wal(target).exists():
            _wal(target).rename(_wal(kept))
    os.replace(part, target)
    try:
        audit.note_restore(target, _last_audit_row(target), source.name, replaced, kept.name if kept else None)
    except OSError as exc:  # the file is restored; check-audit will then report the old head as cut off
        log.error("HubDesk: the restore could not be noted in the audit head file of %s: %s", target, exc)
    _audit_restore(target, source, replaced, kept)
    return kept


def check_uploads(db, folder: Path | str) -> list[dict]:
    """Documents whose stored file is missing from ``folder`` or differs from its recorded sha256.

    Uploads live outside the database (``data/uploads/``, by content hash, never changed once written),
    so a restored database is only whole together with them: the restore drill runs this."""
    folder = Path(folder)
    bad = []
    for row in db.fetch_all("SELECT id, filename, stored_name, sha256 FROM documents ORDER BY id"):
        path = folder / row["stored_name"]
        if not path.is_file():
            bad.append(dict(row, problem="文件缺失"))
        elif hashlib.sha256(path.read_bytes()).hexdigest() != row["sha256"]:
            bad.append(dict(row, problem="内容与记录的哈希不符"))
    return bad


# ---- the automatic backups -----------------------------------------------------------------------------
class AutoBackup:
    """Backs up at start (``on_start``, after ``start_delay``) and then every ``every_seconds`` (0: never),
    in one daemon thread.

    ``tick(now)`` does one step and can be driven directly with any clock value; the thread only calls it
    and sleeps until the next backup is due. A failed backup is logged and retried after ``retry_seconds``;
    the thread ends when the database is closed or :meth:`stop` is called."""

    def __init__(self, db, dest_dir: Path, *, keep: int, every_seconds: float, on_start: bool,
                 start_delay: float = 0.0, clock: Callable[[], float] = time.monotonic, retry_seconds: float = 900.0):
        self.db, self.dest_dir, self.keep = db, Path(dest_dir), keep
        self.every = max(0.0, float(every_seconds))
        self.retry = retry_seconds
        self.clock = clock
        self.taken: list[Path] = []
        self.last_error: str | None = None
        self.closed = False
        now = clock()
        self.next_due: float | None = now + start_delay if on_start else (now + self.every if self.every else None)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def tick(self, now: float | None = None) -> Path | None:
        """Back up if one is due at ``now``; returns the new backup, or None."""
        now = self.clock() if now is None else now
        if self.closed or self.next_due is None or now < self.next_due:
            return None
        try:
            path = backup(self.db, self.dest_dir, self.keep)
        except DatabaseUnavailable:  # the database was closed: nothing left to back up
            self.closed, self.next_due = True, None
            return None
        except Exception as exc:  # keep the server running; try again later
            self.last_error = str(exc)
            log.error("HubDesk: automatic backup failed: %s", exc)
            self.next_due = now + (min(self.retry, self.every) if self.every else self.retry)
            return None
        self.taken.append(path)
        self.last_error = None
        self.next_due = now + self.every if self.every else None
        log.info("HubDesk: automatic backup %s", path)
        return path

    def _run(self) -> None:
        while not self._stop.is_set():
            self.tick()
            if self.next_due is None:
                return
            wait = max(0.0, self.next_due - self.clock())
            if self._stop.wait(min(wait, 3600.0)):  # wake at least hourly (a changed clock is noticed)
                return

    def start(self) -> "AutoBackup":
        self._thread = threading.Thread(target=self._run, name="hubdesk-backup", daemon=True)
        self._thread.start()
        return self

    @property
    def alive(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def stop(self, timeout: float = 30.0) -> None:
        self._stop.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout)


_auto: AutoBackup | None = None
_auto_lock = threading.Lock()


def start_auto(db, settings, *, clock: Callable[[], float] = time.monotonic) -> AutoBackup | None:
    """Start the process's automatic backups (once: later calls return the same one). None when off."""
    global _auto
    with _auto_lock:
        if _auto is not None:
            return _auto
        if not settings.backup_on_start and settings.backup_every_hours <= 0:
            return None
        _auto = AutoBackup(db, settings.backup_dir, keep=settings.backup_keep,
                           every_seconds=settings.backup_every_hours * 3600, on_start=settings.backup_on_start,
                           start_delay=START_DELAY_SECONDS, clock=clock).start()
        return _auto


def current_auto() -> AutoBackup | None:
    return _auto


def stop_auto() -> None:
    """Stop the automatic backups (tests; a process that closes its database)."""
    global _auto
    with _auto_lock:
        if _auto is not None:
            _auto.stop()
        _auto = None


def audit_anchors(dest_dir: Path | str, stem: str = "hub", newest: int = 3) -> list[audit.Anchor]:
    """The last audit row (id, hash, "备份 <name>", taken at) of the newest ``newest`` backups: rows the live
    audit log must still hold (``core.platform.audit.verify``), so deleting its newest rows is noticed too (a
    backup taken before a restore is told apart by ``verify``). Unreadable backups are skipped
    (``check-backup`` reports them)."""
    out = []
    for b in backups(dest_dir, stem)[:newest]:
        try:
            con = duckdb.connect(str(b.path), read_only=True)
        except duckdb.Error:
            continue
        try:
            row = con.execute("SELECT id, hash FROM audit_log ORDER BY id DESC LIMIT 1").fetchone()
        except duckdb.Error:
            row = None
        finally:
            con.close()
        if row:
            out.append(audit.Anchor(int(row[0]), str(row[1]), f"备份 {b.name} ", b.taken_at))
    return out
