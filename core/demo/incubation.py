"""Demo 孵化与能力建设 for 下沙街道, consistent with the demo organisations and the seed's figures.

The seed (``/work/shared/DOMAIN.md``): 50+ organisations incubated, 30+ capability trainings covering
500+ person-times, a training network of 5 online courses, 50+ offline sessions and 3 study trips,
ratings 3 at 4A and 10 at 3A, one-to-one mentoring by a panel of 公益领域专家, 资深项目管理者 and
财务合规顾问 in four modules. What this module adds to the demo database:

- 9 mentors, three per speciality; two of them are demo experts (``expert03``, ``expert07``, linked by
  username), so their mentoring counts as a conflict of interest when they are assigned applications;
  they mentor organisations that apply in the current round but are not among their assignments;
- a pairing with a mentor for about 90% of the incubated organisations (a second one with a 财务合规顾问
  for about half of them), sessions of 1–3 hours spread over the incubation period in the four modules
  and three forms, with findings and 1–3 agreed actions each (owner, due date; most done, some open, a
  few overdue);
- 58 trainings from 2018-09 to today: 5 线上课程, 50 线下培训/专题讲座/实操工作坊, 3 外出交流学习, with
  trainers, partner institutions (高校, 律师事务所, 会计师事务所, 基金会), capacity and place; about
  900 person-times of attendance from the organisations' own people, feedback (1–5, mostly 4–5) from
  most attendees; every topic is taught at least once between the first and the last assessment;
- capability assessments with the default instrument and support map of :mod:`core.incubation.assessments`
  (:func:`~core.incubation.assessments.ensure_defaults`; totals by :func:`~core.incubation.assessments.score_assessment`), one
  per incubated organisation and half-year for the last four half-years before ``today``; between two
  assessments an organisation gains in the dimensions the support map ties to the modules and topics
  of the mentoring hours and trainings it got, a little overall with any support, and drifts slightly
  down without; an organisation that left the incubator after an assessment had reached the 出壳 mark
  (total 60) in its last one before leaving;
- each organisation's lifecycle stage changes (transitions only, as :func:`core.incubation.lifecycle.change_stage`
  records them, from the stage it had when the hub first saw it — by kind and age — to its current
  stage, after its registration), its 入壳/出壳 decisions (on its ``incubation_in``/``incubation_out``
  dates, all criteria met) and its rating history: the current rating (as on the organisation) and the
  earlier ones it renewed, each about five years before, never higher. Scores (out of 1000) follow the
  demo's cut-offs :data:`RATING_CUTOFFS` (5A ≥ 900, 4A ≥ 800, 3A ≥ 700, 2A ≥ 600, 1A ≥ 500; no
  locality's official table). The organisations themselves are not changed.

:func:`plan` is pure and deterministic (``random.Random(2021)``) for given organisations and
``today``; nothing in it happens after ``today`` (only open actions' due dates and ratings' expiry lie
ahead). :func:`load` writes it through the audited write path — validated in batches, one unit per group
of tables (mentors; pairings; sessions with actions; trainings; attendance with feedback; assessments
with scores; stages, decisions and ratings) — with each row's historical ``created_at``.
"""
from __future__ import annotations

import datetime as dt
import random
from collections import Counter, defaultdict

from core.incubation import assessments as asm
from core.platform import records
from core.platform.actor import SYSTEM, Actor
from core.demo.orgs import GIVEN, HUB_OPENED, MOBILE_PREFIXES, SURNAMES
from core.incubation.lifecycle import INCUBATION_DECISION, RATING, STAGE_CHANGE
from core.incubation.mentoring import ACTION, MENTOR, PAIRING, SESSION
from core.orgs.organisations import add_years
from core.incubation.trainings import ATTENDANCE, FEEDBACK, TRAINING
from core.demo.common import checked as _check
from schemas import choices
from schemas.capability import DEFAULT_INSTRUMENT, Attendance, Feedback, Training, assessment_schema, score_field
from schemas.checks import normalise_phone
from schemas.incubation import (
    IncubationDecision, Mentor, MentoringAction, MentoringSession, Pairing, Rating, StageChange,
)

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
    # used only when a demo expert account is missing
    ("公益领域专家", "浙江财经大学公共管理学院", "讲师,研究志愿服务与社区营造"),
    ("资深项目管理者", "杭州市春晖公益基金会", "项目官员,熟悉社区公益项目的执行与督导"),
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
ATTENDEES = {"线下培训": (10, 16), "专题讲座": (14, 26), "实操工作坊": (8, 14), ONLINE: (24, 36), TRIP: (10, 14)}
FEEDBACK_SHARE = {ONLINE: 0.7, TRIP: 0.95}  # others 0.85
POSITIONS = ("负责人", "项目主管", "财务", "社工", "志愿者骨干", "理事", "宣传干事")
FEEDBACK_GOOD = ("案例贴近实际,很有收获", "讲解清楚,回去就能用", "希望多开展此类培训", "老师准备充分,互动性强",
                 "对我们做申报书很有帮助")
