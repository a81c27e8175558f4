"""Excel in and out: safe exports (no formula injection) and guarded reading of uploaded workbooks."""
from __future__ import annotations

import datetime as dt
import io
import zipfile
import zlib
from dataclasses import dataclass
from decimal import Decimal

import pandas as pd
from openpyxl import Workbook, load_workbook
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.formula import ArrayFormula, DataTableFormula

from core.platform.errors import HubError
from schemas.columns import format_of

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# How a number under a header declared money / percent / ratio (schemas.columns.format_of) reads in Excel; it
# stays a number (sums work). A percent is held in points (85 shows 85%), a ratio as a fraction (0.85 shows 85%).
MONEY_FORMAT, MONEY_CENTS_FORMAT = "#,##0", "#,##0.00"
PERCENT_FORMAT, PERCENT_TENTHS_FORMAT = '0"%"', '0.0"%"'
RATIO_FORMAT, RATIO_TENTHS_FORMAT = "0%", "0.0%"
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def neutralise(value):
    """Text that a spreadsheet would run as a formula gets a leading apostrophe (OWASP CSV injection)."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def unneutralise(value):
    """Undo :func:`neutralise`: the apostrophe the export put before text a spreadsheet would run as a
    formula is taken off (``'=1+1`` -> ``=1+1``); any other leading apostrophe is part of the text."""
    if isinstance(value, str) and value.startswith("'") and value[1:].startswith(FORMULA_START):
        return value[1:]
    return value


def _cell(value):
    if value is None or value is pd.NaT or value is pd.NA:  # pd.NA: an empty cell of a nullable number column
        return None
    if isinstance(value, float) and value != value:
        return None
    if isinstance(value, (list, tuple)):
        return neutralise("、".join(str(v) for v in value))
    if hasattr(value, "tolist") and not isinstance(value, (str, bytes)):
        value = value.tolist()
        if isinstance(value, list):
            return neutralise("、".join(str(v) for v in value))
    if isinstance(value, pd.Timestamp):
        value = value.to_pydatetime()
    if isinstance(value, bool):
        return "是" if value else "否"
    return neutralise(value) if isinstance(value, str) else value


def number_format(format: str | None, value) -> str | None:
    """The Excel number format of a number under a column of this declared format (None: as it is).
    Whole amounts and percentages without decimals, others with two (money) or one (a percentage)."""
    v = float(value)
    if format == "money":
        return MONEY_FORMAT if v.is_integer() else MONEY_CENTS_FORMAT
    if format == "percent":
        return PERCENT_FORMAT if round(v, 1).is_integer() else PERCENT_TENTHS_FORMAT
    if format == "ratio":
        return RATIO_FORMAT if round(v * 100, 1).is_integer() else RATIO_TENTHS_FORMAT
    return None


def workbook_bytes(sheets: dict[str, pd.DataFrame]) -> bytes:
    """An .xlsx with one sheet per frame; every text cell is neutralised against formula injection; dates as
    yyyy-mm-dd, and numbers under a header declared money, percent or ratio (:func:`schemas.columns.format_of`)
    shown as such (:func:`number_format`)."""
    wb = Workbook()
    wb.remove(wb.active)
    for title, df in sheets.items():
        ws = wb.create_sheet(title=str(title)[:31] or "Sheet")
        ws.append([neutralise(str(c)) for c in df.columns])
        for row in df.itertuples(index=False):
            ws.append([_cell(v) for v in row])
        for i, col in enumerate(df.columns, start=1):
            width = max([len(str(col))] + [len(str(v)) for v in df.iloc[:200, i - 1].tolist()]) if len(df) else len(str(col))
            ws.column_dimensions[get_column_letter(i)].width = min(60, max(8, width * 1.6))
            declared = format_of(col)
            for cell in ws[get_column_letter(i)][1:]:
                if isinstance(cell.value, (dt.date, dt.datetime)):
                    cell.number_format = "yyyy-mm-dd"
                elif declared and isinstance(cell.value, (int, float, Decimal)) and not isinstance(cell.value, bool):
                    cell.number_format = number_format(declared, cell.value) or cell.number_format
        ws.freeze_panes = "A2"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


class WorkbookRefused(HubError):
    pass


def _formula_text(value):
    """Array and data-table formulas read as formula text too ("=…"), like every other formula cell, so
    the importer's formula check sees them (instead of an openpyxl object turned into text)."""
    if isinstance(value, ArrayFormula):
        text = str(value.text or "")
        return text if text.startswith("=") else "=" + text
    if isinstance(value, DataTableFormula):
        return "=TABLE()"
    return value


@dataclass
class Sheet:
    headers: list[str]
    rows: list[list]  # values as openpyxl read them (formulas as text starting with "=")
    first_row_number: int = 2  # Excel row number of rows[0]
    row_numbers: list[int] | None = None  # Excel row number of each row (blank rows are skipped)

    def row_number(self, pos: int) -> int:
        return self.row_numbers[pos] if self.row_numbers is not None else self.first_row_number + pos


MAX_COLUMNS = 200  # columns read per row (a template has about 20; the rest of a wide row is ignored)
RESAVE = "请在 Excel 或 WPS 中打开后另存为 .xlsx 工作簿,再重新上传"
DAMAGED = "工作簿已损坏,无法读取:" + RESAVE


def _blank(values) -> bool:
    return all(v is None or (isinstance(v, str) and not v.strip()) for v in values)


def _has_dimension(zf: zipfile.ZipFile, item: zipfile.ZipInfo) -> bool:
    """Whether a sheet states its size (<dimension>, before its rows) as Excel, WPS and openpyxl write it.
    Without it openpyxl reads the whole sheet on opening to find its size, whatever ``max_row`` says."""
    with zf.open(item) as f:
        head = f.read(64 * 1024)
    before_rows = head.split(b"<sheetData", 1)[0]
    return b"<dimension" in before_rows or b":dimension" in before_rows


def read_sheet(data: bytes, *, max_rows: int, max_bytes: int) -> Sheet:
    """The first sheet of an uploaded .xlsx, checked by content: not a zip / macros / too big -> refused.

    At most ``max_rows`` rows below the header are read, blank or not (a file of a million blank rows
    is refused at row ``max_rows + 2`` instead of being read to its end); blank rows are then skipped."""
    if len(data) > max_bytes:
        raise WorkbookRefused(f"文件过大({len(data) / 1024 / 1024:.1f} MB),上限为 {max_bytes // 1024 // 1024} MB")
    if not data.startswith(b"PK\x03\x04"):
        raise WorkbookRefused("文件不是 Excel 工作簿(.xlsx),请使用下载的模板")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            names = set(zf.namelist())
            if "xl/workbook.xml" not in names:
                raise WorkbookRefused("文件不是 Excel 工作簿(.xlsx),请使用下载的模板")
            if any(n.lower().endswith("vbaproject.bin") for n in names):
                raise WorkbookRefused("工作簿包含宏(VBA),出于安全原因不予导入;请另存为不含宏的 .xlsx")
            if sum(i.file_size for i in zf.infolist()) > 40 * max_bytes:
                raise WorkbookRefused("工作簿解压后过大,疑似异常文件,不予导入")
            for item in zf.infolist():
                if (item.filename.startswith("xl/worksheets/") and item.file_size > 2 * max_bytes
                        and not _has_dimension(zf, item)):
                    raise WorkbookRefused("工作簿缺少表格尺寸信息且数据量很大,无法只读取前面的行:" + RESAVE)
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError) as exc:
        raise WorkbookRefused("文件已损坏或不是 Excel 工作簿:" + RESAVE) from exc
    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except Exception as exc:  # openpyxl raises many kinds on malformed files (ParseError, KeyError, ...)
        raise WorkbookRefused(DAMAGED) from exc
    try:
        return _rows(wb, max_rows)
    except WorkbookRefused:
        raise
    except Exception as exc:  # read_only parses lazily: damage further down the sheet shows up here
        raise WorkbookRefused(DAMAGED) from exc
    finally:
        wb.close()


