"""需求: a community need recorded from 需求调研 (问卷调查, 入户走访, 社区议事), its status changes and the ideas,
applications and projects linked to it as its answers (core.resources.needs)."""
from __future__ import annotations

import pandas as pd
from pandera.typing.pandas import Series

from schemas.base import FormSchema, field


class Need(FormSchema):
    title: Series[str] = field("需求标题", str_length={"min_value": 2, "max_value": 100},
                               help="一句话说清需求,如:老人吃饭难,希望有老年食堂")
    community: Series[str] = field("所属社区", widget="select", source="communities")
    target_group: Series[str] = field("关注人群", widget="select", source="need_groups")
    source: Series[str] = field("调研方式", widget="select", source="need_sources")
    surveyed_on: Series[pd.Timestamp] = field("调研日期", widget="date", not_future=(),
                                              help="问卷回收、入户走访或社区议事的日期")
    urgency: Series[str] = field("紧迫程度", widget="select", source="need_urgencies")
    residents: Series[pd.Int64Dtype] = field("反映居民数", widget="int", required=False, ge=1, le=100_000,
                                             help="选填;提出或勾选这项需求的居民人数")
    recorded_by: Series[str] = field("记录人", name=True, str_length={"min_value": 2, "max_value": 50},
                                     help="调研时登记这项需求的人")
    description: Series[str] = field("需求描述", widget="textarea", required=False, str_length={"max_value": 2000},
                                     help="居民怎么说、涉及多少户、现有服务缺什么")


class NeedEvent(FormSchema):
    need_id: Series[pd.Int64Dtype] = field("需求编号", widget="int", ge=1)
    from_status: Series[str] = field("原状态", widget="select", source="need_statuses", required=False)
    to_status: Series[str] = field("新状态", widget="select", source="need_statuses")
    changed_on: Series[pd.Timestamp] = field("变更日期", widget="date", not_future=())
    note: Series[str] = field("变更说明", widget="textarea", str_length={"min_value": 2, "max_value": 500},
                              help="如:已对接青葵伙伴项目,首批6名儿童开始结对")


class NeedLink(FormSchema):
    need_id: Series[pd.Int64Dtype] = field("需求编号", widget="int", ge=1)
    kind: Series[str] = field("回应类型", widget="select", source="need_link_kinds")
    target_id: Series[pd.Int64Dtype] = field("回应记录编号", widget="int", ge=1)
    note: Series[str] = field("关联说明", required=False, str_length={"max_value": 200})
