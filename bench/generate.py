"""Synthetic HubDesk data at scale factor ``s`` for the dashboard benchmark (issue 7).

``s = 1`` is the seed case's scale (下沙街道: 21 communities, 60 organisations, 8 yearly 公益创投
rounds, 250 applications, about 1,100 expert reviews, 76 funded projects, 5,000 service activities,
60 trainings with 12,000 attendance rows); ``s = 100`` is a whole city (2,100 communities, 6,000
organisations, 80 rounds in 10 districts, 25,000 applications, about 145,000 reviews, 7,600 projects,
500,000 activities, 1.2 million attendance rows).

The data are plausible and consistent, not random noise: every foreign key points at a stored row,
applications went through legal workflow moves (their ``application_events``), only applications
that reached expert review have assignments and reviews (criterion scores add up to the review's
total), every funded application of a past round has a project with a 50/30/20 tranche plan whose
releases follow its evaluations, activities and expenses lie inside the project's period and never
after ``today``, attendance is unique per training, organisation and person, assessments follow the
default instrument's formula (:mod:`core.incubation.assessments`). Issue 18's tables (资源与需求: venues, equipment
and bookings, needs, partners and 企业公益认领, volunteers, surveys, 服务对象, 宣传) grow with ``s`` too and keep the
app's rules (:func:`_resources`, :func:`_surveys_people_publicity`), from random streams of their own so the tables
above are the same as before they existed.

Bulk loading bypasses the audited write path on purpose: this is throw-away benchmark data, written
with one ``INSERT INTO t SELECT … FROM <DataFrame>`` per table, each in its own transaction of
:meth:`core.platform.db.Database.transaction` (so nothing is audited). Only the leader account (through
:func:`core.platform.users.create`) and the default assessment instrument (through
:func:`core.incubation.assessments.ensure_defaults`) use the write path. See ``bench/README.md``.

    python3 bench/generate.py --scale 10 [--out bench/out/bench-10x.duckdb] [--today 2026-11-27]
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import secrets
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from schemas import choices  # noqa: E402
from schemas.capability import DEFAULT_INSTRUMENT  # noqa: E402
from schemas.monitoring import DEFAULT_EVAL_FORM, DEFAULT_TRANCHES  # noqa: E402
from schemas.review import DEFAULT_RUBRIC  # noqa: E402

OUT_DIR = ROOT / "bench" / "out"
SEED = 7
BY = "bench"  # created_by of every generated row
LEADER = {"username": "leader", "name": "张书记(领导)", "email": "leader@bench.hubdesk", "roles": ["leader"],
          "active": True}

# ---- sizes at s = 1 (the seed's scale); everything but rounds grows linearly ---------------------
PER_S = {
    "communities": 21, "organisations": 60, "applications": 250, "current_applications": 30,
    "projects": 76, "activities": 5000, "trainings": 60, "attendance": 12000, "experts": 26,
    "expenses_per_project": 15, "brands_per_district": 10,
}
YEARS = 8  # one round a year per district: today.year - 7 .. today.year
DISTRICTS = ["钱塘区", "上城区", "拱墅区", "西湖区", "滨江区", "萧山区", "余杭区", "临平区", "富阳区", "临安区",
             "桐庐县", "淳安县", "建德市"]
REVIEWERS_PER_APP = (5, 7)  # the first district's panel reviews with 5 experts, the city's other districts with 7
PAST_YEAR_WEIGHTS = (0.8, 0.9, 1.0, 1.0, 1.1, 1.1, 1.2)  # applications and funding grow a little each year
NEW_CATEGORY = "共同富裕"  # only in the last two rounds (the seed)
CURRENT_STATES = {  # the current round's share of applications per state (the demo's mix)
    "draft": 2, "submitted": 2, "screening": 2, "returned": 2, "resubmitted": 2, "eligible": 2, "ineligible": 2,
    "under_review": 4, "reviewed": 3, "re_review": 2, "recommended": 3, "not_recommended": 2, "withdrawn": 2,
}
# legal workflow paths (core.intake.workflow.TRANSITIONS) to each final state
MAIN = ["draft", "submitted", "screening", "eligible", "under_review", "reviewed"]
PATHS = {
    "draft": ["draft"],
    "submitted": MAIN[:2],
    "screening": MAIN[:3],
    "returned": MAIN[:3] + ["returned"],
    "resubmitted": MAIN[:3] + ["returned", "resubmitted"],
    "eligible": MAIN[:4],
    "ineligible": MAIN[:3] + ["ineligible"],
    "under_review": MAIN[:5],
    "reviewed": MAIN,
    "re_review": MAIN + ["re_review"],
    "recommended": MAIN + ["recommended"],
    "not_recommended": MAIN + ["not_recommended"],
    "withdrawn": MAIN[:4] + ["withdrawn"],
    "rejected": MAIN + ["not_recommended", "rejected"],
    "funded": MAIN + ["recommended", "public_notice", "funded"],
}
REVIEWED = {"under_review", "reviewed", "re_review", "recommended", "not_recommended", "rejected", "funded"}

COMMUNITY_CHARS = "文高金景听云东月海幸湾元新松和达港白杨春晓观澜明星翠绿青华平安康宁丰瑞祥福兴盛德仁义礼信嘉乐" \
                  "欣荣泰顺通江河湖山林竹梅兰桂枫柳桃李荷菊晨曦朝阳光"
FILED_STEMS = ["邻里互助会", "便民服务队", "志愿服务队", "老年协会", "银龄志愿服务队", "平安巡防队", "调解工作室",
               "居民议事会", "楼道自治促进会", "书画社", "邻里读书会", "排舞队", "合唱团", "太极拳队", "垃圾分类督导队",
               "环保社", "四点半课堂", "妈妈互助社", "家庭教育指导站", "心灵驿站", "助残服务队", "新居民融合会",
               "巧手编织坊", "共享工具屋", "法律明白人服务队", "退役军人志愿服务队", "文明养犬劝导队", "暖心驿站",
               "红色管家志愿服务队", "乐龄健康自管会", "睦邻美食坊", "爱心帮帮团"]
REGISTERED_STEMS = {
    "社会服务机构": ["社会工作服务中心", "儿童关爱服务中心", "居家养老服务中心", "康复服务中心", "心理咨询服务中心",
                   "青少年成长服务中心", "社区发展服务中心", "公益发展服务中心", "法律援助服务中心", "环境保护服务中心"],
    "社会团体": ["志愿者协会", "社会组织联合会", "社会工作者协会", "新居民服务促进会", "家庭教育促进会", "书法家协会"],
    "基金会": ["社区发展基金会", "慈善基金会"],
}
KIND_SHARES = {"社区社会组织(备案)": 0.60, "社会服务机构": 0.25, "社会团体": 0.12, "基金会": 0.03}
USCC_KIND = {"社会团体": "1", "社会服务机构": "2", "基金会": "3"}
RATING_SHARES = {"4A": 0.055, "3A": 0.18, "2A": 0.04, "1A": 0.02}  # the seed: 3 at 4A, 10 at 3A of ~55
RATING_SCORE = {"5A": (900, 1000), "4A": (800, 900), "3A": (700, 800), "2A": (600, 700), "1A": (500, 600)}
CORE_BRANDS = ["1516便民服务", "青葵伙伴"]
NICHE_BRANDS = ["邻里守望", "银龄乐享", "书香社区", "绿色家园", "阳光助残", "共富工坊", "四点半课堂", "和事佬调解"]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程沈魏方金"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红建国文辉鹏飞慧颖婷雪琳晨宇浩然佳怡欣悦梦琪"
POSITIONS = ["负责人", "项目主管", "社工", "财务", "志愿者骨干", "理事"]
TRAINERS = ["浙江工业大学社会工作系", "杭州师范大学公益研究院", "浙江天册律师事务所", "中汇会计师事务所",
            "浙江敦和慈善基金会", "杭州市社会组织服务中心", "钱塘区社工总站"]
PLACES = ["街道社会组织服务中心", "社区党群服务中心", "线上(钉钉直播)", "区社会组织孵化园"]
TRAINING_KIND_SHARES = {"线上课程": 0.09, "线下培训": 0.40, "专题讲座": 0.30, "实操工作坊": 0.16, "外出交流学习": 0.05}
TOPIC_TITLES = {"公益管理": "公益组织规范化管理", "项目设计": "公益项目设计与逻辑模型", "法律合规": "社会组织法律合规实务",
                "财税管理": "社会组织财务与税务", "品牌传播": "公益品牌与新媒体传播", "志愿者管理": "志愿者招募与激励",
                "资源动员": "公益资源动员与筹款", "数字化运营": "社会组织数字化运营"}
EVAL_EVALUATORS = ["第三方评估机构(浙江省公益评估中心)", "街道社会事务办", "专家组"]


@dataclass(frozen=True)
class Scale:
    """The sizes generated at scale factor ``s`` (exact, except reviews and expenses which follow)."""
    s: int

    @property
    def districts(self) -> int:
        return max(1, self.s // 10)

    def n(self, key: str) -> int:
        return PER_S[key] * self.s

    @property
    def rounds(self) -> int:
        return YEARS * self.districts

    @property
    def brands(self) -> int:
        return PER_S["brands_per_district"] * self.districts

    def expected(self) -> dict[str, int]:
        """Exact row counts the generator produces for these tables."""
        return {
            "communities": self.n("communities"), "organisations": self.n("organisations"),
            "rounds": self.rounds, "applications": self.n("applications"), "projects": self.n("projects"),
            "tranches": len(DEFAULT_TRANCHES) * self.n("projects"), "activities": self.n("activities"),
            "trainings": self.n("trainings"), "training_attendance": self.n("attendance"), "brands": self.brands,
            "rubric_criteria": len(DEFAULT_RUBRIC) * self.rounds,
        }


@dataclass
class Plan:
    """The generated tables in load order (foreign keys first), and facts the benchmark needs."""
    scale: Scale
    today: dt.date
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    seconds: float = 0.0

    def counts(self) -> dict[str, int]:
        return {t: len(df) for t, df in self.tables.items()}


# ---- helpers ---------------------------------------------------------------------------------
def _split(total: int, weights, rng: np.random.Generator | None = None) -> np.ndarray:
    """``total`` split over ``weights`` in whole numbers that add up exactly (largest remainder)."""
    w = np.asarray(weights, dtype=float)
    raw = total * w / w.sum()
    out = np.floor(raw).astype(np.int64)
    rest = total - int(out.sum())
    if rest:
        order = np.argsort(-(raw - out) + (rng.random(len(w)) * 1e-9 if rng is not None else 0))
        out[order[:rest]] += 1
    return out


def _dates(start: np.ndarray, end: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A uniform random date between ``start`` and ``end`` (datetime64[D] arrays, inclusive)."""
    span = (end - start).astype(np.int64)
    span = np.maximum(span, 0)
    return start + (rng.random(len(start)) * (span + 1)).astype(np.int64).astype("timedelta64[D]")


def _d64(d: dt.date) -> np.datetime64:
    return np.datetime64(d, "D")


