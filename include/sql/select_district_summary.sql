-- Per district: cases, visits, accepted and rejected submissions, and the as-of date of its
-- newest accepted ledger. Districts come from the reference data and from what was submitted.
WITH names AS (
    SELECT name AS district FROM districts
    UNION
    SELECT district FROM submissions WHERE district <> :reference
    UNION
    SELECT DISTINCT district FROM cases
)
SELECT
    n.district AS district,
    (SELECT count(*) FROM cases c WHERE c.district = n.district) AS cases,
    (SELECT count(*) FROM visits v WHERE v.district = n.district) AS visits,
    (SELECT count(*) FROM submissions s
      WHERE s.district = n.district AND s.fate = :fate_accepted) AS submissions_accepted,
    (SELECT count(*) FROM submissions s
      WHERE s.district = n.district AND s.fate = :fate_rejected) AS submissions_rejected,
    (SELECT max(s.as_of) FROM submissions s
      WHERE s.district = n.district AND s.fate = :fate_accepted
        AND s.kind IN ('ledger', 'ledger+visits')) AS latest_as_of
FROM names n
