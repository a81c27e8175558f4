"""一对一孵化指导: mentors, mentor <-> organisation pairings, sessions with their agreed actions and the
follow-up of those actions (open / done / overdue). Mentoring also feeds the conflict check of expert
review: a reviewer who mentored an applicant within two years is conflicted (``conflicts``).

Pairings, sessions and actions are their organisation's hub's (:mod:`core.incubation.scope`): read for the reader's
hubs' organisations, written by that hub's staff; the mentors are one pool shared by every hub (the figures shown with
each mentor count the reader's organisations only)."""
from __future__ import annotations

import datetime as dt

import pandas as pd

from core.incubation import scope
from core.platform import records
from core.platform.actor import Actor
from core.platform.db import get_db
from core.review import reviewers
from core.platform.entities import Entity, Unique, register
from core.platform.errors import NotFound, ValidationFailed
from core.orgs.organisations import add_years
from core.platform.listing import Rows
from core.platform.lookups import id_names
from core.platform.validation import validate_many
from schemas.columns import columns
from schemas.incubation import Mentor, MentoringAction, MentoringSession, Pairing

STAFF = frozenset({"admin", "staff"})
CONFLICT_YEARS = 2

MENTOR = register(Entity(
    name="mentor", table="mentors", label="辅导导师", schema=Mentor, write_roles=STAFF, title_field="name",
    unique=(Unique("username", "该评审专家账号已关联导师「{title}」(编号 {key})"),),
))
PAIRING = register(Entity(
    name="mentor_pairing", table="mentor_pairings", label="导师结对", schema=Pairing, write_roles=STAFF,
    title_field="start_date", hub_via=scope.VIA_ORG,
))
SESSION = register(Entity(
    name="mentoring_session", table="mentoring_sessions", label="辅导记录", schema=MentoringSession,
    write_roles=STAFF, title_field="module", hub_via=scope.VIA_PAIRING,
))
ACTION = register(Entity(
    name="mentoring_action", table="mentoring_actions", label="辅导待办事项", schema=MentoringAction,
    write_roles=STAFF, title_field="action", hub_via=scope.VIA_SESSION,
))

# follow-up status of an agreed action: stored 'open' or 'done'; 'overdue' is open past its due date
STATUSES = {"open": "未完成", "overdue": "已逾期", "done": "已完成"}


def follow_up(status: str, due_date: dt.date, today: dt.date | None = None) -> str:
    """'done', 'overdue' (open and its due date has passed) or 'open' (due today still counts as open)."""
    today = today or dt.date.today()
    if status == "done":
        return "done"
    return "overdue" if due_date < today else "open"


def _status_sql(alias: str = "a") -> str:
    """The same rule in SQL; the one parameter is today."""
    return f"CASE WHEN {alias}.status = 'done' THEN 'done' WHEN {alias}.due_date < ? THEN 'overdue' ELSE 'open' END"


# ---- mentors -------------------------------------------------------------------------------------
def get_mentor(mentor_id: int, db=None) -> dict:
    db = db or get_db()
    row = db.fetch_one("SELECT * FROM mentors WHERE id = ?", [mentor_id])
    if row is None:
        raise NotFound(f"导师(编号 {mentor_id})不存在")
    return row


def add_mentor(values: dict, actor: Actor, db=None) -> int:
    return records.create(MENTOR, values, actor, db=db)


def update_mentor(mentor_id: int, values: dict, actor: Actor, db=None) -> bool:
    return records.update(MENTOR, mentor_id, values, actor, db=db)


# the columns of :func:`mentors` (``username`` is shown as the reviewer's name; computed ones labelled here)
MENTOR_COLUMNS = columns("id", "name", "speciality", "employer", "phone", "username", "status", "pairings",
                         "current_pairings", "hours", of=(Mentor, MentoringSession),
                         computed={"pairings": "结对数", "current_pairings": "辅导中"})


