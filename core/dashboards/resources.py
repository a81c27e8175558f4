"""资源与需求总览: the leadership dashboard of issue 18's resources — venues' utilisation, partners' contributions and
continuity, needs covered vs open, volunteers and their hours — each figure with the records behind it.

The figures come from the query functions of :mod:`core.resources` where they exist (utilisation per venue,
the needs per community, the partners' yearly figures) and from the SQL aggregates below where they do not
(continuity per year, volunteers per year / organisation / project under the filters, the drill-downs). Every
query is registered in :data:`QUERIES` (the same :class:`core.dashboards.dashboard.Query` as the 领导驾驶舱's) with
the tables it reads: :func:`run` and :func:`drill` cache them (:mod:`core.platform.cache`) until one of those
tables is written.

Filters (:class:`core.dashboards.dashboard.Filters`; round and category do not apply here):

- **years**: contributions and volunteer service by their date's year in the window; venue utilisation over
  the window (1 January of ``year_from``, else of the window's last year, to the window's end: never past today);
- **community**: venues of the community, needs of the community, volunteer service that took place there;
  partners' contributions belong to no community (``Query.uses`` says which filters narrow a query);
- needs are counted as they stand now (the 需求动态跟踪 figures): the year range does not narrow them;
- **hubs**: venues and their bookings, needs, volunteers and their service, survey responses and publicity count
  for the filters' hubs (``Filters.hubs``; their own ``hub_id``, or their project's round's: migration 027,
  :mod:`core.resources.hubs`); partners' contributions for the hubs that recorded them (029,
  :mod:`core.resources.partners`).
"""
from __future__ import annotations

import datetime as dt

import pandas as pd

from core.dashboards.dashboard import DRILL_LIMIT, DrillRefused, Filters, Query, chosen, chosen_one_of
from core.platform import cache, snapshot
from core.platform.actor import Actor
from core.platform.db import get_db
from core.resources import bookings, needs, partners, publicity, surveys, volunteers
from core.resources import hubs as res_hubs
from schemas.columns import columns, label, money, number, ratio
from schemas.monitoring import Activity, Agreement
from schemas.partner import CONTINUITY, OFFERS, PARTNER_KINDS, Contribution, Partner
from schemas.publicity import MEDIA_REPORT
from schemas.survey import SATISFIED_FROM, SCALE, SurveyAnswer, SurveyQuestion, SurveyResponse
from schemas.volunteer import Volunteer, VolunteerService

IDLE_BELOW = 0.2  # a venue booked for less than this share of its open hours is idle (闲置)
FLAG_IDLE, FLAG_NO_HOURS, FLAG_OK = "闲置", "未登记开放时间", "正常"
INDIVIDUAL = "个人志愿者"  # a volunteer who serves with no organisation (as core.resources.volunteers names them)
NEED_SEGMENTS = {"met": needs.MET, "answered": "未满足·已有回应", "unanswered": "未满足·尚无回应"}
CONTINUITY_ORDER = ("once", "repeated", "agreement")  # 单次合作, 多次合作, 协议合作


# ---- the period of the utilisation figures -------------------------------------------------------------------
def period(f: Filters) -> tuple[dt.date, dt.date]:
    """The days the utilisation is computed over: 1 January of ``year_from`` (else of the window's last year)
    to the window's end (31 December of that year, or today)."""
    return dt.date(f.year_from if f.year_from is not None else f.last_year, 1, 1), f.end


def period_text(f: Filters) -> str:
    start, end = period(f)
    return f"{start:%Y-%m-%d} 至 {end:%Y-%m-%d}"


# ---- 资源: venues' utilisation ---------------------------------------------------------------------------------
_U = bookings.UTILISATION_COLUMNS
VENUE_COLUMNS = columns("name", "community", "weekly", "open_hours", "booked_hours", "bookings", "rate", "flag",
                        computed={**_U, "flag": "使用情况"})
COMMUNITY_USE_COLUMNS = columns(
    "community", "venues", "idle", "open_hours", "booked_hours", "bookings", "rate",
    computed={**_U, "venues": number("场地数"), "idle": number("闲置场地数")})


def venue_use(f: Filters, db) -> pd.DataFrame:
    """Per venue (of the community, if one is chosen) over :func:`period`: open hours, booked hours (approved
    bookings), bookings, the rate (:func:`core.resources.bookings.utilisation`) and a flag: 闲置 (rate below
    :data:`IDLE_BELOW`), 未登记开放时间 (no weekly hours, so no rate), else 正常. Lowest use first."""
    start, end = period(f)
    df = bookings.utilisation(start, end, community=f.community, hubs=f.hubs, db=db)
    df["flag"] = [FLAG_NO_HOURS if pd.isna(r) else FLAG_IDLE if r < IDLE_BELOW else FLAG_OK for r in df["rate"]]
    return df


