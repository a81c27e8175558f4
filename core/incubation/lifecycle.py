"""Lifecycle, incubation and ratings: stage changes kept as history, 入壳/出壳 decisions with the criteria
met, 等级评估 results (valid five years, an upgrade may be applied for two years after the last rating),
ratings about to expire, and the coverage-gap report (support given per lifecycle stage).

Each decision writes its history row and the organisation's current value in one audited unit. Every record here is
its organisation's hub's (:mod:`core.incubation.scope`): read for the reader's hubs' organisations, written by that
hub's staff only."""
from __future__ import annotations

import calendar
import datetime as dt

import pandas as pd

from core.incubation import scope
from core.platform import cache, records
from core.platform.listing import Rows
from core.platform.actor import Actor, acting
from core.platform.db import get_db
from core.platform.entities import Entity, register
from core.platform.errors import NotFound, ValidationFailed
from core.orgs.organisations import ORGANISATION, RATING_VALID_YEARS, add_years
from schemas.choices import RATINGS, STAGES
from schemas.columns import columns, label, percent
from schemas.incubation import IncubationDecision, MentoringSession, Rating, StageChange
from schemas.organisation import Organisation

STAFF = frozenset({"admin", "staff"})
UPGRADE_AFTER_YEARS = 2
FUNDED_STATES = ("funded", "public_notice")


def _derive_rating(record: dict) -> dict:
    record["expires_on"] = add_years(record["rated_on"], RATING_VALID_YEARS) if record.get("rated_on") else None
    return record


STAGE_CHANGE = register(Entity(
    name="stage_change", table="stage_changes", label="发展阶段变更", schema=StageChange, write_roles=STAFF,
    title_field="to_stage", hub_via=scope.VIA_ORG,
))
INCUBATION_DECISION = register(Entity(
    name="incubation_decision", table="incubation_decisions", label="入壳/出壳决定", schema=IncubationDecision,
    write_roles=STAFF, title_field="kind", hub_via=scope.VIA_ORG,
))
RATING = register(Entity(
    name="rating", table="ratings", label="等级评估结果", schema=Rating, write_roles=STAFF, title_field="level",
    derive=_derive_rating, hub_via=scope.VIA_ORG,
))


def date_context(org_id, db=None) -> dict:
    """What an organisation's decisions and ratings are dated against: its registration date."""
    db = db or get_db()
    try:
        row = db.fetch_one("SELECT reg_date FROM organisations WHERE id = ?", [int(org_id)])
    except (TypeError, ValueError):
        return {}
    return dict(row) if row else {}


def _org(u: records.Unit, org_id: int) -> dict:
    org = u.fetch(ORGANISATION, org_id)
    if org is None:
        raise NotFound(f"社会组织(编号 {org_id})不存在")
    return org


# ---- stages --------------------------------------------------------------------------------------
def change_stage(org_id: int, values: dict, actor: Actor, db=None) -> int:
    """Record a stage change (from the current stage) and set the organisation's stage, in one unit."""
    db = db or get_db()
    record = records.clean(STAGE_CHANGE, {**values, "org_id": org_id})
    with records.unit(actor, db) as u:
        org = _org(u, org_id)
        if record["to_stage"] == org["stage"]:
            raise ValidationFailed(fields={"to_stage": [f"该组织当前已处于「{org['stage']}」"]})
        last = u.tx.fetch_one("SELECT max(changed_on) AS d FROM stage_changes WHERE org_id = ?", [org_id])["d"]
        if last is not None and record["changed_on"] < last:
            raise ValidationFailed(fields={"changed_on": [f"变更日期不能早于上一次阶段变更({last})"]})
        key = u.create(STAGE_CHANGE, record, validated=True, system={"from_stage": org["stage"]})
        u.update(ORGANISATION, org_id, {"stage": record["to_stage"]}, validated=True, action="stage_change",
                 note=record["reason"])
    return key


# the columns of :func:`stage_history`, :func:`decisions` and :func:`ratings` (a history table's headers)
STAGE_COLUMNS = columns("id", "changed_on", "from_stage", "to_stage", "reason", "created_by", of=StageChange)


