"""服务对象: the named people a project serves, with strict access.

Who sees a person by name is declared once, here (:func:`sees_names`): an admin, or a staff member who is a
负责社工 (:data:`PROJECT_STAFF`) of a project that serves the person. Every read that returns names — a project's
roster, a person's record, an activity's attendance, the Excel import and export, the search over the register —
asks it on the server, on every run; anyone else is refused in Chinese and told whom to ask (the screens show
every refusal through ``core.ui.session.refused``, which logs it: ``security_events``, 拒绝访问). Leaders, and
staff of other projects, read counts only (:func:`unique_people`, :func:`project_counts`): never a name. The project dossier (``core.monitoring.dossier``)
holds no names either: it is built below this layer and reads none of these tables.

Writes go through the one write path and are audited (every create, change and removal, with who and when). The
row rules on each entity say the same as :func:`sees_names`: staff write only the people, enrolments and
attendance of projects they are 负责社工 of, and change a project's 负责社工 only where they are one already (a
project without any is assigned by an admin). Reading the list is not written to the audit log on every run (a
rerun per click would bury the writes); each export is (``security_events``, 导出数据), and so is each refusal.

One person, however many projects serve them: a new registration that names the same person as a stored one —
the same ID number (compared by its keyed digest), or without one the same name, birth year and community — enrols
the stored person instead of making a second, so "unique people served" counts each person once across projects.
The ID number itself is never stored: the record keeps it masked (330106********0078) and a digest keyed with the
audit key of the secrets file (HMAC-SHA256), which nobody without that file can reverse by trying birth dates.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from dataclasses import dataclass

import pandas as pd

from core.intake import scope
from core.platform import cache, config, records, secrets_file
from core.platform.actor import Actor
from core.platform.db import get_db
from core.platform.entities import Entity, Rule, RuleContext, may, register
from core.platform.errors import NotFound, PermissionDenied, ValidationFailed
from core.platform.importer import ImportSpec
from core.platform.lookups import id_names
from core.resources import hubs as hub_scope
from core.resources.hubs import READER
from core.resources.volunteers import MASK_SQL
from schemas.base import blank, field_specs
from schemas.beneficiary import (
    Attendance, Beneficiary, Enrolment, Intake, ProjectStaff, is_masked_id, masked_id, tidy_id,
)
from schemas.columns import columns, label, number
from schemas.monitoring import Agreement

ADMIN = frozenset({"admin"})
# attendance is of its person's hub (Entity.hub_via; enrolments and 负责社工 are of their project's: core.intake.scope)
VIA_PERSON = ("beneficiary_id", "SELECT hub_id FROM beneficiaries WHERE id = ?")
STAFF_ROLES = frozenset({"admin", "staff"})
COUNT_READERS = ("admin", "staff", "leader")  # counts only, never names (leaders, and staff of other projects)
ASK = "管理员"


# ---- who is a project's 负责社工, and who sees names (declared once) -----------------------------------------
def _is_staff_of(db, username: str, project_id) -> bool:
    return db.fetch_one("SELECT 1 AS ok FROM project_staff WHERE project_id = ? AND username = ?",
                        [int(project_id), username]) is not None


def sees_names(actor: Actor | None, project_id, db=None) -> bool:
    """May ``actor`` see the people of ``project_id`` by name (and write them)? Admins, and the project's 负责社工."""
    if actor is None:
        return False
    if actor.system:
        return True
    if not scope.visible("project", project_id, actor, db):  # a project of a hub it does not read
        return False
    if actor.has(*ADMIN):
        return True
    return actor.has("staff") and _is_staff_of(db or get_db(), actor.username, project_id)


def project_staff(project_id: int, db=None) -> list[dict]:
    """The project's 负责社工: username and name, by name."""
    return (db or get_db()).fetch_all(
        "SELECT s.username, coalesce(u.name, s.username) AS name FROM project_staff s"
        " LEFT JOIN users u ON u.username = s.username WHERE s.project_id = ? ORDER BY name, s.username",
        [int(project_id)])


def whom_to_ask(project_id: int, db=None) -> str:
    names = [r["name"] for r in project_staff(project_id, db)]
    return ASK + (f"或该项目的负责社工({'、'.join(names)})" if names else "")


