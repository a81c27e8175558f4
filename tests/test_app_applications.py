"""AppTest: 项目申报 (apply), 申报项目 (application-list), 申报详情 (application), 资格审查 (screening-queue)."""
from __future__ import annotations

import datetime as dt

import pytest
from streamlit.testing.v1 import AppTest

from pages.applications import DETAIL_TABS
from tests.apptest_helpers import (
    count as _count, db as _db, errors as _errors, open_page, plain, plain_texts as texts, screen_as as _screen_as, signed_in, successes as _successes,
)
from tests.test_app_ideas import page_links

RAW = ("None", "nan", "NaT", ".0 ", "24800.0")


def _audited() -> int:
    """Audit rows about records (a sign-in's server-side session, made when a test signs in, is not one)."""
    return _count("audit_log", "WHERE table_name <> 'user_sessions'")


def _warnings(at: AppTest) -> str:
    return "\n".join(plain(w.value) for w in at.warning)


def _tables(at: AppTest) -> list:
    """The st.table frames on the screen (text a person reads)."""
    return [t.value for t in at.table]


def plain_all(at: AppTest) -> str:
    """Everything a person reads: messages, tables, grids, widget labels and options."""
    parts = [texts(at)]
    parts += [df.astype(str).to_string() for df in _tables(at)]
    parts += [d.value.astype(str).to_string() for d in at.dataframe]
    for kind in (at.selectbox, at.multiselect, at.text_input, at.text_area, at.button, at.number_input):
        for w in kind:
            parts.append(str(w.label))
            parts += [str(o) for o in (getattr(w, "options", None) or [])]
            parts.append(str(getattr(w, "placeholder", "") or ""))
    return plain("\n".join(parts))

SUBMIT_DRAFT = "FormSubmitter:app_form-保存草稿"
SUBMIT_FULL = "FormSubmitter:app_form-保存并提交"


def _app(app_id: int) -> dict:
    from core.intake import applications

    return applications.get(app_id)


def _round() -> dict:
    """The demo's current round (this year's: mid-review, about 30 applications, ceiling 80,000)."""
    from core.intake import rounds

    return rounds.current()


def _current() -> int:
    return int(_round()["id"])


def _free_orgs() -> list[int]:
    """Active organisations without an application in the current round (one per organisation)."""
    return [r["id"] for r in _db().fetch_all(
        "SELECT id FROM organisations WHERE active AND id NOT IN"
        " (SELECT org_id FROM applications WHERE round_id = ? AND state <> 'withdrawn') ORDER BY id", [_current()])]


def _first(state: str) -> int:
    return int(_db().scalar("SELECT min(id) FROM applications WHERE round_id = ? AND state = ?", [_current(), state]))


def _events(app_id: int) -> list[dict]:
    return _db().fetch_all("SELECT * FROM application_events WHERE application_id = ? ORDER BY id", [app_id])


def _staff(url_path: str, **query) -> AppTest:
    at = signed_in("staff", ["staff"]).run()
    for k, v in query.items():
        at.query_params[k] = v
    return open_page(at, url_path)


# ---- access --------------------------------------------------------------------------------------

SCREENS = {"apply": ("pages.applications:intake", "项目申报"),
           "application-list": ("pages.applications:app_list", "申报项目"),
           "application": ("pages.applications:app_page", "申报详情"),
           "screening-queue": ("pages.applications:screening", "资格审查")}


@pytest.mark.parametrize("url_path", list(SCREENS))
@pytest.mark.parametrize("username,role", [("staff", "staff"), ("admin", "admin")])
def test_staff_and_admin_open_each_screen(demo_db, url_path, username, role):
    at = open_page(signed_in(username, [role]).run(), url_path)
    assert not at.exception
    assert [t.value for t in at.title] == [SCREENS[url_path][1]]
    assert not at.error


@pytest.mark.parametrize("url_path", list(SCREENS))
@pytest.mark.parametrize("username,role", [("expert", "reviewer"), ("leader", "leader")])
def test_reviewer_and_leader_get_a_no_access_notice(demo_db, url_path, username, role):
    at = open_page(signed_in(username, [role]).run(), url_path)
    assert not at.exception
    assert [t.value for t in at.title] == ["无权访问"]
    shown = texts(at)
    assert "状态看板" not in shown and "先保存草稿" not in shown


@pytest.mark.parametrize("url_path", list(SCREENS))
def test_screens_refuse_the_leader_when_called_directly(demo_db, url_path):
    at = _screen_as("leader", ["leader"], SCREENS[url_path][0], id=str(_first("eligible"))).run()
    assert not at.exception
    assert any("无权" in plain(e.value) for e in at.error)
    assert len(at.title) == 0 and len(at.dataframe) == 0
    assert not at.button or [b.key for b in at.button] == []


