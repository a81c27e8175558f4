"""Whose 孵化与能力建设 records a reader sees (issue 20), declared once.

- An organisation's own records belong to the organisation's hub (``organisations.hub_id``), read through it, with no
  column of their own: its mentor pairings, their sessions and agreed actions, its capability assessments and their
  scores, its stage changes, 入壳/出壳 decisions and ratings, and its sign-ins at trainings and their feedback
  (``VIA_*``: each entity's ``Entity.hub_via``; the write path refuses a write outside the actor's hub). A reader sees
  them for the organisations of its hubs (:func:`orgs_in`; its own hub and, read-only, the hubs below it); another
  hub's organisation opened by id reads as not found (:func:`require_org`).
- A training (能力培训) is organised by one hub (``trainings.hub_id``, migration 028, ``Entity.hub_owned``: only that
  hub's staff edit it). The rule of who sees it: **a training is visible to the hubs at or below its hub, and read by
  the hubs above it** — a street's training to that street (and, in the roll-up, to its district and the city); a
  district's or the city's training to every hub below it, whose staff sign their own organisations in
  (:func:`trainings_in`). A sign-in belongs to the attending organisation's hub: a street's staff record their own
  organisations at a district's training, and only organisations of the training's hub or of a hub below it may
  attend (:func:`may_attend`). A reader counts, per visible training, the sign-ins and feedback of its own
  organisations (a street reading a district's training sees its own attendees, the district all of them).
- Shared by every hub: the mentors (导师库, like the expert pool), the assessment instruments and the support map.
"""
from __future__ import annotations

from core.intake.scope import hubs as reader_hubs
from core.platform.actor import Actor
from core.platform.db import get_db
from core.platform.errors import NotFound

HUB_OF_ORG = "SELECT hub_id FROM organisations WHERE id = ?"
VIA_ORG = ("org_id", HUB_OF_ORG)
VIA_PAIRING = ("pairing_id", "SELECT o.hub_id FROM mentor_pairings p JOIN organisations o ON o.id = p.org_id"
                             " WHERE p.id = ?")
VIA_SESSION = ("session_id", "SELECT o.hub_id FROM mentoring_sessions s JOIN mentor_pairings p ON p.id = s.pairing_id"
                             " JOIN organisations o ON o.id = p.org_id WHERE s.id = ?")
VIA_ASSESSMENT = ("assessment_id", "SELECT o.hub_id FROM assessments a JOIN organisations o ON o.id = a.org_id"
                                   " WHERE a.id = ?")
VIA_ATTENDANCE = ("attendance_id", "SELECT o.hub_id FROM training_attendance a JOIN organisations o ON o.id = a.org_id"
                                   " WHERE a.id = ?")

# the hubs whose trainings a reader of the hubs at {marks} sees: for each hub that organises trainings, its subtree
# (the hub itself even without a row in hubs); kept where one of the reader's hubs is in it
_TRAINING_HUBS = ("WITH RECURSIVE down(top, id) AS (SELECT DISTINCT hub_id, hub_id FROM trainings"
                  " UNION SELECT d.top, h.id FROM hubs h JOIN down d ON h.parent_id = d.id)"
                  " SELECT top FROM down WHERE id IN ({marks})")
# a list view's ``hub_sql`` (core.platform.listing.ListView) for the trainings table
TRAININGS_LISTED = f"hub_id IN ({_TRAINING_HUBS})"


def _marks(keep: tuple[int, ...], params: list | dict) -> str:
    if isinstance(params, dict):
        start = len([k for k in params if str(k).startswith("inc_hub_")])
        names = [f"inc_hub_{start + i}" for i in range(len(keep))]
        params.update({n: int(h) for n, h in zip(names, keep)})
        return ", ".join(f"${n}" for n in names)
    params.extend(int(h) for h in keep)
    return ", ".join("?" for _ in keep)


def orgs_in(column: str, params: list | dict, actor: Actor | None = None) -> str:
    """``column IN (the organisations of the reader's hubs)``, or ``true`` for every hub (the system, outside a
    screen); its values added to ``params`` (a list: appended; a dict: named ``$inc_hub_N``)."""
    keep = reader_hubs(actor)
    if keep is None:
        return "true"
    if not keep:
        return "false"
    return f"{column} IN (SELECT id FROM organisations WHERE hub_id IN ({_marks(keep, params)}))"


def trainings_in(column: str, params: list | dict, actor: Actor | None = None) -> str:
    """``column IN (the trainings the reader sees)`` (see the module docstring), or ``true``."""
    keep = reader_hubs(actor)
    if keep is None:
        return "true"
    if not keep:
        return "false"
    return f"{column} IN (SELECT id FROM trainings WHERE hub_id IN ({_TRAINING_HUBS.format(marks=_marks(keep, params))}))"


def org_visible(org_id, actor: Actor | None = None, db=None) -> bool:
    """May the reader open organisation ``org_id``'s incubation records?"""
    keep = reader_hubs(actor)
    if keep is None:
        return True
    if org_id is None:
        return False
    row = (db or get_db()).fetch_one(HUB_OF_ORG, [int(org_id)])
    return row is not None and row["hub_id"] in keep


def require_org(org_id, actor: Actor | None = None, db=None) -> None:
    """NotFound unless the reader may open organisation ``org_id`` (another hub's reads as missing)."""
    if not org_visible(org_id, actor, db):
        raise NotFound(f"社会组织(编号 {org_id})不存在")


def training_visible(training_id, actor: Actor | None = None, db=None, *, hubs: tuple[int, ...] | None = None) -> bool:
    """May the reader (or a reader of ``hubs``) see training ``training_id``?"""
    keep = hubs if hubs is not None else reader_hubs(actor)
    if keep is None:
        return True
    if training_id is None or not keep:
        return False
    params: list = [int(training_id)]
    marks = _marks(tuple(keep), params)
    return (db or get_db()).fetch_one(
        f"SELECT id FROM trainings WHERE id = ? AND hub_id IN ({_TRAINING_HUBS.format(marks=marks)})", params) is not None


def may_attend(training_id, org_id, db=None) -> bool:
    """May organisation ``org_id`` attend training ``training_id`` (the training's hub is the organisation's hub or
    one above it)?"""
    db = db or get_db()
    row = db.fetch_one(HUB_OF_ORG, [int(org_id)])
    return row is not None and training_visible(training_id, db=db, hubs=(int(row["hub_id"]),))
