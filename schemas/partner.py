"""合作伙伴 (partners), their contributions (贡献) and 企业公益认领 (claimable items and claims).

The partner kinds, what partners offer and what a claimable item asks for are declared here once; the choice
lists are registered with :mod:`schemas.choices` when this module is imported."""
from __future__ import annotations

import pandas as pd
import pandera.pandas as pa
from pandera.typing.pandas import Series

from schemas import choices
from schemas.base import FormSchema, field, rule
from schemas.checks import normalise_phone

GOVERNMENT = "政府部门"
ENTERPRISE = "企业"
PARTNER_KINDS = ["企业", "基金会", "高校", "媒体", GOVERNMENT, "爱心人士", "其他社会力量"]
DEPARTMENTS = ["民政", "卫健", "教育", "文旅", "人社", "妇联", "团委", "残联", "其他部门"]
MONEY = "资金"
OFFERS = [MONEY, "场地", "技能志愿者", "物资", "媒体曝光"]
CLAIM_SOURCES = ["金点子", "项目资金缺口", "社区需求", "其他"]
CLAIM_STATUS = {"open": "开放认领", "claimed": "已认领", "done": "已完成", "withdrawn": "已撤回"}
CONTINUITY = {"agreement": "协议合作", "repeated": "多次合作", "once": "单次合作", "none": "暂无贡献"}

for _source, _values in (("partner_kinds", PARTNER_KINDS), ("partner_departments", DEPARTMENTS),
                         ("partner_offers", OFFERS), ("claim_sources", CLAIM_SOURCES)):
    choices.register_provider(_source, lambda v=_values: v)


class Partner(FormSchema):
    name: Series[str] = field("伙伴名称", name=True, str_length={"min_value": 2, "max_value": 100},
                              help="单位全称;爱心人士填姓名")
    kind: Series[str] = field("伙伴类型", widget="select", source="partner_kinds")
    department: Series[str] = field("政府部门类别", widget="select", source="partner_departments", required=False,
                                    help="伙伴类型为政府部门时选择,如 民政、卫健")
    offers: Series[object] = field("可提供资源", widget="multiselect", source="partner_offers",
                                   help="可多选:资金、场地、技能志愿者、物资、媒体曝光")
    contact_person: Series[str] = field("联系人", name=True, required=False, str_length={"max_value": 50})
    contact_phone: Series[str] = field("联系电话", required=False, phone_cn=(), help="手机号或带区号的固定电话")
    address: Series[str] = field("地址", required=False, str_length={"max_value": 200})
    agreement: Series[pd.BooleanDtype] = field("签订合作协议", widget="checkbox", required=False,
                                               help="与中心签订了长期合作协议(协议合作)时勾选")
    agreement_start: Series[pd.Timestamp] = field("协议开始日期", widget="date", required=False)
    agreement_end: Series[pd.Timestamp] = field("协议结束日期", widget="date", required=False)
    notes: Series[str] = field("备注", widget="textarea", required=False, str_length={"max_value": 2000})

    @pa.parser("contact_phone")
    @classmethod
    def _phone(cls, s: pd.Series) -> pd.Series:  # 13857101001 is stored as 138 5710 1001
        return s.map(lambda v: (normalise_phone(v) or v) if isinstance(v, str) else v)

    @rule("department", message="伙伴类型为政府部门时,请选择政府部门类别(如 民政、卫健)")
    def _department(cls, df):
        return (df["kind"] != GOVERNMENT) | df["department"].notna()

    @rule("agreement_start", message="勾选了签订合作协议,请填写协议开始日期")
    def _agreement_start(cls, df):
        return ~df["agreement"].fillna(False).astype(bool) | df["agreement_start"].notna()

    @rule("agreement_end", message="协议结束日期须晚于协议开始日期")
    def _agreement_period(cls, df):
        return df["agreement_start"].isna() | df["agreement_end"].isna() | (df["agreement_end"] > df["agreement_start"])


