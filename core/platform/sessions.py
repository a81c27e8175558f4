"""Server-side sign-in sessions: the cookie carries a random session id (signed), the database keeps the
session (user, created, last seen, client, revoked). Like Django's session framework: a copied cookie is
worth nothing once its session is revoked.

- Sign-in creates a session; 退出登录 revokes it.
- A password change revokes the user's *other* sessions; an admin's reset, a role change or disabling the
  account revokes all of them (:func:`revoke_all`).
- The idle timeout (``HUBDESK_SESSION_IDLE_MINUTES``, default 120) and the absolute lifetime
  (``HUBDESK_COOKIE_DAYS``, default 1 day) are enforced here, on every run, whatever the cookie says.

Only a SHA-256 of the session id is stored, so the database (or a backup of it) holds nothing that signs
anyone in. When the database cannot be written (a full disk, a read-only file), a session is kept in this
process only, so people can still sign in to read; it ends with the process, at 退出登录 and at its
idle or absolute limit like any other, and :func:`active` lists it. ``last_seen`` is housekeeping: it is written at most once a minute per session and not audited
(an audit row per page view would drown the log); creation and revocation are audited.
"""
from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import jwt
import pandas as pd

from core.platform import config, records, secrets_file
from core.platform.actor import SYSTEM, VIA_ACCOUNT, Actor
from core.platform.db import get_db
from core.platform.entities import Entity, Rule, RuleContext, granted, register
from core.platform.errors import PermissionDenied, WriteFailed
from schemas.choices import ROLES
from schemas.system import UserSession

def _own_session(ctx: RuleContext, before: dict | None, after: dict | None) -> None:
    """A signed-in account starts and ends its own sessions only (ended in its own name, not twice)."""
    row = after or before
    if row["username"] != ctx.actor.username or (before is not None and before["username"] != row["username"]):
        raise PermissionDenied("当前账号无权结束其他用户的登录会话")
    if before is not None and (before["revoked_at"] is not None or row.get("revoked_by") != ctx.actor.username):
        raise PermissionDenied("该登录会话已结束")


SESSION = register(Entity(
    name="user_session", table="user_sessions", label="登录会话", schema=UserSession,
    key="id", key_generated=False, title_field="username", stamps=False, housekeeping=("last_seen",), hub_via=VIA_ACCOUNT,
    # admins end other users' sessions; a session is never deleted (the idle clock ends it as the system)
    create_roles=frozenset(), update_roles=frozenset({"admin"}), delete_roles=frozenset(),
    # (any_hub: the check ties the session to its own account, whose hub it is: the sign-in gate starts it before
    # the account's hub is known, as Actor(username, roles))
    rules=(Rule("每个账号只能在登录时开始自己的会话", actions=frozenset({"create"}), roles=frozenset(ROLES),
                check=_own_session, any_hub=True),
           Rule("每个账号只能结束自己的登录会话", actions=frozenset({"update"}), roles=frozenset(ROLES),
                check=_own_session, fields=frozenset({"revoked_at", "revoked_by", "revoked_reason"}), any_hub=True)),
))

TOUCH_EVERY = timedelta(minutes=1)
_memory: dict[str, dict] = {}  # digest -> session row, while the database cannot be written
REASONS = {
    "logout": "退出登录", "password_changed": "修改密码(其他会话)", "password_reset": "管理员重置密码",
    "roles_changed": "角色变更", "disabled": "账号停用", "admin_ended": "管理员结束会话", "idle": "长时间未操作",
}


