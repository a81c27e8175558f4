"""AppTest: 用户与角色 (admin only): list, create with a one-time password, edit, last-admin guard, reset."""
from __future__ import annotations


import pytest

from tests.apptest_helpers import (
    app, db as _db, errors as _errors, open_page, plain_texts as texts, signed_in,
)


CREATE = "FormSubmitter:user_new-创建账号"
SAVE = "FormSubmitter:user_edit-保存修改"


def _user_count() -> int:
    return int(_db().scalar("SELECT count(*) FROM users"))


def _admin():
    at = signed_in("admin", ["admin"]).run()
    return open_page(at, "accounts")


def _fill_new(at, username="zhao.li", name="赵丽", email="zhaoli@example.cn", roles=("staff",), active=None):
    at.text_input(key="user_new::username").input(username)
    at.text_input(key="user_new::name").input(name)
    at.text_input(key="user_new::email").input(email)
    at.multiselect(key="user_new::roles").set_value(list(roles))
    if active is not None:
        at.checkbox(key="user_new::active").set_value(active)
    return at


def _edit(at, target: str):
    at.selectbox(key="users:target").set_value(target).run()
    return at


def test_list_shows_the_demo_accounts(demo_db):
    at = _admin()
    assert not at.exception
    assert "用户与角色" in [t.value for t in at.title]
    df = at.dataframe[0].value
    names = sorted(df["用户名"])
    # the four role demo accounts plus 下沙's demo expert panel (expert01..expert25 but the two of 钱塘区's pool)
    assert [n for n in names if not n.startswith("expert0") and not n.startswith("expert1")
            and not n.startswith("expert2")] == ["admin", "expert", "leader", "staff"]
    district = {r["username"] for r in demo_db.fetch_all("SELECT username FROM users WHERE hub_id <> 1")}
    assert {"expert21", "expert22"} <= district and not district & set(names)  # other hubs' accounts: not 下沙's
    assert len(names) == 4 + 25 - 2
    assert "password_hash" not in df.columns and "密码" not in " ".join(map(str, df.columns))
    roles = dict(zip(df["用户名"], df["角色"]))
    assert {k: roles[k] for k in ("admin", "staff", "expert", "leader")} == {
        "admin": "管理员", "staff": "中心工作人员", "expert": "评审专家", "leader": "领导"}
    assert roles["expert07"] == "评审专家"
    assert not at.code  # no password on screen


def test_create_account_shows_a_one_time_password(demo_db):
    from core.platform import passwords, users

    count = _user_count()
    at = _fill_new(_admin())
    at.button(key=CREATE).click().run()
    assert not at.exception
    assert not _errors(at)
    assert _user_count() == count + 1
    row = users.get("zhao.li")
    assert row["name"] == "赵丽"
    assert row["email"] == "zhaoli@example.cn"
    assert list(row["roles"]) == ["staff"]
    assert row["active"] is True
    assert row["is_demo"] is False
    assert len(at.code) == 1
    password = at.code[0].value
    assert passwords.problems(password, "zhao.li") == []
    assert passwords.check(password, row["password_hash"])
    shown = texts(at)
    assert "已创建账号 zhao.li" in shown
    assert "账号 zhao.li 的新密码" in shown
    # audited, with the hash masked
    audit = _db().fetch_one("SELECT * FROM audit_log WHERE table_name = 'users' AND row_key = 'zhao.li'")
    assert audit["action"] == "create" and audit["actor"] == "admin"
    assert row["password_hash"] not in audit["after_json"]
    assert "******" in audit["after_json"]
    # the list shows the new account; the form is empty again
    assert "zhao.li" in set(at.dataframe[0].value["用户名"])
    assert at.text_input(key="user_new::username").value == ""
    # shown once: the next run no longer has it
    at.run()
    assert not at.code
    assert password not in texts(at)
    # and the new account can sign in with it
    login = app().run()
    login.text_input(key="login_username").input("zhao.li")
    login.text_input(key="login_password").input(password)
    login.button(key="FormSubmitter:login-登录").click().run()
    assert login.session_state["authentication_status"] is True
    assert login.session_state["roles"] == ["staff"]


def test_create_upper_case_username_is_stored_lower_case(demo_db):
    from core.platform import users

    at = _fill_new(_admin(), username="Wang.Wu")
    at.button(key=CREATE).click().run()
    assert not at.exception
    assert users.get("wang.wu") is not None