def refusal(project_id: int, db=None) -> str:
    return (f"您不是该项目的负责社工,不能查看或登记其服务对象的姓名等个人信息:请联系{whom_to_ask(project_id, db)}"
            "在项目档案中将您加为负责社工。领导和其他工作人员可查看服务对象概况中的人数统计")


def require_names(actor: Actor | None, project_id, db=None) -> None:
    """Refuse (PermissionDenied, in Chinese; the screens' one refusal path logs it) unless ``actor`` may see the project's people by name."""
    db = db or get_db()
    if db.fetch_one("SELECT id FROM projects WHERE id = ?", [int(project_id)]) is None or (
            actor is not None and not scope.visible("project", project_id, actor, db)):  # another hub's: missing
        raise NotFound(f"立项项目(编号 {project_id})不存在")
    if not sees_names(actor, project_id, db):
        raise PermissionDenied(refusal(project_id, db))


def name_projects(actor: Actor, db=None) -> list[int]:
    """The projects whose people ``actor`` may see by name: every project for admins, their own for staff."""
    db = db or get_db()
    if actor.system or actor.has(*ADMIN):  # an admin: every project of its hubs
        params: list = []
        mine = scope.projects_in("id", params, actor)
        return [r["id"] for r in db.fetch_all(f"SELECT id FROM projects WHERE {mine} ORDER BY id", params)]
    if not actor.has("staff"):
        return []
    return [r["project_id"] for r in db.fetch_all(
        "SELECT project_id FROM project_staff WHERE username = ? ORDER BY project_id", [actor.username])]


# ---- the row rules (the write path runs them on every write) ------------------------------------------------
def _own_project(ctx: RuleContext, project_id) -> None:
    if project_id is None or not _is_staff_of(ctx.db, ctx.actor.username, project_id):
        raise PermissionDenied(refusal(int(project_id), ctx.db) if project_id is not None else "请先选择服务项目")


def _staff_row(ctx: RuleContext, before, after) -> None:
    for row in (before, after):
        if row is not None and not _is_staff_of(ctx.db, ctx.actor.username, row["project_id"]):
            raise PermissionDenied(f"您不是该项目的负责社工,不能调整其负责社工:请联系{whom_to_ask(row['project_id'], ctx.db)}")


def _enrolment_row(ctx: RuleContext, before, after) -> None:
    for row in (before, after):
        if row is not None:
            _own_project(ctx, row["project_id"])


def _person_row(ctx: RuleContext, before, after) -> None:
    """A new person is registered together with their enrolment (whose rule checks the project), by a 负责社工; a
    stored one is changed only by a 负责社工 of a project that serves them."""
    if before is None:
        if ctx.db.fetch_one("SELECT 1 AS ok FROM project_staff WHERE username = ?", [ctx.actor.username]) is None:
            raise PermissionDenied("您还不是任何项目的负责社工,不能登记服务对象:请联系管理员在项目档案中将您加为负责社工")
        return
    if ctx.db.fetch_one("SELECT 1 AS ok FROM beneficiary_enrolments e JOIN project_staff s ON s.project_id = e.project_id"
                        " WHERE e.beneficiary_id = ? AND s.username = ?", [before["id"], ctx.actor.username]) is None:
        raise PermissionDenied("您不是服务该对象的项目的负责社工,不能修改其信息:请联系管理员")


def _attendance_row(ctx: RuleContext, before, after) -> None:
    row = after or before
    act = ctx.db.fetch_one("SELECT project_id FROM activities WHERE id = ?", [row["activity_id"]])
    if act is None:
        raise ValidationFailed(fields={"activity_id": [f"服务台账中没有编号 {row['activity_id']} 的活动,请核对编号"]})
    _own_project(ctx, act["project_id"])


_CD = frozenset({"create", "delete"})
_CUD = frozenset({"create", "update", "delete"})
_STAFF = frozenset({"staff"})


# ---- the ID number: masked, and a keyed digest for recognising the same person -----------------------------
def _keys() -> list[bytes]:
    return [hmac.new(k, b"hubdesk beneficiary id", hashlib.sha256).digest()
            for k in secrets_file.audit_keys(config.load().secrets_path)]