def community_use(f: Filters, db) -> pd.DataFrame:
    """Per community with venues: venues, idle venues, open and booked hours and their ratio (booked ÷ open over
    the venues with declared hours)."""
    v = venue_use(f, db)
    if v.empty:
        return pd.DataFrame(columns=list(COMMUNITY_USE_COLUMNS))
    g = v.assign(idle=v["flag"] == FLAG_IDLE, counted=v["rate"].notna()).groupby("community", sort=True)
    out = g.agg(venues=("venue_id", "count"), idle=("idle", "sum"), open_hours=("open_hours", "sum"),
                booked_hours=("booked_hours", "sum"), bookings=("bookings", "sum")).reset_index()
    counted = v[v["rate"].notna()].groupby("community")["booked_hours"].sum()
    out["rate"] = [round(counted.get(c, 0.0) / o, 4) if o else None for c, o in zip(out["community"], out["open_hours"])]
    out["idle"] = out["idle"].astype(int)
    return out[list(COMMUNITY_USE_COLUMNS)].sort_values("rate", na_position="first", kind="stable") \
        .reset_index(drop=True)


BOOKING_DRILL_COLUMNS = columns("id", "item", "venue_community", "booking_date", "start_time", "end_time", "hours",
                                "org", "purpose", "project", "activity",
                                computed={**bookings.LIST_COLUMNS, "hours": number("预约时长(小时)"),
                                          "venue_community": _U["community"]})


def _drill_venues(f: Filters, sel: dict, db, limit: int) -> pd.DataFrame:
    """The approved bookings of the selected venue (``venue_id``) or community over :func:`period` (or of every
    venue the filters keep: ``all``)."""
    venue_id = sel.get("venue_id")
    if venue_id is None and not sel.get("community") and not sel.get("all"):
        raise DrillRefused("无法显示明细:请先在图表中选择一个场地或社区")
    return _approved(f, db, limit, venue_id=int(venue_id) if venue_id is not None else None,
                     community=sel.get("community") or f.community)


def _approved(f: Filters, db, limit: int, *, venue_id: int | None = None, community: str | None = None):
    """The approved venue bookings over :func:`period` (of a venue, of a community), with their hours."""
    start, end = period(f)
    df = bookings.bookings(state="approved", venue_id=venue_id, community=community, start=start, end=end,
                           hubs=f.hubs, db=db)
    df = df[df["venue_id"].notna()]
    minutes = lambda s: s.str.split(":").map(lambda p: int(p[0]) * 60 + int(p[1]))  # noqa: E731
    df = df.assign(hours=(minutes(df["end_time"]) - minutes(df["start_time"])) / 60)
    return df[list(BOOKING_DRILL_COLUMNS)].head(limit).reset_index(drop=True)


# ---- 合作伙伴: contributions, non-government money, continuity ----------------------------------------------------
_YEAR = partners.YEAR_COLUMNS["year"]
CONTRIBUTION_TOTAL = money("折合价值合计(元)")  # money + the estimated value of other contributions (as partners declares)
KIND_COLUMNS = columns("year", "kind", "contributions", "value", of=Contribution,
                       computed={"year": _YEAR, "contributions": partners.YEAR_COLUMNS["contributions"],
                                 "value": CONTRIBUTION_TOTAL})
SOURCE_COLUMNS = columns("year", "source", "contributions", "value",
                         computed={**KIND_COLUMNS, "source": label("kind", of=Partner)})
SHARE_COLUMNS = partners.YEAR_COLUMNS.pick("year", "money", "non_gov_money", "non_gov_share", "partners", "returning")
# the two parts of a year's money in the chart (non-government as declared above, the rest government money)
SHARE_PART_COLUMNS = columns("part", "gov_money", "amount",
                             computed={"part": "资金来源", "gov_money": money("政府部门资金(元)")})
CONTINUITY_YEAR_COLUMNS = columns(
    "year", "continuity", "partners", "share", "contributions", "money",
    computed={"year": _YEAR, "continuity": partners.CONTINUITY_COLUMNS["continuity"],
              "partners": partners.YEAR_COLUMNS["partners"], "share": ratio("占当年贡献伙伴"),
              "contributions": partners.YEAR_COLUMNS["contributions"], "money": partners.YEAR_COLUMNS["money"]})


def _in_window(df: pd.DataFrame, f: Filters) -> pd.DataFrame:
    """The rows of a frame with a text ``year`` (the partners' yearly frames) inside the window, ``year`` as int."""
    lo, hi = f.window
    if df.empty:
        return df.assign(year=pd.Series(dtype="int64"))
    df = df.assign(year=df["year"].astype(int))
    return df[(df["year"] >= lo) & (df["year"] <= hi)].reset_index(drop=True)


