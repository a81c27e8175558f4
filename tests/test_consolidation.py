"""评审汇总: the per-application table (statistics, the 分差 flag and 复评), ranks in the round and in
each category, the funding recommendation within the budget and the category quotas, overrides,
completing the reviews, applying the list after sign-off, the progress board and the
专家评分汇总表 workbook (its figures are the database's)."""
from __future__ import annotations

import datetime as dt
import io

import pytest
from openpyxl import load_workbook

from core.intake import rounds, workflow
from core.platform import audit
from core.platform.actor import Actor
from core.review import assignment, consolidation
from core.platform.errors import PermissionDenied, ValidationFailed
from tests.test_reviews import TODAY, assign_all, experts, in_review, score
from tests.test_rounds import ADMIN, STAFF, audit_rows, hub, last_audit_id, make_round  # noqa: F401

D = dt.date


def scored(rid: int, serial: int, totals: list[int], panel: list[Actor], *, amount: float = 40000,
           category: str = "一老一小", recommendations: list[str] | None = None) -> int:
    """An application under review whose first len(totals) panel members submitted ``totals``."""
    app_id = in_review(rid, serial, amount=amount, category=category)
    tasks = assign_all(app_id, panel[:len(totals)])
    for i, (task, who, total) in enumerate(zip(tasks, panel, totals)):
        score(task, who, rid, total, recommendation=(recommendations or ["推荐"] * len(totals))[i])
    return app_id


def by_id(rid: int) -> dict[int, dict]:
    return {int(r["id"]): r for r in consolidation.table(rid).to_dict("records")}


def state(db, app_id: int) -> str:
    return db.scalar("SELECT state FROM applications WHERE id = ?", [app_id])


# ---- statistics, the flag and 复评 -----------------------------------------------------------------

def test_table_statistics_and_the_discrepancy_flag_cleared_by_a_second_review(hub):
    rid = make_round(trimmed_mean=False, discrepancy_threshold=20.0, reviewers_per_app=3)
    panel = experts(4)
    wide = scored(rid, 1, [90, 60, 75], panel)    # spread 30 > 20
    close = scored(rid, 2, [80, 85, 82], panel)   # spread 5
    t = by_id(rid)
    assert {k: t[wide][k] for k in ("assigned", "n", "mean", "trimmed_mean", "sd", "spread", "median", "final")} == {
        "assigned": 3, "n": 3, "mean": 75.0, "trimmed_mean": None, "sd": 15.0, "spread": 30.0, "median": 75.0,
        "final": 75.0}
    assert (t[wide]["flagged"], t[wide]["recommended"], t[wide]["basis"]) == (True, False, "分差过大,待复评")
    assert (t[close]["final"], t[close]["flagged"], t[close]["recommended"]) == (82.33, False, True)
    assert t[close]["spread"] == 5.0
    assert consolidation.complete_reviews(rid, STAFF) == 2
    assert by_id(rid)[wide]["flagged"] is True  # still flagged once 评审完成
    with pytest.raises(ValidationFailed) as info:
        consolidation.send_to_re_review(wide, "  ", STAFF)
    assert info.value.fields == {"note": ["请写明复评安排(增加专家或会商意见)"]}
    consolidation.send_to_re_review(wide, "增加一位专家复评", STAFF)
    assert state(hub, wide) == "re_review"
    assert by_id(rid)[wide]["flagged"] is True  # not cleared until 复评 is complete
    (extra,) = assign_all(wide, [panel[3]])
    score(extra, panel[3], rid, 70)
    assert consolidation.complete_reviews(rid, STAFF) == 1
    assert state(hub, wide) == "reviewed"
    row = by_id(rid)[wide]
    assert (row["n"], row["mean"], row["spread"], row["flagged"]) == (4, 73.75, 30.0, False)
    assert (row["recommended"], row["basis"]) == (True, "按排名在预算内")
    events = hub.fetch_all("SELECT from_state, to_state, note FROM application_events WHERE application_id = ?"
                           " ORDER BY id", [wide])[-3:]
    assert [(e["from_state"], e["to_state"], e["note"]) for e in events] == [
        ("under_review", "reviewed", "评分已全部提交"), ("reviewed", "re_review", "增加一位专家复评"),
        ("re_review", "reviewed", "评分已全部提交")]


