"""Roll-up dashboards in a real browser (issue 20): the 钱塘区 leader opens 各枢纽对比, sees 下沙 and 白杨 side by
side with their figures, selects 白杨 and lands on 数据总览 filtered to it (the 枢纽 filter and the URL say so), and
F5 keeps it there; 白杨's staff open 数据总览 and see their own hub's figures only, with no 枢纽 filter and no
各枢纽对比."""
from __future__ import annotations

import re
from urllib.parse import parse_qs, urlparse

from tests.browser.conftest import WAIT_MS, goto, login, new_context, screenshot, settle
from tests.browser.widgets import box, grid_rows

LEADER_PW, STAFF_PW = "Demo-leader-2026", "Demo-staff-2026"  # README: the network's demo accounts
ORGS_PER_STREET = "4"  # core.demo.hubs.ORGS_PER_STREET: what 白杨 holds


def _metric_value(page, label: str) -> str:
    tile = page.locator("[data-testid='stMetric']").filter(
        has=page.locator("[data-testid='stMetricLabel']", has_text=re.compile(f"^{re.escape(label)}$")))
    return tile.locator("[data-testid='stMetricValue']").first.inner_text().strip()


def _hub_shown(page) -> str:
    return box(page, "dash:f:hub").get_by_role("combobox").input_value()


def _visible_text(page) -> str:
    return page.locator("[data-testid='stMain']").inner_text()


def _no_defects(page) -> None:
    text = _visible_text(page)
    assert "None" not in text and "nan" not in text.split(), text[:400]


def test_a_district_leader_compares_its_streets_and_drills_into_one_a_street_user_sees_its_own(server, browser):
    ctx = new_context(browser, viewport={"width": 1400, "height": 1000})
    page = ctx.new_page()
    try:
        login(page, server, "qt_leader", LEADER_PW)
        goto(page, f"{server}/dashboard-charts?view=hubs")
        assert page.locator(".st-key-dash-view").get_by_role("radio", name="各枢纽对比").is_checked()
        grid = page.locator("[data-testid='stDataFrame']").first
        grid.wait_for(timeout=WAIT_MS)
        rows = grid_rows(grid)
        by_hub = {r["枢纽"]: r for r in rows}
        assert list(by_hub) == ["下沙街道", "白杨街道"], rows
        assert {r["所属区"] for r in rows} == {"钱塘区"}
        assert int(by_hub["下沙街道"]["立项"]) > 0 and int(by_hub["下沙街道"]["服务人次"].replace(",", "")) > 0
        assert by_hub["白杨街道"]["登记组织"] == ORGS_PER_STREET and by_hub["白杨街道"]["立项"] == "0"
        _no_defects(page)
        screenshot(page, "rollup-01-comparison")

        # select 白杨 (the grid's second row: its selection cell): 数据总览 of 白杨
        grid.scroll_into_view_if_needed()
        area = grid.bounding_box()
        page.mouse.click(area["x"] + 16, area["y"] + 35 + 35 + 17)
        page.wait_for_url(re.compile(r"/dashboard-overview\?"), timeout=WAIT_MS)
        settle(page)
        hub = parse_qs(urlparse(page.url).query).get("hub")
        assert hub and hub[0].isdigit(), page.url
        assert "白杨街道" in _hub_shown(page)
        assert _metric_value(page, "在册社会组织") == f"{ORGS_PER_STREET} 家"
        assert _metric_value(page, "立项资助项目") == "0 个"
        page.get_by_text("白杨街道 · ").first.wait_for(timeout=WAIT_MS)  # the window caption names the hub
        _no_defects(page)
        screenshot(page, "rollup-02-baiyang")

        page.reload(wait_until="domcontentloaded")  # F5: still 白杨
        settle(page)
        page.locator("[data-testid='stMetric']").first.wait_for(timeout=WAIT_MS)
        assert urlparse(page.url).path.endswith("/dashboard-overview")
        assert parse_qs(urlparse(page.url).query).get("hub") == hub
        assert "白杨街道" in _hub_shown(page)
        assert _metric_value(page, "在册社会组织") == f"{ORGS_PER_STREET} 家"
        screenshot(page, "rollup-03-after-f5")
    finally:
        ctx.close()
    # 白杨's staff, in a browser of their own
    ctx = new_context(browser, viewport={"width": 1400, "height": 1000})
    page = ctx.new_page()
    try:
        login(page, server, "by_staff", STAFF_PW)
        goto(page, f"{server}/dashboard-overview")
        page.locator("[data-testid='stMetric']").first.wait_for(timeout=WAIT_MS)
        assert box(page, "dash:f:hub").count() == 0  # no 枢纽 filter for one hub
        assert _metric_value(page, "在册社会组织") == f"{ORGS_PER_STREET} 家"
        for label, zero in (("立项资助项目", "0 个"), ("服务活动", "0 场"), ("能力培训", "0 场")):
            assert _metric_value(page, label) == zero, label
        _no_defects(page)
        screenshot(page, "rollup-04-street")
        goto(page, f"{server}/dashboard-charts?view=hubs")
        radio = page.locator(".st-key-dash-view")
        radio.wait_for(timeout=WAIT_MS)
        assert radio.get_by_role("radio", name="各枢纽对比").count() == 0
    finally:
        ctx.close()
