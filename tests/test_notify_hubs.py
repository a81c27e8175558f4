"""Reminders per hub (issue 20, core.notify): a reminder about a record reaches the staff of the record's hub only
(a hub without staff: its admins, else the admins above it), never another hub's accounts; a failed backup (the
whole installation) reaches the top hub's admins only; the 企业微信 group's copy names the hub; the admins' 发送失败
overview and its retry / give-up keep the admin's hubs' recipients (the top hub's admin: every one). First on the
small network of tests/test_hub_isolation.py (甲/乙 under 钱塘区), then on the demo network (下沙 holds every
case-study record, 白杨's by_staff none)."""
from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest

from core.notify import inbox, job, queue
from core.orgs import hubs
from core.platform import backup
from core.platform.actor import SYSTEM, Actor
from core.platform.errors import PermissionDenied
from tests.test_hub_isolation import net, screen_of  # noqa: F401 (the fixture, reused)

TODAY = dt.date.today()
EVERY = {"inbox", "email", "wecom"}


def _account(db, username: str, role: str, hub: int) -> None:
    with db.transaction() as tx:  # set up directly (the accounts screen is tested elsewhere)
        tx.execute("INSERT INTO users (username, name, email, password_hash, roles, active, hub_id)"
                   " VALUES (?, ?, ?, 'x', [?], true, ?)", [username, username, f"{username}@hub.test", role, hub])


@pytest.fixture
def people(net):
    """甲 and 乙 with a staff member and an admin each, 钱塘区 (a hub without a parent here: the top) with its admin
    ``boss``, and 丙街道 under 钱塘区 with no account at all; 乙's draft returned for correction, 甲's too, and an
    organisation of 丙 whose rating is about to expire."""
    db = net["db"]
    for name, role, hub in (("staff_a", "staff", net["a"]), ("admin_a", "admin", net["a"]),
                            ("staff_b", "staff", net["b"]), ("admin_b", "admin", net["b"]),
                            ("boss", "admin", net["qt"])):
        _account(db, name, role, hub)
    net["c"] = hubs.create({"name": "丙街道中心", "level": "街道", "parent_id": net["qt"]}, SYSTEM)
    net["boss"] = Actor("boss", ("admin",), hub_id=net["qt"], scope=hubs.subtree(net["qt"], db))
    with db.transaction() as tx:
        tx.execute("UPDATE applications SET state = 'returned', return_due = ? WHERE id IN (?, ?)",
                   [TODAY + dt.timedelta(days=2), net["app1"], net["appb"]])
        tx.execute("UPDATE organisations SET hub_id = ?, rating = '3A', rating_date = ?, rating_expiry = ?"
                   " WHERE id = ?", [net["c"], TODAY - dt.timedelta(days=1000), TODAY + dt.timedelta(days=40),
                                     net["org1b"]])
    return net


def _to(rows, rule: str, ref) -> dict[str, set[str]]:
    """recipient -> channels of the rows of ``rule`` about record ``ref``."""
    out: dict[str, set[str]] = {}
    for r in rows:
        if r["rule"] == rule and r["record_ref"] == str(ref):
            out.setdefault(r["recipient"], set()).add(r["channel"])
    return out


def test_a_reminder_reaches_its_records_hub_only(people, monkeypatch):
    db = people["db"]
    rows = job.wanted(today=TODAY, db=db, available=EVERY)
    # 乙's application: 乙's staff by inbox and email, the group; neither 甲's staff nor 甲's admin
    b = _to(rows, "correction_due", people["appb"])
    assert b == {"staff_b": {"inbox", "email"}, "group": {"wecom"}}
    assert _to(rows, "correction_due", people["app1"]) == {"staff_a": {"inbox", "email"}, "group": {"wecom"}}
    (group,) = [r for r in rows if r["rule"] == "correction_due" and r["record_ref"] == str(people["appb"])
                and r["channel"] == "wecom"]
    staff_row = next(r for r in rows if r["rule"] == "correction_due" and r["recipient"] == "staff_b")
    assert group["subject"] == f"「乙街道中心」{staff_row['subject']}"  # one group robot: the hub said first
    assert "乙街道邻里食堂" in staff_row["subject"]
    assert not any("乙街道" in r["subject"] + r["body"] for r in rows if r["recipient"] in ("staff_a", "admin_a"))
    # 丙 has no account: its organisation's rating goes to the admins above it (钱塘区's boss), nobody of 甲 or 乙
    assert _to(rows, "rating_expiring", people["org1b"]) == {"boss": {"inbox", "email"}}
    # a failed backup is the whole installation's: the top hub's admin only
    monkeypatch.setattr(backup, "current_auto", lambda: SimpleNamespace(last_error="磁盘已满"))
    rows = job.wanted(today=TODAY, db=db, available=EVERY)
    assert {r["recipient"] for r in rows if r["rule"] == "backup_failed"} == {"boss", "group"}
    # a run started from a screen (an admin's 立即运行一次提醒) still reads every hub's records
    with screen_of(people["admin_a"]):
        again = job.wanted(today=TODAY, db=db, available=EVERY)
    assert _to(again, "correction_due", people["appb"]) == b
    # stored: 乙's staff read it in their inbox, 甲's staff do not
    job.run(today=TODAY, db=db, conf=job.ch.Channels())
    assert [m for m in inbox.messages("staff_b", db=db)["subject"] if "乙街道邻里食堂" in m]
    assert not [m for m in inbox.messages("staff_a", db=db)["subject"] if "乙街道" in m]
    assert inbox.messages("admin_a", db=db).empty


