"""Small id -> name maps for pickers, reloaded only when their table has been written since; and the one
declaration of a choice list that lives in the database (:func:`id_names`)."""
from __future__ import annotations

import threading
from typing import Callable, Mapping

from core.platform.db import get_db
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
             key: str = "id", offered: Callable[[Mapping], bool] | None = None) -> Callable[[], dict]:
    """Declare the choice list ``source`` (``schemas.choices``) that lives in the database.

    Each row of ``sql`` (no parameters; its order is the list's order) is one choice: the value ``row[key]``,
    shown as ``label(row)`` (default: its ``name``). ``offered(row)`` false keeps a row out of the list a
    picker offers while its value is still shown by its label (a stopped mentor on an old record). The rows
    are read once and again only after a write to one of ``tables``. Returns the ``value -> label`` loader.
    """
    def load(db) -> tuple[dict, list]:
        rows = db.fetch_all(sql)
        return ({r[key]: label(r) for r in rows},
                [r[key] for r in rows if offered is None or offered(r)])

    def labels() -> dict:
        return cached_map(f"choices:{source}", tables, load)[0]

    # the cached list itself (choices.get copies it; choices.allowed keeps a set of it while it is the same)
    choices.register_provider(source, lambda: cached_map(f"choices:{source}", tables, load)[1],
                              lambda v: labels().get(v, str(v)))
    return labels
