"""监管规则 of a round: the tranche plan (default 50% on signing, 30% after the mid-term evaluation
passes, 20% after the final one), the grade cut-offs (A >= 85, B 60-84, C < 60), which grades pass,
the evaluation scoring form (default 100 points), the budget-line margin for expenses and the grace
period after which a missing report counts as a failed evaluation. A round without its own row uses
the defaults of :mod:`schemas.monitoring`."""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from core.intake import scope
from core.platform import records
from core.platform.actor import Actor
from core.platform.db import get_db
from core.platform.entities import Entity, register
from core.platform.errors import ValidationFailed
from core.platform.validation import validate
from schemas.monitoring import (
    DEFAULT_EVAL_FORM, DEFAULT_EXPENSE_MARGIN, DEFAULT_GRADE_A, DEFAULT_GRADE_B, DEFAULT_PASS_GRADES,
    DEFAULT_REPORT_GRACE_DAYS, DEFAULT_TRANCHES, TRANCHE_GATES, MonitoringPolicy,
)
from schemas.stored import StoredPolicy

POLICY = register(Entity(
    name="monitoring_policy", table="monitoring_policies", label="监管规则", write_roles=frozenset({"admin"}),
    key="round_id", key_generated=False, title_field="round_id", schema=StoredPolicy,
    hub_via=scope.VIA_ROUND,  # the round's hub (core.intake.scope)
))

_SPLIT = re.compile(r"[,,、;;\s]+")
_GATE_BY_LABEL = {v: k for k, v in TRANCHE_GATES.items()} | {k: k for k in TRANCHE_GATES}


@dataclass(frozen=True)
class Policy:
    round_id: int | None
    tranche_shares: tuple[float, ...]
    tranche_gates: tuple[str, ...]
    grade_a: float
    grade_b: float
    pass_grades: tuple[str, ...]
    eval_form: tuple[tuple[str, float], ...]
    expense_margin: float
    report_grace_days: int
    stored: bool = False  # False: the defaults

    @property
    def full_mark(self) -> float:
        return float(sum(p for _, p in self.eval_form))

    def grade(self, score: float) -> str:
        """A / B / C of a total score (on the form's full mark scaled to 100)."""
        pct = 100.0 * float(score) / self.full_mark if self.full_mark else 0.0
        if pct >= self.grade_a:
            return "A"
        if pct >= self.grade_b:
            return "B"
        return "C"

    def passes(self, grade: str) -> bool:
        return grade in self.pass_grades

    def tranche_plan(self, granted: float, signed: dt.date, midterm_due: dt.date, final_due: dt.date) -> list[dict]:
        """The tranche rows of a project: seq, share, amount (cents add up to ``granted``), gate,
        planned date (signing date, or the report due date of the gate's evaluation)."""
        planned = {"signing": signed, "midterm": midterm_due, "final": final_due}
        rows, paid = [], 0.0
        for i, (share, gate) in enumerate(zip(self.tranche_shares, self.tranche_gates), start=1):
            last = i == len(self.tranche_shares)
            amount = round(granted - paid, 2) if last else round(granted * share / 100.0, 2)
            paid += amount
            rows.append({"seq": i, "share": float(share), "amount": amount, "gate": gate,
                         "planned_date": planned.get(gate), "status": "planned"})
        return rows

    def form_values(self) -> dict:
        """The policy as the values of the ``MonitoringPolicy`` form."""
        return {
            "tranche_shares": ",".join(f"{s:g}" for s in self.tranche_shares),
            "tranche_gates": ",".join(TRANCHE_GATES[g] for g in self.tranche_gates),
            "grade_a": self.grade_a, "grade_b": self.grade_b, "pass_grades": list(self.pass_grades),
            "eval_form": "\n".join(f"{item} {points:g}" for item, points in self.eval_form),
            "expense_margin": self.expense_margin, "report_grace_days": self.report_grace_days,
        }


DEFAULT = Policy(
    round_id=None,
    tranche_shares=tuple(s for s, _ in DEFAULT_TRANCHES),
    tranche_gates=tuple(g for _, g in DEFAULT_TRANCHES),
    grade_a=DEFAULT_GRADE_A, grade_b=DEFAULT_GRADE_B, pass_grades=DEFAULT_PASS_GRADES,
    eval_form=DEFAULT_EVAL_FORM, expense_margin=DEFAULT_EXPENSE_MARGIN,
    report_grace_days=DEFAULT_REPORT_GRACE_DAYS,
)


