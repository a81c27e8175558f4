"""AppTest: 专家评审 for staff — 评审专家 (expert-panel), 评审分配 (review-assignment), 评审汇总 (review-summary).

Profiles and affiliations, the rubric editor (frozen once scored), the assignment plan and its
confirmation, conflicts refused by hand too, the consolidated table, 复评, overrides, and the
administrator's sign-off that locks the reviewers out."""
from __future__ import annotations

import math
import re

import pytest
from streamlit.testing.v1 import AppTest

from core.platform.actor import Actor
from tests.apptest_helpers import (
    count as _count, db as _db, errors as _errors, open_page, plain, plain_texts as texts, signed_in, successes as _successes,
)

# the audit rows of the screen actions (signing a test user in writes its own session row)
OURS = "WHERE table_name <> 'user_sessions'"

STAFF = Actor("staff", ("staff",))
ADMIN = Actor("admin", ("admin",))
EXPERT = Actor("expert", ("reviewer",))
SCREENS = {"expert-panel": ("pages.review_admin:experts", "评审专家"),
           "review-assignment": ("pages.review_admin:assign", "评审分配"),
           "review-summary": ("pages.review_admin:summary", "评审汇总")}


def _last_audit() -> int:
    return int(_db().scalar("SELECT max(id) FROM audit_log"))


def _audit_since(last: int) -> list[dict]:
    return _db().fetch_all("SELECT actor, table_name, row_key, action FROM audit_log WHERE id > ?"
                           " AND table_name <> 'user_sessions' ORDER BY id", [last])


def _current() -> int:
    from core.intake import rounds

    return int(rounds.current()["id"])


def _resolve_flags(rid: int) -> None:
    """The demo's current round has a 分差 flag open: no sign-off until it is handled (issue 14)."""
    from core.review import consolidation

    for f in consolidation.open_flags(rid).to_dict("records"):
        consolidation.resolve_flag(int(f["id"]), {"reason": "专家会商后维持原评分"}, ADMIN)


def _state(app_id: int) -> str:
    return _db().scalar("SELECT state FROM applications WHERE id = ?", [app_id])


def _as(username: str, role: str, url_path: str) -> AppTest:
    return open_page(signed_in(username, [role]).run(), url_path)


def _staff(url_path: str) -> AppTest:
    at = _as("staff", "staff", url_path)
    assert not at.exception
    return at


def _nan(v) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v))


# ---- access --------------------------------------------------------------------------------------

@pytest.mark.parametrize("url_path", list(SCREENS))
@pytest.mark.parametrize("username,role", [("staff", "staff"), ("admin", "admin")])
def test_staff_and_admin_open_each_screen(demo_db, url_path, username, role):
    at = _as(username, role, url_path)
    assert not at.exception
    assert [t.value for t in at.title] == [SCREENS[url_path][1]]
    assert not at.error


@pytest.mark.parametrize("url_path", list(SCREENS))
@pytest.mark.parametrize("username,role", [("expert", "reviewer"), ("leader", "leader")])
def test_reviewer_and_leader_get_a_no_access_notice(demo_db, url_path, username, role):
    at = _as(username, role, url_path)
    assert not at.exception
    assert [t.value for t in at.title] == ["无权访问"]
    assert len(at.dataframe) == 0 and not at.tabs
    assert "expert_profile::title" not in [t.key for t in at.text_input]


@pytest.mark.parametrize("target", [t for t, _ in SCREENS.values()])
@pytest.mark.parametrize("username,role", [("expert", "reviewer"), ("leader", "leader")])
def test_the_screens_refuse_reviewer_and_leader_when_called_directly(demo_db, target, username, role):
    def script(username, role, target):
        import importlib

        import streamlit as st

        from core import app

        app.bootstrap()
        st.session_state.update(authentication_status=True, username=username, name=username, roles=[role])
        module, _, func = target.partition(":")
        getattr(importlib.import_module(module), func)()

    at = AppTest.from_function(script, kwargs={"username": username, "role": role, "target": target},
                               default_timeout=60).run()
    assert not at.exception
    assert "您的角色无权访问此页面。" in _errors(at)
    assert len(at.title) == 0 and len(at.dataframe) == 0


# ---- 评审专家 --------------------------------------------------------------------------------------

def _expert_panel(username: str) -> AppTest:
    at = _staff("expert-panel")
    at.selectbox(key="expert").set_value(username).run()
    assert not at.exception
    return at


def test_the_panel_lists_every_reviewer(demo_db):
    from core.review import reviewers

    at = _staff("expert-panel")
    people = reviewers.reviewers()
    df = at.dataframe[0].value
    assert len(people) == 26
    assert list(df["用户名"]) == list(people["username"])
    assert list(df["姓名"]) == list(people["name"])