def test_detail_refuses_a_reviewer_called_directly_with_an_id(demo_db):
    app_id = _first("under_review")
    at = _screen_as("expert", ["reviewer"], "pages.applications:app_page", id=str(app_id)).run()
    assert any("无权" in plain(e.value) for e in at.error)
    assert _app(app_id)["title"] not in texts(at)


# ---- intake --------------------------------------------------------------------------------------

def _fill(at: AppTest, **values) -> AppTest:
    for name, value in values.items():
        key = f"app_form::{name}"
        for kind in (at.selectbox, at.text_input, at.text_area, at.number_input, at.multiselect):
            try:
                widget = kind(key=key)
            except KeyError:
                continue
            widget.set_value(value)
            break
        else:
            raise KeyError(key)
    return at


def _stones(at: AppTest, *rows: dict) -> AppTest:
    """What the browser's data_editor sends when milestones are typed into its empty rows (after the rows
    the draft already has)."""
    base = at.session_state["app_form:stones:base"] if "app_form:stones:base" in at.session_state else []
    first = sum(1 for r in base if any(v not in (None, "") for v in r.values()))
    at.session_state["app_form:stones"] = {"edited_rows": {first + i: r for i, r in enumerate(rows)},
                                           "added_rows": [], "deleted_rows": []}
    return at


COMPLETE = dict(
    category="一老一小", title="楼道加装扶手适老化改造",
    summary="为春晓社区老旧小区的楼道加装扶手,方便老人上下楼。", needs_analysis="辖区60岁以上老人占比高,走访80户均反映上下楼困难。",
    communities=["春晓社区"], target_group="辖区老旧小区的老年人", planned_beneficiaries=600,
    planned_activities="入户评估、安装扶手、开展防跌倒讲座。",
    budget_personnel=20000.0, budget_materials=30000.0, budget_venue=2000.0, budget_publicity=3000.0,
    budget_other=5000.0, requested_amount=60000.0,
)


def _complete(**changes) -> dict:
    return dict(COMPLETE, org_id=_free_orgs()[0], **changes)


def _stone() -> dict:
    """A milestone two months into the current round's project period (as the data_editor sends it)."""
    return {"due_date": (_round()["project_start"] + dt.timedelta(days=59)).isoformat(), "deliverable": "中期报告"}


def _stone_row() -> dict:
    return {"due_date": _round()["project_start"] + dt.timedelta(days=59), "deliverable": "中期报告"}


def test_intake_starts_in_the_current_round(demo_db):
    at = _staff("apply")
    assert not at.exception
    assert at.selectbox(key="app_form::round_id").value == _current()
    assert at.selectbox(key="app_form::org_id").value is None
    assert at.text_input(key="app_form::title").value == ""
    assert len(at.get("arrow_data_frame")) + len(at.dataframe) >= 1  # the milestone editor


def test_save_a_draft_with_round_org_and_title_only(demo_db):
    apps_before, org = _count("applications"), _free_orgs()[0]
    at = _fill(_staff("apply"), org_id=org, title="社区互助议事厅")
    at.button(key=SUBMIT_DRAFT).click().run()
    assert not at.exception
    assert not _errors(at)
    assert _count("applications") == apps_before + 1
    row = _db().fetch_one("SELECT * FROM applications WHERE title = '社区互助议事厅'")
    assert row["state"] == "draft"
    assert row["round_id"] == _current() and row["org_id"] == org
    assert row["requested_amount"] is None and row["submitted_at"] is None
    assert row["created_by"] == "staff"
    assert any(s.startswith(f"草稿已保存(编号 {row['id']}),尚未提交") for s in _successes(at))
    events = _events(row["id"])
    assert [(e["from_state"], e["to_state"]) for e in events] == [(None, "draft")]
    # the screen now edits that draft, and the URL names it (F5 reopens it)
    assert f"编辑申报 编号 {row['id']}" in texts(at)
    assert at.query_params["id"] in (str(row["id"]), [str(row["id"])])
    assert at.text_input(key="app_form::title").value == "社区互助议事厅"


def test_draft_without_an_organisation_is_refused(demo_db):
    apps_before, audit_before = _count("applications"), _audited()
    at = _fill(_staff("apply"), title="社区互助议事厅")
    at.button(key=SUBMIT_DRAFT).click().run()
    assert not at.exception
    assert "请选择申报组织" in _errors(at)
    assert _count("applications") == apps_before
    assert _audited() == audit_before
    assert at.text_input(key="app_form::title").value == "社区互助议事厅"


