"""Filling Streamlit widgets in the browser by their ``key`` (Streamlit gives each keyed widget the CSS
class ``st-key-<key>``, with characters other than letters, digits, ``_`` and ``-`` replaced by ``-``)."""
from __future__ import annotations

import re

from tests.browser.conftest import WAIT_MS, settle


def css_key(key: str) -> str:
    return "st-key-" + re.sub(r"[^A-Za-z0-9_-]", "-", key)


def box(page, key: str):
    return page.locator(f".{css_key(key)}")


def fill(page, key: str, value: str) -> None:
    """Type ``value`` into the text field (input or text area) of ``key``, waiting for it to be drawn (deciding
    between the two before the field was drawn waited for an input that a text area never has)."""
    box(page, key).locator("textarea, input").first.fill(value)


def open_select(page, select) -> None:
    """Opens the dropdown of the selectbox ``select`` (its ``stSelectbox`` element) as a person does: click it,
    and click again when its list did not open. A click while another popup is still open (a date picker
    after Enter and Escape, the dropdown of another selectbox) closes that popup instead of opening this one,
    and what is typed next would go to the wrong field. The field is found again by its input's id: while a
    list is open the rest of the page is hidden from the accessibility tree (react-aria), so a locator that
    filters by a role (a form "that has the button 保存评估") no longer finds it."""
    field_id = select.locator("input").first.get_attribute("id")
    this = page.locator(f"[data-testid='stSelectbox']:has(input[id='{field_id}'])")
    for _ in range(3):
        this.click()
        try:
            page.locator(f"input[id='{field_id}'][aria-expanded='true']").wait_for(state="attached", timeout=3_000)
            return
        except Exception:  # noqa: BLE001 - not open yet: let the page settle, click again
            settle(page)
    raise AssertionError("the selectbox's dropdown did not open after three clicks")


def pick(page, select, text: str, *, exact: bool = False) -> str:
    """Choose in the selectbox ``select`` (a locator of its ``stSelectbox`` element that still finds it after a
    rerun, e.g. by its key) the first option containing ``text`` (``exact``: named ``text``) as a person does:
    bring the field to the middle of the window (a list opened near the window's bottom is drawn above the field and
    moves as the page scrolls), open it, type to filter, click the option, and look at the field; when it does not
    show the choice (under load the click landed as the list was drawn again), close what is open and choose again.
    Returns what the field shows ("" when choosing removed the field, e.g. a form that changed with the choice)."""
    shown = ""
    for _ in range(3):
        field = select.first
        field.evaluate("e => e.scrollIntoView({block: 'center'})")
        open_select(page, field)
        page.keyboard.type(text)
        option = page.get_by_role("option", name=text, exact=True) if exact else \
            page.get_by_role("option", name=re.compile(re.escape(text)))
        option.first.click()
        settle(page)
        if page.get_by_role("listbox").count():  # the list opened again over the field
            page.keyboard.press("Escape")
            settle(page)
        if not select.count():
            return ""
        shown = select.first.inner_text().strip() + " " + select.first.locator("input").first.input_value()
        if text in shown:
            return shown
    raise AssertionError(f"the selectbox does not show 「{text}」 after three choices: {shown!r}")


def choose(page, key: str, text: str) -> None:
    """Open a selectbox, type to filter, pick the first option containing ``text`` (:func:`pick`)."""
    pick(page, box(page, key).locator("[data-testid='stSelectbox']"), text)


def multi(page, key: str, option: str) -> None:
    box(page, key).locator("[data-testid='stMultiSelect']").click()
    page.get_by_role("option", name=option, exact=True).click()
    page.keyboard.press("Escape")
    settle(page)


def number(page, key: str, value: int) -> None:
    field = box(page, key).locator("input")
    field.fill(str(value))
    field.press("Tab")


def grid_rows(frame) -> list[dict[str, str]]:
    """The visible rows of an st.dataframe as {column header: cell text}: focus the canvas so the grid
    renders its accessible table, then read that table."""
    frame.locator("canvas[data-testid='data-grid-canvas']").focus()
    frame.locator("canvas td[role='gridcell']").first.wait_for(state="attached", timeout=WAIT_MS)
    rows = frame.locator("canvas tr[role='row']").evaluate_all(
        "rows => rows.map(r => Array.from(r.querySelectorAll('th, td'), c => c.textContent.trim()))")
    header, *body = rows
    return [dict(zip(header, r)) for r in body]