def test_save_an_expert_profile(demo_db):
    from core.review import reviewers

    last = _last_audit()
    at = _expert_panel("expert03")
    at.text_input(key="expert_profile::title").input("高校副教授")
    at.text_input(key="expert_profile::employer").input("浙江工商大学公共管理学院")
    at.multiselect(key="expert_profile::expertise").set_value(["社区治理", "一老一小"])
    at.number_input(key="expert_profile::load_cap").set_value(9)
    at.text_area(key="expert_profile::notes").input("擅长社区协商议事项目")
    at.button(key="FormSubmitter:expert_profile-保存档案").click().run()
    assert not at.exception
    assert not _errors(at)
    assert "已保存陆佳的专家档案" in _successes(at)  # expert03, by name
    prof = reviewers.profile("expert03")
    assert (prof["title"], prof["employer"], prof["load_cap"], prof["notes"]) == (
        "高校副教授", "浙江工商大学公共管理学院", 9, "擅长社区协商议事项目")
    assert list(prof["expertise"]) == ["社区治理", "一老一小"]
    assert prof["updated_by"] == "staff"
    assert [(a["actor"], a["table_name"], a["row_key"], a["action"]) for a in _audit_since(last)] == [
        ("staff", "reviewer_profiles", "expert03", "update")]
    row = at.dataframe[0].value.set_index("用户名").loc["expert03"]
    assert row["职称/身份"] == "高校副教授" and row["单批次评审上限(个)"] == "9"
    assert at.text_input(key="expert_profile::title").value == "高校副教授"


@pytest.mark.parametrize("cap,message", [(0, "单批次评审上限(个)不能小于1"), (201, "单批次评审上限(个)不能大于200")])
def test_a_bad_load_cap_is_refused(demo_db, cap, message):
    from core.review import reviewers

    before, audit_before = reviewers.profile("expert03"), _count("audit_log", OURS)
    at = _expert_panel("expert03")
    at.text_input(key="expert_profile::title").input("资深社工")
    at.number_input(key="expert_profile::load_cap").set_value(cap)
    at.button(key="FormSubmitter:expert_profile-保存档案").click().run()
    assert not at.exception
    assert message in _errors(at)
    assert reviewers.profile("expert03") == before
    assert _count("audit_log", OURS) == audit_before
    assert at.text_input(key="expert_profile::title").value == "资深社工"
    assert at.number_input(key="expert_profile::load_cap").value == cap


def _org_without_affiliation(username: str) -> tuple[int, str]:
    row = _db().fetch_one("SELECT id, name FROM organisations WHERE active AND id NOT IN"
                          " (SELECT org_id FROM reviewer_affiliations WHERE username = ?) ORDER BY id LIMIT 1", [username])
    return int(row["id"]), row["name"]


def _add_affiliation(at: AppTest, username: str, org_id: int, relation: str, note: str = "") -> AppTest:
    key = f"affiliation:{username}"
    at.selectbox(key=f"{key}::org_id").set_value(org_id)
    at.selectbox(key=f"{key}::relation").set_value(relation)
    if note:
        at.text_input(key=f"{key}::note").input(note)
    return at.button(key=f"FormSubmitter:{key}-登记关联").click().run()


def test_add_an_affiliation_then_the_same_again_is_refused(demo_db):
    org_id, org_name = _org_without_affiliation("expert03")
    before = _count("reviewer_affiliations", "WHERE username = 'expert03'")
    last = _last_audit()
    at = _add_affiliation(_expert_panel("expert03"), "expert03", org_id, "顾问", "为该组织提供项目督导")
    assert not at.exception
    assert not _errors(at)
    row = _db().fetch_one("SELECT * FROM reviewer_affiliations WHERE username = 'expert03' AND org_id = ?", [org_id])
    assert (row["relation"], row["note"], row["created_by"]) == ("顾问", "为该组织提供项目督导", "staff")
    assert "已登记关联" in _successes(at)
    assert _count("reviewer_affiliations", "WHERE username = 'expert03'") == before + 1
    assert [(a["table_name"], a["action"]) for a in _audit_since(last)] == [("reviewer_affiliations", "create")]
    assert org_name in list(at.dataframe[1].value["组织"])
    # the form was emptied; the same affiliation again is refused
    assert at.selectbox(key="affiliation:expert03::org_id").value is None
    audit_before = _count("audit_log", OURS)
    _add_affiliation(at, "expert03", org_id, "顾问")
    assert not at.exception
    assert "该关联已登记" in _errors(at)
    assert _count("reviewer_affiliations", "WHERE username = 'expert03'") == before + 1
    assert _count("audit_log", OURS) == audit_before
    assert at.selectbox(key="affiliation:expert03::org_id").value == org_id  # kept


# ---- 评审分配 --------------------------------------------------------------------------------------

