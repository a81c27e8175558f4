"""PostgreSQL behind the same API as :class:`core.platform.db.Database` (``HUBDESK_DB=postgresql://…``).

The DuckDB file stays the default; this engine lets several HubDesk servers share one store. Core code does not
know which engine it talks to:

* **SQL is written once**, with ``?`` placeholders (or ``$name`` with a dict) and DuckDB's spellings.
  :func:`translate` turns it into PostgreSQL's (cached per SQL string): ``?`` -> ``%s`` and ``$name`` ->
  ``%(name)s`` outside quoted text, ``%`` -> ``%%``, ``DOUBLE`` -> ``DOUBLE PRECISION``, ``BLOB`` -> ``BYTEA``,
  ``INTERVAL 5 YEAR`` -> ``INTERVAL '5 YEAR'``, a list literal ``[a, b]`` -> ``ARRAY[a, b]``, a select item's
  alias inside an ORDER BY expression -> the item's expression (:func:`_order_aliases`). DuckDB's functions
  that PostgreSQL lacks (``date_diff``, ``list_contains``, ``median``, ``year``, ``list``, …) and the two
  places where their behaviour differs (``/`` of two integers is a fraction in DuckDB; ``avg`` is a double)
  come from ``core/migrations/postgres/compat.sql``, in the schema ``duckdb_compat``, which every connection
  searches before ``pg_catalog`` (``search_path = public, duckdb_compat, pg_catalog``).
* **Values come back as DuckDB gives them**: parameters are bound on the client (``psycopg.ClientCursor``: a
  ``None`` or a string is a literal whose type PostgreSQL infers, as DuckDB does); a ``numeric`` computed
  without a declared scale (``sum`` of integers) is an ``int`` when whole, else a ``float``; ``.df()`` gives the
  dtypes DuckDB's ``.df()`` gives (decimals as floats, dates as ``datetime64[us]``, nullable integers).
* **Errors are DuckDB's types** (``duckdb.ConstraintException`` for a constraint, ``duckdb.DataError`` for a
  value out of range, ``duckdb.CatalogException`` for a missing table …), so the write path's Chinese refusals
  (:mod:`core.platform.records`) and every caller's handling stay as they are. An unreachable server or a
  refused sign-in is a :class:`DatabaseUnavailable` naming server, port, database and user (never the password).
* **Writes are serialised across processes** as DuckDB's one writer serialises them: :attr:`PgDatabase.write_lock`
  is a thread-reentrant lock that at its outermost acquisition also takes a PostgreSQL advisory lock on a
  dedicated connection; :meth:`PgDatabase.transaction` holds it. So the audit chain's appends never interleave.
* **Files kept beside the database** (the audit head file) go to ``HUBDESK_DATA_DIR`` (default ``data/``):
  :attr:`PgDatabase.path` is ``<HUBDESK_DATA_DIR>/<database>.postgresql`` (a name, not a file).
* ``cursor.register(name, table)`` (DuckDB's scan of an Arrow table or DataFrame) becomes a temporary table
  filled with ``COPY``, typed after the target table of the ``INSERT`` that reads it.
"""
from __future__ import annotations

import datetime as dt
import logging
import os
import re
import threading
from collections import defaultdict
from contextlib import contextmanager
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable, Iterator

import duckdb
import numpy as np
import pandas as pd

from core.platform.errors import DatabaseUnavailable, WriteFailed

log = logging.getLogger("hubdesk")

URL_PREFIXES = ("postgresql://", "postgres://")
SEARCH_PATH = "public, duckdb_compat, pg_catalog"
LOCK_KEY = 0x4855_4244  # "HUBD": the advisory lock every HubDesk writer takes


def is_url(value: Any) -> bool:
    return isinstance(value, str) and value.strip().lower().startswith(URL_PREFIXES)


# ---- SQL: DuckDB's spelling -> PostgreSQL's ----------------------------------------------------------------
_WORDS = [
    (re.compile(r"\bDOUBLE\b(?!\s+PRECISION)", re.I), "DOUBLE PRECISION"),
    (re.compile(r"\bBLOB\b", re.I), "BYTEA"),
    (re.compile(r"\bINTERVAL\s+(\d+)\s+(YEAR|MONTH|WEEK|DAY|HOUR|MINUTE|SECOND)S?\b", re.I), r"INTERVAL '\1 \2'"),
]
_ARRAY_AFTER = set("(,=") | {""}
_NAMED = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")


def _plain(segment: str, params: str | None) -> str:
    """One stretch of SQL outside quotes and comments."""
    for pattern, repl in _WORDS:
        segment = pattern.sub(repl, segment)
    if "[" in segment:
        segment = _array_literals(segment)
    if params is not None:
        segment = segment.replace("%", "%%")
        if params == "dict":
            segment = _NAMED.sub(r"%(\1)s", segment)
        else:
            segment = segment.replace("?", "%s")
    return segment


def _array_literals(sql: str) -> str:
    """``[a, b]`` where a value starts (after ``(``, ``,``, ``=``, a keyword or the start) -> ``ARRAY[a, b]``;
    ``x[1]`` (an index) stays."""
    out, i = [], 0
    for m in re.finditer(r"\[", sql):
        before = sql[:m.start()].rstrip()
        prev = before[-1:] if before else ""
        word = re.search(r"([A-Za-z_]+)$", before)
        is_value = prev in _ARRAY_AFTER or (word is not None and word.group(1).upper() in
                                             ("SELECT", "THEN", "ELSE", "AND", "OR", "IN", "WHEN", "RETURN", "VALUES",
                                              "AS", "IS", "NOT", "BY"))
        if is_value and not before.upper().endswith("ARRAY"):
            out.append(sql[i:m.start()] + "ARRAY[")
            i = m.end()
    out.append(sql[i:])
    return "".join(out)


