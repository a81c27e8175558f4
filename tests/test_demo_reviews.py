"""The demo 专家评审: experts and their conflicts, full reviews in the closed rounds (consistent with the
outcomes), the current round mid-review, and all of it through the audited write path."""
from __future__ import annotations

import datetime as dt
import random
from collections import Counter, defaultdict

import pytest

from core.demo import reviews as demo_reviews
from core.intake import rubrics
from core.platform import audit, passwords
from core.platform.actor import Actor
from core.platform.errors import ValidationFailed
from core.review import assignment, consolidation, reviewers, reviews
from schemas.choices import PROJECT_CATEGORIES
from schemas.review import LOW_SCORE_SHARE, RELATIONS

IN_REVIEW_NOW = ("under_review", "re_review", "reviewed", "recommended", "not_recommended")


@pytest.fixture
def today():
    return dt.date.today()


def _rounds(db, today):
    rs = db.fetch_all("SELECT * FROM rounds ORDER BY year")
    return [r for r in rs if r["year"] < today.year], next(r for r in rs if r["year"] == today.year)


def _reached(db, round_id):
    """Applications of the round that went to 专家评审 at some point."""
    return db.fetch_all(
        "SELECT a.* FROM applications a WHERE a.round_id = ? AND EXISTS (SELECT 1 FROM application_events e"
        " WHERE e.application_id = a.id AND e.to_state = 'under_review') ORDER BY a.id", [round_id])


def _tasks(db, round_id):
    return db.fetch_all(
        "SELECT s.*, a.state AS app_state, a.org_id, v.id AS review_id, v.status AS review_status, v.total,"
        " v.submitted_at, v.recommendation FROM assignments s JOIN applications a ON a.id = s.application_id"
        " LEFT JOIN reviews v ON v.assignment_id = s.id WHERE a.round_id = ? ORDER BY s.id", [round_id])


# ---- experts ---------------------------------------------------------------------------------
def test_about_26_reviewer_accounts_sharing_the_demo_password(demo_db):
    rows = demo_db.fetch_all("SELECT * FROM users WHERE list_contains(roles, 'reviewer') ORDER BY username")
    names = [r["username"] for r in rows]
    assert 24 <= len(rows) <= 30 and "expert" in names
    experts = [r for r in rows if r["username"] != "expert"]
    assert [r["username"] for r in experts] == [f"expert{i:02d}" for i in range(1, len(experts) + 1)]
    assert all(r["is_demo"] and r["active"] and r["email"].endswith("@demo.hubdesk") for r in experts)
    assert len({r["name"] for r in rows}) == len(rows)
    hashes = {r["password_hash"] for r in experts}
    assert len(hashes) == 1  # hashed once, shared
    assert passwords.check(demo_reviews.PASSWORD, hashes.pop())


def test_every_reviewer_has_a_profile(demo_db):
    rows = demo_db.fetch_all("SELECT u.username, p.* FROM users u LEFT JOIN reviewer_profiles p USING (username)"
                             " WHERE list_contains(u.roles, 'reviewer')")
    assert all(r["title"] and r["employer"] for r in rows)
    assert all(1 <= len(r["expertise"]) <= 3 and set(r["expertise"]) <= set(PROJECT_CATEGORIES) for r in rows)
    covered = Counter(c for r in rows for c in r["expertise"])
    assert all(covered[c] >= 3 for c in PROJECT_CATEGORIES)
    assert 3 <= sum(r["load_cap"] is not None for r in rows) < len(rows)
    assert {"高校副教授", "资深社工", "财务顾问", "律师", "社区书记"} <= {r["title"] for r in rows}


def test_about_ten_experts_declare_affiliations(demo_db):
    rows = demo_db.fetch_all("SELECT * FROM reviewer_affiliations")
    per = Counter(r["username"] for r in rows)
    assert 8 <= len(per) <= 12
    assert all(1 <= n <= 2 for n in per.values())
    assert all(r["relation"] in RELATIONS for r in rows)
    assert len({(r["username"], r["org_id"]) for r in rows}) == len(rows)


