"""立项项目 and 监管规则: the proposed agreement, signing it (and the refusals, which store nothing),
the tranche plan (cents add up), the policy form's parse errors in Chinese, and a custom policy used
by the agreements signed after it."""
from __future__ import annotations

import datetime as dt

import pytest

from core.monitoring import monitoring_policy, projects
from core.platform.errors import PermissionDenied, ValidationFailed
from core.monitoring.projects import AgreementRefused
from tests.monitoring_fixtures import ADMIN, STAFF, agreement, funded_app, hub, signed_project  # noqa: F401
from tests.test_evaluations import snapshot
from tests.test_rounds import LEADER, STONES, make_app, make_org, make_round

D = dt.date


@pytest.fixture
def rid(hub):
    return make_round(total_budget=1_000_000)


def cents(x) -> int:
    return int(round(float(x) * 100))


def tranche_rows(db, pid: int) -> list[tuple]:
    return [(r["seq"], r["share"], float(r["amount"]), r["gate"], r["planned_date"], r["status"])
            for r in db.fetch_all("SELECT * FROM tranches WHERE project_id = ? ORDER BY seq", [pid])]


def full_snapshot(db) -> dict:
    out = snapshot(db)
    out["project_milestones"] = db.fetch_all("SELECT * FROM project_milestones ORDER BY id")
    return out


# ---- the proposed agreement -------------------------------------------------------------------------
def test_agreement_defaults_follow_the_application_and_the_round(hub, rid):
    app_id = funded_app(1, round_id=rid)
    values = projects.agreement_defaults(app_id, today=D(2026, 11, 28))
    assert values == {
        "agreement_no": "GY-2026-001", "agreement_date": D(2026, 6, 1), "granted_amount": 40000.0,
        "start_date": D(2026, 6, 1), "end_date": D(2027, 3, 31),
        "planned_activities": 21,                    # 303 days, one per fortnight
        "planned_person_times": 3000, "communities": ["文海社区", "高沙社区"], "brand_id": None,
        "budget_personnel": 20000.0, "budget_materials": 10000.0, "budget_venue": 5000.0,
        "budget_publicity": 3000.0, "budget_other": 2000.0,
        "funds_self": 0.0, "funds_enterprise": 0.0, "funds_donation": 0.0,
        "midterm_due": D(2026, 10, 30),              # start + 151 days
        "final_due": D(2027, 3, 31), "notes": None,
    }
    # signed before the period starts: dated the day it is signed
    assert projects.agreement_defaults(app_id, today=D(2026, 5, 20))["agreement_date"] == D(2026, 5, 20)
    projects.sign_agreement(app_id, values, STAFF)
    second = funded_app(2, round_id=rid)
    assert projects.agreement_defaults(second)["agreement_no"] == "GY-2026-002"


@pytest.mark.parametrize("amount", [30000, 33333.33, 12345.67, 0.05])
def test_a_smaller_grant_is_split_over_the_lines_to_the_cent(hub, rid, amount):
    app_id = funded_app(1, round_id=rid, amount=amount)
    values = projects.agreement_defaults(app_id)
    lines = [values[c] for c in ("budget_personnel", "budget_materials", "budget_venue", "budget_publicity",
                                 "budget_other")]
    assert sum(cents(v) for v in lines) == cents(amount)
    assert all(cents(v) >= 0 and abs(v * 100 - cents(v)) < 1e-6 for v in lines)
    pid = projects.sign_agreement(app_id, values, STAFF)  # the proposal passes the budget rule
    assert float(hub.scalar("SELECT granted_amount FROM projects WHERE id = ?", [pid])) == amount


def test_agreement_defaults_split_cofunding_by_source(hub, rid):
    ent = funded_app(1, round_id=rid, cofunding_self=5000, cofunding_other=8000, cofunding_note="某企业公益认领")
    don = funded_app(2, round_id=rid, cofunding_self=None, cofunding_other=6000, cofunding_note="慈善基金会资助")
    a, b = projects.agreement_defaults(ent), projects.agreement_defaults(don)
    assert (a["funds_self"], a["funds_enterprise"], a["funds_donation"]) == (5000.0, 8000.0, 0.0)
    assert (b["funds_self"], b["funds_enterprise"], b["funds_donation"]) == (0.0, 0.0, 6000.0)


