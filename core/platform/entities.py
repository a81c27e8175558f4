"""Declarative description of every table the write path writes (the ``ModelAdmin`` of HubDesk).

Each domain module declares its entity once (``register(Entity(...))``); the write path
(:mod:`core.platform.records`), the list views and the start-up checks all read these declarations. The list of all
entities is ``core.registry`` (above the domain modules: this module imports none of them).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

from core.platform.actor import Actor
from core.platform.db import get_db
from core.platform.errors import HubError
from schemas.base import field_specs

ACTIONS = ("create", "update", "delete")


@dataclass(frozen=True)
class Rule:
    """A row rule, declared on the entity: ``roles`` (None: any signed-in account) may make ``actions`` on
    the rows ``check`` accepts. The write path (:mod:`core.platform.records`) runs ``check(ctx, before, after)`` on every
    such write (``before`` None for a create, ``after`` None for a delete); it refuses by raising a Chinese
    PermissionDenied or ValidationFailed that says what is wrong. ``fields``: the only columns the rule lets
    them set (None: any); ``says``: the rule in one Chinese sentence (shown when a column outside it is set)."""
    says: str
    actions: frozenset[str]
    check: Callable[["RuleContext", dict | None, dict | None], None]
    roles: frozenset[str] | None = None
    fields: frozenset[str] | None = None
    # the check itself ties the row to the actor (an expert's own assignment and review): a write it accepts is not
    # bound to the actor's hub (a district's expert scores a street's application assigned to them)
    any_hub: bool = False

    def applies(self, actor: Actor, action: str) -> bool:
        return action in self.actions and (self.roles is None or actor.has(*self.roles))


@dataclass
class RuleContext:
    """What a rule's check may read: the open transaction (or the database), the actor, and each row as it
    stood when the change began (a review's scores are judged by the review before this save submitted it)."""
    db: Any
    actor: Actor
    begun: dict = field(default_factory=dict)  # (table, key) -> row at the start of the unit, None if created by it
    parent_hubs: dict = field(default_factory=dict)  # (Entity.hub_via sql, parent id) -> its hub, read once per unit

    def original(self, entity: "Entity", key: Any) -> dict | None:
        """The row as it stood before this change; None when this change created it."""
        if (entity.table, key) in self.begun:
            return self.begun[(entity.table, key)]
        return self.db.fetch_one(f"SELECT * FROM {entity.table} WHERE {entity.key} = ?", [key])


@dataclass(frozen=True)
class Unique:
    field: str
    # may use {title} and {key} of the existing record; by default "<the field's label>已被登记:「{title}」(编号 {key})"
    message: str = ""
    # the column whose value the field is unique within ("hub_id": a round's name per hub); "" across the table
    within: str = ""

    def says(self, entity: "Entity", title: Any, key: Any) -> str:
        if self.message:
            return self.message.format(title=title, key=key)
        label = field_specs(entity.schema)[self.field]["label"] if entity.schema is not None else self.field
        return f"{label}已被登记:「{title}」(编号 {key})"


@dataclass(frozen=True)
class Screen:
    """The entity's generic screen (``core.ui.admin``), the ``ModelAdmin`` of HubDesk: one page with the list
    (search, filters, sort, pages, Excel export), the selected record's 详情 / 编辑 / 修改记录, 新建 and 导入.
    Fields are named, never labelled: every label comes from the entity's schema (``schemas.columns``).
    The page (``core.navigation.PAGES``) is derived from it; who may write is the entity's (``may``)."""
    title: str                                  # the page's title in the navigation
    url_path: str
    section: str                                # the navigation section it sits in
    roles: tuple[str, ...] = ("admin", "staff")  # who may open it (writing: the entity's roles and rules)
    icon: str = ""
    columns: tuple[str, ...] = ()               # list columns, by field name (the key first when left out)
    filters: tuple[str, ...] = ()               # choice fields (select, multiselect, checkbox) to filter by
    search: tuple[str, ...] = ()                # text fields the search box looks in
    imports: tuple[str, ...] | None = ()        # template columns (() every schema field; None: no 导入)
    example: dict = field(default_factory=dict)  # the import template's 填写示例 row (by field name)

    def __hash__(self) -> int:  # ``example`` is a dict
        return hash((self.title, self.url_path))


@dataclass(frozen=True)
class Entity:
    name: str
    table: str
    label: str
    # who may write: ``write_roles`` may create, update and delete any row; ``create_roles`` /
    # ``update_roles`` / ``delete_roles``, where given, replace it for that action; ``rules`` let more roles
    # write the rows their check accepts. The system (core.platform.actor.SYSTEM: start-up, demo data, sign-in
    # bookkeeping, the clock) writes for no user and is the only actor that passes without a role.
    write_roles: frozenset[str] = frozenset()
    schema: type | None = None
    key: str = "id"
    key_generated: bool = True
    title_field: str = "name"
    unique: tuple[Unique, ...] = ()
    derive: Callable[[dict], dict] | None = None
    secret_fields: tuple[str, ...] = ()
    stamps: bool = True  # created_at/created_by/updated_at/updated_by columns
    owner_may_set: tuple[str, ...] = ()  # columns a user may change on the row keyed by their username
    columns: tuple[str, ...] = field(default=())  # extra system columns the write path may set
    # schemas of the other forms that write columns of this table (e.g. the 盲评 title set at screening):
    # their fields' labels describe those columns wherever the table is shown (audit log)
    also: tuple[type, ...] = ()
    create_roles: frozenset[str] | None = None
    update_roles: frozenset[str] | None = None
    delete_roles: frozenset[str] | None = None
    rules: tuple[Rule, ...] = ()
    # columns the system keeps up to date for no user and without an audit row (a session's last_seen,
    # written at most once a minute): only :func:`core.platform.records.housekeep` writes them, and only these
    housekeeping: tuple[str, ...] = ()
    screen: Screen | None = None  # a generic screen for it (core.ui.admin); its page is derived from it
    # a hub's own records (a ``hub_id`` column, core.orgs.hubs): the write path stamps the actor's hub on a new row
    # and refuses a write to a row of another hub (a district's or the city's roll-up is read-only); reads are
    # scoped to the actor's hubs (core.platform.listing.Query.hubs, the domain module's own reads)
    hub_owned: bool = False
    # a record of another hub's record (an application of a round, a project of an application): ``(column, sql)``,
    # ``sql`` (one ``?``, given the row's ``column``) reads the row's hub; the write path refuses a write outside the
    # actor's hub as for ``hub_owned`` (core.intake.scope declares the 公益创投 chain's)
    hub_via: tuple[str, str] | None = None
    # a hub-owned registry shared down the tree (partners): every hub below a row's hub reads it too (its lists, its
    # choice lists, a record opened by id), while only the row's own hub writes it
    hub_shared: bool = False
    # the column naming a row's hub, where the row has one (a hub-owned record, an account: ``hub_id``; the hub tree's
    # own rows: their ``id``); the audit row of each write carries the written row's hub (core.platform.audit)
    hub_column: str = "hub_id"

    def roles_for(self, action: str) -> frozenset[str]:
        """The roles that may make ``action`` on any row of this entity (row rules aside)."""
        given = {"create": self.create_roles, "update": self.update_roles, "delete": self.delete_roles}[action]
        return frozenset(self.write_roles if given is None else given)


def granted(actor: Actor | None, entity: Entity, action: str) -> bool:
    """May ``actor`` make ``action`` on every row of ``entity`` (by role, or as the system), no row rule needed?"""
    return actor is not None and (actor.system or actor.has(*entity.roles_for(action)))


def may(actor: Actor | None, entity: Entity, action: str, row: dict | None = None, *, db=None) -> bool:
    """May ``actor`` make ``action`` on ``entity`` (on ``row``, when given)? The one answer both the write
    path and the screens use. Without ``row``: whether some row may be written (a row rule grants it);
    with ``row``: whether that row's rules accept it (``db``: where the rule reads, the database by default)."""
    if actor is None:
        return False
    if granted(actor, entity, action):
        return True
    if action == "update" and entity.owner_may_set and (row is None or str(row.get(entity.key)) == actor.username):
        return True
    rules = [r for r in entity.rules if r.applies(actor, action)]
    if not rules or row is None:
        return bool(rules)
    ctx = RuleContext(db if db is not None else get_db(), actor)
    for rule in rules:
        try:
            rule.check(ctx, None if action == "create" else row, None if action == "delete" else row)
            return True
        except HubError:
            continue
    return False


# The hubs whose shared rows (``Entity.hub_shared``) the readers of some hubs see: those hubs and every hub above them
# ({marks}: one placeholder per hub read)
SHARED_HUBS_SQL = ("WITH RECURSIVE up(id) AS (SELECT id FROM hubs WHERE id IN ({marks}) UNION"
                   " SELECT h.parent_id FROM hubs h JOIN up ON h.id = up.id WHERE h.parent_id IS NOT NULL)"
                   " SELECT id FROM up")


def reads_shared(db, actor: Actor, hub_id: Any) -> bool:
    """May ``actor`` read a shared row (``Entity.hub_shared``) of ``hub_id``: of a hub they read or one above theirs?"""
    if actor.reads(hub_id):
        return True
    return hub_id is not None and db.fetch_one(
        "SELECT 1 AS y WHERE ? IN (" + SHARED_HUBS_SQL.format(marks="?") + ")", [hub_id, actor.hub_id]) is not None


# Every entity declared by the modules imported so far, by name: what the start-up check holds against the
# explicit list in core.registry (an entity declared but not listed there is reported, entity.E001).
DECLARED: dict[str, Entity] = {}


def register(entity: Entity) -> Entity:
    """Declares ``entity`` (a name declared twice with another definition is a programming error)."""
    if entity.name in DECLARED and DECLARED[entity.name] != entity:
        raise RuntimeError(f"entity {entity.name!r} registered twice")
    DECLARED[entity.name] = entity
    return entity
