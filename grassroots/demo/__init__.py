"""The demo inbox: four weeks of the source city's submissions, as the districts really send them.

The campaign is planned in demo/plan.py (exact report figures on the final date); here each district
writes its weekly files in its own habits (formats, title rows, header aliases, date forms,
encodings), plus one rejected file and its correction, one file dropped twice and one Excel lock
file. Deterministic for a seed (except the files' modification times, see `_settle`).
"""

from __future__ import annotations

import csv
import datetime as dt
import os
import random
import re
import shutil
import zipfile
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

from grassroots import clock, contract
from grassroots.contract import STATUS_RESOLVED
from grassroots.demo.plan import Case, Plan, expected_figures, plan_for, weekly_figures
from grassroots.intake.forms import write_reference_workbook
from grassroots.settings import DEFAULT_TIMEZONE

TIMEZONE = ZoneInfo(DEFAULT_TIMEZONE)
REFERENCE_FILE = "_reference/基础数据.xlsx"
REJECTED_DISTRICT, REJECTED_WEEK = "北仑区", 2  # its week-3 ledger is first sent with mistakes
DUPLICATE_DISTRICT, DUPLICATE_WEEK = "江北区", 1  # its week-2 ledger is dropped twice
LOCK_DISTRICT = "海曙区"  # an Excel lock file beside its last workbook


# --- how each district writes its files -----------------------------------------------------

@dataclass(frozen=True)
class Style:
    fmt: str = "xlsx"  # xlsx | xls | csv: the ledger's format (and the visit log's unless visits_fmt)
    visits_fmt: str | None = None
    book: bool = False  # both sheets in one workbook
    names: tuple[str, ...] = ("{district}问题清单{ymd}", "{district}走访记录{ymd}")
    sheets: tuple[str, str] = ("问题清单", "走访记录")
    headers: str = "official"  # official | starred | alias | alias_last | multiline
    title: str = "merged"  # merged | plain | cell_date | two_rows | fullwidth | none
    number_column: bool = False  # a leading 序号 column
    dates: tuple[str, ...] = ("date",)
    funds: tuple[str, ...] = ("number",)
    closed_word: int = 0  # every n-th resolved case written 已销号 (0: never)
    visit_ids: bool = True
    blank_row: bool = False
    encoding: str = "utf-8-sig"
    list_sep: str = ","
    repeat_visits: int = 0  # earlier visits sent again each week (the same visit counts once)
    fullwidth_numbers: bool = False


STYLES: dict[str, Style] = {
    "海曙区": Style(book=True, names=("{district}问题清单及走访记录（第{n}周）",), headers="starred",
                 repeat_visits=2),
    "江北区": Style(names=("{district}问题清单{ymd}", "{district}走访记录{ymd}"), sheets=("Sheet1", "Sheet1"),
                 headers="alias", title="cell_date", dates=("slash",), funds=("number", "comma"),
                 visit_ids=False),
    "镇海区": Style(fmt="xls", book=True, names=("{district}基层走访问题台账（截至{dot}）",), number_column=True,
                 dates=("date", "serial")),
    "北仑区": Style(names=("{district}_问题清单_{iso}", "{district}_走访记录_{iso}"), headers="starred"),
    "鄞州区": Style(book=True, names=("{district}“联镇街入村社”工作台账_{ymd}",), title="two_rows",
                 dates=("serial", "date"), funds=("wan", "comma", "number"), closed_word=3, visit_ids=False,
                 repeat_visits=3),
    "奉化区": Style(book=True, names=("{district}问题清单和走访记录-{md}",), sheets=("问题清单（奉化区）", "走访记录（奉化区）"),
                 headers="multiline", dates=("cn", "dot"), blank_row=True),
    "余姚市": Style(fmt="csv", names=("{district}_问题清单_{ymd}", "{district}_走访记录_{ymd}"), title="none",
                 dates=("iso", "compact"), funds=("wan", "number"), encoding="gb18030", list_sep="、",
                 repeat_visits=2),
    "慈溪市": Style(visits_fmt="csv", names=("{district}问题清单（第{n}期）", "{district}走访记录_{ymd}"),
                 title="plain", dates=("compact", "date"), funds=("wan",), closed_word=2, list_sep="，"),
    "宁海县": Style(book=True, names=("{district}报送（{cn}）",), sheets=("问题清单（宁海）", "走访记录（宁海）"),
                 title="fullwidth", dates=("date", "fullwidth"), funds=("number", "fullwidth"),
                 fullwidth_numbers=True),
    "象山县": Style(names=("{district}问题清单（第{cn_n}周）", "{district}走访记录（第{cn_n}周）"),
                 headers="alias_last", title="two_rows", number_column=True, dates=("serial", "slash"),
                 blank_row=True, visit_ids=False),
}

