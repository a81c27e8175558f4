"""Whose 资源与需求 a read keeps (issue 20, migration 027): a hub's venues, equipment, bookings, needs, volunteers,
survey instruments, people served and publicity carry their hub (``hub_id``); what hangs under one reads its hub
through its parent (the entities' ``hub_via``). Every read of :mod:`core.resources` takes ``hubs``:

- :data:`READER` (the default): the hubs of the signed-in user of the screen being drawn
  (:func:`core.intake.scope.hubs`), every hub outside a screen (start-up, demo data, core callers);
- a tuple of hub ids (a dashboard's :attr:`core.dashboards.dashboard.Filters.hubs`), or None for every hub.
"""
from __future__ import annotations

from core.intake import scope
from core.platform.actor import Actor
from core.platform.errors import NotFound

READER = "reader"  # the default ``hubs`` of a read: the screen's user's


def keep(hubs=READER) -> tuple[int, ...] | None:
    """The hubs a read keeps (None: every hub)."""
    return scope.hubs() if hubs == READER else (None if hubs is None else tuple(int(h) for h in hubs))


def within(column: str, params: list | dict, hubs=READER) -> str:
    """``column IN (the hubs)`` (``true`` for every hub, ``false`` for none), its values added to ``params`` (a list:
    appended, for ``?``; a dict: named ``$res_hub_N``)."""
    kept = keep(hubs)
    if kept is None:
        return "true"
    if not kept:
        return "false"
    if isinstance(params, dict):
        names = [f"res_hub_{len(params) + i}" for i in range(len(kept))]
        params.update(zip(names, kept))
        return f"{column} IN ({', '.join('$' + n for n in names)})"
    params.extend(kept)
    return f"{column} IN ({', '.join('?' for _ in kept)})"


def require(row: dict | None, what: str, key, actor: Actor | None = None) -> dict:
    """``row`` (with its ``hub_id``) unless it is missing or of a hub the reader does not read: then NotFound in
    the words of a missing record (``what``: e.g. 「预约」)."""
    kept = scope.hubs(actor)
    if row is None or (kept is not None and row.get("hub_id") not in kept):
        raise NotFound(f"{what}(编号 {key})不存在")
    return row


def keep_activity(tx, activity: dict, hub) -> bool:
    """Is the ledger activity (its project's round's hub, :mod:`core.intake.scope`) of ``hub``?"""
    row = tx.fetch_one(scope.HUB_OF_PROJECT, [activity["project_id"]])
    return row is not None and row["hub_id"] == hub


_PROJECTS = ("SELECT p.id FROM projects p JOIN applications a ON a.id = p.application_id"
             " JOIN rounds r ON r.id = a.round_id WHERE r.hub_id IN ({marks})")


def projects_within(column: str, params: list, hubs=READER) -> str:
    """``column IN (the projects funded in the rounds of the hubs)`` (``true`` for every hub), as :func:`within`."""
    kept = keep(hubs)
    if kept is None:
        return "true"
    if not kept:
        return "false"
    params.extend(kept)
    return f"{column} IN ({_PROJECTS.format(marks=', '.join('?' for _ in kept))})"
