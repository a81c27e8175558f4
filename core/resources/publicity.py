"""宣传: the 宣传台账 — posts on 微信公众号 (荟益沙, 下沙发布) and media reports (钱塘发布 区级, 杭州日报 市级, 潮新闻 省级
…), each tied to a project and/or a brand — and its reach per brand, per year and per channel.

Rules, each checked in the write path:
- the schema's (schemas.publicity): a link is a full http(s) address, a record names a project or a brand, a media
  report is on a media channel and has a level (left empty: the channel's usual level, filled here), a 微信公众号 post
  has no level;
- a record that names both a project and a brand names the project's own brand (when the project has one);
- an imported sheet is written whole or not at all: one row in error refuses the sheet (:func:`commit_import`).

Reach: a record counts for its brand, else for its project's brand. 发布信息 are the 日常服务信息 and 品牌故事,
媒体报道 are counted per level; reads add up the 阅读量 given. Aggregated in SQL, cached until a table they read is
written (:func:`reach_by_brand`, :func:`publicity_by_year`, :func:`by_channel`).
"""
from __future__ import annotations

import datetime as dt

import pandas as pd

from core.monitoring import brands
from core.platform import audit, cache, importer, records
from core.platform.actor import Actor
from core.platform.db import get_db
from core.platform.entities import Entity, may, register
from core.platform.errors import PermissionDenied, ValidationFailed
from core.platform.importer import ImportPlan, ImportSpec
from core.platform.listing import Column, Filter, ListView
from core.resources import hubs as hub_scope
from core.resources.hubs import READER
from schemas import choices
from schemas.columns import Columns, columns, label, number
from schemas.monitoring import Brand
from schemas.publicity import (
    CHANNELS, DAILY, DEFAULT_LEVELS, MEDIA, MEDIA_LEVELS, MEDIA_REPORT, STORY, WECHAT,
    PublicityItem,
)

STAFF = frozenset({"admin", "staff"})


def _level_default(record: dict) -> dict:
    """A media channel's usual level when none is chosen (钱塘发布 区级, 杭州日报 市级, 潮新闻 省级 …)."""
    if not record.get("level") and record.get("channel") in DEFAULT_LEVELS:
        record["level"] = DEFAULT_LEVELS[record["channel"]]
    return record


PUBLICITY = register(Entity(name="publicity", table="publicity_items", label="宣传记录", schema=PublicityItem,
                            write_roles=STAFF, title_field="title", derive=_level_default,
                            hub_owned=True))  # each hub's own 宣传台账 (issue 20)

TABLES = ("publicity_items", "projects", "brands")
_LEVEL_KEYS = {"区级": "media_district", "市级": "media_city", "省级": "media_province", "国家级": "media_national"}
assert list(_LEVEL_KEYS) == MEDIA_LEVELS

# the reach figures, declared once (the brand matrix, the dashboards and the leaders' view read them)
REACH = {"posts": number("发布信息(篇)"), "media": number("媒体报道(篇)"),
         **{k: number(f"{lvl}报道(篇)") for lvl, k in _LEVEL_KEYS.items()}, "reads": number("阅读量合计")}
REACH_KEYS = tuple(REACH)

# a record's brand: its own, else its project's
BRAND_OF = "coalesce(i.brand_id, (SELECT p.brand_id FROM projects p WHERE p.id = i.project_id))"
_FIGURES = (f"count(*) FILTER (WHERE i.kind <> '{MEDIA_REPORT}') AS posts,"
            f" count(*) FILTER (WHERE i.kind = '{MEDIA_REPORT}') AS media, "
            + ", ".join(f"count(*) FILTER (WHERE i.kind = '{MEDIA_REPORT}' AND i.level = '{lvl}') AS {k}"
                        for lvl, k in _LEVEL_KEYS.items())
            + ", CAST(coalesce(sum(i.reads), 0) AS BIGINT) AS reads")