def test_the_round_setting_decides_trimmed_or_plain_mean(hub):
    panel = experts(5)
    trimmed = make_round(trimmed_mean=True, discrepancy_threshold=50.0)
    plain = make_round(name="2026年下沙街道公益创投(平均分)", trimmed_mean=False, discrepancy_threshold=50.0)
    a = scored(trimmed, 1, [90, 50, 80, 95, 70], panel)
    b = scored(plain, 2, [90, 50, 80, 95, 70], panel)
    ra, rb = by_id(trimmed)[a], by_id(plain)[b]
    assert (ra["mean"], ra["trimmed_mean"], ra["final"], ra["sd"], ra["median"]) == (77.0, 80.0, 80.0, 17.89, 80.0)
    assert (rb["mean"], rb["trimmed_mean"], rb["final"]) == (77.0, None, 77.0)


# ---- ranks and the funding recommendation --------------------------------------------------------

def test_ranks_within_the_round_and_the_category(hub):
    rid = make_round()
    panel = experts(2)
    a = scored(rid, 1, [85, 85], panel, category="一老一小")
    b = scored(rid, 2, [80, 80], panel, category="社区治理")
    c = scored(rid, 3, [70, 70], panel, category="一老一小")
    d = scored(rid, 4, [90, 90], panel, category="社区治理")
    e = in_review(rid, 5, category="一老一小")  # assigned, nothing submitted yet
    assign_all(e, panel[:1])
    t = consolidation.table(rid)
    assert t["id"].tolist() == [d, a, b, c, e]
    ranks = {int(r.id): (r.rank, r.category_rank) for r in t.itertuples()}
    assert {k: v for k, v in ranks.items() if k != e} == {d: (1, 1), a: (2, 1), b: (3, 2), c: (4, 2)}
    assert t.loc[t["id"] == e, "rank"].isna().all() and t.loc[t["id"] == e, "category_rank"].isna().all()
    assert t.loc[t["id"] == e, "basis"].tolist() == ["评分未完成"]


def test_ties_are_broken_by_median_then_fewer_no_votes_then_the_earlier_application(hub):
    rid = make_round(trimmed_mean=False, discrepancy_threshold=50.0)
    panel = experts(3)
    first = scored(rid, 1, [70, 80, 90], panel)                                   # mean 80, median 80
    higher_median = scored(rid, 2, [60, 89, 91], panel)                           # mean 80, median 89
    one_no = scored(rid, 3, [70, 80, 90], panel, recommendations=["不推荐", "推荐", "推荐"])
    same = scored(rid, 4, [70, 80, 90], panel)
    t = consolidation.table(rid)
    assert t["id"].tolist() == [higher_median, first, same, one_no]
    assert t["no_count"].tolist() == [0, 0, 0, 1]
    assert t["rank"].tolist() == [1, 2, 3, 4]


def test_funding_follows_the_ranking_until_the_budget_is_used(hub):
    """Rank 3 (60,000) no longer fits in what is left (40,000); rank 4 (30,000) does and is
    recommended — the list goes on down the ranking — and each row says why."""
    rid = make_round(total_budget=150000.0)
    (who,) = experts(1)
    a = scored(rid, 1, [90], [who], amount=60000)
    b = scored(rid, 2, [85], [who], amount=50000)
    c = scored(rid, 3, [80], [who], amount=60000)
    d = scored(rid, 4, [75], [who], amount=30000)
    e = scored(rid, 5, [70], [who], amount=20000)
    t = consolidation.table(rid)
    assert t["id"].tolist() == [a, b, c, d, e]
    assert list(zip(t["recommended"], t["basis"])) == [
        (True, "按排名在预算内"), (True, "按排名在预算内"), (False, "超出剩余资金"), (True, "按排名在预算内"),
        (False, "超出剩余资金")]
    assert t.loc[t["recommended"], "requested_amount"].sum() == 140000.0


def test_category_quotas_are_respected(hub):
    rid = make_round()
    rounds.set_quotas(rid, {"一老一小": 50000}, ADMIN)
    (who,) = experts(1)
    a = scored(rid, 1, [90], [who], amount=40000, category="一老一小")
    b = scored(rid, 2, [85], [who], amount=20000, category="一老一小")   # 10,000 of the quota left
    c = scored(rid, 3, [80], [who], amount=30000, category="社区治理")   # no quota for this category
    d = scored(rid, 4, [75], [who], amount=10000, category="一老一小")   # fits the 10,000 left
    t = by_id(rid)
    assert [(t[x]["recommended"], t[x]["basis"]) for x in (a, b, c, d)] == [
        (True, "按排名在预算内"), (False, "超出类别额度"), (True, "按排名在预算内"), (True, "按排名在预算内")]