def test_save_and_submit_an_incomplete_draft_keeps_it_a_draft(demo_db):
    apps_before = _count("applications")
    at = _fill(_staff("apply"), org_id=_free_orgs()[0], title="社区互助议事厅", category="社区治理")
    at.button(key=SUBMIT_FULL).click().run()
    assert not at.exception
    row = _db().fetch_one("SELECT * FROM applications WHERE title = '社区互助议事厅'")
    assert row is not None and row["state"] == "draft"
    assert _count("applications") == apps_before + 1  # the draft is kept
    # one message that says exactly what happened: saved, not submitted, and why (no "未保存" next to it)
    assert not _errors(at)
    notice = _warnings(at)
    assert f"草稿已保存(编号 {row['id']}),但没有提交:申报仍是草稿" in notice
    assert "未保存" not in plain_all(at)
    for msg in ("请填写项目简介", "请填写需求分析", "请选择服务社区", "请填写申请资助金额(元)", "请填写计划服务人次",
                "请至少填写一个里程碑"):
        assert msg in notice, msg
    assert row["submitted_at"] is None
    assert [e["to_state"] for e in _events(row["id"])] == ["draft"]
    # what was typed is still in the form
    assert at.text_input(key="app_form::title").value == "社区互助议事厅"
    assert at.selectbox(key="app_form::category").value == "社区治理"
    assert at.selectbox(key="app_form::org_id").value == row["org_id"]


def test_submit_a_complete_application_with_a_milestone(demo_db):
    apps_before = _count("applications")
    at = _stones(_fill(_staff("apply"), **_complete()), _stone())
    at.button(key=SUBMIT_FULL).click().run()
    assert not at.exception
    assert not _errors(at)
    assert _count("applications") == apps_before + 1
    row = _db().fetch_one("SELECT * FROM applications WHERE title = ?", [COMPLETE["title"]])
    assert row["state"] == "submitted"
    assert row["submitted_at"] is not None
    assert float(row["requested_amount"]) == 60000.0
    assert list(row["communities"]) == ["春晓社区"]
    assert any(f"已提交(编号 {row['id']}" in s for s in _successes(at))
    stones = _db().fetch_all("SELECT due_date, deliverable FROM application_milestones WHERE application_id = ?",
                             [row["id"]])
    assert stones == [_stone_row()]
    assert [(e["from_state"], e["to_state"]) for e in _events(row["id"])] == [(None, "draft"), ("draft", "submitted")]
    # submitted: the intake no longer edits it, but offers a new application
    assert any("不能再修改" in plain(w.value) for w in at.warning)
    at.button(key="app_form:new").click().run()
    assert not at.exception
    assert "先保存草稿" in texts(at)
    assert at.text_input(key="app_form::title").value == ""
    assert at.selectbox(key="app_form::org_id").value is None
    assert at.selectbox(key="app_form::round_id").value == _current()


def test_saving_a_draft_twice_keeps_one_set_of_milestones(demo_db):
    at = _stones(_fill(_staff("apply"), org_id=_free_orgs()[0], title="社区互助议事厅"), _stone())
    at.button(key=SUBMIT_DRAFT).click().run()
    app_id = int(_db().scalar("SELECT id FROM applications WHERE title = '社区互助议事厅'"))
    assert _count("application_milestones", "WHERE application_id = ?", [app_id]) == 1
    at.text_input(key="app_form::target_group").input("辖区居民")
    at.button(key=SUBMIT_DRAFT).click().run()
    assert not at.exception
    assert not _errors(at)
    assert _app(app_id)["target_group"] == "辖区居民"
    assert _db().fetch_all("SELECT due_date, deliverable FROM application_milestones WHERE application_id = ?",
                           [app_id]) == [_stone_row()]


def test_budget_that_does_not_sum_is_refused_on_the_requested_amount(demo_db):
    apps_before, audit_before = _count("applications"), _audited()
    at = _stones(_fill(_staff("apply"), **_complete(requested_amount=70000.0)), _stone())
    at.button(key=SUBMIT_FULL).click().run()
    assert not at.exception
    assert "五项预算(人员、物资、场地、宣传、其他)之和须等于申请资助金额" in _errors(at)
    assert not _db().fetch_one("SELECT id FROM applications WHERE title = ? AND state <> 'draft'", [COMPLETE["title"]])
    assert _count("applications") == apps_before
    assert _audited() == audit_before
    assert at.number_input(key="app_form::requested_amount").value == 70000.0
    assert at.number_input(key="app_form::budget_materials").value == 30000.0


