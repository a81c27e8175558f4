"""The scenario the 动态监管 browser test starts from (built before the server starts, see
``start_server(prepare=...)``): a running project 「BROWSER-001」 150 days into a 300-day period with a small
plan (4 activities, 100 person-times) and no activity yet — so its pace and idle warnings are open —,
tranche 1 released, its mid-term report due."""
from __future__ import annotations

import datetime as dt

AGREEMENT_NO = "BROWSER-001"
ORG = "下沙街道浏览器测试社会组织"


def build() -> int:
    from core.monitoring import money, projects
    from core.platform.actor import Actor
    from tests.monitoring_fixtures import running_funded_app

    staff = Actor("staff", ("staff",))
    app_id = running_funded_app(1, start_days_ago=150, length=300, org_name=ORG)
    values = projects.agreement_defaults(app_id)
    values.update(agreement_no=AGREEMENT_NO, planned_activities=4, planned_person_times=100,
                  midterm_due=dt.date.today() - dt.timedelta(days=3))
    pid = projects.sign_agreement(app_id, values, staff)
    first = money.tranches(pid).iloc[0]
    money.release(int(first["id"]), {"released_on": values["agreement_date"], "released_amount": float(first["amount"]),
                                     "approver": "陈主任", "note": None}, staff)
    return pid
