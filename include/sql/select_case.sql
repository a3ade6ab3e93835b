-- The current state of one case (its newest ledger row) and the file that gave it.
-- Parameters: district, case_id.
SELECT c.district, c.case_id, c.title, c.source, c.theme, c.town, c.paired_unit, c.responsible_unit,
       c.responsible_person, c.lead_leader, c.reported_on, c.deadline, c.status, c.resolved_on,
       c.progress_note, c.funds_wan, c.as_of, c.first_as_of, c.missing_since, c.submission_id, c.source_row,
       s.file_name
  FROM cases c
  LEFT JOIN submissions s ON s.id = c.submission_id
 WHERE c.district = :district AND c.case_id = :case_id
