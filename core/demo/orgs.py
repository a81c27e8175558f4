"""Demo 社会组织台账 for 下沙街道 (钱塘区, 杭州): about 55 organisations at the seed case's real scale.

The mix follows the seed's own figures: 50+ organisations incubated since the hub opened (2018-06),
3 rated 4A and 10 rated 3A, 20 professional organisations brought in from elsewhere (引进, the
registered ones not in ``LOCAL_REGISTERED``), every one of the 21 communities with at least one organisation, mostly
社区社会组织 that are only 备案 (filing number, no 统一社会信用代码) plus registered 社会团体,
社会服务机构 and a few 基金会 with valid USCCs. The organisations behind the core brands
"1516便民服务" and "青葵伙伴" are among them.

``organisation_rows(seed, today)`` is deterministic for a given ``seed`` and ``today``; nothing it
returns lies after ``today``. ``load(db)`` writes the communities and the organisations through the
audited write path.
"""
from __future__ import annotations

import datetime as dt
import random

from stdnum.cn import uscc as _uscc

from core.orgs import communities
from core.platform import records
from core.platform.actor import SYSTEM, Actor
from core.orgs.organisations import ORGANISATION, add_years
from core.orgs.venues import VENUE
from schemas import choices
from schemas.checks import normalise_phone

HUB_OPENED = dt.date(2018, 6, 1)
QIANTANG_FOUNDED = dt.date(2021, 4, 9)  # 钱塘区 set up; earlier registrations carry the city's code
REGION_CITY, REGION_QIANTANG = "330100", "330114"

FILED, SOCIAL_GROUP, SERVICE_ORG, FOUNDATION = choices.FILED_KIND, "社会团体", "社会服务机构", "基金会"

# 社区社会组织(备案): (name stem after "下沙街道<社区>", service domains to draw from)
FILED_STEMS: list[tuple[str, list[str]]] = [
    ("邻里互助会", ["社区治理", "志愿服务", "共同富裕"]),
    ("1516便民服务队", ["公共服务", "志愿服务", "一老一小"]),
    ("青葵伙伴志愿队", ["一老一小", "弱势群体关爱", "志愿服务"]),
    ("老年协会", ["一老一小", "文化体育"]),
    ("银龄志愿服务队", ["一老一小", "志愿服务"]),
    ("平安巡防队", ["社区治理", "志愿服务"]),
    ("和事佬调解工作室", ["社区治理", "法律服务"]),
    ("居民议事会", ["社区治理"]),
    ("楼道自治促进会", ["社区治理", "公共服务"]),
    ("书画社", ["文化建设"]),
    ("邻里读书会", ["文化建设", "一老一小"]),
    ("排舞队", ["文化体育", "文化建设"]),
    ("合唱团", ["文化建设", "文化体育"]),
    ("太极拳队", ["文化体育", "一老一小"]),
    ("垃圾分类督导队", ["环境保护", "志愿服务"]),
    ("绿色家园环保社", ["环境保护", "社区治理"]),
    ("四点半课堂", ["一老一小", "志愿服务"]),
    ("妈妈互助社", ["一老一小", "心理健康"]),
    ("家庭教育指导站", ["一老一小", "心理健康"]),
    ("心灵驿站", ["心理健康", "特殊人群帮扶"]),
    ("助残服务队", ["特殊人群帮扶", "弱势群体关爱"]),
    ("新杭州人融合会", ["社区治理", "共同富裕"]),
    ("巧手编织坊", ["共同富裕", "文化建设"]),
    ("邻里共享工具屋", ["公共服务", "环境保护"]),
    ("法律明白人服务队", ["法律服务", "志愿服务"]),
    ("退役军人志愿服务队", ["志愿服务", "社区治理"]),
    ("文明养犬劝导队", ["社区治理", "环境保护"]),
    ("新就业群体暖心驿站", ["公共服务", "共同富裕"]),
    ("红色管家志愿服务队", ["社区治理", "志愿服务"]),
    ("乐龄健康自管会", ["一老一小", "公共服务"]),
    ("睦邻美食坊", ["文化建设", "共同富裕"]),
    ("爱心帮帮团", ["弱势群体关爱", "特殊人群帮扶", "志愿服务"]),
]

