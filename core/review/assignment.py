"""评审分配: give each application N reviewers — by hand or automatically — never a conflicted one,
no reviewer above the load cap, expertise matched where possible, loads balanced; say who falls short.

The experts come from the round's pool (:func:`core.review.reviewers.pool`: the round's hub's and its ancestors'), and
an expert's load is one person's workload: the tasks assigned to them in every round reviewed at the same time (review
periods that overlap), whichever hub runs it, counted against the cap of the round being assigned (the expert's own
cap when their profile sets one)."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import pandas as pd

from core.intake import rounds, scope, workflow
from core.intake.applications import APPLICATION
from core.platform import records
from core.platform.actor import Actor
from core.platform.db import get_db
from core.review import reviewers
from core.platform.entities import Entity, Rule, RuleContext, register
from core.platform.errors import NotFound, PermissionDenied, ValidationFailed
from schemas.columns import SYSTEM_FIELDS, columns
from schemas.review import Assignment
from schemas.text import required as visible_text

REVIEW_STATES = ("under_review", "re_review")


def _declaration(ctx: RuleContext, before: dict | None, after: dict | None) -> None:
    """A reviewer's own assignment, still assigned, changes only by declaring no conflict or by recusing with
    a reason (not once a review of it is submitted)."""
    if before is None or after is None or before["reviewer"] != ctx.actor.username:
        raise PermissionDenied("这不是分配给您的评审任务")
    if before["status"] != "assigned":
        raise ValidationFailed(form=["该任务已回避"])
    if after["status"] == "recused":
        if not visible_text(after.get("recused_reason") or ""):
            raise ValidationFailed(fields={"reason": ["请说明利益冲突的情况"]})
        if _count(ctx.db, "SELECT count(*) AS n FROM reviews WHERE assignment_id = ? AND submitted_at IS NOT NULL",
                  [before["id"]]):
            raise ValidationFailed(form=["已提交评分的任务不能回避;如确有冲突请联系工作人员"])
    elif after["status"] != "assigned" or after.get("no_conflict_at") is None or after.get("recused_reason"):
        raise ValidationFailed(form=["评审专家只能确认与申报组织无利益冲突,或申报利益冲突并回避"])


ASSIGNMENT = register(Entity(
    name="assignment", table="assignments", label="评审分配", schema=Assignment,
    write_roles=frozenset({"admin", "staff"}), title_field="reviewer",
    rules=(Rule("评审专家只能对分配给自己的任务确认无利益冲突或申报回避", actions=frozenset({"update"}),
                roles=frozenset({"reviewer"}), check=_declaration,
                fields=frozenset({"no_conflict_at", "status", "recused_reason"}),
                any_hub=True),),  # the expert's own task, whatever hub runs the round (a district's expert)
    hub_via=scope.VIA_APPLICATION,  # the application's round's hub (core.intake.scope)
))


@dataclass
class Plan:
    pairs: list[tuple[int, str]] = field(default_factory=list)
    shortfalls: list[tuple[int, str]] = field(default_factory=list)


def plan(apps: list[dict], experts: list[dict], conflicts: set[tuple[str, int]], n: int) -> Plan:
    """Pure planning. ``apps``: id, org_id, category, assigned (set), excluded (set: recused);
    ``experts``: username, expertise (set), cap, load. Hardest applications first; within an
    application, experts of its category first, then the least loaded."""
    load = {e["username"]: int(e["load"]) for e in experts}
    out = Plan()

    def eligible(a: dict) -> list[dict]:
        return [e for e in experts if e["username"] not in a["assigned"] and e["username"] not in a["excluded"]
                and (e["username"], a["org_id"]) not in conflicts and load[e["username"]] < e["cap"]]

    for a in sorted(apps, key=lambda a: (len(eligible(a)), a["id"])):
        need = n - len(a["assigned"])
        if need <= 0:
            continue
        chosen = sorted(eligible(a), key=lambda e: (a["category"] not in e["expertise"], load[e["username"]],
                                                    e["username"]))[:need]
        for e in chosen:
            out.pairs.append((a["id"], e["username"]))
            load[e["username"]] += 1
        if len(chosen) < need:
            conflicted = sum((e["username"], a["org_id"]) in conflicts for e in experts)
            full = sum(load[e["username"]] >= e["cap"] for e in experts if (e["username"], a["org_id"]) not in conflicts)
            taken = len(a["assigned"]) + len(a["excluded"])
            out.shortfalls.append((a["id"], f"还差{need - len(chosen)}位专家:共{len(experts)}位专家,其中{conflicted}位有利益冲突,"
                                            f"{full}位已达评审上限,{taken}位已分配或已回避"))
    return out


def _round_inputs(round_id: int, db) -> tuple[list[dict], list[dict], int]:
    rnd = rounds.get(round_id, db)
    marks = ", ".join("?" for _ in REVIEW_STATES)
    apps = db.fetch_all(f"SELECT id, org_id, category FROM applications WHERE round_id = ? AND state IN ({marks}) ORDER BY id",
                        [round_id, *REVIEW_STATES])
    rows = db.fetch_all("SELECT s.application_id, s.reviewer, s.status FROM assignments s JOIN applications a"
                        " ON a.id = s.application_id WHERE a.round_id = ?", [round_id])
    # one pass over the round's assignments and one read of the profiles (a city's round: 3,000 applications,
    # 20,000 assignments, 2,600 experts — a scan per application and a query per expert took 1.6 s)
    assigned: dict[int, set[str]] = {}
    excluded: dict[int, set[str]] = {}
    load = loads(rnd, db)
    for r in rows:
        if r["status"] == "assigned":
            assigned.setdefault(r["application_id"], set()).add(r["reviewer"])
        elif r["status"] == "recused":
            excluded.setdefault(r["application_id"], set()).add(r["reviewer"])
    for a in apps:
        a["assigned"] = assigned.get(a["id"], set())
        a["excluded"] = excluded.get(a["id"], set())
    profiles = reviewers.profiles(db)
    experts = []
    for e in reviewers.pool(round_id, db).to_dict("records"):
        prof = profiles.get(e["username"]) or {}
        cap = prof.get("load_cap") or rnd.get("load_cap") or 12
        experts.append({"username": e["username"], "expertise": set(prof.get("expertise") or []), "cap": int(cap),
                        "load": load.get(e["username"], 0)})
    return apps, experts, int(rnd["reviewers_per_app"])


# the tasks each expert holds in the rounds reviewed while ``rnd`` is (this round too), whichever hub runs them
_LOADS = ("SELECT s.reviewer, count(*) AS n FROM assignments s JOIN applications a ON a.id = s.application_id"
          " JOIN rounds r ON r.id = a.round_id WHERE s.status = 'assigned' AND (r.id = ? OR (r.review_start <= ?"
          " AND r.review_end >= ?))")


def loads(rnd: dict, db, reviewer: str | None = None) -> dict[str, int]:
    """Each expert's load while round ``rnd`` is reviewed: their assigned tasks in it and in every round whose review
    period overlaps it, of any hub (a district's expert reviewing for two streets at once carries both)."""
    sql, params = _LOADS, [rnd["id"], rnd["review_end"], rnd["review_start"]]
    if reviewer is not None:
        sql, params = sql + " AND s.reviewer = ?", [*params, reviewer]
    return {r["reviewer"]: int(r["n"]) for r in db.fetch_all(sql + " GROUP BY s.reviewer", params)}


def plan_round(round_id: int, db=None) -> Plan:
    db = db or get_db()
    apps, experts, n = _round_inputs(round_id, db)
    return plan(apps, experts, reviewers.conflict_pairs(db), n)


def plan_token(round_id: int, db=None) -> tuple:
    """Changes whenever what a plan was based on changes (assignments of the round, applications in review):
    a plan made before is stale then and must not be confirmed from the screen."""
    db = db or get_db()
    marks = ", ".join("?" for _ in REVIEW_STATES)
    row = db.fetch_one(
        "SELECT (SELECT count(*) FROM assignments s JOIN applications a ON a.id = s.application_id WHERE a.round_id = ?) AS n,"
        " (SELECT max(s.id) FROM assignments s JOIN applications a ON a.id = s.application_id WHERE a.round_id = ?) AS top,"
        " (SELECT count(*) FILTER (WHERE s.status = 'recused') FROM assignments s JOIN applications a"
        "  ON a.id = s.application_id WHERE a.round_id = ?) AS recused,"
        f" (SELECT count(*) FROM applications WHERE round_id = ? AND state IN ({marks})) AS apps",
        [round_id, round_id, round_id, round_id, *REVIEW_STATES])
    return (row["n"], row["top"], row["recused"], row["apps"])


def app_titles(round_id: int, db=None) -> dict[int, str]:
    """Every application of the round as staff name it: 「title」(编号 id)."""
    db = db or get_db()
    scope.require("round", round_id, db=db)
    return {int(r["id"]): f"「{r['title']}」(编号 {r['id']})" for r in db.fetch_all(
        "SELECT id, title FROM applications WHERE round_id = ? ORDER BY id", [round_id])}


def matrix(round_id: int, pairs: list[tuple[int, str]] | None = None, db=None) -> pd.DataFrame:
    """Application x reviewer, people by name and projects by title: ● assigned, ○ planned (not yet
    confirmed), 回避 recused. One row per application in review or with any assignment; one column per
    reviewer who appears; ``已分配`` counts the ● of the row. Empty frame: nothing to show."""
    db = db or get_db()
    scope.require("round", round_id, db=db)
    marks = ", ".join("?" for _ in REVIEW_STATES)
    apps = db.fetch_all(
        "SELECT a.id, a.title FROM applications a WHERE a.round_id = ? AND (a.state IN (" + marks + ")"
        " OR EXISTS (SELECT 1 FROM assignments s WHERE s.application_id = a.id)) ORDER BY a.id",
        [round_id, *REVIEW_STATES])
    rows = db.fetch_all("SELECT s.application_id, s.reviewer, s.status FROM assignments s JOIN applications a"
                        " ON a.id = s.application_id WHERE a.round_id = ? ORDER BY s.reviewer", [round_id])
    cells: dict[tuple[int, str], str] = {(r["application_id"], r["reviewer"]): "●" if r["status"] == "assigned" else "回避"
                                         for r in rows}
    for a, u in pairs or []:
        cells.setdefault((int(a), u), "○")
    if not apps:
        return pd.DataFrame()
    names = reviewers.person_names(db)
    people = sorted({u for _, u in cells}, key=lambda u: (names.get(u, u) == u, u))
    out = []
    for a in apps:
        row = {"编号": int(a["id"]), "项目名称": a["title"],
               "已分配": sum(cells.get((a["id"], u)) == "●" for u in people)}
        row.update({names.get(u, u): cells.get((a["id"], u), "") for u in people})
        out.append(row)
    return pd.DataFrame(out, columns=["编号", "项目名称", "已分配", *[names.get(u, u) for u in people]])


def waiting(round_id: int, db=None) -> list[dict]:
    """The round's applications that passed screening (审查合格) and are not yet sent to review."""
    db = db or get_db()
    scope.require("round", round_id, db=db)
    return db.fetch_all("SELECT a.id, a.title, o.name AS org FROM applications a JOIN organisations o ON o.id = a.org_id"
                        " WHERE a.round_id = ? AND a.state = 'eligible' ORDER BY a.id", [round_id])


def send_eligible_to_review(round_id: int, actor: Actor, db=None) -> int:
    """Send every 审查合格 application of the round to 专家评审 in one transaction, each through the
    workflow (the same move as 申报详情's 送专家评审: checked, event row, audited). The set is read
    again under the write lock: a second click, or a colleague who sent one meanwhile, sends nothing twice."""
    with records.unit(actor, db) as u:
        ids = [r["id"] for r in u.tx.fetch_all(
            "SELECT id FROM applications WHERE round_id = ? AND state = 'eligible' ORDER BY id", [round_id])]
        if not ids:
            raise ValidationFailed(form=["本批次已没有「审查合格」待送审的项目(可能刚由他人送审),页面已刷新"])
        for app_id in ids:
            workflow.move_in(u, APPLICATION, int(app_id), "under_review", note="批量送专家评审")
    return len(ids)


def nothing_to_plan(round_id: int, db=None) -> str | None:
    """Why 生成分配方案 has nothing to do for the round (None: some application still needs experts)."""
    db = db or get_db()
    apps, _, n = _round_inputs(round_id, db)
    if any(len(a["assigned"]) < n for a in apps):
        return None
    sent = len(waiting(round_id, db))
    later = f"另有 {sent} 个「审查合格」的项目尚未送专家评审,送审后才能分配。" if sent else ""
    if not apps:
        return ("本批次没有「专家评审中」或「复评中」的项目,无需分配。" + later) if sent else \
            "本批次还没有进入专家评审的项目:申报通过资格审查(审查合格)并送专家评审后,才能分配专家。"
    return f"本批次 {len(apps)} 个评审中的项目都已分配 {n} 位专家,无需再分配。" + later


def _check_pair(app: dict, reviewer: str, rnd: dict, db) -> None:
    """Refuse a pair (ValidationFailed, in Chinese). ``db`` may be the open transaction of a batch, so the
    batch's own earlier pairs count (no duplicate within it, no cap overrun by it)."""
    who = reviewers.person(reviewer, db)
    if not _count(db, "SELECT count(*) AS n FROM users WHERE username = ? AND active AND list_contains(roles, 'reviewer')",
                  [reviewer]):
        raise ValidationFailed(form=[f"{who}不是启用的评审专家账号"])
    if app["state"] not in REVIEW_STATES:
        raise ValidationFailed(form=["只有「专家评审中」或「复评中」的项目可以分配专家"])
    if not reviewers.in_pool(reviewer, rnd["id"], db):
        raise ValidationFailed(form=[f"{who}属于「{reviewers.hub_of(reviewer, db)}」,不在本批次的专家库中:"
                                     "专家库是本批次所属枢纽及其上级枢纽(区、市)的评审专家,请选择其中的专家"])
    reasons = reviewers.conflicts(reviewer, app["org_id"], db=db)
    if reasons:
        raise ValidationFailed(form=[f"{who}与申报组织有利益冲突:" + ";".join(reasons)])
    if _count(db, "SELECT count(*) AS n FROM assignments WHERE application_id = ? AND reviewer = ?", [app["id"], reviewer]):
        raise ValidationFailed(form=[f"{who}已分配过该项目(或已回避)"])
    prof = reviewers.profile(reviewer, db) or {}
    cap = int(prof.get("load_cap") or rnd.get("load_cap") or 12)
    here = _count(db, "SELECT count(*) AS n FROM assignments s JOIN applications a ON a.id = s.application_id"
                      " WHERE a.round_id = ? AND s.reviewer = ? AND s.status = 'assigned'", [rnd["id"], reviewer])
    load = loads(rnd, db, reviewer).get(reviewer, 0)
    if load >= cap:
        elsewhere = f"(其中同期其他批次 {load - here} 个)" if load > here else ""
        raise ValidationFailed(form=[f"{who}本批次已分配 {here} 个项目{elsewhere},达到上限 {cap}"])


def _count(db, sql: str, params: list) -> int:
    return int(db.fetch_one(sql, params)["n"])  # works on the Database and on an open Transaction alike


def assign(app_id: int, reviewer: str, actor: Actor, db=None) -> int:
    db = db or get_db()
    app = db.fetch_one("SELECT id, org_id, state, round_id FROM applications WHERE id = ?", [app_id])
    if app is None:
        raise NotFound(f"申报项目(编号 {app_id})不存在")
    rnd = rounds.get(app["round_id"], db)
    with db.write_lock:  # check and write under one lock: no double assignment, no cap overrun
        _check_pair(app, reviewer, rnd, db)
        return records.create(ASSIGNMENT, {"application_id": app_id, "reviewer": reviewer, "status": "assigned"},
                              actor, db=db)


def confirm_plan(round_id: int, pairs: list[tuple[int, str]], actor: Actor, db=None) -> int:
    """Write a planned set of assignments in one transaction (each pair re-checked)."""
    db = db or get_db()
    rnd = rounds.get(round_id, db)
    with records.unit(actor, db) as u:  # checked and written pair by pair in one transaction: all or nothing
        for app_id, reviewer in pairs:
            app = u.tx.fetch_one("SELECT id, org_id, state, round_id FROM applications WHERE id = ?", [app_id])
            if app is None or app["round_id"] != round_id:
                raise ValidationFailed(form=[f"项目(编号 {app_id})不属于本批次"])
            _check_pair(app, reviewer, rnd, u.tx)
            u.create(ASSIGNMENT, {"application_id": app_id, "reviewer": reviewer, "status": "assigned"}, validated=True)
    return len(pairs)


def own(assignment_id: int, actor: Actor, db=None) -> dict:
    """The assignment if it belongs to ``actor`` (reviewer isolation); else PermissionDenied."""
    db = db or get_db()
    row = db.fetch_one("SELECT * FROM assignments WHERE id = ?", [assignment_id])
    if row is None or row["reviewer"] != actor.username:
        raise PermissionDenied("这不是分配给您的评审任务")
    return row


def confirm_no_conflict(assignment_id: int, actor: Actor, db=None) -> None:
    """The reviewer declares no conflict with the applicant (written as the reviewer: the assignment's row
    rule lets them, on their own assignment only)."""
    row = own(assignment_id, actor, db)
    if row["no_conflict_at"] is None:
        records.update(ASSIGNMENT, assignment_id, {}, actor, db=db,
                       system={"no_conflict_at": dt.datetime.now()}, action="declare_no_conflict")


def recuse(assignment_id: int, reason: str, actor: Actor, db=None) -> None:
    """The reviewer declares a conflict: recused (audited); the application needs another reviewer."""
    row = own(assignment_id, actor, db)
    reason = visible_text(reason)
    if not reason:
        raise ValidationFailed(fields={"reason": ["请说明利益冲突的情况"]})
    if row["status"] != "assigned":
        raise ValidationFailed(form=["该任务已回避"])
    db = db or get_db()
    if db.scalar("SELECT count(*) FROM reviews WHERE assignment_id = ? AND submitted_at IS NOT NULL", [assignment_id]):
        raise ValidationFailed(form=["已提交评分的任务不能回避;如确有冲突请联系工作人员"])
    records.update(ASSIGNMENT, assignment_id, {}, actor, db=db,
                   system={"status": "recused", "recused_reason": reason}, action="recuse", note=reason)


STATUS_WORDS = {"assigned": "已分配", "recused": "已回避"}  # an assignment's status in words

# the columns of :func:`for_application` as 评审分配 shows them (``review`` is the review's status)
ASSIGNMENT_COLUMNS = columns("name", "status", "no_conflict_at", "recused_reason", "review", "total",
                             computed={"name": "专家", "status": "分配状态", "review": "评分状态",
                                       "total": SYSTEM_FIELDS["reviews.total"]})


def for_application(app_id: int, db=None) -> pd.DataFrame:
    """The application's assignments; ``name`` is the reviewer's 姓名."""
    db = db or get_db()
    scope.require("application", app_id, db=db)
    df = db.fetch_df("SELECT s.id, s.reviewer, s.status, s.no_conflict_at, s.recused_reason, r.status AS review,"
                     " r.total FROM assignments s LEFT JOIN reviews r ON r.assignment_id = s.id"
                     " WHERE s.application_id = ? ORDER BY s.id", [app_id])
    names = reviewers.person_names(None if db is get_db() else db)
    df.insert(2, "name", [names.get(u, u) for u in df["reviewer"]])
    return df
