"""Demo data of 资源库 bookings (issue 18): the demo venues' weekly hours, the communities' equipment, and bookings
of the last twelve months consistent with the demo ledger — each group activity (小组活动, 社区活动, 讲座培训) of
those months held in a community that has a venue is an approved booking of that venue by the project's organisation,
linked to the activity (which then names the venue); the subdistrict's hall takes the lectures of communities
without a venue; each venue has its regular weekly users (RECURRING: 四点半课堂 every afternoon, the 老年活动室
every morning, …), so they are used a quarter to two thirds of their open hours; a few bookings were refused or
cancelled, and the coming fortnight has bookings waiting for approval. The 云水 meeting room stays little used (an idle venue)."""
from __future__ import annotations

import datetime as dt
import random

from core.monitoring.ledger import ACTIVITY
from core.platform import records
from core.platform.actor import SYSTEM, Actor
from core.resources.bookings import BOOKING, EQUIPMENT, _minutes, parse_hours
from core.orgs.venues import VENUE

SEED = 18014
MONTHS_BACK = 12  # a year of bookings: this year's use rate is the venues' real one
GROUP_KINDS = ("小组活动", "社区活动", "讲座培训")
HALL = "下沙街道社会组织服务中心报告厅"
CLASSROOM = "金沙湖社区四点半课堂"
CONTACTS = ("王芳", "李娜", "张伟", "刘洋", "陈静", "杨敏", "黄磊", "周婷", "吴倩", "徐强")
EQUIPMENT_ROWS = (
    ("下沙街道便携音响", "音响设备", 2, "下沙社区", "下沙街道社会组织服务中心", "服务中心一楼设备间"),
    ("下沙街道移动投影仪", "投影设备", 3, "下沙社区", "下沙街道社会组织服务中心", "服务中心一楼设备间"),
    ("下沙街道折叠帐篷", "桌椅帐篷", 6, "下沙社区", "下沙街道社会组织服务中心", "街道后勤仓库"),
    ("文海社区折叠桌椅", "桌椅帐篷", 40, "文海社区", "文海社区居委会", "文海社区邻里中心储物间"),
    ("高沙社区血压计", "康复器材", 5, "高沙社区", "高沙社区居委会", "高沙社区老年活动室"),
    ("金沙湖社区图书流动箱", "文体器材", 4, "金沙湖社区", "金沙湖社区居委会", "金沙湖社区四点半课堂"),
    ("云水社区无线话筒", "音响设备", 4, "云水社区", "云水社区居委会", "云水社区党群服务中心"),
)
WENHAI = "文海社区邻里中心多功能厅"
GAOSHA = "高沙社区老年活动室"
RECURRING = (  # venue, weekdays (0 = 周一), slot, purpose, expected people: the venues' regular users
    (CLASSROOM, (0, 2, 4), ("15:30", "17:30"), "四点半课堂课后托管", 20),
    (CLASSROOM, (1, 3), ("15:30", "17:30"), "青葵伙伴课业辅导", 15),
    (WENHAI, (1, 3), ("18:30", "20:00"), "社区文艺队排练", 25),
    (WENHAI, (0, 2, 4), ("09:00", "11:30"), "邻里课堂兴趣小组", 30),
    (WENHAI, (1, 3), ("14:00", "16:00"), "社区健康讲座", 40),
    (WENHAI, (5,), ("14:00", "17:00"), "周末亲子活动", 40),
    (WENHAI, (6,), ("09:00", "11:00"), "社区合唱团排练", 30),
    (GAOSHA, (0, 1, 2, 3, 4), ("08:30", "11:30"), "老年人日间活动(棋牌、健身操)", 30),
    (HALL, (2,), ("14:00", "17:00"), "社会组织能力建设培训", 60),
    (HALL, (1,), ("09:00", "11:30"), "社区议事会与政策宣讲", 80),
    (HALL, (3,), ("09:00", "12:00"), "社会组织服务中心例会", 40),
    (HALL, (4,), ("14:00", "16:30"), "志愿者培训", 50),
)  # 云水's meeting room has none: the idle venue
REFUSALS = ("该时段已安排社区议事会", "场地检修,暂停开放", "预计人数超出场地容量")
CANCELS = ("活动改期", "天气原因改为线上开展")


