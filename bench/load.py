"""The load test (issue 8): many sessions reading and writing at once through the core read and write
paths, the way Streamlit runs them, then a check that every acknowledged write is stored and audited.

    python3 bench/load.py [--sessions 50] [--seconds 60] [--mix reviewer=2,staff=2,leader=1]
                          [--think-ms 0] [--apps 60] [--db FILE] [--out bench/RESULTS-load.md] [--no-write]
    python3 bench/load.py --think-ms 2000      # paced: each session pauses about 2 s between operations
    python3 bench/load.py --read-slots 3       # experiment: at most 3 reads at once in the process
    python3 bench/load.py --wait-quiet 1800    # start the sessions only once other processes are quiet

Each run rewrites its own part of ``bench/RESULTS-load.md`` (``core``, ``core-paced`` with
``--think-ms``, ``core-read-slots`` with ``--read-slots``; ``--section`` chooses another).

How it runs (one process, one thread per session, as ``streamlit run`` does):

1. **Database.** A demo database is built with ``core.app.bootstrap()`` under ``HUBDESK_DEMO=1`` into a
   temporary file, in a child process (as a server's first start would build it); ``--db FILE`` copies
   an existing HubDesk database instead. The load process then opens the copy through ``core.platform.db`` —
   the one ``Database`` of the process: a cursor per read, every write under the one write lock.
2. **Scenario** (:func:`prepare`, through the audited write path, before the clock starts): a
   公益创投 round under expert review (``压力测试批次``) with applications from the registry's active
   organisations, reviewer accounts (``loadrev01`` …) each assigned to every application, and the
   running projects that activities are recorded against (a funded, signed one is created when the
   database has none, e.g. the small database of the CI test).
3. **Sessions** (:func:`run`), released together, each for ``--seconds``, pausing ``--think-ms``
   (± 50%) after every operation (default 0: every session always busy, so the process is saturated
   and latency is mostly waiting for the CPU and the write lock; with a pause it shows what users
   feel at that pace). A session has one role:

   - *reviewer* (its own account): ``reviews.my_assignments`` and ``reviews.application_for_reviewer``
     (reads), then for its next task ``assignment.confirm_no_conflict``, a draft and the submission
     through ``reviews.save`` (writes);
   - *staff*: activities through ``ledger.add``, registry edits through ``organisations.update``
     (any organisation, so two sessions may edit the same one), list pages through
     ``listing.fetch_page`` with realistic searches, filters, sorts and pages, a project's progress
     (``ledger.progress``) and its risk warnings (``risks.warnings``);
   - *leader*: the dashboard's named queries through ``core.dashboards.dashboard.run`` with random filters (year
     window, round, category, community); without ``core.dashboards.dashboard``, the list views.

4. **Check** (:func:`verify`), after every session has stopped: each acknowledged write (the call
   returned) is looked up — the stored values equal what was sent, and its audit rows are there —
   and nothing was stored that no session was told about; the audit hash chain is verified. A write
   that fails any of it counts as *lost*.

Reported per operation kind: count, throughput, p50/p95/p99/max latency, errors (must be 0) and lost
writes (must be 0). ``tests/test_load_short.py`` runs the same harness briefly on a small database.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import random
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from collections import defaultdict
from dataclasses import dataclass, field
from importlib import util as importlib_util
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

RESULTS = ROOT / "bench" / "RESULTS-load.md"
ROUND_NAME = "压力测试批次"
ACTIVITY_PREFIX = "压力测试活动"
NOTE_PREFIX = "压力测试修改"
REVIEWER_PREFIX = "loadrev"
LOAD_CAP = 200  # the largest per-round load a reviewer profile may have
WRITE_KINDS = ("review_confirm", "review_draft", "review_submit", "activity_add", "org_update")
READ_KINDS = ("reviewer_tasks", "review_open", "list_page", "project_progress", "project_risks", "dashboard_query")
KIND_LABELS = {
    "reviewer_tasks": "我的评审: task list (reviews.my_assignments)",
    "review_open": "我的评审: open an application (reviews.application_for_reviewer)",
    "review_confirm": "declare no conflict (assignment.confirm_no_conflict)",
    "review_draft": "save a scoring draft (reviews.save)",
    "review_submit": "submit scores (reviews.save, submit=True)",
    "activity_add": "record an activity (ledger.add)",
    "org_update": "edit an organisation (organisations.update)",
    "list_page": "list page: search/filter/sort (listing.fetch_page)",
    "project_progress": "a project's progress (ledger.progress)",
    "project_risks": "a project's risk warnings (risks.warnings)",
    "dashboard_query": "dashboard query (core.dashboards.dashboard.run)",
}
STAFF_MIX = (("activity_add", 30), ("org_update", 20), ("list_page", 25), ("project_progress", 10),
             ("project_risks", 15))


# ==== the scenario ===================================================================================
@dataclass
class Scenario:
    """What :func:`prepare` set up: the round under review, each reviewer's tasks (assignment ids, in the
    order the reviewer works through them), the running projects, the organisations to edit."""

    today: dt.date
    round_id: int
    criteria: list[dict]
    tasks: dict[str, list[int]]
    projects: list[dict]
    org_ids: list[int]
    setup_seconds: float = 0.0

    def to_json(self) -> str:
        return json.dumps({"today": self.today.isoformat(), "round_id": self.round_id,
                           "criteria": [{k: c[k] for k in ("id", "name", "max_score", "weight")} for c in self.criteria],
                           "tasks": self.tasks, "projects": [{"id": p["id"], "communities": p["communities"],
                                                              "start_date": p["start_date"].isoformat()}
                                                             for p in self.projects],
                           "org_ids": self.org_ids, "setup_seconds": self.setup_seconds},
                          ensure_ascii=False, default=str)

    @classmethod
    def from_json(cls, text: str) -> "Scenario":
        d = json.loads(text)
        projects = [dict(p, start_date=dt.date.fromisoformat(p["start_date"])) for p in d["projects"]]
        return cls(today=dt.date.fromisoformat(d["today"]), round_id=d["round_id"], criteria=d["criteria"],
                   tasks={k: list(v) for k, v in d["tasks"].items()}, projects=projects, org_ids=d["org_ids"],
                   setup_seconds=d.get("setup_seconds", 0.0))


def _days(d: dt.date, n: int) -> dt.date:
    return d + dt.timedelta(days=n)


def _round_values(name: str, today: dt.date, *, review_open: bool, project_from: dt.date | None = None) -> dict:
    """A round whose expert review is open today (``review_open``), or whose projects run today."""
    from core.intake import rounds

    v = rounds.defaults(today.year)
    v.update(name=name, total_budget=5_000_000.0, max_apps_per_org=10)
    if review_open:
        marks = {"ideas_start": -60, "ideas_end": -50, "apply_start": -45, "apply_end": -30, "screening_end": -20,
                 "review_start": -10, "review_end": 30, "notice_start": 35, "notice_end": 42, "project_start": 50,
                 "project_end": 330}
        v.update({k: _days(today, n) for k, n in marks.items()})
    else:
        start = project_from or _days(today, -120)
        marks = {"ideas_start": -100, "ideas_end": -90, "apply_start": -80, "apply_end": -70, "screening_end": -60,
                 "review_start": -50, "review_end": -40, "notice_start": -30, "notice_end": -25}
        v.update({k: _days(start, n) for k, n in marks.items()})
        v.update(project_start=start, project_end=_days(start, 300))
    return v


def _application(round_id: int, org_id: int, n: int, category: str, actor) -> int:
    """A complete application (40,000 元 over the five budget lines), submitted, screened and sent to
    专家评审 through the workflow."""
    from core.intake import applications, rounds, workflow

    rnd = rounds.get(round_id)
    values = {
        "round_id": round_id, "org_id": org_id, "category": category, "title": f"{ROUND_NAME}项目第{n:03d}号",
        "summary": "为辖区居民提供常态化的社区服务", "needs_analysis": "居民走访和问卷显示需求集中",
        "communities": ["文海社区"], "target_group": "辖区居民", "planned_beneficiaries": 1000,
        "planned_activities": "每月两次社区服务活动", "budget_personnel": 20000, "budget_materials": 10000,
        "budget_venue": 5000, "budget_publicity": 3000, "budget_other": 2000, "requested_amount": 40000,
    }
    stones = [{"due_date": _days(rnd["project_start"], 90), "deliverable": "中期自评报告"}]
    app_id = applications.save_draft(values, stones, actor)
    applications.submit(app_id, actor)
    for state in ("screening", "eligible", "under_review"):
        workflow.move(applications.APPLICATION, app_id, state, actor)
    return app_id


def _ensure_orgs(db, n: int, actor) -> list[int]:
    """At least ``n`` active organisations (filed 社区社会组织 are added when the registry has fewer)."""
    from core.orgs import organisations
    from schemas import choices

    have = [r["id"] for r in db.fetch_all("SELECT id FROM organisations WHERE active ORDER BY id")]
    comms = choices.get("communities") or list(choices.DEMO_COMMUNITIES)
    for i in range(len(have), n):
        have.append(organisations.create({
            "name": f"下沙街道压力测试志愿服务队{i + 1:03d}", "kind": choices.FILED_KIND,
            "filing_no": f"下沙备字〔2026〕第9{i + 1:03d}号", "contact_person": "测试联系人",
            "contact_phone": f"1385710{i + 1:04d}", "community": comms[i % len(comms)], "stage": "初创期",
            "active": True}, actor))
    return have


def _running_projects(db, today: dt.date, want: int, actor) -> list[dict]:
    """Running projects whose period includes today (a funded, signed one is made when there is none)."""
    sql = ("SELECT id, communities, start_date FROM projects WHERE state = 'active' AND start_date <= ?"
           " AND end_date >= ? ORDER BY id LIMIT ?")
    rows = db.fetch_all(sql, [today, today, want])
    if rows:
        return rows
    from core.intake import applications, rounds, workflow
    from core.monitoring import projects
    from core.review import decisions

    rid = rounds.create(_round_values(f"{ROUND_NAME}(执行中)", today, review_open=False), actor)
    org = _ensure_orgs(db, 1, actor)[0]
    app_id = _application(rid, org, 0, "社区治理", actor)
    for state in ("reviewed", "recommended"):
        workflow.move(applications.APPLICATION, app_id, state, actor)
    decisions.decide(app_id, {"decision": "资助", "granted_amount": 40000, "note": None}, actor)
    workflow.move(applications.APPLICATION, app_id, "funded", actor)
    values = projects.agreement_defaults(app_id, today=today)
    values["agreement_date"] = min(values.get("agreement_date") or today, today)
    projects.sign_agreement(app_id, values, actor)
    return db.fetch_all(sql, [today, today, want])


def prepare(db, *, reviewers: list[str], apps: int, create_accounts: bool = True, today: dt.date | None = None,
            projects: int = 20) -> Scenario:
    """The scenario, written through the audited write path: a round under review with ``apps``
    applications, each assigned to every one of ``reviewers`` (accounts created when
    ``create_accounts``; their per-round cap raised to the largest allowed), running projects.
    ``db`` is the process's database (``core.platform.db.get_db()``: some core functions take no ``db``)."""
    from core.intake import rounds, rubrics
    from core.platform import users
    from core.platform.actor import SYSTEM
    from core.review import assignment, reviewers as reviewer_profiles
    from schemas import choices

    started = time.perf_counter()
    today = today or dt.date.today()
    actor = SYSTEM
    if create_accounts:
        for name in reviewers:
            if users.get(name, db) is None:
                users.create({"username": name, "name": f"压力测试专家{name[-2:]}", "roles": ["reviewer"],
                              "active": True}, actor, db=db)
    for name in reviewers:
        current = reviewer_profiles.profile(name, db)
        values = {"expertise": (current or {}).get("expertise") or ["社区治理"], "load_cap": LOAD_CAP}
        reviewer_profiles.save_profile(name, values, actor, db=db)
    rid = rounds.create(_round_values(ROUND_NAME, today, review_open=True), actor, db=db)
    orgs = _ensure_orgs(db, min(apps, 12), actor)
    cats = rounds.get(rid, db)["categories"] or list(choices.PROJECT_CATEGORIES)
    app_orgs: list[tuple[int, int]] = []
    for n in range(apps):
        org = orgs[n % len(orgs)]
        app_orgs.append((_application(rid, org, n + 1, cats[n % len(cats)], actor), org))
    tasks: dict[str, list[int]] = {}
    for name in reviewers:
        pairs = [(app_id, name) for app_id, org in app_orgs if not reviewer_profiles.conflicts(name, org, db=db)]
        assignment.confirm_plan(rid, pairs, actor, db=db)
        tasks[name] = [r["id"] for r in db.fetch_all(
            "SELECT s.id FROM assignments s JOIN applications a ON a.id = s.application_id"
            " WHERE a.round_id = ? AND s.reviewer = ? ORDER BY s.id", [rid, name])]
    running = _running_projects(db, today, projects, actor)
    return Scenario(today=today, round_id=rid, criteria=rubrics.criteria(rid, db), tasks=tasks,
                    projects=[{"id": p["id"], "communities": list(p["communities"] or []), "start_date": p["start_date"]}
                              for p in running],
                    org_ids=orgs, setup_seconds=round(time.perf_counter() - started, 1))