def test_every_round_has_the_default_rubric(demo_db):
    default = [(c["name"], c["max_score"], c["weight"]) for c in rubrics.default_rows()]
    for r in demo_db.fetch_all("SELECT id, rubric_total FROM rounds"):
        crit = rubrics.criteria(r["id"], demo_db)
        assert [(c["name"], c["max_score"], c["weight"]) for c in crit] == default
        assert [c["seq"] for c in crit] == list(range(1, len(crit) + 1))
        assert sum(c["max_score"] for c in crit) == r["rubric_total"]


# ---- conflicts, scores, totals ---------------------------------------------------------------
def test_no_expert_is_assigned_to_an_affiliated_organisation(demo_db):
    clash = demo_db.fetch_all(
        "SELECT s.id, s.reviewer, a.org_id FROM assignments s JOIN applications a ON a.id = s.application_id"
        " JOIN reviewer_affiliations f ON f.username = s.reviewer AND f.org_id = a.org_id")
    assert clash == []
    pairs = reviewers.conflict_pairs(demo_db)
    tasks = demo_db.fetch_all("SELECT s.reviewer, a.org_id FROM assignments s JOIN applications a ON a.id = s.application_id")
    assert not [t for t in tasks if (t["reviewer"], t["org_id"]) in pairs]


def test_every_score_is_within_the_criterion_maximum(demo_db):
    rows = demo_db.fetch_all(
        "SELECT s.score, c.max_score, r.half_points, v.status FROM review_scores s JOIN reviews v ON v.id = s.review_id"
        " JOIN rubric_criteria c ON c.id = s.criterion_id JOIN rounds r ON r.id = c.round_id")
    assert len(rows) > 4000
    for s in rows:
        if s["score"] is None:
            assert s["status"] == "draft"
            continue
        assert 0 <= s["score"] <= s["max_score"]
        step = 0.5 if s["half_points"] else 1.0
        assert (s["score"] / step) == int(s["score"] / step)


def test_scores_belong_to_the_round_of_their_application(demo_db):
    assert demo_db.scalar(
        "SELECT count(*) FROM review_scores s JOIN reviews v ON v.id = s.review_id JOIN applications a"
        " ON a.id = v.application_id JOIN rubric_criteria c ON c.id = s.criterion_id WHERE c.round_id <> a.round_id") == 0
    assert demo_db.scalar(
        "SELECT count(*) FROM reviews v JOIN assignments s ON s.id = v.assignment_id"
        " WHERE s.application_id <> v.application_id OR s.reviewer <> v.reviewer OR s.status <> 'assigned'") == 0


def test_every_total_is_the_weighted_total_of_its_scores(demo_db):
    crit = {r["id"]: rubrics.criteria(r["id"], demo_db) for r in demo_db.fetch_all("SELECT id FROM rounds")}
    scores = defaultdict(dict)
    for s in demo_db.fetch_all("SELECT review_id, criterion_id, score FROM review_scores"):
        scores[s["review_id"]][s["criterion_id"]] = s["score"]
    rows = demo_db.fetch_all("SELECT v.*, a.round_id FROM reviews v JOIN applications a ON a.id = v.application_id")
    for v in rows:
        c = crit[v["round_id"]]
        assert set(scores[v["id"]]) == {x["id"] for x in c}  # one row per criterion, as the form saves them
        expected = rubrics.weighted_total(scores[v["id"]], c)
        if v["status"] == "submitted":
            assert v["total"] is not None and v["recommendation"] in ("推荐", "可推荐", "不推荐")
        assert v["total"] == expected


def test_low_scores_have_comments(demo_db):
    rows = demo_db.fetch_all(
        "SELECT s.score, s.comment, c.max_score FROM review_scores s JOIN reviews v ON v.id = s.review_id"
        " JOIN rubric_criteria c ON c.id = s.criterion_id WHERE v.status = 'submitted' AND s.score IS NOT NULL")
    low = [s for s in rows if s["score"] < LOW_SCORE_SHARE * s["max_score"]]
    assert low, "the demo should have some low scores"
    assert all(s["comment"] and s["comment"].strip() for s in low)


