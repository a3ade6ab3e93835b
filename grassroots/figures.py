"""The figures of metrics.md, defined once: name, Chinese label, unit, kind and which way is better.

The report (mail and attachment), the metrics command line and the operators' page take their
labels and formats from here, so a figure is called the same everywhere, and exactly what the
spec (../shared/spec/metrics.md) calls it. Display helpers (Chinese dates, percentages,
percentage points) live here too, for the same reason.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

COUNT, RATE, DAYS, LIST = "count", "rate", "days", "list"
UP, DOWN = "up", "down"


@dataclass(frozen=True)
class Figure:
    """One figure of metrics.md."""

    name: str  # the spec's `name`: the key in the figures, the attachment's 字段名
    label: str  # the spec's Chinese label, verbatim
    unit: str = "个"  # what a count counts (个 问题, 次 走访, 家 单位, 人 领导); '' for a rate
    kind: str = COUNT  # count | rate | days | list
    better: str | None = None  # up | down | None (a change is neither good nor bad)
    heading: str | None = None  # how a table names it where the spec's label is shared with another name
    definition: str = ""  # what it counts, in Chinese (the attachment's 字段说明)

    @property
    def title(self) -> str:
        """The name a table or summary row shows: the spec's label unless two names share it."""
        return self.heading or self.label

    def show(self, value) -> str:
        return show(self.name, value)


FIGURES: tuple[Figure, ...] = (
    Figure("total", "累计梳理问题", definition="截至统计日已登记的问题"),
    Figure("not_started", "未启动", better=DOWN, definition="办理状态为未启动的问题"),
    Figure("in_progress", "推进中", definition="已启动尚未办结的问题（推进中或取得实质性进展）"),
    Figure("substantive", "取得实质性进展", better=UP,
           definition="办理状态为取得实质性进展或已办结的问题（含已办结）"),
    Figure("resolved", "已办结（销号）", better=UP, definition="办理状态为已办结的问题"),
    Figure("substantive_rate", "实质性进展率", "", RATE, UP, definition="取得实质性进展 ÷ 累计梳理问题"),
    Figure("resolution_rate", "办结率", "", RATE, UP, definition="已办结 ÷ 累计梳理问题"),
    Figure("overdue", "逾期未办结", better=DOWN, definition="完成时限早于统计日且未办结的问题"),
    Figure("due_soon", "临期（7日内）", better=DOWN, definition="未办结、完成时限在统计日起7日内的问题"),
    Figure("accountable", "责任落实", better=UP,
           definition="未办结问题中责任单位、责任人和完成时限均已明确的问题"),
    Figure("accountable_rate", "责任落实", "", RATE, UP, heading="责任落实率",
           definition="责任落实 ÷ 未办结问题"),
    Figure("open_cases", "未办结问题", heading="未办结问题", definition="办理状态不是已办结的问题（责任落实率的分母）"),
    Figure("new_in_period", "本期新增", definition="发现日期在本统计期内的问题"),
    Figure("resolved_in_period", "本期办结", better=UP, definition="办结日期在本统计期内的已办结问题"),
    Figure("median_days_to_resolve", "平均办结用时（中位数）", "天", DAYS, DOWN,
           definition="已办结问题从发现到办结所用天数的中位数"),
    Figure("visits", "走访次数", "次", better=UP, heading="走访次数（累计）", definition="截至统计日的走访记录条数"),
    Figure("visits_in_period", "走访次数", "次", better=UP, heading="走访次数（本期）",
           definition="走访日期在本统计期内的走访记录条数"),
    Figure("visits_reported_late", "走访次数", "次", heading="补报走访次数（本期）",
           definition="本统计期内报送、走访日期在以前统计期的走访记录条数（补报）"),
    Figure("towns_covered", "覆盖街道（镇乡）", better=UP, definition="截至统计日至少走访过一次的街道（镇乡）"),
    Figure("towns_total", "覆盖街道（镇乡）", heading="街道（镇乡）总数", definition="街道（镇乡）总数"),
    Figure("pairs_covered", "包联覆盖率", "家", better=UP, heading="包联已对接单位",
           definition="已走访其包联街道（镇乡）的包联单位（结对）"),
    Figure("pairs_total", "包联覆盖率", "家", heading="包联单位总数", definition="包联结对总数"),
    Figure("units_not_in_contact", "未对接单位", "家", LIST, DOWN, definition="尚未走访其包联街道（镇乡）的单位"),
    Figure("leaders_with_contact", "领导干部联系基层", "人", better=UP,
           definition="截至统计日至少带队走访一次的领导干部"),
    Figure("leaders_with_problem", "领导干部破解难题", "人", better=UP,
           definition="至少领衔一个问题的领导干部"),
    Figure("leaders_total", "领导干部联系基层", "人", heading="领导干部总数", definition="领导干部总数"),
    Figure("leaders_falling_short", "未达要求领导", "人", LIST, DOWN,
           definition="尚未联系基层或尚未领衔破解难题的领导干部"),
)
BY_NAME = {f.name: f for f in FIGURES}
NAMES = tuple(f.name for f in FIGURES)

