"""Demo 公益创投 history for 下沙街道: one round a year since 2019, at the seed case's real scale.

The seed's figures (``/work/shared/DOMAIN.md``): 76 projects funded, more than 3,000,000 元 put in,
about three applications per funded project, the categories 社区治理, 文化建设, 弱势群体关爱, 公共服务,
"一老一小", 特殊人群帮扶, and 共同富裕 new in the last two years (its 小沙励 project funded in the latest
closed round: :func:`_fund_new_category`).

- every round before ``today.year`` is closed: notice published, its funded projects in ``funded``,
  the others ``ineligible``, ``rejected`` or ``withdrawn`` (a few were returned once and resubmitted);
  the projects of the latest closed round (``today.year - 1``) are running today: their period
  started about 8 months before today and ends about 3 months after it; earlier rounds' have ended;
- the round of ``today.year`` is mid-flow: applications closed, expert review under way, its notice
  still ahead, about 30 applications in every state from ``draft`` to ``not_recommended``;
- about 40 金点子 across the rounds, some marked duplicates, about 10 promoted to applications;
- each application has its history as ``application_events`` (legal moves of
  :data:`core.intake.workflow.TRANSITIONS`, the first from nothing to ``draft``), milestones, and a
  screening row per screening decision.

:func:`plan` is pure and deterministic (``random.Random(2019)``) for given organisations and
``today``; :func:`load` writes it through the audited write path, one unit per round. The write path
stamps ``created_at`` with the time of loading, so the historical date of every workflow step is kept
in the event's note ("…(办理日期 2021-04-02)"), and in ``submitted_at`` and ``return_due``.
"""
from __future__ import annotations

import datetime as dt
import math
import random
from collections import Counter

from core.intake import rounds, workflow
from core.platform import records
from core.platform.actor import SYSTEM, Actor
from core.intake.applications import APPLICATION, MILESTONE, SCREENING
from core.demo.orgs import GIVEN, MOBILE_PREFIXES, SURNAMES
from core.intake.ideas import IDEA
from core.demo.common import checked as _check
from schemas import choices
from schemas.application import Application, ApplicationDraft, Milestone
from schemas.checks import normalise_phone
from schemas.idea import Idea
from schemas.round import Round

SEED = 2019
FIRST_YEAR = 2019
FUNDED_TOTAL = 76  # the seed: 资助项目76个
APPS_PER_FUNDED = 3.0
CURRENT_APPS = 30
IDEAS_TOTAL = 40
IDEAS_PROMOTED = 10
NEW_CATEGORY = "共同富裕"
OLD_CATEGORIES = [c for c in choices.PROJECT_CATEGORIES if c != NEW_CATEGORY]
CEILINGS = {2019: 50000.0, 2020: 50000.0, 2021: 60000.0, 2022: 60000.0}  # later rounds: 8万元
CEILING_LATER = 80000.0
CURRENT_BUDGET = 1_000_000.0
RUNNING_FOR_DAYS = 240  # the latest closed round's projects started about 8 months before today
RUNNING_LEFT_DAYS = 90  # and end about 3 months after today

# The current round: how many applications stand in each state today (30 in all).
CURRENT_STATES = {
    "draft": 2, "submitted": 2, "screening": 2, "returned": 2, "resubmitted": 2, "eligible": 2,
    "ineligible": 2, "under_review": 4, "reviewed": 3, "re_review": 2, "recommended": 3,
    "not_recommended": 2, "withdrawn": 2,
}

