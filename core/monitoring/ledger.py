"""服务台账: the service activities of a funded project (by form, or an Excel sheet per project), their
photos, and the project's progress against its plan.

Progress (``progress`` / ``progress_all``), as of ``today``:

- elapsed_share = (today − start_date) / (end_date − start_date) in days, clamped to 0..1;
- expected_activities = planned_activities × elapsed_share, expected_person_times likewise (pro-rata);
- activities / person_times = the activities recorded with activity_date <= today, and their 服务人次;
- activity_pace = activities / expected_activities, person_pace likewise (None while expected is 0);
- last_activity = the latest activity_date <= today (None without any).

An activity must fall inside the project's period (start_date..end_date); a terminated or closed
project takes no more activities; one project has at most one activity of a given title per day.
"""
from __future__ import annotations

import datetime as dt

import duckdb
import pandas as pd

from core.intake import scope
from core.platform import config, documents, importer, records
from core.platform.actor import Actor
from core.platform.db import get_db
from core.platform.entities import Entity, granted, register
from core.platform.errors import HubError, NotFound, PermissionDenied, ValidationFailed
from core.platform.importer import ImportSpec
from core.platform.listing import Column, Filter, ListView
from core.monitoring.projects import date_context
from schemas import choices
from schemas.application import Application
from schemas.columns import columns, label
from schemas.monitoring import PROJECT_STATES, Activity, Agreement
from schemas.stored import Document

STAFF = frozenset({"admin", "staff"})

def _defaults(record: dict) -> dict:
    """volunteers is optional on the form and 0 when left empty (the column is NOT NULL DEFAULT 0)."""
    if record.get("volunteers") is None:
        record["volunteers"] = 0
    return record


ACTIVITY = register(Entity(
    name="activity", table="activities", label="服务活动", schema=Activity, write_roles=STAFF, title_field="title",
    derive=_defaults, hub_via=scope.VIA_PROJECT,  # the hub of its project's round (core.intake.scope)
))

RUNNING_STATES = ("active", "stopped")
ENDED_STATES = ("terminated", "closed")
DUPLICATE_MSG = "该项目当天已有同名活动"
IMPORT_FIELDS = ("activity_date", "community", "place", "kind", "title", "participants", "person_times",
                 "volunteers", "notes")
# documents' detected type -> the name users know (only those documents accepts are offered)
IMAGE_TYPES = {"jpg": "JPEG", "png": "PNG", "webp": "WebP"}


class ActivityRefused(HubError):
    """The project takes no more activities (terminated or closed)."""


# ---- the project an activity belongs to ---------------------------------------------------------------
def _project(tx_or_db, project_id) -> dict | None:
    try:
        pid = int(project_id)
    except (TypeError, ValueError):
        return None
    return tx_or_db.fetch_one("SELECT id, agreement_no, state, start_date, end_date FROM projects WHERE id = ?", [pid])


def _refuse_if_ended(project: dict) -> None:
    if project["state"] in ENDED_STATES:
        raise ActivityRefused(f"项目{PROJECT_STATES[project['state']]},不能再登记服务活动")


def period_message(project: dict) -> str:
    return f"活动日期须在项目执行期内({project['start_date']} 至 {project['end_date']})"


def _outside(project: dict, day: dt.date | None) -> bool:
    return day is not None and not (project["start_date"] <= day <= project["end_date"])


# ---- the communities offered for an activity ------------------------------------------------------------
OUTSIDE = "协议外"


def agreed_communities(project_id: int, db=None) -> list[str]:
    """The communities the project's agreement names (its 服务社区), in the agreement's order."""
    row = (db or get_db()).fetch_one("SELECT communities FROM projects WHERE id = ?", [int(project_id)])
    return [str(c) for c in (row or {}).get("communities") or []]


def community_source(project_id: int, db=None) -> str:
    """A choice list for the activity form of one project: its agreed communities first, then every other
    community (still allowed, labelled 「协议外」). Returns the list's name in ``schemas.choices``."""
    agreed = agreed_communities(project_id, db)
    source = f"activity_communities:{int(project_id)}"
    choices.register_provider(
        source, lambda: agreed + [c for c in choices.get("communities") if c not in agreed],
        lambda v: str(v) if v in agreed else f"{v}({OUTSIDE})")
    return source


