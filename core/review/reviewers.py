"""评审专家: expert profiles, declared affiliations, and conflicts of interest.

An expert is an account with the reviewer role, and belongs to the account's hub (``users.hub_id``). The expert pool is
shared down the hub tree: an expert of a district (钱塘区) or of the city (杭州市) is in the pool of every street hub
below it, a street's own experts only in that street's. The pool a round's assignment draws from is the experts of the
round's hub and of its ancestors (:func:`pool`); conflicts of interest are still checked per application, whatever
hub the expert and the round are of. An expert's profile and declared affiliations are kept by the expert's own hub
(``hub_via``: the account's hub): a street's staff read a district expert's profile, the district's admin edits it."""
from __future__ import annotations

import datetime as dt
from typing import Callable

import pandas as pd

from core.orgs import hubs
from core.platform import records
from core.platform.listing import Rows
from core.platform.actor import Actor, acting
from core.platform.db import get_db
from core.platform.entities import Entity, register
from core.platform.errors import NotFound, ValidationFailed
from core.platform.lookups import cached_map, id_names
from schemas.review import Affiliation, ReviewerProfile

STAFF = frozenset({"admin", "staff"})
HUB_OF_EXPERT = "SELECT hub_id FROM users WHERE username = ?"  # an expert's hub: their account's

PROFILE = register(Entity(
    name="reviewer_profile", table="reviewer_profiles", label="专家档案", schema=ReviewerProfile, write_roles=STAFF,
    key="username", key_generated=False, title_field="username",
    hub_via=("username", HUB_OF_EXPERT),  # kept by the expert's own hub (read-only for the hubs that share the pool)
))
AFFILIATION = register(Entity(
    name="affiliation", table="reviewer_affiliations", label="专家关联组织", schema=Affiliation, write_roles=STAFF,
    title_field="relation", hub_via=("username", HUB_OF_EXPERT),
))

# Other sources of conflict (e.g. mentoring, once incubation lands) register a function
# (reviewer, org_id, today) -> list of reasons.
CONFLICT_SOURCES: list[Callable[[str, int, dt.date], list[str]]] = []


def _hub_filter(keep: tuple[int, ...] | None) -> tuple[str, tuple]:
    if keep is None:
        return "", ()
    if not keep:
        return " AND false", ()
    return f" AND coalesce(u.hub_id, 1) IN ({', '.join('?' for _ in keep)})", tuple(int(h) for h in keep)


def visible_hubs(actor: Actor | None = None, db=None) -> tuple[int, ...] | None:
    """The hubs whose experts ``actor`` (else the screen's user; None outside a screen: every hub) sees on 评审专家:
    their own hub's, those of the hubs below it (read-only roll-up) and those of the hubs above it (the shared pool)."""
    who = actor if actor is not None else acting()
    return None if who is None else hubs.shared_with(who, db)


def reviewer_rows(actor: Actor | None = None, *, keep: tuple[int, ...] | None = None) -> Rows:
    """Active accounts with the reviewer role, with their profile and hub, by username (the 评审专家 list, paged in
    the database): the experts of the reader's hubs and of the hubs above (:func:`visible_hubs`), or of ``keep``."""
    where, params = _hub_filter(keep if keep is not None else visible_hubs(actor))
    return Rows("SELECT u.username, u.name, p.title, p.employer, array_to_string(p.expertise, '、') AS expertise,"
                " p.load_cap, h.name AS hub, coalesce(u.hub_id, 1) AS hub_id FROM users u"
                " LEFT JOIN reviewer_profiles p ON p.username = u.username LEFT JOIN hubs h ON h.id = coalesce(u.hub_id, 1)"
                " WHERE u.active AND list_contains(u.roles, 'reviewer')" + where, "username", params)


def reviewers(db=None, *, actor: Actor | None = None, keep: tuple[int, ...] | None = None) -> pd.DataFrame:
    """Active accounts with the reviewer role, with their profile (those :func:`reviewer_rows` lists)."""
    return reviewer_rows(actor, keep=keep).all(db)


def pool_hubs(round_id: int, db=None) -> tuple[int, ...]:
    """The hubs whose experts a round draws from: the round's hub and every hub above it."""
    db = db or get_db()
    row = db.fetch_one("SELECT hub_id FROM rounds WHERE id = ?", [round_id])
    return hubs.ancestors(int(row["hub_id"]) if row and row["hub_id"] is not None else 1, db)


def pool(round_id: int, db=None) -> pd.DataFrame:
    """The round's expert pool: the active experts of the round's hub and of its ancestors (a district's and the
    city's experts are shared by every street below; a street's own are its alone)."""
    db = db or get_db()
    return reviewers(db, keep=pool_hubs(round_id, db))


def in_pool(username: str, round_id: int, db=None) -> bool:
    db = db or get_db()
    row = db.fetch_one("SELECT coalesce(hub_id, 1) AS hub_id FROM users WHERE username = ?", [username])
    return row is not None and int(row["hub_id"]) in pool_hubs(round_id, db)


def editable(username: str, actor: Actor, db=None) -> bool:
    """May ``actor`` edit the expert's profile and affiliations (an expert of their own hub; the system: every one)?
    A street's staff read the district's and the city's experts, whose own hub keeps them."""
    if actor.system:
        return True
    row = (db or get_db()).fetch_one(HUB_OF_EXPERT, [username])
    return row is not None and actor.writes(row["hub_id"] if row["hub_id"] is not None else 1)


