"""附件: the type is checked by content (not by name), size-limited, stored under the data folder's
``uploads/`` by sha256, the uploaded name only kept (sanitised) as metadata; read returns the bytes."""
from __future__ import annotations

import hashlib
import io
import zipfile

import openpyxl
import pytest
from PIL import Image

from core.platform import documents
from core.platform.errors import NotFound, PermissionDenied, ValidationFailed
from tests.test_rounds import ADMIN, REVIEWER, STAFF, audit_rows, last_audit_id

PDF = (b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n2 0 obj\n<< /Type /Pages /Kids [] /Count 0 >>\n"
       b"endobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n")
MSG_TYPE = "只接受 PDF、PNG/JPEG 图片和 Excel(.xlsx,不含宏)文件;已按文件内容检查"


def image(fmt: str) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (4, 3), (200, 30, 30)).save(buf, format=fmt)
    return buf.getvalue()


def xlsx() -> bytes:
    wb = openpyxl.Workbook()
    wb.active.append(["项目", "金额"])
    wb.active.append(["助餐", 40000])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def zip_of(names: dict[str, bytes]) -> bytes:
    """A zip of ``names`` with a fixed timestamp: the same bytes in every process (a parameter built at
    collection must be identical in both pytest-xdist workers, or the run stops)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, data in names.items():
            zf.writestr(zipfile.ZipInfo(name, date_time=(2026, 1, 1, 0, 0, 0)), data)
    return buf.getvalue()


@pytest.fixture
def uploads(db, isolated):
    return isolated / "uploads"


def stored(db, doc_id: int) -> dict:
    return db.fetch_one("SELECT owner_table, owner_id, filename, kind, mime, size_bytes, sha256, stored_name,"
                        " created_by FROM documents WHERE id = ?", [doc_id])


def refused(db, uploads, filename: str, data: bytes) -> ValidationFailed:
    mark = last_audit_id(db)
    with pytest.raises(ValidationFailed) as info:
        documents.attach("applications", 1, filename, data, STAFF)
    assert db.scalar("SELECT count(*) FROM documents") == 0
    assert last_audit_id(db) == mark
    assert not uploads.exists() or list(uploads.iterdir()) == []
    return info.value


# ---- accepted by content ------------------------------------------------------------------------

@pytest.mark.parametrize("name, make, ext, kind, mime", [
    ("申报书.pdf", lambda: PDF, "pdf", "PDF", "application/pdf"),
    ("活动照片.png", lambda: image("PNG"), "png", "图片", "image/png"),
    ("现场.jpg", lambda: image("JPEG"), "jpg", "图片", "image/jpeg"),
    ("预算表.xlsx", xlsx, "xlsx", "Excel", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
])
def test_allowed_files_are_stored_by_hash(db, uploads, name, make, ext, kind, mime):
    data = make()
    digest = hashlib.sha256(data).hexdigest()
    mark = last_audit_id(db)
    doc_id = documents.attach("applications", 7, name, data, STAFF)
    assert stored(db, doc_id) == {
        "owner_table": "applications", "owner_id": 7, "filename": name, "kind": kind, "mime": mime,
        "size_bytes": len(data), "sha256": digest, "stored_name": f"{digest}.{ext}", "created_by": "wangmin"}
    assert sorted(p.name for p in uploads.iterdir()) == [f"{digest}.{ext}"]  # no .part left, not the uploaded name
    assert (uploads / f"{digest}.{ext}").read_bytes() == data
    row, back = documents.read(doc_id)
    assert back == data and row["id"] == doc_id
    assert [(a["table_name"], a["row_key"], a["action"]) for a in audit_rows(db, mark)] == [
        ("documents", str(doc_id), "create")]


def test_the_type_comes_from_the_content_not_the_name(db, uploads):
    doc_id = documents.attach("applications", 1, "scan.txt", image("PNG"), STAFF)
    assert (stored(db, doc_id)["kind"], stored(db, doc_id)["stored_name"].rsplit(".", 1)[1]) == ("图片", "png")


def test_uploads_live_beside_the_database(db, isolated, monkeypatch):
    assert documents.uploads_dir() == isolated / "uploads"
    other = isolated / "elsewhere"
    monkeypatch.setenv("HUBDESK_DB", str(other / "hub.duckdb"))
    assert documents.uploads_dir() == other / "uploads"


def test_the_same_content_twice_is_stored_once(db, uploads):
    a = documents.attach("applications", 1, "a.pdf", PDF, STAFF)
    b = documents.attach("applications", 2, "b.pdf", PDF, ADMIN)
    assert a != b
    assert stored(db, a)["stored_name"] == stored(db, b)["stored_name"]
    assert len(list(uploads.iterdir())) == 1
    assert documents.list_for("applications", 2)[["id", "filename", "kind"]].to_dict("records") == [
        {"id": b, "filename": "b.pdf", "kind": "PDF"}]


# ---- refused ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("name, data", [
    ("申报书.pdf", b"<html><script>alert(document.cookie)</script></html>"),
    ("申报书.pdf", b"<?xml version='1.0'?><svg xmlns='http://www.w3.org/2000/svg' onload='alert(1)'/>"),
    ("run.pdf", b"#!/bin/sh\nrm -rf /\n"),
    ("setup.pdf", b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 64),
    ("photo.gif", b"GIF89a\x01\x00\x01\x00\x80\x00\x00\xff\xff\xff\x00\x00\x00!\xf9\x04\x00\x00\x00\x00\x00,"),
    ("notes.zip", zip_of({"readme.txt": b"hello"})),
    ("broken.xlsx", b"PK\x03\x04" + b"\x00" * 40),
])
def test_other_content_is_refused_whatever_the_name(db, uploads, name, data):
    assert refused(db, uploads, name, data).fields == {"file": [MSG_TYPE]}


def test_a_macro_workbook_is_refused(db, uploads):
    data = zip_of({"[Content_Types].xml": b"<Types/>", "xl/workbook.xml": b"<workbook/>",
                   "xl/vbaProject.bin": b"\xd0\xcf\x11\xe0macro"})
    assert refused(db, uploads, "预算表.xlsx", data).fields == {"file": [MSG_TYPE]}
    real = zipfile.ZipFile(io.BytesIO(xlsx()))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:  # a real workbook with a macro project added
        for item in real.infolist():
            zf.writestr(item, real.read(item))
        zf.writestr("xl/VBAPROJECT.BIN", b"macro")
    assert refused(db, uploads, "预算表.xlsm", buf.getvalue()).fields == {"file": [MSG_TYPE]}


def test_an_empty_file_is_refused(db, uploads):
    assert refused(db, uploads, "空.pdf", b"").fields == {"file": ["文件是空的"]}


def test_a_file_over_the_limit_is_refused(db, uploads, monkeypatch):
    monkeypatch.setenv("HUBDESK_UPLOAD_MAX_MB", "1")
    big = PDF + b"0" * (int(1.1 * 1024 * 1024) - len(PDF))
    assert refused(db, uploads, "大文件.pdf", big).fields == {"file": ["文件过大(1.1 MB),上限为 1 MB"]}
    exact = PDF + b"0" * (1024 * 1024 - len(PDF))  # exactly the limit is fine
    doc_id = documents.attach("applications", 1, "刚好.pdf", exact, STAFF)
    assert stored(db, doc_id)["size_bytes"] == 1024 * 1024


# ---- names ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("given, kept", [
    ("../../etc/passwd", "passwd"),
    ("/etc/shadow.pdf", "shadow.pdf"),
    ("C:\\Users\\报告.pdf", "报告.pdf"),  # a Windows path: its last part, as for "/" paths
    ("a\x00b\x1fc.pdf", "a_b_c.pdf"),
    ('re:po*rt?<1>|"x".pdf', "re_po_rt__1___x_.pdf"),
    ("   ", "附件"),
    ("", "附件"),
    ("长" * 200 + ".pdf", "长" * 120),
])
def test_safe_name(given, kept):
    assert documents.safe_name(given) == kept


def test_a_traversal_name_is_kept_only_as_a_harmless_label(db, uploads, isolated):
    doc_id = documents.attach("applications", 1, "../../etc/passwd", PDF, STAFF)
    row = stored(db, doc_id)
    assert row["filename"] == "passwd.pdf"  # the last part only, with the detected type's extension
    assert row["stored_name"] == hashlib.sha256(PDF).hexdigest() + ".pdf"
    assert sorted(p.relative_to(isolated).as_posix() for p in isolated.rglob("*") if p.is_file()
                  and p.parent.name == "uploads") == [f"uploads/{row['stored_name']}"]
    assert not (isolated.parent / "etc").exists()
    assert documents.read(doc_id)[1] == PDF


# ---- who and what -----------------------------------------------------------------------------------

def test_reviewers_cannot_attach(db, uploads):
    with pytest.raises(PermissionDenied, match="当前账号无权修改附件"):
        documents.attach("applications", 1, "a.pdf", PDF, REVIEWER)
    assert db.scalar("SELECT count(*) FROM documents") == 0
    assert not uploads.exists() or list(uploads.iterdir()) == []  # nothing written to disk either


def test_reading_a_missing_document(db):
    with pytest.raises(NotFound, match="附件\\(编号 42\\)不存在"):
        documents.read(42)


def test_detect(db):
    assert documents.detect(PDF) == "pdf"
    assert documents.detect(image("PNG")) == "png"
    assert documents.detect(image("JPEG")) == "jpg"
    assert documents.detect(xlsx()) == "xlsx"
    assert documents.detect(b"%PD") is None
    assert documents.detect(b"PK\x03\x04not a zip") is None
