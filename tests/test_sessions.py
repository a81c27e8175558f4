"""Server-side sessions, the lockout under concurrency, the client throttle, the admin's unlock, the
constant-time password check and the guessability rule (issue 13)."""
from __future__ import annotations

import re

import datetime as dt
import threading

import bcrypt
import pytest

from core.platform import lockout, passwords, sessions, users
from core.platform.actor import Actor
from core.platform.errors import PermissionDenied, ValidationFailed
from tests.apptest_helpers import app, count, errors, signed_in

ADMIN = Actor("admin", ("admin",))
STAFF = Actor("staff", ("staff",))


def _alive(sid: str) -> bool:
    return sessions.check(sid).ok


# ---- sessions ------------------------------------------------------------------------------------

def test_a_session_lives_until_logout_and_its_id_is_not_stored(demo_db):
    sid = sessions.start(STAFF, client="10.1.2.3", user_agent="Chromium")
    assert _alive(sid)
    stored = demo_db.fetch_all("SELECT * FROM user_sessions WHERE username = 'staff'")
    assert len(stored) == 1 and stored[0]["id"] != sid and sid not in str(stored)  # only its digest
    assert stored[0]["client"] == "10.1.2.3"
    sessions.end(sid, STAFF)
    check = sessions.check(sid)
    assert not check.ok and "退出登录" in check.reason
    assert count("audit_log", "WHERE table_name = 'user_sessions' AND action = 'session_revoked'") == 1


def test_a_password_change_ends_the_other_sessions_and_keeps_this_one(demo_db):
    here, other = sessions.start(STAFF), sessions.start(STAFF)
    users.change_own_password("staff", {"current": "Demo-staff-2026", "new": "Xiasha-Hub-2026!",
                                        "confirm": "Xiasha-Hub-2026!"}, session_id=here)
    assert _alive(here) and not _alive(other)


@pytest.mark.parametrize("change", ["reset", "roles", "disable"])
def test_a_reset_a_role_change_or_a_disable_ends_every_session(demo_db, change):
    a, b = sessions.start(STAFF), sessions.start(STAFF)
    mine = sessions.start(ADMIN)
    if change == "reset":
        users.reset_password("staff", ADMIN)
    elif change == "roles":
        users.update("staff", {"roles": ["staff", "leader"]}, ADMIN)
    else:
        users.set_active("staff", False, ADMIN)
    assert not _alive(a) and not _alive(b)
    assert _alive(mine)  # the admin's own session is untouched


def test_idle_and_absolute_lifetimes_are_enforced_on_the_server(demo_db, monkeypatch):
    sid = sessions.start(STAFF)
    soon = dt.datetime.now() + dt.timedelta(minutes=30)
    assert sessions.check(sid, now=soon).ok  # and touches last_seen
    idle = soon + dt.timedelta(minutes=121)
    check = sessions.check(sid, now=idle)
    assert not check.ok and "未操作" in check.reason
    assert not sessions.check(sid).ok  # revoked for good
    monkeypatch.setenv("HUBDESK_SESSION_IDLE_MINUTES", "100000")
    sid = sessions.start(STAFF)
    check = sessions.check(sid, now=dt.datetime.now() + dt.timedelta(days=1, minutes=1))
    assert not check.ok and "有效期" in check.reason


def test_an_admin_sees_and_ends_a_users_sessions_and_no_one_else_can(demo_db):
    sid = sessions.start(STAFF, client="10.0.0.9")
    live = sessions.active("staff")
    assert list(live["client"]) == ["10.0.0.9"]
    with pytest.raises(PermissionDenied):
        sessions.revoke_one(live["id"][0], Actor("leader", ("leader",)))
    with pytest.raises(PermissionDenied):
        sessions.revoke_all("staff", Actor("leader", ("leader",)), "admin_ended")
    assert sessions.revoke_one(live["id"][0], ADMIN) == 1
    assert not _alive(sid) and sessions.active("staff").empty


def test_logout_ends_the_session_so_its_cookie_is_worth_nothing(demo_db):
    at = signed_in("staff", ["staff"]).run()
    sid = at.session_state["hub_sid"]
    assert _alive(sid)
    at.button(key="logout_btn").click().run()
    assert not at.session_state["authentication_status"]
    assert not _alive(sid)


def test_a_revoked_session_is_signed_out_at_its_next_run(demo_db):
    at = signed_in("staff", ["staff"]).run()
    sessions.revoke_all("staff", ADMIN, "admin_ended")
    at.run()
    assert not at.exception and not at.session_state["authentication_status"]
    assert "管理员结束会话" in errors(at)
    assert [t.value for t in at.title] == ["HubDesk 枢纽台"]


# ---- lockout and throttle ------------------------------------------------------------------------

