"""风险预警: rules over the running projects (state active or stopped), each with a severity and a
threshold an admin may change (``risk_settings``), and acknowledgements by staff that hide a warning
until a date (``risk_acks``); after that date the warning reopens if its condition still holds.

The rules (``RULES``, the one place they live), all judged at ``today``:

- milestone_overdue: a milestone without done_on (or done after today) more than ``threshold`` days
  past its due date;
- activity_pace / person_pace: activities (person-times) below ``threshold`` % of the pro-rata plan
  (:mod:`core.monitoring.ledger` progress), only once at least 15% of the period has elapsed;
- execution_gap: |经费执行率 − share of the period elapsed| greater than ``threshold`` percentage points,
  where 经费执行率 = expenses up to today / granted amount × 100;
- report_overdue: the mid-term (final) report due date passed by more than ``threshold`` days without
  a mid-term (final) evaluation dated up to today;
- idle: more than ``threshold`` days without an activity, counted from the later of start_date and the
  last activity, while today is inside the project's period.

Every rule is one set-based query (or a filter of the one ``ledger.progress_all`` query), so the
board stays fast with thousands of projects.
"""
from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import Callable

import pandas as pd

from core.intake import scope
from core.monitoring import ledger, projects
from core.platform import cache, records, users
from core.platform.actor import Actor
from core.platform.db import get_db
from core.platform.entities import Entity, may, register
from core.platform.errors import NotFound, PermissionDenied, ValidationFailed
from schemas.columns import columns, label
from schemas.monitoring import RiskAck
from schemas.stored import RiskSetting

STAFF = frozenset({"admin", "staff"})

RISK_ACK = register(Entity(
    name="risk_ack", table="risk_acks", label="预警处理", schema=RiskAck, write_roles=STAFF, title_field="code",
    hub_via=scope.VIA_PROJECT,  # the hub of its project's round (core.intake.scope)
))
RISK_SETTING = register(Entity(
    name="risk_setting", table="risk_settings", label="预警规则设置", write_roles=frozenset(),
    key="code", key_generated=False, title_field="code", stamps=False, schema=RiskSetting,
    rules=(users.operator_rule("预警规则对所有枢纽生效:由最上级枢纽的管理员设置"),),
))

SEVERITIES = ("高", "中", "低")
PACE_MIN_ELAPSED = 0.15  # the pace rules wait until this share of the period has elapsed


@dataclass(frozen=True)
class Rule:
    code: str
    label: str
    severity: str = "中"
    threshold: float = 0.0
    unit: str = ""
    help: str = ""


RULES: tuple[Rule, ...] = (
    Rule("milestone_overdue", "里程碑逾期", "中", 0, "天",
         "里程碑超过计划日期该天数仍未填写完成日期"),
    Rule("activity_pace", "活动进度滞后", "中", 50, "%",
         "已开展活动场次低于按执行期折算的计划场次的该百分比(执行期过 15% 后才判断)"),
    Rule("person_pace", "服务人次滞后", "中", 50, "%",
         "已服务人次低于按执行期折算的计划人次的该百分比(执行期过 15% 后才判断)"),
    Rule("execution_gap", "经费执行偏差", "低", 30, "个百分点",
         "经费执行率与执行期已过比例相差超过该百分点数"),
    Rule("report_overdue", "报告逾期未评估", "高", 0, "天",
         "中期/末期报告截止超过该天数仍无对应的评估记录"),
    Rule("idle", "长期未开展活动", "中", 30, "天",
         "执行期内超过该天数没有登记服务活动(从执行开始或最近一次活动算起)"),
)
RULE_BY_CODE: dict[str, Rule] = {r.code: r for r in RULES}

# the columns of :func:`warnings` and :func:`board` (the acknowledgement's fields as its form declares them)
WARNING_COLUMNS = columns(
    "project_id", "agreement_no", "title", "org", "code", "rule", "severity", "detail", "acknowledged", "ack_note",
    "ack_until", "ack_by", of=RiskSetting,
    computed={**projects.COLUMNS.pick("agreement_no", "title", "org"), "project_id": "项目编号", "rule": "预警规则",
              "detail": "情况", "acknowledged": "处理状态", "ack_note": label("note", of=RiskAck),
              "ack_until": label("until", of=RiskAck), "ack_by": "处理人"})
