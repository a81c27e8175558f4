"""The audit log: one row per write (who, when, what, before/after), chained by keyed hashes and anchored
outside the database.

**The chain.** Each row's ``hash`` is an HMAC-SHA256, under the audit key, of its own content and its
predecessor's hash (``prev_hash``). The key lives in the secrets file (``HUBDESK_SECRETS``,
``[audit] key``; :mod:`core.platform.secrets_file`), never in the database: someone who can edit the database
file but not read the secrets file cannot recompute the hashes after changing, inserting or deleting a
row, whether with plain SHA-256 or with a key of their own.

**Upgrading an unkeyed chain.** Databases written before the key existed hold rows hashed with plain
SHA-256 over the same content. They are not re-hashed (their hashes stay what older backups recorded).
Instead the first write after the upgrade appends one keyed row first (action ``audit_key``, by
``system``) saying "keyed from here; rows 1–N are the older SHA-256 rows". Its HMAC covers row N's hash,
which covers every row before it, so a later change to any of the old rows breaks the chain at that
row. :func:`verify` accepts SHA-256 rows only as an unbroken prefix before the first keyed row, and
names that prefix in its report. (A rewrite of the *whole* chain as SHA-256 rows is what the head file
and the backups below catch.)

**The head file.** After every committed write transaction that appended audit rows, one line is
appended (and fsync'd) to ``<database>.audit-head`` beside the database file::

    H <tab> last id <tab> its hash <tab> time <tab> key id

(``B`` lines: a backup was taken, naming it; ``R`` lines: the database was replaced by a backup with
``python3 -m core.manage restore``, with the backup's last row and the replaced database's last row.)
The line is written by a post-commit hook of the transaction (:class:`core.platform.db.Transaction`), in commit
order, under the write lock: a crash between the commit and the line leaves the file one transaction
behind, which is harmless. Past ``HEAD_MAX_BYTES`` the file is compacted (written aside, fsync'd,
renamed) to the last ``R`` line and the newest ``HEAD_KEEP`` lines. :func:`verify` then finds:

* truncation: the head file (or a backup) names a higher id than the database holds;
* rewriting: a row's hash differs from the head file's or a backup's, or a row's HMAC does not hold;
* a restore: the lines before the last ``R`` line belong to the replaced database and are reported as
  "restored from backup X on …", not as tampering; so are backups taken before that restore.

What stays possible on the machine itself: someone with the audit key, or who deletes the newest rows
*and* the head file's newest lines. Hence backups copied off the machine (each records its last id and
hash) and the secrets file kept off the machine.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, NamedTuple

import pyarrow as pa

from core.platform import secrets_file  # (tomllib loaded with it, at import: before a process may drop privileges)
from core.platform import config
from core.platform.errors import HubError
from core.platform.listing import like_literal
from core.platform.validation import jsonable

log = logging.getLogger("hubdesk")

GENESIS = "0" * 64
SECRET = "******"
KEY_ACTION = "audit_key"  # the row that starts the keyed chain of an upgraded database
HEAD_SUFFIX = ".audit-head"
HEAD_MAX_BYTES = 256 * 1024
HEAD_KEEP = 200
_HEAD_TITLE = "# HubDesk audit head: one line per committed write (append-only; see core/platform/audit.py)\n"
_COLUMNS = ("id", "logged_at", "actor", "table_name", "row_key", "action", "before_json", "after_json",
            "prev_hash", "hash", "note", "hub_id")


_AS_IS = frozenset({str, int, bool, type(None)})  # what jsonable returns unchanged (most values: skip the call)


def _dump(data: dict | None, secret_fields: tuple[str, ...] = ()) -> str | None:
    if data is None:
        return None
    clean = {k: (SECRET if k in secret_fields and v is not None else v if type(v) in _AS_IS else jsonable(v))
             for k, v in data.items()}
    return json.dumps(clean, ensure_ascii=False, sort_keys=True)


# ---- keys and digests ---------------------------------------------------------------------------------
_key_cache: dict[Path, tuple[tuple, list[bytes]]] = {}


def _secrets_path() -> Path:
    return config.load().secrets_path


def keys(*, create: bool = True) -> list[bytes]:
    """The audit key (first) and older ones from the secrets file. ``create``: add a key if there is none
    (writers); checkers pass False and get [] rather than a new key."""
    path = _secrets_path()
    try:
        st = path.stat()
        sig = (st.st_mtime_ns, st.st_size, st.st_ino)
    except FileNotFoundError:
        sig = None
    hit = _key_cache.get(path)
    if sig is not None and hit is not None and hit[0] == sig:
        return hit[1]
    try:
        found = secrets_file.audit_keys(path, create=create)
    except OSError as exc:
        raise HubError(f"无法读取或创建密钥文件 {path}(审计密钥保存在其中):{exc}。请检查 HUBDESK_SECRETS 指向的位置和权限。") from exc
    if found:
        st = path.stat()
        _key_cache[path] = ((st.st_mtime_ns, st.st_size, st.st_ino), found)
    return found


def _content(row: dict) -> bytes:
    parts = [
        str(row["id"]), row["logged_at"].isoformat(timespec="microseconds"), row["actor"], row["table_name"],
        row["row_key"] or "", row["action"], row["before_json"] or "", row["after_json"] or "", row["prev_hash"],
    ]
    if row.get("note") is not None:  # added in migration 002; rows without a note hash as before
        parts.append(row["note"])
    if row.get("hub_id") is not None:  # added in migration 031; rows without a hub (older ones) hash as before
        parts.append(f"hub:{row['hub_id']}")
    return "\x1f".join(parts).encode("utf-8")


def _legacy_digest(row: dict) -> str:
    """The hash of rows written before the audit key existed (plain SHA-256)."""
    return hashlib.sha256(_content(row)).hexdigest()


def _keyed_digest(row: dict, key: bytes) -> str:
    return hmac.new(key, _content(row), hashlib.sha256).hexdigest()


def _digest(row: dict, key: bytes | None = None) -> str:
    """The hash :func:`record` stores for ``row``: HMAC-SHA256 under the audit key."""
    return _keyed_digest(row, key if key is not None else keys()[0])


def _signed(row: dict, keyring: list[bytes]) -> bool:
    return any(hmac.compare_digest(_keyed_digest(row, k), row["hash"]) for k in keyring)


def _key_id(key: bytes) -> str:
    return secrets_file.key_id(key)


# ---- writing --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Change:
    table: str
    key: Any
    action: str  # create | update | delete | login_ok | login_failed | ...
    before: dict | None = None
    after: dict | None = None
    secret_fields: tuple[str, ...] = ()
    note: str | None = None  # why (e.g. the reason for an override or a state change)
    hub: int | None = None  # the hub of the row written (its readers' audit view); None: the whole install's


def record(tx, actor: str, changes: list[Change]) -> None:
    """Append audit rows for ``changes`` inside the caller's transaction (which holds the write lock);
    after the commit, the new head goes to the head file (one line per transaction)."""
    if not changes:
        return

    keyring = keys()
    if not keyring:
        raise HubError("保存失败:找不到审计密钥(密钥文件中没有 [audit] key),本次修改未保存。")
    key = keyring[0]
    last = tx.fetch_one(f"SELECT {', '.join(_COLUMNS)} FROM audit_log ORDER BY id DESC LIMIT 1")
    next_id, prev = (last["id"] + 1, last["hash"]) if last else (1, GENESIS)
    now = datetime.now()
    entries: list[tuple[str, Change]] = [(actor or "system", ch) for ch in changes]
    if last and not _signed(last, keyring) and hmac.compare_digest(_legacy_digest(last), last["hash"]):
        # an unkeyed chain (older HubDesk): one keyed row first, covering all of it (see the module doc)
        entries.insert(0, ("system", Change(
            "audit_log", None, KEY_ACTION,
            note=f"审计日志自本条起使用密钥签名(HMAC-SHA256,密钥标识 {_key_id(key)});第 1–{last['id']} 条是此前"
                 f"未使用密钥的记录(SHA-256),本条的签名覆盖第 {last['id']} 条的哈希,此后改动其中任何一条都会被发现")))
    rows = []
    for who, ch in entries:
        row = {
            "id": next_id, "logged_at": now, "actor": who, "table_name": ch.table,
            "row_key": None if ch.key is None else str(ch.key), "action": ch.action,
            "before_json": _dump(ch.before, ch.secret_fields), "after_json": _dump(ch.after, ch.secret_fields),
            "prev_hash": prev, "note": ch.note, "hub_id": ch.hub,
        }
        row["hash"] = _keyed_digest(row, key)
        rows.append(row)
        prev, next_id = row["hash"], next_id + 1
    cols = list(rows[0])
    if len(rows) == 1:
        tx.execute(f"INSERT INTO audit_log ({', '.join(cols)}) VALUES ({', '.join('?' for _ in cols)})",
                   [rows[0][c] for c in cols])
    else:  # one Arrow table: far faster than a VALUES list of parameters (or executemany) in DuckDB
        tx.cursor.register(_STAGED, pa.table({c: pa.array([r[c] for r in rows], type=_ARROW[c]) for c in cols}))
        try:
            tx.execute(f"INSERT INTO audit_log ({', '.join(cols)}) SELECT {', '.join(cols)} FROM {_STAGED}")
        finally:
            tx.cursor.unregister(_STAGED)
    tx.touch("audit_log")
    _after_commit(tx, rows[-1]["id"], rows[-1]["hash"], _key_id(key))


_STAGED = "_hubdesk_staged_audit"
_ARROW = {"id": pa.int64(), "logged_at": pa.timestamp("us"), "actor": pa.string(), "table_name": pa.string(),
          "row_key": pa.string(), "action": pa.string(), "before_json": pa.string(), "after_json": pa.string(),
          "prev_hash": pa.string(), "hash": pa.string(), "note": pa.string(), "hub_id": pa.int64()}


def _after_commit(tx, last_id: int, last_hash: str, kid: str) -> None:
    """Remember this transaction's new head; the head file gets it once the transaction has committed."""
    path, hooks = getattr(tx, "path", None), getattr(tx, "after_commit", None)
    if path is None or hooks is None:
        return
    first = getattr(tx, "_audit_head", None) is None
    tx._audit_head = (last_id, last_hash, kid)
    if first:
        hooks.append(lambda: _append_quietly(head_path(path), "H", *tx._audit_head))


