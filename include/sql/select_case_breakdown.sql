-- Case figures of the scope at the as-of date (metrics.md, "Cases"): once for the whole scope
-- (dimension 'scope') and broken down by district, source, theme, town, paired unit and
-- responsible unit, one row per (dimension, key), counts only: rates and the median are derived
-- in Python from these counts and from select_resolution_dates.sql. The state is aggregated to a
-- small grain, which is rolled up per dimension (counts: select_case_counts.sql).
-- Parameters: as_of, period_start (first day of the period), due_soon_end (as_of + 7 days),
-- scope (select_case_in_scope.sql; on SQLite as the range district_from .. district_to).
-- The state (select_case_state.sql) is grouped as its two disjoint parts: the current versions
-- (valid_to IS NULL) and the closed versions still covering the date (valid_to > as_of: none at
-- the newest date). ix_case_history_current_state (in the grain's order) and _closed_state (by valid_to): each part is
-- one index range (a district's a short one) and the current versions come in the grain's order
-- (SQLite groups without sorting); the state's OR alone reads every version of the scope, about
-- half of them closed. A group may appear in both parts: the roll-ups below only sum it.
WITH case_state AS NOT MATERIALIZED (
    -- include: select_case_state
),
grain AS MATERIALIZED (
    -- each case of the scope counted once, at the finest grain the breakdowns need (a few tens of
    -- thousands of groups for a million cases)
    SELECT s.district, s.source, s.theme, s.town, s.paired_unit, s.responsible_unit,
           -- include: select_case_counts
      FROM case_state s
     WHERE s.valid_to IS NULL
       AND
           -- include: select_case_in_scope
     GROUP BY s.district, s.source, s.theme, s.town, s.paired_unit, s.responsible_unit
    UNION ALL
    SELECT s.district, s.source, s.theme, s.town, s.paired_unit, s.responsible_unit,
           -- include: select_case_counts
      FROM case_state s
     WHERE
           -- include: select_case_closed_version
       AND
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