# the columns of :func:`setting_rows` (a rule and its current setting, as the stored setting declares it)
SETTING_COLUMNS = columns("code", "rule", "severity", "threshold", "unit", "enabled", "help", of=RiskSetting,
                          computed={"rule": WARNING_COLUMNS["rule"], "unit": "单位", "help": "规则说明"})
_RUNNING = "p.state IN ('active', 'stopped')"


def rule(code: str) -> Rule:
    if code not in RULE_BY_CODE:
        raise ValidationFailed(fields={"code": [f"未知的预警规则:{code}"]})
    return RULE_BY_CODE[code]


# ---- settings --------------------------------------------------------------------------------------
def settings(db=None) -> dict[str, dict]:
    """code -> {severity, threshold, enabled}: the stored row where there is one, else the rule's default."""
    db = db or get_db()
    stored = {r["code"]: r for r in db.fetch_all("SELECT code, severity, threshold, enabled FROM risk_settings")}
    out = {}
    for r in RULES:
        s = stored.get(r.code)
        out[r.code] = ({"severity": s["severity"], "threshold": float(s["threshold"]), "enabled": bool(s["enabled"])}
                       if s else {"severity": r.severity, "threshold": float(r.threshold), "enabled": True})
    return out


def setting_rows(db=None) -> pd.DataFrame:
    """Every rule with its current setting, in the rules' order: code, rule, severity, threshold, unit, enabled,
    help (``SETTING_COLUMNS``)."""
    current = settings(db)
    return pd.DataFrame([{"code": r.code, "rule": r.label, "severity": current[r.code]["severity"],
                          "threshold": float(current[r.code]["threshold"]), "unit": r.unit,
                          "enabled": bool(current[r.code]["enabled"]), "help": r.help} for r in RULES],
                        columns=list(SETTING_COLUMNS))


def _setting_values(code: str, values: dict, current: dict) -> dict:
    problems: dict[str, list[str]] = {}
    severity = values.get("severity", current["severity"])
    if severity not in SEVERITIES:
        problems["severity"] = ["预警级别须为 高、中 或 低"]
    threshold = values.get("threshold", current["threshold"])
    try:
        threshold = float(threshold)
        if math.isnan(threshold) or math.isinf(threshold):
            raise ValueError
    except (TypeError, ValueError):
        problems["threshold"] = ["阈值须为数字"]
    else:
        if threshold < 0:
            problems["threshold"] = ["阈值不能小于0"]
    enabled = values.get("enabled", current["enabled"])
    if not isinstance(enabled, bool):
        problems["enabled"] = ["请选择是否启用"]
    if problems:
        raise ValidationFailed(fields=problems)
    return {"severity": severity, "threshold": threshold, "enabled": enabled}


def may_set(actor: Actor | None, db=None) -> bool:
    """May ``actor`` change the rules' settings (the install's operator: they hold for every hub)?"""
    return may(actor, RISK_SETTING, "update", {"code": ""}, db=db)


def save_setting(code: str, values: dict, actor: Actor, db=None) -> bool:
    """Change a rule's severity / threshold / enabled (admin only; audited). Missing keys keep their
    current value. Returns False when nothing changed."""
    db = db or get_db()
    if not may_set(actor, db):
        raise PermissionDenied(users.NOT_OPERATOR_SETTING if actor.has("admin") else "只有管理员可以修改预警规则设置")
    rule(code)
    record = _setting_values(code, values, settings(db)[code])
    stamp = {"updated_at": dt.datetime.now(), "updated_by": actor.username}
    with records.unit(actor, db) as u:
        if u.fetch(RISK_SETTING, code) is None:
            u.create(RISK_SETTING, {"code": code, **record}, system=stamp, validated=True)
            return True
        return u.update(RISK_SETTING, code, record, touch=stamp, validated=True)


# ---- the rules -------------------------------------------------------------------------------------
def _num(x: float) -> str:
    r = round(float(x), 1)
    return f"{r:.0f}" if r == int(r) else f"{r:.1f}"


def _day(value) -> str:
    return f"{pd.Timestamp(value):%Y-%m-%d}"


