"""Whose 公益创投 a reader sees: the chain belongs to the hub of its round (``rounds.hub_id``, migration 025).

A round is a hub's own record (``Entity.hub_owned``); its ideas carry their hub too (an idea may come before any
round). Everything after it belongs to the round's hub: applications (only from organisations of that hub), their
screening, review, decisions and notice, the projects funded from them and each project's tranches, ledger,
expenses, evaluations, risks and documents. Declared once here:

- :func:`hubs`: the hubs a read keeps: the given actor's, else those of the signed-in user of the screen being
  drawn (:func:`core.platform.actor.acting`), else None (every hub: start-up, demo data, the command line, the
  reminder job, core callers outside a screen).
- :func:`rounds_in`, :func:`applications_in`, :func:`projects_in`: the SQL condition "this column names a round /
  an application / a project of those hubs", its values added to the query's parameters (a list: appended, so the
  condition goes where its ``?`` are; a dict: named ``$scope_hub_N``).
- :func:`visible`: may the reader open this round / application / project (a detail opened by id shows another
  hub's record as not found).
- ``VIA_ROUND`` / ``VIA_APPLICATION`` / ``VIA_PROJECT``: an entity's ``hub_via`` (:mod:`core.platform.entities`):
  the write path reads a row's hub through its parent and refuses a write outside the actor's hub.
"""
from __future__ import annotations

from core.platform import documents
from core.platform.actor import Actor, acting
from core.platform.db import get_db
from core.platform.errors import NotFound
from schemas.application import Application
from schemas.columns import label

# a row's hub through its parent (one ``?``: the parent's id), for the write path (``Entity.hub_via``)
HUB_OF_ROUND = "SELECT hub_id FROM rounds WHERE id = ?"
HUB_OF_APPLICATION = "SELECT r.hub_id FROM applications a JOIN rounds r ON r.id = a.round_id WHERE a.id = ?"
HUB_OF_PROJECT = ("SELECT r.hub_id FROM projects p JOIN applications a ON a.id = p.application_id"
                  " JOIN rounds r ON r.id = a.round_id WHERE p.id = ?")
VIA_ROUND = ("round_id", HUB_OF_ROUND)
VIA_APPLICATION = ("application_id", HUB_OF_APPLICATION)
VIA_PROJECT = ("project_id", HUB_OF_PROJECT)
# the chain's records that carry attachments (core.platform.documents): an application's, a ledger activity's
documents.OWNER_HUBS.update({
    "applications": HUB_OF_APPLICATION,
    "activities": ("SELECT r.hub_id FROM activities x JOIN projects p ON p.id = x.project_id JOIN applications a"
                   " ON a.id = p.application_id JOIN rounds r ON r.id = a.round_id WHERE x.id = ?"),
})

# the ids of the rounds / applications / projects of some hubs ({marks}: one placeholder per hub)
_OF = {
    "hub": "{marks}",  # a table with its own hub column: the hubs themselves
    "round": "SELECT id FROM rounds WHERE hub_id IN ({marks})",
    "application": "SELECT a.id FROM applications a JOIN rounds r ON r.id = a.round_id WHERE r.hub_id IN ({marks})",
    "project": ("SELECT p.id FROM projects p JOIN applications a ON a.id = p.application_id"
                " JOIN rounds r ON r.id = a.round_id WHERE r.hub_id IN ({marks})"),
}


def hubs(actor: Actor | None = None) -> tuple[int, ...] | None:
    """The hubs a read keeps: ``actor``'s, else the screen's user's; None (every hub) for the system or outside a
    screen."""
    who = actor if actor is not None else acting()
    return None if who is None else who.hubs


def _in(kind: str, column: str, keep: tuple[int, ...] | None, params: list | dict) -> str:
    if keep is None:
        return "true"
    if not keep:
        return "false"
    if isinstance(params, dict):
        start = len([k for k in params if str(k).startswith("scope_hub_")])
        names = [f"scope_hub_{start + i}" for i in range(len(keep))]
        params.update({n: int(h) for n, h in zip(names, keep)})
        marks = ", ".join(f"${n}" for n in names)
    else:
        params.extend(int(h) for h in keep)
        marks = ", ".join("?" for _ in keep)
    return f"{column} IN ({_OF[kind].format(marks=marks)})"


def rounds_in(column: str, params: list | dict, actor: Actor | None = None) -> str:
    """``column IN (the rounds of the reader's hubs)``, or ``true`` for every hub; its values added to ``params``."""
    return _in("round", column, hubs(actor), params)


def applications_in(column: str, params: list | dict, actor: Actor | None = None) -> str:
    """``column IN (the applications of the rounds of the reader's hubs)``, or ``true``."""
    return _in("application", column, hubs(actor), params)


def projects_in(column: str, params: list | dict, actor: Actor | None = None) -> str:
    """``column IN (the projects funded in the rounds of the reader's hubs)``, or ``true``."""
    return _in("project", column, hubs(actor), params)


def hub_owned_in(column: str, params: list | dict, actor: Actor | None = None) -> str:
    """``column IN (the reader's hubs)`` for a table with its own hub column (rounds, ideas), or ``true``."""
    return _in("hub", column, hubs(actor), params)


_HUB_OF = {"round": HUB_OF_ROUND, "application": HUB_OF_APPLICATION, "project": HUB_OF_PROJECT}


def visible(kind: str, key, actor: Actor | None = None, db=None) -> bool:
    """May the reader open round / application / project ``key``? (True for every hub outside a screen; False for a
    record of a hub outside the reader's, as for a missing one.)"""
    keep = hubs(actor)
    if keep is None:
        return True
    if key is None:
        return False
    row = (db or get_db()).fetch_one(_HUB_OF[kind], [key])
    return row is not None and row["hub_id"] in keep


def listed(kind: str, column: str) -> str:
    """A list view's ``hub_sql`` (:class:`core.platform.listing.ListView`): ``column`` names a round / application /
    project of the hubs whose placeholders go at ``{marks}``."""
    return f"{column} IN ({_OF[kind]})"


_LABEL = {"round": label("round_id", of=Application), "application": "申报项目", "project": "立项项目"}


def require(kind: str, key, actor: Actor | None = None, db=None) -> None:
    """NotFound, in the words of a missing record, unless the reader may open round / application / project ``key``
    (a reader of one round's or one application's records starts here: another hub's id reads as not found)."""
    if not visible(kind, key, actor, db):
        raise NotFound(f"{_LABEL[kind]}(编号 {key})不存在")
