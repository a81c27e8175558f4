"""资源与需求总览's building blocks: its filter bar (year range and community, kept with the other dashboards'),
the headline tiles, the Altair charts (Chinese titles from the queries' declared columns) and one view per
section, each with drill-down to the records, PNG/SVG and Excel export. Everything here only reads (through
:mod:`core.dashboards.resources`); no widget on it writes anything.
"""
from __future__ import annotations

from typing import Callable

import altair as alt
import pandas as pd
import streamlit as st

from core.dashboards import resources as res
from core.dashboards.dashboard import FILTER_LABELS, Filters
from core.platform import formats
from core.ui import charts
from core.ui import dashboard_view as view
from core.ui.session import attempt
from core.ui.text import md
from schemas.partner import CONTINUITY, OFFERS, PARTNER_KINDS

FLAG_COLORS = {res.FLAG_IDLE: "#d94f3d", res.FLAG_OK: "#3d8ad9", res.FLAG_NO_HOURS: "#b0b0b0"}
SEGMENT_COLORS = {"met": "#3d8ad9", "answered": "#f0a53b", "unanswered": "#d94f3d"}
CONTINUITY_COLORS = {"once": "#d94f3d", "repeated": "#f0a53b", "agreement": "#3d8ad9"}
TOP = 15  # most organisations / projects a bar chart shows (the data table and the export hold every row)


# ---- filters ---------------------------------------------------------------------------------------------------
def filters_bar() -> Filters:
    """The 枢纽 filter (for a scope of several hubs), year range and community (the same choices, kept values and
    URL parameters as the 领导驾驶舱's filter bar); stops the screen with a message on a backwards range."""
    opts = view.dashboard.filter_options()
    years = opts["years"]
    scope = view.hub_scope()
    roll = view.rolls_up(scope)
    cols = st.columns(4 if roll else 3)
    hub = view.hub_select(cols[0], scope) if roll else None
    cols = cols[1:] if roll else cols
    label = FILTER_LABELS
    year_from = view._select(cols[0], label["year_from"], years, "不限", "dash:f:from", lambda y: f"{y}年", "from")
    year_to = view._select(cols[1], label["year_to"], list(reversed(years)), "至今", "dash:f:to", lambda y: f"{y}年",
                           "to")
    community = view._select(cols[2], label["community"], opts["communities"], "全部社区", "dash:f:community",
                             param="community")
    return view.scoped(Filters(year_from=year_from, year_to=year_to, community=community), scope, hub)


def uses_caption(name: str) -> None:
    """Say which filters a query ignores."""
    uses = res.query(name).uses
    ignored = [w for key, w in (("years", "年份"), ("community", FILTER_LABELS["community"])) if key not in uses]
    if ignored:
        st.caption(f"本图不受{'、'.join(ignored)}筛选影响。")


# ---- headline tiles --------------------------------------------------------------------------------------------
def _pct(v) -> str:
    return "—" if v is None else f"{v:.1%}"


def _values(h: dict) -> dict[str, str]:
    """The headline figures as shown (units in the labels; thousands separated)."""
    count = lambda v: f"{v:,}"  # noqa: E731
    return {"venues": count(h["venues"]), "idle": count(h["idle"]), "rate": _pct(h["rate"]),
            "money": f"{h['money'] / 10000:,.2f}", "non_gov_share": _pct(h["non_gov_share"]),
            "once_share": _pct(h["once_share"]), "needs_total": count(h["needs_total"]),
            "needs_open": count(h["needs_open"]), "needs_unanswered": count(h["needs_unanswered"]),
            "volunteers": count(h["volunteers"]), "hours": formats.number(h["hours"]), "services": count(h["services"])}


def headline(f: Filters, key: str | None = None) -> None:
    """The sections' key figures: one column per section, its tiles one under the other (units in the labels, so
    the values stay whole in a quarter of the screen); with ``key``, the 指标明细 below them: selecting a figure
    lists the records behind it."""
    h = res.headline(f)
    shown = _values(h)
    notes = {"资源": f"使用率 = 已批准预约小时数 ÷ 开放小时数({res.period_text(f)});低于 {res.IDLE_BELOW:.0%} 为闲置。",
             "合作伙伴": f"单次合作伙伴占比:{h['last_year']}年有贡献的伙伴中当年首次贡献的比例。" if h["last_year"] else None,
             "需求": "需求按当前状态统计。"}
    sections = list(dict.fromkeys(section for section, _ in res.HEADLINE.values()))
    for col, section in zip(st.columns(len(sections)), sections):
        with col:
            st.markdown(f"**{section}**")
            for k, (where, name) in res.HEADLINE.items():
                if where == section:
                    st.metric(name, shown[k], border=True)
            if notes.get(section):
                st.caption(notes[section])
    if key is not None:
        with st.expander("指标明细(选中一行,查看该指标对应的明细记录)", expanded=False):
            _headline_drill(f, shown, key)