_CN_NUMBERS = "一二三四五六七八九十"
_FULLWIDTH = str.maketrans("0123456789.", "０１２３４５６７８９．")
_EXCEL_EPOCH = dt.date(1899, 12, 30)


@dataclass
class Block:
    """One sheet or CSV as written: title lines, header, rows (None: an empty row)."""

    sheet: str
    titles: list[str]
    header: list[str]
    rows: list[list[object] | None]
    merge_titles: bool = True

    @property
    def first_data_row(self) -> int:
        return len(self.titles) + 2


def _header(col: contract.Column, style: Style) -> str:
    if style.headers == "alias" and col.aliases:
        return col.aliases[0]
    if style.headers == "alias_last" and col.aliases:
        return col.aliases[-1]
    if style.headers == "starred":
        return ("*" if col.required else "") + col.header
    if style.headers == "multiline":
        text = col.header[:2] + "\n" + col.header[2:] if len(col.header) > 3 else col.header
        return text + ("*" if col.required else "")
    return col.header


def _date_value(day: dt.date | None, form: str, fmt: str) -> object:
    if day is None:
        return None
    if form == "date":
        return day if fmt != "csv" else day.isoformat()
    if form == "serial":
        serial = (day - _EXCEL_EPOCH).days
        return serial if fmt != "csv" else str(serial)
    return {
        "iso": day.isoformat(),
        "slash": f"{day.year}/{day.month}/{day.day}",
        "dot": day.strftime("%Y.%m.%d"),
        "cn": f"{day.year}年{day.month}月{day.day}日",
        "compact": day.strftime("%Y%m%d"),
        "fullwidth": f"{day.year}年{day.month}月{day.day}日".translate(_FULLWIDTH),
    }[form]


def _funds_value(value: float | None, form: str, fmt: str) -> object:
    if value is None:
        return None
    value = float(value)
    number = int(value) if value.is_integer() else value
    if form == "wan":
        return f"{number}万元"
    if form == "comma" and value >= 1000:
        return f"{value:,.0f}"
    if form == "fullwidth":
        return str(number).translate(_FULLWIDTH)
    return number if fmt != "csv" else str(number)


def _funds_form(case: Case, i: int, style: Style) -> str:
    """Thousands get separators where the district writes them; the report's examples read '400万元'."""
    if "comma" in style.funds and (case.funds_wan or 0) >= 1000:
        return "comma"
    if "wan" in style.funds and case.example:
        return "wan"
    return style.funds[i % len(style.funds)]


def _title(kind_name: str, district: str, as_of: dt.date, style: Style) -> list[str]:
    cn = f"{as_of.year}年{as_of.month}月{as_of.day}日"
    if style.title == "none":
        return []
    if style.title == "cell_date":
        return [f"{district}{kind_name}", f"截至日期：{as_of.year}/{as_of.month}/{as_of.day}"]
    if style.title == "two_rows":
        return [f"{district}“联镇街入村社、走企业访群众”活动", f"{kind_name}（截至{cn}）"]
    if style.title == "fullwidth":
        return [f"{district}{kind_name}　截至：{cn.translate(_FULLWIDTH)}"]
    return [f"{district}{kind_name}（截至{cn}）"]


