"""Every upload: a size limit, the type judged by content (never by the name), stored by content hash
under ``data/uploads`` outside anything Streamlit serves, never executed or rendered; and an Excel
workbook with formulas, with macros or with 100,000 rows gets a clear Chinese result — in
``core.platform.documents``, ``core.platform.excel.read_sheet`` and ``core.platform.importer.plan``, and on the screens that take
uploads (application attachments, the registry's 批量导入).
"""
from __future__ import annotations

import hashlib
import io
import os
import stat
import tomllib
import zipfile
from unittest import mock

import pytest
from openpyxl import Workbook
from openpyxl.worksheet.formula import ArrayFormula

from core.orgs import organisations
from core.platform import config, documents, importer
from core.platform.actor import Actor
from core.platform.errors import HubError, ValidationFailed
from core.platform.excel import WorkbookRefused, read_sheet
from tests.apptest_helpers import count, errors, open_page, plain_texts, signed_in, successes
from tests.conftest import ROOT

STAFF = Actor("staff", ("staff",))
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

PNG = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000"
                    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082")
PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 44 + b"\x80\x00\x00\x00" + \
    b"\x00" * 64 + b"PE\x00\x00L\x01\x03\x00" + b"\x00" * 200
HTML = b"<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>"
SVG = b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
SHELL = b"#!/bin/sh\nrm -rf /\n"
ELF = b"\x7fELF\x02\x01\x01" + b"\x00" * 120


def _xlsx(rows: list[list], *, headers=("组织名称*", "组织类型*")) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.append(list(headers))
    for r in rows:
        ws.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _org_sheet(*rows: dict, formulas: dict | None = None) -> bytes:
    """A registry import sheet with the template's headers; each row is the template's example with
    ``rows``' values; ``formulas``: {(row, field): ArrayFormula} placed after."""
    from schemas.base import field_specs

    spec = organisations.IMPORT_SPEC
    specs = field_specs(spec.sheet_schema)
    wb = Workbook()
    ws = wb.active
    ws.append([specs[f]["label"] + ("*" if specs[f]["required"] else "") for f in spec.fields])
    for r in rows:
        values = {**spec.example, **r}
        ws.append([values.get(f) for f in spec.fields])
    for (row, name), value in (formulas or {}).items():
        ws.cell(row=row, column=spec.fields.index(name) + 1).value = value
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _with_macros(data: bytes) -> bytes:
    """The workbook as Excel saves a macro-enabled one: a VBA project inside (what .xlsm carries)."""
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for item in src.infolist():
            zf.writestr(item, src.read(item.filename))
        zf.writestr("xl/vbaProject.bin", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"Attribute VB_Name" * 20)
    return out.getvalue()


def _big(rows: int) -> bytes:
    """A sheet of ``rows`` rows that states its size (<dimension>) as Excel and WPS write it: openpyxl's write-only
    mode leaves it out when lxml is installed, so it is put in here."""
    wb = Workbook(write_only=True)
    ws = wb.create_sheet()
    ws.append(["组织名称*", "组织类型*"])
    for i in range(rows):
        ws.append([f"下沙街道测试组织{i:06d}", "社区社会组织(备案)"])
    buf = io.BytesIO()
    wb.save(buf)
    src, out = zipfile.ZipFile(io.BytesIO(buf.getvalue())), io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            data = src.read(item)
            if item.filename.startswith("xl/worksheets/") and b"<dimension" not in data[:4096]:
                data = data.replace(b"<sheetViews>", f'<dimension ref="A1:B{rows + 1}"/><sheetViews>'.encode(), 1)
            dst.writestr(item, data)
    return out.getvalue()


@pytest.fixture
def uploads(hub_db):
    return documents.uploads_dir()


@pytest.fixture
def hub_db(db):
    from core import domain

    domain.install_providers()
    return db


def _audited() -> int:
    """Audit rows about records (signing a test user in writes its own session row)."""
    return count("audit_log", "WHERE table_name <> 'user_sessions'")