# Registered organisations: (full name, kind, service domains to draw from)
REGISTERED: list[tuple[str, str, list[str]]] = [
    ("杭州市钱塘区青葵儿童关爱服务中心", SERVICE_ORG, ["一老一小", "弱势群体关爱", "特殊人群帮扶"]),
    ("钱塘区1516便民服务社", SERVICE_ORG, ["公共服务", "社区治理", "一老一小"]),
    ("杭州市钱塘区同心社会工作服务中心", SERVICE_ORG, ["社区治理", "特殊人群帮扶", "弱势群体关爱"]),
    ("杭州市钱塘区乐龄居家养老服务中心", SERVICE_ORG, ["一老一小", "公共服务"]),
    ("杭州市钱塘区向日葵残疾人康复服务中心", SERVICE_ORG, ["特殊人群帮扶", "弱势群体关爱"]),
    ("杭州市钱塘区心语心理咨询服务中心", SERVICE_ORG, ["心理健康", "一老一小"]),
    ("杭州市钱塘区禾苗青少年成长服务中心", SERVICE_ORG, ["一老一小", "文化建设"]),
    ("杭州市钱塘区和合社区发展服务中心", SERVICE_ORG, ["社区治理", "共同富裕"]),
    ("杭州市钱塘区知行公益发展服务中心", SERVICE_ORG, ["志愿服务", "公共服务", "共同富裕"]),
    ("杭州市钱塘区明法法律援助服务中心", SERVICE_ORG, ["法律服务", "弱势群体关爱"]),
    ("杭州市钱塘区绿源环境保护服务中心", SERVICE_ORG, ["环境保护", "志愿服务"]),
    ("杭州市钱塘区暖阳社会工作服务社", SERVICE_ORG, ["弱势群体关爱", "特殊人群帮扶", "心理健康"]),
    ("杭州市钱塘区下沙街道志愿者协会", SOCIAL_GROUP, ["志愿服务", "社区治理"]),
    ("杭州市钱塘区社区社会组织联合会", SOCIAL_GROUP, ["社区治理", "公共服务"]),
    ("杭州市钱塘区社会工作者协会", SOCIAL_GROUP, ["社区治理", "弱势群体关爱"]),
    ("杭州市钱塘区新居民服务促进会", SOCIAL_GROUP, ["共同富裕", "社区治理", "公共服务"]),
    ("杭州市钱塘区企业公益联合会", SOCIAL_GROUP, ["共同富裕", "志愿服务"]),
    ("杭州市钱塘区家庭教育促进会", SOCIAL_GROUP, ["一老一小", "心理健康"]),
    ("杭州市钱塘区书法家协会", SOCIAL_GROUP, ["文化建设"]),
    ("杭州市钱塘区围棋协会", SOCIAL_GROUP, ["文化体育", "一老一小"]),
    ("杭州市钱塘区户外运动协会", SOCIAL_GROUP, ["文化体育", "环境保护"]),
    ("杭州市钱塘区下沙社区发展基金会", FOUNDATION, ["共同富裕", "社区治理"]),
    ("杭州市钱塘区金沙湖慈善基金会", FOUNDATION, ["弱势群体关爱", "共同富裕", "一老一小"]),
]
FOUR_A = ("杭州市钱塘区青葵儿童关爱服务中心", "钱塘区1516便民服务社", "杭州市钱塘区同心社会工作服务中心")
NOT_INCUBATED = ("杭州市钱塘区下沙社区发展基金会", "杭州市钱塘区金沙湖慈善基金会", "杭州市钱塘区书法家协会")
# Registered organisations grown locally; the other registered ones were brought into 下沙 (引进专业社会组织)
LOCAL_REGISTERED = ("钱塘区1516便民服务社", "杭州市钱塘区下沙街道志愿者协会", "杭州市钱塘区下沙社区发展基金会")
# Where the brand organisations sit (the others get a community at random)
HOME_COMMUNITY = {"杭州市钱塘区青葵儿童关爱服务中心": "云水社区", "钱塘区1516便民服务社": "文海社区"}
# The seed's example filing: 下沙街道文海社区邻里互助会
PINNED_FILED = {"邻里互助会": "文海社区"}

