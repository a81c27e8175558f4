"""提醒规则: the one place the reminders are declared (like the risk rules of :mod:`core.monitoring.risks`), each with
its lead time, repeat and channels, which an admin changes (``notification_rules``; a rule without a row uses its
defaults here).

A rule's finder reads what is due through the queries the screens already use (工作台's agreements to sign, open
warnings and overdue reports; 我的评审's tasks; the mentoring follow-up; the ratings about to expire) and returns
:class:`Hit` rows: the record, the date the reminder is about, from when it is sent, and to whom. Who reads what:

- ``staff``: the active accounts with the staff role of the record's hub (:attr:`Hit.hub`; a hub with none: its
  admins, else the admins of the nearest hub above it with any, else the top hub's);
- ``admins``: the active admins of the record's hub (the same fall-back); a hit of no hub (a failed backup: the
  whole installation) goes to the top hub's admins (:func:`core.platform.users.operates`);
- a username: that account (an expert's own assignment, a mentor's account), whatever its hub.

Every hit names the hub of its record (issue 20): the 公益创投 chain's is its round's (``rounds.hub_id``, as
:mod:`core.intake.scope` reads it), an organisation's its own (mentoring and ratings through the organisation),
a training's ``trainings.hub_id`` (028). No other hub's accounts receive it (:func:`core.notify.job.wanted`).

Reminders about an organisation (补正 to the applying organisation, a training to its registered attendees'
organisations, an agreement to sign, a mid-term/final report due or overdue) go to the staff with the contact's name
and phone in the message, and (:attr:`Hit.orgs`) by email to the organisation's contact when the register has its
联系邮箱 and email is configured: recipient ``org:<id>``, email only (an organisation has no inbox), worded to the
organisation and without the link to a staff page.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Callable

import pandas as pd

from core.incubation import lifecycle, mentoring
from core.monitoring import evaluations, money, projects, risks
from core.platform import backup, config, records, users
from core.platform.actor import DEFAULT_HUB, Actor
from core.platform.db import get_db
from core.platform.entities import Entity, Rule as RowRule, RuleContext, may, register
from core.platform.errors import PermissionDenied, ValidationFailed
from core.review import reviews
from schemas.choices import ROLES
from schemas.columns import columns
from schemas.notification import CHANNELS, USER_CHANNELS, NotificationPref, NotificationRule

RULE_SETTING = register(Entity(
    name="notification_rule", table="notification_rules", label="提醒规则设置", write_roles=frozenset(),
    key="code", key_generated=False, title_field="code", stamps=False, schema=NotificationRule,
    rules=(users.operator_rule("提醒规则对所有枢纽生效:由最上级枢纽的管理员设置"),),
))


def _own_pref(ctx: RuleContext, before: dict | None, after: dict | None) -> None:
    row = after or before
    if row["username"] != ctx.actor.username or (before is not None and before["username"] != row["username"]):
        raise PermissionDenied("当前账号只能设置自己的接收渠道")


PREF = register(Entity(
    name="notification_pref", table="notification_prefs", label="接收渠道设置", write_roles=frozenset({"admin"}),
    key="username", key_generated=False, title_field="username", stamps=False, schema=NotificationPref,
    rules=(RowRule("每个账号只能设置自己的接收渠道", actions=frozenset({"create", "update"}), roles=frozenset(ROLES),
                   check=_own_pref, fields=frozenset({"username", "channels"})),),
))
DEFAULT_PREF = "*"  # the admins' default for accounts that chose nothing
DEFAULT_USER_CHANNELS = ("inbox", "email")


@dataclass(frozen=True)
class OrgMail:
    """The email to an organisation's contact about a hit (sent when the organisation has a 联系邮箱)."""
    org_id: int
    subject: str
    body: str


@dataclass(frozen=True)
class Hit:
    """One record a rule fires on. ``start``: the first day to send; ``to``: usernames and/or 'staff' / 'admins';
    ``orgs``: the organisations whose contact is emailed too; ``hub``: the hub of the record (None: the whole
    installation, e.g. a failed backup), whose staff and admins 'staff' and 'admins' mean (required: no finder
    forgets it)."""
    record_kind: str
    record_ref: str
    due: dt.date
    start: dt.date
    to: tuple[str, ...]
    subject: str
    body: str
    link_page: str | None = None
    link_params: dict = field(default_factory=dict)
    orgs: tuple[OrgMail, ...] = ()
    hub: int | None = field(kw_only=True)


