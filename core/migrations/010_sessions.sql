-- Server-side sign-in sessions (the cookie carries only a random session id, signed): revocable on logout,
-- password change, reset, role change or disable; idle and absolute lifetimes enforced on the server.
CREATE TABLE IF NOT EXISTS user_sessions (
    id            VARCHAR PRIMARY KEY,      -- sha256 of the random session id in the cookie (never the id itself)
    username      VARCHAR NOT NULL,
    created_at    TIMESTAMP NOT NULL,
    last_seen     TIMESTAMP NOT NULL,
    expires_at    TIMESTAMP NOT NULL,       -- the absolute lifetime
    client        VARCHAR,                  -- the client address at sign-in
    user_agent    VARCHAR,
    revoked_at    TIMESTAMP,
    revoked_by    VARCHAR,
    revoked_reason VARCHAR
);
CREATE INDEX IF NOT EXISTS user_sessions_username ON user_sessions (username);

-- sign-in attempts: the client address, and what happened (ok, failed, locked: refused while locked,
-- throttled: refused for too many failures from one client)
ALTER TABLE login_attempts ADD COLUMN IF NOT EXISTS client VARCHAR;
ALTER TABLE login_attempts ADD COLUMN IF NOT EXISTS outcome VARCHAR;

-- what an auditor looks for beside the data changes: access refused, unlocks, exports of personal data
CREATE SEQUENCE IF NOT EXISTS security_events_id_seq START 1;
CREATE TABLE IF NOT EXISTS security_events (
    id          BIGINT PRIMARY KEY DEFAULT nextval('security_events_id_seq'),
    happened_at TIMESTAMP NOT NULL,
    username    VARCHAR,
    kind        VARCHAR NOT NULL,   -- access_refused | export
    detail      VARCHAR,
    client      VARCHAR
);
