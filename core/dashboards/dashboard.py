"""领导驾驶舱: the dashboard's named queries, each aggregated in SQL and cached until a table it reads
is written (:mod:`core.platform.cache`).

Every query is a function ``(filters, db) -> DataFrame`` registered in :data:`QUERIES` with the tables
it reads; :func:`run` is the only way screens (and ``bench/``) call them, and :func:`drill` returns the
records behind one KPI or one chart selection under the same filters. Nothing here knows a figure of
the demo data: every number comes from the database.

Time window (:class:`Filters`):

- ``year_to`` (default: the current year) closes the window, ``year_from`` (default: none) opens it;
  the window never reaches past ``today``.
- **Flow** figures add up what happened inside the window: projects funded and money granted by the
  round's year, money disbursed by the release date, activities and person-times by the activity
  date, trainings and their person-times by the training date.
- **Stock** figures are counted at the window's end (31 December of ``year_to``, or today): organisations
  registered (active, registered by then), incubated ever (入壳 by then), in the incubator (入壳 by
  then and not yet 出壳), professional organisations brought in (引进 by then), ratings valid then (the
  organisation's latest rating by then, not yet expired).
- **Previous** (the change shown beside a KPI): the same figure for the window moved back one year
  (flows), or at the end of the previous year (stocks). With a round chosen, round-based figures have
  no previous value (a round belongs to one year).

Filters ``round_id``/``category`` narrow application- and project-based figures; ``community``
narrows organisations (their community), activities (where they took place), applications and
projects (the communities they serve), trainings (attendance by organisations of the community). The hubs kept
(``Filters.hubs``) narrow what belongs to an organisation by the organisation's hub, a training by the hub that
organised it (``trainings.hub_id``: a district's training counts at the district, with all its sign-ins) and the
communities by their hub.
``Query.uses`` lists the filters that narrow a query (the screens say which ones it ignores).
"""
from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass, field
from typing import Callable, Mapping

import pandas as pd

from core.monitoring import risks
from core.orgs import hubs as hub_tree
from core.platform import cache, snapshot
from core.platform.actor import DEFAULT_HUB, acting
from core.platform.db import get_db
from core.platform.errors import HubError
from core.resources import publicity
from schemas import choices
from schemas.application import Application, Decision
from schemas.capability import InstrumentRow, Training
from schemas.columns import Columns, columns, label, number, percent
from schemas.hub import HUB_LEVELS
from schemas.incubation import Rating
from schemas.monitoring import Activity, Agreement, Brand, Release
from schemas.organisation import Organisation
from schemas.round import Round

YEAR_MIN = 1  # an open window starts here
DRILL_LIMIT = 5000  # most records a drill-down returns (newest first)
LOW_SERVICE_SHARE = 0.5  # a community serving fewer person-times than this share of the median is flagged
FUNNEL_PATH = ("draft", "submitted", "screening", "eligible", "under_review", "reviewed", "recommended",
               "public_notice", "funded")
SOURCES = {"government": "政府资助(公益创投)", "self": "自筹资金", "enterprise": "企业支持", "donation": "基金会及捐赠"}
FLAG_NONE, FLAG_LOW = "无服务", "服务偏少"


class FiltersRefused(HubError):
    """A filter combination that cannot be shown (e.g. a year range running backwards)."""


class DrillRefused(HubError):
    """A drill-down asked for something the query does not have."""


# ---- filters ------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Filters:
    year_from: int | None = None
    year_to: int | None = None
    round_id: int | None = None
    category: str | None = None
    community: str | None = None
    today: dt.date | None = None  # None: date.today() (resolved before caching, so the key holds the day)
    # the hubs whose records count (:func:`hub_filters`: the signed-in user's scope, or the chosen hub and the hubs
    # below it within that scope); None: every hub (the system, a core caller). Part of every cache key.
    hubs: tuple[int, ...] | None = None
    hub: int | None = None  # the hub chosen in the 枢纽 filter (None: 全部), for the captions

    def resolved(self) -> "Filters":
        """The same filters with ``today`` set and checked."""
        f = self if self.today is not None else dataclasses.replace(self, today=dt.date.today())
        if f.year_from is not None and f.year_to is not None and f.year_from > f.year_to:
            raise FiltersRefused("起始年份不能晚于结束年份")
        if f.hubs is not None and f.hubs != tuple(sorted(set(f.hubs))):
            f = dataclasses.replace(f, hubs=tuple(sorted(set(f.hubs))))
        return f

    @property
    def unhubbed(self) -> bool:
        """Do the records that belong to no hub yet count (partners; all of them the default hub's, 下沙 in the
        demo)? Only when the default hub is among ``hubs``."""
        return self.hubs is None or DEFAULT_HUB in self.hubs

    @property
    def last_year(self) -> int:
        today = self.today or dt.date.today()
        return min(self.year_to, today.year) if self.year_to is not None else today.year

    @property
    def window(self) -> tuple[int, int]:
        """(first year, last year) of the flow window."""
        return (self.year_from if self.year_from is not None else YEAR_MIN), self.last_year

    @property
    def previous_window(self) -> tuple[int, int]:
        lo, hi = self.window
        return (lo - 1 if self.year_from is not None else YEAR_MIN), hi - 1

    @property
    def end(self) -> dt.date:
        """The day stock figures are counted at."""
        today = self.today or dt.date.today()
        return min(dt.date(self.last_year, 12, 31), today)

    @property
    def previous_end(self) -> dt.date:
        return dt.date(self.last_year - 1, 12, 31)

    def describe(self) -> str:
        """The window and filters in words (for captions and exports)."""
        lo, hi = self.window
        parts = [f"{lo}–{hi}年" if self.year_from is not None else f"截至{hi}年"]
        if self.round_id is not None:
            parts.append(f"批次编号 {self.round_id}")
        if self.category:
            parts.append(self.category)
        if self.community:
            parts.append(self.community)
        return " · ".join(parts)


# The filter bar's labels: a filter reads like the column it narrows (创投批次 and 项目类别 as everywhere)
FILTER_LABELS = columns("year_from", "year_to", "round", "category", "community", of=Application,
                        computed={"year_from": "起始年份", "year_to": "结束年份", "community": "社区"})


# ---- SQL helpers --------------------------------------------------------------------------------------
class _Where:
    """AND-joined conditions with their parameters, in order."""

    def __init__(self):
        self.parts: list[str] = []
        self.params: list = []

    def add(self, sql: str, *params) -> "_Where":
        self.parts.append(sql)
        self.params.extend(params)
        return self

    def sql(self, lead: str = "WHERE") -> str:
        return f" {lead} " + " AND ".join(self.parts) if self.parts else ""

    def hubs(self, f: Filters, org_id: str) -> "_Where":
        """THE hub predicate: keep a row whose organisation (``org_id``, the column naming it) belongs to one of
        ``f.hubs``. An application, a project, its activities and tranches are their organisation's hub's."""
        if f.hubs is not None:
            marks = ", ".join("?" for _ in f.hubs)
            self.add(f"{org_id} IN (SELECT id FROM organisations WHERE hub_id IN ({marks}))" if f.hubs else "false",
                     *f.hubs)
        return self

    def own_hub(self, f: Filters, column: str) -> "_Where":
        """Keep a row of a table with its own hub column (``column``: trainings, communities) of one of ``f.hubs``."""
        if f.hubs is not None:
            self.add(f"{column} IN ({', '.join('?' for _ in f.hubs)})" if f.hubs else "false", *f.hubs)
        return self

    def unhubbed(self, f: Filters) -> "_Where":
        """Keep the rows of a table without a hub (brands, ...) only where :attr:`Filters.unhubbed`."""
        if not f.unhubbed:
            self.add("false")
        return self


def hub_condition(hubs: tuple[int, ...] | None, org_id: str) -> tuple[str, list]:
    """:meth:`_Where.hubs` as one SQL condition and its parameters (``true`` for every hub), for other modules."""
    w = _Where().hubs(Filters(hubs=hubs), org_id)
    return (" AND ".join(w.parts) or "true"), w.params


def hub_filters(scope: tuple[int, ...] | None, hub: int | None, db=None) -> tuple[int, ...] | None:
    """The hubs a dashboard counts for a user reading ``scope`` (``Actor.hubs``; None: every hub) who chose ``hub``
    (None: all of them): the chosen hub and those below it, within the scope. A hub outside the scope (a tampered
    URL) is refused in Chinese."""
    if hub is None:
        return scope
    if scope is not None and hub not in scope:
        raise FiltersRefused("所选枢纽不在当前账号的查看范围内:请在「枢纽」中重新选择")
    below = hub_tree.cached_subtree(int(hub)) if db is None else hub_tree.subtree(int(hub), db)
    return tuple(sorted(h for h in below if scope is None or h in scope))


