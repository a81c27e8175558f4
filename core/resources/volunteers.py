"""志愿者: the volunteer register, recruitment (open calls and sign-ups), service hours and their totals.

Rules, each checked in the write path:
- a volunteer's phone number is stored only with their consent for personal data (date and how: the schema's rules);
- who sees a phone in full is declared once, :data:`FULL_PHONE_ROLES` (staff and admins, on the volunteer's own
  record); every list, export and every screen of another role shows it masked (138****1001, :func:`mask_phone`);
- a sign-up: a volunteer once per call, only while the call is 招募中, never more sign-ups than its places — checked
  inside the write transaction (the app's one write lock serialises it); the call turns 已满员 on its last place;
- a service record: one per volunteer and activity, the activity taken from the service ledger (``activities``).
  Corrected (:func:`update_service`) and imported from the service-hour sheets organisations send
  (:func:`service_import_spec`, :func:`import_services`) under the same rules, audited;
- the ledger's volunteer count of an activity is the number of distinct volunteers with service records where there
  are any (``core.monitoring.ledger.VOLUNTEERS_SQL``), else the count typed on the activity.
Totals (per volunteer, organisation, project) are SQL aggregates, cached until one of their tables is written.
"""
from __future__ import annotations

import datetime as dt

import pandas as pd

from core.intake import scope
from core.monitoring.ledger import VOLUNTEERS_SQL
from core.platform import audit, cache, importer, records
from core.platform.actor import Actor
from core.platform.db import get_db
from core.platform.entities import Entity, Unique, may, register
from core.platform.errors import PermissionDenied, ValidationFailed
from core.platform.importer import ImportSpec
from core.platform.listing import Column, Filter, ListView
from core.platform.lookups import id_names
from core.resources import hubs as hub_scope
from core.resources.hubs import READER
from schemas.columns import columns, label, number
from schemas.monitoring import Activity, Agreement
from schemas.volunteer import Volunteer, VolunteerCall, VolunteerService, VolunteerSignup

STAFF = frozenset({"admin", "staff"})
READERS = ("admin", "staff", "leader")  # leaders read the register, calls and totals, phones masked
FULL_PHONE_ROLES = frozenset({"admin", "staff"})  # see a volunteer's phone in full, on that volunteer's own record
# the hub of a record under a hub's own (Entity.hub_via): a call is its project's (core.intake.scope), a sign-up its
# call's, service hours their volunteer's
VIA_CALL = ("call_id", "SELECT r.hub_id FROM volunteer_calls c JOIN projects p ON p.id = c.project_id"
            " JOIN applications a ON a.id = p.application_id JOIN rounds r ON r.id = a.round_id WHERE c.id = ?")
VIA_VOLUNTEER = ("volunteer_id", "SELECT hub_id FROM volunteers WHERE id = ?")

def _consent_default(record: dict) -> dict:
    """consent left empty (an import's blank cell) is no consent (the column is NOT NULL DEFAULT false)."""
    if record.get("consent") is None:
        record["consent"] = False
    return record


VOLUNTEER = register(Entity(name="volunteer", table="volunteers", label="志愿者", schema=Volunteer,
                            write_roles=STAFF, derive=_consent_default,
                            hub_owned=True))  # each hub's own register (issue 20)
CALL = register(Entity(name="volunteer_call", table="volunteer_calls", label="志愿者招募", schema=VolunteerCall,
                       write_roles=STAFF, title_field="title", hub_via=scope.VIA_PROJECT))
SIGNUP = register(Entity(name="volunteer_signup", table="volunteer_signups", label="志愿者报名",
                         schema=VolunteerSignup, write_roles=STAFF, title_field="volunteer_id", hub_via=VIA_CALL))
SERVICE = register(Entity(name="volunteer_service", table="volunteer_services", label="志愿服务记录",
                          schema=VolunteerService, write_roles=STAFF, title_field="activity_id",
                          hub_via=VIA_VOLUNTEER))

RECRUITING, FULL, ENDED = "招募中", "已满员", "已结束"


