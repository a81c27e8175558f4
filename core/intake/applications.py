"""项目申报: drafts, submission with the round's cross-field rules, milestones, screening, moves."""
from __future__ import annotations

import datetime as dt
from typing import Callable

import pandas as pd

from core.intake import blind, rounds, scope, workflow
from core.platform import formats, records
from core.platform.actor import Actor
from core.platform.db import get_db
from core.platform.entities import Entity, register
from core.platform.errors import NotFound, ValidationFailed
from core.platform.listing import Column, Filter, ListView, Rows
from core.platform.lookups import id_names
from core.platform.validation import to_failure, validate, validate_many
from schemas.application import Application, ApplicationDraft, BlindTitle, Decision, Milestone, screening_schema
from schemas.choices import APP_STATES, BUDGET_LINES, SCREENING_OUTCOMES
from schemas.monitoring import Expense
from schemas.columns import SYSTEM, columns, label as column_label
from schemas.text import required as visible_text
from schemas.stored import Screening

STAFF = frozenset({"admin", "staff"})
EDITABLE = ("draft", "returned")

APPLICATION = register(Entity(
    name="application", table="applications", label="申报项目", schema=Application, write_roles=STAFF,
    title_field="title", also=(BlindTitle,), hub_via=scope.VIA_ROUND,  # the round's hub (core.intake.scope)
))
MILESTONE = register(Entity(
    name="milestone", table="application_milestones", label="项目里程碑", schema=Milestone, write_roles=STAFF,
    title_field="deliverable", hub_via=scope.VIA_APPLICATION,
))
SCREENING = register(Entity(
    name="screening", table="screenings", label="资格审查记录", write_roles=STAFF, title_field="outcome",
    schema=Screening, hub_via=scope.VIA_APPLICATION,
))

STATE_LABEL_SQL = "CASE state " + " ".join(f"WHEN '{k}' THEN '{v}'" for k, v in APP_STATES.items()) + " END"

ORG_NAME_SQL = "(SELECT name FROM organisations o WHERE o.id = applications.org_id)"
ROUND_NAME_SQL = "(SELECT name FROM rounds r WHERE r.id = applications.round_id)"

# the columns lists and queues of applications show: the schemas' labels; a joined organisation is the
# 申报组织 (the label of ``org_id``); the state and 逾期 are computed by the queries below
COLUMNS = columns("id", "round", "title", "org", "category", "state_label", "state", "overdue", "requested_amount",
                  "granted_amount", "submitted_at", "return_due",
                  of=(Application, Decision),
                  computed={"org": column_label("org_id", of=Application), "state_label": SYSTEM["state"], "overdue": "逾期"})
_SQL = {"round": ROUND_NAME_SQL, "org": ORG_NAME_SQL, "state_label": STATE_LABEL_SQL}

LIST_VIEW = ListView(
    entity=APPLICATION,
    columns=tuple(Column(n, text, sql=_SQL.get(n)) for n, text in COLUMNS.pick(
        "id", "round", "title", "org", "category", "state_label", "requested_amount", "granted_amount",
        "submitted_at").items()),
    search=("title", ORG_NAME_SQL),
    filters=(
        Filter("round", COLUMNS["round"], ROUND_NAME_SQL, source="round_names"),
        Filter("state", COLUMNS["state"], STATE_LABEL_SQL, options=tuple(APP_STATES.values())),
        Filter("category", COLUMNS["category"], "category", source="project_categories"),
    ),
    default_sort="id", default_desc=True, search_hint="项目名称或申报组织",
    hub_sql=scope.listed("round", "round_id"),  # the applications of the rounds of the user's hubs
)


def get(app_id: int, db=None, *, actor: Actor | None = None) -> dict:
    """The application ``app_id``; NotFound, as for a missing one, when it is of another hub's round (the reader's
    hubs: ``actor``'s, else the screen's user's, :mod:`core.intake.scope`)."""
    if not scope.visible("application", app_id, actor, db):
        raise NotFound(f"{APPLICATION.label}(编号 {app_id})不存在")
    return records.get(APPLICATION, app_id, db)


def milestones(app_id: int, db=None) -> list[dict]:
    db = db or get_db()
    return db.fetch_all("SELECT id, due_date, deliverable FROM application_milestones WHERE application_id = ?"
                        " ORDER BY due_date, id", [app_id])