def _years(year_from: int | None, year_to: int | None, kept: tuple[int, ...] | None = None) -> tuple[str, list]:
    """The records published in the years given, of the hubs ``kept`` (None: every hub)."""
    params: list = []
    parts = [] if kept is None else [hub_scope.within("i.hub_id", params, kept)]
    if year_from is not None:
        parts.append("year(i.published_on) >= ?")
        params.append(int(year_from))
    if year_to is not None:
        parts.append("year(i.published_on) <= ?")
        params.append(int(year_to))
    return " AND ".join(parts) or "true", params


def reach_sql(year_from: int | None = None, year_to: int | None = None, hubs=READER) -> tuple[str, list]:
    """(SQL, params): one row per brand with records published in the years given by the hubs given (the screen's
    user's by default, :mod:`core.resources.hubs`) — ``brand_id`` and :data:`REACH_KEYS` — for a ``LEFT JOIN`` on
    brands (the dashboards' brand matrix joins it)."""
    where, params = _years(year_from, year_to, hub_scope.keep(hubs))
    return (f"SELECT {BRAND_OF} AS brand_id, {_FIGURES} FROM publicity_items i WHERE {where}"
            f" GROUP BY ALL HAVING {BRAND_OF} IS NOT NULL", params)


# ---- reach (SQL aggregates, cached) --------------------------------------------------------------------------
REACH_COLUMNS = columns("brand", "tier", *REACH_KEYS, of=Brand, computed={**REACH, "brand": label("name", of=Brand)})


def reach_by_brand(db=None, year_from: int | None = None, year_to: int | None = None, hubs=READER) -> pd.DataFrame:
    """Per brand (every brand of ``hubs``, 核心品牌 first): ``brand_id``, ``brand``, ``tier`` and :data:`REACH_KEYS` — posts
    (日常服务信息 and 品牌故事), media reports in all and per level, reads — of the records published from
    ``year_from`` to ``year_to`` (either open) by ``hubs``."""
    db = db or get_db()
    kept = hub_scope.keep(hubs)

    def load() -> pd.DataFrame:
        sql, params = reach_sql(year_from, year_to, kept)
        figures = ", ".join(f"CAST(coalesce(r.{k}, 0) AS BIGINT) AS {k}" for k in REACH_KEYS)
        mine = hub_scope.within("b.hub_id", params, kept)  # the brands of those hubs (032)
        return db.fetch_df(
            f"SELECT b.id AS brand_id, b.name AS brand, b.tier, {figures} FROM brands b"
            f" LEFT JOIN ({sql}) r ON r.brand_id = b.id WHERE {mine}"
            " ORDER BY CASE b.tier WHEN ? THEN 0 ELSE 1 END, r.posts + r.media DESC NULLS LAST, b.id",
            params + [choices.BRAND_TIERS[0]])

    return cache.cached("publicity:reach_by_brand", (year_from, year_to, kept), TABLES, load, db)


YEAR_COLUMNS = columns("year", *REACH_KEYS, computed={**REACH, "year": number("发布年度")})


def publicity_by_year(db=None, year_from: int | None = None, year_to: int | None = None,
                      hubs=READER) -> pd.DataFrame:
    """Per year of publication: ``year`` and :data:`REACH_KEYS` (every record of ``hubs``, with a brand or not)."""
    db = db or get_db()
    kept = hub_scope.keep(hubs)

    def load() -> pd.DataFrame:
        where, params = _years(year_from, year_to, kept)
        return db.fetch_df(f"SELECT CAST(year(i.published_on) AS INTEGER) AS year, {_FIGURES}"
                           f" FROM publicity_items i WHERE {where} GROUP BY 1 ORDER BY 1", params)

    return cache.cached("publicity:by_year", (year_from, year_to, kept), ("publicity_items",), load, db)


CHANNEL_TYPE_SQL = ("CASE i.channel " + " ".join(f"WHEN '{c}' THEN '{t}'" for c, (t, _) in CHANNELS.items())
                    + f" ELSE '{MEDIA}' END")
CHANNEL_COLUMNS = columns("channel", "channel_type", *REACH_KEYS, of=PublicityItem,
                          computed={**REACH, "channel_type": "渠道类型"})


