-- 017: 志愿者 — the volunteer register (with consent for personal data), open calls staff publish and their
-- sign-ups, and service records (hours per volunteer per ledger activity) (core.resources.volunteers).
CREATE SEQUENCE IF NOT EXISTS seq_volunteers START 1;
CREATE TABLE IF NOT EXISTS volunteers (
    id BIGINT PRIMARY KEY DEFAULT nextval('seq_volunteers'), name VARCHAR NOT NULL, phone VARCHAR, gender VARCHAR,
    community VARCHAR NOT NULL, skills VARCHAR[], org_id BIGINT, consent BOOLEAN NOT NULL DEFAULT false,
    consent_date DATE, consent_method VARCHAR, notes VARCHAR,
    created_at TIMESTAMP NOT NULL DEFAULT current_timestamp, created_by VARCHAR, updated_at TIMESTAMP, updated_by VARCHAR
);
CREATE SEQUENCE IF NOT EXISTS seq_volunteer_calls START 1;
CREATE TABLE IF NOT EXISTS volunteer_calls (
    id BIGINT PRIMARY KEY DEFAULT nextval('seq_volunteer_calls'), title VARCHAR NOT NULL, project_id BIGINT NOT NULL,
    activity_id BIGINT, call_date DATE NOT NULL, places INTEGER NOT NULL, skills VARCHAR[], status VARCHAR NOT NULL,
    description VARCHAR,
    created_at TIMESTAMP NOT NULL DEFAULT current_timestamp, created_by VARCHAR, updated_at TIMESTAMP, updated_by VARCHAR
);
CREATE SEQUENCE IF NOT EXISTS seq_volunteer_signups START 1;
CREATE TABLE IF NOT EXISTS volunteer_signups (
    id BIGINT PRIMARY KEY DEFAULT nextval('seq_volunteer_signups'), call_id BIGINT NOT NULL,
    volunteer_id BIGINT NOT NULL, signed_on DATE NOT NULL, notes VARCHAR,
    created_at TIMESTAMP NOT NULL DEFAULT current_timestamp, created_by VARCHAR, updated_at TIMESTAMP, updated_by VARCHAR,
    UNIQUE (call_id, volunteer_id)
);
CREATE SEQUENCE IF NOT EXISTS seq_volunteer_services START 1;
CREATE TABLE IF NOT EXISTS volunteer_services (
    id BIGINT PRIMARY KEY DEFAULT nextval('seq_volunteer_services'), volunteer_id BIGINT NOT NULL,
    activity_id BIGINT NOT NULL, hours DOUBLE NOT NULL, role VARCHAR NOT NULL, notes VARCHAR,
    created_at TIMESTAMP NOT NULL DEFAULT current_timestamp, created_by VARCHAR, updated_at TIMESTAMP, updated_by VARCHAR,
    UNIQUE (volunteer_id, activity_id)
);
CREATE INDEX IF NOT EXISTS idx_volunteer_services_activity ON volunteer_services (activity_id);
