"""Account security: the password policy (at least 10 characters, not all of one character class, not
the username) wherever a password is set (create, reset, change); the lockout as built; the sign-in
cookie's lifetime (HUBDESK_COOKIE_DAYS, the token's expiry claim) and its signature; XSRF protection
left on; a disabled account's session and cookie stop working; the audit log's hash chain exposes a
changed and a deleted row, and the admin screen's button says so.

Cookie re-authentication is driven through ``Home.py`` by giving streamlit-authenticator's cookie model
the request cookies a browser would send (AppTest itself cannot carry cookies).
"""
from __future__ import annotations

import datetime as dt
import os
import tomllib
import types

import jwt
import pytest
import streamlit

from core.platform import audit, config, lockout, passwords, secrets_file, sessions, users
from core.platform.actor import Actor, SYSTEM
from core.platform.errors import PermissionDenied, ValidationFailed
from core.ui.auth import COOKIE_NAME
from tests.apptest_helpers import app, count, errors, open_page, signed_in, successes
from tests.conftest import ROOT

ADMIN = Actor("admin", ("admin",))
PASSWORDS = {"admin": "Demo-admin-2026", "staff": "Demo-staff-2026", "leader": "Demo-leader-2026"}

# (password, username, the reason it is refused)
WEAK = [
    ("Ab1-short", "zhangsan", "密码至少需要10个字符"),
    ("abcdefghijkl", "zhangsan", "密码须包含大写字母、小写字母、数字、符号中的至少两类"),
    ("ABCDEFGHIJKL", "zhangsan", "密码须包含大写字母、小写字母、数字、符号中的至少两类"),
    ("202620262026", "zhangsan", "密码须包含大写字母、小写字母、数字、符号中的至少两类"),
    ("!@#$%^&*()_+", "zhangsan", "密码须包含大写字母、小写字母、数字、符号中的至少两类"),
    ("下沙街道社会组织服务中心", "zhangsan", "密码须包含大写字母、小写字母、数字、符号中的至少两类"),
    ("zhangsan2026", "zhangsan2026", "密码不能与用户名相同"),
    ("ZhangSan2026", "zhangsan2026", "密码不能与用户名相同"),
    (" Xiasha-2026 ", "zhangsan", "密码首尾不能有空格"),
]
GOOD = ["Xiasha-2026", "xiasha20261", "下沙Hub2026年度", "correct horse 9"]


# ---- the password policy -------------------------------------------------------------------------

@pytest.mark.parametrize("password,username,reason", WEAK)
def test_policy_refuses(password, username, reason):
    assert reason in passwords.problems(password, username)


@pytest.mark.parametrize("password", GOOD)
def test_policy_accepts(password):
    assert passwords.problems(password, "zhangsan") == []


@pytest.mark.parametrize("password,username,reason", WEAK)
def test_create_refuses_a_weak_password_and_stores_nothing(db, password, username, reason):
    before = (count("users"), count("audit_log"))
    with pytest.raises(ValidationFailed) as info:
        users.create({"username": username, "name": "张三", "roles": ["staff"], "active": True}, ADMIN,
                     password=password)
    assert reason in [m for msgs in info.value.fields.values() for m in msgs]
    assert (count("users"), count("audit_log")) == before


def test_generated_and_reset_passwords_meet_the_policy(db):
    for _ in range(200):
        assert passwords.problems(passwords.generate(), "zhangsan") == []
    username, first = users.create({"username": "zhangsan", "name": "张三", "roles": ["staff"], "active": True},
                                   ADMIN)
    assert passwords.problems(first, username) == []
    new = users.reset_password(username, ADMIN)
    assert new != first and passwords.problems(new, username) == []
    stored = users.get(username)["password_hash"]
    assert passwords.check(new, stored) and not passwords.check(first, stored)
    with pytest.raises(PermissionDenied):
        users.reset_password(username, Actor("zhangsan", ("staff",)))  # an admin's action only


@pytest.mark.parametrize("password,username,reason", [w for w in WEAK if w[1] == "zhangsan"] +
                         [("zhangsan-x", "zhangsan-x", "密码不能与用户名相同")])
def test_change_own_password_refuses_a_weak_one_and_changes_nothing(db, password, username, reason):
    users.create({"username": username, "name": "张三", "roles": ["staff"], "active": True}, ADMIN,
                 password="Start-2026-pw")
    before = (users.get(username)["password_hash"], count("audit_log"))
    with pytest.raises(ValidationFailed) as info:
        users.change_own_password(username, {"current": "Start-2026-pw", "new": password, "confirm": password})
    assert reason in info.value.fields.get("new", [])
    assert (users.get(username)["password_hash"], count("audit_log")) == before


