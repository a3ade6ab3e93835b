-- One submission with everything the operators' page shows about it. Parameters: submission_id.
SELECT s.id, s.checksum, s.district, s.inbox_path, s.file_name, s.archive_path, s.size_bytes, s.received_at, s.late,
       s.kind, s.as_of, s.as_of_source, s.state, s.fate, s.reason, s.rows_total, s.rows_accepted, s.errors,
       s.warnings, s.receipt_path, s.datadocs_path, s.updated_at
  FROM submissions s
 WHERE s.id = :submission_id