@lru_cache(maxsize=8192)
def _closing_quote(sql: str, i: int) -> int:
    """Where the quoted text opened at ``sql[i]`` (' or ") ends: the index of its closing quote (a doubled quote is
    one character of the text), or ``len(sql)`` when it is not closed."""
    c, j, n = sql[i], i + 1, len(sql)
    while j < n:
        if sql[j] == c:
            if j + 1 < n and sql[j + 1] == c:
                j += 2
                continue
            break
        j += 1
    return j


def translate(sql: str, params: str | None = "list") -> str:
    """PostgreSQL's spelling of ``sql``. ``params``: ``"list"`` (``?`` placeholders), ``"dict"`` (``$name``) or
    None (no parameters: nothing is taken for a placeholder, ``%`` stays)."""
    out: list[str] = []
    i, n, start = 0, len(sql), 0
    while i < n:
        c = sql[i]
        if c in ("'", '"'):
            out.append(_plain(sql[start:i], params))
            j = _closing_quote(sql, i)
            quoted = sql[i:j + 1]
            out.append(quoted.replace("%", "%%") if params is not None else quoted)
            i = start = j + 1
            continue
        if c == "-" and sql.startswith("--", i):
            out.append(_plain(sql[start:i], params))
            j = sql.find("\n", i)
            j = n if j < 0 else j
            comment = sql[i:j]
            out.append(comment.replace("%", "%%") if params is not None else comment)
            i = start = j
            continue
        if c == "$" and sql.startswith("$$", i):  # a function body (compat.sql): left as written
            out.append(_plain(sql[start:i], params))
            j = sql.find("$$", i + 2)
            j = n if j < 0 else j + 2
            out.append(sql[i:j])
            i = start = j
            continue
        i += 1
    out.append(_plain(sql[start:], params))
    text = "".join(out)
    upper = text.upper()
    if "GROUP BY ALL" in upper or re.search(r"\b(FROM|JOIN)\s*\(\s*(SELECT|WITH)\b", upper):
        text = _structure(text)
    if " AS " in upper and _ORDER_BY.search(upper):
        text = _order_aliases(text)
    return text


_ORDER_BY = re.compile(r"\bORDER\s+BY\b", re.I)
_NAME = re.compile(r'(?<![\w."])([A-Za-z_]\w*)(?![\w"])(?!\s*[.(])')
_ALIAS = re.compile(r'\bAS\s+("?)([A-Za-z_]\w*)\1\s*$', re.I)
_ORDER_END = re.compile(r"\b(LIMIT|OFFSET|FETCH|FOR|UNION|EXCEPT|INTERSECT)\b|;", re.I)
_BARE = re.compile(r"^\s*(\"?[A-Za-z_]\w*\"?|\d+)(\s+(ASC|DESC))?(\s+NULLS\s+(FIRST|LAST))?\s*$", re.I)


def _top_level(m: str, start: int, stop_at: re.Pattern | None = None) -> tuple[list[tuple[int, int]], int]:
    """From ``start`` in the masked statement ``m``: the comma-separated parts at this parenthesis level, until a
    closing parenthesis of the enclosing level, the end, or ``stop_at`` (matched at this level); (parts as
    (begin, end), where it stopped)."""
    parts, begin, nest, j = [], start, 0, start
    while j < len(m):
        c = m[j]
        if c == "(":
            nest += 1
        elif c == ")":
            if nest == 0:
                break
            nest -= 1
        elif nest == 0:
            if c == ",":
                parts.append((begin, j))
                begin = j + 1
            elif stop_at is not None and (c.isalpha() or c == ";") and not (m[j - 1].isalnum() or m[j - 1] == "_"):
                if stop_at.match(m, j):  # (j > start >= 1: m[j - 1] is this statement's)
                    break
        j += 1
    parts.append((begin, j))
    return parts, j


@lru_cache(maxsize=4096)
def _order_aliases(sql: str) -> str:
    """DuckDB lets an ORDER BY expression name a select item's alias (``ORDER BY CASE kind WHEN … END, posts +
    media DESC``); PostgreSQL takes an alias in ORDER BY only standing alone. An alias inside an ORDER BY
    expression becomes its select item's expression, in parentheses. As in DuckDB, a name that is a column of the
    tables read wins over an alias: an alias whose own expression names it (``coalesce(n, 0) AS n``), or that the
    statement names as a table's column (``p.n``), is left as it is."""
    m = _mask(sql)
    edits: list[tuple[int, int, str]] = []
    for ob in _ORDER_BY.finditer(m):
        # the SELECT of this ORDER BY: the last one before it at the same parenthesis level
        level, select = 0, None
        for j in range(ob.start() - 1, -1, -1):
            if m[j] == ")":
                level += 1
            elif m[j] == "(":
                if level == 0:
                    break
                level -= 1
            elif level == 0 and m[j] in "sS" and re.match(r"SELECT\b", m[j:j + 7], re.I) and \
                    (j == 0 or not (m[j - 1].isalnum() or m[j - 1] == "_")):
                select = j
                break
        if select is None:
            continue
        items, _ = _top_level(m, select + 6, re.compile(r"FROM\b", re.I))
        aliases: dict[str, str] = {}
        for a, b in items:
            found = _ALIAS.search(sql[a:b])
            if found:
                expr = sql[a:a + found.start()].strip()
                expr = re.sub(r"^DISTINCT\s+", "", expr, flags=re.I)
                name = found.group(2)
                if not any(n.group(1).lower() == name.lower() for n in _NAME.finditer(_mask(expr))) and \
                        not re.search(rf"\.\s*{name}\b", m, re.I):  # nor one a table's column is named as
                    aliases[name.lower()] = expr
        if not aliases:
            continue
        for a, b in _top_level(m, ob.end(), _ORDER_END)[0]:
            if _BARE.match(m[a:b]):
                continue  # an alias standing alone: PostgreSQL's own rule
            for n in _NAME.finditer(m, a, b):
                expr = aliases.get(n.group(1).lower())
                if expr is not None:
                    edits.append((n.start(), n.end(), f"({expr})"))
    for a, b, text in sorted(edits, reverse=True):
        sql = sql[:a] + text + sql[b:]
    return sql