@dataclass(frozen=True)
class Ctx:
    db: object
    today: dt.date
    lead: int
    memo: dict = field(default_factory=dict)  # what several rules of one run read (the experts' open tasks)


@dataclass(frozen=True)
class Rule:
    code: str
    label: str
    audience: str          # in words, for the rule screen
    lead: int              # default lead (unit below)
    repeat_days: int       # default repeat (0: once)
    channels: tuple[str, ...]
    help: str
    find: Callable[[Ctx], list[Hit]]
    unit: str = "天"


def _d(value) -> dt.date:
    return pd.Timestamp(value).date()


def _day(value) -> str:
    return f"{_d(value):%Y年%m月%d日}".replace("年0", "年").replace("月0", "月")


def org_recipient(org_id: int) -> str:
    """The queue's recipient of an organisation's contact."""
    return f"org:{int(org_id)}"


def _org_of(c: Ctx, kind: str) -> dict:
    """application id -> its organisation's id (``kind='application'``), or project id -> it (``'project'``)."""
    key = f"org_of_{kind}"
    if key not in c.memo:
        sql = ("SELECT id, org_id FROM applications" if kind == "application" else
               "SELECT p.id, a.org_id FROM projects p JOIN applications a ON a.id = p.application_id")
        c.memo[key] = {int(r["id"]): int(r["org_id"]) for r in c.db.fetch_all(sql)}
    return c.memo[key]


def _hub(value) -> int:
    """A record's hub as read (a row written before hubs has none: the default hub's, as the migrations fill it)."""
    return DEFAULT_HUB if value is None or pd.isna(value) else int(value)


# id -> hub of a kind of record, read once per run for every rule that needs it (as core.intake.scope's HUB_OF_*
# read one row's: the chain's hub is its round's; an organisation's its own)
_HUB_SQL = {
    "application": "SELECT a.id, r.hub_id FROM applications a JOIN rounds r ON r.id = a.round_id",
    "project": ("SELECT p.id, r.hub_id FROM projects p JOIN applications a ON a.id = p.application_id"
                " JOIN rounds r ON r.id = a.round_id"),
    "organisation": "SELECT id, hub_id FROM organisations",
}


def _hub_of(c: Ctx, kind: str) -> dict[int, int]:
    """record id -> its hub, for ``kind`` in :data:`_HUB_SQL` (one query per run and kind)."""
    key = f"hub_of_{kind}"
    if key not in c.memo:
        c.memo[key] = {int(r["id"]): _hub(r["hub_id"]) for r in c.db.fetch_all(_HUB_SQL[kind])}
    return c.memo[key]


_SIGNATURE = "\n\n(本邮件由枢纽台自动发送,请勿直接回复;如有疑问请联系中心工作人员。)"


def _org_mail(org_id, subject: str, body: str) -> tuple[OrgMail, ...]:
    return (OrgMail(int(org_id), subject, body + _SIGNATURE),) if org_id is not None else ()


def _contact(person, phone) -> str:
    bits = [str(x) for x in (person, phone) if isinstance(x, str) and x.strip()]
    return f"联系人 {' '.join(bits)}" if bits else "未登记联系人"


# ---- the finders -------------------------------------------------------------------------------------
def _correction_due(c: Ctx) -> list[Hit]:
    rows = c.db.fetch_all(
        "SELECT a.id, a.title, a.return_due, a.org_id, o.name AS org, o.contact_person, o.contact_phone, r.hub_id"
        " FROM applications a JOIN rounds r ON r.id = a.round_id"
        " JOIN organisations o ON o.id = a.org_id WHERE a.state = 'returned' AND a.return_due IS NOT NULL"
        " AND a.return_due >= ? AND a.return_due <= ?", [c.today, c.today + dt.timedelta(days=c.lead)])
    return [Hit("application", str(r["id"]), _d(r["return_due"]), _d(r["return_due"]) - dt.timedelta(days=c.lead),
                ("staff",), f"补充材料将于{_day(r['return_due'])}截止:{r['title']}",
                f"申报项目「{r['title']}」({r['org']})退回补充材料,补交期限为{_day(r['return_due'])}。"
                f"请提醒申报组织按时补交({_contact(r['contact_person'], r['contact_phone'])})。",
                "application", {"id": r["id"]},
                _org_mail(r["org_id"], f"请于{_day(r['return_due'])}前补交申报材料:{r['title']}",
                          f"{r['org']}:\n\n贵组织申报的项目「{r['title']}」已退回补充材料,补交期限为"
                          f"{_day(r['return_due'])}。请按退回意见补充材料并按时提交。"), hub=_hub(r["hub_id"]))
            for r in rows]


