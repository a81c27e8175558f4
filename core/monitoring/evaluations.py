"""中期/末期评估 of funded projects, scored on the round policy's evaluation form.

An evaluation's total is the sum of its item scores; the policy grades it (A/B/C on the form's full
mark) and says which grades pass. A failed evaluation needs a 处理方式: 停止拨付 (the project is
``stopped`` until a re-evaluation passes) or 终止项目 (``terminated``, the money to recover is stored and
every tranche not yet released is cancelled). A report still missing after the policy's grace period
can be recorded as a failed evaluation (method 逾期未报). The final evaluation needs a passed mid-term;
a project closes once its final evaluation passed and every tranche is settled.

Every outcome is written in one unit with the evaluation row, with its timeline events.
"""
from __future__ import annotations

import datetime as dt
import json

import pandas as pd
import pandera.pandas as pa

from core.intake import scope
from core.monitoring import monitoring_policy, projects
from core.platform import records
from core.platform.actor import Actor
from core.platform.db import get_db
from core.platform.entities import Entity, granted, register
from core.platform.errors import HubError, PermissionDenied, ValidationFailed
from core.monitoring.money import TRANCHE, _latest_passed
from core.platform.validation import validate
from schemas.base import blank
from schemas.choices import FAIL_ACTIONS
from schemas.columns import columns
from schemas.monitoring import (
    EVALUATION_KINDS, EVALUATION_OUTCOMES, PROJECT_STATES, SATISFACTION_ITEM, EvaluationBase,
)
from schemas.stored import Evaluation as StoredEvaluation

STAFF = frozenset({"admin", "staff"})

EVALUATION = register(Entity(
    name="evaluation", table="evaluations", label="项目评估", write_roles=STAFF, title_field="kind",
    schema=StoredEvaluation, hub_via=scope.VIA_PROJECT,  # the hub of its project's round (core.intake.scope)
))

MISSING_METHOD = "逾期未报"
FAIL_ACTION_REQUIRED = "评估未通过时须选择处理方式"
_REPORT_NAMES = {"midterm": "中期", "final": "末期"}
PARTY_FIELDS = ("evaluator_org_id", "evaluator_partner_id", "evaluator_expert")  # third-party evaluators (optional)
_BEFORE_SCORES = ("report_date", "self_report", "eval_date", "method", "evaluator", *PARTY_FIELDS)  # then the items


class EvaluationRefused(HubError):
    """The evaluation (or closing) is not possible in the project's present state."""


def _require(actor: Actor) -> None:
    if not granted(actor, EVALUATION, "create"):
        raise PermissionDenied(f"当前账号无权修改{EVALUATION.label}")


def _kind(kind: str) -> str:
    if kind not in EVALUATION_KINDS:
        raise ValueError(f"unknown evaluation kind {kind!r}")
    return EVALUATION_KINDS[kind]


# ---- the form --------------------------------------------------------------------------------------
def form_schema(policy: monitoring_policy.Policy) -> pa.DataFrameSchema:
    """``EvaluationBase`` (with its cross-field rule and text tidying) plus one required score per item
    of ``policy.eval_form``, ``score_1`` .. ``score_n``, each between 0 and the item's points."""
    base = EvaluationBase.to_schema()
    scores = {
        f"score_{i}": pa.Column(
            float, nullable=False, coerce=True, checks=[pa.Check.in_range(0, float(points))],
            metadata={"label": f"{item}(满分{points:g})", "help": None, "widget": "float", "source": None,
                      "placeholder": None},
        )
        for i, (item, points) in enumerate(policy.eval_form, start=1)
    }
    first = {n: c for n, c in base.columns.items() if n in _BEFORE_SCORES}
    rest = {n: c for n, c in base.columns.items() if n not in _BEFORE_SCORES}
    return pa.DataFrameSchema({**first, **scores, **rest}, checks=base.checks, parsers=base.parsers,
                              coerce=True, strict=base.strict, name="Evaluation")