def test_change_own_password_stores_a_good_one(db):
    users.create({"username": "zhangsan", "name": "张三", "roles": ["leader"], "active": True}, ADMIN,
                 password="Start-2026-pw")
    users.change_own_password("zhangsan", {"current": "Start-2026-pw", "new": "Xiasha-2026", "confirm": "Xiasha-2026"})
    stored = users.get("zhangsan")["password_hash"]
    assert passwords.check("Xiasha-2026", stored) and not passwords.check("Start-2026-pw", stored)
    last = db.fetch_one("SELECT actor, action, after_json FROM audit_log ORDER BY id DESC LIMIT 1")
    assert (last["actor"], last["action"]) == ("zhangsan", "change_password")
    assert "Xiasha" not in last["after_json"] and stored not in last["after_json"]  # the hash is masked


# ---- the lockout as built ------------------------------------------------------------------------

def _login(at, username: str, password: str):
    at.text_input(key="login_username").input(username)
    at.text_input(key="login_password").input(password)
    return at.button(key="FormSubmitter:login-登录").click().run()


def test_five_failures_lock_the_username_even_for_the_right_password(demo_db):
    at = app().run()
    for _ in range(5):
        _login(at, "staff", "wrong-password-1")
        assert not at.session_state["authentication_status"]
    _login(at, "staff", PASSWORDS["staff"])
    assert not at.session_state["authentication_status"]
    assert "已被锁定" in errors(at)
    status = lockout.status("staff")
    assert status.locked
    assert not lockout.status("staff", now=status.until + dt.timedelta(seconds=1)).locked  # 15 minutes, then over
    assert not lockout.status("leader").locked  # one username's failures never lock another
    other = app().run()
    _login(other, "leader", PASSWORDS["leader"])
    assert other.session_state["authentication_status"] is True
    # the attempt while locked is refused, recorded as refused, and not counted as a failure
    assert count("login_attempts", "WHERE username = 'staff' AND outcome = 'failed'") == 5
    assert count("login_attempts", "WHERE username = 'staff' AND outcome = 'locked'") == 1


# ---- the sign-in cookie --------------------------------------------------------------------------

def _key() -> str:
    return secrets_file.cookie_key(config.load().secrets_path)


def _token(username: str, *, days: float = 1.0, key: str | None = None, algorithm: str = "HS256",
           sid: str | None = None) -> str:
    """A cookie as the sign-in sets it: a server-side session of ``username`` (when the user exists) and
    its id, signed."""
    from core.platform import sessions, users
    from core.platform.actor import Actor

    if sid is None:
        sid = sessions.start(Actor(username, users.active_roles(username) or ())) if users.get(username) else "x" * 43
    exp = int((dt.datetime.now() + dt.timedelta(days=days)).timestamp())
    return jwt.encode({"sid": sid, "exp": exp}, key or _key(), algorithm=algorithm)


@pytest.fixture
def browser_cookies(monkeypatch):
    """The cookies a browser sends with the request (what ``st.context.cookies`` holds, as the sign-in gate
    reads it); and what the app asks the browser to store or drop (the script ``auth._write_cookie`` puts
    in the page: a past expiry drops the cookie)."""
    from core.ui import auth

    jar: dict[str, str] = {}
    stored: list[dict] = []

    def write(value, expires):
        if expires.timestamp() <= 0:
            jar.pop(COOKIE_NAME, None)
            return
        stored.append({"name": COOKIE_NAME, "value": value, "expires_at": expires.astimezone().replace(tzinfo=None)})

    monkeypatch.setattr(auth, "_browser_cookie", lambda: jar.get(COOKIE_NAME))
    monkeypatch.setattr(auth, "_write_cookie", write)
    return types.SimpleNamespace(jar=jar, stored=stored)


def _signed_in_by_cookie(at) -> bool:
    return at.session_state["authentication_status"] is True and [t.value for t in at.title] != ["HubDesk 枢纽台"]


def test_a_valid_cookie_signs_in_without_the_form(demo_db, browser_cookies):
    browser_cookies.jar[COOKIE_NAME] = _token("staff")
    at = app().run()
    assert not at.exception
    assert _signed_in_by_cookie(at) and at.session_state["username"] == "staff"
    assert [t.value for t in at.title] == ["工作台"]


@pytest.mark.parametrize("case", ["expired", "forged", "garbage", "unknown user", "unknown session",
                                  "alg none", "alg HS512", "old username token"])
