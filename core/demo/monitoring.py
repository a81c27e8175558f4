"""Demo 动态监管 for the demo 公益创投 history: brands, one project per funded application, the service
ledger, tranche releases, expenses, mid-term and final evaluations.

The seed's figures (``/work/shared/DOMAIN.md``): 5,000+ service activities, 100,000+ person-times,
core brands "1516便民服务" (service points in all 21 communities, a 15-minute service circle, 30,000+
residents served) and "青葵伙伴" (children's care, 8,000+ served) and niche brands (特色品牌). What this
module adds to the demo database:

- the two core brands and :data:`NICHE_BRANDS`, with service points: 1516便民服务 in every community,
  青葵伙伴 where its projects serve, the niche ones in a few communities each; the projects of the brand
  organisations (:data:`core.demo.rounds.BRAND_PROJECTS`) carry their core brand, about 70% of the
  projects whose theme fits a niche brand carry it, the rest are untagged;
- one project (资助协议) per funded application, as :func:`core.monitoring.projects.sign_agreement` makes it (the
  agreement proposed by :func:`core.monitoring.projects.agreement_defaults`, the application's milestones, the
  tranche plan 50/30/20 of the round's monitoring policy, a timeline event), signed a week or two before
  the project period starts; agreement numbers ``XS-GY-<year>-<nnn>`` (the form's example, so they never
  clash with the ``GY-<year>-<nnn>`` that ``agreement_defaults`` proposes for new agreements); the
  1516便民服务社's agreements widen its service communities year by year to all 21;
- the service ledger: activities of the kinds of :data:`schemas.choices.ACTIVITY_KINDS` with titles,
  places and sizes by category and kind (special catalogues for the two core brands), on dates inside
  the project period and never after ``today``; closed projects reach about 95–115% of their planned
  activities and person-times, running ones about their share of the period elapsed;
- money: the first tranche released after signing, the second after the mid-term evaluation passed,
  the third after the final one (approver :data:`APPROVER`, dates after the evaluations); expenses per
  budget line with voucher numbers, execution 85–100% for closed projects and about 60–80% for a few
  (:data:`LOW_EXECUTION`); a line never goes over its budget;
- evaluations by hub staff (:data:`EVALUATORS`) by 电话, 资料 or 实地 on the default 100-point form,
  graded A ≥ 85, B ≥ 60, C (mostly A and B); every past project has a passed mid-term and final and is
  closed once its last tranche is released, except one stopped at its mid-term (C, 停止拨付) that
  passed its re-evaluation a month later and went on to close, and one terminated at its mid-term (C)
  with its unspent first tranche to recover and its later tranches cancelled;
- the latest closed round's projects are running today (see :func:`core.demo.rounds._round_row`):
  most on track, with their mid-term evaluations passed and second tranches released, and a few at
  risk (:data:`AT_RISK`): two well behind the pro-rata pace, one without activity for more than 30 days,
  one whose mid-term report is overdue (no evaluation, second tranche still planned) and one with an
  overdue milestone.

:func:`plan` is pure and deterministic (``random.Random(2026)``) for given inputs and ``today``;
:func:`load` writes it through the audited write path: brands and service points in one unit each, the
agreements with what :func:`core.monitoring.projects.sign_agreement` writes (validated in one batch; one unit per
round, which keeps the first start fast), then one unit per project for its ledger,
expenses, milestones done, evaluations, releases, state changes and timeline events, every row
validated in batches first and stamped with its historical ``created_at``.
"""
from __future__ import annotations

import datetime as dt
import json
import random
from collections import Counter, defaultdict

from core.monitoring import projects
from core.platform import records
from core.platform.actor import SYSTEM, Actor
from core.monitoring.brands import BRAND, SERVICE_POINT
from core.monitoring.evaluations import EVALUATION
from core.monitoring.ledger import ACTIVITY
from core.monitoring.money import EXPENSE, TRANCHE
from core.monitoring.monitoring_policy import DEFAULT as DEFAULT_POLICY
from core.monitoring.monitoring_policy import Policy, policy_for
from core.demo.common import checked as _check
from schemas import choices
from schemas.choices import BUDGET_LINES
from schemas.monitoring import (
    EVALUATION_KINDS, EVALUATION_OUTCOMES, Activity, Agreement, Brand, EvaluationBase, Expense, ProjectMilestone,
    Release, ServicePoint,
)

SEED = 2026
APPROVER = "陈主任"  # the hub's director approves every release
EVALUATORS = ("王敏", "陈晓燕", "周婷")  # hub staff
CORE_TIER, NICHE_TIER = "核心品牌", "特色品牌"
BRAND_1516, BRAND_QK = "1516便民服务", "青葵伙伴"
CORE_BRANDS = (  # (name, fragment of its organisations' names as in demo_rounds.BRAND_PROJECTS, description)
    (BRAND_1516, "1516", "核心品牌:在全街道21个社区设立便民服务点,提供家电维修、磨剪刀、理发、健康义诊、政策咨询等"
                         "一站式服务,打造“15分钟便民服务圈”"),
    (BRAND_QK, "青葵", "核心品牌:关爱困境儿童,提供一对一学业辅导、心理疏导、兴趣培养和家庭支持,陪伴孩子健康成长"),
)
# (name, description, project title fragments, service point name suffix, number of points)
NICHE_BRANDS = (
    ("红管家", "特色品牌:老旧小区楼道自治,培育楼道长,推动楼道微更新和楼道公约", ("楼道自治“红管家”",), "红管家议事点", 3),
    ("邻里和事佬", "特色品牌:社区协商议事与矛盾调解,设调解接待日,培育法律明白人",
     ("和事佬矛盾调解工作室", "邻里议事厅协商共治", "小区停车难协商治理"), "和事佬调解室", 3),
    ("骑手暖心驿站", "特色品牌:为外卖骑手、快递员等新就业群体提供歇脚、充电、饮水和权益服务",
     ("新就业群体暖心驿站",), "暖心驿站", 4),
    ("银龄智享", "特色品牌:助老服务,智能手机课堂、独居老人探访和认知症友好社区",
     ("银龄智慧助老课堂", "独居老人关爱探访", "认知症友好社区营造"), "银龄智享课堂", 3),
    ("平安守望", "特色品牌:邻里守望与夜间平安巡防志愿服务", ("平安巡防邻里守望",), "平安守望岗", 2),
    ("书香邻里", "特色品牌:共享书屋、亲子阅读和读书沙龙", ("全民阅读推广", "社区书画公益课堂"), "书香邻里书屋", 2),
)
ORG_1516 = "钱塘区1516便民服务社"  # the registered organisation behind 1516便民服务 (core.demo.orgs)
NICHE_SHARE = 0.7  # of the projects whose theme fits a niche brand
POINT_ADDRESSES = ("党群服务中心一楼", "邻里中心二楼", "居家养老服务照料中心", "文化家园", "社区服务站")
QK_POINTS = 6

