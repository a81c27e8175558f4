"""Building blocks of the dashboard screens: the filter bar, live refresh, KPI tiles, the chart views with
drill-down and export, meeting-mode styling. Everything here only reads (through :mod:`core.dashboards.dashboard`);
no widget on a dashboard writes anything.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import os
import time
from typing import Callable

import altair as alt
import pandas as pd
import streamlit as st

from core import navigation
from core.dashboards import dashboard
from core.dashboards.dashboard import FILTER_LABELS, Filters
from core.platform import snapshot
from core.platform.actor import DEFAULT_HUB
from core.platform.excel import XLSX_MIME, workbook_bytes
from core.ui import charts
from core.ui.screens import page
from core.ui.session import actor, attempt, export_logger
from core.ui.tables import display_frame, numeric_frame, table
from core.ui.text import md

REFRESH_ENV = "HUBDESK_DASH_REFRESH"
DEFAULT_REFRESH = 30.0
MEETING_INTERVALS = (10, 15, 20, 30, 60, 120)
DEFAULT_MEETING_INTERVAL = 20
_KEEP = "dash:keep:"  # copies of the filter values that survive switching between dashboard screens

KPI_GROUPS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("社会组织培育", ("registered", "incubated_ever", "incubating", "brought_in")),
    ("公益创投与资金", ("funded", "granted", "signed", "disbursed")),
    ("服务成效", ("activities", "person_times", "communities_covered")),
    ("能力建设", ("trainings", "training_person_times")),
    ("等级评估(有效期内)", ("5A", "4A", "3A", "2A", "1A")),
)
STOCK_KEYS = {"registered", "incubated_ever", "incubating", "brought_in", "1A", "2A", "3A", "4A", "5A"}


def refresh_seconds() -> float:
    """The auto-refresh interval in seconds (``HUBDESK_DASH_REFRESH``, default 30, at least 1)."""
    try:
        return max(1.0, float(os.environ.get(REFRESH_ENV) or DEFAULT_REFRESH))
    except ValueError:
        return DEFAULT_REFRESH


# ---- filters -------------------------------------------------------------------------------------------
ANY = "*"  # the "no filter" option (a real option: a selectbox value of None would show a placeholder)


def _remember(key: str) -> None:
    st.session_state[_KEEP + key] = st.session_state.get(key)


def _select(col, label: str, options: list, any_label: str, key: str, fmt: Callable = str, param: str = ""):
    """A selectbox with a first "no filter" option whose value is kept across the dashboard screens (each
    screen's widget is its own, so the value lives in a copy that the widget's change updates; a value no
    longer offered falls back to no filter) and in the URL as ``?param=`` (so F5 and a shared link keep
    it; a new session starts from the URL). Returns the chosen option, or None for no filter."""
    choices = [ANY, *options]
    if _KEEP + key not in st.session_state and param in st.query_params:  # a new session: the URL decides
        asked = st.query_params.get(param)
        st.session_state[_KEEP + key] = next((c for c in options if str(c) == asked), ANY)
    kept = st.session_state.get(_KEEP + key, ANY)
    st.session_state[key] = kept if kept in choices else ANY
    value = col.selectbox(label, choices, format_func=lambda v: any_label if v == ANY else fmt(v), key=key,
                          on_change=_remember, args=(key,))
    if param:
        if value == ANY:
            st.query_params.pop(param, None)
        elif st.query_params.get(param) != str(value):
            st.query_params[param] = str(value)
    return None if value == ANY else value


HUB_LABEL, ALL_HUBS, HUB_KEY = "枢纽", "全部枢纽", "dash:f:hub"  # the 枢纽 filter (only for a scope of several hubs)


def hub_scope() -> tuple[int, ...] | None:
    """The hubs the signed-in user reads (``Actor.hubs``; none while nobody is signed in)."""
    who = actor()
    return who.hubs if who is not None else ()


def rolls_up(scope: tuple[int, ...] | None) -> bool:
    """Does a user reading ``scope`` see several hubs (a district's or the city's), so get the 枢纽 filter and
    各枢纽对比? A street's users do not."""
    return scope is None or len(scope) > 1