def id_digests(number: str) -> list[str]:
    """The number's digest under the current key first, then under each older key (still recognised)."""
    return [hmac.new(k, number.encode("ascii"), hashlib.sha256).hexdigest() for k in _keys()]


def _derive(record: dict) -> dict:
    """consent left empty is no consent; a typed ID number becomes its masked form and digest (a masked one, from
    the stored record, stays as it is; a cleared one clears the digest)."""
    if record.get("consent") is None and "consent" in record:
        record["consent"] = False
    if "id_number" in record:
        number = record.get("id_number")
        if blank(number):
            record["id_number"], record["id_digest"] = None, None
        elif not is_masked_id(number):
            record["id_number"], record["id_digest"] = masked_id(number), id_digests(number)[0]
    return record


BENEFICIARY = register(Entity(
    name="beneficiary", table="beneficiaries", label="服务对象", schema=Beneficiary, write_roles=ADMIN,
    derive=_derive, columns=("id_digest",), secret_fields=("id_digest",), hub_owned=True,  # the hub's register
    rules=(Rule("负责社工只能登记和修改自己负责的项目的服务对象", actions=frozenset({"create", "update"}), roles=_STAFF,
                check=_person_row),),
))
ENROLMENT = register(Entity(
    name="beneficiary_enrolment", table="beneficiary_enrolments", label="服务对象入组", schema=Enrolment,
    write_roles=ADMIN, title_field="enrolled_on", hub_via=scope.VIA_PROJECT,
    rules=(Rule("负责社工只能为自己负责的项目登记入组和结束服务", actions=_CUD, roles=_STAFF, check=_enrolment_row),),
))
ATTENDANCE = register(Entity(
    name="beneficiary_attendance", table="beneficiary_attendance", label="服务对象出勤", schema=Attendance,
    write_roles=ADMIN, title_field="activity_id", hub_via=VIA_PERSON,
    rules=(Rule("负责社工只能登记自己负责的项目的活动出勤", actions=_CD, roles=_STAFF, check=_attendance_row),),
))
PROJECT_STAFF = register(Entity(
    name="project_staff", table="project_staff", label="项目负责社工", schema=ProjectStaff, write_roles=ADMIN,
    title_field="username", hub_via=scope.VIA_PROJECT,
    rules=(Rule("负责社工可以为自己负责的项目增减负责社工", actions=_CD, roles=_STAFF, check=_staff_row),),
))


# ---- choice lists ------------------------------------------------------------------------------------------
def install_providers() -> None:
    """``staff_accounts``: the active staff and admin accounts, shown by name (who may be a 负责社工)."""
    id_names("staff_accounts", ("users",),
             "SELECT username, name FROM users WHERE active AND (list_contains(roles, 'staff')"
             " OR list_contains(roles, 'admin')) ORDER BY name, username",
             lambda r: r["name"], key="username")


# ---- 负责社工 -------------------------------------------------------------------------------------------------
def set_project_staff(project_id: int, usernames: list[str], actor: Actor, db=None) -> tuple[int, int]:
    """Make ``usernames`` the project's 负责社工: adds the new ones, removes the others, in one audited unit.
    Admins on any project; staff on a project they are 负责社工 of (the row rule). Returns (added, removed)."""
    db = db or get_db()
    if db.fetch_one("SELECT id FROM projects WHERE id = ?", [int(project_id)]) is None:
        raise NotFound(f"立项项目(编号 {project_id})不存在")
    if not may(actor, PROJECT_STAFF, "create", {"project_id": int(project_id), "username": actor.username}, db=db):
        raise PermissionDenied(f"您不是该项目的负责社工,不能调整其负责社工:请联系{whom_to_ask(project_id, db)}")
    wanted = list(dict.fromkeys(u for u in usernames or [] if u))
    rows = [records.clean(PROJECT_STAFF, {"project_id": int(project_id), "username": u}) for u in wanted]
    with records.unit(actor, db) as u:
        current = {r["username"]: r["id"] for r in u.tx.fetch_all(
            "SELECT id, username FROM project_staff WHERE project_id = ?", [int(project_id)])}
        new = [r for r in rows if r["username"] not in current]
        gone = [name for name in current if name not in wanted]
        if new:
            u.create_many(PROJECT_STAFF, new, validated=True)
        for name in sorted(gone, key=lambda n: n == actor.username):  # oneself last: the rule reads one's own row
            u.delete(PROJECT_STAFF, current[name])
    return len(new), len(gone)