# ---- project catalogue: category -> (title, target group, activities, planned person-times) --------
PROJECTS: dict[str, list[tuple[str, str, tuple[str, ...], tuple[int, int]]]] = {
    "一老一小": [
        ("幸福食堂助餐服务", "辖区60周岁以上独居、高龄老人",
         ("工作日为老人提供午餐助餐", "为行动不便的老人送餐上门", "每季度开展一次营养膳食讲座"), (2500, 5000)),
        ("四点半课堂", "辖区双职工家庭的小学生",
         ("放学后提供作业辅导和看护", "开设科学、书法、手工兴趣课", "寒暑假开展主题托管班"), (1500, 4000)),
        ("银龄智慧助老课堂", "不会使用智能手机的老年人",
         ("开设智能手机使用小课堂", "开展防范电信诈骗宣讲", "志愿者一对一上门指导"), (600, 2000)),
        ("独居老人关爱探访", "辖区独居、空巢老人",
         ("志愿者与老人结对定期探访", "为老人建立健康和需求档案", "重要节日上门送温暖"), (800, 3000)),
        ("“朝夕美好”隔代共育", "隔代抚养家庭的祖辈和儿童",
         ("开展祖辈育儿沙龙", "组织亲子共读和代际游园活动", "建立祖辈互助小组"), (600, 2500)),
        ("认知症友好社区营造", "认知障碍老人及其照护家属",
         ("开展认知症早期筛查", "组建照护者支持小组", "开展认知症友好宣传进楼道"), (400, 1500)),
        ("亲子共育课堂", "辖区0至12岁儿童及其家长",
         ("每月开展亲子共育主题课堂", "组织亲子自然探索活动", "开展家庭教育个案咨询"), (800, 2500)),
    ],
    "弱势群体关爱": [
        ("青葵伙伴困境儿童陪伴计划", "辖区困境儿童及其家庭",
         ("为困境儿童提供一对一学业辅导", "开展心理疏导和个案跟进", "组织兴趣培养小组和成长营"), (800, 3000)),
        ("困境家庭微心愿圆梦行动", "低保、低边及支出型困难家庭",
         ("收集困难家庭微心愿", "链接爱心企业认领心愿", "开展节日走访慰问"), (300, 1200)),
        ("失独家庭暖心关怀", "计生特殊家庭成员",
         ("开展生日会、节日团聚活动", "提供心理慰藉和陪伴就医", "组建同伴互助小组"), (300, 1000)),
        ("失能老人家庭喘息服务", "失能老人的家庭照护者",
         ("为照护者提供短时替代照护", "开展照护技能培训", "组织照护者减压活动"), (400, 1500)),
        ("新杭州人子女城市融入计划", "外来务工人员随迁子女",
         ("开展城市探索和研学活动", "提供学业辅导和阅读陪伴", "组织亲子融入活动"), (800, 3000)),
        ("低收入家庭儿童学业辅导", "低收入家庭的中小学生",
         ("大学生志愿者每周学业辅导", "开展学习方法小组", "假期开展阅读打卡"), (600, 2000)),
    ],
    "公共服务": [
        ("1516便民服务点", "辖区居民,尤其是老年人和上班族",
         ("在社区设立便民服务站点", "提供家政、家电维修、健康义诊等一站式服务", "打造15分钟便民服务圈"), (3000, 5000)),
        ("社区便民集市", "辖区居民",
         ("每月举办一次便民利民集市", "开展清理小家电、磨剪刀等暖心服务", "引入志愿者和爱心商家摊位"), (2000, 5000)),
        ("“家有救星”应急救护培训", "社区居民及楼道长",
         ("开展消防安全演练", "开展心肺复苏与AED使用培训", "指导家庭配置应急包"), (500, 2000)),
        ("邻里共享工具屋", "辖区居民家庭",
         ("建立社区共享工具借用点", "开展家庭小维修课堂", "招募维修志愿者"), (800, 3000)),
        ("社区健康义诊", "辖区慢性病患者和老年人",
         ("每月邀请医生进社区义诊", "开展慢病管理讲座", "建立居民健康档案"), (1500, 4000)),
        ("新就业群体暖心驿站", "外卖骑手、快递员等新就业群体",
         ("设立暖心驿站提供歇脚、充电、饮水", "开展权益保障讲座", "组织新就业群体参与社区志愿服务"), (2000, 5000)),
    ],
    "社区治理": [
        ("邻里议事厅协商共治", "小区居民、业委会和物业",
         ("每月召开邻里议事会", "围绕小区公共事务开展协商", "培育居民议事骨干"), (600, 2000)),
        ("楼道自治“红管家”", "老旧小区楼道居民",
         ("招募培育楼道长", "开展楼道微更新", "制定楼道公约"), (800, 3000)),
        ("和事佬矛盾调解工作室", "有邻里纠纷的居民家庭",
         ("设立调解接待日", "开展法律明白人培训", "跟进回访调解个案"), (300, 1200)),
        ("垃圾分类督导与积分兑换", "辖区居民家庭",
         ("定时定点督导垃圾分类", "开展积分兑换活动", "进校园、进楼道宣传"), (2000, 5000)),
        ("文明养犬共治行动", "养犬居民及社区居民",
         ("开展文明养犬宣传", "组建劝导志愿队", "组织犬只免疫和登记服务"), (800, 3000)),
        ("小区停车难协商治理", "小区业主和物业",
         ("开展停车需求调研", "组织多方协商会", "推动停车公约落地"), (500, 2000)),
        ("平安巡防邻里守望", "社区居民",
         ("组织志愿者夜间巡防", "开展防盗、防诈宣传", "建立邻里守望微信群"), (1500, 4000)),
    ],
    "文化建设": [
        ("邻里文化节", "社区居民",
         ("举办邻里文化节开幕式", "开展才艺展演和邻里美食分享", "评选最美家庭"), (2000, 5000)),
        ("社区书画公益课堂", "书画爱好者和青少年",
         ("每周开设书画公益课", "举办社区书画展", "开展进校园书法体验"), (600, 2000)),
        ("非遗技艺进社区", "社区居民和青少年",
         ("邀请非遗传承人授课", "开展剪纸、竹编体验", "举办非遗作品展"), (800, 2500)),
        ("红色故事宣讲团", "社区党员和青少年",
         ("培育居民宣讲员", "开展红色故事进楼道", "组织红色研学活动"), (600, 2000)),
        ("全民阅读推广", "社区居民家庭",
         ("建设社区共享书屋", "开展亲子阅读会", "组织读书分享沙龙"), (1000, 3000)),
        ("社区合唱排舞展演", "文体团队和居民",
         ("开展合唱、排舞培训", "组织社区文艺展演", "参加街道文化汇演"), (1000, 3000)),
    ],
    "特殊人群帮扶": [
        ("残疾人社区康复服务", "辖区持证残疾人",
         ("开展康复训练指导", "提供辅具适配咨询", "组织残疾人融合活动"), (500, 2000)),
        ("心智障碍青年融合支持", "心智障碍青年及其家庭",
         ("开展生活技能训练", "组织社区融合体验", "为家长提供喘息支持"), (300, 1200)),
        ("精神障碍康复者社区融入", "精神障碍康复者及其家属",
         ("开展康复者小组活动", "提供家属心理支持", "组织社区融入实践"), (300, 1000)),
        ("残障人士就业能力培训", "就业年龄段的残障人士",
         ("开展职业技能培训", "链接辅助性就业岗位", "跟进就业稳定情况"), (300, 1200)),
        ("计生特殊家庭心理支持", "计生特殊家庭成员",
         ("开展个案心理疏导", "组织同伴支持小组", "开展节日陪伴活动"), (300, 1000)),
    ],
    "共同富裕": [
        ("“小沙励”助力居民就业共富", "辖区就业困难人员和灵活就业居民",
         ("开展就业需求摸排", "组织技能培训和招聘对接", "建立就业帮扶跟踪机制"), (800, 3000)),
        ("巧手编织增收工坊", "有手工技能的全职妈妈和低龄老人",
         ("开设编织技艺培训", "对接企业订单", "组织作品展销"), (500, 2000)),
        ("新居民职业技能培训", "新杭州人和灵活就业人员",
         ("开展家政、电商等技能培训", "组织职业资格考证辅导", "对接用工企业"), (600, 2500)),
        ("社区共富工坊", "社区低收入家庭和待业居民",
         ("引入企业来料加工", "建立家门口就业点", "开展收入跟踪"), (500, 2000)),
        ("家门口就业服务站", "辖区求职居民",
         ("发布家门口就业岗位", "开展就业指导讲座", "提供一对一求职辅导"), (800, 3000)),
    ],
}
BRAND_PROJECTS = {  # organisation name fragment -> (category, title)
    "1516": ("公共服务", "1516便民服务点"),
    "青葵": ("弱势群体关爱", "青葵伙伴困境儿童陪伴计划"),
}
DOMAIN_TO_CATEGORY = {  # service domains that are not project categories
    "志愿服务": ("公共服务", "一老一小", "弱势群体关爱"), "文化体育": ("文化建设",), "法律服务": ("社区治理", "特殊人群帮扶"),
    "心理健康": ("弱势群体关爱", "特殊人群帮扶"), "环境保护": ("社区治理",), NEW_CATEGORY: ("公共服务", "社区治理"),
}
NEEDS = {
    "一老一小": "老年人的助餐、照护、数字生活和孩子放学后的看护是居民反映最集中的问题,独居老人和双职工家庭尤为突出",
    "弱势群体关爱": "困难家庭在学业辅导、心理支持和生活照料方面缺少持续稳定的支持,现有救助以物质为主",
    "公共服务": "居民对家门口的便民服务需求大,维修、义诊、应急救护等服务分散,老年人获取不便",
    "社区治理": "小区公共事务协商渠道不畅,居民参与意识有待提升,邻里矛盾和环境问题时有发生",
    "文化建设": "居民精神文化需求日益多样,社区文体团队缺少专业指导和展示平台",
    "特殊人群帮扶": "残障人士和特殊家庭在康复、就业和社会融入方面需求突出,专业服务供给不足",
    NEW_CATEGORY: "部分居民就业不稳定、收入来源单一,缺少家门口的技能培训和就业渠道",
}
STONES = ("完成服务对象需求调研和建档", "提交中期自评报告及活动记录", "完成全部服务活动并提交结项报告")
COFUNDERS = ("杭州市钱塘区金沙湖慈善基金会", "杭州市钱塘区下沙社区发展基金会", "辖区爱心企业(企业公益认领)",
             "社区共建单位")
