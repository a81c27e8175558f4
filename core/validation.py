"""Validate records with their Pandera schema and turn failures into Chinese messages per field."""
from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import Any, Iterable

import numpy as np
import pandas as pd
import pandera.pandas as pa

from core.errors import ValidationFailed
from schemas.base import RULE_FIELDS, field_specs
from schemas.messages import message


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
    return value


def _frame(model, records: list[dict]) -> pd.DataFrame:
    cols = list(field_specs(model))
    rows = [{c: r.get(c) for c in cols} for r in records]
    return pd.DataFrame(rows, columns=cols, dtype=object) if rows else pd.DataFrame(columns=cols)


@dataclass(frozen=True)
class RowError:
    row: int  # 0-based position in the records given
    field: str | None
    label: str
    message: str


def _errors(model, exc: pa.errors.SchemaErrors) -> list[RowError]:
    specs = field_specs(model)
    out: list[RowError] = []
    seen = set()
    fc = exc.failure_cases
    for rec in fc.to_dict("records"):
        col, check, idx = rec.get("column"), str(rec.get("check")), rec.get("index")
        row = int(idx) if idx is not None and not (isinstance(idx, float) and math.isnan(idx)) else -1
        if rec.get("schema_context") == "Column" and col in specs:
            name = check.split("(")[0]
            if name == "dtype" and (row, col, "coerce_dtype") in seen:
                continue
            label = specs[col]["label"]
            item = RowError(row, col, label, message(check, label))
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


def validate_many(model, records: list[dict]) -> tuple[dict[int, dict], list[RowError]]:
    """Validate rows at once: (valid rows by position, errors of the others)."""
    if not records:
        return {}, []
    df = _frame(model, records)
    try:
        out = model.validate(df, lazy=True)
        bad: set[int] = set()
        errors: list[RowError] = []
    except pa.errors.SchemaErrors as exc:
        errors = _errors(model, exc)
        bad = {e.row for e in errors}
        if -1 in bad:  # a failure not tied to a row: nothing is valid
            return {}, errors
        good_idx = [i for i in range(len(records)) if i not in bad]
        out = model.validate(df.iloc[good_idx], lazy=True) if good_idx else df.iloc[[]]
    cols = list(field_specs(model))
    valid = {int(i): {c: plain(row[c]) for c in cols} for i, row in out.iterrows()}
    return valid, errors


def validate(model, values: dict) -> dict:
    """One record: the cleaned values, or ValidationFailed with every message at once."""
    valid, errors = validate_many(model, [values])
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
