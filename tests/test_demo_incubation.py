"""The demo 孵化与能力建设: mentoring, trainings, capability assessments, stages, incubation decisions and
ratings at the seed's scale, consistent with the demo organisations, and all of it audited."""
from __future__ import annotations

import datetime as dt
import statistics
from collections import Counter, defaultdict

import pytest

from core.demo import incubation as demo_incubation, orgs as demo_orgs
from core.incubation import assessments
from core.orgs.organisations import add_years
from core.platform import audit
from core.review import reviewers
from schemas import choices

OFFLINE = ("线下培训", "专题讲座", "实操工作坊")


@pytest.fixture
def today():
    return dt.date.today()


def _incubated(db, today):
    """Active organisations that entered the incubator at least two weeks ago."""
    return db.fetch_all("SELECT * FROM organisations WHERE incubation_in IS NOT NULL AND incubation_in <= ?"
                        " ORDER BY id", [today - dt.timedelta(days=14)])


# ---- trainings -------------------------------------------------------------------------------
def test_training_network_at_the_seed_scale(demo_db, today):
    kinds = Counter({r["kind"]: r["n"] for r in demo_db.fetch_all(
        "SELECT kind, count(*) AS n FROM trainings GROUP BY kind")})
    assert sum(kinds.values()) >= 30  # the seed: 30+ capability trainings
    assert kinds["线上课程"] == 5 and kinds["外出交流学习"] == 3  # 5 online, 3 study trips
    assert sum(kinds[k] for k in OFFLINE) >= 50  # 50+ offline
    first, last = demo_db.fetch_one("SELECT min(training_date) AS a, max(training_date) AS b FROM trainings").values()
    assert dt.date(2018, 9, 1) <= first < dt.date(2018, 10, 1) and last <= today
    topics = {r["topic"] for r in demo_db.fetch_all("SELECT DISTINCT topic FROM trainings")}
    assert topics == set(choices.TRAINING_TOPICS)
    partners = " ".join(r["partner"] for r in demo_db.fetch_all(
        "SELECT partner FROM trainings WHERE partner IS NOT NULL"))
    for kind in ("大学", "律师事务所", "会计师事务所", "基金会"):
        assert kind in partners


def test_attendance_covers_500_person_times_within_capacity(demo_db):
    person_times = demo_db.scalar("SELECT count(*) FROM training_attendance")
    assert person_times >= 500  # the seed: 500+ person-times
    rows = demo_db.fetch_all(
        "SELECT t.id, t.capacity, t.training_date, count(a.id) AS n FROM trainings t"
        " LEFT JOIN training_attendance a ON a.training_id = t.id GROUP BY ALL")
    assert all(0 < r["n"] <= r["capacity"] for r in rows)
    # people come from organisations that existed on the day (and a stopped one only while it ran)
    early = demo_db.scalar(
        "SELECT count(*) FROM training_attendance a JOIN trainings t ON t.id = a.training_id"
        " JOIN organisations o ON o.id = a.org_id WHERE o.reg_date > t.training_date")
    assert early == 0
    assert demo_db.scalar("SELECT count(DISTINCT org_id) FROM training_attendance") >= 40


def test_most_attendees_gave_feedback_mostly_good(demo_db):
    n = demo_db.scalar("SELECT count(*) FROM training_attendance")
    fb = demo_db.fetch_all("SELECT usefulness, clarity, fit, comment FROM training_feedback")
    assert len(fb) >= 0.7 * n
    marks = [v for r in fb for v in (r["usefulness"], r["clarity"], r["fit"])]
    assert all(1 <= v <= 5 for v in marks)
    assert sum(v >= 4 for v in marks) >= 0.7 * len(marks) and min(marks) < 3  # mostly 4-5, not all
    assert any(r["comment"] for r in fb)


# ---- mentoring -------------------------------------------------------------------------------
def test_mentor_panel_three_per_speciality_two_of_them_experts(demo_db):
    mentors = demo_db.fetch_all("SELECT m.*, u.name AS account_name FROM mentors m"
                                " LEFT JOIN users u ON u.username = m.username ORDER BY m.id")
    assert Counter(m["speciality"] for m in mentors) == {s: 3 for s in choices.MENTOR_SPECIALITIES}
    linked = [m for m in mentors if m["username"]]
    assert sorted(m["username"] for m in linked) == list(demo_incubation.LINKED_EXPERTS)
    assert all(m["name"] == m["account_name"] for m in linked)  # the same person as the reviewer account