def _ledger_block(plan: Plan, district: str, as_of: dt.date, style: Style, fmt: str) -> Block:
    cases = sorted((c for c in plan.cases if c.district == district and c.reported_on <= as_of),
                   key=lambda c: c.case_id)
    spec = contract.LEDGER_SHEET
    header = [_header(col, style) for col in spec.columns]
    rows: list[list[object] | None] = []
    for i, c in enumerate(cases):
        status = c.status_at(as_of)
        if status == STATUS_RESOLVED and style.closed_word and c.note_seed % style.closed_word == 0:
            status = "已销号"
        form = style.dates[i % len(style.dates)]
        values = {
            "case_id": c.case_id, "title": c.title, "source": c.source, "theme": c.theme,
            "district": c.district, "town": c.town, "paired_unit": c.unit,
            "responsible_unit": c.responsible_unit, "responsible_person": c.responsible_person,
            "lead_leader": c.lead_leader,
            "reported_on": _date_value(c.reported_on, form, fmt),
            "deadline": _date_value(c.deadline_at(as_of, plan.final), style.dates[(i + 1) % len(style.dates)], fmt),
            "status": status,
            "resolved_on": _date_value(c.resolved_on_at(as_of), form, fmt),
            "progress_note": c.note_at(as_of),
            "funds_wan": _funds_value(c.funds_wan, _funds_form(c, i, style), fmt),
        }
        rows.append([values[f] for f in spec.fields])
    block = Block(style.sheets[0], _title(spec.name, district, as_of, style), header, rows)
    return _finish(block, style)


def _visits_block(plan: Plan, district: str, week: int, style: Style, fmt: str) -> Block:
    as_of = plan.weeks[week]
    since = plan.weeks[week - 1] if week else dt.date.min
    mine = sorted((v for v in plan.visits if v.district == district), key=lambda v: v.visit_id)
    new = [v for v in mine if since < v.visit_date <= as_of]
    again = [v for v in mine if v.visit_date <= since][-style.repeat_visits:] if week and style.repeat_visits else []
    spec = contract.VISITS_SHEET
    columns = [c for c in spec.columns if style.visit_ids or c.field != "visit_id"]
    header = [_header(col, style) for col in columns]
    rows: list[list[object] | None] = []
    for i, v in enumerate(again + new):
        participants: object = v.participants if fmt != "csv" else str(v.participants)
        if style.fullwidth_numbers and i % 3 == 0:
            participants = str(v.participants).translate(_FULLWIDTH)
        values = {
            "visit_id": v.visit_id, "visit_date": _date_value(v.visit_date, style.dates[i % len(style.dates)], fmt),
            "unit": v.unit, "leader": v.leader.name, "leader_title": v.leader.title, "district": v.district,
            "town": v.town, "target": v.target, "target_type": v.target_type, "activity": v.activity,
            "participants": participants,
            "problems_collected": len(v.case_ids) if fmt != "csv" else str(len(v.case_ids)),
            "case_ids": style.list_sep.join(v.case_ids) or None, "note": v.note or None,
        }
        rows.append([values[c.field] for c in columns])
    block = Block(style.sheets[1], _title(spec.name, district, as_of, style), header, rows)
    return _finish(block, style)


