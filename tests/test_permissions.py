"""Permissions declared once, on the entity, and checked by the write path on every create/update/delete.

For each declared row rule (``Entity.rules``): the allowed write is stored (and audited under the person's
name), the refused one raises a Chinese PermissionDenied / ValidationFailed that says what is wrong and writes
nothing (the table and the audit log are unchanged). The writes go straight through ``core.platform.records``, not
through the screens' own checks, so the rule itself is what is tested. Also: no actor borrows the system's
rights, and every registered entity has a schema that describes its stored columns.
"""
from __future__ import annotations

import datetime as dt

import pytest

from core.intake import rounds
from core.platform import entities, lockout, records, security, sessions
from core.review import assignment, reviews
from core.platform.actor import SYSTEM, Actor
from core.platform.errors import PermissionDenied, ValidationFailed
from core.registry import all_entities
from core.review.reviews import REVIEW, SCORE
from schemas.base import field_specs
from tests.test_reviews import TODAY, form, setup, split  # noqa: F401  (setup is a fixture)
from tests.test_rounds import ADMIN, STAFF, hub  # noqa: F401  (hub is a fixture)

NOW = dt.datetime(2026, 4, 20, 10, 0)


def footprint(db, *tables: str) -> tuple:
    """The rows of ``tables`` and the audit log: equal before and after a refused write."""
    rows = tuple(tuple(sorted(map(repr, db.fetch_all(f"SELECT * FROM {t}")))) for t in tables)
    return rows + (db.scalar("SELECT coalesce(max(id), 0) FROM audit_log"),)


def refused(db, tables: tuple[str, ...], error, match: str, call) -> None:
    before = footprint(db, *tables)
    with pytest.raises(error, match=match):
        call()
    assert footprint(db, *tables) == before


def audited(db, table: str, key) -> list[tuple[str, str]]:
    return [(r["actor"], r["action"]) for r in db.fetch_all(
        "SELECT actor, action FROM audit_log WHERE table_name = ? AND row_key = ? ORDER BY id", [table, str(key)])]


def declare(s, who: str) -> None:
    assignment.confirm_no_conflict(s[f"t_{who}"], s[who])


def head(s, who: str, **over) -> dict:
    return {"assignment_id": s[f"t_{who}"], "application_id": s["apps"][0], "reviewer": s[who].username,
            "status": "draft", "recommendation": None, "total": None, "submitted_at": None, **over}


# ---- the registry ------------------------------------------------------------------------------------

def test_every_registered_entity_has_a_schema_of_its_stored_columns(db):
    missing = [e.name for e in all_entities() if e.schema is None]
    assert missing == []
    for e in all_entities():
        stored = {r["column_name"] for r in db.fetch_all(
            "SELECT column_name FROM information_schema.columns WHERE table_name = ?", [e.table])}
        specs = field_specs(e.schema)
        assert set(specs) - {"confirm"} <= stored | set(e.columns), (e.name, set(specs) - stored)
        for name, meta in specs.items():
            assert meta["label"] and any("\u4e00" <= ch <= "\u9fff" for ch in meta["label"]), (e.name, name)


def test_no_actor_borrows_the_system_role():
    with pytest.raises(ValueError):
        Actor("expert_li", ("reviewer", "system"))
    assert SYSTEM.system and not Actor("admin", ("admin",)).system
    assert not hasattr(assignment, "_as_system") and not hasattr(sessions, "_on_behalf")


def test_screens_and_the_write_path_read_one_answer(setup):
    """``entities.may`` is what a screen asks; the write path refuses exactly what it says no to."""
    s = setup
    li, wang = s["li"], s["wang"]
    assert entities.may(li, REVIEW, "create") and entities.may(li, SCORE, "create")
    assert not entities.may(STAFF, REVIEW, "create") and entities.may(STAFF, REVIEW, "update")
    assert not entities.may(li, REVIEW, "delete") and entities.may(STAFF, SCORE, "delete")
    assert not entities.may(Actor("leader", ("leader",)), assignment.ASSIGNMENT, "update")
    declare(s, "li")
    assert entities.may(li, REVIEW, "create", head(s, "li"))
    assert not entities.may(wang, REVIEW, "create", head(s, "li"))
    assert not entities.may(li, REVIEW, "create", head(s, "wang"))  # wang's task, and no conflict not declared
    assert not entities.may(None, REVIEW, "create")


# ---- review: a reviewer writes only for their own open assignment -----------------------------------

