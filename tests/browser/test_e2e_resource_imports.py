"""志愿服务时长 imported from Excel in a real browser (志愿者 → 服务时长): staff download the template, upload the
sheet an organisation sent with one bad row (an activity number not on the ledger) and are refused that row in
Chinese, the good row waiting (待改正), nothing written; they fix it, upload again, import, reload, and see the hours on the activity and the
ledger's volunteer count from the records. And a claimed contribution corrected on 伙伴贡献与认领: its partner is
kept (refused in Chinese), its corrected amount moves the project's 配套资金:企业 (seen in the project file after F5)."""
from __future__ import annotations

import re

import duckdb
import pytest
from openpyxl import load_workbook

from tests import demo_cache
from tests.browser.conftest import WAIT_MS, goto, login, main_text, screenshot, settle, wait_for_app
from tests.browser.widgets import box, choose, grid_rows, number

UPLOAD = ".st-key-xlsx-upload-volunteer-service-import input[type='file']"  # the service sheet's, not the register's
ENGLISH = ("Select all", "Choose an option", "Choose options", "No options to select", "None", "empty")


def _template_rows(sql: str, params: list) -> list[tuple]:
    con = duckdb.connect(str(demo_cache.template()), read_only=True)
    try:
        return con.execute(sql, params).fetchall()
    finally:
        con.close()


@pytest.fixture(scope="module")
def scenario():
    """An activity of a running project with service records, and two volunteers with none there whose register
    label 「姓名(社区)」 names one volunteer only."""
    act = _template_rows(
        "SELECT a.id, a.project_id, p.agreement_no, (SELECT count(DISTINCT volunteer_id) FROM volunteer_services s"
        " WHERE s.activity_id = a.id) FROM activities a JOIN projects p ON p.id = a.project_id"
        " WHERE p.state = 'active' AND a.volunteers > 0 ORDER BY a.activity_date DESC, a.id DESC LIMIT 1", [])[0]
    people = _template_rows(
        "SELECT v.id, v.name, v.community FROM volunteers v WHERE v.id NOT IN (SELECT volunteer_id FROM"
        " volunteer_services WHERE activity_id = ?) AND (SELECT count(*) FROM volunteers w WHERE w.name = v.name"
        " AND w.community = v.community) = 1 ORDER BY v.id LIMIT 2", [act[0]])
    claimed = _template_rows("SELECT c.id, c.project_id, CAST(c.amount AS DOUBLE), p.funds_enterprise::DOUBLE"
                             " FROM partner_contributions c JOIN projects p ON p.id = c.project_id"
                             " WHERE c.claim_id IS NOT NULL ORDER BY c.id LIMIT 1", [])[0]
    return {"activity": act[0], "project": act[1], "agreement": act[2], "before": act[3], "claimed": claimed,
            "people": [(vid, f"{name}({community})", name) for vid, name, community in people]}



def _sheet(template, tmp_path, name: str, rows: list[list]) -> str:
    wb = load_workbook(template)
    for row in rows:
        wb["导入数据"].append(row)
    path = tmp_path / name
    wb.save(path)
    return str(path)


def _open_import(page) -> None:
    page.get_by_text("从Excel导入服务时长", exact=True).first.click()  # the expander
    settle(page)


