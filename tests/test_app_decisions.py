"""AppTest: 决定与公示 (decision-notice): grant decisions within the ceiling, the notice, objections."""
from __future__ import annotations

import datetime as dt

import pytest
from streamlit.testing.v1 import AppTest

from tests.apptest_helpers import (
    count as _count, db as _db, errors as _errors, open_page, plain, screen_as as _screen_as, signed_in, successes as _successes,
)


def _audited() -> int:
    """Audit rows about records (a sign-in's server-side session, made when a test signs in, is not one)."""
    return _count("audit_log", "WHERE table_name <> 'user_sessions'")


def _app(app_id: int) -> dict:
    from core.intake import applications

    return applications.get(app_id)


def _current() -> int:
    """The demo's current round (this year's: 3 recommended, 2 not recommended, ceiling 80,000)."""
    from core.intake import rounds

    return int(rounds.current()["id"])


def _ids(state: str) -> list[int]:
    return [r["id"] for r in _db().fetch_all(
        "SELECT id FROM applications WHERE round_id = ? AND state = ? ORDER BY id", [_current(), state])]


def _open(username: str, role: str) -> AppTest:
    return open_page(signed_in(username, [role]).run(), "decision-notice")


# ---- access --------------------------------------------------------------------------------------

@pytest.mark.parametrize("username,role", [("admin", "admin"), ("staff", "staff")])
def test_staff_and_admin_open_the_screen(demo_db, username, role):
    at = _open(username, role)
    assert not at.exception
    assert [t.value for t in at.title] == ["决定与公示"]
    assert at.selectbox(key="round").value == _current()
    assert [t.label for t in at.tabs][:3] == ["资助决定", "公示名单", "异议登记"]
    assert {m.label for m in at.metric} >= {"资金总额(元)", "单个项目资助上限(元)"}


@pytest.mark.parametrize("username,role", [("expert", "reviewer"), ("leader", "leader")])
def test_reviewer_and_leader_get_a_no_access_notice(demo_db, username, role):
    at = _open(username, role)
    assert not at.exception
    assert [t.value for t in at.title] == ["无权访问"]
    assert not [s for s in at.selectbox if s.key == "round"]


@pytest.mark.parametrize("username,role", [("leader", "leader"), ("expert", "reviewer")])
def test_screen_refuses_reviewer_and_leader_when_called_directly(demo_db, username, role):
    at = _screen_as(username, [role], "pages.decisions:render").run()
    assert not at.exception
    assert any("无权" in plain(e.value) for e in at.error)
    assert len(at.title) == 0 and len(at.dataframe) == 0


# ---- decisions (admin) ---------------------------------------------------------------------------

def _decision_form(app_id: int) -> AppTest:
    at = _open("admin", "admin")
    return at.selectbox(key="decide:chosen").set_value(app_id).run()


def _confirm(at: AppTest, app_id: int) -> AppTest:
    return at.button(key=f"FormSubmitter:decision:{app_id}-确认决定").click().run()


def test_decision_form_starts_from_the_request(demo_db):
    app_id = _ids("recommended")[0]
    at = _decision_form(app_id)
    assert not at.exception
    assert at.selectbox(key=f"decision:{app_id}::decision").value == "资助"
    assert at.number_input(key=f"decision:{app_id}::granted_amount").value == float(_app(app_id)["requested_amount"])


def test_amount_above_the_ceiling_is_refused(demo_db):
    app_id = _ids("recommended")[0]
    before, audit_before = _app(app_id), _audited()
    at = _decision_form(app_id)
    at.number_input(key=f"decision:{app_id}::granted_amount").set_value(90000.0)
    _confirm(at, app_id)
    assert not at.exception
    assert "资助金额不能超过单个项目上限(80,000.00元)" in _errors(at)
    assert _app(app_id) == before
    assert _audited() == audit_before
    assert at.number_input(key=f"decision:{app_id}::granted_amount").value == 90000.0