def hub_select(col, scope: tuple[int, ...] | None) -> int | None:
    """The 枢纽 filter: 全部枢纽 or one hub of the scope (in the tree's order), kept like the other filters and in
    the URL as ``?hub=``."""
    choices = dashboard.hub_choices(scope)
    return _select(col, HUB_LABEL, list(choices), ALL_HUBS, HUB_KEY, lambda h: choices.get(h, str(h)), "hub")


def scoped(f: Filters, scope: tuple[int, ...] | None, hub: int | None) -> Filters:
    """``f`` with the hubs it counts (the chosen hub and those below it, else the whole scope), resolved; stops the
    screen with a message on a refusal (a backwards range, a hub outside the scope)."""
    resolved = attempt(lambda: dataclasses.replace(f, hubs=dashboard.hub_filters(scope, hub), hub=hub).resolved())
    if resolved is None:
        st.stop()
    return resolved


def describe(f: Filters) -> str:
    """The filters in words, led by the chosen hub."""
    text = f.describe()
    return f"{dashboard.hub_labels().get(f.hub, f.hub)} · {text}" if f.hub is not None else text


def hub_note(f: Filters, what: str) -> None:
    """Say that ``what`` belongs to no hub yet and counts for the default hub only (when more than that hub is
    shown, or another one)."""
    if f.hubs is not None and f.hubs != (DEFAULT_HUB,):
        st.caption(dashboard.UNHUBBED_NOTE.format(what=what, hub=dashboard.hub_labels().get(DEFAULT_HUB, "本中心")))


def filters_bar() -> Filters:
    """The 枢纽 filter (for a scope of several hubs), year range, round, category and community; stops the screen
    with a message on a backwards range."""
    opts = dashboard.filter_options()
    years, rounds = opts["years"], opts["rounds"]
    scope = hub_scope()
    roll = rolls_up(scope)
    cols = st.columns(6 if roll else 5)
    hub = hub_select(cols[0], scope) if roll else None
    cols = cols[1:] if roll else cols
    label = FILTER_LABELS
    year_from = _select(cols[0], label["year_from"], years, "不限", "dash:f:from", lambda y: f"{y}年", "from")
    year_to = _select(cols[1], label["year_to"], list(reversed(years)), "至今", "dash:f:to", lambda y: f"{y}年", "to")
    round_id = _select(cols[2], label["round"], list(rounds), "全部批次", "dash:f:round",
                       lambda r: rounds.get(r, str(r)), "round")
    category = _select(cols[3], label["category"], opts["categories"], "全部类别", "dash:f:category",
                       param="category")
    community = _select(cols[4], label["community"], opts["communities"], "全部社区", "dash:f:community",
                        param="community")
    f = Filters(year_from=year_from, year_to=year_to, round_id=round_id, category=category, community=community)
    return scoped(f, scope, hub)  # a backwards range: its refusal, and nothing below it


def live_controls(key: str) -> float | None:
    """The 自动刷新 switch; returns the fragment's ``run_every`` (None when switched off)."""
    secs = refresh_seconds()
    on = st.toggle(f"自动刷新(每 {secs:g} 秒)", value=True, key=f"{key}:live",
                   help="开启后,图表和指标会按时从数据库重新读取,无需刷新页面")
    return secs if on else None


def updated_caption(extra: str = "") -> None:
    """When the figures were read; with the analytics snapshot (``HUBDESK_ANALYTICS=snapshot``) how fresh they are,
    and for an admin 「立即更新」 (refreshes the snapshot now: nothing is written to the database)."""
    fr = snapshot.freshness()
    if fr is None:
        st.caption(f"最后更新 {dt.datetime.now():%H:%M:%S}" + (f" · {extra}" if extra else ""))
        return
    who = actor()
    admin = who is not None and who.has("admin")
    text, button = st.columns([6, 1], vertical_alignment="center") if admin else (st.container(), None)
    if button is not None and button.button("立即更新", key="dash:snapshot:refresh",
                                            help="立即从数据库复制有变化的数据,不必等下次自动更新"):
        done = attempt(lambda: snapshot.refresh_now(who))
        if done:
            st.success(done)
        fr = snapshot.freshness() or fr
    text.caption(snapshot.caption(fr) + (f" · {extra}" if extra else ""))