@pytest.mark.parametrize("username", ["ab", "bad name", "张三", "-dash", "x" * 40])
def test_bad_username_is_refused(demo_db, username):
    count = _user_count()
    at = _fill_new(_admin(), username=username)
    at.button(key=CREATE).click().run()
    assert not at.exception
    assert "用户名格式不正确" in _errors(at)
    assert _user_count() == count
    assert not at.code
    # the typed values are kept
    assert at.text_input(key="user_new::username").value == username
    assert at.text_input(key="user_new::name").value == "赵丽"
    assert at.multiselect(key="user_new::roles").value == ["staff"]


def test_missing_roles_and_bad_email_are_refused(demo_db):
    count = _user_count()
    at = _fill_new(_admin(), email="not-an-email", roles=())
    at.button(key=CREATE).click().run()
    assert not at.exception
    errors = _errors(at)
    assert "请选择角色" in errors or "请至少选择一个角色" in errors
    assert "电子邮箱格式不正确" in errors
    assert _user_count() == count


def test_existing_username_is_refused(demo_db):
    from core.platform import users

    before = users.get("staff")
    count = _user_count()
    at = _fill_new(_admin(), username="staff", name="冒名")
    at.button(key=CREATE).click().run()
    assert not at.exception
    assert "staff" in _errors(at)
    assert _user_count() == count
    assert users.get("staff") == before
    assert not at.code


def test_edit_form_is_prefilled_and_saves(demo_db):
    from core.platform import users

    at = _edit(_admin(), "staff")
    assert at.text_input(key="user_edit::name").value == "王敏(工作人员)"
    assert at.text_input(key="user_edit::email").value == "staff@demo.hubdesk"
    assert at.multiselect(key="user_edit::roles").value == ["staff"]
    assert at.checkbox(key="user_edit::active").value is True
    at.multiselect(key="user_edit::roles").set_value(["staff", "reviewer"])
    at.text_input(key="user_edit::name").input("王敏")
    at.button(key=SAVE).click().run()
    assert not at.exception
    assert not _errors(at)
    row = users.get("staff")
    assert row["name"] == "王敏"
    assert sorted(row["roles"]) == ["reviewer", "staff"]
    audit = _db().fetch_all("SELECT * FROM audit_log WHERE table_name = 'users' AND row_key = 'staff' AND action = 'update'")
    assert audit and audit[-1]["actor"] == "admin"
    # the staff session sees the new role on its next run (roles come from the database)
    staff = signed_in("staff", ["staff"]).run()
    assert staff.session_state["roles"] == ["staff", "reviewer"]


def test_disable_a_user_from_the_edit_form(demo_db):
    from core.platform import users

    at = _edit(_admin(), "staff")
    at.checkbox(key="user_edit::active").uncheck()
    at.button(key=SAVE).click().run()
    assert not at.exception
    assert users.get("staff")["active"] is False
    assert users.active_roles("staff") is None


def test_disabling_the_last_admin_is_refused(demo_db):
    from core.platform import users

    before = users.get("admin")
    at = _edit(_admin(), "admin")
    at.checkbox(key="user_edit::active").uncheck()
    at.button(key=SAVE).click().run()
    assert not at.exception
    assert "不能停用或降级最后一个启用的管理员账号" in _errors(at)
    assert users.get("admin") == before
    assert at.checkbox(key="user_edit::active").value is False  # what the admin typed is kept


def test_demoting_the_last_admin_is_refused(demo_db):
    from core.platform import users

    at = _edit(_admin(), "admin")
    at.multiselect(key="user_edit::roles").set_value(["staff"])
    at.button(key=SAVE).click().run()
    assert "不能停用或降级最后一个启用的管理员账号" in _errors(at)
    assert list(users.get("admin")["roles"]) == ["admin"]


def test_an_admin_can_be_disabled_when_another_admin_exists(demo_db):
    from core.platform import users

    at = _edit(_admin(), "staff")
    at.multiselect(key="user_edit::roles").set_value(["admin"])
    at.button(key=SAVE).click().run()
    assert list(users.get("staff")["roles"]) == ["admin"]
    other = open_page(signed_in("staff", ["admin"]).run(), "accounts")
    other = _edit(other, "admin")
    other.checkbox(key="user_edit::active").uncheck()
    other.button(key=SAVE).click().run()
    assert not other.exception
    assert not _errors(other)
    assert users.get("admin")["active"] is False
    # the disabled admin's own session is signed out on its next run
    at.run()
    assert not at.session_state["authentication_status"]
    assert "已停用" in _errors(at)
    assert len(at.dataframe) == 0