def test_grant_with_a_valid_amount_goes_to_public_notice(demo_db):
    app_id = _ids("recommended")[0]
    events_before = _count("application_events", "WHERE application_id = ?", [app_id])
    at = _decision_form(app_id)
    at.number_input(key=f"decision:{app_id}::granted_amount").set_value(70000.0)
    _confirm(at, app_id)
    assert not at.exception
    assert not _errors(at)
    app = _app(app_id)
    assert app["state"] == "public_notice"
    assert float(app["granted_amount"]) == 70000.0
    assert _count("application_events", "WHERE application_id = ?", [app_id]) == events_before + 1
    assert any("已记录决定" in s for s in _successes(at))
    # it left the pending list and is on the notice list
    assert at.selectbox(key="decide:chosen").value is None
    assert app_id not in at.selectbox(key="decide:chosen").options
    notice = [d.value for d in at.dataframe if "拟资助金额(元)" in d.value.columns][0]
    assert list(notice["编号"]) == [str(app_id)]
    assert notice["拟资助金额(元)"].iloc[0] == "70,000"


def test_refusal_needs_a_reason(demo_db):
    app_id = _ids("not_recommended")[0]
    before = _app(app_id)
    at = _decision_form(app_id)
    assert at.selectbox(key=f"decision:{app_id}::decision").value == "不予资助"
    _confirm(at, app_id)
    assert not at.exception
    assert "决定不予资助时须填写原因" in _errors(at)
    assert _app(app_id) == before
    at.text_area(key=f"decision:{app_id}::note").input("评审得分未达推荐线")
    _confirm(at, app_id)
    assert not at.exception
    assert not _errors(at)
    assert _app(app_id)["state"] == "rejected"
    assert _app(app_id)["decision_note"] == "评审得分未达推荐线"


def test_category_quota_warning_is_shown(demo_db):
    from core.intake import rounds
    from core.platform.actor import Actor

    app_id = _ids("recommended")[0]
    category = _app(app_id)["category"]
    rounds.set_quotas(_current(), {category: 10000.0}, Actor("admin", ("admin",)), override_reason="测试额度")
    at = _decision_form(app_id)
    at.number_input(key=f"decision:{app_id}::granted_amount").set_value(50000.0)
    _confirm(at, app_id)
    assert not at.exception
    assert _app(app_id)["state"] == "public_notice"
    assert any("超过该类别额度" in plain(w.value) for w in at.warning)


def test_publish_the_notice(demo_db):
    from core.platform.actor import Actor
    from core.review import decisions

    app_id = _ids("recommended")[0]
    decisions.decide(app_id, {"decision": "资助", "granted_amount": 60000.0}, Actor("admin", ("admin",)))
    at = _open("admin", "admin")
    at.button(key="notice:publish").click().run()
    assert not at.exception
    # irreversible: asked first, saying what cannot be undone; 取消 changes nothing
    assert _db().scalar("SELECT notice_published_at FROM rounds WHERE id = ?", [_current()]) is None
    box = [plain(w.value) for w in at.warning if "此操作不可撤销" in plain(w.value)]
    assert box and "不能再作出资助决定" in box[0] and "共 1 个项目" in box[0]
    at.button(key="notice:publish:no").click().run()
    assert _db().scalar("SELECT notice_published_at FROM rounds WHERE id = ?", [_current()]) is None
    at.button(key="notice:publish").click().run()
    at.button(key="notice:publish:yes").click().run()
    assert not at.exception
    assert not _errors(at)
    assert _db().scalar("SELECT notice_published_at FROM rounds WHERE id = ?", [_current()]) is not None
    assert "公示已发布" in _successes(at)
    assert any(s.startswith("公示已于") for s in _successes(at))  # the notice tab shows it at once
    assert not [b for b in at.button if b.key == "notice:publish"]


def test_publishing_an_empty_notice_says_why_it_cannot(demo_db):
    at = _open("admin", "admin")
    assert not at.exception
    assert at.button(key="notice:publish").disabled
    assert any("还没有决定资助的项目,不能发布公示" in plain(c.value) for c in at.caption)
    assert _db().scalar("SELECT notice_published_at FROM rounds WHERE id = ?", [_current()]) is None


# ---- staff: no decisions, objections -------------------------------------------------------------

def test_staff_see_no_decision_form(demo_db):
    at = _open("staff", "staff")
    assert not at.exception
    assert any("资助决定由管理员作出" in plain(i.value) for i in at.info)
    assert not [s for s in at.selectbox if s.key == "decide:chosen"]
    assert not [b for b in at.button if b.key == "notice:publish"]


