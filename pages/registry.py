"""社会组织台账: list, detail and edit, new organisation, Excel import."""
import streamlit as st

from core.orgs import organisations
from core.platform import importer, users
from core.ui.auditlog import audit_frame
from core.ui.forms import load, schema_form
from core.ui.imports import import_panel
from core.ui.listview import list_view
from core.ui.session import require
from core.ui.tables import display_frame
from core.ui.text import md
from schemas.organisation import Organisation

NEW_DEFAULTS = {"active": True}


def _detail(org: dict) -> None:
    shown = organisations.describe(org)
    cols = st.columns(3)
    for i, (k, v) in enumerate(shown.items()):
        cols[i % 3].text(f"{k}:{v}")  # st.text: stored text is shown literally, never as markup
    if org.get("notes"):
        st.text(f"{organisations.COLUMNS['notes']}:{org['notes']}")


def org_list() -> None:
    who = require("org_list")
    st.title("社会组织台账")
    selected = list_view(organisations.LIST_VIEW, "orgs", title="社会组织台账")  # also ?id=N
    if selected is None:
        st.caption("在表格中选择一行查看详情或编辑。")
        return
    org = organisations.get(int(selected), actor=who)  # another hub's record is not found, by URL either
    if org is None:
        st.warning("该组织不存在。")
        return
    st.divider()
    st.subheader(md(org["name"]))  # above the tabs: whichever tab is open, the user sees which record it is
    # the open tab is in the URL too (?tab=编辑): F5 and a shared link keep it, and so does every rerun
    tab_view, tab_edit, tab_log = st.tabs(["详情", "编辑", "修改记录"], key="tab", bind="query-params")
    with tab_view:
        _detail(org)
    with tab_edit:
        load("org_edit", org, Organisation, token=(org["id"], str(org.get("updated_at"))))
        schema_form(Organisation, "org_edit", lambda values: _save_edit(org["id"], values, who),
                    submit_label="保存修改", clear_on_success=False, changes_only=True)
    with tab_log:
        accounts = users.list_users()
        log = audit_frame(organisations.history(org["id"]), drop=("table_name", "row_key"),
                          people=dict(zip(accounts["username"], accounts["name"])))
        st.dataframe(display_frame(log), hide_index=True, width="stretch", placeholder="",
                     column_config={"修改内容": st.column_config.TextColumn(width="large")})


def _save_edit(org_id: int, values: dict, who) -> str:
    changed = organisations.update(org_id, values, who)
    return "已保存修改" if changed else "没有需要保存的修改"


def org_new() -> None:
    who = require("org_new")
    st.title("登记新组织")
    st.caption("带 * 的为必填项。登记类组织填写统一社会信用代码;社区备案组织填写备案编号。")

    def save(values: dict) -> str:
        org_id = organisations.create(values, who)
        st.session_state["org_new:last"] = org_id
        return f"已登记:{values.get('name', '').strip()}(编号 {org_id})"

    schema_form(Organisation, "org_new", save, submit_label="登记", defaults=NEW_DEFAULTS)


def org_import() -> None:
    who = require("org_import")
    st.title("批量导入社会组织")
    import_panel(organisations.IMPORT_SPEC, "org_import", noun=organisations.ORGANISATION.label, template_name="社会组织导入模板.xlsx",
                 commit=lambda plan: importer.commit(organisations.IMPORT_SPEC, plan, who))


__all__ = ["org_list", "org_new", "org_import"]
