"""场地设备预约 in a real browser (demo bookings loaded before the server starts): a staff member and an admin, in two
browser contexts, book the same venue slot at the same moment: one is stored, the other is refused in Chinese naming
the winner's booking; the winner is approved from the list; the community's week calendar shows the slot once; a
leader reads the calendar and the idle venues on /venue-calendar and is kept out of /bookings."""
from __future__ import annotations

import datetime as dt
import re


from tests.browser.conftest import goto, login, main_text, new_context, screenshot, settle, wait_for_app
from tests.browser.widgets import box, choose, fill

VENUE = "云水社区党群服务中心会议室"
_LATER = dt.date.today() + dt.timedelta(days=22)  # after the demo's pending bookings (the coming fortnight)
DAY = _LATER + dt.timedelta(days=(3 - _LATER.weekday()) % 7)  # a Thursday: the meeting room is open
ENGLISH = ("Select all", "Choose an option", "Choose options", "No options to select", "None", "empty", "nan")



def _tab(page, label: str) -> None:
    page.get_by_role("tab", name=label, exact=True).first.click()
    wait_for_app(page)
    settle(page)


def _fill(page, purpose: str) -> None:
    choose(page, "booking-new::venue_id", VENUE)
    choose(page, "booking-new::org_id", "")
    fill(page, "booking-new::contact_person", "王芳")
    fill(page, "booking-new::purpose", purpose)
    field = box(page, "booking-new::booking_date").locator("input")
    field.fill(DAY.isoformat())
    field.press("Enter")
    page.keyboard.press("Escape")
    assert field.input_value() == DAY.isoformat()
    settle(page)


def test_two_people_book_the_same_slot_one_wins_and_a_leader_reads_the_calendar(server, browser):
    staff = new_context(browser).new_page()
    admin = new_context(browser).new_page()
    try:
        for page, user, purpose in ((staff, "staff", "社区议事协商会"), (admin, "admin", "志愿者培训")):
            login(page, server, user)
            goto(page, server + "/bookings")
            assert page.get_by_role("heading", name="场地设备预约").count()
            _fill(page, purpose)
        screenshot(staff, "res-bookings-staff-new")
        # both press 提交预约 at the same moment
        staff.get_by_role("button", name="提交预约").click(no_wait_after=True)
        admin.get_by_role("button", name="提交预约").click(no_wait_after=True)
        for page in (staff, admin):
            wait_for_app(page)
            settle(page)
        said = {"staff": main_text(staff), "admin": main_text(admin)}
        refused = [u for u, t in said.items() if f"{VENUE}在该时段已被预约" in t]
        assert len(refused) == 1, said
        loser = refused[0]
        winner = "admin" if loser == "staff" else "staff"
        booking = re.search(r"预约编号 (\d+)", said[loser]).group(1)
        assert "请另选时段或场地" in said[loser] and "未保存" in said[loser]
        assert f"已提交预约(编号 {booking}),等待审批" in said[winner]
        lost = staff if loser == "staff" else admin
        screenshot(lost, "res-bookings-refused")
        assert box(lost, "booking-new::purpose").locator("input").input_value() in ("社区议事协商会", "志愿者培训")

        # the winner's booking is approved from the list
        goto(staff, server + "/bookings?tab=预约与审批")
        choose(staff, "bk:pick", f"编号 {booking} ")
        staff.get_by_role("button", name="批准", exact=True).click()
        wait_for_app(staff)
        settle(staff)
        assert f"已批准预约(编号 {booking})" in main_text(staff)
        screenshot(staff, "res-bookings-approve")

        # the community's week shows the slot once, approved
        goto(staff, server + "/venue-calendar")
        choose(staff, "bk:cal:community", "云水社区")
        day = box(staff, "bk:cal:day").locator("input")
        day.fill(DAY.isoformat())
        day.press("Enter")
        staff.keyboard.press("Escape")
        wait_for_app(staff)
        settle(staff)
        grid = staff.locator("[data-testid='stTable']").inner_text()
        assert f"{DAY.month}月{DAY.day}日" in grid
        assert grid.count("09:00-11:00") == 1 and "(已批准)" in grid
        screenshot(staff, "res-bookings-calendar-week")
        assert not [w for w in ENGLISH if re.search(rf"\b{w}\b", main_text(staff))]
    finally:
        staff.context.close()
        admin.context.close()

    leader = new_context(browser).new_page()
    try:
        login(leader, server, "leader")
        goto(leader, server + "/venue-calendar?tab=使用率")
        assert leader.get_by_role("heading", name="场地日历与使用率").count()
        text = main_text(leader)
        assert "闲置场地(使用率低于 20%)" in text and VENUE in text
        assert not leader.get_by_role("button", name="提交预约").count()
        screenshot(leader, "res-bookings-leader-utilisation")
        goto(leader, server + "/bookings")
        assert leader.get_by_role("heading", name="无权访问").count()
    finally:
        leader.context.close()
