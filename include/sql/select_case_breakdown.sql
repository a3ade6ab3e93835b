-- Case figures of the scope at the as-of date (metrics.md, "Cases"): once for the whole scope
-- (dimension 'scope') and broken down by district, source, theme, town, paired unit and
-- responsible unit, one row per (dimension, key), counts only: rates and the median are derived
-- in Python from these counts and from select_resolution_dates.sql. The state is read once, in
-- one aggregation to a small grain, which is rolled up per dimension. A responsible unit or person is
-- present when not NULL and not empty (the merge stores trimmed text, an empty cell as NULL).
-- Parameters: as_of, period_start (first day of the period), due_soon_end (as_of + 7 days),
-- scope (select_case_in_scope.sql; on SQLite as the range district_from .. district_to).
WITH case_state AS NOT MATERIALIZED (
    -- include: select_case_state
),
grain AS MATERIALIZED (
    -- each case of the scope counted once, in one pass, at the finest grain the breakdowns need
    -- (a few tens of thousands of groups for a million cases). A status outside the four counts
    -- as open and in no status figure; a missing one in none, as in the other queries.
    SELECT s.district, s.source, s.theme, s.town, s.paired_unit, s.responsible_unit,
           count(*) AS total,
           count(*) FILTER (WHERE s.status = '未启动') AS not_started,
           count(*) FILTER (WHERE s.status IN ('推进中', '取得实质性进展')) AS in_progress,
           count(*) FILTER (WHERE s.status IN ('取得实质性进展', '已办结')) AS substantive,
           count(*) FILTER (WHERE s.status = '已办结') AS resolved,
           count(*) FILTER (WHERE s.status <> '已办结' AND s.deadline < :as_of) AS overdue,
           count(*) FILTER (WHERE s.status <> '已办结' AND s.deadline >= :as_of
                              AND s.deadline <= :due_soon_end) AS due_soon,
           count(*) FILTER (WHERE s.status <> '已办结') AS open_cases,
           count(*) FILTER (WHERE s.status <> '已办结' AND s.responsible_unit <> ''
                              AND s.responsible_person <> '' AND s.deadline IS NOT NULL) AS accountable,
           count(*) FILTER (WHERE s.status NOT IN ('取得实质性进展', '已办结') AND s.responsible_unit <> ''
                              AND s.responsible_person <> '' AND s.deadline IS NOT NULL) AS others_accountable,
           count(*) FILTER (WHERE s.reported_on >= :period_start AND s.reported_on <= :as_of) AS new_in_period,
           count(*) FILTER (WHERE s.status = '已办结' AND s.resolved_on >= :period_start
                              AND s.resolved_on <= :as_of) AS resolved_in_period
      FROM case_state s
     WHERE
           -- include: select_case_in_scope
     GROUP BY s.district, s.source, s.theme, s.town, s.paired_unit, s.responsible_unit
)
SELECT 'scope' AS dimension, NULL AS key,
       sum(total) AS total, sum(not_started) AS not_started, sum(in_progress) AS in_progress,
       sum(substantive) AS substantive, sum(resolved) AS resolved, sum(overdue) AS overdue,
       sum(due_soon) AS due_soon, sum(open_cases) AS open_cases, sum(accountable) AS accountable,
       sum(others_accountable) AS others_accountable, sum(new_in_period) AS new_in_period,
       sum(resolved_in_period) AS resolved_in_period
  FROM grain
UNION ALL
SELECT 'district', district,
       sum(total) AS total, sum(not_started) AS not_started, sum(in_progress) AS in_progress,
       sum(substantive) AS substantive, sum(resolved) AS resolved, sum(overdue) AS overdue,
       sum(due_soon) AS due_soon, sum(open_cases) AS open_cases, sum(accountable) AS accountable,
       sum(others_accountable) AS others_accountable, sum(new_in_period) AS new_in_period,
       sum(resolved_in_period) AS resolved_in_period
  FROM grain GROUP BY district
UNION ALL
SELECT 'source', source,
       sum(total) AS total, sum(not_started) AS not_started, sum(in_progress) AS in_progress,
       sum(substantive) AS substantive, sum(resolved) AS resolved, sum(overdue) AS overdue,
       sum(due_soon) AS due_soon, sum(open_cases) AS open_cases, sum(accountable) AS accountable,
       sum(others_accountable) AS others_accountable, sum(new_in_period) AS new_in_period,
       sum(resolved_in_period) AS resolved_in_period
  FROM grain GROUP BY source
UNION ALL
SELECT 'theme', theme,
       sum(total) AS total, sum(not_started) AS not_started, sum(in_progress) AS in_progress,
       sum(substantive) AS substantive, sum(resolved) AS resolved, sum(overdue) AS overdue,
       sum(due_soon) AS due_soon, sum(open_cases) AS open_cases, sum(accountable) AS accountable,
       sum(others_accountable) AS others_accountable, sum(new_in_period) AS new_in_period,
       sum(resolved_in_period) AS resolved_in_period
  FROM grain GROUP BY theme
UNION ALL
SELECT 'town', town,
       sum(total) AS total, sum(not_started) AS not_started, sum(in_progress) AS in_progress,
       sum(substantive) AS substantive, sum(resolved) AS resolved, sum(overdue) AS overdue,
       sum(due_soon) AS due_soon, sum(open_cases) AS open_cases, sum(accountable) AS accountable,
       sum(others_accountable) AS others_accountable, sum(new_in_period) AS new_in_period,
       sum(resolved_in_period) AS resolved_in_period
  FROM grain GROUP BY town
UNION ALL
SELECT 'paired_unit', paired_unit,
       sum(total) AS total, sum(not_started) AS not_started, sum(in_progress) AS in_progress,
       sum(substantive) AS substantive, sum(resolved) AS resolved, sum(overdue) AS overdue,
       sum(due_soon) AS due_soon, sum(open_cases) AS open_cases, sum(accountable) AS accountable,
       sum(others_accountable) AS others_accountable, sum(new_in_period) AS new_in_period,
       sum(resolved_in_period) AS resolved_in_period
  FROM grain GROUP BY paired_unit
UNION ALL
SELECT 'responsible_unit', responsible_unit,
       sum(total) AS total, sum(not_started) AS not_started, sum(in_progress) AS in_progress,
       sum(substantive) AS substantive, sum(resolved) AS resolved, sum(overdue) AS overdue,
       sum(due_soon) AS due_soon, sum(open_cases) AS open_cases, sum(accountable) AS accountable,
       sum(others_accountable) AS others_accountable, sum(new_in_period) AS new_in_period,
       sum(resolved_in_period) AS resolved_in_period
  FROM grain GROUP BY responsible_unit
