"""DuckDB as the dashboards' analytical engine over a snapshot of the shared PostgreSQL store
(``HUBDESK_DB=postgresql://…`` with ``HUBDESK_ANALYTICS=snapshot``; the default ``live`` reads PostgreSQL as before).

Why: at 100x the dashboard queries take 8.0x DuckDB's time on PostgreSQL (10.2x before ``ANALYZE``), 服务成效 alone
1.2–1.3 s, so "< 1 s after a write" is missed on PostgreSQL alone (``bench/RESULTS-pg-100x.md``). A row store is the
right home for the write path and the record screens; the aggregates want a column store.

* **One DuckDB file per server process** (:class:`Snapshot`): ``<HUBDESK_DATA_DIR>/analytics-<pid>-<id>.duckdb``,
  created by the DuckDB migrations (the embedded default's schema, :mod:`core.platform.migrate`), deleted when the
  process stops (:func:`stop_all`, at exit); the files of processes that are gone are deleted at the next start.
* **A refresh** (:meth:`Snapshot.refresh`) reads PostgreSQL in one ``REPEATABLE READ`` transaction (every table of the
  same moment), first ``table_versions`` (migration 026: each write transaction bumps the rows of the tables it wrote,
  in the same transaction), and copies only the tables whose version moved since the last refresh (all of them the
  first time): per table PostgreSQL's ``COPY (SELECT …) TO STDOUT`` in CSV (written by PostgreSQL's C code, read by
  DuckDB's CSV reader: no Python per value) into a temporary file, then the table replaced by one ``CREATE OR REPLACE
  TABLE … AS SELECT`` from it (the migrations' columns and types, without keys: 8x faster than emptying and filling a
  keyed table), all tables in one DuckDB transaction: a reader sees the old snapshot or the new one, never a mix. The commit bumps the
  snapshot Database's own versions of the copied tables, so the dashboard cache (:mod:`core.platform.cache`) computes
  again exactly the figures that read them. The refresh's time (:attr:`Snapshot.as_of`) is taken just before the
  PostgreSQL snapshot is read: every write committed before it is in the figures.
* **Not copied**: the sign-in, session, audit and version tables (no dashboard reads them), and ``users``'
  password hashes (:data:`core.platform.export.SECRET_COLUMNS`, left empty).
* **A schedule**: one daemon thread per process (:func:`start`, from ``core.app.bootstrap`` beside the backup
  thread) refreshes every ``HUBDESK_SNAPSHOT_SECONDS`` (default 60); an admin's 「立即更新」 (:func:`refresh_now`)
  refreshes at once. A failed refresh is logged and keeps the last snapshot (the caption says so).
* **Routing**: :func:`analytics_db` gives the dashboards' queries (``core.dashboards.dashboard.run``/``drill``/
  ``comparison`` and the resource dashboard's) the snapshot's Database; record screens and the write path read
  PostgreSQL live. Until the first refresh of the process has finished the dashboards read PostgreSQL live (correct
  figures, only slower; the caption says so) rather than wait: at 100x the first copy takes minutes, and a screen
  that waits that long looks broken.
* **On screen**: :func:`freshness` and :func:`caption` (「数据截至 12:03:05(约 1 分钟前,每 60 秒更新;刚保存的修改将
  在下次更新后计入)」); nothing in live mode.
"""
from __future__ import annotations

import atexit
import datetime as dt
import logging
import os
import re
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from core.platform import config, export, migrate
from core.platform.db import Database, get_db
from core.platform.errors import DatabaseUnavailable, HubError, PermissionDenied

log = logging.getLogger("hubdesk")

MODES = ("live", "snapshot")
# read by no dashboard, and kept out of a second file: sign-ins, sessions, the audit chain, the versions themselves
NOT_COPIED = frozenset({"schema_version", "table_versions", "audit_log", "user_sessions", "login_attempts",
                        "security_events"})
_FILE = re.compile(r"^analytics-(\d+)-[0-9a-f]+\.duckdb(\.wal)?$")


@dataclass(frozen=True)
class Refresh:
    """What one refresh did: the tables copied (their rows), how long it took, the moment its figures are of."""

    as_of: dt.datetime
    copied: dict[str, int]
    seconds: float

    @property
    def rows(self) -> int:
        return sum(self.copied.values())


