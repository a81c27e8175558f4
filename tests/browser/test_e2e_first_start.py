"""First start on an empty data folder, as the README's first command gives it: the first visitor sees a
Chinese progress display while the demo data is built (not a blank page, not the English file names of
``pages/``), then the login form; a deep link asked for during the build is the page shown after it."""
from __future__ import annotations

from tests.browser.conftest import WAIT_MS, new_context, settle, start_server

# what the sidebar would list if Streamlit showed the pages/ folder's files (titles made from file stems)
FILE_TITLES = ("account", "applications", "audit", "capability", "dashboards", "decisions", "ideas",
               "mentoring", "monitoring", "registry", "review admin", "reviews", "rounds", "users")

_WATCH = """
window.__hubSeen = {starting: null, progress: null, navTexts: new Set()};
new MutationObserver(() => {
  const body = document.body ? document.body.innerText : "";
  if (window.__hubSeen.starting === null && body.includes("正在启动 HubDesk 枢纽台")) window.__hubSeen.starting = performance.now();
  if (window.__hubSeen.progress === null && body.includes("正在准备演示数据")) window.__hubSeen.progress = performance.now();
  document.querySelectorAll("[data-testid='stSidebarNav'] a").forEach(a => window.__hubSeen.navTexts.add(a.innerText.trim().toLowerCase()));
}).observe(document, {subtree: true, childList: true, characterData: true});
"""


def test_first_start_shows_progress_in_chinese_then_the_login_form(browser, tmp_path):
    base, stop = start_server(tmp_path, "first_start", empty=True)
    ctx = new_context(browser)
    ctx.add_init_script(_WATCH)  # on every load: the first run reloads the asked URL once (see Home.py)
    try:
        page = ctx.new_page()
        page.goto(base + "/orgs", wait_until="commit")
        page.get_by_text("正在准备演示数据").first.wait_for(timeout=60_000)  # shown during the build (timed in bench/)
        # the first words on the page come before HubDesk's own modules are imported (a second or more), then
        # the build's progress
        starting, progress = page.evaluate("() => [window.__hubSeen.starting, window.__hubSeen.progress]")
        assert starting is not None and progress is not None and starting <= progress
        page.get_by_label("用户名", exact=True).wait_for(timeout=240_000)
        settle(page)
        nav = page.evaluate("() => [...window.__hubSeen.navTexts]")
        assert not [t for t in nav if t in FILE_TITLES], nav
        assert page.url.endswith("/orgs")
        assert (tmp_path / "hub.duckdb").exists()
        page.get_by_label("用户名", exact=True).fill("staff")
        page.get_by_label("密码", exact=True).fill("Demo-staff-2026")
        page.get_by_role("button", name="登录", exact=True).click()
        page.get_by_role("heading", name="社会组织台账").wait_for(timeout=WAIT_MS)
    finally:
        ctx.close()
        stop()
