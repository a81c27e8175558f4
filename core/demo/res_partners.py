"""Demo 合作伙伴, their contributions and 企业公益认领 (core.resources.partners), after the projects exist.

Consistent with the money the demo projects already have: every project whose agreement carries 配套资金 from a
foundation, a 社区共建单位 or an enterprise (``funds_donation`` / ``funds_enterprise``, from its application's
配套资金说明) gets that money as a contribution of the named partner (a record: the agreement counts it already).
Around it: an enterprise that gives every year from 2023 (多次合作), enterprises that gave once (单次合作: the
"单次捐赠" the case study names), the 社区发展基金会 under an agreement (协议合作), a university, a media partner,
government departments (民政, 卫健) and one caring individual. 企业公益认领: one item completed through
:func:`core.resources.partners.complete` (money into a running project's 配套资金:企业), one claimed, two open, one
withdrawn, and one open item answering a community need of older people when the needs are loaded (their loader
runs first). Deterministic for the demo database it is given; nothing lies after today; a second run (a register
that has partners) adds nothing."""
from __future__ import annotations

import datetime as dt

import duckdb

from core.platform import records
from core.platform.actor import SYSTEM
from core.resources import partners
from core.resources.partners import CONTRIBUTION, PARTNER

JINSHAHU = "杭州市钱塘区金沙湖慈善基金会"
XIASHA_FUND = "杭州市钱塘区下沙社区发展基金会"
GONGJIAN = "社区共建单位"
PROPERTY = "杭州沙城物业服务有限公司"      # the demo's 辖区爱心企业(企业公益认领)
TECH = "杭州钱塘智造科技有限公司"           # gives every year from 2023, claims the completed item
CATERING = "杭州金沙湖餐饮管理有限公司"     # once
LOGISTICS = "杭州东部湾物流有限公司"        # once
FIELDS = ("name", "kind", "department", "offers", "contact_person", "contact_phone", "address", "agreement",
          "agreement_start", "agreement_end", "notes")
PARTNERS = (
    (JINSHAHU, "基金会", None, ["资金", "物资"], "沈洁", "0571-86912345", "金沙湖路1号", False, None, None,
     "为公益创投项目提供配套资金"),
    (XIASHA_FUND, "基金会", None, ["资金"], "陆海", "0571-86915678", "下沙街道办事处三楼", True, dt.date(2021, 3, 1),
     dt.date(2027, 2, 28), "与中心签订社区发展合作协议,按年度配套创投项目"),
    (GONGJIAN, "其他社会力量", None, ["资金", "场地"], "周明", None, None, False, None, None, "辖区共建单位联合配套"),
    (PROPERTY, "企业", None, ["资金", "场地", "物资"], "钱程", "13857102001", "文海南路200号", False, None, None,
     "辖区爱心企业,参与企业公益认领"),
    (TECH, "企业", None, ["资金", "技能志愿者"], "许可", "13857102002", "下沙智造园5幢", False, None, None,
     "员工技能志愿者参与助老数字课堂"),
    (CATERING, "企业", None, ["物资"], "何芳", "13857102003", "金沙湖路66号", False, None, None, None),
    (LOGISTICS, "企业", None, ["物资"], "吕斌", "13857102004", "东部湾路8号", False, None, None, None),
    ("下沙高教园区高校志愿服务联盟", "高校", None, ["技能志愿者"], "郑老师", "0571-86878000", None, False, None, None,
     "高校社工专业师生志愿服务"),
    ("钱塘融媒体中心", "媒体", None, ["媒体曝光"], "韩记者", "0571-86880000", None, False, None, None, None),
    ("钱塘区民政局", "政府部门", "民政", ["资金", "场地"], None, None, None, False, None, None, None),
    ("钱塘区卫生健康局", "政府部门", "卫健", ["技能志愿者", "场地"], None, None, None, False, None, None,
     "社区卫生服务中心医生参与健康讲座"),
    ("陈建国", "爱心人士", None, ["资金"], None, None, None, False, None, None, "退休教师"),
)


def _on(year: int, month: int, day: int, today: dt.date) -> dt.date | None:
    d = dt.date(year, month, day)
    return d if d <= today else None


