"""Shared fixtures: every test gets its own database file and secrets file; caches are cleared.

``demo_db`` copies a demo database built once per session (accounts + 55 organisations), so
AppTests start from realistic data in milliseconds.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.demo_cache import FAST_ENV  # noqa: E402  (tests/test_backup.py turns backups on)


def _reset_process_state() -> None:
    import streamlit as st

    from core import app, db

    app.reset_for_tests()  # first: stops a backup thread before its database closes
    db.close_all()
    st.cache_data.clear()
    st.cache_resource.clear()


@pytest.fixture(autouse=True)
def isolated(tmp_path, monkeypatch):
    """A private database path and secrets file for each test."""
    for k, v in FAST_ENV.items():
        monkeypatch.setenv(k, v)
    monkeypatch.setenv("HUBDESK_DB", str(tmp_path / "hub.duckdb"))
    monkeypatch.setenv("HUBDESK_SECRETS", str(tmp_path / "secrets.toml"))
    monkeypatch.setenv("HUBDESK_DEMO", "0")
    _reset_process_state()
    yield tmp_path
    _reset_process_state()


@pytest.fixture
def db(isolated):
    """An empty, migrated database with the 21 demo communities (no users, no organisations)."""
    from core import communities
    from core.actor import SYSTEM
    from core.db import get_db
    from schemas import choices

    database = get_db()
    communities.install_provider()
    communities.ensure(choices.DEMO_COMMUNITIES, SYSTEM, db=database)
    return database


@pytest.fixture(scope="session")
def demo_template():
    """The demo database of this code version, built once (``tests/demo_cache.py``); copy, never open."""
    from tests import demo_cache

    return demo_cache.template()


@pytest.fixture
def demo_db(isolated, demo_template, monkeypatch):
    """A fresh copy of the demo database for this test; returns the open Database."""
    from core import app

    from tests import demo_cache

    target = isolated / "hub.duckdb"
    demo_cache.copy_to(target)  # with the secrets file holding its audit key, and its audit head file
    monkeypatch.setenv("HUBDESK_DEMO", "1")
    return app.bootstrap()
