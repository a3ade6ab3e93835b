-- Whether the visit v is in the scope (as select_case_in_scope.sqlite.sql for a case).
v.district BETWEEN :district_from AND :district_to