def test_a_bad_cookie_signs_nobody_in(demo_db, browser_cookies, case):
    """Any cookie that does not name a live session means signed out, with the login form (no traceback)."""
    browser_cookies.jar[COOKIE_NAME] = {
        "expired": lambda: _token("staff", days=-0.001),
        "forged": lambda: _token("admin", key="x" * 64),  # signed with someone else's key
        "garbage": lambda: "not.a.jwt",
        "unknown user": lambda: _token("mallory"),
        "unknown session": lambda: _token("staff", sid="made-up-session-id"),
        "alg none": lambda: jwt.encode({"sid": "x", "exp": 9999999999}, None, algorithm="none"),
        "alg HS512": lambda: _token("staff", algorithm="HS512"),
        # the earlier cookie format ({username, exp_date}) no longer signs in
        "old username token": lambda: jwt.encode({"username": "staff", "exp_date": 9999999999.0}, _key(),
                                                 algorithm="HS256"),
    }[case]()
    at = app().run()
    assert not at.exception
    assert not at.session_state["authentication_status"]
    assert [t.value for t in at.title] == ["HubDesk 枢纽台"]  # the sign-in screen
    assert at.text_input(key="login_password")


@pytest.mark.parametrize("days", ["1", "0.25", "7"])
def test_the_cookie_lasts_hubdesk_cookie_days(demo_db, browser_cookies, monkeypatch, days):
    monkeypatch.setenv("HUBDESK_COOKIE_DAYS", days)
    at = app().run()
    started = dt.datetime.now()
    _login(at, "staff", PASSWORDS["staff"])
    assert at.session_state["authentication_status"] is True
    assert len(browser_cookies.stored) == 1
    cookie = browser_cookies.stored[0]
    assert cookie["name"] == COOKIE_NAME
    lifetime = dt.timedelta(days=float(days))
    assert abs(cookie["expires_at"] - (started + lifetime)) < dt.timedelta(seconds=30)
    # the token carries a session id and its expiry, is signed with the secrets file's key; the session
    # in the database has the same lifetime
    claims = jwt.decode(cookie["value"], _key(), algorithms=["HS256"])
    assert set(claims) == {"sid", "exp"} and "staff" not in cookie["value"]
    assert abs(claims["exp"] - (started + lifetime).timestamp()) < 30
    live = sessions.active("staff")
    assert len(live) == 1
    assert abs(live["expires_at"][0].to_pydatetime() - (started + lifetime)) < dt.timedelta(seconds=30)
    with pytest.raises(jwt.InvalidSignatureError):
        jwt.decode(cookie["value"], "y" * 64, algorithms=["HS256"])


def test_the_configured_cookie_lifetime_is_one_day_by_default(isolated, monkeypatch):
    monkeypatch.delenv("HUBDESK_COOKIE_DAYS", raising=False)
    assert config.load().cookie_days == 1.0


def test_a_cookie_older_than_its_lifetime_no_longer_works(demo_db, browser_cookies, monkeypatch):
    """A session issued for 1 day, presented a day and a minute later, signs nobody in (checked on the
    server, whatever the cookie says)."""
    browser_cookies.jar[COOKIE_NAME] = _token("staff", days=30)  # a cookie claiming a longer life
    later = dt.datetime.now() + dt.timedelta(days=1, minutes=1)

    class _Later(dt.datetime):
        @classmethod
        def now(cls, tz=None):
            return later

    monkeypatch.setattr(sessions, "datetime", _Later)
    at = app().run()
    assert not at.session_state["authentication_status"]
    assert "有效期" in errors(at)


# ---- disabled accounts ---------------------------------------------------------------------------

def test_a_disabled_accounts_session_ends_on_the_next_run(demo_db):
    at = open_page(signed_in("staff", ["staff"]).run(), "orgs")
    assert at.session_state["authentication_status"] is True
    users.set_active("staff", False, ADMIN)
    at.run()
    assert not at.exception
    assert not at.session_state["authentication_status"]
    assert "账号已停用或不存在,已退出登录。" in errors(at)
    assert [t.value for t in at.title] == ["HubDesk 枢纽台"]


def test_a_disabled_accounts_cookie_stops_working(demo_db, browser_cookies):
    browser_cookies.jar[COOKIE_NAME] = _token("staff")
    at = app().run()
    assert _signed_in_by_cookie(at)
    users.set_active("staff", False, ADMIN)
    at.run()  # the same browser session, next interaction
    assert not at.session_state["authentication_status"]
    fresh = app().run()  # a new visit with the same (still validly signed) cookie
    assert not fresh.exception
    assert not fresh.session_state["authentication_status"]
    assert [t.value for t in fresh.title] == ["HubDesk 枢纽台"]
    assert COOKIE_NAME not in browser_cookies.jar  # and the app asked the browser to drop it
    users.set_active("staff", True, ADMIN)
    browser_cookies.jar[COOKIE_NAME] = _token("staff")
    assert _signed_in_by_cookie(app().run())  # re-enabled: works again


def test_a_disabled_account_cannot_sign_in(demo_db):
    users.set_active("leader", False, ADMIN)
    at = _login(app().run(), "leader", PASSWORDS["leader"])
    assert not at.session_state["authentication_status"]
    assert "leader" not in users.credentials()["usernames"]