def test_request_above_the_round_ceiling_is_refused(demo_db):
    apps_before, audit_before = _count("applications"), _audited()
    values = _complete(budget_personnel=40000.0, budget_materials=45000.0, requested_amount=95000.0)
    at = _stones(_fill(_staff("apply"), **values), _stone())
    at.button(key=SUBMIT_FULL).click().run()
    assert not at.exception
    assert "申请资助金额超过本批次单个项目上限(80,000元)" in _errors(at)
    assert _count("applications") == apps_before
    assert _audited() == audit_before
    assert at.number_input(key="app_form::requested_amount").value == 95000.0


def test_milestone_outside_the_project_period_is_refused(demo_db):
    apps_before = _count("applications")
    early = (_round()["project_start"] - dt.timedelta(days=200)).isoformat()  # before the project period
    at = _stones(_fill(_staff("apply"), **_complete()), {"due_date": early, "deliverable": "中期报告"})
    at.button(key=SUBMIT_FULL).click().run()
    assert not at.exception
    assert "里程碑第1行的日期须在项目执行期" in _errors(at)
    assert _count("applications") == apps_before


def test_organisation_with_an_application_in_the_round_is_refused(demo_db):
    apps_before = _count("applications")
    busy = _app(_first("submitted"))["org_id"]
    at = _fill(_staff("apply"), org_id=busy, title="第二个申报项目")
    at.button(key=SUBMIT_DRAFT).click().run()
    assert not at.exception
    assert "达到每个组织1个的上限" in _errors(at)
    assert _count("applications") == apps_before


def test_complete_a_draft_later_and_submit_it(demo_db):
    at = _fill(_staff("apply"), org_id=_free_orgs()[1], title="社区互助议事厅")
    at.button(key=SUBMIT_DRAFT).click().run()
    app_id = int(_db().scalar("SELECT id FROM applications WHERE title = '社区互助议事厅'"))
    # reopen it by its id, fill in the rest, add a milestone, submit
    at = _staff("apply", id=str(app_id))
    assert not at.exception
    assert at.text_input(key="app_form::title").value == "社区互助议事厅"
    rest = {k: v for k, v in COMPLETE.items() if k != "title"}
    _stones(_fill(at, **rest), _stone())
    at.button(key=SUBMIT_FULL).click().run()
    assert not at.exception
    assert not _errors(at)
    assert _app(app_id)["state"] == "submitted"
    assert _count("applications", "WHERE title = '社区互助议事厅'") == 1


def test_save_and_submit_an_existing_incomplete_draft_shows_why(demo_db):
    app_id = _first("draft")
    events_before = len(_events(app_id))
    at = _staff("apply", id=str(app_id))
    assert f"编辑申报 编号 {app_id}" in texts(at)
    at.button(key=SUBMIT_FULL).click().run()
    assert not at.exception
    assert not _errors(at)
    assert f"草稿已保存(编号 {app_id}),但没有提交" in _warnings(at)
    assert "请填写申请资助金额(元)" in _warnings(at)
    assert _app(app_id)["state"] == "draft"
    assert len(_events(app_id)) == events_before


def test_resubmit_a_returned_application(demo_db):
    app_id = _first("returned")
    at = _staff("apply", id=str(app_id))
    assert not at.exception
    assert any("退回补充材料" in plain(i.value) for i in at.info)
    at.text_area(key="app_form::cofunding_note").input("街道配套场地,社区提供志愿者")
    at.button(key=SUBMIT_FULL).click().run()
    assert not at.exception
    assert not _errors(at)
    app = _app(app_id)
    assert app["state"] == "resubmitted"
    assert app["cofunding_note"] == "街道配套场地,社区提供志愿者"
    assert _events(app_id)[-1]["from_state"] == "returned"
    assert f"已提交(编号 {app_id},状态:补充后重新提交)" in _successes(at)


# ---- list and status board -----------------------------------------------------------------------

def _caption(at) -> str:
    return next(str(c.value) for c in at.caption if str(c.value).startswith("共 "))


def test_status_board_buttons_filter_the_list(demo_db):
    from core.intake import applications, rounds

    counts = applications.counts_by_state(rounds.current()["id"])
    at = _staff("application-list")
    assert not at.exception
    assert _caption(at).startswith("共 257 条")
    at.button(key="board:draft").click().run()
    assert not at.exception
    assert _caption(at).startswith(f"共 {counts['draft']} 条")
    assert set(at.dataframe[0].value["状态"]) == {"草稿"}
    assert set(at.dataframe[0].value["创投批次"]) == {_round()["name"]}
    at.button(key="board:under_review").click().run()
    assert _caption(at).startswith(f"共 {counts['under_review']} 条")
    assert at.multiselect(key="apps:f:state").value == ["专家评审中"]
    assert set(at.dataframe[0].value["状态"]) == {"专家评审中"}


