"""需求 (issue 18): community needs recorded from 需求调研, their status over time (登记 → 已对接 → 部分满足 →
已满足, or 暂缓), the ideas, applications and projects linked to them as their answers, and the 需求动态跟踪
figures: per community, needs covered vs open, and the open needs nobody answers yet with how long they waited.

Every status change is a dated event with a note (``need_events``), written with the need's new status in one
transaction and audited; a move the workflow does not allow is refused in Chinese, naming the moves it allows.
"""
from __future__ import annotations

import datetime as dt

import pandas as pd

from core.monitoring import projects
from core.platform import cache, records
from core.platform.actor import Actor
from core.platform.db import get_db
from core.platform.entities import Entity, Screen, may, register
from core.platform.errors import NotFound, PermissionDenied, ValidationFailed
from core.platform.listing import Column, Filter, ListView
from core.platform.validation import plain
from core.resources import hubs as hub_scope
from core.resources.hubs import READER
from schemas.choices import NEED_LINK_KINDS, NEED_STATUSES
from schemas.columns import columns, number
from schemas.need import Need, NeedEvent, NeedLink

WRITERS = frozenset({"admin", "staff"})
# a need's status changes and links are of its hub (Entity.hub_via)
VIA_NEED = ("need_id", "SELECT hub_id FROM community_needs WHERE id = ?")

NEED = register(Entity(
    name="need", table="community_needs", label="社区需求", schema=Need, write_roles=WRITERS, title_field="title",
    columns=("status", "status_on"), hub_owned=True,  # each hub's own needs (issue 20)
    screen=Screen("需求登记", "community-needs", "资源与需求", icon=":material/record_voice_over:",
                  columns=("id", "title", "community", "target_group", "source", "surveyed_on", "urgency", "status"),
                  filters=("community", "target_group", "source", "urgency"),
                  search=("title", "description", "recorded_by"),
                  example={"title": "老人吃饭难,希望有老年食堂", "community": "松合社区", "target_group": "老年人",
                           "source": "问卷调查", "surveyed_on": "2026-03-15", "urgency": "较急", "residents": 36,
                           "recorded_by": "王晓燕", "description": "问卷中36户独居老人勾选了“吃饭难”"}),
))
NEED_EVENT = register(Entity(
    name="need_event", table="need_events", label="需求状态变更", schema=NeedEvent, write_roles=WRITERS,
    title_field="to_status", hub_via=VIA_NEED,
))
NEED_LINK = register(Entity(
    name="need_link", table="need_links", label="需求回应关联", schema=NeedLink, write_roles=WRITERS,
    title_field="kind", hub_via=VIA_NEED,
))

OPEN = "登记"
MET = "已满足"
# the moves a need's status may make (暂缓 resumes where work restarts; 已满足 reopens as 部分满足 when it changes)
MOVES: dict[str, tuple[str, ...]] = {
    "登记": ("已对接", "暂缓"),
    "已对接": ("部分满足", "已满足", "暂缓"),
    "部分满足": ("已满足", "暂缓"),
    "已满足": ("部分满足",),
    "暂缓": ("登记", "已对接"),
}
assert set(MOVES) == set(NEED_STATUSES)

# where each kind of answer lives, how it is named (projects by their application's title) and its hub (an
# application's and a project's: their round's, core.intake.scope): a need is answered only within its hub
_TARGETS = {
    "idea": "SELECT id, title, community AS place, hub_id FROM ideas",
    "application": ("SELECT a.id, a.title, array_to_string(a.communities, '、') AS place, r.hub_id FROM applications a"
                    " JOIN rounds r ON r.id = a.round_id"),
    "project": ("SELECT p.id, a.title, array_to_string(p.communities, '、') AS place, r.hub_id FROM projects p"
                " JOIN applications a ON a.id = p.application_id JOIN rounds r ON r.id = a.round_id"),
}

