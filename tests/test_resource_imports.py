"""Correcting and importing 伙伴贡献 and 志愿服务记录 (core.resources.partners / volunteers): an edit is audited and keeps
the rules of the first entry — a claimed contribution keeps its partner, kind and project, and a corrected amount
moves the project's 配套资金 with it in the same transaction —; an Excel sheet is checked row by row in Chinese,
writes nothing for a row in error, writes its valid rows in one batch, and adds nothing when imported again."""
from __future__ import annotations

import datetime as dt
import io

import pytest
from openpyxl import load_workbook

from core.monitoring import projects
from core.platform import importer
from core.platform.actor import Actor
from core.platform.errors import PermissionDenied, ValidationFailed
from core.resources import partners as pt
from core.resources import volunteers as vol

STAFF = Actor("staff", ("staff",))
LEADER = Actor("leader", ("leader",))
TODAY = dt.date.today()


def _count(db, table: str) -> int:
    return db.scalar(f"SELECT count(*) FROM {table}")


def _messages(exc) -> str:
    return str(exc.value) + " " + " ".join(m for ms in (exc.value.fields or {}).values() for m in ms)


def _sheet(spec, rows: list[list]) -> bytes:
    wb = load_workbook(io.BytesIO(importer.template(spec)))
    for row in rows:
        wb[importer.DATA_SHEET].append(row)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


# ---- service records ---------------------------------------------------------------------------------------
def _activity(db) -> dict:
    return db.fetch_one("SELECT a.id, a.project_id FROM activities a JOIN projects p ON p.id = a.project_id"
                        " WHERE p.state = 'active' AND a.volunteers > 0 ORDER BY a.id LIMIT 1")


def _free_volunteers(db, activity_id: int, n: int) -> list[dict]:
    """Volunteers with no record at the activity, whose register label 「姓名(社区)」 names one volunteer only."""
    rows = db.fetch_all(
        "SELECT v.id, v.name, v.community FROM volunteers v WHERE v.id NOT IN"
        " (SELECT volunteer_id FROM volunteer_services WHERE activity_id = ?) AND (SELECT count(*) FROM volunteers w"
        " WHERE w.name = v.name AND w.community = v.community) = 1 ORDER BY v.id LIMIT ?", [activity_id, n])
    assert len(rows) == n
    return [dict(r, label=f"{r['name']}({r['community']})") for r in rows]


def test_a_service_record_is_corrected_audited_and_keeps_its_rules(demo_db):
    act = _activity(demo_db)
    s = demo_db.fetch_one("SELECT * FROM volunteer_services WHERE activity_id = ? ORDER BY id LIMIT 1", [act["id"]])
    other = demo_db.fetch_one("SELECT * FROM volunteer_services WHERE activity_id = ? AND id <> ? ORDER BY id LIMIT 1",
                              [act["id"], s["id"]])
    assert vol.update_service(s["id"], {"hours": 3.5, "role": "组织协调"}, STAFF, demo_db) is True
    row = demo_db.fetch_one("SELECT hours, role, updated_by FROM volunteer_services WHERE id = ?", [s["id"]])
    assert row == {"hours": 3.5, "role": "组织协调", "updated_by": "staff"}
    log = vol.service_history(s["id"], demo_db)
    assert "update" in log["action"].tolist()
    assert vol.update_service(s["id"], {"hours": 3.5}, STAFF, demo_db) is False  # nothing changed, nothing written
    before = _count(demo_db, "audit_log")
    refusals = ((({"volunteer_id": other["volunteer_id"]}), "该志愿者在此活动已有服务记录"),
                (({"activity_id": 99999999}), "服务台账中没有编号 99999999 的活动"),
                (({"hours": 30}), "服务时长"))
    for values, says in refusals:
        with pytest.raises(ValidationFailed) as exc:
            vol.update_service(s["id"], values, STAFF, demo_db)
        assert says in _messages(exc)
    with pytest.raises(PermissionDenied):
        vol.update_service(s["id"], {"hours": 1}, LEADER, demo_db)
    assert _count(demo_db, "audit_log") == before
    assert demo_db.scalar("SELECT hours FROM volunteer_services WHERE id = ?", [s["id"]]) == 3.5