# ---- signing ----------------------------------------------------------------------------------------
def test_sign_agreement_stores_project_milestones_tranches_and_event(hub, rid):
    app_id = funded_app(1, round_id=rid)
    before = int(hub.scalar("SELECT coalesce(max(id), 0) FROM audit_log"))
    pid = projects.sign_agreement(app_id, agreement(app_id, agreement_date=D(2026, 6, 5)), STAFF)
    p = projects.get(pid)
    assert (p["application_id"], p["agreement_no"], p["state"], float(p["granted_amount"]), p["created_by"]) == (
        app_id, "GY-2026-001", "active", 40000.0, STAFF.username)
    # the round of a hub not yet named (rounds.defaults: 「2026年公益创投」)
    assert (p["title"], p["org"], p["round"]) == ("幸福食堂助餐服务", "下沙街道测试社会组织第1号", "2026年公益创投")
    stones = projects.milestones(pid)
    assert stones["deliverable"].tolist() == [s["deliverable"] for s in STONES]
    assert tranche_rows(hub, pid) == [
        (1, 50.0, 20000.0, "signing", D(2026, 6, 5), "planned"),
        (2, 30.0, 12000.0, "midterm", D(2026, 10, 30), "planned"),
        (3, 20.0, 8000.0, "final", D(2027, 3, 31), "planned"),
    ]
    ev = hub.fetch_all("SELECT event, detail, happened_on FROM project_events WHERE project_id = ?", [pid])
    assert ev == [{"event": "签订资助协议", "detail": "协议编号 GY-2026-001,资助 40,000.00 元,分 3 期拨付",
                   "happened_on": D(2026, 6, 5)}]
    audit = hub.fetch_all("SELECT table_name, count(*) AS n FROM audit_log WHERE id > ? GROUP BY table_name"
                          " ORDER BY table_name", [before])
    assert audit == [{"table_name": "project_events", "n": 1}, {"table_name": "project_milestones", "n": 2},
                     {"table_name": "projects", "n": 1}, {"table_name": "tranches", "n": 3}]
    assert projects.for_application(app_id)["id"] == pid
    assert projects.awaiting_agreement().empty
    assert projects.timeline(pid)["event"].tolist()[-1] == "签订资助协议"


def test_sign_agreement_with_own_milestones(hub, rid):
    app_id = funded_app(1, round_id=rid)
    pid = projects.sign_agreement(app_id, agreement(app_id), STAFF,
                                  milestones=[{"due_date": D(2026, 7, 1), "deliverable": "启动会"}])
    assert projects.milestones(pid)["deliverable"].tolist() == ["启动会"]
    app2 = funded_app(2, round_id=rid)
    pid2 = projects.sign_agreement(app2, agreement(app2, agreement_no="GY-2026-900"), STAFF, milestones=[])
    assert projects.milestones(pid2).empty


def refused(db, exc_type, call):
    before = full_snapshot(db)
    with pytest.raises(exc_type) as info:
        call()
    assert full_snapshot(db) == before
    return info.value


def test_only_funded_applications_get_an_agreement(hub, rid):
    app_id = make_app(rid, make_org(1), submit=True)
    assert not projects.awaiting_agreement()["id"].tolist()
    err = refused(hub, AgreementRefused, lambda: projects.sign_agreement(app_id, agreement_like(), STAFF))
    assert str(err) == "只有已立项资助的项目才能签订资助协议"


def agreement_like() -> dict:
    return {"agreement_no": "GY-2026-001", "agreement_date": D(2026, 6, 1), "granted_amount": 40000,
            "start_date": D(2026, 6, 1), "end_date": D(2027, 3, 31), "planned_activities": 20,
            "planned_person_times": 100, "communities": ["文海社区"], "brand_id": None,
            "budget_personnel": 40000, "budget_materials": 0, "budget_venue": 0, "budget_publicity": 0,
            "budget_other": 0, "midterm_due": D(2026, 10, 1), "final_due": D(2027, 3, 31)}


