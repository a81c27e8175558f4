"""Dates that fit their context (issue 14): every date field has a sane range, and each schema declares the
limits a date takes from its record's context (the project's period, the signing date, the organisation's
registration, the notice's publication, the round's year, today). Each refusal names both dates, in
Chinese, and writes nothing; the boundary (the same day) is accepted."""
from __future__ import annotations

import calendar
import datetime as dt
import inspect

import pandas as pd
import pandera.pandas as pa
import pytest
from pandera.typing.pandas import Series

from core.incubation import lifecycle, trainings as T
from core.intake import rounds
from core.monitoring import money, projects, risks
from core.platform import records
from core.platform.errors import ValidationFailed
from core.review import decisions
from schemas import application, base, capability, idea, incubation, monitoring, organisation, review, round, user
from schemas.base import FormSchema, field_specs
from schemas.choices import INCUBATION_CRITERIA
from tests.monitoring_fixtures import ADMIN, STAFF, agreement, funded_app, hub, signed_project  # noqa: F401
from tests.test_rounds import make_org, make_round, round_values

D = dt.date
TODAY = dt.date.today()


def add_months(day: dt.date, months: int) -> dt.date:
    m = day.month - 1 + months
    year, month = day.year + m // 12, m % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


RANGE = f"应在1949-10-01至{add_months(TODAY, 60).isoformat()}之间,请核对年份"  # today + 5 years


def state(db) -> dict:
    """Every table a refused write could touch, and the audit log."""
    tables = ("rounds", "round_quotas", "projects", "project_milestones", "tranches", "expenses", "evaluations",
              "objections", "ratings", "incubation_decisions", "organisations", "training_attendance", "risk_acks",
              "project_events")
    out = {t: db.fetch_all(f"SELECT * FROM {t} ORDER BY 1") for t in tables}
    out["audit_log"] = int(db.scalar("SELECT count(*) FROM audit_log"))
    return out


def refused(db, fn) -> ValidationFailed:
    before = state(db)
    with pytest.raises(ValidationFailed) as info:
        fn()
    assert state(db) == before
    return info.value


@pytest.fixture
def pid(hub):
    """A signed project of the 2026 round: signed and started 2026-06-01, ends 2027-03-31."""
    p = signed_project(1, round_id=make_round(total_budget=1_000_000))
    row = projects.get(p)
    assert (row["agreement_date"], row["start_date"], row["end_date"]) == (D(2026, 6, 1), D(2026, 6, 1), D(2027, 3, 31))
    return p


def expense(day, voucher="PZ-001") -> dict:
    return {"expense_date": day, "line": "budget_personnel", "amount": 100.0, "description": "助餐服务人员劳务费",
            "voucher_no": voucher, "over_reason": None}


def first_tranche(p: int) -> int:
    return int(money.tranches(p).set_index("seq").loc[1, "id"])


# ---- the project's records -----------------------------------------------------------------------------

def test_an_expense_before_the_agreement_starts_is_refused_naming_both_dates(hub, pid):
    exc = refused(hub, lambda: money.add_expense(pid, expense(D(2001, 3, 1)), STAFF))
    assert exc.fields == {"expense_date": ["支出日期 2001-03-01 早于协议开始日期 2026-06-01"]}
    money.add_expense(pid, expense(D(2026, 6, 1)), STAFF)  # the first day of the period is fine
    assert hub.scalar("SELECT count(*) FROM expenses WHERE project_id = ?", [pid]) == 1


def test_a_tranche_released_before_signing_is_refused(hub, pid):
    values = {"released_on": D(1990, 1, 1), "released_amount": 20000, "approver": "陈主任", "note": None}
    exc = refused(hub, lambda: money.release(first_tranche(pid), values, STAFF))
    assert exc.fields == {"released_on": ["拨付日期 1990-01-01 早于签约日期 2026-06-01"]}
    money.release(first_tranche(pid), {**values, "released_on": D(2026, 6, 1)}, STAFF)  # on the signing day
    assert hub.scalar("SELECT released_on FROM tranches WHERE id = ?", [first_tranche(pid)]) == D(2026, 6, 1)


