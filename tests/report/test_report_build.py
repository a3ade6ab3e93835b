"""The summary report built from figures: what the leaders read in the mail, the charts, the attachment."""

from __future__ import annotations

import email
import email.policy
import io
import re
from pathlib import Path

import openpyxl
import pytest

from grassroots.report import build_message, build_report
from grassroots.report.build import STATUS_CID, TREND_CID
from tests.samples import mail_browser
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
        assert "实质性进展率 57.9%" in part and "↑2.5个百分点" in part  # 57.9% against 55.4%
        assert "逾期未办结" in part and "↑13" in part  # 25 against 12
    assert "取得实质性进展：147个（较上周 ↑14）" in city.text
    assert "逾期未办结：25个（较上周 ↑13）" in city.text
    assert "包联覆盖率：71.4%（较上周 持平）；已对接 5/7家" in city.text
    assert "实质性进展率 57.9%（较上周 ↑2.5个百分点）" in city.text  # a rate's change in points
    # a worse figure is red, a better one green
    assert re.search(r'<span class="chg" style="[^"]*color: ?#c62828[^"]*">↑13<', city.html)
    assert re.search(r'<span class="chg" style="[^"]*color: ?#1a7f37[^"]*">↑14<', city.html)


def test_first_report_has_no_changes():
    report = build_report(samples.figures(), None, period="week", scope="全市")
    assert "较上周 —" in report.text and "↑" not in report.text.split("三、")[0]


def test_table_by_district_for_the_city_by_town_for_a_district(city, district):
    assert "海曙区：96 / 52 / 54.2% / ↑6 / 9" in city.text
    assert "合计：254 / 147 / 57.9% / ↑14 / 25" in city.text
    html = visible_text(city.html)
    assert "三、各区县情况" in html and "慈溪市 72 40 55.6% ↑4 10" in html
    assert "取得实质性进展较上周" in html  # the change column says which figure
    assert "三、各街道（镇乡）情况" in visible_text(district.html)
    assert "章水镇：40 / 24 / 60.0% / ↑2 / 3" in district.text
    # 古林镇 at 38.5% is more than 10 points below the district's 54.2%: flagged
    assert "古林镇：26 / 10 / 38.5% / ↑2 / 4（实质性进展率明显偏低）" in district.text
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
    assert "未对接单位（2家）：市档案馆、市委党史研究室" in city.text
    assert "- 赵敏（市档案馆）：尚未联系基层、破解难题" in city.text
    assert "钱进" in city.html and "市委党史研究室" in city.html
    assert "家包联单位已全部与对应街道（镇乡）联系对接" in district.text


def test_footnote_on_submissions(city):
    assert "本期各区县共报送文件6个，接收2个，退回2个（退回行数：完成时限不是日期 4行；办理状态不在下拉选项中 2行）" in city.text
    assert "未报送问题清单：慈溪市（最新清单截至2026年11月13日）" in city.text
    assert "慈溪市（最新清单截至2026年11月13日）" in visible_text(city.html)


def test_html_is_safe_for_mail_clients(city):
    html = city.html.lower()
    assert "<script" not in html and "<link" not in html
    # every rule is inlined; the one <style> left holds only the phone tweaks (@media)
    styles = re.findall(r"<style[^>]*>(.*?)</style>", html, re.S)
    assert len(styles) == 1 and styles[0].strip().startswith("@media") and styles[0].count("{") == styles[0].count(
        "@media") + 3
    assert re.search(r'<div class="card" style="[^"]*display: ?inline-block', city.html)
    assert re.search(r'<h2 class="section" style="[^"]*font-size: ?18px', city.html)
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:|//)""", html)
    assert "url(" not in html
    cids = set(re.findall(r'src="cid:([^"]+)"', city.html))
    assert cids == set(city.images) == {TREND_CID, STATUS_CID}
    for png in city.images.values():
        assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 10_000


