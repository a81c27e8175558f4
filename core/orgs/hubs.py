"""枢纽网络: the hubs form a tree (市 → 区 → 街道), and every account and every hub-owned record belongs to one hub.

A street's centre (街道社会组织服务中心) is a hub; so are a district's and the city's. A user reads the records of their
own hub and, at a 区 or 市 hub, of every hub below it (:func:`subtree`, the actor's ``scope``), and writes only their
own hub's (``core.platform.records``: a roll-up is read-only). A single-hub install has one street hub, 本中心
(``core.platform.actor.DEFAULT_HUB``, made by migration 024), with no parent, and everything belongs to it.

The tree's rules, checked on every write of a hub under the write lock (:func:`_check_tree`): a hub's parent, when it
has one, is a hub of the level just above (a 区 under a 市, a 街道 under a 区; a 市 has none), and no hub is its own
ancestor. Only the top admin writes hubs: an admin of a hub without a parent (:func:`manages`); in the demo network
that is the city's admin, while the 下沙 centre's admin runs their own centre.
"""
from __future__ import annotations

from typing import Any

import pandas as pd

from core.platform import records, users
from core.platform.actor import DEFAULT_HUB, SYSTEM, Actor
from core.platform.db import get_db
from core.platform.entities import Entity, Rule, RuleContext, Unique, register
from core.platform.errors import NotFound, PermissionDenied, ValidationFailed
from core.platform.lookups import cached_map, id_names
from schemas.columns import columns, label, number
from schemas.hub import HUB_LEVELS, PARENT_LEVEL, Hub

NOT_TOP_ADMIN = ("只有最上级枢纽(没有上级枢纽的枢纽,如市级枢纽)的管理员可以新建或修改枢纽、调整账号所属枢纽;"
                 "请联系该枢纽的管理员办理。")


def _is_top_admin(actor: Actor, db) -> bool:
    return users.operates(actor, db)


def _top_admin(ctx: RuleContext, before: dict | None, after: dict | None) -> None:
    if not _is_top_admin(ctx.actor, ctx.db):
        raise PermissionDenied(NOT_TOP_ADMIN)


HUB = register(Entity(
    name="hub", table="hubs", label="枢纽", schema=Hub, title_field="name",
    hub_column="id",  # a hub's own row is that hub's (its audit rows: read by its admins and those above)
    unique=(Unique("name", "枢纽名称已被使用:「{title}」(编号 {key}),请换一个名称"),),
    rules=(Rule(says="最上级枢纽的管理员增改枢纽网络", actions=frozenset({"create", "update"}),
                check=_top_admin, roles=frozenset({"admin"})),),
))


def manages(actor: Actor | None, db=None) -> bool:
    """Is ``actor`` the top admin (an admin of a hub without a parent), who may add and edit hubs?"""
    return actor is not None and _is_top_admin(actor, db or get_db())


DEFAULT_NAME = "本中心"


def ensure_default(db=None) -> int | None:
    """A new database's one hub, 本中心 (a street hub without a parent: hub 1, ``DEFAULT_HUB``), made at its first
    start when it has no hub yet (an upgraded database got it from migration 024); returns its id, or None when
    there were hubs already."""
    db = db or get_db()
    if db.scalar("SELECT count(*) FROM hubs"):
        return None
    return records.create(HUB, {"name": DEFAULT_NAME, "level": "街道", "parent_id": None}, SYSTEM, db=db)


# ---- the tree -------------------------------------------------------------------------------------------------

SUBTREE_SQL = (
    "WITH RECURSIVE tree(id) AS (SELECT id FROM hubs WHERE id = ?"
    " UNION SELECT h.id FROM hubs h JOIN tree t ON h.parent_id = t.id)"  # UNION: ends even on a damaged tree
    " SELECT id FROM tree ORDER BY id"
)


def subtree(hub_id: int, db=None) -> frozenset[int]:
    """``hub_id`` and every hub below it (its districts' streets too): the hubs its users read."""
    db = db or get_db()
    return frozenset(int(r["id"]) for r in db.fetch_all(SUBTREE_SQL, [hub_id]))


def cached_subtree(hub_id: int) -> frozenset[int]:
    """:func:`subtree`, read again only after the hubs table changed (a new street shows at its district at once)."""
    return cached_map(f"hubs:subtree:{int(hub_id)}", ("hubs",), lambda db: subtree(hub_id, db))


def membership(username: str, db=None) -> tuple[int, frozenset[int]]:
    """The user's hub and the hubs they read (their hub's subtree); the default hub for an account without one."""
    cached = db is None
    db = db or get_db()
    row = db.fetch_one("SELECT hub_id FROM users WHERE username = ?", [username])
    hub_id = int(row["hub_id"]) if row and row.get("hub_id") is not None else DEFAULT_HUB
    scope = cached_subtree(hub_id) if cached else subtree(hub_id, db)
    return hub_id, scope or frozenset({hub_id})


