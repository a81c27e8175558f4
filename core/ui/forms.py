"""The form engine: renders an ``st.form`` from a Pandera schema and handles its submission.

``schema_form(Model, key, on_submit)`` draws one widget per schema field (label, help, widget kind
and choices from the field metadata). On submit, ``on_submit(values)`` is called (it validates with
the same schema in core and writes); a ``ValidationFailed`` shows each message under its field and
the form keeps everything the user typed; nothing is stored. On success the message returned by
``on_submit`` is shown (``None``: no message; the screen shows its own) and (by default) the form is
emptied.

Edit forms filled with ``load(key, record, ...)`` pass ``changes_only=True``: ``on_submit`` then gets
only the fields the user changed from what ``load`` showed, so a field another user saved in the
meantime keeps that user's value (core merges the rest from the stored record).
"""
from __future__ import annotations

import datetime as dt
from typing import Any, Callable, Iterable

import pandas as pd
import streamlit as st

from core.platform.errors import HubError, ValidationFailed
from core.ui.text import md
from schemas import choices
from schemas.base import field_specs

MIN_DATE = dt.date(1949, 10, 1)
MAX_DATE = dt.date(2100, 12, 31)


def _wkey(key: str, name: str) -> str:
    return f"{key}::{name}"


def _to_widget(value: Any, widget: str) -> Any:
    if value is None or value is pd.NaT or (isinstance(value, float) and value != value):
        return [] if widget == "multiselect" else (False if widget == "checkbox" else (None if widget not in {"text", "textarea", "password"} else ""))
    if widget == "date":
        return value.date() if isinstance(value, (dt.datetime, pd.Timestamp)) else value
    if widget == "multiselect":
        return list(value)
    if widget == "lines":
        return "\n".join(str(v) for v in value) if isinstance(value, (list, tuple)) else str(value)
    if widget in {"text", "textarea", "password"}:
        return str(value)
    return value


def _values(key: str, names: Iterable[str], specs: dict | None = None) -> dict:
    out = {n: st.session_state.get(_wkey(key, n)) for n in names}
    for n, v in out.items():
        if specs and specs.get(n, {}).get("widget") == "lines":
            out[n] = [line.strip() for line in str(v or "").splitlines() if line.strip()] or None
    return out


def load(key: str, record: dict | None, model, token: Any) -> None:
    """Fill the form's widgets from ``record`` once per ``token`` (e.g. the record id being edited)."""
    marker = f"{key}::__loaded"
    names = list(field_specs(model))
    if st.session_state.get(marker) == token and all(_wkey(key, n) in st.session_state for n in names):
        return
    base = {}
    for name, meta in field_specs(model).items():
        base[name] = st.session_state[_wkey(key, name)] = _to_widget((record or {}).get(name), meta["widget"])
    st.session_state[f"{key}::__base"] = base  # what the user was shown: see ``changes_only``
    st.session_state[marker] = token
    st.session_state.pop(f"{key}::__errors", None)


def adopt(key: str, token: Any) -> None:
    """The values in the form now belong to the record ``token`` (e.g. a new draft that was just saved):
    the next ``load(key, ..., token)`` keeps them and any messages instead of reloading the record."""
    st.session_state[f"{key}::__loaded"] = token


def reset(key: str, model) -> None:
    for name in field_specs(model):
        st.session_state.pop(_wkey(key, name), None)
    st.session_state.pop(f"{key}::__loaded", None)
    st.session_state.pop(f"{key}::__base", None)
    st.session_state.pop(f"{key}::__errors", None)


def _submit(key: str, model, names: list[str], on_submit: Callable[[dict], Any], clear: bool,
            changes_only: bool = False) -> None:
    values = _values(key, names, field_specs(model))
    base = st.session_state.get(f"{key}::__base")
    if changes_only and base is not None:
        # only what the user changed in this form: a field someone else saved meanwhile is not
        # overwritten with the stale value the form was loaded with
        shown = _values(key, names)  # raw widget values, comparable with ``base``
        values = {n: v for n, v in values.items() if n not in base or shown[n] != base[n]}
    try:
        result = on_submit(values)
    except ValidationFailed as exc:
        st.session_state[f"{key}::__errors"] = exc
        st.session_state.pop(f"{key}::__ok", None)
        return
    except HubError as exc:
        st.session_state[f"{key}::__errors"] = ValidationFailed(form=[str(exc)])
        st.session_state.pop(f"{key}::__ok", None)
        return
    st.session_state.pop(f"{key}::__errors", None)
    if result is None:  # the screen shows its own message (e.g. ``session.flash``: the form is not drawn again)
        st.session_state.pop(f"{key}::__ok", None)
    else:
        st.session_state[f"{key}::__ok"] = result if isinstance(result, str) else "已保存"
    if clear:
        for n in names:
            st.session_state.pop(_wkey(key, n), None)
        st.session_state.pop(f"{key}::__loaded", None)
        st.session_state.pop(f"{key}::__base", None)


def _placeholder(meta: dict) -> str:
    """Every input says in Chinese what it wants (an empty widget never shows Streamlit's English)."""
    if meta.get("placeholder"):
        return meta["placeholder"]
    widget = meta["widget"]
    if widget == "select":
        return "请选择"
    if widget == "multiselect":
        return "请选择(可多选)"
    if widget == "lines":
        return "每行填写一项"
    return f"请输入{meta['label']}"


