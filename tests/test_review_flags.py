"""复评 that cannot be skipped (issue 14): an application whose experts' totals differ by more than the
round's threshold keeps the round from being signed off until it has been to 复评 (and back) or an
admin has resolved the flag with a recorded reason; a flagged application can go back to 复评 from
推荐立项 / 不推荐 while the round is not signed off. Every refusal is Chinese, names the applications
and what to do, and writes nothing."""
from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from core.intake import workflow
from core.intake.applications import APPLICATION
from core.review import consolidation
from core.platform.errors import PermissionDenied, ValidationFailed
from tests.test_consolidation import by_id, scored, state
from tests.test_reviews import assign_all, experts, score
from tests.test_rounds import ADMIN, STAFF, audit_rows, hub, last_audit_id, make_round  # noqa: F401

REASON = "经评审组会商,低分专家已书面说明理由,维持原评分"


def snapshot(db, rid: int) -> dict:
    return {"round": db.fetch_one("SELECT * FROM rounds WHERE id = ?", [rid]),
            "apps": db.fetch_all("SELECT id, state, updated_at FROM applications ORDER BY id"),
            "audit": last_audit_id(db),
            "resolutions": db.scalar("SELECT count(*) FROM flag_resolutions")}


def two_apps(hub):
    """A round with one flagged application (spread 30 > 20) and one close one, both 评审完成."""
    rid = make_round(trimmed_mean=False, discrepancy_threshold=20.0, reviewers_per_app=3)
    panel = experts(4)
    wide = scored(rid, 1, [90, 60, 75], panel)
    close = scored(rid, 2, [80, 85, 82], panel)
    assert consolidation.complete_reviews(rid, STAFF) == 2
    return rid, panel, wide, close


def test_sign_off_is_refused_while_a_flag_is_open_and_nothing_is_written(hub):
    rid, _, wide, _ = two_apps(hub)
    before = snapshot(hub, rid)
    with pytest.raises(ValidationFailed) as info:
        consolidation.sign_off(rid, ADMIN)
    (message,) = info.value.form
    assert message.startswith("还有 1 个项目分差过大、尚未处理,不能签字锁定:")
    assert f"「测试项目第1号」(编号 {wide},评审完成,极差 30.00 分)" in message
    assert "送复评" in message and "解除分差提示" in message
    assert snapshot(hub, rid) == before  # nothing written (no lock, no audit row)
    assert [f["id"] for f in consolidation.open_flags(rid).to_dict("records")] == [wide]
    # an application in 复评 whose 复评 is not complete keeps the flag open too
    consolidation.send_to_re_review(wide, "增加一位专家复评", STAFF)
    with pytest.raises(ValidationFailed) as info:
        consolidation.sign_off(rid, ADMIN)
    assert f"(编号 {wide},复评中,极差 30.00 分)" in info.value.form[0]
    assert hub.fetch_one("SELECT scores_locked_at FROM rounds WHERE id = ?", [rid])["scores_locked_at"] is None


