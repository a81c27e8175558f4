"""The Excel import panel for any ``core.platform.importer.ImportSpec``: template download, upload, the per-row
report, then one confirm button that writes the valid rows in one transaction (as 批量导入 in the registry)."""
from __future__ import annotations

import re
from typing import Callable

import streamlit as st

from core.platform import config, importer
from core.platform.excel import XLSX_MIME
from core.ui.session import attempt


# ``st.file_uploader`` labels its button "Upload" and its limits "10MB per file • XLSX" in English, and this
# Streamlit version offers no parameter to change them: inside a container keyed ``xlsx-upload-…`` the English
# words are hidden and the Chinese drawn in their place (the size limit is in the caption above).
XLSX_UPLOADER_CSS = """<style>
[class*="st-key-xlsx-upload-"] [data-testid="stFileUploaderDropzone"] button [data-testid="stMarkdownContainer"] p,
[class*="st-key-xlsx-upload-"] [data-testid="stFileUploaderDropzoneInstructions"] span {
  visibility: hidden; font-size: 0; }
[class*="st-key-xlsx-upload-"] [data-testid="stFileUploaderDropzone"] button [data-testid="stMarkdownContainer"] p::after {
  content: "选择文件"; visibility: visible; font-size: 0.875rem; }
[class*="st-key-xlsx-upload-"] [data-testid="stFileUploaderDropzoneInstructions"] span::after {
  content: "仅限 Excel 工作簿(.xlsx)"; visibility: visible; font-size: 0.75rem; }
</style>"""


def import_panel(spec: importer.ImportSpec, key: str, *, noun: str, template_name: str,
                 commit: Callable[[importer.ImportPlan], int]) -> None:
    """Draw the panel under widget keys starting with ``key``; ``commit(plan)`` writes the valid rows
    (e.g. ``lambda plan: importer.commit(spec, plan, who)``) and returns how many."""
    st.download_button("下载导入模板", data=lambda: importer.template(spec), file_name=template_name, mime=XLSX_MIME,
                       icon=":material/download:", on_click="ignore", key=f"{key}:template")
    st.caption(f"在模板的「{importer.DATA_SHEET}」工作表中从第 2 行起每行填写一条;"
               f"「{importer.EXAMPLE_SHEET}」工作表是示例,不会导入;各列的要求和可选值见「{importer.NOTES_SHEET}」。"
               f"文件不超过 {config.load().upload_max_mb} MB。")
    st.html(XLSX_UPLOADER_CSS)
    with st.container(key="xlsx-upload-" + re.sub(r"[^A-Za-z0-9_-]", "-", key)):
        upload = st.file_uploader("上传填写好的 .xlsx 文件", type=["xlsx"], key=f"{key}:file")
    if upload is None:
        st.session_state.pop(f"{key}:plan", None)
        st.session_state.pop(f"{key}:token", None)
        return
    data = upload.getvalue()
    token = (upload.name, len(data), hash(data))
    if st.session_state.get(f"{key}:token") != token:
        st.session_state[f"{key}:token"] = token
        st.session_state.pop(f"{key}:done", None)
        st.session_state[f"{key}:plan"] = attempt(lambda: importer.plan(spec, data))  # a refused file: why, here
        if st.session_state[f"{key}:plan"] is None:
            return
    plan = st.session_state.get(f"{key}:plan")
    if plan is None:
        return
    counts = plan.counts
    st.write(f"共 {plan.total_rows} 行:可导入 {counts.get('有效', 0)} 行,错误 {counts.get('错误', 0)} 行,"
             f"已存在 {counts.get('已存在', 0)} 行,文件内重复 {counts.get('文件内重复', 0)} 行。")
    st.dataframe(plan.report_frame(), hide_index=True, width="stretch", key=f"{key}:report")
    done = st.session_state.get(f"{key}:done")
    if done is not None:
        st.success(f"已导入 {done} 条{noun}。")
        return
    if not plan.valid:
        st.warning(_nothing_to_import(counts))
        return
    if st.button(f"确认导入 {len(plan.valid)} 行有效数据", type="primary", key=f"{key}:confirm"):
        n = attempt(lambda: commit(plan))  # one transaction: a refusal writes no row
        if n is None:
            st.caption("导入失败,未写入任何数据。")
            return
        st.session_state[f"{key}:done"] = n
        st.rerun()


def _nothing_to_import(counts: dict[str, int]) -> str:
    """Why the confirm button is not offered: which rows need what."""
    why = []
    if counts.get("错误"):
        why.append(f"{counts['错误']} 行有错误(原因见上表「说明」列),请在文件中改正后重新上传")
    if counts.get("已存在"):
        why.append(f"{counts['已存在']} 行与已有记录相同,已跳过")
    if counts.get("文件内重复"):
        why.append(f"{counts['文件内重复']} 行与本文件中前面的行重复,已跳过")
    return "没有可导入的行:" + ";".join(why) + "。" if why else "没有可导入的行。"