def test_search_narrows_the_application_list(demo_db):
    app = _app(_first("eligible"))
    at = _staff("application-list")
    at.text_input(key="apps:q").input(app["title"]).run()
    assert not at.exception
    df = at.dataframe[0].value
    expected = _count("applications", "WHERE title ILIKE ?", [f"%{app['title']}%"])
    assert _caption(at).startswith(f"共 {expected} 条")
    assert app["id"] in list(df["编号"])
    assert len(df) < 257


def test_selecting_a_row_in_the_list_shows_the_application(demo_db):
    at = _staff("application-list")
    at.session_state["apps:table"] = {"selection": {"rows": [0], "columns": [], "cells": []}}
    at.run()
    assert not at.exception
    top = int(at.dataframe[0].value.iloc[0]["编号"])
    assert any(f"(编号 {top})" in plain(s.value) for s in at.subheader)


# ---- one application -----------------------------------------------------------------------------

def test_application_page_shows_title_and_tabs(demo_db):
    app_id = _first("eligible")
    app = _app(app_id)
    at = _staff("application", id=str(app_id))
    assert not at.exception
    assert at.selectbox(key="app_page:chosen").value == app_id
    assert f"{app['title']}(编号 {app_id})" in [plain(s.value) for s in at.subheader]
    assert "状态:审查合格" in texts(at)
    assert [t.label for t in at.tabs] == ["申报内容", "里程碑", "附件", "资格审查", "流转记录", "操作"]
    assert at.button(key=f"move:{app_id}:under_review").label == "送专家评审"


def test_send_an_eligible_application_to_review(demo_db):
    app_id = _first("eligible")
    events_before, audit_before = len(_events(app_id)), _audited()
    at = _staff("application", id=str(app_id))
    at.button(key=f"move:{app_id}:under_review").click().run()
    assert not at.exception
    assert not _errors(at)
    assert _app(app_id)["state"] == "under_review"
    events = _events(app_id)
    assert len(events) == events_before + 1
    assert (events[-1]["from_state"], events[-1]["to_state"]) == ("eligible", "under_review")
    assert events[-1]["created_by"] == "staff"
    assert _audited() == audit_before + 2  # the application and its event
    # the page shows the new state, and says what was done
    assert "状态:专家评审中" in texts(at)
    assert "已送专家评审" in _successes(at)
    assert not [b for b in at.button if b.key == f"move:{app_id}:under_review"]


def test_withdraw_without_a_note_says_why_it_cannot(demo_db):
    app_id = _first("eligible")
    before, events_before, audit_before = _app(app_id), len(_events(app_id)), _audited()
    at = _staff("application", id=str(app_id))
    assert at.button(key=f"move:{app_id}:withdrawn").disabled
    assert "撤回须先在上面的「说明」中写明原因" in texts(at)
    assert _app(app_id) == before
    assert len(_events(app_id)) == events_before
    assert _audited() == audit_before


def test_withdraw_with_a_note_asks_first(demo_db):
    app_id = _first("eligible")
    at = _staff("application", id=str(app_id))
    at.text_input(key=f"move_note:{app_id}").input("申报组织主动撤回").run()
    at.button(key=f"move:{app_id}:withdrawn").click().run()
    assert not at.exception
    assert _app(app_id)["state"] == "eligible"  # not yet: the box says what cannot be undone
    assert any("此操作不可撤销" in plain(w.value) and "撤回后该申报不能恢复" in plain(w.value) for w in at.warning)
    at.button(key=f"move:{app_id}:withdrawn:no").click().run()
    assert _app(app_id)["state"] == "eligible"
    at.button(key=f"move:{app_id}:withdrawn").click().run()
    at.button(key=f"move:{app_id}:withdrawn:yes").click().run()
    assert not at.exception
    assert _app(app_id)["state"] == "withdrawn"
    assert _events(app_id)[-1]["note"] == "申报组织主动撤回"
    assert "已撤回" in _successes(at)


def test_moves_made_on_other_screens_are_only_named(demo_db):
    app_id = _first("screening")
    at = _staff("application", id=str(app_id))
    assert not at.exception
    assert "审查合格:在「资格审查」中办理" in texts(at)
    assert not [b for b in at.button if b.key == f"move:{app_id}:eligible"]


