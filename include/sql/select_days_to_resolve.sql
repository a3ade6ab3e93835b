-- Whole days from a case's reported_on to its resolved_on: a date difference is an integer on
-- PostgreSQL; SQLite, with dates as ISO text, has its own (select_days_to_resolve.sqlite.sql).
s.resolved_on - s.reported_on
