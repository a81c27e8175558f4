"""Lists, tables, forms and the admin screens in a real browser, as a person uses them (issue 12):

- a selection follows the record, not the row position (社会组织台账: search, select, clear the search),
  and sits in the URL (F5 keeps it);
- forms and lists speak Chinese (no "Select all", "Choose an option", "Add row", "empty");
- 审计日志 names what was changed in Chinese, field by field, before -> after (no table names, no JSON);
- the import template's example cannot be imported by accident;
- a button that can do nothing says why.
"""
from __future__ import annotations

import re

from openpyxl import load_workbook
from playwright.sync_api import expect

from tests.browser.conftest import (WAIT_MS, goto, login, open_screen, screenshot, settle, wait_for_app)
from tests.browser.widgets import open_select, box

YUNFAN = "钱塘区云帆青少年服务社"
ENGLISH = ("Select all", "Choose an option", "Choose options", "Add row", "No options to select", "empty")

PREPARE = f"""
import datetime as dt
from core.orgs import organisations
from core.platform.actor import SYSTEM
organisations.create(dict(name={YUNFAN!r}, kind="社会服务机构", uscc="52330114MJ1234567Y", reg_date=dt.date(2024, 5, 6),
                          legal_rep="赵一", contact_person="云帆联系人", contact_phone="13800138000", community="文海社区",
                          service_domains=["志愿服务"], stage="初创期", active=True), SYSTEM)
"""



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
    expect(box(page, "org_edit::contact_person").locator("input")).to_have_value("云帆新联系人", timeout=WAIT_MS)
    assert page.get_by_role("tab", name="编辑", selected=True).count() == 1


# --- 3. forms and lists speak Chinese -------------------------------------------------------------

def _open_dropdown(page, key: str, testid: str) -> str:
    """Open a selectbox / multiselect and return the page text while its list is open."""
    box(page, key).locator(f"[data-testid='{testid}']").click()
    page.get_by_role("option").first.wait_for()
    text = page.locator("body").inner_text()
    page.keyboard.press("Escape")
    return text


def _placeholder(container) -> str:
    """What an empty widget shows: its input's placeholder (or the placeholder text a select draws)."""
    field = container.locator("input, textarea").first
    shown = field.get_attribute("placeholder") or ""
    return shown or container.inner_text().strip()


def _chosen(page, key: str) -> str:
    """The option a selectbox shows (its combobox input holds the chosen option's text)."""
    return box(page, key).get_by_role("combobox").input_value()


def _typed_options(page, key: str, text: str) -> list[str]:
    """The options a selectbox offers after typing ``text`` (its list scrolls: only typed matches show)."""
    open_select(page, box(page, key).locator("[data-testid='stSelectbox']"))
    page.keyboard.type(text)
    page.wait_for_timeout(300)
    options = [o.strip() for o in page.get_by_role("option").all_inner_texts()]
    page.keyboard.press("Escape")
    page.keyboard.press("Escape")
    return [o for o in options if o and "No results" not in o]


def _no_english(text: str, where: str) -> None:
    found = [w for w in ENGLISH if re.search(rf"(?<![A-Za-z]){re.escape(w)}(?![A-Za-z])", text)]
    assert not found, f"{where}: English widget text {found}"


def test_forms_and_lists_speak_chinese(server, page):
    login(page, server, "staff")
    open_screen(page, "登记新组织")
    _no_english(_app_text(page), "登记新组织")
    # every empty select says 请选择 in Chinese, every text input says what it wants
    def hint(name: str) -> str:
        return _placeholder(box(page, f"org_new::{name}"))

    for name in ("kind", "community", "stage", "rating"):
        assert hint(name) == "请选择", name
    assert hint("name") == "请输入组织名称"
    assert hint("service_domains") == "请选择(可多选)"
    # open the lists: no "Select all" in the multiselect, no English in the selects
    _no_english(_open_dropdown(page, "org_new::service_domains", "stMultiSelect"), "服务领域 list")
    _no_english(_open_dropdown(page, "org_new::kind", "stSelectbox"), "组织类型 list")
    screenshot(page, "lists_form_chinese")

    open_screen(page, "社会组织台账")
    page.get_by_text("筛选与排序").click()
    settle(page)
    _no_english(_app_text(page), "社会组织台账 filters")
    _no_english(_open_dropdown(page, "orgs:f:community", "stMultiSelect"), "所属社区 filter list")
    _search(page, "名称、统一社会信用代码或备案编号", "不存在的组织名称")
    page.get_by_text("没有符合条件的记录:请修改搜索词或筛选条件。").wait_for()
    _no_english(_app_text(page), "an empty list")


