"""资助决定与公示: only admins decide, grants stay within the request, the ceiling and the round's budget,
quotas warn, the notice is published once, objections are closed with a result, and the final decision
after the notice period funds every noticed project."""
from __future__ import annotations

import datetime as dt

import pytest

from core.intake import applications, rounds, workflow
from core.review import decisions
from core.platform.errors import PermissionDenied, ValidationFailed
from tests.test_rounds import (  # noqa: F401  (hub is a fixture)
    ADMIN, STAFF, audit_rows, counts, hub, last_audit_id, make_app, make_org, make_round, walk, with_amount,
)

D = dt.date
NOTICE_END = D(2026, 5, 12)
TODAY = dt.date.today()


def recommended(round_id: int, serial: int, **overrides) -> int:
    app_id = make_app(round_id, make_org(serial), submit=True, **overrides)
    walk(app_id, "screening", "eligible", "under_review", "reviewed", "recommended", actor=STAFF)
    return app_id


@pytest.fixture
def rnd(hub):
    return make_round(total_budget=150000, categories=["社区治理", "一老一小", "文化建设"])


def grant(app_id: int, amount: float, note: str | None = None) -> list[str]:
    return decisions.decide(app_id, {"decision": "资助", "granted_amount": amount, "note": note}, ADMIN)


def refused_decision(db, app_id, values, actor=ADMIN, exc=ValidationFailed):
    before, app_before = counts(db), applications.get(app_id)
    with pytest.raises(exc) as info:
        decisions.decide(app_id, values, actor)
    assert counts(db) == before
    assert applications.get(app_id) == app_before
    return info.value


# ---- decide ---------------------------------------------------------------------------------------

def test_a_grant_moves_to_public_notice_with_the_amount(hub, rnd):
    app_id = recommended(rnd, 1)
    mark = last_audit_id(hub)
    assert grant(app_id, 35000, note="压缩宣传费用") == []
    app = applications.get(app_id)
    assert (app["state"], float(app["granted_amount"]), app["decision_note"]) == ("public_notice", 35000.0, "压缩宣传费用")
    assert hub.fetch_one("SELECT from_state, to_state, note, created_by FROM application_events ORDER BY id DESC"
                         " LIMIT 1") == {"from_state": "recommended", "to_state": "public_notice",
                                         "note": "压缩宣传费用", "created_by": "chen"}
    assert [(a["table_name"], a["action"]) for a in audit_rows(hub, mark)] == [
        ("applications", "move"), ("application_events", "create")]
    assert decisions.granted_total(rnd) == 35000.0


def test_a_grant_without_note_is_noted_as_decided(hub, rnd):
    app_id = recommended(rnd, 1)
    grant(app_id, 40000)
    assert applications.get(app_id)["decision_note"] is None
    assert hub.scalar("SELECT note FROM application_events ORDER BY id DESC LIMIT 1") == "决定资助"


def test_only_admins_decide(hub, rnd):
    app_id = recommended(rnd, 1)
    failure = refused_decision(hub, app_id, {"decision": "资助", "granted_amount": 40000}, actor=STAFF,
                               exc=PermissionDenied)
    assert str(failure) == "只有管理员可以作出资助决定"


def test_a_grant_needs_a_positive_amount(hub, rnd):
    app_id = recommended(rnd, 1)
    for amount in (None, 0):
        failure = refused_decision(hub, app_id, {"decision": "资助", "granted_amount": amount})
        assert failure.fields == {"granted_amount": ["决定资助时须填写大于0的资助金额"]}


def test_a_grant_may_not_exceed_the_request(hub, rnd):
    app_id = recommended(rnd, 1)
    failure = refused_decision(hub, app_id, {"decision": "资助", "granted_amount": 40000.01})
    assert failure.fields == {"granted_amount": ["资助金额不能超过申请金额(40,000.00元)"]}
    grant(app_id, 40000)  # exactly the request
    assert applications.get(app_id)["state"] == "public_notice"


def test_a_grant_may_not_exceed_the_ceiling(hub, rnd):
    app_id = recommended(rnd, 1)
    rounds.update(rnd, {"project_ceiling": 30000}, ADMIN, override_reason="街道压减单项上限")
    failure = refused_decision(hub, app_id, {"decision": "资助", "granted_amount": 35000})
    assert failure.fields == {"granted_amount": ["资助金额不能超过单个项目上限(30,000.00元)"]}
    grant(app_id, 30000)
    assert float(applications.get(app_id)["granted_amount"]) == 30000.0


