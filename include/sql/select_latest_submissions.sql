-- The newest submissions of every folder (each district, and _reference for the reference
-- workbook), at most per_district of each, newest first: the operators' page lists them with
-- their fate, rows taken, errors, receipt and Data Docs. Parameters: per_district.
SELECT r.id, r.district, r.file_name, r.kind, r.as_of, r.as_of_source, r.late, r.state, r.fate, r.reason,
       r.rows_total, r.rows_accepted, r.errors, r.warnings, r.received_at, r.receipt_path, r.datadocs_path
  FROM (SELECT s.id, s.district, s.file_name, s.kind, s.as_of, s.as_of_source, s.late, s.state, s.fate, s.reason,
               s.rows_total, s.rows_accepted, s.errors, s.warnings, s.received_at, s.receipt_path,
               s.datadocs_path,
               row_number() OVER (PARTITION BY s.district ORDER BY s.received_at DESC, s.id DESC) AS newest
          FROM submissions s) r
 WHERE r.newest <= :per_district
 ORDER BY r.district, r.newest
