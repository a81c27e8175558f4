"""评审汇总: per-application statistics, discrepancy flags and 复评, ranking, a funding recommendation
within the budget, overrides, the progress board, the 专家评分汇总表 workbook and the sign-off lock.

A 分差 flag (the experts' totals differ by more than the round's threshold) stays open until the
application has been through 复评 (复评完成) or an admin has resolved it with a recorded reason
(:func:`resolve_flag`, audited, shown in 分差处理 on the screen and in the workbook). While a flag is
open the round cannot be signed off (:func:`sign_off`) and no recommendation list is applied."""
from __future__ import annotations

import datetime as dt
import statistics

import pandas as pd

from core.intake import rounds, rubrics, scope, workflow
from core.intake.applications import APPLICATION
from core.platform import records
from core.platform.actor import Actor
from core.platform.db import get_db
from core.review import reviewers
from core.platform.entities import Entity, granted, register
from core.platform.errors import NotFound, PermissionDenied, ValidationFailed
from core.platform.excel import workbook_bytes
from core.platform.formats import EMPTY, money, number
from core.platform.validation import validate
from schemas.application import Application
from schemas.columns import SYSTEM_FIELDS, columns, label
from schemas.review import Criterion, FlagResolution, Override
from schemas.text import required as visible_text

OVERRIDE = register(Entity(
    name="recommendation_override", table="recommendation_overrides", label="推荐调整", schema=Override,
    write_roles=frozenset({"admin", "staff"}), title_field="reason", hub_via=scope.VIA_APPLICATION,
))
FLAG_RESOLUTION = register(Entity(
    name="flag_resolution", table="flag_resolutions", label="分差提示解除", schema=FlagResolution,
    write_roles=frozenset({"admin"}), title_field="reason", hub_via=scope.VIA_APPLICATION,
))
# columns of the reviews: the project's number, the expert by name, the review's weighted total
_REVIEWS = {"application_id": "项目编号", "reviewer": "专家", "total": SYSTEM_FIELDS["reviews.total"]}
TRIM_MIN_REVIEWS = 5
PASS_MARK = 60.0  # a project scoring below this is not recommended, whatever the budget


def stats(totals: list[float], *, trimmed: bool) -> dict:
    """n, mean, trimmed mean (drop one highest and one lowest when asked and n >= 5), sd, range, median.
    ``final`` is the score used for ranking."""
    n = len(totals)
    if n == 0:
        return {"n": 0, "mean": None, "trimmed_mean": None, "sd": None, "spread": None, "median": None, "final": None}
    ordered = sorted(totals)
    mean = statistics.fmean(ordered)
    trim = statistics.fmean(ordered[1:-1]) if trimmed and n >= TRIM_MIN_REVIEWS else None
    return {
        "n": n, "mean": round(mean, 2), "trimmed_mean": None if trim is None else round(trim, 2),
        "sd": round(statistics.stdev(ordered), 2) if n > 1 else 0.0, "spread": round(ordered[-1] - ordered[0], 2),
        "median": round(statistics.median(ordered), 2), "final": round(trim if trim is not None else mean, 2),
    }


def rank_key(row: dict) -> tuple:
    """Higher final score first; tie-break: higher median, then fewer 不推荐, then the earlier application."""
    final = row.get("final")
    return (final is None, -(final or 0), -(row.get("median") or 0), row.get("no_count") or 0, row["id"])


