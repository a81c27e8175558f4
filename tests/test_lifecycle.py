"""Lifecycle, incubation and ratings: stage changes kept as history (history row and the organisation's
stage in one unit), 入壳/出壳 decisions and their rules, ratings (five-year expiry, upgrade two years after
the last rating, the expiring list), and the coverage-gap report on a hand-built dataset."""
from __future__ import annotations

import datetime as dt

import pytest

from core.incubation import lifecycle
from core.intake import applications, workflow
from core.orgs import organisations
from core.orgs.organisations import add_years
from core.platform.actor import Actor
from core.platform.errors import PermissionDenied
from core.platform.validation import validate
from schemas.choices import INCUBATION_CRITERIA
from schemas.incubation import IncubationDecision, Rating, StageChange
from tests.test_mentoring import make_mentor, make_pairing, make_session, refused
from tests.test_rounds import ADMIN, STAFF, audit_rows, hub, last_audit_id, make_app, make_org, make_round, walk  # noqa: F401

D = dt.date
TODAY = dt.date.today()
LEADER = Actor("zhang", ("leader",))
ENTRY = INCUBATION_CRITERIA["入壳"]
EXIT = INCUBATION_CRITERIA["出壳"]


def stage(to: str, day: dt.date, reason: str = "完成登记并开展首个项目") -> dict:
    return {"to_stage": to, "changed_on": day, "reason": reason}


def decision(kind: str, day: dt.date, criteria=None, note=None) -> dict:
    return {"kind": kind, "decided_on": day, "criteria_met": list(criteria if criteria is not None else
                                                                 INCUBATION_CRITERIA[kind]), "note": note}


def rating(level: str, day: dt.date, score: float = 760, note=None) -> dict:
    return {"level": level, "score": score, "rated_on": day, "note": note}


def counts(db, *tables) -> dict[str, int]:
    return {t: int(db.scalar(f"SELECT count(*) FROM {t}")) for t in tables}


# ---- schemas ---------------------------------------------------------------------------------------

def test_stage_change_schema(hub):
    o = make_org(1)
    assert validate(StageChange, {"org_id": o, **stage("成熟期", D(2026, 1, 1))})["to_stage"] == "成熟期"
    exc = refused(lambda: validate(StageChange, {"org_id": o, "to_stage": "衰退期", "reason": "短",
                                                 "changed_on": TODAY + dt.timedelta(days=1)}))
    assert exc.fields == {"to_stage": ["请从列表中选择新的发展阶段"], "changed_on": ["变更日期不能晚于今天"],
                          "reason": ["变更依据长度应为4–500个字符"]}


def test_incubation_criteria_must_belong_to_the_decision(hub):
    o = make_org(1)
    validate(IncubationDecision, {"org_id": o, **decision("入壳", D(2026, 1, 1))})
    exc = refused(lambda: validate(IncubationDecision, {"org_id": o, **decision("入壳", D(2026, 1, 1), [ENTRY[0], EXIT[0]])}))
    assert exc.fields["criteria_met"] == ["所选标准须属于本次决定(入壳或出壳)的标准"]
    exc = refused(lambda: validate(IncubationDecision, {"org_id": o, **decision("出壳", D(2026, 1, 1), [])}))
    assert exc.fields == {"criteria_met": ["请选择符合的标准"]}


def test_a_decision_short_of_some_criteria_needs_a_reason(hub):
    o = make_org(1)
    exc = refused(lambda: validate(IncubationDecision, {"org_id": o, **decision("出壳", D(2026, 1, 1), EXIT[:3])}))
    assert exc.fields == {"note": ["未满足全部标准时,请在说明中写明仍作此决定的理由"]}
    validate(IncubationDecision, {"org_id": o, **decision("出壳", D(2026, 1, 1), EXIT[:3], note="能力评估58分,经评审会同意")})


def test_rating_schema(hub):
    o = make_org(1)
    assert validate(Rating, {"org_id": o, **rating("3A", D(2025, 5, 1), 1000)})["score"] == 1000
    exc = refused(lambda: validate(Rating, {"org_id": o, **rating("6A", TODAY + dt.timedelta(days=1), 1000.5)}))
    assert exc.fields == {"level": ["请从列表中选择评估等级"], "score": ["评估得分(满分1000)不能大于1000"],
                          "rated_on": ["评估日期不能晚于今天"]}
    assert refused(lambda: validate(Rating, {"org_id": o, **rating("3A", D(2025, 5, 1), -1)})).fields == {
        "score": ["评估得分(满分1000)不能小于0"]}


