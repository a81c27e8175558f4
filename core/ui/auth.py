"""The sign-in gate: streamlit-authenticator for credential checks and the signed cookie, plus a
lockout kept in the database and a per-run check that the account is still active.
"""
from __future__ import annotations

import logging

import streamlit as st
import streamlit_authenticator as stauth
from streamlit_authenticator.utilities import LoginError

from core import config, lockout, secrets_file, users
from core.actor import Actor
from core.errors import WriteFailed
from core.ui.text import md

COOKIE_NAME = "hubdesk_auth"
_AUTH_KEYS = ("authentication_status", "username", "name", "email", "roles")


def _authenticator() -> stauth.Authenticate:
    s = config.load()
    return stauth.Authenticate(
        users.credentials(), cookie_name=COOKIE_NAME, cookie_key=secrets_file.cookie_key(s.secrets_path),
        cookie_expiry_days=s.cookie_days, auto_hash=False, login_sleep_time=s.login_sleep,
    )


def _clear_session() -> None:
    for k in _AUTH_KEYS:
        st.session_state[k] = None


def _sign_in(authenticator: stauth.Authenticate, username: str, password: str) -> None:
    username = (username or "").strip().lower()
    if not username or not password:
        st.session_state["login_error"] = "请输入用户名和密码"
        return
    lock = lockout.status(username)
    if lock.locked:
        st.session_state["login_error"] = f"该账号因多次登录失败已被锁定,请于 {lock.until:%H:%M} 后再试,或联系管理员。"
        return
    try:
        ok = authenticator.authentication_controller.login(username, password)
    except LoginError as exc:
        ok = False
        st.session_state["login_error"] = str(exc)
    try:
        lockout.record(username, bool(ok))
    except WriteFailed:  # full disk or read-only database: signing in (a read) still works, unrecorded
        logging.getLogger("hubdesk").warning("HubDesk: sign-in attempt of %s not recorded (writes fail)", username)
    if ok:
        st.session_state["logout"] = None
        st.session_state.pop("login_error", None)
        authenticator.cookie_controller.set_cookie()
    else:
        _clear_session()
        lock = lockout.status(username)
        if lock.locked:
            st.session_state["login_error"] = f"连续登录失败次数过多,账号已锁定至 {lock.until:%H:%M}。"
        else:
            st.session_state["login_error"] = "用户名或密码不正确"


def _login_form(authenticator: stauth.Authenticate) -> bool:
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
        _sign_in(authenticator, st.session_state.get("login_username", ""), st.session_state.get("login_password", ""))
        if st.session_state.get("authentication_status"):
            box.empty()  # same run goes on to the app, so the cookie component is not cut off by a rerun
            return True
    if st.session_state.get("login_error"):
        error.error(md(st.session_state["login_error"]))
    return False


def _current(authenticator) -> Actor | None:
    username = st.session_state.get("username")
    roles = users.active_roles(username) if username else None
    if roles is None:  # disabled (or deleted) since signing in: out, even with a valid cookie
        authenticator.logout(location="unrendered")
        _clear_session()
        st.session_state["login_error"] = "账号已停用或不存在,已退出登录。"
        return None
    st.session_state["roles"] = list(roles)
    return Actor(username, roles)


def gate() -> Actor | None:
    """The signed-in actor (roles fresh from the database), or None after drawing the login form."""
    authenticator = _authenticator()
    if st.session_state.pop("_hub_logout", False):
        if st.session_state.get("authentication_status"):
            authenticator.logout(location="unrendered")
        _clear_session()
        st.session_state.pop("login_error", None)
        st.session_state.pop("login_password", None)
        return None if _login_form(authenticator) is False else _current(authenticator)
    try:
        authenticator.login(location="unrendered")  # re-authenticates from a valid cookie only
    except LoginError:
        # a cookie for an account that is unknown or disabled: drop it
        authenticator.cookie_controller.delete_cookie()
        _clear_session()
    if st.session_state.get("authentication_status") is True:
        who = _current(authenticator)
        if who is not None:
            return who
    if _login_form(authenticator):
        return _current(authenticator)
    return None


def _request_logout() -> None:
    st.session_state["_hub_logout"] = True


def logout_button() -> None:
    """Signing out happens at the top of the next run (so the cookie deletion is rendered, not cut off)."""
    st.sidebar.button("退出登录", key="logout_btn", icon=":material/logout:", on_click=_request_logout)
