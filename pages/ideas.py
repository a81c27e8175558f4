"""金点子征集: record ideas, tag, mark duplicates, promote to an application.

The selected idea (``?id=N``, kept by the list) and the tabs (``?tab=…``, ``?idea_tab=…``) are in the
URL; 转为申报 opens the new draft in 项目申报 (``/apply?id=N``)."""
import streamlit as st

from core import navigation
from core.intake import applications, ideas, rounds, workflow
from core.orgs import organisations
from core.platform import formats
from core.resources import needs
from core.ui.forms import load, schema_form
from core.ui.links import page_link
from core.ui.listview import list_view
from core.ui.screens import page
from core.ui.session import act, attempt, flash, require, show_flash
from core.ui.text import md
from schemas.application import Application
from schemas.columns import columns
from schemas.idea import Idea

PROMOTE = columns("org_id", "round_id", of=Application)  # the two choices that start an application
CONTACT = columns("contact_name", "contact_phone", of=Idea)


def _promoted(idea: dict) -> None:
    """Where the idea's application is, with a link that opens it (in the editor while it is a draft)."""
    app = ideas.application(idea)
    if app is None:  # gone from the register: the link alone
        st.info(f"已转为申报项目 编号 {idea['application_id']}")
        return
    st.info(md(f"已转为申报项目 编号 {app['id']}:{app['title']}(状态:{workflow.state_label(app['state'])})"))
    if app["state"] in applications.EDITABLE:
        page_link("apply", f"在「项目申报」中补全并提交(编号 {app['id']})", id=app["id"])
    page_link("application", f"查看申报详情(编号 {app['id']})", id=app["id"])


def _promote(idea: dict, who) -> None:
    if idea["application_id"] is not None:
        st.caption("该金点子已转为申报,不能再次转化。")
        _promoted(idea)
        return
    if idea["duplicate_of"] is not None:
        st.caption(f"该金点子与编号 {idea['duplicate_of']} 重复:请转化保留的那条,或先取消重复标记。")
        return
    orgs = organisations.options(active_only=True)
    org = st.selectbox(PROMOTE["org_id"], [i for i, _ in orgs], format_func=dict(orgs).get, index=None,
                       placeholder="请选择在册组织(可输入名称搜索)", key=f"idea_org:{idea['id']}")
    rid_options = rounds.all_rounds()
    rnd = st.selectbox(PROMOTE["round_id"], rid_options["id"].tolist(),
                       format_func=dict(zip(rid_options["id"], rid_options["name"])).get,
                       index=0 if len(rid_options) else None, placeholder="请选择创投批次",
                       key=f"idea_round:{idea['id']}")
    why = "请先选择申报组织" if org is None else ("请先选择创投批次" if rnd is None else None)
    if st.button("生成申报草稿", type="primary", key=f"idea_promote:{idea['id']}", disabled=why is not None,
                 help=why):
        new_id = attempt(lambda: ideas.promote(idea["id"], int(org), int(rnd), who))
        if new_id is not None:
            flash(f"已生成申报草稿(编号 {new_id},来自金点子「{idea['title']}」):请在下面补全内容后提交。")
            st.switch_page(page(navigation.spec("apply")), query_params={"id": str(new_id)})
    if why:
        st.caption(why + ",再点「生成申报草稿」;生成后直接打开草稿继续填写。")


def _detail(idea: dict, who) -> None:
    st.subheader(md(idea["title"]))
    st.text(idea["description"])
    st.text("  ".join(f"{title}:{formats.text(idea[name])}"
                      for name, title in ideas.IDEA_COLUMNS.pick("community", "category", "source").items()))
    st.text("  ".join(f"{title}:{formats.text(idea[name])}" for name, title in CONTACT.items()) + "(仅工作人员可见)")
    if idea["application_id"]:
        _promoted(idea)
    if idea["duplicate_of"]:
        st.info(f"与金点子 编号 {idea['duplicate_of']} 重复")
    if answered := needs.answered_text("idea", idea["id"]):  # 需求动态跟踪 (core.resources.needs)
        st.caption(md(answered))
    dups = ideas.duplicates_of(idea["id"])
    if not dups.empty:
        st.caption("以下金点子被标记为与本条重复:")
        shown = dups.assign(created_at=dups["created_at"].map(formats.date).astype(object))
        st.dataframe(shown.rename(columns=ideas.IDEA_COLUMNS.pick(*dups.columns)), hide_index=True)

    tab_edit, tab_dup, tab_promote = st.tabs(["修改/标签", "标记重复", "转为申报"], key="idea_tab",
                                             bind="query-params")
    with tab_edit:
        load("idea_edit", idea, Idea, token=(idea["id"], str(idea.get("updated_at"))))
        schema_form(Idea, "idea_edit", lambda v: "已保存" if ideas.update(idea["id"], v, who) else "没有需要保存的修改",
                    submit_label="保存修改", clear_on_success=False, changes_only=True)
    with tab_dup:
        if idea["application_id"] is not None:
            st.caption("已转为申报的金点子不能标记为重复。")
        else:
            others = [(i, t) for i, t in ideas.options() if i != idea["id"]]
            kept = st.selectbox("保留的金点子", [i for i, _ in others], format_func=dict(others).get, index=None,
                                placeholder="请选择保留的那条(可输入标题搜索)", key=f"idea_dup:{idea['id']}")
            c1, c2 = st.columns(2)
            if c1.button("标记为重复", key=f"idea_dup_btn:{idea['id']}", disabled=kept is None,
                         help="请先选择保留的金点子" if kept is None else None):
                act(lambda: ideas.mark_duplicate(idea["id"], int(kept), who), "已标记为重复")
            if kept is None:
                c1.caption("请先选择保留的金点子。")
            if idea["duplicate_of"] and c2.button("取消重复标记", key=f"idea_undup:{idea['id']}"):
                act(lambda: ideas.mark_duplicate(idea["id"], None, who), "已取消重复标记")
    with tab_promote:
        _promote(idea, who)


def render() -> None:
    who = require("ideas")
    st.title("金点子征集")
    show_flash()
    tab_list, tab_new = st.tabs(["金点子池", "登记金点子"], key="tab", bind="query-params")
    with tab_new:
        schema_form(Idea, "idea_new", lambda v: f"已登记金点子(编号 {ideas.create(v, who)})", submit_label="登记")
    with tab_list:
        selected = list_view(ideas.LIST_VIEW, "ideas", title="金点子")
        if selected is None:
            st.caption("点击列表中的一行查看、修改或转为申报。")
        else:
            st.divider()
            idea = attempt(lambda: ideas.get(int(selected)))
            if idea is None:
                return
            _detail(idea, who)