def _open_review_tasks(c: Ctx) -> list[dict]:
    """The experts' open tasks (as 工作台 counts them, :func:`core.review.reviews.open_tasks`), with the titles each
    expert sees in 我的评审 (a blind round's reviewer-facing title); read once per run."""
    if "review_tasks" not in c.memo:
        c.memo["review_tasks"] = _read_review_tasks(c)
    return c.memo["review_tasks"]


def _read_review_tasks(c: Ctx) -> list[dict]:
    rows = c.db.fetch_all(
        "SELECT s.id, s.reviewer, CAST(s.created_at AS DATE) AS assigned_on, r.review_end, r.hub_id"
        " FROM assignments s"
        " JOIN applications a ON a.id = s.application_id JOIN rounds r ON r.id = a.round_id"
        " JOIN users u ON u.username = s.reviewer AND u.active"
        " LEFT JOIN reviews v ON v.assignment_id = s.id WHERE s.status = 'assigned'"
        " AND a.state IN ('under_review', 're_review') AND (v.status IS NULL OR v.status <> 'submitted')")
    titles: dict[int, str] = {}
    for reviewer in sorted({r["reviewer"] for r in rows}):
        tasks = reviews.my_assignments(reviewer, db=c.db)
        titles.update({int(t.assignment_id): str(t.title) for t in tasks.itertuples()})
    return [{**r, "title": titles.get(int(r["id"]), f"评审任务 {r['id']}")} for r in rows]


def _review_assigned(c: Ctx) -> list[Hit]:
    return [Hit("assignment", str(r["id"]), _d(r["review_end"]), _d(r["assigned_on"] or c.today), (r["reviewer"],),
                f"新的评审任务:{r['title']}", f"您有一项新的评审任务「{r['title']}」,请于{_day(r['review_end'])}前"
                "在「我的评审」中声明无利益冲突并提交评分。", "my_reviews", {"task": r["id"]}, hub=_hub(r["hub_id"]))
            for r in _open_review_tasks(c)]


def _review_due(c: Ctx) -> list[Hit]:
    return [Hit("assignment", str(r["id"]), _d(r["review_end"]), _d(r["review_end"]) - dt.timedelta(days=c.lead),
                (r["reviewer"],), f"评审将于{_day(r['review_end'])}截止:{r['title']}",
                f"评审任务「{r['title']}」尚未提交,截止日期为{_day(r['review_end'])}。", "my_reviews",
                {"task": r["id"]}, hub=_hub(r["hub_id"]))
            for r in _open_review_tasks(c) if _d(r["review_end"]) >= c.today]


def _review_overdue(c: Ctx) -> list[Hit]:
    names = projects.user_names(c.db)
    out = []
    for r in _open_review_tasks(c):
        due = _d(r["review_end"])
        if due >= c.today:
            continue
        start = due + dt.timedelta(days=max(c.lead, 1))
        out.append(Hit("assignment", str(r["id"]), due, start, (r["reviewer"],), f"评审已逾期:{r['title']}",
                       f"评审任务「{r['title']}」已超过截止日期{_day(due)},尚未提交评分,请尽快完成。", "my_reviews",
                       {"task": r["id"]}, hub=_hub(r["hub_id"])))
        out.append(Hit("assignment", str(r["id"]), due, start, ("staff",),
                       f"专家评审逾期:{names.get(r['reviewer'], '评审专家')}",
                       f"评审专家{names.get(r['reviewer'], '')}的任务(编号 {r['id']})已超过截止日期{_day(due)}仍未提交,"
                       "请联系专家或调整分配。", "review_assign", {}, hub=_hub(r["hub_id"])))
    return out


