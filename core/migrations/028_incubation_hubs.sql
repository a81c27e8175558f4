-- 028: 孵化与能力建设 and the communities belong to a hub (issue 20). A community is a hub's own (each street keeps
-- its own list; its name stays the key every record that names a community uses: organisations, activities,
-- applications, needs); a training is organised by one hub (core.incubation.scope: a district's or the city's is
-- seen by every hub below it). The other incubation records belong to their organisation's hub, read through it (no
-- column). Every community and training that exists belongs to the default hub (1), as does any row written without
-- a hub; the write path stamps the writer's hub on a new one (Entity.hub_owned).
ALTER TABLE communities ADD COLUMN IF NOT EXISTS hub_id BIGINT DEFAULT 1;
UPDATE communities SET hub_id = 1 WHERE hub_id IS NULL;
ALTER TABLE trainings ADD COLUMN IF NOT EXISTS hub_id BIGINT DEFAULT 1;
UPDATE trainings SET hub_id = 1 WHERE hub_id IS NULL;
