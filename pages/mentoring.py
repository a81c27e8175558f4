"""孵化: one-to-one mentoring, each organisation's support history, lifecycle, incubation and ratings.
(Being built in this session; each screen checks its role.)"""
import streamlit as st

from core.ui.session import require


def mentoring() -> None:
    require("mentoring")
    st.title("一对一辅导")


def org_support() -> None:
    require("org_support")
    st.title("组织成长档案")


def lifecycle() -> None:
    require("lifecycle")
    st.title("孵化与等级")