@dataclass(frozen=True)
class Freshness:
    """How fresh the dashboards' figures are: ``as_of`` None while the first snapshot is being made."""

    as_of: dt.datetime | None
    every: float
    error: str | None = None


def _is_postgres(db) -> bool:
    return getattr(db, "dialect", "duckdb") == "postgres"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # another user's process: alive
        return True
    return True


def remove_stale(folder: Path) -> list[Path]:
    """Delete the snapshot files of processes that are gone (a server killed without cleaning up; in a container a
    restarted server may have the same process id: then every file of that id but the ones open here)."""
    gone = []
    here = {snap.path.name for snap in list(_snapshots.values())}
    for p in Path(folder).glob("analytics-*.duckdb*"):
        m = _FILE.match(p.name)
        if m and (not _alive(int(m.group(1))) or (int(m.group(1)) == os.getpid()
                                                    and p.name.removesuffix(".wal") not in here)):
            p.unlink(missing_ok=True)
            gone.append(p)
    return gone


class Snapshot:
    """The process's DuckDB copy of the PostgreSQL Database ``source`` (see the module's docstring)."""

    def __init__(self, source, folder: Path | str, every: float = 60.0):
        if not _is_postgres(source):
            raise ValueError("a snapshot is made of a PostgreSQL database")
        self.source = source
        self.every = max(1.0, float(every))
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        remove_stale(folder)
        self.path = folder / f"analytics-{os.getpid()}-{uuid.uuid4().hex[:8]}.duckdb"
        self.db = Database(self.path)
        migrate.apply(self.db)  # the embedded default's schema: the same tables the dashboards' SQL reads
        with self.db.read() as cur:
            names = export.tables(cur)
        self._types = {t: self._column_types(t) for t in names if t not in NOT_COPIED}
        self._seen: dict[str, int] | None = None  # table_versions at the last refresh (None: none yet)
        self.as_of: dt.datetime | None = None
        self.last: Refresh | None = None
        self.error: str | None = None
        self.refreshes = 0
        self._lock = threading.Lock()  # one refresh at a time (the thread, an admin's button)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def _column_types(self, table: str) -> dict[str, str]:
        with self.db.read() as cur:
            return dict(cur.execute("SELECT column_name, data_type FROM information_schema.columns"
                                    " WHERE table_schema = 'main' AND table_name = ? ORDER BY ordinal_position",
                                    [table]).fetchall())

    @property
    def ready(self) -> bool:
        return self.as_of is not None

    # ---- one refresh ---------------------------------------------------------------------------------------
    def refresh(self) -> Refresh:
        """Copy the tables that moved since the last refresh (all of them the first time), atomically."""
        with self._lock:
            started = time.perf_counter()
            with export._pg_snapshot(self.source) as cur:  # REPEATABLE READ, READ ONLY: one moment for every table
                as_of = dt.datetime.now().replace(microsecond=0)
                versions = {str(t): int(v) for t, v in
                            cur.execute("SELECT table_name, version FROM table_versions").fetchall()}
                there = set(export.pg_tables(cur))
                moved = [t for t in self._types if t in there and
                         (self._seen is None or versions.get(t, 0) != self._seen.get(t, 0))]
                copied: dict[str, int] = {}
                if moved:
                    with self.db.transaction() as tx, tempfile.TemporaryDirectory(
                            prefix=".analytics-", dir=self.path.parent) as work:
                        for t in moved:
                            copied[t] = self._copy(cur, tx, t, Path(work) / f"{t}.csv")
                            tx.touch(t)  # after the commit: the cached figures that read t are computed again
            if copied:
                self._checkpoint()
            self._seen = versions
            self.as_of = as_of
            self.error = None
            self.refreshes += 1
            self.last = Refresh(as_of, copied, time.perf_counter() - started)
            return self.last

    def _checkpoint(self) -> None:
        """The copied tables written into the file, compressed, and the old rows' space given back (else the replaced
        rows stay beside the new ones until DuckDB's own checkpoint, at 16 MB of log)."""
        try:
            with self.db.read() as cur:
                cur.execute("CHECKPOINT")
        except Exception as exc:  # noqa: BLE001 - a reader's open transaction: the next refresh checkpoints
            log.info("HubDesk: analytics snapshot not checkpointed now: %s", exc)

    def _copy(self, cur, tx, table: str, file: Path) -> int:
        """``table`` from PostgreSQL (inside the snapshot's transaction ``cur``) into the open DuckDB transaction
        ``tx``: PostgreSQL writes CSV, DuckDB reads it with the snapshot's own column types; returns the rows."""
        types = self._types[table]
        q = export.quote
        there = set(export.pg_columns(cur, table))
        sent = []
        for c, kind in types.items():
            if c not in there:  # PostgreSQL not yet migrated by this version (every server migrates it at its start)
                sent.append(f"NULL AS {q(c)}")
            elif (table, c) in export.SECRET_COLUMNS:
                sent.append(f"'' AS {q(c)}")
            elif kind.endswith("[]"):  # a list: as JSON text, read back with DuckDB's from_json
                sent.append(f"array_to_json({q(c)})::text AS {q(c)}")
            else:
                sent.append(q(c))
        with cur.conn.cursor() as raw, open(file, "wb") as out:
            with raw.copy(f"COPY (SELECT {', '.join(sent)} FROM {q(table)}) TO STDOUT WITH (FORMAT csv)") as copy:
                for chunk in copy:
                    out.write(chunk)
        read_as = ", ".join(f"'{c}': '{'VARCHAR' if k.endswith('[]') else k}'" for c, k in types.items())
        got = ", ".join(f"CAST(from_json({q(c)}, '[\"{k[:-2]}\"]') AS {k}) AS {q(c)}" if k.endswith("[]") else q(c)
                        for c, k in types.items())
        # replaced, not emptied and filled: the same columns and types, without the keys and indexes a read-only copy
        # does not need (500,000 rows of activities: 1.6-2 s; DELETE + INSERT into the keyed table 14-16 s)
        tx.execute(f"CREATE OR REPLACE TABLE {q(table)} AS SELECT {got} FROM read_csv(?, columns={{{read_as}}},"
                   " header=false, auto_detect=false, delim=',', quote='\"', escape='\"', nullstr='',"
                   " allow_quoted_nulls=false)", [str(file)])
        file.unlink()  # read: one table's text on disk at a time
        return int(tx.execute(f"SELECT count(*) FROM {q(table)}").fetchone()[0])

    # ---- the schedule ----------------------------------------------------------------------------------------
    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.refresh()
            except DatabaseUnavailable as exc:
                if "已关闭" in str(exc):  # the database was closed: the process is stopping
                    return
                self._failed(exc)
            except Exception as exc:  # noqa: BLE001 - keep the server and the last snapshot; try again next time
                self._failed(exc)
            if self._stop.wait(self.every):
                return

    def _failed(self, exc: BaseException) -> None:
        self.error = str(exc)
        log.error("HubDesk: the analytics snapshot could not be refreshed (the last one stays): %s", exc)

    def start(self) -> "Snapshot":
        self._thread = threading.Thread(target=self._run, name="hubdesk-analytics", daemon=True)
        self._thread.start()
        return self

    def wait_ready(self, timeout: float) -> bool:
        end = time.monotonic() + timeout
        while not self.ready and time.monotonic() < end and self.error is None:
            time.sleep(0.05)
        return self.ready

    def stop(self, timeout: float = 30.0) -> None:
        """Stop the thread, close the DuckDB file and delete it (idempotent). A refresh still running after
        ``timeout`` is left to finish (the file is then deleted at the next start, :func:`remove_stale`)."""
        self._stop.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout)
        if not self._lock.acquire(timeout=max(timeout, 0.1)):
            log.warning("HubDesk: analytics snapshot %s still refreshing; left for the next start", self.path)
            return
        try:
            self.db.close()
            for p in (self.path, self.path.with_name(self.path.name + ".wal")):
                p.unlink(missing_ok=True)
        finally:
            self._lock.release()


