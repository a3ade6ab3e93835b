-- Every version of a case of the scope that began on or before as_of: the cases' history as it
-- stood at as_of (the export). A version still current at as_of has no valid_to (a later change is
-- not yet known at as_of). Parameters: as_of, scope ('全市' or a district).
SELECT h.district, h.case_id, h.valid_from,
       CASE WHEN h.valid_to <= :as_of THEN h.valid_to END AS valid_to,
       h.listed, h.submission_id, h.title, h.source, h.theme, h.town,
       h.paired_unit, h.responsible_unit, h.responsible_person, h.lead_leader, h.reported_on,
       h.deadline, h.status, h.resolved_on, h.progress_note, h.funds_wan, h.exemplary,
       h.source_sheet, h.source_row
  FROM case_history h
 WHERE h.valid_from <= :as_of
   AND (:scope = '全市' OR h.district = :scope)
 ORDER BY h.district, h.case_id, h.valid_from
