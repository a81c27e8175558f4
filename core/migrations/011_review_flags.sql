-- 011: 分差提示 resolved by an admin with a recorded reason (issue 14): while an application's experts
-- differ by more than the round's threshold, the round cannot be signed off until the application has
-- been to 复评 or an admin has resolved the flag here (one row per application; audited).
CREATE SEQUENCE IF NOT EXISTS seq_flag_resolutions START 1;

CREATE TABLE IF NOT EXISTS flag_resolutions (
    id              BIGINT PRIMARY KEY DEFAULT nextval('seq_flag_resolutions'),
    application_id  BIGINT NOT NULL UNIQUE,
    reason          VARCHAR NOT NULL,
    spread          DOUBLE,
    created_at      TIMESTAMP,
    created_by      VARCHAR,
    updated_at      TIMESTAMP,
    updated_by      VARCHAR
);
