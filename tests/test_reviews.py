"""专家评审, the reviewer's side: isolation (own tasks only, PermissionDenied for anyone else's),
blind rounds, the no-conflict declaration and recusal, drafts, one submission, the deadline,
reopening by staff, the sign-off lock, and 30 reviewers submitting at the same moment.

Also the small builders the other review test files share (reviewers, applications under review,
assignments, filled-in scoring forms)."""
from __future__ import annotations

import datetime as dt

import pytest

from core.intake import applications, rubrics
from core.platform import audit, users
from core.platform.actor import Actor
from core.review import assignment, consolidation, reviewers, reviews
from core.platform.errors import PermissionDenied, ValidationFailed
from tests.threads import run_together
from tests.test_rounds import (  # noqa: F401  (hub is a fixture)
    ADMIN, STAFF, audit_rows, hub, last_audit_id, make_app, make_org, make_round, walk, with_amount,
)

D = dt.date
TODAY = D(2026, 4, 20)  # inside the default 2026 review window (16 April – 30 April)
DEFAULT_MAXIMA = [20, 25, 20, 15, 10, 10]


# ---- shared builders -------------------------------------------------------------------------------

def expert(username: str, *, expertise: tuple[str, ...] | None = None, cap: int | None = None) -> Actor:
    """An active reviewer account (and a profile when expertise or a cap is given)."""
    users.create({"username": username, "name": f"专家{username[-2:]}", "roles": ["reviewer"], "active": True}, ADMIN)
    if expertise is not None or cap is not None:
        reviewers.save_profile(username, {"expertise": list(expertise or ["公共服务"]), "load_cap": cap}, STAFF)
    return Actor(username, ("reviewer",))


def experts(n: int, prefix: str = "expert", **kw) -> list[Actor]:
    return [expert(f"{prefix}{i:02d}", **kw) for i in range(1, n + 1)]


def in_review(round_id: int, serial: int, *, category: str = "一老一小", amount: float = 40000,
              title: str | None = None) -> int:
    """An application of a fresh organisation, submitted, screened and sent to 专家评审."""
    org = make_org(serial)
    app_id = make_app(round_id, org, submit=True, category=category, title=title or f"测试项目第{serial}号",
                      **with_amount(amount))
    walk(app_id, "screening", "eligible", "under_review")
    return app_id


def org_of(db, app_id: int) -> int:
    return int(db.scalar("SELECT org_id FROM applications WHERE id = ?", [app_id]))


def assign_all(app_id: int, actors: list[Actor]) -> list[int]:
    return [assignment.assign(app_id, a.username, STAFF) for a in actors]


def split(total: int, maxima: list[int] = DEFAULT_MAXIMA) -> list[int]:
    """Whole-point scores for the default rubric that add up to ``total``."""
    out, left = [], total
    for m in maxima:
        out.append(min(m, left))
        left -= out[-1]
    assert left == 0, total
    return out


def form(round_id: int, scores: list[float | None], recommendation: str | None = "推荐",
         comments: bool = True) -> dict:
    """Scoring form values for the round's rubric, in rubric order (a comment on every criterion)."""
    crit = rubrics.criteria(round_id)
    values: dict = {"recommendation": recommendation}
    for c, s in zip(crit, scores):
        values[f"score_{c['id']}"] = s
        if comments:
            values[f"comment_{c['id']}"] = f"{c['name']}评语"
    return values


def score(assignment_id: int, who: Actor, round_id: int, total: int, *, recommendation: str = "推荐",
          submit: bool = True, today: dt.date = TODAY) -> float | None:
    """Declare no conflict, then save (or submit) scores adding up to ``total``."""
    assignment.confirm_no_conflict(assignment_id, who)
    return reviews.save(assignment_id, form(round_id, split(total), recommendation), who, submit=submit, today=today)