def test_message_structure(city):
    msg = build_message(city, sender="基层走访 <report@example.gov.cn>", recipients=["a@example.gov.cn"],
                        reply_to="基层走访工作专班 <office@example.gov.cn>")
    parsed = email.message_from_bytes(msg.as_bytes(), policy=email.policy.default)
    assert parsed["Subject"] == city.subject
    assert parsed["To"] == "a@example.gov.cn"
    assert parsed["Reply-To"].addresses[0].addr_spec == "office@example.gov.cn"
    assert parsed["Reply-To"].addresses[0].display_name == "基层走访工作专班"
    assert parsed["Date"].endswith("+0800")  # the campaign's zone, not UTC
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


@pytest.mark.parametrize("scope", ["全市", "宁波国家高新区"])  # a long name takes two encoded words
def test_attachment_name_reads_in_every_client(city, scope):
    """Python's parser (RFC 2231 aware) and a strict RFC 2047 reader of name= and filename= (what
    older Outlook and Foxmail read) both get the Chinese file name; no continuation parameters."""
    from email.header import decode_header, make_header

    from grassroots.report.build import Report

    report = Report(**{**city.__dict__, "attachment_name": f"基层走访{scope}周报_2026-11-27.xlsx"})
    raw = build_message(report, sender="report@example.gov.cn", recipients=["a@example.gov.cn"]).as_bytes()
    part = raw[raw.index(b"Content-Type: application/vnd"):].split(b"\n\n", 1)[0].decode("ascii")
    assert "*0" not in part and "*1" not in part  # no RFC 2231 continuations
    assert all(len(line) <= 78 for line in part.splitlines() if "=?utf-8?" in line)
    modern = email.message_from_bytes(raw, policy=email.policy.default)
    assert next(modern.iter_attachments()).get_filename() == report.attachment_name
    strict = email.message_from_bytes(raw)  # compat32: no RFC 2231 preference, raw parameters
    attached = next(p for p in strict.walk() if p.get_content_maintype() == "application")
    for param, header in (("name", "content-type"), ("filename", "content-disposition")):
        words = attached.get_param(param, header=header)
        assert isinstance(words, str) and words.startswith("=?utf-8?b?")
        assert all(len(w) <= 75 for w in words.split())  # RFC 2047: an encoded word is at most 75 characters
        assert str(make_header(decode_header(words))) == report.attachment_name


def _sheet(book, name: str) -> list[dict]:
    """A sheet's rows as dicts keyed by the (Chinese) header row."""
    rows = list(book[name].iter_rows(values_only=True))
    return [dict(zip(rows[0], r, strict=True)) for r in rows[1:]]


