"""能力建设: trainings with attendance and feedback, capability assessments. (Being built in this
session; each screen checks its role.)"""
import streamlit as st

from core.ui.session import require


def trainings() -> None:
    require("trainings")
    st.title("能力培训")


def assessments() -> None:
    require("assessments")
    st.title("能力评估")