def _widget(key: str, name: str, meta: dict, container) -> None:
    wk = _wkey(key, name)
    label = meta["label"] + (" *" if meta["required"] and meta["widget"] != "checkbox" else "")
    help_ = meta.get("help")
    widget = meta["widget"]
    hint = _placeholder(meta)
    if widget in {"text", "password"}:
        container.text_input(label, key=wk, help=help_, max_chars=meta.get("max_chars"),
                             placeholder=hint, type="password" if widget == "password" else "default")
    elif widget == "lines":
        container.text_area(label, key=wk, help=help_ or "每行一项", placeholder=hint)
    elif widget == "textarea":
        container.text_area(label, key=wk, help=help_, max_chars=meta.get("max_chars"), placeholder=hint)
    elif widget in {"select", "multiselect"}:
        options = choices.get(meta["source"])
        current = st.session_state.get(wk)
        extra = [v for v in (current if isinstance(current, list) else [current]) if v and v not in options]
        options = options + extra  # a stored value no longer in the list stays visible
        fmt = choices.formatter(meta["source"])
        if widget == "select":
            if current is not None and current not in options:
                st.session_state[wk] = None
            container.selectbox(label, options, key=wk, help=help_, index=None, placeholder=hint,
                                format_func=fmt)
        else:
            # no "Select all" (English, and it cannot be relabelled in this Streamlit version)
            container.multiselect(label, options, key=wk, help=help_, placeholder=hint, format_func=fmt,
                                  select_all=False)
    elif widget == "date":
        if wk not in st.session_state:
            st.session_state[wk] = None
        container.date_input(label, key=wk, help=help_, min_value=MIN_DATE, max_value=MAX_DATE, format="YYYY-MM-DD")
    elif widget == "int":
        if wk not in st.session_state:
            st.session_state[wk] = None
        container.number_input(label, key=wk, help=help_, step=1, format="%d", placeholder=hint)
    elif widget == "float":
        if wk not in st.session_state:
            st.session_state[wk] = None
        container.number_input(label, key=wk, help=help_, step=0.01, format="%.2f", placeholder=hint)
    elif widget == "checkbox":
        container.checkbox(label, key=wk, help=help_)


def schema_form(
    model,
    key: str,
    on_submit: Callable[[dict], Any],
    *,
    submit_label: str = "保存",
    fields: list[str] | None = None,
    defaults: dict | None = None,
    columns: int = 2,
    clear_on_success: bool = True,
    changes_only: bool = False,
    wide: Iterable[str] = ("notes", "description"),
    extra: Callable[[], None] | None = None,
    extra_actions: dict[str, Callable[[dict], Any]] | None = None,
    live: bool = False,
) -> None:
    """Draw the form. ``extra`` draws more widgets inside it (e.g. a child-row editor) before the
    buttons; ``extra_actions`` adds submit buttons (label -> handler), e.g. 保存草稿 / 保存并提交.
    ``live=True`` draws the fields without ``st.form`` so every change reruns the page (e.g. a live
    total beside a scoring form); submitting works the same way."""
    specs = field_specs(model)
    names = [n for n in (fields or list(specs)) if n in specs]
    if defaults is not None and st.session_state.get(f"{key}::__loaded") in (None, "defaults"):
        load(key, defaults, model, token="defaults")

    ok = st.session_state.pop(f"{key}::__ok", None)
    if ok:
        st.success(md(ok))
    errors: ValidationFailed | None = st.session_state.get(f"{key}::__errors")
    if errors is not None and not all(_wkey(key, n) in st.session_state for n in names):
        # the form was left (Streamlit dropped its widget values): its old messages go too
        st.session_state.pop(f"{key}::__errors", None)
        errors = None

    box = st.container(border=True, key=f"{key}__live") if live else st.form(key, clear_on_submit=False,
                                                                               enter_to_submit=False)
    button = (lambda where, label, **kw: where.button(label, key=f"{key}::__btn::{label}", **kw)) if live else \
        (lambda where, label, **kw: where.form_submit_button(label, **kw))
    with box:
        if errors is not None:
            if not any("已保存" in msg for msg in errors.form):
                st.error("未保存:请按提示修改后重新提交。", icon=":material/error:")
            # else the form's own message says exactly what was saved (e.g. 草稿已保存(编号 259),但提交未通过)
            for msg in errors.form:
                st.error(md(msg))
            for name, msgs in errors.fields.items():
                if name not in names:  # e.g. child rows drawn by ``extra``
                    for msg in msgs:
                        st.error(md(msg))
        cols = st.columns(columns) if columns > 1 else [st.container()]
        i = 0
        for name in names:
            meta = specs[name]
            full = meta["widget"] in ("textarea", "lines") or name in wide
            box = st.container() if full else cols[i % len(cols)]
            if not full:
                i += 1
            _widget(key, name, meta, box)
            if errors is not None:
                for msg in errors.fields.get(name, []):
                    box.error(md(msg), icon=":material/error:")
        if extra is not None:
            extra()
        n = 1 + len(extra_actions or {})
        buttons = st.columns([1] * n + [max(1, 8 - n)])[:n] if extra_actions else [st]
        button(buttons[0], submit_label, type="primary", on_click=_submit,
               args=(key, model, names, on_submit, clear_on_success, changes_only))
        for b, (label, handler) in zip(buttons[1:], (extra_actions or {}).items()):
            button(b, label, on_click=_submit, args=(key, model, names, handler, clear_on_success, changes_only))
