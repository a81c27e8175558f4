"""Two HubDesk servers on one PostgreSQL database, browsers on both (issue 20: several app servers).

The demo is built into a PostgreSQL database of the test cluster (tests/pg_cluster.py) as a first start builds it;
two ``streamlit run`` processes (A and B) serve it. The leader has 数据总览 open on both servers (each server has the
figure cached); staff of 下沙 registers an organisation on B, and the leader's next run on A (a reload) shows the
new count; then staff registers one on A and the leader's next run on B shows it. Without the shared versions
(migration 026, core/platform/cache.py ``sync``) each server would keep showing its cached count.

Skipped when PostgreSQL or chromium is missing (failing under CI=true, as the other PostgreSQL and browser tests)."""
from __future__ import annotations

import random
import re
from pathlib import Path

import pytest

from core import navigation
from tests.browser.conftest import SIGNED_IN, goto, login, new_context, screenshot, start_server
from tests.browser.test_e2e_dashboard import _metric, _metric_value, _register_organisation
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


def test_a_write_on_one_server_shows_on_the_other(browser, tmp_path, request):
    cluster = pg_cluster_or_skip()
    name, url, build = start_demo_build(cluster, tmp_path / "a", tmp_path / "secrets.toml")
    stops, contexts = [], []
    try:
        servers = {}
        for which in ("a", "b"):  # the same store, each server with its own data folder (its audit head file)
            servers[which], stop = start_server(tmp_path, f"two-servers-pg-{which}", empty=True, env={
                "HUBDESK_DB": url, "HUBDESK_DATA_DIR": str(tmp_path / which), "HUBDESK_DEMO": "0"})
            stops.append(stop)
        leader_ctx, staff_ctx = new_context(browser), new_context(browser)
        contexts += [leader_ctx, staff_ctx]
        on_a, on_b, staff = leader_ctx.new_page(), leader_ctx.new_page(), staff_ctx.new_page()
        finish(build, "the demo on PostgreSQL")  # the servers waited for it (its write lock) had they been asked
        staff.goto(servers["b"] + "/", wait_until="commit")  # B's first run (HubDesk's imports) beside A's
        tokens = _signed_in(url, tmp_path, ("leader", "staff"))
        SIGNED_IN.update({servers["a"]: dict(tokens), servers["b"]: dict(tokens)})

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
        for stop in stops:
            stop()
        if build.poll() is None:
            build.kill()
            build.wait()
        cluster.drop(name)
