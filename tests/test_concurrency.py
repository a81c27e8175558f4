"""Many sessions writing at once (Streamlit runs sessions as threads): no exception, no lost or
doubled write, one audit row per acknowledged write, an intact hash chain."""
from __future__ import annotations


from core.orgs import organisations
from core.platform import audit
from core.platform.actor import Actor
from core.platform.errors import ValidationFailed
from tests.threads import run_together as _run_together
from tests.test_schema_organisation import org_values, uscc_for

THREADS = 32


def run_together(fn, n: int = THREADS) -> list[tuple[str, object]]:
    return _run_together(fn, n)


def test_parallel_creates(db):
    def create(i):
        values = org_values(name=f"下沙并发测试协会{i:02d}", uscc=uscc_for("51", 1000 + i),
                            contact_phone=f"1385710{i:04d}", contact_person=f"联系人{i}")
        return organisations.create(values, Actor(f"staff{i}", ("staff",)))

    results = run_together(create)
    errors = [r for kind, r in results if kind == "error"]
    assert errors == []
    keys = [r for _, r in results]
    assert len(set(keys)) == THREADS
    assert db.scalar("SELECT count(*) FROM organisations") == THREADS
    assert sorted(r["id"] for r in db.fetch_all("SELECT id FROM organisations")) == sorted(keys)
    rows = db.fetch_all("SELECT actor, row_key FROM audit_log WHERE table_name = 'organisations' AND action = 'create'")
    assert len(rows) == THREADS
    assert sorted(int(r["row_key"]) for r in rows) == sorted(keys)
    # every row was written by the actor whose thread created it
    by_key = {k: organisations.get(k)["created_by"] for k in keys}
    assert {r["actor"] for r in rows} == {f"staff{i}" for i in range(THREADS)}
    assert all(by_key[int(r["row_key"])] == r["actor"] for r in rows)
    report = audit.verify(db)
    assert report.ok, report
    assert report.rows == db.scalar("SELECT count(*) FROM audit_log")


def test_parallel_updates_of_one_record(db):
    org_id = organisations.create(org_values(), Actor("setup", ("staff",)))

    def update(i):
        return organisations.update(org_id, {"notes": f"第{i:02d}次修改", "stage": "成熟期" if i % 2 else "成长期"},
                                    Actor(f"staff{i}", ("staff",)))

    results = run_together(update)
    assert [r for kind, r in results if kind == "error"] == []
    changed = sum(1 for _, r in results if r is True)
    assert changed == THREADS  # every update set a different note
    entries = db.fetch_all("SELECT actor, after_json FROM audit_log WHERE table_name = 'organisations'"
                           " AND action = 'update' ORDER BY id")
    assert len(entries) == changed
    final = organisations.get(org_id)
    last = entries[-1]
    assert final["updated_by"] == last["actor"]
    assert f'"notes": "{final["notes"]}"' in last["after_json"]
    report = audit.verify(db)
    assert report.ok, report


def test_parallel_creates_of_the_same_name_store_exactly_one(db):
    def create(i):
        return organisations.create(org_values(uscc=uscc_for("51", 2000 + i)), Actor(f"staff{i}", ("staff",)))

    results = run_together(create)
    oks = [r for kind, r in results if kind == "ok"]
    errors = [r for kind, r in results if kind == "error"]
    assert len(oks) == 1
    assert len(errors) == THREADS - 1
    assert all(isinstance(e, ValidationFailed) for e in errors)
    assert {tuple(e.fields["name"]) for e in errors} == {(f"组织名称已被登记:「下沙街道文海社区邻里互助协会」(编号 {oks[0]})",)}
    assert db.scalar("SELECT count(*) FROM organisations") == 1
    assert db.scalar("SELECT count(*) FROM audit_log WHERE table_name = 'organisations'") == 1
    assert audit.verify(db).ok


def test_parallel_reads_during_writes(db):
    def work(i):
        if i % 2:
            return organisations.create(org_values(name=f"读写混合协会{i:02d}", uscc=uscc_for("51", 3000 + i)),
                                        Actor("staff", ("staff",)))
        return len(organisations.options(db=db))

    results = run_together(work)
    assert [r for kind, r in results if kind == "error"] == []
    assert db.scalar("SELECT count(*) FROM organisations") == THREADS // 2
    assert all(0 <= r <= THREADS // 2 for i, (_, r) in enumerate(results) if i % 2 == 0)
    assert audit.verify(db).ok