def uses_caption(name: str) -> None:
    """Say which filters a query ignores."""
    uses = dashboard.query(name).uses
    ignored = [FILTER_LABELS[key] for key in ("round", "category", "community") if key not in uses]
    if ignored:
        st.caption(f"本图不受{'、'.join(ignored)}筛选影响。")


# ---- numbers --------------------------------------------------------------------------------------------
def fmt_value(value: float, unit: str) -> str:
    if unit == "元":
        return f"{value / 10000:,.2f} 万元"
    return f"{value:,.0f} {unit}"


def fmt_delta(value: float, previous, unit: str) -> str | None:
    if previous is None or pd.isna(previous):
        return None
    diff = value - float(previous)
    if unit == "元":
        return f"{diff / 10000:+,.2f} 万元"
    return f"{diff:+,.0f}"


def _kpi_help(key: str) -> str:
    return ("存量:所选结束年份年末(或今天)的数量,与上年末比较" if key in STOCK_KEYS
            else "流量:所选年份范围内的合计,与前移一年的范围比较")


def kpi_note(f: Filters) -> None:
    """Say which KPIs a round or category filter leaves as they are."""
    if f.round_id is not None or f.category:
        st.caption("批次、项目类别筛选只作用于立项、资金和服务指标;社会组织、能力建设和等级评估指标不受其影响。")


def kpi_tiles(k: pd.DataFrame, *, border: bool = True) -> None:
    """The KPI frame (:func:`core.dashboards.dashboard.kpis`) as metric tiles in groups, each with its change."""
    rows = k.set_index("key")
    for title, keys in KPI_GROUPS:
        st.markdown(f"**{title}**")
        cols = st.columns(len(keys))
        for col, key in zip(cols, keys):
            r = rows.loc[key]
            value = fmt_value(r["value"], r["unit"])
            if key == "communities_covered" and not pd.isna(r["total"]):
                value = f"{r['value']:,.0f}/{r['total']:,.0f}"
            prev = r["previous"]
            if prev is None or pd.isna(prev):
                col.metric(r["label"], value, help=_kpi_help(key), border=border)
            elif float(prev) == float(r["value"]):
                col.metric(r["label"], value, delta="持平", delta_color="off", delta_arrow="off",
                           help=_kpi_help(key), border=border)
            else:
                col.metric(r["label"], value, delta=fmt_delta(r["value"], prev, r["unit"]), help=_kpi_help(key),
                           border=border)


def _state_selection(event, param: str | None = None):
    """The selection of an st.dataframe (rows) or st.altair_chart (``param`` points) event."""
    if not event:
        return None
    sel = event["selection"] if "selection" in event else None
    if sel is None:
        return None
    return sel.get(param) if param else sel.get("rows")


def kpi_drill(k: pd.DataFrame, f: Filters, key: str) -> None:
    """The KPIs as a table; selecting a row lists the records behind it (same filters), with export."""
    shown = pd.DataFrame({
        "label": k["label"], "value": [fmt_value(v, u) for v, u in zip(k["value"], k["unit"])],
        "previous": ["" if p is None or pd.isna(p) else fmt_value(p, u) for p, u in zip(k["previous"], k["unit"])],
    }).rename(columns=dashboard.KPI_TABLE_COLUMNS)
    st.caption("选中一行,查看该指标对应的明细记录(与上方筛选条件一致)。")
    event = st.dataframe(shown, hide_index=True, width="stretch", on_select="rerun", selection_mode="single-row",
                         key=f"{key}:kpis")
    rows = _state_selection(event)
    if rows:
        r = k.iloc[int(rows[0])]
        sel = {"key": r["key"]}
        records = dashboard.drill(r["query"], f, sel)
        st.markdown(f"**{md(r['label'])} · 明细**({len(records)} 条{',仅显示最新部分' if len(records) >= dashboard.DRILL_LIMIT else ''})")
        _records(records, dashboard.drill_columns(r["query"], sel), f"{r['label']}明细", f"{key}:drill")


