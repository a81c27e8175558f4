"""Altair charts with Chinese labels and tooltips: radar (polar coordinates computed here, since
Vega-Lite lines have no theta/radius), trend lines and box plots of scores on 0–100."""
from __future__ import annotations

import math

import altair as alt
import pandas as pd

SCORE_SCALE = alt.Scale(domain=[0, 100])
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
    color = alt.Color("series:N", title="系列", sort=present,
                      scale=alt.Scale(domain=present, range=[RADAR_COLORS[s] for s in present]),
                      legend=alt.Legend(orient="bottom"))
    grid = alt.Chart(data["grid"]).mark_line(color="#d9d9d9", strokeWidth=1).encode(
        x=x(), y=y(), detail="level:N", order="order:Q")
    spokes = alt.Chart(data["spokes"]).mark_rule(color="#d9d9d9").encode(x=x(), y=y(), x2="x2:Q", y2="y2:Q")
    labels = alt.Chart(data["labels"]).mark_text(fontSize=13, color="#333").encode(
        x=x(), y=y(), text="dimension:N")
    tooltip = [alt.Tooltip("series:N", title="系列"), alt.Tooltip("period:N", title="评估期"),
               alt.Tooltip("dimension:N", title="维度"), alt.Tooltip("score:Q", title="得分", format=".1f")]
    # comparison lines dashed and under; this period solid and on top, so it stays visible where they coincide
    base = alt.Chart(data["series"])
    others = base.transform_filter(alt.datum.series != "本期").mark_line(strokeWidth=2, strokeDash=[5, 3]).encode(
        x=x(), y=y(), color=color, order="order:Q", detail="series:N")
    now = base.transform_filter(alt.datum.series == "本期").mark_line(strokeWidth=2.5).encode(
        x=x(), y=y(), color=color, order="order:Q", detail="series:N")
    points = base.mark_point(filled=True, size=60).encode(x=x(), y=y(), color=color, tooltip=tooltip)
    return alt.layer(grid, spokes, labels, others, now, points).properties(width=size, height=size)


def trend(df: pd.DataFrame) -> alt.Chart:
    """Scores per period (x in assessment order), one line per dimension. ``df``: period, assessed_on,
    dimension, score."""
    order = df.sort_values("assessed_on").drop_duplicates("period")["period"].tolist()
    dims = list(dict.fromkeys(df["dimension"]))  # the instrument's order, 总分 last
    return alt.Chart(df).mark_line(point=True).encode(
        x=alt.X("period:N", sort=order, title="评估期", axis=alt.Axis(labelAngle=0)),
        y=alt.Y("score:Q", scale=SCORE_SCALE, title="得分"),
        color=alt.Color("dimension:N", title="维度", sort=dims),
        tooltip=[alt.Tooltip("period:N", title="评估期"), alt.Tooltip("dimension:N", title="维度"),
                 alt.Tooltip("score:Q", title="得分", format=".1f")],
    ).properties(height=320)


def boxplot(df: pd.DataFrame) -> alt.Chart:
    """Distribution of scores per dimension. ``df``: dimension, seq, score (and org)."""
    order = df.sort_values("seq").drop_duplicates("dimension")["dimension"].tolist()
    return alt.Chart(df).mark_boxplot(extent="min-max", size=28).encode(
        x=alt.X("dimension:N", sort=order, title="维度", axis=alt.Axis(labelAngle=0)),
        y=alt.Y("score:Q", scale=SCORE_SCALE, title="得分"),
        color=alt.Color("dimension:N", legend=None, sort=order),
        tooltip=[alt.Tooltip("dimension:N", title="维度")],
    ).properties(height=320)
