"""The sign-in gate, on every run: a server-side session (core.platform.sessions) referenced by a signed cookie, the
lockout and client throttle (core.platform.lockout), and streamlit-authenticator for the password check (bcrypt
against the account's stored hash, at the cost it was made with: ``HUBDESK_BCRYPT_ROUNDS``, 12 by default).

The authenticator is built at a sign-in only, over the one account signing in (not every active account), and
imported then: its import (0.25-0.5 s measured) was paid by the first page a fresh server answered (issue 17,
bench/signin.py).

The cookie is a JWT (HS256 only, key from the secrets file) that carries a random session id and its
expiry, nothing else; the session it names must be alive in the database (not revoked, not idle, not past
its lifetime, account active) on every run, so a copied cookie stops working at 退出登录, at a password
change or reset, at a role change or when the account is disabled. Any cookie that does not decode
(wrong key, wrong algorithm, garbage) means signed out, with the login form.

The cookie is read from the request (``st.context.cookies``) and written by a one-line script in the page
at sign-in and sign-out only. No cookie component is drawn on ordinary runs: its iframe answers every page
load with one or two extra reruns, which cost a person's page load its time and could swallow a click
made meanwhile (a tab switched back, a button that never appeared).
"""
from __future__ import annotations

import json
import re
from datetime import datetime, timezone
from email.utils import format_datetime

import bcrypt
import streamlit as st

from core.orgs import hubs
from core.platform import config, lockout, sessions, users
from core.platform.actor import Actor, act_as
from core.ui.text import md

COOKIE_NAME = "hubdesk_auth"
SID = "hub_sid"  # session_state: the session id of this browser tab's sign-in
_SPENT = "hub_cookie_spent"  # session_state: the cookie this tab connected with is not to be used again
_AUTH_KEYS = ("authentication_status", "username", "name", "email", "roles", "hub_id", "hub_scope")
_DUMMY_HASH: dict[int, bytes] = {}


def client_address() -> str | None:
    """The client's address: Streamlit's, or behind the reverse proxy of docs/deploy.md (with
    HUBDESK_TRUSTED_PROXY=1) the one nginx puts in X-Real-IP."""
    if config.load().trusted_proxy:
        forwarded = _header("X-Real-IP").strip()
        if forwarded:
            return forwarded[:100]
    try:
        ip = st.context.ip_address
    except Exception:  # noqa: BLE001 - no request context (tests)
        return None
    return ip if isinstance(ip, str) else None


def _header(name: str) -> str:
    try:
        value = st.context.headers.get(name)
    except Exception:  # noqa: BLE001 - no request context (tests)
        return ""
    return value if isinstance(value, str) else ""


def _browser_cookie() -> str | None:
    try:
        value = st.context.cookies.get(COOKIE_NAME)
    except Exception:  # noqa: BLE001 - no request context
        return None
    return value if isinstance(value, str) else None


def _cookie_session_id() -> str | None:
    """The session id in the browser's cookie, or None (no cookie, or one that does not decode: then the
    cookie is deleted so the browser stops sending it)."""
    if st.session_state.get(_SPENT):
        return None
    token = _browser_cookie()
    if not token:
        return None
    sid = sessions.cookie_session_id(token)
    if sid:
        return sid
    st.session_state[_SPENT] = True
    _delete_cookie()
    return None


# The script that writes the sign-in cookie: the only run-time value in it is the cookie string, built
# from the token alphabet below and JSON-quoted (tests/test_escaping.py allows exactly this use).
COOKIE_SCRIPT = "<script>document.cookie = {};</script>"
_TOKEN = re.compile(r"[A-Za-z0-9_.-]*")  # a JWT's three base64url parts, or nothing


def _write_cookie(value: str, expires: datetime) -> None:
    """Sets (or, with a past ``expires``, deletes) the sign-in cookie from a script in the page: path /,
    SameSite=Strict, Secure when configured (behind HTTPS)."""
    if not _TOKEN.fullmatch(value):
        raise ValueError("a sign-in cookie holds a signed token only")
    parts = [f"{COOKIE_NAME}={value}", "path=/", "expires=" + format_datetime(expires.astimezone(timezone.utc), usegmt=True),
             "SameSite=Strict"]
    if config.load().secure_cookie:
        parts.append("Secure")
    st.html(COOKIE_SCRIPT.format(json.dumps("; ".join(parts))), unsafe_allow_javascript=True)


def _set_cookie(session_id: str) -> None:
    _write_cookie(*sessions.cookie_token(session_id))


def _delete_cookie() -> None:
    _write_cookie("", datetime(1970, 1, 1, tzinfo=timezone.utc))


def _clear_session() -> None:
    for k in _AUTH_KEYS:
        st.session_state[k] = None
    st.session_state.pop(SID, None)


def _dummy_hash() -> bytes:
    rounds = config.load().bcrypt_rounds
    if rounds not in _DUMMY_HASH:
        _DUMMY_HASH[rounds] = bcrypt.hashpw(b"not a password of anyone", bcrypt.gensalt(rounds=rounds))
    return _DUMMY_HASH[rounds]


def _password_ok(username: str, password: str) -> bool:
    """streamlit-authenticator's check of the password for an active account (over that account's credentials
    only); the same bcrypt work for an unknown or disabled one, so a wrong username takes as long as a wrong
    password."""
    creds = users.credentials(username=username)
    if username not in creds["usernames"]:
        bcrypt.checkpw(password.encode("utf-8")[:72], _dummy_hash())
        return False
    # imported at a sign-in, not with the gate: the first page a fresh server answers does not pay for it
    from streamlit_authenticator.controllers import AuthenticationController  # at a sign-in only (see above)
    from streamlit_authenticator.utilities import LoginError  # at a sign-in only (see above)

    try:
        return bool(AuthenticationController(creds, auto_hash=False).login(username, password))
    except LoginError:
        return False


