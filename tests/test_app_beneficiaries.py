"""AppTest: 服务对象 (pages/res_beneficiaries.py) per role — the project's 负责社工 sees its 12 children by name (phones
masked in the list, in full on the child's own record), a staff member of no project asking for the same URL is
refused in Chinese (told whom to ask, logged, no name on the screen), a leader reaches only the counts, a registration
without consent is refused keeping the input and writes nothing; the project file shows the counts and the 负责社工."""
from __future__ import annotations

import pytest

from core.demo import res_beneficiaries as demo
from core.platform import users
from core.platform.actor import Actor
from tests.apptest_helpers import count, db, errors, open_page, plain_texts, signed_in, successes

URL, READ_URL = "beneficiary-register", "beneficiary-overview"
CHILDREN = [c[0] for c in demo.CHILDREN]
OUTSIDER = "zhaoli"


@pytest.fixture
def loaded(demo_db):
    """The demo database (its template holds the demo people); plus a staff account that is 负责社工 of nothing."""
    assert count("beneficiaries")
    users.create({"username": OUTSIDER, "name": "赵莉(工作人员)", "email": "zhaoli@demo.hubdesk", "roles": ["staff"],
                  "active": True}, Actor("admin", ("admin",)), password="Zhao-li-2026-x")
    return demo_db


def _qk() -> int:
    return db().scalar("SELECT p.id FROM projects p JOIN brands b ON b.id = p.brand_id WHERE b.name = ?"
                       " AND p.state = 'active' ORDER BY p.start_date DESC LIMIT 1", [demo.BRAND_QK])


def _open(user: str, roles: list[str], url: str = URL, **query):
    at = signed_in(user, roles).run()
    for k, v in query.items():
        at.query_params[k] = v
    return open_page(at, url)


def _shown(at) -> str:
    return plain_texts(at) + "".join(df.value.to_csv() for df in at.dataframe)


def test_the_projects_staff_member_sees_the_twelve_children(loaded):
    at = _open("staff", ["staff"], project=str(_qk()))
    assert not at.exception, at.exception
    assert [t.value for t in at.title] == ["服务对象"]
    df = at.dataframe[0].value
    assert sorted(df["姓名"]) == sorted(CHILDREN)
    assert list(df.columns)[:7] == ["编号", "姓名", "性别", "出生年份/年龄段", "所在社区", "服务人群", "监护人/联系人"]
    assert all("****" in p for p in df["联系电话"] if p)
    assert not (df.astype(str) == "None").any().any()
    child = db().fetch_one("SELECT id, name, phone FROM beneficiaries WHERE phone IS NOT NULL ORDER BY id LIMIT 1")
    at = _open("staff", ["staff"], project=str(_qk()), person=str(child["id"]))
    assert child["name"] in [s.value for s in at.subheader]
    assert f"联系电话:{child['phone']}" in plain_texts(at)


def test_a_staff_member_of_no_project_is_refused_the_same_url(loaded):
    written = "WHERE table_name NOT IN ('security_events', 'user_sessions')"
    before = count("beneficiaries"), count("audit_log", written)
    refusals = count("security_events", "WHERE kind = 'access_refused' AND username = ?", [OUTSIDER])
    at = _open(OUTSIDER, ["staff"], project=str(_qk()))
    assert not at.exception, at.exception
    assert "您不是该项目的负责社工" in errors(at) and "请联系管理员或该项目的负责社工(王敏" in errors(at)
    assert not [n for n in CHILDREN if n in _shown(at)]
    assert count("security_events", "WHERE kind = 'access_refused' AND username = ?", [OUTSIDER]) == refusals + 1
    child = db().scalar("SELECT min(id) FROM beneficiaries")
    at = _open(OUTSIDER, ["staff"], project=str(_qk()), person=str(child), view="活动出勤")
    assert "您不是该项目的负责社工" in errors(at) and not [n for n in CHILDREN if n in _shown(at)]
    at = _open(OUTSIDER, ["staff"])  # no project of their own: told whom to ask
    assert "您还不是任何项目的负责社工" in plain_texts(at)
    at = _open(OUTSIDER, ["staff"], view="人数统计")  # the counts, without names
    assert "按服务人群" in plain_texts(at) and not [n for n in CHILDREN if n in _shown(at)]
    assert (count("beneficiaries"), count("audit_log", written)) == before


