"""Attachments (application documents, activity photos): type checked by content, size-limited,
stored under ``data/uploads/`` by content hash (never by the uploaded name), metadata in the database.
Files are only ever offered back as downloads; nothing is executed or rendered as HTML.

The extension is always the one of the **detected** type, both of the stored file
(``<sha256>.<ext>``) and of the name it is offered under: a PNG uploaded as ``poly.html`` (a PNG/HTML
polyglot) is kept and offered as ``poly.png``, so no browser or desktop opens it as a page. Names stored
by an older HubDesk are corrected the same way when read (:func:`download_name`).

Who gets a file: :func:`download` checks the actor's role (those who may see the records that carry
attachments: applications and service-ledger activities) before reading anything; :func:`read` is for
code already behind such a check (the dossier zip of a staff screen). Both keep the reader's hubs (issue 20): an
attachment of a record of a hub the reader does not read (another street's application or activity) reads as
「附件(编号 n)不存在」, whatever screen asks for it by id, and :func:`attach` adds a file only to a record of the
actor's own hub. A record's hub is read through ``OWNER_HUBS``, which the module owning each table declares.
"""
from __future__ import annotations

import hashlib
import io
import os
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

import filetype
import pandas as pd

from core.platform import config, records
from core.platform.actor import DEFAULT_HUB, Actor, acting
from core.platform.db import get_db, write_file
from core.platform.entities import Entity, granted, register
from schemas.stored import Document
from core.platform.errors import NotFound, PermissionDenied, ValidationFailed

READ_ROLES = frozenset({"admin", "staff"})  # who may see the records attachments belong to

DOCUMENT = register(Entity(
    name="document", table="documents", label="附件", write_roles=frozenset({"admin", "staff"}),
    title_field="filename", schema=Document,
))

# owner table -> the SQL that reads the hub of one of its rows (``hub_id``; one ``?``: the owner's id), declared by the
# module owning the table (core.intake.scope: applications and the ledger's activities); a table not declared here
# belongs to the default hub, as every record of a single-hub install does
OWNER_HUBS: dict[str, str] = {}


def owner_hub(owner_table: str, owner_id: int, db=None) -> int:
    """The hub of the record an attachment belongs to (the default hub for a table without one, or a record gone)."""
    sql = OWNER_HUBS.get(owner_table)
    row = None if sql is None else (db or get_db()).fetch_one(sql, [owner_id])
    return DEFAULT_HUB if row is None or row["hub_id"] is None else int(row["hub_id"])


def _readable(row: dict, actor: Actor | None, db) -> bool:
    who = actor if actor is not None else acting()
    if who is None or who.system:
        return True  # outside a screen (the reminder job, the command line) or the system: every hub
    return who.reads(owner_hub(row["owner_table"], row["owner_id"], db))