INELIGIBLE = (("登记/备案有效", "备案证明已过期,未能提供有效的登记/备案材料"),
              ("无不良记录", "上一期创投项目末期评估为C级,整改尚未完成"),
              ("配套资金说明", "申报书未说明配套资金来源,经提醒后仍未补充"))
RETURNED = (("配套资金说明", "未写明其他来源出资方和用途,请补充配套资金说明"),
            ("登记/备案有效", "备案证书复印件不清晰,请重新提交"))
WITHDRAW_REASONS = ("项目负责人工作调动,团队无法保证执行", "组织调整申报方向,主动撤回",
                    "与已获其他资助的项目内容重复,主动撤回")

# ---- 金点子: (category, title, description, tags) ------------------------------------------------
IDEAS: list[tuple[str, str, str, tuple[str, ...]]] = [
    ("一老一小", "小区老人吃饭难,希望办个老年食堂", "小区高龄独居老人多,做饭不便,希望社区能提供助餐和送餐。", ("助餐", "老年人")),
    ("一老一小", "放学后孩子没人管", "双职工家庭孩子三点半放学,希望社区有地方能写作业、有人看护。", ("托管", "儿童")),
    ("一老一小", "教老人用智能手机", "老人不会扫码挂号、不会视频通话,希望有人耐心教。", ("数字助老",)),
    ("弱势群体关爱", "困境儿童需要长期陪伴", "几户困境家庭的孩子缺少辅导和陪伴,希望有固定的志愿者结对。", ("困境儿童", "结对")),
    ("弱势群体关爱", "照顾失能老人的家属太累了", "家里有失能老人,家属常年照护没有喘息,希望能有短时替代照护。", ("喘息服务",)),
    ("公共服务", "家门口修家电、磨剪刀", "附近修理点越来越少,希望社区定期有便民维修和磨剪刀服务。", ("便民", "维修")),
    ("公共服务", "希望社区开展急救培训", "楼里老人多,希望居民都学会心肺复苏和使用AED。", ("急救", "安全")),
    ("公共服务", "外卖小哥没地方歇脚", "骑手中午在路边休息,建议设个能喝水充电的暖心驿站。", ("新就业群体",)),
    ("社区治理", "楼道堆物需要大家一起商量", "楼道杂物多存在消防隐患,希望组织居民一起商量楼道公约。", ("楼道", "议事")),
    ("社区治理", "小区停车难,建议成立议事会", "晚上停车位紧张,常有纠纷,建议业主、物业和社区坐下来协商。", ("停车", "协商")),
    ("社区治理", "文明养犬需要有人劝导", "小区遛狗不牵绳、不清理粪便的情况多,建议成立劝导队。", ("养犬",)),
    ("文化建设", "办一个邻里文化节", "新小区邻居互不认识,希望办文化节让大家走出家门。", ("邻里", "文化")),
    ("文化建设", "社区里开书画课", "退休居民想学书法国画,希望社区能请老师来上课。", ("书画",)),
    ("特殊人群帮扶", "残疾人康复训练离家太远", "康复机构路远不便,希望社区能有康复指导。", ("残疾人", "康复")),
    ("特殊人群帮扶", "心智障碍孩子家长需要支持", "家长长期照顾心智障碍孩子压力很大,希望有融合活动和喘息支持。", ("心智障碍",)),
    (NEW_CATEGORY, "家门口的灵活就业岗位", "不少宝妈和低龄老人想在家门口就业增收,希望社区对接企业订单。", ("就业", "增收")),
    (NEW_CATEGORY, "组织手工编织增收", "社区里会编织的阿姨很多,建议组织起来接订单增加收入。", ("手工", "共富")),
]
IDEA_SOURCE_NOTE = {"居民": "居民", "社区": "社区居委会", "社会组织": "社会组织", "企业": "辖区企业"}


# ==== planning (pure) =========================================================================
def _day(d: dt.date, n: int) -> dt.date:
    return d + dt.timedelta(days=n)


