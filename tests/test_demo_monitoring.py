"""The demo 动态监管 data: the seed's figures, brands, the ledger inside each project period, tranches
released only through their gates, evaluations, the closed, stopped, terminated and running projects,
the audit chain."""
from __future__ import annotations

import datetime as dt
import json
from collections import Counter

import pytest

from core.demo import monitoring as demo_monitoring
from core.monitoring.monitoring_policy import DEFAULT as POLICY
from core.platform import audit
from schemas.choices import ACTIVITY_KINDS, BUDGET_LINES, DEMO_COMMUNITIES, EVALUATION_METHODS
from schemas.monitoring import DEFAULT_EVAL_FORM

BRAND_1516, BRAND_QK = "1516便民服务", "青葵伙伴"


@pytest.fixture
def today():
    return dt.date.today()


def _all(db, sql, params=None):
    return db.fetch_all(sql, params)


def _one(db, sql, params=None):
    return db.scalar(sql, params)


def _projects(db):
    return _all(db, "SELECT p.*, a.round_id, a.title, r.year, o.name AS org, b.name AS brand,"
                    " CAST(a.granted_amount AS DOUBLE) AS app_granted FROM projects p"
                    " JOIN applications a ON a.id = p.application_id JOIN rounds r ON r.id = a.round_id"
                    " JOIN organisations o ON o.id = a.org_id LEFT JOIN brands b ON b.id = p.brand_id ORDER BY p.id")


def _running(db, today):
    return [p for p in _projects(db) if p["state"] in ("active", "stopped") and p["end_date"] > today]


# ---- the seed's figures -----------------------------------------------------------------------------
def test_one_project_per_funded_application(demo_db, today):
    funded = _all(demo_db, "SELECT a.id, CAST(a.granted_amount AS DOUBLE) AS granted FROM applications a"
                           " JOIN rounds r ON r.id = a.round_id WHERE a.state = 'funded'")
    ps = _projects(demo_db)
    assert len(funded) == len(ps) == 76
    assert {p["application_id"] for p in ps} == {a["id"] for a in funded}
    assert all(p["year"] < today.year for p in ps)
    for p in ps:  # the granted money is unchanged and split over the budget lines
        assert float(p["granted_amount"]) == p["app_granted"]
        assert sum(float(p[c]) for c in BUDGET_LINES) == pytest.approx(float(p["granted_amount"]), abs=0.005)
        assert p["agreement_date"] <= p["start_date"] < p["midterm_due"] < p["final_due"] <= p["end_date"]
        assert p["agreement_no"].startswith(f"XS-GY-{p['year']}-")
    assert sum(float(p["granted_amount"]) for p in ps) == pytest.approx(sum(a["granted"] for a in funded))
    assert sum(float(p["granted_amount"]) for p in ps) > 3_000_000
    rounds = {r["id"]: r for r in _all(demo_db, "SELECT id, project_start, project_end FROM rounds")}
    for p in ps:
        assert (p["start_date"], p["end_date"]) == (rounds[p["round_id"]]["project_start"],
                                                   rounds[p["round_id"]]["project_end"])


def test_ledger_reaches_the_seed_figures(demo_db):
    assert _one(demo_db, "SELECT count(*) FROM activities") >= 5000
    assert _one(demo_db, "SELECT sum(person_times) FROM activities") >= 100_000
    rows = _all(demo_db, "SELECT kind, count(*) AS n, min(participants) AS lo, bool_and(person_times >= participants)"
                         " AS ok, bool_and(volunteers >= 0) AS vol FROM activities GROUP BY kind")
    assert {r["kind"] for r in rows} <= set(ACTIVITY_KINDS) and len(rows) >= 6
    assert all(r["ok"] and r["vol"] and r["lo"] >= 1 for r in rows)
    dup = _one(demo_db, "SELECT count(*) FROM (SELECT project_id, activity_date, title FROM activities"
                        " GROUP BY ALL HAVING count(*) > 1)")
    assert dup == 0
    outside = _one(demo_db, "SELECT count(*) FROM activities x JOIN projects p ON p.id = x.project_id"
                            " WHERE x.community NOT IN (SELECT unnest(p.communities))")
    assert outside == 0  # every activity in one of its project's service communities
    assert _one(demo_db, "SELECT count(*) FROM activities WHERE place IS NULL OR title = ''") == 0