def test_an_admin_who_disables_themselves_is_signed_out(demo_db):
    from core.platform import users
    from core.platform.actor import Actor

    users.update("staff", {"roles": ["admin"]}, Actor("admin", ("admin",)))
    at = _edit(_admin(), "admin")
    at.checkbox(key="user_edit::active").uncheck()
    at.button(key=SAVE).click().run()
    assert not at.exception
    assert users.get("admin")["active"] is False
    assert not at.session_state["authentication_status"]
    assert [t.value for t in at.title] == ["HubDesk 枢纽台"]
    assert len(at.dataframe) == 0


def test_reset_password_shows_it_once_and_changes_the_hash(demo_db):
    from core.platform import passwords, users

    old_hash = users.get("staff")["password_hash"]
    at = _edit(_admin(), "staff")
    at.button(key="users:reset").click().run()
    # it asks first, saying what happens; nothing is changed yet
    assert "账号 staff(王敏(工作人员))的当前密码将立即失效" in texts(at)
    assert users.get("staff")["password_hash"] == old_hash
    at.button(key="users:reset:yes").click().run()
    assert not at.exception
    assert len(at.code) == 1
    new_password = at.code[0].value
    assert "账号 staff 的新密码" in texts(at)
    new_hash = users.get("staff")["password_hash"]
    assert new_hash != old_hash
    assert passwords.check(new_password, new_hash)
    assert not passwords.check("Demo-staff-2026", new_hash)
    assert passwords.problems(new_password, "staff") == []
    audit = _db().fetch_one("SELECT * FROM audit_log WHERE table_name = 'users' AND row_key = 'staff'"
                            " AND action = 'reset_password'")
    assert audit["actor"] == "admin"
    assert new_hash not in (audit["after_json"] or "")
    at.run()
    assert not at.code


def test_stale_edit_form_does_not_re_enable_a_disabled_account(demo_db):
    """Admin A renames staff in a form loaded before admin B disabled the account: it stays disabled."""
    from core.platform import users
    from core.platform.actor import Actor

    at = _edit(_admin(), "staff")
    users.set_active("staff", False, Actor("admin", ("admin",)))
    at.text_input(key="user_edit::name").input("王敏")
    at.button(key=SAVE).click().run()
    assert not at.exception
    row = users.get("staff")
    assert row["name"] == "王敏"
    assert row["active"] is False
    assert users.active_roles("staff") is None


def test_list_shows_no_raw_empty_values(demo_db):
    """Accounts never edited have no 修改时间: the cell is empty, not "None"/"NaT"; dates read as dates."""
    import re

    at = _admin()
    df = at.dataframe[0].value
    cells = [str(v) for v in df.astype(str).to_numpy().ravel()]
    assert not [c for c in cells if c in {"None", "nan", "NaT", "<NA>"}]
    assert (df["修改时间"] == "").any()
    assert all(v == "" or re.fullmatch(r"\d{4}-\d{2}-\d{2}( \d{2}:\d{2})?", v) for v in df["创建时间"])


def test_edit_picker_names_people_and_keeps_the_account_in_the_url(demo_db):
    at = _admin()
    picker = at.selectbox(key="users:target")
    assert picker.placeholder.startswith("请选择")
    assert "王敏(工作人员)(staff)" in picker.options
    at = _edit(at, "staff")
    assert at.query_params["user"] == "staff"
    # a reload of /accounts?user=staff opens the same account
    again = signed_in("admin", ["admin"]).run()
    again.query_params["user"] = "staff"
    again = open_page(again, "accounts")
    assert again.selectbox(key="users:target").value == "staff"
    assert again.text_input(key="user_edit::name").value == "王敏(工作人员)"


def test_cancelling_a_password_reset_changes_nothing(demo_db):
    from core.platform import users

    before = users.get("staff")["password_hash"]
    at = _edit(_admin(), "staff")
    at.button(key="users:reset").click().run()
    at.button(key="users:reset:no").click().run()
    assert not at.exception
    assert users.get("staff")["password_hash"] == before
    assert not at.code
    assert "当前密码将立即失效" not in texts(at)