# ---- registering a person in a project (one person across projects) -----------------------------------------
PERSON_FIELDS = tuple(field_specs(Beneficiary))
INTAKE_FIELDS = tuple(field_specs(Intake))


@dataclass(frozen=True)
class Enrolled:
    beneficiary_id: int
    enrolment_id: int
    existing: bool  # the person was already registered (by another project): enrolled, not made twice

    def says(self, name: str) -> str:
        if self.existing:
            return (f"已将「{name}」加入本项目(服务对象编号 {self.beneficiary_id}):该对象已由其他项目登记"
                    "(身份证号相同,或姓名、出生年份、所在社区相同),按同一人计,不重复计人")
        return f"已登记服务对象「{name}」(编号 {self.beneficiary_id})并加入本项目"


def _same_person(tx, raw_id: str | None, record: dict, hub) -> dict | None:
    """The stored person ``record`` names in the register of ``hub``: by the ID number's digest, else by name +
    birth year + community (a stored person with another ID number is someone else). Refuses an ID number
    registered under another name."""
    if raw_id:
        digests = id_digests(raw_id)
        hit = tx.fetch_one(f"SELECT id, name FROM beneficiaries WHERE id_digest IN ({', '.join('?' for _ in digests)})"
                           " AND hub_id = ? ORDER BY id LIMIT 1", [*digests, hub])
        if hit is not None:
            if hit["name"] != record["name"]:
                raise ValidationFailed(fields={"id_number": [
                    "该身份证号已登记在另一位服务对象名下,姓名不一致:请核对身份证号或姓名;确属同一人请联系管理员核实"]})
            return hit
    if record.get("birth_year") is None:
        return None
    return tx.fetch_one("SELECT id, name FROM beneficiaries WHERE name = ? AND birth_year = ? AND community = ?"
                        + (" AND id_digest IS NULL" if raw_id else "") + " AND hub_id = ? ORDER BY id LIMIT 1",
                        [record["name"], int(record["birth_year"]), record["community"], hub])


def _enrol_in(u: records.Unit, project_id: int, values: dict) -> Enrolled:
    person = records.clean(BENEFICIARY, {k: values.get(k) for k in PERSON_FIELDS})
    raw_id = _raw_id(values.get("id_number"))
    enrolment = records.clean(ENROLMENT, {"beneficiary_id": 1, "project_id": int(project_id),
                                          "enrolled_on": values.get("enrolled_on"),
                                          "enrol_notes": values.get("enrol_notes")})
    hub = (u.tx.fetch_one(scope.HUB_OF_PROJECT, [int(project_id)]) or {}).get("hub_id")  # the project's register
    hit = _same_person(u.tx, raw_id, person, hub)
    if hit is not None:
        if u.tx.fetch_one("SELECT 1 AS ok FROM beneficiary_enrolments WHERE beneficiary_id = ? AND project_id = ?",
                          [hit["id"], int(project_id)]):
            raise ValidationFailed(fields={"name": [f"「{hit['name']}」已是本项目的服务对象(编号 {hit['id']}),"
                                                    "不必重复登记:请在名册中查看或修改"]})
        key, existing = hit["id"], True
    else:
        key, existing = u.create(BENEFICIARY, person, validated=True), False
    enrolment["beneficiary_id"] = key
    return Enrolled(key, u.create(ENROLMENT, enrolment, validated=True), existing)


def _raw_id(value) -> str | None:
    """The typed ID number as checked by the schema (tidied), or None (empty, or the stored masked form)."""
    if blank(value) or is_masked_id(value):
        return None
    return tidy_id(value)


