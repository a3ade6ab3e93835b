"""The demo campaign planned once: visits, the cases they found and how each case advanced.

Planned so that on the final as-of date the figures are exactly the source report's: 156 units
all in contact with their towns, 496 problems, 295 with substantive progress, the other 201 each
with unit, person and deadline. `expected_figures` states what the metrics must then give
(metrics.md), so tests and the demo's summary share one source of truth.
"""

from __future__ import annotations

import datetime as dt
import random
import statistics
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from grassroots import contract
from grassroots.contract import (
    STATUS_IN_PROGRESS,
    STATUS_NOT_STARTED,
    STATUS_ORDER,
    STATUS_RESOLVED,
    STATUS_SUBSTANTIVE,
)
from grassroots.demo import city as demo_city
from grassroots.reference import Leader, Reference

TOTAL_CASES = 496
SUBSTANTIVE = 295  # 取得实质性进展 or 已办结
RESOLVED = 168
NOT_STARTED = 43
OVERDUE = 20
DUE_SOON = 24
CAMPAIGN_DAYS = 87
CROSS_VISITS = 16
SUBSTANTIVE_STATUSES = (STATUS_SUBSTANTIVE, STATUS_RESOLVED)


def plan_for(final_as_of: dt.date, seed: int) -> Plan:
    """The plan that write_demo writes for these arguments (tests compare files against it)."""
    return plan_campaign(demo_city.demo_reference(), final_as_of, random.Random(seed))


# --- the plan -------------------------------------------------------------------------------

@dataclass
class Visit:
    district: str
    town: str
    unit: str
    leader: Leader
    visit_date: dt.date
    target: str
    target_type: str
    activity: str
    participants: int
    note: str
    paired: bool  # the unit's own paired town
    case_ids: list[str] = field(default_factory=list)
    visit_id: str = ""


@dataclass
class Case:
    district: str
    town: str
    unit: str
    title: str
    source: str
    theme: str | None
    responsible_unit: str
    responsible_person: str
    reported_on: dt.date
    funds_wan: float | None
    visit: Visit
    example: demo_city.Example | None = None
    final_status: str = STATUS_NOT_STARTED
    steps: list[dt.date] = field(default_factory=list)  # dates it entered 推进中, 取得实质性进展, 已办结
    deadline: dt.date | None = None
    early_deadline: dt.date | None = None  # before an extension granted in the last week
    lead_leader: str | None = None
    case_id: str = ""
    note_seed: int = 0

    def status_at(self, day: dt.date) -> str:
        return STATUS_ORDER[sum(1 for s in self.steps if s <= day)]

    def resolved_on_at(self, day: dt.date) -> dt.date | None:
        return self.steps[2] if self.status_at(day) == STATUS_RESOLVED else None

    def deadline_at(self, as_of: dt.date, final: dt.date) -> dt.date:
        return self.early_deadline if self.early_deadline and as_of < final else self.deadline

    def note_at(self, day: dt.date) -> str:
        status = self.status_at(day)
        if self.example and status == self.example.status:
            return self.example.progress_note
        notes = demo_city.PROGRESS_NOTES[status]
        return notes[self.note_seed % len(notes)]


@dataclass
class Plan:
    reference: Reference
    weeks: list[dt.date]
    cases: list[Case]
    visits: list[Visit]
    no_visit: list[Leader]
    no_case: list[Leader]

    @property
    def final(self) -> dt.date:
        return self.weeks[-1]


def plan_campaign(reference: Reference, final: dt.date, rng: random.Random) -> Plan:
    """Visits, the cases they found and each case's course, meeting the report's figures."""
    weeks = [final - dt.timedelta(days=7 * k) for k in (3, 2, 1, 0)]
    leaders_by_unit: dict[str, list[Leader]] = defaultdict(list)
    for leader in reference.leaders:
        leaders_by_unit[leader.unit].append(leader)
    city = {name for name, _, _ in demo_city.CITY_LEADERS}
    spare = [u for u in reference.units if len(leaders_by_unit[u]) >= 2 and u not in demo_city.SHARED_LEADER_UNITS]
    chosen = rng.sample(spare, 10)
    deputies = [next(x for x in reversed(leaders_by_unit[u]) if x.name not in city) for u in chosen]
    no_visit = deputies[:5]
    no_case = deputies[4:]  # the fifth deputy does neither
    pools = _target_pools(reference, rng)
    visits = _plan_visits(reference, final, rng, leaders_by_unit, set(no_visit), pools)
    cases = _plan_cases(reference, final, rng, visits, pools)
    _plan_statuses(cases, final, rng)
    _plan_deadlines(cases, weeks, rng)
    _plan_lead_leaders(reference, cases, leaders_by_unit, set(no_case), rng)
    _number(reference, cases, visits, final)
    return Plan(reference, weeks, cases, visits, no_visit, no_case)


