-- 032: a 品牌 (brand) is a hub's own (issue 20): 下沙's 1516便民服务 and 青葵伙伴 are 下沙's, with their service points
-- (which read their hub through their brand). Every brand that exists belongs to the default hub (1), as does any row
-- written without a hub; the write path stamps the writer's hub on a new one (Entity.hub_owned). A brand's name stays
-- unique across hubs (the public name a resident meets: two centres do not run two brands of one name).
ALTER TABLE brands ADD COLUMN IF NOT EXISTS hub_id BIGINT DEFAULT 1;
UPDATE brands SET hub_id = 1 WHERE hub_id IS NULL;
