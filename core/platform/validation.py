"""Validate records with their Pandera schema and turn failures into Chinese messages per field."""
from __future__ import annotations

import datetime as dt
import decimal
import math
import re
import unicodedata
from dataclasses import dataclass
from typing import Any, Iterable

import numpy as np
import pandas as pd
import pandera.pandas as pa

from core.platform.errors import ValidationFailed
from schemas.base import RULE_FIELDS, _tidy, context_errors, field_specs, has_context
from schemas.messages import message

import pandera
from pandera import errors as pa_errors


def _failure_table_when_read() -> bool:
    """pandera (0.35) builds the consolidated failure-case table of every ``SchemaErrors`` as it is raised,
    also for the per-column ones its column backend raises only to unpack them at once into the frame's
    error (``backends/pandas/components.py``): measured, a third of the time a refused one-row form spends
    in pandera. Build it when it is read instead: the same table, by pandera's own code, once, and only for
    the error that reaches us. Applied only to the pandera version it was measured on (else nothing changes);
    ``tests/test_validation_speed.py`` checks the table is the one pandera builds."""
    cls = pa_errors.SchemaErrors
    if getattr(cls, "_built_when_read", False):
        return True
    if not pandera.__version__.startswith("0.35."):
        return False

    def __init__(self, schema, schema_errors, data):
        self.schema, self.schema_errors, self.data = schema, schema_errors, data
        Exception.__init__(self)

    def _metadata(self):
        meta = self.__dict__.get("_metadata")
        if meta is None:
            meta = self.schema.get_backend(self.data).failure_cases_metadata(self.schema.name, self.schema_errors)
            self.__dict__["_metadata"] = meta
        return meta

    global EAGER_INIT
    EAGER_INIT = cls.__init__
    cls.__init__ = __init__
    cls.failure_cases = property(lambda self: _metadata(self).failure_cases)
    cls.error_counts = property(lambda self: _metadata(self).error_counts)
    cls.message = property(lambda self: _metadata(self).message)
    cls._built_when_read = True
    return True


EAGER_INIT = None  # pandera's own __init__, kept for the test that compares both
LAZY_FAILURE_TABLE = _failure_table_when_read()


def plain(value: Any) -> Any:
    """A value as a plain Python object fit for DuckDB and JSON (NaN/NaT -> None, Timestamp -> date)."""
    if value is None or value is pd.NaT:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, pd.Timestamp):
        if value.hour == value.minute == value.second == value.microsecond == 0:
            return value.date()
        return value.to_pydatetime()
    if isinstance(value, np.generic):
        return plain(value.item())
    if isinstance(value, np.ndarray):
        return [plain(v) for v in value.tolist()]
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if value is pd.NA:
        return None
    if isinstance(value, decimal.Decimal):  # DuckDB DECIMAL money columns
        return None if value.is_nan() else float(value)
    return value


_CONTAINERS = (bytes, bytearray, memoryview, list, tuple, set, frozenset, dict)
_NUMBERS = (int, float, decimal.Decimal, np.integer, np.floating)


def _missing(value: Any) -> bool:
    if value is None or value is pd.NaT or value is pd.NA:
        return True
    if isinstance(value, (float, np.floating)) and math.isnan(value):
        return True
    if isinstance(value, decimal.Decimal) and value.is_nan():
        return True
    return isinstance(value, np.datetime64) and np.isnat(value)