# ---- the phone, masked -----------------------------------------------------------------------------------
def mask_phone(value) -> str | None:
    """138 5710 1001 -> 138****1001 (the first three and last four digits); empty stays empty."""
    if value is None or (not isinstance(value, str) and pd.isna(value)) or not str(value).strip():
        return None
    digits = "".join(c for c in str(value) if c.isdigit())
    return f"{digits[:3]}****{digits[-4:]}" if len(digits) >= 7 else "****"


# the same in SQL, for lists and exports (DuckDB string functions)
MASK_SQL = ("CASE WHEN {col} IS NULL THEN NULL ELSE left(regexp_replace({col}, '[^0-9]', '', 'g'), 3) || '****' ||"
            " right(regexp_replace({col}, '[^0-9]', '', 'g'), 4) END")


def sees_full_phone(actor: Actor | None) -> bool:
    """May ``actor`` see a volunteer's phone in full (on that volunteer's own record)?"""
    return actor is not None and actor.has(*FULL_PHONE_ROLES)


def volunteer(volunteer_id: int, actor: Actor, db=None) -> dict:
    """One volunteer as ``actor`` may see them: the phone in full for :data:`FULL_PHONE_ROLES`, else masked;
    ``org`` the organisation's name."""
    db = db or get_db()
    row = db.fetch_one("SELECT v.*, o.name AS org FROM volunteers v LEFT JOIN organisations o ON o.id = v.org_id"
                       " WHERE v.id = ?", [int(volunteer_id)])
    hub_scope.require(row, "志愿者", volunteer_id)  # another hub's reads as missing
    if not sees_full_phone(actor):
        row["phone"] = mask_phone(row["phone"])
    return row


# ---- choice lists ------------------------------------------------------------------------------------
def install_providers() -> None:
    """``volunteers`` 「姓名(社区)」; ``volunteer_calls`` 「招募标题(服务日期)」, offered while 招募中."""
    id_names("volunteers", ("volunteers",), "SELECT id, name, community, hub_id FROM volunteers ORDER BY name, id",
             lambda r: f"{r['name']}({r['community']})", hub_column="hub_id")  # a screen offers its hubs' only
    id_names("volunteer_calls", ("volunteer_calls", "projects", "applications", "rounds"),
             "SELECT c.id, c.title, c.call_date, c.status, r.hub_id FROM volunteer_calls c"
             " JOIN projects p ON p.id = c.project_id JOIN applications a ON a.id = p.application_id"
             " JOIN rounds r ON r.id = a.round_id ORDER BY c.call_date DESC, c.id DESC",
             lambda r: f"{r['title']}({r['call_date']})", offered=lambda r: r["status"] == RECRUITING,
             hub_column="hub_id")


# ---- the register --------------------------------------------------------------------------------
_ORG = "(SELECT o.name FROM organisations o WHERE o.id = volunteers.org_id)"
_HOURS = "(SELECT coalesce(sum(s.hours), 0) FROM volunteer_services s WHERE s.volunteer_id = volunteers.id)"
_CONSENT = "CASE WHEN consent THEN '已同意' ELSE '未同意' END"
LIST_COLUMNS = columns("id", "name", "phone", "gender", "community", "skills", "org", "consent", "hours",
                       of=Volunteer, computed={"org": label("org_id", of=Volunteer), "hours": number("累计服务时长(小时)")})
LIST_VIEW = ListView(
    entity=VOLUNTEER,
    columns=tuple(Column(n, text, sql={"phone": MASK_SQL.format(col="phone"), "org": _ORG, "hours": _HOURS,
                                       "consent": _CONSENT}.get(n)) for n, text in LIST_COLUMNS.items()),
    search=("name", _ORG),
    filters=(Filter("community", LIST_COLUMNS["community"], "community", source="communities"),
             Filter("skills", LIST_COLUMNS["skills"], "skills", source="volunteer_skills", contains=True),
             Filter("consent", LIST_COLUMNS["consent"], _CONSENT, options=("已同意", "未同意"))),
    default_sort="id", default_desc=True, search_hint=f"搜索{LIST_COLUMNS['name']}或{LIST_COLUMNS['org']}",
)