def test_every_activity_inside_its_project_period_and_not_in_the_future(demo_db, today):
    rows = _all(demo_db, "SELECT min(x.activity_date) AS first, max(x.activity_date) AS last, p.start_date,"
                         " p.end_date FROM activities x JOIN projects p ON p.id = x.project_id"
                         " GROUP BY p.id, p.start_date, p.end_date")
    assert len(rows) == 76  # every project has a ledger
    for r in rows:
        assert r["start_date"] <= r["first"] and r["last"] <= r["end_date"] and r["last"] <= today
    late = _one(demo_db, "SELECT count(*) FROM activities WHERE CAST(created_at AS DATE) < activity_date")
    assert late == 0  # recorded on the day or later


# ---- brands -------------------------------------------------------------------------------------------
def test_brands_and_service_points(demo_db):
    brands = {b["name"]: b for b in _all(demo_db, "SELECT * FROM brands")}
    assert brands[BRAND_1516]["tier"] == brands[BRAND_QK]["tier"] == "核心品牌"
    niche = [b for b in brands.values() if b["tier"] == "特色品牌"]
    assert 4 <= len(niche) <= 6
    points = _all(demo_db, "SELECT b.name AS brand, s.community FROM service_points s"
                           " JOIN brands b ON b.id = s.brand_id")
    assert {p["community"] for p in points if p["brand"] == BRAND_1516} == set(DEMO_COMMUNITIES)
    per_brand = Counter(p["brand"] for p in points)
    assert all(per_brand[name] >= 2 for name in brands)
    assert {p["community"] for p in points} <= set(DEMO_COMMUNITIES)


def test_brand_projects_reach_the_seed_figures(demo_db):
    ps = _projects(demo_db)
    for p in ps:  # the brand organisations' projects carry their brand
        if "1516" in p["org"]:
            assert p["brand"] == BRAND_1516
        elif "青葵" in p["org"]:
            assert p["brand"] == BRAND_QK
        else:
            assert p["brand"] not in (BRAND_1516, BRAND_QK)
    tagged = Counter(p["brand"] for p in ps)
    assert tagged[None] > len(ps) / 2  # most projects carry no brand
    assert sum(n for b, n in tagged.items() if b not in (None, BRAND_1516, BRAND_QK)) >= 4  # some a niche one
    rows = {r["name"]: r for r in _all(
        demo_db, "SELECT b.name, sum(x.person_times) AS times, count(DISTINCT x.community) AS communities"
                 " FROM activities x JOIN projects p ON p.id = x.project_id JOIN brands b ON b.id = p.brand_id"
                 " GROUP BY b.name")}
    assert rows[BRAND_1516]["times"] >= 30_000 and rows[BRAND_1516]["communities"] == 21
    assert rows[BRAND_QK]["times"] >= 8_000


# ---- money ----------------------------------------------------------------------------------------------
def _evaluations(db):
    return _all(db, "SELECT * FROM evaluations ORDER BY project_id, eval_date, id")


