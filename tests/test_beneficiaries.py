"""服务对象 (core.resources.beneficiaries): strict access — names only for admins and the project's 负责社工, on every
read (roster, a person, attendance, import, search) and every write (the row rules); refused in Chinese, naming whom
to ask, writing nothing —, leaders' counts without names, one person across projects (name + birth year +
community, or the ID number's keyed digest; the number itself never stored), unique people next to person-times,
the shared consent rules, the project dossier without names, and the demo loader (the 12 children of 青葵伙伴)."""
from __future__ import annotations

import datetime as dt
import io
import zipfile

import pytest
from openpyxl import load_workbook

from core.demo import res_beneficiaries as demo
from core.monitoring import dossier, ledger
from core.platform import records
from core.platform.actor import Actor
from core.platform.errors import PermissionDenied, ValidationFailed
from core.resources import beneficiaries as ben
from schemas.beneficiary import BAD_ID, NO_CONSENT_ID, NO_CONSENT_PHONE
from schemas.volunteer import NO_CONSENT_PHONE as VOLUNTEER_NO_CONSENT

STAFF = Actor("staff", ("staff",))        # 负责社工 of the 青葵伙伴 and 1516 projects (the demo)
OTHER = Actor("zhaoli", ("staff",))       # a staff member of none of them
ADMIN = Actor("admin", ("admin",))
LEADER = Actor("leader", ("leader",))
TODAY = dt.date.today()
CHILDREN = [c[0] for c in demo.CHILDREN]
ID_NUMBER = "330106200901010078"  # a valid 身份证号 (checksum and birth date), made up
TABLES = ("beneficiaries", "beneficiary_enrolments", "beneficiary_attendance", "project_staff", "audit_log")


def _footprint(db) -> tuple:
    return tuple(db.scalar(f"SELECT count(*) FROM {t}") for t in TABLES)


def _running(db, brand: str) -> int:
    return db.scalar("SELECT p.id FROM projects p JOIN brands b ON b.id = p.brand_id WHERE b.name = ?"
                     " AND p.state = 'active' ORDER BY p.start_date DESC LIMIT 1", [brand])


def _qk(db) -> int:
    return _running(db, demo.BRAND_QK)


def _messages(exc) -> str:
    return str(exc.value) + " " + " ".join(m for ms in (getattr(exc.value, "fields", None) or {}).values() for m in ms)


def _child(**over) -> dict:
    return {"name": "方晓彤", "gender": "女", "birth_year": 2015, "community": "云水社区", "target_group": "困境儿童",
            "guardian": "方建平", "enrolled_on": TODAY, **over}


def _activity(db, project_id: int, title: str) -> int:
    community = db.scalar("SELECT communities[1] FROM projects WHERE id = ?", [project_id])
    return ledger.add({"project_id": project_id, "activity_date": TODAY, "community": community, "kind": "小组活动",
                       "title": title, "participants": 10, "person_times": 10}, STAFF, db=db)


# ---- the demo --------------------------------------------------------------------------------------------
def test_the_demo_holds_the_twelve_children_of_qingkui_and_a_second_run_adds_nothing(demo_db):
    db = demo_db
    df = ben.roster(_qk(db), STAFF)
    assert sorted(df["name"]) == sorted(CHILDREN) and set(df["target_group"]) == {"困境儿童"}
    assert (df["attended"] > 0).all()
    assert all("****" in p for p in df["phone"].dropna())  # masked in the list
    assert ben.project_staff(_qk(db))[0]["username"] == "staff"
    t = ben.totals(db)
    assert t["people"] == len(demo.CHILDREN) + len(demo.ELDERLY)
    assert t["enrolments"] == t["people"] + demo.CONTINUING  # eight children served by two projects count once
    before = _footprint(db)
    assert demo.load(db) == {"beneficiaries": 0, "beneficiary_enrolments": 0, "beneficiary_attendance": 0,
                             "project_staff": 0}
    assert _footprint(db) == before