@pytest.fixture
def setup(hub):
    """A round, two applications under review, three reviewers; 李 and 王 assigned to the first."""
    rid = make_round()
    a1, a2 = in_review(rid, 1), in_review(rid, 2)
    li, wang, zhao = expert("expert_li"), expert("expert_wang"), expert("expert_zhao")
    t_li, t_wang = assign_all(a1, [li, wang])
    t_zhao = assignment.assign(a2, zhao.username, STAFF)
    return {"db": hub, "round": rid, "apps": (a1, a2), "li": li, "wang": wang, "zhao": zhao,
            "t_li": t_li, "t_wang": t_wang, "t_zhao": t_zhao}


# ---- isolation ---------------------------------------------------------------------------------------

def test_my_assignments_lists_only_the_reviewers_own_tasks(setup):
    s = setup
    mine = reviews.my_assignments("expert_li")
    assert mine["assignment_id"].tolist() == [s["t_li"]]
    assert mine["application_id"].tolist() == [s["apps"][0]]
    assert mine["title"].tolist() == ["测试项目第1号"]
    assert [d.date() for d in mine["deadline"]] == [D(2026, 4, 30)]
    assert reviews.my_assignments("expert_zhao")["assignment_id"].tolist() == [s["t_zhao"]]
    assert reviews.my_assignments("nobody").empty


def test_someone_elses_assignment_or_an_unknown_id_is_permission_denied(setup):
    s = setup
    for task in (s["t_wang"], s["t_zhao"], 999_999):
        with pytest.raises(PermissionDenied, match="这不是分配给您的评审任务"):
            reviews.application_for_reviewer(task, s["li"])
    with pytest.raises(PermissionDenied, match="这不是分配给您的评审任务"):
        reviews.save(s["t_wang"], form(s["round"], split(80)), s["li"], submit=True, today=TODAY)
    with pytest.raises(PermissionDenied):  # staff are not reviewers of the task either
        reviews.application_for_reviewer(s["t_li"], STAFF)
    assert s["db"].scalar("SELECT count(*) FROM reviews") == 0


def test_the_reviewer_reads_the_application_with_the_organisation_name(setup):
    s = setup
    view = reviews.application_for_reviewer(s["t_li"], s["li"])
    assert view["org"] == "下沙街道测试社会组织第1号"
    assert (view["id"], view["title"], view["requested_amount"]) == (s["apps"][0], "测试项目第1号", 40000.0)
    assert [m["deliverable"] for m in view["milestones"]] == ["中期自评报告", "结项报告"]
    assert "contact_phone" not in view and "org_id" not in view


def test_a_blind_round_hides_the_organisation(hub):
    rid = make_round(blind_review=True)
    app_id = in_review(rid, 7)
    li = expert("expert_li")
    (task,) = assign_all(app_id, [li])
    view = reviews.application_for_reviewer(task, li)
    assert view["org"] == reviews.BLIND_HIDDEN == "(盲评:申报组织信息已隐藏)"
    assert "下沙街道测试社会组织第7号" not in repr(view)


# ---- conflicts and recusal ---------------------------------------------------------------------------

def test_scoring_before_confirming_no_conflict_is_refused(setup):
    s = setup
    with pytest.raises(ValidationFailed) as info:
        reviews.save(s["t_li"], form(s["round"], split(80)), s["li"], today=TODAY)
    assert info.value.form == ["请先确认与申报组织无利益冲突,或申报利益冲突并回避"]
    assert s["db"].scalar("SELECT count(*) FROM reviews") == 0
    before = last_audit_id(s["db"])
    assignment.confirm_no_conflict(s["t_li"], s["li"])
    assert [(r["actor"], r["action"]) for r in audit_rows(s["db"], before)] == [("expert_li", "declare_no_conflict")]
    assignment.confirm_no_conflict(s["t_li"], s["li"])  # a second confirmation writes nothing
    assert last_audit_id(s["db"]) == before + 1