def test_a_reviewer_writes_a_review_for_their_own_open_assignment(setup):
    s = setup
    db = s["db"]
    declare(s, "li")
    key = records.create(REVIEW, head(s, "li"), s["li"])
    assert db.fetch_one("SELECT reviewer, status FROM reviews WHERE id = ?", [key]) == \
        {"reviewer": "expert_li", "status": "draft"}
    assert audited(db, "reviews", key) == [("expert_li", "create")]
    assert records.update(REVIEW, key, {}, s["li"], system={"status": "submitted", "submitted_at": NOW})
    assert audited(db, "reviews", key) == [("expert_li", "create"), ("expert_li", "update")]


def test_a_review_for_someone_elses_assignment_is_refused(setup):
    s = setup
    declare(s, "wang")
    refused(s["db"], ("reviews",), PermissionDenied, "这不是分配给您的评审任务",
            lambda: records.create(REVIEW, head(s, "wang", reviewer="expert_li"), s["li"]))
    refused(s["db"], ("reviews",), PermissionDenied, "只能填写您本人的评分",
            lambda: records.create(REVIEW, head(s, "wang"), s["li"]))


def test_a_review_before_the_conflict_declaration_is_refused(setup):
    s = setup
    refused(s["db"], ("reviews",), ValidationFailed, "请先确认与申报组织无利益冲突",
            lambda: records.create(REVIEW, head(s, "li"), s["li"]))


def test_a_review_of_a_recused_assignment_is_refused(setup):
    s = setup
    assignment.recuse(s["t_li"], "本人是该组织的理事", s["li"])
    refused(s["db"], ("reviews",), PermissionDenied, "您已回避该项目",
            lambda: records.create(REVIEW, head(s, "li"), s["li"]))


def test_a_submitted_review_cannot_be_changed_by_its_reviewer(setup):
    s = setup
    db = s["db"]
    declare(s, "li")
    reviews.save(s["t_li"], form(s["round"], split(80)), s["li"], submit=True, today=TODAY)
    review = reviews.review_of(s["t_li"])
    assert review["status"] == "submitted"
    refused(db, ("reviews", "review_scores"), ValidationFailed, "评分已提交",
            lambda: records.update(REVIEW, review["id"], {}, s["li"], system={"status": "draft", "submitted_at": None}))
    score = db.fetch_one("SELECT id FROM review_scores WHERE review_id = ? ORDER BY id LIMIT 1", [review["id"]])
    refused(db, ("reviews", "review_scores"), ValidationFailed, "评分已提交",
            lambda: records.update(SCORE, score["id"], {}, s["li"], system={"score": 0}))
    # staff may still reopen it (update is theirs), and the reviewer may then change it again
    reviews.reopen(review["id"], "评语与分数不符", STAFF)
    assert records.update(SCORE, score["id"], {}, s["li"], system={"score": 1})


def test_staff_change_a_review_only_by_reopening_it_with_a_reason(setup):
    s = setup
    db = s["db"]
    declare(s, "li")
    reviews.save(s["t_li"], form(s["round"], split(80)), s["li"], submit=True, today=TODAY)
    key = reviews.review_of(s["t_li"])["id"]
    tables = ("reviews", "review_scores")
    refused(db, tables, PermissionDenied, "不能修改专家评分的其他内容",
            lambda: records.update(REVIEW, key, {}, STAFF, system={"total": 99.0}))
    refused(db, tables, ValidationFailed, "只能写明原因重新开放评分",
            lambda: records.update(REVIEW, key, {}, STAFF, system={"status": "draft", "submitted_at": None}))
    score = db.fetch_one("SELECT id FROM review_scores WHERE review_id = ? ORDER BY id LIMIT 1", [key])["id"]
    refused(db, tables, PermissionDenied, "无权修改分项得分",
            lambda: records.update(SCORE, score, {}, STAFF, system={"score": 0}))
    assert records.update(REVIEW, key, {}, STAFF, system={"status": "draft", "submitted_at": None,
                                                         "reopened_reason": "评语与分数不符"})
    assert db.fetch_one("SELECT status, reopened_reason FROM reviews WHERE id = ?", [key]) == \
        {"status": "draft", "reopened_reason": "评语与分数不符"}
    assert audited(db, "reviews", key)[-1] == ("wangmin", "update")
    refused(db, tables, ValidationFailed, "只有已提交的评分可以重新开放",
            lambda: records.update(REVIEW, key, {}, STAFF, system={"reopened_reason": "再开一次"}))


def test_a_review_in_a_signed_off_round_is_refused(setup):
    s = setup
    declare(s, "li")
    records.update(rounds.ROUND, s["round"], {}, ADMIN, system={"scores_locked_at": NOW, "scores_locked_by": "chen"})
    refused(s["db"], ("reviews",), ValidationFailed, "本批次评分已签字锁定",
            lambda: records.create(REVIEW, head(s, "li"), s["li"]))


