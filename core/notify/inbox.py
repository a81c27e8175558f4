"""站内消息: each account's reminders (``channel='inbox'``), the unread count the sidebar shows, marking read; and for
admins, the reminders that could not be sent (发送失败) with their error, to retry at once or give up.

An account reads and marks only its own messages (every query filters on the recipient); retry and give-up are the
admins', each of the reminders to their hubs' recipients (issue 20: an account's hub, an organisation's contact's
organisation's hub); the top hub's admin (:func:`core.platform.users.operates`) sees and handles every one, the
企业微信 group's too (one robot per installation, configured by whoever runs the server). Marking read is the recipient's bookkeeping on their own rows (not audited, like a session's last_seen);
retry and give-up are logged in the audit log's security events.
"""
from __future__ import annotations

import datetime as dt

import pandas as pd

from core.notify import rules
from core.platform import cache, security, users
from core.platform.actor import DEFAULT_HUB
from core.platform.actor import Actor
from core.platform.db import get_db
from core.platform.errors import PermissionDenied, ValidationFailed
from schemas.columns import columns
from schemas.notification import CHANNELS, STATUSES, Notification

TABLES = ("notifications",)
# the admins' steps on unsent reminders, as the security log names them (core.platform.security.KINDS)
security.KINDS.setdefault("notify_retry", "重试发送提醒")
security.KINDS.setdefault("notify_give_up", "停止重试提醒")
INBOX_COLUMNS = columns("created_at", "rule", "subject", "body", "due_date", "read_at", of=Notification,
                        computed={"created_at": "提醒时间"})
FAILED_COLUMNS = columns("id", "rule", "subject", "recipient", "channel", "status", "attempts", "last_error",
                         "next_try_at", "created_at", of=Notification, computed={"created_at": "提醒时间"})


def unread(username: str, db=None) -> int:
    """The account's unread inbox messages (cached until a reminder is written)."""
    db = db or get_db()
    return cache.cached("notify_unread", (username,), TABLES, lambda: int(db.scalar(
        "SELECT count(*) FROM notifications WHERE recipient = ? AND channel = 'inbox' AND read_at IS NULL",
        [username])), db)


def nav_title(title: str, username: str, db=None) -> str:
    """The inbox's navigation title with its badge: "消息 (3)"; plain when nothing is unread."""
    n = unread(username, db)
    return f"{title} ({n})" if n else title


def messages(username: str, *, only_unread: bool = False, rule: str | None = None, db=None) -> pd.DataFrame:
    """The account's inbox, newest first: id, created_at, rule (its label), rule_code, subject, body, due_date,
    read_at, link_page, link_params."""
    db = db or get_db()
    where, params = ["recipient = ?", "channel = 'inbox'"], [username]
    if only_unread:
        where.append("read_at IS NULL")
    if rule:
        where.append("rule = ?")
        params.append(rule)
    df = db.fetch_df("SELECT id, created_at, rule AS rule_code, subject, body, due_date, read_at, link_page,"
                     f" link_params FROM notifications WHERE {' AND '.join(where)} ORDER BY created_at DESC, id DESC"
                     " LIMIT 500", params)
    df.insert(2, "rule", [rules.rule_label(c) for c in df["rule_code"]])
    return df


def rules_in_inbox(username: str, db=None) -> list[str]:
    return [r["rule"] for r in (db or get_db()).fetch_all(
        "SELECT DISTINCT rule FROM notifications WHERE recipient = ? AND channel = 'inbox' ORDER BY rule", [username])]


def mark_read(username: str, ids=None, *, db=None) -> int:
    """Mark the account's messages ``ids`` (None: all of them) read; returns how many were unread."""
    db = db or get_db()
    where, params = "recipient = ? AND channel = 'inbox' AND read_at IS NULL", [dt.datetime.now(), username]
    if ids is not None:
        ids = [int(i) for i in ids]
        if not ids:
            return 0
        where += f" AND id IN ({', '.join('?' for _ in ids)})"
        params += ids
    with db.transaction() as tx:
        n = len(tx.fetch_all(f"UPDATE notifications SET read_at = ? WHERE {where} RETURNING id", params))
        tx.touch("notifications")
    return n


def link(row) -> tuple[str | None, dict]:
    """The record's page key and query parameters of a message row."""
    page = row["link_page"] if isinstance(row["link_page"], str) else None
    text = row["link_params"] if isinstance(row["link_params"], str) else ""
    return page, dict(p.split("=", 1) for p in text.split("&") if "=" in p)


# ---- for admins: what could not be sent ----------------------------------------------------------------
def _admin(actor: Actor) -> None:
    if not actor.has("admin"):
        raise PermissionDenied("只有管理员可以查看和处理发送失败的提醒")


