"""Entity screens (core.platform.entities.Screen): the page is derived from the registry, the list and the import from the
declaration, and the start-up checks name each kind of mistake with its stable id (core.platform.admin.problems,
core.checks, core.ui.screens.check)."""
from __future__ import annotations

import dataclasses

import pytest

from core import checks, domain, navigation, registry
from core.orgs import communities
from core.orgs.venues import VENUE
from core.platform import admin, entities
from core.ui import screens
from schemas.base import field_specs


@pytest.fixture
def configured(db):
    communities.install_provider()
    domain.install_providers()
    return db


def with_screen(monkeypatch, **changes) -> entities.Entity:
    """The registry with the venue's screen changed (as a developer might have written it)."""
    broken = dataclasses.replace(VENUE, screen=dataclasses.replace(VENUE.screen, **changes))
    monkeypatch.setattr(registry, "ENTITIES", tuple(broken if e is VENUE else e for e in registry.ENTITIES))
    monkeypatch.setitem(entities.DECLARED, "venue", broken)
    return broken


def test_the_venue_page_is_derived_from_the_registry():
    page = navigation.spec(navigation.admin_key("venue"))
    assert page == navigation.PageSpec("venue_admin", "场地资源", "core.ui.admin:venue", "venues",
                                       ("admin", "staff"), "资源与需求", ":material/meeting_room:",
                                       writes=("venue",))
    assert callable(screens.target(page)) and screens.target(page).__name__ == "venue"
    assert sum(p.target.startswith("core.ui.admin:") for p in navigation.PAGES) == \
        sum(e.screen is not None for e in registry.all_entities())


def test_the_list_and_the_import_are_derived_with_the_schema_labels():
    view, spec = admin.list_view(VENUE), admin.import_spec(VENUE)
    labels = {n: m["label"] for n, m in field_specs(VENUE.schema).items()}
    assert [c.label for c in view.columns] == ["编号"] + [labels[n] for n in VENUE.screen.columns[1:]]
    assert [(f.name, f.label, f.source) for f in view.filters] == [("community", "所属社区", "communities")]
    assert spec.fields == tuple(labels) and spec.entity is VENUE


def test_the_real_screens_have_no_problems(configured):
    assert checks.run() == [] and screens.check() == []


@pytest.mark.parametrize("changes, problem", [
    ({"columns": ("id", "name", "capacty")},
     "screen.E002 entity 'venue' screen column 'capacty' is no field of Venue and has no declared label (schemas.columns)"),
    ({"filters": ("comunity",)}, "screen.E002 entity 'venue' screen filter 'comunity' is no field of Venue"),
    ({"filters": ("address",)},
     "screen.E003 entity 'venue' screen filter 'address' is not a choice field (select、multiselect、checkbox)"),
    ({"imports": ("name", "seats")}, "screen.E002 entity 'venue' screen import field 'seats' is no field of Venue"),
    ({"search": ("title",)},
     "screen.E002 entity 'venue' screen search field 'title' is no field of Venue and has no declared label (schemas.columns)"),
])
def test_a_broken_screen_spec_is_named_at_start(configured, monkeypatch, changes, problem):
    with_screen(monkeypatch, **changes)
    assert checks.run() == [problem]


def test_a_screen_without_a_schema(configured, monkeypatch):
    broken = dataclasses.replace(VENUE, schema=None)
    monkeypatch.setattr(registry, "ENTITIES", tuple(broken if e is VENUE else e for e in registry.ENTITIES))
    monkeypatch.setitem(entities.DECLARED, "venue", broken)
    assert checks.run() == ["screen.E001 entity 'venue' screen: the entity has no schema (a screen's form, list and "
                            "import read it)"]


def test_a_forgotten_migration(configured, monkeypatch):
    """The schema has a field the table lacks, or the table is missing: named at start, not on a click."""
    with configured.transaction() as tx:
        tx.execute("ALTER TABLE venues DROP COLUMN opening_hours")
    assert checks.run() == ["screen.E006 entity 'venue' screen: table 'venues' has no column opening_hours (add it in "
                            "a migration)"]
    monkeypatch.setattr(registry, "ENTITIES", tuple(dataclasses.replace(e, table="venue_list") if e is VENUE else e
                                                    for e in registry.ENTITIES))
    assert checks.run() == ["screen.E005 entity 'venue' screen: table 'venue_list' does not exist (add its migration, "
                            "core/migrations/)"]


def test_a_url_path_clash_and_an_unknown_role(configured, monkeypatch):
    broken = with_screen(monkeypatch, url_path="orgs", roles=("admin", "janitor"))
    monkeypatch.setattr(navigation, "PAGES", tuple(p for p in navigation.PAGES  # every entity page derived again
                                                   if not p.target.startswith(navigation.ADMIN_MODULE + ":"))
                        + navigation.entity_pages())
    assert broken.screen.url_path == "orgs"
    assert screens.check() == ["nav.E001 url_path 'orgs' is used twice",
                               "nav.E004 page 'venue_admin' names unknown roles ['janitor']"]


def test_a_missing_registry_line(configured, monkeypatch):
    """Declared (core/orgs/venues.py) but left out of core.registry: named at start, and no page is derived for it."""
    monkeypatch.setattr(registry, "ENTITIES", tuple(e for e in registry.ENTITIES if e is not VENUE))
    assert checks.run() == ["entity.E001 entity 'venue' (venues) is declared but not listed in core.registry.ENTITIES"]
    assert not [p for p in navigation.entity_pages() if p.key == "venue_admin"]
