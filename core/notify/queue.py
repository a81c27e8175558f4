"""The reminder queue (``notifications``): what the rules want sent is inserted once, claimed, sent, and marked.

Exactly once per (rule, record, due date, repeat slot, recipient, channel), with two runs at once and across a
restart:

1. **enqueue** — every wanted row is inserted in one transaction with ``ON CONFLICT DO NOTHING`` on that UNIQUE
   key: a second run, or a run beside this one, adds nothing. An inbox row is delivered by being stored
   (``status='sent'``); email and 企业微信 rows wait as ``pending``.
2. **claim** — one ``UPDATE … RETURNING`` in one transaction (under the process-wide write lock) marks a batch
   ``sending`` with this run's owner id: no other run can claim those rows while the claim is live.
3. **send**, then **mark** each row in a transaction of its own: ``sent``, or ``failed`` with the error and the
   next try after a back-off (5 min, doubling, at most 6 hours: nothing is dropped while a mail server is down;
   admins see the list and may retry at once or give a reminder up).

A claim whose owner is another process is a dead process's (DuckDB lets one process hold the file), so the next run
takes it over: a process killed between claim and send loses nothing. A claim of this process older than
:data:`LEASE` (a thread that hung) is taken over too. A process killed after the server accepted a message but
before the row was marked may send that one message again: at least once, never silently lost.

These rows are the system's bookkeeping, like sign-in sessions: written here in plain transactions, not through
``core.platform.records`` and without an audit row per reminder (the admins' rule and channel settings are audited).
"""
from __future__ import annotations

import datetime as dt
import os
import threading
import uuid
from urllib.parse import urlencode

import pandas as pd

from core.platform.db import get_db

PROCESS = f"{os.getpid()}-{uuid.uuid4().hex[:8]}"  # this process; a claim by any other owner is a dead process's
LEASE = dt.timedelta(minutes=10)
BATCH = 200
_run_counter = iter(range(1, 1 << 62))
_counter_lock = threading.Lock()

WANTED_COLUMNS = ["rule", "record_kind", "record_ref", "due_date", "slot", "recipient", "channel", "address",
                  "subject", "body", "link_page", "link_params", "status", "sent_at"]


def owner() -> str:
    """A new claim owner: this process and a run number (two threads of one process never share one)."""
    with _counter_lock:
        return f"{PROCESS}:{next(_run_counter)}"


def backoff(attempts: int) -> dt.timedelta:
    """How long after the ``attempts``-th failed try the next one comes: 5, 10, 20 … minutes, at most 6 hours."""
    return dt.timedelta(minutes=min(5 * 2 ** max(attempts - 1, 0), 360))


def params_text(params: dict) -> str:
    return urlencode({k: str(v) for k, v in (params or {}).items()})


def enqueue(rows: list[dict], *, now: dt.datetime | None = None, db=None) -> dict[str, int]:
    """Insert the wanted rows that are not there yet (the UNIQUE key decides); returns channel -> new rows."""
    if not rows:
        return {}
    db = db or get_db()
    now = now or dt.datetime.now()
    df = pd.DataFrame([{**{c: r.get(c) for c in WANTED_COLUMNS}, "status": "sent" if r["channel"] == "inbox" else
                        "pending", "sent_at": now if r["channel"] == "inbox" else None} for r in rows],
                      columns=WANTED_COLUMNS)
    df["due_date"] = pd.to_datetime(df["due_date"]).dt.date
    df["sent_at"] = pd.to_datetime(df["sent_at"])
    df["slot"] = df["slot"].astype("int64")
    df = df.astype({c: object for c in ("address", "link_page", "link_params")})
    cols = ", ".join(WANTED_COLUMNS)
    with db.transaction() as tx:
        tx.cursor.register("_wanted", df)
        try:
            new = tx.execute(
                f"INSERT INTO notifications ({cols}, next_try_at, created_at)"
                f" SELECT {cols}, CAST(? AS TIMESTAMP), CAST(? AS TIMESTAMP) FROM _wanted"
                " ON CONFLICT DO NOTHING RETURNING channel", [now, now]).fetchall()
        finally:
            tx.cursor.unregister("_wanted")
        if new:
            tx.touch("notifications")
    out: dict[str, int] = {}
    for (channel,) in new:
        out[channel] = out.get(channel, 0) + 1
    return out


def claim(claimer: str, *, now: dt.datetime | None = None, limit: int = BATCH, db=None) -> list[dict]:
    """Claim up to ``limit`` reminders to send (due, or left claimed by a dead run) for ``claimer``, in one
    transaction; returns them (id, channel, address, subject, body, link_page, link_params, attempts)."""
    db = db or get_db()
    now = now or dt.datetime.now()
    with db.transaction() as tx:
        rows = tx.fetch_all(
            "UPDATE notifications SET status = 'sending', claimed_by = ?, claimed_at = ?, attempts = attempts + 1"
            " WHERE id IN (SELECT id FROM notifications WHERE channel <> 'inbox' AND ("
            "  (status IN ('pending', 'failed') AND coalesce(next_try_at, created_at) <= ?)"
            "  OR (status = 'sending' AND (split_part(claimed_by, ':', 1) <> ? OR claimed_at < ?)))"
            "  ORDER BY id LIMIT ?)"
            " RETURNING id, rule, channel, recipient, address, subject, body, link_page, link_params, attempts",
            [claimer, now, now, PROCESS, now - LEASE, limit])
        if rows:
            tx.touch("notifications")
    return sorted(rows, key=lambda r: r["id"])


def mark_sent(notification_id: int, claimer: str, *, now: dt.datetime | None = None, db=None) -> bool:
    """The send went through; False when the claim was no longer ours (taken over after the lease)."""
    with (db or get_db()).transaction() as tx:
        done = tx.fetch_all("UPDATE notifications SET status = 'sent', sent_at = ?, last_error = NULL,"
                            " claimed_by = NULL, claimed_at = NULL WHERE id = ? AND claimed_by = ? RETURNING id",
                            [now or dt.datetime.now(), notification_id, claimer])
        tx.touch("notifications")
    return bool(done)


def mark_failed(notification_id: int, claimer: str, error: str, *, now: dt.datetime | None = None, db=None) -> bool:
    """The send failed: kept as ``failed`` with the error, tried again after :func:`backoff`."""
    now = now or dt.datetime.now()
    with (db or get_db()).transaction() as tx:
        row = tx.fetch_one("SELECT attempts FROM notifications WHERE id = ? AND claimed_by = ?",
                           [notification_id, claimer])
        if row is None:
            return False
        tx.execute("UPDATE notifications SET status = 'failed', last_error = ?, next_try_at = ?, claimed_by = NULL,"
                   " claimed_at = NULL WHERE id = ?", [error[:1000], now + backoff(int(row["attempts"])),
                                                       notification_id])
        tx.touch("notifications")
    return True


def release(claimer: str, *, db=None) -> int:
    """Give back what ``claimer`` claimed and did not send (a run stopped early): pending again, at once."""
    with (db or get_db()).transaction() as tx:
        rows = tx.fetch_all("UPDATE notifications SET status = 'pending', claimed_by = NULL, claimed_at = NULL,"
                            " attempts = greatest(attempts - 1, 0) WHERE status = 'sending' AND claimed_by = ?"
                            " RETURNING id", [claimer])
        tx.touch("notifications")
    return len(rows)
