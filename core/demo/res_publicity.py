"""Demo 宣传台账 (core.resources.publicity), after the projects exist: the seed's "发布日常服务信息200余篇,发布省市区级
媒体报道不少于40篇" as records. Every project running between 2021 and today gets its 日常服务信息 on 荟益沙 or 下沙发布
(the brands' projects more of them), dated inside its execution period; each brand has a few 品牌故事; the media reports
(钱塘发布 and 钱塘融媒 区级, 杭州日报 / 都市快报 / 杭州网 市级, 潮新闻 / 浙江日报 / 钱江晚报 省级) cover the brands'
projects mostly. Deterministic for a given ``today``; nothing lies after today; a second run adds nothing;
written through the audited write path in one batch."""
from __future__ import annotations

import datetime as dt
import hashlib
import random

from core.platform import records
from core.platform.actor import SYSTEM, Actor
from core.resources.publicity import PUBLICITY
from schemas.publicity import DAILY, MEDIA_REPORT, STORY

SEED = 2020
FIRST = dt.date(2021, 1, 1)
DAILY_POSTS = 212  # "200余篇"
STORIES = 14
MEDIA = (("区级", ("钱塘发布", "钱塘发布", "钱塘融媒"), 22), ("市级", ("杭州日报", "都市快报", "杭州网"), 14),
         ("省级", ("潮新闻", "浙江日报", "钱江晚报"), 8))  # 44: "不少于40篇"
HOSTS = {"荟益沙": "https://mp.weixin.qq.com/s/", "下沙发布": "https://mp.weixin.qq.com/s/",
         "钱塘发布": "https://mp.weixin.qq.com/s/", "钱塘融媒": "https://www.qtxww.cn/content/",
         "杭州日报": "https://hzdaily.hangzhou.com.cn/hzrb/", "都市快报": "https://hzdaily.hangzhou.com.cn/dskb/",
         "杭州网": "https://ori.hangzhou.com.cn/ornews/content/", "潮新闻": "https://tidenews.com.cn/news.html?id=",
         "浙江日报": "https://zjrb.zjol.com.cn/html/", "钱江晚报": "https://www.qjwb.com.cn/news/"}
PRINT = {"杭州日报", "浙江日报"}  # papers: no read count

DAILY_TITLES = (
    "【活动预告】{p}本周六走进{c}", "{c}{p}活动顺利开展", "{p}|{c}{n}位居民参与{a}", "{c}:{p}把{a}送到家门口",
    "{p}月度服务小结:{c}开展{a}", "温暖{c}|{p}{a}现场直击", "{p}招募志愿者啦!{c}{a}等你来",
    "{c}居民点赞{p}:{a}办到了心坎上", "{p}第{k}期{a}在{c}举行", "{a}进社区|{p}走进{c}",
    "{p}服务日记:{c}的{a}", "回顾|{p}在{c}的{a}", "{c}{a}报名开启({p})", "{p}{a}走进{c},{n}人受益",
)
ACTS = {"公共服务": ("便民服务", "家电维修", "健康义诊", "理发修补"), "弱势群体关爱": ("陪伴成长", "学业辅导", "心理疏导", "微心愿认领"),
        "一老一小": ("助老课堂", "亲子共育", "隔代沟通", "智能手机教学"), "社区治理": ("居民议事", "楼道自治", "协商共治", "平安巡防"),
        "文化建设": ("邻里文化", "阅读分享", "文艺展演", "非遗体验"), "特殊人群帮扶": ("康复训练", "就业培训", "融合活动", "家庭支持"),
        "共同富裕": ("技能培训", "就业对接", "创业分享", "共富工坊")}
STORY_TITLES = ("品牌故事|{b}:把服务做在居民身边", "{b}的{y}:一个品牌如何长在社区里", "品牌故事|走近{b}背后的社工们",
                "{b}:从一个金点子到一张社区名片", "品牌故事|{b}与{c}的第{k}个年头")
MEDIA_TITLES = ("下沙街道{p}:打造居民家门口的{a}", "钱塘区下沙街道“{b}”品牌项目获居民点赞",
                "公益创投激活社区治理 下沙{p}走进{c}", "{c}:{a}让居民幸福感更足", "下沙街道以公益创投培育“{b}”品牌",
                "小项目解决大民生 下沙{p}服务{n}人次", "下沙{c}探索{a}新模式", "“{b}”:一个社区公益品牌的成长之路")


def _between(rng: random.Random, lo: dt.date, hi: dt.date) -> dt.date:
    return lo + dt.timedelta(days=rng.randint(0, max(0, (hi - lo).days)))


