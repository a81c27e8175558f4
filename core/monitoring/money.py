"""资金: tranche releases (资金拨付) gated by evaluations, expenses per budget line, 经费执行率.

A tranche is released in order (seq 1, 2, 3 ...) and only when its gate is met: ``signing`` at once,
``midterm`` once the project's latest mid-term evaluation passed, ``final`` once the latest final
evaluation passed. A stopped (停止拨付), terminated or closed project releases nothing. Every check that
can change while a form is open is made again under the write lock, inside the unit that writes.

Expenses are booked on a budget line (``budget_*`` column of the agreement). When an expense takes the
line's total spend above the line budget by more than the round policy's ``expense_margin`` percent,
a reason (``over_reason``) is required.
"""
from __future__ import annotations

import datetime as dt

import pandas as pd

from core.intake import scope
from core.monitoring import monitoring_policy, projects
from core.platform import records
from core.platform.actor import Actor
from core.platform.db import get_db
from core.platform.entities import Entity, granted, register
from core.platform.errors import HubError, NotFound, PermissionDenied, ValidationFailed
from core.monitoring.projects import TRANCHE  # declared with the project (its plan is written when the agreement is signed)
from core.platform.validation import validate
from schemas.base import blank
from schemas.choices import BUDGET_LINES
from schemas.columns import columns, label, money, percent
from schemas.monitoring import EVALUATION_KINDS, PROJECT_STATES, TRANCHE_GATES, TRANCHE_STATUS, Expense, Release

STAFF = frozenset({"admin", "staff"})

EXPENSE = register(Entity(
    name="expense", table="expenses", label="经费支出", schema=Expense, write_roles=STAFF, title_field="voucher_no",
    hub_via=scope.VIA_PROJECT,  # the hub of its project's round (core.intake.scope)
))

_GATE_KIND = {"midterm": "midterm", "final": "final"}  # gate -> evaluation kind that opens it


class TrancheBlocked(HubError):
    """The tranche cannot be released now (gate not met, project stopped, out of order, ...)."""


class ExpenseRefused(HubError):
    """The project takes no more expenses (terminated or closed)."""


def _require(entity: Entity, actor: Actor) -> None:
    if not granted(actor, entity, "create"):
        raise PermissionDenied(f"当前账号无权修改{entity.label}")


def _cents(value) -> int:
    return int(round(float(value or 0) * 100))


# ---- gates -----------------------------------------------------------------------------------------
def _latest_passed(reader, project_id: int, kind: str) -> bool | None:
    """Whether the project's latest (last recorded) evaluation of ``kind`` passed (None: none yet).
    ``reader`` is the Database or an open Transaction (both have fetch_one)."""
    row = reader.fetch_one("SELECT passed FROM evaluations WHERE project_id = ? AND kind = ?"
                           " ORDER BY id DESC LIMIT 1", [project_id, kind])  # the one recorded last
    return None if row is None else bool(row["passed"])


def _gate(reader, project_id: int, gate: str, seq: int | None = None) -> tuple[bool, str | None]:
    if gate == "signing":
        return True, None
    kind = _GATE_KIND.get(gate)
    if kind is None:
        return False, f"无法识别的拨付条件:{gate}"
    if _latest_passed(reader, project_id, kind):
        return True, None
    which = f"第{seq}期" if seq is not None else "该期"
    return False, f"{EVALUATION_KINDS[kind]}尚未通过,{which}资金不能拨付"


def gate_met(project_id: int, gate: str, db=None, *, seq: int | None = None) -> tuple[bool, str | None]:
    """(met, reason): ``signing`` is always met; ``midterm``/``final`` when the project's latest
    evaluation of that kind passed. ``seq`` only names the tranche in the reason."""
    return _gate(db or get_db(), project_id, gate, seq)


def _blocked(reader, project: dict, tranche: dict, tranches: list[dict]) -> str | None:
    """Why ``tranche`` cannot be released now (None: it can)."""
    seq = tranche["seq"]
    if tranche["status"] == "released":
        return f"第{seq}期资金已拨付"
    if tranche["status"] == "cancelled":
        return f"第{seq}期拨付已取消"
    state = project["state"]
    if state == "stopped":
        return "项目已停止拨付,须重新评估通过后才能继续拨付"
    if state == "terminated":
        return "项目已终止,不能再拨付资金"
    if state == "closed":
        return "项目已结项,不能再拨付资金"
    earlier = [t["seq"] for t in tranches if t["seq"] < seq and t["status"] == "planned"]
    if earlier:
        return f"第{'、'.join(str(s) for s in earlier)}期资金尚未拨付,须按顺序拨付"
    met, reason = _gate(reader, project["id"], tranche["gate"], seq)
    return None if met else reason


