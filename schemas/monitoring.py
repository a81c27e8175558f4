"""动态监管: brands and service points, the agreement of a funded project, milestones, the service
ledger (activities), tranche releases, expenses, mid-term/final evaluations, risk acknowledgements,
the per-round monitoring policy. Rules that need the database (gates, budget margin) live in core."""
from __future__ import annotations

import pandas as pd
import pandera.pandas as pa
from pandera.typing.pandas import Series

from schemas.base import Bound, FormSchema, blank, field, round_earliest, round_latest, rule
from schemas.choices import ACTIVITY_KINDS, BRAND_TIERS, BUDGET_LINES, EVALUATION_METHODS, GRADES  # noqa: F401

PROJECT_STATES = {"active": "执行中", "stopped": "停止拨付", "terminated": "已终止", "closed": "已结项"}
TRANCHE_GATES = {"signing": "签约后", "midterm": "中期评估通过后", "final": "末期评估通过后"}
TRANCHE_STATUS = {"planned": "待拨付", "released": "已拨付", "cancelled": "已取消"}
EVALUATION_KINDS = {"midterm": "中期评估", "final": "末期评估"}
EVALUATION_OUTCOMES = {"pass": "通过", "stop": "停止拨付", "terminate": "终止项目"}

# the defaults of a round without its own monitoring policy
DEFAULT_TRANCHES = ((50.0, "signing"), (30.0, "midterm"), (20.0, "final"))
DEFAULT_GRADE_A = 85.0
DEFAULT_GRADE_B = 60.0
DEFAULT_PASS_GRADES = ("A", "B")
# the evaluation item that residents' satisfaction surveys feed (core.monitoring.evaluations.satisfaction_field):
# a round's scoring form that names an item so gets the survey's suggested score
SATISFACTION_ITEM = "服务成效与满意度"
DEFAULT_EVAL_FORM = (  # (item, maximum points); full mark 100
    ("目标完成情况", 30.0),
    (SATISFACTION_ITEM, 25.0),
    ("经费使用规范", 20.0),
    ("过程管理与档案", 15.0),
    ("团队与组织能力", 10.0),
)
DEFAULT_EXPENSE_MARGIN = 10.0  # %
DEFAULT_REPORT_GRACE_DAYS = 30


# the dates of an agreement fall in (or near) its round's year (context: round_year)
IN_ROUND = {"after": Bound(round_earliest, "{round_year}年度批次的最早日期"),
            "before": Bound(round_latest, "{round_year}年度批次的最晚日期")}
# context of a project's records (core.monitoring.projects.date_context): its agreement's dates
AFTER_SIGNING = Bound("agreement_date", "签约日期")
FROM_START = Bound("start_date", "协议执行开始日期")
TO_END = Bound("end_date", "协议执行结束日期")
ACK_MONTHS = 6  # a warning is silenced for at most this many months


def _lines_sum(df: pd.DataFrame) -> pd.Series:
    return sum(df[c].astype(float).fillna(0) for c in BUDGET_LINES)


class Brand(FormSchema):
    name: Series[str] = field("品牌名称", name=True, str_length={"min_value": 2, "max_value": 50})
    tier: Series[str] = field("品牌类别", widget="select", source="brand_tiers",
                              help="核心品牌:中心重点打造、覆盖全街道;特色品牌:小而专的服务")
    description: Series[str] = field("品牌简介", widget="textarea", required=False, str_length={"max_value": 1000})


class ServicePoint(FormSchema):
    brand_id: Series[pd.Int64Dtype] = field("所属品牌", widget="select", source="brands")
    community: Series[str] = field("所在社区", widget="select", source="communities")
    name: Series[str] = field("服务点名称", name=True, str_length={"min_value": 2, "max_value": 60})
    address: Series[str] = field("地址", required=False, str_length={"max_value": 200})


