"""Links, reloads and bookmarks as people use them: a URL typed, bookmarked, shared or reloaded (F5) opens the
screen it names, with its query string, for every role, signed in by cookie or through the login form; a
screen the role may not open says so in Chinese and shows nothing of it; the first request a fresh server
sees is a deep link and gets no English "Page not found".

The module's server is fresh: the first test is the first request it ever sees.
"""
from __future__ import annotations

import re
from urllib.parse import parse_qs, urlparse

import pytest

from core.navigation import PAGES
from tests import demo_cache
from tests.browser.conftest import (COOKIE_NAME, DEMO_PASSWORDS, WAIT_MS, goto, login, new_context, screenshot,
                                    settle, wait_for_app)

ROLE_USER = {"admin": "admin", "staff": "staff", "reviewer": "expert", "leader": "leader"}
ENGLISH = ("Page not found", "does not seem to exist", "Running the app's main page")


def _demo(sql: str):
    return demo_cache.query_one(sql)


@pytest.fixture(scope="module")
def project():
    """A funded project of the demo data: (id, agreement number, title)."""
    return _demo("SELECT p.id, p.agreement_no, a.title FROM projects p JOIN applications a ON a.id = p.application_id "
                 "ORDER BY p.id DESC LIMIT 1")


def _headings(page) -> list[str]:
    return [t.strip() for t in page.locator("[data-testid='stMain'] h1").all_inner_texts()]


def _path_and_query(page) -> tuple[str, dict]:
    u = urlparse(page.url)
    return u.path, parse_qs(u.query)


def _no_english_dialog(page) -> None:
    text = page.locator("body").inner_text()
    for words in ENGLISH:
        assert words not in text, f"{page.url}: {words!r} shown"


def _sign_in_once(page, username: str) -> None:
    """One honest try: type, press 登录, and be signed in (a lost first sign-in is a defect, no retry)."""
    page.get_by_label("用户名", exact=True).fill(username)
    page.get_by_label("密码", exact=True).fill(DEMO_PASSWORDS[username])
    page.get_by_role("button", name="登录", exact=True).click()
    wait_for_app(page)
    page.get_by_label("用户名", exact=True).wait_for(state="detached", timeout=WAIT_MS)
    settle(page)
    assert any(c["name"] == COOKIE_NAME for c in page.context.cookies())


def test_first_request_to_a_fresh_server_is_a_deep_link_and_keeps_it_through_sign_in(server, page, project):
    pid, agreement_no, title = project
    goto(page, f"{server}/project-file?id={pid}")
    _no_english_dialog(page)
    assert page.get_by_label("用户名", exact=True).is_visible()
    assert _path_and_query(page) == ("/project-file", {"id": [str(pid)]})
    _sign_in_once(page, "staff")
    _no_english_dialog(page)
    assert _path_and_query(page) == ("/project-file", {"id": [str(pid)]})
    assert _headings(page)[0] == "项目档案"
    assert agreement_no in page.locator("[data-testid='stMain']").inner_text()
    page.reload(wait_until="domcontentloaded")  # F5: signed in again by the cookie, same project
    settle(page)
    assert _path_and_query(page) == ("/project-file", {"id": [str(pid)]})
    assert _headings(page)[0] == "项目档案"
    assert agreement_no in page.locator("[data-testid='stMain']").inner_text()


def test_signed_out_deep_link_to_the_meeting_screen_then_sign_in(server, page):
    goto(page, f"{server}/dashboard-meeting")
    _no_english_dialog(page)
    _sign_in_once(page, "leader")
    assert _path_and_query(page)[0] == "/dashboard-meeting"
    page.get_by_role("link", name="退出大屏").wait_for(timeout=WAIT_MS)  # drawn with the screen (visible, or this fails)
    page.reload(wait_until="domcontentloaded")  # the meeting-room screen reloads: still 会议大屏
    settle(page)
    assert _path_and_query(page)[0] == "/dashboard-meeting"
    page.get_by_role("link", name="退出大屏").wait_for(timeout=WAIT_MS)


@pytest.fixture(scope="module")
def cookies(server, browser):
    """The sign-in cookie of each role, got once through the login form."""
    jar = {}
    for role, user in ROLE_USER.items():
        ctx = new_context(browser)
        try:
            p = ctx.new_page()
            login(p, server, user, form=True)
            jar[role] = [c for c in ctx.cookies() if c["name"] == COOKIE_NAME]
        finally:
            ctx.close()
    return jar