def _target_pools(reference: Reference, rng: random.Random) -> dict[str, dict[str, list[str]]]:
    """Villages, communities and enterprises of each town."""
    pools = {}
    for town, _district in reference.towns.items():
        street = town.endswith("街道")
        villages = [s + "村" for s in rng.sample(demo_city.VILLAGE_STEMS, 1 if street else 3)]
        communities = [s + "社区" for s in rng.sample(demo_city.COMMUNITY_STEMS, 3 if street else 1)]
        enterprises = [
            f"{s}{i}有限公司" for s, i in zip(rng.sample(demo_city.ENTERPRISE_STEMS, 2),
                                          rng.sample(demo_city.INDUSTRIES, 2), strict=True)
        ]
        pools[town] = {"村": villages, "社区": communities, "企业": enterprises}
    return pools


def _pick_target(pools: dict[str, list[str]], rng: random.Random) -> tuple[str, str]:
    kind = rng.choices(("村", "社区", "企业", "群众", "其他"), (4, 4, 4, 1, 1))[0]
    if kind == "群众":
        return "来访群众", kind
    if kind == "其他":
        return rng.choice(("便民服务中心", "文化礼堂", "党群服务中心")), kind
    return rng.choice(pools[kind]), kind


def _plan_visits(reference, final, rng, leaders_by_unit, no_visit, pools) -> list[Visit]:
    start = final - dt.timedelta(days=CAMPAIGN_DAYS)
    examples = {e.unit: e for e in reversed(demo_city.EXAMPLES)}  # the first example of a unit wins
    visits: list[Visit] = []
    keys: set[tuple] = set()

    def add(unit, town, leader, day, target, target_type, activity, paired) -> Visit | None:
        for _ in range(20):
            key = (day, unit, leader.name, town, target)
            if key not in keys:
                keys.add(key)
                visit = Visit(reference.towns[town], town, unit, leader, day, target, target_type, activity,
                              rng.randint(3, 30), rng.choice(demo_city.VISIT_NOTES), paired)
                visits.append(visit)
                return visit
            day = min(final, day + dt.timedelta(days=1)) if day < final else day - dt.timedelta(days=1)
        return None

    for unit in reference.units:
        town = reference.pairings[unit]
        roll = rng.random()
        if unit in examples:
            first = start + dt.timedelta(days=rng.randint(0, 30))
        elif roll < 0.78:
            first = start + dt.timedelta(days=rng.randint(0, CAMPAIGN_DAYS - 29))
        elif roll < 0.92:
            first = final - dt.timedelta(days=rng.randint(10, 28))
        else:
            first = final - dt.timedelta(days=rng.randint(0, 9))
        eligible = [x for x in leaders_by_unit[unit] if x not in no_visit]
        rng.shuffle(eligible)
        n = max(rng.choice((1, 2, 2, 2, 3, 3, 4)), len(eligible))
        span = (final - first).days
        days = [first] + sorted(first + dt.timedelta(days=rng.randint(0, span)) for _ in range(n - 1))
        for i, day in enumerate(days):
            leader = eligible[i] if i < len(eligible) else rng.choice(eligible)
            if i == 0 and unit in examples:
                e = examples[unit]
                add(unit, town, leader, day, e.target, e.target_type, e.activity, True)
                for other in demo_city.EXAMPLES:  # a unit's further examples: a visit each, same day
                    if other.unit == unit and other is not e:
                        add(unit, town, leader, day, other.target, other.target_type, other.activity, True)
                continue
            target, target_type = _pick_target(pools[town], rng)
            add(unit, town, leader, day, target, target_type, rng.choice(contract.ACTIVITIES[:5]), True)
    units = list(reference.units)
    for _ in range(CROSS_VISITS):  # joint visits to a neighbouring town: count for town coverage only
        unit = rng.choice(units)
        own = reference.pairings[unit]
        others = [t for t in reference.towns_of(reference.towns[own]) if t != own]
        eligible = [x for x in leaders_by_unit[unit] if x not in no_visit]
        town = rng.choice(others)
        target, target_type = _pick_target(pools[town], rng)
        day = start + dt.timedelta(days=rng.randint(0, CAMPAIGN_DAYS))
        add(unit, town, rng.choice(eligible), day, target, target_type, "座谈", False)
    return visits


