"""Demo 需求 (issue 18): the needs the case study's 需求调研 found across the 21 communities — 一老一小, 困境儿童,
残障人士 and 计生家庭, 新居民, 就业 — some answered by the demo's 金点子, applications and funded projects (with their
status over time: 登记 → 已对接 → 部分满足 → 已满足), some still open and unanswered (the 需求动态跟踪 list).
Written through the write path (validated, audited) in batches, after ideas, applications and projects exist; a
second run (a register that has needs) adds nothing."""
from __future__ import annotations

import datetime as dt
import random

from core.platform import records
from core.platform.actor import SYSTEM, Actor
from core.resources.needs import NEED, NEED_EVENT, NEED_LINK
from schemas import choices

RECORDERS = ["王晓燕", "李静", "张伟", "陈敏", "刘洋", "赵丽", "孙婷", "周强", "吴倩", "郑浩"]

# a 金点子's title -> the need residents voiced in the survey: (group concerned, need, how it was found)
IDEA_NEEDS = {
    "小区停车难,建议成立议事会": ("全体居民", "小区停车难,车位纠纷多", "社区议事"),
    "小区老人吃饭难,希望办个老年食堂": ("老年人", "独居老人吃饭难,希望有老年食堂", "问卷调查"),
    "家门口修家电、磨剪刀": ("全体居民", "家门口修小家电、磨剪刀不方便", "问卷调查"),
    "困境儿童需要长期陪伴": ("困境儿童", "困境儿童缺少长期陪伴和学业辅导", "入户走访"),
    "放学后孩子没人管": ("一老一小", "双职工家庭孩子放学后无人看护", "问卷调查"),
    "社区里开书画课": ("老年人", "老年居民希望有书画兴趣课", "社区议事"),
    "楼道堆物需要大家一起商量": ("全体居民", "楼道堆物多,存在消防隐患", "社区议事"),
    "文明养犬需要有人劝导": ("全体居民", "不文明养犬引发邻里矛盾", "社区议事"),
    "教老人用智能手机": ("老年人", "老人不会用智能手机挂号、缴费", "问卷调查"),
    "希望社区开展急救培训": ("全体居民", "居民缺少急救和消防应急技能", "问卷调查"),
    "办一个邻里文化节": ("新居民", "新老居民互不熟悉,缺少邻里交往活动", "社区议事"),
    "照顾失能老人的家属太累了": ("老年人", "失能老人家属照护压力大,需要喘息服务", "入户走访"),
    "残疾人康复训练离家太远": ("残障人士", "残疾人康复训练离家太远", "入户走访"),
    "外卖小哥没地方歇脚": ("新居民", "外卖骑手、快递员缺少歇脚点", "其他"),
    "心智障碍孩子家长需要支持": ("残障人士", "心智障碍孩子家长缺少喘息和互助支持", "入户走访"),
    "家门口的灵活就业岗位": ("就业困难人员", "就业困难居民希望在家门口灵活就业", "问卷调查"),
    "组织手工编织增收": ("就业困难人员", "全职妈妈希望学手艺、增加收入", "问卷调查"),
}

# a funded project's category -> the needs of its communities it answers
CATEGORY_NEEDS = {
    "社区治理": [("全体居民", "小区公共事务缺少居民协商平台"), ("全体居民", "老旧小区楼道管理无人牵头")],
    "文化建设": [("全体居民", "社区文化活动少,居民参与渠道窄"), ("老年人", "老年文艺队缺少排练场地和指导")],
    "弱势群体关爱": [("困境儿童", "困境儿童心理疏导和学业支持不足"), ("低收入家庭", "低收入家庭子女课后辅导缺位")],
    "公共服务": [("全体居民", "便民维修、健康义诊等服务离家远"), ("全体居民", "居民应急救护知识缺乏")],
    "一老一小": [("一老一小", "隔代照料家庭缺少亲子共育指导"), ("老年人", "高龄独居老人缺少日常探访")],
    "特殊人群帮扶": [("残障人士", "残疾人社区康复和融合活动少"), ("计生家庭", "计生特殊家庭缺少精神慰藉和陪伴")],
    "共同富裕": [("就业困难人员", "就业困难居民缺少技能培训和岗位信息")],
}

