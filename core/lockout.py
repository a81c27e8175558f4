"""Sign-in lockout that survives reruns and restarts: N failures within a window lock the username.

Defaults: 5 failures within 15 minutes lock the username for 15 minutes. Attempts refused while
locked are audited but do not extend the lock. A successful sign-in starts the count afresh.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from core import config, records
from core.actor import SYSTEM
from core.db import get_db
from core.entities import Entity, register

LOGIN_ATTEMPT = register(Entity(
    name="login_attempt", table="login_attempts", label="登录记录", write_roles=frozenset({"system"}),
    title_field="username", stamps=False,
))


@dataclass(frozen=True)
class LockStatus:
    locked: bool
    until: datetime | None = None
    failures: int = 0


MAX_USERNAME = 100


def status(username: str, now: datetime | None = None, db=None) -> LockStatus:
    username = username[:MAX_USERNAME]  # stored the same way by record()
    db = db or get_db()
    s = config.load()
    now = now or datetime.now()
    window, lock = timedelta(minutes=s.lockout_window_minutes), timedelta(minutes=s.lockout_minutes)
    rows = db.fetch_all(
        "SELECT attempted_at, success FROM login_attempts WHERE username = ? AND attempted_at >= ?"
        " ORDER BY attempted_at, id",
        [username, now - window - lock],
    )
    fails: list[datetime] = []
    until = None
    for r in rows:
        if r["success"]:
            fails = []
            continue
        if until is not None and r["attempted_at"] < until:
            continue  # should not happen (locked attempts are not stored), but never extend a lock
        fails.append(r["attempted_at"])
        recent = [t for t in fails if r["attempted_at"] - t <= window]
        if len(recent) >= s.lockout_failures:
            until = r["attempted_at"] + lock
            fails = []
    if until is not None and now < until:
        return LockStatus(True, until, s.lockout_failures)
    return LockStatus(False, None, len([t for t in fails if now - t <= window]))


def record(username: str, success: bool, when: datetime | None = None, db=None) -> None:
    records.create(LOGIN_ATTEMPT, {"username": username[:MAX_USERNAME], "attempted_at": when or datetime.now(), "success": success},
                   SYSTEM, db=db)