class Agreement(FormSchema):
    agreement_no: Series[str] = field("协议编号", str_length={"min_value": 3, "max_value": 40},
                                      help="如:XS-GY-2026-001")
    agreement_date: Series[pd.Timestamp] = field("签约日期", widget="date", **IN_ROUND)
    granted_amount: Series[float] = field("资助金额(元)", widget="float", format="money", money=())
    start_date: Series[pd.Timestamp] = field("执行开始", widget="date", **IN_ROUND)
    end_date: Series[pd.Timestamp] = field("执行结束", widget="date", **IN_ROUND)
    planned_activities: Series[pd.Int64Dtype] = field("计划活动场次", widget="int", ge=1, le=100_000)
    planned_person_times: Series[pd.Int64Dtype] = field("计划服务人次", widget="int", ge=1, le=10_000_000)
    communities: Series[object] = field("服务社区", widget="multiselect", source="communities")
    brand_id: Series[pd.Int64Dtype] = field("所属品牌", widget="select", source="brands", required=False)
    budget_personnel: Series[float] = field("预算:人员(元)", widget="float", format="money", money=())
    budget_materials: Series[float] = field("预算:物资(元)", widget="float", format="money", money=())
    budget_venue: Series[float] = field("预算:场地(元)", widget="float", format="money", money=())
    budget_publicity: Series[float] = field("预算:宣传(元)", widget="float", format="money", money=())
    budget_other: Series[float] = field("预算:其他(元)", widget="float", format="money", money=())
    funds_self: Series[float] = field("配套资金:自筹(元)", widget="float", format="money", money=(), required=False,
                                      help="项目资金来源(可持续性统计):组织自筹")
    funds_enterprise: Series[float] = field("配套资金:企业(元)", widget="float", format="money", money=(), required=False,
                                            help="企业出资或企业公益认领")
    funds_donation: Series[float] = field("配套资金:基金会与捐赠(元)", widget="float", format="money", money=(), required=False)
    midterm_due: Series[pd.Timestamp] = field("中期报告截止", widget="date", **IN_ROUND)
    final_due: Series[pd.Timestamp] = field("末期报告截止", widget="date", **IN_ROUND)
    notes: Series[str] = field("备注", widget="textarea", required=False, str_length={"max_value": 1000})

    @rule("end_date", message="执行结束日期须晚于开始日期")
    def _period(cls, df):
        return (df["start_date"].isna() | df["end_date"].isna()) | (df["end_date"] > df["start_date"])

    @rule("budget_other", message="各预算科目之和须等于资助金额")
    def _budget(cls, df):
        return df["granted_amount"].isna() | ((_lines_sum(df) - df["granted_amount"].astype(float)).abs() < 0.005)

    @rule("midterm_due", message="中期报告截止日期须在执行期内")
    def _midterm(cls, df):
        ok = df["midterm_due"].isna() | df["start_date"].isna() | df["end_date"].isna()
        return ok | ((df["midterm_due"] > df["start_date"]) & (df["midterm_due"] < df["end_date"]))

    @rule("final_due", message="末期报告截止日期须晚于中期报告截止日期")
    def _final(cls, df):
        return df["final_due"].isna() | df["midterm_due"].isna() | (df["final_due"] > df["midterm_due"])


class ProjectMilestone(FormSchema):
    due_date: Series[pd.Timestamp] = field("计划日期", widget="date", after=FROM_START, before=TO_END)
    deliverable: Series[str] = field("交付成果", str_length={"min_value": 2, "max_value": 200})
    done_on: Series[pd.Timestamp] = field("完成日期", widget="date", required=False, not_future=(),
                                           after=AFTER_SIGNING)
    note: Series[str] = field("说明", required=False, str_length={"max_value": 500})


class Activity(FormSchema):
    project_id: Series[pd.Int64Dtype] = field("项目", widget="select", source="active_projects")
    activity_date: Series[pd.Timestamp] = field("活动日期", widget="date", not_future=(),
                                                 after=FROM_START, before=TO_END)
    community: Series[str] = field("服务社区", widget="select", source="communities")
    place: Series[str] = field("活动地点", required=False, str_length={"max_value": 100})
    venue_id: Series[pd.Int64Dtype] = field("使用场地", widget="select", source="venues", required=False,
                                            help="在资源库场地开展时选择")
    kind: Series[str] = field("活动类型", widget="select", source="activity_kinds")
    title: Series[str] = field("活动主题", str_length={"min_value": 2, "max_value": 100})
    participants: Series[pd.Int64Dtype] = field("参与人数", widget="int", ge=1, le=100_000,
                                                help="到场的不同服务对象人数")
    person_times: Series[pd.Int64Dtype] = field("服务人次", widget="int", ge=1, le=1_000_000,
                                                help="多次服务同一人按次累计,不少于参与人数")
    volunteers: Series[pd.Int64Dtype] = field("志愿者人数", widget="int", ge=0, le=10_000, required=False)
    notes: Series[str] = field("备注", widget="textarea", required=False, str_length={"max_value": 1000})

    @rule("person_times", message="服务人次不能少于参与人数")
    def _times(cls, df):
        ok = df["participants"].isna() | df["person_times"].isna()
        return ok | (df["person_times"].astype("Float64") >= df["participants"].astype("Float64")).fillna(True)


class Release(FormSchema):
    released_on: Series[pd.Timestamp] = field("拨付日期", widget="date", not_future=(), after=AFTER_SIGNING)
    released_amount: Series[float] = field("拨付金额(元)", widget="float", format="money", money=(), gt=0)
    approver: Series[str] = field("审批人", name=True, str_length={"min_value": 2, "max_value": 30})
    note: Series[str] = field("说明", required=False, str_length={"max_value": 500})


