"""The load test (bench/load.py) shortened for CI: 10 sessions (reviewers, staff, a leader) work for 5 s
against a small database through the core read and write paths, as Streamlit's session threads do.
Asserted: no operation raised, every acknowledged write is stored as sent with its audit rows, nothing
was stored that no session was told about, the audit chain holds. No timing is asserted (the full
50-session run is done by hand: ``python3 bench/load.py``; its figures are in bench/RESULTS-load.md).

The checker itself is tested too: a write removed or changed behind the write path's back is reported
as lost. And a hole the full run found is pinned down: a backup taken while sessions read (the
automatic backup at start) failed with DuckDB's "Cannot CHECKPOINT: there are other write transactions
active" whenever a read was running."""
from __future__ import annotations

import sys
import threading
import time
from pathlib import Path

import pytest

from core.platform import backup
from core.review import reviews
from tests.test_rounds import hub  # noqa: F401  (fixture)

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))

import load  # noqa: E402  (bench/load.py)

SESSIONS = 10
SECONDS = 5.0
MIX = {"reviewer": 2, "staff": 2, "leader": 1}


def _start(db, sessions: int, apps: int):
    n_rev = load.roles_for(sessions, MIX).count("reviewer")
    scenario = load.prepare(db, reviewers=load.reviewer_names(n_rev), apps=apps)
    return scenario, int(db.scalar("SELECT coalesce(max(id), 0) FROM audit_log"))


def _errors(result) -> dict[str, list[str]]:
    return {k: result.errors(k) for k in result.kinds if result.errors(k)}


def test_roles_follow_the_mix():
    roles = load.roles_for(50, MIX)
    assert (roles.count("reviewer"), roles.count("staff"), roles.count("leader")) == (20, 20, 10)
    assert load.roles_for(10, MIX).count("reviewer") == 4
    assert load.roles_for(3, {"staff": 1}) == ["staff"] * 3
    with pytest.raises(ValueError):
        load.parse_mix("reviewer=1,visitor=2")


def test_ten_sessions_lose_no_write(hub):
    db = hub
    scenario, audit_from = _start(db, SESSIONS, apps=12)
    assert len(scenario.tasks) == 4 and all(len(t) == 12 for t in scenario.tasks.values())
    assert scenario.projects, "the small database got a running project to record activities against"

    result = load.run(db, scenario, sessions=SESSIONS, seconds=SECONDS, mix=MIX)
    verdict = load.verify(db, scenario, result.acks, audit_from)

    assert _errors(result) == {}
    assert {k: v for k, v in verdict.lost.items() if v} == {}
    assert verdict.phantoms == {k: 0 for k in load.WRITE_KINDS}
    assert verdict.chain_ok, verdict.chain_reason
    assert verdict.audit_rows == verdict.audit_expected
    # every kind of operation ran, and every kind of write was acknowledged at least once
    assert set(result.kinds) == set(load.READ_KINDS + load.WRITE_KINDS)
    assert all(result.acks.count(k) > 0 for k in load.WRITE_KINDS), {k: result.acks.count(k) for k in load.WRITE_KINDS}
    assert result.roles == {"reviewer": 4, "staff": 4, "leader": 2}

    # the stored data, counted directly
    submitted = db.fetch_all(
        "SELECT v.assignment_id, v.total FROM reviews v JOIN applications a ON a.id = v.application_id"
        " WHERE a.round_id = ? AND v.status = 'submitted'", [scenario.round_id])
    assert sorted(r["assignment_id"] for r in submitted) == sorted(a["assignment_id"] for a in result.acks.submits)
    totals = {a["assignment_id"]: a["total"] for a in result.acks.submits}
    assert all(float(r["total"]) == pytest.approx(totals[r["assignment_id"]]) for r in submitted)
    stored = db.scalar("SELECT count(*) FROM activities WHERE title LIKE ?", [load.ACTIVITY_PREFIX + " %"])
    assert stored == len(result.acks.activities)
    assert db.scalar("SELECT count(*) FROM audit_log WHERE id > ? AND table_name = 'organisations'"
                     " AND action = 'update'", [audit_from]) == len(result.acks.org_updates)
    # the reviewer sees each submission as submitted on the 我的评审 list
    some = result.acks.submits[0]
    mine = reviews.my_assignments(some["reviewer"]).set_index("assignment_id")
    assert mine.loc[some["assignment_id"], "review_status"] == "submitted"


def test_the_check_reports_a_write_that_went_missing(hub):
    db = hub
    scenario, audit_from = _start(db, 5, apps=4)
    result = load.run(db, scenario, sessions=5, seconds=3, mix=MIX)
    assert _errors(result) == {}
    clean = load.verify(db, scenario, result.acks, audit_from)
    assert clean.ok and clean.lost_count == 0
    assert result.acks.activities and result.acks.submits and result.acks.org_updates

    gone, changed = result.acks.activities[0], result.acks.submits[0]
    with db.transaction() as tx:  # behind the write path's back: a row lost, a score altered
        tx.execute("DELETE FROM activities WHERE id = ?", [gone["id"]])
        tx.execute("UPDATE review_scores SET score = score - 1 WHERE review_id = (SELECT id FROM reviews"
                   " WHERE assignment_id = ?) AND criterion_id = ?",
                   [changed["assignment_id"], scenario.criteria[0]["id"]])
    told = load.Acks()
    told.merge(result.acks)
    told.org_updates.append({"org_id": scenario.org_ids[0], "actor": "loadstaff99", "notes": "从未保存的修改",
                             "changed": True})  # acknowledged, but never written

    verdict = load.verify(db, scenario, told, audit_from)
    assert not verdict.ok
    assert verdict.lost["activity_add"] == [f"activity {gone['id']} ({gone['title']}): missing"]
    assert verdict.lost["review_submit"] == [
        f"submission of assignment {changed['assignment_id']}: stored values differ from the ones sent"]
    assert any("从未保存的修改" in line for line in verdict.lost["org_update"])
    assert verdict.lost_count == 3
    assert verdict.phantoms["org_update"] == -1  # one edit acknowledged more than audited


def test_a_backup_taken_while_sessions_read_and_write_succeeds(hub, tmp_path):
    db = hub
    scenario, audit_from = _start(db, 6, apps=4)
    in_flight, answer = threading.Event(), {}

    def long_read():  # a read still running when the backup's checkpoint comes (about a second)
        with db.read() as cur:
            in_flight.set()
            answer["n"] = cur.execute("SELECT count(*) FROM range(400000000) t(i) WHERE i % 7 = 0").fetchone()[0]

    sessions: dict = {}
    load_thread = threading.Thread(target=lambda: sessions.update(
        result=load.run(db, scenario, sessions=6, seconds=4, mix=MIX)))
    load_thread.start()
    reader = threading.Thread(target=long_read)
    reader.start()
    in_flight.wait(5)
    time.sleep(0.2)
    taken = [backup.backup(db, tmp_path / "backups")]  # raised BackupFailed before FORCE CHECKPOINT
    # a second one while the sessions still work if time allows (on a busy machine the first may outlast them)
    while len(taken) < 2 or (load_thread.is_alive() and len(taken) < 3):
        taken.append(backup.backup(db, tmp_path / "backups"))
    reader.join()
    load_thread.join()

    assert answer["n"] == 57142858  # the running read finished, undisturbed
    result = sessions["result"]
    assert _errors(result) == {}
    assert load.verify(db, scenario, result.acks, audit_from).ok
    assert len(taken) >= 2 and all(p.exists() for p in taken)
    for path in taken:  # each one a complete, readable HubDesk database
        assert backup.check_file(path)["audit_log"].rows > 0
