"""用户账号: sign-in accounts and their roles."""
from __future__ import annotations

import pandas as pd
import pandera.pandas as pa
from pandera.typing.pandas import Series

from schemas.base import FormSchema, field, rule


class UserAccount(FormSchema):
    username: Series[str] = field("用户名", help="登录用,小写字母、数字、下划线、点或连字符,3–32位",
                                  str_matches=r"^[a-z0-9][a-z0-9_.\-]{2,31}$")
    name: Series[str] = field("姓名", name=True, str_length={"max_value": 50})
    email: Series[str] = field("电子邮箱", required=False, str_length={"max_value": 100},
                               str_matches=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
    roles: Series[object] = field("角色", widget="multiselect", source="roles",
                                  help="管理员拥有工作人员的全部权限,另可管理账号和查看审计日志")
    # nullable boolean dtype: a missing or unrecognised value is reported, not coerced to False/True
    active: Series[pd.BooleanDtype] = field("启用", widget="checkbox")

    @pa.parser("username")
    @classmethod
    def _lower(cls, s):
        return s.map(lambda v: v.lower() if isinstance(v, str) else v)

    @rule("roles", message="请至少选择一个角色")
    def _has_role(cls, df):
        # empty roles are the field's own "请填写" failure (rules pass where their fields are empty)
        return df["roles"].map(lambda v: v is None or (isinstance(v, list) and len(v) > 0))


class PasswordChange(FormSchema):
    current: Series[str] = field("当前密码", widget="password")
    new: Series[str] = field("新密码", widget="password",
                             help="至少10位,须包含字母、数字、符号中的至少两类,且不能与用户名相同")
    confirm: Series[str] = field("再次输入新密码", widget="password")

    @rule("confirm", message="两次输入的新密码不一致")
    def _same(cls, df):
        return df["confirm"].isna() | df["new"].isna() | (df["new"] == df["confirm"])
