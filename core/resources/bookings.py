"""资源库: equipment (设备) and the bookings of a venue or equipment by an organisation (场地/设备预约).

Rules (all checked in core, inside the write transaction, under the process-wide write lock):

- a booking names exactly one venue or one piece of equipment, an organisation, who books, what for, the date and a
  start/end time (half hours), optionally the funded project, later the activity of the ledger it was used for;
- **conflicts**: a pending or approved booking holds its slot. A venue takes no two overlapping bookings; for
  equipment, the quantity booked at any moment of the slot (with the overlapping bookings) never exceeds the
  equipment's quantity. Of two people booking the same slot at the same moment one wins, the other is refused
  with a Chinese message naming the clashing booking;
- **approval by staff**: 待审批 → 已批准 / 未批准 (with a reason); a pending or approved booking may be cancelled
  (with a reason). Only admins and staff write; each move is an audited update (``state``, ``reason``,
  ``decided_by``, ``decided_at``);
- **use**: an approved booking of a venue is linked to the activity of the service ledger it was used for (same
  date; the activity then names the venue, ``activities.venue_id``);
- **utilisation** of a venue over a period = booked hours (approved) ÷ open hours, the open hours from the venue's
  weekly hours (``open_days`` × ``open_from``–``open_to``; while those are empty, read from its free-text
  ``opening_hours`` such as 「周一至周五 8:30-17:30」).
"""
from __future__ import annotations

import datetime as dt
import re

import pandas as pd

from core.monitoring.ledger import ACTIVITY
from core.platform import cache, records
from core.platform.actor import Actor
from core.platform.db import get_db
from core.platform.entities import Entity, Screen, Unique, granted, register
from core.platform.errors import HubError, NotFound, PermissionDenied, ValidationFailed
from core.platform.lookups import id_names
from core.platform.validation import validate
from core.orgs.venues import VENUE
from core.resources import hubs as hub_scope
from core.resources.hubs import READER
from schemas.booking import BOOKING_STATES, WEEKDAYS, Booking, Decision, Equipment
from schemas.columns import columns, label, number, ratio
from schemas.venue import Venue

STAFF = frozenset({"admin", "staff"})
HOLDING = ("pending", "approved")  # the states that hold a slot

EQUIPMENT = register(Entity(
    name="equipment", table="equipment", label="设备", schema=Equipment, write_roles=STAFF,
    hub_owned=True,  # each hub's own equipment (issue 20)
    unique=(Unique("name"),),
    screen=Screen("设备资源", "equipment", "资源与需求", icon=":material/speaker:",
                  columns=("id", "name", "kind", "quantity", "community", "kept_at", "owner"),
                  filters=("kind", "community"), search=("name", "kept_at", "owner"),
                  example={"name": "文海社区便携音响", "kind": "音响设备", "quantity": 2, "community": "文海社区",
                           "owner": "文海社区居委会", "kept_at": "文海社区邻里中心一楼储物间"}),
))

def _one_by_default(record: dict) -> dict:
    """A venue is booked whole (quantity 1); equipment: 1 piece unless more are asked for."""
    if record.get("venue_id") is not None or record.get("quantity") is None:
        record["quantity"] = 1
    return record


BOOKING = register(Entity(
    name="booking", table="bookings", label="预约", schema=Booking, write_roles=STAFF, title_field="purpose",
    derive=_one_by_default, hub_owned=True,  # the hub of its venue or equipment (checked by _check_item)
    also=(Decision,), columns=("state", "reason", "decided_by", "decided_at", "activity_id"),
))


class BookingRefused(HubError):
    """The booking cannot be made or moved as asked (a clash, a state that does not allow it)."""


# ---- choice lists ---------------------------------------------------------------------------------------
def install_providers() -> None:
    """``venues`` (场地名称, for bookings and the activity form) and ``equipment`` (设备名称(数量))."""
    id_names("venues", ("venues",), "SELECT id, name, hub_id FROM venues ORDER BY community, name",
             hub_column="hub_id")  # a screen offers its user's hubs' venues only
    id_names("equipment", ("equipment",), "SELECT id, name, quantity, hub_id FROM equipment ORDER BY community, name",
             lambda r: f"{r['name']}(共{r['quantity']}件)", hub_column="hub_id")


