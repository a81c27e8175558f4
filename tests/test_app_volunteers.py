"""AppTest: 志愿者 (pages/res_volunteers.py) per role — staff see a volunteer's phone in full only on that volunteer's
own record (masked in the list), leaders read everything masked and get no forms, a reviewer is refused; a phone
without consent is refused in Chinese, keeps the input and writes nothing; a sign-up past the places is refused."""
from __future__ import annotations

import pytest

from tests.apptest_helpers import count, db, errors, open_page, plain_texts, screen_as, signed_in, successes

URL = "volunteer-register"
NEW = "volunteer:new"


@pytest.fixture
def loaded(demo_db):
    """The demo database: its template holds the demo volunteers, calls and service records (core.demo.resources)."""
    assert count("volunteers") and count("volunteer_calls")
    return demo_db


def _open(user: str, roles: list[str], url: str = URL, **query):
    at = signed_in(user, roles).run()
    for k, v in query.items():
        at.query_params[k] = v
    return open_page(at, url)


def _with_phone() -> dict:
    return db().fetch_one("SELECT id, name, phone FROM volunteers WHERE phone IS NOT NULL ORDER BY id LIMIT 1")


def _masked(phone: str) -> str:
    digits = phone.replace(" ", "")
    return f"{digits[:3]}****{digits[-4:]}"


def test_staff_see_the_list_masked_and_the_full_phone_on_the_volunteers_own_record(loaded):
    v = _with_phone()
    at = _open("staff", ["staff"])
    assert not at.exception, at.exception
    assert [t.value for t in at.title] == ["志愿者"]
    assert [t.label for t in at.tabs][:4] == ["志愿者名册", "志愿者招募", "服务时长", "服务统计"]
    df = at.dataframe[0].value
    assert list(df.columns) == ["编号", "姓名", "联系电话", "性别", "所在社区", "技能特长", "服务组织",
                                "已同意个人信息使用", "累计服务时长(小时)"]
    phones = [p for p in df["联系电话"] if p]
    assert phones and all("****" in p for p in phones)
    assert not (df.astype(str) == "None").any().any()
    at = _open("staff", ["staff"], id=str(v["id"]))
    assert v["name"] in [s.value for s in at.subheader]
    assert f"联系电话:{v['phone']}" in plain_texts(at)
    assert "编辑" in [t.label for t in at.tabs]


def test_leaders_read_masked_and_get_no_forms(loaded):
    v = _with_phone()
    written = "WHERE table_name NOT IN ('security_events', 'user_sessions')"  # an access refused is logged
    before = count("volunteers"), count("audit_log", written)
    at = _open("leader", ["leader"], id=str(v["id"]))
    assert [t.value for t in at.title] == ["无权访问"]  # the staff's screen
    at = _open("leader", ["leader"], url="volunteer-overview", id=str(v["id"]))
    assert not at.exception, at.exception
    assert [t.value for t in at.title] == ["志愿者概况"]
    assert f"联系电话:{_masked(v['phone'])}" in plain_texts(at)
    assert v["phone"] not in plain_texts(at)
    assert "编辑" not in [t.label for t in at.tabs]
    assert not [b for b in at.button if str(b.key).startswith("FormSubmitter:")]
    assert all("****" in p for p in at.dataframe[0].value["联系电话"] if p)
    assert "按服务组织" not in plain_texts(at)  # 服务统计 is drawn when its tab is open
    at = _open("leader", ["leader"], url="volunteer-overview", view="服务统计")
    totals = plain_texts(at)
    assert "按志愿者" in totals and "按服务组织" in totals and "按项目" in totals
    assert (count("volunteers"), count("audit_log", written)) == before


def test_a_phone_without_consent_is_refused_keeps_the_input_and_writes_nothing(loaded):
    before = count("volunteers"), count("audit_log")
    at = _open("staff", ["staff"])
    at.text_input(key=f"{NEW}::name").input("孙小雨")
    at.text_input(key=f"{NEW}::phone").input("13857109999")
    at.selectbox(key=f"{NEW}::community").set_value("文海社区")
    at = at.button(key=f"FormSubmitter:{NEW}-登记").click().run()
    assert not at.exception, at.exception
    assert "未取得个人信息使用同意,不能登记联系电话" in plain_texts(at) + errors(at)
    assert at.text_input(key=f"{NEW}::name").value == "孙小雨"
    assert at.text_input(key=f"{NEW}::phone").value == "13857109999"
    assert (count("volunteers"), count("audit_log")) == before
    at.checkbox(key=f"{NEW}::consent").check()
    at.selectbox(key=f"{NEW}::consent_method").set_value("纸质登记表签字")
    import datetime as dt
    at.date_input(key=f"{NEW}::consent_date").set_value(dt.date.today())
    at = at.button(key=f"FormSubmitter:{NEW}-登记").click().run()
    assert not at.exception, at.exception
    row = db().fetch_one("SELECT * FROM volunteers WHERE name = '孙小雨'")
    assert row["phone"] == "138 5710 9999" and row["consent"] and row["created_by"] == "staff"
    assert any("已登记志愿者:孙小雨" in s for s in successes(at)) or "已登记志愿者:孙小雨" in plain_texts(at)


