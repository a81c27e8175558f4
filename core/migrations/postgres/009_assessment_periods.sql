-- 009 for PostgreSQL (core/migrations/009_assessment_periods.sql): the same rewrite; PostgreSQL 15 wants an alias
-- for every subquery in FROM (p, s below), which DuckDB does not.
UPDATE assessments AS a SET period = c.canon FROM (
    SELECT id, org_id, canon, row_number() OVER (PARTITION BY org_id, canon ORDER BY id) AS k FROM (
        SELECT id, org_id, CASE
            WHEN regexp_matches(p, '^(19|20)[0-9]{2}年?(年度|全年)$') THEN substr(p, 1, 4) || '年度'
            ELSE regexp_replace(p, '^((19|20)[0-9]{2})年?(上半年|下半年|第[一二三四]季度)$', '\1年\3')
        END AS canon
        FROM (SELECT id, org_id, replace(replace(trim(period), ' ', ''), '　', '') AS p FROM assessments) AS p
    ) AS s
) AS c
WHERE c.id = a.id AND c.canon <> a.period AND c.k = 1
  AND NOT EXISTS (SELECT 1 FROM assessments b WHERE b.org_id = a.org_id AND b.period = c.canon);
