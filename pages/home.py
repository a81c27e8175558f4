"""工作台: the landing page of every role."""
import streamlit as st

from core import overview, reviews
from core.ui.session import require
from core.ui.text import md


def render() -> None:
    who = require("home")
    st.title("工作台")
    st.caption(f"欢迎,{md(st.session_state.get('name') or who.username)}")
    figures = overview.registry_figures()
    cols = st.columns(4)
    cols[0].metric("在册社会组织", figures["active"])
    cols[1].metric("累计入壳孵化", figures["incubated_ever"])
    cols[2].metric("在孵组织", figures["incubating"])
    cols[3].metric("覆盖社区", f"{figures['communities_covered']}/{figures['communities']}")
    cols = st.columns(4)
    for col, level in zip(cols, ("5A", "4A", "3A", "2A")):
        col.metric(f"{level}级组织", figures["ratings"].get(level, 0))
    if who.has("reviewer"):
        todo = reviews.open_tasks(who.username)
        st.info(f"您有 {todo} 个评审任务待完成,请在「我的评审」中办理。" if todo else "您目前没有待完成的评审任务。")