def test_milestones_fall_within_the_agreement(hub, pid):
    stone = {"due_date": D(2099, 1, 1), "deliverable": "结项报告", "done_on": None, "note": None}
    assert refused(hub, lambda: projects.add_milestone(pid, stone, STAFF)).fields == {"due_date": ["计划日期" + RANGE]}
    exc = refused(hub, lambda: projects.add_milestone(pid, {**stone, "due_date": D(2028, 1, 1)}, STAFF))
    assert exc.fields == {"due_date": ["计划日期 2028-01-01 晚于协议执行结束日期 2027-03-31"]}
    exc = refused(hub, lambda: projects.add_milestone(pid, {**stone, "due_date": D(2026, 9, 1),
                                                            "done_on": D(1990, 1, 1)}, STAFF))
    assert exc.fields == {"done_on": ["完成日期 1990-01-01 早于签约日期 2026-06-01"]}
    mid = projects.add_milestone(pid, {**stone, "due_date": D(2027, 3, 31), "done_on": D(2026, 6, 1)}, STAFF)
    exc = refused(hub, lambda: projects.update_milestone(mid, {"done_on": D(2026, 5, 31)}, STAFF))
    assert exc.fields == {"done_on": ["完成日期 2026-05-31 早于签约日期 2026-06-01"]}


def test_an_agreement_period_far_from_its_round_is_refused(hub):
    app_id = funded_app(1, round_id=make_round(total_budget=1_000_000))
    far = agreement(app_id, agreement_date=D(2030, 1, 1), start_date=D(2090, 1, 1), end_date=D(2100, 1, 1),
                    midterm_due=D(2095, 1, 1), final_due=D(2099, 1, 1))
    exc = refused(hub, lambda: projects.sign_agreement(app_id, far, STAFF))
    assert exc.fields["start_date"] == ["执行开始" + RANGE]
    near = agreement(app_id, start_date=D(2029, 1, 1), end_date=D(2029, 12, 31), midterm_due=D(2029, 6, 1),
                     final_due=D(2029, 12, 1))
    exc = refused(hub, lambda: projects.sign_agreement(app_id, near, STAFF, milestones=[]))
    assert exc.fields == {f: [f"{label} {near[f]} 晚于2026年度批次的最晚日期 2028-12-31"] for f, label in (
        ("start_date", "执行开始"), ("end_date", "执行结束"), ("midterm_due", "中期报告截止"), ("final_due", "末期报告截止"))}
    projects.sign_agreement(app_id, agreement(app_id), STAFF)
    assert hub.scalar("SELECT count(*) FROM projects") == 1


def test_an_evaluation_before_the_project_started_is_refused(hub, pid):
    from tests.test_evaluations import evaluate

    exc = refused(hub, lambda: evaluate(pid, "midterm", eval_date=D(2001, 1, 1)))
    assert exc.fields == {"eval_date": ["评估日期 2001-01-01 早于协议执行开始日期 2026-06-01"]}


def test_a_warning_is_silenced_for_at_most_six_months(hub, pid):
    ack = {"note": "已电话督促,按月跟进"}
    exc = refused(hub, lambda: risks.acknowledge(pid, "milestone_overdue", {**ack, "until": D(2262, 1, 1)}, STAFF))
    assert exc.fields == {"until": ["跟进至" + RANGE]}
    late = add_months(TODAY, 7)
    exc = refused(hub, lambda: risks.acknowledge(pid, "milestone_overdue", {**ack, "until": late}, STAFF))
    assert exc.fields == {"until": [f"跟进至 {late} 晚于最长跟进期限(今天起6个月) {add_months(TODAY, 6)}"]}
    risks.acknowledge(pid, "milestone_overdue", {**ack, "until": add_months(TODAY, 6)}, STAFF)
    assert hub.scalar("SELECT until FROM risk_acks") == add_months(TODAY, 6)


def test_year_9999_gets_the_range_message_not_a_format_one(hub, pid):
    for day in ("9999-01-01", D(9999, 12, 31), "0001-01-01"):
        exc = refused(hub, lambda: money.add_expense(pid, expense(day), STAFF))
        assert "支出日期" + RANGE in exc.fields["expense_date"]
        assert "支出日期格式不正确" not in exc.fields["expense_date"]


# ---- organisations, trainings, the notice, the round -----------------------------------------------------

def test_ratings_and_incubation_decisions_follow_the_registration(hub):
    o = make_org(1)  # registered 2020-05-12
    rating = {"level": "3A", "score": 760, "rated_on": D(1950, 1, 1), "note": None}
    exc = refused(hub, lambda: lifecycle.record_rating(o, rating, STAFF))
    assert exc.fields == {"rated_on": ["评估日期 1950-01-01 早于登记/备案日期 2020-05-12"]}
    entry = {"kind": "入壳", "decided_on": D(1950, 1, 1), "criteria_met": list(INCUBATION_CRITERIA["入壳"]),
             "note": None}
    exc = refused(hub, lambda: lifecycle.decide(o, entry, STAFF))
    assert exc.fields["decided_on"] == ["决定日期 1950-01-01 早于登记/备案日期 2020-05-12"]
    lifecycle.record_rating(o, {**rating, "rated_on": D(2020, 5, 12)}, STAFF)  # on the day of registration
    lifecycle.decide(o, {**entry, "decided_on": D(2020, 5, 12)}, STAFF)
    assert hub.fetch_one("SELECT rating_date, incubation_in FROM organisations WHERE id = ?", [o]) == {
        "rating_date": D(2020, 5, 12), "incubation_in": D(2020, 5, 12)}


