"""Building blocks for form schemas: ``field()`` with Chinese metadata, cross-field ``rule()``s,
and ``FormSchema``, the base model that tidies text before any check runs.

A schema is a Pandera ``DataFrameModel`` validated on a one-row frame (a form submission) or on many
rows (an Excel import). Field metadata drive the form engine:

- ``label``: Chinese label (required; ``core.checks`` verifies it at start)
- ``help``: help text under the label
- ``widget``: text | textarea | password | select | multiselect | date | int | float | checkbox |
  lines (a text area whose non-empty lines make a list)
- ``source``: the choice list (``schemas.choices``) for select / multiselect
- ``format``: how the values read on screens, in Excel exports and in the 审计日志 (:data:`FORMATS`: money,
  percent, ratio, number, date, text, choice); by default it follows the widget. Declared once per label:
  :func:`schemas.columns.format_of` answers it for a column header
- ``after`` / ``before``: for dates, the :class:`Bound`\ s the date must not precede / exceed, taken from
  the record's context (the project's period, the signing date, the organisation's registration, the
  notice's publication...) that the core function passes to ``core.platform.validation.validate(..., context=)``

Every date field has a sane range (``date_range``: 1949-10-01 to today + ``DATE_YEARS_AHEAD`` years).
"""
from __future__ import annotations

import calendar
import datetime as dt
import functools
import sys
from dataclasses import dataclass
from typing import Any, Callable, Sequence

import pandas as pd
import pandera.pandas as pa

import schemas.checks  # noqa: F401  (registers the custom checks)
from schemas.checks import _as_date, _element_check
from schemas import text

WIDGETS = {"text", "textarea", "password", "select", "multiselect", "date", "int", "float", "checkbox", "lines",
           "datetime", "numbers"}  # a moment the system stamps, a list of numbers the system stores; no form shows them

# message -> field names it belongs to, for every cross-field rule of every schema
RULE_FIELDS: dict[str, tuple[str, ...]] = {}

EARLIEST_DATE = pd.Timestamp("1949-10-01")
DATE_YEARS_AHEAD = 5  # the latest date any date field accepts: today + this many years


def add_months(day: dt.date, months: int) -> dt.date:
    """``day`` moved by ``months`` calendar months (the 31st becomes the month's last day)."""
    m = day.month - 1 + months
    year, month = day.year + m // 12, m % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def latest_date(today: dt.date | None = None) -> dt.date:
    return add_months(today or dt.date.today(), 12 * DATE_YEARS_AHEAD)


@_element_check
def date_range(value) -> bool:
    """A date between 1949-10-01 and today + DATE_YEARS_AHEAD years (every date field has it)."""
    d = _as_date(value)
    if d is None or not isinstance(d, dt.date):
        return True
    return EARLIEST_DATE.date() <= d <= latest_date()


# far dates a datetime64[ns] column cannot hold (year 9999, year 1) are moved to these, so that the
# range check names them ("应在…之间") instead of the coercion calling them 格式不正确
_FAR_LATE, _FAR_EARLY = pd.Timestamp("2200-01-01"), pd.Timestamp("1700-01-01")


def far_date(value: Any) -> Any:
    year = None
    if isinstance(value, dt.date):
        year = value.year
    elif isinstance(value, str) and value.strip():
        try:
            year = pd.Timestamp(value.strip()).year
        except (ValueError, OverflowError, TypeError):
            return value
    if year is None:
        return value
    return _FAR_LATE if year >= 2200 else _FAR_EARLY if year <= 1700 else value


def far_dates(s: pd.Series) -> pd.Series:
    return pd.Series([far_date(v) for v in s], index=s.index, dtype=object)


DATE_PARSER = pa.Parser(far_dates)  # for date columns of schemas built at run time


# ---- formats ---------------------------------------------------------------------------------------
# How a column's values read on screens, in Excel exports and in the 审计日志 (core.platform.formats,
# core.platform.excel): money 24,800 / 24,800.50; percent: a value in points (85 -> 85%); ratio: a fraction
# (0.85 -> 85%); number; date; text; choice (a code shown by its choice label).
FORMATS = ("money", "percent", "ratio", "number", "date", "text", "choice")
WIDGET_FORMATS = {"date": "date", "datetime": "date", "select": "choice", "multiselect": "choice", "int": "number",
                  "float": "number"}  # any other widget: text

# label -> (format, where it was declared): filled as fields (field()) and computed / system labels
# (schemas.columns.money() ...) are declared; read through schemas.columns.format_of
LABEL_FORMATS: dict[str, tuple[str, str]] = {}