def test_released_tranches_follow_their_gates(demo_db, today):
    evals = _evaluations(demo_db)
    ts = _all(demo_db, "SELECT t.*, p.agreement_date FROM tranches t JOIN projects p ON p.id = t.project_id"
                       " ORDER BY t.project_id, t.seq")
    assert len(ts) == 76 * 3
    released = [t for t in ts if t["status"] == "released"]
    assert released
    for t in released:
        assert t["approver"] and t["released_on"] <= today
        assert float(t["released_amount"]) == float(t["amount"])
        if t["gate"] == "signing":
            assert t["seq"] == 1 and t["released_on"] >= t["agreement_date"]
        else:  # mid-term passed before tranche 2, final before tranche 3; the latest of the kind before release
            kind = t["gate"]
            before = [e for e in evals if e["project_id"] == t["project_id"] and e["kind"] == kind
                      and e["eval_date"] <= t["released_on"]]
            assert before and before[-1]["passed"], t
    by_project: dict[int, list[dict]] = {}
    for t in ts:
        by_project.setdefault(t["project_id"], []).append(t)
    for plan in by_project.values():  # released in order, never a later one before an earlier one
        assert [t["share"] for t in plan] == [50.0, 30.0, 20.0]
        dates = [t["released_on"] for t in plan if t["status"] == "released"]
        assert dates == sorted(dates)
        statuses = [t["status"] for t in plan]
        assert statuses[0] == "released"
        settled = statuses.count("released")
        assert statuses[:settled] == ["released"] * settled  # no release after a planned or cancelled one


def test_expenses_per_budget_line(demo_db, today):
    rows = _all(demo_db, "SELECT e.*, p.start_date, p.end_date FROM expenses e JOIN projects p ON p.id = e.project_id")
    assert len(rows) >= 76 * 5
    assert {r["line"] for r in rows} <= set(BUDGET_LINES)
    for r in rows:
        assert r["start_date"] <= r["expense_date"] <= min(r["end_date"], today)
        assert float(r["amount"]) > 0 and r["voucher_no"] and r["description"]
    over = _one(demo_db, "SELECT count(*) FROM (SELECT e.project_id, e.line, sum(e.amount) AS spent,"
                         " any_value(CASE e.line WHEN 'budget_personnel' THEN p.budget_personnel"
                         " WHEN 'budget_materials' THEN p.budget_materials WHEN 'budget_venue' THEN p.budget_venue"
                         " WHEN 'budget_publicity' THEN p.budget_publicity ELSE p.budget_other END) AS budget"
                         " FROM expenses e JOIN projects p ON p.id = e.project_id GROUP BY ALL) WHERE spent > budget")
    assert over == 0
    assert _one(demo_db, "SELECT count(*) FROM (SELECT project_id, voucher_no FROM expenses GROUP BY ALL"
                         " HAVING count(*) > 1)") == 0


def _execution(db) -> dict[int, float]:
    return {r["id"]: r["rate"] for r in _all(
        db, "SELECT p.id, 100.0 * coalesce(sum(e.amount), 0) / p.granted_amount AS rate FROM projects p"
            " LEFT JOIN expenses e ON e.project_id = p.id GROUP BY p.id, p.granted_amount")}


# ---- evaluations -----------------------------------------------------------------------------------------
def test_evaluations_are_graded_on_the_default_form(demo_db):
    evals = _evaluations(demo_db)
    assert len(evals) >= 76 + 60
    form = dict(DEFAULT_EVAL_FORM)
    for e in evals:
        items = json.loads(e["item_scores"])
        assert set(items) == set(form) and all(0 <= v <= form[k] for k, v in items.items())
        assert sum(items.values()) == pytest.approx(e["total_score"])
        assert e["grade"] == POLICY.grade(e["total_score"])
        assert e["passed"] == (e["grade"] in ("A", "B"))
        assert (e["outcome"] == "pass") == e["passed"] and e["outcome"] in ("pass", "stop", "terminate")
        assert e["method"] in EVALUATION_METHODS and e["evaluator"] in demo_monitoring.EVALUATORS
        assert e["conclusion"] and (e["report_date"] is None or e["report_date"] <= e["eval_date"])
    grades = Counter(e["grade"] for e in evals)
    assert grades["C"] == 2 and grades["A"] >= 30 and grades["B"] >= 30