def _headline_drill(f: Filters, shown: dict[str, str], key: str) -> None:
    keys = list(res.HEADLINE)
    frame = pd.DataFrame({"section": [res.HEADLINE[k][0] for k in keys], "label": [res.HEADLINE[k][1] for k in keys],
                          "shown": [shown[k] for k in keys]}).rename(columns=res.HEADLINE_COLUMNS)
    event = st.dataframe(frame, hide_index=True, width="stretch", on_select="rerun", selection_mode="single-row",
                         key=f"{key}:kpis", height=35 * (len(frame) + 1) + 3)  # every figure, no scrolling
    rows = view._state_selection(event)
    if not rows:
        return
    k = keys[int(rows[0])]
    records = attempt(lambda: res.headline_drill(k, f))
    if records is None:
        return
    label = res.HEADLINE[k][1]
    st.markdown(f"**{md(label)} · 明细**({len(records):,} 条)")
    view._records(records, res.HEADLINE_DRILL_COLUMNS[k], f"{label.split('(')[0]}明细", f"{key}:kpi-drill")


# ---- charts ----------------------------------------------------------------------------------------------------
def _pick(*fields: str) -> alt.Parameter:
    return alt.selection_point(name=charts.PICK, fields=list(fields))


def _emphasis() -> alt.Opacity:
    return alt.condition(alt.param(charts.PICK, empty=True), alt.value(1.0), alt.value(0.35))


def _tip(cols, shorthand: str, **kw) -> alt.Tooltip:
    return alt.Tooltip(shorthand, title=cols[shorthand.split(":")[0]], **kw)


def _colors(mapping: dict, present) -> alt.Scale:
    keys = [k for k in mapping if k in set(present)]
    return alt.Scale(domain=keys, range=[mapping[k] for k in keys])


def venue_bars(df: pd.DataFrame) -> alt.Chart:
    """Utilisation per venue (lowest first), 闲置 in red, with the idle line."""
    c = res.VENUE_COLUMNS
    data = df.assign(rate_shown=df["rate"].fillna(0.0))
    bars = alt.Chart(data).mark_bar().encode(
        y=alt.Y("name:N", sort=None, title=c["name"], axis=alt.Axis(labelLimit=0, labelOverlap=False)),
        x=alt.X("rate_shown:Q", title=c["rate"], axis=alt.Axis(format="%")),
        color=alt.Color("flag:N", title=c["flag"], scale=_colors(FLAG_COLORS, data["flag"])),
        opacity=_emphasis(),
        tooltip=[_tip(c, "name:N"), _tip(c, "community:N"), _tip(c, "weekly:N"), _tip(c, "open_hours:Q", format=",.1f"),
                 _tip(c, "booked_hours:Q", format=",.1f"), _tip(c, "bookings:Q", format=","),
                 _tip(c, "rate:Q", format=".1%"), _tip(c, "flag:N")],
    ).add_params(_pick("venue_id"))
    line = alt.Chart(pd.DataFrame({"x": [res.IDLE_BELOW]})).mark_rule(color="#d94f3d", strokeDash=[4, 3]).encode(x="x:Q")
    return alt.layer(bars, line).properties(height=max(160, 40 * len(df)))


def community_use_bars(df: pd.DataFrame) -> alt.Chart:
    c = res.COMMUNITY_USE_COLUMNS
    data = df.assign(rate_shown=df["rate"].fillna(0.0))
    return alt.Chart(data).mark_bar(color="#3d8ad9").encode(
        x=alt.X("community:N", sort=None, title=c["community"], axis=alt.Axis(labelAngle=0)),
        y=alt.Y("rate_shown:Q", title=c["rate"], axis=alt.Axis(format="%")),
        opacity=_emphasis(),
        tooltip=[_tip(c, "community:N"), _tip(c, "venues:Q"), _tip(c, "idle:Q"),
                 _tip(c, "open_hours:Q", format=",.1f"), _tip(c, "booked_hours:Q", format=",.1f"),
                 _tip(c, "rate:Q", format=".1%")],
    ).add_params(_pick("community")).properties(height=280)