# ---- activities: kind -> ((participants lo, hi), (person-times per participant lo, hi), (volunteers lo, hi))
KIND_SIZE = {
    "上门服务": ((1, 4), (1.0, 1.0), (1, 3)),
    "小组活动": ((8, 16), (1.0, 1.0), (1, 3)),
    "社区活动": ((40, 150), (1.0, 1.3), (4, 15)),
    "讲座培训": ((20, 60), (1.0, 1.0), (1, 4)),
    "咨询服务": ((10, 40), (1.0, 1.2), (1, 5)),
    "志愿服务": ((15, 60), (1.0, 1.5), (5, 20)),
    "走访慰问": ((5, 20), (1.0, 1.0), (2, 6)),
    "其他": ((10, 30), (1.0, 1.0), (1, 4)),
}
KIND_WEIGHTS = {
    "一老一小": {"上门服务": 3, "小组活动": 4, "社区活动": 2, "讲座培训": 2, "咨询服务": 1, "志愿服务": 1, "走访慰问": 2,
             "其他": 1},
    "弱势群体关爱": {"上门服务": 4, "小组活动": 4, "社区活动": 1, "讲座培训": 1, "咨询服务": 2, "志愿服务": 1, "走访慰问": 3},
    "公共服务": {"社区活动": 4, "咨询服务": 3, "上门服务": 2, "讲座培训": 2, "志愿服务": 2, "其他": 1},
    "社区治理": {"小组活动": 3, "社区活动": 2, "讲座培训": 2, "志愿服务": 4, "走访慰问": 1, "咨询服务": 1},
    "文化建设": {"小组活动": 4, "社区活动": 3, "讲座培训": 2, "志愿服务": 1, "其他": 1},
    "特殊人群帮扶": {"上门服务": 3, "小组活动": 4, "社区活动": 1, "讲座培训": 1, "咨询服务": 2, "走访慰问": 1},
    "共同富裕": {"讲座培训": 4, "小组活动": 2, "咨询服务": 3, "社区活动": 1, "其他": 1},
    BRAND_1516: {"社区活动": 4, "咨询服务": 3, "上门服务": 3, "志愿服务": 2, "讲座培训": 1},
    BRAND_QK: {"上门服务": 4, "小组活动": 4, "社区活动": 1, "咨询服务": 2, "走访慰问": 2, "讲座培训": 1},
}
TITLES = {
    "一老一小": {
        "上门服务": ("为高龄独居老人送餐上门", "志愿者上门教老人用智能手机", "上门探望空巢老人并测量血压", "入户开展科学育儿指导"),
        "小组活动": ("四点半课堂作业辅导", "祖孙共读小组", "银龄手机课堂:学会扫码就医", "儿童科学实验小课堂",
                 "老年人手指操与健脑游戏", "亲子共育主题课堂"),
        "社区活动": ("亲子游园会", "重阳敬老文艺汇演", "“六一”亲子嘉年华", "老少同乐包饺子"),
        "讲座培训": ("老年人防范电信诈骗讲座", "科学育儿家长课堂", "老年营养膳食讲座"),
        "咨询服务": ("老年人健康咨询", "家庭教育个案咨询"),
        "志愿服务": ("助餐点志愿服务", "青少年志愿者敬老服务"),
        "走访慰问": ("节日走访慰问独居老人", "高龄老人生日上门祝福"),
        "其他": ("老年人需求入户调研",),
    },
    "弱势群体关爱": {
        "上门服务": ("困境儿童一对一学业辅导", "失能老人家庭喘息照护", "困难家庭入户需求评估"),
        "小组活动": ("困境儿童成长小组", "情绪认知与表达小组", "兴趣小组:绘画与手工", "照护者减压小组"),
        "社区活动": ("微心愿认领圆梦活动", "困境儿童暑期成长营", "爱心义卖活动"),
        "讲座培训": ("家庭照护技能培训", "家长教育沙龙"),
        "咨询服务": ("心理疏导个案咨询", "救助政策咨询"),
        "志愿服务": ("大学生志愿者结对陪伴",),
        "走访慰问": ("困难家庭节日走访慰问", "困境儿童家访", "失独家庭生日会"),
    },
    "公共服务": {
        "社区活动": ("便民服务日:家电维修、磨剪刀、理发", "社区便民集市", "应急救护技能演练", "消防安全演练"),
        "咨询服务": ("社区健康义诊", "法律与政策咨询", "慢病管理咨询"),
        "上门服务": ("为行动不便老人上门维修", "上门健康随访"),
        "讲座培训": ("心肺复苏与AED使用培训", "慢病管理健康讲座", "家庭小维修课堂"),
        "志愿服务": ("维修志愿者便民服务", "暖心驿站志愿值守"),
        "其他": ("居民服务需求问卷调查",),
    },
    "社区治理": {
        "小组活动": ("邻里议事会", "楼道长工作交流会", "小区停车问题协商会", "居民议事骨干培育小组"),
        "社区活动": ("楼道微更新共建活动", "垃圾分类积分兑换", "文明养犬宣传活动", "邻里守望宣传"),
        "讲座培训": ("法律明白人培训", "垃圾分类知识进楼道", "防盗防诈宣传讲座"),
        "志愿服务": ("垃圾分类定时定点督导", "夜间平安巡防", "文明养犬劝导", "楼道堆物清理"),
        "走访慰问": ("调解个案回访", "入户征求居民意见"),
        "咨询服务": ("矛盾纠纷调解接待日",),
    },
    "文化建设": {
        "小组活动": ("书画公益课", "合唱排练", "排舞培训", "非遗剪纸体验课", "亲子阅读会"),
        "社区活动": ("邻里文化节", "社区书画作品展", "社区文艺展演", "红色故事进楼道"),
        "讲座培训": ("非遗传承人讲座", "读书分享沙龙", "红色故事宣讲员培训"),
        "志愿服务": ("共享书屋志愿值守",),
        "其他": ("参加街道文化汇演",),
    },
    "特殊人群帮扶": {
        "上门服务": ("残疾人康复训练上门指导", "辅具适配上门评估", "精神障碍康复者家庭探访"),
        "小组活动": ("心智障碍青年生活技能训练", "康复者互助小组", "同伴支持小组"),
        "社区活动": ("残健融合运动会", "社区融合体验活动"),
        "讲座培训": ("残障人士职业技能培训", "家属照护技能培训"),
        "咨询服务": ("康复与辅具咨询", "就业政策咨询", "家属心理支持"),
        "走访慰问": ("残疾人家庭节日走访",),
    },
    "共同富裕": {
        "讲座培训": ("家政服务技能培训", "电商直播技能培训", "编织技艺培训", "职业资格考证辅导"),
        "小组活动": ("巧手编织工坊", "求职互助小组"),
        "咨询服务": ("一对一求职辅导", "就业需求摸排登记"),
        "社区活动": ("家门口招聘会", "手工作品展销会"),
        "其他": ("企业来料加工对接", "就业稳定情况回访"),
    },
    BRAND_1516: {
        "社区活动": ("1516便民服务日:家电维修、磨剪刀、理发", "1516便民集市"),
        "咨询服务": ("1516健康义诊与血压测量", "1516政策与法律咨询"),
        "上门服务": ("1516上门维修服务", "1516为老助浴上门服务"),
        "志愿服务": ("1516志愿者便民服务",),
        "讲座培训": ("1516家庭小维修课堂",),
    },
    BRAND_QK: {
        "上门服务": ("青葵伙伴一对一学业辅导", "青葵伙伴家访陪伴"),
        "小组活动": ("青葵成长小组:情绪管理", "青葵兴趣小组:绘画", "青葵伙伴阅读小组"),
        "社区活动": ("青葵伙伴暑期成长营", "青葵伙伴“微心愿”圆梦活动"),
        "咨询服务": ("青葵伙伴儿童心理疏导",),
        "走访慰问": ("青葵伙伴节日走访困境儿童家庭",),
        "讲座培训": ("青葵家长课堂",),
    },
}
PLACES = {
    "上门服务": ("服务对象家中",), "走访慰问": ("服务对象家中",),
    "社区活动": ("{c}文化广场", "{c}党群服务中心", "{c}邻里中心"),
    "小组活动": ("{c}党群服务中心活动室", "{c}居民活动室", "{c}社区学校"),
    "讲座培训": ("{c}党群服务中心多功能厅", "{c}社区学校", "{c}居民活动室"),
    "咨询服务": ("{c}党群服务中心", "{c}邻里中心"),
    "志愿服务": ("{c}各小区", "{c}小区楼道", "{c}邻里中心"),
    "其他": ("{c}党群服务中心",),
}

