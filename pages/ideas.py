"""金点子征集: record ideas, tag, mark duplicates, promote to an application."""
import streamlit as st

from core import ideas, organisations, rounds
from core.errors import HubError
from core.ui.forms import load, schema_form
from core.ui.listview import list_view
from core.ui.session import flash, require, show_flash
from core.ui.text import md
from schemas.idea import Idea


def _detail(idea: dict, who) -> None:
    st.subheader(md(idea["title"]))
    st.text(idea["description"])
    st.text(f"社区:{idea['community']}  类别:{idea['category']}  来源:{idea['source']}")
    st.text(f"联系人:{idea['contact_name'] or '—'}  电话:{idea['contact_phone'] or '—'}(仅工作人员可见)")
    if idea["application_id"]:
        st.info(f"已转为申报项目 编号 {idea['application_id']}(在「申报项目」中查看)")
    if idea["duplicate_of"]:
        st.info(f"与金点子 编号 {idea['duplicate_of']} 重复")
    dups = ideas.duplicates_of(idea["id"])
    if not dups.empty:
        st.caption("以下金点子被标记为与本条重复:")
        st.dataframe(dups, hide_index=True)

    tab_edit, tab_dup, tab_promote = st.tabs(["修改/标签", "标记重复", "转为申报"])
    with tab_edit:
        load("idea_edit", idea, Idea, token=(idea["id"], str(idea.get("updated_at"))))
        schema_form(Idea, "idea_edit", lambda v: "已保存" if ideas.update(idea["id"], v, who) else "没有需要保存的修改",
                    submit_label="保存修改", clear_on_success=False, changes_only=True)
    with tab_dup:
        others = [(i, t) for i, t in ideas.options() if i != idea["id"]]
        kept = st.selectbox("保留的金点子", [i for i, _ in others], format_func=dict(others).get, index=None,
                            placeholder="请选择", key=f"idea_dup:{idea['id']}")
        c1, c2 = st.columns(2)
        if c1.button("标记为重复", key=f"idea_dup_btn:{idea['id']}", disabled=kept is None):
            _act(lambda: ideas.mark_duplicate(idea["id"], int(kept), who), "已标记为重复")
        if idea["duplicate_of"] and c2.button("取消重复标记", key=f"idea_undup:{idea['id']}"):
            _act(lambda: ideas.mark_duplicate(idea["id"], None, who), "已取消重复标记")
    with tab_promote:
        orgs = organisations.options(active_only=True)
        org = st.selectbox("申报组织", [i for i, _ in orgs], format_func=dict(orgs).get, index=None,
                           placeholder="请选择在册组织", key=f"idea_org:{idea['id']}")
        rid_options = rounds.all_rounds()
        rnd = st.selectbox("创投批次", rid_options["id"].tolist(),
                           format_func=dict(zip(rid_options["id"], rid_options["name"])).get,
                           index=0 if len(rid_options) else None, key=f"idea_round:{idea['id']}")
        if st.button("生成申报草稿", type="primary", key=f"idea_promote:{idea['id']}",
                     disabled=org is None or rnd is None or idea["application_id"] is not None):
            _act(lambda: ideas.promote(idea["id"], int(org), int(rnd), who), "已生成申报草稿,请到「项目申报」补全内容")


def _act(fn, ok: str) -> None:
    try:
        fn()
    except HubError as exc:
        st.error(md(exc))
    else:
        flash(ok)  # rerun, so the detail, its buttons and the list show the new state
        st.rerun()


def render() -> None:
    who = require("ideas")
    st.title("金点子征集")
    show_flash()
    tab_list, tab_new = st.tabs(["金点子池", "登记金点子"])
    with tab_new:
        schema_form(Idea, "idea_new", lambda v: f"已登记金点子(编号 {ideas.create(v, who)})", submit_label="登记")
    with tab_list:
        selected = list_view(ideas.LIST_VIEW, "ideas", title="金点子")
        if selected is not None:
            st.divider()
            _detail(ideas.get(int(selected)), who)