def _where_project(project_id: int | None) -> tuple[str, list]:
    return (" AND p.id = ?", [project_id]) if project_id is not None else ("", [])


def _milestone_overdue(db, today, threshold, progress, project_id) -> pd.DataFrame:
    extra, params = _where_project(project_id)
    df = db.fetch_df(
        "SELECT m.project_id, count(*) AS n, min(m.due_date) AS first_due,"
        " arg_min(m.deliverable, m.due_date) AS deliverable,"
        " max(date_diff('day', m.due_date, CAST(? AS DATE))) AS days"
        " FROM project_milestones m JOIN projects p ON p.id = m.project_id"
        f" WHERE {_RUNNING}{extra} AND (m.done_on IS NULL OR m.done_on > ?)"
        " AND date_diff('day', m.due_date, CAST(? AS DATE)) > ? GROUP BY m.project_id",
        [today, *params, today, today, threshold])
    df["detail"] = [
        (f"里程碑「{r.deliverable}」计划 {_day(r.first_due)} 完成,已逾期 {int(r.days)} 天" if r.n == 1 else
         f"{int(r.n)} 个里程碑逾期未完成,最早的「{r.deliverable}」计划 {_day(r.first_due)} 完成,已逾期 {int(r.days)} 天")
        for r in df.itertuples()]
    return df


def _pace(kind: str):
    actual, expected, pace = ((("activities", "expected_activities", "activity_pace"))
                              if kind == "activity" else ("person_times", "expected_person_times", "person_pace"))

    def check(db, today, threshold, progress, project_id) -> pd.DataFrame:
        p = progress
        fire = p[(p["elapsed_share"] >= PACE_MIN_ELAPSED) & (p[expected] > 0)
                 & (p[actual] < threshold / 100.0 * p[expected])].copy()
        if kind == "activity":
            fire["detail"] = [f"已开展 {int(a)} 场活动,按进度应达 {_num(e)} 场({100 * float(r):.0f}%)"
                              for a, e, r in zip(fire[actual], fire[expected], fire[pace])]
        else:
            fire["detail"] = [f"已服务 {int(a)} 人次,按进度应达 {_num(e)} 人次({100 * float(r):.0f}%)"
                              for a, e, r in zip(fire[actual], fire[expected], fire[pace])]
        return fire

    return check


def _execution_gap(db, today, threshold, progress, project_id) -> pd.DataFrame:
    extra, params = _where_project(project_id)
    df = db.fetch_df(
        "WITH spent AS (SELECT x.project_id, sum(x.amount) AS spent FROM expenses x JOIN projects p"
        f"  ON p.id = x.project_id WHERE x.expense_date <= ? AND {_RUNNING}{extra} GROUP BY x.project_id),"
        " rates AS (SELECT p.id AS project_id,"
        "  100.0 * CAST(coalesce(s.spent, 0) AS DOUBLE) / CAST(p.granted_amount AS DOUBLE) AS execution_pct,"
        f"  100.0 * {ledger.ELAPSED_SQL} AS elapsed_pct"
        "  FROM projects p LEFT JOIN spent s ON s.project_id = p.id"
        f"  WHERE {_RUNNING}{extra} AND p.granted_amount > 0)"
        " SELECT project_id, execution_pct, elapsed_pct FROM rates WHERE abs(execution_pct - elapsed_pct) > ?",
        [today, *params, today, *params, threshold])
    df["detail"] = [f"经费执行率 {e:.1f}%,执行期已过 {t:.1f}%,相差 {abs(e - t):.1f} 个百分点"
                    for e, t in zip(df["execution_pct"], df["elapsed_pct"])]
    return df


