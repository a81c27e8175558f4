"""创投批次: the Round schema's cross-field rules, the defaults, the freeze once applications exist, and
category quotas. Also the small builders the other round tests share (a round, an organisation, a
complete application) so every test file builds its data the same way."""
from __future__ import annotations

import datetime as dt

import pytest

from core.intake import applications, rounds
from core.orgs import organisations
from core.platform import records
from core.platform.actor import Actor
from core.platform.errors import PermissionDenied, ValidationFailed
from core.platform.validation import validate
from schemas import choices
from schemas.round import Round
from tests.test_schema_organisation import org_values, uscc_for

ADMIN = Actor("chen", ("admin",))
STAFF = Actor("wangmin", ("staff",))
REVIEWER = Actor("li", ("reviewer",))
LEADER = Actor("zhang", ("leader",))

YEAR = 2026
D = dt.date
STONES = [{"due_date": D(YEAR, 9, 30), "deliverable": "中期自评报告"},
          {"due_date": D(YEAR + 1, 3, 15), "deliverable": "结项报告"}]

FROZEN_MSG = "该批次已有申报,设置已冻结。如确需修改,请填写修改原因(将记入审计日志)。"


# ---- shared builders -------------------------------------------------------------------------------

@pytest.fixture
def hub(db):
    """The empty migrated database with every choice list (rounds, orgs, communities) installed."""
    from core import domain

    domain.install_providers()
    return db


def round_values(**overrides) -> dict:
    values = rounds.defaults(YEAR)
    values.update(overrides)
    return values


def make_round(**overrides) -> int:
    return rounds.create(round_values(**overrides), ADMIN)


def make_org(serial: int = 1, **overrides) -> int:
    values = org_values(name=f"下沙街道测试社会组织第{serial}号", uscc=uscc_for("51", serial))
    values.update(overrides)
    return organisations.create(values, ADMIN)


def app_values(round_id: int, org_id: int, **overrides) -> dict:
    """A complete application: the five budget lines sum to the 40,000 元 requested."""
    values = {
        "round_id": round_id, "org_id": org_id, "category": "一老一小", "title": "幸福食堂助餐服务",
        "summary": "为辖区独居老人提供午餐助餐和送餐上门", "needs_analysis": "辖区独居、高龄老人用餐困难",
        "communities": ["文海社区", "高沙社区"], "target_group": "辖区60周岁以上独居老人",
        "planned_beneficiaries": 3000, "planned_activities": "工作日助餐;每季度营养讲座",
        "budget_personnel": 20000, "budget_materials": 10000, "budget_venue": 5000, "budget_publicity": 3000,
        "budget_other": 2000, "requested_amount": 40000,
        "cofunding_self": None, "cofunding_other": None, "cofunding_note": None,
    }
    values.update(overrides)
    return values


def with_amount(amount: float) -> dict:
    """Budget lines for ``amount``: everything on personnel."""
    return {"budget_personnel": amount, "budget_materials": 0, "budget_venue": 0, "budget_publicity": 0,
            "budget_other": 0, "requested_amount": amount}


def make_app(round_id: int, org_id: int, *, submit: bool = False, stones=None, actor: Actor = STAFF,
             **overrides) -> int:
    app_id = applications.save_draft(app_values(round_id, org_id, **overrides),
                                     STONES if stones is None else stones, actor)
    if submit:
        applications.submit(app_id, actor)
    return app_id


def walk(app_id: int, *states: str, actor: Actor = ADMIN) -> None:
    """Move an application through ``states`` with the generic workflow move."""
    from core.intake import workflow

    for s in states:
        workflow.move(applications.APPLICATION, app_id, s, actor)


def counts(db, *tables: str) -> dict[str, int]:
    tables = tables or ("applications", "application_events", "screenings", "application_milestones",
                        "ideas", "rounds", "round_quotas", "objections", "documents", "audit_log")
    return {t: int(db.scalar(f"SELECT count(*) FROM {t}")) for t in tables}


def audit_rows(db, after_id: int = 0) -> list[dict]:
    return db.fetch_all("SELECT id, actor, table_name, row_key, action, note FROM audit_log WHERE id > ? ORDER BY id",
                        [after_id])


