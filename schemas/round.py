"""创投批次: a 公益创投 round's settings, set up by admins."""
from __future__ import annotations

import pandas as pd
from pandera.typing.pandas import Series

from schemas.base import Bound, FormSchema, field, round_earliest, round_latest, rule


# every date of a round falls in (or near) its year: from 1 January of the year before to 31 December
# two years after (its projects run into the following year)
IN_YEAR = {"after": Bound(round_earliest, "{year}年度批次的最早日期"),
           "before": Bound(round_latest, "{year}年度批次的最晚日期")}


def _le(df, a, b):
    return df[a].isna() | df[b].isna() | (df[a] <= df[b])


class Round(FormSchema):
    year: Series[pd.Int64Dtype] = field("年度", widget="int", ge=2018, le=2100)
    name: Series[str] = field("批次名称", name=True, help="如:2026年下沙街道公益创投", str_length={"min_value": 4, "max_value": 100})
    total_budget: Series[float] = field("资金总额(元)", widget="float", format="money", money=(), gt=0)
    project_ceiling: Series[float] = field("单个项目资助上限(元)", widget="float", format="money", money=(), gt=0,
                                           help="常见为8万元")
    max_apps_per_org: Series[pd.Int64Dtype] = field("每个组织可申报项目数", widget="int", ge=1, le=10)
    categories: Series[object] = field("本批次项目类别", widget="multiselect", source="project_categories")
    checklist: Series[object] = field("资格审查清单", widget="lines", help="每行一项,如:登记/备案有效")
    ideas_start: Series[pd.Timestamp] = field("金点子征集开始", widget="date", required=False, **IN_YEAR)
    ideas_end: Series[pd.Timestamp] = field("金点子征集截止", widget="date", required=False, **IN_YEAR)
    apply_start: Series[pd.Timestamp] = field("项目申报开始", widget="date", **IN_YEAR)
    apply_end: Series[pd.Timestamp] = field("项目申报截止", widget="date", **IN_YEAR)
    screening_end: Series[pd.Timestamp] = field("资格审查截止", widget="date", **IN_YEAR)
    review_start: Series[pd.Timestamp] = field("专家评审开始", widget="date", **IN_YEAR)
    review_end: Series[pd.Timestamp] = field("专家评审截止", widget="date", **IN_YEAR)
    notice_start: Series[pd.Timestamp] = field("公示开始", widget="date", **IN_YEAR)
    notice_end: Series[pd.Timestamp] = field("公示结束", widget="date", **IN_YEAR)
    project_start: Series[pd.Timestamp] = field("项目执行期开始", widget="date", **IN_YEAR)
    project_end: Series[pd.Timestamp] = field("项目执行期结束", widget="date", **IN_YEAR, help="常见为8–10个月")
    reviewers_per_app: Series[pd.Int64Dtype] = field("每个项目的评审专家数", widget="int", ge=1, le=30)
    trimmed_mean: Series[pd.BooleanDtype] = field("去掉一个最高分和一个最低分", widget="checkbox",
                                                  help="评审数不少于5份时适用;不勾选则取平均分")
    discrepancy_threshold: Series[float] = field("分差复评阈值(分)", widget="float", ge=0, le=100,
                                                 help="最高分与最低分之差超过该值时提示复评")
    blind_review: Series[pd.BooleanDtype] = field("盲评(专家看不到申报组织)", widget="checkbox")
    half_points: Series[pd.BooleanDtype] = field("允许半分", widget="checkbox")
    notes: Series[str] = field("备注", widget="textarea", required=False, str_length={"max_value": 2000})

    @rule("project_ceiling", message="单个项目资助上限不能超过资金总额")
    def _ceiling(cls, df):
        return _le(df, "project_ceiling", "total_budget")

    @rule("ideas_end", message="金点子征集截止须不早于开始,且不晚于项目申报截止")
    def _ideas(cls, df):
        return _le(df, "ideas_start", "ideas_end") & _le(df, "ideas_end", "apply_end")

    @rule("apply_end", message="项目申报截止须不早于申报开始")
    def _apply(cls, df):
        return _le(df, "apply_start", "apply_end")

    @rule("screening_end", message="资格审查截止须不早于项目申报截止")
    def _screening(cls, df):
        return _le(df, "apply_end", "screening_end")

    @rule("review_start", message="专家评审须在申报截止之后开始,且开始不晚于截止")
    def _review(cls, df):
        return _le(df, "apply_end", "review_start") & _le(df, "review_start", "review_end") & _le(df, "screening_end", "review_end")

    @rule("notice_start", message="公示须在专家评审截止之后,且开始不晚于结束")
    def _notice(cls, df):
        return _le(df, "review_end", "notice_start") & _le(df, "notice_start", "notice_end")

    @rule("project_start", message="项目执行期须在公示结束之后开始,且结束晚于开始")
    def _project(cls, df):
        return _le(df, "notice_end", "project_start") & (
            df["project_start"].isna() | df["project_end"].isna() | (df["project_start"] < df["project_end"]))


class CategoryQuota(FormSchema):
    category: Series[str] = field("项目类别", widget="select", source="project_categories")
    quota: Series[float] = field("类别资金额度(元)", widget="float", format="money", money=(), gt=0)
