-- Resolved cases of the scope at as_of, counted by district, reported_on and resolved_on: the
-- median days to resolve (overall and per district) is taken from these counts in Python, since
-- date differences and medians are not portable SQL. Parameters: as_of, scope.
WITH case_state AS NOT MATERIALIZED (
    -- include: select_case_state
)
SELECT s.district, s.reported_on, s.resolved_on, count(*) AS cases
  FROM case_state s
 WHERE (:scope = '全市' OR s.district = :scope)
   AND s.status = '已办结' AND s.reported_on IS NOT NULL AND s.resolved_on IS NOT NULL
 GROUP BY s.district, s.reported_on, s.resolved_on
