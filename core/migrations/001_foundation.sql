-- 001: users, sign-in attempts, communities, organisations, audit log.
CREATE SEQUENCE IF NOT EXISTS seq_organisations START 1;
CREATE SEQUENCE IF NOT EXISTS seq_audit START 1;
CREATE SEQUENCE IF NOT EXISTS seq_login_attempts START 1;

CREATE TABLE IF NOT EXISTS users (
    username       VARCHAR PRIMARY KEY,
    name           VARCHAR NOT NULL,
    email          VARCHAR,
    password_hash  VARCHAR NOT NULL,
    roles          VARCHAR[] NOT NULL,
    active         BOOLEAN NOT NULL DEFAULT TRUE,
    is_demo        BOOLEAN NOT NULL DEFAULT FALSE,
    created_at     TIMESTAMP NOT NULL DEFAULT current_timestamp,
    updated_at     TIMESTAMP
);

CREATE TABLE IF NOT EXISTS login_attempts (
    id        BIGINT PRIMARY KEY DEFAULT nextval('seq_login_attempts'),
    username  VARCHAR NOT NULL,
    attempted_at TIMESTAMP NOT NULL,
    success   BOOLEAN NOT NULL
);

CREATE TABLE IF NOT EXISTS communities (
    name        VARCHAR PRIMARY KEY,
    sort_order  INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE IF NOT EXISTS organisations (
    id               BIGINT PRIMARY KEY DEFAULT nextval('seq_organisations'),
    name             VARCHAR NOT NULL UNIQUE,
    kind             VARCHAR NOT NULL,
    uscc             VARCHAR UNIQUE,
    filing_no        VARCHAR,
    reg_date         DATE,
    legal_rep        VARCHAR,
    contact_person   VARCHAR,
    contact_phone    VARCHAR,
    community        VARCHAR,
    service_domains  VARCHAR[],
    stage            VARCHAR,
    incubation_in    DATE,
    incubation_out   DATE,
    rating           VARCHAR,
    rating_date      DATE,
    rating_expiry    DATE,
    active           BOOLEAN NOT NULL DEFAULT TRUE,
    notes            VARCHAR,
    created_at       TIMESTAMP NOT NULL DEFAULT current_timestamp,
    created_by       VARCHAR,
    updated_at       TIMESTAMP,
    updated_by       VARCHAR
);

CREATE TABLE IF NOT EXISTS audit_log (
    id          BIGINT PRIMARY KEY,
    logged_at   TIMESTAMP NOT NULL,
    actor       VARCHAR NOT NULL,
    table_name  VARCHAR NOT NULL,
    row_key     VARCHAR,
    action      VARCHAR NOT NULL,
    before_json VARCHAR,
    after_json  VARCHAR,
    prev_hash   VARCHAR NOT NULL,
    hash        VARCHAR NOT NULL
);