def mentors(db=None) -> pd.DataFrame:
    """Every mentor with the number of pairings (current ones too) and hours given (with the reader's hubs'
    organisations)."""
    db = db or get_db()
    params: dict = {}
    mine = scope.orgs_in("p.org_id", params)
    return db.fetch_df(
        "SELECT m.id, m.name, m.speciality, m.employer, m.phone, m.username,"
        " CASE WHEN m.active THEN '在聘' ELSE '停用' END AS status,"
        f" (SELECT count(*) FROM mentor_pairings p WHERE p.mentor_id = m.id AND {mine}) AS pairings,"
        " (SELECT count(*) FROM mentor_pairings p WHERE p.mentor_id = m.id AND p.start_date <= current_date"
        f"   AND (p.end_date IS NULL OR p.end_date >= current_date) AND {mine}) AS current_pairings,"
        " (SELECT coalesce(sum(s.hours), 0) FROM mentoring_sessions s JOIN mentor_pairings p ON p.id = s.pairing_id"
        f"   WHERE p.mentor_id = m.id AND {mine}) AS hours"
        " FROM mentors m ORDER BY m.active DESC, m.name", params or None)


# ---- pairings ------------------------------------------------------------------------------------
def get_pairing(pairing_id: int, db=None) -> dict:
    db = db or get_db()
    params: list = [pairing_id]
    mine = scope.orgs_in("org_id", params)
    row = db.fetch_one(f"SELECT * FROM mentor_pairings WHERE id = ? AND {mine}", params)
    if row is None:
        raise NotFound(f"导师结对(编号 {pairing_id})不存在")
    return row


def add_pairing(values: dict, actor: Actor, db=None) -> int:
    """A mentor starts working with an organisation. The same two may not have overlapping pairings."""
    db = db or get_db()
    record = records.clean(PAIRING, values)
    with records.unit(actor, db) as u:
        end = record["end_date"] or dt.date.max
        clash = u.tx.fetch_one(
            "SELECT id, start_date, end_date FROM mentor_pairings WHERE mentor_id = ? AND org_id = ?"
            " AND start_date <= ? AND coalesce(end_date, DATE '9999-12-31') >= ? ORDER BY id LIMIT 1",
            [record["mentor_id"], record["org_id"], end, record["start_date"]])
        if clash:
            raise ValidationFailed(fields={"start_date": [
                f"该导师与该组织已有时间重叠的结对(编号 {clash['id']},{clash['start_date']} 至 {clash['end_date'] or '今'})"]})
        return u.create(PAIRING, record, validated=True)


def end_pairing(pairing_id: int, end_date: dt.date, actor: Actor, db=None) -> None:
    """Close a pairing: not before it started, nor before its last session."""
    db = db or get_db()
    if end_date is None:
        raise ValidationFailed(fields={"end_date": ["请选择结对结束日期"]})
    with records.unit(actor, db) as u:
        p = u.fetch(PAIRING, pairing_id)
        if p is None:
            raise NotFound(f"导师结对(编号 {pairing_id})不存在")
        if p["end_date"] is not None:
            raise ValidationFailed(form=[f"该结对已于 {p['end_date']} 结束"])
        if end_date < p["start_date"]:
            raise ValidationFailed(fields={"end_date": [f"结对结束日期不能早于开始日期({p['start_date']})"]})
        last = u.tx.fetch_one("SELECT max(session_date) AS d FROM mentoring_sessions WHERE pairing_id = ?",
                              [pairing_id])["d"]
        if last is not None and end_date < last:
            raise ValidationFailed(fields={"end_date": [f"结对结束日期不能早于最近一次辅导({last})"]})
        u.update(PAIRING, pairing_id, {"end_date": end_date}, action="end_pairing")


# the columns of :func:`pairings`, :func:`sessions` and :func:`actions` (labels of computed ones declared here;
# a sum of the sessions' hours keeps the label of the sessions' hours)
PAIRING_COLUMNS = columns("id", "mentor", "speciality", "org", "start_date", "end_date", "status", "sessions", "hours",
                          "notes", of=(Pairing, Mentor, MentoringSession), computed={"sessions": "辅导次数"})