def test_the_round_total_may_not_exceed_the_budget(hub, rnd):
    a = recommended(rnd, 1, **with_amount(80000))
    b = recommended(rnd, 2, **with_amount(80000), title="四点半课堂")
    grant(a, 80000)
    failure = refused_decision(hub, b, {"decision": "资助", "granted_amount": 70000.01})
    assert failure.fields == {"granted_amount": ["超出批次资金总额:剩余可分配 70,000.00 元"]}
    grant(b, 70000)
    assert decisions.granted_total(rnd) == 150000.0
    c = recommended(rnd, 3, title="邻里议事厅", category="社区治理")
    failure = refused_decision(hub, c, {"decision": "资助", "granted_amount": 1})
    assert failure.fields == {"granted_amount": ["超出批次资金总额:剩余可分配 0.00 元"]}


def test_the_budget_is_checked_again_at_the_moment_of_the_move(hub, rnd, monkeypatch):
    """Another admin's grant that lands between reading the budget and moving is seen: no overspending."""
    a = recommended(rnd, 1, **with_amount(80000))
    b = recommended(rnd, 2, **with_amount(80000), title="四点半课堂")
    real_move = workflow.move

    def other_admin_first(entity, app_id, target, actor, **kwargs):
        if app_id == b:
            real_move(entity, a, "public_notice", ADMIN, system={"granted_amount": 80000})
        return real_move(entity, app_id, target, actor, **kwargs)

    with monkeypatch.context() as m:
        m.setattr(workflow, "move", other_admin_first)
        with pytest.raises(ValidationFailed) as info:
            grant(b, 80000)
    assert info.value.fields == {"granted_amount": ["超出批次资金总额:剩余可分配 70,000.00 元"]}
    assert [applications.get(x)["state"] for x in (a, b)] == ["public_notice", "recommended"]
    assert decisions.granted_total(rnd) == 80000.0


def test_several_grant_problems_are_reported_together(hub, rnd):
    a = recommended(rnd, 1, **with_amount(80000))
    b = recommended(rnd, 2, **with_amount(50000), title="四点半课堂")
    grant(a, 80000)
    rounds.update(rnd, {"project_ceiling": 30000}, ADMIN, override_reason="压减上限")
    failure = refused_decision(hub, b, {"decision": "资助", "granted_amount": 75000})
    assert failure.fields == {"granted_amount": [
        "资助金额不能超过申请金额(50,000.00元)", "资助金额不能超过单个项目上限(30,000.00元)",
        "超出批次资金总额:剩余可分配 70,000.00 元"]}


def test_a_category_quota_only_warns(hub):
    rid = make_round(total_budget=150000, categories=["社区治理", "一老一小"])
    rounds.set_quotas(rid, {"一老一小": 50000, "社区治理": 100000}, ADMIN)
    a = recommended(rid, 1)
    b = recommended(rid, 2, title="四点半课堂")
    assert grant(a, 30000) == []
    warnings = grant(b, 25000)
    assert warnings == ["「一老一小」类别已分配 55,000.00 元,超过该类别额度 50,000.00 元"]
    assert applications.get(b)["state"] == "public_notice"
    assert decisions.granted_total(rid, category="一老一小") == 55000.0
    assert decisions.granted_total(rid, category="社区治理") == 0.0


def test_a_rejection_needs_a_note(hub, rnd):
    app_id = recommended(rnd, 1)
    for note in (None, "  "):
        failure = refused_decision(hub, app_id, {"decision": "不予资助", "note": note})
        assert failure.fields == {"note": ["决定不予资助时须填写原因"]}
    assert decisions.decide(app_id, {"decision": "不予资助", "granted_amount": 20000, "note": "预算编制不合理"},
                            ADMIN) == []
    app = applications.get(app_id)
    assert (app["state"], app["granted_amount"], app["decision_note"]) == ("rejected", None, "预算编制不合理")
    assert hub.fetch_one("SELECT from_state, to_state, note FROM application_events ORDER BY id DESC LIMIT 1") == {
        "from_state": "recommended", "to_state": "rejected", "note": "预算编制不合理"}


def test_a_not_recommended_application_can_only_be_rejected(hub, rnd):
    app_id = make_app(rnd, make_org(1), submit=True)
    walk(app_id, "screening", "eligible", "under_review", "reviewed", "not_recommended")
    failure = refused_decision(hub, app_id, {"decision": "资助", "granted_amount": 10000}, exc=workflow.MoveRefused)
    assert str(failure) == "流程不允许从「不推荐」直接转为「公示中」"
    decisions.decide(app_id, {"decision": "不予资助", "note": "专家评分低于60分"}, ADMIN)
    assert applications.get(app_id)["state"] == "rejected"


