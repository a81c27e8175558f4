"""Start-up checks of the declarative configuration (in the spirit of Django's admin checks): the entities
(``core.registry``), their schemas and their generic screens (``core.platform.admin``).

``run()`` returns a list of problems with stable ids; ``core.app.bootstrap`` refuses to start on any of them
and ``tests/test_checks.py`` keeps the list empty. The pages registry is checked on the screens' side
(``core.ui.screens.check``, run by ``Home.py``): this module loads no screen.
"""
from __future__ import annotations

from core.platform import admin, entities
from core.registry import all_entities
from schemas import choices
from schemas import columns as schema_columns
from schemas.base import LABEL_FORMATS, WIDGETS, field_specs


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


def check_entities() -> list[str]:
    """Every declared entity listed in core.registry once (run again by core.ui.screens.check once the screens'
    modules are imported: an entity declared in a module only a screen imports is then seen too)."""
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


def _check_formats() -> list[str]:
    """Every declared label (form fields, computed and system columns: ``schemas.columns``) that names 元 reads as
    money, and one that names % as a percentage. (One label declared with two formats already failed at import.)"""
    where = {**schema_columns.COMPUTED_LABELS, **{t: w for t, (_, w) in LABEL_FORMATS.items()}}
    labels = sorted({*where, *map(str, schema_columns.SYSTEM.values())})
    out = []
    for text in labels:
        declared = schema_columns.format_of(text)
        at = where.get(text, "schemas.columns")
        if "(元)" in text and declared != "money":
            out.append(f"format.E001 the label '{text}' ({at}) names 元 but reads as {declared or 'nothing declared'}: "
                       f"declare it money (field(format=\"money\") or schemas.columns.money)")
        if "(%)" in text and declared not in ("percent", "ratio"):
            out.append(f"format.E002 the label '{text}' ({at}) names % but reads as {declared or 'nothing declared'}: "
                       f"declare it percent (in points) or ratio (a fraction)")
    return out


def _check_screens() -> list[str]:
    """Every entity's generic screen names fields its schema declares (labels, filters: see core.platform.admin)."""
    return [p for e in all_entities() if e.screen is not None for p in admin.problems(e)]


def run() -> list[str]:
    return check_entities() + _check_schemas() + _check_formats() + _check_screens()