def headline_table(key: str, f: Filters | None = None) -> None:
    """The seed case's headline figures, computed from the database (no filter but the hubs of ``f``)."""
    h = dashboard.headline(hubs=f.hubs if f is not None else hub_scope())
    table(h, "中心成效一览", key=f"{key}:headline", columns=dashboard.HEADLINE_COLUMNS)


# ---- chart views ------------------------------------------------------------------------------------------
def chart_exports(chart: alt.Chart, name: str, key: str) -> None:
    """导出PNG / 导出SVG of the chart (rendered on click)."""
    c1, c2, _ = st.columns([1, 1, 4])
    stamp = f"{dt.date.today():%Y%m%d}"
    c1.download_button("导出PNG", data=lambda: charts.to_image(chart, "png"), file_name=f"{name}-{stamp}.png",
                       mime="image/png", key=f"{key}:png", icon=":material/image:", on_click="ignore")
    c2.download_button("导出SVG", data=lambda: charts.to_image(chart, "svg"), file_name=f"{name}-{stamp}.svg",
                       mime="image/svg+xml", key=f"{key}:svg", icon=":material/draw:", on_click="ignore")


def _chart(chart: alt.Chart, key: str, meeting: bool) -> dict | None:
    """Draw the chart; returns the clicked mark's fields (or None)."""
    if meeting:
        st.altair_chart(charts.large(chart), width="stretch")
        return None
    event = st.altair_chart(chart, width="stretch", on_select="rerun", selection_mode=charts.PICK, key=key)
    points = _state_selection(event, charts.PICK)
    return dict(points[0]) if points else None


def _drill_section(name: str, f: Filters, selection: dict | None, key: str, words: Callable[[dict], str]) -> None:
    if not selection:
        st.caption("点击图中的柱或点,查看对应的明细记录。")
        return
    records = dashboard.drill(name, f, selection)
    st.markdown(f"**明细:{md(words(selection))}**({len(records)} 条)")
    _records(records, dashboard.drill_columns(name, selection), f"{dashboard.query(name).label}明细", f"{key}:drill")


def _records(df: pd.DataFrame, cols, name: str, key: str) -> None:
    """A frame's declared columns, in their order, headed by their labels (with its Excel export)."""
    table(df[list(cols)], name, key=key, columns=cols)


def _data_table(df: pd.DataFrame, query: str, name: str, key: str) -> None:
    """The chart's numbers: the query's declared columns."""
    with st.expander("数据表", expanded=False):
        _records(df, dashboard.query(query).columns, name, f"{key}:data")


def _empty(df: pd.DataFrame, message: str) -> bool:
    if df.empty:
        st.info(message)
        return True
    return False


CATEGORY_YEAR_CHARTS = {"granted": "资助金额(按批次年度、项目类别)", "person_times": "服务人次(按活动年度、项目类别)"}


def view_category_year(f: Filters, key: str, meeting: bool = False,
                       measures: tuple[str, ...] = tuple(CATEGORY_YEAR_CHARTS)) -> None:
    df = dashboard.run("category_year", f)
    if _empty(df, "所选范围内没有立项项目或服务记录。"):
        return
    words = lambda s: f"{s.get('year', '')}年 {s.get('category', '')} 立项项目"  # noqa: E731
    for measure in measures:
        title = CATEGORY_YEAR_CHARTS[measure]
        st.subheader(title)
        chart = charts.category_year_bars(df, measure)
        picked = _chart(chart, f"{key}:{measure}:chart", meeting)
        if not meeting:
            chart_exports(chart, title.split("(")[0], f"{key}:{measure}")
            _drill_section("category_year", f, picked, f"{key}:{measure}", words)
    if not meeting:
        _data_table(df, "category_year", "分类别分年度", key)