# ---- money -------------------------------------------------------------------------------------
VOUCHERS = {  # budget line -> (vouchers lo, hi), descriptions
    "budget_personnel": ((3, 6), ("项目社工劳务费({m}月)", "专家督导费", "项目人员补贴({m}月)")),
    "budget_materials": ((2, 5), ("活动物资采购", "服务耗材采购", "活动奖品和小礼品", "助学与慰问物资")),
    "budget_venue": ((1, 2), ("活动场地租赁", "场地布置")),
    "budget_publicity": ((1, 3), ("宣传海报和展板制作", "项目宣传册印刷", "活动视频拍摄剪辑")),
    "budget_other": ((2, 4), ("志愿者交通和餐费补贴", "服务对象交通补贴", "活动意外保险", "项目评估与审计费", "办公及通讯费用")),
}
LOW_EXECUTION = 3  # closed projects with an execution rate below 85%

# ---- evaluations ---------------------------------------------------------------------------------
GRADE_Q = {"A": (0.86, 0.96), "B": (0.66, 0.83), "C": (0.42, 0.56)}
CONCLUSIONS = {
    ("midterm", "A"): "项目按计划推进,活动记录完整规范,服务对象反馈良好,经费使用合规。评估等级A,同意拨付第二期资金。",
    ("midterm", "B"): "项目基本按计划推进,部分活动台账和照片资料不够完整,{extra}评估等级B,予以通过,请在下阶段整改。",
    ("final", "A"): "项目全面完成协议目标,服务成效明显,档案资料齐全,经费使用规范。评估等级A,同意结项并拨付尾款。",
    ("final", "B"): "项目基本完成协议目标,服务成效较好,{extra}评估等级B,同意结项并拨付尾款。",
}
B_NOTES = ("个别活动与计划有出入,", "满意度调查样本偏少,", "经费报销凭证需进一步规范,", "宣传报道不足,")
BEHIND_NOTE = "项目进度滞后于计划,需加快服务开展,"
STOP_CONCLUSION = ("项目进度严重滞后,活动记录缺失较多,部分支出缺少凭证。评估等级C,停止拨付,"
                   "限期一个月整改后重新评估。")
RESUME_CONCLUSION = "已按要求完成整改,补齐活动记录和报销凭证,服务逐步恢复正常。重新评估等级B,恢复拨付。"
TERMINATE_CONCLUSION = ("项目核心成员相继离开,服务自{stop:%Y年%m月}起基本停止,无法继续执行。评估等级C,终止项目,"
                        "追回未使用资金 {amount:,.2f} 元。")
REPORT_PLANS = ("下阶段将继续按计划开展服务,加强活动成效评估", "下阶段将加大宣传和志愿者招募力度",
                "下阶段将完善服务档案,开展满意度调查")

# ---- the running round's projects at risk (besides on track) -------------------------------------
AT_RISK = ("behind", "behind", "silent", "midterm_overdue", "milestone_overdue")


