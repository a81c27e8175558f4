"""The one DuckDB connection of this process: cursors for reads, one locked path for writes.

Shaped after Datasette's ``database.py``: reads are cheap and concurrent (a cursor each), every write
goes through :meth:`Database.transaction`, which holds the process-wide write lock, runs
``BEGIN``/``COMMIT`` (``ROLLBACK`` on any error) and, after a commit, bumps the version of every table
the transaction touched so cached reads can tell they are stale.

Faults end in a message a person can act on, never in a traceback (``tests/test_faults.py``):

* the file held by another process (a second server on the same file) -> :class:`DatabaseUnavailable`
  naming the file, the process (PID) and what to do;
* a read-only file or folder at start -> opened read-only: reads work, every write is refused;
* a full disk or a read-only folder at a write (DuckDB reports ``Failed to commit: Could not write
  file …`` or ``Cannot open file ….wal: Permission denied``, or a fatal error from a checkpoint, after
  which its database instance accepts nothing more) -> :class:`WriteFailed` with the reason in Chinese;
  the transaction is rolled back, and after a fatal error the file is opened again, so reads go on;
* files written beside the database (uploads, backups) -> :func:`write_file` / :func:`disk_write`:
  written to a temporary name and renamed, so a failed write leaves no partial file.
"""
from __future__ import annotations

import errno
import logging
import os
import re
import threading
from collections import defaultdict
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable, Iterator

import duckdb
import pandas as pd

from core.platform import config, migrate, pg
from core.platform.errors import DatabaseUnavailable, WriteFailed

log = logging.getLogger("hubdesk")


class Transaction:
    """A cursor inside an open transaction that remembers which tables it wrote."""

    def __init__(self, cursor: duckdb.DuckDBPyConnection, path: Path | None = None):
        self.cursor = cursor
        self.touched: set[str] = set()
        self.path = path  # the database file (for files kept beside it: the audit head file)
        self.after_commit: list[Callable[[], None]] = []  # run after COMMIT, still under the write lock

    def execute(self, sql: str, params: Any = None) -> duckdb.DuckDBPyConnection:
        return self.cursor.execute(sql, params) if params is not None else self.cursor.execute(sql)

    def executemany(self, sql: str, rows: list) -> None:
        if rows:
            self.cursor.executemany(sql, rows)

    def fetch_one(self, sql: str, params: Any = None) -> dict | None:
        rows = _dicts(self.execute(sql, params))
        return rows[0] if rows else None

    def fetch_all(self, sql: str, params: Any = None) -> list[dict]:
        return _dicts(self.execute(sql, params))

    def touch(self, *tables: str) -> None:
        self.touched.update(tables)


def _dicts(cur: duckdb.DuckDBPyConnection) -> list[dict]:
    cols = [d[0] for d in cur.description or []]
    return [dict(zip(cols, row)) for row in cur.fetchall()]


# ---- faults: which ones, and what to tell the user ------------------------------------------------------
_LOCK_HOLDER = re.compile(r"Conflicting lock is held in (?P<program>.+?) \(PID (?P<pid>\d+)\)")
_DISK_FULL_WORDS = ("no space left", "disk quota", "file too large", "disk full")
_READ_ONLY_WORDS = ("permission denied", "read-only file system", "read-only mode", "operation not permitted")
_FILE_WRITE_WORDS = ("could not write file", "cannot open file", "could not open file", "could not create",
                     "could not truncate", "could not fsync", "failed to create checkpoint", "could not sync")
_WRITE_ONLY_WORDS = ("could not write file", "failed to create checkpoint", "could not truncate", "could not fsync")
_INVALIDATED_WORDS = ("database has been invalidated", "must be restarted")
_DISK_FULL_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG}
_READ_ONLY_ERRNOS = {errno.EROFS, errno.EACCES, errno.EPERM}

WHAT_DATABASE = "数据库文件"


def _reason_of(exc: BaseException) -> str | None:
    """``disk_full`` | ``read_only`` | ``io`` when ``exc`` is a failed write to disk, else None."""
    if isinstance(exc, OSError):
        if exc.errno in _DISK_FULL_ERRNOS:
            return "disk_full"
        if exc.errno in _READ_ONLY_ERRNOS:
            return "read_only"
        return "io"
    if not isinstance(exc, duckdb.Error):
        return None
    text = str(exc).lower()
    file_fault = (isinstance(exc, (duckdb.IOException, duckdb.FatalException))
                  or any(w in text for w in _FILE_WRITE_WORDS) or "read-only mode" in text)
    if not file_fault:
        return None  # e.g. a constraint or a write-write conflict: not a disk problem
    if any(w in text for w in _DISK_FULL_WORDS):
        return "disk_full"
    if any(w in text for w in _READ_ONLY_WORDS):
        return "read_only"
    return "io"


