"""How values read on screens, in exports and in documents: one place for money, percentages, numbers, dates
and empty values, so no screen shows a raw ``None``, ``nan``, ``NaT`` or ``24800.0``."""
from __future__ import annotations

import datetime as dt
import math
from decimal import ROUND_HALF_UP, Decimal

EMPTY = "—"


def is_empty(value) -> bool:
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    if isinstance(value, float) and math.isnan(value):
        return True
    try:  # pandas NA / NaT without importing pandas here
        return bool(value != value)  # noqa: PLR0124 - NaN-likes are unequal to themselves
    except (TypeError, ValueError):
        return False


def money(value, empty: str = EMPTY, unit: str = "") -> str:
    """24800.0 -> "24,800", 24800.5 -> "24,800.50" (thousands separators, at most two decimals)."""
    if is_empty(value):
        return empty
    v = float(Decimal(str(value)))
    text = f"{v:,.0f}" if round(v, 2) == round(v) else f"{v:,.2f}"
    return text + unit


def number(value, empty: str = EMPTY, decimals: int = 2) -> str:
    """A count or a score: integers without ".0", others with at most ``decimals`` decimals."""
    if is_empty(value):
        return empty
    v = float(value)
    if v == int(v):
        return f"{int(v):,}"
    return f"{v:,.{decimals}f}".rstrip("0").rstrip(".")


def percent(value, empty: str = EMPTY) -> str:
    """A percentage held in points: 85 -> "85%", 12.35 -> "12.4%" (at most one decimal, as :func:`number`)."""
    if is_empty(value):
        return empty
    points = Decimal(str(value)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)  # 12.35 -> 12.4, as Excel shows it
    return number(points, decimals=1) + "%"


def ratio(value, empty: str = EMPTY) -> str:
    """A fraction as a percentage: 0.85 -> "85%", 0.285 -> "28.5%"."""
    if is_empty(value):
        return empty
    return percent(Decimal(str(value)) * 100)


# the declared formats (schemas.columns.format_of) a number is shown by; any other reads as itself
NUMBER_FORMATS = {"money": money, "percent": percent, "ratio": ratio}


def date(value, empty: str = EMPTY) -> str:
    """A date as 2026-03-01 (a datetime with a time of day keeps HH:MM)."""
    if is_empty(value):
        return empty
    if hasattr(value, "to_pydatetime"):
        value = value.to_pydatetime()
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def text(value, empty: str = EMPTY) -> str:
    """Any value as text for a reader: empty values as ``empty``, floats without a stray ".0"."""
    if is_empty(value):
        return empty
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, (float, Decimal)):
        return number(value)
    if isinstance(value, (dt.date, dt.datetime)) or hasattr(value, "to_pydatetime"):
        return date(value)
    if isinstance(value, (list, tuple)):
        return "、".join(text(v, "") for v in value if not is_empty(v)) or empty
    return str(value)