def satisfaction_field(policy: monitoring_policy.Policy) -> tuple[str, str, float] | None:
    """(form field, item, maximum points) of the policy's item that residents' satisfaction feeds
    (:data:`schemas.monitoring.SATISFACTION_ITEM`), or None when the round's scoring form has no such item."""
    for i, (item, points) in enumerate(policy.eval_form, start=1):
        if item == SATISFACTION_ITEM:
            return f"score_{i}", item, float(points)
    return None


def form_for(project_id: int, db=None) -> pa.DataFrameSchema:
    """The evaluation form of the project's round."""
    return form_schema(monitoring_policy.policy_for_project(project_id, db))


# ---- refusals (read with the Database, or with the open Transaction under the write lock) ----------
def _passed_exists(reader, project_id: int, kind: str) -> bool:
    return reader.fetch_one("SELECT 1 AS x FROM evaluations WHERE project_id = ? AND kind = ? AND passed LIMIT 1",
                            [project_id, kind]) is not None


def _record_refusal(reader, project: dict, kind: str) -> str | None:
    label = EVALUATION_KINDS[kind]
    if project["state"] in ("terminated", "closed"):
        return f"项目{PROJECT_STATES[project['state']]},不能再评估"
    if _passed_exists(reader, project["id"], kind):
        return f"该项目的{label}已通过,不能重复评估"
    if kind == "final" and not _passed_exists(reader, project["id"], "midterm"):
        return "中期评估尚未通过,不能进行末期评估"
    return None


def _missing_refusal(reader, project: dict, kind: str, grace: int, today: dt.date) -> str | None:
    label = EVALUATION_KINDS[kind]
    if project["state"] not in ("active", "stopped"):
        return f"项目{PROJECT_STATES[project['state']]},不能再评估"
    if reader.fetch_one("SELECT 1 AS x FROM evaluations WHERE project_id = ? AND kind = ? LIMIT 1",
                        [project["id"], kind]) is not None:
        return f"该项目已有{label}记录,不属于逾期未报"
    due = project[f"{kind}_due"]
    if (today - due).days <= grace:
        return (f"{label}报告截止于 {due:%Y-%m-%d},宽限 {grace} 天(至 {due + dt.timedelta(days=grace):%Y-%m-%d}),"
                "尚未超过宽限期")
    return None


# ---- writing ---------------------------------------------------------------------------------------
def _write(u: records.Unit, project: dict, kind: str, row: dict, action: str | None,
           recover: float | None, when: dt.date) -> int:
    """The evaluation row and its consequences for the project (state, tranches), with events."""
    pid, label, passed = project["id"], EVALUATION_KINDS[kind], row["passed"]
    outcome = "pass" if passed else action
    eid = u.create(EVALUATION, {**row, "kind": kind, "outcome": outcome,
                                "recover_amount": recover if outcome == "terminate" else None},
                   system={"project_id": pid}, validated=True)
    projects.add_event_in(
        u, pid, f"{label}{'通过' if passed else '未通过'}",
        f"{row['grade']}等,{row['total_score']:g}分;{row['method']},评估人 {row['evaluator']};"
        f"处理:{EVALUATION_OUTCOMES[outcome]}", when)
    state = project["state"]
    if passed:
        if state == "stopped":
            projects.set_state_in(u, pid, "active", note=f"{label}通过,恢复拨付", when=when)
    elif outcome == "stop":
        if state != "stopped":
            projects.set_state_in(u, pid, "stopped", note=f"{label}未通过,停止拨付", when=when)
    else:  # terminate
        amount = float(recover or 0)
        projects.set_state_in(u, pid, "terminated", note=f"{label}未通过,终止项目,追回资金 {amount:,.2f} 元",
                              recover_amount=amount, when=when)
        planned = u.tx.fetch_all("SELECT id, seq, amount FROM tranches WHERE project_id = ? AND status = 'planned'"
                                 " ORDER BY seq", [pid])
        for t in planned:
            u.update(TRANCHE, t["id"], {}, system={"status": "cancelled", "note": "项目终止,取消拨付"},
                     action="cancel", note="项目终止")
        if planned:
            projects.add_event_in(
                u, pid, "取消未拨付资金",
                f"第{'、'.join(str(t['seq']) for t in planned)}期,共 {sum(float(t['amount']) for t in planned):,.2f} 元",
                when)
    return eid


