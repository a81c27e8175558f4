"""能力培训: training events, attendance (person-times, by form or sign-in sheet), feedback, and the
effectiveness of each event and topic. Which trainings a reader sees, and whose sign-ins (a district's training is
seen by every hub below it; each reader counts its own organisations' sign-ins): :mod:`core.incubation.scope`.

Effectiveness (``by_event`` / ``by_topic``):

- 到课率 (attendance rate) = attendance rows (person-times) / planned capacity. Per topic: the
  person-times of the topic's events that have a capacity, divided by the sum of those capacities;
  events without a capacity have no rate and do not count in the topic's rate.
- 反馈均分 (mean feedback) = mean over the feedback rows of (usefulness + clarity + fit) / 3, each 1–5;
  per topic pooled over all its events' feedback rows.
- 能力变化 (capability change): the topic's capability dimension (``TOPIC_DIMENSION``, the one place this
  mapping lives) is looked up in each attending organisation's last assessment *before* the training
  date and its first assessment *after* it (same-day assessments count as neither); the change is
  after − before, in dimension points (0–100, see :mod:`core.incubation.assessments`); dimensions are matched by
  name, so assessments made with different instrument versions compare. The event's figure is the mean
  over its organisations that have both assessments; the topic's, the mean over all such
  (event, organisation) pairs of its events.
"""
from __future__ import annotations

import datetime as dt

import duckdb
import pandas as pd

from core.incubation import assessments, scope
from core.platform import cache, importer, records
from core.platform.actor import Actor, acting
from core.platform.db import get_db
from core.platform.entities import Entity, Unique, register
from core.platform.errors import NotFound, ValidationFailed
from core.platform.importer import ImportSpec
from core.platform.lookups import id_names
from core.platform.listing import Column, Filter, ListView
from schemas import choices
from schemas.capability import Attendance, Feedback, FeedbackSheet, Training
from schemas.columns import columns, percent

# training topic -> the capability dimension it builds (by dimension name)
TOPIC_DIMENSION = {
    "公益管理": "内部治理",
    "法律合规": "内部治理",
    "项目设计": "项目管理",
    "财税管理": "财务管理",
    "志愿者管理": "人力资源",
    "品牌传播": "品牌传播",
    "数字化运营": "品牌传播",
    "资源动员": "资源动员",
}

TRAINING = register(Entity(
    name="training", table="trainings", label="培训", schema=Training, write_roles=frozenset({"admin", "staff"}),
    title_field="title", hub_owned=True,  # organised by one hub (core.incubation.scope: who else sees it)
))
ATTENDANCE = register(Entity(
    name="training_attendance", table="training_attendance", label="培训签到", schema=Attendance,
    write_roles=frozenset({"admin", "staff"}), title_field="person", hub_via=scope.VIA_ORG,
))
FEEDBACK = register(Entity(
    name="training_feedback", table="training_feedback", label="培训反馈", schema=Feedback,
    write_roles=frozenset({"admin", "staff"}), title_field="attendance_id", hub_via=scope.VIA_ATTENDANCE,
    unique=(Unique("attendance_id", "该参训人员已有反馈(编号 {key})"),),
))

_ATTENDEES_SQL = "(SELECT count(*) FROM training_attendance a WHERE a.training_id = trainings.id)"
_LIST_SQL = {"attendees": _ATTENDEES_SQL, "rate": f"round(100.0 * {_ATTENDEES_SQL} / nullif(capacity, 0), 1)"}
# the list's columns (labels of the computed ones declared here)
LIST_COLUMNS = columns("id", "title", "kind", "topic", "training_date", "trainer", "partner", "place", "capacity",
                       "attendees", "rate", of=Training, computed={"attendees": "参训人次", "rate": percent("到课率(%)")})

