"""Small id -> name maps for pickers, reloaded only when their table has been written since."""
from __future__ import annotations

import threading
from typing import Callable

from core.db import get_db

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