# ---- stage changes ---------------------------------------------------------------------------------

def test_a_stage_change_keeps_history_and_sets_the_stage_in_one_unit(hub):
    o = make_org(1, stage="初创期")
    before = last_audit_id(hub)
    key = lifecycle.change_stage(o, stage("成长期", D(2025, 3, 1)), STAFF)
    assert organisations.get(o)["stage"] == "成长期"
    rows = audit_rows(hub, before)
    assert [(r["table_name"], r["row_key"], r["action"], r["note"]) for r in rows] == [
        ("stage_changes", str(key), "create", None), ("organisations", str(o), "stage_change", "完成登记并开展首个项目")]
    assert len({r["logged_at"] for r in hub.fetch_all("SELECT logged_at FROM audit_log WHERE id > ?", [before])}) == 1
    lifecycle.change_stage(o, stage("成熟期", D(2026, 2, 1), "独立运作三个项目,获评3A"), STAFF)
    history = lifecycle.stage_history(o)
    assert [(r.from_stage, r.to_stage, r.changed_on.date(), r.created_by) for r in history.itertuples()] == [
        ("初创期", "成长期", D(2025, 3, 1), "wangmin"), ("成长期", "成熟期", D(2026, 2, 1), "wangmin")]
    assert organisations.get(o)["stage"] == "成熟期"


def test_stage_changes_that_are_refused_store_nothing(hub):
    o = make_org(1, stage="成长期")
    lifecycle.change_stage(o, stage("成熟期", D(2025, 6, 1)), STAFF)
    before, n = last_audit_id(hub), counts(hub, "stage_changes")
    assert refused(lambda: lifecycle.change_stage(o, stage("成熟期", D(2025, 7, 1)), STAFF)).fields == {
        "to_stage": ["该组织当前已处于「成熟期」"]}
    assert refused(lambda: lifecycle.change_stage(o, stage("成长期", D(2025, 5, 31)), STAFF)).fields == {
        "changed_on": ["变更日期不能早于上一次阶段变更(2025-06-01)"]}
    with pytest.raises(PermissionDenied):
        lifecycle.change_stage(o, stage("成长期", D(2025, 7, 1)), LEADER)
    assert last_audit_id(hub) == before and counts(hub, "stage_changes") == n
    assert organisations.get(o)["stage"] == "成熟期"
    lifecycle.change_stage(o, stage("成长期", D(2025, 6, 1), "核心成员流失,项目暂停"), STAFF)  # same day, back: fine


# ---- incubation ------------------------------------------------------------------------------------

def test_entry_then_graduation(hub):
    o = make_org(1)
    assert lifecycle.next_decision(organisations.get(o)) == "入壳"
    before = last_audit_id(hub)
    lifecycle.decide(o, decision("入壳", D(2024, 3, 1)), STAFF)
    assert [(r["table_name"], r["action"]) for r in audit_rows(hub, before)] == [
        ("incubation_decisions", "create"), ("organisations", "incubation")]
    row = organisations.get(o)
    assert (row["incubation_in"], row["incubation_out"]) == (D(2024, 3, 1), None)
    assert lifecycle.incubation_status(row) == "在孵" and lifecycle.next_decision(row) == "出壳"
    lifecycle.decide(o, decision("出壳", D(2025, 9, 30), EXIT[:3], note="能力评估58分,经评审会同意出壳"), STAFF)
    row = organisations.get(o)
    assert (row["incubation_in"], row["incubation_out"]) == (D(2024, 3, 1), D(2025, 9, 30))
    assert lifecycle.next_decision(row) is None
    d = lifecycle.decisions(o)
    assert d["kind"].tolist() == ["入壳", "出壳"]
    assert d["criteria_met"].tolist() == ["、".join(ENTRY), "、".join(EXIT[:3])]
    stored = hub.fetch_one("SELECT criteria_met FROM incubation_decisions WHERE kind = '出壳'")["criteria_met"]
    assert list(stored) == EXIT[:3]


