-- The cases each visit of the scope known at as_of names (关联问题编号), one row per link.
-- Parameters: as_of, scope ('全市' or a district).
SELECT l.district, l.visit_key, l.case_id
  FROM visit_cases l
  JOIN visits v ON v.district = l.district AND v.visit_key = l.visit_key
 WHERE v.visit_date <= :as_of AND v.first_as_of <= :as_of
   AND (:scope = '全市' OR l.district = :scope)
 ORDER BY l.district, l.visit_key, l.case_id
