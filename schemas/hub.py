"""枢纽网络: one hub (a 市, 区 or 街道 centre for social organisations) in the tree 市 → 区 → 街道."""
from __future__ import annotations

import pandas as pd
from pandera.typing.pandas import Series

from schemas import choices
from schemas.base import FormSchema, field, rule

# the levels, top down; a hub's parent is a hub of the level just above (a 市 has none)
HUB_LEVELS = ["市", "区", "街道"]
PARENT_LEVEL = {"区": "市", "街道": "区"}
choices.register_provider("hub_levels", lambda: HUB_LEVELS)


class Hub(FormSchema):
    name: Series[str] = field("枢纽名称", name=True, str_length={"min_value": 2, "max_value": 100},
                              help="全称,如 下沙街道社会组织服务中心")
    level: Series[str] = field("层级", widget="select", source="hub_levels",
                               help="市级、区级或街道枢纽;街道枢纽即街道的社会组织服务中心")
    parent_id: Series[pd.Int64Dtype] = field("上级枢纽", widget="select", source="hubs", required=False,
                                             help="区级枢纽的上级是市级枢纽,街道枢纽的上级是区级枢纽;市级枢纽没有上级")
    region_code: Series[str] = field("行政区划代码", required=False, str_matches=r"^\d{6}(\d{3}){0,2}$",
                                     help="6位(市、区)或9位、12位(街道)数字,可不填", placeholder="如 330114")
    address: Series[str] = field("地址", required=False, str_length={"max_value": 200})
    contact: Series[str] = field("联系人及电话", required=False, str_length={"max_value": 100},
                                 placeholder="如 王老师 0571-86001234")

    @rule("parent_id", message="市级枢纽没有上级枢纽:请清空「上级枢纽」,或把层级改为区或街道")
    def _city_has_no_parent(cls, df):
        return (df["level"] != "市") | df["parent_id"].isna()