def test_staff_may_not_write_a_review_and_a_reviewer_may_not_delete_one(setup):
    s = setup
    declare(s, "li")
    refused(s["db"], ("reviews",), PermissionDenied, "无权修改专家评分",
            lambda: records.create(REVIEW, head(s, "li"), STAFF))
    key = records.create(REVIEW, head(s, "li"), s["li"])
    refused(s["db"], ("reviews",), PermissionDenied, "无权修改专家评分",
            lambda: records.delete(REVIEW, key, s["li"]))


# ---- review scores: only on the reviewer's own review, open when the save began -----------------------

def test_scores_are_written_on_the_reviewers_own_draft_and_refused_on_anothers(setup):
    s = setup
    db = s["db"]
    declare(s, "li")
    declare(s, "wang")
    mine = records.create(REVIEW, head(s, "li"), s["li"])
    theirs = records.create(REVIEW, head(s, "wang"), s["wang"])
    crit = db.fetch_one("SELECT id FROM rubric_criteria WHERE round_id = ? ORDER BY seq, id LIMIT 1", [s["round"]])["id"]
    key = records.create(SCORE, {"review_id": mine, "criterion_id": crit, "score": 15, "comment": "好"}, s["li"])
    assert db.fetch_one("SELECT score FROM review_scores WHERE id = ?", [key])["score"] == 15
    assert audited(db, "review_scores", key) == [("expert_li", "create")]
    refused(db, ("review_scores",), PermissionDenied, "只能填写您本人的评分",
            lambda: records.create(SCORE, {"review_id": theirs, "criterion_id": crit, "score": 1}, s["li"]))
    refused(db, ("review_scores",), PermissionDenied, "分项得分不能移到其他评分",
            lambda: records.update(SCORE, key, {}, s["li"], system={"review_id": theirs}))


def test_a_submission_writes_its_scores_in_the_same_save(setup):
    """The scores of a review submitted in this save are judged by the review as it was when the save began."""
    s = setup
    db = s["db"]
    declare(s, "li")
    total = reviews.save(s["t_li"], form(s["round"], split(80)), s["li"], submit=True, today=TODAY)
    review = reviews.review_of(s["t_li"])
    assert (review["status"], total) == ("submitted", 80)
    assert db.scalar("SELECT count(*) FROM review_scores WHERE review_id = ?", [review["id"]]) == 6
    assert {r["actor"] for r in db.fetch_all("SELECT actor FROM audit_log WHERE table_name IN ('reviews', 'review_scores')")} \
        == {"expert_li"}


# ---- assignment: the reviewer declares no conflict or recuses, on their own task only -----------------

def test_the_reviewer_declares_no_conflict_and_recuses_on_their_own_assignment(setup):
    s = setup
    db = s["db"]
    assert records.update(assignment.ASSIGNMENT, s["t_li"], {}, s["li"], system={"no_conflict_at": NOW})
    assert records.update(assignment.ASSIGNMENT, s["t_wang"], {}, s["wang"],
                          system={"status": "recused", "recused_reason": "曾任该组织顾问"})
    rows = {r["reviewer"]: r for r in db.fetch_all("SELECT * FROM assignments")}
    assert rows["expert_li"]["no_conflict_at"] == NOW and rows["expert_wang"]["status"] == "recused"
    assert audited(db, "assignments", s["t_li"])[-1] == ("expert_li", "update")


def test_the_reviewer_may_not_change_anything_else_of_an_assignment(setup):
    s = setup
    db = s["db"]
    tables = ("assignments",)
    refused(db, tables, PermissionDenied, "这不是分配给您的评审任务",
            lambda: records.update(assignment.ASSIGNMENT, s["t_wang"], {}, s["li"], system={"no_conflict_at": NOW}))
    refused(db, tables, PermissionDenied, "不能修改评审分配的其他内容",
            lambda: records.update(assignment.ASSIGNMENT, s["t_li"], {}, s["li"], system={"reviewer": "expert_zhao"}))
    refused(db, tables, ValidationFailed, "请说明利益冲突的情况",
            lambda: records.update(assignment.ASSIGNMENT, s["t_li"], {}, s["li"], system={"status": "recused"}))
    refused(db, tables, ValidationFailed, "只能确认与申报组织无利益冲突,或申报利益冲突并回避",
            lambda: records.update(assignment.ASSIGNMENT, s["t_li"], {}, s["li"], system={"recused_reason": "随便"}))
    refused(db, tables, PermissionDenied, "无权修改评审分配",
            lambda: records.delete(assignment.ASSIGNMENT, s["t_li"], s["li"]))
    refused(db, tables, PermissionDenied, "无权修改评审分配",
            lambda: records.create(assignment.ASSIGNMENT, {"application_id": s["apps"][1], "reviewer": "expert_li",
                                                           "status": "assigned"}, s["li"]))