# detected type -> (kind shown to users, mime)
ALLOWED = {
    "pdf": ("PDF", "application/pdf"),
    "png": ("图片", "image/png"),
    "jpg": ("图片", "image/jpeg"),
    "webp": ("图片", "image/webp"),
    "xlsx": ("Excel", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
}


def uploads_dir() -> Path:
    return config.load().data_dir / "uploads"


def detect(data: bytes) -> str | None:
    """The file's real type from its content (not its name), or None if not allowed."""
    kind = filetype.guess(data)
    if kind is not None and kind.extension in ALLOWED and kind.extension != "xlsx":
        return kind.extension
    if data.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as zf:
                names = set(zf.namelist())
        except zipfile.BadZipFile:
            return None
        if "xl/workbook.xml" in names and not any(n.lower().endswith("vbaproject.bin") for n in names):
            return "xlsx"
    return None


# the spellings of a detected type's extension that a name may keep as they are
_SPELLINGS = {"pdf": {"pdf"}, "png": {"png"}, "jpg": {"jpg", "jpeg", "jpe"}, "webp": {"webp"}, "xlsx": {"xlsx"}}


def safe_name(name: str) -> str:
    base = os.path.basename((name or "").replace("\\", "/")).strip() or "附件"
    base = re.sub(r"[\x00-\x1f\x7f/\\:*?\"<>|]", "_", base)
    return base[:120]


def download_name(filename: str, ext: str) -> str:
    """The name a file is stored and offered under: the given name's stem with the extension of its
    detected type ``ext`` (``poly.html`` holding a PNG -> ``poly.png``; ``scan.JPEG`` stays)."""
    name = safe_name(filename)
    stem, dot, suffix = name.rpartition(".")
    if dot and stem.strip(" ."):
        if suffix.lower() in _SPELLINGS.get(ext, {ext}):
            return name
        name = stem.rstrip(" .")
    return f"{name[:120 - len(ext) - 1]}.{ext}"


def _stored_ext(stored_name: str) -> str:
    return stored_name.rpartition(".")[2].lower()


def attach(owner_table: str, owner_id: int, filename: str, data: bytes, actor: Actor, db=None) -> int:
    if not granted(actor, DOCUMENT, "create"):  # before anything reaches the disk
        raise PermissionDenied(f"当前账号无权修改{DOCUMENT.label}")
    if not actor.writes(owner_hub(owner_table, owner_id, db)):
        raise PermissionDenied("该记录属于其他枢纽的台账,当前账号只能为本枢纽的记录上传附件;请由该枢纽的工作人员办理。")
    s = config.load()
    limit = s.upload_max_mb * 1024 * 1024
    if not data:
        raise ValidationFailed(fields={"file": ["文件是空的"]})
    if len(data) > limit:
        raise ValidationFailed(fields={"file": [f"文件过大({len(data) / 1024 / 1024:.1f} MB),上限为 {s.upload_max_mb} MB"]})
    ext = detect(data)
    if ext is None:
        raise ValidationFailed(fields={"file": ["只接受 PDF、PNG/JPEG 图片和 Excel(.xlsx,不含宏)文件;已按文件内容检查"]})
    digest = hashlib.sha256(data).hexdigest()
    stored = f"{digest}.{ext}"
    path = uploads_dir() / stored
    kind, mime = ALLOWED[ext]
    label = download_name(filename, ext)
    given = safe_name(filename)
    note = None if label == given else f"上传时的文件名为 {given},按内容识别为 {ext.upper()},保存为 {label}"
    db = db or get_db()
    with db.write_lock:  # the file and its record together: a record that cannot be saved leaves no file
        created = not path.exists()
        if created:  # temp name + rename: a full disk or read-only folder raises WriteFailed, leaves no piece
            write_file(path, data, "上传的文件")
        try:
            return records.create(DOCUMENT, {
                "owner_table": owner_table, "owner_id": owner_id, "filename": label, "kind": kind,
                "mime": mime, "size_bytes": len(data), "sha256": digest, "stored_name": stored,
            }, actor, db=db, note=note)
        except BaseException:
            if created:
                path.unlink(missing_ok=True)
            raise


def list_for(owner_table: str, owner_id: int, db=None) -> pd.DataFrame:
    """The attachments of one record (names with the extension of their detected type)."""
    db = db or get_db()
    df = db.fetch_df("SELECT id, filename, kind, size_bytes, created_at, created_by, stored_name FROM documents"
                     " WHERE owner_table = ? AND owner_id = ? ORDER BY id", [owner_table, owner_id])
    df["filename"] = [download_name(f, _stored_ext(s)) for f, s in zip(df["filename"], df["stored_name"])]
    return df.drop(columns=["stored_name"])


def read(doc_id: int, db=None, *, actor: Actor | None = None) -> tuple[dict, bytes]:
    """The record (its ``filename`` with the detected type's extension) and the file's bytes. No role
    check: for code behind one; a screen hands files out through :func:`download`. The reader's hubs are kept
    (``actor``'s, else the screen's user's): another hub's record's attachment is not found."""
    db = db or get_db()
    row = db.fetch_one("SELECT * FROM documents WHERE id = ?", [doc_id])
    if row is None or not _readable(row, actor, db):
        raise NotFound(f"附件(编号 {doc_id})不存在")
    row["filename"] = download_name(row["filename"], _stored_ext(row["stored_name"]))
    return row, (uploads_dir() / row["stored_name"]).read_bytes()


def may_read(actor: Actor | None) -> bool:
    """Whether ``actor`` (a signed-in user's roles) may see the records attachments belong to."""
    return actor is not None and actor.has(*READ_ROLES, "system")


@dataclass(frozen=True)
class Download:
    name: str  # the detected type's extension, never the uploaded one
    mime: str
    data: bytes


def download(doc_id: int, actor: Actor | None, db=None) -> Download:
    """One attachment for ``actor`` to download: refused (PermissionDenied, in Chinese) before the file is
    read unless the actor may see the record it belongs to."""
    if not may_read(actor):
        raise PermissionDenied("当前账号无权查看附件")
    meta, data = read(doc_id, db, actor=actor)
    return Download(meta["filename"], meta["mime"], data)