def _notice_ending(c: Ctx) -> list[Hit]:
    rows = c.db.fetch_all(
        "SELECT r.id, r.name, r.notice_end, r.hub_id, count(a.id) AS n FROM rounds r JOIN applications a ON a.round_id = r.id"
        " WHERE a.state = 'public_notice' AND r.notice_end >= ? AND r.notice_end <= ?"
        " GROUP BY r.id, r.name, r.notice_end, r.hub_id", [c.today, c.today + dt.timedelta(days=c.lead)])
    return [Hit("round", str(r["id"]), _d(r["notice_end"]), _d(r["notice_end"]) - dt.timedelta(days=c.lead), ("staff",),
                f"公示期将于{_day(r['notice_end'])}结束:{r['name']}",
                f"「{r['name']}」的 {r['n']} 个项目正在公示,公示期至{_day(r['notice_end'])}。"
                "期满后请处理异议并确认立项。", "decisions", {}, hub=_hub(r["hub_id"])) for r in rows]


def _agreement_to_sign(c: Ctx) -> list[Hit]:
    waiting = projects.awaiting_agreement(db=c.db)  # what 工作台 counts
    if waiting.empty:
        return []
    starts, hub_of = {}, {}
    for r in c.db.fetch_all("SELECT a.id, r.project_start, r.hub_id FROM applications a JOIN rounds r"
                            " ON r.id = a.round_id WHERE a.state = 'funded'"):
        starts[r["id"]], hub_of[r["id"]] = _d(r["project_start"]), _hub(r["hub_id"])
    org_of = _org_of(c, "application")
    out = []
    for r in waiting.itertuples():
        due = starts.get(int(r.id), c.today)
        out.append(Hit("application", str(r.id), due, due - dt.timedelta(days=c.lead), ("staff",),
                       f"待签订资助协议:{r.title}",
                       f"「{r.title}」({r.org},{r.round})已确认立项,尚未签订资助协议;项目计划于{_day(due)}开始执行。",
                       "application", {"id": int(r.id)},
                       _org_mail(org_of.get(int(r.id)), f"请签订资助协议:{r.title}",
                                 f"{r.org}:\n\n贵组织的项目「{r.title}」({r.round})已确认立项,尚未签订资助协议;"
                                 f"项目计划于{_day(due)}开始执行。请与中心工作人员联系,尽快签订资助协议。"),
                       hub=hub_of.get(int(r.id), DEFAULT_HUB)))
    return out


def _tranche_ready(c: Ctx) -> list[Hit]:
    running = c.db.fetch_all(
        "SELECT DISTINCT p.id, p.agreement_no, a.title, r.hub_id FROM projects p"
        " JOIN applications a ON a.id = p.application_id JOIN rounds r ON r.id = a.round_id JOIN tranches t ON t.project_id = p.id WHERE p.state = 'active' AND t.status = 'planned'"
        " AND coalesce(t.planned_date, p.start_date) <= ?", [c.today + dt.timedelta(days=c.lead)])
    out = []
    for p in running:
        plan = money.tranches(int(p["id"]), db=c.db)
        for t in plan[plan["releasable"].astype(bool)].itertuples():
            due = _d(t.planned_date) if pd.notna(t.planned_date) else c.today
            out.append(Hit("tranche", str(t.id), due, due - dt.timedelta(days=c.lead), ("staff",),
                           f"第{t.seq}期资金可以拨付:{p['title']}",
                           f"{p['agreement_no']}「{p['title']}」第{t.seq}期资金({t.amount:,.2f} 元)的拨付条件已满足,"
                           f"计划拨付日期{_day(due)},请办理拨付。", "project", {"id": int(p["id"])},
                           hub=_hub(p["hub_id"])))
    return out


