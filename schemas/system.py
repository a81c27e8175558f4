"""Schemas of the sign-in bookkeeping the system writes for no user: sign-in attempts (core.platform.lockout),
sessions (core.platform.sessions) and security events (core.platform.security). They describe the stored columns, so these
writes are validated like any other and every column has its Chinese label (the labels of these columns are
declared once, in :data:`schemas.columns.SYSTEM_FIELDS`; :func:`schemas.stored.stored` reads them there)."""
from __future__ import annotations

import pandas as pd
from pandera.typing.pandas import Series

from schemas.base import FormSchema
from schemas.stored import stored

LOGIN_OUTCOMES = ["ok", "failed", "locked", "throttled", "unlocked"]


class LoginAttempt(FormSchema):
    username: Series[str] = stored("username", "login_attempts", str_length={"max_value": 100})
    attempted_at: Series[pd.Timestamp] = stored("attempted_at", "login_attempts", widget="datetime")
    success: Series[pd.BooleanDtype] = stored("success", "login_attempts", widget="checkbox")
    client: Series[str] = stored("client", "login_attempts", required=False, str_length={"max_value": 100})
    outcome: Series[str] = stored("outcome", "login_attempts", required=False, isin=LOGIN_OUTCOMES)


class UserSession(FormSchema):
    id: Series[str] = stored("id", "user_sessions", str_matches=r"^[0-9a-f]{64}$")  # SHA-256 of the session id
    username: Series[str] = stored("username", "user_sessions", str_length={"max_value": 100})
    created_at: Series[pd.Timestamp] = stored("created_at", "user_sessions", label="登录时间", widget="datetime")
    last_seen: Series[pd.Timestamp] = stored("last_seen", "user_sessions", widget="datetime")
    expires_at: Series[pd.Timestamp] = stored("expires_at", "user_sessions", widget="datetime")
    client: Series[str] = stored("client", "user_sessions", required=False, str_length={"max_value": 100})
    user_agent: Series[str] = stored("user_agent", "user_sessions", required=False, str_length={"max_value": 300})
    revoked_at: Series[pd.Timestamp] = stored("revoked_at", "user_sessions", widget="datetime", required=False)
    revoked_by: Series[str] = stored("revoked_by", "user_sessions", required=False)
    revoked_reason: Series[str] = stored("revoked_reason", "user_sessions", required=False)


class SecurityEvent(FormSchema):
    happened_at: Series[pd.Timestamp] = stored("happened_at", "security_events", widget="datetime")
    username: Series[str] = stored("username", "security_events", required=False, str_length={"max_value": 100})
    kind: Series[str] = stored("kind", "security_events")
    detail: Series[str] = stored("detail", "security_events", widget="textarea", required=False,
                                 str_length={"max_value": 500})
    client: Series[str] = stored("client", "security_events", required=False, str_length={"max_value": 100})
