-- Every ledger row that ever listed one case, with the file and row it came from: the lineage
-- from a figure back to a district's spreadsheet. Newest first in Python. Parameters: district, case_id.
SELECT h.as_of, h.submission_id, h.title, h.status, h.deadline, h.resolved_on, h.responsible_unit,
       h.responsible_person, h.lead_leader, h.progress_note, h.source_sheet, h.source_row,
       s.file_name, s.inbox_path, s.archive_path, s.checksum, s.received_at
  FROM case_history h
  JOIN submissions s ON s.id = h.submission_id
 WHERE h.district = :district AND h.case_id = :case_id
