-- The state of every case at the as-of date, included by every query that reads the cases' state
-- (`-- include: select_case_state` in a WITH clause, expanded by grassroots.warehouse.db.sql).
-- case_history holds one row per version of a case with the period it held, so the state at the
-- date is a range lookup: the version with valid_from <= as_of < valid_to (valid_to NULL: still
-- current). listed = 0 marks a case its district's newest ledger then left out (it still counts,
-- with the state of the last ledger that listed it, as_of being that ledger's date). Cases first
-- listed later are absent.
SELECT h.district, h.case_id, h.title, h.source, h.theme, h.town, h.paired_unit,
       h.responsible_unit, h.responsible_person, h.lead_leader, h.reported_on, h.deadline,
       h.status, h.resolved_on, h.progress_note, h.funds_wan, h.exemplary,
       coalesce(h.last_listed, h.valid_from) AS as_of, h.submission_id,
       h.listed, h.valid_to
  FROM case_history h
 WHERE h.valid_from <= :as_of AND (h.valid_to IS NULL OR h.valid_to > :as_of)