# --- 2. no raw None / nan / NaT where people read ---------------------------------------------------

RAW = re.compile(r"(?<![A-Za-z])(None|nan|NaN|NaT|<NA>)(?![A-Za-z])|\d\.0(?!\d)")


def test_screens_show_no_raw_empty_values(server, page):
    """Text in the DOM (details, pickers, messages) never shows None/nan/NaT or "24800.0"; the grids are
    canvas and are checked in AppTest (tests/test_listing.py, test_app_users.py)."""
    login(page, server, "admin")
    open_screen(page, "社会组织台账")
    _search(page, "名称、统一社会信用代码或备案编号", "邻里互助会")
    _click_row(page, 0)
    page.get_by_role("heading", name=re.compile("邻里互助会")).wait_for()
    text = _app_text(page)
    assert not RAW.search(text), RAW.search(text)
    assert "—" in text  # empty details read as a dash

    open_screen(page, "用户与角色")
    assert not RAW.search(_app_text(page))
    page.get_by_role("tab", name="修改账号").click()
    settle(page)
    open_select(page, box(page, "users:target").locator("[data-testid='stSelectbox']"))
    page.keyboard.type("王敏")
    page.get_by_role("option", name="王敏(工作人员)(staff)").wait_for()  # people by name (and username)
    page.keyboard.press("Escape")
    assert not RAW.search(_app_text(page))


# --- 4. the audit log in Chinese --------------------------------------------------------------------

def test_audit_log_names_things_in_chinese(server, page):
    login(page, server, "staff", form=True)  # a sign-in is logged (登录记录)
    open_screen(page, "社会组织台账")
    _search(page, "名称、统一社会信用代码或备案编号", "云帆")
    _click_row(page, 0)
    page.get_by_role("tab", name="编辑").click()
    settle(page)
    box(page, "org_edit::legal_rep").locator("input").fill("审计浏览器测试")
    page.locator("[data-testid='stForm']").get_by_role("button", name="保存修改").click()
    settle(page)
    page.locator("[data-testid='stAlert']", has_text="已保存修改").wait_for()
    # the record's own 修改记录 tab is in Chinese too
    page.get_by_role("tab", name="修改记录").click()
    settle(page)
    assert "organisations" not in _app_text(page)

    page.context.clear_cookies()
    login(page, server, "admin")
    open_screen(page, "审计日志")
    assert page.get_by_text("对象", exact=True).count() >= 1  # the filter says 对象, not 数据表
    assert page.get_by_text("数据表", exact=True).count() == 0
    for chinese in ("社会组织", "用户账号", "登录记录"):  # typed to filter the (long, scrolling) list
        assert chinese in _typed_options(page, "audit:table", chinese), chinese
    for table in ("organisations", "login_attempts", "users"):
        assert _typed_options(page, "audit:table", table) == [], table  # no table names to choose from
    assert _typed_options(page, "audit:actor", "王敏") == ["王敏(工作人员)"]
    assert "系统" in _typed_options(page, "audit:actor", "系统")

    # filtered to 社会组织: the grid draws on a canvas, the caption and the filter are DOM
    open_select(page, box(page, "audit:table").locator("[data-testid='stSelectbox']"))
    page.keyboard.type("社会组织")
    page.get_by_role("option", name="社会组织", exact=True).click()
    settle(page)
    page.get_by_text(re.compile(r"共 \d+ 条,第 1/\d+ 页")).wait_for()
    screenshot(page, "lists_audit_log")