SESSION_COLUMNS = columns("id", "session_date", "org", "mentor", "module", "form", "hours", "findings", "actions",
                          of=MentoringSession, computed={"actions": "待办事项数"})
ACTION_COLUMNS = columns("id", "follow_up", "action", "owner", "due_date", "done_date", "org", "mentor",
                         "session_date", "module", of=(MentoringAction, MentoringSession),
                         computed={"follow_up": "跟进状态"})


def pairings(org_id: int | None = None, db=None) -> pd.DataFrame:
    db = db or get_db()
    where, params = ("WHERE p.org_id = ?", [org_id]) if org_id is not None else ("WHERE true", [])
    where += " AND " + scope.orgs_in("p.org_id", params)
    return db.fetch_df(
        "SELECT p.id, m.name AS mentor, m.speciality, o.name AS org, p.start_date, p.end_date,"
        " CASE WHEN p.start_date > current_date THEN '未开始'"
        "      WHEN p.end_date IS NULL OR p.end_date >= current_date THEN '辅导中' ELSE '已结束' END AS status,"
        " (SELECT count(*) FROM mentoring_sessions s WHERE s.pairing_id = p.id) AS sessions,"
        " (SELECT coalesce(sum(s.hours), 0) FROM mentoring_sessions s WHERE s.pairing_id = p.id) AS hours, p.notes"
        " FROM mentor_pairings p JOIN mentors m ON m.id = p.mentor_id JOIN organisations o ON o.id = p.org_id"
        f" {where} ORDER BY p.end_date IS NOT NULL, p.start_date DESC, p.id DESC", params)


# ---- sessions and their agreed actions -----------------------------------------------------------
def _clean_actions(rows: list[dict], context: dict | None = None) -> tuple[list[dict], list[str]]:
    """Non-empty rows of the actions table, validated (``context``: the session's date); (clean rows,
    messages per row)."""
    rows = [r for r in rows if any(v not in (None, "") and not (isinstance(v, float) and v != v) for v in r.values())]
    valid, errors = validate_many(MentoringAction, rows, context=context)
    return [valid[i] for i in sorted(valid)], [f"待办事项第{e.row + 1}行:{e.message}" for e in errors]


def record_session(values: dict, actions: list[dict], actor: Actor, db=None) -> int:
    """A session and its agreed actions, in one audited transaction. Every problem is reported at once."""
    db = db or get_db()
    fields: dict[str, list[str]] = {}
    form: list[str] = []
    record = None
    pid = values.get("pairing_id")
    p = (db.fetch_one("SELECT start_date, end_date FROM mentor_pairings WHERE id = ?", [int(pid)])
         if isinstance(pid, int) or (isinstance(pid, str) and pid.isdigit()) else None)
    try:  # the session's date within the pairing's period, the actions' due dates not before the session
        record = records.clean(SESSION, values,
                               {"pairing_start": p["start_date"], "pairing_end": p["end_date"]} if p else None)
    except ValidationFailed as exc:
        fields.update(exc.fields)
        form += exc.form
    day = record["session_date"] if record is not None else None
    clean_rows, row_errors = _clean_actions(actions, {"session_date": day} if day else None)
    if row_errors:
        fields.setdefault("actions", []).extend(row_errors)
    if record is not None and p is None:
        fields.setdefault("pairing_id", []).append("导师结对不存在")
    if fields or form:
        raise ValidationFailed(fields=fields, form=form)
    with records.unit(actor, db) as u:
        session_id = u.create(SESSION, record, validated=True)
        for a in clean_rows:
            u.create(ACTION, a, validated=True, system={"session_id": session_id, "status": "open"})
    return session_id


