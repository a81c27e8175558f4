"""Demo 孵化与能力建设 for 下沙街道, consistent with the demo organisations and the seed's figures.

The seed (``/work/shared/DOMAIN.md``): 50+ organisations incubated, 30+ capability trainings covering
500+ person-times, a training network of 5 online courses, 50+ offline sessions and 3 study trips,
ratings 3 at 4A and 10 at 3A, one-to-one mentoring by a panel of 公益领域专家, 资深项目管理者 and
财务合规顾问 in four modules. What this module adds to the demo database:

- 9 mentors, three per speciality; two of them are demo experts (``expert03``, ``expert07``, linked by
  username), so their mentoring counts as a conflict of interest when they are assigned applications;
  they mentor organisations that apply in the current round but are not among their assignments;
- a pairing with a mentor for most incubated organisations (a second one with a 财务合规顾问 for about
  half of them), sessions of 1–3 hours spread over the incubation period in the four modules and three
  forms, with findings and 1–3 agreed actions each (owner, due date; most done, some open, a few overdue);
- 58 trainings from 2018-09 to today: 5 线上课程, 50 线下培训/专题讲座/实操工作坊, 3 外出交流学习, with
  trainers, partner institutions (高校, 律师事务所, 会计师事务所, 基金会), capacity and place; about
  900 person-times of attendance from the organisations' own people, feedback (1–5) from most attendees;
- capability assessments with the default instrument of :mod:`core.assessments`, one per organisation
  and half-year for the last four half-years before ``today``; organisations that got more mentoring
  hours and trainings between two assessments improve more (and in the dimensions the support map ties
  to the modules and topics they got);
- each organisation's lifecycle stage history (ending at its current stage), its 入壳/出壳 decisions
  (on its ``incubation_in``/``incubation_out`` dates, criteria met) and its rating history (the last
  row is its current rating; the organisations themselves are not changed). Rating scores (out of
  1000) follow :data:`RATING_CUTOFFS` unless :mod:`core.lifecycle`/:mod:`core.ratings` define their own.

:func:`plan` is pure and deterministic (``random.Random(2021)``) for given organisations and
``today``; nothing it returns lies after ``today``. :func:`load` writes it through the audited write
path (validated in batches, one unit per group of tables), with each row's historical ``created_at``.
"""
from __future__ import annotations

import datetime as dt
import random
from collections import Counter, defaultdict

from core.demo_orgs import GIVEN, HUB_OPENED, MOBILE_PREFIXES, SURNAMES
from core.organisations import add_years
from schemas import choices

SEED = 2021
LINKED_EXPERTS = ("expert03", "expert07")  # demo reviewer accounts who also mentor
EXPERT_SPECIALITY = {"expert03": "公益领域专家", "expert07": "资深项目管理者"}
SPECIALITIES = tuple(choices.MENTOR_SPECIALITIES)  # 公益领域专家, 资深项目管理者, 财务合规顾问
MODULES = tuple(choices.MENTORING_MODULES)  # 项目策划设计, 执行流程管控, 财务规范管理, 风险预警防控
FORMS = tuple(choices.MENTORING_FORMS)  # 面谈, 线上, 现场
TOPICS = tuple(choices.TRAINING_TOPICS)
ONLINE, TRIP = "线上课程", "外出交流学习"
OFFLINE_KINDS = ("线下培训", "专题讲座", "实操工作坊")
TRAINING_MIX = {ONLINE: 5, TRIP: 3, "offline": 50}  # the seed's network: 5 online, 50+ offline, 3 trips
FIRST_TRAINING = dt.date(2018, 9, 1)
UNPAIRED_SHARE = 0.1  # incubated organisations without a mentor (the hub's capacity is limited)
ASSESSED_PERIODS = 4  # the last four half-years before today
# Rating score (out of 1000) -> level; localities differ, these are the demo's cut-offs (below 500: not rated)
RATING_CUTOFFS = (("5A", 900), ("4A", 800), ("3A", 700), ("2A", 600), ("1A", 500))
RATING_YEARS = 5