# --- 5. the import template's example cannot be imported by accident -------------------------------

def test_import_template_example_is_never_imported(server, page, tmp_path):
    login(page, server, "staff")
    open_screen(page, "批量导入")
    with page.expect_download() as info:
        page.get_by_role("button", name=re.compile("下载导入模板")).click()
    template = tmp_path / "模板.xlsx"
    info.value.save_as(template)
    wb = load_workbook(template)
    assert wb.sheetnames == ["导入数据", "填写示例", "填写说明"]
    assert wb["导入数据"].max_row == 1  # nothing to import until the user fills it in

    # the uploader speaks Chinese too (its English labels cannot be set in this Streamlit version)
    uploader = page.locator("[data-testid='stFileUploader']").first
    assert "Upload" not in uploader.inner_text() and "per file" not in uploader.inner_text()
    shown = uploader.locator("[data-testid='stFileUploaderDropzone'] button p").evaluate(
        "e => getComputedStyle(e, '::after').content")
    assert shown == '"选择文件"', shown

    # sent back unfilled: refused with the reason, nothing offered
    page.locator("input[type='file']").set_input_files(str(template))
    settle(page)
    page.get_by_text(re.compile(re.escape("「导入数据」工作表(第一个工作表)没有数据行"))).wait_for()
    assert page.get_by_role("button", name=re.compile("确认导入")).count() == 0

    # the example pasted into the data sheet: its row is named, nothing is offered
    example = list(wb["填写示例"].iter_rows(values_only=True))[1]
    wb["导入数据"].append(list(example))
    pasted = tmp_path / "粘贴示例.xlsx"
    wb.save(pasted)
    page.locator("input[type='file']").set_input_files(str(pasted))
    settle(page)
    page.get_by_text(re.compile(r"共 1 行:可导入 0 行,错误 1 行")).wait_for()
    page.get_by_text("没有可导入的行:1 行有错误(原因见上表「说明」列),请在文件中改正后重新上传。").wait_for()
    assert page.get_by_role("button", name=re.compile("确认导入")).count() == 0
    screenshot(page, "lists_import_example_refused")


# --- 6. buttons say why, the screen stays where the user was ---------------------------------------

def test_password_reset_asks_and_stays_on_the_account(server, page):
    login(page, server, "admin")
    open_screen(page, "用户与角色")
    page.get_by_role("tab", name="修改账号").click()
    settle(page)
    open_select(page, box(page, "users:target").locator("[data-testid='stSelectbox']"))
    page.keyboard.type("staff")
    page.get_by_role("option", name="王敏(工作人员)(staff)").click()
    settle(page)
    assert "user=staff" in page.url and "tab=" in page.url, page.url

    page.get_by_role("button", name="重置密码").click()
    settle(page)
    page.get_by_text("账号 staff(王敏(工作人员))的当前密码将立即失效").wait_for()
    page.get_by_role("button", name="确认重置密码").click()
    settle(page)
    page.get_by_text("账号 staff 的新密码", exact=False).wait_for()
    # still on 修改账号 with the same account, the password right there
    assert page.get_by_role("tab", name="修改账号", selected=True).count() == 1
    assert _chosen(page, "users:target") == "王敏(工作人员)(staff)"
    assert page.locator("[data-testid='stCode']").count() == 1
    screenshot(page, "lists_users_reset")

    # F5: the same tab and account (the password is not shown again)
    goto(page, page.url)
    assert page.get_by_role("tab", name="修改账号", selected=True).count() == 1
    assert _chosen(page, "users:target") == "王敏(工作人员)(staff)"
    assert page.locator("[data-testid='stCode']").count() == 0
    assert box(page, "user_edit::name").locator("input").input_value() == "王敏(工作人员)"