# ==== helpers ====================================================================================
def _day(d: dt.date, n: int) -> dt.date:
    return d + dt.timedelta(days=n)


def _brand_of_org(org: str) -> str | None:
    return next((name for name, frag, _ in CORE_BRANDS if frag in org), None)


def _niche_of(title: str) -> str | None:
    return next((b[0] for b in NICHE_BRANDS if any(t in title for t in b[2])), None)


def _expected_size(theme: str) -> float:
    """Mean person-times of one activity of the theme (category or core brand)."""
    w = KIND_WEIGHTS[theme]
    total = sum(w.values())
    return sum(n / total * (sum(KIND_SIZE[k][0]) / 2) * (sum(KIND_SIZE[k][1]) / 2) for k, n in w.items())


def _planned_activities(theme: str, planned_times: int) -> int:
    lo, hi = (160, 210) if theme == BRAND_1516 else (56, 130)
    return max(lo, min(hi, round(planned_times / _expected_size(theme))))


# ==== planning (pure) ============================================================================
def _roles(rng: random.Random, items: list[dict], today: dt.date) -> dict[int, str]:
    """Each project's course by application id: closed | closed_low | stopped_resumed | terminated for
    the past rounds, on_track or one of :data:`AT_RISK` for the running round."""
    running = [x for x in items if x["defaults"]["end_date"] > today]
    past = [x for x in items if x["defaults"]["end_date"] <= today]
    roles = {x["app_id"]: "closed" for x in past} | {x["app_id"]: "on_track" for x in running}
    ordinary = [x for x in past if _brand_of_org(x["org"]) is None]
    years = sorted({x["year"] for x in ordinary})
    if len(years) >= 3:
        terminated = rng.choice([x for x in ordinary if x["year"] == years[-3]])
        stopped = rng.choice([x for x in ordinary if x["year"] == years[-2]])
        roles[terminated["app_id"]], roles[stopped["app_id"]] = "terminated", "stopped_resumed"
        rest = [x for x in ordinary if roles[x["app_id"]] == "closed"]
        for x in rng.sample(rest, min(LOW_EXECUTION, len(rest))):
            roles[x["app_id"]] = "closed_low"
    candidates = [x for x in running if _brand_of_org(x["org"]) is None]
    for x, role in zip(rng.sample(candidates, min(len(AT_RISK), len(candidates))), AT_RISK):
        roles[x["app_id"]] = role
    return roles


def _brands(rng: random.Random, items: list[dict], tagged: dict[int, str | None], served_in: dict[int, list[str]],
            communities: list[str], first_day: dict[str, dt.date]) -> tuple[list[dict], list[dict]]:
    """Brand rows and service points (with ``brand`` by name and ``day`` for their history)."""
    rows = [{"name": n, "tier": CORE_TIER, "description": d, "day": first_day.get(n)} for n, _, d in CORE_BRANDS]
    rows += [{"name": n, "tier": NICHE_TIER, "description": d, "day": first_day.get(n)}
             for n, d, _, _, _ in NICHE_BRANDS]
    served: dict[str, list[str]] = defaultdict(list)
    for x in items:
        b = tagged[x["app_id"]]
        for c in served_in[x["app_id"]]:
            if b and c not in served[b]:
                served[b].append(c)
    points = []
    for c in communities:  # 1516便民服务: every community
        points.append({"brand": BRAND_1516, "community": c, "name": f"{c}1516便民服务点",
                       "address": f"{c}{rng.choice(POINT_ADDRESSES)}"})
    for c in rng.sample(communities, 3):  # a second point in three large communities
        points.append({"brand": BRAND_1516, "community": c, "name": f"{c}1516便民服务点(二)",
                       "address": f"{c}{rng.choice(POINT_ADDRESSES)}"})
    qk = served[BRAND_QK][:QK_POINTS]
    qk += rng.sample([c for c in communities if c not in qk], QK_POINTS - len(qk))
    points += [{"brand": BRAND_QK, "community": c, "name": f"{c}青葵驿站", "address": f"{c}{rng.choice(POINT_ADDRESSES)}"}
               for c in qk]
    for name, _, _, suffix, n in NICHE_BRANDS:
        where = served[name][:n]
        where += rng.sample([c for c in communities if c not in where], n - len(where))
        points += [{"brand": name, "community": c, "name": f"{c}{suffix}",
                    "address": f"{c}{rng.choice(POINT_ADDRESSES)}"} for c in where]
    day = {b["name"]: b["day"] for b in rows}
    for p in points:
        p["day"] = day[p["brand"]]
    return rows, points


def _dates(rng: random.Random, n: int, lo: dt.date, hi: dt.date, last: dt.date | None = None) -> list[dt.date]:
    """``n`` activity dates between ``lo`` and ``hi`` (sorted); the latest is ``last`` when given."""
    span = max((hi - lo).days, 0)
    out = sorted(_day(lo, rng.randint(0, span)) for _ in range(n))
    if out and last is not None:
        out[-1] = last
    return sorted(out)


def _activities(rng: random.Random, theme: str, communities: list[str], days: list[dt.date], target_times: int,
                everywhere: bool) -> list[dict]:
    """Activities on ``days`` whose person-times add up to about ``target_times``, in the project's
    communities: the first (the organisation's own) twice as often as each other one, or, when
    ``everywhere``, every community at least twice (given enough activities)."""
    weights = KIND_WEIGHTS[theme]
    kinds, kw = list(weights), list(weights.values())
    if everywhere:
        where = [communities[i % len(communities)] for i in range(min(len(days), 2 * len(communities)))]
        where += rng.choices(communities, k=len(days) - len(where))
        rng.shuffle(where)
    else:
        where = rng.choices(communities, weights=[2.0] + [1.0] * (len(communities) - 1), k=len(days))
    raw = []
    for d, c in zip(days, where):
        kind = rng.choices(kinds, weights=kw)[0]
        (plo, phi), (mlo, mhi), (vlo, vhi) = KIND_SIZE[kind]
        people = rng.randint(plo, phi)
        raw.append({"d": d, "kind": kind, "c": c, "p": people, "t": people * rng.uniform(mlo, mhi),
                    "v": rng.randint(vlo, vhi), "title": rng.choice(TITLES[theme][kind])})
    factor = target_times / max(sum(r["t"] for r in raw), 1.0)
    out, seen = [], set()
    for r in raw:
        participants = max(1, round(r["p"] * factor))
        times = max(participants, round(r["t"] * factor))
        title = r["title"]
        if (r["d"], title) in seen:
            title = f"{title}({r['c']})"
        k = 2
        while (r["d"], title) in seen:
            title = f"{r['title']}({r['c']}·{k})"
            k += 1
        seen.add((r["d"], title))
        if r["kind"] in ("上门服务", "走访慰问"):
            place = f"{r['c']}居民家中"
        elif theme == BRAND_1516 and r["kind"] in ("社区活动", "咨询服务"):
            place = f"{r['c']}1516便民服务点"
        else:
            place = rng.choice(PLACES[r["kind"]]).format(c=r["c"])
        out.append({"activity_date": r["d"], "community": r["c"], "place": place, "kind": r["kind"], "title": title,
                    "participants": participants, "person_times": times, "volunteers": r["v"], "notes": None})
    return out