def enrol(project_id: int, values: dict, actor: Actor, db=None) -> Enrolled:
    """Register a person served by ``project_id`` (the intake form: :class:`schemas.beneficiary.Intake`), or enrol
    the stored person it names (see the module's note). Refused for anyone who may not see the project's names."""
    db = db or get_db()
    require_names(actor, project_id, db)
    with records.unit(actor, db) as u:
        return _enrol_in(u, int(project_id), values)


def end_service(enrolment_id: int, ended_on, actor: Actor, db=None) -> bool:
    """Record the day a project stopped serving the person (its 负责社工 or an admin)."""
    return records.update(ENROLMENT, int(enrolment_id), {"ended_on": ended_on}, actor, db=db)


def update_person(beneficiary_id: int, values: dict, actor: Actor, db=None) -> bool:
    return records.update(BENEFICIARY, int(beneficiary_id), values, actor, db=db)


# ---- attendance at ledger activities ------------------------------------------------------------------------
def _activity(db, activity_id) -> dict:
    act = db.fetch_one("SELECT id, project_id, activity_date, title FROM activities WHERE id = ?", [int(activity_id)])
    if act is None:
        raise NotFound(f"服务台账中没有编号 {activity_id} 的活动")
    return act


def set_attendance(activity_id: int, beneficiary_ids: list[int], actor: Actor, db=None) -> tuple[int, int]:
    """Make ``beneficiary_ids`` the named people who attended the activity (adds and removes, one audited unit).
    Each must be served by the activity's project on its date. Returns (added, removed)."""
    db = db or get_db()
    act = _activity(db, activity_id)
    require_names(actor, act["project_id"], db)
    wanted = list(dict.fromkeys(int(b) for b in beneficiary_ids or []))
    with records.unit(actor, db) as u:
        served = {r["beneficiary_id"]: r for r in u.tx.fetch_all(
            "SELECT e.beneficiary_id, e.enrolled_on, e.ended_on, b.name FROM beneficiary_enrolments e"
            " JOIN beneficiaries b ON b.id = e.beneficiary_id WHERE e.project_id = ?", [act["project_id"]])}
        day = act["activity_date"]
        for b in wanted:
            row = served.get(b)
            if row is None:
                raise ValidationFailed(fields={"beneficiary_id": [f"服务对象(编号 {b})不是本项目的服务对象:请先登记入组"]})
            if row["enrolled_on"] > day or (row["ended_on"] is not None and row["ended_on"] < day):
                until = f"至 {row['ended_on']}" if row["ended_on"] is not None else "起"
                raise ValidationFailed(fields={"beneficiary_id": [
                    f"「{row['name']}」在活动日期 {day} 不在本项目服务期内(入组 {row['enrolled_on']}{until}):"
                    "请核对活动或入组日期"]})
        current = {r["beneficiary_id"]: r["id"] for r in u.tx.fetch_all(
            "SELECT id, beneficiary_id FROM beneficiary_attendance WHERE activity_id = ?", [int(activity_id)])}
        new = [{"beneficiary_id": b, "activity_id": int(activity_id)} for b in wanted if b not in current]
        gone = [key for b, key in current.items() if b not in wanted]
        if new:
            u.create_many(ATTENDANCE, new, validated=True)
        for key in gone:
            u.delete(ATTENDANCE, key)
    return len(new), len(gone)


ATTENDANCE_COLUMNS = columns("name", "target_group", "community", of=Beneficiary)


def attendance(activity_id: int, actor: Actor, db=None) -> pd.DataFrame:
    """The named people at an activity (id, name, group, community): for who may see the project's names."""
    db = db or get_db()
    act = _activity(db, activity_id)
    require_names(actor, act["project_id"], db)
    return db.fetch_df("SELECT b.id, b.name, b.target_group, b.community FROM beneficiary_attendance t"
                       " JOIN beneficiaries b ON b.id = t.beneficiary_id WHERE t.activity_id = ? ORDER BY b.name, b.id",
                       [int(activity_id)])


