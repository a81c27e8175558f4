"""评审分配: the pure planner (n reviewers each, caps, conflicts, expertise first, balanced loads,
shortfalls with their reason), planning and confirming a round against the database (one
transaction, audited, every pair re-checked), manual assignment and its refusals, unassigning."""
from __future__ import annotations

from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.platform.actor import Actor
from core.review import assignment, reviewers, reviews
from core.platform.errors import NotFound, PermissionDenied, ValidationFailed
from tests.test_reviews import TODAY, expert, experts, form, in_review, org_of, score
from tests.test_rounds import ADMIN, STAFF, audit_rows, hub, last_audit_id, make_round  # noqa: F401

plan = assignment.plan


def app(i: int, *, org: int | None = None, category: str = "一老一小", assigned=(), excluded=()) -> dict:
    return {"id": i, "org_id": org if org is not None else 100 + i, "category": category,
            "assigned": set(assigned), "excluded": set(excluded)}


def ex(name: str, *, expertise=(), cap: int = 12, load: int = 0) -> dict:
    return {"username": name, "expertise": set(expertise), "cap": cap, "load": load}


def loads(pairs, base: dict[str, int] | None = None) -> Counter:
    c = Counter(base or {})
    c.update(u for _, u in pairs)
    return c


def by_app(pairs) -> dict[int, list[str]]:
    out: dict[int, list[str]] = {}
    for a, u in pairs:
        out.setdefault(a, []).append(u)
    return out


# ---- the pure planner ----------------------------------------------------------------------------

def test_every_application_gets_n_distinct_reviewers_when_possible():
    p = plan([app(i) for i in range(1, 5)], [ex(f"e{i}") for i in range(1, 7)], set(), 3)
    assert p.shortfalls == []
    assert len(p.pairs) == 12
    got = by_app(p.pairs)
    assert sorted(got) == [1, 2, 3, 4]
    assert all(len(us) == 3 == len(set(us)) for us in got.values())
    assert sorted(loads(p.pairs).values()) == [2, 2, 2, 2, 2, 2]


def test_no_reviewer_goes_above_the_cap_and_the_rest_falls_short():
    p = plan([app(i) for i in range(1, 6)], [ex(f"e{i}", cap=2) for i in range(1, 5)], set(), 2)
    assert max(loads(p.pairs).values()) == 2 and len(p.pairs) == 8
    assert by_app(p.pairs) == {1: ["e1", "e2"], 2: ["e3", "e4"], 3: ["e1", "e2"], 4: ["e3", "e4"]}
    assert p.shortfalls == [(5, "还差2位专家:共4位专家,其中0位有利益冲突,4位已达评审上限,0位已分配或已回避")]


def test_existing_load_counts_against_the_cap():
    p = plan([app(i) for i in range(1, 6)], [ex("e1", cap=3, load=2), ex("e2", cap=3, load=0)], set(), 1)
    assert p.pairs == [(1, "e2"), (2, "e2"), (3, "e1"), (4, "e2")]  # e1: 2 + 1, e2: 0 + 3, both at the cap
    assert p.shortfalls == [(5, "还差1位专家:共2位专家,其中0位有利益冲突,2位已达评审上限,0位已分配或已回避")]


def test_conflicted_reviewers_are_never_assigned():
    apps = [app(1, org=11), app(2, org=12), app(3, org=11)]
    conflicts = {("e1", 11), ("e2", 11), ("e3", 12)}
    p = plan(apps, [ex(f"e{i}") for i in range(1, 5)], conflicts, 2)
    org = {1: 11, 2: 12, 3: 11}
    assert all((u, org[a]) not in conflicts for a, u in p.pairs)
    assert by_app(p.pairs) == {1: ["e3", "e4"], 2: ["e1", "e2"], 3: ["e3", "e4"]}
    assert p.shortfalls == []


