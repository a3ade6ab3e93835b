"""The summary report built from figures: what the leaders read in the mail, the charts, the attachment."""

from __future__ import annotations

import email
import email.policy
import io
import re
import shutil
import subprocess
from pathlib import Path

import openpyxl
import pytest

from grassroots.report import build_message, build_report
from grassroots.report.build import STATUS_CID, TREND_CID
from tests.samples import report as samples

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"


@pytest.fixture(scope="module")
def city():
    return build_report(samples.figures(), samples.previous(), period="week", scope="全市")


@pytest.fixture(scope="module")
def district():
    return build_report(samples.figures("海曙区"), samples.previous("海曙区"), period="week", scope="海曙区")


def visible_text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_subject_names_scope_period_and_date(city, district):
    assert city.subject == "【基层走访】全市周报（截至2026年11月27日）"
    assert district.subject == "【基层走访】海曙区周报（截至2026年11月27日）"
    monthly = build_report(samples.figures(), None, period="month", scope="全市")
    assert monthly.subject == "【基层走访】全市月报（截至2026年11月27日）"


def test_headline_sentence_comes_first(city):
    headline = samples.figures()["headline"]
    text = visible_text(city.html)
    assert text.index(headline) < text.index("一、总体情况")
    body = city.text.split("\n\n", 1)[1]
    assert body.strip().startswith(headline)


def test_headline_figures_with_their_change_since_last_week(city):
    now, before = samples.figures(), samples.previous()
    assert (now["total"], before["total"]) == (254, 240)
    assert (now["substantive"], before["substantive"]) == (147, 133)
    for part in (city.text, visible_text(city.html)):
        assert "累计梳理问题" in part and "254" in part
        assert "较上周 ↑14" in part  # total and substantive both grew by 14
        assert "占比 57.9%" in part and "↑2.5个百分点" in part  # 57.9% against 55.4%
        assert "逾期未办结" in part and "↑13" in part  # 25 against 12
    assert "取得实质性进展：147个（较上周 ↑14）" in city.text
    assert "逾期未办结：25个（较上周 ↑13）" in city.text
    assert "包联单位已对接：5/7家（较上周 持平）" in city.text
    # a worse figure is red, a better one green
    assert re.search(r'color:#c62828;font-weight:bold;">↑13<', city.html)
    assert re.search(r'color:#1a7f37;font-weight:bold;">↑14<', city.html)


def test_first_report_has_no_changes():
    report = build_report(samples.figures(), None, period="week", scope="全市")
    assert "较上周 —" in report.text and "↑" not in report.text.split("三、")[0]


def test_table_by_district_for_the_city_by_town_for_a_district(city, district):
    assert "海曙区：96 / 52 / 54.2% / ↑6 / 34 / 9" in city.text
    assert "合计：254 / 147 / 57.9% / ↑14 / 94 / 25" in city.text
    html = visible_text(city.html)
    assert "三、各区县情况" in html and "慈溪市 72 40 55.6% ↑4 25 10" in html
    assert "三、各街道（镇乡）情况" in visible_text(district.html)
    assert "章水镇：40 / 24 / 60.0% / ↑2 / 16 / 3" in district.text
    assert "鄞州区" not in district.text and "慈溪市" not in district.html


def test_overdue_list_longest_first_twenty_in_the_mail(city):
    cases = samples.figures()["overdue_cases"]
    assert len(cases) == 25
    lines = [line for line in city.text.splitlines() if "已逾期" in line]
    assert len(lines) == 20
    assert lines[0].strip().startswith("1. [慈溪市] 慈-掌-004 掌起镇老旧小区雨污分流改造第4期：责任单位 市住建局，责任人 责任人25")
    assert lines[0].endswith("已逾期75天") and lines[-1].endswith("已逾期18天")
    assert "以下为逾期时间最长的20个，完整清单见附件" in city.text
    html = visible_text(city.html)
    assert "责任人25" in html and "75天" in html and "责任人5 " not in html  # the 21st is only in the attachment


def test_units_not_in_contact_and_leaders_falling_short(city, district):
    assert "未与对应街道（镇乡）联系对接的单位（2家）：市档案馆、市委党史研究室" in city.text
    assert "- 赵敏（市档案馆）：尚未联系基层、破解难题" in city.text
    assert "钱进" in city.html and "市委党史研究室" in city.html
    assert "家包联单位已全部与对应街道（镇乡）联系对接" in district.text


def test_footnote_on_submissions(city):
    assert "本期各区县共报送文件6个，接收2个，退回2个（退回行数：完成时限不是日期 4行；办理状态不在下拉选项中 2行）" in city.text
    assert "未报送问题清单：慈溪市（最新清单截至2026年11月13日）" in city.text
    assert "慈溪市（最新清单截至2026年11月13日）" in visible_text(city.html)


def test_html_is_safe_for_mail_clients(city):
    html = city.html.lower()
    assert "<script" not in html and "<style" not in html and "<link" not in html
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:|//)""", html)
    assert "url(" not in html
    cids = set(re.findall(r'src="cid:([^"]+)"', city.html))
    assert cids == set(city.images) == {TREND_CID, STATUS_CID}
    for png in city.images.values():
        assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 10_000


