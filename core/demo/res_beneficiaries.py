"""Demo 服务对象: the 12 困境儿童 of 青葵伙伴 (the seed's figure) served by the brand's running project — eight of them
already served by its project of the year before, so the brand's unique people (12) are fewer than its enrolments
(20) — with their attendance at the project's activities; a few 独居 / 高龄 older people served by the running 1516
project at home; and the demo staff account (``staff``) as 负责社工 of those projects (the admin sees every project;
no other account sees the names). Deterministic for a given ``today``; idempotent (a second run adds nothing);
written through the audited write path in batches."""
from __future__ import annotations

import datetime as dt
import random

from core.demo.monitoring import BRAND_1516, BRAND_QK
from core.platform import records
from core.platform.actor import SYSTEM, Actor
from core.resources.beneficiaries import ATTENDANCE, BENEFICIARY, ENROLMENT, PROJECT_STAFF

SEED = 1819
STAFF = "staff"  # the demo staff account (core.demo.build.DEMO_ACCOUNTS)
# (name, gender, birth year, community, guardian, phone or None: without consent no phone is kept)
CHILDREN = (
    ("林可欣", "女", 2014, "云水社区", "林建华", "13857102001"), ("陈子轩", "男", 2013, "云水社区", "陈国平", None),
    ("王雨桐", "女", 2015, "云水社区", "王秀英", "13857102003"), ("赵一鸣", "男", 2012, "云水社区", "赵金根", "13857102004"),
    ("周思琪", "女", 2016, "云水社区", "周丽娟", None), ("吴浩然", "男", 2014, "幸福社区", "吴美芳", "13857102006"),
    ("孙佳怡", "女", 2013, "云水社区", "孙志强", "13857102007"), ("郑宇航", "男", 2015, "和达社区", "郑桂兰", None),
    ("冯欣悦", "女", 2011, "云水社区", "冯建军", "13857102009"), ("蒋明轩", "男", 2016, "云水社区", "蒋玉梅", "13857102010"),
    ("沈诗涵", "女", 2012, "幸福社区", "沈海林", "13857102011"), ("韩俊杰", "男", 2014, "云水社区", "韩淑珍", "13857102012"),
)
CONTINUING = 8  # the first eight were served by the brand's project of the year before too
# (name, gender, birth year, community, group, contact, phone)
ELDERLY = (
    ("钱桂英", "女", 1941, "文海社区", "独居老人", "钱晓东(儿子)", "13857103001"),
    ("李阿根", "男", 1938, "松合社区", "高龄老人", "李美华(女儿)", "13857103002"),
    ("张秀兰", "女", 1946, "听涛社区", "独居老人", "张伟(侄子)", "13857103003"),
    ("徐福生", "男", 1944, "金港社区", "独居老人", None, None),
    ("何玉珍", "女", 1943, "月雅社区", "高龄老人", "何建新(儿子)", "13857103005"),
)
# named children at one activity, by kind: (fewest, most)
ATTENDING = {"上门服务": (1, 1), "走访慰问": (1, 2), "咨询服务": (1, 2), "小组活动": (4, 8), "讲座培训": (3, 6),
             "社区活动": (8, 12), "志愿服务": (4, 8), "其他": (2, 4)}
HOME_KINDS = ("上门服务", "走访慰问", "咨询服务")  # the older people are served at home


def _projects(db, brand: str) -> list[dict]:
    """The brand's projects, newest first (the running one, then the one before)."""
    return db.fetch_all(
        "SELECT p.id, p.state, p.start_date, p.end_date FROM projects p JOIN brands b ON b.id = p.brand_id"
        " WHERE b.name = ? ORDER BY p.start_date DESC, p.id DESC", [brand])


def _activities(db, project_id: int, since: dt.date, today: dt.date, kinds: tuple[str, ...] = ()) -> list[dict]:
    return [a for a in db.fetch_all(
        "SELECT id, kind, participants, activity_date FROM activities WHERE project_id = ? AND activity_date >= ?"
        " AND activity_date <= ? ORDER BY activity_date, id", [project_id, since, today])
        if not kinds or a["kind"] in kinds]