def test_overrides_win_with_their_reason_and_are_audited(hub):
    rid = make_round(total_budget=100000.0)
    (who,) = experts(1)
    a = scored(rid, 1, [90], [who], amount=60000)
    b = scored(rid, 2, [85], [who], amount=50000)
    c = scored(rid, 3, [80], [who], amount=40000)
    t = by_id(rid)
    assert [(t[x]["recommended"], t[x]["basis"]) for x in (a, b, c)] == [
        (True, "按排名在预算内"), (False, "超出剩余资金"), (True, "按排名在预算内")]
    with pytest.raises(ValidationFailed) as info:
        consolidation.set_override(b, {"recommended": True, "reason": "急需"}, STAFF)
    assert info.value.fields == {"reason": ["调整原因长度应为4–500个字符"]}
    with pytest.raises(PermissionDenied):
        consolidation.set_override(b, {"recommended": True, "reason": "社区急需,会商同意"}, Actor("expert01", ("reviewer",)))
    before = last_audit_id(hub)
    consolidation.set_override(a, {"recommended": False, "reason": "该组织同类项目尚未结项"}, STAFF)
    rows = audit_rows(hub, before)
    assert [(r["actor"], r["table_name"], r["action"], r["note"]) for r in rows] == [
        ("wangmin", "recommendation_overrides", "create", "该组织同类项目尚未结项")]
    t = by_id(rid)  # a's money is not spent: b (50,000) and c (40,000) now fit
    assert [(t[x]["recommended"], t[x]["basis"]) for x in (a, b, c)] == [
        (False, "人工调整:该组织同类项目尚未结项"), (True, "按排名在预算内"), (True, "按排名在预算内")]
    consolidation.set_override(a, {"recommended": True, "reason": "领导小组会商后保留"}, ADMIN)
    assert audit_rows(hub, last_audit_id(hub) - 1)[0]["note"] == "领导小组会商后保留"
    assert hub.scalar("SELECT count(*) FROM recommendation_overrides") == 1
    t = by_id(rid)
    assert [(t[x]["recommended"], t[x]["basis"]) for x in (a, b, c)] == [
        (True, "人工调整:领导小组会商后保留"), (False, "超出剩余资金"), (True, "按排名在预算内")]
    consolidation.clear_override(a, STAFF)
    assert by_id(rid)[a]["basis"] == "按排名在预算内"
    assert audit.verify(hub).ok


# ---- completing, applying ------------------------------------------------------------------------

def test_complete_reviews_moves_only_applications_whose_assigned_reviews_are_all_in(hub):
    rid = make_round()
    panel = experts(3)
    done = scored(rid, 1, [80, 70], panel)
    half = in_review(rid, 2)
    t1, t2 = assign_all(half, panel[:2])
    score(t1, panel[0], rid, 75)
    score(t2, panel[1], rid, 65, submit=False)  # a draft is not in
    recused = in_review(rid, 3)
    r1, r2 = assign_all(recused, panel[1:3])
    assignment.recuse(r1, "我是该组织的顾问", panel[1])
    score(r2, panel[2], rid, 88)
    nobody = in_review(rid, 4)  # no assignment: not in the table, not moved
    before = last_audit_id(hub)
    assert consolidation.complete_reviews(rid, STAFF) == 2
    assert {x: state(hub, x) for x in (done, half, recused, nobody)} == {
        done: "reviewed", half: "under_review", recused: "reviewed", nobody: "under_review"}
    rows = hub.fetch_all("SELECT table_name, action, logged_at FROM audit_log WHERE id > ? ORDER BY id", [before])
    assert [(r["table_name"], r["action"]) for r in rows] == [("applications", "move"), ("application_events", "create")] * 2
    assert len({r["logged_at"] for r in rows}) == 1  # one transaction
    assert consolidation.complete_reviews(rid, STAFF) == 0


