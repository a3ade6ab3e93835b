-- Every ledger row that listed a case of the scope, as of as_of or earlier: the cases' history
-- as it stood at as_of (the export). Parameters: as_of, scope ('全市' or a district).
SELECT h.district, h.case_id, h.as_of, h.submission_id, h.title, h.source, h.theme, h.town,
       h.paired_unit, h.responsible_unit, h.responsible_person, h.lead_leader, h.reported_on,
       h.deadline, h.status, h.resolved_on, h.progress_note, h.funds_wan, h.exemplary,
       h.source_sheet, h.source_row
  FROM case_history h
 WHERE h.as_of <= :as_of
   AND (:scope = '全市' OR h.district = :scope)
 ORDER BY h.district, h.case_id, h.as_of, h.submission_id
