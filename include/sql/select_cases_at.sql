-- The cases of the scope as they stood at as_of (the one definition of a case's state), every
-- field: what the monthly 通报 tells of them and what the export hands out. Ordered in Python.
-- Parameters: as_of, scope ('全市' or a district).
WITH case_state AS NOT MATERIALIZED (
    -- include: select_case_state
)
SELECT s.district, s.case_id, s.title, s.source, s.theme, s.town, s.paired_unit, s.responsible_unit,
       s.responsible_person, s.lead_leader, s.reported_on, s.deadline, s.status, s.resolved_on,
       s.progress_note, s.funds_wan, s.exemplary, s.as_of, s.submission_id
  FROM case_state s
 WHERE (:scope = '全市' OR s.district = :scope)