def counts_by_state(round_id: int | None = None, db=None) -> dict[str, int]:
    db = db or get_db()
    where, params = ("WHERE round_id = ?", [round_id]) if round_id else ("WHERE true", [])
    where += " AND " + scope.rounds_in("round_id", params)
    rows = db.fetch_all(f"SELECT state, count(*) AS n FROM applications {where} GROUP BY state", params)
    got = {r["state"]: int(r["n"]) for r in rows}
    return {s: got.get(s, 0) for s in APP_STATES}


# ---- the round's rules (cross-field rules that need the database) --------------------------------
def round_problems(record: dict, stones: list[dict], rnd: dict, org: dict | None, others_in_round: int,
                   *, full: bool) -> ValidationFailed | None:
    """Rules against the round and the registry. ``full`` adds the ones only a submission must meet."""
    fields: dict[str, list[str]] = {}

    def add(f: str, msg: str) -> None:
        fields.setdefault(f, []).append(msg)

    if org is None:
        add("org_id", "申报组织不在台账中")
    elif not org["active"]:
        add("org_id", f"「{org['name']}」已注销或不在册,不能申报")
    elif org.get("hub_id") is not None and rnd.get("hub_id") is not None and org["hub_id"] != rnd["hub_id"]:
        add("org_id", f"「{org['name']}」属于{org.get('hub_name') or '其他枢纽'}的台账,本批次「{rnd['name']}」属于"
                      f"{rnd.get('hub_name') or '另一枢纽'}:批次只接受本枢纽台账中的组织申报,请选择本枢纽的组织,"
                      "或改选该组织所属枢纽的批次")
    if others_in_round >= int(rnd["max_apps_per_org"]):
        add("org_id", f"该组织在本批次已有{others_in_round}个申报项目,达到每个组织{rnd['max_apps_per_org']}个的上限")
    if rnd.get("notice_published_at") is not None:
        add("round_id", "该批次已进入公示,不能再申报")
    if record.get("category") and record["category"] not in (rnd["categories"] or []):
        add("category", f"「{record['category']}」不是本批次的项目类别")
    req = record.get("requested_amount")
    if req is not None and float(req) > float(rnd["project_ceiling"]) + 0.005:
        add("requested_amount", f"申请资助金额超过本批次单个项目上限({float(rnd['project_ceiling']):,.0f}元)")
    start, end = rnd["project_start"], rnd["project_end"]
    for i, m in enumerate(stones, start=1):
        d = m.get("due_date")
        if isinstance(d, (dt.datetime, pd.Timestamp)):
            d = d.date()
        if isinstance(d, dt.date) and not (start <= d <= end):
            add("milestones", f"里程碑第{i}行的日期须在项目执行期({start}至{end})内")
    if full and not stones:
        add("milestones", "请至少填写一个里程碑(日期和交付成果)")
    return ValidationFailed(fields=fields) if fields else None


def _clean_milestones(rows: list[dict]) -> list[dict]:
    rows = [r for r in rows if any(v not in (None, "") and not (isinstance(v, float) and v != v) for v in r.values())]
    valid, errors = validate_many(Milestone, rows)
    if errors:
        msgs = [f"里程碑第{e.row + 1}行:{e.message}" for e in errors]
        raise ValidationFailed(fields={"milestones": msgs})
    return [valid[i] for i in range(len(rows))]


def _hub_name(hub_id, db) -> str | None:
    name = db.fetch_one("SELECT name FROM hubs WHERE id = ?", [hub_id]) if hub_id is not None else None
    return f"「{name['name']}」" if name else None


def _context(record: dict, app_id: int | None, db) -> tuple[dict, dict | None, int]:
    rnd = dict(rounds.get(int(record["round_id"]), db))
    rnd["hub_name"] = _hub_name(rnd.get("hub_id"), db)
    org = db.fetch_one("SELECT id, name, active, hub_id FROM organisations WHERE id = ?", [record["org_id"]])
    if org is not None:
        org["hub_name"] = _hub_name(org.get("hub_id"), db)
    others = int(db.scalar(
        "SELECT count(*) FROM applications WHERE round_id = ? AND org_id = ? AND state <> 'withdrawn'"
        + (" AND id <> ?" if app_id else ""),
        [record["round_id"], record["org_id"]] + ([app_id] if app_id else [])))
    return rnd, org, others


