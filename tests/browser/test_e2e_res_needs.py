"""需求动态跟踪 in a real browser: staff see a need from the last 需求调研 waiting with no answer in its community's
list, move it to 已对接 with a note, link the 青葵伙伴 project to it by name, and it leaves the waiting list; a leader
reads the tracking view (the need no longer waits there) and may not open the needs' screen."""
from __future__ import annotations

import re

import pytest

from tests.browser.conftest import goto, login, main_text, new_context, screenshot, settle, start_server, wait_for_app
from tests.browser.widgets import choose, fill, grid_rows

TITLE = "高层老旧小区老人下楼难,盼加装电梯"
ENGLISH = ("Select all", "Choose an option", "No options to select", "None", "nan", "NaT")

PREPARE = f"""
import datetime as dt
from core.platform.actor import Actor
from core.platform.db import get_db
from core.resources import needs
key = needs.create({{"title": "{TITLE}", "community": "听涛社区", "target_group": "老年人", "source": "入户走访",
                    "surveyed_on": dt.date.today() - dt.timedelta(days=500), "urgency": "紧急", "residents": 14,
                    "recorded_by": "王晓燕"}}, Actor("staff", ("staff",)))
open(__import__("os").environ["HUBDESK_DB"] + ".need", "w").write(str(key))
"""


@pytest.fixture(scope="module")
def hub(browser, tmp_path_factory):
    workdir = tmp_path_factory.mktemp("hubdesk")
    base, stop = start_server(workdir, "res_needs", prepare=PREPARE)
    try:
        yield base, int((workdir / "hub.duckdb.need").read_text())
    finally:
        stop()


def _frames(page):
    return page.locator("[data-testid='stDataFrame']:visible")  # the other tab's tables are not drawn


def _click(page, name: str) -> None:
    page.get_by_role("button", name=name, exact=True).click()
    wait_for_app(page)
    settle(page)


def test_staff_answer_a_waiting_need_and_a_leader_reads_it(hub, page, browser):
    server, key = hub
    login(page, server, "staff")
    goto(page, server + "/needs-tracking")
    assert page.get_by_role("heading", name="需求动态跟踪").count()
    per = grid_rows(_frames(page).nth(0))
    assert len(per) >= 10 and {"所属社区", "已满足", "未满足", "其中尚无回应", "最长等待(天)"} <= set(per[0])
    tingtao = next(r for r in per if r["所属社区"] == "听涛社区")
    assert int(tingtao["最长等待(天)"]) == 500
    choose(page, "needs:waiting:community", "听涛社区")
    waiting = grid_rows(_frames(page).nth(1))
    assert waiting[0]["需求标题"] == TITLE and waiting[0]["已等待(天)"] == "500" and waiting[0]["状态"] == "登记"
    screenshot(page, "needs-staff-tracking")
    assert not [w for w in ENGLISH if re.search(rf"\b{w}\b", main_text(page))]

    goto(page, f"{server}/need-responses?id={key}")
    assert page.get_by_role("heading", name=TITLE).count()
    choose(page, f"need:to:{key}", "已对接")
    fill(page, f"need:note:{key}", "与住建、物业三方议事,启动加装电梯意见征询")
    _click(page, "保存状态变更")
    assert "需求状态已改为「已对接」" in main_text(page)
    events = [r for f in range(_frames(page).count()) for r in grid_rows(_frames(page).nth(f)) if "变更说明" in r]
    assert [(r["原状态"], r["新状态"], r["变更说明"]) for r in events] == [
        ("登记", "已对接", "与住建、物业三方议事,启动加装电梯意见征询")]

    choose(page, f"need:kind:{key}", "资助项目")
    choose(page, f"need:target:{key}:project", "青葵伙伴")
    _click(page, "关联")
    assert "已关联资助项目" in main_text(page)
    linked = [r for f in range(_frames(page).count()) for r in grid_rows(_frames(page).nth(f)) if "回应类型" in r]
    assert len(linked) == 1 and linked[0]["回应类型"] == "资助项目" and "青葵伙伴" in linked[0]["名称"]
    screenshot(page, "needs-staff-need")
    assert not [w for w in ENGLISH if re.search(rf"\b{w}\b", main_text(page))]

    goto(page, server + "/needs-tracking")
    choose(page, "needs:waiting:community", "听涛社区")
    assert TITLE not in main_text(page)  # answered: off the waiting list

    leader = new_context(browser).new_page()
    try:
        login(leader, server, "leader")
        goto(leader, server + "/needs-tracking")
        assert leader.get_by_role("heading", name="需求动态跟踪").count()
        tingtao = next(r for r in grid_rows(_frames(leader).nth(0)) if r["所属社区"] == "听涛社区")
        assert int(tingtao["最长等待(天)"]) < 500  # the need answered above waits no more
        assert not leader.get_by_role("button", name="保存状态变更").count()
        screenshot(leader, "needs-leader-tracking")
        goto(leader, f"{server}/need-responses?id={key}")
        assert leader.get_by_role("heading", name="无权访问").count() and TITLE not in main_text(leader)
    finally:
        leader.context.close()