def stage_history(org_id: int, db=None) -> pd.DataFrame:
    db = db or get_db()
    params: list = [org_id]
    mine = scope.orgs_in("org_id", params)
    return db.fetch_df("SELECT id, changed_on, from_stage, to_stage, reason, created_by FROM stage_changes"
                       f" WHERE org_id = ? AND {mine} ORDER BY changed_on, id", params)


# ---- incubation ----------------------------------------------------------------------------------
def incubation_status(org: dict) -> str:
    if org.get("incubation_in") is None:
        return "未入壳"
    return "在孵" if org.get("incubation_out") is None else "已出壳"


def next_decision(org: dict) -> str | None:
    """The decision the organisation can have next: 入壳, 出壳 or none (already graduated)."""
    return {"未入壳": "入壳", "在孵": "出壳"}.get(incubation_status(org))


def _decision_change(org: dict, record: dict) -> dict:
    """The organisation's new incubation date for the decision ``record`` (refusals in Chinese)."""
    day = record["decided_on"]
    if record["kind"] == "入壳":
        if org["incubation_out"] is not None:
            raise ValidationFailed(form=[f"该组织已于 {org['incubation_out']} 出壳,不能再次入壳"])
        if org["incubation_in"] is not None:
            raise ValidationFailed(form=[f"该组织已于 {org['incubation_in']} 入壳,正在孵化中"])
        return {"incubation_in": day}
    if org["incubation_in"] is None:
        raise ValidationFailed(form=["该组织尚未入壳,不能出壳"])
    if org["incubation_out"] is not None:
        raise ValidationFailed(form=[f"该组织已于 {org['incubation_out']} 出壳"])
    if day <= org["incubation_in"]:
        raise ValidationFailed(fields={"decided_on": [f"出壳日期须晚于入壳日期({org['incubation_in']})"]})
    return {"incubation_out": day}


def check_decision(org_id: int, values: dict, db=None) -> dict:
    """Everything :func:`decide` checks, without writing: the validated decision (for the confirmation
    that asks before a 出壳, which cannot be undone)."""
    db = db or get_db()
    record = records.clean(INCUBATION_DECISION, {**values, "org_id": org_id}, date_context(org_id, db))
    params: list = [org_id]
    mine = scope.orgs_in("id", params)
    org = db.fetch_one(f"SELECT * FROM organisations WHERE id = ? AND {mine}", params)
    if org is None:
        raise NotFound(f"社会组织(编号 {org_id})不存在")
    _decision_change(org, record)
    return record


def decide(org_id: int, values: dict, actor: Actor, db=None) -> int:
    """入壳 (sets incubation_in) or 出壳 (sets incubation_out; needs a prior 入壳 and a later date). A second
    出壳 (e.g. a double click) is refused: the organisation has already graduated."""
    db = db or get_db()
    record = records.clean(INCUBATION_DECISION, {**values, "org_id": org_id}, date_context(org_id, db))
    with records.unit(actor, db) as u:
        org = _org(u, org_id)
        change = _decision_change(org, record)
        key = u.create(INCUBATION_DECISION, record, validated=True)
        u.update(ORGANISATION, org_id, change, validated=True, action="incubation",
                 note=f"{record['kind']}:" + "、".join(record["criteria_met"] or []))
    return key


DECISION_COLUMNS = columns("id", "decided_on", "kind", "criteria_met", "note", "created_by", of=IncubationDecision)


def decisions(org_id: int, db=None) -> pd.DataFrame:
    db = db or get_db()
    params: list = [org_id]
    mine = scope.orgs_in("org_id", params)
    return db.fetch_df("SELECT id, decided_on, kind, array_to_string(criteria_met, '、') AS criteria_met, note,"
                       f" created_by FROM incubation_decisions WHERE org_id = ? AND {mine} ORDER BY decided_on, id",
                       params)


# ---- ratings -------------------------------------------------------------------------------------
def expiry(rated_on: dt.date) -> dt.date:
    return add_years(rated_on, RATING_VALID_YEARS)