def _stored_files() -> set[str]:
    folder = documents.uploads_dir()
    return {p.name for p in folder.iterdir()} if folder.exists() else set()


# ---- nothing Streamlit serves ------------------------------------------------------------------------

def test_static_serving_is_off_and_the_upload_limit_matches():
    cfg = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    assert cfg.get("server", {}).get("enableStaticServing", False) is False
    assert cfg["server"]["maxUploadSize"] == config.load().upload_max_mb  # the browser refuses bigger first
    from streamlit import config as st_config

    cwd = os.getcwd()
    try:
        os.chdir(ROOT)  # where `streamlit run Home.py` reads .streamlit/config.toml from
        st_config.get_config_options(force_reparse=True)
        assert st_config.get_option("server.enableStaticServing") is False
        assert st_config.get_option("server.maxUploadSize") == config.load().upload_max_mb
    finally:
        os.chdir(cwd)
        st_config.get_config_options(force_reparse=True)


def test_uploads_live_outside_the_app_and_any_static_folder(hub_db):
    folder = documents.uploads_dir().resolve()
    assert folder == (config.load().data_dir / "uploads").resolve()
    assert not folder.is_relative_to((ROOT / "static").resolve())
    assert not folder.is_relative_to((ROOT / "pages").resolve())
    assert not folder.is_relative_to((ROOT / ".streamlit").resolve())


# ---- type by content, never by name ------------------------------------------------------------------

@pytest.mark.parametrize("name,data", [
    ("年度报告.pdf", EXE), ("年度报告.pdf", HTML), ("照片.png", SVG), ("照片.jpg", SHELL), ("表格.xlsx", ELF),
    ("报告.pdf", b"%PDF"[:3] + b"not really"), ("活动.png", HTML + PNG), ("资料.xlsx", b"PK\x03\x04broken zip"),
])
def test_a_file_whose_content_is_not_an_allowed_type_is_refused_whatever_its_name(uploads, name, data):
    rows, audits, files = count("documents"), count("audit_log"), _stored_files()
    with pytest.raises(ValidationFailed) as info:
        documents.attach("applications", 1, name, data, STAFF)
    assert info.value.fields == {"file": ["只接受 PDF、PNG/JPEG 图片和 Excel(.xlsx,不含宏)文件;已按文件内容检查"]}
    assert (count("documents"), count("audit_log"), _stored_files()) == (rows, audits, files)


def test_a_png_named_pdf_is_stored_as_the_png_it_is(uploads):
    doc = documents.attach("applications", 1, "申报书.pdf", PNG, STAFF)
    meta, data = documents.read(doc)
    digest = hashlib.sha256(PNG).hexdigest()
    assert (meta["kind"], meta["mime"], meta["stored_name"]) == ("图片", "image/png", f"{digest}.png")
    assert meta["filename"] == "申报书.png"  # the name keeps its stem, with the extension of what it is
    assert data == PNG
    path = uploads / f"{digest}.png"
    assert path.read_bytes() == PNG
    assert not path.stat().st_mode & (stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)  # never executable
    assert _stored_files() == {f"{digest}.png"}  # no temporary file left, nothing under the given name


@pytest.mark.parametrize("name", ["../../etc/passwd.pdf", "..\\..\\Home.py", "/tmp/x.pdf", "a\x00b.pdf"])
def test_the_given_name_never_decides_where_a_file_goes(uploads, name):
    doc = documents.attach("applications", 1, name, PDF, STAFF)
    meta, _ = documents.read(doc)
    assert meta["stored_name"] == hashlib.sha256(PDF).hexdigest() + ".pdf"
    assert "/" not in meta["filename"] and "\\" not in meta["filename"] and "\x00" not in meta["filename"]
    assert [p.name for p in uploads.iterdir()] == [meta["stored_name"]]


