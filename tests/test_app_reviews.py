"""AppTest: 我的评审 (my-reviews), the reviewer's screen.

Reviewer isolation first (own tasks only, no other reviewer's assignment by any URL, query parameter,
widget state or page file; no other reviewer's scores; no contact phone), then the scoring flow of the
demo account ``expert`` in the current round: confirm no conflict, the live total, a bad score refused
with every value kept, the corrected submission stored with the weighted total and read-only after,
drafts, recusal, and the signed-off round."""
from __future__ import annotations

import math

import pytest
from streamlit.testing.v1 import AppTest

from core.platform.actor import Actor
from tests.apptest_helpers import (
    count as _count, db as _db, errors as _errors, open_page, plain, plain_texts as texts, signed_in, successes as _successes,
)

# the audit rows of the screen actions (signing a test user in writes its own session row)
OURS = "WHERE table_name <> 'user_sessions'"

ME = Actor("expert", ("reviewer",))
STAFF = Actor("staff", ("staff",))
ADMIN = Actor("admin", ("admin",))
SUBMIT = "提交评分"
DRAFT = "保存草稿"
NO_ACCESS = (["工作台"], ["无权访问"])  # a screen the role may not open: the workbench or the no-access notice


def _current() -> int:
    from core.intake import rounds

    return int(rounds.current()["id"])


def _crit() -> list[dict]:
    from core.intake import rubrics

    return rubrics.criteria(_current())


def _my_current() -> list[dict]:
    """The demo expert's tasks in the current round, with their review (if any)."""
    return _db().fetch_all(
        "SELECT s.id, s.application_id, s.status, s.no_conflict_at, v.status AS review, v.total FROM assignments s"
        " JOIN applications a ON a.id = s.application_id LEFT JOIN reviews v ON v.assignment_id = s.id"
        " WHERE s.reviewer = 'expert' AND a.round_id = ? ORDER BY s.id", [_current()])


def _task(kind: str) -> int:
    """'submitted', 'draft', or 'new' (not started, the no-conflict confirmation still to give)."""
    tasks = _my_current()
    if kind == "new":
        return next(t["id"] for t in tasks if t["review"] is None and t["no_conflict_at"] is None)
    return next(t["id"] for t in tasks if t["review"] == kind)


def _foreign() -> dict:
    """Another reviewer's submitted review (current round) on an application the demo expert does not have,
    whose title is none of the expert's own applications' titles."""
    mine = {r["title"] for r in _db().fetch_all(
        "SELECT a.title FROM assignments s JOIN applications a ON a.id = s.application_id WHERE s.reviewer = 'expert'")}
    rows = _db().fetch_all(
        "SELECT s.id AS assignment_id, s.reviewer, a.id AS application_id, a.title, a.summary, v.total FROM assignments s"
        " JOIN applications a ON a.id = s.application_id JOIN reviews v ON v.assignment_id = s.id"
        " WHERE a.round_id = ? AND s.reviewer <> 'expert' AND v.status = 'submitted' AND a.id NOT IN"
        " (SELECT application_id FROM assignments WHERE reviewer = 'expert') ORDER BY s.id", [_current()])
    return next(r for r in rows if r["title"] not in mine)


def _mine() -> AppTest:
    return open_page(signed_in("expert", ["reviewer"]).run(), "my-reviews")


def _open(task_id: int) -> AppTest:
    at = _mine()
    at.selectbox(key="task").set_value(task_id).run()
    assert not at.exception
    return at


def _confirmed(task_id: int) -> AppTest:
    at = _open(task_id)
    at.button(key=f"myrev:ok:{task_id}").click().run()
    assert not at.exception
    return at


def _k(task_id: int, name: str) -> str:
    return f"score:{task_id}::{name}"


def _btn(task_id: int, label: str) -> str:
    return f"score:{task_id}::__btn::{label}"


def _yes(task_id: int) -> str:
    """确认提交评分 in the confirmation box."""
    return f"score:{task_id}:submit:yes"


def _submit(at: AppTest, task_id: int) -> AppTest:
    """提交评分, then 确认提交评分 in the box it opens (the box must open)."""
    at.button(key=_btn(task_id, SUBMIT)).click().run()
    assert not at.exception
    assert _yes(task_id) in [b.key for b in at.button], _errors(at)
    return at.button(key=_yes(task_id)).click().run()


def _total(v) -> float | None:
    """A 加权总分 cell as shown ("82.40", or "—" for none)."""
    return None if v == "—" else float(v)