def session_rows(org_id: int | None = None) -> Rows:
    """Mentoring sessions, newest first (every session ever held: paged in the database)."""
    where, first = ("WHERE p.org_id = ?", [org_id]) if org_id is not None else ("WHERE true", [])
    where += " AND " + scope.orgs_in("p.org_id", first)
    params = tuple(first)
    return Rows(
        "SELECT s.id, s.session_date, o.name AS org, m.name AS mentor, s.module, s.form, s.hours, s.findings,"
        " (SELECT count(*) FROM mentoring_actions a WHERE a.session_id = s.id) AS actions"
        " FROM mentoring_sessions s JOIN mentor_pairings p ON p.id = s.pairing_id"
        " JOIN mentors m ON m.id = p.mentor_id JOIN organisations o ON o.id = p.org_id"
        f" {where}", "session_date DESC, id DESC", params)


def sessions(org_id: int | None = None, db=None) -> pd.DataFrame:
    return session_rows(org_id).all(db)


def actions(*, org_id: int | None = None, statuses=None, today: dt.date | None = None, db=None) -> pd.DataFrame:
    """Agreed actions with their follow-up status ('open', 'overdue', 'done'), overdue first."""
    db = db or get_db()
    today = today or dt.date.today()
    status = _status_sql("a")
    where, params = [], [today]
    where.append(scope.orgs_in("p.org_id", params))
    if org_id is not None:
        where.append("p.org_id = ?")
        params.append(org_id)
    if statuses:
        where.append(f"({status}) IN ({', '.join('?' for _ in statuses)})")
        params += [today, *statuses]
    # ordered outside: an alias inside an ORDER BY expression is DuckDB's only (PostgreSQL: core/platform/pg.py)
    sql = (f"SELECT * FROM (SELECT a.id, {status} AS follow_up, a.action, a.owner, a.due_date, a.done_date, o.name AS org,"
           " m.name AS mentor, s.session_date, s.module, a.session_id"
           " FROM mentoring_actions a JOIN mentoring_sessions s ON s.id = a.session_id"
           " JOIN mentor_pairings p ON p.id = s.pairing_id JOIN mentors m ON m.id = p.mentor_id"
           " JOIN organisations o ON o.id = p.org_id"
           + (" WHERE " + " AND ".join(where) if where else "")
           + ") AS actions ORDER BY CASE follow_up WHEN 'overdue' THEN 0 WHEN 'open' THEN 1 ELSE 2 END, due_date, id")
    return db.fetch_df(sql, params)


def follow_up_counts(today: dt.date | None = None, db=None) -> dict[str, int]:
    db = db or get_db()
    params: list = [today or dt.date.today()]
    mine = scope.orgs_in("p.org_id", params)
    rows = db.fetch_all(f"SELECT {_status_sql('a')} AS s, count(*) AS n FROM mentoring_actions a"
                        " JOIN mentoring_sessions ms ON ms.id = a.session_id JOIN mentor_pairings p ON p.id = ms.pairing_id"
                        f" WHERE {mine} GROUP BY 1", params)
    got = {r["s"]: int(r["n"]) for r in rows}
    return {s: got.get(s, 0) for s in STATUSES}


def mark_done(action_id: int, done_on: dt.date, actor: Actor, db=None, today: dt.date | None = None) -> None:
    """Close an agreed action on ``done_on`` (not in the future, not before its session)."""
    db = db or get_db()
    today = today or dt.date.today()
    if done_on is None:
        raise ValidationFailed(fields={"done_date": ["请选择完成日期"]})
    with records.unit(actor, db) as u:
        a = u.tx.fetch_one("SELECT a.*, s.session_date FROM mentoring_actions a"
                           " JOIN mentoring_sessions s ON s.id = a.session_id WHERE a.id = ?", [action_id])
        if a is None:
            raise NotFound(f"待办事项(编号 {action_id})不存在")
        if a["status"] == "done":
            raise ValidationFailed(form=[f"该待办事项已于 {a['done_date']} 完成"])
        if done_on > today:
            raise ValidationFailed(fields={"done_date": ["完成日期不能晚于今天"]})
        if done_on < a["session_date"]:
            raise ValidationFailed(fields={"done_date": [f"完成日期不能早于辅导日期({a['session_date']})"]})
        u.update(ACTION, action_id, {}, system={"status": "done", "done_date": done_on}, action="mark_done")


