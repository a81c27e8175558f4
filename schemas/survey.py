"""居民满意度调查: a survey instrument (问卷: per round, per project, or the standard one) declared as rows of questions
(题目, 题型, 满意度类别, 必答), and the response form built from it (one respondent's answers, entered by staff or read
from an Excel row: :func:`response_schema`). The choice lists are registered with :mod:`schemas.choices` here."""
from __future__ import annotations

import pandas as pd
import pandera.pandas as pa
from pandera.typing.pandas import Series

from schemas import choices
from schemas.base import FormSchema, blank, field, rule

# 题型: a 1–5 satisfaction scale, a yes/no question, free text
SCALE, YESNO, TEXT = "满意度(1–5分)", "是否", "文本"
QUESTION_KINDS = [SCALE, YESNO, TEXT]
CATEGORIES = ["服务内容", "服务态度", "服务效果", "环境与组织", "总体评价"]
SCALE_LABELS = {5: "5 非常满意", 4: "4 满意", 3: "3 一般", 2: "2 不满意", 1: "1 非常不满意"}
SATISFIED_FROM = 4  # an answer of 4 or 5 counts as satisfied (满意率 = share of 4–5 answers)
# words a paper form's row may carry instead of the number (read by the response form's parser)
SCALE_WORDS = {"非常满意": 5, "很满意": 5, "满意": 4, "比较满意": 4, "一般": 3, "基本满意": 3, "不满意": 2,
               "不太满意": 2, "非常不满意": 1, "很不满意": 1}
YES, NO = "是", "否"
SOURCES = ["人工录入", "Excel导入"]

for _source, _values in (("survey_kinds", QUESTION_KINDS), ("satisfaction_categories", CATEGORIES),
                         ("yes_no", [YES, NO]), ("response_sources", SOURCES)):
    choices.register_provider(_source, lambda v=_values: v)
choices.register_provider("satisfaction_scale", lambda: list(SCALE_LABELS), lambda v: SCALE_LABELS.get(v, str(v)))

# the standard instrument of the demo and of a new survey: (题目, 题型, 满意度类别, 必答)
STANDARD_NAME = "社区公益服务居民满意度问卷(标准版)"
STANDARD_QUESTIONS = (
    ("您对本项目服务内容是否符合您的需要感到满意吗", SCALE, "服务内容", True),
    ("您对活动(服务)的频次和时长满意吗", SCALE, "服务内容", True),
    ("您对服务人员的态度满意吗", SCALE, "服务态度", True),
    ("服务人员能及时回应您的问题和需求吗", SCALE, "服务态度", True),
    ("参加服务后,您的生活或困难有改善吗", SCALE, "服务效果", True),
    ("您对本项目带来的社区变化满意吗", SCALE, "服务效果", True),
    ("您对服务场地和环境满意吗", SCALE, "环境与组织", True),
    ("您对活动的组织和通知安排满意吗", SCALE, "环境与组织", True),
    ("总体而言,您对本项目满意吗", SCALE, "总体评价", True),
    ("您愿意向邻居推荐本项目吗", YESNO, "总体评价", True),
    ("您对本项目还有什么意见或建议", TEXT, "总体评价", False),
)


class Survey(FormSchema):
    name: Series[str] = field("问卷名称", str_length={"min_value": 2, "max_value": 60})
    round_id: Series[pd.Int64Dtype] = field("适用批次", widget="select", source="rounds", required=False,
                                            help="该批次的项目都用这份问卷;不选批次和项目即为标准问卷")
    project_id: Series[pd.Int64Dtype] = field("适用项目", widget="select", source="projects", required=False,
                                              help="只用于这一个项目(优先于批次问卷和标准问卷)")
    note: Series[str] = field("问卷说明", widget="textarea", required=False, str_length={"max_value": 500})

    @rule("project_id", message="一份问卷只能适用于一个批次或一个项目:请清空适用批次或适用项目")
    def _one_scope(cls, df):
        return df["round_id"].isna() | df["project_id"].isna()


class SurveyQuestion(FormSchema):
    """One line of the question editor (stored with its survey and its order)."""
    text: Series[str] = field("题目", str_length={"min_value": 2, "max_value": 100})
    kind: Series[str] = field("题型", widget="select", source="survey_kinds",
                              help="满意度(1–5分):5 非常满意 … 1 非常不满意;是否;文本(意见建议)")
    category: Series[str] = field("满意度类别", widget="select", source="satisfaction_categories")
    required: Series[pd.BooleanDtype] = field("必答", widget="checkbox", required=False)


class ResponseHead(FormSchema):
    """What every response records besides the answers (one response = one respondent)."""
    response_date: Series[pd.Timestamp] = field("填写日期", widget="date", not_future=())
    community: Series[str] = field("受访者社区", widget="select", source="communities")
    respondent_group: Series[str] = field("受访人群", widget="select", source="need_groups", required=False,
                                          help="选填,如 一老一小、困境儿童")


