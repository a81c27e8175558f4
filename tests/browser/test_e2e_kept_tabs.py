"""Tabs with inputs drawn from the run they are opened in (core/ui/kept_tabs.py, issue 17): a sidebar click on
创投批次 or 一对一辅导 draws the open tab only; what was typed into a form of another tab (not submitted) stays
while the person looks at another tab and the screen reruns; coming back from another screen starts afresh."""
from __future__ import annotations

from tests.browser.conftest import login, open_screen, settle
from tests.browser.widgets import css_key, fill


def _tab(page, label: str) -> None:
    page.get_by_role("tab", name=label).click()
    settle(page, quiet_ms=400)


def _typed(page, key: str) -> str:
    return page.locator(f".{css_key(key)} input").first.input_value()


def _drawn(page, key: str) -> int:
    return page.locator(f".{css_key(key)}").count()


def test_round_admin_keeps_the_new_round_typed_while_another_tab_is_used(server, page):
    login(page, server, "admin")
    open_screen(page, "创投批次")
    assert _drawn(page, "round_edit::name") == 1 and _drawn(page, "round_new::name") == 0  # the open tab only
    _tab(page, "新建批次")
    fill(page, "round_new::name", "2031年测试批次(未提交)")
    _tab(page, "查看与修改")
    page.locator(f".{css_key('round:chosen')} [data-testid='stSelectbox']").click()
    page.get_by_role("option").nth(1).click()  # another round: the screen reruns
    settle(page, quiet_ms=400)
    _tab(page, "新建批次")
    assert _typed(page, "round_new::name") == "2031年测试批次(未提交)"
    open_screen(page, "工作台")
    open_screen(page, "创投批次")  # back on the tab left open (Streamlit keeps a bound tab): a new visit
    assert _drawn(page, "round_edit::name") == 0  # the other tab is drawn once opened again
    assert _typed(page, "round_new::name") != "2031年测试批次(未提交)"  # left unsaved: gone, as on any screen


def test_mentoring_keeps_a_mentor_typed_while_another_tab_is_used(server, page):
    login(page, server, "staff")
    open_screen(page, "一对一辅导")
    assert _drawn(page, "mentor_new::name") == 0
    _tab(page, "导师库")
    fill(page, "mentor_new::name", "测试导师(未提交)")
    _tab(page, "待办跟进")
    _tab(page, "导师库")
    assert _typed(page, "mentor_new::name") == "测试导师(未提交)"
