-- Case figures of the scope at the as-of date (metrics.md, "Cases"): once for the whole scope
-- (dimension 'scope') and broken down by district, source, theme, town, paired unit and
-- responsible unit, one row per (dimension, key), counts only: rates and the median are derived
-- in Python from these counts and from select_resolution_dates.sql. The state is read once; two
-- small grains aggregate it and are rolled up per dimension. A responsible unit or person is
-- present when not NULL and not empty (the merge stores trimmed text, an empty cell as NULL).
-- Parameters: as_of, period_start (first day of the period), due_soon_end (as_of + 7 days),
-- scope ('全市' or a district name).
WITH case_state AS NOT MATERIALIZED (
    -- include: select_case_state
),
scoped AS MATERIALIZED (
    -- each case of the scope once, with what it counts for (1 or 0) in every figure; stage is
    -- the status as a number (0 未启动, 1 推进中, 2 取得实质性进展, 3 已办结, -1 anything else:
    -- open, in no status figure; none when the status is missing, as in the other queries)
    SELECT district, source, theme, town, paired_unit, responsible_unit,
           CASE WHEN stage = 0 THEN 1 ELSE 0 END AS not_started,
           CASE WHEN stage IN (1, 2) THEN 1 ELSE 0 END AS in_progress,
           CASE WHEN stage IN (2, 3) THEN 1 ELSE 0 END AS substantive,
           CASE WHEN stage = 3 THEN 1 ELSE 0 END AS resolved,
           CASE WHEN stage < 3 AND deadline < :as_of THEN 1 ELSE 0 END AS overdue,
           CASE WHEN stage < 3 AND deadline >= :as_of AND deadline <= :due_soon_end THEN 1 ELSE 0 END AS due_soon,
           CASE WHEN stage < 3 THEN 1 ELSE 0 END AS open_cases,
           CASE WHEN stage < 3 AND has_owner = 1 THEN 1 ELSE 0 END AS accountable,
           CASE WHEN stage < 2 AND has_owner = 1 THEN 1 ELSE 0 END AS others_accountable,
           CASE WHEN reported_on >= :period_start AND reported_on <= :as_of THEN 1 ELSE 0 END AS new_in_period,
           CASE WHEN stage = 3 AND resolved_on >= :period_start AND resolved_on <= :as_of
                THEN 1 ELSE 0 END AS resolved_in_period
      FROM (SELECT s.district, s.source, s.theme, s.town, s.paired_unit, s.responsible_unit, s.reported_on,
                   s.deadline, s.resolved_on,
                   CASE WHEN s.status = '未启动' THEN 0 WHEN s.status = '推进中' THEN 1
                        WHEN s.status = '取得实质性进展' THEN 2 WHEN s.status = '已办结' THEN 3
                        WHEN s.status IS NOT NULL THEN -1 END AS stage,
                   CASE WHEN s.responsible_unit <> '' AND s.responsible_person <> '' AND s.deadline IS NOT NULL
                        THEN 1 ELSE 0 END AS has_owner
              FROM case_state s
             WHERE (:scope = '全市' OR s.district = :scope)) staged
),
by_district_source_theme AS (
    SELECT district, source, theme,
           count(*) AS total, sum(not_started) AS not_started, sum(in_progress) AS in_progress,
           sum(substantive) AS substantive, sum(resolved) AS resolved, sum(overdue) AS overdue,
           sum(due_soon) AS due_soon, sum(open_cases) AS open_cases, sum(accountable) AS accountable,
           sum(others_accountable) AS others_accountable, sum(new_in_period) AS new_in_period,
           sum(resolved_in_period) AS resolved_in_period
      FROM scoped
     GROUP BY district, source, theme
),
by_town_unit AS (
    SELECT town, paired_unit, responsible_unit,
           count(*) AS total, sum(not_started) AS not_started, sum(in_progress) AS in_progress,
           sum(substantive) AS substantive, sum(resolved) AS resolved, sum(overdue) AS overdue,
           sum(due_soon) AS due_soon, sum(open_cases) AS open_cases, sum(accountable) AS accountable,
           sum(others_accountable) AS others_accountable, sum(new_in_period) AS new_in_period,
           sum(resolved_in_period) AS resolved_in_period
      FROM scoped
     GROUP BY town, paired_unit, responsible_unit
)
SELECT 'scope' AS dimension, NULL AS key,
       sum(total) AS total, sum(not_started) AS not_started, sum(in_progress) AS in_progress,
       sum(substantive) AS substantive, sum(resolved) AS resolved, sum(overdue) AS overdue,
       sum(due_soon) AS due_soon, sum(open_cases) AS open_cases, sum(accountable) AS accountable,
       sum(others_accountable) AS others_accountable, sum(new_in_period) AS new_in_period,
       sum(resolved_in_period) AS resolved_in_period
  FROM by_district_source_theme
UNION ALL
SELECT 'district', district, sum(total), sum(not_started), sum(in_progress), sum(substantive), sum(resolved),
       sum(overdue), sum(due_soon), sum(open_cases), sum(accountable), sum(others_accountable),
       sum(new_in_period), sum(resolved_in_period)
  FROM by_district_source_theme GROUP BY district
UNION ALL
SELECT 'source', source, sum(total), sum(not_started), sum(in_progress), sum(substantive), sum(resolved),
       sum(overdue), sum(due_soon), sum(open_cases), sum(accountable), sum(others_accountable),
       sum(new_in_period), sum(resolved_in_period)
  FROM by_district_source_theme GROUP BY source
UNION ALL
SELECT 'theme', theme, sum(total), sum(not_started), sum(in_progress), sum(substantive), sum(resolved),
       sum(overdue), sum(due_soon), sum(open_cases), sum(accountable), sum(others_accountable),
       sum(new_in_period), sum(resolved_in_period)
  FROM by_district_source_theme GROUP BY theme
UNION ALL
SELECT 'town', town, sum(total), sum(not_started), sum(in_progress), sum(substantive), sum(resolved),
       sum(overdue), sum(due_soon), sum(open_cases), sum(accountable), sum(others_accountable),
       sum(new_in_period), sum(resolved_in_period)
  FROM by_town_unit GROUP BY town
UNION ALL
SELECT 'paired_unit', paired_unit, sum(total), sum(not_started), sum(in_progress), sum(substantive), sum(resolved),
       sum(overdue), sum(due_soon), sum(open_cases), sum(accountable), sum(others_accountable),
       sum(new_in_period), sum(resolved_in_period)
  FROM by_town_unit GROUP BY paired_unit
UNION ALL
SELECT 'responsible_unit', responsible_unit, sum(total), sum(not_started), sum(in_progress), sum(substantive), sum(resolved),
       sum(overdue), sum(due_soon), sum(open_cases), sum(accountable), sum(others_accountable),
       sum(new_in_period), sum(resolved_in_period)
  FROM by_town_unit GROUP BY responsible_unit