def test_graduation_needs_a_prior_entry_and_a_later_date(hub):
    o = make_org(1)
    n = counts(hub, "incubation_decisions", "audit_log")
    assert refused(lambda: lifecycle.decide(o, decision("出壳", D(2025, 1, 1)), STAFF)).form == ["该组织尚未入壳,不能出壳"]
    lifecycle.decide(o, decision("入壳", D(2024, 3, 1)), STAFF)
    assert refused(lambda: lifecycle.decide(o, decision("出壳", D(2024, 3, 1)), STAFF)).fields == {
        "decided_on": ["出壳日期须晚于入壳日期(2024-03-01)"]}
    assert refused(lambda: lifecycle.decide(o, decision("入壳", D(2024, 4, 1)), STAFF)).form == [
        "该组织已于 2024-03-01 入壳,正在孵化中"]
    assert counts(hub, "incubation_decisions", "audit_log") == {
        "incubation_decisions": n["incubation_decisions"] + 1, "audit_log": n["audit_log"] + 2}
    lifecycle.decide(o, decision("出壳", D(2024, 3, 2)), STAFF)
    assert refused(lambda: lifecycle.decide(o, decision("出壳", D(2025, 3, 2)), STAFF)).form == ["该组织已于 2024-03-02 出壳"]
    assert refused(lambda: lifecycle.decide(o, decision("入壳", D(2025, 3, 2)), STAFF)).form == [
        "该组织已于 2024-03-02 出壳,不能再次入壳"]


def test_an_entry_recorded_in_the_registry_counts_as_prior(hub):
    o = make_org(1, incubation_in=D(2023, 5, 1))
    lifecycle.decide(o, decision("出壳", D(2025, 5, 1)), STAFF)
    assert organisations.get(o)["incubation_out"] == D(2025, 5, 1)


# ---- ratings ---------------------------------------------------------------------------------------

def test_expiry_and_upgrade_dates():
    assert lifecycle.expiry(D(2021, 6, 1)) == D(2026, 6, 1)
    assert lifecycle.expiry(D(2024, 2, 29)) == D(2029, 2, 28)
    assert lifecycle.upgrade_from(D(2024, 2, 29)) == D(2026, 2, 28)
    assert lifecycle.may_apply_for_upgrade(None, D(2026, 1, 1))
    assert not lifecycle.may_apply_for_upgrade(D(2024, 3, 2), D(2026, 3, 1))
    assert lifecycle.may_apply_for_upgrade(D(2024, 3, 1), D(2026, 3, 1))
    assert lifecycle.add_months(D(2026, 1, 31), 1) == D(2026, 2, 28)
    assert lifecycle.add_months(D(2026, 11, 28), 12) == D(2027, 11, 28)


def test_recording_a_rating_sets_the_current_rating_in_one_unit(hub):
    o = make_org(1)
    before = last_audit_id(hub)
    key = lifecycle.record_rating(o, rating("3A", D(2024, 2, 29), 736), STAFF)
    assert hub.fetch_one("SELECT level, score, rated_on, expires_on FROM ratings WHERE id = ?", [key]) == {
        "level": "3A", "score": 736.0, "rated_on": D(2024, 2, 29), "expires_on": D(2029, 2, 28)}
    row = organisations.get(o)
    assert (row["rating"], row["rating_date"], row["rating_expiry"]) == ("3A", D(2024, 2, 29), D(2029, 2, 28))
    rows = audit_rows(hub, before)
    assert [(r["table_name"], r["action"], r["note"]) for r in rows] == [
        ("ratings", "create", None), ("organisations", "rating", "等级评估:3A(736分)")]
    assert len({r["logged_at"] for r in hub.fetch_all("SELECT logged_at FROM audit_log WHERE id > ?", [before])}) == 1
    s = lifecycle.status(row, D(2026, 2, 27))
    assert (s["rating_valid"], s["upgrade_from"], s["may_apply_for_upgrade"]) == (True, D(2026, 2, 28), False)
    assert lifecycle.status(row, D(2029, 3, 1))["rating_valid"] is False


def test_an_upgrade_waits_two_years_after_the_last_rating(hub):
    o = make_org(1)
    last = add_years(TODAY, -2) + dt.timedelta(days=1)  # two years ago tomorrow: not yet
    lifecycle.record_rating(o, rating("3A", last), STAFF)
    n = counts(hub, "ratings", "audit_log")
    exc = refused(lambda: lifecycle.record_rating(o, rating("4A", TODAY, 820), STAFF))
    assert exc.fields == {"level": [f"上次评估为3A({last}),满2年后({add_years(last, 2)}起)方可申请晋级"]}
    assert counts(hub, "ratings", "audit_log") == n and organisations.get(o)["rating"] == "3A"
    lifecycle.record_rating(o, rating("2A", TODAY, 640), STAFF)  # a lower (or the same) level is no upgrade
    assert organisations.get(o)["rating"] == "2A"