# ---- screening -----------------------------------------------------------------------------------

def _queue() -> AppTest:
    return _staff("screening-queue")


def test_screening_queue_lists_waiting_applications(demo_db):
    at = _queue()
    assert not at.exception
    df = at.dataframe[0].value
    waiting = _count("applications", "WHERE state IN ('submitted', 'resubmitted', 'screening', 'returned')")
    assert len(df) == waiting
    assert set(df["状态"]) == {"已提交", "补充后重新提交", "资格审查中", "退回补充材料"}


def test_start_screening_a_submitted_application(demo_db):
    app_id = _first("submitted")
    at = _queue()
    at.selectbox(key="screen:chosen").set_value(app_id).run()
    assert at.button(key=f"screen:start:{app_id}").label == "开始资格审查"
    at.button(key=f"screen:start:{app_id}").click().run()
    assert not at.exception
    assert not _errors(at)
    assert _app(app_id)["state"] == "screening"
    assert _events(app_id)[-1]["to_state"] == "screening"
    assert "已开始资格审查" in _successes(at)
    # the checklist form is shown straight away
    assert at.checkbox(key=f"screen_form:{app_id}::ok_0").value is True


def _screen_form(app_id: int) -> AppTest:
    at = _queue()
    return at.selectbox(key="screen:chosen").set_value(app_id).run()


def _submit_screening(at: AppTest, app_id: int) -> AppTest:
    return at.button(key=f"FormSubmitter:screen_form:{app_id}-提交审查结论").click().run()


def test_failed_item_without_a_reason_is_refused(demo_db):
    app_id = _first("screening")
    before, audit_before = _app(app_id), _audited()
    screenings_before = _count("screenings")
    at = _screen_form(app_id)
    key = f"screen_form:{app_id}"
    at.checkbox(key=f"{key}::ok_1").uncheck()
    at.selectbox(key=f"{key}::outcome").set_value("ineligible")
    _submit_screening(at, app_id)
    assert not at.exception
    assert "「无不良记录」不符合时须填写原因" in _errors(at)
    assert _app(app_id) == before
    assert _count("screenings") == screenings_before
    assert _audited() == audit_before
    assert at.checkbox(key=f"{key}::ok_1").value is False
    assert at.selectbox(key=f"{key}::outcome").value == "ineligible"


def test_eligible_with_a_failed_item_is_refused(demo_db):
    app_id = _first("screening")
    at = _screen_form(app_id)
    key = f"screen_form:{app_id}"
    at.checkbox(key=f"{key}::ok_2").uncheck()
    at.text_input(key=f"{key}::why_2").input("预算超出上限")
    at.selectbox(key=f"{key}::outcome").set_value("eligible")
    _submit_screening(at, app_id)
    assert not at.exception
    assert "仍有1项不符合,不能判定为审查合格" in _errors(at)
    assert _app(app_id)["state"] == "screening"


def test_return_for_more_material_with_a_due_date(demo_db):
    app_id = _first("screening")
    due = dt.date.today() + dt.timedelta(days=7)
    at = _screen_form(app_id)
    key = f"screen_form:{app_id}"
    at.checkbox(key=f"{key}::ok_3").uncheck()
    at.text_input(key=f"{key}::why_3").input("缺少配套资金说明")
    at.selectbox(key=f"{key}::outcome").set_value("returned")
    at.date_input(key=f"{key}::return_due").set_value(due)
    _submit_screening(at, app_id)
    assert not at.exception
    assert not _errors(at)
    app = _app(app_id)
    assert app["state"] == "returned"
    assert app["returned_count"] == 1
    assert app["return_due"] == due
    rows = _db().fetch_all("SELECT * FROM screenings WHERE application_id = ? ORDER BY id", [app_id])
    assert rows[-1]["outcome"] == "returned"
    assert list(rows[-1]["items_failed"]) == ["配套资金说明"]
    assert "已记录审查结论:退回补充材料" in _successes(at)


def test_return_without_a_due_date_is_refused(demo_db):
    app_id = _first("screening")
    at = _screen_form(app_id)
    key = f"screen_form:{app_id}"
    at.text_area(key=f"{key}::reasons").input("请补充财务报表")
    at.selectbox(key=f"{key}::outcome").set_value("returned")
    _submit_screening(at, app_id)
    assert not at.exception
    assert "退回补充材料须填写补交期限" in _errors(at)
    assert _app(app_id)["state"] == "screening"


