-- 012: 盲评 — the reviewer-facing title of an application (评审用名称), set by staff at 资格审查. Empty: the
-- title is computed on read (category and a number in the round, e.g. 一老一小-07; core.intake.applications).
ALTER TABLE applications ADD COLUMN IF NOT EXISTS blind_title VARCHAR;
