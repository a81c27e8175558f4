"""The dashboards in a real browser: a leader signs in and opens 数据总览; a staff member, in a second browser
context, registers an organisation; the leader's screen shows the new count by itself (the fragment's
auto-refresh, made short here with HUBDESK_DASH_REFRESH) without the page reloading. Then the leader's
会议大屏: no sidebar, large figures.
"""
from __future__ import annotations

import random
import re
import time

from stdnum.cn import uscc as stdnum_uscc

from core.ui.dashboard_view import MEETING_SCREENS, REFRESH_ENV
from tests.browser.conftest import (WAIT_MS, login, new_context, open_screen, screenshot, settle, sidebar_link,
                                   wait_for_app)
from tests.browser.widgets import open_select

REFRESH = 2  # seconds, for this module's server
SERVER_ENV = {REFRESH_ENV: str(REFRESH)}
USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"



def _metric(page, label: str):
    return page.locator("[data-testid='stMetric']").filter(
        has=page.locator("[data-testid='stMetricLabel']", has_text=re.compile(f"^{re.escape(label)}$")))


def _metric_value(page, label: str) -> str:
    return _metric(page, label).locator("[data-testid='stMetricValue']").inner_text().strip()


def _register_organisation(page, name: str, community: str = "文海社区") -> None:
    """登记新组织 as staff: a 社会团体 with a valid USCC, in ``community`` (one of the staff's hub's: 下沙's by default)."""
    open_screen(page, "登记新组织")
    body = "51330114MJ" + "".join(random.choices(USCC_ALPHABET, k=7))
    field = lambda n: page.locator(f".st-key-org_new--{n}")  # noqa: E731
    for n, value in {"name": name, "uscc": body + stdnum_uscc.calc_check_digit(body), "contact_person": "赵测试",
                     "contact_phone": "13812345678"}.items():
        field(n).locator("input").fill(value)
    for n, option in (("kind", "社会团体"), ("community", community), ("stage", "初创期")):
        open_select(page, field(n).locator("[data-testid='stSelectbox']"))
        page.get_by_role("option", name=option, exact=True).click()
        page.wait_for_function("([sel, want]) => document.querySelector(sel)?.value === want",
                               arg=[f".st-key-org_new--{n} input[role='combobox']", option], timeout=WAIT_MS)
    page.locator("[data-testid='stForm']").get_by_role("button", name="登记").click()
    settle(page)
    page.locator("[data-testid='stAlert']", has_text=f"已登记:{name}").wait_for(timeout=WAIT_MS)


def test_a_staff_write_appears_on_the_leaders_screen_by_itself(server, browser, request):
    leader_ctx, staff_ctx = new_context(browser), new_context(browser)
    leader, staff = leader_ctx.new_page(), staff_ctx.new_page()
    try:
        login(leader, server, "leader")
        open_screen(leader, "数据总览")
        leader.get_by_text("中心成效一览").wait_for(timeout=WAIT_MS)
        leader.get_by_text(re.compile("最后更新 \\d\\d:\\d\\d:\\d\\d")).first.wait_for(timeout=WAIT_MS)
        assert leader.get_by_text(f"自动刷新(每 {REFRESH} 秒)").count() == 1
        before = _metric_value(leader, "在册社会组织")
        count = int(re.match(r"(\d+) 家", before).group(1))
        # no write widget on the leader's screen: no form, no text box, only the sign-out button
        assert leader.locator("[data-testid='stForm']").count() == 0
        assert leader.locator("[data-testid='stTextInput']").count() == 0
        buttons = leader.locator("[data-testid='stButton'] button").all_inner_texts()
        assert len(buttons) == 1 and buttons[0].endswith("退出登录"), buttons
        leader.evaluate("window.__sameDocument = true")  # gone if the page reloads

        login(staff, server, "staff")
        name = "钱塘区驾驶舱测试公益服务社" + "".join(random.choices("甲乙丙丁戊己庚辛壬癸", k=4))
        _register_organisation(staff, name)
        saved = time.monotonic()

        # the leader does nothing; the fragment's next refresh shows the new count
        _metric(leader, "在册社会组织").locator("[data-testid='stMetricValue']", has_text=f"{count + 1} 家") \
            .wait_for(timeout=(REFRESH + 8) * 1000)
        waited = time.monotonic() - saved
        assert waited <= REFRESH + 8, waited
        assert leader.evaluate("window.__sameDocument === true"), "the leader's page was reloaded"
        screenshot(leader, f"{request.node.name}-leader")
    finally:
        leader_ctx.close()
        staff_ctx.close()


def test_meeting_mode_is_large_and_has_no_sidebar(server, page, request):
    login(page, server, "leader")
    sidebar_link(page, "会议大屏").first.click()
    wait_for_app(page)
    page.get_by_text(re.compile(f"第 \\d+/{len(MEETING_SCREENS)} 屏")).first.wait_for(timeout=WAIT_MS)
    # the meeting style hides the sidebar as the screen is drawn (the text can come a moment before the style)
    page.locator("[data-testid='stSidebar']").wait_for(state="hidden", timeout=WAIT_MS)
    title = page.locator("[data-testid='stMain'] h1").first
    size = title.evaluate("e => parseFloat(getComputedStyle(e).fontSize)")
    assert size >= 48, size
    screenshot(page, f"{request.node.name}-meeting")


def test_clicking_a_bar_lists_its_records(server, page):
    """专题分析 → 申报漏斗: a click on the first bar (草稿: every application of the round) opens its records."""
    login(page, server, "leader")
    page.goto(server + "/dashboard-charts?view=funnel", wait_until="domcontentloaded")
    settle(page)
    chart = page.locator("[data-testid='stVegaLiteChart']").first
    chart.locator("canvas, svg").first.wait_for(timeout=WAIT_MS)
    page.wait_for_timeout(1000)  # the chart's view binds its click handler after drawing
    box = chart.bounding_box()
    page.mouse.click(box["x"] + box["width"] * 0.5, box["y"] + 15)
    settle(page)
    page.get_by_text(re.compile(r"明细:到达「草稿」的申报\(\d+ 条\)")).wait_for(timeout=WAIT_MS)
    assert page.get_by_role("button", name=re.compile("导出Excel")).count() >= 1