def _reader(f: Filters) -> Actor | None:
    """The reader whose hubs are the filters' (:mod:`core.resources.partners` counts a reader's hubs'
    contributions); None for every hub."""
    if f.hubs is None:
        return None
    return Actor("dashboard", ("leader",), hub_id=f.hubs[0] if f.hubs else -1, scope=frozenset(f.hubs))


def _long(wide: pd.DataFrame, kinds: list[str], name: str) -> pd.DataFrame:
    """A pivot of :func:`core.resources.partners.by_year_and_kind` (``X(次)``, ``X(元)`` per kind) as rows: year, the
    kind under ``name``, contributions, value; the kinds in their declared order (``seq``)."""
    rows = [{"year": y, name: k, "seq": i, "contributions": int(r[f"{k}(次)"]), "value": float(r[f"{k}(元)"])}
            for y, r in zip(wide["year"], wide.to_dict("records")) for i, k in enumerate(kinds)]
    df = pd.DataFrame(rows, columns=["year", name, "seq", "contributions", "value"])
    return df[df["contributions"] > 0].reset_index(drop=True)


def contributions_by_kind(f: Filters, db) -> pd.DataFrame:
    """Per year (in the window) and contribution kind (资金, 场地, …): contributions and their value (money +
    estimated value), from :func:`core.resources.partners.by_year_and_kind`."""
    return _long(_in_window(partners.by_year_and_kind(db, actor=_reader(f)), f), list(OFFERS), "kind")


def contributions_by_source(f: Filters, db) -> pd.DataFrame:
    """Per year and partner kind (企业, 基金会, 政府部门, …), from :func:`core.resources.partners.by_year_and_partner_kind`."""
    return _long(_in_window(partners.by_year_and_partner_kind(db, actor=_reader(f)), f), list(PARTNER_KINDS), "source")


def non_gov_share(f: Filters, db) -> pd.DataFrame:
    """Per year: the money contributed, the part that is not government money and its share
    (:func:`core.resources.partners.by_year`)."""
    df = _in_window(partners.by_year(db, actor=_reader(f)), f)
    return df[list(SHARE_COLUMNS)]


_CONTINUITY_SQL = """
WITH c AS (SELECT c.id, c.partner_id, year(c.contributed_on) AS y, c.amount FROM partner_contributions c WHERE {mine}),
     py AS (SELECT DISTINCT partner_id, y FROM c),
     seen AS (SELECT a.partner_id, a.y, count(b.y) AS years_so_far FROM py a JOIN py b
              ON b.partner_id = a.partner_id AND b.y <= a.y GROUP BY a.partner_id, a.y),
     cls AS (SELECT s.partner_id, s.y,
             CASE WHEN p.agreement AND coalesce(year(p.agreement_start), 0) <= s.y
                       AND (p.agreement_end IS NULL OR year(p.agreement_end) >= s.y) THEN 'agreement'
                  WHEN s.years_so_far >= 2 THEN 'repeated' ELSE 'once' END AS cls
             FROM seen s JOIN partners p ON p.id = s.partner_id)"""


def _continuity(f: Filters, params: list) -> str:
    """:data:`_CONTINUITY_SQL` over the contributions recorded by the filters' hubs (its values added to
    ``params``: the statement's first placeholders)."""
    return _CONTINUITY_SQL.replace("{mine}", res_hubs.within("c.hub_id", params, f.hubs))


def continuity_by_year(f: Filters, db) -> pd.DataFrame:
    """Per year in the window: the partners who contributed that year by their continuity up to that year —
    协议合作 (an agreement running that year), 多次合作 (contributions in two or more different years so far),
    单次合作 (the first year they contributed) — as in :func:`core.resources.partners.continuity`, counted year by
    year so the share of one-off partners shows its trend; with their contributions and money that year."""
    lo, hi = f.window
    labels = " ".join(f"WHEN '{k}' THEN '{CONTINUITY[k]}'" for k in CONTINUITY_ORDER)
    order = " ".join(f"WHEN '{k}' THEN {i}" for i, k in enumerate(CONTINUITY_ORDER))
    params: list = []
    cte = _continuity(f, params)
    return db.fetch_df(
        f"{cte} SELECT CAST(cls.y AS INTEGER) AS year, cls.cls, CASE cls.cls {labels} END AS continuity,"
        f" CASE cls.cls {order} END AS seq, count(DISTINCT cls.partner_id) AS partners,"
        " round(count(DISTINCT cls.partner_id) / sum(count(DISTINCT cls.partner_id)) OVER (PARTITION BY cls.y), 4)"
        "  AS share, count(c.id) AS contributions, CAST(coalesce(sum(c.amount), 0) AS DOUBLE) AS money"
        " FROM cls JOIN c ON c.partner_id = cls.partner_id AND c.y = cls.y WHERE cls.y BETWEEN ? AND ?"
        " GROUP BY cls.y, cls.cls ORDER BY year, seq", [*params, lo, hi])


