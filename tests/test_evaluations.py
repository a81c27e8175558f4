"""中期/末期评估: the scoring form built from the round policy, grades at their boundaries, the
outcomes (pass, 停止拨付, 终止项目) and what they do to the project and its tranches, the refusals,
overdue reports and closing. Refusals store nothing (tables, project and tranche rows, audit log)."""
from __future__ import annotations

import datetime as dt
import json

import pytest

from core.monitoring import evaluations, money, monitoring_policy, projects
from core.platform.errors import NotFound, PermissionDenied, ValidationFailed
from core.monitoring.evaluations import EvaluationRefused
from core.platform.validation import validate
from schemas.base import field_specs
from tests.monitoring_fixtures import ADMIN, STAFF, hub, signed_project  # noqa: F401  (hub: fixture)
from tests.test_rounds import LEADER, make_round

D = dt.date
FULL = (30, 25, 20, 15, 10)          # the default form: 100 points
FAILING = (10, 10, 10, 10, 5)        # 45: C
TODAY = D(2026, 11, 20)


# ---- builders shared with tests/test_money.py -------------------------------------------------------
def eval_values(scores=FULL, **overrides) -> dict:
    values = {
        "report_date": D(2026, 10, 25), "self_report": "按计划开展助餐服务,服务人次达到计划的60%",
        "eval_date": D(2026, 11, 5), "method": "实地", "evaluator": "王敏",
        "conclusion": "项目执行规范,台账完整", "fail_action": None, "recover_amount": None,
    }
    values.update({f"score_{i}": s for i, s in enumerate(scores, start=1)})
    values.update(overrides)
    return values


def evaluate(pid: int, kind: str = "midterm", scores=FULL, actor=STAFF, **overrides) -> int:
    return evaluations.record(pid, kind, eval_values(scores, **overrides), actor, today=TODAY)


def release_values(amount: float, **overrides) -> dict:
    values = {"released_on": D(2026, 11, 10), "released_amount": amount, "approver": "陈主任", "note": None}
    values.update(overrides)
    return values


def release_seq(pid: int, seq: int, actor=STAFF, **overrides) -> None:
    t = money.tranches(pid).set_index("seq").loc[seq]
    money.release(int(t["id"]), release_values(float(t["amount"]), **overrides), actor)


def snapshot(db) -> dict:
    """Every row a monitoring write could touch, and the audit log."""
    out = {t: db.fetch_all(f"SELECT * FROM {t} ORDER BY id")
           for t in ("projects", "tranches", "evaluations", "project_events", "expenses")}
    out["audit_log"] = int(db.scalar("SELECT count(*) FROM audit_log"))
    return out


def project_row(db, pid: int) -> dict:
    row = db.fetch_one("SELECT state, state_note, recover_amount, closed_on FROM projects WHERE id = ?", [pid])
    if row["recover_amount"] is not None:
        row["recover_amount"] = float(row["recover_amount"])
    return row


def statuses(db, pid: int) -> list[str]:
    return [r["status"] for r in db.fetch_all("SELECT status FROM tranches WHERE project_id = ? ORDER BY seq", [pid])]


def events(db, pid: int) -> list[str]:
    return [r["event"] for r in db.fetch_all("SELECT event FROM project_events WHERE project_id = ? ORDER BY id",
                                             [pid])]


@pytest.fixture
def rid(hub):
    return make_round(total_budget=1_000_000)


@pytest.fixture
def pid(rid):
    return signed_project(1, round_id=rid)


def custom_policy(rid: int, **overrides) -> None:
    values = monitoring_policy.DEFAULT.form_values()
    values.update(overrides)
    monitoring_policy.save(rid, values, ADMIN)


# ---- the form ---------------------------------------------------------------------------------------
def test_form_schema_has_the_base_fields_and_one_bounded_score_per_item():
    schema = evaluations.form_schema(monitoring_policy.DEFAULT)
    specs = field_specs(schema)
    assert list(specs) == ["report_date", "self_report", "eval_date", "method", "evaluator",
                           "evaluator_org_id", "evaluator_partner_id", "evaluator_expert",  # third-party parties
                           "score_1", "score_2", "score_3", "score_4", "score_5",
                           "conclusion", "fail_action", "recover_amount"]
    assert specs["score_1"] == {"label": "目标完成情况(满分30)", "help": None, "widget": "float", "source": None,
                                "placeholder": None, "required": True, "max_chars": None}
    assert specs["score_5"]["label"] == "团队与组织能力(满分10)"
    assert specs["fail_action"]["source"] == "fail_actions" and specs["fail_action"]["required"] is False


