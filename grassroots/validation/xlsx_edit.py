"""Edit an .xlsx at the XML level: a few styles added, marked cells restyled, one sheet put in front.

A receipt must come back in seconds for a 100k-row workbook, so the district's workbook is never
loaded cell by cell: its parts are copied as they are, a marked sheet is streamed row by row and
only the rows holding a mark are rewritten, and the receipt's own sheet is written as XML with
inline strings. Anything this module does not recognise raises `NotEditable` and the caller falls
back to the slow full copy. Cell text is escaped and written as text, never as a formula.
"""

from __future__ import annotations

import datetime as dt
import re
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from xml.sax.saxutils import escape

MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
SHEET_REL = REL_NS + "/worksheet"
SHEET_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
CHUNK = 4 << 20
_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_ROW = re.compile(rb"<row\b[^>]*?(/?)>")
_CELL = re.compile(rb"<c\b[^>]*?(?:/>|>.*?</c>)", re.S)
_ATTR_R = re.compile(rb'\br="([A-Z]+)(\d+)"')
_ATTR_S = re.compile(rb'\bs="(\d+)"')


class NotEditable(Exception):
    """The package is not laid out the way this module edits (prefixed XML, no styles, ...)."""


def column_letter(index: int) -> str:
    """1 -> A, 27 -> AA."""
    out = ""
    while index:
        index, rest = divmod(index - 1, 26)
        out = chr(65 + rest) + out
    return out


