"""Demo data at the seed's scale, loaded into a new database on first start (HUBDESK_DEMO=1).

Demo accounts exist only together with demo data; ``python -m core.manage disable-demo-accounts``
turns them off (README).
"""
from __future__ import annotations

from core.demo.common import create_accounts, hash_soon
from core.platform import users
from core.platform.actor import SYSTEM

# Known passwords, documented in the README, for the demo database only.
DEMO_ACCOUNTS = (
    {"username": "admin", "name": "陈主任(管理员)", "email": "admin@demo.hubdesk", "roles": ["admin"], "password": "Demo-admin-2026"},
    {"username": "staff", "name": "王敏(工作人员)", "email": "staff@demo.hubdesk", "roles": ["staff"], "password": "Demo-staff-2026"},
    {"username": "expert", "name": "李教授(评审专家)", "email": "expert@demo.hubdesk", "roles": ["reviewer"], "password": "Demo-expert-2026"},
    {"username": "leader", "name": "张书记(领导)", "email": "leader@demo.hubdesk", "roles": ["leader"], "password": "Demo-leader-2026"},
)


def load_accounts(db) -> int:
    """The demo accounts that are missing, written in one batch (their passwords hashed in parallel)."""
    new = [acc for acc in DEMO_ACCOUNTS if users.get(acc["username"], db) is None]
    return create_accounts(db, [({k: v for k, v in acc.items() if k != "password"} | {"active": True}, acc["password"])
                                for acc in new], SYSTEM)


STEPS = ("演示账号", "社会组织", "公益创投批次与申报", "专家评审", "孵化与能力建设", "动态监管", "资源与需求", "枢纽网络")


def load(db, progress=None) -> dict[str, int]:
    """Fills a new database; ``progress(done, total, label)`` is told before each step (a screen shows it)."""
    # start-up cost: the demo builders (a quarter of core/) load only when a demo database is built, not at every start
    from core.demo import hubs as demo_hubs, incubation as demo_incubation, monitoring as demo_monitoring, \
        orgs as demo_orgs, resources as demo_resources, reviews as demo_reviews, rounds as demo_rounds

    steps = (
        lambda: {"accounts": load_accounts(db)},
        lambda: {"organisations": demo_orgs.load(db, SYSTEM), "venues": demo_orgs.load_venues(db, SYSTEM)},
        lambda: demo_rounds.load(db),  # 公益创投 rounds, applications, ideas (needs the organisations)
        lambda: demo_reviews.load(db),  # experts, rubrics, assignments and scores (needs the rounds)
        lambda: demo_incubation.load(db),  # mentoring, trainings, assessments, stages, ratings (needs the reviews)
        lambda: demo_monitoring.load(db),  # brands, projects, ledger, money, evaluations (needs the funded rounds)
        lambda: demo_resources.load(db),  # 资源与需求: bookings, partners, needs, volunteers (needs the projects)
        # 枢纽网络: 下沙 (everything above) under 钱塘区, other streets' organisations last, then 白杨's resources
        lambda: demo_hubs.load(db) | demo_resources.load_network(db),
    )
    hash_soon(*(acc["password"] for acc in DEMO_ACCOUNTS), demo_reviews.PASSWORD)  # in threads, meanwhile
    counts: dict[str, int] = {}
    for i, (label, step) in enumerate(zip(STEPS, steps)):
        if progress:
            progress(i, len(STEPS), label)
        counts.update(step())
    if progress:
        progress(len(STEPS), len(STEPS), "完成")
    return counts