RATING_MIX = {"4A": 3, "3A": 10, "2A": 2, "1A": 1}
PREP_COUNT = 3  # 零基础筹备期
MATURE_3A = 2  # 3A organisations at 成熟期 besides the 4A ones

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程"
    "沈魏方金俞钱姚汪楼邵施傅盛陆范严章戴卢童应"
)
GIVEN = (
    "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红建国文辉鹏飞慧颖婷雪琳晨宇浩然佳怡"
    "欣悦梦琪子涵俊杰志强海燕春梅晓东丹凤雅琴永利家豪思远嘉诚丽君国平宏伟云峰淑珍美玲"
)
MOBILE_PREFIXES = ("130", "131", "133", "135", "136", "137", "138", "139", "150", "151", "152",
                   "153", "155", "157", "158", "159", "177", "180", "181", "183", "186", "187", "188", "189")
ORG_CODE_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # GB 32100 alphabet (no I, O, Z, S, V)


def _between(rng: random.Random, lo: dt.date, hi: dt.date) -> dt.date:
    if hi <= lo:
        return lo
    return lo + dt.timedelta(days=rng.randint(0, (hi - lo).days))


def _days(n: int) -> dt.timedelta:
    return dt.timedelta(days=n)


class _People:
    """Unique Chinese personal names."""

    def __init__(self, rng: random.Random):
        self.rng, self.used = rng, set()

    def name(self) -> str:
        while True:
            given = self.rng.choice(GIVEN)
            if self.rng.random() < 0.7:
                given += self.rng.choice(GIVEN)
            n = self.rng.choice(SURNAMES) + given
            if n not in self.used and len(set(n)) == len(n):
                self.used.add(n)
                return n


class _Phones:
    """Unique mainland mobiles and 0571 landlines, in the national format the schema stores."""

    def __init__(self, rng: random.Random):
        self.rng, self.used = rng, set()

    def number(self, landline_share: float) -> str:
        while True:
            if self.rng.random() < landline_share:
                raw = "0571" + self.rng.choice("82") + "".join(self.rng.choices("0123456789", k=7))
            else:
                raw = self.rng.choice(MOBILE_PREFIXES) + "".join(self.rng.choices("0123456789", k=8))
            num = normalise_phone(raw)
            if num and num not in self.used:
                self.used.add(num)
                return num


def _uscc_for(rng: random.Random, kind: str, reg_date: dt.date, used: set[str]) -> str:
    region = REGION_QIANTANG if reg_date >= QIANTANG_FOUNDED else REGION_CITY
    while True:
        code = "MJ" + "".join(rng.choices("0123456789", k=6)) + rng.choice(ORG_CODE_CHARS)
        first17 = choices.USCC_KIND_PREFIX[kind] + region + code
        value = first17 + _uscc.calc_check_digit(first17)
        if value not in used:
            used.add(value)
            return value


