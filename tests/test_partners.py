"""合作伙伴 and 企业公益认领 (core.resources.partners): the partner's checks (phone normalised, a government department
names its 部门, an agreement its dates), contributions (money needs an amount, goods a description), the claim flow
open -> claimed -> done | withdrawn with refusals that name what to change and write nothing, completing a money
claim adds the money to the project's 配套资金 (the project file's field) in the same transaction, the continuity
classes and the per-year figures (cached), roles, and the demo loader's figures."""
from __future__ import annotations

import datetime as dt

import pytest

from core.demo import res_partners as demo
from core.monitoring import projects
from core.platform import cache
from core.platform.actor import Actor
from core.platform.errors import PermissionDenied, ValidationFailed
from core.resources import partners as pt

STAFF = Actor("staff", ("staff",))
ADMIN = Actor("admin", ("admin",))
LEADER = Actor("leader", ("leader",))
TODAY = dt.date.today()


def _count(db, table: str) -> int:
    return db.scalar(f"SELECT count(*) FROM {table}")


def _messages(exc) -> str:
    return str(exc.value) + " " + " ".join(m for ms in (exc.value.fields or {}).values() for m in ms)


def _partner(db, name="杭州测试科技有限公司", kind="企业", **over) -> int:
    return pt.create_partner({"name": name, "kind": kind, "offers": ["资金"], **over}, STAFF, db)


def _project(db) -> dict:
    pid = db.scalar("SELECT min(id) FROM projects WHERE state = 'active'")
    return projects.get(pid, db)


def _money_item(db, project_id: int, amount=10000.0) -> int:
    return pt.publish({"title": "补足活动经费", "kind": "资金", "needed": "活动物资和保险", "amount_sought": amount,
                       "source": "项目资金缺口", "project_id": project_id,
                       "published_on": TODAY - dt.timedelta(days=10)}, STAFF, db)


def test_partner_phone_is_normalised_and_a_department_and_agreement_dates_are_required(demo_db):
    pid = _partner(demo_db, contact_phone="13857101001")
    assert demo_db.scalar("SELECT contact_phone FROM partners WHERE id = ?", [pid]) == "138 5710 1001"
    before = _count(demo_db, "partners"), _count(demo_db, "audit_log")
    with pytest.raises(ValidationFailed) as exc:
        _partner(demo_db, name="钱塘区某局", kind="政府部门")
    assert "请选择政府部门类别(如 民政、卫健)" in _messages(exc)
    with pytest.raises(ValidationFailed) as exc:
        _partner(demo_db, name="某基金会", kind="基金会", agreement=True)
    assert "请填写协议开始日期" in _messages(exc)
    assert (_count(demo_db, "partners"), _count(demo_db, "audit_log")) == before
    gov = _partner(demo_db, name="钱塘区民政局测试", kind="政府部门", department="民政")
    assert demo_db.scalar("SELECT department FROM partners WHERE id = ?", [gov]) == "民政"


def test_a_contribution_of_money_needs_its_amount_and_goods_their_description(demo_db):
    pid = _partner(demo_db)
    before = _count(demo_db, "partner_contributions")
    with pytest.raises(ValidationFailed) as exc:
        pt.add_contribution({"partner_id": pid, "contributed_on": TODAY, "kind": "资金"}, STAFF, demo_db)
    assert "贡献类型为资金时,请填写捐赠金额(元)" in _messages(exc)
    with pytest.raises(ValidationFailed) as exc:
        pt.add_contribution({"partner_id": pid, "contributed_on": TODAY, "kind": "物资"}, STAFF, demo_db)
    assert "非资金贡献请填写贡献内容" in _messages(exc)
    assert _count(demo_db, "partner_contributions") == before
    cid = pt.add_contribution({"partner_id": pid, "contributed_on": TODAY, "kind": "物资",
                               "description": "文具 100 套", "estimated_value": 3000}, STAFF, demo_db)
    assert demo_db.fetch_one("SELECT kind, description, estimated_value FROM partner_contributions WHERE id = ?",
                             [cid]) == {"kind": "物资", "description": "文具 100 套", "estimated_value": 3000}