def test_expertise_is_matched_before_load():
    experts_ = [ex("a", expertise={"社区治理"}, load=0), ex("b", expertise={"一老一小"}, load=3),
                ex("c", expertise={"一老一小", "文化建设"}, load=5)]
    assert sorted(plan([app(1)], experts_, set(), 2).pairs) == [(1, "b"), (1, "c")]
    assert sorted(plan([app(1, category="社区治理")], experts_, set(), 2).pairs) == [(1, "a"), (1, "b")]
    assert sorted(plan([app(1)], experts_, set(), 3).pairs) == [(1, "a"), (1, "b"), (1, "c")]


def test_the_hardest_application_is_served_first():
    # app 2 can only be reviewed by e2; app 1 would have preferred e2 (expertise), but gets e1
    experts_ = [ex("e1", cap=1), ex("e2", cap=1, expertise={"一老一小"})]
    p = plan([app(1, org=11), app(2, org=12)], experts_, {("e1", 12)}, 1)
    assert sorted(p.pairs) == [(1, "e1"), (2, "e2")]
    assert p.shortfalls == []


def test_already_assigned_and_recused_reviewers_are_kept_out():
    p = plan([app(1, assigned={"e1"}, excluded={"e2"})], [ex(f"e{i}") for i in range(1, 5)], set(), 3)
    assert sorted(p.pairs) == [(1, "e3"), (1, "e4")]
    assert plan([app(1, assigned={"e1", "e2"})], [ex("e1"), ex("e2")], set(), 2).pairs == []


def test_an_impossible_application_reports_its_shortfall():
    experts_ = [ex("e1"), ex("e2"), ex("e3")]
    p = plan([app(1, org=11), app(2, org=12)], experts_, {("e1", 11), ("e2", 11)}, 3)
    assert by_app(p.pairs) == {1: ["e3"], 2: ["e1", "e2", "e3"]}
    assert p.shortfalls == [(1, "还差2位专家:共3位专家,其中2位有利益冲突,0位已达评审上限,0位已分配或已回避")]


def test_loads_are_balanced_in_a_symmetric_case():
    p = plan([app(i) for i in range(1, 8)], [ex(f"e{i}") for i in range(1, 6)], set(), 3)
    counted = loads(p.pairs)
    assert sum(counted.values()) == 21 and len(counted) == 5
    assert max(counted.values()) - min(counted.values()) <= 1
    assert sorted(counted.values()) == [4, 4, 4, 4, 5]


@settings(max_examples=max(60, settings().max_examples), deadline=None)
@given(n_apps=st.integers(1, 25), n_experts=st.integers(1, 12), n=st.integers(1, 6))
def test_property_symmetric_loads_differ_by_at_most_one(n_apps, n_experts, n):
    p = plan([app(i) for i in range(1, n_apps + 1)], [ex(f"e{i:02d}", cap=1000) for i in range(n_experts)], set(), n)
    counted = loads(p.pairs, {f"e{i:02d}": 0 for i in range(n_experts)})
    assert max(counted.values()) - min(counted.values()) <= 1
    per = min(n, n_experts)
    assert all(len(set(us)) == len(us) == per for us in by_app(p.pairs).values())
    assert len(p.shortfalls) == (n_apps if n > n_experts else 0)


@settings(max_examples=max(60, settings().max_examples), deadline=None)
@given(data=st.data())
def test_property_caps_conflicts_and_counts_always_hold(data):
    n_experts = data.draw(st.integers(1, 8))
    names = [f"e{i}" for i in range(n_experts)]
    experts_ = [ex(u, cap=data.draw(st.integers(1, 4)), load=0, expertise=data.draw(
        st.sets(st.sampled_from(["一老一小", "社区治理"])))) for u in names]
    apps = [app(i, org=data.draw(st.integers(1, 4)), category=data.draw(st.sampled_from(["一老一小", "社区治理"])))
            for i in range(1, data.draw(st.integers(1, 10)) + 1)]
    conflicts = data.draw(st.sets(st.tuples(st.sampled_from(names), st.integers(1, 4))))
    n = data.draw(st.integers(1, 4))
    p = plan(apps, experts_, conflicts, n)
    org = {a["id"]: a["org_id"] for a in apps}
    cap = {e["username"]: e["cap"] for e in experts_}
    assert all(loads(p.pairs)[u] <= cap[u] for u in names)
    assert all((u, org[a]) not in conflicts for a, u in p.pairs)
    assert len(set(p.pairs)) == len(p.pairs)
    got = by_app(p.pairs)
    short = dict(p.shortfalls)
    for a in apps:
        missing = n - len(got.get(a["id"], []))
        assert (missing > 0) == (a["id"] in short)
        if missing:
            assert short[a["id"]].startswith(f"还差{missing}位专家:共{n_experts}位专家,")


