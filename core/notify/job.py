"""The reminder job: the rules' hits become queued reminders (:mod:`core.notify.queue`), then the queued emails and
企业微信 messages are claimed and sent. The scheduler inside the server (:mod:`core.notify.scheduler`) and
``python3 -m core.manage send-reminders`` (a systemd timer) run this same :func:`run`.

Links: a reminder stores the page key and query string of the record's page; an email or 企业微信 message carries
the full address when the secrets file names the server (``[notify] base_url = "http://hub.example:8501"``) and
the caller passes ``url_path`` (the composition's page key -> url path: core.notify sits below the pages registry).

Who receives a reminder (issue 20: no hub reads another hub's records): a hit names its record's hub
(:attr:`core.notify.rules.Hit.hub`); 'staff' are that hub's active staff, 'admins' its admins (:class:`Audience`).
The 企业微信 group robot is one per installation (``[wecom] webhook_url``, set by whoever runs the server): every
hub's reminders go to that one group, each prefixed with its hub's short name (「白杨街道」…) once the network has
more than one hub; its failed sends are the top hub's admins' to see (:mod:`core.notify.inbox`).
"""
from __future__ import annotations

import datetime as dt
import logging
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from core.notify import channels as ch
from core.notify import queue, rules
from core.platform import config
from core.orgs import hubs as hub_tree
from core.platform.actor import DEFAULT_HUB, act_as, acting
from core.platform.db import get_db

log = logging.getLogger("hubdesk")


@dataclass
class Report:
    queued: int = 0
    inbox: int = 0
    sent: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)  # a rule whose finder failed (the others still ran)

    def line(self) -> str:
        return (f"新提醒 {self.queued} 条(站内消息 {self.inbox} 条),发送成功 {self.sent} 条,发送失败 {self.failed} 条"
                + (f";{len(self.errors)} 条规则出错:" + ";".join(self.errors) if self.errors else ""))


@dataclass(frozen=True)
class Audience:
    """The active accounts (username -> name, email, roles, hub_id) and who 'staff' and 'admins' mean for a hub."""
    users: dict[str, dict]
    parent: dict[int, int | None]   # hub -> its parent
    names: dict[int, str]           # hub -> its short name (the 企业微信 prefix)

    def _with(self, role: str, hub: int) -> list[str]:
        return [u for u, r in self.users.items() if r["hub_id"] == hub and role in r["roles"]]

    def top_admins(self) -> list[str]:
        """The admins of a hub without a parent (:func:`core.platform.users.operates`: they run the whole install);
        with no hub tree yet, every admin."""
        if not self.parent:
            return [u for u, r in self.users.items() if "admin" in r["roles"]]
        return [u for u, r in self.users.items() if "admin" in r["roles"] and self.parent.get(r["hub_id"], 0) is None]

    def admins(self, hub: int | None) -> list[str]:
        """``hub``'s admins; a hub with none: those of the nearest hub above it with any (they read its records),
        else the top hub's; no hub (the whole installation): the top hub's."""
        seen: set[int] = set()
        while hub is not None and hub not in seen:
            seen.add(hub)
            found = self._with("admin", hub)
            if found:
                return found
            hub = self.parent.get(hub)
        return self.top_admins()

    def staff(self, hub: int | None) -> list[str]:
        """``hub``'s active staff; a hub with none: :meth:`admins`."""
        return (self._with("staff", hub) if hub is not None else []) or self.admins(hub)

    def expand(self, to: tuple[str, ...], hub: int | None) -> list[str]:
        """A hit's ``to`` as usernames: 'staff' and 'admins' of ``hub``; a username stays itself (an expert of a
        district's pool, a mentor)."""
        people: list[str] = []
        for who in to:
            people += self.staff(hub) if who == "staff" else self.admins(hub) if who == "admins" else [who]
        return list(dict.fromkeys(people))

    def group_subject(self, subject: str, hub: int | None) -> str:
        """The 企业微信 group's subject: prefixed with the hub's short name in a network of several hubs."""
        return f"「{self.names[hub]}」{subject}" if hub in self.names and len(self.names) > 1 else subject


def audience(db) -> Audience:
    users = {r["username"]: {**r, "hub_id": int(r["hub_id"])} for r in db.fetch_all(
        "SELECT username, name, email, roles, coalesce(hub_id, ?) AS hub_id FROM users WHERE active ORDER BY username",
        [DEFAULT_HUB])}
    tree = db.fetch_all("SELECT id, parent_id, name FROM hubs ORDER BY id")
    return Audience(users, {int(h["id"]): (int(h["parent_id"]) if h["parent_id"] is not None else None) for h in tree},
                    {int(h["id"]): hub_tree.short_name(h["name"]) for h in tree})


def _org_addresses(db) -> dict[int, str]:
    """organisation id -> its contact's email address (those with one)."""
    return {int(r["id"]): r["contact_email"] for r in db.fetch_all(
        "SELECT id, contact_email FROM organisations WHERE contact_email IS NOT NULL AND trim(contact_email) <> ''")}


def wanted(*, today: dt.date, db, available: set[str], report: Report | None = None) -> list[dict]:
    """Every reminder the enabled rules want on ``today``, expanded to recipients and channels (an organisation's
    contact: by email only, recipient ``org:<id>``, when the organisation has an address and the rule emails).
    The rules read every hub's records, also when an admin starts the run from a screen (the finders read through
    the screens' queries, which keep the signed-in user's hubs); the recipients are of each record's hub."""
    screen = acting()
    act_as(None)
    try:
        return _wanted(today=today, db=db, available=available, report=report)
    finally:
        act_as(screen)


