-- Every leader of the scope with the two obligations of metrics.md at the as-of date: contact (a
-- visit known then whose 带队领导 is the leader's name and whose 走访单位 is the leader's unit) and
-- problem (named as 领衔领导 of at least one case, by the case's state then). A district's leaders
-- are those of the units paired with its towns; what they did counts wherever in the city.
-- Parameters: as_of, scope.
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
      FROM cases c
      JOIN case_history h ON h.district = c.district AND h.case_id = c.case_id
     WHERE c.as_of > :as_of AND h.as_of <= :as_of
       AND NOT EXISTS (SELECT 1 FROM case_history n
                        WHERE n.district = h.district AND n.case_id = h.case_id AND n.as_of <= :as_of
                          AND (n.as_of > h.as_of
                               OR (n.as_of = h.as_of AND n.submission_id > h.submission_id)))
    -- case_state: end
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