def organisation_rows(seed: int = 2018, today: dt.date | None = None) -> list[dict]:
    """About 55 organisation records (Organisation schema field names), deterministic per seed/today."""
    today = today or dt.date.today()
    if today < dt.date(2020, 1, 1):
        raise ValueError("today must be 2020-01-01 or later: the hub opened in 2018-06")
    rng = random.Random(seed)
    people, phones = _People(rng), _Phones(rng)
    rating_lo, rating_hi = add_years(today, -5) + _days(30), today - _days(14)

    # ---- who is who --------------------------------------------------------------------------
    comms = list(choices.DEMO_COMMUNITIES)
    filed_comms = comms[:]  # every community gets at least one filed organisation
    rng.shuffle(filed_comms)
    filed_comms += [rng.choice(comms) for _ in range(len(FILED_STEMS) - len(comms))]
    stems = FILED_STEMS[:]
    rng.shuffle(stems)
    # pin the seed's example to its community by swapping the community with whoever holds it
    for stem, comm in PINNED_FILED.items():
        i = next(k for k, (s, _) in enumerate(stems) if s == stem)
        j = filed_comms.index(comm)
        filed_comms[i], filed_comms[j] = filed_comms[j], filed_comms[i]

    rated_pool = [n for n, _, _ in REGISTERED if n not in FOUR_A]
    rng.shuffle(rated_pool)
    ratings = {n: "4A" for n in FOUR_A}
    pos = 0
    for grade in ("3A", "2A", "1A"):
        for n in rated_pool[pos:pos + RATING_MIX[grade]]:
            ratings[n] = grade
        pos += RATING_MIX[grade]
    three_a = [n for n, g in ratings.items() if g == "3A"]
    mature = set(FOUR_A) | set(rng.sample(three_a, MATURE_3A))

    prep_idx = set(rng.sample(range(len(stems)), PREP_COUNT + 1))
    prep_idx -= {i for i, (s, _) in enumerate(stems) if s in PINNED_FILED}
    prep_idx = set(sorted(prep_idx)[:PREP_COUNT])

    rows: list[dict] = []

    # ---- registered: 社会团体, 社会服务机构, 基金会 ----------------------------------------------
    used_uscc: set[str] = set()
    for name, kind, domains in REGISTERED:
        rating = ratings.get(name)
        incubated = name not in NOT_INCUBATED
        rating_date = _between(rng, rating_lo, rating_hi) if rating else None
        if not incubated:  # partners of the hub rather than its incubatees
            inc_in = None
        elif rating == "4A":  # the hub's first cohort, long since graduated
            inc_in = _between(rng, HUB_OPENED + _days(14), dt.date(2019, 6, 30))
        elif rating:
            inc_in = _between(rng, HUB_OPENED + _days(14), min(today - _days(400), dt.date(2022, 12, 31)))
        else:
            inc_in = _between(rng, min(dt.date(2021, 1, 1), today - _days(365)), today - _days(60))
        # registered before entering the incubator; rated ones at least two years before the rating
        latest = [today - _days(30)]
        if inc_in:
            latest.append(inc_in - _days(30))
        if rating_date:
            latest.append(add_years(rating_date, -2))
        hi = min(latest)
        lo = dt.date(2009, 1, 1) if rating in ("4A", "3A") or not incubated else add_years(hi, -3)
        reg_date = _between(rng, lo, hi)
        inc_out = None
        if inc_in and (rating or rng.random() < 0.5):
            out = inc_in + _days(rng.randint(300, 900))
            if out <= today - _days(7):
                inc_out = out
        if name in mature:
            stage = "成熟期"
        elif rating or (today - reg_date).days > 3 * 365:
            stage = "成长期"
        else:
            stage = "初创期"
        legal_rep = people.name()
        rows.append({
            "name": name,
            "kind": kind,
            "uscc": _uscc_for(rng, kind, reg_date, used_uscc),
            "filing_no": None,
            "reg_date": reg_date,
            "legal_rep": legal_rep,
            "contact_person": people.name() if rng.random() < 0.75 else legal_rep,
            "contact_phone": phones.number(landline_share=0.45),
            "community": HOME_COMMUNITY.get(name) or rng.choice(comms),
            "service_domains": rng.sample(domains, rng.randint(1, min(3, len(domains)))),
            "stage": stage,
            "incubation_in": inc_in,
            "incubation_out": inc_out,
            "rating": rating,
            "rating_date": rating_date,
            "brought_in_on": None if name in LOCAL_REGISTERED else (inc_in or max(reg_date, HUB_OPENED)),
            "active": True,
            "notes": None,
        })

    # ---- 社区社会组织(备案) -------------------------------------------------------------------
    filed_rows: list[dict] = []
    for i, ((stem, domains), comm) in enumerate(zip(stems, filed_comms)):
        prep = i in prep_idx
        if prep:
            inc_in = _between(rng, today - _days(300), today - _days(20))
            reg_date = inc_in - _days(rng.randint(7, 45))
            stage = "零基础筹备期"
        else:
            inc_in = _between(rng, HUB_OPENED + _days(14), today - _days(120))
            reg_date = inc_in - _days(rng.randint(20, 2 * 365))
        inc_out = None
        if not prep and rng.random() < 0.4:
            out = inc_in + _days(rng.randint(240, 720))
            if out <= today - _days(7):
                inc_out = out
        if not prep:  # still in the incubator and filed less than five years ago: 初具雏形
            stage = "初创期" if inc_out is None and (today - reg_date).days < 5 * 365 else "成长期"
        lead = people.name()
        filed_rows.append({
            "name": f"下沙街道{comm}{stem}",
            "kind": FILED,
            "uscc": None,
            "filing_no": None,  # numbered below, in filing order per year
            "reg_date": reg_date,
            "legal_rep": lead,
            "contact_person": lead if rng.random() < 0.6 else people.name(),
            "contact_phone": phones.number(landline_share=0.1),
            "community": comm,
            "service_domains": rng.sample(domains, rng.randint(1, min(3, len(domains)))),
            "stage": stage,
            "incubation_in": inc_in,
            "incubation_out": inc_out,
            "rating": None,
            "rating_date": None,
            "brought_in_on": None,
            "active": True,
            "notes": "筹备中,已在社区备案,由枢纽中心陪伴孵化" if prep else None,
        })

    # the oldest filed organisation is 成熟期; one that left the incubator long ago has stopped
    oldest = min(filed_rows, key=lambda r: r["reg_date"])
    oldest["stage"] = "成熟期"
    stopped = [r for r in filed_rows if r["incubation_out"] and r is not oldest]
    if stopped:
        gone = min(stopped, key=lambda r: r["incubation_out"])
        gone["active"] = False
        gone["notes"] = "骨干成员流失,已停止活动并注销备案"

    by_year: dict[int, list[dict]] = {}
    for r in sorted(filed_rows, key=lambda r: r["reg_date"]):
        by_year.setdefault(r["reg_date"].year, []).append(r)
    for year, group in by_year.items():
        n = rng.randint(1, 8)
        for r in group:
            r["filing_no"] = f"下沙备字〔{year}〕第{n:03d}号"
            n += rng.randint(1, 6)

    rows.extend(filed_rows)
    # the contact's email (the reminders about an organisation reach it): a numbered address, every registered
    # organisation and two of three filed ones (the others have none, so "no address" is in the data too)
    for i, r in enumerate(rows):
        has = r["kind"] != FILED or i % 3 != 2
        r["contact_email"] = f"org{i + 1:04d}@example.org" if has else None
    return rows


