"""Tabs that hold inputs, drawn from the moment they are opened (issue 17: draw less per screen).

A tab of :func:`core.ui.session.url_tabs` that only shows (a table, a chart) may be drawn only while it is open.
A tab with inputs may not: Streamlit keeps what was typed into a widget (a form not yet submitted, too) only
while that widget is drawn in every run. :func:`opened` draws such a tab from the run in which it is first
opened and in every run after it, so looking at another tab loses nothing; a tab not opened yet holds nothing
typed and is not drawn (a sidebar click draws the open tab only).
"""
from __future__ import annotations

import streamlit as st


def opened(tabs: list, key: str, same_visit: bool = True) -> list[bool]:
    """For each of ``tabs`` (:func:`core.ui.session.url_tabs`), whether to draw it: it is open now, or it was
    opened earlier on this visit of the screen. ``key`` names the screen's record of the opened tabs.
    ``same_visit``: False when this run is the first after another screen (:func:`was_drawn`): whatever
    was typed here is gone already (Streamlit dropped it when the person left), so only the open tab is drawn.
    A screen that cannot tell passes True: a tab once opened is then drawn for the rest of the session."""
    record = f"{key}::opened_tabs"
    seen = set(st.session_state.get(record, ())) if same_visit else set()
    seen |= {i for i, t in enumerate(tabs) if t.open}
    st.session_state[record] = frozenset(seen)
    return [i in seen for i in range(len(tabs))]


def was_drawn(widget_key: str) -> bool:
    """Whether the last run drew the widget ``widget_key`` (a widget's key that no code sets): asked before
    the widget is drawn in this run, it tells a run of the same visit of a screen (True) from the first run
    after another screen (False: Streamlit drops a widget's state in the first run that does not draw it)."""
    return widget_key in st.session_state
