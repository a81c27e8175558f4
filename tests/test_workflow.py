"""The application workflow: the transition table itself, and random sequences of moves by random roles
(hypothesis) against one database — an accepted move is in the table, writes one event and two audit
rows; a refused move changes nothing; final states are final."""
from __future__ import annotations

from collections import deque

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import event as note_event
from hypothesis import strategies as st

from core.intake import workflow
from core.intake.applications import APPLICATION
from core.platform import records
from core.platform.errors import PermissionDenied
from core.intake.workflow import FINAL, TRANSITIONS, MoveRefused
from schemas.choices import APP_STATES
from tests.test_rounds import (  # noqa: F401  (hub is a fixture)
    ADMIN, LEADER, REVIEWER, STAFF, hub, last_audit_id, make_org, make_round,
)

ACTORS = {"admin": ADMIN, "staff": STAFF, "reviewer": REVIEWER, "leader": LEADER}
STATES = list(APP_STATES)
NON_FINAL = ["draft", "submitted", "screening", "returned", "resubmitted", "eligible", "under_review", "reviewed",
             "re_review", "recommended", "not_recommended", "public_notice"]
ADMIN_ONLY = {("recommended", "public_notice"), ("recommended", "rejected"), ("not_recommended", "rejected"),
              ("public_notice", "funded"), ("public_notice", "rejected")}


def allowed(source: str, target: str, role: str) -> bool:
    return any(t.source == source and t.target == target and role in t.roles for t in TRANSITIONS)


# ---- the table -------------------------------------------------------------------------------------

def test_the_table_only_names_known_states_and_has_no_duplicates_or_loops():
    pairs = [(t.source, t.target) for t in TRANSITIONS]
    assert len(pairs) == len(set(pairs))
    for t in TRANSITIONS:
        assert t.source in APP_STATES and t.target in APP_STATES
        assert t.source != t.target
        assert set(t.roles) <= {"admin", "staff"}
        assert t.label
    assert set(STATES) == set(NON_FINAL) | FINAL


def test_final_states_have_no_way_out():
    assert FINAL == {"funded", "rejected", "withdrawn", "ineligible"}
    assert [t for t in TRANSITIONS if t.source in FINAL] == []
    for s in FINAL:
        for role in ("admin", "staff", "reviewer", "leader", "system"):
            assert workflow.moves_from(s, [role]) == []


def test_withdrawn_is_reachable_from_every_non_final_state():
    for s in NON_FINAL:
        t = workflow.transition(s, "withdrawn")
        assert t is not None, s
        assert (t.roles, t.label) == (("admin", "staff"), "撤回")
    for s in FINAL:
        assert workflow.transition(s, "withdrawn") is None


def test_reviewers_and_leaders_can_make_no_move_at_all():
    for role in ("reviewer", "leader"):
        actor = ACTORS[role]
        for source in STATES:
            assert workflow.moves_from(source, [role]) == []
            for target in STATES:
                with pytest.raises((MoveRefused, PermissionDenied)):
                    workflow.check(source, target, actor)


def test_staff_may_make_every_move_except_the_decisions():
    for t in TRANSITIONS:
        if (t.source, t.target) in ADMIN_ONLY:
            assert t.roles == ("admin",)
            with pytest.raises(PermissionDenied) as info:
                workflow.check(t.source, t.target, STAFF)
            assert str(info.value) == f"您的角色无权执行「{t.label}」"
        else:
            assert workflow.check(t.source, t.target, STAFF) is t
        assert workflow.check(t.source, t.target, ADMIN) is t


def test_moves_from_a_state():
    assert [t.target for t in workflow.moves_from("screening", ["staff"])] == [
        "eligible", "ineligible", "returned", "withdrawn"]
    assert [t.target for t in workflow.moves_from("recommended", ["staff"])] == ["re_review", "withdrawn"]
    assert [t.target for t in workflow.moves_from("recommended", ["admin"])] == [
        "re_review", "public_notice", "rejected", "withdrawn"]
    assert [t.target for t in workflow.moves_from("not_recommended", ["staff"])] == ["re_review", "withdrawn"]
    assert [t.target for t in workflow.moves_from("reviewed", ("leader", "staff"))] == [
        "re_review", "recommended", "not_recommended", "withdrawn"]


@pytest.mark.parametrize("source, target, text", [
    ("draft", "funded", "流程不允许从「草稿」直接转为「已立项资助」"),
    ("funded", "withdrawn", "流程不允许从「已立项资助」直接转为「已撤回」"),
    ("rejected", "recommended", "流程不允许从「未获资助」直接转为「推荐立项」"),
    ("submitted", "eligible", "流程不允许从「已提交」直接转为「审查合格」"),
    ("draft", "draft", "流程不允许从「草稿」直接转为「草稿」"),
    ("draft", "nonsense", "流程不允许从「草稿」直接转为「nonsense」"),
])
def test_an_illegal_move_is_refused_with_a_chinese_message(source, target, text):
    for actor in ACTORS.values():
        with pytest.raises(MoveRefused) as info:
            workflow.check(source, target, actor)
        assert str(info.value) == text