# ---- the list of needs ---------------------------------------------------------------------------------------
WAITED = "date_diff('day', surveyed_on, current_date)"
_ANSWERS = "(SELECT count(*) FROM need_links l WHERE l.need_id = community_needs.id)"
NEED_COLUMNS = columns("id", "title", "community", "target_group", "urgency", "status", "status_on", "answers",
                       "surveyed_on", of=Need,
                       computed={"status_on": "状态日期", "answers": number("回应数")})
LIST_VIEW = ListView(
    entity=NEED,
    columns=tuple(Column(n, t, sql={"answers": _ANSWERS}.get(n)) for n, t in NEED_COLUMNS.items()),
    search=("title", "description"),
    filters=(
        Filter("community", NEED_COLUMNS["community"], "community", source="communities"),
        Filter("target_group", NEED_COLUMNS["target_group"], "target_group", source="need_groups"),
        Filter("status", NEED_COLUMNS["status"], "status", source="need_statuses"),
        Filter("urgency", NEED_COLUMNS["urgency"], "urgency", source="need_urgencies"),
    ),
    default_sort="id", default_desc=True, search_hint="需求标题或描述",
)

EVENT_COLUMNS = columns("changed_on", "from_status", "to_status", "note", "created_by", of=NeedEvent,
                        computed={"created_by": "登记人"})
LINK_COLUMNS = columns("kind", "target_id", "title", "place", "note", of=NeedLink,
                       computed={"title": "名称", "place": "涉及社区"})
ANSWERED_COLUMNS = columns("id", "title", "community", "target_group", "status", "kind", of=Need,
                           computed={"kind": "关联方式"})
COMMUNITY_COLUMNS = columns("community", "total", "met", "partly", "open", "unanswered", "longest_wait", of=Need,
                            computed={"total": number("需求总数"), "met": number("已满足"),
                                      "partly": number("部分满足"), "open": number("未满足"),
                                      "unanswered": number("其中尚无回应"), "longest_wait": number("最长等待(天)")})
WAITING_COLUMNS = columns("id", "community", "title", "target_group", "urgency", "status", "surveyed_on", "waited",
                          of=Need, computed={"waited": number("已等待(天)")})


# ---- reads ---------------------------------------------------------------------------------------------------
def get(need_id: int, db=None) -> dict:
    return records.get(NEED, need_id, db)


def create(values: dict, actor: Actor, db=None) -> int:
    return records.create(NEED, values, actor, db=db)


def update(need_id: int, values: dict, actor: Actor, db=None) -> bool:
    return records.update(NEED, need_id, values, actor, db=db)


def moves(status: str) -> tuple[str, ...]:
    """The statuses a need in ``status`` may move to."""
    return MOVES.get(status, ())


def history(need_id: int, db=None) -> pd.DataFrame:
    db = db or get_db()
    return projects.readable(db.fetch_df(
        "SELECT id, changed_on, from_status, to_status, note, created_by FROM need_events"
        " WHERE need_id = ? ORDER BY changed_on, id", [need_id]), people=("created_by",))


def kind_label(kind: str) -> str:
    return NEED_LINK_KINDS.get(kind, kind)


def links(need_id: int, db=None) -> pd.DataFrame:
    """The answers linked to a need: kind (as its Chinese label), id, name, communities, note."""
    db = db or get_db()
    parts = [f"SELECT l.id AS link_id, l.kind, l.target_id, t.title, t.place, l.note FROM need_links l"
             f" LEFT JOIN ({sql}) t ON t.id = l.target_id WHERE l.need_id = ? AND l.kind = '{kind}'"
             for kind, sql in _TARGETS.items()]
    df = db.fetch_df(" UNION ALL ".join(parts) + " ORDER BY link_id", [need_id] * len(parts))
    df["kind"] = df["kind"].map(kind_label).astype(object)
    df["title"] = df["title"].where(df["title"].notna(), "(记录已删除)").astype(object)
    return df


