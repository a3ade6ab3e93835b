-- Whether the case s is in the scope, as a range of district names (district_from .. district_to:
-- the district's name twice, or the first and last district there is, select_district_range.sql):
-- SQLite reads an index under a range, none under "the city, or this district".
s.district BETWEEN :district_from AND :district_to