def table(round_id: int, db=None) -> pd.DataFrame:
    """One row per application of the round in the review stages (or beyond), with its statistics,
    flag, ranks and the funding recommendation."""
    db = db or get_db()
    rnd = rounds.get(round_id, db)
    apps = db.fetch_all(
        "SELECT a.id, a.title, o.name AS org, a.category, a.state, a.requested_amount FROM applications a"
        " JOIN organisations o ON o.id = a.org_id WHERE a.round_id = ? AND a.state IN"
        " ('under_review', 're_review', 'reviewed', 'recommended', 'not_recommended', 'public_notice', 'funded', 'rejected')"
        " AND EXISTS (SELECT 1 FROM assignments s WHERE s.application_id = a.id) ORDER BY a.id", [round_id])
    reviews = db.fetch_all(
        "SELECT v.application_id, v.total, v.recommendation FROM reviews v JOIN applications a ON a.id = v.application_id"
        " WHERE a.round_id = ? AND v.status = 'submitted'", [round_id])
    assigned = {r["application_id"]: r["n"] for r in db.fetch_all(
        "SELECT s.application_id, count(*) AS n FROM assignments s JOIN applications a ON a.id = s.application_id"
        " WHERE a.round_id = ? AND s.status = 'assigned' GROUP BY 1", [round_id])}
    resolved = {r["application_id"] for r in db.fetch_all(
        "SELECT DISTINCT e.application_id FROM application_events e JOIN applications a ON a.id = e.application_id"
        " WHERE a.round_id = ? AND e.from_state = 're_review' AND e.to_state = 'reviewed'", [round_id])}
    resolutions = {r["application_id"]: r for r in db.fetch_all(
        "SELECT f.application_id, f.reason, f.created_at, f.created_by FROM flag_resolutions f"
        " JOIN applications a ON a.id = f.application_id WHERE a.round_id = ?", [round_id])}
    names = reviewers.person_names(None if db is get_db() else db) if resolutions else {}
    overrides = {r["application_id"]: r for r in db.fetch_all(
        "SELECT o.application_id, o.recommended, o.reason FROM recommendation_overrides o"
        " JOIN applications a ON a.id = o.application_id WHERE a.round_id = ?", [round_id])}
    rows = []
    for a in apps:
        mine = [r for r in reviews if r["application_id"] == a["id"]]
        s = stats([float(r["total"]) for r in mine if r["total"] is not None], trimmed=bool(rnd["trimmed_mean"]))
        wide = s["spread"] is not None and s["spread"] > float(rnd["discrepancy_threshold"])
        res = resolutions.get(a["id"])
        flagged = wide and a["id"] not in resolved and res is None
        note = (f"管理员解除:{res['reason']}({names.get(res['created_by'], res['created_by'])}"
                f" {res['created_at']:%Y-%m-%d})" if res is not None else "已复评" if wide and a["id"] in resolved else "")
        rows.append({**a, "assigned": assigned.get(a["id"], 0), **s,
                     "no_count": sum(r["recommendation"] == "不推荐" for r in mine), "flagged": flagged,
                     "flag_note": note, "override": overrides.get(a["id"])})
    rows.sort(key=rank_key)
    by_cat: dict[str, int] = {}
    for i, r in enumerate(rows, start=1):
        r["rank"] = i if r["final"] is not None else None
        if r["final"] is not None:
            by_cat[r["category"]] = by_cat.get(r["category"], 0) + 1
            r["category_rank"] = by_cat[r["category"]]
        else:
            r["category_rank"] = None
    _recommend(rows, float(rnd["total_budget"]), rounds.quotas(round_id, db))
    for r in rows:
        r.pop("override", None)
    columns = ["id", "title", "org", "category", "state", "requested_amount", "assigned", "n", "mean", "trimmed_mean",
               "sd", "spread", "median", "no_count", "final", "flagged", "flag_note", "rank", "category_rank",
               "recommended", "basis"]
    return pd.DataFrame(rows, columns=columns)


def _recommend(rows: list[dict], budget: float, quotas: dict[str, float]) -> None:
    """In rank order until the budget (and category quotas) are used; only complete, undisputed
    scores of at least the pass mark qualify; overrides win, with their reason."""
    left = budget
    cat_left = dict(quotas)
    for r in rows:
        amount = float(r["requested_amount"] or 0)
        o = r.get("override")
        if o is not None:
            r["recommended"], r["basis"] = bool(o["recommended"]), f"人工调整:{o['reason']}"
        elif r["final"] is None or (r["n"] or 0) < (r["assigned"] or 0):
            r["recommended"], r["basis"] = False, "评分未完成"
        elif r["final"] < PASS_MARK:
            r["recommended"], r["basis"] = False, f"低于{PASS_MARK:g}分合格线"
        elif r["flagged"]:
            r["recommended"], r["basis"] = False, "分差过大,待复评"
        elif amount > left + 0.005:
            r["recommended"], r["basis"] = False, "超出剩余资金"
        elif r["category"] in cat_left and amount > cat_left[r["category"]] + 0.005:
            r["recommended"], r["basis"] = False, "超出类别额度"
        else:
            r["recommended"], r["basis"] = True, "按排名在预算内"
        if r["recommended"]:
            left -= amount
            if r["category"] in cat_left:
                cat_left[r["category"]] -= amount