def test_the_rubric_of_a_scored_round_is_shown_frozen(demo_db):
    from core.intake import rubrics

    rid = _current()
    assert rubrics.is_frozen(rid)
    at = _staff("review-assignment")
    assert at.selectbox(key="round").value == rid
    from core.review import reviewers

    assert [e.label for e in at.expander] == ["评分细则", f"本批次专家库({len(reviewers.pool(rid))} 位)"]
    editor = at.dataframe[0].value
    crit = rubrics.criteria(rid)
    assert list(editor["name"]) == [c["name"] for c in crit]
    assert list(editor["max_score"]) == [c["max_score"] for c in crit]
    assert "已有专家提交评分,评分细则已冻结。" in texts(at)
    assert f"rubric:{rid}:save" not in [b.key for b in at.button]


def _new_round() -> int:
    from core.intake import rounds

    return rounds.create(rounds.defaults(rounds.current()["year"] + 1), ADMIN)


def test_the_rubric_of_a_new_round_can_be_edited_and_must_add_up(demo_db):
    from core.intake import rubrics

    rid = _new_round()
    at = _staff("review-assignment")
    at.selectbox(key="round").set_value(rid).run()
    assert not at.exception
    assert "可增删评分项;满分之和须等于总分。" in texts(at)
    key = f"rubric:{rid}"
    assert at.button(key=f"{key}:save").label == "保存评分细则"
    before, audit_before = rubrics.criteria(rid), _count("audit_log", OURS)
    # 需求分析 20 -> 25: the maxima add up to 105
    at.session_state[key] = {"edited_rows": {0: {"max_score": 25.0}}, "added_rows": [], "deleted_rows": []}
    at.button(key=f"{key}:save").click().run()
    assert not at.exception
    assert "各评分项满分之和须为100分,当前为105分" in _errors(at)
    assert rubrics.criteria(rid) == before
    assert _count("audit_log", OURS) == audit_before
    # and 创新性 10 -> 5: stored
    at.session_state[key] = {"edited_rows": {0: {"max_score": 25.0, "weight": 25.0}, 4: {"max_score": 5.0, "weight": 5.0}},
                             "added_rows": [], "deleted_rows": []}
    at.button(key=f"{key}:save").click().run()
    assert not at.exception
    assert not _errors(at)
    assert "已保存评分细则" in _successes(at)
    assert [(c["name"], c["max_score"], c["weight"]) for c in rubrics.criteria(rid)] == [
        ("需求分析", 25.0, 25.0), ("项目设计", 25.0, 25.0), ("执行能力", 20.0, 20.0), ("预算合理性", 15.0, 15.0),
        ("创新性", 5.0, 5.0), ("可持续性", 10.0, 10.0)]


def _send_one_to_review() -> int:
    """An eligible application of the current round goes to 专家评审 (it has no experts yet)."""
    from core.intake import applications

    app_id = int(_db().scalar("SELECT min(id) FROM applications WHERE round_id = ? AND state = 'eligible'", [_current()]))
    applications.move(app_id, "under_review", STAFF)
    return app_id


def _matrix(at: AppTest):
    """The assignment matrix as shown: one row per project (编号, 项目名称, 已分配), one column per expert by name."""
    (m,) = [d.value for d in at.dataframe if "项目名称" in d.value.columns and "已分配" in d.value.columns]
    return m.set_index("编号")


def test_plan_then_confirm_writes_the_planned_assignments(demo_db):
    from core.review import assignment, reviewers

    app_id = _send_one_to_review()
    rid = _current()
    names = reviewers.person_names()
    at = _staff("review-assignment")
    matrix = _matrix(at)
    assert matrix.loc[app_id, "已分配"] == 0
    title = _db().scalar("SELECT title FROM applications WHERE id = ?", [app_id])
    assert matrix.loc[app_id, "项目名称"] == title
    # people by name, projects by title: no account name, no "#259"
    assert not [c for c in matrix.columns if str(c).startswith(("expert", "#"))]
    # the three recusals of the demo round show in the matrix
    recused = _count("assignments s JOIN applications a ON a.id = s.application_id",
                     "WHERE a.round_id = ? AND s.status = 'recused'", [rid])
    assert recused == 3 == int((matrix == "回避").sum().sum())
    at.button(key="assign:plan").click().run()
    assert not at.exception
    plan = assignment.plan_round(rid)
    assert plan.pairs and not plan.shortfalls
    assert not at.warning
    matrix = _matrix(at)
    row = matrix.loc[app_id]
    assert sorted(c for c in matrix.columns if row[c] == "○") == sorted(names[u] for a, u in plan.pairs if a == app_id)
    confirm = at.button(key="assign:confirm")
    assert confirm.label == f"确认分配({len(plan.pairs)} 个)"
    count, last = _count("assignments"), _last_audit()
    confirm.click().run()
    assert not at.exception
    assert not _errors(at)
    assert f"已确认分配 {len(plan.pairs)} 个评审任务" in _successes(at)
    assert _count("assignments") == count + len(plan.pairs)
    audit = _audit_since(last)
    assert [(a["actor"], a["table_name"], a["action"]) for a in audit] == [("staff", "assignments", "create")] * len(plan.pairs)
    stored = _db().fetch_all("SELECT reviewer, status FROM assignments WHERE application_id = ?", [app_id])
    assert sorted(r["reviewer"] for r in stored) == sorted(u for a, u in plan.pairs if a == app_id)
    assert {r["status"] for r in stored} == {"assigned"}
    org = _db().scalar("SELECT org_id FROM applications WHERE id = ?", [app_id])
    assert not [r for r in stored if (r["reviewer"], org) in reviewers.conflict_pairs()]
    matrix = _matrix(at)
    row = matrix.loc[app_id]
    assert sorted(c for c in matrix.columns if row[c] == "●") == sorted(names[r["reviewer"]] for r in stored)
    assert row["已分配"] == len(stored)
    assert "assign:confirm" not in [b.key for b in at.button]