def load(db, actor: Actor = SYSTEM) -> int:
    """Write the 21 demo communities (those missing) and the demo organisations; returns how many
    organisations were written. The ``communities`` choice provider must be installed, e.g. with
    :func:`core.orgs.communities.install_provider`, since the schema checks each row's community."""
    if "communities" not in choices.known_sources():
        raise RuntimeError("communities choice provider not installed: call core.orgs.communities.install_provider()")
    communities.ensure(choices.DEMO_COMMUNITIES, actor, db=db)
    rows = organisation_rows()
    return len(records.create_many(ORGANISATION, rows, actor, db=db))


def load_venues(db, actor: Actor = SYSTEM) -> int:
    """The demo venues (after :func:`load`: their communities must exist)."""
    return len(records.create_many(VENUE, [dict(zip(VENUE_FIELDS, v)) for v in VENUES], actor, db=db))


# the subdistrict's and the communities' venues (场地, core.orgs.venues)
VENUE_FIELDS = ("name", "address", "capacity", "community", "facilities", "opening_hours", "owner", "contact_person",
                "contact_phone")
VENUES = (
    ("下沙街道社会组织服务中心报告厅", "下沙街道办事处二楼", 120, "下沙社区", "投影仪、音响、话筒", "周一至周五 8:30-17:30",
     "下沙街道社会组织服务中心", "周明", "0571-86001234"),
    ("文海社区邻里中心多功能厅", "文海南路88号", 60, "文海社区", "投影仪、桌椅", "周一至周日 9:00-20:00", "文海社区居委会",
     "林晓", "13857101001"),
    ("高沙社区老年活动室", "高沙路19号", 40, "高沙社区", "麻将桌、电视", "周一至周六 8:00-17:00", "高沙社区居委会", "赵红",
     "13857101002"),
    ("金沙湖社区四点半课堂", "金沙湖路6号", 30, "金沙湖社区", "课桌椅、图书角", "周一至周五 15:30-18:30", "金沙湖社区居委会",
     "孙丽", "13857101003"),
    ("云水社区党群服务中心会议室", "云水街12号", 25, "云水社区", "会议桌、白板", "周一至周五 9:00-17:00", "云水社区居委会",
     None, None),
)
