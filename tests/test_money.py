"""资金: tranche releases gated by evaluations and taken in order, expenses against the budget lines
with the round's margin, 经费执行率 on hand-built numbers. Refusals store nothing."""
from __future__ import annotations

import datetime as dt

import pytest

from core.monitoring import evaluations, money
from core.platform.errors import NotFound, PermissionDenied, ValidationFailed
from core.monitoring.money import ExpenseRefused, TrancheBlocked
from tests.monitoring_fixtures import ADMIN, STAFF, hub, signed_project  # noqa: F401  (hub: fixture)
from tests.test_evaluations import (
    FAILING, custom_policy, evaluate, events, project_row, release_seq, release_values, snapshot, statuses,
)
from tests.test_rounds import LEADER, make_round
from tests.threads import run_together

D = dt.date

# budget lines of the hand-built project (granted 40,000)
LINES = {"budget_personnel": 20000, "budget_materials": 10000, "budget_venue": 5000, "budget_publicity": 5000,
         "budget_other": 0}


@pytest.fixture
def rid(hub):
    return make_round(total_budget=1_000_000)


@pytest.fixture
def pid(rid):
    return signed_project(1, round_id=rid, **LINES)


def tranche_id(pid: int, seq: int) -> int:
    return int(money.tranches(pid).set_index("seq").loc[seq, "id"])


def blocked(db, tid: int, values: dict, actor=STAFF) -> str:
    before = snapshot(db)
    with pytest.raises(TrancheBlocked) as info:
        money.release(tid, values, actor)
    assert snapshot(db) == before
    return str(info.value)


def expense(line="budget_personnel", amount=1000.0, voucher="PZ-001", **overrides) -> dict:
    values = {"expense_date": D(2026, 9, 1), "line": line, "amount": amount, "description": "助餐服务人员劳务费",
              "voucher_no": voucher, "over_reason": None}
    values.update(overrides)
    return values


# ---- the tranche plan -------------------------------------------------------------------------------
def test_tranches_list_the_plan_and_what_can_be_released(hub, pid):
    df = money.tranches(pid)
    assert list(df.columns) == ["id", "seq", "share", "amount", "gate", "gate_label", "planned_date", "status",
                                "status_label", "released_on", "released_amount", "approver", "note", "releasable",
                                "blocked_reason"]
    assert df[["seq", "share", "amount", "gate_label", "status_label"]].values.tolist() == [
        [1, 50.0, 20000.0, "签约后", "待拨付"], [2, 30.0, 12000.0, "中期评估通过后", "待拨付"],
        [3, 20.0, 8000.0, "末期评估通过后", "待拨付"]]
    assert df["releasable"].tolist() == [True, False, False]
    assert df["blocked_reason"].tolist() == [None, "第1期资金尚未拨付,须按顺序拨付", "第1、2期资金尚未拨付,须按顺序拨付"]
    assert df.loc[0, "planned_date"] == D(2026, 6, 1) and df.loc[2, "planned_date"] == D(2027, 3, 31)


def test_gate_met(hub, pid):
    assert money.gate_met(pid, "signing") == (True, None)
    assert money.gate_met(pid, "midterm", seq=2) == (False, "中期评估尚未通过,第2期资金不能拨付")
    assert money.gate_met(pid, "final") == (False, "末期评估尚未通过,该期资金不能拨付")
    evaluate(pid, scores=FAILING, fail_action="stop")
    assert money.gate_met(pid, "midterm")[0] is False
    evaluate(pid, eval_date=D(2026, 11, 18))
    assert money.gate_met(pid, "midterm") == (True, None)
    evaluate(pid, "final")
    assert money.gate_met(pid, "final") == (True, None)


