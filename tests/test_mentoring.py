"""一对一孵化指导: the schemas' rules, mentors and pairings, a session with its agreed actions in one audited
unit, the follow-up status maths (open / done / overdue), marking an action done, and mentoring as a
source of conflicts of interest for expert review (planning and manual assignment).

Also the small builders the lifecycle and screen tests share (a mentor, a pairing, a session)."""
from __future__ import annotations

import datetime as dt

import pytest

from core.incubation import mentoring
from core.platform.actor import Actor
from core.review import assignment, reviewers
from core.platform.errors import PermissionDenied, ValidationFailed
from core.orgs.organisations import add_years
from core.platform.validation import validate
from schemas.incubation import Mentor, MentoringAction, MentoringSession, Pairing
from tests.test_reviews import experts, in_review, org_of
from tests.test_rounds import STAFF, audit_rows, hub, last_audit_id, make_org, make_round  # noqa: F401

D = dt.date
TODAY = dt.date.today()
LEADER = Actor("zhang", ("leader",))


# ---- shared builders -------------------------------------------------------------------------------

def mentor_values(**overrides) -> dict:
    values = {"name": "周慧", "speciality": "公益领域专家", "username": None, "employer": "浙江工商大学",
              "phone": "13905710000", "active": True, "notes": None}
    values.update(overrides)
    return values


def make_mentor(**overrides) -> int:
    return mentoring.add_mentor(mentor_values(**overrides), STAFF)


def make_pairing(mentor_id: int, org_id: int, start: dt.date, end: dt.date | None = None) -> int:
    return mentoring.add_pairing({"mentor_id": mentor_id, "org_id": org_id, "start_date": start, "end_date": end},
                                 STAFF)


def session_values(pairing_id: int, day: dt.date, **overrides) -> dict:
    values = {"pairing_id": pairing_id, "session_date": day, "hours": 2.0, "module": "项目策划设计", "form": "面谈",
              "findings": "项目目标过于宽泛,建议聚焦独居老人助餐。"}
    values.update(overrides)
    return values


def make_session(pairing_id: int, day: dt.date, actions=(), **overrides) -> int:
    return mentoring.record_session(session_values(pairing_id, day, **overrides), list(actions), STAFF)


def action(text: str = "修改项目书的目标和指标", owner: str = "组织负责人王芳", due: dt.date | str | None = None) -> dict:
    return {"action": text, "owner": owner, "due_date": due}


@pytest.fixture
def paired(hub):
    """One mentor paired since 2026-01-05 with one organisation."""
    org = make_org(1)
    m = make_mentor()
    p = make_pairing(m, org, D(2026, 1, 5))
    return {"db": hub, "org": org, "mentor": m, "pairing": p}


def refused(fn) -> ValidationFailed:
    with pytest.raises(ValidationFailed) as info:
        fn()
    return info.value


# ---- schemas ---------------------------------------------------------------------------------------

def test_mentor_schema_requires_name_and_speciality_and_normalises_the_phone(hub):
    assert validate(Mentor, mentor_values(phone="13905710000"))["phone"] == "139 0571 0000"
    exc = refused(lambda: validate(Mentor, mentor_values(name=" ", speciality="心理咨询师", phone="12345")))
    assert exc.fields == {"name": ["请填写导师姓名"], "speciality": ["请从列表中选择专长"],
                          "phone": ["联系电话无效:请填写中国大陆手机号(11位)或带区号的固定电话"]}


def test_mentor_account_must_be_an_active_reviewer(hub):
    experts(1)
    assert validate(Mentor, mentor_values(username="expert01"))["username"] == "expert01"
    assert refused(lambda: validate(Mentor, mentor_values(username="nobody"))).fields == {
        "username": ["请从列表中选择评审专家账号"]}


def test_pairing_end_may_not_precede_its_start(hub):
    org, m = make_org(1), make_mentor()
    values = {"mentor_id": m, "org_id": org, "start_date": D(2026, 3, 1), "end_date": D(2026, 2, 28)}
    assert refused(lambda: validate(Pairing, values)).fields == {"end_date": ["结对结束日期不能早于开始日期"]}
    validate(Pairing, dict(values, end_date=D(2026, 3, 1)))  # the same day is fine
    validate(Pairing, dict(values, end_date=None))  # still running


def test_session_schema_checks_hours_module_form_and_date(paired):
    good = session_values(paired["pairing"], D(2026, 2, 1))
    assert validate(MentoringSession, good)["hours"] == 2.0
    exc = refused(lambda: validate(MentoringSession, dict(good, hours=0, module="心理辅导", form="电话",
                                                          session_date=TODAY + dt.timedelta(days=1), findings="")))
    assert exc.fields == {"hours": ["辅导时长(小时)必须大于0"], "module": ["请从列表中选择辅导模块"],
                          "form": ["请从列表中选择辅导形式"], "session_date": ["辅导日期不能晚于今天"],
                          "findings": ["请填写发现的问题与建议"]}
    assert refused(lambda: validate(MentoringSession, dict(good, hours=25))).fields == {
        "hours": ["辅导时长(小时)不能大于24"]}