def _sign_in(username: str, password: str) -> None:
    username = (username or "").strip().lower()
    if not username or not password:
        st.session_state["login_error"] = "请输入用户名和密码"
        return
    client = client_address()
    attempt = lockout.begin(username, client)  # checked and counted in one step
    if not attempt.allowed:
        _clear_session()
        st.session_state["login_error"] = attempt.message
        return
    ok = False
    try:
        ok = _password_ok(username, password)
    finally:
        lock = lockout.finish(attempt, ok)
    if not ok:
        _clear_session()
        st.session_state["login_error"] = (f"连续登录失败次数过多,账号已锁定至 {lock.until:%H:%M}。" if lock.locked
                                           else "用户名或密码不正确")
        return
    roles = users.active_roles(username) or ()
    user = users.get(username) or {}
    try:
        session_id = sessions.start(Actor(username, roles), client=client,
                                    user_agent=_header("User-Agent"))
    except Exception:  # noqa: BLE001 - e.g. writes fail (disk full): no session, no sign-in
        _clear_session()
        st.session_state["login_error"] = "登录失败:暂时无法保存登录状态(数据库不可写),请联系系统管理员。"
        return
    st.session_state.update(authentication_status=True, username=username, name=user.get("name") or username,
                            email=user.get("email"), roles=list(roles), logout=None)
    st.session_state[SID] = session_id
    st.session_state[_SPENT] = True  # the tab's old cookie (if any) is replaced
    st.session_state.pop("login_error", None)
    _set_cookie(session_id)


def _login_form() -> bool:
    """Draws the sign-in form; True when this run signed the user in (the form is then removed)."""
    box = st.empty()
    with box.container():
        st.title("HubDesk 枢纽台")
        st.caption("社会组织发展服务中心 · 公益创投与孵化管理")
        with st.form("login", clear_on_submit=False, enter_to_submit=True):
            st.subheader("登录")
            st.text_input("用户名", key="login_username", autocomplete="username")
            st.text_input("密码", type="password", key="login_password", autocomplete="current-password")
            submitted = st.form_submit_button("登录", type="primary")
        error = st.empty()
    if submitted:
        _sign_in(st.session_state.get("login_username", ""), st.session_state.get("login_password", ""))
        if st.session_state.get("authentication_status"):
            box.empty()  # the same run goes on to the app (and writes the cookie)
            return True
    if st.session_state.get("login_error"):
        error.error(md(st.session_state["login_error"]))
    return False


def current(check: sessions.Check | None = None) -> Actor | None:
    """The signed-in actor if this tab's session is still alive (roles fresh from the database), else
    None with the auth state cleared and the reason kept for the login form. Cheap: two indexed reads
    (one when ``check``, the session's check made in this run, is given)."""
    session_id = st.session_state.get(SID)
    if not session_id:
        act_as(None)
        return None
    check = check or sessions.check(session_id)
    roles = users.active_roles(check.username) if check.ok else None
    if roles is None:
        act_as(None)
        _clear_session()
        st.session_state[_SPENT] = True
        st.session_state["login_error"] = check.reason or "账号已停用或不存在,已退出登录。"
        return None
    st.session_state["roles"] = list(roles)
    st.session_state["username"] = check.username
    st.session_state["authentication_status"] = True
    hub_id, scope = hubs.membership(check.username)  # the user's hub and the hubs below it (read-only roll-up)
    st.session_state["hub_id"], st.session_state["hub_scope"] = hub_id, sorted(scope)
    who = Actor(check.username, roles, hub_id=hub_id, scope=scope)
    act_as(who)  # what the database's choice lists offer in this run (core.platform.actor.acting)
    return who


def gate() -> Actor | None:
    """The signed-in actor, or None after drawing the login form."""
    for k in _AUTH_KEYS:
        st.session_state.setdefault(k, None)
    if st.session_state.pop("_hub_logout", False):
        who = current()
        if who is not None:
            sessions.end(st.session_state.get(SID), who)
        _delete_cookie()
        _clear_session()
        st.session_state[_SPENT] = True
        st.session_state.pop("login_error", None)
        st.session_state.pop("login_password", None)
        return current() if _login_form() else None
    check = None
    if not st.session_state.get(SID):
        session_id = _cookie_session_id()  # a new tab, F5 or a bookmark: the browser's cookie
        if session_id:
            st.session_state[SID] = session_id
            st.session_state[_SPENT] = True
            check = sessions.check(session_id)
            if not check.ok:
                _delete_cookie()
                _clear_session()
                if check.reason:
                    st.session_state["login_error"] = check.reason
    if st.session_state.get(SID):
        who = current(check)
        if who is not None:
            if not st.session_state.get("name"):
                st.session_state["name"] = (users.get(who.username) or {}).get("name") or who.username
            return who
        _delete_cookie()
    if _login_form():
        return current()
    return None


def _request_logout() -> None:
    st.session_state["_hub_logout"] = True


def logout_button() -> None:
    """Signing out happens at the top of the next run (so the cookie deletion is rendered, not cut off)."""
    st.sidebar.button("退出登录", key="logout_btn", icon=":material/logout:", on_click=_request_logout)
