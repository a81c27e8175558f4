"""User accounts: generated passwords, credentials for sign-in, the last admin, password changes."""
from __future__ import annotations

import json

import pytest

from core.platform import audit, passwords, records, users
from core.platform.actor import SYSTEM, Actor
from core.platform.errors import NotFound, PermissionDenied, ValidationFailed
from core.platform.users import USER

LAST_ADMIN = "不能停用或降级最后一个启用的管理员账号"


def make(username: str, roles=("staff",), active: bool = True, password: str | None = None, actor=SYSTEM) -> str:
    values = {"username": username, "name": f"{username}的名字", "email": f"{username}@xiasha.org.cn",
              "roles": list(roles), "active": active}
    return users.create(values, actor, password=password)[1]


def audit_count(db) -> int:
    return db.scalar("SELECT count(*) FROM audit_log")


def test_create_returns_a_policy_password_that_checks_against_the_stored_hash(db):
    username, pw = users.create({"username": "WangMin", "name": "王敏", "roles": ["staff"], "active": True}, SYSTEM)
    assert username == "wangmin"
    assert passwords.problems(pw, username) == []
    assert len(pw) == 14
    row = users.get("wangmin")
    assert row["password_hash"] != pw and row["password_hash"].startswith("$2b$")
    assert passwords.check(pw, row["password_hash"]) is True
    assert passwords.check(pw + "x", row["password_hash"]) is False
    assert (row["name"], row["roles"], row["active"], row["is_demo"]) == ("王敏", ["staff"], True, False)


def test_generated_passwords_differ():
    assert len({passwords.generate() for _ in range(20)}) == 20
    assert all(passwords.problems(p) == [] for p in (passwords.generate() for _ in range(50)))


def test_create_by_a_non_admin_is_refused(db):
    make("chen", roles=("admin",))
    with pytest.raises(PermissionDenied, match="当前账号无权修改用户账号"):
        users.create({"username": "intruder", "name": "x", "roles": ["admin"], "active": True}, Actor("wangmin", ("staff",)))
    assert users.get("intruder") is None


def test_create_refuses_an_invalid_account_and_a_duplicate(db):
    make("wangmin")
    n = audit_count(db)
    with pytest.raises(ValidationFailed) as info:
        users.create({"username": "x", "name": "", "roles": [], "active": True}, SYSTEM)
    assert info.value.fields == {"username": ["用户名格式不正确"], "name": ["请填写姓名"], "roles": ["请选择角色"]}
    # before the fix this was a raw duckdb.ConstraintException, which the page does not catch
    with pytest.raises(ValidationFailed) as info:
        users.create({"username": "WANGMIN", "name": "重复", "roles": ["staff"], "active": True}, SYSTEM)
    assert info.value.fields == {"username": ["用户名 wangmin 已被「wangmin的名字」使用,请换一个"]}
    assert audit_count(db) == n
    assert users.get("wangmin")["name"] == "wangmin的名字"


def test_credentials_list_only_active_users(db):
    pw = make("chen", roles=("admin",))
    make("wangmin", roles=("staff", "reviewer"))
    make("gone", active=False)
    creds = users.credentials()["usernames"]
    assert sorted(creds) == ["chen", "wangmin"]
    assert creds["chen"]["name"] == "chen的名字"
    assert creds["chen"]["email"] == "chen@xiasha.org.cn"
    assert creds["chen"]["roles"] == ["admin"]
    assert passwords.check(pw, creds["chen"]["password"])
    assert creds["wangmin"]["roles"] == ["staff", "reviewer"]
    users.set_active("wangmin", False, Actor("chen", ("admin",)))
    assert sorted(users.credentials()["usernames"]) == ["chen"]


def test_active_roles(db):
    make("chen", roles=("leader", "admin"))
    make("gone", active=False)
    assert users.active_roles("chen") == ("admin", "leader")
    assert users.active_roles("gone") is None
    assert users.active_roles("nobody") is None


def test_disabling_the_last_active_admin_is_refused_and_changes_nothing(db):
    make("chen", roles=("admin",))
    make("wangmin", roles=("staff",))
    n = audit_count(db)
    admin = Actor("chen", ("admin",))
    for change in ({"active": False}, {"roles": ["staff"]}, {"roles": ["staff"], "active": False}):
        with pytest.raises(ValidationFailed) as info:
            users.update("chen", change, admin)
        assert info.value.form == [LAST_ADMIN]
        assert info.value.fields == {}
        assert str(info.value) == LAST_ADMIN
    row = users.get("chen")
    assert (row["active"], row["roles"], row["updated_at"]) == (True, ["admin"], None)
    assert audit_count(db) == n