def project_activities(project_id: int, actor: Actor, db=None) -> pd.DataFrame:
    """The project's activities with their named attendance count (for the attendance form)."""
    db = db or get_db()
    require_names(actor, project_id, db)
    return db.fetch_df(
        "SELECT a.id, a.activity_date, a.title, a.person_times,"
        " (SELECT count(*) FROM beneficiary_attendance t WHERE t.activity_id = a.id) AS named"
        " FROM activities a WHERE a.project_id = ? ORDER BY a.activity_date DESC, a.id DESC", [int(project_id)])


# ---- the roster and a person's record (names: for who may see them) -------------------------------------------
_AGE = ("coalesce(CAST(b.birth_year AS VARCHAR) || '年', b.age_group)")
ROSTER_COLUMNS = columns(
    "id", "name", "gender", "age", "community", "target_group", "guardian", "phone", "id_number", "consent",
    "enrolled_on", "ended_on", "attended", of=(Beneficiary, Enrolment),
    computed={"id": "编号", "age": "出生年份/年龄段", "attended": number("本项目出勤(人次)")})


def roster(project_id: int, actor: Actor, db=None, *, search: str = "") -> pd.DataFrame:
    """The people a project serves, for its 负责社工 and admins: phones masked (in full only on the person's own
    record), the ID number masked as stored, the enrolment, and their attendance at the project's activities.
    ``search``: part of a name or a guardian's name."""
    db = db or get_db()
    require_names(actor, project_id, db)
    text = (search or "").strip()
    return db.fetch_df(
        f"SELECT b.id, b.name, b.gender, {_AGE} AS age, b.community, b.target_group, b.guardian,"
        f" {MASK_SQL.format(col='b.phone')} AS phone, b.id_number,"
        " CASE WHEN b.consent THEN '已同意' ELSE '未同意' END AS consent, e.enrolled_on, e.ended_on,"
        " (SELECT count(*) FROM beneficiary_attendance t JOIN activities a ON a.id = t.activity_id"
        "   WHERE t.beneficiary_id = b.id AND a.project_id = e.project_id) AS attended"
        " FROM beneficiary_enrolments e JOIN beneficiaries b ON b.id = e.beneficiary_id"
        " WHERE e.project_id = ? AND (? = '' OR b.name ILIKE ? OR coalesce(b.guardian, '') ILIKE ?)"
        " ORDER BY b.name, b.id", [int(project_id), text, f"%{text}%", f"%{text}%"])


def beneficiary(beneficiary_id: int, actor: Actor, db=None) -> dict:
    """One person for who may see them (a 负责社工 of a project that serves them, or an admin): every field, the
    phone in full; ``enrolments``: those of the projects ``actor`` may see; ``elsewhere``: how many other projects
    serve them (a count, no project named)."""
    db = db or get_db()
    row = db.fetch_one("SELECT * FROM beneficiaries WHERE id = ?", [int(beneficiary_id)])
    if row is None or not actor.reads(row["hub_id"]):  # another hub's reads as missing
        raise NotFound(f"服务对象(编号 {beneficiary_id})不存在")
    rows = db.fetch_all(
        "SELECT e.id, e.project_id, p.agreement_no || ' ' || a.title AS project, e.enrolled_on, e.ended_on, e.enrol_notes"
        " FROM beneficiary_enrolments e JOIN projects p ON p.id = e.project_id"
        " JOIN applications a ON a.id = p.application_id WHERE e.beneficiary_id = ? ORDER BY e.enrolled_on, e.id",
        [int(beneficiary_id)])
    mine = [r for r in rows if sees_names(actor, r["project_id"], db)]
    if not mine and not (actor.system or actor.has(*ADMIN)):
        raise PermissionDenied("您不是服务该对象的项目的负责社工,不能查看其个人信息:请联系管理员"
                               + (f"或{whom_to_ask(rows[0]['project_id'], db)[len(ASK) + 1:]}" if len(rows) == 1 else ""))
    row.pop("id_digest", None)
    return {**row, "enrolments": mine, "elsewhere": len(rows) - len(mine)}


REGISTER_COLUMNS = columns("id", "name", "age", "community", "target_group", "projects", of=Beneficiary,
                           computed={"id": "编号", "age": "出生年份/年龄段", "projects": label("project_id", of=Enrolment)})


