"""Sign-in lockout that survives reruns and restarts and holds under concurrency (like django-axes).

- Per username: 5 failures within 15 minutes lock it for 15 minutes. A successful sign-in starts the count
  afresh. An admin can unlock (用户与角色, audited).
- Per client address: 20 failures within 15 minutes from one address refuse further attempts from it (for
  every username), so one client cannot guess on and on, nor lock out account after account unnoticed.
- Check and count are one step (:func:`begin` / :func:`finish`): attempts being checked right now count as
  failures until they end, so N tabs pressing Enter together get at most the allowance left, never N.
- Every attempt is recorded with its client and outcome: ok, failed, locked (refused while the username
  is locked), throttled (refused for its client address). Refused attempts never extend a lock.
"""
from __future__ import annotations

import logging
import threading
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta

from core.platform import config, records
from core.platform.actor import SYSTEM, VIA_ACCOUNT
from core.platform.db import get_db
from core.platform.entities import Entity, Rule, RuleContext, may, register
from core.platform.errors import PermissionDenied, WriteFailed
from schemas.system import LoginAttempt

def _an_unlock(ctx: RuleContext, before: dict | None, after: dict | None) -> None:
    """What an admin records here is an unlock (a successful row that starts the count afresh), nothing else."""
    if after is None or after.get("outcome") != "unlocked" or not after.get("success"):
        raise PermissionDenied("管理员只能登记解锁,登录记录由系统在登录时写入")


# sign-in attempts are recorded by the system (core.platform.actor.SYSTEM) as they happen; an admin adds an unlock
LOGIN_ATTEMPT = register(Entity(
    name="login_attempt", table="login_attempts", label="登录记录", schema=LoginAttempt,
    title_field="username", stamps=False, hub_via=VIA_ACCOUNT,
    rules=(Rule("管理员只能登记解锁", actions=frozenset({"create"}), roles=frozenset({"admin"}), check=_an_unlock),),
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
        " AND coalesce(outcome, 'counted') NOT IN ('locked', 'throttled') ORDER BY attempted_at, id",
        [username, now - window - lock],
    )
    fails: list[datetime] = []
    until = None
    for r in rows:
        if r["success"]:  # a sign-in, or an admin's unlock
            fails = []
            until = None
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


def record(username: str, success: bool, when: datetime | None = None, db=None, *, client: str | None = None,
           outcome: str | None = None) -> None:
    outcome = outcome or ("ok" if success else "failed")
    records.create(LOGIN_ATTEMPT, {"username": username[:MAX_USERNAME], "attempted_at": when or datetime.now(),
                                   "success": success, "client": (client or "")[:100] or None, "outcome": outcome},
                   SYSTEM, db=db)


def client_failures(client: str | None, now: datetime | None = None, db=None) -> int:
    if not client:
        return 0
    db = db or get_db()
    s = config.load()
    now = now or datetime.now()
    return int(db.scalar("SELECT count(*) FROM login_attempts WHERE client = ? AND attempted_at >= ?"
                         " AND outcome = 'failed'", [client[:100], now - timedelta(minutes=s.lockout_window_minutes)]))


_gate = threading.Lock()
_busy: Counter = Counter()  # attempts being checked now, per username and per ("client", address)


@dataclass(frozen=True)
class Attempt:
    username: str
    client: str | None
    allowed: bool
    message: str = ""  # Chinese, when refused


def begin(username: str, client: str | None = None, db=None) -> Attempt:
    """May this attempt check the password? Counts it as in flight until :func:`finish`; a refusal is
    recorded (outcome locked or throttled) and needs no finish."""
    username = username[:MAX_USERNAME]
    s = config.load()
    with _gate:
        lock = status(username, db=db)
        if lock.locked or lock.failures + _busy[username] >= s.lockout_failures:
            until = lock.until or datetime.now() + timedelta(minutes=s.lockout_minutes)
            message = (f"该账号因多次登录失败已被锁定,请于 {until:%H:%M} 后再试,或联系管理员解锁。" if lock.locked else
                       "该账号正在进行其他登录尝试,且再失败一次就会被锁定:请稍候再试。")
            outcome = "locked"
        elif client and client_failures(client, db=db) + _busy[("client", client)] >= s.client_failures:
            message = f"此网络地址登录失败次数过多,请 {s.lockout_window_minutes} 分钟后再试,或联系管理员。"
            outcome = "throttled"
        else:
            _busy[username] += 1
            if client:
                _busy[("client", client)] += 1
            return Attempt(username, client, True)
    _record_quietly(username, False, client, outcome, db)
    return Attempt(username, client, False, message)


def finish(attempt: Attempt, success: bool, db=None) -> LockStatus:
    """Record the attempt's result, then stop counting it as in flight; returns the username's status (after
    a success: not locked, the count starts afresh, without reading it back)."""
    try:
        _record_quietly(attempt.username, success, attempt.client, None, db)
    finally:
        with _gate:
            _busy[attempt.username] -= 1
            if attempt.client:
                _busy[("client", attempt.client)] -= 1
            for key in [k for k, v in _busy.items() if v <= 0]:
                del _busy[key]
    return LockStatus(False) if success else status(attempt.username, db=db)


def _record_quietly(username: str, success: bool, client: str | None, outcome: str | None, db) -> None:
    try:
        record(username, success, db=db, client=client, outcome=outcome)
    except WriteFailed:  # full disk or read-only database: signing in (a read) still works, unrecorded
        logging.getLogger("hubdesk").warning("HubDesk: sign-in attempt of %s not recorded (writes fail)", username)


def unlock(username: str, actor, db=None) -> None:
    """An admin lifts a username's lock (audited: a row with outcome unlocked that starts the count afresh)."""
    row = {"username": username[:MAX_USERNAME], "attempted_at": datetime.now(), "success": True, "client": None,
           "outcome": "unlocked"}
    if not may(actor, LOGIN_ATTEMPT, "create", row, db=db):
        raise PermissionDenied("只有管理员可以解锁账号")
    records.create(LOGIN_ATTEMPT, row, actor, db=db, note=f"管理员 {actor.username} 解锁")