def last_audit_id(db) -> int:
    return int(db.scalar("SELECT coalesce(max(id), 0) FROM audit_log"))


# ---- the schema: defaults and every cross-field rule ----------------------------------------------

MSG_CEILING = "单个项目资助上限不能超过资金总额"
MSG_IDEAS = "金点子征集截止须不早于开始,且不晚于项目申报截止"
MSG_APPLY = "项目申报截止须不早于申报开始"
MSG_SCREENING = "资格审查截止须不早于项目申报截止"
MSG_REVIEW = "专家评审须在申报截止之后开始,且开始不晚于截止"
MSG_NOTICE = "公示须在专家评审截止之后,且开始不晚于结束"
MSG_PROJECT = "项目执行期须在公示结束之后开始,且结束晚于开始"


def refused_round(**overrides) -> ValidationFailed:
    with pytest.raises(ValidationFailed) as info:
        validate(Round, round_values(**overrides))
    return info.value


def test_defaults_validate_unchanged(hub):
    out = validate(Round, rounds.defaults(YEAR))
    assert out["name"] == "2026年公益创投"  # a database whose hub has no name of its own yet
    from core.orgs import hubs

    hubs.ensure_default(hub)
    assert rounds.defaults(YEAR, hub_id=1)["name"] == "2026年公益创投"  # 本中心, not yet renamed
    with hub.transaction() as tx:
        tx.execute("UPDATE hubs SET name = '下沙街道社会组织发展服务中心' WHERE id = 1")
    assert rounds.defaults(YEAR, hub_id=1)["name"] == "2026年下沙街道公益创投"
    assert (out["total_budget"], out["project_ceiling"], out["max_apps_per_org"]) == (500000.0, 80000.0, 1)
    assert out["categories"] == choices.PROJECT_CATEGORIES
    assert out["checklist"] == choices.DEFAULT_CHECKLIST
    assert (out["apply_start"], out["apply_end"]) == (D(2026, 3, 1), D(2026, 3, 31))
    assert (out["project_start"], out["project_end"]) == (D(2026, 6, 1), D(2027, 3, 31))
    assert out["trimmed_mean"] is True and out["blind_review"] is False


@pytest.mark.parametrize("year", [2019, 2024, 2028])
def test_defaults_validate_for_any_year(year):
    assert validate(Round, rounds.defaults(year))["year"] == year


@pytest.mark.parametrize("overrides, field, message", [
    ({"project_ceiling": 500000.01}, "project_ceiling", MSG_CEILING),
    ({"ideas_start": D(2026, 2, 28), "ideas_end": D(2026, 2, 1)}, "ideas_end", MSG_IDEAS),
    ({"ideas_end": D(2026, 4, 1)}, "ideas_end", MSG_IDEAS),
    ({"apply_start": D(2026, 3, 20), "apply_end": D(2026, 3, 10)}, "apply_end", MSG_APPLY),
    ({"screening_end": D(2026, 3, 30)}, "screening_end", MSG_SCREENING),
    ({"review_start": D(2026, 3, 30)}, "review_start", MSG_REVIEW),
    ({"review_start": D(2026, 4, 16), "review_end": D(2026, 4, 15)}, "review_start", MSG_REVIEW),
    # review would end before screening does
    ({"review_start": D(2026, 4, 1), "review_end": D(2026, 4, 14)}, "review_start", MSG_REVIEW),
    ({"notice_start": D(2026, 4, 29)}, "notice_start", MSG_NOTICE),
    ({"notice_end": D(2026, 5, 5)}, "notice_start", MSG_NOTICE),
    ({"project_start": D(2026, 5, 10)}, "project_start", MSG_PROJECT),
    ({"project_end": D(2026, 6, 1)}, "project_start", MSG_PROJECT),  # must end after it starts
    ({"project_end": D(2026, 5, 31)}, "project_start", MSG_PROJECT),
])
def test_each_rule_fires_alone_on_its_field(overrides, field, message):
    assert refused_round(**overrides).fields == {field: [message]}


