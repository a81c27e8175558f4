"""The configurable list of communities (the demo uses Xiasha's 21)."""
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
))


def names(db=None) -> list[str]:
    db = db or get_db()
    return [r["name"] for r in db.fetch_all("SELECT name FROM communities ORDER BY sort_order, name")]


def ensure(names_in_order: list[str], actor: Actor, db=None) -> int:
    """Add the communities that are missing (keeps the given order); returns how many were added."""
    db = db or get_db()
    have = set(names(db))
    rows = [{"name": n, "sort_order": i} for i, n in enumerate(names_in_order) if n not in have]
    if rows:
        records.create_many(COMMUNITY, rows, actor, db=db)
    return len(rows)


def install_provider() -> None:
    """Let schemas validate ``source="communities"`` against the database."""
    id_names("communities", ("communities",), "SELECT name FROM communities ORDER BY sort_order, name", key="name")