def stacked_years(df: pd.DataFrame, cols, field: str, order: list[str]) -> alt.Chart:
    """Value (money + estimated value) per year stacked by ``field`` (contribution kind or partner kind)."""
    present = [k for k in order if k in set(df[field])]
    return alt.Chart(df).mark_bar().encode(
        x=alt.X("year:O", title=cols["year"], axis=alt.Axis(labelAngle=0)),
        y=alt.Y("sum(value):Q", title=cols["value"], axis=alt.Axis(format=",.0f")),
        color=alt.Color(f"{field}:N", title=cols[field], sort=present, scale=alt.Scale(domain=present)),
        order=alt.Order("seq:Q"),
        opacity=_emphasis(),
        tooltip=[_tip(cols, "year:O"), _tip(cols, f"{field}:N"), _tip(cols, "contributions:Q"),
                 _tip(cols, "value:Q", format=",.2f")],
    ).add_params(_pick("year", field)).properties(height=320)


def share_chart(df: pd.DataFrame) -> alt.Chart:
    """Money per year (bars: government and non-government) with the non-government share in the tooltip."""
    c = {**res.SHARE_COLUMNS, **res.SHARE_PART_COLUMNS}
    gov_label = c["gov_money"]
    data = pd.concat([
        df.assign(part=c["non_gov_money"], amount=df["non_gov_money"], seq=0),
        df.assign(part=gov_label, amount=df["money"] - df["non_gov_money"], seq=1)], ignore_index=True)
    return alt.Chart(data).mark_bar().encode(
        x=alt.X("year:O", title=c["year"], axis=alt.Axis(labelAngle=0)),
        y=alt.Y("amount:Q", title=c["money"], axis=alt.Axis(format=",.0f")),
        color=alt.Color("part:N", title=c["part"], sort=[c["non_gov_money"], gov_label],
                        scale=alt.Scale(domain=[c["non_gov_money"], gov_label], range=["#3d8ad9", "#b0b0b0"])),
        order=alt.Order("seq:Q"),
        opacity=_emphasis(),
        tooltip=[_tip(c, "year:O"), _tip(c, "part:N"), _tip(c, "amount:Q", format=",.2f"), _tip(c, "money:Q", format=",.2f"),
                 _tip(c, "non_gov_share:Q", format=".1%")],
    ).add_params(_pick("year")).properties(height=300)


def continuity_bars(df: pd.DataFrame) -> alt.Chart:
    """The partners contributing each year by continuity, stacked to 100% (单次合作 at the bottom, in red)."""
    c = res.CONTINUITY_YEAR_COLUMNS
    present = [k for k in res.CONTINUITY_ORDER if k in set(df["cls"])]
    return alt.Chart(df).mark_bar().encode(
        x=alt.X("year:O", title=c["year"], axis=alt.Axis(labelAngle=0)),
        y=alt.Y("partners:Q", stack="normalize", title=c["share"], axis=alt.Axis(format="%")),
        color=alt.Color("continuity:N", title=c["continuity"], sort=[CONTINUITY[k] for k in present],
                        scale=alt.Scale(domain=[CONTINUITY[k] for k in present],
                                        range=[CONTINUITY_COLORS[k] for k in present])),
        order=alt.Order("seq:Q"),
        opacity=_emphasis(),
        tooltip=[_tip(c, "year:O"), _tip(c, "continuity:N"), _tip(c, "partners:Q"), _tip(c, "share:Q", format=".1%"),
                 _tip(c, "contributions:Q"), _tip(c, "money:Q", format=",.2f")],
    ).add_params(_pick("year", "cls")).properties(height=300)


