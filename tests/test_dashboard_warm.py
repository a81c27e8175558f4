"""The dashboards' figures computed after a server start (core/dashboards/warm.py, issue 17): the first visit of
数据总览, 专题分析, 会议大屏 and 资源与需求总览 by a reader of any hub computes nothing, and the warm-up runs once per process."""
from __future__ import annotations

import pytest

from core import navigation
from core.dashboards import warm
from core.platform import cache, config
from tests import apptest_helpers as h

pytestmark = pytest.mark.usefixtures("demo_db")

# (account, roles, the hubs it reads are a district's or the city's: 各枢纽对比 is on its screens)
ROLES = navigation.spec("dash_overview").roles  # what Home.py passes
READERS = [("leader", ["leader"]), ("hz_admin", ["admin"]), ("qt_leader", ["leader"]), ("by_staff", ["staff"])]


def _scope(username: str, db) -> tuple[int, ...]:
    from core.orgs import hubs

    return tuple(sorted(hubs.membership(username, db)[1]))


def test_warm_computes_every_readers_scope(demo_db):
    cache.clear()
    done = warm.warm(demo_db, ROLES)
    scopes = warm.readers(demo_db, ROLES)
    for username, _ in READERS:  # the demo network's readers: 下沙, 杭州市 (every hub), 钱塘区, 白杨
        assert _scope(username, demo_db) in scopes
    assert scopes[0] == tuple(sorted(r["id"] for r in demo_db.fetch_all("SELECT id FROM hubs")))  # widest first
    assert done["scopes"] == len(scopes) and done["figures"] > 10 * len(scopes)
    assert warm.last_run == done
    assert sum(cache.all_loads().values()) >= done["figures"]


@pytest.mark.parametrize("username,roles", READERS)
@pytest.mark.parametrize("url", ["dashboard-overview", "dashboard-charts", "dashboard-meeting", "resources-dashboard"])
def test_first_visit_after_warm_computes_nothing(demo_db, username, roles, url):
    at = h.signed_in(username, roles)
    h.open_page(at, "workbench")  # the session's own reads (the sidebar's unread count ...) are not the dashboards'
    warm.warm(demo_db, ROLES)  # a fresh database per test: nothing of it was cached before
    before = cache.all_loads()
    h.open_page(at, url)
    assert not at.exception
    assert at.title[0].value in ("数据总览", "专题分析", "资源与需求总览") or url == "dashboard-meeting"
    computed = {name: n - before.get(name, 0) for name, n in cache.all_loads().items() if n > before.get(name, 0)}
    assert computed == {}, f"{username} opening {url} computed {computed}"


def test_start_once_per_process_and_off_switch(demo_db, monkeypatch):
    monkeypatch.setenv("HUBDESK_WARM_DASHBOARDS", "0")
    assert warm.start(demo_db, ROLES, config.load()) is None  # the tests' servers: off
    monkeypatch.setenv("HUBDESK_WARM_DASHBOARDS", "1")
    monkeypatch.setattr(warm, "_started", set())
    cache.clear()
    thread = warm.start(demo_db, ROLES, config.load())
    assert thread is not None
    thread.join(60)
    assert not thread.is_alive() and warm.last_run["figures"] > 0
    assert cache.loads("kpi_organisations") >= 1
    assert warm.start(demo_db, ROLES, config.load()) is None  # once per process and database