def save_draft(values: dict, stones: list[dict], actor: Actor, *, app_id: int | None = None,
               idea_id: int | None = None, link: Callable[[records.Unit, int], None] | None = None, db=None) -> int:
    """Create or update a draft (or a returned application); only filled fields are checked. A new draft
    promoted from an idea names it (``idea_id``) and ``link(unit, app_id)`` writes the idea's side in the same
    transaction (``core.intake.ideas.promote``: the idea module sits above this one)."""
    db = db or get_db()
    record = validate(ApplicationDraft, values)
    clean_stones = _clean_milestones(stones)
    if app_id is not None:
        current = get(app_id, db)
        if current["state"] not in EDITABLE:
            raise ValidationFailed(form=[f"「{workflow.state_label(current['state'])}」状态的申报不能修改"])
    with records.unit(actor, db) as u:
        # checked under the write lock: two drafts for the same organisation cannot both pass the quota
        problem = round_problems(record, clean_stones, *_context(record, app_id, db), full=False)
        if problem:
            raise problem
        if app_id is None:
            app_id = u.create(APPLICATION, record, validated=True, system={"state": "draft", "idea_id": idea_id})
            u.create(workflow.EVENT, {"application_id": app_id, "from_state": None, "to_state": "draft",
                                      "note": "新建申报草稿" + (f"(由金点子 {idea_id} 转化)" if idea_id else "")},
                     validated=True)
            if link is not None:  # e.g. the idea links back to the application, in the same transaction
                link(u, app_id)
        else:
            u.update(APPLICATION, app_id, record, validated=True)
        _replace_milestones(u, app_id, clean_stones)
    return app_id


def _replace_milestones(u: records.Unit, app_id: int, stones: list[dict]) -> None:
    old = u.tx.fetch_all("SELECT id, due_date, deliverable FROM application_milestones WHERE application_id = ?"
                         " ORDER BY due_date, id", [app_id])
    if sorted((o["due_date"], o["deliverable"]) for o in old) == sorted((s["due_date"], s["deliverable"]) for s in stones):
        return  # the same milestones (in any order): nothing to write, nothing to audit
    for o in old:
        u.delete(MILESTONE, o["id"])
    for s in stones:
        u.create(MILESTONE, s, validated=True, system={"application_id": app_id})


def submit(app_id: int, actor: Actor, db=None) -> str:
    """Check the whole application against its schema and the round, then move it on."""
    db = db or get_db()
    app = get(app_id, db)
    stones = milestones(app_id, db)
    raw = {k: app.get(k) for k in Application.to_schema().columns}
    try:
        record, incomplete = validate(Application, raw), None
    except ValidationFailed as exc:
        record, incomplete = raw, exc
    # the round's rules too, so one refusal names everything that is missing (e.g. the milestones)
    problem = round_problems(record, stones, *_context(record, app_id, db), full=True)
    if incomplete is not None:
        fields = {f: list(m) for f, m in incomplete.fields.items()}
        for f, msgs in (problem.fields if problem else {}).items():
            fields.setdefault(f, []).extend(m for m in msgs if m not in fields[f])
        raise ValidationFailed(fields=fields, form=["申报内容不完整,请补全后再提交"] + incomplete.form)
    if problem:
        raise problem
    target = {"draft": "submitted", "returned": "resubmitted"}.get(app["state"])
    if target is None:
        raise workflow.MoveRefused(f"「{workflow.state_label(app['state'])}」状态的申报不能提交")
    with records.unit(actor, db) as u:
        workflow.move_in(u, APPLICATION, app_id, target, system={"submitted_at": dt.datetime.now()})
    return target


def move(app_id: int, target: str, actor: Actor, *, note: str | None = None, db=None) -> None:
    """A plain move (start screening, send to review, manual marks, withdraw) through the workflow table."""
    note = visible_text(note) or None  # the one text normaliser: invisible characters are no reason
    if target == "withdrawn" and not note:
        raise ValidationFailed(fields={"note": ["撤回须填写原因"]})
    workflow.move(APPLICATION, app_id, target, actor, note=note, db=db)


