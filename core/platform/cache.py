"""Cached reads that a write makes stale: the dashboard's figures are computed once and reused until a
table they read is written.

A cached value is stored under ``(name, params, database)`` together with the versions of the tables it
was computed from (:meth:`core.platform.db.Database.version`, bumped after every committed write of a table by
the one write path). A read compares the stored versions with the current ones: equal -> the stored
value; different -> the loader runs again. So a write invalidates exactly the cached reads of the
tables it wrote, at the moment it commits, in every session of the process; writes to other tables
leave them cached.

Only one thread computes a given key at a time (the others wait for its result instead of running the
same query), and the cache keeps at most ``max_entries`` values (least recently used dropped first).

**Several servers on one PostgreSQL database**: another process's write does not move this process's counters
by itself. Each write transaction also bumps its tables' rows of ``table_versions`` (migration 026, in the same
transaction: :meth:`core.platform.pg.PgDatabase.transaction`), and :func:`sync` — once per page run (``core.app.
bootstrap``) and per run of a live fragment (``core.ui.session.live_fragment``) — reads that table with one SELECT
and counts the tables that moved as written here. So a write on one server changes the figures another server
shows at that server's next run. (Chosen over LISTEN/NOTIFY: the version commits with the write or not at all,
nothing is lost while a connection is down or a server restarts, and no listening thread and connection are
needed.) A DuckDB file has one process: :func:`sync` does nothing there.
"""
from __future__ import annotations

import threading
import uuid
from collections import OrderedDict, defaultdict
from dataclasses import dataclass, field
from typing import Any, Callable, Hashable

import pandas as pd


_token_lock = threading.Lock()


def db_token(db) -> str:
    """A token that identifies this Database object for its lifetime (``id()`` can be reused after a
    database is closed and another opened; version counters restart with a new object)."""
    token = getattr(db, "_cache_token", None)
    if token is None:
        with _token_lock:
            token = getattr(db, "_cache_token", None)
            if token is None:
                token = f"{db.path}#{uuid.uuid4().hex}"
                db._cache_token = token
    return token


@dataclass
class Stats:
    """Counters per cache name: ``loads`` (the loader ran) and ``hits`` (a stored value was used)."""

    loads: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    hits: dict[str, int] = field(default_factory=lambda: defaultdict(int))


def _copy(value: Any) -> Any:
    """Callers get their own copy of a frame (a screen may add or rename columns)."""
    return value.copy() if isinstance(value, pd.DataFrame) else value


class VersionedCache:
    def __init__(self, max_entries: int = 512):
        self.max_entries = max_entries
        self._data: OrderedDict[Hashable, tuple[tuple, Any]] = OrderedDict()
        self._lock = threading.Lock()
        self._key_locks: dict[Hashable, threading.Lock] = {}
        self.stats = Stats()

    def get(self, name: str, params: Hashable, tables: tuple[str, ...], loader: Callable[[], Any], db) -> Any:
        """``loader()``'s value for ``(name, params)`` on ``db``, computed again only after one of
        ``tables`` has been written since it was stored."""
        key = (name, params, db_token(db))
        stamp = db.version(*tables)
        hit = self._lookup(key, stamp, name)
        if hit is not None:
            return _copy(hit[0])
        with self._lock:
            key_lock = self._key_locks.setdefault(key, threading.Lock())
        with key_lock:
            stamp = db.version(*tables)
            hit = self._lookup(key, stamp, name)  # another thread may have just computed it
            if hit is not None:
                return _copy(hit[0])
            value = loader()
            with self._lock:
                self.stats.loads[name] += 1
                self._data[key] = (stamp, value)
                self._data.move_to_end(key)
                while len(self._data) > self.max_entries:
                    old, _ = self._data.popitem(last=False)
                    self._key_locks.pop(old, None)
        return _copy(value)

    def _lookup(self, key, stamp: tuple, name: str) -> tuple[Any] | None:
        with self._lock:
            entry = self._data.get(key)
            if entry is None or entry[0] != stamp:
                return None
            self._data.move_to_end(key)
            self.stats.hits[name] += 1
            return (entry[1],)

    def clear(self) -> None:
        with self._lock:
            self._data.clear()
            self._key_locks.clear()
            self.stats = Stats()

    def __len__(self) -> int:
        return len(self._data)


_default = VersionedCache()
_large = VersionedCache(max_entries=64)  # record lists (drill-downs): fewer of them, each bigger


def cached(name: str, params: Hashable, tables: tuple[str, ...], loader: Callable[[], Any], db, *,
           large: bool = False) -> Any:
    """Module-level cache shared by every session of the process (see :class:`VersionedCache`);
    ``large`` values (lists of records) are kept in a smaller store of their own."""
    return (_large if large else _default).get(name, params, tables, loader, db)


def loads(name: str) -> int:
    """How many times the loader of ``name`` ran since the last :func:`clear`."""
    return _default.stats.loads.get(name, 0) + _large.stats.loads.get(name, 0)


def all_loads() -> dict[str, int]:
    """Every cache name and how many times its loader ran since the last :func:`clear`."""
    out: dict[str, int] = defaultdict(int)
    for store in (_default, _large):
        for name, n in store.stats.loads.items():
            out[name] += n
    return dict(out)


def hits(name: str) -> int:
    return _default.stats.hits.get(name, 0) + _large.stats.hits.get(name, 0)


def clear() -> None:
    _default.clear()
    _large.clear()


def sync(db) -> set[str]:
    """The tables other processes on the same database wrote since the last call (then stale here: their cached
    reads are computed again); one SELECT on PostgreSQL, nothing on DuckDB (one process per file)."""
    poll = getattr(db, "poll_versions", None)
    return poll() if poll is not None else set()