# ---- planning a round in the database ------------------------------------------------------------

@pytest.fixture
def round3(hub):
    """reviewers_per_app = 2; three applications under review; four reviewers; expert01 is a 理事 of app 1's organisation."""
    rid = make_round(reviewers_per_app=2)
    apps = [in_review(rid, i, category=c) for i, c in ((1, "一老一小"), (2, "社区治理"), (3, "一老一小"))]
    panel = experts(4)
    reviewers.add_affiliation("expert01", {"org_id": org_of(hub, apps[0]), "relation": "理事"}, STAFF)
    return {"db": hub, "round": rid, "apps": apps, "panel": panel}


def test_plan_round_then_confirm_writes_every_pair_in_one_audited_transaction(round3):
    db, rid, (a1, a2, a3) = round3["db"], round3["round"], round3["apps"]
    p = assignment.plan_round(rid)
    assert p.shortfalls == [] and len(p.pairs) == 6
    assert "expert01" not in by_app(p.pairs)[a1]
    before = last_audit_id(db)
    assert assignment.confirm_plan(rid, p.pairs, STAFF) == 6
    stored = db.fetch_all("SELECT id, application_id, reviewer, status, created_by FROM assignments ORDER BY id")
    assert sorted((r["application_id"], r["reviewer"]) for r in stored) == sorted(p.pairs)
    assert {(r["status"], r["created_by"]) for r in stored} == {("assigned", "wangmin")}
    rows = audit_rows(db, before)
    assert [(r["actor"], r["table_name"], r["action"]) for r in rows] == [("wangmin", "assignments", "create")] * 6
    assert sorted(int(r["row_key"]) for r in rows) == [r["id"] for r in stored]
    assert len({r["logged_at"] for r in db.fetch_all("SELECT logged_at FROM audit_log WHERE id > ?", [before])}) == 1
    again = assignment.plan_round(rid)
    assert (again.pairs, again.shortfalls) == ([], [])
    matrix = assignment.matrix(rid)  # projects by title, people by name
    people = sorted({u for _, u in p.pairs})
    assert list(matrix.columns) == ["编号", "项目名称", "已分配", *[reviewers.person(u) for u in people]]
    assert list(matrix["编号"]) == [a1, a2, a3]
    assert list(matrix["项目名称"]) == ["测试项目第1号", "测试项目第2号", "测试项目第3号"]
    assert list(matrix["已分配"]) == [2, 2, 2]
    assert (matrix.drop(columns=["编号", "项目名称", "已分配"]).values == "●").sum() == 6
    assert not [c for c in matrix.columns if c.startswith("expert") or c.startswith("#")]


def test_confirm_plan_is_all_or_nothing(round3):
    db, rid, (a1, a2, _) = round3["db"], round3["round"], round3["apps"]
    before = last_audit_id(db)
    with pytest.raises(ValidationFailed) as info:
        assignment.confirm_plan(rid, [(a2, "expert01"), (a1, "expert02"), (a1, "expert01")], STAFF)
    assert info.value.form == ["专家01与申报组织有利益冲突:已申报与该组织的关系:理事"]
    assert db.scalar("SELECT count(*) FROM assignments") == 0 and last_audit_id(db) == before
    other = make_round(name="2026年另一批次公益创投")
    with pytest.raises(ValidationFailed, match=f"项目\\(编号 {a1}\\)不属于本批次"):
        assignment.confirm_plan(other, [(a1, "expert02")], STAFF)


