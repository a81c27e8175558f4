"""Issue 19, reminders: the rules, the queue (once per rule, record, due date, recipient and channel), the channels
against real servers (an SMTP server inside the test with aiosmtpd; a local HTTP server as the 企业微信 robot), two
runs at once, a run killed between claim and send, a mail server that is down, the inbox and the settings.

Nothing on the sending path is mocked: the job talks SMTP and HTTP to these servers, and the tests read what the
servers received."""
from __future__ import annotations

import asyncio
import datetime as dt
import email
import email.policy
import json
import os
import socket
import subprocess
import sys
import threading
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller

from core.notify import channels, inbox, job, queue, rules, scheduler
from core.platform.actor import Actor
from core.platform.errors import PermissionDenied, ValidationFailed

ADMIN, STAFF, EXPERT = Actor("admin", ("admin",)), Actor("staff", ("staff",)), Actor("expert", ("reviewer",))


def _top_admin(db) -> Actor:
    """The demo network's top hub's admin (杭州市's hz_admin), who sets the rules every hub's reminders follow."""
    from core.orgs import hubs

    return hubs.actor_for("hz_admin", ("admin",), db)
BASE = "http://hub.test:8501"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Mailbox:
    """What the SMTP server accepted (each message parsed), in order."""

    def __init__(self):
        self.messages: list[email.message.EmailMessage] = []
        self.lock = threading.Lock()
        self.hold: threading.Event | None = None  # set: the next message waits (in flight) until it is set
        self.arrived = threading.Event()

    async def handle_DATA(self, server, session, envelope):
        if self.hold is not None and not self.hold.is_set():
            self.arrived.set()
            while not self.hold.is_set():  # the sender is killed meanwhile: this message is never accepted
                await asyncio.sleep(0.05)
            return "451 Requested action aborted"
        msg = email.message_from_bytes(envelope.original_content or envelope.content, policy=email.policy.default)
        with self.lock:
            self.messages.append(msg)
        return "250 Message accepted"

    def by_to(self) -> Counter:
        """(reminder id, to, subject) -> how many times it arrived."""
        return Counter((int(m["X-HubDesk-Reminder"]), m["To"], str(m["Subject"])) for m in self.messages)