def test_an_application_is_signed_once(hub, rid):
    app_id = funded_app(1, round_id=rid)
    assert projects.awaiting_agreement()["id"].tolist() == [app_id]
    projects.sign_agreement(app_id, agreement(app_id), STAFF)
    err = refused(hub, AgreementRefused,
                  lambda: projects.sign_agreement(app_id, agreement(app_id, agreement_no="GY-2026-777"), STAFF))
    assert str(err) == "该项目已签订资助协议"


@pytest.mark.parametrize("overrides, fields", [
    ({"budget_other": 2000.01}, {"budget_other": ["各预算科目之和须等于资助金额"]}),
    ({"end_date": D(2026, 6, 1)}, {"end_date": ["执行结束日期须晚于开始日期"],
                                   "midterm_due": ["中期报告截止日期须在执行期内"]}),
    ({"end_date": D(2026, 5, 31), "midterm_due": D(2026, 5, 1), "final_due": D(2026, 5, 31)},
     {"end_date": ["执行结束日期须晚于开始日期"], "midterm_due": ["中期报告截止日期须在执行期内"]}),
    ({"midterm_due": D(2027, 4, 1), "final_due": D(2027, 5, 1)}, {"midterm_due": ["中期报告截止日期须在执行期内"]}),
    ({"final_due": D(2026, 10, 1)}, {"final_due": ["末期报告截止日期须晚于中期报告截止日期"]}),
    ({"agreement_no": "G", "planned_activities": 0, "communities": ["火星社区"]},
     {"agreement_no": ["协议编号长度应为3–40个字符"], "planned_activities": ["计划活动场次不能小于1"],
      "communities": ["服务社区含有不在列表中的选项"]}),
])
def test_bad_agreement_values_store_nothing(hub, rid, overrides, fields):
    app_id = funded_app(1, round_id=rid)
    err = refused(hub, ValidationFailed, lambda: projects.sign_agreement(app_id, agreement(app_id, **overrides), STAFF))
    assert err.fields == fields


def test_bad_milestones_store_nothing(hub, rid):
    app_id = funded_app(1, round_id=rid)
    err = refused(hub, ValidationFailed, lambda: projects.sign_agreement(
        app_id, agreement(app_id), STAFF, milestones=[{"due_date": D(2026, 7, 1), "deliverable": "启"}]))
    assert err.fields == {"deliverable": ["交付成果长度应为2–200个字符"]}


def test_agreement_numbers_are_unique(hub, rid):
    first = signed_project(1, round_id=rid)
    app_id = funded_app(2, round_id=rid)
    err = refused(hub, ValidationFailed,
                  lambda: projects.sign_agreement(app_id, agreement(app_id, agreement_no="GY-2026-001"), STAFF))
    assert err.fields == {"agreement_no": [f"协议编号已被项目(编号 {first})使用"]}


def test_a_leader_cannot_sign(hub, rid):
    app_id = funded_app(1, round_id=rid)
    refused(hub, PermissionDenied, lambda: projects.sign_agreement(app_id, agreement(app_id), LEADER))


