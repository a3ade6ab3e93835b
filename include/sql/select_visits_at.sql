-- The visits of the scope known at as_of (made on or before it and first reported as of it or
-- earlier, as select_visit_figures counts them), the export; their cases are in select_visit_case_links_at.
-- Parameters: as_of, scope ('全市' or a district).
SELECT v.district, v.visit_key, v.visit_id, v.visit_date, v.unit, v.leader, v.leader_title, v.town,
       v.target, v.target_type, v.activity, v.participants, v.problems_collected, v.note,
       v.submission_id, v.first_as_of
  FROM visits v
 WHERE v.visit_date <= :as_of AND v.first_as_of <= :as_of
   AND (:scope = '全市' OR v.district = :scope)
 ORDER BY v.district, v.visit_date, v.visit_key
