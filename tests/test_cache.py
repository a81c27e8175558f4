"""Cached dashboard reads: a write through the one write path makes exactly the figures of the tables it
wrote fresh (in the same process, at once), writes to other tables keep them cached, and concurrent
readers of a stale figure compute it once."""
from __future__ import annotations

import datetime as dt
import threading
import time

import pandas as pd
import pytest

from core.dashboards import dashboard
from core.dashboards.dashboard import Filters
from core.platform import cache
from tests.monitoring_fixtures import STAFF, hub, signed_project  # noqa: F401  (hub: fixture)

TODAY = dt.date(2026, 12, 31)
F = Filters(today=TODAY)


@pytest.fixture(autouse=True)
def fresh_cache():
    cache.clear()
    yield
    cache.clear()


class FakeDb:
    """Just enough of core.platform.db.Database for the cache: a path and table versions."""

    def __init__(self, path="fake.duckdb"):
        self.path = path
        self.versions: dict[str, int] = {}

    def version(self, *tables):
        return tuple(self.versions.get(t, 0) for t in tables)

    def bump(self, table):
        self.versions[table] = self.versions.get(table, 0) + 1


# ---- the cache on its own ---------------------------------------------------------------------------------
def test_a_value_is_loaded_once_until_one_of_its_tables_changes():
    db, calls = FakeDb(), []

    def loader():
        calls.append(1)
        return pd.DataFrame({"n": [len(calls)]})

    c = cache.VersionedCache()
    get = lambda: c.get("q", ("p",), ("a", "b"), loader, db)  # noqa: E731
    assert get()["n"].tolist() == [1]
    assert get()["n"].tolist() == [1] and len(calls) == 1
    db.bump("zzz")  # another table
    assert get()["n"].tolist() == [1] and len(calls) == 1
    db.bump("b")
    assert get()["n"].tolist() == [2] and len(calls) == 2
    assert (c.stats.loads["q"], c.stats.hits["q"]) == (2, 2)


def test_keys_keep_parameters_and_databases_apart():
    c, one, two = cache.VersionedCache(), FakeDb("one.duckdb"), FakeDb("one.duckdb")
    assert c.get("q", 1, ("a",), lambda: "one-1", one) == "one-1"
    assert c.get("q", 2, ("a",), lambda: "one-2", one) == "one-2"
    assert c.get("q", 1, ("a",), lambda: "two-1", two) == "two-1"  # same path, another Database object
    assert c.get("q", 1, ("a",), lambda: "again", one) == "one-1"


def test_callers_get_copies():
    c, db = cache.VersionedCache(), FakeDb()
    first = c.get("q", None, ("a",), lambda: pd.DataFrame({"n": [1]}), db)
    first["n"] = 99
    first["extra"] = 1
    assert c.get("q", None, ("a",), lambda: None, db).columns.tolist() == ["n"]
    assert c.get("q", None, ("a",), lambda: None, db)["n"].tolist() == [1]


def test_least_recently_used_values_are_dropped():
    c, db = cache.VersionedCache(max_entries=2), FakeDb()
    for k in (1, 2):
        c.get("q", k, ("a",), lambda k=k: k, db)
    c.get("q", 1, ("a",), lambda: "reloaded", db)  # 1 used again: 2 is now the oldest
    c.get("q", 3, ("a",), lambda: 3, db)
    assert len(c) == 2
    assert c.get("q", 1, ("a",), lambda: "reloaded", db) == 1
    assert c.get("q", 2, ("a",), lambda: "reloaded", db) == "reloaded"


