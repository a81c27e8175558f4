-- 020: 宣传 — posts on 微信公众号 and media reports (channel, kind, level, title, date, link, reads), each tied to a
-- project and/or a brand; the brand matrix counts them (core.resources.publicity).
CREATE SEQUENCE IF NOT EXISTS seq_publicity_items START 1;
CREATE TABLE IF NOT EXISTS publicity_items (
    id BIGINT PRIMARY KEY DEFAULT nextval('seq_publicity_items'), title VARCHAR NOT NULL, kind VARCHAR NOT NULL,
    channel VARCHAR NOT NULL, level VARCHAR, published_on DATE NOT NULL, link VARCHAR, project_id BIGINT,
    brand_id BIGINT, reads BIGINT, notes VARCHAR,
    created_at TIMESTAMP NOT NULL DEFAULT current_timestamp, created_by VARCHAR, updated_at TIMESTAMP, updated_by VARCHAR
);
CREATE INDEX IF NOT EXISTS idx_publicity_items_brand ON publicity_items (brand_id);
CREATE INDEX IF NOT EXISTS idx_publicity_items_project ON publicity_items (project_id);