def test_an_upgrade_two_years_after_is_recorded(hub):
    o = make_org(1, rating="3A", rating_date=add_years(TODAY, -2))  # rated in the registry, exactly two years ago
    lifecycle.record_rating(o, rating("4A", TODAY, 830), STAFF)
    row = organisations.get(o)
    assert (row["rating"], row["rating_date"], row["rating_expiry"]) == ("4A", TODAY, add_years(TODAY, 5))


def test_ratings_are_recorded_in_date_order_once_a_day(hub):
    o = make_org(1)
    lifecycle.record_rating(o, rating("3A", D(2025, 5, 1)), STAFF)
    assert refused(lambda: lifecycle.record_rating(o, rating("3A", D(2025, 4, 30)), STAFF)).fields == {
        "rated_on": ["评估日期不能早于该组织当前等级的评估日期(2025-05-01)"]}
    assert refused(lambda: lifecycle.record_rating(o, rating("2A", D(2025, 5, 1)), STAFF)).fields == {
        "rated_on": ["该组织在 2025-05-01 已登记过评估结果"]}
    assert lifecycle.ratings(o)["level"].tolist() == ["3A"]


def test_the_expiring_list_covers_the_next_twelve_months(hub):
    day = D(2026, 6, 1)
    rated = {"今天到期": D(2021, 6, 1), "明天到期": D(2021, 6, 2), "十二个月后到期": D(2022, 6, 1),
             "十二个月又一天": D(2022, 6, 2), "昨天已过期": D(2021, 5, 31)}
    for i, (name, when) in enumerate(rated.items(), start=1):
        make_org(i, name=f"测试组织{name}", rating="3A", rating_date=when)
    make_org(9, name="测试组织已注销", rating="4A", rating_date=D(2021, 12, 1), active=False)
    make_org(10, name="测试组织未评级")
    df = lifecycle.expiring(today=day)
    assert list(zip(df["name"], df["rating_expiry"].dt.date, df["days_left"])) == [
        ("测试组织今天到期", D(2026, 6, 1), 0), ("测试组织明天到期", D(2026, 6, 2), 1),
        ("测试组织十二个月后到期", D(2027, 6, 1), 365)]
    cur = lifecycle.current_ratings(today=day).set_index("name")
    assert len(cur) == 5  # active, rated
    assert cur.loc["测试组织昨天已过期", "validity"] == "已过期" and cur.loc["测试组织今天到期", "validity"] == "有效"
    assert cur.loc["测试组织十二个月后到期", "upgrade_from"].date() == D(2024, 6, 1)
    assert set(cur["upgrade"]) == {"可申请"}
    assert lifecycle.current_ratings(today=D(2024, 5, 31)).set_index("name").loc["测试组织十二个月后到期", "upgrade"] == "未满2年"


# ---- the coverage-gap report -----------------------------------------------------------------------

def _training(db, day: dt.date, attendees: list[tuple[int, str]]) -> None:
    """Trainings belong to the capability module: rows are written directly here."""
    with db.transaction() as tx:
        tid = tx.fetch_one("INSERT INTO trainings (title, kind, topic, training_date) VALUES (?, '线下培训', '财税管理', ?)"
                           " RETURNING id", [f"培训{day}", day])["id"]
        for org_id, person in attendees:
            tx.execute("INSERT INTO training_attendance (training_id, org_id, person) VALUES (?, ?, ?)",
                       [tid, org_id, person])


def _funded(rid: int, org_id: int, amount: float, final: str = "funded", serial: int = 0) -> int:
    app = make_app(rid, org_id, submit=True, title=f"测试资助项目第{serial}号")
    walk(app, "screening", "eligible", "under_review", "reviewed", "recommended")
    workflow.move(applications.APPLICATION, app, "public_notice", ADMIN, system={"granted_amount": amount})
    if final == "funded":
        workflow.move(applications.APPLICATION, app, "funded", ADMIN)
    return app


