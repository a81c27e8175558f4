"""The dashboards' figures computed before their first visit (issue 17).

A dashboard's figures are cached reads (:mod:`core.platform.cache`): computed once, kept until a table they read
is written. Without this, the first person to open 数据总览 / 专题分析 / 会议大屏 / 资源与需求总览 after a server start pays for
computing every figure (at 100x, the city's data, most of a second). :func:`start` computes them once in a
background thread after the start, for every hub whose accounts may open the dashboards, with the filters those
screens open with (no filter but the reader's hubs): the same cache keys a screen then asks for, so its first visit
reads them. A write after that makes the figures of the tables it wrote stale as before (they are computed again at
the next visit, as any cached read).

Off with ``HUBDESK_WARM_DASHBOARDS=0`` (the tests' servers: each test starts a server of its own).
"""
from __future__ import annotations

import logging
import threading
import time

from core.dashboards import dashboard
from core.dashboards import resources as res
from core.orgs import hubs as hub_tree
from core.platform import config
from core.platform.actor import DEFAULT_HUB, Actor, act_as

log = logging.getLogger(__name__)

_started: set[str] = set()
_lock = threading.Lock()
last_run: dict = {}  # what the last warm-up did (scopes, figures, seconds): for the benchmark and the tests


def readers(db, roles) -> list[tuple[int, ...]]:
    """The hub scopes to warm: of each hub with an active account with one of ``roles`` (those that may open
    数据总览: the server's entry point passes them from the pages registry), the hubs its users read (the hub and
    those below it), widest first."""
    roles = list(roles)
    marks = ", ".join("?" for _ in roles)
    rows = db.fetch_all("SELECT DISTINCT coalesce(hub_id, ?) AS hub_id FROM users WHERE active"
                        f" AND list_has_any(roles, [{marks}])", [DEFAULT_HUB, *roles])
    scopes = {tuple(sorted(hub_tree.subtree(int(r["hub_id"]), db) or {int(r["hub_id"])})) for r in rows}
    return sorted((s for s in scopes if s), key=lambda s: (-len(s), s))


def warm(db, roles) -> dict:
    """Compute, for every scope of :func:`readers`, what the dashboards show on their first run: the filter bar's
    choices, every query of :data:`dashboard.QUERIES`, the KPIs and headline figures, the resources dashboard's
    headline and queries and, for a scope of several hubs, 各枢纽对比. Returns (and keeps in :data:`last_run`) what it did."""
    started = time.perf_counter()
    scopes = readers(db, roles)
    figures = 0
    for scope in scopes:
        act_as(Actor("warm-up", ("leader",), hub_id=scope[0], scope=frozenset(scope)))  # the filter bar's choices
        try:
            dashboard.filter_options(db)
            dashboard.hub_choices(scope, db)
            f = dashboard.Filters(hubs=scope).resolved()
            for name in dashboard.QUERIES:
                dashboard.run(name, f, db)
                figures += 1
            dashboard.headline(db=db, hubs=scope)
            res.headline(f, db)
            for name in res.QUERIES:  # 资源与需求总览
                res.run(name, f, db)
            figures += 2 + len(res.QUERIES)
            if len(scope) > 1:
                dashboard.comparison(f, db)
                figures += 1
        finally:
            act_as(None)
    done = {"scopes": len(scopes), "figures": figures, "seconds": round(time.perf_counter() - started, 3)}
    last_run.clear()
    last_run.update(done)
    return done


def start(db, roles, settings: config.Settings | None = None) -> threading.Thread | None:
    """Once per process and database: :func:`warm` for the readers with ``roles`` in a background thread (None when
    it is off or already ran).
    A failure is logged and changes nothing: the figures are then computed at their first visit."""
    s = settings or config.load()
    if not s.warm_dashboards:
        return None
    key = str(getattr(db, "url", None) or db.path)
    with _lock:
        if key in _started:
            return None
        _started.add(key)

    def run() -> None:
        try:
            done = warm(db, roles)
            log.info("HubDesk: dashboards warmed (%s scopes, %s figures, %.1f s)", done["scopes"], done["figures"],
                     done["seconds"])
        except Exception:  # noqa: BLE001 - only a head start: the screens compute what is missing themselves
            log.exception("HubDesk: warming the dashboards failed; they are computed at their first visit")

    thread = threading.Thread(target=run, name="hubdesk-warm-dashboards", daemon=True)
    thread.start()
    return thread
