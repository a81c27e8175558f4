"""项目申报: the schema's cross-field rules, the round's rules (``round_problems``), drafts, submission,
and 资格审查 (eligible / ineligible / returned once) — a refused action changes nothing."""
from __future__ import annotations

import datetime as dt

import pytest

from core.intake import applications, rounds, workflow
from core.platform import records
from core.platform.errors import PermissionDenied, ValidationFailed
from core.platform.validation import validate
from schemas.application import Application, ApplicationDraft, screening_schema
from tests.test_rounds import (  # noqa: F401  (hub is a fixture)
    ADMIN, REVIEWER, STAFF, STONES, app_values, audit_rows, counts, hub, last_audit_id, make_app, make_org,
    make_round, walk, with_amount,
)

D = dt.date
MSG_BUDGET = "五项预算(人员、物资、场地、宣传、其他)之和须等于申请资助金额"
MSG_COFUNDING = "有其他来源的配套资金时,请填写配套资金说明"
MSG_NO_STONE = "请至少填写一个里程碑(日期和交付成果)"
MSG_INCOMPLETE = "申报内容不完整,请补全后再提交"
CHECKLIST = ["登记/备案有效", "无不良记录", "预算不超上限", "配套资金说明"]
ALL_OK = {f"ok_{i}": True for i in range(4)}


# ---- the schema's own rules (no database) ---------------------------------------------------------

def _values(**overrides) -> dict:
    return app_values(1, 1, **overrides)


@pytest.fixture
def static_lists(monkeypatch):
    """rounds/orgs/communities as fixed lists, so the schema can be checked without a database."""
    from schemas import choices

    monkeypatch.setitem(choices._providers, "rounds", lambda: [1])
    monkeypatch.setitem(choices._providers, "orgs", lambda: [1])
    monkeypatch.setitem(choices._providers, "communities", lambda: list(choices.DEMO_COMMUNITIES))


def test_a_complete_application_passes(static_lists):
    out = validate(Application, _values())
    assert (out["requested_amount"], out["budget_personnel"], out["communities"]) == (
        40000.0, 20000.0, ["文海社区", "高沙社区"])


def test_budget_lines_must_sum_to_the_request(static_lists):
    with pytest.raises(ValidationFailed) as info:
        validate(Application, _values(budget_other=2500))
    assert info.value.fields == {"requested_amount": [MSG_BUDGET]}
    with pytest.raises(ValidationFailed) as info:
        validate(Application, _values(requested_amount=40000.01))
    assert info.value.fields == {"requested_amount": [MSG_BUDGET]}


def test_the_budget_rule_waits_until_every_line_is_filled(static_lists):
    out = validate(ApplicationDraft, {"round_id": 1, "org_id": 1, "title": "幸福食堂助餐服务",
                                      "budget_personnel": 100, "requested_amount": 40000})
    assert (out["budget_personnel"], out["budget_other"], out["requested_amount"]) == (100.0, None, 40000.0)
    with pytest.raises(ValidationFailed) as info:  # all five filled in a draft: the rule applies
        validate(ApplicationDraft, {"round_id": 1, "org_id": 1, "title": "幸福食堂助餐服务", **with_amount(100),
                                    "requested_amount": 200})
    assert info.value.fields == {"requested_amount": [MSG_BUDGET]}


def test_other_cofunding_needs_a_note(static_lists):
    with pytest.raises(ValidationFailed) as info:
        validate(Application, _values(cofunding_other=5000))
    assert info.value.fields == {"cofunding_note": [MSG_COFUNDING]}
    with pytest.raises(ValidationFailed) as info:
        validate(Application, _values(cofunding_other=5000, cofunding_note="   "))
    assert info.value.fields == {"cofunding_note": [MSG_COFUNDING]}
    out = validate(Application, _values(cofunding_other=5000, cofunding_note="辖区企业捐赠物资"))
    assert (out["cofunding_other"], out["cofunding_note"]) == (5000.0, "辖区企业捐赠物资")
    assert validate(Application, _values(cofunding_other=0, cofunding_self=3000))["cofunding_self"] == 3000.0