def _app_filters(f: Filters, w: _Where, *, communities: str | None = "a.communities") -> _Where:
    """Round, category and community conditions on an application ``a`` (community on ``communities``), and the
    hub predicate on its organisation."""
    w.hubs(f, "a.org_id")
    if f.round_id is not None:
        w.add("a.round_id = ?", f.round_id)
    if f.category:
        w.add("a.category = ?", f.category)
    if f.community and communities:
        w.add(f"list_contains({communities}, ?)", f.community)
    return w


def _kpis(f: Filters, row: dict, keys: tuple[str, ...], query: str, *, round_based: bool = False,
          totals: dict | None = None) -> pd.DataFrame:
    """One SQL result row (``key`` and ``key_prev`` columns) as the long KPI frame."""
    rows = []
    for k in keys:
        label, unit = KPI_LABELS[k]
        value, prev = row.get(k), row.get(f"{k}_prev")
        rows.append({"query": query, "key": k, "label": label,
                     "value": float(value or 0),
                     "previous": None if (round_based and f.round_id is not None) else float(prev or 0),
                     "unit": unit, "total": (totals or {}).get(k)})
    return pd.DataFrame(rows, columns=KPI_COLUMNS)


KPI_COLUMNS = ["query", "key", "label", "value", "previous", "unit", "total"]
# the KPIs as a table (数据总览's 指标明细)
KPI_TABLE_COLUMNS = columns("label", "value", "previous",
                            computed={"label": "指标", "value": "数值", "previous": "上年同期"})
KPI_LABELS: dict[str, tuple[str, str]] = {
    "registered": ("在册社会组织", "家"),
    "incubated_ever": ("累计入壳孵化", "家"),
    "incubating": ("在孵组织", "家"),
    "brought_in": ("引进专业社会组织", "家"),
    "funded": ("立项资助项目", "个"),
    "granted": ("资助金额", "元"),
    "signed": ("签约实施项目", "个"),
    "disbursed": ("已拨付资金", "元"),
    "activities": ("服务活动", "场"),
    "person_times": (label("person_times", of=Activity), "人次"),
    "communities_covered": ("服务覆盖社区", "个"),
    "trainings": ("能力培训", "场"),
    "training_person_times": ("培训人次", "人次"),
    **{level: (f"{level}级社会组织", "家") for level in choices.RATINGS},
}


# ---- KPI queries ---------------------------------------------------------------------------------------
def kpi_organisations(f: Filters, db) -> pd.DataFrame:
    """Stock figures of the registry at the window's end and a year earlier."""
    w = _Where().hubs(f, "id")
    if f.community:
        w.add("community = ?", f.community)
    since = "coalesce(reg_date, CAST(created_at AS DATE))"
    cols = []
    params: list = []
    for suffix, end in (("", f.end), ("_prev", f.previous_end)):
        cols += [f"count(*) FILTER (WHERE active AND {since} <= ?) AS registered{suffix}",
                 f"count(*) FILTER (WHERE incubation_in <= ?) AS incubated_ever{suffix}",
                 f"count(*) FILTER (WHERE active AND incubation_in <= ? AND (incubation_out IS NULL"
                 f" OR incubation_out > ?)) AS incubating{suffix}",
                 f"count(*) FILTER (WHERE brought_in_on <= ?) AS brought_in{suffix}"]
        params += [end, end, end, end, end]
    row = db.fetch_one(f"SELECT {', '.join(cols)} FROM organisations{w.sql()}", params + w.params)
    return _kpis(f, row, ("registered", "incubated_ever", "incubating", "brought_in"), "kpi_organisations")


def kpi_funding(f: Filters, db) -> pd.DataFrame:
    """Funded applications and money granted (by round year), agreements signed (by round year), money
    disbursed (released tranches, by release date)."""
    cur, prev = f.window, f.previous_window
    w = _app_filters(f, _Where().add("a.state = 'funded'"))
    funded = db.fetch_one(
        "SELECT count(*) FILTER (WHERE r.year BETWEEN ? AND ?) AS funded,"
        " count(*) FILTER (WHERE r.year BETWEEN ? AND ?) AS funded_prev,"
        " CAST(sum(a.granted_amount) FILTER (WHERE r.year BETWEEN ? AND ?) AS DOUBLE) AS granted,"
        " CAST(sum(a.granted_amount) FILTER (WHERE r.year BETWEEN ? AND ?) AS DOUBLE) AS granted_prev"
        f" FROM applications a JOIN rounds r ON r.id = a.round_id{w.sql()}",
        [*cur, *prev, *cur, *prev, *w.params])
    wp = _app_filters(f, _Where(), communities="p.communities")
    signed = db.fetch_one(
        "SELECT count(*) FILTER (WHERE r.year BETWEEN ? AND ?) AS signed,"
        " count(*) FILTER (WHERE r.year BETWEEN ? AND ?) AS signed_prev"
        " FROM projects p JOIN applications a ON a.id = p.application_id JOIN rounds r ON r.id = a.round_id"
        f"{wp.sql()}", [*cur, *prev, *wp.params])
    wt = _app_filters(f, _Where().add("t.status = 'released'"), communities="p.communities")
    paid = db.fetch_one(
        "SELECT CAST(sum(coalesce(t.released_amount, t.amount)) FILTER (WHERE year(t.released_on) BETWEEN ? AND ?)"
        "  AS DOUBLE) AS disbursed,"
        " CAST(sum(coalesce(t.released_amount, t.amount)) FILTER (WHERE year(t.released_on) BETWEEN ? AND ?)"
        "  AS DOUBLE) AS disbursed_prev"
        " FROM tranches t JOIN projects p ON p.id = t.project_id JOIN applications a ON a.id = p.application_id"
        f"{wt.sql()}", [*cur, *prev, *wt.params])
    return _kpis(f, funded | signed | paid, ("funded", "granted", "signed", "disbursed"), "kpi_funding",
                 round_based=True)


def kpi_service(f: Filters, db) -> pd.DataFrame:
    """Activities, person-times and communities with at least one activity (of all communities)."""
    cur, prev = f.window, f.previous_window
    w = _app_filters(f, _Where(), communities=None)
    if f.community:
        w.add("x.community = ?", f.community)
    wc = _Where().own_hub(f, "hub_id")  # of the filters' hubs' communities
    if f.community:
        wc.add("name = ?", f.community)
    row = db.fetch_one(
        "SELECT count(*) FILTER (WHERE year(x.activity_date) BETWEEN ? AND ?) AS activities,"
        " count(*) FILTER (WHERE year(x.activity_date) BETWEEN ? AND ?) AS activities_prev,"
        " sum(x.person_times) FILTER (WHERE year(x.activity_date) BETWEEN ? AND ?) AS person_times,"
        " sum(x.person_times) FILTER (WHERE year(x.activity_date) BETWEEN ? AND ?) AS person_times_prev,"
        " count(DISTINCT x.community) FILTER (WHERE year(x.activity_date) BETWEEN ? AND ?"
        "  AND c.name IS NOT NULL) AS communities_covered,"
        " count(DISTINCT x.community) FILTER (WHERE year(x.activity_date) BETWEEN ? AND ?"
        "  AND c.name IS NOT NULL) AS communities_covered_prev,"
        f" (SELECT count(*) FROM communities{wc.sql()}) AS communities_all"
        " FROM activities x JOIN projects p ON p.id = x.project_id JOIN applications a ON a.id = p.application_id"
        f" LEFT JOIN communities c ON c.name = x.community{w.sql()}",
        [*cur, *prev, *cur, *prev, *cur, *prev, *wc.params, *w.params])
    return _kpis(f, row, ("activities", "person_times", "communities_covered"), "kpi_service", round_based=True,
                 totals={"communities_covered": int(row["communities_all"] or 0)})


def _attendance_sql(f: Filters) -> tuple[str, list]:
    """Per training organised by one of the filters' hubs: its attendance (person-times), by organisations of the
    community if one is chosen; with a community, only trainings someone of it attended."""
    held = _Where().own_hub(f, "t.hub_id")  # the organising hub (core.incubation.scope)
    if f.community:
        return ("SELECT t.id, t.training_date, count(ta.id) AS n FROM trainings t"
                " JOIN training_attendance ta ON ta.training_id = t.id"
                f" JOIN organisations o ON o.id = ta.org_id AND o.community = ?{held.sql()}"
                " GROUP BY t.id, t.training_date", [f.community, *held.params])
    return ("SELECT t.id, t.training_date, count(ta.id) AS n FROM trainings t"
            f" LEFT JOIN training_attendance ta ON ta.training_id = t.id{held.sql()} GROUP BY t.id, t.training_date",
            held.params)


