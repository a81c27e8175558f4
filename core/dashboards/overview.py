"""Small headline figures for the workbench (aggregated in SQL)."""
from __future__ import annotations

from core.dashboards.dashboard import KPI_LABELS, hub_condition
from core.platform.actor import acting
from core.platform.db import get_db

# The workbench's figures, labelled once (those the dashboard also counts read like its KPIs)
REGISTRY_LABELS = {"active": KPI_LABELS["registered"][0], "incubated_ever": KPI_LABELS["incubated_ever"][0],
                   "incubating": KPI_LABELS["incubating"][0], "communities_covered": "覆盖社区"}
TODO_LABELS = {"awaiting_agreement": "待签资助协议", "high": "高风险预警", "medium_low": "中/低风险预警",
               "due_reports": "逾期评估报告"}


def rating_label(level: str) -> str:
    """The workbench figure of one rating level (5A级组织)."""
    return f"{level}级组织"


_ALL = object()  # registry_figures' default: the hubs of the screen's signed-in user


def registry_figures(db=None, hubs=_ALL) -> dict:
    """The registry's figures of ``hubs`` (``Actor.hubs``; by default the signed-in user's, every hub outside a
    screen; None: every hub): the organisations of those hubs only."""
    db = db or get_db()
    if hubs is _ALL:
        who = acting()
        hubs = who.hubs if who is not None else None
    mine, params = hub_condition(hubs, "id")
    mine = f" AND {mine}"
    row = db.fetch_one(
        "SELECT count(*) FILTER (WHERE active) AS active,"
        " count(*) FILTER (WHERE incubation_in IS NOT NULL) AS incubated_ever,"
        " count(*) FILTER (WHERE incubation_in IS NOT NULL AND incubation_out IS NULL AND active) AS incubating,"
        " count(DISTINCT community) FILTER (WHERE active) AS communities_covered"
        f" FROM organisations WHERE true{mine}", params)
    held, held_params = ("true", []) if hubs is None else \
        (f"hub_id IN ({', '.join('?' for _ in hubs)})" if hubs else "false", [int(h) for h in hubs])
    row["communities"] = db.scalar(f"SELECT count(*) FROM communities WHERE {held}", held_params)  # the hubs' own
    row["ratings"] = {r["rating"]: r["n"] for r in db.fetch_all(
        "SELECT rating, count(*) AS n FROM organisations WHERE active AND rating IS NOT NULL"
        f" AND (rating_expiry IS NULL OR rating_expiry >= current_date){mine} GROUP BY rating", params)}
    return row