def options(kind: str, db=None) -> list[tuple[int, str]]:
    """What a need can be linked to, by name, newest first: 「编号 · 名称(社区)」."""
    if kind not in _TARGETS:
        raise ValidationFailed(fields={"kind": ["请选择回应类型:金点子、申报项目或资助项目"]})
    db = db or get_db()
    params: list = []
    rows = db.fetch_all(f"SELECT * FROM ({_TARGETS[kind]}) t WHERE {hub_scope.within('hub_id', params)}"
                        " ORDER BY id DESC", params)
    return [(r["id"], f"{r['id']} · {r['title']}" + (f"({r['place']})" if r["place"] else "")) for r in rows]


def answered_needs(kind: str, target_id: int, db=None) -> pd.DataFrame:
    """The needs an idea, application or project answers, for its own page. Also those linked through the
    same piece of work: an application shows the needs of the idea it came from and of the project it became;
    a project those of its application (and that application's idea)."""
    db = db or get_db()
    pairs: list[tuple[str, int, str]] = [(kind, int(target_id), "直接关联")]
    if kind == "application":
        idea = db.fetch_one("SELECT id FROM ideas WHERE application_id = ?", [target_id])
        proj = db.fetch_one("SELECT id FROM projects WHERE application_id = ?", [target_id])
        pairs += [("idea", idea["id"], "来自金点子")] if idea else []
        pairs += [("project", proj["id"], "立项后关联")] if proj else []
    elif kind == "project":
        app = db.fetch_one("SELECT application_id FROM projects WHERE id = ?", [target_id])
        if app:
            pairs.append(("application", app["application_id"], "申报时关联"))
            idea = db.fetch_one("SELECT id FROM ideas WHERE application_id = ?", [app["application_id"]])
            pairs += [("idea", idea["id"], "来自金点子")] if idea else []
    sql = " UNION ALL ".join(
        "SELECT n.id, n.title, n.community, n.target_group, n.status, ? AS kind, l.id AS link_id"
        " FROM need_links l JOIN community_needs n ON n.id = l.need_id WHERE l.kind = ? AND l.target_id = ?"
        for _ in pairs)
    params = [p for k, t, how in pairs for p in (how, k, t)]
    df = db.fetch_df(f"SELECT id, title, community, target_group, status, first(kind ORDER BY link_id) AS kind"
                     f" FROM ({sql}) GROUP BY ALL ORDER BY id", params)
    return df


def answered_text(kind: str, target_id: int, db=None) -> str | None:
    """One line for an idea's, application's or project's page: the needs it answers with their community and
    status ("回应的需求:独居老人吃饭难(松合社区 · 部分满足)、…"), None when it answers none yet."""
    df = answered_needs(kind, target_id, db)
    if df.empty:
        return None
    return "回应的需求:" + "、".join(f"{r.title}({r.community} · {r.status})" for r in df.itertuples())


# ---- writes --------------------------------------------------------------------------------------------------
def _as_date(value) -> dt.date | None:
    value = plain(value)
    if isinstance(value, dt.datetime):
        return value.date()
    return value


def _may_write(entity: Entity, actor: Actor) -> None:
    """Refuse a role that may not write before anything is read or checked (the write path checks it again)."""
    if not may(actor, entity, "create"):
        raise PermissionDenied(f"当前账号无权修改{entity.label}:需求的状态和回应由中心工作人员办理")