def test_parallel_attempts_evaluate_at_most_the_allowance(demo_db):
    """Eight tabs pressing Enter together with 4 failures recorded: one attempt is evaluated, seven are
    refused (and recorded as refused), none of them signs in after the lock."""
    for _ in range(4):
        lockout.record("staff", False, client="10.0.0.1")
    gate = threading.Barrier(8)
    results: list[lockout.Attempt] = []
    lock = threading.Lock()

    def attempt():
        gate.wait()
        a = lockout.begin("staff", "10.0.0.1")
        with lock:
            results.append(a)
        if a.allowed:
            threading.Event().wait(0.2)  # a slow password check while the others arrive
            lockout.finish(a, False)

    threads = [threading.Thread(target=attempt) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(a.allowed for a in results) == 1
    assert count("login_attempts", "WHERE username = 'staff' AND outcome = 'failed'") == 5
    assert count("login_attempts", "WHERE username = 'staff' AND outcome = 'locked'") == 7
    assert lockout.status("staff").locked
    refused = lockout.begin("staff", "10.0.0.1")
    assert not refused.allowed and "锁定" in refused.message


def test_refused_attempts_are_recorded_and_never_extend_the_lock(demo_db):
    for _ in range(5):
        lockout.record("staff", False)
    until = lockout.status("staff").until
    for _ in range(3):
        assert not lockout.begin("staff").allowed
    assert count("login_attempts", "WHERE username = 'staff' AND outcome = 'locked'") == 3
    assert lockout.status("staff").until == until


def test_an_admin_unlocks_and_the_unlock_is_audited(demo_db):
    for _ in range(5):
        lockout.record("staff", False)
    assert lockout.status("staff").locked
    with pytest.raises(PermissionDenied):
        lockout.unlock("staff", STAFF)
    lockout.unlock("staff", ADMIN)
    assert not lockout.status("staff").locked
    assert count("audit_log", "WHERE table_name = 'login_attempts' AND actor = 'admin'") == 1


def test_one_client_is_throttled_across_usernames(demo_db, monkeypatch):
    monkeypatch.setenv("HUBDESK_CLIENT_FAILURES", "6")
    for name in ("a1", "a2", "a3"):
        for _ in range(2):
            lockout.record(name, False, client="203.0.113.7")
    refused = lockout.begin("admin", "203.0.113.7")
    assert not refused.allowed and "网络地址" in refused.message
    assert lockout.begin("admin", "198.51.100.1").allowed  # another client is not affected
    assert not lockout.status("admin").locked  # and the username itself is not locked by it


def test_an_unknown_username_costs_a_password_check_too(demo_db, monkeypatch):
    """The same bcrypt work for a made-up username as for a real one (no timing asserted: the check is)."""
    calls = []
    real = bcrypt.checkpw
    monkeypatch.setattr(bcrypt, "checkpw", lambda pw, h: calls.append(1) or real(pw, h))
    at = app().run()
    for user in ("nobody-here", "staff"):
        at.text_input(key="login_username").input(user)
        at.text_input(key="login_password").input("Wrong-password-1")
        at.button(key="FormSubmitter:login-登录").click().run()
        assert "用户名或密码不正确" in errors(at)
    assert len(calls) == 2


# ---- passwords -----------------------------------------------------------------------------------

@pytest.mark.parametrize("pw", ["password12", "Abc1234567", "Hubdesk2026", "Iloveyou12", "Letmein2026"])
def test_guessable_passwords_are_refused_with_a_chinese_reason(db, pw):
    problems = passwords.problems(pw, "staff", name="王敏")
    assert problems and all(any("\u4e00" <= c <= "\u9fff" for c in p) for p in problems)
    assert "容易猜中的密码不能使用" in passwords.RULES  # said in Chinese, no library name on the screen
    assert not re.search(r"[A-Za-z]{4,}", passwords.RULES.replace("password12", "").replace("Abc1234567", ""))


def test_a_guessable_new_password_changes_nothing(demo_db):
    before = demo_db.scalar("SELECT password_hash FROM users WHERE username = 'staff'")
    with pytest.raises(ValidationFailed):
        users.change_own_password("staff", {"current": "Demo-staff-2026", "new": "password12",
                                            "confirm": "password12"})
    assert demo_db.scalar("SELECT password_hash FROM users WHERE username = 'staff'") == before


# ---- 用户与角色: sessions and lock ------------------------------------------------------------------

def test_an_admin_ends_a_users_sessions_and_unlocks_on_the_accounts_screen(demo_db):
    from tests.apptest_helpers import open_page, successes

    victim = sessions.start(STAFF, client="10.9.8.7", user_agent="Chromium 156")
    for _ in range(5):
        lockout.record("staff", False)
    at = signed_in("admin", ["admin"])
    at.query_params["user"] = "staff"
    at = open_page(at.run(), "accounts")
    shown = "\n".join(str(t.value) for t in at.text)
    assert "10.9.8.7" in shown and "Chromium 156" in shown
    at.button(key="users:unlock").click().run()
    assert any("已解锁" in m for m in successes(at)) and not lockout.status("staff").locked
    at.button(key="users:end_all").click().run()  # asks first
    assert _alive(victim)
    at.button(key="users:end_all:yes").click().run()
    assert not _alive(victim)
    assert any("全部登录会话" in m for m in successes(at))


def test_exports_and_refused_actions_are_logged_for_the_auditor(demo_db):
    from core.platform.errors import PermissionDenied
    from core.ui import session

    import pandas as pd

    sheets = {"社会组织台账": pd.DataFrame({"x": range(55)})}
    assert session.export_logger("社会组织台账")(sheets) is sheets
    row = demo_db.fetch_one("SELECT kind, detail FROM security_events ORDER BY id DESC LIMIT 1")
    assert row["kind"] == "export" and "社会组织台账" in row["detail"] and "55" in row["detail"]

    def refuse():
        raise PermissionDenied("当前账号无权修改社会组织")

    assert session.act(refuse, "不会显示") is False
    row = demo_db.fetch_one("SELECT kind, detail FROM security_events ORDER BY id DESC LIMIT 1")
    assert row["kind"] == "access_refused" and "无权修改社会组织" in row["detail"]
