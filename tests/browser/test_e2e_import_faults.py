"""Imports never crash, in a real browser (issue 14): on 批量导入 (the organisation import) staff upload a
workbook whose dates are written four ways plus one nonsense date, and see the Chinese per-row report
(every way of writing read, the nonsense one a row error); then a damaged workbook, and see the Chinese
message saying what to do, with no confirm button. Nothing is written: the server is stopped and the
organisations counted in its database.

The report is a canvas grid; with keyboard focus it also renders its visible cells as an accessible
<table>, which is what ``_grid_rows`` reads (as in test_e2e_capability).
"""
from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

import duckdb
from openpyxl import load_workbook

from tests.browser.conftest import WAIT_MS, login, new_context, open_screen, settle, start_server
from tests.browser.widgets import grid_rows
from tests.demo_cache import query_one

SHOTS = Path("/tmp/shots-import")
ENGLISH = ("Traceback", "Error", "Exception", "KeyError", "SchemaErrors", "/work/", "site-packages")




def _shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def _no_english(page) -> None:
    text = page.locator("[data-testid='stMain']").inner_text()
    for word in ENGLISH:
        assert word not in text, f"{word!r} shown on the import screen:\n{text[:2000]}"


def test_mixed_dates_and_a_damaged_file_end_in_chinese_reports(browser, tmp_path, request):
    base, stop = start_server(tmp_path, request.node.name)
    db_path = tmp_path / "hub.duckdb"
    ctx = new_context(browser)
    page = ctx.new_page()
    page.set_viewport_size({"width": 1400, "height": 1000})
    try:
        login(page, base, "staff")
        open_screen(page, "批量导入")
        with page.expect_download(timeout=WAIT_MS) as info:
            page.get_by_role("button", name=re.compile("下载导入模板")).click()
        template = tmp_path / "模板.xlsx"
        info.value.save_as(template)

        wb = load_workbook(template)
        ws = wb["导入数据"]
        headers = [c.value for c in ws[1]]
        col = {h.rstrip("*"): i for i, h in enumerate(headers)}
        dates = ["2024-03-01", "2024/3/2", "2024年3月3日", 45355, "去年春天"]  # 45355: Excel's day for 2024-03-04
        for i, day in enumerate(dates, start=1):
            cells = [None] * len(headers)
            for label, value in {"组织名称": f"下沙浏览器导入测试志愿队{i:02d}", "组织类型": "社区社会组织(备案)",
                                 "备案编号": f"下沙备字〔2024〕第9{i:02d}号", "登记/备案日期": day, "联系人": "王芳",
                                 "联系电话": "13857100000", "所属社区": "文海社区", "发展阶段": "初创期",
                                 "在册": "是"}.items():
                cells[col[label]] = value
            ws.append(cells)
        mixed = tmp_path / "日期写法不一.xlsx"
        wb.save(mixed)

        upload = page.locator("input[type='file']")
        upload.set_input_files(str(mixed))
        settle(page)
        page.get_by_text("共 5 行:可导入 4 行,错误 1 行,已存在 0 行,文件内重复 0 行。").wait_for(timeout=WAIT_MS)
        report = grid_rows(page.locator("[data-testid='stDataFrame']").first)
        assert [(r["行号"], r["结果"]) for r in report] == [("2", "有效"), ("3", "有效"), ("4", "有效"), ("5", "有效"),
                                                          ("6", "错误")], report
        assert report[4]["字段"] == "登记/备案日期"
        assert report[4]["说明"] == "登记/备案日期格式不正确:请填写日期,如 2024-03-01、2024/3/1 或 2024年3月1日"
        page.get_by_role("button", name="确认导入 4 行有效数据").wait_for(timeout=WAIT_MS)
        _no_english(page)
        _shot(page, "1-mixed-dates-report")

        # a damaged workbook (its sheet cut off mid-row): refused in Chinese, the confirm button gone
        raw = io.BytesIO(mixed.read_bytes())
        damaged = tmp_path / "已损坏.xlsx"
        with zipfile.ZipFile(raw) as src, zipfile.ZipFile(damaged, "w", zipfile.ZIP_DEFLATED) as out:
            for item in src.infolist():
                data = src.read(item)
                out.writestr(item, data[: len(data) // 2] if item.filename == "xl/worksheets/sheet1.xml" else data)
        upload.set_input_files(str(damaged))
        settle(page)
        alert = page.locator("[data-testid='stAlert']",
                             has_text="工作簿已损坏,无法读取:请在 Excel 或 WPS 中打开后另存为 .xlsx 工作簿,再重新上传")
        alert.wait_for(timeout=WAIT_MS)
        assert page.get_by_role("button", name=re.compile("确认导入")).count() == 0
        assert page.locator("[data-testid='stDataFrame']").count() == 0
        _no_english(page)
        _shot(page, "2-damaged-file")
    finally:
        ctx.close()
        stop()

    # nothing written: the demo's organisations only, none of the file's, and no import in the audit log
    con = duckdb.connect(str(db_path), read_only=True)
    try:
        assert con.execute("SELECT count(*) FROM organisations").fetchone() == query_one(
            "SELECT count(*) FROM organisations")
        assert con.execute("SELECT count(*) FROM organisations WHERE name LIKE '下沙浏览器导入测试%'").fetchone()[0] == 0
        assert con.execute("SELECT count(*) FROM audit_log WHERE action = 'import'").fetchone()[0] == 0
    finally:
        con.close()