def test_a_leader_reads_counts_only(loaded):
    at = _open("leader", ["leader"], project=str(_qk()))
    assert [t.value for t in at.title] == ["无权访问"]
    at = _open("leader", ["leader"], url=READ_URL)
    assert not at.exception, at.exception
    assert [t.value for t in at.title] == ["服务对象概况"]
    assert not [b for b in at.button if str(b.key).startswith("FormSubmitter:")]
    groups = at.dataframe[1].value.set_index("服务人群")
    assert groups.loc["困境儿童", "服务对象(人,去重)"] == 12
    assert not [n for n in CHILDREN if n in _shown(at)]


def test_a_registration_without_consent_is_refused_keeping_the_input_then_saved(loaded):
    pid = _qk()
    form = f"ben:new:{pid}"
    before = count("beneficiaries"), count("beneficiary_enrolments")
    at = _open("staff", ["staff"], project=str(pid), view="登记与导入")
    at.text_input(key=f"{form}::name").input("方晓彤")
    at.number_input(key=f"{form}::birth_year").set_value(2015)
    at.selectbox(key=f"{form}::community").set_value("云水社区")
    at.selectbox(key=f"{form}::target_group").set_value("困境儿童")
    at.text_input(key=f"{form}::phone").input("13857109999")
    at = at.button(key=f"FormSubmitter:{form}-登记").click().run()
    assert "未取得个人信息使用同意,不能登记联系电话" in errors(at) + plain_texts(at)
    assert at.text_input(key=f"{form}::name").value == "方晓彤"
    assert (count("beneficiaries"), count("beneficiary_enrolments")) == before
    at.text_input(key=f"{form}::phone").input("")
    at = at.button(key=f"FormSubmitter:{form}-登记").click().run()
    assert any("已登记服务对象「方晓彤」" in s for s in successes(at)), successes(at) + [errors(at)]
    assert (count("beneficiaries"), count("beneficiary_enrolments")) == (before[0] + 1, before[1] + 1)


def test_the_project_file_shows_the_counts_and_the_social_workers(loaded):
    at = _open("staff", ["staff"], url="project-file", id=str(_qk()), tab="服务台账")
    assert not at.exception, at.exception
    text = plain_texts(at)
    assert "服务对象(实名):登记 12 人(在服务 12 人),已服务 12 人(去重)" in text
    at = _open("staff", ["staff"], url="project-file", id=str(_qk()))
    assert "负责社工:王敏(工作人员)" in plain_texts(at)
    at = _open(OUTSIDER, ["staff"], url="project-file", id=str(_qk()))
    assert "负责社工:王敏(工作人员)" in plain_texts(at)
    assert not [e for e in at.expander if e.label == "调整负责社工"]  # not theirs to change


def test_a_search_finds_only_the_people_of_ones_own_projects(loaded):
    at = _open("staff", ["staff"])
    at.text_input(key="ben:find").input("林").run()
    found = at.dataframe[0].value
    assert "林可欣" in set(found["姓名"]) and "XS-GY-2025-002" in found["服务项目"].iloc[0]
    at = _open(OUTSIDER, ["staff"])
    assert not [t for t in at.text_input if t.key == "ben:find"]  # nothing of theirs to search