def _report_overdue(db, today, threshold, progress, project_id) -> pd.DataFrame:
    extra, params = _where_project(project_id)
    df = db.fetch_df(
        "WITH ev AS (SELECT e.project_id, bool_or(e.kind = 'midterm') AS has_mid,"
        "  bool_or(e.kind = 'final') AS has_fin FROM evaluations e WHERE e.eval_date <= ? GROUP BY e.project_id),"
        " late AS (SELECT p.id AS project_id, p.midterm_due, p.final_due,"
        "  CASE WHEN NOT coalesce(ev.has_mid, false) AND date_diff('day', p.midterm_due, CAST(? AS DATE)) > ?"
        "   THEN date_diff('day', p.midterm_due, CAST(? AS DATE)) END AS mid_days,"
        "  CASE WHEN NOT coalesce(ev.has_fin, false) AND date_diff('day', p.final_due, CAST(? AS DATE)) > ?"
        "   THEN date_diff('day', p.final_due, CAST(? AS DATE)) END AS fin_days"
        f"  FROM projects p LEFT JOIN ev ON ev.project_id = p.id WHERE {_RUNNING}{extra})"
        " SELECT * FROM late WHERE mid_days IS NOT NULL OR fin_days IS NOT NULL",
        [today, today, threshold, today, today, threshold, today, *params])
    details = []
    for r in df.itertuples():
        parts = []
        if not pd.isna(r.mid_days):
            parts.append(f"中期报告截止 {_day(r.midterm_due)},已逾期 {int(r.mid_days)} 天仍无中期评估")
        if not pd.isna(r.fin_days):
            parts.append(f"末期报告截止 {_day(r.final_due)},已逾期 {int(r.fin_days)} 天仍无末期评估")
        details.append(";".join(parts))
    df["detail"] = details
    return df


def _idle(db, today, threshold, progress, project_id) -> pd.DataFrame:
    p = progress
    day = pd.Timestamp(today)
    start, end = pd.to_datetime(p["start_date"]), pd.to_datetime(p["end_date"])
    last = pd.to_datetime(p["last_activity"])
    since = pd.concat([start, last], axis=1).max(axis=1)
    days = (day - since).dt.days
    fire = p.assign(days=days, since=since)[(start <= day) & (day <= end) & (days > threshold)].copy()
    fire["detail"] = [
        (f"执行期开始({_day(s)})以来尚无活动记录,已 {int(n)} 天" if pd.isna(last_day) else
         f"最近一次活动在 {_day(last_day)},已 {int(n)} 天未开展活动")
        for s, last_day, n in zip(fire["since"], fire["last_activity"], fire["days"])]
    return fire


_CHECKS: dict[str, Callable] = {
    "milestone_overdue": _milestone_overdue,
    "activity_pace": _pace("activity"),
    "person_pace": _pace("person"),
    "execution_gap": _execution_gap,
    "report_overdue": _report_overdue,
    "idle": _idle,
}


# ---- warnings ----------------------------------------------------------------------------------------
def _acks(db, project_id: int | None) -> pd.DataFrame:
    """The acknowledgement reaching furthest per (project, rule)."""
    extra, params = (" WHERE project_id = ?", [project_id]) if project_id is not None else ("", [])
    return db.fetch_df(  # a subquery rather than DuckDB's QUALIFY: the same SQL runs on PostgreSQL
        "SELECT project_id, code, ack_note, ack_until, ack_by FROM (SELECT project_id, code, note AS ack_note,"
        " until AS ack_until, created_by AS ack_by,"
        " row_number() OVER (PARTITION BY project_id, code ORDER BY until DESC, id DESC) AS k"
        f" FROM risk_acks{extra}) AS acks WHERE k = 1", params)


def warnings(*, today: dt.date | None = None, project_id: int | None = None, db=None) -> pd.DataFrame:
    """One row per (running project, firing rule): project_id, agreement_no, title, org, code, rule,
    severity, detail, acknowledged (an acknowledgement runs until today or later), ack_note, ack_until,
    ack_by. Ordered by project, then rule."""
    db = db or get_db()
    today = today or dt.date.today()
    conf = settings(db)
    progress = ledger.progress_all(today=today, db=db, project_id=project_id)
    parts = []
    for r in RULES:
        s = conf[r.code]
        if not s["enabled"]:
            continue
        hit = _CHECKS[r.code](db, today, s["threshold"], progress, project_id)
        if len(hit):
            parts.append(pd.DataFrame({"project_id": hit["project_id"].astype("int64").to_numpy(), "code": r.code,
                                       "rule": r.label, "severity": s["severity"],
                                       "detail": list(hit["detail"])}))
    if not parts:
        return pd.DataFrame({c: pd.Series(dtype="bool" if c == "acknowledged" else "object")
                             for c in WARNING_COLUMNS})
    out = pd.concat(parts, ignore_index=True)
    info = progress[["project_id", "agreement_no", "title", "org"]].astype({"project_id": "int64"})
    out = out.merge(info, on="project_id", how="inner")
    acks = _acks(db, project_id)
    if len(acks):
        acks["project_id"] = acks["project_id"].astype("int64")
        out = out.merge(acks, on=["project_id", "code"], how="left")
        until = pd.to_datetime(out["ack_until"])
        out["acknowledged"] = (until >= pd.Timestamp(today)).fillna(False).astype(bool)
    else:
        out["ack_note"], out["ack_until"], out["ack_by"] = None, None, None
        out["acknowledged"] = False
    order = {r.code: i for i, r in enumerate(RULES)}
    out["_rule"] = out["code"].map(order)
    out = out.sort_values(["agreement_no", "project_id", "_rule"]).reset_index(drop=True)
    return out[list(WARNING_COLUMNS)]


