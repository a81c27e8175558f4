"""需求动态跟踪 (``tracking``: admin, staff, leader read it): per community, needs covered vs open and the open needs
no idea, application or project answers yet (with how long they have waited). 需求与回应 (``render``: admin, staff):
a need's status over time and the answers linked to it; staff change a status (a dated event with a note) and link
answers by name. Needs are registered and imported from Excel on 需求登记 (the generic screen, ``/community-needs``)."""
import datetime as dt

import streamlit as st

from core import navigation
from core.platform import formats
from core.platform.entities import may
from core.resources import needs
from core.ui.confirm import confirm_button
from core.ui.forms import MAX_DATE, MIN_DATE
from core.ui.links import page_link
from core.ui.listview import list_view
from core.ui.session import act, attempt, require, show_flash
from core.ui.tables import table
from core.ui.text import md
from schemas import choices
from schemas.columns import columns
from schemas.need import Need, NeedEvent, NeedLink

EVENT = columns("to_status", "changed_on", "note", of=NeedEvent)
LINK = columns("kind", "target_id", "note", of=NeedLink)
DETAIL = columns("community", "target_group", "source", "surveyed_on", "urgency", "residents", "recorded_by", of=Need)
ALL = "全部社区"


def _tracking() -> None:
    total = needs.totals()
    cols = st.columns(4)
    cols[0].metric("需求总数", total["total"])
    cols[1].metric("已满足", total["met"])
    cols[2].metric("未满足", total["open"], help="登记、已对接、部分满足、暂缓的需求")
    cols[3].metric("尚无回应", total["unanswered"], help="未满足且还没有关联任何金点子、申报项目或资助项目")
    st.subheader("各社区需求满足情况")
    table(needs.by_community(), "各社区需求满足情况", key="needs:communities", columns=needs.COMMUNITY_COLUMNS)
    st.subheader("尚无回应的需求")
    st.caption("未满足、且还没有金点子、申报项目或资助项目回应的需求,等待最久的在前。")
    place = st.selectbox("社区", [ALL, *choices.get("communities")], key="needs:waiting:community")
    waiting = needs.waiting(None if place == ALL else place)
    if waiting.empty:
        st.info("没有尚无回应的需求。" if place == ALL else f"{place}没有尚无回应的需求。")
    else:
        table(waiting, "尚无回应的需求", key="needs:waiting", columns=needs.WAITING_COLUMNS)
    st.subheader("各类人群的需求")
    table(needs.by_group(), "各类人群的需求", key="needs:groups", columns=needs.GROUP_COLUMNS)


def _status_form(need: dict, who) -> None:
    targets = needs.moves(need["status"])
    st.markdown("**变更状态**")
    cols = st.columns([1, 1, 2])
    to = cols[0].selectbox(EVENT["to_status"], list(targets), index=None, placeholder="请选择",
                           key=f"need:to:{need['id']}")
    on = cols[1].date_input(EVENT["changed_on"], value=dt.date.today(), min_value=MIN_DATE, max_value=MAX_DATE,
                            format="YYYY-MM-DD", key=f"need:on:{need['id']}")
    note = cols[2].text_input(EVENT["note"], key=f"need:note:{need['id']}",
                              placeholder="如:已对接青葵伙伴项目,首批6名儿童开始结对")
    if st.button("保存状态变更", type="primary", key=f"need:move:{need['id']}"):
        if to is None:
            st.error("请先选择新状态")
        else:
            act(lambda: needs.change_status(need["id"], to, on, note, who), f"需求状态已改为「{to}」",
                once=("need_move", need["id"], to))