# ---- dates and times as people read them ------------------------------------------------------------------
def day_label(d: dt.date) -> str:
    """2026年12月7日 周一."""
    return f"{d.year}年{d.month}月{d.day}日 {WEEKDAYS[d.weekday()]}"


def _minutes(hhmm: str) -> int:
    h, m = str(hhmm).split(":")
    return int(h) * 60 + int(m)


def _hhmm(text: str) -> str:
    h, m = text.split(":")
    return f"{int(h):02d}:{int(m):02d}"


_RANGE = re.compile(r"(周[一二三四五六日天])\s*(?:至|到|-|—|~)\s*(周[一二三四五六日天])")
_TIMES = re.compile(r"(\d{1,2}:\d{2})\s*(?:-|—|~|至|到)\s*(\d{1,2}:\d{2})")


def parse_hours(text: str | None) -> tuple[list[str], str, str] | None:
    """「周一至周五 8:30-17:30」 -> (['周一', …, '周五'], '08:30', '17:30'); None when the text says no such thing."""
    if not text:
        return None
    times = _TIMES.search(text)
    if not times:
        return None
    norm = text.replace("周天", "周日")
    span = _RANGE.search(norm)
    if span:
        a, b = WEEKDAYS.index(span.group(1).replace("周天", "周日")), WEEKDAYS.index(span.group(2))
        days = WEEKDAYS[a:b + 1] if a <= b else WEEKDAYS[a:] + WEEKDAYS[:b + 1]
    else:
        days = [d for d in WEEKDAYS if d in norm] or (list(WEEKDAYS) if "每天" in norm or "每日" in norm else [])
    if not days:
        return None
    return days, _hhmm(times.group(1)), _hhmm(times.group(2))


def weekly_hours(venue: dict) -> tuple[list[str], str, str] | None:
    """A venue's declared weekly open hours: its structured fields, else its free-text 开放时间 read."""
    days = venue.get("open_days")
    if days is not None and len(days) and venue.get("open_from") and venue.get("open_to"):
        return [str(d) for d in days], str(venue["open_from"]), str(venue["open_to"])
    return parse_hours(venue.get("opening_hours"))


def days_text(days: list[str]) -> str:
    """['周一', …, '周五'] -> 周一至周五; days that do not run on -> 周六、周日."""
    idx = sorted(WEEKDAYS.index(d) for d in days if d in WEEKDAYS)
    if len(idx) >= 3 and idx == list(range(idx[0], idx[-1] + 1)):
        return f"{WEEKDAYS[idx[0]]}至{WEEKDAYS[idx[-1]]}"
    return "、".join(WEEKDAYS[i] for i in idx)


def open_hours(venue: dict, start: dt.date, end: dt.date) -> float:
    """The hours ``venue`` is open from ``start`` to ``end`` (both included)."""
    hours = weekly_hours(venue)
    if hours is None:
        return 0.0
    days, a, b = hours
    per_day = max(0, _minutes(b) - _minutes(a)) / 60
    n = sum(1 for i in range((end - start).days + 1) if WEEKDAYS[(start + dt.timedelta(days=i)).weekday()] in days)
    return n * per_day


# ---- conflicts -----------------------------------------------------------------------------------------
def _describe(row: dict, tx) -> str:
    org = tx.fetch_one("SELECT name FROM organisations WHERE id = ?", [row["org_id"]])
    return (f"预约编号 {row['id']}:{(org or {}).get('name', '')} {row['booking_date']:%Y-%m-%d} "
            f"{row['start_time']}-{row['end_time']}「{row['purpose']}」({BOOKING_STATES[row['state']]})")


