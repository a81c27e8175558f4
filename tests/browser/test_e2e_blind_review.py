"""盲评 in a real browser: the demo reviewer 'expert' opens 我的评审 and their task on the application of
杭州市钱塘区青葵儿童关爱服务中心 in a blind round. The task table, the task picker and the opened task name
the project by its 评审用名称 (「弱势群体关爱-NN」); the page text names the organisation nowhere: not its
registered name, its short forms (青葵儿童关爱服务中心, 青葵), its brand (青葵伙伴) nor its people.
Staff, at 资格审查 of an application of that round, find the 评审用名称 proposed, type their own, conclude
审查合格, and find it stored on 申报详情's 资格审查 tab. Screenshots go to /tmp/shots-blind/."""
from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import expect

from tests.browser.conftest import WAIT_MS, login, open_screen, settle
from tests.browser.widgets import open_select, box, choose, fill, grid_rows
from tests.demo_cache import query_one

SHOTS = Path("/tmp/shots-blind")
QK = "杭州市钱塘区青葵儿童关爱服务中心"


def _task() -> tuple[str, str, list[str]]:
    """The demo expert's newest blind-round task on the 青葵 application: (task id, the reviewer-facing title
    computed here from the category and the number in the round, the organisation's names and people)."""
    row = query_one(
        "WITH t AS (SELECT id, round_id, org_id, category, blind_title,"
        " row_number() OVER (PARTITION BY round_id, category ORDER BY id) AS n FROM applications)"
        " SELECT s.id, coalesce(t.blind_title, t.category || '-' || lpad(CAST(t.n AS VARCHAR), 2, '0')),"
        " o.legal_rep, o.contact_person FROM assignments s JOIN t ON t.id = s.application_id"
        " JOIN rounds r ON r.id = t.round_id JOIN organisations o ON o.id = t.org_id"
        " WHERE s.reviewer = 'expert' AND r.blind_review AND o.name = ? ORDER BY r.year DESC, s.id LIMIT 1", [QK])
    assert row is not None, "the demo expert should have a blind-round task on the 青葵 application"
    task_id, title, *people = row
    return str(task_id), title, [QK, "青葵儿童关爱服务中心", "青葵伙伴", "青葵", *[p for p in people if p]]


def _shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)




def test_a_blind_task_names_the_project_by_its_reviewer_title_and_the_organisation_nowhere(page, server):
    task_id, title, names = _task()
    assert re.fullmatch(r"弱势群体关爱-\d{2}", title), title
    login(page, server, "expert")
    open_screen(page, "我的评审")
    _shot(page, "1-task-list")
    body = page.inner_text("body")
    assert [n for n in names if n in body] == []

    rows = {r["任务编号"]: r for r in grid_rows(page.locator("[data-testid='stDataFrame']").first)}
    assert rows[task_id]["项目名称"] == title
    assert [n for n in names if n in " ".join(rows[task_id].values())] == []

    box = page.locator(".st-key-task")
    open_select(page, box.locator("[data-testid='stSelectbox']"))
    page.keyboard.type(task_id)
    option = page.get_by_role("option", name=f"{task_id} · {title}", exact=True)
    option.wait_for(timeout=WAIT_MS)
    listed = page.get_by_role("option").filter(has_text=re.compile(rf"^{task_id} · ")).all_inner_texts()
    assert listed == [f"{task_id} · {title}"]
    _shot(page, "2-task-picker")
    option.click()
    settle(page)
    page.get_by_role("heading", name=title).first.wait_for(timeout=WAIT_MS)
    _shot(page, "3-task-open")
    body = page.inner_text("body")
    assert title in body
    assert "申报组织:(盲评:申报组织信息已隐藏)" in body
    assert [n for n in names if n in body] == []


def test_staff_set_the_reviewer_title_at_screening(page, server):
    app_id, category = query_one(
        "SELECT a.id, a.category FROM applications a JOIN rounds r ON r.id = a.round_id"
        " WHERE r.blind_review AND a.state = 'screening' ORDER BY a.id LIMIT 1")
    login(page, server, "staff")
    open_screen(page, "资格审查")
    choose(page, "screen:chosen", f"·编号 {app_id}")
    key = f"screen_form:{app_id}::blind_title"
    expect(box(page, key).locator("input")).to_have_value(re.compile(rf"^{re.escape(category)}-\d{{2}}$"))
    _shot(page, "4-screening-proposed")
    fill(page, key, "评审项目甲")
    expect(box(page, key).locator("input")).to_have_value("评审项目甲")
    choose(page, f"screen_form:{app_id}::outcome", "审查合格")
    page.locator("[data-testid='stForm']").get_by_role("button", name="提交审查结论").click()
    settle(page)
    _shot(page, "5-screening-done")
    page.locator("[data-testid='stAlert']", has_text="已记录审查结论:审查合格").wait_for(timeout=WAIT_MS)
    open_screen(page, "申报详情")
    choose(page, "app_page:chosen", f"{app_id} · ")
    page.get_by_text("状态:审查合格").first.wait_for(timeout=WAIT_MS)
    page.get_by_role("tab", name="资格审查").click()
    _shot(page, "6-detail-stored")
    expect(box(page, f"blind_title:{app_id}::blind_title").locator("input")).to_have_value("评审项目甲")
