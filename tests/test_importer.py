"""Excel import of organisations: per-row report, one transaction for the valid rows, no duplicates on
re-import, and refusal of files that are not plain .xlsx workbooks."""
from __future__ import annotations

import datetime as dt
import io
import json
import zipfile

import pytest
from openpyxl import Workbook, load_workbook

from core.orgs import organisations
from core.platform import importer
from core.platform.actor import Actor
from core.platform.errors import ValidationFailed
from core.platform.excel import WorkbookRefused
from core.platform.importer import RowReport
from schemas.base import field_specs
from schemas.organisation import Organisation
from tests.test_schema_organisation import uscc_for

SPEC = organisations.IMPORT_SPEC
STAFF = Actor("wangmin", ("staff",))
LABEL = {name: meta["label"] for name, meta in field_specs(Organisation).items()}


@pytest.fixture
def headers(db) -> list[str]:
    """The header row of the downloadable template."""
    wb = load_workbook(io.BytesIO(importer.template(SPEC)))
    return [c for c in next(wb.worksheets[0].iter_rows(values_only=True))]


def row(i: int, **overrides) -> dict:
    """Row i of a file: a registered 社会团体 with its own name and USCC."""
    values = {
        "name": f"下沙导入测试协会{i:03d}", "kind": "社会团体", "uscc": uscc_for("51", 500 + i),
        "reg_date": dt.datetime(2021, 4, 1), "contact_person": "王芳", "contact_phone": 13857100000 + i,
        "community": "文海社区", "service_domains": "志愿服务、一老一小", "stage": "初创期", "active": "是",
    }
    values.update(overrides)
    return values


def xlsx(headers: list[str], rows: list[dict]) -> bytes:
    by_label = {h.rstrip("*"): i for i, h in enumerate(headers)}
    wb = Workbook()
    ws = wb.active
    ws.append(headers)
    for r in rows:
        cells = [None] * len(headers)
        for name, value in r.items():
            cells[by_label[LABEL[name]]] = value
        ws.append(cells)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def counts(db) -> tuple[int, int]:
    return db.scalar("SELECT count(*) FROM organisations"), db.scalar("SELECT count(*) FROM audit_log")


# ---- the template ------------------------------------------------------------------------------

def test_template_headers_mark_required_columns(headers):
    assert headers == [
        "组织名称*", "组织类型*", "统一社会信用代码", "备案编号", "登记/备案日期", "法定代表人/负责人", "联系人*",
        "联系电话*", "所属社区*", "服务领域", "发展阶段*", "入壳日期", "出壳日期", "等级评估", "评估日期", "在册*", "备注", "引进日期",
        "联系邮箱",
    ]


def test_template_keeps_its_example_apart_from_the_data(db):
    """The sheet that is imported starts empty; the example row sits on its own sheet, so a template sent
    back unfilled imports nothing (and says why)."""
    data = importer.template(SPEC)
    wb = load_workbook(io.BytesIO(data))
    assert wb.sheetnames == ["导入数据", "填写示例", "填写说明"]
    assert len(list(wb["导入数据"].iter_rows(values_only=True))) == 1  # the header row only
    example = list(wb["填写示例"].iter_rows(values_only=True))
    assert example[0] == next(wb["导入数据"].iter_rows(values_only=True))
    assert example[1][0] == "下沙街道示例社区志愿服务队"
    notes = list(wb["填写说明"].iter_rows(values_only=True))
    assert notes[0] == ("列", "必填", "说明", "可选值")
    community_row = next(r for r in notes if r[0] == "所属社区")
    assert community_row[1] == "是" and "文海社区" in community_row[3]
    before = counts(db)
    with pytest.raises(WorkbookRefused, match=r"^「导入数据」工作表\(第一个工作表\)没有数据行.*「填写示例」工作表只是示例,不会导入"):
        importer.plan(SPEC, data)
    assert counts(db) == before


