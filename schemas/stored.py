"""Schemas of the tables that code writes, not a form: a workflow's event, a screening's record, an
assessment and its scores, a document's metadata, a tranche plan, an evaluation, a rule setting. Every
entity the write path writes has a schema (a test over the registry keeps it so); these describe the stored
columns, so the write path validates what it stores and the audit view names every column.

A column's label is declared once: :func:`stored` reads it from the system column labels
(:data:`schemas.columns.SYSTEM_FIELDS`, "table.column" first) or from a form schema that declares the
column; only a column that nothing names yet gets its label here (``label=``).
"""
from __future__ import annotations

import pandas as pd
from pandera.typing.pandas import Series

from schemas.base import FormSchema, field, field_specs
from schemas.columns import SYSTEM_FIELDS
from schemas.monitoring import EvaluationBase, MonitoringPolicy, Release


# the keys of other tables that several stored tables hold: their labels, declared once
KEYS = {"application_id": "申报项目编号", "project_id": "立项项目编号"}


def stored(name: str, table: str, *, label: str | None = None, of: tuple[type, ...] = (), widget: str = "text",
           required: bool = True, **checks):
    """The field of a stored column ``table.name``; its label comes from where it is already declared
    (``of``'s form fields, then ``SYSTEM_FIELDS``, then :data:`KEYS`), else ``label`` (declared here, once)."""
    spec = next((field_specs(s)[name] for s in of if name in field_specs(s)), None)
    found = spec["label"] if spec else None
    found = found or SYSTEM_FIELDS.get(f"{table}.{name}") or SYSTEM_FIELDS.get(name) or KEYS.get(name)
    if found and label:
        raise ValueError(f"{table}.{name} already has the label {found!r}: do not declare it again")
    if not (found or label):
        raise ValueError(f"{table}.{name} has no label: declare it with label=")
    # the format comes with the label (the form field's, or a system label's money()/ratio())
    return field(found or label, widget=widget, required=required, format=spec["format"] if spec else None, **checks)


class ApplicationEvent(FormSchema):
    """申报流转记录 (core.intake.workflow): one move of an application."""
    application_id: Series[pd.Int64Dtype] = stored("application_id", "application_events",
                                                   widget="int")
    from_state: Series[str] = stored("from_state", "application_events", required=False)
    to_state: Series[str] = stored("to_state", "application_events")
    note: Series[str] = stored("note", "application_events", required=False)


class Screening(FormSchema):
    """资格审查记录 (core.intake.applications)."""
    application_id: Series[pd.Int64Dtype] = stored("application_id", "screenings", widget="int")
    outcome: Series[str] = stored("outcome", "screenings", widget="select", source="screening_outcomes")
    items_passed: Series[object] = stored("items_passed", "screenings", widget="lines", required=False)
    items_failed: Series[object] = stored("items_failed", "screenings", widget="lines", required=False)
    reasons: Series[str] = stored("reasons", "screenings", required=False)
    return_due: Series[pd.Timestamp] = stored("return_due", "screenings", widget="date", required=False)


class Assessment(FormSchema):
    """能力评估 (core.incubation.assessments): who assessed which organisation, when, with which instrument."""
    org_id: Series[pd.Int64Dtype] = stored("org_id", "assessments", widget="int")
    period: Series[str] = stored("period", "assessments")
    instrument_id: Series[pd.Int64Dtype] = stored("instrument_id", "assessments", label="评估工具编号", widget="int")
    assessor: Series[str] = stored("assessor", "assessments")
    assessed_on: Series[pd.Timestamp] = stored("assessed_on", "assessments", widget="date")
    evidence: Series[str] = stored("evidence", "assessments", widget="textarea", required=False)
    total: Series[float] = stored("total", "assessments", widget="float", required=False)


class AssessmentScore(FormSchema):
    """指标得分 (core.incubation.assessments)."""
    assessment_id: Series[pd.Int64Dtype] = stored("assessment_id", "assessment_scores", label="能力评估编号",
                                                  widget="int")
    indicator_id: Series[pd.Int64Dtype] = stored("indicator_id", "assessment_scores", label="指标编号", widget="int")
    score: Series[pd.Int64Dtype] = stored("score", "assessment_scores", widget="int")


class Community(FormSchema):
    """社区 (core.orgs.communities): the choice list of communities, in their order."""
    name: Series[str] = stored("name", "communities", str_length={"min_value": 1, "max_value": 50})
    sort_order: Series[pd.Int64Dtype] = stored("sort_order", "communities", widget="int", ge=0)


class Document(FormSchema):
    """附件 (core.platform.documents): a stored file's metadata (the file itself lives on disk under ``stored_name``)."""
    owner_table: Series[str] = stored("owner_table", "documents", label="所属记录类型")
    owner_id: Series[pd.Int64Dtype] = stored("owner_id", "documents", label="所属记录编号", widget="int")
    filename: Series[str] = stored("filename", "documents", label="文件名", str_length={"max_value": 255})
    kind: Series[str] = stored("kind", "documents")
    mime: Series[str] = stored("mime", "documents", label="文件格式")
    size_bytes: Series[pd.Int64Dtype] = stored("size_bytes", "documents", label="文件大小(字节)", widget="int", ge=0)
    sha256: Series[str] = stored("sha256", "documents", label="文件校验值", str_matches=r"^[0-9a-f]{64}$")
    stored_name: Series[str] = stored("stored_name", "documents", label="存储文件名")