def test_form_schema_follows_a_custom_form():
    policy = monitoring_policy.Policy(**{**monitoring_policy.DEFAULT.__dict__,
                                         "eval_form": (("服务成效", 60.0), ("财务规范", 40.5))})
    specs = field_specs(evaluations.form_schema(policy))
    assert [specs[n]["label"] for n in specs if n.startswith("score_")] == ["服务成效(满分60)", "财务规范(满分40.5)"]


def test_form_schema_checks_scores_and_the_cross_field_rule():
    schema = evaluations.form_schema(monitoring_policy.DEFAULT)
    with pytest.raises(ValidationFailed) as info:
        validate(schema, eval_values((31, 25, 20, -1, None), fail_action="terminate"))
    assert info.value.fields == {
        "score_1": ["目标完成情况(满分30)应在0到30之间"],
        "score_4": ["过程管理与档案(满分15)应在0到15之间"],
        "score_5": ["请填写团队与组织能力(满分10)"],
        "recover_amount": ["终止项目时须填写追回金额(可为0)"],
    }
    ok = validate(schema, eval_values((30, 25.5 - 0.5, "20", 0, 10), evaluator="  王敏  "))
    assert (ok["score_1"], ok["score_2"], ok["score_3"], ok["score_4"]) == (30.0, 25.0, 20.0, 0.0)
    assert ok["evaluator"] == "王敏"


# ---- recording and grades ---------------------------------------------------------------------------
def test_a_passed_midterm_is_stored_with_its_scores_and_event(hub, pid):
    before = int(hub.scalar("SELECT count(*) FROM audit_log"))
    eid = evaluate(pid, scores=(28, 22.5, 18, 12, 9))
    row = hub.fetch_one("SELECT * FROM evaluations WHERE id = ?", [eid])
    assert (row["project_id"], row["kind"], row["method"], row["evaluator"]) == (pid, "midterm", "实地", "王敏")
    assert (row["total_score"], row["grade"], row["passed"], row["outcome"]) == (89.5, "A", True, "pass")
    assert row["recover_amount"] is None and row["created_by"] == STAFF.username
    assert json.loads(row["item_scores"]) == {"目标完成情况": 28, "服务成效与满意度": 22.5, "经费使用规范": 18,
                                              "过程管理与档案": 12, "团队与组织能力": 9}
    assert project_row(hub, pid)["state"] == "active"
    ev = hub.fetch_one("SELECT event, detail, happened_on FROM project_events WHERE project_id = ? ORDER BY id DESC"
                       " LIMIT 1", [pid])
    assert ev == {"event": "中期评估通过", "detail": "A等,89.5分;实地,评估人 王敏;处理:通过",
                  "happened_on": D(2026, 11, 5)}
    audit = hub.fetch_all("SELECT table_name, action FROM audit_log WHERE id > ? ORDER BY id", [before])
    assert audit == [{"table_name": "evaluations", "action": "create"},
                     {"table_name": "project_events", "action": "create"}]
    listed = evaluations.evaluations(pid)
    assert listed[["kind_label", "grade", "outcome_label"]].values.tolist() == [["中期评估", "A", "通过"]]
    assert listed.loc[0, "item_scores"]["服务成效与满意度"] == 22.5


@pytest.mark.parametrize("scores, total, grade, passed", [
    ((30, 25, 20, 9.99, 0), 84.99, "B", True),
    ((30, 25, 20, 10, 0), 85.0, "A", True),
    ((30, 25, 5, 0, 0), 60.0, "B", True),
    ((30, 25, 4.99, 0, 0), 59.99, "C", False),
])
def test_grades_at_the_default_boundaries(hub, pid, scores, total, grade, passed):
    eid = evaluate(pid, scores=scores, fail_action=None if passed else "stop")
    row = hub.fetch_one("SELECT total_score, grade, passed, outcome FROM evaluations WHERE id = ?", [eid])
    assert row == {"total_score": total, "grade": grade, "passed": passed, "outcome": "pass" if passed else "stop"}