def _between(rng: random.Random, lo: dt.date, hi: dt.date) -> dt.date:
    return lo if hi <= lo else _day(lo, rng.randint(0, (hi - lo).days))


def _ceiling(year: int) -> float:
    return CEILINGS.get(year, CEILING_LATER)


def _categories(year: int, today: dt.date) -> list[str]:
    return list(OLD_CATEGORIES) + ([NEW_CATEGORY] if year >= today.year - 1 else [])


def _funded_split(n: int, total: int = FUNDED_TOTAL) -> list[int]:
    """Funded projects per past round, growing year by year (8, 9, ... 13, 13 for seven rounds)."""
    if n <= 0:
        return []
    out = [min(8 + i, 13) for i in range(n)]
    i = 0
    while sum(out) > total and any(v > 1 for v in out):  # more rounds: fewer each, earliest first
        if out[i % n] > 1:
            out[i % n] -= 1
        i += 1
    i = 0
    while sum(out) < total:  # fewer rounds: more each, latest first
        out[n - 1 - i % n] += 1
        i += 1
    return out


def _round_row(year: int, today: dt.date, current: bool) -> dict:
    row = rounds.defaults(year)
    row["name"] = f"{year}年下沙街道公益创投"  # the case study's rounds (the hub tree is built after them)
    row["categories"] = _categories(year, today)
    row["project_ceiling"] = _ceiling(year)
    row["reviewers_per_app"] = 3 if year == FIRST_YEAR else 5
    row["trimmed_mean"] = year != FIRST_YEAR
    row["blind_review"] = year >= 2023
    if current:  # mid-flow today: applications closed, review under way, notice ahead
        t = today
        row.update(
            ideas_start=_day(t, -95), ideas_end=_day(t, -66), apply_start=_day(t, -65), apply_end=_day(t, -30),
            screening_end=_day(t, 5), review_start=_day(t, -14), review_end=_day(t, 10),
            notice_start=_day(t, 16), notice_end=_day(t, 22), project_start=_day(t, 35),
            project_end=_day(t, 35 + 300),
        )
        row["total_budget"] = CURRENT_BUDGET
    elif year == today.year - 1:  # the latest closed round: its projects are running today
        row["project_start"] = max(_day(today, -RUNNING_FOR_DAYS), _day(row["notice_end"], 7))
        row["project_end"] = _day(today, RUNNING_LEFT_DAYS)
    elif row["project_end"] >= today:  # earlier rounds have ended
        row["project_end"] = _day(today, -1)
    notes = []
    if year == FIRST_YEAR:
        notes.append("首届下沙街道公益创投")
    if year == today.year - 1:
        notes.append("新增“共同富裕”项目类别")
    row["notes"] = ";".join(notes) or None
    return row


def _when(rng: random.Random, d: dt.date, prev: dt.datetime | None) -> dt.datetime:
    t = dt.datetime.combine(d, dt.time(9, 0)) + dt.timedelta(minutes=rng.randint(0, 8 * 60))
    if prev is not None and t <= prev:
        t = prev + dt.timedelta(minutes=rng.randint(10, 90))
        if t.date() > d:  # never spill into the next day
            t = prev + dt.timedelta(seconds=1)
    return t


def _states(final: str, *, returned: bool, rereview: bool, withdraw_from: str | None = None) -> list[str]:
    """The states an application went through to ``final`` (every step a legal transition)."""
    line = ["draft", "submitted", "screening"]
    if returned:
        line += ["returned", "resubmitted", "screening"]
    line += ["eligible", "under_review", "reviewed"]
    if rereview:
        line += ["re_review", "reviewed"]
    line += ["recommended", "public_notice", "funded"]

    def upto(state: str) -> list[str]:
        return line[:len(line) - line[::-1].index(state)]

    if final == "withdrawn":
        out = upto(withdraw_from) + ["withdrawn"]
    elif final == "rejected_notrec":
        out = upto("reviewed") + ["not_recommended", "rejected"]
    elif final == "rejected_rec":
        out = upto("recommended") + ["rejected"]
    elif final == "not_recommended":
        out = upto("reviewed") + ["not_recommended"]
    elif final == "ineligible":
        out = upto("screening") + ["ineligible"]
    elif final == "overdue":  # returned, never resubmitted
        out = ["draft", "submitted", "screening", "returned", "ineligible"]
    elif final == "returned":
        out = ["draft", "submitted", "screening", "returned"]
    else:
        out = upto(final)
    for a, b in zip(out, out[1:]):
        if workflow.transition(a, b) is None:
            raise AssertionError(f"illegal demo history {a} -> {b}")
    return out


def _dated(rng: random.Random, states: list[str], r: dict, today: dt.date, current: bool
           ) -> tuple[list[tuple[str, dt.datetime]], dt.date | None]:
    """Put a date (and time) on each state, inside the round's phases, never after today."""
    out: list[tuple[str, dt.datetime]] = []
    prev_d = r["apply_start"]
    prev_t: dt.datetime | None = None
    return_due = None
    for i, s in enumerate(states):
        before = states[i - 1] if i else None
        if s == "draft":
            lo, hi = r["apply_start"], _day(r["apply_end"], -4)
        elif s == "submitted":
            lo, hi = _day(prev_d, 1), r["apply_end"]
        elif s == "screening":
            lo, hi = (_day(r["apply_end"], 1), _day(r["apply_end"], 4)) if before == "submitted" \
                else (_day(prev_d, 1), _day(prev_d, 2))
        elif s == "returned":
            lo, hi = _day(prev_d, 1), _day(prev_d, 4)
            if current and i == len(states) - 1:  # still waiting for the papers
                lo = hi = _day(today, -rng.randint(2, 6))
        elif s == "resubmitted":
            lo, hi = _day(prev_d, 2), _day(return_due, 0)
        elif s in ("eligible", "ineligible") and before == "screening":
            lo, hi = _day(prev_d, 1), r["screening_end"]
        elif s == "ineligible":  # returned and overdue
            lo = hi = _day(return_due, 1)
        elif s == "under_review":
            lo, hi = r["review_start"], _day(r["review_start"], 1)
        elif s == "reviewed":
            lo, hi = _day(prev_d, 3), _day(r["review_end"], -2)
        elif s == "re_review":
            lo, hi = _day(prev_d, 1), _day(prev_d, 1)
        elif s in ("recommended", "not_recommended"):
            lo, hi = r["review_end"], _day(r["notice_start"], -2)
        elif s == "public_notice":
            lo = hi = r["notice_start"]
        elif s == "funded":
            lo, hi = _day(r["notice_end"], 1), _day(r["notice_end"], 3)
        elif s == "rejected":
            lo, hi = _day(r["notice_start"], -1), _day(r["notice_start"], -1)
        else:  # withdrawn
            lo, hi = _day(prev_d, 1), _day(prev_d, 12)
        lo = max(lo, prev_d)
        hi = max(lo, hi)
        if current:
            hi = min(hi, today)
            lo = min(lo, hi)
        d = _between(rng, lo, hi)
        if s == "returned":
            return_due = _day(d, 10)
        prev_t = _when(rng, d, prev_t)
        prev_d = prev_t.date()
        out.append((s, prev_t))
    return out, return_due


