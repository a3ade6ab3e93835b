"""Render a report mail's HTML in headless Chromium at a given width: what fits, what text is too
small, and a full-page screenshot (kept under test-artifacts/ for a person to look at)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from html import escape, unescape
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--hide-scrollbars",
         "--disable-component-update", "--disable-sync", "--no-first-run", "--force-device-scale-factor=1")

# Headless Chromium will not make a window narrower than 500 px, so the mail is laid out in an
# iframe of the phone's width (srcdoc: same origin, so the page around it can measure it): its
# scroll width against the frame's, the elements that stick out, and the text set smaller than
# 14 px, written into the page for --dump-dom to print.
WRAPPER = """<!DOCTYPE html><html><body style="margin:0;background:#fff;">
<iframe id="mail" scrolling="no" style="display:block;border:0;width:{width}px;height:{height}px;"
 srcdoc="{srcdoc}" onload="probe()"></iframe>
<pre id="probe"></pre>
<script>
function probe() {
  var w = document.getElementById('mail').contentWindow, doc = w.document, d = doc.documentElement;
  var small = [], wide = [];
  doc.body.querySelectorAll('*').forEach(function (el) {
    var own = Array.prototype.some.call(el.childNodes, function (n) { return n.nodeType === 3 && n.textContent.trim(); });
    var size = parseFloat(w.getComputedStyle(el).fontSize);
    if (own && size < 14) small.push(el.tagName + ' ' + size + 'px ' + el.textContent.trim().slice(0, 20));
    if (el.getBoundingClientRect().right > w.innerWidth + 0.5) wide.push(el.tagName + '.' + el.className);
  });
  document.getElementById('probe').textContent = JSON.stringify({scrollWidth: d.scrollWidth,
    innerWidth: w.innerWidth, height: d.scrollHeight, small: small, wide: wide.slice(0, 12)});
}
</script></body></html>"""


def chromium() -> str | None:
    for name in ("/usr/bin/chromium", "chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    return None


def render(html: str, width: int, work: Path, shot: Path | None = None) -> dict:
    """Lay the mail out `width` px wide; the probe's measures, and a full-page PNG at `shot`."""
    browser = chromium()
    work.mkdir(parents=True, exist_ok=True)
    page = work / f"mail_{width}.html"
    profile = f"--user-data-dir={work / 'profile'}"
    window = max(width, 500)

    def run(height: int, *args: str) -> str:
        page.write_text(WRAPPER.replace("{width}", str(width)).replace("{height}", str(height))
                        .replace("{srcdoc}", escape(html, quote=True)), encoding="utf-8")
        return subprocess.run([browser, *FLAGS, profile, f"--window-size={window},{height}", *args, page.as_uri()],
                              check=True, capture_output=True, text=True, timeout=180).stdout

    dom = run(900, "--dump-dom")
    probe = json.loads(unescape(re.search(r'<pre id="probe">(.*?)</pre>', dom, re.S).group(1)))
    if shot is not None:
        from PIL import Image

        shot.parent.mkdir(parents=True, exist_ok=True)
        shot.unlink(missing_ok=True)
        run(probe["height"], f"--screenshot={shot}")
        with Image.open(shot) as image:
            image.crop((0, 0, width, probe["height"])).save(shot)
    return probe
