"""The one DuckDB connection of this process: cursors for reads, one locked path for writes.

Shaped after Datasette's ``database.py``: reads are cheap and concurrent (a cursor each), every write
goes through :meth:`Database.transaction`, which holds the process-wide write lock, runs
``BEGIN``/``COMMIT`` (``ROLLBACK`` on any error) and, after a commit, bumps the version of every table
the transaction touched so cached reads can tell they are stale.
"""
from __future__ import annotations

import threading
from collections import defaultdict
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable, Iterator

import duckdb
import pandas as pd

from core.errors import DatabaseUnavailable, WriteFailed


class Transaction:
    """A cursor inside an open transaction that remembers which tables it wrote."""

    def __init__(self, cursor: duckdb.DuckDBPyConnection):
        self.cursor = cursor
        self.touched: set[str] = set()

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


def _friendly_open_error(path: Path, exc: Exception) -> DatabaseUnavailable:
    text = str(exc)
    if "lock" in text.lower():
        return DatabaseUnavailable(
            f"数据库文件 {path} 正被另一个进程占用(DuckDB 同一时间只允许一个写入进程)。"
            f"请先停止另一个 HubDesk 服务,或用 HUBDESK_DB 指向另一个文件。原始信息:{text}"
        )
    return DatabaseUnavailable(f"无法打开数据库文件 {path}:{text}")


class Database:
    def __init__(self, path: Path | str):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._con = duckdb.connect(str(self.path))
        except (duckdb.IOException, duckdb.Error) as exc:  # held by another process, corrupt, ...
            raise _friendly_open_error(self.path, exc) from exc
        self._write_lock = threading.RLock()
        self._versions: dict[str, int] = defaultdict(int)
        self._listeners: list[Callable[[set[str]], None]] = []
        self._closed = False

    # ---- reads -------------------------------------------------------------------------------
    @contextmanager
    def read(self) -> Iterator[duckdb.DuckDBPyConnection]:
        self._check_open()
        cur = self._con.cursor()
        try:
            yield cur
        finally:
            cur.close()

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
        """Run a block as one transaction under the process-wide write lock."""
        self._check_open()
        with self._write_lock:
            cur = self._con.cursor()
            tx = Transaction(cur)
            try:
                cur.execute("BEGIN TRANSACTION")
                yield tx
                cur.execute("COMMIT")
            except BaseException as exc:
                try:
                    cur.execute("ROLLBACK")
                except duckdb.Error:
                    pass
                if isinstance(exc, duckdb.IOException):
                    raise WriteFailed(
                        "保存失败:无法写入数据库文件(磁盘已满或数据目录只读),本次修改未保存。"
                    ) from exc
                raise
            finally:
                cur.close()
            self._committed(tx.touched)

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


def get_db(path: Path | str | None = None) -> Database:
    """The process-wide Database for ``path`` (default: the configured one), migrated on first use."""
    from core import config, migrate

    p = Path(path) if path is not None else config.load().db_path
    p = p.resolve()
    with _instances_lock:
        db = _instances.get(p)
        if db is None or db._closed:
            db = Database(p)
            migrate.apply(db)
            _instances[p] = db
        return db


def close_all() -> None:
    with _instances_lock:
        for db in _instances.values():
            db.close()
        _instances.clear()