def test_the_plan_names_every_application_that_falls_short(demo_db):
    from core.review import assignment

    rid = _current()
    with _db().transaction() as tx:  # more experts per application than the panel can give
        tx.execute("UPDATE rounds SET reviewers_per_app = 26 WHERE id = ?", [rid])
        tx.touch("rounds")
    count = _count("assignments")
    at = _staff("review-assignment")
    at.button(key="assign:plan").click().run()
    assert not at.exception
    plan = assignment.plan_round(rid)
    assert plan.shortfalls
    titles = assignment.app_titles(rid)
    assert [plain(w.value) for w in at.warning] == [f"{titles[a]}专家不足:{why}" for a, why in plan.shortfalls]
    assert all(plain(w.value).startswith("「") for w in at.warning)  # the project by its title
    assert all("还差" in plain(w.value) for w in at.warning)
    assert _count("assignments") == count  # planning stores nothing


def _conflicted_pair() -> tuple[int, str, str]:
    """(application in review, expert with a declared affiliation to its organisation, the relation)."""
    row = _db().fetch_one(
        "SELECT a.id, f.username, f.relation FROM applications a JOIN reviewer_affiliations f ON f.org_id = a.org_id"
        " WHERE a.round_id = ? AND a.state IN ('under_review', 're_review') AND NOT EXISTS (SELECT 1 FROM assignments s"
        " WHERE s.application_id = a.id AND s.reviewer = f.username) ORDER BY a.id, f.username LIMIT 1", [_current()])
    return int(row["id"]), row["username"], row["relation"]


def _manual(at: AppTest, app_id: int, username: str) -> AppTest:
    at.selectbox(key="assign:app").set_value(app_id)
    at.selectbox(key="assign:expert").set_value(username).run()
    return at.button(key="assign:manual").click().run()


def test_manual_assignment_of_a_conflicted_expert_is_refused(demo_db):
    app_id, username, relation = _conflicted_pair()
    count, audit_before = _count("assignments"), _count("audit_log", OURS)
    at = _manual(_staff("review-assignment"), app_id, username)
    assert not at.exception
    from core.review import reviewers

    assert f"{reviewers.person(username)}与申报组织有利益冲突:已申报与该组织的关系:{relation}" in _errors(at)
    assert _count("assignments") == count
    assert _count("audit_log", OURS) == audit_before
    assert at.selectbox(key="assign:app").value == app_id
    assert at.selectbox(key="assign:expert").value == username


def test_manual_assignment_of_a_free_expert(demo_db):
    from core.review import assignment, reviewers

    app_id = _send_one_to_review()
    org = _db().scalar("SELECT org_id FROM applications WHERE id = ?", [app_id])
    username = next(u for u in reviewers.reviewers()["username"] if not reviewers.conflicts(u, org))
    count = _count("assignments")
    at = _manual(_staff("review-assignment"), app_id, username)
    assert not at.exception
    assert not _errors(at)
    title = _db().scalar("SELECT title FROM applications WHERE id = ?", [app_id])
    assert f"已把「{title}」(编号 {app_id})分配给 {reviewers.person(username)}" in _successes(at)
    assert _count("assignments") == count + 1
    assert list(assignment.for_application(app_id)["reviewer"]) == [username]
    assert list(at.dataframe[-1].value["专家"]) == [reviewers.person(username)]  # the application's current experts


# ---- 评审汇总 --------------------------------------------------------------------------------------

def _flagged() -> int:
    from core.review import consolidation

    t = consolidation.table(_current())
    (app_id,) = [int(i) for i in t[t["flagged"]]["id"]]
    return app_id