def _link(channel: str, title: str, day: dt.date) -> str:
    token = hashlib.sha1(f"{channel}{title}{day}".encode()).hexdigest()[:16]
    return HOSTS[channel] + (token if channel in ("荟益沙", "下沙发布", "钱塘发布") else f"{day:%Y%m%d}_{token}")


def _projects(db, today: dt.date) -> list[dict]:
    """The projects running some time between 2021 and today, with their brand, category and communities."""
    return db.fetch_all(
        "SELECT p.id, p.brand_id, b.name AS brand, a.title, a.category, p.communities, p.start_date,"
        " least(p.end_date, ?) AS last_day FROM projects p JOIN applications a ON a.id = p.application_id"
        " LEFT JOIN brands b ON b.id = p.brand_id WHERE p.start_date <= ? AND p.end_date >= ? ORDER BY p.id",
        [today, today, FIRST])


def load(db, actor: Actor = SYSTEM, today: dt.date | None = None) -> dict[str, int]:
    if db.scalar("SELECT count(*) FROM publicity_items"):  # loaded already (or a 台账 kept by hand): add nothing
        return {}
    today = today or dt.date.today()
    rng = random.Random(SEED)
    projects = _projects(db, today)
    if not projects:
        return {}
    rows: list[dict] = []
    seen: set[tuple] = set()

    def add(title: str, kind: str, channel: str, day: dt.date, *, project=None, brand=None, level=None, reads=None):
        key = (channel, title, day)
        if key in seen:  # one title once a day per channel
            title = f"{title}(续)"
        seen.add((channel, title, day))
        rows.append({"title": title, "kind": kind, "channel": channel, "level": level, "published_on": day,
                     "link": _link(channel, title, day), "project_id": project, "brand_id": brand, "reads": reads,
                     "notes": None})

    def words(p: dict, k: int) -> dict:
        comms = list(p["communities"] or ["下沙社区"])
        return {"p": p["title"], "c": rng.choice(comms), "a": rng.choice(ACTS.get(p["category"], ("社区服务",))),
                "n": rng.randint(12, 180), "k": k, "b": p["brand"] or p["title"]}

    # 日常服务信息: the brands' projects weigh three times as much
    weights = [3 if p["brand_id"] else 1 for p in projects]
    counts = [0] * len(projects)
    for i in rng.choices(range(len(projects)), weights=weights, k=DAILY_POSTS):
        counts[i] += 1
    for p, n in zip(projects, counts):
        lo = max(p["start_date"], FIRST)
        for k in range(1, n + 1):
            day = _between(rng, lo, p["last_day"])
            channel = "荟益沙" if rng.random() < 0.7 else "下沙发布"
            add(rng.choice(DAILY_TITLES).format(**words(p, k)), DAILY, channel, day, project=p["id"],
                reads=rng.randint(260, 3200))

    branded = [p for p in projects if p["brand_id"]]
    by_brand: dict[int, list[dict]] = {}
    for p in branded:
        by_brand.setdefault(p["brand_id"], []).append(p)
    brand_ids = sorted(by_brand)
    for k in range(STORIES):  # 品牌故事 on 荟益沙, for the brand itself (its projects' span)
        bid = brand_ids[k % len(brand_ids)]
        ps = by_brand[bid]
        day = _between(rng, max(min(p["start_date"] for p in ps), FIRST), max(p["last_day"] for p in ps))
        w = words(rng.choice(ps), k // len(brand_ids) + 2)
        add(rng.choice(STORY_TITLES).format(**w, y=day.year), STORY, "荟益沙", day, brand=bid,
            reads=rng.randint(1500, 9000))

    for level, channels, n in MEDIA:  # media reports: the brands' projects mostly
        for k in range(n):
            p = rng.choice(branded) if rng.random() < 0.8 else rng.choice(projects)
            day = _between(rng, max(p["start_date"], FIRST), p["last_day"])
            channel = channels[k % len(channels)]
            titles = MEDIA_TITLES if p["brand"] else [t for t in MEDIA_TITLES if "{b}" not in t]
            add(rng.choice(titles).format(**words(p, k + 1)), MEDIA_REPORT, channel, day, project=p["id"],
                level=level, reads=None if channel in PRINT else rng.randint(2000, 60000))

    rows.sort(key=lambda r: (r["published_on"], r["channel"], r["title"]))
    with records.unit(actor, db) as u:
        ids = u.create_many(PUBLICITY, records.clean_many(PUBLICITY, rows), validated=True)
    return {"publicity_items": len(ids)}
