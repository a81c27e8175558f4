"""需求 (core.resources.needs): needs recorded from 需求调研, status over time as dated events with a note (kept as
history, audited; illegal moves refused in Chinese, writing nothing), links to the ideas, applications and
projects that answer them, and the 需求动态跟踪 aggregates (cached until their tables are written)."""
from __future__ import annotations

import datetime as dt

import pytest

from core.platform import cache
from core.platform.errors import PermissionDenied, ValidationFailed
from core.resources import needs
from tests.test_rounds import LEADER, REVIEWER, STAFF, audit_rows, hub, last_audit_id  # noqa: F401

TODAY = dt.date.today()


def need_values(**overrides) -> dict:
    values = {"title": "独居老人吃饭难,希望有老年食堂", "community": "松合社区", "target_group": "老年人",
              "source": "问卷调查", "surveyed_on": TODAY - dt.timedelta(days=40), "urgency": "较急",
              "residents": 36, "recorded_by": "王晓燕", "description": "问卷中36户独居老人勾选了“吃饭难”"}
    values.update(overrides)
    return values


def make_need(**overrides) -> int:
    return needs.create(need_values(**overrides), STAFF)


def counts(db) -> dict[str, int]:
    return {t: int(db.scalar(f"SELECT count(*) FROM {t}"))
            for t in ("community_needs", "need_events", "need_links", "audit_log")}


def test_a_need_is_recorded_as_登记_and_audited(hub):
    mark = last_audit_id(hub)
    key = make_need()
    need = needs.get(key)
    assert (need["title"], need["community"], need["target_group"], need["source"], need["status"],
            need["recorded_by"], need["created_by"]) == (
        "独居老人吃饭难,希望有老年食堂", "松合社区", "老年人", "问卷调查", "登记", "王晓燕", "wangmin")
    assert [(r["table_name"], r["action"]) for r in audit_rows(hub, mark)] == [("community_needs", "create")]


def test_a_need_names_a_declared_group_and_source_and_no_future_survey(hub):
    with pytest.raises(ValidationFailed) as exc:
        make_need(target_group="外星人", source="电话", surveyed_on=TODAY + dt.timedelta(days=3))
    fields = exc.value.fields
    assert set(fields) >= {"target_group", "source", "surveyed_on"}
    assert counts(hub)["community_needs"] == 0


def test_status_moves_are_dated_events_with_notes_kept_as_history(hub):
    key = make_need()
    mark = last_audit_id(hub)
    needs.change_status(key, "已对接", TODAY - dt.timedelta(days=20), "对接助餐服务社会组织", STAFF)
    needs.change_status(key, "部分满足", TODAY - dt.timedelta(days=5), "每周三次送餐,覆盖20户", STAFF)
    need = needs.get(key)
    assert (need["status"], need["status_on"]) == ("部分满足", TODAY - dt.timedelta(days=5))
    hist = needs.history(key)
    assert hist[["from_status", "to_status", "note"]].values.tolist() == [
        ["登记", "已对接", "对接助餐服务社会组织"], ["已对接", "部分满足", "每周三次送餐,覆盖20户"]]
    assert [(r["table_name"], r["action"]) for r in audit_rows(hub, mark)] == [
        ("need_events", "create"), ("community_needs", "status"), ("need_events", "create"), ("community_needs", "status")]


@pytest.mark.parametrize("start, target, says", [
    ([], "已满足", "「登记」的需求不能直接改为「已满足」:可以改为 「已对接」、「暂缓」"),
    ([], "登记", "需求已是「登记」,请选择另一个状态"),
    (["已对接", "已满足"], "暂缓", "「已满足」的需求不能直接改为「暂缓」:可以改为 「部分满足」"),
])
def test_an_illegal_move_is_refused_in_chinese_and_writes_nothing(hub, start, target, says):
    key = make_need()
    for status in start:
        needs.change_status(key, status, TODAY, "推进", STAFF)
    before = counts(hub)
    with pytest.raises(ValidationFailed) as exc:
        needs.change_status(key, target, TODAY, "说明", STAFF)
    assert exc.value.fields == {"to_status": [says]}
    assert counts(hub) == before