def _plan_cases(reference, final, rng, visits, pools) -> list[Case]:
    towns = list(reference.towns)
    extra = set(rng.sample(towns, TOTAL_CASES - 3 * len(towns)))
    unit_of = {t: u for u, t in reference.pairings.items()}
    paired_visits: dict[str, list[Visit]] = defaultdict(list)
    for v in visits:
        if v.paired:
            paired_visits[v.town].append(v)
    sources = [k for k in demo_city.CASE_TITLES]
    weights = {"重点项目": 18, "民生实事": 34, "企业诉求": 20, "信访事项": 12, "其他": 16}
    cases: list[Case] = []
    names = _person_names(rng)
    for town in towns:
        district, unit = reference.towns[town], unit_of[town]
        own_visits = sorted(paired_visits[town], key=lambda v: v.visit_date)
        quota = 4 if town in extra else 3
        titles: set[str] = set()
        examples = [e for e in demo_city.EXAMPLES if e.town == town]
        for e in examples:
            visit = next(v for v in own_visits if v.target == e.target)
            cases.append(Case(district, town, unit, e.title, e.source, e.theme, e.responsible_unit or unit,
                              next(names), visit.visit_date, e.funds_wan, visit, example=e,
                              final_status=e.status))
            titles.add(e.title)
        for _ in range(quota - len(examples)):
            source, usual = rng.choices(sources, [weights[s] for s, _ in sources])[0]
            title = ""
            for _attempt in range(30):
                title = rng.choice(demo_city.CASE_TITLES[(source, usual)]).format(
                    town=town, village=rng.choice(pools[town]["村"]),
                    community=rng.choice(pools[town]["社区"]), enterprise=rng.choice(pools[town]["企业"]))
                if title not in titles:
                    break
            titles.add(title)
            roll = rng.random()
            theme = usual if roll < 0.75 else (rng.choice(contract.THEMES) if roll < 0.9 else None)
            visit = rng.choice(own_visits)
            cases.append(Case(district, town, unit, title, source, theme,
                              _responsible_unit(rng, district, town, unit, source), next(names),
                              visit.visit_date, _funds(rng), visit))
    for n, case in enumerate(cases):
        case.note_seed = n * 7 + rng.randint(0, 2)
    return cases


def _responsible_unit(rng, district, town, unit, source) -> str:
    roll = rng.random()
    if roll < 0.45:
        return unit
    if roll < 0.7:
        return town.removesuffix("街道") + "街道办事处" if town.endswith("街道") else town + "人民政府"
    return district + rng.choice(demo_city.DISTRICT_BUREAUS[source])


def _funds(rng) -> float | None:
    if rng.random() > 0.35:
        return None
    return float(rng.choice((5, 8, 10, 12, 15, 20, 30, 50, 80, 100, 120, 200, 350, 500, 800, 1200, 1500, 2.5)))


def _person_names(rng):
    seen: set[str] = set()
    while True:
        name = rng.choice(demo_city.SURNAMES) + rng.choice(demo_city.GIVEN_NAMES)
        if name not in seen:
            seen.add(name)
            yield name


def _weighted_pick(items: list[Case], k: int, weight, rng: random.Random) -> list[Case]:
    """k items without replacement, each with a chance that grows with its weight."""
    keyed = sorted(items, key=lambda c: rng.random() ** (1.0 / weight(c)), reverse=True)
    return keyed[:k]