def _expenses(rng: random.Random, agreement: dict, rate: float, lo: dt.date, hi: dt.date) -> list[dict]:
    """Expenses of about ``rate`` of the granted amount, per budget line (none over its budget), on
    dates between ``lo`` and ``hi``, with voucher numbers in date order."""
    granted = float(agreement["granted_amount"])
    budgets = {line: float(agreement[line]) for line in BUDGET_LINES}
    wish = {line: b * rng.uniform(0.93, 1.07) for line, b in budgets.items() if b > 0}
    scale = granted * rate / max(sum(wish.values()), 1.0)
    rows = []
    for line, w in wish.items():
        amount = min(round(w * scale, 2), budgets[line])
        if amount < 1:
            continue
        (klo, khi), texts = VOUCHERS[line]
        k = max(1, min(round(rng.randint(klo, khi) * max(rate, 0.3)), int(amount // 200) or 1))
        parts = [rng.uniform(0.6, 1.4) for _ in range(k)]
        whole = [float(int(amount * p / sum(parts))) for p in parts[:-1]]
        whole.append(round(amount - sum(whole), 2))
        for d, a in zip(_dates(rng, k, lo, hi), whole):
            rows.append({"expense_date": d, "line": line, "amount": a,
                         "description": rng.choice(texts).format(m=d.month), "over_reason": None})
    rows.sort(key=lambda r: (r["expense_date"], r["line"]))
    for i, r in enumerate(rows, start=1):
        r["voucher_no"] = f"记-{r['expense_date']:%Y%m}-{i:03d}"
    return rows


def _scores(rng: random.Random, grade: str, policy: Policy) -> dict:
    """Item scores (halves) on the policy's form whose total earns ``grade``."""
    lo, hi = GRADE_Q[grade]
    for _ in range(200):
        q = rng.uniform(lo, hi)
        items = {item: min(points, max(0.0, round(points * min(1.0, q + rng.gauss(0, 0.04)) * 2) / 2))
                 for item, points in policy.eval_form}
        total = round(sum(items.values()), 2)
        if policy.grade(total) == grade:
            return {"items": items, "total": total}
    raise RuntimeError(f"no scores for grade {grade}")


def _progress(acts: list[dict], agreement: dict, upto: dt.date) -> tuple[int, int, int]:
    done = [a for a in acts if a["activity_date"] <= upto]
    times = sum(a["person_times"] for a in done)
    return len(done), times, round(100 * times / max(agreement["planned_person_times"], 1))


def _evaluation(rng: random.Random, kind: str, grade: str, *, report: dt.date | None, when: dt.date,
                acts: list[dict], spent: list[dict], agreement: dict, outcome: str, conclusion: str | None = None,
                recover: float | None = None, method: str | None = None, policy: Policy = DEFAULT_POLICY) -> dict:
    s = _scores(rng, grade, policy)
    upto = report or when
    n, times, pct = _progress(acts, agreement, upto)
    money = sum(e["amount"] for e in spent if e["expense_date"] <= upto)
    what = "中期" if kind == "midterm" else "末期"
    self_report = (f"{what}自评:截至{upto:%Y年%m月%d日},项目共开展活动{n}场,服务{times}人次,达到计划服务人次的{pct}%;"
                   f"已使用经费{money:,.2f}元。{rng.choice(REPORT_PLANS)}。") if report else None
    if conclusion is None:
        extra = BEHIND_NOTE if pct < 40 and kind == "midterm" else rng.choice(B_NOTES)
        conclusion = CONCLUSIONS[(kind, grade)].format(extra=extra)
    if method is None:
        method = rng.choices(("实地", "资料", "电话"), weights=(5, 4, 1) if kind == "midterm" else (7, 3, 0))[0]
    return {"kind": kind, "report_date": report, "self_report": self_report, "eval_date": when, "method": method,
            "evaluator": rng.choice(EVALUATORS), "item_scores": json.dumps(s["items"], ensure_ascii=False),
            "total_score": s["total"], "grade": grade, "passed": policy.passes(grade), "outcome": outcome,
            "recover_amount": recover, "conclusion": conclusion}


def _project(rng: random.Random, x: dict, role: str, brand: str | None, communities: list[str], today: dt.date,
             seq: int) -> dict:
    """Everything about one project: agreement values, milestones (with done dates), activities,
    expenses and its chronological steps (releases, evaluations, state changes, cancellations)."""
    a = dict(x["defaults"])
    start, end = a["start_date"], a["end_date"]
    theme = brand if brand in (BRAND_1516, BRAND_QK) else x["category"]
    a["agreement_no"] = f"XS-GY-{x['year']}-{seq:03d}"
    a["agreement_date"] = max(_day(start, -rng.randint(6, 16)), _day(x["notice_end"], 3))
    a["communities"] = communities
    a["planned_person_times"] = int(x["planned_beneficiaries"])
    a["planned_activities"] = _planned_activities(theme, a["planned_person_times"])
    a["notes"] = None
    a.pop("brand_id", None)
    planned_n, planned_t = a["planned_activities"], a["planned_person_times"]
    span = (end - start).days
    mid_due = a["midterm_due"]
    t1 = min(_day(a["agreement_date"], rng.randint(5, 15)), today)
    steps: list[dict] = [{"step": "release", "seq": 1, "on": t1}]

    # ---- the ledger ----------------------------------------------------------------------------
    boost = rng.uniform(1.05, 1.2) if brand == BRAND_1516 else rng.uniform(0.98, 1.12)
    stop_on = None
    if role in ("closed", "closed_low", "stopped_resumed"):
        share = rng.uniform(0.95, 1.12) if role != "stopped_resumed" else rng.uniform(0.85, 0.95)
        n, times = round(planned_n * share), round(planned_t * boost * (share if role == "stopped_resumed" else 1))
        days = _dates(rng, n, _day(start, rng.randint(3, 12)), end)
    elif role == "terminated":
        stop_on = _day(mid_due, -rng.randint(20, 35))
        n, times = round(planned_n * rng.uniform(0.25, 0.32)), round(planned_t * rng.uniform(0.2, 0.28))
        days = _dates(rng, n, _day(start, rng.randint(3, 12)), stop_on, last=stop_on)
    else:  # running today
        elapsed = (today - start).days / span
        pace = {"behind": (0.25, 0.4), "silent": (0.7, 0.85), "midterm_overdue": (0.7, 0.85),
                "milestone_overdue": (0.8, 0.95)}.get(role, (0.9, 1.08))
        share = elapsed * rng.uniform(*pace)
        n, times = max(6, round(planned_n * share)), round(planned_t * share * (boost if brand else 1.0))
        last = _day(today, -rng.randint(38, 55)) if role == "silent" else _day(today, -rng.randint(1, 8))
        days = _dates(rng, n, _day(start, rng.randint(3, 12)), last, last=last)
    acts = _activities(rng, theme, communities, days, times, everywhere=brand == BRAND_1516)

    # ---- evaluations, releases, state -----------------------------------------------------------
    evals: list[dict] = []
    if role == "closed_low":
        rate = rng.uniform(0.6, 0.8)
    elif role in ("closed", "stopped_resumed"):
        rate = rng.uniform(0.87, 0.99)
    elif role == "terminated":
        rate = rng.uniform(0.15, 0.25)
    else:
        rate = (today - start).days / span * (rng.uniform(0.35, 0.5) if role == "behind" else rng.uniform(0.75, 0.95))
    spend_to = stop_on or min(end, _day(today, -1))
    spent = _expenses(rng, a, rate, _day(start, rng.randint(0, 10)), spend_to)

    def report_on(due: dt.date) -> dt.date:
        return min(_day(due, -rng.randint(0, 10) if rng.random() < 0.85 else rng.randint(1, 12)), today)

    def evaluate(kind: str, grade: str, report: dt.date | None, **kw) -> dt.date:
        when = min(_day(report, rng.randint(5, 18)), _day(today, -2))
        evals.append(_evaluation(rng, kind, grade, report=report, when=when, acts=acts, spent=spent, agreement=a, **kw))
        steps.append({"step": "evaluation", "on": when, "row": evals[-1]})
        return when

    def release(seq_: int, after: dt.date) -> None:
        steps.append({"step": "release", "seq": seq_, "on": min(_day(after, rng.randint(3, 12)), today)})

    done_mid = None
    if role == "terminated":  # the report came late; the first tranche's unspent part is recovered
        report = _day(mid_due, rng.randint(3, 12))
        first_tranche = round(float(a["granted_amount"]) * DEFAULT_POLICY.tranche_shares[0] / 100.0, 2)
        recover = round(first_tranche - sum(e["amount"] for e in spent), 2)
        when = evaluate("midterm", "C", report, outcome="terminate", recover=recover, method="实地",
                        conclusion=TERMINATE_CONCLUSION.format(stop=stop_on, amount=recover))
        steps.append({"step": "terminate", "on": when, "recover": recover})
    elif role == "stopped_resumed":
        report = done_mid = report_on(mid_due)
        first = evaluate("midterm", "C", report, outcome="stop", method="实地", conclusion=STOP_CONCLUSION)
        steps.append({"step": "stop", "on": first})
        again = _day(first, rng.randint(25, 35))
        second = evaluate("midterm", "B", again, outcome="pass", method="实地", conclusion=RESUME_CONCLUSION)
        steps.append({"step": "resume", "on": second})
        release(2, second)
    elif role != "midterm_overdue":
        report = done_mid = report_on(mid_due)
        grade = "B" if role in ("behind", "closed_low") else rng.choices(("A", "B"), weights=(1, 1))[0]
        release(2, evaluate("midterm", grade, report, outcome="pass"))
    if role in ("closed", "closed_low", "stopped_resumed"):
        grade = "B" if role != "closed" else rng.choices(("A", "B"), weights=(11, 9))[0]
        report = report_on(a["final_due"])
        release(3, evaluate("final", grade, report, outcome="pass"))
        steps.append({"step": "close", "on": steps[-1]["on"]})

    # ---- milestones ----------------------------------------------------------------------------
    stones = [dict(m) for m in x["milestones"]]
    if role == "milestone_overdue":
        stones.append({"due_date": _day(today, -rng.randint(40, 55)), "deliverable": "完成第二阶段服务并提交阶段小结"})
        stones[-1]["overdue"] = True
    stones.sort(key=lambda m: m["due_date"])
    done = []
    for m in stones:
        due = m["due_date"]
        if m.pop("overdue", False) or due > today or (stop_on is not None and due > stop_on):
            d = None  # the overdue one, not yet due, or after the project stopped working
        elif "中期" in m["deliverable"]:
            d = done_mid  # the mid-term report, when it came
        else:
            d = min(max(_day(due, rng.randint(-10, 3)), start), today)
        done.append(d)
    steps.sort(key=lambda s: s["on"])  # stable: the order above breaks ties
    return {"app_id": x["app_id"], "role": role, "brand": brand, "agreement": a, "milestones": stones,
            "done": done, "activities": acts, "expenses": spent, "steps": steps}


def plan(items: list[dict], today: dt.date | None = None, *, communities: list[str] | None = None,
         seed: int = SEED) -> dict:
    """The demo monitoring data as plain data.

    ``items``: one dict per funded application with ``app_id``, ``year``, ``title``, ``category``,
    ``org``, ``planned_beneficiaries``, ``notice_end`` (its round's), ``milestones`` (the application's,
    ``due_date`` and ``deliverable``) and ``defaults`` (:func:`core.monitoring.projects.agreement_defaults`).
    Returns ``brands``, ``points`` and ``projects`` (see :func:`_project`).
    """
    today = today or dt.date.today()
    communities = list(communities or choices.DEMO_COMMUNITIES)
    rng = random.Random(seed)
    items = sorted(items, key=lambda x: (x["year"], x["app_id"]))
    roles = _roles(rng, items, today)
    tagged: dict[int, str | None] = {}
    for x in items:
        core = _brand_of_org(x["org"])
        niche = _niche_of(x["title"])
        tagged[x["app_id"]] = core or (niche if niche and rng.random() < NICHE_SHARE else None)
    # the 1516便民服务社 widens its service communities year by year, to all 21
    widened: dict[int, list[str]] = {}
    k = 0
    for x in items:
        comms = list(x["defaults"]["communities"])
        if x["org"] == ORG_1516:
            want = min(len(communities), 5 + 4 * k)
            k += 1
            others = [c for c in communities if c not in comms]
            comms += rng.sample(others, max(0, want - len(comms)))
        widened[x["app_id"]] = comms
    first_day: dict[str, dt.date] = {}
    for x in items:
        b = tagged[x["app_id"]]
        if b and b not in first_day:
            first_day[b] = _day(x["defaults"]["start_date"], -rng.randint(20, 40))
    brands, points = _brands(rng, items, tagged, widened, communities, first_day)
    out, seq = [], Counter()
    for x in items:
        seq[x["year"]] += 1
        out.append(_project(rng, x, roles[x["app_id"]], tagged[x["app_id"]], widened[x["app_id"]], today,
                            seq[x["year"]]))
    return {"brands": brands, "points": points, "projects": out}


# ==== writing (through the audited write path) ================================================
def _at(rng: random.Random, d: dt.date, now: dt.datetime, lo: int = 9, hi: int = 17) -> dict:
    t = dt.datetime.combine(d, dt.time(rng.randint(lo, hi), rng.randint(0, 59)))
    return {"created_at": min(t, now)}


def _inputs(db) -> list[dict]:
    rows = db.fetch_all(
        "SELECT a.id AS app_id, a.round_id, r.year, a.title, a.category, o.name AS org, a.planned_beneficiaries,"
        " r.notice_end FROM applications a JOIN rounds r ON r.id = a.round_id"
        " JOIN organisations o ON o.id = a.org_id WHERE a.state = 'funded' ORDER BY r.year, a.id")
    for x in rows:
        x["defaults"] = projects.agreement_defaults(x["app_id"], db)
        x["milestones"] = projects.application_milestones(x["app_id"], db)
    return rows


def load(db, actor: Actor = SYSTEM, today: dt.date | None = None) -> dict[str, int]:
    """Write the brands and service points, the projects of every funded application with their
    ledgers, expenses, evaluations, releases and timelines. Needs the demo rounds (funded
    applications) and the choice providers; returns counts of what was written."""
    today = today or dt.date.today()
    for table in ("brands", "projects", "activities"):
        if db.scalar(f"SELECT count(*) FROM {table}"):
            raise RuntimeError(f"the database already has {table}: demo monitoring data not loaded")
    inputs = _inputs(db)
    p = plan(inputs, today)
    rng = random.Random(SEED + 1)
    now = dt.datetime.now() - dt.timedelta(minutes=1)
    counts: Counter = Counter()

    # ---- brands, then their service points ---------------------------------------------------------
    valid = _check(Brand, p["brands"], "brands")
    with records.unit(actor, db) as u:
        made = u.create_many(BRAND, [valid[i] for i in range(len(p["brands"]))], validated=True,
                             system=[_at(rng, b["day"] or today, now) for b in p["brands"]])
        brand_id = {b["name"]: key for b, key in zip(p["brands"], made)}
    rows = [{k: v for k, v in pt.items() if k not in ("brand", "day")} | {"brand_id": brand_id[pt["brand"]]}
            for pt in p["points"]]
    valid = _check(ServicePoint, rows, "service points")
    with records.unit(actor, db) as u:
        u.create_many(SERVICE_POINT, [valid[i] for i in range(len(p["points"]))], validated=True,
                      system=[_at(rng, pt["day"] or today, now) for pt in p["points"]])
    counts["brands"], counts["service_points"] = len(brand_id), len(rows)

    # ---- agreements: what projects.sign_agreement writes (the agreement, its milestones, the tranche
    # plan of the round's policy, the timeline event), validated in one batch, one unit per round -------
    valid_agr = _check(Agreement, [dict(x["agreement"], brand_id=brand_id.get(x["brand"])) for x in p["projects"]],
                       "agreements")
    valid_stones = _check(ProjectMilestone, [m for x in p["projects"] for m in x["milestones"]], "milestones")
    round_of = {x["app_id"]: x["round_id"] for x in inputs}
    pid_of: dict[int, int] = {}
    tranche_id: dict[tuple[int, int], tuple[int, float]] = {}
    stone_ids: dict[int, list[int]] = defaultdict(list)
    si = 0
    for rid in sorted(set(round_of.values())):
        policy = policy_for(rid, db)
        with records.unit(actor, db) as u:  # each table's rows in the order they always had
            mine = [(i, x) for i, x in enumerate(p["projects"]) if round_of[x["app_id"]] == rid]
            pids = u.create_many(projects.PROJECT, [valid_agr[i] for i, _ in mine], validated=True,
                                 system=[{"application_id": x["app_id"], "state": "active"}
                                         | _at(rng, valid_agr[i]["agreement_date"], now) for i, x in mine])
            stones, stone_of, tranches, tranche_of, plans = [], [], [], [], []
            for (i, x), pid in zip(mine, pids):
                pid_of[x["app_id"]] = pid
                rec = valid_agr[i]
                for _ in x["milestones"]:
                    stones.append(valid_stones[si])
                    stone_of.append(pid)
                    si += 1
                plan_rows = policy.tranche_plan(float(rec["granted_amount"]), rec["agreement_date"], rec["midterm_due"],
                                                rec["final_due"])
                plans.append(plan_rows)
                tranches += plan_rows
                tranche_of += [(pid, t) for t in plan_rows]
            for pid, key in zip(stone_of, u.create_many(projects.PROJECT_MILESTONE, stones, validated=True,
                                                       system=[{"project_id": pid} for pid in stone_of])):
                stone_ids[pid].append(key)
            for (pid, t), key in zip(tranche_of, u.create_many(TRANCHE, tranches, validated=True,
                                                              system=[{"project_id": pid} for pid, _ in tranche_of])):
                tranche_id[(pid, t["seq"])] = (key, t["amount"])
            for (i, x), pid, plan_rows in zip(mine, pids, plans):
                rec = valid_agr[i]
                projects.add_event_in(u, pid, "签订资助协议",
                                      f"协议编号 {rec['agreement_no']},资助 {float(rec['granted_amount']):,.2f} 元,"
                                      f"分 {len(plan_rows)} 期拨付", rec["agreement_date"])
    counts["projects"] = len(pid_of)

    # ---- validate the rest in batches (projects are all active now) -----------------------------------
    acts = [dict(a, project_id=pid_of[x["app_id"]]) for x in p["projects"] for a in x["activities"]]
    valid_acts = _check(Activity, acts, "activities")
    exps = [e for x in p["projects"] for e in x["expenses"]]
    valid_exps = _check(Expense, exps, "expenses")
    evals = [s["row"] for x in p["projects"] for s in x["steps"] if s["step"] == "evaluation"]
    base = [dict(e, fail_action=None if e["outcome"] == "pass" else e["outcome"]) for e in evals]
    _check(EvaluationBase, base, "evaluations")
    rels = [{"released_on": s["on"], "released_amount": tranche_id[(pid_of[x["app_id"]], s["seq"])][1],
             "approver": APPROVER, "note": None}
            for x in p["projects"] for s in x["steps"] if s["step"] == "release"]
    valid_rels = _check(Release, rels, "releases")

    # ---- the projects' histories, in one unit (a unit per project cost a commit each) --------------------
    ai = ei = ri = 0
    act_rows, act_stamps, exp_rows, exp_stamps = [], [], [], []
    with records.unit(actor, db) as u:
        u.update_many(projects.PROJECT_MILESTONE, {mid: {"done_on": d} for x in p["projects"]
                                                   for mid, d in zip(stone_ids[pid_of[x["app_id"]]], x["done"])
                                                   if d is not None}, action="done")
        for x in p["projects"]:
            pid = pid_of[x["app_id"]]
            for a in x["activities"]:  # (their created_at drawn in the order they always were)
                act_rows.append(valid_acts[ai])
                act_stamps.append(_at(rng, a["activity_date"], now, 17, 21))
                ai += 1
                counts["person_times"] += a["person_times"]
            for e in x["expenses"]:
                exp_rows.append(valid_exps[ei])
                exp_stamps.append({"project_id": pid} | _at(rng, e["expense_date"], now))
                ei += 1
            for s in x["steps"]:
                _apply(u, pid, s, valid_rels[ri] if s["step"] == "release" else None, tranche_id, rng, now)
                ri += s["step"] == "release"
                counts["evaluations"] += s["step"] == "evaluation"
                counts["releases"] += s["step"] == "release"
            counts["activities"] += len(x["activities"])
            counts["expenses"] += len(x["expenses"])
        u.create_many(ACTIVITY, act_rows, validated=True, system=act_stamps)  # each table as one batch
        u.create_many(EXPENSE, exp_rows, validated=True, system=exp_stamps)
    return dict(counts)


def _apply(u: records.Unit, pid: int, s: dict, release: dict | None, tranche_id: dict, rng: random.Random,
           now: dt.datetime) -> None:
    """One step of a project's history, with its timeline event (as the monitoring screens write it)."""
    on = s["on"]
    if s["step"] == "release":
        tid, _ = tranche_id[(pid, s["seq"])]
        u.update(TRANCHE, tid, {}, system={"status": "released", **release}, action="release",
                 touch={"updated_at": _at(rng, on, now)["created_at"]})
        projects.add_event_in(u, pid, f"拨付第{s['seq']}期资金",
                              f"{release['released_amount']:,.2f} 元,审批人 {release['approver']}", on)
    elif s["step"] == "evaluation":
        row = s["row"]
        label = EVALUATION_KINDS[row["kind"]]
        u.create(EVALUATION, row, validated=True, system={"project_id": pid} | _at(rng, on, now, 14, 18))
        projects.add_event_in(
            u, pid, f"{label}{'通过' if row['passed'] else '未通过'}",
            f"{row['grade']}等,{row['total_score']:g}分;{row['method']},评估人 {row['evaluator']};"
            f"处理:{EVALUATION_OUTCOMES[row['outcome']]}", on)
    elif s["step"] == "stop":
        projects.set_state_in(u, pid, "stopped", note="中期评估未通过,停止拨付", when=on)
    elif s["step"] == "resume":
        projects.set_state_in(u, pid, "active", note="中期评估通过,恢复拨付", when=on)
    elif s["step"] == "terminate":
        amount = s["recover"]
        projects.set_state_in(u, pid, "terminated", note=f"中期评估未通过,终止项目,追回资金 {amount:,.2f} 元",
                              recover_amount=amount, when=on)
        cancelled = []
        for (p, seq), (tid, planned) in sorted(tranche_id.items()):
            if p == pid and seq > 1:
                u.update(TRANCHE, tid, {}, system={"status": "cancelled", "note": "项目终止,取消拨付"},
                         action="cancel", note="项目终止")
                cancelled.append((seq, planned))
        projects.add_event_in(u, pid, "取消未拨付资金",
                              f"第{'、'.join(str(q) for q, _ in cancelled)}期,共 {sum(a for _, a in cancelled):,.2f} 元",
                              on)
    elif s["step"] == "close":
        projects.set_state_in(u, pid, "closed", note="末期评估已通过,资金已全部拨付,项目结项", when=on)
