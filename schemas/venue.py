"""场地: a venue of the subdistrict or a community that organisations can use for their activities."""
import pandas as pd
import pandera.pandas as pa
from pandera.typing.pandas import Series

from schemas.base import FormSchema, field
import schemas.booking  # noqa: F401  (the weekdays and times lists)
from schemas.checks import normalise_phone


class Venue(FormSchema):
    name: Series[str] = field("场地名称", name=True, str_length={"min_value": 2, "max_value": 100})
    address: Series[str] = field("地址", str_length={"max_value": 200})
    capacity: Series[pd.Int64Dtype] = field("可容纳人数", widget="int", ge=1, le=100_000)
    community: Series[str] = field("所属社区", widget="select", source="communities")
    facilities: Series[str] = field("设施设备", required=False, str_length={"max_value": 500}, help="如 投影仪、音响、桌椅")
    opening_hours: Series[str] = field("开放时间", required=False, str_length={"max_value": 200}, help="如 周一至周五 9:00-17:00")
    owner: Series[str] = field("管理单位", str_length={"max_value": 100}, help="场地的产权或管理单位")
    contact_person: Series[str] = field("联系人", name=True, required=False, str_length={"max_value": 50})
    contact_phone: Series[str] = field("联系电话", required=False, phone_cn=(), help="手机号或带区号的固定电话")
    notes: Series[str] = field("备注", widget="textarea", required=False, str_length={"max_value": 2000})
    open_days: Series[object] = field("每周开放日", widget="multiselect", source="weekdays", required=False,
                                      help="计算场地使用率用;不填时按「开放时间」文字计算")
    open_from: Series[str] = field("每日开放起", widget="select", source="times", required=False)
    open_to: Series[str] = field("每日开放止", widget="select", source="times", required=False)

    @pa.parser("contact_phone")
    @classmethod
    def _phone(cls, s: pd.Series) -> pd.Series:  # 13857101001 is stored as 138 5710 1001
        return s.map(lambda v: (normalise_phone(v) or v) if isinstance(v, str) else v)
