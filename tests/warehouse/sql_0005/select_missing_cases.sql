-- Cases missing from the latest ledger: cases of the scope whose state at the as-of date comes
-- from an older ledger than their district's newest accepted ledger on or before that date
-- (newest by as_of, then submission id). They still count with their last state; the operators
-- follow them up. Parameters: as_of, scope.
WITH case_state AS NOT MATERIALIZED (
    -- include: select_case_state
),
ledgers AS (
    SELECT s.id, s.district, s.as_of
      FROM submissions s
     WHERE s.fate = 'accepted' AND s.state IN ('merged', 'done') AND s.kind IN ('ledger', 'ledger+visits')
       AND s.as_of <= :as_of
),
latest_ledger AS (
    SELECT l.id, l.district, l.as_of
      FROM ledgers l
     WHERE NOT EXISTS (SELECT 1 FROM ledgers n
                        WHERE n.district = l.district
                          AND (n.as_of > l.as_of OR (n.as_of = l.as_of AND n.id > l.id)))
)
SELECT s.district, s.case_id, s.title, s.status, s.responsible_unit, s.as_of AS last_listed_as_of,
       l.as_of AS latest_ledger_as_of
  FROM latest_ledger l
  JOIN case_state s ON s.district = l.district
 WHERE (:scope = '全市' OR l.district = :scope)
   AND (s.as_of < l.as_of OR (s.as_of = l.as_of AND s.submission_id < l.id))