def _prepare(project: dict, kind: str, values: dict, db, today: dt.date) -> tuple[dict, str | None, dict]:
    """Validate an evaluation of ``project``: (row to store, fail action, clean values)."""
    refusal = _record_refusal(db, project, kind)
    if refusal:
        raise EvaluationRefused(refusal)
    policy = monitoring_policy.policy_for(project["round_id"], db)
    clean = validate(form_schema(policy), values, context=projects.date_context(project["id"], db))
    if clean["eval_date"] > today:
        raise ValidationFailed(fields={"eval_date": ["评估日期不能晚于今天"]})
    scores = {item: float(clean[f"score_{i}"]) for i, (item, _) in enumerate(policy.eval_form, start=1)}
    total = round(sum(scores.values()), 2)
    grade = policy.grade(total)
    passed = policy.passes(grade)
    action = None if passed else clean.get("fail_action")
    if not passed and blank(action):
        raise ValidationFailed(fields={"fail_action": [FAIL_ACTION_REQUIRED]})
    row = {k: clean.get(k) for k in ("report_date", "self_report", "eval_date", "method", "evaluator", *PARTY_FIELDS,
                                     "conclusion")}
    row.update(item_scores=json.dumps(scores, ensure_ascii=False), total_score=total, grade=grade, passed=passed)
    return row, action, clean


def refusal(project_id: int, kind: str, db=None) -> str | None:
    """Why an evaluation of ``kind`` cannot be recorded now (None: it can), to say so before the form."""
    _kind(kind)
    db = db or get_db()
    return _record_refusal(db, projects.get(project_id, db), kind)


def preview(project_id: int, kind: str, values: dict, actor: Actor, *, db=None, today: dt.date | None = None) -> dict:
    """Everything :func:`record` checks, without writing, and what it would do: total, grade, passed,
    outcome (pass | stop | terminate), recover_amount and, on termination, the planned tranches it would
    cancel (``cancelled``: [{seq, amount}]) — for the confirmation that asks before a termination."""
    _require(actor)
    _kind(kind)
    db = db or get_db()
    project = projects.get(project_id, db)
    row, action, clean = _prepare(project, kind, values, db, today or dt.date.today())
    outcome = "pass" if row["passed"] else action
    cancelled = [] if outcome != "terminate" else [
        {"seq": int(t["seq"]), "amount": float(t["amount"])} for t in db.fetch_all(
            "SELECT seq, amount FROM tranches WHERE project_id = ? AND status = 'planned' ORDER BY seq", [project_id])]
    return {"total": row["total_score"], "grade": row["grade"], "passed": row["passed"], "outcome": outcome,
            "recover_amount": float(clean.get("recover_amount") or 0) if outcome == "terminate" else None,
            "cancelled": cancelled}


def record(project_id: int, kind: str, values: dict, actor: Actor, *, db=None, today: dt.date | None = None) -> int:
    """Record a mid-term or final evaluation (values per :func:`form_schema` of the project's round);
    returns the evaluation id. Refused (EvaluationRefused) when the project is terminated or closed,
    when a passed evaluation of this kind exists, and for a final evaluation without a passed mid-term.
    A failed evaluation needs ``fail_action`` (stop | terminate, with ``recover_amount``)."""
    _require(actor)
    _kind(kind)
    db = db or get_db()
    today = today or dt.date.today()
    project = projects.get(project_id, db)
    row, action, clean = _prepare(project, kind, values, db, today)
    with records.unit(actor, db) as u:
        project = u.tx.fetch_one("SELECT * FROM projects WHERE id = ?", [project_id])
        refusal = _record_refusal(u.tx, project, kind)
        if refusal:  # another evaluation landed while the form was open
            raise EvaluationRefused(refusal)
        return _write(u, project, kind, row, action, clean.get("recover_amount"), clean["eval_date"])


