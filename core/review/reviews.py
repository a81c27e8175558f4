"""The reviewer's side of 专家评审: own assignments only, the application (blind when the round says
so), a scoring form built from the rubric, drafts, one submission, reopening by staff.

An expert may be of another hub than the round (a district's or the city's expert in a street's pool,
:mod:`core.review.reviewers`): their own tasks are read through the task (:func:`core.review.assignment.own`),
whatever hub runs the round, and written by the row rules below, which are not bound to the expert's hub
(``Rule.any_hub``): they accept only the expert's own task. Nothing else of that hub is read for them."""
from __future__ import annotations

import datetime as dt

import pandas as pd

from core.intake import applications, blind, rounds, rubrics, scope
from core.platform import records
from core.platform.actor import Actor
from core.platform.db import get_db
from core.review import assignment
from core.platform.entities import Entity, Rule, RuleContext, register
from core.platform.errors import PermissionDenied, ValidationFailed
from core.platform.validation import validate
from schemas.review import ReviewScore, StoredReview, scoring_schema
from schemas.application import Application
from schemas.columns import SYSTEM_FIELDS, columns
from schemas.text import required as visible_text

SUBMITTED = "评分已提交,不能再修改;如需更正请联系工作人员重新开放"


def _open_task(ctx: RuleContext, assignment_id: int) -> dict:
    """The actor's own assignment, open for scoring (assigned, no conflict declared, the round's scores not
    signed off, the application in review); else a Chinese refusal saying which of these fails. Read once per
    change (a review and its scores are judged on one read of their task)."""
    opened = vars(ctx).setdefault("_open_tasks", {})
    if assignment_id not in opened:
        task = ctx.db.fetch_one(
            "SELECT s.*, a.state, r.scores_locked_at FROM assignments s JOIN applications a ON a.id = s.application_id"
            " JOIN rounds r ON r.id = a.round_id WHERE s.id = ?", [assignment_id])
        _refuse_closed(task, ctx.actor)
        opened[assignment_id] = task
    return opened[assignment_id]


def _refuse_closed(task: dict | None, actor: Actor) -> None:
    """The one statement of when a task is open for its reviewer (``task``: the assignment with its round's
    ``scores_locked_at`` and its application's ``state``), in the order the reviewer should hear it."""
    if task is None or task["reviewer"] != actor.username:
        raise PermissionDenied("这不是分配给您的评审任务")
    if task["status"] != "assigned":
        raise PermissionDenied("您已回避该项目,不能评分")
    if task["no_conflict_at"] is None:
        raise ValidationFailed(form=["请先确认与申报组织无利益冲突,或申报利益冲突并回避"])
    if task["scores_locked_at"] is not None:
        raise ValidationFailed(form=["本批次评分已签字锁定,不能再修改"])
    if task["state"] not in assignment.REVIEW_STATES:
        raise ValidationFailed(form=["该项目当前不在评审阶段"])


def _own_open_review(ctx: RuleContext, before: dict | None, after: dict | None) -> None:
    """A reviewer writes a review only as themselves, for their own open assignment, while it is not submitted."""
    row = after or before
    if row["reviewer"] != ctx.actor.username or (before is not None and before["reviewer"] != row["reviewer"]):
        raise PermissionDenied("只能填写您本人的评分")
    task = _open_task(ctx, row["assignment_id"])
    if row["application_id"] != task["application_id"] or (
            before is not None and before["assignment_id"] != row["assignment_id"]):
        raise PermissionDenied("评分与评审任务的项目不符")
    if before is not None and before["status"] == "submitted":
        raise ValidationFailed(form=[SUBMITTED])
    if row["status"] not in ("draft", "submitted") or row.get("reopened_reason") != (before or {}).get("reopened_reason"):
        raise PermissionDenied("评审专家只能保存草稿或提交评分")


def _own_open_score(ctx: RuleContext, before: dict | None, after: dict | None) -> None:
    """A score belongs to a review the reviewer may write: their own, its assignment open, and the review not
    submitted when this save began (a submission writes its scores in the same save)."""
    row = after or before
    if before is not None and before["review_id"] != row["review_id"]:
        raise PermissionDenied("分项得分不能移到其他评分")
    # the review and its task are read and judged once per change, not once per score (nothing in one change
    # moves a review to another reviewer or task; a refusal is not remembered, so it is raised for every score)
    judged = vars(ctx).setdefault("_open_reviews", {})
    if row["review_id"] not in judged:
        review = ctx.db.fetch_one("SELECT * FROM reviews WHERE id = ?", [row["review_id"]])
        if review is None or review["reviewer"] != ctx.actor.username:
            raise PermissionDenied("只能填写您本人的评分")
        _open_task(ctx, review["assignment_id"])
        judged[row["review_id"]] = ctx.original(REVIEW, review["id"])
    was = judged[row["review_id"]]
    if was is not None and was["status"] == "submitted":
        raise ValidationFailed(form=[SUBMITTED])


