-- Every leader of the scope with the two obligations of metrics.md at the as-of date: contact (a
-- visit known then whose 带队领导 is the leader's name and whose 走访单位 is the leader's unit) and
-- problem (named as 领衔领导 of at least one case, by the case's state then). A district's leaders
-- are those of the units paired with its towns; what they did counts wherever in the city.
-- Parameters: as_of, scope.
WITH case_state AS NOT MATERIALIZED (
    -- include: select_case_state
)
SELECT l.id, l.name, l.title, l.unit, t.district,
       CASE WHEN EXISTS (SELECT 1 FROM visits v
                          WHERE v.leader = l.name AND v.unit = l.unit
                            AND v.visit_date <= :as_of AND v.first_as_of <= :as_of)
            THEN 1 ELSE 0 END AS has_contact,
       CASE WHEN EXISTS (SELECT 1 FROM case_state s WHERE s.lead_leader = l.name)
            THEN 1 ELSE 0 END AS has_problem
  FROM leaders l
  LEFT JOIN pairings p ON p.unit = l.unit
  LEFT JOIN towns t ON t.name = p.town
 WHERE (:scope = '全市' OR t.district = :scope)