LIST_VIEW = ListView(
    entity=TRAINING,
    columns=tuple(Column(name, label, sql=_LIST_SQL.get(name)) for name, label in LIST_COLUMNS.items()),
    search=("title", "trainer", "partner"),
    filters=(
        Filter("kind", LIST_COLUMNS["kind"], "kind", source="training_kinds"),
        Filter("topic", LIST_COLUMNS["topic"], "topic", source="training_topics"),
        Filter("year", "年份", "CAST(year(training_date) AS VARCHAR)",
               options=tuple(str(y) for y in range(dt.date.today().year + 1, 2017, -1))),
    ),
    default_sort="training_date",
    default_desc=True,
    search_hint="培训名称、授课老师或合作机构",
    hub_sql=scope.TRAININGS_LISTED,  # the reader's hubs' trainings and those of the hubs above them
)


# ---- events ---------------------------------------------------------------------------------------
def get(training_id: int, db=None, *, actor: Actor | None = None) -> dict | None:
    """The training ``training_id``; None when the reader (``actor``, else the screen's user) does not see it."""
    db = db or get_db()
    params: list = [training_id]
    where = scope.trainings_in("id", params, actor)
    return db.fetch_one(f"SELECT * FROM trainings WHERE id = ? AND {where}", params)


def create(values: dict, actor: Actor, db=None) -> int:
    return records.create(TRAINING, values, actor, db=db)


def update(training_id: int, values: dict, actor: Actor, db=None) -> bool:
    return records.update(TRAINING, training_id, values, actor, db=db)


UPCOMING_COLUMNS = columns("id", "title", "topic", "training_date", "kind", "place", of=Training)


def upcoming(topics: list[str], today: dt.date | None = None, db=None) -> pd.DataFrame:
    """Trainings on these topics from ``today`` on (for an organisation's recommendations)."""
    db = db or get_db()
    today = today or dt.date.today()
    if not topics:
        return pd.DataFrame(columns=["id", "title", "topic", "training_date", "kind", "place"])
    marks = ", ".join("?" for _ in topics)
    params: list = list(topics) + [today]
    seen = scope.trainings_in("id", params)
    return db.fetch_df(f"SELECT id, title, topic, training_date, kind, place FROM trainings"
                       f" WHERE topic IN ({marks}) AND training_date >= ? AND {seen} ORDER BY training_date, id",
                       params)


# ---- attendance -----------------------------------------------------------------------------------
# the columns of :func:`attendance` and :func:`feedback` (labels of the computed ones declared here)
ATTENDANCE_COLUMNS = columns("id", "org_id", "org", "person", "position", "phone", "feedback", of=Attendance,
                             computed={"feedback": "反馈"})
FEEDBACK_COLUMNS = columns("id", "org", "person", "usefulness", "clarity", "fit", "mean", "comment",
                           of=(Feedback, Attendance), computed={"mean": "均分"})


def attendance(training_id: int, db=None) -> pd.DataFrame:
    """The training's sign-in list: id, org_id, org, person, position, phone, feedback (已反馈/未反馈): of the
    reader's organisations."""
    db = db or get_db()
    params: list = [training_id]
    mine = scope.orgs_in("a.org_id", params)
    return db.fetch_df(
        "SELECT a.id, a.org_id, o.name AS org, a.person, a.position, a.phone,"
        " CASE WHEN f.id IS NULL THEN '未反馈' ELSE '已反馈' END AS feedback"
        " FROM training_attendance a JOIN organisations o ON o.id = a.org_id"
        " LEFT JOIN training_feedback f ON f.attendance_id = a.id"
        f" WHERE a.training_id = ? AND {mine} ORDER BY o.name, a.person, a.id", params)


def _signed_in(tx_or_db, training_id: int, org_id: int, person: str) -> dict | None:
    return tx_or_db.fetch_one("SELECT id, person FROM training_attendance WHERE training_id = ? AND org_id = ?"
                              " AND person = ?", [training_id, org_id, person])


def _sign_in_context(training: dict | None) -> dict:
    """What the sign-in schema's context rule reads (the form and the sheet alike): the training's day."""
    return {"training_date": training["training_date"] if training else None}