def test_a_workbook_with_macros_is_refused_as_an_attachment(uploads):
    with pytest.raises(ValidationFailed):
        documents.attach("applications", 1, "预算.xlsx", _with_macros(_xlsx([["甲", "社会团体"]])), STAFF)
    assert count("documents") == 0 and _stored_files() == set()


@pytest.mark.parametrize("name,data", [("活动照片.jpg", EXE), ("活动照片.png", PDF), ("活动照片.webp", SVG),
                                       ("活动照片.jpg", b"")])
def test_activity_photos_take_images_only_by_content(demo_db, name, data):
    from core.monitoring import ledger

    activity = int(demo_db.scalar("SELECT min(id) FROM activities"))
    before = (count("documents"), count("audit_log"))
    with pytest.raises(ValidationFailed):
        ledger.attach_photo(activity, name, data, STAFF)
    assert (count("documents"), count("audit_log")) == before
    doc = ledger.attach_photo(activity, "现场.pdf", PNG, STAFF)  # a PNG by content, whatever its name
    assert documents.read(doc)[0]["mime"] == "image/png"


# ---- the stored and offered name: the detected type's extension, never the client's ---------------------

POLYGLOT = PNG + HTML  # a valid PNG that a browser given the name poly.html would render as a page


def test_a_png_html_polyglot_is_kept_and_offered_as_png(uploads):
    doc = documents.attach("applications", 1, "poly.html", POLYGLOT, STAFF)
    meta, data = documents.read(doc)
    digest = hashlib.sha256(POLYGLOT).hexdigest()
    assert (meta["filename"], meta["stored_name"], meta["mime"]) == ("poly.png", f"{digest}.png", "image/png")
    assert data == POLYGLOT
    assert _stored_files() == {f"{digest}.png"}  # no .html anywhere on disk
    assert documents.list_for("applications", 1)["filename"].tolist() == ["poly.png"]
    row = documents.get_db().fetch_one("SELECT * FROM audit_log WHERE table_name = 'documents' ORDER BY id DESC LIMIT 1")
    assert "poly.html" in row["note"] and "poly.png" in row["note"]  # the auditor sees what was given
    assert '"filename": "poly.png"' in row["after_json"]


@pytest.mark.parametrize("given,data,stored", [
    ("poly.html", POLYGLOT, "poly.png"), ("报告.svg", PDF, "报告.pdf"), ("scan.JPEG", None, "scan.JPEG"),
    ("扫描件", PDF, "扫描件.pdf"), ("预算.xlsm", None, "预算.xlsx"), ("photo.png.exe", PNG, "photo.png.png"),
])
def test_every_name_gets_the_extension_of_its_detected_type(uploads, given, data, stored):
    if data is None:
        data = _xlsx([["甲", "社会团体"]]) if stored.endswith("xlsx") else bytes.fromhex("ffd8ffe000104a46494600") + b"\x00" * 64
    doc = documents.attach("applications", 1, given, data, STAFF)
    meta, _ = documents.read(doc)
    assert meta["filename"] == stored
    assert meta["stored_name"].rpartition(".")[2] == stored.rpartition(".")[2].lower().replace("jpeg", "jpg")


def test_a_name_stored_by_an_older_version_is_offered_with_the_detected_extension(uploads):
    doc = documents.attach("applications", 1, "poly.png", POLYGLOT, STAFF)
    with documents.get_db().transaction() as tx:  # as HubDesk stored names before: the client's, as given
        tx.execute("UPDATE documents SET filename = 'poly.html' WHERE id = ?", [doc])
    assert documents.read(doc)[0]["filename"] == "poly.png"
    assert documents.download(doc, STAFF).name == "poly.png"
    assert documents.list_for("applications", 1)["filename"].tolist() == ["poly.png"]


# ---- downloads: only for those who may see the record ---------------------------------------------------

@pytest.mark.parametrize("actor", [None, Actor("li", ("reviewer",)), Actor("zhang", ("leader",)),
                                   Actor("ghost", ())])