def test_closed_projects_are_settled(demo_db, today):
    ps = _projects(demo_db)
    states = Counter(p["state"] for p in ps)
    assert states["closed"] >= 60 and states["terminated"] == 1 and states["stopped"] == 0
    rates = _execution(demo_db)
    evals = _evaluations(demo_db)
    low = 0
    for p in ps:
        if p["state"] != "closed":
            continue
        assert p["end_date"] <= today and p["closed_on"] is not None and p["closed_on"] <= today
        statuses = [r["status"] for r in _all(demo_db, "SELECT status FROM tranches WHERE project_id = ?", [p["id"]])]
        assert "planned" not in statuses
        finals = [e for e in evals if e["project_id"] == p["id"] and e["kind"] == "final"]
        assert finals and finals[-1]["passed"] and finals[-1]["eval_date"] <= p["closed_on"]
        assert rates[p["id"]] <= 100.0
        low += rates[p["id"]] < 85
        assert rates[p["id"]] >= 55
        done = _all(demo_db, "SELECT done_on, due_date FROM project_milestones WHERE project_id = ?", [p["id"]])
        assert all(m["done_on"] is not None and m["done_on"] <= today for m in done)
    assert 1 <= low <= 5  # a few closed projects spent clearly less


def test_a_project_stopped_then_resumed(demo_db):
    rows = _all(demo_db, "SELECT e.project_id FROM evaluations e WHERE e.outcome = 'stop'")
    assert len(rows) == 1
    pid = rows[0]["project_id"]
    evals = [e for e in _evaluations(demo_db) if e["project_id"] == pid]
    assert [(e["kind"], e["passed"]) for e in evals] == [("midterm", False), ("midterm", True), ("final", True)]
    assert evals[0]["grade"] == "C"
    t2 = demo_db.fetch_one("SELECT * FROM tranches WHERE project_id = ? AND seq = 2", [pid])
    assert t2["status"] == "released" and t2["released_on"] >= evals[1]["eval_date"]
    events = [e["event"] for e in _all(demo_db, "SELECT event FROM project_events WHERE project_id = ?"
                                                " ORDER BY happened_on, id", [pid])]
    assert events.index("项目状态:停止拨付") < events.index("项目状态:执行中") < events.index("拨付第2期资金")
    assert demo_db.scalar("SELECT state FROM projects WHERE id = ?", [pid]) == "closed"


def test_the_terminated_project(demo_db):
    p = demo_db.fetch_one("SELECT * FROM projects WHERE state = 'terminated'")
    assert p is not None and float(p["recover_amount"]) > 0
    ts = _all(demo_db, "SELECT * FROM tranches WHERE project_id = ? ORDER BY seq", [p["id"]])
    assert [t["status"] for t in ts] == ["released", "cancelled", "cancelled"]
    spent = float(demo_db.scalar("SELECT sum(amount) FROM expenses WHERE project_id = ?", [p["id"]]))
    assert float(p["recover_amount"]) == pytest.approx(float(ts[0]["released_amount"]) - spent, abs=0.01)
    e = demo_db.fetch_one("SELECT * FROM evaluations WHERE project_id = ?", [p["id"]])
    assert e["outcome"] == "terminate" and e["grade"] == "C"
    assert float(e["recover_amount"]) == float(p["recover_amount"])
    last = demo_db.scalar("SELECT max(activity_date) FROM activities WHERE project_id = ?", [p["id"]])
    assert last < e["eval_date"]


# ---- the running round ---------------------------------------------------------------------------------
def _pace(db, p, today) -> float:
    elapsed = (today - p["start_date"]).days / (p["end_date"] - p["start_date"]).days
    times = db.scalar("SELECT coalesce(sum(person_times), 0) FROM activities"
                      " WHERE project_id = ? AND activity_date <= ?", [p["id"], today])
    return 100.0 * times / (p["planned_person_times"] * elapsed)


