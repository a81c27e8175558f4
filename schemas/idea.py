"""金点子: an idea from residents, communities, organisations or enterprises."""
from __future__ import annotations

import pandas as pd
import pandera.pandas as pa
from pandera.typing.pandas import Series

from schemas.base import FormSchema, field
from schemas.checks import normalise_phone


class Idea(FormSchema):
    title: Series[str] = field("金点子标题", str_length={"min_value": 2, "max_value": 100})
    description: Series[str] = field("内容描述", widget="textarea", str_length={"max_value": 2000},
                                     help="居民或社区反映的需求、建议的做法")
    community: Series[str] = field("涉及社区", widget="select", source="communities")
    category: Series[str] = field("项目类别", widget="select", source="project_categories")
    source: Series[str] = field("来源", widget="select", source="idea_sources")
    round_id: Series[pd.Int64Dtype] = field("征集批次", widget="select", source="rounds", required=False)
    contact_name: Series[str] = field("联系人", name=True, required=False, str_length={"max_value": 50},
                                      help="选填;只有工作人员可见,不向评审专家展示")
    contact_phone: Series[str] = field("联系电话", required=False, phone_cn=(),
                                       help="选填;只有工作人员可见,不向评审专家展示")
    tags: Series[object] = field("标签", widget="lines", required=False, help="每行一个标签")

    @pa.parser("contact_phone")
    @classmethod
    def _normalise_phone(cls, s: pd.Series) -> pd.Series:
        return s.map(lambda v: (normalise_phone(v) or v) if isinstance(v, str) else v)