def _money_lines(rng: random.Random, amount: int) -> dict:
    """Split ``amount`` (whole yuan) into the five budget lines; they sum to it exactly."""
    shares = {"budget_personnel": rng.uniform(0.30, 0.42), "budget_materials": rng.uniform(0.20, 0.32),
              "budget_venue": rng.uniform(0.0, 0.10), "budget_publicity": rng.uniform(0.04, 0.08)}
    lines = {k: float(int(amount * v)) for k, v in shares.items()}
    lines["budget_other"] = float(amount - sum(lines.values()))
    return lines


def _category(rng: random.Random, org: dict, cats: list[str]) -> str:
    for frag, (cat, _) in BRAND_PROJECTS.items():
        if frag in org["name"] and cat in cats:
            return cat
    wanted = [c for d in (org.get("service_domains") or []) for c in ((d,) if d in cats else DOMAIN_TO_CATEGORY.get(d, ()))]
    wanted = [c for c in wanted if c in cats]
    return rng.choice(wanted) if wanted and rng.random() < 0.8 else rng.choice(cats)


def _project(rng: random.Random, org: dict, cat: str, used: set[str], want: str | None = None) -> tuple:
    for frag, (bcat, title) in BRAND_PROJECTS.items():
        if frag in org["name"] and bcat == cat:
            item = next(p for p in PROJECTS[cat] if p[0] == title)
            break
    else:
        item = None
    if want is not None:
        item = next(p for p in PROJECTS[cat] if p[0] == want)
    elif item is None:
        pool = [p for p in PROJECTS[cat] if p[0] not in used] or PROJECTS[cat]
        item = rng.choice(pool)
    title = item[0]
    if title in used:
        title = org["community"] + title
    used.add(title)
    return (title,) + item[1:]


def _application(rng: random.Random, r: dict, org: dict, cat: str, used: set[str], communities: list[str],
                 draft: bool, amount_share: tuple[float, float], want: str | None = None) -> dict:
    title, target, acts, (blo, bhi) = _project(rng, org, cat, used, want)
    others = [c for c in communities if c != org["community"]]
    comms = [org["community"]] + rng.sample(others, rng.choice((0, 0, 1, 2)))
    place = "、".join(comms)
    who = target.removeprefix("辖区")
    n = int(round(rng.randint(blo, bhi), -1))
    ceiling = float(r["project_ceiling"])
    amount = int(round(ceiling * rng.uniform(*amount_share), -2))
    values = {
        "category": cat, "title": title, "communities": comms,
        "summary": f"项目面向{place}{who},主要内容:{acts[0]};{acts[1]};{acts[2]}。计划服务{n}人次。",
    }
    if draft:  # an unfinished draft: only some parts filled in
        if rng.random() < 0.5:
            values["target_group"] = target
        return values
    people = rng.randint(30, 400)
    values.update({
        "needs_analysis": (f"据{org['community']}居委会{r['year'] - 1}年底走访统计,辖区{who}约{people}人。"
                           f"前期通过入户走访和问卷调研(回收有效问卷{rng.randint(60, 300)}份)发现,{NEEDS[cat]}。"
                           f"项目将依托{org['name']}的服务经验,回应居民最迫切的需求。"),
        "target_group": target,
        "planned_beneficiaries": n,
        "planned_activities": "\n".join(f"{i}. {a}" for i, a in enumerate(acts, start=1))
                              + f"\n{len(acts) + 1}. 中期提交自评报告,末期接受第三方评估",
        "requested_amount": float(amount),
        **_money_lines(rng, amount),
    })
    if rng.random() < 0.4:
        values["cofunding_self"] = float(int(round(amount * rng.uniform(0.05, 0.2), -2)))
    if rng.random() < 0.2:
        values["cofunding_other"] = float(int(round(amount * rng.uniform(0.1, 0.3), -2)))
        values["cofunding_note"] = f"{rng.choice(COFUNDERS)}配套支持项目物资和活动经费"
    return values


def _milestones(rng: random.Random, r: dict) -> list[dict]:
    start, end = r["project_start"], r["project_end"]
    span = (end - start).days
    picks = rng.choice(((2,), (1, 2), (1, 2), (0, 1, 2), (0, 1, 2)))  # the final report always
    at = {0: 0.18, 1: 0.5, 2: 0.95}  # share of the project period
    return [{"due_date": _day(start, int(span * at[p]) + (rng.randint(-5, 5) if p < 2 else 0)),
             "deliverable": STONES[p]} for p in picks]


def _weight(org: dict) -> float:
    w = {"4A": 3.0, "3A": 2.0, "2A": 1.0, "1A": 1.0}.get(org.get("rating") or "", 0.0)
    w += {"成熟期": 1.5, "成长期": 1.0, "初创期": 0.3, "零基础筹备期": -0.5}.get(org.get("stage") or "", 0.0)
    if any(frag in org["name"] for frag in BRAND_PROJECTS):
        w += 3.0
    return w


