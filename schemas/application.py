"""项目申报: an organisation's application to a round, its milestones, screening and the decision."""
from __future__ import annotations

import pandas as pd
import pandera.pandas as pa
from pandera.typing.pandas import Series

from schemas.base import DATE_PARSER, RULE_FIELDS, Bound, FormSchema, blank, field, relaxed, rule
from schemas.choices import BUDGET_LINES


class Application(FormSchema):
    round_id: Series[pd.Int64Dtype] = field("创投批次", widget="select", source="rounds")
    org_id: Series[pd.Int64Dtype] = field("申报组织", widget="select", source="orgs",
                                          help="须为台账中在册的社会组织")
    category: Series[str] = field("项目类别", widget="select", source="project_categories")
    title: Series[str] = field("项目名称", str_length={"min_value": 4, "max_value": 100})
    summary: Series[str] = field("项目简介", widget="textarea", str_length={"max_value": 500})
    needs_analysis: Series[str] = field("需求分析", widget="textarea", str_length={"max_value": 3000},
                                        help="服务对象的需求、依据和调研情况")
    communities: Series[object] = field("服务社区", widget="multiselect", source="communities")
    target_group: Series[str] = field("服务对象", str_length={"max_value": 200}, help="如:辖区独居老人")
    planned_beneficiaries: Series[pd.Int64Dtype] = field("计划服务人次", widget="int", ge=1, le=10_000_000)
    planned_activities: Series[str] = field("计划开展的活动", widget="textarea", str_length={"max_value": 3000})
    budget_personnel: Series[float] = field("预算:人员(元)", widget="float", format="money", money=())
    budget_materials: Series[float] = field("预算:物资(元)", widget="float", format="money", money=())
    budget_venue: Series[float] = field("预算:场地(元)", widget="float", format="money", money=())
    budget_publicity: Series[float] = field("预算:宣传(元)", widget="float", format="money", money=())
    budget_other: Series[float] = field("预算:其他(元)", widget="float", format="money", money=())
    requested_amount: Series[float] = field("申请资助金额(元)", widget="float", format="money", money=(), gt=0,
                                            help="须等于五项预算之和,且不超过本批次单个项目上限")
    cofunding_self: Series[float] = field("配套资金:自筹(元)", widget="float", format="money", money=(), required=False)
    cofunding_other: Series[float] = field("配套资金:其他来源(元)", widget="float", format="money", money=(), required=False)
    cofunding_note: Series[str] = field("配套资金说明", widget="textarea", required=False,
                                        str_length={"max_value": 500}, help="其他来源的出资方和用途")

    @rule("requested_amount", message="五项预算(人员、物资、场地、宣传、其他)之和须等于申请资助金额")
    def _budget_sums(cls, df):
        lines = df[list(BUDGET_LINES)].astype(float)
        complete = lines.notna().all(axis=1) & df["requested_amount"].notna()
        return ~complete | ((lines.sum(axis=1) - df["requested_amount"].astype(float)).abs() < 0.005)

    @rule("cofunding_note", message="有其他来源的配套资金时,请填写配套资金说明")
    def _cofunding_note(cls, df):
        other = df["cofunding_other"].astype(float).fillna(0)
        return (other <= 0) | df["cofunding_note"].map(lambda v: not blank(v))


# A draft needs only where it belongs and what it is called; every filled field is still checked.
ApplicationDraft = relaxed(Application, keep_required=("round_id", "org_id", "title"))


class Milestone(FormSchema):
    # within the round's project period: core.intake.applications.round_problems checks it with the round
    due_date: Series[pd.Timestamp] = field("日期", widget="date")
    deliverable: Series[str] = field("交付成果", str_length={"min_value": 2, "max_value": 200})


class BlindTitle(FormSchema):
    """盲评: the name reviewers read instead of the project's own title (which often names the organisation)."""
    blind_title: Series[str] = field("评审用名称(盲评)", required=False, str_length={"max_value": 40},
                                     help="盲评批次中专家看到的项目名称,不得含申报组织的名称、简称、品牌或人员姓名;"
                                          "留空则按「项目类别-序号」生成")


