-- Due-soon cases of the scope at as_of (metrics.md, 临期（7日内）): not resolved and the deadline
-- within as_of .. as_of + 7 days, with who is responsible (the report lists them beside the
-- overdue ones, nearest deadline first; ordered in Python). Parameters: as_of, due_soon_end, scope.
WITH case_state AS NOT MATERIALIZED (
    -- include: select_case_state
)
SELECT s.district, s.case_id, s.title, s.town, s.responsible_unit, s.responsible_person,
       s.lead_leader, s.status, s.deadline
  FROM case_state s
 WHERE (:scope = '全市' OR s.district = :scope)
   AND s.status <> '已办结' AND s.deadline >= :as_of AND s.deadline <= :due_soon_end