def test_an_unknown_decision_is_refused(hub, rnd):
    app_id = recommended(rnd, 1)
    failure = refused_decision(hub, app_id, {"decision": "再议", "note": "下次再说"})
    assert failure.fields == {"decision": ["请从列表中选择决定"]}


# ---- the notice -----------------------------------------------------------------------------------

@pytest.fixture
def decided(hub, rnd):
    """Two projects granted (in 一老一小 and 社区治理), one rejected."""
    a = recommended(rnd, 1)
    b = recommended(rnd, 2, title="邻里议事厅协商共治", category="社区治理", communities=["下沙社区"])
    c = recommended(rnd, 3, title="四点半课堂")
    grant(a, 40000)
    grant(b, 30000)
    decisions.decide(c, {"decision": "不予资助", "note": "与已资助项目重复"}, ADMIN)
    return a, b, c


def test_notice_list_holds_the_granted_projects(hub, rnd, decided):
    a, b, _ = decided
    df = decisions.notice_list(rnd).rename(columns=decisions.NOTICE_COLUMNS)
    assert list(df.columns) == ["编号", "项目名称", "申报组织", "项目类别", "服务社区", "拟资助金额(元)"]
    rows = [{k: (float(v) if k == "拟资助金额(元)" else v) for k, v in r.items()} for r in df.to_dict("records")]
    assert rows == [
        {"编号": a, "项目名称": "幸福食堂助餐服务", "申报组织": "下沙街道测试社会组织第1号", "项目类别": "一老一小",
         "服务社区": "文海社区、高沙社区", "拟资助金额(元)": 40000.0},
        {"编号": b, "项目名称": "邻里议事厅协商共治", "申报组织": "下沙街道测试社会组织第2号", "项目类别": "社区治理",
         "服务社区": "下沙社区", "拟资助金额(元)": 30000.0},
    ]


def test_publish_notice_needs_a_granted_project(hub, rnd):
    recommended(rnd, 1)
    mark = last_audit_id(hub)
    with pytest.raises(ValidationFailed) as info:
        decisions.publish_notice(rnd, ADMIN)
    assert info.value.form == ["还没有决定资助的项目,不能发布公示"]
    assert rounds.get(rnd)["notice_published_at"] is None
    assert last_audit_id(hub) == mark


def test_only_admins_publish(hub, rnd, decided):
    with pytest.raises(PermissionDenied, match="^只有管理员可以发布公示$"):
        decisions.publish_notice(rnd, STAFF)
    assert rounds.get(rnd)["notice_published_at"] is None


def test_publish_notice_once(hub, rnd, decided):
    mark = last_audit_id(hub)
    decisions.publish_notice(rnd, ADMIN)
    published = rounds.get(rnd)["notice_published_at"]
    assert isinstance(published, dt.datetime)
    assert [(a["table_name"], a["row_key"], a["action"]) for a in audit_rows(hub, mark)] == [
        ("rounds", str(rnd), "publish_notice")]
    mark = last_audit_id(hub)
    with pytest.raises(ValidationFailed) as info:
        decisions.publish_notice(rnd, ADMIN)
    assert info.value.form == [f"公示已于 {published:%Y-%m-%d %H:%M} 发布"]
    assert rounds.get(rnd)["notice_published_at"] == published
    assert last_audit_id(hub) == mark


def test_no_decision_once_the_notice_is_published(hub, rnd, decided):
    """A project decided after publication would be funded without ever having been on the notice."""
    late = recommended(rnd, 4, title="银龄智慧助老课堂")
    decisions.publish_notice(rnd, ADMIN)
    failure = refused_decision(hub, late, {"decision": "资助", "granted_amount": 20000})
    assert failure.form == ["公示已发布,不能再决定资助:未经公示的项目不能立项"]
    decisions.decide(late, {"decision": "不予资助", "note": "错过公示"}, ADMIN)  # declining is still possible
    assert applications.get(late)["state"] == "rejected"


# ---- objections and the final decision ------------------------------------------------------------

def objection(app_id=None, **overrides) -> dict:
    values = {"application_id": app_id, "received_date": TODAY, "content": "该项目与去年项目内容重复",
              "handling": None, "result": None, "closed": False}
    values.update(overrides)
    return values


