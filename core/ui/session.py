"""Who is signed in, and the role check every screen runs first (server-side, not just hidden nav)."""
from __future__ import annotations

from typing import Callable, TypeVar

import streamlit as st

from streamlit.runtime.scriptrunner import get_script_run_ctx

from core import navigation, security
from core.actor import Actor
from core.errors import HubError, PermissionDenied
from core.ui import auth
from core.ui.text import md


def actor() -> Actor | None:
    if st.session_state.get("authentication_status") is not True:
        return None
    username = st.session_state.get("username")
    if not username:
        return None
    return Actor(username, tuple(st.session_state.get("roles") or ()))


def live_fragment(page_key: str, run_every):
    """``st.fragment(run_every=...)`` that checks the session and the role on every run of its own: a
    fragment's automatic rerun skips Home.py's gate, so a signed-out, disabled or demoted user's screen
    must stop showing data at the next tick (a full rerun then shows the login form or the notice)."""
    def wrap(body: Callable):
        @st.fragment(run_every=run_every)
        def guarded(*args, **kwargs):
            ctx = get_script_run_ctx()
            if ctx is not None and ctx.fragment_ids_this_run:  # a run of the fragment alone: no gate ran
                who = auth.current()
                if who is None or not navigation.allowed(page_key, who.roles):
                    st.rerun(scope="app")  # the full run shows the login form or the no-access notice
            return body(*args, **kwargs)

        return guarded

    return wrap


def require(page_key: str) -> Actor:
    """Stop the script unless the signed-in user's roles allow ``page_key``."""
    who = actor()
    if who is None:
        st.warning("请先登录。")
        st.stop()
    if not navigation.allowed(page_key, who.roles):
        security.log("access_refused", who.username, f"页面 {page_key}(角色 {'、'.join(who.roles)})",
                     auth.client_address())
        st.error("您的角色无权访问此页面。")
        st.stop()
    return who


_FLASH = "__flash"


def flash(message: str) -> None:
    """Keep a success message for the next run: a screen that reruns after an action (so everything it
    draws shows the new state) shows it there with :func:`show_flash`."""
    st.session_state[_FLASH] = message


def show_flash() -> None:
    message = st.session_state.pop(_FLASH, None)
    if message:
        st.success(md(message))


def url_tabs(labels: list[str], key: str = "tab") -> list:
    """Tabs whose choice is in the URL (``?tab=…``): a reload, a shared link or an action keeps the tab; the
    message of the last action is shown at the top of the open tab, where the user is."""
    tabs = st.tabs(labels, key=key, bind="query-params")
    for t in tabs:
        if t.open:
            with t:
                show_flash()
    return tabs


def export_logger(title: str) -> Callable[[dict], dict]:
    """For an export button: ``data=lambda: workbook_bytes(log({sheet: frame}))`` logs who exported how many
    rows of what (an auditor's question about personal data) and passes the sheets on. Who and from where
    are taken now; the download itself may run outside the script's run."""
    who = actor()
    client = auth.client_address()

    def log(sheets: dict) -> dict:
        rows = sum(len(frame) for frame in sheets.values())
        security.log("export", who.username if who else None, f"导出「{title}」共 {rows} 行(Excel)", client)
        return sheets

    return log


def act(fn: Callable[[], object], ok: str) -> bool:
    """Run a screen action: a refusal (HubError) is shown in Chinese and changes nothing; on success the
    message is flashed and the page reruns, so everything on it shows the new state. An action the role
    may not do is logged for the auditor."""
    try:
        fn()
    except HubError as exc:
        refused(exc)
        return False
    flash(ok)
    st.rerun()
    return True


def refused(exc: HubError) -> None:
    """The one way a refusal is shown: its Chinese message, here; a refusal of the role is logged for the
    auditor. (Every screen shows a ``HubError`` through this, via :func:`act` or :func:`attempt`.)"""
    if isinstance(exc, PermissionDenied):
        who = actor()
        security.log("access_refused", who.username if who else None, f"操作被拒绝:{exc}", auth.client_address())
    st.error(md(exc))


T = TypeVar("T")


def attempt(fn: Callable[[], T], default: T | None = None) -> T | None:
    """``fn()`` (a read or a step that must not rerun the page), or ``default`` after showing its refusal
    (:func:`refused`): ``app = attempt(lambda: applications.get(i)); if app is None: return``."""
    try:
        return fn()
    except HubError as exc:
        refused(exc)
        return default
