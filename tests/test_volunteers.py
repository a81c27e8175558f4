"""志愿者 (core.resources.volunteers): consent before a phone, the phone masked for who need not see it, sign-ups
(once per call, never past the places, only while 招募中, checked in the write transaction), service records, the
ledger's volunteer count from the records where they exist, the totals, and the demo loader's figures."""
from __future__ import annotations

import datetime as dt
import threading

import pytest

from core.demo import res_volunteers as demo
from core.monitoring import ledger
from core.platform.actor import Actor
from core.platform.errors import PermissionDenied, ValidationFailed
from core.resources import volunteers as vol

STAFF = Actor("staff", ("staff",))
ADMIN = Actor("admin", ("admin",))
LEADER = Actor("leader", ("leader",))
TODAY = dt.date.today()


def _count(db, table: str) -> int:
    return db.scalar(f"SELECT count(*) FROM {table}")


def _person(**over) -> dict:
    return {"name": "周晓梅", "phone": "13857101001", "gender": "女", "community": "文海社区", "skills": ["课业辅导"],
            "consent": True, "consent_date": TODAY - dt.timedelta(days=3), "consent_method": "纸质登记表签字", **over}


def _messages(exc) -> str:
    return str(exc.value) + " " + " ".join(m for ms in (exc.value.fields or {}).values() for m in ms)


def _project(db) -> int:
    return db.scalar("SELECT min(id) FROM projects WHERE state = 'active'")


def _activity(db, project_id: int | None = None) -> dict:
    """A new activity on the ledger of a running project, with no service records yet (the demo's activities of
    the running projects all have theirs)."""
    from core.monitoring import ledger

    p = db.fetch_one("SELECT id, communities[1] AS community FROM projects WHERE state = 'active'"
                     " AND start_date <= current_date AND end_date >= current_date"
                     + (" AND id = ?" if project_id else "") + " ORDER BY id LIMIT 1",
                     [project_id] if project_id else [])
    aid = ledger.add({"project_id": p["id"], "activity_date": TODAY, "community": p["community"], "kind": "小组活动",
                      "title": "志愿者测试活动", "participants": 12, "person_times": 12, "volunteers": 3}, STAFF, db=db)
    act = db.fetch_one("SELECT id, project_id, volunteers FROM activities WHERE id = ?", [aid])
    assert act["volunteers"] == 3 and not db.scalar("SELECT count(*) FROM volunteer_services WHERE activity_id = ?",
                                                    [aid])
    return act


def test_a_phone_needs_consent_and_the_refusal_says_what_to_change(demo_db):
    before = _count(demo_db, "volunteers"), _count(demo_db, "audit_log")
    with pytest.raises(ValidationFailed) as exc:
        vol.add_volunteer(_person(consent=False, consent_date=None, consent_method=None), STAFF)
    assert "未取得个人信息使用同意,不能登记联系电话" in _messages(exc) and "或清空联系电话" in _messages(exc)
    assert (_count(demo_db, "volunteers"), _count(demo_db, "audit_log")) == before  # nothing written
    with pytest.raises(ValidationFailed) as exc:
        vol.add_volunteer(_person(consent_date=None), STAFF)
    assert "已同意个人信息使用时须填写同意日期" in _messages(exc)
    # without a phone, no consent is needed; with consent, the phone is stored normalised
    plain = vol.add_volunteer(_person(name="钱大伟", phone=None, consent=False, consent_date=None,
                                      consent_method=None), STAFF)
    key = vol.add_volunteer(_person(), STAFF)
    row = demo_db.fetch_one("SELECT * FROM volunteers WHERE id = ?", [key])
    assert row["phone"] == "138 5710 1001" and row["consent"] and list(row["skills"]) == ["课业辅导"]
    assert demo_db.fetch_one("SELECT phone, consent FROM volunteers WHERE id = ?", [plain]) == {"phone": None,
                                                                                                 "consent": False}
    # removing consent later while a phone is kept is refused too
    with pytest.raises(ValidationFailed):
        vol.records.update(vol.VOLUNTEER, key, {"consent": False}, STAFF)


def test_the_phone_is_masked_for_leaders_and_in_every_list(demo_db):
    key = vol.add_volunteer(_person(), STAFF)
    assert vol.mask_phone("138 5710 1001") == "138****1001" and vol.mask_phone(None) is None
    assert vol.volunteer(key, STAFF)["phone"] == "138 5710 1001"
    assert vol.volunteer(key, ADMIN)["phone"] == "138 5710 1001"
    assert vol.volunteer(key, LEADER)["phone"] == "138****1001"
    from core.platform.listing import Query, fetch_all
    listed = fetch_all(vol.LIST_VIEW, Query(search="周晓梅"), demo_db)
    assert listed["phone"].tolist() == ["138****1001"]
    assert not listed["phone"].str.contains(" ", na=False).any()


def test_leaders_write_nothing(demo_db):
    with pytest.raises(PermissionDenied):
        vol.add_volunteer(_person(), LEADER)
    with pytest.raises(PermissionDenied):
        vol.publish_call({"title": "测试招募", "project_id": _project(demo_db), "call_date": TODAY, "places": 2}, LEADER)