# every table the warnings are judged from: a write to one of them makes the cached board stale
TABLES = ("projects", "applications", "organisations", "activities", "project_milestones", "expenses", "evaluations",
          "risk_settings", "risk_acks")


def board(*, today: dt.date | None = None, db=None) -> pd.DataFrame:
    """The open warnings (not acknowledged, or the acknowledgement ran out while the condition holds),
    高 first, then 中, 低; within a severity by project, then rule. Cached per day until one of ``TABLES``
    is written (``core.platform.cache``): the 工作台 of every staff member, the risk screen and the dashboards read it."""
    db = db or get_db()
    today = today or dt.date.today()
    # the reader's hubs are part of the key: each hub's board (and a district's roll-up) is its own
    return cache.cached("risk_board", (today, scope.hubs()), TABLES, lambda: _open(today, db), db)


def _open(today: dt.date, db) -> pd.DataFrame:
    w = warnings(today=today, db=db)
    w = w[~w["acknowledged"].astype(bool)].copy()
    rank = {s: i for i, s in enumerate(SEVERITIES)}
    order = {r.code: i for i, r in enumerate(RULES)}
    w["_sev"] = w["severity"].map(rank)
    w["_rule"] = w["code"].map(order)
    return w.sort_values(["_sev", "agreement_no", "project_id", "_rule"]).drop(columns=["_sev", "_rule"]) \
        .reset_index(drop=True)


def summary(*, today: dt.date | None = None, db=None) -> dict:
    """Open warnings: {"高": n, "中": n, "低": n, "total": n, "projects": projects with an open warning}."""
    b = board(today=today, db=db)
    out = {s: int((b["severity"] == s).sum()) for s in SEVERITIES}
    out["total"] = int(len(b))
    out["projects"] = int(b["project_id"].nunique())
    return out


# ---- acknowledgements ------------------------------------------------------------------------------
def acknowledge(project_id: int, code: str, values: dict, actor: Actor, *, today: dt.date | None = None,
                db=None) -> int:
    """Staff acknowledge a warning with a note, following it up until ``until`` (after today); the
    warning is hidden until then. Audited. Returns the acknowledgement id."""
    db = db or get_db()
    today = today or dt.date.today()
    rule(code)
    if db.fetch_one("SELECT id FROM projects WHERE id = ?", [project_id]) is None:
        raise NotFound(f"立项项目(编号 {project_id})不存在")
    record = records.clean(RISK_ACK, values, {"today": today})  # at most ACK_MONTHS ahead
    if record["until"] <= today:
        raise ValidationFailed(fields={"until": ["跟进日期须晚于今天"]})
    with records.unit(actor, db) as u:
        return u.create(RISK_ACK, record, system={"project_id": int(project_id), "code": code}, validated=True)


def acks(project_id: int, db=None) -> pd.DataFrame:
    """Every acknowledgement of the project, newest first: id, code, rule, note, until, created_at, created_by."""
    db = db or get_db()
    scope.require("project", project_id, db=db)
    df = db.fetch_df("SELECT id, code, note, until, created_at, created_by FROM risk_acks WHERE project_id = ?"
                     " ORDER BY id DESC", [project_id])
    df.insert(2, "rule", [RULE_BY_CODE[c].label if c in RULE_BY_CODE else c for c in df["code"]])
    return df
