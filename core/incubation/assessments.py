"""能力评估: a versioned instrument (dimensions with weighted indicators), assessments of organisations,
their per-organisation and cohort views, and the dimension -> support mapping.

Formulas (all in this module; the screens only show them):

- Each indicator is scored with a whole number from 1 to 5.
- **Dimension score** = (mean of the dimension's indicator scores − 1) / 4 × 100, i.e. all 1s give 0 and
  all 5s give 100 (e.g. indicators 4 and 5: (4.5 − 1) / 4 × 100 = 87.5).
- **Total** (on 100) = Σ (weight_d × dimension score_d) / Σ weight_d, the weighted mean of the dimension
  scores; weights need not add up to 100. The total is computed from the unrounded dimension scores
  and stored rounded to 2 decimals; dimension scores are shown rounded to 2 decimals.
- **Versions**: changing the instrument creates a new version; an assessment keeps the version it was
  made with. Assessments are compared **by dimension name**, so dimensions shared by two versions
  compare across them and a dimension only one version has is simply missing from the other.
- **Previous assessment** of an organisation: its latest assessment with an earlier assessment date.
- **Cohort median** of a dimension in a period: the median of that dimension's scores over every
  assessment with the same period text (e.g. 2026上半年).
- **Recommendations**: the two lowest dimension scores of the organisation's latest assessment (ties:
  the instrument's order), each mapped through the editable ``support_map`` to mentoring modules and
  training topics.
- **Fallen**: organisations whose total in a period is below the total of their previous assessment.
- **Not assessed**: active organisations whose latest assessment date lies more than N months (default
  12) before today, or that have never been assessed.
"""
from __future__ import annotations

import calendar
import datetime as dt

import pandas as pd

from core.incubation import scope
from core.platform import cache, records
from core.platform.listing import Rows
from core.platform.actor import SYSTEM, Actor
from core.platform.db import get_db
from core.platform.entities import Entity, Unique, register
from core.platform.errors import NotFound, ValidationFailed
from core.platform.validation import validate, validate_many
from schemas import choices
from schemas.capability import (
    DEFAULT_INSTRUMENT, DEFAULT_INSTRUMENT_NAME, Dimension, Indicator, Instrument, InstrumentRow, SupportMapping,
    assessment_schema, score_field,
)
from schemas.columns import columns
from schemas.organisation import Organisation
from schemas.stored import Assessment as StoredAssessment, AssessmentScore

STALE_MONTHS = 12
WEAKEST = 2
ROW_FIELDS = ["dimension", "weight", "indicator", "guidance"]

# dimension -> (mentoring modules, training topics); seeded into ``support_map``, then edited by staff
DEFAULT_SUPPORT = {
    "内部治理": (["风险预警防控"], ["公益管理", "法律合规"]),
    "项目管理": (["项目策划设计", "执行流程管控"], ["项目设计"]),
    "财务管理": (["财务规范管理"], ["财税管理"]),
    "人力资源": (["执行流程管控"], ["志愿者管理"]),
    "品牌传播": (["项目策划设计"], ["品牌传播", "数字化运营"]),
    "资源动员": (["项目策划设计"], ["资源动员"]),
    "服务成效": (["执行流程管控", "风险预警防控"], ["项目设计"]),
}

_STAFF = frozenset({"admin", "staff"})
INSTRUMENT = register(Entity(name="instrument", table="assessment_instruments", label="评估工具",
                             schema=Instrument, write_roles=_STAFF, title_field="name"))
DIMENSION = register(Entity(name="instrument_dimension", table="instrument_dimensions", label="评估维度",
                            schema=Dimension, write_roles=_STAFF, title_field="name"))
INDICATOR = register(Entity(name="instrument_indicator", table="instrument_indicators", label="评估指标",
                            schema=Indicator, write_roles=_STAFF, title_field="name"))
