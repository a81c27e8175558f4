"""Demo 资源与需求 of the network's second street, 白杨街道 (core.demo.hubs builds the hubs first): a few venues, needs
and volunteers of its own, so a 钱塘区 roll-up shows two streets' resources and 白杨's staff see theirs alone. The
case study's resources all stay 下沙's (the default hub). Written through the write path as the system, each row
named with 白杨's hub; a second run (白杨 already has venues) adds nothing."""
from __future__ import annotations

import datetime as dt

from core.demo.hubs import BAIYANG, STREETS
from core.orgs.venues import VENUE
from core.platform import records
from core.platform.actor import SYSTEM
from core.resources.needs import NEED
from core.resources.volunteers import VOLUNTEER

COMMUNITIES = STREETS[0][3]  # 白杨's own communities (none of 下沙's names)

VENUES = (
    {"name": "白杨街道邻里中心多功能厅", "address": "杭州市钱塘区白杨街道学林街88号", "capacity": 120,
     "community": COMMUNITIES[0], "owner": "白杨街道办事处", "facilities": "投影仪、音响、桌椅",
     "opening_hours": "周一至周五 9:00-17:00", "open_days": ["周一", "周二", "周三", "周四", "周五"],
     "open_from": "09:00", "open_to": "17:00", "contact_person": "杨帆", "contact_phone": "0571-86100001"},
    {"name": f"{COMMUNITIES[1]}居民议事厅", "address": f"杭州市钱塘区{COMMUNITIES[1]}服务中心二楼", "capacity": 40,
     "community": COMMUNITIES[1], "owner": f"{COMMUNITIES[1]}居委会", "opening_hours": "周一至周六 8:30-17:30",
     "open_days": ["周一", "周二", "周三", "周四", "周五", "周六"], "open_from": "08:30", "open_to": "17:30"},
)
NEEDS = (
    {"title": "高校周边出租房租户希望有社区融入活动", "community": COMMUNITIES[0], "target_group": "新居民",
     "source": "问卷调查", "urgency": "一般", "residents": 58, "recorded_by": "杨帆",
     "description": "问卷中多数新居民租户表示不认识邻居"},
    {"title": "双职工家庭孩子放学后缺少托管", "community": COMMUNITIES[2], "target_group": "一老一小",
     "source": "社区议事", "urgency": "较急", "residents": 31, "recorded_by": "杨帆"},
)
VOLUNTEERS = (
    {"name": "林晓雯", "gender": "女", "community": COMMUNITIES[0], "skills": ["课业辅导"]},
    {"name": "高志远", "gender": "男", "community": COMMUNITIES[1], "skills": ["文艺表演"]},
    {"name": "宋佳怡", "gender": "女", "community": COMMUNITIES[2]},
)


def load(db, today: dt.date | None = None) -> dict[str, int]:
    """白杨's venues, needs and volunteers (nothing when it has venues already, or when there is no 白杨)."""
    today = today or dt.date.today()
    hub = db.scalar("SELECT id FROM hubs WHERE name = ?", [BAIYANG])
    if hub is None or db.scalar("SELECT count(*) FROM venues WHERE hub_id = ?", [hub]):
        return {}
    mine = {"hub_id": int(hub)}
    needs = [{**n, "surveyed_on": today - dt.timedelta(days=40 + 15 * i)} for i, n in enumerate(NEEDS)]
    with records.unit(SYSTEM, db) as u:
        venues = u.create_many(VENUE, list(VENUES), system=mine)
        made = u.create_many(NEED, needs, system=mine)
        people = u.create_many(VOLUNTEER, [{**v, "consent": False} for v in VOLUNTEERS], system=mine)
    return {"baiyang_venues": len(venues), "baiyang_needs": len(made), "baiyang_volunteers": len(people)}
