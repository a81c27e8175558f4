"""Demo 专家评审 for the demo 公益创投 history (:mod:`core.demo.rounds`): experts, rubrics, assignments, scores.

- 25 outside experts (``expert01`` … ``expert25``, all with the demo password of the ``expert`` account)
  besides the demo account ``expert`` (李教授), each with a profile (职称/身份, 工作单位, 擅长领域,
  熟悉的社区, some with a per-round load cap); experts join the panel over the years (12 in 2019, all
  26 in the current round);
- declared affiliations (理事/顾问/员工/志愿者) of 10 experts with 1–2 organisations each: nobody is
  ever assigned to an organisation they are affiliated with;
- every round gets the default 100-point rubric (:func:`core.intake.rubrics.default_rows`);
- every application of a closed round that reached 专家评审 has ``reviewers_per_app`` assignments
  (planned by :func:`core.review.assignment.plan`: expertise first, loads balanced, caps and conflicts kept)
  and as many submitted reviews; funded projects score higher (about 75–92) than the ones not funded
  (about 55–78), so the ranking of :func:`core.review.consolidation.table` puts the funded ones on top; the
  applications that went to 复评 show a wide spread; in the round of two years ago one application
  not funded also shows a wide spread, which the admin resolved with a recorded reason instead of 复评
  (:data:`RESOLUTION_REASON`, audited, before the sign-off); closed rounds are signed off (scores
  locked) with no 分差 flag open (:func:`core.review.consolidation.sign_off` refuses that);
- the current round is mid-review: reviewed and later applications have every review submitted; the
  ones under review a mix of submitted, drafts and not started; three experts recused themselves and
  were replaced; exactly one application's scores differ by more than the round's threshold (flagged
  for 复评: the round cannot be signed off until it goes to 复评 or the admin resolves the flag); the
  demo account ``expert`` has four tasks there, two of them still to do.

:func:`plan` is pure and deterministic (``random.Random(2020)``) for given inputs; :func:`load` writes
it through the audited write path, one unit per round. As in :mod:`core.demo.rounds` the write path
stamps ``created_at`` with the time of loading; the historical times are in ``submitted_at``,
``no_conflict_at`` and the rounds' ``scores_locked_at``.
"""
from __future__ import annotations

import datetime as dt
import random
import re
from collections import Counter

from core.intake import rubrics
from core.platform import records, users
from core.review import assignment, reviewers
from core.platform.actor import SYSTEM, Actor
from core.review.assignment import ASSIGNMENT
from core.review.consolidation import FLAG_RESOLUTION
from core.demo.orgs import GIVEN, SURNAMES
from core.review.reviews import REVIEW, SCORE
from core.intake.rounds import ROUND
from core.demo.common import checked as _check, create_accounts
from schemas import choices
from schemas.review import LOW_SCORE_SHARE, Affiliation, Criterion, FlagResolution, ReviewerProfile

SEED = 2020
PASSWORD = "Demo-expert-2026"  # the demo account 'expert' has the same one (README)
DEMO_EXPERT = "expert"
SIGNER = "admin"  # the demo administrator signs the closed rounds' scores off
EXPERT_COUNT = 25
PANEL_FIRST = 12  # experts on the 2019 panel (with 'expert'); two more join every year
AFFILIATED = 10  # experts with declared affiliations
RECUSALS = 3  # in the current round
REVIEW_STATES_NOW = ("under_review", "re_review", "reviewed", "recommended", "not_recommended")
RESOLVED_YEARS_AGO = 2  # the closed round whose one wide spread the admin resolved without 复评
RESOLUTION_REASON = ("经评审组会商:低分专家对执行能力和预算合理性的扣分理由充分,其余专家认可;"
                     "该项目得分未达推荐线,复评不改变结论,维持原评分")