def test_attachment_holds_every_figure_and_list(city):
    import datetime as dt

    wb = openpyxl.load_workbook(io.BytesIO(city.attachment))
    for sheet in ("汇总", "分区县", "分街道", "分包联单位", "分来源", "逾期问题", "临期问题", "未对接单位", "未达要求领导",
                  "报送情况", "字段说明"):
        assert sheet in wb.sheetnames
    summary = {row[0]: row[1:4] for row in wb["汇总"].iter_rows(values_only=True) if row[0]}
    figures = samples.figures()
    from grassroots import figures as catalogue

    for name in ("total", "substantive", "resolved", "overdue", "due_soon", "visits", "pairs_covered",
                 "leaders_with_contact", "accountable", "median_days_to_resolve"):
        assert summary[catalogue.title(name)][0] == figures[name], name
    assert summary["累计梳理问题"] == (254, 240, 14)
    assert summary["实质性进展率"][0] == pytest.approx(figures["substantive_rate"])
    assert summary["实质性进展率"][2] == 2.5  # percentage points
    assert summary["开篇语"][0] == figures["headline"]
    assert summary["需要关注"][0].startswith("需要关注：逾期未办结问题25个")

    overdue = _sheet(wb, "逾期问题")
    assert len(overdue) == 25 and overdue[0]["逾期天数"] == 75 and overdue[-1]["逾期天数"] == 3
    assert overdue[0]["责任人"] == "责任人25"
    assert overdue[0]["完成时限"] == dt.datetime(2026, 9, 13)  # a date, not text
    due = _sheet(wb, "临期问题")
    assert [r["剩余天数"] for r in due] == [0, 1, 2, 3, 4, 5, 6]
    assert due[3]["责任单位"] is None and due[3]["责任人"] is None  # empty, not "None"
    assert [r["区县"] for r in _sheet(wb, "分区县")] == ["海曙区", "鄞州区", "慈溪市"]
    assert _sheet(wb, "分区县")[0]["取得实质性进展"] == 52
    towns = _sheet(wb, "分街道")
    assert len(towns) == 7 and list(towns[0])[:2] == ["街道（镇乡）", "区县"]
    assert (towns[0]["街道（镇乡）"], towns[0]["区县"]) == ("章水镇", "海曙区")
    assert [r["单位"] for r in _sheet(wb, "未对接单位")] == ["市档案馆", "市委党史研究室"]
    assert _sheet(wb, "未达要求领导")[0] == {"姓名": "赵敏", "职务": None, "单位": "市档案馆", "未达要求": "联系基层、破解难题"}
    submissions = {r["区县"]: r for r in _sheet(wb, "报送情况")}
    assert submissions["慈溪市"]["本期已报送"] == "否" and submissions["海曙区"]["接收"] == 1
    assert submissions["慈溪市"]["最新清单截至日期"] == dt.datetime(2026, 11, 13)
    notes = _sheet(wb, "字段说明")
    assert {"工作表": "分区县", "列名": "实质性进展率", "字段名": "substantive_rate",
            "说明": "取得实质性进展 ÷ 累计梳理问题"} in notes


