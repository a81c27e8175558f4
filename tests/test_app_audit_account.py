"""AppTest: 审计日志 (admin) and 修改密码 (every role)."""
from __future__ import annotations

import re

import pytest

from tests.apptest_helpers import (
    app, db as _db, errors as _errors, open_page, plain, signed_in, successes,
)


def _total(at) -> int:
    cap = next(plain(c.value) for c in at.caption if plain(c.value).startswith("共 "))
    return int(re.match(r"共 (\d+) 条", cap).group(1))


def _count(where: str = "TRUE", params: list | None = None) -> int:
    return int(_db().scalar(f"SELECT count(*) FROM audit_log WHERE {where}", params or []))


def _audit_page(user: str = "hz_admin"):
    """The audit screen of the top hub's admin (杭州市, who reads every row), or of ``user``."""
    return open_page(signed_in(user, ["admin"]).run(), "audit-log")


def _write_as_staff() -> int:
    """One organisation edit by staff (through core, as the registry page does)."""
    from core.orgs import organisations
    from core.platform.actor import Actor

    assert organisations.update(3, {"contact_person": "审计测试"}, Actor("staff", ("staff",)))
    return 3


# ---- audit log -----------------------------------------------------------------------------------

def test_audit_page_lists_the_log(demo_db):
    at = _audit_page()
    assert not at.exception
    assert "审计日志" in [t.value for t in at.title]
    total = int(_db().scalar("SELECT count(*) FROM audit_log"))
    assert total > 55  # demo load: accounts + organisations + communities
    assert _total(at) == total
    df = at.dataframe[0].value
    assert len(df) == min(total, 100)
    assert list(df.columns) == ["序号", "时间", "操作人", "对象", "记录", "动作", "修改内容", "说明"]
    assert list(df["序号"]) == sorted(df["序号"], reverse=True)  # newest first
    # what a reader sees: Chinese names of entities, no table names, no JSON, no raw empty values
    cells = " ".join(str(v) for v in df.to_numpy().ravel())
    assert not re.search(r"\b(organisations|users|login_attempts|projects|applications)\b", cells)
    assert "{" not in cells and '":' not in cells
    assert not re.search(r"\b(None|nan|NaT)\b", cells)


def test_a_hubs_admin_reads_the_writes_to_their_hubs_records_only(demo_db):
    at = _audit_page("admin")  # 下沙's admin: 下沙 has a parent (钱塘区)
    assert not at.exception
    mine = _count("hub_id = 1")
    assert 55 < mine < _count() and _total(at) == mine
    shown = at.dataframe[0].value
    rows = _db().fetch_all("SELECT id, hub_id FROM audit_log WHERE id IN (SELECT unnest(?))",
                           [[int(v) for v in shown["序号"]]])
    assert {r["hub_id"] for r in rows} == {1}
    # 白杨's organisations, the accounts of other hubs, backups: not in 下沙's choices either
    actors = at.selectbox(key="audit:actor").options
    assert "赵处长(市级管理员)" not in actors and "系统" in actors
    assert "校验审计日志完整性" not in [b.label for b in at.button]
    assert "备份与恢复" not in [s.value for s in at.subheader]
    assert any("最上级枢纽" in i.value for i in at.info)
    key = _write_as_staff()  # a 下沙 organisation: in 下沙's view
    at.run()
    assert _total(at) == mine + 1
    assert _db().scalar("SELECT hub_id FROM audit_log ORDER BY id DESC LIMIT 1") == 1 and key


def test_a_write_appears_in_the_log(demo_db):
    at = _audit_page()
    before = _total(at)
    key = _write_as_staff()
    at.run()
    assert _total(at) == before + 1
    from core.orgs import organisations

    top = at.dataframe[0].value.iloc[0]
    old = _db().fetch_one("SELECT before_json FROM audit_log ORDER BY id DESC LIMIT 1")["before_json"]
    was = __import__("json").loads(old)["contact_person"]
    assert top["操作人"] == "王敏(工作人员)"  # the person's name, not the username
    assert top["对象"] == "社会组织"  # the entity's label, not the table name
    assert top["记录"] == f"{organisations.get(key)['name']}(编号 {key})"
    assert top["动作"] == "修改"
    assert top["修改内容"] == f"联系人:{was} → 审计测试"  # only the changed field, by its label


