"""Imports never crash (issue 14): every workbook, whatever its rows hold, ends in the Chinese per-row
report or a Chinese refusal of the whole file; dates as Chinese workbooks write them are read; blank rows
count toward the row limit; an export's formula neutralisation is taken off again on import."""
from __future__ import annotations

import datetime as dt
import io
import zipfile

import pandas as pd
import pandera.pandas as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook, load_workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from core.incubation import trainings as T
from core.monitoring import ledger
from core.orgs import organisations
from core.platform import importer
from core.platform.excel import FORMULA_START, WorkbookRefused, neutralise, read_sheet, unneutralise, workbook_bytes
from core.platform.importer import RowReport
from core.platform.validation import read_date, validate_many
from tests.test_importer import LABEL, SPEC, STAFF, counts, row, xlsx
from tests.test_rounds import hub  # noqa: F401  (fixture)
from tests.test_schema_organisation import org_values, uscc_for

MB = 1024 * 1024
D = dt.date
DATE_HINT = "登记/备案日期格式不正确:请填写日期,如 2024-03-01、2024/3/1 或 2024年3月1日"


@pytest.fixture
def headers(db) -> list[str]:
    wb = load_workbook(io.BytesIO(importer.template(SPEC)))
    return [c for c in next(wb.worksheets[0].iter_rows(values_only=True))]


def _report(plan) -> dict[int, list[tuple]]:
    out: dict[int, list[tuple]] = {}
    for r in plan.report:
        out.setdefault(r.row_number, []).append((r.status, r.field, r.message))
    return out


# ---- dates as Chinese workbooks write them -----------------------------------------------------------

def test_dates_in_different_text_formats_in_one_column_all_import(db, headers):
    """Before: two text formats in one column made pandas give up on the whole column, and the importer
    crashed with ``KeyError: 0``."""
    written = ["2024-03-01", "2024/3/1", "2024年3月1日", "2024.3.1", "2024 年 3 月 1 日", "２０２４／３／１",
               45352, 45352.75, dt.datetime(2024, 3, 1, 9, 30), "20240301", "2024-03-01 00:00:00"]
    data = xlsx(headers, [row(i, reg_date=v) for i, v in enumerate(written)])
    before = counts(db)
    plan = importer.plan(SPEC, data)
    assert plan.report == [RowReport(2 + i, "有效") for i in range(len(written))]
    assert [v["reg_date"] for v in plan.valid] == [D(2024, 3, 1)] * len(written)
    assert counts(db) == before
    assert importer.commit(SPEC, plan, STAFF) == len(written)
    assert db.fetch_all("SELECT DISTINCT reg_date FROM organisations") == [{"reg_date": D(2024, 3, 1)}]


@pytest.mark.parametrize("text", ["2024-03-01", "2024-3-1", "2024/3/1", "2024/03/01", "2024.3.1", "2024年3月1日",
                                  "2024年3月1", " 2024 年 03 月 01 日 ", "２０２４年３月１日", "2024／3／1", "20240301",
                                  "2024-03-01 00:00:00", "2024-03-01T09:30", "2024/3/1 9:30:15"])
def test_read_date_reads_the_ways_chinese_workbooks_write_a_date(text):
    assert read_date(text) == D(2024, 3, 1)


@pytest.mark.parametrize("text", ["2024-02-30", "2024-13-01", "2024/3-1", "2024年3月", "3/1/2024", "01.03.2024",
                                  "去年春天", "2024", "240301", "2024-03-01 午后", "0000-01-01", "", "二〇二四年三月一日"])
def test_read_date_refuses_what_is_no_date(text):
    assert read_date(text) is None


def test_template_notes_say_how_dates_may_be_written(db):
    notes = list(load_workbook(io.BytesIO(importer.template(SPEC)))["填写说明"].iter_rows(values_only=True))
    reg = next(r for r in notes if r[0] == "登记/备案日期")
    assert "2024/3/1" in reg[2] and "2024年3月1日" in reg[2] and "Excel 日期单元格" in reg[2]
    assert "2024/3/1" not in (next(r for r in notes if r[0] == "组织名称")[2] or "")


