"""The ways a reminder leaves HubDesk: email over SMTP (``smtplib``) and a 企业微信 group robot (a JSON POST with
``urllib``). The in-app inbox needs no sending: the stored row is the message.

Both are configured in the secrets file (``HUBDESK_SECRETS``, default ``.streamlit/secrets.toml``), never in the
database and with no defaults: a channel without its section is "not configured", and no reminder is queued
for it (the rule screen says so)::

    [smtp]
    host = "smtp.example.org"
    port = 587
    security = "starttls"      # starttls | ssl | none
    username = "hub@example.org"
    password = "…"
    sender = "枢纽台 <hub@example.org>"
    timeout = 20

    [wecom]
    webhook_url = "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=…"

A failed send raises :class:`SendFailed` with a Chinese reason; the queue keeps the reminder and retries it.
"""
from __future__ import annotations

import json
import smtplib
import ssl
import tomllib
import urllib.error
import urllib.request
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formataddr, make_msgid, parseaddr
from pathlib import Path

from core.platform import config

SECURITIES = ("starttls", "ssl", "none")


class SendFailed(Exception):
    """A send did not go through; ``str()`` is the reason in Chinese (kept on the reminder, shown to admins)."""


@dataclass(frozen=True)
class Smtp:
    host: str
    port: int
    security: str = "starttls"
    username: str = ""
    password: str = ""
    sender: str = ""
    timeout: float = 20.0


@dataclass(frozen=True)
class Channels:
    smtp: Smtp | None = None
    wecom_url: str | None = None
    problems: tuple[str, ...] = ()  # sections present but unusable (said on the rule screen)

    def available(self) -> set[str]:
        return {"inbox"} | ({"email"} if self.smtp else set()) | ({"wecom"} if self.wecom_url else set())


def load(path: Path | str | None = None) -> Channels:
    """The channels the secrets file configures (an absent or unreadable file: only the inbox)."""
    path = Path(path or config.load().secrets_path)
    try:
        with open(path, "rb") as f:
            data = tomllib.load(f)
    except FileNotFoundError:
        return Channels()
    except (OSError, tomllib.TOMLDecodeError) as exc:
        return Channels(problems=(f"密钥文件 {path} 无法读取:{exc}",))
    problems, smtp, wecom = [], None, None
    s = data.get("smtp")
    if isinstance(s, dict) and s:
        security = str(s.get("security", "starttls")).lower()
        try:
            port = int(s.get("port", 465 if security == "ssl" else 587))
        except (TypeError, ValueError):
            port = 0
        sender = str(s.get("sender") or s.get("username") or "")
        if not s.get("host") or not sender or security not in SECURITIES or not 0 < port < 65536:
            problems.append("[smtp] 须填写 host、sender(或 username),port 为 1–65535,security 为 starttls、ssl 或 none")
        else:
            smtp = Smtp(host=str(s["host"]), port=port, security=security, username=str(s.get("username") or ""),
                        password=str(s.get("password") or ""), sender=sender, timeout=float(s.get("timeout", 20)))
    w = data.get("wecom")
    if isinstance(w, dict) and w:
        url = str(w.get("webhook_url") or "")
        if url.startswith(("https://", "http://")):
            wecom = url
        else:
            problems.append("[wecom] webhook_url 须为 http(s):// 开头的群机器人地址")
    return Channels(smtp=smtp, wecom_url=wecom, problems=tuple(problems))


class Mailer:
    """One SMTP connection for a batch of emails (opened at the first, closed at the end, opened again after a
    failure): ``with Mailer(smtp) as m: m.send(to, subject, body)``."""

    def __init__(self, smtp: Smtp):
        self.smtp = smtp
        self.client: smtplib.SMTP | None = None

    def __enter__(self) -> "Mailer":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        if self.client is not None:
            try:
                self.client.quit()
            except (smtplib.SMTPException, OSError):
                pass
            self.client = None

    def _connect(self) -> smtplib.SMTP:
        smtp = self.smtp
        if smtp.security == "ssl":
            client = smtplib.SMTP_SSL(smtp.host, smtp.port, timeout=smtp.timeout, context=ssl.create_default_context())
        else:
            client = smtplib.SMTP(smtp.host, smtp.port, timeout=smtp.timeout)
        try:
            if smtp.security == "starttls":
                client.starttls(context=ssl.create_default_context())
            if smtp.username:
                client.login(smtp.username, smtp.password)
        except BaseException:
            client.close()
            raise
        return client

    def send(self, to: str, subject: str, body: str, *, reference: str | None = None) -> str:
        """Send one plain-text email; returns its Message-ID. ``reference``: the reminder's id, in the header
        ``X-HubDesk-Reminder`` (a mail filter, or a test, tells reminders apart by it). Raises :class:`SendFailed`."""
        smtp = self.smtp
        msg = EmailMessage()
        name, addr = parseaddr(smtp.sender)
        msg["From"] = formataddr((name, addr)) if name else addr
        msg["To"] = to
        msg["Subject"] = subject
        msg["Message-ID"] = make_msgid(domain=(addr.rpartition("@")[2] or "hubdesk.local"))
        if reference is not None:
            msg["X-HubDesk-Reminder"] = reference
        msg.set_content(body)
        try:
            if self.client is None:
                self.client = self._connect()
            refused = self.client.send_message(msg)
            if refused:
                raise SendFailed(f"邮件服务器拒收:{refused}")
        except SendFailed:
            raise
        except smtplib.SMTPAuthenticationError as exc:
            self.close()
            raise SendFailed(f"邮件服务器登录失败(请检查 [smtp] username/password):{exc.smtp_code}") from exc
        except smtplib.SMTPRecipientsRefused as exc:
            raise SendFailed(f"邮件服务器拒收收件人 {to}") from exc
        except (smtplib.SMTPException, OSError) as exc:
            self.client = None  # broken: the next send connects again
            raise SendFailed(f"邮件服务器 {smtp.host}:{smtp.port} 发送失败:{exc}") from exc
        return msg["Message-ID"]


def send_email(smtp: Smtp, to: str, subject: str, body: str, *, reference: str | None = None) -> str:
    """One email over a connection of its own (see :class:`Mailer` for a batch)."""
    with Mailer(smtp) as mailer:
        return mailer.send(to, subject, body, reference=reference)


def send_wecom(url: str, content: str, timeout: float = 15.0) -> None:
    """Post a text message to a 企业微信 group robot. Raises :class:`SendFailed` (HTTP error, or errcode != 0)."""
    data = json.dumps({"msgtype": "text", "text": {"content": content}}, ensure_ascii=False).encode("utf-8")
    req = urllib.request.Request(url, data=data, method="POST",
                                 headers={"Content-Type": "application/json; charset=utf-8"})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            answer = resp.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as exc:
        raise SendFailed(f"企业微信群机器人返回 HTTP {exc.code}") from exc
    except (urllib.error.URLError, OSError) as exc:
        raise SendFailed(f"无法连接企业微信群机器人:{getattr(exc, 'reason', exc)}") from exc
    try:
        code = json.loads(answer).get("errcode", 0)
    except (ValueError, AttributeError):
        code = 0  # not JSON: the POST went through
    if code:
        raise SendFailed(f"企业微信群机器人拒绝了消息(errcode {code})")