def upgrade_from(rated_on: dt.date) -> dt.date:
    """The first day an upgrade may be applied for after a rating on ``rated_on``."""
    return add_years(rated_on, UPGRADE_AFTER_YEARS)


def may_apply_for_upgrade(rated_on: dt.date | None, today: dt.date | None = None) -> bool:
    """Unrated organisations may apply any time; rated ones two years after the last rating."""
    return rated_on is None or (today or dt.date.today()) >= upgrade_from(rated_on)


def record_rating(org_id: int, values: dict, actor: Actor, db=None) -> int:
    """A rating result: stored in the history and made the organisation's current rating, in one unit.

    Ratings are recorded in date order; a higher level than the current one within two years of it is
    refused (an upgrade may be applied for only two years after the last rating)."""
    db = db or get_db()
    record = records.clean(RATING, {**values, "org_id": org_id}, date_context(org_id, db))
    day = record["rated_on"]
    with records.unit(actor, db) as u:
        org = _org(u, org_id)
        current, since = org["rating"], org["rating_date"]
        if since is not None and day < since:
            raise ValidationFailed(fields={"rated_on": [f"评估日期不能早于该组织当前等级的评估日期({since})"]})
        if u.tx.fetch_one("SELECT id FROM ratings WHERE org_id = ? AND rated_on = ?", [org_id, day]):
            raise ValidationFailed(fields={"rated_on": [f"该组织在 {day} 已登记过评估结果"]})
        if (current in RATINGS and since is not None and RATINGS.index(record["level"]) > RATINGS.index(current)
                and day < upgrade_from(since)):
            raise ValidationFailed(fields={"level": [
                f"上次评估为{current}({since}),满{UPGRADE_AFTER_YEARS}年后({upgrade_from(since)}起)方可申请晋级"]})
        key = u.create(RATING, record, validated=True)
        u.update(ORGANISATION, org_id, {"rating": record["level"], "rating_date": day, "rating_expiry": record["expires_on"]},
                 validated=True, action="rating", note=f"等级评估:{record['level']}({record['score']:g}分)")
    return key


RATING_COLUMNS = columns("id", "rated_on", "level", "score", "expires_on", "note", "created_by", of=Rating)


def ratings(org_id: int, db=None) -> pd.DataFrame:
    db = db or get_db()
    params: list = [org_id]
    mine = scope.orgs_in("org_id", params)
    return db.fetch_df("SELECT id, rated_on, level, score, expires_on, note, created_by FROM ratings"
                       f" WHERE org_id = ? AND {mine} ORDER BY rated_on, id", params)


def add_months(d: dt.date, months: int) -> dt.date:
    """``d`` moved by whole months (the last day of a shorter month when the day does not exist)."""
    y, m = divmod(d.month - 1 + months, 12)
    year, month = d.year + y, m + 1
    return dt.date(year, month, min(d.day, calendar.monthrange(year, month)[1]))


# the columns of :func:`expiring` and :func:`current_ratings` (computed ones labelled here)
EXPIRING_COLUMNS = columns("id", "name", "community", "rating", "rating_date", "rating_expiry", "days_left",
                           of=Organisation, computed={"days_left": "剩余天数"})
CURRENT_RATING_COLUMNS = columns("id", "name", "rating", "rating_date", "rating_expiry", "validity", "upgrade_from",
                                 "upgrade", of=Organisation,
                                 computed={"validity": label("status"), "upgrade_from": "可申请晋级日期", "upgrade": "晋级申请"})


def expiring(today: dt.date | None = None, months: int = 12, db=None) -> pd.DataFrame:
    """Active organisations whose current rating expires from today to ``months`` ahead, soonest first."""
    return expiring_rows(today, months).all(db)


def expiring_rows(today: dt.date | None = None, months: int = 12) -> Rows:
    """:func:`expiring`, paged in the database."""
    today = today or dt.date.today()
    params: list = [today, today, add_months(today, months)]
    mine = scope.orgs_in("id", params)
    return Rows("SELECT id, name, community, rating, rating_date, rating_expiry,"
                " datediff('day', ?::DATE, rating_expiry) AS days_left FROM organisations"
                f" WHERE active AND rating IS NOT NULL AND rating_expiry BETWEEN ? AND ? AND {mine}",
                "rating_expiry, name, id", tuple(params))