def test_recuse_marks_the_task_audits_the_reason_and_the_application_falls_short(setup):
    s = setup
    db, (a1, _) = s["db"], s["apps"]
    with pytest.raises(ValidationFailed) as info:
        assignment.recuse(s["t_li"], "  ", s["li"])
    assert info.value.fields == {"reason": ["请说明利益冲突的情况"]}
    with pytest.raises(PermissionDenied):
        assignment.recuse(s["t_li"], "我是该组织理事", s["wang"])  # not wang's task
    before = last_audit_id(db)
    assignment.recuse(s["t_li"], "我是该组织的理事", s["li"])
    row = db.fetch_one("SELECT status, recused_reason FROM assignments WHERE id = ?", [s["t_li"]])
    assert row == {"status": "recused", "recused_reason": "我是该组织的理事"}
    assert [(r["actor"], r["table_name"], r["row_key"], r["action"], r["note"]) for r in audit_rows(db, before)] == [
        ("expert_li", "assignments", str(s["t_li"]), "recuse", "我是该组织的理事")]
    with pytest.raises(PermissionDenied, match="您已回避该项目,不能评分"):
        reviews.save(s["t_li"], form(s["round"], split(80)), s["li"], today=TODAY)
    with pytest.raises(ValidationFailed, match="该任务已回避"):
        assignment.recuse(s["t_li"], "再次回避", s["li"])
    # the round wants 5 reviewers; a1 keeps wang; li is excluded, zhao is free: 3 more are missing
    plan = assignment.plan_round(s["round"])
    assert dict(plan.shortfalls)[a1] == "还差3位专家:共3位专家,其中0位有利益冲突,0位已达评审上限,2位已分配或已回避"
    assert (a1, "expert_li") not in plan.pairs and (a1, "expert_zhao") in plan.pairs


def test_recuse_is_refused_after_submitting(setup):
    s = setup
    score(s["t_li"], s["li"], s["round"], 80)
    with pytest.raises(ValidationFailed) as info:
        assignment.recuse(s["t_li"], "我是该组织的理事", s["li"])
    assert info.value.form == ["已提交评分的任务不能回避;如确有冲突请联系工作人员"]


# ---- drafts and the one submission -------------------------------------------------------------------

def test_a_draft_saves_partial_scores_without_a_total(setup):
    s = setup
    db, li, rid = s["db"], s["li"], s["round"]
    assignment.confirm_no_conflict(s["t_li"], li)
    crit = rubrics.criteria(rid)
    partial = {f"score_{crit[0]['id']}": 18, f"score_{crit[1]['id']}": 10}  # 10 < 60% of 25 but a draft needs no comment
    assert reviews.save(s["t_li"], partial, li, today=TODAY) is None
    review = reviews.review_of(s["t_li"])
    assert (review["status"], review["total"], review["submitted_at"], review["recommendation"]) == (
        "draft", None, None, None)
    stored = {r["criterion_id"]: r["score"] for r in db.fetch_all(
        "SELECT criterion_id, score FROM review_scores WHERE review_id = ?", [review["id"]])}
    assert stored == {crit[0]["id"]: 18.0, crit[1]["id"]: 10.0, **{c["id"]: None for c in crit[2:]}}
    assert reviews.form_values(s["t_li"])[f"score_{crit[0]['id']}"] == 18.0
    assert not rubrics.is_frozen(rid)  # a draft does not freeze the rubric


