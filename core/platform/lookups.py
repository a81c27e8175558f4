"""Small id -> name maps for pickers, reloaded only when their table has been written since; and the one
declaration of a choice list that lives in the database (:func:`id_names`)."""
from __future__ import annotations

import threading
from typing import Callable, Mapping

from core.platform.actor import acting
from core.platform.db import get_db
from core.platform.entities import SHARED_HUBS_SQL
from schemas import choices

_cache: dict[str, tuple[tuple, dict]] = {}
_lock = threading.Lock()


def cached_map(name: str, tables: tuple[str, ...], loader: Callable[[object], dict]) -> dict:
    """``loader(db)`` result, kept until one of ``tables`` changes (or another database is opened)."""
    db = get_db()
    stamp = (id(db), str(db.path), db.version(*tables))
    with _lock:
        hit = _cache.get(name)
        if hit and hit[0] == stamp:
            return hit[1]
    value = loader(db)
    with _lock:
        _cache[name] = (stamp, value)
    return value


def _name(row: Mapping) -> str:
    return row["name"]


def id_names(source: str, tables: tuple[str, ...], sql: str, label: Callable[[Mapping], str] = _name, *,
             key: str = "id", offered: Callable[[Mapping], bool] | None = None,
             hub_column: str | None = None, shared: bool = False) -> Callable[[], dict]:
    """Declare the choice list ``source`` (``schemas.choices``) that lives in the database.

    Each row of ``sql`` (no parameters; its order is the list's order) is one choice: the value ``row[key]``,
    shown as ``label(row)`` (default: its ``name``). ``offered(row)`` false keeps a row out of the list a
    picker offers while its value is still shown by its label (a stopped mentor on an old record). The rows
    are read once and again only after a write to one of ``tables``. Returns the ``value -> label`` loader.

    ``hub_column``: the column of ``sql`` that names each row's hub (a hub-owned table, ``core.orgs.hubs``): a screen's
    picker, and the check of what it submits, offer only the rows of the signed-in user's hubs
    (:func:`core.platform.actor.acting`); outside a screen every row. Labels name every row whatever the hub.
    ``shared``: the rows are a registry shared down the hub tree (``Entity.hub_shared``: partners): the user's hubs and
    every hub above them.
    """
    def load(db) -> tuple[dict, list, dict]:
        rows = db.fetch_all(sql)
        return ({r[key]: label(r) for r in rows},
                [r[key] for r in rows if offered is None or offered(r)],
                {r[key]: r[hub_column] for r in rows} if hub_column else {})

    def labels() -> dict:
        return cached_map(f"choices:{source}", tables, load)[0]

    def values() -> list:
        everyone = cached_map(f"choices:{source}", tables, load)[1]
        who = acting()
        if hub_column is None or who is None or who.system:
            return everyone
        hubs = who.hubs or ()

        def mine(db) -> list:
            _, every, hub_of = cached_map(f"choices:{source}", tables, load)
            keep = set(hubs)
            if shared and hubs:
                keep = {r["id"] for r in db.fetch_all(SHARED_HUBS_SQL.format(marks=", ".join("?" for _ in hubs)),
                                                      list(hubs))}
            return [v for v in every if hub_of.get(v) in keep]

        return cached_map(f"choices:{source}:hubs:{','.join(map(str, hubs))}", (*tables, "hubs") if shared else tables,
                          mine)

    # the cached list itself (choices.get copies it; choices.allowed keeps a set of it while it is the same)
    choices.register_provider(source, values, lambda v: labels().get(v, str(v)), labels)
    return labels