@pytest.mark.parametrize("scores, grade, passed", [
    ((30, 25, 20, 14.99, 0), "B", False),   # 89.99
    ((30, 25, 20, 15, 0), "A", True),       # 90
    ((30, 25, 15, 0, 0), "B", False),       # 70: B does not pass in this round
    ((30, 25, 14.99, 0, 0), "C", False),    # 69.99
])
def test_grades_follow_a_custom_policy(hub, rid, scores, grade, passed):
    custom_policy(rid, grade_a=90, grade_b=70, pass_grades=["A"])
    pid = signed_project(1, round_id=rid)
    eid = evaluate(pid, scores=scores, fail_action=None if passed else "stop")
    row = hub.fetch_one("SELECT grade, passed FROM evaluations WHERE id = ?", [eid])
    assert (row["grade"], row["passed"]) == (grade, passed)
    assert project_row(hub, pid)["state"] == ("active" if passed else "stopped")


def test_a_failed_evaluation_needs_a_fail_action_and_stores_nothing(hub, pid):
    before = snapshot(hub)
    with pytest.raises(ValidationFailed) as info:
        evaluate(pid, scores=FAILING)
    assert info.value.fields == {"fail_action": ["评估未通过时须选择处理方式"]}
    assert snapshot(hub) == before


def test_an_eval_date_after_today_is_refused(hub, pid):
    before = snapshot(hub)
    with pytest.raises(ValidationFailed) as info:
        evaluate(pid, eval_date=D(2026, 11, 21))
    assert info.value.fields == {"eval_date": ["评估日期不能晚于今天"]}
    assert snapshot(hub) == before


def test_only_staff_and_admin_evaluate(hub, pid):
    before = snapshot(hub)
    for call in (lambda: evaluate(pid, actor=LEADER),
                 lambda: evaluations.fail_missing_report(pid, "midterm", LEADER, today=D(2027, 1, 1)),
                 lambda: evaluations.close(pid, LEADER, today=TODAY)):
        with pytest.raises(PermissionDenied):
            call()
    assert snapshot(hub) == before
    evaluate(pid, actor=ADMIN)
    assert hub.scalar("SELECT created_by FROM evaluations WHERE project_id = ?", [pid]) == ADMIN.username


def test_unknown_project(hub):
    with pytest.raises(NotFound):
        evaluate(999)


# ---- outcomes ---------------------------------------------------------------------------------------
def test_fail_and_stop_then_a_passed_re_evaluation_reopens_payments(hub, pid):
    release_seq(pid, 1)
    evaluate(pid, scores=FAILING, fail_action="stop", conclusion="服务记录不全")
    assert project_row(hub, pid)["state"] == "stopped"
    assert project_row(hub, pid)["state_note"] == "中期评估未通过,停止拨付"
    t = money.tranches(pid).set_index("seq")
    assert not t.loc[2, "releasable"] and t.loc[2, "blocked_reason"] == "项目已停止拨付,须重新评估通过后才能继续拨付"

    evaluate(pid, scores=(25, 20, 16, 12, 8), eval_date=D(2026, 11, 18))  # 81: B, passes
    assert project_row(hub, pid)["state"] == "active"
    assert project_row(hub, pid)["state_note"] == "中期评估通过,恢复拨付"
    t = money.tranches(pid).set_index("seq")
    assert bool(t.loc[2, "releasable"]) and t.loc[2, "blocked_reason"] is None
    assert events(hub, pid)[-4:] == ["中期评估未通过", "项目状态:停止拨付", "中期评估通过", "项目状态:执行中"]
    outcomes = hub.fetch_all("SELECT outcome, passed FROM evaluations WHERE project_id = ? ORDER BY id", [pid])
    assert outcomes == [{"outcome": "stop", "passed": False}, {"outcome": "pass", "passed": True}]
    release_seq(pid, 2)
    assert statuses(hub, pid) == ["released", "released", "planned"]


def test_a_second_failure_with_stop_keeps_the_project_stopped(hub, pid):
    evaluate(pid, scores=FAILING, fail_action="stop")
    evaluate(pid, scores=FAILING, fail_action="stop", eval_date=D(2026, 11, 15))
    assert project_row(hub, pid)["state"] == "stopped"
    assert events(hub, pid)[-3:] == ["中期评估未通过", "项目状态:停止拨付", "中期评估未通过"]


