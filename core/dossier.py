"""一项目一档案: everything the centre holds on one funded project, as one Excel workbook (the
agreement, the application, the expert scores, the tranches, the expenses, the service ledger, the
evaluations and the timeline) and as a zip of that workbook with every attachment of the
application and of its activities. Generated from the database each time; nothing is stored."""
from __future__ import annotations

import io
import json
import zipfile

import pandas as pd

from core import documents, ledger, projects
from core.db import get_db
from core.excel import MONEY_CENTS_FORMAT, MONEY_FORMAT, workbook_bytes
from schemas.application import Application
from schemas.base import field_specs
from schemas.choices import APP_STATES, BUDGET_LINES
from schemas.monitoring import (
    EVALUATION_KINDS, EVALUATION_OUTCOMES, PROJECT_STATES, TRANCHE_GATES, TRANCHE_STATUS, Agreement,
)

SHEETS = ("项目概况", "申报书", "评审得分", "拨付记录", "经费支出", "服务台账", "中期末期评估", "项目动态")
PAIR = ["项目", "内容"]


def _pairs(rows: list[tuple[str, object]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=PAIR, dtype=object)


def _overview(p: dict) -> pd.DataFrame:
    rows: list[tuple[str, object]] = [
        ("协议编号", p["agreement_no"]), ("项目名称", p["title"]), ("承接组织", p["org"]), ("创投批次", p["round"]),
        ("项目类别", p["category"]), ("项目状态", PROJECT_STATES.get(p["state"], p["state"])),
    ]
    for name, meta in field_specs(Agreement).items():
        if name == "agreement_no":
            continue
        if name == "brand_id":
            rows.append((meta["label"], p.get("brand")))
            continue
        rows.append((meta["label"], p.get(name)))
    rows += [("状态说明", p.get("state_note")), ("追回金额(元)", p.get("recover_amount")),
             ("结项日期", p.get("closed_on"))]
    return _pairs(rows)


def _application(app: dict, p: dict, db) -> pd.DataFrame:
    rows: list[tuple[str, object]] = [("申报编号", app["id"]), ("申报状态", APP_STATES.get(app["state"], app["state"]))]
    for name, meta in field_specs(Application).items():
        if name == "round_id":
            rows.append((meta["label"], p["round"]))
        elif name == "org_id":
            rows.append((meta["label"], p["org"]))
        else:
            rows.append((meta["label"], app.get(name)))
    rows += [("提交时间", app.get("submitted_at")), ("批准资助金额(元)", app.get("granted_amount")),
             ("决定说明", app.get("decision_note"))]
    stones = db.fetch_all("SELECT due_date, deliverable FROM application_milestones WHERE application_id = ?"
                          " ORDER BY due_date, id", [app["id"]])
    rows += [(f"里程碑 {i}", f"{s['due_date']} {s['deliverable']}") for i, s in enumerate(stones, start=1)]
    return _pairs(rows)


def _reviews(app_id: int, db) -> pd.DataFrame:
    """The submitted expert scores, each expert by 姓名 (never the account name)."""
    return db.fetch_df(
        "SELECT coalesce(u.name, v.reviewer) AS 评审专家, c.seq AS 序号, c.name AS 评分项, c.max_score AS 满分, s.score AS 得分,"
        " s.comment AS 评语, v.total AS 加权总分, v.recommendation AS 推荐意见, v.submitted_at AS 提交时间"
        " FROM reviews v JOIN review_scores s ON s.review_id = v.id JOIN rubric_criteria c ON c.id = s.criterion_id"
        " LEFT JOIN users u ON u.username = v.reviewer"
        " WHERE v.application_id = ? AND v.status = 'submitted' ORDER BY v.reviewer, c.seq", [app_id])


def _tranches(pid: int, db) -> pd.DataFrame:
    df = db.fetch_df(
        "SELECT seq, share, amount, gate, planned_date, status, released_on, released_amount, approver, note"
        " FROM tranches WHERE project_id = ? ORDER BY seq", [pid])
    df["gate"] = df["gate"].map(lambda g: TRANCHE_GATES.get(g, g))
    df["status"] = df["status"].map(lambda s: TRANCHE_STATUS.get(s, s))
    return df.rename(columns={"seq": "期次", "share": "比例(%)", "amount": "计划金额(元)", "gate": "拨付条件",
                              "planned_date": "计划日期", "status": "状态", "released_on": "拨付日期",
                              "released_amount": "拨付金额(元)", "approver": "审批人", "note": "说明"})


def _expenses(pid: int, db) -> pd.DataFrame:
    df = db.fetch_df(
        "SELECT expense_date, line, amount, description, voucher_no, over_reason, created_by FROM expenses"
        " WHERE project_id = ? ORDER BY expense_date, id", [pid])
    df["line"] = df["line"].map(lambda c: BUDGET_LINES.get(c, c))
    df = projects.readable(df, people=["created_by"])
    return df.rename(columns={"expense_date": "支出日期", "line": "预算科目", "amount": "金额(元)",
                              "description": "用途说明", "voucher_no": "凭证号", "over_reason": "超支说明",
                              "created_by": "登记人"})


def _activities(pid: int, db) -> pd.DataFrame:
    df = ledger.activities(pid, db).sort_values(["activity_date", "id"])
    return df.drop(columns=["id"]).rename(columns={
        "activity_date": "活动日期", "community": "服务社区", "place": "活动地点", "kind": "活动类型", "title": "活动主题",
        "participants": "参与人数", "person_times": "服务人次", "volunteers": "志愿者人数", "notes": "备注",
        "photos": "照片数"})


def _item_scores(text) -> str | None:
    if text is None or (isinstance(text, float) and pd.isna(text)) or text == "":
        return None
    try:
        items = json.loads(text)
    except (TypeError, ValueError):
        return str(text)
    if not isinstance(items, dict):
        return str(text)
    return ";".join(f"{k} {v:g}" if isinstance(v, (int, float)) else f"{k} {v}" for k, v in items.items())


def _evaluations(pid: int, db) -> pd.DataFrame:
    df = db.fetch_df(
        "SELECT kind, report_date, self_report, eval_date, method, evaluator, item_scores, total_score, grade,"
        " passed, outcome, recover_amount, conclusion FROM evaluations WHERE project_id = ? ORDER BY eval_date, id",
        [pid])
    df["kind"] = df["kind"].map(lambda k: EVALUATION_KINDS.get(k, k))
    df["outcome"] = df["outcome"].map(lambda o: EVALUATION_OUTCOMES.get(o, o))
    df["item_scores"] = [_item_scores(t) for t in df["item_scores"]]
    df["passed"] = df["passed"].map(lambda v: None if pd.isna(v) else ("通过" if v else "未通过"))
    return df.rename(columns={"kind": "评估类别", "report_date": "自评报告提交日期", "self_report": "自评报告摘要",
                              "eval_date": "评估日期", "method": "评估方式", "evaluator": "评估人",
                              "item_scores": "分项得分", "total_score": "总分", "grade": "等级", "passed": "是否通过",
                              "outcome": "处理结果", "recover_amount": "追回金额(元)", "conclusion": "评估结论"})


def _timeline(pid: int, db) -> pd.DataFrame:
    return projects.readable(projects.timeline(pid, db), people=["by_user"]).rename(columns={"happened_on": "日期", "event": "事件", "detail": "说明",
                                                      "by_user": "操作人"})


def sheets(project_id: int, db=None) -> dict[str, pd.DataFrame]:
    """The dossier's sheets, by name (the workbook's content, for screens that show it)."""
    db = db or get_db()
    p = projects.get(project_id, db)
    app = db.fetch_one("SELECT * FROM applications WHERE id = ?", [p["application_id"]])
    return {
        "项目概况": _overview(p),
        "申报书": _application(app, p, db),
        "评审得分": _reviews(app["id"], db),
        "拨付记录": _tranches(project_id, db),
        "经费支出": _expenses(project_id, db),
        "服务台账": _activities(project_id, db),
        "中期末期评估": _evaluations(project_id, db),
        "项目动态": _timeline(project_id, db),
    }


def _money_formats(data: bytes) -> bytes:
    """Amounts in the 项目 / 内容 sheets (rows whose 项目 ends in "(元)") read with thousands separators and at
    most two decimals, like the money columns ``core.excel`` formats: 24,800 / 24,800.50 (still numbers)."""
    from openpyxl import load_workbook

    wb = load_workbook(io.BytesIO(data))
    for ws in wb.worksheets:
        if [str(c.value or "") for c in ws[1]][:2] != PAIR:
            continue
        for label, cell in ws.iter_rows(min_row=2, max_col=2):
            if str(label.value or "").endswith("(元)") and isinstance(cell.value, (int, float)) \
                    and not isinstance(cell.value, bool):
                cell.number_format = MONEY_FORMAT if float(cell.value).is_integer() else MONEY_CENTS_FORMAT
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def workbook(project_id: int, db=None) -> bytes:
    """The project's dossier as one .xlsx (text neutralised against formula injection; amounts with
    thousands separators; people by name)."""
    return _money_formats(workbook_bytes(sheets(project_id, db)))


def attachments(project_id: int, db=None) -> pd.DataFrame:
    """Every attachment of the project's application and of its activities: id, owner_table, owner_id,
    filename, path (its name inside the zip)."""
    db = db or get_db()
    df = db.fetch_df(
        "SELECT d.id, d.owner_table, d.owner_id, d.filename, NULL AS activity_date FROM documents d"
        " JOIN projects p ON p.application_id = d.owner_id WHERE d.owner_table = 'applications' AND p.id = ?"
        " UNION ALL"
        " SELECT d.id, d.owner_table, d.owner_id, d.filename, a.activity_date FROM documents d"
        " JOIN activities a ON a.id = d.owner_id WHERE d.owner_table = 'activities' AND a.project_id = ?"
        " ORDER BY owner_table DESC, id", [project_id, project_id])
    df["path"] = [
        f"附件/申报材料/{i}_{documents.safe_name(n)}" if t == "applications"
        else f"附件/服务台账/{pd.Timestamp(d):%Y-%m-%d}_{i}_{documents.safe_name(n)}"
        for i, t, n, d in zip(df["id"], df["owner_table"], df["filename"], df["activity_date"])]
    return df.drop(columns=["activity_date"])


def archive_name(project_id: int, db=None) -> str:
    p = projects.get(project_id, db)
    return documents.safe_name(f"档案_{p['agreement_no']}.zip")


def zip_bytes(project_id: int, db=None) -> bytes:
    """A zip of ``档案_{agreement_no}.xlsx`` and every attachment (under ``附件/``), byte for byte."""
    db = db or get_db()
    p = projects.get(project_id, db)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(documents.safe_name(f"档案_{p['agreement_no']}.xlsx"), workbook(project_id, db))
        files = attachments(project_id, db)
        for doc_id, path in zip(files["id"], files["path"]):
            _, data = documents.read(int(doc_id), db)
            zf.writestr(path, data)
    return buf.getvalue()