def _mask(sql: str) -> str:
    """``sql`` with the inside of quoted text and comments blanked (same length): for finding its structure."""
    out, i, n = list(sql), 0, len(sql)
    while i < n:
        c = sql[i]
        if c in ("'", '"'):
            j = _closing_quote(sql, i)
            for k in range(i + 1, min(j, n)):
                out[k] = "_"
            i = j + 1
        elif sql.startswith("--", i):
            j = sql.find("\n", i)
            j = n if j < 0 else j
            for k in range(i, j):
                out[k] = " "
            i = j
        elif sql.startswith("$$", i):
            j = sql.find("$$", i + 2)
            j = n if j < 0 else j + 2
            for k in range(i, j):
                out[k] = " "
            i = j
        else:
            i += 1
    return "".join(out)


_AGGREGATE = re.compile(r"\b(count|sum|avg|min|max|median|list|string_agg|array_agg|arg_max|arg_min|max_by|min_by|"
                        r"bool_or|bool_and|any_value|first|last|percentile_cont|percentile_disc|quantile_cont|"
                        r"stddev|stddev_samp|stddev_pop|variance|var_samp|var_pop|count_if|every|json_agg|jsonb_agg)\s*\(",
                        re.I)
_AFTER_SUBQUERY = {"", ")", ",", ";", "WHERE", "GROUP", "ORDER", "LIMIT", "OFFSET", "JOIN", "LEFT", "RIGHT", "INNER",
                   "FULL", "CROSS", "NATURAL", "ON", "UNION", "EXCEPT", "INTERSECT", "HAVING", "WINDOW", "RETURNING",
                   "USING", "FETCH", "FOR"}


def _structure(sql: str) -> str:
    """The two DuckDB spellings that need the statement's structure: ``GROUP BY ALL`` (-> the positions of the
    select items that hold no aggregate) and a subquery in FROM without an alias (-> ``AS _subquery_N``)."""
    m = _mask(sql)
    depth, d = [0] * (len(m) + 1), 0
    for i, c in enumerate(m):
        if c == "(":
            d += 1
        depth[i] = d if c != ")" else d
        if c == ")":
            d -= 1
    edits: list[tuple[int, int, str]] = []

    def close_of(open_at: int) -> int:
        level = 0
        for j in range(open_at, len(m)):
            if m[j] == "(":
                level += 1
            elif m[j] == ")":
                level -= 1
                if level == 0:
                    return j
        return len(m) - 1

    # a subquery without an alias
    n = 0
    for hit in re.finditer(r"\b(FROM|JOIN)\s*(\()\s*(SELECT|WITH)\b", m, re.I):
        end = close_of(hit.start(2))
        after = re.match(r"\s*([A-Za-z_]+|\)|,|;|$)", m[end + 1:])
        word = (after.group(1) if after else "").upper()
        if word in _AFTER_SUBQUERY:
            n += 1
            edits.append((end + 1, end + 1, f" AS _subquery_{n}"))
    # GROUP BY ALL
    for hit in re.finditer(r"\bGROUP\s+BY\s+ALL\b", m, re.I):
        level = depth[hit.start()]
        select = None
        for s_hit in re.finditer(r"\bSELECT\b", m[:hit.start()], re.I):
            if depth[s_hit.start()] == level and all(depth[k] >= level for k in range(s_hit.start(), hit.start())):
                select = s_hit
        if select is None:
            continue
        frm = None
        for f_hit in re.finditer(r"\bFROM\b", m[select.end():hit.start()], re.I):
            if depth[select.end() + f_hit.start()] == level:
                frm = select.end() + f_hit.start()
                break
        if frm is None:
            continue
        items, begin, nest = [], select.end(), 0
        for j in range(select.end(), frm):
            if m[j] == "(":
                nest += 1
            elif m[j] == ")":
                nest -= 1
            elif m[j] == "," and nest == 0:
                items.append(m[begin:j])
                begin = j + 1
        items.append(m[begin:frm])
        keep = []
        for pos, item in enumerate(items, 1):
            flat = re.sub(r"\(\s*SELECT\b[^()]*(\([^()]*\)[^()]*)*\)", "", item, flags=re.I)  # nested subqueries
            if re.search(r"\bDISTINCT\b", item[:12], re.I) and pos == 1:
                flat = re.sub(r"^\s*DISTINCT\b", "", flat, flags=re.I)
            if not _AGGREGATE.search(flat) and not re.search(r"\bOVER\b", flat, re.I):
                keep.append(str(pos))
        edits.append((hit.start(), hit.end(), "GROUP BY " + (", ".join(keep) if keep else "()")))
    for a, b, text in sorted(edits, reverse=True):
        sql = sql[:a] + text + sql[b:]
    return sql


def _kind(params: Any) -> str | None:
    if params is None:
        return None
    return "dict" if isinstance(params, dict) else "list"


def _values(params: Any) -> Any:
    if params is None or isinstance(params, dict):
        return params
    return list(params)