def test_the_summary_table_is_the_consolidated_table(demo_db):
    from core.review import consolidation

    rid = _current()
    t = consolidation.table(rid)
    at = _staff("review-summary")
    assert at.selectbox(key="round").value == rid
    assert [tab.label for tab in at.tabs] == ["汇总与排名", "评审进度", "复评、调整与签字"]
    df = at.dataframe[0].value
    assert list(df["编号"]) == list(t["id"])
    assert len(df) > 0
    for shown, final in zip(df["最终得分"], t["final"]):
        assert shown == ("—" if _nan(final) else f"{final:.2f}")
    cells = df.to_numpy().ravel().tolist()
    assert not {"None", "nan", "NaN", "NaT"} & {str(v) for v in cells}
    amount = consolidation.LABELS["requested_amount"]
    assert all(re.fullmatch(r"\d{1,3}(,\d{3})*(\.\d\d)?", v) for v in df[amount]), list(df[amount])  # "54,700"
    assert set(t["state"]) >= {"under_review"}
    flagged = _flagged()
    marks = dict(zip(df["编号"], df["分差提示"]))
    assert marks[flagged] == "⚠ 分差过大"
    assert {k for k, v in marks.items() if v} == {flagged}
    assert list(df["依据"]) == list(t["basis"])
    progress = consolidation.progress(rid)
    assert list(at.dataframe[1].value["专家"]) == list(progress["专家"])
    assert "李教授(评审专家)" in list(progress["专家"]) and not [p for p in progress["专家"] if p.startswith("expert")]
    assert list(at.dataframe[1].value["已提交"]) == list(progress["已提交"])
    export = at.get("download_button")[0]  # then the sheet to sign as Word / PDF (tests/test_documents_app.py)
    assert export.label == "导出专家评分汇总表(Excel)"


def test_re_review_needs_a_note(demo_db):
    flagged = _flagged()
    state, events, audit_before = _state(flagged), _count("application_events"), _count("audit_log", OURS)
    at = _staff("review-summary")
    (option,) = at.selectbox(key="summary:flagged").options  # only the flagged application
    title = _db().scalar("SELECT title FROM applications WHERE id = ?", [flagged])
    assert option.startswith(f"{title}(编号 {flagged},")
    assert at.button(key="summary:rereview").disabled  # nothing chosen yet
    at.selectbox(key="summary:flagged").set_value(flagged).run()
    at.button(key="summary:rereview").click().run()
    assert not at.exception
    assert "请写明复评安排(增加专家或会商意见)" in _errors(at)
    assert _state(flagged) == state
    assert _count("application_events") == events
    assert _count("audit_log", OURS) == audit_before


def test_re_review_with_a_note(demo_db):
    flagged = _flagged()
    note = "增加两位专家会商"
    at = _staff("review-summary")
    at.selectbox(key="summary:flagged").set_value(flagged).run()
    at.text_input(key="summary:rnote").input(note)
    at.button(key="summary:rereview").click().run()
    assert not at.exception
    assert not _errors(at)
    assert _state(flagged) == "re_review"
    event = _db().fetch_one("SELECT * FROM application_events WHERE application_id = ? ORDER BY id DESC LIMIT 1",
                            [flagged])
    assert (event["to_state"], event["note"], event["created_by"]) == ("re_review", note, "staff")
    assert "已送复评;请在「评审分配」中增加专家" in _successes(at)
    df = at.dataframe[0].value.set_index("编号")
    assert df.loc[flagged, "状态"] == "复评中"


def _override_form(at: AppTest, app_id: int, recommended: bool, reason: str) -> AppTest:
    at.selectbox(key="summary:ov").set_value(app_id).run()
    key = f"override:{app_id}"
    box = at.checkbox(key=f"{key}::recommended")
    assert box.value is True  # the default
    if not recommended:
        box.uncheck()
    at.text_area(key=f"{key}::reason").input(reason)
    return at.button(key=f"FormSubmitter:{key}-保存调整").click().run()


def test_an_override_with_a_reason_is_stored_and_shown(demo_db):
    from core.review import consolidation

    t = consolidation.table(_current())
    app_id = int(t[t["recommended"]]["id"].iloc[0])
    reason = "该项目与街道年度重点工作重复,经联席会议研究不予资助"
    last = _last_audit()
    at = _override_form(_staff("review-summary"), app_id, False, reason)
    assert not at.exception
    assert not _errors(at)
    assert "已记录调整" in _successes(at)
    row = _db().fetch_one("SELECT * FROM recommendation_overrides WHERE application_id = ?", [app_id])
    assert (row["recommended"], row["reason"], row["created_by"]) == (False, reason, "staff")
    assert [(a["table_name"], a["action"]) for a in _audit_since(last)] == [("recommendation_overrides", "create")]
    shown = at.dataframe[0].value.set_index("编号").loc[app_id]
    assert shown["依据"] == f"人工调整:{reason}"
    assert shown["建议资助"] == "否"