def current_ratings(today: dt.date | None = None, db=None) -> pd.DataFrame:
    """Every active rated organisation: its rating, whether it is still valid, and from when an upgrade
    may be applied for (two years after the rating)."""
    return current_rating_rows(today).all(db)


def current_rating_rows(today: dt.date | None = None) -> Rows:
    """:func:`current_ratings`, paged in the database."""
    params: dict = {"today": today or dt.date.today()}
    mine = scope.orgs_in("id", params)
    return Rows(
        "SELECT id, name, rating, rating_date, rating_expiry,"
        " CASE WHEN rating_expiry >= $today THEN '有效' ELSE '已过期' END AS validity,"
        f" CAST(rating_date + INTERVAL {UPGRADE_AFTER_YEARS} YEAR AS DATE) AS upgrade_from,"
        f" CASE WHEN $today >= CAST(rating_date + INTERVAL {UPGRADE_AFTER_YEARS} YEAR AS DATE)"
        "   THEN '可申请' ELSE '未满2年' END AS upgrade"
        f" FROM organisations WHERE active AND rating IS NOT NULL AND {mine}", "rating DESC, rating_expiry, name, id",
        params)


def status(org: dict, today: dt.date | None = None) -> dict:
    """What a person reads about one organisation: stage, incubation, rating and what may come next."""
    today = today or dt.date.today()
    rated = org.get("rating_date")
    out = {"stage": org.get("stage"), "incubation": incubation_status(org), "next_decision": next_decision(org),
           "rating": org.get("rating"), "rating_date": rated, "rating_expiry": org.get("rating_expiry"),
           "rating_valid": bool(org.get("rating") and org.get("rating_expiry") and org["rating_expiry"] >= today),
           "upgrade_from": upgrade_from(rated) if rated else None,
           "may_apply_for_upgrade": may_apply_for_upgrade(rated, today)}
    return out


# ---- the coverage-gap report ---------------------------------------------------------------------
_STAGE_AT = (
    "coalesce("
    "(SELECT c.to_stage FROM stage_changes c WHERE c.org_id = e.org_id AND c.changed_on <= e.d"
    "  ORDER BY c.changed_on DESC, c.id DESC LIMIT 1),"
    "(SELECT c.from_stage FROM stage_changes c WHERE c.org_id = e.org_id AND c.changed_on > e.d"
    "  ORDER BY c.changed_on, c.id LIMIT 1),"
    " o.stage)"
)


# the columns of :func:`coverage` (support summed per stage: a sum keeps the label of what it sums)
COVERAGE_COLUMNS = columns(
    "stage", "orgs", "supported_orgs", "mentoring_hours", "training_person_times", "granted", "hours_share",
    "persons_share", "granted_share", "gaps", of=Organisation,
    computed={"orgs": "在册组织数", "supported_orgs": "获支持组织数",
              "mentoring_hours": label("hours", of=MentoringSession), "training_person_times": "培训人次",
              "granted": label("granted_amount"), "hours_share": percent("辅导时长占比(%)"),
              "persons_share": percent("培训人次占比(%)"), "granted_share": percent("资助金额占比(%)"),
              "gaps": "服务缺口"})


def coverage(since: dt.date | None = None, until: dt.date | None = None, db=None) -> pd.DataFrame:
    """Support given per lifecycle stage: active organisations now in the stage, organisations supported,
    mentoring hours, training person-times and money granted (funded or in public notice), and each
    stage's share (%) of all hours, person-times and money; ``gaps`` names what a stage with
    organisations got none of.

    Support is counted in the stage the organisation was in when it was given (from the stage-change
    history; the current stage when there is none); ``since``/``until`` limit the dates of support
    (session date, training date, the funded project's start)."""
    db = db or get_db()
    lo, hi = since or dt.date(1900, 1, 1), until or dt.date(9999, 12, 31)
    # kept until a table it reads is written: at a city's scale (1.2 million sign-ins, each placed in the
    # stage its organisation was in that day) it takes 0.2-0.4 s, and the screen shows it on every run
    # of the reader's hubs' organisations (core.incubation.scope)
    who = acting()
    return cache.cached("stage_coverage", (lo, hi, None if who is None else who.hubs), COVERAGE_TABLES,
                        lambda: _coverage(lo, hi, db, who), db)