# ---- 盲评: the reviewer-facing title ----------------------------------------------------------------
def reviewer_titles(round_id: int, db=None, *, defaults: bool = False) -> dict[int, str]:
    """Every application of the round -> the title reviewers read in a blind round: the 评审用名称 staff set
    at 资格审查, else (and always with ``defaults``) the category and the application's number within its
    category in the round (一老一小-07)."""
    db = db or get_db()
    rows = db.fetch_all("SELECT id, blind_title, category, row_number() OVER (PARTITION BY category ORDER BY id) AS n"
                        " FROM applications WHERE round_id = ? ORDER BY id", [round_id])
    return {int(r["id"]): (None if defaults else r["blind_title"]) or f"{r['category'] or '项目'}-{int(r['n']):02d}"
            for r in rows}


def reviewer_title(app_id: int, db=None) -> str:
    db = db or get_db()
    round_id = db.scalar("SELECT round_id FROM applications WHERE id = ?", [app_id])
    return reviewer_titles(int(round_id), db)[int(app_id)]


def _blind_title(app: dict, value, db) -> str:
    """The 评审用名称 to store for ``app`` (the default when ``value`` is empty); refused (the form keeps the
    input) when it names the organisation or another application of the round already uses it."""
    title = validate(BlindTitle, {"blind_title": value}).get("blind_title")
    titles = reviewer_titles(int(app["round_id"]), db)
    if not title:
        title = reviewer_titles(int(app["round_id"]), db, defaults=True)[int(app["id"])]
    named = [n for n in blind.names(int(app["org_id"]), db) if n in title]
    if named:
        raise ValidationFailed(fields={"blind_title": [
            f"评审用名称不能含申报组织的名称、简称、品牌或人员姓名(含「{named[0]}」),请改写或留空"]})
    taken = [i for i, t in titles.items() if t == title and i != int(app["id"])]
    if taken:
        raise ValidationFailed(fields={"blind_title": [f"本批次的申报(编号 {taken[0]})已使用评审用名称「{title}」,请换一个"]})
    return title


def set_reviewer_title(app_id: int, value: str | None, actor: Actor, db=None) -> str:
    """Staff change the 评审用名称 of an application (empty: back to the default); audited. Returns it."""
    db = db or get_db()
    app = get(app_id, db)
    with records.unit(actor, db) as u:
        title = _blind_title(app, value, u.tx)
        u.update(APPLICATION, app_id, {}, system={"blind_title": title}, note="评审用名称")
    return title


def screen(app_id: int, ticks: dict, outcome: str, actor: Actor, *, reasons: str | None = None,
           return_due: dt.date | None = None, blind_title: str | None = None, db=None) -> None:
    """Record a screening of the round's checklist and move to eligible, ineligible or returned. In a blind
    round the 评审用名称 is stored too (``blind_title``, or the default when it is left empty)."""
    db = db or get_db()
    app = get(app_id, db)
    rnd = rounds.get(app["round_id"], db)
    checklist = list(rnd["checklist"] or [])
    # the checklist and the conclusion are checked together, so every field's problem is named at once
    missing = {} if outcome else {"outcome": ["请选择审查结论"]}
    try:
        result = validate(screening_schema(checklist), ticks)
    except ValidationFailed as exc:
        raise ValidationFailed(fields={**exc.fields, **missing}, form=exc.form) from None
    if missing:
        raise ValidationFailed(fields=missing)
    named = _blind_title(app, blind_title, db) if rnd["blind_review"] or blind_title else None
    passed = [item for i, item in enumerate(checklist) if result[f"ok_{i}"]]
    failed = [item for i, item in enumerate(checklist) if not result[f"ok_{i}"]]
    why = "\n".join(f"{item}:{result[f'why_{i}']}" for i, item in enumerate(checklist) if not result[f"ok_{i}"])
    extra = visible_text(reasons)
    if outcome == "eligible" and failed:
        raise ValidationFailed(form=[f"仍有{len(failed)}项不符合,不能判定为审查合格"])
    if outcome == "ineligible" and not failed:
        raise ValidationFailed(form=["判定不合格时,须至少勾出一项不符合并写明原因"])
    if outcome == "returned":
        if app["returned_count"] >= 1:
            raise ValidationFailed(form=["补充材料只能退回一次;请判定合格或不合格"])
        if return_due is None:
            raise ValidationFailed(fields={"return_due": ["退回补充材料须填写补交期限"]})
        if return_due < dt.date.today():
            raise ValidationFailed(fields={"return_due": ["补交期限不能早于今天"]})
        if not failed and not extra:
            raise ValidationFailed(form=["请写明需要补充的材料"])
    if outcome not in ("eligible", "ineligible", "returned"):
        raise ValidationFailed(form=["请选择审查结论"])
    note = "\n".join(x for x in (why, extra) if x) or None
    system = {}
    if outcome == "returned":
        system = {"return_due": return_due, "returned_count": app["returned_count"] + 1}
    with records.unit(actor, db) as u:
        if named is not None:  # again under the lock: another application may just have taken the name
            system["blind_title"] = _blind_title(app, blind_title, u.tx)
        workflow.move_in(u, APPLICATION, app_id, outcome, note=note, system=system)
        u.create(SCREENING, {"application_id": app_id, "outcome": outcome, "items_passed": passed,
                             "items_failed": failed, "reasons": note,
                             "return_due": return_due if outcome == "returned" else None}, validated=True)