# an assessment and its scores are their organisation's hub's (core.incubation.scope); the instruments and the
# support map are shared by every hub
ASSESSMENT = register(Entity(name="assessment", table="assessments", label="能力评估", write_roles=_STAFF,
                             title_field="period", schema=StoredAssessment, hub_via=scope.VIA_ORG))
SCORE = register(Entity(name="assessment_score", table="assessment_scores", label="指标得分", write_roles=_STAFF,
                        title_field="indicator_id", schema=AssessmentScore, hub_via=scope.VIA_ASSESSMENT))
SUPPORT = register(Entity(
    name="support_map", table="support_map", label="能力维度支持对照", schema=SupportMapping, write_roles=_STAFF,
    title_field="dimension", unique=(Unique("dimension", "该维度已有对照:「{title}」(编号 {key})"),),
))


# ---- formulas -------------------------------------------------------------------------------------
def dimension_score(indicator_scores) -> float:
    """(mean − 1) / 4 × 100 of whole scores 1–5."""
    values = [float(v) for v in indicator_scores]
    if not values:
        raise ValueError("a dimension needs at least one indicator score")
    return (sum(values) / len(values) - 1) / 4 * 100


def weighted_total(dim_scores: dict[str, float], weights: dict[str, float]) -> float:
    """Σ weight × score / Σ weight over the dimensions, rounded to 2 decimals."""
    total_weight = sum(float(weights[d]) for d in dim_scores)
    return round(sum(float(weights[d]) * float(s) for d, s in dim_scores.items()) / total_weight, 2)


def score_assessment(dimensions: list[dict], scores: dict[int, int]) -> tuple[dict[str, float], float]:
    """Dimension scores (by name, unrounded) and the total for indicator scores keyed by indicator id."""
    dims = {d["name"]: dimension_score([scores[i["id"]] for i in d["indicators"]]) for d in dimensions}
    return dims, weighted_total(dims, {d["name"]: d["weight"] for d in dimensions})


# ---- the instrument -------------------------------------------------------------------------------
# the columns of :func:`instruments` and :func:`instrument_rows` (labels of the computed ones declared here)
VERSION_COLUMNS = columns("id", "version", "name", "note", "created_at", "dimensions", "indicators", "assessments",
                          of=Instrument,
                          computed={"dimensions": "维度数", "indicators": "指标数", "assessments": "已用于评估"})
ROW_COLUMNS = columns(*ROW_FIELDS, of=InstrumentRow)


def instruments(db=None) -> pd.DataFrame:
    """Every version, newest first: id, version, name, note, created_at, dimensions, indicators, assessments."""
    db = db or get_db()
    return db.fetch_df(
        "SELECT i.id, i.version, i.name, i.note, i.created_at,"
        " (SELECT count(*) FROM instrument_dimensions d WHERE d.instrument_id = i.id) AS dimensions,"
        " (SELECT count(*) FROM instrument_indicators n JOIN instrument_dimensions d ON d.id = n.dimension_id"
        "   WHERE d.instrument_id = i.id) AS indicators,"
        " (SELECT count(*) FROM assessments a WHERE a.instrument_id = i.id) AS assessments"
        " FROM assessment_instruments i ORDER BY i.version DESC")


def latest_instrument_id(db=None) -> int | None:
    db = db or get_db()
    return db.scalar("SELECT id FROM assessment_instruments ORDER BY version DESC LIMIT 1")


def instrument(instrument_id: int, db=None) -> dict:
    """The version with its dimensions (in order) and their indicators (in order)."""
    db = db or get_db()
    head = db.fetch_one("SELECT * FROM assessment_instruments WHERE id = ?", [instrument_id])
    if head is None:
        raise NotFound(f"评估工具(编号 {instrument_id})不存在")
    dims = db.fetch_all("SELECT id, seq, name, weight FROM instrument_dimensions WHERE instrument_id = ?"
                        " ORDER BY seq, id", [instrument_id])
    inds = db.fetch_all("SELECT n.id, n.dimension_id, n.seq, n.name, n.guidance FROM instrument_indicators n"
                        " JOIN instrument_dimensions d ON d.id = n.dimension_id WHERE d.instrument_id = ?"
                        " ORDER BY n.seq, n.id", [instrument_id])
    for d in dims:
        d["indicators"] = [i for i in inds if i["dimension_id"] == d["id"]]
    return {**head, "dimensions": dims}


