"""The configurable list of communities: each hub keeps its own (``communities.hub_id``, migration 028; the demo gives
下沙 its 21 and every other street two or three). A community's name stays its key, unique across hubs: the records
that name a community (organisations, activities, applications, needs, volunteers) store the name, and a district's
roll-up filters by it. The choice list ``communities`` (every form, filter and import that offers a community)
offers the signed-in user's hubs' communities only."""
from __future__ import annotations

from core.platform import records
from core.platform.actor import Actor
from core.platform.db import get_db
from core.platform.entities import Entity, register
from core.platform.lookups import id_names
from schemas.stored import Community

COMMUNITY = register(Entity(
    name="community", table="communities", label="社区", write_roles=frozenset({"admin"}),
    key="name", key_generated=False, title_field="name", stamps=False, schema=Community,
    hub_owned=True,  # each hub's own list: stamped with the writer's hub, written by its own admins only
))


def names(db=None, *, hubs: tuple[int, ...] | None = None) -> list[str]:
    """The communities in their order: of ``hubs`` when given (None: every hub)."""
    db = db or get_db()
    params: list = []
    where = "true"
    if hubs is not None:
        params = [int(h) for h in hubs]
        where = f"hub_id IN ({', '.join('?' for _ in hubs)})" if hubs else "false"
    return [r["name"] for r in db.fetch_all(f"SELECT name FROM communities WHERE {where} ORDER BY hub_id, sort_order, name",
                                            params)]


def ensure(names_in_order: list[str], actor: Actor, db=None, *, hub_id: int | None = None) -> int:
    """Add the communities that are missing (keeps the given order), of ``hub_id`` (by default the actor's hub);
    returns how many were added."""
    db = db or get_db()
    have = set(names(db))
    rows = [{"name": n, "sort_order": i} for i, n in enumerate(names_in_order) if n not in have]
    if rows:
        records.create_many(COMMUNITY, rows, actor, db=db,
                            system=None if hub_id is None else [{"hub_id": int(hub_id)} for _ in rows])
    return len(rows)


def install_provider() -> None:
    """Let schemas validate ``source="communities"`` against the database: a screen's choice list, and the check of
    what it submits, offer the signed-in user's hubs' communities (every one outside a screen)."""
    id_names("communities", ("communities",), "SELECT name, hub_id FROM communities ORDER BY hub_id, sort_order, name",
             key="name", hub_column="hub_id")
