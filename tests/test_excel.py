"""Excel export without formula injection, and the guarded reader of uploaded workbooks."""
from __future__ import annotations

import datetime as dt
import io

import numpy as np
import pandas as pd
import pytest
from openpyxl import load_workbook

from core.platform import excel
from core.platform.excel import WorkbookRefused, neutralise, read_sheet, workbook_bytes

MB = 1024 * 1024


def cells(data: bytes, sheet: int | str = 0) -> list[tuple]:
    wb = load_workbook(io.BytesIO(data))
    ws = wb.worksheets[sheet] if isinstance(sheet, int) else wb[sheet]
    return list(ws.iter_rows(values_only=True))


@pytest.mark.parametrize("text", [
    "=1+1", '=HYPERLINK("http://evil.example","点我")', "+86 571 8600 1234", "-5", "@SUM(A1:A9)",
    "\t=1+1", "\r=1+1", "=cmd|' /C calc'!A0",
])
def test_cells_that_a_spreadsheet_would_run_are_neutralised(text):
    data = workbook_bytes({"导出": pd.DataFrame({"备注": [text]})})
    value = cells(data)[1][0]
    assert value.startswith("'")
    # openpyxl's own XML reader turns a stored carriage return into a line feed; with lxml (python-docx needs it)
    # the carriage return is read back as stored
    assert value in ("'" + text, "'" + text.replace("\r", "\n"))


@pytest.mark.parametrize("text", [
    "下沙街道文海社区邻里互助协会", "51330100MJ0000000X", "a=b", "电话:0571-86001234", "100%", " 前面有空格",
    "<script>alert(1)</script>", "😀",
])
def test_ordinary_text_is_unchanged(text):
    assert cells(workbook_bytes({"导出": pd.DataFrame({"备注": [text]})}))[1][0] == text


def test_values_of_every_kind():
    df = pd.DataFrame({
        "组织名称": ["甲协会", "=乙"],
        "编号": [1, -2],
        "金额": [1.5, float("nan")],
        "在册": [True, False],
        "日期": [dt.date(2024, 3, 1), None],
        "服务领域": [["志愿服务", "一老一小"], []],
        "领域2": [np.array(["=恶意", "普通"], dtype=object), None],
        "时间": [pd.Timestamp("2024-03-01 08:30"), pd.NaT],
    })
    rows = cells(workbook_bytes({"导出": df}))
    assert rows[0] == ("组织名称", "编号", "金额", "在册", "日期", "服务领域", "领域2", "时间")
    assert rows[1] == ("甲协会", 1, 1.5, "是", dt.datetime(2024, 3, 1), "志愿服务、一老一小", "'=恶意、普通",
                       dt.datetime(2024, 3, 1, 8, 30))
    assert rows[2] == ("'=乙", -2, None, "否", None, None, None, None)


def test_headers_are_neutralised_too():
    rows = cells(workbook_bytes({"导出": pd.DataFrame({"=evil": [1], "正常": [2]})}))
    assert rows[0] == ("'=evil", "正常")


def test_one_sheet_per_frame_with_titles_cut_to_31_characters():
    long = "很长的工作表名称" * 5
    data = workbook_bytes({"台账": pd.DataFrame({"a": [1]}), long: pd.DataFrame({"b": [2]})})
    wb = load_workbook(io.BytesIO(data))
    assert wb.sheetnames == ["台账", long[:31]]
    assert wb["台账"].freeze_panes == "A2"


def test_empty_frame_gives_header_only():
    assert cells(workbook_bytes({"空": pd.DataFrame(columns=["组织名称", "联系人"])})) == [("组织名称", "联系人")]


def test_neutralise_leaves_non_text_alone():
    assert neutralise(-5) == -5
    assert neutralise(None) is None
    assert neutralise("") == ""
    assert neutralise("-") == "'-"


# ---- reading ----------------------------------------------------------------------------------

def test_exported_workbook_reads_back():
    df = pd.DataFrame({"组织名称": ["甲协会", "乙协会"], "编号": [1, 2]})
    sheet = read_sheet(workbook_bytes({"x": df}), max_rows=10, max_bytes=MB)
    assert sheet.headers == ["组织名称", "编号"]
    assert sheet.rows == [["甲协会", 1], ["乙协会", 2]]
    assert sheet.row_numbers == [2, 3]


def test_short_rows_are_padded_and_headers_stripped():
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append([" 组织名称 ", None, "联系人"])
    ws.append(["甲协会"])
    buf = io.BytesIO()
    wb.save(buf)
    sheet = read_sheet(buf.getvalue(), max_rows=10, max_bytes=MB)
    assert sheet.headers == ["组织名称", "", "联系人"]
    assert sheet.rows == [["甲协会", None, None]]


def test_reader_limits():
    data = workbook_bytes({"x": pd.DataFrame({"a": list(range(5))})})
    assert len(read_sheet(data, max_rows=5, max_bytes=MB).rows) == 5
    with pytest.raises(WorkbookRefused, match="^数据超过 4 行"):
        read_sheet(data, max_rows=4, max_bytes=MB)
    with pytest.raises(WorkbookRefused, match="^文件过大"):
        read_sheet(data, max_rows=5, max_bytes=len(data) - 1)


def test_zip_bomb_is_refused():
    import zipfile

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("xl/workbook.xml", "<workbook/>")
        zf.writestr("xl/worksheets/sheet1.xml", b"\x00" * (50 * 1024))
    with pytest.raises(WorkbookRefused, match="工作簿解压后过大"):
        read_sheet(buf.getvalue(), max_rows=10, max_bytes=1024)


def test_formula_start_characters():
    assert excel.FORMULA_START == ("=", "+", "-", "@", "\t", "\r")


def test_money_columns_show_thousands_separators_and_stay_numbers():
    """Columns whose labels are declared money (schemas.columns.format_of)."""
    from decimal import Decimal

    import schemas.application  # noqa: F401  (declares 预算:人员(元) money)

    df = pd.DataFrame({"编号": [1234, 2], "资助金额(元)": [24800.0, 24800.5], "预算:人员(元)": [Decimal("3000"), None],
                       "得分": [85.5, 90.0]})
    ws = load_workbook(io.BytesIO(workbook_bytes({"s": df}))).active
    rows = list(ws.iter_rows(min_row=2))
    assert [c.value for c in rows[0]] == [1234, 24800, 3000, 85.5]  # numbers, so sums still work
    assert rows[0][1].number_format == "#,##0" and rows[1][1].number_format == "#,##0.00"
    assert rows[0][2].number_format == "#,##0"
    assert rows[0][0].number_format == "General"  # an id is not money: no separators
    assert rows[0][3].number_format == "General"


def test_an_empty_cell_of_a_nullable_number_column_is_an_empty_cell():
    """DuckDB hands an INTEGER column with NULLs to pandas as Int64 with pd.NA: openpyxl refused it ("Cannot convert
    <NA> to Excel") and the whole export failed (e.g. 志愿者招募 without an activity number)."""
    import pandas as pd
    from openpyxl import load_workbook
    from core.platform.excel import workbook_bytes

    df = pd.DataFrame({"服务活动编号": pd.array([12, None], dtype="Int64"), "人数": pd.array([None, 3.5], dtype="Float64")})
    ws = load_workbook(io.BytesIO(workbook_bytes({"导出": df}))).active
    assert [list(r) for r in ws.iter_rows(values_only=True)] == [["服务活动编号", "人数"], [12, None], [None, 3.5]]
