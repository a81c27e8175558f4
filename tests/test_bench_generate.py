"""The benchmark's data generator (bench/generate.py): at a small scale it produces a migrated database
that HubDesk opens, whose row counts match the requested scale and whose rows hang together.
No timings are asserted here (the benchmark is run by hand: bench/run.py)."""
from __future__ import annotations

import datetime as dt
import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

import generate as gen  # noqa: E402  (bench/generate.py)

TODAY = dt.date(2026, 11, 27)


@pytest.fixture
def bench_db(isolated):
    """Scale 1 loaded into this test's database file (HUBDESK_DB), opened the way the app opens it: a copy
    of the file ``gen.generate(1, ..., today=TODAY)`` wrote, generated once per code version
    (``tests/demo_cache.bench_template``), with the row counts it reported."""
    import json

    from core import app
    from tests import demo_cache

    source = demo_cache.bench_template(1, TODAY)
    path = demo_cache.copy_to(Path(os.environ["HUBDESK_DB"]), source)
    counts = json.loads(Path(str(source) + ".json").read_text(encoding="utf-8"))
    loaded = gen.Loaded(path=path, scale=1, counts=counts, generate_seconds=0.0, load_seconds=0.0, total_seconds=0.0)
    db = app.bootstrap()
    assert db.path == loaded.path
    return loaded, db


def test_counts_match_the_scale_and_the_database_is_migrated(bench_db):
    from core.platform import migrate

    loaded, db = bench_db
    expected = gen.Scale(1).expected()
    for table, n in expected.items():
        assert db.scalar(f"SELECT count(*) FROM {table}") == n, table
        assert loaded.counts[table] == n
    assert {r["version"] for r in db.fetch_all("SELECT version FROM schema_version")} == {
        m.version for m in migrate.available()}
    # the seed's scale: 76 funded projects, 5,000 activities, ~1,100 reviews, 21 communities
    assert db.scalar("SELECT count(*) FROM applications WHERE state = 'funded'") == 76
    assert 900 <= db.scalar("SELECT count(*) FROM reviews") <= 1300
    assert db.scalar("SELECT count(DISTINCT community) FROM organisations") <= 21
    assert db.scalar("SELECT sum(granted_amount) FROM projects") > 3_000_000
    assert db.scalar("SELECT sum(person_times) FROM activities") > 50_000


def test_scale_sizes_grow_linearly_to_a_city():
    city = gen.Scale(100).expected()
    assert city["organisations"] == 6000 and city["applications"] == 25000 and city["projects"] == 7600
    assert city["activities"] == 500_000 and city["training_attendance"] == 1_200_000
    assert city["communities"] == 2100 and city["rounds"] == 80
    two = gen.plan(2, TODAY)
    for table, n in gen.Scale(2).expected().items():
        assert len(two.tables[table]) == n, table
    assert len(set(gen.community_names(2100))) == 2100
    assert all(n.endswith("社区") for n in gen.community_names(2100))


def test_the_plan_is_deterministic():
    a, b = gen.plan(1, TODAY), gen.plan(1, TODAY)
    for table in ("organisations", "applications", "activities", "training_attendance"):
        assert a.tables[table].equals(b.tables[table]), table


FOREIGN_KEYS = (  # (table, column, referenced table, referenced column)
    ("applications", "round_id", "rounds", "id"), ("applications", "org_id", "organisations", "id"),
    ("application_events", "application_id", "applications", "id"),
    ("assignments", "application_id", "applications", "id"), ("assignments", "reviewer", "users", "username"),
    ("reviews", "assignment_id", "assignments", "id"), ("review_scores", "review_id", "reviews", "id"),
    ("rubric_criteria", "round_id", "rounds", "id"), ("projects", "application_id", "applications", "id"),
    ("projects", "brand_id", "brands", "id"), ("tranches", "project_id", "projects", "id"),
    ("project_milestones", "project_id", "projects", "id"), ("project_events", "project_id", "projects", "id"),
    ("evaluations", "project_id", "projects", "id"), ("activities", "project_id", "projects", "id"),
    ("activities", "community", "communities", "name"), ("expenses", "project_id", "projects", "id"),
    ("organisations", "community", "communities", "name"), ("service_points", "brand_id", "brands", "id"),
    ("service_points", "community", "communities", "name"),
    ("training_attendance", "training_id", "trainings", "id"), ("training_attendance", "org_id", "organisations", "id"),
    ("assessments", "org_id", "organisations", "id"), ("assessments", "instrument_id", "assessment_instruments", "id"),
    ("assessment_scores", "assessment_id", "assessments", "id"),
    ("assessment_scores", "indicator_id", "instrument_indicators", "id"),
    ("incubation_decisions", "org_id", "organisations", "id"), ("ratings", "org_id", "organisations", "id"),
    ("reviewer_profiles", "username", "users", "username"),
)