def instrument_rows(instrument_id: int, db=None) -> list[dict]:
    """The version as editor rows: one per indicator with its dimension and the dimension's weight."""
    return [{"dimension": d["name"], "weight": float(d["weight"]), "indicator": i["name"], "guidance": i["guidance"]}
            for d in instrument(instrument_id, db)["dimensions"] for i in d["indicators"]]


def default_rows() -> list[dict]:
    return [{"dimension": d, "weight": float(w), "indicator": n, "guidance": g}
            for d, w, inds in DEFAULT_INSTRUMENT for n, g in inds]


def _grouped(rows: list[dict]) -> list[dict]:
    """Editor rows -> dimensions in order of first appearance; checks weights and duplicate indicators."""
    rows = [r for r in rows if any(v is not None and not (isinstance(v, str) and not v.strip())
                                   and not (isinstance(v, float) and v != v) for v in r.values())]
    if not rows:
        raise ValidationFailed(fields={"rows": ["评估工具至少需要一个维度和一个指标"]})
    valid, errors = validate_many(InstrumentRow, rows)
    if errors:
        raise ValidationFailed(fields={"rows": [f"第{e.row + 1}行:{e.message}" for e in errors]})
    dims: dict[str, dict] = {}
    problems: list[str] = []
    for i in range(len(rows)):
        r = valid[i]
        d = dims.setdefault(r["dimension"], {"name": r["dimension"], "weight": r["weight"], "indicators": []})
        if abs(float(d["weight"]) - float(r["weight"])) > 1e-9:
            msg = f"维度「{r['dimension']}」各行的权重不一致"
            if msg not in problems:
                problems.append(msg)
        if r["indicator"] in [x["name"] for x in d["indicators"]]:
            problems.append(f"维度「{r['dimension']}」中的指标「{r['indicator']}」重复")
        d["indicators"].append({"name": r["indicator"], "guidance": r.get("guidance")})
    if problems:
        raise ValidationFailed(fields={"rows": problems})
    return list(dims.values())


def _shape(dimensions: list[dict]) -> list:
    return [(d["name"], float(d["weight"]), [(i["name"], i.get("guidance") or None) for i in d["indicators"]])
            for d in dimensions]


def new_version(rows: list[dict], head: dict, actor: Actor, db=None) -> int:
    """Store ``rows`` (editor rows) as the next version of the instrument; earlier versions and the
    assessments made with them stay as they are. Returns the new version's id."""
    db = db or get_db()
    clean_head = records.clean(INSTRUMENT, head)
    dims = _grouped(rows)
    latest = latest_instrument_id(db)
    if latest is not None and _shape(dims) == _shape(instrument(latest, db)["dimensions"]):
        raise ValidationFailed(form=["与当前版本的维度、权重和指标完全相同,无需保存新版本"])
    with records.unit(actor, db) as u:
        version = int(u.tx.fetch_one("SELECT coalesce(max(version), 0) + 1 AS v FROM assessment_instruments")["v"])
        inst_id = u.create(INSTRUMENT, clean_head, validated=True, system={"version": version})
        for seq, d in enumerate(dims, start=1):
            dim_id = u.create(DIMENSION, {"name": d["name"], "weight": float(d["weight"])}, validated=True,
                              system={"instrument_id": inst_id, "seq": seq})
            for iseq, ind in enumerate(d["indicators"], start=1):
                u.create(INDICATOR, {"name": ind["name"], "guidance": ind.get("guidance")}, validated=True,
                         system={"dimension_id": dim_id, "seq": iseq})
    return inst_id