def _report_due(c: Ctx) -> list[Hit]:
    rows = c.db.fetch_all(
        "WITH due AS (SELECT p.id, p.agreement_no, a.title, 'midterm' AS kind, p.midterm_due AS due, r.hub_id"
        " FROM projects p JOIN applications a ON a.id = p.application_id JOIN rounds r ON r.id = a.round_id"
        " WHERE p.state IN ('active', 'stopped')"
        " UNION ALL SELECT p.id, p.agreement_no, a.title, 'final', p.final_due, r.hub_id FROM projects p"
        " JOIN applications a ON a.id = p.application_id JOIN rounds r ON r.id = a.round_id"
        " WHERE p.state IN ('active', 'stopped'))"
        " SELECT * FROM due d WHERE d.due >= ? AND d.due <= ? AND NOT EXISTS"
        " (SELECT 1 FROM evaluations e WHERE e.project_id = d.id AND e.kind = d.kind)",
        [c.today, c.today + dt.timedelta(days=c.lead)])
    org_of = _org_of(c, "project")
    return [Hit("project", f"{r['id']}:{r['kind']}", _d(r["due"]), _d(r["due"]) - dt.timedelta(days=c.lead), ("staff",),
                f"{evaluations.EVALUATION_KINDS[r['kind']]}报告将于{_day(r['due'])}到期:{r['title']}",
                f"{r['agreement_no']}「{r['title']}」的{evaluations.EVALUATION_KINDS[r['kind']]}报告"
                f"截止日期为{_day(r['due'])},请提醒项目方按时提交。", "project", {"id": r["id"]},
                _org_mail(org_of.get(int(r["id"])),
                          f"{evaluations.EVALUATION_KINDS[r['kind']]}报告将于{_day(r['due'])}到期:{r['title']}",
                          f"您好:\n\n贵组织承接的项目{r['agreement_no']}「{r['title']}」的"
                          f"{evaluations.EVALUATION_KINDS[r['kind']]}报告截止日期为{_day(r['due'])},请按时提交。"),
                hub=_hub(r["hub_id"])) for r in rows]


def _report_overdue(c: Ctx) -> list[Hit]:
    due = evaluations.due_reports(today=c.today, db=c.db)  # what 工作台 counts
    org_of, hub_of = _org_of(c, "project"), _hub_of(c, "project")
    return [Hit("project", f"{r.project_id}:{r.kind}", _d(r.due), _d(r.due) + dt.timedelta(days=max(c.lead, 1)),
                ("staff",), f"{r.kind_label}报告已逾期 {r.days_overdue} 天:{r.title}",
                f"{r.agreement_no}「{r.title}」的{r.kind_label}报告截止日期为{_day(r.due)},至今没有评估记录"
                f"(已逾期 {r.days_overdue} 天)。", "project", {"id": int(r.project_id)},
                _org_mail(org_of.get(int(r.project_id)), f"{r.kind_label}报告已逾期:{r.title}",
                          f"您好:\n\n贵组织承接的项目{r.agreement_no}「{r.title}」的{r.kind_label}报告截止日期为"
                          f"{_day(r.due)},中心尚未收到,请尽快提交。"),
                hub=hub_of.get(int(r.project_id), DEFAULT_HUB)) for r in due.itertuples()]


def _risk_opened(c: Ctx) -> list[Hit]:
    board = risks.board(today=c.today, db=c.db)  # the open warnings 工作台 counts
    if board.empty:
        return []
    starts = {r["id"]: _d(r["start_date"]) for r in c.db.fetch_all("SELECT id, start_date FROM projects")}
    hub_of = _hub_of(c, "project")
    out = []
    for w in board.itertuples():
        reopened = pd.notna(w.ack_until)
        opened = _d(w.ack_until) + dt.timedelta(days=1) if reopened else starts.get(int(w.project_id), c.today)
        what = "重新打开" if reopened else "新的"
        out.append(Hit("project", f"{w.project_id}:{w.code}", opened, opened, ("staff",),
                       f"{what}风险预警({w.severity}):{w.rule} · {w.title}",
                       f"{w.agreement_no}「{w.title}」({w.org}):{w.rule},{w.detail}。"
                       + ("跟进期已过,情况仍未解除。" if reopened else ""), "project", {"id": int(w.project_id)},
                       hub=hub_of.get(int(w.project_id), DEFAULT_HUB)))
    return out