def test_foreign_keys_point_at_stored_rows(bench_db):
    _, db = bench_db
    orphans = {f"{t}.{c}": db.scalar(f"SELECT count(*) FROM {t} x LEFT JOIN {p} y ON y.{k} = x.{c}"
                                     f" WHERE x.{c} IS NOT NULL AND y.{k} IS NULL")
               for t, c, p, k in FOREIGN_KEYS}
    assert orphans == {name: 0 for name in orphans}
    # and the rows that refer to each other agree
    assert db.scalar("SELECT count(*) FROM reviews v JOIN assignments s ON s.id = v.assignment_id"
                     " WHERE s.application_id <> v.application_id OR s.reviewer <> v.reviewer") == 0
    assert db.scalar("SELECT count(*) FROM review_scores x JOIN reviews v ON v.id = x.review_id"
                     " JOIN applications a ON a.id = v.application_id"
                     " JOIN rubric_criteria c ON c.id = x.criterion_id WHERE c.round_id <> a.round_id") == 0
    assert db.scalar("SELECT count(*) FROM projects p JOIN applications a ON a.id = p.application_id"
                     " WHERE a.state <> 'funded'") == 0
    assert db.scalar("SELECT count(*) FROM applications WHERE state = 'funded'") == db.scalar(
        "SELECT count(*) FROM projects")
    # no project serves a community that does not exist
    assert db.scalar("SELECT count(*) FROM (SELECT unnest(communities) AS c FROM projects) u"
                     " WHERE c NOT IN (SELECT name FROM communities)") == 0


def test_rows_are_consistent_with_the_rules_of_the_app(bench_db):
    from core.incubation import assessments
    from core.intake.workflow import transition

    _, db = bench_db
    # every workflow event is a legal move, and the last one is the application's state
    moves = db.fetch_all("SELECT DISTINCT from_state, to_state FROM application_events WHERE from_state IS NOT NULL")
    assert moves and all(transition(m["from_state"], m["to_state"]) is not None for m in moves)
    assert db.scalar("SELECT count(*) FROM applications a WHERE a.state <> (SELECT e.to_state FROM application_events e"
                     " WHERE e.application_id = a.id ORDER BY e.id DESC LIMIT 1)") == 0
    # reviews only for applications that reached review; a total is the sum of its criterion scores
    assert db.scalar("SELECT count(*) FROM reviews v JOIN applications a ON a.id = v.application_id"
                     " WHERE a.state IN ('draft','submitted','screening','returned','resubmitted','eligible',"
                     " 'ineligible','withdrawn')") == 0
    assert db.scalar("SELECT count(*) FROM reviews v WHERE v.total <> (SELECT sum(score) FROM review_scores x"
                     " WHERE x.review_id = v.id)") == 0
    # tranches add up to the granted amount; released money never exceeds it
    assert db.scalar("SELECT count(*) FROM projects p WHERE p.granted_amount <> (SELECT sum(amount) FROM tranches t"
                     " WHERE t.project_id = p.id)") == 0
    assert db.scalar("SELECT count(*) FROM tranches WHERE status = 'released' AND (released_on IS NULL"
                     " OR released_on > ?)", [TODAY]) == 0
    # activities and expenses inside the project's period, never after today; titles unique per day
    for table, col in (("activities", "activity_date"), ("expenses", "expense_date")):
        assert db.scalar(f"SELECT count(*) FROM {table} x JOIN projects p ON p.id = x.project_id"
                         f" WHERE x.{col} < p.start_date OR x.{col} > p.end_date OR x.{col} > ?", [TODAY]) == 0, table
    assert db.scalar("SELECT count(*) FROM activities WHERE participants > person_times OR participants < 1") == 0
    # a stored assessment total is what core.incubation.assessments computes from its indicator scores
    inst = assessments.instrument(assessments.latest_instrument_id(db), db)
    a = db.fetch_one("SELECT id, total FROM assessments ORDER BY id LIMIT 1")
    scores = {r["indicator_id"]: r["score"] for r in db.fetch_all(
        "SELECT indicator_id, score FROM assessment_scores WHERE assessment_id = ?", [a["id"]])}
    assert assessments.score_assessment(inst["dimensions"], scores)[1] == pytest.approx(a["total"], abs=0.01)


