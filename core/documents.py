"""Attachments (application documents, later activity photos): type checked by content, size-limited,
stored under ``data/uploads/`` by content hash (never by the uploaded name), metadata in the database.
Files are only ever offered back as downloads; nothing is executed or rendered as HTML.
"""
from __future__ import annotations

import hashlib
import io
import os
import re
import zipfile
from pathlib import Path

import filetype
import pandas as pd

from core import config, records
from core.actor import Actor
from core.db import get_db, write_file
from core.entities import Entity, register
from core.errors import NotFound, PermissionDenied, ValidationFailed

DOCUMENT = register(Entity(
    name="document", table="documents", label="附件", write_roles=frozenset({"admin", "staff"}),
    title_field="filename",
))

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


def safe_name(name: str) -> str:
    base = os.path.basename(name or "").strip() or "附件"
    base = re.sub(r"[\x00-\x1f\x7f/\\:*?\"<>|]", "_", base)
    return base[:120]


def attach(owner_table: str, owner_id: int, filename: str, data: bytes, actor: Actor, db=None) -> int:
    if not actor.has(*DOCUMENT.write_roles, "system"):  # before anything reaches the disk
        raise PermissionDenied(f"当前账号无权修改{DOCUMENT.label}")
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
    db = db or get_db()
    with db.write_lock:  # the file and its record together: a record that cannot be saved leaves no file
        created = not path.exists()
        if created:  # temp name + rename: a full disk or read-only folder raises WriteFailed, leaves no piece
            write_file(path, data, "上传的文件")
        try:
            return records.create(DOCUMENT, {
                "owner_table": owner_table, "owner_id": owner_id, "filename": safe_name(filename), "kind": kind,
                "mime": mime, "size_bytes": len(data), "sha256": digest, "stored_name": stored,
            }, actor, db=db)
        except BaseException:
            if created:
                path.unlink(missing_ok=True)
            raise


def list_for(owner_table: str, owner_id: int, db=None) -> pd.DataFrame:
    db = db or get_db()
    return db.fetch_df("SELECT id, filename, kind, size_bytes, created_at, created_by FROM documents"
                       " WHERE owner_table = ? AND owner_id = ? ORDER BY id", [owner_table, owner_id])


def read(doc_id: int, db=None) -> tuple[dict, bytes]:
    db = db or get_db()
    row = db.fetch_one("SELECT * FROM documents WHERE id = ?", [doc_id])
    if row is None:
        raise NotFound(f"附件(编号 {doc_id})不存在")
    return row, (uploads_dir() / row["stored_name"]).read_bytes()