def kpi_trainings(f: Filters, db) -> pd.DataFrame:
    """Trainings held and their person-times (one per signed-in attendee)."""
    cur, prev = f.window, f.previous_window
    sql, params = _attendance_sql(f)
    row = db.fetch_one(
        f"WITH t AS ({sql}) SELECT"
        " count(*) FILTER (WHERE year(training_date) BETWEEN ? AND ?) AS trainings,"
        " count(*) FILTER (WHERE year(training_date) BETWEEN ? AND ?) AS trainings_prev,"
        " sum(n) FILTER (WHERE year(training_date) BETWEEN ? AND ?) AS training_person_times,"
        " sum(n) FILTER (WHERE year(training_date) BETWEEN ? AND ?) AS training_person_times_prev FROM t",
        [*params, *cur, *prev, *cur, *prev])
    return _kpis(f, row, ("trainings", "training_person_times"), "kpi_trainings")


_RATING_HISTORY = (
    "SELECT org_id, level, rated_on, expires_on FROM ratings"
    " UNION ALL SELECT id, rating, rating_date, coalesce(rating_expiry, CAST(rating_date + INTERVAL 5 YEAR AS DATE))"
    " FROM organisations WHERE rating IS NOT NULL AND rating_date IS NOT NULL")


def _rated_at_sql(f: Filters) -> tuple[str, list]:
    """Per (moment k in cur/prev, active organisation): its latest rating by then, if still valid."""
    w = _Where().hubs(f, "o.id")
    if f.community:
        w.add("o.community = ?", f.community)
    return (f"WITH hist AS ({_RATING_HISTORY}),"
            " moments AS (SELECT * FROM (VALUES ('cur', CAST(? AS DATE)), ('prev', CAST(? AS DATE))) m(k, d))"
            " SELECT m.k, h.org_id, arg_max(h.level, h.rated_on) AS level, max(h.rated_on) AS rated_on"
            " FROM moments m JOIN hist h ON h.rated_on <= m.d"
            " JOIN organisations o ON o.id = h.org_id AND o.active" + w.sql("AND") +
            " GROUP BY m.k, m.d, h.org_id HAVING arg_max(h.expires_on, h.rated_on) >= m.d",
            [f.end, f.previous_end, *w.params])


def kpi_ratings(f: Filters, db) -> pd.DataFrame:
    """Organisations per rating level (1A–5A) at the window's end and a year earlier."""
    sql, params = _rated_at_sql(f)
    rows = db.fetch_all(
        f"WITH rated AS ({sql}) SELECT l.level, count(r.org_id) FILTER (WHERE r.k = 'cur') AS value,"
        " count(r.org_id) FILTER (WHERE r.k = 'prev') AS previous"
        " FROM unnest(CAST(? AS VARCHAR[])) AS l(level) LEFT JOIN rated r ON r.level = l.level GROUP BY l.level",
        [*params, list(choices.RATINGS)])
    by_level = {r["level"]: r for r in rows}
    flat = {}
    for level in choices.RATINGS:
        flat[level] = by_level[level]["value"]
        flat[f"{level}_prev"] = by_level[level]["previous"]
    return _kpis(f, flat, tuple(choices.RATINGS), "kpi_ratings")


# ---- chart queries -------------------------------------------------------------------------------------
# What the queries below count or add up, labelled once (a frame that has one of these names means this)
FIGURES = {"funded": "立项数", "activities": "活动场次", "granted": label("granted_amount", of=Decision)}
_PROJECT_ORG = {"org": "承接组织"}  # the organisation that applied for / carries out the project
_PROJECT_TITLE = label("title", of=Application)

# the frames of the chart queries: column -> label (data tables, drill-downs and the charts' titles read these)
CATEGORY_YEAR_COLUMNS = columns("year", "category", "funded", "granted", "activities", "person_times",
                                of=(Round, Application, Activity), computed=FIGURES)
def category_year(f: Filters, db) -> pd.DataFrame:
    """Per (year, category): funded projects and money granted (round year), activities and person-times
    (activity year)."""
    w = _app_filters(f, _Where().add("a.state = 'funded'"))
    w.add("r.year BETWEEN ? AND ?", *f.window)
    ws = _app_filters(f, _Where(), communities=None)
    if f.community:
        ws.add("x.community = ?", f.community)
    ws.add("year(x.activity_date) BETWEEN ? AND ?", *f.window)
    return db.fetch_df(
        "WITH g AS (SELECT r.year, coalesce(a.category, '未分类') AS category, count(*) AS funded,"
        "  sum(a.granted_amount) AS granted FROM applications a JOIN rounds r ON r.id = a.round_id"
        f"  {w.sql()} GROUP BY ALL),"
        " s AS (SELECT year(x.activity_date) AS year, coalesce(a.category, '未分类') AS category,"
        "  count(*) AS activities, sum(x.person_times) AS person_times"
        "  FROM activities x JOIN projects p ON p.id = x.project_id JOIN applications a ON a.id = p.application_id"
        f"  {ws.sql()} GROUP BY ALL)"
        " SELECT CAST(coalesce(g.year, s.year) AS INTEGER) AS year, coalesce(g.category, s.category) AS category,"
        " coalesce(g.funded, 0) AS funded, CAST(coalesce(g.granted, 0) AS DOUBLE) AS granted,"
        " coalesce(s.activities, 0) AS activities, CAST(coalesce(s.person_times, 0) AS BIGINT) AS person_times"
        " FROM g FULL JOIN s ON s.year = g.year AND s.category = g.category ORDER BY year, category",
        w.params + ws.params)


FUNNEL_COLUMNS = columns("label", "current", "reached",
                         computed={"label": label("state"), "current": "当前在此状态",
                                   "reached": "申报数(累计到达)"})


def current_round(f: Filters, db) -> dict | None:
    """The chosen round, else the latest round of the window (by year, then the newest): id, name, year; a round of
    the filters' hubs only (another hub's round name is its record)."""
    mine = _Where().own_hub(f, "hub_id")
    if f.round_id is not None:
        return db.fetch_one(f"SELECT id, name, year FROM rounds WHERE id = ?{mine.sql('AND')}", [f.round_id, *mine.params])
    return db.fetch_one(f"SELECT id, name, year FROM rounds WHERE year BETWEEN ? AND ?{mine.sql('AND')}"
                        " ORDER BY year DESC, id DESC LIMIT 1", [*f.window, *mine.params])


def funnel(f: Filters, db) -> pd.DataFrame:
    """The current round's applications per workflow state (every state, in workflow order ``seq``):
    ``current`` (in that state now) and ``reached`` (in it now or at some time, from the workflow
    events; every application counts as having been a draft); ``on_path``/``path_seq`` mark the states
    on the way to 立项."""
    cur = current_round(f, db)
    found: dict[str, dict] = {}
    if cur is not None:
        w = _app_filters(f, _Where().add("a.round_id = ?", cur["id"]))
        found = {r["state"]: r for r in db.fetch_all(
            f"WITH apps AS (SELECT a.id, a.state FROM applications a{w.sql()}),"
            " seen AS (SELECT id AS app, state, 1 AS now FROM apps"
            "  UNION ALL SELECT e.application_id, e.to_state, 0 FROM application_events e"
            "  JOIN apps ON apps.id = e.application_id"
            "  UNION ALL SELECT id, 'draft', 0 FROM apps)"
            " SELECT state, CAST(sum(now) AS INTEGER) AS current, count(DISTINCT app) AS reached FROM seen"
            " GROUP BY state", w.params)}
    rows = []
    for i, s in enumerate(choices.APP_STATES):
        r = found.get(s, {})
        rows.append({"round_id": cur["id"] if cur else None, "round": cur["name"] if cur else None, "state": s,
                     "label": choices.APP_STATES[s], "seq": i, "on_path": s in FUNNEL_PATH,
                     "path_seq": FUNNEL_PATH.index(s) if s in FUNNEL_PATH else None,
                     "current": int(r.get("current") or 0), "reached": int(r.get("reached") or 0)})
    return pd.DataFrame(rows)


COVERAGE_COLUMNS = columns("community", "projects", "activities", "person_times", "organisations", "flag",
                           of=Activity, computed={**FIGURES, "community": FILTER_LABELS["community"],
                                                  "projects": "服务项目", "organisations": "在册组织",
                                                  "flag": "服务情况"})
FLAG_OK = "正常"  # the flag of a community served enough (shown where ``flag`` is empty)