def register_rows(actor: Actor, db=None, *, search: str = "") -> pd.DataFrame:
    """Search over every person ``actor`` may see (the projects they are 负责社工 of; admins: everyone): one row a
    person, with the projects (among those) that serve them. Nobody else's names are searched."""
    db = db or get_db()
    allowed = name_projects(actor, db)
    if not allowed:
        return pd.DataFrame(columns=list(REGISTER_COLUMNS))
    text = (search or "").strip()
    marks = ", ".join("?" for _ in allowed)
    return db.fetch_df(
        f"SELECT b.id, b.name, {_AGE} AS age, b.community, b.target_group,"
        "  string_agg(p.agreement_no, '、' ORDER BY p.agreement_no) AS projects"
        " FROM beneficiary_enrolments e JOIN beneficiaries b ON b.id = e.beneficiary_id"
        f" JOIN projects p ON p.id = e.project_id WHERE e.project_id IN ({marks})"
        " AND (? = '' OR b.name ILIKE ? OR coalesce(b.guardian, '') ILIKE ?)"
        " GROUP BY b.id, b.name, b.birth_year, b.age_group, b.community, b.target_group ORDER BY b.name, b.id",
        [*allowed, text, f"%{text}%", f"%{text}%"])


# ---- Excel import of a project's people -------------------------------------------------------------------
IMPORT_EXAMPLE = {"name": "李小雨", "gender": "女", "birth_year": 2015, "community": "文海社区",
                  "target_group": "困境儿童", "guardian": "李建国", "phone": "13857101001", "consent": True,
                  "consent_date": dt.date(2026, 3, 1), "consent_method": "纸质登记表签字",
                  "enrolled_on": dt.date(2026, 3, 1)}


def import_spec(project_id: int, actor: Actor, db=None) -> ImportSpec:
    """A project's sheet of people (paper registration forms typed in): the intake's columns; a row naming a
    person already in this project is 已存在, so importing the same sheet twice adds nothing."""
    db = db or get_db()
    require_names(actor, project_id, db)

    def existing(rows: list[dict]) -> dict[int, dict]:
        stored = {(r["name"], r["birth_year"], r["community"]): r for r in db.fetch_all(
            "SELECT b.id, b.name, b.birth_year, b.community FROM beneficiary_enrolments e"
            " JOIN beneficiaries b ON b.id = e.beneficiary_id WHERE e.project_id = ?", [int(project_id)])}
        return {i: stored[k] for i, r in enumerate(rows)
                if (k := (r.get("name"), r.get("birth_year"), r.get("community"))) in stored and k[1] is not None}

    return ImportSpec(entity=BENEFICIARY, fields=INTAKE_FIELDS, schema=Intake, example=IMPORT_EXAMPLE,
                      find_existing=existing, row_key=lambda r: (r.get("name"), r.get("birth_year"), r.get("community"),
                                                                 r.get("id_number")))


def commit_import(project_id: int, plan, actor: Actor, db=None) -> int:
    """Register (or enrol) every valid row of the sheet, all in one audited unit; returns how many were enrolled."""
    db = db or get_db()
    require_names(actor, project_id, db)
    with records.unit(actor, db) as u:
        return len([_enrol_in(u, int(project_id), row) for row in plan.valid])


# ---- counts, never names (leaders, staff of other projects, the dashboards) --------------------------------
COUNT_TABLES = ("beneficiaries", "beneficiary_enrolments", "beneficiary_attendance", "activities", "projects",
                "applications")
PEOPLE, SERVED, TIMES = number("服务对象(人,去重)"), number("已服务(人,去重)"), number("服务对象出勤(人次)")
_PROJECT = label("project_id", of=Enrolment)
BY = {
    "project": {"agreement_no": label("agreement_no", of=Agreement), "project": _PROJECT, "people": PEOPLE, "served": SERVED, "times": TIMES},
    "group": {"target_group": label("target_group", of=Beneficiary), "people": PEOPLE, "served": SERVED,
              "times": TIMES},
    "community": {"community": label("community", of=Beneficiary), "people": PEOPLE, "served": SERVED,
                  "times": TIMES},
}
_KEYS = {"project": "p.agreement_no, ap.title", "group": "b.target_group", "community": "b.community"}
_SELECT = {"project": "p.agreement_no, ap.title AS project", "group": "b.target_group", "community": "b.community"}