def add_attendance(training_id: int, values: dict, actor: Actor, db=None) -> int:
    """Sign one person of one organisation in; the same person of the same organisation only once; only an
    organisation of the training's hub or of a hub below it (:func:`core.incubation.scope.may_attend`)."""
    db = db or get_db()
    training = get(training_id, db, actor=actor)
    if training is None:
        raise NotFound(f"培训(编号 {training_id})不存在")
    clean = records.clean(ATTENDANCE, {**values, "training_id": training_id}, _sign_in_context(training))
    if not scope.may_attend(training_id, clean["org_id"], db):
        raise ValidationFailed(fields={"org_id": ["该组织不属于本培训主办枢纽或其下级枢纽,不能登记参加本培训"]})
    with records.unit(actor, db) as u:
        if _signed_in(u.tx, training_id, clean["org_id"], clean["person"]):
            raise ValidationFailed(fields={"person": [f"该组织的「{clean['person']}」已签到,不能重复登记"]})
        return u.create(ATTENDANCE, clean, validated=True)


def remove_attendance(attendance_id: int, actor: Actor, db=None) -> None:
    """Remove a sign-in entered by mistake, together with its feedback (one transaction)."""
    db = db or get_db()
    with records.unit(actor, db) as u:
        fb = u.tx.fetch_one("SELECT id FROM training_feedback WHERE attendance_id = ?", [attendance_id])
        if fb:
            u.delete(FEEDBACK, fb["id"])
        u.delete(ATTENDANCE, attendance_id)


def _existing_attendance(rows: list[dict], db=None) -> dict[int, dict]:
    db = db or get_db()
    out = {}
    for i, r in enumerate(rows):
        if r.get("training_id") is None or r.get("org_id") is None or not r.get("person"):
            continue
        hit = _signed_in(db, r["training_id"], r["org_id"], r["person"])
        if hit:
            out[i] = hit
    return out


def attendance_import_spec(training_id: int):
    """The sign-in sheet of one training: organisation (by name), person, position, phone."""
    return ImportSpec(
        entity=ATTENDANCE, fields=("org_id", "person", "position", "phone"), fixed={"training_id": training_id},
        find_existing=_existing_attendance, row_key=lambda r: (r["org_id"], r["person"]),
        context=_sign_in_context(get(training_id)),
    )


# ---- feedback -------------------------------------------------------------------------------------
def feedback_of(attendance_id: int, db=None) -> dict | None:
    db = db or get_db()
    return db.fetch_one("SELECT * FROM training_feedback WHERE attendance_id = ?", [attendance_id])


def save_feedback(attendance_id: int, values: dict, actor: Actor, db=None) -> bool:
    """Enter or correct one attendee's survey. Returns True when a new one was stored."""
    db = db or get_db()
    params: list = [attendance_id]
    mine = scope.orgs_in("org_id", params, actor)
    if db.fetch_one(f"SELECT id FROM training_attendance WHERE id = ? AND {mine}", params) is None:
        raise NotFound(f"签到记录(编号 {attendance_id})不存在")
    clean = records.clean(FEEDBACK, {**values, "attendance_id": attendance_id})
    with records.unit(actor, db) as u:
        stored = u.tx.fetch_one("SELECT id FROM training_feedback WHERE attendance_id = ?", [attendance_id])
        if stored is None:
            u.create(FEEDBACK, clean, validated=True)
            return True
        u.update(FEEDBACK, stored["id"], {k: v for k, v in clean.items() if k != "attendance_id"}, validated=True)
        return False


def feedback(training_id: int, db=None) -> pd.DataFrame:
    """The training's feedback, of the reader's organisations' attendees."""
    db = db or get_db()
    params: list = [training_id]
    mine = scope.orgs_in("a.org_id", params)
    return db.fetch_df(
        "SELECT f.id, o.name AS org, a.person, f.usefulness, f.clarity, f.fit,"
        " round((f.usefulness + f.clarity + f.fit) / 3.0, 2) AS mean, f.comment"
        " FROM training_feedback f JOIN training_attendance a ON a.id = f.attendance_id"
        f" JOIN organisations o ON o.id = a.org_id WHERE a.training_id = ? AND {mine} ORDER BY o.name, a.person",
        params)