# ---- mentors --------------------------------------------------------------------------------------
# (speciality, employer, note) for the mentors who are not demo experts
MENTOR_PANEL = (
    ("公益领域专家", "浙江工商大学公共管理学院", "副教授,研究社区社会组织培育与基层治理"),
    ("公益领域专家", "杭州市公益组织发展促进会", "从事社会组织孵化十余年,熟悉公益创投"),
    ("资深项目管理者", "浙江和禾公益基金会", "资助项目管理负责人,擅长项目监测与评估"),
    ("资深项目管理者", "杭州益联公益发展中心", "项目总监,长期为社会组织提供项目督导"),
    ("财务合规顾问", "浙江钱江会计师事务所有限公司", "注册会计师,熟悉民间非营利组织会计制度"),
    ("财务合规顾问", "杭州正信税务师事务所有限公司", "税务师,擅长社会组织税务与票据管理"),
    ("财务合规顾问", "浙江金沙律师事务所", "律师,擅长社会组织合规治理与劳动用工"),
)
EXPERT_NOTE = {"公益领域专家": "社区书记,熟悉社区需求和社区社会组织培育",
               "资深项目管理者": "资深社工,擅长项目执行管理与团队督导"}
# which modules each speciality mostly covers (weights in MODULES order)
MODULE_WEIGHTS = {
    "公益领域专家": (5, 2, 0, 2),
    "资深项目管理者": (3, 5, 1, 2),
    "财务合规顾问": (0, 1, 6, 3),
}
FORM_WEIGHTS = (5, 2, 3)

FINDINGS = {
    "项目策划设计": (
        "项目目标表述较笼统,产出与成效指标难以衡量,建议用逻辑框架梳理需求、活动、产出与成效的对应关系",
        "服务对象需求调研样本偏少,缺少数据支撑,建议补充问卷和入户访谈",
        "活动设计与组织现有人力不匹配,活动频次过高,建议聚焦核心服务",
        "项目方案与社区已有服务重复,建议结合社区需求清单调整服务内容",
        "申报书的预算与活动对应不清,建议按活动逐项测算",
    ),
    "执行流程管控": (
        "活动记录不完整,签到表和照片未及时归档,建议建立一活动一档案",
        "项目进度滞后约一个月,志愿者排班不稳定",
        "服务对象满意度未做收集,无法说明服务成效",
        "团队分工不清,项目负责人事务过多,建议明确岗位职责",
        "项目执行基本按计划推进,过程资料较完整,下一步注重成效总结",
    ),
    "财务规范管理": (
        "报销凭证不齐全,部分支出缺少发票和签收单",
        "项目资金与日常经费未分账核算",
        "预算执行率偏低,物资采购未按计划进行",
        "现金支出比例偏高,建议通过对公账户支付",
        "财务制度已建立,但审批流程未落实到每笔支出",
    ),
    "风险预警防控": (
        "户外活动未做安全预案,未为参与者购买意外保险",
        "服务未成年人时未签订监护人知情同意书",
        "志愿者未签订服务协议,个人信息保管不规范",
        "核心成员集中在一两人,存在骨干流失风险",
        "对外宣传未经审核,存在舆情风险",
    ),
}
ACTIONS = {
    "项目策划设计": ("完成服务对象需求调研(不少于30份问卷)", "按逻辑框架修改项目方案", "补充项目成效指标和测量方式",
                   "修改公益创投申报书并提交导师审阅", "梳理社区需求清单,确定年度重点服务"),
    "执行流程管控": ("建立活动台账和一活动一档案", "制定志愿者排班表和签到制度", "开展一次服务对象满意度调查",
                   "更新项目进度表并报中心备案", "明确项目团队岗位职责"),
    "财务规范管理": ("补齐报销凭证并按科目装订", "设立项目辅助账,按项目分账核算", "制定财务报销审批制度",
                   "编制下阶段资金使用计划", "完成年度财务报告并提交中心"),
    "风险预警防控": ("制定户外活动安全应急预案", "为参与活动的志愿者购买意外保险", "补签监护人知情同意书",
                   "建立服务对象个人信息保管制度", "建立骨干成员AB角制度"),
}

# ---- trainings ------------------------------------------------------------------------------------
PARTNERS = {
    "高校": ("浙江工商大学公共管理学院", "浙江财经大学公共管理学院", "杭州电子科技大学人文与法学院", "浙江理工大学法政学院"),
    "律师事务所": ("浙江金沙律师事务所", "浙江之江律师事务所", "浙江钱塘律师事务所"),
    "会计师事务所": ("浙江钱江会计师事务所有限公司", "浙江中衡会计师事务所有限公司", "杭州正信税务师事务所有限公司"),
    "基金会": ("浙江和禾公益基金会", "杭州市春晖公益基金会", "杭州市钱塘区下沙社区发展基金会"),
}
PARTNER_ROLES = {"高校": ("副教授", "教授", "讲师"), "律师事务所": ("律师", "合伙人律师"),
                 "会计师事务所": ("注册会计师", "税务师"), "基金会": ("项目总监", "秘书长")}
