"""Child rows (e.g. an application's milestones) edited with ``st.data_editor`` inside a form."""
from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st


def rows_from_state(base: list[dict], columns: list[str], key: str) -> list[dict]:
    """Apply the data_editor's pending edits (``st.session_state[key]``) to ``base``; plain dict rows."""
    state = st.session_state.get(key) or {}
    rows = [dict(r) for r in base]
    for idx, change in (state.get("edited_rows") or {}).items():
        i = int(idx)
        if 0 <= i < len(rows):
            rows[i].update(change)
    for added in state.get("added_rows") or []:
        rows.append({c: added.get(c) for c in columns})
    deleted = {int(i) for i in state.get("deleted_rows") or []}
    rows = [r for i, r in enumerate(rows) if i not in deleted]
    out = []
    for r in rows:
        item = {c: r.get(c) for c in columns}
        for c, v in item.items():
            if isinstance(v, str) and c.endswith("date") and v:
                try:
                    item[c] = dt.date.fromisoformat(v[:10])
                except ValueError:
                    pass
        out.append(item)
    return out


def frame(rows: list[dict], columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame([{c: r.get(c) for c in columns} for r in rows], columns=columns)


# ---- a child-row editor without Streamlit's English toolbar ------------------------------------------
# ``st.data_editor(num_rows="dynamic")`` adds rows with a toolbar button Streamlit labels "Add row" (and
# deletes with "Delete row(s)"); neither label can be set. ``child_editor`` draws a fixed table with
# ``blank`` empty rows at the end instead: filling an empty row adds it, clearing a row removes it, and
# the caption says so in Chinese. Read the result with ``child_rows``.

BLANK_ROWS = 3


def _blank(row: dict, columns: list[str]) -> bool:
    return all(v is None or (isinstance(v, float) and v != v) or (isinstance(v, str) and not v.strip())
               for v in (row.get(c) for c in columns))


def child_editor(base: list[dict], columns: list[str], key: str, *, column_config: dict | None = None,
                 blank: int = BLANK_ROWS, disabled: bool = False, caption: bool = True) -> None:
    """Draw ``base`` (plain dict rows) plus ``blank`` empty rows; works inside and outside ``st.form``."""
    padded = [dict(r) for r in base] + ([] if disabled else [{c: None for c in columns} for _ in range(blank)])
    st.session_state[f"{key}:base"] = padded
    if caption and not disabled:
        st.caption(f"在下方空行中填写即可新增(共 {blank} 个空行,保存后会再补足);清空一行的全部内容即删除该行。")
    st.data_editor(frame(padded, columns), key=key, num_rows="fixed", hide_index=True, width="stretch",
                   column_config=column_config, disabled=disabled, placeholder="")


def child_rows(columns: list[str], key: str) -> list[dict]:
    """The rows of :func:`child_editor` with the user's edits, empty rows left out."""
    rows = rows_from_state(st.session_state.get(f"{key}:base", []), columns, key)
    return [r for r in rows if not _blank(r, columns)]