def test_eligible_with_every_item_ticked(demo_db):
    app_id = _first("screening")
    audit_before = _audited()
    at = _screen_form(app_id)
    at.selectbox(key=f"screen_form:{app_id}::outcome").set_value("eligible")
    _submit_screening(at, app_id)
    assert not at.exception
    assert not _errors(at)
    assert _app(app_id)["state"] == "eligible"
    row = _db().fetch_one("SELECT * FROM screenings WHERE application_id = ? ORDER BY id DESC LIMIT 1", [app_id])
    assert row["outcome"] == "eligible" and list(row["items_failed"]) == []
    assert _audited() == audit_before + 3  # application, event, screening
    assert "已记录审查结论:审查合格" in _successes(at)


def test_returned_application_waits_then_can_be_judged_late(demo_db):
    app_id = _first("returned")
    at = _screen_form(app_id)
    assert not at.exception
    assert any("已退回补充材料" in plain(i.value) for i in at.info)
    assert not [b for b in at.button if b.key == f"screen:late:{app_id}"]  # not due yet
    with _db().transaction() as tx:  # the due date passes
        tx.execute("UPDATE applications SET return_due = current_date - 1 WHERE id = ?", [app_id])
        tx.touch("applications")
    at.run()
    assert "已逾期" in set(at.dataframe[0].value["逾期"])
    at.button(key=f"screen:late:{app_id}").click().run()
    assert _app(app_id)["state"] == "returned"  # irreversible: asked first
    at.button(key=f"screen:late:{app_id}:yes").click().run()
    assert not at.exception
    assert _app(app_id)["state"] == "ineligible"
    assert _events(app_id)[-1]["note"] == "逾期未补充材料"
    assert "已判定不合格" in _successes(at)


# ---- issue 12: drafts reachable and editable, screens that keep the input and say what happened --------

def test_a_draft_opens_in_the_editor_from_the_list_and_from_the_detail(demo_db):
    draft = _first("draft")
    link = (f"编辑并提交此草稿(编号 {draft})", "apply", f"id={draft}")
    at = _staff("application-list", id=str(draft))  # the list's selection (its URL) shows the draft below it
    assert not at.exception
    assert link in page_links(at), page_links(at)
    at = _staff("application", id=str(draft))
    assert not at.exception
    assert link in page_links(at), page_links(at)
    returned = _first("returned")
    assert (f"编辑并提交此退回补充的申报(编号 {returned})", "apply", f"id={returned}") in page_links(
        _staff("application", id=str(returned)))
    submitted = _first("submitted")
    assert not [x for x in page_links(_staff("application", id=str(submitted))) if x[1] == "apply"]


def test_intake_offers_every_draft_and_opens_the_chosen_one(demo_db):
    drafts = [r["id"] for r in _db().fetch_all("SELECT id FROM applications WHERE state IN ('draft', 'returned')")]
    at = _staff("apply")
    picker = at.selectbox(key="app_form:open")
    assert sorted(picker.options) == sorted(str(d) for d in drafts) or sorted(
        int(o.rsplit("编号 ", 1)[1]) for o in picker.options) == sorted(drafts)
    assert picker.value is None and "选择一个打开" in picker.placeholder
    draft = _first("draft")
    picker.set_value(draft).run()
    assert not at.exception
    assert at.query_params["id"] in (str(draft), [str(draft)])
    assert f"编辑申报 编号 {draft}" in texts(at)
    assert at.text_input(key="app_form::title").value == _app(draft)["title"]
    # edit it, save, and the change is stored; the editor stays on it
    at.text_input(key="app_form::target_group").input("辖区困境儿童")
    at.button(key=SUBMIT_DRAFT).click().run()
    assert not at.exception and not _errors(at)
    assert _app(draft)["target_group"] == "辖区困境儿童"
    assert f"编辑申报 编号 {draft}" in texts(at)


def test_a_submitted_application_opened_in_the_editor_says_why_and_links_to_its_page(demo_db):
    app_id = _first("submitted")
    at = _staff("apply", id=str(app_id))
    assert not at.exception
    assert any("不能再修改" in plain(w.value) for w in at.warning)
    assert (f"查看申报详情(编号 {app_id})", "application", f"id={app_id}") in page_links(at)