# ==== recording ======================================================================================
@dataclass
class Acks:
    """Every write a session was told had succeeded (the call returned), with what it sent."""

    confirms: list[tuple[str, int]] = field(default_factory=list)  # (reviewer, assignment id)
    drafts: list[dict] = field(default_factory=list)  # reviewer, assignment, scores, comments, recommendation
    submits: list[dict] = field(default_factory=list)  # the same, plus total
    activities: list[dict] = field(default_factory=list)  # id, actor, project_id, activity_date, title, ...
    org_updates: list[dict] = field(default_factory=list)  # org_id, actor, notes

    def merge(self, other: "Acks") -> None:
        for name in ("confirms", "drafts", "submits", "activities", "org_updates"):
            getattr(self, name).extend(getattr(other, name))

    def count(self, kind: str) -> int:
        return len({"review_confirm": self.confirms, "review_draft": self.drafts, "review_submit": self.submits,
                    "activity_add": self.activities, "org_update": self.org_updates}[kind])


@dataclass
class SessionLog:
    """One session's own record (no sharing between threads while they run)."""

    role: str
    name: str
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))  # kind -> ms
    errors: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    acks: Acks = field(default_factory=Acks)
    exhausted: bool = False  # a reviewer who ran out of tasks (then only reads)

    def timed(self, kind: str, fn):
        start = time.perf_counter()
        try:
            out = fn()
        except Exception as exc:  # noqa: BLE001 - every failure is an error of its kind, reported
            self.latencies[kind].append((time.perf_counter() - start) * 1000)
            detail = "".join(traceback.format_exception_only(type(exc), exc)).strip()
            if not self.errors[kind]:
                detail += "\n" + "".join(traceback.format_tb(exc.__traceback__)[-3:])
            self.errors[kind].append(detail)
            return _FAILED
        self.latencies[kind].append((time.perf_counter() - start) * 1000)
        return out