def _clashes(tx, record: dict, exclude: int | None = None) -> None:
    """BookingRefused naming the clashing booking when ``record`` cannot take its slot (read in ``tx``)."""
    col, key = ("venue_id", record.get("venue_id")) if record.get("venue_id") is not None else \
        ("equipment_id", record.get("equipment_id"))
    rows = tx.fetch_all(
        f"SELECT * FROM bookings WHERE {col} = ? AND booking_date = ? AND state IN ('pending', 'approved')"
        " AND start_time < ? AND end_time > ? AND id <> ? ORDER BY start_time, id",
        [key, record["booking_date"], record["end_time"], record["start_time"], exclude or -1])
    if not rows:
        return
    if col == "venue_id":
        venue = tx.fetch_one("SELECT name FROM venues WHERE id = ?", [key]) or {}
        raise BookingRefused(f"{venue.get('name', '该场地')}在该时段已被预约({_describe(rows[0], tx)}),"
                             "请另选时段或场地")
    item = tx.fetch_one("SELECT name, quantity FROM equipment WHERE id = ?", [key]) or {"name": "该设备", "quantity": 0}
    want = int(record.get("quantity") or 1)
    # the moments the booked quantity can rise inside the slot: its start and every overlapping booking's start
    for moment in sorted({record["start_time"]} | {r["start_time"] for r in rows if r["start_time"] > record["start_time"]}):
        busy = [r for r in rows if r["start_time"] <= moment < r["end_time"]]
        used = sum(int(r["quantity"] or 1) for r in busy)
        if used + want > int(item["quantity"]):
            raise BookingRefused(
                f"{item['name']}共{item['quantity']}件,{moment}起已借出{used}件({_describe(busy[0], tx)}),"
                f"本次借用{want}件超出可借数量;请减少数量或另选时段")


def _check_item(tx, record: dict, actor: Actor) -> None:
    """The venue or equipment exists, is of a hub the actor reads (another hub's reads as missing) and takes the
    booking; the booking is of its hub (the write path refuses it unless that is the actor's own)."""
    if record.get("venue_id") is not None:
        venue = tx.fetch_one("SELECT * FROM venues WHERE id = ?", [record["venue_id"]])
        if venue is None or not actor.reads(venue["hub_id"]):
            raise ValidationFailed(fields={"venue_id": ["所选场地不存在,请重新选择"]})
        record["quantity"] = 1
        record["hub_id"] = venue["hub_id"]
        hours = weekly_hours(venue)
        day = _as_date(record["booking_date"])
        if hours is not None and (WEEKDAYS[day.weekday()] not in hours[0] or record["start_time"] < hours[1]
                                  or record["end_time"] > hours[2]):
            raise ValidationFailed(fields={"start_time": [
                f"{venue['name']}的开放时间为{days_text(hours[0])} {hours[1]}-{hours[2]},"
                f"所选{WEEKDAYS[day.weekday()]} {record['start_time']}-{record['end_time']}不在开放时间内,请另选时段"]})
    else:
        item = tx.fetch_one("SELECT quantity, hub_id FROM equipment WHERE id = ?", [record["equipment_id"]])
        if item is None or not actor.reads(item["hub_id"]):
            raise ValidationFailed(fields={"equipment_id": ["所选设备不存在,请重新选择"]})
        record["hub_id"] = item["hub_id"]
        record["quantity"] = int(record.get("quantity") or 1)
        if record["quantity"] > int(item["quantity"]):
            raise ValidationFailed(fields={"quantity": [f"借用数量不能超过该设备的总数({item['quantity']}件)"]})


def _staff(actor: Actor) -> None:
    if not granted(actor, BOOKING, "update"):
        raise PermissionDenied("只有管理员和中心工作人员可以办理场地和设备预约")


# ---- writing ---------------------------------------------------------------------------------------------
def book(values: dict, actor: Actor, *, db=None) -> int:
    """Record a booking (待审批). Refused: a clash (BookingRefused naming the booking it clashes with), a
    check of the form (ValidationFailed). The clash is checked in the write transaction. Returns its id."""
    _staff(actor)
    record = records.clean(BOOKING, values)
    if _as_date(record["booking_date"]) < dt.date.today():
        raise ValidationFailed(fields={"booking_date": ["使用日期不能早于今天"]})
    with records.unit(actor, db) as u:
        _check_item(u.tx, record, actor)
        _clashes(u.tx, record)
        return u.create(BOOKING, record, validated=True, system={"state": "pending"})