IMPORT_EXAMPLE = {"name": "王小明", "phone": "13857101001", "gender": "男", "community": "文海社区",
                  "skills": ["课业辅导"], "consent": True, "consent_date": dt.date(2026, 3, 1),
                  "consent_method": "纸质登记表签字"}


def import_spec() -> ImportSpec:
    """The register's Excel sheet (paper sign-up forms typed in): every field; nothing is matched as 已存在 (two
    volunteers may share a name), so a sheet is imported once."""
    return ImportSpec(entity=VOLUNTEER, fields=tuple(Volunteer.to_schema().columns), example=IMPORT_EXAMPLE,
                      find_existing=lambda rows: {})


def add_volunteer(values: dict, actor: Actor, db=None) -> int:
    return records.create(VOLUNTEER, values, actor, db=db)


# ---- recruitment ---------------------------------------------------------------------------------
def _check_call_target(record: dict, db) -> None:
    if db.fetch_one("SELECT id FROM projects WHERE id = ?", [record["project_id"]]) is None:
        raise ValidationFailed(fields={"project_id": [f"立项项目(编号 {record['project_id']})不存在,请重新选择"]})
    if record.get("activity_id") is not None:
        act = db.fetch_one("SELECT project_id FROM activities WHERE id = ?", [record["activity_id"]])
        if act is None:
            raise ValidationFailed(fields={"activity_id": [f"服务台账中没有编号 {record['activity_id']} 的活动,请核对编号或清空"]})
        if act["project_id"] != record["project_id"]:
            raise ValidationFailed(fields={"activity_id": ["该活动不属于所选项目,请核对活动编号或改选项目"]})


def publish_call(values: dict, actor: Actor, db=None) -> int:
    """Publish an open call (staff): the project must exist and a named activity must be one of its activities."""
    db = db or get_db()
    values = {"status": RECRUITING, **values}
    record = records.clean(CALL, values)
    _check_call_target(record, db)
    with records.unit(actor, db) as u:
        return u.create(CALL, record, validated=True)


def set_call_status(call_id: int, status: str, actor: Actor, db=None) -> bool:
    return records.update(CALL, int(call_id), {"status": status}, actor, db=db)


def _refuse_closed(call: dict | None) -> None:
    if call is not None and call["status"] != RECRUITING:
        raise ValidationFailed(fields={"call_id": [f"该招募{call['status']},不能再报名:请选择招募中的其他招募"]})


def sign_up(values: dict, actor: Actor, db=None) -> int:
    """Record a volunteer's sign-up for a call. Refused (in Chinese, nothing written): a call that is not 招募中,
    a volunteer already signed up for it, a call whose places are taken. Checked inside the write transaction;
    the sign-up that takes the last place turns the call 已满员."""
    db = db or get_db()
    try:  # a call no longer 招募中 is not offered by the form's list: say why rather than 「请从列表中选择」
        _refuse_closed(db.fetch_one("SELECT status FROM volunteer_calls WHERE id = ?", [int(values.get("call_id"))]))
    except (TypeError, ValueError):
        pass
    record = records.clean(SIGNUP, values)
    with records.unit(actor, db) as u:
        call = u.fetch(CALL, record["call_id"])
        if call is None:
            raise ValidationFailed(fields={"call_id": [f"招募(编号 {record['call_id']})不存在,请重新选择"]})
        person = u.fetch(VOLUNTEER, record["volunteer_id"])
        if person is None or u.tx.fetch_one(VIA_CALL[1], [call["id"]])["hub_id"] != person["hub_id"]:
            raise ValidationFailed(fields={"volunteer_id": [f"志愿者(编号 {record['volunteer_id']})不存在,请重新选择"]})
        _refuse_closed(call)
        if u.tx.fetch_one("SELECT id FROM volunteer_signups WHERE call_id = ? AND volunteer_id = ?",
                          [call["id"], record["volunteer_id"]]):
            raise ValidationFailed(fields={"volunteer_id": ["该志愿者已报名此招募,每位志愿者每个招募只能报名一次:请选择其他志愿者"]})
        taken = u.tx.fetch_one("SELECT count(*) AS n FROM volunteer_signups WHERE call_id = ?", [call["id"]])["n"]
        if taken >= call["places"]:
            raise ValidationFailed(fields={"call_id": [f"该招募的 {call['places']} 个名额已报满:请选择其他招募,或先增加招募人数"]})
        key = u.create(SIGNUP, record, validated=True)
        if taken + 1 >= call["places"]:
            u.update(CALL, call["id"], {"status": FULL}, validated=True)
        return key