def test_an_override_with_too_short_a_reason_is_refused(demo_db):
    from core.review import consolidation

    app_id = int(consolidation.table(_current())["id"].iloc[0])
    count, audit_before = _count("recommendation_overrides"), _count("audit_log", OURS)
    at = _override_form(_staff("review-summary"), app_id, False, "不行")
    assert not at.exception
    assert "调整原因长度应为4–500个字符" in _errors(at)
    assert _count("recommendation_overrides") == count
    assert _count("audit_log", OURS) == audit_before
    assert at.text_area(key=f"override:{app_id}::reason").value == "不行"
    assert at.checkbox(key=f"override:{app_id}::recommended").value is False


def test_staff_cannot_sign_off(demo_db):
    at = _staff("review-summary")
    assert "summary:lock" not in [b.key for b in at.button]
    assert "签字锁定由管理员办理。" in texts(at)
    assert at.button(key="summary:apply").disabled  # needs the signed-off scores


def test_admin_signs_off_and_the_reviewers_are_locked_out(demo_db):
    from core.platform.errors import ValidationFailed
    from core.review import reviews

    rid = _current()
    _resolve_flags(rid)
    last = _last_audit()
    at = _as("admin", "admin", "review-summary")
    assert at.button(key="summary:lock").label == "签字锁定评分"
    at.button(key="summary:lock").click().run()
    # it asks first, saying what cannot be undone; nothing is locked yet
    (box,) = [plain(w.value) for w in at.warning if "请确认" in plain(w.value)]
    assert "锁定后专家不能再保存、提交或更正评分" in box and "此操作不可撤销" in box
    assert _db().scalar("SELECT scores_locked_at FROM rounds WHERE id = ?", [rid]) is None
    assert _audit_since(last) == []
    at.button(key="summary:lock:yes").click().run()
    assert not at.exception
    assert "已签字锁定本批次评分。" in _successes(at)
    rnd = _db().fetch_one("SELECT scores_locked_at, scores_locked_by FROM rounds WHERE id = ?", [rid])
    assert rnd["scores_locked_at"] is not None and rnd["scores_locked_by"] == "admin"
    assert [(a["actor"], a["table_name"], a["action"]) for a in _audit_since(last)] == [("admin", "rounds", "lock_scores")]
    assert any("由 陈主任(管理员) 签字锁定" in plain(i.value) for i in at.info)  # by name, not "admin"
    assert "summary:lock" not in [b.key for b in at.button]
    assert at.button(key="summary:unlock").label == "解锁评分"
    assert not at.button(key="summary:apply").disabled
    # a reviewer's save is refused now
    draft = _db().fetch_one("SELECT v.assignment_id FROM reviews v JOIN applications a ON a.id = v.application_id"
                            " WHERE v.reviewer = 'expert' AND v.status = 'draft' AND a.round_id = ?", [rid])
    before = reviews.review_of(draft["assignment_id"])
    with pytest.raises(ValidationFailed, match="本批次评分已签字锁定,不能再修改"):
        reviews.save(draft["assignment_id"], reviews.form_values(draft["assignment_id"]), EXPERT)
    assert reviews.review_of(draft["assignment_id"]) == before


def _reopen_form(at: AppTest, app_id: int, assignment_id: int, reason: str = "") -> AppTest:
    at.selectbox(key="summary:reopen_app").set_value(app_id).run()
    at.selectbox(key="summary:reopen_task").set_value(assignment_id).run()
    if reason:
        at.text_input(key="summary:reopen_why").input(reason)
    return at.button(key="summary:reopen").click().run()


def _a_submitted_review() -> dict:
    return _db().fetch_one(
        "SELECT v.id, v.assignment_id, v.application_id, v.reviewer, v.total FROM reviews v JOIN applications a"
        " ON a.id = v.application_id WHERE a.round_id = ? AND v.status = 'submitted' AND a.state = 'under_review'"
        " ORDER BY v.id LIMIT 1", [_current()])


def test_reopen_offers_the_submitted_reviews_of_the_chosen_project(demo_db):
    from core.review import reviews

    review = _a_submitted_review()
    at = _staff("review-summary")
    assert at.button(key="summary:reopen").disabled
    at.selectbox(key="summary:reopen_app").set_value(review["application_id"]).run()
    submitted = _db().fetch_all("SELECT assignment_id, reviewer FROM reviews WHERE application_id = ?"
                                " AND status = 'submitted' ORDER BY assignment_id", [review["application_id"]])
    picker = at.selectbox(key="summary:reopen_task")
    from core.review import reviewers

    assert [o.rsplit("(加权总分", 1)[0] for o in picker.options] == [reviewers.person(r["reviewer"]) for r in submitted]
    # without a reason: refused, nothing changed
    before, audit_before = reviews.review_of(review["assignment_id"]), _count("audit_log", OURS)
    _reopen_form(at, review["application_id"], review["assignment_id"])
    assert not at.exception
    assert "请填写重新开放的原因(至少4个字)" in _errors(at)
    assert reviews.review_of(review["assignment_id"]) == before
    assert _count("audit_log", OURS) == audit_before