def _failed(db, recipient: str, channel: str = "email") -> int:
    queue.enqueue([{"rule": "correction_due", "record_kind": "application", "record_ref": recipient,
                    "due_date": TODAY, "slot": 0, "recipient": recipient, "channel": channel,
                    "address": None if channel == "wecom" else "x@hub.test", "subject": f"提醒 {recipient}",
                    "body": "测试"}], db=db)
    claimer = queue.owner()
    (row,) = queue.claim(claimer, db=db)
    queue.mark_failed(row["id"], claimer, "邮件服务器拒收", db=db)
    return int(row["id"])


def test_the_failed_sends_overview_keeps_the_admins_hubs(people):
    db = people["db"]
    ids = {who: _failed(db, who) for who in ("staff_a", "staff_b", f"org:{people['orgb']}", "boss")}
    ids["group"] = _failed(db, "group", "wecom")
    shown = {who: set(inbox.failures(people[who], db=db)["id"]) for who in ("admin_a", "admin_b", "boss")}
    assert shown["admin_a"] == {ids["staff_a"]}
    assert shown["admin_b"] == {ids["staff_b"], ids[f"org:{people['orgb']}"]}  # 乙's organisation's contact too
    assert shown["boss"] == set(ids.values())
    assert inbox.counts(people["admin_a"], db=db)["failed"] == 1
    assert inbox.counts(people["boss"], db=db)["failed"] == len(ids)
    with pytest.raises(PermissionDenied):
        inbox.counts(people["staff_a"], db=db)
    # 甲's admin cannot retry or give up 乙's: left as they were
    assert inbox.retry_now([ids["staff_b"], ids["group"]], people["admin_a"], db=db) == 0
    assert inbox.give_up([ids["staff_b"]], people["admin_a"], db=db) == 0
    assert {r["status"] for r in db.fetch_all("SELECT status FROM notifications WHERE id IN (?, ?)",
                                              [ids["staff_b"], ids["group"]])} == {"failed"}
    assert inbox.retry_now([ids["staff_a"], ids["staff_b"]], people["admin_a"], db=db) == 1
    assert inbox.give_up([ids["staff_b"], ids["group"]], people["boss"], db=db) == 2


def test_on_the_demo_network_xiashas_reminders_stay_in_xiasha(demo_db):
    db = demo_db
    rows = job.wanted(today=TODAY, db=db, available=EVERY)
    people = {r["recipient"] for r in rows if r["channel"] == "inbox"}
    assert "staff" in people and "by_staff" not in people and "hz_admin" not in people
    home = {r["username"] for r in db.fetch_all("SELECT username FROM users WHERE hub_id = 1")}
    staffed = [r for r in rows if r["channel"] == "inbox" and r["rule"] != "backup_failed"]
    assert staffed and {r["recipient"] for r in staffed} <= home  # 下沙's accounts (experts and mentors included)
    # 白杨's staff get a reminder about 白杨's own organisation
    org = db.fetch_one("SELECT o.id, o.name FROM organisations o JOIN hubs h ON h.id = o.hub_id"
                       " WHERE h.name LIKE '白杨%' ORDER BY o.id LIMIT 1")
    with db.transaction() as tx:
        tx.execute("UPDATE organisations SET active = true, rating = '3A', rating_date = ?, rating_expiry = ?"
                   " WHERE id = ?", [TODAY - dt.timedelta(days=1000), TODAY + dt.timedelta(days=20), org["id"]])
    rows = job.wanted(today=TODAY, db=db, available=EVERY)
    assert _to(rows, "rating_expiring", org["id"]) == {"by_staff": {"inbox", "email"}}  # not 下沙's staff
    assert any(org["name"] in r["subject"] for r in rows if r["recipient"] == "by_staff")
