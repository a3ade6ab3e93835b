"""The report's charts as PNG bytes (matplotlib, Agg, no pyplot state), labelled in Chinese.

A chart needs a CJK font: without one every label would print as empty boxes, so a machine
without any raises FontMissing saying which package to install.
"""

from __future__ import annotations

import glob
import io
import logging
import shutil
import subprocess
from functools import cache

from grassroots.report import view

log = logging.getLogger(__name__)

PREFERRED_FONTS = (
    "Noto Sans CJK SC", "Source Han Sans SC", "Noto Sans SC", "WenQuanYi Micro Hei", "WenQuanYi Zen Hei",
    "Microsoft YaHei", "PingFang SC", "SimHei", "Droid Sans Fallback", "Noto Sans CJK JP", "AR PL UMing CN",
)
FONT_FILES = (  # where Debian's CJK font packages put them
    "/usr/share/fonts/opentype/noto/NotoSansCJK-*.ttc",
    "/usr/share/fonts/truetype/wqy/*.ttc",
    "/usr/share/fonts/truetype/droid/DroidSansFallback*.ttf",
)
WIDTH_IN = 6.8  # inches; at DPI this is twice the 680 px the mail shows, so it stays sharp
DPI = 200
SUBSTANTIVE_OPEN, RESOLVED = "取得实质性进展（未办结）", "已办结（销号）"
STATUS_COLORS = {"未启动": "#c4ccd6", "推进中": "#f0b64a", SUBSTANTIVE_OPEN: "#4a8fd9", RESOLVED: "#2e9e5b"}
INK, GRID = "#2b3a4a", "#e3e8ee"


class FontMissing(RuntimeError):
    def __init__(self):
        super().__init__(
            "No CJK font for the report's charts: install one (Debian: apt-get install fonts-noto-cjk, "
            "or fonts-wqy-microhei) and run again. / 报告图表缺少中文字体，请安装 fonts-noto-cjk 后重试。")


@cache
def cjk_font() -> str:
    """The family name of an installed CJK font, registering system fonts matplotlib's cache missed."""
    from matplotlib import font_manager

    def pick() -> str | None:
        names = {f.name for f in font_manager.fontManager.ttflist}
        return next((n for n in PREFERRED_FONTS if n in names), None)

    if found := pick():
        return found
    # The font cache predates the font package: register the files directly, the likeliest first.
    for paths in (_known_font_files(), _fc_list_files()):
        for path in paths:
            try:
                font_manager.fontManager.addfont(path)
            except (OSError, RuntimeError, ValueError) as e:
                log.warning("cannot load font %s: %s", path, e)
        if found := pick():
            return found
    raise FontMissing()


def _known_font_files() -> list[str]:
    return [p for pattern in FONT_FILES for p in sorted(glob.glob(pattern))]


def _fc_list_files() -> list[str]:
    if not shutil.which("fc-list"):
        return []
    out = subprocess.run(["fc-list", ":lang=zh", "file"], capture_output=True, text=True, check=False).stdout
    return sorted({line.split(":")[0].strip() for line in out.splitlines() if line.strip()})


def _figure(height_in: float):
    from matplotlib.figure import Figure

    fig = Figure(figsize=(WIDTH_IN, height_in), dpi=DPI)
    fig.patch.set_facecolor("white")
    return fig