def test_submit_stores_the_weighted_total_and_each_criterion(setup):
    s = setup
    db, li, rid = s["db"], s["li"], s["round"]
    assignment.confirm_no_conflict(s["t_li"], li)
    values = form(rid, [18, 21.0, 15, 12, 8, 9], "可推荐")
    before = last_audit_id(db)
    assert reviews.save(s["t_li"], values, li, submit=True, today=TODAY) == 83.0
    review = reviews.review_of(s["t_li"])
    assert (review["status"], review["total"], review["recommendation"], review["reviewer"]) == (
        "submitted", 83.0, "可推荐", "expert_li")
    assert review["submitted_at"] is not None
    scores = db.fetch_all("SELECT c.name, s.score, s.comment FROM review_scores s JOIN rubric_criteria c"
                          " ON c.id = s.criterion_id WHERE s.review_id = ? ORDER BY c.seq", [review["id"]])
    assert [(r["name"], r["score"]) for r in scores] == [
        ("需求分析", 18.0), ("项目设计", 21.0), ("执行能力", 15.0), ("预算合理性", 12.0), ("创新性", 8.0), ("可持续性", 9.0)]
    assert scores[0]["comment"] == "需求分析评语"
    rows = audit_rows(db, before)
    assert [(r["table_name"], r["action"]) for r in rows] == [("reviews", "submit_review")] + [("review_scores", "create")] * 6
    assert {r["actor"] for r in rows} == {"expert_li"}
    assert rubrics.is_frozen(rid)


def test_submit_on_a_custom_rubric_stores_the_weighted_total(setup):
    """Maxima 40/60 with weights 1/3: (1 * 30/40 + 3 * 30/60) / 4 * 100 = 56.25 (the plain sum would be 60)."""
    s = setup
    rubrics.set_rubric(s["round"], [{"name": "需求与目标", "max_score": 40, "weight": 1},
                                    {"name": "执行与预算", "max_score": 60, "weight": 3}], STAFF)
    assignment.confirm_no_conflict(s["t_li"], s["li"])
    values = form(s["round"], [30, 30], "可推荐")
    assert reviews.save(s["t_li"], values, s["li"], submit=True, today=TODAY) == 56.25
    assert reviews.review_of(s["t_li"])["total"] == 56.25
    assert s["db"].fetch_all("SELECT score FROM review_scores ORDER BY criterion_id") == [{"score": 30.0}, {"score": 30.0}]


def test_a_submitted_review_is_read_only(setup):
    s = setup
    score(s["t_li"], s["li"], s["round"], 80)
    for submit in (True, False):  # neither a second submission nor an edit as a draft
        with pytest.raises(ValidationFailed) as info:
            reviews.save(s["t_li"], form(s["round"], split(60)), s["li"], submit=submit, today=TODAY)
        assert info.value.form == ["评分已提交,不能再修改;如需更正请联系工作人员重新开放"]
    assert reviews.review_of(s["t_li"])["total"] == 80.0
    assert s["db"].scalar("SELECT count(*) FROM reviews") == 1


def test_submitting_after_the_review_deadline_is_refused(setup):
    s = setup
    assignment.confirm_no_conflict(s["t_li"], s["li"])
    with pytest.raises(ValidationFailed) as info:
        reviews.save(s["t_li"], form(s["round"], split(80)), s["li"], submit=True, today=D(2026, 5, 1))
    assert info.value.form == ["评审已于 2026-04-30 截止,不能再提交"]
    assert reviews.review_of(s["t_li"]) is None
    # the last day itself is still in time
    assert reviews.save(s["t_li"], form(s["round"], split(80)), s["li"], submit=True, today=D(2026, 4, 30)) == 80.0


def test_an_invalid_submission_changes_nothing(setup):
    s = setup
    db = s["db"]
    assignment.confirm_no_conflict(s["t_li"], s["li"])
    before = last_audit_id(db)
    crit = rubrics.criteria(s["round"])
    values = form(s["round"], [21, 25, 20, 15, 10, 10])
    with pytest.raises(ValidationFailed) as info:
        reviews.save(s["t_li"], values, s["li"], submit=True, today=TODAY)
    assert info.value.fields == {f"score_{crit[0]['id']}": ["需求分析(满分20)应在0到20之间"]}
    assert last_audit_id(db) == before and db.scalar("SELECT count(*) FROM reviews") == 0


# ---- reopening by staff ------------------------------------------------------------------------------

