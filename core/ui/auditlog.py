"""How audit rows are shown: the 审计日志 screen and each record's 修改记录 tab use the same labels.

A reader sees what was changed in Chinese: the entity's name (``core.platform.entities``), the record by its title,
and the changed fields by their labels (the entity's Pandera schema, else its list view's columns), each
``before → after`` with values as a person reads them. Raw table names and JSON are never shown.
"""
from __future__ import annotations

import datetime as dt
import json
import re
import sys
from functools import lru_cache

import pandas as pd

from core.incubation.mentoring import STATUSES as ACTION_STATUS
from core.platform import formats
from core.platform.audit import SECRET
from core.platform.entities import Entity
from core.platform.listing import ListView
from core.platform.security import KINDS as SECURITY_KINDS
from core.platform.sessions import REASONS as SESSION_ENDS
from core.registry import all_entities
from core.review.consolidation import LABELS as SUMMARY
from schemas import choices
from schemas.base import field_specs
from schemas.choices import APP_STATES, ROLES, SCREENING_OUTCOMES
from schemas.columns import STAMPS, SYSTEM_FIELDS, format_of
from schemas.monitoring import EVALUATION_KINDS, EVALUATION_OUTCOMES, PROJECT_STATES, TRANCHE_GATES, TRANCHE_STATUS

ACTIONS = {"create": "新建", "update": "修改", "delete": "删除", "import": "导入", "reset_password": "重置密码",
           "change_password": "修改密码", "backup": "备份", "export": "导出", "state": "状态变更",
           "update_frozen": "修改已冻结设置", "cancel": "取消", "declare_no_conflict": "声明无利益冲突", "done": "完成",
           "end_pairing": "结束结对", "incubation": "入壳/出壳", "lock_scores": "锁定评分", "unlock_scores": "解锁评分",
           "mark_done": "标记完成", "mark_duplicate": "标记重复", "move": "流转", "promote": "转为申报",
           "publish_notice": "发布公示", "rating": "等级评估", "recuse": "回避", "release": "拨付",
           "reopen_review": "重新打开评审", "stage_change": "阶段变更", "submit_review": "提交评分"}

# What the log names besides entities (``core.platform.backup`` / ``core.platform.export`` write "database" rows)
OTHER_TARGETS = {"database": "数据库"}

# Column labels of the stamps and of the columns no form declares: schemas.columns (declared once)

# Stored codes of columns no form offers, shown by their Chinese names (the maps live with their schemas)
REVIEW_STATUS = {"draft": "草稿", "submitted": "已提交"}
LOGIN_OUTCOMES = {"ok": "成功", "failed": "失败", "locked": "账号锁定中,被拒绝", "throttled": "此地址失败过多,被拒绝"}
ASSIGNMENT_STATUS = {"assigned": "已分配", "recused": "已回避"}

SHOWN_FIELDS_ON_CREATE = 6
MAX_TEXT = 60
EMPTY = "(空)"
HIDDEN = "(已隐藏)"
_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?$")

COLUMNS = {"id": "序号", "logged_at": "时间", "actor": "操作人", "target": "对象", "record": "记录",
           "action": "动作", "changes": "修改内容", "note": "说明"}


def action_label(action: str) -> str:
    return ACTIONS.get(action, action)


# ---- names -------------------------------------------------------------------------------------

@lru_cache(maxsize=1)
def _entities() -> dict[str, Entity]:
    return {e.table: e for e in all_entities()}


def entity_for(table: str) -> Entity | None:
    return _entities().get(table)


def target_label(table: str | None) -> str:
    """The Chinese name of what a log row is about: the entity's label (never the table name)."""
    if not table:
        return ""
    entity = entity_for(table)
    if entity is not None:
        return entity.label
    return OTHER_TARGETS.get(table, table)


@lru_cache(maxsize=None)
def _specs(table: str) -> dict:
    entity = entity_for(table)
    if entity is None:
        return {}
    specs = {}
    for schema in (*entity.also, entity.schema):
        if schema is not None:
            specs.update(field_specs(schema))
    return specs