def test_disabled_admins_do_not_count(db):
    make("chen", roles=("admin",))
    make("old", roles=("admin",), active=False)
    with pytest.raises(ValidationFailed):
        users.set_active("chen", False, Actor("chen", ("admin",)))


def test_disabling_a_second_admin_works_then_the_last_one_is_kept(db):
    make("chen", roles=("admin",))
    make("liu", roles=("admin", "staff"))
    admin = Actor("chen", ("admin",))
    n = audit_count(db)
    assert users.set_active("liu", False, admin) is True
    assert users.get("liu")["active"] is False
    assert audit_count(db) == n + 1
    entry = db.fetch_one("SELECT * FROM audit_log ORDER BY id DESC LIMIT 1")
    assert (entry["actor"], entry["table_name"], entry["row_key"], entry["action"]) == ("chen", "users", "liu", "update")
    assert json.loads(entry["before_json"])["active"] is True
    assert json.loads(entry["after_json"])["active"] is False
    with pytest.raises(ValidationFailed):
        users.set_active("chen", False, admin)
    # re-enabling works, and then either may go
    assert users.set_active("liu", True, admin) is True
    assert users.update("chen", {"roles": ["staff"]}, admin) is True
    assert users.active_roles("chen") == ("staff",)


def test_update_changes_profile_and_ignores_username(db):
    make("chen", roles=("admin",))
    make("wangmin")
    admin = Actor("chen", ("admin",))
    assert users.update("wangmin", {"username": "hacker", "name": "王敏", "roles": ["staff", "reviewer"]}, admin) is True
    row = users.get("wangmin")
    assert (row["name"], row["roles"]) == ("王敏", ["staff", "reviewer"])
    assert users.get("hacker") is None
    updated_at = users.get("wangmin")["updated_at"]
    n = audit_count(db)
    # saving the form unchanged writes nothing (the page then says 没有需要保存的修改); before the fix
    # updated_at alone counted as a change, so every save wrote a row and an audit entry
    assert users.update("wangmin", {"name": " 王敏 ", "roles": ["staff", "reviewer"], "active": True}, admin) is False
    assert users.get("wangmin")["updated_at"] == updated_at
    assert audit_count(db) == n
    with pytest.raises(NotFound):
        users.update("nobody", {"name": "x"}, admin)


def test_staff_cannot_change_accounts(db):
    make("chen", roles=("admin",))
    make("wangmin")
    with pytest.raises(PermissionDenied):
        users.update("chen", {"name": "被改"}, Actor("wangmin", ("staff",)))
    with pytest.raises(PermissionDenied):
        users.set_active("wangmin", False, Actor("wangmin", ("staff",)))
    assert users.get("chen")["name"] == "chen的名字"


# ---- passwords ---------------------------------------------------------------------------------

def test_reset_password_changes_the_hash_and_audit_masks_it(db):
    make("chen", roles=("admin",))
    old_pw = make("wangmin")
    old_hash = users.get("wangmin")["password_hash"]
    n = audit_count(db)
    new_pw = users.reset_password("wangmin", Actor("chen", ("admin",)))
    new_hash = users.get("wangmin")["password_hash"]
    assert new_pw != old_pw and new_hash != old_hash
    assert passwords.problems(new_pw, "wangmin") == []
    assert passwords.check(new_pw, new_hash) and not passwords.check(old_pw, new_hash)
    assert audit_count(db) == n + 1
    entry = db.fetch_one("SELECT * FROM audit_log ORDER BY id DESC LIMIT 1")
    assert (entry["actor"], entry["row_key"], entry["action"]) == ("chen", "wangmin", "reset_password")
    before, after = json.loads(entry["before_json"]), json.loads(entry["after_json"])
    assert before["password_hash"] == after["password_hash"] == audit.SECRET
    assert old_hash not in entry["before_json"] + entry["after_json"]
    assert new_hash not in entry["before_json"] + entry["after_json"]
    assert after["updated_at"] is not None


def test_reset_password_is_an_admin_action_even_on_ones_own_account(db):
    make("chen", roles=("admin",))
    make("wangmin")
    old_hash = users.get("wangmin")["password_hash"]
    n = audit_count(db)
    # the owner's exemption (password_hash on their own row) is for change_own_password, which asks
    # for the current password; reset_password must not bypass that
    with pytest.raises(PermissionDenied):
        users.reset_password("wangmin", Actor("wangmin", ("staff",)))
    with pytest.raises(PermissionDenied):
        users.reset_password("chen", Actor("wangmin", ("staff",)))
    assert users.get("wangmin")["password_hash"] == old_hash
    assert audit_count(db) == n
    with pytest.raises(NotFound):
        users.reset_password("nobody", Actor("chen", ("admin",)))