def _fill(at: AppTest, task_id: int, scores: dict[int, float], comments: dict[int, str] | None = None,
          recommendation: str | None = None) -> AppTest:
    for cid, value in scores.items():
        at.number_input(key=_k(task_id, f"score_{cid}")).set_value(value)
    for cid, value in (comments or {}).items():
        at.text_input(key=_k(task_id, f"comment_{cid}")).input(value)
    if recommendation is not None:
        at.selectbox(key=_k(task_id, "recommendation")).set_value(recommendation)
    return at


def _shown_values(at: AppTest) -> list:
    """Every cell of every table on the screen, the metrics, and all text."""
    cells = [v for df in at.dataframe for v in df.value.to_numpy().ravel().tolist()]
    return cells + [m.value for m in at.metric]


def _good_scores() -> dict[int, float]:
    """Whole points, every score at least 60% of its maximum (no comment needed)."""
    return {c["id"]: float(round(c["max_score"] * 0.8)) for c in _crit()}


# ---- isolation -----------------------------------------------------------------------------------

@pytest.mark.parametrize("username", ["expert", "expert05"])
def test_the_table_and_the_picker_list_only_the_reviewers_own_assignments(demo_db, username):
    from core.review import reviews

    own = reviews.my_assignments(username)
    at = open_page(signed_in(username, ["reviewer"]).run(), "my-reviews")
    assert not at.exception
    assert [t.value for t in at.title] == ["我的评审"]
    df = at.dataframe[0].value
    assert list(df["任务编号"]) == list(own["assignment_id"])
    assert list(df["项目名称"]) == list(own["title"])
    got = [_total(v) for v in df["加权总分"]]
    assert all(isinstance(v, str) and v not in ("None", "nan") for v in df["加权总分"])
    want = [None if v is None or (isinstance(v, float) and math.isnan(v)) else float(v) for v in own["total"]]
    assert got == want
    others = _count("assignments", "WHERE reviewer <> ?", [username])
    assert others > 0 and not set(df["任务编号"]) & {r["id"] for r in _db().fetch_all(
        "SELECT id FROM assignments WHERE reviewer <> ?", [username])}
    picker = at.selectbox(key="task")
    assert picker.value is None
    assert [int(o.split(" · ")[0]) for o in picker.options] == list(own["assignment_id"])


def test_the_picker_does_not_take_another_reviewers_assignment(demo_db):
    other = _foreign()
    at = _mine()
    with pytest.raises(ValueError):  # not among the options: AppTest cannot even send it
        at.selectbox(key="task").set_value(other["assignment_id"]).run()
    # a forged widget state is dropped by Streamlit: nothing of it shows
    at = signed_in("expert", ["reviewer"]).run()
    at.session_state["task"] = other["assignment_id"]
    open_page(at, "my-reviews")
    assert not at.exception
    shown = texts(at)
    assert other["title"] not in shown and other["summary"] not in shown
    assert len(at.dataframe) == 1  # the own task list only
    assert not [n for n in at.number_input]


def test_no_url_path_or_query_parameter_opens_another_reviewers_assignment(demo_db):
    from core import navigation

    other = _foreign()
    at = signed_in("expert", ["reviewer"]).run()
    for name in ("id", "assignment", "assignment_id", "task", "app", "application", "application_id", "chosen",
                 "myrev:chosen", "review"):
        at.query_params[name] = str(other["assignment_id"] if "assign" in name or name in ("task", "chosen", "myrev:chosen")
                                    else other["application_id"])
    titles = {}
    for spec in navigation.PAGES:
        open_page(at, spec.url_path)
        assert not at.exception, spec.url_path
        shown = texts(at)
        assert other["title"] not in shown, spec.url_path
        assert other["summary"] not in shown, spec.url_path
        assert f"{other['total']:.2f}" not in shown, spec.url_path
        assert not [n for n in at.number_input], spec.url_path
        titles[spec.url_path] = [t.value for t in at.title]
    assert titles["my-reviews"] == ["我的评审"]
    for spec in navigation.PAGES:  # a screen the reviewer may not open gives a no-access notice
        if "reviewer" not in spec.roles:
            assert titles[spec.url_path] == ["无权访问"], spec.url_path


@pytest.mark.parametrize("page", ["pages/reviews.py", "pages/review_admin.py", "pages/applications.py"])
def test_switch_page_to_a_pages_file_raises(demo_db, page):
    at = signed_in("expert", ["reviewer"]).run()
    with pytest.raises(ValueError):
        at.switch_page(page)


