"""Demo 志愿者: a register of volunteers (each with a phone has given consent; a few paper registrations without
consent keep no phone), the volunteers who serve the running projects (the 2025 round) and their service records —
for every activity of those projects, as many distinct volunteers as the ledger's volunteer count, so the count the
ledger shows from the records equals the count it already had — and a few open calls with their sign-ups (one full,
one ended). Deterministic for a given ``today``; written through the audited write path in batches; a second run
(a register that has volunteers) adds nothing."""
from __future__ import annotations

import datetime as dt
import random

from core.demo.orgs import _People, _Phones
from core.platform import records
from core.platform.actor import SYSTEM, Actor
from core.resources.volunteers import CALL, SERVICE, SIGNUP, VOLUNTEER
from schemas.volunteer import CONSENT_METHODS, SERVICE_ROLES, VOLUNTEER_SKILLS

SEED = 1817
EXTRA_PER_PROJECT = 4       # a project's pool: its largest activity's volunteers and a few more
ORG_SHARE = 0.6             # volunteers who serve with the project's organisation (the rest sign up alone)
NO_CONSENT = 12             # paper registrations without consent: no phone kept
KIND_HOURS = {"上门服务": (1.0, 2.0), "小组活动": (1.5, 2.5), "社区活动": (2.0, 4.0), "讲座培训": (1.5, 2.5),
              "咨询服务": (2.0, 3.0), "志愿服务": (2.0, 4.0), "走访慰问": (1.5, 3.0), "其他": (1.0, 3.0)}
# (title, places, sign-ups, status) of the open calls, each for one running project's next activity
CALLS = (("周末社区助餐志愿者招募", 8, 5, "招募中"), ("青葵伙伴暑期成长营志愿者招募", 6, 6, "已满员"),
         ("邻里节活动志愿者招募", 12, 4, "招募中"), ("老年人智能手机课堂助教招募", 5, 5, "已结束"),
         ("社区义诊现场引导志愿者招募", 10, 2, "招募中"))


def _covered(db) -> list[dict]:
    """The activities covered: every activity of the running projects (state active), with its project's
    organisation and communities."""
    return db.fetch_all(
        "SELECT x.id, x.project_id, x.kind, x.community, x.volunteers, x.activity_date, a.org_id"
        " FROM activities x JOIN projects p ON p.id = x.project_id JOIN applications a ON a.id = p.application_id"
        " WHERE p.state = 'active' ORDER BY x.project_id, x.activity_date, x.id")


def _half(rng: random.Random, lo: float, hi: float) -> float:
    return rng.randint(int(lo * 2), int(hi * 2)) / 2


def load(db, actor: Actor = SYSTEM, today: dt.date | None = None) -> dict[str, int]:
    if db.scalar("SELECT count(*) FROM volunteers"):  # loaded already (or a register kept by hand): add nothing
        return {}
    today = today or dt.date.today()
    rng = random.Random(SEED)
    people, phones = _People(rng), _Phones(rng)
    acts = _covered(db)
    by_project: dict[int, list[dict]] = {}
    for a in acts:
        by_project.setdefault(a["project_id"], []).append(a)

    vols: list[dict] = []
    pools: dict[int, list[int]] = {}  # project -> positions in ``vols``

    def volunteer(community: str, org_id, consent: bool = True) -> int:
        skills = rng.sample(VOLUNTEER_SKILLS, rng.randint(1, 3))
        row = {"name": people.name(), "gender": rng.choice(["男", "女", "女"]), "community": community,
               "skills": skills, "org_id": org_id, "consent": consent, "phone": None, "consent_date": None,
               "consent_method": None, "notes": None}
        if consent:
            row.update(phone=phones.number(0.0), consent_method=rng.choice(CONSENT_METHODS),
                       consent_date=today - dt.timedelta(days=rng.randint(30, 900)))
        vols.append(row)
        return len(vols) - 1

    for _ in range(NO_CONSENT):  # the earliest, paper registrations
        volunteer(rng.choice(sorted({a["community"] for a in acts}) or ["文海社区"]), None, consent=False)
    for pid, rows in by_project.items():
        comms = sorted({r["community"] for r in rows})
        size = max(r["volunteers"] for r in rows) + EXTRA_PER_PROJECT
        pools[pid] = [volunteer(rng.choice(comms), rows[0]["org_id"] if rng.random() < ORG_SHARE else None)
                      for _ in range(size)]

    with records.unit(actor, db) as u:
        ids = u.create_many(VOLUNTEER, records.clean_many(VOLUNTEER, vols), validated=True)
    services = []
    for pid, rows in by_project.items():
        pool = [ids[i] for i in pools[pid]]
        for a in rows:
            lo, hi = KIND_HOURS.get(a["kind"], (1.0, 3.0))
            for vid in rng.sample(pool, a["volunteers"]):
                services.append({"volunteer_id": vid, "activity_id": a["id"], "hours": _half(rng, lo, hi),
                                 "role": rng.choice(SERVICE_ROLES), "notes": None})

    calls, signups = [], []
    projects = sorted(by_project)
    for i, (title, places, taken, status) in enumerate(CALLS[:len(projects)]):
        pid = projects[(i * 3) % len(projects)]
        day = today + dt.timedelta(days=-7 if status == "已结束" else 5 + 3 * i)
        calls.append({"title": title, "project_id": pid, "activity_id": None, "call_date": day, "places": places,
                      "skills": rng.sample(VOLUNTEER_SKILLS, 2), "status": "招募中",
                      "description": "请报名的志愿者提前15分钟到场签到,服务时长由项目方登记。"})
    with records.unit(actor, db) as u:
        u.create_many(SERVICE, records.clean_many(SERVICE, services), validated=True)
        call_ids = u.create_many(CALL, records.clean_many(CALL, calls), validated=True)
    for cid, (title, places, taken, status), call in zip(call_ids, CALLS, calls):  # sign-ups while 招募中
        for vid in rng.sample([ids[i] for i in pools[call["project_id"]]], taken):
            signups.append({"call_id": cid, "volunteer_id": vid, "notes": None,
                            "signed_on": today - dt.timedelta(days=rng.randint(0, 10))})
    with records.unit(actor, db) as u:
        u.create_many(SIGNUP, records.clean_many(SIGNUP, signups), validated=True)
        for cid, (title, places, taken, status) in zip(call_ids, CALLS):
            if status != "招募中":  # full on the last place, or ended
                u.update(CALL, cid, {"status": status}, validated=True)
    return {"volunteers": len(ids), "volunteer_services": len(services), "volunteer_calls": len(calls),
            "volunteer_signups": len(signups)}