def test_release_follows_the_gates_in_order(hub, pid):
    t1, t2, t3 = (tranche_id(pid, s) for s in (1, 2, 3))
    before = int(hub.scalar("SELECT coalesce(max(id), 0) FROM audit_log"))
    money.release(t1, release_values(20000, note="首期款"), STAFF)
    row = hub.fetch_one("SELECT status, released_on, released_amount, approver, note, updated_by FROM tranches"
                        " WHERE id = ?", [t1])
    assert row == {"status": "released", "released_on": D(2026, 11, 10), "released_amount": 20000,
                   "approver": "陈主任", "note": "首期款", "updated_by": STAFF.username}
    ev = hub.fetch_one("SELECT event, detail, happened_on FROM project_events WHERE project_id = ? ORDER BY id DESC"
                       " LIMIT 1", [pid])
    assert ev == {"event": "拨付第1期资金", "detail": "20,000.00 元,审批人 陈主任;首期款", "happened_on": D(2026, 11, 10)}
    audit = hub.fetch_all("SELECT table_name, action FROM audit_log WHERE id > ? ORDER BY id", [before])
    assert audit == [{"table_name": "tranches", "action": "release"},
                     {"table_name": "project_events", "action": "create"}]

    assert blocked(hub, t2, release_values(12000)) == "中期评估尚未通过,第2期资金不能拨付"
    evaluate(pid)
    assert blocked(hub, t3, release_values(8000)) == "第2期资金尚未拨付,须按顺序拨付"
    money.release(t2, release_values(12000), STAFF)
    assert blocked(hub, t3, release_values(8000)) == "末期评估尚未通过,第3期资金不能拨付"
    evaluate(pid, "final")
    assert money.tranches(pid)["releasable"].tolist() == [False, False, True]
    money.release(t3, release_values(8000, released_on=D(2026, 11, 20)), ADMIN)
    assert statuses(hub, pid) == ["released"] * 3
    assert project_row(hub, pid)["state"] == "closed" and project_row(hub, pid)["closed_on"] == D(2026, 11, 20)
    assert money.summary(pid, today=D(2026, 11, 20))["released"] == 40000.0


def test_out_of_order_release_is_refused(hub, pid):
    evaluate(pid)  # the mid-term passed, but tranche 1 was never paid
    assert blocked(hub, tranche_id(pid, 2), release_values(12000)) == "第1期资金尚未拨付,须按顺序拨付"


def test_a_released_tranche_is_not_released_again(hub, pid):
    release_seq(pid, 1)
    assert blocked(hub, tranche_id(pid, 1), release_values(20000)) == "第1期资金已拨付"


def test_released_amount_may_not_exceed_the_plan(hub, pid):
    tid = tranche_id(pid, 1)
    before = snapshot(hub)
    with pytest.raises(ValidationFailed) as info:
        money.release(tid, release_values(20000.01), STAFF)
    assert info.value.fields == {"released_amount": ["拨付金额不能超过第1期计划金额 20,000.00 元"]}
    assert snapshot(hub) == before
    money.release(tid, release_values(19999.99), STAFF)
    assert float(hub.scalar("SELECT released_amount FROM tranches WHERE id = ?", [tid])) == 19999.99


def test_release_values_are_validated(hub, pid):
    before = snapshot(hub)
    with pytest.raises(ValidationFailed) as info:
        money.release(tranche_id(pid, 1), {"released_on": None, "released_amount": -5, "approver": "陈"}, STAFF)
    assert set(info.value.fields) == {"released_on", "released_amount", "approver"}
    assert snapshot(hub) == before


def test_a_stopped_project_releases_nothing(hub, pid):
    evaluate(pid, scores=FAILING, fail_action="stop")
    assert project_row(hub, pid)["state"] == "stopped"
    df = money.tranches(pid)
    assert df["releasable"].tolist() == [False, False, False]
    assert df.loc[0, "blocked_reason"] == "项目已停止拨付,须重新评估通过后才能继续拨付"
    assert blocked(hub, tranche_id(pid, 1), release_values(20000)) == "项目已停止拨付,须重新评估通过后才能继续拨付"
    assert blocked(hub, tranche_id(pid, 1), {}) == "项目已停止拨付,须重新评估通过后才能继续拨付"  # before the form


