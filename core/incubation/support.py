"""组织成长档案: everything the hub has given one organisation, on one page — mentoring, trainings attended,
capability assessments, funded projects, and its stage, incubation and rating history.

Trainings and assessments belong to the capability module; they are only read here. A reader opens the dossier of an
organisation of its hubs only (:mod:`core.incubation.scope`): another hub's reads as not found."""
from __future__ import annotations

import datetime as dt

import pandas as pd

from core.incubation import lifecycle, mentoring, scope
from core.platform.db import get_db
from core.platform.errors import NotFound
from schemas.application import Application
from schemas.capability import Attendance, Training, assessment_schema
from schemas.choices import APP_STATES
from schemas.columns import columns, number
from schemas.incubation import MentoringSession
from schemas.round import Round

STATE_LABEL_SQL = "CASE a.state " + " ".join(f"WHEN '{k}' THEN '{v}'" for k, v in APP_STATES.items()) + " END"


# the columns of :func:`trainings`, :func:`assessments` and :func:`funded_projects` (computed ones labelled here)
TRAINING_COLUMNS = columns("training_date", "title", "kind", "topic", "trainer", "person", "position",
                           of=(Training, Attendance))
ASSESSMENT_COLUMNS = columns("period", "assessed_on", "total", "assessor", "instrument", "version",
                             of=assessment_schema([]), computed={"instrument": "评估工具"})
FUNDED_COLUMNS = columns("id", "round", "title", "category", "state", "granted_amount", "project_start", "project_end",
                         of=(Application, Round), computed={"id": "申报编号"})


def trainings(org_id: int, db=None) -> pd.DataFrame:
    """Trainings people of the organisation attended (one row per person and training)."""
    db = db or get_db()
    params: list = [org_id]
    mine = scope.orgs_in("a.org_id", params)
    return db.fetch_df(
        "SELECT t.training_date, t.title, t.kind, t.topic, t.trainer, a.person, a.position"
        f" FROM training_attendance a JOIN trainings t ON t.id = a.training_id WHERE a.org_id = ? AND {mine}"
        " ORDER BY t.training_date DESC, t.id, a.id", params)


def assessments(org_id: int, db=None) -> pd.DataFrame:
    """Capability assessment totals by period."""
    db = db or get_db()
    params: list = [org_id]
    mine = scope.orgs_in("s.org_id", params)
    return db.fetch_df(
        "SELECT s.period, s.assessed_on, s.total, s.assessor, i.name AS instrument, i.version"
        f" FROM assessments s LEFT JOIN assessment_instruments i ON i.id = s.instrument_id WHERE s.org_id = ? AND {mine}"
        " ORDER BY s.assessed_on, s.period", params)


def funded_projects(org_id: int, db=None) -> pd.DataFrame:
    db = db or get_db()
    marks = ", ".join("?" for _ in lifecycle.FUNDED_STATES)
    return db.fetch_df(
        f"SELECT a.id, r.name AS round, a.title, a.category, {STATE_LABEL_SQL} AS state,"
        " CAST(a.granted_amount AS DOUBLE) AS granted_amount, r.project_start, r.project_end"
        " FROM applications a JOIN rounds r ON r.id = a.round_id"
        f" WHERE a.org_id = ? AND a.state IN ({marks}) ORDER BY r.project_start DESC, a.id",
        [org_id, *lifecycle.FUNDED_STATES])


# the headline figures of :func:`summary` shown as metrics (a sum keeps the label of what it sums)
SUMMARY_LABELS = columns("sessions", "hours", "training_person_times", "assessments", "funded_projects",
                         of=MentoringSession,
                         computed={"sessions": mentoring.PAIRING_COLUMNS["sessions"],
                                   "training_person_times": lifecycle.COVERAGE_COLUMNS["training_person_times"],
                                   "assessments": "能力评估", "funded_projects": number("资助项目")})


def summary(org_id: int, today: dt.date | None = None, db=None) -> dict:
    """Headline figures of the organisation's support, aggregated in SQL."""
    db = db or get_db()
    today = today or dt.date.today()
    row = db.fetch_one(
        "SELECT"
        " (SELECT count(*) FROM mentor_pairings p WHERE p.org_id = $org) AS pairings,"
        " (SELECT count(*) FROM mentoring_sessions s JOIN mentor_pairings p ON p.id = s.pairing_id"
        "   WHERE p.org_id = $org) AS sessions,"
        " (SELECT coalesce(sum(s.hours), 0) FROM mentoring_sessions s JOIN mentor_pairings p ON p.id = s.pairing_id"
        "   WHERE p.org_id = $org) AS hours,"
        " (SELECT count(*) FROM mentoring_actions a JOIN mentoring_sessions s ON s.id = a.session_id"
        "   JOIN mentor_pairings p ON p.id = s.pairing_id"
        "   WHERE p.org_id = $org AND a.status <> 'done' AND a.due_date < $today) AS overdue_actions,"
        " (SELECT count(*) FROM training_attendance a WHERE a.org_id = $org) AS training_person_times,"
        " (SELECT count(DISTINCT a.training_id) FROM training_attendance a WHERE a.org_id = $org) AS trainings,"
        " (SELECT count(*) FROM assessments s WHERE s.org_id = $org) AS assessments,"
        " (SELECT count(*) FROM applications a WHERE a.org_id = $org AND a.state IN ('funded', 'public_notice'))"
        "   AS funded_projects,"
        " (SELECT coalesce(sum(CAST(a.granted_amount AS DOUBLE)), 0) FROM applications a WHERE a.org_id = $org"
        "   AND a.state IN ('funded', 'public_notice')) AS granted",
        {"org": org_id, "today": today})
    return row


def history(org_id: int, today: dt.date | None = None, db=None) -> dict:
    """The whole dossier: the organisation, its summary, and one frame per kind of support."""
    db = db or get_db()
    params: list = [org_id]
    mine = scope.orgs_in("id", params)
    org = db.fetch_one(f"SELECT * FROM organisations WHERE id = ? AND {mine}", params)
    if org is None:
        raise NotFound(f"社会组织(编号 {org_id})不存在")
    return {
        "org": org,
        "status": lifecycle.status(org, today),
        "summary": summary(org_id, today, db),
        "pairings": mentoring.pairings(org_id, db),
        "sessions": mentoring.sessions(org_id, db),
        "actions": mentoring.actions(org_id=org_id, today=today, db=db),
        "trainings": trainings(org_id, db),
        "assessments": assessments(org_id, db),
        "funded": funded_projects(org_id, db),
        "stages": lifecycle.stage_history(org_id, db),
        "decisions": lifecycle.decisions(org_id, db),
        "ratings": lifecycle.ratings(org_id, db),
    }