def test_apply_recommendation_needs_the_sign_off_then_moves_the_reviewed(hub):
    rid = make_round(total_budget=100000.0)
    (who,) = experts(1)
    a = scored(rid, 1, [90], [who], amount=60000)
    b = scored(rid, 2, [85], [who], amount=50000)
    c = scored(rid, 3, [80], [who], amount=40000)
    waiting = in_review(rid, 4)
    assign_all(waiting, [who])
    assert consolidation.complete_reviews(rid, STAFF) == 3
    with pytest.raises(ValidationFailed) as info:
        consolidation.apply_recommendation(rid, STAFF)
    assert info.value.form == ["请先由管理员签字锁定评分,再生成推荐名单"]
    assert {state(hub, x) for x in (a, b, c)} == {"reviewed"}
    consolidation.sign_off(rid, ADMIN)
    assert consolidation.apply_recommendation(rid, STAFF) == (2, 1)
    assert {x: state(hub, x) for x in (a, b, c, waiting)} == {
        a: "recommended", b: "not_recommended", c: "recommended", waiting: "under_review"}
    note = hub.scalar("SELECT note FROM application_events WHERE application_id = ? ORDER BY id DESC LIMIT 1", [b])
    assert note == "超出剩余资金"
    assert workflow.state_label(state(hub, b)) == "不推荐"
    assert consolidation.apply_recommendation(rid, STAFF) == (0, 0)


# ---- progress and the workbook -------------------------------------------------------------------

def test_progress_counts_per_reviewer(hub):
    rid = make_round()
    e1, e2, e3 = experts(3)
    a, b, c = in_review(rid, 1), in_review(rid, 2), in_review(rid, 3)
    (t1a,) = assign_all(a, [e1])
    (t1b,) = assign_all(b, [e1])
    assign_all(c, [e2])
    (t3a,) = assign_all(a, [e3])
    (t3c,) = assign_all(c, [e3])
    score(t1a, e1, rid, 80)
    score(t1b, e1, rid, 70, submit=False)
    score(t3a, e3, rid, 60)
    assignment.recuse(t3c, "我是该组织的志愿者", e3)  # a recused task is not counted
    on_time = consolidation.progress(rid, today=TODAY)
    assert list(on_time.columns) == ["专家", "已分配", "草稿", "已提交", "逾期"]
    assert [tuple(r) for r in on_time.itertuples(index=False)] == [
        ("专家01", 2, 1, 1, 0), ("专家02", 1, 0, 0, 0), ("专家03", 1, 0, 1, 0)]  # people by name
    late = consolidation.progress(rid, today=D(2026, 5, 1))
    assert late["逾期"].tolist() == [1, 1, 0]


def test_summary_workbook_sheets_and_figures_match_the_database(hub):
    rid = make_round(trimmed_mean=True, discrepancy_threshold=50.0)
    panel = experts(5)
    a = scored(rid, 1, [90, 50, 80, 95, 70], panel, category="一老一小")
    b = scored(rid, 2, [66, 72, 81], panel, category="社区治理")
    consolidation.sign_off(rid, ADMIN)
    wb = load_workbook(io.BytesIO(consolidation.summary_workbook(rid)))
    assert wb.sheetnames == ["说明", "汇总(按类别)", "专家×项目", "分项得分", "评语", "逐份评分"]

    def sheet(name):
        rows = list(wb[name].iter_rows(values_only=True))
        return [dict(zip(rows[0], r)) for r in rows[1:]]

    cover = {r["项目"]: r["内容"] for r in sheet("说明")}
    assert cover["评分细则"] == "需求分析20、项目设计25、执行能力20、预算合理性15、创新性10、可持续性10"
    assert cover["计分方法"] == "去掉一个最高分和一个最低分(5份及以上)"
    assert cover["状态"].startswith("已于 ") and cover["状态"].endswith(" 由 chen 签字锁定")

    summary = {r["编号"]: r for r in sheet("汇总(按类别)")}
    db_final = {r["id"]: r["final"] for r in consolidation.table(rid).to_dict("records")}
    assert {k: v["最终得分"] for k, v in summary.items()} == db_final == {a: 80.0, b: 73.0}
    assert (summary[a]["状态"], summary[a][consolidation.LABELS["category"]], summary[a]["建议资助"]) == ("专家评审中", "一老一小", "是")
    assert summary[a]["去掉最高最低后平均"] == 80.0 and summary[b]["去掉最高最低后平均"] is None

    per = sheet("逐份评分")
    name = {f"expert{i:02d}": f"专家{i:02d}" for i in range(1, 6)}  # people by 姓名, never by account
    db_per = {(name[r["reviewer"]], r["application_id"]): r["total"] for r in hub.fetch_all(
        "SELECT reviewer, application_id, total FROM reviews WHERE status = 'submitted'")}
    assert {(r["专家"], r["项目编号"]): r["加权总分"] for r in per} == db_per
    assert {r["项目编号"]: r["项目名称"] for r in per} == {a: "测试项目第1号", b: "测试项目第2号"}
    assert len(per) == 8 and {r["推荐意见"] for r in per} == {"推荐"}

    matrix = {r["专家"]: r for r in sheet("专家×项目")}
    col = {a: f"测试项目第1号(编号 {a})", b: f"测试项目第2号(编号 {b})"}
    assert list(wb["专家×项目"].iter_rows(values_only=True))[0] == ("专家", col[a], col[b])
    assert {(u, app) for u in matrix for app in (a, b) if matrix[u][col[app]] is not None} == set(db_per)
    assert all(matrix[u][col[app]] == total for (u, app), total in db_per.items())

    items = sheet("分项得分")
    assert len(items) == 8 * 6
    sums: dict[tuple, float] = {}
    for r in items:
        sums[(r["专家"], r["项目编号"])] = sums.get((r["专家"], r["项目编号"]), 0) + r["得分"]
    assert sums == db_per  # default rubric: the total is the sum of the items
    everything = [v for ws in wb.worksheets for row in ws.iter_rows(values_only=True) for v in row]
    assert not [v for v in everything if isinstance(v, str) and v.startswith("expert")]
    assert [r["评分项"] for r in items[:6]] == ["需求分析", "项目设计", "执行能力", "预算合理性", "创新性", "可持续性"]
    assert len(sheet("评语")) == 8 * 6 and sheet("评语")[0]["评语"] == "需求分析评语"


