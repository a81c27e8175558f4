"""评审专家: expert profiles, declared affiliations, and conflicts of interest."""
from __future__ import annotations

import datetime as dt
from typing import Callable

import pandas as pd

from core.platform import records
from core.platform.listing import Rows
from core.platform.actor import Actor
from core.platform.db import get_db
from core.platform.entities import Entity, register
from core.platform.errors import NotFound, ValidationFailed
from core.platform.lookups import cached_map, id_names
from schemas.review import Affiliation, ReviewerProfile

STAFF = frozenset({"admin", "staff"})

PROFILE = register(Entity(
    name="reviewer_profile", table="reviewer_profiles", label="专家档案", schema=ReviewerProfile, write_roles=STAFF,
    key="username", key_generated=False, title_field="username",
))
AFFILIATION = register(Entity(
    name="affiliation", table="reviewer_affiliations", label="专家关联组织", schema=Affiliation, write_roles=STAFF,
    title_field="relation",
))

# Other sources of conflict (e.g. mentoring, once incubation lands) register a function
# (reviewer, org_id, today) -> list of reasons.
CONFLICT_SOURCES: list[Callable[[str, int, dt.date], list[str]]] = []


def reviewer_rows() -> Rows:
    """Active accounts with the reviewer role, with their profile, by username (the 评审专家 list, paged in
    the database)."""
    return Rows("SELECT u.username, u.name, p.title, p.employer, array_to_string(p.expertise, '、') AS expertise,"
                " p.load_cap FROM users u LEFT JOIN reviewer_profiles p ON p.username = u.username"
                " WHERE u.active AND list_contains(u.roles, 'reviewer')", "username")


def reviewers(db=None) -> pd.DataFrame:
    """Active accounts with the reviewer role, with their profile."""
    return reviewer_rows().all(db)


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


def affiliations(username: str | None = None, db=None) -> pd.DataFrame:
    db = db or get_db()
    where, params = ("WHERE a.username = ?", [username]) if username else ("", [])
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