def change_status(need_id: int, to_status: str, changed_on, note: str, actor: Actor, db=None) -> int:
    """Move a need to ``to_status`` on ``changed_on`` with a note: the event and the need's new status in one
    audited transaction. Refused in Chinese (nothing written) for a move the workflow does not allow, a date
    before the survey or the last change, or no note."""
    _may_write(NEED_EVENT, actor)
    db = db or get_db()
    need = get(need_id, db)
    current = need["status"]
    event = records.clean(NEED_EVENT, {"need_id": need_id, "from_status": current, "to_status": to_status,
                                       "changed_on": changed_on, "note": note})
    if to_status == current:
        raise ValidationFailed(fields={"to_status": [f"需求已是「{current}」,请选择另一个状态"]})
    if to_status not in moves(current):
        allowed = "、".join(f"「{s}」" for s in moves(current))
        raise ValidationFailed(fields={"to_status": [
            f"「{current}」的需求不能直接改为「{to_status}」:可以改为 {allowed}"]})
    day = _as_date(event["changed_on"])
    last = db.scalar("SELECT max(changed_on) FROM need_events WHERE need_id = ?", [need_id])
    floor = max(d for d in (_as_date(need["surveyed_on"]), _as_date(last)) if d is not None)
    if day < floor:
        what = "上一次状态变更" if last is not None and _as_date(last) >= _as_date(need["surveyed_on"]) else "调研日期"
        raise ValidationFailed(fields={"changed_on": [
            f"变更日期不能早于{what}({floor:%Y-%m-%d}),请改为 {floor:%Y-%m-%d} 或之后"]})
    with records.unit(actor, db) as u:
        key = u.create(NEED_EVENT, event, validated=True)
        u.update(NEED, need_id, {}, system={"status": to_status, "status_on": day}, action="status")
    return key


def link(need_id: int, kind: str, target_id: int, actor: Actor, *, note: str | None = None, db=None) -> int:
    """Link a need to an idea, application or project that answers it. A need still 登记 becomes 已对接 (its
    event names the answer), in the same transaction. Refused when the record does not exist or is linked."""
    _may_write(NEED_LINK, actor)
    db = db or get_db()
    need = get(need_id, db)
    values = records.clean(NEED_LINK, {"need_id": need_id, "kind": kind, "target_id": target_id, "note": note})
    label = kind_label(kind)
    target = db.fetch_one(f"SELECT * FROM ({_TARGETS[kind]}) t WHERE id = ?", [int(target_id)])
    if target is None or target["hub_id"] != need["hub_id"]:  # another hub's reads as missing
        raise ValidationFailed(fields={"target_id": [f"{label}(编号 {target_id})不存在,请从列表中选择"]})
    if db.scalar("SELECT count(*) FROM need_links WHERE need_id = ? AND kind = ? AND target_id = ?",
                 [need_id, kind, int(target_id)]):
        raise ValidationFailed(fields={"target_id": [
            f"这项需求已关联{label}「{target['title']}」,不必重复关联"]})
    with records.unit(actor, db) as u:
        key = u.create(NEED_LINK, values, validated=True)
        if need["status"] == OPEN:
            today = dt.date.today()
            u.create(NEED_EVENT, records.clean(NEED_EVENT, {
                "need_id": need_id, "from_status": OPEN, "to_status": "已对接", "changed_on": today,
                "note": f"关联回应:{label}「{target['title']}」"}), validated=True)
            u.update(NEED, need_id, {}, system={"status": "已对接", "status_on": today}, action="status")
    return key


def unlink(link_id: int, actor: Actor, db=None) -> None:
    """Remove a link (the need's status stays as it is: a change of status is an event of its own)."""
    _may_write(NEED_LINK, actor)
    db = db or get_db()
    if db.fetch_one("SELECT id FROM need_links WHERE id = ?", [link_id]) is None:
        raise NotFound(f"该关联(编号 {link_id})已不存在,请刷新页面")
    records.delete(NEED_LINK, link_id, actor, db=db)


# ---- 需求动态跟踪: SQL aggregates, cached until a table they read is written ------------------------------
_TRACK_TABLES = ("community_needs", "need_links", "communities")
_UNANSWERED = "NOT EXISTS (SELECT 1 FROM need_links l WHERE l.need_id = n.id)"


