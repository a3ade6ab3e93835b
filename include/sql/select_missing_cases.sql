-- Cases missing from the latest ledger: cases of the scope that their district's newest accepted
-- ledger on or before the as-of date leaves out (their version at that date is not listed). They
-- still count with their last state; the operators follow them up. Parameters: as_of, scope.
WITH case_state AS NOT MATERIALIZED (
    -- include: select_case_state
),
latest_ledger AS (
    SELECT s.district, max(s.as_of) AS as_of
      FROM submissions s
     WHERE s.fate = :fate_accepted AND s.state IN (:state_merged, :state_done) AND s.kind IN ('ledger', 'ledger+visits')
       AND s.as_of <= :as_of
     GROUP BY s.district
)
SELECT s.district, s.case_id, s.title, s.status, s.responsible_unit, s.as_of AS last_listed_as_of,
       l.as_of AS latest_ledger_as_of
  FROM case_state s
  JOIN latest_ledger l ON l.district = s.district
 WHERE (:scope = '全市' OR s.district = :scope)
   AND NOT s.listed
