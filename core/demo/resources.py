"""Demo data of 资源与需求 (issue 18), after the projects exist: each part's loader, in order."""
from __future__ import annotations

import importlib

# (module under core.demo, its loader): each part of 资源与需求 adds its line here
LOADERS: tuple[tuple[str, str], ...] = (
    ("res_volunteers", "load"),
    ("res_bookings", "load"),
    ("res_needs", "load"),
    ("res_partners", "load"),  # after the needs: a claimable item answers one
    ("res_publicity", "load"),
    ("res_surveys", "load"),
    ("res_beneficiaries", "load"),
    ("annual_report", "load"),  # the demo year's 年度亮点/总结反思/发展规划 in the seed case's words
)


def load(db) -> dict[str, int]:
    counts: dict[str, int] = {}
    for module, fn in LOADERS:  # start-up cost: a part's builder loads only when demo data is built
        counts.update(getattr(importlib.import_module(f"core.demo.{module}"), fn)(db))
    return counts


def load_network(db) -> dict[str, int]:
    """After the hub network exists (core.demo.hubs): the resources of the other streets (core.demo.res_network)."""
    return importlib.import_module("core.demo.res_network").load(db)
