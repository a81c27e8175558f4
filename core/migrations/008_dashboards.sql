-- 008: 领导驾驶舱 — professional organisations brought in from elsewhere (引进专业社会组织): the day an
-- organisation registered or working elsewhere was brought into the area; empty for locally grown ones.
-- Adds only.
ALTER TABLE organisations ADD COLUMN IF NOT EXISTS brought_in_on DATE;
