"""The generic list screen for a ``core.platform.listing.ListView``: search, filters, sort, pages, Excel export.

The selected row is remembered by its record's key (never by its position), so it stays on the same
record when a search, filter, sort or page changes the rows shown; and it is kept in the URL
(``?id=N``), so F5 and a shared link open the same record.
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pandas as pd
import streamlit as st

from core.platform import config, formats, listing
from core.ui.session import actor, export_logger
from core.platform.excel import XLSX_MIME, workbook_bytes
from schemas.columns import format_of


def _cell_text(value, format: str | None = None) -> str:
    """One cell as a reader sees it: empty cells empty, no "None"/"nan"/"NaT", no "24800.0"; a number under a
    header declared money / percent / ratio as such (``formats.NUMBER_FORMATS``)."""
    if hasattr(value, "tolist") and not isinstance(value, (str, bytes, pd.Timestamp)):
        value = value.tolist()  # numpy scalars and arrays (list columns)
    if isinstance(value, (list, tuple)):
        return formats.text(list(value), "")
    if value is None or (pd.api.types.is_scalar(value) and pd.isna(value)) or formats.is_empty(value):
        return ""  # pd.isna: pandas' NA too (formats.is_empty cannot compare it with itself)
    if isinstance(value, bool):
        return formats.text(value, "")
    if isinstance(value, (int, float, Decimal)):
        if format in formats.NUMBER_FORMATS:
            return formats.NUMBER_FORMATS[format](value, "")
        return formats.number(value, "") if isinstance(value, (float, Decimal)) else str(value)
    if isinstance(value, (dt.date, dt.datetime, pd.Timestamp)):
        return formats.date(value, "")
    return str(value)


def _plain(series: pd.Series) -> bool:
    """A column Streamlit already draws the way a reader expects (no gaps, no floats, dates or lists)."""
    if series.isna().any():
        return False
    if pd.api.types.is_bool_dtype(series) or pd.api.types.is_integer_dtype(series):
        return True
    if pd.api.types.is_float_dtype(series) or pd.api.types.is_datetime64_any_dtype(series):
        return False
    return all(isinstance(v, str) for v in series)


def _numbers(series: pd.Series) -> bool:
    """Every filled cell is a number (floats, whole numbers or Decimals; not yes/no)."""
    if pd.api.types.is_bool_dtype(series):
        return False
    if pd.api.types.is_numeric_dtype(series):
        return True
    filled = [v for v in series if not (v is None or (pd.api.types.is_scalar(v) and pd.isna(v)))]
    return bool(filled) and all(isinstance(v, (int, float, Decimal)) and not isinstance(v, bool) for v in filled)


def _for_display(df: pd.DataFrame) -> pd.DataFrame:
    """The frame as text a person reads: empty cells empty (never "None", "nan" or "NaT"), dates without
    "00:00:00", numbers without a stray ".0", lists joined with "、"; under a header declared money, percent or ratio
    (``schemas.columns.format_of``) money with thousands separators and at most two decimals, percentages as "85%"
    (``core.platform.formats``). Such a column becomes text (mixing "" with dates or numbers in one column makes
    Arrow fail); whole-number and yes/no columns without gaps stay as they are."""
    df = df.copy()
    for col in df.columns:
        declared = format_of(col)
        shaped = declared in formats.NUMBER_FORMATS and _numbers(df[col])
        if shaped or not _plain(df[col]):
            df[col] = [_cell_text(v, declared if shaped else None) for v in df[col]]
    return df


# ---- the selection -------------------------------------------------------------------------------

def _scalar(value):
    return value.item() if hasattr(value, "item") else value


def _from_url(view: listing.ListView, raw: str | None):
    if not raw:
        return None
    if view.entity.key_generated:
        return int(raw) if raw.isdigit() else None
    return raw


def _selected(view: listing.ListView, key: str, ids: list, url_param: str | None):
    """The selected record's key, updated from the user's click since the last run and from the URL."""
    sel_key, table_key = f"{key}:selected", f"{key}:table"
    if url_param:
        raw = st.query_params.get(url_param) or None
        # the URL decides on arrival (F5, a shared link, a page link) and whenever it changed by itself
        if sel_key not in st.session_state or raw != st.session_state.get(f"{key}:url"):
            st.session_state[sel_key] = _from_url(view, raw)
            st.session_state[f"{key}:url"] = raw
    st.session_state.setdefault(sel_key, None)
    state = st.session_state.get(table_key)
    rows = list(state["selection"]["rows"]) if state else []
    drawn_rows, drawn_ids = st.session_state.get(f"{key}:drawn", ([], []))
    if rows != drawn_rows:  # the user clicked a row (or cleared it) in the table drawn last time
        st.session_state[sel_key] = drawn_ids[rows[0]] if rows and 0 <= rows[0] < len(drawn_ids) else None
    selected = st.session_state[sel_key]
    want = [ids.index(selected)] if selected is not None and selected in ids else []
    if want != rows:  # highlight the selected record where it is now (or nothing when it is not shown)
        st.session_state[table_key] = {"selection": {"rows": want, "columns": [], "cells": []}}
    st.session_state[f"{key}:drawn"] = (want, ids)
    if url_param:
        text = None if selected is None else str(selected)
        if (st.query_params.get(url_param) or None) != text:
            if text is None:
                del st.query_params[url_param]
            else:
                st.query_params[url_param] = text
        st.session_state[f"{key}:url"] = text
    return selected


def clear_selection(key: str) -> None:
    """Forget the list's selection (e.g. a 取消选择 button, or after the record was deleted)."""
    st.session_state[f"{key}:selected"] = None
    st.session_state.pop(f"{key}:table", None)
    st.session_state.pop(f"{key}:drawn", None)


