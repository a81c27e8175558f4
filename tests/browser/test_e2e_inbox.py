"""消息 in a real browser: the scheduler inside the server (started by Home.py, every few seconds here) produces a
reminder — one project's mid-term report due in three days, the only rule switched on —; it shows in staff's inbox
with the sidebar badge "消息 (1)"; its link opens the project's file; marking it read clears the badge, after a
reload too."""
from __future__ import annotations

import time


from tests.browser.conftest import (WAIT_MS, goto, login, main_text, screenshot, settle, sidebar_link, wait_for_app)

SERVER_ENV = {"HUBDESK_REMINDERS_EVERY_MINUTES": "0.05", "HUBDESK_REMINDERS_START_DELAY": "0"}  # the job runs at once
PREPARE = """
import datetime as dt
from core.notify import rules
from core.platform.actor import Actor
from core.orgs import hubs
admin = hubs.actor_for("hz_admin", ("admin",), db.get_db())  # the top hub's admin sets the rules
for r in rules.RULES:
    rules.save_setting(r.code, {"enabled": r.code == "report_due"}, admin)
d = db.get_db()
p = d.fetch_one("SELECT id FROM projects WHERE state = 'active' ORDER BY id LIMIT 1")
with d.transaction() as tx:
    tx.execute("UPDATE projects SET midterm_due = ?, final_due = ? WHERE id = ?",
               [dt.date.today() + dt.timedelta(days=3), dt.date.today() + dt.timedelta(days=200), p["id"]])
    tx.execute("DELETE FROM evaluations WHERE project_id = ?", [p["id"]])
    tx.execute("UPDATE projects SET midterm_due = ? WHERE id <> ? AND midterm_due >= ?",
               [dt.date.today() + dt.timedelta(days=300), p["id"], dt.date.today()])
    tx.execute("UPDATE projects SET final_due = ? WHERE id <> ? AND final_due >= ?",
               [dt.date.today() + dt.timedelta(days=300), p["id"], dt.date.today()])
"""



def test_a_reminder_from_the_scheduler_shows_in_the_inbox_opens_its_record_and_reads(server, page):
    login(page, server, "staff")
    deadline = time.monotonic() + 90
    while not sidebar_link(page, "消息 (1)").count():  # the scheduler runs in the background: reload until it has
        assert time.monotonic() < deadline, "no reminder reached the inbox"
        page.wait_for_timeout(1000)
        goto(page, server + "/")
    screenshot(page, "inbox-badge")
    sidebar_link(page, "消息 (1)").first.click()
    wait_for_app(page)
    page.get_by_role("heading", name="消息").first.wait_for(timeout=WAIT_MS)
    settle(page)
    text = main_text(page)
    assert "中期评估报告将于" in text and "共 1 条" in text and "None" not in text
    subject = next(line for line in text.splitlines() if "中期评估报告将于" in line)
    title = subject.split(":", 1)[1].strip()
    screenshot(page, "inbox-list")

    page.get_by_role("link", name="打开相关记录").first.click()
    wait_for_app(page)
    page.get_by_role("heading", name="项目档案").first.wait_for(timeout=WAIT_MS)
    settle(page)
    assert "/project-file?id=" in page.url
    assert title in main_text(page)
    assert sidebar_link(page, "消息 (1)").count()  # opening the record does not read the message
    screenshot(page, "inbox-opened-record")

    sidebar_link(page, "消息 (1)").first.click()
    wait_for_app(page)
    settle(page)
    page.get_by_role("button", name="标为已读").first.click()
    wait_for_app(page)
    settle(page)
    assert sidebar_link(page, "消息").count() and not sidebar_link(page, "消息 (1)").count()
    assert "没有未读消息" in main_text(page)
    goto(page, server + "/messages")  # after a reload too
    assert sidebar_link(page, "消息").count() and not sidebar_link(page, "消息 (1)").count()
    page.get_by_text("全部", exact=True).first.click()
    wait_for_app(page)
    settle(page)
    assert "已读于" in main_text(page) and title in main_text(page)
    screenshot(page, "inbox-read")


def test_an_admin_sees_the_rules_the_channels_and_runs_the_job_now(server, page):
    login(page, server, "admin")
    goto(page, server + "/reminder-rules")
    page.get_by_role("heading", name="提醒设置").first.wait_for(timeout=WAIT_MS)
    text = main_text(page)
    assert "电子邮件:未配置" in text and "企业微信群机器人:未配置" in text
    assert "每 3 分钟" not in text and "自动运行:每 0.05 分钟一次" in text
    page.locator("[data-testid='stDataFrame']").first.wait_for(timeout=WAIT_MS)  # drawn (the job reruns the page)
    assert page.locator("[data-testid='stDataFrame']").count() == 1  # the rules, read (下沙's admin: they hold for
    assert "只有最上级枢纽" in text and "保存提醒规则" not in text  # every hub, the top hub's admin sets them)
    screenshot(page, "reminder-rules-admin")
    page.get_by_role("button", name="立即运行一次提醒").click()
    wait_for_app(page)
    settle(page)
    assert "已运行:新提醒" in main_text(page)
    page.get_by_role("tab", name="发送情况", exact=True).click()
    wait_for_app(page)
    settle(page)
    assert "没有发送失败的提醒。" in main_text(page)
    screenshot(page, "reminder-rules-sending")
