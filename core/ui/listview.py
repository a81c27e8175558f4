"""The generic list screen for a ``core.listing.ListView``: search, filters, sort, pages, Excel export."""
from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from core import config, listing
from core.excel import XLSX_MIME, workbook_bytes


def _cell_text(value) -> str:
    if pd.api.types.is_scalar(value) and pd.isna(value):
        return ""
    if isinstance(value, pd.Timestamp):
        return value.date().isoformat() if value == value.normalize() else value.strftime("%Y-%m-%d %H:%M")
    return str(value)


def _for_display(df: pd.DataFrame) -> pd.DataFrame:
    """Empty cells instead of "None", dates without "00:00:00". A column with gaps or dates becomes text
    (ISO dates still sort): mixing "" with dates or numbers in one column makes Arrow fail, and
    Streamlit then logs a traceback on every run before converting it itself."""
    df = df.copy()
    for col in df.columns:
        if df[col].isna().any() or pd.api.types.is_datetime64_any_dtype(df[col]):
            df[col] = [_cell_text(v) for v in df[col]]
    return df


def list_view(view: listing.ListView, key: str, *, title: str | None = None, selectable: bool = True):
    """Draws the list; returns the key of the selected row (or None)."""
    s = config.load()
    top = st.columns([3, 1])
    search = top[0].text_input("搜索", key=f"{key}:q", placeholder=view.search_hint,
                               label_visibility="collapsed")
    filters: dict[str, list[str]] = {}
    with st.expander("筛选与排序", expanded=False):
        cols = st.columns(3)
        for i, f in enumerate(view.filters):
            filters[f.name] = cols[i % 3].multiselect(f.label, f.choices(), key=f"{key}:f:{f.name}", placeholder="全部")
        sort_cols = st.columns(3)
        labels = {c.name: c.label for c in view.columns}
        sort = sort_cols[0].selectbox("排序", list(labels), format_func=labels.get, key=f"{key}:sort",
                                      index=list(labels).index(view.default_sort))
        desc = sort_cols[1].toggle("倒序", key=f"{key}:desc", value=view.default_desc)
    q = listing.Query(search=search, filters=filters, sort=sort, desc=desc, page_size=s.page_size)

    # the page number resets whenever the query changes
    signature = (search, tuple((k, tuple(v)) for k, v in sorted(filters.items())), sort, desc)
    if st.session_state.get(f"{key}:sig") != signature:
        st.session_state[f"{key}:sig"] = signature
        st.session_state[f"{key}:page"] = 1
    q.page = int(st.session_state.get(f"{key}:page", 1))
    df, total, q.page = listing.fetch_page(view, q)
    st.session_state[f"{key}:page"] = q.page
    pages = max(1, -(-total // s.page_size))

    info = st.columns([2, 1, 1])
    info[0].caption(f"共 {total} 条,第 {q.page}/{pages} 页(每页 {s.page_size} 条)")
    info[1].number_input("页码", min_value=1, max_value=pages, step=1, key=f"{key}:page", label_visibility="collapsed")
    info[2].download_button(
        "导出Excel", data=lambda: workbook_bytes({title or view.entity.label: listing.labelled(view, listing.fetch_all(view, q))}),
        file_name=f"{title or view.entity.label}-{dt.date.today():%Y%m%d}.xlsx", mime=XLSX_MIME,
        key=f"{key}:export", icon=":material/download:", on_click="ignore",
    )
    shown = _for_display(listing.labelled(view, df))
    if selectable:
        event = st.dataframe(shown, hide_index=True, key=f"{key}:table", on_select="rerun",
                             selection_mode="single-row", width="stretch")
        rows = event.selection.rows if event and hasattr(event, "selection") else []
        if rows:
            return df.iloc[rows[0]][view.entity.key]
        return None
    st.dataframe(shown, hide_index=True, width="stretch")
    return None


def export_frame(view: listing.ListView, q: listing.Query):
    """The rows an export of ``q`` contains (used by tests and the export button)."""
    return listing.labelled(view, listing.fetch_all(view, q))