def test_an_admin_adds_a_social_worker_on_the_project_file_who_then_sees_the_names(loaded):
    pid = _qk()
    key = f"staff:{pid}"
    at = _open("admin", ["admin"], url="project-file", id=str(pid))
    assert not at.exception, at.exception
    at.multiselect(key=f"{key}::usernames").set_value(["staff", OUTSIDER])
    at = at.button(key=f"FormSubmitter:{key}-保存负责社工").click().run()
    assert any("已保存负责社工:新增 1 人,移除 0 人" in s for s in successes(at)), successes(at) + [errors(at)]
    assert count("audit_log", "WHERE table_name = 'project_staff' AND actor = 'admin'") == 1
    at = _open(OUTSIDER, ["staff"], project=str(pid))
    assert sorted(at.dataframe[0].value["姓名"]) == sorted(CHILDREN)


def test_attendance_is_recorded_for_an_activity_and_counted_once_per_person(loaded):
    pid = _qk()
    act = db().fetch_one("SELECT max(id) AS id FROM activities WHERE project_id = ?", [pid])
    kids = [r["id"] for r in db().fetch_all(
        "SELECT beneficiary_id AS id FROM beneficiary_enrolments WHERE project_id = ? ORDER BY id LIMIT 2", [pid])]
    times = db().scalar("SELECT count(*) FROM beneficiary_attendance")
    at = _open("staff", ["staff"], project=str(pid), view="活动出勤")
    assert not at.exception, at.exception
    at.selectbox(key="ben:activity").set_value(act["id"]).run()
    present = {r["beneficiary_id"] for r in db().fetch_all(
        "SELECT beneficiary_id FROM beneficiary_attendance WHERE activity_id = ?", [act["id"]])}
    at.multiselect[0].set_value(sorted(present | set(kids)))
    at = at.button[[b.label for b in at.button].index("保存出勤")].click().run()
    added = len(set(kids) - present)
    assert any(f"已保存出勤:新增 {added} 人,移除 0 人" in s for s in successes(at)), successes(at) + [errors(at)]
    assert db().scalar("SELECT count(*) FROM beneficiary_attendance") == times + added
    assert "None" not in plain_texts(at)


def test_taking_people_off_an_activitys_attendance_asks_first_and_cancel_keeps_them(loaded):
    pid = _qk()
    act = db().fetch_one("SELECT max(id) AS id FROM activities WHERE project_id = ?", [pid])
    kids = [r["id"] for r in db().fetch_all(
        "SELECT beneficiary_id AS id FROM beneficiary_enrolments WHERE project_id = ? ORDER BY id LIMIT 2", [pid])]

    def present() -> set[int]:
        return {r["beneficiary_id"] for r in db().fetch_all(
            "SELECT beneficiary_id FROM beneficiary_attendance WHERE activity_id = ?", [act["id"]])}

    at = _open("staff", ["staff"], project=str(pid), view="活动出勤")
    at.selectbox(key="ben:activity").set_value(act["id"]).run()
    at.multiselect[0].set_value(sorted(present() | set(kids)))
    at = at.button[[b.label for b in at.button].index("保存出勤")].click().run()
    before = present()
    assert set(kids) <= before
    audits = count("audit_log")
    at.multiselect[0].set_value(sorted(before - {kids[0]}))  # one child taken off
    at = at.button[[b.label for b in at.button].index("保存出勤")].click().run()
    assert not at.exception, at.exception
    assert "此操作不可撤销" in plain_texts(at) + " ".join(w.value for w in at.warning)
    assert present() == before and count("audit_log") == audits  # nothing written yet
    at = at.button(key=f"ben:att-remove:{act['id']}:no").click().run()  # 取消: nothing changes
    assert present() == before and count("audit_log") == audits
    at.multiselect[0].set_value(sorted(before - {kids[0]}))
    at = at.button[[b.label for b in at.button].index("保存出勤")].click().run()
    at = at.button(key=f"ben:att-remove:{act['id']}:yes").click().run()
    assert any("移除 1 人" in s for s in successes(at)), successes(at) + [errors(at)]
    assert present() == before - {kids[0]}
