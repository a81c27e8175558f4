"""金点子: record (contact optional), mark duplicates, promote to an application draft linked both ways in
one transaction."""
from __future__ import annotations

import pytest

from core.intake import applications, ideas
from core.platform.errors import NotFound, PermissionDenied, ValidationFailed
from tests.test_rounds import (  # noqa: F401  (hub is a fixture)
    REVIEWER, STAFF, audit_rows, counts, hub, last_audit_id, make_org, make_round,
)


def idea_values(**overrides) -> dict:
    values = {"title": "老人吃饭难", "description": "社区独居老人多,希望有人提供午餐助餐和送餐上门。",
              "community": "文海社区", "category": "一老一小", "source": "居民"}
    values.update(overrides)
    return values


def make_idea(**overrides) -> int:
    return ideas.create(idea_values(**overrides), STAFF)


@pytest.fixture
def rnd(hub):
    return make_round(categories=["社区治理", "一老一小"])


# ---- recording ideas ------------------------------------------------------------------------------

def test_an_idea_without_contact_stores_no_contact(hub):
    mark = last_audit_id(hub)
    idea_id = make_idea(tags=[" 助餐 ", "", "独居老人"])
    idea = ideas.get(idea_id)
    assert {k: idea[k] for k in ("title", "community", "category", "source", "contact_name", "contact_phone",
                                 "tags", "duplicate_of", "application_id", "round_id", "created_by")} == {
        "title": "老人吃饭难", "community": "文海社区", "category": "一老一小", "source": "居民",
        "contact_name": None, "contact_phone": None, "tags": ["助餐", "独居老人"], "duplicate_of": None,
        "application_id": None, "round_id": None, "created_by": "wangmin"}
    assert [(a["table_name"], a["row_key"], a["action"]) for a in audit_rows(hub, mark)] == [
        ("ideas", str(idea_id), "create")]


def test_an_idea_with_contact_stores_it_normalised(hub, rnd):
    idea_id = make_idea(contact_name=" 王阿姨 ", contact_phone="13857100000", round_id=rnd)
    idea = ideas.get(idea_id)
    assert (idea["contact_name"], idea["contact_phone"], idea["round_id"]) == ("王阿姨", "138 5710 0000", rnd)


def test_an_idea_with_a_bad_phone_or_missing_fields_is_refused(hub):
    with pytest.raises(ValidationFailed) as info:
        make_idea(contact_phone="12345", community="火星社区", title="", source="路人")
    assert info.value.fields == {
        "title": ["请填写金点子标题"],
        "community": ["请从列表中选择涉及社区"],
        "source": ["请从列表中选择来源"],
        "contact_phone": ["联系电话无效:请填写中国大陆手机号(11位)或带区号的固定电话"],
    }
    assert counts(hub, "ideas")["ideas"] == 0


def test_reviewers_cannot_record_ideas(hub):
    with pytest.raises(PermissionDenied, match="当前账号无权修改金点子"):
        ideas.create(idea_values(), REVIEWER)


# ---- duplicates -----------------------------------------------------------------------------------

def test_mark_duplicate_links_and_clears(hub):
    kept, dup = make_idea(), make_idea(title="助餐点建议", source="社区")
    mark = last_audit_id(hub)
    ideas.mark_duplicate(dup, kept, STAFF)
    assert ideas.get(dup)["duplicate_of"] == kept
    assert ideas.duplicates_of(kept)["id"].tolist() == [dup]
    assert [(a["table_name"], a["row_key"], a["action"]) for a in audit_rows(hub, mark)] == [
        ("ideas", str(dup), "mark_duplicate")]
    ideas.mark_duplicate(dup, None, STAFF)
    assert ideas.get(dup)["duplicate_of"] is None
    assert ideas.duplicates_of(kept).empty


def test_an_idea_cannot_duplicate_itself(hub):
    idea_id = make_idea()
    mark = last_audit_id(hub)
    with pytest.raises(ValidationFailed) as info:
        ideas.mark_duplicate(idea_id, idea_id, STAFF)
    assert info.value.fields == {"duplicate_of": ["不能标记为与自身重复"]}
    assert ideas.get(idea_id)["duplicate_of"] is None
    assert last_audit_id(hub) == mark