def activity_form(project_id: int, db=None):
    """The activity form of one project: ``Activity`` with the project's communities offered first."""
    schema = Activity.to_schema()
    meta = dict(schema.columns["community"].metadata or {})
    meta["source"] = community_source(project_id, db)
    meta["help"] = "本项目协议约定的服务社区列在最前;其他社区也可选择,标注为「协议外」"
    return schema.update_column("community", metadata=meta)


def outside_note(project_id: int, community, db=None) -> str:
    """"" when ``community`` is one of the project's agreed communities, else a note saying it is not."""
    agreed = agreed_communities(project_id, db)
    if not community or community in agreed:
        return ""
    return f"注意:{community}不在资助协议约定的服务社区({'、'.join(agreed) or '未约定'})内"


# ---- recording ---------------------------------------------------------------------------------------
def add(values: dict, actor: Actor, *, db=None) -> int:
    """Record one activity (``Activity`` schema). Refused: a terminated/closed project (ActivityRefused),
    a date outside the project's period or a second activity of the same title on the same day
    (ValidationFailed). Returns the activity id."""
    db = db or get_db()
    before = _project(db, values.get("project_id"))
    if before is not None:
        _refuse_if_ended(before)

    pid = values.get("project_id")
    context = date_context(int(pid), db) if isinstance(pid, int) or (isinstance(pid, str) and pid.isdigit()) else None
    record = records.clean(ACTIVITY, values, context)
    project = _project(db, record["project_id"])
    if project is None:
        raise NotFound(f"立项项目(编号 {record['project_id']})不存在")
    if _outside(project, record["activity_date"]):
        raise ValidationFailed(fields={"activity_date": [period_message(project)]})
    with records.unit(actor, db) as u:
        _refuse_if_ended(_project(u.tx, project["id"]))  # the state may have changed meanwhile
        if u.tx.fetch_one("SELECT id FROM activities WHERE project_id = ? AND activity_date = ? AND title = ?",
                          [project["id"], record["activity_date"], record["title"]]):
            raise ValidationFailed(fields={"title": [DUPLICATE_MSG]})
        return u.create(ACTIVITY, record, validated=True)


# the volunteer count of activity ``a``: the distinct volunteers with service records (志愿服务记录, issue 18) where the
# activity has any, else the count typed on the activity
VOLUNTEERS_SQL = ("coalesce(nullif((SELECT count(DISTINCT vs.volunteer_id) FROM volunteer_services vs"
                  " WHERE vs.activity_id = a.id), 0), a.volunteers)")

# the columns of :func:`activities` (the activity's fields as its form declares them; the photo count here)
ACTIVITY_COLUMNS = columns("id", "activity_date", "community", "place", "venue_id", "kind", "title", "participants",
                           "person_times", "volunteers", "notes", "photos", of=Activity, computed={"photos": "照片数"})


def activities(project_id: int, db=None) -> pd.DataFrame:
    """The project's activities, newest first: id, activity_date, community, place, venue_id (the venue's name),
    kind, title, participants, person_times, volunteers, notes, photos (count)."""
    db = db or get_db()
    scope.require("project", project_id, db=db)
    return db.fetch_df(
        "SELECT a.id, a.activity_date, a.community, a.place, v.name AS venue_id, a.kind, a.title, a.participants,"
        f" a.person_times, {VOLUNTEERS_SQL} AS volunteers, a.notes,"
        " (SELECT count(*) FROM documents d WHERE d.owner_table = 'activities' AND d.owner_id = a.id) AS photos"
        " FROM activities a LEFT JOIN venues v ON v.id = a.venue_id WHERE a.project_id = ?"
        " ORDER BY a.activity_date DESC, a.id DESC", [project_id])


# ---- Excel import --------------------------------------------------------------------------------------
def _existing(project_id: int, db=None):
    def find(rows: list[dict]) -> dict[int, dict]:
        wanted = [(i, r) for i, r in enumerate(rows) if r.get("activity_date") is not None and r.get("title")]
        if not wanted:
            return {}
        stored = {(r["activity_date"], r["title"]): r for r in (db or get_db()).fetch_all(
            "SELECT id, activity_date, title FROM activities WHERE project_id = ?", [project_id])}
        return {i: stored[(r["activity_date"], r["title"])] for i, r in wanted
                if (r["activity_date"], r["title"]) in stored}

    return find