def fail_missing_report(project_id: int, kind: str, actor: Actor, *, action: str = "stop",
                        recover_amount: float = 0.0, today: dt.date | None = None, db=None) -> int:
    """Record a report still missing after the grace period as a failed evaluation (method 逾期未报,
    all scores 0, grade C) with ``action`` (stop | terminate; ``recover_amount`` on termination).
    Returns the evaluation id; EvaluationRefused unless the report is past its grace period and missing."""
    _require(actor)
    _kind(kind)
    if action not in FAIL_ACTIONS:
        raise ValidationFailed(fields={"fail_action": ["请选择处理方式"]})
    db = db or get_db()
    today = today or dt.date.today()
    project = projects.get(project_id, db)
    policy = monitoring_policy.policy_for(project["round_id"], db)
    row = {
        "report_date": None, "self_report": None, "eval_date": today, "method": MISSING_METHOD,
        "evaluator": actor.username,
        "item_scores": json.dumps({item: 0.0 for item, _ in policy.eval_form}, ensure_ascii=False),
        "total_score": 0.0, "grade": "C", "passed": False,
        "conclusion": f"逾期未提交{_REPORT_NAMES[kind]}自评报告,视为评估不合格",
    }
    with records.unit(actor, db) as u:
        project = u.tx.fetch_one("SELECT * FROM projects WHERE id = ?", [project_id])
        refusal = _missing_refusal(u.tx, project, kind, policy.report_grace_days, today)
        if refusal:
            raise EvaluationRefused(refusal)
        return _write(u, project, kind, row, action, float(recover_amount or 0), today)


def _close_refusal(reader, project_id: int) -> str | None:
    project = reader.fetch_one("SELECT id, state FROM projects WHERE id = ?", [project_id])
    if project["state"] in ("closed", "terminated"):
        return f"项目{PROJECT_STATES[project['state']]},不能结项"
    missing = []
    if not _latest_passed(reader, project_id, "final"):
        missing.append("末期评估尚未通过")
    planned = [r["seq"] for r in reader.fetch_all(
        "SELECT seq FROM tranches WHERE project_id = ? AND status = 'planned' ORDER BY seq", [project_id])]
    if planned:
        missing.append(f"第{'、'.join(str(s) for s in planned)}期资金尚未拨付或取消")
    return ("项目暂不能结项:" + ";".join(missing)) if missing else None


def close_refusal(project_id: int, db=None) -> str | None:
    """Why the project cannot be closed now (None: it can), to say so beside the 结项 button."""
    db = db or get_db()
    projects.get(project_id, db)
    return _close_refusal(db, project_id)


def close(project_id: int, actor: Actor, *, db=None, today: dt.date | None = None) -> None:
    """结项: a project whose final evaluation passed and whose tranches are all released or cancelled;
    otherwise EvaluationRefused naming what is missing (a second 结项 is refused: already closed)."""
    _require(actor)
    db = db or get_db()
    today = today or dt.date.today()
    projects.get(project_id, db)
    with records.unit(actor, db) as u:
        refusal = _close_refusal(u.tx, project_id)
        if refusal:
            raise EvaluationRefused(refusal)
        projects.set_state_in(u, project_id, "closed", note="末期评估通过,资金已结清,项目结项", when=today)


# ---- reading ---------------------------------------------------------------------------------------
def _case(column: str, labels: dict) -> str:
    return f"CASE {column} " + " ".join(f"WHEN '{k}' THEN '{v}'" for k, v in labels.items()) + " END"


# the columns of :func:`evaluations` (the form's fields as it declares them; the computed ones here)
EVALUATION_COLUMNS = columns(
    "id", "kind_label", "report_date", "self_report", "eval_date", "method", "evaluator", "party", "item_scores",
    "total_score", "grade", "passed", "outcome_label", "recover_amount", "conclusion", of=EvaluationBase,
    computed={"kind_label": "评估类型", "outcome_label": "处理方式", "party": "评估方"})

