-- Whether the visit v is in the scope (as select_case_in_scope.sql for a case).
(:scope = '全市' OR v.district = :scope)
