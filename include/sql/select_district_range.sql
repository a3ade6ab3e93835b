-- The city as a range of district names: the first and the last district of the cases and visits
-- in this database's own order, so that "every district" is `district BETWEEN first AND last`, the
-- same predicate as one district's (first = last = its name) and read from an index that leads with
-- district on both databases (SQLite reads no index under "the city, or this district").
-- district is never NULL in case_history or visits (part of their keys).
SELECT min(d.name) AS first_district, max(d.name) AS last_district
  FROM (SELECT min(h.district) AS name FROM case_history h
        UNION ALL SELECT max(h.district) FROM case_history h
        UNION ALL SELECT min(v.district) FROM visits v
        UNION ALL SELECT max(v.district) FROM visits v) d