def _mentoring_due(c: Ctx) -> list[Hit]:
    acts = mentoring.actions(statuses=["open", "overdue"], today=c.today, db=c.db)
    if acts.empty:
        return []
    accounts = {r["name"]: r["username"] for r in c.db.fetch_all(
        "SELECT m.name, m.username FROM mentors m JOIN users u ON u.username = m.username WHERE u.active")}
    org_of = {r["id"]: (int(r["org_id"]), _hub(r["hub_id"])) for r in c.db.fetch_all(  # the hub: the organisation's
        "SELECT a.id, p.org_id, o.hub_id FROM mentoring_actions a JOIN mentoring_sessions s ON s.id = a.session_id"
        " JOIN mentor_pairings p ON p.id = s.pairing_id JOIN organisations o ON o.id = p.org_id")}
    out = []
    for a in acts.itertuples():
        due = _d(a.due_date)
        if due > c.today + dt.timedelta(days=c.lead):
            continue
        to = ("staff",) + ((accounts[a.mentor],) if a.mentor in accounts else ())
        late = "已逾期" if due < c.today else f"将于{_day(due)}到期"
        org_id, hub = org_of.get(int(a.id), (None, DEFAULT_HUB))
        out.append(Hit("mentoring_action", str(a.id), due, due - dt.timedelta(days=c.lead), to,
                       f"辅导行动{late}:{a.org}", f"{a.org}与导师{a.mentor}约定的行动「{a.action}」(负责人 {a.owner})"
                       f"{late},请跟进完成情况。", "org_support", {"id": org_id} if org_id is not None else {}, hub=hub))
    return out


def _training_reminder(c: Ctx) -> list[Hit]:
    rows = c.db.fetch_all(
        "SELECT t.id, t.title, t.training_date, t.place, t.hub_id, count(x.id) AS n,"
        " string_agg(x.person || coalesce('(' || x.phone || ')', ''), '、' ORDER BY x.id) AS people,"
        " list(DISTINCT x.org_id) AS org_ids"
        " FROM trainings t JOIN training_attendance x ON x.training_id = t.id"
        " WHERE t.training_date >= ? AND t.training_date <= ? GROUP BY t.id, t.title, t.training_date, t.place, t.hub_id",
        [c.today, c.today + dt.timedelta(days=c.lead)])
    return [Hit("training", str(r["id"]), _d(r["training_date"]), _d(r["training_date"]) - dt.timedelta(days=c.lead),
                ("staff",), f"培训将于{_day(r['training_date'])}举行:{r['title']}",
                f"「{r['title']}」将于{_day(r['training_date'])}" + (f"在{r['place']}" if r["place"] else "")
                + f"举行,已报名 {r['n']} 人,请提醒参训人员:{r['people']}。", "trainings", {"id": r["id"]},
                tuple(m for o in sorted(r["org_ids"]) for m in _org_mail(
                    o, f"培训提醒:{r['title']}({_day(r['training_date'])})",
                    f"您好:\n\n贵组织已报名的培训「{r['title']}」将于{_day(r['training_date'])}"
                    + (f"在{r['place']}" if r["place"] else "") + "举行,请参训人员准时参加。")),
                hub=_hub(r["hub_id"])) for r in rows]


def _rating_expiring(c: Ctx) -> list[Hit]:
    rows = lifecycle.expiring(today=c.today, months=c.lead, db=c.db)  # the same list 孵化与等级 shows
    hub_of = _hub_of(c, "organisation")
    return [Hit("organisation", str(r.id), _d(r.rating_expiry), lifecycle.add_months(_d(r.rating_expiry), -c.lead),
                ("staff",), f"{r.rating}等级将于{_day(r.rating_expiry)}到期:{r.name}",
                f"{r.name}的{r.rating}等级评估有效期至{_day(r.rating_expiry)}(还剩 {r.days_left} 天),"
                "请提醒组织准备重新评估。", "lifecycle", {"id": int(r.id)}, hub=hub_of.get(int(r.id), DEFAULT_HUB))
            for r in rows.itertuples()]


def _backup_failed(c: Ctx) -> list[Hit]:
    """The automatic backup failed in this process, or (the job run from ``core.manage``, a systemd timer) the
    newest backup is older than the backup interval plus ``lead`` hours' grace while automatic backups are on."""
    s = config.load()
    problem = None
    auto = backup.current_auto()
    if auto is not None and auto.last_error:
        problem = f"最近一次自动备份失败:{auto.last_error}"
    elif s.backup_every_hours > 0:
        found = backup.backups(s.backup_dir, s.db_path.stem)
        newest = max((f.taken_at for f in found), default=None)
        limit = dt.datetime.now() - dt.timedelta(hours=s.backup_every_hours + max(c.lead, 1))
        if newest is not None and newest < limit:
            problem = f"最近一次备份是 {newest:%Y-%m-%d %H:%M},已超过备份间隔({s.backup_every_hours:g} 小时)"
    if problem is None:
        return []
    return [Hit("backup", str(s.backup_dir), c.today, c.today, ("admins",), "自动备份失败",
                f"{problem}。备份位置:{s.backup_dir}。请检查磁盘空间和目录权限,然后在「审计日志」中立即备份一次。",
                "audit", {}, hub=None)]  # the whole installation's: the top hub's admins


