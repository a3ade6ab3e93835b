"""An open export of the warehouse at a date, for other systems and analysts.

`python -m grassroots export --as-of D [--district NAME] --format csv|json|parquet --out DIR`
writes the cases as they stood at D, their history up to D, the visits known at D with the cases
they name, the reference data and the figures of metrics.md, one file per table, and a Frictionless
data package descriptor (datapackage.json) saying each field's name, type and Chinese title. The
field names, titles, types and allowed values of the districts' columns come from the contract;
the recipients' e-mail addresses are not exported. A district's export holds only its own rows.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import zipfile
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import Engine

from grassroots import clock, contract, metrics
from grassroots.contract import LEDGER_SHEET, VISITS_SHEET

FORMATS = ("csv", "json", "parquet")
DESCRIPTOR = "datapackage.json"
MEDIA_TYPES = {"csv": "text/csv", "json": "application/json", "parquet": "application/vnd.apache.parquet"}
TYPES = {"text": "string", "choice": "string", "list": "string", "date": "date", "number": "number",
         "integer": "integer"}


@dataclass(frozen=True)
class Field:
    name: str
    type: str  # a Frictionless type: string | date | number | integer
    title: str
    required: bool = False
    enum: tuple[str, ...] = ()
    description: str = ""

    def descriptor(self) -> dict:
        out = {"name": self.name, "type": self.type, "title": self.title}
        if self.description:
            out["description"] = self.description
        constraints = {}
        if self.required:
            constraints["required"] = True
        if self.enum:
            constraints["enum"] = list(self.enum)
        if constraints:
            out["constraints"] = constraints
        return out


def _from_column(col: contract.Column, *, required: bool | None = None) -> Field:
    """A field as the contract defines the districts' column (its header is the title)."""
    enum = col.choices if col.type == "choice" else ()
    note = "多个问题编号用英文逗号分隔" if col.type == "list" else ""
    return Field(col.field, TYPES[col.type], col.header, col.required if required is None else required, enum, note)


# Fields that are the warehouse's, not a district column: their titles are defined here only.
AS_OF = Field("as_of", "date", "清单截至日期", True, description="所依据问题清单的截至日期")
SUBMISSION = Field("submission_id", "integer", "来源文件编号", True, description="仓库中报送文件（提交）的编号")
SOURCE_SHEET = Field("source_sheet", "string", "来源工作表")
SOURCE_ROW = Field("source_row", "integer", "来源行号", description="报送文件中的 Excel 行号")
VISIT_KEY = Field("visit_key", "string", "走访标识", True,
                  description="走访编号；未填写编号的，为走访日期、单位、领导、街道和对象的散列值")
FIRST_AS_OF = Field("first_as_of", "date", "首次报送截至日期", True)
VALID_FROM = Field("valid_from", "date", "版本起始日期", True, description="首次给出这一状态的问题清单的截至日期")
VALID_TO = Field("valid_to", "date", "版本结束日期", description="下一版本的起始日期；空：导出日期时仍为当前状态")
LISTED = Field("listed", "boolean", "最新清单列出", True, description="否：该区县最新的问题清单未再列出此问题，沿用最后状态")


def _ledger_fields() -> list[Field]:
    key = [_from_column(LEDGER_SHEET.column("district")), _from_column(LEDGER_SHEET.column("case_id"))]
    rest = [_from_column(c) for c in LEDGER_SHEET.columns if c.field not in ("district", "case_id")]
    return key + rest


@dataclass(frozen=True)
class Resource:
    """One resource (a file) of the data package: not a warehouse table."""

    name: str
    title: str
    fields: tuple[Field, ...]
    primary_key: tuple[str, ...] = ()

    def descriptor(self, fmt: str) -> dict:
        schema: dict = {"fields": [f.descriptor() for f in self.fields]}
        if self.primary_key:
            schema["primaryKey"] = list(self.primary_key)
        out = {"name": self.name, "type": "table", "title": self.title, "path": f"{self.name}.{fmt}", "format": fmt,
               "mediatype": MEDIA_TYPES[fmt], "schema": schema}
        if fmt != "parquet":
            out["encoding"] = "utf-8"
        return out


def _reference_tables() -> list[Resource]:
    """The reference sheets of the contract but 收件人 (people's e-mail addresses stay in)."""
    names = {"区县": "districts", "街道（镇乡）": "towns", "单位": "units", "包联关系": "pairings", "领导干部": "leaders"}
    keys = {"districts": ("name",), "towns": ("name",), "units": ("name",), "pairings": ("unit",)}
    return [Resource(names[s.name], f"基础数据：{s.name}", tuple(_from_column(c) for c in s.columns),
                  keys.get(names[s.name], ()))
            for s in contract.REFERENCE_SHEETS if s.name in names]


