"""The one write path (core.platform.records) and the audit log (core.platform.audit): role check, validation, one
transaction, exactly one audit row per change, a hash chain that notices tampering."""
from __future__ import annotations

import datetime as dt
import json

import pytest

from core.orgs import organisations
from core.platform import audit, records, users
from core.platform.actor import SYSTEM, Actor
from core.platform.errors import NotFound, PermissionDenied, ValidationFailed
from core.orgs.organisations import ORGANISATION, add_years
from core.platform.validation import jsonable
from tests.test_schema_organisation import filed_values, org_values, uscc_for

STAFF = Actor("wangmin", ("staff",))
ADMIN = Actor("chen", ("admin",))
LEADER = Actor("zhang", ("leader",))
REVIEWER = Actor("li", ("reviewer",))


def counts(db) -> tuple[int, int]:
    return db.scalar("SELECT count(*) FROM organisations"), db.scalar("SELECT count(*) FROM audit_log")


def audit_rows(db, table: str = "organisations") -> list[dict]:
    return db.fetch_all("SELECT * FROM audit_log WHERE table_name = ? ORDER BY id", [table])


def as_json(row: dict) -> dict:
    return {k: jsonable(v) for k, v in row.items()}


# ---- create / update / delete each leave one audit row ---------------------------------------------

def test_create_stores_the_cleaned_record_and_one_audit_row(db):
    n_audit = db.scalar("SELECT count(*) FROM audit_log")
    org_id = organisations.create(org_values(contact_phone="0571-86001234"), STAFF)
    row = organisations.get(org_id)
    assert row["name"] == "下沙街道文海社区邻里互助协会"
    assert row["contact_phone"] == "0571 8600 1234"
    assert row["service_domains"] == ["社区治理", "志愿服务"]
    assert row["created_by"] == "wangmin"
    assert isinstance(row["created_at"], dt.datetime)
    assert (row["updated_at"], row["updated_by"]) == (None, None)

    assert db.scalar("SELECT count(*) FROM audit_log") == n_audit + 1
    [entry] = audit_rows(db)
    assert (entry["actor"], entry["table_name"], entry["row_key"], entry["action"]) == ("wangmin", "organisations", str(org_id), "create")
    assert entry["before_json"] is None
    assert json.loads(entry["after_json"]) == as_json(row)


def test_update_leaves_one_audit_row_with_before_and_after(db):
    org_id = organisations.create(org_values(), STAFF)
    before = organisations.get(org_id)
    assert organisations.update(org_id, {"stage": "成熟期", "notes": "年度考核优秀"}, ADMIN) is True
    after = organisations.get(org_id)
    assert (after["stage"], after["notes"], after["updated_by"]) == ("成熟期", "年度考核优秀", "chen")
    assert after["created_by"] == "wangmin" and after["created_at"] == before["created_at"]
    assert after["name"] == before["name"] and after["uscc"] == before["uscc"]

    create_entry, update_entry = audit_rows(db)
    assert (update_entry["actor"], update_entry["row_key"], update_entry["action"]) == ("chen", str(org_id), "update")
    assert json.loads(update_entry["before_json"]) == as_json(before)
    assert json.loads(update_entry["after_json"]) == as_json(after)
    old, new = json.loads(update_entry["before_json"]), json.loads(update_entry["after_json"])
    assert {k for k in new if new[k] != old[k]} == {"stage", "notes", "updated_at", "updated_by"}


def test_delete_leaves_one_audit_row_with_the_deleted_record(db):
    org_id = organisations.create(org_values(), STAFF)
    before = organisations.get(org_id)
    records.delete(ORGANISATION, org_id, ADMIN)
    assert organisations.get(org_id) is None
    entries = audit_rows(db)
    assert [e["action"] for e in entries] == ["create", "delete"]
    assert (entries[1]["actor"], entries[1]["row_key"]) == ("chen", str(org_id))
    assert json.loads(entries[1]["before_json"]) == as_json(before)
    assert entries[1]["after_json"] is None