def _fit(value: Any, widget: str) -> tuple[bool, Any]:
    """(False, None) for a value of a kind the widget never gives (a list for a name, a number for a
    date, bytes, arbitrary objects): it is reported as 格式不正确 instead of being turned into text or
    read as nanoseconds since 1970. Dates lose their time and time zone (the date as written)."""
    if _missing(value):
        return True, None
    if widget == "numbers":  # a list of numbers the system stores (a tranche plan's shares)
        return isinstance(value, (list, tuple)) and all(
            isinstance(v, _NUMBERS) and not isinstance(v, (bool, np.bool_)) for v in value), value
    if widget in ("multiselect", "lines", "select"):
        return True, value  # their own checks (subset_of, text_lines, in_choices) judge the value
    if isinstance(value, (bool, np.bool_)):
        return widget == "checkbox", value
    if widget == "checkbox":
        return not isinstance(value, _CONTAINERS), value
    if widget == "date":
        if isinstance(value, np.datetime64):
            try:
                value = pd.Timestamp(value)
            except (ValueError, OverflowError):
                return False, None
        if isinstance(value, dt.datetime):
            return True, value.replace(tzinfo=None).date()
        return isinstance(value, (dt.date, str)), value
    if widget == "datetime":  # a moment the system stamps: a datetime, never text to guess at
        if isinstance(value, np.datetime64):
            value = pd.Timestamp(value)
        return isinstance(value, dt.datetime), value
    if widget in ("int", "float"):
        return isinstance(value, (*_NUMBERS, str)), value
    # text, textarea, password: text, or a number / date as written in a spreadsheet cell
    return isinstance(value, (str, *_NUMBERS, dt.date)), value


# a date as people write it: 2024-03-01, 2024/3/1, 2024.3.1, 2024年3月1日 (full-width digits too, read
# through NFKC), 20240301, optionally followed by a time of day (which is dropped)
_DATE_TEXT = re.compile(
    r"(?P<y>\d{4})\s*(?:(?P<sep>[-/.])\s*(?P<m>\d{1,2})\s*(?P=sep)\s*(?P<d>\d{1,2})"
    r"|年\s*(?P<m2>\d{1,2})\s*月\s*(?P<d2>\d{1,2})\s*日?"
    r"|(?P<m3>\d{2})(?P<d3>\d{2}))"
    r"(?:(?:\s+|T)\d{1,2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?)?")


def read_date(text: str) -> dt.date | None:
    """The calendar date ``text`` writes, or None (not a date, or no such day: 2024-02-30).

    Each value is read on its own, so one column may mix the ways of writing (pandas reads a whole
    column in the format of its first value and gives up on the column at the first that differs)."""
    found = _DATE_TEXT.fullmatch(unicodedata.normalize("NFKC", text).strip())
    if found is None:
        return None
    g = found.groupdict()
    month, day = g["m"] or g["m2"] or g["m3"], g["d"] or g["d2"] or g["d3"]
    try:
        return dt.date(int(g["y"]), int(month), int(day))
    except ValueError:
        return None


def _fitted(model, records: list[dict]) -> tuple[list[dict], set[tuple[int, str]]]:
    specs = field_specs(model)
    out, wrong = [], set()
    for i, r in enumerate(records):
        r = dict(r)
        for c, meta in specs.items():
            if c in r:
                widget = meta.get("widget") or "text"
                ok, value = _fit(r[c], widget)
                if ok and widget == "date" and isinstance(value, str) and value.strip():
                    value = read_date(value)  # the date itself, never text for pandas to guess at
                    ok = value is not None
                r[c] = value if ok else None
                if not ok:
                    wrong.add((i, c))
        out.append(r)
    return out, wrong


def _frame(model, records: list[dict]) -> pd.DataFrame:
    cols = list(field_specs(model))
    tidy = not hasattr(model, "to_schema")  # schemas built at run time lack FormSchema's text parser
    rows = [{c: (_tidy(r.get(c)) if tidy else r.get(c)) for c in cols} for r in records]
    return pd.DataFrame(rows, columns=cols, dtype=object) if rows else pd.DataFrame(columns=cols)


@dataclass(frozen=True)
class RowError:
    row: int  # 0-based position in the records given
    field: str | None
    label: str
    message: str