def test_the_example_row_copied_into_the_data_sheet_is_refused_by_row(db, headers):
    """Left in (or pasted into) the data sheet, the example row is an error naming its row; the real rows
    beside it import."""
    wb = load_workbook(io.BytesIO(importer.template(SPEC)))
    example = list(wb["填写示例"].iter_rows(values_only=True))[1]
    data = xlsx(headers, [row(1)])
    wb = load_workbook(io.BytesIO(data))
    wb.active.append(list(example))
    buf = io.BytesIO()
    wb.save(buf)
    plan = importer.plan(SPEC, buf.getvalue())
    assert plan.report[0] == RowReport(2, "有效")
    assert plan.report[1].row_number == 3 and plan.report[1].status == "错误"
    assert plan.report[1].message == ("这一行是模板中的填写示例(「下沙街道示例社区志愿服务队」),不会导入:"
                                      "请删除这一行,或改成要登记的真实社会组织")
    assert [v["name"] for v in plan.valid] == ["下沙导入测试协会001"]
    before = counts(db)
    assert importer.commit(SPEC, plan, STAFF) == 1
    assert not db.fetch_one("SELECT id FROM organisations WHERE name = '下沙街道示例社区志愿服务队'")
    assert counts(db)[0] == before[0] + 1


def test_the_example_is_a_correct_sample(db, headers):
    """Changed into a real organisation (another name and filing number), the example's values import."""
    real = dict(SPEC.example, name="下沙街道示例改真实志愿队", filing_no="下沙备字〔2026〕第099号")
    plan = importer.plan(SPEC, xlsx(headers, [real]))
    assert plan.report == [RowReport(2, "有效")]
    assert plan.valid[0]["reg_date"] == dt.date(2024, 3, 1)
    assert plan.valid[0]["service_domains"] == ["志愿服务", "一老一小"]


# ---- good and bad rows -------------------------------------------------------------------------

def test_mixed_file_reports_per_row_and_commits_only_valid_rows(db, headers):
    data = xlsx(headers, [
        row(1),
        row(2, name=""),
        row(3, contact_phone="12345", community="火星社区"),
        row(4, kind="社区社会组织(备案)", uscc=None, filing_no="下沙备字〔2023〕第017号", active="否"),
        row(5, reg_date="去年春天"),
        row(6, incubation_in=dt.datetime(2022, 5, 1), incubation_out=dt.datetime(2022, 4, 1)),
    ])
    before = counts(db)
    plan = importer.plan(SPEC, data)
    assert counts(db) == before  # planning writes nothing
    assert plan.total_rows == 6
    assert plan.report == [
        RowReport(2, "有效"),
        RowReport(3, "错误", "组织名称", "请填写组织名称"),
        RowReport(4, "错误", "联系电话", "联系电话无效:请填写中国大陆手机号(11位)或带区号的固定电话"),
        RowReport(4, "错误", "所属社区", "请从列表中选择所属社区"),
        RowReport(5, "有效"),
        RowReport(6, "错误", "登记/备案日期", "登记/备案日期格式不正确:请填写日期,如 2024-03-01、2024/3/1 或 2024年3月1日"),
        RowReport(7, "错误", "出壳日期", "出壳日期不能早于入壳日期"),
    ]
    assert plan.counts == {"有效": 2, "错误": 4}
    frame = plan.report_frame()
    assert list(frame.columns) == ["行号", "结果", "字段", "说明"]
    assert frame["行号"].tolist() == [2, 3, 4, 4, 5, 6, 7]

    assert importer.commit(SPEC, plan, STAFF) == 2
    stored = db.fetch_all("SELECT * FROM organisations ORDER BY id")
    assert [r["name"] for r in stored] == ["下沙导入测试协会001", "下沙导入测试协会004"]
    first, filed = stored
    assert first["uscc"] == uscc_for("51", 501)
    assert first["contact_phone"] == "138 5710 0001"
    assert first["reg_date"] == dt.date(2021, 4, 1)
    assert first["service_domains"] == ["志愿服务", "一老一小"]
    assert (first["active"], filed["active"]) == (True, False)
    assert (filed["uscc"], filed["filing_no"]) == (None, "下沙备字〔2023〕第017号")
    assert first["created_by"] == "wangmin"

    entries = db.fetch_all("SELECT * FROM audit_log WHERE table_name = 'organisations' ORDER BY id")
    assert [(e["actor"], e["action"], e["row_key"]) for e in entries] == [
        ("wangmin", "import", str(first["id"])), ("wangmin", "import", str(filed["id"]))]
    assert len({e["logged_at"] for e in entries}) == 1  # one audit batch: one transaction
    assert json.loads(entries[0]["after_json"])["name"] == "下沙导入测试协会001"
    assert counts(db) == (before[0] + 2, before[1] + 2)