def test_most_incubated_organisations_are_mentored(demo_db, today):
    incubated = _incubated(demo_db, today)
    paired = {r["org_id"] for r in demo_db.fetch_all("SELECT DISTINCT org_id FROM mentor_pairings")}
    mentored = {r["org_id"] for r in demo_db.fetch_all(
        "SELECT DISTINCT p.org_id FROM mentoring_sessions s JOIN mentor_pairings p ON p.id = s.pairing_id")}
    ids = {o["id"] for o in incubated}
    assert len(ids & mentored) >= 0.8 * len(ids) and paired <= ids
    # pairings start once the organisation is in the incubator and end by the time it left
    bad = demo_db.fetch_all(
        "SELECT p.* FROM mentor_pairings p JOIN organisations o ON o.id = p.org_id"
        " WHERE p.start_date < o.incubation_in OR p.start_date > ? OR p.end_date > o.incubation_out", [today])
    assert bad == []


def test_sessions_and_agreed_actions(demo_db, today):
    sessions = demo_db.fetch_all(
        "SELECT s.*, p.start_date, p.end_date FROM mentoring_sessions s JOIN mentor_pairings p ON p.id = s.pairing_id")
    assert len(sessions) >= 200
    assert all(1 <= s["hours"] <= 3 for s in sessions)
    assert all(s["start_date"] <= s["session_date"] <= min(s["end_date"] or today, today) for s in sessions)
    assert {s["module"] for s in sessions} == set(choices.MENTORING_MODULES)
    assert {s["form"] for s in sessions} == set(choices.MENTORING_FORMS)
    assert all(s["findings"] for s in sessions)
    per_session = Counter(r["session_id"] for r in demo_db.fetch_all("SELECT session_id FROM mentoring_actions"))
    assert set(per_session) == {s["id"] for s in sessions} and set(per_session.values()) <= {1, 2, 3}

    actions = demo_db.fetch_all("SELECT a.*, s.session_date FROM mentoring_actions a"
                                " JOIN mentoring_sessions s ON s.id = a.session_id")
    assert all(a["due_date"] >= a["session_date"] and a["owner"] for a in actions)
    done = [a for a in actions if a["status"] == "done"]
    open_ = [a for a in actions if a["status"] == "open"]
    overdue = [a for a in open_ if a["due_date"] < today]
    assert len(done) + len(open_) == len(actions)
    assert len(done) >= 0.8 * len(actions)  # most done
    assert open_ and overdue and len(overdue) <= 0.05 * len(actions)  # some open, a few overdue
    assert all(a["session_date"] <= a["done_date"] <= today for a in done)
    assert all(a["done_date"] is None for a in open_)


def test_mentoring_feeds_conflicts_without_clashing_with_assignments(demo_db):
    pairs = reviewers.conflict_pairs(demo_db)
    for username in demo_incubation.LINKED_EXPERTS:
        assert any(u == username for u, _ in pairs)  # they mentor now: their mentees are conflicts
    tasks = demo_db.fetch_all(
        "SELECT s.reviewer, a.org_id FROM assignments s JOIN applications a ON a.id = s.application_id")
    assert not [t for t in tasks if (t["reviewer"], t["org_id"]) in pairs]
    # an expert's mentee applies in the current round, so the planner has a conflict to respect
    year = dt.date.today().year
    applying = {r["org_id"] for r in demo_db.fetch_all(
        "SELECT a.org_id FROM applications a JOIN rounds r ON r.id = a.round_id WHERE r.year = ?", [year])}
    assert any(org in applying for u, org in pairs if u in demo_incubation.LINKED_EXPERTS)


# ---- capability assessments -------------------------------------------------------------------
def test_default_instrument_and_several_periods(demo_db, today):
    inst = assessments.instrument(assessments.latest_instrument_id(demo_db), demo_db)
    assert inst["version"] == 1 and len(inst["dimensions"]) == len(choices.CAPABILITY_DIMENSIONS)
    assert demo_db.scalar("SELECT count(*) FROM support_map") == len(choices.CAPABILITY_DIMENSIONS)
    labels = [p[0] for p in demo_incubation.periods(today)]
    assert set(assessments.periods(demo_db)) == set(labels) and len(labels) >= 2
    assert set(labels) <= set(choices.assessment_periods(today))  # defined periods, one spelling each
    per_org = Counter(r["org_id"] for r in demo_db.fetch_all("SELECT org_id FROM assessments"))
    incubated = _incubated(demo_db, today)
    assert sum(per_org[o["id"]] >= 2 for o in incubated) >= 0.8 * len(incubated)
    assert demo_db.scalar("SELECT count(*) FROM assessments WHERE assessed_on > ?", [today]) == 0
    # every indicator scored, and the stored total is core.incubation.assessments' total of those scores
    n_ind = sum(len(d["indicators"]) for d in inst["dimensions"])
    for a in demo_db.fetch_all("SELECT * FROM assessments ORDER BY id LIMIT 40"):
        scores = {r["indicator_id"]: r["score"] for r in demo_db.fetch_all(
            "SELECT indicator_id, score FROM assessment_scores WHERE assessment_id = ?", [a["id"]])}
        assert len(scores) == n_ind and all(1 <= s <= 5 for s in scores.values())
        assert a["total"] == assessments.score_assessment(inst["dimensions"], scores)[1]


