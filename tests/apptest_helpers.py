"""Helpers for AppTest: sign in through session state, open a page by its url_path."""
from __future__ import annotations

from streamlit.testing.v1 import AppTest
from streamlit.util import calc_hash

from tests.conftest import ROOT

HOME = str(ROOT / "Home.py")


def app() -> AppTest:
    return AppTest.from_file(HOME, default_timeout=60)


def signed_in(username: str, roles: list[str], name: str | None = None) -> AppTest:
    """An AppTest whose session is already signed in (as the authenticator would leave it)."""
    at = app()
    for k, v in {"authentication_status": True, "username": username, "name": name or username,
                 "roles": list(roles), "logout": None}.items():
        at.session_state[k] = v
    return at


def page_hash(url_path: str) -> str:
    """The script hash Streamlit gives an ``st.Page`` with this url_path (what a URL visit asks for)."""
    return calc_hash(url_path)


def open_page(at: AppTest, url_path: str) -> AppTest:
    """Ask for the page at ``url_path`` like a browser visiting /url_path would, and run."""
    at._page_hash = page_hash(url_path)
    return at.run()


def registered_urls(at: AppTest) -> set[str]:
    return {info.get("url_pathname") or "" for info in at._registered_pages.values()}


def texts(at: AppTest) -> str:
    """All visible text of common elements, joined (for 'contains' assertions)."""
    parts = []
    for kind in ("title", "header", "subheader", "markdown", "caption", "text", "error", "warning", "success", "info"):
        parts += [str(e.value) for e in getattr(at, kind)]
    return "\n".join(parts)
