"""宣传 in a real browser (pages/res_publicity.py, with the demo 宣传台账 loaded): staff record a media report through
the form, reload, find it in the 台账 and see it counted in the brand matrix (its Excel export: 媒体报道 and 省级报道 one
more for the project's brand) and listed under the brand's 宣传报道; a 宣传台账 workbook with one bad row is refused in
Chinese as a whole — nothing written, the uploaded file still there — and a leader reads the totals without a form."""
from __future__ import annotations

import datetime as dt
import re

import duckdb
import pytest
from openpyxl import load_workbook

from tests import demo_cache
from tests.browser.conftest import (WAIT_MS, goto, login, main_text, new_context, screenshot, settle, wait_for_app)
from tests.browser.widgets import box, choose, fill, grid_rows, number

TITLE = "下沙“青葵伙伴”护航困境儿童成长(浙江日报)"
LINK = "https://zjrb.zjol.com.cn/html/2026-12/qingkui.html"
UPLOAD = ".st-key-xlsx-upload-publicity-import input[type='file']"
ENGLISH = ("Select all", "Choose an option", "Choose options", "No options to select", "None", "empty")


def _template_one(sql: str, params: list | None = None):
    con = duckdb.connect(str(demo_cache.template()), read_only=True)
    try:
        return con.execute(sql, params or []).fetchone()
    finally:
        con.close()


@pytest.fixture(scope="module")
def scenario():
    """A project of a brand, and the brand's media reports (in all, 省级) in the demo 台账."""
    pid, agreement, brand_id, brand = _template_one(
        "SELECT p.id, p.agreement_no, b.id, b.name FROM projects p JOIN brands b ON b.id = p.brand_id"
        " WHERE b.name = '青葵伙伴' ORDER BY p.id DESC LIMIT 1")
    media, province = _template_one(
        "SELECT count(*) FILTER (WHERE kind = '媒体报道'), count(*) FILTER (WHERE kind = '媒体报道' AND level = '省级')"
        " FROM publicity_items i WHERE coalesce(i.brand_id, (SELECT p.brand_id FROM projects p"
        " WHERE p.id = i.project_id)) = ?", [brand_id])
    return {"project": pid, "agreement": agreement, "brand": brand, "media": media, "province": province}



def _search(page, words: str) -> None:
    field = page.get_by_placeholder(re.compile("^搜索宣传标题"))
    field.fill(words)
    field.press("Enter")
    wait_for_app(page)
    settle(page)


def _matrix_row(page, tmp_path, brand: str) -> dict:
    """The brand's row of the brand matrix, read from its Excel export (every column, whatever the grid shows)."""
    with page.expect_download(timeout=WAIT_MS) as got:
        page.locator("[data-testid='stDownloadButton']:visible").first.get_by_role("button").click()
    assert got.value.suggested_filename.startswith("品牌矩阵-")
    path = tmp_path / got.value.suggested_filename
    got.value.save_as(path)
    header, *rows = [list(r) for r in load_workbook(path).active.iter_rows(values_only=True)]
    return next(dict(zip(header, r)) for r in rows if r[0] == brand)


def test_staff_record_a_media_report_and_the_brand_matrix_counts_it(server, page, scenario, tmp_path):
    login(page, server, "staff")
    goto(page, server + "/publicity-ledger?view=登记宣传")
    assert page.get_by_role("heading", name="宣传台账").count()
    fill(page, "publicity:new::title", TITLE)
    choose(page, "publicity:new::kind", "媒体报道")
    choose(page, "publicity:new::channel", "浙江日报")
    day = box(page, "publicity:new::published_on").locator("input")
    day.fill(dt.date.today().isoformat())
    day.press("Enter")
    page.keyboard.press("Escape")
    fill(page, "publicity:new::link", "zjrb.zjol.com.cn/html/qingkui")  # no scheme: refused, the input kept
    choose(page, "publicity:new::project_id", scenario["agreement"])
    number(page, "publicity:new::reads", 5600)
    page.get_by_role("button", name="登记", exact=True).click()
    wait_for_app(page)
    settle(page)
    assert "链接须为以 http:// 或 https:// 开头的完整网址" in main_text(page)
    assert box(page, "publicity:new::title").locator("input").input_value() == TITLE
    screenshot(page, "publicity-1-refused-link")
    fill(page, "publicity:new::link", LINK)
    page.get_by_role("button", name="登记", exact=True).click()
    wait_for_app(page)
    settle(page)
    saved = re.search(r"已登记宣传记录:.*\(编号 (\d+)\)", main_text(page))
    assert saved, main_text(page)
    screenshot(page, "publicity-2-saved")

    page.reload()  # F5: the record is stored, not only shown
    wait_for_app(page)
    settle(page)
    goto(page, server + "/publicity-ledger?view=宣传台账")
    _search(page, "护航困境儿童成长")
    rows = grid_rows(page.locator("[data-testid='stDataFrame']").first)
    assert [(r["宣传标题"], r["发布渠道"], r["媒体级别"]) for r in rows] == [(TITLE, "浙江日报", "省级")], rows
    goto(page, f"{server}/publicity-ledger?view=宣传台账&id={saved.group(1)}")
    assert f"原文链接:{LINK}" in main_text(page)
    assert page.get_by_role("link", name=re.compile("打开原文")).get_attribute("href") == LINK
    screenshot(page, "publicity-3-record")

    goto(page, server + "/brand-matrix")
    row = _matrix_row(page, tmp_path, scenario["brand"])
    assert row["媒体报道(篇)"] == scenario["media"] + 1 and row["省级报道(篇)"] == scenario["province"] + 1, row
    goto(page, server + "/brand-matrix?tab=宣传报道")
    choose(page, "brands:publicity", scenario["brand"])
    rows = grid_rows(box(page, "brands:publicity:rows:df") if box(page, "brands:publicity:rows:df").count()
                     else page.locator("[data-testid='stDataFrame']").filter(visible=True).last)
    assert rows and rows[0]["宣传标题"] == TITLE, rows[:2]  # newest first
    screenshot(page, "publicity-4-brand-matrix")
    assert not [w for w in ENGLISH if re.search(rf"\b{w}\b", main_text(page))]