def test_update_without_change_writes_nothing(db):
    org_id = organisations.create(org_values(), STAFF)
    n = counts(db)
    # same values, in the forms a form or an import would send them
    same = {"name": " 下沙街道文海社区邻里互助协会 ", "contact_phone": "138-5710-0000", "uscc": org_values()["uscc"].lower(),
            "service_domains": ["社区治理", "志愿服务"], "active": True}
    assert organisations.update(org_id, same, STAFF) is False
    assert organisations.update(org_id, {}, STAFF) is False
    assert counts(db) == n
    assert organisations.get(org_id)["updated_at"] is None


def test_failed_validation_writes_nothing(db):
    org_id = organisations.create(org_values(), STAFF)
    n = counts(db)
    with pytest.raises(ValidationFailed) as info:
        organisations.create(org_values(name="另一个协会", uscc=uscc_for("51", 2), contact_phone="110"), STAFF)
    assert info.value.fields == {"contact_phone": ["联系电话无效:请填写中国大陆手机号(11位)或带区号的固定电话"]}
    with pytest.raises(ValidationFailed) as info:
        organisations.update(org_id, {"incubation_out": dt.date(2020, 1, 1)}, STAFF)
    assert info.value.fields == {"incubation_in": ["填写出壳日期前须先填写入壳日期"]}
    with pytest.raises(ValidationFailed):
        organisations.update(org_id, {"name": ""}, STAFF)
    assert counts(db) == n
    assert organisations.get(org_id)["name"] == org_values()["name"]


def test_update_validates_the_whole_record_as_it_will_be(db):
    org_id = organisations.create(org_values(incubation_in=dt.date(2022, 3, 1)), STAFF)
    with pytest.raises(ValidationFailed) as info:
        organisations.update(org_id, {"incubation_out": dt.date(2022, 2, 1)}, STAFF)
    assert info.value.fields == {"incubation_out": ["出壳日期不能早于入壳日期"]}
    with pytest.raises(ValidationFailed) as info:
        organisations.update(org_id, {"kind": "基金会"}, STAFF)  # the stored USCC starts with 51
    assert info.value.fields == {"uscc": ["统一社会信用代码前两位与组织类型不符:基金会的代码应以53开头"
                                          "(社会团体51、社会服务机构52、其他社会组织59)"]}
    assert organisations.update(org_id, {"incubation_out": dt.date(2022, 9, 1)}, STAFF) is True
    assert organisations.get(org_id)["incubation_out"] == dt.date(2022, 9, 1)


# ---- uniqueness --------------------------------------------------------------------------------

def test_duplicate_name_is_refused_naming_the_existing_record(db):
    first = organisations.create(org_values(), STAFF)
    n = counts(db)
    with pytest.raises(ValidationFailed) as info:
        organisations.create(filed_values(), STAFF)  # same name, no USCC
    assert info.value.fields == {"name": [f"组织名称已被登记:「下沙街道文海社区邻里互助协会」(编号 {first})"]}
    assert counts(db) == n


def test_duplicate_uscc_is_refused_naming_the_existing_record(db):
    first = organisations.create(org_values(), STAFF)
    n = counts(db)
    with pytest.raises(ValidationFailed) as info:
        organisations.create(org_values(name="高沙社区睦邻协会", uscc=org_values()["uscc"].lower()), STAFF)
    assert info.value.fields == {"uscc": [f"统一社会信用代码已被登记:「下沙街道文海社区邻里互助协会」(编号 {first})"]}
    assert counts(db) == n


def test_duplicate_name_and_uscc_both_reported(db):
    first = organisations.create(org_values(), STAFF)
    with pytest.raises(ValidationFailed) as info:
        organisations.create(org_values(), STAFF)
    assert info.value.fields == {
        "uscc": [f"统一社会信用代码已被登记:「下沙街道文海社区邻里互助协会」(编号 {first})"],
        "name": [f"组织名称已被登记:「下沙街道文海社区邻里互助协会」(编号 {first})"],
    }


def test_update_to_another_records_name_is_refused_but_own_name_is_fine(db):
    a = organisations.create(org_values(), STAFF)
    b = organisations.create(org_values(name="高沙社区睦邻协会", uscc=uscc_for("51", 2)), STAFF)
    n = counts(db)
    with pytest.raises(ValidationFailed) as info:
        organisations.update(b, {"name": "下沙街道文海社区邻里互助协会"}, STAFF)
    assert info.value.fields == {"name": [f"组织名称已被登记:「下沙街道文海社区邻里互助协会」(编号 {a})"]}
    assert counts(db) == n
    assert organisations.update(b, {"name": "高沙社区睦邻协会", "notes": "同名保存"}, STAFF) is True


