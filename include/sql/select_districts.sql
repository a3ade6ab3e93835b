-- The reference districts with their codes (the report lists districts in code order).
SELECT d.name, d.code FROM districts d
