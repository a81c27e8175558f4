"""Custom Pandera checks, registered once and reused by every schema (``pa.Field(uscc=())``).

Each check's Chinese message lives in :mod:`schemas.messages` under the check's name.
"""
from __future__ import annotations

import datetime as dt
import math
import re
import unicodedata

import pandas as pd
import phonenumbers
from pandera import extensions
from pandera.api.checks import Check
from stdnum.cn import uscc as _uscc

from schemas import choices

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _registered(name: str) -> bool:
    return name in getattr(Check, "REGISTERED_CUSTOM_CHECKS", {})


def _element_check(fn=None, *, statistics=None):
    def wrap(f):
        if not _registered(f.__name__):
            extensions.register_check_method(statistics=statistics or [], check_type="element_wise")(f)
        return f

    return wrap(fn) if fn is not None else wrap


def normalise_uscc(value: str) -> str:
    """The one spelling of a 统一社会信用代码 that is checked and stored: full-width letters and digits as
    half-width (NFKC), spaces and hyphens removed, upper case (``ｍｊ`` -> ``MJ``). Full-width characters
    NFKC cannot turn into half-width ones (``。``, ``、``, 汉字) are left as they are, for the ``halfwidth``
    check to name them (python-stdnum would turn ``。`` into ``.`` and hide the cause)."""
    text = unicodedata.normalize("NFKC", value)
    if fullwidth_chars(text):
        return text.strip()
    return _uscc.compact(text)


def fullwidth_chars(value: str) -> list[str]:
    """The full-width (or wide: Chinese punctuation, 汉字) characters in ``value``."""
    return [c for c in value if unicodedata.east_asian_width(c) in ("F", "W")]


@_element_check
def halfwidth(value) -> bool:
    """No full-width characters left (after normalisation only Chinese punctuation, 汉字 and the like)."""
    return not isinstance(value, str) or not fullwidth_chars(value)


@_element_check
def uscc(value) -> bool:
    """统一社会信用代码 per GB 32100-2015 (format and check character), via python-stdnum, after
    :func:`normalise_uscc`. A value with full-width characters left is the ``halfwidth`` check's failure
    (its message names the cause); ``field()`` adds that check to every field with this one."""
    if not isinstance(value, str):
        return False
    if fullwidth_chars(value):
        return True
    return _uscc.is_valid(normalise_uscc(value))


def normalise_phone(value: str) -> str | None:
    """Mainland mobile or landline in national format, or None when it is not one."""
    try:
        num = phonenumbers.parse(value, "CN")
    except phonenumbers.NumberParseException:
        return None
    if num.country_code != 86 or not phonenumbers.is_valid_number(num):
        return None
    kinds = {
        phonenumbers.PhoneNumberType.MOBILE,
        phonenumbers.PhoneNumberType.FIXED_LINE,
        phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
    }
    if phonenumbers.number_type(num) not in kinds:
        return None
    return phonenumbers.format_number(num, phonenumbers.PhoneNumberFormat.NATIONAL)


@_element_check
def phone_cn(value) -> bool:
    return isinstance(value, str) and normalise_phone(value) == value


def _as_date(value):
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NaT:
        return None
    if isinstance(value, pd.Timestamp):
        return value.date()
    if isinstance(value, dt.datetime):
        return value.date()
    return value


@_element_check
def not_future(value) -> bool:
    d = _as_date(value)
    return d is None or d <= dt.date.today()


@_element_check
def plain_text(value) -> bool:
    """No control characters (newlines and tabs are fine)."""
    return not isinstance(value, str) or not _CONTROL.search(value)


@_element_check(statistics=["source"])
def in_choices(value, *, source: str) -> bool:
    try:
        return value in choices.allowed(source)
    except TypeError:  # an unhashable value (a list where one value belongs) is not a choice
        return False


@_element_check(statistics=["source"])
def subset_of(value, *, source: str) -> bool:
    if value is None:
        return True
    if not isinstance(value, (list, tuple)):
        return False
    allowed = choices.allowed(source)
    return all(isinstance(v, str) and v in allowed for v in value)


@_element_check
def text_lines(value) -> bool:
    """A list of short lines of plain text (checklists, tags)."""
    if value is None:
        return True
    if not isinstance(value, (list, tuple)):
        return False
    return all(isinstance(v, str) and 0 < len(v) <= 100 and not _CONTROL.search(v) for v in value)


MONEY_MAX = 1_000_000_000  # yuan


@_element_check
def money(value) -> bool:
    """A yuan amount: not negative, at most two decimals, below a billion."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return True
    try:
        f = float(value)
    except (TypeError, ValueError):
        return False
    if math.isinf(f) or f < 0 or f >= MONEY_MAX:
        return False
    return abs(round(f, 2) - f) < 1e-6
