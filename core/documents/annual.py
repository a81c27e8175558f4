"""年度成效报告: the year's report the centre hands to the subdistrict, from the database.

- 年度数据: the seed case's table (``core.dashboards.dashboard.headline``: 入壳孵化, 引进专业社会组织, 立项资助, 签约实施,
  资助金额, 拨付, 服务活动, 服务人次, 能力培训, 等级评估, 服务覆盖社区) in two columns: the year itself (flows inside
  the year; for stocks what was added in it) and cumulative at the year's end, plus the trainings by form (线上/线下/
  外出交流) and the project categories funded;
- charts: the dashboards' Altair charts of the year, rendered to PNG by the caller (``chart_png``: the charts live in
  the UI layer, ``pages/documents.py`` passes their renderer);
- 品牌故事: each brand's story (its description) and its figures in the year;
- 项目案例: the year's projects that served the most person-times (those with photos first), with their activities
  and up to two activity photos each from the service ledger (only in the copies of those who may read attachments:
  a leader's copy says the photos are left out);
- 年度亮点 / 总结反思 / 发展规划: what staff write for the year (:data:`ANNUAL_REPORT`, one record per hub and year).

Whose report (issue 20): the reader's. Every figure, chart, brand story and case counts the reader's hubs
(:func:`core.intake.scope.hubs`: a street centre its own, a district or the city its subtree, as the dashboards do;
every hub outside a screen), the cover names the reader's hub, and the text is the reader's hub's own record (a
district writes its roll-up's reflection, each street its own; migration 030).
"""
from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Callable

import pandas as pd

from core.dashboards import dashboard
from core.dashboards.dashboard import Filters
from core.documents.render import Picture, cn_date, render, text, yuan
from core.intake import scope
from core.platform import documents, formats, records
from core.platform.actor import DEFAULT_HUB, Actor, acting
from core.orgs import hubs
from core.platform.db import get_db
from core.platform.entities import Entity, register
from schemas import choices
from schemas.report import AnnualReport

STAFF = frozenset({"admin", "staff"})
# who may download the report: leaders too, who hand it on to the subdistrict (figures, brand stories, cases); the
# cases' activity photos (residents, children) only go into the copies of those who may read attachments
READERS = ("admin", "staff", "leader")
TEMPLATE = "annual_report"
CASES = 3  # project cases in a report
CASE_PHOTOS = 2  # photos per case
PHOTO_TYPES = ("png", "jpg")  # what a Word document shows (webp is left out)

ANNUAL_REPORT = register(Entity(
    name="annual_report", table="annual_reports", label="年度成效报告", schema=AnnualReport, write_roles=STAFF,
    title_field="year",
    hub_owned=True,  # each hub writes its own year's text (UNIQUE (hub_id, year)); a district's roll-up is its own
))

# the charts of the report: (dashboard query, what it shows, whole history up to the year or the year alone)
CHARTS = (("category_year", "分类别分年度资助金额(历年)", "history"),
          ("community_coverage", "各社区服务人次(本年度)", "year"),
          ("brand_matrix", "品牌服务人次(本年度)", "year"))
FIGURE_COLUMNS = {"figure": dashboard.HEADLINE_COLUMNS["figure"], "year": "本年度", "total": "累计(截至年末)"}


def year_end(year: int, today: dt.date | None = None) -> dt.date:
    """The day the year's stock figures are counted at: 31 December, or today for the current year."""
    return min(dt.date(year, 12, 31), today or dt.date.today())


def years(db=None) -> list[int]:
    """The years a report can be made for (newest first): from the first round to this year."""
    return list(reversed(dashboard.filter_options(db)["years"]))


# ---- whose report -----------------------------------------------------------------------------------------
def hub_of(actor: Actor | None = None) -> int:
    """The hub whose report it is: the actor's, else the screen's signed-in user's, else the default hub (the
    command line, demo data)."""
    who = actor if actor is not None else acting()
    return who.hub_id if who is not None and not who.system else DEFAULT_HUB


# ---- what staff write ------------------------------------------------------------------------------------
def reflection(year: int, db=None, *, hub: int | None = None) -> dict | None:
    """The text ``hub`` (default: :func:`hub_of` the reader) wrote for ``year``, or None."""
    db = db or get_db()
    return db.fetch_one("SELECT * FROM annual_reports WHERE hub_id = ? AND year = ?",
                        [hub if hub is not None else hub_of(), int(year)])


def save_reflection(year: int, values: dict, actor: Actor, db=None) -> bool:
    """Save the actor's hub's highlights, reflection and plans of the year (the first save creates the record).
    Returns whether anything changed."""
    db = db or get_db()
    values = {**values, "year": int(year)}
    row = reflection(year, db, hub=hub_of(actor))
    if row is None:
        records.create(ANNUAL_REPORT, values, actor, db=db)
        return True
    return records.update(ANNUAL_REPORT, row["id"], values, actor, db=db)