def community_coverage(f: Filters, db) -> pd.DataFrame:
    """Per community (all of them): projects serving it (round year in the window), activities and
    person-times there (activity date in the window), active organisations there, and a flag: 无服务 (no
    activity) or 服务偏少 (person-times below half the median of all communities); the communities of the filters'
    hubs."""
    wc = _Where().own_hub(f, "hub_id")
    if f.community:
        wc.add("name = ?", f.community)
    wa = _app_filters(f, _Where(), communities=None).add("year(x.activity_date) BETWEEN ? AND ?", *f.window)
    wp = _app_filters(f, _Where(), communities=None).add("r.year BETWEEN ? AND ?", *f.window)
    wo = _Where().add("active").hubs(f, "id")
    return db.fetch_df(
        f"WITH c AS (SELECT name, sort_order FROM communities{wc.sql()}),"
        " act AS (SELECT x.community, count(*) AS activities, sum(x.person_times) AS person_times"
        "  FROM activities x JOIN projects p ON p.id = x.project_id JOIN applications a ON a.id = p.application_id"
        f"  {wa.sql()} GROUP BY x.community),"
        " proj AS (SELECT u.community, count(DISTINCT u.id) AS projects FROM (SELECT p.id, unnest(p.communities)"
        "  AS community FROM projects p JOIN applications a ON a.id = p.application_id JOIN rounds r ON r.id = a.round_id"
        f"  {wp.sql()}) u GROUP BY u.community),"
        f" orgs AS (SELECT community, count(*) AS organisations FROM organisations{wo.sql()} GROUP BY community),"
        " j AS (SELECT c.name AS community, c.sort_order, coalesce(proj.projects, 0) AS projects,"
        "  coalesce(act.activities, 0) AS activities, CAST(coalesce(act.person_times, 0) AS BIGINT) AS person_times,"
        "  coalesce(orgs.organisations, 0) AS organisations FROM c LEFT JOIN act ON act.community = c.name"
        "  LEFT JOIN proj ON proj.community = c.name LEFT JOIN orgs ON orgs.community = c.name)"
        " SELECT community, projects, activities, person_times, organisations,"
        f" CASE WHEN activities = 0 THEN '{FLAG_NONE}'"
        f"  WHEN person_times < ? * median(person_times) OVER () THEN '{FLAG_LOW}' ELSE '' END AS flag"
        " FROM j ORDER BY sort_order, community",
        wc.params + wa.params + wp.params + wo.params + [LOW_SERVICE_SHARE])


BRAND_COLUMNS = columns("brand", "tier", "points", "communities", "projects", "activities", "person_times",
                        *publicity.REACH_KEYS, of=(Brand, Activity),
                        computed={**FIGURES, **publicity.REACH, "brand": label("name", of=Brand), "points": "服务点",
                                  "communities": "覆盖社区", "projects": "项目数"})


def brand_matrix(f: Filters, db) -> pd.DataFrame:
    """Per brand (核心品牌 first): service points and the communities they sit in, projects (round year
    in the window) and the activities and person-times of its projects (activity date in the window); its reach
    (core.resources.publicity: posts, media reports per level, reads) by the publication year in the window, the
    other filters aside (a post need not belong to a project)."""
    wsp = _Where()
    if f.community:
        wsp.add("community = ?", f.community)
    wp = _app_filters(f, _Where().add("p.brand_id IS NOT NULL"), communities="p.communities") \
        .add("r.year BETWEEN ? AND ?", *f.window)
    wa = _app_filters(f, _Where().add("p.brand_id IS NOT NULL"), communities=None) \
        .add("year(x.activity_date) BETWEEN ? AND ?", *f.window)
    if f.community:
        wa.add("x.community = ?", f.community)
    reach, reach_params = publicity.reach_sql(*f.window, hubs=f.hubs)  # the publicity of the filters' hubs
    held = _Where().own_hub(f, "b.hub_id")  # the brands of the filters' hubs (migration 032)
    return db.fetch_df(
        "SELECT b.id AS brand_id, b.name AS brand, b.tier, coalesce(sp.points, 0) AS points,"
        " coalesce(sp.communities, 0) AS communities, coalesce(pr.projects, 0) AS projects,"
        " coalesce(ac.activities, 0) AS activities, CAST(coalesce(ac.person_times, 0) AS BIGINT) AS person_times, "
        + ", ".join(f"CAST(coalesce(pb.{k}, 0) AS BIGINT) AS {k}" for k in publicity.REACH_KEYS) +
        " FROM brands b"
        " LEFT JOIN (SELECT brand_id, count(*) AS points, count(DISTINCT community) AS communities"
        f"  FROM service_points{wsp.sql()} GROUP BY brand_id) sp ON sp.brand_id = b.id"
        " LEFT JOIN (SELECT p.brand_id, count(*) AS projects FROM projects p"
        "  JOIN applications a ON a.id = p.application_id JOIN rounds r ON r.id = a.round_id"
        f"  {wp.sql()} GROUP BY p.brand_id) pr ON pr.brand_id = b.id"
        " LEFT JOIN (SELECT p.brand_id, count(*) AS activities, sum(x.person_times) AS person_times"
        "  FROM activities x JOIN projects p ON p.id = x.project_id JOIN applications a ON a.id = p.application_id"
        f"  {wa.sql()} GROUP BY p.brand_id) ac ON ac.brand_id = b.id"
        f" LEFT JOIN ({reach}) pb ON pb.brand_id = b.id{held.sql()}"
        " ORDER BY CASE b.tier WHEN ? THEN 0 ELSE 1 END, person_times DESC, b.id",
        wsp.params + wp.params + wa.params + reach_params + held.params + [choices.BRAND_TIERS[0]])


_DIMENSION_SCORES = (
    "SELECT a.id AS assessment_id, a.org_id, o.name AS org, a.period, a.assessed_on, d.name AS dimension, d.seq,"
    " (avg(s.score) - 1) / 4 * 100 AS score"
    " FROM assessments a JOIN organisations o ON o.id = a.org_id"
    " JOIN assessment_scores s ON s.assessment_id = a.id"
    " JOIN instrument_indicators n ON n.id = s.indicator_id"
    " JOIN instrument_dimensions d ON d.id = n.dimension_id")


CAPABILITY_COLUMNS = columns("period", "dimension", "median", "organisations", of=InstrumentRow,
                             computed={"median": "中位数得分", "organisations": "参评组织"})


def capability_trend(f: Filters, db) -> pd.DataFrame:
    """The cohort's median score per dimension per assessment period (periods in date order, dimensions
    in the instrument's order); dimension score = (mean indicator score − 1) / 4 × 100 as in
    :mod:`core.incubation.assessments`."""
    w = _Where().add("year(a.assessed_on) BETWEEN ? AND ?", *f.window).hubs(f, "a.org_id")
    if f.community:
        w.add("o.community = ?", f.community)
    return db.fetch_df(
        f"WITH dim AS ({_DIMENSION_SCORES}{w.sql()} GROUP BY ALL)"
        " SELECT period, max(max(assessed_on)) OVER (PARTITION BY period) AS period_end, dimension,"
        " min(seq) AS seq, round(median(score), 2) AS median, count(DISTINCT org_id) AS organisations"
        " FROM dim GROUP BY period, dimension ORDER BY period_end, period, seq, dimension",
        w.params)


def _project_ids_sql(f: Filters) -> tuple[str, list]:
    w = _app_filters(f, _Where(), communities="p.communities")
    return f"SELECT p.id FROM projects p JOIN applications a ON a.id = p.application_id{w.sql()}", w.params


def _board(end, db) -> pd.DataFrame:
    """The open warnings at ``end``, read once for both risk queries (``risks.board`` caches it)."""
    return risks.board(today=end, db=db)


def _open_warnings(f: Filters, db) -> pd.DataFrame:
    """The risk board (:func:`core.monitoring.risks.board`) at the window's end, for the projects the filters keep."""
    board = _board(f.end, db)
    if f.round_id is not None or f.category or f.community or f.hubs is not None:
        sql, params = _project_ids_sql(f)
        keep = {int(r["id"]) for r in db.fetch_all(sql, params)}
        board = board[board["project_id"].astype("int64").isin(keep)]
    return board


RISK_COLUMNS = columns("rule", "severity", "warnings", "projects",
                       computed={"rule": "预警规则", "severity": "风险等级", "warnings": "未处理预警",
                                 "projects": "涉及项目数"})
RISK_COUNT_COLUMNS = KPI_TABLE_COLUMNS.pick("label", "value")


def risk_summary(f: Filters, db) -> pd.DataFrame:
    """Open warnings per (rule, severity) at the window's end: warnings and projects."""
    board = _open_warnings(f, db)
    rows = []
    for r in risks.RULES:
        for sev in risks.SEVERITIES:
            part = board[(board["code"] == r.code) & (board["severity"] == sev)]
            if len(part):
                rows.append({"code": r.code, "rule": r.label, "severity": sev, "warnings": int(len(part)),
                             "projects": int(part["project_id"].nunique())})
    return pd.DataFrame(rows, columns=["code", *RISK_COLUMNS])


def risk_counts(f: Filters, db) -> pd.DataFrame:
    """:func:`core.monitoring.risks.summary` at the window's end (every project of the hubs kept): open warnings per
    severity, their total and the projects with one. Round/category/community do not apply."""
    b = _open_warnings(dataclasses.replace(f, round_id=None, category=None, community=None), db)  # the hubs' board
    s = {sev: int((b["severity"] == sev).sum()) for sev in risks.SEVERITIES}
    s.update(total=int(len(b)), projects=int(b["project_id"].nunique()))
    keys = [*risks.SEVERITIES, "total", "projects"]
    labels = {**{k: f"{k}风险预警" for k in risks.SEVERITIES}, "total": RISK_COLUMNS["warnings"],
              "projects": RISK_COLUMNS["projects"]}
    return pd.DataFrame({"key": keys, "label": [labels[k] for k in keys], "value": [int(s[k]) for k in keys]})


