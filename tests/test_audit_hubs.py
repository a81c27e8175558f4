"""The audit log by hub (issue 20, migration 031): each audit row names the hub of the record written (its own hub,
its parent's through ``Entity.hub_via``, an account's hub; none for the whole install's records), the hub is covered
by the row's keyed hash, and a hub's admin reads only the rows of their hubs while the top hub's admin reads all."""
from __future__ import annotations

import pytest

from core.platform import audit, users
from core.platform.actor import SYSTEM
from tests.test_hub_isolation import net  # noqa: F401  (fixture: 钱塘区 with 甲 and 乙)


def _hubs_of(db, table: str) -> dict[str, set]:
    rows = db.fetch_all("SELECT row_key, hub_id FROM audit_log WHERE table_name = ?", [table])
    return {r["row_key"]: r["hub_id"] for r in rows}


def test_each_audit_row_names_the_hub_of_the_record_written(net):
    db = net["db"]
    rounds = _hubs_of(db, "rounds")  # hub-owned: its own column
    assert rounds == {str(net["r1"]): net["a"], str(net["rb"]): net["b"]}
    apps = _hubs_of(db, "applications")  # through its round (Entity.hub_via)
    assert apps[str(net["app1"])] == net["a"] and apps[str(net["appb"])] == net["b"]
    hubs_rows = _hubs_of(db, "hubs")  # a hub's own row: the hub itself
    assert hubs_rows[str(net["a"])] == net["a"] and hubs_rows[str(net["qt"])] == net["qt"]
    assert audit.verify(db).ok


def test_a_hubs_admin_reads_their_hubs_rows_the_top_admin_every_row(net):
    db = net["db"]
    with db.transaction() as tx:  # a row of no hub (a backup's, a reminder rule's)
        audit.record(tx, "system", [audit.Change("database", "hub.duckdb", "backup", note="手动备份")])
    everything = int(db.scalar("SELECT count(*) FROM audit_log"))
    # 甲's admin: 甲's rows only; 钱塘区's staff (not an admin of the top hub): 钱塘区 and both streets, no install rows
    a_rows, a_total = audit.query(db, hubs=users.audit_hubs(net["admin_a"], db), limit=1000)
    assert a_total == db.scalar("SELECT count(*) FROM audit_log WHERE hub_id = ?", [net["a"]]) > 0
    assert set(a_rows["table_name"]) >= {"rounds", "organisations", "applications"}
    assert "乙街道银龄互助会" not in " ".join(a_rows["after_json"].dropna())
    assert "database" not in audit.distinct(db, "table_name", users.audit_hubs(net["admin_a"], db))
    qt = users.audit_hubs(net["qt_staff"], db)
    assert set(qt) == {net["qt"], net["a"], net["b"]}
    # the top hub (no parent: 钱塘区 here) has no admin among these; SYSTEM and a top admin read every row
    assert users.audit_hubs(SYSTEM, db) is None
    top = type(net["admin_a"])("qt_admin", ("admin",), hub_id=net["qt"], scope=qt)
    assert users.operates(top, db) and not users.operates(net["admin_a"], db)
    assert audit.query(db, hubs=users.audit_hubs(top, db))[1] == everything


def test_the_hub_of_an_audit_row_is_covered_by_its_hash(net):
    db = net["db"]
    row = db.fetch_one("SELECT id FROM audit_log WHERE table_name = 'rounds' AND row_key = ?", [str(net["rb"])])
    with db.transaction() as tx:  # move 乙's round's audit row into 甲's view behind the app's back
        tx.execute("UPDATE audit_log SET hub_id = ? WHERE id = ?", [net["a"], row["id"]])
    report = audit.verify(db)
    assert not report.ok and report.first_bad_id == row["id"]


@pytest.mark.parametrize("hub", [None, 7])
def test_rows_without_a_hub_hash_as_before_and_rows_with_one_differently(hub):
    row = {"id": 1, "logged_at": __import__("datetime").datetime(2026, 1, 1), "actor": "a", "table_name": "t",
           "row_key": "1", "action": "create", "before_json": None, "after_json": "{}", "prev_hash": audit.GENESIS,
           "note": None, "hub_id": hub}
    legacy = audit._legacy_digest({k: v for k, v in row.items() if k != "hub_id"})
    assert (audit._legacy_digest(row) == legacy) is (hub is None)


def test_a_record_about_an_account_is_of_the_accounts_hub(net):
    from core.platform import security

    db = net["db"]
    with db.transaction() as tx:  # an account of 甲 (set up directly: the accounts screen is tested elsewhere)
        tx.execute("INSERT INTO users (username, name, password_hash, roles, active, hub_id)"
                   " VALUES ('jia_staff', '甲街道社工', 'x', ['staff'], true, ?)", [net["a"]])
    security.log("access_refused", "jia_staff", "页面 audit(角色 staff)", db=db)
    security.log("access_refused", "nobody_such", "页面 audit", db=db)  # no such account: the install's
    rows = db.fetch_all("SELECT a.hub_id, e.username FROM audit_log a JOIN security_events e"
                        " ON a.table_name = 'security_events' AND a.row_key = CAST(e.id AS VARCHAR) ORDER BY e.id")
    assert [(r["username"], r["hub_id"]) for r in rows] == [("jia_staff", net["a"]), ("nobody_such", None)]
    _rows, seen = audit.query(db, table="security_events", hubs=users.audit_hubs(net["admin_a"], db))
    assert seen == 1 and audit.query(db, table="security_events", hubs=users.audit_hubs(net["admin_b"], db))[1] == 0
