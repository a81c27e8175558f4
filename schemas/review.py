"""专家评审: rubric criteria, expert profiles and affiliations, the scoring form (built per rubric)."""
from __future__ import annotations

import pandas as pd
import pandera.pandas as pa
from pandera.typing.pandas import Series

from schemas.base import RULE_FIELDS, FormSchema, blank, field, rule
from schemas.stored import stored

DEFAULT_RUBRIC = (
    ("需求分析", 20, "服务对象的需求是否真实、具体,有调研或数据支撑"),
    ("项目设计", 25, "目标、活动与需求是否对应,计划是否清楚可行"),
    ("执行能力", 20, "团队经验、人员配置、过往项目执行情况"),
    ("预算合理性", 15, "预算科目是否合理、单价是否适当、有无配套资金"),
    ("创新性", 10, "服务方式或内容是否有新意,能否形成示范"),
    ("可持续性", 10, "项目结束后能否持续,资源动员和影响力"),
)
RECOMMENDATIONS = ("推荐", "可推荐", "不推荐")
RELATIONS = ("理事", "顾问", "员工", "志愿者")
LOW_SCORE_SHARE = 0.6  # a score below 60% of the maximum needs a comment


class Criterion(FormSchema):
    name: Series[str] = field("评分项", str_length={"min_value": 2, "max_value": 30})
    max_score: Series[float] = field("满分", widget="float", gt=0, le=100)
    weight: Series[float] = field("权重", widget="float", gt=0, le=100)
    guidance: Series[str] = field("评分要点", widget="textarea", required=False, str_length={"max_value": 500})


class ReviewerProfile(FormSchema):
    title: Series[str] = field("职称/身份", required=False, str_length={"max_value": 50}, help="如:高校副教授、资深社工")
    employer: Series[str] = field("工作单位", name=True, required=False, str_length={"max_value": 100})
    expertise: Series[object] = field("擅长领域", widget="multiselect", source="project_categories",
                                      help="自动分配时优先匹配这些项目类别")
    communities: Series[object] = field("熟悉的社区", widget="multiselect", source="communities", required=False)
    load_cap: Series[pd.Int64Dtype] = field("单批次评审上限(个)", widget="int", required=False, ge=1, le=200,
                                            help="留空则使用批次设置")
    notes: Series[str] = field("备注", widget="textarea", required=False, str_length={"max_value": 500})


class Affiliation(FormSchema):
    org_id: Series[pd.Int64Dtype] = field("关联组织", widget="select", source="orgs")
    relation: Series[str] = field("关系", widget="select", source="relations", help="理事、顾问、员工或志愿者")
    note: Series[str] = field("说明", required=False, str_length={"max_value": 200})


class Override(FormSchema):
    recommended: Series[pd.BooleanDtype] = field("列入资助推荐", widget="checkbox")
    reason: Series[str] = field("调整原因", widget="textarea", str_length={"min_value": 4, "max_value": 500},
                                help="将记入审计日志")


class ReopenReason(FormSchema):
    reason: Series[str] = field("重新开放的原因", widget="textarea", str_length={"min_value": 4, "max_value": 500})


class FlagResolution(FormSchema):
    reason: Series[str] = field("解除理由", widget="textarea", str_length={"min_value": 4, "max_value": 500},
                                help="为什么不送复评也可以采用现有评分;将记入审计日志和专家评分汇总表")


def _commented(scores: pd.Series, comments: pd.Series, top: float) -> pd.Series:
    """True where no comment is needed (no score, an unreadable one — its own field says so — or at least
    60% of the maximum) or one is given."""
    value = pd.to_numeric(scores, errors="coerce")
    return value.isna() | (value >= LOW_SCORE_SHARE * top) | comments.map(lambda v: not blank(v))


def _rule(df: pd.DataFrame, score: str, comment: str, top: float, message: str) -> pd.Series:
    """The low-score-needs-a-comment rule. RULE_FIELDS maps a message to its field for the whole process,
    and every round's default rubric has the same criterion names (so the same messages) with other
    ids: the mapping is set again while this schema is being validated, so the message lands under
    this form's own comment field, whichever rubric was built last."""
    RULE_FIELDS[message] = (comment,)
    return _commented(df[score], df[comment], top)


def _numeric(s: pd.Series) -> pd.Series:
    return pd.to_numeric(s.where(s.map(_is_number)), errors="coerce")


