-- Whole days from a case's reported_on to its resolved_on (SQLite: dates are ISO text).
CAST(julianday(s.resolved_on) - julianday(s.reported_on) AS INTEGER)