def test_a_service_hours_sheet_is_checked_row_by_row_and_imported_once(demo_db):
    act = _activity(demo_db)
    a, b, c = _free_volunteers(demo_db, act["id"], 3)
    spec = vol.service_import_spec()
    headers = [cell.value for cell in load_workbook(io.BytesIO(importer.template(spec)))[importer.DATA_SHEET][1]]
    assert headers == ["服务志愿者*", "服务活动编号*", "服务时长(小时)*", "服务角色*", "服务备注"]
    shown_before = demo_db.fetch_one(f"SELECT {vol.VOLUNTEERS_SQL} AS n FROM activities a WHERE a.id = ?",
                                     [act["id"]])["n"]
    bad = _sheet(spec, [[a["label"], act["id"], 2.5, "活动协助", None],
                        [b["label"], 99999999, 2, "后勤保障", None],        # no such activity
                        [c["label"], act["id"], 0, "活动协助", None],        # no hours
                        ["查无此人(文海社区)", act["id"], 2, "活动协助", None],  # not on the register
                        [a["label"], act["id"], 1, "活动协助", None]])       # the first row again
    plan = importer.plan(spec, bad)
    assert [(r.row_number, r.status) for r in plan.report] == [
        (2, "待改正"), (3, "错误"), (4, "错误"), (5, "错误"), (6, "文件内重复")]  # nothing while a row is in error
    says = {r.row_number: r.message for r in plan.report}
    assert "服务台账中没有编号 99999999 的活动" in says[3]
    assert "不在服务志愿者的列表中" in says[5]
    assert plan.valid == []
    before = _count(demo_db, "volunteer_services"), _count(demo_db, "audit_log")
    assert vol.import_services(plan, STAFF, demo_db) == 0
    assert (_count(demo_db, "volunteer_services"), _count(demo_db, "audit_log")) == before  # nothing written
    good = _sheet(spec, [[a["label"], act["id"], 2.5, "活动协助", None],
                         [b["label"], act["id"], 2, "后勤保障", "搬运物资"],
                         [c["label"], act["id"], 1.5, "宣传记录", None]])
    plan = importer.plan(spec, good)
    assert plan.counts == {"有效": 3}
    assert vol.import_services(plan, STAFF, demo_db) == 3
    stored = demo_db.fetch_all("SELECT volunteer_id, hours, role, created_by FROM volunteer_services"
                               " WHERE activity_id = ? AND volunteer_id IN (?, ?, ?) ORDER BY volunteer_id",
                               [act["id"], a["id"], b["id"], c["id"]])
    assert [(r["volunteer_id"], r["hours"], r["role"]) for r in stored] == sorted(
        [(a["id"], 2.5, "活动协助"), (b["id"], 2.0, "后勤保障"), (c["id"], 1.5, "宣传记录")])
    assert demo_db.scalar("SELECT count(*) FROM audit_log WHERE table_name = 'volunteer_services'"
                          " AND action = 'import'") == 3
    # the ledger counts the volunteers from the records; the hours reach the totals
    shown = demo_db.fetch_one(f"SELECT {vol.VOLUNTEERS_SQL} AS n FROM activities a WHERE a.id = ?", [act["id"]])["n"]
    assert shown == shown_before + 3
    totals = vol.totals("volunteer", demo_db)
    assert float(totals[totals["name"] == a["name"]]["hours"].sum()) >= 2.5
    # the same sheet again: every row 已存在, nothing to write
    again = importer.plan(spec, good)
    assert again.counts == {"已存在": 3} and again.valid == []
    assert "在活动编号" in again.report[0].message
    assert vol.import_services(again, STAFF, demo_db) == 0