_FAILED = object()


# ==== sessions =======================================================================================
class Session:
    def __init__(self, log: SessionLog, scenario: Scenario, rng: random.Random, db, think_ms: float, run_id: str = ""):
        self.log, self.s, self.rng, self.db, self.think = log, scenario, rng, db, think_ms / 1000
        self.tag = f"{run_id}-{log.name}" if run_id else log.name  # unique per run and session

    def step(self) -> None:
        """One operation (a reviewer: one task, several operations with pauses between them)."""
        raise NotImplementedError

    def pause(self) -> None:
        """The think time after an operation (± 50%, so sessions do not move in lockstep); none once the
        time is up (a reviewer's task started before then is finished without pauses)."""
        if self.think and time.perf_counter() < self.stop_at[0]:
            time.sleep(self.think * self.rng.uniform(0.5, 1.5))

    def run(self, start: threading.Barrier, stop_at: list[float]) -> None:
        self.stop_at = stop_at
        start.wait()
        while time.perf_counter() < stop_at[0]:
            self.step()
            self.pause()


class ReviewerSession(Session):
    """A reviewer working through their tasks: the task list, the application, then declare no
    conflict, save a draft, submit."""

    def __init__(self, *args, username: str):
        super().__init__(*args)
        from core.platform.actor import Actor

        self.actor = Actor(username, ("reviewer",))
        self.todo = self.s.tasks.setdefault(username, [])  # consumed: each task is scored once
        self.done: list[int] = []
        self.seq = 0

    def _form(self, final: bool) -> tuple[dict, dict, dict, str]:
        scores, comments, values = {}, {}, {}
        for c in self.s.criteria:
            top = int(float(c["max_score"]))
            scores[c["id"]] = float(self.rng.randint(top // 2, top))
            comments[c["id"]] = f"{'终评' if final else '初评'}:{c['name']} {self.tag}-{self.seq}"
            values[f"score_{c['id']}"] = scores[c["id"]]
            values[f"comment_{c['id']}"] = comments[c["id"]]
        recommendation = self.rng.choice(("推荐", "可推荐", "不推荐"))
        values["recommendation"] = recommendation
        return values, scores, comments, recommendation

    def step(self) -> None:
        from core.review import assignment, reviews

        log = self.log
        log.timed("reviewer_tasks", lambda: reviews.my_assignments(self.actor.username, self.db))
        self.pause()
        if not self.todo:
            log.exhausted = True
            if self.done:  # reread a finished task, as the screen does
                aid = self.rng.choice(self.done)
                log.timed("review_open", lambda: reviews.application_for_reviewer(aid, self.actor, self.db))
            return
        aid = self.todo.pop(0)
        self.done.append(aid)
        self.seq += 1
        if log.timed("review_open", lambda: reviews.application_for_reviewer(aid, self.actor, self.db)) is _FAILED:
            return
        self.pause()
        if log.timed("review_confirm", lambda: assignment.confirm_no_conflict(aid, self.actor, self.db)) is _FAILED:
            return
        log.acks.confirms.append((self.actor.username, aid))
        today = self.s.today
        for final in (False, True):
            self.pause()
            values, scores, comments, rec = self._form(final)
            kind = "review_submit" if final else "review_draft"
            total = log.timed(kind, lambda: reviews.save(aid, values, self.actor, submit=final, today=today,
                                                         db=self.db))
            if total is _FAILED:
                return
            ack = {"reviewer": self.actor.username, "assignment_id": aid, "scores": scores, "comments": comments,
                   "recommendation": rec, "total": total}
            (log.acks.submits if final else log.acks.drafts).append(ack)


class StaffSession(Session):
    """Hub staff: record activities, edit the registry, page through lists, look at a project."""

    def __init__(self, *args, username: str):
        super().__init__(*args)
        from core.intake import applications
        from core.monitoring import ledger, projects
        from core.orgs import organisations
        from core.platform.actor import Actor
        from core.platform.listing import Query
        from schemas import choices

        self.actor = Actor(username, ("staff",))
        self.n = 0
        self.Query = Query
        self.views = (organisations.LIST_VIEW, projects.LIST_VIEW, ledger.LIST_VIEW, applications.LIST_VIEW)
        self.kinds = choices.get("activity_kinds")
        self.communities = choices.get("communities")
        self.filter_choices = {(v.entity.table, f.name): f.choices() for v in self.views for f in v.filters}
        kinds, weights = zip(*STAFF_MIX)
        self.mix_kinds, self.mix_weights = kinds, weights
        # each kind once first (in a random order), then by weight: a short run still does every kind
        self.first = list(kinds)
        self.rng.shuffle(self.first)

    def _activity(self) -> None:
        from core.monitoring import ledger

        p = self.rng.choice(self.s.projects)
        self.n += 1
        day = max(_days(self.s.today, -self.rng.randint(0, 20)), p["start_date"])
        participants = self.rng.randint(5, 60)
        values = {"project_id": p["id"], "activity_date": day,
                  "community": self.rng.choice(p["communities"] or self.communities),
                  "place": "社区活动室", "kind": self.rng.choice(self.kinds),
                  "title": f"{ACTIVITY_PREFIX} {self.tag}-{self.n:05d}", "participants": participants,
                  "person_times": participants * self.rng.randint(1, 3), "volunteers": self.rng.randint(0, 5),
                  "notes": None}
        got = self.log.timed("activity_add", lambda: ledger.add(values, self.actor, db=self.db))
        if got is not _FAILED:
            self.log.acks.activities.append({"id": int(got), "actor": self.actor.username, **values})

    def _org_update(self) -> None:
        from core.orgs import organisations

        org_id = self.rng.choice(self.s.org_ids)
        self.n += 1
        notes = f"{NOTE_PREFIX} {self.tag}-{self.n:05d}"
        got = self.log.timed("org_update", lambda: organisations.update(org_id, {"notes": notes}, self.actor))
        if got is not _FAILED:
            self.log.acks.org_updates.append({"org_id": org_id, "actor": self.actor.username, "notes": notes,
                                              "changed": bool(got)})

    def _list_page(self) -> None:
        from core.platform import listing

        view = self.rng.choice(self.views)
        filters = {}
        for f in self.rng.sample(list(view.filters), k=min(len(view.filters), self.rng.choice((0, 0, 1, 1, 2)))):
            options = self.filter_choices[(view.entity.table, f.name)]
            if options:
                filters[f.name] = [str(self.rng.choice(options))]
        search = self.rng.choice(("", "", "", "社区", "服务", "2025", "协会", "压力测试"))
        q = self.Query(search=search, filters=filters, sort=self.rng.choice([None] + [c.name for c in view.columns]),
                       desc=self.rng.random() < 0.5, page=self.rng.randint(1, 3), page_size=50)
        self.log.timed("list_page", lambda: listing.fetch_page(view, q, self.db))

    def step(self) -> None:
        from core.monitoring import ledger, risks

        kind = self.first.pop() if self.first else self.rng.choices(self.mix_kinds, weights=self.mix_weights)[0]
        if kind == "activity_add":
            self._activity()
        elif kind == "org_update":
            self._org_update()
        elif kind == "list_page":
            self._list_page()
        elif kind == "project_progress":
            pid = self.rng.choice(self.s.projects)["id"]
            self.log.timed(kind, lambda: ledger.progress(pid, today=self.s.today, db=self.db))
        else:
            pid = self.rng.choice(self.s.projects)["id"]
            self.log.timed(kind, lambda: risks.warnings(today=self.s.today, project_id=pid, db=self.db))


class LeaderSession(Session):
    """The leadership screen: the dashboard's named queries under random filters."""

    def __init__(self, *args):
        super().__init__(*args)
        self.dashboard = None
        if importlib_util.find_spec("core.dashboards.dashboard") is not None:
            from core.dashboards import dashboard

            self.dashboard = dashboard
            self.options = dashboard.filter_options(self.db)
            self.names = list(dashboard.QUERIES)
        else:  # no dashboard module: the leader pages through the list views instead
            self.staff = StaffSession(self.log, self.s, self.rng, self.db, 0, username="leader")
            self.staff.tag = self.tag

    def _filters(self):
        o, rng = self.options, self.rng
        years = o["years"]
        year_to = rng.choice([None, None] + years[-4:])
        year_from = rng.choice([None, None, None] + [y for y in years if year_to is None or y <= year_to][-4:])
        return self.dashboard.Filters(
            year_from=year_from, year_to=year_to,
            round_id=rng.choice([None, None, None] + list(o["rounds"])[:4]),
            category=rng.choice([None, None, None] + list(o["categories"])),
            community=rng.choice([None, None, None] + list(o["communities"])))

    def step(self) -> None:
        if self.dashboard is None:
            self.staff._list_page()
            return
        name, f = self.rng.choice(self.names), self._filters()
        self.log.timed("dashboard_query", lambda: self.dashboard.run(name, f, self.db))


def limit_reads(db, slots: int) -> None:
    """An experiment, for this process's ``db`` object only: at most ``slots`` reads run at once (the
    others wait without using the CPU), so a session holding the write lock competes with fewer threads
    for the interpreter. ``--read-slots`` compares it with the unlimited reads HubDesk has."""
    from contextlib import contextmanager

    gate, inner = threading.BoundedSemaphore(slots), db.read

    @contextmanager
    def read():
        with gate, inner() as cur:
            yield cur

    db.read = read  # the instance attribute shadows Database.read; fetch_df/fetch_all/scalar use it


def parse_mix(text: str) -> dict[str, int]:
    out = {}
    for part in text.split(","):
        role, _, weight = part.partition("=")
        if role.strip() not in ("reviewer", "staff", "leader"):
            raise ValueError(f"unknown role {role!r} in --mix")
        out[role.strip()] = int(weight or 1)
    return out


def roles_for(sessions: int, mix: dict[str, int]) -> list[str]:
    """Session roles in proportion to ``mix`` (largest remainder), interleaved."""
    total = sum(mix.values())
    counts = {r: sessions * w // total for r, w in mix.items()}
    order = sorted(mix, key=lambda r: -(sessions * mix[r] / total - counts[r]))
    for r in order[: sessions - sum(counts.values())]:
        counts[r] += 1
    out, left = [], dict(counts)
    while len(out) < sessions:
        for r in mix:
            if left[r]:
                out.append(r)
                left[r] -= 1
    return out


def reviewer_names(n: int) -> list[str]:
    return [f"{REVIEWER_PREFIX}{i:02d}" for i in range(1, n + 1)]


# ==== running ========================================================================================
@dataclass
class Result:
    sessions: int
    seconds: float
    wall: float
    roles: dict[str, int]
    logs: list[SessionLog]
    acks: Acks
    think_ms: float

    def latencies(self, kind: str) -> list[float]:
        return [x for log in self.logs for x in log.latencies.get(kind, [])]

    def errors(self, kind: str) -> list[str]:
        return [x for log in self.logs for x in log.errors.get(kind, [])]

    @property
    def kinds(self) -> list[str]:
        seen = {k for log in self.logs for k in log.latencies}
        return [k for k in READ_KINDS + WRITE_KINDS if k in seen]

    @property
    def error_count(self) -> int:
        return sum(len(v) for log in self.logs for v in log.errors.values())

    @property
    def exhausted(self) -> int:
        return sum(log.exhausted for log in self.logs)


def run(db, scenario: Scenario, *, sessions: int, seconds: float, mix: dict[str, int] | None = None,
        think_ms: float = 0.0, seed: int = 8) -> Result:
    """``sessions`` threads (roles by ``mix``) released together, each working for ``seconds``; each
    pauses ``think_ms`` (± 50%) after every operation. A reviewer session takes tasks from its own list
    in ``scenario`` (consumed: a second run on the same scenario goes on with the next tasks)."""
    run_id = f"r{int(time.time() * 1000) % 10**8:08d}"
    mix = mix or {"reviewer": 2, "staff": 2, "leader": 1}
    roles = roles_for(sessions, mix)
    reviewers = list(scenario.tasks)
    if roles.count("reviewer") > len(reviewers):
        raise ValueError(f"{roles.count('reviewer')} reviewer sessions but only {len(reviewers)} reviewer accounts")
    logs, threads, made = [], [], []
    start, stop_at = threading.Barrier(sessions + 1), [float("inf")]
    counters = defaultdict(int)
    for i, role in enumerate(roles):
        counters[role] += 1
        rng = random.Random(seed * 1000 + i)
        if role == "reviewer":
            name = reviewers[counters[role] - 1]
            log = SessionLog(role, name)
            s = ReviewerSession(log, scenario, rng, db, think_ms, run_id, username=name)
        elif role == "staff":
            name = f"loadstaff{counters[role]:02d}"
            log = SessionLog(role, name)
            s = StaffSession(log, scenario, rng, db, think_ms, run_id, username=name)
        else:
            log = SessionLog(role, f"leader{counters[role]:02d}")
            s = LeaderSession(log, scenario, rng, db, think_ms, run_id)
        logs.append(log)
        made.append(s)
        threads.append(threading.Thread(target=s.run, args=(start, stop_at), name=log.name, daemon=True))
    for t in threads:
        t.start()
    stop_at[0] = time.perf_counter() + seconds  # set before the release: every session sees it
    began = time.perf_counter()
    start.wait()
    for t in threads:
        t.join()
    wall = time.perf_counter() - began
    acks = Acks()
    for log in logs:
        acks.merge(log.acks)
    return Result(sessions, seconds, wall, dict(counters), logs, acks, think_ms)


# ==== checking =======================================================================================
@dataclass
class Verdict:
    lost: dict[str, list[str]]  # kind -> what is missing or wrong, one line per lost write
    phantoms: dict[str, int]  # kind -> rows stored that no session was told about
    audit_rows: int  # audit rows written during the run
    audit_expected: int
    chain_ok: bool
    chain_rows: int
    chain_reason: str = ""

    @property
    def lost_count(self) -> int:
        return sum(len(v) for v in self.lost.values())

    @property
    def ok(self) -> bool:
        return (self.lost_count == 0 and not any(self.phantoms.values()) and self.chain_ok
                and self.audit_rows == self.audit_expected)


def verify(db, scenario: Scenario, acks: Acks, audit_from: int) -> Verdict:
    """Look up every acknowledged write (values and audit rows); count unacknowledged rows; verify the
    audit chain. ``audit_from``: the last audit id before the sessions started."""
    from core.platform import audit

    lost: dict[str, list[str]] = {k: [] for k in WRITE_KINDS}
    log = db.fetch_df("SELECT id, actor, table_name, row_key, action, after_json FROM audit_log WHERE id > ?"
                      " ORDER BY id", [audit_from])
    by = defaultdict(list)  # (table, action, row_key) -> audit rows
    for r in log.itertuples(index=False):
        by[(r.table_name, r.action, r.row_key)].append(r)

    def one_audit(kind: str, table: str, action: str, key, actor: str, what: str) -> bool:
        rows = by.get((table, action, str(key)), [])
        if len(rows) != 1 or rows[0].actor != actor:
            lost[kind].append(f"{what}: {len(rows)} audit rows {table}/{action} (actor {[r.actor for r in rows]})")
            return False
        return True

    # -- reviews
    rid = scenario.round_id
    assignments = {r["id"]: r for r in db.fetch_all(
        "SELECT s.id, s.reviewer, s.no_conflict_at FROM assignments s JOIN applications a ON a.id = s.application_id"
        " WHERE a.round_id = ?", [rid])}
    for reviewer, aid in acks.confirms:
        row = assignments.get(aid)
        if row is None or row["no_conflict_at"] is None or row["reviewer"] != reviewer:
            lost["review_confirm"].append(f"assignment {aid}: no_conflict_at not stored")
            continue
        one_audit("review_confirm", "assignments", "declare_no_conflict", aid, reviewer, f"assignment {aid}")
    stored = {r["assignment_id"]: r for r in db.fetch_all(
        "SELECT v.id, v.assignment_id, v.reviewer, v.status, v.total, v.recommendation, v.submitted_at"
        " FROM reviews v JOIN applications a ON a.id = v.application_id WHERE a.round_id = ?", [rid])}
    scores = defaultdict(dict)
    for r in db.fetch_all("SELECT s.id, s.review_id, s.criterion_id, s.score, s.comment FROM review_scores s"
                          " JOIN reviews v ON v.id = s.review_id JOIN applications a ON a.id = v.application_id"
                          " WHERE a.round_id = ?", [rid]):
        scores[r["review_id"]][r["criterion_id"]] = r
    for ack in acks.drafts:
        review = stored.get(ack["assignment_id"])
        what = f"draft of assignment {ack['assignment_id']}"
        if review is None:
            lost["review_draft"].append(f"{what}: no review row")
            continue
        ok = one_audit("review_draft", "reviews", "create", review["id"], ack["reviewer"], what)
        ids = [s["id"] for s in scores[review["id"]].values()]
        made = sum(len(by.get(("review_scores", "create", str(i)), [])) for i in ids)
        if ok and (len(ids) != len(ack["scores"]) or made != len(ids)):
            lost["review_draft"].append(f"{what}: {len(ids)} scores stored, {made} audited, {len(ack['scores'])} sent")
    for ack in acks.submits:
        review = stored.get(ack["assignment_id"])
        what = f"submission of assignment {ack['assignment_id']}"
        if review is None or review["status"] != "submitted" or review["submitted_at"] is None:
            lost["review_submit"].append(f"{what}: not stored as submitted ({review and review['status']})")
            continue
        got = {cid: (float(s["score"]), s["comment"]) for cid, s in scores[review["id"]].items()}
        sent = {cid: (float(ack["scores"][cid]), ack["comments"][cid]) for cid in ack["scores"]}
        if got != sent or review["recommendation"] != ack["recommendation"] or \
                abs(float(review["total"]) - float(ack["total"])) > 0.005:
            lost["review_submit"].append(f"{what}: stored values differ from the ones sent")
            continue
        if one_audit("review_submit", "reviews", "submit_review", review["id"], ack["reviewer"], what):
            updated = sum(len(by.get(("review_scores", "update", str(s["id"])), []))
                          for s in scores[review["id"]].values())
            if updated != len(sent):
                lost["review_submit"].append(f"{what}: {updated} score updates audited, {len(sent)} expected")
    phantoms = {
        "review_confirm": sum(1 for r in assignments.values() if r["no_conflict_at"] is not None) - len(acks.confirms),
        "review_draft": len(stored) - len(acks.drafts),
        "review_submit": sum(1 for r in stored.values() if r["status"] == "submitted") - len(acks.submits),
    }

    # -- activities
    acts = {r["id"]: r for r in db.fetch_all(
        "SELECT id, project_id, activity_date, title, community, kind, participants, person_times, volunteers,"
        " created_by FROM activities WHERE title LIKE ?", [ACTIVITY_PREFIX + " %"])}
    for ack in acks.activities:
        row = acts.get(ack["id"])
        what = f"activity {ack['id']} ({ack['title']})"
        keys = ("project_id", "activity_date", "title", "community", "kind", "participants", "person_times",
                "volunteers")
        if row is None or any(row[k] != ack[k] for k in keys) or row["created_by"] != ack["actor"]:
            lost["activity_add"].append(f"{what}: {'missing' if row is None else 'stored values differ'}")
            continue
        one_audit("activity_add", "activities", "create", ack["id"], ack["actor"], what)
    phantoms["activity_add"] = len(acts) - len(acks.activities)

    # -- registry edits: each acknowledged edit has its own audit row (after_json holds its note), and
    # every edited organisation holds the note of its last audited edit
    updates = log[(log["table_name"] == "organisations") & (log["action"] == "update")]
    notes_of = {}
    for r in updates.itertuples(index=False):
        notes_of.setdefault(json.loads(r.after_json or "{}").get("notes"), []).append(r)
    last = {}
    for ack in acks.org_updates:
        rows = notes_of.get(ack["notes"], [])
        what = f"organisation {ack['org_id']} edit {ack['notes']!r}"
        if not ack["changed"]:  # the organisation already held this note: nothing written, nothing audited
            if rows:
                lost["org_update"].append(f"{what}: reported unchanged, but audited {len(rows)} times")
            continue
        if len(rows) != 1 or rows[0].row_key != str(ack["org_id"]) or rows[0].actor != ack["actor"]:
            lost["org_update"].append(f"{what}: {len(rows)} audit rows")
            continue
        if rows[0].id > last.get(ack["org_id"], (0, None))[0]:
            last[ack["org_id"]] = (rows[0].id, ack["notes"])
    if last:
        marks = ", ".join("?" for _ in last)
        now = {r["id"]: r for r in db.fetch_all(f"SELECT id, notes, updated_by FROM organisations WHERE id IN ({marks})",
                                                list(last))}
        for org_id, (_, notes) in last.items():
            if now.get(org_id, {}).get("notes") != notes:
                lost["org_update"].append(f"organisation {org_id}: stores {now.get(org_id, {}).get('notes')!r},"
                                          f" the last acknowledged edit was {notes!r}")
    changed = [a for a in acks.org_updates if a["changed"]]
    phantoms["org_update"] = len(updates) - len(changed)

    # -- audit rows in all: one per confirm, activity and edit; a review and its scores per draft (one
    # row each) and per submission (the review and every score, whose comment always changes)
    per_review = 1 + len(scenario.criteria)
    expected = (len(acks.confirms) + len(acks.activities) + len(changed)
                + per_review * (len(acks.drafts) + len(acks.submits)))
    chain = audit.verify(db)
    return Verdict(lost={k: v for k, v in lost.items()}, phantoms=phantoms, audit_rows=len(log),
                   audit_expected=expected, chain_ok=chain.ok, chain_rows=chain.rows, chain_reason=chain.reason)


# ==== reporting ======================================================================================
def _pct(values: list[float], q: float) -> float:
    import numpy as np

    return float(np.percentile(values, q)) if values else float("nan")


def table_rows(result: Result, verdict: Verdict | None) -> list[dict]:
    rows = []
    for kind in result.kinds:
        lat = result.latencies(kind)
        rows.append({
            "kind": kind, "type": "write" if kind in WRITE_KINDS else "read", "count": len(lat),
            "per_s": len(lat) / result.wall if result.wall else 0.0, "p50": _pct(lat, 50), "p95": _pct(lat, 95),
            "p99": _pct(lat, 99), "max": max(lat) if lat else float("nan"), "errors": len(result.errors(kind)),
            "acked": result.acks.count(kind) if kind in WRITE_KINDS else None,
            "lost": len(verdict.lost.get(kind, [])) if verdict and kind in WRITE_KINDS else None,
        })
    return rows


def role_rows(result: Result) -> list[dict]:
    """Fairness per role: operations and writes completed per session (min / median / max), and the
    longest any one call of the role took."""
    import statistics

    out = []
    for role in ("reviewer", "staff", "leader"):
        logs = [log for log in result.logs if log.role == role]
        if not logs:
            continue
        ops = [sum(len(v) for v in log.latencies.values()) for log in logs]
        writes = [sum(len(log.latencies.get(k, [])) for k in WRITE_KINDS) for log in logs]
        longest = max((x for log in logs for v in log.latencies.values() for x in v), default=float("nan"))
        out.append({"role": role, "sessions": len(logs), "ops": (min(ops), statistics.median(ops), max(ops)),
                    "writes": (min(writes), statistics.median(writes), max(writes)), "longest_ms": longest})
    return out


def format_roles(rows: list[dict]) -> str:
    lines = ["| role | sessions | operations per session (min / median / max) | writes per session (min / median /"
             " max) | longest call (ms) |", "|---|---:|---:|---:|---:|"]
    for r in rows:
        lines.append(f"| {r['role']} | {r['sessions']} | {' / '.join(f'{x:g}' for x in r['ops'])} | "
                     f"{' / '.join(f'{x:g}' for x in r['writes'])} | {r['longest_ms']:,.0f} |")
    return "\n".join(lines)


def format_table(rows: list[dict], markdown: bool = False) -> str:
    head = ["operation", "kind", "count", "ops/s", "p50 ms", "p95 ms", "p99 ms", "max ms", "errors", "acked", "lost"]
    body = [[r["kind"], r["type"], f"{r['count']:,}", f"{r['per_s']:.1f}", f"{r['p50']:.1f}", f"{r['p95']:.1f}",
             f"{r['p99']:.1f}", f"{r['max']:.0f}", str(r["errors"]),
             "–" if r["acked"] is None else f"{r['acked']:,}", "–" if r["lost"] is None else str(r["lost"])]
            for r in rows]
    total = sum(r["count"] for r in rows)
    if rows:
        body.append(["**all**" if markdown else "all", "", f"{total:,}", f"{sum(r['per_s'] for r in rows):.1f}",
                     "", "", "", "", str(sum(r["errors"] for r in rows)),
                     f"{sum(r['acked'] or 0 for r in rows):,}", str(sum(r["lost"] or 0 for r in rows))])
    if markdown:
        lines = ["| " + " | ".join(head) + " |", "|" + "|".join(["---"] * 2 + ["---:"] * (len(head) - 2)) + "|"]
        lines += ["| " + " | ".join(b) + " |" for b in body]
        return "\n".join(lines)
    widths = [max(len(h), *(len(b[i]) for b in body)) if body else len(h) for i, h in enumerate(head)]
    fmt = lambda cells: "  ".join(c.ljust(w) if i < 2 else c.rjust(w) for i, (c, w) in enumerate(zip(cells, widths)))  # noqa: E731
    return "\n".join([fmt(head), fmt(["-" * w for w in widths])] + [fmt(b) for b in body])


def _run_text(cmd: list[str]) -> str:
    try:
        return subprocess.run(cmd, capture_output=True, text=True, timeout=20).stdout
    except (OSError, subprocess.SubprocessError):
        return ""


def machine_section(info: dict) -> list[str]:
    """The "Machine" part of a results section (both load scripts): the machine and what else ran."""
    return [
        "#### Machine",
        "",
        *[f"- {m}" for m in info["machine"]],
        f"- Load average at start {info['load_start']}, at end {info['load_end']}; other processes' CPU just before"
        f" the run: {info['other_cpu']:.2f} cores.",
        "- Busiest other processes at the start: " + ("; ".join(info["busy"]) if info["busy"] else "none above 5% CPU."),
        "",
    ]


def machine() -> list[str]:
    """The machine in a few lines: CPU (lscpu), memory, OS, Python and the packages that matter."""
    from importlib import metadata

    cpu = {}
    for line in _run_text(["lscpu"]).splitlines():
        k, _, v = line.partition(":")
        cpu[k.strip()] = v.strip()
    mem = {}
    for line in Path("/proc/meminfo").read_text().splitlines():
        k, _, v = line.partition(":")
        mem[k] = int(v.split()[0]) / 1024 / 1024
    osname = "?"
    if Path("/etc/os-release").exists():
        m = re.search(r'PRETTY_NAME="([^"]+)"', Path("/etc/os-release").read_text())
        osname = m.group(1) if m else osname
    versions = []
    for pkg in ("streamlit", "duckdb", "pandas", "numpy", "pandera", "pyarrow", "streamlit-authenticator",
                "playwright"):
        try:
            versions.append(f"{pkg} {metadata.version(pkg)}")
        except metadata.PackageNotFoundError:
            pass
    chromium = shutil.which("chromium")
    if chromium:
        v = _run_text([chromium, "--version"]).strip().splitlines()
        versions.append(v[-1] if v else "chromium")
    return [
        f"CPU: {cpu.get('Model name', '?')}, {cpu.get('CPU(s)', '?')} CPU(s) ({cpu.get('Core(s) per socket', '?')}"
        f" core(s) per socket × {cpu.get('Thread(s) per core', '?')} thread(s)), {cpu.get('Architecture', '?')}"
        + (f", hypervisor {cpu['Hypervisor vendor']}" if cpu.get("Hypervisor vendor") else ""),
        f"Memory: {mem.get('MemTotal', 0):.1f} GiB (available {mem.get('MemAvailable', 0):.1f} GiB)",
        f"OS: {osname}, kernel {platform.release()}; Python {platform.python_version()}",
        "Packages: " + ", ".join(versions),
    ]


def busy_processes(limit: int = 6, min_cpu: float = 5.0, exclude: tuple[int, ...] = ()) -> list[str]:
    """The processes using the most CPU right now (``ps``), other than this one and ``exclude``."""
    out = _run_text(["ps", "-eo", "pid,pcpu,rss,etimes,args", "--sort=-pcpu"]).splitlines()[1:]
    rows = []
    for line in out:
        parts = line.split(None, 4)
        if len(parts) < 5 or int(parts[0]) in (os.getpid(), *exclude) or "ps -eo" in parts[4]:
            continue
        if float(parts[1]) >= min_cpu:
            rows.append(f"pid {parts[0]}: {parts[1]}% CPU, {int(parts[2]) // 1024} MB, {parts[4][:110]}")
        if len(rows) >= limit:
            break
    return rows


def cpu_busy_other(seconds: float = 2.0, exclude: tuple[int, ...] = ()) -> float:
    """CPU (in cores) used by processes other than this one and ``exclude`` over ``seconds`` (from
    /proc/stat and /proc/<pid>/stat)."""
    def ticks(pid) -> int:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return 0
        return int(fields[11]) + int(fields[12])

    def totals() -> tuple[float, float]:
        fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
        busy = sum(int(x) for i, x in enumerate(fields) if i not in (3, 4))
        return busy, sum(ticks(p) for p in ("self", *exclude))

    hz = os.sysconf("SC_CLK_TCK")
    b0, m0 = totals()
    time.sleep(seconds)
    b1, m1 = totals()
    return max(0.0, ((b1 - b0) - (m1 - m0)) / hz / seconds)


def wait_quiet(max_seconds: float, *, limit: float = 0.3, windows: int = 3, exclude: tuple[int, ...] = ()) -> float:
    """Wait (at most ``max_seconds``) until other processes have used less than ``limit`` CPU cores in
    ``windows`` 3-second windows in a row; returns their CPU in the last window."""
    deadline, quiet, other = time.monotonic() + max_seconds, 0, 0.0
    while True:
        other = cpu_busy_other(3.0, exclude)
        quiet = quiet + 1 if other < limit else 0
        if quiet >= windows or time.monotonic() >= deadline:
            return other
        if quiet == 0:
            print(f"waiting for a quiet machine: other processes use {other:.2f} cores", flush=True)


def replace_section(text: str, name: str, body: str) -> str:
    """``text`` with the part between ``<!-- name:start -->`` and ``<!-- name:end -->`` set to ``body``."""
    start, end = f"<!-- {name}:start -->", f"<!-- {name}:end -->"
    block = f"{start}\n{body.strip()}\n{end}"
    if start in text and end in text:
        return text[: text.index(start)] + block + text[text.index(end) + len(end):]
    return text.rstrip() + "\n\n" + block + "\n"


RESULTS_SKELETON = """# HubDesk load test (issue 8)

How it measures: the docstrings of `bench/load.py` (core read and write paths, one process, one thread per
session) and `bench/load_browser.py` (browsers against one `streamlit run` server). Both sections below are
rewritten by their script; the notes are written by hand.

<!-- notes:start -->
<!-- notes:end -->

## Core paths: sessions as threads (`bench/load.py`)

<!-- core:start -->
<!-- core:end -->

<!-- core-paced:start -->
<!-- core-paced:end -->

<!-- core-read-slots:start -->
<!-- core-read-slots:end -->

## Browsers: reviewers scoring against one server (`bench/load_browser.py`)

<!-- browser:start -->
<!-- browser:end -->
"""


def write_section(path: Path, name: str, body: str) -> None:
    text = path.read_text(encoding="utf-8") if path.exists() else RESULTS_SKELETON
    path.write_text(replace_section(text, name, body), encoding="utf-8")


def markdown_report(result: Result, verdict: Verdict, scenario: Scenario, info: dict) -> str:
    rows = table_rows(result, verdict)
    pace = "every session always busy" if not result.think_ms else \
        f"each session pauses about {result.think_ms / 1000:g} s between operations"
    lines = [
        f"### {result.sessions} sessions × {result.seconds:g} s, {pace}",
        "",
        f"Run {info['started']} – {info['ended']} with `{info['command']}`.",
        "",
        f"- Sessions: **{result.sessions}** for **{result.seconds:g} s** (wall {result.wall:.1f} s), roles "
        + ", ".join(f"{n} {r}" for r, n in result.roles.items())
        + f"; think time {result.think_ms:g} ms (0 = every session always busy).",
        f"- Database: {info['database']}; scenario: {len(scenario.tasks)} reviewer accounts × "
        f"{info['tasks_each']} tasks each, {len(scenario.projects)} running "
        f"projects, {len(scenario.org_ids)} organisations to edit (set up in {scenario.setup_seconds:.0f} s, not measured).",
        f"- Reviewers who ran out of tasks before the end: {result.exhausted}."
        + (f" **Experiment:** at most {info['read_slots']} reads at once in the process (`--read-slots`);"
           " HubDesk itself does not limit reads." if info.get("read_slots") else ""),
        "",
        *machine_section(info),
        "#### Results",
        "",
        "Latency is the time of one call (ms) as the session saw it, queueing for the write lock and the"
        " CPU included. *acked*: writes the caller was told succeeded; *lost*: acknowledged writes that are"
        " not stored as sent or lack their audit rows.",
        "",
        format_table(rows, markdown=True),
        "",
        "Per role (how evenly the sessions were served):",
        "",
        format_roles(role_rows(result)),
        "",
        "#### Check after the run",
        "",
        f"- Errors: **{result.error_count}**; lost writes: **{verdict.lost_count}**; rows stored that no session"
        f" was told about: {sum(verdict.phantoms.values())}.",
        f"- Audit rows written during the run: {verdict.audit_rows:,} (expected from the acknowledged writes:"
        f" {verdict.audit_expected:,}); hash chain over all {verdict.chain_rows:,} rows:"
        f" {'intact' if verdict.chain_ok else 'BROKEN – ' + verdict.chain_reason}.",
    ]
    errors = [(k, e) for k in result.kinds for e in result.errors(k)[:1]]
    if errors:
        lines += ["", "First error of each failing kind:", ""]
        lines += [f"- `{k}`: `{e.splitlines()[0][:300]}`" for k, e in errors]
    lost = [(k, v[0]) for k, v in verdict.lost.items() if v]
    if lost:
        lines += ["", "First lost write of each kind:", ""] + [f"- `{k}`: {v}" for k, v in lost]
    return "\n".join(lines)


# ==== the command ====================================================================================
def _env(workdir: Path) -> dict[str, str]:
    return {"HUBDESK_DB": str(workdir / "hub.duckdb"), "HUBDESK_SECRETS": str(workdir / "secrets.toml"),
            "HUBDESK_DEMO": "1", "HUBDESK_BCRYPT_ROUNDS": "4", "HUBDESK_LOGIN_SLEEP": "0"}


def build_demo(workdir: Path) -> float:
    """The demo database, built by ``core.app.bootstrap()`` in a child process; returns its seconds."""
    started = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", "from core import app; from core.platform import db; app.bootstrap(); db.close_all()"],
                          cwd=ROOT, env=dict(os.environ, **_env(workdir)), capture_output=True, text=True, timeout=900)
    if proc.returncode != 0:
        raise SystemExit(f"building the demo database failed:\n{proc.stderr[-3000:]}")
    return time.perf_counter() - started


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sessions", type=int, default=50)
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--mix", default="reviewer=2,staff=2,leader=1", help="session roles and their weights")
    ap.add_argument("--think-ms", type=float, default=0.0, help="pause between one session's operations")
    ap.add_argument("--apps", type=int, default=60, help="applications under review (each reviewer gets all)")
    ap.add_argument("--read-slots", type=int, default=0,
                    help="experiment: at most this many reads at once in this process (0: unlimited, as HubDesk)")
    ap.add_argument("--db", type=Path, help="copy this HubDesk database instead of building the demo one")
    ap.add_argument("--seed", type=int, default=8)
    ap.add_argument("--wait-quiet", type=float, default=0, metavar="SECONDS",
                    help="before the sessions start, wait up to this long for other processes to go quiet")
    ap.add_argument("--out", type=Path, default=RESULTS)
    ap.add_argument("--section", default=None,
                    help="the part of the results file to rewrite (default: core, or core-paced with --think-ms)")
    ap.add_argument("--no-write", action="store_true", help="print only; leave the results file alone")
    args = ap.parse_args(argv)

    mix = parse_mix(args.mix)
    workdir = Path(tempfile.mkdtemp(prefix="hubdesk-load-"))
    try:
        if args.db:
            shutil.copy(args.db, workdir / "hub.duckdb")
            database, built = f"copy of {args.db}", 0.0
        else:
            print("building the demo database ...", flush=True)
            built = build_demo(workdir)
            database = f"the demo database (built by core.app.bootstrap() under HUBDESK_DEMO=1 in {built:.0f} s)"
        os.environ.update(_env(workdir))
        from core import app

        db = app.bootstrap()
        n_rev = roles_for(args.sessions, mix).count("reviewer")
        print(f"database ready ({built:.0f} s); preparing the scenario ({n_rev} reviewers x {args.apps}"
              " applications) ...", flush=True)
        scenario = prepare(db, reviewers=reviewer_names(n_rev), apps=args.apps)
        print(f"scenario ready ({scenario.setup_seconds:.0f} s)", flush=True)
        audit_from = int(db.scalar("SELECT coalesce(max(id), 0) FROM audit_log"))
        tasks_each = max((len(t) for t in scenario.tasks.values()), default=0)
        if args.read_slots:
            limit_reads(db, args.read_slots)
        if args.wait_quiet:
            wait_quiet(args.wait_quiet)
        other = cpu_busy_other()
        busy = busy_processes()
        if other > 0.3:
            print(f"warning: other processes are using {other:.2f} CPU cores: " + "; ".join(busy), flush=True)
        load_start = ", ".join(f"{x:.2f}" for x in os.getloadavg())
        started = dt.datetime.now()
        print(f"running {args.sessions} sessions for {args.seconds:g} s ...", flush=True)
        result = run(db, scenario, sessions=args.sessions, seconds=args.seconds, mix=mix, think_ms=args.think_ms,
                     seed=args.seed)
        ended = dt.datetime.now()
        load_end = ", ".join(f"{x:.2f}" for x in os.getloadavg())
        verdict = verify(db, scenario, result.acks, audit_from)
        print(format_table(table_rows(result, verdict)))
        print(f"errors {result.error_count}, lost writes {verdict.lost_count}, phantoms {verdict.phantoms}, "
              f"audit rows {verdict.audit_rows}/{verdict.audit_expected}, chain {'ok' if verdict.chain_ok else 'BROKEN'}")
        for kind in result.kinds:
            for e in result.errors(kind)[:2]:
                print(f"[{kind}] {e}")
        for kind, items in verdict.lost.items():
            for item in items[:3]:
                print(f"[lost {kind}] {item}")
        if not args.no_write:
            info = {"started": started.isoformat(timespec="seconds"), "ended": ended.isoformat(timespec="seconds"),
                    "command": "python3 bench/load.py " + " ".join(argv if argv is not None else sys.argv[1:]),
                    "database": database, "machine": machine(), "load_start": load_start, "load_end": load_end,
                    "other_cpu": other, "busy": busy, "tasks_each": tasks_each, "read_slots": args.read_slots}
            section = args.section or ("core-read-slots" if args.read_slots else "core-paced" if args.think_ms
                                       else "core")
            write_section(args.out, section, markdown_report(result, verdict, scenario, info))
            print(f"written to {args.out}")
        return 0 if result.error_count == 0 and verdict.ok else 1
    finally:
        from core.platform import db as core_db

        core_db.close_all()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