def test_nonsense_dates_are_chinese_row_errors(db, headers):
    bad = ["2024-02-30", "2024年13月1日", "去年春天", "2024/3", "3/1/2024", 0, -5, 99999999, "1e5", True]
    data = xlsx(headers, [row(i, reg_date=v) for i, v in enumerate(bad)] + [row(99)])
    plan = importer.plan(SPEC, data)
    by_row = _report(plan)
    for i in range(len(bad)):
        assert by_row[2 + i] == [("错误", "登记/备案日期", DATE_HINT)], (bad[i], by_row[2 + i])
    assert by_row[2 + len(bad)] == [("有效", "", "")]
    assert [v["name"] for v in plan.valid] == [row(99)["name"]]


def test_unparseable_date_next_to_a_future_date_gives_row_errors(db, headers):
    """Before: a raw Pandera ``SchemaErrors`` escaped (the future date's check had been skipped on the
    first pass and failed on the second)."""
    soon = dt.date.today() + dt.timedelta(days=30)
    data = xlsx(headers, [row(1, reg_date="去年春天"), row(2, reg_date=f"{soon.year}/{soon.month}/{soon.day}"), row(3),
                          row(4, reg_date="2099/1/1", rating_date="某天")])
    plan = importer.plan(SPEC, data)
    by_row = _report(plan)
    assert by_row[2] == [("错误", "登记/备案日期", DATE_HINT)]
    assert by_row[3] == [("错误", "登记/备案日期", "登记/备案日期不能晚于今天")]
    assert by_row[4] == [("有效", "", "")]
    assert by_row[5][0][0] == "错误" and {f for _, f, _ in by_row[5]} <= {"登记/备案日期", "评估日期", "等级评估"}


def test_activity_import_reads_every_date_format(hub):
    from tests.test_ledger import project, sheet

    pid = project()
    spec = ledger.import_spec(pid)
    rows = [[v, "文海社区", "活动室", "社区活动", f"活动{i}", 10, 12, 2, None]
            for i, v in enumerate(["2026-07-01", "2026/7/2", "2026年7月3日", "2026.7.4", 46208,
                                   dt.datetime(2026, 7, 6), "去年春天", "2099-01-01"])]
    plan = importer.plan(spec, sheet(spec, rows))
    by_row = _report(plan)
    assert [by_row[n] for n in range(2, 8)] == [[("有效", "", "")]] * 6
    assert [v["activity_date"] for v in plan.valid] == [D(2026, 7, d) for d in range(1, 7)]
    assert by_row[8] == [("错误", "活动日期", "活动日期格式不正确:请填写日期,如 2024-03-01、2024/3/1 或 2024年3月1日")]
    assert by_row[9][0][:2] == ("错误", "") or by_row[9][0][:2] == ("错误", "活动日期")


def test_batch_validation_ties_every_failure_to_its_row():
    """A check that raises on one value (reported by Pandera without a row) no longer spoils the batch:
    the rows are bisected until the failing one is found."""
    def odd(s: pd.Series) -> pd.Series:
        return s.map(lambda v: 1 / (v % 7) > 0)  # ZeroDivisionError for multiples of 7

    schema = pa.DataFrameSchema({"x": pa.Column(int, pa.Check(odd, name="odd"), coerce=True,
                                                metadata={"label": "数量", "widget": "int"})})
    records = [{"x": v} for v in (1, 2, 14, 3, 4, 5, 6, 21, 8)]
    valid, errors = validate_many(schema, records)
    assert sorted(valid) == [0, 1, 3, 4, 5, 6, 8]
    assert {e.row for e in errors} == {2, 7}
    assert all(e.row >= 0 for e in errors)
    assert valid[1] == {"x": 2}


# ---- damaged and oversized workbooks -------------------------------------------------------------------

def _damaged(sheet_xml: bytes) -> bytes:
    """A workbook whose first sheet's XML is replaced."""
    src = zipfile.ZipFile(io.BytesIO(workbook_bytes({"导入数据": pd.DataFrame({"组织名称": ["甲"]})})))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as out:
        for item in src.infolist():
            data = src.read(item.filename)
            out.writestr(item, sheet_xml if item.filename.endswith("worksheets/sheet1.xml") else data)
    return buf.getvalue()