def _reopening(ctx: RuleContext, before: dict | None, after: dict | None) -> None:
    """Staff change a review only by reopening a submitted one, with a reason, while the round is not signed off."""
    if before is None or after is None or before["status"] != "submitted":
        raise ValidationFailed(form=["只有已提交的评分可以重新开放"])
    if after["status"] != "draft" or after.get("submitted_at") is not None or not visible_text(
            after.get("reopened_reason") or ""):
        raise ValidationFailed(form=["工作人员只能写明原因重新开放评分,不能修改专家的评分"])
    if ctx.db.fetch_one("SELECT r.scores_locked_at FROM applications a JOIN rounds r ON r.id = a.round_id"
                        " WHERE a.id = ?", [before["application_id"]])["scores_locked_at"] is not None:
        raise ValidationFailed(form=["本批次评分已签字锁定,请先由管理员解锁"])


OPEN_REVIEW = "评审专家只能为分配给自己、尚未提交、未签字锁定且未回避的评审任务评分"
REOPEN = Rule("工作人员只能写明原因重新开放已提交的评分", actions=frozenset({"update"}), roles=frozenset({"admin", "staff"}),
              check=_reopening, fields=frozenset({"status", "submitted_at", "reopened_reason"}))
REVIEW = register(Entity(
    name="review", table="reviews", label="专家评分", schema=StoredReview, title_field="reviewer",
    # only the reviewer writes a review; staff reopen a submitted one and remove it with its assignment
    create_roles=frozenset(), update_roles=frozenset(), delete_roles=frozenset({"admin", "staff"}),
    rules=(Rule(OPEN_REVIEW, actions=frozenset({"create", "update"}), roles=frozenset({"reviewer"}),
                check=_own_open_review, any_hub=True),  # their own task, whatever hub runs the round
           REOPEN),
    hub_via=scope.VIA_APPLICATION,  # the hub of the application's round (core.intake.scope)
))
SCORE = register(Entity(
    name="review_score", table="review_scores", label="分项得分", schema=ReviewScore, title_field="criterion_id",
    create_roles=frozenset(), update_roles=frozenset(), delete_roles=frozenset({"admin", "staff"}),
    rules=(Rule(OPEN_REVIEW, actions=frozenset({"create", "update"}), roles=frozenset({"reviewer"}),
                check=_own_open_score, fields=frozenset({"review_id", "criterion_id", "score", "comment"}),
                any_hub=True),),
))

BLIND_HIDDEN = "(盲评:申报组织信息已隐藏)"


def state_words(review_status) -> str:
    """A review's status in words (no review yet: 未开始)."""
    return {"draft": "草稿", "submitted": "已提交"}.get(review_status, "未开始") if isinstance(review_status, str) else "未开始"


# the reviewer's task list as 我的评审 shows it (:func:`my_assignments`; ``state`` is the task's state in words)
TASK_COLUMNS = columns("assignment_id", "title", "category", "round", "deadline", "state", "total", of=Application,
                       computed={"assignment_id": "任务编号", "deadline": "截止日期", "total": SYSTEM_FIELDS["reviews.total"]})


def my_assignments(username: str, db=None) -> pd.DataFrame:
    """Only the signed-in reviewer's own tasks (never anyone else's). In a blind round a task is named by
    its reviewer-facing title (评审用名称) and every text is masked (:func:`core.intake.blind.mask`)."""
    db = db or get_db()
    tasks = db.fetch_df(
        "SELECT s.id AS assignment_id, a.id AS application_id, a.title, a.category, r.name AS round,"
        " r.review_end AS deadline, s.status AS assignment_status, v.status AS review_status, v.total,"
        " r.blind_review AS blind, a.round_id, a.org_id"
        " FROM assignments s JOIN applications a ON a.id = s.application_id JOIN rounds r ON r.id = a.round_id"
        " LEFT JOIN reviews v ON v.assignment_id = s.id WHERE s.reviewer = ? ORDER BY r.review_end DESC, s.id",
        [username])
    hidden = tasks[tasks["blind"].astype(bool)]
    if not hidden.empty:
        titles = {int(r): applications.reviewer_titles(int(r), db) for r in hidden["round_id"].unique()}
        found = blind.names_many(hidden["org_id"].tolist(), db)
        for i, row in hidden.iterrows():
            masked = blind.mask({"title": titles[int(row["round_id"])][int(row["application_id"])],
                                 "category": row["category"], "round": row["round"]}, found.get(int(row["org_id"]), {}))
            for k, v in masked.items():
                tasks.at[i, k] = v
    return tasks.drop(columns=["round_id", "org_id"])


