-- 019: 服务对象 — the named people projects serve (one row per person, however many projects serve them; an ID
-- number only masked, with a keyed digest to recognise the same person), their enrolment per project, their
-- attendance at ledger activities, and each project's 负责社工 (who may see its people by name)
-- (core.resources.beneficiaries).
CREATE SEQUENCE IF NOT EXISTS seq_beneficiaries START 1;
CREATE TABLE IF NOT EXISTS beneficiaries (
    id BIGINT PRIMARY KEY DEFAULT nextval('seq_beneficiaries'), name VARCHAR NOT NULL, gender VARCHAR,
    birth_year INTEGER, age_group VARCHAR, community VARCHAR NOT NULL, target_group VARCHAR NOT NULL,
    guardian VARCHAR, phone VARCHAR, id_number VARCHAR, id_digest VARCHAR,
    consent BOOLEAN NOT NULL DEFAULT false, consent_date DATE, consent_method VARCHAR, notes VARCHAR,
    created_at TIMESTAMP NOT NULL DEFAULT current_timestamp, created_by VARCHAR, updated_at TIMESTAMP, updated_by VARCHAR
);
CREATE INDEX IF NOT EXISTS idx_beneficiaries_person ON beneficiaries (name, birth_year, community);
CREATE INDEX IF NOT EXISTS idx_beneficiaries_digest ON beneficiaries (id_digest);
CREATE SEQUENCE IF NOT EXISTS seq_beneficiary_enrolments START 1;
CREATE TABLE IF NOT EXISTS beneficiary_enrolments (
    id BIGINT PRIMARY KEY DEFAULT nextval('seq_beneficiary_enrolments'), beneficiary_id BIGINT NOT NULL,
    project_id BIGINT NOT NULL, enrolled_on DATE NOT NULL, ended_on DATE, enrol_notes VARCHAR,
    created_at TIMESTAMP NOT NULL DEFAULT current_timestamp, created_by VARCHAR, updated_at TIMESTAMP, updated_by VARCHAR,
    UNIQUE (beneficiary_id, project_id)
);
CREATE INDEX IF NOT EXISTS idx_beneficiary_enrolments_project ON beneficiary_enrolments (project_id);
CREATE SEQUENCE IF NOT EXISTS seq_beneficiary_attendance START 1;
CREATE TABLE IF NOT EXISTS beneficiary_attendance (
    id BIGINT PRIMARY KEY DEFAULT nextval('seq_beneficiary_attendance'), beneficiary_id BIGINT NOT NULL,
    activity_id BIGINT NOT NULL,
    created_at TIMESTAMP NOT NULL DEFAULT current_timestamp, created_by VARCHAR, updated_at TIMESTAMP, updated_by VARCHAR,
    UNIQUE (beneficiary_id, activity_id)
);
CREATE INDEX IF NOT EXISTS idx_beneficiary_attendance_activity ON beneficiary_attendance (activity_id);
CREATE SEQUENCE IF NOT EXISTS seq_project_staff START 1;
CREATE TABLE IF NOT EXISTS project_staff (
    id BIGINT PRIMARY KEY DEFAULT nextval('seq_project_staff'), project_id BIGINT NOT NULL, username VARCHAR NOT NULL,
    created_at TIMESTAMP NOT NULL DEFAULT current_timestamp, created_by VARCHAR, updated_at TIMESTAMP, updated_by VARCHAR,
    UNIQUE (project_id, username)
);
CREATE INDEX IF NOT EXISTS idx_project_staff_user ON project_staff (username);
