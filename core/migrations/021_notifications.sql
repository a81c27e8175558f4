-- 021: 提醒与通知 (core.notify) — the reminders the rules produce, one row per (rule, record, due date, repeat slot,
-- recipient, channel): the UNIQUE key is what makes a second run (or two runs at once) add nothing; the admin's
-- rule settings (lead time, repeat, channels); each account's chosen channels (username '*': the admins' default).
CREATE SEQUENCE IF NOT EXISTS seq_notifications START 1;
CREATE TABLE IF NOT EXISTS notifications (
    id BIGINT PRIMARY KEY DEFAULT nextval('seq_notifications'),
    rule VARCHAR NOT NULL,                  -- core.notify.rules code
    record_kind VARCHAR NOT NULL,           -- application | assignment | round | project | tranche | ...
    record_ref VARCHAR NOT NULL,            -- the record's key (e.g. '12', or '12:midterm')
    due_date DATE NOT NULL,                 -- the date the reminder is about
    slot INTEGER NOT NULL DEFAULT 0,        -- 0: the first reminder; n: the n-th repeat
    recipient VARCHAR NOT NULL,             -- a username, 'org:<id>' (an organisation's contact) or 'group' (企业微信群)
    channel VARCHAR NOT NULL,               -- inbox | email | wecom
    address VARCHAR,                        -- email address for email; NULL otherwise
    subject VARCHAR NOT NULL,
    body VARCHAR NOT NULL,
    link_page VARCHAR,                      -- core.navigation page key of the record's page
    link_params VARCHAR,                    -- its query string, e.g. 'id=12'
    status VARCHAR NOT NULL DEFAULT 'pending',  -- pending | sending | sent | failed | gave_up
    attempts INTEGER NOT NULL DEFAULT 0,
    next_try_at TIMESTAMP,
    claimed_by VARCHAR,                     -- '<process id>:<run>' while a send is under way
    claimed_at TIMESTAMP,
    last_error VARCHAR,
    created_at TIMESTAMP NOT NULL DEFAULT current_timestamp,
    sent_at TIMESTAMP,
    read_at TIMESTAMP,
    UNIQUE (rule, record_kind, record_ref, due_date, slot, recipient, channel)
);
CREATE INDEX IF NOT EXISTS idx_notifications_inbox ON notifications (recipient, channel, read_at);
CREATE INDEX IF NOT EXISTS idx_notifications_status ON notifications (status, next_try_at);

CREATE TABLE IF NOT EXISTS notification_rules (
    code VARCHAR PRIMARY KEY, enabled BOOLEAN NOT NULL DEFAULT TRUE, lead INTEGER NOT NULL,
    repeat_days INTEGER NOT NULL, channels VARCHAR[] NOT NULL, updated_at TIMESTAMP, updated_by VARCHAR
);

CREATE TABLE IF NOT EXISTS notification_prefs (
    username VARCHAR PRIMARY KEY, channels VARCHAR[] NOT NULL, updated_at TIMESTAMP, updated_by VARCHAR
);
