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
