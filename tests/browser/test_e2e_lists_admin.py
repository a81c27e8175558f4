"""Lists, tables, forms and the admin screens in a real browser, as a person uses them (issue 12):

- a selection follows the record, not the row position (社会组织台账: search, select, clear the search),
  and sits in the URL (F5 keeps it);
- forms and lists speak Chinese (no "Select all", "Choose an option", "Add row", "empty");
- 审计日志 names what was changed in Chinese, field by field, before -> after (no table names, no JSON);
- the import template's example cannot be imported by accident;
- a button that can do nothing says why.
"""
from __future__ import annotations

import io
import re

import pytest
from openpyxl import load_workbook

from tests.browser.conftest import (WAIT_MS, goto, login, open_screen, screenshot, settle, start_server,
                                   wait_for_app)
from tests.browser.widgets import box

YUNFAN = "钱塘区云帆青少年服务社"
ENGLISH = ("Select all", "Choose an option", "Choose options", "Add row", "No options to select", "empty")

PREPARE = f"""
import datetime as dt
from core import organisations
from core.actor import SYSTEM
organisations.create(dict(name={YUNFAN!r}, kind="社会服务机构", uscc="52330114MJ1234567Y", reg_date=dt.date(2024, 5, 6),
                          legal_rep="赵一", contact_person="云帆联系人", contact_phone="13800138000", community="文海社区",
                          service_domains=["志愿服务"], stage="初创期", active=True), SYSTEM)
"""


@pytest.fixture(scope="module")
def server(browser, tmp_path_factory):
    base, stop = start_server(tmp_path_factory.mktemp("lists"), "lists_admin", prepare=PREPARE)
    try:
        yield base
    finally:
        stop()


# --- helpers --------------------------------------------------------------------------------------

def _grid(page, index: int = 0):
    return page.locator("[data-testid='stDataFrame']").nth(index)


def _click_row(page, row: int, index: int = 0) -> None:
    """Tick the row marker (the checkbox column at the left) of data row ``row`` (0-based)."""
    grid = _grid(page, index)
    grid.scroll_into_view_if_needed()
    bounds = grid.locator("canvas").first.bounding_box()
    header, height = 35, 35  # Streamlit's default header and row height
    page.mouse.click(bounds["x"] + 15, bounds["y"] + header + height * row + height / 2)
    wait_for_app(page)
    settle(page)


def _search(page, placeholder: str, text: str) -> None:
    box_ = page.get_by_placeholder(placeholder)
    box_.fill(text)
    box_.press("Enter")
    wait_for_app(page)
    settle(page)


def _detail_heading(page) -> str:
    heads = page.locator("[data-testid='stHeading'] h3")
    return heads.first.inner_text().strip() if heads.count() else ""


def _app_text(page) -> str:
    return page.locator("[data-testid='stApp']").inner_text()


# --- 1. the selection follows the record ----------------------------------------------------------

def test_selection_follows_the_record_through_search_reload_and_edit(server, page):
    login(page, server, "staff")
    open_screen(page, "社会组织台账")
    _search(page, "名称、统一社会信用代码或备案编号", "云帆")
    page.get_by_text(re.compile(r"共 1 条,第 1/1 页")).wait_for()
    _click_row(page, 0)
    page.get_by_role("heading", name=YUNFAN).wait_for()
    assert re.search(r"[?&]id=\d+", page.url), page.url
    org_id = re.search(r"[?&]id=(\d+)", page.url).group(1)

    # clear the search: all organisations are listed again, the selection is still 云帆
    _search(page, "名称、统一社会信用代码或备案编号", "")
    page.get_by_text(re.compile(r"共 56 条")).wait_for()
    assert _detail_heading(page) == YUNFAN
    assert re.search(rf"[?&]id={org_id}\b", page.url), page.url

    # 编辑 edits 云帆 (not the organisation in the first row)
    page.get_by_role("tab", name="编辑").click()
    settle(page)
    name_box = box(page, "org_edit::name").locator("input")
    assert name_box.input_value() == YUNFAN
    contact = box(page, "org_edit::contact_person").locator("input")
    contact.fill("云帆新联系人")
    page.locator("[data-testid='stForm']").get_by_role("button", name="保存修改").click()
    settle(page)
    page.locator("[data-testid='stAlert']", has_text="已保存修改").wait_for()
    # the screen stayed where the user was: same record, same tab
    assert _detail_heading(page) == YUNFAN
    assert page.get_by_role("tab", name="编辑", selected=True).count() == 1
    screenshot(page, "lists_selection_after_edit")

    # F5: the same organisation and tab again
    goto(page, page.url)
    page.get_by_role("heading", name=YUNFAN).wait_for()
    assert box(page, "org_edit::contact_person").locator("input").input_value() == "云帆新联系人"
    assert page.get_by_role("tab", name="编辑", selected=True).count() == 1