def test_message_structure(city):
    msg = build_message(city, sender="基层走访 <report@example.gov.cn>", recipients=["a@example.gov.cn"])
    parsed = email.message_from_bytes(msg.as_bytes(), policy=email.policy.default)
    assert parsed["Subject"] == city.subject
    assert parsed["To"] == "a@example.gov.cn"
    assert parsed.get_content_type() == "multipart/mixed"
    alternative, attachment = parsed.get_payload()
    assert alternative.get_content_type() == "multipart/alternative"
    plain, related = alternative.get_payload()
    assert plain.get_content_type() == "text/plain" and plain.get_content() == city.text
    assert related.get_content_type() == "multipart/related"
    html, *images = related.get_payload()
    assert html.get_content_type() == "text/html" and html.get_content() == city.html
    assert {i["Content-ID"] for i in images} == {f"<{cid}>" for cid in city.images}
    assert all(i.get_content_type() == "image/png" and i.get_content_disposition() == "inline" for i in images)
    assert attachment.get_filename() == "基层走访全市周报_2026-11-27.xlsx"
    assert attachment.get_content() == city.attachment


def test_attachment_holds_every_figure_and_list(city):
    wb = openpyxl.load_workbook(io.BytesIO(city.attachment))
    for sheet in ("汇总", "分区县", "分街道", "分来源", "逾期问题", "未对接单位", "未达要求领导", "报送情况"):
        assert sheet in wb.sheetnames
    summary = {row[1]: row[2:5] for row in wb["汇总"].iter_rows(min_row=5, values_only=True)}
    figures = samples.figures()
    for name in ("total", "substantive", "resolved", "overdue", "due_soon", "visits", "pairs_covered",
                 "leaders_with_contact", "accountable", "median_days_to_resolve"):
        assert summary[name][0] == figures[name], name
    assert summary["total"][1:] == (240, 14)
    assert summary["substantive_rate"][0] == pytest.approx(figures["substantive_rate"])
    assert summary["headline"][0] == figures["headline"]

    def table(sheet):
        rows = list(wb[sheet].iter_rows(min_row=2, values_only=True))
        return [dict(zip(rows[0], r, strict=True)) for r in rows[1:]]

    overdue = table("逾期问题")
    assert len(overdue) == 25 and overdue[0]["days_overdue"] == 75 and overdue[-1]["days_overdue"] == 3
    assert overdue[0]["responsible_person"] == "责任人25"
    assert [r["key"] for r in table("分区县")] == ["海曙区", "鄞州区", "慈溪市"]
    assert table("分区县")[0]["substantive"] == 52
    assert len(table("分街道")) == 7
    assert [r["units_not_in_contact"] for r in table("未对接单位")] == ["市档案馆", "市委党史研究室"]
    assert table("未达要求领导")[0] == {"name": "赵敏", "unit": "市档案馆", "missing": "联系基层、破解难题"}
    submissions = {r["district"]: r for r in table("报送情况")}
    assert submissions["慈溪市"]["submitted"] == "否" and submissions["海曙区"]["accepted"] == 1


def test_text_copied_from_a_ledger_never_becomes_a_formula():
    figures = samples.figures()
    figures["overdue_cases"][0]["title"] = "=HYPERLINK(\"http://x\",\"点我\")"
    report = build_report(figures, None, period="week", scope="全市")
    cell = openpyxl.load_workbook(io.BytesIO(report.attachment))["逾期问题"]["C3"]
    assert cell.data_type == "s" and cell.value.startswith("=HYPERLINK")
    assert "=HYPERLINK(&#34;http://x&#34;" in report.html or "=HYPERLINK(&quot;" in report.html


def _chromium() -> str | None:
    for name in ("/usr/bin/chromium", "chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    return None


@pytest.mark.parametrize("scope", ["全市", "海曙区"])
def test_renders_in_a_browser(scope, tmp_path):
    """The HTML as a mail client shows it (charts inlined), screenshotted into test-artifacts/."""
    chromium = _chromium()
    if chromium is None:
        pytest.skip("chromium not found (Debian: apt-get install chromium); the screenshot is not taken")
    report = build_report(samples.figures(scope), samples.previous(scope), period="week", scope=scope)
    page = tmp_path / "report.html"
    page.write_text(report.browser_html(), encoding="utf-8")
    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / f"report_{'city' if scope == '全市' else 'district'}.png"
    shot.unlink(missing_ok=True)
    height = 3400 if scope == "全市" else 2600  # the whole page
    subprocess.run(
        [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run", f"--user-data-dir={tmp_path / 'profile'}",
         f"--screenshot={shot}", f"--window-size=1000,{height}", page.as_uri()],
        check=True, capture_output=True, timeout=180)
    from PIL import Image

    with Image.open(shot) as image:
        assert image.size == (1000, height)
        # the page is not blank: the header band is the brand blue
        assert image.convert("RGB").getpixel((500, 40)) == (0x1F, 0x4E, 0x79)
