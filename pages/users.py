"""用户与角色 (admin): create accounts, change roles, disable, reset passwords."""
import streamlit as st

from core.navigation import role_label
from core.platform import users
from core.platform.errors import ValidationFailed
from core.ui.confirm import confirm_button
from core.ui.forms import load, schema_form
from core.ui.sessions_panel import sessions_panel
from core.ui.session import require, show_flash
from core.ui.tables import paged_table
from core.ui.text import md
from schemas.user import UserAccount

def _show_password_once(where: str) -> None:
    """The new password, right where the admin created the account or reset it (shown this once)."""
    shown = st.session_state.get("users:new_password")
    if shown and shown[2] == where:
        username, password, _ = st.session_state.pop("users:new_password")
        st.success(f"账号 {md(username)} 的新密码(只显示这一次,请当面或通过安全渠道告知本人):")
        st.code(password, language=None)


def render() -> None:
    who = require("users")
    st.title("用户与角色")
    show_flash()
    paged_table(users.account_rows(who.hubs), "用户与角色", key="users:list", columns=users.LIST_COLUMNS, export=False,
                shown=lambda df: df.assign(roles=df["roles"].map(
                    lambda rs: "、".join(role_label(r) for r in (rs or "").split(",") if r))))
    accounts = users.list_users(hubs=who.hubs)  # the account picker below offers every one of the admin's hubs

    # the open tab and the account being edited are in the URL (?tab=修改账号&user=staff): F5 keeps them
    tab_new, tab_edit = st.tabs(["新建账号", "修改账号"], key="tab", bind="query-params")
    with tab_new:
        def create(values: dict) -> str:
            wanted = (values.get("username") or "").strip().lower()
            existing = users.get(wanted) if wanted else None
            if existing is not None:  # core inserts by primary key; say so before the database refuses it
                raise ValidationFailed.one("username", f"用户名已被使用:{wanted}({existing['name']})")
            username, password = users.create(values, who)
            st.session_state["users:new_password"] = (username, password, "new")
            return f"已创建账号 {username}"

        schema_form(UserAccount, "user_new", create, submit_label="创建账号", defaults={"active": True})
        _show_password_once("new")

    with tab_edit:
        names = dict(zip(accounts["username"], accounts["name"]))
        asked = st.query_params.get("user")
        if asked in names and st.session_state.get("users:url") != asked:  # arrival, F5 or a shared link
            st.session_state["users:target"] = asked
        st.session_state["users:url"] = asked
        target = st.selectbox("选择账号", list(names), index=None, placeholder="请选择要修改的账号(可输入姓名或用户名查找)",
                              format_func=lambda u: f"{names.get(u, u)}({u})", key="users:target")
        if target != asked:  # the account in the URL (?user=staff): F5 and a shared link open it again
            if target:
                st.query_params["user"] = target
            else:
                st.query_params.pop("user", None)
            st.session_state["users:url"] = target
        if not target:
            st.caption("选择一个账号后,可以修改姓名、邮箱、角色,停用账号,或重置它的密码。")
            return
        record = users.get(target)
        load("user_edit", record, UserAccount, token=(target, str(record.get("updated_at"))))
        schema_form(UserAccount, "user_edit",
                    lambda values: "已保存" if users.update(target, values, who) else "没有需要保存的修改",
                    submit_label="保存修改", fields=["name", "email", "roles", "active"], clear_on_success=False,
                    changes_only=True)

        def reset() -> None:
            st.session_state["users:new_password"] = (target, users.reset_password(target, who), "reset")

        confirm_button("users:reset", "重置密码",
                       f"账号 {target}({names.get(target, target)})的当前密码将立即失效、它的所有登录会话随之结束,系统生成一个新密码,只显示一次",
                       reset, ok=f"已重置账号 {target} 的密码", icon=":material/lock_reset:", primary=False)
        _show_password_once("reset")
        st.divider()
        sessions_panel(target, who)
