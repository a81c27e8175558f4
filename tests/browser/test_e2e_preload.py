"""What a server does ahead of a person (issue 17), in a real server and browser: the sign-in page has the browser
load the code of the elements HubDesk draws (core/ui/preload.py), so the first screen with a data grid finds it
loaded, and nothing of it shows; after a start the dashboards' figures are computed before anyone opens them
(core/dashboards/warm.py). Both are off in the other tests' servers (tests/demo_cache.FAST_ENV)."""
from __future__ import annotations

from core.ui import preload
from tests.browser.conftest import WAIT_MS, login, main_text, new_context, open_screen, settle

SERVER_ENV = {"HUBDESK_PRELOAD": "1", "HUBDESK_WARM_DASHBOARDS": "1"}

_LOADED = """(name) => performance.getEntriesByType("resource")
                 .filter(e => e.name.includes("/static/js/" + name + ".")).length"""


def test_sign_in_page_loads_the_elements_code_and_shows_nothing_of_it(browser, server):
    assert any(f.startswith("DataFrame.") for f in preload.files())  # the installed Streamlit's data grid module
    ctx = new_context(browser)
    try:
        page = ctx.new_page()
        page.goto(server + "/orgs", wait_until="domcontentloaded")
        page.get_by_label("用户名", exact=True).wait_for(timeout=WAIT_MS)
        page.wait_for_function("() => window.__hubPreload === 'done'", timeout=WAIT_MS)
        assert page.evaluate(_LOADED, "DataFrame") == 1  # loaded on the sign-in page, which draws no data grid
        assert not page.locator("[data-testid='stDataFrame']").count()
        # nothing of the script is seen or takes room (so nothing moves when the next run removes it)
        assert page.locator("script#hub-preload").count() == 1
        assert page.locator("[data-testid='stElementContainer']:has(script#hub-preload)").is_hidden()
        assert "import(" not in page.locator("body").inner_text()
        page.get_by_label("用户名", exact=True).fill("staff")
        page.get_by_label("密码", exact=True).fill("Demo-staff-2026")
        page.get_by_role("button", name="登录", exact=True).click()
        page.get_by_role("heading", name="社会组织台账").wait_for(timeout=WAIT_MS)  # the deep link asked for
        settle(page)
        page.locator("[data-testid='stDataFrame']").first.wait_for()
        assert page.evaluate(_LOADED, "DataFrame") == 1  # the grid's code was not fetched a second time
        assert page.evaluate("() => window.__hubPreload") == "done"  # the same page: the script ran once
        assert "社会组织" in main_text(page)
    finally:
        ctx.close()


def test_dashboards_open_while_and_after_they_are_computed(browser, server):
    """The warm-up thread runs beside the first sessions (what it computes: tests/test_dashboard_warm.py); a leader
    signing in at once sees the dashboard whole, figures and all."""
    ctx = new_context(browser)
    try:
        page = ctx.new_page()
        login(page, server, "leader")
        open_screen(page, "数据总览")
        text = main_text(page)
        assert "社会组织" in text and "资源与需求" in text and "中心成效一览" in text
        assert not page.locator("[data-testid='stException']").count()
    finally:
        ctx.close()
