"""社会组织台账: one registered (or filed) social organisation."""
from __future__ import annotations

import pandas as pd
import pandera.pandas as pa
from pandera.typing.pandas import Series
from stdnum.cn import uscc as _uscc

from schemas import choices
from schemas.base import Bound, FormSchema, field, rule
from schemas.checks import normalise_phone, normalise_uscc


def _prefix_rule(kind: str):
    """The cross-field rule: an organisation of ``kind`` has a code starting with its 民政 prefix."""
    prefix = choices.USCC_KIND_PREFIX[kind]
    others = "、".join(f"{k}{p}" for k, p in choices.USCC_KIND_PREFIX.items() if k != kind)
    message = f"统一社会信用代码前两位与组织类型不符:{kind}的代码应以{prefix}开头({others})"

    def check(cls, df):
        # only a well-formed code is compared (a malformed one gets the code's own message alone)
        code_ok = df["uscc"].map(lambda v: isinstance(v, str) and _uscc.is_valid(v)).astype(bool)
        return (df["kind"] != kind) | ~code_ok | (df["uscc"].str[:2] == prefix)

    check.__name__ = check.__qualname__ = f"_uscc_kind_{prefix}"
    return rule("uscc", message=message)(check)


class Organisation(FormSchema):
    name: Series[str] = field("组织名称", name=True, help="与登记证书或备案材料一致的全称", str_length={"min_value": 2, "max_value": 100})
    kind: Series[str] = field("组织类型", widget="select", source="org_kinds",
                              help="社区社会组织(备案)只在社区备案,没有统一社会信用代码")
    uscc: Series[str] = field("统一社会信用代码", required=False, uscc=(),
                              help="18位,登记类组织必填;可含空格、小写或全角字母数字,保存时自动规范为半角大写", placeholder="如 51330100MJ0000000X")
    filing_no: Series[str] = field("备案编号", required=False, str_length={"max_value": 50},
                                   help="社区社会组织(备案)必填")
    reg_date: Series[pd.Timestamp] = field("登记/备案日期", widget="date", required=False, not_future=())
    legal_rep: Series[str] = field("法定代表人/负责人", name=True, required=False, str_length={"max_value": 50})
    contact_person: Series[str] = field("联系人", name=True, str_length={"max_value": 50})
    contact_phone: Series[str] = field("联系电话", phone_cn=(), help="手机号或带区号的固定电话,如 0571-86001234")
    contact_email: Series[str] = field("联系邮箱", required=False, str_length={"max_value": 100},
                                       str_matches=r"^[^@\s]+@[^@\s]+\.[^@\s]+$",
                                       help="联系人的电子邮箱,如 name@example.org;填写后补正、培训、资助协议、"
                                            "中期/末期报告等提醒也会发到这里(可不填)")
    community: Series[str] = field("所属社区", widget="select", source="communities")
    service_domains: Series[object] = field("服务领域", widget="multiselect", source="service_domains", required=False)
    stage: Series[str] = field("发展阶段", widget="select", source="stages")
    incubation_in: Series[pd.Timestamp] = field("入壳日期", widget="date", required=False, not_future=(),
                                                help="进入孵化基地的日期", after=Bound("reg_date", "登记/备案日期"))
    incubation_out: Series[pd.Timestamp] = field("出壳日期", widget="date", required=False, not_future=(),
                                                 help="孵化结束(出壳)的日期,须晚于入壳日期")
    rating: Series[str] = field("等级评估", widget="select", source="ratings", required=False,
                                help="社会组织等级评估结果,有效期5年")
    rating_date: Series[pd.Timestamp] = field("评估日期", widget="date", required=False, not_future=(),
                                              after=Bound("reg_date", "登记/备案日期"))
    brought_in_on: Series[pd.Timestamp] = field("引进日期", widget="date", required=False, not_future=(),
                                                help="从外地引进的专业社会组织:引进落地的日期;本地培育的组织不填")
    # nullable boolean dtype: a missing or unrecognised value is reported, not coerced to False/True
    active: Series[pd.BooleanDtype] = field("在册", widget="checkbox", help="取消勾选表示已注销或不再跟踪")
    notes: Series[str] = field("备注", widget="textarea", required=False, str_length={"max_value": 2000})

    @pa.parser("uscc")
    @classmethod
    def _compact_uscc(cls, s: pd.Series) -> pd.Series:
        return s.map(lambda v: normalise_uscc(v) if isinstance(v, str) else v)

    @pa.parser("contact_phone")
    @classmethod
    def _normalise_phone(cls, s: pd.Series) -> pd.Series:
        return s.map(lambda v: (normalise_phone(v) or v) if isinstance(v, str) else v)

    @rule("uscc", message=f"{'、'.join(choices.REGISTERED_KINDS[:-1])}和{choices.REGISTERED_KINDS[-1]}须填写统一社会信用代码")
    def _uscc_required(cls, df):
        return ~df["kind"].isin(choices.REGISTERED_KINDS) | df["uscc"].notna()

    # one rule per registered kind, so that the message names the prefix that kind's code must have
    _uscc_kind_51 = _prefix_rule("社会团体")
    _uscc_kind_52 = _prefix_rule("社会服务机构")
    _uscc_kind_53 = _prefix_rule("基金会")
    _uscc_kind_59 = _prefix_rule("其他社会组织")

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