# ---- the process's snapshots ----------------------------------------------------------------------------------
_snapshots: dict[str, Snapshot] = {}  # by the PostgreSQL URL
_lock = threading.Lock()


def start(db, settings: config.Settings | None = None, *, thread: bool = True) -> Snapshot | None:
    """The process's snapshot of ``db`` (made once; later calls return it), with its refresh thread unless ``thread``
    is False (tests drive :meth:`Snapshot.refresh`). None unless ``HUBDESK_ANALYTICS=snapshot`` and ``db`` is
    PostgreSQL."""
    s = settings or config.load()
    if s.analytics != "snapshot" or not _is_postgres(db):
        return None
    with _lock:
        snap = _snapshots.get(db.url)
        if snap is None:
            try:
                snap = Snapshot(db, s.data_dir, s.snapshot_seconds)
            except Exception as exc:  # noqa: BLE001 - e.g. a read-only data folder: the dashboards stay live
                log.error("HubDesk: no analytics snapshot (HUBDESK_ANALYTICS=snapshot); the dashboards read "
                          "PostgreSQL live: %s", exc)
                return None
            _snapshots[db.url] = snap
            if thread:
                snap.start()
        return snap


def current(db=None) -> Snapshot | None:
    """The snapshot of ``db`` (default: the configured database), or None (live mode, DuckDB)."""
    if not _snapshots:
        return None
    db = db or get_db()
    snap = _snapshots.get(getattr(db, "url", None))
    return snap if snap is not None and snap.source is db else None