def test_a_download_is_refused_before_the_file_is_read(uploads, monkeypatch, actor):
    from core.platform.errors import PermissionDenied

    doc = documents.attach("applications", 1, "申报书.pdf", PDF, STAFF)
    monkeypatch.setattr(documents, "read", lambda *a, **k: pytest.fail("the file was read"))
    with pytest.raises(PermissionDenied, match="无权查看附件"):
        documents.download(doc, actor)


def test_staff_and_admins_get_the_file_under_its_detected_name(uploads):
    from core.platform.errors import NotFound

    doc = documents.attach("applications", 1, "poly.html", POLYGLOT, STAFF)
    for who in (STAFF, Actor("chen", ("admin",))):
        got = documents.download(doc, who)
        assert (got.name, got.mime, got.data) == ("poly.png", "image/png", POLYGLOT)
    with pytest.raises(NotFound, match="附件"):
        documents.download(doc + 99, STAFF)


def test_every_screen_that_offers_attachments_requires_a_role_that_may_see_them():
    """Attachments reach a browser only from pages/ modules whose every screen is registered for (and
    checks with ``require``) roles that may see the records: static check of pages/."""
    import re

    from core import navigation

    for path in (ROOT / "pages").rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        if not re.search(r"documents\.(read|download)\(|dossier\.zip_bytes\(", text):
            continue
        specs = [p for p in navigation.PAGES if p.target.startswith(f"pages.{path.stem}:")]
        assert specs and "require(" in text, path
        for spec in specs:
            assert set(spec.roles) <= documents.READ_ROLES, (spec.key, spec.roles)


# ---- the size limit ----------------------------------------------------------------------------------

def test_the_size_limit_is_exact(uploads, monkeypatch):
    monkeypatch.setenv("HUBDESK_UPLOAD_MAX_MB", "1")
    limit = 1024 * 1024
    at_limit = PNG + b"\x00" * (limit - len(PNG))
    documents.attach("applications", 1, "刚好1MB.png", at_limit, STAFF)
    with pytest.raises(ValidationFailed) as info:
        documents.attach("applications", 1, "超过1MB.png", at_limit + b"\x00", STAFF)
    assert "文件过大" in info.value.fields["file"][0] and "上限为 1 MB" in info.value.fields["file"][0]
    assert count("documents") == 1 and len(_stored_files()) == 1


def test_the_size_limit_applies_to_workbooks_too(hub_db, monkeypatch):
    monkeypatch.setenv("HUBDESK_UPLOAD_MAX_MB", "1")
    with pytest.raises(WorkbookRefused, match="文件过大"):
        importer.plan(organisations.IMPORT_SPEC, _big(1) + b"\x00" * (1024 * 1024))


# ---- Excel: formulas, macros, 100,000 rows ----------------------------------------------------------

def test_formula_cells_are_reported_row_by_row_and_not_imported(hub_db):
    data = _org_sheet(
        {"name": '=HYPERLINK("http://evil.example","点我")', "filing_no": "下沙备字〔2024〕第101号"},
        {"name": "下沙街道公式测试队", "filing_no": "下沙备字〔2024〕第102号", "notes": "=1+1"},
        {"name": "下沙街道数组公式测试队", "filing_no": "下沙备字〔2024〕第103号"},
        {"name": "下沙街道正常测试队", "filing_no": "下沙备字〔2024〕第104号", "notes": "+不是公式"},
        formulas={(4, "notes"): ArrayFormula("Q4:Q4", "=SUM(A1:A2)")},
    )
    before = count("organisations")
    plan = importer.plan(organisations.IMPORT_SPEC, data)
    report = {r.row_number: r for r in plan.report}
    for row in (2, 3, 4):
        assert report[row].status == "错误" and report[row].message == "单元格含公式,请粘贴为数值后再导入", row
    assert report[5].status == "有效"
    assert [r["name"] for r in plan.valid] == ["下沙街道正常测试队"]
    assert plan.valid[0]["notes"] == "+不是公式"  # text, stored as typed (exports neutralise it)
    assert count("organisations") == before


