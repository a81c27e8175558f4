"""志愿者 in a real browser (pages/res_volunteers.py, with the demo volunteers loaded): staff register a volunteer —
refused while a phone is typed without consent, saved once consent is recorded —, find them in the list with the
phone masked, open their own record with the phone in full, and sign them up for an open call; a leader opens the
same record and reads the phone masked, with no form to write."""
from __future__ import annotations

import datetime as dt
import re

from openpyxl import load_workbook

from tests.browser.conftest import goto, login, main_text, new_context, screenshot, settle, wait_for_app
from tests.browser.widgets import box, choose, fill, grid_rows

NAME = "沈书瑶"
PHONE, STORED, MASKED = "13857106688", "138 5710 6688", "138****6688"
ENGLISH = ("Select all", "Choose an option", "Choose options", "No options to select", "None", "empty")



def _click(page, name: str) -> None:
    page.get_by_role("button", name=name, exact=True).click()
    wait_for_app(page)
    settle(page)


def _tab(page, label: str) -> None:
    page.get_by_role("tab", name=label, exact=True).first.click()
    wait_for_app(page)
    settle(page)



def test_staff_register_a_volunteer_with_consent_sign_them_up_and_a_leader_reads_masked(server, page, browser,
                                                                                          tmp_path):
    login(page, server, "staff")
    goto(page, server + "/volunteer-register")
    assert page.get_by_role("heading", name="志愿者").count()
    assert [t.inner_text().strip() for t in page.get_by_role("tab").all()][:4] == \
        ["志愿者名册", "志愿者招募", "服务时长", "服务统计"]
    rows = grid_rows(page.locator("[data-testid='stDataFrame']").first)
    assert rows and all("****" in r["联系电话"] for r in rows if r["联系电话"])
    screenshot(page, "volunteers-staff-list")

    page.get_by_text("登记志愿者", exact=True).first.click()  # the expander
    settle(page)
    fill(page, "volunteer:new::name", NAME)
    fill(page, "volunteer:new::phone", PHONE)
    choose(page, "volunteer:new::community", "听涛社区")
    _click(page, "登记")
    assert "未取得个人信息使用同意,不能登记联系电话" in main_text(page)
    assert box(page, "volunteer:new::name").locator("input").input_value() == NAME  # the input is kept
    screenshot(page, "volunteers-staff-refused")

    box(page, "volunteer:new::consent").locator("label").first.click()
    choose(page, "volunteer:new::consent_method", "纸质登记表签字")
    day = box(page, "volunteer:new::consent_date").locator("input")
    day.fill(dt.date.today().isoformat())
    day.press("Enter")
    page.keyboard.press("Escape")
    _click(page, "登记")
    saved = re.search(rf"已登记志愿者:{NAME}\(编号 (\d+)\)", main_text(page))
    assert saved, main_text(page)
    key = saved.group(1)

    page.get_by_placeholder("搜索姓名或服务组织").fill(NAME)
    page.get_by_placeholder("搜索姓名或服务组织").press("Enter")
    wait_for_app(page)
    settle(page)
    rows = grid_rows(box(page, "volunteer:df") if box(page, "volunteer:df").count()
                     else page.locator("[data-testid='stDataFrame']").first)
    assert [(r["姓名"], r["联系电话"], r["所在社区"], r["已同意个人信息使用"]) for r in rows] == \
        [(NAME, MASKED, "听涛社区", "已同意")]

    goto(page, f"{server}/volunteer-register?id={key}")  # the volunteer's own record: the phone in full for staff
    assert page.get_by_role("heading", name=NAME).count()
    assert f"联系电话:{STORED}" in main_text(page)
    screenshot(page, "volunteers-staff-record")

    _tab(page, "志愿者招募")
    page.get_by_text("登记报名", exact=True).first.click()
    settle(page)
    choose(page, "volunteer:signup::call_id", "周末社区助餐志愿者招募")
    choose(page, "volunteer:signup::volunteer_id", NAME)
    _click(page, "登记报名")
    assert re.search(r"已登记报名\(编号 \d+\)", main_text(page)), main_text(page)
    # its list of sign-ups names the new volunteer, phone masked
    choose(page, "vol:call", "周末社区助餐志愿者招募")
    page.get_by_text(re.compile("已报名 6,")).wait_for()
    settle(page)
    # its list of sign-ups, exported to Excel: the new volunteer is there, the phone masked
    with page.expect_download() as got:
        page.locator("[data-testid='stDownloadButton']:visible").nth(1).get_by_role("button").click()  # calls', sign-ups'
    assert got.value.suggested_filename.startswith("报名名单-")
    got.value.save_as(tmp_path / "报名名单.xlsx")
    book = load_workbook(tmp_path / "报名名单.xlsx")
    names = [[str(c or "") for c in r] for r in book.active.iter_rows(values_only=True)]
    assert names[0][:2] == ["姓名", "联系电话"]
    assert [NAME, MASKED] in [r[:2] for r in names[1:]] and len(names) == 7
    assert not [r for r in names if STORED in r]
    screenshot(page, "volunteers-staff-signups")
    # the same volunteer twice: refused in Chinese
    choose(page, "volunteer:signup::call_id", "周末社区助餐志愿者招募")
    choose(page, "volunteer:signup::volunteer_id", NAME)
    _click(page, "登记报名")
    assert "该志愿者已报名此招募" in main_text(page)
    screenshot(page, "volunteers-staff-calls")
    _tab(page, "服务统计")
    assert "按服务组织" in main_text(page) and "按项目" in main_text(page)
    screenshot(page, "volunteers-staff-totals")
    assert not [w for w in ENGLISH if re.search(rf"\b{w}\b", main_text(page))]

    leader = new_context(browser).new_page()
    try:
        login(leader, server, "leader")
        goto(leader, f"{server}/volunteer-register?id={key}")  # the staff's screen
        assert leader.get_by_role("heading", name="无权访问").count()
        goto(leader, f"{server}/volunteer-overview?id={key}")
        assert leader.get_by_role("heading", name="志愿者概况").count()
        assert leader.get_by_role("heading", name=NAME).count()
        assert f"联系电话:{MASKED}" in main_text(leader) and STORED not in main_text(leader)
        assert not leader.get_by_role("button", name="登记", exact=True).count()
        assert not leader.get_by_role("button", name="登记报名", exact=True).count()
        assert not leader.get_by_role("tab", name="编辑", exact=True).count()
        screenshot(leader, "volunteers-leader-record")
    finally:
        leader.context.close()