def test_linking_to_an_idea_that_is_itself_a_duplicate_is_refused(hub):
    a, b, c = make_idea(), make_idea(title="助餐点建议"), make_idea(title="送餐上门")
    ideas.mark_duplicate(b, a, STAFF)
    with pytest.raises(ValidationFailed) as info:
        ideas.mark_duplicate(c, b, STAFF)
    assert info.value.fields == {"duplicate_of": [f"编号 {b} 本身已标记为重复,请链接到保留的那条"]}
    assert ideas.get(c)["duplicate_of"] is None
    ideas.mark_duplicate(c, a, STAFF)  # to the kept one: fine
    assert ideas.duplicates_of(a)["id"].tolist() == [b, c]


def test_an_idea_others_point_to_cannot_itself_become_a_duplicate(hub):
    """No chains: marking the kept idea as a duplicate would leave its duplicates pointing at a duplicate."""
    a, b, c = make_idea(), make_idea(title="助餐点建议"), make_idea(title="送餐上门")
    ideas.mark_duplicate(b, a, STAFF)
    with pytest.raises(ValidationFailed) as info:
        ideas.mark_duplicate(a, c, STAFF)
    assert info.value.fields == {"duplicate_of": [f"已有 1 条金点子标记为与编号 {a} 重复,请先把它们链接到保留的那条"]}
    assert ideas.get(a)["duplicate_of"] is None


def test_marking_an_unknown_idea_as_kept(hub):
    idea_id = make_idea()
    with pytest.raises(NotFound, match="金点子\\(编号 999\\)不存在"):
        ideas.mark_duplicate(idea_id, 999, STAFF)


# ---- promotion ------------------------------------------------------------------------------------

def test_promote_creates_a_linked_draft_in_one_unit(hub, rnd):
    org = make_org(1)
    idea_id = make_idea(community="高沙社区")
    mark = last_audit_id(hub)
    app_id = ideas.promote(idea_id, org, rnd, STAFF)
    app = applications.get(app_id)
    assert {k: app[k] for k in ("state", "round_id", "org_id", "title", "category", "communities", "summary",
                                "idea_id", "requested_amount")} == {
        "state": "draft", "round_id": rnd, "org_id": org, "title": "老人吃饭难", "category": "一老一小",
        "communities": ["高沙社区"], "summary": "社区独居老人多,希望有人提供午餐助餐和送餐上门。",
        "idea_id": idea_id, "requested_amount": None}
    assert ideas.get(idea_id)["application_id"] == app_id
    assert ideas.for_application(app_id) == {"id": idea_id, "title": "老人吃饭难", "source": "居民",
                                             "community": "高沙社区"}
    assert hub.fetch_all("SELECT from_state, to_state, note FROM application_events WHERE application_id = ?",
                         [app_id]) == [{"from_state": None, "to_state": "draft",
                                        "note": f"新建申报草稿(由金点子 {idea_id} 转化)"}]
    rows = audit_rows(hub, mark)
    assert [(a["table_name"], a["action"]) for a in rows] == [
        ("applications", "create"), ("application_events", "create"), ("ideas", "promote")]
    assert len({a["id"] for a in rows}) == 3


def test_a_long_description_is_cut_to_the_summary_length(hub, rnd):
    idea_id = make_idea(description="需" * 800)
    app_id = ideas.promote(idea_id, make_org(1), rnd, STAFF)
    assert applications.get(app_id)["summary"] == "需" * 500


def test_promoting_twice_is_refused(hub, rnd):
    idea_id = make_idea()
    app_id = ideas.promote(idea_id, make_org(1), rnd, STAFF)
    other_org = make_org(2)
    before = counts(hub)
    with pytest.raises(ValidationFailed) as info:
        ideas.promote(idea_id, other_org, rnd, STAFF)
    assert info.value.form == [f"该金点子已转为申报(编号 {app_id})"]
    assert counts(hub) == before
    assert ideas.get(idea_id)["application_id"] == app_id
    with pytest.raises(ValidationFailed) as info:
        ideas.mark_duplicate(idea_id, make_idea(title="另一条"), STAFF)
    assert info.value.form == ["已转为申报的金点子不能标记为重复"]