def test_detail_shows_money_counts_and_empty_values_as_people_read_them(demo_db):
    app_id = int(_db().scalar("SELECT min(id) FROM applications WHERE state = 'funded' AND granted_amount >= 1000"))
    app = _app(app_id)
    at = _staff("application", id=str(app_id))
    assert not at.exception
    content = {plain(r["项目"]): plain(r["内容"]) for r in _tables(at)[0].to_dict("records")}
    assert content["申请资助金额(元)"] == f"{float(app['requested_amount']):,.0f}"
    assert content["资助金额(元)"] == f"{float(app['granted_amount']):,.0f}"
    assert "," in content["资助金额(元)"]
    for tab in DETAIL_TABS:  # each tab as it is drawn while open
        shown = plain_all(_staff("application", id=str(app_id), tab=tab))
        for raw in ("None", "nan", "NaT", "24800.0", "00:00:00"):
            assert raw not in shown, (tab, raw)
    # a draft: nearly everything empty, shown as "—"
    draft = _first("draft")
    at = _staff("application", id=str(draft))
    content = {plain(r["项目"]): plain(r["内容"]) for r in _tables(at)[0].to_dict("records")}
    assert content["申请资助金额(元)"] == "—" and content["资助金额(元)"] == "—"
    assert content["计划服务人次"] in ("—",) or content["计划服务人次"].replace(",", "").isdigit()
    for tab in DETAIL_TABS:
        shown = plain_all(_staff("application", id=str(draft), tab=tab))
        for raw in ("None", "nan", "NaT"):
            assert raw not in shown, (tab, raw)
    assert "还没有资格审查记录" in texts(_staff("application", id=str(draft), tab="资格审查"))


def test_timeline_shows_people_by_name(demo_db):
    app_id = _first("eligible")
    at = _staff("application", id=str(app_id))
    at.button(key=f"move:{app_id}:under_review").click().run()
    assert not at.exception
    at = _staff("application", id=str(app_id), tab="流转记录")  # a read-only tab is drawn while open
    timeline = [t for t in _tables(at) if "操作人" in t.columns][0]
    who = [plain(v) for v in timeline["操作人"]]
    assert "王敏(工作人员)" in who and "staff" not in who and "system" not in who


def _start_screening(app_id: int) -> AppTest:
    at = _queue()
    at.selectbox(key="screen:chosen").set_value(app_id).run()
    at.button(key=f"screen:start:{app_id}").click().run()
    assert _app(app_id)["state"] == "screening"
    return at


def test_screening_submitted_without_a_conclusion_keeps_the_form_and_says_why(demo_db):
    app_id = _first("submitted")
    at = _start_screening(app_id)
    key = f"screen_form:{app_id}"
    before, screenings_before, audit_before = _app(app_id), _count("screenings"), _audited()
    at.checkbox(key=f"{key}::ok_1").uncheck()  # and no reason for it
    at.text_area(key=f"{key}::reasons").input("材料基本齐全")
    _submit_screening(at, app_id)
    assert not at.exception
    errors = _errors(at)
    assert "请选择审查结论" in errors
    assert "「无不良记录」不符合时须填写原因" in errors
    # nothing written; the selection, the form and what was typed stay
    assert _app(app_id) == before
    assert _count("screenings") == screenings_before and _audited() == audit_before
    assert at.selectbox(key="screen:chosen").value == app_id
    assert at.checkbox(key=f"{key}::ok_1").value is False
    assert at.text_area(key=f"{key}::reasons").value == "材料基本齐全"
    # corrected, it is recorded
    at.text_input(key=f"{key}::why_1").input("有一次行政处罚")
    at.selectbox(key=f"{key}::outcome").set_value("ineligible")
    _submit_screening(at, app_id)
    assert not at.exception and not _errors(at)
    assert _app(app_id)["state"] == "ineligible"


def test_screening_keeps_the_chosen_application_in_the_url(demo_db):
    app_id = _first("screening")
    at = _staff("screening-queue", id=str(app_id))  # F5 or a shared link
    assert not at.exception
    assert at.selectbox(key="screen:chosen").value == app_id
    assert at.checkbox(key=f"screen_form:{app_id}::ok_0").value is True
    labels = at.selectbox(key="screen:chosen").options
    assert all("资格审查中" not in o and "已提交" not in o for o in labels)  # labels do not change with the state
    other = _first("submitted")
    at.selectbox(key="screen:chosen").set_value(other).run()
    assert at.query_params["id"] in (str(other), [str(other)])


def test_my_screens_speak_chinese(demo_db):
    for url, query in (("apply", {}), ("application-list", {}), ("application", {"id": str(_first("draft"))}),
                       ("screening-queue", {"id": str(_first("screening"))})):
        at = _staff(url, **query)
        assert not at.exception
        for box in list(at.selectbox) + list(at.multiselect):
            assert box.placeholder and "Choose" not in box.placeholder and "Select" not in box.placeholder, (url, box.key)