def ensure_defaults(actor: Actor = SYSTEM, db=None) -> bool:
    """The first instrument version and the default support map, if there are none yet."""
    db = db or get_db()
    made = False
    if latest_instrument_id(db) is None:
        with db.write_lock:  # two first visits at once create one version 1
            if latest_instrument_id(db) is None:
                new_version(default_rows(), {"name": DEFAULT_INSTRUMENT_NAME, "note": "默认版本"}, actor, db=db)
                made = True
    if not db.scalar("SELECT count(*) FROM support_map"):
        with records.unit(actor, db) as u:
            if not u.tx.fetch_one("SELECT count(*) AS n FROM support_map")["n"]:
                for dim, (modules, topics) in DEFAULT_SUPPORT.items():
                    u.create(SUPPORT, records.clean(SUPPORT, {"dimension": dim, "modules": modules, "topics": topics}),
                             validated=True)
                made = True
    return made


# ---- assessments ----------------------------------------------------------------------------------
def schema_for(instrument_id: int, db=None):
    return assessment_schema(instrument(instrument_id, db)["dimensions"])


def create(org_id: int, instrument_id: int, values: dict, actor: Actor, db=None) -> tuple[int, float]:
    """Store an assessment with its indicator scores; returns (id, total). One per organisation and period."""
    db = db or get_db()
    inst = instrument(instrument_id, db)
    if org_id is None or not scope.org_visible(org_id, actor, db) or \
            db.fetch_one("SELECT id FROM organisations WHERE id = ?", [org_id]) is None:
        raise ValidationFailed(form=["请选择要评估的组织"])
    clean = validate(assessment_schema(inst["dimensions"]), values)
    scores = {i["id"]: int(clean[score_field(i["id"])]) for d in inst["dimensions"] for i in d["indicators"]}
    _, total = score_assessment(inst["dimensions"], scores)
    head = {"org_id": org_id, "period": clean["period"], "instrument_id": instrument_id,
            "assessor": clean["assessor"], "assessed_on": clean["assessed_on"], "evidence": clean.get("evidence"),
            "total": total}
    with records.unit(actor, db) as u:
        dup = u.tx.fetch_one("SELECT id FROM assessments WHERE org_id = ? AND period = ?", [org_id, clean["period"]])
        if dup:
            raise ValidationFailed(fields={"period": [f"该组织已有「{clean['period']}」的评估(编号 {dup['id']})"]})
        aid = u.create(ASSESSMENT, head, validated=True)
        u.create_many(SCORE, [{"assessment_id": aid, "indicator_id": ind_id, "score": score}
                              for ind_id, score in scores.items()], validated=True)
    return aid, total


def get(assessment_id: int, db=None) -> dict | None:
    """The assessment ``assessment_id``; None for one of an organisation outside the reader's hubs."""
    db = db or get_db()
    params: list = [assessment_id]
    mine = scope.orgs_in("org_id", params)
    return db.fetch_one(f"SELECT * FROM assessments WHERE id = ? AND {mine}", params)


# the columns of :func:`assessment_frame` (the assessment form's labels)
ASSESSMENT_COLUMNS = columns("id", "org_id", "org", "period", "assessed_on", "version", "assessor", "total",
                             of=assessment_schema([]))


def assessment_frame(db=None, org_id: int | None = None) -> pd.DataFrame:
    """One row per assessment (oldest first): id, org_id, org, period, assessed_on, version, assessor, total."""
    db = db or get_db()
    keep = scope.reader_hubs()  # of the reader's hubs' organisations (core.incubation.scope)
    return cache.cached("assessment_frame", (org_id, keep), TABLES, lambda: _assessment_frame(db, org_id, keep), db)


# what the assessment reads depend on: kept until one of them is written (the 能力评估 screen reads every
# assessment's dimension scores several times per run: 37,000 rows at a city's scale)
TABLES = ("assessments", "assessment_scores", "assessment_instruments", "instrument_dimensions",
          "instrument_indicators", "organisations")


