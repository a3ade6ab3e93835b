-- The as-of date of the newest accepted ledger of any district: the operators' page shows the
-- figures at today's date, or at this date when a ledger is dated later. No parameters.
SELECT max(s.as_of) AS as_of
  FROM submissions s
 WHERE s.fate = :fate_accepted AND s.kind IN ('ledger', 'ledger+visits')
