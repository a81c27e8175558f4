"""Consent for personal data, declared once for every register of people (志愿者, 服务对象): the three fields
(已同意个人信息使用, 同意日期, 同意方式) and the rules — personal details (a phone number, an ID number) are kept
only with consent, and a consent is dated and says how it was given.

A schema takes the fields with ``consent_fields`` and the rules with ``consent_rules`` (each call makes new
Pandera checks, so two schemas never share one check object)::

    class Volunteer(FormSchema):
        ...
        consent, consent_date, consent_method = consent_fields("本人同意中心登记并使用其联系方式等个人信息")
        _phone_consent, _consent_dated, _consent_how = consent_rules(("phone", NO_CONSENT_PHONE))
"""
from __future__ import annotations

import pandas as pd

from schemas import choices
from schemas.base import blank, field, rule

CONSENT_METHODS = ["纸质登记表签字", "线上报名勾选", "口头同意并记录"]
choices.register_provider("consent_methods", lambda: CONSENT_METHODS)

DATED = "已同意个人信息使用时须填写同意日期"
HOW = "已同意个人信息使用时须选择同意方式"


def consented(df: pd.DataFrame) -> pd.Series:
    """Rows whose consent is given (an empty box is no consent)."""
    return df["consent"].fillna(False).astype(bool)


def no_consent_message(what: str, clear: str) -> str:
    """The refusal of personal data typed without consent: what to change, in Chinese."""
    return (f"未取得个人信息使用同意,不能登记{what}:请勾选「已同意个人信息使用」并填写同意日期和方式,"
            f"或清空{clear}")


def consent_fields(help: str):
    """The three consent fields, in their order on the form."""
    return (field("已同意个人信息使用", widget="checkbox", required=False, help=help),
            field("同意日期", widget="date", required=False, not_future=()),
            field("同意方式", widget="select", source="consent_methods", required=False))


def _needs_consent(name: str, message: str):
    @rule(name, message=message)
    def check(cls, df: pd.DataFrame) -> pd.Series:
        return consented(df) | df[name].map(blank)

    check.__func__.__name__ = f"_{name}_needs_consent"
    return check


def consent_rules(*personal: tuple[str, str]):
    """The rules: each ``(field, message)`` of ``personal`` is kept only with consent; a consent is dated and says
    how. Returns the checks, to be bound to names in the schema's class body (one per personal field, then the
    date's and the method's)."""

    @rule("consent_date", message=DATED)
    def dated(cls, df: pd.DataFrame) -> pd.Series:
        return ~consented(df) | df["consent_date"].notna()

    @rule("consent_method", message=HOW)
    def how(cls, df: pd.DataFrame) -> pd.Series:
        return ~consented(df) | df["consent_method"].map(lambda v: not blank(v))

    return (*(_needs_consent(name, message) for name, message in personal), dated, how)