def write_failure(exc: BaseException, what: str, folder: Path | str) -> WriteFailed | None:
    """The :class:`WriteFailed` (Chinese message) for a failed write of ``what`` into ``folder``, or None
    when ``exc`` is not a disk fault."""
    reason = _reason_of(exc)
    if reason is None:
        return None
    if reason == "disk_full":
        message = (f"保存失败:磁盘空间不足,无法写入{what}(数据目录 {folder})。本次修改未保存,已保存的数据不受影响,"
                   "可以继续查看。请清理磁盘空间或联系系统管理员后再试。")
    elif reason == "read_only":
        message = (f"保存失败:数据目录 {folder} 是只读的(或没有写入权限),无法写入{what}。本次修改未保存,"
                   "可以继续查看数据。请联系系统管理员检查该目录的权限和挂载方式。")
    else:
        message = (f"保存失败:写入{what}时出错(磁盘已满、数据目录只读或磁盘故障),本次修改未保存。"
                   f"原始信息:{exc}")
    return WriteFailed(message, reason)


@contextmanager
def disk_write(what: str, folder: Path | str) -> Iterator[None]:
    """Turn a failed file write inside the block (``OSError``: no space, read-only, ...) into :class:`WriteFailed`."""
    try:
        yield
    except OSError as exc:
        raise write_failure(exc, what, folder) from exc


def _remove_quietly(path: Path) -> None:
    try:
        path.unlink(missing_ok=True)
    except OSError:
        pass