# (title, how many, employers, categories they lean to, profile note)
BACKGROUNDS = (
    ("高校副教授", 5, ("浙江工商大学公共管理学院", "浙江财经大学公共管理学院", "中国计量大学法学院",
                      "杭州电子科技大学人文与法学院", "浙江理工大学法政学院"),
     tuple(choices.PROJECT_CATEGORIES), "从事社会工作与社会政策的教学研究,参与多地公益创投评审"),
    ("高校教授", 2, ("浙江工商大学公共管理学院", "浙江财经大学公共管理学院"),
     ("社区治理", "共同富裕", "文化建设"), "长期研究基层社会治理和社会组织发展"),
    ("资深社工", 5, ("杭州市上城区阳光社会工作服务社", "杭州市拱墅区和睦社会工作服务中心",
                    "杭州市西湖区益家社会工作服务中心", "杭州市滨江区启航社会工作服务中心"),
     ("弱势群体关爱", "一老一小", "特殊人群帮扶"), "高级社会工作师,从事一线社会工作十余年"),
    ("财务顾问", 3, ("浙江钱江会计师事务所有限公司", "杭州正信税务师事务所有限公司", "浙江中衡会计师事务所有限公司"),
     ("公共服务", "共同富裕", "社区治理"), "注册会计师,熟悉社会组织财务管理和项目审计"),
    ("律师", 3, ("浙江金沙律师事务所", "浙江之江律师事务所", "浙江钱塘律师事务所"),
     ("社区治理", "特殊人群帮扶", "弱势群体关爱"), "执业律师,长期为社会组织和社区提供法律服务"),
    ("社区书记", 3, (), ("社区治理", "公共服务", "一老一小", "文化建设"), "社区党委书记,熟悉社区治理和居民需求"),
    ("基金会项目总监", 2, ("浙江和禾公益基金会", "杭州市春晖公益基金会"),
     ("弱势群体关爱", "一老一小", "共同富裕"), "负责资助项目的筛选、监测和评估"),
    ("心理咨询师", 1, ("杭州市钱塘区心理健康指导中心",), ("特殊人群帮扶", "弱势群体关爱"),
     "国家二级心理咨询师,擅长家庭和青少年心理服务"),
    ("公益咨询师", 1, ("杭州益联公益发展中心",), ("公共服务", "文化建设", "共同富裕"),
     "为社会组织提供项目设计和能力建设咨询"),
)
DEMO_EXPERT_PROFILE = {  # 李教授, the demo account 'expert'
    "title": "高校教授", "employer": "浙江工商大学公共管理学院", "expertise": ["社区治理", "一老一小", "共同富裕"],
    "communities": ["文海社区", "金沙湖社区"], "load_cap": None,
    "notes": "长期从事社区治理与社会组织研究;2019年起参加下沙街道公益创投评审",
}
LOAD_CAPS = (8, 8, 10, 10, 15, 20)
RELATIONS = {  # title -> the relations such an expert plausibly has with an organisation
    "高校副教授": ("顾问", "理事"), "高校教授": ("理事", "顾问"), "资深社工": ("员工", "理事", "志愿者"),
    "财务顾问": ("顾问",), "律师": ("顾问",), "社区书记": ("顾问", "志愿者"), "基金会项目总监": ("理事",),
    "心理咨询师": ("志愿者", "顾问"), "公益咨询师": ("顾问", "理事"),
}
RELATION_NOTES = {
    "理事": ("{y}年起担任该组织理事", "该组织理事会成员"),
    "顾问": ("担任该组织专业顾问", "为该组织提供项目督导"),
    "员工": ("在该组织兼职担任项目督导", "该组织兼职社工"),
    "志愿者": ("该组织注册志愿者", "定期参加该组织的志愿服务"),
}
ADVISER_NOTES = {"律师": "担任该组织常年法律顾问", "财务顾问": "担任该组织财务顾问"}
RECUSE_REASONS = ("曾担任该组织顾问", "近两年曾为该组织提供有偿督导服务", "与该项目负责人系亲属关系",
                  "曾参与该项目申报书的设计指导")

# Comments per criterion of the default rubric: (for a low score, for a good one)
COMMENTS = {
    "需求分析": (("需求调研样本偏少,缺少数据支撑", "服务对象需求描述笼统,未说明与现有服务的差异",
                 "需求分析沿用往年材料,未结合本社区实际情况"),
                ("需求调研扎实,数据具体,服务对象清楚", "需求来自居民走访,针对性强")),
    "项目设计": (("活动与目标对应关系不清,产出指标难以衡量", "活动安排过于密集,执行期内难以完成",
                 "缺少服务对象招募和筛选方案"),
                ("目标清晰,活动设计与需求对应", "逻辑框架完整,进度安排合理")),
    "执行能力": (("团队以兼职志愿者为主,缺少专职项目人员", "组织成立时间较短,缺少同类项目经验",
                 "上一期项目执行率偏低,需说明改进措施"),
                ("团队有同类项目执行经验,分工明确", "项目负责人经验丰富,志愿者队伍稳定")),
    "预算合理性": (("人员经费占比偏高,部分物资单价高于市场价", "预算科目与活动不对应,部分支出缺少测算依据",
                   "未说明配套资金的来源和用途"),
                  ("预算测算清楚,单价合理", "有配套资金,资金使用计划清楚")),
    "创新性": (("服务内容与辖区已有项目重复,缺少新意", "以常规活动为主,示范性不足"),
              ("服务方式有新意,具备示范推广价值", "结合数字化手段,形式新颖")),
    "可持续性": (("项目结束后缺少持续运营的资金和人员安排", "未说明志愿者队伍的培育和保留方式"),
                ("已链接社区和企业资源,可持续性较好", "注重培育居民骨干,项目结束后可自我运转")),
}
GENERIC_COMMENTS = (("该项内容不够充分,建议补充完善",), ("该项表现较好",))
MID_COMMENTS = ("基本符合要求,建议进一步细化", "总体可行,执行中注意过程记录")