STAFF_CHANNELS = ("inbox", "email", "wecom")
RULES: tuple[Rule, ...] = (
    Rule("correction_due", "补正材料到期", "工作人员;申报组织联系邮箱", 3, 1, STAFF_CHANNELS,
         "退回补充材料的申报在补交期限前该天数开始提醒", _correction_due),
    Rule("review_assigned", "新的评审任务", "评审专家", 0, 0, ("inbox", "email"),
         "分配评审任务后通知专家(提前量不使用)", _review_assigned),
    Rule("review_due", "评审即将截止", "评审专家", 3, 1, ("inbox", "email"),
         "未提交的评审在截止日期前该天数开始提醒", _review_due),
    Rule("review_overdue", "评审逾期", "评审专家和工作人员", 1, 2, STAFF_CHANNELS,
         "评审截止日期过后该天数仍未提交时提醒", _review_overdue),
    Rule("notice_ending", "公示期即将结束", "工作人员", 2, 0, STAFF_CHANNELS,
         "公示期结束前该天数提醒处理异议、确认立项", _notice_ending),
    Rule("agreement_to_sign", "待签资助协议", "工作人员;立项组织联系邮箱", 7, 7, STAFF_CHANNELS,
         "已立项未签协议的项目,在批次项目开始日期前该天数开始提醒", _agreement_to_sign),
    Rule("tranche_ready", "资金可拨付", "工作人员", 3, 7, STAFF_CHANNELS,
         "某期资金满足拨付条件、计划拨付日期前该天数开始提醒", _tranche_ready),
    Rule("report_due", "中期/末期报告到期", "工作人员;项目组织联系邮箱", 14, 7, STAFF_CHANNELS,
         "中期/末期报告截止前该天数开始提醒", _report_due),
    Rule("report_overdue", "中期/末期报告逾期", "工作人员;项目组织联系邮箱", 1, 7, STAFF_CHANNELS,
         "报告截止日期过后该天数仍无评估记录时提醒", _report_overdue),
    Rule("risk_opened", "风险预警打开或重新打开", "工作人员", 0, 0, STAFF_CHANNELS,
         "出现新的未处理预警,或处理跟进期已过预警仍在时提醒(提前量不使用)", _risk_opened),
    Rule("mentoring_due", "辅导行动到期", "工作人员和导师", 3, 7, ("inbox", "email"),
         "一对一辅导约定的行动在到期前该天数开始提醒,逾期后按重复间隔再提醒", _mentoring_due),
    Rule("training_reminder", "培训提醒", "工作人员;参训组织联系邮箱", 2, 0, STAFF_CHANNELS,
         "培训举办前该天数提醒通知已报名的参训人员", _training_reminder),
    Rule("rating_expiring", "等级即将到期", "工作人员", 6, 30, ("inbox", "email"),
         "社会组织等级在该月数内到期时提醒", _rating_expiring, unit="个月"),
    Rule("backup_failed", "备份失败", "最上级枢纽的管理员", 6, 1, ("inbox", "email", "wecom"),
         "自动备份失败,或最近一次备份已超过备份间隔加该小时数时提醒最上级枢纽的管理员", _backup_failed, unit="小时"),
)
RULE_BY_CODE = {r.code: r for r in RULES}

SETTING_COLUMNS = columns("code", "rule", "audience", "enabled", "lead", "unit", "repeat_days", "channels", "help",
                          of=NotificationRule, computed={"rule": "提醒规则", "audience": "提醒对象", "unit": "单位",
                                                         "help": "规则说明"})


def rule(code: str) -> Rule:
    if code not in RULE_BY_CODE:
        raise ValidationFailed(fields={"code": [f"未知的提醒规则:{code}"]})
    return RULE_BY_CODE[code]