def by_channel(db=None, year_from: int | None = None, year_to: int | None = None, hubs=READER) -> pd.DataFrame:
    """Per channel: ``channel``, ``channel_type`` (微信公众号 / 新闻媒体) and :data:`REACH_KEYS`, 公众号 first (the
    records of ``hubs``)."""
    db = db or get_db()
    kept = hub_scope.keep(hubs)

    def load() -> pd.DataFrame:
        where, params = _years(year_from, year_to, kept)
        return db.fetch_df(
            f"SELECT i.channel, {CHANNEL_TYPE_SQL} AS channel_type, {_FIGURES} FROM publicity_items i WHERE {where}"
            f" GROUP BY i.channel ORDER BY CASE channel_type WHEN '{WECHAT}' THEN 0 ELSE 1 END, posts + media DESC,"
            " i.channel", params)

    return cache.cached("publicity:by_channel", (year_from, year_to, kept), ("publicity_items",), load, db)


def summary(db=None, hubs=READER) -> dict:
    """The 宣传台账 at a glance (of ``hubs``): records, 日常服务信息, 品牌故事, media reports (in all and at 区/市/省级),
    reads."""
    db = db or get_db()
    kept = hub_scope.keep(hubs)

    def load() -> dict:
        params: list = []
        mine = hub_scope.within("hub_id", params, kept)
        return db.fetch_one(
            f"SELECT count(*) AS items, count(*) FILTER (WHERE kind = '{DAILY}') AS daily,"
            f" count(*) FILTER (WHERE kind = '{STORY}') AS stories,"
            f" count(*) FILTER (WHERE kind = '{MEDIA_REPORT}') AS media,"
            f" count(*) FILTER (WHERE kind = '{MEDIA_REPORT}' AND level IN ('区级', '市级', '省级')) AS media_dcp,"
            f" CAST(coalesce(sum(reads), 0) AS BIGINT) AS reads FROM publicity_items WHERE {mine}", params)

    return cache.cached("publicity:summary", kept, ("publicity_items",), load, db)


# ---- the records -----------------------------------------------------------------------------------------------
_PROJECT = ("(SELECT p.agreement_no || ' ' || a.title FROM projects p JOIN applications a ON a.id = p.application_id"
            " WHERE p.id = {t}.project_id)")
_BRAND = ("(SELECT b.name FROM brands b WHERE b.id = coalesce({t}.brand_id,"
          " (SELECT p.brand_id FROM projects p WHERE p.id = {t}.project_id)))")
# a read count as a float (NaN where none is given): a nullable whole-number column (pandas' <NA>) cannot be written
# to an Excel export (core.platform.excel), and every frame of these records may be exported
_READS = "CAST({t}.reads AS DOUBLE)"
RECORD_COLUMNS = columns("id", "published_on", "kind", "channel", "level", "title", "project", "brand", "reads",
                         "link", of=PublicityItem, computed={"project": label("project_id", of=PublicityItem),
                                                             "brand": "计入品牌"})
_COMPUTED = {"project": _PROJECT, "brand": _BRAND, "reads": _READS}
LIST_VIEW = ListView(
    entity=PUBLICITY,
    columns=tuple(Column(n, text, sql=_COMPUTED[n].format(t="publicity_items") if n in _COMPUTED else None)
                  for n, text in RECORD_COLUMNS.items()),
    search=("title", "notes", _PROJECT.format(t="publicity_items")),
    filters=(Filter("kind", RECORD_COLUMNS["kind"], "kind", source="publicity_kinds"),
             Filter("channel", RECORD_COLUMNS["channel"], "channel", source="publicity_channels"),
             Filter("level", RECORD_COLUMNS["level"], "level", source="media_levels"),
             Filter("brand", RECORD_COLUMNS["brand"], _BRAND.format(t="publicity_items"), source="brand_names"),
             Filter("year", "发布年度", "CAST(year(published_on) AS VARCHAR)",
                    options=tuple(str(y) for y in range(dt.date.today().year, 2017, -1)))),
    default_sort="published_on", default_desc=True,
    search_hint=f"搜索{RECORD_COLUMNS['title']}、{label('notes', of=PublicityItem)}或{RECORD_COLUMNS['project']}",
)

