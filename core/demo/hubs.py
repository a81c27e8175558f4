"""The demo's hub network (枢纽网络), built after every other demo step: 杭州市 with three districts (钱塘区, 上城区,
西湖区); the case study's centre, 下沙街道社会组织发展服务中心, is the default hub (every other demo record already
belongs to it) and moves under 钱塘区; four more street centres get a few generated organisations each; and the demo
accounts of the network: the city's admin (the top admin, who manages the network), a district leader of 钱塘区 and
staff of 白杨街道. Deterministic and idempotent: a second run adds nothing.
"""
from __future__ import annotations

import datetime as dt

from core.demo import incubation as demo_incubation, res_partners as demo_res_partners, reviews as demo_reviews
from core.demo.common import create_accounts
from core.orgs import communities as community_list, hubs
from core.orgs.organisations import ORGANISATION
from core.platform import records, users
from core.platform.actor import DEFAULT_HUB, SYSTEM
from schemas import choices

CITY = {"name": "杭州市社会组织服务中心", "level": "市", "region_code": "330100", "address": "杭州市上城区解放东路18号",
        "contact": "市民政局社会组织管理处 0571-87000000"}
DISTRICTS = (
    {"name": "钱塘区社会组织服务中心", "level": "区", "region_code": "330114", "address": "杭州市钱塘区金沙湖路",
     "contact": "区民政局 0571-86900000"},
    {"name": "上城区社会组织服务中心", "level": "区", "region_code": "330102", "address": "杭州市上城区",
     "contact": "区民政局 0571-87800000"},
    {"name": "西湖区社会组织服务中心", "level": "区", "region_code": "330106", "address": "杭州市西湖区",
     "contact": "区民政局 0571-87900000"},
)
QIANTANG = DISTRICTS[0]["name"]
XIASHA = {"name": "下沙街道社会组织发展服务中心", "level": "街道", "address": "杭州市钱塘区下沙街道",
          "contact": "中心办公室 0571-86000000"}
# the other street centres: name, district, the short name their organisations carry, and the street's own
# communities (each hub keeps its list, core.orgs.communities; a name is unique across hubs), which its generated
# organisations serve
STREETS = (
    ("白杨街道社会组织服务中心", QIANTANG, "白杨街道", ("智格社区", "文淙社区", "东冠社区")),
    ("湖滨街道社会组织服务中心", "上城区社会组织服务中心", "湖滨街道", ("东坡路社区", "青年路社区", "岳王路社区")),
    ("小营街道社会组织服务中心", "上城区社会组织服务中心", "小营街道", ("小营巷社区", "大学路社区")),
    ("西溪街道社会组织服务中心", "西湖区社会组织服务中心", "西溪街道", ("嘉绿苑社区", "曙光社区", "保俶塔社区")),
)
BAIYANG = STREETS[0][0]
ORGS_PER_STREET = 4
TOPICS = (("邻里守望志愿服务队", ["志愿服务", "社区治理"]), ("银龄互助协会", ["一老一小"]),
          ("青少年成长服务社", ["一老一小", "文化建设"]), ("垃圾分类宣传队", ["环境保护"]),
          ("文体艺术团", ["文化体育"]), ("法律援助服务站", ["法律服务"]))
PEOPLE = ("周晓燕", "吴建国", "郑丽华", "孙伟", "钱敏", "冯海涛", "陈静", "褚红梅")

# The network's demo accounts (the README's passwords, by role), each in its hub
ACCOUNTS = (
    ({"username": "hz_admin", "name": "赵处长(市级管理员)", "email": "hz_admin@demo.hubdesk", "roles": ["admin"]},
     "Demo-admin-2026", CITY["name"]),
    ({"username": "qt_leader", "name": "钱部长(钱塘区领导)", "email": "qt_leader@demo.hubdesk", "roles": ["leader"]},
     "Demo-leader-2026", QIANTANG),
    ({"username": "by_staff", "name": "杨帆(白杨街道工作人员)", "email": "by_staff@demo.hubdesk", "roles": ["staff"]},
     "Demo-staff-2026", BAIYANG),
)