def _wanted(*, today: dt.date, db, available: set[str], report: Report | None) -> list[dict]:
    conf = rules.settings(db)
    who = audience(db)
    users = who.users
    org_mail = _org_addresses(db)
    default = rules.default_channels(db)
    chosen = rules.user_channels(db)
    out, memo = [], {}
    for rule in rules.RULES:
        s = conf[rule.code]
        if not s["enabled"]:
            continue
        try:
            hits = rule.find(rules.Ctx(db, today, int(s["lead"]), memo))
        except Exception as exc:  # one broken rule must not stop the others: said in the report and the log
            log.exception("HubDesk: reminder rule %s failed", rule.code)
            if report is not None:
                report.errors.append(f"{rule.label}:{exc}")
            continue
        use = set(s["channels"]) & available
        for h in hits:
            if today < h.start:
                continue
            slot = (today - h.start).days // s["repeat_days"] if s["repeat_days"] > 0 else 0
            base = {"rule": rule.code, "record_kind": h.record_kind, "record_ref": h.record_ref, "due_date": h.due,
                    "slot": slot, "subject": h.subject, "body": h.body, "link_page": h.link_page,
                    "link_params": queue.params_text(h.link_params) or None}
            for username in who.expand(h.to, h.hub):
                account = users.get(username)
                if account is None:
                    continue
                mine = set(chosen.get(username, default)) & use
                if "inbox" in mine:
                    out.append({**base, "recipient": username, "channel": "inbox", "address": None})
                if "email" in mine and account["email"]:
                    out.append({**base, "recipient": username, "channel": "email", "address": account["email"]})
            if "wecom" in use and any(w in ("staff", "admins") for w in h.to):
                out.append({**base, "recipient": "group", "channel": "wecom", "address": None,
                            "subject": who.group_subject(h.subject, h.hub)})
            if "email" in use:
                for m in {m.org_id: m for m in h.orgs}.values():
                    if org_mail.get(m.org_id):
                        out.append({**base, "recipient": rules.org_recipient(m.org_id), "channel": "email",
                                    "address": org_mail[m.org_id], "subject": m.subject, "body": m.body,
                                    "link_page": None, "link_params": None})
    return out


def base_url(secrets_path: Path | None = None) -> str | None:
    path = Path(secrets_path or config.load().secrets_path)
    try:
        with open(path, "rb") as f:
            url = str(tomllib.load(f).get("notify", {}).get("base_url") or "")
    except (OSError, tomllib.TOMLDecodeError):
        return None
    return url.rstrip("/") or None


def text_of(row: dict, link: str | None) -> str:
    return f"{row['body']}\n\n打开记录:{link}" if link else row["body"]


def link_of(row: dict, base: str | None, url_path: Callable[[str], str | None] | None) -> str | None:
    if not (base and url_path and row.get("link_page")):
        return None
    path = url_path(row["link_page"])
    if path is None:
        return None
    return f"{base}/{path}" + (f"?{row['link_params']}" if row.get("link_params") else "")


def deliver(claimer: str, rows: list[dict], conf: ch.Channels, *, db, report: Report,
            url_path: Callable[[str], str | None] | None = None, stop: Callable[[], bool] | None = None) -> None:
    """Send the claimed ``rows`` one by one, marking each right after its send."""
    base = base_url()
    mailer = ch.Mailer(conf.smtp) if conf.smtp else None
    try:
        _deliver(claimer, rows, conf, mailer, base, db=db, report=report, url_path=url_path, stop=stop)
    finally:
        if mailer is not None:
            mailer.close()


def _deliver(claimer, rows, conf, mailer, base, *, db, report, url_path, stop) -> None:
    mail_down: str | None = None  # once the mail server cannot be reached, the batch's other emails wait too
    for row in rows:
        if stop is not None and stop():
            queue.release(claimer, db=db)
            return
        text = text_of(row, link_of(row, base, url_path))
        try:
            if row["channel"] == "email":
                if mailer is None:
                    raise ch.SendFailed("邮件服务器未配置(密钥文件中没有 [smtp])")
                if mail_down:
                    raise ch.SendFailed(mail_down)
                try:
                    mailer.send(row["address"], f"【枢纽台】{row['subject']}", text, reference=str(row["id"]))
                except ch.SendFailed as exc:
                    if mailer.client is None:  # could not connect or the connection broke: the server is down
                        mail_down = str(exc)
                    raise
            elif row["channel"] == "wecom":
                if not conf.wecom_url:
                    raise ch.SendFailed("企业微信群机器人未配置(密钥文件中没有 [wecom] webhook_url)")
                ch.send_wecom(conf.wecom_url, f"【枢纽台】{row['subject']}\n{text}")
            else:
                raise ch.SendFailed(f"未知的发送渠道:{row['channel']}")
        except ch.SendFailed as exc:
            queue.mark_failed(row["id"], claimer, str(exc), db=db)
            report.failed += 1
            continue
        queue.mark_sent(row["id"], claimer, db=db)
        report.sent += 1


def run(*, today: dt.date | None = None, db=None, url_path: Callable[[str], str | None] | None = None,
        conf: ch.Channels | None = None, stop: Callable[[], bool] | None = None) -> Report:
    """One run: queue what the rules want today, then send what is due (until nothing is left to claim)."""
    db = db or get_db()
    today = today or dt.date.today()
    conf = conf or ch.load()
    report = Report()
    rows = wanted(today=today, db=db, available=conf.available(), report=report)
    new = queue.enqueue(rows, db=db)
    report.queued, report.inbox = sum(new.values()), new.get("inbox", 0)
    while stop is None or not stop():
        claimer = queue.owner()
        claimed = queue.claim(claimer, db=db)
        if not claimed:
            break
        deliver(claimer, claimed, conf, db=db, report=report, url_path=url_path, stop=stop)
        # a failed row waits for its back-off, so the next claim takes only what is new: the loop ends
    return report