def open_tasks(username: str, db=None) -> int:
    """The reviewer's active assignments in rounds still under review that are not yet submitted."""
    db = db or get_db()
    return int(db.scalar(
        "SELECT count(*) FROM assignments s JOIN applications a ON a.id = s.application_id"
        " LEFT JOIN reviews v ON v.assignment_id = s.id WHERE s.reviewer = ? AND s.status = 'assigned'"
        " AND a.state IN ('under_review', 're_review') AND (v.status IS NULL OR v.status <> 'submitted')", [username]))


def _round_of_task(round_id: int, db) -> dict:
    """The round of a task the expert owns (checked by the caller), read through the task whatever hub runs it (not
    through :func:`core.intake.rounds.get`, which keeps the screen user's hubs)."""
    return db.fetch_one("SELECT * FROM rounds WHERE id = ?", [round_id])


def application_for_reviewer(assignment_id: int, actor: Actor, db=None) -> dict:
    """What the reviewer may read: the application's content; never the idea's contact details or other
    reviewers' scores. In a blind round the organisation is hidden, the project goes by its
    reviewer-facing title, and everything returned is masked for the organisation's names, brands and
    people (:func:`core.intake.blind.mask`)."""
    db = db or get_db()
    task = assignment.own(assignment_id, actor, db)
    app = db.fetch_one("SELECT * FROM applications WHERE id = ?", [task["application_id"]])
    rnd = _round_of_task(app["round_id"], db)
    view = {k: app[k] for k in ("id", "title", "category", "summary", "needs_analysis", "communities", "target_group",
                                "planned_beneficiaries", "planned_activities", "budget_personnel", "budget_materials",
                                "budget_venue", "budget_publicity", "budget_other", "requested_amount",
                                "cofunding_self", "cofunding_other", "cofunding_note")}
    view["milestones"] = db.fetch_all("SELECT due_date, deliverable FROM application_milestones WHERE application_id = ?"
                                      " ORDER BY due_date", [app["id"]])
    view["round"] = rnd
    view["task"] = task
    view["blind"] = bool(rnd["blind_review"])
    if not view["blind"]:
        view["org"] = db.scalar("SELECT name FROM organisations WHERE id = ?", [app["org_id"]])
        return view
    view["title"] = applications.reviewer_title(app["id"], db)
    view["org"] = BLIND_HIDDEN
    return blind.mask(view, blind.names(app["org_id"], db))


def form_values(assignment_id: int, db=None) -> dict:
    """The stored draft/submission as form values (score_<criterion id>, comment_<id>, recommendation)."""
    db = db or get_db()
    review = db.fetch_one("SELECT * FROM reviews WHERE assignment_id = ?", [assignment_id])
    if review is None:
        return {}
    half = db.scalar("SELECT r.half_points FROM applications a JOIN rounds r ON r.id = a.round_id WHERE a.id = ?",
                     [review["application_id"]])
    return _values_of(review, bool(half), db)


def scoring_form(assignment_id: int, rnd: dict, db=None) -> dict:
    """What the reviewer's scoring screen needs for one task of round ``rnd`` (the round as
    :func:`application_for_reviewer` returned it), in three reads whatever the rubric's size: ``criteria``,
    ``review`` (None before the first draft), ``values`` (:func:`form_values`) and the ``draft_schema``."""
    db = db or get_db()
    crit = rubrics.criteria(rnd["id"], db)
    review = review_of(assignment_id, db)
    return {"criteria": crit, "review": review, "values": {} if review is None else _values_of(
                review, bool(rnd["half_points"]), db),
            "draft_schema": scoring_schema(crit, half_points=bool(rnd["half_points"]), submit=False)}


def _values_of(review: dict, half_points: bool, db) -> dict:
    """``review`` (stored) and its scores (one read) as form values."""
    whole = not half_points
    values = {"recommendation": review["recommendation"]}
    for s in db.fetch_all("SELECT criterion_id, score, comment FROM review_scores WHERE review_id = ?", [review["id"]]):
        score = s["score"]
        if whole and score is not None and float(score) == int(score):
            score = int(score)  # whole points in a whole-point round: the form shows 16, not 16.00
        values[f"score_{s['criterion_id']}"] = score
        values[f"comment_{s['criterion_id']}"] = s["comment"]
    return values


