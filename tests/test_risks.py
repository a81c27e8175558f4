"""风险预警: each rule fires and stays quiet around its threshold (at a fixed ``today``), follows a changed
threshold and ``enabled=False``; acknowledgements hide a warning until their date and it reopens after
that only if the condition persists; settings are admin-only and validated; the board orders by
severity; only running projects are judged; thousands of projects are judged set-based."""
from __future__ import annotations

import contextlib
import datetime as dt
import json
from unittest import mock

import pytest

from core.monitoring import evaluations, ledger, money, projects, risks
from core.platform import records
from core.platform.errors import NotFound, PermissionDenied, ValidationFailed
from tests.test_ledger import END, START, act, project, set_state
from tests.test_rounds import (  # noqa: F401  (hub: fixture)
    ADMIN, REVIEWER, STAFF, audit_rows, hub, last_audit_id, make_org, make_round,
)

D = dt.date
STONE = [{"due_date": D(2026, 9, 30), "deliverable": "中期自评报告"}]


def fired(code: str, today: dt.date, **kw) -> dict[int, str]:
    """project id -> detail of the warnings of rule ``code`` at ``today``."""
    w = risks.warnings(today=today, **kw)
    w = w[w["code"] == code]
    return dict(zip(w["project_id"].astype(int), w["detail"]))


def expense(pid: int, day: dt.date, amount: float, voucher: str) -> None:
    with records.unit(STAFF) as u:
        u.create(money.EXPENSE, {"expense_date": day, "line": "budget_personnel", "amount": amount,
                                 "description": "人员劳务费", "voucher_no": voucher, "over_reason": None},
                 system={"project_id": pid})


def evaluation(pid: int, kind: str, day: dt.date) -> None:
    with records.unit(STAFF) as u:
        u.create(evaluations.EVALUATION, {
            "project_id": pid, "kind": kind, "report_date": day, "self_report": "按计划推进", "eval_date": day,
            "method": "资料", "evaluator": "王敏", "item_scores": json.dumps({"目标完成情况": 26}), "total_score": 86.0,
            "grade": "A", "passed": True, "outcome": "pass", "recover_amount": None, "conclusion": "通过"},
            validated=True)


def done(pid: int, day: dt.date) -> None:
    stone = projects.milestones(pid).iloc[0]
    projects.update_milestone(int(stone["id"]), {"done_on": day}, STAFF)


# ---- the rules -------------------------------------------------------------------------------------

def test_the_rules_and_their_defaults():
    assert [r.code for r in risks.RULES] == ["milestone_overdue", "activity_pace", "person_pace", "execution_gap",
                                            "report_overdue", "idle"]
    assert {r.code: (r.severity, r.threshold) for r in risks.RULES} == {
        "milestone_overdue": ("中", 0), "activity_pace": ("中", 50), "person_pace": ("中", 50),
        "execution_gap": ("低", 30), "report_overdue": ("高", 0), "idle": ("中", 30)}
    assert all(r.label and r.unit and r.help for r in risks.RULES)


def test_milestone_overdue(hub):
    pid = project(milestones=STONE)
    assert fired("milestone_overdue", D(2026, 9, 30)) == {}
    assert fired("milestone_overdue", D(2026, 10, 1)) == {pid: "里程碑「中期自评报告」计划 2026-09-30 完成,已逾期 1 天"}
    w = risks.warnings(today=D(2026, 10, 1))
    row = w[w["code"] == "milestone_overdue"].iloc[0]
    assert (row["rule"], row["severity"], bool(row["acknowledged"])) == ("里程碑逾期", "中", False)
    risks.save_setting("milestone_overdue", {"threshold": 10}, ADMIN)
    assert fired("milestone_overdue", D(2026, 10, 10)) == {}
    assert pid in fired("milestone_overdue", D(2026, 10, 11))
    risks.save_setting("milestone_overdue", {"enabled": False}, ADMIN)
    assert fired("milestone_overdue", D(2026, 12, 1)) == {}
    risks.save_setting("milestone_overdue", {"enabled": True, "threshold": 0}, ADMIN)
    done(pid, D(2026, 10, 5))
    assert fired("milestone_overdue", D(2026, 10, 6)) == {}
    assert pid in fired("milestone_overdue", D(2026, 10, 3))  # not yet done on that day