def test_create_many_is_all_or_nothing(db):
    organisations.create(org_values(), STAFF)
    n = counts(db)
    rows = [org_values(name="甲协会", uscc=uscc_for("51", 11)), org_values(name="乙协会", uscc=uscc_for("51", 1))]
    with pytest.raises(ValidationFailed):
        records.create_many(ORGANISATION, rows, STAFF)  # the second clashes with the stored USCC
    assert counts(db) == n
    assert db.fetch_one("SELECT id FROM organisations WHERE name = '甲协会'") is None


# ---- roles -------------------------------------------------------------------------------------

@pytest.mark.parametrize("actor", [LEADER, REVIEWER, Actor("nobody"), Actor("x", ("leader",))])
def test_role_without_permission_writes_nothing(db, actor):
    org_id = organisations.create(org_values(), STAFF)
    n = counts(db)
    with pytest.raises(PermissionDenied, match="当前账号无权修改社会组织"):
        organisations.create(org_values(name="甲协会", uscc=uscc_for("51", 2)), actor)
    with pytest.raises(PermissionDenied):
        organisations.update(org_id, {"notes": "改"}, actor)
    with pytest.raises(PermissionDenied):
        records.delete(ORGANISATION, org_id, actor)
    assert counts(db) == n
    assert organisations.get(org_id)["notes"] is None


def test_permission_is_checked_before_validation(db):
    with pytest.raises(PermissionDenied):
        organisations.create({"name": ""}, LEADER)


def test_missing_record(db):
    with pytest.raises(NotFound, match=r"社会组织\(编号 999\)不存在"):
        organisations.update(999, {"notes": "x"}, STAFF)
    with pytest.raises(NotFound, match=r"社会组织\(编号 999\)不存在"):
        records.delete(ORGANISATION, 999, STAFF)


# ---- the hash chain ----------------------------------------------------------------------------

def _some_writes(db) -> int:
    a = organisations.create(org_values(), STAFF)
    organisations.create(filed_values(name="高沙社区睦邻服务队"), STAFF)
    organisations.update(a, {"notes": "第一次修改"}, ADMIN)
    return db.scalar("SELECT count(*) FROM audit_log")


def test_chain_is_intact_after_writes(db):
    n = _some_writes(db)
    assert audit.verify(db) == audit.ChainReport(True, n)
    ids = [r["id"] for r in db.fetch_all("SELECT id FROM audit_log ORDER BY id")]
    assert ids == list(range(1, n + 1))
    first = db.fetch_one("SELECT prev_hash FROM audit_log WHERE id = 1")
    assert first["prev_hash"] == audit.GENESIS


def test_chain_detects_a_modified_row(db):
    n = _some_writes(db)
    with db.transaction() as tx:
        tx.execute("UPDATE audit_log SET actor = 'mallory' WHERE id = 2")
    report = audit.verify(db)
    assert (report.ok, report.first_bad_id, report.reason) == (False, 2, "记录内容与其哈希不符(该条可能被修改)")
    assert n > 2


def test_chain_detects_a_modified_row_whose_hash_was_recomputed(db):
    _some_writes(db)
    row = db.fetch_one("SELECT * FROM audit_log WHERE id = 22")
    row["after_json"] = row["after_json"].replace("文海社区", "高沙社区")
    forged = audit._digest(row)
    with db.transaction() as tx:
        tx.execute("UPDATE audit_log SET after_json = ?, hash = ? WHERE id = 22", [row["after_json"], forged])
    report = audit.verify(db)
    assert (report.ok, report.first_bad_id) == (False, 23)
    assert report.reason == "与前一条记录的链接不一致(前一条可能被修改或删除)"


def test_chain_detects_a_deleted_row(db):
    _some_writes(db)
    with db.transaction() as tx:
        tx.execute("DELETE FROM audit_log WHERE id = 3")
    report = audit.verify(db)
    assert (report.ok, report.first_bad_id, report.reason) == (False, 4, "缺少编号 3 的审计记录(可能被删除)")


