"""枢纽网络: the hubs as a tree (市 → 区 → 街道) with each hub's organisations and accounts; the top admin adds and
edits hubs and moves accounts between them."""
import streamlit as st

from core.orgs import hubs
from core.ui.forms import load, schema_form
from core.ui.session import act, require, show_flash
from core.ui.text import md
from schemas.hub import Hub


def _edit(who) -> None:
    frame = hubs.tree(who)
    labels = {int(r["id"]): f"{r['tree'].strip()}({r['level']})" for _, r in frame.iterrows()}
    chosen = st.selectbox("选择要修改的枢纽", list(labels), format_func=labels.get, key="hub_edit:pick", index=None,
                          placeholder="请选择枢纽")
    if chosen is None:
        return
    hub = hubs.get(int(chosen))
    if hub is None:
        st.warning("该枢纽不存在。")
        return
    load("hub_edit", hub, Hub, token=(hub["id"], str(hub.get("updated_at"))))

    def save(values: dict) -> str:
        return "已保存修改" if hubs.update(hub["id"], values, who) else "没有需要保存的修改"

    schema_form(Hub, "hub_edit", save, submit_label="保存修改", clear_on_success=False, changes_only=True,
                wide=("address",))


def _members(who) -> None:
    people = dict(hubs.user_options())
    frame = hubs.tree(who)
    places = {int(r["id"]): f"{r['tree'].strip()}({r['level']})" for _, r in frame.iterrows()}
    cols = st.columns(2)
    username = cols[0].selectbox("账号", list(people), format_func=people.get, key="hub_member:user", index=None,
                                 placeholder="请选择账号")
    hub_id = cols[1].selectbox("调整到枢纽", list(places), format_func=places.get, key="hub_member:hub", index=None,
                               placeholder="请选择枢纽")
    if st.button("调整所属枢纽", key="hub_member:go", disabled=username is None or hub_id is None):
        act(lambda: hubs.assign_user(username, hub_id, who),
            lambda changed: f"已将 {username} 调整到「{places[hub_id].split('(')[0]}」" if changed
            else f"{username} 已属于该枢纽,无需调整", once=("assign_hub", username, hub_id))


def render() -> None:
    who = require("hubs")
    st.title("枢纽网络")
    st.caption("市 → 区 → 街道:每个账号和每条社会组织记录属于一个枢纽;区、市级账号可查看下级枢纽的数据(只读汇总),"
               "新建和修改只在本枢纽进行。")
    show_flash()
    frame = hubs.tree(who)
    st.dataframe(frame.rename(columns=hubs.TREE_COLUMNS), hide_index=True, width="stretch", placeholder="",
                 key="hub_tree")
    st.caption(md(f"共 {len(frame)} 个枢纽,社会组织 {int(frame['orgs'].sum())} 家,账号 {int(frame['users'].sum())} 个。"))
    if not hubs.manages(who):
        st.info("只有最上级枢纽(如市级枢纽)的管理员可以新建或修改枢纽;本账号可查看本枢纽及下级枢纽。")
        return
    tab_new, tab_edit, tab_members = st.tabs(["新建枢纽", "修改枢纽", "账号所属枢纽"], key="tab", bind="query-params")
    with tab_new:
        def create(values: dict) -> str:
            hub_id = hubs.create(values, who)
            return f"已新建枢纽:{values.get('name', '').strip()}(编号 {hub_id})"

        schema_form(Hub, "hub_new", create, submit_label="新建枢纽", wide=("address",))
    with tab_edit:
        _edit(who)
    with tab_members:
        _members(who)


__all__ = ["render"]
