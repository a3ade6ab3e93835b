"""What the report says, as display text: labels, numbers, rates and changes, in Chinese.

The HTML and plain-text templates and the attachment all read their words from here, so the
three never disagree on a label or a number.
"""

from __future__ import annotations

from dataclasses import dataclass

from grassroots import contract, figures

CITY = contract.SCOPE_CITY
PERIOD_NAMES = {"week": "周报", "month": "月报"}
PREVIOUS_NAMES = {"week": "上周", "month": "上月"}
OVERDUE_IN_MAIL = 20
LEADERS_IN_MAIL = 30
MISSING_NAMES = {"contact": "联系基层", "problem": "破解难题"}

DUE_SOON_IN_MAIL = 20

# the display helpers, shared with the metrics command line and the operators' page
as_date, chinese_date, short_date = figures.as_date, figures.chinese_date, figures.short_date
percent, number, show, with_unit = figures.percent, figures.number, figures.show, figures.with_unit


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
    kind = figures.kind(name)
    diff = figures.points(current, previous) if kind == figures.RATE else current - previous
    if abs(diff) < (0.05 if kind != "count" else 0.5):
        return Change("持平", "same")
    arrow = "↑" if diff > 0 else "↓"
    if kind == "rate":
        text = f"{arrow}{abs(diff):.1f}个百分点"
    elif kind == "days":
        text = f"{arrow}{number(abs(round(diff, 1)))}天"
    else:
        text = f"{arrow}{number(abs(diff))}"
    better = figures.figure(name).better if name in figures.BY_NAME else None
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