def _move(booking_id: int, actor: Actor, to: str, allowed_from: tuple[str, ...], reason: str | None, db,
          action: str) -> None:
    _staff(actor)
    with records.unit(actor, db) as u:
        row = hub_scope.require(u.fetch(BOOKING, int(booking_id)), "预约", booking_id, actor)
        if row["state"] not in allowed_from:
            raise BookingRefused(f"该预约{BOOKING_STATES[row['state']]},不能{action}")
        if to == "approved":
            _clashes(u.tx, row, exclude=row["id"])
        u.update(BOOKING, row["id"], {}, system={"state": to, "reason": reason, "decided_by": actor.username,
                                                 "decided_at": dt.datetime.now()}, note=action)


def approve(booking_id: int, actor: Actor, *, db=None) -> None:
    """待审批 → 已批准."""
    _move(booking_id, actor, "approved", ("pending",), None, db, "批准")


def _reason(reason: str | None) -> str:
    return validate(Decision, {"reason": reason})["reason"]


def reject(booking_id: int, reason: str, actor: Actor, *, db=None) -> None:
    """待审批 → 未批准, with the reason the organisation is told."""
    _move(booking_id, actor, "rejected", ("pending",), _reason(reason), db, "不予批准")


def cancel(booking_id: int, reason: str, actor: Actor, *, db=None) -> None:
    """待审批 / 已批准 → 已取消 (the slot is free again)."""
    _move(booking_id, actor, "cancelled", HOLDING, _reason(reason), db, "取消")


def record_use(booking_id: int, activity_id: int, actor: Actor, *, db=None) -> None:
    """Link an approved venue booking to the activity of the ledger it was used for (same date); the activity
    then names the venue."""
    _staff(actor)
    with records.unit(actor, db) as u:
        row = hub_scope.require(u.fetch(BOOKING, int(booking_id)), "预约", booking_id, actor)
        if row["state"] != "approved":
            raise BookingRefused(f"该预约{BOOKING_STATES[row['state']]},只有已批准的预约才能登记使用情况")
        act = u.fetch(ACTIVITY, int(activity_id))
        if act is None or not hub_scope.keep_activity(u.tx, act, row["hub_id"]):
            raise NotFound(f"服务活动(编号 {activity_id})不存在")
        if act["activity_date"] != row["booking_date"]:
            raise BookingRefused(f"所选活动的日期({act['activity_date']:%Y-%m-%d})与预约使用日期"
                                 f"({row['booking_date']:%Y-%m-%d})不同,请选择当天的活动")
        u.update(BOOKING, row["id"], {}, system={"activity_id": int(activity_id)}, note="登记使用情况")
        if row["venue_id"] is not None and act.get("venue_id") != row["venue_id"]:
            u.update(ACTIVITY, act["id"], {}, system={"venue_id": row["venue_id"]}, note="预约场地使用")


def activities_for(booking_id: int, db=None) -> dict[int, str]:
    """The activities a booking may be linked to: the ledger's activities on its date (of its project, when
    it names one), id -> 「活动主题(项目)」."""
    db = db or get_db()
    row = db.fetch_one("SELECT booking_date, project_id, hub_id FROM bookings WHERE id = ?", [int(booking_id)])
    if row is None:
        return {}
    sql = ("SELECT ac.id, ac.title, a.title AS project FROM activities ac JOIN projects p ON p.id = ac.project_id"
           " JOIN applications a ON a.id = p.application_id JOIN rounds r ON r.id = a.round_id"
           " WHERE ac.activity_date = ? AND r.hub_id = ?")  # the activities of the booking's hub
    params: list = [row["booking_date"], row["hub_id"]]
    if row["project_id"] is not None:
        sql += " AND ac.project_id = ?"
        params.append(row["project_id"])
    return {r["id"]: f"{r['title']}({r['project']})" for r in db.fetch_all(sql + " ORDER BY ac.id", params)}


# ---- reading -------------------------------------------------------------------------------------------
LIST_COLUMNS = columns(
    "id", "state_label", "item", "booking_date", "start_time", "end_time", "org", "contact_person", "purpose",
    "expected_people", "project", "activity", "reason", of=(Booking, Decision),
    computed={"state_label": "状态", "item": "场地/设备", "org": label("org_id", of=Booking), "project": "资助项目",
              "activity": "对应服务活动"})

