"""Shared fixtures: every test gets its own database file and secrets file; caches are cleared.

``demo_db`` copies a demo database built once per code version (``tests/demo_cache.py``), so AppTests
start from realistic data in milliseconds. When the collected tests need it and it is not built yet, its
build starts in the background as soon as collection ends, while the first tests run.

Hypothesis profiles (the same properties in each, only the number of examples differs):
``ci`` (``CI=true``): 30 derandomised examples per property; ``dev`` (the default by hand): 30 fresh random
examples; ``thorough``: ``HYPOTHESIS_EXAMPLES`` (default 1000). ``HYPOTHESIS_PROFILE`` chooses one.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.demo_cache import FAST_ENV  # noqa: E402  (tests/test_backup.py turns backups on)

_HEALTH = [HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large]
settings.register_profile("ci", max_examples=30, deadline=None, derandomize=True, suppress_health_check=_HEALTH)
settings.register_profile("dev", max_examples=30, deadline=None, suppress_health_check=_HEALTH)
settings.register_profile("thorough", max_examples=int(os.environ.get("HYPOTHESIS_EXAMPLES", "1000")), deadline=None,
                          suppress_health_check=_HEALTH)
HYPOTHESIS_PROFILE = os.environ.get("HYPOTHESIS_PROFILE") or ("ci" if os.environ.get("CI") == "true" else "dev")
settings.load_profile(HYPOTHESIS_PROFILE)


def _scan_installed_components_once() -> None:
    """Every new AppTest scans the metadata of every installed distribution for Streamlit components
    (``BidiComponentManager.discover_and_register_components``; a server does it once at start): measured
    0.4 s of CPU per AppTest here, half of an average AppTest's cost. The installed packages do not change
    during a test session, so the scan runs once per process and its result is reused (a copy each time)."""
    from streamlit.components.v2 import manifest_scanner

    scan = manifest_scanner.scan_component_manifests
    found: list = []

    def scan_once(*args, **kwargs):
        if not found:
            found.append(scan(*args, **kwargs))
        return list(found[0])

    manifest_scanner.scan_component_manifests = scan_once


_scan_installed_components_once()


def _needs_demo(item) -> bool:
    return "demo_template" in getattr(item, "fixturenames", ()) or \
        ROOT / "tests" / "browser" in Path(str(item.fspath)).parents


def pytest_configure(config):
    # decided once, before pytest-xdist starts its workers (they inherit it): all of them must collect the
    # tests in the same order, even if a build elsewhere finishes while they collect
    if "PYTEST_XDIST_WORKER" not in os.environ:
        from tests import demo_cache

        built = demo_cache.pg_is_built() if ENGINE == "postgres" else demo_cache.is_built()
        os.environ["HUBDESK_TEST_DEMO_BUILT"] = "1" if built else "0"


@pytest.hookimpl(trylast=True)  # after tests/browser/conftest.py has put the browser tests in their groups
def pytest_collection_modifyitems(config, items):
    """The order the tests run in (and, under pytest-xdist with ``--no-loadscope-reorder``, the order the
    workers take them): without a demo database for this code version, the tests that need none come before
    those that do, while it is built in the background (``pytest_collection_finish``). Under pytest-xdist
    the main browser group comes first (the longest stretch of one worker, started at once; in it the browser
    load check first); the late browser group comes after the tests that need no demo database (so another
    worker takes it once the demo build is done, and both workers end on short tests, not one on a group)."""
    demo_missing = os.environ.get("HUBDESK_TEST_DEMO_BUILT") == "0"
    xdist = "PYTEST_XDIST_WORKER" in os.environ

    def key(item) -> int:
        mark = item.get_closest_marker("xdist_group")
        group = mark.args[0] if mark and mark.args else None
        if xdist and group == "browser":
            # the browser load check first: beside the unit tests, not beside the late browser group's chromium
            return 0 if Path(str(item.fspath)).stem == "test_load_reviewers" else 1
        if xdist and group == "browser-late":
            return 3
        return 4 if demo_missing and _needs_demo(item) else 2

    items.sort(key=key)  # stable: in collection order within each part


def pytest_collection_finish(session):
    """Starts building the demo database in the background when a collected test will need it (an AppTest's
    ``demo_db``, a browser server) and this code version has none yet: the first tests run meanwhile, and
    the first test that needs it waits for the same build (``demo_cache.template`` holds a file lock).
    Under pytest-xdist one worker does it."""
    from tests import demo_cache

    if os.environ.get("PYTEST_XDIST_WORKER", "gw0") != "gw0":
        return
    if ENGINE == "postgres":  # the demo on PostgreSQL: built (or restored) into this worker's cluster meanwhile
        from tests import pg_cluster

        if pg_cluster.missing_reason() is None and any(_needs_demo(item) for item in session.items):
            demo_cache.pg_build_in_background(pg_cluster.cluster)
        return
    if not demo_cache.is_built() and any(_needs_demo(item) for item in session.items):
        demo_cache.build_in_background()


def _reset_process_state() -> None:
    import streamlit as st

    from core import app
    from core.platform import db

    app.reset_for_tests()  # first: stops a backup thread before its database closes
    db.close_all()
    st.cache_data.clear()
    st.cache_resource.clear()


# HUBDESK_TEST_ENGINE=postgres: every test's database is a fresh PostgreSQL database (tests/pg_cluster.py) instead
# of a DuckDB file; DuckDB is the default. The demo database is then a copy of the cluster's template_demo
# (tests/pg_cluster.py Cluster.demo: the demo built on PostgreSQL once per code version, tests/demo_cache.pg_demo).
ENGINE = (os.environ.get("HUBDESK_TEST_ENGINE") or "duckdb").strip().lower()


def pg_cluster_or_skip():
    """This process's test PostgreSQL cluster; skips the test when PostgreSQL is not installed (fails under CI)."""
    from tests import pg_cluster

    reason = pg_cluster.missing_reason()
    if reason is None:
        try:
            return pg_cluster.cluster()
        except Exception as exc:  # noqa: BLE001 - reported as the skip/fail reason
            reason = str(exc)
    if os.environ.get("CI") == "true":
        pytest.fail(reason)
    pytest.skip(reason)