def test_requested_amount_must_be_positive_money(static_lists):
    with pytest.raises(ValidationFailed) as info:
        validate(Application, _values(**with_amount(0)))
    assert info.value.fields == {"requested_amount": ["申请资助金额(元)必须大于0"]}
    with pytest.raises(ValidationFailed) as info:
        validate(Application, _values(budget_personnel=20000.001, requested_amount=40000.001))
    assert set(info.value.fields) == {"budget_personnel", "requested_amount"}
    assert info.value.fields["budget_personnel"] == ["预算:人员(元)须为不小于0的金额(元),最多两位小数"]


# ---- round_problems: every rule of the round, as a unit ---------------------------------------------

RND = {"max_apps_per_org": 1, "notice_published_at": None, "categories": ["社区治理", "一老一小"],
       "project_ceiling": 80000, "project_start": D(2026, 6, 1), "project_end": D(2027, 3, 31)}
ORG = {"id": 7, "name": "下沙街道测试社会组织第7号", "active": True}
RECORD = {"category": "一老一小", "requested_amount": 40000.0}
STONE_OK = [{"due_date": D(2026, 6, 1), "deliverable": "启动"}, {"due_date": D(2027, 3, 31), "deliverable": "结项"}]


def problems(record=None, stones=None, rnd=None, org=ORG, others=0, full=True) -> dict | None:
    p = applications.round_problems(dict(RECORD, **(record or {})), STONE_OK if stones is None else stones,
                                    dict(RND, **(rnd or {})), org, others, full=full)
    return None if p is None else {"fields": p.fields, "form": p.form}


def test_round_problems_none_for_a_good_application():
    assert problems() is None
    assert problems(record={"requested_amount": 80000.0}) is None  # exactly the ceiling
    assert problems(others=1, rnd={"max_apps_per_org": 2}) is None


def test_round_problems_request_above_the_ceiling():
    assert problems(record={"requested_amount": 80000.01}) == {
        "fields": {"requested_amount": ["申请资助金额超过本批次单个项目上限(80,000元)"]}, "form": []}


def test_round_problems_category_not_in_the_round():
    assert problems(record={"category": "文化建设"}) == {
        "fields": {"category": ["「文化建设」不是本批次的项目类别"]}, "form": []}


def test_round_problems_milestones_inside_the_project_period():
    stones = [{"due_date": D(2026, 5, 31), "deliverable": "启动"}, {"due_date": D(2026, 7, 1), "deliverable": "中期"},
              {"due_date": dt.datetime(2027, 4, 1, 9, 0), "deliverable": "结项"}]
    msg = "里程碑第{}行的日期须在项目执行期(2026-06-01至2027-03-31)内"
    assert problems(stones=stones) == {"fields": {"milestones": [msg.format(1), msg.format(3)]}, "form": []}


def test_round_problems_at_least_one_milestone_on_submit_only():
    assert problems(stones=[]) == {"fields": {"milestones": [MSG_NO_STONE]}, "form": []}
    assert problems(stones=[], full=False) is None


def test_round_problems_organisation_must_be_active_and_known():
    assert problems(org=dict(ORG, active=False)) == {
        "fields": {"org_id": ["「下沙街道测试社会组织第7号」已注销或不在册,不能申报"]}, "form": []}
    assert problems(org=None) == {"fields": {"org_id": ["申报组织不在台账中"]}, "form": []}


def test_round_problems_quota_per_organisation():
    assert problems(others=1) == {
        "fields": {"org_id": ["该组织在本批次已有1个申报项目,达到每个组织1个的上限"]}, "form": []}
    assert problems(others=3, rnd={"max_apps_per_org": 3}) == {
        "fields": {"org_id": ["该组织在本批次已有3个申报项目,达到每个组织3个的上限"]}, "form": []}


def test_round_problems_notice_published_blocks_applications():
    assert problems(rnd={"notice_published_at": dt.datetime(2026, 5, 6, 9, 0)}) == {
        "fields": {"round_id": ["该批次已进入公示,不能再申报"]}, "form": []}