def test_a_reviewer_may_not_recuse_after_submitting(setup):
    s = setup
    declare(s, "li")
    reviews.save(s["t_li"], form(s["round"], split(80)), s["li"], submit=True, today=TODAY)
    refused(s["db"], ("assignments",), ValidationFailed, "已提交评分的任务不能回避",
            lambda: records.update(assignment.ASSIGNMENT, s["t_li"], {}, s["li"],
                                   system={"status": "recused", "recused_reason": "想起来了"}))


# ---- sign-in bookkeeping: sessions, unlocks, security events -----------------------------------------

def test_an_account_starts_and_ends_only_its_own_sessions(hub):
    db = hub
    me, other = Actor("wangmin", ("staff",)), Actor("chen", ("admin",))
    sid = sessions.start(me)
    digest = sessions._digest(sid)
    row = db.fetch_one("SELECT username FROM user_sessions WHERE id = ?", [digest])
    assert row == {"username": "wangmin"}
    assert audited(db, "user_sessions", digest) == [("wangmin", "create")]
    theirs = sessions._digest(sessions.start(other))
    values = {"id": "0" * 64, "username": "chen", "created_at": NOW, "last_seen": NOW,
              "expires_at": NOW + dt.timedelta(days=1)}
    refused(db, ("user_sessions",), PermissionDenied, "无权结束其他用户的登录会话",
            lambda: records.create(sessions.SESSION, values, me))
    refused(db, ("user_sessions",), PermissionDenied, "无权结束其他用户的登录会话",
            lambda: records.update(sessions.SESSION, theirs, {}, me,
                                   system={"revoked_at": NOW, "revoked_by": "wangmin", "revoked_reason": "logout"}))
    refused(db, ("user_sessions",), PermissionDenied, "不能修改登录会话的其他内容",
            lambda: records.update(sessions.SESSION, digest, {}, me, system={"expires_at": NOW + dt.timedelta(days=99)}))
    sessions.end(sid, me)
    assert db.fetch_one("SELECT revoked_by FROM user_sessions WHERE id = ?", [digest]) == {"revoked_by": "wangmin"}
    assert sessions.revoke_one(theirs, ADMIN) == 1


def test_an_admin_records_only_an_unlock_and_no_one_writes_security_events(hub):
    db = hub
    lockout.unlock("wangmin", ADMIN)
    assert db.fetch_one("SELECT outcome, success FROM login_attempts") == {"outcome": "unlocked", "success": True}
    attempt = {"username": "wangmin", "attempted_at": NOW, "success": False, "client": None, "outcome": "failed"}
    refused(db, ("login_attempts",), PermissionDenied, "管理员只能登记解锁",
            lambda: records.create(lockout.LOGIN_ATTEMPT, attempt, ADMIN))
    refused(db, ("login_attempts",), PermissionDenied, "只有管理员可以解锁账号", lambda: lockout.unlock("chen", STAFF))
    event = {"happened_at": NOW, "username": "chen", "kind": "export", "detail": "导出"}
    refused(db, ("security_events",), PermissionDenied, "无权修改安全事件",
            lambda: records.create(security.EVENT, event, ADMIN))
    security.log("export", "chen", "导出组织台账")  # the system's own record
    assert db.fetch_one("SELECT username, kind FROM security_events") == {"username": "chen", "kind": "export"}
    lockout.record("wangmin", False, db=db)
    assert db.scalar("SELECT count(*) FROM login_attempts WHERE outcome = 'failed'") == 1


def test_the_systems_unaudited_bookkeeping_is_declared_and_limited_to_its_columns(hub):
    """A session's last_seen is the one write without an audit row: declared on the entity, written only by
    ``records.housekeep``, and nothing else of the row can be written that way."""
    db = hub
    digest = sessions._digest(sessions.start(Actor("wangmin", ("staff",))))
    assert sessions.SESSION.housekeeping == ("last_seen",)
    last = db.scalar("SELECT max(id) FROM audit_log")
    records.housekeep(sessions.SESSION, digest, {"last_seen": NOW}, only_if="revoked_at IS NULL")
    assert db.fetch_one("SELECT last_seen FROM user_sessions WHERE id = ?", [digest]) == {"last_seen": NOW}
    assert db.scalar("SELECT max(id) FROM audit_log") == last
    refused(db, ("user_sessions",), PermissionDenied, "不能由系统直接更新:username",
            lambda: records.housekeep(sessions.SESSION, digest, {"username": "chen", "last_seen": NOW}))
    refused(db, ("reviews",), PermissionDenied, "不能由系统直接更新",
            lambda: records.housekeep(REVIEW, 1, {"status": "draft"}))