def test_a_terminated_project_releases_nothing(hub, pid):
    release_seq(pid, 1)
    evaluate(pid, scores=FAILING, fail_action="terminate", recover_amount=5000)
    assert blocked(hub, tranche_id(pid, 2), release_values(12000)) == "第2期拨付已取消"
    df = money.tranches(pid)
    assert df["blocked_reason"].tolist() == [None, None, None]  # settled tranches have no reason


def test_only_staff_and_admin_release_and_book(hub, pid):
    before = snapshot(hub)
    with pytest.raises(PermissionDenied):
        money.release(tranche_id(pid, 1), release_values(20000), LEADER)
    with pytest.raises(PermissionDenied):
        money.add_expense(pid, expense(), LEADER)
    assert snapshot(hub) == before


def test_unknown_tranche_and_project(hub):
    with pytest.raises(NotFound):
        money.release(999, release_values(1), STAFF)
    with pytest.raises(NotFound):
        money.add_expense(999, expense(), STAFF)
    with pytest.raises(NotFound):
        money.tranches(999)


# ---- expenses ---------------------------------------------------------------------------------------
def test_expenses_under_the_margin_need_no_reason_and_over_it_do(hub, pid):
    # personnel: budget 20,000, margin 10% -> up to 22,000 without a reason
    first = money.add_expense(pid, expense(amount=21000, voucher="PZ-001"), STAFF)
    money.add_expense(pid, expense(amount=1000, voucher="PZ-002"), STAFF)  # exactly 22,000: at the margin
    before = snapshot(hub)
    with pytest.raises(ValidationFailed) as info:
        money.add_expense(pid, expense(amount=0.01, voucher="PZ-003"), STAFF)
    assert info.value.fields == {"over_reason": [
        "「人员」科目预算 20,000.00 元,计入本笔后累计支出 22,000.01 元,超出预算 10.0%(容许 10%),请填写超支说明"]}
    assert snapshot(hub) == before
    third = money.add_expense(pid, expense(amount=0.01, voucher="PZ-003", over_reason="增加一次送餐"), STAFF)
    rows = hub.fetch_all("SELECT id, line, amount, voucher_no, over_reason, created_by FROM expenses ORDER BY id")
    assert [(r["id"], r["line"], float(r["amount"]), r["voucher_no"], r["over_reason"], r["created_by"])
            for r in rows] == [
        (first, "budget_personnel", 21000.0, "PZ-001", None, STAFF.username),
        (first + 1, "budget_personnel", 1000.0, "PZ-002", None, STAFF.username),
        (third, "budget_personnel", 0.01, "PZ-003", "增加一次送餐", STAFF.username),
    ]
    listed = money.expenses(pid)
    assert listed["line_label"].tolist() == ["人员"] * 3
    assert listed["amount"].tolist() == [21000.0, 1000.0, 0.01]


def test_lines_are_checked_separately_and_a_zero_budget_line_always_needs_a_reason(hub, pid):
    money.add_expense(pid, expense("budget_materials", 10500, "PZ-010"), STAFF)  # 105%: within 10%
    with pytest.raises(ValidationFailed) as info:
        money.add_expense(pid, expense("budget_other", 100, "PZ-011"), STAFF)
    assert info.value.fields == {"over_reason": [
        "「其他」科目预算 0.00 元,计入本笔后累计支出 100.00 元,该科目无预算(容许 10%),请填写超支说明"]}
    money.add_expense(pid, expense("budget_other", 100, "PZ-011", over_reason="临时租用保温箱"), STAFF)
    assert int(hub.scalar("SELECT count(*) FROM expenses WHERE project_id = ?", [pid])) == 2


