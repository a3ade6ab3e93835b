-- The state of every case at the as-of date, included by every query that reads the cases' state
-- (`-- include: select_case_state` in a WITH clause, expanded by grassroots.warehouse.db.sql).
-- A case's state at the as-of date is its case_history row with the greatest as_of on or
-- before that date (ties: the greatest submission_id). `cases` holds exactly the newest row
-- of every case, so it is the state whenever cases.as_of is on or before the date; only the
-- cases changed after it are looked up in case_history. Cases first listed later are absent.
-- No versions then: valid_to is NULL on every row (today's breakdown counts each state row in its
-- first part, the current versions; added for it).
SELECT c.district, c.case_id, c.title, c.source, c.theme, c.town, c.paired_unit,
       c.responsible_unit, c.responsible_person, c.lead_leader, c.reported_on, c.deadline,
       c.status, c.resolved_on, c.as_of, c.submission_id, CAST(NULL AS DATE) AS valid_to
  FROM cases c
 WHERE c.as_of <= :as_of
UNION ALL
SELECT h.district, h.case_id, h.title, h.source, h.theme, h.town, h.paired_unit,
       h.responsible_unit, h.responsible_person, h.lead_leader, h.reported_on, h.deadline,
       h.status, h.resolved_on, h.as_of, h.submission_id, CAST(NULL AS DATE) AS valid_to
  FROM cases c
  JOIN case_history h ON h.district = c.district AND h.case_id = c.case_id
 WHERE c.as_of > :as_of AND h.as_of <= :as_of
   AND NOT EXISTS (SELECT 1 FROM case_history n
                    WHERE n.district = h.district AND n.case_id = h.case_id AND n.as_of <= :as_of
                      AND (n.as_of > h.as_of
                           OR (n.as_of = h.as_of AND n.submission_id > h.submission_id)))