def write_file(path: Path | str, data: bytes, what: str = "文件") -> Path:
    """Write ``data`` to ``path`` all or nothing: to a temporary name in the same folder, flushed to disk,
    then renamed. A full disk or a read-only folder raises :class:`WriteFailed` and leaves no partial file."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{os.getpid()}-{threading.get_ident()}.part")
    with disk_write(what, path.parent):
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            with open(tmp, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, path)
        except BaseException:
            _remove_quietly(tmp)
            raise
    return path


# ---- opening --------------------------------------------------------------------------------------------
def _lock_message(path: Path, text: str) -> str:
    m = _LOCK_HOLDER.search(text)
    who = f"另一个进程(PID {m['pid']},程序 {m['program']})" if m else "另一个进程"
    stop = f"先停止 PID 为 {m['pid']} 的进程(通常是另一个 HubDesk 服务)" if m else "先停止另一个 HubDesk 服务"
    return (f"无法打开数据库文件 {path}:该文件正被{who}占用。DuckDB 同一时间只允许一个进程打开同一个数据库文件,"
            f"因此不能在同一个数据库文件上启动第二个 HubDesk 服务。请{stop}后再启动本服务,"
            "或用环境变量 HUBDESK_DB 指向另一个数据库文件。")


def _friendly_open_error(path: Path, exc: BaseException) -> DatabaseUnavailable:
    text = str(exc)
    if "lock" in text.lower():
        return DatabaseUnavailable(_lock_message(path, text))
    if _reason_of(exc) == "read_only":
        return DatabaseUnavailable(f"无法打开数据库文件 {path}:没有读写权限(文件或数据目录只读),"
                                   f"且无法以只读方式打开。请检查数据目录 {path.parent} 的权限。原始信息:{text}")
    if _reason_of(exc) == "disk_full":
        return DatabaseUnavailable(f"无法打开数据库文件 {path}:磁盘空间不足。请清理磁盘空间后再启动。原始信息:{text}")
    return DatabaseUnavailable(f"无法打开数据库文件 {path}:{text}")


def _may_open_read_only(path: Path, exc: BaseException) -> bool:
    """A file that exists but cannot be opened for writing (read-only file, folder or mount)."""
    return path.is_file() and "lock" not in str(exc).lower() and _reason_of(exc) == "read_only"



def _close(cur) -> None:
    """A cursor closed whatever happened to it (a closing error after a failure must not hide the failure)."""
    try:
        cur.close()
    except duckdb.Error:
        pass

class Database:
    """One DuckDB file. ``read_only`` is True when the file or its folder could not be opened for writing:
    reads work, every write raises :class:`WriteFailed`."""

    def __init__(self, path: Path | str):
        self.path = Path(path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise _friendly_open_error(self.path, exc) from exc
        self.read_only = False
        self._con = self._connect()
        self._write_lock = threading.RLock()
        self._versions: dict[str, int] = defaultdict(int)
        self._listeners: list[Callable[[set[str]], None]] = []
        self._closed = False

    def _connect(self) -> duckdb.DuckDBPyConnection:
        try:
            return duckdb.connect(str(self.path))
        except duckdb.Error as exc:  # held by another process, read-only, corrupt, ...
            if not _may_open_read_only(self.path, exc):
                raise _friendly_open_error(self.path, exc) from exc
            try:
                con = duckdb.connect(str(self.path), read_only=True)
            except duckdb.Error as exc2:
                raise _friendly_open_error(self.path, exc2) from exc
            self.read_only = True
            log.warning("HubDesk: %s cannot be opened for writing (%s); opened read-only", self.path, exc)
            return con

    def _reopen(self) -> None:
        """After a fatal error DuckDB's instance refuses everything until it is opened again."""
        with self._write_lock:
            try:
                self._con.close()
            except duckdb.Error:
                pass
            self._con = self._connect()
            log.warning("HubDesk: %s opened again after a fatal error", self.path)

    def _fault(self, exc: BaseException, *, writing: bool = True) -> WriteFailed | None:
        """The WriteFailed for a disk fault (opening the file again if DuckDB invalidated it), else None.

        Inside a read (``writing=False``) only a failed write counts (a CHECKPOINT, a fatal error), not
        e.g. a missing file that a query reads."""
        text = str(exc).lower()
        fatal = isinstance(exc, duckdb.FatalException) or any(w in text for w in _INVALIDATED_WORDS)
        failure = None
        if writing or fatal or any(w in text for w in _WRITE_ONLY_WORDS):
            failure = write_failure(exc, WHAT_DATABASE, self.path.parent)
        if fatal:
            try:
                self._reopen()
            except DatabaseUnavailable as again:
                log.error("HubDesk: %s could not be opened again: %s", self.path, again)
            if failure is None:
                failure = WriteFailed(f"保存失败:数据库出错,已重新打开,本次修改未保存。原始信息:{exc}")
        return failure

    def _read_only_refusal(self) -> WriteFailed:
        return WriteFailed(f"保存失败:数据库文件 {self.path} 是以只读方式打开的(文件或数据目录 {self.path.parent} "
                           "只读,或没有写入权限),不能修改数据;可以继续查看。请联系系统管理员检查权限后重新启动服务。",
                           "read_only")

    # ---- reads -------------------------------------------------------------------------------
    @contextmanager
    def read(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A cursor of its own. A disk fault inside the block (e.g. a CHECKPOINT on a full disk) raises
        :class:`WriteFailed`; after a fatal error the file is opened again, so the next read works."""
        self._check_open()
        cur = self._con.cursor()
        try:
            yield cur
        except duckdb.Error as exc:
            failure = self._fault(exc, writing=False)
            if failure is not None:
                raise failure from exc
            raise
        finally:
            _close(cur)

    def fetch_df(self, sql: str, params: Any = None) -> pd.DataFrame:
        with self.read() as cur:
            return (cur.execute(sql, params) if params is not None else cur.execute(sql)).df()

    def fetch_all(self, sql: str, params: Any = None) -> list[dict]:
        with self.read() as cur:
            return _dicts(cur.execute(sql, params) if params is not None else cur.execute(sql))

    def fetch_one(self, sql: str, params: Any = None) -> dict | None:
        rows = self.fetch_all(sql, params)
        return rows[0] if rows else None

    def scalar(self, sql: str, params: Any = None) -> Any:
        with self.read() as cur:
            row = (cur.execute(sql, params) if params is not None else cur.execute(sql)).fetchone()
        return row[0] if row else None

    # ---- the one write path ------------------------------------------------------------------
    @contextmanager
    def transaction(self) -> Iterator[Transaction]:
        """Run a block as one transaction under the process-wide write lock.

        All or nothing: any error rolls back; a full disk or read-only folder (at a statement, at the
        audit append or at COMMIT) raises :class:`WriteFailed` with nothing stored."""
        self._check_open()
        if self.read_only:
            raise self._read_only_refusal()
        with self._write_lock:
            cur = self._con.cursor()
            tx = Transaction(cur, self.path)
            try:
                cur.execute("BEGIN TRANSACTION")
                yield tx
                self._commit(cur)
            except BaseException as exc:
                try:
                    cur.execute("ROLLBACK")
                except duckdb.Error:
                    pass  # DuckDB has already rolled back a failed COMMIT
                failure = self._fault(exc) if isinstance(exc, duckdb.Error) else None
                if failure is not None:
                    log.error("HubDesk: write to %s failed: %s", self.path, exc)
                    raise failure from exc
                raise
            finally:
                _close(cur)
            self._committed(tx.touched)
            for hook in tx.after_commit:  # e.g. core.platform.audit's head-file line: only once the commit is done
                hook()

    @staticmethod
    def _commit(cur: duckdb.DuckDBPyConnection) -> None:
        cur.execute("COMMIT")  # where DuckDB writes the WAL (and may checkpoint): the usual point of a disk fault

    def _committed(self, tables: set[str]) -> None:
        for t in tables:
            self._versions[t] += 1
        for listener in list(self._listeners):
            listener(set(tables))

    def version(self, *tables: str) -> tuple[int, ...]:
        """Versions of the given tables; they change after every commit that wrote them."""
        return tuple(self._versions[t] for t in tables)

    def on_commit(self, listener: Callable[[set[str]], None]) -> None:
        if listener not in self._listeners:
            self._listeners.append(listener)

    @property
    def write_lock(self) -> threading.RLock:
        return self._write_lock

    # ---- lifecycle ---------------------------------------------------------------------------
    def _check_open(self) -> None:
        if self._closed:
            raise DatabaseUnavailable("数据库连接已关闭")

    def close(self) -> None:
        """Idempotent."""
        if not self._closed:
            self._closed = True
            self._con.close()


_instances: dict[Path, Database] = {}
_instances_lock = threading.Lock()
# the default database by the HUBDESK_DB value it was opened for: get_db() is called per choice label and per
# validated value (thousands of times in one screen run at a city's scale); resolving the configured path
# each time cost 90 µs a call
_default: tuple[str | None, Database] | None = None


def _check_schema_current(db: Database) -> None:
    """A read-only database cannot be migrated: refuse it when this version of HubDesk needs migrations."""
    try:
        done = {r["version"] for r in db.fetch_all("SELECT version FROM schema_version")}
    except duckdb.Error:
        done = set()
    pending = [m.version for m in migrate.available() if m.version not in done]
    if pending:
        raise DatabaseUnavailable(
            f"数据库文件 {db.path} 只能以只读方式打开(文件或数据目录只读),但需要先升级(待应用的迁移:"
            f"{'、'.join(str(v) for v in pending)}),只读时无法升级。请恢复数据目录 {db.path.parent} 的写入权限后再启动。")


def get_db(path: Path | str | None = None) -> Database:
    """The process-wide Database for ``path`` (default: the configured one), migrated on first use.

    Raises :class:`DatabaseUnavailable` (a Chinese message naming the file, and the process holding it)
    when it cannot be opened; nothing is cached then, so the next call tries again."""
    global _default
    if path is None:
        hit, env = _default, os.environ.get("HUBDESK_DB")
        if hit is not None and hit[0] == env and not hit[1]._closed:
            return hit[1]
        db = get_db(env.strip() if pg.is_url(env) else config.load().db_path)
        if os.environ.get("HUBDESK_DB") == env:  # not changed meanwhile (a test or a build may set it)
            _default = (env, db)
        return db
    if pg.is_url(path):  # PostgreSQL (core/platform/pg.py): the same API, the same migrations
        return _get_pg(str(path).strip())
    if str(path).endswith(pg.NAME_SUFFIX):  # config's db_path when HUBDESK_DB is a PostgreSQL URL
        url = os.environ.get("HUBDESK_DB") or ""
        if pg.is_url(url) and Path(path) == pg.local_name(url.strip()):
            return _get_pg(url.strip())
    p = Path(path)
    p = p.resolve()
    with _instances_lock:
        db = _instances.get(p)
        if db is None or db._closed:
            db = Database(p)
            try:
                if db.read_only:
                    _check_schema_current(db)
                else:
                    migrate.apply(db)
            except BaseException:
                db.close()
                raise
            _instances[p] = db
        return db


def _get_pg(url: str) -> "pg.PgDatabase":
    with _instances_lock:
        db = _pg_instances.get(url)
        if db is None or db._closed:
            db = pg.PgDatabase(url)
            try:
                migrate.apply(db)
            except BaseException:
                db.close()
                raise
            _pg_instances[url] = db
        return db


_pg_instances: dict[str, "pg.PgDatabase"] = {}


def close_all() -> None:
    global _default
    _default = None
    with _instances_lock:
        for db in [*_instances.values(), *_pg_instances.values()]:
            db.close()
        _instances.clear()
        _pg_instances.clear()