CALL_COLUMNS = columns("id", "title", "project", "activity_id", "call_date", "places", "signed", "skills", "status",
                       of=VolunteerCall, computed={"project": "项目", "signed": number("已报名人数")})


def calls(db=None, hubs=READER) -> pd.DataFrame:
    """Every call (of the projects of ``hubs``), newest first, with its project's agreement number and title and
    its sign-up count."""
    params: list = []
    mine = hub_scope.within("r.hub_id", params, hubs)
    return (db or get_db()).fetch_df(
        "SELECT c.id, c.title, p.agreement_no || ' ' || a.title AS project, c.activity_id, c.call_date, c.places,"
        " (SELECT count(*) FROM volunteer_signups s WHERE s.call_id = c.id) AS signed, c.skills, c.status"
        " FROM volunteer_calls c JOIN projects p ON p.id = c.project_id JOIN applications a ON a.id = p.application_id"
        f" JOIN rounds r ON r.id = a.round_id WHERE {mine} ORDER BY c.call_date DESC, c.id DESC", params)


SIGNUP_COLUMNS = columns("name", "phone", "community", "signed_on", of=(Volunteer, VolunteerSignup))


def signups(call_id: int, db=None) -> pd.DataFrame:
    """A call's sign-ups: the volunteer's name, masked phone, community and the date."""
    params: list = [int(call_id)]
    mine = hub_scope.within("v.hub_id", params)
    return (db or get_db()).fetch_df(
        f"SELECT v.name, {MASK_SQL.format(col='v.phone')} AS phone, v.community, s.signed_on"
        f" FROM volunteer_signups s JOIN volunteers v ON v.id = s.volunteer_id WHERE s.call_id = ? AND {mine}"
        " ORDER BY s.signed_on, s.id", params)


# ---- service hours ----------------------------------------------------------------------------------
def _check_service(u: records.Unit, record: dict, key=None) -> None:
    """A service record names an activity of the service ledger and a registered volunteer, once per volunteer and
    activity (``key``: the record being changed, left out of that count); the activity is of the volunteer's hub."""
    person = u.fetch(VOLUNTEER, record["volunteer_id"])
    act = u.tx.fetch_one("SELECT id, project_id FROM activities WHERE id = ?", [record["activity_id"]])
    if act is None or (person is not None and not hub_scope.keep_activity(u.tx, act, person["hub_id"])):
        raise ValidationFailed(fields={"activity_id": [f"服务台账中没有编号 {record['activity_id']} 的活动,请核对编号"]})
    if person is None:
        raise ValidationFailed(fields={"volunteer_id": [f"志愿者(编号 {record['volunteer_id']})不存在,请重新选择"]})
    if u.tx.fetch_one("SELECT id FROM volunteer_services WHERE volunteer_id = ? AND activity_id = ? AND id <> ?",
                      [record["volunteer_id"], record["activity_id"], -1 if key is None else key]):
        raise ValidationFailed(fields={"volunteer_id": ["该志愿者在此活动已有服务记录:请修改原记录或选择其他志愿者"]})


def record_service(values: dict, actor: Actor, db=None) -> int:
    """One volunteer's service at one ledger activity (hours, role). Refused: an unknown activity or volunteer,
    a second record of the same volunteer at the same activity."""
    db = db or get_db()
    record = records.clean(SERVICE, values)
    with records.unit(actor, db) as u:
        _check_service(u, record)
        return u.create(SERVICE, record, validated=True)


