-- 002: 公益创投 rounds, ideas, applications with milestones and documents, screening, workflow events,
-- objections to the public notice. Money is DECIMAL(14,2) yuan.
CREATE SEQUENCE IF NOT EXISTS seq_rounds START 1;
CREATE SEQUENCE IF NOT EXISTS seq_ideas START 1;
CREATE SEQUENCE IF NOT EXISTS seq_applications START 1;
CREATE SEQUENCE IF NOT EXISTS seq_milestones START 1;
CREATE SEQUENCE IF NOT EXISTS seq_documents START 1;
CREATE SEQUENCE IF NOT EXISTS seq_screenings START 1;
CREATE SEQUENCE IF NOT EXISTS seq_events START 1;
CREATE SEQUENCE IF NOT EXISTS seq_objections START 1;
CREATE SEQUENCE IF NOT EXISTS seq_quotas START 1;

ALTER TABLE audit_log ADD COLUMN IF NOT EXISTS note VARCHAR;

CREATE TABLE IF NOT EXISTS rounds (
    id                     BIGINT PRIMARY KEY DEFAULT nextval('seq_rounds'),
    year                   INTEGER NOT NULL,
    name                   VARCHAR NOT NULL UNIQUE,
    total_budget           DECIMAL(14, 2) NOT NULL,
    project_ceiling        DECIMAL(14, 2) NOT NULL,
    max_apps_per_org       INTEGER NOT NULL DEFAULT 1,
    categories             VARCHAR[] NOT NULL,
    checklist              VARCHAR[] NOT NULL,
    ideas_start            DATE,
    ideas_end              DATE,
    apply_start            DATE NOT NULL,
    apply_end              DATE NOT NULL,
    screening_end          DATE NOT NULL,
    review_start           DATE NOT NULL,
    review_end             DATE NOT NULL,
    notice_start           DATE NOT NULL,
    notice_end             DATE NOT NULL,
    project_start          DATE NOT NULL,
    project_end            DATE NOT NULL,
    reviewers_per_app      INTEGER NOT NULL DEFAULT 5,
    trimmed_mean           BOOLEAN NOT NULL DEFAULT TRUE,
    discrepancy_threshold  DOUBLE NOT NULL DEFAULT 20,
    blind_review           BOOLEAN NOT NULL DEFAULT FALSE,
    half_points            BOOLEAN NOT NULL DEFAULT FALSE,
    notice_published_at    TIMESTAMP,
    notes                  VARCHAR,
    created_at             TIMESTAMP NOT NULL DEFAULT current_timestamp,
    created_by             VARCHAR,
    updated_at             TIMESTAMP,
    updated_by             VARCHAR
);

CREATE TABLE IF NOT EXISTS round_quotas (
    id          BIGINT PRIMARY KEY DEFAULT nextval('seq_quotas'),
    round_id    BIGINT NOT NULL,
    category    VARCHAR NOT NULL,
    quota       DECIMAL(14, 2) NOT NULL,
    created_at  TIMESTAMP,
    created_by  VARCHAR,
    updated_at  TIMESTAMP,
    updated_by  VARCHAR,
    UNIQUE (round_id, category)
);

CREATE TABLE IF NOT EXISTS ideas (
    id              BIGINT PRIMARY KEY DEFAULT nextval('seq_ideas'),
    round_id        BIGINT,
    title           VARCHAR NOT NULL,
    description     VARCHAR NOT NULL,
    community       VARCHAR NOT NULL,
    category        VARCHAR NOT NULL,
    source          VARCHAR NOT NULL,
    contact_name    VARCHAR,
    contact_phone   VARCHAR,
    tags            VARCHAR[],
    duplicate_of    BIGINT,
    application_id  BIGINT,
    created_at      TIMESTAMP NOT NULL DEFAULT current_timestamp,
    created_by      VARCHAR,
    updated_at      TIMESTAMP,
    updated_by      VARCHAR
);

