"""The generic entity screen in a real browser, through 场地资源 (core.orgs.venues: a schema, an entity, one registry line):
staff open /venues by URL, register a venue, find it in the list after F5 and read its 修改记录; a leader (who keeps
to the dashboards) gets the no-access notice at the same URL."""
from __future__ import annotations

import re

from tests.browser.conftest import goto, login, main_text, new_context, screenshot, settle, wait_for_app
from tests.browser.widgets import choose, fill, grid_rows, number

NAME = "听涛社区睦邻议事厅"
ENGLISH = ("Select all", "Choose an option", "Choose options", "No options to select", "None", "empty")


def _tab(page, label: str) -> None:
    page.get_by_role("tab", name=label, exact=True).first.click()
    wait_for_app(page)
    settle(page)


def test_staff_register_a_venue_and_read_its_history_and_a_leader_is_kept_out(server, page, browser):
    login(page, server, "staff")
    goto(page, server + "/venues")
    assert page.get_by_role("heading", name="场地资源").count()
    assert [t.inner_text().strip() for t in page.get_by_role("tab").all()][:3] == ["列表", "新建", "导入"]

    _tab(page, "新建")
    fill(page, "venue:new::name", NAME)
    fill(page, "venue:new::address", "听涛路8号")
    number(page, "venue:new::capacity", 45)
    choose(page, "venue:new::community", "听涛社区")
    fill(page, "venue:new::owner", "听涛社区居委会")
    screenshot(page, "venues-staff-new")
    page.get_by_role("button", name="登记", exact=True).click()
    wait_for_app(page)
    settle(page)
    saved = re.search(rf"已登记场地:{NAME}\(编号 (\d+)\)", main_text(page))
    assert saved, main_text(page)

    page.reload()  # F5: the list still has it
    settle(page)
    _tab(page, "列表")
    page.get_by_placeholder("搜索场地名称、地址、管理单位").fill("睦邻议事")
    page.get_by_placeholder("搜索场地名称、地址、管理单位").press("Enter")
    wait_for_app(page)
    settle(page)
    assert "共 1 条" in main_text(page)
    rows = grid_rows(page.locator("[data-testid='stDataFrame']").first)
    assert [(r["场地名称"], r["所属社区"], r["可容纳人数"]) for r in rows] == [(NAME, "听涛社区", "45")]
    screenshot(page, "venues-staff-list")

    goto(page, f"{server}/venues?id={saved.group(1)}")
    assert page.get_by_role("heading", name=NAME).count()
    _tab(page, "修改记录")
    history = grid_rows(page.locator("[data-testid='stDataFrame']").last)
    assert [r["动作"] for r in history] == ["新建"]
    assert history[0]["修改内容"].startswith(f"场地名称:{NAME}")
    screenshot(page, "venues-staff-history")
    assert not [w for w in ENGLISH if re.search(rf"\b{w}\b", main_text(page))]

    leader = new_context(browser).new_page()
    try:
        login(leader, server, "leader")
        goto(leader, f"{server}/venues?id={saved.group(1)}")
        assert leader.get_by_role("heading", name="无权访问").count()
        assert NAME not in main_text(leader) and not leader.locator("[data-testid='stDataFrame']").count()
        screenshot(leader, "venues-leader")
    finally:
        leader.context.close()