# ---- errors: PostgreSQL's -> DuckDB's types (the messages keep the words records.py looks for) -----------------
def _duck_error(exc: BaseException) -> BaseException:
    # psycopg is loaded only with a postgresql:// HUBDESK_DB (a DuckDB server never needs it)
    import psycopg
    from psycopg import errors as e  # (the same)

    text = str(exc).strip()
    if isinstance(exc, e.NotNullViolation):
        return duckdb.ConstraintException(f"Constraint Error: NOT NULL constraint failed: {text}")
    if isinstance(exc, (e.UniqueViolation, e.ExclusionViolation)):
        return duckdb.ConstraintException(f"Constraint Error: Duplicate key violates unique constraint: {text}")
    if isinstance(exc, e.ForeignKeyViolation):
        return duckdb.ConstraintException(f"Constraint Error: foreign key violation: {text}")
    if isinstance(exc, psycopg.IntegrityError):
        return duckdb.ConstraintException(f"Constraint Error: {text}")
    if isinstance(exc, e.NumericValueOutOfRange):
        return duckdb.OutOfRangeException(f"Out of Range Error: {text}")
    if isinstance(exc, psycopg.DataError):
        return duckdb.ConversionException(f"Conversion Error: {text}")
    if isinstance(exc, (e.UndefinedTable, e.UndefinedColumn, e.UndefinedFunction, e.UndefinedObject,
                        e.DuplicateTable, e.DuplicateObject, e.DuplicateColumn)):
        return duckdb.CatalogException(f"Catalog Error: {text}")
    if isinstance(exc, e.SyntaxError):
        return duckdb.ParserException(f"Parser Error: {text}")
    if isinstance(exc, e.TransactionRollback):
        return duckdb.TransactionException(f"TransactionContext Error: {text}")
    if isinstance(exc, psycopg.ProgrammingError):
        return duckdb.BinderException(f"Binder Error: {text}")
    if isinstance(exc, psycopg.OperationalError):
        return duckdb.IOException(f"IO Error: {text}")
    return duckdb.Error(text)


@contextmanager
def _as_duckdb() -> Iterator[None]:
    # psycopg is loaded only with a postgresql:// HUBDESK_DB (a DuckDB server never needs it)
    import psycopg

    try:
        yield
    except psycopg.Error as exc:
        raise _duck_error(exc) from exc


# ---- results --------------------------------------------------------------------------------------------------
_NUMERIC, _INT2, _INT4, _INT8, _FLOAT4, _FLOAT8, _BOOL, _DATE, _TS, _TSTZ = 1700, 21, 23, 20, 700, 701, 16, 1082, 1114, 1184


def _loose_numeric(value: Any) -> Any:
    """A ``numeric`` without a declared scale (``sum`` of integers, an expression): DuckDB gives an integer
    (HUGEINT) or a double there."""
    if isinstance(value, Decimal):
        if value.is_finite() and value == value.to_integral_value():
            return int(value)
        return float(value)
    return value


def _py(value: Any) -> Any:
    """A Python value psycopg can send (numpy scalars, NaN/NaT -> None)."""
    if value is None:
        return None
    if hasattr(value, "item") and type(value).__module__ == "numpy":
        value = value.item()
    if isinstance(value, float) and value != value:
        return None
    if value is pd.NaT:
        return None
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    if hasattr(value, "tolist") and not isinstance(value, (str, bytes)):
        return [_py(v) for v in value.tolist()]
    if isinstance(value, (list, tuple)):
        items = [_py(v) for v in value]
        if items and all(v is None or isinstance(v, str) for v in items) and any(v is not None for v in items):
            return _TextList(items)  # a text[] literal: '{…}' alone is of unknown type (unnest('{a,b}') fails)
        return items
    return value


class _TextList(list):
    """A list of strings, sent as ``'{"a","b"}'::text[]`` (see :func:`_text_list_dumper`)."""


def _array_text(items: list) -> str:
    def one(v):
        if v is None:
            return "NULL"
        return '"' + str(v).replace("\\", "\\\\").replace('"', '\\"') + '"'
    return "{" + ",".join(one(v) for v in items) + "}"


_dumpers: list = []


def _text_list_dumper():
    if not _dumpers:
        # psycopg is loaded only with a postgresql:// HUBDESK_DB (a DuckDB server never needs it)
        from psycopg.adapt import Dumper

        class TextListDumper(Dumper):
            oid = 1009  # text[]

            def dump(self, obj):
                return _array_text(obj).encode("utf-8")

        _dumpers.append(TextListDumper)
    return _dumpers[0]


def _pg_type_of(values: list) -> str:
    for v in values:
        if v is None:
            continue
        if isinstance(v, bool):
            return "BOOLEAN"
        if isinstance(v, int):
            return "BIGINT"
        if isinstance(v, float):
            return "DOUBLE PRECISION"
        if isinstance(v, Decimal):
            return "NUMERIC"
        if isinstance(v, dt.datetime):
            return "TIMESTAMP"
        if isinstance(v, dt.date):
            return "DATE"
        if isinstance(v, bytes):
            return "BYTEA"
        if isinstance(v, list):
            return f"{_pg_type_of(v).replace('[]', '')}[]" if v else "TEXT[]"
        return "TEXT"
    return "TEXT"


