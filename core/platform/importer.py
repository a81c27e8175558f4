"""Excel import for any schema: template from the schema, row-by-row validation report, then one
transaction that writes only the valid, new rows (re-importing the same file adds nothing).

A select column whose choice list has display labels (e.g. ``orgs``: ids shown by name) accepts the
label text in the sheet and stores the value it stands for. A sheet may also have columns of its own
(``ImportSpec.schema``) that ``link`` turns into the entity's records, e.g. feedback rows that name an
attendee by organisation and person.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Callable

import pandas as pd

from core.platform import config, records
from core.platform.actor import Actor
from core.platform.entities import Entity
from openpyxl.utils.datetime import from_excel

from core.platform.excel import FORMULA_START, Sheet, WorkbookRefused, read_sheet, unneutralise, workbook_bytes
from core.platform.validation import RowError, validate_many
from schemas import choices
from schemas.base import field_specs
from schemas.columns import columns
from schemas.messages import message

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
    # the sheet's schema when its columns are not the entity's (then ``link`` makes the records)
    schema: object | None = None
    # values every row gets before it is checked (e.g. the training a sign-in sheet belongs to)
    fixed: dict = field(default_factory=dict)
    # checked sheet rows -> the entity's records, or a message saying why a row cannot be one
    link: Callable[[list[dict]], list[dict | str]] | None = None
    # identity of a row for "文件内重复" (default: each of the entity's unique fields)
    row_key: Callable[[dict], tuple] | None = None
    # the record's context for the schema's context rules (e.g. the training's date for a sign-in sheet)
    context: dict | None = None
    # the whole file or nothing: while a row has an error the others wait (待改正) — for anonymous rows (survey
    # responses) that nothing can match as 已存在, so a corrected file uploaded again cannot count a row twice
    whole_file: bool = False

    @property
    def sheet_schema(self):
        return self.schema if self.schema is not None else self.entity.schema


@dataclass
class RowReport:
    row_number: int  # Excel row number
    status: str  # 有效 | 错误 | 已存在 | 文件内重复 | 待改正 (``whole_file``: a valid row of a file with errors)
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
            [{"row_number": r.row_number, "status": r.status, "field": r.field, "message": r.message}
             for r in self.report], columns=list(REPORT_COLUMNS),
        ).rename(columns=REPORT_COLUMNS)


# the per-row report of an import (:meth:`ImportPlan.report_frame`)
REPORT_COLUMNS = columns("row_number", "status", "field", "message",
                         computed={"row_number": "行号", "status": "结果", "field": "字段", "message": "说明"})


DATA_SHEET = "导入数据"
EXAMPLE_SHEET = "填写示例"
NOTES_SHEET = "填写说明"
CHOICES_SHEET = "可选值"  # the long choice lists, a column each
INLINE_CHOICES = 60  # a column's choices listed in its 填写说明 cell up to this many


def template(spec: ImportSpec) -> bytes:
    """The workbook to fill in: an empty 导入数据 sheet (the one that is imported), the example row on its own
    填写示例 sheet (never imported: a copy of it in 导入数据 is refused, see :func:`plan`), 填写说明, and 可选值 for
    the choice lists too long for a cell (6,000 organisations would pass Excel's 32,767 characters)."""
    specs = field_specs(spec.sheet_schema)
    headers = [specs[f]["label"] + ("*" if specs[f]["required"] else "") for f in spec.fields]
    long_lists: dict[str, list[str]] = {}  # a column's choices too many for one cell: on their own sheet
    notes = []
    for f in spec.fields:
        meta = specs[f]
        values = _choices(meta)
        if len(values) > INLINE_CHOICES:
            long_lists[meta["label"]] = values
            listed = f"共 {len(values):,} 项,见「{CHOICES_SHEET}」工作表的「{meta['label']}」列"
        else:
            listed = "、".join(values)
        notes.append({"列": meta["label"], "必填": "是" if meta["required"] else "否", "说明": _note(meta),
                      "可选值": listed})
    sheets = {DATA_SHEET: pd.DataFrame([], columns=headers)}
    if spec.example:
        sheets[EXAMPLE_SHEET] = pd.DataFrame([[spec.example.get(f) for f in spec.fields]], columns=headers)
    sheets[NOTES_SHEET] = pd.DataFrame(notes)
    if long_lists:  # one column per list, a value per row (an Excel cell holds at most 32,767 characters)
        sheets[CHOICES_SHEET] = pd.DataFrame({k: pd.Series(v, dtype=object) for k, v in long_lists.items()})
    return workbook_bytes(sheets)


def _note(meta: dict) -> str:
    """The column's help; a date column also says how a date may be written."""
    parts = [meta.get("help") or ""]
    if meta.get("widget") == "date":
        parts.append("日期写法:2024-03-01、2024/3/1、2024.3.1、2024年3月1日或 Excel 日期单元格均可")
    return ";".join(p for p in parts if p)


def _is_example(spec: ImportSpec, rec: dict, example: dict) -> bool:
    """The template's example row (every value it has, the same): it stands for no real record."""
    return bool(example) and all(rec.get(name) == value for name, value in example.items())


def example_message(spec: ImportSpec) -> str:
    title = spec.example.get(spec.entity.title_field) or next(iter(spec.example.values()), "")
    return (f"这一行是模板中的填写示例(「{title}」),不会导入:请删除这一行,"
            f"或改成要登记的真实{spec.entity.label}")


def _choices(meta: dict) -> list[str]:
    """The choices as a person reads them (an organisation by its name, not its id)."""
    source = meta.get("source")
    return [choices.label(source, v) for v in choices.get(source)] if source else []


def _by_label(source: str | None) -> dict:
    """Display text -> stored value, for a choice list whose labels differ from its values (labels that
    stand for more than one value are left out: such a cell is reported, not guessed)."""
    if not source:
        return {}
    out: dict = {}
    clash = set()
    for v in choices.get(source):
        text = choices.label(source, v)
        if text == v or text == str(v):
            continue
        if text in out:
            clash.add(text)
        out[text] = v
    return {k: v for k, v in out.items() if k not in clash}


def _convert(value, widget: str, labels: dict | None = None):
    if value is None:
        return None
    if isinstance(value, str):
        value = value.strip()
        if value == "":
            return None
    if widget == "select" and labels and isinstance(value, str) and value in labels:
        return labels[value]
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
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return _serial_date(value)
        return value  # text is read by core.platform.validation.read_date, one value at a time
    if widget in {"text", "textarea"} and not isinstance(value, str):
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        return str(value)
    return value


# Excel's day numbers (a date cell formatted as a number): 1 = 1900-01-01 … 2958465 = 9999-12-31
_SERIALS = (1, 2958465)
DATE_HINT = "请填写日期,如 2024-03-01、2024/3/1 或 2024年3月1日"


def _serial_date(value: int | float):
    """A number in a date column: Excel's day number (45352 = 2024-03-01, the time of day dropped), or
    20240301 written without separators; anything else is left for the schema to call 格式不正确."""
    if value != value or value in (float("inf"), float("-inf")):
        return value
    if float(value).is_integer() and 19000101 <= value <= 99991231:
        text = str(int(value))
        try:
            return dt.date(int(text[:4]), int(text[4:6]), int(text[6:]))
        except ValueError:
            return value
    if _SERIALS[0] <= value <= _SERIALS[1]:
        return from_excel(value).date()
    return value


def _message(e: RowError, widget: str) -> str:
    """A date that could not be read says how to write one."""
    if widget == "date" and e.message == message("coerce_dtype", e.label):
        return f"{e.message}:{DATE_HINT}"
    return e.message


def plan(spec: ImportSpec, data: bytes) -> ImportPlan:
    """Read and check an uploaded workbook; nothing is written."""
    s = config.load()
    sheet: Sheet = read_sheet(data, max_rows=s.import_max_rows, max_bytes=s.upload_max_mb * 1024 * 1024)
    if not sheet.rows:
        raise WorkbookRefused(f"「{DATA_SHEET}」工作表(第一个工作表)没有数据行:请从第 2 行起每行填写一条,再上传"
                              f"(「{EXAMPLE_SHEET}」工作表只是示例,不会导入)")
    schema = spec.sheet_schema
    specs = field_specs(schema)
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

    labels = {name: _by_label(specs[name].get("source")) for name in columns.values()
              if specs[name]["widget"] == "select"}
    labels = {name: by for name, by in labels.items() if by}
    example = {name: _convert(v, specs[name]["widget"], labels.get(name)) for name, v in spec.example.items()
               if name in specs}
    values_text = {name: {str(v) for v in by.values()} for name, by in labels.items()}
    unknown: dict[tuple[int, str], str] = {}  # (row, field) -> message for text that names no choice
    raw_records, formula_rows = [], {}
    for pos, values in enumerate(sheet.rows):
        rec = {}
        for i, name in columns.items():
            v = values[i] if i < len(values) else None
            if isinstance(v, str) and v.startswith("=") and len(v) > 1:
                formula_rows.setdefault(pos, []).append(specs[name]["label"])
            # text an export neutralised ('=1+1) comes back as it was stored (=1+1), so export -> import round-trips
            rec[name] = _convert(unneutralise(v), specs[name]["widget"], labels.get(name))
            if name in labels and isinstance(rec[name], str) and rec[name] not in values_text[name]:
                unknown[(pos, name)] = f"「{rec[name]}」不在{specs[name]['label']}的列表中(请与系统中的名称完全一致)"
        rec.update(spec.fixed)
        raw_records.append(rec)

    valid, errors = validate_many(schema, raw_records, spec.context)
    errors_by_row: dict[int, list[RowError]] = {}
    for e in errors:
        errors_by_row.setdefault(e.row, []).append(e)
    unlinked: dict[int, str] = {}
    if spec.link is not None and valid:
        order = sorted(valid)
        for pos, linked in zip(order, spec.link([valid[p] for p in order])):
            if isinstance(linked, str):
                unlinked[pos] = linked
            else:
                valid[pos] = linked
    existing = spec.find_existing([valid.get(i, {}) if i not in unlinked else {} for i in range(len(raw_records))]) \
        if spec.find_existing else {}

    seen_keys: dict[tuple, int] = {}
    keep: list[dict] = []
    for pos in range(len(raw_records)):
        number = sheet.row_number(pos)
        if pos in formula_rows:
            report.append(RowReport(number, "错误", "、".join(formula_rows[pos]), "单元格含公式,请粘贴为数值后再导入"))
            continue
        if _is_example(spec, {k: v for k, v in raw_records[pos].items() if k not in spec.fixed}, example):
            report.append(RowReport(number, "错误", "", example_message(spec)))
            continue
        if pos in errors_by_row:
            for e in errors_by_row[pos]:
                widget = specs.get(e.field, {}).get("widget") or "text"
                report.append(RowReport(number, "错误", e.label, unknown.get((pos, e.field), _message(e, widget))))
            continue
        if pos in unlinked:
            report.append(RowReport(number, "错误", "", unlinked[pos]))
            continue
        rec = valid[pos]
        if pos in existing:
            hit = existing[pos]
            report.append(RowReport(number, "已存在", "", f"与已登记的「{hit.get(spec.entity.title_field)}」"
                                    f"(编号 {hit.get(spec.entity.key)})相同,跳过"))
            continue
        if spec.row_key is not None:
            dedupe = (("row", spec.row_key(rec)),)
        else:
            dedupe = tuple((u.field, rec.get(u.field)) for u in spec.entity.unique if rec.get(u.field) is not None)
        dup_of = next((seen_keys[(k,)] for k in dedupe if (k,) in seen_keys), None)
        if dup_of is not None:
            report.append(RowReport(number, "文件内重复", "", f"与本文件第 {dup_of} 行重复,跳过"))
            continue
        for k in dedupe:
            seen_keys[(k,)] = number
        keep.append(rec)
        report.append(RowReport(number, "有效"))
    if spec.whole_file and any(r.status == "错误" for r in report):
        report = [RowReport(r.row_number, WAITING, "", WAITING_MESSAGE) if r.status == "有效" else r for r in report]
        keep = []
    return ImportPlan(keep, report, len(raw_records))


WAITING = "待改正"
WAITING_MESSAGE = "本行无误;文件中还有错误行,整份文件改正后重新上传,再一并导入(本次不写入任何一行)"


def commit(spec: ImportSpec, import_plan: ImportPlan, actor: Actor, db=None) -> int:
    """Write the plan's valid rows in one transaction (all or nothing); returns how many."""
    if not import_plan.valid:
        return 0
    records.create_many(spec.entity, import_plan.valid, actor, db=db, action="import")
    return len(import_plan.valid)


__all__ = ["ImportSpec", "ImportPlan", "RowReport", "template", "plan", "commit", "example_message", "FORMULA_START",
           "DATA_SHEET", "EXAMPLE_SHEET", "NOTES_SHEET", "CHOICES_SHEET"]