class Label(str):
    """A column label that declares how its values read (``.format``, one of :data:`FORMATS`).

    It is the label text itself (a ``str``), so a ``computed={...}`` mapping, ``DataFrame.rename`` and
    ``schemas.columns.Columns`` take it as any label; ``schemas.columns.money/percent/ratio/number`` make one and
    record its format. (``.format`` hides ``str.format``: a label is never a template.)"""

    def __new__(cls, text: str, format: str | None = None):
        obj = super().__new__(cls, text)
        obj.format = format
        return obj


class FormatConflict(ValueError):
    """One label declared with two formats (a label means one thing everywhere)."""


def _declared_at() -> str:
    """module:line of the declaration (the first caller outside the declaring helpers)."""
    frame = sys._getframe(1)
    while frame is not None and frame.f_code.co_name != "<module>" and (
            frame.f_globals.get("__name__") in {__name__, "schemas.columns"} or frame.f_code.co_name == "stored"):
        frame = frame.f_back
    return f"{frame.f_globals.get('__name__')}:{frame.f_lineno}" if frame is not None else "?"


def _kind(format: str) -> str:
    """A choice reads as text (its choice label): the two may share a label (组织名称 typed or picked)."""
    return "text" if format == "choice" else format


def declare_format(label: str, format: str, where: str | None = None) -> None:
    """Record that values under ``label`` read as ``format``; the same label with another format raises
    :class:`FormatConflict` (at import: the start-up fails with both places named)."""
    if format not in FORMATS:
        raise ValueError(f"unknown format {format!r} for {label!r}: one of {', '.join(FORMATS)}")
    text, where = str(label), where or _declared_at()
    known = LABEL_FORMATS.get(text)
    if known is None:
        LABEL_FORMATS[text] = (format, where)
    elif _kind(known[0]) != _kind(format):
        raise FormatConflict(
            f"the label {text!r} is declared {known[0]} ({known[1]}) and {format} ({where}): a label means one "
            f"thing everywhere, so declare one format for it (schemas.base.field(format=...), "
            f"schemas.columns.money/percent/ratio/number) or give the other column its own label")


def label_format(label: str) -> str | None:
    """The format declared for ``label`` (None: nothing declares it)."""
    found = LABEL_FORMATS.get(str(label))
    return found[0] if found else None


@dataclass(frozen=True)
class Bound:
    """A limit on a date from the record's context (or from the record itself).

    ``key`` names a context value (``core`` passes e.g. ``{"start_date": ...}``), another field of the
    record, or is a function ``(record, context) -> date | None``; ``label`` names the limit in the
    message and may use context values (``{round_year}``); ``months`` allows that many months beyond
    it (a date "within 6 months from today": ``before=Bound("today", ..., months=6)``).
    A limit that is missing (no context given, an empty field) is not checked.
    """
    key: str | Callable[[dict, dict], Any]
    label: str
    months: int = 0

    def limit(self, record: dict, context: dict, later: bool) -> tuple[dt.date | None, str]:
        if callable(self.key):
            value = self.key(record, context)
        else:
            value = context.get(self.key, record.get(self.key))
        value = _as_date(plain_date(value))
        if not isinstance(value, dt.date):
            return None, ""
        if self.months:
            value = add_months(value, self.months if later else -self.months)
        try:
            label = self.label.format(**{**record, **context})
        except (KeyError, IndexError, ValueError):
            label = self.label
        return value, label


def _round_year(record: dict, context: dict) -> int | None:
    year = context.get("round_year", record.get("year"))
    try:
        return int(year) if year is not None and year == year else None
    except (TypeError, ValueError):
        return None


def round_earliest(record: dict, context: dict) -> dt.date | None:
    """A round's dates (and its projects' agreements) start at the earliest in the year before it."""
    year = _round_year(record, context)
    return dt.date(year - 1, 1, 1) if year else None


def round_latest(record: dict, context: dict) -> dt.date | None:
    """... and end at the latest two years after it (a round's projects run into the following years)."""
    year = _round_year(record, context)
    return dt.date(year + 2, 12, 31) if year else None