CONTRIBUTION_DRILL_COLUMNS = partners.CONTRIBUTION_COLUMNS.without("claim_id")
_CONTRIBUTIONS_SQL = (
    "SELECT c.id, c.contributed_on, p.name AS partner, p.kind AS partner_kind, c.kind,"
    " CAST(c.amount AS DOUBLE) AS amount, c.description, CAST(c.estimated_value AS DOUBLE) AS estimated_value,"
    " pr.agreement_no || ' ' || a.title AS project"
    " FROM partner_contributions c JOIN partners p ON p.id = c.partner_id"
    " LEFT JOIN projects pr ON pr.id = c.project_id LEFT JOIN applications a ON a.id = pr.application_id")


def _contributions(f: Filters, db, limit: int, *, year=None, kind=None, source=None, money_only=False,
                   continuity=None) -> pd.DataFrame:
    lo, hi = f.window
    where, params = ["year(c.contributed_on) BETWEEN ? AND ?"], [lo, hi]
    for cond, value in (("year(c.contributed_on) = ?", None if year is None else int(year)), ("c.kind = ?", kind),
                        ("p.kind = ?", source)):
        if value is not None:
            where.append(cond)
            params.append(value)
    if money_only:
        where.append("c.amount IS NOT NULL")
    where.append(res_hubs.within("c.hub_id", params, f.hubs))  # recorded by the filters' hubs
    sql = _CONTRIBUTIONS_SQL
    if continuity is not None:
        first: list = []
        cte = _continuity(f, first)
        params = [*first, *params]
        sql = (f"{cte} SELECT q.* FROM ({_CONTRIBUTIONS_SQL.replace('SELECT c.id,', 'SELECT c.id, c.partner_id,', 1)}"
               f" WHERE {' AND '.join(where)}) q JOIN cls ON cls.partner_id = q.partner_id"
               " AND cls.y = year(q.contributed_on) WHERE cls.cls = ?")
        params.append(continuity)
        return db.fetch_df(f"{sql} ORDER BY q.contributed_on DESC, q.id DESC LIMIT ?", [*params, limit]) \
            .drop(columns="partner_id")
    return db.fetch_df(f"{sql} WHERE {' AND '.join(where)} ORDER BY c.contributed_on DESC, c.id DESC LIMIT ?",
                       [*params, limit])


def _drill_kind(f: Filters, sel: dict, db, limit: int) -> pd.DataFrame:
    return _contributions(f, db, limit, year=chosen(sel, "year"), kind=chosen_one_of(sel, "kind", OFFERS))


def _drill_source(f: Filters, sel: dict, db, limit: int) -> pd.DataFrame:
    return _contributions(f, db, limit, year=chosen(sel, "year"), source=chosen_one_of(sel, "source", PARTNER_KINDS))


def _drill_share(f: Filters, sel: dict, db, limit: int) -> pd.DataFrame:
    """The money contributions of the selected year (or of the whole window: ``all``)."""
    return _contributions(f, db, limit, year=None if sel.get("all") else chosen(sel, "year"), money_only=True)


def _drill_continuity(f: Filters, sel: dict, db, limit: int) -> pd.DataFrame:
    return _contributions(f, db, limit, year=chosen(sel, "year"), continuity=chosen_one_of(sel, "cls", CONTINUITY_ORDER))


# ---- 需求: covered vs open per community ----------------------------------------------------------------------
NEEDS_COLUMNS = needs.COMMUNITY_COLUMNS
NEED_DRILL_COLUMNS = needs.NEED_COLUMNS.without("status_on")
# the chart's segments of a community's needs (NEED_SEGMENTS): which segment, how many needs in it
SEGMENT_COLUMNS = columns("segment_label", "needs", computed={"segment_label": "满足情况", "needs": number("需求数")})


def needs_coverage(f: Filters, db) -> pd.DataFrame:
    """Per community (every community, or the chosen one): needs recorded, met, partly met, open, open with no
    answer yet, the longest wait (:func:`core.resources.needs.by_community`, as they stand at the window's end
    day); plus ``answered`` = open with an answer linked."""
    df = needs.by_community(f.today, db, f.hubs)
    if f.community:
        df = df[df["community"] == f.community].reset_index(drop=True)
    return df.assign(answered=df["open"] - df["unanswered"])


_ANSWERED = "EXISTS (SELECT 1 FROM need_links l WHERE l.need_id = n.id)"
_SEGMENT_SQL = {"met": f"n.status = '{needs.MET}'",
                "answered": f"n.status <> '{needs.MET}' AND {_ANSWERED}",
                "unanswered": f"n.status <> '{needs.MET}' AND NOT {_ANSWERED}"}