def _is_number(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _numbers(s: pd.Series) -> pd.Series:
    """True where the value is a number (or empty): text, booleans and the like are 格式不正确."""
    return s.map(lambda v: v is None or _is_number(v) or (hasattr(v, "dtype") and pd.api.types.is_number(v))) | s.isna()


def _whole(s: pd.Series) -> pd.Series:
    """16.0 and "16" -> 16 (a whole-point score is an integer), "15.5" -> 15.5 (refused by the step check);
    anything else is left for the checks."""
    def one(v):
        if isinstance(v, str):
            try:
                v = float(v.strip())
            except ValueError:
                return v
        if isinstance(v, float) and v == v and v.is_integer():
            return int(v)
        return v

    return s.map(one).astype(object)


def scoring_schema(criteria: list[dict], *, half_points: bool, submit: bool) -> pa.DataFrameSchema:
    """One score (bounded by the criterion's maximum, whole or half points) and one comment per
    criterion, plus the overall recommendation. ``submit=False`` (a draft) leaves everything optional."""
    step = 0.5 if half_points else 1.0
    columns, checks = {}, []
    for c in criteria:
        cid, top = c["id"], float(c["max_score"])
        name = f"score_{cid}"
        meta = {"label": f"{c['name']}(满分{top:g})", "help": c.get("guidance")}
        if half_points:
            columns[name] = pa.Column(
                float, nullable=not submit, coerce=True,
                checks=[pa.Check.in_range(0, top), pa.Check(lambda s, st=step: (s / st).round(6) % 1 == 0,
                                                             element_wise=False, error="score_step")],
                # ("step"/"input_format": for the form engine once it honours them; today "float" steps by 0.01;
                # "format", how values read, is schemas.base.FORMATS' and follows the widget: number)
                metadata={**meta, "widget": "float", "step": step, "input_format": "%.1f", "format": "number"})
        else:
            # whole points: an integer input ("16", never "16.00") and an integer value; a number with a
            # fraction is refused with the step message, anything else as 格式不正确
            columns[name] = pa.Column(
                None, nullable=not submit, parsers=[pa.Parser(_whole)],
                checks=[pa.Check(_numbers, element_wise=False, error="coerce_dtype"),
                        pa.Check(lambda s, t=top: _numeric(s).between(0, t) | s.isna(), element_wise=False,
                                 error=f"in_range(0, {top:g})"),
                        pa.Check(lambda s: (_numeric(s) % 1 == 0) | s.isna(), element_wise=False, error="score_step")],
                metadata={**meta, "widget": "int", "step": 1, "input_format": "%d", "format": "number"})
        columns[f"comment_{cid}"] = pa.Column(
            str, nullable=True, coerce=True, checks=[pa.Check.str_length(max_value=1000), pa.Check.plain_text()],
            metadata={"label": f"{c['name']}评语", "widget": "text"},
        )
        if not submit:
            continue  # a draft may be saved without its comments
        message = f"「{c['name']}」得分低于满分的60%,请填写评语"
        RULE_FIELDS[message] = (f"comment_{cid}",)
        checks.append(pa.Check(lambda df, n=name, k=f"comment_{cid}", t=top, m=message: _rule(df, n, k, t, m),
                               error=message))
    columns["recommendation"] = pa.Column(
        str, nullable=not submit, coerce=True, checks=[pa.Check.isin(list(RECOMMENDATIONS))],
        metadata={"label": "总体推荐意见", "widget": "select", "source": "recommendations"},
    )
    return pa.DataFrameSchema(columns, checks=checks, name="Review", coerce=True)


__all__ = ["Criterion", "ReviewerProfile", "Affiliation", "Override", "ReopenReason", "FlagResolution",
           "scoring_schema",
           "DEFAULT_RUBRIC", "RECOMMENDATIONS", "RELATIONS", "rule"]


# ---- stored rows the review screens write (not forms): their columns, labels read where declared --------


class Assignment(FormSchema):
    """评审分配: an application given to a reviewer; the reviewer declares no conflict or recuses."""
    application_id: Series[pd.Int64Dtype] = stored("application_id", "assignments", widget="int")
    reviewer: Series[str] = stored("reviewer", "assignments")
    status: Series[str] = stored("status", "assignments", isin=["assigned", "recused"])
    no_conflict_at: Series[pd.Timestamp] = stored("no_conflict_at", "assignments", widget="datetime", required=False)
    recused_reason: Series[str] = stored("recused_reason", "assignments", widget="textarea", required=False,
                                         str_length={"max_value": 500})


class StoredReview(FormSchema):
    """专家评分 as stored: one reviewer's review of one assignment (the form is :func:`scoring_schema`)."""
    assignment_id: Series[pd.Int64Dtype] = stored("assignment_id", "reviews", label="评审任务编号", widget="int")
    application_id: Series[pd.Int64Dtype] = stored("application_id", "reviews", widget="int")
    reviewer: Series[str] = stored("reviewer", "reviews")
    status: Series[str] = stored("status", "reviews", isin=["draft", "submitted"])
    recommendation: Series[str] = stored("recommendation", "reviews", widget="select", required=False,
                                         source="recommendations")
    total: Series[float] = stored("total", "reviews", widget="float", required=False, ge=0)
    submitted_at: Series[pd.Timestamp] = stored("submitted_at", "reviews", widget="datetime", required=False)
    reopened_reason: Series[str] = stored("reopened_reason", "reviews", widget="textarea", required=False)


class ReviewScore(FormSchema):
    """分项得分: one criterion's score and comment of a review."""
    review_id: Series[pd.Int64Dtype] = stored("review_id", "review_scores", label="专家评分编号", widget="int")
    criterion_id: Series[pd.Int64Dtype] = stored("criterion_id", "review_scores", label="评分项编号", widget="int")
    score: Series[float] = stored("score", "review_scores", widget="float", required=False, ge=0)
    comment: Series[str] = stored("comment", "review_scores", widget="textarea", required=False)