TABLES: tuple[Resource, ...] = (
    Resource("cases", "问题清单（截至导出日期的状态）", (*_ledger_fields(), AS_OF, SUBMISSION), ("district", "case_id")),
    Resource("case_history", "问题历史（每个问题的每一版状态及其有效期）",
          (*_ledger_fields()[:2], VALID_FROM, VALID_TO, LISTED, SUBMISSION, *_ledger_fields()[2:], SOURCE_SHEET,
           SOURCE_ROW),
          ("district", "case_id", "valid_from")),
    Resource("visits", "走访记录",
          (_from_column(VISITS_SHEET.column("district")), VISIT_KEY,
           *(_from_column(c) for c in VISITS_SHEET.columns if c.field not in ("district", "case_ids")),
           SUBMISSION, FIRST_AS_OF),
          ("district", "visit_key")),
    Resource("visit_cases", "走访关联问题",
          (_from_column(VISITS_SHEET.column("district")), VISIT_KEY,
           Field("case_id", "string", VISITS_SHEET.column("case_ids").header, True)),
          ("district", "visit_key", "case_id")),
    *_reference_tables(),
    Resource("figures", "统计指标（metrics.md；“本期”为截至日期及此前共 7 天）",
          (Field("scope", "string", "范围", True, description="全市或区县名称"),
           Field("figure", "string", "指标", True, description="metrics.md 中的指标名"),
           Field("value", "number", "数值", description="比率为小数，如 0.595")),
          ("scope", "figure")),
)
TABLE_NAMES = tuple(t.name for t in TABLES)
SCALAR_FIGURES = tuple(name for name in metrics.FIGURES
                       if name not in ("units_not_in_contact", "leaders_falling_short"))


# --- collecting -----------------------------------------------------------------------------

def collect(engine: Engine, as_of: dt.date, district: str | None = None, *,
            timezone: str = metrics.DEFAULT_TIMEZONE) -> dict[str, list[dict]]:
    """Every table's rows at `as_of` for the city or one district."""
    from grassroots.warehouse import db

    params = {"as_of": as_of, "scope": district or contract.SCOPE_CITY}
    case_dates = ("reported_on", "deadline", "resolved_on", "as_of")
    with db.guard(engine), db.read_connection(engine) as conn:
        rows = {
            "cases": db.run_sql(conn, "select_cases_at", params, dates=case_dates),
            "case_history": [r | {"listed": bool(r["listed"])} for r in db.run_sql(
                conn, "select_case_history_at", params, dates=(*case_dates, "valid_from", "valid_to"))],
            "visits": db.run_sql(conn, "select_visits_at", params, dates=("visit_date", "first_as_of")),
            "visit_cases": db.run_sql(conn, "select_visit_case_links_at", params),
        }
    rows["cases"].sort(key=lambda r: (r["district"], r["case_id"]))
    rows.update(_reference(engine, district))
    figures = metrics.compute(engine, as_of, district=district, timezone=timezone)
    rows["figures"] = figure_rows(figures)
    return rows


def figure_rows(figures: dict) -> list[dict]:
    """The scalar figures of the scope, then (the city's) of each district, one row per figure."""
    scopes = [(figures["scope"], figures), *figures.get("districts", {}).items()]
    return [{"scope": scope, "figure": name, "value": values.get(name)}
            for scope, values in scopes for name in SCALAR_FIGURES]


def _reference(engine: Engine, district: str | None) -> dict[str, list[dict]]:
    from grassroots import warehouse

    reference = warehouse.load_reference(engine)
    if reference is None:
        return {t.name: [] for t in _reference_tables()}
    out = {
        "districts": [{"name": name, "code": code} for name, code in reference.districts.items()],
        "towns": [{"name": t, "district": d} for t, d in reference.towns.items()],
        "units": [{"name": u} for u in reference.units],
        "pairings": [{"unit": u, "town": t} for u, t in reference.pairings.items()],
        "leaders": [{"name": x.name, "title": x.title, "unit": x.unit} for x in reference.leaders],
    }
    if district:
        towns = {r["name"] for r in out["towns"] if r["district"] == district}
        units = {r["unit"] for r in out["pairings"] if r["town"] in towns}
        out["districts"] = [r for r in out["districts"] if r["name"] == district]
        out["towns"] = [r for r in out["towns"] if r["name"] in towns]
        out["pairings"] = [r for r in out["pairings"] if r["town"] in towns]
        out["units"] = [r for r in out["units"] if r["name"] in units]
        out["leaders"] = [r for r in out["leaders"] if r["unit"] in units]
    return out


