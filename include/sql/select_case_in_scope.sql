-- Whether the case s is in the scope. PostgreSQL plans with the bound values, so this is TRUE for
-- the city and the district's equality otherwise (an index range); SQLite has its own words.
(:scope = '全市' OR s.district = :scope)