def needs_bars(df: pd.DataFrame) -> alt.Chart:
    """Needs per community: 已满足, open with an answer, open with none (stacked)."""
    c = {**res.NEEDS_COLUMNS, **res.SEGMENT_COLUMNS}
    rows = [{"community": r["community"], "segment": k, "segment_label": res.NEED_SEGMENTS[k], "seq": i,
             "needs": int(r[k]), "total": int(r["total"])}
            for r in df.to_dict("records") for i, (k, col) in enumerate(zip(res.NEED_SEGMENTS, ("met", "answered",
                                                                                                  "unanswered")))
            if int(r[col])]
    data = pd.DataFrame(rows, columns=["community", "segment", "segment_label", "seq", "needs", "total"])
    labels = list(res.NEED_SEGMENTS.values())
    return alt.Chart(data).mark_bar().encode(
        x=alt.X("community:N", sort=df["community"].tolist(), title=c["community"],
                axis=alt.Axis(labelAngle=-45, labelOverlap=False)),
        y=alt.Y("needs:Q", title=c["total"], axis=alt.Axis(tickMinStep=1, format="d")),
        color=alt.Color("segment_label:N", title=c["segment_label"], sort=labels,
                        scale=alt.Scale(domain=labels, range=list(SEGMENT_COLORS.values()))),
        order=alt.Order("seq:Q"),
        opacity=_emphasis(),
        tooltip=[_tip(c, "community:N"), _tip(c, "segment_label:N"), _tip(c, "needs:Q"), _tip(c, "total:Q")],
    ).add_params(_pick("community", "segment")).properties(height=340)


def volunteer_bars(df: pd.DataFrame, field: str, name: str) -> alt.Chart:
    """Hours of service per year / organisation / project (``field`` identifies a bar, ``name`` labels it)."""
    c = res.VOLUNTEER_COLUMNS
    horizontal = field != "year"
    tips = [_tip(c, f"{name}:N" if name != "year" else "year:O"), _tip(c, "volunteers:Q", format=","),
            _tip(c, "activities:Q", format=","), _tip(c, "hours:Q", format=",.1f")]
    if field == "agreement_no":
        tips.insert(0, _tip(c, "agreement_no:N"))
    data = df
    if field == "agreement_no":  # two projects may share a title: the bar is named by number and title
        data = df.assign(shown=df["agreement_no"] + " " + df["project"])
    axis_field = "shown" if field == "agreement_no" else name
    base = alt.Chart(data).mark_bar(color="#3d8ad9").encode(opacity=_emphasis(), tooltip=tips)
    if horizontal:
        chart = base.encode(y=alt.Y(f"{axis_field}:N", sort=None, title=None,  # the heading above names them
                                    axis=alt.Axis(labelLimit=360, labelOverlap=False)),
                            x=alt.X("hours:Q", title=c["hours"]))
        height = max(160, 28 * len(df))
    else:
        chart = base.encode(x=alt.X("year:O", title=c["year"], axis=alt.Axis(labelAngle=0)),
                            y=alt.Y("hours:Q", title=c["hours"]))
        height = 260
    return chart.add_params(_pick(field)).properties(height=height)


def satisfaction_bars(df: pd.DataFrame) -> alt.Chart:
    """满意率 per satisfaction category (0–100%), the average score and the counts in the tooltip."""
    c = res.SATISFACTION_COLUMNS
    return alt.Chart(df).mark_bar(color="#3d8ad9").encode(
        y=alt.Y("category:N", sort=None, title=c["category"], axis=alt.Axis(labelLimit=0)),
        x=alt.X("satisfied:Q", title=c["satisfied"], scale=alt.Scale(domain=[0, 1]), axis=alt.Axis(format="%")),
        opacity=_emphasis(),
        tooltip=[_tip(c, "category:N"), _tip(c, "satisfied:Q", format=".1%"), _tip(c, "avg_score:Q", format=".2f"),
                 _tip(c, "projects:Q"), _tip(c, "responses:Q", format=","), _tip(c, "answers:Q", format=",")],
    ).add_params(_pick("category")).properties(height=max(160, 40 * len(df)))


def publicity_bars(df: pd.DataFrame) -> alt.Chart:
    """Per brand: posts and media reports side by side in one stacked bar (发布信息, 媒体报道), reads in the tooltip."""
    c = {**res.PUBLICITY_COLUMNS, **res.PUBLICITY_PART_COLUMNS}
    rows = [{"brand_id": int(r["brand_id"]), "brand": r["brand"], "tier": r["tier"], "measure": m, "seq": i,
             "measure_label": c[m], "items": int(r[m]), "reads": int(r["reads"])}
            for r in df.to_dict("records") for i, m in enumerate(res.PUBLICITY_MEASURES) if int(r[m])]
    data = pd.DataFrame(rows, columns=["brand_id", "brand", "tier", "measure", "seq", "measure_label", "items", "reads"])
    labels = [c[m] for m in res.PUBLICITY_MEASURES]
    return alt.Chart(data).mark_bar().encode(
        y=alt.Y("brand:N", sort=df["brand"].tolist(), title=c["brand"], axis=alt.Axis(labelLimit=0)),
        x=alt.X("items:Q", title=c["items"], axis=alt.Axis(tickMinStep=1, format="d")),
        color=alt.Color("measure_label:N", title=c["measure_label"], sort=labels,
                        scale=alt.Scale(domain=labels, range=["#3d8ad9", "#f0a53b"])),
        order=alt.Order("seq:Q"),
        opacity=_emphasis(),
        tooltip=[_tip(c, "brand:N"), _tip(c, "tier:N"), _tip(c, "measure_label:N"), _tip(c, "items:Q"),
                 _tip(c, "reads:Q", format=",")],
    ).add_params(_pick("brand_id", "measure")).properties(height=max(160, 34 * len(df)))


