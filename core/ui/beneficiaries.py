"""服务对象 on the project file (项目档案): the project's counts beside the ledger (never names) and its 负责社工 with
the form to change them. core.resources.beneficiaries decides who may see and change what."""
import streamlit as st

from core.platform import formats
from core.platform.entities import may
from core.resources import beneficiaries as ben
from core.ui.forms import load, schema_form
from core.ui.links import page_link
from schemas.beneficiary import Staffing

PAGE = "res_beneficiaries"  # the register's page (core.navigation), where the names are


def project_counts_line(p: dict) -> None:
    """The project's named people beside the ledger's person-times: counts only."""
    c = ben.project_counts(p["id"])
    if not c["people"]:
        return
    st.caption(f"服务对象(实名):登记 {c['people']} 人(在服务 {c['current']} 人),已服务 {c['served']} 人(去重),"
               f"实名出勤 {formats.number(c['times'])} 人次。")
    page_link(PAGE, "查看服务对象名册(仅负责社工和管理员)", project=p["id"])


def project_staff_panel(p: dict, who) -> None:
    """Who the project's 负责社工 are, and the form to change them (admins; staff who are one already)."""
    staff = ben.project_staff(p["id"])
    st.caption(f"负责社工:{'、'.join(r['name'] for r in staff) if staff else '尚未指定(由管理员指定)'}")
    if not may(who, ben.PROJECT_STAFF, "create", {"project_id": p["id"], "username": who.username}):
        return
    with st.expander("调整负责社工", key=f"staff:open:{p['id']}"):
        key = f"staff:{p['id']}"
        current = [r["username"] for r in staff]
        load(key, {"usernames": current}, Staffing, token=(p["id"], tuple(current)))

        def save(values: dict) -> str:
            added, removed = ben.set_project_staff(p["id"], values.get("usernames") or [], who)
            return f"已保存负责社工:新增 {added} 人,移除 {removed} 人" if added or removed else "负责社工没有变化"

        schema_form(Staffing, key, save, submit_label="保存负责社工", clear_on_success=False)