def _assessment_frame(db, org_id: int | None, keep: tuple[int, ...] | None = None) -> pd.DataFrame:
    where, params = ("WHERE a.org_id = ?", [org_id]) if org_id is not None else ("WHERE true", [])
    where += " AND " + _kept("a.org_id", params, keep)
    df = db.fetch_df(
        "SELECT a.id, a.org_id, o.name AS org, a.period, a.assessed_on, i.version, a.assessor, a.total"
        " FROM assessments a JOIN organisations o ON o.id = a.org_id"
        f" JOIN assessment_instruments i ON i.id = a.instrument_id {where} ORDER BY a.assessed_on, a.id", params)
    df["assessed_on"] = pd.to_datetime(df["assessed_on"])
    return df


def score_frame(db=None, org_id: int | None = None, period: str | None = None) -> pd.DataFrame:
    """Dimension scores, one row per (assessment, dimension), oldest assessment first: assessment_id,
    org_id, org, period, assessed_on, version, total, dimension, seq, weight, score."""
    db = db or get_db()
    keep = scope.reader_hubs()
    return cache.cached("score_frame", (org_id, period, keep), TABLES, lambda: _score_frame(db, org_id, period, keep),
                        db)


def _kept(column: str, params: list, keep: tuple[int, ...] | None) -> str:
    """``column`` names an organisation of the hubs ``keep`` (None: every hub)."""
    if keep is None:
        return "true"
    if not keep:
        return "false"
    params += [int(h) for h in keep]
    return f"{column} IN (SELECT id FROM organisations WHERE hub_id IN ({', '.join('?' for _ in keep)}))"


def _score_frame(db, org_id: int | None, period: str | None, keep: tuple[int, ...] | None = None) -> pd.DataFrame:
    cond, params = [], []
    cond.append(_kept("a.org_id", params, keep))
    if org_id is not None:
        cond.append("a.org_id = ?")
        params.append(org_id)
    if period is not None:
        cond.append("a.period = ?")
        params.append(period)
    where = ("WHERE " + " AND ".join(cond)) if cond else ""
    df = db.fetch_df(
        "SELECT a.id AS assessment_id, a.org_id, o.name AS org, a.period, a.assessed_on, i.version, a.total,"
        " d.name AS dimension, d.seq, d.weight, (avg(s.score) - 1) / 4 * 100 AS score"
        " FROM assessments a JOIN organisations o ON o.id = a.org_id"
        " JOIN assessment_instruments i ON i.id = a.instrument_id"
        " JOIN assessment_scores s ON s.assessment_id = a.id"
        " JOIN instrument_indicators n ON n.id = s.indicator_id"
        " JOIN instrument_dimensions d ON d.id = n.dimension_id"
        f" {where} GROUP BY ALL ORDER BY a.assessed_on, a.id, d.seq", params)
    df["assessed_on"] = pd.to_datetime(df["assessed_on"])
    df["score"] = df["score"].astype(float).round(2)
    return df


def dimension_scores(assessment_id: int, db=None) -> dict[str, float]:
    """Dimension name -> score of one assessment (in the instrument's order)."""
    db = db or get_db()
    a = get(assessment_id, db)
    if a is None:
        raise NotFound(f"评估(编号 {assessment_id})不存在")
    df = score_frame(db, org_id=a["org_id"])
    df = df[df["assessment_id"] == assessment_id]
    return dict(zip(df["dimension"], df["score"]))


def previous_of(assessment_id: int, db=None) -> dict | None:
    """The organisation's latest assessment dated before this one."""
    db = db or get_db()
    a = get(assessment_id, db)
    if a is None:
        return None
    return db.fetch_one("SELECT * FROM assessments WHERE org_id = ? AND id <> ? AND (assessed_on < ?"
                        " OR (assessed_on = ? AND id < ?)) ORDER BY assessed_on DESC, id DESC LIMIT 1",
                        [a["org_id"], assessment_id, a["assessed_on"], a["assessed_on"], assessment_id])


