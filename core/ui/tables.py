"""Plain tables on screens: tidy display (no "None", "nan" or "24800.0"; dates without midnight; money with
thousands separators and percentages as 85% where the column's label declares it) and an Excel download of the
same rows (with their raw numbers and dates)."""
from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from core.platform.excel import XLSX_MIME, workbook_bytes
from core.ui.listview import _for_display
from core.ui.session import export_logger


def display_frame(df: pd.DataFrame, columns: dict[str, str] | None = None) -> pd.DataFrame:
    """What :func:`table` draws: ``df`` with its columns renamed and every cell as a reader sees it."""
    return _for_display(df.rename(columns=columns or {}))


def table(df: pd.DataFrame, name: str, *, key: str, columns: dict[str, str] | None = None,
          export: bool = True) -> None:
    """Show ``df`` (columns renamed by ``columns``) with an 导出Excel button for exactly these rows."""
    shown = df.rename(columns=columns or {})
    st.dataframe(_for_display(shown), hide_index=True, width="stretch", key=f"{key}:df", placeholder="")
    if export:
        logged = export_logger(name)
        st.download_button("导出Excel", data=lambda: workbook_bytes(logged({name[:31]: shown})),
                           file_name=f"{name}-{dt.date.today():%Y%m%d}.xlsx", mime=XLSX_MIME, key=f"{key}:xlsx",
                           icon=":material/download:", on_click="ignore")