def test_confirm_plan_refuses_a_pair_twice_in_one_batch(round3):
    db, rid, (a1, _, _) = round3["db"], round3["round"], round3["apps"]
    with pytest.raises(ValidationFailed) as info:
        assignment.confirm_plan(rid, [(a1, "expert02"), (a1, "expert02")], STAFF)
    assert info.value.form == ["专家02已分配过该项目(或已回避)"]
    assert db.scalar("SELECT count(*) FROM assignments") == 0


def test_a_stale_plan_cannot_push_a_reviewer_over_the_cap(round3):
    """Planned while expert02 had room for two; a manual assignment since leaves room for one."""
    db, rid, (a1, a2, a3) = round3["db"], round3["round"], round3["apps"]
    reviewers.save_profile("expert02", {"expertise": ["一老一小"], "load_cap": 2}, STAFF)
    p = assignment.plan_round(rid)
    mine = [pair for pair in p.pairs if pair[1] == "expert02"]
    assert len(mine) == 2  # expertise first: both 一老一小 applications
    assignment.assign(a2, "expert02", STAFF)
    with pytest.raises(ValidationFailed) as info:
        assignment.confirm_plan(rid, p.pairs, STAFF)
    assert info.value.form == ["专家02本批次已分配 2 个项目,达到上限 2"]
    assert db.scalar("SELECT count(*) FROM assignments WHERE reviewer = 'expert02'") == 1


def test_a_recused_reviewer_is_not_planned_again(round3):
    db, rid, (a1, a2, _) = round3["db"], round3["round"], round3["apps"]
    assignment.confirm_plan(rid, assignment.plan_round(rid).pairs, STAFF)
    task = db.fetch_one("SELECT id, reviewer FROM assignments WHERE application_id = ? ORDER BY id LIMIT 1", [a2])
    assignment.recuse(task["id"], "曾为该组织提供督导", Actor(task["reviewer"], ("reviewer",)))
    p = assignment.plan_round(rid)
    assert p.shortfalls == [] and len(p.pairs) == 1
    ((app_id, who),) = p.pairs
    assert app_id == a2 and who != task["reviewer"]
    assert who not in {r["reviewer"] for r in db.fetch_all("SELECT reviewer FROM assignments WHERE application_id = ?", [a2])}
    assert assignment.matrix(rid).set_index("编号").loc[a2, reviewers.person(task["reviewer"])] == "回避"


# ---- manual assignment ---------------------------------------------------------------------------

def test_assign_creates_an_audited_assignment(round3):
    db, (a1, _, _) = round3["db"], round3["apps"]
    before = last_audit_id(db)
    task = assignment.assign(a1, "expert02", STAFF)
    assert db.fetch_one("SELECT application_id, reviewer, status FROM assignments WHERE id = ?", [task]) == {
        "application_id": a1, "reviewer": "expert02", "status": "assigned"}
    assert [(r["actor"], r["table_name"], r["row_key"], r["action"]) for r in audit_rows(db, before)] == [
        ("wangmin", "assignments", str(task), "create")]
    assert assignment.for_application(a1)["reviewer"].tolist() == ["expert02"]


def test_assign_refuses_a_conflicted_reviewer(round3):
    db, (a1, _, _) = round3["db"], round3["apps"]
    with pytest.raises(ValidationFailed) as info:
        assignment.assign(a1, "expert01", STAFF)
    assert info.value.form == ["专家01与申报组织有利益冲突:已申报与该组织的关系:理事"]
    reviewers.add_affiliation("expert01", {"org_id": org_of(db, a1), "relation": "志愿者"}, STAFF)
    with pytest.raises(ValidationFailed) as info:
        assignment.assign(a1, "expert01", STAFF)
    assert info.value.form == ["专家01与申报组织有利益冲突:已申报与该组织的关系:理事;已申报与该组织的关系:志愿者"]
    assert db.scalar("SELECT count(*) FROM assignments") == 0


def test_assign_refuses_a_duplicate_and_a_recused_reviewer(round3):
    db, (a1, a2, _) = round3["db"], round3["apps"]
    assignment.assign(a1, "expert02", STAFF)
    with pytest.raises(ValidationFailed) as info:
        assignment.assign(a1, "expert02", STAFF)
    assert info.value.form == ["专家02已分配过该项目(或已回避)"]
    task = assignment.assign(a2, "expert03", STAFF)
    assignment.recuse(task, "我是该组织的顾问", Actor("expert03", ("reviewer",)))
    with pytest.raises(ValidationFailed, match="专家03已分配过该项目"):
        assignment.assign(a2, "expert03", STAFF)
    assert db.scalar("SELECT count(*) FROM assignments") == 2