@lru_cache(maxsize=1)
def _list_labels() -> dict[str, dict[str, str]]:
    """table -> column -> label from every declared list view (``core.platform.listing.ListView``)."""
    out: dict[str, dict[str, str]] = {}
    for name, module in list(sys.modules.items()):
        view = getattr(module, "LIST_VIEW", None) if name.startswith("core.") else None
        if isinstance(view, ListView):
            labels = out.setdefault(view.entity.table, {})
            for c in view.columns:
                labels.setdefault(c.name, c.label)
    return out


def _computed_labels() -> dict[str, dict[str, str]]:
    """table -> system column -> label, for columns that store a figure computed elsewhere (declared there)."""
    return {"flag_resolutions": {"spread": SUMMARY["spread"]}}


@lru_cache(maxsize=None)
def field_label(table: str, column: str) -> str:
    """A column's Chinese label: the entity's schema, its list view, the stamps and system columns here,
    ``<entity>_id`` as that entity's 编号; the column name only if nothing declares it."""
    spec = _specs(table).get(column)
    if spec:
        return spec["label"]
    listed = _list_labels().get(table, {}).get(column)
    if listed:
        return listed
    computed = _computed_labels().get(table, {}).get(column)
    if computed:
        return computed
    if column in STAMPS:
        return STAMPS[column]
    if f"{table}.{column}" in SYSTEM_FIELDS:
        return SYSTEM_FIELDS[f"{table}.{column}"]
    if column in SYSTEM_FIELDS:
        return SYSTEM_FIELDS[column]
    if column.endswith("_id"):  # a reference: the entity it points at, by name or by table
        stem = column[:-3]
        for e in _entities().values():
            if e.name == stem or e.table == stem + "s" or e.table.endswith("_" + stem + "s"):
                return f"{e.label}编号"
    return column


def _value_labels(table: str, column: str) -> dict | None:
    return {
        ("applications", "state"): APP_STATES, ("application_events", "from_state"): APP_STATES,
        ("application_events", "to_state"): APP_STATES, ("screenings", "outcome"): SCREENING_OUTCOMES,
        ("projects", "state"): PROJECT_STATES, ("tranches", "gate"): TRANCHE_GATES,
        ("tranches", "status"): TRANCHE_STATUS, ("evaluations", "kind"): EVALUATION_KINDS,
        ("evaluations", "outcome"): EVALUATION_OUTCOMES, ("users", "roles"): ROLES,
        ("mentoring_actions", "status"): ACTION_STATUS, ("reviews", "status"): REVIEW_STATUS,
        ("assignments", "status"): ASSIGNMENT_STATUS, ("login_attempts", "outcome"): LOGIN_OUTCOMES,
        ("user_sessions", "revoked_reason"): SESSION_ENDS, ("security_events", "kind"): SECURITY_KINDS,
    }.get((table, column))


def value_text(table: str, column: str, value) -> str:
    """A stored value as a person reads it (choice labels, 是/否, dates; money with separators and percentages
    as 85% where the field's label declares it: ``schemas.columns.format_of``)."""
    if value == SECRET:
        return HIDDEN
    if formats.is_empty(value) or value == []:
        return EMPTY
    if isinstance(value, list):
        return "、".join(value_text(table, column, v) for v in value)
    labels = _value_labels(table, column)
    if labels is not None:
        return str(labels.get(value, value))
    source = (_specs(table).get(column) or {}).get("source")
    if source:
        try:
            return _clip(choices.label(source, value))
        except Exception:  # noqa: BLE001 - a choice list that is gone: show the stored value
            return _clip(str(value))
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, (int, float)):
        declared = formats.NUMBER_FORMATS.get(format_of(field_label(table, column)))
        if declared:
            return declared(value)
        return str(value) if isinstance(value, int) else formats.number(value)  # a year or a count: no separators
    if isinstance(value, str) and value.startswith("{"):
        try:
            value = json.loads(value)  # a JSON column (e.g. item scores)
        except ValueError:
            pass
    if isinstance(value, str) and _ISO.match(value):
        try:
            return formats.date(dt.datetime.fromisoformat(value))
        except ValueError:
            return value
    if isinstance(value, dict):
        return _clip(";".join(f"{k}:{formats.text(v)}" for k, v in value.items()))
    return _clip(str(value))