def _link_feedback(rows: list[dict], db=None) -> list[dict | str]:
    db = db or get_db()
    out: list[dict | str] = []
    for r in rows:
        hit = _signed_in(db, r["training_id"], r["org_id"], r["person"])
        if hit is None:
            out.append(f"本培训的签到名单中没有该组织的「{r['person']}」,请先登记签到")
            continue
        out.append({"attendance_id": hit["id"], **{k: r.get(k) for k in ("usefulness", "clarity", "fit", "comment")}})
    return out


def _existing_feedback(rows: list[dict], db=None) -> dict[int, dict]:
    db = db or get_db()
    out = {}
    for i, r in enumerate(rows):
        if r.get("attendance_id") is None:
            continue
        hit = db.fetch_one("SELECT f.id, a.person FROM training_feedback f JOIN training_attendance a"
                           " ON a.id = f.attendance_id WHERE f.attendance_id = ?", [r["attendance_id"]])
        if hit:
            out[i] = {"id": hit["id"], "attendance_id": f"{hit['person']}的反馈"}
    return out


def feedback_import_spec(training_id: int):
    """The feedback sheet of one training: the attendee (organisation by name, person) and the survey."""
    return ImportSpec(
        entity=FEEDBACK, schema=FeedbackSheet, fixed={"training_id": training_id},
        fields=("org_id", "person", "usefulness", "clarity", "fit", "comment"),
        link=_link_feedback, find_existing=_existing_feedback,
    )


def commit_import(spec, import_plan, actor: Actor, db=None) -> int:
    """``importer.commit``; a sign-in someone stored meanwhile (unique per training, organisation and
    person) refuses the whole sheet with a message instead of a database error."""
    try:
        return importer.commit(spec, import_plan, actor, db=db)
    except duckdb.ConstraintException as exc:
        raise ValidationFailed(form=["导入期间有人登记了相同的签到,请重新上传文件核对后再导入"]) from exc


# ---- effectiveness --------------------------------------------------------------------------------
# Computed in the database (aggregated there, as DuckDB wants it; portable SQL: window functions, no ASOF
# join): at a city's scale (6,000 trainings, 1.2 million sign-ins) the former pandas merge of every
# (training, organisation) pair with every dimension score took 7 s per screen run.
def _changes_sql(actor: Actor | None = None) -> tuple[str, list]:
    """A ``WITH`` clause ending in ``changes(training_id, org_id, dimension, before, after, change)``: one row
    per (training, attending organisation) (see the module docstring): the trainings the reader sees, its own
    organisations' sign-ins (``mine(id)``: those sign-ins)."""
    mapping = list(TOPIC_DIMENSION.items())
    values = ", ".join("(?, ?)" for _ in mapping)
    params: list = [x for pair in mapping for x in pair]
    seen = scope.trainings_in("a.training_id", params, actor)
    own = scope.orgs_in("a.org_id", params, actor)
    sql = (
        f"WITH topic_dim(topic, dimension) AS (VALUES {values}),"
        f" mine AS (SELECT a.id, a.training_id, a.org_id FROM training_attendance a WHERE {seen} AND {own}),"
        " pairs AS (SELECT DISTINCT t.id AS training_id, t.training_date AS day, a.org_id, m.dimension"
        "   FROM trainings t JOIN mine a ON a.training_id = t.id"
        "   LEFT JOIN topic_dim m ON m.topic = t.topic),"
        # one score per (assessment, dimension): the dimension's indicators' mean on 0-100, as
        # assessments.score_frame computes it; with the dates of the organisation's previous and next
        # assessment of that dimension, so "the last before" and "the first after" a day are range joins
        # (no ranking of every pair's candidates)
        " per AS (SELECT a.id AS assessment_id, a.org_id, a.assessed_on, d.name AS dimension,"
        "   round((avg(s.score) - 1) / 4 * 100, 2) AS score"
        "   FROM assessments a JOIN assessment_scores s ON s.assessment_id = a.id"
        "   JOIN instrument_indicators n ON n.id = s.indicator_id"
        "   JOIN instrument_dimensions d ON d.id = n.dimension_id"
        "   GROUP BY a.id, a.org_id, a.assessed_on, d.name),"
        " scores AS (SELECT per.*, lead(assessed_on) OVER w AS next_on, lag(assessed_on) OVER w AS prev_on"
        "   FROM per WINDOW w AS (PARTITION BY org_id, dimension ORDER BY assessed_on, assessment_id)),"
        " changes AS (SELECT p.training_id, p.org_id, p.dimension, b.score AS before, f.score AS after,"
        "   f.score - b.score AS change FROM pairs p"
        # the last before (of several that day, the last stored) and the first after (the first stored)
        "   LEFT JOIN scores b ON b.org_id = p.org_id AND b.dimension = p.dimension AND b.assessed_on < p.day"
        "     AND (b.next_on IS NULL OR b.next_on >= p.day)"
        "   LEFT JOIN scores f ON f.org_id = p.org_id AND f.dimension = p.dimension AND f.assessed_on > p.day"
        "     AND (f.prev_on IS NULL OR f.prev_on <= p.day))")
    return sql, params


