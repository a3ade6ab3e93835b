-- Submissions per district (metrics.md, "Submissions"): files received in the period
-- [received_from, received_until) (UTC bounds of the period's local days) and their fate, the
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
     WHERE s.fate = 'accepted' AND s.state IN ('merged', 'done') AND s.kind IN ('ledger', 'ledger+visits')
       AND s.as_of <= :as_of
)
SELECT n.district,
       CASE WHEN EXISTS (SELECT 1 FROM districts d WHERE d.name = n.district) THEN 1 ELSE 0 END AS in_reference,
       (SELECT count(*) FROM submissions s
         WHERE s.district = n.district
           AND s.received_at >= :received_from AND s.received_at < :received_until) AS received,
       (SELECT count(*) FROM submissions s
         WHERE s.district = n.district AND s.fate = 'accepted'
           AND s.received_at >= :received_from AND s.received_at < :received_until) AS accepted,
       (SELECT count(*) FROM submissions s
         WHERE s.district = n.district AND s.fate = 'rejected'
           AND s.received_at >= :received_from AND s.received_at < :received_until) AS rejected,
       (SELECT count(*) FROM ledgers l
         WHERE l.district = n.district AND l.as_of >= :period_start) AS ledgers_in_period,
       (SELECT max(l.as_of) FROM ledgers l WHERE l.district = n.district) AS latest_as_of
  FROM names n
 WHERE (:scope = '全市' OR n.district = :scope)