def test_an_admin_resolves_a_flag_with_a_reason_then_sign_off_goes_through(hub):
    rid, _, wide, close = two_apps(hub)
    before = snapshot(hub, rid)
    with pytest.raises(PermissionDenied) as denied:
        consolidation.resolve_flag(wide, {"reason": REASON}, STAFF)
    assert str(denied.value) == "只有管理员可以解除分差提示"
    with pytest.raises(ValidationFailed) as info:
        consolidation.resolve_flag(wide, {"reason": "  "}, ADMIN)
    assert list(info.value.fields) == ["reason"]
    with pytest.raises(ValidationFailed) as info:
        consolidation.resolve_flag(close, {"reason": REASON}, ADMIN)
    assert info.value.form == [f"「测试项目第2号」(编号 {close})没有待处理的分差提示"]
    assert snapshot(hub, rid) == before

    mark = last_audit_id(hub)
    consolidation.resolve_flag(wide, {"reason": REASON}, ADMIN)
    rows = audit_rows(hub, mark)
    assert [(r["actor"], r["table_name"], r["action"], r["note"]) for r in rows] == [
        ("chen", "flag_resolutions", "create", REASON)]
    stored = hub.fetch_one("SELECT * FROM flag_resolutions WHERE application_id = ?", [wide])
    assert (stored["reason"], stored["spread"], stored["created_by"]) == (REASON, 30.0, "chen")
    row = by_id(rid)[wide]
    assert (row["flagged"], row["recommended"], row["basis"]) == (False, True, "按排名在预算内")
    assert row["flag_note"].startswith(f"管理员解除:{REASON}(chen ")
    shown = consolidation.display(consolidation.table(rid)).set_index("编号")
    assert shown.loc[wide, "分差提示"] == "" and shown.loc[wide, "分差处理"] == row["flag_note"]
    assert shown.loc[close, "分差处理"] == ""
    with pytest.raises(ValidationFailed) as info:  # once is enough
        consolidation.resolve_flag(wide, {"reason": REASON}, ADMIN)
    assert info.value.form == [f"「测试项目第1号」(编号 {wide})没有待处理的分差提示"]

    consolidation.sign_off(rid, ADMIN)
    assert hub.fetch_one("SELECT scores_locked_at FROM rounds WHERE id = ?", [rid])["scores_locked_at"] is not None
    assert consolidation.apply_recommendation(rid, STAFF) == (2, 0)
    wb = load_workbook(io.BytesIO(consolidation.summary_workbook(rid)))
    head, *body = list(wb["汇总(按类别)"].iter_rows(values_only=True))
    summary = {r[head.index("编号")]: dict(zip(head, r)) for r in body}
    assert summary[wide]["分差处理"] == row["flag_note"]


def test_a_flagged_application_can_go_back_to_re_review_from_not_recommended_and_recommended(hub):
    rid = make_round(trimmed_mean=False, discrepancy_threshold=20.0, reviewers_per_app=3)
    panel = experts(4)
    no = scored(rid, 1, [90, 60, 75], panel)
    yes = scored(rid, 2, [95, 70, 72], panel)
    assert consolidation.complete_reviews(rid, STAFF) == 2
    workflow.move(APPLICATION, no, "not_recommended", STAFF)  # marked by hand while the flag was open
    workflow.move(APPLICATION, yes, "recommended", STAFF)
    consolidation.send_to_re_review(no, "增加一位专家复评", STAFF)
    consolidation.send_to_re_review(yes, "专家会商", STAFF)
    assert (state(hub, no), state(hub, yes)) == ("re_review", "re_review")
    assert [t.label for t in workflow.moves_from("not_recommended", ["staff"]) if t.target == "re_review"] == ["送复评"]
    (extra,) = assign_all(no, [panel[3]])
    score(extra, panel[3], rid, 72)
    (extra,) = assign_all(yes, [panel[3]])
    score(extra, panel[3], rid, 80)
    assert consolidation.complete_reviews(rid, STAFF) == 2
    t = consolidation.table(rid)
    assert not t["flagged"].any()
    assert t.set_index("id").loc[[no, yes], "flag_note"].tolist() == ["已复评", "已复评"]
    consolidation.sign_off(rid, ADMIN)  # nothing open any more


def test_re_review_is_refused_once_the_round_is_signed_off(hub):
    rid = make_round(trimmed_mean=False, discrepancy_threshold=20.0, reviewers_per_app=2)
    panel = experts(2)
    app_id = scored(rid, 1, [80, 82], panel)
    assert consolidation.complete_reviews(rid, STAFF) == 1
    consolidation.sign_off(rid, ADMIN)
    before = snapshot(hub, rid)
    with pytest.raises(workflow.MoveRefused) as info:
        consolidation.send_to_re_review(app_id, "增加一位专家复评", STAFF)
    assert str(info.value) == ("本批次评分已签字锁定,专家不能再评分:请先由管理员写明原因解锁评分,再送复评")
    assert snapshot(hub, rid) == before and state(hub, app_id) == "reviewed"


def test_apply_recommendation_is_refused_for_a_round_signed_off_with_a_flag_open(hub):
    """A round locked before this rule (its flag still open) cannot turn the flag into 不推荐."""
    rid, _, wide, _ = two_apps(hub)
    with hub.transaction() as tx:  # as an earlier version of HubDesk let it happen
        tx.execute("UPDATE rounds SET scores_locked_at = now(), scores_locked_by = 'chen' WHERE id = ?", [rid])
    before = snapshot(hub, rid)
    with pytest.raises(ValidationFailed) as info:
        consolidation.apply_recommendation(rid, STAFF)
    assert f"(编号 {wide},评审完成,极差 30.00 分)" in info.value.form[0]
    assert snapshot(hub, rid) == before


