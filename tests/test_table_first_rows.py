"""A long ranking on screen (core.ui.tables.table ``first``): the first rows shown, the count said, every row in the
export (issue 17: at a city's scale 满意度按项目 has thousands of rows, each shown cell formatted on every run)."""
from __future__ import annotations

from streamlit.testing.v1 import AppTest


def _screen(n: int, first: int | None):
    import pandas as pd

    from core.ui.tables import table

    df = pd.DataFrame({"agreement_no": [f"XS-{i:04d}" for i in range(n)], "satisfied": [i / n for i in range(n)]})
    table(df, "满意度按项目", key="t", columns={"agreement_no": "协议编号", "satisfied": "满意率"}, first=first)


def test_only_the_first_rows_are_shown_and_the_count_is_said():
    at = AppTest.from_function(_screen, kwargs={"n": 250, "first": 200}).run()
    assert not at.exception
    shown = at.dataframe[0].value
    assert len(shown) == 200 and shown["协议编号"].iloc[0] == "XS-0000" and shown["协议编号"].iloc[-1] == "XS-0199"
    assert [c.value for c in at.caption] == ["按上表顺序显示前 200 行,共 250 行;「导出Excel」含全部行。"]


def test_a_short_table_is_shown_whole_without_a_note():
    at = AppTest.from_function(_screen, kwargs={"n": 30, "first": 200}).run()
    assert len(at.dataframe[0].value) == 30 and not at.caption
    at = AppTest.from_function(_screen, kwargs={"n": 250, "first": None}).run()
    assert len(at.dataframe[0].value) == 250 and not at.caption
