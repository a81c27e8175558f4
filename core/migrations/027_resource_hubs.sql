-- 027: 资源与需求 belong to a hub (issue 20). A hub's own records carry it: its venues and equipment (资源库) and
-- their bookings (a booking is of a venue or of an item of equipment: its hub is its own column), its community
-- needs, its volunteer register, its survey instruments, its register of the people projects serve and its
-- publicity records. What hangs under one reads its hub through its parent (core.resources.*, Entity.hub_via):
-- a need's status changes and links (the need's), a volunteer call, its sign-ups and a project's enrolments and
-- 负责社工 (the project's round's), service hours (the volunteer's), a survey's questions and responses (the
-- survey's), attendance (the person's). Every row that exists belongs to the default hub (1), as does any row
-- written without a hub; the write path stamps the writer's hub on a new one (Entity.hub_owned).
ALTER TABLE venues ADD COLUMN IF NOT EXISTS hub_id BIGINT DEFAULT 1;
UPDATE venues SET hub_id = 1 WHERE hub_id IS NULL;
ALTER TABLE equipment ADD COLUMN IF NOT EXISTS hub_id BIGINT DEFAULT 1;
UPDATE equipment SET hub_id = 1 WHERE hub_id IS NULL;
ALTER TABLE bookings ADD COLUMN IF NOT EXISTS hub_id BIGINT DEFAULT 1;
UPDATE bookings SET hub_id = 1 WHERE hub_id IS NULL;
ALTER TABLE community_needs ADD COLUMN IF NOT EXISTS hub_id BIGINT DEFAULT 1;
UPDATE community_needs SET hub_id = 1 WHERE hub_id IS NULL;
ALTER TABLE volunteers ADD COLUMN IF NOT EXISTS hub_id BIGINT DEFAULT 1;
UPDATE volunteers SET hub_id = 1 WHERE hub_id IS NULL;
ALTER TABLE surveys ADD COLUMN IF NOT EXISTS hub_id BIGINT DEFAULT 1;
UPDATE surveys SET hub_id = 1 WHERE hub_id IS NULL;
ALTER TABLE beneficiaries ADD COLUMN IF NOT EXISTS hub_id BIGINT DEFAULT 1;
UPDATE beneficiaries SET hub_id = 1 WHERE hub_id IS NULL;
ALTER TABLE publicity_items ADD COLUMN IF NOT EXISTS hub_id BIGINT DEFAULT 1;
UPDATE publicity_items SET hub_id = 1 WHERE hub_id IS NULL;