def actor_for(username: str, roles: tuple[str, ...], db=None) -> Actor:
    """The actor of ``username`` with their hub and its scope (what the sign-in gate builds)."""
    hub_id, scope = membership(username, db)
    return Actor(username, tuple(roles), hub_id=hub_id, scope=scope)


def get(hub_id: int, db=None) -> dict | None:
    return (db or get_db()).fetch_one("SELECT * FROM hubs WHERE id = ?", [hub_id])


HUB_SUFFIXES = ("社会组织发展服务中心", "社会组织服务中心")  # how a centre's full name ends (dropped where space is short)


def short_name(name: str) -> str:
    """A hub's name without its suffix (下沙街道社会组织发展服务中心 -> 下沙街道); the full name when nothing is left."""
    for suffix in HUB_SUFFIXES:
        if name.endswith(suffix) and name != suffix:
            return name.removesuffix(suffix)
    return name


def name_of(hub_id: int | None, db=None) -> str:
    """The full name of hub ``hub_id`` (the default hub's for a record written before hubs), as documents print it."""
    row = get(hub_id if hub_id is not None else DEFAULT_HUB, db) or get(DEFAULT_HUB, db)
    return row["name"] if row else ""


def name_of_round(round_id: int, db=None) -> str:
    """The full name of the hub that runs round ``round_id`` (the 公示's, the agreement's 甲方)."""
    db = db or get_db()
    row = db.fetch_one("SELECT hub_id FROM rounds WHERE id = ?", [int(round_id)])
    return name_of(row["hub_id"] if row else None, db)


def ancestors(hub_id: int, db=None) -> tuple[int, ...]:
    """``hub_id`` and every hub above it, nearest first (a street's district and city): the hubs whose shared
    registries it uses (their experts are in its pool, their partners in its list)."""
    return tuple(_ancestors(db or get_db(), int(hub_id)))


def shared_with(actor: Actor, db=None) -> tuple[int, ...] | None:
    """The hubs whose shared registries (experts, partners) ``actor`` reads: the hubs they read (their own and those
    below it) and the hubs above their own; None for the system (every hub)."""
    if actor.system:
        return None
    return tuple(sorted(set(actor.scope) | set(ancestors(actor.hub_id, db))))


def _ancestors(db, hub_id: int | None) -> list[int]:
    """``hub_id`` and its ancestors, nearest first (stops at a repeat: a damaged tree cannot loop forever)."""
    out: list[int] = []
    while hub_id is not None and hub_id not in out:
        out.append(hub_id)
        row = db.fetch_one("SELECT parent_id FROM hubs WHERE id = ?", [hub_id])
        hub_id = None if row is None or row["parent_id"] is None else int(row["parent_id"])
    return out


def _check_tree(db, record: dict, key: int | None) -> None:
    """The tree's rules for ``record`` (the hub as it will be; ``key`` None for a new one), in Chinese."""
    level, parent_id = record.get("level"), record.get("parent_id")
    if parent_id is not None:
        parent = db.fetch_one("SELECT id, name, level FROM hubs WHERE id = ?", [int(parent_id)])
        if parent is None:
            raise ValidationFailed(fields={"parent_id": [f"上级枢纽(编号 {parent_id})不存在,请重新选择"]})
        want = PARENT_LEVEL.get(level)
        if want is None:
            raise ValidationFailed(fields={"parent_id": ["市级枢纽没有上级枢纽:请清空「上级枢纽」,或把层级改为区或街道"]})
        if parent["level"] != want:
            raise ValidationFailed(fields={"parent_id": [
                f"{level}级枢纽的上级应是{want}级枢纽,「{parent['name']}」是{parent['level']}级:请选择一个{want}级枢纽"]})
        if key is not None and int(key) in _ancestors(db, int(parent_id)):
            raise ValidationFailed(fields={"parent_id": [
                f"「{parent['name']}」在本枢纽之下,不能作为它的上级枢纽(枢纽网络不能成环):请选择其他上级枢纽"]})
    if key is not None:
        below = {PARENT_LEVEL.get(r["level"]) for r in db.fetch_all("SELECT level FROM hubs WHERE parent_id = ?", [key])}
        if below and below != {level}:
            raise ValidationFailed(fields={"level": [
                "本枢纽下已有下级枢纽,层级改变后它们的上级层级将不符:请先调整下级枢纽的上级,再修改层级"]})


def _top_admin_left(tx) -> None:
    """After a change: some active admin still belongs to a hub without a parent (else nobody could manage the
    network any more)."""
    left = tx.fetch_one(
        "SELECT count(*) AS n FROM users u JOIN hubs h ON h.id = u.hub_id"
        " WHERE u.active AND list_contains(u.roles, 'admin') AND h.parent_id IS NULL")
    if not left or not left["n"]:
        raise ValidationFailed(form=["这样修改后将没有最上级枢纽的管理员,无人能再管理枢纽网络:"
                                     "请先把一个管理员账号调整到最上级枢纽,再修改。"])