def test_completing_a_money_claim_adds_it_to_the_projects_enterprise_funds(demo_db):
    p = _project(demo_db)
    before = float(p["funds_enterprise"] or 0)
    donation = float(p["funds_donation"] or 0)
    partner = _partner(demo_db)
    item = _money_item(demo_db, p["id"], 10000.0)
    assert pt.get_item(item, demo_db)["status"] == "open"
    pt.claim(item, {"partner_id": partner, "claimed_on": TODAY - dt.timedelta(days=5)}, STAFF, demo_db)
    row = pt.get_item(item, demo_db)
    assert (row["status"], row["partner_id"], float(row["pledged_amount"])) == ("claimed", partner, 10000.0)
    assert "配套资金:企业增加 9,500.00 元" in pt.preview_completion(item, {"completed_on": TODAY,
                                                                          "received_amount": 9500}, demo_db)
    cid = pt.complete(item, {"completed_on": TODAY, "received_amount": 9500}, STAFF, demo_db)
    after = projects.get(p["id"], demo_db)
    assert float(after["funds_enterprise"]) == before + 9500 and float(after["funds_donation"] or 0) == donation
    c = demo_db.fetch_one("SELECT * FROM partner_contributions WHERE id = ?", [cid])
    assert (c["partner_id"], c["kind"], float(c["amount"]), c["project_id"], c["claim_id"]) == (
        partner, "资金", 9500.0, p["id"], item)
    assert pt.get_item(item, demo_db)["status"] == "done"
    assert demo_db.scalar("SELECT count(*) FROM project_events WHERE project_id = ? AND event = '企业公益认领资金到位'",
                          [p["id"]]) == 1
    assert demo_db.scalar("SELECT count(*) FROM audit_log WHERE table_name = 'projects' AND row_key = ?"
                          " AND action = 'partner_funds'", [str(p["id"])]) == 1


def test_a_foundations_claim_goes_to_donations_and_a_government_departments_to_no_project_fund(demo_db):
    p = _project(demo_db)
    fund = _partner(demo_db, name="测试公益基金会", kind="基金会")
    item = _money_item(demo_db, p["id"], 3000.0)
    pt.claim(item, {"partner_id": fund, "claimed_on": TODAY}, STAFF, demo_db)
    pt.complete(item, {"completed_on": TODAY}, STAFF, demo_db)
    after = projects.get(p["id"], demo_db)
    assert float(after["funds_donation"]) == float(p["funds_donation"] or 0) + 3000
    assert float(after["funds_enterprise"] or 0) == float(p["funds_enterprise"] or 0)
    gov = _partner(demo_db, name="测试卫健局", kind="政府部门", department="卫健")
    item = _money_item(demo_db, p["id"], 2000.0)
    pt.claim(item, {"partner_id": gov, "claimed_on": TODAY}, STAFF, demo_db)
    pt.complete(item, {"completed_on": TODAY}, STAFF, demo_db)
    assert projects.get(p["id"], demo_db)["funds_donation"] == after["funds_donation"]


def test_claim_flow_refusals_name_what_to_change_and_write_nothing(demo_db):
    p = _project(demo_db)
    partner = _partner(demo_db)
    item = _money_item(demo_db, p["id"])
    before = _count(demo_db, "audit_log"), _count(demo_db, "partner_contributions")
    with pytest.raises(ValidationFailed) as exc:
        pt.complete(item, {"completed_on": TODAY}, STAFF, demo_db)
    assert "当前为开放认领,不能登记到位" in _messages(exc) and "只有已认领的认领项目可以登记到位" in _messages(exc)
    with pytest.raises(ValidationFailed) as exc:
        pt.claim(item, {"partner_id": partner, "claimed_on": TODAY - dt.timedelta(days=30)}, STAFF, demo_db)
    assert "早于发布日期" in _messages(exc) and "请核对认领日期" in _messages(exc)
    with pytest.raises(ValidationFailed) as exc:
        pt.withdraw(item, "", STAFF, demo_db)
    assert "请填写撤回原因" in _messages(exc)
    with pytest.raises(ValidationFailed) as exc:  # the source names what it needs
        pt.publish({"title": "社区需求认领", "kind": "物资", "needed": "图书", "source": "社区需求",
                    "published_on": TODAY}, STAFF, demo_db)
    assert "需求来源为社区需求时,请填写社区需求编号" in _messages(exc)
    with pytest.raises(ValidationFailed) as exc:
        pt.publish({"title": "社区需求认领", "kind": "物资", "needed": "图书", "source": "社区需求", "need_id": 999999,
                    "published_on": TODAY}, STAFF, demo_db)
    assert "社区需求编号 999999 不存在" in _messages(exc)
    with pytest.raises(ValidationFailed) as exc:
        pt.publish({"title": "资金认领", "kind": "资金", "needed": "经费", "source": "项目资金缺口",
                    "published_on": TODAY}, STAFF, demo_db)
    assert "请填写认领金额(元)" in _messages(exc) and "请选择受益项目" in _messages(exc)
    assert (_count(demo_db, "audit_log"), _count(demo_db, "partner_contributions")) == before
    pt.withdraw(item, "项目已另有资金来源", STAFF, demo_db)
    with pytest.raises(ValidationFailed) as exc:
        pt.claim(item, {"partner_id": partner, "claimed_on": TODAY}, STAFF, demo_db)
    assert "当前为已撤回,不能认领" in _messages(exc)


