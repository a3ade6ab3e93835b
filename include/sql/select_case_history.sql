-- Every version of one case, with the period it held and the file and row it came from: the
-- lineage from a figure back to a district's spreadsheet. Newest first in Python. as_of is the
-- version's first date; a version that is not listed is the case left out of its district's
-- newest ledger (last listed on last_listed). Parameters: district, case_id.
SELECT h.valid_from AS as_of, h.valid_to, h.listed, h.last_listed, h.submission_id, h.title, h.status,
       h.deadline, h.resolved_on, h.responsible_unit, h.responsible_person, h.lead_leader, h.progress_note,
       h.source_sheet, h.source_row, s.file_name, s.inbox_path, s.archive_path, s.checksum, s.received_at
  FROM case_history h
  JOIN submissions s ON s.id = h.submission_id
 WHERE h.district = :district AND h.case_id = :case_id