def test_action_schema(hub):
    assert validate(MentoringAction, action(due="2026-03-01"))["due_date"] == D(2026, 3, 1)
    exc = refused(lambda: validate(MentoringAction, action(owner="", due="下个月")))
    assert exc.fields == {"owner": ["请填写负责人"], "due_date": ["完成期限格式不正确"]}


# ---- mentors and pairings --------------------------------------------------------------------------

def test_add_mentor_is_audited_and_one_account_links_one_mentor(hub):
    experts(1)
    before = last_audit_id(hub)
    m = make_mentor(username="expert01")
    assert [(r["table_name"], r["row_key"], r["action"]) for r in audit_rows(hub, before)] == [
        ("mentors", str(m), "create")]
    exc = refused(lambda: make_mentor(name="孙强", username="expert01"))
    assert exc.fields == {"username": [f"该评审专家账号已关联导师「周慧」(编号 {m})"]}
    make_mentor(name="孙强")  # no account: fine


def test_only_staff_write_mentoring(hub):
    with pytest.raises(PermissionDenied):
        mentoring.add_mentor(mentor_values(), LEADER)
    assert hub.scalar("SELECT count(*) FROM mentors") == 0


def test_an_inactive_mentor_gets_no_new_pairing(hub):
    org, m = make_org(1), make_mentor()
    mentoring.update_mentor(m, {"active": False}, STAFF)
    exc = refused(lambda: make_pairing(m, org, D(2026, 1, 1)))
    assert exc.fields == {"mentor_id": ["请从列表中选择导师"]}


def test_overlapping_pairings_of_the_same_two_are_refused(paired):
    m, org, p = paired["mentor"], paired["org"], paired["pairing"]
    exc = refused(lambda: make_pairing(m, org, D(2026, 6, 1)))
    assert exc.fields == {"start_date": [f"该导师与该组织已有时间重叠的结对(编号 {p},2026-01-05 至 今)"]}
    # another organisation, or the same one before the pairing began, is fine
    make_pairing(m, make_org(2), D(2026, 6, 1))
    make_pairing(m, org, D(2025, 1, 1), D(2025, 12, 31))


def test_end_pairing_checks_its_dates(paired):
    p = paired["pairing"]
    make_session(p, D(2026, 3, 10))
    assert refused(lambda: mentoring.end_pairing(p, D(2026, 1, 4), STAFF)).fields == {
        "end_date": ["结对结束日期不能早于开始日期(2026-01-05)"]}
    assert refused(lambda: mentoring.end_pairing(p, D(2026, 3, 9), STAFF)).fields == {
        "end_date": ["结对结束日期不能早于最近一次辅导(2026-03-10)"]}
    mentoring.end_pairing(p, D(2026, 6, 30), STAFF)
    assert mentoring.get_pairing(p)["end_date"] == D(2026, 6, 30)
    assert refused(lambda: mentoring.end_pairing(p, D(2026, 7, 1), STAFF)).form == ["该结对已于 2026-06-30 结束"]


# ---- sessions with agreed actions ------------------------------------------------------------------

def test_a_session_and_its_actions_are_written_in_one_audited_unit(paired):
    db, p = paired["db"], paired["pairing"]
    before = last_audit_id(db)
    sid = make_session(p, D(2026, 2, 3), [action(due="2026-02-20"), action("整理财务凭证", "出纳李娜", "2026-03-01"),
                                          {"action": None, "owner": "", "due_date": None}])  # an empty row is ignored
    rows = audit_rows(db, before)
    assert [(r["table_name"], r["action"]) for r in rows] == [
        ("mentoring_sessions", "create"), ("mentoring_actions", "create"), ("mentoring_actions", "create")]
    assert len({r["logged_at"] for r in db.fetch_all("SELECT logged_at FROM audit_log WHERE id > ?", [before])}) == 1
    stored = db.fetch_all("SELECT action, owner, due_date, status, done_date FROM mentoring_actions"
                          " WHERE session_id = ? ORDER BY id", [sid])
    assert stored == [
        {"action": "修改项目书的目标和指标", "owner": "组织负责人王芳", "due_date": D(2026, 2, 20), "status": "open",
         "done_date": None},
        {"action": "整理财务凭证", "owner": "出纳李娜", "due_date": D(2026, 3, 1), "status": "open", "done_date": None}]
    s = mentoring.sessions(paired["org"]).iloc[0]
    assert (s["id"], s["module"], s["form"], s["hours"], s["actions"]) == (sid, "项目策划设计", "面谈", 2.0, 2)