def pending_rows(round_id: int, values: dict, db=None, *, crit: list[dict] | None = None) -> list[dict]:
    """The scores item by item, as the reviewer reads them (评分项, 满分, 得分, 评语; empty as "—"): what they
    are about to submit, or the stored review's :func:`form_values`. ``crit``: the round's criteria when the
    caller has read them already."""
    return [{"评分项": c["name"], "满分": rubrics.points(c["max_score"]),
             "得分": rubrics.points(values.get(f"score_{c['id']}")),
             "评语": values.get(f"comment_{c['id']}") or "—"}
            for c in (crit if crit is not None else rubrics.criteria(round_id, db))]


def review_of(assignment_id: int, db=None) -> dict | None:
    db = db or get_db()
    return db.fetch_one("SELECT * FROM reviews WHERE assignment_id = ?", [assignment_id])


def schema_for(round_id: int, *, submit: bool, db=None):
    rnd = rounds.get(round_id, db)
    return scoring_schema(rubrics.criteria(round_id, db), half_points=bool(rnd["half_points"]), submit=submit)


def _writable(task: dict | None, app: dict, rnd: dict, existing: dict | None, actor: Actor, *, submit: bool,
              today: dt.date) -> None:
    """Why the reviewer may not save this review now (raises), in the order the reviewer should hear it."""
    _refuse_closed(None if task is None else {**task, "scores_locked_at": rnd["scores_locked_at"],
                                              "state": app["state"]}, actor)
    if existing is not None and existing["status"] == "submitted":
        raise ValidationFailed(form=[SUBMITTED])
    if submit and today > rnd["review_end"]:
        raise ValidationFailed(form=[f"评审已于 {rnd['review_end']} 截止,不能再提交"])


def check_submission(assignment_id: int, values: dict, actor: Actor, *, today: dt.date | None = None,
                     db=None) -> float | None:
    """Everything :func:`save` with ``submit=True`` would check, without writing: the screen asks the
    reviewer to confirm only a submission that would be accepted. Returns the weighted total."""
    db = db or get_db()
    _app, _rnd, crit, clean = _checked_scores(assignment_id, values, actor, True, today or dt.date.today(), db)
    return rubrics.weighted_total({c["id"]: clean.get(f"score_{c['id']}") for c in crit}, crit)


def _checked_scores(assignment_id: int, values: dict, actor: Actor, submit: bool, today: dt.date, db):
    """(application, round, criteria, validated values) of a draft or a submission the reviewer may write now
    (their own open task, the round's rubric set); refused in Chinese otherwise."""
    task = assignment.own(assignment_id, actor, db)
    app = db.fetch_one("SELECT id, round_id, state FROM applications WHERE id = ?", [task["application_id"]])
    rnd = _round_of_task(app["round_id"], db)
    _writable(task, app, rnd, review_of(assignment_id, db), actor, submit=submit, today=today)
    crit = rubrics.criteria(rnd["id"], db)
    if not crit:
        raise ValidationFailed(form=["本批次尚未设置评分细则"])
    return app, rnd, crit, validate(scoring_schema(crit, half_points=bool(rnd["half_points"]), submit=submit), values)