FEEDBACK_CRITICAL = ("时间偏短,内容没讲完", "希望增加案例分析和实操练习", "内容偏理论,和社区组织实际有距离",
                     "场地较远,建议在社区就近开展", "希望提供课件和资料包")

# ---- lifecycle --------------------------------------------------------------------------------------
STAGES = tuple(choices.STAGES)  # 零基础筹备期, 初创期, 成长期, 成熟期
STAGE_REASONS = {
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
        return normalise_phone(self.rng.choice(MOBILE_PREFIXES) + "".join(self.rng.choices("0123456789", k=8)))


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
        out.append((choices.period_label(y, "上半年" if half == 1 else "下半年"), first, last))  # 2026年上半年
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


def _actions(rng: random.Random, module: str, day: dt.date, today: dt.date, owners: list[str],
             ongoing: bool) -> list[dict]:
    out = []
    for text in rng.sample(ACTIONS[module], rng.choice((1, 2, 2, 3))):
        due = day + _days(rng.choice((7, 14, 14, 21, 30, 30, 45)))
        owner = rng.choice(owners)
        late = (today - due).days
        if late > 90 or (late > 0 and not ongoing):  # long past, or the pairing is over: done
            done = True
        elif late > 0:  # due in the last three months: a few still open (overdue)
            done = rng.random() < 0.8
        else:  # not yet due: some done early
            done = rng.random() < 0.3 and day < today - _days(3)
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
        plan = [(main, start + _days(rng.randint(5, 30)), org["incubation_out"], 60, 3, 8)]
        if (end - start).days >= 240 and rng.random() < 0.55:  # a 财务合规顾问 for a stretch of the incubation
            fin = pick("财务合规顾问", org)
            load[fin] += 1
            f_start = _between(rng, start + _days(60), end - _days(150))
            f_end = f_start + _days(rng.randint(120, 300))
            if org["incubation_out"]:
                f_end = min(f_end, org["incubation_out"])
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
                for a in _actions(rng, module, day, today, owners + [mentors[mentor]["name"]], p_end is None):
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
    days[0] = _weekday(_between(rng, FIRST_TRAINING + _days(9), FIRST_TRAINING + _days(25)), FIRST_TRAINING, days[1])
    online_ok = [i for i, d in enumerate(days) if d >= dt.date(2020, 2, 15)]
    k_online = TRAINING_MIX[ONLINE]
    online = {online_ok[round(k * (len(online_ok) - 1) / (k_online - 1))] for k in range(k_online)}
    trip_at = [i + 1 if i in online else i for i in (round(n * 0.15), round(n * 0.62), round(n * 0.9))]
    spans = periods(today)
    window = (spans[0][2], spans[-1][2].replace(day=1))  # between assessments: every topic at least once
    used: Counter = Counter()
    in_window: Counter = Counter()
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
            inside = window[0] <= day <= window[1]
            weights = [TOPIC_WEIGHTS[t] / (1 + used[t]) * (6 if inside and not in_window[t] else 1) for t in topics]
            topic = rng.choices(topics, weights=weights)[0]
            used[topic] += 1
            in_window[topic] += inside
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
    inc_in = org["incubation_in"]
    if org["kind"] == choices.FILED_KIND and inc_in and (inc_in - org["reg_date"]).days < 120:
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
        chain = []  # transitions only (as core.incubation.lifecycle.change_stage records them): from -> to
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
                natural = max(prev_day + _days(rng.randint(400, 1000)),
                              (inc_out or prev_day) + _days(rng.randint(-60, 90)))
            else:
                natural = prev_day + _days(rng.randint(700, 1500))
            lo, hi = prev_day + _days(30), limit - _days(60 * remaining)
            if hi >= lo:
                day = min(max(natural, lo), hi)
            else:  # no room for the usual pace: spread the remaining steps evenly until yesterday
                day = prev_day + _days(max(((today - _days(1)) - prev_day).days // (remaining + 2), 1))
            chain.append((STAGES[k - 1], stage, day, rng.choice(STAGE_REASONS[stage])))
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


# ==== capability assessments =====================================================================
STAGE_LEVEL = {"零基础筹备期": 2.2, "初创期": 2.8, "成长期": 3.5, "成熟期": 4.1}  # mean indicator score (1–5)
ASSESSORS = ("王敏", "王敏", "陈晓燕", "周婷")
THIRD_PARTY = "杭州益联公益发展中心(第三方评估)"
EVIDENCE = ("查阅章程、制度文件和项目档案,访谈负责人", "查阅财务凭证和活动台账,访谈负责人和2名志愿者",
            "现场观察服务活动1次,查阅项目档案和满意度问卷", "查阅年报、公众号发布记录和合作协议,访谈核心成员",
            "组织自评后由中心核实,查阅过程资料")
EXIT_TOTAL = 60.0  # the 出壳 criterion 能力评估总分达到60分


def default_dimensions() -> list[dict]:
    """The default instrument (:data:`schemas.capability.DEFAULT_INSTRUMENT`) in the shape of
    :func:`core.incubation.assessments.instrument`'s ``dimensions``, with stand-in indicator ids (1, 2, …)."""

    out, k = [], 0
    for seq, (name, weight, inds) in enumerate(DEFAULT_INSTRUMENT, start=1):
        items = []
        for iseq, (ind, guidance) in enumerate(inds, start=1):
            k += 1
            items.append({"id": k, "seq": iseq, "name": ind, "guidance": guidance})
        out.append({"id": seq, "seq": seq, "name": name, "weight": float(weight), "indicators": items})
    return out


def _stage_on(changes: list[dict], current: str, day: dt.date) -> str:
    """The organisation's stage on ``day`` by its stage-change history (``changes`` in date order)."""
    before = [c for c in changes if c["changed_on"] <= day]
    if before:
        return before[-1]["to_stage"]
    return changes[0]["from_stage"] if changes else current


def _assessed_on(rng: random.Random, first: dt.date, last: dt.date, today: dt.date) -> dt.date:
    lo = last.replace(day=1) + _days(2)  # in the half-year's last month
    return _weekday(_between(rng, lo, min(last - _days(8), today - _days(1))), lo, last)


def assessments(rng: random.Random, orgs: list[dict], today: dt.date, mentoring_rows: dict, training_rows: dict,
                stage_changes: list[dict], dimensions: list[dict],
                support: dict[str, tuple[list[str], list[str]]]) -> list[dict]:
    """One assessment per incubated organisation and half-year (the last :data:`ASSESSED_PERIODS`):
    org_id, period, assessor, assessed_on, evidence, scores {indicator id: 1–5}. Between two assessments
    each dimension gains with the mentoring hours in the modules and the trainings on the topics that
    ``support`` (dimension -> (modules, topics)) ties to it, a little with any support, and drifts
    slightly down without; a ceiling slows the strong. An organisation that left the incubator after
    an assessment had reached the 出壳 mark (total 60) by then."""

    spans = periods(today)
    days = [(label, _assessed_on(rng, first, last, today)) for label, first, last in spans]
    pairing_org = [p["org_id"] for p in mentoring_rows["pairings"]]
    hours: dict[int, list[tuple[dt.date, str, float]]] = defaultdict(list)
    for sess in mentoring_rows["sessions"]:
        hours[pairing_org[sess["pairing"]]].append((sess["session_date"], sess["module"], sess["hours"]))
    trained: dict[int, list[tuple[dt.date, str]]] = defaultdict(list)
    for a in training_rows["attendance"]:
        t = training_rows["trainings"][a["training"]]
        trained[a["org_id"]].append((t["training_date"], t["topic"]))
    chains: dict[int, list[dict]] = defaultdict(list)
    for c in stage_changes:
        chains[c["org_id"]].append(c)
    names = [d["name"] for d in dimensions]
    modules_of = {d: set(support.get(d, ((), ()))[0] or ()) for d in names}
    topics_of = {d: set(support.get(d, ((), ()))[1] or ()) for d in names}

    out = []
    for o in orgs:
        if not o["active"] or not o["incubation_in"]:
            continue
        mine = [(label, day) for label, day in days if o["incubation_in"] <= day - _days(14)]
        if not mine:
            continue
        base = STAGE_LEVEL[_stage_on(chains[o["id"]], o["stage"], mine[0][1])] + rng.gauss(0, 0.2)
        level = {d: base + rng.gauss(0, 0.3) for d in names}
        offset = {i["id"]: rng.uniform(-0.45, 0.45) for d in dimensions for i in d["indicators"]}
        series = []
        prev_day = None
        for label, day in mine:
            if prev_day is not None:
                h = [(m, x) for d0, m, x in hours[o["id"]] if prev_day < d0 <= day]
                t = [tp for d0, tp in trained[o["id"]] if prev_day < d0 <= day]
                general = min(0.3, 0.02 * sum(x for _, x in h) + 0.03 * len(t))
                for d in names:
                    if not h and not t:
                        gain = rng.gauss(-0.03, 0.06)
                    else:
                        focused = (0.07 * sum(x for m, x in h if m in modules_of[d])
                                   + 0.2 * sum(tp in topics_of[d] for tp in t))
                        gain = (min(0.6, focused) + general) * max(0.1, (5.0 - level[d]) / 3) + rng.gauss(0, 0.04)
                    level[d] = min(4.9, max(1.2, level[d] + gain))
            noise = {i: rng.gauss(0, 0.12) for i in offset}
            series.append((label, day, dict(level), noise))
            prev_day = day

        def scores_of(lv: dict, noise: dict, lift: float) -> dict[int, int]:
            return {i["id"]: max(1, min(5, round(lv[d["name"]] + lift + offset[i["id"]] + noise[i["id"]])))
                    for d in dimensions for i in d["indicators"]}

        lift = 0.0
        out_day = o["incubation_out"]
        before_exit = [k for k, (_, day, _, _) in enumerate(series) if out_day and day <= out_day]
        if before_exit:  # graduated after an assessment: that one met the 出壳 mark
            _, _, lv, noise = series[before_exit[-1]]
            while asm.score_assessment(dimensions, scores_of(lv, noise, lift))[1] < EXIT_TOTAL + 2 and lift < 2:
                lift += 0.1
        for label, day, lv, noise in series:
            out.append({"org_id": o["id"], "period": label, "assessed_on": day,
                        "assessor": (THIRD_PARTY if label.endswith("下半年") and rng.random() < 0.25
                                     else rng.choice(ASSESSORS)),
                        "evidence": rng.choice(EVIDENCE), "scores": scores_of(lv, noise, lift)})
    return out


# ==== everything ==================================================================================
def plan(orgs: list[dict], today: dt.date | None = None, *, experts: dict[str, dict] | None = None,
         avoid: dict[str, set[int]] | None = None, prefer: set[int] | None = None,
         dimensions: list[dict] | None = None, support: dict | None = None) -> dict[str, list[dict]]:
    """All demo rows, as dicts keyed by table group; rows refer to rows of other groups by position
    (``mentor``, ``pairing``, ``session``, ``training``, ``attendance``). Pure and deterministic.

    ``orgs``: the organisations (their stored fields, with ``id``); ``experts``: username -> name and
    employer of the demo experts who also mentor; ``avoid``: username -> organisations the expert has
    reviews of (never mentored by them); ``prefer``: organisations applying in the current round;
    ``dimensions``: the instrument (:func:`core.incubation.assessments.instrument`'s ``dimensions``; default: the
    default instrument with stand-in ids); ``support``: dimension -> (modules, topics) (default:
    :data:`core.incubation.assessments.DEFAULT_SUPPORT`)."""

    today = today or dt.date.today()
    rng = random.Random(SEED)
    orgs = sorted(orgs, key=lambda o: o["id"])
    used = {o["legal_rep"] for o in orgs} | {o["contact_person"] for o in orgs} | {
        e["name"] for e in (experts or {}).values()}
    names = _Names(rng, used)
    people = _people(rng, orgs, names)
    out: dict[str, list[dict]] = {}
    out.update(mentoring(rng, orgs, today, people, names, experts or {}, avoid or {}, prefer or set()))
    out.update(trainings(rng, orgs, today, people, names))
    out.update(lifecycle(rng, orgs, today))
    out["assessments"] = assessments(rng, orgs, today, out, out, out["stage_changes"],
                                     dimensions or default_dimensions(), support or asm.DEFAULT_SUPPORT)
    return out


# ==== writing (through the audited write path) ================================================
class _Stamps:
    """Historical ``created_at`` values: working hours of the day a row is about, never after ``now``."""

    def __init__(self, rng: random.Random, now: dt.datetime):
        self.rng, self.now = rng, now

    def __call__(self, day: dt.date, lo: int = 9, hi: int = 18, *, before: int = 0) -> dict:
        if before:
            day = day - _days(self.rng.randint(0, before))
        return {"created_at": min(_at(self.rng, day, lo, hi), self.now)}


def _inputs(db, today: dt.date) -> dict:
    """What :func:`plan` needs from the database: organisations, the experts who mentor (with the
    organisations they have reviews of) and the organisations applying in the current round."""
    orgs = db.fetch_all("SELECT * FROM organisations ORDER BY id")
    experts = {r["username"]: {"name": r["name"], "employer": r["employer"]} for r in db.fetch_all(
        "SELECT u.username, u.name, p.employer FROM users u LEFT JOIN reviewer_profiles p USING (username)"
        f" WHERE u.active AND u.username IN ({', '.join('?' for _ in LINKED_EXPERTS)})", list(LINKED_EXPERTS))}
    avoid: dict[str, set[int]] = defaultdict(set)
    for r in db.fetch_all("SELECT DISTINCT s.reviewer, a.org_id FROM assignments s"
                          " JOIN applications a ON a.id = s.application_id"):
        avoid[r["reviewer"]].add(int(r["org_id"]))
    for r in db.fetch_all("SELECT username, org_id FROM reviewer_affiliations"):
        avoid[r["username"]].add(int(r["org_id"]))
    prefer = {int(r["org_id"]) for r in db.fetch_all(
        "SELECT DISTINCT a.org_id FROM applications a JOIN rounds r ON r.id = a.round_id WHERE r.year = ?",
        [today.year])}
    return {"orgs": orgs, "experts": experts, "avoid": dict(avoid), "prefer": prefer}


def load(db, actor: Actor = SYSTEM, today: dt.date | None = None) -> dict[str, int]:
    """Write the mentors, pairings, sessions and actions; trainings, attendance and feedback; the
    default instrument and support map (:func:`core.incubation.assessments.ensure_defaults`) and the assessments;
    stage changes, 入壳/出壳 decisions and ratings. Needs the demo organisations, rounds and reviews and
    the choice providers (``core.domain.install_providers``); returns counts of what was written.

    Every table group is validated in batches and written in one audited unit; a group's references
    (mentor, pairing, training) are validated against the choice lists once the group before it is stored."""
    today = today or dt.date.today()
    for table in ("mentors", "trainings", "assessments", "stage_changes", "ratings", "incubation_decisions"):
        if db.scalar(f"SELECT count(*) FROM {table}"):
            raise RuntimeError(f"the database already has {table}: demo incubation data not loaded")
    asm.ensure_defaults(actor, db)
    inst = asm.instrument(asm.latest_instrument_id(db), db)
    support = {r["dimension"]: (r["modules"], r["topics"]) for r in asm.support_map(db).to_dict("records")}
    p = plan(**_inputs(db, today), today=today, dimensions=inst["dimensions"], support=support)
    stamp = _Stamps(random.Random(SEED + 1), dt.datetime.now() - dt.timedelta(minutes=1))
    counts: Counter = Counter()

    # ---- mentoring: mentors, then pairings, then sessions with their actions ---------------------
    valid = _check(Mentor, p["mentors"], "mentors")
    first_start: dict[int, dt.date] = {}
    for x in p["pairings"]:
        first_start[x["mentor"]] = min(first_start.get(x["mentor"], x["start_date"]), x["start_date"])
    with records.unit(actor, db) as u:
        mentor_id = u.create_many(MENTOR, [valid[i] for i in range(len(p["mentors"]))], validated=True,
                                  system=[stamp(first_start.get(i, HUB_OPENED + _days(60)), before=20)
                                          for i in range(len(p["mentors"]))])
    counts["mentors"] = len(mentor_id)

    rows = [{k: v for k, v in x.items() if k != "mentor"} | {"mentor_id": mentor_id[x["mentor"]]}
            for x in p["pairings"]]
    valid = _check(Pairing, rows, "pairings")
    with records.unit(actor, db) as u:
        pairing_id = u.create_many(PAIRING, [valid[i] for i in range(len(rows))], validated=True,
                                   system=[stamp(rows[i]["start_date"]) for i in range(len(rows))])
    counts["pairings"] = len(pairing_id)

    rows = [{k: v for k, v in x.items() if k != "pairing"} | {"pairing_id": pairing_id[x["pairing"]]}
            for x in p["sessions"]]
    valid = _check(MentoringSession, rows, "mentoring sessions")
    valid_actions = _check(MentoringAction, [{k: x[k] for k in ("action", "owner", "due_date")} for x in p["actions"]],
                           "mentoring actions")
    with records.unit(actor, db) as u:
        session_id = u.create_many(SESSION, [valid[i] for i in range(len(rows))], validated=True,
                                   system=[stamp(x["session_date"], 15, 20) for x in rows])
        u.create_many(ACTION, [valid_actions[i] for i in range(len(p["actions"]))], validated=True,
                      system=[{"session_id": session_id[x["session"]], "status": x["status"], "done_date": x["done_date"]}
                              | stamp(p["sessions"][x["session"]]["session_date"], 17, 21) for x in p["actions"]])
    counts["sessions"], counts["actions"] = len(session_id), len(p["actions"])

    # ---- trainings, then attendance with feedback -----------------------------------------------
    valid = _check(Training, p["trainings"], "trainings")
    with records.unit(actor, db) as u:
        training_id = u.create_many(TRAINING, [valid[i] for i in range(len(p["trainings"]))], validated=True,
                                    system=[stamp(x["training_date"] - _days(7), before=14) for x in p["trainings"]])
    counts["trainings"] = len(training_id)

    rows = [{k: v for k, v in x.items() if k != "training"} | {"training_id": training_id[x["training"]]}
            for x in p["attendance"]]
    valid = _check(Attendance, rows, "attendance")
    valid_fb = _check(Feedback, [{k: v for k, v in x.items() if k != "attendance"} | {"attendance_id": 1}
                                 for x in p["feedback"]], "feedback")
    with records.unit(actor, db) as u:
        attendance_id = u.create_many(
            ATTENDANCE, [valid[i] for i in range(len(p["attendance"]))], validated=True,
            system=[stamp(p["trainings"][x["training"]]["training_date"], 17, 20) for x in p["attendance"]])
        u.create_many(FEEDBACK, [valid_fb[i] | {"attendance_id": attendance_id[x["attendance"]]}
                                 for i, x in enumerate(p["feedback"])], validated=True,
                      system=[stamp(p["trainings"][p["attendance"][x["attendance"]]["training"]]["training_date"]
                                    + _days(x["attendance"] % 4)) for x in p["feedback"]])
    counts["attendance"], counts["feedback"] = len(attendance_id), len(p["feedback"])

    # ---- capability assessments (totals by core.incubation.assessments) ------------------------------------
    schema = assessment_schema(inst["dimensions"])
    heads = [{score_field(i): s for i, s in a["scores"].items()}
             | {k: a[k] for k in ("period", "assessor", "assessed_on", "evidence")} for a in p["assessments"]]
    valid = _check(schema, heads, "assessments")
    with records.unit(actor, db) as u:
        heads, whens, all_scores = [], [], []
        for i, a in enumerate(p["assessments"]):
            clean = valid[i]
            scores = {ind["id"]: int(clean[score_field(ind["id"])])
                      for d in inst["dimensions"] for ind in d["indicators"]}
            _, total = asm.score_assessment(inst["dimensions"], scores)
            when = stamp(a["assessed_on"], 14, 19)
            head = {"org_id": a["org_id"], "period": clean["period"], "instrument_id": inst["id"],
                    "assessor": clean["assessor"], "assessed_on": clean["assessed_on"], "evidence": clean["evidence"],
                    "total": total}
            heads.append(head)
            whens.append(when)
            all_scores.append(scores)
        ids = u.create_many(asm.ASSESSMENT, heads, validated=True, system=whens)
        u.create_many(asm.SCORE, [{"assessment_id": aid, "indicator_id": ind_id, "score": score}
                                  for aid, scores in zip(ids, all_scores) for ind_id, score in scores.items()],
                      validated=True, system=[when for when, scores in zip(whens, all_scores) for _ in scores])
        counts["assessment_scores"] += sum(len(scores) for scores in all_scores)
        counts["assessments"] += len(ids)

    # ---- lifecycle: stage changes, 入壳/出壳 decisions, ratings (the organisations stay as they are) --
    stage_rows = p["stage_changes"]
    valid_stage = _check(StageChange, [{k: x[k] for k in ("org_id", "to_stage", "changed_on", "reason")}
                                       for x in stage_rows], "stage changes")
    valid_dec = _check(IncubationDecision, p["incubation_decisions"], "incubation decisions")
    valid_rating = _check(Rating, [{k: x[k] for k in ("org_id", "level", "score", "rated_on", "note")}
                                   for x in p["ratings"]], "ratings")
    with records.unit(actor, db) as u:
        u.create_many(STAGE_CHANGE, [valid_stage[i] for i in range(len(stage_rows))], validated=True,
                      system=[{"from_stage": x["from_stage"]} | stamp(x["changed_on"]) for x in stage_rows])
        u.create_many(INCUBATION_DECISION, [valid_dec[i] for i in range(len(p["incubation_decisions"]))],
                      validated=True, system=[stamp(x["decided_on"]) for x in p["incubation_decisions"]])
        u.create_many(RATING, [RATING.derive(dict(valid_rating[i])) if RATING.derive else valid_rating[i]
                               for i in range(len(p["ratings"]))], validated=True,
                      system=[stamp(x["rated_on"] + _days(7 + i % 14)) for i, x in enumerate(p["ratings"])])
    counts["stage_changes"], counts["incubation_decisions"] = len(stage_rows), len(p["incubation_decisions"])
    counts["ratings"] = len(p["ratings"])
    return dict(counts)


# ---- the network's shared training (issue 20) ------------------------------------------------------------------
DISTRICT_TRAINING = {"title": "钱塘区社会组织财务规范化专题培训", "kind": "专题讲座", "topic": "财税管理",
                     "trainer": "钱塘区社会组织服务中心特聘会计师", "partner": None, "capacity": 30,
                     "place": "钱塘区社会组织服务中心培训室", "notes": "区级培训,各街道社会组织均可报名"}
DISTRICT_FEEDBACK = ((5, 5, 4, "讲解清楚,回去就能用"), (4, 5, 4, "案例贴近实际,很有收获"), (5, 4, 5, None),
                     (4, 4, 4, "希望多开展此类培训"))


def load_network_training(db, district_hub: int, streets: tuple[int, ...], today: dt.date | None = None,
                          actor: Actor = SYSTEM) -> int:
    """One training organised by a district (``district_hub``), three weeks before ``today``, attended by two
    organisations of each of ``streets`` (the first registered of each, active), each attendee with feedback: a
    district's training seen by every street below it (core.incubation.scope); the streets' own figures (下沙's 58
    trainings) unchanged. Idempotent; returns how many trainings it added (0 or 1)."""
    today = today or dt.date.today()
    if db.scalar("SELECT count(*) FROM trainings WHERE title = ?", [DISTRICT_TRAINING["title"]]):
        return 0
    day = _weekday(today - _days(21), today - _days(30), today - _days(14))
    orgs = [r for hub in streets for r in db.fetch_all(
        "SELECT id, contact_person FROM organisations WHERE hub_id = ? AND active AND reg_date < ? ORDER BY reg_date, id"
        " LIMIT 2", [int(hub), day])]
    tid = records.create(TRAINING, {**DISTRICT_TRAINING, "training_date": day}, actor,
                         system={"hub_id": int(district_hub)}, db=db)  # stored first: the sign-ins choose it
    with records.unit(actor, db) as u:
        for i, o in enumerate(orgs):
            sign_in = records.clean(ATTENDANCE, {"training_id": tid, "org_id": o["id"],
                                                 "person": o["contact_person"] or "负责人", "position": "财务负责人"},
                                    {"training_date": day})
            aid = u.create(ATTENDANCE, sign_in, validated=True)
            use, clarity, fit, comment = DISTRICT_FEEDBACK[i % len(DISTRICT_FEEDBACK)]
            u.create(FEEDBACK, {"attendance_id": aid, "usefulness": use, "clarity": clarity, "fit": fit,
                                "comment": comment})
    return 1