def test_several_overdue_milestones_make_one_warning(hub):
    pid = project(milestones=STONE + [{"due_date": D(2026, 8, 31), "deliverable": "需求调研报告"}])
    assert fired("milestone_overdue", D(2026, 10, 1)) == {
        pid: "2 个里程碑逾期未完成,最早的「需求调研报告」计划 2026-08-31 完成,已逾期 31 天"}


def test_activity_pace(hub):
    pid = project()  # 20 activities over 200 days: 8 expected at 2026-08-20
    for day in (D(2026, 6, 10), D(2026, 7, 1), D(2026, 7, 20)):
        ledger.add(act(pid, day), STAFF)
    assert fired("activity_pace", D(2026, 8, 20)) == {pid: "已开展 3 场活动,按进度应达 8 场(38%)"}
    ledger.add(act(pid, D(2026, 8, 1)), STAFF)  # 4 = 50% of 8: not below
    assert fired("activity_pace", D(2026, 8, 20)) == {}
    risks.save_setting("activity_pace", {"threshold": 60}, ADMIN)  # 4 < 4.8
    assert fired("activity_pace", D(2026, 8, 20)) == {pid: "已开展 4 场活动,按进度应达 8 场(50%)"}
    risks.save_setting("activity_pace", {"enabled": False}, ADMIN)
    assert fired("activity_pace", D(2026, 8, 20)) == {}


def test_the_pace_rules_wait_for_fifteen_percent_of_the_period(hub):
    pid = project()
    assert fired("activity_pace", D(2026, 6, 30)) == {}   # 29 of 200 days
    assert fired("person_pace", D(2026, 6, 30)) == {}
    assert fired("activity_pace", D(2026, 7, 1)) == {pid: "已开展 0 场活动,按进度应达 3 场(0%)"}  # 15%
    assert fired("person_pace", D(2026, 7, 1)) == {pid: "已服务 0 人次,按进度应达 150 人次(0%)"}


def test_person_pace(hub):
    pid = project()  # 1000 person-times over 200 days: 400 expected at 2026-08-20
    ledger.add(act(pid, D(2026, 6, 10), participants=100, person_times=150), STAFF)
    ledger.add(act(pid, D(2026, 7, 10), participants=40, person_times=49), STAFF)
    assert fired("person_pace", D(2026, 8, 20)) == {pid: "已服务 199 人次,按进度应达 400 人次(50%)"}
    ledger.add(act(pid, D(2026, 7, 11), participants=1, person_times=1), STAFF)  # 200 = 50%
    assert fired("person_pace", D(2026, 8, 20)) == {}
    risks.save_setting("person_pace", {"threshold": 51}, ADMIN)
    assert pid in fired("person_pace", D(2026, 8, 20))
    risks.save_setting("person_pace", {"enabled": False}, ADMIN)
    assert fired("person_pace", D(2026, 8, 20)) == {}


def test_execution_gap(hub):
    pid = project()  # 40,000 元 granted
    expense(pid, D(2026, 7, 1), 4000, "PZ-001")  # 10%
    expense(pid, D(2026, 9, 1), 10000, "PZ-002")  # after the dates below: not counted
    assert fired("execution_gap", D(2026, 8, 20)) == {}  # 40% elapsed: 30 points, not more
    assert fired("execution_gap", D(2026, 8, 30)) == {pid: "经费执行率 10.0%,执行期已过 45.0%,相差 35.0 个百分点"}
    w = risks.warnings(today=D(2026, 8, 30))
    assert w[w["code"] == "execution_gap"].iloc[0]["severity"] == "低"
    risks.save_setting("execution_gap", {"threshold": 40, "severity": "中"}, ADMIN)
    assert fired("execution_gap", D(2026, 8, 30)) == {}
    assert fired("execution_gap", D(2026, 8, 31)) == {}  # 35.5
    risks.save_setting("execution_gap", {"threshold": 35}, ADMIN)
    w = risks.warnings(today=D(2026, 8, 31))
    assert w[w["code"] == "execution_gap"].iloc[0]["severity"] == "中"
    risks.save_setting("execution_gap", {"enabled": False}, ADMIN)
    assert fired("execution_gap", D(2026, 8, 31)) == {}