def test_running_projects_and_the_few_at_risk(demo_db, today):
    running = _running(demo_db, today)
    assert len(running) >= 4 and all(p["state"] == "active" and p["start_date"] <= today for p in running)
    evals = _evaluations(demo_db)
    behind, idle, overdue_report, overdue_stone, fine = [], [], [], [], []
    for p in running:
        pace = _pace(demo_db, p, today)
        last = demo_db.scalar("SELECT max(activity_date) FROM activities WHERE project_id = ?", [p["id"]])
        mids = [e for e in evals if e["project_id"] == p["id"] and e["kind"] == "midterm"]
        t2 = demo_db.fetch_one("SELECT * FROM tranches WHERE project_id = ? AND seq = 2", [p["id"]])
        late = demo_db.scalar("SELECT count(*) FROM project_milestones WHERE project_id = ? AND due_date < ?"
                              " AND done_on IS NULL", [p["id"], today])
        assert p["midterm_due"] < today < p["final_due"]
        if mids:  # passed where due, and tranche 2 released after it
            assert mids[-1]["passed"] and t2["status"] == "released" and t2["released_on"] >= mids[-1]["eval_date"]
        else:
            assert t2["status"] == "planned" and (today - p["midterm_due"]).days > POLICY.report_grace_days
            overdue_report.append(p["id"])
        if pace < 50:
            behind.append(p["id"])
        if (today - last).days > 30:
            idle.append(p["id"])
        if late and mids:
            overdue_stone.append(p["id"])
        if pace >= 80 and (today - last).days <= 10 and mids and not late:
            fine.append(p["id"])
    assert len(behind) >= 2 and len(idle) == 1 and len(overdue_report) == 1 and len(overdue_stone) >= 1
    assert len(fine) > len(running) / 2  # most on track
    at_risk = set(behind) | set(idle) | set(overdue_report) | set(overdue_stone)
    assert len(at_risk) >= 4 and not at_risk & set(fine)
    brands = {p["id"]: p["brand"] for p in running}
    assert all(brands[i] not in (BRAND_1516, BRAND_QK) for i in at_risk)


# ---- timelines, history, the write path ------------------------------------------------------------------
def test_timelines_tell_the_story(demo_db):
    ps = _projects(demo_db)
    events = _all(demo_db, "SELECT project_id, event, happened_on FROM project_events"
                           " ORDER BY project_id, happened_on, id")
    by: dict[int, list[dict]] = {}
    for e in events:
        by.setdefault(e["project_id"], []).append(e)
    released = Counter(r["project_id"] for r in _all(demo_db, "SELECT project_id FROM tranches"
                                                              " WHERE status = 'released'"))
    for p in ps:
        evs = by[p["id"]]
        assert evs[0]["event"] == "签订资助协议" and evs[0]["happened_on"] == p["agreement_date"]
        assert sum(e["event"].startswith("拨付第") for e in evs) == released[p["id"]]
        if p["state"] == "closed":
            assert evs[-1]["event"] == "项目状态:已结项" and evs[-1]["happened_on"] == p["closed_on"]
    assert len(_all(demo_db, "SELECT id FROM project_events WHERE event LIKE '%评估%'")) == \
        _one(demo_db, "SELECT count(*) FROM evaluations")


def test_audit_chain_holds_and_covers_the_monitoring_demo(demo_db):
    assert audit.verify(demo_db).ok
    for table in ("brands", "service_points", "projects", "project_milestones", "tranches", "activities",
                  "expenses", "evaluations", "project_events"):
        logged = _one(demo_db, "SELECT count(*) FROM audit_log WHERE table_name = ? AND action = 'create'", [table])
        assert logged == _one(demo_db, f"SELECT count(*) FROM {table}"), table
    assert _one(demo_db, "SELECT count(*) FROM audit_log WHERE table_name = 'tranches' AND action = 'release'") == \
        _one(demo_db, "SELECT count(*) FROM tranches WHERE status = 'released'")