def test_a_service_sheet_refused_under_the_lock_writes_nothing(demo_db):
    act = _activity(demo_db)
    a, b = _free_volunteers(demo_db, act["id"], 2)
    spec = vol.service_import_spec()
    plan = importer.plan(spec, _sheet(spec, [[a["label"], act["id"], 2, "活动协助", None],
                                             [b["label"], act["id"], 2, "活动协助", None]]))
    assert plan.counts == {"有效": 2}
    vol.record_service({"volunteer_id": b["id"], "activity_id": act["id"], "hours": 1, "role": "活动协助"},
                       STAFF, demo_db)  # recorded on the form meanwhile
    before = _count(demo_db, "volunteer_services"), _count(demo_db, "audit_log")
    with pytest.raises(ValidationFailed) as exc:
        vol.import_services(plan, STAFF, demo_db)
    assert "已在导入前登记" in _messages(exc) and "本次未导入任何记录" in _messages(exc)
    assert (_count(demo_db, "volunteer_services"), _count(demo_db, "audit_log")) == before
    with pytest.raises(PermissionDenied):
        vol.import_services(plan, LEADER, demo_db)


# ---- contributions -------------------------------------------------------------------------------------------
def _partner(db, **over) -> int:
    return pt.create_partner({"name": "测试更正企业", "kind": "企业", "offers": ["资金"], **over}, STAFF, db)


def _completed_claim(db, partner: int, amount: float) -> tuple[int, int, dict]:
    p = db.fetch_one("SELECT id, funds_enterprise, funds_donation, agreement_date FROM projects WHERE state = 'active'"
                     " ORDER BY id LIMIT 1")
    item = pt.publish({"title": "更正测试认领", "kind": "资金", "amount_sought": amount, "needed": "活动经费",
                       "source": "项目资金缺口", "project_id": p["id"], "published_on": TODAY - dt.timedelta(days=3)},
                      STAFF, db)
    pt.claim(item, {"partner_id": partner, "claimed_on": TODAY - dt.timedelta(days=2)}, STAFF, db)
    cid = pt.complete(item, {"completed_on": TODAY}, STAFF, db)
    return item, cid, p


def test_a_claimed_contributions_amount_moves_the_projects_funds_with_it(demo_db):
    partner = _partner(demo_db)
    item, cid, p = _completed_claim(demo_db, partner, 5000.0)
    funds = float(projects.get(p["id"], demo_db)["funds_enterprise"])
    assert funds == float(p["funds_enterprise"] or 0) + 5000
    assert pt.update_contribution(cid, {"amount": 4200.0, "notes": "到位金额按银行回单更正"}, STAFF, demo_db) is True
    assert float(demo_db.scalar("SELECT amount FROM partner_contributions WHERE id = ?", [cid])) == 4200.0
    assert float(projects.get(p["id"], demo_db)["funds_enterprise"]) == funds - 800
    event = demo_db.fetch_one("SELECT detail FROM project_events WHERE project_id = ? AND event = '企业公益认领资金更正'",
                              [p["id"]])
    assert "由 5,000.00 元更正为 4,200.00 元" in event["detail"]
    assert demo_db.scalar("SELECT count(*) FROM audit_log WHERE table_name = 'projects' AND row_key = ?"
                          " AND action = 'partner_funds'", [str(p["id"])]) == 2  # completion and correction
    assert "update" in pt.contribution_history(cid, demo_db)["action"].tolist()
    # the description alone: the project's money stays
    pt.update_contribution(cid, {"description": "九九公益日配捐"}, STAFF, demo_db)
    assert float(projects.get(p["id"], demo_db)["funds_enterprise"]) == funds - 800


def test_a_claimed_contribution_keeps_its_partner_kind_and_project(demo_db):
    partner = _partner(demo_db)
    item, cid, p = _completed_claim(demo_db, partner, 3000.0)
    other = _partner(demo_db, name="另一家测试企业")
    elsewhere = demo_db.scalar("SELECT id FROM projects WHERE id <> ? ORDER BY id LIMIT 1", [p["id"]])
    before = _count(demo_db, "audit_log"), projects.get(p["id"], demo_db)["funds_enterprise"]
    for values in ({"partner_id": other}, {"project_id": elsewhere}, {"kind": "物资", "description": "物资"}):
        with pytest.raises(ValidationFailed) as exc:
            pt.update_contribution(cid, values, STAFF, demo_db)
        assert "来自企业公益认领「更正测试认领」" in _messages(exc) and "不能修改" in _messages(exc)
    with pytest.raises(ValidationFailed) as exc:  # the schema's rules still hold
        pt.update_contribution(cid, {"amount": None}, STAFF, demo_db)
    assert "贡献类型为资金时,请填写捐赠金额(元)" in _messages(exc)
    with pytest.raises(PermissionDenied):
        pt.update_contribution(cid, {"amount": 1.0}, LEADER, demo_db)
    assert (_count(demo_db, "audit_log"), projects.get(p["id"], demo_db)["funds_enterprise"]) == before