def compare(earlier_id: int, later_id: int, db=None) -> pd.DataFrame:
    """Two assessments side by side on the dimensions they share (by name, in the later one's order):
    dimension, before, after, change."""
    before, after = dimension_scores(earlier_id, db), dimension_scores(later_id, db)
    rows = [{"dimension": d, "before": before[d], "after": s, "change": round(s - before[d], 2)}
            for d, s in after.items() if d in before]
    return pd.DataFrame(rows, columns=["dimension", "before", "after", "change"])


def cohort_median(period: str, db=None) -> dict[str, float]:
    """Dimension name -> median score over every assessment of ``period``."""
    df = score_frame(db, period=period)
    return {} if df.empty else df.groupby("dimension", sort=False)["score"].median().round(2).to_dict()


SERIES = ("本期", "上期", "同期中位数")


# the table beside the radar chart (:func:`dimension_table`): a dimension's score in each series
SERIES_COLUMNS = columns("dimension", *SERIES, of=InstrumentRow, computed={s: s for s in SERIES})


def dimension_table(radar: pd.DataFrame) -> pd.DataFrame:
    """:func:`radar_frame` as a table: one row per dimension (in the instrument's order), one column per series."""
    wide = radar.pivot_table(index=["seq", "dimension"], columns="series", values="score").reset_index()
    wide = wide.sort_values("seq").drop(columns=["seq"])
    return wide[[c for c in SERIES_COLUMNS if c in wide.columns]]


def radar_frame(assessment_id: int, db=None) -> pd.DataFrame:
    """Long frame for the radar chart: series (本期 / 上期 / 同期中位数), dimension, seq, score, on the
    dimensions of this assessment's instrument (the previous one's matched by name)."""
    db = db or get_db()
    a = get(assessment_id, db)
    if a is None:
        raise NotFound(f"评估(编号 {assessment_id})不存在")
    dims = [(d["name"], d["seq"]) for d in instrument(a["instrument_id"], db)["dimensions"]]
    now = dimension_scores(assessment_id, db)
    prev_row = previous_of(assessment_id, db)
    prev = dimension_scores(prev_row["id"], db) if prev_row else {}
    median = cohort_median(a["period"], db)
    rows = []
    for label, values, period in ((SERIES[0], now, a["period"]),
                                  (SERIES[1], prev, prev_row["period"] if prev_row else None),
                                  (SERIES[2], median, a["period"])):
        for name, seq in dims:
            if name in values:
                rows.append({"series": label, "period": period, "dimension": name, "seq": seq,
                             "score": float(values[name])})
    return pd.DataFrame(rows, columns=["series", "period", "dimension", "seq", "score"])


def trend_frame(org_id: int, db=None) -> pd.DataFrame:
    """The organisation's dimension scores and totals over its assessments (oldest first): period,
    assessed_on, dimension (总分 for the total), score."""
    df = score_frame(db, org_id=org_id)
    if df.empty:
        return pd.DataFrame(columns=["period", "assessed_on", "dimension", "score"])
    dims = df[["period", "assessed_on", "dimension", "score"]]
    totals = df.drop_duplicates("assessment_id")[["period", "assessed_on", "total"]].rename(columns={"total": "score"})
    totals.insert(2, "dimension", ASSESSMENT_COLUMNS["total"])  # the total's line is named by its label
    return pd.concat([dims, totals], ignore_index=True).sort_values(["assessed_on"], kind="stable") \
        .reset_index(drop=True)


# ---- support map and recommendations --------------------------------------------------------------
def _as_list(value) -> list[str]:
    if value is None or (isinstance(value, float) and value != value):
        return []
    return [str(v) for v in list(value)]


SUPPORT_COLUMNS = columns("id", "dimension", "modules", "topics", of=SupportMapping)


