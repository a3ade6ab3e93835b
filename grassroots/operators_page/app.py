"""The operators' page (基层走访): every district's submissions and their fate, the current
figures, and the lineage from any figure to its cases and from a case to the file and row it
came from. A FastAPI app that the Airflow plugin mounts at /grassroots; every route asks for the
Airflow login (see auth.py).
"""

from __future__ import annotations

import datetime as dt
import mimetypes
import threading
from pathlib import Path
from typing import Literal
from urllib.parse import quote, urlencode
from zoneinfo import ZoneInfo

import jinja2
from fastapi import APIRouter, Depends, FastAPI, HTTPException, Query, Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, Response, StreamingResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from grassroots import clock, contract, metrics, warehouse
from grassroots import settings as settings_module
from grassroots.intake import inbox
from grassroots.operators_page import files, queries
from grassroots.operators_page.auth import LoginRequired, on_login_required, require_login, wants_json
from grassroots.settings import Settings
from grassroots.warehouse import lifecycle

TEMPLATES = Path(__file__).resolve().parent / "templates"
SUBMISSIONS_PER_DISTRICT = 5
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
Period = Literal["week", "month"]

FATES = {f.value: label for f, label in lifecycle.FATE_LABELS.items()}
STATES = {s.value: label for s, label in lifecycle.STATE_LABELS.items()}
KINDS = {"ledger": "问题清单", "visits": "走访记录", "ledger+visits": "问题清单＋走访记录", "reference": "基础数据"}
PERIODS = {"week": "周", "month": "月"}
AS_OF_SOURCES = {"arrival": "按到达日期"}


# --- rendering ------------------------------------------------------------------------------

_env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True,
                          undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)


def _date(value) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, str):
        value = dt.date.fromisoformat(value[:10])
    return f"{value.year}-{value.month:02d}-{value.day:02d}"


def _number(value) -> str:
    if value is None:
        return "—"
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return f"{value:,}" if isinstance(value, int) else str(value)


def _render(request: Request, template: str, status_code: int = 200, **context) -> HTMLResponse:
    settings = _settings(request)
    zone = ZoneInfo(settings.timezone)
    base = request.scope.get("root_path", "").rstrip("/")

    def url(path: str, **params) -> str:
        query = urlencode({k: v for k, v in params.items() if v not in (None, "")})
        return f"{base}{quote(path, safe='/')}" + (f"?{query}" if query else "")

    def time(value) -> str:
        return "—" if value is None else value.astimezone(zone).strftime("%Y-%m-%d %H:%M")

    html = _env.get_template(template).render(
        url=url, date=_date, time=time, number=_number, percent=metrics.percent, fates=FATES, states=STATES,
        kinds=KINDS, reference_folder=inbox.REFERENCE_FOLDER,
        datadocs_index=(settings.datadocs / "index.html").is_file(), **context)
    return HTMLResponse(html, status_code=status_code)


# --- settings and the warehouse -------------------------------------------------------------

def _settings(request: Request) -> Settings:
    return request.app.state.settings or settings_module.load()




_engines_lock = threading.Lock()


def _engine(request: Request):
    """One engine per warehouse URL for the life of the app (connecting checks the database; the page
    only reads, so it never migrates)."""
    url = _settings(request).warehouse_url
    engines = request.app.state.engines
    with _engines_lock:
        if url not in engines:
            engines[url] = warehouse.connect(url)
        return engines[url]


def _today(settings: Settings) -> dt.date:
    return clock.today(settings.timezone)


def _as_of(request: Request, engine, as_of: dt.date | None) -> dt.date:
    """The date asked for, else today, or the newest ledger's date when a ledger is dated later."""
    if as_of is not None:
        return as_of
    today = _today(_settings(request))
    newest = queries.newest_ledger_as_of(engine)
    return max(today, newest) if newest else today


def _ready_engine(request: Request):
    engine = _engine(request)
    return engine if queries.has_warehouse(engine) else None