def _digest(session_id: str) -> str:
    return hashlib.sha256(session_id.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Check:
    ok: bool
    username: str | None = None
    reason: str = ""  # Chinese, when not ok


def start(who: Actor, *, client: str | None = None, user_agent: str | None = None, db=None) -> str:
    """A new session for ``who`` (just signed in); returns the id for the cookie."""
    username = who.username
    s = config.load()
    now = datetime.now()
    session_id = secrets.token_urlsafe(32)
    row = {"id": _digest(session_id), "username": username, "created_at": now, "last_seen": now,
           "expires_at": now + timedelta(days=s.cookie_days), "client": (client or "")[:100] or None,
           "user_agent": (user_agent or "")[:300] or None}
    try:
        records.create(SESSION, row, who, db=db, note="登录")
    except WriteFailed:  # reads go on for people too: this process keeps the session (module docstring)
        _memory[row["id"]] = dict(row, revoked_at=None, revoked_reason=None)
    return session_id


def cookie_token(session_id: str) -> tuple[str, datetime]:
    """(the signed token the browser keeps for ``session_id``, when the cookie expires): a JWT (HS256, key from
    the secrets file) that carries the session id and its expiry, nothing else."""
    s = config.load()
    expires = datetime.now(timezone.utc) + timedelta(days=s.cookie_days)
    token = jwt.encode({"sid": session_id, "exp": int(expires.timestamp())},
                       secrets_file.cookie_key(s.secrets_path), algorithm="HS256")
    return token, expires


def cookie_session_id(token: str) -> str | None:
    """The session id a cookie's token carries, or None when it does not decode (wrong key, wrong algorithm,
    expired, garbage). Whether that session is alive is :func:`check`'s question."""
    key = secrets_file.cookie_key(config.load().secrets_path)
    try:
        data = jwt.decode(token, key, algorithms=["HS256"], options={"require": ["exp", "sid"]})
    except jwt.PyJWTError:
        return None
    sid = data.get("sid")
    return sid if isinstance(sid, str) and sid else None


def check(session_id: str | None, db=None, now: datetime | None = None) -> Check:
    """Is this session alive (not revoked, not idle too long, not past its lifetime, account active)?
    Touches ``last_seen`` (at most once a minute)."""
    if not session_id or not isinstance(session_id, str) or len(session_id) > 200:
        return Check(False, reason="")
    db = db or get_db()
    s = config.load()
    now = now or datetime.now()
    row = db.fetch_one("SELECT s.*, u.active FROM user_sessions s LEFT JOIN users u ON u.username = s.username"
                       " WHERE s.id = ?", [_digest(session_id)])
    if row is None and _digest(session_id) in _memory:
        kept = _memory[_digest(session_id)]
        row = dict(kept, active=bool(db.scalar("SELECT active FROM users WHERE username = ?", [kept["username"]])))
    if row is None:
        return Check(False, reason="登录状态无效,请重新登录。")
    if not row["active"]:
        return Check(False, row["username"], "账号已停用或不存在,已退出登录。")
    if row["revoked_at"] is not None:
        why = REASONS.get(row["revoked_reason"] or "", row["revoked_reason"] or "")
        return Check(False, row["username"], f"登录已失效({why}),请重新登录。")
    if now >= row["expires_at"]:
        return Check(False, row["username"], "登录已超过有效期,请重新登录。")
    if now - row["last_seen"] > timedelta(minutes=s.session_idle_minutes):
        _revoke_where(db, "id = ?", [row["id"]], SYSTEM, "idle")
        return Check(False, row["username"], f"超过 {s.session_idle_minutes} 分钟未操作,登录已失效,请重新登录。")
    if row["id"] in _memory:
        _memory[row["id"]]["last_seen"] = now
    elif now - row["last_seen"] >= TOUCH_EVERY:
        # housekeeping, not audited (see the module docstring): declared on SESSION
        records.housekeep(SESSION, row["id"], {"last_seen": now}, db=db, only_if="revoked_at IS NULL")
    return Check(True, row["username"])


def _revoke_where(db, where: str, params: list, actor: Actor, reason: str) -> int:
    now = datetime.now()
    for kept in list(_memory.values()):  # sessions kept in this process: the same conditions, in Python
        if kept["revoked_at"] is None and _matches(kept, where, params):
            kept.update(revoked_at=now, revoked_reason=reason)
    ids = [r["id"] for r in db.fetch_all(f"SELECT id FROM user_sessions WHERE revoked_at IS NULL AND {where}", params)]
    if not ids:
        return 0
    with records.unit(actor, db) as u:
        for key in ids:
            u.update(SESSION, key, {}, system={"revoked_at": now, "revoked_by": actor.username,
                                               "revoked_reason": reason},
                     validated=True, action="session_revoked", note=REASONS.get(reason, reason))
    return len(ids)


def _matches(row: dict, where: str, params: list) -> bool:
    """The few conditions this module revokes by (id, username, not id), for sessions kept in memory."""
    values = dict(zip([c.split()[0] for c in where.split(" AND ")], params))
    ops = {c.split()[0]: c.split()[1] for c in where.split(" AND ")}
    return all((row[c] == v) if ops[c] == "=" else (row[c] != v) for c, v in values.items())


def end(session_id: str | None, actor: Actor, db=None) -> None:
    """退出登录: this session only."""
    if session_id:
        _revoke_where(db or get_db(), "id = ? AND username = ?", [_digest(session_id), actor.username],
                      actor, "logout")


def revoke_all(username: str, actor: Actor, reason: str, *, keep: str | None = None, db=None) -> int:
    """Every live session of ``username`` (but ``keep``, the caller's own, on a password change)."""
    if actor.username != username and not granted(actor, SESSION, "update"):
        raise PermissionDenied("当前账号无权结束其他用户的登录会话")
    db = db or get_db()
    if keep:
        return _revoke_where(db, "username = ? AND id <> ?", [username, _digest(keep)], actor, reason)
    return _revoke_where(db, "username = ?", [username], actor, reason)


def revoke_one(digest: str, actor: Actor, db=None) -> int:
    """An admin ends one listed session (by its stored digest, as :func:`active` shows it)."""
    if not granted(actor, SESSION, "update"):
        raise PermissionDenied("只有管理员可以结束其他用户的登录会话")
    return _revoke_where(db or get_db(), "id = ?", [digest], actor, "admin_ended")


def active(username: str | None = None, db=None) -> pd.DataFrame:
    """Live sessions (newest first), for 用户与角色."""
    db = db or get_db()
    s = config.load()
    now = datetime.now()
    where, params = ("AND username = ?", [username]) if username else ("", [])
    return db.fetch_df(
        "SELECT id, username, created_at, last_seen, expires_at, client, user_agent FROM user_sessions"
        f" WHERE revoked_at IS NULL AND expires_at > ? AND last_seen > ? {where} ORDER BY last_seen DESC",
        [now, now - timedelta(minutes=s.session_idle_minutes), *params],
    )
