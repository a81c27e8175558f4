"""Two HubDesk servers on one PostgreSQL database, browsers on both (issue 20: several app servers).

The demo is built into a PostgreSQL database of the test cluster (tests/pg_cluster.py) as a first start builds it;
two ``streamlit run`` processes (A and B) serve it. The leader has 数据总览 open on both servers (each server has the
figure cached); staff of 下沙 registers an organisation on B, and the leader's next run on A (a reload) shows the
new count; then staff registers one on A and the leader's next run on B shows it. Without the shared versions
(migration 026, core/platform/cache.py ``sync``) each server would keep showing its cached count.

Issue 20's done-when: the 钱塘区 leader has 各枢纽对比 open on A; 下沙's staff register an organisation on A and 白杨's
staff one on B (the staff of each hub on a server of their own); the leader's next run on A shows each street one up
in its own row and 合计 two up; 白杨's staff see only their own. The cluster, the demo and both servers are built once for the module (``two_servers``).

Skipped when PostgreSQL or chromium is missing (failing under CI=true, as the other PostgreSQL and browser tests)."""
from __future__ import annotations

import random
import re
from pathlib import Path

import pytest

from core import navigation
from tests.browser.conftest import (SIGNED_IN, WAIT_MS, goto, login, main_text, new_context, screenshot, settle,
                                   start_server)
from tests.browser.test_e2e_dashboard import _metric, _metric_value, _register_organisation
from tests.browser.widgets import grid_rows
from tests.conftest import pg_cluster_or_skip
from tests.test_pg_demo import finish, start_demo_build

FIGURE = "在册社会组织"
SEEN_MS = 10_000  # a reload's run shows the other server's write (it is there at once; this bounds the wait)


def _count(page) -> int:
    return int(re.match(r"(\d+) 家", _metric_value(page, FIGURE)).group(1))


def _shows(page, count: int) -> None:
    page.reload(wait_until="domcontentloaded")
    _metric(page, FIGURE).locator("[data-testid='stMetricValue']", has_text=f"{count} 家").wait_for(timeout=SEEN_MS)


def _name() -> str:
    return "双服务器测试公益服务社" + "".join(random.choices("甲乙丙丁戊己庚辛壬癸", k=4))


def _signed_in(url: str, workdir: Path, usernames: tuple[str, ...]) -> dict[str, str]:
    """A sign-in session for each user in the shared database, made as the login form makes them, and its cookie
    token (tests/browser/conftest.py ``SIGNED_IN`` does the same for the DuckDB servers): valid on both servers."""
    from core.platform import pg, sessions, users
    from core.platform.actor import Actor

    with pytest.MonkeyPatch.context() as env:
        env.setenv("HUBDESK_DB", url)
        env.setenv("HUBDESK_SECRETS", str(workdir / "secrets.toml"))
        env.setenv("HUBDESK_DATA_DIR", str(workdir / "tests"))
        database = pg.PgDatabase(url)
        try:
            return {u: sessions.cookie_token(sessions.start(
                Actor(u, users.active_roles(u, db=database)), client="127.0.0.1",
                user_agent="tests: signed in earlier", db=database))[0] for u in usernames}
        finally:
            database.close()


@pytest.fixture(scope="module")
def two_servers(browser, tmp_path_factory):
    """The demo built into a database of the test cluster, servers A and B on it, and a sign-in in it for each
    account the tests use (valid on both servers); yields {"a": base URL, "b": base URL}."""
    cluster = pg_cluster_or_skip()
    workdir = tmp_path_factory.mktemp("two-servers-pg")
    name, url, build = start_demo_build(cluster, workdir / "a", workdir / "secrets.toml")
    stops, warm = [], None
    try:
        servers = {}
        for which in ("a", "b"):  # the same store, each server with its own data folder (its audit head file)
            servers[which], stop = start_server(workdir, f"two-servers-pg-{which}", empty=True, env={
                "HUBDESK_DB": url, "HUBDESK_DATA_DIR": str(workdir / which), "HUBDESK_DEMO": "0"})
            stops.append(stop)
        warm = new_context(browser)
        warm.new_page().goto(servers["b"] + "/", wait_until="commit")  # B's first run (HubDesk's imports) beside A's
        finish(build, "the demo on PostgreSQL")  # the servers waited for it (its write lock) had they been asked
        tokens = _signed_in(url, workdir, ("leader", "staff", "qt_leader", "by_staff"))
        SIGNED_IN.update({servers["a"]: dict(tokens), servers["b"]: dict(tokens)})
        yield servers
    finally:
        if warm is not None:
            warm.close()
        for stop in stops:
            stop()
        if build.poll() is None:
            build.kill()
            build.wait()
        cluster.drop(name)