def test_a_write_through_the_ui_appears_in_the_log(demo_db):
    staff = signed_in("staff", ["staff"]).run()
    staff.query_params["id"] = "5"
    open_page(staff, "orgs")
    staff.text_input(key="org_edit::contact_person").input("界面修改")
    staff.button(key="FormSubmitter:org_edit-保存修改").click().run()
    assert not staff.exception and not _errors(staff)
    at = _audit_page()
    at.selectbox(key="audit:actor").set_value("staff").run()
    df = at.dataframe[0].value
    df = df[~df["说明"].eq("登录")]  # staff's sign-in session is in the log too
    assert len(df) == 1
    assert df.iloc[0]["记录"].endswith("(编号 5)")
    assert df.iloc[0]["修改内容"].startswith("联系人:") and df.iloc[0]["修改内容"].endswith(" → 界面修改")


def test_filter_by_actor_and_table_narrows_rows(demo_db):
    staff_before = _count("actor = 'staff'")
    _write_as_staff()
    at = _audit_page()
    everything = _total(at)
    assert "王敏(工作人员)" in at.selectbox(key="audit:actor").options  # people by name
    at.selectbox(key="audit:actor").set_value("staff").run()
    assert not at.exception
    assert _total(at) == staff_before + 1 < everything
    assert set(at.dataframe[0].value["操作人"]) == {"王敏(工作人员)"}
    assert at.selectbox(key="audit:actor").format_func("staff") == "王敏(工作人员)"

    at.selectbox(key="audit:actor").set_value(None).run()
    assert _total(at) == everything
    at.selectbox(key="audit:table").set_value("users").run()
    assert _total(at) == _count("table_name = 'users'") >= 4  # at least the four demo accounts
    assert set(at.dataframe[0].value["对象"]) == {"用户账号"}
    assert at.selectbox(key="audit:table").format_func("users") == "用户账号"
    # password hashes never reach the log, nor the screen
    assert all("$2b$" not in (v or "") for v in at.dataframe[0].value["修改内容"])
    assert any("密码:(已隐藏)" in v for v in at.dataframe[0].value["修改内容"])

    at.selectbox(key="audit:table").set_value("organisations").run()
    assert _total(at) == _count("table_name = 'organisations'") >= 56  # 55 created + 1 edit
    at.selectbox(key="audit:actor").set_value("staff").run()
    assert _total(at) == _count("actor = 'staff' AND table_name = 'organisations'") >= 1


def test_filter_by_action_record_and_text(demo_db):
    _write_as_staff()
    at = _audit_page()
    at.selectbox(key="audit:action").set_value("update").run()
    assert _total(at) == _count("action = 'update'") >= 1
    assert set(at.dataframe[0].value["动作"]) == {"修改"}
    at.selectbox(key="audit:action").set_value(None).run()
    at.text_input(key="audit:key").input("3").run()
    assert _total(at) == int(_db().scalar("SELECT count(*) FROM audit_log WHERE row_key = '3'"))
    assert all(v.endswith("(编号 3)") or v == "编号 3" or v == "3" for v in at.dataframe[0].value["记录"])
    at.text_input(key="audit:key").input("").run()
    at.text_input(key="audit:text").input("审计测试").run()
    assert _total(at) == 1


def test_filter_by_date(demo_db):
    import datetime as dt

    at = _audit_page()
    everything = _total(at)
    at.date_input(key="audit:since").set_value(dt.date.today()).run()
    assert _total(at) == everything  # the demo was loaded today
    at.date_input(key="audit:since").set_value(None)
    at.date_input(key="audit:until").set_value(dt.date.today() - dt.timedelta(days=1)).run()
    assert _total(at) == 0


def test_verify_reports_an_intact_chain(demo_db):
    _write_as_staff()
    at = _audit_page()
    at.button(key="audit:verify").click().run()
    assert not at.exception
    total = int(_db().scalar("SELECT count(*) FROM audit_log"))
    assert any("完整" in s and f"共 {total} 条" in s for s in successes(at))
    assert not at.error