def get_service(service_id: int, db=None) -> dict:
    return records.get(SERVICE, int(service_id), db)


def update_service(service_id: int, values: dict, actor: Actor, db=None) -> bool:
    """Correct a service record (hours, role, notes, or the volunteer or activity it names) with the rules of
    :func:`record_service`, audited; False when nothing changed."""
    db = db or get_db()
    current = get_service(service_id, db)
    merged = {n: values.get(n, current.get(n)) for n in VolunteerService.to_schema().columns}
    record = records.clean(SERVICE, merged)
    with records.unit(actor, db) as u:
        _check_service(u, record, int(service_id))
        return u.update(SERVICE, int(service_id), {k: record[k] for k in values if k in record}, validated=True)


def service_history(service_id: int, db=None) -> pd.DataFrame:
    """The service record's audit trail (修改记录), newest first."""
    df, _ = audit.query(db or get_db(), table=SERVICE.table, key=str(int(service_id)), limit=100)
    return df


SERVICE_IMPORT_EXAMPLE = {"volunteer_id": "王小明(文海社区)", "activity_id": 1, "hours": 2.5, "role": "活动协助",
                          "notes": "协助签到和场地布置"}


def _stored_services(rows: list[dict], db=None) -> dict[int, dict]:
    """Positions of sheet rows whose volunteer already has a record at that activity (one query)."""
    wanted = {(r["volunteer_id"], r["activity_id"]): i for i, r in enumerate(rows)
              if r.get("volunteer_id") is not None and r.get("activity_id") is not None}
    if not wanted:
        return {}
    found = (db or get_db()).fetch_all(
        "SELECT s.id, s.volunteer_id, s.activity_id, v.name FROM volunteer_services s"
        " JOIN volunteers v ON v.id = s.volunteer_id WHERE s.volunteer_id IN (SELECT unnest(?))",
        [sorted({int(v) for v, _ in wanted})])
    out = {}
    for row in found:
        pos = wanted.get((row["volunteer_id"], row["activity_id"]))
        if pos is not None:
            out[pos] = {"id": row["id"], "activity_id": f"{row['name']}在活动编号 {row['activity_id']} 的服务记录"}
    return out


def _link_services(rows: list[dict], db=None) -> list[dict | str]:
    """Each checked sheet row as it is stored, or why it cannot be: its activity is not on the ledger of the
    reader's hubs (one query)."""
    ids = sorted({int(r["activity_id"]) for r in rows})
    params: list = [ids]
    mine = hub_scope.projects_within("project_id", params)
    known = {r["id"] for r in (db or get_db()).fetch_all(
        f"SELECT id FROM activities WHERE id IN (SELECT unnest(?)) AND {mine}", params)}
    return [r if int(r["activity_id"]) in known else
            f"服务台账中没有编号 {r['activity_id']} 的活动:请核对服务活动编号"
            for r in rows]


def service_import_spec() -> ImportSpec:
    """The service-hours sheet a hub receives from organisations: one row per volunteer and activity (the volunteer
    as the register lists them, 「姓名(社区)」; the activity by its ledger number). A row whose volunteer already has a
    record at that activity is 已存在 (a sheet imported again adds nothing); an unknown activity is a row error, and
    while a row is in error nothing of the sheet is written (its good rows wait, 待改正: the organisation's sheet is
    corrected and uploaded again whole)."""
    return ImportSpec(entity=SERVICE, fields=tuple(VolunteerService.to_schema().columns),
                      example=SERVICE_IMPORT_EXAMPLE, find_existing=_stored_services, link=_link_services,
                      row_key=lambda r: (r.get("volunteer_id"), r.get("activity_id")), whole_file=True)