def hub_of(username: str, db=None) -> str:
    """The full name of the expert's hub."""
    row = (db or get_db()).fetch_one("SELECT h.name FROM users u JOIN hubs h ON h.id = coalesce(u.hub_id, 1)"
                                     " WHERE u.username = ?", [username])
    return row["name"] if row else ""


def person_names(db=None) -> dict[str, str]:
    """Every account's 姓名 by username, for screens and documents (people by name, never by account).
    Two people of the same name are told apart by their account."""

    def load(database) -> dict[str, str]:
        rows = database.fetch_all("SELECT username, name FROM users ORDER BY username")
        seen: dict[str, int] = {}
        for r in rows:
            seen[r["name"] or ""] = seen.get(r["name"] or "", 0) + 1
        return {r["username"]: (r["name"] if r["name"] and seen[r["name"]] == 1 else f"{r['name'] or '未命名'}({r['username']})")
                for r in rows}

    if db is not None:
        return load(db)  # an open transaction (or a database passed in): read it directly
    return cached_map("person_names", ("users",), load)


def person(username: str | None, db=None) -> str:
    """One person's 姓名 (the account itself only if it is unknown)."""
    if not username:
        return ""
    return person_names(db).get(username, username)


def profile(username: str, db=None) -> dict | None:
    db = db or get_db()
    return db.fetch_one("SELECT * FROM reviewer_profiles WHERE username = ?", [username])


def profiles(db=None) -> dict[str, dict]:
    """Every expert's profile by username (one read; see :func:`profile`)."""
    db = db or get_db()
    return {r["username"]: r for r in db.fetch_all("SELECT * FROM reviewer_profiles")}


def save_profile(username: str, values: dict, actor: Actor, db=None) -> None:
    db = db or get_db()
    if not db.scalar("SELECT count(*) FROM users WHERE username = ? AND list_contains(roles, 'reviewer')", [username]):
        raise NotFound(f"{username} 不是评审专家账号")
    if profile(username, db) is None:
        records.create(PROFILE, values, actor, db=db, system={"username": username})
    else:
        records.update(PROFILE, username, values, actor, db=db)


def affiliations(username: str | None = None, db=None, *, actor: Actor | None = None) -> pd.DataFrame:
    """The declared affiliations (``username``'s, else every expert's), of the organisations the reader reads (the
    screen's user's hubs; every one outside a screen): another hub's organisation is not named to a hub user, while
    the conflict check (:func:`conflicts`) uses them all."""
    db = db or get_db()
    where, params = ("WHERE a.username = ?", [username]) if username else ("WHERE true", [])
    who = actor if actor is not None else acting()
    if who is not None and not who.system:
        keep = who.hubs or ()
        where += f" AND coalesce(o.hub_id, 1) IN ({', '.join('?' for _ in keep)})" if keep else " AND false"
        params += [int(h) for h in keep]
    return db.fetch_df(
        "SELECT a.id, a.username, a.org_id, o.name AS org, a.relation, a.note FROM reviewer_affiliations a"
        f" JOIN organisations o ON o.id = a.org_id {where} ORDER BY a.username, o.name", params)


def add_affiliation(username: str, values: dict, actor: Actor, db=None) -> int:
    db = db or get_db()
    rec = records.clean(AFFILIATION, values)
    if db.scalar("SELECT count(*) FROM reviewer_affiliations WHERE username = ? AND org_id = ? AND relation = ?",
                 [username, rec["org_id"], rec["relation"]]):
        raise ValidationFailed(form=["该关联已登记"])
    return records.create(AFFILIATION, values, actor, db=db, system={"username": username})


def remove_affiliation(affiliation_id: int, actor: Actor, db=None) -> None:
    records.delete(AFFILIATION, affiliation_id, actor, db=db)


def conflicts(username: str, org_id: int, today: dt.date | None = None, db=None) -> list[str]:
    """Why ``username`` may not review an application of ``org_id`` (empty: no conflict)."""
    db = db or get_db()
    today = today or dt.date.today()
    reasons = [f"已申报与该组织的关系:{r['relation']}" for r in db.fetch_all(
        "SELECT relation FROM reviewer_affiliations WHERE username = ? AND org_id = ?", [username, org_id])]
    for source in CONFLICT_SOURCES:
        reasons += source(username, org_id, today)
    return reasons


def conflict_pairs(db=None) -> set[tuple[str, int]]:
    """Every (reviewer, organisation) pair in conflict, for planning many assignments at once."""
    db = db or get_db()
    pairs = {(r["username"], int(r["org_id"])) for r in db.fetch_all("SELECT username, org_id FROM reviewer_affiliations")}
    for source in CONFLICT_SOURCES:
        bulk = getattr(source, "pairs", None)
        if bulk is not None:
            pairs |= bulk(db)
    return pairs


def install_providers() -> None:
    """``reviewers``: the active accounts with the reviewer role, shown as 「姓名(用户名)」."""
    id_names("reviewers", ("users",),
             "SELECT username, name FROM users WHERE active AND list_contains(roles, 'reviewer') ORDER BY username",
             lambda r: f"{r['name']}({r['username']})", key="username")