TOPIC_PARTNERS = {
    "公益管理": ("高校", "基金会"), "项目设计": ("高校", "基金会"), "法律合规": ("律师事务所",),
    "财税管理": ("会计师事务所",), "品牌传播": ("高校",), "志愿者管理": ("基金会", "高校"),
    "资源动员": ("基金会",), "数字化运营": ("高校",),
}
TOPIC_WEIGHTS = {"公益管理": 3, "项目设计": 4, "法律合规": 3, "财税管理": 4, "品牌传播": 3, "志愿者管理": 2,
                 "资源动员": 2, "数字化运营": 2}
WORKSHOP_TOPICS = ("法律合规", "财税管理", "品牌传播", "项目设计")  # the seed's workshops
TITLES = {
    "公益管理": ("社区社会组织规范化建设", "社会组织理事会建设与内部治理", "社会组织年检与信息公开",
               "社会组织等级评估指标解读", "社会组织发展与公益生态"),
    "项目设计": ("公益项目设计与逻辑框架", "公益创投项目申报书撰写", "社区需求调研方法", "公益项目成效评估"),
    "法律合规": ("社会组织法律风险防范", "《慈善法》要点解读", "社会组织劳动用工合规", "服务协议与知情同意的法律要点"),
    "财税管理": ("民间非营利组织会计制度与财务规范", "公益项目预算编制与经费执行", "社会组织票据使用与税务申报",
               "项目审计常见问题"),
    "品牌传播": ("公益品牌打造与传播", "公益短视频拍摄与剪辑", "公益故事写作与新媒体运营"),
    "志愿者管理": ("志愿者招募、培训与激励", "志愿服务项目化运作"),
    "资源动员": ("公益资源链接与筹款", "企业公益合作与项目认领", "99公益日筹款实务"),
    "数字化运营": ("数字化工具赋能社会组织", "用在线表单和小程序做服务管理", "人工智能工具在公益工作中的应用"),
}
KIND_TITLE = {"线下培训": "{t}", "专题讲座": "专题讲座:{t}", "实操工作坊": "{t}实操工作坊", ONLINE: "线上课程:{t}"}
TRIPS = (("赴上海市浦东新区公益服务园交流学习", "上海市浦东新区公益服务园", "公益管理"),
         ("赴宁波市海曙区社会组织服务中心考察学习", "宁波市海曙区社会组织服务中心", "资源动员"),
         ("赴苏州工业园区社会组织培育发展中心交流学习", "苏州工业园区社会组织培育发展中心", "品牌传播"))
PLACES = ("下沙街道党群服务中心三楼多功能厅", "下沙街道社会组织发展服务中心培训室", "下沙街道社会组织发展服务中心培训室",
          "下沙街道党群服务中心二楼会议室")
ONLINE_PLACES = ("线上(钉钉直播)", "线上(腾讯会议)")
CAPACITY = {"线下培训": (30, 60), "专题讲座": (60, 120), "实操工作坊": (20, 30), ONLINE: (100, 200), TRIP: (15, 20)}
ATTENDEES = {"线下培训": (12, 22), "专题讲座": (18, 34), "实操工作坊": (10, 18), ONLINE: (28, 45), TRIP: (10, 14)}
FEEDBACK_SHARE = {ONLINE: 0.7, TRIP: 0.95}  # others 0.85
POSITIONS = ("负责人", "项目主管", "财务", "社工", "志愿者骨干", "理事", "宣传干事")
FEEDBACK_GOOD = ("案例贴近实际,很有收获", "讲解清楚,回去就能用", "希望多开展此类培训", "老师准备充分,互动性强",
                 "对我们做申报书很有帮助")
FEEDBACK_CRITICAL = ("时间偏短,内容没讲完", "希望增加案例分析和实操练习", "内容偏理论,和社区组织实际有距离",
                     "场地较远,建议在社区就近开展", "希望提供课件和资料包")

