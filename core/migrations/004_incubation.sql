-- 004: 孵化与能力建设 — mentors, pairings, sessions and agreed actions; trainings, attendance and
-- feedback; versioned capability-assessment instruments and assessments; the dimension -> support
-- mapping; lifecycle stage changes, 入壳/出壳 decisions and rating history.
CREATE SEQUENCE IF NOT EXISTS seq_mentors START 1;
CREATE SEQUENCE IF NOT EXISTS seq_pairings START 1;
CREATE SEQUENCE IF NOT EXISTS seq_msessions START 1;
CREATE SEQUENCE IF NOT EXISTS seq_mactions START 1;
CREATE SEQUENCE IF NOT EXISTS seq_trainings START 1;
CREATE SEQUENCE IF NOT EXISTS seq_attendance START 1;
CREATE SEQUENCE IF NOT EXISTS seq_feedback START 1;
CREATE SEQUENCE IF NOT EXISTS seq_instruments START 1;
CREATE SEQUENCE IF NOT EXISTS seq_dimensions START 1;
CREATE SEQUENCE IF NOT EXISTS seq_indicators START 1;
CREATE SEQUENCE IF NOT EXISTS seq_assessments START 1;
CREATE SEQUENCE IF NOT EXISTS seq_ascores START 1;
CREATE SEQUENCE IF NOT EXISTS seq_supportmap START 1;
CREATE SEQUENCE IF NOT EXISTS seq_stagechanges START 1;
CREATE SEQUENCE IF NOT EXISTS seq_incdecisions START 1;
CREATE SEQUENCE IF NOT EXISTS seq_ratings START 1;

