"""What an entity's generic screen (:class:`core.platform.entities.Screen`, drawn by ``core.ui.admin``) is made of, derived
from the declaration and never written by hand: its list view (``core.platform.listing.ListView``), its Excel import
(``core.platform.importer.ImportSpec``) and the screen's problems for the start-up checks (``core.checks``).

Labels come from the entity's schema (``schemas.columns.columns``): a screen names fields, never labels.
"""
from __future__ import annotations

from functools import lru_cache

from core.platform.db import get_db
from core.platform.entities import Entity
from core.platform.importer import ImportSpec
from core.platform.listing import Column, Filter, ListView
from schemas.base import field_specs
from schemas.columns import STAMPS, columns

FILTER_WIDGETS = ("select", "multiselect", "checkbox")
YES_NO = "CASE WHEN {name} THEN '是' ELSE '否' END"


def list_columns(entity: Entity) -> tuple[str, ...]:
    return entity.screen.columns or (entity.key, *list(field_specs(entity.schema))[:6])


def _filter(entity: Entity, name: str) -> Filter:
    meta = field_specs(entity.schema)[name]
    if meta["widget"] == "checkbox":
        return Filter(name, meta["label"], YES_NO.format(name=name), options=("是", "否"))
    return Filter(name, meta["label"], name, source=meta["source"], contains=meta["widget"] == "multiselect")


@lru_cache(maxsize=None)
def list_view(entity: Entity) -> ListView:
    """The screen's list: its columns and filters by field name, labelled by the schema."""
    screen = entity.screen
    labels = columns(*list_columns(entity), of=entity.schema)
    search = screen.search or (entity.title_field,)
    return ListView(
        entity=entity, columns=tuple(Column(n, label) for n, label in labels.items()),
        search=search, filters=tuple(_filter(entity, n) for n in screen.filters), default_sort=entity.key,
        default_desc=True, search_hint="搜索" + "、".join(columns(*search, of=entity.schema).values()),
    )


def find_existing(entity: Entity, records: list[dict], db=None) -> dict[int, dict]:
    """For import: position -> the stored record with the same value in one of the entity's unique fields."""
    db = db or get_db()
    out: dict[int, dict] = {}
    for unique in entity.unique:
        values = [r[unique.field] for r in records if r.get(unique.field) is not None]
        if not values:
            continue
        marks = ", ".join("?" for _ in values)
        found = {row[unique.field]: row for row in db.fetch_all(
            f"SELECT {entity.key}, {entity.title_field}, {unique.field} FROM {entity.table} "
            f"WHERE {unique.field} IN ({marks})", values)}
        for i, r in enumerate(records):
            if i not in out and r.get(unique.field) in found:
                out[i] = found[r[unique.field]]
    return out


@lru_cache(maxsize=None)
def import_spec(entity: Entity) -> ImportSpec | None:
    """The screen's Excel import (None when the screen declares none)."""
    screen = entity.screen
    if screen.imports is None:
        return None
    return ImportSpec(entity=entity, fields=screen.imports or tuple(field_specs(entity.schema)),
                      find_existing=lambda records: find_existing(entity, records), example=dict(screen.example))


def problems(entity: Entity, db=None) -> list[str]:
    """The screen's mistakes, with stable ids (``core.checks`` runs this for every entity with a screen)."""
    screen, where = entity.screen, f"entity '{entity.name}' screen"
    if entity.schema is None:
        return [f"screen.E001 {where}: the entity has no schema (a screen's form, list and import read it)"]
    specs = field_specs(entity.schema)
    out = []
    named = [("column", n) for n in list_columns(entity)] + [("search field", n) for n in screen.search] \
        + [("import field", n) for n in screen.imports or ()] + [("example field", n) for n in screen.example]
    for what, name in named:
        if what in ("import field", "example field") and name not in specs:
            out.append(f"screen.E002 {where} {what} '{name}' is no field of {entity.schema.__name__}")
            continue
        try:
            columns(name, of=entity.schema)
        except KeyError:
            out.append(f"screen.E002 {where} {what} '{name}' is no field of {entity.schema.__name__} and has no "
                       f"declared label (schemas.columns)")
    for name in screen.filters:
        if name not in specs:
            out.append(f"screen.E002 {where} filter '{name}' is no field of {entity.schema.__name__}")
        elif specs[name]["widget"] not in FILTER_WIDGETS:
            out.append(f"screen.E003 {where} filter '{name}' is not a choice field ({'、'.join(FILTER_WIDGETS)})")
    if not screen.url_path or not screen.title:
        out.append(f"screen.E004 {where} needs a title and a url_path")
    stored = {r["column_name"] for r in (db or get_db()).fetch_all(
        "SELECT column_name FROM information_schema.columns WHERE table_name = ?", [entity.table])}
    if not stored:
        out.append(f"screen.E005 {where}: table '{entity.table}' does not exist (add its migration, core/migrations/)")
    elif missing := [n for n in (*specs, *(STAMPS if entity.stamps else ())) if n not in stored]:
        out.append(f"screen.E006 {where}: table '{entity.table}' has no column {', '.join(missing)} (add it in a migration)")
    return out