# ---- lifecycle --------------------------------------------------------------------------------------
STAGES = tuple(choices.STAGES)  # 零基础筹备期, 初创期, 成长期, 成熟期
STAGE_REASONS = {
    None: "纳入中心社会组织台账,评定初始发展阶段",
    "初创期": ("完成社区备案,核心成员稳定,开始独立开展服务活动", "组建完成,有固定的服务对象和活动场地"),
    "成长期": ("项目运作规范,服务规模和志愿者队伍持续扩大", "建立内部管理制度,独立承接公益创投项目",
             "连续两年执行项目良好,能力评估进步明显"),
    "成熟期": ("治理结构健全,形成品牌项目,具备带动其他组织的能力", "获评等级评估,财务和项目管理规范,服务辐射多个社区"),
}
IN_NOTES = ("经中心孵化评审会审议,同意入壳孵化", "提交入壳申请,经实地走访和评审,同意入壳")
OUT_NOTES = ("孵化期满,经出壳评估达到出壳标准,同意出壳", "已具备独立运作能力,经中心评审同意出壳")
RATING_NOTES = ("区民政局社会组织等级评估", "首次参加社会组织等级评估", "等级评估复评")


# ==== helpers ====================================================================================
def _days(n: int) -> dt.timedelta:
    return dt.timedelta(days=n)


def _between(rng: random.Random, lo: dt.date, hi: dt.date) -> dt.date:
    if hi <= lo:
        return lo
    return lo + _days(rng.randint(0, (hi - lo).days))


def _weekday(d: dt.date, lo: dt.date, hi: dt.date) -> dt.date:
    """``d`` moved to a working day, staying within ``lo``..``hi`` where possible."""
    for step in (0, 1, 2, -1, -2):
        x = d + _days(step)
        if x.weekday() < 5 and lo <= x <= hi:
            return x
    return d


def _at(rng: random.Random, d: dt.date, lo_hour: int = 9, hi_hour: int = 17) -> dt.datetime:
    return dt.datetime.combine(d, dt.time(rng.randint(lo_hour, hi_hour), rng.choice((0, 10, 20, 30, 40, 50))))


class _Names:
    def __init__(self, rng: random.Random, used: set[str]):
        self.rng, self.used = rng, set(used)

    def name(self) -> str:
        while True:
            given = self.rng.choice(GIVEN) + (self.rng.choice(GIVEN) if self.rng.random() < 0.7 else "")
            n = self.rng.choice(SURNAMES) + given
            if n not in self.used and len(set(n)) == len(n):
                self.used.add(n)
                return n

    def mobile(self) -> str:
        return self.rng.choice(MOBILE_PREFIXES) + "".join(self.rng.choices("0123456789", k=8))


def rating_level(score: float) -> str | None:
    """The demo's cut-offs: 5A ≥ 900, 4A 800–899, 3A 700–799, 2A 600–699, 1A 500–599 (of 1000)."""
    for level, floor in RATING_CUTOFFS:
        if score >= floor:
            return level
    return None


def _rating_score(rng: random.Random, level: str) -> float:
    floor = dict(RATING_CUTOFFS)[level]
    return float(rng.randint(floor + 8, floor + 92))


def periods(today: dt.date, n: int = ASSESSED_PERIODS) -> list[tuple[str, dt.date, dt.date]]:
    """The last ``n`` half-years that ended before ``today``: (label, first day, last day), oldest first."""
    out = []
    y, half = today.year, 1 if today.month <= 6 else 2
    while len(out) < n:  # step back one half-year at a time, starting with the one before today's
        y, half = (y, 1) if half == 2 else (y - 1, 2)
        first, last = (dt.date(y, 1, 1), dt.date(y, 6, 30)) if half == 1 else (dt.date(y, 7, 1), dt.date(y, 12, 31))
        out.append((f"{y}{'上' if half == 1 else '下'}半年", first, last))
    return out[::-1]


# ==== mentoring ==================================================================================
def _mentors(rng: random.Random, names: _Names, experts: dict[str, dict]) -> list[dict]:
    out = []
    for username in LINKED_EXPERTS:
        e = experts.get(username)
        if e is None:
            continue
        spec = EXPERT_SPECIALITY[username]
        out.append({"name": e["name"], "speciality": spec, "username": username, "employer": e.get("employer"),
                    "phone": names.mobile(), "active": True,
                    "notes": f"{EXPERT_NOTE[spec]};同时为公益创投评审专家({username})"})
    panel = list(MENTOR_PANEL)
    for spec in SPECIALITIES:  # three per speciality: fill up with the panel's own mentors
        mine = [p for p in panel if p[0] == spec]
        need = 3 - sum(m["speciality"] == spec for m in out)
        for _, employer, note in mine[:need]:
            out.append({"name": names.name(), "speciality": spec, "username": None, "employer": employer,
                        "phone": names.mobile(), "active": True, "notes": note})
    order = {s: i for i, s in enumerate(SPECIALITIES)}
    out.sort(key=lambda m: (order[m["speciality"]], m["username"] is None))
    return out