def test_a_move_dated_before_the_survey_or_the_last_change_or_without_a_note_is_refused(hub):
    key = make_need(surveyed_on=dt.date(2026, 3, 1))
    with pytest.raises(ValidationFailed) as exc:
        needs.change_status(key, "已对接", dt.date(2026, 2, 1), "对接", STAFF)
    assert exc.value.fields == {"changed_on": ["变更日期不能早于调研日期(2026-03-01),请改为 2026-03-01 或之后"]}
    needs.change_status(key, "已对接", dt.date(2026, 4, 1), "对接", STAFF)
    with pytest.raises(ValidationFailed) as exc:
        needs.change_status(key, "部分满足", dt.date(2026, 3, 15), "部分", STAFF)
    assert exc.value.fields == {"changed_on": ["变更日期不能早于上一次状态变更(2026-04-01),请改为 2026-04-01 或之后"]}
    with pytest.raises(ValidationFailed) as exc:
        needs.change_status(key, "部分满足", dt.date(2026, 4, 15), "", STAFF)
    assert "note" in exc.value.fields
    assert needs.get(key)["status"] == "已对接" and len(needs.history(key)) == 1


def test_only_staff_and_admins_write_needs_leaders_and_reviewers_are_refused(hub):
    key = make_need()
    before = counts(hub)
    for who in (LEADER, REVIEWER):
        with pytest.raises(PermissionDenied):
            needs.create(need_values(), who)
        with pytest.raises(PermissionDenied):
            needs.change_status(key, "已对接", TODAY, "对接", who)
        with pytest.raises(PermissionDenied):
            needs.link(key, "idea", 1, who)
    assert counts(hub) == before


def _idea(db) -> int:
    from core.intake import ideas
    return ideas.create({"title": "小区老人吃饭难,希望办个老年食堂", "description": "希望有老年食堂",
                         "community": "松合社区", "category": "一老一小", "source": "居民"}, STAFF)


def test_linking_an_answer_moves_a_new_need_to_已对接_and_shows_both_ways(hub):
    key = make_need()
    idea_id = _idea(hub)
    assert (idea_id, f"{idea_id} · 小区老人吃饭难,希望办个老年食堂(松合社区)") in needs.options("idea")
    needs.link(key, "idea", idea_id, STAFF, note="居民金点子")
    need = needs.get(key)
    assert need["status"] == "已对接"
    assert needs.history(key)["note"].tolist() == ["关联回应:金点子「小区老人吃饭难,希望办个老年食堂」"]
    shown = needs.links(key)
    assert shown[["kind", "target_id", "title", "place", "note"]].values.tolist() == [
        ["金点子", idea_id, "小区老人吃饭难,希望办个老年食堂", "松合社区", "居民金点子"]]
    assert needs.answered_needs("idea", idea_id)[["id", "title", "kind"]].values.tolist() == [
        [key, "独居老人吃饭难,希望有老年食堂", "直接关联"]]
    before = counts(hub)
    with pytest.raises(ValidationFailed) as exc:
        needs.link(key, "idea", idea_id, STAFF)
    assert exc.value.fields == {"target_id": ["这项需求已关联金点子「小区老人吃饭难,希望办个老年食堂」,不必重复关联"]}
    with pytest.raises(ValidationFailed) as exc:
        needs.link(key, "project", 999, STAFF)
    assert exc.value.fields == {"target_id": ["资助项目(编号 999)不存在,请从列表中选择"]}
    assert counts(hub) == before
    link_id = int(shown["link_id"].iloc[0])
    needs.unlink(link_id, STAFF)
    assert needs.links(key).empty and needs.get(key)["status"] == "已对接"


