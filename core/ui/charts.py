"""Altair charts with Chinese labels and tooltips: radar (polar coordinates computed here, since
Vega-Lite lines have no theta/radius), trend lines and box plots of scores on 0–100."""
from __future__ import annotations

import math

import altair as alt
import pandas as pd

from core.dashboards import dashboard
from schemas.capability import InstrumentRow
from schemas.choices import PROJECT_CATEGORIES
from schemas.columns import Columns, columns

SCORE_SCALE = alt.Scale(domain=[0, 100])
# the score frames (core.incubation.assessments): dimension from the instrument's schema, period and score as declared for
# every screen; series is the radar's own (本期, 上期, 同期中位数)
SCORE_COLUMNS = columns("series", "period", "dimension", "score", of=InstrumentRow, computed={"series": "系列"})
RADAR_COLORS = {"本期": "#d94f3d", "上期": "#7f8fa6", "同期中位数": "#3d8ad9"}
_GRID = (20, 40, 60, 80, 100)
_LABEL_R = 118


def _xy(radius: float, i: int, n: int) -> tuple[float, float]:
    """Axis i of n, clockwise from the top."""
    a = 2 * math.pi * i / n
    return radius * math.sin(a), radius * math.cos(a)


def radar_data(df: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """The layers of a radar chart as plain frames (tested on their own): grid, spokes, labels, series.

    ``df``: series, dimension, seq, score (0–100); axes in ``seq`` order; each series is a closed line
    (its first point repeated last) through the dimensions it has."""
    dims = df.sort_values("seq").drop_duplicates("dimension")["dimension"].tolist()
    n = max(len(dims), 1)
    pos = {d: i for i, d in enumerate(dims)}
    grid = pd.DataFrame([{"level": lv, "order": k, "x": _xy(lv, k % n, n)[0], "y": _xy(lv, k % n, n)[1]}
                         for lv in _GRID for k in range(n + 1)])
    spokes = pd.DataFrame([{"x": 0.0, "y": 0.0, "x2": _xy(100, i, n)[0], "y2": _xy(100, i, n)[1]} for i in range(n)])
    labels = pd.DataFrame([{"dimension": d, "x": _xy(_LABEL_R, i, n)[0], "y": _xy(_LABEL_R, i, n)[1]}
                           for d, i in pos.items()])
    rows = []
    for series, part in df.groupby("series", sort=False):
        part = part[part["dimension"].isin(pos)].sort_values("dimension", key=lambda s: s.map(pos))
        pts = part.to_dict("records")
        for k, r in enumerate(pts + pts[:1] if len(pts) > 2 else pts):
            x, y = _xy(float(r["score"]), pos[r["dimension"]], n)
            rows.append({"series": series, "dimension": r["dimension"], "score": round(float(r["score"]), 1),
                         "period": r.get("period"), "order": k, "x": x, "y": y})
    points = pd.DataFrame(rows, columns=["series", "dimension", "score", "period", "order", "x", "y"])
    return {"grid": grid, "spokes": spokes, "labels": labels, "series": points}


def radar(df: pd.DataFrame, *, size: int = 420) -> alt.LayerChart:
    """Radar of dimension scores: one closed line per series, with tooltips (系列, 评估期, 维度, 得分)."""
    data = radar_data(df)
    lim = alt.Scale(domain=[-135, 135])
    x = lambda f="x": alt.X(f"{f}:Q", scale=lim, axis=None)  # noqa: E731
    y = lambda f="y": alt.Y(f"{f}:Q", scale=lim, axis=None)  # noqa: E731
    present = [s for s in RADAR_COLORS if s in set(data["series"]["series"])]
    color = alt.Color("series:N", title=SCORE_COLUMNS["series"], sort=present,
                      scale=alt.Scale(domain=present, range=[RADAR_COLORS[s] for s in present]),
                      legend=alt.Legend(orient="bottom"))
    grid = alt.Chart(data["grid"]).mark_line(color="#d9d9d9", strokeWidth=1).encode(
        x=x(), y=y(), detail="level:N", order="order:Q")
    spokes = alt.Chart(data["spokes"]).mark_rule(color="#d9d9d9").encode(x=x(), y=y(), x2="x2:Q", y2="y2:Q")
    labels = alt.Chart(data["labels"]).mark_text(fontSize=13, color="#333").encode(
        x=x(), y=y(), text="dimension:N")
    tooltip = [_tip(SCORE_COLUMNS, "series:N"), _tip(SCORE_COLUMNS, "period:N"), _tip(SCORE_COLUMNS, "dimension:N"),
               _tip(SCORE_COLUMNS, "score:Q", format=".1f")]
    # comparison lines dashed and under; this period solid and on top, so it stays visible where they coincide
    base = alt.Chart(data["series"])
    others = base.transform_filter(alt.datum.series != "本期").mark_line(strokeWidth=2, strokeDash=[5, 3]).encode(
        x=x(), y=y(), color=color, order="order:Q", detail="series:N")
    now = base.transform_filter(alt.datum.series == "本期").mark_line(strokeWidth=2.5).encode(
        x=x(), y=y(), color=color, order="order:Q", detail="series:N")
    points = base.mark_point(filled=True, size=60).encode(x=x(), y=y(), color=color, tooltip=tooltip)
    return alt.layer(grid, spokes, labels, others, now, points).properties(width=size, height=size)


def _tip(cols: Columns, shorthand: str, **kw) -> alt.Tooltip:
    """A tooltip line titled with the field's declared label (``shorthand``: "field:type")."""
    return alt.Tooltip(shorthand, title=cols[shorthand.split(":")[0]], **kw)


def trend(df: pd.DataFrame) -> alt.Chart:
    """Scores per period (x in assessment order), one line per dimension. ``df``: period, assessed_on,
    dimension, score."""
    order = df.sort_values("assessed_on").drop_duplicates("period")["period"].tolist()
    dims = list(dict.fromkeys(df["dimension"]))  # the instrument's order, 总分 last
    return alt.Chart(df).mark_line(point=True).encode(
        x=alt.X("period:N", sort=order, title=SCORE_COLUMNS["period"], axis=alt.Axis(labelAngle=0)),
        y=alt.Y("score:Q", scale=SCORE_SCALE, title=SCORE_COLUMNS["score"]),
        color=alt.Color("dimension:N", title=SCORE_COLUMNS["dimension"], sort=dims),
        tooltip=[_tip(SCORE_COLUMNS, "period:N"), _tip(SCORE_COLUMNS, "dimension:N"),
                 _tip(SCORE_COLUMNS, "score:Q", format=".1f")],
    ).properties(height=320)


def boxplot(df: pd.DataFrame) -> alt.Chart:
    """Distribution of scores per dimension. ``df``: dimension, seq, score (and org)."""
    order = df.sort_values("seq").drop_duplicates("dimension")["dimension"].tolist()
    return alt.Chart(df).mark_boxplot(extent="min-max", size=28).encode(
        x=alt.X("dimension:N", sort=order, title=SCORE_COLUMNS["dimension"], axis=alt.Axis(labelAngle=0)),
        y=alt.Y("score:Q", scale=SCORE_SCALE, title=SCORE_COLUMNS["score"]),
        color=alt.Color("dimension:N", legend=None, sort=order),
        tooltip=[_tip(SCORE_COLUMNS, "dimension:N")],
    ).properties(height=320)


# ---- dashboards (core.dashboards.dashboard frames) ------------------------------------------------------------------
# Every dashboard chart carries one point selection named ``PICK`` on the fields that identify a mark, so
# a click hands the screen exactly what core.dashboards.dashboard.drill needs.
PICK = "pick"
SEVERITY_COLORS = {"高": "#d94f3d", "中": "#f0a53b", "低": "#7f8fa6"}
FLAG_COLORS = {dashboard.FLAG_NONE: "#d94f3d", dashboard.FLAG_LOW: "#f0a53b", dashboard.FLAG_OK: "#3d8ad9"}
TIER_COLORS = {"核心品牌": "#d94f3d", "特色品牌": "#3d8ad9"}
EXPORT_FONT = "Noto Sans CJK SC"


def _pick(*fields: str) -> alt.Parameter:
    return alt.selection_point(name=PICK, fields=list(fields))


def _emphasis() -> alt.Opacity:
    return alt.condition(alt.param(PICK, empty=True), alt.value(1.0), alt.value(0.35))


def category_year_bars(df: pd.DataFrame, measure: str) -> alt.Chart:
    """Stacked bars per year by category of ``measure`` (granted: 资助金额, person_times: 服务人次).
    ``df``: core.dashboards.dashboard.category_year."""
    c = dashboard.CATEGORY_YEAR_COLUMNS
    cats = [k for k in PROJECT_CATEGORIES if k in set(df["category"])] + \
        sorted(set(df["category"]) - set(PROJECT_CATEGORIES))
    pick = _pick("year", "category")
    return alt.Chart(df).mark_bar().encode(
        x=alt.X("year:O", title=c["year"], axis=alt.Axis(labelAngle=0)),
        y=alt.Y(f"sum({measure}):Q", title=c[measure]),
        color=alt.Color("category:N", title=c["category"], sort=cats),
        order=alt.Order("category:N"),
        opacity=_emphasis(),
        tooltip=[_tip(c, "year:O"), _tip(c, "category:N"), _tip(c, "funded:Q"), _tip(c, "granted:Q", format=",.2f"),
                 _tip(c, "activities:Q", format=","), _tip(c, "person_times:Q", format=",")],
    ).add_params(pick).properties(height=340)


def funnel_bars(df: pd.DataFrame) -> alt.Chart:
    """The round's way to 立项: applications that reached each state (bars, in workflow order), with the
    number in it now in the tooltip. ``df``: core.dashboards.dashboard.funnel."""
    c = dashboard.FUNNEL_COLUMNS
    path = df[df["on_path"]].sort_values("path_seq")
    order = path["label"].tolist()
    return alt.Chart(path).mark_bar(color="#3d8ad9").encode(
        y=alt.Y("label:N", sort=order, title=None),
        x=alt.X("reached:Q", title=c["reached"], axis=alt.Axis(tickMinStep=1, format="d")),
        opacity=_emphasis(),
        tooltip=[_tip(c, "label:N"), _tip(c, "reached:Q"), _tip(c, "current:Q")],
    ).add_params(_pick("state")).properties(height=max(200, 34 * len(order)))


def coverage_bars(df: pd.DataFrame) -> alt.Chart:
    """Person-times per community (in the communities' order), red where there is no service, orange
    where it is low. ``df``: core.dashboards.dashboard.community_coverage."""
    c = dashboard.COVERAGE_COLUMNS
    data = df.assign(flag_label=df["flag"].replace("", dashboard.FLAG_OK))
    present = [k for k in FLAG_COLORS if k in set(data["flag_label"])]
    # sort=None keeps the query's order; listing every name in the spec costs ~35 ms per rerun at city scale
    return alt.Chart(data).mark_bar().encode(
        x=alt.X("community:N", sort=None, title=c["community"], axis=alt.Axis(labelAngle=-45, labelOverlap=False)),
        y=alt.Y("person_times:Q", title=c["person_times"]),
        color=alt.Color("flag_label:N", title=c["flag"], sort=present,
                        scale=alt.Scale(domain=present, range=[FLAG_COLORS[k] for k in present])),
        opacity=_emphasis(),
        tooltip=[_tip(c, "community:N"), _tip(c, "projects:Q"), _tip(c, "activities:Q", format=","),
                 _tip(c, "person_times:Q", format=","), _tip(c, "organisations:Q"),
                 alt.Tooltip("flag_label:N", title=c["flag"])],
    ).add_params(_pick("community")).properties(height=340)


def brand_bars(df: pd.DataFrame) -> alt.Chart:
    """Person-times served per brand, 核心品牌 and 特色品牌 in their colours. ``df``: core.dashboards.dashboard.brand_matrix."""
    c = dashboard.BRAND_COLUMNS
    present = [k for k in TIER_COLORS if k in set(df["tier"])]
    return alt.Chart(df).mark_bar().encode(
        y=alt.Y("brand:N", sort=df["brand"].tolist(), title=None),
        x=alt.X("person_times:Q", title=c["person_times"]),
        color=alt.Color("tier:N", title=c["tier"], sort=present,
                        scale=alt.Scale(domain=present, range=[TIER_COLORS[k] for k in present])),
        opacity=_emphasis(),
        tooltip=[_tip(c, "brand:N"), _tip(c, "tier:N"), _tip(c, "points:Q"), _tip(c, "communities:Q"),
                 _tip(c, "projects:Q"), _tip(c, "activities:Q", format=","), _tip(c, "person_times:Q", format=",")],
    ).add_params(_pick("brand")).properties(height=max(200, 34 * len(df)))


def capability_lines(df: pd.DataFrame) -> alt.Chart:
    """The cohort's median score per dimension over the assessment periods (0–100). ``df``:
    core.dashboards.dashboard.capability_trend."""
    c = dashboard.CAPABILITY_COLUMNS
    periods = df.sort_values("period_end").drop_duplicates("period")["period"].tolist()
    dims = df.sort_values("seq").drop_duplicates("dimension")["dimension"].tolist()
    return alt.Chart(df).mark_line(point=alt.OverlayMarkDef(size=70, filled=True)).encode(
        x=alt.X("period:N", sort=periods, title=c["period"], axis=alt.Axis(labelAngle=0)),
        y=alt.Y("median:Q", scale=SCORE_SCALE, title=c["median"]),
        color=alt.Color("dimension:N", title=c["dimension"], sort=dims),
        tooltip=[_tip(c, "period:N"), _tip(c, "dimension:N"), _tip(c, "median:Q", format=".1f"),
                 _tip(c, "organisations:Q")],
    ).add_params(_pick("period", "dimension")).properties(height=340)


def risk_bars(df: pd.DataFrame) -> alt.Chart:
    """Open warnings per rule, stacked by severity. ``df``: core.dashboards.dashboard.risk_summary."""
    c = dashboard.RISK_COLUMNS
    present = [k for k in SEVERITY_COLORS if k in set(df["severity"])]
    return alt.Chart(df).mark_bar().encode(
        x=alt.X("rule:N", title=c["rule"], axis=alt.Axis(labelAngle=0)),
        y=alt.Y("sum(warnings):Q", title=c["warnings"], axis=alt.Axis(tickMinStep=1, format="d")),
        color=alt.Color("severity:N", title=c["severity"], sort=present,
                        scale=alt.Scale(domain=present, range=[SEVERITY_COLORS[k] for k in present])),
        opacity=_emphasis(),
        tooltip=[_tip(c, "rule:N"), _tip(c, "severity:N"), _tip(c, "warnings:Q"), _tip(c, "projects:Q")],
    ).add_params(_pick("code", "severity")).properties(height=320)


def funding_share(df: pd.DataFrame) -> alt.Chart:
    """Share of project money by source per year (stacked to 100%). ``df``: core.dashboards.dashboard.funding_sources."""
    c = dashboard.FUNDING_COLUMNS
    order = [v for v in dashboard.SOURCES.values() if v in set(df["source_label"])]
    return alt.Chart(df).mark_bar().encode(
        x=alt.X("year:O", title=c["year"], axis=alt.Axis(labelAngle=0)),
        y=alt.Y("share:Q", stack="normalize", title=c["share"], axis=alt.Axis(format="%")),  # 100% per year
        color=alt.Color("source_label:N", title=c["source_label"], sort=order),
        order=alt.Order("seq:Q"),
        opacity=_emphasis(),
        tooltip=[_tip(c, "year:O"), _tip(c, "source_label:N"), _tip(c, "amount:Q", format=",.2f"),
                 _tip(c, "share:Q")],
    ).add_params(_pick("year", "source")).properties(height=340)


def large(chart: alt.Chart, size: int = 22, height: int = 520) -> alt.Chart:
    """The chart with type large enough for a meeting-room screen (read from the back of the room: axis
    labels and legends at least 20 px), taller, and no label cut short ("1516便民…")."""
    return chart.properties(height=height).configure_axis(
        labelFontSize=size, titleFontSize=size + 2, labelLimit=0, titleLimit=0).configure_legend(
        labelFontSize=size, titleFontSize=size + 2, symbolSize=260, labelLimit=0, titleLimit=0).configure_title(
        fontSize=size + 8)


def to_image(chart: alt.Chart, fmt: str, *, scale: float = 2.0) -> bytes:
    """The chart as PNG or SVG (vl-convert), Chinese set in a CJK font, white background."""
    import vl_convert as vlc  # an 88 MB native library (~9 MB resident): mapped on the first image export only

    spec = chart.to_dict()
    spec.setdefault("config", {})["font"] = EXPORT_FONT
    spec.setdefault("background", "white")
    if fmt == "png":
        return vlc.vegalite_to_png(spec, scale=scale)
    if fmt == "svg":
        return vlc.vegalite_to_svg(spec).encode("utf-8")
    raise ValueError(f"unknown image format {fmt!r}")