class StoredPolicy(FormSchema):
    """监管规则 as stored (core.monitoring.monitoring_policy; the form is :class:`schemas.monitoring.MonitoringPolicy`)."""
    round_id: Series[pd.Int64Dtype] = stored("round_id", "monitoring_policies", label="创投批次编号", widget="int")
    tranche_shares: Series[object] = stored("tranche_shares", "monitoring_policies", of=(MonitoringPolicy,),
                                            widget="numbers")
    tranche_gates: Series[object] = stored("tranche_gates", "monitoring_policies", of=(MonitoringPolicy,),
                                           widget="lines")
    grade_a: Series[float] = stored("grade_a", "monitoring_policies", of=(MonitoringPolicy,), widget="float")
    grade_b: Series[float] = stored("grade_b", "monitoring_policies", of=(MonitoringPolicy,), widget="float")
    pass_grades: Series[object] = stored("pass_grades", "monitoring_policies", of=(MonitoringPolicy,),
                                         widget="multiselect", source="grades")
    eval_items: Series[object] = stored("eval_items", "monitoring_policies", label="评估指标", widget="lines")
    eval_points: Series[object] = stored("eval_points", "monitoring_policies", label="指标分值", widget="numbers")
    expense_margin: Series[float] = stored("expense_margin", "monitoring_policies", of=(MonitoringPolicy,),
                                           widget="float")
    report_grace_days: Series[pd.Int64Dtype] = stored("report_grace_days", "monitoring_policies",
                                                      of=(MonitoringPolicy,), widget="int")


class ProjectEvent(FormSchema):
    """项目动态 (core.monitoring.projects)."""
    project_id: Series[pd.Int64Dtype] = stored("project_id", "project_events", widget="int")
    event: Series[str] = stored("event", "project_events")
    detail: Series[str] = stored("detail", "project_events", widget="textarea", required=False)
    happened_on: Series[pd.Timestamp] = stored("happened_on", "project_events", widget="date")


class Tranche(FormSchema):
    """拨付计划 (core.monitoring.money): one tranche of a project's plan and its release."""
    project_id: Series[pd.Int64Dtype] = stored("project_id", "tranches", widget="int")
    seq: Series[pd.Int64Dtype] = stored("seq", "tranches", widget="int", ge=1)
    share: Series[float] = stored("share", "tranches", widget="float", ge=0, le=100)  # percentage points: 50, 30, 20
    amount: Series[float] = stored("amount", "tranches", widget="float", ge=0)
    gate: Series[str] = stored("gate", "tranches")
    planned_date: Series[pd.Timestamp] = stored("planned_date", "tranches", widget="date", required=False)
    status: Series[str] = stored("status", "tranches")
    released_on: Series[pd.Timestamp] = stored("released_on", "tranches", widget="date", required=False)
    released_amount: Series[float] = stored("released_amount", "tranches", widget="float", required=False)
    approver: Series[str] = stored("approver", "tranches", of=(Release,), required=False)
    note: Series[str] = stored("note", "tranches", required=False)


class Evaluation(FormSchema):
    """项目评估 as stored (core.monitoring.evaluations; the form is :class:`schemas.monitoring.EvaluationBase` with the
    round's scoring items)."""
    project_id: Series[pd.Int64Dtype] = stored("project_id", "evaluations", widget="int")
    kind: Series[str] = stored("kind", "evaluations")
    report_date: Series[pd.Timestamp] = stored("report_date", "evaluations", of=(EvaluationBase,), widget="date",
                                               required=False)
    self_report: Series[str] = stored("self_report", "evaluations", of=(EvaluationBase,), widget="textarea",
                                      required=False)
    eval_date: Series[pd.Timestamp] = stored("eval_date", "evaluations", of=(EvaluationBase,), widget="date")
    method: Series[str] = stored("method", "evaluations", of=(EvaluationBase,))
    evaluator: Series[str] = stored("evaluator", "evaluations", of=(EvaluationBase,))
    evaluator_org_id: Series[pd.Int64Dtype] = stored("evaluator_org_id", "evaluations", of=(EvaluationBase,),
                                                     widget="select", source="orgs", required=False)
    evaluator_partner_id: Series[pd.Int64Dtype] = stored("evaluator_partner_id", "evaluations", of=(EvaluationBase,),
                                                         widget="select", source="partners", required=False)
    evaluator_expert: Series[str] = stored("evaluator_expert", "evaluations", of=(EvaluationBase,), widget="select",
                                           source="reviewers", required=False)
    item_scores: Series[str] = stored("item_scores", "evaluations", widget="textarea", required=False)
    total_score: Series[float] = stored("total_score", "evaluations", widget="float")
    grade: Series[str] = stored("grade", "evaluations")
    passed: Series[pd.BooleanDtype] = stored("passed", "evaluations", widget="checkbox")
    outcome: Series[str] = stored("outcome", "evaluations")
    recover_amount: Series[float] = stored("recover_amount", "evaluations", of=(EvaluationBase,), widget="float",
                                           required=False)
    conclusion: Series[str] = stored("conclusion", "evaluations", of=(EvaluationBase,), widget="textarea")


class RiskSetting(FormSchema):
    """预警规则设置 (core.monitoring.risks): one rule's severity, threshold and switch."""
    code: Series[str] = stored("code", "risk_settings", label="规则代码")
    severity: Series[str] = stored("severity", "risk_settings", label="严重程度", isin=["高", "中", "低"])
    threshold: Series[float] = stored("threshold", "risk_settings", label="阈值", widget="float")
    enabled: Series[pd.BooleanDtype] = stored("enabled", "risk_settings", label="是否启用", widget="checkbox")