def set_override(app_id: int, values: dict, actor: Actor, db=None) -> None:
    db = db or get_db()
    rec = validate(Override, values)
    existing = db.fetch_one("SELECT id FROM recommendation_overrides WHERE application_id = ?", [app_id])
    if existing:
        records.update(OVERRIDE, existing["id"], rec, actor, db=db, note=rec["reason"])
    else:
        records.create(OVERRIDE, rec, actor, db=db, system={"application_id": app_id}, note=rec["reason"])


def clear_override(app_id: int, actor: Actor, db=None) -> None:
    db = db or get_db()
    existing = db.fetch_one("SELECT id FROM recommendation_overrides WHERE application_id = ?", [app_id])
    if existing:
        records.delete(OVERRIDE, existing["id"], actor, db=db)


def send_to_re_review(app_id: int, note: str, actor: Actor, db=None) -> None:
    """评审完成, 推荐立项 or 不推荐 -> 复评, while the round's scores are not signed off (core.intake.workflow)."""
    note = visible_text(note)
    if not note:
        raise ValidationFailed(fields={"note": ["请写明复评安排(增加专家或会商意见)"]})
    workflow.move(APPLICATION, app_id, "re_review", actor, note=note, db=db)


# ---- open 分差 flags ------------------------------------------------------------------------------
def open_flags(round_id: int, db=None) -> pd.DataFrame:
    """The round's applications whose 分差 flag is open (neither 复评 complete nor resolved by an admin)."""
    t = table(round_id, db)
    return t[t["flagged"].astype(bool)]


def _flag_list(flags: pd.DataFrame) -> str:
    return "、".join(f"「{r.title}」(编号 {int(r.id)},{workflow.state_label(r.state)},极差 {rubrics.score_text(r.spread)} 分)"
                    for r in flags.itertuples())


def flags_refusal(round_id: int, what: str = "签字锁定", db=None) -> str | None:
    """Why ``what`` cannot be done while flags are open (None when none is): names them and says what to do."""
    flags = open_flags(round_id, db)
    if flags.empty:
        return None
    return (f"还有 {len(flags)} 个项目分差过大、尚未处理,不能{what}:{_flag_list(flags)}。"
            "请先在「复评」中送复评并完成复评,或由管理员写明理由解除分差提示,再" + what + "。")


def check_flag_resolution(app_id: int, values: dict, actor: Actor, db=None) -> tuple[dict, dict]:
    """The validated reason and the flagged row, or the refusal (nothing is written): for the
    confirmation box before :func:`resolve_flag`."""
    db = db or get_db()
    if not granted(actor, FLAG_RESOLUTION, "create"):
        raise PermissionDenied("只有管理员可以解除分差提示")
    rec = validate(FlagResolution, values)
    app = db.fetch_one("SELECT id, round_id, title FROM applications WHERE id = ?", [app_id])
    if app is None:
        raise NotFound(f"申报项目(编号 {app_id})不存在")
    row = next((r for r in open_flags(app["round_id"], db).to_dict("records") if int(r["id"]) == app_id), None)
    if row is None:
        raise ValidationFailed(form=[f"「{app['title']}」(编号 {app_id})没有待处理的分差提示"])
    return rec, row


def resolve_flag(app_id: int, values: dict, actor: Actor, db=None) -> None:
    """An admin keeps the scores of a flagged application without 复评, with a reason (audited, shown in
    分差处理 and in the 专家评分汇总表). Checked again under the write lock: a double click resolves once."""
    db = db or get_db()
    rec, _ = check_flag_resolution(app_id, values, actor, db)
    with records.unit(actor, db) as u:
        _, row = check_flag_resolution(app_id, values, actor, db)
        u.create(FLAG_RESOLUTION, rec, validated=True, note=rec["reason"],
                 system={"application_id": app_id, "spread": float(row["spread"])})