def _changes(db):
    """Per organisation with 2+ assessments: (first -> last change, mentoring hours and training
    person-times between its first and last assessment)."""
    return db.fetch_all(
        "WITH a AS (SELECT org_id, min(assessed_on) AS f, max(assessed_on) AS l, arg_min(total, assessed_on) AS t0,"
        "  arg_max(total, assessed_on) AS t1, count(*) AS n FROM assessments GROUP BY org_id)"
        " SELECT a.org_id, a.t1 - a.t0 AS change,"
        " (SELECT coalesce(sum(s.hours), 0) FROM mentoring_sessions s JOIN mentor_pairings p ON p.id = s.pairing_id"
        "   WHERE p.org_id = a.org_id AND s.session_date > a.f AND s.session_date <= a.l) AS hours,"
        " (SELECT count(*) FROM training_attendance x JOIN trainings t ON t.id = x.training_id"
        "   WHERE x.org_id = a.org_id AND t.training_date > a.f AND t.training_date <= a.l) AS trained"
        " FROM a WHERE a.n >= 2 ORDER BY a.org_id")


def test_supported_organisations_improve_and_more_support_more(demo_db):
    rows = _changes(demo_db)
    supported = [r for r in rows if r["hours"] or r["trained"]]
    assert len(supported) >= 0.8 * len(rows)
    assert statistics.mean(r["change"] for r in supported) > 2
    mentored = [r["change"] for r in rows if r["hours"] > 0]
    others = [r["change"] for r in rows if r["hours"] == 0]
    assert statistics.mean(mentored) > statistics.mean(others) + 3
    ranked = sorted(rows, key=lambda r: r["hours"] + 3 * r["trained"])
    half = len(ranked) // 2
    assert statistics.mean(r["change"] for r in ranked[half:]) > statistics.mean(r["change"] for r in ranked[:half])


def test_graduates_reached_the_exit_mark(demo_db):
    """出壳 criterion 能力评估总分达到60分: the last assessment before leaving the incubator."""
    rows = demo_db.fetch_all(
        "SELECT o.id, o.incubation_out, (SELECT arg_max(a.total, a.assessed_on) FROM assessments a"
        " WHERE a.org_id = o.id AND a.assessed_on <= o.incubation_out) AS total FROM organisations o"
        " WHERE o.incubation_out IS NOT NULL")
    checked = [r for r in rows if r["total"] is not None]
    assert checked and all(r["total"] >= 60 for r in checked)


# ---- lifecycle, incubation, ratings ------------------------------------------------------------
def test_stage_history_ends_at_the_current_stage(demo_db, today):
    orgs = {o["id"]: o for o in demo_db.fetch_all("SELECT * FROM organisations")}
    chains = defaultdict(list)
    for c in demo_db.fetch_all("SELECT * FROM stage_changes ORDER BY changed_on, id"):
        chains[c["org_id"]].append(c)
    beyond = [o for o in orgs.values() if o["stage"] != "零基础筹备期"]
    assert len(chains) >= 0.6 * len(beyond)
    order = choices.STAGES
    for org_id, chain in chains.items():
        o = orgs[org_id]
        assert chain[-1]["to_stage"] == o["stage"]
        for prev, c in zip(chain, chain[1:]):
            assert c["from_stage"] == prev["to_stage"] and c["changed_on"] > prev["changed_on"]
        assert all(order.index(c["to_stage"]) == order.index(c["from_stage"]) + 1 for c in chain)
        assert all(o["reg_date"] < c["changed_on"] <= today and c["reason"] for c in chain)
    assert not [i for i in chains if orgs[i]["stage"] == "零基础筹备期"]