def test_an_array_formula_reads_as_formula_text():
    data = _xlsx([["甲", "社会团体"]])
    wb = Workbook()
    ws = wb.active
    ws.append(["组织名称*", "组织类型*"])
    ws["A2"] = ArrayFormula("A2:A2", "=SUM(B1:B9)")
    ws["B2"] = "社会团体"
    buf = io.BytesIO()
    wb.save(buf)
    sheet = read_sheet(buf.getvalue(), max_rows=10, max_bytes=10 ** 7)
    assert sheet.rows == [["=SUM(B1:B9)", "社会团体"]]
    assert read_sheet(data, max_rows=10, max_bytes=10 ** 7).rows == [["甲", "社会团体"]]


def test_a_workbook_with_macros_is_refused_with_a_clear_message(hub_db):
    data = _with_macros(_xlsx([["下沙街道测试队", "社区社会组织(备案)"]]))
    with pytest.raises(WorkbookRefused) as info:
        read_sheet(data, max_rows=10, max_bytes=10 ** 7)
    assert str(info.value) == "工作簿包含宏(VBA),出于安全原因不予导入;请另存为不含宏的 .xlsx"
    with pytest.raises(WorkbookRefused, match="宏"):
        importer.plan(organisations.IMPORT_SPEC, data)


@pytest.mark.parametrize("data,message", [
    (b"name,kind\n=1+1,x\n", "文件不是 Excel 工作簿(.xlsx),请使用下载的模板"),
    (PNG, "文件不是 Excel 工作簿(.xlsx),请使用下载的模板"),
    (b"PK\x03\x04" + b"\x00" * 40, "文件已损坏或不是 Excel 工作簿:请在 Excel 或 WPS 中打开后另存为 .xlsx 工作簿,再重新上传"),
])
def test_other_files_given_as_workbooks_are_refused_clearly(hub_db, data, message):
    with pytest.raises(WorkbookRefused) as info:
        importer.plan(organisations.IMPORT_SPEC, data)
    assert str(info.value) == message


@pytest.fixture(scope="module")
def hundred_thousand_rows() -> bytes:
    return _big(100_000)


def test_a_workbook_of_100000_rows_is_refused_early(hub_db, hundred_thousand_rows):
    from openpyxl.worksheet._read_only import ReadOnlyWorksheet

    read = []
    real = ReadOnlyWorksheet.iter_rows

    def counting(self, *args, **kwargs):
        for row in real(self, *args, **kwargs):
            read.append(row)
            yield row

    with mock.patch.object(ReadOnlyWorksheet, "iter_rows", counting), pytest.raises(WorkbookRefused) as info:
        importer.plan(organisations.IMPORT_SPEC, hundred_thousand_rows)
    assert str(info.value) == "数据超过 5000 行,请拆分成多个文件分批导入"
    assert 5000 < len(read) <= 5003  # stops reading after the cap (header, 5,000 rows, one more), not 100,000 rows
    assert count("organisations") == 0


# ---- on the screens ---------------------------------------------------------------------------------

def _app_page(demo_db):
    app_id = int(demo_db.scalar("SELECT min(id) FROM applications"))
    at = signed_in("staff", ["staff"]).run()
    at.query_params["id"] = str(app_id)
    at.query_params["tab"] = "附件"  # where a person uploads; its list of attachments is drawn while it is open
    return open_page(at, "application"), app_id


def _upload(at, key: str, name: str, data: bytes, mime: str):
    at.file_uploader(key=key).upload(name, data, mime)
    return at.run()


def test_the_application_screen_refuses_an_exe_named_pdf(demo_db):
    at, app_id = _app_page(demo_db)
    before = (count("documents"), _audited(), _stored_files())
    at = _upload(at, f"doc_up:{app_id}", "项目申报书.pdf", EXE, "application/pdf")
    at.button(key=f"doc_save:{app_id}").click().run()
    assert not at.exception
    assert "只接受 PDF、PNG/JPEG 图片和 Excel" in errors(at)
    assert (count("documents"), _audited(), _stored_files()) == before