def _png(fig) -> bytes:
    """PNG bytes, reduced to a palette: a third of the size, the same look (flat colours and text)."""
    from PIL import Image

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI, bbox_inches="tight", pad_inches=0.12, facecolor="white",
                metadata={"Software": None})
    with Image.open(io.BytesIO(buf.getvalue())) as image:
        palette = image.convert("RGB").quantize(colors=128, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
    out = io.BytesIO()
    palette.save(out, format="PNG", optimize=True)
    return out.getvalue()


def _style(ax) -> None:
    for side in ("top", "right", "left"):
        ax.spines[side].set_visible(False)
    ax.spines["bottom"].set_color(GRID)
    ax.tick_params(colors=INK, labelsize=9, length=0)


def status_chart(rows: list[dict], *, title: str) -> bytes:
    """Stacked horizontal bars: each district's (or town's) cases by status, its rate at the end."""
    import matplotlib

    rows = [r for r in rows if r.get("total")]
    with matplotlib.rc_context({"font.family": [cjk_font(), "DejaVu Sans"], "axes.unicode_minus": False}):
        fig = _figure(1.3 + 0.36 * max(len(rows), 1))
        ax = fig.add_subplot()
        _style(ax)
        names = [str(r["key"]) for r in rows][::-1]
        ys = list(range(len(names)))  # positions, not names: two rows may share a name
        segments = {status: [] for status in STATUS_COLORS}
        for r in rows[::-1]:
            substantive_open = (r.get("substantive") or 0) - (r.get("resolved") or 0)
            segments["未启动"].append(r.get("not_started") or 0)
            segments["推进中"].append(max((r.get("in_progress") or 0) - substantive_open, 0))
            segments[SUBSTANTIVE_OPEN].append(max(substantive_open, 0))
            segments[RESOLVED].append(r.get("resolved") or 0)
        left = [0] * len(names)
        for status, values in segments.items():
            ax.barh(ys, values, left=left, color=STATUS_COLORS[status], label=status, height=0.62,
                    edgecolor="white", linewidth=0.6)
            left = [a + b for a, b in zip(left, values, strict=True)]
        widest = max(left or [1]) or 1
        for y, (end, r) in enumerate(zip(left, rows[::-1], strict=True)):
            ax.text(end + widest * 0.012, y, f"{r.get('total') or 0}（{view.percent(r.get('substantive_rate'))}）",
                    va="center", ha="left", fontsize=8.5, color=INK)
        ax.set_yticks(ys, names)
        ax.set_ylim(-0.6, len(names) - 0.4)
        ax.set_xlim(0, widest * 1.2)
        ax.xaxis.grid(True, color=GRID, linewidth=0.8)
        ax.set_axisbelow(True)
        ax.set_title(title, loc="left", fontsize=11.5, color=INK, fontweight="bold", pad=26)
        ax.legend(loc="lower left", bbox_to_anchor=(0, 1.0), ncol=4, frameon=False, fontsize=8.5,
                  handlelength=1.2, columnspacing=1.0, borderaxespad=0.2)
        return _png(fig)


def trend_chart(points: list[dict], *, title: str) -> bytes:
    """Cases and those with substantive progress at each report date, the rate above the bars."""
    import matplotlib

    with matplotlib.rc_context({"font.family": [cjk_font(), "DejaVu Sans"], "axes.unicode_minus": False}):
        fig = _figure(2.4)
        ax = fig.add_subplot()
        _style(ax)
        xs = list(range(len(points)))
        totals = [p.get("total") or 0 for p in points]
        substantive = [p.get("substantive") or 0 for p in points]
        width = 0.36
        ax.bar([x - width / 2 for x in xs], totals, width, color="#c9d9ec", label="累计梳理问题")
        ax.bar([x + width / 2 for x in xs], substantive, width, color="#4a8fd9", label="取得实质性进展（含已办结）")
        top = max(totals or [1]) or 1
        for x, p, s in zip(xs, points, substantive, strict=True):
            ax.text(x + width / 2, s + top * 0.02, view.percent(p.get("substantive_rate")), ha="center",
                    va="bottom", fontsize=8, color="#1f5fa8")
        ax.set_xticks(xs, [view.short_date(p.get("as_of")) for p in points])
        ax.set_ylim(0, top * 1.18)
        ax.yaxis.grid(True, color=GRID, linewidth=0.8)
        ax.set_axisbelow(True)
        ax.set_title(title, loc="left", fontsize=11.5, color=INK, fontweight="bold", pad=26)
        ax.legend(loc="lower left", bbox_to_anchor=(0, 1.0), ncol=2, frameon=False, fontsize=8.5,
                  handlelength=1.2, borderaxespad=0.2)
        return _png(fig)