_LIST_SQL = """
SELECT b.id, b.state, b.venue_id, b.equipment_id, b.quantity, b.org_id, b.booking_date, b.start_time, b.end_time,
       b.contact_person, b.purpose, b.expected_people, b.reason, b.project_id, b.activity_id, b.created_by,
       coalesce(v.name, e.name || '×' || CAST(b.quantity AS VARCHAR)) AS item, v.community AS venue_community,
       coalesce(v.community, e.community) AS community, o.name AS org, ap.title AS project, ac.title AS activity
FROM bookings b
LEFT JOIN venues v ON v.id = b.venue_id
LEFT JOIN equipment e ON e.id = b.equipment_id
LEFT JOIN organisations o ON o.id = b.org_id
LEFT JOIN projects p ON p.id = b.project_id
LEFT JOIN applications ap ON ap.id = p.application_id
LEFT JOIN activities ac ON ac.id = b.activity_id
"""
TABLES = ("bookings", "venues", "equipment", "organisations", "projects", "applications", "activities")


def bookings(*, state: str | None = None, venue_id: int | None = None, community: str | None = None,
             start: dt.date | None = None, end: dt.date | None = None, hubs=READER, db=None) -> pd.DataFrame:
    """Bookings (newest date first) with what people read: the venue or equipment, the organisation, the state;
    of ``hubs`` (:mod:`core.resources.hubs`: the screen's user's by default)."""
    db = db or get_db()
    params: list = []
    where = [hub_scope.within("b.hub_id", params, hubs)]
    for cond, value in (("b.state = ?", state), ("b.venue_id = ?", venue_id),
                        ("coalesce(v.community, e.community) = ?", community),
                        ("b.booking_date >= ?", start), ("b.booking_date <= ?", end)):
        if value is not None:
            where.append(cond)
            params.append(value)
    sql = _LIST_SQL + (" WHERE " + " AND ".join(where) if where else "") + \
        " ORDER BY b.booking_date DESC, b.start_time, b.id"

    def load() -> pd.DataFrame:
        df = db.fetch_df(sql, params)
        df["state_label"] = df["state"].map(BOOKING_STATES)
        return df
    return cache.cached("bookings:list", (sql, tuple(str(p) for p in params)), TABLES, load, db, large=True)


def pending_count(db=None, hubs=READER) -> int:
    db = db or get_db()
    params: list = []
    mine = hub_scope.within("hub_id", params, hubs)
    return int(cache.cached("bookings:pending", tuple(params) if mine != "false" else "none", ("bookings",),
                            lambda: db.scalar(f"SELECT count(*) FROM bookings WHERE state = 'pending' AND {mine}",
                                              params), db))


def week_start(d: dt.date) -> dt.date:
    return d - dt.timedelta(days=d.weekday())


def community_week(community: str, monday: dt.date, db=None) -> pd.DataFrame:
    """The week grid of a community's venues: one row per venue, one column per day (「12月7日 周一」), each cell
    the day's bookings 「09:00-11:00 组织 用途(状态)」 (pending and approved), one per line; '' when free."""
    db = db or get_db()
    days = [monday + dt.timedelta(days=i) for i in range(7)]
    params: list = [community]
    mine = hub_scope.within("hub_id", params)
    venues = db.fetch_all(f"SELECT id, name FROM venues WHERE community = ? AND {mine} ORDER BY name", params)
    df = bookings(community=community, start=days[0], end=days[-1], db=db)
    df = df[df["venue_id"].notna() & df["state"].isin(HOLDING)]
    heads = [f"{d.month}月{d.day}日 {WEEKDAYS[d.weekday()]}" for d in days]
    rows = []
    for v in venues:
        mine = df[df["venue_id"] == v["id"]]
        row = {"场地": v["name"]}
        for d, head in zip(days, heads):
            row[head] = _cell(mine[mine["booking_date"].map(_as_date) == d])
        rows.append(row)
    return pd.DataFrame(rows, columns=["场地", *heads])