# ---- the tranche plan -------------------------------------------------------------------------------
@pytest.mark.parametrize("granted", [0.01, 0.05, 1, 33333.33, 12345.67, 99999.99, 80000])
@pytest.mark.parametrize("shares", [(50, 30, 20), (33.33, 33.33, 33.34), (40, 60), (100,), (12.5, 12.5, 25, 50)])
def test_tranche_plan_cents_add_up(granted, shares):
    gates = ("signing", "midterm", "final", "final")[:len(shares)]
    policy = monitoring_policy.Policy(**{**monitoring_policy.DEFAULT.__dict__, "tranche_shares": tuple(shares),
                                         "tranche_gates": gates})
    plan = policy.tranche_plan(granted, D(2026, 6, 1), D(2026, 10, 1), D(2027, 3, 31))
    assert [t["seq"] for t in plan] == list(range(1, len(shares) + 1))
    assert sum(cents(t["amount"]) for t in plan) == cents(granted)
    for t, share in zip(plan[:-1], shares):
        assert abs(cents(t["amount"]) - granted * share) <= 0.5 + 1e-6  # each within half a cent of its share
        assert abs(t["amount"] * 100 - cents(t["amount"])) < 1e-6
    assert plan[-1]["amount"] >= 0
    assert [t["planned_date"] for t in plan][:3] == [D(2026, 6, 1), D(2026, 10, 1), D(2027, 3, 31)][:len(shares)]


# ---- the policy form ----------------------------------------------------------------------------------
def policy_values(**overrides) -> dict:
    values = monitoring_policy.DEFAULT.form_values()
    values.update(overrides)
    return values


def test_default_policy_round_trips_through_its_form():
    stored = monitoring_policy.parse(policy_values())
    assert stored == {
        "tranche_shares": [50.0, 30.0, 20.0], "tranche_gates": ["signing", "midterm", "final"],
        "grade_a": 85.0, "grade_b": 60.0, "pass_grades": ["A", "B"],
        "eval_items": ["目标完成情况", "服务成效与满意度", "经费使用规范", "过程管理与档案", "团队与组织能力"],
        "eval_points": [30.0, 25.0, 20.0, 15.0, 10.0], "expense_margin": 10.0, "report_grace_days": 30,
    }


def test_policy_parse_accepts_chinese_separators_and_gate_codes():
    stored = monitoring_policy.parse(policy_values(tranche_shares="40,60", tranche_gates="signing、中期评估通过后",
                                                   eval_form="服务 成效 60\n\n财务规范 40.5\n"))
    assert stored["tranche_shares"] == [40.0, 60.0] and stored["tranche_gates"] == ["signing", "midterm"]
    assert (stored["eval_items"], stored["eval_points"]) == (["服务 成效", "财务规范"], [60.0, 40.5])


@pytest.mark.parametrize("overrides, fields", [
    ({"tranche_shares": "50,30", "tranche_gates": "签约后,中期评估通过后"},
     {"tranche_shares": ["各期比例须大于0且合计为100(现为 80)"]}),
    ({"tranche_shares": "50,30"}, {"tranche_shares": ["各期比例须大于0且合计为100(现为 80)"],
                                   "tranche_gates": ["拨付条件须与比例一一对应(比例 2 期,条件 3 项)"]}),
    ({"tranche_shares": "0,100", "tranche_gates": "签约后,中期评估通过后"},
     {"tranche_shares": ["各期比例须大于0且合计为100(现为 100)"]}),
    ({"tranche_shares": "50,三十,20"}, {"tranche_shares": ["请填写用逗号分隔的数字,如:50,30,20"]}),
    ({"tranche_gates": "签约后,半年后,末期评估通过后"},
     {"tranche_gates": ["无法识别的拨付条件:半年后;可选:签约后、中期评估通过后、末期评估通过后"]}),
    ({"tranche_shares": "50,50"}, {"tranche_gates": ["拨付条件须与比例一一对应(比例 2 期,条件 3 项)"]}),
    ({"eval_form": "目标完成情况 30\n服务成效"}, {"eval_form": ["无法识别的评分项:“服务成效”;每行写“指标 分值”"]}),
    ({"eval_form": "目标完成情况 0"}, {"eval_form": ["无法识别的评分项:“目标完成情况 0”;每行写“指标 分值”"]}),
    ({"eval_form": "目标完成情况 50\n目标完成情况 50"}, {"eval_form": ["评分项名称不能重复"]}),
    ({"grade_a": 60, "grade_b": 60}, {"grade_b": ["B 等最低分须低于 A 等最低分"]}),
    ({"expense_margin": 101, "report_grace_days": -1},
     {"expense_margin": ["科目超支容许幅度(%)不能大于100"], "report_grace_days": ["报告逾期宽限(天)不能小于0"]}),
    ({"tranche_shares": "60,60", "tranche_gates": "签约后,明天", "eval_form": "评分"},
     {"tranche_shares": ["各期比例须大于0且合计为100(现为 120)"],
      "tranche_gates": ["无法识别的拨付条件:明天;可选:签约后、中期评估通过后、末期评估通过后"],
      "eval_form": ["无法识别的评分项:“评分”;每行写“指标 分值”"]}),
])
def test_policy_parse_errors_are_in_chinese_on_their_field(overrides, fields):
    with pytest.raises(ValidationFailed) as info:
        monitoring_policy.parse(policy_values(**overrides))
    assert info.value.fields == fields