def policy_for(round_id: int | None, db=None) -> Policy:
    if round_id is None:
        return DEFAULT
    db = db or get_db()
    row = db.fetch_one("SELECT * FROM monitoring_policies WHERE round_id = ?", [round_id])
    if row is None:
        return Policy(**{**DEFAULT.__dict__, "round_id": round_id})
    return Policy(
        round_id=round_id,
        tranche_shares=tuple(float(s) for s in row["tranche_shares"]),
        tranche_gates=tuple(row["tranche_gates"]),
        grade_a=float(row["grade_a"]), grade_b=float(row["grade_b"]),
        pass_grades=tuple(row["pass_grades"]),
        eval_form=tuple(zip(row["eval_items"], (float(p) for p in row["eval_points"]))),
        expense_margin=float(row["expense_margin"]), report_grace_days=int(row["report_grace_days"]),
        stored=True,
    )


def policy_for_project(project_id: int, db=None) -> Policy:
    db = db or get_db()
    rid = db.scalar("SELECT a.round_id FROM projects p JOIN applications a ON a.id = p.application_id"
                          " WHERE p.id = ?", [project_id])
    return policy_for(rid, db)


def parse(values: dict) -> dict:
    """Validate the policy form and turn its text fields into the stored columns; ValidationFailed
    names the field (shares that do not add up to 100, an unknown gate, a bad scoring line)."""
    v = validate(MonitoringPolicy, values)
    problems: dict[str, list[str]] = {}
    try:
        shares = [float(x) for x in _SPLIT.split(v["tranche_shares"].strip()) if x]
    except ValueError:
        shares = []
        problems["tranche_shares"] = ["请填写用逗号分隔的数字,如:50,30,20"]
    if shares and (any(s <= 0 for s in shares) or abs(sum(shares) - 100) > 1e-6):
        problems["tranche_shares"] = [f"各期比例须大于0且合计为100(现为 {sum(shares):g})"]
    gates = [g for g in _SPLIT.split(v["tranche_gates"].strip()) if g]
    unknown = [g for g in gates if g not in _GATE_BY_LABEL]
    if unknown:
        problems["tranche_gates"] = [f"无法识别的拨付条件:{'、'.join(unknown)};可选:{'、'.join(TRANCHE_GATES.values())}"]
    elif shares and len(gates) != len(shares):
        problems["tranche_gates"] = [f"拨付条件须与比例一一对应(比例 {len(shares)} 期,条件 {len(gates)} 项)"]
    items = []
    for line in str(v["eval_form"]).splitlines():
        if not line.strip():
            continue
        m = re.match(r"^\s*(.+?)\s+(\d+(?:\.\d+)?)\s*$", line)
        if not m or float(m.group(2)) <= 0:
            problems["eval_form"] = [f"无法识别的评分项:“{line.strip()}”;每行写“指标 分值”"]
            break
        items.append((m.group(1), float(m.group(2))))
    if not items and "eval_form" not in problems:
        problems["eval_form"] = ["评分表至少需要一项"]
    if len({i for i, _ in items}) != len(items):
        problems["eval_form"] = ["评分项名称不能重复"]
    if problems:
        raise ValidationFailed(fields=problems)
    return {
        "tranche_shares": shares, "tranche_gates": [_GATE_BY_LABEL[g] for g in gates],
        "grade_a": v["grade_a"], "grade_b": v["grade_b"], "pass_grades": list(v["pass_grades"]),
        "eval_items": [i for i, _ in items], "eval_points": [p for _, p in items],
        "expense_margin": v["expense_margin"], "report_grace_days": int(v["report_grace_days"]),
    }


def save(round_id: int, values: dict, actor: Actor, db=None) -> None:
    """Store the round's policy (form values); applies to agreements signed from now on."""
    record = parse(values)
    db = db or get_db()
    with records.unit(actor, db) as u:
        if u.fetch(POLICY, round_id) is None:
            u.create(POLICY, record, system={"round_id": round_id}, validated=True)
        else:
            u.update(POLICY, round_id, record, validated=True)