def _contributions(db, ids: dict[str, int], today: dt.date) -> list[dict]:
    out: list[dict] = []

    def add(name, when, kind, amount=None, description=None, value=None, project=None):
        if when is not None:
            out.append({"partner_id": ids[name], "contributed_on": when, "kind": kind, "amount": amount,
                        "description": description, "estimated_value": value, "project_id": project})

    # the 配套资金 already on the agreements: foundations, 共建单位, the enterprise
    for p in db.fetch_all(
            "SELECT p.id, p.agreement_date, p.funds_enterprise, p.funds_donation, a.cofunding_note FROM projects p"
            " JOIN applications a ON a.id = p.application_id"
            " WHERE coalesce(p.funds_enterprise, 0) > 0 OR coalesce(p.funds_donation, 0) > 0 ORDER BY p.id"):
        note = p["cofunding_note"] or ""
        when = min(p["agreement_date"] + dt.timedelta(days=10), today)
        if float(p["funds_enterprise"] or 0) > 0:
            add(PROPERTY, when, "资金", float(p["funds_enterprise"]), "企业公益认领:项目配套资金", project=p["id"])
        if float(p["funds_donation"] or 0) > 0:
            name = next((n for n in (JINSHAHU, XIASHA_FUND, GONGJIAN) if n in note), GONGJIAN)
            add(name, when, "资金", float(p["funds_donation"]), "公益创投项目配套资金", project=p["id"])
    for year in range(2023, today.year + 1):  # the enterprise that comes back every year
        add(TECH, _on(year, 9, 5, today), "资金", 12000.0, "九九公益日捐赠")
        add(TECH, _on(year, 10, 18, today), "技能志愿者", None, "员工志愿者 8 人参与助老数字课堂 2 次", 3200.0)
    add(CATERING, _on(2022, 1, 20, today), "物资", None, "春节慰问年货礼包 120 份", 9600.0)
    add(LOGISTICS, _on(2024, 6, 1, today), "物资", None, "儿童节文具礼包 200 份", 6000.0)
    add(PROPERTY, _on(2024, 3, 15, today), "场地", None, "物业会所活动室全年免费使用(每周 2 个半天)", 12000.0)
    for year in range(2021, today.year + 1):
        add("下沙高教园区高校志愿服务联盟", _on(year, 11, 10, today), "技能志愿者", None,
            "社工专业师生志愿服务 30 人次", 4500.0)
        add("钱塘融媒体中心", _on(year, 12, 1, today), "媒体曝光", None, "公益创投项目专题报道 3 篇", 6000.0)
    add("钱塘区卫生健康局", _on(2024, 4, 7, today), "技能志愿者", None, "社区医生健康讲座 6 场", 3000.0)
    add("钱塘区卫生健康局", _on(2025, 4, 7, today), "技能志愿者", None, "社区医生健康讲座 8 场", 4000.0)
    add("钱塘区民政局", _on(2025, 3, 1, today), "资金", 20000.0, "社区微公益项目补助")
    add("陈建国", _on(2023, 12, 20, today), "资金", 2000.0, "资助困境儿童助学")
    return out


def _need(db, before: dt.date) -> dict | None:
    """A community need of older people recorded before ``before`` (需求登记, when its demo data is loaded)."""
    try:
        return db.fetch_one("SELECT id, title FROM community_needs WHERE surveyed_on <= ?"
                            " ORDER BY (target_group LIKE '%老%') DESC, id LIMIT 1", [before])
    except duckdb.CatalogException:
        return None


