"""立项项目: the agreement of a funded application (one project per application), its milestones, its
tranche plan, its state and its timeline.

States (``PROJECT_STATES``)::

    active --(evaluation failed: 停止拨付)--> stopped --(re-evaluation passed)--> active
    active | stopped --(evaluation failed: 终止)--> terminated
    active --(final evaluation passed and every tranche settled)--> closed

The moves are made by :mod:`core.monitoring.evaluations` through :func:`set_state_in`; every move writes a
project event (timeline) and is audited with the rest of its unit.
"""
from __future__ import annotations

import datetime as dt

import pandas as pd

from core.intake import applications, scope
from core.monitoring import monitoring_policy
from core.platform import formats, records
from core.platform.actor import Actor
from core.platform.db import get_db
from core.platform.entities import Entity, Unique, register
from core.platform.errors import HubError, NotFound
from core.platform.listing import Column, Filter, ListView, like_literal
from core.platform.lookups import cached_map, id_names
from core.platform.validation import to_failure, validate, validate_many
from schemas.application import Application
from schemas.choices import APP_STATES, BUDGET_LINES
from schemas.columns import columns, label
from schemas.monitoring import (
    PROJECT_STATES, TRANCHE_GATES, Activity, Agreement, ProjectMilestone,
)
from schemas.stored import ProjectEvent, Tranche

STAFF = frozenset({"admin", "staff"})

PROJECT = register(Entity(
    name="project", table="projects", label="立项项目", schema=Agreement, write_roles=STAFF,
    title_field="agreement_no",
    unique=(Unique("agreement_no", "协议编号已被项目(编号 {key})使用"),),
    hub_via=scope.VIA_APPLICATION,  # the hub of the round it was funded in (core.intake.scope)
))
PROJECT_MILESTONE = register(Entity(
    name="project_milestone", table="project_milestones", label="项目里程碑", schema=ProjectMilestone,
    write_roles=STAFF, title_field="deliverable", hub_via=scope.VIA_PROJECT,
))
PROJECT_EVENT = register(Entity(
    name="project_event", table="project_events", label="项目动态", write_roles=STAFF, title_field="event",
    schema=ProjectEvent, hub_via=scope.VIA_PROJECT,
))
# the tranche plan is written when the agreement is signed (sign_agreement); core.monitoring.money releases the tranches
TRANCHE = register(Entity(
    name="tranche", table="tranches", label="拨付计划", write_roles=STAFF, title_field="seq", schema=Tranche,
    hub_via=scope.VIA_PROJECT,
))


class AgreementRefused(HubError):
    """The application cannot get an agreement (not funded, or already has one)."""


STATE_LABEL_SQL = ("CASE projects.state " + " ".join(f"WHEN '{k}' THEN '{v}'" for k, v in PROJECT_STATES.items())
                   + " END")
_APP = "(SELECT {col} FROM applications a WHERE a.id = projects.application_id)"
_ROUND_NAME = ("(SELECT r.name FROM applications a JOIN rounds r ON r.id = a.round_id"
               " WHERE a.id = projects.application_id)")
_ORG_NAME = ("(SELECT o.name FROM applications a JOIN organisations o ON o.id = a.org_id"
             " WHERE a.id = projects.application_id)")
_BRAND_NAME = "(SELECT b.name FROM brands b WHERE b.id = projects.brand_id)"
_ACTS = "(SELECT count(*) FROM activities x WHERE x.project_id = projects.id)"
_TIMES = "(SELECT coalesce(sum(x.person_times), 0) FROM activities x WHERE x.project_id = projects.id)"

# the columns of :func:`get` (a project joined with its application) and of ``LIST_VIEW``: a project's
# fields read as its agreement and its application declare them; the joined and counted ones are labelled here
COLUMNS = columns(
    "id", "agreement_no", "round", "title", "org", "category", "brand", "state_label", "granted_amount", "activities",
    "person_times", "start_date", "end_date", "communities", "state_note", "recover_amount", "closed_on",
    of=(Agreement, Application, Activity),
    computed={"org": "承接组织", "brand": label("brand_id", of=Agreement), "state_label": "项目状态",
              "activities": "活动场次"})