# ---- tranches --------------------------------------------------------------------------------------
_TRANCHE_COLS = ("id", "seq", "share", "amount", "gate", "planned_date", "status", "released_on",
                 "released_amount", "approver", "note")


# the columns of :func:`tranches` (a release's fields as its form declares them; the plan's here)
TRANCHE_COLUMNS = columns(
    "id", "seq", "share", "amount", "gate_label", "planned_date", "status_label", "released_on", "released_amount",
    "approver", "note", "blocked_reason", of=Release,
    computed={"seq": "期次", "share": percent("比例(%)"), "amount": money("计划金额(元)"), "gate_label": label("gate"),
              "status_label": label("status"), "blocked_reason": "暂不能拨付的原因"})


def tranches(project_id: int, db=None) -> pd.DataFrame:
    """The project's tranche plan with, per tranche, whether it can be released now and why not:
    id, seq, share, amount, gate, gate_label, planned_date, status, status_label, released_on,
    released_amount, approver, note, releasable, blocked_reason (None when releasable or settled)."""
    db = db or get_db()
    project = projects.get(project_id, db)
    rows = db.fetch_all(f"SELECT {', '.join(_TRANCHE_COLS)} FROM tranches WHERE project_id = ? ORDER BY seq",
                        [project_id])
    out = []
    for t in rows:
        reason = _blocked(db, project, t, rows)
        planned = t["status"] == "planned"
        out.append({
            **{c: t[c] for c in _TRANCHE_COLS},
            "amount": float(t["amount"]),
            "released_amount": None if t["released_amount"] is None else float(t["released_amount"]),
            "gate_label": TRANCHE_GATES.get(t["gate"], t["gate"]),
            "status_label": TRANCHE_STATUS.get(t["status"], t["status"]),
            "releasable": planned and reason is None,
            "blocked_reason": reason if planned else None,
        })
    cols = ["id", "seq", "share", "amount", "gate", "gate_label", "planned_date", "status", "status_label",
            "released_on", "released_amount", "approver", "note", "releasable", "blocked_reason"]
    df = pd.DataFrame(out, columns=cols)
    df["blocked_reason"] = pd.Series([r["blocked_reason"] for r in out], index=df.index, dtype=object)
    return df


def _checked(reader, tranche_id: int) -> dict:
    """The tranche, if it can be released now (TrancheBlocked / NotFound otherwise)."""
    tranche = reader.fetch_one("SELECT * FROM tranches WHERE id = ?", [tranche_id])
    if tranche is None:
        raise NotFound(f"拨付计划(编号 {tranche_id})不存在")
    project = reader.fetch_one("SELECT * FROM projects WHERE id = ?", [tranche["project_id"]])
    plan = reader.fetch_all("SELECT id, seq, status, gate FROM tranches WHERE project_id = ? ORDER BY seq",
                            [tranche["project_id"]])
    reason = _blocked(reader, project, tranche, plan)
    if reason:
        raise TrancheBlocked(reason)
    return tranche


def _within_plan(tranche: dict, record: dict) -> None:
    if _cents(record["released_amount"]) > _cents(tranche["amount"]):
        raise ValidationFailed(fields={"released_amount": [
            f"拨付金额不能超过第{tranche['seq']}期计划金额 {float(tranche['amount']):,.2f} 元"]})


def check_release(tranche_id: int, values: dict, actor: Actor, *, db=None) -> dict:
    """Everything :func:`release` checks, without writing: the validated ``Release`` values plus the
    tranche's ``seq`` and planned ``amount`` (for the confirmation that asks before the release)."""
    _require(TRANCHE, actor)
    db = db or get_db()
    tranche = _checked(db, tranche_id)
    record = validate(Release, values, context=projects.date_context(tranche["project_id"], db))
    _within_plan(tranche, record)
    return {**record, "seq": int(tranche["seq"]), "amount": float(tranche["amount"])}