def test_round_problems_reports_everything_at_once():
    got = problems(record={"category": "文化建设", "requested_amount": 90000.0}, stones=[],
                   org=dict(ORG, active=False), others=1)
    assert got["fields"] == {
        "org_id": ["「下沙街道测试社会组织第7号」已注销或不在册,不能申报",
                   "该组织在本批次已有1个申报项目,达到每个组织1个的上限"],
        "category": ["「文化建设」不是本批次的项目类别"],
        "requested_amount": ["申请资助金额超过本批次单个项目上限(80,000元)"],
        "milestones": [MSG_NO_STONE],
    }


# ---- drafts -----------------------------------------------------------------------------------------

@pytest.fixture
def rnd(hub):
    return make_round(categories=["社区治理", "一老一小", "文化建设"])


@pytest.fixture
def org(hub):
    return make_org(1)


def test_a_draft_needs_only_round_org_and_title(hub, rnd, org):
    before = counts(hub)
    mark = last_audit_id(hub)
    app_id = applications.save_draft({"round_id": rnd, "org_id": org, "title": "  四点半课堂  "}, [], STAFF)
    app = applications.get(app_id)
    assert (app["state"], app["title"], app["round_id"], app["org_id"]) == ("draft", "四点半课堂", rnd, org)
    assert (app["category"], app["requested_amount"], app["submitted_at"], app["idea_id"]) == (None, None, None, None)
    assert app["created_by"] == "wangmin" and app["returned_count"] == 0
    events = hub.fetch_all("SELECT application_id, from_state, to_state, note, created_by FROM application_events")
    assert events == [{"application_id": app_id, "from_state": None, "to_state": "draft", "note": "新建申报草稿",
                       "created_by": "wangmin"}]
    after = counts(hub)
    assert after["applications"] == before["applications"] + 1
    assert after["application_events"] == before["application_events"] + 1
    assert [(a["table_name"], a["action"]) for a in audit_rows(hub, mark)] == [
        ("applications", "create"), ("application_events", "create")]


def test_a_draft_still_needs_its_three_fields(hub, rnd, org):
    with pytest.raises(ValidationFailed) as info:
        applications.save_draft({"round_id": rnd, "org_id": None, "title": ""}, [], STAFF)
    assert info.value.fields == {"org_id": ["请选择申报组织"], "title": ["请填写项目名称"]}
    assert counts(hub, "applications")["applications"] == 0


def test_a_draft_with_a_bad_filled_field_is_refused(hub, rnd, org):
    before = counts(hub)
    with pytest.raises(ValidationFailed) as info:
        applications.save_draft({"round_id": rnd, "org_id": org, "title": "四点半课堂", "budget_personnel": -5,
                                 "planned_beneficiaries": 0}, [], STAFF)
    assert info.value.fields == {"budget_personnel": ["预算:人员(元)须为不小于0的金额(元),最多两位小数"],
                                 "planned_beneficiaries": ["计划服务人次不能小于1"]}
    assert counts(hub) == before


def test_a_draft_with_a_bad_milestone_row_is_refused(hub, rnd, org):
    with pytest.raises(ValidationFailed) as info:
        applications.save_draft({"round_id": rnd, "org_id": org, "title": "四点半课堂"},
                                [{"due_date": D(2026, 7, 1), "deliverable": "开"},
                                 {"due_date": None, "deliverable": None}],
                                STAFF)
    assert info.value.fields == {"milestones": ["里程碑第1行:交付成果长度应为2–200个字符"]}
    assert counts(hub, "applications")["applications"] == 0


def test_a_draft_applies_the_round_rules_to_what_is_filled(hub, rnd, org):
    with pytest.raises(ValidationFailed) as info:
        applications.save_draft({"round_id": rnd, "org_id": org, "title": "四点半课堂", "category": "共同富裕",
                                 **with_amount(90000)}, [{"due_date": D(2026, 1, 5), "deliverable": "启动会"}], STAFF)
    assert info.value.fields == {
        "category": ["「共同富裕」不是本批次的项目类别"],
        "requested_amount": ["申请资助金额超过本批次单个项目上限(80,000元)"],
        "milestones": ["里程碑第1行的日期须在项目执行期(2026-06-01至2027-03-31)内"],
    }
    assert counts(hub, "applications")["applications"] == 0