def test_every_problem_of_a_session_is_reported_at_once_and_nothing_is_stored(paired):
    db, p = paired["db"], paired["pairing"]
    before = last_audit_id(db)
    exc = refused(lambda: make_session(p, D(2026, 2, 3), [action(owner=""), action(due="2026-02-01")], hours=-1))
    assert exc.fields == {"hours": ["辅导时长(小时)必须大于0"], "actions": ["待办事项第1行:请填写负责人",
                                                                      "待办事项第1行:请选择完成期限"]}
    exc = refused(lambda: make_session(p, D(2026, 2, 3), [action(due="2026-02-10"), action(due="2026-02-01")]))
    assert exc.fields == {"actions": ["待办事项第2行:完成期限 2026-02-01 早于辅导日期 2026-02-03"]}
    assert db.scalar("SELECT count(*) FROM mentoring_sessions") == 0
    assert db.scalar("SELECT count(*) FROM mentoring_actions") == 0
    assert last_audit_id(db) == before


def test_a_session_must_fall_within_its_pairing(paired):
    p = paired["pairing"]
    exc = refused(lambda: make_session(p, D(2026, 1, 4)))
    assert exc.fields == {"session_date": ["辅导日期 2026-01-04 早于结对开始日期 2026-01-05"]}
    mentoring.end_pairing(p, D(2026, 5, 31), STAFF)
    exc = refused(lambda: make_session(p, D(2026, 6, 1)))
    assert exc.fields == {"session_date": ["辅导日期 2026-06-01 晚于结对结束日期 2026-05-31"]}
    make_session(p, D(2026, 5, 31))


# ---- follow-up status ------------------------------------------------------------------------------

@pytest.mark.parametrize("status,due,expected", [
    ("open", D(2026, 3, 2), "open"),      # due tomorrow
    ("open", D(2026, 3, 1), "open"),      # due today: not yet overdue
    ("open", D(2026, 2, 28), "overdue"),  # due yesterday
    ("done", D(2026, 1, 1), "done"),      # done, however late
    ("done", D(2026, 12, 1), "done"),
])
def test_follow_up_status(status, due, expected):
    assert mentoring.follow_up(status, due, D(2026, 3, 1)) == expected


def test_the_follow_up_list_agrees_with_the_rule(paired):
    p = paired["pairing"]
    make_session(p, D(2026, 2, 1), [action("完善章程", due="2026-02-28"), action("建立台账", due="2026-03-01"),
                                    action("招募志愿者", due="2026-03-02")])
    day = D(2026, 3, 1)
    df = mentoring.actions(today=day)
    assert list(zip(df["action"], df["follow_up"])) == [("完善章程", "overdue"), ("建立台账", "open"),
                                                            ("招募志愿者", "open")]
    assert mentoring.follow_up_counts(today=day) == {"open": 2, "overdue": 1, "done": 0}
    assert list(mentoring.actions(statuses=["overdue"], today=day)["action"]) == ["完善章程"]
    assert list(mentoring.actions(statuses=["open", "done"], today=day, org_id=paired["org"])["action"]) == ["建立台账", "招募志愿者"]
    assert mentoring.actions(org_id=make_org(2), today=day).empty
    for r in df.itertuples():
        assert r.follow_up == mentoring.follow_up("open", r.due_date.date(), day)


def test_mark_done_closes_an_overdue_action(paired):
    db, p = paired["db"], paired["pairing"]
    make_session(p, D(2026, 2, 1), [action("完善章程", due="2026-02-10")])
    aid = int(db.scalar("SELECT id FROM mentoring_actions"))
    assert mentoring.actions(today=D(2026, 3, 1))["follow_up"].tolist() == ["overdue"]
    assert refused(lambda: mentoring.mark_done(aid, D(2026, 1, 31), STAFF)).fields == {
        "done_date": ["完成日期不能早于辅导日期(2026-02-01)"]}
    assert refused(lambda: mentoring.mark_done(aid, TODAY + dt.timedelta(days=1), STAFF)).fields == {
        "done_date": ["完成日期不能晚于今天"]}
    before = last_audit_id(db)
    mentoring.mark_done(aid, D(2026, 3, 5), STAFF)
    assert db.fetch_one("SELECT status, done_date FROM mentoring_actions WHERE id = ?", [aid]) == {
        "status": "done", "done_date": D(2026, 3, 5)}
    assert [(r["table_name"], r["action"]) for r in audit_rows(db, before)] == [("mentoring_actions", "mark_done")]
    assert mentoring.actions(today=D(2026, 3, 6))["follow_up"].tolist() == ["done"]
    assert refused(lambda: mentoring.mark_done(aid, D(2026, 3, 6), STAFF)).form == ["该待办事项已于 2026-03-05 完成"]


