"""资源与需求总览 in a real browser (pages/res_dashboard.py, demo data): a leader opens it by its URL, reads the
headline tiles and the idle venues, reloads and stays on the same section, clicks the bar of a year in 志愿者 and
reads the service records behind it (with their Excel export); the community filter in the URL narrows the
venues; the screen has no form to write."""
from __future__ import annotations

import re
from urllib.parse import quote


from core.dashboards import resources as res
from core.ui.resource_dashboard import SECTIONS
from tests.browser.conftest import WAIT_MS, goto, login, screenshot, settle
from tests.browser.widgets import grid_rows

URL = "/resources-dashboard"



def _main(page):
    return page.locator("[data-testid='stMain']")


def _tab(section: str) -> str:
    return f"{URL}?tab={quote(section)}"


def test_a_leader_opens_the_dashboard_reloads_and_drills_into_a_bar(server, page):
    login(page, server, "leader")
    goto(page, server + _tab("资源"))
    assert page.get_by_role("heading", name="资源与需求总览").count()
    page.locator("[data-testid='stMetric']").first.wait_for(timeout=WAIT_MS)  # drawn inside the live fragment
    page.locator("[data-testid='stVegaLiteChart']").first.wait_for(timeout=WAIT_MS)
    settle(page)
    screenshot(page, "res-dashboard-resources")
    assert [t.inner_text().strip() for t in page.get_by_role("tab").all()] == list(SECTIONS)
    text = _main(page).inner_text()
    for tile in ("场地数(个)", "闲置场地(个)", "场地使用率", "伙伴资金(万元)", "非政府资金占比", "服务志愿者(人)", "服务时长(小时)"):
        assert tile in text, tile
    assert "闲置场地(" in text  # the idle venues named (the demo's venues are booked little this year)
    assert not page.locator("[data-testid='stForm']").count()

    page.reload(wait_until="domcontentloaded")  # F5: the same screen, the same section
    settle(page)
    assert page.get_by_role("heading", name="资源与需求总览").count()
    assert page.get_by_role("tab", name="资源", exact=True).get_attribute("aria-selected") == "true"

    page.get_by_role("tab", name="志愿者", exact=True).click()
    settle(page)
    assert "志愿者:人数与服务时长" in _main(page).inner_text()
    assert "tab=" in page.url
    chart = _main(page).locator("[data-testid='stVegaLiteChart']").first  # 按年度: one bar per year
    chart.locator("canvas, svg").first.wait_for(timeout=WAIT_MS)
    chart.scroll_into_view_if_needed()  # a mouse click lands only inside the viewport
    page.wait_for_timeout(1000)  # the chart's view binds its click handler after drawing
    box = chart.bounding_box()
    page.mouse.click(box["x"] + box["width"] * 0.55, box["y"] + box["height"] * 0.5)
    settle(page)
    heading = page.get_by_text(re.compile(r"明细:\d{4}年的志愿服务\([\d,]+ 条\)"))
    heading.wait_for(timeout=WAIT_MS)
    shown = int(re.search(r"\(([\d,]+) 条\)", heading.inner_text()).group(1).replace(",", ""))
    assert shown > 0
    rows = grid_rows(_main(page).locator("[data-testid='stDataFrame']:visible").first)
    assert rows and list(rows[0]) == list(res.SERVICE_DRILL_COLUMNS.values())
    who = res.SERVICE_DRILL_COLUMNS["name"]
    assert all(r[who] and not r[who].isdigit() for r in rows)  # names, not ids
    assert page.get_by_role("button", name=re.compile("导出Excel")).count() >= 1
    screenshot(page, "res-dashboard-volunteers-drill")


def test_the_community_in_the_url_narrows_the_venues(server, page):
    login(page, server, "leader")
    goto(page, server + _tab("资源") + "&community=" + quote("文海社区"))
    page.locator("[data-testid='stVegaLiteChart']").first.wait_for(timeout=WAIT_MS)
    text = _main(page).inner_text()
    assert "文海社区邻里中心多功能厅" in text
    assert "金沙湖社区四点半课堂" not in text
    page.get_by_role("tab", name="合作伙伴", exact=True).click()
    settle(page)
    page.get_by_text("本图不受社区筛选影响").first.wait_for(timeout=WAIT_MS)
    text = _main(page).inner_text()
    assert "按贡献类型" in text and "本图不受社区筛选影响" in text
    screenshot(page, "res-dashboard-partners")