def _objection_form(at: AppTest, **values) -> AppTest:
    for name, value in values.items():
        key = f"objection_new::{name}"
        if name in ("content", "handling", "result"):
            at.text_area(key=key).input(value)
        elif name == "closed":
            at.checkbox(key=key).set_value(value)
        elif name == "received_date":
            at.date_input(key=key).set_value(value)
        else:
            at.selectbox(key=key).set_value(value)
    return at.button(key="FormSubmitter:objection_new-登记").click().run()


def test_staff_register_an_objection(demo_db):
    before, audit_before = _count("objections"), _audited()
    at = _objection_form(_open("staff", "staff"), content="有居民反映该组织去年项目未按计划开展。")
    assert not at.exception
    assert not _errors(at)
    assert _count("objections") == before + 1
    row = _db().fetch_one("SELECT * FROM objections ORDER BY id DESC LIMIT 1")
    assert row["round_id"] == _current()
    assert row["content"] == "有居民反映该组织去年项目未按计划开展。"
    assert row["received_date"] == dt.date.today()
    assert row["closed"] is False
    assert row["created_by"] == "staff"
    assert f"已登记异议(编号 {row['id']})" in _successes(at)
    assert _audited() == audit_before + 1


def test_objection_rules_on_registering(demo_db):
    before, audit_before = _count("objections"), _audited()
    at = _objection_form(_open("staff", "staff"), received_date=dt.date.today() + dt.timedelta(days=2), closed=True,
                         handling="已电话联系反映人")
    assert not at.exception
    errors = _errors(at)
    assert "请填写异议内容" in errors
    assert "办结异议时须填写处理结果" in errors
    assert "收到日期不能晚于今天" in errors
    assert _count("objections") == before
    assert _audited() == audit_before
    assert at.text_area(key="objection_new::handling").value == "已电话联系反映人"
    assert at.checkbox(key="objection_new::closed").value is True


def test_closing_an_objection_needs_a_result(demo_db):
    from core.platform.actor import Actor
    from core.review import decisions

    obj_id = decisions.add_objection(_current(), {"received_date": dt.date.today(), "content": "对评审结果有异议",
                                                     "closed": False}, Actor("staff", ("staff",)))
    audit_before = _audited()
    at = _open("staff", "staff")
    at.selectbox(key="objection:chosen").set_value(obj_id).run()
    assert not at.exception
    assert at.text_area(key="objection_edit::content").value == "对评审结果有异议"
    at.checkbox(key="objection_edit::closed").check()
    at.button(key="FormSubmitter:objection_edit-保存").click().run()
    assert not at.exception
    assert "办结异议时须填写处理结果" in _errors(at)
    stored = _db().fetch_one("SELECT closed, result FROM objections WHERE id = ?", [obj_id])
    assert stored == {"closed": False, "result": None}
    assert _audited() == audit_before
    assert at.checkbox(key="objection_edit::closed").value is True
    # with a result it is closed
    at.text_area(key="objection_edit::result").input("经核实,异议不成立,已答复反映人")
    at.button(key="FormSubmitter:objection_edit-保存").click().run()
    assert not at.exception
    assert not _errors(at)
    row = _db().fetch_one("SELECT closed, result, updated_by FROM objections WHERE id = ?", [obj_id])
    assert row["closed"] is True and row["result"] == "经核实,异议不成立,已答复反映人"
    assert row["updated_by"] == "staff"


# ---- issue 12: the round and tab in the URL, readable notices and objections, confirmations -------------

def _round_id(year: int) -> int:
    return int(_db().scalar("SELECT id FROM rounds WHERE year = ?", [year]))


def test_the_round_and_the_tab_are_in_the_url(demo_db):
    from core.intake import rounds

    past = rounds.get(_round_id(2025))
    at = signed_in("staff", ["staff"]).run()
    at.query_params["round"] = past["name"]
    at.query_params["tab"] = "公示名单"
    at = open_page(at, "decision-notice")
    assert not at.exception
    assert at.selectbox(key="round").value == past["id"]
    assert at.session_state["tab"] == "公示名单"