def with_blind_title(schema: pa.DataFrameSchema) -> pa.DataFrameSchema:
    """``schema`` (a screening form) with the 评审用名称 field of :class:`BlindTitle` added."""
    return schema.add_columns(dict(BlindTitle.to_schema().columns))


def screening_schema(checklist: list[str]) -> pa.DataFrameSchema:
    """The screening form of a round: one tick and one reason per checklist item (built at run time)."""
    columns = {}
    for i, item in enumerate(checklist):
        columns[f"ok_{i}"] = pa.Column(pd.BooleanDtype(), nullable=False, coerce=True,
                                       metadata={"label": item, "widget": "checkbox", "help": "符合该项要求时勾选"})
        columns[f"why_{i}"] = pa.Column(str, nullable=True, coerce=True,
                                        checks=[pa.Check.str_length(max_value=500), pa.Check.plain_text()],
                                        metadata={"label": f"「{item}」不符合的原因", "widget": "text"})
    checks = []
    for i, item in enumerate(checklist):
        message = f"「{item}」不符合时须填写原因"
        RULE_FIELDS[message] = (f"why_{i}",)
        checks.append(pa.Check(lambda df, i=i: df[f"ok_{i}"].fillna(False).astype(bool) | df[f"why_{i}"].notna(),
                               error=message))
    return pa.DataFrameSchema(columns, checks=checks, name="Screening", coerce=True)


def screening_form_schema(checklist: list[str]) -> pa.DataFrameSchema:
    """The whole screening form: the checklist plus the conclusion, its reasons and the due date."""
    base = screening_schema(checklist)
    return base.add_columns({
        "outcome": pa.Column(str, nullable=False, coerce=True, checks=[pa.Check.in_choices(source="screening_outcomes")],
                             metadata={"label": "审查结论", "widget": "select", "source": "screening_outcomes"}),
        "reasons": pa.Column(str, nullable=True, coerce=True, checks=[pa.Check.str_length(max_value=1000),
                                                                       pa.Check.plain_text()],
                             metadata={"label": "说明/需补充的材料", "widget": "textarea"}),
        "return_due": pa.Column("datetime64[ns]", nullable=True, coerce=True, parsers=[DATE_PARSER],
                                checks=[pa.Check.date_range()],
                                metadata={"label": "补交期限(退回时必填)", "widget": "date"}),
    })


class Decision(FormSchema):
    decision: Series[str] = field("决定", widget="select", source="decisions")
    granted_amount: Series[float] = field("资助金额(元)", widget="float", format="money", money=(), required=False,
                                          help="资助时必填;不超过申请金额和单个项目上限")
    note: Series[str] = field("说明", widget="textarea", required=False, str_length={"max_value": 1000},
                              help="不予资助时必填")

    @rule("granted_amount", message="决定资助时须填写大于0的资助金额")
    def _amount(cls, df):
        return (df["decision"] != "资助") | (df["granted_amount"].astype(float).fillna(0) > 0)

    @rule("note", message="决定不予资助时须填写原因")
    def _reason(cls, df):
        return (df["decision"] != "不予资助") | df["note"].map(lambda v: not blank(v))


class Objection(FormSchema):
    application_id: Series[pd.Int64Dtype] = field("涉及项目", widget="select", source="notice_applications",
                                                  required=False)
    received_date: Series[pd.Timestamp] = field("收到日期", widget="date", not_future=(),
                                                after=Bound("notice_published", "公示发布日期"))
    content: Series[str] = field("异议内容", widget="textarea", str_length={"max_value": 2000})
    handling: Series[str] = field("处理情况", widget="textarea", required=False, str_length={"max_value": 2000})
    result: Series[str] = field("处理结果", widget="textarea", required=False, str_length={"max_value": 1000})
    closed: Series[pd.BooleanDtype] = field("已办结", widget="checkbox")

    @rule("result", message="办结异议时须填写处理结果")
    def _closed_needs_result(cls, df):
        return ~df["closed"].fillna(False).astype(bool) | df["result"].map(lambda v: not blank(v))
