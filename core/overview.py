"""Small headline figures for the workbench (aggregated in SQL)."""
from __future__ import annotations

from core.db import get_db


def registry_figures(db=None) -> dict:
    db = db or get_db()
    row = db.fetch_one(
        "SELECT count(*) FILTER (WHERE active) AS active,"
        " count(*) FILTER (WHERE incubation_in IS NOT NULL) AS incubated_ever,"
        " count(*) FILTER (WHERE incubation_in IS NOT NULL AND incubation_out IS NULL AND active) AS incubating,"
        " count(DISTINCT community) FILTER (WHERE active) AS communities_covered"
        " FROM organisations"
    )
    row["communities"] = db.scalar("SELECT count(*) FROM communities")
    row["ratings"] = {r["rating"]: r["n"] for r in db.fetch_all(
        "SELECT rating, count(*) AS n FROM organisations WHERE active AND rating IS NOT NULL"
        " AND (rating_expiry IS NULL OR rating_expiry >= current_date) GROUP BY rating")}
    return row
