"""Builders shared by the 动态监管 tests: a funded application and a signed project, made through the
real write path (round -> application -> screening -> review -> decision -> notice -> funded -> agreement)."""
from __future__ import annotations

import datetime as dt

from core.monitoring import projects
from core.review import decisions
from tests.test_rounds import ADMIN, STAFF, hub, make_app, make_org, make_round, walk  # noqa: F401  (hub: fixture)

D = dt.date


def funded_app(serial: int = 1, *, round_id: int | None = None, amount: float = 40000, **app_overrides) -> int:
    """A funded application of organisation ``serial`` (40,000 元 requested and granted by default)."""
    rid = round_id if round_id is not None else make_round(total_budget=1_000_000)
    app_id = make_app(rid, make_org(serial), submit=True, **app_overrides)
    walk(app_id, "screening", "eligible", "under_review", "reviewed", "recommended", actor=STAFF)
    decisions.decide(app_id, {"decision": "资助", "granted_amount": amount, "note": None}, ADMIN)
    walk(app_id, "funded", actor=ADMIN)
    return app_id


def agreement(app_id: int, **overrides) -> dict:
    """The proposed agreement values, with ``overrides``."""
    values = projects.agreement_defaults(app_id)
    values.update(overrides)
    return values


def signed_project(serial: int = 1, *, round_id: int | None = None, actor=STAFF, milestones=None,
                   **agreement_overrides) -> int:
    """A signed project (tranches 50/30/20 planned) of a freshly funded application."""
    app_id = funded_app(serial, round_id=round_id)
    return projects.sign_agreement(app_id, agreement(app_id, **agreement_overrides), actor, milestones=milestones)


def running_funded_app(serial: int = 1, *, start_days_ago: int = 120, length: int = 300, amount: float = 40000,
                       org_name: str | None = None) -> int:
    """A funded application in a round of its own (「界面测试批次{serial}」) whose project period started
    ``start_days_ago`` days ago and lasts ``length`` days; its one milestone is due on day 60."""
    from core.intake import rounds
    from tests.test_rounds import round_values

    today = dt.date.today()
    start = today - dt.timedelta(days=start_days_ago)
    values = round_values(name=f"界面测试批次{serial}", total_budget=1_000_000)
    values.update(project_start=start, project_end=start + dt.timedelta(days=length))
    for k, d in (("ideas_start", 100), ("ideas_end", 90), ("apply_start", 80), ("apply_end", 70),
                 ("screening_end", 60), ("review_start", 50), ("review_end", 40), ("notice_start", 30),
                 ("notice_end", 25)):
        values[k] = start - dt.timedelta(days=d)
    rid = rounds.create(values, ADMIN)
    org = make_org(900 + serial, **({"name": org_name} if org_name else {}))
    app_id = make_app(rid, org, submit=True, stones=[{"due_date": start + dt.timedelta(days=60),
                                                      "deliverable": "完成需求调研"}])
    walk(app_id, "screening", "eligible", "under_review", "reviewed", "recommended", actor=STAFF)
    decisions.decide(app_id, {"decision": "资助", "granted_amount": amount, "note": None}, ADMIN)
    walk(app_id, "funded", actor=ADMIN)
    return app_id
