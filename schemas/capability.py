"""能力建设: trainings, their sign-in and feedback, the capability-assessment instrument, the assessment
form (built per instrument version) and the dimension -> support mapping."""
from __future__ import annotations

import pandas as pd
import pandera.pandas as pa
from pandera.typing.pandas import Series

from schemas.base import DATE_PARSER, FormSchema, context_rule, field
from schemas.checks import normalise_phone
from schemas.choices import canonical_period

# (dimension, weight, ((indicator, guidance), ...)) — the first version of the instrument; weights sum to 100
DEFAULT_INSTRUMENT_NAME = "社会组织能力评估工具"
DEFAULT_INSTRUMENT = (
    ("内部治理", 15, (
        ("章程与制度", "章程完备,议事、财务、人事等制度齐全并实际执行"),
        ("决策机制", "理事会或核心成员会议定期召开,决策有记录"),
        ("信息公开", "按要求公开年报、项目和财务信息"),
    )),
    ("项目管理", 20, (
        ("需求调研", "项目基于调研,服务对象和需求清楚具体"),
        ("计划与执行", "有目标、进度和分工,按计划推进"),
        ("过程记录", "活动记录、签到、照片等过程资料完整"),
        ("总结改进", "项目结束有总结,并据此改进"),
    )),
    ("财务管理", 15, (
        ("财务制度", "有书面财务制度,会计与出纳分设"),
        ("账目规范", "账目清楚、票据合规、专款专用"),
        ("预算执行", "预算编制合理,执行偏差有说明"),
    )),
    ("人力资源", 10, (
        ("团队稳定", "核心成员稳定,有专职或固定工作人员"),
        ("志愿者管理", "志愿者招募、培训、激励有制度并执行"),
        ("学习成长", "成员参加培训,分工明确并有成长计划"),
    )),
    ("品牌传播", 10, (
        ("品牌识别", "有清楚的名称、标识和服务品牌"),
        ("传播渠道", "有公众号等渠道并定期发布"),
    )),
    ("资源动员", 15, (
        ("资金来源", "资金来源多元,不只依赖政府购买服务"),
        ("合作伙伴", "与企业、基金会、社区有稳定合作"),
        ("社区资源", "能链接社区场地、志愿者等资源"),
    )),
    ("服务成效", 15, (
        ("服务规模", "服务人次和覆盖范围达到计划"),
        ("服务质量", "服务对象满意度高,有反馈机制"),
        ("社会影响", "形成可推广的经验,或获得媒体报道、表彰"),
    )),
)
SCORE_HELP = "1 很差 · 2 较差 · 3 一般 · 4 较好 · 5 很好"
PERIOD_SOURCE = "assessment_periods"  # schemas.choices.assessment_periods: "2026年上半年", "2026年度", ...


# ---- trainings ------------------------------------------------------------------------------------
class Training(FormSchema):
    title: Series[str] = field("培训名称", str_length={"min_value": 2, "max_value": 100})
    kind: Series[str] = field("培训形式", widget="select", source="training_kinds")
    topic: Series[str] = field("主题领域", widget="select", source="training_topics",
                               help="用于按主题统计培训成效,并对应到能力评估的维度")
    training_date: Series[pd.Timestamp] = field("培训日期", widget="date")
    trainer: Series[str] = field("授课老师", name=True, required=False, str_length={"max_value": 50})
    partner: Series[str] = field("合作机构", name=True, required=False, str_length={"max_value": 100})
    capacity: Series[pd.Int64Dtype] = field("计划名额(人)", widget="int", required=False, ge=1, le=10000,
                                            help="用于计算到课率:参训人次 ÷ 计划名额")
    place: Series[str] = field("地点", required=False, str_length={"max_value": 100}, help="线上课程可填平台名称")
    notes: Series[str] = field("备注", widget="textarea", required=False, str_length={"max_value": 1000})


class Attendance(FormSchema):
    training_id: Series[pd.Int64Dtype] = field("培训", widget="select", source="trainings")
    org_id: Series[pd.Int64Dtype] = field("组织名称", widget="select", source="orgs",
                                          help="签到表中填写与台账一致的组织全称")
    person: Series[str] = field("姓名", name=True, str_length={"max_value": 30})
    position: Series[str] = field("职务", required=False, str_length={"max_value": 30})
    phone: Series[str] = field("联系电话", required=False, phone_cn=(), help="手机号或带区号的固定电话")

    @pa.parser("phone")
    @classmethod
    def _normalise_phone(cls, s: pd.Series) -> pd.Series:
        return s.map(lambda v: (normalise_phone(v) or v) if isinstance(v, str) else v)

    @context_rule("training_id")
    def _held(record, context):
        """A sign-in (dated today) is not before the training (context: training_date)."""
        held, today = context.get("training_date"), context["today"]
        if held is not None and held > today:
            return f"培训日期 {held.isoformat()} 晚于今天 {today.isoformat()}:培训举行当天或之后才能签到"
        return None