class MailServer:
    """aiosmtpd on a fixed port that can go down and come back (a new controller: one does not restart)."""

    def __init__(self, mailbox: Mailbox, port: int):
        self.mailbox, self.port, self.controller = mailbox, port, None
        self.up()

    def up(self) -> None:
        self.controller = Controller(self.mailbox, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def down(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


class Robot(BaseHTTPRequestHandler):
    def do_POST(self):  # noqa: N802 (http.server's name)
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.server.received.append((self.headers["Content-Type"], json.loads(body.decode("utf-8"))))
        answer = json.dumps({"errcode": 0, "errmsg": "ok"}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, *args):
        pass


@pytest.fixture
def servers(demo_db):
    """A real SMTP server and a 企业微信-like robot on free local ports, named in the secrets file."""
    scheduler.stop()  # no scheduler thread of an earlier screen test runs beside these
    mailbox = Mailbox()
    smtp = MailServer(mailbox, _free_port())
    robot = ThreadingHTTPServer(("127.0.0.1", 0), Robot)
    robot.received = []
    threading.Thread(target=robot.serve_forever, daemon=True).start()
    secrets = Path(os.environ["HUBDESK_SECRETS"])
    secrets.write_text(secrets.read_text(encoding="utf-8") + (
        f'\n[smtp]\nhost = "127.0.0.1"\nport = {smtp.port}\nsecurity = "none"\nsender = "枢纽台 <hub@hub.test>"\n'
        f'timeout = 10\n\n[wecom]\nwebhook_url = "http://127.0.0.1:{robot.server_address[1]}/cgi-bin/webhook/send?key=k"\n'
        f'\n[notify]\nbase_url = "{BASE}"\n'), encoding="utf-8")
    yield {"db": demo_db, "mailbox": mailbox, "robot": robot, "smtp": smtp}
    smtp.down()
    robot.shutdown()
    robot.server_close()


def _url_path(key):
    from core import navigation

    return getattr(navigation.spec(key), "url_path", None)


def _rows(db, where="TRUE", params=None) -> list[dict]:
    return db.fetch_all(f"SELECT * FROM notifications WHERE {where} ORDER BY id", params)


# ---- the channels, against real servers -----------------------------------------------------------------------
def test_a_run_sends_each_reminder_once_by_email_and_to_the_group_and_keeps_the_inbox_rows(servers):
    db, mailbox, robot = servers["db"], servers["mailbox"], servers["robot"]
    report = job.run(db=db, url_path=_url_path)
    emails = _rows(db, "channel = 'email'")
    groups = _rows(db, "channel = 'wecom'")
    assert emails and groups and report.sent == len(emails) + len(groups) and report.failed == 0
    assert {r["status"] for r in emails + groups} == {"sent"}
    assert all(r["sent_at"] is not None and r["attempts"] == 1 for r in emails + groups)
    # the SMTP server received exactly the queued emails, each once, to the account's address
    assert mailbox.by_to() == Counter((r["id"], r["address"], f"【枢纽台】{r['subject']}") for r in emails)
    staff_mail = db.scalar("SELECT email FROM users WHERE username = 'staff'")
    risk = next(m for m in mailbox.messages if m["To"] == staff_mail and "风险预警" in str(m["Subject"]))
    body = risk.get_content()
    assert "打开记录:" + BASE + "/project-file?id=" in body  # the deep link to the record's page
    assert risk["From"] == "枢纽台 <hub@hub.test>"
    # the robot received one JSON text message per group reminder
    assert len(robot.received) == len(groups)
    ctype, first = robot.received[0]
    assert ctype.startswith("application/json") and first["msgtype"] == "text"
    assert {p["text"]["content"].splitlines()[0] for _, p in robot.received} == \
        {f"【枢纽台】{r['subject']}" for r in groups}
    # inbox rows are delivered by being stored, one per account and reminder
    staff_inbox = _rows(db, "recipient = 'staff' AND channel = 'inbox'")
    assert len(staff_inbox) == len(_rows(db, "recipient = 'staff' AND channel = 'email'"))
    assert {r["status"] for r in staff_inbox} == {"sent"}

    again = job.run(db=db, url_path=_url_path)  # the same day once more: nothing new, nothing sent twice
    assert (again.queued, again.sent) == (0, 0)
    assert len(mailbox.messages) == len(emails) and len(robot.received) == len(groups)


def test_two_runs_at_once_neither_lose_nor_duplicate(servers):
    db, mailbox, robot = servers["db"], servers["mailbox"], servers["robot"]
    start = threading.Barrier(2)
    reports, failures = [], []

    def one_run():
        try:
            start.wait()
            reports.append(job.run(db=db, url_path=_url_path))
        except Exception as exc:  # pragma: no cover - reported below
            failures.append(exc)

    threads = [threading.Thread(target=one_run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not failures
    rows = _rows(db)
    keys = Counter((r["rule"], r["record_kind"], r["record_ref"], r["due_date"], r["slot"], r["recipient"],
                    r["channel"]) for r in rows)
    assert max(keys.values()) == 1
    assert sum(r.queued for r in reports) == len(rows)  # every row queued by exactly one of the runs
    sent = [r for r in rows if r["channel"] != "inbox"]
    assert {r["status"] for r in sent} == {"sent"} and sum(r.sent for r in reports) == len(sent)
    assert len(mailbox.messages) == len([r for r in sent if r["channel"] == "email"])
    assert max(mailbox.by_to().values()) == 1
    assert len(robot.received) == len([r for r in sent if r["channel"] == "wecom"])


def test_a_run_killed_between_claim_and_send_loses_nothing_and_sends_once(servers):
    db, mailbox = servers["db"], servers["mailbox"]
    conf = channels.load()
    queue.enqueue(job.wanted(today=dt.date.today(), db=db, available=conf.available()), db=db)
    # a server process claims everything and dies before sending (its owner id is not this process's)
    dead = "4242-deadbeef:1"
    claimed = queue.claim(dead, db=db)
    assert claimed and {r["status"] for r in _rows(db, "channel <> 'inbox'")} == {"sending"}
    assert mailbox.messages == []
    # the restarted process's run takes the dead claims over and sends each once
    report = job.run(db=db, url_path=_url_path)
    emails = _rows(db, "channel = 'email'")
    assert report.sent == len(claimed) and {r["status"] for r in emails} == {"sent"}
    assert all(r["attempts"] == 2 for r in emails)  # the dead try counts
    assert mailbox.by_to() == Counter((r["id"], r["address"], f"【枢纽台】{r['subject']}") for r in emails)
    assert job.run(db=db, url_path=_url_path).sent == 0


def test_a_server_process_killed_while_sending_loses_nothing_and_the_rerun_sends_each_once(servers):
    """A real kill: ``python3 -m core.manage send-reminders`` in a process of its own claims the reminders and is
    killed (SIGKILL) while the SMTP server holds its first email; the rerun here sends every reminder once."""
    from core.platform import db as dbm
    from tests.conftest import ROOT

    mailbox, robot = servers["mailbox"], servers["robot"]
    mailbox.hold = threading.Event()
    dbm.close_all()  # the other process takes the database file (DuckDB: one process at a time)
    proc = subprocess.Popen([sys.executable, "-m", "core.manage", "send-reminders"], cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        assert mailbox.arrived.wait(180), "the job never reached the mail server"
    finally:
        proc.kill()
        proc.wait(30)
    mailbox.hold.set()
    db = dbm.get_db()
    emails = _rows(db, "channel = 'email'")
    assert emails and {r["status"] for r in emails} == {"sending"}  # claimed, none sent
    assert all(not r["claimed_by"].startswith(queue.PROCESS) for r in emails)
    assert mailbox.messages == []
    report = job.run(db=db, url_path=_url_path)
    assert report.queued == 0  # nothing was lost: every reminder was already queued
    sent = _rows(db, "channel <> 'inbox'")
    assert {r["status"] for r in sent} == {"sent"}
    assert mailbox.by_to() == Counter((r["id"], r["address"], f"【枢纽台】{r['subject']}") for r in emails)
    assert len(robot.received) == len([r for r in sent if r["channel"] == "wecom"])  # each group message once


def test_a_claim_of_this_process_is_taken_over_only_after_its_lease(servers):
    db = servers["db"]
    queue.enqueue(job.wanted(today=dt.date.today(), db=db, available={"inbox", "email"}), db=db)
    mine = queue.owner()
    first = queue.claim(mine, db=db)
    assert first and queue.claim(queue.owner(), db=db) == []
    later = dt.datetime.now() + queue.LEASE + dt.timedelta(minutes=1)
    again = queue.claim(queue.owner(), now=later, db=db)
    assert [r["id"] for r in again] == [r["id"] for r in first]
    assert queue.mark_sent(first[0]["id"], mine, db=db) is False  # the old claim is no longer the owner


def test_the_mail_server_down_keeps_every_reminder_retries_with_back_off_and_shows_admins(servers):
    db, mailbox, smtp = servers["db"], servers["mailbox"], servers["smtp"]
    smtp.down()  # the mail server is down
    t0 = dt.datetime.now()
    report = job.run(db=db, url_path=_url_path)
    emails = _rows(db, "channel = 'email'")
    assert emails and report.failed >= len(emails)
    assert {r["status"] for r in emails} == {"failed"}
    assert all(r["attempts"] == 1 and "邮件服务器" in r["last_error"] for r in emails)
    assert all(r["next_try_at"] >= t0 + dt.timedelta(minutes=5) for r in emails)  # the first back-off
    assert queue.backoff(2) == dt.timedelta(minutes=10) and queue.backoff(20) == dt.timedelta(hours=6)
    failed = inbox.failures(ADMIN, db=db)
    assert len(failed) >= len(emails) and failed["last_error"].str.contains("邮件服务器").all()
    with pytest.raises(PermissionDenied):
        inbox.failures(STAFF, db=db)
    # a run before the back-off ends tries nothing again
    assert job.run(db=db, url_path=_url_path).failed == 0
    # the server is back; an admin retries now: each reminder arrives once
    smtp.up()
    with pytest.raises(ValidationFailed):
        inbox.retry_now([], ADMIN, db=db)
    with pytest.raises(PermissionDenied):
        inbox.retry_now([emails[0]["id"]], STAFF, db=db)
    assert inbox.retry_now([r["id"] for r in emails], ADMIN, db=db) == len(emails)
    report = job.run(db=db, url_path=_url_path)
    assert report.sent == len(emails)
    assert {r["status"] for r in _rows(db, "channel = 'email'")} == {"sent"}
    assert mailbox.by_to() == Counter((r["id"], r["address"], f"【枢纽台】{r['subject']}") for r in emails)


def test_given_up_reminders_stay_listed_and_are_not_sent(servers):
    db, smtp = servers["db"], servers["smtp"]
    smtp.down()
    job.run(db=db, url_path=_url_path)
    ids = [r["id"] for r in _rows(db, "channel = 'email'")]
    assert inbox.give_up(ids, ADMIN, db=db) == len(ids)
    smtp.up()
    assert job.run(db=db, url_path=_url_path).sent == len(_rows(db, "channel = 'wecom' AND status = 'pending'"))
    assert {r["status"] for r in _rows(db, "channel = 'email'")} == {"gave_up"}
    assert servers["mailbox"].messages == []
    assert set(inbox.failures(ADMIN, db=db)["id"]) >= set(ids)


# ---- the rules and their settings -------------------------------------------------------------------------------
def test_every_rule_is_declared_once_with_its_defaults(demo_db):
    assert len(rules.RULES) == len(rules.RULE_BY_CODE) == 14
    rows = rules.setting_rows(demo_db)
    assert list(rows["code"]) == [r.code for r in rules.RULES]
    assert rows["enabled"].all() and set(rows.columns) == set(rules.SETTING_COLUMNS)


def _today_hits(db, code: str, today: dt.date | None = None, ref=None):
    return [r for r in job.wanted(today=today or dt.date.today(), db=db, available={"inbox", "email", "wecom"})
            if r["rule"] == code and (ref is None or r["record_ref"] == str(ref))]


def test_the_rules_fire_on_what_is_due(demo_db):
    """One scenario per rule the demo data does not hold on its own, set up in the database; each rule's reminder
    names the record and links to its page."""
    db = demo_db
    today = dt.date.today()
    app = db.fetch_one("SELECT id, title FROM applications WHERE state = 'submitted' ORDER BY id LIMIT 1")
    project = db.fetch_one("SELECT id, agreement_no FROM projects WHERE state = 'active' ORDER BY id LIMIT 1")
    training = db.fetch_one("SELECT t.id FROM trainings t JOIN training_attendance x ON x.training_id = t.id"
                            " ORDER BY t.id LIMIT 1")
    with db.transaction() as tx:
        tx.execute("UPDATE applications SET state = 'returned', return_due = ? WHERE id = ?",
                   [today + dt.timedelta(days=2), app["id"]])
        tx.execute("UPDATE projects SET midterm_due = ? WHERE id = ?", [today + dt.timedelta(days=10), project["id"]])
        tx.execute("DELETE FROM evaluations WHERE project_id = ?", [project["id"]])
        tx.execute("UPDATE trainings SET training_date = ? WHERE id = ?", [today + dt.timedelta(days=1), training["id"]])
    correction = _today_hits(db, "correction_due", ref=app["id"])
    assert {(r["recipient"], r["channel"]) for r in correction} >= {("staff", "inbox"), ("staff", "email"),
                                                                     ("group", "wecom")}
    assert app["title"] in correction[0]["subject"] and correction[0]["link_page"] == "application"
    assert correction[0]["link_params"] == f"id={app['id']}"
    report = [r for r in _today_hits(db, "report_due") if r["record_ref"] == f"{project['id']}:midterm"]
    assert report and report[0]["link_params"] == f"id={project['id']}" and "中期" in report[0]["subject"]
    trained = [r for r in _today_hits(db, "training_reminder") if r["record_ref"] == str(training["id"])]
    assert trained and "已报名" in trained[0]["body"]
    # review tasks go to the expert only, linking to the task in 我的评审
    assigned = _today_hits(db, "review_assigned")
    assert assigned and {r["recipient"] for r in assigned} <= {
        u["username"] for u in db.fetch_all("SELECT username FROM users WHERE list_contains(roles, 'reviewer')")}
    assert assigned[0]["link_page"] == "my_reviews" and assigned[0]["link_params"].startswith("task=")


def test_lead_repeat_and_switch_are_the_admins_and_apply(demo_db):
    db = demo_db
    today = dt.date.today()
    app = db.fetch_one("SELECT id FROM applications WHERE state = 'submitted' ORDER BY id LIMIT 1")
    with db.transaction() as tx:
        tx.execute("UPDATE applications SET state = 'returned', return_due = ? WHERE id = ?",
                   [today + dt.timedelta(days=5), app["id"]])
    assert _today_hits(db, "correction_due", ref=app["id"]) == []  # 5 days ahead, lead 3: not yet
    with pytest.raises(PermissionDenied):
        rules.save_setting("correction_due", {"lead": 7}, STAFF, db=db)
    with pytest.raises(PermissionDenied, match="最上级枢纽"):  # 下沙's admin: the rules hold for every hub
        rules.save_setting("correction_due", {"lead": 7}, ADMIN, db=db)
    top = _top_admin(db)
    with pytest.raises(ValidationFailed):
        rules.save_setting("correction_due", {"lead": -1}, top, db=db)
    assert rules.save_setting("correction_due", {"lead": 5, "repeat_days": 2, "channels": ["inbox"]}, top, db=db)
    assert db.scalar("SELECT count(*) FROM audit_log WHERE table_name = 'notification_rules'") == 1
    hits = _today_hits(db, "correction_due", ref=app["id"])
    assert {(r["recipient"], r["channel"], r["slot"]) for r in hits} == {("staff", "inbox", 0)}
    # the repeat: two days later it is the next slot (a new reminder), one day later still the first
    assert {r["slot"] for r in _today_hits(db, "correction_due", today + dt.timedelta(days=1), app["id"])} == {0}
    assert {r["slot"] for r in _today_hits(db, "correction_due", today + dt.timedelta(days=2), app["id"])} == {1}
    assert {r["slot"] for r in _today_hits(db, "correction_due", today + dt.timedelta(days=4), app["id"])} == {2}
    assert rules.save_setting("correction_due", {"enabled": False}, top, db=db)
    assert _today_hits(db, "correction_due", ref=app["id"]) == []


def test_each_account_chooses_its_channels_and_admins_set_the_default(demo_db):
    db = demo_db
    assert rules.channels_of("staff", db) == ("inbox", "email")
    assert rules.choose_channels("staff", ["inbox"], STAFF, db=db)
    with pytest.raises(PermissionDenied):
        rules.choose_channels("expert", ["inbox"], STAFF, db=db)
    with pytest.raises(PermissionDenied):
        rules.choose_channels(rules.DEFAULT_PREF, ["inbox"], STAFF, db=db)
    assert rules.choose_channels(rules.DEFAULT_PREF, ["inbox"], ADMIN, db=db)
    assert rules.channels_of("expert", db) == ("inbox",) and rules.channels_of("staff", db) == ("inbox",)
    hits = job.wanted(today=dt.date.today(), db=db, available={"inbox", "email"})
    # the accounts' reminders follow their choice (an organisation's contact, not an account, is emailed)
    assert {r["channel"] for r in hits if not r["recipient"].startswith("org:")} == {"inbox"}
    assert rules.choose_channels("expert", ["email", "inbox"], EXPERT, db=db)
    hits = job.wanted(today=dt.date.today(), db=db, available={"inbox", "email"})
    assert {r["channel"] for r in hits if r["recipient"] == "expert"} == {"inbox", "email"}


def test_the_inbox_is_each_accounts_own_and_marking_read_clears_the_count(demo_db):
    db = demo_db
    job.run(db=db, conf=channels.Channels())  # inbox only
    n = inbox.unread("staff", db)
    assert n == db.scalar("SELECT count(*) FROM notifications WHERE recipient = 'staff'") > 0
    assert inbox.nav_title("消息", "staff", db) == f"消息 ({n})"
    mine = inbox.messages("staff", db=db)
    theirs = db.scalar("SELECT min(id) FROM notifications WHERE recipient <> 'staff'")
    assert inbox.mark_read("staff", [theirs], db=db) == 0  # someone else's message: untouched
    assert db.scalar("SELECT read_at FROM notifications WHERE id = ?", [theirs]) is None
    assert inbox.mark_read("staff", [int(mine.iloc[0]["id"])], db=db) == 1
    assert inbox.unread("staff", db) == n - 1
    assert len(inbox.messages("staff", only_unread=True, db=db)) == n - 1
    code = mine.iloc[0]["rule_code"]
    assert set(inbox.messages("staff", rule=code, db=db)["rule_code"]) == {code}
    assert inbox.mark_read("staff", db=db) == n - 1
    assert inbox.unread("staff", db) == 0 and inbox.nav_title("消息", "staff", db) == "消息"


def test_backup_failure_reaches_the_admins(demo_db, monkeypatch, tmp_path):
    from core.platform import backup

    monkeypatch.setenv("HUBDESK_BACKUP_EVERY_HOURS", "24")
    monkeypatch.setenv("HUBDESK_BACKUP_DIR", str(tmp_path / "backups"))
    assert _today_hits(demo_db, "backup_failed") == []  # no backup at all yet: nothing to compare
    auto = backup.AutoBackup(demo_db, tmp_path / "backups", keep=1, every_seconds=0, on_start=False)
    auto.last_error = "磁盘已满"
    monkeypatch.setattr(backup, "_auto", auto)
    hits = _today_hits(demo_db, "backup_failed")
    # the whole installation's: the admins of the top hub (杭州市's hz_admin), not a street's (下沙's admin)
    top = {u["username"] for u in demo_db.fetch_all("SELECT u.username FROM users u JOIN hubs h ON h.id = u.hub_id"
                                                    " WHERE u.active AND list_contains(u.roles, 'admin')"
                                                    " AND h.parent_id IS NULL")}
    assert top == {"hz_admin"}
    assert {r["recipient"] for r in hits if r["channel"] == "inbox"} == top
    assert "磁盘已满" in hits[0]["body"] and hits[0]["link_page"] == "audit"


def test_send_reminders_from_the_command_line(servers, capsys):
    from core import manage

    assert manage.main(["send-reminders"]) == 0
    out = capsys.readouterr().out
    assert "新提醒" in out and "发送成功" in out
    emails = _rows(servers["db"], "channel = 'email'")
    assert emails and len(servers["mailbox"].messages) == len(emails)
    assert manage.main(["send-reminders"]) == 0
    assert len(servers["mailbox"].messages) == len(emails)


def test_the_scheduler_thread_runs_the_job(servers, monkeypatch):
    monkeypatch.setenv("HUBDESK_REMINDERS_EVERY_MINUTES", "60")
    monkeypatch.setenv("HUBDESK_REMINDERS_START_DELAY", "0")
    s = scheduler.start(servers["db"], url_path=_url_path)
    try:
        assert scheduler.start(servers["db"]) is s  # once per process
        done = threading.Event()
        deadline = dt.datetime.now() + dt.timedelta(seconds=60)
        while s.runs == 0 and dt.datetime.now() < deadline:
            done.wait(0.1)
        assert s.runs >= 1 and s.last is not None and s.last.queued > 0
        assert len(servers["mailbox"].messages) == len(_rows(servers["db"], "channel = 'email'"))
    finally:
        scheduler.stop()
    monkeypatch.setenv("HUBDESK_REMINDERS_EVERY_MINUTES", "0")
    assert scheduler.start(servers["db"]) is None  # switched off


def test_channels_read_only_what_the_secrets_file_says(tmp_path):
    path = tmp_path / "s.toml"
    assert channels.load(path).available() == {"inbox"}
    path.write_text('[smtp]\nhost = "mail"\nsecurity = "tls?"\n[wecom]\nwebhook_url = "ftp://x"\n', encoding="utf-8")
    conf = channels.load(path)
    assert conf.available() == {"inbox"} and len(conf.problems) == 2
    path.write_text('[smtp]\nhost = "mail"\nusername = "hub@x.cn"\n', encoding="utf-8")
    conf = channels.load(path)
    assert conf.smtp.port == 587 and conf.smtp.security == "starttls" and conf.smtp.sender == "hub@x.cn"


# ---- an organisation's contact as a recipient ----------------------------------------------------------------
def _org_scenario(db) -> dict:
    """A returned application, a training tomorrow and a mid-term report in ten days, each of an organisation
    with a 联系邮箱; one attendee's organisation has none (it gets no email)."""
    today = dt.date.today()
    app = db.fetch_one("SELECT a.id, a.org_id, o.contact_email FROM applications a JOIN organisations o"
                       " ON o.id = a.org_id WHERE a.state = 'submitted' AND o.contact_email IS NOT NULL"
                       " ORDER BY a.id LIMIT 1")
    project = db.fetch_one("SELECT p.id, a.org_id FROM projects p JOIN applications a ON a.id = p.application_id"
                           " JOIN organisations o ON o.id = a.org_id WHERE p.state = 'active'"
                           " AND o.contact_email IS NOT NULL ORDER BY p.id LIMIT 1")
    training = db.fetch_one("SELECT t.id FROM trainings t JOIN training_attendance x ON x.training_id = t.id"
                            " GROUP BY t.id HAVING count(DISTINCT x.org_id) >= 2 ORDER BY t.id LIMIT 1")
    attendees = [r["org_id"] for r in db.fetch_all(
        "SELECT DISTINCT org_id FROM training_attendance WHERE training_id = ? ORDER BY org_id", [training["id"]])]
    with db.transaction() as tx:
        tx.execute("UPDATE applications SET state = 'returned', return_due = ? WHERE id = ?",
                   [today + dt.timedelta(days=2), app["id"]])
        tx.execute("UPDATE projects SET midterm_due = ? WHERE id = ?", [today + dt.timedelta(days=10), project["id"]])
        tx.execute("DELETE FROM evaluations WHERE project_id = ?", [project["id"]])
        tx.execute("UPDATE trainings SET training_date = ? WHERE id = ?", [today + dt.timedelta(days=1), training["id"]])
        tx.execute("UPDATE organisations SET contact_email = ? WHERE id = ?", [f"first{attendees[0]}@example.org",
                                                                               attendees[0]])
        tx.execute("UPDATE organisations SET contact_email = NULL WHERE id = ?", [attendees[-1]])
    return {"app": app, "project": project, "training": training["id"], "attendees": attendees}


def test_an_organisations_contact_gets_one_email_per_reminder_and_no_inbox_row(servers):
    db, mailbox = servers["db"], servers["mailbox"]
    s = _org_scenario(db)
    job.run(db=db, url_path=_url_path)
    job.run(db=db, url_path=_url_path)  # the same day again: nothing new
    org_rows = _rows(db, "recipient LIKE 'org:%'")
    assert org_rows and {r["channel"] for r in org_rows} == {"email"} and {r["status"] for r in org_rows} == {"sent"}
    assert not _rows(db, "recipient LIKE 'org:%' AND channel = 'inbox'")  # an organisation has no inbox
    keys = Counter((r["rule"], r["record_ref"], r["due_date"], r["recipient"]) for r in org_rows)
    assert set(keys.values()) == {1}
    by_key = {(r["rule"], r["record_ref"], r["recipient"]): r for r in org_rows}
    correction = by_key[("correction_due", str(s["app"]["id"]), f"org:{s['app']['org_id']}")]
    assert correction["address"] == s["app"]["contact_email"] and correction["link_page"] is None
    assert ("report_due", f"{s['project']['id']}:midterm", f"org:{s['project']['org_id']}") in by_key
    assert ("training_reminder", str(s["training"]), f"org:{s['attendees'][0]}") in by_key
    assert ("training_reminder", str(s["training"]), f"org:{s['attendees'][-1]}") not in by_key  # no address
    # the SMTP server received each exactly once, at the organisation's address, worded to the organisation
    got = Counter((int(m["X-HubDesk-Reminder"]), m["To"]) for m in mailbox.messages)
    assert all(got[(r["id"], r["address"])] == 1 for r in org_rows)
    to_org = next(m for m in mailbox.messages if int(m["X-HubDesk-Reminder"]) == correction["id"])
    body = to_org.get_content()
    assert "贵组织" in body and "打开记录" not in body and str(to_org["Subject"]).startswith("【枢纽台】请于")
    # the staff still get their inbox message about the same record
    assert _rows(db, "rule = 'correction_due' AND record_ref = ? AND recipient = 'staff' AND channel = 'inbox'",
                 [str(s["app"]["id"])])


def test_an_organisation_is_emailed_only_when_the_rule_emails(servers):
    db = servers["db"]
    _org_scenario(db)
    rules.save_setting("correction_due", {"channels": ["inbox"]}, _top_admin(db), db=db)
    rows = job.wanted(today=dt.date.today(), db=db, available={"inbox", "email", "wecom"})
    assert not [r for r in rows if r["rule"] == "correction_due" and r["recipient"].startswith("org:")]
    assert [r for r in rows if r["rule"] == "training_reminder" and r["recipient"].startswith("org:")]
    assert not [r for r in job.wanted(today=dt.date.today(), db=db, available={"inbox"})
                if r["recipient"].startswith("org:")]  # email not configured


def test_an_unsent_email_to_an_organisation_names_the_organisation(servers):
    db, smtp = servers["db"], servers["smtp"]
    s = _org_scenario(db)
    smtp.down()
    job.run(db=db, url_path=_url_path)
    failed = inbox.failures(ADMIN, db=db)
    name = db.scalar("SELECT name FROM organisations WHERE id = ?", [s["app"]["org_id"]])
    assert f"{name}(组织联系人)" in set(failed["recipient"])
    assert not failed["recipient"].str.startswith("org:").any()