def test_updating_a_draft_replaces_its_milestones(hub, rnd, org):
    app_id = applications.save_draft({"round_id": rnd, "org_id": org, "title": "四点半课堂"}, STONES, STAFF)
    assert [(m["due_date"], m["deliverable"]) for m in applications.milestones(app_id)] == [
        (D(2026, 9, 30), "中期自评报告"), (D(2027, 3, 15), "结项报告")]
    mark = last_audit_id(hub)
    # saving the same milestones again writes nothing for them
    applications.save_draft({"round_id": rnd, "org_id": org, "title": "四点半课堂(修改)"}, list(reversed(STONES)),
                            STAFF, app_id=app_id)
    assert [(a["table_name"], a["action"]) for a in audit_rows(hub, mark)] == [("applications", "update")]
    applications.save_draft({"round_id": rnd, "org_id": org, "title": "四点半课堂(修改)"},
                            [{"due_date": D(2026, 8, 1), "deliverable": "暑期班总结"}], STAFF, app_id=app_id)
    assert [(m["due_date"], m["deliverable"]) for m in applications.milestones(app_id)] == [
        (D(2026, 8, 1), "暑期班总结")]
    assert applications.get(app_id)["title"] == "四点半课堂(修改)"


def test_only_drafts_and_returned_applications_can_be_edited(hub, rnd, org):
    app_id = make_app(rnd, org, submit=True)
    with pytest.raises(ValidationFailed) as info:
        applications.save_draft(app_values(rnd, org, title="改名的项目"), STONES, STAFF, app_id=app_id)
    assert info.value.form == ["「已提交」状态的申报不能修改"]
    assert applications.get(app_id)["title"] == "幸福食堂助餐服务"


def test_reviewers_and_leaders_cannot_write_applications(hub, rnd, org):
    from core.platform.actor import Actor

    for who in (REVIEWER, Actor("zhang", ("leader",))):
        with pytest.raises(PermissionDenied, match="当前账号无权修改申报项目"):
            applications.save_draft({"round_id": rnd, "org_id": org, "title": "四点半课堂"}, [], who)
    assert counts(hub, "applications")["applications"] == 0


# ---- the round's rules through save_draft / submit --------------------------------------------------

def test_an_inactive_organisation_cannot_apply(hub, rnd):
    org = make_org(2, active=False)
    with pytest.raises(ValidationFailed) as info:
        make_app(rnd, org)
    assert info.value.fields == {"org_id": ["「下沙街道测试社会组织第2号」已注销或不在册,不能申报"]}
    assert counts(hub, "applications")["applications"] == 0


def test_an_organisation_deregistered_after_its_draft_cannot_submit(hub, rnd, org):
    from core.orgs import organisations

    app_id = make_app(rnd, org)
    organisations.update(org, {"active": False}, ADMIN)
    with pytest.raises(ValidationFailed) as info:
        applications.submit(app_id, STAFF)
    assert info.value.fields == {"org_id": ["「下沙街道测试社会组织第1号」已注销或不在册,不能申报"]}
    assert applications.get(app_id)["state"] == "draft"


def test_organisation_quota_per_round_and_withdrawn_ones_do_not_count(hub, rnd, org):
    first = make_app(rnd, org)
    # its own draft does not count against it: it may be saved again
    assert applications.save_draft(app_values(rnd, org, title="幸福食堂助餐服务(修改)"), STONES, STAFF,
                                   app_id=first) == first
    applications.submit(first, STAFF)
    with pytest.raises(ValidationFailed) as info:
        make_app(rnd, org, title="第二个项目名称")
    assert info.value.fields == {"org_id": ["该组织在本批次已有1个申报项目,达到每个组织1个的上限"]}
    assert counts(hub, "applications")["applications"] == 1
    applications.move(first, "withdrawn", STAFF, note="组织主动撤回")
    second = make_app(rnd, org, title="第二个项目名称")
    assert applications.get(second)["state"] == "draft"
    assert {k: v for k, v in applications.counts_by_state(rnd).items() if v} == {"draft": 1, "withdrawn": 1}


