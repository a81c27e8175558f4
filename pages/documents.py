"""文书: the Word / PDF download pair every document screen shows (:func:`download_buttons`), and the
年度成效报告 screen: the year's figures, the report as Word and PDF, and the highlights, reflection and plans staff
write for it. Staff and admins write; leaders download the finished report (it holds the year's figures, brand
stories and cases, no personal data beyond what the centre publishes). Thin: core.documents builds everything."""
import streamlit as st

from core.documents import annual, catalog, pdf
from core.documents.render import DOCX_MIME, PDF_MIME
from core.platform.entities import may
from core.ui import charts
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


def download_buttons(doc_key: str, record_id: int, who, *, key: str, **options) -> None:
    """下载 Word and the PDF of one document of one record; nothing for a role that may not download it. The Word
    file is generated on click from the database. The PDF takes two steps: 生成 PDF converts (once per document
    version, core.documents keeps it), then 下载 appears; a failed conversion is said in Chinese beside the buttons
    (never a download that breaks), the Word button unaffected. No converter on the server: said so."""
    if not catalog.may(who, doc_key):
        return
    title = catalog.DOCUMENTS[doc_key].title
    row = st.container(horizontal=True, key=f"{key}:docs")
    row.download_button(f"{title}(Word)", data=lambda: catalog.word(doc_key, record_id, who, **options),
                        file_name=catalog.file_name(doc_key, record_id, "docx"), mime=DOCX_MIME,
                        icon=":material/description:", on_click="ignore", key=f"{key}:docx")
    if not pdf.available():
        row.button(f"{title}(PDF 暂不可用)", disabled=True, help=pdf.MISSING, key=f"{key}:pdf-missing",
                   icon=":material/picture_as_pdf:")
        st.caption(pdf.MISSING)
        return
    slot = row.empty()
    if not slot.button(f"生成{title}(PDF)", key=f"{key}:pdf-make", icon=":material/picture_as_pdf:",
                       help="由服务器将 Word 版转换为 PDF,稍候片刻后出现下载按钮"):
        return
    try:
        with st.spinner(f"正在生成{title} PDF……"):
            data = catalog.pdf(doc_key, record_id, who, **options)
    except pdf.PdfUnavailable as exc:
        st.error(str(exc))
        return
    slot.download_button(f"{title}(PDF)", data=data, file_name=catalog.file_name(doc_key, record_id, "pdf"),
                         mime=PDF_MIME, icon=":material/download:", on_click="ignore", key=f"{key}:pdf", type="primary")


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
