"""资源与需求总览 (leaders, staff, admins): venues' utilisation and idle venues, partners' contributions, the
non-government share and continuity year by year, needs covered vs open per community, volunteers and their
hours; every chart drillable to the records behind it. Read only: nothing here writes.

The year range and community are the 领导驾驶舱's filters (kept across its screens and in the URL); the section
is a tab kept in the URL (``?tab=``). The figures refresh by themselves in a fragment like the other dashboards.
"""
import streamlit as st

from core.ui import dashboard_view as view
from core.ui import resource_dashboard as rd
from core.ui.session import live_fragment, require, url_tabs


def render() -> None:
    require("res_dashboard")
    st.title("资源与需求总览")
    f = rd.filters_bar()
    every = view.live_controls("res-dash")
    names = list(rd.SECTIONS)
    tabs = url_tabs(names)

    @live_fragment("res_dashboard", every)
    def live(name: str) -> None:
        view.updated_caption(view.describe(f))
        rd.headline(f, f"res-dash:{name}")
        st.divider()
        rd.SECTIONS[name](f, f"res-dash:{name}")

    for name, tab in zip(names, tabs):
        if tab.open:
            with tab:
                live(name)