def _sheet(template, tmp_path, name: str, rows: list[list]) -> str:
    wb = load_workbook(template)
    for row in rows:
        wb["导入数据"].append(row)
    path = tmp_path / name
    wb.save(path)
    return str(path)


def test_a_ledger_workbook_with_one_bad_row_is_refused_whole_and_a_leader_reads_the_totals(server, page, browser,
                                                                                           scenario, tmp_path):
    login(page, server, "staff")
    goto(page, server + "/publicity-ledger?view=从Excel导入")
    with page.expect_download(timeout=WAIT_MS) as info:
        page.get_by_role("button", name=re.compile("下载导入模板")).click()
    template = tmp_path / "宣传台账导入模板.xlsx"
    info.value.save_as(template)
    headers = [c.value for c in load_workbook(template)["导入数据"][1]]
    assert headers[:5] == ["宣传标题*", "宣传类别*", "发布渠道*", "媒体级别", "发布日期*"]
    day = (dt.date.today() - dt.timedelta(days=2)).isoformat()
    name = _template_one("SELECT a.title FROM projects p JOIN applications a ON a.id = p.application_id"
                         " WHERE p.id = ?", [scenario["project"]])[0]
    project = f"{scenario['agreement']} {name}"  # 关联项目 as its list names it: 「协议编号 项目名称」
    bad = _sheet(template, tmp_path, "宣传台账-有误.xlsx", [
        ["导入推文甲:青葵成长营开营", "日常服务信息", "荟益沙", None, day, "https://mp.weixin.qq.com/s/imp-a", project,
         None, 880, None],
        ["导入报道乙:下沙公益创投见闻", "媒体报道", "钱塘发布", None, day, "https://mp.weixin.qq.com/s/imp-b", project,
         None, 2300, None],
        ["导入推文丙:链接写错了", "日常服务信息", "下沙发布", None, day, "mp.weixin.qq.com/s/imp-c", project,
         None, None, None]])
    upload = page.locator(UPLOAD)
    upload.set_input_files(bad)
    settle(page)
    page.get_by_text("共 3 行:可导入 2 行,错误 1 行,已存在 0 行,文件内重复 0 行。").wait_for(timeout=WAIT_MS)
    report = grid_rows(page.locator("[data-testid='stDataFrame']").filter(visible=True).first)
    assert [(r["行号"], r["结果"]) for r in report] == [("2", "有效"), ("3", "有效"), ("4", "错误")], report
    assert report[2]["说明"].startswith("链接须为以 http:// 或 https:// 开头的完整网址"), report
    page.get_by_role("button", name="确认导入 2 行有效数据").click()
    wait_for_app(page)
    settle(page)
    main = main_text(page)
    assert "台账中有 1 行错误(第 4 行" in main and "本次未导入任何记录" in main, main
    assert "导入失败,未写入任何数据。" in main
    assert "宣传台账-有误.xlsx" in page.locator("[data-testid='stFileUploader']").first.inner_text()  # the input kept
    assert not [w for w in ENGLISH if re.search(rf"\b{w}\b", main)]
    screenshot(page, "publicity-5-import-refused")

    goto(page, server + "/publicity-ledger?view=宣传台账")  # nothing written
    _search(page, "导入推文甲")
    assert "没有符合条件的记录" in main_text(page)

    leader = new_context(browser).new_page()
    try:
        login(leader, server, "leader")
        goto(leader, server + "/publicity-ledger")  # the staff's screen
        assert leader.get_by_role("heading", name="无权访问").count()
        goto(leader, server + "/publicity-overview")
        assert leader.get_by_role("heading", name="宣传概况").count()
        text = main_text(leader)
        assert "日常服务信息" in text and "212 篇" in text and "按品牌" in text and "按渠道" in text
        assert not leader.get_by_role("button", name="登记", exact=True).count()
        screenshot(leader, "publicity-6-leader")
    finally:
        leader.context.close()
