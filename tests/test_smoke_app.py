"""Every screen of the pages registry (``core.navigation.PAGES``) is registered for exactly the roles it names
and renders through ``Home.py``; a broken registry stops the start with the problem named."""
import dataclasses

from core import navigation
from tests.apptest_helpers import errors, open_page, registered_urls, signed_in, texts


def urls_for(*roles: str) -> set[str]:
    """The URLs of the screens the registry gives these roles (the default screen answers at "")."""
    return {"" if p.default else p.url_path for p in navigation.pages_for(roles)}


def test_the_registry_keeps_the_roles_apart():
    """What the registry must keep whatever screens are added: the system screens are the admin's, the
    reviewer's tasks are the reviewer's, and neither a reviewer nor a leader opens the registers or the accounts."""
    assert {"round-admin", "accounts", "audit-log"} <= urls_for("admin") - urls_for("staff")
    assert "my-reviews" in urls_for("reviewer") - urls_for("admin", "staff", "leader")
    assert not urls_for("reviewer", "leader") & {"orgs", "application-list", "funded-projects", "accounts", "audit-log"}


def test_staff_sees_registry_and_round_pages_but_not_admin_ones(demo_db):
    at = signed_in("staff", ["staff"]).run()
    assert not at.exception
    assert registered_urls(at) == urls_for("staff")
    open_page(at, "orgs")
    assert "社会组织台账" in texts(at)
    assert len(at.dataframe) == 1


def test_every_page_of_the_admin_renders_without_exception(demo_db):
    at = signed_in("admin", ["admin"]).run()
    urls = registered_urls(at)
    assert urls == urls_for("admin") and len(urls) == len(navigation.pages_for(["admin"]))
    for url in sorted(urls):
        open_page(at, url)
        assert not at.exception, (url, at.exception)
        assert at.title, url


def test_reviewer_and_leader_see_only_their_pages(demo_db):
    assert registered_urls(signed_in("expert", ["reviewer"]).run()) == urls_for("reviewer")
    assert registered_urls(signed_in("leader", ["leader"]).run()) == urls_for("leader")


def test_the_first_run_imports_every_screen_and_freezes_the_heap(demo_db):
    """After the first run the process's long-lived objects are out of the garbage collector's view, so the
    full collection Streamlit makes after every run walks only what runs created (``core.app.freeze_heap``)."""
    import gc
    import sys

    from core import app
    from core.navigation import PAGES

    at = signed_in("staff", ["staff"]).run()
    assert not at.exception
    assert app.heap_frozen()
    assert gc.get_freeze_count() > 10_000
    assert all(spec.target.partition(":")[0] in sys.modules for spec in PAGES)


def test_a_broken_pages_registry_stops_the_start_and_names_the_problem(demo_db, monkeypatch):
    """The registry's start-up check runs from the entry point (core.ui.screens.check): a screen whose target
    does not resolve stops the app with the problem's id, in place of any screen, and the heap stays unfrozen."""
    from core import app

    broken = dataclasses.replace(navigation.PAGES[1], key="broken", url_path="broken-page", target="pages.home:nope")
    monkeypatch.setattr(navigation, "PAGES", navigation.PAGES + (broken,))
    monkeypatch.setattr(app, "_heap_frozen", False)
    at = signed_in("staff", ["staff"]).run()
    assert not at.exception
    assert "配置检查未通过" in errors(at)
    assert "nav.E005 page 'broken' target pages.home:nope is not a function" in errors(at)
    assert not at.title  # no screen drew
    assert not app.heap_frozen()