def _clip(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= MAX_TEXT else text[:MAX_TEXT] + "…"


# ---- one row -----------------------------------------------------------------------------------

def _load(raw) -> dict | None:
    if raw is None or (isinstance(raw, float) and raw != raw):
        return None
    try:
        data = json.loads(raw)
    except (TypeError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _ordered(table: str, columns) -> list[str]:
    order = {c: i for i, c in enumerate(_specs(table))}
    return sorted(columns, key=lambda c: (order.get(c, len(order)), c))


def changes(table: str, before: dict | None, after: dict | None) -> str:
    """``标签:前 → 后`` for each changed field (a new or deleted record: its main fields)."""
    if before is not None and after is not None:
        changed = [c for c in _ordered(table, set(before) | set(after))
                   if c not in STAMPS and before.get(c) != after.get(c)]
        parts = [f"{field_label(table, c)}:{value_text(table, c, before.get(c))} → {value_text(table, c, after.get(c))}"
                 for c in changed]
        return ";".join(parts)
    record = after if after is not None else before
    if record is None:
        return ""
    entity = entity_for(table)
    skip = set(STAMPS) | {entity.key if entity else "id", "hub_id"}  # the hub: context, like the stamps
    filled = [c for c in _ordered(table, record) if c not in skip and not formats.is_empty(record.get(c))
              and record.get(c) != []]
    parts = [f"{field_label(table, c)}:{value_text(table, c, record[c])}" for c in filled[:SHOWN_FIELDS_ON_CREATE]]
    more = len(filled) - SHOWN_FIELDS_ON_CREATE
    return ";".join(parts) + (f" 等 {len(filled)} 项" if more > 0 else "")


def record_label(table: str, key, before: dict | None, after: dict | None, people: dict[str, str] | None = None) -> str:
    """The record by its title and number, e.g. ``钱塘区云帆青少年服务社(编号 56)``; a person (``people``:
    username -> name) by name, e.g. ``王敏(工作人员)(staff)``."""
    entity = entity_for(table)
    people = people or {}
    key_text = "" if key is None or (isinstance(key, float) and key != key) else str(key)
    data = after or before or {}
    title = data.get(entity.title_field) if entity is not None else None
    if len(key_text) > 20:  # a digest (e.g. a sign-in session's): means nothing to a reader
        key_text = ""
    if formats.is_empty(title) or str(title) == key_text:
        if key_text in people:
            return f"{people[key_text]}({key_text})"
        if key_text and not key_text.isdigit():
            return key_text  # a key that is a name already (a community, a file)
        return f"编号 {key_text}" if key_text else ""
    if entity is not None and "username" in (entity.title_field, entity.key) and str(title) in people:
        title = f"{people[str(title)]}({title})"
    else:
        title = value_text(table, entity.title_field, title)
    if not key_text or f"({key_text})" in title:
        return title
    return f"{title}(编号 {key_text})" if key_text.isdigit() else f"{title}({key_text})"


def audit_frame(df: pd.DataFrame, *, drop: tuple[str, ...] = (), people: dict[str, str] | None = None) -> pd.DataFrame:
    """``core.platform.audit.query`` rows as a reader sees them: 时间, 操作人 (by name), 对象, 记录, 动作, 修改内容, 说明.
    ``drop``: columns not needed (``table_name`` drops 对象, ``row_key`` drops 记录, or any name of ``COLUMNS``);
    ``people``: username -> name."""
    people = people or {}
    rows = []
    for r in df.to_dict("records"):
        table = r.get("table_name")
        before, after = _load(r.get("before_json")), _load(r.get("after_json"))
        actor = r.get("actor") or ""
        rows.append({
            "id": r.get("id"), "logged_at": r.get("logged_at"),
            "actor": "系统" if actor == "system" else (people.get(actor) or actor),
            "target": target_label(table), "record": record_label(table, r.get("row_key"), before, after, people),
            "action": action_label(r.get("action") or ""), "changes": changes(table, before, after),
            "note": "" if formats.is_empty(r.get("note")) else str(r.get("note")),
        })
    out = pd.DataFrame(rows, columns=list(COLUMNS))
    aliases = {"table_name": "target", "row_key": "record", "before_json": "changes", "after_json": "changes"}
    gone = {aliases.get(c, c) for c in drop}
    out = out.drop(columns=[c for c in COLUMNS if c in gone])
    return out.rename(columns=COLUMNS)