def _drill_needs(f: Filters, sel: dict, db, limit: int) -> pd.DataFrame:
    """The needs of a community in one segment (已满足 / 未满足·已有回应 / 未满足·尚无回应), or all of them; with ``all``
    the needs of every community the filter keeps (``all`` = 1, "open" or "unanswered")."""
    if sel.get("all"):  # every need the community filter keeps: all of them, the open ones, the unanswered ones
        return _needs(f, db, limit, f.community, _OPEN_SQL.get(chosen_one_of(sel, "all", (1, *_OPEN_SQL))))
    community = chosen(sel, "community")
    segment = None if sel.get("segment") is None else _SEGMENT_SQL[chosen_one_of(sel, "segment", _SEGMENT_SQL)]
    return _needs(f, db, limit, community, segment)


_OPEN_SQL = {"open": f"n.status <> '{needs.MET}'", "unanswered": _SEGMENT_SQL["unanswered"]}


def _needs(f: Filters, db, limit: int, community: str | None, condition: str | None) -> pd.DataFrame:
    params: list = []
    where = [res_hubs.within("n.hub_id", params, f.hubs)]
    if community:
        where.append("n.community = ?")
        params.append(community)
    if condition:
        where.append(condition)
    return db.fetch_df(
        "SELECT n.id, n.title, n.community, n.target_group, n.urgency, n.status,"
        " (SELECT count(*) FROM need_links l WHERE l.need_id = n.id) AS answers, n.surveyed_on"
        f" FROM community_needs n WHERE {' AND '.join(where)} ORDER BY n.surveyed_on, n.id LIMIT ?", [*params, limit])


# ---- 志愿者: volunteers and hours per year, organisation, project ----------------------------------------------------
_VT = volunteers
VOLUNTEER_COLUMNS = columns(
    "year", "org", "project", "agreement_no", "volunteers", "activities", "hours", of=Agreement,
    computed={"year": "年度", "org": _VT.BY_ORG["org"], "project": _VT.BY_PROJECT["project"],
              "volunteers": _VT.PEOPLE, "activities": _VT.ACTS, "hours": _VT.HOURS})


def _service_where(f: Filters) -> tuple[str, list]:
    lo, hi = f.window
    where, params = ["year(x.activity_date) BETWEEN ? AND ?"], [lo, hi]
    if f.community:
        where.append("x.community = ?")
        params.append(f.community)
    where.append(res_hubs.within("v.hub_id", params, f.hubs))  # the volunteers of the filters' hubs
    return " AND ".join(where), params


def volunteer_figures(f: Filters, db) -> pd.DataFrame:
    """Volunteers (distinct people), activities and hours of service in the window (where the service took place:
    the activity's community), grouped in one statement: 'year', 'org' (the organisation the
    volunteer serves with, 个人志愿者 for none), 'project' (agreement number and title) or 'total' (one row: the
    whole window, each volunteer counted once), in the column ``dim``."""
    where, params = _service_where(f)
    return db.fetch_df(
        "SELECT CASE WHEN GROUPING(y) = 0 THEN 'year' WHEN GROUPING(org) = 0 THEN 'org'"
        " WHEN GROUPING(project) = 0 THEN 'project' ELSE 'total' END AS dim,"
        " CAST(y AS INTEGER) AS year, org, project, agreement_no, count(DISTINCT volunteer_id) AS volunteers,"
        " count(DISTINCT activity_id) AS activities, CAST(sum(hours) AS DOUBLE) AS hours FROM ("
        "  SELECT year(x.activity_date) AS y, coalesce(o.name, ?) AS org, ap.title AS project, p.agreement_no,"
        "  s.volunteer_id, s.activity_id, s.hours FROM volunteer_services s JOIN activities x ON x.id = s.activity_id"
        "  JOIN volunteers v ON v.id = s.volunteer_id LEFT JOIN organisations o ON o.id = v.org_id"
        "  JOIN projects p ON p.id = x.project_id JOIN applications ap ON ap.id = p.application_id"
        f"  WHERE {where}) t GROUP BY GROUPING SETS ((y), (org), (project, agreement_no), ())"
        " ORDER BY dim, year, hours DESC, org, agreement_no", [INDIVIDUAL, *params])


SERVICE_DRILL_COLUMNS = columns(
    "activity_date", "community", "title", "project", "name", "org", "hours", "role",
    of=(VolunteerService, Activity),
    computed={**_VT.SERVICE_COLUMNS, "community": label("community", of=Activity),
              "project": _VT.BY_PROJECT["project"], "org": label("org_id", of=Volunteer)})