def test_leader_signs_in_and_the_write_path_works_after_bulk_loading(bench_db):
    from core.monitoring import ledger
    from core.platform import users
    from core.platform.actor import Actor

    _, db = bench_db
    assert users.active_roles("leader") == ("leader",)
    assert "leader" in users.credentials()["usernames"]
    # the generated experts have a password hash nobody knows, and can't be used to sign in as leader
    assert db.scalar("SELECT count(DISTINCT password_hash) FROM users WHERE username LIKE 'expert%'") == 1
    # sequences were moved past the loaded ids: the write path's next activity gets a new id
    top = db.scalar("SELECT max(id) FROM activities")
    project = db.fetch_one("SELECT id, communities[1] AS community FROM projects WHERE state = 'active'"
                           " AND start_date <= ? ORDER BY id LIMIT 1", [TODAY])
    new_id = ledger.add({"project_id": project["id"], "activity_date": TODAY - dt.timedelta(days=1),
                         "community": project["community"], "kind": "社区活动", "title": "基准测试写入活动",
                         "participants": 12, "person_times": 20}, Actor("bench-staff", ("staff",)), db=db)
    assert new_id > top
    assert db.fetch_one("SELECT project_id, person_times FROM activities WHERE id = ?", [new_id]) == {
        "project_id": project["id"], "person_times": 20}
    assert db.scalar("SELECT count(*) FROM audit_log WHERE table_name = 'activities'") == 1


def test_the_resource_tables_follow_the_rules_of_the_app(bench_db):
    """Issue 18's tables at scale 1: sizes proportional to the scale, no slot booked twice, bookings inside the
    venue's open hours, service records on stored activities adding up to the ledger's counts, sign-ups within
    the places, completed money claims in their project's 配套资金, every link pointing at a stored row."""
    from core.monitoring.ledger import VOLUNTEERS_SQL
    from core.resources.bookings import weekly_hours
    from schemas.booking import WEEKDAYS

    _, db = bench_db
    for table, per_s in (("venues", 8), ("equipment", 7), ("community_needs", 110), ("partners", 12),
                         ("claim_items", 10), ("volunteer_calls", 5)):
        assert db.scalar(f"SELECT count(*) FROM {table}") == per_s, table
    assert 250 <= db.scalar("SELECT count(*) FROM bookings") <= 400
    assert db.scalar("SELECT count(*) FROM volunteer_services") > 1000
    # one slot of a venue or of equipment is booked once
    assert db.scalar("SELECT count(*) FROM bookings a JOIN bookings b ON a.id < b.id AND a.booking_date = b.booking_date"
                     " AND (a.venue_id = b.venue_id OR a.equipment_id = b.equipment_id)"
                     " AND a.start_time < b.end_time AND b.start_time < a.end_time") == 0
    venues = {v["id"]: weekly_hours(v) for v in db.fetch_all("SELECT * FROM venues")}
    for b in db.fetch_all("SELECT venue_id, booking_date, start_time, end_time FROM bookings WHERE venue_id IS NOT NULL"):
        days, start, end = venues[b["venue_id"]]
        assert WEEKDAYS[b["booking_date"].weekday()] in days and start <= b["start_time"] and b["end_time"] <= end, b
    # a linked booking: an approved one of the project's organisation on the activity's day; the activity names it
    assert db.scalar("SELECT count(*) FROM bookings b JOIN activities a ON a.id = b.activity_id JOIN projects p"
                     " ON p.id = a.project_id JOIN applications ap ON ap.id = p.application_id WHERE b.state <> 'approved'"
                     " OR a.activity_date <> b.booking_date OR ap.org_id <> b.org_id OR a.venue_id <> b.venue_id") == 0
    assert db.scalar("SELECT count(*) FROM activities WHERE venue_id IS NOT NULL") == db.scalar(
        "SELECT count(*) FROM bookings WHERE activity_id IS NOT NULL") > 0
    # service records: on stored activities of running projects, distinct volunteers == the ledger's count
    assert db.scalar("SELECT count(*) FROM volunteer_services s LEFT JOIN activities a ON a.id = s.activity_id"
                     " LEFT JOIN volunteers v ON v.id = s.volunteer_id WHERE a.id IS NULL OR v.id IS NULL") == 0
    assert db.scalar(f"SELECT count(*) FROM activities a WHERE {VOLUNTEERS_SQL} <> a.volunteers") == 0
    assert db.scalar("SELECT count(*) FROM (SELECT volunteer_id, activity_id FROM volunteer_services GROUP BY 1, 2"
                     " HAVING count(*) > 1)") == 0
    assert db.scalar("SELECT count(*) FROM volunteers WHERE phone IS NOT NULL AND NOT consent") == 0
    # sign-ups within the places, once per volunteer and call; a full call is 已满员
    assert db.scalar("SELECT count(*) FROM volunteer_calls c WHERE (SELECT count(*) FROM volunteer_signups s"
                     " WHERE s.call_id = c.id) > c.places") == 0
    assert db.scalar("SELECT count(*) FROM volunteer_calls c WHERE status = '已满员' AND (SELECT count(*)"
                     " FROM volunteer_signups s WHERE s.call_id = c.id) < c.places") == 0
    # needs link stored applications and projects; claims and contributions point at each other
    assert db.scalar("SELECT count(*) FROM need_links l WHERE (l.kind = 'project' AND l.target_id NOT IN"
                     " (SELECT id FROM projects)) OR (l.kind = 'application' AND l.target_id NOT IN"
                     " (SELECT id FROM applications))") == 0
    assert db.scalar("SELECT count(*) FROM need_events e LEFT JOIN community_needs n ON n.id = e.need_id"
                     " WHERE n.id IS NULL OR e.changed_on < n.surveyed_on") == 0
    assert db.scalar("SELECT count(*) FROM claim_items i JOIN partner_contributions c ON c.id = i.contribution_id"
                     " WHERE i.status = 'done' AND c.claim_id = i.id AND c.amount = i.pledged_amount") == db.scalar(
        "SELECT count(*) FROM claim_items WHERE status = 'done'")
    assert db.scalar("SELECT count(*) FROM partner_contributions c LEFT JOIN partners p ON p.id = c.partner_id"
                     " WHERE p.id IS NULL OR c.contributed_on > ?", [TODAY]) == 0
    assert db.scalar("SELECT count(*) FROM partner_contributions WHERE kind = '资金' AND amount IS NULL") == 0


