"""Column labels, declared once.

A table on a screen, an Excel export, the dossier or a chart names its columns by field name; the label is
read from where the column is declared:

- a form field: its schema's ``field(label=...)`` (:mod:`schemas.base`);
- a column a query computes (a count, a rate, a joined name): the ``computed`` labels declared next to
  that query, in the ``core`` module that runs it;
- a column the write path or a workflow sets (编号, 创建人, 状态 ...): :data:`SYSTEM` below.

``columns(...)`` builds an ordered ``name -> label`` mapping (:class:`Columns`, a ``dict`` that
``DataFrame.rename`` and ``core.ui.tables.table`` take as it is). A name nothing declares raises
``KeyError`` when the module is imported, so a missing label fails at start-up, never on a screen.
"""
from __future__ import annotations

from typing import Iterable, Mapping, Sequence

from schemas.base import field_specs

# Columns the write path stamps on every record
STAMPS = {"created_at": "创建时间", "created_by": "创建人", "updated_at": "修改时间", "updated_by": "修改人"}

# Columns that no form declares (the write path or a workflow sets them): their labels, declared here once.
# "table.column" wins over "column" (the audit view knows the table; a list names the column alone).
SYSTEM_FIELDS = {
    "id": "编号", "seq": "序号", "note": "说明", "status": "状态", "state": "状态", "username": "用户名",
    "is_demo": "演示账号", "password_hash": "密码", "attempted_at": "登录时间", "success": "登录成功",
    "load_cap": "每位专家评审上限", "notice_published_at": "公示发布时间", "rubric_total": "评分总分",
    "scores_locked_at": "评分锁定时间", "scores_locked_by": "评分锁定人", "duplicate_of": "重复于(金点子编号)",
    "decision_note": "决定说明", "granted_amount": "资助金额(元)", "return_due": "补充材料截止日期",
    "returned_count": "退回次数", "submitted_at": "提交时间", "recommendation": "推荐意见",
    "reopened_reason": "重新打开原因", "reviewer": "评审专家", "total": "总分", "reviews.total": "加权总分",
    "comment": "评语", "score": "得分", "version": "版本", "assessed_on": "评估日期", "assessor": "评估人",
    "evidence": "佐证材料", "period": "评估期", "from_stage": "原发展阶段", "expires_on": "有效期至",
    "amount": "金额(元)", "approver": "审批人", "gate": "拨付条件", "planned_date": "计划拨付日期",
    "released_amount": "实际拨付金额(元)", "released_on": "拨付日期", "share": "拨付比例",
    "conclusion": "结论", "eval_date": "评估日期", "evaluator": "评估人", "grade": "等级", "item_scores": "分项得分",
    "kind": "类型", "method": "评估方式", "outcome": "结论", "evaluations.outcome": "评估结果", "passed": "是否通过",
    "recover_amount": "追回金额(元)", "report_date": "报告日期", "self_report": "自评报告",
    "total_score": "总分", "name": "名称", "communities.name": "社区名称", "sort_order": "排序",
    "rating_expiry": "等级有效期至", "from_state": "原状态", "to_state": "新状态", "items_failed": "未通过项",
    "items_passed": "通过项", "reasons": "原因", "no_conflict_at": "声明无利益冲突时间",
    "recused_reason": "回避原因", "done_date": "完成日期", "closed_on": "结项日期", "state_note": "状态说明",
    "detail": "详情", "event": "事件", "happened_on": "发生日期", "org_id": "社会组织编号",
    # sign-in, sessions and security events (core.platform.lockout, core.platform.sessions, core.platform.security)
    "client": "客户端地址", "outcome": "结果", "login_attempts.outcome": "登录结果", "user_agent": "浏览器",
    "last_seen": "最近活动时间", "expires_at": "到期时间", "revoked_at": "结束时间", "revoked_by": "结束人",
    "revoked_reason": "结束原因", "happened_at": "发生时间", "security_events.kind": "事件类型",
}

# Names a query joins in from another table, the same on every screen (declared here once; a query whose
# joined column means something else declares its own ``computed`` label)
JOINED = {"org": "组织", "mentor": "导师", "round": "创投批次"}

SYSTEM = {**JOINED, **STAMPS, **{k: v for k, v in SYSTEM_FIELDS.items() if "." not in k}}


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