# ---- figures ---------------------------------------------------------------------------------------------
def figures(year: int, *, today: dt.date | None = None, db=None) -> pd.DataFrame:
    """The seed case's table for ``year``: figure, year (the year's own), total (cumulative at the year's end,
    exactly :func:`core.dashboards.dashboard.headline` counted at that day)."""
    db = db or get_db()
    end = year_end(year, today)
    mine = scope.hubs()
    total = dashboard.headline(today=end, db=db, hubs=mine)
    k = dashboard.kpis(Filters(year_from=year, year_to=year, today=end, hubs=mine), db).set_index("key")

    def v(key: str) -> float:
        return float(k.loc[key, "value"])

    def added(key: str) -> float:
        return v(key) - float(k.loc[key, "previous"] or 0)

    def n(value: float, unit: str) -> str:
        return f"{value:,.0f} {unit}"

    in_year = [
        f"新增 {n(added('incubated_ever'), '家')}", f"新增 {n(added('brought_in'), '家')}", n(v("funded"), "个"),
        n(v("signed"), "个"), f"{v('granted'):,.2f} 元", f"{v('disbursed'):,.2f} 元", n(v("activities"), "场"),
        n(v("person_times"), "人次"), f"{v('trainings'):,.0f} 场,{v('training_person_times'):,.0f} 人次",
        ",".join(f"{lv} {int(v(lv))} 家" for lv in reversed(choices.RATINGS) if v(lv)) or "暂无",
        f"{int(v('communities_covered'))} 个(共 {int(k.loc['communities_covered', 'total'])} 个社区)",
    ]
    out = pd.DataFrame({"figure": total.iloc[:, 0], "year": in_year, "total": total.iloc[:, 1]})
    extra = [("培训形式", _training_forms(db, year, year), _training_forms(db, None, year)),
             ("资助项目类别", _categories(db, year, year), _categories(db, None, year))]
    return pd.concat([out, pd.DataFrame(extra, columns=list(out.columns))], ignore_index=True)


def _training_forms(db, lo: int | None, hi: int) -> str:
    params: list = [lo if lo is not None else dashboard.YEAR_MIN, hi]
    mine = scope.hub_owned_in("hub_id", params)  # counted at the hub that organised them, as the dashboards count
    rows = db.fetch_all("SELECT kind, count(*) AS n FROM trainings WHERE year(training_date) BETWEEN ? AND ?"
                        f" AND {mine} GROUP BY kind", params)
    by = {r["kind"]: int(r["n"]) for r in rows}
    order = [k for k in choices.TRAINING_KINDS if k in by] + sorted(set(by) - set(choices.TRAINING_KINDS))
    return ",".join(f"{k} {by[k]} 场" for k in order) or "暂无"


def _categories(db, lo: int | None, hi: int) -> str:
    params: list = [lo if lo is not None else dashboard.YEAR_MIN, hi]
    mine = scope.hub_owned_in("r.hub_id", params)  # the rounds of the reader's hubs
    rows = db.fetch_all("SELECT a.category, count(*) AS n FROM applications a JOIN rounds r ON r.id = a.round_id"
                        f" WHERE a.state = 'funded' AND r.year BETWEEN ? AND ? AND {mine} GROUP BY a.category", params)
    by = {r["category"]: int(r["n"]) for r in rows}
    order = [c for c in choices.PROJECT_CATEGORIES if c in by] + sorted(set(by) - set(choices.PROJECT_CATEGORIES))
    return "、".join(f"{c} {by[c]} 个" for c in order) or "暂无"


# ---- charts, brands, cases ------------------------------------------------------------------------------
def chart_frames(year: int, *, today: dt.date | None = None, db=None) -> list[tuple[str, str, pd.DataFrame]]:
    """(query name, title, frame) of each chart of the report (the dashboards' own queries and frames)."""
    end = year_end(year, today)
    out = []
    for name, title, span in CHARTS:
        f = Filters(year_to=year, today=end, hubs=scope.hubs())
        f = f if span == "history" else dataclasses.replace(f, year_from=year)
        out.append((name, title, dashboard.run(name, f, db)))
    return out


def brand_stories(year: int, *, today: dt.date | None = None, db=None) -> list[dict]:
    """Each brand with its story and its figures in the year (service points, communities, projects,
    activities, person-times), core brands first."""
    frame = dashboard.run("brand_matrix", Filters(year_from=year, year_to=year, today=year_end(year, today),
                                                  hubs=scope.hubs()), db)
    db = db or get_db()
    stories = {r["name"]: r["description"] for r in db.fetch_all("SELECT name, description FROM brands")}
    out = []
    for r in frame.to_dict("records"):
        out.append({"name": text(r["brand"]), "tier": text(r["tier"]), "story": text(stories.get(r["brand"]), ""),
                    "figures": f"服务点 {formats.number(r['points'])} 个,覆盖 {formats.number(r['communities'])} 个社区;"
                               f"本年度开展活动 {formats.number(r['activities'])} 场,"
                               f"服务 {formats.number(r['person_times'])} 人次"})
    return out