@pytest.fixture
def coverage_data(hub):
    """Six organisations; support given in 2026 (the round's projects start on 2026-06-01).

    o1 初创期 -> 成长期 on 2026-03-01: a 3h session and two trainees before, a 2h session after;
    o2 成长期: a 1.5h session, one trainee, a funded project of 50,000;
    o3 成熟期: one trainee, a project in public notice with 30,000;
    o4 零基础筹备期: nothing; o5 初创期: an application that was not funded;
    o6 成熟期 but deregistered: a 4h session (counted in its stage, not among the organisations)."""
    o = {i: make_org(i, stage=s) for i, s in ((1, "初创期"), (2, "成长期"), (3, "成熟期"), (4, "零基础筹备期"),
                                              (5, "初创期"), (6, "成熟期"))}
    lifecycle.change_stage(o[1], stage("成长期", D(2026, 3, 1)), STAFF)
    organisations.update(o[6], {"active": False}, STAFF)
    m = make_mentor()
    p1 = make_pairing(m, o[1], D(2026, 1, 1))
    p2 = make_pairing(m, o[2], D(2026, 1, 1))
    p6 = make_pairing(m, o[6], D(2026, 1, 1))
    make_session(p1, D(2026, 2, 1), hours=3)
    make_session(p1, D(2026, 4, 1), hours=2)
    make_session(p2, D(2026, 2, 10), hours=1.5)
    make_session(p6, D(2026, 2, 20), hours=4)
    _training(hub, D(2026, 1, 15), [(o[1], "王芳"), (o[1], "李娜")])
    _training(hub, D(2026, 5, 20), [(o[2], "张伟"), (o[3], "刘洋")])
    rid = make_round()
    _funded(rid, o[2], 50000, serial=2)
    _funded(rid, o[3], 30000, final="public_notice", serial=3)
    make_app(rid, o[5], submit=True, title="未获资助的测试项目")
    return {"db": hub, "orgs": o}


COLUMNS = ["stage", "orgs", "supported_orgs", "mentoring_hours", "training_person_times", "granted", "gaps"]


def test_coverage_per_stage_on_a_hand_built_dataset(coverage_data):
    df = lifecycle.coverage()
    assert list(df.columns) == ["stage", "orgs", "supported_orgs", "mentoring_hours", "training_person_times",
                                "granted", "hours_share", "persons_share", "granted_share", "gaps"]
    assert df[COLUMNS].values.tolist() == [
        ["零基础筹备期", 1, 0, 0.0, 0, 0.0, "无一对一辅导、无培训、无资助"],
        ["初创期", 1, 1, 3.0, 2, 0.0, "无资助"],          # o5 now; o1's support before its change
        ["成长期", 2, 2, 3.5, 1, 50000.0, ""],            # o1 (now) and o2; o1's 2h after the change
        ["成熟期", 1, 2, 4.0, 1, 30000.0, ""],            # o3 only: o6 is deregistered, its session still counts
    ]
    assert df["hours_share"].tolist() == [0.0, 28.6, 33.3, 38.1]      # of 10.5 hours
    assert df["persons_share"].tolist() == [0.0, 50.0, 25.0, 25.0]    # of 4 person-times
    assert df["granted_share"].tolist() == [0.0, 0.0, 62.5, 37.5]     # of 80,000


def test_coverage_limited_to_a_period(coverage_data):
    df = lifecycle.coverage(D(2026, 3, 1), D(2026, 12, 31))
    assert df[COLUMNS].values.tolist() == [
        ["零基础筹备期", 1, 0, 0.0, 0, 0.0, "无一对一辅导、无培训、无资助"],
        ["初创期", 1, 0, 0.0, 0, 0.0, "无一对一辅导、无培训、无资助"],
        ["成长期", 2, 2, 2.0, 1, 50000.0, ""],
        ["成熟期", 1, 1, 0.0, 1, 30000.0, "无一对一辅导"],
    ]


def test_support_before_the_first_recorded_change_counts_in_the_stage_it_left(coverage_data):
    o = coverage_data["orgs"]
    lifecycle.change_stage(o[2], stage("成熟期", D(2026, 7, 1)), STAFF)  # after its session, training and grant
    df = lifecycle.coverage().set_index("stage")
    assert (df.loc["成长期", "mentoring_hours"], df.loc["成长期", "granted"], df.loc["成长期", "orgs"]) == (3.5, 50000.0, 1)
    assert df.loc["成熟期", "orgs"] == 2