def test_spending_ahead_of_time_is_a_gap_too(hub):
    pid = project()
    expense(pid, D(2026, 6, 5), 20000, "PZ-001")  # 50% spent at 10% elapsed
    assert fired("execution_gap", D(2026, 6, 21)) == {pid: "经费执行率 50.0%,执行期已过 10.0%,相差 40.0 个百分点"}


def test_report_overdue(hub):
    pid = project()  # mid-term report due 2026-09-15, final 2026-12-18
    assert fired("report_overdue", D(2026, 9, 15)) == {}
    assert fired("report_overdue", D(2026, 9, 16)) == {pid: "中期报告截止 2026-09-15,已逾期 1 天仍无中期评估"}
    w = risks.warnings(today=D(2026, 9, 16))
    assert w[w["code"] == "report_overdue"].iloc[0]["severity"] == "高"
    risks.save_setting("report_overdue", {"threshold": 5}, ADMIN)
    assert fired("report_overdue", D(2026, 9, 20)) == {}
    assert pid in fired("report_overdue", D(2026, 9, 21))
    risks.save_setting("report_overdue", {"threshold": 0}, ADMIN)
    evaluation(pid, "midterm", D(2026, 9, 20))
    assert fired("report_overdue", D(2026, 9, 25)) == {}
    assert pid in fired("report_overdue", D(2026, 9, 18))  # the evaluation came later
    assert fired("report_overdue", D(2026, 12, 20)) == {pid: "末期报告截止 2026-12-18,已逾期 2 天仍无末期评估"}
    risks.save_setting("report_overdue", {"enabled": False}, ADMIN)
    assert fired("report_overdue", D(2026, 12, 20)) == {}


def test_both_reports_overdue_make_one_warning(hub):
    pid = project()
    assert fired("report_overdue", D(2026, 12, 20)) == {
        pid: "中期报告截止 2026-09-15,已逾期 96 天仍无中期评估;末期报告截止 2026-12-18,已逾期 2 天仍无末期评估"}


def test_idle(hub):
    pid = project()
    assert fired("idle", D(2026, 7, 1)) == {}  # 30 days since the start
    assert fired("idle", D(2026, 7, 2)) == {pid: "执行期开始(2026-06-01)以来尚无活动记录,已 31 天"}
    ledger.add(act(pid, D(2026, 7, 10)), STAFF)
    assert fired("idle", D(2026, 8, 9)) == {}
    assert fired("idle", D(2026, 8, 10)) == {pid: "最近一次活动在 2026-07-10,已 31 天未开展活动"}
    assert fired("idle", D(2027, 1, 10)) == {}  # after the period: nothing left to run
    assert fired("idle", D(2026, 5, 1)) == {}   # before it
    risks.save_setting("idle", {"threshold": 45}, ADMIN)
    assert fired("idle", D(2026, 8, 24)) == {}
    assert pid in fired("idle", D(2026, 8, 25))
    risks.save_setting("idle", {"enabled": False}, ADMIN)
    assert fired("idle", D(2026, 8, 25)) == {}


def test_only_running_projects_are_judged(hub):
    active = project(1, milestones=STONE)
    stopped = project(2, milestones=STONE)
    ended = project(3, milestones=STONE)
    closed = project(4, milestones=STONE)
    set_state(stopped, "stopped")
    set_state(ended, "terminated")
    set_state(closed, "closed")
    w = risks.warnings(today=D(2026, 10, 1))
    assert set(w["project_id"].astype(int)) == {active, stopped}
    assert risks.warnings(today=D(2026, 10, 1), project_id=ended).empty
    mine = risks.warnings(today=D(2026, 10, 1), project_id=stopped)
    assert set(mine["project_id"]) == {stopped} and "milestone_overdue" in set(mine["code"])
    assert list(mine.columns) == list(risks.WARNING_COLUMNS)