def test_a_round_without_a_policy_uses_the_defaults(hub, rid):
    p = monitoring_policy.policy_for(rid)
    assert (p.round_id, p.stored, p.tranche_shares, p.full_mark) == (rid, False, (50.0, 30.0, 20.0), 100.0)
    assert monitoring_policy.policy_for(None) is monitoring_policy.DEFAULT


def test_only_admins_save_a_policy_and_refusals_store_nothing(hub, rid):
    before = int(hub.scalar("SELECT count(*) FROM audit_log"))
    with pytest.raises(PermissionDenied):
        monitoring_policy.save(rid, policy_values(tranche_shares="40,60", tranche_gates="签约后,中期评估通过后"), STAFF)
    with pytest.raises(ValidationFailed):
        monitoring_policy.save(rid, policy_values(tranche_shares="40,50"), ADMIN)
    assert int(hub.scalar("SELECT count(*) FROM monitoring_policies")) == 0
    assert int(hub.scalar("SELECT count(*) FROM audit_log")) == before


def test_a_custom_policy_applies_to_the_next_agreement(hub, rid):
    earlier = signed_project(1, round_id=rid)
    monitoring_policy.save(rid, policy_values(tranche_shares="40,60", tranche_gates="签约后,中期评估通过后",
                                              grade_a=90, eval_form="服务成效 60\n财务规范 40"), ADMIN)
    p = monitoring_policy.policy_for(rid)
    assert (p.stored, p.tranche_shares, p.tranche_gates, p.grade_a, p.eval_form) == (
        True, (40.0, 60.0), ("signing", "midterm"), 90.0, (("服务成效", 60.0), ("财务规范", 40.0)))
    later = signed_project(2, round_id=rid)
    assert tranche_rows(hub, later) == [(1, 40.0, 16000.0, "signing", D(2026, 6, 1), "planned"),
                                        (2, 60.0, 24000.0, "midterm", D(2026, 10, 30), "planned")]
    assert [r[:3] for r in tranche_rows(hub, earlier)] == [(1, 50.0, 20000.0), (2, 30.0, 12000.0), (3, 20.0, 8000.0)]
    assert monitoring_policy.policy_for_project(later) == p
    # saving again updates the one row, audited as an update
    monitoring_policy.save(rid, policy_values(report_grace_days=10), ADMIN)
    assert int(hub.scalar("SELECT count(*) FROM monitoring_policies")) == 1
    assert monitoring_policy.policy_for(rid).report_grace_days == 10
    assert monitoring_policy.policy_for(rid).tranche_shares == (50.0, 30.0, 20.0)
    actions = [r["action"] for r in hub.fetch_all("SELECT action FROM audit_log WHERE table_name = 'monitoring_policies'"
                                                  " ORDER BY id")]
    assert actions == ["create", "update"]


def test_policy_grades_on_the_forms_full_mark():
    policy = monitoring_policy.Policy(**{**monitoring_policy.DEFAULT.__dict__,
                                         "eval_form": (("服务成效", 60.0), ("财务规范", 60.0))})  # full mark 120
    assert [policy.grade(s) for s in (102, 101.99, 72, 71.99)] == ["A", "B", "B", "C"]
    assert policy.passes("B") and not policy.passes("C")