def test_a_round_may_allow_more_applications_per_organisation(hub, org):
    rid = make_round(max_apps_per_org=2)
    make_app(rid, org)
    make_app(rid, org, title="第二个项目名称")
    with pytest.raises(ValidationFailed) as info:
        make_app(rid, org, title="第三个项目名称")
    assert info.value.fields == {"org_id": ["该组织在本批次已有2个申报项目,达到每个组织2个的上限"]}


def test_no_new_application_once_the_notice_is_published(hub, rnd, org):
    records.update(rounds.ROUND, rnd, {}, ADMIN, system={"notice_published_at": dt.datetime(2026, 5, 6, 9, 0)})
    with pytest.raises(ValidationFailed) as info:
        make_app(rnd, org)
    assert info.value.fields == {"round_id": ["该批次已进入公示,不能再申报"]}
    assert counts(hub, "applications")["applications"] == 0


def test_a_request_above_the_ceiling_cannot_be_submitted(hub, org):
    rid = make_round(project_ceiling=30000)
    with pytest.raises(ValidationFailed) as info:
        make_app(rid, org)
    assert info.value.fields == {"requested_amount": ["申请资助金额超过本批次单个项目上限(30,000元)"]}


# ---- submit --------------------------------------------------------------------------------------

def test_submitting_an_incomplete_draft_lists_the_missing_fields_and_changes_nothing(hub, rnd, org):
    app_id = applications.save_draft({"round_id": rnd, "org_id": org, "title": "四点半课堂", "category": "一老一小"},
                                     STONES, STAFF)
    before = counts(hub)
    with pytest.raises(ValidationFailed) as info:
        applications.submit(app_id, STAFF)
    assert info.value.form == [MSG_INCOMPLETE]
    assert info.value.fields == {
        "summary": ["请填写项目简介"], "needs_analysis": ["请填写需求分析"], "communities": ["请选择服务社区"],
        "target_group": ["请填写服务对象"], "planned_beneficiaries": ["请填写计划服务人次"],
        "planned_activities": ["请填写计划开展的活动"], "budget_personnel": ["请填写预算:人员(元)"],
        "budget_materials": ["请填写预算:物资(元)"], "budget_venue": ["请填写预算:场地(元)"],
        "budget_publicity": ["请填写预算:宣传(元)"], "budget_other": ["请填写预算:其他(元)"],
        "requested_amount": ["请填写申请资助金额(元)"],
    }
    app = applications.get(app_id)
    assert (app["state"], app["submitted_at"]) == ("draft", None)
    assert counts(hub) == before


def test_submitting_without_milestones_is_refused(hub, rnd, org):
    app_id = make_app(rnd, org, stones=[])
    before = counts(hub)
    with pytest.raises(ValidationFailed) as info:
        applications.submit(app_id, STAFF)
    assert (info.value.fields, info.value.form) == ({"milestones": [MSG_NO_STONE]}, [])
    assert applications.get(app_id)["state"] == "draft"
    assert counts(hub) == before


def test_a_good_submission(hub, rnd, org):
    app_id = make_app(rnd, org)
    mark = last_audit_id(hub)
    assert applications.submit(app_id, STAFF) == "submitted"
    app = applications.get(app_id)
    assert app["state"] == "submitted"
    assert isinstance(app["submitted_at"], dt.datetime)
    assert app["updated_by"] == "wangmin"
    events = hub.fetch_all("SELECT from_state, to_state, note, created_by FROM application_events"
                           " WHERE application_id = ? ORDER BY id", [app_id])
    assert events == [{"from_state": None, "to_state": "draft", "note": "新建申报草稿", "created_by": "wangmin"},
                      {"from_state": "draft", "to_state": "submitted", "note": "提交申报", "created_by": "wangmin"}]
    assert [(a["table_name"], a["row_key"], a["action"], a["note"]) for a in audit_rows(hub, mark)] == [
        ("applications", str(app_id), "move", "提交申报"),
        ("application_events", str(hub.scalar("SELECT max(id) FROM application_events")), "create", "提交申报")]


def test_a_submitted_application_cannot_be_submitted_again(hub, rnd, org):
    app_id = make_app(rnd, org, submit=True)
    before = counts(hub)
    with pytest.raises(workflow.MoveRefused, match="^「已提交」状态的申报不能提交$"):
        applications.submit(app_id, STAFF)
    assert counts(hub) == before