def _photos(project_id: int, year: int, db) -> list[bytes]:
    rows = db.fetch_all(
        "SELECT d.id FROM documents d JOIN activities a ON a.id = d.owner_id AND d.owner_table = 'activities'"
        " WHERE a.project_id = ? AND year(a.activity_date) = ? ORDER BY a.activity_date DESC, d.id", [project_id, year])
    out = []
    for r in rows:
        _, data = documents.read(int(r["id"]), db)
        if documents.detect(data) in PHOTO_TYPES:
            out.append(data)
        if len(out) >= CASE_PHOTOS:
            break
    return out


def cases(year: int, *, limit: int = CASES, photos: bool = True, db=None) -> list[dict]:
    """The year's cases: projects with activities in the year, those with activity photos first, then by
    person-times served in the year; each with its figures, three of its activities and (``photos``) up to
    :data:`CASE_PHOTOS` of its activity photos (PNG/JPEG)."""
    db = db or get_db()
    params: list = [int(year)]
    mine = scope.projects_in("p.id", params)  # the projects of the reader's hubs
    params.append(int(limit))
    rows = db.fetch_all(
        "WITH y AS (SELECT x.project_id, count(*) AS activities, sum(x.person_times) AS person_times,"
        "  count(d.id) AS photos FROM activities x LEFT JOIN documents d ON d.owner_table = 'activities'"
        "  AND d.owner_id = x.id WHERE year(x.activity_date) = ? GROUP BY x.project_id)"
        " SELECT p.id, a.title, o.name AS org, a.category, b.name AS brand, p.communities, p.granted_amount,"
        "  p.start_date, p.end_date, y.activities, y.person_times, y.photos"
        " FROM y JOIN projects p ON p.id = y.project_id JOIN applications a ON a.id = p.application_id"
        f" JOIN organisations o ON o.id = a.org_id LEFT JOIN brands b ON b.id = p.brand_id WHERE {mine}"
        " ORDER BY (y.photos > 0) DESC, y.person_times DESC, p.id LIMIT ?", params)
    out = []
    for r in rows:
        acts = db.fetch_all("SELECT activity_date, community, title, person_times FROM activities"
                            " WHERE project_id = ? AND year(activity_date) = ?"
                            " ORDER BY person_times DESC, activity_date, id LIMIT 3", [r["id"], int(year)])
        out.append({
            "project_id": int(r["id"]), "title": text(r["title"]), "org": text(r["org"]), "category": text(r["category"]),
            "brand": text(r["brand"], "无"), "communities": text(list(r["communities"] or [])),
            "granted": yuan(r["granted_amount"]), "period": f"{cn_date(r['start_date'])}至{cn_date(r['end_date'])}",
            "activities": formats.number(r["activities"]), "person_times": formats.number(r["person_times"]),
            "highlights": [{"date": cn_date(x["activity_date"]), "community": text(x["community"]),
                            "title": text(x["title"]), "person_times": formats.number(x["person_times"])} for x in acts],
            "photos": [Picture(data, 75) for data in _photos(r["id"], int(year), db)] if photos else [],
        })
    return out


# ---- the document ----------------------------------------------------------------------------------------
def context(year: int, *, chart_png: Callable[[str, pd.DataFrame], bytes] | None = None,
            today: dt.date | None = None, photos: bool = True, db=None) -> dict:
    """Everything the template prints, as text (and pictures). ``photos``: the cases' activity photos (the ledger's
    attachments, which only those who may read attachments get: ``core.platform.documents.READ_ROLES``)."""
    db = db or get_db()
    today = today or dt.date.today()
    fig = figures(year, today=today, db=db)
    mine = reflection(year, db) or {}
    charts = []
    if chart_png is not None:
        for name, title, frame in chart_frames(year, today=today, db=db):
            if not frame.empty:
                charts.append({"title": title, "image": Picture(chart_png(name, frame), 155)})
    return {
        "centre": text(hubs.name_of(hub_of(), db)),  # the reader's hub's report
        "year": str(year), "today": cn_date(today), "as_of": cn_date(year_end(year, today)),
        "cols": FIGURE_COLUMNS,
        "figures": [{"figure": r.figure, "year": r.year, "total": r.total} for r in fig.itertuples(index=False)],
        "charts": charts, "brands": brand_stories(year, today=today, db=db), "cases": cases(year, photos=photos, db=db),
        "photo_note": "" if photos else "(活动照片仅附于中心工作人员下载的版本)",
        "labels": {n: AnnualReport.to_schema().columns[n].metadata["label"] for n in ("highlights", "reflection", "plans")},
        "highlights": text(mine.get("highlights"), "(尚未填写)"),
        "reflection": text(mine.get("reflection"), "(尚未填写)"),
        "plans": text(mine.get("plans"), "(尚未填写)"),
    }


def word(year: int, *, chart_png: Callable[[str, pd.DataFrame], bytes] | None = None,
         today: dt.date | None = None, photos: bool = True, db=None) -> bytes:
    return render(TEMPLATE, context(year, chart_png=chart_png, today=today, photos=photos, db=db))