def import_services(plan: importer.ImportPlan, actor: Actor, db=None) -> int:
    """Write a checked service-hours sheet's valid rows in one transaction (all or nothing), each checked again
    under the write lock (a record added meanwhile refuses the whole sheet, nothing written); returns how many."""
    if not may(actor, SERVICE, "create"):
        raise PermissionDenied(f"当前账号无权登记{SERVICE.label}")
    if not plan.valid:
        return 0
    db = db or get_db()
    with records.unit(actor, db) as u:
        stored = _stored_services(plan.valid, u.tx)
        if stored:
            raise ValidationFailed(form=[f"{next(iter(stored.values()))['activity_id']}已在导入前登记:请重新上传文件,"
                                         "已登记的行会标为「已存在」并跳过。本次未导入任何记录。"])
        linked = _link_services(plan.valid, u.tx)
        if any(isinstance(r, str) for r in linked):
            raise ValidationFailed(form=[next(r for r in linked if isinstance(r, str)) + "。本次未导入任何记录。"])
        return len(u.create_many(SERVICE, plan.valid, validated=True, action="import"))


def project_activities(project_id: int, db=None) -> pd.DataFrame:
    """The project's activities for the service form: id, date, title, the ledger's volunteer count as shown (none
    for a project of a hub the reader does not read)."""
    params: list = [int(project_id)]
    mine = scope.projects_in("a.project_id", params)
    return (db or get_db()).fetch_df(
        f"SELECT a.id, a.activity_date, a.title, {VOLUNTEERS_SQL} AS volunteers FROM activities a"
        f" WHERE a.project_id = ? AND {mine} ORDER BY a.activity_date DESC, a.id DESC", params)


SERVICE_COLUMNS = columns("activity_date", "title", "name", "hours", "role", of=VolunteerService,
                          computed={"activity_date": label("activity_date", of=Activity), "title": "活动名称",
                                    "name": "志愿者"})


def services_of_activity(activity_id: int, db=None) -> pd.DataFrame:
    params: list = [int(activity_id)]
    mine = hub_scope.within("v.hub_id", params)
    return (db or get_db()).fetch_df(
        "SELECT a.activity_date, a.title, v.name, s.hours, s.role FROM volunteer_services s"
        " JOIN activities a ON a.id = s.activity_id JOIN volunteers v ON v.id = s.volunteer_id"
        f" WHERE s.activity_id = ? AND {mine} ORDER BY v.name", params)


def service_choices(activity_id: int, db=None) -> dict[int, str]:
    """The activity's service records, id -> 「志愿者 · 时长 · 角色」 (to pick one to correct)."""
    params: list = [int(activity_id)]
    mine = hub_scope.within("v.hub_id", params)
    return {r["id"]: f"{r['name']} · {r['hours']:g} 小时 · {r['role']}" for r in (db or get_db()).fetch_all(
        "SELECT s.id, v.name, s.hours, s.role FROM volunteer_services s JOIN volunteers v ON v.id = s.volunteer_id"
        f" WHERE s.activity_id = ? AND {mine} ORDER BY v.name, s.id", params)}


def services_of_volunteer(volunteer_id: int, db=None) -> pd.DataFrame:
    params: list = [int(volunteer_id)]
    mine = hub_scope.within("v.hub_id", params)
    return (db or get_db()).fetch_df(
        "SELECT a.activity_date, a.title, v.name, s.hours, s.role FROM volunteer_services s"
        " JOIN activities a ON a.id = s.activity_id JOIN volunteers v ON v.id = s.volunteer_id"
        f" WHERE s.volunteer_id = ? AND {mine} ORDER BY a.activity_date DESC", params)


# ---- totals (SQL aggregates, cached) ----------------------------------------------------------------
TOTAL_TABLES = ("volunteer_services", "volunteers", "activities")
HOURS, ACTS, PEOPLE = number("服务时长合计(小时)"), number("服务活动数"), label("volunteers", of=Activity)
_ORG_LABEL = label("org_id", of=Volunteer)
BY_VOLUNTEER = {"name": "志愿者", "community": label("community", of=Volunteer), "org": _ORG_LABEL, "activities": ACTS,
                "hours": HOURS}