def view_funnel(f: Filters, key: str, meeting: bool = False) -> None:
    df = dashboard.run("funnel", f)
    if df["round"].isna().all():
        st.info("所选范围内没有创投批次。")
        return
    st.subheader(f"{md(df['round'].iloc[0])}:申报漏斗")
    chart = charts.funnel_bars(df)
    picked = _chart(chart, f"{key}:chart", meeting)
    off = df[~df["on_path"] & (df["current"] > 0)]
    if len(off):
        st.caption("未进入下一环节:" + ",".join(f"{r.label} {r.current} 个" for r in off.itertuples()))
    if not meeting:
        chart_exports(chart, "申报漏斗", key)
        labels = dict(zip(df["state"], df["label"]))
        _drill_section("funnel", f, picked, key, lambda s: f"到达「{labels.get(s.get('state'), '')}」的申报")
        _data_table(df, "funnel", "申报漏斗", key)


def view_coverage(f: Filters, key: str, meeting: bool = False) -> None:
    df = dashboard.run("community_coverage", f)
    st.subheader("社区服务覆盖")
    chart = charts.coverage_bars(df)
    picked = _chart(chart, f"{key}:chart", meeting)
    none = df[df["flag"] == dashboard.FLAG_NONE]["community"].tolist()
    low = df[df["flag"] == dashboard.FLAG_LOW]["community"].tolist()
    covered = int((df["activities"] > 0).sum())
    st.markdown(f"有服务记录的社区 **{covered}/{len(df)}** 个。")
    if none:
        st.warning(f"无服务社区({len(none)} 个):" + "、".join(none))
    if low:
        st.warning(f"服务偏少社区({len(low)} 个,服务人次不足各社区中位数的一半):" + "、".join(low))
    if not meeting:
        chart_exports(chart, "社区服务覆盖", key)
        _drill_section("community_coverage", f, picked, key, lambda s: f"{s.get('community', '')} 的服务活动")
        _data_table(df, "community_coverage", "社区服务覆盖", key)


def view_brands(f: Filters, key: str, meeting: bool = False) -> None:
    df = dashboard.run("brand_matrix", f)
    st.subheader("品牌矩阵:核心品牌与特色品牌")
    hub_note(f, "品牌及其宣传")
    if _empty(df, "尚未建立品牌。"):
        return
    tiers = df.groupby("tier", sort=False).agg(brands=("brand", "count"), person_times=("person_times", "sum"))
    cols = st.columns(max(1, len(tiers)))
    for col, (tier, r) in zip(cols, tiers.iterrows()):
        col.metric(f"{tier}", f"{int(r['brands'])} 个", help="品牌数;下方为服务人次")
        col.caption(f"服务 {int(r['person_times']):,} 人次")
    chart = charts.brand_bars(df)
    picked = _chart(chart, f"{key}:chart", meeting)
    if not meeting:
        chart_exports(chart, "品牌矩阵", key)
        _drill_section("brand_matrix", f, picked, key, lambda s: f"品牌「{s.get('brand', '')}」的项目")
        _data_table(df, "brand_matrix", "品牌矩阵", key)


def view_capability(f: Filters, key: str, meeting: bool = False) -> None:
    df = dashboard.run("capability_trend", f)
    st.subheader("组织能力趋势(各维度中位数)")
    if _empty(df, "所选范围内没有能力评估。"):
        return
    uses_caption("capability_trend")
    chart = charts.capability_lines(df)
    picked = _chart(chart, f"{key}:chart", meeting)
    if not meeting:
        chart_exports(chart, "组织能力趋势", key)
        _drill_section("capability_trend", f, picked, key,
                       lambda s: f"{s.get('period', '')} · {s.get('dimension', '')} 各组织得分")
        _data_table(df, "capability_trend", "组织能力趋势", key)