CREATE TABLE IF NOT EXISTS applications (
    id                     BIGINT PRIMARY KEY DEFAULT nextval('seq_applications'),
    round_id               BIGINT NOT NULL,
    org_id                 BIGINT NOT NULL,
    state                  VARCHAR NOT NULL DEFAULT 'draft',
    category               VARCHAR,
    title                  VARCHAR NOT NULL,
    summary                VARCHAR,
    needs_analysis         VARCHAR,
    communities            VARCHAR[],
    target_group           VARCHAR,
    planned_beneficiaries  INTEGER,
    planned_activities     VARCHAR,
    cofunding_self         DECIMAL(14, 2),
    cofunding_other        DECIMAL(14, 2),
    cofunding_note         VARCHAR,
    budget_personnel       DECIMAL(14, 2),
    budget_materials       DECIMAL(14, 2),
    budget_venue           DECIMAL(14, 2),
    budget_publicity       DECIMAL(14, 2),
    budget_other           DECIMAL(14, 2),
    requested_amount       DECIMAL(14, 2),
    idea_id                BIGINT,
    return_due             DATE,
    returned_count         INTEGER NOT NULL DEFAULT 0,
    granted_amount         DECIMAL(14, 2),
    decision_note          VARCHAR,
    submitted_at           TIMESTAMP,
    created_at             TIMESTAMP NOT NULL DEFAULT current_timestamp,
    created_by             VARCHAR,
    updated_at             TIMESTAMP,
    updated_by             VARCHAR
);

CREATE TABLE IF NOT EXISTS application_milestones (
    id              BIGINT PRIMARY KEY DEFAULT nextval('seq_milestones'),
    application_id  BIGINT NOT NULL,
    due_date        DATE NOT NULL,
    deliverable     VARCHAR NOT NULL,
    created_at      TIMESTAMP,
    created_by      VARCHAR,
    updated_at      TIMESTAMP,
    updated_by      VARCHAR
);

CREATE TABLE IF NOT EXISTS documents (
    id            BIGINT PRIMARY KEY DEFAULT nextval('seq_documents'),
    owner_table   VARCHAR NOT NULL,
    owner_id      BIGINT NOT NULL,
    filename      VARCHAR NOT NULL,
    kind          VARCHAR NOT NULL,
    mime          VARCHAR NOT NULL,
    size_bytes    BIGINT NOT NULL,
    sha256        VARCHAR NOT NULL,
    stored_name   VARCHAR NOT NULL,
    created_at    TIMESTAMP,
    created_by    VARCHAR,
    updated_at    TIMESTAMP,
    updated_by    VARCHAR
);

CREATE TABLE IF NOT EXISTS screenings (
    id              BIGINT PRIMARY KEY DEFAULT nextval('seq_screenings'),
    application_id  BIGINT NOT NULL,
    outcome         VARCHAR NOT NULL,
    items_passed    VARCHAR[],
    items_failed    VARCHAR[],
    reasons         VARCHAR,
    return_due      DATE,
    created_at      TIMESTAMP,
    created_by      VARCHAR,
    updated_at      TIMESTAMP,
    updated_by      VARCHAR
);

CREATE TABLE IF NOT EXISTS application_events (
    id              BIGINT PRIMARY KEY DEFAULT nextval('seq_events'),
    application_id  BIGINT NOT NULL,
    from_state      VARCHAR,
    to_state        VARCHAR NOT NULL,
    note            VARCHAR,
    created_at      TIMESTAMP,
    created_by      VARCHAR,
    updated_at      TIMESTAMP,
    updated_by      VARCHAR
);

CREATE TABLE IF NOT EXISTS objections (
    id              BIGINT PRIMARY KEY DEFAULT nextval('seq_objections'),
    round_id        BIGINT NOT NULL,
    application_id  BIGINT,
    received_date   DATE NOT NULL,
    content         VARCHAR NOT NULL,
    handling        VARCHAR,
    result          VARCHAR,
    closed          BOOLEAN NOT NULL DEFAULT FALSE,
    created_at      TIMESTAMP,
    created_by      VARCHAR,
    updated_at      TIMESTAMP,
    updated_by      VARCHAR
);