# --- pages ----------------------------------------------------------------------------------

pages = APIRouter()


@pages.get("/", response_class=HTMLResponse)
def overview(request: Request, as_of: dt.date | None = None, period: Period = "week"):
    engine = _ready_engine(request)
    if engine is None:
        return _render(request, "empty.html")
    as_of = _as_of(request, engine, as_of)
    settings = _settings(request)
    figures = metrics.compute(engine, as_of, period=period, timezone=settings.timezone)
    latest = queries.latest_submissions(engine, SUBMISSIONS_PER_DISTRICT)
    for rows in latest.values():
        for row in rows:
            row["datadocs"] = files.datadocs_relative(settings, row["datadocs_path"])
    order = list(figures["districts"])
    folders = order + sorted(set(latest) - set(order) - {inbox.REFERENCE_FOLDER})
    if inbox.REFERENCE_FOLDER in latest:
        folders.append(inbox.REFERENCE_FOLDER)
    by_district = {r["district"]: r for r in figures["submissions"]["by_district"]}
    return _render(request, "overview.html", as_of=as_of, period=period, period_label=PERIODS[period],
                   today=_today(settings), figures=figures, latest=latest, folders=folders, per_district=SUBMISSIONS_PER_DISTRICT,
                   submissions_by_district=by_district,
                   not_submitted=figures["submissions"]["districts_not_submitted"])


@pages.get("/cases", response_class=HTMLResponse)
def figure_cases(request: Request, figure: str, district: str | None = None, as_of: dt.date | None = None,
                 period: Period = "week"):
    if figure not in queries.FIGURES:
        raise HTTPException(404, f"没有名为 {figure} 的指标")
    engine = _ready_engine(request)
    if engine is None:
        return _render(request, "empty.html")
    as_of = _as_of(request, engine, as_of)
    rows = queries.figure_cases(engine, figure, as_of, period=period, district=district or None)
    return _render(request, "cases.html", figure=figure, label=queries.FIGURES[figure],
                   scope=district or contract.SCOPE_CITY, district=district, as_of=as_of, period=period,
                   period_label=PERIODS[period], period_start=metrics.period_start(as_of, period), cases=rows)


@pages.get("/case", response_class=HTMLResponse)
def case_lineage(request: Request, district: str, case_id: str):
    engine = _ready_engine(request)
    current, history = (None, []) if engine is None else queries.case(engine, district, case_id)
    if current is None and not history:
        raise HTTPException(404, f"{district} 没有编号为 {case_id} 的问题")
    return _render(request, "case.html", district=district, case_id=case_id, case=current, history=history)


@pages.get("/submissions/{submission_id}", response_class=HTMLResponse)
def submission_detail(request: Request, submission_id: int):
    engine = _ready_engine(request)
    row = None if engine is None else queries.submission(engine, submission_id)
    if row is None:
        raise HTTPException(404, f"没有编号为 {submission_id} 的提交")
    settings = _settings(request)
    row["datadocs"] = files.datadocs_relative(settings, row["datadocs_path"])
    found = queries.submission_findings(engine, submission_id)
    return _render(request, "submission.html", s=row, findings=found, findings_limit=queries.FINDINGS_SHOWN,
                   as_of_sources=AS_OF_SOURCES)


@pages.get("/submissions/{submission_id}/receipt")
def receipt_download(request: Request, submission_id: int):
    """The receipt of a submission, only from a 回执 folder inside the inbox."""
    engine = _ready_engine(request)
    row = None if engine is None else queries.submission(engine, submission_id)
    if row is None:
        raise HTTPException(404, f"没有编号为 {submission_id} 的提交")
    target = files.receipt(_settings(request), row["receipt_path"])
    if target is None:
        raise HTTPException(404, "回执文件不存在，或不在收件箱的回执文件夹中")
    if isinstance(target, Path):
        return FileResponse(target, media_type=XLSX, filename=target.name)
    disposition = f"attachment; filename*=utf-8''{quote(target.name)}"
    return StreamingResponse(_chunks(target), media_type=XLSX, headers={"Content-Disposition": disposition})