def _ts(days: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Office-hours timestamps on the given days."""
    secs = (8 * 3600 + rng.random(len(days)) * 9 * 3600).astype(np.int64)
    return days.astype("datetime64[s]") + secs.astype("timedelta64[s]")


def _pick(options, idx) -> np.ndarray:
    return np.asarray(options, dtype=object)[np.asarray(idx)]


def _names(n: int, offset: int = 0) -> np.ndarray:
    """``n`` distinct Chinese personal names (distinct for n < ~130,000)."""
    s, g = np.asarray(list(SURNAMES), dtype=object), np.asarray(list(GIVEN), dtype=object)
    i = np.arange(offset, offset + n)
    out = s[i % len(s)] + g[(i // len(s)) % len(g)]
    long = i >= len(s) * len(g)
    if long.any():
        out[long] = out[long] + g[(i[long] // (len(s) * len(g))) % len(g)]
    return out


def community_names(n: int) -> list[str]:
    """The demo's 21 communities first, then generated two-character names (all distinct, "xx社区")."""
    names = list(choices.DEMO_COMMUNITIES[:n])
    seen = set(names)
    chars = COMMUNITY_CHARS
    i = 0
    while len(names) < n:
        a, b = chars[i % len(chars)], chars[(i // len(chars) + 1 + i) % len(chars)]
        i += 1
        if a == b:
            continue
        name = f"{a}{b}社区"
        if name not in seen:
            seen.add(name)
            names.append(name)
        if i > len(chars) ** 3:  # more than the alphabet gives: number the rest
            names += [f"第{k}社区" for k in range(len(names) + 1, n + 1)]
    return names


def _uscc(kind: str, region: str, serial: int) -> str:
    from stdnum.cn import uscc

    alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    code, x = "", serial
    for _ in range(9):
        code = alphabet[x % 31] + code
        x //= 31
    body = "5" + USCC_KIND[kind] + region + code
    return body + uscc.calc_check_digit(body)


# ---- the plan --------------------------------------------------------------------------------
def plan(s: int, today: dt.date | None = None, seed: int = SEED) -> Plan:
    """Every table at scale ``s`` as DataFrames (pure: same ``s``, ``today`` and ``seed``, same data)."""
    t0 = time.perf_counter()
    today = today or dt.date.today()
    sc = Scale(s)
    rng = np.random.default_rng(seed + s)
    p = Plan(sc, today)
    T = p.tables
    now = pd.Timestamp(dt.datetime.combine(today, dt.time(9)))
    D = sc.districts
    district_names = [DISTRICTS[d] if d < len(DISTRICTS) else f"第{d + 1}区" for d in range(D)]

    # communities, each in one district (contiguous blocks)
    nc = sc.n("communities")
    comm = np.asarray(community_names(nc), dtype=object)
    comm_district = np.arange(nc) * D // nc
    T["communities"] = pd.DataFrame({"name": comm, "sort_order": np.arange(nc)})
    # how busy a community is: skewed, and ~5% of them get no project and no activity at all
    comm_weight = rng.pareto(1.5, nc) + 0.2
    quiet = rng.random(nc) < 0.05
    comm_weight[quiet] = 0.0
    comm_weight[0] = max(comm_weight[0], 1.0)  # 文海社区 (1516便民服务's home) is busy

    # ---- organisations ----------------------------------------------------------------------
    no = sc.n("organisations")
    org_id = np.arange(1, no + 1)
    kinds = list(KIND_SHARES)
    org_kind = _pick(kinds, rng.choice(len(kinds), no, p=list(KIND_SHARES.values())))
    org_comm_idx = rng.choice(nc, no, p=(comm_weight + 0.3) / (comm_weight + 0.3).sum())
    org_district = comm_district[org_comm_idx]
    # names: the k-th organisation of a community gets the k-th stem of its kind's list
    k_in_comm = pd.Series(org_comm_idx).groupby([org_comm_idx, org_kind]).cumcount().to_numpy()
    names, usccs, filing = [], [], []
    for i in range(no):
        kind, c, k = org_kind[i], comm[org_comm_idx[i]], int(k_in_comm[i])
        stem_c = c[:-2] if c.endswith("社区") else c
        if kind == choices.FILED_KIND:
            stems = FILED_STEMS
            base = f"{district_names[org_district[i]]}{stem_c}社区{stems[k % len(stems)]}"
        else:
            stems = REGISTERED_STEMS[kind]
            base = f"杭州市{district_names[org_district[i]]}{stem_c}{stems[k % len(stems)]}"
        names.append(base if k < len(stems) else f"{base}{k // len(stems) + 1}")
        if kind == choices.FILED_KIND:
            usccs.append(None)
            filing.append(f"备{2018 + i % 8}{i + 1:06d}")
        else:
            usccs.append(_uscc(kind, "330114", 10_000_000 + i * 7919))
            filing.append(None)
    hub_opened = dt.date(2018, 6, 1)
    reg_date = _dates(np.full(no, _d64(dt.date(2008, 1, 1))), np.full(no, _d64(today - dt.timedelta(days=200))), rng)
    incubated = rng.random(no) < 0.9
    inc_in = np.where(incubated, _dates(np.maximum(reg_date, _d64(hub_opened)),
                                        np.full(no, _d64(today - dt.timedelta(days=120))), rng),
                      np.datetime64("NaT"))
    left = incubated & (rng.random(no) < 0.4) & ((_d64(today) - inc_in).astype("timedelta64[D]").astype(float) > 400)
    inc_out = np.where(left, inc_in + (365 + rng.random(no) * 365).astype(np.int64).astype("timedelta64[D]"),
                       np.datetime64("NaT"))
    inc_out = np.where(left & (inc_out > _d64(today)), _d64(today - dt.timedelta(days=30)), inc_out)
    ratings = np.full(no, None, dtype=object)
    registered = org_kind != choices.FILED_KIND
    reg_idx = np.flatnonzero(registered)
    rng.shuffle(reg_idx)
    pos = 0
    for level, share in RATING_SHARES.items():
        k = min(int(round(share * no)), len(reg_idx) - pos)
        ratings[reg_idx[pos:pos + k]] = level
        pos += k
    rated = ratings != None  # noqa: E711
    rating_date = np.where(rated, _dates(np.full(no, _d64(today - dt.timedelta(days=4 * 365))),
                                         np.full(no, _d64(today - dt.timedelta(days=30))), rng), np.datetime64("NaT"))
    rating_expiry = np.where(rated, rating_date + np.timedelta64(5 * 365 + 1, "D"), np.datetime64("NaT"))
    stage = np.where(~incubated, "成熟期", _pick(choices.STAGES, rng.choice(4, no, p=[0.05, 0.3, 0.45, 0.2])))
    stage = np.where(rated & np.isin(ratings, ["4A", "3A"]), "成熟期", stage)
    domains = [[str(x) for x in rng.choice(choices.SERVICE_DOMAINS, 1 + int(rng.integers(0, 3)), replace=False)]
               for _ in range(no)]
    # 引进: professional organisations the hub brought into the area (the seed: ~20 of ~55)
    pro = (org_kind == "社会服务机构") | ((org_kind == "社会团体") & (rng.random(no) < 0.3))
    brought = pro & (rng.random(no) < 0.85)
    brought_in_on = np.where(brought, _dates(np.maximum(reg_date, _d64(hub_opened)),
                                             np.full(no, _d64(today - dt.timedelta(days=60))), rng),
                             np.datetime64("NaT"))
    people = _names(no)
    phones = [f"13{int(rng.integers(0, 10))}{int(rng.integers(0, 10**8)):08d}" for _ in range(no)]
    org_created = _ts(np.minimum(reg_date, np.where(incubated, inc_in, reg_date)), rng)
    T["organisations"] = pd.DataFrame({
        "id": org_id, "name": names, "kind": org_kind, "uscc": usccs, "filing_no": filing,
        "reg_date": reg_date, "legal_rep": people, "contact_person": people, "contact_phone": phones,
        "community": comm[org_comm_idx], "service_domains": domains, "stage": stage,
        "incubation_in": inc_in, "incubation_out": inc_out, "rating": ratings, "rating_date": rating_date,
        "rating_expiry": rating_expiry, "brought_in_on": brought_in_on, "active": True, "notes": None,
        "created_at": org_created, "created_by": BY,
    })
    org_ability = rng.normal(0, 1, no) + np.where(rated, 0.8, 0.0)

    # ---- rounds (one a year per district) -----------------------------------------------------
    years = list(range(today.year - YEARS + 1, today.year + 1))
    rows = []
    for d in range(D):
        for y in years:
            current = y == today.year
            ceiling = 50000.0 if y <= today.year - 6 else 60000.0 if y <= today.year - 4 else 80000.0
            cats = [c for c in choices.PROJECT_CATEGORIES if c != NEW_CATEGORY or y >= today.year - 1]
            if current:
                a0 = today - dt.timedelta(days=75)
                dates = dict(ideas_start=a0 - dt.timedelta(days=45), ideas_end=a0 - dt.timedelta(days=5),
                             apply_start=a0, apply_end=a0 + dt.timedelta(days=30),
                             screening_end=a0 + dt.timedelta(days=45), review_start=a0 + dt.timedelta(days=50),
                             review_end=today + dt.timedelta(days=5), notice_start=today + dt.timedelta(days=10),
                             notice_end=today + dt.timedelta(days=17))
            else:
                dates = dict(ideas_start=dt.date(y, 7, 1), ideas_end=dt.date(y, 8, 15),
                             apply_start=dt.date(y, 9, 1), apply_end=dt.date(y, 9, 30),
                             screening_end=dt.date(y, 10, 15), review_start=dt.date(y, 10, 20),
                             review_end=dt.date(y, 11, 10), notice_start=dt.date(y, 11, 20),
                             notice_end=dt.date(y, 11, 27))
            rows.append(dict(
                id=len(rows) + 1, year=y, name=f"{y}年度{district_names[d]}公益创投", district=d, current=current,
                total_budget=0.0, project_ceiling=ceiling, max_apps_per_org=1, categories=cats,
                checklist=list(choices.DEFAULT_CHECKLIST), **dates,
                project_start=dt.date(y + 1, 1, 1), project_end=dt.date(y + 1, 12, 31),
                reviewers_per_app=REVIEWERS_PER_APP[0] if d == 0 else REVIEWERS_PER_APP[1], trimmed_mean=True,
                discrepancy_threshold=20.0, blind_review=False, half_points=False,
                notice_published_at=None if current else pd.Timestamp(dates["notice_start"]) + pd.Timedelta(hours=10),
                rubric_total=100.0, load_cap=12,
                scores_locked_at=None if current else pd.Timestamp(dates["review_end"]) + pd.Timedelta(hours=17),
                scores_locked_by=None if current else "admin", created_at=pd.Timestamp(dates["ideas_start"]),
                created_by=BY))
    rounds = pd.DataFrame(rows)

    # ---- applications -----------------------------------------------------------------------
    napps, ncur, nproj = sc.n("applications"), sc.n("current_applications"), sc.n("projects")
    apps_d = _split(napps, [1] * D, rng)
    cur_d = _split(ncur, [1] * D, rng)
    proj_d = _split(nproj, [1] * D, rng)
    org_by_district = [org_id[org_district == d] for d in range(D)]
    app_rows = {k: [] for k in ("round_id", "org_id", "state", "category", "year", "current", "district")}
    for d in range(D):
        past_apps = _split(int(apps_d[d] - cur_d[d]), PAST_YEAR_WEIGHTS, rng)
        past_funded = _split(int(proj_d[d]), PAST_YEAR_WEIGHTS, rng)
        pool = org_by_district[d]
        for ri, r in rounds[rounds["district"] == d].reset_index(drop=True).iterrows():
            if r["current"]:
                n = int(cur_d[d])
                states = np.repeat(list(CURRENT_STATES), _split(n, list(CURRENT_STATES.values()), rng))
            else:
                n, f = int(past_apps[ri]), int(past_funded[ri])
                rest = n - f
                mix = _split(rest, [0.10, 0.05, 0.85], rng)  # ineligible, withdrawn, reviewed and rejected
                states = np.array(["funded"] * f + ["ineligible"] * mix[0] + ["withdrawn"] * mix[1]
                                  + ["rejected"] * mix[2], dtype=object)
            n = min(n, len(pool))
            chosen = rng.choice(pool, n, replace=False)
            # the stronger organisations end up funded
            order = np.argsort(-(org_ability[chosen - 1] + rng.normal(0, 0.8, n)))
            chosen = chosen[order]
            if not r["current"]:
                # funded first (strongest), then rejected, withdrawn, ineligible (weakest)
                rank = {"funded": 0, "rejected": 1, "withdrawn": 2, "ineligible": 3}
                states = np.array(sorted(states[:n], key=lambda x: rank[x]), dtype=object)
            else:
                states = rng.permutation(states[:n])
            app_rows["round_id"] += [int(r["id"])] * n
            app_rows["org_id"] += list(chosen)
            app_rows["state"] += list(states)
            cats = r["categories"]
            app_rows["category"] += list(rng.choice(cats, n))
            app_rows["year"] += [int(r["year"])] * n
            app_rows["current"] += [bool(r["current"])] * n
            app_rows["district"] += [d] * n
    apps = pd.DataFrame(app_rows)
    na = len(apps)
    apps["id"] = np.arange(1, na + 1)
    rnd = rounds.set_index("id")
    a_round = rnd.loc[apps["round_id"]]
    ceiling = a_round["project_ceiling"].to_numpy()
    requested = np.round(np.minimum(ceiling, ceiling * rng.uniform(0.45, 1.0, na)) / 100) * 100
    shares = rng.dirichlet([8, 5, 2, 1.5, 1], na)
    budget = np.round(shares * requested[:, None], 2)
    budget[:, 0] += requested - budget.sum(axis=1)
    funded = (apps["state"] == "funded").to_numpy()
    granted = np.where(funded, np.minimum(requested, np.floor(requested * rng.uniform(0.78, 1.0, na) / 100) * 100),
                       np.nan)
    catalogue = _catalogue()
    titles = [catalogue[c][int(rng.integers(0, len(catalogue[c])))] for c in apps["category"]]
    a_orgs = apps["org_id"].to_numpy() - 1
    a_comm_lists, comm_pool = [], {}
    for d in range(D):
        members = np.flatnonzero(comm_district == d)
        w = comm_weight[members]
        comm_pool[d] = (members, w / w.sum())
    extra = rng.integers(0, 3, na)
    for i in range(na):
        home = org_comm_idx[a_orgs[i]]
        members, w = comm_pool[int(apps["district"].iat[i])]
        cs = [home] if comm_weight[home] > 0 else []
        need = max(1, int(extra[i]) + (0 if cs else 1))
        more = rng.choice(members, min(need, len(members)), replace=False, p=w)
        cs += [c for c in more if c not in cs]
        a_comm_lists.append([comm[c] for c in cs[:3]])
    apply_start = a_round["apply_start"].map(_d64).to_numpy().astype("datetime64[D]")
    apply_end = a_round["apply_end"].map(_d64).to_numpy().astype("datetime64[D]")
    submit_day = _dates(apply_start, np.minimum(apply_end, _d64(today)), rng)
    submitted = apps["state"].to_numpy() != "draft"
    cof_self = np.round(requested * rng.uniform(0, 0.2, na), -2)
    cof_other = np.where(rng.random(na) < 0.4, np.round(requested * rng.uniform(0.05, 0.4, na), -2), 0.0)
    # yearly budget: what the round granted, with some head-room (current rounds: planned)
    granted_by_round = pd.Series(np.nan_to_num(granted), index=apps["round_id"]).groupby(level=0).sum()
    rounds["total_budget"] = [
        float(max(np.ceil(granted_by_round.get(i, 0) * 1.06 / 50000) * 50000, 300000)) if not c
        else 1_000_000.0 * s / D
        for i, c in zip(rounds["id"], rounds["current"])]
    T["rounds"] = rounds.drop(columns=["district", "current"])
    T["applications"] = pd.DataFrame({
        "id": apps["id"], "round_id": apps["round_id"], "org_id": apps["org_id"], "state": apps["state"],
        "category": apps["category"], "title": titles, "summary": [f"{t}:围绕居民需求开展服务" for t in titles],
        "needs_analysis": "经走访调研,服务对象需求集中、迫切,现有服务供给不足",
        "communities": a_comm_lists, "target_group": "辖区居民", "planned_beneficiaries": rng.integers(200, 3000, na),
        "planned_activities": "开展系列服务活动", "cofunding_self": cof_self, "cofunding_other": cof_other,
        "cofunding_note": np.where(cof_other > 0, "辖区爱心企业(企业公益认领)", None),
        "budget_personnel": budget[:, 0], "budget_materials": budget[:, 1], "budget_venue": budget[:, 2],
        "budget_publicity": budget[:, 3], "budget_other": budget[:, 4], "requested_amount": requested,
        "returned_count": np.isin(apps["state"], ["returned", "resubmitted"]).astype(int),
        "granted_amount": _nullable(granted), "decision_note": np.where(funded, "公示期满无异议,确认立项", None),
        "submitted_at": np.where(submitted, _ts(submit_day, rng), np.datetime64("NaT")),
        "created_at": _ts(apply_start, rng), "created_by": BY,
    })

    # workflow history: the legal path to each application's state, dated inside the round
    ev = {"application_id": [], "from_state": [], "to_state": [], "step": [], "n": []}
    for aid, state in zip(apps["id"].to_numpy(), apps["state"].to_numpy()):
        path = PATHS[state]
        prev = [None] + path[:-1]
        ev["application_id"] += [aid] * len(path)
        ev["from_state"] += prev
        ev["to_state"] += path
        ev["step"] += list(range(len(path)))
        ev["n"] += [len(path)] * len(path)
    ev = pd.DataFrame(ev)
    e_round = rnd.loc[apps.set_index("id").loc[ev["application_id"], "round_id"]]
    start = e_round["apply_start"].map(_d64).to_numpy().astype("datetime64[D]")
    end = np.minimum(e_round["notice_end"].map(_d64).to_numpy().astype("datetime64[D]"), _d64(today))
    span = (end - start).astype(np.int64)
    day = start + (span * (ev["step"].to_numpy() + rng.random(len(ev)) * 0.9) / ev["n"].to_numpy()).astype(
        np.int64).astype("timedelta64[D]")
    labels = {(t.source, t.target): t.label for t in _transitions()}
    notes = [labels.get((f, t), "创建申报") for f, t in zip(ev["from_state"], ev["to_state"])]
    T["application_events"] = pd.DataFrame({
        "id": np.arange(1, len(ev) + 1), "application_id": ev["application_id"], "from_state": ev["from_state"],
        "to_state": ev["to_state"], "note": notes, "created_at": _ts(day, rng), "created_by": BY})

    # ---- experts, rubric, assignments, reviews, criterion scores ------------------------------
    ne = sc.n("experts")
    experts = np.asarray([f"expert{i:04d}" for i in range(1, ne + 1)], dtype=object)
    expert_district = np.arange(ne) * D // ne
    crit_rows = []
    for rid in rounds["id"]:
        for seq, (name, mx, guide) in enumerate(DEFAULT_RUBRIC, start=1):
            crit_rows.append((len(crit_rows) + 1, rid, seq, name, float(mx), float(mx), guide))
    crit = pd.DataFrame(crit_rows, columns=["id", "round_id", "seq", "name", "max_score", "weight", "guidance"])
    crit["created_by"] = BY
    T["rubric_criteria"] = crit
    reviewed = apps[apps["state"].isin(REVIEWED)]
    a_ids, a_rev = [], []
    rpa = rnd["reviewers_per_app"]
    for (rid, d), grp in reviewed.groupby(["round_id", "district"]):
        pool = experts[expert_district == d]
        k = min(int(rpa.loc[rid]), len(pool))
        keys = rng.random((len(grp), len(pool)))
        pick = np.argpartition(keys, k - 1, axis=1)[:, :k]
        a_ids.append(np.repeat(grp["id"].to_numpy(), k))
        a_rev.append(pool[pick].ravel())
    asg_app = np.concatenate(a_ids) if a_ids else np.array([], dtype=np.int64)
    asg_rev = np.concatenate(a_rev) if a_rev else np.array([], dtype=object)
    nasg = len(asg_app)
    asg_round = apps["round_id"].to_numpy()[asg_app - 1]
    review_start = rnd.loc[asg_round, "review_start"].map(_d64).to_numpy().astype("datetime64[D]")
    review_end = np.minimum(rnd.loc[asg_round, "review_end"].map(_d64).to_numpy().astype("datetime64[D]"),
                            _d64(today))
    T["assignments"] = pd.DataFrame({
        "id": np.arange(1, nasg + 1), "application_id": asg_app, "reviewer": asg_rev, "status": "assigned",
        "no_conflict_at": _ts(review_start, rng), "created_at": _ts(review_start, rng), "created_by": BY})
    # review status: all submitted, except still under review in the current round
    a_state = apps["state"].to_numpy()[asg_app - 1]
    u = rng.random(nasg)
    has_review = (a_state != "under_review") | (u < 0.75)
    draft = (a_state == "under_review") & (u >= 0.55) & has_review
    quality = np.where(a_state == "funded", 84, np.where(np.isin(a_state, ["recommended"]), 82,
                       np.where(np.isin(a_state, ["rejected", "not_recommended"]), 66, 74)))
    quality = quality + org_ability[apps["org_id"].to_numpy()[asg_app - 1] - 1] * 3
    rv = np.flatnonzero(has_review)
    nrev = len(rv)
    maxes = np.asarray([float(m) for _, m, _ in DEFAULT_RUBRIC])
    frac = np.clip(quality[rv, None] / 100 + rng.normal(0, 0.07, (nrev, len(maxes))), 0.2, 1.0)
    scores = np.round(frac * maxes)
    total = scores.sum(axis=1)
    rev_ids = np.arange(1, nrev + 1)
    submitted_at = np.where(draft[rv], np.datetime64("NaT"), _ts(_dates(review_start[rv], review_end[rv], rng), rng))
    T["reviews"] = pd.DataFrame({
        "id": rev_ids, "assignment_id": rv + 1, "application_id": asg_app[rv], "reviewer": asg_rev[rv],
        "status": np.where(draft[rv], "draft", "submitted"),
        "recommendation": np.where(total >= 80, "推荐", np.where(total >= 65, "可推荐", "不推荐")),
        "total": total, "submitted_at": submitted_at, "created_at": _ts(review_start[rv], rng), "created_by": BY})
    first_crit = crit.groupby("round_id")["id"].min()
    crit_ids = first_crit.loc[asg_round[rv]].to_numpy()[:, None] + np.arange(len(maxes))[None, :]
    T["review_scores"] = pd.DataFrame({
        "id": np.arange(1, nrev * len(maxes) + 1), "review_id": np.repeat(rev_ids, len(maxes)),
        "criterion_id": crit_ids.ravel(), "score": scores.ravel(),
        "comment": np.where(scores.ravel() < 0.6 * np.tile(maxes, nrev), "该项论证不足,建议补充", None),
        "created_by": BY})

    # ---- brands and service points ----------------------------------------------------------
    brand_rows, sp_rows = [], []
    for d in range(D):
        prefix = "" if d == 0 else district_names[d]
        for b, name in enumerate(CORE_BRANDS + NICHE_BRANDS):
            bid = len(brand_rows) + 1
            core = b < len(CORE_BRANDS)
            brand_rows.append((bid, prefix + name, "核心品牌" if core else "特色品牌",
                               f"{prefix or '下沙街道'}{'核心' if core else '特色'}服务品牌", d))
            members = np.flatnonzero(comm_district == d)
            k = len(members) if (core and b == 0) else int(min(len(members), rng.integers(2, 6) if not core
                                                              else max(2, len(members) // 2)))
            for c in rng.choice(members, k, replace=False):
                sp_rows.append((len(sp_rows) + 1, bid, comm[c], f"{comm[c]}{name}服务点"))
    brands = pd.DataFrame(brand_rows, columns=["id", "name", "tier", "description", "district"])
    brands["created_by"] = BY
    T["brands"] = brands.drop(columns=["district"])
    sp = pd.DataFrame(sp_rows, columns=["id", "brand_id", "community", "name"])
    sp["created_by"] = BY
    T["service_points"] = sp

    # ---- projects (one per funded application) ----------------------------------------------
    fa = apps[funded].copy()
    npj = len(fa)
    pid = np.arange(1, npj + 1)
    f_round = rnd.loc[fa["round_id"]]
    start = f_round["project_start"].map(_d64).to_numpy().astype("datetime64[D]")
    end = f_round["project_end"].map(_d64).to_numpy().astype("datetime64[D]")
    agreement = start - rng.integers(5, 25, npj).astype("timedelta64[D]")
    days = (end - start).astype(np.int64)
    midterm_due = start + (days // 2).astype("timedelta64[D]")
    g = granted[funded]
    t_today = _d64(today)
    # what became of each project: normal; stopped (mid-term failed); terminated (mid-term failed
    # badly, money recovered); final failed (closed with a C)
    fate = rng.choice(4, npj, p=[0.92, 0.03, 0.02, 0.03])
    mid_evaluated = midterm_due + np.timedelta64(20, "D") <= t_today
    fin_evaluated = end + np.timedelta64(30, "D") <= t_today
    fate = np.where(~mid_evaluated, 0, fate)
    fate = np.where((fate == 3) & ~fin_evaluated, 0, fate)
    state = np.where(fate == 1, "stopped", np.where(fate == 2, "terminated",
                     np.where(fin_evaluated, "closed", "active")))
    mid_eval_day = np.minimum(midterm_due + rng.integers(5, 20, npj).astype("timedelta64[D]"), t_today)
    fin_eval_day = np.minimum(end + rng.integers(10, 30, npj).astype("timedelta64[D]"), t_today)
    closed_on = np.where(state == "closed", fin_eval_day, np.where(state == "terminated", mid_eval_day,
                                                                   np.datetime64("NaT")))
    recover = np.where(state == "terminated", np.round(g * 0.5 * rng.uniform(0.3, 0.9, npj), 2), np.nan)
    yfrac = (f_round["year"].to_numpy() - years[0]) / max(1, len(years) - 1)  # 0 .. 1: later years raise more
    f_self = np.round(g * rng.uniform(0.03, 0.12 + 0.15 * yfrac), -2)
    f_ent = np.where(rng.random(npj) < 0.15 + 0.35 * yfrac, np.round(g * rng.uniform(0.05, 0.35, npj), -2), 0.0)
    f_don = np.where(rng.random(npj) < 0.1 + 0.2 * yfrac, np.round(g * rng.uniform(0.05, 0.25, npj), -2), 0.0)
    req_lines = T["applications"].loc[funded, ["budget_personnel", "budget_materials", "budget_venue",
                                               "budget_publicity", "budget_other"]].to_numpy()
    lines = np.round(req_lines * (g / req_lines.sum(axis=1))[:, None], 2)
    lines[:, 0] += np.round(g - lines.sum(axis=1), 2)
    # brands: about a third of the projects carry a brand of their district (core brands more often)
    f_district = fa["district"].to_numpy()
    brand_id = np.full(npj, np.nan)
    branded = rng.random(npj) < 0.33
    per = PER_S["brands_per_district"]
    pick = np.where(rng.random(npj) < 0.5, rng.integers(0, 2, npj), rng.integers(2, per, npj))
    brand_id[branded] = (f_district * per + pick + 1)[branded]
    planned_acts = np.maximum(days // 6, 1)  # about one activity every six days
    p_comms = [a_comm_lists[i - 1] for i in fa["id"].to_numpy()]
    seq_in_round = fa.groupby("round_id").cumcount().to_numpy() + 1
    f_year = f_round["year"].to_numpy()
    agreement_no = [f"GY-{y}-{d + 1:02d}-{k:04d}" for y, d, k in zip(f_year, f_district, seq_in_round)]
    T["projects"] = pd.DataFrame({
        "id": pid, "application_id": fa["id"].to_numpy(), "agreement_no": agreement_no, "agreement_date": agreement,
        "granted_amount": g, "start_date": start, "end_date": end, "planned_activities": planned_acts,
        "planned_person_times": planned_acts * 20, "communities": p_comms, "brand_id": brand_id.astype("float"),
        "budget_personnel": lines[:, 0], "budget_materials": lines[:, 1], "budget_venue": lines[:, 2],
        "budget_publicity": lines[:, 3], "budget_other": lines[:, 4], "funds_self": f_self,
        "funds_enterprise": f_ent, "funds_donation": f_don, "midterm_due": midterm_due, "final_due": end,
        "state": state, "recover_amount": _nullable(recover),
        "state_note": np.where(state == "stopped", "中期评估未通过,停止拨付",
                               np.where(state == "terminated", "中期评估不合格,终止项目并追回资金", None)),
        "closed_on": closed_on, "created_at": _ts(agreement, rng), "created_by": BY})
    T["projects"]["brand_id"] = T["projects"]["brand_id"].astype("Int64")

    # milestones: needs survey, mid-term report, final report
    ms_due = np.stack([start + np.timedelta64(30, "D"), midterm_due, end], axis=1)
    ms_done = ms_due <= t_today
    ms_done[:, 1] &= mid_evaluated
    ms_done[:, 2] &= state == "closed"
    T["project_milestones"] = pd.DataFrame({
        "id": np.arange(1, 3 * npj + 1), "project_id": np.repeat(pid, 3), "due_date": ms_due.ravel(),
        "deliverable": np.tile(["完成服务对象需求调研和建档", "提交中期自评报告及活动记录", "完成全部服务活动并提交结项报告"], npj),
        "done_on": np.where(ms_done.ravel(), ms_due.ravel(), np.datetime64("NaT")), "created_by": BY})

    # evaluations: mid-term when due (+ grace), final for closed projects
    items = [n for n, _ in DEFAULT_EVAL_FORM]
    pts = np.asarray([p for _, p in DEFAULT_EVAL_FORM])
    ev_rows = []
    for kind, mask, day in (("midterm", mid_evaluated, mid_eval_day),
                            ("final", fin_evaluated & np.isin(state, ["closed"]), fin_eval_day)):
        idx = np.flatnonzero(mask)
        fail = (fate[idx] == 1) | (fate[idx] == 2) if kind == "midterm" else fate[idx] == 3
        target = np.where(fail, rng.uniform(40, 58, len(idx)), np.clip(rng.normal(83, 7, len(idx)), 60, 99))
        item = np.round(np.clip(target[:, None] / 100 + rng.normal(0, 0.04, (len(idx), len(pts))), 0, 1) * pts, 1)
        tot = np.round(item.sum(axis=1), 1)
        grade = np.where(tot >= 85, "A", np.where(tot >= 60, "B", "C"))
        passed = grade != "C"
        outcome = np.where(passed, "pass", np.where(fate[idx] == 2, "terminate", "stop"))
        ev_rows.append(pd.DataFrame({
            "project_id": pid[idx], "kind": kind, "report_date": day[idx] - np.timedelta64(7, "D"),
            "self_report": "按计划完成阶段服务,详见活动台账", "eval_date": day[idx],
            "method": _pick(choices.EVALUATION_METHODS, rng.integers(0, 3, len(idx))),
            "evaluator": _pick(EVAL_EVALUATORS, rng.integers(0, len(EVAL_EVALUATORS), len(idx))),
            "item_scores": [json.dumps(dict(zip(items, map(float, r))), ensure_ascii=False) for r in item],
            "total_score": tot, "grade": grade, "passed": passed, "outcome": outcome,
            "recover_amount": _nullable(np.where(outcome == "terminate", recover[idx], np.nan)),
            "conclusion": np.where(passed, "评估合格,同意拨付下一笔资金", "评估不合格"),
            "created_by": BY}))
    evals = pd.concat(ev_rows, ignore_index=True)
    evals.insert(0, "id", np.arange(1, len(evals) + 1))
    T["evaluations"] = evals
    mid_pass = np.zeros(npj, bool)
    fin_pass = np.zeros(npj, bool)
    mp = evals[(evals["kind"] == "midterm") & evals["passed"]]["project_id"].to_numpy() - 1
    fp = evals[(evals["kind"] == "final") & evals["passed"]]["project_id"].to_numpy() - 1
    mid_pass[mp] = True
    fin_pass[fp] = True

    # tranches 50/30/20: signing on signing, mid-term after a passed mid-term, final after a passed final
    shares_ = np.asarray([sh for sh, _ in DEFAULT_TRANCHES])
    gates = [gt for _, gt in DEFAULT_TRANCHES]
    amounts = np.round(g[:, None] * shares_[None, :] / 100, 2)
    amounts[:, -1] = np.round(g - amounts[:, :-1].sum(axis=1), 2)
    planned_date = np.stack([agreement, midterm_due, end], axis=1)
    rel_day = np.stack([agreement + np.timedelta64(10, "D"), mid_eval_day + np.timedelta64(10, "D"),
                        fin_eval_day + np.timedelta64(10, "D")], axis=1)
    released = np.stack([rel_day[:, 0] <= t_today, mid_pass & (rel_day[:, 1] <= t_today),
                         fin_pass & (rel_day[:, 2] <= t_today)], axis=1)
    cancelled = np.stack([np.zeros(npj, bool), np.isin(state, ["stopped", "terminated"]),
                          np.isin(state, ["stopped", "terminated"]) | ((state == "closed") & ~fin_pass)], axis=1)
    status = np.where(released, "released", np.where(cancelled, "cancelled", "planned"))
    T["tranches"] = pd.DataFrame({
        "id": np.arange(1, 3 * npj + 1), "project_id": np.repeat(pid, 3), "seq": np.tile([1, 2, 3], npj),
        "share": np.tile(shares_, npj), "amount": amounts.ravel(), "gate": np.tile(gates, npj),
        "planned_date": planned_date.ravel(), "status": status.ravel(),
        "released_on": np.where(released, rel_day, np.datetime64("NaT")).ravel(),
        "released_amount": _nullable(np.where(released, amounts, np.nan).ravel()),
        "approver": np.where(released.ravel(), "admin", None), "created_by": BY})

    # project timeline
    pe = [pd.DataFrame({"project_id": pid, "event": "签订协议", "detail": agreement_no, "happened_on": agreement})]
    for k, label in enumerate(("拨付第1笔资金", "拨付第2笔资金", "拨付第3笔资金")):
        m = released[:, k]
        pe.append(pd.DataFrame({"project_id": pid[m], "event": label, "detail": amounts[m, k].astype(str),
                                "happened_on": rel_day[m, k]}))
    for kind, label in (("midterm", "中期评估"), ("final", "末期评估")):
        e = evals[evals["kind"] == kind]
        pe.append(pd.DataFrame({"project_id": e["project_id"], "event": label, "detail": e["grade"],
                                "happened_on": e["eval_date"]}))
    pe = pd.concat(pe, ignore_index=True)
    pe.insert(0, "id", np.arange(1, len(pe) + 1))
    pe["created_by"] = BY
    T["project_events"] = pe

    # ---- activities -------------------------------------------------------------------------
    nact = sc.n("activities")
    stop = np.minimum(end, t_today)
    stop = np.where(np.isin(state, ["stopped", "terminated"]), np.minimum(stop, mid_eval_day), stop)
    running = stop >= start
    active_days = np.where(running, (stop - start).astype(np.int64) + 1, 0).astype(float)
    w = active_days * rng.uniform(0.6, 1.4, npj)
    per_proj = _split(nact, w, rng) if w.sum() else np.zeros(npj, np.int64)
    a_pid = np.repeat(pid, per_proj)
    a_p = a_pid - 1
    a_day = _dates(start[a_p], stop[a_p], rng)
    ncomm = np.asarray([len(c) for c in p_comms])
    comm_mat = np.full((npj, 3), None, dtype=object)
    for i, cs in enumerate(p_comms):
        comm_mat[i, :len(cs)] = cs
    a_comm = comm_mat[a_p, (rng.random(len(a_p)) * ncomm[a_p]).astype(np.int64)]
    kind_idx = rng.integers(0, len(choices.ACTIVITY_KINDS), len(a_p))
    a_kind = _pick(choices.ACTIVITY_KINDS, kind_idx)
    seq_in_project = pd.Series(a_pid).groupby(a_pid).cumcount().to_numpy() + 1
    a_title = a_kind + "·第" + seq_in_project.astype(str).astype(object) + "期"
    person_times = np.maximum(1, np.round(rng.lognormal(2.9, 0.55, len(a_p)))).astype(np.int64)
    participants = np.maximum(1, np.round(person_times * rng.uniform(0.5, 1.0, len(a_p)))).astype(np.int64)
    T["activities"] = pd.DataFrame({
        "id": np.arange(1, len(a_p) + 1), "project_id": a_pid, "activity_date": a_day, "community": a_comm,
        "place": pd.Categorical.from_codes(rng.integers(0, 3, len(a_p)), ["社区党群服务中心", "居民家中", "小区广场"]),
        "kind": a_kind, "title": a_title, "participants": participants, "person_times": person_times,
        "volunteers": rng.integers(0, 9, len(a_p)), "created_at": _ts(a_day, rng), "created_by": BY})

    # ---- expenses ---------------------------------------------------------------------------
    elapsed = np.clip(active_days / np.maximum(days + 1, 1), 0, 1)
    rate = np.where(state == "closed", rng.uniform(0.85, 1.0, npj),
                    np.clip(elapsed * rng.uniform(0.7, 1.05, npj), 0, 1))
    rate = np.where(np.isin(state, ["stopped", "terminated"]), rng.uniform(0.3, 0.5, npj), rate)
    n_exp = np.where(running, np.maximum(1, np.round(PER_S["expenses_per_project"] * rng.uniform(0.5, 1.5, npj)
                                                      * np.maximum(elapsed, 0.1))), 0).astype(np.int64)
    x_pid = np.repeat(pid, n_exp)
    x_p = x_pid - 1
    wts = rng.gamma(2.0, 1.0, len(x_p))
    wsum = pd.Series(wts).groupby(x_p).transform("sum").to_numpy()
    x_amount = np.round(g[x_p] * rate[x_p] * wts / wsum, 2)
    line_p = lines / lines.sum(axis=1, keepdims=True)
    cum = line_p.cumsum(axis=1)[x_p]
    x_line_idx = np.minimum((rng.random(len(x_p))[:, None] > cum).sum(axis=1), 4)
    line_keys = list(choices.BUDGET_LINES)
    x_line = _pick(line_keys, x_line_idx)
    x_seq = pd.Series(x_pid).groupby(x_pid).cumcount().to_numpy() + 1
    x_day = _dates(start[x_p], stop[x_p], rng)
    T["expenses"] = pd.DataFrame({
        "id": np.arange(1, len(x_p) + 1), "project_id": x_pid, "expense_date": x_day, "line": x_line,
        "amount": x_amount, "description": _pick([choices.BUDGET_LINES[k] + "支出" for k in line_keys], x_line_idx),
        "voucher_no": "PZ" + x_pid.astype(str).astype(object) + "-" + x_seq.astype(str).astype(object),
        "created_at": _ts(x_day, rng), "created_by": BY})

    # ---- trainings and attendance ------------------------------------------------------------
    ntr = sc.n("trainings")
    tk = list(TRAINING_KIND_SHARES)
    tr_kind = _pick(tk, rng.choice(len(tk), ntr, p=list(TRAINING_KIND_SHARES.values())))
    topics = list(choices.TRAINING_TOPICS)
    tr_topic = _pick(topics, rng.integers(0, len(topics), ntr))
    tr_day = np.sort(_dates(np.full(ntr, _d64(dt.date(2018, 9, 1))), np.full(ntr, t_today), rng))
    tr_title = [f"{TOPIC_TITLES[t]}({k})" for t, k in zip(tr_topic, tr_kind)]
    size_w = np.where(tr_kind == "线上课程", 3.0, np.where(tr_kind == "外出交流学习", 0.3, 1.0)) * rng.uniform(0.5, 1.5, ntr)
    per_tr = _split(sc.n("attendance"), size_w, rng)
    T["trainings"] = pd.DataFrame({
        "id": np.arange(1, ntr + 1), "title": tr_title, "kind": tr_kind, "topic": tr_topic, "training_date": tr_day,
        "trainer": _pick(TRAINERS, rng.integers(0, len(TRAINERS), ntr)),
        "partner": _pick(TRAINERS, rng.integers(0, len(TRAINERS), ntr)),
        "capacity": (np.ceil(per_tr * 1.2 / 10) * 10).astype(np.int64),
        "place": np.where(tr_kind == "线上课程", "线上(钉钉直播)", _pick(PLACES, rng.integers(0, 3, ntr))),
        "created_at": _ts(tr_day, rng), "created_by": BY})
    at_tid = np.repeat(np.arange(1, ntr + 1), per_tr)
    at_k = pd.Series(at_tid).groupby(at_tid).cumcount().to_numpy()
    org_w = np.where(incubated, 3.0, 1.0)
    at_org = rng.choice(org_id, len(at_tid), p=org_w / org_w.sum())
    T["training_attendance"] = pd.DataFrame({
        "id": np.arange(1, len(at_tid) + 1), "training_id": at_tid, "org_id": at_org,
        "person": _names_fast(at_k),  # distinct within a training, so (training, org, person) is unique
        "position": pd.Categorical.from_codes(rng.integers(0, len(POSITIONS), len(at_tid)), POSITIONS),
        "created_at": _ts(tr_day[at_tid - 1], rng), "created_by": BY})

    # ---- incubation: decisions and ratings -------------------------------------------------
    crit_in, crit_out = choices.INCUBATION_CRITERIA["入壳"], choices.INCUBATION_CRITERIA["出壳"]
    di = np.flatnonzero(incubated)
    do = np.flatnonzero(left)
    dec = pd.concat([
        pd.DataFrame({"org_id": org_id[di], "kind": "入壳", "decided_on": inc_in[di],
                      "criteria_met": [crit_in] * len(di)}),
        pd.DataFrame({"org_id": org_id[do], "kind": "出壳", "decided_on": inc_out[do],
                      "criteria_met": [crit_out] * len(do)}),
    ], ignore_index=True)
    dec.insert(0, "id", np.arange(1, len(dec) + 1))
    dec["created_by"] = BY
    T["incubation_decisions"] = dec
    ri = np.flatnonzero(rated)
    lo = np.asarray([RATING_SCORE[r][0] for r in ratings[ri]])
    T["ratings"] = pd.DataFrame({
        "id": np.arange(1, len(ri) + 1), "org_id": org_id[ri], "level": ratings[ri],
        "score": lo + np.round(rng.uniform(0, 99, len(ri)), 1), "rated_on": rating_date[ri],
        "expires_on": rating_expiry[ri], "created_by": BY})

    # ---- assessments (the last four half-years, incubated organisations; instrument version 1) -
    periods = _half_years(today, 4)
    as_rows = []
    for k, (label, pend) in enumerate(periods):
        m = np.flatnonzero(incubated & (inc_in <= _d64(pend)))
        as_rows.append(pd.DataFrame({"org_id": org_id[m], "period": label, "k": k,
                                     "assessed_on": np.minimum(_d64(pend) + rng.integers(10, 40, len(m)).astype(
                                         "timedelta64[D]"), t_today)}))
    asm = pd.concat(as_rows, ignore_index=True)
    asm.insert(0, "id", np.arange(1, len(asm) + 1))
    nind = sum(len(ind) for _, _, ind in DEFAULT_INSTRUMENT)
    dim_of = np.concatenate([[j] * len(ind) for j, (_, _, ind) in enumerate(DEFAULT_INSTRUMENT)])
    weights = np.asarray([wt for _, wt, _ in DEFAULT_INSTRUMENT], dtype=float)
    base = 3.0 + 0.5 * org_ability[asm["org_id"].to_numpy() - 1] + 0.15 * asm["k"].to_numpy()
    dim_off = rng.normal(0, 0.3, (len(asm), len(DEFAULT_INSTRUMENT)))[:, dim_of]
    sc_ = np.clip(np.round(base[:, None] + dim_off + rng.normal(0, 0.5, (len(asm), nind))), 1, 5).astype(np.int64)
    dim_mean = np.stack([sc_[:, dim_of == j].mean(axis=1) for j in range(len(DEFAULT_INSTRUMENT))], axis=1)
    asm["total"] = np.round(((dim_mean - 1) / 4 * 100 * weights).sum(axis=1) / weights.sum(), 2)
    asm["assessor"] = _pick(["王敏", "李娜", "陈杰"], rng.integers(0, 3, len(asm)))
    asm["created_by"] = BY
    T["assessments"] = asm  # instrument_id and indicator ids are filled at load time (the instrument is made there)
    T["assessment_scores"] = pd.DataFrame({
        "id": np.arange(1, len(asm) * nind + 1), "assessment_id": np.repeat(asm["id"].to_numpy(), nind),
        "indicator_seq": np.tile(np.arange(nind), len(asm)), "score": sc_.ravel(), "created_by": BY})

    # ---- reviewer accounts and profiles (users rows; the leader is created through core.platform.users) ---
    T["users"] = pd.DataFrame({
        "username": experts, "name": _names(ne, offset=7) + "(评审专家)", "email": None,
        "roles": [["reviewer"]] * ne, "active": True, "is_demo": False, "created_at": now})
    T["reviewer_profiles"] = pd.DataFrame({
        "username": experts, "title": _pick(["教授", "副教授", "高级社工师", "注册会计师", "律师"], rng.integers(0, 5, ne)),
        "employer": _pick(TRAINERS, rng.integers(0, len(TRAINERS), ne)),
        "expertise": [[str(x) for x in rng.choice(choices.PROJECT_CATEGORIES, 2, replace=False)] for _ in range(ne)],
        "load_cap": 12, "created_by": BY})
    _resources(p, np.random.default_rng(seed * 1000 + s + 18))  # its own stream: the tables above stay the same
    _surveys_people_publicity(p, np.random.default_rng(seed * 1000 + s + 20))
    p.seconds = time.perf_counter() - t0
    return p


# ---- 资源与需求 (issue 18) ---------------------------------------------------------------------------
VENUE_KINDS = (("邻里中心多功能厅", 60, "桌椅、投影、音响", "周一至周日 8:30-20:30", ["周一", "周二", "周三", "周四", "周五", "周六", "周日"], "08:30", "20:30"),
               ("党群服务中心会议室", 30, "会议桌、投影", "周一至周五 8:30-17:30", ["周一", "周二", "周三", "周四", "周五"], "08:30", "17:30"),
               ("四点半课堂", 25, "课桌椅、图书角", "周一至周五 13:30-18:00", ["周一", "周二", "周三", "周四", "周五"], "13:30", "18:00"),
               ("老年活动室", 40, "棋牌桌、康复器材", "周一至周六 8:00-17:30", ["周一", "周二", "周三", "周四", "周五", "周六"], "08:00", "17:30"))
SLOTS = (("08:30", "10:30"), ("10:30", "12:30"), ("14:00", "16:00"), ("16:00", "17:30"))  # the afternoon two: every kind's
GROUP_KINDS = ("小组活动", "社区活动", "讲座培训")
PARTNER_STEMS = {"企业": "科技有限公司", "基金会": "慈善基金会", "高校": "大学志愿服务队", "媒体": "融媒体中心",
                 "政府部门": "局", "爱心人士": "", "其他社会力量": "共建单位"}
KIND_HOURS = {"上门服务": (1.0, 2.0), "小组活动": (1.5, 2.5), "社区活动": (2.0, 4.0), "讲座培训": (1.5, 2.5),
              "咨询服务": (2.0, 3.0), "志愿服务": (2.0, 4.0), "走访慰问": (1.5, 3.0), "其他": (1.0, 3.0)}
RES_PER_S = {"venues": 8, "equipment": 7, "bookings": 400, "needs": 110, "partners": 12, "contributions": 100,
             "claim_items": 10, "calls": 5, "volunteers_without_consent": 12}


def _ids(n: int) -> np.ndarray:
    return np.arange(1, n + 1)


def _resources(p: Plan, rng: np.random.Generator) -> None:
    """The tables of issue 18 at ``p``'s scale, consistent with the rules the write path keeps: a venue or equipment
    slot booked once (pending/approved or not), bookings linked to an activity of the booking organisation's project
    on that day (the activity then names the venue); needs with legal status moves and links to stored
    applications and projects; partners whose completed money claims are in their project's 配套资金; volunteers
    serving the running projects' activities exactly as many as the ledger's count (distinct per activity); calls
    with no more sign-ups than places (the full one 已满员)."""
    from schemas.partner import PARTNER_KINDS
    from schemas.volunteer import CONSENT_METHODS, SERVICE_ROLES, VOLUNTEER_SKILLS

    T, sc, today = p.tables, p.scale, p.today
    t_today = _d64(today)
    n = {k: v * sc.s for k, v in RES_PER_S.items()}
    comm = T["communities"]["name"].to_numpy(dtype=object)
    orgs = T["organisations"]["id"].to_numpy()
    proj, apps, acts = T["projects"], T["applications"], T["activities"]
    org_of_app = pd.Series(apps["org_id"].to_numpy(), index=apps["id"].to_numpy())
    p_org = org_of_app.loc[proj["application_id"].to_numpy()].to_numpy()
    org_of_project = pd.Series(p_org, index=proj["id"].to_numpy())

    # venues: the first communities' (one each, kinds in turn), names unique by community and kind
    nv = n["venues"]
    v_comm = comm[np.arange(nv) % len(comm)]
    v_kind = np.arange(nv) // len(comm) % len(VENUE_KINDS) if nv > len(comm) else np.arange(nv) % len(VENUE_KINDS)
    v_seq = np.arange(nv) // (len(comm) * len(VENUE_KINDS))
    kinds = [VENUE_KINDS[k] for k in v_kind]
    T["venues"] = pd.DataFrame({
        "id": _ids(nv), "name": [f"{c}{k[0]}" + (f"{q + 1}号" if q else "") for c, k, q in zip(v_comm, kinds, v_seq)],
        "address": [f"{c}党群服务中心{k + 1}楼" for c, k in zip(v_comm, v_kind)],
        "capacity": [k[1] for k in kinds], "community": v_comm, "facilities": [k[2] for k in kinds],
        "opening_hours": [k[3] for k in kinds], "owner": [f"{c}居委会" for c in v_comm],
        "contact_person": _names(nv, offset=300), "open_days": [list(k[4]) for k in kinds],
        "open_from": [k[5] for k in kinds], "open_to": [k[6] for k in kinds], "created_by": BY})
    ne = n["equipment"]
    e_kind = np.asarray(["音响设备", "投影设备", "桌椅帐篷", "康复器材", "文体器材"], dtype=object)[np.arange(ne) % 5]
    e_comm = comm[np.arange(ne) % len(comm)]
    T["equipment"] = pd.DataFrame({
        "id": _ids(ne), "name": [f"{c}{k}{i + 1}" for i, (c, k) in enumerate(zip(e_comm, e_kind))], "kind": e_kind,
        "quantity": rng.integers(1, 20, ne), "community": e_comm, "owner": [f"{c}居委会" for c in e_comm],
        "kept_at": [f"{c}储物间" for c in e_comm], "created_by": BY})

    # bookings: the group activities of the last four months held where a venue is, then regular users, then
    # the coming fortnight; one (venue or equipment, day, slot) at most once
    window = (acts["activity_date"] >= _d64(today - dt.timedelta(days=120))) & acts["kind"].isin(GROUP_KINDS)
    venue_of_comm = pd.Series(T["venues"]["id"].to_numpy(), index=v_comm)
    venue_of_comm = venue_of_comm[~venue_of_comm.index.duplicated()]
    cand = acts[window & acts["community"].isin(venue_of_comm.index)]
    cand = cand.iloc[rng.permutation(len(cand))[:int(n["bookings"] * 0.6)]]
    b1 = pd.DataFrame({"venue_id": venue_of_comm.loc[cand["community"].to_numpy()].to_numpy(),
                       "equipment_id": pd.NA, "org_id": org_of_project.loc[cand["project_id"].to_numpy()].to_numpy(),
                       "purpose": cand["title"].to_numpy(), "booking_date": cand["activity_date"].to_numpy(),
                       "slot": rng.integers(0, len(SLOTS), len(cand)),
                       "expected_people": cand["participants"].to_numpy(), "project_id": cand["project_id"].to_numpy(),
                       "activity_id": cand["id"].to_numpy(), "future": False})
    k2 = n["bookings"] - len(b1)
    future = rng.random(k2) < 0.15
    offs = np.where(future, rng.integers(1, 15, k2), -rng.integers(1, 121, k2))
    use_kit = rng.random(k2) < 0.2
    b2 = pd.DataFrame({"venue_id": np.where(use_kit, 0, rng.integers(1, nv + 1, k2)),
                       "equipment_id": np.where(use_kit, rng.integers(1, ne + 1, k2), 0),
                       "org_id": rng.choice(orgs, k2),
                       "purpose": _pick(["组织理事会会议", "志愿者培训", "亲子阅读活动", "社区议事协商会", "老年人健康讲座"],
                                        rng.integers(0, 5, k2)),
                       "booking_date": t_today + offs.astype("timedelta64[D]"), "slot": rng.integers(0, len(SLOTS), k2),
                       "expected_people": rng.integers(8, 40, k2), "project_id": pd.NA, "activity_id": pd.NA,
                       "future": future})
    b2["venue_id"] = b2["venue_id"].astype("Int64").replace(0, pd.NA)
    b2["equipment_id"] = b2["equipment_id"].astype("Int64").replace(0, pd.NA)
    b = pd.concat([b1, b2], ignore_index=True)
    b["venue_id"] = b["venue_id"].astype("Int64")
    b["equipment_id"] = b["equipment_id"].astype("Int64")
    # inside the venue's open hours: its days (a kind's days are the first 7, 5 or 6 of the week), the afternoon
    # slots only where it opens at 13:30
    v_kind_of = np.concatenate([[0], v_kind])[b["venue_id"].fillna(0).astype(np.int64).to_numpy()]
    is_venue = b["venue_id"].notna().to_numpy()
    weekday = pd.to_datetime(b["booking_date"]).dt.day_of_week.to_numpy()
    b = b[~is_venue | (weekday < np.asarray([len(k[4]) for k in VENUE_KINDS])[v_kind_of])]
    v_kind_of = v_kind_of[~is_venue | (weekday < np.asarray([len(k[4]) for k in VENUE_KINDS])[v_kind_of])]
    b = b.assign(slot=np.where(b["venue_id"].notna().to_numpy() & (v_kind_of == 2), 2 + b["slot"].to_numpy() % 2,
                               b["slot"].to_numpy()))
    b = b.drop_duplicates(["venue_id", "equipment_id", "booking_date", "slot"]).reset_index(drop=True)
    nb = len(b)
    cap = T["venues"]["capacity"].to_numpy()
    vid = b["venue_id"].fillna(0).astype(np.int64).to_numpy()
    people = np.where(vid > 0, np.minimum(b["expected_people"].to_numpy(dtype=np.int64), cap[np.maximum(vid, 1) - 1]),
                      pd.NA)
    r = rng.random(nb)
    fut = b["future"].to_numpy(dtype=bool)
    linked = b["activity_id"].notna().to_numpy()
    state = np.where(fut, np.where(r < 0.7, "pending", "approved"),
                     np.where(linked | (r < 0.85), "approved", np.where(r < 0.93, "rejected", "cancelled")))
    day = b["booking_date"].to_numpy().astype("datetime64[D]")
    booked = day - rng.integers(2, 11, nb).astype("timedelta64[D]")
    T["bookings"] = pd.DataFrame({
        "id": _ids(nb), "venue_id": b["venue_id"], "equipment_id": b["equipment_id"], "quantity": 1,
        "org_id": b["org_id"].to_numpy(dtype=np.int64), "contact_person": _names(nb, offset=500) if nb else [],
        "purpose": b["purpose"].to_numpy(), "booking_date": day,
        "start_time": _pick([x for x, _ in SLOTS], b["slot"].to_numpy()),
        "end_time": _pick([y for _, y in SLOTS], b["slot"].to_numpy()),
        "expected_people": pd.array(people, dtype="Int64"), "project_id": b["project_id"].astype("Int64"),
        "activity_id": b["activity_id"].astype("Int64"), "state": state,
        "reason": np.where(state == "rejected", "该时段已安排社区议事会", np.where(state == "cancelled", "活动改期", None)),
        "decided_by": np.where(state == "pending", None, "admin"),
        "decided_at": np.where(state == "pending", np.datetime64("NaT"), _ts(booked, rng)).astype("datetime64[s]"),
        "created_at": _ts(booked, rng), "created_by": BY})
    used = T["bookings"][T["bookings"]["activity_id"].notna()]
    venue_of_act = pd.Series(used["venue_id"].to_numpy(), index=used["activity_id"].to_numpy(dtype=np.int64))
    T["activities"] = acts.assign(venue_id=pd.array(venue_of_act.reindex(acts["id"].to_numpy()).to_numpy(),
                                                    dtype="Int64"))

    # needs: most answered by a funded project (with its application), the rest open; status moves in order
    nn = n["needs"]
    answered = rng.random(nn) < 0.55
    n_proj = rng.choice(proj["id"].to_numpy(), nn)
    pidx = n_proj - 1
    n_comm = np.where(answered, [c[0] if len(c) else comm[0] for c in proj["communities"].to_numpy()[pidx]],
                      comm[rng.integers(0, len(comm), nn)])
    agreed = proj["agreement_date"].to_numpy().astype("datetime64[D]")[pidx]
    surveyed = np.where(answered, agreed - rng.integers(90, 240, nn).astype("timedelta64[D]"),
                        t_today - rng.integers(10, 400, nn).astype("timedelta64[D]"))
    closed = proj["state"].to_numpy()[pidx] == "closed"
    final = np.where(answered, np.where(closed, "已满足", "部分满足"), np.where(rng.random(nn) < 0.15, "暂缓", "登记"))
    groups = choices.NEED_GROUPS
    T["community_needs"] = pd.DataFrame({
        "id": _ids(nn), "title": _pick(["社区活动场地不足", "独居老人缺少日常探访", "双职工家庭孩子放学后无人看护",
                                        "居民缺少急救技能", "残疾人社区康复活动少", "新居民缺少邻里交往"],
                                       rng.integers(0, 6, nn)) + "(" + _ids(nn).astype(str).astype(object) + ")",
        "description": None, "community": n_comm, "target_group": _pick(groups, rng.integers(0, len(groups), nn)),
        "source": _pick(choices.NEED_SOURCES, rng.integers(0, len(choices.NEED_SOURCES), nn)),
        "surveyed_on": surveyed, "urgency": _pick(choices.NEED_URGENCIES, rng.integers(0, 3, nn)),
        "residents": rng.integers(3, 60, nn), "recorded_by": _names(nn, offset=900),
        "status": final, "status_on": np.where(final == "登记", np.datetime64("NaT"), t_today).astype("datetime64[D]"),
        "created_at": _ts(surveyed, rng), "created_by": BY})
    moves = {"已对接": ["已对接"], "部分满足": ["已对接", "部分满足"], "已满足": ["已对接", "部分满足", "已满足"],
             "暂缓": ["暂缓"], "登记": []}
    ev = [(i + 1, a, b_, k) for i, f in enumerate(final) for k, (a, b_) in enumerate(zip(["登记"] + moves[f], moves[f]))]
    ev_need = np.asarray([e[0] for e in ev], dtype=np.int64)
    ev_day = np.minimum(surveyed[ev_need - 1] + (np.asarray([e[3] for e in ev], dtype=np.int64) + 1)
                        * rng.integers(5, 30, len(ev)).astype("timedelta64[D]"), t_today) if ev else np.array([], "datetime64[D]")
    T["need_events"] = pd.DataFrame({"id": _ids(len(ev)), "need_id": ev_need, "from_status": [e[1] for e in ev],
                                     "to_status": [e[2] for e in ev], "changed_on": ev_day,
                                     "note": [f"需求状态更新为{e[2]}" for e in ev], "created_by": BY})
    a_need = np.flatnonzero(answered) + 1
    T["need_links"] = pd.DataFrame({
        "id": _ids(2 * len(a_need)), "need_id": np.concatenate([a_need, a_need]),
        "kind": ["application"] * len(a_need) + ["project"] * len(a_need),
        "target_id": np.concatenate([proj["application_id"].to_numpy()[pidx[a_need - 1]], n_proj[a_need - 1]]),
        "note": None, "created_by": BY})

    # partners: every kind; a share contribute in several years (多次), some once, a few under an agreement
    npt = n["partners"]
    pk = _pick(PARTNER_KINDS, np.arange(npt) % len(PARTNER_KINDS))
    pnames = np.asarray([f"杭州{comm[i % len(comm)][:2]}{PARTNER_STEMS[k]}{i + 1}" if k != "爱心人士"
                         else f"{nm}{i + 1}" for i, (k, nm) in enumerate(zip(pk, _names(npt, offset=1200)))], dtype=object)
    offers = [["资金", "物资"] if k == "企业" else ["资金"] if k in ("基金会", "爱心人士") else
              ["技能志愿者"] if k == "高校" else ["媒体曝光"] if k == "媒体" else ["资金", "场地"] for k in pk]
    agreement = (rng.random(npt) < 0.15) & (pk != "爱心人士")
    T["partners"] = pd.DataFrame({
        "id": _ids(npt), "name": pnames, "kind": pk, "department": np.where(pk == "政府部门", "民政", None),
        "offers": offers, "contact_person": _names(npt, offset=1500), "agreement": agreement,
        "agreement_start": np.where(agreement, _d64(today - dt.timedelta(days=900)), np.datetime64("NaT")).astype(
            "datetime64[D]"), "created_by": BY})
    nco = n["contributions"]
    c_partner = rng.choice(_ids(npt), nco, p=(w := rng.gamma(1.0, 1.0, npt)) / w.sum())
    c_day = np.minimum(t_today - rng.integers(0, 6 * 365, nco).astype("timedelta64[D]"), t_today)
    c_kind = np.asarray([offers[i - 1][j % len(offers[i - 1])] for i, j in zip(c_partner, rng.integers(0, 2, nco))],
                        dtype=object)
    money = c_kind == "资金"
    c_project = np.where(rng.random(nco) < 0.4, rng.choice(proj["id"].to_numpy(), nco), 0)

    # 企业公益认领: open, claimed, done (a contribution; money on a project goes into its 配套资金), withdrawn
    nci = n["claim_items"]
    ci_state = _pick(["open", "claimed", "done", "withdrawn"], rng.choice(4, nci, p=[0.4, 0.2, 0.3, 0.1]))
    ci_project = rng.choice(proj["id"].to_numpy(), nci)
    ci_partner = np.where(ci_state != "open", rng.choice(np.flatnonzero(pk == "企业") + 1 if (pk == "企业").any()
                                                         else _ids(npt), nci), 0)
    ci_amount = np.round(rng.uniform(3000, 20000, nci), -2)
    ci_pub = t_today - rng.integers(40, 400, nci).astype("timedelta64[D]")
    ci_claimed = ci_pub + rng.integers(1, 20, nci).astype("timedelta64[D]")
    ci_done = np.minimum(ci_claimed + rng.integers(1, 20, nci).astype("timedelta64[D]"), t_today)
    done = np.flatnonzero(ci_state == "done")
    cid_done = nco + np.arange(1, len(done) + 1)
    T["partner_contributions"] = pd.DataFrame({
        "id": _ids(nco + len(done)), "partner_id": np.concatenate([c_partner, ci_partner[done]]),
        "contributed_on": np.concatenate([c_day, ci_done[done]]),
        "kind": np.concatenate([c_kind, np.full(len(done), "资金", dtype=object)]),
        "amount": _nullable(np.concatenate([np.where(money, np.round(rng.uniform(1000, 50000, nco), -2), np.nan),
                                            ci_amount[done]])),
        "description": np.concatenate([np.where(money, None, "物资、场地或志愿服务"), np.full(len(done), "企业公益认领", dtype=object)]),
        "estimated_value": _nullable(np.concatenate([np.where(money, np.nan, np.round(rng.uniform(500, 20000, nco), -2)),
                                                     np.full(len(done), np.nan)])),
        "project_id": pd.array(np.concatenate([c_project, ci_project[done]]), dtype="Int64").astype("Int64"),
        "claim_id": pd.array(np.concatenate([np.zeros(nco, np.int64), done + 1]), dtype="Int64"),
        "created_by": BY})
    pc = T["partner_contributions"]
    pc.loc[pc["project_id"] == 0, "project_id"] = pd.NA
    pc.loc[pc["claim_id"] == 0, "claim_id"] = pd.NA
    T["claim_items"] = pd.DataFrame({
        "id": _ids(nci), "title": "为项目补足活动经费(" + _ids(nci).astype(str).astype(object) + ")", "kind": "资金",
        "needed": "活动物资和志愿者保险", "amount_sought": ci_amount, "source": "项目资金缺口", "project_id": ci_project,
        "published_on": ci_pub, "status": ci_state,
        "partner_id": pd.array(np.where(ci_partner > 0, ci_partner, 0), dtype="Int64"),
        "claimed_on": np.where(ci_state == "open", np.datetime64("NaT"), ci_claimed).astype("datetime64[D]"),
        "pledged_amount": _nullable(np.where(ci_state == "open", np.nan, ci_amount)),
        "completed_on": np.where(ci_state == "done", ci_done, np.datetime64("NaT")).astype("datetime64[D]"),
        "contribution_id": pd.array(np.where(ci_state == "done", 0, 0), dtype="Int64"),
        "status_note": np.where(ci_state == "withdrawn", "需求已由社区解决", None), "created_by": BY})
    ci = T["claim_items"]
    ci.loc[ci["partner_id"] == 0, "partner_id"] = pd.NA
    ci.loc[done, "contribution_id"] = cid_done
    ci.loc[ci["contribution_id"] == 0, "contribution_id"] = pd.NA
    funds = pd.Series(ci_amount[done]).groupby(ci_project[done]).sum()  # the enterprises' money into 配套资金:企业
    if len(funds):
        at = proj["id"].isin(funds.index)
        proj.loc[at, "funds_enterprise"] = (proj.loc[at, "funds_enterprise"].astype(float).fillna(0)
                                            + proj.loc[at, "id"].map(funds).to_numpy())

    # volunteers: a pool per running project (its busiest activity's count + 4), a few paper registrations without
    # consent; every activity of a running project served by exactly its ledger count of distinct volunteers
    running = proj[proj["state"] == "active"]
    served = acts[acts["project_id"].isin(running["id"])]
    most = served.groupby("project_id")["volunteers"].max().reindex(running["id"]).fillna(0).astype(np.int64)
    pool = (most + 4).to_numpy()
    start = np.concatenate([[0], np.cumsum(pool)[:-1]]) + n["volunteers_without_consent"]
    nvol = int(pool.sum()) + n["volunteers_without_consent"]
    consent = np.arange(nvol) >= n["volunteers_without_consent"]
    v_project = np.concatenate([np.full(n["volunteers_without_consent"], 0), np.repeat(running["id"].to_numpy(), pool)])
    comms_of = dict(zip(proj["id"], proj["communities"]))
    v_comm = np.asarray([comms_of[pj][0] if pj and len(comms_of[pj]) else comm[i % len(comm)]
                         for i, pj in enumerate(v_project)], dtype=object)
    with_org = consent & (rng.random(nvol) < 0.6)
    T["volunteers"] = pd.DataFrame({
        "id": _ids(nvol), "name": _names(nvol, offset=2000),
        "phone": np.where(consent, "138 " + (5710_0000 + np.arange(nvol)).astype(str).astype(object), None),
        "gender": _pick(["男", "女", "女"], rng.integers(0, 3, nvol)), "community": v_comm,
        "skills": [list(rng.choice(VOLUNTEER_SKILLS, 2, replace=False)) for _ in range(nvol)],
        "org_id": pd.array(np.where(with_org, org_of_project.reindex(v_project).fillna(0).to_numpy(dtype=np.int64), 0),
                           dtype="Int64"),
        "consent": consent,
        "consent_date": np.where(consent, t_today - rng.integers(30, 900, nvol).astype("timedelta64[D]"),
                                 np.datetime64("NaT")).astype("datetime64[D]"),
        "consent_method": np.where(consent, _pick(CONSENT_METHODS, rng.integers(0, len(CONSENT_METHODS), nvol)), None),
        "created_by": BY})
    vt = T["volunteers"]
    vt.loc[vt["org_id"] == 0, "org_id"] = pd.NA
    pos = pd.Series(np.arange(len(running)), index=running["id"].to_numpy())
    s_act = np.repeat(served["id"].to_numpy(), served["volunteers"].to_numpy())
    s_proj = pos.loc[np.repeat(served["project_id"].to_numpy(), served["volunteers"].to_numpy())].to_numpy()
    k = pd.Series(s_act).groupby(s_act).cumcount().to_numpy()  # 0..count-1 inside the activity: distinct volunteers
    rot = np.repeat(rng.integers(0, 1_000_000, len(served)), served["volunteers"].to_numpy())
    s_vol = start[s_proj] + (rot + k) % pool[s_proj] + 1
    kind_of = pd.Series(served["kind"].to_numpy(), index=served["id"].to_numpy())
    lo_hi = np.asarray([KIND_HOURS.get(x, (1.0, 3.0)) for x in kind_of.loc[s_act].to_numpy()]).reshape(-1, 2)
    hours = np.floor(rng.uniform(lo_hi[:, 0] * 2, lo_hi[:, 1] * 2 + 1)) / 2 if len(s_act) else np.array([])
    T["volunteer_services"] = pd.DataFrame({
        "id": _ids(len(s_act)), "volunteer_id": s_vol, "activity_id": s_act, "hours": hours,
        "role": _pick(SERVICE_ROLES, rng.integers(0, len(SERVICE_ROLES), len(s_act))), "created_by": BY})
    # calls for the running projects' coming activities; sign-ups from the project's pool, never past the places
    ncall = min(n["calls"], len(running)) if len(running) else 0
    c_pos = np.arange(ncall) % max(len(running), 1)
    places = rng.integers(4, 12, ncall)
    taken = np.minimum(rng.integers(0, places + 1), pool[c_pos]) if ncall else np.array([], np.int64)
    T["volunteer_calls"] = pd.DataFrame({
        "id": _ids(ncall), "title": "志愿者招募(" + _ids(ncall).astype(str).astype(object) + ")",
        "project_id": running["id"].to_numpy()[c_pos], "call_date": t_today + rng.integers(3, 30, ncall).astype(
            "timedelta64[D]"), "places": places, "skills": [list(rng.choice(VOLUNTEER_SKILLS, 2, replace=False))
                                                          for _ in range(ncall)],
        "status": np.where(taken >= places, "已满员", "招募中"), "created_by": BY})
    su_call = np.repeat(_ids(ncall), taken)
    su_k = pd.Series(su_call).groupby(su_call).cumcount().to_numpy()
    su_pos = np.repeat(c_pos, taken)
    T["volunteer_signups"] = pd.DataFrame({
        "id": _ids(len(su_call)), "call_id": su_call, "volunteer_id": start[su_pos] + su_k + 1,
        "signed_on": t_today - rng.integers(0, 10, len(su_call)).astype("timedelta64[D]"), "created_by": BY})


RES_LATER_PER_S = {"publicity_daily": 212, "publicity_stories": 14, "publicity_media": 44}
RESPONSES = (15, 40)          # per closed project (the demo's)
PEOPLE = (6, 14)              # named people per running project
ATTENDS = 0.3                 # the share of their project's activities a person attends


def _surveys_people_publicity(p: Plan, rng: np.random.Generator) -> None:
    """居民满意度调查 (the standard questionnaire; 15–40 responses per closed project dated in its last two months, mostly
    satisfied), 服务对象 (named people of the running projects, enrolled once, attending some of its activities, each
    (person, activity) once; no phone or ID without consent, none kept here) and 宣传 (日常服务信息 and 品牌故事 on the
    WeChat accounts, media reports on news channels with their level, each for a project and its brand, inside the
    project's period, never after today)."""
    from schemas.beneficiary import AGE_GROUPS, BENEFICIARY_GROUPS
    from schemas.publicity import CHANNELS, DAILY, MEDIA_REPORT, STORY, WECHAT_CHANNELS
    from schemas.survey import SCALE, STANDARD_NAME, STANDARD_QUESTIONS, YESNO

    T, sc, today = p.tables, p.scale, p.today
    t_today = _d64(today)
    proj, acts = T["projects"], T["activities"]
    comms_of = dict(zip(proj["id"], proj["communities"]))

    # surveys: one standard questionnaire; the closed projects' responses and their answers
    T["surveys"] = pd.DataFrame({"id": [1], "name": [STANDARD_NAME], "note": [None], "created_by": BY})
    nq = len(STANDARD_QUESTIONS)
    T["survey_questions"] = pd.DataFrame({
        "id": _ids(nq), "survey_id": 1, "seq": _ids(nq), "text": [q[0] for q in STANDARD_QUESTIONS],
        "kind": [q[1] for q in STANDARD_QUESTIONS], "category": [q[2] for q in STANDARD_QUESTIONS],
        "required": [q[3] for q in STANDARD_QUESTIONS], "created_by": BY})
    closed = proj[proj["state"] == "closed"]
    per = rng.integers(RESPONSES[0], RESPONSES[1] + 1, len(closed))
    r_pid = np.repeat(closed["id"].to_numpy(), per)
    r_end = np.minimum(np.repeat(closed["end_date"].to_numpy().astype("datetime64[D]"), per), t_today)
    r_day = _dates(r_end - np.timedelta64(60, "D"), r_end, rng)
    nr = len(r_pid)
    T["survey_responses"] = pd.DataFrame({
        "id": _ids(nr), "survey_id": 1, "project_id": r_pid, "response_date": r_day,
        "community": [comms_of[x][int(k * len(comms_of[x]))] if len(comms_of[x]) else "文海社区"
                      for x, k in zip(r_pid, rng.random(nr))],
        "respondent_group": None, "source": "人工录入", "created_at": _ts(r_day, rng), "created_by": BY})
    target = np.repeat(rng.uniform(0.85, 0.98, len(closed)), per)
    kinds = np.asarray([q[1] for q in STANDARD_QUESTIONS], dtype=object)
    a_resp = np.repeat(_ids(nr), nq)
    a_q = np.tile(_ids(nq), nr)
    a_kind = kinds[a_q - 1]
    happy = rng.random(len(a_resp)) < target[a_resp - 1]
    scale = np.where(happy, np.where(rng.random(len(a_resp)) < 0.6, 5, 4), _pick([3, 3, 3, 3, 3, 3, 3, 3, 2, 2, 1],
                                                                                rng.integers(0, 11, len(a_resp))))
    keep = (a_kind != "文本") | (rng.random(len(a_resp)) < 0.3)  # a suggestion from three in ten
    score = np.where(a_kind == SCALE, scale, np.where(a_kind == YESNO, happy.astype(np.int64), 0))
    T["survey_answers"] = pd.DataFrame({
        "id": _ids(int(keep.sum())), "response_id": a_resp[keep], "question_id": a_q[keep],
        "score": pd.array(np.where(a_kind[keep] == "文本", 0, score[keep]), dtype="Int64"),
        "answer_text": np.where(a_kind[keep] == "文本", "希望活动能多办几次", None), "created_by": BY})
    sa = T["survey_answers"]
    sa.loc[sa["answer_text"].notna(), "score"] = pd.NA

    # 服务对象: named people of the running projects, enrolled once, attending some of the project's activities
    running = proj[proj["state"] == "active"]
    per = rng.integers(PEOPLE[0], PEOPLE[1] + 1, len(running))
    b_pid = np.repeat(running["id"].to_numpy(), per)
    nb = len(b_pid)
    born = rng.integers(1940, 2020, nb)
    age = today.year - born
    age_idx = np.searchsorted([7, 13, 18, 60, 80], age, side="right")
    T["beneficiaries"] = pd.DataFrame({
        "id": _ids(nb), "name": _names(nb, offset=4000), "gender": _pick(["男", "女"], rng.integers(0, 2, nb)),
        "birth_year": born, "age_group": _pick(AGE_GROUPS, age_idx),
        "community": [comms_of[x][0] if len(comms_of[x]) else "文海社区" for x in b_pid],
        "target_group": _pick(BENEFICIARY_GROUPS, rng.integers(0, len(BENEFICIARY_GROUPS), nb)), "consent": False,
        "created_by": BY})
    starts = dict(zip(running["id"], running["start_date"].to_numpy().astype("datetime64[D]")))
    T["beneficiary_enrolments"] = pd.DataFrame({
        "id": _ids(nb), "beneficiary_id": _ids(nb), "project_id": b_pid,
        "enrolled_on": np.minimum(np.asarray([starts[x] for x in b_pid], dtype="datetime64[D]")
                                  + rng.integers(0, 30, nb).astype("timedelta64[D]"), t_today), "created_by": BY})
    ra = acts[acts["project_id"].isin(running["id"])][["id", "project_id"]]
    pair = ra.merge(pd.DataFrame({"beneficiary_id": _ids(nb), "project_id": b_pid}), on="project_id")
    pair = pair[rng.random(len(pair)) < ATTENDS]
    T["beneficiary_attendance"] = pd.DataFrame({
        "id": _ids(len(pair)), "beneficiary_id": pair["beneficiary_id"].to_numpy(),
        "activity_id": pair["id"].to_numpy(), "created_by": BY})

    # 宣传: the seed's 200+ posts and 40+ media reports per scale unit, each for a project (and its brand)
    k = {key: v * sc.s for key, v in RES_LATER_PER_S.items()}
    since = _d64(dt.date(today.year - 5, 1, 1))
    live = proj[(proj["end_date"].to_numpy().astype("datetime64[D]") >= since)
                & (proj["start_date"].to_numpy().astype("datetime64[D]") <= t_today)]
    w = np.where(live["brand_id"].notna().to_numpy(), 3.0, 1.0)
    media = [c for c, (_, lvl) in CHANNELS.items() if lvl]
    kind = np.concatenate([np.full(k["publicity_daily"], DAILY, dtype=object),
                           np.full(k["publicity_stories"], STORY, dtype=object),
                           np.full(k["publicity_media"], MEDIA_REPORT, dtype=object)])
    npub = len(kind)
    row = rng.choice(len(live), npub, p=w / w.sum())
    pj = live.iloc[row]
    lo = np.maximum(pj["start_date"].to_numpy().astype("datetime64[D]"), since)
    hi = np.minimum(pj["end_date"].to_numpy().astype("datetime64[D]"), t_today)
    day = _dates(lo, np.maximum(hi, lo), rng)
    is_media = kind == MEDIA_REPORT
    channel = np.where(is_media, _pick(media, rng.integers(0, len(media), npub)),
                       _pick(WECHAT_CHANNELS[:2], rng.integers(0, 2, npub)))
    T["publicity_items"] = pd.DataFrame({
        "id": _ids(npub), "title": pd.Series(kind).map({DAILY: "服务活动简讯", STORY: "品牌故事", MEDIA_REPORT: "媒体报道"}).to_numpy()
        + "(" + _ids(npub).astype(str).astype(object) + ")", "kind": kind, "channel": channel,
        "level": np.where(is_media, [CHANNELS[c][1] for c in channel], None), "published_on": day,
        "link": "https://mp.weixin.qq.com/s/bench" + _ids(npub).astype(str).astype(object),
        "project_id": pj["id"].to_numpy(), "brand_id": pd.array(pj["brand_id"].to_numpy(), dtype="Int64"),
        "reads": pd.array(np.where(is_media, 0, rng.integers(200, 3200, npub)), dtype="Int64"),
        "created_at": _ts(day, rng), "created_by": BY})
    T["publicity_items"].loc[is_media, "reads"] = pd.NA


def _nullable(values) -> pd.Series:
    """Floats with NaN as missing (NULL in DuckDB; a NaN would not cast to DECIMAL)."""
    return pd.Series(np.asarray(values, dtype=float)).astype("Float64")


def _names_fast(k: np.ndarray) -> np.ndarray:
    """Person names for positions ``k`` inside a training (distinct for distinct k)."""
    uniq, inv = np.unique(k, return_inverse=True)
    return _names(int(uniq.max()) + 1)[uniq][inv] if len(k) else np.array([], dtype=object)


def _half_years(today: dt.date, n: int) -> list[tuple[str, dt.date]]:
    """The last ``n`` half-years that ended before ``today``: (label like 2026上半年, last day), oldest first."""
    out = []
    y, h = (today.year, 1) if today.month > 6 else (today.year - 1, 2)
    for _ in range(n):
        out.append((f"{y}{'上半年' if h == 1 else '下半年'}", dt.date(y, 6, 30) if h == 1 else dt.date(y, 12, 31)))
        y, h = (y, 1) if h == 2 else (y - 1, 2)
    return out[::-1]


def _catalogue() -> dict[str, list[str]]:
    from core.demo.rounds import PROJECTS

    return {c: [t for t, *_ in items] for c, items in PROJECTS.items()}


def _transitions():
    from core.intake.workflow import TRANSITIONS

    return TRANSITIONS


# ---- loading ---------------------------------------------------------------------------------
@dataclass
class Loaded:
    path: Path
    scale: int
    counts: dict[str, int]
    generate_seconds: float
    load_seconds: float
    total_seconds: float
    leader: str = LEADER["username"]


_SEQ = re.compile(r"nextval\('([a-z_0-9]+)'\)")


def _advance_sequence(tx, table: str, key: str = "id") -> None:
    """Move the table's id sequence past the loaded ids, so the write path's next insert gets a new id."""
    row = tx.fetch_one("SELECT column_default FROM duckdb_columns() WHERE table_name = ? AND column_name = ?",
                       [table, key])
    m = _SEQ.search((row or {}).get("column_default") or "")
    if not m:
        return
    top = tx.fetch_one(f"SELECT coalesce(max({key}), 0) AS n FROM {table}")["n"]
    have = tx.fetch_one(f"SELECT nextval('{m.group(1)}') AS v")["v"]
    if top >= have:
        tx.execute(f"SELECT max(nextval('{m.group(1)}')) FROM range(?)", [int(top - have + 1)])


def _bulk(db, table: str, df: pd.DataFrame) -> None:
    """One transaction: ``INSERT INTO table (cols) SELECT cols FROM df``; then its sequence."""
    cols = ", ".join(df.columns)
    with db.transaction() as tx:
        tx.cursor.register("bench_frame", df)
        try:
            tx.execute(f"INSERT INTO {table} ({cols}) SELECT {cols} FROM bench_frame")
        finally:
            tx.cursor.unregister("bench_frame")
        if "id" in df.columns:
            _advance_sequence(tx, table)
        tx.touch(table)


def load(p: Plan, path: Path | str, *, replace: bool = True) -> Loaded:
    """Write the plan into a fresh DuckDB file at ``path`` (migrated by ``core.platform.migrate``), create the
    leader account and the default assessment instrument through the write path; returns counts and times."""
    from core.incubation import assessments
    from core.platform import db as dbmod, users
    from core.platform.actor import SYSTEM

    path = Path(path).resolve()
    if replace:
        dbmod.close_all()
        for f in (path, path.with_name(path.name + ".wal")):
            if f.exists():
                f.unlink()
    t0 = time.perf_counter()
    db = dbmod.get_db(path)  # migrates
    assessments.ensure_defaults(SYSTEM, db=db)
    inst_id = assessments.latest_instrument_id(db)
    indicator_ids = [r["id"] for r in db.fetch_all(
        "SELECT n.id FROM instrument_indicators n JOIN instrument_dimensions d ON d.id = n.dimension_id"
        " WHERE d.instrument_id = ? ORDER BY d.seq, n.seq", [inst_id])]
    for table, df in p.tables.items():
        if table == "assessments":
            df = df.drop(columns=["k"]).assign(instrument_id=inst_id)
        elif table == "assessment_scores":
            ids = np.asarray(indicator_ids)
            df = df.assign(indicator_id=ids[df["indicator_seq"].to_numpy()]).drop(columns=["indicator_seq"])
        elif table == "users":
            df = df.assign(password_hash=_unusable_hash())
        _bulk(db, table, df)
    users.create(dict(LEADER), SYSTEM, db=db)
    with db.write_lock:
        with db.read() as cur:
            cur.execute("CHECKPOINT")
    load_s = time.perf_counter() - t0
    counts = {t: int(db.scalar(f"SELECT count(*) FROM {t}")) for t in p.tables}
    return Loaded(path, p.scale.s, counts, p.seconds, load_s, p.seconds + load_s)


def _unusable_hash() -> str:
    """One bcrypt hash of a random secret nobody knows: the generated experts cannot sign in."""
    from core.platform import passwords

    return passwords.hash_password(secrets.token_urlsafe(24))


def default_path(s: int) -> Path:
    return OUT_DIR / f"bench-{s}x.duckdb"


def generate(s: int, path: Path | str | None = None, today: dt.date | None = None, seed: int = SEED) -> Loaded:
    """Plan and load scale ``s`` into ``path`` (default ``bench/out/bench-<s>x.duckdb``)."""
    path = Path(path) if path is not None else default_path(s)
    return load(plan(s, today, seed), path)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Generate synthetic HubDesk data for the benchmark")
    ap.add_argument("--scale", type=int, default=1, help="scale factor: 1 = the seed's hub, 100 = a city")
    ap.add_argument("--out", type=Path, default=None, help="the DuckDB file (default bench/out/bench-<s>x.duckdb)")
    ap.add_argument("--today", type=dt.date.fromisoformat, default=None, help="the date the data end (YYYY-MM-DD)")
    ap.add_argument("--seed", type=int, default=SEED)
    ap.add_argument("--json", action="store_true", help="print the counts and timings as one JSON object")
    ap.add_argument("--postgres", metavar="URL", default=None,
                    help="also write the same data into this empty PostgreSQL database (move-to-postgres's copy: every "
                         "table's rows and checksum compared, the audit chain verified, then ANALYZE)")
    args = ap.parse_args(argv)
    os.environ.setdefault("HUBDESK_BCRYPT_ROUNDS", "4")
    os.environ.setdefault("HUBDESK_SECRETS", str(OUT_DIR / "secrets.toml"))
    done = generate(args.scale, args.out, args.today, args.seed)
    if args.postgres:
        from core.platform import db as core_db, export

        started = time.perf_counter()
        moved = export.move_database(core_db.get_db(done.path), core_db.get_db(args.postgres))
        print(f"PostgreSQL: {len(moved.sums)} tables, {sum(s.rows for s in moved.sums.values()):,} rows, checked, "
              f"in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    if args.json:
        print(json.dumps({"path": str(done.path), "scale": done.scale, "counts": done.counts,
                          "generate_seconds": done.generate_seconds, "load_seconds": done.load_seconds,
                          "total_seconds": done.total_seconds, "bytes": done.path.stat().st_size}))
        return 0
    print(f"{done.path}: scale {done.scale}x, generated in {done.generate_seconds:.1f} s, "
          f"loaded in {done.load_seconds:.1f} s (total {done.total_seconds:.1f} s)")
    for t, n in done.counts.items():
        print(f"  {t:24s} {n:>10,d}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
