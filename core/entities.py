"""Declarative description of every table the write path writes (the ``ModelAdmin`` of HubDesk).

Each domain module declares its entity once (``register(Entity(...))``); the write path
(:mod:`core.records`), the list views and the start-up checks all read these declarations.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable


@dataclass(frozen=True)
class Unique:
    field: str
    message: str  # may use {title} and {key} of the existing record


@dataclass(frozen=True)
class Entity:
    name: str
    table: str
    label: str
    write_roles: frozenset[str]
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


REGISTRY: dict[str, Entity] = {}


def register(entity: Entity) -> Entity:
    if entity.name in REGISTRY and REGISTRY[entity.name] != entity:
        raise RuntimeError(f"entity {entity.name!r} registered twice")
    REGISTRY[entity.name] = entity
    return entity


def all_entities() -> list[Entity]:
    import core.domain  # noqa: F401  (imports every module that registers an entity)

    return list(REGISTRY.values())
