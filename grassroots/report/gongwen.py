"""A Draft (grassroots.report.bulletin) laid out as a .docx in the 公文 format of GB/T 9704-2012.

A4; margins top 37 mm, bottom 35 mm, left 28 mm, right 26 mm (the 156 x 225 mm 版心); title 2号
(22 pt) 方正小标宋简体, body 3号 (16 pt) 仿宋_GB2312 with a two-character first-line indent, first
level headings 黑体 and second level 楷体_GB2312, exact 28.95 pt lines (22 lines a page); page
numbers "— 1 —" in 4号 (14 pt) 宋体, odd pages at the right and even pages at the left, one
character in. Fonts the reader's machine lacks fall back to the ones named in the font table
(宋体, 黑体, 楷体, 仿宋), so the draft opens readably anywhere.
"""

from __future__ import annotations

import io

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK, WD_LINE_SPACING
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt

from grassroots.report.bulletin import Draft

TITLE_FONT, BODY_FONT, HEI_FONT, KAI_FONT, SONG_FONT = "方正小标宋简体", "仿宋_GB2312", "黑体", "楷体_GB2312", "宋体"
LATIN_FONT = "Times New Roman"
FALLBACKS = {TITLE_FONT: "宋体", BODY_FONT: "仿宋", KAI_FONT: "楷体", HEI_FONT: "SimHei", SONG_FONT: "SimSun"}
SIZE_2, SIZE_3, SIZE_4, SIZE_SMALL_4 = Pt(22), Pt(16), Pt(14), Pt(12)
LINE = Pt(28.95)
INDENT = Pt(32)  # two characters of 3号


def docx_bytes(draft: Draft) -> bytes:
    doc = Document()
    _page(doc)
    _base_style(doc)
    _font_table(doc)
    doc.core_properties.title = draft.title
    doc.core_properties.subject = "基层走访"
    doc.core_properties.comments = "系统根据各区县报送数据生成的草稿；方括号内为所依据问题的区县和问题编号"

    _paragraph(doc, draft.title, TITLE_FONT, SIZE_2, align=WD_ALIGN_PARAGRAPH.CENTER, indent=False,
               line=Pt(35), after=LINE)
    _paragraph(doc, draft.preamble, BODY_FONT)
    for section in draft.sections:
        _paragraph(doc, section.heading, HEI_FONT, keep_with_next=True)
        _paragraph(doc, section.summary, BODY_FONT)
        for story in section.stories:
            _paragraph(doc, story.heading, KAI_FONT, keep_with_next=True)
            p = _paragraph(doc, story.text, BODY_FONT)
            _run(p, story.ref, BODY_FONT, SIZE_SMALL_4)
    _paragraph(doc, draft.closing, BODY_FONT)
    _paragraph(doc, "", BODY_FONT)
    _paragraph(doc, f"附件：{draft.annex_title}", BODY_FONT)
    _paragraph(doc, draft.date_line, BODY_FONT, align=WD_ALIGN_PARAGRAPH.RIGHT, indent=False,
               right_indent=Pt(64))

    doc.add_paragraph().add_run().add_break(WD_BREAK.PAGE)
    _paragraph(doc, "附件", HEI_FONT, indent=False)
    name, _, when = draft.annex_title.partition("（")
    _paragraph(doc, name, TITLE_FONT, SIZE_2, align=WD_ALIGN_PARAGRAPH.CENTER, indent=False, line=Pt(35))
    _paragraph(doc, f"（{when}" if when else "", KAI_FONT, align=WD_ALIGN_PARAGRAPH.CENTER, indent=False,
               after=Pt(12))
    _table(doc, draft.annex_header, draft.annex_rows)

    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


# --- page -----------------------------------------------------------------------------------

def _page(doc) -> None:
    section = doc.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(37), Mm(35)
    section.left_margin, section.right_margin = Mm(28), Mm(26)
    section.header_distance, section.footer_distance = Mm(15), Mm(23)
    doc.settings.odd_and_even_pages_header_footer = True
    _page_number(section.footer.paragraphs[0], WD_ALIGN_PARAGRAPH.RIGHT)
    _page_number(section.even_page_footer.paragraphs[0], WD_ALIGN_PARAGRAPH.LEFT)


