-- The reference towns of the scope with their district and the unit(s) paired with each, so the
-- report can name a town's district and a paired unit's town. Parameters: scope.
SELECT t.name AS town, t.district, p.unit
  FROM towns t
  LEFT JOIN pairings p ON p.town = t.name
 WHERE (:scope = '全市' OR t.district = :scope)