def test_verify_reports_a_tampered_row(demo_db):
    db = _db()
    with db.transaction() as tx:  # someone edits the log behind the app's back
        tx.execute("UPDATE audit_log SET actor = 'mallory' WHERE id = 10")
    at = _audit_page()
    at.button(key="audit:verify").click().run()
    assert not at.exception
    assert "第 10 条" in _errors(at)
    assert not successes(at)


# ---- my password ---------------------------------------------------------------------------------

SUBMIT = "FormSubmitter:pw_change-修改密码"


def _pw_page(username="staff", role="staff"):
    return open_page(signed_in(username, [role]).run(), "my-password")


def _change(at, current, new, confirm=None):
    at.text_input(key="pw_change::current").input(current)
    at.text_input(key="pw_change::new").input(new)
    at.text_input(key="pw_change::confirm").input(new if confirm is None else confirm)
    return at.button(key=SUBMIT).click().run()


def _hash(username="staff") -> str:
    from core.platform import users

    return users.get(username)["password_hash"]


def test_password_page_renders(demo_db):
    at = _pw_page()
    assert not at.exception
    assert "修改密码" in [t.value for t in at.title]
    assert {w.key for w in at.text_input} >= {"pw_change::current", "pw_change::new", "pw_change::confirm"}


def test_wrong_current_password_changes_nothing(demo_db):
    before = _hash()
    at = _change(_pw_page(), "Not-my-password-1", "Brand-new-pass-2026")
    assert not at.exception
    assert "当前密码不正确" in _errors(at)
    assert not successes(at)
    assert _hash() == before


@pytest.mark.parametrize("new,message", [
    ("short1A", "密码至少需要10个字符"),
    ("alllowercaseletters", "至少两类"),
    ("Staff", "密码至少需要10个字符"),
])
def test_weak_new_password_is_refused_by_the_policy(demo_db, new, message):
    before = _hash()
    at = _change(_pw_page(), "Demo-staff-2026", new)
    assert not at.exception
    assert message in _errors(at)
    assert _hash() == before


def test_password_equal_to_username_is_refused(demo_db):
    from core.platform import users
    from core.platform.actor import SYSTEM

    users.create({"username": "longname01", "name": "测试", "roles": ["staff"], "active": True}, SYSTEM,
                 password="Initial-pass-2026")
    before = _hash("longname01")
    at = _change(_pw_page("longname01", "staff"), "Initial-pass-2026", "LONGNAME01")
    assert "密码不能与用户名相同" in _errors(at)
    assert _hash("longname01") == before


def test_confirmation_must_match(demo_db):
    before = _hash()
    at = _change(_pw_page(), "Demo-staff-2026", "Brand-new-pass-2026", "Brand-new-pass-2027")
    assert "两次输入的新密码不一致" in _errors(at)
    assert _hash() == before


def test_good_new_password_is_stored(demo_db):
    from core.platform import passwords

    before = _hash()
    at = _change(_pw_page(), "Demo-staff-2026", "Brand-new-pass-2026")
    assert not at.exception
    assert not _errors(at)
    assert any(m.startswith("密码已修改,下次登录请使用新密码") for m in successes(at))
    after = _hash()
    assert after != before
    assert passwords.check("Brand-new-pass-2026", after)
    assert not passwords.check("Demo-staff-2026", after)
    # the form forgets what was typed
    assert at.text_input(key="pw_change::current").value == ""
    assert at.text_input(key="pw_change::new").value == ""
    # audited without the hash
    row = _db().fetch_one("SELECT * FROM audit_log WHERE action = 'change_password' AND row_key = 'staff'")
    assert row["actor"] == "staff"
    assert after not in (row["after_json"] or "") and before not in (row["before_json"] or "")
    # sign-in: the new password works, the old one no longer does
    old = app().run()
    old.text_input(key="login_username").input("staff")
    old.text_input(key="login_password").input("Demo-staff-2026")
    old.button(key="FormSubmitter:login-登录").click().run()
    assert not old.session_state["authentication_status"]
    new = app().run()
    new.text_input(key="login_username").input("staff")
    new.text_input(key="login_password").input("Brand-new-pass-2026")
    new.button(key="FormSubmitter:login-登录").click().run()
    assert new.session_state["authentication_status"] is True