def capability_changes(db=None) -> pd.DataFrame:
    """One row per (training, attending organisation) with the topic's dimension before and after:
    training_id, org_id, dimension, before, after, change (missing where either assessment is)."""
    db = db or get_db()
    sql, params = _changes_sql()
    df = db.fetch_df(sql + " SELECT training_id, org_id, dimension, before, after, change FROM changes"
                     " ORDER BY training_id, org_id", params)
    for c in ("before", "after", "change"):
        df[c] = df[c].astype(float)
    return df


EFFECT_TABLES = ("trainings", "training_attendance", "training_feedback", "assessments", "assessment_scores",
                 "instrument_indicators", "instrument_dimensions", "organisations", "hubs")


def _per_event(db) -> pd.DataFrame:
    """Per training: the sign-ins, organisations, feedback, and the capability changes' count and sum; kept
    until one of the tables it reads is written (both tables of the screen read it)."""
    who = acting()
    hubs = None if who is None else who.hubs
    return cache.cached("training_effect", (hubs,), EFFECT_TABLES, lambda: _load_per_event(db, who), db)


def _load_per_event(db, actor: Actor | None = None) -> pd.DataFrame:
    sql, params = _changes_sql(actor)
    seen = scope.trainings_in("t.id", params, actor)
    return db.fetch_df(
        sql + ","
        " att AS (SELECT training_id, count(*) AS attendees, count(DISTINCT org_id) AS orgs"
        "   FROM mine GROUP BY training_id),"
        " fb AS (SELECT a.training_id, count(*) AS feedback_n, sum(f.usefulness + f.clarity + f.fit) / 3.0"
        "   AS feedback_sum FROM training_feedback f JOIN mine a ON a.id = f.attendance_id"
        "   GROUP BY a.training_id),"
        " ch AS (SELECT training_id, count(change) AS capability_n, sum(change) AS change_sum FROM changes"
        "   GROUP BY training_id)"
        " SELECT t.id, t.title, t.kind, t.topic, t.training_date, t.capacity,"
        " coalesce(att.attendees, 0) AS attendees, coalesce(att.orgs, 0) AS orgs,"
        " coalesce(fb.feedback_n, 0) AS feedback_n, fb.feedback_sum,"
        " coalesce(ch.capability_n, 0) AS capability_n, ch.change_sum"
        " FROM trainings t LEFT JOIN att ON att.training_id = t.id LEFT JOIN fb ON fb.training_id = t.id"
        f" LEFT JOIN ch ON ch.training_id = t.id WHERE {seen}"
        " ORDER BY t.training_date DESC, t.id DESC", params)


def _ratio(num, den) -> float | None:
    return float(num) / den if den and not pd.isna(num) else None