FUNDING_COLUMNS = columns("year", "source_label", "amount", "share", of=Round,
                          computed={"source_label": "资金来源", "share": percent("占比(%)")})


def funding_sources(f: Filters, db) -> pd.DataFrame:
    """Per round year: project money by source (government = the grant; self-raised, enterprise,
    donations from the agreement) and each source's share of the year's total, in %."""
    w = _app_filters(f, _Where(), communities="p.communities").add("r.year BETWEEN ? AND ?", *f.window)
    case = " ".join(f"WHEN '{k}' THEN '{v}'" for k, v in SOURCES.items())
    order = " ".join(f"WHEN '{k}' THEN {i}" for i, k in enumerate(SOURCES))
    return db.fetch_df(
        "WITH y AS (SELECT r.year, CAST(sum(p.granted_amount) AS DOUBLE) AS government,"
        " CAST(sum(coalesce(p.funds_self, 0)) AS DOUBLE) AS self,"
        " CAST(sum(coalesce(p.funds_enterprise, 0)) AS DOUBLE) AS enterprise,"
        " CAST(sum(coalesce(p.funds_donation, 0)) AS DOUBLE) AS donation"
        " FROM projects p JOIN applications a ON a.id = p.application_id JOIN rounds r ON r.id = a.round_id"
        f"{w.sql()} GROUP BY r.year),"
        # the four columns as rows (DuckDB's UNPIVOT, which drops NULLs, spelt portably for PostgreSQL too)
        " u AS (" + " UNION ALL ".join(f"SELECT year, '{c}' AS source, {c} AS amount FROM y WHERE {c} IS NOT NULL"
                                       for c in ("government", "self", "enterprise", "donation")) + ")"
        f" SELECT CAST(year AS INTEGER) AS year, source, CASE source {order} END AS seq,"
        f" CASE source {case} END AS source_label, amount,"
        " CASE WHEN sum(amount) OVER (PARTITION BY year) > 0"
        "  THEN round(100.0 * amount / sum(amount) OVER (PARTITION BY year), 1) ELSE 0 END AS share"
        " FROM u ORDER BY year, seq",
        w.params)


DISTRICT, STREET = HUB_LEVELS[1], HUB_LEVELS[2]  # 区, 街道: the rows of 各枢纽对比 are the streets under their district
HUB_COLUMNS = columns("district", "hub", "registered", "applied", "funded", "granted", "activities", "person_times",
                      of=Activity, computed={"district": "所属区", "hub": "枢纽", "registered": number("登记组织"),
                                             "applied": number("申报"), "funded": number("立项"),
                                             "granted": FIGURES["granted"], "activities": FIGURES["activities"]})


def hub_comparison(f: Filters, db) -> pd.DataFrame:
    """各枢纽对比: one row per street hub of ``f.hubs`` (and any other hub of them that has organisations of its own),
    in the tree's order, each under its district (``district``): organisations registered at the window's end,
    applications submitted (every state but 草稿), projects funded and money granted (round year in the window),
    activities and person-times (activity year); round, category and community narrow them as elsewhere."""
    tree = hub_order(db)
    kept = [t["id"] for t in tree if f.hubs is None or t["id"] in f.hubs]
    if not kept:
        return pd.DataFrame(columns=["hub_id", "level", *HUB_COLUMNS])
    scope = dataclasses.replace(f, hubs=tuple(sorted(kept)))
    wo = _Where().add("active AND coalesce(reg_date, CAST(created_at AS DATE)) <= ?", f.end).hubs(scope, "id")
    if f.community:
        wo.add("community = ?", f.community)
    wa = _app_filters(scope, _Where()).add("r.year BETWEEN ? AND ?", *f.window)
    wx = _app_filters(scope, _Where(), communities=None).add("year(x.activity_date) BETWEEN ? AND ?", *f.window)
    if f.community:
        wx.add("x.community = ?", f.community)
    rows = {int(r["hub_id"]): r for r in db.fetch_all(
        "WITH org AS (SELECT hub_id, count(*) AS registered FROM organisations" + wo.sql() + " GROUP BY hub_id),"
        " app AS (SELECT o.hub_id, count(*) FILTER (WHERE a.state <> 'draft') AS applied,"
        "  count(*) FILTER (WHERE a.state = 'funded') AS funded,"
        "  CAST(sum(a.granted_amount) FILTER (WHERE a.state = 'funded') AS DOUBLE) AS granted"
        "  FROM applications a JOIN rounds r ON r.id = a.round_id JOIN organisations o ON o.id = a.org_id"
        f"  {wa.sql()} GROUP BY o.hub_id),"
        " act AS (SELECT o.hub_id, count(*) AS activities, sum(x.person_times) AS person_times"
        "  FROM activities x JOIN projects p ON p.id = x.project_id JOIN applications a ON a.id = p.application_id"
        f"  JOIN organisations o ON o.id = a.org_id{wx.sql()} GROUP BY o.hub_id)"
        " SELECT h.id AS hub_id, coalesce(org.registered, 0) AS registered, coalesce(app.applied, 0) AS applied,"
        " coalesce(app.funded, 0) AS funded, coalesce(app.granted, 0) AS granted,"
        " coalesce(act.activities, 0) AS activities, CAST(coalesce(act.person_times, 0) AS BIGINT) AS person_times"
        " FROM hubs h LEFT JOIN org ON org.hub_id = h.id LEFT JOIN app ON app.hub_id = h.id"
        " LEFT JOIN act ON act.hub_id = h.id WHERE h.id IN (" + ", ".join("?" for _ in kept) + ")",
        [*wo.params, *wa.params, *wx.params, *kept])}
    names = hub_labels(db)
    out = []
    for t in tree:
        hid, level = t["id"], t["level"]
        r = rows.get(hid)
        if r is None or (level != STREET and not r["registered"]):
            continue
        out.append({"hub_id": hid, "level": level,
                    "district": names.get(t["parent_id"], "") if level == STREET else names[hid] if level == DISTRICT
                    else "",
                    "hub": names[hid], **{k: r[k] for k in HUB_COLUMNS if k not in ("district", "hub")}})
    return pd.DataFrame(out, columns=["hub_id", "level", *HUB_COLUMNS])


# ---- drill-downs ---------------------------------------------------------------------------------------
# the records behind a figure: column -> label (the schemas' labels; what a query computes, declared here)
ORG_COLUMNS = columns("id", "name", "kind", "community", "stage", "reg_date", "incubation_in", "incubation_out",
                      "rating", "brought_in_on", of=Organisation)
RATED_COLUMNS = columns("id", "name", "kind", "community", "level", "rated_on", of=(Organisation, Rating))
FUNDED_APP_COLUMNS = columns("id", "year", "round", "title", "org", "category", "granted_amount", "communities",
                             "activities", "person_times", of=(Round, Application, Decision, Activity),
                             computed={**FIGURES, **_PROJECT_ORG})
PROJECT_COLUMNS = columns("id", "agreement_no", "year", "title", "org", "category", "brand", "granted_amount",
                          "funds_self", "funds_enterprise", "funds_donation", "activities", "person_times",
                          of=(Agreement, Round, Application, Activity),
                          computed={**FIGURES, **_PROJECT_ORG, "brand": BRAND_COLUMNS["brand"]})
RELEASE_COLUMNS = columns("id", "released_on", "agreement_no", "project", "org", "seq", "released_amount", "approver",
                          of=(Release, Agreement), computed={**_PROJECT_ORG, "project": _PROJECT_TITLE})
ACTIVITY_COLUMNS = columns("id", "activity_date", "community", "project", "org", "category", "brand", "kind", "title",
                           "participants", "person_times", of=(Activity, Application),
                           computed={**_PROJECT_ORG, "project": _PROJECT_TITLE, "brand": BRAND_COLUMNS["brand"]})
TRAINING_COLUMNS = columns("id", "training_date", "title", "kind", "topic", "trainer", "attendance", of=Training,
                           computed={"attendance": "参训人次"})
FUNNEL_DRILL_COLUMNS = columns("id", "round", "title", "org", "category", "state_label", "submitted_at",
                               of=Application, computed={**_PROJECT_ORG, "state_label": "当前状态"})
CAPABILITY_DRILL_COLUMNS = columns("org", "period", "assessed_on", "dimension", "score", of=InstrumentRow)
RISK_DRILL_COLUMNS = columns("project_id", "agreement_no", "title", "org", "rule", "severity", "detail",
                             of=(Agreement, Application),
                             computed={**_PROJECT_ORG, "project_id": "项目编号",
                                       **RISK_COLUMNS.pick("rule", "severity")})