def test_every_state_is_reachable_from_draft_and_every_state_can_end():
    def reach(start, edges):
        seen, todo = {start}, deque([start])
        while todo:
            s = todo.popleft()
            for a, b in edges:
                if a == s and b not in seen:
                    seen.add(b)
                    todo.append(b)
        return seen

    edges = [(t.source, t.target) for t in TRANSITIONS]
    assert reach("draft", edges) == set(STATES)
    back = [(b, a) for a, b in edges]
    for final in FINAL:
        assert "draft" in reach(final, back)
    for s in NON_FINAL:
        assert reach(s, edges) & FINAL, s


# ---- moves against the database ----------------------------------------------------------------------

@pytest.fixture
def wf(hub):
    """One round and one organisation; each example gets a fresh application in it."""
    return hub, make_round(max_apps_per_org=10), make_org(1)


def fresh_app(db, round_id: int, org_id: int, state: str = "draft") -> int:
    """A new application in ``state``, written straight through the unit (the organisation quota and the
    history that would lead to ``state`` are not what is tested here)."""
    with records.unit(ADMIN, db) as u:
        app_id = u.create(APPLICATION, {"round_id": round_id, "org_id": org_id, "title": "流程测试项目"},
                          validated=True, system={"state": state})
        u.create(workflow.EVENT, {"application_id": app_id, "from_state": None, "to_state": state,
                                  "note": "新建申报草稿"}, validated=True)
    return app_id


def snapshot(db, app_id: int) -> dict:
    return {
        "app": db.fetch_one("SELECT * FROM applications WHERE id = ?", [app_id]),
        "events": db.scalar("SELECT count(*) FROM application_events"),
        "audit": last_audit_id(db),
        "apps": db.scalar("SELECT count(*) FROM applications"),
    }


def events_of(db, app_id: int) -> list[dict]:
    return db.fetch_all("SELECT id, from_state, to_state, note, created_by FROM application_events"
                        " WHERE application_id = ? ORDER BY id", [app_id])


def step(data, state: str) -> tuple[str, str]:
    """A role and a target. Mostly a forward move of the table from ``state`` (so walks get deep),
    sometimes a withdrawal, sometimes any state at all; the role is any of the four."""
    role = data.draw(st.sampled_from(["admin", "staff", "admin", "staff", "reviewer", "leader"]), label="role")
    forward = sorted({t.target for t in TRANSITIONS if t.source == state} - {"withdrawn"})
    kind = data.draw(st.integers(min_value=0, max_value=15), label="kind")
    if forward and kind <= 11:
        return role, data.draw(st.sampled_from(forward), label="target")
    if kind == 12:
        return role, "withdrawn"
    return role, data.draw(st.sampled_from(STATES), label="target")


@settings(max_examples=40, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=st.data())
def test_random_moves_by_random_roles(wf, data):
    db, round_id, org_id = wf
    # half the examples start from a draft, the others from any state (final ones included)
    state = data.draw(st.one_of(st.just("draft"), st.sampled_from(STATES)), label="start")
    app_id = fresh_app(db, round_id, org_id, state)
    for _ in range(data.draw(st.integers(min_value=3, max_value=15), label="moves")):
        role, target = step(data, state)
        actor = ACTORS[role]
        before = snapshot(db, app_id)
        try:
            workflow.move(APPLICATION, app_id, target, actor)
        except MoveRefused as exc:
            assert workflow.transition(state, target) is None
            assert str(exc) == f"流程不允许从「{workflow.state_label(state)}」直接转为「{workflow.state_label(target)}」"
            assert snapshot(db, app_id) == before  # nothing changed: state, row, events, audit
        except PermissionDenied as exc:
            t = workflow.transition(state, target)
            assert t is not None and role not in t.roles
            assert str(exc) == f"您的角色无权执行「{t.label}」"
            assert snapshot(db, app_id) == before
        else:
            assert allowed(state, target, role), (state, target, role)
            assert state not in FINAL
            t = workflow.transition(state, target)
            after = snapshot(db, app_id)
            assert after["app"]["state"] == target
            assert after["app"]["updated_by"] == actor.username
            assert after["apps"] == before["apps"]
            assert after["events"] == before["events"] + 1
            event = events_of(db, app_id)[-1]
            assert event | {"id": 0} == {"id": 0, "from_state": state, "to_state": target, "note": t.label,
                                         "created_by": actor.username}
            rows = db.fetch_all("SELECT actor, table_name, row_key, action, note FROM audit_log WHERE id > ?"
                                " ORDER BY id", [before["audit"]])
            assert rows == [
                {"actor": actor.username, "table_name": "applications", "row_key": str(app_id), "action": "move",
                 "note": t.label},
                {"actor": actor.username, "table_name": "application_events", "row_key": str(event["id"]),
                 "action": "create", "note": t.label},
            ]
            state = target
            note_event(f"reached {target}")
        current = db.scalar("SELECT state FROM applications WHERE id = ?", [app_id])
        assert current == state and current in APP_STATES
        if before["app"]["state"] in FINAL:
            assert current == before["app"]["state"]
    # the events tell the whole story: a chain from nothing to the current state
    chain = events_of(db, app_id)
    assert chain[0]["from_state"] is None
    for prev, nxt in zip(chain, chain[1:]):
        assert nxt["from_state"] == prev["to_state"]
    assert chain[-1]["to_state"] == state