def _call(db, places=2, **over) -> int:
    return vol.publish_call({"title": "社区助餐志愿者招募", "project_id": _project(db), "call_date": TODAY,
                             "places": places, "skills": ["活动组织"], **over}, STAFF)


def test_sign_ups_once_per_call_never_past_the_places(demo_db):
    call = _call(demo_db, places=2)
    assert demo_db.fetch_one("SELECT status FROM volunteer_calls WHERE id = ?", [call])["status"] == "招募中"
    a, b, c = (vol.add_volunteer(_person(name=n, phone=None, consent=False, consent_date=None, consent_method=None),
                                 STAFF) for n in ("甲志愿", "乙志愿", "丙志愿"))
    vol.sign_up({"call_id": call, "volunteer_id": a, "signed_on": TODAY}, STAFF)
    with pytest.raises(ValidationFailed) as exc:
        vol.sign_up({"call_id": call, "volunteer_id": a, "signed_on": TODAY}, STAFF)
    assert "该志愿者已报名此招募" in _messages(exc)
    vol.sign_up({"call_id": call, "volunteer_id": b, "signed_on": TODAY}, STAFF)
    assert demo_db.fetch_one("SELECT status FROM volunteer_calls WHERE id = ?", [call])["status"] == "已满员"
    before = _count(demo_db, "volunteer_signups"), _count(demo_db, "audit_log")
    with pytest.raises(ValidationFailed) as exc:
        vol.sign_up({"call_id": call, "volunteer_id": c, "signed_on": TODAY}, STAFF)
    assert "已满员,不能再报名" in _messages(exc)
    assert (_count(demo_db, "volunteer_signups"), _count(demo_db, "audit_log")) == before
    # places are checked in the transaction even when the status was set back by hand
    vol.records.update(vol.CALL, call, {"status": "招募中"}, STAFF)
    with pytest.raises(ValidationFailed) as exc:
        vol.sign_up({"call_id": call, "volunteer_id": c, "signed_on": TODAY}, STAFF)
    assert "2 个名额已报满" in _messages(exc)
    assert _count(demo_db, "volunteer_signups") == before[0]


def test_concurrent_sign_ups_take_no_more_than_the_places(demo_db):
    call = _call(demo_db, places=3)
    people = [vol.add_volunteer(_person(name=f"并发{n}号", phone=None, consent=False, consent_date=None,
                                        consent_method=None), STAFF) for n in "一二三四五六七八"]
    outcomes = []

    def go(v):
        try:
            vol.sign_up({"call_id": call, "volunteer_id": v, "signed_on": TODAY}, STAFF)
            outcomes.append("ok")
        except ValidationFailed:
            outcomes.append("refused")

    threads = [threading.Thread(target=go, args=(v,)) for v in people]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert outcomes.count("ok") == 3 and outcomes.count("refused") == 5
    assert demo_db.scalar("SELECT count(*) FROM volunteer_signups WHERE call_id = ?", [call]) == 3


def test_a_call_names_an_activity_of_its_project(demo_db):
    other = demo_db.scalar("SELECT min(id) FROM activities WHERE project_id <> ?", [_project(demo_db)])
    with pytest.raises(ValidationFailed) as exc:
        _call(demo_db, activity_id=other)
    assert "该活动不属于所选项目" in _messages(exc)


def test_the_ledger_count_comes_from_service_records_where_they_exist(demo_db):
    act = _activity(demo_db)
    with_records, without = act["id"], demo_db.fetch_one(
        "SELECT id, volunteers FROM activities WHERE project_id = ? AND id <> ? ORDER BY id LIMIT 1",
        [act["project_id"], act["id"]])

    def shown(aid):
        df = ledger.activities(act["project_id"])
        return int(df.loc[df["id"] == aid, "volunteers"].iloc[0])

    assert shown(with_records) == act["volunteers"]  # no records yet: the count typed on the activity
    people = [vol.add_volunteer(_person(name=f"台账{n}", phone=None, consent=False, consent_date=None,
                                        consent_method=None), STAFF) for n in "甲乙"]
    for v in people:
        vol.record_service({"volunteer_id": v, "activity_id": with_records, "hours": 2.5, "role": "活动协助"}, STAFF)
    assert shown(with_records) == 2  # the distinct volunteers with records
    assert shown(without["id"]) == without["volunteers"]  # untouched
    with pytest.raises(ValidationFailed) as exc:
        vol.record_service({"volunteer_id": people[0], "activity_id": with_records, "hours": 1, "role": "活动协助"},
                           STAFF)
    assert "该志愿者在此活动已有服务记录" in _messages(exc)
    with pytest.raises(ValidationFailed) as exc:
        vol.record_service({"volunteer_id": people[0], "activity_id": 10**9, "hours": 1, "role": "活动协助"}, STAFF)
    assert "服务台账中没有编号" in _messages(exc)