# ---- strict access -----------------------------------------------------------------------------------------
def test_an_unassigned_staff_member_is_refused_everywhere_and_told_whom_to_ask(demo_db):
    db = demo_db
    pid = _qk(db)
    act = db.scalar("SELECT min(id) FROM activities WHERE project_id = ?", [pid])
    child = db.scalar("SELECT min(beneficiary_id) FROM beneficiary_enrolments WHERE project_id = ?", [pid])
    before = _footprint(db)
    for read in (lambda: ben.roster(pid, OTHER), lambda: ben.roster(pid, OTHER, search="林"),
                 lambda: ben.attendance(act, OTHER), lambda: ben.project_activities(pid, OTHER),
                 lambda: ben.import_spec(pid, OTHER), lambda: ben.enrol(pid, _child(), OTHER),
                 lambda: ben.set_attendance(act, [child], OTHER)):
        with pytest.raises(PermissionDenied) as exc:
            read()
        assert "您不是该项目的负责社工" in str(exc.value) and "请联系管理员或该项目的负责社工(王敏" in str(exc.value)
    with pytest.raises(PermissionDenied) as exc:
        ben.beneficiary(child, OTHER)
    assert "不能查看其个人信息" in str(exc.value) and "管理员" in str(exc.value)
    assert ben.register_rows(OTHER).empty and ben.name_projects(OTHER) == []
    assert _footprint(db) == before  # nothing written


def test_the_row_rules_refuse_the_same_writes_through_the_write_path(demo_db):
    db = demo_db
    pid = _qk(db)
    child = db.scalar("SELECT min(beneficiary_id) FROM beneficiary_enrolments WHERE project_id = ?", [pid])
    act = db.scalar("SELECT min(id) FROM activities WHERE project_id = ?", [pid])
    before = _footprint(db)
    for write in (lambda: records.create(ben.ENROLMENT, {"beneficiary_id": child, "project_id": pid,
                                                         "enrolled_on": TODAY}, OTHER),
                  lambda: records.update(ben.BENEFICIARY, child, {"notes": "改"}, OTHER),
                  lambda: records.create(ben.ATTENDANCE, {"beneficiary_id": child, "activity_id": act}, OTHER),
                  lambda: records.create(ben.PROJECT_STAFF, {"project_id": pid, "username": "admin"}, OTHER),
                  lambda: records.delete(ben.BENEFICIARY, child, STAFF),
                  lambda: records.create(ben.BENEFICIARY, {"name": "方晓彤", "birth_year": 2015, "community": "云水社区",
                                                           "target_group": "困境儿童"}, OTHER),
                  lambda: ben.set_project_staff(pid, ["staff", "zhaoli"], OTHER)):
        with pytest.raises(PermissionDenied) as exc:
            write()
        assert "负责社工" in str(exc.value) or "无权" in str(exc.value)
    for refused in (LEADER, Actor("expert", ("reviewer",))):
        with pytest.raises(PermissionDenied):
            records.update(ben.BENEFICIARY, child, {"notes": "改"}, refused)
    assert _footprint(db) == before
    assert ben.update_person(child, {"notes": "喜欢画画"}, STAFF)  # the 负责社工 may
    assert db.fetch_one("SELECT notes, updated_by FROM beneficiaries WHERE id = ?", [child]) == \
        {"notes": "喜欢画画", "updated_by": "staff"}


def test_leaders_read_counts_and_never_a_name(demo_db):
    db = demo_db
    with pytest.raises(PermissionDenied):
        ben.roster(_qk(db), LEADER)
    with pytest.raises(PermissionDenied):
        ben.beneficiary(1, LEADER)
    assert ben.register_rows(LEADER).empty
    shown = ""
    for by in ("project", "group", "community"):
        df = ben.unique_people(db, by)
        assert set(ben.BY[by]) == set(df.columns)
        shown += df.to_csv()
    assert not [n for n in CHILDREN if n in shown]
    by_group = ben.unique_people(db, "group").set_index("target_group")
    assert by_group.loc["困境儿童", "people"] == 12  # once each, though eight are in two projects
    by_project = ben.unique_people(db, "project")
    assert by_project["people"].sum() == ben.totals(db)["enrolments"]


def test_the_dossier_holds_no_names(demo_db):
    with zipfile.ZipFile(io.BytesIO(dossier.zip_bytes(_qk(demo_db)))) as zf:
        text = ""
        for name in zf.namelist():
            if name.endswith(".xlsx"):
                book = load_workbook(io.BytesIO(zf.read(name)), read_only=True)
                text += " ".join(str(c) for ws in book.worksheets for r in ws.iter_rows(values_only=True) for c in r)
    assert text and not [n for n in CHILDREN if n in text]