# ---- conflicts of interest for expert review -----------------------------------------------------
def conflicts(username: str, org_id: int, today: dt.date | None = None, db=None) -> list[str]:
    """Why ``username`` (through the mentor linked to that account) may not review ``org_id``: a pairing
    running at any time since two years ago (one already agreed for later too), or a session since then."""
    db = db or get_db()
    today = today or dt.date.today()
    since = add_years(today, -CONFLICT_YEARS)
    reasons = [f"导师结对({r['start_date']} 至 {r['end_date'] or '今'})" for r in db.fetch_all(
        "SELECT p.start_date, p.end_date FROM mentor_pairings p JOIN mentors m ON m.id = p.mentor_id"
        " WHERE m.username = ? AND p.org_id = ? AND (p.end_date IS NULL OR p.end_date >= ?) ORDER BY p.start_date",
        [username, org_id, since])]
    last = db.scalar(
        "SELECT max(s.session_date) FROM mentoring_sessions s JOIN mentor_pairings p ON p.id = s.pairing_id"
        " JOIN mentors m ON m.id = p.mentor_id WHERE m.username = ? AND p.org_id = ? AND s.session_date >= ?",
        [username, org_id, since])
    if last is not None:
        reasons.append(f"一对一辅导(最近一次 {last})")
    if not reasons:
        return []
    return [f"近{CONFLICT_YEARS}年为该组织的辅导导师:" + "、".join(reasons)]


def _conflict_pairs(db=None, today: dt.date | None = None) -> set[tuple[str, int]]:
    db = db or get_db()
    since = add_years(today or dt.date.today(), -CONFLICT_YEARS)
    rows = db.fetch_all(
        "SELECT m.username, p.org_id FROM mentor_pairings p JOIN mentors m ON m.id = p.mentor_id"
        " WHERE m.username IS NOT NULL AND (p.end_date IS NULL OR p.end_date >= ?)"
        " UNION SELECT m.username, p.org_id FROM mentoring_sessions s JOIN mentor_pairings p ON p.id = s.pairing_id"
        " JOIN mentors m ON m.id = p.mentor_id WHERE m.username IS NOT NULL AND s.session_date >= ?", [since, since])
    return {(r["username"], int(r["org_id"])) for r in rows}


def _conflict_source(username: str, org_id: int, today: dt.date) -> list[str]:
    return conflicts(username, org_id, today)


_conflict_source.pairs = _conflict_pairs  # bulk form, used by core.review.reviewers.conflict_pairs


def _register_conflicts() -> None:
    name = f"{__name__}.{_conflict_source.__qualname__}"
    reviewers.CONFLICT_SOURCES[:] = [s for s in reviewers.CONFLICT_SOURCES
                                     if f"{s.__module__}.{s.__qualname__}" != name]  # a reload replaces it
    reviewers.CONFLICT_SOURCES.append(_conflict_source)


_register_conflicts()


# ---- choice lists --------------------------------------------------------------------------------
def install_providers() -> None:
    """``mentors``: active mentors (every mentor keeps its name); ``pairings``: mentor -> organisation."""
    id_names("mentors", ("mentors",), "SELECT id, name, speciality, active FROM mentors ORDER BY name, id",
             lambda r: f"{r['name']}({r['speciality']})" + ("" if r["active"] else "(停用)"),
             offered=lambda r: r["active"])
    id_names("pairings", ("mentor_pairings", "mentors", "organisations"),
             "SELECT p.id, m.name AS mentor, o.name AS org, p.start_date, p.end_date, o.hub_id FROM mentor_pairings p"
             " JOIN mentors m ON m.id = p.mentor_id JOIN organisations o ON o.id = p.org_id"
             " ORDER BY p.end_date IS NOT NULL, o.name, p.start_date DESC",
             lambda r: f"{r['mentor']} → {r['org']}({r['start_date']} 起" + (f",至 {r['end_date']})" if r["end_date"] else ")"),
             hub_column="hub_id")  # a screen offers the pairings of its hubs' organisations