# 评估方: the evaluating organisation (registered organisation or partner) and expert, as one text; NULL for an
# evaluation that names only its free-text evaluator
_PARTY_SQL = (
    "nullif(concat_ws(';', coalesce((SELECT o.name FROM organisations o WHERE o.id = evaluations.evaluator_org_id),"
    " (SELECT pt.name FROM partners pt WHERE pt.id = evaluations.evaluator_partner_id)),"
    " CASE WHEN evaluator_expert IS NOT NULL THEN '专家 ' || coalesce((SELECT u.name FROM users u"
    " WHERE u.username = evaluations.evaluator_expert), evaluator_expert) END), '')")


def evaluations(project_id: int, db=None) -> pd.DataFrame:
    """The project's evaluations, oldest first: id, kind, kind_label, report_date, self_report, eval_date, method,
    evaluator, party, total_score, grade, passed, outcome, outcome_label, recover_amount, conclusion, item_scores (dict)."""
    db = db or get_db()
    scope.require("project", project_id, db=db)
    df = db.fetch_df(
        f"SELECT id, kind, {_case('kind', EVALUATION_KINDS)} AS kind_label, report_date, self_report, eval_date,"
        f" method, evaluator, {_PARTY_SQL} AS party, total_score, grade, passed, outcome,"
        f" {_case('outcome', EVALUATION_OUTCOMES)} AS outcome_label,"
        " CAST(recover_amount AS DOUBLE) AS recover_amount, conclusion, item_scores"
        " FROM evaluations WHERE project_id = ? ORDER BY eval_date, id", [project_id])
    df["item_scores"] = pd.Series([json.loads(v) if isinstance(v, str) and v else {} for v in df["item_scores"]],
                                  index=df.index, dtype=object)
    return df


# the columns of :func:`due_reports`
DUE_COLUMNS = columns("project_id", "agreement_no", "title", "kind_label", "due", "days_overdue", "past_grace",
                      computed={**projects.COLUMNS.pick("agreement_no", "title"), "project_id": "项目编号",
                                "kind_label": "报告", "due": "截止日期", "days_overdue": "逾期天数",
                                "past_grace": "已过宽限期"})


def due_reports(*, today: dt.date | None = None, db=None) -> pd.DataFrame:
    """Running projects (active or stopped) whose mid-term or final report date has passed without an
    evaluation of that kind: project_id, agreement_no, title, kind, kind_label, due, days_overdue,
    past_grace (days_overdue > the round policy's report_grace_days); most overdue first."""
    db = db or get_db()
    today = today or dt.date.today()
    params: list = [monitoring_policy.DEFAULT.report_grace_days]
    mine = scope.rounds_in("a.round_id", params)  # the projects of the reader's hubs
    return db.fetch_df(
        "WITH running AS ("
        " SELECT p.id, p.agreement_no, a.title, p.midterm_due, p.final_due,"
        "  coalesce(m.report_grace_days, ?) AS grace"
        " FROM projects p JOIN applications a ON a.id = p.application_id"
        " LEFT JOIN monitoring_policies m ON m.round_id = a.round_id"
        f" WHERE p.state IN ('active', 'stopped') AND {mine}),"
        " due AS ("
        " SELECT id, agreement_no, title, 'midterm' AS kind, midterm_due AS due, grace FROM running"
        " UNION ALL SELECT id, agreement_no, title, 'final' AS kind, final_due AS due, grace FROM running)"
        f" SELECT d.id AS project_id, d.agreement_no, d.title, d.kind, {_case('d.kind', EVALUATION_KINDS)}"
        "  AS kind_label, d.due, date_diff('day', d.due, CAST(? AS DATE)) AS days_overdue,"
        "  date_diff('day', d.due, CAST(? AS DATE)) > d.grace AS past_grace"
        " FROM due d WHERE d.due < CAST(? AS DATE)"
        " AND NOT EXISTS (SELECT 1 FROM evaluations e WHERE e.project_id = d.id AND e.kind = d.kind)"
        " ORDER BY days_overdue DESC, d.id, d.kind DESC",
        [*params, today, today, today])
