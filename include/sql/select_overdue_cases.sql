-- Overdue cases of the scope at as_of: not resolved and the deadline before as_of, with who is
-- responsible (the report lists them, longest overdue first; ordered in Python, since the two
-- databases order Chinese text differently). Parameters: as_of, scope.
WITH case_state AS NOT MATERIALIZED (
    -- include: select_case_state
)
SELECT s.district, s.case_id, s.title, s.town, s.responsible_unit, s.responsible_person,
       s.lead_leader, s.status, s.deadline
  FROM case_state s
 WHERE (:scope = '全市' OR s.district = :scope)
   AND s.status <> '已办结' AND s.deadline < :as_of