@pytest.mark.parametrize("url_path", ["application", "review-summary", "review-assignment", "expert-panel"])
def test_staff_url_paths_give_the_reviewer_the_workbench(demo_db, url_path):
    other = _foreign()
    at = signed_in("expert", ["reviewer"]).run()
    at.query_params["id"] = str(other["application_id"])
    open_page(at, url_path)
    assert not at.exception
    assert [t.value for t in at.title] in NO_ACCESS
    assert len(at.dataframe) == 0
    assert other["title"] not in texts(at)
    assert not at.tabs and not at.get("download_button")


def test_core_refuses_another_reviewers_assignment(demo_db):
    from core.platform.errors import PermissionDenied
    from core.review import assignment, reviews

    other = _foreign()
    reviews_before, audit_before = _count("reviews"), _count("audit_log", OURS)
    with pytest.raises(PermissionDenied, match="这不是分配给您的评审任务"):
        reviews.application_for_reviewer(other["assignment_id"], ME)
    with pytest.raises(PermissionDenied):
        reviews.save(other["assignment_id"], {}, ME)
    with pytest.raises(PermissionDenied):
        assignment.confirm_no_conflict(other["assignment_id"], ME)
    with pytest.raises(PermissionDenied):
        assignment.recuse(other["assignment_id"], "想看看别人的项目", ME)
    assert _count("reviews") == reviews_before
    assert _count("audit_log", OURS) == audit_before


def test_no_other_reviewers_total_is_shown_on_the_own_tasks(demo_db):
    tasks = _my_current()
    assert sorted(t["review"] or "none" for t in tasks) == ["draft", "none", "submitted", "submitted"]
    for t in tasks:
        own = t["total"]
        theirs = {float(r["total"]) for r in _db().fetch_all(
            "SELECT total FROM reviews WHERE application_id = ? AND reviewer <> 'expert' AND total IS NOT NULL",
            [t["application_id"]])} - ({float(own)} if own is not None else set())
        assert theirs, t
        at = _open(t["id"])
        if t["no_conflict_at"] is None:  # the application is shown before the confirmation too
            at.button(key=f"myrev:ok:{t['id']}").click().run()
        shown = texts(at)
        detail = [v for df in at.dataframe[1:] for v in df.value.to_numpy().ravel().tolist()] + \
                 [m.value for m in at.metric]
        for total in theirs:
            assert f"{total:.2f}" not in shown, (t, total)
            assert f"{total:g}" not in [str(v) for v in detail], (t, total)
            assert total not in [v for v in detail if isinstance(v, (int, float))], (t, total)
        # the task table still holds only the reviewer's own totals
        df = at.dataframe[0].value
        row = df[df["任务编号"] == t["id"]].iloc[0]
        assert _total(row["加权总分"]) == (None if own is None else float(own))


def test_the_contact_phones_are_never_shown(demo_db):
    task_id = _task("new")
    app_id = next(t["application_id"] for t in _my_current() if t["id"] == task_id)
    idea = _db().fetch_one("SELECT id, contact_phone FROM ideas WHERE contact_phone IS NOT NULL ORDER BY id LIMIT 1")
    # link an idea with a contact phone to the expert's application (as 金点子 adoption does)
    with _db().transaction() as tx:
        tx.execute("UPDATE applications SET idea_id = ? WHERE id = ?", [idea["id"], app_id])
        tx.execute("UPDATE ideas SET application_id = ? WHERE id = ?", [app_id, idea["id"]])
        tx.touch("applications", "ideas")
    org_phone = _db().scalar("SELECT o.contact_phone FROM organisations o JOIN applications a ON a.org_id = o.id"
                             " WHERE a.id = ?", [app_id])
    at = _open(task_id)
    phones = [p for p in (idea["contact_phone"], org_phone) if p]
    for phone in phones:
        assert phone not in texts(at)
    at.button(key=f"myrev:ok:{task_id}").click().run()
    shown, cells = texts(at), [str(v) for v in _shown_values(at)]
    for phone in phones:
        assert phone not in shown and phone not in cells
    # an open (not blind) past round shows the organisation's name, never its phone
    past = _db().fetch_one(
        "SELECT s.id, o.name, o.contact_phone FROM assignments s JOIN applications a ON a.id = s.application_id"
        " JOIN rounds r ON r.id = a.round_id JOIN organisations o ON o.id = a.org_id"
        " WHERE s.reviewer = 'expert' AND NOT r.blind_review AND o.contact_phone IS NOT NULL ORDER BY s.id LIMIT 1")
    at.selectbox(key="task").set_value(past["id"]).run()
    assert not at.exception
    assert past["name"] in texts(at)
    assert past["contact_phone"] not in texts(at)
    assert past["contact_phone"] not in [str(v) for v in _shown_values(at)]