# the spread of quality (the panel's mean on 100) by how the application ended
QUALITY = {
    "funded": (77.0, 88.0), "rejected_rec": (70.0, 77.0), "rejected_notrec": (56.0, 71.0), "withdrawn": (60.0, 80.0),
    "recommended": (80.0, 88.0), "not_recommended": (56.0, 67.0), "reviewed": (64.0, 86.0),
    "re_review": (70.0, 77.0), "under_review": (60.0, 88.0),
}
# the applications under review in the current round: (submitted, draft, not started) per application
UNDER_REVIEW_MIX = ((4, 1, 0), (3, 1, 1), (2, 1, 2), (3, 0, 2))
DATE_NOTE = re.compile(r"办理日期 (\d{4}-\d{2}-\d{2})")


# ==== planning (pure) =========================================================================
def _name(rng: random.Random, used: set[str]) -> str:
    while True:
        given = rng.sample(GIVEN, 2 if rng.random() < 0.75 else 1)
        n = rng.choice(SURNAMES) + "".join(given)
        if n not in used and len(set(given)) == len(given):
            used.add(n)
            return n


def experts(rng: random.Random) -> list[dict]:
    """The demo experts: account values, profile and the first year on the panel ('expert' first)."""
    titles = [b for b in BACKGROUNDS for _ in range(b[1])]
    rng.shuffle(titles)
    caps = list(LOAD_CAPS) + [None] * (EXPERT_COUNT - len(LOAD_CAPS))
    rng.shuffle(caps)
    cats = choices.PROJECT_CATEGORIES
    out = [{"username": DEMO_EXPERT, "name": None, "since": 2019, "profile": dict(DEMO_EXPERT_PROFILE)}]
    used: set[str] = set()
    for i, ((title, _, employers, leaning, note), cap) in enumerate(zip(titles, caps), start=1):
        since = 2019 + max(0, (i - PANEL_FIRST + 2) // 2)
        k = rng.choice((1, 2, 2, 3, 3))
        expertise = rng.sample(list(leaning), min(k, len(leaning)))
        if len(expertise) < 3 and rng.random() < 0.3:  # something beyond the usual
            expertise.append(rng.choice([c for c in cats if c not in expertise]))
        expertise = [c for c in cats if c in expertise]
        home = rng.choice(choices.DEMO_COMMUNITIES)
        if title == "社区书记":
            employer = f"下沙街道{home}"
            comms = [home] + rng.sample([c for c in choices.DEMO_COMMUNITIES if c != home], rng.choice((0, 1, 2)))
        else:
            employer = rng.choice(employers)
            comms = rng.sample(choices.DEMO_COMMUNITIES, rng.choice((0, 0, 1, 2, 3)))
        out.append({
            "username": f"expert{i:02d}", "name": _name(rng, used), "since": since,
            "profile": {"title": title, "employer": employer, "expertise": expertise, "communities": comms or None,
                        "load_cap": cap, "notes": f"{note};{since}年起参加下沙街道公益创投评审"},
        })
    # every category needs at least three experts who know it
    for c in cats:
        while sum(c in e["profile"]["expertise"] for e in out) < 3:
            e = rng.choice([e for e in out[1:] if c not in e["profile"]["expertise"] and len(e["profile"]["expertise"]) < 3])
            e["profile"]["expertise"] = [x for x in cats if x in e["profile"]["expertise"] or x == c]
    return out


def affiliations(rng: random.Random, panel: list[dict], orgs: list[dict], applied: Counter) -> list[dict]:
    """Declared affiliations of :data:`AFFILIATED` experts (the demo expert among them), 1–2 organisations each;
    mostly organisations that apply, so the conflicts matter. ``orgs``: id, name, community."""
    pool = [o for o in orgs if applied[o["id"]]]
    chosen = [panel[0]] + rng.sample(panel[1:], AFFILIATED - 1)
    out = []
    for e in chosen:
        p = e["profile"]
        near = [o for o in pool if o["community"] in (p["communities"] or [])] if p["title"] == "社区书记" else []
        picks = rng.sample(near or pool, min(len(near or pool), rng.choice((1, 1, 2))))
        for o in picks:
            relation = rng.choice(RELATIONS.get(p["title"], ("顾问",)))
            note = rng.choice(RELATION_NOTES[relation]).format(y=rng.randint(2018, 2024))
            if relation == "顾问" and p["title"] in ADVISER_NOTES:
                note = ADVISER_NOTES[p["title"]]
            out.append({"username": e["username"], "org_id": o["id"], "relation": relation, "note": note})
    return out


def _snap(x: float, step: float) -> float:
    return round(x / step) * step


def _scores(rng: random.Random, crit: list[dict], target: float, shape: dict[int, float], step: float) -> dict:
    """Scores per criterion (by id) whose weighted total comes as close to ``target`` as the step allows;
    ``shape``: the application's relative strengths per criterion (shared by its reviewers)."""
    f = target / 100
    s = {c["id"]: min(max(_snap(c["max_score"] * (f + shape[c["id"]] + rng.gauss(0, 0.05)), step), 0.0),
                      float(c["max_score"])) for c in crit}
    weights = sum(float(c["weight"]) for c in crit)
    delta = {c["id"]: float(c["weight"]) * step / float(c["max_score"]) / weights * 100 for c in crit}
    for _ in range(500):
        diff = target - rubrics.weighted_total(s, crit)
        up = diff > 0
        movable = [c["id"] for c in crit if (s[c["id"]] + step <= c["max_score"] if up else s[c["id"]] - step >= 0)]
        movable = [i for i in movable if abs(diff) > delta[i] / 2 + 1e-9]
        if not movable:
            break
        i = rng.choice(movable)
        s[i] += step if up else -step
    return s


def _comment(rng: random.Random, name: str, score: float, top: float) -> str | None:
    low, good = COMMENTS.get(name, GENERIC_COMMENTS)
    if score < LOW_SCORE_SHARE * top:
        return rng.choice(low)  # required
    if score >= 0.85 * top and rng.random() < 0.2:
        return rng.choice(good)
    if score < 0.7 * top and rng.random() < 0.25:
        return rng.choice(MID_COMMENTS)
    return None


def _recommendation(rng: random.Random, total: float) -> str:
    t = total + rng.uniform(-2, 2)
    return "推荐" if t >= 82 else "可推荐" if t >= 68 else "不推荐"


def _targets(rng: random.Random, q: float, who: list[str], bias: dict[str, float], wide: bool,
             threshold: float) -> list[float]:
    """Each reviewer's total: the quality, their leniency, some noise; within a band of 16 points unless
    ``wide`` (then one reviewer scores more than ``threshold`` below the highest)."""
    out = [min(max(q + bias[u] + rng.gauss(0, 3.0), q - 8.0, 30.0), q + 8.0, 97.0) for u in who]
    if wide and len(out) > 1:
        out = [min(max(t, q - 3.0), q + 6.0) for t in out]
        j = rng.randrange(len(out))
        rest = [t for i, t in enumerate(out) if i != j]
        out[j] = max(max(rest) - rng.uniform(threshold + 2.0, threshold + 6.0), 20.0)
    return out


def _window(start: dt.date, end: dt.date, now: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    """When reviewers worked on an application: from the day after it went to review until the evening
    before it left the stage, never after ``now``. (A current-round history compressed into the last days
    may leave no such window: then the hours before ``now``.)"""
    lo = dt.datetime.combine(start + dt.timedelta(days=1), dt.time(8))
    hi = min(dt.datetime.combine(end - dt.timedelta(days=1), dt.time(23)), now - dt.timedelta(minutes=30))
    if hi <= lo:
        lo = min(dt.datetime.combine(start, dt.time(18)), hi - dt.timedelta(hours=6))
    return lo, hi


def _at(rng: random.Random, lo: dt.datetime, hi: dt.datetime) -> dt.datetime:
    """A time between ``lo`` and ``hi`` (whole minutes), in working hours where the window allows."""
    for _ in range(20):
        t = lo + dt.timedelta(minutes=rng.randint(0, max(0, int((hi - lo).total_seconds() // 60))))
        if 8 <= t.hour < 23:
            break
    return t.replace(second=0, microsecond=0)


def _seen(rng: random.Random, at: dt.datetime, floor: dt.datetime) -> dt.datetime:
    """When the reviewer confirmed having no conflict: some time before ``at``, not before ``floor``."""
    seen = max(at - dt.timedelta(minutes=rng.randint(10, 2 * 24 * 60)), min(floor, at - dt.timedelta(minutes=30)))
    return min(seen, at - dt.timedelta(minutes=5))


def _event_dates(events: list[dict]) -> tuple[dt.date, dt.date | None]:
    """The day the application went to review, and the day it left that stage (reviewed or withdrawn)."""
    start = end = None
    for e in events:
        m = DATE_NOTE.search(e["note"] or "")
        d = dt.date.fromisoformat(m.group(1)) if m else None
        if e["to_state"] == "under_review" and start is None:
            start = d
        elif start is not None and end is None and e["from_state"] == "under_review":
            end = d
    return start, end


def _outcome(app: dict, events: list[dict]) -> str:
    states = [e["to_state"] for e in events]
    if app["state"] == "rejected":
        return "rejected_rec" if "recommended" in states else "rejected_notrec"
    return app["state"]


def _review(rng: random.Random, crit: list[dict], target: float, shape: dict, step: float, *, status: str,
            at: dt.datetime | None) -> dict:
    scores = _scores(rng, crit, target, shape, step)
    if status == "draft":  # saved part-way: the first few criteria scored
        k = rng.randint(2, len(crit) - 1) if len(crit) > 2 else len(crit)
        scores = {c["id"]: (scores[c["id"]] if i < k else None) for i, c in enumerate(crit)}
    rows = [(c["id"], scores[c["id"]], None if scores[c["id"]] is None
             else _comment(rng, c["name"], scores[c["id"]], float(c["max_score"]))) for c in crit]
    total = rubrics.weighted_total(scores, crit)
    return {"status": status, "total": total, "submitted_at": at if status == "submitted" else None,
            "recommendation": _recommendation(rng, total) if status == "submitted" else None, "scores": rows}


def _spread(reviews: list[dict]) -> float:
    totals = [r["total"] for r in reviews if r and r["status"] == "submitted"]
    return max(totals) - min(totals) if len(totals) > 1 else 0.0


def to_resolve(apps: list[dict]) -> int | None:
    """The application of a closed round whose wide spread the admin resolves with a reason: the first
    one not recommended (not funded) that did not go to 复评."""
    return next((a["id"] for a in apps if _outcome(a, a["events"]) == "rejected_notrec"
                 and not any(e["to_state"] == "re_review" for e in a["events"])), None)


def resolution(plan: list[dict], app_id: int, locked_at: dt.datetime) -> dict:
    """The admin's resolution of ``app_id``'s flag: the spread, and a time after its last review and
    before the sign-off."""
    mine = [x["review"] for x in plan if x["application_id"] == app_id and x["review"] is not None
            and x["review"]["status"] == "submitted"]
    totals = [float(r["total"]) for r in mine]
    last = max(r["submitted_at"] for r in mine)
    at = (last + (locked_at - last) * 0.6).replace(second=0, microsecond=0)
    return {"reason": RESOLUTION_REASON, "spread": round(max(totals) - min(totals), 2), "at": max(at, last)}


def plan_round(rng: random.Random, rnd: dict, apps: list[dict], panel: list[dict], conflicts: set[tuple[str, int]],
               crit: list[dict], now: dt.datetime, current: bool, resolve: int | None = None) -> list[dict]:
    """The assignments (with their reviews) of one round. ``apps``: applications that reached review,
    with ``events``; ``crit``: the rubric with ids; nothing happens after ``now``; ``resolve``: an
    application given a wide spread that the admin will resolve. Returns assignment dicts in writing order."""
    today = now.date()
    n = int(rnd["reviewers_per_app"])
    step = 0.5 if rnd["half_points"] else 1.0
    threshold = float(rnd["discrepancy_threshold"])
    bias = {e["username"]: e["bias"] for e in panel}
    pool = [{"username": e["username"], "expertise": set(e["profile"]["expertise"]),
             "cap": int(e["profile"]["load_cap"] or rnd.get("load_cap") or 12), "load": 0} for e in panel]
    names = {e["username"] for e in panel}
    todo = [{"id": a["id"], "org_id": a["org_id"], "category": a["category"], "assigned": set(), "excluded": set()}
            for a in apps]
    by_id = {a["id"]: a for a in apps}

    # the demo expert gets work in the current round: three under review, one reviewed
    mine: dict[int, str] = {}
    if current and DEMO_EXPERT in names:
        free = [t for t in todo if (DEMO_EXPERT, t["org_id"]) not in conflicts]
        waiting = [t for t in free if by_id[t["id"]]["state"] == "under_review"][:3]
        finished = [t for t in free if by_id[t["id"]]["state"] == "reviewed"][:1]
        wanted = ("submitted", "draft", "none")[:len(waiting)] + ("submitted",) * len(finished)
        for t, status in zip(waiting + finished, wanted):
            t["assigned"].add(DEMO_EXPERT)
            mine[t["id"]] = status
        for e in pool:
            if e["username"] == DEMO_EXPERT:
                e["load"] = len(mine)
    p = assignment.plan(todo, pool, conflicts, n)
    if p.shortfalls:
        raise RuntimeError(f"demo reviews {rnd['year']}: {p.shortfalls}")
    for app_id, u in p.pairs:
        next(t for t in todo if t["id"] == app_id)["assigned"].add(u)
    who = {t["id"]: sorted(t["assigned"]) for t in todo}

    # recusals (current round): an expert finds a conflict, declares it, and is replaced
    recused: dict[int, tuple[str, str]] = {}
    if current:
        for t in rng.sample(todo, min(RECUSALS, len(todo))):
            u = rng.choice([x for x in who[t["id"]] if x != DEMO_EXPERT])
            recused[t["id"]] = (u, rng.choice(RECUSE_REASONS))
        load = Counter(u for us in who.values() for u in us)
        for e in pool:
            e["load"] = load[e["username"]]
        again = [{"id": t["id"], "org_id": t["org_id"], "category": t["category"],
                  "assigned": set(who[t["id"]]) - {recused[t["id"]][0]}, "excluded": {recused[t["id"]][0]}}
                 for t in todo if t["id"] in recused]
        p2 = assignment.plan(again, pool, conflicts, n)
        if p2.shortfalls:
            raise RuntimeError(f"demo reviews {rnd['year']}: {p2.shortfalls}")
        replacement = dict(p2.pairs)
    under = [a["id"] for a in apps if a["state"] == "under_review"]
    mixes = [UNDER_REVIEW_MIX[i % len(UNDER_REVIEW_MIX)] for i in range(len(under))]
    rng.shuffle(mixes)
    flagged = None  # the current round's one application whose experts disagree widely
    if current:
        reviewed = [a["id"] for a in apps if a["state"] == "reviewed"]
        busiest = sorted(under, key=lambda i: -mixes[under.index(i)][0])[:1]  # most reviews submitted
        flagged = rng.choice(reviewed) if reviewed else (busiest[0] if busiest else None)

    out: list[dict] = []
    late: list[dict] = []
    for a in apps:
        start, end = _event_dates(a["events"])
        start = start or rnd["review_start"]
        if a["state"] == "under_review":
            end = today
        end = end or rnd["review_end"]
        lo_at, hi_at = _window(start, end, now)
        active = [u for u in who[a["id"]] if u != recused.get(a["id"], (None,))[0]]
        if a["id"] in recused:
            active.append(replacement[a["id"]])
        # what each active reviewer has done so far
        if current and a["state"] == "under_review":
            sub, draft, none = mixes[under.index(a["id"])]
            mix = ["submitted"] * sub + ["draft"] * draft + ["none"] * none
            mix = (mix + ["none"] * n)[:len(active)]
            rng.shuffle(mix)
            if a["id"] in mine:
                want = mine[a["id"]]
                j = active.index(DEMO_EXPERT)
                if mix[j] != want:
                    other = next((i for i, s in enumerate(mix) if s == want), None)
                    if other is not None:
                        mix[j], mix[other] = mix[other], mix[j]
                    else:
                        mix[j] = want
            status = dict(zip(active, mix))
        else:
            status = {u: "submitted" for u in active}
        outcome = _outcome(a, a["events"])
        lo, hi = QUALITY.get(outcome, (60.0, 85.0))
        wide = a["id"] in (flagged, resolve) or (not current and any(e["from_state"] == "re_review" for e in a["events"]))
        shape = {c["id"]: rng.gauss(0, 0.06) for c in crit}
        for _ in range(50):  # the spread as intended: wide (flag or past 复评) or within the threshold
            q = rng.uniform(lo, hi)
            targets = dict(zip(active, _targets(rng, q, active, bias, wide, threshold)))
            reviews = {}
            for u in active:
                if status[u] == "none":
                    reviews[u] = None
                    continue
                at = _at(rng, lo_at, hi_at)
                reviews[u] = dict(_review(rng, crit, targets[u], shape, step, status=status[u], at=at), at=at)
            if (_spread(list(reviews.values())) > threshold) == wide:
                break
        else:
            raise RuntimeError(f"demo reviews: no suitable scores for application {a['id']}")
        floor = min(dt.datetime.combine(start, dt.time(18)), lo_at)
        replaced = recused.get(a["id"], (None, None))
        for u in who[a["id"]] + ([replacement[a["id"]]] if a["id"] in recused else []):
            if u == replaced[0]:
                out.append({"application_id": a["id"], "reviewer": u, "no_conflict_at": None,
                            "recused_reason": replaced[1], "review": None})
                continue
            r = reviews[u]
            seen = None
            if r is not None:
                seen = _seen(rng, r.pop("at"), floor)
            elif u != DEMO_EXPERT and rng.random() < 0.5:  # opened the task, confirmed, not started
                seen = _at(rng, lo_at, hi_at)
            # replacements are written after the first assignments
            (late if a["id"] in recused and u == replacement[a["id"]] else out).append(
                {"application_id": a["id"], "reviewer": u, "no_conflict_at": seen, "recused_reason": None, "review": r})
    return out + late


def lock_time(apps: list[dict], rnd: dict) -> dt.datetime:
    """When a closed round's scores were signed off: after the last review, before the first decision."""
    reviewed, decided = [], []
    for a in apps:
        for e in a["events"]:
            m = DATE_NOTE.search(e["note"] or "")
            if not m:
                continue
            d = dt.date.fromisoformat(m.group(1))
            if e["to_state"] == "reviewed":
                reviewed.append(d)
            elif e["to_state"] in ("recommended", "not_recommended"):
                decided.append(d)
    last = max(reviewed, default=rnd["review_end"])
    if decided and last < min(decided):
        return dt.datetime.combine(min(decided), dt.time(8, 30))
    return dt.datetime.combine(last, dt.time(17, 45))


# ==== writing (through the audited write path) ================================================
def _accounts(db, panel: list[dict], actor: Actor) -> int:
    """The expert accounts, all with the demo password, hashed once (bcrypt is slow on purpose)."""
    new = [e for e in panel if e["name"] is not None and users.get(e["username"], db) is None]
    return create_accounts(db, [({"username": e["username"], "name": e["name"], "email": f"{e['username']}@demo.hubdesk",
                                  "roles": ["reviewer"], "active": True}, PASSWORD) for e in new], actor)


def load(db, actor: Actor = SYSTEM, today: dt.date | None = None) -> dict[str, int]:
    """Write the experts, their profiles and affiliations, every round's rubric, assignments and reviews.

    Needs the demo rounds and applications (:mod:`core.demo.rounds`) and the choice providers;
    returns counts of what was written.
    """
    today = today or dt.date.today()
    now = dt.datetime.combine(today, dt.time())  # the demo's reviewers worked until last night
    if db.scalar("SELECT count(*) FROM assignments") or db.scalar("SELECT count(*) FROM reviewer_affiliations"):
        raise RuntimeError("the database already has review data: demo reviews not loaded")
    rng = random.Random(SEED)
    counts: Counter = Counter()

    panel = [e for e in experts(rng) if e["username"] != DEMO_EXPERT or users.get(DEMO_EXPERT, db) is not None]
    for e in panel:
        e["bias"] = rng.uniform(-4.0, 4.0)  # some experts mark more generously than others
    counts["experts"] = _accounts(db, panel, actor)

    rnds = db.fetch_all("SELECT * FROM rounds ORDER BY year, id")
    apps = db.fetch_all("SELECT id, round_id, org_id, category, state FROM applications ORDER BY id")
    events: dict[int, list[dict]] = {}
    for e in db.fetch_all("SELECT application_id, from_state, to_state, note FROM application_events ORDER BY id"):
        events.setdefault(e["application_id"], []).append(e)
    for a in apps:
        a["events"] = events.get(a["id"], [])
    reached = [a for a in apps if any(e["to_state"] == "under_review" for e in a["events"])]
    applied = Counter(a["org_id"] for a in reached)
    orgs = db.fetch_all("SELECT id, name, community FROM organisations WHERE active ORDER BY id")

    # profiles and declared affiliations
    fresh = [e for e in panel if reviewers.profile(e["username"], db) is None]
    valid_profiles = _check(ReviewerProfile, [e["profile"] for e in fresh], "reviewer profiles")
    links = affiliations(rng, panel, orgs, applied)
    valid_links = _check(Affiliation, [{k: v for k, v in x.items() if k != "username"} for x in links], "affiliations")
    with records.unit(actor, db) as u:
        counts["profiles"] = len(u.create_many(reviewers.PROFILE, [valid_profiles[i] for i in range(len(fresh))],
                                               validated=True, system=[{"username": e["username"]} for e in fresh]))
        counts["affiliations"] = len(u.create_many(reviewers.AFFILIATION, [valid_links[i] for i in range(len(links))],
                                                   validated=True, system=[{"username": x["username"]} for x in links]))
    conflicts = reviewers.conflict_pairs(db)

    rubric = _check(Criterion, rubrics.default_rows(), "rubric")
    rubric = [rubric[i] for i in range(len(rubric))]
    for rnd in rnds:
        current = rnd["year"] == today.year
        if rnd["year"] > today.year:
            continue
        mine = [a for a in reached if a["round_id"] == rnd["id"]]
        if current:
            mine = [a for a in mine if a["state"] in REVIEW_STATES_NOW]
        stored = rubrics.criteria(rnd["id"], db)  # a round that has a rubric keeps it
        crit = stored or [dict(c, id=seq) for seq, c in enumerate(rubric, start=1)]  # seq stands in for the id
        on_panel = [e for e in panel if e["since"] <= rnd["year"]]
        resolve = to_resolve(mine) if rnd["year"] == today.year - RESOLVED_YEARS_AGO else None
        plan = plan_round(rng, rnd, mine, on_panel, conflicts, crit, now, current, resolve) if mine else []
        with records.unit(actor, db) as u:
            crit_id = {c["id"]: c["id"] for c in stored}
            if not stored:
                if abs(sum(float(c["max_score"]) for c in rubric) - float(rnd["rubric_total"] or 100)) > 1e-6:
                    raise RuntimeError(f"the default rubric does not add up to round {rnd['year']}'s total")
                made = u.create_many(rubrics.CRITERION, rubric, validated=True,
                                     system=[{"round_id": rnd["id"], "seq": seq} for seq in range(1, len(rubric) + 1)])
                crit_id.update(zip(range(1, len(rubric) + 1), made))
                counts["criteria"] += len(made)
            # each table's rows in the plan's order (as one by one): assignments, the recusals, reviews, scores
            keys = u.create_many(ASSIGNMENT, [{"application_id": x["application_id"], "reviewer": x["reviewer"],
                                               "status": "assigned", "no_conflict_at": x["no_conflict_at"]}
                                              for x in plan], validated=True)
            counts["assignments"] += len(keys)
            for x, key in zip(plan, keys):
                if x["recused_reason"]:
                    u.update(ASSIGNMENT, key, {}, system={"status": "recused", "recused_reason": x["recused_reason"]},
                             action="recuse", note=x["recused_reason"])
                    counts["recused"] += 1
            done = [(x, key) for x, key in zip(plan, keys) if x["review"] is not None]
            review_ids = u.create_many(
                REVIEW, [{"assignment_id": key, "application_id": x["application_id"], "reviewer": x["reviewer"],
                          "status": x["review"]["status"], "recommendation": x["review"]["recommendation"],
                          "total": x["review"]["total"], "submitted_at": x["review"]["submitted_at"]}
                         for x, key in done], validated=True,
                action=["submit_review" if x["review"]["status"] == "submitted" else "create" for x, _ in done])
            for x, _ in done:
                counts["reviews" if x["review"]["status"] == "submitted" else "review_drafts"] += 1
            scores = [{"review_id": review_id, "criterion_id": crit_id[cid], "score": score, "comment": comment}
                      for (x, _), review_id in zip(done, review_ids) for cid, score, comment in x["review"]["scores"]]
            u.create_many(SCORE, scores, validated=True)
            counts["scores"] += len(scores)
            if not current and plan:
                locked_at = lock_time(mine, rnd)
                if resolve is not None:  # the admin's recorded reason, before signing off
                    res = resolution(plan, resolve, locked_at)
                    u.create(FLAG_RESOLUTION, _check(FlagResolution, [{"reason": res["reason"]}], "resolution")[0],
                             validated=True, note=res["reason"],
                             system={"application_id": resolve, "spread": res["spread"], "created_at": res["at"],
                                     "created_by": SIGNER})
                    counts["flag_resolutions"] += 1
                u.update(ROUND, rnd["id"], {}, action="lock_scores",
                         system={"scores_locked_at": locked_at, "scores_locked_by": SIGNER})
                counts["rounds_locked"] += 1
    return dict(counts)


# two outside experts registered with the district (钱塘区) rather than 下沙: in the pool of every street below it
# (下沙's and 白杨's), their profiles kept by the district; their reviews of 下沙's rounds stay as they were
DISTRICT_EXPERTS = ("expert21", "expert22")


def load_network(db, district_id: int) -> int:
    """Move :data:`DISTRICT_EXPERTS` to the district's hub (the shared expert pool); returns how many moved."""
    moved = 0
    for username in DISTRICT_EXPERTS:
        row = db.fetch_one("SELECT hub_id FROM users WHERE username = ?", [username])
        if row is not None and row["hub_id"] != district_id:
            moved += records.update(users.USER, username, {}, SYSTEM, system={"hub_id": int(district_id)}, db=db)
    return moved
