"""Issue 17: an expert's scoring runs a constant number of SQL statements, whatever the rubric's size.

The statements are counted where every one of them passes: the cursors of the Database's one DuckDB
connection (reads, the write transaction, BEGIN/COMMIT, the audit append). For a rubric of 3 criteria and
one of 12, the same steps must run the same number of statements: drawing the reviewer's scoring screen
for one task (AppTest), checking a submission, saving a draft (new and again), submitting. What is
stored (scores, total, audit rows) is asserted too, so a batched write that loses a row fails here."""
from __future__ import annotations

import datetime as dt
import json


from bench.screens import recording as statements  # every statement on the connection's cursors
from core.intake import rubrics
from core.platform import audit
from core.review import assignment, reviews
from tests.apptest_helpers import open_page, signed_in
from tests.test_reviews import expert
from tests.test_rounds import (  # noqa: F401  (hub is a fixture)
    STAFF, audit_rows, hub, last_audit_id, make_app, make_org, make_round, walk,
)

# two rubrics of 100 points: 3 criteria and 12
SMALL = [40, 30, 30]
LARGE = [10] * 8 + [5] * 4


def _window() -> dict:
    """A round calendar whose review window holds today (the screen submits with today's date)."""
    today = dt.date.today()
    at = lambda days: today + dt.timedelta(days=days)  # noqa: E731
    return {"year": today.year, "ideas_start": at(-60), "ideas_end": at(-55), "apply_start": at(-50),
            "apply_end": at(-40), "screening_end": at(-30), "review_start": at(-20), "review_end": at(20),
            "notice_start": at(25), "notice_end": at(31), "project_start": at(40), "project_end": at(300)}


def _round(maxima: list[int], serial: int) -> dict:
    """A round in review (today inside its review window) with a rubric of ``maxima``, one application and
    its reviewer, who has declared no conflict."""
    rid = make_round(name=f"第{serial}批测试创投", **_window())
    rubrics.set_rubric(rid, [{"name": f"评分项{i + 1}", "max_score": float(m), "weight": float(m)}
                             for i, m in enumerate(maxima)], STAFF)
    org, at = make_org(serial), _window()["project_start"]
    app_id = make_app(rid, org, submit=True, title=f"测试项目第{serial}号", stones=[
        {"due_date": at + dt.timedelta(days=90), "deliverable": "中期自评报告"},
        {"due_date": at + dt.timedelta(days=200), "deliverable": "结项报告"}])
    walk(app_id, "screening", "eligible", "under_review")
    who = expert(f"expert_{serial:02d}")
    task = assignment.assign(app_id, who.username, STAFF)
    assignment.confirm_no_conflict(task, who)
    return {"round": rid, "task": task, "who": who, "crit": rubrics.criteria(rid)}


def _values(crit: list[dict], share: float, recommendation: str | None = "推荐") -> dict:
    """Whole points at ``share`` of each maximum, a comment on each criterion naming the share."""
    values: dict = {"recommendation": recommendation}
    for c in crit:
        values[f"score_{c['id']}"] = float(round(c["max_score"] * share))
        values[f"comment_{c['id']}"] = f"{c['name']}评语{share}"
    return values


def _stored(db, task: int) -> tuple[dict, dict]:
    """(the review, {criterion id: (score, comment)}) as stored for ``task``."""
    review = db.fetch_one("SELECT * FROM reviews WHERE assignment_id = ?", [task])
    scores = db.fetch_all("SELECT criterion_id, score, comment FROM review_scores WHERE review_id = ?", [review["id"]])
    return review, {r["criterion_id"]: (r["score"], r["comment"]) for r in scores}


def _expected(crit: list[dict], values: dict) -> dict:
    return {c["id"]: (values[f"score_{c['id']}"], values[f"comment_{c['id']}"]) for c in crit}


def _audited(db, after: int) -> list[tuple]:
    return [(r["actor"], r["table_name"], r["action"]) for r in audit_rows(db, after)]


