-- Resolved cases of the scope at as_of, counted by district and whole days from reported_on to
-- resolved_on: the median days to resolve (overall and per district) is taken from these counts in
-- Python, since medians are not portable SQL. A few hundred rows per district, whatever the number
-- of cases (the date difference is each database's own, include/sql/select_days_to_resolve.*.sql).
-- Parameters: as_of, scope (select_case_in_scope.sql; on SQLite as district_from .. district_to).
WITH case_state AS NOT MATERIALIZED (
    -- include: select_case_state
),
resolved AS (
    SELECT s.district,
           -- include: select_days_to_resolve
           AS days
      FROM case_state s
     WHERE
           -- include: select_case_in_scope
       AND s.status = '已办结' AND s.reported_on IS NOT NULL AND s.resolved_on IS NOT NULL
)
SELECT r.district, r.days, count(*) AS cases
  FROM resolved r
 GROUP BY r.district, r.days
