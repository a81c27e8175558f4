"""What an auditor looks for beside the data changes (等保 2.0 / OWASP ASVS V7): access refused, an
account unlocked, personal data exported. Each is a row of ``security_events`` written through the write
path, so it is in the audit log too (sign-ins, refusals while locked, logouts and revoked sessions are
recorded by :mod:`core.platform.lockout` and :mod:`core.platform.sessions`)."""
from __future__ import annotations

import logging
from datetime import datetime

from core.platform import records
from core.platform.actor import SYSTEM, VIA_ACCOUNT
from core.platform.entities import Entity, register
from core.platform.errors import WriteFailed
from schemas.system import SecurityEvent

# written by the system only (core.platform.actor.SYSTEM, :func:`log`): no role writes, changes or deletes an event
EVENT = register(Entity(
    name="security_event", table="security_events", label="安全事件", schema=SecurityEvent,
    title_field="kind", stamps=False, hub_via=VIA_ACCOUNT,
))

KINDS = {
    "access_refused": "拒绝访问",
    "export": "导出数据",
}


def log(kind: str, username: str | None, detail: str = "", client: str | None = None, db=None) -> None:
    """Record an event; never stops the screen (a full disk only loses the event, with a log line)."""
    try:
        records.create(EVENT, {"happened_at": datetime.now(), "username": (username or "")[:100] or None,
                               "kind": kind, "detail": detail[:500], "client": (client or "")[:100] or None},
                       SYSTEM, db=db, note=KINDS.get(kind, kind))
    except WriteFailed:
        logging.getLogger("hubdesk").warning("HubDesk: security event %s of %s not recorded", kind, username)