class PgCursor:
    """DuckDB's cursor API over one pooled PostgreSQL connection: ``execute`` returns the cursor; ``fetchall``,
    ``fetchone``, ``fetchmany``, ``description``, ``df()``, ``executemany``, ``register``/``unregister``."""

    def __init__(self, conn):
        # psycopg is loaded only with a postgresql:// HUBDESK_DB (a DuckDB server never needs it)
        import psycopg

        self.conn = conn
        if not getattr(conn, "_hubdesk_adapted", False):
            conn.adapters.register_dumper(_TextList, _text_list_dumper())
            conn._hubdesk_adapted = True
        self._cur = psycopg.ClientCursor(conn)
        self._loose: list[int] = []
        self._registered: dict[str, tuple[list[str], list[list]]] = {}
        self._materialised: set[str] = set()

    # -- statements
    def execute(self, sql: str, params: Any = None) -> "PgCursor":
        if self._registered:
            self._materialise(sql)
        if "(VALUES" in sql and _VALUES_UPDATE.match(sql):
            sql = self._typed_values(sql)
        with _as_duckdb():
            self._cur.execute(translate(sql, _kind(params)), _bind(params))
        self._note_description()
        return self

    def executemany(self, sql: str, rows: list) -> None:
        if not rows:
            return
        with _as_duckdb():
            self._cur.executemany(translate(sql, _kind(rows[0])), [_bind(r) for r in rows])
        self._note_description()

    def _note_description(self) -> None:
        desc = self._cur.description or []
        self._loose = [i for i, c in enumerate(desc) if c.type_code == _NUMERIC and c.scale is None]

    @property
    def description(self) -> list[tuple] | None:
        desc = self._cur.description
        if desc is None:
            return None
        return [(c.name, c.type_code, c.display_size, c.internal_size, c.precision, c.scale, c.null_ok) for c in desc]

    @property
    def rowcount(self) -> int:
        return self._cur.rowcount

    def _row(self, row: tuple | None) -> tuple | None:
        if row is None or not self._loose:
            return row
        row = list(row)
        for i in self._loose:
            row[i] = _loose_numeric(row[i])
        return tuple(row)

    def fetchone(self) -> tuple | None:
        with _as_duckdb():
            return self._row(self._cur.fetchone()) if self._cur.description is not None else None

    def fetchall(self) -> list[tuple]:
        with _as_duckdb():
            rows = self._cur.fetchall() if self._cur.description is not None else []
        return [self._row(r) for r in rows] if self._loose else rows

    def fetchmany(self, size: int = 1) -> list[tuple]:
        with _as_duckdb():
            rows = self._cur.fetchmany(size) if self._cur.description is not None else []
        return [self._row(r) for r in rows] if self._loose else rows

    def df(self) -> pd.DataFrame:
        desc = self._cur.description or []
        with _as_duckdb():
            rows = self._cur.fetchall() if desc else []
        return _frame(desc, rows)

    fetch_df = df
    fetchdf = df

    # -- DuckDB's scan of a Python table: a temporary table ---------------------------------------------
    def register(self, name: str, data: Any) -> "PgCursor":
        if hasattr(data, "to_pylist"):  # a pyarrow Table
            cols = list(data.column_names)
            rows = [[_py(r[c]) for c in cols] for r in data.to_pylist()]
        else:  # a pandas DataFrame
            cols = [str(c) for c in data.columns]
            rows = [[_py(v) for v in row] for row in data.itertuples(index=False, name=None)]
        self._registered[name] = (cols, rows)
        return self

    def unregister(self, name: str) -> "PgCursor":
        self._registered.pop(name, None)
        if name in self._materialised:
            self._materialised.discard(name)
            with _as_duckdb():
                self._cur.execute(f'DROP TABLE IF EXISTS "{name}"')
        return self

    def _column_types(self, table: str) -> dict[str, str]:
        key = (self.conn.info.dbname, self.conn.info.port, table)
        if key not in _column_type_cache:
            with _as_duckdb():
                self._cur.execute(
                    "SELECT attname, format_type(atttypid, atttypmod) FROM pg_attribute"
                    " WHERE attrelid = to_regclass(%s) AND attnum > 0 AND NOT attisdropped", [table])
                _column_type_cache[key] = dict(self._cur.fetchall())
        return _column_type_cache[key]

    def _typed_values(self, sql: str) -> str:
        """``UPDATE t SET c = v.c … FROM (VALUES (?, ?), …) AS v(_key, c)``: a column of the VALUES list whose
        rows are all NULL or text is of type text in PostgreSQL (DuckDB casts it to the column's type on
        assignment); so each ``v.c`` is cast to the column's type."""
        m = _VALUES_UPDATE.match(sql)
        types = self._column_types(m.group(1))

        def cast(hit: re.Match) -> str:
            t = types.get(hit.group(1))
            return f"{hit.group(0)}::{t}" if t else hit.group(0)

        sets = re.sub(rf"\b(\w+)\s*=\s*{m.group(3)}\.\1\b", cast, m.group(2))
        return sql[:m.start(2)] + sets + sql[m.end(2):]

    def _materialise(self, sql: str) -> None:
        for name, (cols, rows) in self._registered.items():
            if name in self._materialised or not re.search(rf"\b{re.escape(name)}\b", sql):
                continue
            target = re.search(r"\bINSERT\s+INTO\s+([A-Za-z_][A-Za-z0-9_]*)", sql, re.I)
            types: dict[str, str] = {}
            with _as_duckdb():
                if target:
                    self._cur.execute(
                        "SELECT attname, format_type(atttypid, atttypmod) FROM pg_attribute"
                        " WHERE attrelid = to_regclass(%s) AND attnum > 0 AND NOT attisdropped", [target.group(1)])
                    types = dict(self._cur.fetchall())
                decl = ", ".join(f'"{c}" {types.get(c) or _pg_type_of([r[i] for r in rows])}'
                                 for i, c in enumerate(cols))
                self._cur.execute(f'DROP TABLE IF EXISTS "{name}"')
                self._cur.execute(f'CREATE TEMP TABLE "{name}" ({decl})')
                with self._cur.copy(f'COPY "{name}" ({", ".join(chr(34) + c + chr(34) for c in cols)}) FROM STDIN') as cp:
                    for r in rows:
                        cp.write_row(r)
            self._materialised.add(name)

    def close(self) -> None:
        for name in list(self._materialised):
            try:
                self.unregister(name)
            except duckdb.Error:
                pass
        try:
            self._cur.close()
        except Exception:  # noqa: BLE001 - closing after a failure must not hide the failure
            pass