# needs still waiting for an answer (the 需求动态跟踪 list): (group, need, description)
OPEN_NEEDS = [
    ("老年人", "高层老旧小区老人上下楼难,希望加装电梯协商", "走访中多位八十岁以上老人反映常年下不了楼"),
    ("一老一小", "暑期孩子无处去,希望办社区暑托班", "问卷中双职工家庭勾选最多的一项"),
    ("困境儿童", "困境儿童假期缺少安全看护", "走访的困境儿童家庭中,多数家长假期白天上班"),
    ("残障人士", "重度残疾人家庭希望有上门助浴服务", "家属反映独自无法完成助浴"),
    ("新居民", "新居民子女入学、办证政策咨询难", "新杭州人家庭不清楚积分入学和居住证流程"),
    ("计生家庭", "失独老人希望有固定的陪伴探访", "社区议事会上计生专干提出"),
    ("低收入家庭", "低收入家庭希望获得家电维修、助餐补贴", "问卷中低保、低边家庭反映"),
    ("就业困难人员", "大龄失业居民希望有家门口的招聘会", "议事会上居民代表提出"),
    ("全体居民", "小区垃圾分类投放点不够,希望有人督导", "问卷中近半数住户提出"),
    ("老年人", "老人希望社区有防诈骗讲座", "走访中多位老人接到过诈骗电话"),
    ("儿童青少年", "青少年缺少课外运动和兴趣活动场地", "问卷中初中生家长反映"),
    ("全体居民", "电动自行车充电难,楼道充电有隐患", "社区议事会上多位居民提出"),
]

URGENCIES = ["紧急", "较急", "一般"]


def _before(day: dt.date, rng: random.Random, lo: int, hi: int) -> dt.date:
    return day - dt.timedelta(days=rng.randint(lo, hi))


def _need(community: str, group: str, title: str, source: str, surveyed: dt.date, rng: random.Random,
          description: str | None = None) -> dict:
    return {"title": title, "community": community, "target_group": group, "source": source, "surveyed_on": surveyed,
            "urgency": rng.choices(URGENCIES, weights=(2, 4, 5))[0],
            "residents": rng.randint(5, 60) if source in ("问卷调查", "社区议事") else rng.randint(1, 12),
            "recorded_by": rng.choice(RECORDERS), "description": description}


