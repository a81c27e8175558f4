"""社会组织台账: one registered (or filed) social organisation."""
from __future__ import annotations

import pandas as pd
import pandera.pandas as pa
from pandera.typing.pandas import Series
from stdnum.cn import uscc as _uscc

from schemas import choices
from schemas.base import FormSchema, field, rule
from schemas.checks import normalise_phone


class Organisation(FormSchema):
    name: Series[str] = field("组织名称", help="与登记证书或备案材料一致的全称", str_length={"min_value": 2, "max_value": 100})
    kind: Series[str] = field("组织类型", widget="select", source="org_kinds",
                              help="社区社会组织(备案)只在社区备案,没有统一社会信用代码")
    uscc: Series[str] = field("统一社会信用代码", required=False, uscc=(),
                              help="18位,登记类组织必填;可含空格或小写,保存时自动规范", placeholder="如 51330100MJ0000000X")
    filing_no: Series[str] = field("备案编号", required=False, str_length={"max_value": 50},
                                   help="社区社会组织(备案)必填")
    reg_date: Series[pd.Timestamp] = field("登记/备案日期", widget="date", required=False, not_future=())
    legal_rep: Series[str] = field("法定代表人/负责人", required=False, str_length={"max_value": 50})
    contact_person: Series[str] = field("联系人", str_length={"max_value": 50})
    contact_phone: Series[str] = field("联系电话", phone_cn=(), help="手机号或带区号的固定电话,如 0571-86001234")
    community: Series[str] = field("所属社区", widget="select", source="communities")
    service_domains: Series[object] = field("服务领域", widget="multiselect", source="service_domains", required=False)
    stage: Series[str] = field("发展阶段", widget="select", source="stages")
    incubation_in: Series[pd.Timestamp] = field("入壳日期", widget="date", required=False, not_future=(),
                                                help="进入孵化基地的日期")
    incubation_out: Series[pd.Timestamp] = field("出壳日期", widget="date", required=False, not_future=(),
                                                 help="孵化结束(出壳)的日期,须晚于入壳日期")
    rating: Series[str] = field("等级评估", widget="select", source="ratings", required=False,
                                help="社会组织等级评估结果,有效期5年")
    rating_date: Series[pd.Timestamp] = field("评估日期", widget="date", required=False, not_future=())
    brought_in_on: Series[pd.Timestamp] = field("引进日期", widget="date", required=False, not_future=(),
                                                help="从外地引进的专业社会组织:引进落地的日期;本地培育的组织不填")
    # nullable boolean dtype: a missing or unrecognised value is reported, not coerced to False/True
    active: Series[pd.BooleanDtype] = field("在册", widget="checkbox", help="取消勾选表示已注销或不再跟踪")
    notes: Series[str] = field("备注", widget="textarea", required=False, str_length={"max_value": 2000})

    @pa.parser("uscc")
    @classmethod
    def _compact_uscc(cls, s: pd.Series) -> pd.Series:
        return s.map(lambda v: _uscc.compact(v) if isinstance(v, str) else v)

    @pa.parser("contact_phone")
    @classmethod
    def _normalise_phone(cls, s: pd.Series) -> pd.Series:
        return s.map(lambda v: (normalise_phone(v) or v) if isinstance(v, str) else v)

    @rule("uscc", message="社会团体、社会服务机构和基金会须填写统一社会信用代码")
    def _uscc_required(cls, df):
        return ~df["kind"].isin(choices.REGISTERED_KINDS) | df["uscc"].notna()

    @rule("uscc", message="统一社会信用代码前两位与组织类型不符(社会团体51、社会服务机构52、基金会53)")
    def _uscc_matches_kind(cls, df):
        expected = df["kind"].map(choices.USCC_KIND_PREFIX)
        return df["uscc"].isna() | expected.isna() | (df["uscc"].str[:2] == expected)

    @rule("uscc", message="备案的社区社会组织没有统一社会信用代码,请改填备案编号")
    def _filed_has_no_uscc(cls, df):
        return (df["kind"] != choices.FILED_KIND) | df["uscc"].isna()

    @rule("filing_no", message="社区社会组织(备案)须填写备案编号")
    def _filing_no_required(cls, df):
        return (df["kind"] != choices.FILED_KIND) | df["filing_no"].notna()

    @rule("incubation_out", message="出壳日期不能早于入壳日期")
    def _out_after_in(cls, df):
        return df["incubation_out"].isna() | df["incubation_in"].isna() | (df["incubation_out"] >= df["incubation_in"])

    @rule("incubation_in", message="填写出壳日期前须先填写入壳日期")
    def _out_needs_in(cls, df):
        return df["incubation_out"].isna() | df["incubation_in"].notna()

    @rule("brought_in_on", message="引进日期不能早于登记/备案日期")
    def _brought_in_after_registration(cls, df):
        return df["brought_in_on"].isna() | df["reg_date"].isna() | (df["brought_in_on"] >= df["reg_date"])

    @rule("rating_date", message="等级评估与评估日期须同时填写")
    def _rating_with_date(cls, df):
        return df["rating"].isna() == df["rating_date"].isna()