def _limit(sql: str, params: list, db, limit: int) -> pd.DataFrame:
    return db.fetch_df(f"{sql} LIMIT ?", [*params, limit])


def _funded_apps(f: Filters, db, limit: int, *, year: int | None = None, category: str | None = None):
    w = _app_filters(f, _Where().add("a.state = 'funded'")).add("r.year BETWEEN ? AND ?", *f.window)
    if year is not None:
        w.add("r.year = ?", int(year))
    if category is not None:
        w.add("coalesce(a.category, '未分类') = ?", category)
    return _limit(
        "SELECT a.id, r.year, r.name AS round, a.title, o.name AS org, a.category,"
        " CAST(a.granted_amount AS DOUBLE) AS granted_amount, array_to_string(a.communities, '、') AS communities,"
        " (SELECT count(*) FROM activities x JOIN projects p ON p.id = x.project_id WHERE p.application_id = a.id)"
        "  AS activities,"
        " (SELECT coalesce(sum(x.person_times), 0) FROM activities x JOIN projects p ON p.id = x.project_id"
        "  WHERE p.application_id = a.id) AS person_times"
        " FROM applications a JOIN rounds r ON r.id = a.round_id JOIN organisations o ON o.id = a.org_id"
        f"{w.sql()} ORDER BY r.year DESC, a.id", w.params, db, limit)


def _activities(f: Filters, db, limit: int, *, community: str | None = None, brand: str | None = None):
    w = _app_filters(f, _Where(), communities=None).add("year(x.activity_date) BETWEEN ? AND ?", *f.window)
    if f.community:
        w.add("x.community = ?", f.community)
    if community is not None:
        w.add("x.community = ?", community)
    if brand is not None:
        w.add("b.name = ?", brand)
    return _limit(
        "SELECT x.id, x.activity_date, x.community, a.title AS project, o.name AS org, a.category, b.name AS brand,"
        " x.kind, x.title, x.participants, x.person_times"
        " FROM activities x JOIN projects p ON p.id = x.project_id JOIN applications a ON a.id = p.application_id"
        " JOIN organisations o ON o.id = a.org_id LEFT JOIN brands b ON b.id = p.brand_id"
        f"{w.sql()} ORDER BY x.activity_date DESC, x.id DESC", w.params, db, limit)


def _projects(f: Filters, db, limit: int, *, year: int | None = None, brand: str | None = None):
    w = _app_filters(f, _Where(), communities="p.communities").add("r.year BETWEEN ? AND ?", *f.window)
    if year is not None:
        w.add("r.year = ?", int(year))
    if brand is not None:
        w.add("b.name = ?", brand)
    lo, hi = f.window
    return _limit(
        "SELECT p.id, p.agreement_no, r.year, a.title, o.name AS org, a.category, b.name AS brand,"
        " CAST(p.granted_amount AS DOUBLE) AS granted_amount, CAST(coalesce(p.funds_self, 0) AS DOUBLE) AS funds_self,"
        " CAST(coalesce(p.funds_enterprise, 0) AS DOUBLE) AS funds_enterprise,"
        " CAST(coalesce(p.funds_donation, 0) AS DOUBLE) AS funds_donation,"
        " (SELECT count(*) FROM activities x WHERE x.project_id = p.id"
        "  AND year(x.activity_date) BETWEEN ? AND ?) AS activities,"
        " (SELECT coalesce(sum(x.person_times), 0) FROM activities x WHERE x.project_id = p.id"
        "  AND year(x.activity_date) BETWEEN ? AND ?) AS person_times"
        " FROM projects p JOIN applications a ON a.id = p.application_id JOIN rounds r ON r.id = a.round_id"
        " JOIN organisations o ON o.id = a.org_id LEFT JOIN brands b ON b.id = p.brand_id"
        f"{w.sql()} ORDER BY r.year DESC, p.id", [lo, hi, lo, hi, *w.params], db, limit)


_ORG_CONDITIONS = {
    "registered": ("active AND coalesce(reg_date, CAST(created_at AS DATE)) <= ?", 1),
    "incubated_ever": ("incubation_in <= ?", 1),
    "incubating": ("active AND incubation_in <= ? AND (incubation_out IS NULL OR incubation_out > ?)", 2),
    "brought_in": ("brought_in_on <= ?", 1),
}


def _drill_organisations(f: Filters, sel: dict, db, limit: int) -> pd.DataFrame:
    key = chosen_one_of(sel, "key", _ORG_CONDITIONS)
    cond, n = _ORG_CONDITIONS[key]
    w = _Where().add(cond, *([f.end] * n)).hubs(f, "id")
    if f.community:
        w.add("community = ?", f.community)
    return _limit("SELECT id, name, kind, community, stage, reg_date, incubation_in, incubation_out, rating,"
                  f" brought_in_on FROM organisations{w.sql()} ORDER BY name", w.params, db, limit)


def _drill_funding(f: Filters, sel: dict, db, limit: int) -> pd.DataFrame:
    key = chosen_one_of(sel, "key", ("funded", "granted", "signed", "disbursed"))
    if key in ("funded", "granted"):
        return _funded_apps(f, db, limit)
    if key == "signed":
        return _projects(f, db, limit)
    w = _app_filters(f, _Where().add("t.status = 'released'"), communities="p.communities") \
        .add("year(t.released_on) BETWEEN ? AND ?", *f.window)
    return _limit(
        "SELECT t.id, t.released_on, p.agreement_no, a.title AS project, o.name AS org, t.seq,"
        " CAST(coalesce(t.released_amount, t.amount) AS DOUBLE) AS released_amount, t.approver"
        " FROM tranches t JOIN projects p ON p.id = t.project_id JOIN applications a ON a.id = p.application_id"
        f" JOIN organisations o ON o.id = a.org_id{w.sql()} ORDER BY t.released_on DESC, t.id DESC",
        w.params, db, limit)


def _drill_service(f: Filters, sel: dict, db, limit: int) -> pd.DataFrame:
    key = chosen_one_of(sel, "key", ("activities", "person_times", "communities_covered"))
    if key == "communities_covered":
        cov = community_coverage(f, db)
        return cov[cov["activities"] > 0].reset_index(drop=True)
    return _activities(f, db, limit)


def _drill_trainings(f: Filters, sel: dict, db, limit: int) -> pd.DataFrame:
    chosen_one_of(sel, "key", ("trainings", "training_person_times"))
    sql, params = _attendance_sql(f)
    return _limit(
        f"WITH n AS ({sql}) SELECT t.id, t.training_date, t.title, t.kind, t.topic, t.trainer, n.n AS attendance"
        " FROM n JOIN trainings t ON t.id = n.id WHERE year(t.training_date) BETWEEN ? AND ?"
        " ORDER BY t.training_date DESC, t.id DESC", [*params, *f.window], db, limit)


def _drill_ratings(f: Filters, sel: dict, db, limit: int) -> pd.DataFrame:
    level = chosen_one_of(sel, "key", choices.RATINGS)
    sql, params = _rated_at_sql(f)
    return _limit(
        f"WITH rated AS ({sql}) SELECT o.id, o.name, o.kind, o.community, r.level, r.rated_on"
        " FROM rated r JOIN organisations o ON o.id = r.org_id WHERE r.k = 'cur' AND r.level = ?"
        " ORDER BY r.rated_on DESC, o.name", [*params, level], db, limit)


def _drill_category_year(f: Filters, sel: dict, db, limit: int) -> pd.DataFrame:
    return _funded_apps(f, db, limit, year=sel.get("year"), category=sel.get("category"))


def _drill_funnel(f: Filters, sel: dict, db, limit: int) -> pd.DataFrame:
    """The current round's applications that reached the selected state (now or earlier)."""
    state = chosen_one_of(sel, "state", choices.APP_STATES)
    cur = current_round(f, db)
    if cur is None:
        return pd.DataFrame(columns=list(FUNNEL_DRILL_COLUMNS))
    w = _app_filters(f, _Where().add("a.round_id = ?", cur["id"]))
    if state != "draft":
        w.add("(a.state = ? OR EXISTS (SELECT 1 FROM application_events e WHERE e.application_id = a.id"
              " AND e.to_state = ?))", state, state)
    labels = " ".join(f"WHEN '{k}' THEN '{v}'" for k, v in choices.APP_STATES.items())
    return _limit(
        "SELECT a.id, r.name AS round, a.title, o.name AS org, a.category,"
        f" CASE a.state {labels} ELSE a.state END AS state_label, a.submitted_at"
        " FROM applications a JOIN rounds r ON r.id = a.round_id JOIN organisations o ON o.id = a.org_id"
        f"{w.sql()} ORDER BY a.id", w.params, db, limit)