def test_staff_reopen_with_a_reason_makes_the_review_editable_again(setup):
    s = setup
    db, li = s["db"], s["li"]
    score(s["t_li"], li, s["round"], 80)
    review_id = reviews.review_of(s["t_li"])["id"]
    with pytest.raises(PermissionDenied, match="只有工作人员可以重新开放评分"):
        reviews.reopen(review_id, "我想改一下分数", li)
    with pytest.raises(ValidationFailed) as info:
        reviews.reopen(review_id, " 改 ", STAFF)
    assert info.value.fields == {"reason": ["请填写重新开放的原因(至少4个字)"]}
    before = last_audit_id(db)
    reviews.reopen(review_id, "专家来电更正预算分", STAFF)
    assert [(r["actor"], r["table_name"], r["action"], r["note"]) for r in audit_rows(db, before)] == [
        ("wangmin", "reviews", "reopen_review", "专家来电更正预算分")]
    review = reviews.review_of(s["t_li"])
    assert (review["status"], review["submitted_at"], review["reopened_reason"]) == ("draft", None, "专家来电更正预算分")
    with pytest.raises(ValidationFailed, match="只有已提交的评分可以重新开放"):
        reviews.reopen(review_id, "再次重新开放", STAFF)
    assert reviews.save(s["t_li"], form(s["round"], split(75)), li, submit=True, today=TODAY) == 75.0
    assert reviews.review_of(s["t_li"])["status"] == "submitted"
    assert db.scalar("SELECT count(*) FROM review_scores") == 6


def test_a_reopened_review_keeps_the_rubric_frozen(setup):
    s = setup
    score(s["t_li"], s["li"], s["round"], 80)
    reviews.reopen(reviews.review_of(s["t_li"])["id"], "专家来电更正预算分", STAFF)
    assert rubrics.is_frozen(s["round"])
    with pytest.raises(ValidationFailed, match="评分细则已冻结"):
        rubrics.set_rubric(s["round"], [{"name": "综合评价", "max_score": 100, "weight": 100}], STAFF)


# ---- the sign-off lock -------------------------------------------------------------------------------

def test_a_locked_round_refuses_saves_and_reopening_until_an_admin_unlocks(setup):
    s = setup
    db, rid = s["db"], s["round"]
    score(s["t_li"], s["li"], rid, 80)
    assignment.confirm_no_conflict(s["t_wang"], s["wang"])
    review_id = reviews.review_of(s["t_li"])["id"]
    with pytest.raises(PermissionDenied, match="只有管理员可以签字锁定评分"):
        consolidation.sign_off(rid, STAFF)
    consolidation.sign_off(rid, ADMIN)
    assert db.fetch_one("SELECT scores_locked_by FROM rounds WHERE id = ?", [rid]) == {"scores_locked_by": "chen"}
    with pytest.raises(ValidationFailed, match="评分已锁定"):
        consolidation.sign_off(rid, ADMIN)
    for submit in (False, True):
        with pytest.raises(ValidationFailed) as info:
            reviews.save(s["t_wang"], form(rid, split(70)), s["wang"], submit=submit, today=TODAY)
        assert info.value.form == ["本批次评分已签字锁定,不能再修改"]
    with pytest.raises(ValidationFailed) as info:
        reviews.reopen(review_id, "专家来电更正预算分", STAFF)
    assert info.value.form == ["本批次评分已签字锁定,请先由管理员解锁"]
    with pytest.raises(PermissionDenied, match="只有管理员可以解锁评分"):
        consolidation.unlock(rid, "需要更正一份评分", STAFF)
    with pytest.raises(ValidationFailed) as info:
        consolidation.unlock(rid, "更正", ADMIN)
    assert info.value.fields == {"reason": ["请填写解锁原因(至少4个字)"]}
    before = last_audit_id(db)
    consolidation.unlock(rid, "需要更正一份评分", ADMIN)
    assert [(r["actor"], r["action"], r["note"]) for r in audit_rows(db, before)] == [
        ("chen", "unlock_scores", "需要更正一份评分")]
    reviews.reopen(review_id, "专家来电更正预算分", STAFF)
    assert reviews.save(s["t_wang"], form(rid, split(70)), s["wang"], submit=True, today=TODAY) == 70.0


