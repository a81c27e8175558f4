"""动态监管 in a real browser: staff see a running project's pace warning on the risk board, record an
activity on the project's file (服务台账), see the warning clear, pass the mid-term evaluation (评估) and
release tranche 2 (资金), which the screen refused before the evaluation."""
from __future__ import annotations

import datetime as dt
import re


from tests.browser.conftest import WAIT_MS, login, open_screen, settle
from tests.browser.monitoring_scenario import AGREEMENT_NO
from tests.browser.widgets import box, choose, fill, number

PREPARE = "from tests.browser.monitoring_scenario import build; build()"  # the module's scenario (conftest's server)

KEY_PREFIX = "activity:"



def _tab(page, name: str) -> None:
    page.get_by_role("tab", name=name, exact=True).first.click()
    settle(page)


def _board_rules(page) -> str:
    """The risk board's rows for our project, as text (the grid's accessible table)."""
    open_screen(page, "风险预警")
    grid = page.locator("[data-testid='stDataFrame']").first
    grid.wait_for(timeout=WAIT_MS)
    canvas = grid.locator("canvas[data-testid='data-grid-canvas']")
    canvas.focus()
    page.wait_for_timeout(300)
    rows = canvas.locator("tr[role='row']").evaluate_all(
        "rows => rows.map(r => Array.from(r.querySelectorAll('th, td'), c => c.textContent.trim()).join(' | '))")
    return "\n".join(r for r in rows if AGREEMENT_NO in r)


def _date(page, key: str, day: dt.date) -> None:
    field = box(page, key).locator("input")
    field.fill(day.isoformat())
    field.press("Enter")
    page.keyboard.press("Escape")
    assert field.input_value() == day.isoformat()


def _form_button(page, key: str, name: str) -> None:
    page.locator(f"[data-testid='stForm']").filter(has=box(page, key)).get_by_role("button", name=name).click()
    settle(page)


def _open_project(page) -> int:
    open_screen(page, "项目档案")
    choose(page, "project:chosen", AGREEMENT_NO)
    page.get_by_role("heading", name=re.compile(AGREEMENT_NO)).first.wait_for(timeout=WAIT_MS)
    return int(re.search(r"id=(\d+)", page.url).group(1))


def test_activity_clears_the_pace_warning_then_midterm_and_tranche_two(server, page):
    login(page, server, "staff")
    before = _board_rules(page)
    assert "活动进度滞后" in before and "长期未开展活动" in before

    pid = _open_project(page)
    _tab(page, "服务台账")
    page.get_by_text("登记活动", exact=True).first.click()  # the expander
    key = f"{KEY_PREFIX}{pid}"
    _date(page, f"{key}::activity_date", dt.date.today() - dt.timedelta(days=1))
    choose(page, f"{key}::community", "文海社区")
    choose(page, f"{key}::kind", "小组活动")
    fill(page, f"{key}::title", "老人健康小组第一次活动")
    number(page, f"{key}::participants", 20)
    number(page, f"{key}::person_times", 40)
    _form_button(page, f"{key}::title", "登记活动")
    page.locator("[data-testid='stAlert']", has_text="已登记活动").first.wait_for(timeout=WAIT_MS)

    after = _board_rules(page)
    assert "活动进度滞后" not in after and "长期未开展活动" not in after

    _open_project(page)
    _tab(page, "资金")
    page.get_by_text(re.compile("第2期暂不能拨付")).first.wait_for(timeout=WAIT_MS)

    _tab(page, "评估")
    ekey = f"eval:{pid}:midterm"
    _date(page, f"{ekey}::eval_date", dt.date.today())
    choose(page, f"{ekey}::method", "实地")
    fill(page, f"{ekey}::evaluator", "王敏")
    for i, pts in enumerate((27, 21, 17, 12, 8), start=1):
        number(page, f"{ekey}::score_{i}", pts)
    fill(page, f"{ekey}::conclusion", "按计划推进,台账完整")
    _form_button(page, f"{ekey}::evaluator", "保存中期评估")
    page.locator("[data-testid='stAlert']", has_text="已保存中期评估").first.wait_for(timeout=WAIT_MS)

    _tab(page, "资金")
    page.get_by_role("button", name="拨付第2期资金").wait_for(timeout=WAIT_MS)
    tranche_form = page.locator("[data-testid='stForm']").filter(has=page.get_by_role("button", name="拨付第2期资金"))
    tranche_form.locator("input[aria-label*='审批人']").fill("陈主任")
    tranche_form.get_by_role("button", name="拨付第2期资金").click()
    settle(page)
    # a release cannot be undone: the screen asks first, and only 确认拨付 releases
    page.locator("[class*='st-key-release-'][class*='-confirm']").get_by_role("button", name="确认拨付").click()
    settle(page)
    page.locator("[data-testid='stAlert']", has_text="已登记拨付第2期资金").first.wait_for(timeout=WAIT_MS)
    page.locator("[data-testid='stAlert']", has_text="第3期暂不能拨付").first.wait_for(timeout=WAIT_MS)
