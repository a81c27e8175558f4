"""用户与角色 (admin): create accounts, change roles, disable, reset passwords."""
import streamlit as st

from core import users
from core.errors import HubError, ValidationFailed
from core.navigation import role_label
from core.ui.forms import load, schema_form
from core.ui.session import require
from core.ui.text import md
from schemas.user import UserAccount


def _show_password_once() -> None:
    shown = st.session_state.pop("users:new_password", None)
    if shown:
        username, password = shown
        st.success(f"账号 {md(username)} 的新密码(只显示这一次,请当面或通过安全渠道告知本人):")
        st.code(password, language=None)


def render() -> None:
    who = require("users")
    st.title("用户与角色")
    _show_password_once()
    accounts = users.list_users()
    accounts["roles"] = accounts["roles"].map(lambda rs: "、".join(role_label(r) for r in (rs or "").split(",") if r))
    st.dataframe(accounts.rename(columns={
        "username": "用户名", "name": "姓名", "email": "邮箱", "roles": "角色", "active": "启用",
        "is_demo": "演示账号", "created_at": "创建时间", "updated_at": "更新时间"}), hide_index=True, width="stretch")

    tab_new, tab_edit = st.tabs(["新建账号", "修改账号"])
    with tab_new:
        def create(values: dict) -> str:
            wanted = (values.get("username") or "").strip().lower()
            existing = users.get(wanted) if wanted else None
            if existing is not None:  # core inserts by primary key; say so before the database refuses it
                raise ValidationFailed.one("username", f"用户名已被使用:{wanted}({existing['name']})")
            username, password = users.create(values, who)
            st.session_state["users:new_password"] = (username, password)
            return f"已创建账号 {username}"

        schema_form(UserAccount, "user_new", create, submit_label="创建账号", defaults={"active": True})

    with tab_edit:
        names = users.list_users()["username"].tolist()
        target = st.selectbox("选择账号", names, index=None, placeholder="请选择", key="users:target")
        if not target:
            return
        record = users.get(target)
        load("user_edit", record, UserAccount, token=(target, str(record.get("updated_at"))))
        schema_form(UserAccount, "user_edit",
                    lambda values: "已保存" if users.update(target, values, who) else "没有需要保存的修改",
                    submit_label="保存修改", fields=["name", "email", "roles", "active"], clear_on_success=False,
                    changes_only=True)
        if st.button("重置密码", key="users:reset", icon=":material/lock_reset:"):
            try:
                st.session_state["users:new_password"] = (target, users.reset_password(target, who))
            except HubError as exc:
                st.error(md(exc))
            else:
                st.rerun()
