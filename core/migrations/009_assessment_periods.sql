-- 009: 能力评估的评估期 is a choice of defined periods, spelt one way: "2026年上半年", "2026年下半年", "2026年度",
-- "2026年第一季度" (schemas.choices.assessment_periods). Earlier free text such as "2026下半年" or "2026 年 下半年" is
-- rewritten to that spelling, so one period is one cohort (median, trend). A row is left as it was when the
-- organisation already has an assessment under the canonical spelling (the two would collide). Changes data only.
UPDATE assessments AS a SET period = c.canon FROM (
    SELECT id, org_id, canon, row_number() OVER (PARTITION BY org_id, canon ORDER BY id) AS k FROM (
        SELECT id, org_id, CASE
            WHEN regexp_matches(p, '^(19|20)[0-9]{2}年?(年度|全年)$') THEN substr(p, 1, 4) || '年度'
            ELSE regexp_replace(p, '^((19|20)[0-9]{2})年?(上半年|下半年|第[一二三四]季度)$', '\1年\3')
        END AS canon
        FROM (SELECT id, org_id, replace(replace(trim(period), ' ', ''), '　', '') AS p FROM assessments)
    )
) AS c
WHERE c.id = a.id AND c.canon <> a.period AND c.k = 1
  AND NOT EXISTS (SELECT 1 FROM assessments b WHERE b.org_id = a.org_id AND b.period = c.canon);
