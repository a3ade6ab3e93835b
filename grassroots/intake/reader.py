"""Read a district's file into canonical tables, as the data contract says.

A workbook (.xlsx, .xls) or a CSV becomes one `Table` per sheet kind it holds (问题清单 and/or
走访记录). Title rows are skipped, headers matched by the contract's keys and aliases, cells
cleaned and typed, and every row keeps the row number Excel shows. A file that cannot be taken
at all raises `Unreadable` with one Chinese finding; nothing here crashes on odd input.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from grassroots import contract
from grassroots.findings import Finding, Unreadable, finding
from grassroots.intake import normalize
from grassroots.settings import Settings

HEADER_SCAN_ROWS = 30
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP_MAGIC = b"PK\x03\x04"


@dataclass
class Table:
    """One sheet of one submission, with every value typed and every row traced."""

    kind: str
    sheet: str
    header_row: int  # Excel row number of the header
    headers: dict[str, tuple[str, int]]  # field -> (header as written, 0-based column)
    text: pd.DataFrame  # cleaned text per field; index: the Excel row number
    values: pd.DataFrame  # typed values per field; same index
    findings: list[Finding] = field(default_factory=list)

    @property
    def rows(self) -> int:
        return len(self.values)

    def canonical(self, checksum: str) -> pd.DataFrame:
        """The typed rows with their lineage: file checksum, sheet and Excel row number."""
        out = self.values.reset_index()
        out.insert(0, "source_row", out.pop("row"))
        out.insert(0, "source_sheet", _same_for_all(self.sheet, len(out)))
        out.insert(0, "source_sha256", _same_for_all(checksum, len(out)))
        return out


def _same_for_all(text: str, rows: int) -> pd.Categorical:
    """One text on every row, held once (a 1M-row ledger's checksum column would be 70 MB as text)."""
    return pd.Categorical.from_codes(np.zeros(rows, dtype="int8"), categories=pd.Index([text], dtype="str"))


@dataclass
class Submission:
    """What was read from one file."""

    file_name: str
    checksum: str
    as_of: dt.date | None
    as_of_source: str  # title | file_name | "" (then the arrival date applies)
    tables: list[Table]

    def table(self, kind: str) -> Table | None:
        return next((t for t in self.tables if t.kind == kind), None)


# --- entry point ----------------------------------------------------------------------------

def read_submission(path: Path, settings: Settings, *, name: str | None = None, checksum: str = "") -> Submission:
    """Read `path` (a local copy) whose original file name is `name`."""
    name = name or path.name
    grid_source = _open(path, name, settings)
    tables: list[Table] = []
    titles: list[str] = []
    for sheet_name, kind_hint, grid in grid_source:
        located = _locate_header(grid, kind_hint, sheet_name)
        if located is None:
            continue
        spec, header_at, mapping = located
        if any(t.kind == spec.kind for t in tables):
            continue  # a second sheet of the same kind: the first one counts
        titles.extend(_title_texts(grid.head(header_at)))
        tables.append(_build_table(spec, sheet_name, grid, header_at, mapping))
    if not tables:
        wrong = _encoding_problem(path, name)
        if wrong is not None:
            raise Unreadable(wrong)
        expected = "、".join(c.header for c in contract.LEDGER_SHEET.required)
        expected += "（问题清单）或 " + "、".join(c.header for c in contract.VISITS_SHEET.required) + "（走访记录）"
        raise Unreadable(finding("no_header", detail=expected))
    as_of, source = None, ""
    for text in titles:
        as_of = normalize.date_in_text(text) or as_of
    if as_of:
        source = "title"
    else:
        as_of = normalize.date_in_text(Path(name).stem)
        source = "file_name" if as_of else ""
    return Submission(name, checksum, as_of, source, tables)


def read_reference(path: Path, settings: Settings, *, name: str | None = None) -> dict[str, Table]:
    """The reference workbook: one table per sheet of contract.REFERENCE_SHEETS that it holds."""
    name = name or path.name
    tables: dict[str, Table] = {}
    for sheet_name, _kind, grid in _open(path, name, settings, all_sheets=True):
        key = contract.header_key(sheet_name)
        spec = next((s for s in contract.REFERENCE_SHEETS if contract.header_key(s.name) == key), None)
        if spec is None or spec.name in tables:
            continue
        located = _locate_header(grid, None, sheet_name, [spec])
        if located is None:
            raise Unreadable(finding("missing_column", sheet=sheet_name, row=1, column=spec.required[0].header))
        _, header_at, mapping = located
        tables[spec.name] = _build_table(spec, sheet_name, grid, header_at, mapping)
    return tables


# --- raw grids ------------------------------------------------------------------------------

@dataclass
class Grid:
    """Rows of one sheet as text columns, before the header is known."""

    head_rows: list[list[str | None]]  # the first rows, for header detection
    columns_from: object  # callable(header_at, wanted columns) -> (row numbers, {col: list})

    def head(self, n: int) -> list[list[str | None]]:
        return self.head_rows[:n]


def _open(path: Path, name: str, settings: Settings, *, all_sheets: bool = False
          ) -> Iterable[tuple[str, str | None, Grid]]:
    size = path.stat().st_size
    if size == 0:
        raise Unreadable(finding("empty"))
    if size > settings.max_file_mb * 1024 * 1024:
        raise Unreadable(finding("too_large", detail=f"{size / 1048576:.0f} MB，上限 {settings.max_file_mb} MB"))
    with path.open("rb") as fh:
        magic = fh.read(8)
    suffix = Path(name.strip()).suffix.lower()
    if magic.startswith(_ZIP_MAGIC):
        _check_zip(path, settings)
        return _workbook_grids(path, settings, all_sheets)
    if magic == _OLE_MAGIC:
        if _is_encrypted_ole(path):
            raise Unreadable(finding("encrypted"))
        return _workbook_grids(path, settings, all_sheets)
    if suffix in (".xlsx", ".xlsm", ".xls"):
        raise Unreadable(finding("unreadable", detail="文件内容不是 Excel 工作簿（可能已损坏或只改了扩展名）"))
    if suffix in (".csv", ".txt"):
        return [(Path(name).stem, None, _csv_grid(path, settings))]
    raise Unreadable(finding("unsupported_type", detail=suffix or name))


def _is_encrypted_ole(path: Path) -> bool:
    """An .xlsx with an opening password is an OLE file holding an 'EncryptedPackage' stream."""
    with path.open("rb") as fh:
        head = fh.read(1 << 20)
    return "EncryptedPackage".encode("utf-16-le") in head


_DIMENSION = re.compile(rb'<(?:\w+:)?dimension ref="[A-Z]+\d+:([A-Z]+)(\d+)"')
_ROW_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?row[\s>/]")
_DAMAGED = (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError, ValueError)


def _check_zip(path: Path, settings: Settings) -> None:
    """Refuse zip bombs and sheets of a million styled rows before anything expands them.

    Every worksheet is streamed once, its row tags counted up to the cap (a sheet may declare no
    dimension, or a false one), which also checks every part's CRC: damage is found here, in
    plain words, not as a traceback later."""
    try:
        _check_zip_parts(path, settings)
    except Unreadable:
        raise
    except _DAMAGED as exc:
        raise Unreadable(finding("unreadable", detail="文件已损坏（压缩数据校验错误）")) from exc


def _count_rows(part, cap: int) -> int:
    """Row tags in a worksheet part, read in chunks; stops counting once past `cap`. A tag cut at
    a chunk's end (from its last '<') is counted with the start of the next chunk; the rest of a
    chunk is counted in place, without copying it."""
    rows, carry = 0, b""
    while chunk := part.read(1 << 20):
        first = chunk.find(b"<")
        if first == -1:  # no tag starts here: a tag cut before it goes on
            carry = carry + chunk if carry else b""
            continue
        last = chunk.rfind(b"<")
        rows += _row_tags(carry + chunk[:first], 0, len(carry) + first)
        rows += _row_tags(chunk, first, last)
        carry = chunk[last:]
        if rows > cap:
            return rows
    return rows + _row_tags(carry + b" ", 0, len(carry) + 1)


def _row_tags(data: bytes, start: int, end: int) -> int:
    """Row tags in data[start:end]: counted in C when every '<row' there opens a plain '<row '
    tag (as writers spell them), else by the exact pattern (prefixes, '<row>', rowBreaks)."""
    plain = data.count(b"<row ", start, end)
    if plain == data.count(b"<row", start, end) and data.find(b":row", start, end) == -1:
        return plain
    return len(_ROW_TAG.findall(data, start, end))


def _check_zip_parts(path: Path, settings: Settings) -> None:
    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
            total = sum(i.file_size for i in infos)
            if total > settings.max_unzipped_mb * 1024 * 1024:
                raise Unreadable(finding(
                    "too_large", detail=f"解压后 {total / 1048576:.0f} MB，上限 {settings.max_unzipped_mb} MB"))
            if not any(i.filename.startswith("xl/") for i in infos):
                raise Unreadable(finding("unreadable", detail="压缩包中没有 Excel 工作表"))
            names = _sheet_names_by_part(zf)
            for info in infos:
                if not (info.filename.startswith("xl/worksheets/") and info.filename.endswith(".xml")):
                    continue
                cap = settings.max_rows + HEADER_SCAN_ROWS
                sheet = names.get(info.filename, info.filename)
                with zf.open(info) as part:
                    head = part.read(4096)
                    m = _DIMENSION.search(head)
                    if m:
                        rows, cols = int(m.group(2)), _column_number(m.group(1).decode())
                        if rows > cap:
                            raise Unreadable(finding("too_many_rows", sheet=sheet,
                                                     detail=f"{rows} 行，上限 {settings.max_rows} 行"))
                        if cols > settings.max_columns:
                            raise Unreadable(finding("too_many_columns", sheet=sheet,
                                                     detail=f"{cols} 列，上限 {settings.max_columns} 列"))
                    counted = _count_rows(io.BufferedReader(_Prefixed(head, part)), cap)
                if counted > cap:  # no dimension, or a false one: the rows themselves are counted
                    raise Unreadable(finding("too_many_rows", sheet=sheet,
                                             detail=f"超过 {settings.max_rows} 行（含只设置了格式的空行）"))
    except zipfile.BadZipFile as exc:
        raise Unreadable(finding("unreadable", detail="文件已损坏（压缩结构错误）")) from exc


class _Prefixed(io.RawIOBase):
    """The bytes already read from a part, then the rest of it."""

    def __init__(self, head: bytes, rest):
        self._head, self._rest = head, rest

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        if self._head:
            n = min(len(buffer), len(self._head))
            buffer[:n], self._head = self._head[:n], self._head[n:]
            return n
        data = self._rest.read(len(buffer))
        buffer[:len(data)] = data
        return len(data)


def _sheet_names_by_part(zf: zipfile.ZipFile) -> dict[str, str]:
    try:
        workbook = zf.read("xl/workbook.xml").decode("utf-8", "replace")
        rels = zf.read("xl/_rels/workbook.xml.rels").decode("utf-8", "replace")
    except KeyError:
        return {}
    targets = dict(re.findall(r'Id="([^"]+)"[^>]*Target="([^"]+)"', rels))
    targets |= {k: v for v, k in re.findall(r'Target="([^"]+)"[^>]*Id="([^"]+)"', rels)}
    out = {}
    for sheet_name, rid in re.findall(r'<(?:\w+:)?sheet [^>]*name="([^"]+)"[^>]*r:id="([^"]+)"', workbook):
        target = targets.get(rid, "")
        out["xl/" + target.lstrip("/").removeprefix("xl/")] = sheet_name
    return out


def _column_number(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n


def _workbook_grids(path: Path, settings: Settings, all_sheets: bool = False) -> list[tuple[str, str | None, Grid]]:
    import python_calamine

    try:
        wb = python_calamine.CalamineWorkbook.from_path(str(path))
    except Exception as exc:  # calamine raises its own error types for every kind of damage
        text = str(exc).lower()
        if "password" in text or "encrypt" in text:
            raise Unreadable(finding("encrypted")) from exc
        raise Unreadable(finding("unreadable", detail="文件已损坏或格式不对")) from exc
    worksheets = [m for m in wb.sheets_metadata if m.typ == python_calamine.SheetTypeEnum.WorkSheet]
    visible = [m.name for m in worksheets if all_sheets or m.visible == python_calamine.SheetVisibleEnum.Visible]
    if worksheets and not visible:
        raise Unreadable(finding("hidden_sheets", detail="、".join(m.name for m in worksheets)[:200]))
    by_name = []
    for sheet_name in visible:
        key = contract.header_key(sheet_name)
        for spec in contract.SUBMISSION_SHEETS:
            if spec.name in key:
                by_name.append((sheet_name, spec.kind))
    if all_sheets:
        by_name = []
    chosen = by_name or [(s, None) for s in visible]  # no named sheet: recognise by headers
    grids = []
    for sheet_name, kind in chosen:
        try:
            sheet = wb.get_sheet_by_name(sheet_name)
            if sheet.total_height > settings.max_rows + HEADER_SCAN_ROWS:
                raise Unreadable(finding(
                    "too_many_rows", sheet=sheet_name, detail=f"{sheet.total_height} 行，上限 {settings.max_rows} 行"))
            if sheet.total_width > settings.max_columns:
                raise Unreadable(finding(
                    "too_many_columns", sheet=sheet_name, detail=f"{sheet.total_width} 列，上限 {settings.max_columns} 列"))
            rows = sheet.to_python(skip_empty_area=False)
            merged = sheet.merged_cell_ranges or []
        except Unreadable:
            raise
        except Exception as exc:
            raise Unreadable(finding("unreadable", detail=f"工作表“{sheet_name}”无法读取")) from exc
        _fill_merged(rows, merged)
        grids.append((sheet_name, kind, _grid_from_rows(rows)))
    return grids


def _fill_merged(rows: list[list], merged: Sequence[tuple[tuple[int, int], tuple[int, int]]]) -> None:
    """A merged area means its top-left value in every cell it covers."""
    for (r0, c0), (r1, c1) in merged:
        if r0 >= len(rows) or c0 >= len(rows[r0]):
            continue
        value = rows[r0][c0]
        for r in range(r0, min(r1, len(rows) - 1) + 1):
            row = rows[r]
            for c in range(c0, min(c1, len(row) - 1) + 1):
                if row[c] == "" or row[c] is None:
                    row[c] = value


def _grid_from_rows(rows: list[list]) -> Grid:
    head = [[normalize.cell_text(v) for v in row] for row in rows[:HEADER_SCAN_ROWS]]

    def columns_from(header_at: int, wanted: dict[int, str]):
        body = rows[header_at + 1:]
        numbers = range(header_at + 2, header_at + 2 + len(body))
        cols = {}
        for idx in wanted:
            try:
                raw = [r[idx] for r in body]
            except IndexError:  # a ragged grid: short rows have no such cell
                raw = [r[idx] if idx < len(r) else None for r in body]
            cols[idx] = _text_column(raw)
        return numbers, cols, []

    return Grid(head, columns_from)


def _text_column(raw: list) -> pd.Series:
    """One column of cells as Arrow text: a column of text cells (the most) converts in C; one with
    numbers, dates or booleans goes through cell_text, cell by cell."""
    import pyarrow as pa

    try:
        array = pa.array(raw, type=pa.large_string())
    except (pa.ArrowTypeError, pa.ArrowInvalid):
        array = pa.array(normalize.cells_text(raw), type=pa.large_string())
    return pd.Series(pd.arrays.ArrowStringArray(array), copy=False)


# --- CSV ------------------------------------------------------------------------------------

# Words of the headers as a Traditional Chinese (Big5) file writes them.
_TRADITIONAL_HEADER_WORDS = ("問題", "編號", "走訪", "區縣", "辦理", "單位")


def _encoding_problem(path: Path, name: str) -> Finding | None:
    """Why a CSV has no header we know, when the cause is its encoding (Big5, or none we read)."""
    if Path(name.strip()).suffix.lower() not in (".csv", ".txt"):
        return None
    with path.open("rb") as fh:
        sample = fh.read(256 * 1024)
    encoding = _detect_encoding(sample)
    if encoding != "gb18030":
        return None
    try:
        traditional = sample.decode("big5", errors="strict")
    except UnicodeDecodeError as exc:
        traditional = sample[:exc.start].decode("big5") if exc.start >= len(sample) - 2 else ""
    if any(word in traditional for word in _TRADITIONAL_HEADER_WORDS):
        return finding("wrong_encoding", detail="繁体中文 Big5")
    if "\ufffd" in sample.decode("gb18030", errors="replace"):
        return finding("wrong_encoding", detail="无法识别")
    return None


def _detect_encoding(head: bytes) -> str:
    if head.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig"
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"
    try:
        head.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError as exc:
        if exc.start >= len(head) - 3:  # a character cut at the end of the sample
            return "utf-8"
        return "gb18030"


def _csv_grid(path: Path, settings: Settings) -> Grid:
    import csv

    with path.open("rb") as fh:
        sample = fh.read(256 * 1024)
    encoding = _detect_encoding(sample)
    try:
        text_head = sample.decode(encoding, errors="replace")
    except LookupError as exc:
        raise Unreadable(finding("unreadable", detail="无法识别文件编码")) from exc
    if "\x00" in text_head and encoding != "utf-16":
        raise Unreadable(finding("unreadable", detail="文件不是文本格式的 CSV"))
    head_reader = csv.reader(io.StringIO(text_head))
    head: list[list[str | None]] = []
    try:
        for row in head_reader:
            head.append(row)
            if len(head) >= HEADER_SCAN_ROWS:
                break
    except csv.Error:
        pass

    def columns_from(header_at: int, wanted: dict[int, str]):
        return _csv_columns(path, encoding, header_at, wanted, len(head[header_at]), settings)

    return Grid(head, columns_from)


def _csv_columns(path: Path, encoding: str, header_at: int, wanted: dict[int, str], width: int,
                 settings: Settings):
    """Data rows under the header: pyarrow when every line is a regular row, else the exact
    Python path (blank or ragged lines, where Excel's row numbers need counting line by line)."""
    try:
        return _csv_columns_arrow(path, encoding, header_at, wanted, width, settings)
    except _Irregular:
        return _csv_columns_python(path, encoding, header_at, wanted, width, settings)


class _Irregular(Exception):
    pass


def _csv_columns_arrow(path, encoding, header_at, wanted, width, settings):
    import pyarrow as pa
    from pyarrow import csv as pacsv

    names = [f"c{i}" for i in range(width)]
    irregular_rows = []

    def irregular(row):  # a ragged or blank line: the exact Python path reads the file instead
        irregular_rows.append(row.number)
        return "error"  # stop at once (a parse error): millions of ragged lines must not cost a call each

    # Count physical lines before the first data record so pyarrow can skip them.
    import csv

    with path.open("r", encoding=encoding, errors="replace", newline="") as fh:
        reader = csv.reader(fh)
        for _ in range(header_at + 1):
            next(reader)
        skip_lines = reader.line_num
    try:
        stream = pacsv.open_csv(
            path,
            read_options=pacsv.ReadOptions(
                encoding="utf8" if encoding in ("utf-8", "utf-8-sig") else encoding,
                skip_rows=skip_lines, column_names=names,
                # more lines than the cap allows (blank ones, or newlines in values): small blocks,
                # so that the count below stops early (Arrow spends microseconds on each blank line)
                block_size=(256 << 10) if _lines_beyond(path, settings.max_rows + skip_lines) else 16 << 20),
            parse_options=pacsv.ParseOptions(newlines_in_values=True, ignore_empty_lines=False,
                                             invalid_row_handler=irregular),
            convert_options=pacsv.ConvertOptions(
                column_types={n: pa.string() for n in names}, include_columns=[names[i] for i in wanted],
                strings_can_be_null=False, quoted_strings_can_be_null=False),
        )
        batches, counted = [], 0
        for batch in stream:  # counted while streaming: a file of blank lines stops at the cap
            counted += batch.num_rows
            if counted > settings.max_rows:
                raise Unreadable(finding("too_many_rows", sheet=path.stem,
                                         detail=f"超过 {settings.max_rows} 行（含空行）"))
            batches.append(batch)
        table = pa.Table.from_batches(batches, schema=stream.schema)
        del batches
    except (_Irregular, Unreadable):
        raise
    except (pa.ArrowInvalid, UnicodeDecodeError) as exc:
        if "CSV parse error" in str(exc) or "row" in str(exc).lower():
            raise _Irregular from exc
        raise Unreadable(finding("unreadable", detail="文件编码无法识别或内容已损坏")) from exc
    if irregular_rows:
        raise _Irregular
    first = header_at + 2
    numbers = range(first, first + table.num_rows)
    cols = {}
    for i in wanted:
        cols[i] = pd.Series(pd.arrays.ArrowStringArray(table.column(names[i])), copy=False)
    del table
    return numbers, cols, []


def _lines_beyond(path: Path, limit: int) -> bool:
    """Does the file hold more than `limit` line breaks? (A cheap byte count, stopped early.)"""
    lines = 0
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 22):
            lines += chunk.count(b"\n")
            if lines > limit:
                return True
    return False


def _csv_columns_python(path, encoding, header_at, wanted, width, settings):
    import csv

    numbers: list[int] = []
    cols: dict[int, list] = {i: [] for i in wanted}
    ragged: list[Finding] = []
    with path.open("r", encoding=encoding, errors="replace", newline="") as fh:
        reader = csv.reader(fh)
        try:
            for record_no, row in enumerate(reader, start=1):
                if record_no <= header_at + 1:
                    continue
                if record_no > settings.max_rows + HEADER_SCAN_ROWS:  # blank lines count: the work is bounded
                    raise Unreadable(finding("too_many_rows", sheet=path.stem,
                                             detail=f"超过 {settings.max_rows} 行（含空行）"))
                if not row or not any(cell.strip() for cell in row):
                    continue
                if len(row) != width and any(cell.strip() for cell in row[width:]):
                    ragged.append(finding("ragged_row", sheet="", row=record_no, detail=len(row)))
                numbers.append(record_no)
                for i in wanted:
                    cols[i].append(row[i] if i < len(row) else None)
        except csv.Error as exc:
            raise Unreadable(finding("unreadable", detail=f"CSV 格式错误：{exc}")) from exc
    return numbers, cols, ragged


# --- header and table -----------------------------------------------------------------------

def _locate_header(grid: Grid, kind_hint: str | None, sheet_name: str,
                   specs: Sequence[contract.Sheet] | None = None):
    """The first row holding every required header of a kind -> (spec, row index, mapping)."""
    if specs is None:
        specs = [contract.sheet_for(kind_hint)] if kind_hint else list(contract.SUBMISSION_SHEETS)
    best_partial = None
    for idx, row in enumerate(grid.head(HEADER_SCAN_ROWS)):
        keys = [contract.header_key(v) for v in row]
        for spec in specs:
            index = contract.header_index(spec)
            mapping: dict[str, tuple[str, int]] = {}
            for col_idx, key in enumerate(keys):
                fld = index.get(key)
                if fld and fld not in mapping:
                    mapping[fld] = (str(row[col_idx]).strip(), col_idx)
            missing = [c for c in spec.required if c.field not in mapping]
            if not missing:
                return spec, idx, mapping
            enough = min(3, len(spec.required))
            if len(mapping) >= enough and (best_partial is None or len(mapping) > len(best_partial[2])):
                best_partial = (spec, idx, mapping, missing)
    if best_partial:
        spec, idx, mapping, missing = best_partial
        raise Unreadable(finding("missing_column", sheet=sheet_name, row=idx + 1, column=missing[0].header))
    return None


def _title_texts(rows: list[list[str | None]]) -> list[str]:
    return [v for row in rows for v in row if v]


def _build_table(spec: contract.Sheet, sheet_name: str, grid: Grid, header_at: int,
                 mapping: dict[str, tuple[str, int]]) -> Table:
    wanted = {col: fld for fld, (_, col) in mapping.items()}
    numbers, raw_cols, extra = grid.columns_from(header_at, wanted)
    index = pd.Index(numbers, dtype="int64", name="row")
    cleaned = {}
    for col in list(raw_cols):  # one column at a time, dropping the raw one, to bound memory
        values = raw_cols.pop(col)
        series = pd.Series(values, dtype="str", index=index) if isinstance(values, list) else values.set_axis(index)
        cleaned[wanted[col]] = normalize.clean(series.astype("str"))
        del values, series
    text = pd.DataFrame(cleaned, index=index)
    del cleaned
    if len(text.columns):
        keep = text.notna().any(axis=1)  # empty rows anywhere are not data
        if not keep.all():
            text = text.loc[keep]
    first = spec.fields[0]
    if first in text.columns and len(text):
        example = text[first].str.startswith(contract.EXAMPLE_MARK).fillna(False).astype(bool)
        if example.any():  # the template's grey example row
            text = text.loc[~example]
    for col in spec.columns:
        if col.field not in text.columns:
            text[col.field] = pd.Series(pd.NA, index=text.index, dtype="str")
    text = text[list(spec.fields)]
    values = typed(spec, text)
    findings = [f if f.sheet else _with_sheet(f, sheet_name) for f in extra]
    for col in spec.columns:
        if col.field not in mapping and not col.required:
            findings.append(finding("optional_column_missing", sheet=sheet_name, row=header_at + 1, column=col.header))
    return Table(spec.kind, sheet_name, header_at + 1, mapping, text, values, findings)


def _with_sheet(f: Finding, sheet: str) -> Finding:
    from dataclasses import replace

    return replace(f, sheet=sheet)


def typed(spec: contract.Sheet, text: pd.DataFrame) -> pd.DataFrame:
    """Cleaned text -> typed values; a value that does not parse becomes NA (validation says why)."""
    out = {}
    for col in spec.columns:
        s = text[col.field]
        if col.type == "date":
            out[col.field] = normalize.parse_dates(s)
        elif col.type == "number":
            out[col.field] = normalize.parse_amounts_wan(s)
        elif col.type == "integer":
            out[col.field] = normalize.parse_counts(s)
        elif col.type == "list":
            out[col.field] = normalize.parse_lists(s)
        elif col.type == "choice":
            out[col.field] = normalize.canonical_choice(s, col.synonyms)
        else:
            out[col.field] = s
    return pd.DataFrame(out, index=text.index)