def _blind_task() -> tuple[AppTest, str]:
    task_id = _task("submitted")
    org = _db().scalar("SELECT o.name FROM assignments s JOIN applications a ON a.id = s.application_id"
                       " JOIN organisations o ON o.id = a.org_id WHERE s.id = ?", [task_id])
    return _open(task_id), org


def test_a_blind_round_hides_the_organisation_field(demo_db):
    at, org = _blind_task()
    (caption,) = [plain(c.value) for c in at.caption if plain(c.value).startswith("申报组织:")]
    assert caption.startswith("申报组织:(盲评:申报组织信息已隐藏) · 项目类别:")
    assert org not in caption


def test_a_blind_round_shows_the_organisation_nowhere(demo_db):
    at, org = _blind_task()
    assert org not in texts(at)


def test_every_blind_task_shows_its_reviewer_title_and_no_name_of_the_organisation(demo_db):
    """Every task of the demo expert in a blind round, as 我的评审 draws it: the task table's row, the task
    picker's label, and the opened task (all text, every table cell) name the project by its 评审用名称 and
    never the organisation (name, short forms, brands, people: tests/test_blind_review.py)."""
    from core.intake import applications
    from tests.test_blind_review import _forbidden, leaks

    blind = _db().fetch_all(
        "SELECT s.id, a.id AS app_id, a.org_id FROM assignments s JOIN applications a ON a.id = s.application_id"
        " JOIN rounds r ON r.id = a.round_id WHERE s.reviewer = 'expert' AND r.blind_review ORDER BY s.id")
    assert len(blind) >= 10
    at = _mine()
    table = at.dataframe[0].value.set_index("任务编号")
    picker = at.selectbox(key="task")
    labels = dict(zip(picker.options, picker.options))
    for t in blind:
        title, names = applications.reviewer_title(t["app_id"]), _forbidden(_db(), t["org_id"])
        assert table.loc[t["id"], "项目名称"] == title
        assert leaks(table.loc[t["id"]].tolist(), names) == []
        assert f"{t['id']} · {title}" in labels
        picker.set_value(t["id"]).run()
        assert not at.exception
        shown = [plain(texts(at))] + [v for df in at.dataframe[1:] for v in df.value.to_numpy().ravel().tolist()]
        assert title in shown[0], t
        assert leaks(shown, names) == [], t


# ---- the scoring flow ----------------------------------------------------------------------------

def test_the_task_before_the_no_conflict_confirmation(demo_db):
    task_id = _task("new")
    at = _open(task_id)
    assert "开始评分前,请确认您与申报组织不存在利益冲突" in texts(at)
    assert at.button(key=f"myrev:ok:{task_id}").label == "确认无利益冲突"
    assert at.button(key=f"myrev:recuse:{task_id}").label == "申报回避"
    assert not [n for n in at.number_input]  # no scoring form yet


def test_confirming_no_conflict_opens_the_scoring_form(demo_db):
    task_id = _task("new")
    last = _db().scalar("SELECT max(id) FROM audit_log")
    at = _confirmed(task_id)
    row = _db().fetch_one("SELECT * FROM assignments WHERE id = ?", [task_id])
    assert row["no_conflict_at"] is not None and row["status"] == "assigned"
    audit = _db().fetch_all("SELECT actor, table_name, row_key, action FROM audit_log WHERE id > ?"
                           " AND table_name <> 'user_sessions' ORDER BY id",
                            [last])
    assert [(a["actor"], a["table_name"], a["row_key"], a["action"]) for a in audit] == [
        ("expert", "assignments", str(task_id), "declare_no_conflict")]
    crit = _crit()
    assert [n.key for n in at.number_input] == [_k(task_id, f"score_{c['id']}") for c in crit]
    assert [n.label for n in at.number_input] == [f"{c['name']}(满分{c['max_score']:g})" for c in crit]
    assert {t.key for t in at.text_input} == {_k(task_id, f"comment_{c['id']}") for c in crit}
    assert at.selectbox(key=_k(task_id, "recommendation")).value is None
    assert at.button(key=_btn(task_id, SUBMIT)).label == SUBMIT
    assert at.button(key=_btn(task_id, DRAFT)).label == DRAFT
    assert [(m.label, m.value) for m in at.metric] == [("加权总分(百分制)", "—")]
    assert f"myrev:ok:{task_id}" not in [b.key for b in at.button]