def _drill_volunteers(f: Filters, sel: dict, db, limit: int) -> pd.DataFrame:
    """The service records behind a year, an organisation or a project (or all of them: ``all``)."""
    where, params = _service_where(f)
    if sel.get("year") is not None:
        where += " AND year(x.activity_date) = ?"
        params.append(int(sel["year"]))
    elif sel.get("org") is not None:
        where += " AND coalesce(o.name, ?) = ?"
        params += [INDIVIDUAL, sel["org"]]
    elif sel.get("agreement_no") is not None:
        where += " AND p.agreement_no = ?"
        params.append(sel["agreement_no"])
    elif not sel.get("all"):
        raise DrillRefused("无法显示明细:请先在图表中选择一项")
    return db.fetch_df(
        "SELECT x.activity_date, x.community, x.title, ap.title AS project, v.name, coalesce(o.name, ?) AS org,"
        " s.hours, s.role FROM volunteer_services s JOIN activities x ON x.id = s.activity_id"
        " JOIN volunteers v ON v.id = s.volunteer_id LEFT JOIN organisations o ON o.id = v.org_id"
        " JOIN projects p ON p.id = x.project_id JOIN applications ap ON ap.id = p.application_id"
        f" WHERE {where} ORDER BY x.activity_date DESC, s.id DESC LIMIT ?", [INDIVIDUAL, *params, limit])


# ---- 满意度: satisfaction per category ----------------------------------------------------------------------------
SATISFACTION_COLUMNS = surveys.CATEGORY_COLUMNS


def satisfaction(f: Filters, db) -> pd.DataFrame:
    """Per satisfaction category: projects, responses, 1–5 answers, average score and 满意率 (share of answers of
    4–5) of the responses dated in the window (:func:`core.resources.surveys.satisfaction_by_category`)."""
    return surveys.satisfaction_by_category(db, f.year_from, f.last_year, hubs=f.hubs)


ANSWER_DRILL_COLUMNS = columns(
    "response_id", "response_date", "community", "agreement_no", "project", "text", "score", "satisfied",
    of=(SurveyResponse, SurveyQuestion, SurveyAnswer, Agreement),
    computed={"project": label("project_id", of=SurveyResponse), "satisfied": f"满意({SATISFIED_FROM}–5分)"})


def _drill_satisfaction(f: Filters, sel: dict, db, limit: int) -> pd.DataFrame:
    """The 1–5 answers of a category (responses dated in the window), with their response, project and question."""
    category = chosen(sel, "category")
    params: list = [SCALE, category, *f.window]
    mine = res_hubs.projects_within("r.project_id", params, f.hubs)
    return db.fetch_df(
        "SELECT r.id AS response_id, r.response_date, r.community, p.agreement_no, ap.title AS project, q.text, a.score,"
        f" CASE WHEN a.score >= {SATISFIED_FROM} THEN '是' ELSE '否' END AS satisfied"
        " FROM survey_answers a JOIN survey_responses r ON r.id = a.response_id"
        " JOIN survey_questions q ON q.id = a.question_id JOIN projects p ON p.id = r.project_id"
        " JOIN applications ap ON ap.id = p.application_id"
        f" WHERE q.kind = ? AND q.category = ? AND year(r.response_date) BETWEEN ? AND ? AND {mine}"
        " ORDER BY r.response_date DESC, r.id DESC, q.seq LIMIT ?", [*params, limit])


# ---- 宣传: publicity per brand ------------------------------------------------------------------------------------
PUBLICITY_COLUMNS = publicity.REACH_COLUMNS
PUBLICITY_MEASURES = ("posts", "media")  # the two bars of a brand: 发布信息, 媒体报道 (their labels: publicity.REACH)
PUBLICITY_DRILL_COLUMNS = publicity.RECORD_COLUMNS
# the chart's bars of a brand: which measure, how many records
PUBLICITY_PART_COLUMNS = columns("measure_label", "items", computed={"measure_label": "宣传类别", "items": number("篇数")})


def publicity_reach(f: Filters, db) -> pd.DataFrame:
    """Per brand (核心品牌 first): posts, media reports (all and per level) and reads of the records published in
    the window (:func:`core.resources.publicity.reach_by_brand`)."""
    return publicity.reach_by_brand(db, f.year_from, f.last_year, hubs=f.hubs)


def _drill_publicity(f: Filters, sel: dict, db, limit: int) -> pd.DataFrame:
    """The records a brand counts in the window (:func:`core.resources.publicity.of_brand`): its media reports, or
    its posts (every other kind), or all of them."""
    brand_id = int(chosen(sel, "brand_id"))
    measure = sel.get("measure")
    if measure is not None:
        chosen_one_of(sel, "measure", PUBLICITY_MEASURES)
    if measure == "media":
        return publicity.of_brand(brand_id, db, f.year_from, f.last_year, kind=MEDIA_REPORT, limit=limit, hubs=f.hubs)
    rows = publicity.of_brand(brand_id, db, f.year_from, f.last_year, limit=limit, hubs=f.hubs)
    return (rows[rows["kind"] != MEDIA_REPORT] if measure == "posts" else rows).reset_index(drop=True)