_VALUES_UPDATE = re.compile(r"\s*UPDATE\s+(\w+)\s+SET\s+(.*?)\s+FROM\s+\(VALUES\b.*\)\s+AS\s+(\w+)\s*\(", re.I | re.S)
_column_type_cache: dict[tuple, dict[str, str]] = {}


def _bind(params: Any) -> Any:
    if params is None:
        return None
    if isinstance(params, dict):
        return {k: _py(v) for k, v in params.items()}
    return [_py(v) for v in params]


def _frame(desc, rows: list[tuple]) -> pd.DataFrame:
    """A DataFrame with the dtypes DuckDB's ``.df()`` gives for the same result."""
    names = [c.name for c in desc]
    columns = list(zip(*rows)) if rows else [() for _ in names]
    data: dict[str, Any] = {}
    for c, values in zip(desc, columns):
        values = list(values)
        has_null = any(v is None for v in values)
        t = c.type_code
        if t in (_INT2, _INT4, _INT8):
            kind = "int64" if t == _INT8 else "int32"  # with a NULL: pandas' nullable Int64/Int32, as DuckDB
            data[c.name] = pd.Series(values, dtype=kind.capitalize() if has_null else kind)
        elif t in (_NUMERIC, _FLOAT4, _FLOAT8):
            data[c.name] = pd.Series([None if v is None else float(v) for v in values], dtype="float64")
        elif t == _BOOL:
            data[c.name] = pd.Series(values, dtype="boolean" if has_null else "bool")
        elif t in (_DATE, _TS, _TSTZ):
            data[c.name] = pd.Series(pd.to_datetime(pd.Series(values, dtype=object)), dtype="datetime64[us]") \
                if t != _TSTZ else pd.to_datetime(pd.Series(values, dtype=object), utc=True)
        elif c.type_code in _ARRAY_OIDS or (values and any(isinstance(v, list) for v in values)):
            s = pd.Series([None if v is None else np.array(v, dtype=object) for v in values], dtype=object)
            data[c.name] = s
        elif rows and all(v is None or isinstance(v, str) for v in values) and not all(v is None for v in values):
            data[c.name] = pd.Series(values, dtype="str")
        else:
            data[c.name] = pd.Series(values, dtype=object)
    if len(set(names)) != len(names):  # duplicate names: as DuckDB, keep them all
        return pd.DataFrame({i: data.get(n) for i, n in enumerate(names)}).set_axis(names, axis=1)
    return pd.DataFrame(data, columns=names) if names else pd.DataFrame()


_ARRAY_OIDS = {1009, 1015, 1016, 1007, 1005, 1021, 1022, 1231, 1182, 1115, 1000}  # text[], varchar[], int8[] …


# ---- connecting ------------------------------------------------------------------------------------------------
def describe(url: str) -> dict[str, str]:
    """host, port, dbname, user of ``url`` (never the password)."""
    # psycopg is loaded only with a postgresql:// HUBDESK_DB (a DuckDB server never needs it)
    from psycopg.conninfo import conninfo_to_dict

    try:
        info = conninfo_to_dict(url)
    except Exception:  # noqa: BLE001 - a malformed URL: say so with what we can
        return {"host": "?", "port": "?", "dbname": "?", "user": "?"}
    return {"host": str(info.get("host") or "localhost"), "port": str(info.get("port") or "5432"),
            "dbname": str(info.get("dbname") or info.get("user") or "?"), "user": str(info.get("user") or "?")}


def _unavailable(url: str, exc: BaseException) -> DatabaseUnavailable:
    d = describe(url)
    text = str(exc)
    for secret in _passwords(url):
        text = text.replace(secret, "***")
    low = text.lower()
    where = f"PostgreSQL 数据库 {d['dbname']}(服务器 {d['host']}:{d['port']},用户 {d['user']})"
    if "password authentication failed" in low or "authentication failed" in low or "no password supplied" in low:
        why = "用户名或密码不正确。请检查环境变量 HUBDESK_DB 中的用户名和密码"
    elif "does not exist" in low and "database" in low:
        why = f"数据库 {d['dbname']} 不存在。请先在 PostgreSQL 中创建它(createdb {d['dbname']}),或改正 HUBDESK_DB 中的库名"
    elif "role" in low and "does not exist" in low:
        why = f"用户 {d['user']} 不存在。请在 PostgreSQL 中创建该用户,或改正 HUBDESK_DB 中的用户名"
    elif "connection refused" in low or "could not connect" in low or "no such file" in low or "timeout" in low \
            or "could not translate host" in low or "name or service not known" in low:
        why = "连接不上服务器。请确认 PostgreSQL 服务已启动、服务器地址和端口正确、防火墙允许连接"
    else:
        why = "连接失败"
    return DatabaseUnavailable(f"无法连接{where}:{why};然后重新启动本服务。原始信息:{text.strip()}")


def _passwords(url: str) -> list[str]:
    # psycopg is loaded only with a postgresql:// HUBDESK_DB (a DuckDB server never needs it)
    from psycopg.conninfo import conninfo_to_dict

    try:
        pw = conninfo_to_dict(url).get("password")
    except Exception:  # noqa: BLE001
        return []
    return [str(pw)] if pw else []


class _WriteLock:
    """Thread-reentrant; the outermost holder also holds PostgreSQL's advisory lock ``LOCK_KEY`` on a dedicated
    connection, so writers in other processes wait as DuckDB's one writer makes them wait."""

    def __init__(self, db: "PgDatabase"):
        self._db = db
        self._local = threading.RLock()
        self._depth = 0

    def acquire(self, blocking: bool = True, timeout: float = -1) -> bool:
        if not self._local.acquire(blocking, timeout):
            return False
        if self._depth == 0:
            try:
                self._db._advisory(True)
            except BaseException:
                self._local.release()
                raise
        self._depth += 1
        return True

    def release(self) -> None:
        self._depth -= 1
        try:
            if self._depth == 0:
                self._db._advisory(False)
        finally:
            self._local.release()

    __enter__ = acquire

    def __exit__(self, *exc) -> None:
        self.release()


