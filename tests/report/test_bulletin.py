"""The monthly 通报 draft: read back from the .docx (headings, the four sections, the cases told
from their fields with their references, the closing sentence equal to `metrics --json`, the annex
table), its 公文 layout, and its place in the city's monthly mail and the outbox."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import io
import json
import re

import pytest
from docx import Document
from docx.shared import Pt

from grassroots import cli, contract, metrics
from grassroots.report import bulletin, gongwen
from grassroots.report.send import send_reports, write_outbox
from tests.report.test_report_send import sink, smtp_connection  # noqa: F401 (fixtures)
from tests.samples.bulletin import AS_OF, CITY_ADDRESS, HS, HS_ADDRESS, YZ, populate

pytest_plugins = ("tests.samples.databases",)

HEADINGS = ["一、聚焦大局所需", "二、聚焦民生所盼", "三、聚焦转型所迫", "四、聚焦治理所困"]


@pytest.fixture
def city(engine):
    return populate(engine)


def _docx(engine, scope: str = contract.SCOPE_CITY) -> tuple[bulletin.Draft, Document, dict]:
    figures = metrics.compute(engine, AS_OF, period="month", district=None if scope == contract.SCOPE_CITY else scope)
    draft, data = bulletin.build(engine, figures, period="month", scope=scope)
    return draft, Document(io.BytesIO(data)), figures


def _texts(doc) -> list[str]:
    return [p.text for p in doc.paragraphs if p.text.strip()]


def _section(texts: list[str], heading: str) -> list[str]:
    """The paragraphs under one themed heading, up to the next heading or the closing paragraph."""
    out = []
    for text in texts[texts.index(heading) + 1:]:
        if text in HEADINGS or text.startswith("截至2026年"):
            break
        out.append(text)
    return out


def _use(monkeypatch, engine) -> None:
    """The command line reads the warehouse the test filled."""
    monkeypatch.setenv("GRASSROOTS_WAREHOUSE_URL", engine.url.render_as_string(hide_password=False))


def test_the_draft_has_the_source_documents_shape(settings, city, capsys, monkeypatch):
    _use(monkeypatch, city)
    draft, doc, figures = _docx(city)
    texts = _texts(doc)
    assert texts[0] == "关于全市“联镇街入村社、走企业访群众”活动2026年11月进展情况的通报"
    assert texts[1].startswith("2026年11月，全市各包联单位深入开展“联镇街入村社、走企业访群众”活动")
    assert [t for t in texts if t in HEADINGS] == HEADINGS  # the four themes, in the contract's order
    assert [t for t in texts if t in HEADINGS] == [f"{n}、聚焦{t}" for n, t in zip("一二三四", contract.THEMES,
                                                                              strict=True)]

    # the closing paragraph is the headline of `metrics --json` at the same date
    assert cli.main(["metrics", "--as-of", AS_OF.isoformat(), "--json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    closing = next(t for t in texts if t.startswith("截至2026年11月30日，") and "累计梳理问题" in t)
    assert closing == figures["headline"] == metrics.headline(printed, AS_OF)
    numbers = [int(n) for n in re.findall(r"(\d+)(?:家|个)", closing)]
    assert numbers == [printed["pairs_total"], printed["pairs_covered"], printed["total"], printed["substantive"],
                       printed["total"] - printed["substantive"]]
    assert f"（{metrics.percent(printed['substantive_rate'])}）" in closing


def _refs(paragraphs: list[str]) -> list[str]:
    return [m.group(1) for t in paragraphs if (m := re.search(r"〔([^〔]+)〕$", t))]


def test_each_section_tells_the_months_progressed_cases_exemplary_first(city):
    _, doc, _ = _docx(city)
    texts = _texts(doc)
    big = _section(texts, "一、聚焦大局所需")
    # HS-005 is marked 典型案例 and comes first; then the larger amount (HS-001 120万元, YZ-002 50万元)
    assert _refs(big) == ["海曙区 HS-005", "海曙区 HS-001", "鄞州区 YZ-002"]
    assert big[0] == "截至11月30日，该领域累计梳理问题3个，3个已取得实质性进展，其中已办结0个。本月新取得实质性进展或办结3个。"
    assert big[1] == "（一）章水镇渔业企业开渔期前融资难"
    assert big[2] == ("市发改委（责任单位：市交通局）针对海曙区章水镇“章水镇渔业企业开渔期前融资难”问题，组织金融机构“一对一”"
                      "上门对接，推出金融产品和保险保障“组合拳”，目前已取得实质性进展。〔海曙区 HS-005〕")
    assert "涉及资金120万元" in big[4]

    livelihood = _section(texts, "二、聚焦民生所盼")  # HS-002 was resolved in October: not this month's
    assert [t for t in livelihood if t.endswith("〕")] == [
        "市经信局针对鄞州区姜山镇“姜山镇乐歌股份公司申请智能转型补助金”问题，第一时间帮助企业申请400万元智能转型补助金，"
        "联系行业专家上门开展智能化诊断，该问题已于11月25日办结。〔鄞州区 YZ-001〕"]  # 400万元 is not said twice

    transition = _section(texts, "三、聚焦转型所迫")
    assert _refs(transition) == ["海曙区 HS-003"]
    governance = _section(texts, "四、聚焦治理所困")  # HS-004 is still under way
    assert governance == ["截至11月30日，该领域累计梳理问题1个，0个已取得实质性进展，其中已办结0个。"
                          "本月该领域暂无新取得实质性进展或办结的问题。"]


def test_every_sentence_of_a_case_comes_from_that_cases_fields(city):
    draft, _, _ = _docx(city)
    cases = {(c["district"], c["case_id"]): c for c in bulletin.cases_at(city, AS_OF, contract.SCOPE_CITY)}
    assert draft.stories()
    for story in draft.stories():
        case = cases[(story.district, story.case_id)]
        assert story.ref == f"〔{case['district']} {case['case_id']}〕"
        assert story.heading.endswith(case["title"])
        for field in ("paired_unit", "district", "town", "title"):
            assert case[field] in story.text
        assert case["progress_note"].rstrip("。") in story.text
        if case["funds_wan"]:
            assert f"{case['funds_wan']:g}万元" in story.text
        assert case["status"] in bulletin.PROGRESSED


def test_the_annex_table_is_the_figures_by_district(city):
    _, doc, figures = _docx(city)
    table = doc.tables[0]
    rows = [[c.text for c in r.cells] for r in table.rows]
    assert rows[0] == ["区县", "梳理问题", "取得实质性进展", "其中已办结", "实质性进展占比", "本月新增", "本月办结", "逾期未办结"]
    by_district = {r["key"]: r for r in figures["breakdowns"]["by_district"]}
    assert [r[0] for r in rows[1:]] == [HS, YZ, "合计"]
    for row in rows[1:-1]:
        f = by_district[row[0]]
        assert row[1:4] == [str(f["total"]), str(f["substantive"]), str(f["resolved"])]
        assert row[4] == metrics.percent(f["substantive_rate"])
    assert rows[-1][1:4] == [str(figures["total"]), str(figures["substantive"]), str(figures["resolved"])]
    assert "附件" in _texts(doc)


def test_a_districts_draft_tells_only_its_own_cases(city):
    draft, doc, figures = _docx(city, HS)
    text = "\n".join(_texts(doc))
    assert "YZ-" not in text and YZ not in text
    assert {s.district for s in draft.stories()} == {HS}
    assert [[c.text for c in r.cells][0] for r in doc.tables[0].rows][0] == "街道（镇乡）"
    assert figures["headline"] in text


def test_the_layout_is_the_official_documents(city):
    _, doc, _ = _docx(city)
    section = doc.sections[0]
    mm = lambda length: round(length.mm, 1)  # noqa: E731 (stored in twips)
    assert (mm(section.page_width), mm(section.page_height)) == (210, 297)
    assert [mm(m) for m in (section.top_margin, section.bottom_margin, section.left_margin, section.right_margin)] == [
        37, 35, 28, 26]
    title = doc.paragraphs[0].runs[0]
    assert title.font.size == Pt(22) and _east_asian(title) == gongwen.TITLE_FONT
    body = doc.paragraphs[1]
    assert body.runs[0].font.size == Pt(16) and _east_asian(body.runs[0]) == gongwen.BODY_FONT
    assert body.paragraph_format.line_spacing == gongwen.LINE and body.paragraph_format.first_line_indent == Pt(32)
    heading = next(p for p in doc.paragraphs if p.text == HEADINGS[0])
    assert _east_asian(heading.runs[0]) == gongwen.HEI_FONT
    sub = next(p for p in doc.paragraphs if p.text.startswith("（一）"))
    assert _east_asian(sub.runs[0]) == gongwen.KAI_FONT
    for footer in (section.footer, section.even_page_footer):
        xml = footer.paragraphs[0]._p.xml
        assert "PAGE" in xml and footer.paragraphs[0].text.startswith("— ") and footer.paragraphs[0].text.endswith(" —")
    assert doc.settings.odd_and_even_pages_header_footer


def _east_asian(run) -> str:
    from docx.oxml.ns import qn

    return run._r.rPr.find(qn("w:rFonts")).get(qn("w:eastAsia"))


def _attachments(msg) -> dict[str, bytes]:
    return {p.get_filename(): p.get_content() for p in msg.iter_attachments()}


def test_the_city_gets_the_draft_with_the_monthly_mail_only(settings, city, smtp_connection):  # noqa: F811
    send_reports(settings, city, AS_OF, "month")
    send_reports(settings, city, dt.date(2026, 11, 27), "week")
    messages: dict[tuple[str, str], email.message.EmailMessage] = {}
    for path in smtp_connection.messages:
        msg = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        messages[(msg["X-Sink-Rcpt-To"], "月" if "月报" in msg["Subject"] else "周")] = msg
    name = "基层走访全市月度通报（草稿）_2026-11-30.docx"
    city_month = _attachments(messages[(CITY_ADDRESS, "月")])
    assert name in city_month
    assert HEADINGS[0] in _texts(Document(io.BytesIO(city_month[name])))
    assert not any(n.endswith(".docx") for n in _attachments(messages[(HS_ADDRESS, "月")]))
    assert not any(n.endswith(".docx") for key, m in messages.items() if key[1] == "周" for n in _attachments(m))


def test_the_command_writes_the_draft_into_the_outbox(settings, city, capsys, monkeypatch):
    _use(monkeypatch, city)
    assert cli.main(["report", "--as-of", AS_OF.isoformat(), "--period", "month", "--docx"]) == 0
    printed = capsys.readouterr().out.split()
    docx = [p for p in printed if p.endswith(".docx")]
    assert docx == [str(settings.outbox / "基层走访全市月度通报（草稿）_2026-11-30.docx")]
    assert _texts(Document(docx[0]))[0].startswith("关于全市")
    # a district's weekly report asked for the draft gets it too; unasked, the weekly report has none
    paths = write_outbox(settings, city, dt.date(2026, 11, 27), district=HS, period="week", docx=True)
    assert any(p.name.endswith(".docx") and HS in p.name for p in paths)
    assert not any(p.suffix == ".docx" for p in write_outbox(settings, city, dt.date(2026, 11, 27)))