def _counts_sql(by: str) -> str:
    return (
        f"SELECT {_SELECT[by]}, count(DISTINCT e.beneficiary_id) AS people,"
        " count(DISTINCT t.beneficiary_id) AS served, count(t.id) AS times"
        " FROM beneficiary_enrolments e JOIN beneficiaries b ON b.id = e.beneficiary_id"
        " JOIN projects p ON p.id = e.project_id JOIN applications ap ON ap.id = p.application_id"
        " LEFT JOIN activities a ON a.project_id = e.project_id"
        " LEFT JOIN beneficiary_attendance t ON t.activity_id = a.id AND t.beneficiary_id = e.beneficiary_id"
        f" WHERE ($project IS NULL OR e.project_id = $project) GROUP BY {_KEYS[by]} ORDER BY people DESC, {_KEYS[by]}")


def unique_people(db=None, by: str = "project", project_id: int | None = None, hubs=READER) -> pd.DataFrame:
    """For the dashboards and leaders: people served, counted once each, ``by`` "project" (agreement_no, project),
    "group" (target_group) or "community": ``people`` (enrolled), ``served`` (attended at least one activity),
    ``times`` (attendance: person-times). A person in two projects counts once in a group or community. No names.
    Column labels: :data:`BY`. ``project_id``: one project only. The people of the registers of ``hubs``."""
    db = db or get_db()
    kept = hub_scope.keep(hubs)
    params: dict = {"project": project_id}
    mine = hub_scope.within("b.hub_id", params, kept)
    return cache.cached(f"beneficiaries:unique:{by}", (by, project_id, kept), COUNT_TABLES,
                        lambda: db.fetch_df(_counts_sql(by).replace("WHERE (", f"WHERE {mine} AND (", 1), params), db)


def totals(db=None, hubs=READER) -> dict:
    """The whole register (of ``hubs``): ``people`` (unique, across projects), ``enrolments`` (the sum over
    projects: larger when a person is served by several), ``served`` and ``times`` (attendance person-times)."""
    db = db or get_db()
    kept = hub_scope.keep(hubs)
    params: list = []
    conds = [hub_scope.within("b.hub_id", params, kept) for _ in range(4)]
    join = " JOIN beneficiaries b ON b.id = x.beneficiary_id WHERE "
    return cache.cached("beneficiaries:totals", kept, COUNT_TABLES, lambda: db.fetch_one(
        f"SELECT (SELECT count(DISTINCT x.beneficiary_id) FROM beneficiary_enrolments x{join}{conds[0]}) AS people,"
        f" (SELECT count(*) FROM beneficiary_enrolments x{join}{conds[1]}) AS enrolments,"
        f" (SELECT count(DISTINCT x.beneficiary_id) FROM beneficiary_attendance x{join}{conds[2]}) AS served,"
        f" (SELECT count(*) FROM beneficiary_attendance x{join}{conds[3]}) AS times", params), db)


def project_counts(project_id: int, db=None) -> dict:
    """One project's figures for its file and ledger: ``people`` enrolled, ``current`` still served, ``served``
    (attended at least once), ``times`` (named attendance, person-times); no names."""
    db = db or get_db()
    return cache.cached("beneficiaries:project", int(project_id), COUNT_TABLES, lambda: db.fetch_one(
        "SELECT count(*) AS people, count(*) FILTER (WHERE e.ended_on IS NULL) AS current,"
        " count(*) FILTER (WHERE EXISTS (SELECT 1 FROM beneficiary_attendance t JOIN activities a ON a.id = t.activity_id"
        "   WHERE t.beneficiary_id = e.beneficiary_id AND a.project_id = e.project_id)) AS served,"
        " (SELECT count(*) FROM beneficiary_attendance t JOIN activities a ON a.id = t.activity_id"
        "   WHERE a.project_id = $p) AS times"
        " FROM beneficiary_enrolments e WHERE e.project_id = $p", {"p": int(project_id)}), db)