def test_commit_is_all_or_nothing(db, headers):
    plan = importer.plan(SPEC, xlsx(headers, [row(1), row(2)]))
    assert len(plan.valid) == 2
    # someone registers row 2's organisation between the preview and the commit
    organisations.create({**plan.valid[1], "uscc": uscc_for("51", 999)}, STAFF)
    before = counts(db)
    with pytest.raises(ValidationFailed) as info:
        importer.commit(SPEC, plan, STAFF)
    assert list(info.value.fields) == ["name"]
    assert counts(db) == before
    assert db.fetch_one("SELECT id FROM organisations WHERE name = '下沙导入测试协会001'") is None


def test_commit_of_nothing_writes_nothing(db, headers):
    plan = importer.plan(SPEC, xlsx(headers, [row(1, name="")]))
    before = counts(db)
    assert importer.commit(SPEC, plan, STAFF) == 0
    assert counts(db) == before


def test_reimporting_the_same_file_creates_no_duplicates(db, headers):
    data = xlsx(headers, [row(1), row(2), row(3)])
    assert importer.commit(SPEC, importer.plan(SPEC, data), STAFF) == 3
    ids = {r["name"]: r["id"] for r in db.fetch_all("SELECT id, name FROM organisations")}
    before = counts(db)
    again = importer.plan(SPEC, data)
    assert again.valid == []
    assert again.report == [
        RowReport(n, "已存在", "", f"与已登记的「下沙导入测试协会{i:03d}」(编号 {ids[f'下沙导入测试协会{i:03d}']})相同,跳过")
        for n, i in ((2, 1), (3, 2), (4, 3))
    ]
    assert again.counts == {"已存在": 3}
    assert importer.commit(SPEC, again, STAFF) == 0
    assert counts(db) == before


def test_existing_match_by_uscc_alone_or_name_alone(db, headers):
    importer.commit(SPEC, importer.plan(SPEC, xlsx(headers, [row(1), row(2)])), STAFF)
    plan = importer.plan(SPEC, xlsx(headers, [
        row(1, name="改了名字的协会"),           # same USCC as stored row 1
        row(2, uscc=uscc_for("51", 777)),        # same name as stored row 2
        row(3),
    ]))
    assert [r.status for r in plan.report] == ["已存在", "已存在", "有效"]
    assert [v["name"] for v in plan.valid] == ["下沙导入测试协会003"]


def test_duplicate_rows_within_one_file(db, headers):
    plan = importer.plan(SPEC, xlsx(headers, [
        row(1), row(1), row(2), row(3, uscc=uscc_for("51", 502)), row(4, name="下沙导入测试协会001", uscc=uscc_for("51", 504)),
    ]))
    assert plan.report == [
        RowReport(2, "有效"),
        RowReport(3, "文件内重复", "", "与本文件第 2 行重复,跳过"),
        RowReport(4, "有效"),
        RowReport(5, "文件内重复", "", "与本文件第 4 行重复,跳过"),  # same USCC as row 4
        RowReport(6, "文件内重复", "", "与本文件第 2 行重复,跳过"),  # same name as row 2
    ]
    assert importer.commit(SPEC, plan, STAFF) == 2
    assert db.scalar("SELECT count(*) FROM organisations") == 2


def test_headers_without_asterisk_and_in_another_order_are_accepted(db, headers):
    shuffled = [h.rstrip("*") for h in reversed(headers)]
    plan = importer.plan(SPEC, xlsx(shuffled, [row(1)]))
    assert plan.report == [RowReport(2, "有效")]
    assert plan.valid[0]["name"] == "下沙导入测试协会001"


