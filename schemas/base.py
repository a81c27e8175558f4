"""Building blocks for form schemas: ``field()`` with Chinese metadata, cross-field ``rule()``s,
and ``FormSchema``, the base model that tidies text before any check runs.

A schema is a Pandera ``DataFrameModel`` validated on a one-row frame (a form submission) or on many
rows (an Excel import). Field metadata drive the form engine:

- ``label``: Chinese label (required; ``core.checks`` verifies it at start)
- ``help``: help text under the label
- ``widget``: text | textarea | password | select | multiselect | date | int | float | checkbox |
  lines (a text area whose non-empty lines make a list)
- ``source``: the choice list (``schemas.choices``) for select / multiselect
"""
from __future__ import annotations

import datetime as dt
import functools
from typing import Any

import pandas as pd
import pandera.pandas as pa

import schemas.checks  # noqa: F401  (registers the custom checks)
from schemas import text

WIDGETS = {"text", "textarea", "password", "select", "multiselect", "date", "int", "float", "checkbox", "lines"}

# message -> field names it belongs to, for every cross-field rule of every schema
RULE_FIELDS: dict[str, tuple[str, ...]] = {}

EARLIEST_DATE = pd.Timestamp("1949-10-01")


def field(
    label: str,
    *,
    help: str | None = None,
    widget: str = "text",
    source: str | None = None,
    required: bool = True,
    placeholder: str | None = None,
    name: bool = False,
    **checks: Any,
):
    """A Pandera field carrying the form metadata. ``required=False`` makes it nullable.

    ``name=True`` declares a name (of an organisation, a person, a place): whitespace runs inside it are
    collapsed to one space by the text normaliser (:mod:`schemas.text`), which every text field goes through.
    """
    if widget not in WIDGETS:
        raise ValueError(f"unknown widget {widget!r}")
    if widget in {"text", "textarea", "password"}:
        checks.setdefault("plain_text", ())
    if "uscc" in checks:  # full-width characters left over get their own message (see checks.uscc)
        checks.setdefault("halfwidth", ())
    if name and widget not in {"text", "lines"}:
        raise ValueError("name=True is for text fields")
    if widget == "lines":
        checks.setdefault("text_lines", ())
    if widget == "select" and source:
        checks.setdefault("in_choices", {"source": source})
    if widget == "multiselect" and source:
        checks.setdefault("subset_of", {"source": source})
    if widget == "date":
        checks.setdefault("ge", EARLIEST_DATE)
    meta = {"label": label, "help": help, "widget": widget, "source": source, "placeholder": placeholder}
    if name:
        meta["is_name"] = True
    return pa.Field(nullable=not required, metadata=meta, **checks)


def rule(*fields: str, message: str):
    """A cross-field check; its failure is shown as ``message`` next to ``fields`` (or on the form).

    The function gets the frame and returns a boolean Series (True = the row is fine). It should
    return True where the fields it compares are empty: required-ness is each field's own check.
    """

    def deco(fn):
        RULE_FIELDS[message] = tuple(fields)

        @functools.wraps(fn)
        def safe(cls, df: pd.DataFrame) -> pd.Series:
            try:
                return fn(cls, df)
            except (TypeError, ValueError, KeyError, AttributeError):
                # a field of the rule failed its own type check; that field's message says so
                return pd.Series(True, index=df.index)

        return pa.dataframe_check(error=message)(classmethod(safe))

    return deco


def blank(value: Any) -> bool:
    if value is None or value is pd.NaT:
        return True
    if isinstance(value, float) and value != value:
        return True
    if isinstance(value, str) and not value.strip():
        return True
    if isinstance(value, (list, tuple)) and len(value) == 0:
        return True
    return False


def _tidy(value: Any, *, name: bool = False) -> Any:
    """Text through the one normaliser (:func:`schemas.text.clean`); empty text or lists become missing."""
    if isinstance(value, str):
        return text.clean(value, name=name)
    if isinstance(value, (list, tuple)):
        items = [text.clean(v, name=name) if isinstance(v, str) else v for v in value]
        items = [v for v in items if not blank(v)]
        return items or None
    if isinstance(value, dt.datetime) and not isinstance(value, pd.Timestamp):
        return pd.Timestamp(value)
    return value


def _tidy_secret(value: Any) -> Any:
    """Passwords are kept exactly as typed (sign-in compares them unchanged); only blank ones become missing.
    Blank means nothing but whitespace and invisible characters, as for any other text."""
    if isinstance(value, str) and text.clean(value) is None:
        return None
    return value


class FormSchema(pa.DataFrameModel):
    """Base of every form schema: every text goes through the text normaliser (NFC, no invisible or bidi
    control characters, names with single spaces, trimmed) and empty text/lists become missing values,
    before any check runs — so lengths and required-ness apply to what is left."""

    class Config:
        coerce = True
        strict = "filter"

    @pa.dataframe_parser
    @classmethod
    def _tidy_text(cls, df: pd.DataFrame) -> pd.DataFrame:
        df = df.copy()
        metas = {n: (col.metadata or {}) for n, col in cls.to_schema().columns.items()}
        for c in df.columns:
            if df[c].dtype == object or pd.api.types.is_string_dtype(df[c]):
                meta = metas.get(c, {})
                if meta.get("widget") == "password":
                    tidy = _tidy_secret
                else:
                    is_name = bool(meta.get("is_name"))
                    tidy = lambda v, _n=is_name: _tidy(v, name=_n)  # noqa: E731
                df[c] = pd.Series([tidy(v) for v in df[c]], index=df.index, dtype=object)
        return df


def field_specs(model) -> dict[str, dict]:
    """Field name -> metadata (+ ``required``), in declaration order.

    ``model`` is a DataFrameModel or a DataFrameSchema built at run time (e.g. a round's checklist).
    """
    schema = model.to_schema() if hasattr(model, "to_schema") else model
    out = {}
    for name, col in schema.columns.items():
        meta = dict(col.metadata or {})
        meta["required"] = not col.nullable
        meta["max_chars"] = None
        for chk in col.checks:
            stats = getattr(chk, "statistics", {}) or {}
            if chk.name == "str_length" and stats.get("max_value"):
                meta["max_chars"] = int(stats["max_value"])
        out[name] = meta
    return out


def relaxed(model, keep_required: tuple[str, ...] = ()) -> pa.DataFrameSchema:
    """The model's schema with every field optional except ``keep_required`` (for drafts).

    Field checks and cross-field rules still apply to what is filled in.
    """
    schema = model.to_schema()
    return schema.update_columns({n: {"nullable": n not in keep_required} for n in schema.columns})
