"""提醒与通知 (core.notify): a rule's setting (the admin edits lead time, repeat and channels), an account's chosen
channels, and the stored reminder as the inbox and the 发送失败 list show it."""
import pandas as pd
from pandera.typing.pandas import Series

from schemas import choices
from schemas.base import FormSchema, field

CHANNELS = {"inbox": "站内消息", "email": "电子邮件", "wecom": "企业微信群"}
USER_CHANNELS = ("inbox", "email")  # what one account chooses (the 企业微信 group is the staff's, set per rule)
STATUSES = {"pending": "待发送", "sending": "发送中", "sent": "已送达", "failed": "发送失败(将自动重试)",
            "gave_up": "发送失败(已停止重试)"}

choices.register_provider("notify_channels", lambda: list(CHANNELS), CHANNELS.get)
choices.register_provider("notify_user_channels", lambda: list(USER_CHANNELS), CHANNELS.get)


class NotificationRule(FormSchema):
    """One reminder rule's setting; a rule without a stored row uses its defaults (core.notify.rules.RULES)."""
    code: Series[str] = field("提醒规则代码")
    enabled: Series[pd.BooleanDtype] = field("启用提醒", widget="checkbox")
    lead: Series[pd.Int64Dtype] = field("提前量", widget="int", ge=0, le=365,
                                        help="到期前多久开始提醒(单位见规则;逾期类规则为逾期多久后提醒)")
    repeat_days: Series[pd.Int64Dtype] = field("重复间隔(天)", widget="int", ge=0, le=365,
                                               help="条件仍成立时每隔几天再提醒一次;0 表示只提醒一次")
    channels: Series[object] = field("发送渠道", widget="multiselect", source="notify_channels", required=False,
                                     help="站内消息和电子邮件按各账号自己的选择发送;企业微信群只收发给工作人员的提醒")


class NotificationPref(FormSchema):
    """The channels one account receives reminders on (username '*': the default of accounts that chose none)."""
    username: Series[str] = field("账号", str_length={"min_value": 1, "max_value": 100})
    channels: Series[object] = field("接收渠道", widget="multiselect", source="notify_user_channels", required=False,
                                     help="站内消息显示在左侧导航的「消息」中;电子邮件发到账号登记的邮箱")


class Notification(FormSchema):
    """A reminder as stored (core.notify.queue): the inbox and the 发送失败 list read their labels here."""
    rule: Series[str] = field("提醒类型")
    subject: Series[str] = field("消息标题")
    body: Series[str] = field("消息内容", widget="textarea")
    due_date: Series[pd.Timestamp] = field("相关日期", widget="date")
    recipient: Series[str] = field("接收人")
    channel: Series[str] = field("渠道", widget="select", source="notify_channels")
    status: Series[str] = field("发送状态")
    attempts: Series[pd.Int64Dtype] = field("尝试次数", widget="int", ge=0)
    next_try_at: Series[pd.Timestamp] = field("下次重试时间", widget="datetime", required=False)
    last_error: Series[str] = field("失败原因", required=False)
    sent_at: Series[pd.Timestamp] = field("送达时间", widget="datetime", required=False)
    read_at: Series[pd.Timestamp] = field("阅读时间", widget="datetime", required=False)
