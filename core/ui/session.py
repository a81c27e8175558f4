"""Who is signed in, and the role check every screen runs first (server-side, not just hidden nav)."""
from __future__ import annotations

import functools
import threading
import time
import uuid
from typing import Callable, TypeVar

import streamlit as st

from streamlit.runtime.scriptrunner import get_script_run_ctx

from core import navigation
from core.platform import cache, security
from core.platform.actor import DEFAULT_HUB, Actor
from core.platform.db import get_db
from core.platform.errors import HubError, PermissionDenied
from core.ui import auth
from core.ui.text import md

T = TypeVar("T")


def actor() -> Actor | None:
    if st.session_state.get("authentication_status") is not True:
        return None
    username = st.session_state.get("username")
    if not username:
        return None
    # the hub and its roll-up scope, as the gate (core.ui.auth.current) read them in this run
    return Actor(username, tuple(st.session_state.get("roles") or ()), hub_id=st.session_state.get("hub_id") or DEFAULT_HUB,
                 scope=frozenset(st.session_state.get("hub_scope") or ()))


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
                cache.sync(get_db())  # nor did bootstrap's look at what other servers wrote (PostgreSQL)
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


def show_flash(where=None) -> None:
    """The message of the last action: flashed (shown once), or with ``where``, the one of the last action
    done at that place (:func:`act`), shown there on every run until another action replaces it."""
    if where is not None:
        note = _box()["note"]
        if note and note[0] == where:
            st.success(md(note[1]))
        return
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


# What each session's last action said and which actions it is doing, kept in the process and not in
# st.session_state. Seen in the browser with an impatient double click: (1) every read or write of session
# state is a point where Streamlit may stop the run for the rerun already waiting, so a message written
# there right after a write was lost; (2) the second click's run may even start on another thread while
# the first is still writing (both saw the same plan and both tried to store it; core refused the second,
# and that refusal was what the user saw). Hence a lock-guarded claim per action, checked before writing.
_BOXES: dict[str, dict] = {}
_BOXES_LOCK = threading.Lock()
_BOXES_KEPT = 2000  # sessions remembered (the oldest are forgotten)
DOUBLE_CLICK_S = 3.0  # the same action again within this time is the second click of a double click
_RUNNING = "running"
_TOKEN = "__actions"  # the session's key into _BOXES


def _box() -> dict:
    """This session's last note and its actions (read before an action writes anything)."""
    if _TOKEN not in st.session_state:
        st.session_state[_TOKEN] = uuid.uuid4().hex
    sid = st.session_state[_TOKEN]
    with _BOXES_LOCK:
        box = _BOXES.pop(sid, None) or {"note": None, "done": {}}
        _BOXES[sid] = box  # the most recently used last
        while len(_BOXES) > _BOXES_KEPT:
            _BOXES.pop(next(iter(_BOXES)))
    return box


def _once(box: dict, key, fn: Callable[[], T]) -> tuple[bool, T | None]:
    """``(True, fn())`` unless this session is already doing, or has just done, the same action ``key``:
    that is the other click of a double click, perhaps in a run of its own; then wait for it to finish and
    return ``(False, None)`` (nothing written twice, no refusal shown for it). A refusal (HubError) of
    ``fn`` itself is raised as usual and frees the action."""
    with _BOXES_LOCK:
        state = box["done"].get(key)
        busy = state == _RUNNING or (state is not None and time.monotonic() - state < DOUBLE_CLICK_S)
        if not busy:
            now = time.monotonic()
            box["done"] = {k: v for k, v in box["done"].items() if v == _RUNNING or now - v < DOUBLE_CLICK_S}
            box["done"][key] = _RUNNING
    if busy:
        deadline = time.monotonic() + 20
        while box["done"].get(key) == _RUNNING and time.monotonic() < deadline:
            time.sleep(0.05)
        return False, None
    try:
        result = fn()
    except BaseException:
        with _BOXES_LOCK:
            box["done"].pop(key, None)
        raise
    with _BOXES_LOCK:
        box["done"][key] = time.monotonic()
    return True, result


def act(fn: Callable[[], T], ok: str | Callable[[T], str] | None, *, once=None, where=None) -> bool:
    """Run a screen action: a refusal (HubError) is shown in Chinese here (:func:`refused`) and changes
    nothing; on success ``ok`` (a message, or a function of ``fn``'s result that says what it did; empty:
    nothing to say) is flashed and the page reruns, so everything on it shows the new state.

    ``once``: a key of the action (what and on which record, e.g. ``("unassign", 12)``): the other click
    of an impatient double click does not run it again; it waits for the first and reruns (no refusal of
    the second click is shown). ``where``: the place of the action on the screen (with the record it is
    about, e.g. ``("plan", round_id)``): ``ok`` is shown there by ``show_flash(where)``, from the next run
    on until another action replaces it, rather than at the top."""
    box = _box() if once is not None or where is not None else None
    try:
        done, result = _once(box, once, fn) if once is not None else (True, fn())
    except HubError as exc:
        refused(exc)
        return False
    message = ok(result) if done and callable(ok) else ok if done else None
    if message:
        if where is None:
            flash(message)
        else:
            box["note"] = (where, message)
    st.rerun()  # the state as it is now (after this click, or after the other click of a double click)
    return done


def settled(page: Callable[[], None]) -> Callable[[], None]:
    """For a screen with ``act(..., once=...)`` actions: having drawn itself without doing an action, it
    catches up with an action of the same session that finished (or is still writing) while it was
    drawing: it waits and draws again, so what the user is left with is never a screen computed half
    before and half after their own write (the run of the other click of a double click)."""
    @functools.wraps(page)
    def screen() -> None:
        started = time.monotonic()
        page()
        box = _box()
        deadline = time.monotonic() + 20
        while any(v == _RUNNING for v in box["done"].values()) and time.monotonic() < deadline:
            time.sleep(0.05)
        if any(v != _RUNNING and v > started for v in box["done"].values()):
            st.rerun()

    return screen


def refused(exc: HubError) -> None:
    """The one way a refusal is shown: its Chinese message, here; a refusal of the role is logged for the
    auditor. (Every screen shows a ``HubError`` through this, via :func:`act` or :func:`attempt`.)"""
    if isinstance(exc, PermissionDenied):
        who = actor()
        security.log("access_refused", who.username if who else None, f"操作被拒绝:{exc}", auth.client_address())
    st.error(md(exc))


def attempt(fn: Callable[[], T], default: T | None = None) -> T | None:
    """``fn()`` (a read or a step that must not rerun the page), or ``default`` after showing its refusal
    (:func:`refused`): ``app = attempt(lambda: applications.get(i)); if app is None: return``."""
    try:
        return fn()
    except HubError as exc:
        refused(exc)
        return default