@pytest.mark.parametrize("overrides", [
    {"project_ceiling": 500000.0},                                      # ceiling == total
    {"ideas_start": None, "ideas_end": None},                           # idea collection is optional
    {"ideas_start": D(2026, 2, 1), "ideas_end": D(2026, 3, 31)},        # ideas end on the apply deadline
    {"ideas_start": D(2026, 2, 1), "ideas_end": D(2026, 2, 1)},
    {"apply_start": D(2026, 3, 31), "apply_end": D(2026, 3, 31)},
    {"screening_end": D(2026, 3, 31)},
    {"review_start": D(2026, 3, 31), "review_end": D(2026, 4, 15)},     # review ends as screening ends
    {"notice_start": D(2026, 4, 30)},
    {"notice_start": D(2026, 5, 12), "notice_end": D(2026, 5, 12)},
    {"project_start": D(2026, 5, 12)},
])
def test_rules_do_not_fire_on_the_boundaries(overrides):
    out = validate(Round, round_values(**overrides))
    for k, v in overrides.items():
        assert out[k] == v


def test_several_broken_rules_are_reported_together():
    failure = refused_round(project_ceiling=600000, screening_end=D(2026, 3, 1), project_start=D(2026, 5, 1))
    assert failure.fields == {"project_ceiling": [MSG_CEILING], "screening_end": [MSG_SCREENING],
                              "project_start": [MSG_PROJECT]}


def test_field_checks_of_a_round():
    failure = refused_round(total_budget=0, max_apps_per_org=11, categories=["社区治理", "造火箭"], name="公益")
    assert failure.fields == {
        "name": ["批次名称长度应为4–100个字符"],
        "total_budget": ["资金总额(元)必须大于0"],
        "project_ceiling": [MSG_CEILING],  # 80,000 > 0 still compares
        "max_apps_per_org": ["每个组织可申报项目数不能大于10"],
        "categories": ["本批次项目类别含有不在列表中的选项"],
    }


def test_create_stores_the_round_and_audits_it(hub):
    rid = make_round(categories=["社区治理", "一老一小"], max_apps_per_org=2)
    r = rounds.get(rid)
    assert (r["name"], float(r["total_budget"]), r["categories"], r["max_apps_per_org"]) == (
        "2026年公益创投", 500000.0, ["社区治理", "一老一小"], 2)
    assert r["created_by"] == "chen" and r["notice_published_at"] is None
    assert [(a["table_name"], a["row_key"], a["action"]) for a in audit_rows(hub) if a["table_name"] == "rounds"] == [
        ("rounds", str(rid), "create")]


def test_round_names_are_unique(hub):
    rid = make_round()
    with pytest.raises(ValidationFailed) as info:
        make_round(year=2027)
    assert info.value.fields == {"name": [f"批次名称已存在:本枢纽已有「2026年公益创投」(编号 {rid}),请换一个名称"]}


def test_only_admins_create_rounds(hub):
    with pytest.raises(PermissionDenied, match="当前账号无权修改创投批次"):
        rounds.create(round_values(), STAFF)
    assert counts(hub, "rounds")["rounds"] == 0


def test_phase_of_a_round(hub):
    r = rounds.get(make_round())
    assert rounds.phase(r, D(2026, 1, 1)) == "未开始"
    assert rounds.phase(r, D(2026, 2, 10)) == "金点子征集"
    assert rounds.phase(r, D(2026, 3, 15)) == "项目申报"
    assert rounds.phase(r, D(2026, 4, 10)) == "资格审查"
    assert rounds.phase(r, D(2026, 4, 20)) == "专家评审"
    assert rounds.phase(r, D(2026, 5, 8)) == "公示"
    assert rounds.phase(r, D(2026, 10, 1)) == "项目执行"
    assert rounds.phase(r, D(2027, 4, 1)) == "已结束"


# ---- the freeze -----------------------------------------------------------------------------------

def test_before_any_application_an_update_needs_no_reason(hub):
    rid = make_round()
    assert rounds.is_frozen(rid) is False
    mark = last_audit_id(hub)
    assert rounds.update(rid, {"project_ceiling": 60000}, ADMIN) is True
    assert float(rounds.get(rid)["project_ceiling"]) == 60000.0
    assert [(a["table_name"], a["action"], a["note"]) for a in audit_rows(hub, mark)] == [("rounds", "update", None)]