def _pick_orgs(rng: random.Random, orgs: list[dict], n: int) -> list[dict]:
    """``n`` organisations, the established ones more likely (weighted sampling without replacement)."""
    keyed = sorted(orgs, key=lambda o: -rng.random() ** (1.0 / (1.5 + _weight(o))))
    return keyed[:n]


def _screening_row(rng: random.Random, outcome: str, checklist: list[str], return_due: dt.date | None) -> dict:
    failed: list[tuple[str, str]] = []
    if outcome == "ineligible":
        failed = [rng.choice(INELIGIBLE)]
    elif outcome == "returned":
        failed = [rng.choice(RETURNED)]
    names = [f for f, _ in failed]
    return {"outcome": outcome, "items_passed": [c for c in checklist if c not in names], "items_failed": names,
            "reasons": "\n".join(f"{f}:{why}" for f, why in failed) or None,
            "return_due": return_due if outcome == "returned" else None}


def _history(rng: random.Random, states: list[str], r: dict, today: dt.date, current: bool, checklist: list[str]
             ) -> dict:
    """Dates, events, screenings and the system columns of one application's history."""
    dated, return_due = _dated(rng, states, r, today, current)
    if current and states[-1] == "returned":
        return_due = max(return_due, _day(today, 3))
    events, screenings = [], []
    submitted_at = None
    withdraw_note = rng.choice(WITHDRAW_REASONS)
    for i, (s, when) in enumerate(dated):
        before = dated[i - 1][0] if i else None
        if before is None:
            text = "新建申报草稿"
        elif before == "screening" and s in ("eligible", "ineligible", "returned"):
            row = _screening_row(rng, s, checklist, return_due)
            screenings.append(row)
            text = row["reasons"] or workflow.transition(before, s).label
        elif s == "withdrawn":
            text = withdraw_note
        else:
            text = workflow.transition(before, s).label
        if s in ("submitted", "resubmitted"):
            submitted_at = when
        events.append({"from_state": before, "to_state": s, "note": f"{text}(办理日期 {when:%Y-%m-%d})",
                       "label": workflow.transition(before, s).label if before else "新建申报草稿"})
    system = {"state": states[-1], "submitted_at": submitted_at,
              "returned_count": 1 if "returned" in states else 0,
              "return_due": return_due if "returned" in states else None}
    return {"events": events, "screenings": screenings, "system": system, "dated": dated}


PROJECT_FIELDS = ("category", "title", "communities", "summary", "needs_analysis", "target_group",
                  "planned_beneficiaries", "planned_activities")  # what a project is about (not its money)
SEED_PROJECT = "“小沙励”助力居民就业共富"  # the seed's own 共同富裕 project


def _fund_new_category(rng: random.Random, r: dict, round_apps: list[dict], chosen: list[dict], used: set[str],
                       communities: list[str]) -> None:
    """The seed funded 共同富裕 projects (小沙励) in the category's first years: when a closed round funded
    none, one funded application (not a core brand's) takes up the 小沙励 project and the application that
    had it takes the funded one's category. Only what the projects are about moves: organisations, outcomes,
    histories and money stay, so the seed's 76 projects and totals hold. Its own ``rng``: the rest of
    the demo draws the same numbers as before."""
    if any(a["values"]["category"] == NEW_CATEGORY and a["system"]["state"] == "funded" for a in round_apps):
        return
    org_of = {o["id"]: o for o in chosen}
    funded = [a for a in round_apps if a["system"]["state"] == "funded"
              and not any(frag in org_of[a["values"]["org_id"]]["name"] for frag in BRAND_PROJECTS)]
    if not funded:
        return
    near = [a for a in funded if NEW_CATEGORY in (org_of[a["values"]["org_id"]].get("service_domains") or [])]
    donor = rng.choice(near or funded)
    holder = next((a for a in round_apps if a["values"].get("title") == SEED_PROJECT and a is not donor), None)
    old_category = donor["values"]["category"]
    for a in (donor, holder):
        if a is not None:
            used.discard(a["values"]["title"])

    def retell(a: dict, cat: str, want: str | None) -> None:
        org = org_of[a["values"]["org_id"]]
        fresh = _application(rng, r, org, cat, used, communities, a["draft"], (0.4, 1.0), want)
        a["values"].update({k: fresh[k] for k in PROJECT_FIELDS if k in fresh})

    retell(donor, NEW_CATEGORY, SEED_PROJECT)
    if holder is not None:
        retell(holder, old_category, None)