def _finish(block: Block, style: Style) -> Block:
    if style.number_column:
        block.header.insert(0, "序号")
        block.rows = [[n, *row] for n, row in enumerate(block.rows, start=1)]
    if style.blank_row and len(block.rows) > 2:
        block.rows.insert(len(block.rows) // 2, None)
    block.merge_titles = style.title in ("merged", "two_rows", "fullwidth")
    return block


# --- file writers ---------------------------------------------------------------------------

def write_xlsx(path: Path, blocks: list[Block]) -> None:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    wb = Workbook()
    wb.remove(wb.active)
    for block in blocks:
        ws = wb.create_sheet(block.sheet)
        width = len(block.header)
        for r, title in enumerate(block.titles, start=1):
            cell = ws.cell(row=r, column=1, value=title)
            cell.font = Font(bold=True, size=14 if r == 1 else 12)
            if block.merge_titles:
                ws.merge_cells(start_row=r, start_column=1, end_row=r, end_column=width)
                cell.alignment = Alignment(horizontal="center")
        header_row = len(block.titles) + 1
        for c, text in enumerate(block.header, start=1):
            cell = ws.cell(row=header_row, column=c, value=text)
            cell.font = Font(bold=True)
            cell.alignment = Alignment(wrap_text=True, horizontal="center")
        for r, row in enumerate(block.rows, start=header_row + 1):
            if row is None:
                continue
            for c, value in enumerate(row, start=1):
                if value is None:
                    continue
                cell = ws.cell(row=r, column=c, value=value)
                if isinstance(value, dt.date):
                    cell.number_format = "yyyy-mm-dd"
        for c in range(1, width + 1):
            ws.column_dimensions[ws.cell(row=header_row, column=c).column_letter].width = 14
        ws.freeze_panes = ws.cell(row=header_row + 1, column=1)
    wb.save(path)


def write_xls(path: Path, blocks: list[Block]) -> None:
    import xlwt

    wb = xlwt.Workbook(encoding="utf-8")
    date_style = xlwt.easyxf(num_format_str="YYYY-MM-DD")
    bold = xlwt.easyxf("font: bold on; align: horiz center")
    for block in blocks:
        ws = wb.add_sheet(block.sheet)
        width = len(block.header)
        for r, title in enumerate(block.titles):
            if block.merge_titles:
                ws.write_merge(r, r, 0, width - 1, title, bold)
            else:
                ws.write(r, 0, title, bold)
        header_row = len(block.titles)
        for c, text in enumerate(block.header):
            ws.write(header_row, c, text, bold)
        for r, row in enumerate(block.rows, start=header_row + 1):
            if row is None:
                continue
            for c, value in enumerate(row):
                if value is None:
                    continue
                if isinstance(value, dt.date):
                    ws.write(r, c, value, date_style)
                else:
                    ws.write(r, c, value)
    wb.save(str(path))


def write_csv(path: Path, block: Block, encoding: str) -> None:
    width = len(block.header)
    with path.open("w", encoding=encoding, newline="") as fh:
        out = csv.writer(fh, lineterminator="\r\n")
        for title in block.titles:
            out.writerow([title] + [""] * (width - 1))
        out.writerow(block.header)
        for row in block.rows:
            out.writerow([""] * width if row is None else ["" if v is None else str(v) for v in row])


def pin_workbook_times(path: Path, when: dt.datetime) -> None:
    """Give an .xlsx fixed zip entry times and document dates, so equal content means equal bytes.

    openpyxl stamps the time of saving into the package; the demo must be reproducible byte for
    byte (checksums identify submissions), and a district's workbook was last saved on its as-of date.
    """
    stamp = when.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ").encode()
    with zipfile.ZipFile(path) as zf:
        entries = [(info.filename, zf.read(info)) for info in zf.infolist()]
    tmp = path.with_name(path.name + ".writing")
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as out:
        for name, data in entries:
            if name == "docProps/core.xml":
                data = re.sub(rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*", rb"\g<1>" + stamp, data)
            info = zipfile.ZipInfo(name, date_time=when.timetuple()[:6])
            info.compress_type = zipfile.ZIP_DEFLATED
            out.writestr(info, data)
    os.replace(tmp, path)


def _file_name(template: str, district: str, week: int, as_of: dt.date, fmt: str) -> str:
    stem = template.format(
        district=district, n=week + 1, cn_n=_CN_NUMBERS[week], ymd=as_of.strftime("%Y%m%d"),
        iso=as_of.isoformat(), dot=as_of.strftime("%Y.%m.%d"), md=as_of.strftime("%m%d"),
        cn=f"{as_of.year}年{as_of.month}月{as_of.day}日",
    )
    return f"{stem}.{fmt}"


# --- the demo inbox -------------------------------------------------------------------------

@dataclass
class _Written:
    path: str  # relative to the inbox, with '/'
    district: str
    as_of: dt.date
    kinds: list[str]
    intended: str  # reference | accepted | rejected | duplicate | ignored
    minute: int  # local time of day it was dropped, in minutes

    @property
    def dropped_at(self) -> dt.datetime:
        return dt.datetime.combine(self.as_of, dt.time(self.minute // 60, self.minute % 60), TIMEZONE)


class _Inbox:
    """Writes files into the inbox and remembers each one's district, date and intended fate."""

    def __init__(self, root: Path):
        self.root = root
        self.written: list[_Written] = []

    def write(self, rel: str, blocks: list[Block], fmt: str, style: Style, record: _Written) -> None:
        path = self.root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if fmt == "xlsx":
            write_xlsx(path, blocks)
            pin_workbook_times(path, record.dropped_at)
        elif fmt == "xls":
            write_xls(path, blocks)
        else:
            assert len(blocks) == 1, "a CSV holds one table"
            write_csv(path, blocks[0], style.encoding)
        self.written.append(record)

    def add(self, record: _Written) -> None:
        self.written.append(record)

    def settle(self) -> None:
        """Each file gets the time it was dropped (on its as-of date), never later than an hour ago."""
        stamps = [w.dropped_at.timestamp() for w in self.written]
        shift = max(0.0, max(stamps) - (clock.file_system_seconds() - 3600))
        for w, stamp in zip(self.written, stamps, strict=True):
            os.utime(self.root / w.path, (stamp - shift, stamp - shift))


def write_demo(inbox: Path, *, final_as_of: dt.date = dt.date(2026, 11, 27), seed: int = 7) -> dict:
    """Write the demo inbox under `inbox`; return what was written and the figures it must give."""
    plan = plan_for(final_as_of, seed)
    reference = plan.reference
    out = _Inbox(Path(inbox))
    ref_record = _Written(REFERENCE_FILE, contract.REFERENCE_FOLDER, plan.weeks[0] - dt.timedelta(days=7), [], "reference", 9 * 60)
    write_reference_workbook(out.root / REFERENCE_FILE, reference)
    pin_workbook_times(out.root / REFERENCE_FILE, ref_record.dropped_at)
    out.add(ref_record)
    extras: dict = {"rejected": {}, "duplicate": {}, "ignored": []}
    for district in reference.districts:
        for week in range(len(plan.weeks)):
            _write_week(out, plan, district, week, extras, random.Random(seed * 100 + week))
    out.settle()
    return {
        "files": len(out.written),
        "districts": len(reference.districts),
        "as_of_dates": [d.isoformat() for d in plan.weeks],
        "expected": expected_figures(plan),
        "weekly": weekly_figures(plan),
        "submissions": [
            {"path": w.path, "district": w.district, "as_of": w.as_of.isoformat(), "kinds": w.kinds,
             "intended": w.intended}
            for w in out.written
        ],
        **extras,
        "reference": REFERENCE_FILE,
    }


def _write_week(out: _Inbox, plan: Plan, district: str, week: int, extras: dict, rng: random.Random) -> None:
    """One district's files of one week, in its own habits; the special cases where they happen."""
    style = STYLES[district]
    as_of = plan.weeks[week]
    ledger_fmt, visits_fmt = style.fmt, style.visits_fmt or style.fmt
    ledger = _ledger_block(plan, district, as_of, style, ledger_fmt)
    visits = _visits_block(plan, district, week, style, visits_fmt)
    last_week = week == len(plan.weeks) - 1
    if style.book:
        rel = f"{district}/{_file_name(style.names[0], district, week, as_of, ledger_fmt)}"
        out.write(rel, [ledger, visits], ledger_fmt, style, _Written(rel, district, as_of, ["ledger", "visits"],
                                                                       "accepted", 17 * 60))
        if district == LOCK_DISTRICT and last_week:  # someone still has the workbook open in Excel
            lock = f"{district}/~${rel.split('/', 1)[1]}"
            (out.root / lock).write_bytes(_lock_bytes(rng))
            out.add(_Written(lock, district, as_of, [], "ignored", 17 * 60 + 5))
            extras["ignored"].append(lock)
        return
    ledger_rel = f"{district}/{_file_name(style.names[0], district, week, as_of, ledger_fmt)}"
    visits_rel = f"{district}/{_file_name(style.names[1], district, week, as_of, visits_fmt)}"
    if district == REJECTED_DISTRICT and week == REJECTED_WEEK:
        bad = _rejected_block(plan, district, as_of, style, ledger)
        out.write(ledger_rel, [bad.block], ledger_fmt, style,
                  _Written(ledger_rel, district, as_of, ["ledger"], "rejected", 11 * 60))
        stem, dot, suffix = ledger_rel.rpartition(".")
        correction = f"{stem}_更正.{suffix}"
        out.write(correction, [ledger], ledger_fmt, style,
                  _Written(correction, district, as_of, ["ledger"], "accepted", 18 * 60 + 30))
        extras["rejected"] = {"path": ledger_rel, "district": district, "as_of": as_of.isoformat(),
                              "mistakes": bad.mistakes, "correction": correction}
    else:
        out.write(ledger_rel, [ledger], ledger_fmt, style,
                  _Written(ledger_rel, district, as_of, ["ledger"], "accepted", 17 * 60))
    out.write(visits_rel, [visits], visits_fmt, style,
              _Written(visits_rel, district, as_of, ["visits"], "accepted", 17 * 60 + 1))
    if district == DUPLICATE_DISTRICT and week == DUPLICATE_WEEK:  # dropped again by mistake: same bytes
        stem, dot, suffix = ledger_rel.rpartition(".")
        copy = f"{stem} - 副本.{suffix}"
        shutil.copyfile(out.root / ledger_rel, out.root / copy)
        out.add(_Written(copy, district, as_of, ["ledger"], "duplicate", 17 * 60 + 20))
        extras["duplicate"] = {"path": copy, "original": ledger_rel}


@dataclass
class _Rejected:
    block: Block
    mistakes: list[dict]


def _rejected_block(plan: Plan, district: str, as_of: dt.date, style: Style, good: Block) -> _Rejected:
    """The week's ledger with six typical mistakes, each in its own row, each breaking a contract rule."""
    spec = contract.LEDGER_SHEET
    rows = [list(r) if r is not None else None for r in good.rows]
    bad = Block(good.sheet, list(good.titles), list(good.header), rows, good.merge_titles)
    col = {f: i + (1 if style.number_column else 0) for i, f in enumerate(spec.fields)}
    other = next(d for d in plan.reference.districts if d != district)
    data = [i for i, r in enumerate(rows) if r is not None]
    mistakes = []

    def mistake(code: str, i: int, fld: str, value: object) -> None:
        rows[i][col[fld]] = value
        mistakes.append({"code": code, "row": bad.first_data_row + i, "column": bad.header[col[fld]],
                         "value": "" if value is None else str(value)})

    town = rows[data[1]][col["town"]]
    mistake("unknown_town", data[1], "town", town.removesuffix("街道") + "镇")  # 霞浦街道 -> 霞浦镇
    mistake("duplicate_case_id", data[4], "case_id", rows[data[3]][col["case_id"]])
    mistake("wrong_district", data[6], "district", other)
    mistake("bad_date", data[8], "reported_on", f"{as_of.year}/{as_of.month}/31" if as_of.month in (2, 4, 6, 9, 11)
            else f"{as_of.year}/13/{as_of.day}")
    unresolved = next(i for i in data[10:] if rows[i][col["status"]] not in (STATUS_RESOLVED, "已销号"))
    mistake("resolved_on_missing", unresolved, "status", STATUS_RESOLVED)
    rows[unresolved][col["resolved_on"]] = None
    mistake("not_in_choices", next(i for i in data if i > unresolved), "source", "安全生产")
    return _Rejected(bad, mistakes)


def _lock_bytes(rng: random.Random) -> bytes:
    """What Excel leaves beside an open workbook: the user's name in a 165-byte record, not a workbook."""
    owner = "zhangsan".encode("ascii")
    body = bytes([len(owner)]) + owner.ljust(53, b" ") + "张三".encode("utf-16-le").ljust(110, b"\x20")
    return body + bytes(rng.randrange(256) for _ in range(165 - len(body)))