def test_chain_detects_a_deleted_first_row(db):
    _some_writes(db)
    with db.transaction() as tx:
        tx.execute("DELETE FROM audit_log WHERE id = 1")
    report = audit.verify(db)
    assert (report.ok, report.first_bad_id) == (False, 2)


def test_empty_chain_is_ok(isolated):
    from core.platform.db import get_db

    assert audit.verify(get_db()) == audit.ChainReport(True, 0)


# ---- secrets in the audit log ------------------------------------------------------------------

def test_password_hash_is_masked_in_audit_json(db):
    username, _ = users.create({"username": "chenzr", "name": "陈主任", "roles": ["admin"], "active": True}, SYSTEM)
    stored_hash = users.get(username)["password_hash"]
    [entry] = audit_rows(db, "users")
    after = json.loads(entry["after_json"])
    assert after["password_hash"] == audit.SECRET == "******"
    assert after["username"] == "chenzr" and after["roles"] == ["admin"]
    dump = db.fetch_all("SELECT coalesce(before_json, '') || coalesce(after_json, '') AS j FROM audit_log")
    assert not any(stored_hash in r["j"] for r in dump)


# ---- derived fields ----------------------------------------------------------------------------

@pytest.mark.parametrize("rated,expiry", [
    (dt.date(2021, 6, 15), dt.date(2026, 6, 15)),
    (dt.date(2020, 2, 29), dt.date(2025, 2, 28)),
    (dt.date(2019, 12, 31), dt.date(2024, 12, 31)),
])
def test_rating_expiry_is_rating_date_plus_five_years(db, rated, expiry):
    # registered before the rating (a rating cannot predate the registration)
    org_id = organisations.create(org_values(rating="3A", rating_date=rated, reg_date=dt.date(2018, 3, 1)), STAFF)
    assert organisations.get(org_id)["rating_expiry"] == expiry


def test_rating_expiry_follows_updates(db):
    org_id = organisations.create(org_values(rating="3A", rating_date=dt.date(2020, 2, 29),
                                             reg_date=dt.date(2018, 3, 1)), STAFF)
    assert organisations.update(org_id, {"rating": "4A", "rating_date": dt.date(2023, 7, 1)}, STAFF) is True
    assert organisations.get(org_id)["rating_expiry"] == dt.date(2028, 7, 1)
    assert organisations.update(org_id, {"rating": None, "rating_date": None}, STAFF) is True
    row = organisations.get(org_id)
    assert (row["rating"], row["rating_date"], row["rating_expiry"]) == (None, None, None)


def test_rating_expiry_cannot_be_set_directly(db):
    org_id = organisations.create(org_values(rating_expiry=dt.date(2099, 1, 1)), STAFF)
    assert organisations.get(org_id)["rating_expiry"] is None


def test_add_years():
    assert add_years(dt.date(2024, 2, 29), 5) == dt.date(2029, 2, 28)
    assert add_years(dt.date(2024, 2, 29), 4) == dt.date(2028, 2, 29)
    assert add_years(dt.date(2024, 3, 1), 5) == dt.date(2029, 3, 1)


# ---- table versions ----------------------------------------------------------------------------

def test_commit_bumps_versions_of_written_tables_only(db):
    before = db.version("organisations", "audit_log", "users")
    organisations.create(org_values(), STAFF)
    after = db.version("organisations", "audit_log", "users")
    assert after == (before[0] + 1, before[1] + 1, before[2])


def test_failed_write_bumps_no_version(db):
    organisations.create(org_values(), STAFF)
    before = db.version("organisations", "audit_log")
    with pytest.raises(ValidationFailed):
        organisations.create(org_values(), STAFF)
    assert db.version("organisations", "audit_log") == before


# ---- many rows at once (a review's scores, a project's activities) ----------------------------------

def _batch(n: int, start: int = 10) -> list[dict]:
    return [org_values(name=f"下沙街道批量协会{i}", uscc=uscc_for("51", i)) for i in range(start, start + n)]


