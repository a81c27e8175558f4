"""领导驾驶舱: 数据总览 (KPIs with their change, the centre's headline figures), 专题分析 (one chart view
at a time, with drill-down and export) and 会议大屏 (large type, no sidebar, the views in turn).

Read-only screens for leaders, staff and admins: nothing here writes. The figures refresh by themselves
in a fragment (``HUBDESK_DASH_REFRESH`` seconds, default 30) without rerunning the whole page.
"""
import streamlit as st

from core.dashboards import dashboard
from core.ui import dashboard_view as view
from core.ui import resource_dashboard
from core.ui.links import page_link
from core.ui.session import live_fragment, require


def overview() -> None:
    require("dash_overview")
    st.title("数据总览")
    f = view.filters_bar()
    every = view.live_controls("dash:overview")

    if view.rolls_up(view.hub_scope()):
        page_link("dash_charts", "各枢纽对比:各街道枢纽的数据并列,选中一个枢纽查看它的数据", view=view.HUB_VIEW[0])

    @live_fragment("dash_overview", every)
    def live() -> None:
        view.updated_caption(view.describe(f))
        k = dashboard.kpis(f)
        view.kpi_note(f)
        view.kpi_tiles(k)
        st.subheader("资源与需求")
        resource_dashboard.headline(f)
        page_link("res_dashboard", "资源与需求总览:各项数据的图表与明细")
        st.subheader("中心成效一览")
        st.caption("自中心成立至今的累计数据,全部由数据库实时计算(除枢纽外不受上方筛选影响)。")
        view.headline_table("dash:overview", f)
        st.subheader("指标明细")
        view.kpi_drill(k, f, "dash:overview")

    live()


def charts() -> None:
    require("dash_charts")
    st.title("专题分析")
    f = view.filters_bar()
    views = view.chart_views(view.hub_scope())  # 各枢纽对比 for a district's or the city's users
    names = list(views)
    asked = st.query_params.get("view")  # a link straight to one view
    if st.session_state.get("dash:view") not in names:
        st.session_state.pop("dash:view", None)
    chosen = st.radio("专题", names, index=names.index(asked) if asked in names else 0,
                      format_func=lambda v: views[v][0], horizontal=True, key="dash:view",
                      label_visibility="collapsed")
    if st.query_params.get("view") != chosen:  # the view in the URL: F5 and a shared link keep it
        st.query_params["view"] = chosen
    every = view.live_controls("dash:charts")

    @live_fragment("dash_charts", every)
    def live() -> None:
        view.updated_caption(view.describe(f))
        views[chosen][1](f, f"dash:{chosen}")

    live()


def meeting() -> None:
    require("dash_meeting")
    view.meeting_style()
    screens = view.meeting_screens(view.hub_scope())  # 各枢纽对比 too for a district's or the city's users
    page_link("dash_overview", "退出大屏")  # always visible: the way out of meeting mode
    with st.expander("大屏设置", expanded=False):
        cols = st.columns([2, 1, 1])
        asked = [k for k in st.query_params.get("screens", "").split(",") if k in screens]  # a room's own set
        shown = cols[0].multiselect("轮播内容", list(screens), default=asked or list(screens), placeholder="选择要轮播的内容",
                                    format_func=lambda k: screens[k][0], key="dash:meeting:screens")
        interval = cols[1].select_slider("每屏停留(秒)", view.MEETING_INTERVALS, value=view.DEFAULT_MEETING_INTERVAL,
                                         key="dash:meeting:interval")
        paused = cols[2].toggle("暂停轮播", value=False, key="dash:meeting:paused")
        f = view.filters_bar()
    shown = shown or ["overview"]
    wanted = "" if shown == list(screens) else ",".join(shown)  # the URL keeps the set: F5 and bookmarks
    if st.query_params.get("screens", "") != wanted:
        if wanted:
            st.query_params["screens"] = wanted
        else:
            st.query_params.pop("screens", None)

    @live_fragment("dash_meeting", min(float(interval), view.refresh_seconds()))
    def screen() -> None:
        if paused:
            slot = st.session_state.get("dash:meeting:slot", 0) % len(shown)
        else:
            slot = view.meeting_slot(len(shown), interval)
        st.session_state["dash:meeting:slot"] = slot
        title, show = screens[shown[slot]]
        st.title(title)
        show(f, f"dash:meeting:{shown[slot]}", meeting=True)
        turn = "已暂停轮播" if paused else f"每 {interval} 秒切换"
        view.updated_caption(f"第 {slot + 1}/{len(shown)} 屏 · {turn} · {view.describe(f)}")

    screen()
