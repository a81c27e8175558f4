"""Decision and 公示: grants within the budget, the public notice, objections, and the final decision."""
from __future__ import annotations

import datetime as dt

import pandas as pd

from core.intake import rounds, scope, workflow
from core.orgs import hubs
from core.platform import formats, records
from core.platform.actor import Actor
from core.review import consolidation
from core.intake.applications import APPLICATION, get as get_application
from core.platform.db import get_db
from core.platform.entities import Entity, register
from core.platform.errors import PermissionDenied, ValidationFailed
from core.platform.validation import validate
from schemas.application import Application, Decision, Objection
from schemas.columns import columns, label, money
from schemas.round import Round

OBJECTION = register(Entity(
    name="objection", table="objections", label="公示异议", schema=Objection,
    write_roles=frozenset({"admin", "staff"}), title_field="content", hub_via=scope.VIA_ROUND,
))


# the round's budget as 决定与公示 shows it (what is decided, what is left)
BUDGET_FIGURES = columns("total_budget", "granted", "left", "project_ceiling", of=Round,
                         computed={"granted": money("已决定资助(元)"), "left": money("剩余可分配(元)")})
# the applications waiting for a decision (core.intake.applications.queue) as 决定与公示 lists them
DECIDE_COLUMNS = columns("id", "title", "org", "category", "requested_amount", "submitted_at", "state", of=Application,
                         computed={"org": label("org_id", of=Application)})


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

    def no_open_flag(app: dict) -> None:
        # under the write lock: an application whose experts' scores still differ beyond the threshold is
        # decided only after 复评 (or an admin's recorded resolution), whichever way the decision goes
        flags = consolidation.open_flags(app["round_id"], db)
        if not flags.empty and app_id in {int(i) for i in flags["id"]}:
            raise ValidationFailed(form=["该项目专家评分分差过大、尚未处理,不能作出资助决定:请先在「评审汇总」中送复评"
                                         "并完成复评,或由管理员写明理由解除分差提示"])

    if record["decision"] == "资助":
        amount = float(record["granted_amount"])

        def within_budget(app: dict) -> None:
            no_open_flag(app)
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
                      system={"granted_amount": None, "decision_note": record["note"]}, guard=no_open_flag, db=db)
    return warnings


def notice_list(round_id: int, db=None) -> pd.DataFrame:
    """The public-notice list: projects proposed for funding (printable/exportable; :data:`NOTICE_COLUMNS`)."""
    db = db or get_db()
    scope.require("round", round_id, db=db)
    return db.fetch_df(
        "SELECT a.id, a.title, o.name AS org, a.category, array_to_string(a.communities, '、') AS communities,"
        " a.granted_amount FROM applications a JOIN organisations o ON o.id = a.org_id"
        " WHERE a.round_id = ? AND a.state IN ('public_notice', 'funded') ORDER BY a.category, a.id", [round_id])


# the columns of :func:`notice_list` (on the notice, the granted amount is the one proposed for funding)
NOTICE_COLUMNS = columns("id", "title", "org", "category", "communities", "granted_amount", of=Application,
                         computed={"org": label("org_id", of=Application), "granted_amount": money("拟资助金额(元)")})


def notice_rows(table: pd.DataFrame) -> pd.DataFrame:
    """The notice list as people read it (screen and printout): money with separators, no "None"."""
    shown = table.copy()
    for col in shown.columns:
        fmt = formats.money if col == "granted_amount" else formats.text
        shown[col] = [fmt(v) for v in shown[col]]
    return shown.rename(columns=NOTICE_COLUMNS)


def notice_text(round_id: int, db=None) -> str:
    """The printable notice of a round (plain text): every value formatted, the total in yuan."""
    rnd = rounds.get(round_id, db)
    table = notice_list(round_id, db)
    shown = notice_rows(table)
    lines = [f"{rnd['name']} 拟资助项目公示",
             f"公示期:{formats.date(rnd['notice_start'])} 至 {formats.date(rnd['notice_end'])}", "",
             "  ".join(shown.columns)]
    for row in shown.itertuples(index=False):
        lines.append("  ".join(row))
    total = float(sum(float(v) for v in table["granted_amount"] if not formats.is_empty(v))) if len(table) else 0.0
    lines += ["", f"共 {len(table)} 个项目,合计拟资助 {formats.money(total, empty='0')} 元",
              f"如有异议,请于公示期内向{hubs.name_of_round(round_id, db)}反映。"]
    return "\n".join(lines)


def publish_blocker(round_id: int, db=None) -> str | None:
    """Why the notice of a round cannot be published now (None: it can)."""
    db = db or get_db()
    rnd = rounds.get(round_id, db)
    if rnd["notice_published_at"] is not None:
        return f"公示已于 {rnd['notice_published_at']:%Y-%m-%d %H:%M} 发布"
    if notice_list(round_id, db).empty:
        return "还没有决定资助的项目,不能发布公示"
    return None


