-- Visit and pairing figures of the scope at as_of (metrics.md, "Visits and pairing"), for the
-- whole scope (dimension 'scope') and per district. A visit counts once it is known at as_of:
-- made on or before as_of and first reported in a visit log as of as_of or earlier, so that a
-- past report recomputed later gives the same figures. visits_reported_late: visits made before
-- the period but first reported in it (补报), which is why a total can grow by more than the
-- period's visits. A district's towns and pairs are those of its towns in the reference data.
-- Parameters: as_of, period_start, scope (on SQLite the visits' as district_from .. district_to).
WITH visit_counts AS (
    SELECT v.district,
           count(*) AS visits,
           sum(CASE WHEN v.visit_date >= :period_start THEN 1 ELSE 0 END) AS visits_in_period,
           sum(CASE WHEN v.visit_date < :period_start AND v.first_as_of >= :period_start THEN 1 ELSE 0 END)
               AS visits_reported_late
      FROM visits v
     WHERE v.visit_date <= :as_of AND v.first_as_of <= :as_of
       AND
           -- include: select_visit_in_scope
     GROUP BY v.district
),
town_coverage AS (
    SELECT t.district,
           count(*) AS towns_total,
           sum(CASE WHEN EXISTS (SELECT 1 FROM visits v
                                  WHERE v.town = t.name
                                    AND v.visit_date <= :as_of AND v.first_as_of <= :as_of)
                    THEN 1 ELSE 0 END) AS towns_covered
      FROM towns t
     WHERE (:scope = '全市' OR t.district = :scope)
     GROUP BY t.district
),
pair_coverage AS (
    SELECT t.district,
           count(*) AS pairs_total,
           sum(CASE WHEN EXISTS (SELECT 1 FROM visits v
                                  WHERE v.unit = p.unit AND v.town = p.town
                                    AND v.visit_date <= :as_of AND v.first_as_of <= :as_of)
                    THEN 1 ELSE 0 END) AS pairs_covered
      FROM pairings p
      LEFT JOIN towns t ON t.name = p.town
     WHERE (:scope = '全市' OR t.district = :scope)
     GROUP BY t.district
)
SELECT 'scope' AS dimension, NULL AS key,
       (SELECT sum(visits) FROM visit_counts) AS visits,
       (SELECT sum(visits_in_period) FROM visit_counts) AS visits_in_period,
       (SELECT sum(visits_reported_late) FROM visit_counts) AS visits_reported_late,
       (SELECT sum(towns_covered) FROM town_coverage) AS towns_covered,
       (SELECT sum(towns_total) FROM town_coverage) AS towns_total,
       (SELECT sum(pairs_covered) FROM pair_coverage) AS pairs_covered,
       (SELECT sum(pairs_total) FROM pair_coverage) AS pairs_total
UNION ALL
SELECT 'district', k.district, vc.visits, vc.visits_in_period, vc.visits_reported_late, tc.towns_covered, tc.towns_total,
       pc.pairs_covered, pc.pairs_total
  FROM (SELECT district FROM visit_counts
        UNION SELECT district FROM town_coverage
        UNION SELECT district FROM pair_coverage) k
  LEFT JOIN visit_counts vc ON vc.district = k.district
  LEFT JOIN town_coverage tc ON tc.district = k.district
  LEFT JOIN pair_coverage pc ON pc.district = k.district
 WHERE k.district IS NOT NULL