def _slot(rng: random.Random, hours: tuple[list[str], str, str], length: int) -> tuple[str, str]:
    """A slot of ``length`` minutes on the half hour inside the open hours."""
    a, b = _minutes(hours[1]), _minutes(hours[2])
    length = min(length, b - a)
    start = a + 30 * rng.randrange(0, max(1, (b - a - length) // 30 + 1))
    return f"{start // 60:02d}:{start % 60:02d}", f"{(start + length) // 60:02d}:{(start + length) % 60:02d}"


def _free(taken: dict, key, day: dt.date, start: str, end: str) -> bool:
    return all(not (s < end and start < e) for s, e in taken.get((key, day), []))


def load(db, actor: Actor = SYSTEM, today: dt.date | None = None) -> dict[str, int]:
    if db.scalar("SELECT count(*) FROM bookings"):
        return {}
    today = today or dt.date.today()
    rng = random.Random(SEED)
    venues = db.fetch_all("SELECT * FROM venues ORDER BY id")
    hours = {}
    with records.unit(actor, db) as u:  # the venues' weekly hours, read from their 开放时间
        fill = {}
        for v in venues:
            parsed = parse_hours(v["opening_hours"])
            if parsed:
                hours[v["id"]] = parsed
                if not v.get("open_days"):
                    fill[v["id"]] = {"open_days": parsed[0], "open_from": parsed[1], "open_to": parsed[2]}
        u.update_many(VENUE, fill)
        kit = u.create_many(EQUIPMENT, [dict(zip(("name", "kind", "quantity", "community", "owner", "kept_at"), e))
                                        for e in EQUIPMENT_ROWS])
    by_name = {v["name"]: v for v in venues}
    own = {v["community"]: v for v in venues if v["name"] != HALL}
    start = (today.replace(day=1) - dt.timedelta(days=31 * (MONTHS_BACK - 1))).replace(day=1)
    acts = db.fetch_all(
        "SELECT ac.id, ac.activity_date, ac.community, ac.kind, ac.title, ac.participants, ac.project_id, ap.org_id"
        " FROM activities ac JOIN projects p ON p.id = ac.project_id JOIN applications ap ON ap.id = p.application_id"
        " WHERE ac.activity_date BETWEEN ? AND ? AND ac.kind IN (SELECT unnest(?)) ORDER BY ac.activity_date, ac.id",
        [start, today, list(GROUP_KINDS)])
    taken: dict = {}
    rows, system, links = [], [], {}

    def add(venue_id, equipment_id, qty, org_id, purpose, day, slot, people, project_id, activity_id, state,
            reason=None):
        rows.append({"venue_id": venue_id, "equipment_id": equipment_id, "quantity": qty, "org_id": org_id,
                     "contact_person": rng.choice(CONTACTS), "contact_phone": None, "purpose": purpose,
                     "booking_date": day, "start_time": slot[0], "end_time": slot[1], "expected_people": people,
                     "project_id": project_id})
        booked = dt.datetime.combine(min(day, today) - dt.timedelta(days=rng.randint(2, 10)), dt.time(9 + rng.randint(0, 7)))
        system.append({"state": state, "activity_id": activity_id, "reason": reason,
                       "decided_by": None if state == "pending" else "staff",
                       "decided_at": None if state == "pending" else booked + dt.timedelta(hours=rng.randint(2, 30)),
                       "created_at": booked, "created_by": "staff"})
        if state in ("pending", "approved"):
            taken.setdefault((venue_id or -equipment_id, day), []).append(slot)

    for a in acts:
        venue = own.get(a["community"])
        if venue is None and a["kind"] == "讲座培训":
            venue = by_name.get(HALL)
        if venue is None or venue["id"] not in hours:
            continue
        h = hours[venue["id"]]
        if h[0] and ["周一", "周二", "周三", "周四", "周五", "周六", "周日"][a["activity_date"].weekday()] not in h[0]:
            continue
        slot = _slot(rng, h, rng.choice((90, 120, 120, 180)))
        if not _free(taken, venue["id"], a["activity_date"], *slot):
            continue
        add(venue["id"], None, 1, a["org_id"], a["title"], a["activity_date"], slot,
            min(a["participants"], venue["capacity"]), a["project_id"], a["id"], "approved")
        links[a["id"]] = venue["id"]
        if rng.random() < 0.2:  # a loudspeaker or a projector went with it
            kit_id = kit[rng.choice((0, 1))]
            if _free(taken, -kit_id, a["activity_date"], *slot):
                add(None, kit_id, 1, a["org_id"], a["title"], a["activity_date"], slot, None, a["project_id"], None,
                    "approved")
    orgs = [r["org_id"] for r in acts] or [db.scalar("SELECT min(id) FROM organisations")]
    for name, weekdays, slot, purpose, people in RECURRING:  # the regular users of a venue, week after week
        venue = by_name.get(name)
        if venue is None or venue["id"] not in hours:
            continue
        org = rng.choice(orgs)
        day = start
        while day < today:
            if day.weekday() in weekdays and _free(taken, venue["id"], day, *slot):
                add(venue["id"], None, 1, org, purpose, day, slot, people, None, None, "approved")
            day += dt.timedelta(days=1)
    for i in range(12):  # the coming fortnight: waiting for approval; a few refused or cancelled lately
        venue = venues[i % len(venues)]
        if venue["id"] not in hours:
            continue
        day = today + dt.timedelta(days=1 + rng.randrange(14))
        if ["周一", "周二", "周三", "周四", "周五", "周六", "周日"][day.weekday()] not in hours[venue["id"]][0]:
            day += dt.timedelta(days=(7 - day.weekday()) % 7 or 1)
        slot = _slot(rng, hours[venue["id"]], 120)
        if not _free(taken, venue["id"], day, *slot):
            continue
        state = "pending" if i < 8 else ("rejected" if i < 10 else "cancelled")
        reason = rng.choice(REFUSALS) if state == "rejected" else rng.choice(CANCELS) if state == "cancelled" else None
        add(venue["id"], None, 1, rng.choice(orgs), rng.choice(("组织理事会会议", "志愿者培训", "亲子阅读活动",
                                                             "社区议事协商会", "老年人健康讲座")),
            day, slot, rng.randint(10, min(40, venue["capacity"])), None, None, state, reason)
    with records.unit(actor, db) as u:
        u.create_many(BOOKING, rows, system=system)
        u.update_many(ACTIVITY, {aid: {"venue_id": vid} for aid, vid in links.items()}, note="预约场地使用")
    return {"equipment": len(kit), "bookings": len(rows), "activities_with_venue": len(links)}