def _core_steps(db, s: dict) -> dict[str, int]:
    """Draft (new), draft again (every score changed), a draft changing one comment, the submission check,
    the submission: the statements of each, with what each stored asserted."""
    crit, task, who = s["crit"], s["task"], s["who"]
    n, user = len(crit), who.username
    counts = {}
    steps = [("draft_new", _values(crit, 0.7), False), ("draft_again", _values(crit, 0.8), False)]
    one = _values(crit, 0.8)
    one[f"comment_{crit[-1]['id']}"] = "只改了这一条评语"
    steps.append(("draft_one_change", one, False))
    for name, values, submit in steps + [("submit", _values(crit, 0.9, "可推荐"), True)]:
        if submit:
            with statements(db) as log:
                assert reviews.check_submission(task, values, who) is not None
            counts["check_submission"] = len(log)
        before, was = last_audit_id(db), db.fetch_all("SELECT id, updated_at FROM review_scores ORDER BY id")
        with statements(db) as log:
            total = reviews.save(task, values, who, submit=submit)
        counts[name] = len(log)
        review, scores = _stored(db, task)
        assert scores == _expected(crit, values), name
        assert review["total"] == total == rubrics.weighted_total(
            {c["id"]: values[f"score_{c['id']}"] for c in crit}, crit), name
        assert review["status"] == ("submitted" if submit else "draft")
        assert review["recommendation"] == values["recommendation"]
        # the review's row when it changed (not for one comment), then one row per changed score
        head = [] if name == "draft_one_change" else [
            (user, "reviews", "submit_review" if submit else ("create" if name == "draft_new" else "update"))]
        changed = {"draft_new": ("create", n), "draft_one_change": ("update", 1)}.get(name, ("update", n))
        assert _audited(db, before) == head + [(user, "review_scores", changed[0])] * changed[1], name
        # each score's audit row holds the row as it was and as it is now
        logged = db.fetch_all("SELECT before_json, after_json FROM audit_log WHERE id > ? AND table_name = 'review_scores'"
                              " ORDER BY id", [before])
        stored_rows = {r["id"]: (r["score"], r["comment"]) for r in db.fetch_all("SELECT * FROM review_scores")}
        for entry in logged:
            after = json.loads(entry["after_json"])
            assert (after["score"], after["comment"]) == stored_rows[after["id"]]
            if entry["before_json"] is not None:
                assert json.loads(entry["before_json"])["id"] == after["id"]
                assert json.loads(entry["before_json"])["comment"] != after["comment"]
        if name == "draft_one_change":  # the unchanged scores are neither written nor stamped
            now = {r["id"]: r["updated_at"] for r in db.fetch_all("SELECT id, updated_at FROM review_scores")}
            assert sum(now[r["id"]] != r["updated_at"] for r in was if r["id"] in now) == 1
    assert audit.verify(db).ok
    return counts


def test_saving_and_submitting_run_as_many_statements_for_12_criteria_as_for_3(hub):
    """The core calls of the scoring form: the same statements for a rubric of 3 and one of 12, every
    score stored, the total, one audit row per changed score."""
    small, large = _round(SMALL, 1), _round(LARGE, 2)
    assert (len(small["crit"]), len(large["crit"])) == (3, 12)
    three, twelve = _core_steps(hub, small), _core_steps(hub, large)
    print("statements (3 criteria / 12 criteria):", {k: (three[k], twelve[k]) for k in three})
    assert twelve == three


def _screen(db, s: dict) -> dict[str, int]:
    """我的评审 with the task open, as the reviewer uses it: draw it, save a draft, ask to submit (the
    confirmation box), confirm. The statements of each run, with what it stored asserted."""
    crit, task = s["crit"], s["task"]
    key = f"score:{task}"
    at = open_page(signed_in(s["who"].username, ["reviewer"]).run(), "my-reviews")
    at.selectbox(key="task").set_value(task).run()
    assert not at.exception
    assert [x.key for x in at.number_input] == [f"{key}::score_{c['id']}" for c in crit]
    counts = {}

    def run(name: str, step) -> None:
        with statements(db) as log:
            step()
        assert not at.exception, name
        assert not at.error, [e.value for e in at.error]
        counts[name] = len(log)

    values = _values(crit, 0.7)
    for c in crit:
        at.number_input(key=f"{key}::score_{c['id']}").set_value(values[f"score_{c['id']}"])
        at.text_input(key=f"{key}::comment_{c['id']}").input(values[f"comment_{c['id']}"])
    at.selectbox(key=f"{key}::recommendation").set_value("推荐")
    run("draft", at.button(key=f"{key}::__btn::保存草稿").click().run)
    assert _stored(db, task)[1] == _expected(crit, values)
    run("draw_with_draft", at.run)
    assert [x.value for x in at.number_input] == [values[f"score_{c['id']}"] for c in crit]
    run("submit_asks", at.button(key=f"{key}::__btn::提交评分").click().run)
    assert f"{key}:submit:yes" in [b.key for b in at.button]
    assert _stored(db, task)[0]["status"] == "draft"
    run("submit_confirmed", at.button(key=f"{key}:submit:yes").click().run)
    review, scores = _stored(db, task)
    assert review["status"] == "submitted" and scores == _expected(crit, values)
    run("draw_submitted", at.run)
    assert list(at.dataframe[-1].value["得分"]) == [rubrics.points(values[f"score_{c['id']}"]) for c in crit]
    return counts


def test_the_scoring_screen_runs_as_many_statements_for_12_criteria_as_for_3(hub):
    """我的评审's runs (draw, draft, ask to submit, confirm, the submitted review): the same statements for a
    rubric of 3 and one of 12."""
    small, large = _round(SMALL, 1), _round(LARGE, 2)
    three, twelve = _screen(hub, small), _screen(hub, large)
    print("statements (3 criteria / 12 criteria):", {k: (three[k], twelve[k]) for k in three})
    assert twelve == three
