"""修改密码: any signed-in user changes their own password."""
import streamlit as st

from core.platform import passwords, users
from core.ui import auth
from core.ui.forms import schema_form
from core.ui.session import require
from schemas.user import PasswordChange


def render() -> None:
    who = require("account")
    st.title("修改密码")
    st.caption(passwords.RULES)

    def save(values: dict) -> str:
        users.change_own_password(who.username, values, session_id=st.session_state.get(auth.SID))
        return "密码已修改,下次登录请使用新密码;您在其他浏览器或设备上的登录已全部失效。"

    schema_form(PasswordChange, "pw_change", save, submit_label="修改密码", columns=1)