def view_risks(f: Filters, key: str, meeting: bool = False) -> None:
    st.subheader("风险预警概况")
    counts = dashboard.run("risk_counts", f).set_index("key")
    cols = st.columns(len(counts))
    for col, (k, r) in zip(cols, counts.iterrows()):
        col.metric(r["label"], f"{int(r['value'])}", border=True)
    st.caption("上方为全部在执行项目的未处理预警;下图按筛选条件统计。")
    df = dashboard.run("risk_summary", f)
    if _empty(df, "没有未处理的风险预警。"):
        return
    chart = charts.risk_bars(df)
    picked = _chart(chart, f"{key}:chart", meeting)
    if not meeting:
        chart_exports(chart, "风险预警", key)
        rules = dict(zip(df["code"], df["rule"]))
        _drill_section("risk_summary", f, picked, key,
                       lambda s: f"{rules.get(s.get('code'), '')} · {s.get('severity', '')}")
        _data_table(df, "risk_summary", "风险预警", key)


def view_funding(f: Filters, key: str, meeting: bool = False) -> None:
    df = dashboard.run("funding_sources", f)
    st.subheader("可持续性:项目资金来源结构")
    if _empty(df, "所选范围内没有签约项目。"):
        return
    chart = charts.funding_share(df)
    picked = _chart(chart, f"{key}:chart", meeting)
    if not meeting:
        chart_exports(chart, "资金来源结构", key)
        _drill_section("funding_sources", f, picked, key, lambda s: f"{s.get('year', '')}年签约项目")
        _data_table(df, "funding_sources", "资金来源结构", key)


def view_hubs(f: Filters, key: str, meeting: bool = False) -> None:
    """各枢纽对比: the figures of each street hub side by side, under its district; selecting a hub opens 数据总览
    filtered to it (the 枢纽 filter set, kept and in the URL), whose figures drill down to the records."""
    df = dashboard.comparison(f)
    st.subheader("各枢纽对比")
    if _empty(df, "所选范围内没有街道枢纽。"):
        return
    cols = dashboard.HUB_COLUMNS
    totals = df[[c for c in cols if c not in ("district", "hub")]].sum()
    shown = {c: fmt_value(totals[c], "元") if c == "granted" else f"{int(totals[c]):,}" for c in totals.index}
    st.markdown("合计:" + ",".join(f"{cols[c].split('(')[0]} **{v}**" for c, v in shown.items()))
    # the counts and 资助金额 as numbers: right-aligned, grouped by thousands (the grid shows a bare 161979 otherwise)
    frame, counts = numeric_frame(df, cols, also=("activities",))
    if meeting:
        st.dataframe(frame, hide_index=True, width="stretch", column_config=counts)
        return
    st.caption("每行一个街道枢纽,按所属区排列;选中一行,进入该枢纽的数据总览,再从各项指标查看明细记录。")
    turn = st.session_state.get(f"{key}:turn", 0)  # a new table after each jump: its old selection is not reused
    event = st.dataframe(frame, hide_index=True, width="stretch", on_select="rerun",
                         selection_mode="single-row", key=f"{key}:table:{turn}", column_config=counts)
    logged = export_logger("各枢纽对比")
    st.download_button("导出Excel", data=lambda: workbook_bytes(logged({"各枢纽对比": df[list(cols)].rename(columns=cols)})),
                       file_name=f"各枢纽对比-{dt.date.today():%Y%m%d}.xlsx", mime=XLSX_MIME, key=f"{key}:xlsx",
                       icon=":material/download:", on_click="ignore")
    rows = _state_selection(event)
    if rows:
        open_hub(int(df.iloc[int(rows[0])]["hub_id"]), key)


def open_hub(hub_id: int, key: str) -> None:
    """数据总览 of one hub: the 枢纽 filter set to it (kept across the screens, and in the URL)."""
    st.session_state[_KEEP + HUB_KEY] = hub_id
    st.session_state[f"{key}:turn"] = st.session_state.get(f"{key}:turn", 0) + 1
    params = {k: st.query_params.get(k) for k in ("from", "to", "round", "category", "community") if k in st.query_params}
    st.switch_page(page(navigation.spec("dash_overview")), query_params={**params, "hub": str(hub_id)})