class PgDatabase:
    """One PostgreSQL database through a connection pool, with :class:`core.platform.db.Database`'s API."""

    read_only = False
    dialect = "postgres"

    def __init__(self, url: str, data_dir: Path | str | None = None):
        # psycopg is loaded only with a postgresql:// HUBDESK_DB (a DuckDB server never needs it)
        import psycopg
        from psycopg_pool import ConnectionPool  # (the same)

        self.url = url
        self.where = describe(url)
        self.path = Path(data_dir) / f"{self.where['dbname']}{NAME_SUFFIX}" if data_dir else local_name(url)
        folder = self.path.parent  # self.path: a name for files kept beside it, not a file
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError:
            pass
        self._kwargs = {"autocommit": True, "options": f"-c search_path={SEARCH_PATH.replace(' ', '')}",
                        "connect_timeout": int(os.environ.get("HUBDESK_PG_CONNECT_TIMEOUT", "10"))}
        try:
            self._lock_con = psycopg.connect(url, **self._kwargs)
        except psycopg.Error as exc:
            raise _unavailable(url, exc) from exc
        self._lock_guard = threading.Lock()
        self._pool = ConnectionPool(url, min_size=1, max_size=int(os.environ.get("HUBDESK_PG_POOL", "8")),
                                    kwargs=dict(self._kwargs), open=False, name="hubdesk",
                                    check=ConnectionPool.check_connection)
        try:
            self._pool.open(wait=True, timeout=float(self._kwargs["connect_timeout"]))
        except Exception as exc:  # noqa: BLE001 - PoolTimeout: the server went away between the two
            self._lock_con.close()
            raise _unavailable(url, exc) from exc
        self._write_lock = _WriteLock(self)
        self._versions: dict[str, int] = defaultdict(int)
        self._listeners: list[Callable[[set[str]], None]] = []
        self._shared: dict[str, int] = {}  # table_versions as this process last saw it (poll_versions)
        self._shared_lock = threading.Lock()
        self._has_shared = False  # table_versions exists (migration 026): checked until it does
        self._closed = False

    def __repr__(self) -> str:
        d = self.where
        return f"PgDatabase({d['user']}@{d['host']}:{d['port']}/{d['dbname']})"

    def label(self) -> str:
        d = self.where
        return f"PostgreSQL 数据库 {d['dbname']}(服务器 {d['host']}:{d['port']})"

    # ---- the cross-process lock ----------------------------------------------------------------------
    def _advisory(self, take: bool) -> None:
        # psycopg is loaded only with a postgresql:// HUBDESK_DB (a DuckDB server never needs it)
        import psycopg

        with self._lock_guard:
            try:
                self._lock_con.execute("SELECT pg_advisory_lock(%s)" if take else "SELECT pg_advisory_unlock(%s)",
                                       [LOCK_KEY])
            except psycopg.OperationalError as exc:
                if not take:
                    self._reconnect_lock()  # a lost session has lost its lock too
                    return
                self._reconnect_lock()
                try:
                    self._lock_con.execute("SELECT pg_advisory_lock(%s)", [LOCK_KEY])
                except psycopg.Error as again:
                    raise self._write_failure(again) from exc

    def _reconnect_lock(self) -> None:
        # psycopg is loaded only with a postgresql:// HUBDESK_DB (a DuckDB server never needs it)
        import psycopg

        try:
            self._lock_con.close()
        except Exception:  # noqa: BLE001
            pass
        try:
            self._lock_con = psycopg.connect(self.url, **self._kwargs)
        except psycopg.Error as exc:
            raise _unavailable(self.url, exc) from exc

    def _write_failure(self, exc: BaseException) -> WriteFailed:
        return WriteFailed(f"保存失败:与{self.label()}的连接中断或被拒绝,本次修改未保存;已保存的数据不受影响。"
                           f"请确认 PostgreSQL 服务正常后再试。原始信息:{exc}", "io")

    # ---- reads -------------------------------------------------------------------------------------------
    @contextmanager
    def _connection(self):
        # psycopg is loaded only with a postgresql:// HUBDESK_DB (a DuckDB server never needs it)
        import psycopg

        self._check_open()
        try:
            conn = self._pool.getconn()
        except Exception as exc:  # noqa: BLE001 - PoolTimeout, OperationalError
            raise _unavailable(self.url, exc) from exc
        try:
            yield conn
        finally:
            try:
                if conn.info.transaction_status != psycopg.pq.TransactionStatus.IDLE and not conn.closed:
                    conn.rollback()
            except psycopg.Error:
                pass
            self._pool.putconn(conn)

    @contextmanager
    def read(self) -> Iterator[PgCursor]:
        """A cursor on a pooled connection of its own (autocommit). A connection lost meanwhile (the server
        stopped or restarted) raises :class:`DatabaseUnavailable` naming the server; the pool replaces it."""
        with self._connection() as conn:
            cur = PgCursor(conn)
            try:
                yield cur
            except duckdb.IOException as exc:
                if conn.closed or conn.broken:
                    raise _unavailable(self.url, exc) from exc
                raise
            finally:
                cur.close()

    def fetch_df(self, sql: str, params: Any = None) -> pd.DataFrame:
        with self.read() as cur:
            return cur.execute(sql, params).df()

    def fetch_all(self, sql: str, params: Any = None) -> list[dict]:
        with self.read() as cur:
            return _dicts(cur.execute(sql, params))

    def fetch_one(self, sql: str, params: Any = None) -> dict | None:
        rows = self.fetch_all(sql, params)
        return rows[0] if rows else None

    def scalar(self, sql: str, params: Any = None) -> Any:
        with self.read() as cur:
            row = cur.execute(sql, params).fetchone()
        return row[0] if row else None

    # ---- the one write path ------------------------------------------------------------------------------
    @contextmanager
    def transaction(self):
        """One transaction under the write lock (this process's and every other HubDesk process's): all or
        nothing; a lost connection raises :class:`WriteFailed`; a constraint a ``duckdb.ConstraintException``."""
        self._check_open()
        with self._write_lock:
            with self._connection() as conn:
                cur = PgCursor(conn)
                tx = PgTransaction(cur, self.path)
                try:
                    cur.execute("BEGIN")
                    yield tx
                    bumped = self._bump(cur, tx.touched)
                    cur.execute("COMMIT")
                except BaseException as exc:
                    try:
                        cur.execute("ROLLBACK")
                    except duckdb.Error:
                        pass
                    if isinstance(exc, duckdb.IOException) or conn.closed:
                        log.error("HubDesk: write to %s failed: %s", self, exc)
                        raise self._write_failure(exc) from exc
                    raise
                finally:
                    cur.close()
            self._committed(tx.touched)
            self._saw(bumped)
            for hook in tx.after_commit:
                hook()

    def _committed(self, tables: set[str]) -> None:
        for t in tables:
            self._versions[t] += 1
        for listener in list(self._listeners):
            listener(set(tables))

    def version(self, *tables: str) -> tuple[int, ...]:
        """Versions of the given tables, counted in this process (as for DuckDB); writes of other processes count
        from the next :meth:`poll_versions`."""
        return tuple(self._versions[t] for t in tables)

    # ---- other servers' writes: table_versions (migration 026) ------------------------------------------
    def _bump(self, cur: PgCursor, tables: set[str]) -> dict[str, int]:
        """Inside the writing transaction (so it commits with the write, or not at all): each written table's row
        of ``table_versions`` + 1; returns the new versions."""
        if not tables:
            return {}
        if not self._has_shared:  # before migration 026 (while migrating): nothing to bump
            self._has_shared = bool(cur.execute("SELECT to_regclass('table_versions') IS NOT NULL").fetchone()[0])
            if not self._has_shared:
                return {}
        names = sorted(tables)
        rows = cur.execute("INSERT INTO table_versions (table_name, version) VALUES "
                           + ", ".join(["(?, 1)"] * len(names))
                           + " ON CONFLICT (table_name) DO UPDATE SET version = table_versions.version + 1"
                           " RETURNING table_name, version", names).fetchall()
        return {str(t): int(v) for t, v in rows}

    def _saw(self, versions: dict[str, int]) -> set[str]:
        """Remember ``versions`` of ``table_versions``; returns the tables whose version is newer than last seen."""
        moved = set()
        with self._shared_lock:
            for t, v in versions.items():
                if v > self._shared.get(t, -1):  # versions only grow: an older answer (another thread's) moves nothing
                    self._shared[t] = v
                    moved.add(t)
        return moved

    def poll_versions(self) -> set[str]:
        """One SELECT of ``table_versions``: the tables another server (or process) wrote since this process last
        looked count as written here too (:meth:`version` moves, so the cached reads of those tables are computed
        again, :mod:`core.platform.cache`). Returns those tables (all of them at the first call)."""
        try:
            rows = self.fetch_all("SELECT table_name, version FROM table_versions")
        except duckdb.CatalogException:  # not migrated yet
            return set()
        moved = self._saw({str(r["table_name"]): int(r["version"]) for r in rows})
        if moved:
            self._committed(moved)
        return moved

    def on_commit(self, listener: Callable[[set[str]], None]) -> None:
        if listener not in self._listeners:
            self._listeners.append(listener)

    @property
    def write_lock(self) -> _WriteLock:
        return self._write_lock

    # ---- lifecycle ---------------------------------------------------------------------------------------
    def _check_open(self) -> None:
        if self._closed:
            raise DatabaseUnavailable("数据库连接已关闭")

    def close(self) -> None:
        """Idempotent."""
        if not self._closed:
            self._closed = True
            try:
                self._pool.close()
            finally:
                try:
                    self._lock_con.close()
                except Exception:  # noqa: BLE001
                    pass


