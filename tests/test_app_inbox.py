"""AppTest: 消息 (pages/inbox.py) — every role's inbox with its sidebar badge ("消息 (3)"), filters, mark as read and
the channel choice; 提醒设置 for admins — the rules editor (saved and audited), the 发送失败 list with its error;
refused to the other roles."""
from __future__ import annotations

import datetime as dt

import pytest

from core.notify import channels, job, queue, rules, scheduler
from core.platform import users
from tests.apptest_helpers import count, db, open_page, plain_texts, signed_in, successes

URL, ADMIN_URL = "messages", "reminder-rules"


@pytest.fixture
def reminded(demo_db):
    scheduler.stop()
    job.run(db=demo_db, conf=channels.Channels())  # the day's reminders, inbox only
    assert count("notifications", "WHERE recipient = 'staff'") > 2
    return demo_db


def _badge(at) -> str:
    return next(info["page_name"] for info in at._registered_pages.values() if info.get("url_pathname") == URL)


def _unread(user: str) -> int:
    return count("notifications", "WHERE recipient = ? AND channel = 'inbox' AND read_at IS NULL", [user])


def test_the_inbox_lists_the_reminders_with_the_badge_and_marks_them_read(reminded):
    n = _unread("staff")
    at = open_page(signed_in("staff", ["staff"]).run(), URL)
    assert not at.exception, at.exception
    assert [t.value for t in at.title] == ["消息"]
    assert _badge(at) == f"消息 ({n})"
    text = plain_texts(at)
    first = db().fetch_one("SELECT subject, body FROM notifications WHERE recipient = 'staff' ORDER BY created_at DESC,"
                           " id DESC LIMIT 1")
    assert first["subject"] in text and first["body"] in text
    assert f"共 {n} 条" in text and "None" not in text
    at.button(key=next(b.key for b in at.button if b.key.startswith("inbox:read:"))).click().run()
    assert _unread("staff") == n - 1
    assert _badge(at) == f"消息 ({n - 1})"
    at.button(key="inbox:all").click().run()
    assert _unread("staff") == 0 and _badge(at) == "消息"
    assert "没有未读消息。" in plain_texts(at)
    at.radio(key="inbox:show").set_value("全部").run()
    assert f"共 {n} 条" in plain_texts(at) and "已读于" in plain_texts(at)


def test_the_filter_by_kind_shows_only_that_kind(reminded):
    code = db().scalar("SELECT rule FROM notifications WHERE recipient = 'staff' ORDER BY id LIMIT 1")
    at = open_page(signed_in("staff", ["staff"]).run(), URL)
    at.selectbox(key="inbox:rule").set_value(code).run()
    n = count("notifications", "WHERE recipient = 'staff' AND rule = ?", [code])
    assert f"共 {n} 条" in plain_texts(at)
    assert rules.rule_label(code) in plain_texts(at)


def test_each_account_reads_only_its_own_and_chooses_its_channels(reminded):
    at = open_page(signed_in("leader", ["leader"]).run(), URL)
    assert not at.exception and [t.value for t in at.title] == ["消息"]
    assert _badge(at) == "消息" and "还没有消息" in plain_texts(at)
    staff_subject = db().scalar("SELECT subject FROM notifications WHERE recipient = 'staff' LIMIT 1")
    assert staff_subject not in plain_texts(at)
    at = open_page(signed_in("staff", ["staff"]).run(), URL)
    at.multiselect(key="inbox:mine").set_value(["inbox"]).run()
    at.button(key="inbox:mine:save").click().run()
    assert "已保存接收渠道" in successes(at)
    assert rules.channels_of("staff", db()) == ("inbox",)


