"""Helpers for AppTest: sign in through session state, open a page by its url_path."""
from __future__ import annotations

from streamlit.testing.v1 import AppTest
from streamlit.util import calc_hash

from tests.conftest import ROOT

HOME = str(ROOT / "Home.py")


def app() -> AppTest:
    return AppTest.from_file(HOME, default_timeout=60)


def signed_in(username: str, roles: list[str], name: str | None = None) -> AppTest:
    """An AppTest whose session is already signed in (as the sign-in leaves it: a server-side session
    in the database, its id in session state). The user must exist and be active for the gate to let it in."""
    at = app()
    for k, v in {"authentication_status": True, "username": username, "name": name or username,
                 "roles": list(roles), "logout": None, SID_KEY: test_session(username)}.items():
        at.session_state[k] = v
    return at


SID_KEY = "hub_sid"  # core.ui.auth.SID


def test_session(username: str) -> str:
    """A live server-side session for ``username``, stored directly (like Datasette's ``actor_cookie``: a
    test signs an identity instead of signing in, and leaves no audit row that would shift the counts
    tests compare); returns its id."""
    import datetime as dt
    import hashlib
    import secrets

    from core.platform import config
    from core.platform.db import get_db

    sid = secrets.token_urlsafe(32)
    now = dt.datetime.now()
    with get_db().transaction() as tx:
        tx.execute("INSERT INTO user_sessions (id, username, created_at, last_seen, expires_at) VALUES (?, ?, ?, ?, ?)",
                   [hashlib.sha256(sid.encode()).hexdigest(), username, now, now,
                    now + dt.timedelta(days=config.load().cookie_days)])
    return sid


def page_hash(url_path: str) -> str:
    """The script hash Streamlit gives an ``st.Page`` with this url_path (what a URL visit asks for)."""
    return calc_hash(url_path)


def open_page(at: AppTest, url_path: str) -> AppTest:
    """Ask for the page at ``url_path`` like a browser visiting /url_path would, and run."""
    at._page_hash = page_hash(url_path)
    return at.run()


def registered_urls(at: AppTest) -> set[str]:
    """The URLs that open a screen (not the placeholders every other known URL gets, see Home.py)."""
    from core.navigation import PLACEHOLDER_ICON

    return {info.get("url_pathname") or "" for info in at._registered_pages.values()
            if info.get("icon") != PLACEHOLDER_ICON}


def known_urls(at: AppTest) -> set[str]:
    """Every URL the navigation answers (screens and placeholders)."""
    return {info.get("url_pathname") or "" for info in at._registered_pages.values()}


def texts(at: AppTest) -> str:
    """All visible text of common elements, joined (for 'contains' assertions)."""
    parts = []
    for kind in ("title", "header", "subheader", "markdown", "caption", "text", "error", "warning", "success", "info"):
        parts += [str(e.value) for e in getattr(at, kind)]
    return "\n".join(parts)


_MD_ESCAPE = __import__("re").compile(r"\\([\\`*_{}\[\]()#+\-.!|<>~$=:])")


def plain(text) -> str:
    """Text as the user reads it (messages escape markdown with backslashes: core.ui.text.md)."""
    return _MD_ESCAPE.sub(r"\1", str(text))


def plain_texts(at: AppTest) -> str:
    return plain(texts(at))


def errors(at: AppTest) -> str:
    return "\n".join(plain(e.value) for e in at.error)


def successes(at: AppTest) -> list[str]:
    return [plain(s.value) for s in at.success]


def db():
    from core.platform.db import get_db

    return get_db()


def screen_as(username: str, roles: list[str], target: str, **query) -> AppTest:
    """Run one screen function directly (no Home.py, no navigation) with a seeded session: proves the
    screen checks the role itself."""
    def script(username, roles, target):
        import importlib

        import streamlit as st

        from core import app

        app.bootstrap()
        st.session_state.update(authentication_status=True, username=username, name=username, roles=roles)
        module, _, func = target.partition(":")
        getattr(importlib.import_module(module), func)()

    at = AppTest.from_function(script, kwargs={"username": username, "roles": roles, "target": target},
                               default_timeout=60)
    for k, v in query.items():
        at.query_params[k] = v
    return at


def count(table: str, where: str = "", params=None) -> int:
    """Rows in ``table`` (test bookkeeping: nothing stored on bad input)."""
    return int(db().scalar(f"SELECT count(*) FROM {table} {where}", params or []))
