"""居民满意度调查 in a real browser — the issue's acceptance test "survey responses imported from Excel change the
project's evaluation item": staff download the survey template of a running project, upload the typed-in paper forms
with one bad row (refused in Chinese: the whole file waits, nothing written), fix and import them, see the project's 满意率; then open the
project's evaluation form, see the survey result and the suggested score of 服务成效与满意度 (满分 × 满意率) prefilled,
name a third-party evaluating organisation, save, and the stored evaluation holds that score and that party. A leader
reads the results without any form."""
from __future__ import annotations

import datetime as dt
import re

import duckdb
import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect

from tests import demo_cache
from tests.browser.conftest import (WAIT_MS, goto, login, main_text, new_context, screenshot, settle, start_server,
                                    wait_for_app)
from tests.browser.widgets import box, choose, fill, grid_rows, number

ENGLISH = ("Select all", "Choose an option", "Choose options", "No options to select", "None", "empty")


def _template_rows(sql: str, params: list) -> list[tuple]:
    con = duckdb.connect(str(demo_cache.template()), read_only=True)
    try:
        return con.execute(sql, params).fetchall()
    finally:
        con.close()


@pytest.fixture(scope="module")
def scenario():
    """The first running project (its final evaluation is due; no survey answers yet) and a partner to name."""
    pid, agreement, community = _template_rows(
        "SELECT p.id, p.agreement_no, p.communities[1] FROM projects p WHERE p.state = 'active' ORDER BY p.id LIMIT 1",
        [])[0]
    partner = _template_rows("SELECT id, name FROM partners ORDER BY id LIMIT 1", [])[0]
    return {"project": pid, "agreement": agreement, "community": community, "partner": partner}


@pytest.fixture(scope="module")
def server(browser, tmp_path_factory):
    workdir = tmp_path_factory.mktemp("hubdesk")
    base, stop = start_server(workdir, "res_surveys")
    try:
        yield base, stop, workdir
    finally:
        stop()


def _sheet(template, path, rows: list[list]) -> str:
    wb = load_workbook(template)
    for row in rows:
        wb["导入数据"].append(row)
    wb.save(path)
    return str(path)


def _form(scale: int, day: str, community: str) -> list:
    """One paper form: 9 answers on the 1–5 scale, 是 to 推荐, a suggestion."""
    return [day, community, "一老一小", *([scale] * 9), "是", "希望多办几次"]