def test_reopen_a_submitted_review_with_a_reason(demo_db):
    from core.review import reviews

    review = _a_submitted_review()
    reason = "专家反映第三项分数录入有误"
    last = _last_audit()
    at = _reopen_form(_staff("review-summary"), review["application_id"], review["assignment_id"], reason)
    assert not at.exception
    assert not _errors(at)
    after = reviews.review_of(review["assignment_id"])
    assert (after["status"], after["submitted_at"], after["reopened_reason"]) == ("draft", None, reason)
    assert [(a["table_name"], a["row_key"], a["action"]) for a in _audit_since(last)] == [
        ("reviews", str(review["id"]), "reopen_review")]
    from core.review import reviewers

    title = _db().scalar("SELECT title FROM applications WHERE id = ?", [review["application_id"]])
    assert f"已重新开放{reviewers.person(review['reviewer'])}对「{title}」的评分,请专家修改后重新提交" in _successes(at)


# ---- issue 12: nothing silently ignored, steps that ask first, the place kept -----------------------

def _waiting() -> list[int]:
    return [int(r["id"]) for r in _db().fetch_all(
        "SELECT id FROM applications WHERE round_id = ? AND state = 'eligible' ORDER BY id", [_current()])]


def test_eligible_applications_not_yet_sent_are_named_and_sent_on_confirmation(demo_db):
    from core.review import assignment

    waiting = _waiting()
    assert len(waiting) == 2  # the demo round: every application in review has its experts, two are 审查合格
    titles = [_db().scalar("SELECT title FROM applications WHERE id = ?", [i]) for i in waiting]
    at = _staff("review-assignment")
    shown = texts(at)
    assert "有 2 个项目已通过资格审查(审查合格),但还没有送专家评审:" in shown
    assert all(f"「{t}」" in shown for t in titles)
    # the plan button cannot do anything now: it is disabled and says why, beside it
    plan = at.button(key="assign:plan")
    assert plan.disabled
    why = assignment.nothing_to_plan(_current())
    assert "另有 2 个「审查合格」的项目尚未送专家评审" in why and why in [plain(c.value) for c in at.caption]
    send = at.button(key="assign:send")
    assert send.label == "全部送审(2 个)"
    events, last = _count("application_events"), _last_audit()
    send.click().run()
    (box,) = [plain(w.value) for w in at.warning if "请确认" in plain(w.value)]
    assert "把以上 2 个审查合格的项目转为「专家评审中」" in box and "送审后不能退回「审查合格」" in box
    assert [_state(i) for i in waiting] == ["eligible", "eligible"] and _count("application_events") == events
    at.button(key="assign:send:yes").click().run()
    assert not at.exception and not _errors(at)
    assert [_state(i) for i in waiting] == ["under_review", "under_review"]
    moved = _db().fetch_all("SELECT application_id, from_state, to_state, created_by FROM application_events"
                            " WHERE application_id IN (?, ?) AND to_state = 'under_review'", waiting)
    assert sorted((e["application_id"], e["from_state"], e["created_by"]) for e in moved) == \
        [(waiting[0], "eligible", "staff"), (waiting[1], "eligible", "staff")]
    assert [(a["table_name"], a["action"]) for a in _audit_since(last)] == [
        ("applications", "move"), ("application_events", "create")] * 2
    assert "已把 2 个项目送专家评审(状态:专家评审中);现在可以生成分配方案。" in _successes(at)
    assert "assign:send" not in [b.key for b in at.button]
    assert not at.button(key="assign:plan").disabled
    at.button(key="assign:plan").click().run()
    assert at.button(key="assign:confirm").label == "确认分配(10 个)"  # 2 projects x 5 experts


def test_cancelling_the_send_changes_nothing(demo_db):
    waiting = _waiting()
    at = _staff("review-assignment")
    at.button(key="assign:send").click().run()
    at.button(key="assign:send:no").click().run()
    assert not at.exception
    assert [_state(i) for i in waiting] == ["eligible", "eligible"]
    assert at.button(key="assign:send").label == "全部送审(2 个)"


def test_the_round_and_the_tab_come_from_the_url(demo_db):
    from core.intake import rounds

    older = rounds.all_rounds().iloc[1]
    at = signed_in("staff", ["staff"])
    at.query_params["round"] = older["name"]
    at.query_params["tab"] = "评审进度"
    open_page(at, "review-summary")
    assert not at.exception
    assert at.selectbox(key="round").value == int(older["id"])
    assert at.session_state["tab"] == "评审进度"