def rule_label(code: str) -> str:
    return RULE_BY_CODE[code].label if code in RULE_BY_CODE else code


# ---- settings ------------------------------------------------------------------------------------------
def settings(db=None) -> dict[str, dict]:
    """code -> {enabled, lead, repeat_days, channels}: the stored row, else the rule's defaults."""
    db = db or get_db()
    stored = {r["code"]: r for r in db.fetch_all(
        "SELECT code, enabled, lead, repeat_days, channels FROM notification_rules")}
    out = {}
    for r in RULES:
        s = stored.get(r.code)
        out[r.code] = ({"enabled": bool(s["enabled"]), "lead": int(s["lead"]), "repeat_days": int(s["repeat_days"]),
                        "channels": tuple(c for c in s["channels"] if c in CHANNELS)} if s else
                       {"enabled": True, "lead": r.lead, "repeat_days": r.repeat_days, "channels": r.channels})
    return out


def setting_rows(db=None) -> pd.DataFrame:
    current = settings(db)
    return pd.DataFrame([{"code": r.code, "rule": r.label, "audience": r.audience, **current[r.code],
                          "channels": list(current[r.code]["channels"]), "unit": r.unit, "help": r.help}
                         for r in RULES], columns=list(SETTING_COLUMNS))


def may_set(actor: Actor | None, db=None) -> bool:
    """May ``actor`` change the rules (the install's operator: they hold for every hub)?"""
    return may(actor, RULE_SETTING, "update", {"code": ""}, db=db)


def save_setting(code: str, values: dict, actor: Actor, db=None) -> bool:
    """Change one rule's switch, lead, repeat and channels (admins; audited). False when nothing changed."""
    db = db or get_db()
    if not may_set(actor, db):
        raise PermissionDenied(users.NOT_OPERATOR_SETTING if actor.has("admin") else "只有管理员可以修改提醒规则")
    rule(code)
    current = settings(db)[code]
    merged = {**current, **values}
    merged["channels"] = [c for c in CHANNELS if c in set(merged.get("channels") or ())]
    record = records.clean(RULE_SETTING, {"code": code, **merged})
    with records.unit(actor, db) as u:
        if u.fetch(RULE_SETTING, code) is None:
            if all(record[k] == (list(current[k]) if k == "channels" else current[k]) for k in current):
                return False  # the defaults, unchanged: nothing to store
            u.create(RULE_SETTING, record, system={"updated_at": dt.datetime.now(), "updated_by": actor.username},
                     validated=True)
            return True
        return u.update(RULE_SETTING, code, {k: v for k, v in record.items() if k != "code"},
                        touch={"updated_at": dt.datetime.now(), "updated_by": actor.username}, validated=True)


# ---- each account's channels ---------------------------------------------------------------------------
def default_channels(db=None) -> tuple[str, ...]:
    """The admins' default (``*``), else inbox and email."""
    row = (db or get_db()).fetch_one("SELECT channels FROM notification_prefs WHERE username = ?", [DEFAULT_PREF])
    return tuple(c for c in USER_CHANNELS if row and c in row["channels"]) if row else DEFAULT_USER_CHANNELS


def user_channels(db=None) -> dict[str, tuple[str, ...]]:
    """username -> chosen channels, for the accounts that chose (the others use :func:`default_channels`)."""
    return {r["username"]: tuple(c for c in USER_CHANNELS if c in r["channels"]) for r in (db or get_db()).fetch_all(
        "SELECT username, channels FROM notification_prefs WHERE username <> ?", [DEFAULT_PREF])}


def channels_of(username: str, db=None) -> tuple[str, ...]:
    return user_channels(db).get(username, default_channels(db))


def choose_channels(username: str, chosen, actor: Actor, db=None) -> bool:
    """Set ``username``'s channels (their own, or any account's and the default ``*`` for an admin; audited)."""
    db = db or get_db()
    record = records.clean(PREF, {"username": username, "channels": [c for c in USER_CHANNELS if c in set(chosen or ())]})
    stamp = {"updated_at": dt.datetime.now(), "updated_by": actor.username}
    with records.unit(actor, db) as u:
        if u.fetch(PREF, username) is None:
            u.create(PREF, record, system=stamp, validated=True)
            return True
        return u.update(PREF, username, {"channels": record["channels"]}, touch=stamp, validated=True)