def test_the_margin_comes_from_the_round_policy(hub, rid):
    custom_policy(rid, expense_margin=0)
    pid = signed_project(1, round_id=rid, **LINES)
    money.add_expense(pid, expense("budget_venue", 5000, "PZ-1"), STAFF)
    with pytest.raises(ValidationFailed) as info:
        money.add_expense(pid, expense("budget_venue", 0.01, "PZ-2"), STAFF)
    assert list(info.value.fields) == ["over_reason"]
    assert "容许 0%" in info.value.fields["over_reason"][0]


def test_voucher_numbers_are_unique_within_a_project(hub, rid, pid):
    first = money.add_expense(pid, expense(voucher="PZ-100"), STAFF)
    before = snapshot(hub)
    with pytest.raises(ValidationFailed) as info:
        money.add_expense(pid, expense(voucher=" PZ-100 ", amount=5), STAFF)
    assert info.value.fields == {"voucher_no": [f"凭证号 PZ-100 已在本项目登记过(支出编号 {first})"]}
    assert snapshot(hub) == before
    other = signed_project(2, round_id=rid)
    money.add_expense(other, expense(voucher="PZ-100"), STAFF)  # another project may use the same number
    assert int(hub.scalar("SELECT count(*) FROM expenses WHERE voucher_no = 'PZ-100'")) == 2


def test_expense_values_are_validated(hub, pid):
    before = snapshot(hub)
    with pytest.raises(ValidationFailed) as info:
        money.add_expense(pid, expense(line="budget_rocket", amount=1.001, voucher=""), STAFF)
    assert set(info.value.fields) == {"line", "amount", "voucher_no"}
    assert snapshot(hub) == before


def test_terminated_and_closed_projects_take_no_expenses(hub, rid):
    ended = signed_project(1, round_id=rid)
    money.add_expense(ended, expense(), STAFF)  # a stopped or active project still books what it spent
    evaluate(ended, scores=FAILING, fail_action="terminate", recover_amount=0)
    before = snapshot(hub)
    with pytest.raises(ExpenseRefused) as info:
        money.add_expense(ended, expense(voucher="PZ-002"), STAFF)
    assert str(info.value) == "项目已终止,不能再登记支出"
    with pytest.raises(ExpenseRefused):
        money.add_expense(ended, {}, STAFF)  # refused before the form's own messages
    assert snapshot(hub) == before

    done = signed_project(2, round_id=rid)
    release_seq(done, 1)
    evaluate(done)
    release_seq(done, 2)
    evaluate(done, "final")
    release_seq(done, 3)
    with pytest.raises(ExpenseRefused) as info:
        money.add_expense(done, expense(), STAFF)
    assert str(info.value) == "项目已结项,不能再登记支出"


def test_stopped_projects_still_book_expenses(hub, pid):
    evaluate(pid, scores=FAILING, fail_action="stop")
    money.add_expense(pid, expense(), STAFF)
    assert int(hub.scalar("SELECT count(*) FROM expenses WHERE project_id = ?", [pid])) == 1


def test_two_concurrent_expenses_cannot_both_slip_under_the_margin(hub, pid):
    # venue: budget 5,000, limit 5,500; each 3,000 fits alone, both do not
    results = run_together(lambda i: money.add_expense(pid, expense("budget_venue", 3000, f"PZ-{i}"), STAFF), 2)
    assert sorted(r[0] for r in results) == ["error", "ok"]
    err = next(r[1] for r in results if r[0] == "error")
    assert isinstance(err, ValidationFailed) and list(err.fields) == ["over_reason"]
    assert float(hub.scalar("SELECT sum(amount) FROM expenses WHERE line = 'budget_venue'")) == 3000.0


# ---- execution --------------------------------------------------------------------------------------
def book_hand_built(pid: int) -> None:
    money.add_expense(pid, expense("budget_personnel", 15000, "A1"), STAFF)
    money.add_expense(pid, expense("budget_personnel", 2345.67, "A2"), STAFF)
    money.add_expense(pid, expense("budget_materials", 10500, "B1"), STAFF)
    money.add_expense(pid, expense("budget_publicity", 1234.56, "D1"), STAFF)
    money.add_expense(pid, expense("budget_other", 100, "E1", over_reason="临时租用保温箱"), STAFF)