def create(values: dict, actor: Actor, db=None) -> int:
    """A new hub (the top admin); refused in Chinese when its level and parent do not fit the tree."""
    record = records.clean(HUB, values)
    with records.unit(actor, db) as u:
        _check_tree(u.tx, record, None)
        return u.create(HUB, record, validated=True)


def update(hub_id: int, values: dict, actor: Actor, db=None) -> bool:
    """Change a hub (the top admin): the tree's rules hold for the hub as it will be."""
    db = db or get_db()
    current = get(hub_id, db)
    if current is None:
        raise NotFound(f"枢纽(编号 {hub_id})不存在")
    names = list(Hub.to_schema().columns)
    merged = {n: values.get(n, current.get(n)) for n in names}
    record = records.clean(HUB, merged)
    with records.unit(actor, db) as u:
        _check_tree(u.tx, record, hub_id)
        changed = u.update(HUB, hub_id, record, validated=True)
        if changed and current["parent_id"] is None and record.get("parent_id") is not None:
            _top_admin_left(u.tx)
        return changed


def assign_user(username: str, hub_id: int, actor: Actor, db=None) -> bool:
    """Move an account to ``hub_id`` (the top admin): from its next page on it reads that hub's records (and those
    below) and writes that hub's (the sign-in gate reads the account's hub on every run)."""
    db = db or get_db()
    if not manages(actor, db):
        raise PermissionDenied(NOT_TOP_ADMIN)
    if get(hub_id, db) is None:
        raise NotFound(f"枢纽(编号 {hub_id})不存在")
    if users.get(username, db) is None:
        raise NotFound(f"用户 {username} 不存在")
    with records.unit(actor, db) as u:
        changed = u.update(users.USER, username, {}, system={"hub_id": int(hub_id)})
        if changed:
            _top_admin_left(u.tx)
    return changed


# ---- what the 枢纽网络 screen shows -----------------------------------------------------------------------------

TREE_COLUMNS = columns("id", "tree", "level", "parent", "region_code", "orgs", "users", "address", "contact", of=Hub,
                       computed={"tree": "枢纽", "parent": label("parent_id", of=Hub), "orgs": number("社会组织数"),
                                 "users": number("账号数")})


def tree(actor: Actor | None = None, db=None) -> pd.DataFrame:
    """The hubs as an indented tree (市 → 区 → 街道, each hub under its parent, by name), with each hub's number of
    organisations and accounts; ``actor``: only the hubs they read (every hub for the system or None)."""
    db = db or get_db()
    rows = db.fetch_all(
        "SELECT h.id, h.name, h.level, h.parent_id, h.region_code, h.address, h.contact,"
        " (SELECT count(*) FROM organisations o WHERE o.hub_id = h.id) AS orgs,"
        " (SELECT count(*) FROM users u WHERE u.hub_id = h.id) AS users FROM hubs h ORDER BY h.name, h.id")
    if actor is not None and not actor.system:
        rows = [r for r in rows if r["id"] in actor.scope]
    ids = {r["id"] for r in rows}
    names = {r["id"]: r["name"] for r in rows}
    children: dict[Any, list[dict]] = {}
    for r in rows:
        children.setdefault(r["parent_id"] if r["parent_id"] in ids else None, []).append(r)
    out: list[dict] = []

    def walk(parent: Any, depth: int) -> None:
        for r in sorted(children.get(parent, []), key=lambda r: (HUB_LEVELS.index(r["level"])
                                                                   if r["level"] in HUB_LEVELS else 9, r["name"])):
            out.append({"id": r["id"], "tree": "\u3000" * (2 * depth) + ("└ " if depth else "") + r["name"],
                        "level": r["level"], "parent": names.get(r["parent_id"], ""),
                        "region_code": r["region_code"] or "", "orgs": int(r["orgs"]), "users": int(r["users"]),
                        "address": r["address"] or "", "contact": r["contact"] or ""})
            if r["id"] not in seen:
                seen.add(r["id"])
                walk(r["id"], depth + 1)

    seen: set = set()
    walk(None, 0)
    return pd.DataFrame(out, columns=list(TREE_COLUMNS))


def user_options(db=None) -> list[tuple[str, str]]:
    """(username, "name(username) · hub") for the account picker of the 枢纽网络 screen."""
    db = db or get_db()
    return [(r["username"], f"{r['name']}({r['username']})· {r['hub'] or '—'}") for r in db.fetch_all(
        "SELECT u.username, u.name, h.name AS hub FROM users u LEFT JOIN hubs h ON h.id = u.hub_id ORDER BY u.username")]


def install_provider() -> None:
    """``hubs``: every hub, shown as "name(level)" (the 上级枢纽 picker)."""
    id_names("hubs", ("hubs",), "SELECT id, name, level FROM hubs ORDER BY name",
             lambda r: f"{r['name']}({r['level']})")