LIST_VIEW = ListView(
    entity=PROJECT,
    columns=(
        Column("id", COLUMNS["id"]),
        Column("agreement_no", COLUMNS["agreement_no"]),
        Column("round", COLUMNS["round"], sql=_ROUND_NAME),
        Column("title", COLUMNS["title"], sql=_APP.format(col="a.title")),
        Column("org", COLUMNS["org"], sql=_ORG_NAME),
        Column("category", COLUMNS["category"], sql=_APP.format(col="a.category")),
        Column("brand", COLUMNS["brand"], sql=_BRAND_NAME),
        Column("state_label", COLUMNS["state_label"], sql=STATE_LABEL_SQL),
        Column("granted_amount", COLUMNS["granted_amount"]),
        Column("activities", COLUMNS["activities"], sql=_ACTS),
        Column("person_times", COLUMNS["person_times"], sql=_TIMES),
        Column("end_date", COLUMNS["end_date"]),
    ),
    search=("agreement_no", _APP.format(col="a.title"), _ORG_NAME),
    filters=(
        Filter("round", COLUMNS["round"], _ROUND_NAME, source="round_names"),
        Filter("category", COLUMNS["category"], _APP.format(col="a.category"), source="project_categories"),
        Filter("community", COLUMNS["communities"], "projects.communities", source="communities", contains=True),
        Filter("brand", COLUMNS["brand"], _BRAND_NAME, source="brand_names"),
        Filter("state", COLUMNS["state_label"], STATE_LABEL_SQL, options=tuple(PROJECT_STATES.values())),
    ),
    default_sort="id", default_desc=True,
    search_hint=f"{COLUMNS['agreement_no']}、{COLUMNS['title']}或{COLUMNS['org']}",
    hub_sql=scope.listed("application", "application_id"),  # the projects of the rounds of the user's hubs
)


# ---- reading --------------------------------------------------------------------------------------
def date_context(project_id: int, db=None) -> dict:
    """What the dates of a project's records are checked against (``schemas.monitoring``): the
    agreement's signing date and execution period, and the round's year. Empty for an unknown project
    (its own NotFound comes from the caller)."""
    db = db or get_db()
    row = db.fetch_one("SELECT p.agreement_date, p.start_date, p.end_date, r.year AS round_year FROM projects p"
                       " JOIN applications a ON a.id = p.application_id JOIN rounds r ON r.id = a.round_id"
                       " WHERE p.id = ?", [project_id])
    return dict(row) if row else {}


def get(project_id: int, db=None, *, actor: Actor | None = None) -> dict:
    """The project joined with its application: + title, category, org_id, org, round_id, round, brand; NotFound,
    as for a missing one, when it is of another hub's round (the reader's hubs: ``actor``'s, else the screen's
    user's, :mod:`core.intake.scope`)."""
    db = db or get_db()
    params: list = [project_id]
    mine = scope.hub_owned_in("r.hub_id", params, actor)
    row = db.fetch_one(
        "SELECT p.*, a.title, a.category, a.org_id, a.round_id, o.name AS org, r.name AS round, r.year,"
        " b.name AS brand FROM projects p JOIN applications a ON a.id = p.application_id"
        " JOIN organisations o ON o.id = a.org_id JOIN rounds r ON r.id = a.round_id"
        f" LEFT JOIN brands b ON b.id = p.brand_id WHERE p.id = ? AND {mine}", params)
    if row is None:
        raise NotFound(f"立项项目(编号 {project_id})不存在")
    return row


def for_application(app_id: int, db=None) -> dict | None:
    db = db or get_db()
    params: list = [app_id]
    mine = scope.applications_in("application_id", params)
    return db.fetch_one(f"SELECT * FROM projects WHERE application_id = ? AND {mine}", params)


def awaiting_agreement(db=None) -> pd.DataFrame:
    """Funded applications without a project yet: id, title, org, round, granted_amount."""
    db = db or get_db()
    params: list = []
    mine = scope.hub_owned_in("r.hub_id", params)
    return db.fetch_df(
        "SELECT a.id, a.title, o.name AS org, r.name AS round, a.granted_amount FROM applications a"
        " JOIN organisations o ON o.id = a.org_id JOIN rounds r ON r.id = a.round_id"
        " WHERE a.state = 'funded' AND NOT EXISTS (SELECT 1 FROM projects p WHERE p.application_id = a.id)"
        f" AND {mine} ORDER BY r.year DESC, a.id", params)


# the columns of :func:`milestones` and of :func:`timeline`
MILESTONE_COLUMNS = columns("id", "due_date", "deliverable", "done_on", "note", of=ProjectMilestone)
TIMELINE_COLUMNS = columns("happened_on", "event", "detail", "by_user", computed={"by_user": "经办人"})


def milestones(project_id: int, db=None) -> pd.DataFrame:
    """The project's milestones by due date: id, due_date, deliverable, done_on, note."""
    db = db or get_db()
    scope.require("project", project_id, db=db)
    return db.fetch_df("SELECT id, due_date, deliverable, done_on, note FROM project_milestones"
                       " WHERE project_id = ? ORDER BY due_date, id", [project_id])