def test_assign_refuses_above_the_cap(round3):
    db, (a1, a2, a3) = round3["db"], round3["apps"]
    reviewers.save_profile("expert02", {"expertise": ["一老一小"], "load_cap": 2}, STAFF)
    assignment.assign(a1, "expert02", STAFF)
    assignment.assign(a2, "expert02", STAFF)
    with pytest.raises(ValidationFailed) as info:
        assignment.assign(a3, "expert02", STAFF)
    assert info.value.form == ["专家02本批次已分配 2 个项目,达到上限 2"]
    # a recused task does not count against the cap
    first = db.scalar("SELECT id FROM assignments WHERE application_id = ? AND reviewer = 'expert02'", [a1])
    assignment.recuse(first, "与该组织负责人是亲属", Actor("expert02", ("reviewer",)))
    assert assignment.assign(a3, "expert02", STAFF) > 0


def test_assign_refuses_an_application_not_in_review(hub):
    rid = make_round()
    expert("expert01")
    from tests.test_rounds import make_app, make_org, walk

    app_id = make_app(rid, make_org(9), submit=True)
    walk(app_id, "screening", "eligible")
    with pytest.raises(ValidationFailed) as info:
        assignment.assign(app_id, "expert01", STAFF)
    assert info.value.form == ["只有「专家评审中」或「复评中」的项目可以分配专家"]
    walk(app_id, "under_review", "reviewed", "re_review")
    assert assignment.assign(app_id, "expert01", STAFF) > 0  # 复评中: more reviewers may be added
    with pytest.raises(NotFound, match="申报项目\\(编号 999\\)不存在"):
        assignment.assign(999, "expert01", STAFF)


def test_assign_refuses_accounts_that_are_not_active_reviewers_and_non_staff(round3):
    db, (a1, _, _) = round3["db"], round3["apps"]
    with pytest.raises(ValidationFailed) as info:
        assignment.assign(a1, "wangmin", STAFF)
    assert info.value.form == ["wangmin不是启用的评审专家账号"]
    from core.platform import users

    users.set_active("expert03", False, ADMIN)
    with pytest.raises(ValidationFailed, match="专家03不是启用的评审专家账号"):
        assignment.assign(a1, "expert03", STAFF)
    with pytest.raises(PermissionDenied, match="当前账号无权修改评审分配"):
        assignment.assign(a1, "expert02", Actor("expert04", ("reviewer",)))
    assert db.scalar("SELECT count(*) FROM assignments") == 0


# ---- unassigning ---------------------------------------------------------------------------------

def test_unassign_removes_the_task_and_its_draft_but_not_a_submitted_review(round3):
    db, rid, (a1, a2, _) = round3["db"], round3["round"], round3["apps"]
    who = Actor("expert02", ("reviewer",))
    t1, t2 = assignment.assign(a1, who.username, STAFF), assignment.assign(a2, who.username, STAFF)
    assignment.confirm_no_conflict(t1, who)
    reviews.save(t1, form(rid, [15, 20, None, None, None, None]), who, today=TODAY)
    before = last_audit_id(db)
    reviews.unassign(t1, STAFF)
    assert [(r["table_name"], r["action"], r["note"]) for r in audit_rows(db, before)] == [
        ("reviews", "delete", "取消分配")] + [("review_scores", "delete", "取消分配")] * 6 + [("assignments", "delete", None)]
    assert db.scalar("SELECT count(*) FROM assignments WHERE id = ?", [t1]) == 0
    assert (db.scalar("SELECT count(*) FROM reviews"), db.scalar("SELECT count(*) FROM review_scores")) == (0, 0)
    score(t2, who, rid, 77)
    with pytest.raises(ValidationFailed) as info:
        reviews.unassign(t2, STAFF)
    assert info.value.form == ["该专家已提交评分,不能取消分配"]
    assert db.scalar("SELECT count(*) FROM assignments WHERE id = ?", [t2]) == 1


