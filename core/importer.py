"""Excel import for any schema: template from the schema, row-by-row validation report, then one
transaction that writes only the valid, new rows (re-importing the same file adds nothing).
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Callable

import pandas as pd

from core import config, records
from core.actor import Actor
from core.entities import Entity
from core.excel import FORMULA_START, Sheet, read_sheet, workbook_bytes
from core.validation import RowError, validate_many
from schemas.base import field_specs

_SPLIT = re.compile(r"[,,、;;/|\n]+")
TRUE_WORDS = {"是", "true", "1", "yes", "y", "√", "在册", "启用"}
FALSE_WORDS = {"否", "false", "0", "no", "n", "×", "注销", "停用"}


@dataclass(frozen=True)
class ImportSpec:
    entity: Entity
    fields: tuple[str, ...]  # template columns, in order
    # positions of rows already stored (for "no duplicates on re-import"): records -> {pos: existing}
    find_existing: Callable[[list[dict]], dict[int, dict]] | None = None
    example: dict = field(default_factory=dict)


@dataclass
class RowReport:
    row_number: int  # Excel row number
    status: str  # 有效 | 错误 | 已存在 | 文件内重复
    field: str = ""
    message: str = ""


@dataclass
class ImportPlan:
    valid: list[dict]
    report: list[RowReport]
    total_rows: int

    @property
    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        rows_by_status: dict[int, str] = {}
        for r in self.report:
            rows_by_status.setdefault(r.row_number, r.status)
        for s in rows_by_status.values():
            out[s] = out.get(s, 0) + 1
        return out

    def report_frame(self) -> pd.DataFrame:
        return pd.DataFrame(
            [{"行号": r.row_number, "结果": r.status, "字段": r.field, "说明": r.message} for r in self.report],
            columns=["行号", "结果", "字段", "说明"],
        )


def template(spec: ImportSpec) -> bytes:
    specs = field_specs(spec.entity.schema)
    headers = [specs[f]["label"] + ("*" if specs[f]["required"] else "") for f in spec.fields]
    example = [[spec.example.get(f) for f in spec.fields]] if spec.example else []
    notes = pd.DataFrame(
        [{"列": specs[f]["label"], "必填": "是" if specs[f]["required"] else "否", "说明": specs[f].get("help") or "",
          "可选值": "、".join(_choices(specs[f]))} for f in spec.fields]
    )
    return workbook_bytes({"导入数据": pd.DataFrame(example, columns=headers), "填写说明": notes})


def _choices(meta: dict) -> list[str]:
    from schemas import choices

    return choices.get(meta["source"]) if meta.get("source") else []


def _convert(value, widget: str):
    if value is None:
        return None
    if isinstance(value, str):
        value = value.strip()
        if value == "":
            return None
    if widget == "multiselect":
        return [v.strip() for v in _SPLIT.split(str(value)) if v.strip()]
    if widget == "checkbox":
        if isinstance(value, bool):
            return value
        word = str(value).strip().lower()
        if word in TRUE_WORDS:
            return True
        if word in FALSE_WORDS:
            return False
        return value  # left as is: the schema reports it
    if widget == "date":
        if isinstance(value, dt.datetime):
            return value.date()
        return value
    if widget in {"text", "textarea"} and not isinstance(value, str):
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        return str(value)
    return value


def plan(spec: ImportSpec, data: bytes) -> ImportPlan:
    """Read and check an uploaded workbook; nothing is written."""
    s = config.load()
    sheet: Sheet = read_sheet(data, max_rows=s.import_max_rows, max_bytes=s.upload_max_mb * 1024 * 1024)
    specs = field_specs(spec.entity.schema)
    by_label = {}
    for name in spec.fields:
        by_label[specs[name]["label"]] = name
        by_label[specs[name]["label"] + "*"] = name
    columns = {i: by_label[h] for i, h in enumerate(sheet.headers) if h in by_label}
    missing = [specs[f]["label"] for f in spec.fields if specs[f]["required"] and f not in columns.values()]
    report: list[RowReport] = []
    if missing:
        report.append(RowReport(1, "错误", "", "表头缺少必填列:" + "、".join(missing) + "(请使用下载的模板)"))
        return ImportPlan([], report, len(sheet.rows))

    raw_records, formula_rows = [], {}
    for pos, values in enumerate(sheet.rows):
        rec = {}
        for i, name in columns.items():
            v = values[i] if i < len(values) else None
            if isinstance(v, str) and v.startswith("=") and len(v) > 1:
                formula_rows.setdefault(pos, []).append(specs[name]["label"])
            rec[name] = _convert(v, specs[name]["widget"])
        raw_records.append(rec)

    valid, errors = validate_many(spec.entity.schema, raw_records)
    errors_by_row: dict[int, list[RowError]] = {}
    for e in errors:
        errors_by_row.setdefault(e.row, []).append(e)
    existing = spec.find_existing([valid.get(i, {}) for i in range(len(raw_records))]) if spec.find_existing else {}

    seen_keys: dict[tuple, int] = {}
    keep: list[dict] = []
    for pos in range(len(raw_records)):
        number = sheet.row_number(pos)
        if pos in formula_rows:
            report.append(RowReport(number, "错误", "、".join(formula_rows[pos]), "单元格含公式,请粘贴为数值后再导入"))
            continue
        if pos in errors_by_row:
            for e in errors_by_row[pos]:
                report.append(RowReport(number, "错误", e.label, e.message))
            continue
        rec = valid[pos]
        if pos in existing:
            hit = existing[pos]
            report.append(RowReport(number, "已存在", "", f"与已登记的「{hit.get(spec.entity.title_field)}」"
                                    f"(编号 {hit.get(spec.entity.key)})相同,跳过"))
            continue
        dedupe = tuple((u.field, rec.get(u.field)) for u in spec.entity.unique if rec.get(u.field) is not None)
        dup_of = next((seen_keys[(k,)] for k in dedupe if (k,) in seen_keys), None)
        if dup_of is not None:
            report.append(RowReport(number, "文件内重复", "", f"与本文件第 {dup_of} 行重复,跳过"))
            continue
        for k in dedupe:
            seen_keys[(k,)] = number
        keep.append(rec)
        report.append(RowReport(number, "有效"))
    return ImportPlan(keep, report, len(raw_records))


def commit(spec: ImportSpec, import_plan: ImportPlan, actor: Actor, db=None) -> int:
    """Write the plan's valid rows in one transaction (all or nothing); returns how many."""
    if not import_plan.valid:
        return 0
    records.create_many(spec.entity, import_plan.valid, actor, db=db, action="import")
    return len(import_plan.valid)


__all__ = ["ImportSpec", "ImportPlan", "RowReport", "template", "plan", "commit", "FORMULA_START"]