# ---- the registry ----------------------------------------------------------------------------------------------
_VENUES = ("bookings", "venues")
_BOOKING_LIST = bookings.TABLES
_PARTNERS = partners.TABLES
_CONTRIB_DRILL = ("projects", "applications")
_NEEDS = ("community_needs", "need_links", "communities")
_SERVICE = ("volunteer_services", "volunteers", "activities", "organisations", "projects", "applications")
_YEARS = ("years",)

QUERIES: dict[str, Query] = {q.name: q for q in (
    Query("res_venue_use", "各场地使用率", _VENUES, venue_use, _drill_venues, uses=("years", "community"),
          drill_reads=_BOOKING_LIST, columns=VENUE_COLUMNS, drill_columns=BOOKING_DRILL_COLUMNS),
    Query("res_community_use", "各社区场地使用率", _VENUES, community_use, _drill_venues,
          uses=("years", "community"), drill_reads=_BOOKING_LIST, columns=COMMUNITY_USE_COLUMNS,
          drill_columns=BOOKING_DRILL_COLUMNS),
    Query("res_by_kind", "按贡献类型", _PARTNERS, contributions_by_kind, _drill_kind, uses=_YEARS,
          drill_reads=_CONTRIB_DRILL, columns=KIND_COLUMNS, drill_columns=CONTRIBUTION_DRILL_COLUMNS),
    Query("res_by_source", "按伙伴类型", _PARTNERS, contributions_by_source, _drill_source, uses=_YEARS,
          drill_reads=_CONTRIB_DRILL, columns=SOURCE_COLUMNS, drill_columns=CONTRIBUTION_DRILL_COLUMNS),
    Query("res_non_gov", "非政府资金占比", _PARTNERS, non_gov_share, _drill_share, uses=_YEARS,
          drill_reads=_CONTRIB_DRILL, columns=SHARE_COLUMNS, drill_columns=CONTRIBUTION_DRILL_COLUMNS),
    Query("res_continuity", "合作持续性(逐年)", _PARTNERS, continuity_by_year, _drill_continuity, uses=_YEARS,
          drill_reads=_CONTRIB_DRILL, columns=CONTINUITY_YEAR_COLUMNS, drill_columns=CONTRIBUTION_DRILL_COLUMNS),
    Query("res_needs", "各社区需求满足情况", _NEEDS, needs_coverage, _drill_needs, uses=("community",),
          columns=NEEDS_COLUMNS, drill_columns=NEED_DRILL_COLUMNS),
    Query("res_satisfaction", "各类别满意度", surveys.TABLES, satisfaction, _drill_satisfaction, uses=_YEARS,
          drill_reads=("projects", "applications"), columns=SATISFACTION_COLUMNS, drill_columns=ANSWER_DRILL_COLUMNS),
    Query("res_publicity", "各品牌宣传", publicity.TABLES, publicity_reach, _drill_publicity, uses=_YEARS,
          drill_reads=("applications",), columns=PUBLICITY_COLUMNS, drill_columns=PUBLICITY_DRILL_COLUMNS),
    Query("res_volunteers", "志愿者与服务时长", _SERVICE, volunteer_figures, _drill_volunteers,
          uses=("years", "community"), columns=VOLUNTEER_COLUMNS, drill_columns=SERVICE_DRILL_COLUMNS),
)}


def query(name: str) -> Query:
    if name not in QUERIES:
        raise KeyError(f"unknown resources dashboard query {name!r}")
    return QUERIES[name]


def run(name: str, filters: Filters | None = None, db=None) -> pd.DataFrame:
    """The named query's frame, from the cache unless one of its tables was written since."""
    q = query(name)
    db = snapshot.analytics_db(db)  # with HUBDESK_ANALYTICS=snapshot on PostgreSQL: the DuckDB copy
    f = (filters or Filters()).resolved()
    return cache.cached(f"res-dash:{name}", f, q.tables, lambda: q.fn(f, db), db)


def drill(name: str, filters: Filters | None, selection: dict, db=None, *, limit: int = DRILL_LIMIT) -> pd.DataFrame:
    """The records behind one chart selection (the chart's fields, e.g. ``{"year": 2024, "kind": "资金"}``) under the
    same filters; at most ``limit`` rows, newest first."""
    q = query(name)
    db = snapshot.analytics_db(db)
    f = (filters or Filters()).resolved()
    sel = {k: v for k, v in (selection or {}).items() if v is not None and v == v}  # v == v: not NaN
    key = (f, tuple(sorted((k, str(v)) for k, v in sel.items())), limit)
    return cache.cached(f"res-dash:drill:{name}", key, q.drill_tables,
                        lambda: q.drill(f, sel, db, limit), db, large=True)


