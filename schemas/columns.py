"""Column labels, declared once.

A table on a screen, an Excel export, the dossier or a chart names its columns by field name; the label is
read from where the column is declared:

- a form field: its schema's ``field(label=...)`` (:mod:`schemas.base`);
- a column a query computes (a count, a rate, a joined name): the ``computed`` labels declared next to
  that query, in the ``core`` module that runs it;
- a column the write path or a workflow sets (编号, 创建人, 状态 ...): :data:`SYSTEM` below.

A column's *format* (how its values read: money, a percentage, a count ...) is declared with its label, once:
``field(format=...)`` on a schema, and :func:`money`, :func:`percent`, :func:`ratio` or :func:`number` around a
computed or system label (a :class:`Label`, the label text itself). Screens, Excel exports and the 审计日志 ask
:func:`format_of` for a header's format; nothing is guessed from its words. One label with two formats fails at
import (:class:`schemas.base.FormatConflict`), and ``core.checks`` refuses to start when a label that names 元 is
not money or one that names % is not a percentage.

``columns(...)`` builds an ordered ``name -> label`` mapping (:class:`Columns`, a ``dict`` that
``DataFrame.rename`` and ``core.ui.tables.table`` take as it is). A name nothing declares raises
``KeyError`` when the module is imported, so a missing label fails at start-up, never on a screen.
"""
from __future__ import annotations

import sys
from typing import Iterable, Mapping, Sequence

from schemas.base import FormatConflict, Label, declare_format, field_specs, label_format  # noqa: F401 (re-exported)


def declared(format: str, text: str) -> Label:
    """``text`` as a label whose values read as ``format`` (:data:`schemas.base.FORMATS`), recorded for
    :func:`format_of`."""
    declare_format(text, format)
    return Label(text, format)


def money(text: str) -> Label:
    """A label of amounts in yuan: 24,800 / 24,800.50 on screens, numbers shown #,##0 / #,##0.00 in Excel."""
    return declared("money", text)


def percent(text: str) -> Label:
    """A label of percentages held in points (85 -> 85%)."""
    return declared("percent", text)


def ratio(text: str) -> Label:
    """A label of fractions shown as percentages (0.85 -> 85%)."""
    return declared("ratio", text)


def number(text: str) -> Label:
    """A label of counts or scores (never money, whatever its words say: 资助项目 counts projects)."""
    return declared("number", text)


# Columns the write path stamps on every record
STAMPS = {"created_at": "创建时间", "created_by": "创建人", "updated_at": "修改时间", "updated_by": "修改人"}

# Columns that no form declares (the write path or a workflow sets them): their labels, declared here once.
# "table.column" wins over "column" (the audit view knows the table; a list names the column alone).
SYSTEM_FIELDS = {
    "id": "编号", "seq": "序号", "note": "说明", "status": "状态", "state": "状态", "username": "用户名",
    "is_demo": "演示账号", "password_hash": "密码", "attempted_at": "登录时间", "success": "登录成功",
    "load_cap": "每位专家评审上限", "notice_published_at": "公示发布时间", "rubric_total": "评分总分",
    "scores_locked_at": "评分锁定时间", "scores_locked_by": "评分锁定人", "duplicate_of": "重复于(金点子编号)",
    "decision_note": "决定说明", "granted_amount": money("资助金额(元)"), "return_due": "补充材料截止日期",
    "returned_count": "退回次数", "submitted_at": "提交时间", "recommendation": "推荐意见",
    "reopened_reason": "重新打开原因", "reviewer": "评审专家", "total": "总分", "reviews.total": "加权总分",
    "comment": "评语", "score": "得分", "version": "版本", "assessed_on": "评估日期", "assessor": "评估人",
    "evidence": "佐证材料", "period": "评估期", "from_stage": "原发展阶段", "expires_on": "有效期至",
    "amount": money("金额(元)"), "approver": "审批人", "gate": "拨付条件", "planned_date": "计划拨付日期",
    "released_amount": money("实际拨付金额(元)"), "released_on": "拨付日期", "share": percent("拨付比例"),
    "conclusion": "结论", "eval_date": "评估日期", "evaluator": "评估人", "grade": "等级", "item_scores": "分项得分",
    "kind": "类型", "method": "评估方式", "outcome": "结论", "evaluations.outcome": "评估结果", "passed": "是否通过",
    "recover_amount": money("追回金额(元)"), "report_date": "报告日期", "self_report": "自评报告",
    "total_score": "总分", "name": "名称", "communities.name": "社区名称", "sort_order": "排序",
    "rating_expiry": "等级有效期至", "from_state": "原状态", "to_state": "新状态", "items_failed": "未通过项",
    "items_passed": "通过项", "reasons": "原因", "no_conflict_at": "声明无利益冲突时间",
    "recused_reason": "回避原因", "done_date": "完成日期", "closed_on": "结项日期", "state_note": "状态说明",
    "detail": "详情", "event": "事件", "happened_on": "发生日期", "org_id": "社会组织编号",
    # 资源与需求: bookings' decision, claim items' completion (core.resources.bookings, core.resources.partners)
    "decided_at": "审批时间", "decided_by": "审批人", "completed_on": "完成日期", "status_note": "状态说明",
    "claim_id": "认领项目编号",
    # 服务对象: the ID number's keyed digest (never shown: the audit log keeps it as a secret)
    "beneficiaries.id_digest": "身份证号校验值",
    # sign-in, sessions and security events (core.platform.lockout, core.platform.sessions, core.platform.security)
    "client": "客户端地址", "outcome": "结果", "login_attempts.outcome": "登录结果", "user_agent": "浏览器",
    "last_seen": "最近活动时间", "expires_at": "到期时间", "revoked_at": "结束时间", "revoked_by": "结束人",
    "revoked_reason": "结束原因", "happened_at": "发生时间", "security_events.kind": "事件类型",
    # 枢纽网络: the hub a record or an account belongs to (core.orgs.hubs)
    "hub_id": "所属枢纽",
}

