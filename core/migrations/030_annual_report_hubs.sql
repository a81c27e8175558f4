-- 030: a 年度成效报告's text belongs to a hub (issue 20): each street centre, district and city writes its own year's
-- 年度亮点 / 总结反思 / 发展规划 (core.documents.annual), so a year is unique per hub, not across hubs. Neither engine
-- drops a column's UNIQUE in place the same way (DuckDB cannot), so the table is rebuilt with the same name, ids and
-- sequence; every existing report belongs to the default hub (1), as every record of a single-hub install does.
CREATE TABLE IF NOT EXISTS annual_reports_030 (
    id BIGINT PRIMARY KEY DEFAULT nextval('seq_annual_reports'), hub_id BIGINT NOT NULL DEFAULT 1,
    year INTEGER NOT NULL, highlights VARCHAR, reflection VARCHAR, plans VARCHAR,
    created_at TIMESTAMP NOT NULL DEFAULT current_timestamp, created_by VARCHAR, updated_at TIMESTAMP, updated_by VARCHAR,
    UNIQUE (hub_id, year)
);
INSERT INTO annual_reports_030 (id, hub_id, year, highlights, reflection, plans, created_at, created_by, updated_at,
                                updated_by)
SELECT id, 1, year, highlights, reflection, plans, created_at, created_by, updated_at, updated_by FROM annual_reports;
DROP TABLE annual_reports;
ALTER TABLE annual_reports_030 RENAME TO annual_reports;
