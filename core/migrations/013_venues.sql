-- 013: 场地 — the subdistrict's and communities' venues that organisations can use (core.orgs.venues).
CREATE SEQUENCE IF NOT EXISTS seq_venues START 1;
CREATE TABLE IF NOT EXISTS venues (
    id BIGINT PRIMARY KEY DEFAULT nextval('seq_venues'), name VARCHAR NOT NULL UNIQUE, address VARCHAR NOT NULL,
    capacity INTEGER NOT NULL, community VARCHAR NOT NULL, facilities VARCHAR, opening_hours VARCHAR,
    owner VARCHAR NOT NULL, contact_person VARCHAR, contact_phone VARCHAR, notes VARCHAR,
    created_at TIMESTAMP NOT NULL DEFAULT current_timestamp, created_by VARCHAR, updated_at TIMESTAMP, updated_by VARCHAR
);