COVERAGE_TABLES = ("mentoring_sessions", "mentor_pairings", "training_attendance", "trainings", "applications",
                   "rounds", "stage_changes", "organisations", "hubs")


def _coverage(lo: dt.date, hi: dt.date, db, actor: Actor | None = None) -> pd.DataFrame:
    stages = ", ".join(f"('{s}', {i})" for i, s in enumerate(STAGES))
    funded = ", ".join(f"'{s}'" for s in FUNDED_STATES)
    params: list = [lo, hi]
    sql = f"""
    WITH stages(stage, ord) AS (VALUES {stages}),
    events AS (
        SELECT p.org_id, s.session_date AS d, s.hours AS hours, 0 AS persons, CAST(0 AS DOUBLE) AS money
          FROM mentoring_sessions s JOIN mentor_pairings p ON p.id = s.pairing_id
        UNION ALL
        SELECT a.org_id, t.training_date, 0, 1, CAST(0 AS DOUBLE)
          FROM training_attendance a JOIN trainings t ON t.id = a.training_id
        UNION ALL
        SELECT ap.org_id, r.project_start, 0, 0, CAST(ap.granted_amount AS DOUBLE)
          FROM applications ap JOIN rounds r ON r.id = ap.round_id
         WHERE ap.state IN ({funded}) AND ap.granted_amount IS NOT NULL
    ),
    staged AS (
        SELECT e.org_id, e.hours, e.persons, e.money, {_STAGE_AT} AS stage
          FROM events e JOIN organisations o ON o.id = e.org_id
         WHERE e.d BETWEEN ? AND ? AND {scope.orgs_in("o.id", params, actor)}
    ),
    per_stage AS (
        SELECT stage, count(DISTINCT org_id) AS supported, sum(hours) AS hours, sum(persons) AS persons,
               sum(money) AS money FROM staged GROUP BY stage
    ),
    now AS (SELECT stage, count(*) AS orgs FROM organisations WHERE active AND {scope.orgs_in("id", params, actor)}
            GROUP BY stage)
    SELECT st.stage,
           coalesce(n.orgs, 0) AS orgs,
           coalesce(ps.supported, 0) AS supported_orgs,
           coalesce(ps.hours, 0) AS mentoring_hours,
           coalesce(ps.persons, 0) AS training_person_times,
           coalesce(ps.money, 0) AS granted,
           round(100.0 * coalesce(ps.hours, 0) / nullif(sum(coalesce(ps.hours, 0)) OVER (), 0), 1) AS hours_share,
           round(100.0 * coalesce(ps.persons, 0) / nullif(sum(coalesce(ps.persons, 0)) OVER (), 0), 1)
               AS persons_share,
           round(100.0 * coalesce(ps.money, 0) / nullif(sum(coalesce(ps.money, 0)) OVER (), 0), 1) AS granted_share,
           CASE WHEN coalesce(n.orgs, 0) = 0 THEN '' ELSE concat_ws('、',
                CASE WHEN coalesce(ps.hours, 0) = 0 THEN '无一对一辅导' END,
                CASE WHEN coalesce(ps.persons, 0) = 0 THEN '无培训' END,
                CASE WHEN coalesce(ps.money, 0) = 0 THEN '无资助' END) END AS gaps
      FROM stages st LEFT JOIN per_stage ps ON ps.stage = st.stage LEFT JOIN now n ON n.stage = st.stage
     ORDER BY st.ord"""
    df = db.fetch_df(sql, params)
    for col in ("orgs", "supported_orgs", "training_person_times"):
        df[col] = df[col].astype(int)
    return df