def test_the_application_screen_stores_a_png_named_pdf_as_png_and_offers_it_as_a_download(demo_db):
    at, app_id = _app_page(demo_db)
    at = _upload(at, f"doc_up:{app_id}", "现场照片.pdf", PNG, "application/pdf")
    at.button(key=f"doc_save:{app_id}").click().run()
    assert not at.exception and "附件已保存" in successes(at)
    row = demo_db.fetch_one("SELECT * FROM documents WHERE owner_table = 'applications' AND owner_id = ?", [app_id])
    assert (row["kind"], row["mime"], row["stored_name"]) == ("图片", "image/png",
                                                              hashlib.sha256(PNG).hexdigest() + ".png")
    at.run()
    from tests.apptest_helpers import plain

    assert any("现场照片.png" in plain(b.label) for b in at.download_button)  # the label escapes markdown
    assert not any("现场照片.pdf" in plain(b.label) for b in at.download_button)
    assert not at.get("image") and not at.get("html")  # offered as a download, never rendered


def _import_page():
    at = signed_in("staff", ["staff"]).run()
    return open_page(at, "orgs-import")


@pytest.mark.parametrize("kind", ["macros", "rows"])
def test_the_import_screen_explains_a_refused_workbook_and_writes_nothing(demo_db, kind, hundred_thousand_rows):
    data = _with_macros(_xlsx([["下沙街道测试队", "社区社会组织(备案)"]])) if kind == "macros" else hundred_thousand_rows
    expected = "工作簿包含宏" if kind == "macros" else "数据超过 5000 行"
    before = (count("organisations"), _audited())
    at = _upload(_import_page(), "org_import:file", "组织.xlsx", data, XLSX)
    assert not at.exception
    assert expected in errors(at)
    assert not [b for b in at.button if "确认导入" in b.label]
    assert (count("organisations"), _audited()) == before


def test_the_import_screen_reports_formula_rows_and_imports_only_the_rest(demo_db):
    data = _org_sheet({"name": '=HYPERLINK("http://evil.example","点我")', "filing_no": "下沙备字〔2024〕第201号"},
                      {"name": "下沙街道导入公式测试队", "filing_no": "下沙备字〔2024〕第202号"})
    before = count("organisations")
    at = _upload(_import_page(), "org_import:file", "组织.xlsx", data, XLSX)
    assert not at.exception
    report = at.dataframe[0].value
    assert "单元格含公式,请粘贴为数值后再导入" in report["说明"].tolist()
    assert "可导入 1 行,错误 1 行" in plain_texts(at)
    at.button(key="org_import:confirm").click().run()
    assert count("organisations") == before + 1
    assert demo_db.scalar("SELECT count(*) FROM organisations WHERE name LIKE '%HYPERLINK%'") == 0


def test_no_screen_renders_an_uploaded_file():
    """Uploads go back only through download buttons: no screen hands stored files to st.image, st.pdf,
    st.html, st.audio/st.video or components (static check of pages/ and core/ui/)."""
    import re

    for folder in ("pages", "core/ui"):
        for path in (ROOT / folder).rglob("*.py"):
            text = path.read_text(encoding="utf-8")
            for call in ("st.image(", "st.pdf(", "st.audio(", "st.video(", "components.html(", "st.iframe("):
                assert call not in text, f"{path.name} calls {call}"
            if "documents.read(" in text or "uploads_dir(" in text:
                assert not re.search(r"st\.html\(|unsafe_allow_html", text.replace("st.html(MEETING_CSS)", "")), path


def test_hub_errors_from_uploads_are_chinese(uploads):
    for data in (b"", EXE):
        with pytest.raises(HubError) as info:
            documents.attach("applications", 1, "x.pdf", data, STAFF)
        assert any("\u4e00" <= ch <= "\u9fff" for ch in str(info.value))