@pytest.mark.parametrize("username,role", [("expert", "reviewer"), ("leader", "leader"), ("admin", "admin")])
def test_every_role_can_change_its_own_password(demo_db, username, role):
    from core.platform import passwords

    old = {"expert": "Demo-expert-2026", "leader": "Demo-leader-2026", "admin": "Demo-admin-2026"}[username]
    at = _change(_pw_page(username, role), old, "Another-good-pass-9")
    assert not at.exception
    assert not _errors(at)
    assert passwords.check("Another-good-pass-9", _hash(username))


def test_changing_a_filter_goes_back_to_the_first_page(demo_db):
    from core.orgs import organisations
    from core.platform.actor import Actor

    clerk = Actor("clerk.audit", ("staff",))  # an actor with no other rows
    for i in range(5):
        organisations.update(1 + i, {"contact_person": f"联系人{i}"}, clerk)
    at = _audit_page()
    total = _total(at)
    assert total > 100
    at.number_input(key="audit:page").set_value(2).run()
    assert len(at.dataframe[0].value) == min(100, total - 100)
    at.selectbox(key="audit:actor").set_value("clerk.audit").run()
    assert not at.exception
    assert _total(at) == 5
    assert len(at.dataframe[0].value) == 5  # page 1 of the filtered rows, not an empty page 2
    assert at.number_input(key="audit:page").value == 1


def test_old_error_messages_do_not_come_back_on_a_fresh_form(demo_db):
    at = _change(_pw_page(), "Not-my-password-1", "Brand-new-pass-2026")
    assert "当前密码不正确" in _errors(at)
    open_page(at, "workbench")  # to the workbench ...
    open_page(at, "my-password")  # ... and back: an empty form, without last time's messages
    assert not at.exception
    assert at.text_input(key="pw_change::current").value == ""
    assert not _errors(at)


# ---- how audit rows read -------------------------------------------------------------------------

def test_every_logged_table_and_field_has_a_chinese_name(demo_db):
    """Every table and every field the demo's log mentions reads in Chinese (labels come from the entity
    registry and the schemas; no English column name reaches the screen)."""
    import json

    from core.ui.auditlog import field_label, target_label

    cjk = re.compile(r"[\u4e00-\u9fff]")
    rows = _db().fetch_all("SELECT DISTINCT table_name, before_json, after_json FROM audit_log"
                           " QUALIFY row_number() OVER (PARTITION BY table_name, action) <= 3")
    missing = set()
    for r in rows:
        assert cjk.search(target_label(r["table_name"])), r["table_name"]
        for raw in (r["before_json"], r["after_json"]):
            for column in json.loads(raw or "{}"):
                if not cjk.search(field_label(r["table_name"], column)):
                    missing.add(f"{r['table_name']}.{column}")
    assert not missing, sorted(missing)
    assert target_label("login_attempts") == "登录记录"


def test_a_sign_in_is_logged_by_its_chinese_name(demo_db):
    from core.platform import lockout

    lockout.record("staff", False)
    at = _audit_page()
    at.selectbox(key="audit:table").set_value("login_attempts").run()
    top = at.dataframe[0].value.iloc[0]
    assert top["对象"] == "登录记录"
    assert "登录成功:否" in top["修改内容"] and "用户名:staff" in top["修改内容"]
    assert "登录结果:失败" in top["修改内容"]
    assert top["记录"].startswith("王敏(工作人员)(staff)")  # the person by name


def test_a_state_change_names_the_states(demo_db):
    """A project's state change reads 状态:执行中 → 已结项 (the stored codes by their Chinese names)."""
    at = _audit_page()
    at.selectbox(key="audit:action").set_value("state").run()
    changes = " ".join(at.dataframe[0].value["修改内容"])
    assert "状态:执行中 → " in changes
    assert "active" not in changes and "closed" not in changes
