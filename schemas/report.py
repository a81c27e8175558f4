"""年度成效报告: what staff write into the year's report beside the figures the database gives (the year's
highlights, the reflection and the plans, as the seed case's 特色亮点 / 总结反思 / 发展规划)."""
from __future__ import annotations

import pandas as pd
from pandera.typing.pandas import Series

from schemas.base import FormSchema, field


class AnnualReport(FormSchema):
    year: Series[pd.Int64Dtype] = field("报告年度", widget="int", ge=2018, le=2100)
    highlights: Series[str] = field("年度亮点", widget="textarea", required=False, str_length={"max_value": 4000},
                                    help="本年度的特色做法与亮点(报告第五部分)")
    reflection: Series[str] = field("总结反思", widget="textarea", required=False, str_length={"max_value": 4000},
                                    help="不足与原因,如孵化覆盖面、资源整合、项目可持续运营(报告第六部分)")
    plans: Series[str] = field("发展规划", widget="textarea", required=False, str_length={"max_value": 4000},
                               help="下一年度的工作方向(报告第七部分)")