def finalise_blocker(round_id: int, today: dt.date | None = None, db=None) -> str | None:
    """Why the noticed projects of a round cannot be funded now (None: they can)."""
    db = db or get_db()
    today = today or dt.date.today()
    rnd = rounds.get(round_id, db)
    if rnd["notice_published_at"] is None:
        return "请先发布公示"
    if today <= rnd["notice_end"]:
        return f"公示期至 {rnd['notice_end']} 结束,期满后才能确认立项"
    open_ones = int(db.scalar("SELECT count(*) FROM objections WHERE round_id = ? AND NOT closed", [round_id]))
    if open_ones:
        return f"还有 {open_ones} 条异议未办结,办结后才能确认立项"
    return None


def finalise_offer(round_id: int, today: dt.date | None = None, db=None) -> str | None:
    """Why 确认立项 can do nothing now (a refusal, or no noticed project left); None: it can act."""
    db = db or get_db()
    blocker = finalise_blocker(round_id, today, db)
    if blocker:
        return blocker
    if not db.scalar("SELECT count(*) FROM applications WHERE round_id = ? AND state = 'public_notice'", [round_id]):
        return "公示名单上的项目都已立项,没有需要确认的项目"
    return None


def publish_notice(round_id: int, actor: Actor, db=None) -> None:
    db = db or get_db()
    if not actor.has("admin", "system"):
        raise PermissionDenied("只有管理员可以发布公示")
    blocker = publish_blocker(round_id, db)
    if blocker:
        raise ValidationFailed(form=[blocker])
    records.update(rounds.ROUND, round_id, {}, actor, db=db, system={"notice_published_at": dt.datetime.now()},
                   action="publish_notice")


def objections(round_id: int, db=None) -> pd.DataFrame:
    """The objections of a round, with the project's title and who registered it (姓名)."""
    db = db or get_db()
    scope.require("round", round_id, db=db)
    return db.fetch_df(
        "SELECT o.id, o.application_id, o.received_date, o.content, o.handling, o.result, o.closed,"
        " a.title AS app_title,"
        " coalesce(u.name, CASE o.created_by WHEN 'system' THEN '系统' ELSE o.created_by END) AS registered_by"
        " FROM objections o"
        " LEFT JOIN applications a ON a.id = o.application_id LEFT JOIN users u ON u.username = o.created_by"
        " WHERE o.round_id = ? ORDER BY o.id", [round_id])


def objection_label(row: dict) -> str:
    """An objection by what it is: when it came in, about which project, what it says, who logged it."""
    about = f"「{row['app_title']}」" if not formats.is_empty(row.get("app_title")) else "未指明项目"
    content = formats.text(row.get("content"))
    gist = content if len(content) <= 16 else content[:16] + "…"
    state = "已办结" if row.get("closed") else "未办结"
    return f"{formats.date(row.get('received_date'))} 收到 · 关于{about}:{gist}({state},登记人 {formats.text(row.get('registered_by'))})"


# the objection log as :func:`objection_rows` shows it (the project by title under its field's label)
OBJECTION_COLUMNS = columns("received_date", "application_id", "content", "handling", "result", "closed",
                            "registered_by", of=Objection, computed={"registered_by": "登记人"})


def objection_rows(table: pd.DataFrame) -> pd.DataFrame:
    """The objection log as people read it: the project by title, 是/否, dates, no "None"."""
    return pd.DataFrame([{
        "received_date": formats.date(r["received_date"]),
        "application_id": formats.text(r["app_title"], "未指明项目"),
        "content": formats.text(r["content"]), "handling": formats.text(r["handling"]),
        "result": formats.text(r["result"]), "closed": "是" if r["closed"] else "否",
        "registered_by": formats.text(r["registered_by"]),
    } for r in table.to_dict("records")], columns=list(OBJECTION_COLUMNS)).rename(columns=OBJECTION_COLUMNS)


def objection_context(rnd: dict) -> dict:
    """An objection is received on or after the day the notice was published (not yet published: no limit,
    staff may log an early complaint)."""
    published = rnd.get("notice_published_at")
    return {"notice_published": published.date() if published is not None else None}


def add_objection(round_id: int, values: dict, actor: Actor, db=None) -> int:
    rnd = rounds.get(round_id, db)
    return records.create(OBJECTION, values, actor, db=db, system={"round_id": round_id},
                          context=objection_context(rnd))


def update_objection(objection_id: int, values: dict, actor: Actor, db=None) -> bool:
    db = db or get_db()
    round_id = db.scalar("SELECT round_id FROM objections WHERE id = ?", [objection_id])
    context = objection_context(rounds.get(round_id, db)) if round_id is not None else None
    return records.update(OBJECTION, objection_id, values, actor, db=db, context=context)


def finalise(round_id: int, actor: Actor, *, today: dt.date | None = None, db=None) -> int:
    """After the notice period, with every objection closed: the noticed projects become funded."""
    db = db or get_db()
    if not actor.has("admin", "system"):
        raise PermissionDenied("只有管理员可以确认立项")
    blocker = finalise_blocker(round_id, today, db)
    if blocker:
        raise ValidationFailed(form=[blocker])
    ids = [r["id"] for r in db.fetch_all(
        "SELECT id FROM applications WHERE round_id = ? AND state = 'public_notice' ORDER BY id", [round_id])]
    with records.unit(actor, db) as u:
        for app_id in ids:
            workflow.move_in(u, APPLICATION, app_id, "funded", note="公示期满,无未办结异议")
    return len(ids)