def test_the_submitted_reviews_pass_the_scoring_form(demo_db):
    """A sample of stored reviews, put back through the form's schema, is accepted (as a submission)."""
    from core.platform.validation import validate

    rows = demo_db.fetch_all("SELECT v.assignment_id, a.round_id FROM reviews v JOIN applications a ON a.id = v.application_id"
                             " WHERE v.status = 'submitted' ORDER BY v.id")
    for r in random.Random(7).sample(rows, 40):
        validate(reviews.schema_for(r["round_id"], submit=True, db=demo_db), reviews.form_values(r["assignment_id"], demo_db))


# ---- closed rounds ---------------------------------------------------------------------------
def test_past_applications_that_reached_review_have_all_their_reviews(demo_db, today):
    past, _ = _rounds(demo_db, today)
    for r in past:
        if r["year"] > 2019:
            assert r["reviewers_per_app"] == 5
        tasks = _tasks(demo_db, r["id"])
        reached = _reached(demo_db, r["id"])
        assert reached
        assert {t["application_id"] for t in tasks} == {a["id"] for a in reached}
        for a in reached:
            mine = [t for t in tasks if t["application_id"] == a["id"]]
            assert len(mine) == r["reviewers_per_app"]
            assert all(t["status"] == "assigned" and t["review_status"] == "submitted" for t in mine)
            assert all(t["no_conflict_at"] is not None and t["no_conflict_at"] < t["submitted_at"] for t in mine)
            assert len({t["reviewer"] for t in mine}) == len(mine)


def test_funded_applications_score_higher_in_every_past_round(demo_db, today):
    past, _ = _rounds(demo_db, today)
    for r in past:
        t = consolidation.table(r["id"], demo_db)
        funded, other = t[t["state"] == "funded"], t[t["state"] != "funded"]
        assert len(funded) and len(other)
        assert funded["final"].mean() > other["final"].mean() + 8
        top = t.sort_values("rank").head(len(funded))
        assert (top["state"] == "funded").mean() >= 0.75  # the ranking roughly puts the funded ones on top
        assert funded["final"].between(65, 95).all()
        assert not t["flagged"].any()  # the wide spreads went through 复评


def test_past_rounds_are_signed_off_after_their_reviews(demo_db, today):
    past, current = _rounds(demo_db, today)
    for r in past:
        assert r["scores_locked_at"] is not None and r["scores_locked_by"] == "admin"
        last = demo_db.scalar("SELECT max(v.submitted_at) FROM reviews v JOIN applications a ON a.id = v.application_id"
                              " WHERE a.round_id = ?", [r["id"]])
        assert last < r["scores_locked_at"] < dt.datetime.combine(today, dt.time())
    assert current["scores_locked_at"] is None and current["scores_locked_by"] is None


def test_review_times_are_inside_the_review_stage(demo_db, today):
    rows = demo_db.fetch_all(
        "SELECT v.submitted_at, s.no_conflict_at, r.review_start, r.review_end, r.year FROM reviews v"
        " JOIN assignments s ON s.id = v.assignment_id JOIN applications a ON a.id = v.application_id"
        " JOIN rounds r ON r.id = a.round_id WHERE v.status = 'submitted'")
    now = dt.datetime.now()
    for v in rows:
        assert dt.datetime.combine(v["review_start"], dt.time()) <= v["no_conflict_at"] < v["submitted_at"] < now
        if v["year"] < today.year:
            assert v["submitted_at"].date() <= v["review_end"] + dt.timedelta(days=5)


