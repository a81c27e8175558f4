"""Links between screens: a link to a registered screen (by its registry key) with query parameters,
e.g. from the risk board to one project's file. Only screens the signed-in user may open are linked."""
from __future__ import annotations

import streamlit as st

from core import navigation
from core.ui.screens import page
from core.ui.session import actor
from core.ui.text import md


def page_link(key: str, label: str, **params) -> None:
    """``st.page_link`` to the screen ``key`` with ``params`` as query parameters (plain text label)."""
    who = actor()
    spec = navigation.spec(key)
    if who is None or spec is None or not navigation.allowed(key, who.roles):
        st.caption(md(label))
        return
    st.page_link(page(spec), label=md(label), query_params={k: str(v) for k, v in params.items()},
                 icon=":material/open_in_new:")