def save(assignment_id: int, values: dict, actor: Actor, *, submit: bool = False,
         today: dt.date | None = None, db=None) -> float | None:
    """Save the reviewer's draft, or submit it (once). Returns the weighted total (None if incomplete).

    Everything that may change while the form is open (another tab submitting, a sign-off, staff
    reopening or unassigning, the rubric) is checked again under the write lock before writing."""
    db = db or get_db()
    today = today or dt.date.today()
    app, rnd, crit, clean = _checked_scores(assignment_id, values, actor, submit, today, db)
    scores = {c["id"]: clean.get(f"score_{c['id']}") for c in crit}
    total = rubrics.weighted_total(scores, crit)
    now = dt.datetime.now()
    # written as the reviewer: the review's and the scores' row rules let them, for their own open task only
    with records.unit(actor, db) as u:
        tx = u.tx
        task = tx.fetch_one("SELECT * FROM assignments WHERE id = ?", [assignment_id])
        app = tx.fetch_one("SELECT id, round_id, state FROM applications WHERE id = ?", [app["id"]])
        rnd = tx.fetch_one("SELECT * FROM rounds WHERE id = ?", [rnd["id"]])
        existing = tx.fetch_one("SELECT * FROM reviews WHERE assignment_id = ?", [assignment_id])
        _writable(task, app, rnd, existing, actor, submit=submit, today=today)
        now_crit = tx.fetch_all("SELECT id, max_score, weight FROM rubric_criteria WHERE round_id = ? ORDER BY seq, id",
                                [rnd["id"]])
        if [(c["id"], c["max_score"], c["weight"]) for c in now_crit] != [
                (c["id"], c["max_score"], c["weight"]) for c in crit]:
            raise ValidationFailed(form=["评分细则刚刚被修改,请刷新页面后重新填写"])
        head = {"recommendation": clean.get("recommendation"), "total": total,
                "status": "submitted" if submit else "draft", "submitted_at": now if submit else None}
        if existing is None:
            review_id = u.create(REVIEW, {"assignment_id": assignment_id, "application_id": app["id"],
                                          "reviewer": actor.username, **head}, validated=True,
                                 action="submit_review" if submit else "create")
        else:
            review_id = existing["id"]
            u.update(REVIEW, review_id, {}, system=head, action="submit_review" if submit else "update")
        # a constant number of statements whatever the rubric's size: one read of the stored scores, one
        # UPDATE of the changed ones, one INSERT of the new ones (each an audit row, appended in one INSERT)
        stored = {} if existing is None else {r["criterion_id"]: r["id"] for r in tx.fetch_all(
            "SELECT id, criterion_id FROM review_scores WHERE review_id = ?", [review_id])}
        rows = {c["id"]: {"score": scores[c["id"]], "comment": clean.get(f"comment_{c['id']}")} for c in crit}
        u.update_many(SCORE, {stored[cid]: row for cid, row in rows.items() if cid in stored})
        u.create_many(SCORE, [{"review_id": review_id, "criterion_id": cid, **row} for cid, row in rows.items()
                              if cid not in stored], validated=True)
    return total


def reopen(review_id: int, reason: str, actor: Actor, db=None) -> None:
    """Staff reopen a submitted review (audited with the reason); the reviewer may then resubmit."""
    db = db or get_db()
    if not (actor.system or REOPEN.applies(actor, "update")):  # the entity's reopening rule names who may
        raise PermissionDenied("只有工作人员可以重新开放评分")
    reason = visible_text(reason)
    if len(reason) < 4:
        raise ValidationFailed(fields={"reason": ["请填写重新开放的原因(至少4个字)"]})
    with records.unit(actor, db) as u:  # checked under the write lock: a sign-off may be landing
        review = u.tx.fetch_one("SELECT v.status, r.scores_locked_at FROM reviews v JOIN applications a"
                                " ON a.id = v.application_id JOIN rounds r ON r.id = a.round_id WHERE v.id = ?",
                                [review_id])
        if review is None or review["status"] != "submitted":
            raise ValidationFailed(form=["只有已提交的评分可以重新开放"])
        if review["scores_locked_at"] is not None:
            raise ValidationFailed(form=["本批次评分已签字锁定,请先由管理员解锁"])
        u.update(REVIEW, review_id, {}, system={"status": "draft", "submitted_at": None, "reopened_reason": reason},
                 action="reopen_review", note=reason)


def unassign(assignment_id: int, actor: Actor, db=None) -> None:
    """Staff take a task away from a reviewer: the assignment goes, with the draft review and its scores (one
    transaction, each deletion audited); refused once the review is submitted. (Here, not in core.review.assignment:
    it deletes reviews, and this module sits above that one.)"""
    db = db or get_db()
    if db.scalar("SELECT count(*) FROM reviews WHERE assignment_id = ? AND submitted_at IS NOT NULL", [assignment_id]):
        raise ValidationFailed(form=["该专家已提交评分,不能取消分配"])
    with records.unit(actor, db) as u:
        if u.tx.fetch_one("SELECT count(*) AS n FROM reviews WHERE assignment_id = ? AND submitted_at IS NOT NULL",
                          [assignment_id])["n"]:  # again under the lock: a submission may just have landed
            raise ValidationFailed(form=["该专家已提交评分,不能取消分配"])
        for r in u.tx.fetch_all("SELECT id FROM reviews WHERE assignment_id = ?", [assignment_id]):
            u.delete(REVIEW, r["id"], note="取消分配")
            for sc in u.tx.fetch_all("SELECT id FROM review_scores WHERE review_id = ? ORDER BY id", [r["id"]]):
                u.delete(SCORE, sc["id"], note="取消分配")
        u.delete(assignment.ASSIGNMENT, assignment_id)