def by_community(today: dt.date | None = None, db=None, hubs=READER) -> pd.DataFrame:
    """Per community (every community, in its order): needs recorded, 已满足, 部分满足, open (not 已满足), open with
    no answer linked, and the longest wait in days of an open unanswered need (0 when none); the needs of ``hubs``
    (:mod:`core.resources.hubs`)."""
    db = db or get_db()
    day = today or dt.date.today()
    kept = hub_scope.keep(hubs)

    def load() -> pd.DataFrame:
        params: list = [day]
        mine = hub_scope.within("n.hub_id", params, kept)
        places = hub_scope.within("c.hub_id", params, kept)  # the communities of those hubs (028), and any with needs
        return db.fetch_df(
            "SELECT c.name AS community, count(n.id) AS total,"
            " count(n.id) FILTER (WHERE n.status = '已满足') AS met,"
            " count(n.id) FILTER (WHERE n.status = '部分满足') AS partly,"
            " count(n.id) FILTER (WHERE n.status <> '已满足') AS open,"
            f" count(n.id) FILTER (WHERE n.status <> '已满足' AND {_UNANSWERED}) AS unanswered,"
            " coalesce(max(date_diff('day', n.surveyed_on, ?::DATE))"
            f" FILTER (WHERE n.status <> '已满足' AND {_UNANSWERED}), 0) AS longest_wait"
            f" FROM communities c LEFT JOIN community_needs n ON n.community = c.name AND {mine}"
            f" WHERE {places} OR n.id IS NOT NULL"
            " GROUP BY c.name, c.sort_order ORDER BY c.sort_order, c.name", params)

    return cache.cached("needs:by_community", (day, kept), _TRACK_TABLES, load, db)


def totals(today: dt.date | None = None, db=None, hubs=READER) -> dict[str, int]:
    """The street's figures: needs recorded, met, open, open with no answer yet."""
    df = by_community(today, db, hubs)
    return {k: int(df[k].sum()) for k in ("total", "met", "partly", "open", "unanswered")}


def waiting(community: str | None = None, today: dt.date | None = None, db=None, hubs=READER) -> pd.DataFrame:
    """Open needs (not 已满足) with no idea, application or project linked yet, the longest waiting first."""
    db = db or get_db()
    day = today or dt.date.today()
    kept = hub_scope.keep(hubs)

    def load() -> pd.DataFrame:
        where, params = "", [day]
        if community:
            where, params = " AND n.community = ?", [day, community]
        where += " AND " + hub_scope.within("n.hub_id", params, kept)
        return db.fetch_df(
            "SELECT n.id, n.community, n.title, n.target_group, n.urgency, n.status, n.surveyed_on,"
            " date_diff('day', n.surveyed_on, ?::DATE) AS waited FROM community_needs n"
            f" WHERE n.status <> '已满足' AND {_UNANSWERED}{where}"
            " ORDER BY waited DESC, CASE n.urgency WHEN '紧急' THEN 0 WHEN '较急' THEN 1 ELSE 2 END, n.id", params)

    return cache.cached("needs:waiting", (day, community or "", kept), _TRACK_TABLES, load, db, large=True)


def by_group(db=None, hubs=READER) -> pd.DataFrame:
    """Per group concerned: needs recorded and met (the leaders' view of who is still waiting)."""
    db = db or get_db()
    kept = hub_scope.keep(hubs)
    params: list = []
    mine = hub_scope.within("hub_id", params, kept)
    return cache.cached("needs:by_group", kept, ("community_needs",), lambda: db.fetch_df(
        "SELECT target_group, count(*) AS total, count(*) FILTER (WHERE status = '已满足') AS met,"
        f" count(*) FILTER (WHERE status <> '已满足') AS open FROM community_needs WHERE {mine} GROUP BY target_group"
        " ORDER BY open DESC, target_group", params), db)


GROUP_COLUMNS = columns("target_group", "total", "met", "open", of=Need,
                        computed={"total": number("需求总数"), "met": number("已满足"), "open": number("未满足")})