def support_map(db=None) -> pd.DataFrame:
    """dimension, modules (list), topics (list), id — in the default dimension order, then by name."""
    db = db or get_db()
    rows = db.fetch_all("SELECT id, dimension, modules, topics FROM support_map")
    order = {d: i for i, d in enumerate(choices.CAPABILITY_DIMENSIONS)}
    rows.sort(key=lambda r: (order.get(r["dimension"], len(order)), r["dimension"]))
    return pd.DataFrame([{**r, "modules": _as_list(r["modules"]), "topics": _as_list(r["topics"])} for r in rows],
                        columns=["id", "dimension", "modules", "topics"])


def support_row(dimension: str, db=None) -> dict | None:
    db = db or get_db()
    row = db.fetch_one("SELECT * FROM support_map WHERE dimension = ?", [dimension])
    if row:
        row["modules"], row["topics"] = _as_list(row["modules"]), _as_list(row["topics"])
    return row


def set_support(dimension: str, values: dict, actor: Actor, db=None) -> bool:
    """Set the mentoring modules and training topics that serve ``dimension``. True if anything changed."""
    db = db or get_db()
    row = support_row(dimension, db)
    wanted = {k: values.get(k) for k in ("modules", "topics") if k in values}
    if row is None:
        records.create(SUPPORT, {"dimension": dimension, **wanted}, actor, db=db)
        return True
    return records.update(SUPPORT, row["id"], wanted, actor, db=db)


def dimension_names(db=None) -> list[str]:
    """Every dimension name any version uses or the support map knows (default order first)."""
    db = db or get_db()
    names = {r["name"] for r in db.fetch_all("SELECT DISTINCT name FROM instrument_dimensions")}
    names |= {r["dimension"] for r in db.fetch_all("SELECT dimension FROM support_map")}
    order = {d: i for i, d in enumerate(choices.CAPABILITY_DIMENSIONS)}
    return sorted(names, key=lambda n: (order.get(n, len(order)), n))


# the columns of :func:`recommendations` (labels of the computed ones declared here)
RECOMMENDATION_COLUMNS = columns("dimension", "score", "modules", "topics", of=InstrumentRow,
                                 computed={"modules": "建议辅导模块", "topics": "建议培训主题"})


def recommendations(org_id: int, db=None) -> pd.DataFrame:
    """The two weakest dimensions of the organisation's latest assessment with the modules and topics
    that serve them: dimension, score, modules, topics (empty when it has no assessment)."""
    db = db or get_db()
    df = score_frame(db, org_id=org_id)
    cols = ["dimension", "score", "modules", "topics"]
    if df.empty:
        return pd.DataFrame(columns=cols)
    latest = df[df["assessment_id"] == df["assessment_id"].iloc[-1]]
    weakest = latest.sort_values(["score", "seq"], kind="stable").head(WEAKEST)
    mapping = {r["dimension"]: r for r in support_map(db).to_dict("records")}
    rows = [{"dimension": w.dimension, "score": float(w.score),
             "modules": mapping.get(w.dimension, {}).get("modules", []),
             "topics": mapping.get(w.dimension, {}).get("topics", [])} for w in weakest.itertuples()]
    return pd.DataFrame(rows, columns=cols)


# ---- cohort views ---------------------------------------------------------------------------------
def periods(db=None) -> list[str]:
    """Periods assessed, the most recent first (by their latest assessment date)."""
    db = db or get_db()
    params: list = []
    mine = scope.orgs_in("org_id", params)
    return [r["period"] for r in db.fetch_all(
        f"SELECT period FROM assessments WHERE {mine} GROUP BY period ORDER BY max(assessed_on) DESC, period DESC",
        params)]


def distribution(period: str, db=None) -> pd.DataFrame:
    """Every dimension score of the period: org, dimension, seq, score."""
    df = score_frame(db, period=period)
    return df[["org", "dimension", "seq", "score"]].reset_index(drop=True)


# the columns of :func:`dimension_stats`, :func:`fallen` and :func:`not_assessed` (computed ones labelled here)
STATS_COLUMNS = columns("dimension", "count", "min", "median", "mean", "max", of=InstrumentRow,
                        computed={"count": "组织数", "min": "最低", "median": "中位数", "mean": "平均", "max": "最高"})