def _drill_coverage(f: Filters, sel: dict, db, limit: int) -> pd.DataFrame:
    return _activities(f, db, limit, community=chosen(sel, "community"))


def _drill_brand(f: Filters, sel: dict, db, limit: int) -> pd.DataFrame:
    """A brand's projects; with ``key`` "publicity", its posts and media reports (publication year in the window)."""
    brand = chosen(sel, "brand")
    if sel.get("key") is None:
        return _projects(f, db, limit, brand=brand)
    chosen_one_of(sel, "key", ("publicity",))
    mine = _Where().add("name = ?", brand).own_hub(f, "hub_id")
    bid = db.scalar(f"SELECT id FROM brands{mine.sql()}", mine.params)
    if bid is None:
        return pd.DataFrame(columns=list(publicity.RECORD_COLUMNS))
    return publicity.of_brand(bid, db, *f.window, limit=limit, hubs=f.hubs)


def _drill_capability(f: Filters, sel: dict, db, limit: int) -> pd.DataFrame:
    w = _Where().add("year(a.assessed_on) BETWEEN ? AND ?", *f.window).add("a.period = ?", chosen(sel, "period")) \
        .hubs(f, "a.org_id")
    if f.community:
        w.add("o.community = ?", f.community)
    outer = _Where()
    if sel.get("dimension"):
        outer.add("dimension = ?", sel["dimension"])
    return _limit(
        f"WITH dim AS ({_DIMENSION_SCORES}{w.sql()} GROUP BY ALL) SELECT org, period, assessed_on, dimension,"
        f" round(score, 2) AS score FROM dim{outer.sql()} ORDER BY dimension, score DESC, org",
        w.params + outer.params, db, limit)


def _drill_risks(f: Filters, sel: dict, db, limit: int) -> pd.DataFrame:
    board = _open_warnings(f, db)
    if sel.get("code"):
        board = board[board["code"] == sel["code"]]
    if sel.get("severity"):
        board = board[board["severity"] == sel["severity"]]
    return board[list(RISK_DRILL_COLUMNS)].head(limit).reset_index(drop=True)


def _drill_funding_sources(f: Filters, sel: dict, db, limit: int) -> pd.DataFrame:
    return _projects(f, db, limit, year=sel.get("year"))


def chosen_one_of(sel: dict, name: str, allowed) -> str:
    """The drill-down selection's ``name``, one of ``allowed`` (a tampered URL is refused in Chinese)."""
    value = sel.get(name)
    if value not in allowed:
        raise DrillRefused(f"无法显示明细:未知的选择 {value!r}")
    return value


def chosen(sel: dict, name: str):
    """The drill-down selection's ``name``; refused in Chinese while nothing is selected."""
    value = sel.get(name)
    if value is None or value == "":
        raise DrillRefused("无法显示明细:请先在图表中选择一项")
    return value


# ---- the registry ------------------------------------------------------------------------------------
ALL_FILTERS = ("years", "round", "category", "community")


@dataclass(frozen=True)
class Query:
    name: str
    label: str
    tables: tuple[str, ...]  # every table the query (and its drill-down) reads
    fn: Callable[[Filters, object], pd.DataFrame]
    drill: Callable[[Filters, dict, object, int], pd.DataFrame] | None = None
    uses: tuple[str, ...] = ALL_FILTERS  # the filters that narrow it
    kind: str = "chart"  # kpi | chart
    drill_reads: tuple[str, ...] = ()  # tables only the drill-down reads besides ``tables``
    columns: Columns = field(default_factory=Columns)  # its frame's columns a screen shows, with their labels
    # the drill-down's columns: one choice, or one per KPI key where the KPIs' records differ
    drill_columns: Columns | Mapping[str, Columns] = field(default_factory=Columns)

    @property
    def drill_tables(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(self.tables + self.drill_reads))


_APP = ("applications", "rounds")
_PROJ = ("projects", "applications", "rounds")
HUB_TABLES = ("organisations",)  # what the hub predicate (_Where.hubs) reads besides a query's own tables
_RISK = risks.TABLES

_KPI = KPI_TABLE_COLUMNS
_RATING = label("rating", of=Organisation)

QUERIES: dict[str, Query] = {q.name: q for q in (
    Query("kpi_organisations", "社会组织", ("organisations",), kpi_organisations, _drill_organisations,
          uses=("years", "community"), kind="kpi", columns=_KPI, drill_columns=ORG_COLUMNS),
    Query("kpi_funding", "立项与资金", ("tranches", *_PROJ), kpi_funding, _drill_funding, kind="kpi",
          drill_reads=("organisations", "activities", "brands"), columns=_KPI,
          drill_columns={"funded": FUNDED_APP_COLUMNS, "granted": FUNDED_APP_COLUMNS, "signed": PROJECT_COLUMNS,
                         "disbursed": RELEASE_COLUMNS}),
    Query("kpi_service", "服务成效", ("activities", "communities", "projects", "applications"), kpi_service,
          _drill_service, kind="kpi", drill_reads=("rounds", "organisations", "brands"), columns=_KPI,
          drill_columns={"activities": ACTIVITY_COLUMNS, "person_times": ACTIVITY_COLUMNS,
                         "communities_covered": COVERAGE_COLUMNS}),
    Query("kpi_trainings", "能力培训", ("trainings", "training_attendance", "organisations"), kpi_trainings,
          _drill_trainings, uses=("years", "community"), kind="kpi", columns=_KPI, drill_columns=TRAINING_COLUMNS),
    Query("kpi_ratings", _RATING, ("ratings", "organisations"), kpi_ratings, _drill_ratings,
          uses=("years", "community"), kind="kpi", columns=_KPI, drill_columns=RATED_COLUMNS),
    Query("category_year", "分类别分年度资助与服务", ("activities", *_PROJ), category_year, _drill_category_year,
          drill_reads=("organisations",), columns=CATEGORY_YEAR_COLUMNS, drill_columns=FUNDED_APP_COLUMNS),
    Query("funnel", "本批次申报漏斗", ("application_events", *_APP), funnel, _drill_funnel,
          drill_reads=("organisations",), columns=FUNNEL_COLUMNS, drill_columns=FUNNEL_DRILL_COLUMNS),
    Query("community_coverage", "社区服务覆盖", ("communities", "activities", "organisations", *_PROJ),
          community_coverage, _drill_coverage, drill_reads=("brands",), columns=COVERAGE_COLUMNS,
          drill_columns=ACTIVITY_COLUMNS),
    Query("brand_matrix", "品牌矩阵", ("brands", "service_points", "activities", "publicity_items", *_PROJ),
          brand_matrix, _drill_brand, drill_reads=("organisations",), columns=BRAND_COLUMNS,
          drill_columns={None: PROJECT_COLUMNS, "publicity": publicity.RECORD_COLUMNS}),  # a brand; its publicity
    Query("capability_trend", "组织能力趋势", ("assessments", "assessment_scores", "instrument_indicators",
                                          "instrument_dimensions", "organisations"), capability_trend,
          _drill_capability, uses=("years", "community"), columns=CAPABILITY_COLUMNS,
          drill_columns=CAPABILITY_DRILL_COLUMNS),
    Query("risk_summary", "风险预警概况", _RISK, risk_summary, _drill_risks, columns=RISK_COLUMNS,
          drill_columns=RISK_DRILL_COLUMNS),
    Query("risk_counts", "风险预警统计", _RISK, risk_counts, _drill_risks, uses=("years",), kind="kpi",
          columns=RISK_COUNT_COLUMNS, drill_columns=RISK_DRILL_COLUMNS),
    Query("funding_sources", "项目资金来源结构", _PROJ, funding_sources, _drill_funding_sources,
          drill_reads=("organisations", "brands", "activities"), columns=FUNDING_COLUMNS,
          drill_columns=PROJECT_COLUMNS),
)}

KPI_QUERIES = ("kpi_organisations", "kpi_funding", "kpi_service", "kpi_trainings", "kpi_ratings")


def query(name: str) -> Query:
    if name not in QUERIES:
        raise KeyError(f"unknown dashboard query {name!r}")
    return QUERIES[name]


def drill_columns(name: str, selection: dict | None = None) -> Columns:
    """The columns of :func:`drill`'s frame for this selection, in order, with their labels."""
    cols = query(name).drill_columns
    if isinstance(cols, Columns):
        return cols
    key = (selection or {}).get("key")
    if key not in cols:
        raise DrillRefused(f"无法显示明细:未知的选择 {key!r}")
    return cols[key]


def run(name: str, filters: Filters | None = None, db=None) -> pd.DataFrame:
    """The named query's frame, from the cache unless one of its tables was written since."""
    q = query(name)
    db = snapshot.analytics_db(db)  # with HUBDESK_ANALYTICS=snapshot on PostgreSQL: the DuckDB copy
    f = (filters or Filters()).resolved()
    return cache.cached(name, f, _tables(q.tables, f), lambda: q.fn(f, db), db)