def test_the_registry_keeps_entry_and_rating_after_the_registration(hub):
    from core.orgs import organisations
    from tests.test_schema_organisation import org_values, uscc_for

    values = org_values(name="下沙街道日期测试协会", uscc=uscc_for("51", 77), incubation_in=D(1950, 1, 1),
                        rating="3A", rating_date=D(1950, 6, 1))
    exc = refused(hub, lambda: organisations.create(values, STAFF))
    assert exc.fields == {"incubation_in": ["入壳日期 1950-01-01 早于登记/备案日期 2020-05-12"],
                          "rating_date": ["评估日期 1950-06-01 早于登记/备案日期 2020-05-12"]}
    oid = organisations.create({**values, "incubation_in": D(2020, 5, 12), "rating_date": D(2020, 5, 12)}, STAFF)
    assert organisations.get(oid)["incubation_in"] == D(2020, 5, 12)


def test_no_sign_in_before_the_training_takes_place(hub):
    o = make_org(1)
    ahead = TODAY + dt.timedelta(days=30)
    tid = T.create({"title": "财税管理实务", "kind": "线下培训", "topic": "财税管理", "training_date": ahead,
                    "capacity": 4}, STAFF)
    exc = refused(hub, lambda: T.add_attendance(tid, {"org_id": o, "person": "张三"}, STAFF))
    assert exc.fields == {"training_id": [f"培训日期 {ahead} 晚于今天 {TODAY}:培训举行当天或之后才能签到"]}
    today_one = T.create({"title": "财税管理实务(二)", "kind": "线下培训", "topic": "财税管理",
                          "training_date": TODAY, "capacity": 4}, STAFF)
    T.add_attendance(today_one, {"org_id": o, "person": "张三"}, STAFF)  # on the day itself
    assert hub.scalar("SELECT count(*) FROM training_attendance") == 1


def test_an_objection_is_received_after_the_notice_was_published(hub):
    rid = make_round()
    values = {"application_id": None, "received_date": D(2026, 5, 1), "content": "公示期太短", "handling": None,
              "result": None, "closed": False}
    records.update(rounds.ROUND, rid, {}, ADMIN, system={"notice_published_at": dt.datetime(2026, 5, 8, 9, 30)})
    exc = refused(hub, lambda: decisions.add_objection(rid, {**values, "received_date": D(2026, 5, 7)}, STAFF))
    assert exc.fields == {"received_date": ["收到日期 2026-05-07 早于公示发布日期 2026-05-08"]}
    oid = decisions.add_objection(rid, {**values, "received_date": D(2026, 5, 8)}, STAFF)
    exc = refused(hub, lambda: decisions.update_objection(oid, {"received_date": D(2026, 5, 2)}, STAFF))
    assert exc.fields == {"received_date": ["收到日期 2026-05-02 早于公示发布日期 2026-05-08"]}


def test_a_rounds_dates_fall_in_or_near_its_year(hub):
    exc = refused(hub, lambda: rounds.create(round_values(year=2031), ADMIN))
    assert exc.fields["apply_start"] == ["项目申报开始 2026-03-01 早于2031年度批次的最早日期 2030-01-01"]
    assert exc.fields["project_end"] == ["项目执行期结束 2027-03-31 早于2031年度批次的最早日期 2030-01-01"]
    rid = rounds.create(round_values(year=2027), ADMIN)  # 2026 dates for a 2027 round: the year before is fine
    assert rounds.get(rid)["year"] == 2027


def test_quotas_are_validated_before_they_are_added_up(hub):
    rid = make_round()
    exc = refused(hub, lambda: rounds.set_quotas(rid, {"社区治理": "abc", "一老一小": 1000}, ADMIN))
    assert exc.fields == {"quota": ["「社区治理」类别资金额度(元)格式不正确"]}
    rounds.set_quotas(rid, {"社区治理": "20000", "一老一小": 1000}, ADMIN)
    assert rounds.quotas(rid) == {"一老一小": 1000.0, "社区治理": 20000.0}


# ---- every date field has a range, and its context is declared --------------------------------------------

def _models():
    out = []
    for mod in (application, base, capability, idea, incubation, monitoring, organisation, review, round, user):
        for _, obj in inspect.getmembers(mod, inspect.isclass):
            if issubclass(obj, FormSchema) and obj is not FormSchema and obj.__module__ == mod.__name__:
                out.append(obj)
    from core.monitoring import evaluations, monitoring_policy

    out += [application.ApplicationDraft, application.screening_form_schema(["登记/备案有效"]),
            capability.assessment_schema([{"name": "治理", "indicators": [{"id": 1, "name": "章程"}]}]),
            evaluations.form_schema(monitoring_policy.policy_for(None))]
    return out