# --- writing --------------------------------------------------------------------------------

def descriptor(as_of: dt.date, district: str | None, fmt: str) -> dict:
    scope = district or contract.SCOPE_CITY
    return {
        "name": f"grassroots-{as_of.isoformat()}",
        "title": f"基层走访问题清单数据：{scope}，截至{metrics.chinese_date(as_of)}",
        "description": "各区县报送的问题清单（截至该日的状态及历史）、走访记录、基础数据和统计指标。"
                       "字段名称、中文标题和可选值与报送模板一致。",
        "created": clock.now().replace(microsecond=0).isoformat(),
        "resources": [t.descriptor(fmt) for t in TABLES],
    }


def write(out: Path, rows: dict[str, list[dict]], *, as_of: dt.date, district: str | None, fmt: str) -> list[Path]:
    """One file per table in `out` and datapackage.json beside them; returns the files written."""
    if fmt not in FORMATS:
        raise ValueError(f"format must be one of {FORMATS}, got {fmt!r}")
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for table in TABLES:
        path = out / f"{table.name}.{fmt}"
        _write_table(path, table, rows.get(table.name, []), fmt)
        paths.append(path)
    path = out / DESCRIPTOR
    path.write_text(json.dumps(descriptor(as_of, district, fmt), ensure_ascii=False, indent=1), encoding="utf-8")
    return [*paths, path]


def _cell(value):
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def _write_table(path: Path, table: Resource, rows: list[dict], fmt: str) -> None:
    names = [f.name for f in table.fields]
    if fmt == "csv":
        with path.open("w", encoding="utf-8", newline="") as fh:
            writer = csv.writer(fh)
            writer.writerow(names)
            for r in rows:
                writer.writerow(["" if r.get(n) is None else _cell(r.get(n)) for n in names])
    elif fmt == "json":
        records = [{n: _cell(r.get(n)) for n in names} for r in rows]
        path.write_text(json.dumps(records, ensure_ascii=False), encoding="utf-8")
    else:
        _write_parquet(path, table, rows)


def _write_parquet(path: Path, table: Resource, rows: list[dict]) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    types = {"string": pa.string(), "date": pa.date32(), "number": pa.float64(), "integer": pa.int64(),
             "boolean": pa.bool_()}
    schema = pa.schema([pa.field(f.name, types[f.type]) for f in table.fields])
    columns = {f.name: [_typed(r.get(f.name), f.type) for r in rows] for f in table.fields}
    pq.write_table(pa.Table.from_pydict(columns, schema=schema), path)


def _typed(value, kind: str):
    if value is None:
        return None
    if kind == "number":
        return float(value)
    if kind == "integer":
        return int(value)
    if kind == "boolean":
        return bool(value)
    if kind == "string":
        return str(value)
    return value


def zip_bytes(rows: dict[str, list[dict]], *, as_of: dt.date, district: str | None, fmt: str) -> bytes:
    """The export as one zip (the operators' page download)."""
    import tempfile

    buffer = io.BytesIO()
    with tempfile.TemporaryDirectory() as tmp, zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in write(Path(tmp), rows, as_of=as_of, district=district, fmt=fmt):
            archive.write(path, path.name)
    return buffer.getvalue()


def file_name(as_of: dt.date, district: str | None, fmt: str) -> str:
    return f"基层走访数据_{district or contract.SCOPE_CITY}_{as_of.isoformat()}_{fmt}.zip"


# --- the command ----------------------------------------------------------------------------

def run(as_of: dt.date, district: str | None, fmt: str, out: Path, settings) -> int:
    from grassroots import warehouse

    engine = warehouse.connect(settings.warehouse_url)
    try:
        warehouse.upgrade(engine)
        if district:
            reference = warehouse.load_reference(engine)
            known = list(reference.districts) if reference else []
            if district not in known:
                print(f"未知区县“{district}”：基础数据中的区县为 {'、'.join(known) or '（尚无基础数据）'}")
                return 2
        rows = collect(engine, as_of, district, timezone=settings.timezone)
        for path in write(out, rows, as_of=as_of, district=district, fmt=fmt):
            print(path)
    finally:
        engine.dispose()
    return 0