# ---- the headline figures ------------------------------------------------------------------------------------
# key -> (section, label): the tiles of 资源与需求总览 and 数据总览, and the rows of its 指标明细
HEADLINE: dict[str, tuple[str, str]] = {
    "venues": ("资源", "场地数(个)"), "idle": ("资源", "闲置场地(个)"), "rate": ("资源", "场地使用率"),
    "money": ("合作伙伴", "伙伴资金(万元)"), "non_gov_share": ("合作伙伴", "非政府资金占比"),
    "once_share": ("合作伙伴", "单次合作伙伴占比"),
    "needs_total": ("需求", "需求总数(项)"), "needs_open": ("需求", "未满足(项)"),
    "needs_unanswered": ("需求", "其中尚无回应(项)"),
    "volunteers": ("志愿者", "服务志愿者(人)"), "hours": ("志愿者", label("hours", of=VolunteerService)),
    "services": ("志愿者", "服务活动(场)"),
}
HEADLINE_COLUMNS = columns("section", "label", "shown", computed={"section": "板块", "label": "指标", "shown": "数值"})


def headline(f: Filters | None = None, db=None) -> dict[str, float | int | None]:
    """The section tiles' figures, from the cached queries above: venues, idle venues, the overall rate; money
    contributed and its non-government share; the share of one-off partners in the last year with contributions
    (``last_year``); needs, open and with no answer; volunteers, hours and activities."""
    v = run("res_venue_use", f, db)
    counted = v[v["rate"].notna()]
    share = run("res_non_gov", f, db)
    cont = run("res_continuity", f, db)
    last = cont[cont["year"] == cont["year"].max()] if not cont.empty else cont
    n = run("res_needs", f, db)
    vol = run("res_volunteers", f, db)
    total = vol[vol["dim"] == "total"]
    money_sum = float(share["money"].sum()) if not share.empty else 0.0
    return {
        "venues": int(len(v)), "idle": int((v["flag"] == FLAG_IDLE).sum()),
        "rate": (float(counted["booked_hours"].sum()) / float(counted["open_hours"].sum())
                 if len(counted) and counted["open_hours"].sum() else None),
        "money": money_sum,
        "non_gov_share": (float(share["non_gov_money"].sum()) / money_sum) if money_sum else None,
        "last_year": int(cont["year"].max()) if not cont.empty else None,
        "once_share": (float(last.loc[last["cls"] == "once", "partners"].sum()) / float(last["partners"].sum())
                       if len(last) else None),
        "needs_open": int(n["open"].sum()), "needs_unanswered": int(n["unanswered"].sum()),
        "needs_total": int(n["total"].sum()),
        "volunteers": int(total["volunteers"].sum()), "hours": float(total["hours"].fillna(0).sum()),
        "services": int(total["activities"].sum()),
    }


# key -> the query and the selection whose drill-down lists the records behind the headline figure
_HEADLINE_DRILLS = {
    "rate": ("res_venue_use", {"all": 1}),
    "money": ("res_non_gov", {"all": 1}), "non_gov_share": ("res_non_gov", {"all": 1}),
    "needs_total": ("res_needs", {"all": 1}), "needs_open": ("res_needs", {"all": "open"}),
    "needs_unanswered": ("res_needs", {"all": "unanswered"}),
    **{k: ("res_volunteers", {"all": 1}) for k in ("volunteers", "hours", "services")},
}


def headline_drill(key: str, f: Filters | None = None, db=None, *, limit: int = DRILL_LIMIT) -> pd.DataFrame:
    """The records behind one headline figure (same filters): the venues (all, or the idle ones), the approved
    bookings, the money contributions, the last year's contributions of one-off partners, the needs (all, open,
    unanswered), the volunteer service records. Its columns: :data:`HEADLINE_DRILL_COLUMNS` ``[key]``."""
    if key not in HEADLINE:
        raise DrillRefused(f"无法显示明细:未知的选择 {key!r}")
    f = (f or Filters()).resolved()
    if key in ("venues", "idle"):
        v = run("res_venue_use", f, db)
        return (v[v["flag"] == FLAG_IDLE] if key == "idle" else v).reset_index(drop=True)
    if key == "once_share":
        year = headline(f, db)["last_year"]
        if year is None:
            return pd.DataFrame(columns=list(CONTRIBUTION_DRILL_COLUMNS))
        return drill("res_continuity", f, {"year": year, "cls": "once"}, db, limit=limit)
    name, selection = _HEADLINE_DRILLS[key]
    return drill(name, f, selection, db, limit=limit)


HEADLINE_DRILL_COLUMNS = {
    **{k: VENUE_COLUMNS for k in ("venues", "idle")}, "rate": BOOKING_DRILL_COLUMNS,
    **{k: CONTRIBUTION_DRILL_COLUMNS for k in ("money", "non_gov_share", "once_share")},
    **{k: NEED_DRILL_COLUMNS for k in ("needs_total", "needs_open", "needs_unanswered")},
    **{k: SERVICE_DRILL_COLUMNS for k in ("volunteers", "hours", "services")},
}