def change(username, current, new, confirm=None):
    users.change_own_password(username, {"current": current, "new": new, "confirm": new if confirm is None else confirm})


def test_change_own_password(db):
    old = make("wangmin", password="Start-pass-2026")
    assert old == "Start-pass-2026"
    n = audit_count(db)
    change("wangmin", "Start-pass-2026", "Brand-new-2026")
    stored = users.get("wangmin")["password_hash"]
    assert passwords.check("Brand-new-2026", stored) and not passwords.check("Start-pass-2026", stored)
    assert audit_count(db) == n + 1
    entry = db.fetch_one("SELECT * FROM audit_log ORDER BY id DESC LIMIT 1")
    assert (entry["actor"], entry["row_key"], entry["action"]) == ("wangmin", "wangmin", "change_password")
    assert json.loads(entry["after_json"])["password_hash"] == audit.SECRET
    assert json.loads(entry["after_json"])["roles"] == ["staff"]


@pytest.mark.parametrize("current,new,confirm,fields", [
    ("Wrong-pass-2026", "Brand-new-2026", None, {"current": ["当前密码不正确"]}),
    ("Start-pass-2026", "Short-1", None, {"new": ["密码至少需要10个字符"]}),
    ("Start-pass-2026", "onlylowercaseletters", None, {"new": ["密码须包含大写字母、小写字母、数字、符号中的至少两类"]}),
    ("Start-pass-2026", "1234567890", None, {"new": ["密码须包含大写字母、小写字母、数字、符号中的至少两类"]}),
    ("Start-pass-2026", "Wang.Min2026", None, {"new": ["密码不能与用户名相同"]}),
    ("Start-pass-2026", " Brand-new-2026", None, {"new": ["密码首尾不能有空格"]}),
    ("Start-pass-2026", "Brand-new-2026", "Brand-new-2027", {"confirm": ["两次输入的新密码不一致"]}),
    ("Start-pass-2026", "Ab1" * 25, None, {"new": ["密码过长(最多72字节)"]}),
])
def test_change_own_password_refusals_change_nothing(db, current, new, confirm, fields):
    make("wang.min2026", password="Start-pass-2026")
    stored = users.get("wang.min2026")["password_hash"]
    n = audit_count(db)
    with pytest.raises(ValidationFailed) as info:
        change("wang.min2026", current, new, confirm)
    assert info.value.fields == fields
    assert users.get("wang.min2026")["password_hash"] == stored
    assert audit_count(db) == n


def test_disabled_user_cannot_change_password(db):
    make("gone", password="Start-pass-2026", active=False)
    with pytest.raises(PermissionDenied, match="账号不存在或已停用"):
        change("gone", "Start-pass-2026", "Brand-new-2026")
    with pytest.raises(PermissionDenied):
        change("nobody", "Start-pass-2026", "Brand-new-2026")


def test_user_cannot_change_own_roles_through_the_write_path(db):
    make("chen", roles=("admin",))
    make("wangmin", roles=("staff",))
    n = audit_count(db)
    for me in (Actor("wangmin"), Actor("wangmin", ("staff",)), Actor("wangmin", ("leader", "reviewer"))):
        with pytest.raises(PermissionDenied):
            records.update(USER, "wangmin", {"roles": ["admin"]}, me)
        with pytest.raises(PermissionDenied):
            records.update(USER, "wangmin", {"active": True}, me, system={"password_hash": "x"})
        with pytest.raises(PermissionDenied):
            records.update(USER, "chen", {}, me, system={"password_hash": "x"})
    assert users.get("wangmin")["roles"] == ["staff"]
    assert audit_count(db) == n


def test_password_policy():
    assert passwords.problems("Kqzmvhtrbw") == []  # two classes, long enough, not guessable
    assert passwords.problems("kqzmvhtr71") == []
    assert passwords.problems("Abcdefghij") and "太容易被猜到" in passwords.problems("Abcdefghij")[0]  # a sequence
    assert passwords.problems("abc") == ["密码至少需要10个字符", "密码须包含大写字母、小写字母、数字、符号中的至少两类"]
    assert passwords.problems("") == ["密码至少需要10个字符"]
    assert passwords.problems("Chen-2026x", "CHEN-2026X") == ["密码不能与用户名相同"]
    assert passwords.problems("Aa" + "密" * 24) == ["密码过长(最多72字节)"]


def test_check_tolerates_a_malformed_hash():
    assert passwords.check("anything", "not-a-bcrypt-hash") is False