def test_missing_required_header_is_reported(db, headers):
    without = [h for h in headers if h not in ("组织名称*", "联系电话*")]
    plan = importer.plan(SPEC, xlsx(without, [{k: v for k, v in row(1).items() if k not in ("name", "contact_phone")}]))
    assert plan.valid == []
    assert plan.report == [RowReport(1, "错误", "", "表头缺少必填列:组织名称、联系电话(请使用下载的模板)")]


def test_cells_are_converted_before_validation(db, headers):
    plan = importer.plan(SPEC, xlsx(headers, [
        row(1, active="在册", contact_phone="0571-86001234", service_domains="社区治理, 志愿服务;一老一小"),
        row(2, active=True, contact_phone=13857100002.0, uscc=" " + uscc_for("51", 502).lower() + " "),
        row(3, active="", notes="  "),
        row(4, active="也许"),
        row(5, service_domains="炒股"),
    ]))
    assert plan.report == [
        RowReport(2, "有效"), RowReport(3, "有效"),
        RowReport(4, "错误", "在册", "请填写在册"),
        RowReport(5, "错误", "在册", "在册格式不正确"),
        RowReport(6, "错误", "服务领域", "服务领域含有不在列表中的选项"),
    ]
    first, second = plan.valid
    assert first["contact_phone"] == "0571 8600 1234"
    assert first["service_domains"] == ["社区治理", "志愿服务", "一老一小"]
    assert first["active"] is True and second["active"] is True
    assert second["contact_phone"] == "138 5710 0002"
    assert second["uscc"] == uscc_for("51", 502)


def test_hostile_text_in_cells_is_imported_literally(db, headers):
    text = "'); DROP TABLE organisations; -- <script>alert(1)</script> 😀"
    plan = importer.plan(SPEC, xlsx(headers, [row(1, name=text, notes=text)]))
    assert importer.commit(SPEC, plan, STAFF) == 1
    stored = db.fetch_one("SELECT name, notes FROM organisations")
    assert stored == {"name": text, "notes": text}


# ---- files refused -----------------------------------------------------------------------------