def list_view(view: listing.ListView, key: str, *, title: str | None = None, selectable: bool = True,
              url_param: str | None = "id"):
    """Draws the list; returns the key of the selected record (or None).

    ``url_param``: the query parameter that holds the selection (``None``: not in the URL)."""
    s = config.load()
    top = st.columns([3, 1])
    search = top[0].text_input("搜索", key=f"{key}:q", placeholder=view.search_hint,
                               label_visibility="collapsed")
    filters: dict[str, list[str]] = {}
    with st.expander("筛选与排序", expanded=False):
        cols = st.columns(3)
        for i, f in enumerate(view.filters):
            filters[f.name] = cols[i % 3].multiselect(f.label, f.choices(), key=f"{key}:f:{f.name}", placeholder="全部",
                                                      select_all=False)
        sort_cols = st.columns(3)
        labels = {c.name: c.label for c in view.columns}
        sort = sort_cols[0].selectbox("排序", list(labels), format_func=labels.get, key=f"{key}:sort",
                                      index=list(labels).index(view.default_sort), placeholder="请选择排序列")
        desc = sort_cols[1].toggle("倒序", key=f"{key}:desc", value=view.default_desc)
    who = actor()  # a hub-owned view shows the rows of the signed-in user's hubs only (nobody's when signed out)
    q = listing.Query(search=search, filters=filters, sort=sort, desc=desc, page_size=s.page_size,
                      hubs=who.hubs if who is not None else ())

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
    logged = export_logger(title or view.entity.label)
    info[2].download_button(
        "导出Excel",
        data=lambda: workbook_bytes(logged({title or view.entity.label: listing.labelled(view, listing.fetch_all(view, q))})),
        file_name=f"{title or view.entity.label}-{dt.date.today():%Y%m%d}.xlsx", mime=XLSX_MIME,
        key=f"{key}:export", icon=":material/download:", on_click="ignore",
    )
    shown = _for_display(listing.labelled(view, df))
    if total == 0:
        st.info("没有符合条件的记录:请修改搜索词或筛选条件。" if (search.strip() or any(filters.values()))
                else f"还没有{view.entity.label}记录。")
    if not selectable:
        st.dataframe(shown, hide_index=True, width="stretch", placeholder="")
        return None
    ids = [_scalar(v) for v in df[view.entity.key].tolist()]
    selected = _selected(view, key, ids, url_param)
    st.dataframe(shown, hide_index=True, key=f"{key}:table", on_select="rerun", selection_mode="single-row",
                 width="stretch", placeholder="")
    if selected is not None and selected not in ids:
        note = st.columns([4, 1])
        note[0].caption(f"已选中的记录(编号 {selected})不在当前列表中(已被搜索、筛选或翻页隐藏),下面仍显示它。")
        note[1].button("取消选择", key=f"{key}:unselect", on_click=clear_selection, args=(key,),
                       icon=":material/close:")
    return selected


def export_frame(view: listing.ListView, q: listing.Query):
    """The rows an export of ``q`` contains (used by tests and the export button)."""
    return listing.labelled(view, listing.fetch_all(view, q))