def test_a_duplicate_cannot_be_promoted(hub, rnd):
    kept, dup = make_idea(), make_idea(title="助餐点建议")
    ideas.mark_duplicate(dup, kept, STAFF)
    with pytest.raises(ValidationFailed) as info:
        ideas.promote(dup, make_org(1), rnd, STAFF)
    assert info.value.form == [f"该金点子与编号 {kept} 重复,请转化保留的那条"]
    assert counts(hub, "applications")["applications"] == 0


def test_when_the_draft_is_refused_the_idea_is_not_linked(hub, rnd):
    org = make_org(1, active=False)
    idea_id = make_idea()
    before = counts(hub)
    with pytest.raises(ValidationFailed) as info:
        ideas.promote(idea_id, org, rnd, STAFF)
    assert info.value.fields == {"org_id": ["「下沙街道测试社会组织第1号」已注销或不在册,不能申报"]}
    assert ideas.get(idea_id)["application_id"] is None
    assert counts(hub) == before


def test_an_idea_of_a_category_outside_the_round_is_refused(hub, rnd):
    idea_id = make_idea(category="文化建设")
    with pytest.raises(ValidationFailed) as info:
        ideas.promote(idea_id, make_org(1), rnd, STAFF)
    assert info.value.fields == {"category": ["「文化建设」不是本批次的项目类别"]}
    assert ideas.get(idea_id)["application_id"] is None


def test_an_idea_title_too_short_for_an_application_is_refused_cleanly(hub, rnd):
    """An idea title may be 2 characters, an application title needs 4: the draft is refused, nothing linked."""
    idea_id = make_idea(title="助餐")
    before = counts(hub)
    with pytest.raises(ValidationFailed) as info:
        ideas.promote(idea_id, make_org(1), rnd, STAFF)
    assert info.value.fields == {"title": ["项目名称长度应为4–100个字符"]}
    assert ideas.get(idea_id)["application_id"] is None
    assert counts(hub, "applications", "application_events") == {
        k: before[k] for k in ("applications", "application_events")}


def test_promotion_is_one_transaction(hub, rnd, monkeypatch):
    """A failure after the draft and the link are written inside the unit rolls back both."""
    org = make_org(1)
    idea_id = make_idea()
    before = counts(hub)

    def boom(u, app_id, stones):
        assert u.tx.fetch_one("SELECT application_id FROM ideas WHERE id = ?", [idea_id]) == {"application_id": app_id}
        raise RuntimeError("disk went away")

    with monkeypatch.context() as m:
        m.setattr(applications, "_replace_milestones", boom)
        with pytest.raises(RuntimeError, match="disk went away"):
            ideas.promote(idea_id, org, rnd, STAFF)
    assert ideas.get(idea_id)["application_id"] is None
    assert counts(hub) == before
    app_id = ideas.promote(idea_id, org, rnd, STAFF)  # and it works once the failure is gone
    assert ideas.get(idea_id)["application_id"] == app_id


def test_only_staff_promote(hub, rnd):
    idea_id = make_idea()
    org = make_org(1)
    with pytest.raises(PermissionDenied):
        ideas.promote(idea_id, org, rnd, REVIEWER)
    assert ideas.get(idea_id)["application_id"] is None
    assert counts(hub, "applications")["applications"] == 0


def test_the_list_view_status(hub, rnd):
    a, b, c = make_idea(), make_idea(title="助餐点建议"), make_idea(title="送餐上门")
    ideas.mark_duplicate(b, a, STAFF)
    ideas.promote(c, make_org(1), rnd, STAFF)
    rows = hub.fetch_all(f"SELECT id, {ideas.STATUS_SQL} AS status FROM ideas ORDER BY id")
    assert [r["status"] for r in rows] == ["待处理", "重复", "已转为申报"]
    assert ideas.options() == [(c, f"{c} · 送餐上门"), (b, f"{b} · 助餐点建议"), (a, f"{a} · 老人吃饭难")]