@settings(max_examples=15, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=st.data())
def test_an_admin_following_the_table_is_never_refused_and_can_always_finish(wf, data):
    """Legal moves only, by an admin: every one is accepted; a walk ends in a final state (复评 may loop,
    so after 20 moves the application is withdrawn, which is always possible before a final state)."""
    db, round_id, org_id = wf
    app_id = fresh_app(db, round_id, org_id)
    state, moves = "draft", 0
    while state not in FINAL:
        options = [t.target for t in workflow.moves_from(state, ["admin"])]
        assert "withdrawn" in options, state
        target = "withdrawn" if moves >= 20 else data.draw(st.sampled_from(options), label=f"from {state}")
        workflow.move(APPLICATION, app_id, target, ADMIN)
        state, moves = target, moves + 1
    assert db.scalar("SELECT state FROM applications WHERE id = ?", [app_id]) == state
    assert len(events_of(db, app_id)) == moves + 1
    before = snapshot(db, app_id)
    for target in STATES:  # and from there nothing moves
        with pytest.raises(MoveRefused):
            workflow.move(APPLICATION, app_id, target, ADMIN)
    assert snapshot(db, app_id) == before


def test_a_refused_move_in_the_database_changes_nothing(wf):
    db, round_id, org_id = wf
    app_id = fresh_app(db, round_id, org_id)
    before = snapshot(db, app_id)
    with pytest.raises(PermissionDenied, match="^您的角色无权执行「提交申报」$"):
        workflow.move(APPLICATION, app_id, "submitted", REVIEWER)
    with pytest.raises(PermissionDenied):
        workflow.move(APPLICATION, app_id, "submitted", LEADER)
    with pytest.raises(MoveRefused, match="^流程不允许从「草稿」直接转为「公示中」$"):
        workflow.move(APPLICATION, app_id, "public_notice", ADMIN)
    assert snapshot(db, app_id) == before


def test_a_guard_that_refuses_rolls_the_move_back(wf):
    db, round_id, org_id = wf
    app_id = fresh_app(db, round_id, org_id)
    before = snapshot(db, app_id)

    def guard(app):
        assert app["state"] == "draft"
        raise MoveRefused("材料不齐")

    with pytest.raises(MoveRefused, match="材料不齐"):
        workflow.move(APPLICATION, app_id, "submitted", STAFF, guard=guard)
    assert snapshot(db, app_id) == before


def test_a_move_with_a_note_and_system_columns(wf):
    db, round_id, org_id = wf
    app_id = fresh_app(db, round_id, org_id)
    mark = last_audit_id(db)
    workflow.move(APPLICATION, app_id, "submitted", STAFF, note="代为提交", system={"returned_count": 0})
    workflow.move(APPLICATION, app_id, "screening", STAFF, system={"decision_note": "初审"})
    app = db.fetch_one("SELECT state, decision_note FROM applications WHERE id = ?", [app_id])
    assert app == {"state": "screening", "decision_note": "初审"}
    assert [(e["from_state"], e["to_state"], e["note"]) for e in events_of(db, app_id)] == [
        (None, "draft", "新建申报草稿"), ("draft", "submitted", "代为提交"), ("submitted", "screening", "开始资格审查")]
    # the audit note of the application row carries the given note; the event's carries the action
    assert [(r["table_name"], r["note"]) for r in db.fetch_all(
        "SELECT table_name, note FROM audit_log WHERE id > ? ORDER BY id", [mark])] == [
        ("applications", "代为提交"), ("application_events", "提交申报"),
        ("applications", "开始资格审查"), ("application_events", "开始资格审查")]


def test_moving_a_missing_application(wf):
    from core.platform.errors import NotFound

    with pytest.raises(NotFound, match="申报项目\\(编号 999\\)不存在"):
        workflow.move(APPLICATION, 999, "submitted", ADMIN)


def test_timeline_shows_the_moves_in_chinese(wf):
    db, round_id, org_id = wf
    app_id = fresh_app(db, round_id, org_id)
    workflow.move(APPLICATION, app_id, "submitted", STAFF)
    workflow.move(APPLICATION, app_id, "withdrawn", ADMIN, note="组织解散")
    df = workflow.timeline(app_id)
    assert list(df.columns) == ["时间", "操作人", "从", "到", "说明"]
    assert df[["操作人", "从", "到", "说明"]].to_dict("records") == [
        {"操作人": "chen", "从": "—", "到": "草稿", "说明": "新建申报草稿"},
        {"操作人": "wangmin", "从": "草稿", "到": "已提交", "说明": "提交申报"},
        {"操作人": "chen", "从": "已提交", "到": "已撤回", "说明": "组织解散"},
    ]
