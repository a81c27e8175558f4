"""孵化: mentors, pairings, mentoring sessions and their agreed actions; stage changes, 入壳/出壳 decisions
and ratings (等级评估)."""
from __future__ import annotations

import pandas as pd
import pandera.pandas as pa
from pandera.typing.pandas import Series

from schemas.base import Bound, FormSchema, blank, field, rule
from schemas.checks import normalise_phone
from schemas.choices import INCUBATION_CRITERIA


# ---- one-to-one mentoring ------------------------------------------------------------------------

class Mentor(FormSchema):
    name: Series[str] = field("导师姓名", name=True, str_length={"min_value": 2, "max_value": 50})
    speciality: Series[str] = field("专长", widget="select", source="mentor_specialities",
                                    help="公益领域专家、资深项目管理者或财务合规顾问")
    username: Series[str] = field("评审专家账号", widget="select", source="reviewers", required=False,
                                  help="导师同时是评审专家时选择其账号:近两年辅导过的组织,不会分配给他评审")
    employer: Series[str] = field("工作单位", name=True, required=False, str_length={"max_value": 100})
    phone: Series[str] = field("联系电话", required=False, phone_cn=(), help="手机号或带区号的固定电话")
    active: Series[pd.BooleanDtype] = field("在聘", widget="checkbox", help="取消勾选后不能再安排新的结对")
    notes: Series[str] = field("备注", widget="textarea", required=False, str_length={"max_value": 500})

    @pa.parser("phone")
    @classmethod
    def _normalise_phone(cls, s: pd.Series) -> pd.Series:
        return s.map(lambda v: (normalise_phone(v) or v) if isinstance(v, str) else v)


class Pairing(FormSchema):
    mentor_id: Series[pd.Int64Dtype] = field("导师", widget="select", source="mentors", help="只列出在聘的导师")
    org_id: Series[pd.Int64Dtype] = field("辅导组织", widget="select", source="orgs")
    start_date: Series[pd.Timestamp] = field("结对开始日期", widget="date")
    end_date: Series[pd.Timestamp] = field("结对结束日期", widget="date", required=False, help="留空表示仍在辅导")
    notes: Series[str] = field("备注", widget="textarea", required=False, str_length={"max_value": 500})

    @rule("end_date", message="结对结束日期不能早于开始日期")
    def _end_after_start(cls, df):
        return df["end_date"].isna() | df["start_date"].isna() | (df["end_date"] >= df["start_date"])


class MentoringSession(FormSchema):
    pairing_id: Series[pd.Int64Dtype] = field("导师结对", widget="select", source="pairings", help="导师 → 组织")
    session_date: Series[pd.Timestamp] = field("辅导日期", widget="date", not_future=(),
                                               after=Bound("pairing_start", "结对开始日期"),
                                               before=Bound("pairing_end", "结对结束日期"))
    hours: Series[float] = field("辅导时长(小时)", widget="float", gt=0, le=24)
    module: Series[str] = field("辅导模块", widget="select", source="mentoring_modules")
    form: Series[str] = field("辅导形式", widget="select", source="mentoring_forms", help="面谈、线上或现场")
    findings: Series[str] = field("发现的问题与建议", widget="textarea", str_length={"min_value": 2, "max_value": 2000})


class MentoringAction(FormSchema):
    """One agreed action of a session (a row of the session form's table)."""
    action: Series[str] = field("待办事项", str_length={"min_value": 2, "max_value": 200})
    owner: Series[str] = field("负责人", name=True, str_length={"max_value": 50})
    due_date: Series[pd.Timestamp] = field("完成期限", widget="date", after=Bound("session_date", "辅导日期"))


# ---- lifecycle, incubation, ratings --------------------------------------------------------------
# context (core.incubation.lifecycle): the organisation's registration date
AFTER_REGISTRATION = Bound("reg_date", "登记/备案日期")


class StageChange(FormSchema):
    org_id: Series[pd.Int64Dtype] = field("社会组织", widget="select", source="orgs")
    to_stage: Series[str] = field("新的发展阶段", widget="select", source="stages")
    changed_on: Series[pd.Timestamp] = field("变更日期", widget="date", not_future=())
    reason: Series[str] = field("变更依据", widget="textarea", str_length={"min_value": 4, "max_value": 500},
                                help="如:完成登记、独立运作项目、能力评估结果")


def _criteria_fit(kinds: pd.Series, criteria: pd.Series) -> pd.Series:
    return pd.Series([blank(c) or blank(k) or k not in INCUBATION_CRITERIA or set(c) <= set(INCUBATION_CRITERIA[k])
                      for k, c in zip(kinds, criteria)], index=kinds.index)


class IncubationDecision(FormSchema):
    org_id: Series[pd.Int64Dtype] = field("社会组织", widget="select", source="orgs")
    kind: Series[str] = field("决定", widget="select", source="incubation_kinds", help="入壳或出壳")
    decided_on: Series[pd.Timestamp] = field("决定日期", widget="date", not_future=(), after=AFTER_REGISTRATION)
    criteria_met: Series[object] = field("符合的标准", widget="multiselect", source="incubation_criteria")
    note: Series[str] = field("说明", widget="textarea", required=False, str_length={"max_value": 500})

    @rule("criteria_met", message="所选标准须属于本次决定(入壳或出壳)的标准")
    def _criteria_of_kind(cls, df):
        return _criteria_fit(df["kind"], df["criteria_met"])

    @rule("note", message="未满足全部标准时,请在说明中写明仍作此决定的理由")
    def _exception_explained(cls, df):
        full = pd.Series([blank(c) or blank(k) or k not in INCUBATION_CRITERIA
                          or set(INCUBATION_CRITERIA[k]) <= set(c) for k, c in zip(df["kind"], df["criteria_met"])],
                         index=df.index)
        return full | df["note"].map(lambda v: not blank(v))


class EntryForm(IncubationDecision):
    """The 入壳 form: only the entry criteria are offered."""
    criteria_met: Series[object] = field("符合的入壳标准", widget="multiselect", source="entry_criteria")


class ExitForm(IncubationDecision):
    """The 出壳 form: only the graduation criteria are offered."""
    criteria_met: Series[object] = field("符合的出壳标准", widget="multiselect", source="exit_criteria")


class Rating(FormSchema):
    org_id: Series[pd.Int64Dtype] = field("社会组织", widget="select", source="orgs")
    level: Series[str] = field("评估等级", widget="select", source="ratings")
    score: Series[float] = field("评估得分(满分1000)", widget="float", ge=0, le=1000,
                                 help="基础条件、内部治理、工作绩效、社会评价合计")
    rated_on: Series[pd.Timestamp] = field("评估日期", widget="date", not_future=(), after=AFTER_REGISTRATION,
                                           help="等级有效期5年;满2年后可申请晋级")
    note: Series[str] = field("说明", widget="textarea", required=False, str_length={"max_value": 500})


__all__ = ["Mentor", "Pairing", "MentoringSession", "MentoringAction", "StageChange", "IncubationDecision",
           "EntryForm", "ExitForm", "Rating"]