def screenings(app_id: int, db=None) -> pd.DataFrame:
    """The screenings of an application as people read them: who by 姓名, the conclusion in words."""
    db = db or get_db()
    scope.require("application", app_id, db=db)
    rows = db.fetch_all(
        "SELECT s.created_at, coalesce(u.name, CASE s.created_by WHEN 'system' THEN '系统' ELSE s.created_by END)"
        " AS who, s.outcome, s.items_failed, s.reasons, s.return_due FROM screenings s LEFT JOIN users u ON u.username = s.created_by"
        " WHERE s.application_id = ? ORDER BY s.id", [app_id])
    return pd.DataFrame([{
        "created_at": formats.date(r["created_at"]), "who": formats.text(r["who"]),
        "outcome": SCREENING_OUTCOMES.get(r["outcome"], formats.text(r["outcome"])),
        "items_failed": formats.text(list(r["items_failed"] or [])), "reasons": formats.text(r["reasons"]),
        "return_due": formats.date(r["return_due"]),
    } for r in rows], columns=list(SCREENING_COLUMNS)).rename(columns=SCREENING_COLUMNS)


# a screening as :func:`screenings` shows it (the columns the query reads and names)
SCREENING_COLUMNS = columns("created_at", "who", "outcome", "items_failed", "reasons", "return_due", computed={
    "created_at": "审查时间", "who": "审查人", "outcome": "审查结论", "items_failed": "不符合项",
    "reasons": "说明", "return_due": "补交期限"})


def content_rows(app: dict, db=None) -> list[tuple[str, str]]:
    """申报内容 as (label, text) rows: money with separators, counts without ".0", empty as "—"."""
    db = db or get_db()
    rnd = rounds.get(app["round_id"], db)
    shown = {
        "org_id": org_name(app["org_id"], db), "round_id": formats.text(rnd["name"]),
        "category": formats.text(app.get("category")), "communities": formats.text(list(app.get("communities") or [])),
        "target_group": formats.text(app.get("target_group")),
        "planned_beneficiaries": formats.number(app.get("planned_beneficiaries")),
        "requested_amount": formats.money(app.get("requested_amount")),
        "granted_amount": formats.money(app.get("granted_amount")),
        "cofunding_self": formats.money(app.get("cofunding_self")),
        "cofunding_other": formats.money(app.get("cofunding_other")),
        "submitted_at": formats.date(app.get("submitted_at")),
    }
    return [(CONTENT_COLUMNS[n], text) for n, text in shown.items()]


CONTENT_COLUMNS = columns("org_id", "round_id", "category", "communities", "target_group", "planned_beneficiaries",
                          "requested_amount", "granted_amount", "cofunding_self", "cofunding_other", "submitted_at",
                          of=(Application, Decision))
# the long texts shown under 申报内容, each under its field's label
TEXT_COLUMNS = columns("summary", "needs_analysis", "planned_activities", "cofunding_note", "decision_note",
                       of=Application)
MILESTONE_COLUMNS = columns("due_date", "deliverable", of=Milestone)
# the budget table (:func:`budget_rows`): a line and its amount, as an expense names them
BUDGET_COLUMNS = columns("line", "amount", of=Expense)


def budget_rows(app: dict) -> list[tuple[str, str]]:
    """The five budget lines and their total (money text; a line not filled in reads "—")."""
    rows = [(label, formats.money(app.get(k))) for k, label in BUDGET_LINES.items()]
    filled = [app.get(k) for k in BUDGET_LINES if not formats.is_empty(app.get(k))]
    rows.append(("合计", formats.money(sum(float(v) for v in filled)) if filled else formats.EMPTY))
    return rows