def _ids(db) -> dict[str, int]:
    return {r["name"]: int(r["id"]) for r in db.fetch_all("SELECT id, name FROM hubs")}


def _ensure(db, values: dict, parent: str | None) -> int:
    have = _ids(db)
    if values["name"] in have:
        return 0
    hubs.create({**values, "parent_id": have[parent] if parent else None}, SYSTEM, db=db)
    return 1


def organisation_rows(today: dt.date | None = None) -> list[tuple[str, dict]]:
    """(street centre, organisation) for every generated organisation, the same on every run."""
    today = today or dt.date.today()
    out = []
    for s, (hub, _district, short, communities) in enumerate(STREETS):
        for i in range(ORGS_PER_STREET):
            topic, domains = TOPICS[(s + i) % len(TOPICS)]
            n = s * ORGS_PER_STREET + i
            out.append((hub, {
                "name": f"{short}{topic}", "kind": choices.FILED_KIND,
                "filing_no": f"{short[:2]}备字〔{today.year - 1 - i % 3}〕第{i + 1:03d}号",
                "reg_date": dt.date(today.year - 1 - i % 3, 3 + i, 10 + s),
                "contact_person": PEOPLE[n % len(PEOPLE)], "contact_phone": f"1385710{7000 + n:04d}",
                "community": communities[i % len(communities)], "service_domains": domains,
                "stage": ("初创期", "成长期")[i % 2], "active": True,
            }))
    return out


def load(db) -> dict[str, int]:
    """Builds what is missing of the network; returns how many hubs, organisations and accounts it added."""
    hubs.ensure_default(db)  # 下沙's centre: the hub every other demo record belongs to (made at the first start)
    added = {"hubs": _ensure(db, CITY, None)}
    for district in DISTRICTS:
        added["hubs"] += _ensure(db, district, CITY["name"])
    for hub, district, _short, _communities in STREETS:
        added["hubs"] += _ensure(db, {"name": hub, "level": "街道"}, district)
    ids = _ids(db)
    new = [(values, pw, ids[hub]) for values, pw, hub in ACCOUNTS if users.get(values["username"], db) is None]
    added["accounts"] = create_accounts(db, [(values | {"active": True}, pw) for values, pw, _ in new], SYSTEM)
    for values, _pw, hub_id in new:  # each in its hub (the city's admin first: the network keeps a top admin)
        records.update(users.USER, values["username"], {}, SYSTEM, system={"hub_id": hub_id}, db=db)
    default = hubs.get(DEFAULT_HUB, db)
    if default is not None and default["parent_id"] is None and default["name"] != XIASHA["name"]:
        # the case study's centre, which holds every other demo record, joins the network under 钱塘区
        hubs.update(DEFAULT_HUB, {**XIASHA, "parent_id": ids[QIANTANG]}, SYSTEM, db=db)
    added["communities"] = sum(community_list.ensure(list(names), SYSTEM, db, hub_id=ids[hub])
                               for hub, _district, _short, names in STREETS)
    have = {r["name"] for r in db.fetch_all("SELECT name FROM organisations")}
    rows = [(hub, row) for hub, row in organisation_rows() if row["name"] not in have]
    added["network_organisations"] = len(records.create_many(
        ORGANISATION, [row for _, row in rows], SYSTEM, system=[{"hub_id": ids[hub]} for hub, _ in rows], db=db)) \
        if rows else 0
    # shared registries: two experts and two partners of 钱塘区's, in the pool and the partner list of 下沙 and 白杨
    added["district_experts"] = demo_reviews.load_network(db, ids[QIANTANG])
    added["district_partners"] = demo_res_partners.load_network(db, ids[QIANTANG])
    # 钱塘区's training, attended by organisations of 下沙 and 白杨 (a district's training is seen below it)
    added["network_trainings"] = demo_incubation.load_network_training(
        db, ids[QIANTANG], (ids[XIASHA["name"]] if XIASHA["name"] in ids else DEFAULT_HUB, ids[BAIYANG]))
    return added