def _tables(tables: tuple[str, ...], f: Filters) -> tuple[str, ...]:
    """The tables a query reads under ``f``: with hubs, the hub predicate's too."""
    return tables if f.hubs is None else tuple(dict.fromkeys(tables + HUB_TABLES))


def drill(name: str, filters: Filters | None, selection: dict, db=None, *, limit: int = DRILL_LIMIT) -> pd.DataFrame:
    """The records behind one KPI (``{"key": ...}``) or one chart selection (the chart's fields, e.g.
    ``{"year": 2024, "category": "一老一小"}``) under the same filters; at most ``limit`` rows, newest
    first."""
    q = query(name)
    if q.drill is None:
        raise DrillRefused("该图表没有明细")
    db = snapshot.analytics_db(db)
    f = (filters or Filters()).resolved()
    sel = {k: v for k, v in (selection or {}).items() if v is not None}
    key = (f, tuple(sorted((k, str(v)) for k, v in sel.items())), limit)
    return cache.cached(f"drill:{name}", key, _tables(q.drill_tables, f), lambda: q.drill(f, sel, db, limit), db,
                        large=True)


def kpis(filters: Filters | None = None, db=None) -> pd.DataFrame:
    """Every KPI of the overview in one frame (the KPI queries' frames, in order)."""
    return pd.concat([run(n, filters, db) for n in KPI_QUERIES], ignore_index=True)


# 各枢纽对比 is not one of QUERIES: selecting a hub opens the dashboard of that hub (whose figures drill down to the
# records), not a list of records of its own
HUB_QUERY = Query("hub_comparison", "各枢纽对比", ("hubs", "organisations", "activities", *_PROJ), hub_comparison,
                  columns=HUB_COLUMNS)


def comparison(filters: Filters | None = None, db=None) -> pd.DataFrame:
    """:func:`hub_comparison` of the filters' hubs, cached like :func:`run` (the hubs are part of the key)."""
    db = snapshot.analytics_db(db)
    f = (filters or Filters()).resolved()
    return cache.cached(HUB_QUERY.name, f, HUB_QUERY.tables, lambda: hub_comparison(f, db), db)


HEADLINE_COLUMNS = columns("figure", "value",
                           computed={"figure": KPI_TABLE_COLUMNS["label"], "value": "数据(自中心成立至今)"})


def headline(today: dt.date | None = None, db=None, hubs: tuple[int, ...] | None = None) -> pd.DataFrame:
    """The hub's headline figures since it began (no filter but the hubs, :attr:`Filters.hubs`), as the seed case
    states them: figure, value (text with unit). Built from the cached KPI queries."""
    k = kpis(Filters(today=today, hubs=hubs), db).set_index("key")

    def n(key: str) -> int | float:
        return k.loc[key, "value"]

    def fmt(value: float, unit: str) -> str:
        return f"{value:,.0f} {unit}" if unit != "元" else f"{value:,.2f} 元"

    rows = [
        ("累计入壳孵化社会组织", fmt(n("incubated_ever"), "家")),
        ("引进专业社会组织", fmt(n("brought_in"), "家")),
        ("公益创投立项资助项目", fmt(n("funded"), "个")),
        ("签约实施项目", fmt(n("signed"), "个")),
        ("公益创投资助金额", fmt(n("granted"), "元")),
        ("已拨付资金", fmt(n("disbursed"), "元")),
        ("开展服务活动", fmt(n("activities"), "场")),
        ("服务居民", fmt(n("person_times"), "人次")),
        ("能力培训", f"{n('trainings'):,.0f} 场,{n('training_person_times'):,.0f} 人次"),
        (_RATING, ",".join(f"{level} {int(n(level))} 家" for level in reversed(choices.RATINGS) if n(level))
         or "暂无"),
        ("服务覆盖社区", f"{int(n('communities_covered'))} 个(共 {int(k.loc['communities_covered', 'total'])} 个社区)"),
    ]
    return pd.DataFrame(rows, columns=list(HEADLINE_COLUMNS))


# what a screen says while some records belong to no hub yet (:attr:`Filters.unhubbed`; {hub}: the default hub)
UNHUBBED_NOTE = "{what}尚未按枢纽登记,目前全部计入{hub}:所选枢纽包含该中心时计入,否则不计。"
short_name = hub_tree.short_name  # 下沙街道社会组织服务中心 -> 下沙街道 (core.orgs.hubs)


def hub_labels(db=None) -> dict[int, str]:
    """{hub id: short name} of every hub, cached until the hubs change."""
    db = db or get_db()
    return cache.cached("dashboard:hub-labels", None, ("hubs",), lambda: {
        int(r["id"]): short_name(r["name"]) for r in db.fetch_all("SELECT id, name FROM hubs")}, db)


def hub_order(db) -> list[dict]:
    """Every hub (id, name, level, parent_id, depth) in the order of :func:`core.orgs.hubs.tree` (市, each 区 and its
    街道 under it, by level then name), read from ``hubs`` alone."""
    rows = db.fetch_all("SELECT id, name, level, parent_id FROM hubs ORDER BY name, id")
    ids = {int(r["id"]) for r in rows}
    children: dict = {}
    for r in rows:
        parent = int(r["parent_id"]) if r["parent_id"] is not None and int(r["parent_id"]) in ids else None
        children.setdefault(parent, []).append(r)
    out: list[dict] = []

    def walk(parent, depth: int) -> None:
        for r in sorted(children.get(parent, []), key=lambda r: (HUB_LEVELS.index(r["level"])
                                                                   if r["level"] in HUB_LEVELS else 9, r["name"])):
            if all(o["id"] != int(r["id"]) for o in out):  # a damaged tree cannot loop
                out.append({"id": int(r["id"]), "name": r["name"], "level": r["level"], "depth": depth,
                            "parent_id": None if r["parent_id"] is None else int(r["parent_id"])})
                walk(int(r["id"]), depth + 1)

    walk(None, 0)
    return out


def hub_choices(scope: tuple[int, ...] | None, db=None) -> dict[int, str]:
    """The 枢纽 filter's options: {hub id: short name indented by its depth} of the hubs in ``scope`` (None: every
    hub), in the tree's order (市, each 区 and its 街道 under it)."""
    db = db or get_db()

    def load() -> dict[int, str]:
        t = [h for h in hub_order(db) if scope is None or h["id"] in scope]
        top = min((h["depth"] for h in t), default=0)
        return {h["id"]: "\u3000" * (h["depth"] - top) + ("└ " if h["depth"] > top else "") + short_name(h["name"])
                for h in t}

    return cache.cached("dashboard:hub-choices", scope, ("hubs",), load, db)


def filter_options(db=None) -> dict:
    """Choices for the filter bar: years (oldest first, up to this year), rounds (id -> name), categories,
    communities (the rounds, their categories and the communities of the signed-in user's hubs:
    ``core.platform.actor.acting``; every one outside a screen).
    Cached until rounds, applications, trainings or communities change."""
    db = db or get_db()
    who = acting()
    mine = _Where().own_hub(Filters(hubs=None if who is None else who.hubs), "hub_id")

    def load() -> dict:
        first = db.scalar(
            "SELECT min(y) FROM (SELECT min(year) AS y FROM rounds UNION ALL SELECT min(year(training_date)) FROM trainings"
            " UNION ALL SELECT min(year(incubation_in)) FROM organisations)")
        this = dt.date.today().year
        years = list(range(int(first) if first else this, this + 1))
        # the rounds of the reader's hubs (another hub's round names are its records), and their categories
        rounds = {r["id"]: r["name"] for r in db.fetch_all(
            f"SELECT id, name FROM rounds{mine.sql()} ORDER BY year DESC, id DESC", mine.params)}
        theirs = _Where().own_hub(Filters(hubs=None if who is None else who.hubs), "r.hub_id")
        cats = [r["c"] for r in db.fetch_all(
            f"SELECT DISTINCT c FROM (SELECT unnest(categories) AS c FROM rounds{mine.sql()} UNION SELECT a.category"
            " FROM applications a JOIN rounds r ON r.id = a.round_id WHERE a.category IS NOT NULL"
            f"{theirs.sql('AND')}) ORDER BY c", mine.params + theirs.params)]
        known = [c for c in choices.PROJECT_CATEGORIES if c in cats] + [c for c in cats if c not in choices.PROJECT_CATEGORIES]
        comms = [r["name"] for r in db.fetch_all(f"SELECT name FROM communities{mine.sql()} ORDER BY hub_id, sort_order, name",
                                                 mine.params)]
        return {"years": years, "rounds": rounds, "categories": known, "communities": comms}

    return cache.cached("dashboard:options", (dt.date.today(), tuple(mine.params)), ("rounds", "applications", "trainings",
                                                                          "organisations", "communities"), load, db)