def load(db, actor: Actor = SYSTEM, *, today: dt.date | None = None, seed: int = 2018) -> dict[str, int]:
    if db.scalar("SELECT count(*) FROM community_needs"):  # loaded already (or needs recorded by hand): add nothing
        return {}
    today = today or dt.date.today()
    rng = random.Random(seed)
    rows: list[dict] = []
    plans: list[tuple[list[tuple[str, int]], list[tuple[str, dt.date, str]]]] = []  # (links, status moves)

    # the 金点子 residents raised: each answers the need behind it (and its application and project, if any)
    ideas = db.fetch_all(
        "SELECT i.id, i.title, i.community, i.created_at, a.id AS app_id, a.state, p.id AS project_id,"
        " p.state AS project_state, p.agreement_date, p.closed_on FROM ideas i"
        " LEFT JOIN applications a ON a.id = i.application_id LEFT JOIN projects p ON p.application_id = a.id"
        " WHERE i.duplicate_of IS NULL ORDER BY i.id")
    seen: set[tuple[str, str]] = set()
    for idea in ideas:
        if idea["title"] not in IDEA_NEEDS or (idea["community"], idea["title"]) in seen:
            continue
        seen.add((idea["community"], idea["title"]))
        group, title, source = IDEA_NEEDS[idea["title"]]
        raised = min(idea["created_at"].date(), today)
        surveyed = _before(raised, rng, 20, 120)
        links = [("idea", idea["id"])] + ([("application", idea["app_id"])] if idea["app_id"] else [])
        linked_on = min(today, surveyed + dt.timedelta(days=rng.randint(5, 20)))
        moves = [("已对接", linked_on, f"居民金点子「{idea['title']}」已登记,转交社会组织研究方案")]
        if idea["project_id"]:
            links.append(("project", idea["project_id"]))
            moves.append(("部分满足", today, "项目已立项实施,服务正在覆盖本社区"))
        rows.append(_need(idea["community"], group, title, source, surveyed, rng))
        plans.append((links, moves))

    # funded projects: most answer a need their first community raised before the application
    projects = db.fetch_all(
        "SELECT p.id, p.application_id, p.state, p.agreement_date, p.start_date, p.closed_on, p.midterm_due,"
        " p.communities, a.category, a.title FROM projects p JOIN applications a ON a.id = p.application_id"
        " WHERE p.application_id NOT IN (SELECT application_id FROM ideas WHERE application_id IS NOT NULL)"
        " ORDER BY p.id")
    for p in projects:
        if rng.random() > 0.7 or p["category"] not in CATEGORY_NEEDS:
            continue
        group, title = rng.choice(CATEGORY_NEEDS[p["category"]])
        community = p["communities"][0]
        source = rng.choice(choices.NEED_SOURCES[:3])
        surveyed = min(_before(p["agreement_date"], rng, 90, 240), today)
        linked_on = min(today, p["agreement_date"])
        moves = [("已对接", linked_on, f"对接项目「{p['title']}」(协议已签订)")]
        if p["state"] == "closed" and p["closed_on"]:
            moves.append(("部分满足", min(p["midterm_due"], p["closed_on"], today), "中期评估:服务已按计划开展"))
            moves.append(("已满足", min(p["closed_on"], today), "项目结项,居民反馈需求已得到满足"))
        elif p["state"] == "terminated":
            moves.append(("暂缓", min(today, p["agreement_date"] + dt.timedelta(days=120)), "项目终止,等待新的承接方"))
        elif p["midterm_due"] <= today:
            moves.append(("部分满足", p["midterm_due"], "中期评估:服务已覆盖部分居民"))
        rows.append(_need(community, group, title, source, surveyed, rng,
                          description=f"{group}反映:{title}。"))
        plans.append(([("application", p["application_id"]), ("project", p["id"])], moves))

    # needs still waiting: one to three in every community, some old, some set aside (暂缓)
    for community in choices.DEMO_COMMUNITIES:
        for group, title, description in rng.sample(OPEN_NEEDS, rng.randint(1, 3)):
            surveyed = _before(today, rng, 10, 400)
            moves = []
            if rng.random() < 0.15:
                moves = [("暂缓", min(today, surveyed + dt.timedelta(days=30)), "缺少合适场地,待社区协调后再推进")]
            rows.append(_need(community, group, title, rng.choice(choices.NEED_SOURCES), surveyed, rng, description))
            plans.append(([], moves))

    # the status each need ends in, written with the need; its moves as the events that led there
    system = []
    for (links, moves), row in zip(plans, rows):
        clean = []
        last = row["surveyed_on"]
        for status, day, note in moves:  # dates never before the survey or the previous move
            last = max(last, min(day, today))
            clean.append((status, last, note))
        moves[:] = clean
        system.append({"status": moves[-1][0], "status_on": moves[-1][1]} if moves else
                      {"status": "登记", "status_on": None})
    with records.unit(actor, db) as u:
        keys = dict(enumerate(u.create_many(NEED, records.clean_many(NEED, rows), system=system, validated=True)))
        events, link_rows = [], []
        for i, (links, moves) in enumerate(plans):
            before = "登记"
            for status, day, note in moves:
                events.append({"need_id": keys[i], "from_status": before, "to_status": status, "changed_on": day,
                               "note": note})
                before = status
            link_rows += [{"need_id": keys[i], "kind": kind, "target_id": int(tid), "note": None}
                          for kind, tid in dict.fromkeys(links)]
        if events:
            u.create_many(NEED_EVENT, records.clean_many(NEED_EVENT, events), validated=True)
        if link_rows:
            u.create_many(NEED_LINK, records.clean_many(NEED_LINK, link_rows), validated=True)
    return {"needs": len(rows), "need_events": len(events), "need_links": len(link_rows)}