def _in_period(project_id: int, db=None):
    def link(rows: list[dict]) -> list[dict | str]:
        project = _project(db or get_db(), project_id)
        if project is None:
            return [f"立项项目(编号 {project_id})不存在" for _ in rows]
        return [period_message(project) if _outside(project, r.get("activity_date")) else r for r in rows]

    return link


def import_spec(project_id: int, db=None):
    """The activity sheet of one project (``core.platform.importer``): the template's columns are the activity's
    without the project; rows outside the project's period are reported as errors, rows already
    recorded (same date and title) as 已存在, so importing the same file twice adds nothing."""
    project = _project(db or get_db(), project_id)
    if project is None:
        raise NotFound(f"立项项目(编号 {project_id})不存在")
    _refuse_if_ended(project)
    example = {"activity_date": project["start_date"], "community": "文海社区", "place": "社区活动室",
               "kind": "社区活动", "title": "邻里助餐服务", "participants": 20, "person_times": 20, "volunteers": 3}
    return ImportSpec(
        entity=ACTIVITY, fields=IMPORT_FIELDS, fixed={"project_id": int(project_id)}, example=example,
        find_existing=_existing(int(project_id), db), link=_in_period(int(project_id), db),
        row_key=lambda r: (r["activity_date"], r["title"]),
    )


def commit_import(spec, import_plan, actor: Actor, db=None) -> int:
    """``importer.commit``; an activity someone recorded meanwhile (same project, date and title)
    refuses the whole sheet with a message instead of a database error."""
    try:
        return importer.commit(spec, import_plan, actor, db=db)
    except duckdb.ConstraintException as exc:
        raise ValidationFailed(form=["导入期间有人登记了相同的活动,请重新上传文件核对后再导入"]) from exc


# ---- photos --------------------------------------------------------------------------------------------
def attach_photo(activity_id: int, filename: str, data: bytes, actor: Actor, *, db=None) -> int:
    """Attach a photo to an activity (``documents`` owner_table "activities"). Only images, judged by
    content; the size limit is the uploads' (HUBDESK_UPLOAD_MAX_MB). Returns the document id."""
    db = db or get_db()
    if not granted(actor, documents.DOCUMENT, "create"):
        raise PermissionDenied(f"当前账号无权修改{documents.DOCUMENT.label}")
    if db.fetch_one("SELECT id FROM activities WHERE id = ?", [activity_id]) is None:
        raise NotFound(f"服务活动(编号 {activity_id})不存在")
    limit = config.load().upload_max_mb * 1024 * 1024
    if data and len(data) <= limit and documents.detect(data) not in IMAGE_TYPES:
        names = "、".join(v for k, v in IMAGE_TYPES.items() if k in documents.ALLOWED)
        raise ValidationFailed(fields={"file": [f"活动照片只接受 {names} 图片;已按文件内容检查"]})
    return documents.attach("activities", activity_id, filename, data, actor, db=db)


# the columns of :func:`photos`
PHOTO_COLUMNS = columns("id", "filename", "kind", "size_bytes", "created_at", "created_by", of=Document,
                        computed={"created_at": "上传时间", "created_by": "上传人"})


def photos(activity_id: int, db=None) -> pd.DataFrame:
    """The activity's photos: id, filename, kind, size_bytes, created_at, created_by."""
    return documents.list_for("activities", activity_id, db)


# ---- progress ------------------------------------------------------------------------------------------
# the share of the period elapsed at the bound date ``?`` (end_date > start_date by the Agreement schema)
ELAPSED_SQL = ("greatest(0.0, least(1.0, CAST(date_diff('day', p.start_date, CAST(? AS DATE)) AS DOUBLE)"
               " / greatest(1, date_diff('day', p.start_date, p.end_date))))")

PROGRESS_COLUMNS = ["planned_activities", "planned_person_times", "elapsed_share", "expected_activities",
                    "expected_person_times", "activities", "person_times", "activity_pace", "person_pace",
                    "last_activity"]