def test_tracking_counts_open_unanswered_needs_per_community_and_is_cached(hub):
    day = dt.date(2026, 6, 1)
    old = make_need(surveyed_on=dt.date(2026, 1, 2))
    make_need(title="暑期孩子无处去", target_group="一老一小", surveyed_on=dt.date(2026, 5, 2))
    met = make_need(community="文海社区", title="楼道堆物", target_group="全体居民", surveyed_on=dt.date(2026, 2, 1))
    needs.change_status(met, "已对接", dt.date(2026, 3, 1), "对接", STAFF)
    needs.change_status(met, "已满足", dt.date(2026, 4, 1), "已清理", STAFF)
    cache.clear()
    rows = needs.by_community(day).set_index("community")
    assert len(rows) == 21
    assert rows.loc["松合社区", ["total", "met", "open", "unanswered", "longest_wait"]].tolist() == [2, 0, 2, 2, 150]
    assert rows.loc["文海社区", ["total", "met", "open", "unanswered", "longest_wait"]].tolist() == [1, 1, 0, 0, 0]
    assert rows.loc["高沙社区", ["total", "open"]].tolist() == [0, 0]
    assert needs.totals(day) == {"total": 3, "met": 1, "partly": 0, "open": 2, "unanswered": 2}
    waiting = needs.waiting("松合社区", day)
    assert waiting[["id", "waited"]].values.tolist()[0] == [old, 150]
    needs.by_community(day)
    assert cache.loads("needs:by_community") == 1 and cache.hits("needs:by_community") >= 2
    needs.link(old, "idea", _idea(hub), STAFF)  # a write to need_links: figures computed again
    rows = needs.by_community(day).set_index("community")
    assert cache.loads("needs:by_community") == 2
    assert rows.loc["松合社区", ["open", "unanswered", "longest_wait"]].tolist() == [2, 1, 30]
    assert needs.waiting("松合社区", day)["id"].tolist() != [old]


def test_application_and_project_pages_read_the_needs_answered_through_the_same_work(demo_db):
    from core.domain import install_providers
    install_providers()
    proj = demo_db.fetch_one("SELECT id, application_id FROM projects ORDER BY id LIMIT 1")
    key = make_need()
    needs.link(key, "application", proj["application_id"], STAFF)
    assert needs.answered_needs("project", proj["id"])[["id", "kind"]].values.tolist() == [[key, "申报时关联"]]
    assert needs.answered_needs("application", proj["application_id"])[["id", "kind"]].values.tolist() == [
        [key, "直接关联"]]


def test_the_demo_loader_records_answered_and_open_needs_across_the_21_communities(demo_db):
    from core.demo import res_needs
    from core.domain import install_providers
    install_providers()
    # the demo template holds what the loader left (core.demo.resources runs it as the build's last step)
    stored = counts(demo_db)
    assert 80 <= stored["community_needs"] <= 200 and stored["need_events"] > 0 and stored["need_links"] > 0
    audited = {r["table_name"]: r["n"] for r in demo_db.fetch_all(
        "SELECT table_name, count(*) AS n FROM audit_log WHERE table_name IN ('community_needs', 'need_events',"
        " 'need_links') GROUP BY 1")}  # written through the audited write path, once
    assert audited == {t: stored[t] for t in ("community_needs", "need_events", "need_links")}
    # a need answered by a 金点子 is the need behind that idea
    assert set(res_needs.IDEA_NEEDS.values()) >= {(r["target_group"], r["title"], r["source"]) for r in
                                                  demo_db.fetch_all(
        "SELECT n.target_group, n.title, n.source FROM community_needs n JOIN need_links l ON l.need_id = n.id"
        " WHERE l.kind = 'idea'")}
    assert int(demo_db.scalar("SELECT count(DISTINCT community) FROM community_needs WHERE hub_id = 1")) == 21
    rows = needs.by_community(hubs=(1,))  # 下沙's (the case study's; 白杨's few come with the demo network)
    assert int(rows["met"].sum()) > 20 and int(rows["unanswered"].sum()) >= 21
    assert (rows["unanswered"] >= 1).all()  # every community still waits for something
    kinds = dict(demo_db.fetch_all("SELECT kind, count(*) AS n FROM need_links GROUP BY kind", []) and
                 [(r["kind"], r["n"]) for r in demo_db.fetch_all("SELECT kind, count(*) AS n FROM need_links GROUP BY kind")])
    assert set(kinds) == {"idea", "application", "project"}
    groups = set(demo_db.fetch_df("SELECT DISTINCT target_group FROM community_needs")["target_group"])
    assert {"一老一小", "困境儿童", "残障人士", "新居民", "老年人"} <= groups
    # the status each need shows is the last of its events, and no event precedes its survey
    assert int(demo_db.scalar(
        "SELECT count(*) FROM community_needs n WHERE status <> coalesce((SELECT to_status FROM need_events e"
        " WHERE e.need_id = n.id ORDER BY changed_on DESC, id DESC LIMIT 1), '登记')")) == 0
    assert int(demo_db.scalar("SELECT count(*) FROM need_events e JOIN community_needs n ON n.id = e.need_id"
                              " WHERE e.changed_on < n.surveyed_on")) == 0
