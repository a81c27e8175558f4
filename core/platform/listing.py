"""Generic list views: declared columns, search, filters, sort and pages, built as parameterised SQL.

Column and filter SQL comes only from these declarations (never from the user); user input is only
ever a bound parameter.
"""
from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field

import pandas as pd

from core.platform.db import get_db
from core.platform.entities import SHARED_HUBS_SQL, Entity
from schemas import choices
from schemas.text import normalise


@dataclass(frozen=True)
class Column:
    name: str
    label: str
    sql: str | None = None  # expression; defaults to the column itself

    @property
    def expr(self) -> str:
        return self.sql or self.name


@dataclass(frozen=True)
class Filter:
    name: str
    label: str
    sql: str
    source: str | None = None
    options: tuple[str, ...] = ()
    contains: bool = False  # ``sql`` is a list column: keep rows whose list holds any chosen value

    def choices(self) -> list[str]:
        return choices.get(self.source) if self.source else list(self.options)


@dataclass(frozen=True)
class ListView:
    entity: Entity
    columns: tuple[Column, ...]
    search: tuple[str, ...] = ()
    filters: tuple[Filter, ...] = ()
    default_sort: str = "id"
    default_desc: bool = False
    base_where: str = ""  # fixed condition (declared, not user input)
    search_hint: str = "搜索"
    # the rows of some hubs (``Query.hubs``) for a view whose entity has no hub column of its own: a condition with
    # ``{marks}`` where the hubs' placeholders go (an application's round is of one of them, core.intake.scope)
    hub_sql: str = ""

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)


@dataclass
class Query:
    search: str = ""
    filters: dict[str, list[str]] = field(default_factory=dict)
    sort: str | None = None
    desc: bool = False
    page: int = 1
    page_size: int = 50
    # the hubs whose rows a hub-owned view shows (``Entity.hub_owned``: the signed-in actor's ``hubs``); None: every
    # hub (the system, a core caller that is not a screen)
    hubs: tuple[int, ...] | None = None


def like_literal(text: str) -> str:
    """``text`` for a LIKE pattern with ``ESCAPE '\\'``: the user's % and _ match themselves."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _where(view: ListView, q: Query) -> tuple[str, list]:
    parts, params = [], []
    if view.base_where:
        parts.append(f"({view.base_where})")
    if (view.entity.hub_owned or view.hub_sql) and q.hubs is not None:
        marks = ", ".join("?" for _ in q.hubs)
        parts.append(("false" if not q.hubs else f"({view.hub_sql.format(marks=marks)})" if view.hub_sql
                      else f"hub_id IN ({SHARED_HUBS_SQL.format(marks=marks)})" if view.entity.hub_shared
                      else f"hub_id IN ({marks})"))  # a shared registry: the hubs read and those above them
        params += [int(h) for h in q.hubs]
    text = normalise(q.search or "")  # as stored: no invisible characters, NFC
    if text and view.search:
        # full-width letters and digits (a pasted 统一社会信用代码) also match their half-width form, as stored
        terms = list(dict.fromkeys((text, unicodedata.normalize("NFKC", text))))
        parts.append("(" + " OR ".join(f"CAST({c} AS VARCHAR) ILIKE ? ESCAPE '\\'" for c in view.search
                                       for _ in terms) + ")")
        params += [f"%{like_literal(t)}%" for _ in view.search for t in terms]
    by_name = {f.name: f for f in view.filters}
    for name, values in (q.filters or {}).items():
        if not values or name not in by_name:
            continue
        marks = ", ".join("?" for _ in values)
        if by_name[name].contains:
            parts.append(f"list_has_any({by_name[name].sql}, [{marks}])")
        else:
            parts.append(f"({by_name[name].sql}) IN ({marks})")
        params += list(values)
    return ("WHERE " + " AND ".join(parts)) if parts else "", params


def _select(view: ListView) -> str:
    return ", ".join(f"{c.expr} AS {c.name}" for c in view.columns)


def _order(view: ListView, q: Query) -> str:
    names = {c.name for c in view.columns}
    sort = q.sort if q.sort in names else view.default_sort
    desc = q.desc if q.sort in names else view.default_desc
    return f"ORDER BY {sort} {'DESC' if desc else 'ASC'} NULLS LAST, {view.entity.key}"


def fetch_page(view: ListView, q: Query, db=None) -> tuple[pd.DataFrame, int, int]:
    """One page of rows, the total matching count, and the page number served (clamped to the range)."""
    db = db or get_db()
    where, params = _where(view, q)
    table = view.entity.table
    total = int(db.scalar(f"SELECT count(*) FROM {table} {where}", params))
    size = max(1, int(q.page_size))
    page = min(max(1, int(q.page)), max(1, -(-total // size)))
    df = db.fetch_df(
        f"SELECT {_select(view)} FROM {table} {where} {_order(view, q)} LIMIT ? OFFSET ?",
        params + [size, (page - 1) * size],
    )
    return df, total, page


def fetch_all(view: ListView, q: Query, db=None) -> pd.DataFrame:
    """Every matching row (for export), in the same order as the pages."""
    db = db or get_db()
    where, params = _where(view, q)
    return db.fetch_df(f"SELECT {_select(view)} FROM {view.entity.table} {where} {_order(view, q)}", params)


def labelled(view: ListView, df: pd.DataFrame) -> pd.DataFrame:
    """The frame with Chinese column headers (for display and export)."""
    return df.rename(columns={c.name: c.label for c in view.columns})


@dataclass(frozen=True)
class Rows:
    """A report's rows shown a page at a time, each page cut in the database (``LIMIT``/``OFFSET`` over
    ``sql``), never in Python: at a city's scale a report (every rated organisation, every expert, every
    account) has thousands of rows, and a screen sends only the page it shows. ``count`` says how many there
    are; ``all`` gives every row in the same order (the Excel export).

    ``sql`` is a SELECT without ORDER BY; ``order`` orders its output columns (the pages' order; it should
    end with a unique column so that pages neither repeat nor skip rows); ``params`` are positional (a list)
    or named (a dict, ``$name`` in ``sql``)."""

    sql: str
    order: str
    params: tuple | dict = ()

    def count(self, db=None) -> int:
        db = db or get_db()
        params = dict(self.params) if isinstance(self.params, dict) else list(self.params)
        return int(db.scalar(f"SELECT count(*) FROM ({self.sql}) AS t", params))

    def page(self, page: int, size: int, db=None) -> tuple[pd.DataFrame, int, int]:
        """One page (1-based, clamped to the range), the total count, and the page number served."""
        db = db or get_db()
        total = self.count(db)
        size = max(1, int(size))
        page = min(max(1, int(page)), max(1, -(-total // size)))
        if isinstance(self.params, dict):
            params = {**self.params, "page_limit": size, "page_offset": (page - 1) * size}
            tail = "LIMIT $page_limit OFFSET $page_offset"
        else:
            params, tail = [*self.params, size, (page - 1) * size], "LIMIT ? OFFSET ?"
        return db.fetch_df(f"SELECT * FROM ({self.sql}) AS t ORDER BY {self.order} {tail}", params), total, page

    def all(self, db=None) -> pd.DataFrame:
        db = db or get_db()
        params = dict(self.params) if isinstance(self.params, dict) else list(self.params)
        return db.fetch_df(f"SELECT * FROM ({self.sql}) AS t ORDER BY {self.order}", params)