# Names a query joins in from another table, the same on every screen (declared here once; a query whose
# joined column means something else declares its own ``computed`` label)
JOINED = {"org": "组织", "mentor": "导师", "round": "创投批次"}

SYSTEM = {**JOINED, **STAMPS, **{k: v for k, v in SYSTEM_FIELDS.items() if "." not in k}}


# computed labels declared without a format (plain text) -> where: the start-up check reads them too, so a
# computed "…(元)" that is not declared money() is caught (core.checks)
COMPUTED_LABELS: dict[str, str] = {}


def format_of(header_or_name) -> str | None:
    """How the values under a column read: the format declared with this label (a field's ``format=``, a
    computed or system label's :func:`money` / :func:`percent` / :func:`ratio` / :func:`number`), else the one of
    the system column of this name; ``None`` when nothing declares one (values then read by their type)."""
    found = label_format(header_or_name)
    if found is None and isinstance(header_or_name, str) and header_or_name in SYSTEM:
        found = label_format(SYSTEM[header_or_name])
    return found


def _caller() -> str:
    frame = sys._getframe(2)
    while frame is not None and frame.f_globals.get("__name__") == __name__ and frame.f_code.co_name != "<module>":
        frame = frame.f_back
    return f"{frame.f_globals.get('__name__')}:{frame.f_lineno}" if frame is not None else "?"


class Columns(dict):
    """An ordered ``name -> label`` choice of columns (see :func:`columns`)."""

    def pick(self, *names: str) -> "Columns":
        """These columns only, in this order (a name not in the mapping raises ``KeyError``)."""
        return Columns((n, self[n]) for n in names)

    def without(self, *names: str) -> "Columns":
        return Columns((n, v) for n, v in self.items() if n not in names)

    def label(self, name: str) -> str:
        return self[name]


def _labels_of(schemas: Iterable) -> dict[str, str]:
    out: dict[str, str] = {}
    for schema in schemas:
        for name, spec in field_specs(schema).items():
            out.setdefault(name, spec["label"])
    return out


def label(name: str, of: type | Sequence[type] = (), computed: Mapping[str, str] | None = None) -> str:
    """One column's label (see :func:`columns`)."""
    return columns(name, of=of, computed=computed)[name]


def columns(*names: str, of: type | Sequence[type] = (), computed: Mapping[str, str] | None = None) -> Columns:
    """``name -> label`` for ``names``, in this order.

    Each label comes from ``computed`` (columns a query computes, declared beside it), else the first
    schema of ``of`` that declares the field, else :data:`SYSTEM` (stamps, system columns, :data:`JOINED`). With no ``names``: every field of
    ``of`` in declaration order, then the ``computed`` ones.
    """
    schemas = (of,) if isinstance(of, type) or hasattr(of, "columns") else tuple(of)
    fields = _labels_of(schemas)
    computed = dict(computed or {})
    for text in computed.values():
        if not isinstance(text, Label) and label_format(text) is None:
            COMPUTED_LABELS.setdefault(str(text), _caller())
    if not names:
        names = tuple(dict.fromkeys([*fields, *computed]))
    out = Columns()
    for name in names:
        if name in computed:
            out[name] = computed[name]
        elif name in fields:
            out[name] = fields[name]
        elif name in SYSTEM:
            out[name] = SYSTEM[name]
        else:
            raise KeyError(f"column {name!r} is declared by no schema of {[getattr(s, '__name__', s) for s in schemas]}, "
                           f"no computed label and no system column: declare its label once")
    return out
