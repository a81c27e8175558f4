"""创投批次: round set-up (admins), its phases, category quotas, and the freeze once applications exist."""
from __future__ import annotations

import datetime as dt

import pandas as pd

from core.intake import rubrics, scope
from core.orgs import hubs
from core.platform import records
from core.platform.actor import Actor
from core.platform.db import get_db
from core.platform.entities import Entity, Unique, register
from core.platform.errors import NotFound, PermissionDenied, ValidationFailed
from core.platform.lookups import id_names
from schemas import choices
from schemas.columns import columns, money
from schemas.round import CategoryQuota, Round
from schemas.text import required as visible_text

ROUND = register(Entity(
    name="round", table="rounds", label="创投批次", schema=Round, write_roles=frozenset({"admin"}),
    # a name per hub (migration 029): 下沙 and 白杨 may both run 「2026年度公益创投」
    unique=(Unique("name", "批次名称已存在:本枢纽已有「{title}」(编号 {key}),请换一个名称", within="hub_id"),),
    hub_owned=True,  # each hub runs its own rounds (core.intake.scope): stamped, scoped, written by its own admin
))
QUOTA = register(Entity(
    name="round_quota", table="round_quotas", label="类别资金额度", schema=CategoryQuota,
    write_roles=frozenset({"admin"}), title_field="category", hub_via=scope.VIA_ROUND,
))

PHASES = (  # (name, start column, end column)
    ("金点子征集", "ideas_start", "ideas_end"),
    ("项目申报", "apply_start", "apply_end"),
    ("资格审查", "apply_end", "screening_end"),
    ("专家评审", "review_start", "review_end"),
    ("公示", "notice_start", "notice_end"),
    ("项目执行", "project_start", "project_end"),
)


def defaults(year: int | None = None, hub_id: int | None = None, db=None) -> dict:
    """A sensible new round of hub ``hub_id`` (default: the default hub): the usual calendar, 8万元 ceiling, default
    checklist, named after the hub (「2026年下沙街道公益创投」)."""
    y = year or dt.date.today().year
    d = dt.date
    hub = hubs.short_name(hubs.name_of(hub_id, db))
    hub = "" if hub == hubs.DEFAULT_NAME else hub  # a new install's 本中心 until it is renamed: just 公益创投
    return {
        "year": y, "name": f"{y}年{hub}公益创投", "total_budget": 500000.0, "project_ceiling": 80000.0,
        "max_apps_per_org": 1, "categories": list(choices.PROJECT_CATEGORIES), "checklist": list(choices.DEFAULT_CHECKLIST),
        "ideas_start": d(y, 2, 1), "ideas_end": d(y, 2, 28), "apply_start": d(y, 3, 1), "apply_end": d(y, 3, 31),
        "screening_end": d(y, 4, 15), "review_start": d(y, 4, 16), "review_end": d(y, 4, 30),
        "notice_start": d(y, 5, 6), "notice_end": d(y, 5, 12), "project_start": d(y, 6, 1), "project_end": d(y + 1, 3, 31),
        "reviewers_per_app": 5, "trimmed_mean": True, "discrepancy_threshold": 20.0, "blind_review": False,
        "half_points": False,
    }


def get(round_id: int, db=None, *, actor: Actor | None = None) -> dict:
    """The round ``round_id``; NotFound, as for a missing one, when it is another hub's (the reader's hubs:
    ``actor``'s, else the screen's user's, :mod:`core.intake.scope`)."""
    if not scope.visible("round", round_id, actor, db):
        raise NotFound(f"{ROUND.label}(编号 {round_id})不存在")
    return records.get(ROUND, round_id, db)


# the list of rounds (:func:`all_rounds`): the schema's labels and the three figures the query counts
LIST_COLUMNS = columns("id", "year", "name", "total_budget", "project_ceiling", "apply_start", "apply_end", "notice_end",
                       "applications", "funded", "granted", of=Round,
                       computed={"applications": "申报数", "funded": "立项数", "granted": money("已决定资助金额")})


def all_rounds(db=None, *, actor: Actor | None = None) -> pd.DataFrame:
    """The rounds of the reader's hubs, newest first, with their counts."""
    db = db or get_db()
    params: list = []
    where = scope.hub_owned_in("r.hub_id", params, actor)
    return db.fetch_df(
        "SELECT r.id, r.year, r.name, r.total_budget, r.project_ceiling, r.apply_start, r.apply_end, r.notice_end,"
        " (SELECT count(*) FROM applications a WHERE a.round_id = r.id) AS applications,"
        " (SELECT count(*) FROM applications a WHERE a.round_id = r.id AND a.state = 'funded') AS funded,"
        " (SELECT coalesce(sum(granted_amount), 0) FROM applications a WHERE a.round_id = r.id"
        "   AND a.state IN ('public_notice', 'funded')) AS granted"
        f" FROM rounds r WHERE {where} ORDER BY r.year DESC, r.id DESC", params
    )