def _shows(page, spec) -> str | None:
    """Waits for the screen of ``spec`` (its heading, or the meeting screen's way out); None when it shows,
    else what the page shows instead."""
    want = page.get_by_role("link", name="退出大屏") if spec.key == "dash_meeting" else \
        page.locator("[data-testid='stMain'] h1", has_text=re.compile("^" + re.escape(spec.title)))
    try:
        want.first.wait_for(timeout=WAIT_MS)
    except Exception:  # noqa: BLE001 - report what is there instead
        return f"shows {_headings(page)}"
    if "无权" in page.locator("[data-testid='stMain']").inner_text():
        return "refused"
    return None


def _by_fewest(roles_of_page) -> dict[str, str]:
    """Page key -> the role, among those ``roles_of_page(spec)`` names, that has the fewest such pages: each page
    is checked once, by the role least busy with the others (the work spread over the roles' tests)."""
    count = {r: sum(r in roles_of_page(spec) for spec in PAGES) for r in ROLE_USER}
    return {spec.key: min(roles_of_page(spec), key=lambda r: (count[r], r)) for spec in PAGES if roles_of_page(spec)}


# Each screen's URL is typed, then reloaded (F5), once, by one role that may open it (the work spread evenly over
# the roles' tests, ``_spread``): a typed URL and a reload are the same new page load for every
# role, the role only decides whether it opens, which tests/test_access_matrix.py checks on the server for every
# screen and role, and test_a_url_the_role_may_not_open_says_so_and_shows_nothing_of_it here for every screen.
# Every role types "/" and reloads it.
def _spread() -> dict[str, str]:
    """Page key -> a role that may open it, each page given to the least loaded of its roles (the pages with the
    fewest roles first), so the four tests take about the same time."""
    load = {r: 0 for r in ROLE_USER}
    out = {}
    for spec in sorted(PAGES, key=lambda p: (sum(r in p.roles for r in ROLE_USER), p.key)):
        mine = [r for r in ROLE_USER if r in spec.roles]
        if mine:
            out[spec.key] = min(mine, key=lambda r: (load[r], r))
            load[out[spec.key]] += 1
    return out


OPENED_BY = _spread()


@pytest.mark.parametrize("role", list(ROLE_USER))
def test_every_allowed_url_opens_its_screen_when_typed_and_after_f5(server, browser, cookies, role, request):
    """Each URL typed into the address bar of a browser that signed in earlier (only its cookie; the tab's
    session storage emptied, as in a new tab): each is a new page load, so a new session of the app. Then F5
    on it. The screens this role opens for all (``OPENED_BY``), and the default page's "/"."""
    ctx = new_context(browser)
    ctx.add_cookies(cookies[role])
    page = ctx.new_page()
    failures = []
    try:
        # the default page's own path (/workbench, typed or bookmarked) opens it too, at "/"
        visits = [(f"/{spec.url_path}", "/" if spec.default else f"/{spec.url_path}", spec)
                  for spec in PAGES if OPENED_BY.get(spec.key) == role] + [("/", "/", next(p for p in PAGES if p.default))]
        for typed, path, spec in visits:
            try:
                page.evaluate("() => { try { window.sessionStorage.clear() } catch (e) {} }")  # about:blank has none
                page.goto(server + typed, wait_until="domcontentloaded")
                for how in ("typed", "F5"):
                    if how == "F5":
                        page.reload(wait_until="domcontentloaded")
                    wrong = _shows(page, spec)
                    if wrong:
                        failures.append(f"{typed} ({how}): {wrong}, not 「{spec.title}」")
                    if _path_and_query(page)[0] != path:
                        failures.append(f"{typed} ({how}): the address became {page.url}, not {path}")
                    _no_english_dialog(page)
            except Exception as exc:  # noqa: BLE001 - collect every URL, fail once
                failures.append(f"{typed}: {type(exc).__name__}: {str(exc).splitlines()[0]}")
                screenshot(page, f"{request.node.name}{typed.replace('/', '_')}")
    finally:
        ctx.close()
    assert not failures, "\n".join(failures)


# every screen some role may not open is opened once by such a role (the server-side check for every screen and
# role is tests/test_access_matrix.py; here what a person sees, spread over three roles)
REFUSED_BY = _by_fewest(lambda spec: [r for r in ("reviewer", "leader", "staff") if r not in spec.roles])