# ---- conflicts of interest -------------------------------------------------------------------------

def test_mentoring_is_registered_as_a_conflict_source():
    assert mentoring._conflict_source in reviewers.CONFLICT_SOURCES
    assert sum(getattr(s, "__module__", "") == "core.incubation.mentoring" for s in reviewers.CONFLICT_SOURCES) == 1
    assert mentoring._conflict_source.pairs is mentoring._conflict_pairs


def test_conflict_reasons_and_the_two_year_boundary(hub):
    experts(2)
    org = make_org(1)
    m = make_mentor(username="expert01")
    p = make_pairing(m, org, D(2023, 3, 1))
    make_session(p, D(2024, 5, 6))
    mentoring.end_pairing(p, D(2024, 6, 30), STAFF)
    # the pairing ended 2024-06-30: conflicted up to and including 2026-06-30, not after
    assert mentoring.conflicts("expert01", org, D(2026, 6, 30)) == [
        "近2年为该组织的辅导导师:导师结对(2023-03-01 至 2024-06-30)"]
    assert mentoring.conflicts("expert01", org, D(2026, 7, 1)) == []
    assert mentoring.conflicts("expert01", org, D(2026, 5, 6)) == [
        "近2年为该组织的辅导导师:导师结对(2023-03-01 至 2024-06-30)、一对一辅导(最近一次 2024-05-06)"]
    assert mentoring.conflicts("expert02", org, D(2026, 5, 6)) == []  # not that reviewer's mentor
    assert mentoring.conflicts("expert01", make_org(2), D(2026, 5, 6)) == []
    assert reviewers.conflicts("expert01", org, D(2026, 6, 30)) == [
        "近2年为该组织的辅导导师:导师结对(2023-03-01 至 2024-06-30)"]
    assert mentoring._conflict_pairs(hub, D(2026, 6, 30)) == {("expert01", org)}
    assert mentoring._conflict_pairs(hub, D(2026, 7, 1)) == set()


def test_a_pairing_agreed_for_later_already_conflicts(hub):
    experts(1)
    org = make_org(1)
    make_pairing(make_mentor(username="expert01"), org, TODAY + dt.timedelta(days=30))
    assert mentoring._conflict_pairs(hub) == {("expert01", org)}


@pytest.fixture
def review_round(hub):
    """reviewers_per_app = 2; one application under review; three reviewers; expert01 mentors the applicant."""
    rid = make_round(reviewers_per_app=2)
    app = in_review(rid, 1)
    experts(3)
    return {"db": hub, "round": rid, "app": app, "org": org_of(hub, app)}


def test_a_recent_mentor_is_never_planned_nor_assigned(review_round):
    rid, app, org = review_round["round"], review_round["app"], review_round["org"]
    p = make_pairing(make_mentor(username="expert01"), org, add_years(TODAY, -3))
    mentoring.end_pairing(p, add_years(TODAY, -2), STAFF)  # ended exactly two years ago: still conflicted
    plan = assignment.plan_round(rid)
    assert sorted(plan.pairs) == [(app, "expert02"), (app, "expert03")]
    assert ("expert01", org) in reviewers.conflict_pairs()
    exc = refused(lambda: assignment.assign(app, "expert01", STAFF))
    from core.platform import users

    name = users.get("expert01")["name"]  # the expert by name, never by account
    assert exc.form == [f"{name}与申报组织有利益冲突:近2年为该组织的辅导导师:导师结对"
                        f"({add_years(TODAY, -3)} 至 {add_years(TODAY, -2)})"]
    exc = refused(lambda: assignment.confirm_plan(rid, [(app, "expert01")], STAFF))
    assert exc.form[0].startswith(f"{name}与申报组织有利益冲突:近2年为该组织的辅导导师")
    assert review_round["db"].scalar("SELECT count(*) FROM assignments") == 0


def test_a_mentor_of_more_than_two_years_ago_may_review(review_round):
    rid, app, org = review_round["round"], review_round["app"], review_round["org"]
    p = make_pairing(make_mentor(username="expert01"), org, add_years(TODAY, -4))
    mentoring.end_pairing(p, add_years(TODAY, -2) - dt.timedelta(days=1), STAFF)
    assert ("expert01", org) not in reviewers.conflict_pairs()
    plan = assignment.plan_round(rid)
    assert len(plan.pairs) == 2 and plan.shortfalls == []
    assert assignment.assign(app, "expert01", STAFF)


def test_a_mentor_without_a_reviewer_account_conflicts_with_nobody(review_round):
    make_pairing(make_mentor(), review_round["org"], D(2026, 1, 1))
    assert reviewers.conflict_pairs() == set()