def _consented(phone: str | None, day: dt.date) -> dict:
    return {"phone": phone, "consent": phone is not None, "consent_date": day if phone else None,
            "consent_method": "纸质登记表签字" if phone else None}


def load(db, actor: Actor = SYSTEM, today: dt.date | None = None) -> dict[str, int]:
    today = today or dt.date.today()
    counts = {"beneficiaries": 0, "beneficiary_enrolments": 0, "beneficiary_attendance": 0, "project_staff": 0}
    qk, l1516 = _projects(db, BRAND_QK), _projects(db, BRAND_1516)
    running = [p for p in (qk[:1] + l1516[:1]) if p["state"] == "active" and p["start_date"] <= today]
    if len(running) < 2 or db.scalar("SELECT count(*) FROM beneficiaries"):
        return counts  # no running 青葵伙伴 / 1516 project, or loaded already
    rng = random.Random(SEED)
    qk_now, qk_before, old = qk[0], (qk[1] if len(qk) > 1 else None), l1516[0]

    people, enrol = [], []  # enrolments as (position in people, project, enrolled_on, ended_on)
    for i, (name, gender, year, community, guardian, phone) in enumerate(CHILDREN):
        first = qk_before["start_date"] if qk_before and i < CONTINUING else qk_now["start_date"]
        people.append({"name": name, "gender": gender, "birth_year": year, "age_group": None, "community": community,
                       "target_group": "困境儿童", "guardian": guardian, "id_number": None,
                       "notes": "青葵伙伴一对一结对陪伴", **_consented(phone, first)})
        if qk_before and i < CONTINUING:
            enrol.append((i, qk_before, qk_before["start_date"], qk_before["end_date"]))
        enrol.append((i, qk_now, qk_now["start_date"], None))
    for name, gender, year, community, group, contact, phone in ELDERLY:
        people.append({"name": name, "gender": gender, "birth_year": year, "age_group": None, "community": community,
                       "target_group": group, "guardian": contact, "id_number": None, "notes": "1516上门服务对象",
                       **_consented(phone, old["start_date"])})
        enrol.append((len(people) - 1, old, old["start_date"], None))

    staff = [{"project_id": p["id"], "username": STAFF} for p in (qk_now, qk_before, old) if p is not None]
    with records.unit(actor, db) as u:
        counts["project_staff"] = len(u.create_many(PROJECT_STAFF, records.clean_many(PROJECT_STAFF, staff),
                                                    validated=True))
        ids = u.create_many(BENEFICIARY, records.clean_many(BENEFICIARY, people), validated=True)
        rows = [{"beneficiary_id": ids[i], "project_id": p["id"], "enrolled_on": start, "ended_on": end,
                 "enrol_notes": None} for i, p, start, end in enrol]
        u.create_many(ENROLMENT, records.clean_many(ENROLMENT, rows), validated=True)
    counts.update(beneficiaries=len(ids), beneficiary_enrolments=len(rows))

    attendance = []
    for project, members in ((qk_now, ids[:len(CHILDREN)]), (qk_before, ids[:CONTINUING])):
        if project is None:
            continue
        for a in _activities(db, project["id"], project["start_date"], today):
            lo, hi = ATTENDING.get(a["kind"], (2, 4))
            k = min(rng.randint(lo, hi), a["participants"], len(members))
            attendance += [{"beneficiary_id": b, "activity_id": a["id"]} for b in rng.sample(members, k)]
    elderly = ids[len(CHILDREN):]
    for a in _activities(db, old["id"], old["start_date"], today, HOME_KINDS):
        k = min(rng.randint(0, 2), a["participants"])
        attendance += [{"beneficiary_id": b, "activity_id": a["id"]} for b in rng.sample(elderly, k)]
    with records.unit(actor, db) as u:
        u.create_many(ATTENDANCE, records.clean_many(ATTENDANCE, attendance), validated=True)
    counts["beneficiary_attendance"] = len(attendance)
    return counts