def test_a_direct_contribution_is_corrected_as_a_record_only(demo_db):
    partner = _partner(demo_db)
    p = demo_db.fetch_one("SELECT id, funds_enterprise FROM projects WHERE state = 'active' ORDER BY id LIMIT 1")
    cid = pt.add_contribution({"partner_id": partner, "contributed_on": TODAY, "kind": "资金", "amount": 1000,
                               "project_id": p["id"]}, STAFF, demo_db)
    other = _partner(demo_db, name="另一家测试企业")
    assert pt.update_contribution(cid, {"amount": 1500, "partner_id": other}, STAFF, demo_db)
    row = demo_db.fetch_one("SELECT partner_id, amount FROM partner_contributions WHERE id = ?", [cid])
    assert (row["partner_id"], float(row["amount"])) == (other, 1500.0)
    assert projects.get(p["id"], demo_db)["funds_enterprise"] == p["funds_enterprise"]  # a record only


def test_a_contributions_sheet_is_checked_row_by_row_and_imported_once(demo_db):
    partner = _partner(demo_db, name="导入测试企业")
    spec = pt.contribution_import_spec()
    headers = [cell.value for cell in load_workbook(io.BytesIO(importer.template(spec)))[importer.DATA_SHEET][1]]
    assert headers[:3] == ["合作伙伴*", "贡献日期*", "贡献类型*"]
    day = (TODAY - dt.timedelta(days=10)).isoformat()
    rows = [["导入测试企业", day, "资金", 2000, None, None, None, None],
            ["导入测试企业", day, "物资", None, "冬衣 50 件", 5000, None, None],
            ["导入测试企业", day, "资金", None, None, None, None, None],        # money without its amount
            ["没有这家企业", day, "物资", None, "图书", None, None, None],      # not a partner
            ["导入测试企业", day, "资金", 2000, None, None, None, None]]        # the first row again
    plan = importer.plan(spec, _sheet(spec, rows))
    assert [(r.row_number, r.status) for r in plan.report] == [
        (2, "待改正"), (3, "待改正"), (4, "错误"), (5, "错误"), (6, "文件内重复")]
    says = {r.row_number: r.message for r in plan.report}
    assert "贡献类型为资金时,请填写捐赠金额(元)" in says[4] and "不在合作伙伴的列表中" in says[5]
    before = _count(demo_db, "partner_contributions"), _count(demo_db, "audit_log")
    assert importer.commit(spec, plan, STAFF, demo_db) == 0  # a row in error: nothing of the sheet is written
    assert (_count(demo_db, "partner_contributions"), _count(demo_db, "audit_log")) == before
    fixed = rows[:2] + [["导入测试企业", day, "资金", 800, None, None, None, None]]
    plan = importer.plan(spec, _sheet(spec, fixed))
    assert plan.counts == {"有效": 3}
    assert importer.commit(spec, plan, STAFF, demo_db) == 3
    stored = demo_db.fetch_all("SELECT kind, amount, description FROM partner_contributions WHERE partner_id = ?"
                               " ORDER BY id", [partner])
    assert [(r["kind"], None if r["amount"] is None else float(r["amount"]), r["description"]) for r in stored] == [
        ("资金", 2000.0, None), ("物资", None, "冬衣 50 件"), ("资金", 800.0, None)]
    again = importer.plan(spec, _sheet(spec, fixed))
    assert again.counts == {"已存在": 3}
