"""Decision and 公示: grants within the budget, the public notice, objections, and the final decision."""
from __future__ import annotations

import datetime as dt

import pandas as pd

from core import records, rounds, workflow
from core.actor import Actor
from core.applications import APPLICATION, get as get_application
from core.db import get_db
from core.entities import Entity, register
from core.errors import PermissionDenied, ValidationFailed
from core.validation import validate
from schemas.application import Decision, Objection

OBJECTION = register(Entity(
    name="objection", table="objections", label="公示异议", schema=Objection,
    write_roles=frozenset({"admin", "staff"}), title_field="content",
))


def granted_total(round_id: int, db=None, *, category: str | None = None, excluding: int | None = None) -> float:
    db = db or get_db()
    sql = ("SELECT coalesce(sum(granted_amount), 0) FROM applications WHERE round_id = ?"
           " AND state IN ('public_notice', 'funded')")
    params: list = [round_id]
    if category:
        sql += " AND category = ?"
        params.append(category)
    if excluding:
        sql += " AND id <> ?"
        params.append(excluding)
    return float(db.scalar(sql, params))


def decide(app_id: int, values: dict, actor: Actor, db=None) -> list[str]:
    """An admin's decision on a recommended (or not recommended) application. Returns warnings."""
    db = db or get_db()
    if not actor.has("admin", "system"):
        raise PermissionDenied("只有管理员可以作出资助决定")
    record = validate(Decision, values)
    get_application(app_id, db)  # NotFound before anything else
    warnings: list[str] = []
    if record["decision"] == "资助":
        amount = float(record["granted_amount"])

        def within_budget(app: dict) -> None:
            # runs inside the move's transaction, under the write lock, on the state as it is now: two
            # admins deciding at once cannot both spend the last of the round's money
            rnd = rounds.get(app["round_id"], db)
            if rnd["notice_published_at"] is not None:  # the notice is the list of what will be funded
                raise ValidationFailed(form=["公示已发布,不能再决定资助:未经公示的项目不能立项"])
            problems = []
            if app["requested_amount"] is not None and amount > float(app["requested_amount"]) + 0.005:
                problems.append(f"资助金额不能超过申请金额({float(app['requested_amount']):,.2f}元)")
            if amount > float(rnd["project_ceiling"]) + 0.005:
                problems.append(f"资助金额不能超过单个项目上限({float(rnd['project_ceiling']):,.2f}元)")
            left = float(rnd["total_budget"]) - granted_total(rnd["id"], db, excluding=app_id)
            if amount > left + 0.005:
                problems.append(f"超出批次资金总额:剩余可分配 {left:,.2f} 元")
            if problems:
                raise ValidationFailed(fields={"granted_amount": problems})
            quota = rounds.quotas(rnd["id"], db).get(app["category"])
            if quota is not None:
                used = granted_total(rnd["id"], db, category=app["category"], excluding=app_id) + amount
                if used > quota + 0.005:
                    warnings.append(f"「{app['category']}」类别已分配 {used:,.2f} 元,超过该类别额度 {quota:,.2f} 元")

        workflow.move(APPLICATION, app_id, "public_notice", actor, note=record.get("note") or "决定资助",
                      system={"granted_amount": amount, "decision_note": record.get("note")}, guard=within_budget,
                      db=db)
    else:
        workflow.move(APPLICATION, app_id, "rejected", actor, note=record["note"],
                      system={"granted_amount": None, "decision_note": record["note"]}, db=db)
    return warnings


def notice_list(round_id: int, db=None) -> pd.DataFrame:
    """The public-notice list: projects proposed for funding (printable/exportable)."""
    db = db or get_db()
    return db.fetch_df(
        "SELECT a.id AS 编号, a.title AS 项目名称, o.name AS 申报组织, a.category AS 项目类别,"
        " array_to_string(a.communities, '、') AS 服务社区, a.granted_amount AS 拟资助金额"
        " FROM applications a JOIN organisations o ON o.id = a.org_id"
        " WHERE a.round_id = ? AND a.state IN ('public_notice', 'funded') ORDER BY a.category, a.id", [round_id])


def publish_notice(round_id: int, actor: Actor, db=None) -> None:
    db = db or get_db()
    if not actor.has("admin", "system"):
        raise PermissionDenied("只有管理员可以发布公示")
    rnd = rounds.get(round_id, db)
    if rnd["notice_published_at"] is not None:
        raise ValidationFailed(form=[f"公示已于 {rnd['notice_published_at']:%Y-%m-%d %H:%M} 发布"])
    if notice_list(round_id, db).empty:
        raise ValidationFailed(form=["还没有决定资助的项目,不能发布公示"])
    records.update(rounds.ROUND, round_id, {}, actor, db=db, system={"notice_published_at": dt.datetime.now()},
                   action="publish_notice")


def objections(round_id: int, db=None) -> pd.DataFrame:
    db = db or get_db()
    return db.fetch_df("SELECT id, application_id, received_date, content, handling, result, closed"
                       " FROM objections WHERE round_id = ? ORDER BY id", [round_id])


def add_objection(round_id: int, values: dict, actor: Actor, db=None) -> int:
    rounds.get(round_id, db)
    return records.create(OBJECTION, values, actor, db=db, system={"round_id": round_id})


def update_objection(objection_id: int, values: dict, actor: Actor, db=None) -> bool:
    return records.update(OBJECTION, objection_id, values, actor, db=db)


def finalise(round_id: int, actor: Actor, *, today: dt.date | None = None, db=None) -> int:
    """After the notice period, with every objection closed: the noticed projects become funded."""
    db = db or get_db()
    if not actor.has("admin", "system"):
        raise PermissionDenied("只有管理员可以确认立项")
    today = today or dt.date.today()
    rnd = rounds.get(round_id, db)
    if rnd["notice_published_at"] is None:
        raise ValidationFailed(form=["请先发布公示"])
    if today <= rnd["notice_end"]:
        raise ValidationFailed(form=[f"公示期至 {rnd['notice_end']} 结束,期满后才能确认立项"])
    open_ones = int(db.scalar("SELECT count(*) FROM objections WHERE round_id = ? AND NOT closed", [round_id]))
    if open_ones:
        raise ValidationFailed(form=[f"还有 {open_ones} 条异议未办结,办结后才能确认立项"])
    ids = [r["id"] for r in db.fetch_all(
        "SELECT id FROM applications WHERE round_id = ? AND state = 'public_notice' ORDER BY id", [round_id])]
    with records.unit(actor, db) as u:
        for app_id in ids:
            workflow.move_in(u, APPLICATION, app_id, "funded", note="公示期满,无未办结异议")
    return len(ids)