def timeline(project_id: int, db=None) -> pd.DataFrame:
    """The application's workflow events followed by the project's own events, oldest first:
    happened_on, event, detail, by_user."""
    db = db or get_db()
    scope.require("project", project_id, db=db)
    df = db.fetch_df(
        "SELECT happened_on, event, detail, by_user FROM ("
        " SELECT CAST(e.created_at AS DATE) AS happened_on, e.created_at AS stamp, 0 AS part,"
        "  e.to_state AS event, e.note AS detail, e.created_by AS by_user"
        " FROM application_events e JOIN projects p ON p.application_id = e.application_id WHERE p.id = ?"
        " UNION ALL"
        " SELECT happened_on, created_at AS stamp, 1 AS part, event, detail, created_by AS by_user"
        " FROM project_events WHERE project_id = ?"
        ") ORDER BY part, happened_on, stamp", [project_id, project_id])
    df["event"] = [("申报:" + APP_STATES[e]) if e in APP_STATES else e for e in df["event"]]
    return df


# ---- the agreement --------------------------------------------------------------------------------
def agreement_defaults(app_id: int, db=None, *, today: dt.date | None = None) -> dict:
    """Agreement values proposed from the funded application: its granted amount split over the
    application's budget lines in proportion, its period and communities, report dates at the middle
    and the end of the period, a planned activity count of one per fortnight."""
    db = db or get_db()
    app = applications.get(app_id, db)
    rnd = db.fetch_one("SELECT year, project_start, project_end FROM rounds WHERE id = ?", [app["round_id"]])
    granted = float(app["granted_amount"] or app["requested_amount"] or 0)
    requested = sum(float(app.get(c) or 0) for c in BUDGET_LINES)
    lines = {c: 0.0 for c in BUDGET_LINES}
    if requested > 0:
        for c in BUDGET_LINES:
            lines[c] = round(granted * float(app.get(c) or 0) / requested, 2)
        first = next(iter(BUDGET_LINES))
        lines[first] = round(lines[first] + granted - sum(lines.values()), 2)
    else:
        lines["budget_other"] = granted
    start, end = rnd["project_start"], rnd["project_end"]
    days = max((end - start).days, 1)
    prefix = f"GY-{rnd['year']}-"
    taken = [r["agreement_no"][len(prefix):] for r in db.fetch_all(
        "SELECT agreement_no FROM projects WHERE agreement_no LIKE ? ESCAPE '\\'", [like_literal(prefix) + "%"])]
    seq = max([int(t) for t in taken if t.isdigit()], default=0)
    return {
        "agreement_no": f"{prefix}{seq + 1:03d}",
        "agreement_date": min(start, today or dt.date.today()),
        "granted_amount": granted,
        "start_date": start,
        "end_date": end,
        "planned_activities": max(days // 14, 1),
        "planned_person_times": int(app.get("planned_beneficiaries") or 1),
        "communities": list(app.get("communities") or []),
        "brand_id": None,
        **lines,
        "funds_self": float(app.get("cofunding_self") or 0),
        "funds_enterprise": float(app.get("cofunding_other") or 0) if "企业" in (app.get("cofunding_note") or "") else 0.0,
        "funds_donation": 0.0 if "企业" in (app.get("cofunding_note") or "") else float(app.get("cofunding_other") or 0),
        "midterm_due": start + dt.timedelta(days=days // 2),
        "final_due": end,
        "notes": None,
    }


def application_milestones(app_id: int, db=None) -> list[dict]:
    db = db or get_db()
    return db.fetch_all("SELECT due_date, deliverable FROM application_milestones WHERE application_id = ?"
                        " ORDER BY due_date, id", [app_id])


def sign_agreement(app_id: int, values: dict, actor: Actor, *, milestones: list[dict] | None = None,
                   db=None, when: dt.date | None = None) -> int:
    """Create the project of a funded application: the agreement (validated with ``Agreement``), its
    milestones (default: the application's), its tranche plan from the round's monitoring policy and a
    timeline event — one transaction. Returns the project id."""
    db = db or get_db()
    app = applications.get(app_id, db)
    if app["state"] != "funded":
        raise AgreementRefused("只有已立项资助的项目才能签订资助协议")
    year = db.scalar("SELECT year FROM rounds WHERE id = ?", [app["round_id"]])
    record = validate(Agreement, values, context={"round_year": year})
    stones = milestones if milestones is not None else application_milestones(app_id, db)
    # the application's milestones were checked against the round's project period when it was submitted;
    # milestones added to the project later are checked against the agreement (add_milestone)
    valid, errors = validate_many(ProjectMilestone, stones) if stones else ({}, [])
    if errors:
        raise to_failure(errors)
    stone_rows = [valid[i] for i in sorted(valid)]
    policy = monitoring_policy.policy_for(app["round_id"], db)
    plan = policy.tranche_plan(float(record["granted_amount"]), record["agreement_date"], record["midterm_due"],
                               record["final_due"])
    with records.unit(actor, db) as u:
        if u.tx.fetch_one("SELECT id FROM projects WHERE application_id = ?", [app_id]):
            raise AgreementRefused("该项目已签订资助协议")
        pid = u.create(PROJECT, record, system={"application_id": app_id, "state": "active"}, validated=True)
        for stone in stone_rows:
            u.create(PROJECT_MILESTONE, stone, system={"project_id": pid}, validated=True)
        for tranche in plan:
            u.create(TRANCHE, tranche, system={"project_id": pid}, validated=True)
        add_event_in(u, pid, "签订资助协议",
                     f"协议编号 {record['agreement_no']},资助 {float(record['granted_amount']):,.2f} 元,"
                     f"分 {len(plan)} 期拨付", when or record["agreement_date"])
    return pid


def update_agreement(project_id: int, values: dict, actor: Actor, db=None) -> bool:
    return records.update(PROJECT, project_id, values, actor, db=db, context=date_context(project_id, db))


# ---- milestones ------------------------------------------------------------------------------------
def add_milestone(project_id: int, values: dict, actor: Actor, db=None) -> int:
    get(project_id, db)
    return records.create(PROJECT_MILESTONE, values, actor, system={"project_id": project_id}, db=db,
                          context=date_context(project_id, db))


def update_milestone(milestone_id: int, values: dict, actor: Actor, db=None) -> bool:
    db = db or get_db()
    pid = db.scalar("SELECT project_id FROM project_milestones WHERE id = ?", [milestone_id])
    context = date_context(pid, db) if pid is not None else None
    return records.update(PROJECT_MILESTONE, milestone_id, values, actor, db=db, context=context)


# ---- state and timeline ----------------------------------------------------------------------------
def add_event_in(u: records.Unit, project_id: int, event: str, detail: str | None, when: dt.date | None = None) -> int:
    return u.create(PROJECT_EVENT, {"project_id": project_id, "event": event, "detail": detail,
                                    "happened_on": when or dt.date.today()}, validated=True)


def set_state_in(u: records.Unit, project_id: int, state: str, *, note: str | None = None,
                 recover_amount: float | None = None, when: dt.date | None = None) -> None:
    """Move the project to ``state`` inside the caller's unit, with its timeline event."""
    if state not in PROJECT_STATES:
        raise ValueError(f"unknown project state {state!r}")
    system: dict = {"state": state, "state_note": note}
    if recover_amount is not None:
        system["recover_amount"] = recover_amount
    if state == "closed":
        system["closed_on"] = when or dt.date.today()
    u.update(PROJECT, project_id, {}, system=system, validated=True, action="state")
    add_event_in(u, project_id, f"项目状态:{PROJECT_STATES[state]}", note, when)


def gate_label(gate: str) -> str:
    return TRANCHE_GATES.get(gate, gate)


# ---- choice lists ----------------------------------------------------------------------------------
def install_providers() -> None:
    """``active_projects``: projects that are still running, shown as 「协议编号 项目名称」; a screen's picker offers
    the projects of its user's hubs (those of their rounds)."""
    sql = ("SELECT p.id, p.agreement_no, a.title, p.state, r.hub_id FROM projects p"
           " JOIN applications a ON a.id = p.application_id JOIN rounds r ON r.id = a.round_id ORDER BY p.id DESC")
    title = lambda r: f"{r['agreement_no']} {r['title']}"  # noqa: E731
    id_names("active_projects", ("projects", "applications", "rounds"), sql, title,
             offered=lambda r: r["state"] in ("active", "stopped"), hub_column="hub_id")
    id_names("projects", ("projects", "applications", "rounds"), sql, title, hub_column="hub_id")


# ---- how figures and people read on screens (core.platform.formats for single values) -------------------------------
def user_names(db=None) -> dict[str, str]:
    """username -> 姓名 of every account (people are shown by name, never by username)."""
    return cached_map("user_names", ("users",), lambda d: {
        r["username"]: r["name"] or r["username"] for r in d.fetch_all("SELECT username, name FROM users")})


def person(username) -> str:
    """The 姓名 of an account ("系统" for the system account, "—" for none)."""
    if formats.is_empty(username):
        return formats.EMPTY
    if username == "system":
        return "系统"
    return user_names().get(str(username), str(username))


def readable(df: pd.DataFrame, *, people=()) -> pd.DataFrame:
    """A copy of ``df`` with the accounts in ``people`` as 姓名 (empty cells empty). Money, percentages, numbers
    and dates read as their labels declare them wherever the frame is shown or exported (``core.ui.tables``,
    ``core.platform.excel``: ``schemas.columns.format_of``)."""
    out = df.copy()
    for c in people:
        if c in out.columns:
            out[c] = pd.Series(["" if formats.is_empty(v) else person(v) for v in out[c]], index=out.index,
                               dtype=object)
    return out