def pytest_sessionfinish(session, exitstatus):
    from tests import pg_cluster

    pg_cluster.stop()


@pytest.fixture(autouse=True)
def isolated(tmp_path, monkeypatch, request):
    """A private database path and secrets file for each test."""
    for k, v in FAST_ENV.items():
        monkeypatch.setenv(k, v)
    monkeypatch.setenv("HUBDESK_DB", str(tmp_path / "hub.duckdb"))
    monkeypatch.setenv("HUBDESK_SECRETS", str(tmp_path / "secrets.toml"))
    monkeypatch.setenv("HUBDESK_DEMO", "0")
    pg_name = None
    if ENGINE == "postgres":
        cluster = pg_cluster_or_skip()
        kind = "demo" if "demo_db" in request.fixturenames or "demo_template" in request.fixturenames \
            else "communities" if "db" in request.fixturenames else "migrated"
        pg_name, url = cluster.fresh(kind, tmp_path)
        monkeypatch.setenv("HUBDESK_DB", url)
        monkeypatch.setenv("HUBDESK_DATA_DIR", str(tmp_path))
    _reset_process_state()
    yield tmp_path
    _reset_process_state()
    if pg_name:
        cluster.drop(pg_name)


@pytest.fixture(scope="session")
def empty_template():
    """The migrated database with the 21 demo communities, built once per code version; copy, never open."""
    from tests import demo_cache

    if ENGINE == "postgres":
        return None
    return demo_cache.empty_template()


@pytest.fixture
def db(isolated, empty_template):
    """An empty, migrated database with the 21 demo communities (no users, no organisations): a copy of
    ``empty_template`` (running the migrations for every test cost 0.1-0.2 s each)."""
    from core.orgs import communities
    from core.platform.db import get_db

    from tests import demo_cache

    if ENGINE != "postgres":  # on PostgreSQL, isolated made it from the same kind of template
        demo_cache.copy_to(isolated / "hub.duckdb", empty_template)
    database = get_db()
    communities.install_provider()
    return database


@pytest.fixture(scope="session")
def demo_template():
    """The demo database of this code version, built once (``tests/demo_cache.py``); copy, never open."""
    from tests import demo_cache

    if ENGINE == "postgres":  # the name of the cluster's demo template (isolated copies it for the test)
        return pg_cluster_or_skip().demo()[0]
    return demo_cache.template()


@pytest.fixture
def demo_db(isolated, demo_template, monkeypatch):
    """A fresh copy of the demo database for this test; returns the open Database."""
    from core import app

    from tests import demo_cache

    if ENGINE != "postgres":  # on PostgreSQL, isolated made it from the cluster's demo template
        demo_cache.copy_to(isolated / "hub.duckdb")  # with the secrets file holding its audit key, and its audit head
    monkeypatch.setenv("HUBDESK_DEMO", "1")
    return app.bootstrap()