def test_notice_list_and_printout_read_as_money(demo_db):
    from core.review import decisions

    rid = _round_id(2025)
    listed = decisions.notice_list(rid)
    assert len(listed) >= 3
    shown = decisions.notice_rows(listed)
    assert list(shown.columns)[-1] == "拟资助金额(元)"
    for raw, text in zip(listed["granted_amount"], shown["拟资助金额(元)"]):
        assert text == f"{float(raw):,.0f}" if float(raw) == int(raw) else f"{float(raw):,.2f}"
    doc = decisions.notice_text(rid)
    for raw in ("None", "nan", "NaT", ".0 ", ".0\n", "00:00:00"):
        assert raw not in doc, raw
    total = float(sum(float(v) for v in listed["granted_amount"]))
    assert f"共 {len(listed)} 个项目,合计拟资助 {total:,.0f} 元" in doc
    assert "编号  项目名称  申报组织  项目类别  服务社区  拟资助金额(元)" in doc
    # with an empty cell (a project without communities) the printout shows "—", not "None"
    app_id = int(listed["id"].iloc[0])
    with _db().transaction() as tx:
        tx.execute("UPDATE applications SET communities = NULL WHERE id = ?", [app_id])
        tx.touch("applications")
    doc = decisions.notice_text(rid)
    assert "None" not in doc and "  —  " in doc


def test_objections_are_offered_by_what_they_are(demo_db):
    from core.platform.actor import Actor
    from core.review import decisions

    rid = _current()
    funded = int(_db().scalar("SELECT min(id) FROM applications WHERE state = 'funded'"))
    title = _app(funded)["title"]
    one = decisions.add_objection(rid, {"received_date": dt.date(2026, 12, 1), "content": "对评审结果有异议,请复核",
                                        "closed": False}, Actor("staff", ("staff",)))
    two = decisions.add_objection(rid, {"received_date": dt.date(2026, 12, 2), "content": "该项目与去年项目重复",
                                        "application_id": funded, "closed": False}, Actor("admin", ("admin",)))
    at = _open("staff", "staff")
    box = at.selectbox(key="objection:chosen")
    assert "请选择" in box.placeholder
    labels = [plain(o) for o in box.options]
    assert len(labels) == 2 and not any(lbl.strip().isdigit() for lbl in labels)
    assert labels[0] == "2026-12-01 收到 · 关于未指明项目:对评审结果有异议,请复核(未办结,登记人 王敏(工作人员))"
    assert labels[1].startswith(f"2026-12-02 收到 · 关于「{title}」:该项目与去年项目重复")
    assert "登记人 陈主任(管理员)" in labels[1]
    log = [d.value for d in at.dataframe if "涉及项目" in d.value.columns][0]
    assert list(log["涉及项目"]) == ["未指明项目", title]
    assert list(log["已办结"]) == ["否", "否"] and list(log["登记人"]) == ["王敏(工作人员)", "陈主任(管理员)"]
    assert one != two


def test_finalise_asks_first_and_says_why_when_it_cannot(demo_db):
    from core.platform.actor import Actor
    from core.review import decisions

    admin = Actor("admin", ("admin",))
    app_id = _ids("recommended")[0]
    decisions.decide(app_id, {"decision": "资助", "granted_amount": 50000.0}, admin)
    decisions.publish_notice(_current(), admin)
    at = _open("admin", "admin")
    assert at.button(key="notice:finalise").disabled  # the notice period is not over
    assert any("期满后才能确认立项" in plain(c.value) for c in at.caption)
    with _db().transaction() as tx:  # the period ends
        tx.execute("UPDATE rounds SET notice_start = current_date - 9, notice_end = current_date - 2 WHERE id = ?",
                   [_current()])
        tx.touch("rounds")
    at.run()
    at.button(key="notice:finalise").click().run()
    assert _app(app_id)["state"] == "public_notice"
    assert any("此操作不可撤销" in plain(w.value) for w in at.warning)
    at.button(key="notice:finalise:yes").click().run()
    assert not at.exception and not _errors(at)
    assert _app(app_id)["state"] == "funded"
    assert "公示期满,已确认立项" in _successes(at)
    assert at.button(key="notice:finalise").disabled
    assert any("都已立项" in plain(c.value) for c in at.caption)


def test_decision_screen_speaks_chinese_and_shows_money(demo_db):
    at = _open("admin", "admin")
    assert not at.exception
    for box in at.selectbox:
        assert box.placeholder and "Choose" not in box.placeholder, box.key
    assert {m.label: m.value for m in at.metric}["资金总额(元)"].count(",") >= 1
    labels = at.selectbox(key="decide:chosen").options
    assert labels and all("元)·编号" in plain(o) and ".0 " not in o for o in labels)