def test_the_live_total_is_the_weighted_total_of_the_entered_scores(demo_db):
    from core.intake import rubrics

    task_id = _task("new")
    crit = _crit()
    at = _confirmed(task_id)
    part = {crit[0]["id"]: 15.0, crit[1]["id"]: 20.0}
    _fill(at, task_id, part).run()
    assert at.metric[0].value == "—"  # not every criterion scored yet
    scores = {c["id"]: float(s) for c, s in zip(crit, (15, 20, 13, 9, 8, 6))}
    _fill(at, task_id, scores).run()
    assert not at.exception
    expected = rubrics.weighted_total(scores, crit)
    assert expected is not None
    assert at.metric[0].value == f"{expected:.2f}"
    assert "已填写 6/6 项" in at.metric[0].help
    assert _count("reviews", "WHERE assignment_id = ?", [task_id]) == 0  # typing stores nothing


def test_a_bad_score_is_refused_then_the_corrected_review_is_submitted(demo_db):
    from core.intake import rubrics
    from core.review import reviews

    task_id = _task("new")
    crit = _crit()
    at = _confirmed(task_id)
    counts = {t: _count(t) for t in ("reviews", "review_scores", "audit_log")}
    first, low = crit[0], crit[2]  # 需求分析 (max 20), 执行能力 (max 20)
    scores = {c["id"]: float(round(c["max_score"] * 0.8)) for c in crit}
    scores[first["id"]] = first["max_score"] + 5  # above the maximum
    scores[low["id"]] = float(math.floor(low["max_score"] * 0.5))  # below 60%: needs a comment
    comments = {crit[1]["id"]: "设计清楚"}
    _fill(at, task_id, scores, comments, "可推荐")
    at.button(key=_btn(task_id, SUBMIT)).click().run()
    assert not at.exception
    errors = _errors(at)
    assert "未保存:请按提示修改后重新提交。" in errors
    assert f"{first['name']}(满分{first['max_score']:g})应在0到{first['max_score']:g}之间" in errors
    assert f"「{low['name']}」得分低于满分的60%,请填写评语" in errors
    assert {t: _count(t) for t in counts} == counts
    assert reviews.review_of(task_id) is None
    for cid, value in scores.items():  # everything typed is still there
        assert at.number_input(key=_k(task_id, f"score_{cid}")).value == value
    assert at.text_input(key=_k(task_id, f"comment_{crit[1]['id']}")).value == "设计清楚"
    assert at.selectbox(key=_k(task_id, "recommendation")).value == "可推荐"

    # the bound corrected, but the low score still has no comment: refused again
    scores[first["id"]] = first["max_score"] - 2
    _fill(at, task_id, {first["id"]: scores[first["id"]]})
    at.button(key=_btn(task_id, SUBMIT)).click().run()
    errors = _errors(at)
    assert "应在0到" not in errors
    assert f"「{low['name']}」得分低于满分的60%,请填写评语" in errors
    assert {t: _count(t) for t in counts} == counts

    # with the comment it is accepted: the box asks first, and nothing is stored before 确认
    _fill(at, task_id, {}, {low["id"]: "团队缺少同类项目经验"})
    at.button(key=_btn(task_id, SUBMIT)).click().run()
    assert not at.exception and not _errors(at)
    assert reviews.review_of(task_id) is None
    assert {t: _count(t) for t in counts} == counts
    at.button(key=_yes(task_id)).click().run()
    assert not at.exception
    assert not _errors(at)
    review = reviews.review_of(task_id)
    expected = rubrics.weighted_total(scores, crit)
    assert review["status"] == "submitted" and review["submitted_at"] is not None
    assert review["reviewer"] == "expert" and review["recommendation"] == "可推荐"
    assert review["total"] == expected
    stored = {r["criterion_id"]: r for r in _db().fetch_all(
        "SELECT criterion_id, score, comment FROM review_scores WHERE review_id = ?", [review["id"]])}
    assert {cid: r["score"] for cid, r in stored.items()} == scores
    assert stored[low["id"]]["comment"] == "团队缺少同类项目经验"
    assert stored[crit[1]["id"]]["comment"] == "设计清楚"
    assert _count("reviews") == counts["reviews"] + 1
    assert _count("review_scores") == counts["review_scores"] + len(crit)
    actions = [r["action"] for r in _db().fetch_all(
        "SELECT action FROM audit_log WHERE table_name = 'reviews' AND row_key = ?", [str(review["id"])])]
    assert actions == ["submit_review"]
    # read-only from now on: the total and the scores, no form
    assert any(f"加权总分 {expected:.2f}" in s and "推荐意见:可推荐" in s for s in _successes(at))
    assert not [n for n in at.number_input]
    assert _btn(task_id, SUBMIT) not in [b.key for b in at.button]
    table = at.dataframe[-1].value
    assert list(table["得分"]) == [f"{scores[c['id']]:g}" for c in crit]  # "16", never "16.0"
    # and the task list says so
    row = at.dataframe[0].value.set_index("任务编号").loc[task_id]
    assert row["状态"] == "已提交" and row["加权总分"] == f"{expected:.2f}"


