-- The findings of one submission, errors first, in sheet and row order, at most limit of them
-- (the receipt lists every one). Parameters: submission_id, limit.
SELECT f.severity, f.code, f.sheet, f.row, f.column_name, f.value, f.reason, f.fix
  FROM findings f
 WHERE f.submission_id = :submission_id
 ORDER BY CASE WHEN f.severity = 'error' THEN 0 ELSE 1 END, f.sheet, f.row, f.id
 LIMIT :limit
