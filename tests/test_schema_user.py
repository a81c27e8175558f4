"""The 用户账号 and 修改密码 schemas through the validation layer."""
from __future__ import annotations

import pytest

from core.platform.errors import ValidationFailed
from core.platform.validation import validate
from schemas.user import PasswordChange, UserAccount


def user_values(**overrides) -> dict:
    values = {"username": "wangfang", "name": "王芳", "email": "wangfang@xiasha.org.cn", "roles": ["staff"], "active": True}
    values.update(overrides)
    return values


def refused(model, values) -> ValidationFailed:
    with pytest.raises(ValidationFailed) as info:
        validate(model, values)
    return info.value


def test_good_account_passes():
    assert validate(UserAccount, user_values()) == {
        "username": "wangfang", "name": "王芳", "email": "wangfang@xiasha.org.cn", "roles": ["staff"], "active": True,
    }


@pytest.mark.parametrize("given,stored", [
    ("WangFang", "wangfang"), ("  Li.Ming-2 ", "li.ming-2"), ("abc", "abc"), ("a" * 32, "a" * 32), ("zhang_san", "zhang_san"),
])
def test_username_is_lower_cased_and_stripped(given, stored):
    assert validate(UserAccount, user_values(username=given))["username"] == stored


@pytest.mark.parametrize("bad", ["ab", "a" * 33, "_abc", ".abc", "-abc", "wang fang", "王芳", "wang@fang", "wang/fang"])
def test_username_pattern(bad):
    assert refused(UserAccount, user_values(username=bad)).fields == {"username": ["用户名格式不正确"]}


def test_username_required():
    assert refused(UserAccount, user_values(username="  ")).fields == {"username": ["请填写用户名"]}


@pytest.mark.parametrize("empty", [[], None, ["", " "]])
def test_roles_required_with_one_message(empty):
    # a cross-field rule passes where its field is empty, so "required" is said once
    assert refused(UserAccount, user_values(roles=empty)).fields == {"roles": ["请选择角色"]}


def test_roles_must_be_known():
    assert refused(UserAccount, user_values(roles=["staff", "superuser"])).fields == {"roles": ["角色含有不在列表中的选项"]}


def test_several_roles_kept_in_order():
    assert validate(UserAccount, user_values(roles=["leader", "admin"]))["roles"] == ["leader", "admin"]


@pytest.mark.parametrize("bad", ["wangfang", "wang@fang", "wang fang@x.cn", "@xiasha.cn", "wang@xiasha.", "a@b@c.cn"])
def test_email_format(bad):
    assert refused(UserAccount, user_values(email=bad)).fields == {"email": ["电子邮箱格式不正确"]}


def test_email_optional_and_too_long():
    assert validate(UserAccount, user_values(email="  "))["email"] is None
    assert validate(UserAccount, user_values(email=None))["email"] is None
    long = "a" * 95 + "@x.cn"
    assert len(long) == 100
    assert validate(UserAccount, user_values(email=long))["email"] == long
    assert refused(UserAccount, user_values(email="a" + long)).fields == {"email": ["电子邮箱不能超过100个字符"]}


def test_name_required_and_limited():
    assert refused(UserAccount, user_values(name="")).fields == {"name": ["请填写姓名"]}
    assert refused(UserAccount, user_values(name="王" * 51)).fields == {"name": ["姓名不能超过50个字符"]}


def test_active_flag_must_be_a_boolean():
    assert validate(UserAccount, user_values(active=False))["active"] is False
    assert refused(UserAccount, user_values(active=None)).fields == {"active": ["请填写启用"]}
    assert refused(UserAccount, user_values(active="yes please")).fields == {"active": ["启用格式不正确"]}


def test_control_characters_in_name_refused():
    assert refused(UserAccount, user_values(name="王\x1b[31m芳")).fields == {"name": ["姓名不能包含控制字符"]}


# ---- password change ---------------------------------------------------------------------------

def test_password_change_passes_when_confirmed():
    values = {"current": "Old-password-1", "new": "New-password-2", "confirm": "New-password-2"}
    assert validate(PasswordChange, values) == values


def test_password_confirm_mismatch():
    exc = refused(PasswordChange, {"current": "Old-password-1", "new": "New-password-2", "confirm": "New-password-3"})
    assert exc.fields == {"confirm": ["两次输入的新密码不一致"]}


def test_password_fields_required():
    exc = refused(PasswordChange, {"current": "", "new": "   ", "confirm": None})
    assert exc.fields == {"current": ["请填写当前密码"], "new": ["请填写新密码"], "confirm": ["请填写再次输入新密码"]}


def test_passwords_are_kept_exactly_as_typed():
    # the sign-in compares the password unstripped, so the form must not strip it either: before the
    # fix " New-password-2 " was saved as "New-password-2" and the user could not sign in with what they typed
    values = {"current": " Old-password-1", "new": " New-password-2 ", "confirm": " New-password-2 "}
    assert validate(PasswordChange, values) == values
    exc = refused(PasswordChange, {"current": "x", "new": " New-password-2 ", "confirm": "New-password-2"})
    assert exc.fields == {"confirm": ["两次输入的新密码不一致"]}