def milestone_rows(app_id: int, db=None) -> pd.DataFrame:
    scope.require("application", app_id, db=db)
    return pd.DataFrame([{"due_date": formats.date(m["due_date"]), "deliverable": formats.text(m["deliverable"])}
                         for m in milestones(app_id, db)], columns=list(MILESTONE_COLUMNS)).rename(columns=MILESTONE_COLUMNS)


def editable(db=None) -> list[tuple[int, str]]:
    """Drafts and returned applications (the ones the intake form can still edit), newest first, by
    what they are: title, organisation, round and state."""
    db = db or get_db()
    marks = ", ".join("?" for _ in EDITABLE)
    params: list = list(EDITABLE)
    mine = scope.hub_owned_in("r.hub_id", params)
    return [(r["id"], f"{r['title']}({r['org']},{r['round']},{workflow.state_label(r['state'])})·编号 {r['id']}")
            for r in db.fetch_all(
                "SELECT a.id, a.title, a.state, o.name AS org, r.name AS round FROM applications a"
                " JOIN organisations o ON o.id = a.org_id JOIN rounds r ON r.id = a.round_id"
                f" WHERE a.state IN ({marks}) AND {mine} ORDER BY a.id DESC", params)]


def queue_rows(states: tuple[str, ...], round_id: int | None = None) -> Rows:
    """Applications waiting in ``states`` (oldest first), e.g. the screening queue (paged in the database)."""
    marks = ", ".join("?" for _ in states)
    params: list = list(states) + ([round_id] if round_id else [])
    where = f"a.state IN ({marks})" + (" AND a.round_id = ?" if round_id else "")
    where += " AND " + scope.rounds_in("a.round_id", params)
    return Rows(
        "SELECT a.id, a.title, o.name AS org, a.category, a.state, a.requested_amount, a.submitted_at, a.return_due,"
        " (a.state = 'returned' AND a.return_due < current_date) AS overdue"
        f" FROM applications a JOIN organisations o ON o.id = a.org_id WHERE {where}",
        "submitted_at NULLS LAST, id", tuple(params))


def queue(states: tuple[str, ...], round_id: int | None = None, db=None) -> pd.DataFrame:
    """Every application of :func:`queue_rows`."""
    return queue_rows(states, round_id).all(db)


def org_name(org_id: int, db=None) -> str:
    db = db or get_db()
    return db.scalar("SELECT name FROM organisations WHERE id = ?", [org_id]) or str(org_id)


def budget_total(record: dict) -> float:
    return float(sum(float(record.get(k) or 0) for k in BUDGET_LINES))


def options(round_id: int | None = None, states: tuple[str, ...] | None = None, db=None) -> list[tuple[int, str]]:
    db = db or get_db()
    where, params = [], []
    if round_id:
        where.append("a.round_id = ?")
        params.append(round_id)
    if states:
        where.append(f"a.state IN ({', '.join('?' for _ in states)})")
        params += list(states)
    where.append(scope.rounds_in("a.round_id", params))
    clause = ("WHERE " + " AND ".join(where)) if where else ""
    return [(r["id"], f"{r['id']} · {r['title']}({r['org']})") for r in db.fetch_all(
        f"SELECT a.id, a.title, o.name AS org FROM applications a JOIN organisations o ON o.id = a.org_id {clause}"
        " ORDER BY a.id DESC", params)]


def install_providers() -> None:
    """``notice_applications``: applications on public notice or funded, newest first, as 「编号 · 项目名称」;
    ``round_names``: the rounds by name (list filters)."""
    id_names("notice_applications", ("applications", "rounds"),
             "SELECT a.id, a.title, r.hub_id FROM applications a JOIN rounds r ON r.id = a.round_id"
             " WHERE a.state IN ('public_notice', 'funded') ORDER BY a.id DESC",
             lambda r: f"{r['id']} · {r['title']}", hub_column="hub_id")
    id_names("round_names", ("rounds",), "SELECT name, hub_id FROM rounds ORDER BY year DESC, id DESC", key="name",
             hub_column="hub_id")


__all__ = ["APPLICATION", "MILESTONE", "SCREENING", "save_draft", "submit", "move", "screen", "to_failure"]
