-- The counts of select_case_breakdown.sql over the cases s of one group (a SELECT list, included
-- once per part of the state: the current versions, the closed versions covering the date). A
-- status outside the four counts as open and in no status figure; a missing one in none, as in the
-- other queries. A responsible unit or person is present when not NULL and not empty.
count(*) AS total,
count(*) FILTER (WHERE s.status = '未启动') AS not_started,
count(*) FILTER (WHERE s.status IN ('推进中', '取得实质性进展')) AS in_progress,
count(*) FILTER (WHERE s.status IN ('取得实质性进展', '已办结')) AS substantive,
count(*) FILTER (WHERE s.status = '已办结') AS resolved,
count(*) FILTER (WHERE s.status <> '已办结' AND s.deadline < :as_of) AS overdue,
count(*) FILTER (WHERE s.status <> '已办结' AND s.deadline >= :as_of
                   AND s.deadline <= :due_soon_end) AS due_soon,
count(*) FILTER (WHERE s.status <> '已办结') AS open_cases,
count(*) FILTER (WHERE s.status <> '已办结' AND s.responsible_unit <> ''
                   AND s.responsible_person <> '' AND s.deadline IS NOT NULL) AS accountable,
count(*) FILTER (WHERE s.status NOT IN ('取得实质性进展', '已办结') AND s.responsible_unit <> ''
                   AND s.responsible_person <> '' AND s.deadline IS NOT NULL) AS others_accountable,
count(*) FILTER (WHERE s.reported_on >= :period_start AND s.reported_on <= :as_of) AS new_in_period,
count(*) FILTER (WHERE s.status = '已办结' AND s.resolved_on >= :period_start
                   AND s.resolved_on <= :as_of) AS resolved_in_period