def test_project_staff_are_set_by_admins_and_by_staff_on_their_own_projects(demo_db):
    db = demo_db
    pid = _qk(db)
    none = db.scalar("SELECT min(id) FROM projects WHERE id NOT IN (SELECT project_id FROM project_staff)")
    with pytest.raises(PermissionDenied) as exc:  # staff cannot make themselves 负责社工 of another project
        ben.set_project_staff(none, ["staff"], STAFF)
    assert "请联系管理员" in str(exc.value)
    assert ben.set_project_staff(none, ["staff"], ADMIN) == (1, 0)
    assert ben.set_project_staff(pid, ["staff", "admin"], STAFF) == (1, 0)  # a colleague, on one's own project
    assert [r["username"] for r in ben.project_staff(pid)] == ["staff", "admin"] or \
        {r["username"] for r in ben.project_staff(pid)} == {"staff", "admin"}
    with pytest.raises(ValidationFailed):  # not a staff account
        ben.set_project_staff(pid, ["staff", "leader"], ADMIN)
    assert ben.set_project_staff(pid, ["admin"], STAFF) == (0, 1)  # handing over: then no longer sees the names
    with pytest.raises(PermissionDenied):
        ben.roster(pid, STAFF)
    audited = db.scalar("SELECT count(*) FROM audit_log WHERE table_name = 'project_staff' AND actor = 'staff'")
    assert audited == 2


# ---- one person across projects ---------------------------------------------------------------------------
def test_the_same_name_birth_year_and_community_is_one_person_across_projects(demo_db):
    db = demo_db
    qk, other = _qk(db), _running(db, demo.BRAND_1516)
    first = ben.enrol(qk, _child(), STAFF)
    assert not first.existing
    people = db.scalar("SELECT count(*) FROM beneficiaries")
    again = ben.enrol(other, _child(gender=None, guardian=None), STAFF)
    assert again.existing and again.beneficiary_id == first.beneficiary_id and "不重复计人" in again.says("方晓彤")
    assert db.scalar("SELECT count(*) FROM beneficiaries") == people
    with pytest.raises(ValidationFailed) as exc:  # once per project
        ben.enrol(qk, _child(), STAFF)
    assert "已是本项目的服务对象" in _messages(exc)
    other_child = ben.enrol(qk, _child(birth_year=2014), STAFF)  # another birth year: someone else
    assert not other_child.existing
    assert ben.unique_people(db, "group").set_index("target_group").loc["困境儿童", "people"] == 14


def test_an_id_number_is_checked_masked_never_stored_and_recognises_the_person(demo_db):
    db = demo_db
    qk, other = _qk(db), _running(db, demo.BRAND_1516)
    consent = {"consent": True, "consent_date": TODAY, "consent_method": "纸质登记表签字"}
    before = _footprint(db)
    with pytest.raises(ValidationFailed) as exc:
        ben.enrol(qk, _child(id_number="330106200901010071", **consent), STAFF)  # a wrong check digit
    assert BAD_ID in _messages(exc)
    with pytest.raises(ValidationFailed) as exc:
        ben.enrol(qk, _child(id_number=ID_NUMBER), STAFF)  # no consent
    assert NO_CONSENT_ID in _messages(exc)
    assert _footprint(db) == before
    first = ben.enrol(qk, _child(id_number=" ３３０１０６２００９０１０１００７８ ", **consent), STAFF)  # full-width
    stored = db.fetch_one("SELECT id_number, id_digest FROM beneficiaries WHERE id = ?", [first.beneficiary_id])
    assert stored["id_number"] == "330106********0078" and len(stored["id_digest"]) == 64
    assert not db.scalar("SELECT count(*) FROM audit_log WHERE before_json LIKE ?"
                         " OR after_json LIKE ?", [f"%{ID_NUMBER}%", f"%{ID_NUMBER}%"])
    # another community and birth year typed, but the same number: the same person
    again = ben.enrol(other, _child(community="文海社区", birth_year=None, age_group="7-12岁", id_number=ID_NUMBER,
                                    **consent), STAFF)
    assert again.existing and again.beneficiary_id == first.beneficiary_id
    with pytest.raises(ValidationFailed) as exc:  # the number under another name: no name is revealed
        ben.enrol(other, _child(name="方晓华", id_number=ID_NUMBER, **consent), STAFF)
    assert "已登记在另一位服务对象名下" in _messages(exc) and "方晓彤" not in _messages(exc)
    # an edit that keeps the masked number keeps the digest
    assert ben.update_person(first.beneficiary_id, {"notes": "需要课业辅导"}, STAFF)
    assert db.fetch_one("SELECT id_number, id_digest FROM beneficiaries WHERE id = ?", [first.beneficiary_id]) == stored
    person = ben.beneficiary(first.beneficiary_id, STAFF)
    assert "id_digest" not in person and person["id_number"] == "330106********0078"