@pytest.mark.parametrize("landing", ["sign_off", "rubric", "unassign"])
def test_a_change_landing_while_the_form_is_checked_is_seen_under_the_lock(setup, monkeypatch, landing):
    """The sign-off, a new rubric or an unassignment commits between the first checks and the write."""
    s = setup
    db = s["db"]
    assignment.confirm_no_conflict(s["t_li"], s["li"])
    checked = reviews.validate

    def validate_then_land(schema, values):
        out = checked(schema, values)
        if landing == "sign_off":
            consolidation.sign_off(s["round"], ADMIN)
        elif landing == "rubric":
            rubrics.set_rubric(s["round"], [dict(r, weight=1) for r in rubrics.default_rows()], STAFF)
        else:
            reviews.unassign(s["t_li"], STAFF)
        return out

    monkeypatch.setattr(reviews, "validate", validate_then_land)
    expected = {"sign_off": (ValidationFailed, "本批次评分已签字锁定,不能再修改"),
                "rubric": (ValidationFailed, "评分细则刚刚被修改,请刷新页面后重新填写"),
                "unassign": (PermissionDenied, "这不是分配给您的评审任务")}[landing]
    with pytest.raises(expected[0], match=expected[1]):
        reviews.save(s["t_li"], form(s["round"], split(80)), s["li"], submit=True, today=TODAY)
    assert db.scalar("SELECT count(*) FROM reviews") == 0
    assert db.scalar("SELECT count(*) FROM review_scores") == 0


def test_a_review_is_only_possible_while_the_application_is_in_review(setup):
    s = setup
    assignment.confirm_no_conflict(s["t_li"], s["li"])
    applications.move(s["apps"][0], "withdrawn", STAFF, note="组织主动撤回")
    with pytest.raises(ValidationFailed) as info:
        reviews.save(s["t_li"], form(s["round"], split(80)), s["li"], today=TODAY)
    assert info.value.form == ["该项目当前不在评审阶段"]


# ---- concurrency -------------------------------------------------------------------------------------

def test_thirty_reviewers_submitting_at_once_lose_nothing(hub):
    rid = make_round(reviewers_per_app=30)
    app_id = in_review(rid, 1)
    panel = experts(30)
    plan = assignment.plan_round(rid)
    assert plan.shortfalls == [] and len(plan.pairs) == 30
    assert assignment.confirm_plan(rid, plan.pairs, STAFF) == 30
    tasks = {r["reviewer"]: r["id"] for r in hub.fetch_all("SELECT id, reviewer FROM assignments")}
    for who in panel:
        assignment.confirm_no_conflict(tasks[who.username], who)
    totals = {who.username: 61 + i for i, who in enumerate(panel)}  # 61 ... 90, every one different

    def submit(i):
        who = panel[i]
        return reviews.save(tasks[who.username], form(rid, split(totals[who.username])), who, submit=True, today=TODAY)

    results = run_together(submit, 30)
    assert [kind for kind, _ in results] == ["ok"] * 30, [r for kind, r in results if kind == "error"]
    assert [r for _, r in results] == [float(61 + i) for i in range(30)]
    rows = hub.fetch_all("SELECT reviewer, total, status FROM reviews WHERE application_id = ?", [app_id])
    assert len(rows) == 30
    assert {r["reviewer"]: r["total"] for r in rows} == {u: float(t) for u, t in totals.items()}
    assert {r["status"] for r in rows} == {"submitted"}
    assert hub.scalar("SELECT count(*) FROM review_scores") == 180
    assert hub.scalar("SELECT count(*) FROM audit_log WHERE action = 'submit_review'") == 30
    report = audit.verify(hub)
    assert report.ok, report
    assert report.rows == hub.scalar("SELECT count(*) FROM audit_log")
    t = consolidation.table(rid)
    assert (t.loc[0, "n"], t.loc[0, "mean"], t.loc[0, "trimmed_mean"]) == (30, 75.5, 75.5)


