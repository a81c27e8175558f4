"""资源库: equipment (设备) organisations can borrow, and bookings of a venue or equipment (场地/设备预约)."""
import pandas as pd
from pandera.typing.pandas import Series

from schemas import choices
from schemas.base import FormSchema, field, rule
from schemas.checks import normalise_phone

import pandera.pandas as pa

WEEKDAYS = ["周一", "周二", "周三", "周四", "周五", "周六", "周日"]
# the times a slot may start or end: every half hour from 06:00 to 23:00 ("HH:MM", so they sort as text)
TIMES = [f"{h:02d}:{m:02d}" for h in range(6, 24) for m in (0, 30) if (h, m) <= (23, 0)]
EQUIPMENT_KINDS = ["音响设备", "投影设备", "桌椅帐篷", "康复器材", "文体器材", "办公设备", "其他"]
BOOKING_STATES = {"pending": "待审批", "approved": "已批准", "rejected": "未批准", "cancelled": "已取消"}

choices.register_provider("weekdays", lambda: WEEKDAYS)
choices.register_provider("times", lambda: TIMES)
choices.register_provider("equipment_kinds", lambda: EQUIPMENT_KINDS)
choices.register_provider("booking_states", lambda: list(BOOKING_STATES), lambda v: BOOKING_STATES.get(v, str(v)))


class Equipment(FormSchema):
    name: Series[str] = field("设备名称", name=True, str_length={"min_value": 2, "max_value": 100},
                              help="同一设备多件时登记一条,填写数量")
    kind: Series[str] = field("设备类别", widget="select", source="equipment_kinds")
    quantity: Series[pd.Int64Dtype] = field("数量", widget="int", ge=1, le=10_000)
    community: Series[str] = field("所属社区", widget="select", source="communities")
    owner: Series[str] = field("管理单位", str_length={"max_value": 100}, help="设备的产权或管理单位")
    kept_at: Series[str] = field("存放地点", str_length={"max_value": 200})
    notes: Series[str] = field("备注", widget="textarea", required=False, str_length={"max_value": 2000})


class Booking(FormSchema):
    """One booking of a venue or of equipment (exactly one of the two) by an organisation for one time slot."""
    venue_id: Series[pd.Int64Dtype] = field("预约场地", widget="select", source="venues", required=False)
    equipment_id: Series[pd.Int64Dtype] = field("预约设备", widget="select", source="equipment", required=False)
    quantity: Series[pd.Int64Dtype] = field("借用数量", widget="int", ge=1, le=10_000, required=False,
                                            help="借用设备时填写,场地不填")
    org_id: Series[pd.Int64Dtype] = field("预约组织", widget="select", source="orgs")
    contact_person: Series[str] = field("预约人", name=True, str_length={"min_value": 2, "max_value": 50})
    contact_phone: Series[str] = field("预约人电话", required=False, phone_cn=(), help="手机号或带区号的固定电话")
    purpose: Series[str] = field("用途", str_length={"min_value": 2, "max_value": 200}, help="如 四点半课堂、老年人健康讲座")
    booking_date: Series[pd.Timestamp] = field("使用日期", widget="date")
    start_time: Series[str] = field("开始时刻", widget="select", source="times")
    end_time: Series[str] = field("结束时刻", widget="select", source="times")
    expected_people: Series[pd.Int64Dtype] = field("预计人数", widget="int", ge=1, le=100_000, required=False)
    project_id: Series[pd.Int64Dtype] = field("所属资助项目", widget="select", source="projects", required=False,
                                              help="为资助项目的活动预约时选择")

    @pa.parser("contact_phone")
    @classmethod
    def _phone(cls, s: pd.Series) -> pd.Series:
        return s.map(lambda v: (normalise_phone(v) or v) if isinstance(v, str) else v)

    @rule("end_time", message="结束时刻须晚于开始时刻")
    def _order(cls, df):
        ok = df["start_time"].isna() | df["end_time"].isna()
        return ok | (df["end_time"].astype("string") > df["start_time"].astype("string")).fillna(True)

    @rule("venue_id", message="请选择预约场地或预约设备(二选一)")
    def _one(cls, df):
        return df["venue_id"].isna() != df["equipment_id"].isna()


class Decision(FormSchema):
    """A staff member's reason when a booking is not approved or is cancelled."""
    reason: Series[str] = field("原因", widget="textarea", str_length={"min_value": 2, "max_value": 500},
                                help="告知预约组织的原因,如 时段已安排街道会议")