# ---- 审查合格 but not yet sent: say why there is nothing to plan, and send them in one step ---------------

def _eligible(rid: int, serial: int, title: str) -> int:
    from tests.test_rounds import make_app, make_org, walk

    app_id = make_app(rid, make_org(serial), submit=True, title=title)
    walk(app_id, "screening", "eligible")
    return app_id


def test_nothing_to_plan_says_why(hub):
    rid = make_round(reviewers_per_app=2)
    experts(3)
    assert assignment.nothing_to_plan(rid) == \
        "本批次还没有进入专家评审的项目:申报通过资格审查(审查合格)并送专家评审后,才能分配专家。"
    a, b = _eligible(rid, 1, "长者食堂"), _eligible(rid, 2, "四点半课堂")
    assert [w["id"] for w in assignment.waiting(rid)] == [a, b]
    assert assignment.nothing_to_plan(rid) == \
        "本批次没有「专家评审中」或「复评中」的项目,无需分配。另有 2 个「审查合格」的项目尚未送专家评审,送审后才能分配。"
    c = in_review(rid, 3)
    assert assignment.nothing_to_plan(rid) is None  # c needs two experts
    assignment.confirm_plan(rid, assignment.plan_round(rid).pairs, STAFF)
    assert assignment.nothing_to_plan(rid) == \
        "本批次 1 个评审中的项目都已分配 2 位专家,无需再分配。另有 2 个「审查合格」的项目尚未送专家评审,送审后才能分配。"
    assert assignment.plan_round(rid).pairs == [] and c


def test_send_eligible_to_review_moves_them_all_through_the_workflow_in_one_transaction(hub):
    rid = make_round(reviewers_per_app=2)
    experts(3)
    a, b = _eligible(rid, 1, "长者食堂"), _eligible(rid, 2, "四点半课堂")
    other = make_round(name="2026年另一批次公益创投")
    elsewhere = _eligible(other, 3, "另一批次的项目")
    before = last_audit_id(hub)
    assert assignment.send_eligible_to_review(rid, STAFF) == 2
    states = {r["id"]: r["state"] for r in hub.fetch_all("SELECT id, state FROM applications")}
    assert (states[a], states[b], states[elsewhere]) == ("under_review", "under_review", "eligible")
    events = hub.fetch_all("SELECT application_id, from_state, to_state, note, created_by FROM application_events"
                           " WHERE id > (SELECT coalesce(max(id), 0) - 2 FROM application_events) ORDER BY id")
    assert [(e["application_id"], e["from_state"], e["to_state"], e["note"], e["created_by"]) for e in events] == [
        (a, "eligible", "under_review", "批量送专家评审", "wangmin"), (b, "eligible", "under_review", "批量送专家评审", "wangmin")]
    rows = audit_rows(hub, before)
    assert [(r["table_name"], r["action"]) for r in rows] == [("applications", "move"), ("application_events", "create")] * 2
    assert len({r["logged_at"] for r in hub.fetch_all("SELECT logged_at FROM audit_log WHERE id > ?", [before])}) == 1
    assert assignment.waiting(rid) == [] and assignment.nothing_to_plan(rid) is None
    # a second click (or a colleague who was quicker) sends nothing twice and says so
    after = last_audit_id(hub)
    with pytest.raises(ValidationFailed) as info:
        assignment.send_eligible_to_review(rid, STAFF)
    assert info.value.form == ["本批次已没有「审查合格」待送审的项目(可能刚由他人送审),页面已刷新"]
    assert last_audit_id(hub) == after


def test_send_eligible_to_review_is_staff_only(hub):
    rid = make_round()
    a = _eligible(rid, 1, "长者食堂")
    with pytest.raises(PermissionDenied):
        assignment.send_eligible_to_review(rid, Actor("expert01", ("reviewer",)))
    assert hub.scalar("SELECT state FROM applications WHERE id = ?", [a]) == "eligible"