def test_a_sign_up_past_the_places_is_refused(loaded):
    full = db().fetch_one("SELECT id, places FROM volunteer_calls WHERE status = '招募中' ORDER BY id LIMIT 1")
    taken = db().scalar("SELECT count(*) FROM volunteer_signups WHERE call_id = ?", [full["id"]])
    from core.platform.actor import Actor
    from core.resources import volunteers as vol
    vol.records.update(vol.CALL, full["id"], {"places": taken}, Actor("staff", ("staff",)))  # every place taken
    other = db().scalar("SELECT min(id) FROM volunteers WHERE id NOT IN"
                        " (SELECT volunteer_id FROM volunteer_signups WHERE call_id = ?)", [full["id"]])
    before = count("volunteer_signups")
    at = _open("staff", ["staff"], view="志愿者招募")
    at.selectbox(key="volunteer:signup::call_id").set_value(full["id"])
    at.selectbox(key="volunteer:signup::volunteer_id").set_value(other)
    at = at.button(key="FormSubmitter:volunteer:signup-登记报名").click().run()
    assert not at.exception, at.exception
    assert "个名额已报满" in plain_texts(at) + errors(at)
    assert count("volunteer_signups") == before


@pytest.mark.parametrize("user, role", [("expert", "reviewer")])
def test_a_reviewer_cannot_open_the_volunteers(loaded, user, role):
    at = _open(user, [role])
    assert [t.value for t in at.title] == ["无权访问"]
    assert not at.dataframe
    for target in ("pages.res_volunteers:render", "pages.res_volunteers:overview"):
        direct = screen_as(user, [role], target).run()
        assert "您的角色无权访问此页面。" in errors(direct) and not direct.dataframe


def test_staff_record_hours_and_the_ledger_count_follows_the_records(loaded):
    act = db().fetch_one(
        "SELECT a.id, a.project_id, a.volunteers FROM activities a JOIN projects p ON p.id = a.project_id"
        " WHERE p.state = 'closed' AND a.volunteers > 1 ORDER BY a.id LIMIT 1")  # no records there yet
    assert act is not None and act["volunteers"] != 1
    who = db().scalar("SELECT min(id) FROM volunteers")
    at = _open("staff", ["staff"], view="服务时长")
    at.selectbox(key="vol:project").set_value(act["project_id"]).run()
    at.selectbox(key="vol:activity").set_value(act["id"]).run()
    assert f"志愿者 {act['volunteers']} 人" in at.selectbox(key="vol:activity").format_func(act["id"])
    form = f"volunteer:service:{act['id']}"
    at.selectbox(key=f"{form}::volunteer_id").set_value(who)
    at.number_input(key=f"{form}::hours").set_value(2.5)
    at.selectbox(key=f"{form}::role").set_value("活动协助")
    at = at.button(key=f"FormSubmitter:{form}-登记").click().run()
    assert not at.exception, at.exception
    stored = db().fetch_one("SELECT * FROM volunteer_services WHERE activity_id = ?", [act["id"]])
    assert stored["volunteer_id"] == who and stored["hours"] == 2.5 and stored["created_by"] == "staff"
    assert "台账中的志愿者人数按服务记录计为 1 人" in plain_texts(at)
    assert "志愿者 1 人" in at.selectbox(key="vol:activity").format_func(act["id"])
    from core.monitoring import ledger
    df = ledger.activities(act["project_id"])
    assert int(df.loc[df["id"] == act["id"], "volunteers"].iloc[0]) == 1


def test_staff_publish_a_call(loaded):
    project = db().scalar("SELECT min(id) FROM projects WHERE state = 'active'")
    import datetime as dt
    at = _open("staff", ["staff"], view="志愿者招募")
    form = "volunteer:call"
    at.text_input(key=f"{form}::title").input("元旦游园会志愿者招募")
    at.selectbox(key=f"{form}::project_id").set_value(project)
    at.date_input(key=f"{form}::call_date").set_value(dt.date.today() + dt.timedelta(days=20))
    at.number_input(key=f"{form}::places").set_value(10)
    at = at.button(key=f"FormSubmitter:{form}-发布").click().run()
    assert not at.exception, at.exception
    row = db().fetch_one("SELECT * FROM volunteer_calls WHERE title = '元旦游园会志愿者招募'")
    assert row["status"] == "招募中" and row["places"] == 10 and row["project_id"] == project
    assert any("已发布招募:元旦游园会志愿者招募" in s for s in successes(at)) or "已发布招募" in plain_texts(at)


def test_ending_a_call_asks_first(loaded):
    call = db().fetch_one("SELECT id, title FROM volunteer_calls WHERE status = '招募中' ORDER BY call_date DESC, id DESC"
                          " LIMIT 1")
    at = _open("staff", ["staff"], view="志愿者招募")
    at.selectbox(key="vol:call").set_value(call["id"]).run()
    at = at.button(key=f"vol:end:{call['id']}").click().run()
    assert "此操作不可撤销" in plain_texts(at) + "".join(str(w.value) for w in at.warning)
    assert db().scalar("SELECT status FROM volunteer_calls WHERE id = ?", [call["id"]]) == "招募中"
    at = at.button(key=f"vol:end:{call['id']}:yes").click().run()
    assert not at.exception, at.exception
    assert db().scalar("SELECT status FROM volunteer_calls WHERE id = ?", [call["id"]]) == "已结束"