@pytest.mark.parametrize("draft_first", [False, True])
def test_one_reviewer_submitting_from_two_tabs_at_once_is_stored_once(setup, draft_first):
    s = setup
    db = s["db"]
    assignment.confirm_no_conflict(s["t_li"], s["li"])
    if draft_first:
        reviews.save(s["t_li"], form(s["round"], [10, 10, None, None, None, None]), s["li"], today=TODAY)

    def submit(i):
        return reviews.save(s["t_li"], form(s["round"], split(70 + i)), s["li"], submit=True, today=TODAY)

    results = run_together(submit, 4)
    oks = [r for kind, r in results if kind == "ok"]
    errors = [r for kind, r in results if kind == "error"]
    assert len(oks) == 1 and len(errors) == 3
    assert all(isinstance(e, ValidationFailed) and e.form == ["评分已提交,不能再修改;如需更正请联系工作人员重新开放"]
               for e in errors), errors
    review = reviews.review_of(s["t_li"])
    assert review["total"] == oks[0]
    assert db.scalar("SELECT count(*) FROM reviews") == 1
    assert db.scalar("SELECT count(*) FROM review_scores") == 6
    assert db.scalar("SELECT count(*) FROM audit_log WHERE action = 'submit_review'") == 1
    assert audit.verify(db).ok


# ---- issue 12: whole points are integers; a rule message lands under its own form's field ----------

def test_whole_point_scores_are_integers_and_a_fraction_is_refused_with_the_step_message():
    from core.platform.validation import validate
    from schemas.base import field_specs
    from schemas.review import scoring_schema

    crit = [{"id": 1, "name": "需求分析", "max_score": 20.0, "weight": 20.0}]
    whole = scoring_schema(crit, half_points=False, submit=False)
    assert (field_specs(whole)["score_1"]["widget"], field_specs(whole)["score_1"]["step"]) == ("int", 1)
    assert [validate(whole, {"score_1": v})["score_1"] for v in (16, 16.0, "16")] == [16, 16, 16]
    assert all(type(validate(whole, {"score_1": v})["score_1"]) is int for v in (16, 16.0, "16"))
    for value, message in ((15.5, "需求分析(满分20)须为整数分或半分(按批次设置)"), (21, "需求分析(满分20)应在0到20之间"),
                           ("十六", "需求分析(满分20)格式不正确"), (True, "需求分析(满分20)格式不正确")):
        with pytest.raises(ValidationFailed) as info:
            validate(whole, {"score_1": value})
        assert info.value.fields == {"score_1": [message]}, value
    half = scoring_schema(crit, half_points=True, submit=False)
    assert field_specs(half)["score_1"]["widget"] == "float" and validate(half, {"score_1": 15.5})["score_1"] == 15.5


def test_the_comment_rule_lands_under_the_validated_forms_own_field():
    """Every round's default rubric has the same names (so the same messages) with other ids."""
    from core.platform.validation import validate
    from schemas.review import scoring_schema

    mine = scoring_schema([{"id": 1, "name": "创新性", "max_score": 10.0, "weight": 10.0}], half_points=False, submit=True)
    scoring_schema([{"id": 11, "name": "创新性", "max_score": 10.0, "weight": 10.0}], half_points=False, submit=True)
    with pytest.raises(ValidationFailed) as info:
        validate(mine, {"score_1": 2, "comment_1": None, "recommendation": "推荐"})
    assert info.value.fields == {"comment_1": ["「创新性」得分低于满分的60%,请填写评语"]}