def test_withdrawing_needs_a_reason(hub, rnd, org):
    app_id = make_app(rnd, org, submit=True)
    before = counts(hub)
    with pytest.raises(ValidationFailed) as info:
        applications.move(app_id, "withdrawn", STAFF, note="  ")
    assert info.value.fields == {"note": ["撤回须填写原因"]}
    assert counts(hub) == before
    applications.move(app_id, "withdrawn", STAFF, note="组织负责人变更")
    assert applications.get(app_id)["state"] == "withdrawn"
    assert hub.fetch_one("SELECT from_state, to_state, note FROM application_events ORDER BY id DESC LIMIT 1") == {
        "from_state": "submitted", "to_state": "withdrawn", "note": "组织负责人变更"}


# ---- screening ---------------------------------------------------------------------------------

@pytest.fixture
def in_screening(hub, rnd, org):
    app_id = make_app(rnd, org, submit=True)
    applications.move(app_id, "screening", STAFF)
    return app_id


def screening_rows(db, app_id):
    return db.fetch_all("SELECT outcome, items_passed, items_failed, reasons, return_due, created_by FROM screenings"
                        " WHERE application_id = ? ORDER BY id", [app_id])


def refused_screen(db, app_id, *args, exc=ValidationFailed, **kwargs):
    """Screen, expect a refusal, and check that nothing at all changed."""
    before, app_before = counts(db), applications.get(app_id)
    with pytest.raises(exc) as info:
        applications.screen(app_id, *args, **kwargs)
    assert counts(db) == before
    assert applications.get(app_id) == app_before
    return info.value


def test_the_screening_schema_follows_the_round_checklist():
    schema = screening_schema(CHECKLIST)
    assert list(schema.columns) == ["ok_0", "why_0", "ok_1", "why_1", "ok_2", "why_2", "ok_3", "why_3"]
    with pytest.raises(ValidationFailed) as info:
        validate(schema, {"ok_0": True, "ok_1": False, "ok_2": True, "ok_3": False, "why_3": "缺少说明"})
    assert info.value.fields == {"why_1": ["「无不良记录」不符合时须填写原因"]}


def test_eligible_when_every_item_is_ok(hub, in_screening):
    mark = last_audit_id(hub)
    applications.screen(in_screening, ALL_OK, "eligible", STAFF)
    assert applications.get(in_screening)["state"] == "eligible"
    assert screening_rows(hub, in_screening) == [{
        "outcome": "eligible", "items_passed": CHECKLIST, "items_failed": [], "reasons": None, "return_due": None,
        "created_by": "wangmin"}]
    assert hub.fetch_one("SELECT from_state, to_state, note FROM application_events ORDER BY id DESC LIMIT 1") == {
        "from_state": "screening", "to_state": "eligible", "note": "审查合格"}
    assert [(a["table_name"], a["action"]) for a in audit_rows(hub, mark)] == [
        ("applications", "move"), ("application_events", "create"), ("screenings", "create")]


def test_eligible_is_refused_while_an_item_fails(hub, in_screening):
    ticks = dict(ALL_OK, ok_1=False, why_1="有一次行政处罚")
    failure = refused_screen(hub, in_screening, ticks, "eligible", STAFF)
    assert failure.form == ["仍有1项不符合,不能判定为审查合格"]


def test_ineligible_needs_a_failed_item_with_its_reason(hub, in_screening):
    failure = refused_screen(hub, in_screening, dict(ALL_OK, ok_0=False), "ineligible", STAFF)
    assert failure.fields == {"why_0": ["「登记/备案有效」不符合时须填写原因"]}
    failure = refused_screen(hub, in_screening, ALL_OK, "ineligible", STAFF)
    assert failure.form == ["判定不合格时,须至少勾出一项不符合并写明原因"]
    applications.screen(in_screening, dict(ALL_OK, ok_0=False, why_0="登记证书已过期"), "ineligible", STAFF,
                        reasons="请先办理年检")
    assert applications.get(in_screening)["state"] == "ineligible"
    assert screening_rows(hub, in_screening) == [{
        "outcome": "ineligible", "items_passed": CHECKLIST[1:], "items_failed": ["登记/备案有效"],
        "reasons": "登记/备案有效:登记证书已过期\n请先办理年检", "return_due": None, "created_by": "wangmin"}]