def test_totals_per_volunteer_organisation_and_project(demo_db):
    act = _activity(demo_db)
    org = demo_db.scalar("SELECT min(id) FROM organisations")
    org_name = demo_db.scalar("SELECT name FROM organisations WHERE id = ?", [org])
    v = vol.add_volunteer(_person(name="统计志愿者", org_id=org), STAFF)
    before = vol.totals("org")
    vol.record_service({"volunteer_id": v, "activity_id": act["id"], "hours": 3.5, "role": "专业服务"}, STAFF)
    mine = vol.totals("volunteer").set_index("name").loc["统计志愿者"]
    assert float(mine["hours"]) == 3.5 and int(mine["activities"]) == 1 and mine["org"] == org_name
    after = vol.totals("org").set_index("org")
    was = before.set_index("org")["hours"].get(org_name, 0.0)
    assert float(after.loc[org_name, "hours"]) == pytest.approx(float(was) + 3.5)  # the cache saw the write
    agreement = demo_db.scalar("SELECT agreement_no FROM projects WHERE id = ?", [act["project_id"]])
    assert agreement in vol.totals("project")["agreement_no"].tolist()


def test_the_demo_loader_adds_up_to_the_ledger(demo_db):
    # the demo template holds what the loader left (core.demo.resources runs it as the build's last step)
    n_volunteers, n_services = _count(demo_db, "volunteers"), _count(demo_db, "volunteer_services")
    assert n_volunteers >= 200 and n_services > 0
    # every covered activity: distinct volunteers with records == the ledger's stored count
    off = demo_db.fetch_all(
        "SELECT a.id, a.volunteers, count(DISTINCT s.volunteer_id) AS n FROM activities a"
        " JOIN projects p ON p.id = a.project_id LEFT JOIN volunteer_services s ON s.activity_id = a.id"
        " WHERE p.state = 'active' GROUP BY a.id, a.volunteers HAVING count(DISTINCT s.volunteer_id) <> a.volunteers")
    assert off == []
    assert n_services == demo_db.scalar(
        "SELECT sum(a.volunteers) FROM activities a JOIN projects p ON p.id = a.project_id WHERE p.state = 'active'")
    # records only on the running projects' activities
    assert demo_db.scalar("SELECT count(*) FROM volunteer_services s JOIN activities a ON a.id = s.activity_id"
                          " JOIN projects p ON p.id = a.project_id WHERE p.state <> 'active'") == 0
    # a phone only with consent; calls never over their places; the full call is 已满员
    assert demo_db.scalar("SELECT count(*) FROM volunteers WHERE phone IS NOT NULL AND NOT consent") == 0
    assert demo_db.scalar("SELECT count(*) FROM volunteers WHERE NOT consent AND hub_id = 1") == demo.NO_CONSENT
    over = demo_db.fetch_all("SELECT c.id FROM volunteer_calls c WHERE (SELECT count(*) FROM volunteer_signups s"
                             " WHERE s.call_id = c.id) > c.places")
    assert over == [] and _count(demo_db, "volunteer_calls") == len(demo.CALLS) == 5
    assert sorted(r["status"] for r in demo_db.fetch_all("SELECT status FROM volunteer_calls")) == \
        ["已满员", "已结束", "招募中", "招募中", "招募中"]
    assert demo_db.scalar("SELECT count(*) FROM volunteer_signups") == sum(c[2] for c in demo.CALLS)
    # written through the audited write path
    assert demo_db.scalar("SELECT count(*) FROM audit_log WHERE table_name = 'volunteer_services'") == n_services
    assert demo_db.scalar("SELECT count(*) FROM audit_log WHERE table_name = 'volunteers'") == n_volunteers


def test_the_register_imports_from_excel_and_a_phone_without_consent_is_a_row_error(demo_db):
    import io

    from openpyxl import load_workbook

    from core.platform import importer

    spec = vol.import_spec()
    wb = load_workbook(io.BytesIO(importer.template(spec)))
    headers = [c.value for c in wb["导入数据"][1]]
    assert headers[:4] == ["姓名*", "联系电话", "性别", "所在社区*"]
    day = (TODAY - dt.timedelta(days=2)).isoformat()
    wb["导入数据"].append(["导入甲", "13857102020", "女", "幸福社区", "课业辅导、心理疏导", None, "是", day, "纸质登记表签字"])
    wb["导入数据"].append(["导入乙", "13857102021", "男", "幸福社区", None, None, "否", None, None])
    wb["导入数据"].append(["导入丙", None, "男", "幸福社区", None, None, None, None, None])
    buf = io.BytesIO()
    wb.save(buf)
    plan = importer.plan(spec, buf.getvalue())
    assert [(r.row_number, r.status) for r in plan.report] == [(2, "有效"), (3, "错误"), (4, "有效")]
    assert "未取得个人信息使用同意" in plan.report[1].message
    before = _count(demo_db, "volunteers")
    assert importer.commit(spec, plan, STAFF) == 2
    row = demo_db.fetch_one("SELECT * FROM volunteers WHERE name = '导入甲'")
    assert row["phone"] == "138 5710 2020" and row["consent"] and list(row["skills"]) == ["课业辅导", "心理疏导"]
    assert _count(demo_db, "volunteers") == before + 2