STALE_COLUMNS = columns("org_id", "org", "community", "last_assessed", "last_period", of=Organisation,
                        computed={"last_assessed": "上次评估日期", "last_period": "上次评估期"})
FALLEN_COLUMNS = columns("org_id", "org", "previous_period", "previous_total", "period", "total", "change",
                         computed={"previous_period": STALE_COLUMNS["last_period"], "previous_total": "上次总分",
                                   "period": "本期", "total": "本期总分", "change": "变化"})


def dimension_stats(dist: pd.DataFrame) -> pd.DataFrame:
    """:func:`distribution` summed up per dimension (in the instrument's order): dimension, count (organisations),
    min, median, mean, max, rounded to 1 decimal."""
    stats = dist.groupby(["seq", "dimension"])["score"].agg(["count", "min", "median", "mean", "max"]).round(1)
    return stats.reset_index().drop(columns=["seq"])


def fallen(period: str, db=None) -> pd.DataFrame:
    """Organisations whose total in ``period`` is below that of their previous assessment (biggest
    fall first): org_id, org, previous_period, previous_total, period, total, change."""
    return fallen_rows(period).all(db)


def fallen_rows(period: str) -> Rows:
    """:func:`fallen`, paged in the database."""
    params: list = []
    mine = scope.orgs_in("a.org_id", params)
    return Rows(
        "SELECT org_id, org, previous_period, previous_total, period, total, round(total - previous_total, 2) AS change"
        " FROM (SELECT a.org_id, o.name AS org, a.period, a.total, lag(a.period) OVER w AS previous_period,"
        "   lag(a.total) OVER w AS previous_total FROM assessments a JOIN organisations o ON o.id = a.org_id"
        f"   WHERE {mine} WINDOW w AS (PARTITION BY a.org_id ORDER BY a.assessed_on, a.id)) AS x"
        " WHERE period = ? AND previous_total IS NOT NULL AND total < previous_total",
        "change, org, org_id", (*params, period))


def months_before(day: dt.date, months: int) -> dt.date:
    """The same day ``months`` months earlier (the month's last day when it has fewer days)."""
    m = day.year * 12 + (day.month - 1) - months
    year, month = divmod(m, 12)
    return dt.date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


def not_assessed(months: int = STALE_MONTHS, today: dt.date | None = None, db=None) -> pd.DataFrame:
    """Active organisations last assessed before ``months`` months ago, or never (never first, then the
    longest ago): org_id, org, community, last_assessed, last_period."""
    return not_assessed_rows(months, today).all(db)


def not_assessed_rows(months: int = STALE_MONTHS, today: dt.date | None = None) -> Rows:
    """:func:`not_assessed`, paged in the database."""
    cutoff = months_before(today or dt.date.today(), int(months))
    params: list = [cutoff]
    mine = scope.orgs_in("o.id", params)
    return Rows(
        "SELECT o.id AS org_id, o.name AS org, o.community, l.assessed_on AS last_assessed, l.period AS last_period"
        " FROM organisations o LEFT JOIN (SELECT org_id, assessed_on, period, row_number() OVER"
        "   (PARTITION BY org_id ORDER BY assessed_on DESC, id DESC) AS k FROM assessments) l"
        "   ON l.org_id = o.id AND l.k = 1"
        f" WHERE o.active AND (l.assessed_on IS NULL OR l.assessed_on < ?) AND {mine}",
        "last_assessed NULLS FIRST, org, org_id", tuple(params))


def assessed_orgs(db=None) -> list[tuple[int, str]]:
    """(id, name) of organisations with at least one assessment, by name."""
    db = db or get_db()
    params: list = []
    mine = scope.orgs_in("o.id", params)
    return [(r["id"], r["name"]) for r in db.fetch_all(
        f"SELECT DISTINCT o.id, o.name FROM organisations o JOIN assessments a ON a.org_id = o.id WHERE {mine}"
        " ORDER BY o.name", params)]