# ---- the 评审汇总 screen (AppTest on the demo data: its current round has one flag open) --------------

def test_the_screen_refuses_sign_off_then_an_admin_resolves_after_confirming(demo_db):
    from core.intake import rounds
    from tests.apptest_helpers import errors, open_page, plain, signed_in, successes

    rid = int(rounds.current(demo_db)["id"])
    (flag,) = consolidation.open_flags(rid, demo_db).to_dict("records")
    fid = int(flag["id"])
    at = open_page(signed_in("admin", ["admin"]).run(), "review-summary")
    assert not at.exception
    lock = at.button(key="summary:lock")
    assert lock.disabled
    refusal = [plain(c.value) for c in at.caption if "不能签字锁定:" in plain(c.value)]
    assert len(refusal) == 1 and f"「{flag['title']}」(编号 {fid}" in refusal[0] and "解除分差提示" in refusal[0]
    mark = last_audit_id(demo_db)

    at.selectbox(key="summary:flagged").set_value(fid).run()
    key = f"summary:resolve:{fid}"
    at.text_area(key=f"{key}::reason").input("短")
    at.button(key=f"FormSubmitter:{key}-解除分差提示").click().run()
    assert "解除理由长度应为4–500个字符" in errors(at)
    assert at.text_area(key=f"{key}::reason").value == "短"  # kept
    at.text_area(key=f"{key}::reason").input(REASON)
    at.button(key=f"FormSubmitter:{key}-解除分差提示").click().run()
    (box,) = [plain(w.value) for w in at.warning if "请确认" in plain(w.value)]  # it asks first
    assert REASON in box and "此操作不可撤销" in box
    assert last_audit_id(demo_db) == mark and consolidation.open_flags(rid, demo_db)["id"].tolist() == [fid]
    at.button(key=f"{key}:yes").click().run()
    assert not at.exception and not errors(at)
    assert any("的分差提示,理由已记入审计日志" in s for s in successes(at)), successes(at)
    assert [(r["table_name"], r["action"], r["note"]) for r in audit_rows(demo_db, mark)
            if r["table_name"] != "user_sessions"] == [("flag_resolutions", "create", REASON)]
    assert consolidation.open_flags(rid, demo_db).empty
    assert not at.button(key="summary:lock").disabled
    shown = at.dataframe[0].value.set_index("编号").loc[fid]
    assert shown["分差处理"].startswith(f"管理员解除:{REASON}(陈主任(管理员) ")


def test_a_decision_waits_for_an_open_flag_whichever_way_it_goes(hub):
    """A flagged application marked 不推荐 (or 推荐立项) by hand cannot be decided, funded or not, while its
    flag is open: the admin is told to send it to 复评 or resolve the flag; nothing is written."""
    from core.review import decisions

    rid = make_round(trimmed_mean=False, discrepancy_threshold=20.0, reviewers_per_app=3)
    panel = experts(4)
    no = scored(rid, 1, [90, 60, 75], panel)
    yes = scored(rid, 2, [95, 70, 72], panel)
    assert consolidation.complete_reviews(rid, STAFF) == 2
    workflow.move(APPLICATION, no, "not_recommended", STAFF)
    workflow.move(APPLICATION, yes, "recommended", STAFF)
    before = snapshot(hub, rid)
    for app_id, values in ((no, {"decision": "不予资助", "note": "评分靠后"}),
                           (yes, {"decision": "资助", "granted_amount": 10000.0, "note": None})):
        with pytest.raises(ValidationFailed) as info:
            decisions.decide(app_id, values, ADMIN)
        assert info.value.form == ["该项目专家评分分差过大、尚未处理,不能作出资助决定:请先在「评审汇总」中送复评"
                                   "并完成复评,或由管理员写明理由解除分差提示"]
    assert snapshot(hub, rid) == before
    consolidation.resolve_flag(no, {"reason": REASON}, ADMIN)
    decisions.decide(no, {"decision": "不予资助", "note": "评分靠后"}, ADMIN)
    assert state(hub, no) == "rejected"