def venue_month(venue_id: int, year: int, month: int, db=None) -> pd.DataFrame:
    """The month grid of one venue: one row per week (「第1周」…), columns 周一…周日, each cell 「7日」 and that
    day's bookings (pending and approved), one per line; '' for days outside the month."""
    db = db or get_db()
    first = dt.date(year, month, 1)
    last = (first.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(days=1)
    df = bookings(venue_id=int(venue_id), start=first, end=last, db=db)
    df = df[df["state"].isin(HOLDING)]
    rows, day = [], week_start(first)
    while day <= last:
        row = {"周次": f"第{len(rows) + 1}周"}
        for i in range(7):
            d = day + dt.timedelta(days=i)
            if d.month != month:
                row[WEEKDAYS[i]] = ""
                continue
            cell = _cell(df[df["booking_date"].map(_as_date) == d])
            row[WEEKDAYS[i]] = f"{d.day}日" + (f"\n{cell}" if cell else "")
        rows.append(row)
        day += dt.timedelta(days=7)
    return pd.DataFrame(rows, columns=["周次", *WEEKDAYS])


def _as_date(v) -> dt.date:
    return v.date() if isinstance(v, (pd.Timestamp, dt.datetime)) else v


def _cell(df: pd.DataFrame) -> str:
    return "\n".join(f"{r.start_time}-{r.end_time} {r.org} {r.purpose}({r.state_label})"
                     for r in df.sort_values("start_time").itertuples())


UTILISATION_COLUMNS = columns(
    "name", "community", "weekly", "open_hours", "booked_hours", "bookings", "rate",
    computed={"name": label("name", of=Venue), "community": label("community", of=Venue), "weekly": "每周开放时间",
              "open_hours": number("开放小时数"),
              "booked_hours": number("已预约小时数"), "bookings": number("已批准预约(次)"), "rate": ratio("使用率")})


def utilisation(start: dt.date, end: dt.date, *, community: str | None = None, hubs=READER,
                db=None) -> pd.DataFrame:
    """Per venue (of ``hubs``: :mod:`core.resources.hubs`) over ``start``..``end``: open hours (from the weekly
    hours), booked hours (approved bookings, an SQL aggregate) and their ratio (None for a venue without declared
    hours), lowest use first."""
    db = db or get_db()
    kept = hub_scope.keep(hubs)

    def load() -> pd.DataFrame:
        params: list = [community] if community else []
        mine = hub_scope.within("hub_id", params, kept)
        venues = db.fetch_all("SELECT id, name, community, opening_hours, open_days, open_from, open_to FROM venues"
                              + (" WHERE community = ?" if community else " WHERE true") + f" AND {mine}"
                              " ORDER BY community, name", params)
        booked = {r["venue_id"]: r for r in db.fetch_all(
            "SELECT venue_id, count(*) AS n, sum((CAST(split_part(end_time, ':', 1) AS INTEGER) * 60"
            " + CAST(split_part(end_time, ':', 2) AS INTEGER)) - (CAST(split_part(start_time, ':', 1) AS INTEGER) * 60"
            " + CAST(split_part(start_time, ':', 2) AS INTEGER))) / 60.0 AS hours FROM bookings"
            " WHERE venue_id IS NOT NULL AND state = 'approved' AND booking_date BETWEEN ? AND ? GROUP BY venue_id",
            [start, end])}
        rows = []
        for v in venues:
            hours = weekly_hours(v)
            opened = open_hours(v, start, end)
            b = booked.get(v["id"], {})
            used = float(b.get("hours") or 0)
            rows.append({"venue_id": v["id"], "name": v["name"], "community": v["community"],
                         "weekly": f"{days_text(hours[0])} {hours[1]}-{hours[2]}" if hours else "未登记",
                         "open_hours": round(opened, 1), "booked_hours": round(used, 1), "bookings": int(b.get("n") or 0),
                         "rate": round(used / opened, 4) if opened else None})
        df = pd.DataFrame(rows, columns=["venue_id", *UTILISATION_COLUMNS])
        return df.sort_values("rate", na_position="first", kind="stable").reset_index(drop=True)
    return cache.cached("bookings:utilisation", (start, end, community, kept), ("bookings", "venues"), load, db)


def idle_venues(start: dt.date, end: dt.date, below: float, *, db=None) -> pd.DataFrame:
    """The venues used less than ``below`` (a fraction, 0.2 = 20%) of their open hours over the period."""
    df = utilisation(start, end, db=db)
    return df[df["rate"].notna() & (df["rate"] < below)].reset_index(drop=True)