def _claims(db, ids: dict[str, int], today: dt.date) -> int:
    """Five 企业公益认领 items through the core functions: done (money on a running project), claimed, open ×2,
    withdrawn."""
    running = db.fetch_all(
        "SELECT p.id, p.agreement_date, a.title FROM projects p JOIN applications a ON a.id = p.application_id"
        " WHERE p.state = 'active' ORDER BY p.agreement_date, p.id")
    idea = db.fetch_one("SELECT id, title FROM ideas WHERE application_id IS NULL ORDER BY id LIMIT 1")
    n = 0
    if running:
        first = running[0]
        published = min(first["agreement_date"] + dt.timedelta(days=20), today)
        item = partners.publish({
            "title": f"为「{first['title']}」补足活动经费", "kind": "资金", "amount_sought": 10000.0,
            "needed": "项目申请金额未获全额资助,缺口用于活动物资和志愿者保险", "source": "项目资金缺口",
            "project_id": first["id"], "published_on": published}, SYSTEM, db)
        claimed = min(published + dt.timedelta(days=10), today)
        partners.claim(item, {"partner_id": ids[TECH], "claimed_on": claimed}, SYSTEM, db)
        partners.complete(item, {"completed_on": min(claimed + dt.timedelta(days=14), today)}, SYSTEM, db)
        n += 1
    if len(running) > 1:
        second = running[1]
        partners.publish({
            "title": f"为「{second['title']}」认领配套资金", "kind": "资金", "amount_sought": 8000.0,
            "needed": "用于服务对象的交通补贴和活动材料", "source": "项目资金缺口", "project_id": second["id"],
            "published_on": min(second["agreement_date"] + dt.timedelta(days=30), today)}, SYSTEM, db)
        n += 1
    if idea is not None:
        item = partners.publish({
            "title": "四点半课堂图书与文具", "kind": "物资", "needed": "社区四点半课堂需要儿童图书 300 册、文具 100 套",
            "source": "金点子", "idea_id": idea["id"], "published_on": today - dt.timedelta(days=40)}, SYSTEM, db)
        partners.claim(item, {"partner_id": ids[PROPERTY], "claimed_on": today - dt.timedelta(days=30),
                              "pledge_note": "图书 300 册、文具 100 套,年底前送达"}, SYSTEM, db)
        n += 1
    partners.publish({
        "title": "独居老人上门服务专业志愿者", "kind": "技能志愿者",
        "needed": "每月 4 次,需具备护理或康复技能的志愿者 2 名", "source": "其他",
        "published_on": today - dt.timedelta(days=20)}, SYSTEM, db)
    need = _need(db, today - dt.timedelta(days=15))
    if need is not None:
        partners.publish({
            "title": f"回应社区需求:{need['title']}"[:100], "kind": "技能志愿者",
            "needed": f"为社区需求「{need['title']}」链接具备相关专业技能的志愿者或服务团队", "source": "社区需求",
            "need_id": need["id"], "published_on": today - dt.timedelta(days=15)}, SYSTEM, db)
        n += 1
    item = partners.publish({
        "title": "暑期托管活动场地", "kind": "场地", "needed": "暑期 7-8 月工作日白天可容纳 30 名儿童的活动场地",
        "source": "其他", "published_on": today - dt.timedelta(days=150)}, SYSTEM, db)
    partners.withdraw(item, "社区已安排邻里中心场地,无需认领", SYSTEM, db)
    return n + 2


def load(db, today: dt.date | None = None) -> dict[str, int]:
    if db.scalar("SELECT count(*) FROM partners"):  # loaded already (or partners kept by hand): add nothing
        return {}
    today = today or dt.date.today()
    rows = [dict(zip(FIELDS, p)) for p in PARTNERS]
    keys = records.create_many(PARTNER, rows, SYSTEM, db=db)
    ids = {r["name"]: k for r, k in zip(rows, keys)}
    contributions = _contributions(db, ids, today)
    records.create_many(CONTRIBUTION, contributions, SYSTEM, db=db)
    items = _claims(db, ids, today)
    return {"partners": len(keys), "partner_contributions": len(contributions) + 1, "claim_items": items}


# partners the district (钱塘区) registers: seen by every street below it (下沙 and 白杨); their contributions so far
# were recorded by 下沙 and stay 下沙's, so the case study's figures are unchanged
DISTRICT_PARTNERS = ("钱塘区民政局", "钱塘融媒体中心")


def load_network(db, district_id: int) -> int:
    """Register :data:`DISTRICT_PARTNERS` with the district's hub (a shared registry); returns how many moved."""
    moved = 0
    for r in db.fetch_all("SELECT id, hub_id FROM partners WHERE name IN (?, ?)", list(DISTRICT_PARTNERS)):
        if r["hub_id"] != district_id:
            moved += records.update(PARTNER, int(r["id"]), {}, SYSTEM, system={"hub_id": int(district_id)}, db=db)
    return moved
