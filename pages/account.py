"""修改密码: any signed-in user changes their own password."""
import streamlit as st

from core import users
from core.ui.forms import schema_form
from core.ui.session import require
from schemas.user import PasswordChange


def render() -> None:
    who = require("account")
    st.title("修改密码")
    st.caption("密码至少10位,须包含大写字母、小写字母、数字、符号中的至少两类,且不能与用户名相同。")

    def save(values: dict) -> str:
        users.change_own_password(who.username, values)
        return "密码已修改,下次登录请使用新密码。"

    schema_form(PasswordChange, "pw_change", save, submit_label="修改密码", columns=1)