class Contribution(FormSchema):
    partner_id: Series[pd.Int64Dtype] = field("合作伙伴", widget="select", source="partners")
    contributed_on: Series[pd.Timestamp] = field("贡献日期", widget="date", not_future=())
    kind: Series[str] = field("贡献类型", widget="select", source="partner_offers")
    amount: Series[float] = field("捐赠金额(元)", widget="float", format="money", money=(), required=False, gt=0,
                                  help="贡献类型为资金时填写")
    description: Series[str] = field("贡献内容", required=False, str_length={"max_value": 500},
                                     help="物资、场地、志愿者、媒体曝光等:写明内容和数量")
    estimated_value: Series[float] = field("折合价值(元)", widget="float", format="money", money=(), required=False,
                                           ge=0, help="非资金贡献的估算价值")
    project_id: Series[pd.Int64Dtype] = field("受益项目", widget="select", source="projects", required=False,
                                              help="直接登记的贡献只作记录;经企业公益认领完成的资金计入项目的配套资金")
    notes: Series[str] = field("备注", widget="textarea", required=False, str_length={"max_value": 1000})

    @rule("amount", message="贡献类型为资金时,请填写捐赠金额(元)")
    def _money(cls, df):
        return (df["kind"] != MONEY) | df["amount"].notna()

    @rule("description", message="非资金贡献请填写贡献内容(如 物资名称和数量)")
    def _goods(cls, df):
        return (df["kind"] == MONEY) | df["kind"].isna() | df["description"].notna()


class ClaimItem(FormSchema):
    title: Series[str] = field("认领项目名称", str_length={"min_value": 2, "max_value": 100})
    kind: Series[str] = field("所需资源类型", widget="select", source="partner_offers")
    needed: Series[str] = field("需求说明", widget="textarea", str_length={"min_value": 2, "max_value": 1000},
                                help="需要什么、多少、用于哪里")
    amount_sought: Series[float] = field("认领金额(元)", widget="float", format="money", money=(), required=False,
                                         gt=0, help="所需资源为资金时填写")
    source: Series[str] = field("需求来源", widget="select", source="claim_sources",
                                help="金点子、立项项目的资金缺口或社区需求")
    idea_id: Series[pd.Int64Dtype] = field("来源金点子", widget="select", source="claim_ideas", required=False)
    project_id: Series[pd.Int64Dtype] = field("受益项目", widget="select", source="projects", required=False,
                                              help="资金认领完成后计入该项目的配套资金")
    need_id: Series[pd.Int64Dtype] = field("社区需求编号", widget="int", required=False, ge=1,
                                           help="来源为社区需求时填写需求登记的编号")
    published_on: Series[pd.Timestamp] = field("发布日期", widget="date", not_future=())

    @rule("amount_sought", message="所需资源为资金时,请填写认领金额(元)")
    def _money(cls, df):
        return (df["kind"] != MONEY) | df["amount_sought"].notna()

    @rule("idea_id", message="需求来源为金点子时,请选择来源金点子")
    def _idea(cls, df):
        return (df["source"] != "金点子") | df["idea_id"].notna()

    @rule("project_id", message="需求来源为项目资金缺口时,请选择受益项目")
    def _project(cls, df):
        return (df["source"] != "项目资金缺口") | df["project_id"].notna()

    @rule("need_id", message="需求来源为社区需求时,请填写社区需求编号")
    def _need(cls, df):
        return (df["source"] != "社区需求") | df["need_id"].notna()


class Claim(FormSchema):
    """A partner claims an open item (recorded by staff)."""
    partner_id: Series[pd.Int64Dtype] = field("认领伙伴", widget="select", source="partners")
    claimed_on: Series[pd.Timestamp] = field("认领日期", widget="date", not_future=())
    pledged_amount: Series[float] = field("认捐金额(元)", widget="float", format="money", money=(), required=False,
                                          gt=0, help="资金认领填写;不填则按认领金额")
    pledge_note: Series[str] = field("认领内容", required=False, str_length={"max_value": 500},
                                     help="承诺提供的物资、场地、志愿者等")


class Completion(FormSchema):
    """A claim is fulfilled: the contribution is recorded (money into the project's 配套资金)."""
    completed_on: Series[pd.Timestamp] = field("到位日期", widget="date", not_future=())
    received_amount: Series[float] = field("到位金额(元)", widget="float", format="money", money=(), required=False,
                                           gt=0, help="资金认领填写实际到位金额;不填则按认捐金额")
    received_note: Series[str] = field("到位内容", required=False, str_length={"max_value": 500},
                                       help="物资、场地、志愿者等实际提供的内容")
    estimated_value: Series[float] = field("折合价值(元)", widget="float", format="money", money=(), required=False,
                                           ge=0, help="非资金贡献的估算价值")