def release(tranche_id: int, values: dict, actor: Actor, *, db=None) -> None:
    """Release (拨付) a planned tranche: ``values`` per ``Release`` (released_on, released_amount,
    approver, note). Refused with TrancheBlocked when the gate is not met, the project is stopped,
    terminated or closed, the tranche is not planned (e.g. already released: a second click releases
    nothing) or an earlier one is still planned; the amount may not exceed the planned one. Writes the
    tranche and a timeline event; when the final evaluation has passed and nothing is left to release,
    the project is closed in the same unit."""
    _require(TRANCHE, actor)
    db = db or get_db()
    pid = _checked(db, tranche_id)["project_id"]  # the refusal before the form's own messages
    record = validate(Release, values, context=projects.date_context(pid, db))
    with records.unit(actor, db) as u:
        tranche = _checked(u.tx, tranche_id)  # again under the write lock: an evaluation or release may have landed
        pid = tranche["project_id"]
        _within_plan(tranche, record)
        u.update(TRANCHE, tranche_id, {}, system={
            "status": "released", "released_on": record["released_on"],
            "released_amount": record["released_amount"], "approver": record["approver"], "note": record["note"],
        }, action="release", note=record["note"])
        projects.add_event_in(
            u, pid, f"拨付第{tranche['seq']}期资金",
            f"{float(record['released_amount']):,.2f} 元,审批人 {record['approver']}"
            + (f";{record['note']}" if record["note"] else ""),
            record["released_on"])
        left = u.tx.fetch_one("SELECT count(*) AS n FROM tranches WHERE project_id = ? AND status = 'planned'",
                              [pid])["n"]
        if not left and _latest_passed(u.tx, pid, "final"):
            projects.set_state_in(u, pid, "closed", note="末期评估已通过,资金已全部拨付,项目自动结项",
                                  when=record["released_on"])


# ---- expenses --------------------------------------------------------------------------------------
# the columns of :func:`expenses` (an expense's fields as its form declares them)
EXPENSE_COLUMNS = columns("id", "expense_date", "line_label", "amount", "description", "voucher_no", "over_reason",
                          "created_by", of=Expense,
                          computed={"line_label": label("line", of=Expense), "created_by": "登记人"})


def expenses(project_id: int, db=None) -> pd.DataFrame:
    """id, expense_date, line, line_label, amount, description, voucher_no, over_reason, created_by."""
    db = db or get_db()
    scope.require("project", project_id, db=db)
    df = db.fetch_df("SELECT id, expense_date, line, amount, description, voucher_no, over_reason, created_by"
                     " FROM expenses WHERE project_id = ? ORDER BY expense_date, id", [project_id])
    df.insert(3, "line_label", pd.Series([BUDGET_LINES.get(v, v) for v in df["line"]], index=df.index, dtype=object))
    df["amount"] = df["amount"].astype(float)
    return df


def add_expense(project_id: int, values: dict, actor: Actor, *, db=None) -> int:
    """Book an expense (``Expense`` values) on one budget line; returns its id. Refused
    (ExpenseRefused) when the project is terminated or closed; the voucher number is unique within
    the project; a reason is required when the line's total goes over its budget by more than the
    round's margin (checked under the write lock). Returns the expense id."""
    _require(EXPENSE, actor)
    db = db or get_db()

    def check(reader) -> dict:
        project = reader.fetch_one(f"SELECT state, {', '.join(BUDGET_LINES)} FROM projects WHERE id = ?", [project_id])
        if project is None:
            raise NotFound(f"立项项目(编号 {project_id})不存在")
        if project["state"] in ("terminated", "closed"):
            raise ExpenseRefused(f"项目{PROJECT_STATES[project['state']]},不能再登记支出")
        return project

    check(db)
    record = validate(Expense, values, context=projects.date_context(project_id, db))
    policy = monitoring_policy.policy_for_project(project_id, db)
    line = record["line"]
    with records.unit(actor, db) as u:
        project = check(u.tx)
        hit = u.tx.fetch_one("SELECT id FROM expenses WHERE project_id = ? AND voucher_no = ?",
                             [project_id, record["voucher_no"]])
        if hit:
            raise ValidationFailed(fields={"voucher_no": [
                f"凭证号 {record['voucher_no']} 已在本项目登记过(支出编号 {hit['id']})"]})
        spent = u.tx.fetch_one("SELECT coalesce(sum(amount), 0) AS s FROM expenses WHERE project_id = ? AND line = ?",
                               [project_id, line])["s"]
        budget_c, total_c = _cents(project[line]), _cents(spent) + _cents(record["amount"])
        # over by more than the margin: total > budget * (1 + margin / 100), in cents
        if total_c * 100 > budget_c * (100 + policy.expense_margin) + 1e-6 and blank(record.get("over_reason")):
            over = f"超出预算 {100.0 * (total_c - budget_c) / budget_c:.1f}%" if budget_c else "该科目无预算"
            raise ValidationFailed(fields={"over_reason": [
                f"「{BUDGET_LINES.get(line, line)}」科目预算 {budget_c / 100:,.2f} 元,计入本笔后累计支出"
                f" {total_c / 100:,.2f} 元,{over}(容许 {policy.expense_margin:g}%),请填写超支说明"]})
        return u.create(EXPENSE, record, system={"project_id": project_id}, validated=True)


# ---- execution -------------------------------------------------------------------------------------
def _rate(spent: float, budget: float) -> float | None:
    return round(100.0 * spent / budget, 1) if budget else None