_RECORDS_SQL = ("SELECT i.id, i.published_on, i.kind, i.channel, i.level, i.title, "
                + ", ".join(f"{sql.format(t='i')} AS {n}" for n, sql in _COMPUTED.items()) + ", i.link FROM publicity_items i")


def item(item_id: int, db=None) -> dict:
    """One record with ``project`` and ``brand`` (the brand it counts for) by name."""
    row = (db or get_db()).fetch_one(f"{_RECORDS_SQL.replace(', i.link', ', i.link, i.hub_id', 1)} WHERE i.id = ?",
                                     [int(item_id)])
    hub_scope.require(row, "宣传记录", item_id)  # another hub's reads as missing
    return {**records.get(PUBLICITY, int(item_id), db), "project": row["project"], "brand": row["brand"]}


def history(item_id: int, db=None) -> pd.DataFrame:
    """The record's audit trail, newest first."""
    df, _ = audit.query(db or get_db(), table="publicity_items", key=str(int(item_id)), limit=100)
    return df


def of_project(project_id: int, db=None) -> pd.DataFrame:
    """The project's records, newest first (:data:`RECORD_COLUMNS`)."""
    params: list = [int(project_id)]
    mine = hub_scope.within("i.hub_id", params)
    return (db or get_db()).fetch_df(
        f"{_RECORDS_SQL} WHERE i.project_id = ? AND {mine} ORDER BY i.published_on DESC, i.id DESC", params)


def of_brand(brand_id: int, db=None, year_from: int | None = None, year_to: int | None = None,
             kind: str | None = None, limit: int = 5000, hubs=READER) -> pd.DataFrame:
    """The records that count for the brand (its own or its projects'), newest first; ``kind`` narrows them; the
    records of ``hubs``."""
    where, params = _years(year_from, year_to, hub_scope.keep(hubs))
    if kind is not None:
        where += " AND i.kind = ?"
        params.append(kind)
    return (db or get_db()).fetch_df(
        f"{_RECORDS_SQL} WHERE {BRAND_OF} = ? AND {where} ORDER BY i.published_on DESC, i.id DESC LIMIT ?",
        [int(brand_id), *params, int(limit)])


# ---- writing ---------------------------------------------------------------------------------------------------
def _brand_clash(rows: list[dict], db) -> list[str | None]:
    """Per record: why its brand contradicts its project's (None: it does not)."""
    ids = sorted({int(r["project_id"]) for r in rows if r.get("project_id") is not None and r.get("brand_id")})
    if not ids:
        return [None] * len(rows)
    marks = ", ".join("?" for _ in ids)
    own = {r["id"]: r for r in db.fetch_all(
        "SELECT p.id, p.brand_id, b.name AS brand, p.agreement_no FROM projects p LEFT JOIN brands b"
        f" ON b.id = p.brand_id WHERE p.id IN ({marks})", ids)}
    out = []
    for r in rows:
        p = own.get(r.get("project_id"))
        if p is None or p["brand_id"] is None or r.get("brand_id") is None or int(r["brand_id"]) == p["brand_id"]:
            out.append(None)
        else:
            out.append(f"关联项目({p['agreement_no']})属于品牌「{p['brand']}」,与所选关联品牌不一致:"
                       "请改选该品牌,或清空关联品牌(将按项目的品牌计)")
    return out


def _check(record: dict, db) -> None:
    (clash,) = _brand_clash([record], db)
    if clash:
        raise ValidationFailed(fields={"brand_id": [clash]})


def _may(actor: Actor, action: str) -> None:
    """Who may not write is told so before anything is checked (the write path refuses them too)."""
    if not may(actor, PUBLICITY, action):
        raise PermissionDenied("当前账号无权修改宣传记录(仅中心工作人员和管理员可以登记和修改)")