def column_number(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n


def text(value: str) -> str:
    return escape(_ILLEGAL.sub("", value)[:32_767], {'"': "&quot;"})


# --- styles ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class Look:
    """A cell look the receipt adds: font, fill, alignment; `base` keeps a district cell's own xf."""

    bold: bool = False
    size: int | None = None
    color: str | None = None
    underline: bool = False
    fill: str | None = None
    wrap: bool = False
    number_format: int | None = None
    quote: bool = False  # quotePrefix: Excel keeps a text starting with = as text when it is edited


class Styles:
    """styles.xml with the receipt's fonts, fills and cell formats appended (indices returned)."""

    def __init__(self, xml: str):
        if "<styleSheet" not in xml or "<cellXfs" not in xml:
            raise NotEditable("styles.xml without unprefixed cellXfs")
        self.xml = xml
        self.added: dict[str, list[str]] = {"fonts": [], "fills": [], "cellXfs": [], "numFmts": []}
        self.base = {tag: self._count(tag, child) for tag, child in
                     (("fonts", "font"), ("fills", "fill"), ("cellXfs", "xf"))}
        self.xfs = self._children("cellXfs", "xf")
        self._fonts: dict[tuple, int] = {}
        self._fills: dict[str, int] = {}
        self._looks: dict[tuple, int] = {}
        self._formats: dict[str, int] = {}
        taken = [int(x) for x in re.findall(r'numFmtId="(\d+)"', self._section("numFmts"))]
        self._next_format = max([163, *taken]) + 1

    def _section(self, tag: str) -> str:
        m = re.search(rf"<{tag}\b[^>]*?(/>|>(.*?)</{tag}>)", self.xml, re.S)
        return (m.group(2) or "") if m else ""

    def _count(self, tag: str, child: str) -> int:
        return len(self._children(tag, child))

    def _children(self, tag: str, child: str) -> list[str]:
        return re.findall(rf"<{child}\b[^>]*?/>|<{child}\b[^>]*?>.*?</{child}>", self._section(tag), re.S)

    def number_format(self, code: str) -> int:
        if code not in self._formats:
            self._formats[code] = self._next_format
            self.added["numFmts"].append(f'<numFmt numFmtId="{self._next_format}" formatCode="{text(code)}"/>')
            self._next_format += 1
        return self._formats[code]

    def _font(self, look: Look) -> int:
        key = (look.bold, look.size, look.color, look.underline)
        if key not in self._fonts:
            parts = ["<b/>" if look.bold else "", "<u/>" if look.underline else "",
                     f'<sz val="{look.size or 11}"/>', f'<color rgb="FF{look.color}"/>' if look.color else "",
                     '<name val="宋体"/><family val="3"/><charset val="134"/>']
            self._fonts[key] = self.base["fonts"] + len(self.added["fonts"])
            self.added["fonts"].append("<font>" + "".join(parts) + "</font>")
        return self._fonts[key]

    def _fill(self, rgb: str) -> int:
        if rgb not in self._fills:
            self._fills[rgb] = self.base["fills"] + len(self.added["fills"])
            self.added["fills"].append(f'<fill><patternFill patternType="solid"><fgColor rgb="FF{rgb}"/>'
                                       '<bgColor indexed="64"/></patternFill></fill>')
        return self._fills[rgb]

    def look(self, look: Look) -> int:
        """A new cell format for the receipt's own cells."""
        key = ("look", look)
        if key not in self._looks:
            attrs = f'numFmtId="{look.number_format or 0}" fontId="{self._font(look)}" borderId="0" xfId="0" applyFont="1"'
            attrs += f' fillId="{self._fill(look.fill)}" applyFill="1"' if look.fill else ' fillId="0"'
            if look.number_format:
                attrs += ' applyNumberFormat="1"'
            if look.quote:
                attrs += ' quotePrefix="1"'
            align = '<alignment wrapText="1" vertical="top"/>' if look.wrap else ""
            if align:
                attrs += ' applyAlignment="1"'
            self._looks[key] = self._add_xf(f"<xf {attrs}>{align}</xf>" if align else f"<xf {attrs}/>")
        return self._looks[key]

    def marked(self, xf: int, rgb: str) -> int:
        """The district cell's own format `xf` (number format, font, border) with a fill."""
        key = ("mark", xf, rgb)
        if key not in self._looks:
            own = self.xfs[xf] if 0 <= xf < len(self.xfs) else '<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
            head, _, rest = own.partition(">") if not own.endswith("/>") else (own[:-2], "", "")
            head = re.sub(r'\s(fillId|applyFill)="[^"]*"', "", head.rstrip("/"))
            head += f' fillId="{self._fill(rgb)}" applyFill="1"'
            self._looks[key] = self._add_xf(head + ("/>" if not rest else ">" + rest))
        return self._looks[key]

    def _add_xf(self, xf: str) -> int:
        self.added["cellXfs"].append(xf)
        return self.base["cellXfs"] + len(self.added["cellXfs"]) - 1

    def render(self) -> str:
        xml = self.xml
        counts = {"fonts": self.base["fonts"], "fills": self.base["fills"], "cellXfs": self.base["cellXfs"],
                  "numFmts": len(re.findall(r"<numFmt\b", self._section("numFmts")))}
        for tag in ("numFmts", "fonts", "fills", "cellXfs"):
            items = self.added[tag]
            if not items:
                continue
            total = counts[tag] + len(items)
            m = re.search(rf"<{tag}\b[^>]*?(/?)>", xml)
            if m is None:
                if tag != "numFmts":
                    raise NotEditable(f"styles.xml without {tag}")
                at = xml.index(">", xml.index("<styleSheet")) + 1
                xml = xml[:at] + f'<numFmts count="{total}">' + "".join(items) + "</numFmts>" + xml[at:]
                continue
            opening = re.sub(r'\scount="\d+"', "", m.group(0).rstrip("/>").rstrip("/")) + f' count="{total}">'
            if m.group(1):  # <fills count="0"/>
                xml = xml[:m.start()] + opening + "".join(items) + f"</{tag}>" + xml[m.end():]
            else:
                end = xml.index(f"</{tag}>", m.end())
                xml = xml[:m.start()] + opening + xml[m.end():end] + "".join(items) + xml[end:]
        return xml


# --- cells ----------------------------------------------------------------------------------

def cell_xml(ref: str, value: object, style: int | None = None, *, date_style: int | None = None,
             datetime_style: int | None = None) -> str:
    """One <c> element: text inline (never a formula), numbers, booleans, dates as serials."""
    s = f' s="{style}"' if style else ""
    if value is None or value == "":
        return f'<c r="{ref}"{s}/>' if style else ""
    if isinstance(value, bool):
        return f'<c r="{ref}"{s} t="b"><v>{int(value)}</v></c>'
    if isinstance(value, int | float) and value == value and abs(value) != float("inf"):
        return f'<c r="{ref}"{s}><v>{value!r}</v></c>'
    if isinstance(value, dt.datetime | dt.date):
        serial = _serial(value)
        chosen = style or (datetime_style if isinstance(value, dt.datetime) and value.time() != dt.time(0) else date_style)
        return f'<c r="{ref}"{f" s={chr(34)}{chosen}{chr(34)}" if chosen else ""}><v>{serial!r}</v></c>'
    return f'<c r="{ref}"{s} t="inlineStr"><is><t xml:space="preserve">{text(str(value))}</t></is></c>'


def _serial(value: dt.date | dt.datetime) -> float:
    if isinstance(value, dt.datetime):
        delta = value.replace(tzinfo=None) - dt.datetime(1899, 12, 30)
        return delta.days + delta.seconds / 86400
    return float((value - dt.date(1899, 12, 30)).days)


@dataclass
class SheetXml:
    """A worksheet written from scratch: rows of (value, style), widths, merges, links, panes."""

    rows: list[str] = field(default_factory=list)
    widths: dict[int, float] = field(default_factory=dict)
    merges: list[str] = field(default_factory=list)
    links: list[tuple[str, str]] = field(default_factory=list)  # (cell, location inside the workbook)
    freeze_row: int | None = None
    auto_filter: str | None = None
    selected: bool = True
    landscape: bool = False
    max_col: int = 1

    def add_row(self, number: int, cells: Iterable[tuple[object, int | None]], **kw) -> None:
        parts = []
        for col, (value, style) in enumerate(cells, start=1):
            piece = cell_xml(f"{column_letter(col)}{number}", value, style, **kw)
            if piece:
                parts.append(piece)
                self.max_col = max(self.max_col, col)
        if parts:
            self.rows.append(f'<row r="{number}">' + "".join(parts) + "</row>")

    def render(self) -> str:
        view = '<sheetView workbookViewId="0"' + (' tabSelected="1"' if self.selected else "") + ">"
        if self.freeze_row:
            view += (f'<pane ySplit="{self.freeze_row - 1}" topLeftCell="A{self.freeze_row}" activePane="bottomLeft" '
                     'state="frozen"/><selection pane="bottomLeft"/>')
        view += "</sheetView>"
        cols = "".join(f'<col min="{c}" max="{c}" width="{w}" customWidth="1"/>' for c, w in sorted(self.widths.items()))
        out = [f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet xmlns="{MAIN_NS}" xmlns:r="{REL_NS}">',
               "<sheetPr><pageSetUpPr fitToPage=\"1\"/></sheetPr>" if self.landscape else "",
               f"<sheetViews>{view}</sheetViews>", '<sheetFormatPr defaultRowHeight="15"/>',
               f"<cols>{cols}</cols>" if cols else "", "<sheetData>", *self.rows, "</sheetData>"]
        if self.auto_filter:
            out.append(f'<autoFilter ref="{self.auto_filter}"/>')
        if self.merges:
            out.append(f'<mergeCells count="{len(self.merges)}">' + "".join(f'<mergeCell ref="{m}"/>' for m in self.merges)
                       + "</mergeCells>")
        if self.links:
            out.append("<hyperlinks>" + "".join(f'<hyperlink ref="{ref}" location="{text(loc)}" display="{text(loc)}"/>'
                                                for ref, loc in self.links) + "</hyperlinks>")
        out.append('<pageMargins left="0.4" right="0.4" top="0.5" bottom="0.5" header="0.3" footer="0.3"/>')
        if self.landscape:
            out.append('<pageSetup paperSize="9" orientation="landscape" fitToWidth="1" fitToHeight="0"/>')
        out.append("</worksheet>")
        return "".join(out)


# --- marking a district's sheet, streamed ---------------------------------------------------

@dataclass
class Marks:
    """What one sheet of the district's workbook gets: cell fills and a visible note per row."""

    cells: dict[tuple[int, int], str] = field(default_factory=dict)  # (row, 1-based column) -> fill rgb
    notes: dict[int, str] = field(default_factory=dict)  # row -> text of the note column
    note_header: tuple[int, str] | None = None  # (header row, title of the note column)
    width: int = 0  # columns the reader saw: the note column comes after them
    _by_row: dict[int, dict[int, str]] | None = None

    def by_row(self) -> dict[int, dict[int, str]]:
        if self._by_row is None:
            self._by_row = {}
            for (r, c), rgb in self.cells.items():
                self._by_row.setdefault(r, {})[c] = rgb
        return self._by_row


def mark_sheet(chunks: Iterator[bytes], marks: Marks, styles: Styles, note_style: int,
               header_style: int) -> Iterator[bytes]:
    """The sheet's XML with marked cells refilled and a note column after the last used column."""
    rows = {r for r, _ in marks.cells} | set(marks.notes) | ({marks.note_header[0]} if marks.note_header else set())
    note_col = None
    pending = b""
    started = False
    for chunk in chunks:
        data = pending + chunk
        if not started:
            if b"<sheetData" not in data:
                pending = data
                continue
            if b"<worksheet" not in data.split(b"<sheetData", 1)[0]:
                raise NotEditable("prefixed worksheet XML")
            head, rest = data.split(b"<sheetData", 1)
            used = {column_number(c.decode()) for c in set(re.findall(rb'<c\b[^>]*?\br="([A-Z]+)\d+"', rest))}
            note_col = max([_last_column(head, marks), marks.width, *used]) + 1
            head = _with_note_width(head, note_col)
            yield head
            data = b"<sheetData" + rest
            started = True
        cut = data.rfind(b"<row ")
        if cut <= 0:
            pending = data
            continue
        yield _mark_rows(data[:cut], rows, marks, styles, note_col, note_style, header_style)
        pending = data[cut:]
    if not started:
        raise NotEditable("worksheet without sheetData")
    yield _mark_rows(pending, rows, marks, styles, note_col, note_style, header_style)


def _last_column(head: bytes, marks: Marks) -> int:
    m = re.search(rb'<dimension ref="[A-Z]*\d*:?([A-Z]+)\d+"', head)
    found = column_number(m.group(1).decode()) if m else 0
    return max([found, *(c for _, c in marks.cells)])


def _with_note_width(head: bytes, col: int) -> bytes:
    new = f'<col min="{col}" max="{col}" width="60" customWidth="1"/>'.encode()
    m = re.search(rb"<cols>(.*?)</cols>", head, re.S)
    if m is None:
        at = head.find(b"<sheetFormatPr")
        end = head.find(b">", at) + 1 if at >= 0 else -1
        if end <= 0:
            return head
        return head[:end] + b"<cols>" + new + b"</cols>" + head[end:]
    taken = [int(x) for x in re.findall(rb'max="(\d+)"', m.group(1))]
    if any(x >= col for x in taken):
        return head
    return head[:m.end(1)] + new + head[m.end(1):]


def _mark_rows(data: bytes, rows: set[int], marks: Marks, styles: Styles, note_col: int,
               note_style: int, header_style: int) -> bytes:
    if not rows:
        return data
    out, last = [], 0
    for m in _ROW.finditer(data):
        r = re.search(rb'\br="(\d+)"', m.group(0))
        if r is None:
            raise NotEditable("a row without its number")
        number = int(r.group(1))
        if number not in rows:
            continue
        if m.group(1):  # <row r="5"/>
            end, body = m.end(), b""
            opening = m.group(0)[:-2] + b">"
        else:
            end = data.index(b"</row>", m.end()) + len(b"</row>")
            body = data[m.end():end - len(b"</row>")]
            opening = m.group(0)
        opening = re.sub(rb'\sspans="[^"]*"', b"", opening)
        out += [data[last:m.start()], opening, _mark_cells(body, number, marks, styles, note_col, note_style,
                                                            header_style), b"</row>"]
        last = end
    out.append(data[last:])
    return b"".join(out)


def _mark_cells(body: bytes, row: int, marks: Marks, styles: Styles, note_col: int, note_style: int,
                header_style: int) -> bytes:
    wanted = marks.by_row().get(row, {})
    cells: list[tuple[int, bytes]] = []
    for m in _CELL.finditer(body):
        ref = _ATTR_R.search(m.group(0)[:200])
        if ref is None:
            raise NotEditable("a cell without its reference")
        cells.append((column_number(ref.group(1).decode()), m.group(0)))
    have = {c for c, _ in cells}
    for col in wanted:
        if col not in have:
            cells.append((col, f'<c r="{column_letter(col)}{row}"/>'.encode()))
    note = marks.notes.get(row)
    style = note_style
    if marks.note_header and marks.note_header[0] == row:
        note, style = marks.note_header[1], header_style
    if note and note_col not in have:  # a value of the district's own is never overwritten
        cells.append((note_col, cell_xml(f"{column_letter(note_col)}{row}", note, style).encode()))
    out = []
    for col, xml in sorted(cells, key=lambda x: x[0]):
        if col in wanted:
            tag_end = xml.index(b">")
            tag = xml[:tag_end + 1]
            s = _ATTR_S.search(tag)
            new = styles.marked(int(s.group(1)) if s else 0, wanted[col])
            tag = (_ATTR_S.sub(f's="{new}"'.encode(), tag) if s else
                   tag.replace(b"<c ", f'<c s="{new}" '.encode(), 1))
            xml = tag + xml[tag_end + 1:]
        out.append(xml)
    return b"".join(out)


# --- the package ----------------------------------------------------------------------------

class Package:
    """An .xlsx read from `source` (or a blank one) to which sheets and styles are added."""

    def __init__(self, source: zipfile.ZipFile | None):
        self.source = source
        if source is None:
            self.parts = {k: v.encode() for k, v in _BLANK.items()}
            self.names = list(self.parts)
        else:
            self.names = source.namelist()
            self.parts = {}
        wb_rels = self._text("xl/_rels/workbook.xml.rels")
        self.workbook = self._text("xl/workbook.xml")
        if "<sheets" not in self.workbook or "<Relationships" not in wb_rels:
            raise NotEditable("prefixed workbook XML")
        self.rels = wb_rels
        styles_target = re.search(r'<Relationship\b[^>]*Type="[^"]*/styles"[^>]*>', wb_rels)
        if styles_target is None:
            raise NotEditable("no styles part")
        self.styles_part = self._resolve(re.search(r'Target="([^"]+)"', styles_target.group(0)).group(1))
        self.styles = Styles(self._text(self.styles_part))
        self.new_parts: dict[str, bytes] = {}
        self.streams: dict[str, Iterator[bytes]] = {}

    def _text(self, name: str) -> str:
        if name in self.parts:
            return self.parts[name].decode("utf-8")
        if self.source is None or name not in self.names:
            raise NotEditable(f"missing part {name}")
        return self.source.read(name).decode("utf-8")

    @staticmethod
    def _resolve(target: str) -> str:
        if target.startswith("/"):
            return target.lstrip("/")
        return str(PurePosixPath("xl") / target).replace("xl/../", "")

    def sheet_parts(self) -> dict[str, str]:
        """Sheet name -> part path, in the workbook's order."""
        targets = {}
        for rel in re.findall(r"<Relationship\b[^>]*>", self.rels):
            rid = re.search(r'\bId="([^"]+)"', rel)
            tgt = re.search(r'\bTarget="([^"]+)"', rel)
            if rid and tgt:
                targets[rid.group(1)] = self._resolve(tgt.group(1))
        out = {}
        for sheet in re.findall(r"<sheet\b[^>]*>", self.workbook):
            name = re.search(r'\bname="([^"]*)"', sheet)
            rid = re.search(r'\br:id="([^"]+)"', sheet)
            if name and rid and rid.group(1) in targets:
                out[_unescape(name.group(1))] = targets[rid.group(1)]
        return out

    def stream_part(self, name: str) -> Iterator[bytes]:
        with self.source.open(name) as fh:
            while chunk := fh.read(CHUNK):
                yield chunk

    def replace_stream(self, name: str, chunks: Iterator[bytes]) -> None:
        self.streams[name] = chunks

    def add_sheet_first(self, title: str, xml: str) -> None:
        """A new worksheet as the first and selected tab; local defined names move along."""
        n = 1
        while f"xl/worksheets/receipt{n}.xml" in self.names:
            n += 1
        part = f"xl/worksheets/receipt{n}.xml"
        ids = [int(x) for x in re.findall(r'\bId="rId(\d+)"', self.rels)]
        rid = f"rId{max([0, *ids]) + 1}"
        self.rels = self.rels.replace(
            "</Relationships>", f'<Relationship Id="{rid}" Type="{SHEET_REL}" Target="/{part}"/></Relationships>')
        sheet_ids = [int(x) for x in re.findall(r'<sheet\b[^>]*\bsheetId="(\d+)"', self.workbook)]
        entry = (f'<sheet xmlns:r="{REL_NS}" name="{text(title)}" sheetId="{max([0, *sheet_ids]) + 1}" '
                 f'r:id="{rid}"/>')  # the prefix declared where it is used: openpyxl declares it per sheet
        wb = self.workbook
        m = re.search(r"<sheets\b[^>]*>", wb)
        wb = wb[:m.end()] + entry + wb[m.end():]
        wb = re.sub(r'localSheetId="(\d+)"', lambda x: f'localSheetId="{int(x.group(1)) + 1}"', wb)
        wb = re.sub(r'\s(activeTab|firstSheet)="\d+"', "", wb)
        self.workbook = wb
        self.new_parts[part] = xml.encode("utf-8")
        self.names.append(part)
        self._content_type(part)

    def _content_type(self, part: str) -> None:
        name = "[Content_Types].xml"
        types = self._text(name)
        types = types.replace("</Types>", f'<Override PartName="/{part}" ContentType="{SHEET_TYPE}"/></Types>')
        self.parts[name] = types.encode("utf-8")

    def unselect_sheets(self) -> None:
        """The district's tabs lose tabSelected (done while their XML passes through, see save)."""
        self._unselect = True

    def save(self, target) -> None:
        self.parts["xl/workbook.xml"] = self.workbook.encode("utf-8")
        self.parts["xl/_rels/workbook.xml.rels"] = self.rels.encode("utf-8")
        with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as out:
            for name in self.names:
                if name == self.styles_part:
                    continue  # last: marking the streamed sheets adds formats
                if name in self.streams:
                    with out.open(name, "w", force_zip64=True) as fh:
                        for piece in self.streams[name]:
                            fh.write(piece)
                elif name in self.new_parts:
                    out.writestr(name, self.new_parts[name])
                elif name in self.parts:
                    out.writestr(name, self.parts[name])
                elif name.startswith("xl/worksheets/") and name.endswith(".xml") and self.source is not None:
                    with out.open(name, "w", force_zip64=True) as fh:
                        for piece in _unselected(self.stream_part(name)):
                            fh.write(piece)
                else:
                    with self.source.open(name) as src, out.open(name, "w", force_zip64=True) as fh:
                        while chunk := src.read(CHUNK):
                            fh.write(chunk)
            out.writestr(self.styles_part, self.styles.render().encode("utf-8"))


def _unselected(chunks: Iterator[bytes]) -> Iterator[bytes]:
    """A sheet's XML without tabSelected (only the receipt's first tab is selected)."""
    first = True
    for chunk in chunks:
        if first:
            chunk = re.sub(rb'\stabSelected="(1|true)"', b"", chunk)
            first = False
        yield chunk


def unselect(chunks: Iterator[bytes]) -> Iterator[bytes]:
    return _unselected(chunks)


def _unescape(value: str) -> str:
    return (value.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", '"').replace("&apos;", "'")
            .replace("&amp;", "&"))


_BLANK = {
    "[Content_Types].xml": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        '<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
        "</Types>"),
    "_rels/.rels": (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships xmlns="{PKG_REL_NS}">'
        f'<Relationship Id="rId1" Type="{REL_NS}/officeDocument" Target="xl/workbook.xml"/></Relationships>'),
    "xl/workbook.xml": (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<workbook xmlns="{MAIN_NS}" xmlns:r="{REL_NS}">'
        "<bookViews><workbookView/></bookViews><sheets></sheets></workbook>"),
    "xl/_rels/workbook.xml.rels": (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships xmlns="{PKG_REL_NS}">'
        f'<Relationship Id="rId1" Type="{REL_NS}/styles" Target="styles.xml"/></Relationships>'),
    "xl/styles.xml": (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<styleSheet xmlns="{MAIN_NS}">'
        '<fonts count="1"><font><sz val="11"/><name val="宋体"/><family val="3"/><charset val="134"/></font></fonts>'
        '<fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill></fills>'
        '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
        '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
        '<cellXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/></cellXfs>'
        '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles></styleSheet>'),
}


def add_sheet_last(package: Package, title: str, xml: str) -> None:
    """A new worksheet after the others (the values of an .xls rebuilt)."""
    n = 1
    while f"xl/worksheets/sheet{n}.xml" in package.names:
        n += 1
    part = f"xl/worksheets/sheet{n}.xml"
    ids = [int(x) for x in re.findall(r'\bId="rId(\d+)"', package.rels)]
    rid = f"rId{max([0, *ids]) + 1}"
    package.rels = package.rels.replace(
        "</Relationships>", f'<Relationship Id="{rid}" Type="{SHEET_REL}" Target="/{part}"/></Relationships>')
    sheet_ids = [int(x) for x in re.findall(r'<sheet\b[^>]*\bsheetId="(\d+)"', package.workbook)]
    entry = (f'<sheet xmlns:r="{REL_NS}" name="{text(title)}" sheetId="{max([0, *sheet_ids]) + 1}" '
                 f'r:id="{rid}"/>')  # the prefix declared where it is used: openpyxl declares it per sheet
    package.workbook = package.workbook.replace("</sheets>", entry + "</sheets>")
    package.new_parts[part] = xml.encode("utf-8")
    package.names.append(part)
    package._content_type(part)