HUB_VIEW = ("hubs", "各枢纽对比", view_hubs)  # a view of its own for a scope of several hubs (chart_views)


VIEWS: dict[str, tuple[str, Callable]] = {
    "category_year": ("资助与服务", view_category_year),
    "funnel": ("申报漏斗", view_funnel),
    "coverage": ("社区覆盖", view_coverage),
    "brands": ("品牌矩阵", view_brands),
    "capability": ("能力趋势", view_capability),
    "risks": ("风险预警", view_risks),
    "funding": ("资金来源", view_funding),
}


def chart_views(scope: tuple[int, ...] | None) -> dict[str, tuple[str, Callable]]:
    """The 专题分析 views a user reading ``scope`` gets: :data:`VIEWS`, and 各枢纽对比 for several hubs."""
    name, title, show = HUB_VIEW
    return {**VIEWS, name: (title, show)} if rolls_up(scope) else VIEWS


# ---- meeting mode -------------------------------------------------------------------------------------------
def _overview_screen(f: Filters, key: str, meeting: bool = True) -> None:
    kpi_tiles(dashboard.kpis(f))


# one chart per screen: the two category x year charts take a screen each
MEETING_SCREENS: dict[str, tuple[str, Callable]] = {
    "overview": ("数据总览", _overview_screen),
    **{m: (CATEGORY_YEAR_CHARTS[m].split("(")[0],  # 资助金额, 服务人次
           lambda f, key, meeting=True, m=m: view_category_year(f, key, meeting, (m,))) for m in CATEGORY_YEAR_CHARTS},
    **{k: v for k, v in VIEWS.items() if k != "category_year"},
}


def meeting_screens(scope: tuple[int, ...] | None) -> dict[str, tuple[str, Callable]]:
    """The 会议大屏 screens a user reading ``scope`` gets: :data:`MEETING_SCREENS`, and 各枢纽对比 for several hubs."""
    name, title, show = HUB_VIEW
    return {**MEETING_SCREENS, name: (title, show)} if rolls_up(scope) else MEETING_SCREENS


MEETING_CSS = """
<style>
[data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"], [data-testid="stSidebarNav"],
header[data-testid="stHeader"], [data-testid="stToolbar"] { display: none !important; }
[data-testid="stMainBlockContainer"], .block-container { max-width: 100% !important; padding-top: 1.2rem !important; }
[data-testid="stMain"] { font-size: 1.4rem; }
[data-testid="stMain"] p, [data-testid="stMain"] li { font-size: 1.4rem; }
/* the value of a KPI tile is read from the back of the room: at least twice its label (the paragraph rule
   above must not reach the value's inner elements, so they are named here, after it) */
[data-testid="stMetricValue"], [data-testid="stMetricValue"] * { font-size: 3.6rem !important; line-height: 1.15 !important;
  overflow: visible !important; text-overflow: clip !important; white-space: nowrap !important; }
[data-testid="stMetricLabel"], [data-testid="stMetricLabel"] * { font-size: 1.5rem !important; }
[data-testid="stMetricDelta"], [data-testid="stMetricDelta"] * { font-size: 1.4rem !important; }
[data-testid="stMain"] h1 { font-size: 3.2rem !important; }
[data-testid="stMain"] h2, [data-testid="stMain"] h3 { font-size: 2.2rem !important; }
</style>
"""


def meeting_style() -> None:
    """Large type, no sidebar, no header (only on this screen: leaving it removes the style)."""
    st.html(MEETING_CSS)


def meeting_slot(n: int, interval: float, now: float | None = None) -> int:
    """Which of ``n`` views is on screen: the views take turns of ``interval`` seconds on the wall clock,
    so every refresh shows the view of its moment and the turns do not depend on how often it runs."""
    return int((time.time() if now is None else now) // interval) % max(1, n)