def test_a_service_hours_sheet_with_a_bad_row_is_refused_in_chinese_fixed_and_imported(server, page, scenario,
                                                                                        tmp_path):
    base = server
    (a_id, a_label, a_name), (b_id, b_label, b_name) = scenario["people"]
    act = scenario["activity"]
    login(page, base, "staff")
    goto(page, base + "/volunteer-register?view=服务时长")
    _open_import(page)
    with page.expect_download(timeout=WAIT_MS) as info:
        page.get_by_role("button", name=re.compile("下载导入模板")).click()
    template = tmp_path / "志愿服务时长导入模板.xlsx"
    info.value.save_as(template)
    assert [c.value for c in load_workbook(template)["导入数据"][1]] == \
        ["服务志愿者*", "服务活动编号*", "服务时长(小时)*", "服务角色*", "服务备注"]

    bad = _sheet(template, tmp_path, "服务时长-有误.xlsx", [[a_label, act, 2.5, "活动协助", "签到引导"],
                                                           [b_label, 99999999, 3, "后勤保障", None]])
    upload = page.locator(UPLOAD)
    upload.set_input_files(bad)
    settle(page)
    page.get_by_text("共 2 行:可导入 0 行,错误 1 行,已存在 0 行,文件内重复 0 行。").wait_for(timeout=WAIT_MS)
    report = grid_rows(page.locator("[data-testid='stDataFrame']").filter(visible=True).first)
    assert [(r["行号"], r["结果"]) for r in report] == [("2", "待改正"), ("3", "错误")], report  # the whole sheet waits
    assert "服务台账中没有编号 99999999 的活动" in report[1]["说明"], report
    assert page.get_by_role("button", name=re.compile("确认导入")).count() == 0  # nothing can be written
    main = main_text(page)
    assert not [w for w in ENGLISH if re.search(rf"\b{w}\b", main)]
    screenshot(page, "resource-imports-1-bad-row")

    fixed = _sheet(template, tmp_path, "服务时长-已改正.xlsx", [[a_label, act, 2.5, "活动协助", "签到引导"],
                                                             [b_label, act, 3, "后勤保障", None]])
    upload.set_input_files(fixed)
    settle(page)
    page.get_by_text("共 2 行:可导入 2 行,错误 0 行,已存在 0 行,文件内重复 0 行。").wait_for(timeout=WAIT_MS)
    page.get_by_role("button", name="确认导入 2 行有效数据").click()
    wait_for_app(page)
    settle(page)
    page.get_by_text("已导入 2 条服务记录。").wait_for(timeout=WAIT_MS)
    screenshot(page, "resource-imports-2-imported")

    # F5, then the activity on the 服务时长 tab: the two volunteers with their hours, the ledger's count from the records
    page.reload()
    wait_for_app(page)
    settle(page)
    choose(page, "vol:project", scenario["agreement"])
    choose(page, "vol:activity", f"编号 {act},")
    expected = scenario["before"] + 2
    page.get_by_text(f"台账中的志愿者人数按服务记录计为 {expected} 人。").wait_for(timeout=WAIT_MS)
    rows = grid_rows(page.locator("[data-testid='stDataFrame']").filter(visible=True).first)
    hours = {r["志愿者"]: r["服务时长(小时)"] for r in rows}
    assert hours.get(a_name) in ("2.5", "2.50") and hours.get(b_name) in ("3", "3.0", "3.00"), rows
    screenshot(page, "resource-imports-3-hours")

    # the same sheet again: both rows 已存在, nothing to import
    goto(page, base + "/volunteer-register?view=服务时长")
    _open_import(page)
    page.locator(UPLOAD).set_input_files(fixed)
    settle(page)
    page.get_by_text("共 2 行:可导入 0 行,错误 0 行,已存在 2 行,文件内重复 0 行。").wait_for(timeout=WAIT_MS)
    assert page.get_by_role("button", name=re.compile("确认导入")).count() == 0
    screenshot(page, "resource-imports-4-again")



def test_a_claimed_contributions_amount_is_corrected_and_the_project_follows(server, page, scenario):
    base = server
    cid, pid, amount, funds = scenario["claimed"]
    login(page, base, "staff")
    goto(page, f"{base}/partner-claims?tab=贡献记录&contribution={cid}")
    assert "来自企业公益认领" in main_text(page)  # 详情 says what an edit may change
    screenshot(page, "resource-imports-5-claimed-contribution")
    page.get_by_role("tab", name="编辑", exact=True).first.click()
    settle(page)
    choose(page, "contribution:edit::partner_id", "钱塘融媒体中心")  # another partner: refused, the claim decided it
    page.get_by_role("button", name="保存修改", exact=True).click()
    wait_for_app(page)
    settle(page)
    page.get_by_text("由认领项目决定,不能修改", exact=False).first.wait_for(timeout=WAIT_MS)
    screenshot(page, "resource-imports-6-partner-kept")

    goto(page, f"{base}/partner-claims?tab=贡献记录&contribution={cid}")  # afresh: the stored partner again
    page.get_by_role("tab", name="编辑", exact=True).first.click()
    settle(page)
    number(page, "contribution:edit::amount", int(amount) + 800)
    page.get_by_role("button", name="保存修改", exact=True).click()
    wait_for_app(page)
    settle(page)
    page.get_by_text("已保存修改").first.wait_for(timeout=WAIT_MS)
    screenshot(page, "resource-imports-7-amount-corrected")

    goto(page, f"{base}/project-file?id={pid}")  # a new page load: what is stored
    settle(page)
    shown = box(page, f"agreement:{pid}::funds_enterprise").locator("input").input_value()
    assert float(shown.replace(",", "")) == pytest.approx(funds + 800)
    screenshot(page, "resource-imports-8-project-file")  # (its timeline event: tests/test_resource_imports.py)
