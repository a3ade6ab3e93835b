-- Units of the scope not yet in contact at as_of: paired units with no known visit (made on or
-- before as_of, reported as of as_of or earlier) to their paired town. A unit's district is its
-- paired town's. Parameters: as_of, scope.
SELECT p.unit, p.town, t.district
  FROM pairings p
  LEFT JOIN towns t ON t.name = p.town
 WHERE (:scope = '全市' OR t.district = :scope)
   AND NOT EXISTS (SELECT 1 FROM visits v
                    WHERE v.unit = p.unit AND v.town = p.town
                      AND v.visit_date <= :as_of AND v.first_as_of <= :as_of)