def _theirs(actor: Actor, params: list, db) -> str:
    """The condition "reminder ``n`` is to a recipient of ``actor``'s hubs" (true for the top hub's admin), its values
    appended to ``params``: an account's hub, or the hub of the organisation whose contact it emails; the 企业微信
    group's rows (no hub of their own) are the top hub's admin's only."""
    if users.operates(actor, db):
        return "true"
    keep = actor.hubs or ()
    if not keep:
        return "false"
    params += [DEFAULT_HUB, *keep]
    return ("n.id IN (SELECT x.id FROM notifications x LEFT JOIN users u ON u.username = x.recipient"
            " LEFT JOIN organisations o ON x.recipient = 'org:' || CAST(o.id AS VARCHAR)"
            " WHERE CASE WHEN u.username IS NOT NULL THEN coalesce(u.hub_id, ?) ELSE o.hub_id END"
            f" IN ({', '.join('?' for _ in keep)}))")


def failures(actor: Actor, db=None) -> pd.DataFrame:
    """Reminders not delivered (failed, given up, or claimed and not finished) to the recipients of the admin's
    hubs (every one for the top hub's admin), newest first (FAILED_COLUMNS)."""
    _admin(actor)
    db = db or get_db()
    params: list = []
    mine = _theirs(actor, params, db)
    df = db.fetch_df("SELECT n.id, n.rule, n.subject, n.recipient, n.channel, n.status, n.attempts, n.last_error,"
                     " n.next_try_at, n.created_at FROM notifications n WHERE n.status IN ('failed', 'gave_up')"
                     f" AND {mine} ORDER BY n.created_at DESC, n.id DESC LIMIT 1000", params)
    names = {r["username"]: r["name"] for r in db.fetch_all("SELECT username, name FROM users")}
    orgs = {rules.org_recipient(r["id"]): f"{r['name']}(组织联系人)" for r in db.fetch_all(
        "SELECT id, name FROM organisations WHERE id IN (SELECT CAST(split_part(recipient, ':', 2) AS BIGINT)"
        " FROM notifications WHERE recipient LIKE 'org:%' AND status IN ('failed', 'gave_up'))")}
    df["rule"] = [rules.rule_label(c) for c in df["rule"]]
    df["recipient"] = [("企业微信群" if r == "group" else orgs.get(r) or names.get(r, r)) for r in df["recipient"]]
    df["channel"] = [CHANNELS.get(c, c) for c in df["channel"]]
    df["status"] = [STATUSES.get(s, s) for s in df["status"]]
    return df[list(FAILED_COLUMNS)]


def counts(actor: Actor, db=None) -> dict[str, int]:
    """status -> reminders (every channel but the inbox) to the recipients of the admin's hubs, for the overview."""
    _admin(actor)
    db = db or get_db()
    params: list = []
    mine = _theirs(actor, params, db)
    rows = db.fetch_all(
        f"SELECT n.status, count(*) AS n FROM notifications n WHERE n.channel <> 'inbox' AND {mine} GROUP BY n.status",
        params)
    got = {r["status"]: int(r["n"]) for r in rows}
    return {s: got.get(s, 0) for s in STATUSES}


def _act_on_failed(ids, actor: Actor, sql: str, what: str, db) -> int:
    _admin(actor)
    ids = [int(i) for i in ids or []]
    if not ids:
        raise ValidationFailed(form=["请先在列表中勾选要处理的提醒。"])
    db = db or get_db()
    params: list = []
    mine = _theirs(actor, params, db)  # another hub's reminders are left as they are
    with db.transaction() as tx:
        n = len(tx.fetch_all(f"{sql} WHERE status IN ('failed', 'gave_up') AND id IN ({', '.join('?' for _ in ids)})"
                             f" AND id IN (SELECT n.id FROM notifications n WHERE {mine}) RETURNING id", ids + params))
        tx.touch("notifications")
    security.log("notify_" + what, actor.username, f"{n} 条提醒:{', '.join(map(str, ids[:50]))}", None, db=db)
    return n


def retry_now(ids, actor: Actor, db=None) -> int:
    """Try these failed reminders again at the next run (their back-off ends now)."""
    return _act_on_failed(ids, actor, "UPDATE notifications SET status = 'pending', next_try_at = current_timestamp",
                          "retry", db)


def give_up(ids, actor: Actor, db=None) -> int:
    """Stop retrying these reminders (kept in the list as 已停止重试)."""
    return _act_on_failed(ids, actor, "UPDATE notifications SET status = 'gave_up', next_try_at = NULL", "give_up", db)