# ---- the drill-down --------------------------------------------------------------------------------------------
def _drill(name: str, f: Filters, selection: dict | None, key: str, words: Callable[[dict], str]) -> None:
    if not selection:
        st.caption("点击图中的柱,查看对应的明细记录(与上方筛选条件一致)。")
        return
    records = attempt(lambda: res.drill(name, f, selection))
    if records is None:
        return
    st.markdown(f"**明细:{md(words(selection))}**({len(records):,} 条)")
    view._records(records, res.query(name).drill_columns, f"{res.query(name).label}明细", f"{key}:drill")


def _data(df: pd.DataFrame, name: str, key: str, columns=None) -> None:
    with st.expander("数据表", expanded=False):
        cols = columns or res.query(name).columns
        view._records(df, cols, res.query(name).label, f"{key}:data")


def _chart_block(name: str, chart: alt.Chart, f: Filters, key: str, words: Callable[[dict], str],
                 df: pd.DataFrame, columns=None) -> None:
    picked = view._chart(chart, f"{key}:chart", False)
    view.chart_exports(chart, res.query(name).label, key)
    _drill(name, f, picked, key, words)
    _data(df, name, key, columns)


# ---- the sections ----------------------------------------------------------------------------------------------
def section_resources(f: Filters, key: str) -> None:
    st.subheader("资源:场地使用率")
    st.caption(f"{res.period_text(f)};使用率 = 已批准预约小时数 ÷ 开放小时数,低于 {res.IDLE_BELOW:.0%}(虚线)为闲置。")
    df = res.run("res_venue_use", f)
    if view._empty(df, "所选社区还没有登记场地。"):
        return
    idle = df[df["flag"] == res.FLAG_IDLE]
    if len(idle):
        st.warning(f"闲置场地({len(idle)} 个):" + "、".join(f"{r.name}({r.rate:.1%})" for r in idle.itertuples()))
    names = dict(zip(df["venue_id"], df["name"]))
    _chart_block("res_venue_use", venue_bars(df), f, f"{key}:venues",
                 lambda s: f"{names.get(s.get('venue_id'), '')} 的已批准预约", df)
    st.markdown("**各社区场地使用率**")
    com = res.run("res_community_use", f)
    _chart_block("res_community_use", community_use_bars(com), f, f"{key}:communities",
                 lambda s: f"{s.get('community', '')} 各场地的已批准预约", com)


def section_partners(f: Filters, key: str) -> None:
    st.subheader("合作伙伴:贡献与合作持续性")
    uses_caption("res_by_kind")
    kinds = res.run("res_by_kind", f)
    if view._empty(kinds, "所选年份范围内没有伙伴贡献记录。"):
        return
    st.markdown("**按贡献类型**(折合价值 = 资金 + 非资金贡献的折合价值)")
    _chart_block("res_by_kind", stacked_years(kinds, res.KIND_COLUMNS, "kind", list(OFFERS)), f, f"{key}:kind",
                 lambda s: f"{s.get('year', '')}年 {s.get('kind', '')} 贡献", kinds)
    st.markdown("**按伙伴类型**")
    sources = res.run("res_by_source", f)
    _chart_block("res_by_source", stacked_years(sources, res.SOURCE_COLUMNS, "source", list(PARTNER_KINDS)), f,
                 f"{key}:source", lambda s: f"{s.get('year', '')}年 {s.get('source', '')} 的贡献", sources)
    st.markdown("**非政府资金占比**(政府部门以外伙伴的资金占伙伴资金的比例)")
    share = res.run("res_non_gov", f)
    _chart_block("res_non_gov", share_chart(share), f, f"{key}:share", lambda s: f"{s.get('year', '')}年 资金贡献",
                 share)
    st.markdown("**合作持续性(逐年)**")
    st.caption("每年有贡献的伙伴按截至当年的合作情况分类:协议合作(当年有合作协议)、多次合作(两个及以上年度有贡献)、"
               "单次合作(当年首次贡献)。单次合作的占比下降,说明“单次捐赠”正在转为长期合作。")
    cont = res.run("res_continuity", f)
    _chart_block("res_continuity", continuity_bars(cont), f, f"{key}:continuity",
                 lambda s: f"{s.get('year', '')}年 {CONTINUITY.get(s.get('cls'), '')}伙伴的贡献", cont)


