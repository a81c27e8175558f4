"""Start-up checks of the declarative configuration: the real config is clean, and each kind of
mistake produces its stable error id (entities and schemas: ``core.checks``; the pages registry, on the
screens' side: ``core.ui.screens.check``)."""
from __future__ import annotations

import dataclasses

import pandera.pandas as pa
import pytest
from pandera.typing.pandas import Series

from core import checks, domain, navigation, registry
from core.navigation import PageSpec
from core.orgs import communities
from core.platform import entities
from core.ui import screens
from schemas.base import FormSchema, field

GOOD = PageSpec("extra", "额外页面", "pages.home:render", "extra-page", ("admin",), "测试")


@pytest.fixture
def configured(db):
    """The choice providers the app installs at start (communities and the other lists kept in the database)."""
    communities.install_provider()
    domain.install_providers()
    return db


def with_pages(monkeypatch, *pages: PageSpec) -> None:
    monkeypatch.setattr(navigation, "PAGES", navigation.PAGES + pages)


def test_real_configuration_has_no_problems(configured):
    assert checks.run() == []
    assert screens.check() == []


def test_every_page_target_resolves_and_url_paths_avoid_file_stems():
    stems = {p.stem for p in screens.PAGES_DIR.glob("*.py")}
    assert {"home", "registry", "users"} <= stems
    assert not {p.url_path for p in navigation.PAGES} & stems


def test_a_good_extra_page_is_accepted(configured, monkeypatch):
    with_pages(monkeypatch, GOOD)
    assert screens.check() == []


def test_url_path_equal_to_a_pages_file_stem(configured, monkeypatch):
    with_pages(monkeypatch, dataclasses.replace(GOOD, url_path="registry"))
    assert screens.check() == [
        "nav.E003 url_path 'registry' equals a pages/ file stem (AppTest reruns that file directly)"]


def test_unknown_role(configured, monkeypatch):
    with_pages(monkeypatch, dataclasses.replace(GOOD, roles=("admin", "janitor", "auditor")))
    assert screens.check() == ["nav.E004 page 'extra' names unknown roles ['auditor', 'janitor']"]


def test_missing_target_function(configured, monkeypatch):
    with_pages(monkeypatch, dataclasses.replace(GOOD, target="pages.home:no_such_function"))
    assert screens.check() == ["nav.E005 page 'extra' target pages.home:no_such_function is not a function"]


def test_target_that_is_not_callable(configured, monkeypatch):
    with_pages(monkeypatch, dataclasses.replace(GOOD, target="core.navigation:ALL_ROLES"))
    assert screens.check() == ["nav.E005 page 'extra' target core.navigation:ALL_ROLES is not a function"]


def test_missing_target_module(configured, monkeypatch):
    with_pages(monkeypatch, dataclasses.replace(GOOD, target="pages.no_such_module:render"))
    problems = screens.check()
    assert len(problems) == 1
    assert problems[0].startswith("nav.E006 page 'extra' cannot import pages.no_such_module:")


def test_duplicate_url_path_and_key(configured, monkeypatch):
    first = navigation.PAGES[1]
    with_pages(monkeypatch, dataclasses.replace(GOOD, key=first.key, url_path=first.url_path))
    assert screens.check() == [
        f"nav.E001 url_path '{first.url_path}' is used twice",
        f"nav.E002 page key '{first.key}' is used twice",
    ]


def test_unknown_written_entity(configured, monkeypatch):
    with_pages(monkeypatch, dataclasses.replace(GOOD, writes=("organisation", "grant")))
    assert screens.check() == ["nav.E007 page 'extra' writes unknown entity 'grant'"]


def test_exactly_one_default_page(configured, monkeypatch):
    with_pages(monkeypatch, dataclasses.replace(GOOD, default=True))
    assert screens.check() == ["nav.E008 exactly one page must be the default"]
    monkeypatch.setattr(navigation, "PAGES", tuple(dataclasses.replace(p, default=False) for p in navigation.PAGES))
    assert screens.check() == ["nav.E008 exactly one page must be the default"]


def test_several_problems_are_all_listed(configured, monkeypatch):
    with_pages(monkeypatch, dataclasses.replace(GOOD, url_path="users", roles=("root",), target="pages.home:nope"))
    assert [p.split(" ")[0] for p in screens.check()] == ["nav.E003", "nav.E004", "nav.E005"]


# ---- entity registry checks ------------------------------------------------------------------------

def test_the_registry_lists_every_declared_entity():
    """core.registry names every entity the domain modules declare (tests/test_import_graph.py keeps it acyclic)."""
    assert {e.name for e in registry.all_entities()} == set(entities.DECLARED)
    assert len(registry.ENTITIES) >= 50
    assert all(isinstance(e, entities.Entity) for e in registry.ENTITIES)


def test_an_entity_declared_but_not_listed(configured, monkeypatch):
    equipment = entities.Entity(name="tool", table="tools", label="工具", write_roles=frozenset({"admin"}))
    monkeypatch.setitem(entities.DECLARED, "tool", equipment)
    assert checks.run() == [
        "entity.E001 entity 'tool' (tools) is declared but not listed in core.registry.ENTITIES"]
    # and again once the screens are loaded (a module only a screen imports declares it)
    assert screens.check() == [
        "entity.E001 entity 'tool' (tools) is declared but not listed in core.registry.ENTITIES"]
    monkeypatch.setattr(registry, "ENTITIES", registry.ENTITIES + (equipment,))
    assert checks.run() == []
    assert screens.check() == []


def test_an_entity_listed_twice(configured, monkeypatch):
    monkeypatch.setattr(registry, "ENTITIES", registry.ENTITIES + (registry.ENTITIES[0],))
    first = registry.ENTITIES[0]
    assert checks.run() == [f"entity.E002 name '{first.name}' is listed twice in core.registry.ENTITIES",
                            f"entity.E002 table '{first.table}' is listed twice in core.registry.ENTITIES"]


# ---- schema checks ------------------------------------------------------------------------------

class BadSchema(FormSchema):
    unlabelled: Series[str] = field("")
    odd_widget: Series[str] = pa.Field(metadata={"label": "奇怪的控件", "widget": "slider"})
    lost_list: Series[str] = field("丢失的列表", widget="select", source="no_such_list", required=False)


def test_schema_problems(configured, monkeypatch):
    monkeypatch.setattr(registry, "ENTITIES", registry.ENTITIES + (entities.Entity(
        name="bad", table="bad", label="坏", write_roles=frozenset({"admin"}), schema=BadSchema),))
    assert checks.run() == [
        "schema.E001 BadSchema.unlabelled has no Chinese label",
        "schema.E002 BadSchema.odd_widget has unknown widget 'slider'",
        "schema.E003 BadSchema.lost_list names unknown choice list 'no_such_list'",
    ]


def test_communities_list_must_be_provided(isolated, monkeypatch):
    from schemas import choices

    domain.install_providers()
    monkeypatch.delitem(choices._providers, "communities", raising=False)
    problems = checks.run()
    assert "schema.E003 Organisation.community names unknown choice list 'communities'" in problems
    assert all(p.startswith("schema.E003 ") and p.endswith(" names unknown choice list 'communities'") for p in problems)