def test_execution_rates_per_line_and_total(hub, pid):
    book_hand_built(pid)
    df = money.execution(pid)
    assert list(df.columns) == ["line", "label", "budget", "spent", "rate", "over"]
    assert df.to_dict("records") == [
        {"line": "budget_personnel", "label": "人员", "budget": 20000.0, "spent": 17345.67, "rate": 86.7,
         "over": False},                                                   # 86.72835
        {"line": "budget_materials", "label": "物资", "budget": 10000.0, "spent": 10500.0, "rate": 105.0,
         "over": True},
        {"line": "budget_venue", "label": "场地", "budget": 5000.0, "spent": 0.0, "rate": 0.0, "over": False},
        {"line": "budget_publicity", "label": "宣传", "budget": 5000.0, "spent": 1234.56, "rate": 24.7,
         "over": False},                                                   # 24.6912
        {"line": "budget_other", "label": "其他", "budget": 0.0, "spent": 100.0, "rate": None, "over": True},
        {"line": "total", "label": "合计", "budget": 40000.0, "spent": 29180.23, "rate": 73.0,
         "over": False},                                                   # 72.950575
    ]


def test_execution_of_a_project_without_expenses(hub, pid):
    df = money.execution(pid)
    assert df["spent"].tolist() == [0.0] * 6
    assert df["rate"].tolist()[:4] == [0.0] * 4 and df["rate"].tolist()[4] is None
    assert not df["over"].any()


def test_summary(hub, pid):
    book_hand_built(pid)
    release_seq(pid, 1)
    # the period runs 2026-06-01 .. 2027-03-31: 303 days
    assert money.summary(pid, today=D(2026, 10, 1)) == {
        "granted": 40000.0, "released": 20000.0, "spent": 29180.23, "released_pct": 50.0, "execution_pct": 73.0,
        "elapsed_pct": 40.3}                                               # 122 / 303
    assert money.summary(pid, today=D(2026, 5, 1))["elapsed_pct"] == 0.0
    assert money.summary(pid, today=D(2026, 6, 1))["elapsed_pct"] == 0.0
    assert money.summary(pid, today=D(2027, 3, 31))["elapsed_pct"] == 100.0
    assert money.summary(pid, today=D(2027, 6, 1))["elapsed_pct"] == 100.0


def test_execution_by_project(hub, rid, pid):
    book_hand_built(pid)
    release_seq(pid, 1)
    other = signed_project(2, round_id=rid)
    df = money.execution_by_project()
    assert df.to_dict("records") == [
        {"project_id": pid, "granted": 40000.0, "released": 20000.0, "spent": 29180.23, "execution_pct": 73.0},
        {"project_id": other, "granted": 40000.0, "released": 0.0, "spent": 0.0, "execution_pct": 0.0},
    ]


def test_timeline_lists_releases(hub, pid):
    release_seq(pid, 1)
    assert events(hub, pid) == ["签订资助协议", "拨付第1期资金"]
    assert evaluations.evaluations(pid).empty


def test_two_concurrent_releases_of_one_tranche_pay_once(hub, pid):
    tid = tranche_id(pid, 1)
    results = run_together(lambda i: money.release(tid, release_values(20000, approver=f"审批人{i}"), STAFF), 3)
    assert sorted(r[0] for r in results) == ["error", "error", "ok"]
    assert all(str(r[1]) == "第1期资金已拨付" for r in results if r[0] == "error")
    assert events(hub, pid).count("拨付第1期资金") == 1
    assert int(hub.scalar("SELECT count(*) FROM audit_log WHERE table_name = 'tranches' AND action = 'release'")) == 1
