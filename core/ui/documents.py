"""文书 on any screen: the Word / PDF download pair of one document of one record (:func:`download_buttons`), shown by
申报详情, 项目档案, 决定与公示, 评审汇总 and 年度成效报告. core.documents builds every file."""
import streamlit as st

from core.documents import catalog, pdf
from core.documents.render import DOCX_MIME, PDF_MIME


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
