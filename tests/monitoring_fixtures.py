"""Builders shared by the 动态监管 tests: a funded application and a signed project, made through the
real write path (round -> application -> screening -> review -> decision -> notice -> funded -> agreement)."""
from __future__ import annotations

import datetime as dt

from core import decisions, projects
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
