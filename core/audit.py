"""The audit log: one row per write (who, when, what, before/after), chained by hashes.

Each row's ``hash`` covers its own content and its predecessor's hash, so changing or deleting any
row breaks the chain from there on; :func:`verify` finds the first break.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from core.listing import like_literal
from core.validation import jsonable

GENESIS = "0" * 64
SECRET = "******"


def _dump(data: dict | None, secret_fields: tuple[str, ...] = ()) -> str | None:
    if data is None:
        return None
    clean = {k: (SECRET if k in secret_fields and v is not None else jsonable(v)) for k, v in data.items()}
    return json.dumps(clean, ensure_ascii=False, sort_keys=True)


def _digest(row: dict) -> str:
    parts = [
        str(row["id"]), row["logged_at"].isoformat(timespec="microseconds"), row["actor"], row["table_name"],
        row["row_key"] or "", row["action"], row["before_json"] or "", row["after_json"] or "", row["prev_hash"],
    ]
    if row.get("note") is not None:  # added in migration 002; rows without a note hash as before
        parts.append(row["note"])
    return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Change:
    table: str
    key: Any
    action: str  # create | update | delete | login_ok | login_failed | ...
    before: dict | None = None
    after: dict | None = None
    secret_fields: tuple[str, ...] = ()
    note: str | None = None  # why (e.g. the reason for an override or a state change)


def record(tx, actor: str, changes: list[Change]) -> None:
    """Append audit rows for ``changes`` inside the caller's transaction (which holds the write lock)."""
    if not changes:
        return
    last = tx.fetch_one("SELECT id, hash FROM audit_log ORDER BY id DESC LIMIT 1")
    next_id, prev = (last["id"] + 1, last["hash"]) if last else (1, GENESIS)
    now = datetime.now()
    rows = []
    for ch in changes:
        row = {
            "id": next_id, "logged_at": now, "actor": actor or "system", "table_name": ch.table,
            "row_key": None if ch.key is None else str(ch.key), "action": ch.action,
            "before_json": _dump(ch.before, ch.secret_fields), "after_json": _dump(ch.after, ch.secret_fields),
            "prev_hash": prev, "note": ch.note,
        }
        row["hash"] = _digest(row)
        rows.append(row)
        prev, next_id = row["hash"], next_id + 1
    cols = list(rows[0])
    one = f"({', '.join('?' for _ in cols)})"
    for start in range(0, len(rows), 500):  # multi-row INSERTs: far faster than executemany in DuckDB
        chunk = rows[start:start + 500]
        tx.execute(f"INSERT INTO audit_log ({', '.join(cols)}) VALUES {', '.join(one for _ in chunk)}",
                   [r[c] for r in chunk for c in cols])
    tx.touch("audit_log")


@dataclass(frozen=True)
class ChainReport:
    ok: bool
    rows: int
    first_bad_id: int | None = None
    reason: str = ""


def verify(db, anchors: list[tuple[int, str, str]] = ()) -> ChainReport:
    """Walk the whole chain; report the first row whose hash or link does not hold.

    The chain alone cannot show that its newest rows were deleted; ``anchors`` close that gap: each
    (id, hash, where) is a row known from outside this file (the last audit row of a backup, see
    :func:`core.backup.audit_anchors`), which must still be there with the same hash."""
    report = _walk(db)
    if not report.ok:
        return report
    for anchor_id, anchor_hash, where in anchors:
        if anchor_id > report.rows:
            return ChainReport(False, report.rows, anchor_id,
                               f"审计日志末尾的记录被删除:{where}中已有编号 {anchor_id} 的记录,当前只到编号 {report.rows}")
        stored = db.scalar("SELECT hash FROM audit_log WHERE id = ?", [anchor_id])
        if stored != anchor_hash:
            return ChainReport(False, report.rows, anchor_id, f"与{where}中的同一条记录不一致(记录可能被改写)")
    return report


def _walk(db) -> ChainReport:
    prev, expected_id, n = GENESIS, 1, 0
    with db.read() as cur:
        cur.execute(
            "SELECT id, logged_at, actor, table_name, row_key, action, before_json, after_json, prev_hash, hash, note"
            " FROM audit_log ORDER BY id"
        )
        cols = [d[0] for d in cur.description]
        while batch := cur.fetchmany(5000):
            for values in batch:
                row = dict(zip(cols, values))
                n += 1
                if row["id"] != expected_id:
                    return ChainReport(False, n, row["id"], f"缺少编号 {expected_id} 的审计记录(可能被删除)")
                if row["prev_hash"] != prev:
                    return ChainReport(False, n, row["id"], "与前一条记录的链接不一致(前一条可能被修改或删除)")
                if _digest(row) != row["hash"]:
                    return ChainReport(False, n, row["id"], "记录内容与其哈希不符(该条可能被修改)")
                prev, expected_id = row["hash"], expected_id + 1
    return ChainReport(True, n)


def query(db, *, actor: str | None = None, table: str | None = None, action: str | None = None,
          key: str | None = None, since: datetime | None = None, until: datetime | None = None,
          text: str | None = None, limit: int = 200, offset: int = 0):
    """Filtered audit rows (newest first) and the total count."""
    where, params = [], []
    for col, val in (("actor", actor), ("table_name", table), ("action", action), ("row_key", key)):
        if val:
            where.append(f"{col} = ?")
            params.append(val)
    if since:
        where.append("logged_at >= ?")
        params.append(since)
    if until:
        where.append("logged_at < ?")
        params.append(until)
    if text:
        where.append("(coalesce(before_json, '') || coalesce(after_json, '') || coalesce(note, '')) ILIKE ? ESCAPE '\\'")
        params.append(f"%{like_literal(text)}%")
    clause = f"WHERE {' AND '.join(where)}" if where else ""
    total = db.scalar(f"SELECT count(*) FROM audit_log {clause}", params)
    df = db.fetch_df(
        f"SELECT id, logged_at, actor, table_name, row_key, action, note, before_json, after_json FROM audit_log {clause}"
        " ORDER BY id DESC LIMIT ? OFFSET ?",
        params + [limit, offset],
    )
    return df, int(total)


def distinct(db, column: str) -> list[str]:
    if column not in {"actor", "table_name", "action"}:
        raise ValueError(column)
    return [r[0] for r in db.fetch_df(f"SELECT DISTINCT {column} FROM audit_log ORDER BY 1").itertuples(index=False)]