@pytest.mark.parametrize("role", ["reviewer", "leader", "staff"])
def test_a_url_the_role_may_not_open_says_so_and_shows_nothing_of_it(server, browser, cookies, role):
    ctx = new_context(browser)
    ctx.add_cookies(cookies[role])
    page = ctx.new_page()
    try:
        mine = [p for p in PAGES if REFUSED_BY.get(p.key) == role]
        assert mine and all(role not in p.roles for p in mine)
        for spec in mine:
            page.goto(f"{server}/{spec.url_path}", wait_until="domcontentloaded")
            page.get_by_role("heading", name="无权访问").wait_for(timeout=WAIT_MS)
            wait_for_app(page)
            _no_english_dialog(page)
            assert _headings(page) == ["无权访问"], spec.url_path
            main = page.locator("[data-testid='stMain']").inner_text()
            assert "您的角色无权打开此页面" in main
            assert page.locator("[data-testid='stDataFrame']").count() == 0
            assert page.locator("[data-testid='stForm']").count() == 0
            assert _path_and_query(page)[0] == f"/{spec.url_path}"
        page.get_by_role("link", name="返回工作台").click()
        wait_for_app(page)
        page.get_by_role("heading", name="工作台").wait_for(timeout=WAIT_MS)
    finally:
        ctx.close()


def test_dashboard_view_and_filters_live_in_the_url(server, browser, cookies):
    ctx = new_context(browser)
    ctx.add_cookies(cookies["leader"])
    page = ctx.new_page()
    try:
        goto(page, f"{server}/dashboard-charts?view=funnel&category=" + "一老一小")
        assert _headings(page)[0] == "专题分析"
        radio = page.locator(".st-key-dash-view")
        assert radio.get_by_role("radio", name="申报漏斗").is_checked()
        category = page.locator(".st-key-dash-f-category").get_by_role("combobox").input_value()
        assert category == "一老一小"
        # choose another view: the URL follows, and F5 keeps it
        radio.get_by_text("社区覆盖", exact=True).click()
        settle(page)
        assert parse_qs(urlparse(page.url).query)["view"] == ["coverage"]
        page.reload(wait_until="domcontentloaded")
        settle(page)
        assert page.locator(".st-key-dash-view").get_by_role("radio", name="社区覆盖").is_checked()
        assert page.locator(".st-key-dash-f-category").get_by_role("combobox").input_value() == "一老一小"
    finally:
        ctx.close()


def test_meeting_screen_is_readable_from_the_back_of_the_room(server, browser, cookies):
    """1920x1080: KPI values at least twice their labels, chart text at least 20 px, a visible way out."""
    ctx = browser.new_context(locale="zh-CN", viewport={"width": 1920, "height": 1080})
    ctx.set_default_timeout(WAIT_MS)
    ctx.add_cookies(cookies["leader"])
    page = ctx.new_page()
    try:
        goto(page, f"{server}/dashboard-meeting?screens=overview")
        page.locator("[data-testid='stMetricValue']").first.wait_for(timeout=WAIT_MS)
        sizes = page.evaluate("""() => [...document.querySelectorAll("[data-testid='stMetric']")].map(m => {
            const px = el => parseFloat(getComputedStyle(el).fontSize);
            const deepest = root => { let el = root; while (el.firstElementChild) el = el.firstElementChild; return el; };
            const v = m.querySelector("[data-testid='stMetricValue']"), l = m.querySelector("[data-testid='stMetricLabel']");
            return {value: px(deepest(v)), label: px(deepest(l)), cut: deepest(v).scrollWidth > deepest(v).clientWidth + 1};
        })""")
        assert sizes, "no KPI tile on the meeting screen"
        for s in sizes:
            assert s["value"] >= 2 * s["label"], s
        link = page.get_by_role("link", name="退出大屏")
        assert link.is_visible()
        screenshot(page, "meeting_1920")
        link.click()
        wait_for_app(page)
        page.get_by_role("heading", name="数据总览").wait_for(timeout=WAIT_MS)
    finally:
        ctx.close()


def test_meeting_charts_use_large_uncut_labels():
    """The meeting charts' Vega-Lite config: axis and legend text >= 20 px and never cut short."""
    import altair as alt

    from core.ui import charts

    spec = charts.large(alt.Chart({"values": [{"a": "1516便民服务", "b": 1}]}).mark_bar().encode(x="a:N", y="b:Q")).to_dict()
    config = spec["config"]
    for part in ("axis", "legend"):
        assert config[part]["labelFontSize"] >= 20 and config[part]["titleFontSize"] >= 20
        assert config[part]["labelLimit"] == 0
    assert re.search("1516便民服务", str(spec))