def plain_date(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return pd.Timestamp(value).date()
        except (ValueError, TypeError, OverflowError):
            return None
    return value


def _bounds(value: Any) -> tuple[Bound, ...]:
    if not value:
        return ()
    if isinstance(value, Bound):
        return (value,)
    return tuple(value)


def context_rule(*fields: str):
    """A rule over a validated record and its context that no date field carries (e.g. a sign-in
    needs its training to have taken place): the function ``(record, context) -> message | None``
    returns the Chinese message, naming both dates, shown next to ``fields`` (or on the form)."""

    def deco(fn):
        fn._context_fields = tuple(fields)
        return staticmethod(fn)

    return deco


def context_rules(model) -> list:
    out = []
    for klass in getattr(model, "__mro__", ()):
        for value in vars(klass).values():
            fn = getattr(value, "__func__", value)
            if hasattr(fn, "_context_fields") and fn not in out:
                out.append(fn)
    return out


def has_context(model, specs: dict[str, dict]) -> bool:
    return bool(context_rules(model)) or any(m.get("after") or m.get("before") for m in specs.values())


def context_errors(model, specs: dict[str, dict], record: dict, context: dict | None) -> list[tuple[str | None, str]]:
    """(field, message) for each date of a validated ``record`` outside a Bound declared on its field
    (``after=``: not earlier; ``before=``: not later) and each failed ``context_rule`` of ``model``,
    with ``context`` (plus ``today``)."""
    ctx = {"today": dt.date.today(), **(context or {})}
    out: list[tuple[str | None, str]] = []
    for name, meta in specs.items():
        value = _as_date(record.get(name))
        if not isinstance(value, dt.date):
            continue
        for later, bounds in ((False, meta.get("after")), (True, meta.get("before"))):
            for b in _bounds(bounds):
                limit, label = b.limit(record, ctx, later)
                if limit is None:
                    continue
                if (value > limit) if later else (value < limit):
                    word = "晚于" if later else "早于"
                    out.append((name, f"{meta['label']} {value.isoformat()} {word}{label} {limit.isoformat()}"))
    for fn in context_rules(model):
        msg = fn(record, ctx)
        if msg:
            out.append(((fn._context_fields or (None,))[0], msg))
    return out


def field(
    label: str,
    *,
    help: str | None = None,
    widget: str = "text",
    source: str | None = None,
    required: bool = True,
    placeholder: str | None = None,
    name: bool = False,
    after: Bound | Sequence[Bound] = (),
    before: Bound | Sequence[Bound] = (),
    format: str | None = None,
    **checks: Any,
):
    """A Pandera field carrying the form metadata. ``required=False`` makes it nullable.

    ``format`` (:data:`FORMATS`) says how its values read wherever its label heads a column: ``"money"`` for
    yuan, ``"percent"`` for points (85 -> 85%), ``"ratio"`` for a fraction (0.85 -> 85%); by default the one a
    label from :mod:`schemas.columns` (``money(...)`` ...) carries, else the widget's (date, choice, number,
    text). The same label declared with another format anywhere raises :class:`FormatConflict`.

    Dates (``widget="date"``) always get the sane range (``date_range``); ``after`` / ``before`` declare
    the limits the date takes from the record's context (see :class:`Bound`).

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
        checks.setdefault("date_range", ())
    elif after or before:
        raise ValueError("after/before are for date fields")
    format = format or (label.format if isinstance(label, Label) else None) or WIDGET_FORMATS.get(widget, "text")
    if "money" in checks and format != "money":
        raise ValueError(f"{label!r} has the money check: declare it format=\"money\"")
    declare_format(label, format)
    meta = {"label": label, "help": help, "widget": widget, "source": source, "placeholder": placeholder,
            "format": format}
    if after or before:
        meta.update(after=_bounds(after), before=_bounds(before))
    if name:
        meta["is_name"] = True
    return pa.Field(nullable=not required, metadata=meta, **checks)


RULE_RAISES = (TypeError, ValueError, KeyError, AttributeError)


def _rule_alone(fn, cls, row: pd.DataFrame) -> bool:
    try:
        result = fn(cls, row)
    except RULE_RAISES:
        return True
    value = result.iloc[0] if len(result) else True
    return True if pd.isna(value) else bool(value)


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
            except RULE_RAISES:
                # a row's field failed its own type check (its message says so) and the rule raised on it:
                # each row judged on its own, as it would be alone; a row it still raises on passes the rule
                return pd.Series([_rule_alone(fn, cls, df.loc[[i]]) for i in df.index], index=df.index, dtype=bool)

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

    @pa.dataframe_parser
    @classmethod
    def _far_dates(cls, df: pd.DataFrame) -> pd.DataFrame:
        dates = [n for n, col in cls.to_schema().columns.items()
                 if (col.metadata or {}).get("widget") == "date" and n in df.columns]
        if not dates:
            return df
        df = df.copy()
        for c in dates:
            df[c] = far_dates(df[c])
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