CREATE TABLE IF NOT EXISTS mentors (
    id BIGINT PRIMARY KEY DEFAULT nextval('seq_mentors'),
    name VARCHAR NOT NULL, speciality VARCHAR NOT NULL, username VARCHAR, employer VARCHAR, phone VARCHAR,
    active BOOLEAN NOT NULL DEFAULT TRUE, notes VARCHAR,
    created_at TIMESTAMP, created_by VARCHAR, updated_at TIMESTAMP, updated_by VARCHAR
);
CREATE TABLE IF NOT EXISTS mentor_pairings (
    id BIGINT PRIMARY KEY DEFAULT nextval('seq_pairings'),
    mentor_id BIGINT NOT NULL, org_id BIGINT NOT NULL, start_date DATE NOT NULL, end_date DATE, notes VARCHAR,
    created_at TIMESTAMP, created_by VARCHAR, updated_at TIMESTAMP, updated_by VARCHAR
);
CREATE TABLE IF NOT EXISTS mentoring_sessions (
    id BIGINT PRIMARY KEY DEFAULT nextval('seq_msessions'),
    pairing_id BIGINT NOT NULL, session_date DATE NOT NULL, hours DOUBLE NOT NULL, module VARCHAR NOT NULL,
    form VARCHAR NOT NULL, findings VARCHAR,
    created_at TIMESTAMP, created_by VARCHAR, updated_at TIMESTAMP, updated_by VARCHAR
);
CREATE TABLE IF NOT EXISTS mentoring_actions (
    id BIGINT PRIMARY KEY DEFAULT nextval('seq_mactions'),
    session_id BIGINT NOT NULL, action VARCHAR NOT NULL, owner VARCHAR NOT NULL, due_date DATE NOT NULL,
    status VARCHAR NOT NULL DEFAULT 'open', done_date DATE,
    created_at TIMESTAMP, created_by VARCHAR, updated_at TIMESTAMP, updated_by VARCHAR
);
CREATE TABLE IF NOT EXISTS trainings (
    id BIGINT PRIMARY KEY DEFAULT nextval('seq_trainings'),
    title VARCHAR NOT NULL, kind VARCHAR NOT NULL, topic VARCHAR NOT NULL, training_date DATE NOT NULL,
    trainer VARCHAR, partner VARCHAR, capacity INTEGER, place VARCHAR, notes VARCHAR,
    created_at TIMESTAMP, created_by VARCHAR, updated_at TIMESTAMP, updated_by VARCHAR
);
CREATE TABLE IF NOT EXISTS training_attendance (
    id BIGINT PRIMARY KEY DEFAULT nextval('seq_attendance'),
    training_id BIGINT NOT NULL, org_id BIGINT NOT NULL, person VARCHAR NOT NULL, position VARCHAR, phone VARCHAR,
    created_at TIMESTAMP, created_by VARCHAR, updated_at TIMESTAMP, updated_by VARCHAR
);
CREATE TABLE IF NOT EXISTS training_feedback (
    id BIGINT PRIMARY KEY DEFAULT nextval('seq_feedback'),
    attendance_id BIGINT NOT NULL UNIQUE, usefulness INTEGER NOT NULL, clarity INTEGER NOT NULL,
    fit INTEGER NOT NULL, comment VARCHAR,
    created_at TIMESTAMP, created_by VARCHAR, updated_at TIMESTAMP, updated_by VARCHAR
);
CREATE TABLE IF NOT EXISTS assessment_instruments (
    id BIGINT PRIMARY KEY DEFAULT nextval('seq_instruments'),
    version INTEGER NOT NULL UNIQUE, name VARCHAR NOT NULL, note VARCHAR,
    created_at TIMESTAMP, created_by VARCHAR, updated_at TIMESTAMP, updated_by VARCHAR
);
CREATE TABLE IF NOT EXISTS instrument_dimensions (
    id BIGINT PRIMARY KEY DEFAULT nextval('seq_dimensions'),
    instrument_id BIGINT NOT NULL, seq INTEGER NOT NULL, name VARCHAR NOT NULL, weight DOUBLE NOT NULL,
    created_at TIMESTAMP, created_by VARCHAR, updated_at TIMESTAMP, updated_by VARCHAR
);
CREATE TABLE IF NOT EXISTS instrument_indicators (
    id BIGINT PRIMARY KEY DEFAULT nextval('seq_indicators'),
    dimension_id BIGINT NOT NULL, seq INTEGER NOT NULL, name VARCHAR NOT NULL, guidance VARCHAR,
    created_at TIMESTAMP, created_by VARCHAR, updated_at TIMESTAMP, updated_by VARCHAR
);
CREATE TABLE IF NOT EXISTS assessments (
    id BIGINT PRIMARY KEY DEFAULT nextval('seq_assessments'),
    org_id BIGINT NOT NULL, period VARCHAR NOT NULL, instrument_id BIGINT NOT NULL, assessor VARCHAR NOT NULL,
    assessed_on DATE NOT NULL, evidence VARCHAR, total DOUBLE,
    created_at TIMESTAMP, created_by VARCHAR, updated_at TIMESTAMP, updated_by VARCHAR,
    UNIQUE (org_id, period)
);
CREATE TABLE IF NOT EXISTS assessment_scores (
    id BIGINT PRIMARY KEY DEFAULT nextval('seq_ascores'),
    assessment_id BIGINT NOT NULL, indicator_id BIGINT NOT NULL, score INTEGER NOT NULL,
    created_at TIMESTAMP, created_by VARCHAR, updated_at TIMESTAMP, updated_by VARCHAR
);
CREATE TABLE IF NOT EXISTS support_map (
    id BIGINT PRIMARY KEY DEFAULT nextval('seq_supportmap'),
    dimension VARCHAR NOT NULL UNIQUE, modules VARCHAR[], topics VARCHAR[],
    created_at TIMESTAMP, created_by VARCHAR, updated_at TIMESTAMP, updated_by VARCHAR
);
CREATE TABLE IF NOT EXISTS stage_changes (
    id BIGINT PRIMARY KEY DEFAULT nextval('seq_stagechanges'),
    org_id BIGINT NOT NULL, from_stage VARCHAR, to_stage VARCHAR NOT NULL, changed_on DATE NOT NULL,
    reason VARCHAR NOT NULL,
    created_at TIMESTAMP, created_by VARCHAR, updated_at TIMESTAMP, updated_by VARCHAR
);
CREATE TABLE IF NOT EXISTS incubation_decisions (
    id BIGINT PRIMARY KEY DEFAULT nextval('seq_incdecisions'),
    org_id BIGINT NOT NULL, kind VARCHAR NOT NULL, decided_on DATE NOT NULL, criteria_met VARCHAR[],
    note VARCHAR,
    created_at TIMESTAMP, created_by VARCHAR, updated_at TIMESTAMP, updated_by VARCHAR
);
CREATE TABLE IF NOT EXISTS ratings (
    id BIGINT PRIMARY KEY DEFAULT nextval('seq_ratings'),
    org_id BIGINT NOT NULL, level VARCHAR NOT NULL, score DOUBLE NOT NULL, rated_on DATE NOT NULL,
    expires_on DATE NOT NULL, note VARCHAR,
    created_at TIMESTAMP, created_by VARCHAR, updated_at TIMESTAMP, updated_by VARCHAR
);