def test_fail_and_terminate_cancels_the_planned_tranches_and_stores_the_recovery(hub, pid):
    release_seq(pid, 1)
    evaluate(pid, scores=FAILING, fail_action="terminate", recover_amount=12345.67)
    assert project_row(hub, pid) == {"state": "terminated", "recover_amount": 12345.67, "closed_on": None,
                                     "state_note": "中期评估未通过,终止项目,追回资金 12,345.67 元"}
    assert statuses(hub, pid) == ["released", "cancelled", "cancelled"]
    assert float(hub.scalar("SELECT recover_amount FROM evaluations WHERE project_id = ?", [pid])) == 12345.67
    assert hub.scalar("SELECT outcome FROM evaluations WHERE project_id = ?", [pid]) == "terminate"
    ev = hub.fetch_one("SELECT event, detail FROM project_events WHERE project_id = ? ORDER BY id DESC LIMIT 1", [pid])
    assert ev == {"event": "取消未拨付资金", "detail": "第2、3期,共 20,000.00 元"}
    cancel_audit = hub.fetch_all("SELECT action, note FROM audit_log WHERE table_name = 'tranches'"
                                 " AND action = 'cancel'")
    assert cancel_audit == [{"action": "cancel", "note": "项目终止"}] * 2
    t = money.tranches(pid).set_index("seq")
    assert not t["releasable"].any() and t.loc[2, "status_label"] == "已取消"


def test_terminate_needs_a_recover_amount_zero_allowed(hub, pid):
    with pytest.raises(ValidationFailed) as info:
        evaluate(pid, scores=FAILING, fail_action="terminate")
    assert info.value.fields == {"recover_amount": ["终止项目时须填写追回金额(可为0)"]}
    evaluate(pid, scores=FAILING, fail_action="terminate", recover_amount=0)
    assert project_row(hub, pid)["recover_amount"] == 0


def test_a_pass_ignores_a_fail_action_given_by_mistake(hub, pid):
    eid = evaluate(pid, fail_action="terminate", recover_amount=500)
    row = hub.fetch_one("SELECT outcome, recover_amount FROM evaluations WHERE id = ?", [eid])
    assert row == {"outcome": "pass", "recover_amount": None}
    assert project_row(hub, pid)["state"] == "active"


# ---- refusals ---------------------------------------------------------------------------------------
def refused(db, call) -> str:
    before = snapshot(db)
    with pytest.raises(EvaluationRefused) as info:
        call()
    assert snapshot(db) == before
    return str(info.value)


def test_final_needs_a_passed_midterm(hub, pid):
    assert refused(hub, lambda: evaluate(pid, "final")) == "中期评估尚未通过,不能进行末期评估"
    evaluate(pid, scores=FAILING, fail_action="stop")
    assert refused(hub, lambda: evaluate(pid, "final")) == "中期评估尚未通过,不能进行末期评估"


def test_a_passed_evaluation_is_not_repeated(hub, pid):
    evaluate(pid)
    assert refused(hub, lambda: evaluate(pid)) == "该项目的中期评估已通过,不能重复评估"
    evaluate(pid, "final")
    assert refused(hub, lambda: evaluate(pid, "final")) == "该项目的末期评估已通过,不能重复评估"


def test_terminated_and_closed_projects_take_no_evaluation(hub, rid):
    ended = signed_project(1, round_id=rid)
    evaluate(ended, scores=FAILING, fail_action="terminate", recover_amount=0)
    assert refused(hub, lambda: evaluate(ended)) == "项目已终止,不能再评估"
    done = signed_project(2, round_id=rid)
    release_seq(done, 1)
    evaluate(done)
    release_seq(done, 2)
    evaluate(done, "final")
    release_seq(done, 3)
    assert project_row(hub, done)["state"] == "closed"
    assert refused(hub, lambda: evaluate(done, "final")) == "项目已结项,不能再评估"


# ---- closing ----------------------------------------------------------------------------------------
def test_the_project_closes_itself_after_the_final_pass_and_the_last_release(hub, pid):
    release_seq(pid, 1)
    evaluate(pid)
    release_seq(pid, 2)
    evaluate(pid, "final", eval_date=D(2026, 11, 12))
    assert project_row(hub, pid)["state"] == "active"  # tranche 3 is still to be paid
    release_seq(pid, 3, released_on=D(2026, 11, 16))
    assert project_row(hub, pid) == {"state": "closed", "state_note": "末期评估已通过,资金已全部拨付,项目自动结项",
                                     "recover_amount": None, "closed_on": D(2026, 11, 16)}
    assert events(hub, pid)[-2:] == ["拨付第3期资金", "项目状态:已结项"]
    assert refused(hub, lambda: evaluations.close(pid, STAFF, today=TODAY)) == "项目已结项,不能结项"