def plan(orgs: list[dict], today: dt.date | None = None, seed: int = SEED) -> dict:
    """The whole demo history as plain data: rounds, applications (with histories) and ideas.

    ``orgs`` are organisation rows with ``id``, ``name``, ``community``, ``service_domains``,
    ``reg_date``, ``active``, ``rating`` and ``stage``.
    """
    today = today or dt.date.today()
    if today.year < FIRST_YEAR + 3:
        raise ValueError("the demo rounds need at least three closed rounds since 2019")
    rng = random.Random(seed)
    years = list(range(FIRST_YEAR, today.year + 1))
    past = years[:-1]
    communities = list(choices.DEMO_COMMUNITIES)
    active = [o for o in orgs if o["active"]]

    def eligible(y: int) -> list[dict]:
        return [o for o in active if o.get("reg_date") is None or o["reg_date"].year < y]

    funded_n = dict(zip(past, _funded_split(len(past))))
    pool = {y: eligible(y) for y in years}
    k = APPS_PER_FUNDED * FUNDED_TOTAL / max(1, sum(len(pool[y]) for y in past))
    apps_n = {y: max(funded_n[y] + 3, min(len(pool[y]), round(len(pool[y]) * k))) for y in past}
    apps_n[today.year] = min(CURRENT_APPS, len(pool[today.year]))

    out_rounds, out_apps = [], []
    for y in years:
        current = y == today.year
        r = _round_row(y, today, current)
        cats = r["categories"]
        checklist = list(r["checklist"])
        chosen = _pick_orgs(rng, pool[y], apps_n[y])
        if len(chosen) < apps_n[y] or (not current and len(chosen) < funded_n[y]):
            raise ValueError(f"{y}: too few organisations for the demo round")
        # who gets what outcome: the strongest funded, then the rest
        if current:
            finals = [s for s, n in CURRENT_STATES.items() for _ in range(n)][:len(chosen)]
            rng.shuffle(finals)
        else:
            ranked = sorted(chosen, key=lambda o: -(_weight(o) + rng.gauss(0, 1.5)))
            chosen = ranked
            f = funded_n[y]
            rest = len(chosen) - f
            n_withdrawn = max(1, round(rest * 0.1))
            n_inel = max(1, round(rest * 0.22))
            n_rec_rej = 1 if rng.random() < 0.6 else 0
            n_notrec = rest - n_inel - n_rec_rej  # withdrawals then replace some of these
            tail = ["rejected_rec"] * n_rec_rej + ["rejected_notrec"] * n_notrec
            rng.shuffle(tail)
            low = ["ineligible"] * n_inel
            if rng.random() < 0.5:
                low[0] = "overdue"
            finals = ["funded"] * f + tail + low
            spots = list(range(f, len(finals)))  # withdrawals among the non-funded, at random
            for j in rng.sample(spots, n_withdrawn):
                finals[j] = "withdrawn"
        used: set[str] = set()
        round_apps = []
        for org, final in zip(chosen, finals):
            cat = _category(rng, org, cats)
            draft = final == "draft"
            share = (0.5, 0.95) if final == "funded" else (0.4, 1.0)
            values = _application(rng, r, org, cat, used, communities, draft, share)
            values["org_id"] = org["id"]
            reached_screening = final not in ("draft", "submitted", "withdrawn")
            returned = final in ("returned", "resubmitted", "overdue") or (
                reached_screening and final not in ("screening", "ineligible") and rng.random() < 0.06)
            rereview = final == "re_review" or (
                final in ("funded", "rejected_rec", "rejected_notrec", "recommended", "not_recommended")
                and rng.random() < 0.15)
            withdraw_from = None
            if final == "withdrawn":
                withdraw_from = rng.choice(("submitted", "screening", "eligible", "under_review"))
            states = _states(final, returned=returned, rereview=rereview, withdraw_from=withdraw_from)
            hist = _history(rng, states, r, today, current, checklist)
            system = dict(hist["system"], granted_amount=None, decision_note=None)
            if final == "funded":
                req = values["requested_amount"]
                system["granted_amount"] = float(min(req, int(req * rng.uniform(0.78, 1.0) / 100) * 100))
                system["decision_note"] = "评审推荐,决定资助"
            elif final == "rejected_notrec":
                system["decision_note"] = "评审得分未达推荐线,不予资助"
            elif final == "rejected_rec":
                system["decision_note"] = "批次资金已分配完毕,不予资助"
            round_apps.append({"year": y, "values": values, "system": system, "events": hist["events"],
                               "screenings": hist["screenings"], "draft": draft,
                               "milestones": [] if draft else _milestones(rng, r)})
        # 共同富裕 in the last two rounds: at least two applications each
        if NEW_CATEGORY in cats:
            have = sum(a["values"]["category"] == NEW_CATEGORY for a in round_apps)
            for a in round_apps:
                if have >= 2:
                    break
                if a["values"]["category"] != NEW_CATEGORY and a["system"]["state"] != "funded":
                    org = next(o for o in chosen if o["id"] == a["values"]["org_id"])
                    fresh = _application(rng, r, org, NEW_CATEGORY, used, communities, a["draft"], (0.4, 1.0))
                    a["values"] = dict(fresh, org_id=org["id"])
                    have += 1
        if NEW_CATEGORY in cats and not current:
            _fund_new_category(random.Random(seed * 10000 + y), r, round_apps, chosen, used, communities)
        out_apps += round_apps
        out_rounds.append(r)

    # enough money: the seed says more than 3,000,000 元 went out
    funded = [a for a in out_apps if a["system"]["state"] == "funded"]
    total = sum(a["system"]["granted_amount"] for a in funded)
    for a in sorted(funded, key=lambda a: a["values"]["requested_amount"] - a["system"]["granted_amount"]):
        if total > 3_150_000:
            break
        total += a["values"]["requested_amount"] - a["system"]["granted_amount"]
        a["system"]["granted_amount"] = a["values"]["requested_amount"]
    for r in out_rounds:
        if r["year"] == today.year:
            r["notice_published_at"] = None
            continue
        granted = sum(a["system"]["granted_amount"] for a in funded if a["year"] == r["year"])
        r["total_budget"] = float(max(math.ceil(granted * 1.06 / 50000) * 50000, 300000))
        r["notice_published_at"] = dt.datetime.combine(r["notice_start"], dt.time(9, 30))

    return {"rounds": out_rounds, "applications": out_apps, "ideas": _ideas(rng, out_rounds, out_apps)}


def _phone(rng: random.Random) -> str:
    while True:
        num = normalise_phone(rng.choice(MOBILE_PREFIXES) + "".join(rng.choices("0123456789", k=8)))
        if num:
            return num