def _link_form(need: dict, who) -> None:
    st.markdown("**关联回应**")
    kinds = list(choices.NEED_LINK_KINDS)
    cols = st.columns([1, 3])
    kind = cols[0].selectbox(LINK["kind"], kinds, format_func=needs.kind_label, key=f"need:kind:{need['id']}")
    found = dict(needs.options(kind))
    target = cols[1].selectbox(LINK["target_id"], list(found), format_func=found.get, index=None,
                               placeholder=f"请选择{needs.kind_label(kind)}(可输入名称搜索)",
                               key=f"need:target:{need['id']}:{kind}")
    note = st.text_input(LINK["note"], key=f"need:lnote:{need['id']}", placeholder="选填;如:该项目覆盖本社区")
    if st.button("关联", type="primary", key=f"need:link:{need['id']}"):
        if target is None:
            st.error(f"请先选择要关联的{needs.kind_label(kind)}")
        else:
            act(lambda: needs.link(need["id"], kind, int(target), who, note=note or None),
                f"已关联{needs.kind_label(kind)}「{found[target]}」", once=("need_link", need["id"], kind, target))


def _unlink(need: dict, answers, who) -> None:
    names = {int(r.link_id): f"{r.kind} · {r.title}" for r in answers.itertuples()}
    cols = st.columns([3, 2])
    chosen = cols[0].selectbox("取消关联", list(names), format_func=names.get, index=None, placeholder="请选择关联",
                               key=f"need:unlink:{need['id']}")
    with cols[1]:
        confirm_button(f"need:unlink:btn:{need['id']}", "取消关联",
                       f"取消需求「{need['title']}」与「{names.get(chosen, '')}」的关联(需求状态不变)",
                       lambda: needs.unlink(int(chosen), who), "已取消关联",
                       disabled_reason=None if chosen is not None else "请先选择要取消的关联", primary=False)


def _detail(need: dict, who) -> None:
    st.subheader(md(need["title"]))
    st.markdown(f"状态:**{md(need['status'])}**"
                + (f"(自 {formats.date(need['status_on'])})" if need.get("status_on") else ""))
    st.text("  ".join(f"{title}:{formats.text(need[name])}" for name, title in DETAIL.items()))
    if need.get("description"):
        st.text(need["description"])
    writer = may(who, needs.NEED_EVENT, "create")
    st.markdown("**状态变化**")
    events = needs.history(need["id"])
    if events.empty:
        st.caption("尚无状态变更:登记后一直是「登记」。")
    else:
        table(events.drop(columns=["id"]), f"需求{need['id']}状态变化", key=f"need:events:{need['id']}",
              columns=needs.EVENT_COLUMNS, export=False)
    st.markdown("**回应这项需求的金点子、申报和项目**")
    answers = needs.links(need["id"])
    if answers.empty:
        st.caption("还没有关联任何回应。")
    else:
        table(answers.drop(columns=["link_id"]), f"需求{need['id']}的回应", key=f"need:links:{need['id']}",
              columns=needs.LINK_COLUMNS, export=False)
    if not writer:
        st.caption("只读:状态变更和关联由中心工作人员办理。")
        return
    _status_form(need, who)
    _link_form(need, who)
    if not answers.empty:
        _unlink(need, answers, who)


def tracking() -> None:
    """需求动态跟踪 (admin, staff, leader): the figures and the waiting list, read only."""
    who = require("needs_track")
    st.title("需求动态跟踪")
    if navigation.allowed("needs", who.roles):
        page_link("needs", "办理需求:变更状态、关联金点子、申报和项目(需求与回应)")
    _tracking()


def render() -> None:
    """需求与回应 (admin, staff): the needs, each with its status over time and its answers."""
    who = require("needs")
    st.title("需求与回应")
    show_flash()
    if may(who, needs.NEED, "create"):
        page_link("need_admin", "登记需求、从Excel导入调研结果(需求登记)")
    selected = list_view(needs.LIST_VIEW, "needs", title="社区需求")
    if selected is None:
        st.caption("点击列表中的一行,查看需求的状态变化和回应,变更状态或关联金点子、申报、项目。")
        return
    st.divider()
    need = attempt(lambda: needs.get(int(selected)))
    if need is not None:
        _detail(need, who)
