"""The figure catalogue says what metrics.md says; the attention sentence follows the figures."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from grassroots import figures, metrics
from tests.samples import report as samples

SPEC = Path(__file__).resolve().parents[4] / "shared" / "spec" / "metrics.md"
SPEC_LABELS = {  # metrics.md, "Cases" and "Visits and pairing": name -> Chinese label
    "total": "累计梳理问题", "not_started": "未启动", "in_progress": "推进中", "substantive": "取得实质性进展",
    "resolved": "已办结（销号）", "substantive_rate": "实质性进展率", "resolution_rate": "办结率",
    "overdue": "逾期未办结", "due_soon": "临期（7日内）", "accountable": "责任落实", "new_in_period": "本期新增",
    "resolved_in_period": "本期办结", "median_days_to_resolve": "平均办结用时（中位数）", "visits": "走访次数",
    "visits_in_period": "走访次数", "towns_covered": "覆盖街道（镇乡）", "towns_total": "覆盖街道（镇乡）",
    "pairs_covered": "包联覆盖率", "pairs_total": "包联覆盖率", "units_not_in_contact": "未对接单位",
    "leaders_with_contact": "领导干部联系基层", "leaders_total": "领导干部联系基层",
    "leaders_with_problem": "领导干部破解难题", "leaders_falling_short": "未达要求领导",
}


def spec_labels() -> dict[str, str]:
    """name -> label from the spec's tables when the spec is at hand, else the copy above."""
    if not SPEC.exists():
        return SPEC_LABELS
    out = {}
    for line in SPEC.read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) >= 4 and "`" in cells[1]:
            for name in re.findall(r"`(\w+)`", cells[1]):
                out[name] = cells[2]
    return out


def test_every_figure_has_the_spec_label():
    labels = spec_labels()
    assert labels == SPEC_LABELS  # the copy above is the spec's
    for name, label in labels.items():
        assert figures.label(name) == label, name
    assert set(metrics.FIGURES) <= set(figures.NAMES)
    titles = [f.title for f in figures.FIGURES]
    assert len(titles) == len(set(titles))  # a table never shows two figures under one name


@pytest.mark.parametrize(("value", "text"), [(0.595, "59.5%"), (0.0005, "0.1%"), (1, "100.0%"), (None, "—")])
def test_percent(value, text):
    assert figures.percent(value) == text


def test_rate_changes_are_percentage_points():
    assert figures.points(0.579, 0.554) == 2.5
    assert figures.points(0.5, None) is None
    from grassroots.report import view

    assert view.change("substantive_rate", 0.579, 0.554).text == "↑2.5个百分点"
    assert view.change("overdue", 20, 12).text == "↑8" and view.change("overdue", 20, 12).tone == "bad"


def test_attention_names_overdue_due_soon_and_who_is_behind():
    now, before = samples.figures(), samples.previous()
    assert metrics.attention(now, before) == "需要关注：逾期未办结问题25个，比上周增加13个；另有7个问题将在7日内到期。"
    assert metrics.attention(dict(now, overdue=0, due_soon=0), None) == "需要关注：没有逾期未办结的问题；7日内没有到期的问题。"
    assert metrics.attention(dict(now, overdue=0), before).startswith("需要关注：逾期未办结问题已清零（上周12个）；")
    behind = dict(now, breakdowns=dict(now["breakdowns"], by_district=[
        dict(r, substantive_rate=rate) for r, rate in zip(now["breakdowns"]["by_district"], (0.44, 0.6, 0.455),
                                                          strict=True)]))
    assert metrics.attention(behind, before, period="month").endswith(
        "比上月增加13个；另有7个问题将在7日内到期；实质性进展率明显低于全市（57.9%）的区县：海曙区（44.0%）、慈溪市（45.5%）。")
    district = samples.figures("海曙区")
    assert metrics.attention(district, samples.previous("海曙区")).endswith(
        "实质性进展率明显低于本区县（54.2%）的街道（镇乡）：古林镇（38.5%）。")
