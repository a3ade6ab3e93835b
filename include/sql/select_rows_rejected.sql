-- Rows refused in the period, by reason: the errors of the rejected files of the period (as-of
-- date in period_start .. as_of; a file without one by its arrival in [received_from, received_until)), counted per rule code and column, as rows
-- (distinct sheet rows that carry the error), findings and files. File-level errors (no row)
-- count as files only. Parameters: period_start, as_of, received_from, received_until, scope, reference_folder.
WITH errors AS (
    SELECT f.code, f.column_name, f.submission_id, f.sheet, f.row
      FROM findings f
      JOIN submissions s ON s.id = f.submission_id
     WHERE s.fate = :fate_rejected AND f.severity = 'error'
       AND s.district <> :reference_folder
       AND (s.as_of BETWEEN :period_start AND :as_of
            OR (s.as_of IS NULL AND s.received_at >= :received_from AND s.received_at < :received_until))
       AND (:scope = '全市' OR s.district = :scope)
),
distinct_rows AS (
    SELECT DISTINCT e.code, e.column_name, e.submission_id, e.sheet, e.row
      FROM errors e
     WHERE e.row IS NOT NULL
),
distinct_files AS (
    SELECT DISTINCT e.code, e.column_name, e.submission_id FROM errors e
)
SELECT g.code, g.column_name, g.findings,
       (SELECT count(*) FROM distinct_rows r
         WHERE r.code = g.code
           AND (r.column_name = g.column_name OR (r.column_name IS NULL AND g.column_name IS NULL))) AS rows_refused,
       (SELECT count(*) FROM distinct_files x
         WHERE x.code = g.code
           AND (x.column_name = g.column_name OR (x.column_name IS NULL AND g.column_name IS NULL))) AS files
  FROM (SELECT e.code, e.column_name, count(*) AS findings FROM errors e GROUP BY e.code, e.column_name) g