def test_a_write_on_one_server_shows_on_the_other(two_servers, browser, request):
    servers = two_servers
    contexts = []
    try:
        leader_ctx, staff_ctx = new_context(browser), new_context(browser)
        contexts += [leader_ctx, staff_ctx]
        on_a, on_b, staff = leader_ctx.new_page(), leader_ctx.new_page(), staff_ctx.new_page()

        overview = "/" + navigation.spec("dash_overview").url_path
        login(on_a, servers["a"], "leader")
        goto(on_a, servers["a"] + overview)
        count = _count(on_a)
        goto(on_b, servers["b"] + overview)  # the same browser's sign-in holds on B (kept in the shared store)
        assert _count(on_b) == count and on_b.get_by_role("button", name="退出登录").count() == 1

        login(staff, servers["b"], "staff")
        _register_organisation(staff, _name())
        _shows(on_a, count + 1)  # A had the count cached: B's write reached it at A's next run
        screenshot(on_a, f"{request.node.name}-leader-on-A-after-B")
        _shows(on_b, count + 1)

        goto(staff, servers["a"] + "/")  # staff's sign-in holds on A too
        _register_organisation(staff, _name())
        staff.locator("[data-testid='stAlert']").first.scroll_into_view_if_needed()
        screenshot(staff, f"{request.node.name}-staff-on-A")
        _shows(on_b, count + 2)
        screenshot(on_b, f"{request.node.name}-leader-on-B-after-A")
    finally:
        for ctx in contexts:
            ctx.close()


def _number(text: str) -> int:
    return int(text.replace(",", ""))


def _comparison(page) -> tuple[dict[str, dict[str, str]], int]:
    """各枢纽对比 as shown: its rows by hub, and the 合计 line's 登记组织."""
    grid = page.locator("[data-testid='stDataFrame']").first
    grid.wait_for(timeout=WAIT_MS)
    total = page.locator("[data-testid='stMarkdownContainer']", has_text="合计:").first.inner_text()
    return {r["枢纽"]: r for r in grid_rows(grid)}, _number(re.search(r"登记组织 ([\d,]+)", total).group(1))


def test_a_district_leader_sees_two_streets_side_by_side_while_their_staff_write_on_two_servers(
        two_servers, browser, request):
    """Issue 20's done-when: the 钱塘区 leader has 各枢纽对比 open on A (cached there); 下沙's staff register an
    organisation on A and 白杨's staff one on B; the leader's next run on A shows each street's row one up and 合计 two
    up, and 白杨's staff on B see their own new organisation, not 下沙's."""
    a, b = two_servers["a"], two_servers["b"]
    hubs_view = "/" + navigation.spec("dash_charts").url_path + "?view=hubs"
    contexts = [new_context(browser) for _ in range(3)]
    try:
        leader, staff, by_staff = (ctx.new_page() for ctx in contexts)
        login(leader, a, "qt_leader")
        goto(leader, a + hubs_view)
        rows, total = _comparison(leader)
        assert list(rows) == ["下沙街道", "白杨街道"], rows
        before = {hub: _number(rows[hub]["登记组织"]) for hub in rows}
        assert total == sum(before.values())

        xiasha, baiyang = _name(), _name()
        login(staff, a, "staff")  # 下沙's staff on server A
        _register_organisation(staff, xiasha)
        login(by_staff, b, "by_staff")  # 白杨's staff on server B
        _register_organisation(by_staff, baiyang, "智格社区")  # 白杨's own communities (none of 下沙's)

        leader.reload(wait_until="domcontentloaded")  # the leader's next run on A
        settle(leader)
        rows, after = _comparison(leader)
        assert {hub: _number(r["登记组织"]) for hub, r in rows.items()} == {
            "下沙街道": before["下沙街道"] + 1, "白杨街道": before["白杨街道"] + 1}, rows
        assert after == total + 2
        text = main_text(leader)
        assert "None" not in text and "nan" not in text.split(), text[:400]
        screenshot(leader, f"{request.node.name}-leader-on-A")

        goto(by_staff, b + "/orgs")  # 白杨's register on B: its new organisation, not 下沙's
        shown = [r["组织名称"] for r in grid_rows(by_staff.locator("[data-testid='stDataFrame']").first)]
        assert baiyang in shown and xiasha not in shown, shown
        text = main_text(by_staff)
        assert f"共 {before['白杨街道'] + 1} 条" in text and xiasha not in text, text[:400]
        screenshot(by_staff, f"{request.node.name}-by-staff-on-B")
    finally:
        for ctx in contexts:
            ctx.close()