def test_create_many_stores_every_row_in_order_with_one_audit_row_each(db):
    n_orgs, n_audit = counts(db)
    with records.unit(STAFF) as u:
        keys = u.create_many(ORGANISATION, _batch(3))
    assert [organisations.get(k)["name"] for k in keys] == [f"下沙街道批量协会{i}" for i in (10, 11, 12)]
    assert counts(db) == (n_orgs + 3, n_audit + 3)
    rows = audit_rows(db)[-3:]
    assert [r["row_key"] for r in rows] == [str(k) for k in keys]
    assert all(r["action"] == "create" and r["actor"] == "wangmin" for r in rows)
    assert [json.loads(r["after_json"])["name"] for r in rows] == [f"下沙街道批量协会{i}" for i in (10, 11, 12)]
    assert organisations.get(keys[0])["created_by"] == "wangmin"


def test_create_many_is_refused_whole_for_a_role_or_a_bad_row(db):
    before = counts(db)
    with pytest.raises(PermissionDenied):
        with records.unit(LEADER) as u:
            u.create_many(ORGANISATION, _batch(2))
    rows = _batch(3)
    rows[2]["name"] = rows[0]["name"]  # the third repeats a stored organisation's name
    organisations.create(rows[0], STAFF)
    before = counts(db)
    with pytest.raises(ValidationFailed):
        with records.unit(STAFF) as u:
            u.create_many(ORGANISATION, rows[1:])
    assert counts(db) == before  # nothing of the batch was stored, no audit row


def test_create_many_refuses_a_row_that_repeats_an_earlier_row_of_the_batch(db):
    rows = _batch(3)
    rows[2]["name"] = rows[0]["name"]  # both new: the batch itself holds the clash
    before = counts(db)
    with pytest.raises(ValidationFailed) as info:
        with records.unit(STAFF) as u:
            u.create_many(ORGANISATION, rows)
    assert counts(db) == before
    [message] = info.value.fields["name"]
    assert message.startswith(f"组织名称已被登记:「{rows[0]['name']}」")


def test_create_many_writes_a_large_batch_with_a_few_statements_in_row_order(db, monkeypatch):
    """A batch costs a few statements whatever its size (the demo data, an import): not one per row."""
    from core.platform.db import Transaction
    seen: list[str] = []
    real = Transaction.execute
    monkeypatch.setattr(Transaction, "execute", lambda self, sql, params=None: seen.append(sql) or real(self, sql, params))
    n_orgs, n_audit = counts(db)
    keys = records.create_many(ORGANISATION, _batch(120), STAFF)
    assert len(seen) <= 8, seen[:12]
    assert counts(db) == (n_orgs + 120, n_audit + 120)
    assert [organisations.get(k)["name"] for k in (keys[0], keys[57], keys[-1])] == [
        "下沙街道批量协会10", "下沙街道批量协会67", "下沙街道批量协会129"]
    stored = organisations.get(keys[5])
    assert stored["service_domains"] == ["社区治理", "志愿服务"] and stored["created_by"] == "wangmin"
    logged = db.fetch_all("SELECT row_key, after_json FROM audit_log ORDER BY id DESC LIMIT 120")[::-1]
    assert [r["row_key"] for r in logged] == [str(k) for k in keys]
    assert json.loads(logged[5]["after_json"]) == as_json(stored)
    assert audit.verify(db).ok


def test_a_text_key_of_a_numbered_record_is_not_found_on_either_engine(db):
    """A URL's ?id=abc, or a stale key of the wrong kind: 不存在, never a database error (PostgreSQL refuses to compare
    text with a number; DuckDB casts)."""
    from core.monitoring import monitoring_policy  # keyed by its round's id (a number it does not generate)

    org = organisations.create(org_values(), Actor("wangmin", ("staff",)))
    for entity, key in ((ORGANISATION, "abc"), (ORGANISATION, " "), (monitoring_policy.POLICY, "no-such-round")):
        with pytest.raises(NotFound, match="不存在"):
            records.get(entity, key, db)
        with pytest.raises(NotFound):
            records.update(entity, key, {"notes": "x"}, Actor("admin", ("admin",)), db=db)
    assert records.get(ORGANISATION, str(org), db)["id"] == org  # a number as text still finds its record