def _incubation_span(org: dict, today: dt.date) -> tuple[dt.date, dt.date]:
    end = org["incubation_out"] or today
    return org["incubation_in"], min(end, today)


def _sessions_for(rng: random.Random, start: dt.date, end: dt.date, per_days: int, lo: int, hi: int) -> list[dt.date]:
    span = (end - start).days
    if span < 7:
        return []
    n = max(lo, min(hi, round(span / per_days + rng.uniform(-1, 1))))
    n = min(n, max(1, span // 14))
    step = span / n
    dates = []
    for i in range(n):  # one in each slice of the span, so they spread over it
        a = start + _days(int(i * step) + 3)
        b = start + _days(max(int((i + 1) * step) - 3, int(i * step) + 3))
        dates.append(_weekday(_between(rng, a, min(b, end)), start, end))
    return sorted(set(dates))


def _actions(rng: random.Random, module: str, day: dt.date, today: dt.date, owners: list[str]) -> list[dict]:
    out = []
    for text in rng.sample(ACTIONS[module], rng.choice((1, 2, 2, 3))):
        due = day + _days(rng.choice((7, 14, 14, 21, 30, 30, 45)))
        owner = rng.choice(owners)
        late = (today - due).days
        if late > 45:  # long past: almost always done, now and then late
            done = rng.random() < 0.96
        elif late > 0:  # recently due: some still open (overdue)
            done = rng.random() < 0.6
        else:  # not yet due: some done early
            done = rng.random() < 0.35 and day < today - _days(3)
        done_date = None
        if done:
            lo, hi = day + _days(2), min(due + _days(rng.choice((0, 0, 0, 5, 12))), today)
            done_date = _between(rng, min(lo, hi), hi)
        out.append({"action": text, "owner": owner, "due_date": due,
                    "status": "done" if done else "open", "done_date": done_date})
    return out


def mentoring(rng: random.Random, orgs: list[dict], today: dt.date, people: dict[int, list[dict]],
              names: _Names, experts: dict[str, dict], avoid: dict[str, set[int]], prefer: set[int]) -> dict:
    """Mentors, pairings, sessions and agreed actions (references by position in the lists)."""
    mentors = _mentors(rng, names, experts)
    incubated = [o for o in orgs if o["incubation_in"] and o["incubation_in"] < today - _days(14)]
    unpaired = set(rng.sample([o["id"] for o in incubated], round(len(incubated) * UNPAIRED_SHARE)))
    load: Counter = Counter()
    pairings, sessions, actions = [], [], []

    def pick(spec: str, org: dict) -> int:
        cands = [i for i, m in enumerate(mentors) if m["speciality"] == spec
                 and org["id"] not in avoid.get(m["username"] or "", set())]
        return min(cands, key=lambda i: (load[i], rng.random()))

    # the mentors who are also experts: organisations applying now, but not given to them to review
    fixed: dict[int, int] = {}
    for i, m in enumerate(mentors):
        if not m["username"]:
            continue
        pool = [o for o in incubated if o["id"] not in unpaired and o["id"] not in fixed
                and o["id"] not in avoid.get(m["username"], set())]
        now = [o for o in pool if o["id"] in prefer and o["incubation_out"] is None]
        chosen = rng.sample(now, min(2, len(now)))
        rest = [o for o in pool if o not in chosen]
        chosen += rng.sample(rest, min(4 - len(chosen), len(rest)))
        for o in chosen:
            fixed[o["id"]] = i
            load[i] += 1

    for org in incubated:
        if org["id"] in unpaired:
            continue
        start, end = _incubation_span(org, today)
        owners = [p["person"] for p in people[org["id"]][:3]]
        early = org["stage"] in ("零基础筹备期", "初创期")
        first_spec = "公益领域专家" if early or rng.random() < 0.4 else "资深项目管理者"
        main = fixed.get(org["id"])
        if main is None:
            main = pick(first_spec, org)
            load[main] += 1
        plan = [(main, start + _days(rng.randint(5, 30)), org["incubation_out"], 50, 3, 10)]
        if rng.random() < 0.55:  # a 财务合规顾问 for a stretch, usually before a project or an audit
            fin = pick("财务合规顾问", org)
            load[fin] += 1
            lo = start + _days(60)
            f_start = _between(rng, lo, max(lo, end - _days(90)))
            f_end = f_start + _days(rng.randint(120, 300))
            plan.append((fin, f_start, f_end if f_end <= today - _days(7) else None, 40, 2, 5))
        for mentor, p_start, p_end, per_days, lo_n, hi_n in plan:
            if p_start >= today - _days(7):
                p_start = max(start, today - _days(rng.randint(8, 20)))
            last = min(p_end or today, today)
            pairings.append({"mentor": mentor, "org_id": org["id"], "start_date": p_start, "end_date": p_end,
                             "notes": None if p_end or mentor != main else "在孵,持续辅导中"})
            pi = len(pairings) - 1
            spec = mentors[mentor]["speciality"]
            for day in _sessions_for(rng, p_start, last, per_days, lo_n, hi_n):
                module = rng.choices(MODULES, weights=MODULE_WEIGHTS[spec])[0]
                sessions.append({
                    "pairing": pi, "session_date": day, "hours": rng.choice((1.0, 1.5, 1.5, 2.0, 2.0, 2.5, 3.0)),
                    "module": module, "form": rng.choices(FORMS, weights=FORM_WEIGHTS)[0],
                    "findings": rng.choice(FINDINGS[module]),
                })
                si = len(sessions) - 1
                for a in _actions(rng, module, day, today, owners + [mentors[mentor]["name"]]):
                    actions.append(dict(a, session=si))
    return {"mentors": mentors, "pairings": pairings, "sessions": sessions, "actions": actions}


# ==== trainings ==================================================================================
def _people(rng: random.Random, orgs: list[dict], names: _Names) -> dict[int, list[dict]]:
    """Each organisation's people who attend trainings: its leader, its contact and a few more."""
    out = {}
    for o in orgs:
        roster = [{"person": o["legal_rep"], "position": "负责人", "phone": o["contact_phone"]
                   if o["contact_person"] == o["legal_rep"] else names.mobile()}]
        if o["contact_person"] and o["contact_person"] != o["legal_rep"]:
            roster.append({"person": o["contact_person"], "position": rng.choice(("项目主管", "秘书长", "联络员")),
                           "phone": o["contact_phone"]})
        for _ in range(rng.randint(1, 4)):
            roster.append({"person": names.name(), "position": rng.choice(POSITIONS[1:]),
                           "phone": names.mobile() if rng.random() < 0.6 else None})
        out[o["id"]] = roster
    return out


def _slots(rng: random.Random, n: int, lo: dt.date, hi: dt.date) -> list[dt.date]:
    step = (hi - lo).days / n
    return [_weekday(_between(rng, lo + _days(int(i * step)), lo + _days(max(int((i + 1) * step) - 1, int(i * step)))),
                     lo, hi) for i in range(n)]


def _trainers(rng: random.Random, names: _Names) -> dict[str, list[tuple[str, str]]]:
    """A few trainers per partner institution: (trainer text, institution)."""
    out: dict[str, list[tuple[str, str]]] = {}
    for kind, insts in PARTNERS.items():
        for inst in insts:
            for _ in range(rng.choice((1, 2))):
                out.setdefault(kind, []).append((f"{names.name()}({rng.choice(PARTNER_ROLES[kind])})", inst))
    return out


def _attendance_weight(org: dict, day: dt.date) -> float:
    if org["reg_date"] > day or (not org["active"] and org["incubation_out"] and day > org["incubation_out"]):
        return 0.0
    inc_in, inc_out = org["incubation_in"], org["incubation_out"]
    if inc_in and inc_in <= day and (inc_out is None or day <= inc_out):
        return 3.0
    if inc_in and inc_out and day > inc_out:
        return 1.2
    return 0.5 if inc_in else 0.4


def trainings(rng: random.Random, orgs: list[dict], today: dt.date, people: dict[int, list[dict]],
              names: _Names) -> dict:
    """Trainings, attendance and feedback (references by position)."""
    n = sum(TRAINING_MIX.values())
    days = _slots(rng, n, FIRST_TRAINING, today - _days(10))
    online_ok = [i for i, d in enumerate(days) if d >= dt.date(2020, 2, 15)]
    online = {online_ok[round(k * (len(online_ok) - 1) / (TRAINING_MIX[ONLINE] - 1))] for k in range(TRAINING_MIX[ONLINE])}
    trip_at = [i for i in (round(n * 0.15), round(n * 0.62), round(n * 0.9)) if i not in online]
    trip_at = [i if i not in online else i + 1 for i in trip_at]
    pool = _trainers(rng, names)
    rows, attendance, feedback = [], [], []
    seen: Counter = Counter()
    trips = list(TRIPS)
    for i, day in enumerate(days):
        if i in online:
            kind = ONLINE
        elif i in trip_at and trips:
            kind = TRIP
        else:
            kind = rng.choices(OFFLINE_KINDS, weights=(22, 16, 12))[0]
        if kind == TRIP:
            title, place, topic = trips.pop(0)
            trainer, partner = "中心工作人员带队", None
        else:
            topics = [t for t in TOPICS if t != "数字化运营" or day.year >= 2020]
            if kind == "实操工作坊":
                topics = [t for t in topics if t in WORKSHOP_TOPICS]
            topic = rng.choices(topics, weights=[TOPIC_WEIGHTS[t] for t in topics])[0]
            options = [t for t in TITLES[topic] if "人工智能" not in t or day.year >= 2024]
            base = KIND_TITLE[kind].format(t=rng.choice(options))
            seen[base] += 1
            title = base if seen[base] == 1 else f"{base}(第{seen[base]}期)"
            partner_kind = rng.choice(TOPIC_PARTNERS[topic])
            trainer, partner = rng.choice(pool[partner_kind])
            if rng.random() < 0.12:
                partner = None  # the hub's own course
            place = rng.choice(ONLINE_PLACES) if kind == ONLINE else (
                rng.choice(PLACES) if rng.random() < 0.8 else f"{rng.choice(choices.DEMO_COMMUNITIES)}党群服务中心会议室")
        cap = rng.randint(*CAPACITY[kind])
        if kind in ("线下培训", "实操工作坊"):
            cap = cap // 5 * 5
        rows.append({"title": title, "kind": kind, "topic": topic, "training_date": day, "trainer": trainer,
                     "partner": partner, "capacity": cap, "place": place,
                     "notes": "学员分享交流,形成学习心得" if kind == TRIP else None})
        ti = len(rows) - 1
        weights = {o["id"]: _attendance_weight(o, day) for o in orgs}
        cands = [o for o in orgs if weights[o["id"]] > 0]
        target = min(cap, rng.randint(*ATTENDEES[kind]))
        quality = rng.choice((0.0, 0.0, 0.0, 0.0, -0.6, 0.3))  # a few sessions land less well
        taken = 0
        while cands and taken < target:
            o = rng.choices(cands, weights=[weights[c["id"]] for c in cands])[0]
            cands.remove(o)
            k = 1 if kind in ("实操工作坊", TRIP) else rng.choices((1, 2, 3), weights=(70, 25, 5))[0]
            for p in rng.sample(people[o["id"]], min(k, len(people[o["id"]]), target - taken)):
                attendance.append({"training": ti, "org_id": o["id"], "person": p["person"], "position": p["position"],
                                   "phone": p["phone"]})
                taken += 1
                if rng.random() < FEEDBACK_SHARE.get(kind, 0.85):
                    feedback.append(dict(_feedback(rng, quality), attendance=len(attendance) - 1))
    return {"trainings": rows, "attendance": attendance, "feedback": feedback}


def _mark(rng: random.Random, quality: float) -> int:
    x = rng.choices((5, 4, 3, 2, 1), weights=(46, 38, 11, 4, 1))[0]
    if quality < 0 and rng.random() < -quality:
        x -= 1
    elif quality > 0 and rng.random() < quality:
        x += 1
    return max(1, min(5, x))


def _feedback(rng: random.Random, quality: float) -> dict:
    u, c, f = _mark(rng, quality), _mark(rng, quality), _mark(rng, quality)
    comment = None
    if rng.random() < 0.3:
        comment = rng.choice(FEEDBACK_CRITICAL if min(u, c, f) <= 3 else FEEDBACK_GOOD)
    return {"usefulness": u, "clarity": c, "fit": f, "comment": comment}


# ==== lifecycle ==================================================================================
def _stage_at_start(org: dict, d0: dt.date) -> str:
    current = STAGES.index(org["stage"])
    age = (d0 - org["reg_date"]).days / 365
    if org["kind"] == choices.FILED_KIND and org["incubation_in"] and (org["incubation_in"] - org["reg_date"]).days < 120:
        start = 0  # filed just before entering the incubator: still being formed
    elif age < 3:
        start = 1
    elif age < 10:
        start = 2
    else:
        start = 3
    return STAGES[min(start, current)]


def lifecycle(rng: random.Random, orgs: list[dict], today: dt.date) -> dict:
    """Stage changes (chains ending at each organisation's stage), 入壳/出壳 decisions, rating history."""
    changes, decisions, ratings = [], [], []
    for o in orgs:
        inc_in, inc_out = o["incubation_in"], o["incubation_out"]
        if o["reg_date"] >= HUB_OPENED:
            d0 = o["reg_date"] + _days(rng.randint(1, 10))
        else:  # on the hub's register since it opened, or since it entered the incubator
            d0 = min(inc_in or HUB_OPENED + _days(rng.randint(20, 200)), HUB_OPENED + _days(rng.randint(20, 200)))
        if inc_in:
            d0 = min(d0, inc_in)
        d0 = min(d0, today - _days(1))
        first = _stage_at_start(o, d0)
        chain = [(None, first, d0, STAGE_REASONS[None])]
        cur = STAGES.index(first)
        goal = STAGES.index(o["stage"])
        prev_day = d0
        limit = today - _days(7)
        if o["rating_date"] and o["stage"] == "成熟期":
            limit = min(limit, o["rating_date"] - _days(30))  # mature before the current rating
        for k in range(cur + 1, goal + 1):
            remaining = goal - k
            stage = STAGES[k]
            if stage == "初创期":
                natural = (inc_in or d0) + _days(rng.randint(60, 240))
            elif stage == "成长期":
                natural = max(prev_day + _days(rng.randint(400, 1000)), (inc_out or prev_day) + _days(rng.randint(-60, 90)))
            else:
                natural = prev_day + _days(rng.randint(700, 1500))
            room_hi = limit - _days(60 * remaining)
            lo = prev_day + _days(30)
            day = min(max(natural, lo), room_hi) if room_hi > lo else lo + (room_hi - lo) / 2 if room_hi > prev_day else prev_day + _days(1)
            day = min(day, today - _days(1))
            changes_reason = rng.choice(STAGE_REASONS[stage])
            chain.append((STAGES[k - 1], stage, day, changes_reason))
            prev_day = day
        for frm, to, day, reason in chain:
            changes.append({"org_id": o["id"], "from_stage": frm, "to_stage": to, "changed_on": day, "reason": reason})
        if inc_in:
            met = list(choices.INCUBATION_CRITERIA["入壳"])
            decisions.append({"org_id": o["id"], "kind": "入壳", "decided_on": inc_in, "criteria_met": met,
                              "note": rng.choice(IN_NOTES)})
        if inc_out:
            decisions.append({"org_id": o["id"], "kind": "出壳", "decided_on": inc_out,
                              "criteria_met": list(choices.INCUBATION_CRITERIA["出壳"]), "note": rng.choice(OUT_NOTES)})
        if o["rating"]:
            ratings.extend(_rating_history(rng, o))
    return {"stage_changes": changes, "incubation_decisions": decisions, "ratings": ratings}


def _rating_history(rng: random.Random, o: dict) -> list[dict]:
    """Earlier ratings (each renewed about when it expired, at most one level lower) and the current one."""
    levels = list(choices.RATINGS)
    rows = [{"org_id": o["id"], "level": o["rating"], "rated_on": o["rating_date"]}]
    level, day = o["rating"], o["rating_date"]
    for _ in range(2):
        before = add_years(day, -RATING_YEARS) + _days(rng.randint(0, 75))
        if before < add_years(o["reg_date"], 2) or rng.random() < 0.25:
            break
        i = levels.index(level)
        level = levels[max(0, i - 1)] if rng.random() < 0.6 else level
        day = before
        rows.append({"org_id": o["id"], "level": level, "rated_on": day})
    out = []
    for k, r in enumerate(reversed(rows)):
        score = _rating_score(rng, r["level"])
        note = RATING_NOTES[1] if k == 0 else RATING_NOTES[2]
        out.append(dict(r, score=score, expires_on=add_years(r["rated_on"], RATING_YEARS), note=note))
    return out
