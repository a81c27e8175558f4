-- 014: 资源库 — equipment (设备), bookings of a venue or equipment by an organisation (core.resources.bookings),
-- the venues' structured weekly open hours (for utilisation) and the venue an activity used.
ALTER TABLE venues ADD COLUMN IF NOT EXISTS open_days VARCHAR[];
ALTER TABLE venues ADD COLUMN IF NOT EXISTS open_from VARCHAR;
ALTER TABLE venues ADD COLUMN IF NOT EXISTS open_to VARCHAR;
ALTER TABLE activities ADD COLUMN IF NOT EXISTS venue_id BIGINT;
CREATE SEQUENCE IF NOT EXISTS seq_equipment START 1;
CREATE TABLE IF NOT EXISTS equipment (
    id BIGINT PRIMARY KEY DEFAULT nextval('seq_equipment'), name VARCHAR NOT NULL UNIQUE, kind VARCHAR NOT NULL,
    quantity INTEGER NOT NULL, community VARCHAR NOT NULL, owner VARCHAR NOT NULL, kept_at VARCHAR NOT NULL,
    notes VARCHAR,
    created_at TIMESTAMP NOT NULL DEFAULT current_timestamp, created_by VARCHAR, updated_at TIMESTAMP, updated_by VARCHAR
);
CREATE SEQUENCE IF NOT EXISTS seq_bookings START 1;
CREATE TABLE IF NOT EXISTS bookings (
    id BIGINT PRIMARY KEY DEFAULT nextval('seq_bookings'), venue_id BIGINT, equipment_id BIGINT,
    quantity INTEGER NOT NULL DEFAULT 1, org_id BIGINT NOT NULL, contact_person VARCHAR NOT NULL,
    contact_phone VARCHAR, purpose VARCHAR NOT NULL, booking_date DATE NOT NULL, start_time VARCHAR NOT NULL,
    end_time VARCHAR NOT NULL, expected_people INTEGER, project_id BIGINT, activity_id BIGINT,
    state VARCHAR NOT NULL DEFAULT 'pending', reason VARCHAR, decided_by VARCHAR, decided_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL DEFAULT current_timestamp, created_by VARCHAR, updated_at TIMESTAMP, updated_by VARCHAR
);
CREATE INDEX IF NOT EXISTS idx_bookings_day ON bookings (booking_date);