def _ready(t: pd.DataFrame) -> pd.DataFrame:
    return t[(t["state"].isin(["under_review", "re_review"])) & (t["assigned"] > 0) & (t["n"] >= t["assigned"])]


def ready_to_complete(round_id: int, db=None) -> list[int]:
    """Applications in review whose assigned reviews are all submitted (what 标为「评审完成」 would move)."""
    return [int(i) for i in _ready(table(round_id, db))["id"]]


def complete_reviews(round_id: int, actor: Actor, db=None) -> int:
    """Move every application whose assigned reviews are all submitted to 评审完成 (one transaction).
    The states are read again under the write lock (a second click moves nothing twice)."""
    db = db or get_db()
    ready = _ready(table(round_id, db))
    moved = 0
    with records.unit(actor, db) as u:
        for app_id in ready["id"]:
            if u.tx.fetch_one("SELECT state FROM applications WHERE id = ?", [int(app_id)])["state"] in (
                    "under_review", "re_review"):
                workflow.move_in(u, APPLICATION, int(app_id), "reviewed", note="评分已全部提交")
                moved += 1
    return moved


def apply_recommendation(round_id: int, actor: Actor, db=None) -> tuple[int, int]:
    """Reviewed applications become 推荐立项 / 不推荐 according to the list (needs the signed-off scores)."""
    db = db or get_db()
    if rounds.get(round_id, db)["scores_locked_at"] is None:
        raise ValidationFailed(form=["请先由管理员签字锁定评分,再生成推荐名单"])
    with records.unit(actor, db) as u:  # read under the write lock: the list is the one applied
        t = table(round_id, db)
        todo = t[t["state"] == "reviewed"]
        flags = todo[todo["flagged"].astype(bool)]
        if not flags.empty:
            raise ValidationFailed(form=[
                f"还有 {len(flags)} 个项目分差过大、尚未处理,不能生成推荐名单:{_flag_list(flags)}。"
                "请先由管理员写明原因解锁评分,送复评并完成复评;或由管理员写明理由解除分差提示。"])
        for r in todo.itertuples():
            workflow.move_in(u, APPLICATION, int(r.id), "recommended" if r.recommended else "not_recommended",
                             note=r.basis)
    return int(todo["recommended"].sum()), int((~todo["recommended"]).sum())


def progress(round_id: int, today: dt.date | None = None, db=None) -> pd.DataFrame:
    """Per reviewer: assigned / drafted / submitted / overdue."""
    db = db or get_db()
    rnd = rounds.get(round_id, db)
    late = (today or dt.date.today()) > rnd["review_end"]
    df = db.fetch_df(
        "SELECT s.reviewer, count(*) AS assigned,"
        " count(*) FILTER (WHERE v.status = 'draft') AS drafts,"
        " count(*) FILTER (WHERE v.status = 'submitted') AS submitted"
        " FROM assignments s JOIN applications a ON a.id = s.application_id"
        " LEFT JOIN reviews v ON v.assignment_id = s.id WHERE a.round_id = ? AND s.status = 'assigned'"
        " GROUP BY 1 ORDER BY 1", [round_id])
    df["overdue"] = (df["assigned"] - df["submitted"]) if late else 0
    names = reviewers.person_names(None if db is get_db() else db)
    df["reviewer"] = [names.get(u, u) for u in df["reviewer"]]
    return df[list(PROGRESS_COLUMNS)].rename(columns=PROGRESS_COLUMNS)


# the columns of :func:`progress` (as it returns them: by label)
PROGRESS_COLUMNS = columns("reviewer", "assigned", "drafts", "submitted", "overdue", computed={
    "reviewer": _REVIEWS["reviewer"], "assigned": "已分配", "drafts": "草稿", "submitted": "已提交", "overdue": "逾期"})


def open_reviews(round_id: int, db=None) -> int:
    """Assigned reviews of the round not yet submitted (they no longer count once the round is signed off)."""
    db = db or get_db()
    scope.require("round", round_id, db=db)
    return int(db.scalar(
        "SELECT count(*) FROM assignments s JOIN applications a ON a.id = s.application_id"
        " LEFT JOIN reviews v ON v.assignment_id = s.id WHERE a.round_id = ? AND s.status = 'assigned'"
        " AND a.state IN ('under_review', 're_review') AND (v.status IS NULL OR v.status <> 'submitted')", [round_id]))


