"""Dates that fit their context, in a real browser: staff record an expense dated before the agreement's
start on a running project of the demo data; the form says so in Chinese naming both dates, keeps what was
typed, and nothing is stored. Then the first day of the period is accepted."""
from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

from tests.browser.conftest import WAIT_MS, login, open_screen, settle
from tests.browser.widgets import box, choose, fill, number
from tests.demo_cache import query_one

SHOTS = Path("/tmp/shots-dates")


def test_an_expense_before_the_agreement_start_is_refused_naming_both_dates(server, page):
    SHOTS.mkdir(parents=True, exist_ok=True)
    pid, agreement_no, start = query_one(
        "SELECT id, agreement_no, start_date FROM projects WHERE state = 'active' AND start_date <= current_date"
        " ORDER BY id LIMIT 1")
    early = start - dt.timedelta(days=30)

    login(page, server, "staff")
    open_screen(page, "项目档案")
    choose(page, "project:chosen", agreement_no)
    page.get_by_role("heading", name=re.compile(agreement_no)).first.wait_for(timeout=WAIT_MS)
    page.get_by_role("tab", name="资金", exact=True).first.click()
    settle(page)
    page.get_by_text("登记支出", exact=True).first.click()  # the expander
    key = f"expense:{pid}"
    field = box(page, f"{key}::expense_date").locator("input")
    field.fill(early.isoformat())
    field.press("Enter")
    page.keyboard.press("Escape")
    choose(page, f"{key}::line", "人员")
    number(page, f"{key}::amount", 321)
    fill(page, f"{key}::description", "志愿者交通补贴")
    fill(page, f"{key}::voucher_no", "PZ-DATE-01")
    form = page.locator("[data-testid='stForm']").filter(has=box(page, f"{key}::voucher_no"))
    form.get_by_role("button", name="登记支出").click()
    settle(page)

    message = f"支出日期 {early.isoformat()} 早于协议开始日期 {start.isoformat()}"
    form.locator("[data-testid='stAlert']", has_text=message).first.wait_for(timeout=WAIT_MS)
    page.get_by_text("未保存:请按提示修改后重新提交。").first.wait_for(timeout=WAIT_MS)
    page.screenshot(path=str(SHOTS / "1-expense-before-start-refused.png"), full_page=True)
    # the input is kept
    assert box(page, f"{key}::expense_date").locator("input").input_value() == early.isoformat()
    assert box(page, f"{key}::voucher_no").locator("input").input_value() == "PZ-DATE-01"
    assert box(page, f"{key}::description").locator("input").input_value() == "志愿者交通补贴"
    assert page.get_by_text("已登记支出").count() == 0

    # the first day of the period is accepted, with the same voucher number: the refused one was not stored
    # (a stored one would make this a duplicate voucher)
    field = box(page, f"{key}::expense_date").locator("input")
    field.fill(start.isoformat())
    field.press("Enter")
    page.keyboard.press("Escape")
    form.get_by_role("button", name="登记支出").click()
    settle(page)
    page.locator("[data-testid='stAlert']", has_text="已登记支出 321").first.wait_for(timeout=WAIT_MS)
    page.screenshot(path=str(SHOTS / "2-expense-on-start-accepted.png"), full_page=True)