def test_leaders_read_but_may_not_write(demo_db):
    before = _count(demo_db, "partners"), _count(demo_db, "claim_items")
    with pytest.raises(PermissionDenied):
        pt.create_partner({"name": "领导登记的企业", "kind": "企业", "offers": ["资金"]}, LEADER, demo_db)
    with pytest.raises(PermissionDenied):
        pt.publish({"title": "领导发布", "kind": "物资", "needed": "图书", "source": "其他", "published_on": TODAY},
                   LEADER, demo_db)
    assert (_count(demo_db, "partners"), _count(demo_db, "claim_items")) == before
    assert pt.publish({"title": "管理员发布", "kind": "物资", "needed": "图书 100 册", "source": "其他",
                       "published_on": TODAY}, ADMIN, demo_db)


def test_continuity_classes_and_the_yearly_figures(demo_db):
    # the demo template holds its own partners and contributions: the figures move by what this test adds
    cache.clear()
    counts_before = pt.continuity_counts(demo_db)
    years_before = pt.by_year(demo_db).set_index("year")
    kinds_before = pt.by_year_and_partner_kind(demo_db).set_index("year")
    money_2023_before = pt.by_year_and_kind(demo_db).set_index("year").get("资金(元)", {}).get("2023", 0)

    def was(frame, year, column):
        return frame.loc[year, column] if year in frame.index and column in frame.columns else 0

    once = _partner(demo_db, name="单次企业")
    twice = _partner(demo_db, name="多次企业")
    agreed = _partner(demo_db, name="协议基金会", kind="基金会", agreement=True, agreement_start=dt.date(2024, 1, 1))
    gov = _partner(demo_db, name="测试民政局", kind="政府部门", department="民政")
    for partner, day, amount in ((once, dt.date(2024, 5, 1), 1000), (twice, dt.date(2023, 5, 1), 2000),
                                 (twice, dt.date(2024, 6, 1), 3000), (gov, dt.date(2024, 7, 1), 4000)):
        pt.add_contribution({"partner_id": partner, "contributed_on": day, "kind": "资金", "amount": amount}, STAFF,
                            demo_db)
    cache.clear()
    df = pt.continuity(demo_db).set_index("name")
    assert df.loc["单次企业", "continuity"] == "单次合作"
    assert df.loc["多次企业", "continuity"] == "多次合作" and df.loc["多次企业", "years"] == 2
    assert df.loc["协议基金会", "continuity"] == "协议合作"
    assert df.loc["多次企业", "money"] == 5000
    counts = pt.continuity_counts(demo_db)
    assert {k: counts[k] - counts_before[k] for k in counts} == {"单次合作": 2, "多次合作": 1, "协议合作": 1,
                                                                  "暂无贡献": 0}
    years = pt.by_year(demo_db).set_index("year")
    y24 = years.loc["2024"]
    moved = tuple(y24[c] - was(years_before, "2024", c) for c in ("partners", "returning", "money", "non_gov_money"))
    assert moved == (3, 1, 8000, 4000)
    assert y24["non_gov_share"] == pytest.approx(y24["non_gov_money"] / y24["money"])
    kinds = pt.by_year_and_partner_kind(demo_db).set_index("year")
    assert kinds.loc["2024", "企业(元)"] - was(kinds_before, "2024", "企业(元)") == 4000
    assert kinds.loc["2024", "政府部门(次)"] - was(kinds_before, "2024", "政府部门(次)") == 1
    assert pt.by_year_and_kind(demo_db).set_index("year").loc["2023", "资金(元)"] - money_2023_before == 2000
    loads = cache.loads("partners:by_year")
    pt.by_year(demo_db)
    assert cache.loads("partners:by_year") == loads  # cached until a table it reads is written
    pt.add_contribution({"partner_id": once, "contributed_on": dt.date(2025, 1, 2), "kind": "资金", "amount": 10},
                        STAFF, demo_db)
    assert pt.continuity(demo_db).set_index("name").loc["单次企业", "continuity"] == "多次合作"