def _ideas(rng: random.Random, rnds: list[dict], apps: list[dict]) -> list[dict]:
    """About 40 金点子 spread over the rounds; some duplicates; about 10 promoted to applications."""
    per = [IDEAS_TOTAL // len(rnds) + (1 if i < IDEAS_TOTAL % len(rnds) else 0) for i in range(len(rnds))]
    promote_at = set(rng.sample(range(IDEAS_TOTAL), IDEAS_PROMOTED))
    for a in apps:
        a["idea"] = None
    out: list[dict] = []
    heard: set[str] = set()
    n = 0
    for r, count in zip(rnds, per):
        pool = [i for i in IDEAS if i[0] in r["categories"]]
        candidates = [a for a in apps if a["year"] == r["year"] and not a["draft"]]
        mine: list[dict] = []
        for _ in range(count):
            source = choices.IDEA_SOURCES[n % len(choices.IDEA_SOURCES)]
            app, twin = None, None
            if n in promote_at and candidates:  # this idea became an application
                app = rng.choice(candidates)
                candidates.remove(app)
                cat, title, desc, tags = rng.choice([i for i in pool if i[0] == app["values"]["category"]])
                community = app["values"]["communities"][0]
            else:  # prefer a need not yet heard this round (or at all)
                fresh = [i for i in pool if i[1] not in {m["title"] for m in mine}]
                unheard = [i for i in fresh if i[1] not in heard]
                cat, title, desc, tags = rng.choice(unheard or fresh or pool)
                community = rng.choice(choices.DEMO_COMMUNITIES)
                kept = [m for m in mine if m["duplicate_of"] is None]
                twin = next((m for m in kept if m["title"] == title), None)
                if twin is None and kept and rng.random() < 0.2:  # the same need reported again
                    twin = rng.choice(kept)
                if twin is not None:
                    cat, title, community = twin["category"], twin["title"], twin["community"]
                    desc = twin["description"].split(":", 1)[1]
                    tags = tuple(twin["tags"] or ())
            idea = {
                "year": r["year"], "title": title, "description": f"{IDEA_SOURCE_NOTE[source]}反映:{desc}",
                "community": community, "category": cat, "source": source, "contact_name": None,
                "contact_phone": None, "tags": list(tags), "duplicate_of": twin["key"] if twin else None,
                "key": n,
            }
            if source == "居民" and rng.random() < 0.6:
                idea["contact_name"] = rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(GIVEN)
                idea["contact_phone"] = _phone(rng)
            if app is not None:
                app["idea"] = n
            heard.add(title)
            mine.append(idea)
            out.append(idea)
            n += 1
    return out


# ==== writing (through the audited write path) ================================================
def _org_rows(db) -> list[dict]:
    return db.fetch_all("SELECT id, name, community, service_domains, reg_date, active, rating, stage"
                        " FROM organisations ORDER BY id")


def load(db, actor: Actor = SYSTEM, today: dt.date | None = None) -> dict[str, int]:
    """Write the demo rounds, applications (with milestones, screenings, events) and ideas.

    Needs the organisations and the choice providers (``core.domain.install_providers``) in place;
    returns counts of what was written.
    """
    today = today or dt.date.today()
    p = plan(_org_rows(db), today)

    # rounds first, in a unit of their own: the other rows are validated against their ids
    valid_rounds = _check(Round, [{k: v for k, v in r.items() if k != "notice_published_at"} for r in p["rounds"]],
                          "rounds")
    with records.unit(actor, db) as u:
        ids = [u.create(rounds.ROUND, valid_rounds[i], validated=True,
                        system={"notice_published_at": r["notice_published_at"]}) for i, r in enumerate(p["rounds"])]
    round_id = {r["year"]: rid for r, rid in zip(p["rounds"], ids)}

    apps = p["applications"]
    for a in apps:
        a["values"]["round_id"] = round_id[a["year"]]
    full = [a for a in apps if not a["draft"]]
    drafts = [a for a in apps if a["draft"]]
    for group, model in ((full, Application), (drafts, ApplicationDraft)):
        valid = _check(model, [a["values"] for a in group], "applications")
        for i, a in enumerate(group):
            a["record"] = valid[i]
    stones = [m for a in apps for m in a["milestones"]]
    valid_stones = _check(Milestone, stones, "milestones")
    pos = 0
    for a in apps:
        a["stones"] = [valid_stones[pos + j] for j in range(len(a["milestones"]))]
        pos += len(a["milestones"])
    idea_fields = ("title", "description", "community", "category", "source", "contact_name", "contact_phone", "tags")
    idea_rows = [dict({f: i[f] for f in idea_fields}, round_id=round_id[i["year"]]) for i in p["ideas"]]
    valid_ideas = _check(Idea, idea_rows, "ideas")

    counts = Counter()
    counts["rounds"] = len(ids)
    for y in sorted(round_id):
        with records.unit(actor, db) as u:
            idea_id: dict[int, int] = {}
            for i, idea in enumerate(p["ideas"]):
                if idea["year"] != y:
                    continue
                system = {"duplicate_of": idea_id[idea["duplicate_of"]]} if idea["duplicate_of"] is not None else None
                idea_id[idea["key"]] = u.create(IDEA, valid_ideas[i], validated=True, system=system)
                counts["ideas"] += 1
            mine = [a for a in apps if a["year"] == y]  # each table's rows in the order they always had
            linked = [idea_id[a["idea"]] if a["idea"] is not None else None for a in mine]
            app_ids = u.create_many(APPLICATION, [a["record"] for a in mine], validated=True,
                                    system=[dict(a["system"], idea_id=i) for a, i in zip(mine, linked)])
            counts["applications"] += len(mine)
            counts["funded"] += sum(a["system"]["state"] == "funded" for a in mine)
            for app_id, idea in zip(app_ids, linked):
                if idea is not None:
                    u.update(IDEA, idea, {}, system={"application_id": app_id}, action="promote")
            u.create_many(MILESTONE, [s for a in mine for s in a["stones"]], validated=True,
                          system=[{"application_id": app_id} for a, app_id in zip(mine, app_ids) for _ in a["stones"]])
            events, labels = [], []
            for a, app_id, idea in zip(mine, app_ids, linked):
                for ev in a["events"]:
                    note = ev["note"]
                    if ev["from_state"] is None and idea is not None:
                        note = note.replace("新建申报草稿", f"新建申报草稿(由金点子 {idea} 转化)")
                    events.append({"application_id": app_id, "from_state": ev["from_state"],
                                   "to_state": ev["to_state"], "note": note})
                    labels.append(ev["label"])
            u.create_many(workflow.EVENT, events, validated=True, note=labels)
            counts["events"] += len(events)
            u.create_many(SCREENING, [dict(s, application_id=app_id) for a, app_id in zip(mine, app_ids)
                                      for s in a["screenings"]], validated=True)
    return dict(counts)