def test_an_update_that_breaks_a_rule_is_refused(hub):
    rid = make_round()
    with pytest.raises(ValidationFailed) as info:
        rounds.update(rid, {"project_ceiling": 600000}, ADMIN)
    assert info.value.fields == {"project_ceiling": [MSG_CEILING]}
    assert float(rounds.get(rid)["project_ceiling"]) == 80000.0


def test_staff_may_not_change_a_round_even_before_the_freeze(hub):
    rid = make_round()
    with pytest.raises(PermissionDenied, match="当前账号无权修改创投批次"):
        rounds.update(rid, {"notes": "改一下"}, STAFF)
    assert rounds.get(rid)["notes"] is None


@pytest.fixture
def frozen(hub):
    rid = make_round()
    make_app(rid, make_org(1))  # a draft is enough to freeze the settings
    return rid


def test_after_an_application_an_update_without_reason_is_refused(hub, frozen):
    assert rounds.is_frozen(frozen) is True and rounds.application_count(frozen) == 1
    before = counts(hub, "rounds", "audit_log")
    for reason in (None, "", "   "):
        with pytest.raises(ValidationFailed) as info:
            rounds.update(frozen, {"project_ceiling": 60000}, ADMIN, override_reason=reason)
        assert info.value.fields == {}
        assert info.value.form == [FROZEN_MSG]
        assert "冻结" in str(info.value)
    assert float(rounds.get(frozen)["project_ceiling"]) == 80000.0
    assert counts(hub, "rounds", "audit_log") == before


def test_after_an_application_staff_are_refused_even_with_a_reason(hub, frozen):
    mark = last_audit_id(hub)
    with pytest.raises(PermissionDenied) as info:
        rounds.update(frozen, {"project_ceiling": 60000}, STAFF, override_reason="领导同意")
    assert str(info.value) == "批次已有申报,设置已冻结,只有管理员可以修改"
    assert float(rounds.get(frozen)["project_ceiling"]) == 80000.0
    assert last_audit_id(hub) == mark


def test_admin_with_reason_changes_a_frozen_round_and_the_reason_is_audited(hub, frozen):
    mark = last_audit_id(hub)
    reason = "街道追加预算,经主任办公会同意"
    assert rounds.update(frozen, {"total_budget": 600000, "notes": "追加预算"}, ADMIN, override_reason=reason) is True
    r = rounds.get(frozen)
    assert (float(r["total_budget"]), r["notes"], r["updated_by"]) == (600000.0, "追加预算", "chen")
    rows = audit_rows(hub, mark)
    assert [(a["actor"], a["table_name"], a["row_key"], a["action"], a["note"]) for a in rows] == [
        ("chen", "rounds", str(frozen), "update_frozen", reason)]


def test_frozen_override_still_validates_the_whole_round(hub, frozen):
    with pytest.raises(ValidationFailed) as info:
        rounds.update(frozen, {"total_budget": 50000}, ADMIN, override_reason="压缩预算")
    assert info.value.fields == {"project_ceiling": [MSG_CEILING]}


# ---- category quotas ------------------------------------------------------------------------------

def test_set_quotas_stores_and_audits_them(hub):
    rid = make_round(categories=["社区治理", "一老一小", "文化建设"])
    mark = last_audit_id(hub)
    rounds.set_quotas(rid, {"社区治理": 200000, "一老一小": 150000.5, "文化建设": None}, ADMIN)
    assert rounds.quotas(rid) == {"一老一小": 150000.5, "社区治理": 200000.0}
    rows = audit_rows(hub, mark)
    assert [(a["table_name"], a["action"]) for a in rows] == [("round_quotas", "create"), ("round_quotas", "create")]
    stored = hub.fetch_all("SELECT round_id, category, created_by FROM round_quotas ORDER BY id")
    assert stored == [{"round_id": rid, "category": "社区治理", "created_by": "chen"},
                      {"round_id": rid, "category": "一老一小", "created_by": "chen"}]