def sign_off_consequence(round_id: int, db=None) -> str:
    """What signing off the round does, for the confirmation box."""
    left = open_reviews(round_id, db)
    return ("签字锁定本批次全部评分:锁定后专家不能再保存、提交或更正评分,工作人员也不能重新开放评分,"
            + (f"尚未提交的 {left} 份评分将不再计入;" if left else "")
            + "签字人和时间写入专家评分汇总表。")


def sign_off(round_id: int, actor: Actor, db=None) -> None:
    if not granted(actor, rounds.ROUND, "update"):  # signing off changes the round
        raise PermissionDenied("只有管理员可以签字锁定评分")
    if rounds.get(round_id, db)["scores_locked_at"] is not None:
        raise ValidationFailed(form=["评分已锁定"])
    with records.unit(actor, db) as u:  # checked again under the write lock: a double click locks once
        if u.tx.fetch_one("SELECT scores_locked_at FROM rounds WHERE id = ?", [round_id])["scores_locked_at"] is not None:
            raise ValidationFailed(form=["评分已锁定"])
        refusal = flags_refusal(round_id, db=db)  # no flag left open: 复评 complete or resolved with a reason
        if refusal:
            raise ValidationFailed(form=[refusal])
        u.update(rounds.ROUND, round_id, {}, action="lock_scores",
                 system={"scores_locked_at": dt.datetime.now(), "scores_locked_by": actor.username})


def unlock(round_id: int, reason: str, actor: Actor, db=None) -> None:
    if not granted(actor, rounds.ROUND, "update"):
        raise PermissionDenied("只有管理员可以解锁评分")
    reason = visible_text(reason)
    if len(reason) < 4:
        raise ValidationFailed(fields={"reason": ["请填写解锁原因(至少4个字)"]})
    records.update(rounds.ROUND, round_id, {}, actor, db=db, action="unlock_scores", note=reason,
                   system={"scores_locked_at": None, "scores_locked_by": None})


# the columns of :func:`table` as :func:`display` and the workbook show them (computed ones declared here)
LABELS = columns(
    "id", "title", "org", "category", "state", "requested_amount", "assigned", "n", "mean", "trimmed_mean", "sd",
    "spread", "median", "no_count", "final", "flagged", "flag_note", "rank", "category_rank", "recommended", "basis",
    of=Application, computed={
        "org": label("org_id", of=Application), "assigned": "分配专家数", "n": "已评份数", "mean": "平均分",
        "trimmed_mean": "去掉最高最低后平均", "sd": "标准差", "spread": "极差", "median": "中位数",
        "no_count": "不推荐票数", "final": "最终得分", "flagged": "分差提示", "flag_note": "分差处理", "rank": "总排名",
        "category_rank": "类别内排名", "recommended": "建议资助", "basis": "依据"})
# the sheets of the submitted reviews in :func:`summary_workbook`: one row per score, one per review
SCORE_SHEET = columns("application_id", "title", "reviewer", "criterion", "max_score", "score", "comment",
                      of=(Application, Criterion), computed={**_REVIEWS, "criterion": label("name", of=Criterion)})
REVIEW_SHEET = columns("reviewer", "application_id", "title", "total", "recommendation", of=Application,
                       computed=_REVIEWS)


SCORE_COLS = ("mean", "trimmed_mean", "sd", "spread", "median", "final")
COUNT_COLS = ("assigned", "n", "no_count", "rank", "category_rank")


def _shown(fn):
    """``fn`` for one cell, with every kind of empty value (None, nan, NaT, pandas NA) shown as "—"."""
    return lambda v: EMPTY if v is None or (pd.api.types.is_scalar(v) and pd.isna(v)) else fn(v)