# ---- the current round -----------------------------------------------------------------------
def test_current_round_is_mid_review(demo_db, today):
    _, r = _rounds(demo_db, today)
    tasks = _tasks(demo_db, r["id"])
    in_review = [a for a in _reached(demo_db, r["id"]) if a["state"] in IN_REVIEW_NOW]
    assert {t["application_id"] for t in tasks} == {a["id"] for a in in_review}
    for a in in_review:
        active = [t for t in tasks if t["application_id"] == a["id"] and t["status"] == "assigned"]
        assert len(active) == r["reviewers_per_app"]
        if a["state"] != "under_review":
            assert all(t["review_status"] == "submitted" for t in active)
    waiting = [t for t in tasks if t["app_state"] == "under_review" and t["status"] == "assigned"]
    drafts = [t for t in waiting if t["review_status"] == "draft"]
    assert drafts and all(t["submitted_at"] is None and t["no_conflict_at"] is not None for t in drafts)
    assert [t for t in waiting if t["review_id"] is None]  # not started
    assert sum(t["review_status"] == "submitted" for t in waiting) > len(waiting) / 2


def test_recused_experts_were_replaced(demo_db, today):
    _, r = _rounds(demo_db, today)
    tasks = _tasks(demo_db, r["id"])
    recused = [t for t in tasks if t["status"] == "recused"]
    assert 2 <= len(recused) <= 3
    for t in recused:
        assert t["recused_reason"] and t["review_id"] is None and t["no_conflict_at"] is None
        active = [x for x in tasks if x["application_id"] == t["application_id"] and x["status"] == "assigned"]
        assert len(active) == r["reviewers_per_app"] and t["reviewer"] not in {x["reviewer"] for x in active}
    n = demo_db.scalar("SELECT count(*) FROM audit_log WHERE table_name = 'assignments' AND action = 'recuse'")
    assert n == len(recused)


def test_exactly_one_application_is_flagged_for_re_review(demo_db, today):
    _, r = _rounds(demo_db, today)
    t = consolidation.table(r["id"], demo_db)
    flagged = t[t["flagged"]]
    assert len(flagged) == 1
    row = flagged.iloc[0]
    assert row["state"] in ("under_review", "reviewed") and row["spread"] > r["discrepancy_threshold"]
    assert row["basis"] == "分差过大,待复评"
    # recommended ones rank above the ones not recommended
    rank = dict(zip(t["state"], t["rank"]))
    assert t[t["state"] == "recommended"]["rank"].max() < t[t["state"] == "not_recommended"]["rank"].min(), rank


def test_signed_off_rounds_have_no_open_flag_and_say_how_each_was_handled(demo_db, today):
    """Issue 14: no round is signed off with a 分差 flag open; every wide spread of a signed-off round went
    through 复评 or was resolved by the admin with a reason (before the sign-off, audited, on the sheet)."""
    signed = demo_db.fetch_all("SELECT * FROM rounds WHERE scores_locked_at IS NOT NULL ORDER BY year")
    assert [r["year"] for r in signed] == list(range(2019, today.year))
    by_admin = []
    for r in signed:
        t = consolidation.table(r["id"], demo_db)
        assert consolidation.open_flags(r["id"], demo_db).empty, r["year"]
        assert consolidation.flags_refusal(r["id"], db=demo_db) is None
        wide = t[t["spread"] > r["discrepancy_threshold"]]
        assert len(wide), r["year"]
        assert wide["flag_note"].map(lambda v: v == "已复评" or v.startswith("管理员解除:")).all(), r["year"]
        by_admin += [(r, x) for x in wide[wide["flag_note"].str.startswith("管理员解除:")].to_dict("records")]
    assert by_admin  # the demo shows both ways
    rows = {f["application_id"]: f for f in demo_db.fetch_all("SELECT * FROM flag_resolutions")}
    assert set(rows) == {int(x["id"]) for _, x in by_admin}
    for r, x in by_admin:
        f = rows[int(x["id"])]
        assert f["created_by"] == "admin" and len(f["reason"]) >= 4 and f["spread"] == x["spread"]
        assert f["created_at"] < r["scores_locked_at"]
        assert x["flag_note"] == f"管理员解除:{f['reason']}(陈主任(管理员) {f['created_at']:%Y-%m-%d})"
    logged = demo_db.scalar("SELECT count(*) FROM audit_log WHERE table_name = 'flag_resolutions' AND action = 'create'")
    assert logged == len(rows)