def test_survey_responses_imported_from_excel_change_the_projects_evaluation_item(server, page, browser, scenario,
                                                                                  tmp_path):
    base, stop, workdir = server
    pid, community = scenario["project"], scenario["community"]
    login(page, base, "staff")
    goto(page, f"{base}/satisfaction-surveys?project={pid}&view=Excel导入")
    assert page.get_by_role("heading", name="居民满意度调查").count()
    with page.expect_download(timeout=WAIT_MS) as info:
        page.get_by_role("button", name=re.compile("下载导入模板")).click()
    template = tmp_path / "满意度答卷导入模板.xlsx"
    info.value.save_as(template)
    headers = [c.value for c in load_workbook(template)["导入数据"][1]]
    assert headers[:4] == ["填写日期*", "受访者社区*", "受访人群", "1. 您对本项目服务内容是否符合您的需要感到满意吗*"]
    assert headers[-1] == "11. 您对本项目还有什么意见或建议" and len(headers) == 14

    day = (dt.date.today() - dt.timedelta(days=2)).isoformat()
    wrong = _form(4, day, community)
    wrong[4] = 9  # question 2 answered 9
    upload = page.locator(f".st-key-xlsx-upload-survey-import-{pid} input[type='file']")
    upload.set_input_files(_sheet(template, tmp_path / "有误.xlsx", [_form(5, day, community), wrong,
                                                                      _form(3, day, community)]))
    settle(page)
    page.get_by_text("共 3 行:可导入 0 行,错误 1 行,已存在 0 行,文件内重复 0 行。").wait_for(timeout=WAIT_MS)
    report = grid_rows(page.locator("[data-testid='stDataFrame']").filter(visible=True).first)
    assert [(r["行号"], r["结果"]) for r in report] == [("2", "待改正"), ("3", "错误"), ("4", "待改正")], report
    assert report[1]["字段"].startswith("2. ") and "应在1到5之间" in report[1]["说明"], report
    assert "没有可导入的行:1 行有错误" in main_text(page)  # the whole file waits: no button to import part of it
    assert not page.get_by_role("button", name=re.compile("确认导入")).count()
    screenshot(page, "surveys-1-bad-row")

    # fixed: four respondents, 27 of their 36 answers on the scale are 4 or 5 -> 满意率 75%
    fixed = _sheet(template, tmp_path / "已改正.xlsx", [_form(5, day, community), _form(4, day, community),
                                                        _form(3, day, community), _form(5, day, community)])
    upload.set_input_files(fixed)
    settle(page)
    page.get_by_text("共 4 行:可导入 4 行,错误 0 行,已存在 0 行,文件内重复 0 行。").wait_for(timeout=WAIT_MS)
    page.get_by_role("button", name="确认导入 4 行有效数据").click()
    wait_for_app(page)
    settle(page)
    page.get_by_text("已导入 4 条满意度答卷。").wait_for(timeout=WAIT_MS)
    screenshot(page, "surveys-2-imported")
    # the same file uploaded again the next morning (a new visit): refused, nothing counted twice
    goto(page, f"{base}/satisfaction-surveys?project={pid}&view=Excel导入")
    upload.set_input_files(fixed)
    settle(page)
    page.get_by_role("button", name="确认导入 4 行有效数据").click()
    wait_for_app(page)
    settle(page)
    page.get_by_text("已全部导入过", exact=False).first.wait_for(timeout=WAIT_MS)
    assert "4 份答卷已全部导入过" in main_text(page)
    screenshot(page, "surveys-2b-same-file-refused")

    goto(page, f"{base}/satisfaction-surveys?project={pid}")  # F5 on the results: what is stored
    page.get_by_text("逐题结果", exact=True).wait_for(timeout=WAIT_MS)
    page.locator("[data-testid='stMetricValue']", has_text="75.0%").first.wait_for(timeout=WAIT_MS)
    metrics = page.locator("[data-testid='stMetricValue']").all_inner_texts()
    assert "4 份" in metrics and "75.0%" in metrics, metrics
    assert not [w for w in ENGLISH if re.search(rf"\b{w}\b", main_text(page))]
    screenshot(page, "surveys-3-results")
    for tab, name in (("录入答卷", "surveys-3b-entry"), ("问卷管理", "surveys-3c-questionnaires")):
        page.get_by_role("tab", name=tab, exact=True).first.click()
        settle(page)
        assert not [w for w in ENGLISH if re.search(rf"\b{w}\b", main_text(page))]
        screenshot(page, name)

    # the project's evaluation form: the survey's result beside the item, its suggested score prefilled
    goto(page, f"{base}/project-file?id={pid}&tab=评估")
    ekey = f"eval:{pid}:final"
    page.get_by_text(re.compile("建议得分 = 满分 25 × 满意率 75.0% = 18.8 分")).first.wait_for(timeout=WAIT_MS)
    # the field as drawn once the page is quiet (under load a read can land while the form is still being drawn)
    expect(box(page, f"{ekey}::score_2").locator("input")).to_have_value("18.80", timeout=WAIT_MS)
    box(page, f"{ekey}::score_2").scroll_into_view_if_needed()
    screenshot(page, "surveys-4-evaluation-prefilled")
    field = box(page, f"{ekey}::eval_date").locator("input")
    field.fill(dt.date.today().isoformat())
    field.press("Enter")
    page.keyboard.press("Escape")
    choose(page, f"{ekey}::method", "实地")
    fill(page, f"{ekey}::evaluator", "第三方评估组")
    choose(page, f"{ekey}::evaluator_partner_id", scenario["partner"][1])
    for i, pts in ((1, 28), (3, 18), (4, 13), (5, 9)):
        number(page, f"{ekey}::score_{i}", pts)
    fill(page, f"{ekey}::conclusion", "居民满意度高,执行规范")
    page.locator("[data-testid='stForm']").filter(has=box(page, f"{ekey}::evaluator")) \
        .get_by_role("button", name="保存末期评估").click()
    settle(page)
    page.locator("[data-testid='stAlert']", has_text="已保存末期评估").first.wait_for(timeout=WAIT_MS)
    assert "86.8 分,A 等,通过" in main_text(page)
    rows = grid_rows(page.locator("[data-testid='stDataFrame']").filter(visible=True).first)
    final = [r for r in rows if r["评估类型"] == "末期评估"]
    assert final and final[0]["评估方"] == scenario["partner"][1] and final[0]["评估人"] == "第三方评估组", rows
    screenshot(page, "surveys-5-evaluation-saved")

    leader = new_context(browser).new_page()
    try:
        login(leader, base, "leader")
        goto(leader, f"{base}/satisfaction-overview?project={pid}")
        assert leader.get_by_role("heading", name="居民满意度概况").count()
        leader.get_by_text("逐题结果", exact=True).wait_for(timeout=WAIT_MS)
        assert not leader.get_by_role("button", name="保存答卷").count()
        assert not leader.get_by_role("tab", name="Excel导入").count()
        screenshot(leader, "surveys-6-leader")
    finally:
        leader.context.close()

    stop()  # the stored evaluation, read from the server's database once it is closed
    con = duckdb.connect(str(workdir / "hub.duckdb"), read_only=True)
    try:
        item_scores, partner, total = con.execute(
            "SELECT item_scores, evaluator_partner_id, total_score FROM evaluations WHERE project_id = ?"
            " AND kind = 'final'", [pid]).fetchone()
        answers = con.execute("SELECT count(*) FROM survey_responses WHERE project_id = ?", [pid]).fetchone()[0]
    finally:
        con.close()
    assert '"服务成效与满意度": 18.8' in item_scores and partner == scenario["partner"][0] and total == 86.8
    assert answers == 4  # the refused file wrote nothing