class SurveyResponse(ResponseHead):
    """A response as stored (core.resources.surveys): the head, its survey and project, how it came in."""
    survey_id: Series[pd.Int64Dtype] = field("问卷", widget="int", ge=1)
    project_id: Series[pd.Int64Dtype] = field("调查项目", widget="select", source="projects")
    source: Series[str] = field("录入方式", widget="select", source="response_sources")


class SurveyAnswer(FormSchema):
    """One answer as stored: a scale answer 1–5 or a yes/no (1 是, 0 否) in ``score``, free text in ``answer_text``."""
    response_id: Series[pd.Int64Dtype] = field("答卷编号", widget="int", ge=1)
    question_id: Series[pd.Int64Dtype] = field("题目编号", widget="int", ge=1)
    score: Series[pd.Int64Dtype] = field("得分", widget="int", required=False, ge=0, le=5)
    answer_text: Series[str] = field("文字回答", widget="textarea", required=False, str_length={"max_value": 500})

    @rule("score", message="每个答案须有得分或文字回答")
    def _something(cls, df):
        return df["score"].notna() | df["answer_text"].map(lambda v: not blank(v))


def answer_field(question_id: int) -> str:
    return f"q_{question_id}"


def _scale_words(s: pd.Series) -> pd.Series:
    """「满意」, "5", 5.0 or 「5 非常满意」 -> 5 (anything else is left for the checks to refuse)."""
    by_label = {v: k for k, v in SCALE_LABELS.items()}

    def one(v):
        if isinstance(v, str):
            t = v.strip()
            if t in SCALE_WORDS:
                return SCALE_WORDS[t]
            if t in by_label:
                return by_label[t]
            return int(t) if t.isdigit() else t
        if isinstance(v, float) and v == v and v.is_integer():
            return int(v)
        return v
    return s.map(one).astype(object)


def _yes_no(s: pd.Series) -> pd.Series:
    words = {"是": YES, "yes": YES, "y": YES, "1": YES, "√": YES, "愿意": YES, "否": NO, "no": NO, "n": NO, "0": NO,
             "×": NO, "不愿意": NO}
    return s.map(lambda v: words.get(str(int(v) if isinstance(v, float) and v == v else v).strip().lower(), v)
                 if v is not None and not (isinstance(v, float) and v != v) else v)


def response_schema(questions: list[dict]) -> pa.DataFrameSchema:
    """The response form of one survey: :class:`ResponseHead` then one answer per question, ``q_<id>``, labelled
    「序号. 题目」 (the Excel template's headers): a scale answer 1–5 (words such as 满意 are read too), 是/否, or text
    up to 500 characters; required where the question says so. ``questions``: [{id, seq, text, kind, category,
    required}] in order (``core.resources.surveys.questions``)."""
    head = ResponseHead.to_schema()
    columns = dict(head.columns)
    for q in questions:
        label = f"{q['seq']}. {q['text']}"
        nullable = not bool(q.get("required"))
        help_ = f"满意度类别:{q['category']}"
        if q["kind"] == SCALE:
            columns[answer_field(q["id"])] = pa.Column(
                pd.Int64Dtype(), nullable=nullable, coerce=True, parsers=[pa.Parser(_scale_words)],
                checks=[pa.Check.in_range(1, 5)],
                metadata={"label": label, "widget": "select", "source": "satisfaction_scale", "placeholder": None,
                          "help": help_ + ";填 1–5(5 非常满意,1 非常不满意),或写 非常满意、满意、一般、不满意、非常不满意",
                          "format": "number"})
        elif q["kind"] == YESNO:
            columns[answer_field(q["id"])] = pa.Column(
                str, nullable=nullable, coerce=True, parsers=[pa.Parser(_yes_no)],
                checks=[pa.Check.isin([YES, NO])],
                metadata={"label": label, "widget": "select", "source": "yes_no", "placeholder": None,
                          "help": help_ + ";填 是 或 否", "format": "choice"})
        else:
            columns[answer_field(q["id"])] = pa.Column(
                str, nullable=True if nullable else False, coerce=True,
                checks=[pa.Check.str_length(max_value=500), pa.Check.plain_text()],
                metadata={"label": label, "widget": "textarea", "source": None, "placeholder": None, "help": help_,
                          "format": "text"})
    return pa.DataFrameSchema(columns, checks=head.checks, parsers=head.parsers, coerce=True, strict="filter",
                              name="SurveyResponseForm")


__all__ = ["Survey", "SurveyQuestion", "ResponseHead", "SurveyResponse", "SurveyAnswer", "response_schema",
           "answer_field", "QUESTION_KINDS", "CATEGORIES", "SCALE", "YESNO", "TEXT", "SCALE_LABELS", "SATISFIED_FROM",
           "STANDARD_NAME", "STANDARD_QUESTIONS", "YES", "NO", "SOURCES"]