def _rows(wb, max_rows: int) -> Sheet:
    if not wb.worksheets:
        raise WorkbookRefused("工作簿是空的:第一行应为表头")
    ws = wb.worksheets[0]
    header = next(ws.iter_rows(min_row=1, max_row=1, max_col=MAX_COLUMNS, values_only=True), None)
    if not header or _blank(header):
        raise WorkbookRefused("工作簿是空的:第一行应为表头")
    headers = [str(unneutralise(h)).strip() if h is not None else "" for h in header]
    while headers and not headers[-1]:
        headers.pop()
    width = len(headers)
    rows, numbers = [], []
    # iter_rows fills missing rows with blanks; max_row stops the parser itself (nothing after it is read)
    for number, values in enumerate(ws.iter_rows(min_row=2, max_row=max_rows + 2, max_col=width,
                                                 values_only=True), start=2):
        if number > max_rows + 1:
            if _blank(values or ()):
                raise WorkbookRefused(f"工作表超过 {max_rows} 行(空行也计算在内):请删除多余的空行,"
                                      f"或拆分成多个文件分批导入")
            raise WorkbookRefused(f"数据超过 {max_rows} 行,请拆分成多个文件分批导入")
        if values is None or _blank(values):
            continue
        values = list(values)[:width]
        rows.append([_formula_text(v) for v in values] + [None] * (width - len(values)))
        numbers.append(number)
    return Sheet(headers, rows, row_numbers=numbers)
