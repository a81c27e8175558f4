-- 025: the 公益创投 chain belongs to a hub (issue 20). A round (创投批次) is a hub's own record, as an organisation is
-- (024): its applications, screening, review, decisions, projects and their ledgers belong to the round's hub
-- (core.intake.scope), and it takes applications only from organisations of that hub. An idea (金点子) carries its
-- hub too (an idea may come before any round). Every round and idea that exists belongs to the default hub (1), as
-- does any row written without a hub; the write path stamps the writer's hub on a new one (Entity.hub_owned).
ALTER TABLE rounds ADD COLUMN IF NOT EXISTS hub_id BIGINT DEFAULT 1;
UPDATE rounds SET hub_id = 1 WHERE hub_id IS NULL;
ALTER TABLE ideas ADD COLUMN IF NOT EXISTS hub_id BIGINT DEFAULT 1;
UPDATE ideas SET hub_id = 1 WHERE hub_id IS NULL;