def test_set_quotas_replaces_the_whole_set(hub):
    rid = make_round(categories=["社区治理", "一老一小", "文化建设"])
    rounds.set_quotas(rid, {"社区治理": 200000, "一老一小": 150000}, ADMIN)
    mark = last_audit_id(hub)
    rounds.set_quotas(rid, {"一老一小": 100000, "社区治理": 0, "文化建设": 50000}, ADMIN)
    assert rounds.quotas(rid) == {"一老一小": 100000.0, "文化建设": 50000.0}
    assert [(a["table_name"], a["action"]) for a in audit_rows(hub, mark)] == [
        ("round_quotas", "delete"), ("round_quotas", "delete"), ("round_quotas", "create"), ("round_quotas", "create")]
    rounds.set_quotas(rid, {}, ADMIN)
    assert rounds.quotas(rid) == {}
    assert counts(hub, "round_quotas")["round_quotas"] == 0


def test_a_quota_must_be_for_a_category_of_the_round(hub):
    rid = make_round(categories=["社区治理", "一老一小"])
    with pytest.raises(ValidationFailed) as info:
        rounds.set_quotas(rid, {"社区治理": 1000, "文化建设": 1000, "共同富裕": 1000}, ADMIN)
    assert info.value.fields == {"category": ["「文化建设」不是本批次的项目类别", "「共同富裕」不是本批次的项目类别"]}
    assert rounds.quotas(rid) == {}


def test_quotas_may_not_sum_above_the_total_budget(hub):
    rid = make_round(categories=["社区治理", "一老一小"], total_budget=300000)
    rounds.set_quotas(rid, {"社区治理": 100000, "一老一小": 50000}, ADMIN)
    mark = last_audit_id(hub)
    with pytest.raises(ValidationFailed) as info:
        rounds.set_quotas(rid, {"社区治理": 200000, "一老一小": 100000.01}, ADMIN)
    assert info.value.fields == {"quota": ["各类别额度之和不能超过批次资金总额"]}
    assert rounds.quotas(rid) == {"社区治理": 100000.0, "一老一小": 50000.0}  # the old set stays
    assert last_audit_id(hub) == mark
    rounds.set_quotas(rid, {"社区治理": 200000, "一老一小": 100000}, ADMIN)  # exactly the total is fine
    assert rounds.quotas(rid) == {"社区治理": 200000.0, "一老一小": 100000.0}


def test_a_negative_quota_is_refused(hub):
    rid = make_round()
    with pytest.raises(ValidationFailed) as info:
        rounds.set_quotas(rid, {"社区治理": -100}, ADMIN)
    assert info.value.fields == {"quota": ["「社区治理」类别资金额度(元)必须大于0",
                                           "「社区治理」类别资金额度(元)须为不小于0的金额(元),最多两位小数"]}
    assert rounds.quotas(rid) == {}


def test_staff_may_not_set_quotas(hub):
    rid = make_round()
    with pytest.raises(PermissionDenied):
        rounds.set_quotas(rid, {"社区治理": 1000}, STAFF)
    assert rounds.quotas(rid) == {}


def test_quotas_of_a_frozen_round_need_a_reason(hub, frozen):
    with pytest.raises(ValidationFailed) as info:
        rounds.set_quotas(frozen, {"社区治理": 1000}, ADMIN)
    assert info.value.form == [FROZEN_MSG]
    assert rounds.quotas(frozen) == {}
    mark = last_audit_id(hub)
    rounds.set_quotas(frozen, {"社区治理": 1000}, ADMIN, override_reason="补设类别额度")
    assert rounds.quotas(frozen) == {"社区治理": 1000.0}
    assert [(a["table_name"], a["action"], a["note"]) for a in audit_rows(hub, mark)] == [
        ("round_quotas", "create", "补设类别额度")]


def test_all_rounds_summarises_each_round(hub):
    rid = make_round()
    make_app(rid, make_org(1))
    df = rounds.all_rounds()
    assert df[["id", "name", "applications", "funded"]].to_dict("records") == [
        {"id": rid, "name": "2026年公益创投", "applications": 1, "funded": 0}]
    assert float(df["granted"].iloc[0]) == 0.0


def test_records_write_path_is_the_one_used_for_rounds(hub):
    """A direct write with the generic path behaves like rounds.create (same entity, same checks)."""
    with pytest.raises(ValidationFailed) as info:
        records.create(rounds.ROUND, round_values(project_ceiling=900000), ADMIN)
    assert info.value.fields == {"project_ceiling": [MSG_CEILING]}