def add_item(values: dict, actor: Actor, db=None) -> int:
    """Record a post or a media report (staff, admins)."""
    _may(actor, "create")
    db = db or get_db()
    record = records.clean(PUBLICITY, values)
    with records.unit(actor, db) as u:
        _check(record, u.tx)
        return u.create(PUBLICITY, record, validated=True)


def update_item(item_id: int, values: dict, actor: Actor, db=None) -> bool:
    """Change a record (the whole record is checked again, the brand against the project's too)."""
    _may(actor, "update")
    db = db or get_db()
    with records.unit(actor, db) as u:
        before = hub_scope.require(u.fetch(PUBLICITY, int(item_id)), "宣传记录", item_id, actor)
        _check(records.clean(PUBLICITY, {n: values.get(n, before.get(n)) for n in PublicityItem.to_schema().columns}),
               u.tx)
        return u.update(PUBLICITY, int(item_id), values)


IMPORT_EXAMPLE = {"title": "“1516便民服务”走进文海社区 家电维修受欢迎", "kind": DAILY, "channel": "荟益沙",
                  "published_on": dt.date(2026, 3, 1), "link": "https://mp.weixin.qq.com/s/example",
                  "reads": 860}


def _key(r: dict) -> tuple:
    return (r.get("channel"), r.get("title"), str(r.get("published_on"))[:10])


def _existing(rows: list[dict], db=None) -> dict[int, dict]:
    """Positions of sheet rows already stored: the same channel, title and date."""
    wanted = [r for r in rows if r.get("title")]
    if not wanted:
        return {}
    params: list = [r["title"] for r in wanted]
    mine = hub_scope.within("hub_id", params)  # the 台账 of the importer's hub
    found = {_key(r): r for r in (db or get_db()).fetch_all(
        "SELECT id, title, channel, published_on FROM publicity_items WHERE title IN ("
        + ", ".join("?" for _ in wanted) + f") AND {mine}", params)}
    return {i: found[_key(r)] for i, r in enumerate(rows) if r.get("title") and _key(r) in found}


def _link(rows: list[dict]) -> list[dict | str]:
    return [clash or r for r, clash in zip(rows, _brand_clash(rows, get_db()))]


def import_spec() -> ImportSpec:
    """The 宣传台账 sheet: every field (关联项目 and 关联品牌 by name); a row already stored (same channel, title and
    date) is 已存在, so a re-uploaded 台账 adds only its new rows."""
    return ImportSpec(entity=PUBLICITY, fields=tuple(PublicityItem.to_schema().columns), example=IMPORT_EXAMPLE,
                      find_existing=_existing, row_key=_key, link=_link)


def commit_import(spec: ImportSpec, plan: ImportPlan, actor: Actor, db=None) -> int:
    """Write a checked sheet in one transaction — only a whole one: a row in error refuses it (nothing written)."""
    bad = sorted({r.row_number for r in plan.report if r.status == "错误"})
    if bad:
        raise ValidationFailed(form=[
            f"台账中有 {len(bad)} 行错误(第 {'、'.join(str(n) for n in bad[:10])}{' 等' if len(bad) > 10 else ''} 行,"
            "原因见上表「说明」列):请在文件中改正后重新上传,本次未导入任何记录"])
    return importer.commit(spec, plan, actor, db=db)


def brand_overview(db=None) -> pd.DataFrame:
    """The brand matrix (core.monitoring.brands.overview) with each brand's reach (all years) beside it."""
    ov = brands.overview(db)
    reach = reach_by_brand(db)[["brand_id", *REACH_KEYS]]
    return ov.merge(reach, how="left", left_on="id", right_on="brand_id").drop(columns="brand_id")


# the brand's figures, its reach, then its long description last (it pushed the reach out of sight at 1,400 px)
OVERVIEW_COLUMNS = Columns({**brands.OVERVIEW_COLUMNS.without("description"), **{k: REACH[k] for k in REACH_KEYS},
                            "description": brands.OVERVIEW_COLUMNS["description"]})