def test_pdf_renamed_to_xlsx_is_refused_by_content(db):
    with pytest.raises(WorkbookRefused, match=r"^文件不是 Excel 工作簿\(\.xlsx\),请使用下载的模板$"):
        importer.plan(SPEC, b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n")


def test_zip_that_is_not_a_workbook_is_refused(db):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("word/document.xml", "<w:document/>")
    with pytest.raises(WorkbookRefused, match="文件不是 Excel 工作簿"):
        importer.plan(SPEC, buf.getvalue())


def test_corrupt_zip_is_refused(db):
    with pytest.raises(WorkbookRefused, match="文件已损坏或不是 Excel 工作簿"):
        importer.plan(SPEC, b"PK\x03\x04" + b"\x00" * 200)


def test_workbook_with_macros_is_refused(db, headers):
    buf = io.BytesIO(xlsx(headers, [row(1)]))
    with zipfile.ZipFile(buf, "a") as zf:
        zf.writestr("xl/vbaProject.bin", b"\xd0\xcf\x11\xe0 fake macro storage")
    with pytest.raises(WorkbookRefused, match=r"工作簿包含宏\(VBA\),出于安全原因不予导入"):
        importer.plan(SPEC, buf.getvalue())
    assert db.scalar("SELECT count(*) FROM organisations") == 0


def test_formula_cell_is_refused_per_row(db, headers):
    data = xlsx(headers, [row(1, name='=HYPERLINK("http://evil.example","点我")'), row(2), row(3, notes="=1+1", legal_rep="=A1")])
    plan = importer.plan(SPEC, data)
    assert plan.report == [
        RowReport(2, "错误", "组织名称", "单元格含公式,请粘贴为数值后再导入"),
        RowReport(3, "有效"),
        RowReport(4, "错误", "法定代表人/负责人、备注", "单元格含公式,请粘贴为数值后再导入"),
    ]
    assert [v["name"] for v in plan.valid] == ["下沙导入测试协会002"]


def test_too_many_rows_are_refused(db, headers, monkeypatch):
    monkeypatch.setenv("HUBDESK_IMPORT_MAX_ROWS", "50")
    with pytest.raises(WorkbookRefused, match="^数据超过 50 行,请拆分成多个文件分批导入$"):
        importer.plan(SPEC, xlsx(headers, [row(i) for i in range(51)]))
    plan = importer.plan(SPEC, xlsx(headers, [row(i) for i in range(50)]))
    assert plan.total_rows == 50
    assert plan.counts == {"有效": 50}


def test_too_large_file_is_refused(db, headers, monkeypatch):
    monkeypatch.setenv("HUBDESK_UPLOAD_MAX_MB", "1")
    with pytest.raises(WorkbookRefused, match=r"^文件过大\(1\.0 MB\),上限为 1 MB$"):
        importer.plan(SPEC, b"PK\x03\x04" + b"\x00" * (1024 * 1024))


def test_empty_workbook_is_refused(db):
    wb = Workbook()
    buf = io.BytesIO()
    wb.save(buf)
    with pytest.raises(WorkbookRefused, match="工作簿是空的:第一行应为表头"):
        importer.plan(SPEC, buf.getvalue())


def test_blank_rows_are_skipped_and_row_numbers_stay_true(db, headers):
    wb = load_workbook(io.BytesIO(xlsx(headers, [row(1)])))
    ws = wb.active
    ws.append([None] * len(headers))
    ws.append(["   "] + [None] * (len(headers) - 1))
    ws.append([row(2)["name"], "社会团体", uscc_for("51", 502), None, None, None, "王芳", "13857100002", "文海社区",
               None, "初创期", None, None, None, None, "是", None])
    buf = io.BytesIO()
    wb.save(buf)
    plan = importer.plan(SPEC, buf.getvalue())
    assert plan.total_rows == 2
    assert [v["name"] for v in plan.valid] == ["下沙导入测试协会001", "下沙导入测试协会002"]
    # the report names the rows as Excel numbers them: before the fix, skipped blank rows shifted
    # every later row's number (row 5 was reported as row 3)
    assert [r.row_number for r in plan.report] == [2, 5]


def test_error_row_numbers_after_blank_rows(db, headers):
    wb = load_workbook(io.BytesIO(xlsx(headers, [row(1)])))
    wb.active.append([None] * len(headers))
    wb.active.append(["", "社会团体"] + [None] * (len(headers) - 2))
    buf = io.BytesIO()
    wb.save(buf)
    plan = importer.plan(SPEC, buf.getvalue())
    assert plan.report[0] == RowReport(2, "有效")
    assert {r.row_number for r in plan.report[1:]} == {4}


def test_a_choice_list_too_long_for_a_cell_goes_on_its_own_sheet(db, monkeypatch):
    """A city's 6,000 organisations joined into the 填写说明 cell passed Excel's 32,767 characters per cell (the file
    would not open cleanly): a long list is one column of the 可选值 sheet, the note says how many and where, and a
    value taken from it imports."""
    from schemas import choices
    many = [f"测试社区{i:05d}号网格" for i in range(5000)]  # 5,000 × 12 characters ≈ 65,000 with separators
    monkeypatch.setitem(choices._providers, "communities", lambda: many)
    wb = load_workbook(io.BytesIO(importer.template(SPEC)))
    assert wb.sheetnames == ["导入数据", "填写示例", "填写说明", "可选值"]
    notes = {r[0]: r for r in wb["填写说明"].iter_rows(min_row=2, values_only=True)}
    community = LABEL["community"]
    assert notes[community][3] == f"共 5,000 项,见「可选值」工作表的「{community}」列"
    assert notes[LABEL["kind"]][3] and "、" in notes[LABEL["kind"]][3]  # a short list stays in its cell
    listed = [r[0] for r in wb["可选值"].iter_rows(values_only=True)]
    assert listed[0] == community and listed[1:] == many
    assert max(len(str(c.value or "")) for ws in wb for r in ws.iter_rows() for c in r) < 32_767
    headers = [c for c in next(wb.worksheets[0].iter_rows(values_only=True))]
    plan = importer.plan(SPEC, xlsx(headers, [row(1, community=many[4321])]))
    assert plan.report == [RowReport(2, "有效")] and plan.valid[0]["community"] == "测试社区04321号网格"