def test_warnings_carry_the_project_and_no_warning_is_an_empty_frame(hub):
    pid = project(milestones=STONE)
    w = risks.warnings(today=D(2026, 6, 2))
    assert w.empty and list(w.columns) == list(risks.WARNING_COLUMNS)
    w = risks.warnings(today=D(2026, 10, 1))
    p = projects.get(pid)
    row = w[w["code"] == "milestone_overdue"].iloc[0]
    assert (row["agreement_no"], row["title"], row["org"]) == (p["agreement_no"], p["title"], p["org"])
    assert list(w["code"]) == ["milestone_overdue", "activity_pace", "person_pace", "execution_gap",
                               "report_overdue", "idle"]  # everything is late on that date, in rule order


# ---- acknowledgements --------------------------------------------------------------------------------

def test_an_acknowledgement_hides_the_warning_until_its_date_then_it_reopens_if_it_persists(hub):
    persists = project(1, milestones=STONE)
    clears = project(2, milestones=STONE)
    today = D(2026, 10, 1)
    mark = last_audit_id(hub)
    for pid in (persists, clears):
        risks.acknowledge(pid, "milestone_overdue", {"note": "已电话督促,十月中旬补交", "until": D(2026, 10, 15)}, STAFF,
                          today=today)
    assert [(r["table_name"], r["action"]) for r in audit_rows(hub, mark)] == [("risk_acks", "create")] * 2
    stored = hub.fetch_one("SELECT project_id, code, note, until, created_by FROM risk_acks WHERE project_id = ?",
                           [persists])
    assert stored == {"project_id": persists, "code": "milestone_overdue", "note": "已电话督促,十月中旬补交",
                      "until": D(2026, 10, 15), "created_by": "wangmin"}

    def milestone_rows(day):
        w = risks.warnings(today=day)
        return w[w["code"] == "milestone_overdue"].set_index("project_id")

    w = milestone_rows(today)
    assert bool(w.loc[persists, "acknowledged"]) is True
    assert (w.loc[persists, "ack_note"], w.loc[persists, "ack_until"].date(), w.loc[persists, "ack_by"]) == (
        "已电话督促,十月中旬补交", D(2026, 10, 15), "wangmin")
    board = risks.board(today=today)
    assert board[board["code"] == "milestone_overdue"].empty
    assert bool(milestone_rows(D(2026, 10, 15)).loc[persists, "acknowledged"]) is True  # the last day still hides
    done(clears, D(2026, 10, 10))
    later = D(2026, 10, 16)
    board = risks.board(today=later)
    open_ones = board[board["code"] == "milestone_overdue"]
    assert list(open_ones["project_id"]) == [persists]  # reopened; the cleared one stays closed
    assert bool(open_ones.iloc[0]["acknowledged"]) is False
    assert open_ones.iloc[0]["ack_until"].date() == D(2026, 10, 15)
    assert clears not in set(milestone_rows(later).index)


def test_a_longer_acknowledgement_wins_and_other_rules_are_not_hidden(hub):
    pid = project(milestones=STONE)
    today = D(2026, 10, 1)
    risks.acknowledge(pid, "milestone_overdue", {"note": "第一次跟进", "until": D(2026, 10, 20)}, STAFF, today=today)
    risks.acknowledge(pid, "milestone_overdue", {"note": "第二次跟进", "until": D(2026, 10, 5)}, STAFF, today=today)
    w = risks.warnings(today=D(2026, 10, 10)).set_index("code")
    assert bool(w.loc["milestone_overdue", "acknowledged"]) is True
    assert w.loc["milestone_overdue", "ack_note"] == "第一次跟进"
    assert bool(w.loc["report_overdue", "acknowledged"]) is False