def test_save_a_draft_with_partial_scores(demo_db):
    from core.review import reviews

    task_id = _task("new")
    crit = _crit()
    at = _confirmed(task_id)
    part = {crit[0]["id"]: 14.0, crit[3]["id"]: 11.0}
    _fill(at, task_id, part, {crit[0]["id"]: "需求调研扎实"})
    at.button(key=_btn(task_id, DRAFT)).click().run()
    assert not at.exception
    assert not _errors(at)
    assert "草稿已保存" in _successes(at)
    review = reviews.review_of(task_id)
    assert review["status"] == "draft"
    assert review["submitted_at"] is None and review["total"] is None
    values = reviews.form_values(task_id)
    assert {cid: values[f"score_{cid}"] for cid in part} == part
    assert all(values[f"score_{c['id']}"] is None for c in crit if c["id"] not in part)
    assert values[f"comment_{crit[0]['id']}"] == "需求调研扎实"
    # the form is still there, with what was typed
    assert at.number_input(key=_k(task_id, f"score_{crit[0]['id']}")).value == 14.0
    # a new session shows the stored draft
    at = _open(task_id)
    assert at.number_input(key=_k(task_id, f"score_{crit[3]['id']}")).value == 11.0
    assert at.number_input(key=_k(task_id, f"score_{crit[1]['id']}")).value is None
    assert at.dataframe[0].value.set_index("任务编号").loc[task_id, "状态"] == "草稿"


def test_an_existing_draft_opens_with_its_stored_values(demo_db):
    from core.review import reviews

    task_id = _task("draft")
    stored = reviews.form_values(task_id)
    at = _open(task_id)
    for c in _crit():
        assert at.number_input(key=_k(task_id, f"score_{c['id']}")).value == stored.get(f"score_{c['id']}")


def test_a_submitted_task_is_read_only(demo_db):
    from core.review import reviews

    task_id = _task("submitted")
    review = reviews.review_of(task_id)
    at = _open(task_id)
    assert any(f"加权总分 {review['total']:.2f}" in s for s in _successes(at))
    assert not [n for n in at.number_input]
    assert not [b for b in at.button if b.key and b.key.startswith(f"score:{task_id}")]


def test_a_review_reopened_by_staff_is_editable_without_the_old_success_message(demo_db):
    from core.review import reviews

    task_id = _task("new")
    at = _confirmed(task_id)
    _fill(at, task_id, _good_scores(), recommendation="推荐")
    _submit(at, task_id)
    review = reviews.review_of(task_id)
    assert review["status"] == "submitted"
    reviews.reopen(review["id"], "评分项填写有误,请更正", STAFF)
    at.run()  # the reviewer's next rerun
    assert not at.exception
    assert "工作人员已重新开放本评分:评分项填写有误,请更正" in texts(at)
    assert not [s for s in _successes(at) if "已提交" in s]  # no stale "submitted" message on the open form
    assert at.number_input(key=_k(task_id, f"score_{_crit()[0]['id']}")).value == _good_scores()[_crit()[0]["id"]]


def test_declaring_a_conflict_without_a_reason_is_refused(demo_db):
    task_id = _task("new")
    before = _db().fetch_one("SELECT * FROM assignments WHERE id = ?", [task_id])
    audit_before = _count("audit_log", OURS)
    at = _open(task_id)
    at.button(key=f"myrev:recuse:{task_id}").click().run()  # asks first
    assert any("回避后您不能再为该项目评分" in plain(w.value) for w in at.warning)
    at.button(key=f"myrev:recuse:{task_id}:yes").click().run()
    assert not at.exception
    assert "请说明利益冲突的情况" in _errors(at)
    assert _db().fetch_one("SELECT * FROM assignments WHERE id = ?", [task_id]) == before
    assert _count("audit_log", OURS) == audit_before