def current(db=None, *, actor: Actor | None = None) -> dict | None:
    """The round of the reader's hubs most recently opened for applications."""
    db = db or get_db()
    params: list = []
    where = scope.hub_owned_in("hub_id", params, actor)
    return db.fetch_one(f"SELECT * FROM rounds WHERE apply_start <= current_date AND {where}"
                        " ORDER BY apply_start DESC LIMIT 1", params) \
        or db.fetch_one(f"SELECT * FROM rounds WHERE {where} ORDER BY apply_start DESC LIMIT 1", params)


def phase(r: dict, today: dt.date | None = None) -> str:
    today = today or dt.date.today()
    if r.get("apply_start") and today < r["apply_start"]:
        if r.get("ideas_start") and r["ideas_start"] <= today:
            return "金点子征集"
        return "未开始"
    current_phase = "未开始"
    for name, start, end in PHASES:
        s, e = r.get(start), r.get(end)
        if s and start == "apply_end":
            s = s + dt.timedelta(days=1)  # screening starts the day after the application deadline
        if s and s <= today and (e is None or today <= e):
            current_phase = name
    if r.get("project_end") and today > r["project_end"]:
        return "已结束"
    return current_phase


def application_count(round_id: int, db=None) -> int:
    db = db or get_db()
    return int(db.scalar("SELECT count(*) FROM applications WHERE round_id = ?", [round_id]))


def is_frozen(round_id: int, db=None) -> bool:
    """Settings freeze once the round has applications."""
    return application_count(round_id, db) > 0


def create(values: dict, actor: Actor, db=None) -> int:
    """A new round, with the default 100-point rubric (editable until the first review is submitted)."""
    record = records.clean(ROUND, values)
    criteria = [records.clean(rubrics.CRITERION, c) for c in rubrics.default_rows()]
    with records.unit(actor, db) as u:
        round_id = u.create(ROUND, record, validated=True)
        for seq, c in enumerate(criteria, start=1):
            u.create(rubrics.CRITERION, c, validated=True, system={"round_id": round_id, "seq": seq})
    return round_id


def update(round_id: int, values: dict, actor: Actor, *, override_reason: str | None = None, db=None) -> bool:
    """Change a round's settings; once it has applications only an admin may, with a reason (audited)."""
    if is_frozen(round_id, db):
        if not actor.has("admin", "system"):
            raise PermissionDenied("批次已有申报,设置已冻结,只有管理员可以修改")
        reason = visible_text(override_reason)
        if not reason:
            raise ValidationFailed(form=["该批次已有申报,设置已冻结。如确需修改,请填写修改原因(将记入审计日志)。"])
        return records.update(ROUND, round_id, values, actor, db=db, action="update_frozen", note=reason)
    return records.update(ROUND, round_id, values, actor, db=db)


def quotas(round_id: int, db=None) -> dict[str, float]:
    db = db or get_db()
    return {r["category"]: float(r["quota"]) for r in db.fetch_all(
        "SELECT category, quota FROM round_quotas WHERE round_id = ? ORDER BY category", [round_id])}


def set_quotas(round_id: int, new: dict[str, float | None], actor: Actor, *, override_reason: str | None = None,
               db=None) -> None:
    """Replace the round's category quotas (empty or 0 removes one)."""
    r = get(round_id, db)
    wanted = {c: q for c, q in new.items()
              if not (q is None or (isinstance(q, str) and not q.strip()) or (isinstance(q, (int, float)) and q == 0))}
    problems: dict[str, list[str]] = {}
    rows = []
    for c, q in wanted.items():  # each quota through the schema first: text such as "abc" is refused, not converted
        try:
            rows.append(records.clean(QUOTA, {"category": c, "quota": q}))
        except ValidationFailed as exc:
            for f, msgs in exc.fields.items():
                problems.setdefault(f, []).extend(f"「{c}」{m}" for m in msgs)
        if c not in (r["categories"] or []):
            problems.setdefault("category", []).append(f"「{c}」不是本批次的项目类别")
    if not problems and sum(float(row["quota"]) for row in rows) > float(r["total_budget"]) + 0.005:
        problems.setdefault("quota", []).append("各类别额度之和不能超过批次资金总额")
    if problems:
        raise ValidationFailed(fields=problems)
    override_reason = visible_text(override_reason) or None
    if is_frozen(round_id, db) and not override_reason:
        raise ValidationFailed(form=["该批次已有申报,设置已冻结。如确需修改,请填写修改原因(将记入审计日志)。"])
    db = db or get_db()
    existing = db.fetch_all("SELECT id, category, quota FROM round_quotas WHERE round_id = ?", [round_id])
    with records.unit(actor, db) as u:
        for row in existing:
            u.delete(QUOTA, row["id"], note=override_reason)
        for row in rows:
            u.create(QUOTA, row, system={"round_id": round_id}, validated=True, note=override_reason)


def install_providers() -> None:
    """``rounds``: every round id, newest first, shown by name; a screen's picker offers the rounds of its user's
    hubs."""
    id_names("rounds", ("rounds",), "SELECT id, name, hub_id FROM rounds ORDER BY year DESC, id DESC",
             hub_column="hub_id")