def test_incubation_decisions_match_the_organisations(demo_db):
    orgs = demo_db.fetch_all("SELECT * FROM organisations")
    got = {(r["org_id"], r["kind"]): r for r in demo_db.fetch_all("SELECT * FROM incubation_decisions")}
    want = {(o["id"], "入壳"): o["incubation_in"] for o in orgs if o["incubation_in"]}
    want |= {(o["id"], "出壳"): o["incubation_out"] for o in orgs if o["incubation_out"]}
    assert set(got) == set(want)
    for key, day in want.items():
        assert got[key]["decided_on"] == day
        assert set(got[key]["criteria_met"]) == set(choices.INCUBATION_CRITERIA[key[1]])


def test_rating_history_consistent_with_the_organisations(demo_db):
    orgs = demo_db.fetch_all("SELECT * FROM organisations")
    assert Counter(o["rating"] for o in orgs if o["rating"]) == Counter(demo_orgs.RATING_MIX)  # 3 4A, 10 3A, ...
    history = defaultdict(list)
    for r in demo_db.fetch_all("SELECT * FROM ratings ORDER BY rated_on, id"):
        history[r["org_id"]].append(r)
    levels = choices.RATINGS
    for o in orgs:
        rows = history.get(o["id"], [])
        if not o["rating"]:
            assert rows == []
            continue
        last = rows[-1]
        assert (last["level"], last["rated_on"]) == (o["rating"], o["rating_date"])
        assert o["rating_expiry"] == last["expires_on"]
        for r in rows:
            assert r["expires_on"] == add_years(r["rated_on"], 5)
            assert demo_incubation.rating_level(r["score"]) == r["level"] and r["score"] <= 1000
            assert r["rated_on"] >= add_years(o["reg_date"], 2)
        for prev, r in zip(rows, rows[1:]):  # renewed about when the last one expired, never down
            assert add_years(prev["rated_on"], 4) <= r["rated_on"] <= prev["expires_on"]
            assert levels.index(r["level"]) >= levels.index(prev["level"])
    assert any(len(v) >= 2 for v in history.values())


# ---- the write path, determinism -------------------------------------------------------------
def test_everything_is_audited_and_the_chain_holds(demo_db):
    assert audit.verify(demo_db).ok
    for table in ("mentors", "mentor_pairings", "mentoring_sessions", "mentoring_actions", "trainings",
                  "training_attendance", "training_feedback", "assessments", "assessment_scores",
                  "stage_changes", "incubation_decisions", "ratings"):
        rows = demo_db.scalar(f"SELECT count(*) FROM {table}")
        logged = demo_db.scalar("SELECT count(*) FROM audit_log WHERE table_name = ? AND action = 'create'", [table])
        assert rows and logged == rows, table
    # the organisations themselves were not touched by the incubation demo
    touched = "SELECT count(*) FROM audit_log WHERE table_name = 'organisations' AND action <> 'create'"
    assert demo_db.scalar(touched) == 0


def test_history_is_dated_in_the_past(demo_db):
    now = dt.datetime.now()
    for table, col in (("mentoring_sessions", "session_date"), ("trainings", "training_date"),
                       ("assessments", "assessed_on"), ("stage_changes", "changed_on")):
        row = demo_db.fetch_one(f"SELECT min(created_at) AS a, max(created_at) AS b, min({col}) AS d FROM {table}")
        assert row["b"] <= now and row["a"].date() <= row["d"] + dt.timedelta(days=1), table


def test_plan_is_deterministic_and_nothing_lies_after_today():
    today = dt.date(2024, 3, 15)
    orgs = [dict(o, id=i) for i, o in enumerate(demo_orgs.organisation_rows(today=today), start=1)]
    experts = {"expert03": {"name": "陆佳", "employer": "下沙街道元成社区"}}
    a = demo_incubation.plan(orgs, today, experts=experts, avoid={"expert03": {1, 2}}, prefer={3, 4})
    b = demo_incubation.plan(orgs, today, experts=experts, avoid={"expert03": {1, 2}}, prefer={3, 4})
    assert a == b
    dates = [v for rows in a.values() for r in rows for k, v in r.items()
             if isinstance(v, dt.date) and k not in ("due_date", "expires_on")]  # deadlines and expiries lie ahead
    assert len(dates) > 1000 and max(dates) <= today
    assert [p[0] for p in demo_incubation.periods(today)] == ["2022年上半年", "2022年下半年", "2023年上半年",
                                                                "2023年下半年"]  # the canonical spelling
    mine = {p["org_id"] for i, p in enumerate(a["pairings"]) if a["mentors"][p["mentor"]]["username"] == "expert03"}
    assert mine and not mine & {1, 2}
