"""工作台: the landing page of every role."""
import streamlit as st

from core.dashboards import overview
from core.monitoring import evaluations, projects, risks
from core.review import reviews
from core.ui.links import page_link
from core.ui.session import require
from core.ui.text import md


def render() -> None:
    who = require("home")
    st.title("工作台")
    st.caption(f"欢迎,{md(st.session_state.get('name') or who.username)}")
    figures = overview.registry_figures()
    cols = st.columns(4)
    label = overview.REGISTRY_LABELS
    cols[0].metric(label["active"], figures["active"])
    cols[1].metric(label["incubated_ever"], figures["incubated_ever"])
    cols[2].metric(label["incubating"], figures["incubating"])
    cols[3].metric(label["communities_covered"], f"{figures['communities_covered']}/{figures['communities']}")
    cols = st.columns(4)
    for col, level in zip(cols, ("5A", "4A", "3A", "2A")):
        col.metric(overview.rating_label(level), figures["ratings"].get(level, 0))
    if who.has("reviewer"):
        todo = reviews.open_tasks(who.username)
        st.info(f"您有 {todo} 个评审任务待完成,请在「我的评审」中办理。" if todo else "您目前没有待完成的评审任务。")
    if who.has("leader"):
        page_link("dash_overview", "打开数据总览(实时数据,可用于会议大屏)")
    if who.has("admin", "staff"):
        _monitoring_todo()


def _monitoring_todo() -> None:
    """动态监管 to-dos: agreements to sign, open warnings, overdue evaluation reports."""
    st.subheader("动态监管待办")
    waiting = len(projects.awaiting_agreement())
    s = risks.summary()
    due = len(evaluations.due_reports())
    label = overview.TODO_LABELS
    cols = st.columns(4)
    cols[0].metric(label["awaiting_agreement"], waiting)
    cols[1].metric(label["high"], s.get("高", 0))
    cols[2].metric(label["medium_low"], s.get("中", 0) + s.get("低", 0))
    cols[3].metric(label["due_reports"], due)
    if waiting:
        page_link("projects", f"{waiting} 个立项项目待签订资助协议")
    if s.get("total", 0):
        page_link("risk_board", f"{s.get('projects', 0)} 个项目有未处理的预警")
