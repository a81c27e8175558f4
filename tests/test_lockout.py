"""Sign-in lockout kept in the database: 5 failures within 15 minutes lock the username for 15
minutes after the last failure; a success starts afresh; it survives a restart."""
from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from core.platform import lockout
from core.platform.db import close_all, get_db
from core.platform.lockout import LockStatus

T0 = datetime(2026, 3, 16, 9, 0, 0)
MIN = timedelta(minutes=1)


def fail(username: str, *minutes: float) -> None:
    for m in minutes:
        lockout.record(username, False, when=T0 + timedelta(minutes=m))


def test_four_failures_do_not_lock(db):
    fail("wangmin", 0, 1, 2, 3)
    assert lockout.status("wangmin", now=T0 + 4 * MIN) == LockStatus(False, None, 4)


def test_five_failures_within_fifteen_minutes_lock_until_last_plus_fifteen(db):
    fail("wangmin", 0, 1, 2, 3, 4)
    until = T0 + 4 * MIN + 15 * MIN
    assert lockout.status("wangmin", now=T0 + 5 * MIN) == LockStatus(True, until, 5)
    assert lockout.status("wangmin", now=until - timedelta(seconds=1)) == LockStatus(True, until, 5)


def test_five_failures_spanning_exactly_fifteen_minutes_lock(db):
    fail("wangmin", 0, 5, 10, 12, 15)
    assert lockout.status("wangmin", now=T0 + 16 * MIN) == LockStatus(True, T0 + 30 * MIN, 5)


def test_five_failures_spread_over_more_than_fifteen_minutes_do_not_lock(db):
    fail("wangmin", 0, 4, 8, 12, 16)
    # at 16 min only the failures at 4, 8, 12, 16 are inside the window
    assert lockout.status("wangmin", now=T0 + 16 * MIN) == LockStatus(False, None, 4)
    fail("wangmin", 15.5)  # now 5 within 15 min: 4, 8, 12, 15.5, 16 -> locked from the latest of them
    status = lockout.status("wangmin", now=T0 + 17 * MIN)
    assert status.locked is True
    assert status.until == T0 + 16 * MIN + 15 * MIN


def test_unlocked_after_the_lock_expires_and_count_starts_afresh(db):
    fail("wangmin", 0, 1, 2, 3, 4)
    until = T0 + 19 * MIN
    assert lockout.status("wangmin", now=until) == LockStatus(False, None, 0)
    assert lockout.status("wangmin", now=until + 60 * MIN) == LockStatus(False, None, 0)
    fail("wangmin", 20)  # one more failure after the lock: not locked again
    assert lockout.status("wangmin", now=T0 + 21 * MIN) == LockStatus(False, None, 1)
    fail("wangmin", 21, 22, 23)
    assert lockout.status("wangmin", now=T0 + 24 * MIN) == LockStatus(False, None, 4)
    fail("wangmin", 24)
    assert lockout.status("wangmin", now=T0 + 25 * MIN) == LockStatus(True, T0 + 39 * MIN, 5)


def test_attempts_stored_during_a_lock_never_extend_it(db):
    fail("wangmin", 0, 1, 2, 3, 4)
    fail("wangmin", 10, 11)  # refused attempts are not normally stored; if they were, they must not extend
    assert lockout.status("wangmin", now=T0 + 19 * MIN).locked is False


def test_a_success_resets_the_count(db):
    fail("wangmin", 0, 1, 2, 3)
    lockout.record("wangmin", True, when=T0 + 4 * MIN)
    assert lockout.status("wangmin", now=T0 + 5 * MIN) == LockStatus(False, None, 0)
    fail("wangmin", 5, 6, 7, 8)
    assert lockout.status("wangmin", now=T0 + 9 * MIN) == LockStatus(False, None, 4)
    fail("wangmin", 9)
    assert lockout.status("wangmin", now=T0 + 10 * MIN) == LockStatus(True, T0 + 24 * MIN, 5)


def test_old_failures_fall_out_of_the_window(db):
    fail("wangmin", 0, 1, 2, 3)
    assert lockout.status("wangmin", now=T0 + 16 * MIN) == LockStatus(False, None, 3)
    assert lockout.status("wangmin", now=T0 + 40 * MIN) == LockStatus(False, None, 0)


def test_lock_survives_a_restart(db):
    fail("wangmin", 0, 1, 2, 3, 4)
    close_all()
    reopened = get_db()
    assert reopened is not db
    assert lockout.status("wangmin", now=T0 + 6 * MIN) == LockStatus(True, T0 + 19 * MIN, 5)
    assert lockout.status("wangmin", now=T0 + 6 * MIN, db=reopened).locked is True


def test_failure_count_survives_a_restart(db):
    fail("wangmin", 0, 1, 2, 3)
    close_all()
    get_db()
    fail("wangmin", 4)
    assert lockout.status("wangmin", now=T0 + 5 * MIN).locked is True


def test_users_are_counted_separately(db):
    fail("wangmin", 0, 1, 2, 3, 4)
    fail("chen", 0, 1)
    assert lockout.status("wangmin", now=T0 + 5 * MIN).locked is True
    assert lockout.status("chen", now=T0 + 5 * MIN) == LockStatus(False, None, 2)
    assert lockout.status("nobody", now=T0 + 5 * MIN) == LockStatus(False, None, 0)


def test_every_attempt_is_stored_and_audited(db):
    fail("wangmin", 0, 1)
    lockout.record("wangmin", True, when=T0 + 2 * MIN)
    rows = db.fetch_all("SELECT username, attempted_at, success FROM login_attempts ORDER BY id")
    assert rows == [
        {"username": "wangmin", "attempted_at": T0, "success": False},
        {"username": "wangmin", "attempted_at": T0 + MIN, "success": False},
        {"username": "wangmin", "attempted_at": T0 + 2 * MIN, "success": True},
    ]
    entries = db.fetch_all("SELECT actor, action FROM audit_log WHERE table_name = 'login_attempts'")
    assert entries == [{"actor": "system", "action": "create"}] * 3


def test_very_long_username_is_cut_to_100_characters(db):
    lockout.record("x" * 500, False, when=T0)
    assert db.scalar("SELECT length(username) FROM login_attempts") == 100


@pytest.mark.parametrize("failures,locked", [(4, False), (5, True), (6, True)])
def test_threshold(db, failures, locked):
    fail("wangmin", *range(failures))
    assert lockout.status("wangmin", now=T0 + failures * MIN).locked is locked