def test_close_names_what_is_missing(hub, pid):
    assert refused(hub, lambda: evaluations.close(pid, STAFF, today=TODAY)) == \
        "项目暂不能结项:末期评估尚未通过;第1、2、3期资金尚未拨付或取消"
    release_seq(pid, 1)
    evaluate(pid)
    release_seq(pid, 2)
    evaluate(pid, "final")
    assert refused(hub, lambda: evaluations.close(pid, STAFF, today=TODAY)) == \
        "项目暂不能结项:第3期资金尚未拨付或取消"


def test_close_when_no_tranche_waits_for_the_final(hub, rid):
    custom_policy(rid, tranche_shares="40,60", tranche_gates="签约后,中期评估通过后")
    pid = signed_project(1, round_id=rid)
    release_seq(pid, 1)
    evaluate(pid)
    release_seq(pid, 2)
    assert refused(hub, lambda: evaluations.close(pid, STAFF, today=TODAY)) == "项目暂不能结项:末期评估尚未通过"
    evaluate(pid, "final")
    assert project_row(hub, pid)["state"] == "active"
    evaluations.close(pid, STAFF, today=TODAY)
    assert project_row(hub, pid) == {"state": "closed", "state_note": "末期评估通过,资金已结清,项目结项",
                                     "recover_amount": None, "closed_on": TODAY}
    assert events(hub, pid)[-1] == "项目状态:已结项"


def test_a_terminated_project_cannot_be_closed(hub, pid):
    evaluate(pid, scores=FAILING, fail_action="terminate", recover_amount=100)
    assert refused(hub, lambda: evaluations.close(pid, STAFF, today=TODAY)) == "项目已终止,不能结项"


# ---- overdue reports --------------------------------------------------------------------------------
@pytest.fixture
def dated(rid):
    """A project whose mid-term report is due on 2026-09-30 and the final on 2027-03-31 (grace 30 days)."""
    return signed_project(1, round_id=rid, midterm_due=D(2026, 9, 30), final_due=D(2027, 3, 31))


def due_rows(today: dt.date) -> list[tuple]:
    df = evaluations.due_reports(today=today)
    return [(int(r.project_id), r.kind, r.kind_label, r.due.date() if hasattr(r.due, "date") else r.due,
             int(r.days_overdue), bool(r.past_grace)) for r in df.itertuples()]


def test_due_reports_before_and_after_the_grace_period(hub, dated):
    assert due_rows(D(2026, 9, 30)) == []
    assert due_rows(D(2026, 10, 1)) == [(dated, "midterm", "中期评估", D(2026, 9, 30), 1, False)]
    assert due_rows(D(2026, 10, 30)) == [(dated, "midterm", "中期评估", D(2026, 9, 30), 30, False)]
    assert due_rows(D(2026, 10, 31)) == [(dated, "midterm", "中期评估", D(2026, 9, 30), 31, True)]
    later = due_rows(D(2027, 4, 2))
    assert later == [(dated, "midterm", "中期评估", D(2026, 9, 30), 184, True),
                     (dated, "final", "末期评估", D(2027, 3, 31), 2, False)]
    df = evaluations.due_reports(today=D(2026, 10, 1))
    assert list(df.columns) == ["project_id", "agreement_no", "title", "kind", "kind_label", "due", "days_overdue",
                                "past_grace"]
    assert (df.loc[0, "agreement_no"], df.loc[0, "title"]) == ("GY-2026-001", "幸福食堂助餐服务")


def test_due_reports_skip_reported_and_ended_projects(hub, rid, dated):
    other = signed_project(2, round_id=rid, midterm_due=D(2026, 9, 30))
    ended = signed_project(3, round_id=rid, midterm_due=D(2026, 9, 30))
    evaluate(dated, scores=FAILING, fail_action="stop")    # reported (and failed): no longer missing
    evaluate(ended, scores=FAILING, fail_action="terminate", recover_amount=0)
    assert [r[:2] for r in due_rows(D(2026, 11, 20))] == [(other, "midterm")]
    evaluate(other)
    assert due_rows(D(2026, 11, 20)) == []