def _progress_sql(where: str) -> str:
    return (
        "WITH done AS (SELECT x.project_id, count(*) AS activities,"
        "  CAST(sum(x.person_times) AS BIGINT) AS person_times, max(x.activity_date) AS last_activity"
        "  FROM activities x JOIN projects p ON p.id = x.project_id"
        f"  WHERE x.activity_date <= ? AND {where} GROUP BY x.project_id),"
        " base AS (SELECT p.id AS project_id, p.agreement_no, a.title, o.name AS org, p.state, p.start_date,"
        "  p.end_date, p.planned_activities, p.planned_person_times, "
        f"{ELAPSED_SQL} AS elapsed_share,"
        "  coalesce(d.activities, 0) AS activities, coalesce(d.person_times, 0) AS person_times, d.last_activity"
        "  FROM projects p JOIN applications a ON a.id = p.application_id JOIN organisations o ON o.id = a.org_id"
        f"  LEFT JOIN done d ON d.project_id = p.id WHERE {where})"
        " SELECT project_id, agreement_no, title, org, state, start_date, end_date, planned_activities,"
        "  planned_person_times, elapsed_share,"
        "  planned_activities * elapsed_share AS expected_activities,"
        "  planned_person_times * elapsed_share AS expected_person_times, activities, person_times,"
        "  CASE WHEN planned_activities * elapsed_share > 0"
        "   THEN activities / (planned_activities * elapsed_share) END AS activity_pace,"
        "  CASE WHEN planned_person_times * elapsed_share > 0"
        "   THEN person_times / (planned_person_times * elapsed_share) END AS person_pace,"
        "  last_activity FROM base ORDER BY project_id")


def progress(project_id: int, *, today: dt.date | None = None, db=None) -> dict:
    """The project's progress at ``today`` (see the module docstring for every figure)."""
    db = db or get_db()
    scope.require("project", project_id, db=db)
    today = today or dt.date.today()
    row = db.fetch_one(_progress_sql("p.id = ?"), [today, project_id, today, project_id])
    if row is None:
        raise NotFound(f"立项项目(编号 {project_id})不存在")
    out = {k: row[k] for k in PROGRESS_COLUMNS}
    for k in ("planned_activities", "planned_person_times", "activities", "person_times"):
        out[k] = int(out[k])
    for k in ("elapsed_share", "expected_activities", "expected_person_times"):
        out[k] = float(out[k])
    return out


def progress_all(*, today: dt.date | None = None, db=None, project_id: int | None = None) -> pd.DataFrame:
    """The progress of every running project (state active or stopped) in one query: project_id,
    agreement_no, title, org, state, start_date, end_date and the figures of :func:`progress`.
    ``project_id`` narrows it to that project (still only when running)."""
    db = db or get_db()
    today = today or dt.date.today()
    where = "p.state IN ('active', 'stopped')" + (" AND p.id = ?" if project_id is not None else "")
    extra = [project_id] if project_id is not None else []
    where += " AND " + scope.projects_in("p.id", extra)  # the projects of the reader's hubs
    return db.fetch_df(_progress_sql(where), [today, *extra, today, *extra])


# ---- the list across projects --------------------------------------------------------------------------
_AGREEMENT = "(SELECT p.agreement_no FROM projects p WHERE p.id = activities.project_id)"
_PROJECT_TITLE = ("(SELECT a.title FROM projects p JOIN applications a ON a.id = p.application_id"
                  " WHERE p.id = activities.project_id)")

# the columns of ``LIST_VIEW``: the activity's fields, its project's agreement number and name
LIST_COLUMNS = columns("id", "agreement_no", "project", "activity_date", "community", "kind", "title", "person_times",
                       of=(Activity, Agreement), computed={"project": label("title", of=Application)})

LIST_VIEW = ListView(
    entity=ACTIVITY,
    columns=tuple(Column(name, text, sql={"agreement_no": _AGREEMENT, "project": _PROJECT_TITLE}.get(name))
                  for name, text in LIST_COLUMNS.items()),
    search=("title", _AGREEMENT, _PROJECT_TITLE),
    filters=(
        Filter("community", LIST_COLUMNS["community"], "community", source="communities"),
        Filter("kind", LIST_COLUMNS["kind"], "kind", source="activity_kinds"),
        Filter("year", "年份", "CAST(year(activity_date) AS VARCHAR)",
               options=tuple(str(y) for y in range(dt.date.today().year + 1, 2017, -1))),
    ),
    default_sort="activity_date", default_desc=True,
    search_hint=f"{LIST_COLUMNS['title']}、{LIST_COLUMNS['agreement_no']}或{LIST_COLUMNS['project']}",
    hub_sql=scope.listed("project", "project_id"),  # the activities of the projects of the user's hubs
)