def _plan_statuses(cases: list[Case], final: dt.date, rng: random.Random) -> None:
    """Final statuses with exact counts (older cases further along), then each case's course."""

    def age(c: Case) -> int:
        return (final - c.reported_on).days

    fixed = [c for c in cases if c.example]
    free = [c for c in cases if not c.example]
    n_sub = SUBSTANTIVE - sum(c.final_status in SUBSTANTIVE_STATUSES for c in fixed)
    n_res = RESOLVED - sum(c.final_status == STATUS_RESOLVED for c in fixed)
    n_not = NOT_STARTED - sum(c.final_status == STATUS_NOT_STARTED for c in fixed)
    substantive = _weighted_pick(free, n_sub, lambda c: age(c) + 3, rng)
    resolved = set(map(id, _weighted_pick(substantive, n_res, lambda c: age(c) + 1, rng)))
    chosen = set(map(id, substantive))
    rest = [c for c in free if id(c) not in chosen]
    not_started = set(map(id, _weighted_pick(rest, n_not, lambda c: 1.0 / (age(c) + 2), rng)))
    for c in free:
        if id(c) in resolved:
            c.final_status = STATUS_RESOLVED
        elif id(c) in chosen:
            c.final_status = STATUS_SUBSTANTIVE
        elif id(c) in not_started:
            c.final_status = STATUS_NOT_STARTED
        else:
            c.final_status = STATUS_IN_PROGRESS
    for c in cases:
        n = STATUS_ORDER.index(c.final_status)
        span = (final - c.reported_on).days
        c.steps = sorted(c.reported_on + dt.timedelta(days=rng.randint(0, span)) for _ in range(n))


def _plan_deadlines(cases: list[Case], weeks: list[dt.date], rng: random.Random) -> None:
    final = weeks[-1]
    days = dt.timedelta
    open_cases = [c for c in cases if c.final_status != STATUS_RESOLVED]
    can_be_late = [c for c in open_cases if c.reported_on <= final - days(14)]
    overdue = rng.sample(can_be_late, OVERDUE)
    for c in overdue:
        c.deadline = c.reported_on + days(rng.randint(7, (final - days(1) - c.reported_on).days))
    late = set(map(id, overdue))
    others = [c for c in open_cases if id(c) not in late]
    due_soon = set(map(id, rng.sample(others, DUE_SOON)))
    for c in others:
        if id(c) in due_soon:
            c.deadline = final + days(rng.randint(0, 7))
        else:
            c.deadline = max(c.reported_on + days(30), final + days(8)) + days(rng.randint(0, 150))
    for c in cases:
        if c.final_status == STATUS_RESOLVED:
            c.deadline = max(c.reported_on + days(7), c.steps[2] + days(rng.randint(-3, 45)))
    # one case's deadline is put back by a month in the last week (a warning, not an error)
    extended = next(c for c in others if id(c) not in due_soon and c.district == "江北区"
                    and c.reported_on <= weeks[0] and c.deadline - days(30) >= c.reported_on)
    extended.early_deadline = extended.deadline - days(30)


def _plan_lead_leaders(reference, cases, leaders_by_unit, no_case, rng) -> None:
    """Most cases are led by a leader of the paired unit; every leader but a few leads one."""
    by_town: dict[str, list[Case]] = defaultdict(list)
    for c in cases:
        by_town[c.town].append(c)
    for town, town_cases in by_town.items():
        unit = next(u for u, t in reference.pairings.items() if t == town)
        eligible = [x for x in leaders_by_unit[unit] if x not in no_case]
        rng.shuffle(eligible)
        for i, c in enumerate(town_cases):
            if i < len(eligible):
                c.lead_leader = eligible[i].name
            elif c.example or rng.random() < 0.8:
                c.lead_leader = rng.choice(eligible).name
    # 市领导 also lead key projects elsewhere, where that takes no leader's only case
    counts = Counter(c.lead_leader for c in cases if c.lead_leader)
    city = [name for name, _, _ in demo_city.CITY_LEADERS]
    key_projects = [c for c in cases if c.source == "重点项目" and not c.example
                    and (c.lead_leader is None or counts[c.lead_leader] > 1)]
    for i, c in enumerate(rng.sample(key_projects, 8)):
        if c.lead_leader and counts[c.lead_leader] <= 1:
            continue
        if c.lead_leader:
            counts[c.lead_leader] -= 1
        c.lead_leader = city[i % len(city)]


def _number(reference, cases, visits, final) -> None:
    """Stable ids: cases by date found within the district, visits likewise; link visits to cases."""
    town_order = {t: i for i, t in enumerate(reference.towns)}
    by_district: dict[str, list[Case]] = defaultdict(list)
    for c in cases:
        by_district[c.district].append(c)
    for district, items in by_district.items():
        prefix = demo_city.case_prefix(district)
        items.sort(key=lambda c: (c.reported_on, town_order[c.town], c.title))
        for n, c in enumerate(items, start=1):
            c.case_id = f"{prefix}-{final.year}-{n:03d}"
            c.visit.case_ids.append(c.case_id)
    visits_by_district: dict[str, list[Visit]] = defaultdict(list)
    for v in visits:
        visits_by_district[v.district].append(v)
    for district, items in visits_by_district.items():
        prefix = demo_city.case_prefix(district)
        items.sort(key=lambda v: (v.visit_date, town_order[v.town], v.unit, v.leader.name, v.target))
        for n, v in enumerate(items, start=1):
            v.visit_id = f"{prefix}-ZF-{n:04d}"