DAMAGED_MSG = "工作簿已损坏,无法读取:请在 Excel 或 WPS 中打开后另存为 .xlsx 工作簿,再重新上传"


@pytest.mark.parametrize("damage", ["workbook", "sheet", "truncated"])
def test_damaged_workbook_is_refused_in_chinese(db, damage):
    good = workbook_bytes({"导入数据": pd.DataFrame({"组织名称": ["甲"]})})
    if damage == "workbook":
        src = zipfile.ZipFile(io.BytesIO(good))
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as out:
            for item in src.infolist():
                out.writestr(item, b"<workbook><sheets" if item.filename == "xl/workbook.xml" else src.read(item))
        data = buf.getvalue()
    elif damage == "sheet":
        data = _damaged(b"<worksheet><sheetData><row r='1'><c r='A1' t='inlineStr'><is><t>x</t></is></c></row>"
                        b"<row r='2'><c r='A2'")
    else:
        data = good[: len(good) * 2 // 3]
    with pytest.raises(WorkbookRefused) as info:
        importer.plan(SPEC, data)
    text = str(info.value)
    assert text.isascii() is False and not any(w in text for w in ("Error", "Exception", "/", "\\"))
    if damage != "truncated":
        assert text == DAMAGED_MSG


def _sheet_xml(rows: list[str], tail: bytes = b"</sheetData></worksheet>") -> bytes:
    """A sheet's XML as Excel writes it (with its <dimension>, which openpyxl reads instead of the rows)."""
    head = (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
            b'<dimension ref="A1:A%d"/><sheetData>' % len(rows))
    return head + "".join(rows).encode() + tail


def _cell_row(n: int, text: str | None) -> str:
    if text is None:
        return f'<row r="{n}" ht="20" customHeight="1"/>'
    return f'<row r="{n}"><c r="A{n}" t="inlineStr"><is><t>{text}</t></is></c></row>'


def test_blank_rows_count_toward_the_row_limit(db):
    """Before: blank rows were skipped without counting, so a file of a million blank rows was read to the end."""
    rows = [_cell_row(1, "组织名称")] + [_cell_row(n, None) for n in range(2, 60)] + [_cell_row(60, "甲")]
    with pytest.raises(WorkbookRefused) as info:
        read_sheet(_damaged(_sheet_xml(rows)), max_rows=50, max_bytes=MB)
    assert str(info.value) == "工作表超过 50 行(空行也计算在内):请删除多余的空行,或拆分成多个文件分批导入"
    # 50 rows below the header, blank or not, are fine
    rows = [_cell_row(1, "组织名称")] + [_cell_row(n, None) for n in range(2, 51)] + [_cell_row(51, "甲")]
    sheet = read_sheet(_damaged(_sheet_xml(rows)), max_rows=50, max_bytes=MB)
    assert sheet.rows == [["甲"]] and sheet.row_numbers == [51]


def test_reading_stops_at_the_limit(db):
    """Rows past the limit are never parsed: damage after them does not matter, the limit is reported."""
    rows = [_cell_row(1, "组织名称")] + [_cell_row(n, None) for n in range(2, 80)]
    data = _damaged(_sheet_xml(rows, tail=b"<row r='80'><c r='A80' t='inlineStr'><is><t>x</t></is></c"))
    with pytest.raises(WorkbookRefused, match="^工作表超过 50 行"):
        read_sheet(data, max_rows=50, max_bytes=MB)


def test_a_large_sheet_that_does_not_state_its_size_is_refused(db):
    """Without <dimension> openpyxl reads the whole sheet on opening (2.6 s of CPU for a million blank
    rows), so max_row cannot bound the work: such a sheet, when large, is refused with what to do."""
    rows = [_cell_row(1, "组织名称")] + [_cell_row(n, None) for n in range(2, 60_000)]
    stated = _damaged(_sheet_xml(rows))
    with pytest.raises(WorkbookRefused, match="^工作表超过 50 行"):
        read_sheet(stated, max_rows=50, max_bytes=MB)
    xml = _sheet_xml(rows).replace(b'<dimension ref="A1:A59999"/>', b"")
    assert b"<dimension" not in xml and len(xml) > 2 * MB
    unstated = _damaged(xml)
    with pytest.raises(WorkbookRefused) as info:
        read_sheet(unstated, max_rows=50, max_bytes=MB)
    assert str(info.value) == ("工作簿缺少表格尺寸信息且数据量很大,无法只读取前面的行:"
                               "请在 Excel 或 WPS 中打开后另存为 .xlsx 工作簿,再重新上传")
    # a small sheet without it is read as usual
    small = _damaged(_sheet_xml([_cell_row(1, "组织名称"), _cell_row(2, "甲")]).replace(b'<dimension ref="A1:A2"/>', b""))
    assert read_sheet(small, max_rows=50, max_bytes=MB).rows == [["甲"]]


def test_very_wide_rows_are_read_only_as_wide_as_the_header(db):
    wb = Workbook()
    ws = wb.active
    ws.append(["组织名称", "联系人"])
    ws.append(["甲", "王芳"] + ["x"] * 3000)
    buf = io.BytesIO()
    wb.save(buf)
    sheet = read_sheet(buf.getvalue(), max_rows=10, max_bytes=MB)
    assert sheet.headers == ["组织名称", "联系人"] and sheet.rows == [["甲", "王芳"]]


# ---- export -> import round trip ----------------------------------------------------------------------

def test_unneutralise_takes_off_exactly_the_exports_apostrophe():
    for text in ("=1+1", "+86 0571", "-", "-5 人", "@家", "\t缩进", "普通文字", "'普通", "''=x", "'", ""):
        assert unneutralise(neutralise(text)) == text
    assert unneutralise("'普通") == "'普通"  # not something the export would have neutralised
    assert unneutralise("'") == "'"
    assert unneutralise(5) == 5
    assert all(unneutralise("'" + c + "x") == c + "x" for c in FORMULA_START)


def test_export_then_import_round_trips_formula_looking_text(db, headers):
    values = [
        dict(row(1), legal_rep="-王芳-", notes="=1+1 只是文字"),
        dict(row(2), legal_rep="@青葵", notes="+86 0571 8600 1234"),
        dict(row(3), notes="'引号开头的备注"),
    ]
    frame = pd.DataFrame([{LABEL[k]: v for k, v in r.items()} for r in values])
    exported = workbook_bytes({"导入数据": frame})
    cells = list(load_workbook(io.BytesIO(exported)).active.iter_rows(values_only=True))
    assert "'=1+1 只是文字" in cells[1] and "'-王芳-" in cells[1]  # the export neutralised them
    plan = importer.plan(SPEC, exported)
    assert plan.report == [RowReport(2, "有效"), RowReport(3, "有效"), RowReport(4, "有效")]
    assert [(v["legal_rep"], v["notes"]) for v in plan.valid] == [
        ("-王芳-", "=1+1 只是文字"), ("@青葵", "+86 0571 8600 1234"), (None, "'引号开头的备注")]
    importer.commit(SPEC, plan, STAFF)
    assert db.fetch_all("SELECT legal_rep, notes FROM organisations ORDER BY id") == [
        {"legal_rep": "-王芳-", "notes": "=1+1 只是文字"}, {"legal_rep": "@青葵", "notes": "+86 0571 8600 1234"},
        {"legal_rep": None, "notes": "'引号开头的备注"}]


# ---- property: any workbook, every ImportSpec, a row report --------------------------------------------

CELL = st.one_of(
    st.none(),
    st.text(max_size=30),
    st.text(alphabet=st.characters(codec="utf-8", categories=("Cc", "Cf", "Zs", "Lo")), max_size=10),
    st.sampled_from(["=1+1", "'=1+1", "'-", "+86", "@x", "-", "2024-03-01", "2024/3/1", "2024年3月1日", "2024.3.1",
                     "2099-01-01", "去年春天", "0000-00-00", "9999-12-31", "是", "否", "文海社区", "社会团体", "初创期",
                     "13857100000", "0571-86001234", "1e309", "nan", "inf", "-0", "   ", "\u200b"]),
    st.integers(min_value=-10**15, max_value=10**15),
    st.floats(allow_nan=False, allow_infinity=False),
    st.booleans(),
    st.dates(min_value=D(1900, 1, 1)),
    st.datetimes(min_value=dt.datetime(1900, 1, 1)),
    st.text(min_size=2000, max_size=5000).map(lambda s: s * 3),
)


def _workbook(headers: list[str], rows: list[list]) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.append(headers)
    for r in rows:
        ws.append([ILLEGAL_CHARACTERS_RE.sub("", v)[:32767] if isinstance(v, str) else v for v in r])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


DATES = st.sampled_from(["2024-03-01", "2024/3/1", "2024年3月1日", "2024.3.1", "20240301", 45352, 45352.5,
                         dt.datetime(2024, 3, 1), "2026-07-01", "2026/7/2", "2026年7月3日", 46210, "2099-01-01",
                         "去年春天", "2024-02-30", "0000-00-00", "9999-12-31", 0, -1, 10**9, "1900/1/1"])


def _specs() -> list[tuple]:
    """(spec, a good row of it) for every ImportSpec of the app."""
    from core import domain
    from tests.test_ledger import project

    domain.install_providers()
    org = organisations.create(org_values(name="下沙性质测试协会", uscc=uscc_for("51", 888)), STAFF)
    tid = T.create({"title": "财税管理实务", "kind": "线下培训", "topic": "财税管理", "training_date": D(2025, 6, 15),
                    "capacity": 40}, STAFF)
    T.add_attendance(tid, {"org_id": org, "person": "张三"}, STAFF)
    pid = project()
    activity = ledger.import_spec(pid)
    return [
        (SPEC, {LABEL[k]: v for k, v in row(1).items()}),
        (activity, {"活动日期": "2026-07-01", "服务社区": "文海社区", "活动地点": "活动室", "活动类型": "社区活动",
                    "活动主题": "七月助餐", "参与人数": 10, "服务人次": 12, "志愿者人数": 2}),
        (T.attendance_import_spec(tid), {"组织名称": "下沙性质测试协会", "姓名": "李四"}),
        (T.feedback_import_spec(tid), {"组织名称": "下沙性质测试协会", "姓名": "张三", "实用性": 4, "讲解清晰度": 5,
                                       "契合需求": 3}),
    ]


def _mostly(good):
    """A cell that mostly keeps the good row's value (so that the other rows reach every check), else
    a date written any way, else anything."""
    return st.integers(0, 9).flatmap(lambda k: st.just(good) if k < 6 else DATES if k < 8 else CELL)


@pytest.fixture
def all_specs(hub):
    return _specs()


@settings(deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                               HealthCheck.data_too_large])  # examples: the profile's (tests/conftest.py)
@given(data=st.data())
def test_any_workbook_gives_a_row_report(all_specs, hub, data):
    """Rows start from a good row of the spec and have any of their cells replaced by anything (text with
    control characters, numbers, dates written any way, blanks, formula-looking text, huge strings)."""
    spec, good = data.draw(st.sampled_from(all_specs))
    headers = list(next(load_workbook(io.BytesIO(importer.template(spec))).worksheets[0]
                        .iter_rows(values_only=True)))
    base = [good.get(h.rstrip("*")) for h in headers]
    if data.draw(st.booleans()):
        headers = headers + data.draw(st.lists(st.sampled_from(["备注", "多余列", "", "组织名称*"]), max_size=2))
        base += [None] * (len(headers) - len(base))
    width = len(headers)
    rows = data.draw(st.lists(st.tuples(*[_mostly(v) for v in base]), min_size=1, max_size=6))
    before = counts(hub)
    try:
        plan = importer.plan(spec, _workbook(headers, [list(r)[:width] for r in rows]))
    except WorkbookRefused as exc:  # the whole file refused, in Chinese
        assert not str(exc).isascii()
        return
    assert counts(hub) == before
    assert isinstance(plan, importer.ImportPlan)
    for r in plan.report:
        assert r.status in ("有效", "错误", "已存在", "文件内重复")
        assert r.status == "有效" or r.message and not r.message.isascii()
        assert "Error" not in r.message and "Traceback" not in r.message
    assert len(plan.valid) == plan.counts.get("有效", 0)
