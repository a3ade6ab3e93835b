-- Case figures of the scope at the as-of date (metrics.md, "Cases"): once for the whole scope
-- (dimension 'scope') and broken down by district, source, theme, town, paired unit and
-- responsible unit, one row per (dimension, key), counts only: rates and the median are derived
-- in Python from these counts and from select_resolution_dates.sql. Two small grains, each
-- aggregated once from the cases' state and rolled up per dimension, keep it to two passes.
-- A responsible unit or person is present when not NULL and not empty (the merge stores trimmed
-- text, an empty cell as NULL). Parameters: as_of, period_start (first day of the period), due_soon_end (as_of + 7 days),
-- scope ('全市' or a district name).
WITH case_state AS NOT MATERIALIZED (
    -- case_state: begin (the same text in every query that reads the cases' state)
    -- A case's state at the as-of date is its case_history row with the greatest as_of on or
    -- before that date (ties: the greatest submission_id). `cases` holds exactly the newest row
    -- of every case, so it is the state whenever cases.as_of is on or before the date; only the
    -- cases changed after it are looked up in case_history. Cases first listed later are absent.
    SELECT c.district, c.case_id, c.title, c.source, c.theme, c.town, c.paired_unit,
           c.responsible_unit, c.responsible_person, c.lead_leader, c.reported_on, c.deadline,
           c.status, c.resolved_on, c.as_of, c.submission_id
      FROM cases c
     WHERE c.as_of <= :as_of
    UNION ALL
    SELECT h.district, h.case_id, h.title, h.source, h.theme, h.town, h.paired_unit,
           h.responsible_unit, h.responsible_person, h.lead_leader, h.reported_on, h.deadline,
           h.status, h.resolved_on, h.as_of, h.submission_id
      FROM case_history h
     WHERE h.as_of <= :as_of
       AND EXISTS (SELECT 1 FROM cases c
                    WHERE c.district = h.district AND c.case_id = h.case_id AND c.as_of > :as_of)
       AND NOT EXISTS (SELECT 1 FROM case_history n
                        WHERE n.district = h.district AND n.case_id = h.case_id AND n.as_of <= :as_of
                          AND (n.as_of > h.as_of
                               OR (n.as_of = h.as_of AND n.submission_id > h.submission_id)))
    -- case_state: end
),
scoped AS MATERIALIZED (
    SELECT s.* FROM case_state s WHERE (:scope = '全市' OR s.district = :scope)
),
by_district_source_theme AS (
    SELECT s.district, s.source, s.theme,
           count(*) AS total,
           sum(CASE WHEN s.status = '未启动' THEN 1 ELSE 0 END) AS not_started,
           sum(CASE WHEN s.status IN ('推进中', '取得实质性进展') THEN 1 ELSE 0 END) AS in_progress,
           sum(CASE WHEN s.status IN ('取得实质性进展', '已办结') THEN 1 ELSE 0 END) AS substantive,
           sum(CASE WHEN s.status = '已办结' THEN 1 ELSE 0 END) AS resolved,
           sum(CASE WHEN s.status <> '已办结' AND s.deadline < :as_of THEN 1 ELSE 0 END) AS overdue,
           sum(CASE WHEN s.status <> '已办结' AND s.deadline >= :as_of AND s.deadline <= :due_soon_end
                    THEN 1 ELSE 0 END) AS due_soon,
           sum(CASE WHEN s.status <> '已办结' THEN 1 ELSE 0 END) AS open_cases,
           sum(CASE WHEN s.status <> '已办结'
                     AND s.responsible_unit <> ''
                     AND s.responsible_person <> ''
                     AND s.deadline IS NOT NULL THEN 1 ELSE 0 END) AS accountable,
           sum(CASE WHEN s.status NOT IN ('取得实质性进展', '已办结')
                     AND s.responsible_unit <> ''
                     AND s.responsible_person <> ''
                     AND s.deadline IS NOT NULL THEN 1 ELSE 0 END) AS others_accountable,
           sum(CASE WHEN s.reported_on >= :period_start AND s.reported_on <= :as_of
                    THEN 1 ELSE 0 END) AS new_in_period,
           sum(CASE WHEN s.status = '已办结' AND s.resolved_on >= :period_start AND s.resolved_on <= :as_of
                    THEN 1 ELSE 0 END) AS resolved_in_period
      FROM scoped s
     GROUP BY s.district, s.source, s.theme
),
by_town_unit AS (
    SELECT s.town, s.paired_unit, s.responsible_unit,
           count(*) AS total,
           sum(CASE WHEN s.status = '未启动' THEN 1 ELSE 0 END) AS not_started,
           sum(CASE WHEN s.status IN ('推进中', '取得实质性进展') THEN 1 ELSE 0 END) AS in_progress,
           sum(CASE WHEN s.status IN ('取得实质性进展', '已办结') THEN 1 ELSE 0 END) AS substantive,
           sum(CASE WHEN s.status = '已办结' THEN 1 ELSE 0 END) AS resolved,
           sum(CASE WHEN s.status <> '已办结' AND s.deadline < :as_of THEN 1 ELSE 0 END) AS overdue,
           sum(CASE WHEN s.status <> '已办结' AND s.deadline >= :as_of AND s.deadline <= :due_soon_end
                    THEN 1 ELSE 0 END) AS due_soon,
           sum(CASE WHEN s.status <> '已办结' THEN 1 ELSE 0 END) AS open_cases,
           sum(CASE WHEN s.status <> '已办结'
                     AND s.responsible_unit <> ''
                     AND s.responsible_person <> ''
                     AND s.deadline IS NOT NULL THEN 1 ELSE 0 END) AS accountable,
           sum(CASE WHEN s.status NOT IN ('取得实质性进展', '已办结')
                     AND s.responsible_unit <> ''
                     AND s.responsible_person <> ''
                     AND s.deadline IS NOT NULL THEN 1 ELSE 0 END) AS others_accountable,
           sum(CASE WHEN s.reported_on >= :period_start AND s.reported_on <= :as_of
                    THEN 1 ELSE 0 END) AS new_in_period,
           sum(CASE WHEN s.status = '已办结' AND s.resolved_on >= :period_start AND s.resolved_on <= :as_of
                    THEN 1 ELSE 0 END) AS resolved_in_period
      FROM scoped s
     GROUP BY s.town, s.paired_unit, s.responsible_unit
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