class PgTransaction:
    """:class:`core.platform.db.Transaction` for PostgreSQL: a cursor inside an open transaction that remembers
    which tables it wrote; ``after_commit`` hooks run after COMMIT, still under the write lock."""

    def __init__(self, cursor: PgCursor, path: Path | None = None):
        self.cursor = cursor
        self.touched: set[str] = set()
        self.path = path
        self.after_commit: list[Callable[[], None]] = []

    def execute(self, sql: str, params: Any = None) -> PgCursor:
        return self.cursor.execute(sql, params)

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


def _dicts(cur: PgCursor) -> list[dict]:
    cols = [d[0] for d in cur.description or []]
    return [dict(zip(cols, row)) for row in cur.fetchall()]


NAME_SUFFIX = ".postgresql"


def local_name(url: str) -> Path:
    """``<HUBDESK_DATA_DIR>/<database>.postgresql``: the :attr:`PgDatabase.path` of ``url`` (and what
    ``config.load().db_path`` gives for it), beside which files such as the audit head file are kept."""
    return _data_dir() / f"{describe(url)['dbname']}{NAME_SUFFIX}"


ROOT = Path(__file__).resolve().parents[2]


def _data_dir() -> Path:
    value = os.environ.get("HUBDESK_DATA_DIR") or "data"
    p = Path(value)
    return p if p.is_absolute() else ROOT / p