BY_ORG = {"org": _ORG_LABEL, "volunteers": PEOPLE, "activities": ACTS, "hours": HOURS}
BY_PROJECT = {"agreement_no": label("agreement_no", of=Agreement), "project": label("project_id", of=Activity),
              "volunteers": PEOPLE, "activities": ACTS, "hours": HOURS}

_TOTALS_SQL = {
    "volunteer": (
        "SELECT v.name, v.community, o.name AS org, count(*) AS activities, sum(s.hours) AS hours"
        " FROM volunteer_services s JOIN volunteers v ON v.id = s.volunteer_id"
        " LEFT JOIN organisations o ON o.id = v.org_id WHERE {mine} GROUP BY v.id, v.name, v.community, o.name"
        " ORDER BY hours DESC, v.name"),
    "org": (
        "SELECT coalesce(o.name, '个人志愿者') AS org, count(DISTINCT s.volunteer_id) AS volunteers,"
        " count(DISTINCT s.activity_id) AS activities, sum(s.hours) AS hours"
        " FROM volunteer_services s JOIN volunteers v ON v.id = s.volunteer_id"
        " LEFT JOIN organisations o ON o.id = v.org_id WHERE {mine} GROUP BY o.name ORDER BY hours DESC"),
    "project": (
        "SELECT p.agreement_no, ap.title AS project, count(DISTINCT s.volunteer_id) AS volunteers,"
        " count(DISTINCT s.activity_id) AS activities, sum(s.hours) AS hours"
        " FROM volunteer_services s JOIN activities a ON a.id = s.activity_id JOIN projects p ON p.id = a.project_id"
        " JOIN volunteers v ON v.id = s.volunteer_id"
        " JOIN applications ap ON ap.id = p.application_id WHERE {mine} GROUP BY p.agreement_no, ap.title"
        " ORDER BY hours DESC, p.agreement_no"),
}
_TOTAL_TABLES = {"volunteer": TOTAL_TABLES + ("organisations",), "org": TOTAL_TABLES + ("organisations",),
                 "project": TOTAL_TABLES + ("projects", "applications")}


def totals(by: str, db=None, hubs=READER) -> pd.DataFrame:
    """Service totals ``by`` "volunteer", "org" (the organisation the volunteer serves with) or "project"; of the
    volunteers of ``hubs`` (:mod:`core.resources.hubs`)."""
    db = db or get_db()
    kept = hub_scope.keep(hubs)
    params: list = []
    sql = _TOTALS_SQL[by].format(mine=hub_scope.within("v.hub_id", params, kept))
    return cache.cached(f"volunteers:totals:{by}", (by, kept), _TOTAL_TABLES[by], lambda: db.fetch_df(sql, params),
                        db)


def summary(db=None, hubs=READER) -> dict:
    """The register at a glance: volunteers, with consent, with service, hours, open calls (of ``hubs``)."""
    db = db or get_db()
    kept = hub_scope.keep(hubs)

    def load() -> dict:
        params: list = []
        people = hub_scope.within("hub_id", params, kept)
        consented = hub_scope.within("hub_id", params, kept)
        serving = hub_scope.within("v.hub_id", params, kept)
        hours = hub_scope.within("v.hub_id", params, kept)
        calls_of = hub_scope.projects_within("project_id", params, kept)
        return db.fetch_one(
            f"SELECT (SELECT count(*) FROM volunteers WHERE {people}) AS volunteers,"
            f" (SELECT count(*) FROM volunteers WHERE consent AND {consented}) AS consented,"
            " (SELECT count(DISTINCT s.volunteer_id) FROM volunteer_services s JOIN volunteers v"
            f"  ON v.id = s.volunteer_id WHERE {serving}) AS serving,"
            " (SELECT coalesce(sum(s.hours), 0) FROM volunteer_services s JOIN volunteers v"
            f"  ON v.id = s.volunteer_id WHERE {hours}) AS hours,"
            f" (SELECT count(*) FROM volunteer_calls WHERE status = '招募中' AND {calls_of}) AS open_calls", params)

    return cache.cached("volunteers:summary", kept, ("volunteers", "volunteer_services", "volunteer_calls"), load, db)