# ---- XSRF ----------------------------------------------------------------------------------------

def test_xsrf_protection_is_left_on():
    text = (ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8")
    cfg = tomllib.loads(text)
    assert cfg.get("server", {}).get("enableXsrfProtection", True) is True
    assert "enableXsrfProtection = false" not in text.replace(" ", " ")
    from streamlit import config as st_config

    cwd = os.getcwd()
    try:
        os.chdir(ROOT)  # where `streamlit run Home.py` reads .streamlit/config.toml from
        st_config.get_config_options(force_reparse=True)
        assert st_config.get_option("server.enableXsrfProtection") is True
        assert st_config.get_option("server.enableCORS") is True  # CORS protection stays on as well
    finally:
        os.chdir(cwd)
        st_config.get_config_options(force_reparse=True)


# ---- the audit log's integrity -------------------------------------------------------------------

def _some_writes(db, n: int = 6) -> None:
    for i in range(n):
        users.create({"username": f"user{i:02d}", "name": f"测试{i}", "roles": ["staff"], "active": True}, SYSTEM,
                     password="Start-2026-pw", db=db)


def test_the_chain_of_untouched_writes_holds(db):
    _some_writes(db)
    report = audit.verify(db)
    assert report.ok and report.rows == count("audit_log") > 6


@pytest.mark.parametrize("column,value", [("actor", "'mallory'"), ("after_json", "'{}'"), ("action", "'update'"),
                                          ("logged_at", "logged_at + INTERVAL 1 SECOND"), ("note", "'改过'")])
def test_a_changed_row_is_found(db, column, value):
    _some_writes(db)
    with db.transaction() as tx:  # behind the app's back
        tx.execute(f"UPDATE audit_log SET {column} = {value} WHERE id = 4")
    report = audit.verify(db)
    assert not report.ok and report.first_bad_id == 4
    assert report.reason == "记录内容与其哈希不符(该条可能被修改)"


def test_a_changed_row_with_its_hash_recomputed_is_found_at_the_next_row(db):
    _some_writes(db)
    row = db.fetch_one("SELECT * FROM audit_log WHERE id = 4")
    forged = dict(row, actor="mallory")
    forged["hash"] = audit._digest(forged)
    with db.transaction() as tx:
        tx.execute("UPDATE audit_log SET actor = ?, hash = ? WHERE id = 4", [forged["actor"], forged["hash"]])
    report = audit.verify(db)
    assert not report.ok and report.first_bad_id == 5
    assert report.reason == "与前一条记录的链接不一致(前一条可能被修改或删除)"


@pytest.mark.parametrize("gone", [1, 4])
def test_a_deleted_row_is_found(db, gone):
    _some_writes(db)
    with db.transaction() as tx:
        tx.execute("DELETE FROM audit_log WHERE id = ?", [gone])
    report = audit.verify(db)
    assert not report.ok and report.first_bad_id == gone + 1
    assert report.reason == f"缺少编号 {gone} 的审计记录(可能被删除)"


def test_a_deleted_row_with_the_rest_renumbered_is_found(db):
    _some_writes(db)
    with db.transaction() as tx:
        tx.execute("DELETE FROM audit_log WHERE id = 4")
        tx.execute("UPDATE audit_log SET id = id - 1 WHERE id > 4")
    report = audit.verify(db)
    assert not report.ok and report.first_bad_id == 4


def _verify_on_screen(db) -> object:
    at = open_page(signed_in("hz_admin", ["admin"]).run(), "audit-log")  # the top hub's admin checks the chain
    return at.button(key="audit:verify").click().run()


def test_the_admin_screen_reports_an_intact_chain(demo_db):
    at = _verify_on_screen(demo_db)
    assert not at.exception
    assert any(s.startswith("完整:共") and "哈希链无断裂" in s for s in successes(at))


@pytest.mark.parametrize("tamper,reason", [
    ("UPDATE audit_log SET after_json = '{\"name\": \"改过的名字\"}' WHERE id = 30", "第 30 条,记录内容与其哈希不符"),
    ("DELETE FROM audit_log WHERE id = 30", "第 31 条,缺少编号 30 的审计记录"),
])
def test_the_admin_screen_reports_a_changed_or_deleted_row(demo_db, tamper, reason):
    with demo_db.transaction() as tx:
        tx.execute(tamper)
    at = _verify_on_screen(demo_db)
    assert not at.exception
    assert reason in errors(at) and not successes(at)


def test_only_admins_reach_the_check(demo_db):
    for user, role in (("staff", "staff"), ("leader", "leader"), ("expert", "reviewer")):
        at = open_page(signed_in(user, [role]).run(), "audit-log")
        assert [t.value for t in at.title] == ["无权访问"]
        assert not [b for b in at.button if b.key == "audit:verify"]
