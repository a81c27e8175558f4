-- 024: 枢纽网络 — hubs form a tree (市 → 区 → 街道; core.orgs.hubs), and every account and every hub-owned record
-- belongs to one hub. An upgraded database (one with accounts or organisations) gets one street hub here, 本中心,
-- without a parent: hub 1 (the table is new, its sequence starts at 1; core.platform.actor.DEFAULT_HUB), and every
-- account and organisation that exists belongs to it, as does any row written without a hub: a single-hub install
-- works as before. A new database gets the same hub at its first start (core.app, core.orgs.hubs.ensure_default), not
-- here: a database fresh from the migrations stays empty, as a Parquet import needs it (core.platform.export).
CREATE SEQUENCE IF NOT EXISTS seq_hubs START 1;
CREATE TABLE IF NOT EXISTS hubs (
    id BIGINT PRIMARY KEY DEFAULT nextval('seq_hubs'), name VARCHAR NOT NULL UNIQUE, level VARCHAR NOT NULL,
    parent_id BIGINT, region_code VARCHAR, address VARCHAR, contact VARCHAR,
    created_at TIMESTAMP NOT NULL DEFAULT current_timestamp, created_by VARCHAR, updated_at TIMESTAMP, updated_by VARCHAR
);
INSERT INTO hubs (name, level, created_by) SELECT '本中心', '街道', 'system'
    WHERE NOT EXISTS (SELECT 1 FROM hubs)
      AND (EXISTS (SELECT 1 FROM users) OR EXISTS (SELECT 1 FROM organisations));
ALTER TABLE users ADD COLUMN IF NOT EXISTS hub_id BIGINT DEFAULT 1;
UPDATE users SET hub_id = 1 WHERE hub_id IS NULL;
ALTER TABLE organisations ADD COLUMN IF NOT EXISTS hub_id BIGINT DEFAULT 1;
UPDATE organisations SET hub_id = 1 WHERE hub_id IS NULL;
