"""文书: the 年度成效报告 screen: the year's figures, the report as Word and PDF (core.ui.documents, as on every
document screen), and the highlights, reflection and plans staff write for it. Staff and admins write; leaders download the finished report (it holds the year's figures, brand
stories and cases, no personal data beyond what the centre publishes). Thin: core.documents builds everything."""
import streamlit as st

from core.documents import annual
from core.platform.entities import may
from core.ui import charts
from core.ui.documents import download_buttons
from core.ui.forms import load, schema_form
from core.ui.session import require
from core.ui.tables import table
from schemas.base import field_specs
from schemas.report import AnnualReport

PAGE, PAGE_READ = "annual_report", "annual_report_read"
REFLECTION_FIELDS = ["highlights", "reflection", "plans"]
# the report's charts: the dashboards' own Altair charts (core.ui.charts) of the frames core.documents.annual reads
CHART_BUILDERS = {"category_year": lambda df: charts.category_year_bars(df, "granted"),
                  "community_coverage": charts.coverage_bars, "brand_matrix": charts.brand_bars}


def chart_png(name: str, frame) -> bytes:
    """One chart of the annual report as PNG (vl-convert), as the dashboards export it."""
    return charts.to_image(CHART_BUILDERS[name](frame).properties(width=620), "png")


def _report(who, writes: bool) -> None:
    st.title("年度成效报告")
    years = annual.years()
    year = st.selectbox(field_specs(AnnualReport)["year"]["label"], years, key="report:year")
    st.caption("年度数据、图表、品牌故事和项目案例由系统从台账统计生成(与领导驾驶舱同一口径);"
               "年度亮点、总结反思和发展规划由中心工作人员填写。案例优先选取本年度有活动照片、服务人次最多的项目。")
    table(annual.figures(int(year)), f"{year}年度数据", key="report:figures", columns=annual.FIGURE_COLUMNS)
    download_buttons("annual", int(year), who, key="report:annual", chart_png=chart_png)
    if not writes or not may(who, annual.ANNUAL_REPORT, "update"):
        return
    st.subheader("本年度文字部分")
    row = annual.reflection(int(year))
    form = f"report:text:{year}"
    load(form, row, AnnualReport, token=(year, str((row or {}).get("updated_at"))))
    schema_form(AnnualReport, form,
                lambda values: "已保存" if annual.save_reflection(int(year), values, who) else "没有需要保存的修改",
                fields=REFLECTION_FIELDS, submit_label="保存", clear_on_success=False)


def render() -> None:
    """年度成效报告 for staff and admins: figures, downloads and the text they write."""
    _report(require(PAGE), writes=True)


def overview() -> None:
    """年度成效报告 for leaders: figures and downloads."""
    _report(require(PAGE_READ), writes=False)
