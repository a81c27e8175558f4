"""提醒 to an organisation's contact, in a real browser: a returned application of an organisation with a 联系邮箱 is
due for 补正; the mail server named in the secrets file is down, so when an admin runs the reminders now, the email
to the organisation fails, and 提醒设置 → 发送情况 lists it under the organisation's name (not an id), beside the
staff's own emails. The 提醒规则 grid shows each rule's name and 提醒对象 whole at 1400 px (screenshot)."""
from __future__ import annotations


from tests import demo_cache
from tests.browser.conftest import WAIT_MS, goto, login, screenshot, settle, wait_for_app
from tests.browser.widgets import grid_rows

PREPARE = """
import datetime as dt, os, socket
from core.notify import rules
from core.platform.actor import Actor
from core.orgs import hubs
admin = hubs.actor_for("hz_admin", ("admin",), db.get_db())  # the top hub's admin sets the rules
for r in rules.RULES:
    rules.save_setting(r.code, {"enabled": r.code == "correction_due"}, admin)
d = db.get_db()
app = d.fetch_one("SELECT a.id, a.org_id FROM applications a JOIN organisations o ON o.id = a.org_id"
                  " WHERE a.state = 'submitted' AND o.contact_email IS NOT NULL ORDER BY a.id LIMIT 1")
with d.transaction() as tx:
    tx.execute("UPDATE applications SET state = 'returned', return_due = ? WHERE id = ?",
               [dt.date.today() + dt.timedelta(days=2), app["id"]])
with socket.socket() as s:  # a port nothing listens on: the mail server is down
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
with open(os.environ["HUBDESK_SECRETS"], "a", encoding="utf-8") as f:
    f.write(f'\\n[smtp]\\nhost = "127.0.0.1"\\nport = {port}\\nsecurity = "none"\\nsender = "hub@hub.test"\\ntimeout = 5\\n')
"""



def _org() -> str:
    """The organisation the scenario reminds (the first submitted application's with a 联系邮箱)."""
    return demo_cache.query_one(
        "SELECT o.name FROM applications a JOIN organisations o ON o.id = a.org_id"
        " WHERE a.state = 'submitted' AND o.contact_email IS NOT NULL ORDER BY a.id LIMIT 1")[0]


def _text(page) -> str:
    return page.locator("[data-testid='stMain']").inner_text()


def test_an_unsent_email_to_an_organisation_is_listed_under_its_name(server, page):
    org = _org()
    login(page, server, "admin")
    goto(page, server + "/reminder-rules")
    page.get_by_role("heading", name="提醒设置").first.wait_for(timeout=WAIT_MS)
    settle(page)
    assert "电子邮件:已配置" in _text(page)
    screenshot(page, "notify-rules-grid-1400")  # 风险预警打开或重新打开 and 工作人员;申报组织联系邮箱 whole
    page.get_by_role("button", name="立即运行一次提醒").click()
    wait_for_app(page)
    page.get_by_text("已运行:新提醒", exact=False).first.wait_for(timeout=WAIT_MS * 3)
    settle(page)
    assert "发送失败" in _text(page)
    page.get_by_role("tab", name="发送情况", exact=True).click()
    wait_for_app(page)
    settle(page)
    frame = page.locator("[data-testid='stDataFrame']").last
    rows = grid_rows(frame)
    recipients = {r["接收人"] for r in rows}
    assert f"{org}(组织联系人)" in recipients, recipients
    assert not [r for r in recipients if r.startswith("org:")]
    mine = next(r for r in rows if r["接收人"] == f"{org}(组织联系人)")
    assert mine["提醒类型"] == "补正材料到期" and mine["渠道"] == "电子邮件" and mine["消息标题"].startswith("请于")
    assert "None" not in _text(page)
    screenshot(page, "notify-org-failed")