def section_needs(f: Filters, key: str) -> None:
    st.subheader("需求:各社区需求满足情况")
    uses_caption("res_needs")
    df = res.run("res_needs", f)
    if view._empty(df[df["total"] > 0] if len(df) else df, "所选社区还没有登记需求。"):
        return
    shown = df[df["total"] > 0]
    _chart_block("res_needs", needs_bars(shown), f, f"{key}:needs",
                 lambda s: f"{s.get('community', '')} · {res.NEED_SEGMENTS.get(s.get('segment'), '')}的需求", df)


def section_volunteers(f: Filters, key: str) -> None:
    st.subheader("志愿者:人数与服务时长")
    df = res.run("res_volunteers", f)
    years = df[df["dim"] == "year"]
    if view._empty(years, "所选范围内没有志愿服务记录。"):
        return
    c = res.VOLUNTEER_COLUMNS
    st.markdown("**按年度**")
    _chart_block("res_volunteers", volunteer_bars(years, "year", "year"), f, f"{key}:year",
                 lambda s: f"{s.get('year', '')}年的志愿服务", years, c.pick("year", "volunteers", "activities", "hours"))
    orgs = df[df["dim"] == "org"]
    st.markdown(f"**按服务组织**(服务时长前 {TOP} 位;数据表含全部)")
    _chart_block("res_volunteers", volunteer_bars(orgs.head(TOP), "org", "org"), f, f"{key}:org",
                 lambda s: f"{s.get('org', '')} 志愿者的服务", orgs, c.pick("org", "volunteers", "activities", "hours"))
    projects = df[df["dim"] == "project"]
    st.markdown(f"**按项目**(服务时长前 {TOP} 位;数据表含全部)")
    titles = dict(zip(projects["agreement_no"], projects["project"]))
    _chart_block("res_volunteers", volunteer_bars(projects.head(TOP), "agreement_no", "project"), f, f"{key}:project",
                 lambda s: f"{titles.get(s.get('agreement_no'), '')} 的志愿服务", projects,
                 c.pick("agreement_no", "project", "volunteers", "activities", "hours"))


def section_satisfaction(f: Filters, key: str) -> None:
    st.subheader("满意度:各类别居民满意率")
    st.caption("满意率 = 打 4 分或 5 分的回答 ÷ 全部 1–5 分回答;按答卷填写日期统计。")
    uses_caption("res_satisfaction")
    df = res.run("res_satisfaction", f)
    if view._empty(df, "所选年份范围内没有满意度答卷。"):
        return
    _chart_block("res_satisfaction", satisfaction_bars(df), f, f"{key}:category",
                 lambda s: f"「{s.get('category', '')}」类的满意度回答", df)


def section_publicity(f: Filters, key: str) -> None:
    st.subheader("宣传:各品牌发布信息与媒体报道")
    uses_caption("res_publicity")
    df = res.run("res_publicity", f)
    shown = df[(df["posts"] > 0) | (df["media"] > 0)]
    if view._empty(shown, "所选年份范围内没有宣传记录。"):
        return
    names = dict(zip(df["brand_id"], df["brand"]))
    c = res.PUBLICITY_COLUMNS
    _chart_block("res_publicity", publicity_bars(shown), f, f"{key}:brand",
                 lambda s: f"{names.get(s.get('brand_id'), '')} 的" + (c[s["measure"]].split("(")[0]
                                                                       if s.get("measure") else "宣传记录"), df)


SECTIONS: dict[str, Callable[[Filters, str], None]] = {
    "资源": section_resources,
    "合作伙伴": section_partners,
    "需求": section_needs,
    "志愿者": section_volunteers,
    "满意度": section_satisfaction,
    "宣传": section_publicity,
}
