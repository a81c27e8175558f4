"""The documents of a record, one entry each in :data:`DOCUMENTS`: its title, the template it fills, who may
download it and the context built from the record (text already formatted for readers: names, money with
thousands separators, Chinese dates). :func:`word` and :func:`pdf` check the actor's role on the server on every
call, then render; the PDF is the same .docx converted by LibreOffice (:mod:`core.documents.pdf`).

- 申报书 (an application): 申报内容, the long texts, the budget lines and the milestones;
- 资助协议 (a project): the agreement's terms, budget lines, tranche plan and milestones, signatures;
- 公示 (a round): the notice period and the decided list (``core.review.decisions.notice_rows``), the total;
- 专家评分汇总表 (a round): the consolidated scores (``core.review.consolidation.display``), the experts who
  scored, a signature line each, and the lock line (who signed the scores off, when);
- 一项目一档案 封面与摘要 (a project): the dossier's cover and its summary (figures, tranches, evaluations,
  milestones, the timeline with people by name);
- 年度成效报告 (a year): :mod:`core.documents.annual`.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Callable

import pandas as pd

from core.documents import annual, pdf as pdf_engine
from core.documents.render import cn_date, pairs, render, text, yuan
from core.intake import applications, rounds, rubrics, scope, workflow
from core.monitoring import evaluations, ledger, money, projects
from core.orgs import hubs
from core.platform import documents as attachments, formats
from core.platform.actor import Actor
from core.platform.db import get_db
from core.platform.errors import PermissionDenied
from core.review import consolidation, decisions, reviewers
from schemas.base import field_specs
from schemas.choices import BUDGET_LINES
from schemas.monitoring import PROJECT_STATES, Agreement

STAFF = ("admin", "staff")


@dataclass(frozen=True)
class Doc:
    key: str
    title: str                      # what it is called on buttons and in file names
    template: str                   # templates/docx/<template>.docx
    roles: tuple[str, ...]          # who may download it
    build: Callable[..., dict]      # (record id, db, **options) -> the template's context
    name: Callable[[int, object], str]  # (record id, db) -> the file name without extension


def _headers(cols, names) -> dict[str, str]:
    return {n: cols[n] for n in names}


# ---- 申报书 ----------------------------------------------------------------------------------------------
def application_context(app_id: int, db=None) -> dict:
    db = db or get_db()
    app = applications.get(app_id, db)
    rnd = rounds.get(app["round_id"], db)
    content = dict(zip(applications.CONTENT_COLUMNS, applications.content_rows(app, db)))
    content["submitted_at"] = (content["submitted_at"][0], cn_date(app.get("submitted_at"), "未提交"))
    budget_label, amount_label = applications.BUDGET_COLUMNS.values()
    return {
        "centre": text(hubs.name_of(rnd.get("hub_id"), db)),
        "title": text(app["title"]), "org": applications.org_name(app["org_id"], db), "round": text(rnd["name"]),
        "state": workflow.state_label(app["state"]), "submitted": cn_date(app.get("submitted_at"), "未提交"),
        "today": cn_date(dt.date.today()),
        "content": pairs(content.values()),
        "sections": [{"label": label, "text": text(app.get(key))} for key, label in applications.TEXT_COLUMNS.items()
                     if not formats.is_empty(app.get(key))],
        "budget_head": {"line": budget_label, "amount": amount_label},
        "budget": [{"line": line, "amount": amount} for line, amount in applications.budget_rows(app)],
        "milestone_head": dict(applications.MILESTONE_COLUMNS),
        "milestones": [{"due_date": cn_date(m["due_date"]), "deliverable": text(m["deliverable"])}
                       for m in applications.milestones(app_id, db)],
    }


def _application_name(app_id: int, db) -> str:
    return f"申报书_{applications.get(app_id, db)['title']}"


# ---- 资助协议 and the dossier ------------------------------------------------------------------------------
def _tranche_rows(pid: int, db) -> tuple[dict, list[dict]]:
    cols = money.TRANCHE_COLUMNS
    head = _headers(cols, ("seq", "share", "amount", "gate_label", "planned_date", "status_label", "released_on",
                           "released_amount"))
    rows = [{"seq": f"第{int(t['seq'])}期", "share": formats.percent(t["share"]), "amount": yuan(t["amount"]),
             "gate_label": text(t["gate_label"]), "planned_date": cn_date(t["planned_date"]),
             "status_label": text(t["status_label"]), "released_on": cn_date(t["released_on"]),
             "released_amount": yuan(t["released_amount"])}
            for t in money.tranches(pid, db).to_dict("records")]
    return head, rows


def _milestone_rows(pid: int, db) -> tuple[dict, list[dict]]:
    head = _headers(projects.MILESTONE_COLUMNS, ("due_date", "deliverable", "done_on", "note"))
    rows = [{"due_date": cn_date(m["due_date"]), "deliverable": text(m["deliverable"]),
             "done_on": cn_date(m["done_on"], "未完成"), "note": text(m["note"])}
            for m in projects.milestones(pid, db).to_dict("records")]
    return head, rows


def _project_basics(p: dict, db) -> dict:
    return {
        "centre": text(hubs.name_of_round(p["round_id"], db)),  # the hub that funded it (its round's)
        "title": text(p["title"]), "agreement_no": text(p["agreement_no"]), "org": text(p["org"]),
        "round": text(p["round"]), "category": text(p["category"]), "brand": text(p.get("brand"), "无"),
        "communities": text(list(p.get("communities") or [])), "start": cn_date(p["start_date"]),
        "end": cn_date(p["end_date"]), "granted": yuan(p["granted_amount"]), "today": cn_date(dt.date.today()),
        "state": PROJECT_STATES.get(p["state"], p["state"]),
    }


def agreement_context(project_id: int, db=None) -> dict:
    db = db or get_db()
    p = projects.get(project_id, db)
    specs = field_specs(Agreement)
    tranche_head, tranche_rows = _tranche_rows(project_id, db)
    stone_head, stone_rows = _milestone_rows(project_id, db)
    budget = [{"line": BUDGET_LINES[k], "amount": yuan(p.get(k))} for k in BUDGET_LINES]
    budget.append({"line": "合计", "amount": yuan(sum(float(p.get(k) or 0) for k in BUDGET_LINES))})
    funds = [(specs[k]["label"], yuan(p.get(k))) for k in ("funds_self", "funds_enterprise", "funds_donation")
             if not formats.is_empty(p.get(k)) and float(p.get(k)) > 0]
    return {
        **_project_basics(p, db),
        "agreement_date": cn_date(p.get("agreement_date")), "midterm_due": cn_date(p.get("midterm_due")),
        "final_due": cn_date(p.get("final_due")),
        "planned_activities": formats.number(p.get("planned_activities")),
        "planned_person_times": formats.number(p.get("planned_person_times")),
        "budget_head": dict(applications.BUDGET_COLUMNS), "budget": budget,
        "funds": pairs(funds), "notes": text(p.get("notes"), "无"),
        "tranche_head": tranche_head, "tranches": tranche_rows,
        "milestone_head": stone_head, "milestones": stone_rows,
    }


def _agreement_name(project_id: int, db) -> str:
    return f"资助协议_{projects.get(project_id, db)['agreement_no']}"


def dossier_context(project_id: int, db=None) -> dict:
    db = db or get_db()
    p = projects.get(project_id, db)
    prog = ledger.progress(project_id, db=db)
    summ = money.summary(project_id, db=db)
    evals = evaluations.evaluations(project_id, db)
    ecols = evaluations.EVALUATION_COLUMNS
    tranche_head, tranche_rows = _tranche_rows(project_id, db)
    stone_head, stone_rows = _milestone_rows(project_id, db)
    timeline = projects.readable(projects.timeline(project_id, db), people=["by_user"])
    files = attachments_count(project_id, db)
    summary = [
        (projects.COLUMNS["state_label"], PROJECT_STATES.get(p["state"], p["state"])),
        ("资助金额", f"{yuan(summ['granted'])} 元"),
        ("已拨付", f"{yuan(summ['released'])} 元({formats.percent(summ['released_pct'])})"),
        ("已支出", f"{yuan(summ['spent'])} 元"),
        ("经费执行率", formats.percent(summ["execution_pct"])),
        ("活动场次", f"已开展 {formats.number(prog['activities'])} 场 / 计划 {formats.number(prog['planned_activities'])} 场"),
        ("服务人次", f"已服务 {formats.number(prog['person_times'])} 人次 / 计划 "
                     f"{formats.number(prog['planned_person_times'])} 人次"),
        ("里程碑", f"已完成 {sum(1 for m in stone_rows if m['done_on'] != '未完成')} 项 / 共 {len(stone_rows)} 项"),
        ("档案附件", f"{files} 份(申报材料与活动照片,见档案压缩包)"),
    ]
    return {
        **_project_basics(p, db),
        "summary": pairs(summary),
        "tranche_head": tranche_head, "tranches": tranche_rows,
        "milestone_head": stone_head, "milestones": stone_rows,
        "evaluation_head": _headers(ecols, ("kind_label", "eval_date", "total_score", "grade", "passed", "outcome_label")),
        "evaluations": [{"kind_label": text(e["kind_label"]), "eval_date": cn_date(e["eval_date"]),
                         "total_score": formats.number(e["total_score"]), "grade": text(e["grade"]),
                         "passed": "通过" if e["passed"] is True else ("未通过" if e["passed"] is False else formats.EMPTY),
                         "outcome_label": text(e["outcome_label"])} for e in evals.to_dict("records")],
        "timeline_head": dict(projects.TIMELINE_COLUMNS),
        "timeline": [{"happened_on": cn_date(t["happened_on"]), "event": text(t["event"]), "detail": text(t["detail"]),
                      "by_user": text(t["by_user"])} for t in timeline.to_dict("records")],
    }


def attachments_count(project_id: int, db) -> int:
    return int(db.scalar(
        "SELECT (SELECT count(*) FROM documents d JOIN projects p ON p.application_id = d.owner_id"
        "  WHERE d.owner_table = 'applications' AND p.id = ?)"
        " + (SELECT count(*) FROM documents d JOIN activities a ON a.id = d.owner_id"
        "  WHERE d.owner_table = 'activities' AND a.project_id = ?)", [project_id, project_id]))


def _dossier_name(project_id: int, db) -> str:
    return f"档案封面与摘要_{projects.get(project_id, db)['agreement_no']}"


# ---- 公示 ------------------------------------------------------------------------------------------------
def notice_context(round_id: int, db=None) -> dict:
    db = db or get_db()
    rnd = rounds.get(round_id, db)
    table = decisions.notice_list(round_id, db)
    shown = decisions.notice_rows(table.drop(columns=["id"]))
    keys = [c for c in decisions.NOTICE_COLUMNS if c != "id"]
    total = float(sum(float(v) for v in table["granted_amount"] if not formats.is_empty(v))) if len(table) else 0.0
    return {
        "centre": text(hubs.name_of(rnd.get("hub_id"), db)),
        "round": text(rnd["name"]), "start": cn_date(rnd["notice_start"]), "end": cn_date(rnd["notice_end"]),
        "published": cn_date(rnd.get("notice_published_at"), "尚未发布"), "today": cn_date(dt.date.today()),
        "head": {"seq": "序号", **{k: decisions.NOTICE_COLUMNS[k] for k in keys}},
        "rows": [{"seq": str(i), **dict(zip(keys, r))} for i, r in enumerate(shown.itertuples(index=False), start=1)],
        "count": str(len(table)), "total": yuan(total, "0"),
    }


def _notice_name(round_id: int, db) -> str:
    return f"{rounds.get(round_id, db)['name']}-公示"


# ---- 专家评分汇总表 ----------------------------------------------------------------------------------------
SCORE_SHEET_FIELDS = ("category_rank", "title", "org", "category", "n", "mean", "trimmed_mean", "final",
                      "recommended")


def lock_line(rnd: dict, db=None) -> str:
    """Who signed the scores off and when, by name (or that nobody has yet)."""
    if rnd.get("scores_locked_at") is None:
        return "尚未签字锁定:本表为过程稿,评分仍可能变动"
    who = reviewers.person(rnd.get("scores_locked_by"), db) or formats.EMPTY
    return f"已于 {cn_date(rnd['scores_locked_at'])} 由 {who} 签字锁定"


def score_sheet_context(round_id: int, db=None) -> dict:
    db = db or get_db()
    rnd = rounds.get(round_id, db)
    t = consolidation.table(round_id, db)
    if not t.empty:
        t = t.sort_values(["category", "category_rank", "id"], na_position="last")
    shown = consolidation.display(t) if not t.empty else pd.DataFrame(columns=list(consolidation.LABELS.values()))
    labels = consolidation.LABELS
    experts = [r["reviewer"] for r in db.fetch_all(
        "SELECT DISTINCT v.reviewer FROM reviews v JOIN applications a ON a.id = v.application_id"
        " WHERE a.round_id = ? AND v.status = 'submitted' ORDER BY 1", [round_id])]
    names = [reviewers.person(u, db) or formats.EMPTY for u in experts]
    return {
        "centre": text(hubs.name_of(rnd.get("hub_id"), db)),
        "round": text(rnd["name"]), "today": cn_date(dt.date.today()),
        "rubric": "、".join(f"{c['name']}{c['max_score']:g}分" for c in rubrics.criteria(round_id, db)) or formats.EMPTY,
        "method": "去掉一个最高分和一个最低分后取平均(5份及以上)" if rnd.get("trimmed_mean") else "平均分",
        "head": {k: labels[k] for k in SCORE_SHEET_FIELDS},
        "rows": [{k: text(r[labels[k]]) for k in SCORE_SHEET_FIELDS} for r in shown.to_dict("records")],
        "experts": [{"name": n} for n in names], "expert_names": "、".join(names) or formats.EMPTY,
        "lock": lock_line(rnd, db),
    }


def _score_sheet_name(round_id: int, db) -> str:
    return f"{rounds.get(round_id, db)['name']}-专家评分汇总表"


# ---- 年度成效报告 ------------------------------------------------------------------------------------------
def _annual_context(year: int, db=None, *, chart_png=None, actor: Actor | None = None) -> dict:
    return annual.context(int(year), chart_png=chart_png, photos=attachments.may_read(actor), db=db)


# ---- the catalogue ---------------------------------------------------------------------------------------
DOCUMENTS: dict[str, Doc] = {d.key: d for d in (
    Doc("application", "申报书", "application", STAFF, lambda i, db, **_: application_context(i, db), _application_name),
    Doc("agreement", "资助协议", "agreement", STAFF, lambda i, db, **_: agreement_context(i, db), _agreement_name),
    Doc("dossier", "档案封面与摘要", "dossier", STAFF, lambda i, db, **_: dossier_context(i, db), _dossier_name),
    Doc("notice", "公示", "notice", STAFF, lambda i, db, **_: notice_context(i, db), _notice_name),
    Doc("score_sheet", "专家评分汇总表", "score_sheet", STAFF, lambda i, db, **_: score_sheet_context(i, db),
        _score_sheet_name),
    Doc("annual", "年度成效报告", annual.TEMPLATE, annual.READERS, _annual_context,
        lambda y, db: f"{int(y)}年度成效报告"),
)}


# the record each document is made from (core.intake.scope): another hub's reads as not found, for whoever asks
RECORD_KIND = {"application": "application", "agreement": "project", "dossier": "project", "notice": "round",
               "score_sheet": "round"}


def may(actor: Actor | None, key: str) -> bool:
    return actor is not None and (actor.system or actor.has(*DOCUMENTS[key].roles))


def _check(actor: Actor | None, key: str) -> Doc:
    doc = DOCUMENTS[key]
    if not may(actor, key):
        raise PermissionDenied(f"当前账号无权下载{doc.title}:请由中心工作人员或管理员下载")
    return doc


def file_name(key: str, record_id: int, ext: str, db=None) -> str:
    """The name a document is offered under (its title and the record, safe for every file system)."""
    return attachments.safe_name(f"{DOCUMENTS[key].name(record_id, db or get_db())}.{ext}")


def word(key: str, record_id: int, actor: Actor | None, db=None, **options) -> bytes:
    """The document as .docx, for ``actor`` (refused unless the document's roles include one of theirs)."""
    doc = _check(actor, key)
    db = db or get_db()
    if key in RECORD_KIND:
        scope.require(RECORD_KIND[key], record_id, actor, db)
    return render(doc.template, doc.build(record_id, db, actor=actor, **options))


def pdf(key: str, record_id: int, actor: Actor | None, db=None, **options) -> bytes:
    """The same document as PDF (LibreOffice on the server; refused in Chinese when it is not installed). An
    unchanged document is converted once (:func:`core.documents.pdf.convert_cached`)."""
    _check(actor, key)
    if not pdf_engine.available():
        raise pdf_engine.PdfUnavailable(pdf_engine.MISSING)
    return pdf_engine.convert_cached(word(key, record_id, actor, db, **options), tag=(key, int(record_id)))