class Expense(FormSchema):
    expense_date: Series[pd.Timestamp] = field("支出日期", widget="date", not_future=(),
                                                after=Bound("start_date", "协议开始日期"),
                                                before=Bound("end_date", "协议结束日期"))
    line: Series[str] = field("预算科目", widget="select", source="budget_lines")
    amount: Series[float] = field("金额(元)", widget="float", format="money", money=(), gt=0)
    description: Series[str] = field("用途说明", str_length={"min_value": 2, "max_value": 200})
    voucher_no: Series[str] = field("凭证号", str_length={"min_value": 1, "max_value": 40})
    over_reason: Series[str] = field("超支说明", widget="textarea", required=False, str_length={"max_value": 500},
                                     help="本科目累计支出超出预算的幅度超过规定比例时必填")


class EvaluationBase(FormSchema):
    """The fixed part of an evaluation; the scoring items come from the round's policy (core)."""
    report_date: Series[pd.Timestamp] = field("自评报告提交日期", widget="date", required=False, not_future=(),
                                              after=FROM_START)
    self_report: Series[str] = field("自评报告摘要", widget="textarea", required=False, str_length={"max_value": 3000})
    eval_date: Series[pd.Timestamp] = field("评估日期", widget="date", not_future=(), after=FROM_START)
    method: Series[str] = field("评估方式", widget="select", source="evaluation_methods")
    evaluator: Series[str] = field("评估人", name=True, str_length={"min_value": 2, "max_value": 50})
    evaluator_org_id: Series[pd.Int64Dtype] = field("评估机构(登记组织)", widget="select", source="orgs", required=False,
                                                    help="第三方评估机构是中心登记的社会组织时选择")
    evaluator_partner_id: Series[pd.Int64Dtype] = field("评估机构(合作伙伴)", widget="select", source="partners",
                                                        required=False, help="第三方评估机构是合作伙伴(如高校)时选择")
    evaluator_expert: Series[str] = field("评估专家", widget="select", source="reviewers", required=False,
                                          help="参与评估的专家账号(评审专家)")
    conclusion: Series[str] = field("评估结论", widget="textarea", str_length={"min_value": 2, "max_value": 2000})
    fail_action: Series[str] = field("未通过时的处理", widget="select", source="fail_actions", required=False,
                                     help="评估未通过时必选:停止拨付,或终止项目并追回资金")
    recover_amount: Series[float] = field("追回金额(元)", widget="float", format="money", money=(), required=False,
                                          help="终止项目时填写需追回的金额(可为0)")

    @rule("recover_amount", message="终止项目时须填写追回金额(可为0)")
    def _recover(cls, df):
        return (df["fail_action"] != "terminate") | df["recover_amount"].notna()

    @rule("evaluator_partner_id", message="评估机构只选一个:登记组织或合作伙伴,请清空其中一项")
    def _one_party(cls, df):
        return df["evaluator_org_id"].isna() | df["evaluator_partner_id"].isna()


class RiskAck(FormSchema):
    note: Series[str] = field("处理说明", widget="textarea", str_length={"min_value": 2, "max_value": 500})
    until: Series[pd.Timestamp] = field("跟进至", widget="date",
                                        help=f"到该日期后如情况仍未改善,预警将重新打开;最长{ACK_MONTHS}个月",
                                        before=Bound("today", f"最长跟进期限(今天起{ACK_MONTHS}个月)", months=ACK_MONTHS))


class MonitoringPolicy(FormSchema):
    tranche_shares: Series[str] = field("分期拨付比例(%)", format="percent", help="用逗号分隔,合计100,如:50,30,20")
    tranche_gates: Series[str] = field("各期拨付条件", help="与比例一一对应:签约后 / 中期评估通过后 / 末期评估通过后,用逗号分隔")
    grade_a: Series[float] = field("A 等最低分", widget="float", ge=0, le=1000)
    grade_b: Series[float] = field("B 等最低分", widget="float", ge=0, le=1000)
    pass_grades: Series[object] = field("合格等级", widget="multiselect", source="grades")
    eval_form: Series[str] = field("评估评分表", widget="textarea",
                                   help="每行一项:“指标 分值”,如“目标完成情况 30”;分值合计即满分")
    expense_margin: Series[float] = field("科目超支容许幅度(%)", widget="float", format="percent", ge=0, le=100)
    report_grace_days: Series[pd.Int64Dtype] = field("报告逾期宽限(天)", widget="int", ge=0, le=365,
                                                     help="报告截止后超过该天数仍未提交,视为评估不合格")

    @rule("grade_b", message="B 等最低分须低于 A 等最低分")
    def _grades(cls, df):
        return df["grade_a"].isna() | df["grade_b"].isna() | (df["grade_b"] < df["grade_a"])