def test_mark_complete_says_how_many_and_stays_on_its_tab(demo_db):
    from core.review import consolidation

    rid = _current()
    ready = consolidation.ready_to_complete(rid)
    assert len(ready) == 2
    at = signed_in("staff", ["staff"])
    at.query_params["tab"] = "复评、调整与签字"
    open_page(at, "review-summary")
    button = at.button(key="summary:complete")
    assert button.label == "把评分已全部提交的项目标为「评审完成」(2 个)" and not button.disabled
    button.click().run()
    assert not at.exception
    assert "已把 2 个项目标为「评审完成」" in _successes(at)
    assert [_state(i) for i in ready] == ["reviewed", "reviewed"]
    assert at.session_state["tab"] == "复评、调整与签字"  # still where the user was
    # nothing left to complete: the button says why instead of doing nothing
    button = at.button(key="summary:complete")
    assert button.disabled and "(0 个)" in button.label
    assert "没有可标为「评审完成」的项目:仍在评审中的项目都还有专家未提交评分。" in [plain(c.value) for c in at.caption]


def test_sign_off_cancelled_locks_nothing(demo_db):
    rid = _current()
    _resolve_flags(rid)
    last = _last_audit()
    at = _as("admin", "admin", "review-summary")
    at.button(key="summary:lock").click().run()
    at.button(key="summary:lock:no").click().run()
    assert not at.exception
    assert _db().scalar("SELECT scores_locked_at FROM rounds WHERE id = ?", [rid]) is None
    assert _audit_since(last) == []
    assert at.button(key="summary:lock").label == "签字锁定评分"


def test_apply_recommendation_asks_first_once_signed_off(demo_db):
    from core.review import consolidation

    rid = _current()
    _resolve_flags(rid)
    consolidation.sign_off(rid, ADMIN)
    reviewed = [int(r["id"]) for r in _db().fetch_all(
        "SELECT id FROM applications WHERE round_id = ? AND state = 'reviewed'", [rid])]
    assert reviewed
    at = _staff("review-summary")
    at.button(key="summary:apply").click().run()
    (box,) = [plain(w.value) for w in at.warning if "请确认" in plain(w.value)]
    assert f"把 {len(reviewed)} 个「评审完成」的项目按推荐名单转为「推荐立项」" in box
    assert [_state(i) for i in reviewed] == ["reviewed"] * len(reviewed)
    at.button(key="summary:apply:yes").click().run()
    assert not at.exception and not _errors(at)
    assert {_state(i) for i in reviewed} <= {"recommended", "not_recommended"}
    assert any(s.startswith("已按推荐名单更新状态:推荐立项 ") for s in _successes(at)), _successes(at)


@pytest.mark.parametrize("url_path", list(SCREENS))
def test_every_picker_speaks_chinese_and_no_table_is_raw(demo_db, url_path):
    at = _staff(url_path)
    if url_path == "expert-panel":
        at.selectbox(key="expert").set_value("expert03").run()
    for box in at.selectbox:
        assert box.placeholder and "Choose" not in box.placeholder and "Select" not in box.placeholder, box.key
    for box in at.multiselect:
        assert box.placeholder and "Choose" not in box.placeholder, box.key
    for df in at.dataframe:
        if df.key and str(df.key).startswith("rubric"):
            continue
        cells = {str(v) for v in df.value.to_numpy().ravel().tolist()}
        assert not {"None", "nan", "NaN", "NaT", "<NA>"} & cells, url_path
    shown = texts(at)
    assert "None" not in shown and "nan" not in shown


def _one_action_screen():
    """A screen with one guarded action (``act(..., once=, where=)``) and one that is refused."""
    import streamlit as st

    from core.platform.errors import ValidationFailed
    from core.ui.session import act, settled, show_flash

    ran = st.session_state.setdefault("ran", [])

    def refuse():
        raise ValidationFailed(form=["请先选择项目"])

    @settled
    def screen():
        show_flash()
        show_flash("here")
        if st.button("执行", key="go"):
            act(lambda: ran.append(1) or len(ran), lambda n: f"已完成第 {n} 次", once=("go", 1), where="here")
        if st.button("拒绝", key="bad"):
            act(refuse, "不应显示", once=("bad", 1), where="here")

    screen()


def test_act_runs_an_impatient_double_click_once_and_keeps_its_note_at_its_place(monkeypatch):
    """core.ui.session.act is the one action helper: the other click of a double click (the same ``once``
    key again, here in a run of its own) does nothing twice and shows no refusal; the note stays at the
    place of the action on the following runs; a refusal is shown in Chinese and notes nothing."""
    from core.ui import session

    monkeypatch.setattr(session, "DOUBLE_CLICK_S", 600)  # the two clicks are "at once", whatever the machine's speed
    at = AppTest.from_function(_one_action_screen).run()
    at.button(key="go").click().run()
    at.button(key="go").click().run()
    assert at.session_state["ran"] == [1]
    assert _successes(at) == ["已完成第 1 次"] and not at.error
    at.run()  # a later run of the screen: the note is still where the action was (not a one-time flash)
    assert _successes(at) == ["已完成第 1 次"]
    at.button(key="bad").click().run()
    assert _errors(at) == "请先选择项目" and at.session_state["ran"] == [1]