def test_the_demo_loader_matches_the_agreements_money_and_completes_one_claim(demo_db):
    # the demo template holds what the loader left (core.demo.resources runs it as the build's last step)
    assert _count(demo_db, "partners") == len(demo.PARTNERS)
    assert sorted(r["name"] for r in demo_db.fetch_all("SELECT name FROM partners")) == sorted(p[0] for p in demo.PARTNERS)
    assert demo_db.scalar("SELECT count(*) FROM audit_log WHERE table_name = 'partner_contributions'") == \
        _count(demo_db, "partner_contributions") > 20  # written through the audited write path
    # per project: its agreement's 配套资金 is the partners' money for it (enterprise: plus the completed claim)
    off = demo_db.fetch_all(
        "SELECT p.id, p.funds_enterprise, p.funds_donation, c.ent, c.don FROM projects p LEFT JOIN ("
        " SELECT c.project_id, sum(CASE WHEN t.kind = '企业' THEN c.amount END) AS ent,"
        " sum(CASE WHEN t.kind <> '企业' THEN c.amount END) AS don FROM partner_contributions c"
        " JOIN partners t ON t.id = c.partner_id WHERE c.project_id IS NOT NULL GROUP BY 1) c ON c.project_id = p.id"
        " WHERE coalesce(p.funds_enterprise, 0) <> coalesce(c.ent, 0) OR coalesce(p.funds_donation, 0) <> coalesce(c.don, 0)")
    assert off == []
    assert float(demo_db.scalar("SELECT sum(funds_donation) FROM projects")) > 0
    status = {r["status"]: r["n"] for r in demo_db.fetch_all("SELECT status, count(*) AS n FROM claim_items GROUP BY 1")}
    needs = demo_db.scalar("SELECT count(*) FROM claim_items WHERE need_id IS NOT NULL")
    assert status == {"done": 1, "claimed": 1, "open": 2 + needs, "withdrawn": 1} and needs == 1
    # the completed claim: 10,000 from the yearly enterprise into the first running project's 配套资金:企业
    done = demo_db.fetch_one(
        "SELECT i.project_id, c.amount, c.project_id AS c_project, t.name FROM claim_items i"
        " JOIN partner_contributions c ON c.id = i.contribution_id JOIN partners t ON t.id = c.partner_id"
        " WHERE i.status = 'done'")
    assert (done["amount"], done["c_project"], done["name"]) == (10000, done["project_id"], demo.TECH)
    assert float(demo_db.scalar("SELECT funds_enterprise FROM projects WHERE id = ?", [done["project_id"]])) >= 10000
    assert demo_db.scalar("SELECT count(*) FROM project_events WHERE project_id = ? AND event = '企业公益认领资金到位'",
                          [done["project_id"]]) == 1
    c = pt.continuity_counts(demo_db)
    assert c["协议合作"] == 1 and c["多次合作"] >= 4 and c["单次合作"] >= 3
    shares = pt.by_year(demo_db).set_index("year")["non_gov_share"]
    assert 0 < shares.loc["2025"] < 1 and shares.drop("2025").dropna().eq(1).all()


def test_a_goods_claim_needs_what_is_pledged_and_completing_it_leaves_the_projects_money_alone(demo_db):
    p = _project(demo_db)
    partner = _partner(demo_db, name="测试物流公司")
    item = pt.publish({"title": "儿童图书", "kind": "物资", "needed": "图书 300 册", "source": "其他",
                       "project_id": p["id"], "published_on": TODAY}, STAFF, demo_db)
    with pytest.raises(ValidationFailed) as exc:
        pt.claim(item, {"partner_id": partner, "claimed_on": TODAY}, STAFF, demo_db)
    assert "请填写认领内容" in _messages(exc) and pt.get_item(item, demo_db)["status"] == "open"
    pt.claim(item, {"partner_id": partner, "claimed_on": TODAY, "pledge_note": "图书 300 册"}, STAFF, demo_db)
    cid = pt.complete(item, {"completed_on": TODAY, "estimated_value": 9000}, STAFF, demo_db)
    c = demo_db.fetch_one("SELECT kind, amount, description, estimated_value, project_id FROM partner_contributions"
                          " WHERE id = ?", [cid])
    assert c == {"kind": "物资", "amount": None, "description": "图书 300 册", "estimated_value": 9000,
                 "project_id": p["id"]}
    after = projects.get(p["id"], demo_db)
    assert (after["funds_enterprise"], after["funds_donation"]) == (p["funds_enterprise"], p["funds_donation"])