def analytics_db(db=None):
    """The Database the dashboards' figures are computed on: the snapshot's once it has been made, else ``db``
    (default: the configured database) itself."""
    db = db or get_db()
    snap = current(db)
    return snap.db if snap is not None and snap.ready else db


def stop_all(timeout: float = 30.0) -> None:
    """Stop every snapshot of this process and delete its file (tests; at exit)."""
    with _lock:
        snaps = list(_snapshots.values())
        _snapshots.clear()
    for snap in snaps:
        try:
            snap.stop(timeout)
        except Exception as exc:  # noqa: BLE001 - at exit: nothing more to do about it
            log.warning("HubDesk: analytics snapshot %s not removed: %s", snap.path, exc)


atexit.register(stop_all, 5.0)


# ---- on screen ----------------------------------------------------------------------------------------------
def freshness(db=None) -> Freshness | None:
    """How fresh the dashboards' figures are; None when they are read live (nothing to say)."""
    snap = current(db)
    if snap is None:
        return None
    return Freshness(snap.as_of, snap.every, snap.error)


def _every_text(every: float) -> str:
    return f"每 {every / 60:g} 分钟" if every >= 60 and every % 60 == 0 and every != 60 else f"每 {every:g} 秒"


def _ago(seconds: float) -> str:
    if seconds < 10:
        return "刚刚"
    if seconds < 60:
        return f"约 {int(seconds)} 秒前"
    if seconds < 3600:
        return f"约 {round(seconds / 60)} 分钟前"
    return f"约 {round(seconds / 3600)} 小时前"


def caption(fr: Freshness, now: dt.datetime | None = None) -> str:
    """The freshness caption in Chinese."""
    if fr.as_of is None:
        text = "分析快照正在首次生成,本页暂为实时查询的数据(可能较慢);生成后自动改用快照,此后" \
               f"{_every_text(fr.every)}更新。"
        return text + (f"生成出错:{fr.error}" if fr.error else "")
    now = now or dt.datetime.now()
    when = f"{fr.as_of:%H:%M:%S}" if fr.as_of.date() == now.date() else f"{fr.as_of:%Y-%m-%d %H:%M:%S}"
    text = (f"数据截至 {when}({_ago((now - fr.as_of).total_seconds())},{_every_text(fr.every)}更新;"
            "刚保存的修改将在下次更新后计入)")
    return text + (f"。最近一次更新失败,显示的是上次更新的数据:{fr.error}" if fr.error else "")


def refresh_now(actor, db=None) -> str:
    """An admin's 「立即更新」: refresh at once (only the DuckDB copy is written, nothing in the store); what happened,
    in Chinese."""
    if not actor.has("admin"):
        raise PermissionDenied("只有管理员可以立即更新分析数据;其他用户请等待自动更新。")
    snap = current(db)
    if snap is None:
        raise HubError("当前的数据总览直接读取数据库(实时),无需更新。")
    try:
        r = snap.refresh()
    except DatabaseUnavailable:
        raise
    except Exception as exc:  # noqa: BLE001 - said on screen; the last snapshot stays
        snap._failed(exc)
        raise HubError(f"更新失败,仍显示上次更新的数据:{exc}") from exc
    if not r.copied:
        return f"已检查:上次更新后没有数据变化,数据截至 {r.as_of:%H:%M:%S}。"
    return (f"已更新:复制了 {len(r.copied)} 张有变化的表(共 {r.rows:,} 行,用时 {r.seconds:.1f} 秒),"
            f"数据截至 {r.as_of:%H:%M:%S}。")
