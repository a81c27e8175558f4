-- 016: 合作伙伴 (partners), their contributions and 企业公益认领 (claimable items) — core.resources.partners.
-- need_id names a community need (015_needs, core.resources.needs) as a plain id: core checks it exists.
CREATE SEQUENCE IF NOT EXISTS seq_partners START 1;
CREATE TABLE IF NOT EXISTS partners (
    id BIGINT PRIMARY KEY DEFAULT nextval('seq_partners'), name VARCHAR NOT NULL UNIQUE, kind VARCHAR NOT NULL,
    department VARCHAR, offers VARCHAR[], contact_person VARCHAR, contact_phone VARCHAR, address VARCHAR,
    agreement BOOLEAN DEFAULT FALSE, agreement_start DATE, agreement_end DATE, notes VARCHAR,
    created_at TIMESTAMP NOT NULL DEFAULT current_timestamp, created_by VARCHAR, updated_at TIMESTAMP, updated_by VARCHAR
);
CREATE SEQUENCE IF NOT EXISTS seq_partner_contributions START 1;
CREATE TABLE IF NOT EXISTS partner_contributions (
    id BIGINT PRIMARY KEY DEFAULT nextval('seq_partner_contributions'), partner_id BIGINT NOT NULL,
    contributed_on DATE NOT NULL, kind VARCHAR NOT NULL, amount DECIMAL(14, 2), description VARCHAR,
    estimated_value DECIMAL(14, 2), project_id BIGINT, need_id BIGINT, claim_id BIGINT, notes VARCHAR,
    created_at TIMESTAMP NOT NULL DEFAULT current_timestamp, created_by VARCHAR, updated_at TIMESTAMP, updated_by VARCHAR
);
CREATE SEQUENCE IF NOT EXISTS seq_claim_items START 1;
CREATE TABLE IF NOT EXISTS claim_items (
    id BIGINT PRIMARY KEY DEFAULT nextval('seq_claim_items'), title VARCHAR NOT NULL, kind VARCHAR NOT NULL,
    needed VARCHAR NOT NULL, amount_sought DECIMAL(14, 2), source VARCHAR NOT NULL, idea_id BIGINT,
    project_id BIGINT, need_id BIGINT, published_on DATE NOT NULL,
    status VARCHAR NOT NULL DEFAULT 'open',       -- open 开放认领 | claimed 已认领 | done 已完成 | withdrawn 已撤回
    partner_id BIGINT, claimed_on DATE, pledged_amount DECIMAL(14, 2), pledge_note VARCHAR,
    completed_on DATE, contribution_id BIGINT, status_note VARCHAR,
    created_at TIMESTAMP NOT NULL DEFAULT current_timestamp, created_by VARCHAR, updated_at TIMESTAMP, updated_by VARCHAR
);