def _page_number(p, align) -> None:
    """"— n —" at the outer side of the page, one character in from the edge of the 版心."""
    p.alignment = align
    fmt = p.paragraph_format
    fmt.left_indent = SIZE_4 if align == WD_ALIGN_PARAGRAPH.LEFT else None
    fmt.right_indent = SIZE_4 if align == WD_ALIGN_PARAGRAPH.RIGHT else None
    _run(p, "— ", SONG_FONT, SIZE_4)
    run = _run(p, "", SONG_FONT, SIZE_4)
    for kind, text in (("begin", None), (None, "PAGE"), ("separate", None), (None, "1"), ("end", None)):
        if kind:
            el = OxmlElement("w:fldChar")
            el.set(qn("w:fldCharType"), kind)
        elif text == "PAGE":
            el = OxmlElement("w:instrText")
            el.set(qn("xml:space"), "preserve")
            el.text = " PAGE "
        else:
            el = OxmlElement("w:t")
            el.text = text
        run._r.append(el)
    _run(p, " —", SONG_FONT, SIZE_4)


def _base_style(doc) -> None:
    normal = doc.styles["Normal"]
    _fonts(normal.element.get_or_add_rPr(), BODY_FONT)
    normal.font.size = SIZE_3
    fmt = normal.paragraph_format
    fmt.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    fmt.line_spacing = LINE
    fmt.space_before = fmt.space_after = Pt(0)


def _font_table(doc) -> None:
    """Name each 公文 font in the font table with a common font as its alternative (w:altName)."""
    from docx.opc.constants import RELATIONSHIP_TYPE as RT

    try:
        part = doc.part.part_related_by(RT.FONT_TABLE)
    except KeyError:
        return
    from docx.oxml.parser import parse_xml

    root = parse_xml(part.blob)
    for name, alt in FALLBACKS.items():
        font = OxmlElement("w:font")
        font.set(qn("w:name"), name)
        alt_name = OxmlElement("w:altName")
        alt_name.set(qn("w:val"), alt)
        charset = OxmlElement("w:charset")
        charset.set(qn("w:val"), "86")  # GB2312
        font.append(alt_name)
        font.append(charset)
        root.append(font)
    from lxml import etree

    part._blob = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


# --- text -----------------------------------------------------------------------------------

def _fonts(rpr, east_asian: str) -> None:
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.insert(0, fonts)
    for attr in ("w:ascii", "w:hAnsi", "w:cs"):
        fonts.set(qn(attr), LATIN_FONT)
    fonts.set(qn("w:eastAsia"), east_asian)
    fonts.set(qn("w:hint"), "eastAsia")  # quotes and dashes in the Chinese font, not the Latin one


def _run(p, text: str, font: str, size):
    run = p.add_run(text)
    run.font.size = size
    _fonts(run._r.get_or_add_rPr(), font)
    return run


def _paragraph(container, text: str, font: str, size=SIZE_3, *, align=WD_ALIGN_PARAGRAPH.JUSTIFY,
               indent: bool = True, line=LINE, after=None, keep_with_next: bool = False, right_indent=None):
    p = container.add_paragraph()
    p.alignment = align
    fmt = p.paragraph_format
    fmt.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    fmt.line_spacing = line
    fmt.space_after = after or Pt(0)
    fmt.first_line_indent = INDENT if indent else None
    fmt.keep_with_next = keep_with_next
    if right_indent is not None:
        fmt.right_indent = right_indent
    if text:
        _run(p, text, font, size)
    return p


def _table(doc, header: list[str], rows: list[list[str]]) -> None:
    table = doc.add_table(rows=1, cols=len(header))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    for cell, text in zip(table.rows[0].cells, header, strict=True):
        _cell(cell, text, HEI_FONT)
    for row in rows:
        cells = table.add_row().cells
        for i, (cell, text) in enumerate(zip(cells, row, strict=True)):
            _cell(cell, text, BODY_FONT, align=WD_ALIGN_PARAGRAPH.LEFT if i == 0 else WD_ALIGN_PARAGRAPH.CENTER)
    repeat = OxmlElement("w:tblHeader")  # the header row again on every page of a long table
    table.rows[0]._tr.get_or_add_trPr().append(repeat)


def _cell(cell, text: str, font: str, align=WD_ALIGN_PARAGRAPH.CENTER) -> None:
    p = cell.paragraphs[0]
    p.alignment = align
    fmt = p.paragraph_format
    fmt.first_line_indent = None
    fmt.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    fmt.line_spacing = Pt(20)
    _run(p, text, font, SIZE_SMALL_4)