def test_the_grace_period_comes_from_the_round_policy(hub, rid):
    custom_policy(rid, report_grace_days=5)
    pid = signed_project(1, round_id=rid, midterm_due=D(2026, 9, 30))
    assert [r[-1] for r in due_rows(D(2026, 10, 5))] == [False]
    assert [r[-1] for r in due_rows(D(2026, 10, 6))] == [True]
    with pytest.raises(EvaluationRefused):
        evaluations.fail_missing_report(pid, "midterm", STAFF, today=D(2026, 10, 5))
    evaluations.fail_missing_report(pid, "midterm", STAFF, today=D(2026, 10, 6))
    assert project_row(hub, pid)["state"] == "stopped"


def test_fail_missing_report_only_after_the_grace_period(hub, dated):
    assert refused(hub, lambda: evaluations.fail_missing_report(dated, "midterm", STAFF, today=D(2026, 10, 30))) == \
        "中期评估报告截止于 2026-09-30,宽限 30 天(至 2026-10-30),尚未超过宽限期"
    eid = evaluations.fail_missing_report(dated, "midterm", STAFF, today=D(2026, 10, 31))
    row = hub.fetch_one("SELECT * FROM evaluations WHERE id = ?", [eid])
    assert (row["kind"], row["method"], row["evaluator"], row["eval_date"]) == (
        "midterm", "逾期未报", STAFF.username, D(2026, 10, 31))
    assert (row["total_score"], row["grade"], row["passed"], row["outcome"]) == (0.0, "C", False, "stop")
    assert row["conclusion"] == "逾期未提交中期自评报告,视为评估不合格"
    assert json.loads(row["item_scores"]) == {item: 0 for item, _ in monitoring_policy.DEFAULT.eval_form}
    assert project_row(hub, dated)["state"] == "stopped"
    assert events(hub, dated)[-2:] == ["中期评估未通过", "项目状态:停止拨付"]
    assert due_rows(D(2026, 11, 1)) == []
    assert refused(hub, lambda: evaluations.fail_missing_report(dated, "midterm", STAFF, today=D(2026, 11, 1))) == \
        "该项目已有中期评估记录,不属于逾期未报"


def test_fail_missing_report_with_termination(hub, dated):
    release_seq(dated, 1)
    evaluations.fail_missing_report(dated, "midterm", ADMIN, action="terminate", recover_amount=20000,
                                    today=D(2026, 12, 1))
    assert project_row(hub, dated)["state"] == "terminated"
    assert project_row(hub, dated)["recover_amount"] == 20000
    assert statuses(hub, dated) == ["released", "cancelled", "cancelled"]
    assert hub.scalar("SELECT outcome FROM evaluations WHERE project_id = ?", [dated]) == "terminate"
    assert refused(hub, lambda: evaluations.fail_missing_report(dated, "final", STAFF, today=D(2027, 6, 1))) == \
        "项目已终止,不能再评估"


def test_fail_missing_final_report(hub, dated):
    evaluate(dated)
    assert refused(hub, lambda: evaluations.fail_missing_report(dated, "final", STAFF, today=D(2027, 4, 30))) == \
        "末期评估报告截止于 2027-03-31,宽限 30 天(至 2027-04-30),尚未超过宽限期"
    evaluations.fail_missing_report(dated, "final", STAFF, today=D(2027, 5, 1))
    row = hub.fetch_one("SELECT conclusion, outcome FROM evaluations WHERE project_id = ? AND kind = 'final'", [dated])
    assert row == {"conclusion": "逾期未提交末期自评报告,视为评估不合格", "outcome": "stop"}
    assert project_row(hub, dated)["state"] == "stopped"


def test_fail_missing_report_rejects_an_unknown_action(hub, dated):
    before = snapshot(hub)
    with pytest.raises(ValidationFailed) as info:
        evaluations.fail_missing_report(dated, "midterm", STAFF, action="ignore", today=D(2027, 1, 1))
    assert info.value.fields == {"fail_action": ["请选择处理方式"]}
    assert snapshot(hub) == before


def test_concurrent_evaluations_store_one_pass(hub, pid):
    from tests.threads import run_together

    results = run_together(lambda i: evaluate(pid, evaluator=f"评估员{i}"), 4)
    assert sorted(r[0] for r in results) == ["error", "error", "error", "ok"]
    assert all(isinstance(r[1], EvaluationRefused) for r in results if r[0] == "error")
    assert hub.scalar("SELECT count(*) FROM evaluations WHERE project_id = ?", [pid]) == 1
    assert events(hub, pid).count("中期评估通过") == 1


def test_timeline_shows_the_evaluation(hub, pid):
    evaluate(pid)
    tl = projects.timeline(pid)
    assert "中期评估通过" in tl["event"].tolist()