def test_acknowledge_refusals_store_nothing(hub):
    pid = project(milestones=STONE)
    today = D(2026, 10, 1)
    mark = last_audit_id(hub)
    with pytest.raises(ValidationFailed) as info:
        risks.acknowledge(pid, "milestone_overdue", {"note": "已督促", "until": today}, STAFF, today=today)
    assert info.value.fields == {"until": ["跟进日期须晚于今天"]}
    with pytest.raises(ValidationFailed) as info:
        risks.acknowledge(pid, "no_such_rule", {"note": "已督促", "until": D(2026, 10, 9)}, STAFF, today=today)
    assert info.value.fields == {"code": ["未知的预警规则:no_such_rule"]}
    with pytest.raises(ValidationFailed) as info:
        risks.acknowledge(pid, "idle", {"note": "", "until": D(2026, 10, 9)}, STAFF, today=today)
    assert "note" in info.value.fields
    with pytest.raises(NotFound):
        risks.acknowledge(9999, "idle", {"note": "已督促", "until": D(2026, 10, 9)}, STAFF, today=today)
    with pytest.raises(PermissionDenied):
        risks.acknowledge(pid, "idle", {"note": "已督促", "until": D(2026, 10, 9)}, REVIEWER, today=today)
    assert hub.scalar("SELECT count(*) FROM risk_acks") == 0 and last_audit_id(hub) == mark


# ---- settings ---------------------------------------------------------------------------------------

def test_settings_default_then_stored_admin_only_validated_and_audited(hub):
    assert risks.settings()["idle"] == {"severity": "中", "threshold": 30.0, "enabled": True}
    with pytest.raises(PermissionDenied):
        risks.save_setting("idle", {"threshold": 10}, STAFF)
    with pytest.raises(ValidationFailed) as info:
        risks.save_setting("idle", {"threshold": -1, "severity": "严重", "enabled": "yes"}, ADMIN)
    assert info.value.fields == {"severity": ["预警级别须为 高、中 或 低"], "threshold": ["阈值不能小于0"],
                                 "enabled": ["请选择是否启用"]}
    with pytest.raises(ValidationFailed) as info:
        risks.save_setting("idle", {"threshold": "很多"}, ADMIN)
    assert info.value.fields == {"threshold": ["阈值须为数字"]}
    with pytest.raises(ValidationFailed):
        risks.save_setting("nope", {"threshold": 1}, ADMIN)
    assert hub.scalar("SELECT count(*) FROM risk_settings") == 0
    mark = last_audit_id(hub)
    assert risks.save_setting("idle", {"threshold": 45, "severity": "高"}, ADMIN) is True
    assert risks.settings()["idle"] == {"severity": "高", "threshold": 45.0, "enabled": True}
    assert risks.save_setting("idle", {"enabled": False}, ADMIN) is True
    assert risks.settings()["idle"] == {"severity": "高", "threshold": 45.0, "enabled": False}
    assert risks.save_setting("idle", {"threshold": 45}, ADMIN) is False  # unchanged
    assert [(r["table_name"], r["row_key"], r["action"], r["actor"]) for r in audit_rows(hub, mark)] == [
        ("risk_settings", "idle", "create", "chen"), ("risk_settings", "idle", "update", "chen")]
    assert hub.fetch_one("SELECT updated_by FROM risk_settings WHERE code = 'idle'") == {"updated_by": "chen"}
    assert risks.settings()["activity_pace"] == {"severity": "中", "threshold": 50.0, "enabled": True}


# ---- the board --------------------------------------------------------------------------------------

def test_board_orders_by_severity_and_summary_counts(hub):
    a = project(1, milestones=STONE)
    b = project(2, milestones=[])
    expense(b, D(2026, 6, 5), 30000, "PZ-001")
    for pid in (a, b):  # enough activity that pace and idle stay quiet
        for i, day in enumerate((D(2026, 6, 10), D(2026, 7, 1), D(2026, 7, 20), D(2026, 8, 10), D(2026, 9, 5),
                                 D(2026, 9, 20), D(2026, 9, 28))):
            ledger.add(act(pid, day, f"活动{i}", participants=100, person_times=100), STAFF)
    today = D(2026, 10, 1)  # 61% elapsed
    board = risks.board(today=today)
    assert [(int(p), c) for p, c in zip(board["project_id"], board["code"])] == [
        (a, "report_overdue"), (b, "report_overdue"), (a, "milestone_overdue"), (a, "execution_gap")]
    assert list(board["severity"]) == ["高", "高", "中", "低"]
    assert risks.summary(today=today) == {"高": 2, "中": 1, "低": 1, "total": 4, "projects": 2}
    risks.acknowledge(b, "report_overdue", {"note": "已收到纸质报告待评估", "until": D(2026, 10, 8)}, STAFF, today=today)
    assert risks.summary(today=today) == {"高": 1, "中": 1, "低": 1, "total": 3, "projects": 1}
    assert len(risks.warnings(today=today)) == 4  # still listed, marked acknowledged


