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

**PostgreSQL** (``HUBDESK_DB=postgresql://…``): the same functions and commands, with PostgreSQL's own tools
(:func:`pg_tool`: ``HUBDESK_PG_BIN``, else the newest ``/usr/lib/postgresql/*/bin``, else ``PATH``). A backup is
``<database>-YYYYmmdd-HHMMSS-ffffff.pgdump``, ``pg_dump``'s custom format, taken in a snapshot exported by a
``REPEATABLE READ`` transaction that also reads the last audit row and every table's row count, so the anchor and the
counts are the dump's moment while the servers keep writing; it counts once ``pg_restore`` has read it back whole and
every table's rows match. :func:`restore` into a PostgreSQL URL refuses while any other session uses that database,
keeps the current contents as ``<database>.replaced-….pgdump`` in the backup folder, then replaces every object in one
transaction (``psql --single-transaction``: the old objects dropped, the dump's restored, every table's row count
checked against the dump before the commit), and records the restore as for DuckDB.
"""
from __future__ import annotations

import getpass
import hashlib
import logging
import os
import re
import shutil
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Callable

import duckdb

from core.platform import audit, export, migrate, pg, records, users
from core.platform.actor import SYSTEM
from core.platform.db import Database
from core.platform.errors import DatabaseUnavailable, HubError, PermissionDenied

log = logging.getLogger("hubdesk")

KEEP = 14
START_DELAY_SECONDS = 30.0  # the start backup waits this long: a short-lived process (a script that
                            # bootstraps and closes) is gone by then, and never races its own close()
REQUIRED_TABLES = {"schema_version", "audit_log", "users", "organisations"}
_STAMP = "%Y%m%d-%H%M%S-%f"
_REGULAR = r"-(\d{8}-\d{6}-\d{6})\.(?:duckdb|pgdump)"
_BEFORE = r"-(\d{8}-\d{6}-\d{6})-before-v(\d+)\.(?:duckdb|pgdump)"
PG_SUFFIX = ".pgdump"  # a PostgreSQL backup: pg_dump's custom format
PG_MAGIC = b"PGDMP"  # how such a file begins
IN_USE_GRACE = 3.0  # seconds a PostgreSQL restore waits for other sessions to end (a server stopped just now: its
                    # sessions' processes may still be ending) before it refuses


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
    if migrate.dialect(db) == "postgres":
        final = _backup_pg(db, dest / f"{db.path.stem}-{(now or datetime.now()).strftime(_STAMP)}{PG_SUFFIX}")
        prune(dest, db.path.stem, keep, PG_SUFFIX)
        return final
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
    prune(dest, db.path.stem, keep, ".duckdb")
    return final


def backups(dest_dir: Path | str, stem: str = "hub", suffix: str | None = None) -> list[BackupFile]:
    """The finished backups of ``stem`` in ``dest_dir`` (only those ending in ``suffix``, ``.duckdb`` or
    ``.pgdump``, when given), newest first."""
    dest = Path(dest_dir)
    if not dest.is_dir():
        return []
    found = []
    regular, before = re.compile(re.escape(stem) + _REGULAR + "$"), re.compile(re.escape(stem) + _BEFORE + "$")
    for p in dest.iterdir():
        m = regular.match(p.name) or before.match(p.name)
        if m and p.is_file() and (suffix is None or p.suffix == suffix):
            found.append(BackupFile(p, datetime.strptime(m.group(1), _STAMP), p.stat().st_size,
                                    "regular" if m.re is regular else "before-migration"))
    return sorted(found, key=lambda b: b.taken_at, reverse=True)


def prune(dest_dir: Path | str, stem: str, keep: int, suffix: str | None = None) -> list[Path]:
    """Delete all but the newest ``keep`` (at least 1) regular backups (of one engine: ``suffix``; a DuckDB file's
    last backups outlive the PostgreSQL ones that follow a move); returns what was deleted."""
    old = [b.path for b in backups(dest_dir, stem, suffix) if b.kind == "regular"][max(1, keep):]
    for p in old:
        p.unlink(missing_ok=True)
    return old


def before_migrations(db_path: Path | str, dest_dir: Path | str, *, now: datetime | None = None) -> Path | None:
    """Before this version of HubDesk migrates an existing file, copy it aside (verified).

    Returns None when there is nothing to do (no file yet, nothing pending) or the file cannot be opened
    here (``core.platform.db`` then reports why). With ``HUBDESK_DB=postgresql://…`` (``db_path`` is then its
    :func:`core.platform.pg.local_name`) the copy is a ``pg_dump`` (``…-before-vNNN.pgdump``)."""
    db_path = Path(db_path)
    url = os.environ.get("HUBDESK_DB", "").strip()
    if pg.is_url(url) and db_path == pg.local_name(url):
        return _before_migrations_pg(url, db_path, Path(dest_dir), now)
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


def _before_migrations_pg(url: str, db_path: Path, dest: Path, now: datetime | None) -> Path | None:
    import psycopg  # only with a PostgreSQL database

    try:
        con = psycopg.connect(url, autocommit=True, connect_timeout=10)
    except psycopg.Error:
        return None  # core.platform.db says why
    try:
        if not con.execute("SELECT to_regclass('public.schema_version') IS NOT NULL").fetchone()[0]:
            return None  # a new database
        done = {r[0] for r in con.execute("SELECT version FROM schema_version").fetchall()}
    finally:
        con.close()
    pending = [m.version for m in migrate.available() if m.version not in done]
    if not pending or not done:
        return None
    final = dest / f"{db_path.stem}-{(now or datetime.now()).strftime(_STAMP)}-before-v{max(pending):03d}{PG_SUFFIX}"
    part = final.with_name(final.name + ".part")
    try:
        dump = _need("pg_dump", BackupFailed)
        _private_dir(dest)
        conninfo, env = _client(url)
        _run([dump, "--format=custom", f"--file={part}", f"--dbname={conninfo}"], env, BackupFailed, "pg_dump 出错", url)
        read_dump(part, label=final.name)
        part.chmod(0o600)
        os.replace(part, final)
    except (OSError, BackupFailed, RestoreRefused) as exc:
        _discard(part)
        raise BackupFailed(
            f"升级前备份 PostgreSQL 数据库 {db_path.stem} 失败,因此没有应用新的数据库迁移:{exc}。请检查备份目录 {dest} "
            "的空间和权限(或设置 HUBDESK_BACKUP_ON_START=0 跳过此备份)后重新启动。") from exc
    log.warning("HubDesk: %s backed up to %s before applying migrations %s", db_path.stem, final, pending)
    return final


def backup_now(db, actor, settings) -> Path:
    """The admin panel's 立即备份: a backup like the automatic ones, audited."""
    if not actor.has("admin"):
        raise PermissionDenied("只有管理员可以备份数据库")
    if not users.operates(actor, db):
        raise PermissionDenied(users.NOT_OPERATOR)
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
    if is_pg_dump(path):
        return read_dump(path, label=label).sums
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


def _audit_restore(target: Path | str, source: Path, replaced: tuple[int, str] | None, kept: Path | None) -> bool:
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
    try:
        db = pg.PgDatabase(target) if pg.is_url(target) else Database(target)  # as it is: no migrations
    except HubError as exc:
        log.warning("HubDesk: the restore could not be recorded in the audit log of %s: %s", target, exc)
        return False
    try:
        with records.unit(SYSTEM, db) as u:
            u.changes.append(audit.Change("database", source.name, "restore", note=note))
    except (duckdb.Error, HubError) as exc:
        log.warning("HubDesk: the restore could not be recorded in the audit log of %s: %s", target, exc)
        return False
    finally:
        db.close()
    return True


def restore(source: Path | str, target: Path | str, backup_dir: Path | str | None = None) -> Path | None:
    """Replace ``target`` with the backup ``source`` (server stopped). Returns where the old file was kept.

    Every check runs before anything is changed: a refused restore leaves ``target`` as it was. After the
    file is replaced, the restore is recorded in the head file beside it and in the restored audit log
    (see the module doc), so checking the audit log afterwards reports it as a restore.

    ``target`` may be a ``postgresql://`` URL: see :func:`restore_pg` (``backup_dir`` keeps the replaced contents)."""
    if pg.is_url(target):
        return restore_pg(source, str(target), backup_dir)
    source, target = Path(source), Path(target)
    if is_pg_dump(source):
        raise RestoreRefused(f"{source.name} 是 PostgreSQL 数据库的备份(pg_dump),当前数据库是 DuckDB 文件 {target.name}:"
                             "请把 HUBDESK_DB 设为那个 PostgreSQL 数据库(postgresql://…)后再恢复")
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


# ---- PostgreSQL: pg_dump, pg_restore, psql ----------------------------------------------------------------
def pg_tool(name: str) -> Path | None:
    """PostgreSQL's program ``name`` (``pg_dump``, ``pg_restore``, ``psql``): in ``HUBDESK_PG_BIN`` when that is set,
    else the newest ``/usr/lib/postgresql/*/bin`` (Debian's; not on PATH when only the server is installed), else
    PATH. None when missing. (``pg_dump`` must be as new as the server.)"""
    given = os.environ.get("HUBDESK_PG_BIN")
    if given:
        p = Path(given) / name
        return p if p.is_file() else None

    def version(p: Path) -> int:
        v = p.parent.parent.name
        return int(v) if v.isdigit() else 0

    found = sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"), key=version)
    if found:
        return found[-1]
    on_path = shutil.which(name)
    return Path(on_path) if on_path else None


def _need(name: str, error: type[HubError]) -> Path:
    tool = pg_tool(name)
    if tool is None:
        where = os.environ.get("HUBDESK_PG_BIN") or "/usr/lib/postgresql/*/bin 和 PATH"
        raise error(f"找不到 PostgreSQL 的 {name}(查找了 {where}):请安装与数据库服务器同版本或更新的 PostgreSQL 客户端"
                    "(Debian:apt-get install postgresql-client),或用环境变量 HUBDESK_PG_BIN 指定它所在的目录")
    return tool


def _client(url: str) -> tuple[str, dict]:
    """(connection string without the password, environment with ``PGPASSWORD``): the password is never on a
    command line (``ps`` shows those to every user of the machine)."""
    from psycopg.conninfo import conninfo_to_dict, make_conninfo  # only with a PostgreSQL database

    info = conninfo_to_dict(url)
    env = dict(os.environ)
    password = info.pop("password", None)
    if password:
        env["PGPASSWORD"] = str(password)
    return make_conninfo(**info), env


def _run(cmd: list, env: dict, error: type[HubError], what: str, url: str) -> None:
    done = subprocess.run([str(c) for c in cmd], env=env, capture_output=True, text=True, errors="replace")
    if done.returncode != 0:
        text = (done.stderr or done.stdout or "").strip()
        errors = [ln for ln in text.splitlines() if any(w in ln for w in ("ERROR:", "FATAL:", "错误:", "致命错误:"))]
        text = "\n".join(errors) if errors else text  # the error, not the notices before it
        for secret in pg._passwords(url):
            text = text.replace(secret, "***")
        raise error(f"{what}:{text[-1500:]}")


def is_pg_dump(path: Path | str) -> bool:
    """Whether ``path`` is a ``pg_dump`` custom-format file (a PostgreSQL backup)."""
    try:
        with open(path, "rb") as f:
            return f.read(len(PG_MAGIC)) == PG_MAGIC
    except OSError:
        return False


@dataclass(frozen=True)
class DumpInfo:
    sums: dict[str, export.TableSum]  # every table's row count and a checksum of its rows as the dump holds them
    versions: list[int]  # schema_version
    last_audit: tuple[int, str] | None  # the last audit row (id, hash)


_COPY = re.compile(rb'^COPY public\.("?)([A-Za-z_][A-Za-z0-9_]*)\1 \((.*)\) FROM stdin;$')
_MASK = (1 << 128) - 1


def read_dump(path: Path | str, *, label: str | None = None, only: str | None = None) -> DumpInfo:
    """Read a PostgreSQL backup back whole (``pg_restore`` to SQL, streamed): every table's rows counted, the
    schema versions and the last audit row. Refuses (RestoreRefused) a missing, damaged, cut-off, foreign or newer
    backup. ``only``: one table's data alone (the audit anchors), no other check."""
    path = Path(path)
    label = label or str(path)
    if not path.is_file():
        raise RestoreRefused(f"找不到备份文件 {label}")
    if not is_pg_dump(path):
        raise RestoreRefused(f"{label} 不是 PostgreSQL 的备份(pg_dump 自定义格式)")
    tool = _need("pg_restore", RestoreRefused)
    cmd = [str(tool), "--file=-", *(["--data-only", f"--table={only}"] if only else []), str(path)]
    sums: dict[str, export.TableSum] = {}
    versions: list[int] = []
    last: tuple[int, str] | None = None
    table, cols, n, acc = None, [], 0, 0
    with tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=err)
        try:
            for line in proc.stdout:
                if table is None:
                    m = _COPY.match(line.rstrip(b"\n"))
                    if m:
                        table, n, acc = m.group(2).decode(), 0, 0
                        cols = [c.strip().strip('"') for c in m.group(3).decode().split(",")]
                    continue
                if line == b"\\.\n":
                    sums[table] = export.TableSum(n, f"{acc:032x}")
                    table = None
                    continue
                n += 1
                acc = (acc + int.from_bytes(hashlib.md5(line).digest(), "big")) & _MASK
                if table == "schema_version" and "version" in cols:
                    versions.append(int(line.split(b"\t")[cols.index("version")]))
                elif table == "audit_log" and "id" in cols and "hash" in cols:
                    fields = line.rstrip(b"\n").split(b"\t")
                    rid = int(fields[cols.index("id")])
                    if last is None or rid > last[0]:
                        last = (rid, fields[cols.index("hash")].decode())
        except (ValueError, IndexError) as exc:
            proc.kill()
            raise RestoreRefused(f"{label} 中表 {table} 的数据无法读取(备份已损坏?):{exc}") from exc
        finally:
            proc.stdout.close()
            code = proc.wait()
        if code != 0 or table is not None:
            err.seek(0)
            text = err.read().decode("utf-8", "replace").strip()
            raise RestoreRefused(f"{label} 不是完整可读的 PostgreSQL 备份(可能已损坏或不完整):"
                                 f"{text[-800:] or f'表 {table} 的数据在中途结束'}")
    if only:
        return DumpInfo(sums, versions, last)
    missing = REQUIRED_TABLES - set(sums)
    if missing:
        raise RestoreRefused(f"{label} 不是 HubDesk 数据库的备份(缺少表:{'、'.join(sorted(missing))})")
    newest = max(m.version for m in migrate.available())
    if versions and max(versions) > newest:
        raise RestoreRefused(f"{label} 来自更新版本的 HubDesk(数据库版本 {max(versions)},本程序最高 {newest}),"
                             "请先升级程序再恢复")
    return DumpInfo(sums, sorted(versions), last)


def _backup_pg(db, final: Path) -> Path:
    """``backup`` of a PostgreSQL database (module doc): ``pg_dump`` in an exported snapshot, read back whole."""
    import psycopg  # only with a PostgreSQL database

    if getattr(db, "_closed", False):
        raise DatabaseUnavailable("数据库连接已关闭")
    dump = _need("pg_dump", BackupFailed)
    part = final.with_name(final.name + ".part")
    conninfo, env = _client(db.url)
    with _backup_lock:
        for stale in final.parent.glob(f"{db.path.stem}-*{PG_SUFFIX}.part"):  # left by a crash during an earlier one
            stale.unlink(missing_ok=True)
        try:
            con = psycopg.connect(db.url, autocommit=True, connect_timeout=10)
        except psycopg.Error as exc:  # a server that is down now: the automatic backups try again later
            raise BackupFailed(f"备份失败:{pg._unavailable(db.url, exc)}") from exc
        try:
            con.execute("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            snapshot = con.execute("SELECT pg_export_snapshot()").fetchone()[0]
            last = audit.last_row(con)  # the dump's moment: the same snapshot
            counts = {t: con.execute(f"SELECT count(*) FROM public.{export.quote(t)}").fetchone()[0]
                      for t in export.pg_tables(con)}
            _run([dump, "--format=custom", f"--snapshot={snapshot}", f"--file={part}", f"--dbname={conninfo}"],
                 env, BackupFailed, f"备份失败(pg_dump 出错;磁盘空间不足或备份目录 {final.parent} 不可写?)", db.url)
        except psycopg.Error as exc:
            _discard(part)
            raise BackupFailed(f"备份失败:读取{db.label()}时出错:{exc}") from exc
        except BaseException:
            _discard(part)
            raise
        finally:
            con.close()
        try:
            got = read_dump(part, label=final.name)
            differ = sorted(t for t in counts if t not in got.sums or got.sums[t].rows != counts[t])
            if differ:
                raise RestoreRefused(f"表 {'、'.join(differ)} 的行数与备份时刻的数据库不符")
            part.chmod(0o600)
            os.replace(part, final)
        except RestoreRefused as exc:
            _discard(part)
            raise BackupFailed(f"备份文件校验未通过,已删除:{exc}") from exc
        except BaseException:
            _discard(part)
            raise
        with db.write_lock:  # in order with the head lines of the writes
            audit.note_backup(db.path, last, final.name)
    return final


# every object of the database as it is, dropped inside the restore's transaction (no schema is dropped but
# duckdb_compat, HubDesk's own: the account needs to own its objects, not the database or its public schema)
_CLEAR_SQL = """
SET client_min_messages = warning;
SET lock_timeout = '60s';
DROP SCHEMA IF EXISTS duckdb_compat CASCADE;
DO $$
DECLARE r record;
BEGIN
  FOR r IN SELECT c.relname, c.relkind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
           WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f') ORDER BY c.relkind = 'S'
  LOOP
    EXECUTE format('DROP %s IF EXISTS public.%I CASCADE',
                   CASE r.relkind WHEN 'v' THEN 'VIEW' WHEN 'm' THEN 'MATERIALIZED VIEW' WHEN 'S' THEN 'SEQUENCE'
                                  WHEN 'f' THEN 'FOREIGN TABLE' ELSE 'TABLE' END, r.relname);
  END LOOP;
  FOR r IN SELECT p.oid::regprocedure AS sig FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
           WHERE n.nspname = 'public' AND p.prokind IN ('f', 'p')
  LOOP
    EXECUTE format('DROP ROUTINE IF EXISTS %s CASCADE', r.sig);
  END LOOP;
END $$;
"""


def _counts_check(sums: dict[str, export.TableSum]) -> str:
    """A statement that fails (so the restore's transaction rolls back) unless every table holds the dump's rows."""
    lines = ["DO $$", "DECLARE n bigint;", "BEGIN"]
    for t, s in sorted(sums.items()):
        lines.append(f"  SELECT count(*) INTO n FROM public.{export.quote(t)};")
        lines.append(f"  IF n <> {int(s.rows)} THEN RAISE EXCEPTION '恢复后表 {t} 有 % 行,备份中是 {int(s.rows)} 行', n; END IF;")
    lines.append("END $$;")
    return "\n".join(lines) + "\n"


def restore_pg(source: Path | str, url: str, backup_dir: Path | str | None = None) -> Path | None:
    """Replace the contents of the PostgreSQL database ``url`` with the backup ``source`` (every HubDesk server
    stopped). Returns where the replaced contents were kept (a ``.pgdump`` in ``backup_dir``), or None when the
    database held no HubDesk schema. Every check runs first; the replacement is one transaction that also checks
    every table's rows, so a refused or failed restore leaves the database as it was."""
    import psycopg  # only with a PostgreSQL database

    source = Path(source)
    d = pg.describe(url)
    name = f"PostgreSQL 数据库 {d['dbname']}(服务器 {d['host']}:{d['port']})"
    if source.is_file() and not is_pg_dump(source):
        raise RestoreRefused(f"{source.name} 不是 PostgreSQL 的备份(pg_dump 自定义格式),当前数据库是{name}。"
                             "DuckDB 文件的备份请先恢复成文件,再用 python3 -m core.manage move-to-postgres 迁入 PostgreSQL")
    info = read_dump(source, label=source.name)
    tools = {t: _need(t, RestoreRefused) for t in ("pg_dump", "pg_restore", "psql")}
    conninfo, env = _client(url)
    try:
        con = psycopg.connect(url, autocommit=True, connect_timeout=10)
    except psycopg.Error as exc:
        raise RestoreRefused(str(pg._unavailable(url, exc))) from exc
    folder = _private_dir(Path(backup_dir) if backup_dir else pg.local_name(url).parent / "backups")
    work = Path(tempfile.mkdtemp(prefix=".restoring-", dir=folder))
    kept = None
    try:
        waited = time.monotonic() + IN_USE_GRACE
        while True:
            n, who = con.execute(
                "SELECT count(*), string_agg(DISTINCT coalesce(nullif(application_name, ''), '?') || '@'"
                " || coalesce(host(client_addr), 'local'), '、') FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid() AND backend_type = 'client backend'"
            ).fetchone()
            if not n or time.monotonic() > waited:
                break
            time.sleep(0.1)
        if n:
            raise RestoreRefused(f"{name} 正在被其他 {n} 个连接使用({who}):请先停止所有 HubDesk 服务(每台服务器上的"
                                 " streamlit)和其他连接,再恢复;未做任何更改")
        if not con.execute("SELECT pg_try_advisory_lock(%s)", [pg.LOCK_KEY]).fetchone()[0]:
            raise RestoreRefused(f"{name} 正被另一个 HubDesk 进程写入,请先停止它再恢复;未做任何更改")
        replaced = None
        if con.execute("SELECT to_regclass('public.audit_log') IS NOT NULL").fetchone()[0]:
            replaced = audit.last_row(con)
        if con.execute("SELECT to_regclass('public.schema_version') IS NOT NULL").fetchone()[0]:
            kept = folder / f"{d['dbname']}.replaced-{datetime.now():%Y%m%d-%H%M%S}{PG_SUFFIX}"
            _run([tools["pg_dump"], "--format=custom", f"--file={kept}", f"--dbname={conninfo}"], env, RestoreRefused,
                 f"无法先把当前数据库保存为 {kept}(磁盘空间不足?),未做任何更改", url)
            kept.chmod(0o600)
        script = work / "restore.sql"
        _run([tools["pg_restore"], "--no-owner", "--no-privileges", f"--file={script}", source], env, RestoreRefused,
             f"无法读取备份 {source.name},未做任何更改", url)
        (work / "clear.sql").write_text(_CLEAR_SQL, encoding="utf-8")
        (work / "check.sql").write_text(_counts_check(info.sums), encoding="utf-8")
        _run([tools["psql"], "-X", "-q", "-v", "ON_ERROR_STOP=1", "--single-transaction", "-f", work / "clear.sql",
              "-f", script, "-f", work / "check.sql", f"--dbname={conninfo}"], env, RestoreRefused,
             f"恢复失败,{name} 未做任何更改(恢复在一个事务中进行,已整体回滚)", url)
        try:  # a dump restores no planner statistics (bench/RESULTS-pg-100x.md: the dashboards 10.2x -> 8.0x DuckDB's)
            con.execute("ANALYZE")
        except psycopg.Error as exc:  # restored all the same: autovacuum gathers them later
            log.warning("HubDesk: ANALYZE after the restore of %s failed: %s", name, exc)
    except BaseException:
        if kept is not None:
            kept.unlink(missing_ok=True)
        raise
    finally:
        con.close()  # ends the advisory lock too
        shutil.rmtree(work, ignore_errors=True)
    try:
        audit.note_restore(pg.local_name(url), info.last_audit, source.name, replaced, kept.name if kept else None)
    except OSError as exc:  # the database is restored; check-audit will then report the old head as cut off
        log.error("HubDesk: the restore could not be noted in the audit head file of %s: %s", name, exc)
    _audit_restore(url, source, replaced, kept)
    return kept


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
        if b.path.suffix == PG_SUFFIX:
            try:
                last = read_dump(b.path, only="audit_log").last_audit
            except (RestoreRefused, OSError):
                continue
            if last:
                out.append(audit.Anchor(last[0], last[1], f"备份 {b.name} ", b.taken_at))
            continue
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
