"""Plain tables on screens: tidy display (no "None", "nan" or "24800.0"; dates without midnight; money with
thousands separators and percentages as 85% where the column's label declares it) and an Excel download of the
same rows (with their raw numbers and dates)."""
from __future__ import annotations

import datetime as dt
from typing import Callable

import pandas as pd
import streamlit as st

from core.platform import config
from core.platform.excel import XLSX_MIME, workbook_bytes
from core.platform.listing import Rows
from core.ui.listview import _for_display
from core.ui.session import export_logger
from schemas.columns import format_of


def display_frame(df: pd.DataFrame, columns: dict[str, str] | None = None) -> pd.DataFrame:
    """What :func:`table` draws: ``df`` with its columns renamed and every cell as a reader sees it."""
    return _for_display(df.rename(columns=columns or {}))


NUMERIC_FORMATS = ("number", "money")  # declared label formats (schemas.columns) a grid may keep as numbers


def numeric_frame(df: pd.DataFrame, columns: dict[str, str], also: tuple[str, ...] = ()) -> tuple[pd.DataFrame, dict]:
    """``df`` as :func:`display_frame` shows it, except its columns whose label declares a count or an amount
    (``number``, ``money``; and ``also``, by field name) kept as numbers: right-aligned, grouped by thousands, sorted
    as numbers; with the ``column_config`` that draws them so (an amount's text would sit left-aligned)."""
    kept = [c for c in columns if c in df.columns and (c in also or format_of(columns[c]) in NUMERIC_FORMATS)]
    frame = display_frame(df[list(columns)], columns)
    for c in kept:
        frame[columns[c]] = pd.to_numeric(df[c], errors="coerce").astype(float if format_of(columns[c]) == "money"
                                                                            else "Int64").to_numpy()
    return frame, {columns[c]: st.column_config.NumberColumn(columns[c], format="localized") for c in kept}


def table(df: pd.DataFrame, name: str, *, key: str, columns: dict[str, str] | None = None,
          export: bool = True, first: int | None = None) -> None:
    """Show ``df`` (columns renamed by ``columns``) with an 导出Excel button for exactly these rows. ``first``: show
    only the first rows of a long ranking (at a city's scale thousands; each shown cell is formatted here), saying
    so; the export still holds every row."""
    shown = df.rename(columns=columns or {})
    view = shown if first is None or len(shown) <= first else shown.head(first)
    st.dataframe(_for_display(view), hide_index=True, width="stretch", key=f"{key}:df", placeholder="")
    if view is not shown:
        st.caption(f"按上表顺序显示前 {first:,} 行,共 {len(shown):,} 行" + (";「导出Excel」含全部行。" if export else "。"))
    if export:
        logged = export_logger(name)
        st.download_button("导出Excel", data=lambda: workbook_bytes(logged({name[:31]: shown})),
                           file_name=f"{name}-{dt.date.today():%Y%m%d}.xlsx", mime=XLSX_MIME, key=f"{key}:xlsx",
                           icon=":material/download:", on_click="ignore")


def paged_table(rows: Rows, name: str, *, key: str, columns: dict[str, str] | None = None,
                shown: Callable[[pd.DataFrame], pd.DataFrame] | None = None, export: bool = True,
                empty: str | None = None) -> pd.DataFrame:
    """Show ``rows`` a page at a time (the page cut in the database, see :class:`core.platform.listing.Rows`),
    with the count, a page number when there is more than one page, and an 导出Excel button for every row.
    ``shown`` turns a page (and the export) into what a person reads (labels, names). Returns the page shown."""
    size = config.load().page_size
    page, total, number = rows.page(int(st.session_state.get(f"{key}:page") or 1), size)
    st.session_state[f"{key}:page"] = number  # clamped: rows may have gone since the page was chosen
    pages = max(1, -(-total // size))
    if total == 0 and empty:
        st.info(empty)
        return page
    frame = shown(page) if shown else page
    st.dataframe(display_frame(frame, columns), hide_index=True, width="stretch", key=f"{key}:df", placeholder="")
    info = st.columns([2, 1, 1])
    info[0].caption(f"共 {total} 条" + (f",第 {number}/{pages} 页(每页 {size} 条)" if pages > 1 else ""))
    if pages > 1:
        info[1].number_input("页码", min_value=1, max_value=pages, step=1, key=f"{key}:page",
                             label_visibility="collapsed")
    if export:
        logged = export_logger(name)

        def everything() -> dict:
            every = rows.all()
            return logged({name[:31]: (shown(every) if shown else every).rename(columns=columns or {})})

        info[2].download_button("导出Excel", data=lambda: workbook_bytes(everything()),
                                file_name=f"{name}-{dt.date.today():%Y%m%d}.xlsx", mime=XLSX_MIME, key=f"{key}:xlsx",
                                icon=":material/download:", on_click="ignore")
    return page
