-- 022: 年度成效报告 — what staff write into a year's report beside the figures (core.documents.annual).
CREATE SEQUENCE IF NOT EXISTS seq_annual_reports START 1;
CREATE TABLE IF NOT EXISTS annual_reports (
    id BIGINT PRIMARY KEY DEFAULT nextval('seq_annual_reports'), year INTEGER NOT NULL UNIQUE,
    highlights VARCHAR, reflection VARCHAR, plans VARCHAR,
    created_at TIMESTAMP NOT NULL DEFAULT current_timestamp, created_by VARCHAR, updated_at TIMESTAMP, updated_by VARCHAR
);