# ---- issue 12: what the screen reads, and steps that happen once -----------------------------------

def test_display_has_no_raw_none_nan_or_float_money(hub):
    rid = make_round(trimmed_mean=True, reviewers_per_app=3)
    panel = experts(3)
    done = scored(rid, 1, [80, 70, 75], panel, amount=24800)
    partly = scored(rid, 2, [66], panel, amount=30000.5)
    assign_all(partly, panel[1:3])
    shown = consolidation.display(consolidation.table(rid)).set_index("编号")
    assert list(shown.columns) == [v for k, v in consolidation.LABELS.items() if k != "id"]
    cells = shown.reset_index().to_numpy().ravel().tolist()
    assert all(isinstance(v, (str, int)) for v in cells)
    assert not {"None", "nan", "NaN", "NaT", "24800.0"} & {str(v) for v in cells}
    amount = consolidation.LABELS["requested_amount"]
    assert (shown.loc[done, amount], shown.loc[partly, amount]) == ("24,800", "30,000.50")
    assert (shown.loc[done, "平均分"], shown.loc[done, "去掉最高最低后平均"]) == ("75.00", "—")  # 3 < 5: no trimming
    assert (shown.loc[partly, "已评份数"], shown.loc[partly, "分配专家数"], shown.loc[partly, "标准差"]) == ("1", "3", "0.00")
    assert (shown.loc[done, "建议资助"], shown.loc[partly, "依据"]) == ("是", "评分未完成")


def test_sign_off_twice_locks_once(hub):
    rid = make_round()
    before = last_audit_id(hub)
    assert "签字锁定本批次全部评分" in consolidation.sign_off_consequence(rid)
    consolidation.sign_off(rid, ADMIN)
    with pytest.raises(ValidationFailed) as info:
        consolidation.sign_off(rid, ADMIN)
    assert info.value.form == ["评分已锁定"]
    assert [(r["table_name"], r["action"]) for r in audit_rows(hub, before)] == [("rounds", "lock_scores")]


def test_the_sign_off_box_counts_the_reviews_that_will_not_count(hub):
    rid = make_round(reviewers_per_app=3)
    panel = experts(3)
    app_id = scored(rid, 1, [80], panel)
    assign_all(app_id, panel[1:3])
    assert consolidation.open_reviews(rid) == 2
    assert "尚未提交的 2 份评分将不再计入" in consolidation.sign_off_consequence(rid)


def test_ready_to_complete_and_a_second_complete_moves_nothing(hub):
    rid = make_round(reviewers_per_app=2)
    panel = experts(2)
    ready = scored(rid, 1, [80, 82], panel)
    waiting = scored(rid, 2, [70], panel)
    assign_all(waiting, panel[1:2])
    assert consolidation.ready_to_complete(rid) == [ready]
    assert consolidation.complete_reviews(rid, STAFF) == 1
    before = last_audit_id(hub)
    assert consolidation.ready_to_complete(rid) == []
    assert consolidation.complete_reviews(rid, STAFF) == 0
    assert last_audit_id(hub) == before
    assert (state(hub, ready), state(hub, waiting)) == ("reviewed", "under_review")