def test_closing_an_objection_needs_a_result(hub, rnd, decided):
    a = decided[0]
    decisions.publish_notice(rnd, ADMIN)
    with pytest.raises(ValidationFailed) as info:
        decisions.add_objection(rnd, objection(a, closed=True), STAFF)
    assert info.value.fields == {"result": ["办结异议时须填写处理结果"]}
    oid = decisions.add_objection(rnd, objection(a), STAFF)
    with pytest.raises(ValidationFailed) as info:
        decisions.update_objection(oid, {"closed": True, "handling": "已电话联系异议人"}, STAFF)
    assert info.value.fields == {"result": ["办结异议时须填写处理结果"]}
    assert decisions.update_objection(oid, {"closed": True, "result": "经核实内容不重复,异议不成立"}, STAFF) is True
    rows = decisions.objections(rnd).to_dict("records")
    assert [(r["application_id"], r["content"], r["result"], bool(r["closed"])) for r in rows] == [
        (a, "该项目与去年项目内容重复", "经核实内容不重复,异议不成立", True)]


def test_an_objection_must_name_a_noticed_project_and_not_a_future_date(hub, rnd, decided):
    rejected = decided[2]
    with pytest.raises(ValidationFailed) as info:
        decisions.add_objection(rnd, objection(rejected, received_date=TODAY + dt.timedelta(days=1)), STAFF)
    assert info.value.fields == {"application_id": ["请从列表中选择涉及项目"], "received_date": ["收到日期不能晚于今天"]}
    assert counts(hub, "objections")["objections"] == 0


def test_finalise_is_admin_only_and_needs_the_notice(hub, rnd, decided):
    with pytest.raises(PermissionDenied, match="^只有管理员可以确认立项$"):
        decisions.finalise(rnd, STAFF, today=D(2026, 6, 1))
    with pytest.raises(ValidationFailed) as info:
        decisions.finalise(rnd, ADMIN, today=D(2026, 6, 1))
    assert info.value.form == ["请先发布公示"]


def test_finalise_waits_for_the_notice_period_and_open_objections(hub, rnd, decided):
    a, b, c = decided
    decisions.publish_notice(rnd, ADMIN)
    oid = decisions.add_objection(rnd, objection(b), STAFF)
    decisions.add_objection(rnd, objection(None, content="公示期太短", closed=True, result="按规定公示7天,已答复"), STAFF)
    before = counts(hub)
    for today in (D(2026, 5, 6), NOTICE_END):
        with pytest.raises(ValidationFailed) as info:
            decisions.finalise(rnd, ADMIN, today=today)
        assert info.value.form == ["公示期至 2026-05-12 结束,期满后才能确认立项"]
    with pytest.raises(ValidationFailed) as info:
        decisions.finalise(rnd, ADMIN, today=NOTICE_END + dt.timedelta(days=1))
    assert info.value.form == ["还有 1 条异议未办结,办结后才能确认立项"]
    assert counts(hub) == before
    assert [applications.get(x)["state"] for x in (a, b, c)] == ["public_notice", "public_notice", "rejected"]

    decisions.update_objection(oid, {"closed": True, "result": "异议不成立"}, ADMIN)
    mark = last_audit_id(hub)
    events_before = counts(hub, "application_events")["application_events"]
    assert decisions.finalise(rnd, ADMIN, today=NOTICE_END + dt.timedelta(days=1)) == 2
    assert [applications.get(x)["state"] for x in (a, b, c)] == ["funded", "funded", "rejected"]
    events = hub.fetch_all("SELECT application_id, from_state, to_state, note, created_by FROM application_events"
                           " WHERE id > (SELECT max(id) - 2 FROM application_events) ORDER BY id")
    assert events == [
        {"application_id": x, "from_state": "public_notice", "to_state": "funded", "note": "公示期满,无未办结异议",
         "created_by": "chen"} for x in (a, b)]
    assert counts(hub, "application_events")["application_events"] == events_before + 2
    assert [(r["table_name"], r["action"]) for r in audit_rows(hub, mark)] == [
        ("applications", "move"), ("application_events", "create")] * 2
    assert decisions.granted_total(rnd) == 70000.0
    funded = rounds.all_rounds().set_index("id").loc[rnd]
    assert (int(funded["funded"]), float(funded["granted"])) == (2, 70000.0)
    # the notice list still shows the funded projects; finalising again funds nothing more
    assert decisions.notice_list(rnd)["id"].tolist() == [a, b]
    assert decisions.finalise(rnd, ADMIN, today=NOTICE_END + dt.timedelta(days=2)) == 0


def test_an_objection_upheld_cancels_one_grant(hub, rnd, decided):
    a, b, _ = decided
    decisions.publish_notice(rnd, ADMIN)
    workflow.move(applications.APPLICATION, b, "rejected", ADMIN, note="异议成立,取消资助")
    assert decisions.finalise(rnd, ADMIN, today=NOTICE_END + dt.timedelta(days=1)) == 1
    assert [applications.get(x)["state"] for x in (a, b)] == ["funded", "rejected"]
    assert decisions.granted_total(rnd) == 40000.0