def test_admins_edit_the_rules_and_others_are_refused(reminded):
    at = open_page(signed_in("staff", ["staff"]).run(), ADMIN_URL)
    assert [t.value for t in at.title] == ["无权访问"]
    street = open_page(signed_in("admin", ["admin"]).run(), ADMIN_URL)  # 下沙's admin: the rules hold for every hub
    assert not street.exception and not [b for b in street.button if b.key == "notify:rules:save"]
    assert users.NOT_OPERATOR_SETTING in [c.value for c in street.caption]
    assert "备份失败" in " ".join(street.dataframe[0].value.astype(str).to_numpy().ravel())  # read, not edited
    at = open_page(signed_in("hz_admin", ["admin"]).run(), ADMIN_URL)  # 杭州市's admin: the top hub's
    assert not at.exception, at.exception
    assert [t.value for t in at.title] == ["提醒设置"]
    editor = at.dataframe[0].value
    assert list(editor.columns)[:2] == ["code", "rule"] and len(editor) == len(rules.RULES)
    assert "**电子邮件**:未配置" in plain_texts(at)
    row = [r.code for r in rules.RULES].index("report_due")
    at.session_state["notify:rules"] = {"edited_rows": {row: {"lead": 21}}, "added_rows": [], "deleted_rows": []}
    at.run()
    at.button(key="notify:rules:save").click().run()
    assert not at.exception, at.exception
    assert rules.settings(db())["report_due"]["lead"] == 21
    assert count("audit_log", "WHERE table_name = 'notification_rules'") == 1


def test_admins_see_what_could_not_be_sent_with_its_error(reminded):
    database = db()
    queue.enqueue([{"rule": "backup_failed", "record_kind": "backup", "record_ref": "x", "due_date": dt.date.today(),
                    "slot": 0, "recipient": "admin", "channel": "email", "address": "admin@demo.hubdesk",
                    "subject": "自动备份失败", "body": "测试"}], db=database)
    claimer = queue.owner()
    (row,) = queue.claim(claimer, db=database)
    queue.mark_failed(row["id"], claimer, "邮件服务器 127.0.0.1:9 发送失败:拒绝连接", db=database)
    at = open_page(signed_in("admin", ["admin"]).run(), ADMIN_URL)
    shown = [d.value for d in at.dataframe]
    failed = next(df for df in shown if "失败原因" in df.columns)
    assert list(failed["失败原因"]) == ["邮件服务器 127.0.0.1:9 发送失败:拒绝连接"]
    assert list(failed["渠道"]) == ["电子邮件"] and list(failed["提醒类型"]) == ["备份失败"]
    assert "在列表中勾选要处理的提醒" in plain_texts(at)


def test_an_email_to_an_organisation_that_failed_names_the_organisation(reminded):
    database = db()
    org = database.fetch_one("SELECT id, name FROM organisations WHERE contact_email IS NOT NULL ORDER BY id LIMIT 1")
    queue.enqueue([{"rule": "correction_due", "record_kind": "application", "record_ref": "1",
                    "due_date": dt.date.today(), "slot": 0, "recipient": rules.org_recipient(org["id"]),
                    "channel": "email", "address": "org@example.org", "subject": "请于近日补交申报材料",
                    "body": "测试"}], db=database)
    claimer = queue.owner()
    (row,) = queue.claim(claimer, db=database)
    queue.mark_failed(row["id"], claimer, "邮件服务器拒收收件人 org@example.org", db=database)
    at = open_page(signed_in("admin", ["admin"]).run(), ADMIN_URL)
    assert not at.exception, at.exception
    failed = next(d.value for d in at.dataframe if "失败原因" in d.value.columns)
    assert list(failed["接收人"]) == [f"{org['name']}(组织联系人)"]
    assert not count("notifications", "WHERE recipient LIKE 'org:%' AND channel = 'inbox'")


def test_the_rules_grid_gives_the_rule_name_and_its_audience_room(reminded):
    import json

    from pages import inbox as page

    at = open_page(signed_in("hz_admin", ["admin"]).run(), ADMIN_URL)  # the top hub's admin edits the grid
    config = json.loads(at.dataframe[0].proto.columns)
    widths = {c: config[c].get("width") for c in ("rule", "audience")}
    assert widths == {"rule": page.RULE_WIDTH, "audience": page.AUDIENCE_WIDTH}
    longest = max(len(r.label) for r in rules.RULES), max(len(r.audience) for r in rules.RULES)
    # a Chinese character is about 14 px at the grid's font; 28 px of cell padding
    assert page.RULE_WIDTH >= 14 * longest[0] + 28 and page.AUDIENCE_WIDTH >= 14 * longest[1] + 28