def test_concurrent_readers_of_a_stale_value_load_it_once():
    c, db, calls = cache.VersionedCache(), FakeDb(), []

    def slow():
        calls.append(1)
        time.sleep(0.2)
        return "v"

    out = []
    threads = [threading.Thread(target=lambda: out.append(c.get("q", None, ("a",), slow, db))) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert out == ["v"] * 6 and len(calls) == 1


def test_a_write_committed_while_loading_is_not_hidden():
    """The versions are read before the loader runs: a write during the load makes the next read load again."""
    c, db = cache.VersionedCache(), FakeDb()

    def racing():
        db.bump("a")
        return "before the write"

    assert c.get("q", None, ("a",), racing, db) == "before the write"
    assert c.get("q", None, ("a",), lambda: "after", db) == "after"


# ---- dashboard figures after writes through the app's write path --------------------------------------------
def _activity(pid: int, day: dt.date, title: str, person_times: int) -> dict:
    return {"project_id": pid, "activity_date": day, "community": "文海社区", "kind": "上门服务", "title": title,
            "participants": person_times, "person_times": person_times, "volunteers": 0, "place": None, "notes": None}


def _value(name: str, key: str) -> float:
    return dashboard.run(name, F).set_index("key").loc[key, "value"]


def test_a_new_activity_shows_at_once_and_other_figures_stay_cached(hub):
    from core.monitoring import ledger, projects
    from core.orgs import organisations
    from tests.test_schema_organisation import org_values, uscc_for

    pid = signed_project(1)
    start = projects.get(pid)["start_date"]
    assert _value("kpi_service", "activities") == 0
    assert _value("kpi_organisations", "registered") == 1
    assert (cache.loads("kpi_service"), cache.loads("kpi_organisations")) == (1, 1)

    ledger.add(_activity(pid, start, "首次入户走访", 12), STAFF)
    assert _value("kpi_service", "activities") == 1            # fresh at once, same process
    assert _value("kpi_service", "person_times") == 12
    assert cache.loads("kpi_service") == 2
    assert _value("kpi_organisations", "registered") == 1      # activities are not its tables: still cached
    assert cache.loads("kpi_organisations") == 1

    organisations.create(org_values(name="下沙街道缓存测试社", uscc=uscc_for("51", 901)), STAFF)
    assert _value("kpi_organisations", "registered") == 2      # fresh
    assert cache.loads("kpi_organisations") == 2
    assert _value("kpi_service", "activities") == 1            # organisations are not its tables: still cached
    assert cache.loads("kpi_service") == 2


def test_every_chart_over_activities_is_fresh_after_an_activity(hub):
    from core.monitoring import ledger, projects

    pid = signed_project(1)
    start = projects.get(pid)["start_date"]
    names = [n for n, q in dashboard.QUERIES.items() if "activities" in q.tables]
    others = [n for n, q in dashboard.QUERIES.items() if "activities" not in q.tables]
    before = {n: dashboard.run(n, F) for n in dashboard.QUERIES}
    loads = {n: cache.loads(n) for n in dashboard.QUERIES}
    ledger.add(_activity(pid, start, "社区助餐", 30), STAFF)
    for n in dashboard.QUERIES:
        dashboard.run(n, F)
    assert all(cache.loads(n) == loads[n] + 1 for n in names)
    assert all(cache.loads(n) == loads[n] for n in others)
    coverage = dashboard.run("community_coverage", F).set_index("community")
    assert coverage.loc["文海社区", "person_times"] == 30
    assert before["community_coverage"].set_index("community").loc["文海社区", "person_times"] == 0
    cy = dashboard.run("category_year", F)
    assert cy["person_times"].sum() == 30


def test_funding_figures_follow_the_workflow(hub):
    """Deciding and funding an application (the workflow's writes) shows in the funded count at once."""
    from tests.monitoring_fixtures import funded_app

    assert _value("kpi_funding", "funded") == 0
    funded_app(1, amount=35000)
    assert _value("kpi_funding", "funded") == 1
    assert _value("kpi_funding", "granted") == 35000
    assert cache.loads("kpi_funding") == 2


def test_drill_downs_are_cached_and_fresh_too(hub):
    from core.monitoring import ledger, projects

    pid = signed_project(1)
    start = projects.get(pid)["start_date"]
    assert dashboard.drill("kpi_service", F, {"key": "activities"}).empty
    assert dashboard.drill("kpi_service", F, {"key": "activities"}).empty
    assert cache.loads("drill:kpi_service") == 1
    ledger.add(_activity(pid, start, "邻里议事", 8), STAFF)
    assert dashboard.drill("kpi_service", F, {"key": "activities"})["title"].tolist() == ["邻里议事"]
    assert cache.loads("drill:kpi_service") == 2