def _chunks(target, size: int = 1 << 20):
    """A receipt in a remote inbox (ObjectStoragePath), read a megabyte at a time."""
    with target.open("rb") as fh:
        while chunk := fh.read(size):
            yield chunk


@pages.get("/datadocs/{path:path}")
def datadocs(request: Request, path: str):
    """The GX Data Docs site, only from $GRASSROOTS_HOME/datadocs."""
    target = files.datadocs_file(_settings(request), path)
    if target is None:
        raise HTTPException(404, "校验报告不存在")
    media_type = mimetypes.guess_type(target.name)[0] or "application/octet-stream"
    return FileResponse(target, media_type=media_type, headers={"X-Content-Type-Options": "nosniff"})


# --- JSON -----------------------------------------------------------------------------------

api = APIRouter(prefix="/api")


def _json(value) -> JSONResponse:
    return JSONResponse(jsonable_encoder(value))


@api.get("/figures")
def figures_json(request: Request, as_of: dt.date | None = None, period: Period = "week",
                 district: str | None = None):
    engine = _ready_engine(request)
    if engine is None:
        return _json({})
    as_of = _as_of(request, engine, as_of)
    return _json(metrics.compute(engine, as_of, period=period, district=district or None,
                                 timezone=_settings(request).timezone))


@api.get("/submissions")
def submissions_json(request: Request, per_district: int = Query(SUBMISSIONS_PER_DISTRICT, ge=1, le=100)):
    engine = _ready_engine(request)
    return _json({} if engine is None else queries.latest_submissions(engine, per_district))


@api.get("/cases")
def figure_cases_json(request: Request, figure: str, district: str | None = None, as_of: dt.date | None = None,
                      period: Period = "week"):
    if figure not in queries.FIGURES:
        raise HTTPException(404, f"没有名为 {figure} 的指标")
    engine = _ready_engine(request)
    if engine is None:
        return _json({"figure": figure, "cases": []})
    as_of = _as_of(request, engine, as_of)
    rows = queries.figure_cases(engine, figure, as_of, period=period, district=district or None)
    return _json({"figure": figure, "label": queries.FIGURES[figure], "scope": district or contract.SCOPE_CITY,
                  "as_of": as_of, "period": period, "count": len(rows), "cases": rows})


@api.get("/case")
def case_json(request: Request, district: str, case_id: str):
    engine = _ready_engine(request)
    current, history = (None, []) if engine is None else queries.case(engine, district, case_id)
    if current is None and not history:
        raise HTTPException(404, f"{district} 没有编号为 {case_id} 的问题")
    return _json({"case": current, "history": history})


# --- the app --------------------------------------------------------------------------------

TITLES = {403: "没有权限", 404: "找不到", 503: "数据仓库暂时无法连接"}


def _error(request: Request, status_code: int, message: str) -> Response:
    if wants_json(request):
        return JSONResponse({"detail": message}, status_code=status_code)
    return _render(request, "error.html", status_code=status_code, title=TITLES.get(status_code, "出错了"),
                   message=message)


async def _http_error(request: Request, exc: StarletteHTTPException) -> Response:
    return _error(request, exc.status_code, str(exc.detail))


async def _unavailable(request: Request, exc: warehouse.WarehouseUnavailable) -> Response:
    return _error(request, 503, str(exc))


def create_app(settings: Settings | None = None) -> FastAPI:
    """The page's app; `settings` default to the environment's, read at each request."""
    app = FastAPI(title="基层走访", dependencies=[Depends(require_login)], docs_url=None, redoc_url=None,
                  openapi_url=None)
    app.state.settings = settings
    app.state.engines = {}
    app.add_exception_handler(LoginRequired, on_login_required)
    app.add_exception_handler(warehouse.WarehouseUnavailable, _unavailable)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.include_router(pages)
    app.include_router(api)
    return app
