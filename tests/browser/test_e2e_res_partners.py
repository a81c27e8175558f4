"""企业公益认领 in a real browser: staff open a claimable item (a running project's funding gap), record that an
enterprise claims it, register the money's arrival after the confirmation that says what it will do, and the project
file shows the money in 配套资金:企业 (and 企业公益认领资金到位 in its timeline); the continuity tables read in
Chinese; a leader reads 伙伴合作概况 without any form and is kept out of the writing screen."""
from __future__ import annotations

import datetime as dt
import re

import pytest

from playwright.sync_api import expect

from tests.browser.conftest import WAIT_MS, goto, login, main_text, new_context, screenshot, settle, start_server, wait_for_app
from tests.browser.widgets import box, choose, grid_rows

PARTNER = "杭州钱塘智造科技有限公司"
ENGLISH = ("Select all", "Choose an option", "No options to select", "None", "nan", "NaT")

PREPARE = """
import datetime as dt, os
from core.platform.actor import Actor
from core.platform.db import get_db
from core.resources import partners
hub = get_db()
pid = hub.scalar("SELECT max(id) FROM projects WHERE state = 'active'")
before = float(hub.scalar("SELECT coalesce(funds_enterprise, 0) FROM projects WHERE id = ?", [pid]))
item = partners.publish({"title": "浏览器测试:补足活动经费", "kind": "资金", "needed": "活动物资和志愿者保险",
                         "amount_sought": 6000.0, "source": "项目资金缺口", "project_id": pid,
                         "published_on": dt.date.today() - dt.timedelta(days=3)}, Actor("staff", ("staff",)))
open(os.environ["HUBDESK_DB"] + ".claim", "w").write(f"{pid},{item},{before}")
"""


@pytest.fixture(scope="module")
def hub(browser, tmp_path_factory):
    workdir = tmp_path_factory.mktemp("hubdesk")
    base, stop = start_server(workdir, "res_partners", prepare=PREPARE)
    try:
        pid, item, before = (workdir / "hub.duckdb.claim").read_text().split(",")
        yield base, int(pid), int(item), float(before)
    finally:
        stop()


def _date(page, key: str, day: dt.date) -> None:
    field = box(page, key).locator("input")
    field.fill(day.isoformat())
    field.press("Enter")
    page.keyboard.press("Escape")


def _english(page) -> list[str]:
    return [w for w in ENGLISH if re.search(rf"\b{w}\b", main_text(page))]


def test_staff_claim_for_an_enterprise_and_the_money_shows_on_the_project(hub, page, browser):
    base, pid, item, before = hub
    today = dt.date.today()
    login(page, base, "staff")
    goto(page, f"{base}/partner-claims?item={item}")
    assert page.get_by_role("heading", name="伙伴贡献与认领").count()
    page.get_by_text("认领状态:开放认领").first.wait_for()
    assert "资金缺口约" in main_text(page) or "已由资助金额和企业、捐赠配套资金补足" in main_text(page)

    choose(page, f"claim:{item}::partner_id", PARTNER)
    _date(page, f"claim:{item}::claimed_on", today)
    page.get_by_role("button", name="登记认领", exact=True).click()
    wait_for_app(page)
    settle(page)
    page.get_by_text(f"已登记认领:{PARTNER}").first.wait_for()
    page.get_by_text("认领状态:已认领").first.wait_for()
    screenshot(page, "res-partners-claimed")

    _date(page, f"complete:{item}::completed_on", today)
    page.get_by_role("button", name="登记到位", exact=True).click()
    wait_for_app(page)
    settle(page)
    page.get_by_text("配套资金:企业增加 6,000.00 元", exact=False).first.wait_for()
    assert "此操作不可撤销" in main_text(page)
    screenshot(page, "res-partners-confirm")
    page.get_by_role("button", name="确认到位", exact=True).click()
    wait_for_app(page)
    settle(page)
    page.get_by_text("已登记到位(贡献编号", exact=False).first.wait_for()

    page.reload()  # F5: stored
    settle(page)
    page.get_by_text("认领状态:已完成").first.wait_for()
    assert not _english(page)
    screenshot(page, "res-partners-done")

    goto(page, f"{base}/project-file?id={pid}")
    settle(page)
    screenshot(page, "res-partners-project-file")
    # the agreement form is drawn after the page's first elements: wait for the stored figure, not the first value read
    expect(box(page, f"agreement:{pid}::funds_enterprise").locator("input")).to_have_value(
        re.compile(rf"^{re.escape(f'{before + 6000:.2f}')}$|^{re.escape(f'{before + 6000:,.2f}')}$"), timeout=WAIT_MS)
    page.get_by_role("tab", name="项目动态", exact=True).first.click()
    settle(page)
    timeline = grid_rows(page.locator("[data-testid='stDataFrame']").last)
    assert any("企业公益认领资金到位" in " ".join(r.values()) for r in timeline), timeline[:3]

    goto(page, f"{base}/partner-claims?tab=合作持续性")
    settle(page)
    frames = page.locator("[data-testid='stDataFrame']")
    shown = [frames.nth(i) for i in range(frames.count()) if frames.nth(i).is_visible()]
    years = next(rows for rows in map(grid_rows, shown) if rows and "非政府资金占比" in rows[0])
    assert str(today.year) in [r["年度"] for r in years]
    assert not _english(page)
    screenshot(page, "res-partners-continuity")

    leader = new_context(browser).new_page()
    try:
        login(leader, base, "leader")
        goto(leader, f"{base}/partner-overview?tab=企业公益认领&item={item}")
        assert leader.get_by_role("heading", name="伙伴合作概况").count()
        leader.get_by_text("认领状态:已完成").first.wait_for()
        assert not leader.locator("[data-testid='stForm']").count() and not _english(leader)
        screenshot(leader, "res-partners-leader")
        goto(leader, f"{base}/partner-claims")
        assert leader.get_by_role("heading", name="无权访问").count()
    finally:
        leader.context.close()