def display(t: pd.DataFrame) -> pd.DataFrame:
    """The consolidated table as staff read it: Chinese headers, states and marks in words, money with
    thousands separators, scores with two decimals, empty values as "—" (never None, nan or 24800.0)."""
    shown = pd.DataFrame({
        "id": t["id"].astype(int), "title": t["title"], "org": t["org"], "category": t["category"],
        "state": t["state"].map(workflow.state_label),
        "requested_amount": t["requested_amount"].map(_shown(money)),
        **{c: t[c].map(_shown(number)) for c in COUNT_COLS if c not in ("rank", "category_rank")},
        **{c: t[c].map(_shown(rubrics.score_text)) for c in SCORE_COLS},
        "flagged": t["flagged"].map(lambda v: "⚠ 分差过大" if v is True else ""),
        "flag_note": t["flag_note"].fillna(""),
        "rank": t["rank"].map(_shown(number)), "category_rank": t["category_rank"].map(_shown(number)),
        "recommended": t["recommended"].map(lambda v: "是" if v is True else ("否" if v is False else EMPTY)),
        "basis": t["basis"].fillna(EMPTY),
    }, columns=list(LABELS))
    return shown.rename(columns=LABELS)


def summary_workbook(round_id: int, db=None) -> bytes:
    """专家评分汇总表, generated from the database."""
    db = db or get_db()
    rnd = rounds.get(round_id, db)
    t = table(round_id, db)
    summary = t.assign(state=t["state"].map(workflow.state_label)).sort_values(["category", "category_rank"])
    names = reviewers.person_names(None if db is get_db() else db)
    scores = db.fetch_df(
        "SELECT v.application_id, a.title, v.reviewer, c.name AS criterion, c.max_score, s.score, s.comment"
        " FROM review_scores s JOIN reviews v ON v.id = s.review_id"
        " JOIN rubric_criteria c ON c.id = s.criterion_id JOIN applications a ON a.id = v.application_id"
        " WHERE a.round_id = ? AND v.status = 'submitted' ORDER BY 1, 3, c.seq", [round_id])
    per = db.fetch_df(
        "SELECT v.reviewer, v.application_id, a.title, v.total, v.recommendation"
        " FROM reviews v JOIN applications a ON a.id = v.application_id"
        " WHERE a.round_id = ? AND v.status = 'submitted' ORDER BY 1, 2", [round_id])
    scores["reviewer"] = [names.get(u, u) for u in scores["reviewer"]]
    per["reviewer"] = [names.get(u, u) for u in per["reviewer"]]
    if not per.empty:
        heads = [f"{title}(编号 {i})" for i, title in zip(per["application_id"], per["title"])]
        matrix = per.assign(head=heads).pivot_table(index="reviewer", columns="head", values="total", aggfunc="first",
                                                    sort=False)
        matrix = matrix[list(dict.fromkeys(h for _, h in sorted(zip(per["application_id"], heads))))].reset_index()
        matrix.columns.name = None
    else:
        matrix = pd.DataFrame(columns=["reviewer"])
    matrix = matrix.rename(columns={"reviewer": REVIEW_SHEET["reviewer"]})
    comments = scores[scores["comment"].notna()][list(SCORE_SHEET.without("max_score"))]
    lock = (f"已于 {rnd['scores_locked_at']:%Y-%m-%d %H:%M} 由 {reviewers.person(rnd['scores_locked_by'], db)} 签字锁定"
            if rnd["scores_locked_at"] else "尚未签字锁定")
    cover = pd.DataFrame([("批次", rnd["name"]), ("评分细则", "、".join(f"{c['name']}{c['max_score']:g}"
                                                                    for c in rubrics.criteria(round_id, db))),
                          ("计分方法", "去掉一个最高分和一个最低分(5份及以上)" if rnd["trimmed_mean"] else "平均分"),
                          ("状态", lock), ("生成时间", f"{dt.datetime.now():%Y-%m-%d %H:%M}")], columns=["项目", "内容"])
    return workbook_bytes({"说明": cover, "汇总(按类别)": summary.rename(columns=LABELS), "专家×项目": matrix,
                           "分项得分": scores[list(SCORE_SHEET)].rename(columns=SCORE_SHEET),
                           "评语": comments.rename(columns=SCORE_SHEET), "逐份评分": per.rename(columns=REVIEW_SHEET)})
