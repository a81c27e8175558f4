"""一项目一档案: everything the centre holds on one funded project, as one Excel workbook (the
agreement, the application, the expert scores, the tranches, the expenses, the service ledger, the
evaluations and the timeline) and as a zip of that workbook with every attachment of the
application and of its activities. Generated from the database each time; nothing is stored."""
from __future__ import annotations

import io
import zipfile

import pandas as pd
from openpyxl import load_workbook

from core.intake import scope
from core.monitoring import evaluations, ledger, money, projects
from core.platform import documents
from core.platform.db import get_db
from core.platform.excel import number_format, workbook_bytes
from schemas.application import Application
from schemas.base import field_specs
from schemas.choices import APP_STATES
from schemas.columns import SYSTEM_FIELDS, columns, format_of, money as yuan
from schemas.monitoring import PROJECT_STATES, Agreement
from schemas.review import Criterion

SHEETS = ("项目概况", "申报书", "评审得分", "拨付记录", "经费支出", "服务台账", "中期末期评估", "项目动态")
PAIR = ["项目", "内容"]  # the header of a sheet of (item, value) rows

# the application sheet: the application as its form declares it, and what the workflow set on it
APPLICATION_COLUMNS = columns("id", "state", "submitted_at", "granted_amount", "decision_note",
                              computed={"id": "申报编号", "state": "申报状态", "granted_amount": yuan("批准资助金额(元)")})
# the columns of the expert scores' query (:func:`_reviews`)
REVIEW_COLUMNS = columns("reviewer", "seq", "name", "max_score", "score", "comment", "total", "recommendation",
                         "submitted_at", of=Criterion, computed={"total": SYSTEM_FIELDS["reviews.total"]})


def _pairs(rows: list[tuple[str, object]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=PAIR, dtype=object)


def _overview(p: dict) -> pd.DataFrame:
    c = projects.COLUMNS
    rows: list[tuple[str, object]] = [(c[n], p[n]) for n in ("agreement_no", "title", "org", "round", "category")]
    rows.append((c["state_label"], PROJECT_STATES.get(p["state"], p["state"])))
    for name, meta in field_specs(Agreement).items():
        if name == "agreement_no":
            continue
        if name == "brand_id":
            rows.append((meta["label"], p.get("brand")))
            continue
        rows.append((meta["label"], p.get(name)))
    rows += [(c[n], p.get(n)) for n in ("state_note", "recover_amount", "closed_on")]
    return _pairs(rows)


def _application(app: dict, p: dict, db) -> pd.DataFrame:
    c = APPLICATION_COLUMNS
    rows: list[tuple[str, object]] = [(c["id"], app["id"]), (c["state"], APP_STATES.get(app["state"], app["state"]))]
    for name, meta in field_specs(Application).items():
        if name == "round_id":
            rows.append((meta["label"], p["round"]))
        elif name == "org_id":
            rows.append((meta["label"], p["org"]))
        else:
            rows.append((meta["label"], app.get(name)))
    rows += [(c[n], app.get(n)) for n in ("submitted_at", "granted_amount", "decision_note")]
    stones = db.fetch_all("SELECT due_date, deliverable FROM application_milestones WHERE application_id = ?"
                          " ORDER BY due_date, id", [app["id"]])
    rows += [(f"里程碑 {i}", f"{s['due_date']} {s['deliverable']}") for i, s in enumerate(stones, start=1)]
    return _pairs(rows)


def _reviews(app_id: int, db) -> pd.DataFrame:
    """The submitted expert scores, each expert by 姓名 (never the account name)."""
    return db.fetch_df(
        "SELECT coalesce(u.name, v.reviewer) AS reviewer, c.seq, c.name, c.max_score, s.score, s.comment, v.total,"
        " v.recommendation, v.submitted_at"
        " FROM reviews v JOIN review_scores s ON s.review_id = v.id JOIN rubric_criteria c ON c.id = s.criterion_id"
        " LEFT JOIN users u ON u.username = v.reviewer"
        " WHERE v.application_id = ? AND v.status = 'submitted' ORDER BY v.reviewer, c.seq",
        [app_id]).rename(columns=REVIEW_COLUMNS)


def _tranches(pid: int, db) -> pd.DataFrame:
    shown = money.TRANCHE_COLUMNS.without("id", "blocked_reason")
    return money.tranches(pid, db)[list(shown)].rename(columns=shown)


def _expenses(pid: int, db) -> pd.DataFrame:
    shown = money.EXPENSE_COLUMNS.without("id")
    return projects.readable(money.expenses(pid, db)[list(shown)], people=["created_by"]).rename(columns=shown)


def _activities(pid: int, db) -> pd.DataFrame:
    shown = ledger.ACTIVITY_COLUMNS.without("id")
    return ledger.activities(pid, db).sort_values(["activity_date", "id"])[list(shown)].rename(columns=shown)


def _item_scores(items: dict) -> str | None:
    if not items:
        return None
    return ";".join(f"{k} {v:g}" if isinstance(v, (int, float)) else f"{k} {v}" for k, v in items.items())


def _evaluations(pid: int, db) -> pd.DataFrame:
    shown = evaluations.EVALUATION_COLUMNS.without("id")
    df = evaluations.evaluations(pid, db)
    df["item_scores"] = pd.Series([_item_scores(t) for t in df["item_scores"]], index=df.index, dtype=object)
    df["passed"] = df["passed"].map(lambda v: None if pd.isna(v) else ("通过" if v else "未通过"))
    return df[list(shown)].rename(columns=shown)


def _timeline(pid: int, db) -> pd.DataFrame:
    return projects.readable(projects.timeline(pid, db), people=["by_user"]).rename(columns=projects.TIMELINE_COLUMNS)


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
    """Figures in the 项目 / 内容 sheets read as their row's label declares (``schemas.columns.format_of``), as
    ``core.platform.excel`` formats columns: amounts 24,800 / 24,800.50, percentages 85% (still numbers)."""
    wb = load_workbook(io.BytesIO(data))
    for ws in wb.worksheets:
        if [str(c.value or "") for c in ws[1]][:2] != PAIR:
            continue
        for label, cell in ws.iter_rows(min_row=2, max_col=2):
            declared = format_of(str(label.value or ""))
            if declared and isinstance(cell.value, (int, float)) and not isinstance(cell.value, bool):
                cell.number_format = number_format(declared, cell.value) or cell.number_format
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
    scope.require("project", project_id, db=db)
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
