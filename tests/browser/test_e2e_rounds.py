"""One application through the 公益创投 workflow in a real browser: intake (with a milestone typed
into the data editor) -> submitted -> screening -> eligible -> sent to expert review."""
from __future__ import annotations

import random

from tests.browser.conftest import WAIT_MS, login, open_screen, settle, wait_for_app
from tests.browser.widgets import open_select, box as _box, choose as _choose, fill as _fill, multi as _multi, number as _number


def _register_filed_org(page, name: str) -> None:
    open_screen(page, "登记新组织")
    _fill(page, "org_new::name", name)
    _choose(page, "org_new::kind", "社区社会组织(备案)")
    _fill(page, "org_new::filing_no", "下沙备字〔2026〕第901号")
    _fill(page, "org_new::contact_person", "钱测试")
    _fill(page, "org_new::contact_phone", "13900001111")
    _choose(page, "org_new::community", "文海社区")
    _choose(page, "org_new::stage", "初创期")
    page.locator("[data-testid='stForm']").get_by_role("button", name="登记").click()
    settle(page)
    page.locator("[data-testid='stAlert']", has_text=f"已登记:{name}").wait_for(timeout=WAIT_MS)


def _open_cell(page, editor, x: float, y: float) -> None:
    """Open the grid cell at (x, y) for typing: a click selects it (the first click may only focus the grid,
    a click on a cell already selected opens it at once), Enter opens its editor; tried until the editor
    shows (late on a busy machine)."""
    for _ in range(4):
        page.mouse.click(x, y)
        page.wait_for_timeout(300)
        if not editor.is_visible():
            page.keyboard.press("Enter")
        try:
            editor.wait_for(state="visible", timeout=3000)
            return
        except Exception:  # noqa: BLE001 - not open yet: click again
            continue
    editor.wait_for(state="visible", timeout=WAIT_MS)


def _add_milestone(page, date: str, deliverable: str) -> None:
    """Type a milestone into the form's data editor (a canvas grid) in its first empty row (no "Add row"
    toolbar: the editor offers empty rows, see core.ui.editor.child_editor), per cell: open it, type, Enter
    commits. Then save the draft."""
    grid = _box(page, "app_form:stones").locator("[data-testid='stDataFrame']")
    grid.scroll_into_view_if_needed()
    assert page.get_by_role("button", name="Add row").count() == 0
    box = grid.bounding_box()
    editor = page.locator("textarea.gdg-input")  # the grid's cell editor (an overlay while a cell is edited)
    for share, text in ((0.2, date), (0.7, deliverable)):
        _open_cell(page, editor, box["x"] + box["width"] * share, box["y"] + 36 + 17)  # the first (empty) row
        editor.fill(text)  # the whole text at once (keystrokes typed while the editor opens can be lost)
        page.keyboard.press("Enter")  # commits the cell
        editor.wait_for(state="hidden", timeout=WAIT_MS)
        page.wait_for_timeout(300)
    page.get_by_role("button", name="保存草稿").click()
    settle(page)
    page.locator("[data-testid='stAlert']", has_text="草稿已保存").wait_for(timeout=WAIT_MS)


def test_application_from_intake_through_screening_to_review(server, page):
    suffix = "".join(random.choices("甲乙丙丁戊己庚辛壬癸", k=4))
    org = f"下沙街道浏览器测试志愿队{suffix}"
    title = f"独居老人助餐服务{suffix}"
    login(page, server, "staff")
    _register_filed_org(page, org)

    # intake: every field of the application, a milestone, save and submit
    open_screen(page, "项目申报")
    _choose(page, "app_form::org_id", org)
    _choose(page, "app_form::category", "一老一小")
    _fill(page, "app_form::title", title)
    _multi(page, "app_form::communities", "文海社区")
    _fill(page, "app_form::target_group", "辖区独居老人")
    _number(page, "app_form::planned_beneficiaries", 1200)
    budget = {"budget_personnel": 20000, "budget_materials": 15000, "budget_venue": 0, "budget_publicity": 5000,
              "budget_other": 0}
    for field, amount in budget.items():
        _number(page, f"app_form::{field}", amount)
    _number(page, "app_form::requested_amount", sum(budget.values()))
    _fill(page, "app_form::summary", "为独居老人提供助餐和探访服务")
    _fill(page, "app_form::needs_analysis", "社区独居老人三百余人,吃饭难问题突出")
    _fill(page, "app_form::planned_activities", "每周五天助餐,每月探访两次")
    _add_milestone(page, "2027-06-01", "中期评估报告")
    page.get_by_role("button", name="保存并提交").click()
    settle(page)
    page.locator("[data-testid='stAlert']", has_text="已提交").wait_for(timeout=WAIT_MS)

    # screening: start, tick the checklist (all ticked by default), conclude eligible
    open_screen(page, "资格审查")
    _choose(page, "screen:chosen", title)
    page.get_by_role("button", name="开始资格审查").click()
    settle(page)
    page.get_by_text("审查结论").first.wait_for(timeout=WAIT_MS)
    form = page.locator("[data-testid='stForm']")
    open_select(page, form.locator("[class*='--outcome'] [data-testid='stSelectbox']"))
    page.keyboard.type("审查合格")
    page.get_by_role("option", name="审查合格", exact=True).click()
    settle(page)
    form.get_by_role("button", name="提交审查结论").click()
    settle(page)
    page.locator("[data-testid='stAlert']", has_text="已记录审查结论:审查合格").wait_for(timeout=WAIT_MS)

    # the application page: send it to expert review; the timeline shows every step
    open_screen(page, "申报详情")
    _choose(page, "app_page:chosen", title)
    page.get_by_role("tab", name="操作").click()
    page.get_by_role("button", name="送专家评审").click()
    settle(page)
    wait_for_app(page)
    page.get_by_text("状态:专家评审中").wait_for(timeout=WAIT_MS)
