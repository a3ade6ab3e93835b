"""What the report says, as display text: labels, numbers, rates and changes, in Chinese.

The HTML and plain-text templates and the attachment all read their words from here, so the
three never disagree on a label or a number.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from grassroots import contract

CITY = contract.SCOPE_CITY
PERIOD_NAMES = {"week": "周报", "month": "月报"}
PREVIOUS_NAMES = {"week": "上周", "month": "上月"}
OVERDUE_IN_MAIL = 20
LEADERS_IN_MAIL = 30
MISSING_NAMES = {"contact": "联系基层", "problem": "破解难题"}

# (name, Chinese label, kind, which way is better) -- kind: count | rate | days
FIGURES: tuple[tuple[str, str, str, str | None], ...] = (
    ("total", "累计梳理问题", "count", None),
    ("not_started", "未启动", "count", "down"),
    ("in_progress", "推进中", "count", None),
    ("substantive", "取得实质性进展", "count", "up"),
    ("resolved", "已办结（销号）", "count", "up"),
    ("substantive_rate", "实质性进展率", "rate", "up"),
    ("resolution_rate", "办结率", "rate", "up"),
    ("overdue", "逾期未办结", "count", "down"),
    ("due_soon", "临期（7日内）", "count", "down"),
    ("open_cases", "未办结问题", "count", None),
    ("accountable", "责任落实", "count", "up"),
    ("accountable_rate", "责任落实率", "rate", "up"),
    ("new_in_period", "本期新增", "count", None),
    ("resolved_in_period", "本期办结", "count", "up"),
    ("median_days_to_resolve", "平均办结用时（中位数）", "days", "down"),
    ("visits", "累计走访次数", "count", "up"),
    ("visits_in_period", "本期走访次数", "count", "up"),
    ("visits_reported_late", "本期补报走访次数", "count", None),
    ("towns_covered", "覆盖街道（镇乡）", "count", "up"),
    ("towns_total", "街道（镇乡）总数", "count", None),
    ("pairs_covered", "包联已对接", "count", "up"),
    ("pairs_total", "包联结对总数", "count", None),
    ("leaders_with_contact", "领导干部联系基层", "count", "up"),
    ("leaders_with_problem", "领导干部破解难题", "count", "up"),
    ("leaders_total", "领导干部总数", "count", None),
)
LABELS = {name: label for name, label, _, _ in FIGURES}
KINDS = {name: kind for name, _, kind, _ in FIGURES}
BETTER = {name: better for name, _, _, better in FIGURES}

# Columns of a breakdown table: (name, Chinese label)
BREAKDOWN_COLUMNS = (
    ("total", "问题数"), ("not_started", "未启动"), ("in_progress", "推进中"), ("substantive", "实质性进展"),
    ("substantive_rate", "进展率"), ("resolved", "已办结"), ("resolution_rate", "办结率"), ("overdue", "逾期"),
    ("due_soon", "临期"), ("open_cases", "未办结"), ("accountable", "责任落实"),
)


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
    d = as_date(value)
    return f"{d.year}年{d.month}月{d.day}日" if d else "—"


def short_date(value) -> str:
    d = as_date(value)
    return f"{d.month}月{d.day}日" if d else "—"


def percent(rate) -> str:
    """59.5%: one decimal, as the metrics spec says; '—' where there is nothing to divide."""
    from grassroots.metrics import percent as metrics_percent

    return metrics_percent(rate)


def number(value) -> str:
    if value is None:
        return "—"
    if isinstance(value, float) and not value.is_integer():
        return f"{value:.1f}"
    return f"{int(value)}"


def show(name: str, value) -> str:
    kind = KINDS.get(name, "count")
    if kind == "rate":
        return percent(value)
    if kind == "days":
        return "—" if value is None else f"{number(value)}天"
    return number(value)


@dataclass(frozen=True)
class Change:
    """A figure's change against the previous period, ready to print."""

    text: str  # ↑12, ↓1.5个百分点, 持平, or — (no previous figure)
    tone: str  # good | bad | same | none

    @property
    def color(self) -> str:
        return {"good": "#1a7f37", "bad": "#c62828"}.get(self.tone, "#6b7785")


def change(name: str, current, previous) -> Change:
    if current is None or previous is None:
        return Change("—", "none")
    kind = KINDS.get(name, "count")
    diff = (current - previous) * (100 if kind == "rate" else 1)
    if abs(diff) < (0.05 if kind != "count" else 0.5):
        return Change("持平", "same")
    arrow = "↑" if diff > 0 else "↓"
    if kind == "rate":
        text = f"{arrow}{abs(diff):.1f}个百分点"
    elif kind == "days":
        text = f"{arrow}{number(abs(round(diff, 1)))}天"
    else:
        text = f"{arrow}{number(abs(diff))}"
    better = BETTER.get(name)
    tone = "same" if better is None else ("good" if (diff > 0) == (better == "up") else "bad")
    return Change(text, tone)


def missing_text(missing) -> str:
    """A leader's unmet obligations, however the figures list them."""
    if missing is None:
        return ""
    items = [missing] if isinstance(missing, str) else list(missing)
    return "、".join(MISSING_NAMES.get(str(m), str(m)) for m in items)


def period_name(period: str) -> str:
    return PERIOD_NAMES.get(period, "报告")


def subject(scope: str, period: str, as_of) -> str:
    return f"【基层走访】{scope}{period_name(period)}（截至{chinese_date(as_of)}）"
