-- 029: shared registries and a round's name per hub (issue 20).
-- 1. A round's name (创投批次名称) is unique within its hub, not across hubs: 下沙 and 白杨 may both run
--    「2026年度公益创投」. Neither engine drops a column's UNIQUE in place the same way (DuckDB cannot), so the table is
--    rebuilt under its own name with the same columns, ids and sequence and UNIQUE (hub_id, name) (as 030 does for the
--    annual reports); the write path says the same in Chinese first (core.intake.rounds, Unique within the hub).
-- 2. 合作伙伴 belong to a hub: a partner registered by a district or the city is seen by every hub below it, a street's
--    own by that street (core.resources.partners). A contribution and a claimable item (企业公益认领) belong to the hub
--    that records them: a claim to the hub of the claimed record. Every row that exists belongs to the default hub (1),
--    the case study's, so its figures stay exactly as they were; a district moves a partner up by editing it there.
-- Experts need no column: an expert is an account (users.hub_id, 024) and their profile is keyed by the account.
CREATE TABLE IF NOT EXISTS rounds_029 (
    id                     BIGINT PRIMARY KEY DEFAULT nextval('seq_rounds'),
    year                   INTEGER NOT NULL,
    name                   VARCHAR NOT NULL,
    total_budget           DECIMAL(14, 2) NOT NULL,
    project_ceiling        DECIMAL(14, 2) NOT NULL,
    max_apps_per_org       INTEGER NOT NULL DEFAULT 1,
    categories             VARCHAR[] NOT NULL,
    checklist              VARCHAR[] NOT NULL,
    ideas_start            DATE,
    ideas_end              DATE,
    apply_start            DATE NOT NULL,
    apply_end              DATE NOT NULL,
    screening_end          DATE NOT NULL,
    review_start           DATE NOT NULL,
    review_end             DATE NOT NULL,
    notice_start           DATE NOT NULL,
    notice_end             DATE NOT NULL,
    project_start          DATE NOT NULL,
    project_end            DATE NOT NULL,
    reviewers_per_app      INTEGER NOT NULL DEFAULT 5,
    trimmed_mean           BOOLEAN NOT NULL DEFAULT TRUE,
    discrepancy_threshold  DOUBLE NOT NULL DEFAULT 20,
    blind_review           BOOLEAN NOT NULL DEFAULT FALSE,
    half_points            BOOLEAN NOT NULL DEFAULT FALSE,
    notice_published_at    TIMESTAMP,
    notes                  VARCHAR,
    created_at             TIMESTAMP NOT NULL DEFAULT current_timestamp,
    created_by             VARCHAR,
    updated_at             TIMESTAMP,
    updated_by             VARCHAR,
    rubric_total           DOUBLE DEFAULT 100,
    load_cap               INTEGER DEFAULT 12,
    scores_locked_at       TIMESTAMP,
    scores_locked_by       VARCHAR,
    hub_id                 BIGINT DEFAULT 1,
    UNIQUE (hub_id, name)
);
INSERT INTO rounds_029 (id, year, name, total_budget, project_ceiling, max_apps_per_org, categories, checklist,
                        ideas_start, ideas_end, apply_start, apply_end, screening_end, review_start, review_end,
                        notice_start, notice_end, project_start, project_end, reviewers_per_app, trimmed_mean,
                        discrepancy_threshold, blind_review, half_points, notice_published_at, notes, created_at,
                        created_by, updated_at, updated_by, rubric_total, load_cap, scores_locked_at, scores_locked_by,
                        hub_id)
SELECT id, year, name, total_budget, project_ceiling, max_apps_per_org, categories, checklist, ideas_start, ideas_end,
       apply_start, apply_end, screening_end, review_start, review_end, notice_start, notice_end, project_start,
       project_end, reviewers_per_app, trimmed_mean, discrepancy_threshold, blind_review, half_points,
       notice_published_at, notes, created_at, created_by, updated_at, updated_by, rubric_total, load_cap,
       scores_locked_at, scores_locked_by, coalesce(hub_id, 1) FROM rounds;
DROP TABLE rounds;
ALTER TABLE rounds_029 RENAME TO rounds;
ALTER TABLE partners ADD COLUMN IF NOT EXISTS hub_id BIGINT DEFAULT 1;
UPDATE partners SET hub_id = 1 WHERE hub_id IS NULL;
ALTER TABLE partner_contributions ADD COLUMN IF NOT EXISTS hub_id BIGINT DEFAULT 1;
UPDATE partner_contributions SET hub_id = 1 WHERE hub_id IS NULL;
ALTER TABLE claim_items ADD COLUMN IF NOT EXISTS hub_id BIGINT DEFAULT 1;
UPDATE claim_items SET hub_id = 1 WHERE hub_id IS NULL;