def _name(model) -> str:
    return getattr(model, "__name__", None) or model.name


# every date field of every schema and what it is checked against besides its range: (after, before)
DECLARED = {
    "Agreement.agreement_date": ("round_earliest", "round_latest"),
    "Agreement.start_date": ("round_earliest", "round_latest"),
    "Agreement.end_date": ("round_earliest", "round_latest"),
    "Agreement.midterm_due": ("round_earliest", "round_latest"),
    "Agreement.final_due": ("round_earliest", "round_latest"),
    "ProjectMilestone.due_date": ("start_date", "end_date"),
    "ProjectMilestone.done_on": ("agreement_date", ""),
    "Activity.activity_date": ("start_date", "end_date"),
    "Release.released_on": ("agreement_date", ""),
    "Expense.expense_date": ("start_date", "end_date"),
    "EvaluationBase.report_date": ("start_date", ""), "Evaluation.report_date": ("start_date", ""),
    "EvaluationBase.eval_date": ("start_date", ""), "Evaluation.eval_date": ("start_date", ""),
    "RiskAck.until": ("", "today"),
    "Milestone.due_date": ("", ""),  # the round's project period: core.intake.applications.round_problems
    "Objection.received_date": ("notice_published", ""),
    "Screening.return_due": ("", ""),
    "Training.training_date": ("", ""),
    "Assessment.assessed_on": ("", ""),
    "Pairing.start_date": ("", ""), "Pairing.end_date": ("", ""),
    "MentoringSession.session_date": ("pairing_start", "pairing_end"),
    "MentoringAction.due_date": ("session_date", ""),
    "StageChange.changed_on": ("", ""),
    "IncubationDecision.decided_on": ("reg_date", ""), "EntryForm.decided_on": ("reg_date", ""),
    "ExitForm.decided_on": ("reg_date", ""),
    "Rating.rated_on": ("reg_date", ""),
    **{f"Round.{f}": ("round_earliest", "round_latest") for f in (
        "ideas_start", "ideas_end", "apply_start", "apply_end", "screening_end", "review_start", "review_end",
        "notice_start", "notice_end", "project_start", "project_end")},
    **{f"Organisation.{f}": ("", "") for f in ("reg_date", "incubation_out", "brought_in_on")},
    "Organisation.incubation_in": ("reg_date", ""), "Organisation.rating_date": ("reg_date", ""),
}


def _keys(bounds) -> str:
    return ",".join(b.key if isinstance(b.key, str) else b.key.__name__ for b in bounds or ())


def test_every_date_field_has_a_range_and_a_declared_context():
    seen = {}
    for model in _models():
        schema = model.to_schema() if hasattr(model, "to_schema") else model
        for name, meta in field_specs(model).items():
            if meta.get("widget") != "date":
                continue
            where = f"{_name(model)}.{name}"
            checks = {c.name for c in schema.columns[name].checks}
            assert "date_range" in checks, f"{where} has no sane range"
            seen[where] = (_keys(meta.get("after")), _keys(meta.get("before")))
    # a new date field must be added here with its context (or none, said explicitly)
    for where, declared in seen.items():
        assert where in DECLARED, f"{where}: declare its context in DECLARED (and on the field)"
        assert declared == DECLARED[where], where
    assert {w for w in DECLARED if w.split(".")[0] in {n.split(".")[0] for n in seen}} <= set(seen)


def test_far_dates_are_refused_by_range_in_every_schema():
    from core.platform.validation import validate_many

    for model in _models():
        dates = [n for n, m in field_specs(model).items() if m.get("widget") == "date"]
        for name in dates:
            for day in ("9999-01-01", D(1900, 1, 1)):
                _, errors = validate_many(model, [{name: day}])
                mine = [e.message for e in errors if e.field == name]
                assert any("应在1949-10-01至" in m for m in mine), (_name(model), name, day, mine)
                assert not any("格式不正确" in m for m in mine), (_name(model), name, day, mine)


def test_the_start_up_check_names_a_date_field_without_a_range(monkeypatch):
    from core import checks
    from core.platform.entities import Entity

    class Forgotten(FormSchema):
        day: Series[pd.Timestamp] = pa.Field(nullable=True, metadata={"label": "某日期", "widget": "date"})

    monkeypatch.setattr(checks, "all_entities", lambda: [Entity(name="forgotten", table="forgotten", label="测试",
                                                                 schema=Forgotten, write_roles=("staff",))])
    assert checks._check_schemas() == [
        "schema.E004 Forgotten.day is a date without the sane range (schemas.base.date_range)"]