# ---- the head file ----------------------------------------------------------------------------------------
def head_path(db_path: Path | str) -> Path:
    return Path(str(db_path) + HEAD_SUFFIX)


class HeadLine(NamedTuple):
    kind: str  # H (a write) | B (a backup) | R (a restore)
    id: int
    hash: str
    at: str  # ISO time
    key_id: str
    extra: tuple[str, ...] = ()  # B: backup name; R: backup name, replaced last id, its hash, kept file


def _clean(text: Any) -> str:
    return str(text).replace("\t", " ").replace("\n", " ").replace("\r", " ")


def _line(kind: str, last_id: int, last_hash: str, kid: str, *extra: Any) -> str:
    fields = [kind, str(int(last_id)), last_hash, datetime.now().isoformat(timespec="microseconds"), kid, *extra]
    return "\t".join(_clean(f) for f in fields) + "\n"


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def append_head(path: Path | str, kind: str, last_id: int, last_hash: str, kid: str, *extra: Any) -> None:
    """Append one line to the head file ``path`` (created if missing), fsync'd; compact it when large."""
    path = Path(path)
    text = _line(kind, last_id, last_hash, kid, *extra)
    created = not path.exists()
    fd = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        size = os.fstat(fd).st_size
        if size and os.pread(fd, 1, size - 1) != b"\n":  # a line cut short by a crash: drop the piece
            tail = os.pread(fd, min(size, 4096), max(0, size - 4096))
            size = max(0, size - len(tail)) + tail.rfind(b"\n") + 1 if b"\n" in tail else max(0, size - 4096)
            os.ftruncate(fd, size)
        if size == 0:
            text = _HEAD_TITLE + text
        os.write(fd, text.encode("utf-8"))
        os.fsync(fd)
        size = os.fstat(fd).st_size
    finally:
        os.close(fd)
    if created:
        _fsync_dir(path.parent)
    if size > HEAD_MAX_BYTES:
        compact_head(path)