# --- the figures the demo must produce ------------------------------------------------------

def _case_figures(plan: Plan, day: dt.date, district: str | None = None) -> dict:
    cases = [c for c in plan.cases if c.reported_on <= day and (district is None or c.district == district)]
    statuses = Counter(c.status_at(day) for c in cases)
    resolved = [c for c in cases if c.status_at(day) == STATUS_RESOLVED]
    open_cases = [c for c in cases if c.status_at(day) != STATUS_RESOLVED]
    week_start = day - dt.timedelta(days=6)
    total = len(cases)
    substantive = statuses[STATUS_SUBSTANTIVE] + statuses[STATUS_RESOLVED]
    return {
        "total": total,
        "not_started": statuses[STATUS_NOT_STARTED],
        "in_progress": statuses[STATUS_IN_PROGRESS] + statuses[STATUS_SUBSTANTIVE],
        "substantive": substantive,
        "resolved": statuses[STATUS_RESOLVED],
        "substantive_rate": round(substantive / total, 4) if total else None,
        "resolution_rate": round(statuses[STATUS_RESOLVED] / total, 4) if total else None,
        "overdue": sum(1 for c in open_cases if c.deadline_at(day, plan.final) < day),
        "due_soon": sum(1 for c in open_cases if day <= c.deadline_at(day, plan.final) <= day + dt.timedelta(days=7)),
        "accountable": len(open_cases),
        "open": len(open_cases),
        "new_in_period": sum(1 for c in cases if week_start <= c.reported_on <= day),
        "resolved_in_period": sum(1 for c in resolved if week_start <= c.steps[2] <= day),
        "median_days_to_resolve": (
            statistics.median((c.steps[2] - c.reported_on).days for c in resolved) if resolved else None
        ),
    }


def _visit_figures(plan: Plan, day: dt.date) -> dict:
    ref = plan.reference
    visits = [v for v in plan.visits if v.visit_date <= day]
    pairs = {(v.unit, v.town) for v in visits}
    in_contact = {u for u, t in ref.pairings.items() if (u, t) in pairs}
    return {
        "visits": len(visits),
        "visits_in_period": sum(1 for v in visits if v.visit_date >= day - dt.timedelta(days=6)),
        "towns_covered": len({v.town for v in visits}),
        "towns_total": len(ref.towns),
        "pairs_covered": len(in_contact),
        "pairs_total": len(ref.pairings),
        "units_not_in_contact": [u for u in ref.units if u not in in_contact],
    }


def weekly_figures(plan: Plan) -> dict[str, dict]:
    """City-wide case and visit figures at each weekly as-of date."""
    return {d.isoformat(): _case_figures(plan, d) | _visit_figures(plan, d) for d in plan.weeks}


def expected_figures(plan: Plan) -> dict:
    """The figures of the final as-of date as metrics.md defines them, city-wide and per district."""
    final = plan.final
    ref = plan.reference
    figures = _case_figures(plan, final) | _visit_figures(plan, final)
    contact = {(v.leader.name, v.unit) for v in plan.visits if v.visit_date <= final and v.leader.unit == v.unit}
    leading = {c.lead_leader for c in plan.cases if c.lead_leader}
    with_contact = [x for x in ref.leaders if (x.name, x.unit) in contact]
    with_problem = [x for x in ref.leaders if x.name in leading]
    short = [x for x in ref.leaders if (x.name, x.unit) not in contact or x.name not in leading]
    figures |= {
        "as_of": final.isoformat(),
        "units": len(ref.units),
        "towns": len(ref.towns),
        "leaders_total": len(ref.leaders),
        "leaders_with_contact": len(with_contact),
        "leaders_with_problem": len(with_problem),
        "leaders_falling_short": [{"name": x.name, "unit": x.unit, "title": x.title} for x in short],
        "shared_leader_names": sorted(ref.shared_leader_names),
        "by_district": {d: _case_figures(plan, final, d) for d in ref.districts},
        "deadline_extended": [c.case_id for c in plan.cases if c.early_deadline],
    }
    return figures