def by_event(db=None) -> pd.DataFrame:
    """Per training: attendees (person-times), organisations, attendance rate, feedback count and mean,
    the related dimension and the mean capability change (see the module docstring)."""
    db = db or get_db()
    ev = _per_event(db)
    rows = []
    for e in ev.to_dict("records"):
        cap = None if pd.isna(e["capacity"]) else int(e["capacity"])
        n_fb, n_cap = int(e["feedback_n"]), int(e["capability_n"])
        rows.append({
            "id": e["id"], "title": e["title"], "kind": e["kind"], "topic": e["topic"],
            "training_date": e["training_date"], "capacity": cap, "attendees": int(e["attendees"]),
            "orgs": int(e["orgs"]),
            "attendance_rate": int(e["attendees"]) / cap if cap else None,
            "feedback_n": n_fb, "feedback_mean": _ratio(e["feedback_sum"], n_fb),
            "dimension": TOPIC_DIMENSION.get(e["topic"]),
            "capability_n": n_cap, "capability_change": _ratio(e["change_sum"], n_cap),
        })
    return pd.DataFrame(rows, columns=["id", "title", "kind", "topic", "training_date", "capacity", "attendees",
                                       "orgs", "attendance_rate", "feedback_n", "feedback_mean", "dimension",
                                       "capability_n", "capability_change"])


def by_topic(db=None) -> pd.DataFrame:
    """Per topic: events, person-times, attendance rate, feedback (pooled), capability change (pooled)."""
    db = db or get_db()
    ev = _per_event(db)
    rows = []
    for topic in [t for t in choices.TRAINING_TOPICS if t in set(ev["topic"])] + \
            sorted(set(ev["topic"]) - set(choices.TRAINING_TOPICS)):
        mine = ev[ev["topic"] == topic]
        with_cap = mine[mine["capacity"].notna() & (mine["capacity"].fillna(0) > 0)]
        cap = int(with_cap["capacity"].sum()) if len(with_cap) else 0
        n_fb, n_cap = int(mine["feedback_n"].sum()), int(mine["capability_n"].sum())
        rows.append({
            "topic": topic, "events": len(mine), "attendees": int(mine["attendees"].sum()),
            "capacity": cap or None,
            "attendance_rate": int(with_cap["attendees"].sum()) / cap if cap else None,
            "feedback_n": n_fb, "feedback_mean": _ratio(mine["feedback_sum"].fillna(0).sum(), n_fb),
            "dimension": TOPIC_DIMENSION.get(topic),
            "capability_n": n_cap, "capability_change": _ratio(mine["change_sum"].fillna(0).sum(), n_cap),
        })
    return pd.DataFrame(rows, columns=["topic", "events", "attendees", "capacity", "attendance_rate", "feedback_n",
                                       "feedback_mean", "dimension", "capability_n", "capability_change"])


# the columns of :func:`by_event` and :func:`by_topic` (labels of the computed ones declared here)
EFFECT_COLUMNS = columns(
    "id", "title", "kind", "topic", "training_date", "capacity", "attendees", "orgs", "attendance_rate", "feedback_n",
    "feedback_mean", "dimension", "capability_n", "capability_change", "events", of=Training,
    computed={"attendees": LIST_COLUMNS["attendees"], "orgs": "参训组织数", "attendance_rate": LIST_COLUMNS["rate"],
              "feedback_n": "反馈份数", "feedback_mean": "反馈均分(1-5)", "dimension": "对应能力维度",
              "capability_n": "有前后评估的组织数", "capability_change": "能力维度变化(分)", "events": "培训场次"})


def for_display(df: pd.DataFrame) -> pd.DataFrame:
    """Rates in points (到课率(%) is declared a percentage in points, as the list computes it), means rounded,
    Chinese headers (screens and exports)."""
    out = df.copy()
    if "attendance_rate" in out:
        out["attendance_rate"] = [None if pd.isna(v) else round(100 * float(v), 1) for v in out["attendance_rate"]]
    for c in ("feedback_mean", "capability_change"):
        if c in out:
            out[c] = [None if pd.isna(v) else round(float(v), 2) for v in out[c]]
    return out.rename(columns=EFFECT_COLUMNS)


# ---- choice list ----------------------------------------------------------------------------------
def install_providers() -> None:
    """``trainings``: every training id, newest first, shown as 「title(date)」."""
    id_names("trainings", ("trainings",),
             "SELECT id, title, training_date FROM trainings ORDER BY training_date DESC, id DESC",
             lambda r: f"{r['title']}({r['training_date']})")