def test_plan_is_deterministic(demo_db, today):
    inputs = demo_monitoring._inputs(demo_db)
    assert demo_monitoring.plan(inputs, today) == demo_monitoring.plan(inputs, today)


# ---- the plan on its own, on other days of the year ---------------------------------------------------
def _inputs_for(day: dt.date) -> list[dict]:
    """What load() reads from a demo database built on ``day``: the funded applications of
    demo_rounds.plan with the agreement values agreement_defaults would propose."""
    from core.demo import orgs as demo_orgs, rounds as demo_rounds

    orgs = [dict(r, id=i) for i, r in enumerate(demo_orgs.organisation_rows(today=day), start=1)]
    p = demo_rounds.plan(orgs, day)
    names = {o["id"]: o["name"] for o in orgs}
    rounds = {r["year"]: r for r in p["rounds"]}
    out = []
    for i, a in enumerate(p["applications"], start=1):
        if a["system"]["state"] != "funded":
            continue
        r, v, granted = rounds[a["year"]], a["values"], a["system"]["granted_amount"]
        lines = {c: round(granted * v[c] / v["requested_amount"], 2) for c in BUDGET_LINES}
        lines["budget_personnel"] = round(lines["budget_personnel"] + granted - sum(lines.values()), 2)
        start, end = r["project_start"], r["project_end"]
        defaults = {"agreement_no": "", "agreement_date": start, "granted_amount": granted, "start_date": start,
                    "end_date": end, "planned_activities": 1, "planned_person_times": v["planned_beneficiaries"],
                    "communities": v["communities"], "brand_id": None, **lines, "funds_self": 0.0,
                    "funds_enterprise": 0.0, "funds_donation": 0.0,
                    "midterm_due": start + dt.timedelta(days=(end - start).days // 2), "final_due": end, "notes": None}
        out.append({"app_id": i, "round_id": a["year"], "year": a["year"], "title": v["title"],
                    "category": v["category"], "org": names[v["org_id"]],
                    "planned_beneficiaries": v["planned_beneficiaries"], "notice_end": r["notice_end"],
                    "milestones": a["milestones"], "defaults": defaults})
    return out


@pytest.mark.parametrize("day", [dt.date(2026, 1, 3), dt.date(2026, 6, 30), dt.date(2027, 9, 1)])
def test_plan_on_other_days(day):
    p = demo_monitoring.plan(_inputs_for(day), day)
    ps = p["projects"]
    acts = [a for x in ps for a in x["activities"]]
    assert len(ps) == 76 and len(acts) >= 5000 and sum(a["person_times"] for a in acts) >= 100_000
    brand_times = Counter()
    for x in ps:
        brand_times[x["brand"]] += sum(a["person_times"] for a in x["activities"])
        ag = x["agreement"]
        assert all(ag["start_date"] <= a["activity_date"] <= min(ag["end_date"], day) for a in x["activities"])
        assert all(e["expense_date"] <= day for e in x["expenses"])
        dates = [s["on"] for s in x["steps"]]
        assert dates == sorted(dates) and all(d <= day for d in dates)
        passed = {s["row"]["kind"]: s["on"] for s in x["steps"] if s["step"] == "evaluation" and s["row"]["passed"]}
        for s in x["steps"]:
            if s["step"] == "release" and s["seq"] > 1:
                assert passed[("midterm", "final")[s["seq"] - 2]] <= s["on"]
        assert all(d is None or d <= day for d in x["done"])
    assert brand_times["1516便民服务"] >= 30_000 and brand_times["青葵伙伴"] >= 8_000
    roles = Counter(x["role"] for x in ps)
    assert roles["terminated"] == roles["stopped_resumed"] == 1 and roles["closed_low"] == 3
    assert roles["on_track"] >= 4 and all(roles[r] for r in demo_monitoring.AT_RISK)