def test_attachment_reads_like_a_report_not_a_dump(city, district):
    """One Chinese header row with the filters on it, no "None", no English, dates as dates, the
    paired town beside a unit, 无 on an empty list, frozen header, columns as wide as their text."""
    for report in (city, district):
        wb = openpyxl.load_workbook(io.BytesIO(report.attachment))
        for ws in wb.worksheets:
            values = [c.value for row in ws.iter_rows() for c in row]
            assert "None" not in values and not any(isinstance(v, str) and "None" in v for v in values), ws.title
            assert not any(isinstance(v, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", v) for v in values), ws.title
            if ws.title in ("汇总", "字段说明"):
                continue
            header = [c.value for c in ws[1]]
            assert all(re.search(r"[\u4e00-\u9fff]", h) for h in header), (ws.title, header)
            assert ws.freeze_panes in ("A2", "B2"), ws.title
            if ws.max_row > 1 and ws["A2"].value != "无":
                assert ws.auto_filter.ref.startswith("A1:"), ws.title
            for j, h in enumerate(header, start=1):
                width = ws.column_dimensions[openpyxl.utils.get_column_letter(j)].width
                assert width >= sum(2 if ord(ch) > 0x2E80 else 1 for ch in h), (ws.title, h, width)
    wb = openpyxl.load_workbook(io.BytesIO(district.attachment))
    assert [c.value for c in wb["未对接单位"]["A"]] == ["单位", "无"]
    assert [c.value for c in wb["未达要求领导"]["A"]] == ["姓名", "无"]
    units = _sheet(openpyxl.load_workbook(io.BytesIO(city.attachment)), "分包联单位")
    assert list(units[0])[:2] == ["包联单位", "包联街道（镇乡）"]
    assert (units[0]["包联单位"], units[0]["包联街道（镇乡）"]) == ("市经信局", "姜山镇")
    themes = _sheet(openpyxl.load_workbook(io.BytesIO(city.attachment)), "分领域")
    assert all(r["问题领域"] for r in themes)


def test_district_mail_carries_its_own_supervision_list(district):
    """督办清单: every overdue and due-soon case of the district, with unit, person, deadline, days."""
    text = district.text
    assert "三、督办清单" in text and "督办清单" in visible_text(district.html)
    overdue = [line for line in text.splitlines() if "已逾期" in line]
    assert len(overdue) == 9  # all of 海曙区's, not only the first twenty of the city
    due = [line for line in text.splitlines() if "今日到期" in line or "还剩" in line]
    assert len(due) == 3
    assert "海-章-D01 章水镇农贸市场提升改造：责任单位 市商务局，责任人 经办人1，完成时限 2026年11月27日，今日到期" in text
    assert "海-石-D07 石碶街道农贸市场提升改造：责任单位 市商务局，责任人 经办人7，完成时限 2026年12月3日，还剩6天" in text


def test_headline_says_what_needs_attention(city, district):
    text = city.text.split("\n\n", 1)[1]
    assert "需要关注：逾期未办结问题25个，比上周增加13个；另有7个问题将在7日内到期。" in text
    assert "需要关注：逾期未办结问题9个，比上周增加6个；另有3个问题将在7日内到期；" in district.text
    assert "实质性进展率明显低于本区县（54.2%）的街道（镇乡）：古林镇（38.5%）。" in district.text
    # the headline's "其余107个" and the open cases reconcile in words
    assert "累计254个问题＝已办结94个＋取得实质性进展尚未办结53个＋尚未取得实质性进展107个（即上文“其余107个”）" in text
    assert "后两类合计160个，即下文的“未办结问题”" in text
    assert "责任落实：157/160个" in text
    html = visible_text(city.html)
    assert "需要关注：逾期未办结问题25个" in html and "临期（7日内）问题（7个）" in html


def test_the_last_line_says_whom_to_write_to():
    report = build_report(samples.figures("海曙区"), None, period="week", scope="海曙区",
                          reply_to="基层走访工作专班 <office@example.gov.cn>")
    assert "请直接回复本邮件，回复将发给基层走访工作专班（office@example.gov.cn）" in report.text
    assert "基层走访工作专班（office@example.gov.cn）" in visible_text(report.html)
    assert "请勿直接回复" not in report.text


def test_text_copied_from_a_ledger_never_becomes_a_formula():
    figures = samples.figures()
    figures["overdue_cases"][0]["title"] = "=HYPERLINK(\"http://x\",\"点我\")<b>"
    report = build_report(figures, None, period="week", scope="全市")
    cell = openpyxl.load_workbook(io.BytesIO(report.attachment))["逾期问题"]["C2"]
    assert cell.data_type == "s" and cell.value.startswith("=HYPERLINK")
    assert '=HYPERLINK("http://x","点我")&lt;b&gt;' in report.html  # text in the mail, never markup


@pytest.mark.parametrize("scope", ["全市", "海曙区"])
@pytest.mark.parametrize("width", [390, 1200])
def test_mail_fits_a_phone_and_a_desktop(scope, width, tmp_path):
    """The HTML as a mail client shows it (charts inlined) in headless Chromium: nothing wider than
    the window, no text under 14 px; the screenshots are kept in test-artifacts/ to look at."""
    if mail_browser.chromium() is None:
        pytest.skip("chromium not found (Debian: apt-get install chromium); the page is not rendered")
    report = build_report(samples.figures(scope), samples.previous(scope), period="week", scope=scope)
    shot = ARTIFACTS / f"report_{'city' if scope == '全市' else 'district'}_{width}.png"
    probe = mail_browser.render(report.browser_html(), width, tmp_path, shot)
    assert probe["innerWidth"] == width
    assert probe["scrollWidth"] <= width, probe["wide"]
    assert probe["small"] == []
    from PIL import Image

    with Image.open(shot) as image:
        assert image.size == (width, probe["height"])
        rgb = image.convert("RGB")
        assert rgb.getpixel((width // 2, 30)) == (0x1F, 0x4E, 0x79)  # the header band, not a blank page