def _errors(model, exc: pa.errors.SchemaErrors, uncoercible_rows: set[int] | None = None) -> list[RowError]:
    """The failures as messages by row; ``uncoercible_rows`` (if given) receives the rows holding a value
    that cannot be read as its column's type (the checks of that column then did not run on the others)."""
    specs = field_specs(model)
    out: list[RowError] = []
    seen = set()
    records = exc.failure_cases.to_dict("records")

    def _row(rec) -> int:
        idx = rec.get("index")
        return int(idx) if idx is not None and not (isinstance(idx, float) and math.isnan(idx)) else -1

    # a value that cannot be read as its type gets one message ("格式不正确"), not also those of the
    # checks that then ran on the raw value (e.g. "去年春天" is not also "later than today"); such a
    # check may even raise on it (TypeError, reported without a row), which must not spoil every row
    uncoercible = {(_row(r), r.get("column")) for r in records
                   if r.get("schema_context") == "Column" and str(r.get("check")).startswith("coerce_dtype")}
    uncoercible_cols = {c for _, c in uncoercible}
    if uncoercible_rows is not None:
        uncoercible_rows.update(r for r, _ in uncoercible)  # -1: a value Pandera could not tie to its row
    for rec in records:
        col, check = rec.get("column"), str(rec.get("check"))
        row = _row(rec)
        if rec.get("schema_context") == "Column" and col in specs:
            name = check.split("(")[0]
            if name != "coerce_dtype" and ((row, col) in uncoercible or (row == -1 and col in uncoercible_cols)):
                continue
            label = specs[col]["label"]
            item = RowError(row, col, label, message(check, label, specs[col].get("widget") or "text"))
            seen.add((row, col, name))
        elif check in RULE_FIELDS:
            fields = RULE_FIELDS[check]
            target = fields[0] if fields else None
            item = RowError(row, target, specs.get(target, {}).get("label", ""), check)
        else:
            item = RowError(row, None, "", "提交的数据结构不正确,请刷新页面后重试")
        key = (item.row, item.field, item.message)
        if key not in seen:
            seen.add(key)
            out.append(item)
    return out


def validate_many(model, records: list[dict], context: dict | list[dict] | None = None
                  ) -> tuple[dict[int, dict], list[RowError]]:
    """Validate rows at once: (valid rows by position, errors of the others). Every error names its
    row (0-based position): a failure Pandera reports without a row is traced to it (see :func:`_checked`).

    ``context``: what the rows' dates are checked against (the project's period, the signing date, the
    registration date...; see ``schemas.base.Bound``), one dict for every row or one per row."""
    if not records:
        return {}, []
    specs = field_specs(model)
    records, wrong = _fitted(model, records)
    wrong_errors = [RowError(i, c, specs[c]["label"], message("coerce_dtype", specs[c]["label"]))
                    for i, c in sorted(wrong)]
    df = _frame(model, records)
    frames, errors = _checked(model, df, wrong)
    errors = wrong_errors + errors
    bad = {e.row for e in errors}
    frames = [f[~f.index.isin(bad)] for f in frames]
    dates = {c for c, meta in specs.items() if meta.get("widget") == "date"}
    valid = {int(i): {c: _date(plain(row[c])) if c in dates else plain(row[c]) for c in specs}
             for f in frames for i, row in zip(f.index, f[list(specs)].to_dict("records"))}
    return in_context(model, dict(sorted(valid.items())), errors, context)


