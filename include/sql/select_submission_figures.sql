-- Submissions per district (metrics.md, "Submissions"): the files of the period, those whose as-of
-- date falls in period_start .. as_of (a file without one, unreadable, by its arrival in
-- [received_from, received_until), the UTC bounds of the period's local days), their fate and how
-- many arrived after their deadline (late), the
-- accepted ledgers whose as-of date falls in the period (period_start .. as_of), and the as-of
-- date of the district's newest accepted ledger on or before as_of. Districts are the reference
-- districts (in_reference = 1) and any other folder that sent files. A reference district with no
-- accepted ledger in the period has not submitted. Parameters: as_of, period_start,
-- received_from, received_until, scope, reference_folder.
WITH names AS (
    SELECT d.name AS district FROM districts d
    UNION
    SELECT s.district FROM submissions s WHERE s.district <> :reference_folder
),
ledgers AS (
    SELECT s.district, s.as_of
      FROM submissions s
     WHERE s.fate = :fate_accepted AND s.state IN (:state_merged, :state_done) AND s.kind IN ('ledger', 'ledger+visits')
       AND s.as_of <= :as_of
)
SELECT n.district,
       CASE WHEN EXISTS (SELECT 1 FROM districts d WHERE d.name = n.district) THEN 1 ELSE 0 END AS in_reference,
       (SELECT count(*) FROM submissions s
         WHERE s.district = n.district
           AND (s.as_of BETWEEN :period_start AND :as_of
                OR (s.as_of IS NULL AND s.received_at >= :received_from AND s.received_at < :received_until))) AS received,
       (SELECT count(*) FROM submissions s
         WHERE s.district = n.district AND s.fate = :fate_accepted
           AND (s.as_of BETWEEN :period_start AND :as_of
                OR (s.as_of IS NULL AND s.received_at >= :received_from AND s.received_at < :received_until))) AS accepted,
       (SELECT count(*) FROM submissions s
         WHERE s.district = n.district AND s.fate = :fate_rejected
           AND (s.as_of BETWEEN :period_start AND :as_of
                OR (s.as_of IS NULL AND s.received_at >= :received_from AND s.received_at < :received_until))) AS rejected,
       (SELECT count(*) FROM ledgers l
         WHERE l.district = n.district AND l.as_of >= :period_start) AS ledgers_in_period,
       (SELECT count(*) FROM submissions s
         WHERE s.district = n.district AND s.late
           AND s.as_of BETWEEN :period_start AND :as_of) AS late,
       (SELECT max(l.as_of) FROM ledgers l WHERE l.district = n.district) AS latest_as_of
  FROM names n
 WHERE (:scope = '全市' OR n.district = :scope)