def test_surveys_people_and_publicity_follow_the_rules_of_the_app(bench_db):
    """The later parts of issue 18 at scale 1: responses only for closed projects, inside the project's last two
    months, every required question answered (a scale 1-5, a yes/no 0/1); named people enrolled once and attending
    only their project's activities, once each, nothing personal kept without consent; the seed's publicity figures,
    media reports on news channels with their level, posts inside the project's period."""
    from schemas.survey import STANDARD_QUESTIONS

    _, db = bench_db
    assert db.scalar("SELECT count(*) FROM surveys") == 1
    assert db.scalar("SELECT count(*) FROM survey_questions") == len(STANDARD_QUESTIONS)
    assert db.scalar("SELECT count(*) FROM survey_responses r JOIN projects p ON p.id = r.project_id"
                     " WHERE p.state <> 'closed' OR r.response_date > p.end_date"
                     " OR r.response_date < p.end_date - INTERVAL 60 DAY OR r.response_date > ?", [TODAY]) == 0
    required = sum(1 for q in STANDARD_QUESTIONS if q[3])
    assert db.scalar("SELECT count(*) FROM survey_responses r WHERE (SELECT count(*) FROM survey_answers a"
                     " JOIN survey_questions q ON q.id = a.question_id WHERE a.response_id = r.id AND q.required)"
                     " <> ?", [required]) == 0
    assert db.scalar("SELECT count(*) FROM survey_answers a JOIN survey_questions q ON q.id = a.question_id"
                     " WHERE (q.kind = '满意度(1–5分)' AND a.score NOT BETWEEN 1 AND 5)"
                     " OR (q.kind = '是否' AND a.score NOT IN (0, 1)) OR (q.kind = '文本' AND a.answer_text IS NULL)") == 0
    satisfied = db.scalar("SELECT avg(CASE WHEN a.score >= 4 THEN 1.0 ELSE 0 END) FROM survey_answers a"
                          " JOIN survey_questions q ON q.id = a.question_id WHERE q.kind = '满意度(1–5分)'")
    assert 0.8 <= satisfied <= 0.99
    assert db.scalar("SELECT count(*) FROM beneficiary_enrolments") == db.scalar("SELECT count(*) FROM beneficiaries") > 0
    assert db.scalar("SELECT count(*) FROM beneficiary_attendance t JOIN activities a ON a.id = t.activity_id"
                     " JOIN beneficiary_enrolments e ON e.beneficiary_id = t.beneficiary_id"
                     " WHERE e.project_id <> a.project_id") == 0
    assert db.scalar("SELECT count(*) FROM beneficiaries WHERE NOT consent AND (phone IS NOT NULL"
                     " OR id_number IS NOT NULL)") == 0
    kinds = {r["kind"]: r["n"] for r in db.fetch_all("SELECT kind, count(*) AS n FROM publicity_items GROUP BY 1")}
    assert kinds == {"日常服务信息": 212, "品牌故事": 14, "媒体报道": 44}  # the seed: 200+ posts, 40+ media reports
    assert db.scalar("SELECT count(*) FROM publicity_items WHERE (kind = '媒体报道') <> (level IS NOT NULL)") == 0
    assert db.scalar("SELECT count(*) FROM publicity_items i JOIN projects p ON p.id = i.project_id"
                     " WHERE i.published_on < p.start_date OR i.published_on > p.end_date OR i.published_on > ?"
                     " OR i.brand_id IS DISTINCT FROM p.brand_id", [TODAY]) == 0
