"""服务对象 in a real browser (pages/res_beneficiaries.py, with the demo people loaded): the 负责社工 of 青葵伙伴's running
project opens its roster by URL and sees the 12 children (after F5 too; its Excel export holds the 12, every phone
masked); a second browser, signed in as a staff member of no project, opens the same URL and is refused in Chinese —
told whom to ask — with no name on the screen; a leader reaches the counts only."""
from __future__ import annotations

import re

import pytest
from openpyxl import load_workbook

from core.demo import res_beneficiaries as demo
from playwright.sync_api import expect

from tests.browser.conftest import goto, login, main_text, new_context, screenshot, settle, start_server, wait_for_app
from tests.browser.widgets import grid_rows

CHILDREN = [c[0] for c in demo.CHILDREN]
OUTSIDER, OUTSIDER_PW = "zhaoli", "Zhao-li-2026-x"
ENGLISH = ("Select all", "Choose an option", "Choose options", "No options to select", "None", "empty")
PREPARE = f"""
import os, pathlib
from core.platform import users
from core.platform.actor import Actor
from core.platform.db import get_db
users.create({{"username": "{OUTSIDER}", "name": "赵莉(工作人员)", "email": "zhaoli@demo.hubdesk", "roles": ["staff"],
              "active": True}}, Actor("admin", ("admin",)), password="{OUTSIDER_PW}")
qk = get_db().scalar("SELECT p.id FROM projects p JOIN brands b ON b.id = p.brand_id WHERE b.name = '{demo.BRAND_QK}'"
                     " AND p.state = 'active' ORDER BY p.start_date DESC LIMIT 1")
pathlib.Path(os.environ["HUBDESK_DB"]).with_name("qk.txt").write_text(str(qk))
"""


@pytest.fixture(scope="module")
def server(browser, tmp_path_factory):
    # the demo template holds the demo people and their 负责社工 (core.demo.resources); one more staff account
    workdir = tmp_path_factory.mktemp("hubdesk")
    base, stop = start_server(workdir, "res_beneficiaries", PREPARE)
    try:
        yield base, int((workdir / "qk.txt").read_text())
    finally:
        stop()


def test_the_social_worker_sees_the_twelve_children_and_another_staff_member_is_refused(server, page, browser,
                                                                                         tmp_path):
    base, qk = server
    url = f"{base}/beneficiary-register?project={qk}"
    login(page, base, "staff")
    goto(page, url)
    assert page.get_by_role("heading", name="服务对象", exact=True).count()
    page.get_by_text("共 12 人").wait_for()
    assert "您不是该项目的负责社工" not in main_text(page)
    screenshot(page, "beneficiaries-staff-roster")
    page.reload()  # F5 keeps the project
    wait_for_app(page)
    settle(page)
    page.get_by_text("共 12 人").wait_for()
    with page.expect_download() as got:
        page.locator("[data-testid='stDownloadButton']:visible").first.get_by_role("button").click()
    assert got.value.suggested_filename.startswith("服务对象名册-")
    got.value.save_as(tmp_path / "名册.xlsx")
    rows = [[str(c or "") for c in r] for r in load_workbook(tmp_path / "名册.xlsx").active.iter_rows(values_only=True)]
    head = rows[0]
    assert head[:3] == ["编号", "姓名", "性别"]
    names, phones = [r[head.index("姓名")] for r in rows[1:]], [r[head.index("联系电话")] for r in rows[1:]]
    assert sorted(names) == sorted(CHILDREN)
    assert all(re.fullmatch(r"\d{3}\*{4}\d{4}", p) for p in phones if p) and any(phones)
    assert not [w for w in ENGLISH if re.search(rf"\b{w}\b", main_text(page))]
    goto(page, f"{base}/project-file?id={qk}&tab=服务台账")  # the project file: the counts beside the ledger
    page.get_by_text("服务对象(实名):登记 12 人").wait_for()
    settle(page)
    screenshot(page, "beneficiaries-project-file")
    goto(page, f"{base}/project-file?id={qk}&tab=协议与里程碑")  # its 负责社工, and the form to change them
    page.get_by_text("负责社工:王敏(工作人员)").wait_for()
    assert page.get_by_text("调整负责社工").count()
    settle(page)
    screenshot(page, "beneficiaries-project-staff")

    other = new_context(browser).new_page()
    try:
        login(other, base, OUTSIDER, OUTSIDER_PW)
        goto(other, url)
        other.get_by_text("您不是该项目的负责社工").wait_for()
        shown = main_text(other)
        assert "请联系管理员或该项目的负责社工(王敏(工作人员))" in shown
        assert not [n for n in CHILDREN if n in shown]
        assert not other.locator("[data-testid='stDataFrame']").count()
        assert not other.get_by_role("button", name="导出Excel").count()
        screenshot(other, "beneficiaries-other-staff-refused")
    finally:
        other.context.close()

    leader = new_context(browser).new_page()
    try:
        login(leader, base, "leader")
        goto(leader, url)
        assert leader.get_by_role("heading", name="无权访问").count()
        goto(leader, f"{base}/beneficiary-overview")
        assert leader.get_by_role("heading", name="服务对象概况").count()
        leader.get_by_text("按服务人群").wait_for()
        shown = main_text(leader)
        assert "只显示人数统计" in shown and not [n for n in CHILDREN if n in shown]
        screenshot(leader, "beneficiaries-leader-counts")
    finally:
        leader.context.close()