def test_declaring_a_conflict_recuses_the_task(demo_db):
    task_id = _task("new")
    reason = "曾担任该组织顾问"
    at = _open(task_id)
    at.text_input(key=f"myrev:why:{task_id}").input(reason)
    at.button(key=f"myrev:recuse:{task_id}").click().run()
    assert _db().fetch_one("SELECT status FROM assignments WHERE id = ?", [task_id])["status"] == "assigned"
    at.button(key=f"myrev:recuse:{task_id}:yes").click().run()
    assert not at.exception
    row = _db().fetch_one("SELECT * FROM assignments WHERE id = ?", [task_id])
    assert row["status"] == "recused" and row["recused_reason"] == reason
    audit = _db().fetch_all("SELECT actor, action, after_json FROM audit_log WHERE table_name = 'assignments'"
                            " AND row_key = ? ORDER BY id", [str(task_id)])
    assert audit[-1]["action"] == "recuse" and audit[-1]["actor"] == "expert"
    assert reason in audit[-1]["after_json"]
    assert f"您已申报利益冲突并回避:{reason}" in texts(at)
    assert not [n for n in at.number_input]
    assert at.dataframe[0].value.set_index("任务编号").loc[task_id, "状态"] == "已回避"


def _sign_off() -> None:
    """The admin signs the current round's scores off, after resolving its open 分差 flags with a reason."""
    from core.review import consolidation

    for f in consolidation.open_flags(_current()).to_dict("records"):
        consolidation.resolve_flag(int(f["id"]), {"reason": "专家会商后维持原评分"}, ADMIN)
    consolidation.sign_off(_current(), ADMIN)


def test_a_signed_off_round_refuses_the_reviewers_save(demo_db):
    from core.review import reviews

    task_id = _task("draft")
    before = reviews.review_of(task_id)
    at = _open(task_id)
    _sign_off()
    audit_before = _count("audit_log", OURS)
    at.number_input(key=_k(task_id, f"score_{_crit()[0]['id']}")).set_value(12.0)
    at.button(key=_btn(task_id, DRAFT)).click().run()
    assert not at.exception
    assert "本批次评分已签字锁定,不能再修改" in _errors(at)
    assert reviews.review_of(task_id) == before
    assert _count("audit_log", OURS) == audit_before
    assert at.number_input(key=_k(task_id, f"score_{_crit()[0]['id']}")).value == 12.0


# ---- issue 12: integer inputs, the confirmation, what the screen says -----------------------------

def test_a_whole_point_round_has_integer_score_inputs_filled_with_whole_numbers(demo_db):
    from core.intake import rounds
    from core.review import reviews

    assert not rounds.get(_current())["half_points"]  # the demo round says 请打整数分
    task_id = _task("draft")
    stored = reviews.form_values(task_id)
    at = _open(task_id)
    assert "请打整数分。" in texts(at)
    for c in _crit():
        box = at.number_input(key=_k(task_id, f"score_{c['id']}"))
        assert box.step == 1 and box.proto.format == "%d", c["name"]  # shown as "16", never "16.00"
        value = stored.get(f"score_{c['id']}")
        assert box.value == value
        assert value is None or type(value) is int, (c["name"], value)


def test_the_submit_button_is_short_and_the_warning_is_text_beside_it(demo_db):
    task_id = _task("new")
    at = _confirmed(task_id)
    assert at.button(key=_btn(task_id, SUBMIT)).label == "提交评分"
    assert "「提交评分」前会请您确认;提交后不能再修改,如需更正须请工作人员重新开放。" in texts(at)


