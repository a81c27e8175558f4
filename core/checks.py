"""Start-up checks of the declarative configuration (in the spirit of Django's admin checks).

``run()`` returns a list of problems with stable ids; ``Home.py`` refuses to start on any of them
and ``tests/test_checks.py`` keeps the list empty.
"""
from __future__ import annotations

import importlib
from pathlib import Path

from core import entities, navigation
from core.registry import all_entities
from schemas import choices
from schemas.base import WIDGETS, field_specs

PAGES_DIR = Path(__file__).resolve().parent.parent / "pages"


def _check_pages() -> list[str]:
    out = []
    stems = {p.stem for p in PAGES_DIR.glob("*.py")}
    seen_url, seen_key = set(), set()
    entities = {e.name for e in all_entities()}
    for p in navigation.PAGES:
        if p.url_path in seen_url:
            out.append(f"nav.E001 url_path '{p.url_path}' is used twice")
        if p.key in seen_key:
            out.append(f"nav.E002 page key '{p.key}' is used twice")
        seen_url.add(p.url_path)
        seen_key.add(p.key)
        if p.url_path in stems:
            out.append(f"nav.E003 url_path '{p.url_path}' equals a pages/ file stem (AppTest reruns that file directly)")
        unknown = set(p.roles) - set(navigation.ALL_ROLES)
        if unknown:
            out.append(f"nav.E004 page '{p.key}' names unknown roles {sorted(unknown)}")
        module, _, func = p.target.partition(":")
        try:
            if not callable(getattr(importlib.import_module(module), func, None)):
                out.append(f"nav.E005 page '{p.key}' target {p.target} is not a function")
        except ImportError as exc:
            out.append(f"nav.E006 page '{p.key}' cannot import {module}: {exc}")
        for e in p.writes:
            if e not in entities:
                out.append(f"nav.E007 page '{p.key}' writes unknown entity '{e}'")
    if sum(p.default for p in navigation.PAGES) != 1:
        out.append("nav.E008 exactly one page must be the default")
    return out


def _check_schemas() -> list[str]:
    out = []
    for entity in all_entities():
        if entity.schema is None:
            continue
        for name, meta in field_specs(entity.schema).items():
            where = f"{entity.schema.__name__}.{name}"
            if not meta.get("label"):
                out.append(f"schema.E001 {where} has no Chinese label")
            if meta.get("widget") not in WIDGETS:
                out.append(f"schema.E002 {where} has unknown widget {meta.get('widget')!r}")
            if meta.get("widget") in {"select", "multiselect"} and meta.get("source") not in choices.known_sources():
                out.append(f"schema.E003 {where} names unknown choice list {meta.get('source')!r}")
            if meta.get("widget") == "date" and "date_range" not in {
                    c.name for c in entity.schema.to_schema().columns[name].checks}:
                out.append(f"schema.E004 {where} is a date without the sane range (schemas.base.date_range)")
    return out


def _check_entities() -> list[str]:
    out = []
    listed = all_entities()
    names = [e.name for e in listed]
    for name, entity in entities.DECLARED.items():
        if name not in names:
            out.append(f"entity.E001 entity '{name}' ({entity.table}) is declared but not listed in core.registry.ENTITIES")
    for attr, what in (("name", "name"), ("table", "table")):
        values = [getattr(e, attr) for e in listed]
        for value in sorted({v for v in values if values.count(v) > 1}):
            out.append(f"entity.E002 {what} '{value}' is listed twice in core.registry.ENTITIES")
    return out


def run() -> list[str]:
    return _check_entities() + _check_pages() + _check_schemas()