def _append_quietly(path: Path, *args: Any) -> None:
    """The post-commit append: the write is already committed, so a failure here is logged, not raised
    (the head file is then behind the database, which :func:`verify` accepts)."""
    try:
        append_head(path, *args)
    except OSError as exc:
        log.error("HubDesk: could not append to the audit head file %s: %s", path, exc)


def read_head(path: Path | str) -> tuple[list[HeadLine], int]:
    """The head file's lines and the number of lines that could not be read (a torn last line, or edits)."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return [], 0
    text = raw.decode("utf-8", errors="replace")
    parts = text.split("\n")
    torn = parts.pop()  # after the last newline: empty, or a line cut short by a crash (ignored)
    lines, bad = [], 0
    for part in parts:
        if not part or part.startswith("#"):
            continue
        f = part.split("\t")
        try:
            if f[0] not in ("H", "B", "R") or len(f) < 5 or len(f[2]) != 64:
                raise ValueError(part)
            lines.append(HeadLine(f[0], int(f[1]), f[2], f[3], f[4], tuple(f[5:])))
        except (ValueError, IndexError):
            bad += 1
    del torn
    return lines, bad


def compact_head(path: Path | str, keep: int | None = None) -> None:
    """Rewrite the head file as its last ``R`` line and newest ``keep`` (``HEAD_KEEP``) lines (aside,
    fsync'd, renamed). Older lines only repeat what the keyed chain proves by itself."""
    path = Path(path)
    keep = HEAD_KEEP if keep is None else keep
    lines, _ = read_head(path)
    last_r = max((i for i, ln in enumerate(lines) if ln.kind == "R"), default=-1)
    after = lines[last_r + 1:]
    kept = ([lines[last_r]] if last_r >= 0 else []) + after[-keep:]
    body = _HEAD_TITLE + f"# compacted {datetime.now().isoformat(timespec='seconds')}: {len(lines) - len(kept)} older lines dropped\n"
    body += "".join("\t".join(_clean(f) for f in (ln.kind, ln.id, ln.hash, ln.at, ln.key_id, *ln.extra)) + "\n"
                    for ln in kept)
    secrets_file.replace_atomically(path, body)
    _fsync_dir(path.parent)


def _current_key_id() -> str:
    found = keys(create=False)
    return _key_id(found[0]) if found else "-"


def note_backup(db_path: Path | str, last: tuple[int, str] | None, name: str) -> None:
    """A backup of the database at ``db_path`` was taken, ending at audit row ``last`` (id, hash)."""
    if last is not None:
        _append_quietly(head_path(db_path), "B", last[0], last[1], _current_key_id(), name)


def note_restore(db_path: Path | str, restored: tuple[int, str] | None, source: str,
                 replaced: tuple[int, str] | None, kept: str | None) -> None:
    """``db_path`` was replaced by the backup ``source`` whose audit log ends at ``restored``; the replaced
    database's ended at ``replaced`` and is kept as ``kept``. Raises OSError (a restore must say so)."""
    rid, rhash = restored or (0, GENESIS)
    pid, phash = replaced or (0, GENESIS)
    append_head(head_path(db_path), "R", rid, rhash, _current_key_id(), source, pid, phash, kept or "-")


# ---- checking -------------------------------------------------------------------------------------------
class Anchor(NamedTuple):
    """A row known from outside the database file (the last audit row of a backup)."""
    id: int
    hash: str
    where: str
    taken_at: datetime | None = None


@dataclass(frozen=True)
class Problem:
    first_id: int
    last_id: int
    reason: str

    def text(self) -> str:
        rows = f"第 {self.first_id} 条" if self.first_id == self.last_id else f"第 {self.first_id}–{self.last_id} 条"
        return f"{rows}:{self.reason}"


@dataclass(frozen=True)
class ChainReport:
    ok: bool
    rows: int
    first_bad_id: int | None = None
    reason: str = ""
    problems: tuple[Problem, ...] = ()  # every bad stretch, in id order ("which rows")
    notes: tuple[str, ...] = field(default=())  # not tampering, but worth knowing (a restore, old rows, …)

    @property
    def bad_range(self) -> tuple[int, int] | None:
        """The first and last row id named by any problem."""
        if not self.problems:
            return None
        return min(p.first_id for p in self.problems), max(p.last_id for p in self.problems)

    def lines(self) -> list[str]:
        """The report in Chinese, one line each (``check-audit`` prints them)."""
        if self.ok:
            out = [f"审计日志完整:{self.rows} 条"]
        else:
            span = self.bad_range
            where = "" if span is None or span[0] == span[1] else f"(涉及第 {span[0]}–{span[1]} 条)"
            out = [f"审计日志异常:{self.rows} 条,第 {self.first_bad_id} 条:{self.reason}{where}"]
            out += [f"  {p.text()}" for p in self.problems]
        out += [f"  提醒:{n}" for n in self.notes]
        return out


class _Walk:
    """One pass over the chain: problems found, the unkeyed prefix, and the hashes of the wanted ids."""

    def __init__(self):
        self.rows = 0
        self.last_id = 0
        self.problems: list[tuple[int, int, str, int]] = []  # first, last, reason, the id that noticed it
        self.legacy: tuple[int, int] | None = None  # the unkeyed prefix (older HubDesk), first and last id
        self.stored: dict[int, str] = {}
        self.keyed = 0  # rows whose signature holds
        self.tail: int | None = None  # first row of the bad-signature rows that run to the end

    def bad(self, first: int, last: int, reason: str, at: int) -> None:
        p = self.problems[-1] if self.problems else None
        if p and reason == _CHANGED and p[2] in (_CHANGED, _CHANGED_MANY) and p[1] == first - 1:
            self.problems[-1] = (p[0], last, _CHANGED_MANY, p[3])
        else:
            self.problems.append((first, last, reason, at))

    def covers(self, rid: int) -> bool:
        return any(p[0] <= rid <= p[1] for p in self.problems)


_CHANGED = "记录内容与其哈希不符(该条可能被修改)"
_CHANGED_MANY = "签名不符:这些记录被修改,或被改写后重新计算了哈希(没有审计密钥算不出正确的签名)"
_UNLINKED = "与前一条记录的链接不一致(前一条可能被修改或删除)"
_UNSIGNED_MARK = "启用密钥签名的那一条本身没有有效签名(记录被改写过)"


def _walk(db, keyring: list[bytes], wanted: set[int]) -> _Walk:
    w = _Walk()
    prev, expected_id, keyed_era = GENESIS, 1, False
    with db.read() as cur:
        cur.execute(f"SELECT {', '.join(_COLUMNS)} FROM audit_log ORDER BY id")
        while batch := cur.fetchmany(5000):
            for values in batch:
                row = dict(zip(_COLUMNS, values))
                rid = row["id"]
                w.rows += 1
                w.last_id = rid
                if rid in wanted:
                    w.stored[rid] = row["hash"]
                gap = rid != expected_id
                if gap and rid > expected_id:
                    w.bad(expected_id, rid - 1, f"缺少编号 {expected_id} 的审计记录(可能被删除)", rid)
                elif gap:
                    w.bad(rid, rid, "编号重复或顺序错乱", rid)
                linked = row["prev_hash"] == prev
                if not gap and not linked:
                    w.bad(rid, rid, _UNLINKED, rid)
                if keyring and _signed(row, keyring):
                    keyed_era, w.tail = True, None
                    w.keyed += 1
                elif not keyed_era and hmac.compare_digest(_legacy_digest(row), row["hash"]):
                    w.legacy = (w.legacy[0] if w.legacy else rid, rid)
                    if row["action"] == KEY_ACTION:
                        w.bad(rid, rid, _UNSIGNED_MARK, rid)
                else:
                    keyed_era = True  # an unkeyed row after a keyed (or a bad) one is not "old": it is bad
                    if gap or linked:
                        w.bad(rid, rid, _CHANGED, rid)
                    if w.tail is None:
                        w.tail = rid
                prev, expected_id = row["hash"], rid + 1
    return w


def _range(a: int, b: int) -> str:
    return f"第 {a} 条" if a == b else f"第 {a}–{b} 条"


def _when(at: str) -> str:
    return at.replace("T", " ")[:19]  # to the second, for people


def verify(db, anchors: list[tuple] = (), *, keyring: list[bytes] | None = None,
           head: Path | str | None = None) -> ChainReport:
    """Walk the whole chain; report every row whose link or signature does not hold, and check the chain's
    end against the head file beside the database and the ``anchors`` (each ``(id, hash, where[,
    taken_at])``: the last audit row of a backup, see :func:`core.platform.backup.audit_anchors`).

    ``first_bad_id``/``reason`` name the first problem; ``problems`` every bad stretch (Chinese);
    ``notes`` what is not tampering but worth knowing (a restore, rows from before the key, no head
    file). Read-only: it never creates a key or a file."""
    keyring = keys(create=False) if keyring is None else list(keyring)
    head_file = Path(head) if head is not None else head_path(db.path)
    head_lines, unreadable = read_head(head_file)
    last_r = max((i for i, ln in enumerate(head_lines) if ln.kind == "R"), default=-1)
    restore = head_lines[last_r] if last_r >= 0 else None
    era = head_lines[last_r:] if last_r >= 0 else head_lines  # lines about the database as it is now
    anchors = [Anchor(*a) for a in anchors]
    w = _walk(db, keyring, {ln.id for ln in era} | {a.id for a in anchors})
    problems = list(w.problems)
    notes: list[str] = []
    secrets = _secrets_path()

    # ---- signatures that do not hold: a missing or a different key? ----------------------------------
    if any(p[2] in (_CHANGED, _CHANGED_MANY) for p in w.problems):
        if not keyring:
            notes.append(f"找不到审计密钥(密钥文件 {secrets} 中没有 [audit] key),无法校验签名:请放回原来的密钥文件"
                         "(它应与备份一起保存在本机以外)后再校验。")
        else:
            now = {_key_id(k) for k in keyring}
            others = sorted({ln.key_id for ln in era if ln.key_id not in now and ln.key_id != "-"})
            if others:
                notes.append(f"链头文件显示这些记录由另一个审计密钥签名(密钥标识 {'、'.join(others)}),而密钥文件 {secrets} "
                             f"中的是 {'、'.join(sorted(now))}:如果密钥文件被替换或重新生成过,请放回原来的密钥文件"
                             "(或把旧密钥加入 [audit] previous_keys)后再校验。")
            elif w.keyed == 0:
                notes.append(f"没有一条签名记录能用密钥文件 {secrets} 中的审计密钥校验通过:要么这些记录被改写过,"
                             "要么这个密钥不是写入它们时的那一把(例如密钥文件丢失后重新生成)。")
            else:
                notes.append("如果签名不符的记录来自另一套安装(导入的数据),或密钥文件曾被重新生成,请把当时的审计密钥加入"
                             f"密钥文件 {secrets} 的 [audit] previous_keys 后再校验;否则这些记录被改写过。")

    # ---- the head file ----------------------------------------------------------------------------------
    if not head_lines and w.rows:
        notes.append(f"没有找到链头文件 {head_file.name}:无法对照链头确认末尾的记录没有被删除(新导入或从别处复制来的"
                     "数据库会这样;下一次写入后自动建立)。")
    if unreadable:
        notes.append(f"链头文件 {head_file.name} 中有 {unreadable} 行无法读取(可能被改动过)。")
    if restore is not None:
        source, old_id, _old_hash, kept = (list(restore.extra) + ["?", "0", "", "-"])[:4]
        before = head_lines[max((i for i, ln in enumerate(head_lines[:last_r]) if ln.kind == "R"), default=-1) + 1:last_r]
        old = int(old_id) if old_id.isdigit() else 0
        told = max((ln.id for ln in before), default=0)  # what the head file knew before the restore
        lost = ""
        if max(old, told) > restore.id:
            lost = (f";恢复前的审计日志到第 {max(old, told)} 条,第 {restore.id + 1}–{max(old, told)} 条不在当前数据库中"
                    + (f"(被替换的数据库只到第 {old} 条,比链头文件记录的少)" if told > old else ""))
        where = f"(被替换的数据库保留为 {kept})" if kept not in ("", "-") else ""
        notes.append(f"数据库于 {_when(restore.at)} 用 python3 -m core.manage restore 从备份 {source} 恢复,"
                     f"审计日志回到第 {restore.id} 条{lost}{where}。")
    cut: tuple[int, str] | None = None  # the highest id known from outside, when the database has less
    newest = max(era, key=lambda ln: ln.id, default=None)
    if newest is not None and newest.id > w.last_id:
        hint = "" if restore is not None else "如果刚手工复制备份文件恢复过,请改用 python3 -m core.manage restore(它会记录恢复)。"
        cut = (newest.id, f"审计日志末尾的记录被删除:链头文件记录到第 {newest.id} 条({_when(newest.at)}),"
                          f"数据库中只到第 {w.last_id} 条。{hint}")
    for ln in sorted(era, key=lambda ln: ln.id):
        got = w.stored.get(ln.id)
        if ln.id == 0 or got is None or got == ln.hash or w.covers(ln.id):
            continue
        if w.legacy is not None and w.legacy[0] <= ln.id:  # the whole unsigned stretch is in doubt
            problems.append((w.legacy[0], max(w.legacy[1], ln.id),
                             f"这些记录没有密钥签名,且第 {ln.id} 条与链头文件记录的哈希不同:被整体改写过", ln.id))
        else:
            problems.append((ln.id, ln.id, "与链头文件记录的哈希不同:该条或之前的记录被换过(签名有效:改写者持有"
                                           "审计密钥,或数据库被换成了另一份)", ln.id))
        break

    # ---- the backups ----------------------------------------------------------------------------------
    restored_at = _parse(restore.at) if restore is not None else None
    for a in anchors:
        stored = w.stored.get(a.id)
        if stored == a.hash or (stored is not None and w.covers(a.id)):
            continue
        if restored_at is not None and a.taken_at is not None and a.taken_at < restored_at:
            notes.append(f"{a.where.strip()} 取自恢复之前(审计日志到第 {a.id} 条),与恢复后的审计日志不同,属正常。")
        elif a.id > w.last_id:
            if cut is None or a.id > cut[0]:
                cut = (a.id, f"审计日志末尾的记录被删除:{a.where}中已有编号 {a.id} 的记录,当前只到编号 {w.last_id}")
        elif stored is not None:
            problems.append((a.id, a.id, f"与{a.where}中的同一条记录不一致(记录可能被改写)", a.id))
    if cut is not None:
        problems.append((w.last_id + 1, cut[0], cut[1], w.last_id + 1))

    if w.legacy is not None:
        a, b = w.legacy
        notes.append(f"{_range(a, b)}是启用密钥签名之前的记录(仅 SHA-256)" +
                     ("。审计日志中还没有密钥签名的记录:如果本系统升级后已写入过数据,说明日志被整体改写过。"
                      if w.keyed == 0 else ",由其后第一条签名记录连带保护。"))
    if not problems:
        return ChainReport(True, w.rows, notes=tuple(notes))
    first = problems[0]
    return ChainReport(False, w.rows, first[3], first[2],
                       tuple(Problem(p[0], p[1], p[2]) for p in sorted(problems, key=lambda p: (p[0], p[1]))),
                       tuple(notes))


def _parse(at: str) -> datetime | None:
    try:
        return datetime.fromisoformat(at)
    except ValueError:
        return None


def last_row(con) -> tuple[int, str] | None:
    """(id, hash) of the newest audit row through a DuckDB connection or cursor, or None."""
    row = con.execute("SELECT id, hash FROM audit_log ORDER BY id DESC LIMIT 1").fetchone()
    return (int(row[0]), str(row[1])) if row else None


# ---- reading ---------------------------------------------------------------------------------------------
def query(db, *, actor: str | None = None, table: str | None = None, action: str | None = None,
          key: str | None = None, since: datetime | None = None, until: datetime | None = None,
          text: str | None = None, limit: int = 200, offset: int = 0, hubs: tuple[int, ...] | None = None):
    """Filtered audit rows (newest first) and the total count; ``hubs``: only the rows of writes to those hubs'
    records (None: every row, those of no hub too: :func:`core.platform.users.audit_hubs`)."""
    where, params = _of_hubs(hubs)
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


def distinct(db, column: str, hubs: tuple[int, ...] | None = None) -> list[str]:
    """The values of ``column`` in the rows ``hubs`` read (the audit screen's filter choices)."""
    if column not in {"actor", "table_name", "action"}:
        raise ValueError(column)
    where, params = _of_hubs(hubs)
    clause = f" WHERE {' AND '.join(where)}" if where else ""
    return [r[0] for r in db.fetch_df(f"SELECT DISTINCT {column} FROM audit_log{clause} ORDER BY 1",
                                      params).itertuples(index=False)]


def _of_hubs(hubs: tuple[int, ...] | None) -> tuple[list[str], list]:
    if hubs is None:
        return [], []
    if not hubs:
        return ["false"], []
    return [f"hub_id IN ({', '.join('?' for _ in hubs)})"], [int(h) for h in hubs]