# ---- scale ------------------------------------------------------------------------------------------

def test_eight_thousand_projects_are_judged_set_based(hub):
    """Thousands of projects (inserted in bulk for speed) are judged by a handful of queries."""
    rid = make_round(total_budget=1_000_000)
    org = make_org(1)
    n = 8000
    with hub.transaction() as tx:
        tx.execute("INSERT INTO applications (id, round_id, org_id, state, title, granted_amount)"
                   " SELECT 100000 + i, ?, ?, 'funded', '批量项目' || i, 40000 FROM range(?) t(i)", [rid, org, n])
        tx.execute("INSERT INTO projects (id, application_id, agreement_no, agreement_date, granted_amount, start_date,"
                   " end_date, planned_activities, planned_person_times, communities, midterm_due, final_due, state)"
                   " SELECT 100000 + i, 100000 + i, 'BULK-' || i, DATE '2026-06-01', 40000, DATE '2026-06-01',"
                   " DATE '2026-12-18', 20, 1000, ['文海社区'], DATE '2026-09-15', DATE '2026-12-18',"
                   " CASE WHEN i % 10 = 0 THEN 'terminated' ELSE 'active' END FROM range(?) t(i)", [n])
        tx.execute("INSERT INTO project_milestones (project_id, due_date, deliverable)"
                   " SELECT 100000 + i, DATE '2026-09-30', '中期自评报告' FROM range(?) t(i)", [n])
        tx.execute("INSERT INTO activities (project_id, activity_date, community, kind, title, participants,"
                   " person_times) SELECT 100000 + i, DATE '2026-06-01' + CAST(j * 7 AS INTEGER), '文海社区', '社区活动',"
                   " '活动' || j, 10, 10 FROM range(?) t(i), range(5) s(j)", [n])
        tx.execute("INSERT INTO expenses (project_id, expense_date, line, amount, description, voucher_no)"
                   " SELECT 100000 + i, DATE '2026-06-15', 'budget_personnel', 1000 * (i % 40), '劳务', 'PZ' || i"
                   " FROM range(?) t(i)", [n])
    statements = []
    with contextlib.ExitStack() as stack:  # what the board reads, counted
        for name in ("fetch_df", "fetch_all", "fetch_one", "scalar"):
            method = getattr(hub, name)
            stack.enter_context(mock.patch.object(
                hub, name, lambda *a, _m=method, **k: statements.append(a[0]) or _m(*a, **k)))
        w = risks.warnings(today=D(2026, 10, 1))
    running = n - n // 10
    counts = w.groupby("code")["project_id"].nunique().to_dict()
    assert counts["milestone_overdue"] == running and counts["report_overdue"] == running
    assert counts["idle"] == running  # last activity 2026-06-29
    assert counts["activity_pace"] == running  # 5 of 12.2 expected
    # judged in SQL over all projects at once: a handful of statements for 8,000 projects, not one per project
    assert 0 < len(statements) <= 10, statements
    assert risks.summary(today=D(2026, 10, 1))["projects"] == running


def test_the_board_is_read_once_until_a_table_it_is_judged_from_is_written(hub):
    """The 工作台 of every staff member, the risk screen and the dashboards read the board: it is computed once
    per day and read again only after a write to one of ``risks.TABLES`` (here: a new activity)."""
    from core.platform import cache

    a = project(1, milestones=[])
    today = D(2026, 10, 1)
    before = risks.board(today=today)
    assert "idle" in set(before[before["project_id"] == a]["code"])
    loads = cache.loads("risk_board")
    assert risks.summary(today=today)["projects"] == int(before["project_id"].nunique())
    assert cache.loads("risk_board") == loads  # the summary read the stored board
    ledger.add(act(a, D(2026, 9, 28), "社区活动", participants=10, person_times=10), STAFF)
    after = risks.board(today=today)
    assert cache.loads("risk_board") == loads + 1
    assert "idle" not in set(after[after["project_id"] == a]["code"])