BREAKDOWN_COLUMNS = (
    "total", "not_started", "in_progress", "substantive", "substantive_rate", "resolved", "resolution_rate",
    "overdue", "due_soon", "open_cases", "accountable", "accountable_rate", "new_in_period", "resolved_in_period",
    "median_days_to_resolve",
)
"""The figures of a breakdown row (by district, town, unit, source, theme), in table order."""


def figure(name: str) -> Figure:
    return BY_NAME[name]


def label(name: str) -> str:
    """The spec's Chinese label of a figure."""
    return BY_NAME[name].label


def title(name: str) -> str:
    """What a table column or summary row shows for a figure."""
    return BY_NAME[name].title


def kind(name: str) -> str:
    f = BY_NAME.get(name)
    return f.kind if f else COUNT


# --- display ----------------------------------------------------------------------------------

def as_date(value) -> dt.date | None:
    """A date from a date, a datetime or an ISO string (figures may come back from JSON)."""
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


def chinese_date(value) -> str:
    """2026年11月27日; '—' for no date."""
    d = as_date(value)
    return f"{d.year}年{d.month}月{d.day}日" if d else "—"


def short_date(value) -> str:
    d = as_date(value)
    return f"{d.month}月{d.day}日" if d else "—"


def percent(value: float | None) -> str:
    """0.595 -> '59.5%' (one decimal, halves up, as metrics.md says); None -> '—'."""
    if value is None:
        return "—"
    return f"{(Decimal(str(value)) * 100).quantize(Decimal('0.1'), rounding=ROUND_HALF_UP)}%"


def points(current: float | None, previous: float | None) -> float | None:
    """The change of a rate in percentage points, one decimal (0.579 against 0.554 -> 2.5)."""
    if current is None or previous is None:
        return None
    return float((Decimal(str(current)) * 100 - Decimal(str(previous)) * 100).quantize(
        Decimal("0.1"), rounding=ROUND_HALF_UP))


def number(value) -> str:
    if value is None:
        return "—"
    if isinstance(value, float) and not value.is_integer():
        return f"{value:.1f}"
    return f"{int(value)}"


def show(name: str, value) -> str:
    """A figure's value as the report prints it: 59.5%, 37天, 496; '—' for none."""
    k = kind(name)
    if k == RATE:
        return percent(value)
    if k == DAYS:
        return "—" if value is None else f"{number(value)}天"
    if k == LIST:
        return "、".join(map(str, value or [])) or "无"
    return number(value)


def with_unit(name: str, value) -> str:
    """A count with its unit (20个, 156家); a rate or days as show() prints them."""
    text = show(name, value)
    f = BY_NAME.get(name)
    return text + f.unit if f and f.kind == COUNT and value is not None else text
