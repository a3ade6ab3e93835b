-- The cases behind one figure of metrics.md (the operators' drill-down): the cases of the scope
-- whose state at as_of counts in figure, with the file that gave that state. The predicates are
-- those of select_case_breakdown.sql, so a figure and its list always agree; 'not_accountable' is
-- the open cases that lack a responsible unit, person or deadline. Ordered in Python.
-- Parameters: as_of, period_start, due_soon_end, scope ('全市' or a district), figure.
WITH case_state AS (
    -- include: select_case_state
)
SELECT s.district, s.case_id, s.title, s.source, s.theme, s.town, s.paired_unit, s.responsible_unit,
       s.responsible_person, s.lead_leader, s.reported_on, s.deadline, s.status, s.resolved_on, s.as_of,
       s.submission_id, sub.file_name
  FROM case_state s
  LEFT JOIN submissions sub ON sub.id = s.submission_id
 WHERE (:scope = '全市' OR s.district = :scope)
   AND 1 = CASE :figure
       WHEN 'total' THEN 1
       WHEN 'not_started' THEN CASE WHEN s.status = '未启动' THEN 1 ELSE 0 END
       WHEN 'in_progress' THEN CASE WHEN s.status IN ('推进中', '取得实质性进展') THEN 1 ELSE 0 END
       WHEN 'substantive' THEN CASE WHEN s.status IN ('取得实质性进展', '已办结') THEN 1 ELSE 0 END
       WHEN 'resolved' THEN CASE WHEN s.status = '已办结' THEN 1 ELSE 0 END
       WHEN 'overdue' THEN CASE WHEN s.status <> '已办结' AND s.deadline < :as_of THEN 1 ELSE 0 END
       WHEN 'due_soon' THEN CASE WHEN s.status <> '已办结' AND s.deadline >= :as_of
                                  AND s.deadline <= :due_soon_end THEN 1 ELSE 0 END
       WHEN 'open_cases' THEN CASE WHEN s.status <> '已办结' THEN 1 ELSE 0 END
       WHEN 'accountable' THEN CASE WHEN s.status <> '已办结'
                                     AND coalesce(trim(s.responsible_unit), '') <> ''
                                     AND coalesce(trim(s.responsible_person), '') <> ''
                                     AND s.deadline IS NOT NULL THEN 1 ELSE 0 END
       WHEN 'not_accountable' THEN CASE WHEN s.status <> '已办结'
                                         AND (coalesce(trim(s.responsible_unit), '') = ''
                                              OR coalesce(trim(s.responsible_person), '') = ''
                                              OR s.deadline IS NULL) THEN 1 ELSE 0 END
       WHEN 'new_in_period' THEN CASE WHEN s.reported_on >= :period_start AND s.reported_on <= :as_of
                                      THEN 1 ELSE 0 END
       WHEN 'resolved_in_period' THEN CASE WHEN s.status = '已办结' AND s.resolved_on >= :period_start
                                           AND s.resolved_on <= :as_of THEN 1 ELSE 0 END
       ELSE 0
       END