def _checked(model, df: pd.DataFrame, wrong: set[tuple[int, str]]) -> tuple[list[pd.DataFrame], list[RowError]]:
    """(validated frames of the good rows, errors of the others) for ``df`` indexed by row position.

    Rows with a failure are taken out and the rest validated again (a check skipped on the first pass,
    because the column also held values of the wrong kind, runs on the second; a row holding a value its
    column cannot read is validated alone, since Pandera then checks that column on no row). A failure Pandera
    cannot tie to a row (a check that raised on some value) is traced by halving the rows until the
    row is alone; it is then that row's error. So every path ends in errors by row, never an exception."""
    frames: list[pd.DataFrame] = []
    errors: list[RowError] = []
    wrong_rows = {i for i, _ in wrong}
    while len(df):
        uncoercible: set[int] = set()
        try:
            out = model.validate(df, lazy=True)
        except pa.errors.SchemaErrors as exc:
            # a value of the wrong kind was blanked: only its 格式不正确 is reported, not also 请填写
            found = [e for e in _errors(model, exc, uncoercible) if (e.row, e.field) not in wrong]
        except (TypeError, ValueError, OverflowError, KeyError, AttributeError):
            found = []  # a parser or coercion that raised on some value: traced to its row below
        else:
            frames.append(out)
            break
        rows = {int(i) for i in df.index}
        if uncoercible and len(df) > 1:
            # a column holding a value that cannot be read as its type was not checked on the other rows
            # (another row's score out of range went unreported): the rows with such a value are validated
            # each alone (where only its own column is unreadable) and the others again without them; a
            # value not tied to its row is found by halving the rows, as below
            alone = uncoercible & rows
            _each(model, [df.loc[[i]] for i in sorted(alone)], wrong, frames, errors)
            df = df[~df.index.isin(alone)]
            if alone:
                continue
            _each(model, _halves(df), wrong, frames, errors)
            break
        tied = [e for e in found if e.row in rows]
        bad = {e.row for e in tied} | (wrong_rows & rows)
        if bad:
            errors += tied
            df = df[~df.index.isin(bad)]
            continue
        if len(df) == 1:  # the failure is this row's
            pos = int(df.index[0])
            errors += [RowError(pos, e.field, e.label, e.message) for e in found] or [
                RowError(pos, None, "", "数据无法校验:请检查各项的填写格式")]
            break
        _each(model, _halves(df), wrong, frames, errors)
        break
    return frames, errors


def _halves(df: pd.DataFrame) -> list[pd.DataFrame]:
    half = len(df) // 2
    return [df.iloc[:half], df.iloc[half:]]


def _each(model, parts: list[pd.DataFrame], wrong, frames: list, errors: list) -> None:
    """:func:`_checked` on each part, its frames and errors added to ``frames`` and ``errors``."""
    for part in parts:
        more_frames, more_errors = _checked(model, part, wrong)
        frames += more_frames
        errors += more_errors


def _date(value: Any) -> Any:
    return value.date() if isinstance(value, dt.datetime) else value


def in_context(model, valid: dict[int, dict], errors: list[RowError], context: dict | list[dict] | None
               ) -> tuple[dict[int, dict], list[RowError]]:
    """The valid rows whose dates also fit their context (``after=`` / ``before=`` bounds of the
    schema's date fields); the others move to the errors with a message naming both dates."""
    specs = field_specs(model)
    if not has_context(model, specs):
        return valid, errors
    valid, errors = dict(valid), list(errors)
    for i in sorted(valid):
        ctx = context[i] if isinstance(context, list) else context
        problems = context_errors(model, specs, valid[i], ctx)
        if problems:
            del valid[i]
            errors += [RowError(i, f, specs.get(f, {}).get("label", ""), m) for f, m in problems]
    return valid, errors


def validate(model, values: dict, context: dict | None = None) -> dict:
    """One record: the cleaned values, or ValidationFailed with every message at once.

    ``context``: the related record's dates its own dates are checked against (see ``validate_many``)."""
    valid, errors = validate_many(model, [values], context=context)
    if errors:
        raise to_failure(errors)
    return valid[0]


def to_failure(errors: Iterable[RowError]) -> ValidationFailed:
    fields: dict[str, list[str]] = {}
    form: list[str] = []
    for e in errors:
        if e.field:
            msgs = fields.setdefault(e.field, [])
            if e.message not in msgs:
                msgs.append(e.message)
        elif e.message not in form:
            form.append(e.message)
    return ValidationFailed(fields=fields, form=form)


def jsonable(value: Any) -> Any:
    v = plain(value)
    if isinstance(v, (dt.date, dt.datetime)):
        return v.isoformat()
    if isinstance(v, list):
        return [jsonable(x) for x in v]
    if isinstance(v, dict):
        return {k: jsonable(x) for k, x in v.items()}
    return v
