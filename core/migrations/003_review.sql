-- 003: 专家评审 — rubrics, reviewer profiles and declared affiliations, assignments, reviews with
-- per-criterion scores, recommendation overrides, and the round's score lock.
CREATE SEQUENCE IF NOT EXISTS seq_criteria START 1;
CREATE SEQUENCE IF NOT EXISTS seq_affiliations START 1;
CREATE SEQUENCE IF NOT EXISTS seq_assignments START 1;
CREATE SEQUENCE IF NOT EXISTS seq_reviews START 1;
CREATE SEQUENCE IF NOT EXISTS seq_review_scores START 1;
CREATE SEQUENCE IF NOT EXISTS seq_overrides START 1;

ALTER TABLE rounds ADD COLUMN IF NOT EXISTS rubric_total DOUBLE DEFAULT 100;
ALTER TABLE rounds ADD COLUMN IF NOT EXISTS load_cap INTEGER DEFAULT 12;
ALTER TABLE rounds ADD COLUMN IF NOT EXISTS scores_locked_at TIMESTAMP;
ALTER TABLE rounds ADD COLUMN IF NOT EXISTS scores_locked_by VARCHAR;

CREATE TABLE IF NOT EXISTS rubric_criteria (
    id          BIGINT PRIMARY KEY DEFAULT nextval('seq_criteria'),
    round_id    BIGINT NOT NULL,
    seq         INTEGER NOT NULL,
    name        VARCHAR NOT NULL,
    max_score   DOUBLE NOT NULL,
    weight      DOUBLE NOT NULL,
    guidance    VARCHAR,
    created_at  TIMESTAMP,
    created_by  VARCHAR,
    updated_at  TIMESTAMP,
    updated_by  VARCHAR
);

CREATE TABLE IF NOT EXISTS reviewer_profiles (
    username     VARCHAR PRIMARY KEY,
    title        VARCHAR,
    employer     VARCHAR,
    expertise    VARCHAR[],
    communities  VARCHAR[],
    load_cap     INTEGER,
    notes        VARCHAR,
    created_at   TIMESTAMP,
    created_by   VARCHAR,
    updated_at   TIMESTAMP,
    updated_by   VARCHAR
);

CREATE TABLE IF NOT EXISTS reviewer_affiliations (
    id          BIGINT PRIMARY KEY DEFAULT nextval('seq_affiliations'),
    username    VARCHAR NOT NULL,
    org_id      BIGINT NOT NULL,
    relation    VARCHAR NOT NULL,
    note        VARCHAR,
    created_at  TIMESTAMP,
    created_by  VARCHAR,
    updated_at  TIMESTAMP,
    updated_by  VARCHAR
);

CREATE TABLE IF NOT EXISTS assignments (
    id                 BIGINT PRIMARY KEY DEFAULT nextval('seq_assignments'),
    application_id     BIGINT NOT NULL,
    reviewer           VARCHAR NOT NULL,
    status             VARCHAR NOT NULL DEFAULT 'assigned',
    no_conflict_at     TIMESTAMP,
    recused_reason     VARCHAR,
    created_at         TIMESTAMP,
    created_by         VARCHAR,
    updated_at         TIMESTAMP,
    updated_by         VARCHAR
);

CREATE TABLE IF NOT EXISTS reviews (
    id               BIGINT PRIMARY KEY DEFAULT nextval('seq_reviews'),
    assignment_id    BIGINT NOT NULL UNIQUE,
    application_id   BIGINT NOT NULL,
    reviewer         VARCHAR NOT NULL,
    status           VARCHAR NOT NULL DEFAULT 'draft',
    recommendation   VARCHAR,
    total            DOUBLE,
    submitted_at     TIMESTAMP,
    reopened_reason  VARCHAR,
    created_at       TIMESTAMP,
    created_by       VARCHAR,
    updated_at       TIMESTAMP,
    updated_by       VARCHAR
);

CREATE TABLE IF NOT EXISTS review_scores (
    id            BIGINT PRIMARY KEY DEFAULT nextval('seq_review_scores'),
    review_id     BIGINT NOT NULL,
    criterion_id  BIGINT NOT NULL,
    score         DOUBLE,
    comment       VARCHAR,
    created_at    TIMESTAMP,
    created_by    VARCHAR,
    updated_at    TIMESTAMP,
    updated_by    VARCHAR,
    UNIQUE (review_id, criterion_id)
);

CREATE TABLE IF NOT EXISTS recommendation_overrides (
    id              BIGINT PRIMARY KEY DEFAULT nextval('seq_overrides'),
    application_id  BIGINT NOT NULL UNIQUE,
    recommended     BOOLEAN NOT NULL,
    reason          VARCHAR NOT NULL,
    created_at      TIMESTAMP,
    created_by      VARCHAR,
    updated_at      TIMESTAMP,
    updated_by      VARCHAR
);