def test_the_consent_rules_are_the_volunteers_ones(demo_db):
    with pytest.raises(ValidationFailed) as exc:
        ben.enrol(_qk(demo_db), _child(phone="13857101001"), STAFF)
    assert NO_CONSENT_PHONE in _messages(exc) and NO_CONSENT_PHONE == VOLUNTEER_NO_CONSENT
    with pytest.raises(ValidationFailed) as exc:
        ben.enrol(_qk(demo_db), _child(consent=True), STAFF)
    assert "已同意个人信息使用时须填写同意日期" in _messages(exc) and "已同意个人信息使用时须选择同意方式" in _messages(exc)
    with pytest.raises(ValidationFailed) as exc:
        ben.enrol(_qk(demo_db), _child(birth_year=None), STAFF)
    assert "请填写出生年份或选择年龄段" in _messages(exc)


# ---- unique people next to person-times ---------------------------------------------------------------------
def test_unique_people_and_person_times_from_attendance(demo_db):
    db = demo_db
    pid = _qk(db)
    kids = [int(i) for i in ben.roster(pid, STAFF)["id"]][:3]
    before = ben.project_counts(pid, db)
    assert before["people"] == 12 and before["served"] == 12
    a1, a2 = _activity(db, pid, "青葵成长小组:测试一"), _activity(db, pid, "青葵成长小组:测试二")
    assert ben.set_attendance(a1, kids, STAFF) == (3, 0)
    assert ben.set_attendance(a2, kids[:2], STAFF) == (2, 0)
    after = ben.project_counts(pid, db)
    assert after["times"] == before["times"] + 5 and after["people"] == 12 and after["served"] == 12
    assert sorted(ben.attendance(a1, STAFF)["id"]) == sorted(kids)
    assert ben.set_attendance(a1, kids[:1], STAFF) == (0, 2)
    assert ben.project_counts(pid, db)["times"] == before["times"] + 3
    # a person the project does not serve, or not on that day, is refused
    stranger = db.scalar("SELECT min(beneficiary_id) FROM beneficiary_enrolments WHERE beneficiary_id NOT IN"
                         " (SELECT beneficiary_id FROM beneficiary_enrolments WHERE project_id = ?)", [pid])
    with pytest.raises(ValidationFailed) as exc:
        ben.set_attendance(a2, [stranger], STAFF)
    assert "不是本项目的服务对象" in _messages(exc)
    enrolment = db.scalar("SELECT id FROM beneficiary_enrolments WHERE project_id = ? AND beneficiary_id = ?",
                          [pid, kids[2]])
    assert ben.end_service(enrolment, TODAY - dt.timedelta(days=1), STAFF)
    with pytest.raises(ValidationFailed) as exc:
        ben.set_attendance(a2, kids, STAFF)
    assert "不在本项目服务期内" in _messages(exc)
    assert ben.project_counts(pid, db)["current"] == 11


# ---- Excel -------------------------------------------------------------------------------------------------
def test_a_projects_sheet_imports_once_and_a_stored_child_is_already_there(demo_db):
    from core.platform import importer

    db = demo_db
    pid = _qk(db)
    spec = ben.import_spec(pid, STAFF)
    wb = load_workbook(io.BytesIO(importer.template(spec)))
    headers = [c.value for c in wb["导入数据"][1]]
    assert headers[:6] == ["姓名*", "性别", "出生年份", "年龄段", "所在社区*", "服务人群*"] and headers[-1] == "入组日期*"
    day = TODAY.isoformat()

    def row(name, year, community, id_number=None, consent=None):
        return [name, "女", year, None, community, "困境儿童", "监护人", None, id_number, consent, None, None, None, day]

    wb["导入数据"].append(row("林可欣", 2014, "云水社区"))            # a demo child: already in the project
    wb["导入数据"].append(row("导入甲", 2016, "云水社区"))
    wb["导入数据"].append(row("导入乙", 2015, "云水社区", ID_NUMBER))  # an ID number without consent
    buf = io.BytesIO()
    wb.save(buf)
    plan = importer.plan(spec, buf.getvalue())
    assert [(r.row_number, r.status) for r in plan.report] == [(2, "已存在"), (3, "有效"), (4, "错误")]
    assert NO_CONSENT_ID in plan.report[2].message
    before = _footprint(db)
    assert ben.commit_import(pid, plan, STAFF) == 1
    assert "导入甲" in set(ben.roster(pid, STAFF)["name"])
    assert db.scalar("SELECT count(*) FROM beneficiaries") == before[0] + 1
    again = importer.plan(ben.import_spec(pid, STAFF), buf.getvalue())
    assert [r.status for r in again.report] == ["已存在", "已存在", "错误"]
    assert ben.commit_import(pid, again, STAFF) == 0
    with pytest.raises(PermissionDenied):
        ben.commit_import(pid, plan, OTHER)