def test_taking_a_child_off_an_activitys_attendance_asks_first_cancel_keeps_and_confirm_removes(server, page):
    """Removing a name from the attendance deletes that record: 保存出勤 asks first, naming whom; 取消 keeps
    everyone, 确认移除出勤 removes the one (after F5 too)."""
    base, qk = server
    login(page, base, "staff")
    goto(page, f"{base}/beneficiary-register?project={qk}&view=活动出勤")
    chips = page.locator("[data-testid='stForm'] [data-testid='stMultiSelectTagsContainer'] [data-tag]")
    chips.first.wait_for()
    before = chips.count()
    assert before >= 1
    name = chips.first.get_attribute("aria-label")
    assert name in CHILDREN

    def save() -> None:
        page.get_by_role("button", name="保存出勤", exact=True).click()
        wait_for_app(page)
        settle(page)

    chips.first.locator("[aria-label^='Remove']").click()  # the chip's ×
    expect(chips).to_have_count(before - 1)
    save()
    page.get_by_text("此操作不可撤销").wait_for()
    assert f"移除 1 人:{name}" in main_text(page)
    screenshot(page, "beneficiaries-attendance-confirm")
    page.get_by_role("button", name="取消", exact=True).click()
    wait_for_app(page)
    settle(page)
    # nothing removed: the stored attendance (the activity's label and the table) still has everyone; the form keeps
    # what was typed, as after any refusal
    present = [r["姓名"] for r in grid_rows(page.locator("[data-testid='stDataFrame']").first)]
    assert name in present and len(present) == before and "已保存出勤" not in main_text(page)
    assert "此操作不可撤销" not in main_text(page)
    expect(chips).to_have_count(before - 1)

    save()  # again, and this time 确认
    page.get_by_role("button", name="确认移除出勤", exact=True).click()
    wait_for_app(page)
    settle(page)
    page.get_by_text("移除 1 人", exact=False).first.wait_for()
    page.reload()  # F5: stored
    settle(page)
    present = [r["姓名"] for r in grid_rows(page.locator("[data-testid='stDataFrame']").first)]
    assert name not in present and len(present) == before - 1
    expect(chips).to_have_count(before - 1)
    assert name not in [chips.nth(i).get_attribute("aria-label") for i in range(chips.count())]
    screenshot(page, "beneficiaries-attendance-removed")