class _FeedbackScores(FormSchema):
    usefulness: Series[pd.Int64Dtype] = field("实用性", widget="int", ge=1, le=5,
                                              help="内容对工作是否有用。" + SCORE_HELP)
    clarity: Series[pd.Int64Dtype] = field("讲解清晰度", widget="int", ge=1, le=5, help=SCORE_HELP)
    fit: Series[pd.Int64Dtype] = field("契合需求", widget="int", ge=1, le=5,
                                       help="与本组织当前需要的契合程度。" + SCORE_HELP)
    comment: Series[str] = field("意见建议", widget="textarea", required=False, str_length={"max_value": 500})


class Feedback(_FeedbackScores):
    attendance_id: Series[pd.Int64Dtype] = field("参训人员", widget="int", ge=1)


class FeedbackSheet(_FeedbackScores):
    """A row of an imported feedback sheet: the attendee named by organisation and person."""
    training_id: Series[pd.Int64Dtype] = field("培训", widget="select", source="trainings")
    org_id: Series[pd.Int64Dtype] = field("组织名称", widget="select", source="orgs")
    person: Series[str] = field("姓名", name=True, str_length={"max_value": 30})


# ---- capability assessment ------------------------------------------------------------------------
class Instrument(FormSchema):
    name: Series[str] = field("工具名称", str_length={"min_value": 2, "max_value": 50})
    note: Series[str] = field("版本说明", widget="textarea", required=False, str_length={"max_value": 500},
                              help="本版本改了什么、为什么改")


class InstrumentRow(FormSchema):
    """One line of the instrument editor: an indicator with its dimension and the dimension's weight."""
    dimension: Series[str] = field("维度", str_length={"min_value": 2, "max_value": 20})
    weight: Series[float] = field("维度权重", widget="float", gt=0, le=100)
    indicator: Series[str] = field("指标", str_length={"min_value": 2, "max_value": 50})
    guidance: Series[str] = field("评分指引", widget="textarea", required=False, str_length={"max_value": 500})


class Dimension(FormSchema):
    name: Series[str] = field("维度", str_length={"min_value": 2, "max_value": 20})
    weight: Series[float] = field("维度权重", widget="float", gt=0, le=100)


class Indicator(FormSchema):
    name: Series[str] = field("指标", str_length={"min_value": 2, "max_value": 50})
    guidance: Series[str] = field("评分指引", widget="textarea", required=False, str_length={"max_value": 500})


class SupportMapping(FormSchema):
    dimension: Series[str] = field("能力维度", str_length={"min_value": 2, "max_value": 20})
    modules: Series[object] = field("对应辅导模块", widget="multiselect", source="mentoring_modules", required=False)
    topics: Series[object] = field("对应培训主题", widget="multiselect", source="training_topics", required=False)


def score_field(indicator_id: int) -> str:
    return f"score_{indicator_id}"


def assessment_schema(dimensions: list[dict]) -> pa.DataFrameSchema:
    """The assessment form of one instrument version: one whole score 1-5 per indicator (its guidance
    as help), then period, assessor, date and evidence. ``dimensions``: [{name, indicators: [{id, name,
    guidance}]}] in order (``core.incubation.assessments.instrument``)."""
    columns = {}
    for d in dimensions:
        for ind in d["indicators"]:
            columns[score_field(ind["id"])] = pa.Column(
                pd.Int64Dtype(), nullable=False, coerce=True, checks=[pa.Check.in_range(1, 5)],
                metadata={"label": f"{d['name']}·{ind['name']}", "widget": "int",
                          "help": " ".join(x for x in (ind.get("guidance"), SCORE_HELP) if x)})
    columns["period"] = pa.Column(
        str, nullable=False, coerce=True,
        parsers=[pa.Parser(lambda s: s.map(canonical_period))],  # "2026下半年" is the period 2026年下半年
        checks=[pa.Check.in_choices(source=PERIOD_SOURCE)],
        metadata={"label": "评估期", "widget": "select", "source": PERIOD_SOURCE,
                  "help": "从列表中选择:某年上半年、下半年、年度或季度;同一评估期的组织放在一起比较(中位数、趋势)"})
    columns["assessor"] = pa.Column(
        str, nullable=False, coerce=True, checks=[pa.Check.str_length(max_value=50), pa.Check.plain_text()],
        metadata={"label": "评估人", "widget": "text"})
    columns["assessed_on"] = pa.Column(
        "datetime64[ns]", nullable=False, coerce=True,
        parsers=[DATE_PARSER], checks=[pa.Check.ge(pd.Timestamp("2000-01-01")), pa.Check.date_range(),
                                       pa.Check.not_future()],
        metadata={"label": "评估日期", "widget": "date"})
    columns["evidence"] = pa.Column(
        str, nullable=True, coerce=True, checks=[pa.Check.str_length(max_value=2000), pa.Check.plain_text()],
        metadata={"label": "佐证说明", "widget": "textarea", "help": "查阅的材料、访谈、现场观察等"})
    return pa.DataFrameSchema(columns, name="Assessment", coerce=True)


__all__ = ["Training", "Attendance", "Feedback", "FeedbackSheet", "Instrument", "InstrumentRow", "Dimension",
           "Indicator", "SupportMapping", "assessment_schema", "score_field", "DEFAULT_INSTRUMENT",
           "DEFAULT_INSTRUMENT_NAME", "PERIOD_SOURCE", "SCORE_HELP"]