def test_the_current_round_cannot_be_signed_off_until_its_flag_is_resolved(demo_db, today):
    _, r = _rounds(demo_db, today)
    admin = Actor("admin", ("admin",))
    (flag,) = consolidation.open_flags(r["id"], demo_db).to_dict("records")
    mark = demo_db.scalar("SELECT max(id) FROM audit_log")
    with pytest.raises(ValidationFailed) as info:
        consolidation.sign_off(r["id"], admin, demo_db)
    assert f"「{flag['title']}」(编号 {flag['id']}" in info.value.form[0]
    assert demo_db.scalar("SELECT max(id) FROM audit_log") == mark
    assert demo_db.fetch_one("SELECT scores_locked_at FROM rounds WHERE id = ?", [r["id"]])["scores_locked_at"] is None
    consolidation.resolve_flag(int(flag["id"]), {"reason": "两位专家会商后确认低分意见理由充分"}, admin, demo_db)
    consolidation.sign_off(r["id"], admin, demo_db)
    assert demo_db.fetch_one("SELECT scores_locked_at FROM rounds WHERE id = ?", [r["id"]])["scores_locked_at"]


def test_the_demo_expert_has_work_in_the_current_round(demo_db, today):
    _, r = _rounds(demo_db, today)
    mine = reviews.my_assignments("expert", demo_db)
    now = mine[mine["round"] == r["name"]]
    assert 3 <= len(now) <= 5
    assert (now["review_status"] == "submitted").any()
    todo = now[now["review_status"] != "submitted"]
    assert len(todo) >= 2 and (todo["review_status"] == "draft").any() and todo["review_status"].isna().any()
    assert len(mine) > len(now)  # and a history from earlier rounds


def test_the_demo_expert_can_finish_a_task(demo_db, today):
    me = Actor("expert", ("reviewer",))
    _, r = _rounds(demo_db, today)
    mine = reviews.my_assignments("expert", demo_db)
    fresh = mine[(mine["round"] == r["name"]) & mine["review_status"].isna()].iloc[0]
    task = int(fresh["assignment_id"])
    assignment.confirm_no_conflict(task, me, demo_db)
    crit = rubrics.criteria(r["id"], demo_db)
    values = {f"score_{c['id']}": c["max_score"] * 0.8 for c in crit} | {"recommendation": "可推荐"}
    assert reviews.save(task, values, me, submit=True, db=demo_db) == 80.0
    draft = mine[(mine["round"] == r["name"]) & (mine["review_status"] == "draft")].iloc[0]
    assert reviews.form_values(int(draft["assignment_id"]), demo_db)["recommendation"] is None


def test_everything_is_in_the_audit_chain(demo_db):
    assert audit.verify(demo_db).ok
    for table in ("assignments", "reviews", "review_scores", "rubric_criteria", "reviewer_profiles",
                  "reviewer_affiliations", "flag_resolutions"):
        logged = demo_db.scalar("SELECT count(*) FROM audit_log WHERE table_name = ? AND action IN"
                                " ('create', 'submit_review')", [table])
        assert logged == demo_db.scalar(f"SELECT count(*) FROM {table}"), table
    locks = demo_db.scalar("SELECT count(*) FROM audit_log WHERE table_name = 'rounds' AND action = 'lock_scores'")
    assert locks == demo_db.scalar("SELECT count(*) FROM rounds WHERE scores_locked_at IS NOT NULL")


def test_experts_plan_is_deterministic():
    a, b = demo_reviews.experts(random.Random(2020)), demo_reviews.experts(random.Random(2020))
    assert a == b
    assert len({e["username"] for e in a}) == len(a) == demo_reviews.EXPERT_COUNT + 1
    assert sorted(e["since"] for e in a)[0] == 2019 and sum(e["since"] == 2019 for e in a) == demo_reviews.PANEL_FIRST
