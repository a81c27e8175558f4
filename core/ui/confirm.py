"""Irreversible steps ask first: the button opens a box that says what cannot be undone, with 确认 and 取消.

A second (impatient) click on 确认 finds the box already closed and does nothing twice; a refusal is
shown in Chinese and changes nothing (``core.ui.session.act``).
"""
from __future__ import annotations

from typing import Callable

import streamlit as st

from core.ui.session import act
from core.ui.text import md


def _state(key: str) -> str:
    return f"{key}:confirming"


def ask(key: str) -> None:
    """Open the confirmation box of ``key`` (for a form's submit that must be confirmed afterwards)."""
    st.session_state[_state(key)] = True


def asking(key: str) -> bool:
    return bool(st.session_state.get(_state(key)))


def cancel(key: str) -> None:
    st.session_state.pop(_state(key), None)


def confirm_box(key: str, action: str, consequence: str, fn: Callable[[], object], ok, *, once=None,
                where=None) -> None:
    """The box itself (drawn while :func:`asking`): what happens, that it cannot be undone, 确认 / 取消.
    ``ok``, ``once`` and ``where`` as for :func:`core.ui.session.act`."""
    with st.container(border=True, key=f"{key}-confirm"):
        st.warning(md(f"请确认:{consequence}") + "\n\n**此操作不可撤销。**", icon=":material/warning:")
        yes, no, _ = st.columns([1, 1, 3])
        if yes.button(f"确认{action}", type="primary", key=f"{key}:yes"):
            cancel(key)
            act(fn, ok, once=once, where=where)
        if no.button("取消", key=f"{key}:no"):
            cancel(key)
            st.rerun()


def confirm_button(key: str, action: str, consequence: str, fn: Callable[[], object], ok, *,
                   disabled_reason: str | None = None, icon: str | None = None, primary: bool = True,
                   once=None, where=None) -> None:
    """A button for an irreversible step. ``disabled_reason``: the step cannot be done now; the button is
    disabled and the reason is shown beside it (never a silent button)."""
    if disabled_reason:
        st.button(action, key=key, disabled=True, icon=icon, help=disabled_reason)
        st.caption(md(disabled_reason))
        return
    if not asking(key):
        if st.button(action, key=key, icon=icon, type="primary" if primary else "secondary"):
            ask(key)
            st.rerun()
        return
    confirm_box(key, action, consequence, fn, ok, once=once, where=where)