def test_submit_asks_first_then_cancel_gives_the_form_back_with_every_value(demo_db):
    from core.review import reviews

    task_id = _task("new")
    crit = _crit()
    at = _confirmed(task_id)
    scores = _good_scores()
    _fill(at, task_id, scores, {crit[0]["id"]: "需求调研扎实"}, "推荐")
    counts = {t: _count(t) for t in ("reviews", "review_scores", "audit_log")}
    at.button(key=_btn(task_id, SUBMIT)).click().run()
    assert not at.exception and not _errors(at)
    # the box says what cannot be undone; the form is replaced by what will be submitted
    (box,) = [plain(w.value) for w in at.warning if "请确认" in plain(w.value)]
    from core.intake import applications, rubrics

    app_id = _db().scalar("SELECT application_id FROM assignments WHERE id = ?", [task_id])
    title = applications.reviewer_title(app_id)  # the current round is blind: the 评审用名称
    assert title != applications.get(app_id)["title"]

    total = f"{rubrics.weighted_total(scores, crit):.2f}"
    assert f"提交对「{title}」的评分:加权总分 {total},总体推荐意见:推荐。提交后您不能再修改" in box
    assert "此操作不可撤销" in box
    assert at.button(key=_yes(task_id)).label == "确认提交评分"
    assert not [n for n in at.number_input]
    pending = at.dataframe[-1].value
    assert list(pending["得分"]) == [f"{scores[c['id']]:g}" for c in crit]
    assert list(pending["评语"])[0] == "需求调研扎实"
    assert {t: _count(t) for t in counts} == counts and reviews.review_of(task_id) is None
    # 取消: the form again, with everything typed
    at.button(key=f"score:{task_id}:submit:no").click().run()
    assert not at.exception
    for cid, value in scores.items():
        assert at.number_input(key=_k(task_id, f"score_{cid}")).value == value
    assert at.text_input(key=_k(task_id, f"comment_{crit[0]['id']}")).value == "需求调研扎实"
    assert at.selectbox(key=_k(task_id, "recommendation")).value == "推荐"
    assert {t: _count(t) for t in counts} == counts
    # and submitted on 确认, once
    _submit(at, task_id)
    assert not _errors(at)
    assert reviews.review_of(task_id)["status"] == "submitted"
    assert _count("reviews") == counts["reviews"] + 1
    review_id = reviews.review_of(task_id)["id"]
    assert _count("audit_log", "WHERE table_name = 'reviews' AND row_key = ? AND action = 'submit_review'",
                  [str(review_id)]) == 1


def test_a_refused_submission_opens_no_confirmation(demo_db):
    task_id = _task("new")
    at = _confirmed(task_id)
    _fill(at, task_id, {c["id"]: 1.0 for c in _crit()}, recommendation="推荐")  # low scores without comments
    at.button(key=_btn(task_id, SUBMIT)).click().run()
    assert "未保存:请按提示修改后重新提交。" in _errors(at)
    assert _yes(task_id) not in [b.key for b in at.button]
    assert [n for n in at.number_input]  # the form stays


def test_a_sign_off_between_asking_and_confirming_refuses_and_keeps_the_values(demo_db):
    from core.review import reviews

    task_id = _task("new")
    at = _confirmed(task_id)
    scores = _good_scores()
    _fill(at, task_id, scores, recommendation="可推荐")
    at.button(key=_btn(task_id, SUBMIT)).click().run()
    _sign_off()
    audit_before = _count("audit_log", OURS)
    at.button(key=_yes(task_id)).click().run()
    assert not at.exception
    assert "本批次评分已签字锁定,不能再修改" in _errors(at)
    assert reviews.review_of(task_id) is None and _count("audit_log", OURS) == audit_before
    at.run()  # the next rerun: the form, with what was typed
    for cid, value in scores.items():
        assert at.number_input(key=_k(task_id, f"score_{cid}")).value == value


def test_no_raw_none_nan_or_float_money_on_the_reviewers_screen(demo_db):
    task_id = _task("new")
    at = _confirmed(task_id)
    cells = [v for df in at.dataframe for v in df.value.to_numpy().ravel().tolist()]
    assert all(isinstance(v, (str, int)) for v in cells), [v for v in cells if not isinstance(v, (str, int))][:5]
    assert not {"None", "nan", "NaT", "NaN"} & {str(v) for v in cells}
    budget = at.dataframe[1].value
    amount = _db().scalar("SELECT a.requested_amount FROM assignments s JOIN applications a ON a.id = s.application_id"
                          " WHERE s.id = ?", [task_id])
    assert budget.set_index("预算科目").loc["合计(申请金额)", "金额(元)"] == f"{float(amount):,.0f}"  # "54,700"
    assert "None" not in texts(at) and "nan" not in texts(at)
    assert at.metric[0].value == "—"


def test_no_page_imports_another_page():
    """Screens share helpers through core.ui, never through another page (pages/reviews.py took the
    double-click guard from pages/review_admin.py)."""
    import ast
    import pathlib

    root = pathlib.Path(__file__).resolve().parents[1]
    found = []
    for path in sorted((root / "pages").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            found += [f"{path.name}: {n}" for n in names if n == "pages" or n.startswith("pages.")]
    assert found == []