# the columns of :func:`execution`
EXECUTION_COLUMNS = columns("label", "budget", "spent", "rate",
                            computed={"label": label("line", of=Expense), "budget": money("预算(元)"), "spent": money("已支出(元)"),
                                      "rate": percent("执行率(%)")})


def execution(project_id: int, db=None) -> pd.DataFrame:
    """经费执行率 per budget line: line, label, budget, spent, rate (% rounded to 0.1; None when the
    budget is 0), over (spent > budget); then the total row (line "total", label "合计")."""
    db = db or get_db()
    scope.require("project", project_id, db=db)
    projects.get(project_id, db)
    budget_sql = " UNION ALL ".join(f"SELECT '{c}' AS line, {c} AS budget FROM projects WHERE id = ?"
                                    for c in BUDGET_LINES)
    rows = db.fetch_all(
        f"SELECT b.line, b.budget, coalesce(s.spent, 0) AS spent FROM ({budget_sql}) b"
        " LEFT JOIN (SELECT line, sum(amount) AS spent FROM expenses WHERE project_id = ? GROUP BY line) s"
        " ON s.line = b.line", [project_id] * len(BUDGET_LINES) + [project_id])
    by_line = {r["line"]: (_cents(r["budget"]), _cents(r["spent"])) for r in rows}
    out = []
    for line, label in BUDGET_LINES.items():
        b, s = by_line.get(line, (0, 0))
        out.append({"line": line, "label": label, "budget": b / 100, "spent": s / 100, "rate": _rate(s, b),
                    "over": s > b})
    b = sum(v[0] for v in by_line.values())
    s = sum(v[1] for v in by_line.values())
    out.append({"line": "total", "label": "合计", "budget": b / 100, "spent": s / 100, "rate": _rate(s, b),
                "over": s > b})
    df = pd.DataFrame(out, columns=["line", "label", "budget", "spent", "rate", "over"])
    df["rate"] = pd.Series([r["rate"] for r in out], index=df.index, dtype=object)  # None stays None
    return df


def summary(project_id: int, *, today: dt.date | None = None, db=None) -> dict:
    """granted, released, spent (元); released_pct and execution_pct (of the granted amount) and
    elapsed_pct (share of the project period elapsed at ``today``, 0..100), rounded to 0.1."""
    db = db or get_db()
    scope.require("project", project_id, db=db)
    today = today or dt.date.today()
    row = db.fetch_one(
        "SELECT p.granted_amount, p.start_date, p.end_date,"
        " (SELECT coalesce(sum(t.released_amount), 0) FROM tranches t"
        "  WHERE t.project_id = p.id AND t.status = 'released') AS released,"
        " (SELECT coalesce(sum(e.amount), 0) FROM expenses e WHERE e.project_id = p.id) AS spent"
        " FROM projects p WHERE p.id = ?", [project_id])
    if row is None:
        raise NotFound(f"立项项目(编号 {project_id})不存在")
    granted, released, spent = _cents(row["granted_amount"]), _cents(row["released"]), _cents(row["spent"])
    days = (row["end_date"] - row["start_date"]).days
    gone = (today - row["start_date"]).days
    elapsed = 100.0 if days <= 0 else min(max(100.0 * gone / days, 0.0), 100.0)
    return {
        "granted": granted / 100, "released": released / 100, "spent": spent / 100,
        "released_pct": _rate(released, granted), "execution_pct": _rate(spent, granted),
        "elapsed_pct": round(elapsed, 1),
    }


def execution_by_project(db=None) -> pd.DataFrame:
    """Every project: project_id, granted, released, spent, execution_pct (spent / granted, % to 0.1)."""
    db = db or get_db()
    params: list = []
    mine = scope.projects_in("p.id", params)  # the projects of the reader's hubs
    df = db.fetch_df(
        "SELECT p.id AS project_id, CAST(p.granted_amount AS DOUBLE) AS granted,"
        " CAST(coalesce(r.released, 0) AS DOUBLE) AS released, CAST(coalesce(s.spent, 0) AS DOUBLE) AS spent,"
        " CASE WHEN p.granted_amount > 0 THEN round(100.0 * coalesce(s.spent, 0) / p.granted_amount, 1) END"
        "  AS execution_pct"
        " FROM projects p"
        " LEFT JOIN (SELECT project_id, sum(released_amount) AS released FROM tranches WHERE status = 'released'"
        "  GROUP BY project_id) r ON r.project_id = p.id"
        " LEFT JOIN (SELECT project_id, sum(amount) AS spent FROM expenses GROUP BY project_id) s"
        "  ON s.project_id = p.id"
        f" WHERE {mine} ORDER BY p.id", params)
    df["execution_pct"] = df["execution_pct"].astype(float)
    return df
