-- 015: 需求 — community needs from 需求调研, their status over time and the ideas, applications and projects that
-- answer them (core.resources.needs; the 需求动态跟踪 view).
CREATE SEQUENCE IF NOT EXISTS seq_community_needs START 1;
CREATE TABLE IF NOT EXISTS community_needs (
    id BIGINT PRIMARY KEY DEFAULT nextval('seq_community_needs'), title VARCHAR NOT NULL, description VARCHAR,
    community VARCHAR NOT NULL, target_group VARCHAR NOT NULL, source VARCHAR NOT NULL, surveyed_on DATE NOT NULL,
    urgency VARCHAR NOT NULL, residents INTEGER, recorded_by VARCHAR NOT NULL,
    status VARCHAR NOT NULL DEFAULT '登记', status_on DATE,
    created_at TIMESTAMP NOT NULL DEFAULT current_timestamp, created_by VARCHAR, updated_at TIMESTAMP, updated_by VARCHAR
);
CREATE SEQUENCE IF NOT EXISTS seq_need_events START 1;
CREATE TABLE IF NOT EXISTS need_events (
    id BIGINT PRIMARY KEY DEFAULT nextval('seq_need_events'), need_id BIGINT NOT NULL, from_status VARCHAR,
    to_status VARCHAR NOT NULL, changed_on DATE NOT NULL, note VARCHAR NOT NULL,
    created_at TIMESTAMP NOT NULL DEFAULT current_timestamp, created_by VARCHAR, updated_at TIMESTAMP, updated_by VARCHAR
);
CREATE SEQUENCE IF NOT EXISTS seq_need_links START 1;
CREATE TABLE IF NOT EXISTS need_links (
    id BIGINT PRIMARY KEY DEFAULT nextval('seq_need_links'), need_id BIGINT NOT NULL, kind VARCHAR NOT NULL,
    target_id BIGINT NOT NULL, note VARCHAR,
    created_at TIMESTAMP NOT NULL DEFAULT current_timestamp, created_by VARCHAR, updated_at TIMESTAMP, updated_by VARCHAR,
    UNIQUE (need_id, kind, target_id)
);
CREATE INDEX IF NOT EXISTS idx_need_events_need ON need_events (need_id);
CREATE INDEX IF NOT EXISTS idx_need_links_target ON need_links (kind, target_id);