def test_an_unknown_outcome_is_refused(hub, in_screening):
    assert refused_screen(hub, in_screening, ALL_OK, "maybe", STAFF).form == ["请选择审查结论"]


def test_returned_needs_a_due_date_not_in_the_past(hub, in_screening):
    ticks = dict(ALL_OK, ok_3=False, why_3="缺少配套资金说明")
    assert refused_screen(hub, in_screening, ticks, "returned", STAFF).fields == {
        "return_due": ["退回补充材料须填写补交期限"]}
    assert refused_screen(hub, in_screening, ticks, "returned", STAFF,
                          return_due=dt.date.today() - dt.timedelta(days=1)).fields == {
        "return_due": ["补交期限不能早于今天"]}
    assert refused_screen(hub, in_screening, ALL_OK, "returned", STAFF,
                          return_due=dt.date.today() + dt.timedelta(days=7)).form == ["请写明需要补充的材料"]


def test_returned_once_then_resubmitted_then_a_second_return_is_refused(hub, in_screening):
    due = dt.date.today() + dt.timedelta(days=7)
    ticks = dict(ALL_OK, ok_3=False, why_3="缺少配套资金说明")
    applications.screen(in_screening, ticks, "returned", STAFF, return_due=due)
    app = applications.get(in_screening)
    assert (app["state"], app["return_due"], app["returned_count"]) == ("returned", due, 1)
    assert screening_rows(hub, in_screening) == [{
        "outcome": "returned", "items_passed": CHECKLIST[:3], "items_failed": ["配套资金说明"],
        "reasons": "配套资金说明:缺少配套资金说明", "return_due": due, "created_by": "wangmin"}]

    # the returned application may be edited and is submitted again: returned -> resubmitted
    applications.save_draft(app_values(app["round_id"], app["org_id"], cofunding_other=3000,
                                       cofunding_note="社区共建单位出资"), STONES, STAFF, app_id=in_screening)
    assert applications.submit(in_screening, STAFF) == "resubmitted"
    applications.move(in_screening, "screening", STAFF)
    assert applications.get(in_screening)["state"] == "screening"

    failure = refused_screen(hub, in_screening, ticks, "returned", STAFF, return_due=due)
    assert failure.form == ["补充材料只能退回一次;请判定合格或不合格"]

    applications.screen(in_screening, ALL_OK, "eligible", STAFF)
    assert applications.get(in_screening)["state"] == "eligible"
    assert [e["to_state"] for e in hub.fetch_all(
        "SELECT to_state FROM application_events WHERE application_id = ? ORDER BY id", [in_screening])] == [
        "draft", "submitted", "screening", "returned", "resubmitted", "screening", "eligible"]
    assert [s["outcome"] for s in screening_rows(hub, in_screening)] == ["returned", "eligible"]


def test_screening_an_application_not_in_screening_is_refused(hub, rnd, org):
    app_id = make_app(rnd, org, submit=True)
    failure = refused_screen(hub, app_id, ALL_OK, "eligible", STAFF, exc=workflow.MoveRefused)
    assert str(failure) == "流程不允许从「已提交」直接转为「审查合格」"


def test_reviewers_cannot_screen(hub, in_screening):
    failure = refused_screen(hub, in_screening, ALL_OK, "eligible", REVIEWER, exc=PermissionDenied)
    assert str(failure) == "您的角色无权执行「审查合格」"


def test_the_screening_queue(hub, rnd, org):
    a = make_app(rnd, org, submit=True)
    b = make_app(rnd, make_org(2), submit=True, title="四点半课堂")
    walk(b, "screening")
    q = applications.queue(("submitted", "screening"), rnd)
    assert q[["id", "title", "org", "state"]].to_dict("records") == [
        {"id": a, "title": "幸福食堂助餐服务", "org": "下沙街道测试社会组织第1号", "state": "submitted"},
        {"id": b, "title": "四点半课堂", "org": "下沙街道测试社会组织第2号", "state": "screening"}]
